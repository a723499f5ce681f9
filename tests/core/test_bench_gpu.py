"""bench/bench_gpu.py, the prepared GPU check, runs end to end on a CPU at tiny sizes."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "bench_gpu.py"
SECTIONS = ("sim", "train", "train_all", "dlnmr_train", "dlnmr_infer", "nus")


def test_bench_gpu_tiny_cpu_gives_every_section_a_figure(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NMRLIB_THREADS="1")
    env.pop("OUT", None)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--tiny",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "bench_gpu.json").read_text())
    assert report["device"] == "cpu"
    assert report["checks_failed"] == []
    assert tuple(report["sections"]) == SECTIONS
    for name, section in report["sections"].items():
        assert section["status"] == "ok", (name, section.get("traceback"))
        assert "error" not in section
        assert isinstance(section["figure"], float) and math.isfinite(section["figure"]), name
        assert section["unit"]
    sections = report["sections"]
    assert sections["sim"]["residues_timed"] == 20 and sections["sim"]["passes"] >= 1
    assert all(n > 0 for n in sections["sim"]["spectra"].values())
    assert all(d == 0.0 for d in sections["sim"]["cpu_agreement_max_rel"].values())
    assert sections["train_all"]["all_configurations_timed"]
    assert sections["dlnmr_train"]["epoch_measured"]
    assert set(sections["nus"]["relative_l2_vs_cpu"]) == {"lr", "ist", "dl", "dl10"}
    for section in SECTIONS:   # each figure was printed as soon as it was measured
        assert f"== {section}" in proc.stdout and f"{section}: ok" in proc.stdout


def test_bench_gpu_rejects_an_unknown_budget_name(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--device", "cpu",
                           "--budget-s", "simulation=5", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--budget-s takes NAME=SECONDS" in proc.stderr
    assert not (tmp_path / "bench_gpu.json").exists()


def test_a_failing_section_is_recorded_and_the_next_one_still_runs(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bench = module.Bench("cpu", module.TINY, {"sim": 1, "nus": 1}, tmp_path, {"device": "cpu"})

    def broken(deadline):
        raise RuntimeError("no such kernel")

    bench.run("sim", broken)
    bench.run("nus", lambda deadline: {"figure": 1.0, "unit": "x", "failed": ["nus off"]})
    report = json.loads((tmp_path / "bench_gpu.json").read_text())
    assert report["sections"]["sim"]["status"] == "error"
    assert "RuntimeError: no such kernel" in report["sections"]["sim"]["error"]
    assert report["sections"]["nus"]["status"] == "ok"
    assert report["checks_failed"] == ["nus: nus off"]
