"""One run per GPU on a multi-GPU node (issue 25): slots, CUDA_VISIBLE_DEVICES, the Makefile."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

from nmrlib.core.gpus import gpu_slot, visible_gpus

ROOT = Path(__file__).resolve().parents[2]


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert visible_gpus() == ["3", "5"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert visible_gpus() == []


def test_each_run_holds_its_own_gpu_and_a_third_waits(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with gpu_slot(tmp_path, ["3", "5"]) as first:
        assert first == "3" and os.environ["CUDA_VISIBLE_DEVICES"] == "3"
        with gpu_slot(tmp_path, ["3", "5"]) as second:
            assert second == "5" and os.environ["CUDA_VISIBLE_DEVICES"] == "5"
            got = []
            waiter = threading.Thread(target=lambda: got.append(_take(tmp_path)))
            waiter.start()
            waiter.join(timeout=1.5)
            assert waiter.is_alive() and not got           # both GPUs busy: it waits
        waiter.join(timeout=5)
        assert got == ["5"]                                # and takes the one released
    assert "CUDA_VISIBLE_DEVICES" not in os.environ
    with gpu_slot(tmp_path, ["0"]) as single:
        assert single is None                              # one GPU: nothing to share


def _take(folder: Path) -> str:
    with gpu_slot(folder, ["3", "5"]) as gpu:
        return gpu


def test_make_reproduce_runs_one_notebook_per_gpu_on_a_multi_gpu_node(tmp_path):
    """The Makefile's reproduce recipe, with a stub for `python -m nmrlib gpus` and make."""
    stub = tmp_path / "py"
    stub.write_text("#!/bin/sh\n[ \"$3\" = gpus ] && { [ \"$4\" = --list ] && echo 0,1,2,3 "
                    "|| echo 4; exit 0; }\n[ \"$3\" = profile ] && echo paper\nexit 0\n")
    stub.chmod(0o755)
    out = subprocess.run(["make", "-n", "reproduce", f"PY={stub}", "STAMP=", "CORES=16"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    shown = subprocess.run(["bash", "-c", out.split("\n\n")[0].replace(
        "make --no-print-directory", "echo make")], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "MAKE": "echo make"})
    assert "running 4 notebook(s) at a time, 4 thread(s) each, one GPU each (GPUs 0,1,2,3)" \
        in shown.stdout, shown.stdout + shown.stderr
    assert "-j4 report PROFILE=paper" in shown.stdout
