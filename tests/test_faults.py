"""Resume under faults: data-set generation and a training run killed (SIGKILL) at 10 random
points each resume to results bit-identical to an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from nmrlib.tocsy.corpus import chunk_path, load_manifest, simulate_dataset

ROOT = Path(__file__).resolve().parent.parent
KILLS = 10
# the fast in-phase physics: these tests are about files and processes, not spin dynamics
DATA = dict(profile="smoke", n_per_class=10, chunk_size=2, n1=16, n2=16, batch=2,
            selection="in-phase")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "NMRLIB_THREADS": "1"}
SIMULATE = ("import sys; from nmrlib.tocsy.corpus import simulate_dataset; "
            "print('ready', flush=True);"
            f" simulate_dataset(sys.argv[1], workers=1, progress=False, **{DATA!r})")


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "chunks").iterdir())}


def _kill_runs(command: list[str], progress, rng: np.random.Generator, kills: int) -> int:
    """Start ``command`` repeatedly and SIGKILL it at random points; return the kills made.

    Run i is killed once ``progress()`` has advanced by at least one step (so every kill
    interrupts real work) plus a random delay; a run that finishes first ends the loop.
    """
    made = 0
    while made < kills:
        before = progress()
        process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
        assert process.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while process.poll() is None and progress() <= before and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.05))
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        made += 1
    return made


def test_dataset_generation_resumes_bit_identical_after_kills(tmp_path):
    reference = simulate_dataset(tmp_path / "reference", workers=1, progress=False, **DATA)
    faulted = tmp_path / "faulted"
    chunks = faulted / "chunks"

    def progress() -> int:
        return len(list(chunks.glob("*.npy"))) if chunks.is_dir() else 0

    kills = _kill_runs([sys.executable, "-c", SIMULATE, str(faulted)], progress,
                       np.random.default_rng(0), KILLS)
    assert kills == KILLS
    manifest = json.loads((faulted / "manifest.json").read_text())
    assert not manifest["complete"]
    subprocess.run([sys.executable, "-c", SIMULATE, str(faulted)], env=ENV, check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)
    assert _files(faulted) == _files(reference)          # no corrupt, missing or extra sample
    ref, out = (json.loads((p / "manifest.json").read_text()) for p in (reference, faulted))
    assert out["complete"] and out["sha256"] == ref["sha256"]


def test_a_truncated_chunk_in_a_complete_data_set_is_caught_and_repaired(tmp_path):
    root = simulate_dataset(tmp_path / "set", workers=1, progress=False, **DATA)
    good = _files(root)
    chunk = chunk_path(root, 3, 1)
    chunk.write_bytes(chunk.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"damaged.*03_.*truncated"):
        load_manifest(root)
    flipped = chunk_path(root, 5, 4)
    data = bytearray(flipped.read_bytes())
    data[-1] ^= 0xFF
    flipped.write_bytes(bytes(data))
    simulate_dataset(root, workers=1, progress=False, **DATA)
    assert _files(root) == good
    load_manifest(root)


TRAIN = ["-m", "nmrlib", "train", "conv1d-deep_picker", "--epochs", "30", "--batch-size", "8",
         "--device", "cpu", "--seeds", "0"]


def _train_command(data: Path, out: Path) -> list[str]:
    return [sys.executable, "-c",
            "import sys; from nmrlib.__main__ import main; print('ready', flush=True); "
            "sys.exit(main(sys.argv[1:]))",
            *TRAIN[2:], "--data", str(data), "--results", str(out / "results"),
            "--checkpoints", str(out / "checkpoints")]


def _outcome(out: Path) -> tuple[dict, dict]:
    result = json.loads((out / "results" / "classification" / "conv1d-deep_picker.json")
                        .read_text())
    run = result["runs"][0]
    for key in ("timings",):
        run.pop(key)
    for epoch in run["history"]:
        for key in ("train_s", "val_s", "train_spectra_per_s"):
            epoch.pop(key)
    (checkpoint,) = (out / "checkpoints").rglob("*.pt")
    return run, torch.load(checkpoint, map_location="cpu", weights_only=True)["model"]


def test_training_resumes_bit_identical_after_kills(tmp_path):
    data = simulate_dataset(tmp_path / "data", workers=1, progress=False, **DATA)
    reference, faulted = tmp_path / "reference", tmp_path / "faulted"
    subprocess.run(_train_command(data, reference), env=ENV, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def progress() -> int:      # epochs checkpointed so far (the checkpoint's mtime changes)
        found = list((faulted / "checkpoints").rglob("*.pt"))
        return int(found[0].stat().st_mtime_ns) if found else 0

    kills = _kill_runs(_train_command(data, faulted), progress, np.random.default_rng(1),
                       KILLS)
    assert kills == KILLS
    assert not (faulted / "results" / "classification" / "conv1d-deep_picker.json").exists()
    subprocess.run(_train_command(data, faulted), env=ENV, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_ref, model_ref = _outcome(reference)
    run_out, model_out = _outcome(faulted)
    assert run_out == run_ref
    assert model_out.keys() == model_ref.keys()
    assert all(torch.equal(model_out[k], model_ref[k]) for k in model_ref)


def test_ctrl_c_stops_a_multi_worker_simulation_at_once(tmp_path):
    """SIGINT cancels the queued chunks instead of draining them; the set resumes later."""
    out = tmp_path / "set"
    process = subprocess.Popen(
        [sys.executable, "-m", "nmrlib", "simulate", "--profile", "quick", "--workers", "2",
         "--selection", "in-phase",
         "--out", str(out)], env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((out / "chunks").glob("*.npy")) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    start = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - start < 30
    assert process.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    written = len(list((out / "chunks").glob("*_shifts.npy")))
    assert written < 20 * 4                               # the quick set has 20 x 4 chunks
    assert not json.loads((out / "manifest.json").read_text())["complete"]


def test_a_data_set_from_other_simulator_code_is_refused_or_replaced(tmp_path, monkeypatch):
    import nmrlib.tocsy.corpus as dataset

    root = simulate_dataset(tmp_path / "set", workers=1, progress=False, **DATA)
    good = _files(root)
    monkeypatch.setattr(dataset, "simulator_version", lambda: "0123456789ab")
    with pytest.raises(ValueError, match="other simulator code"):
        simulate_dataset(root, workers=1, progress=False, **DATA)
    simulate_dataset(root, workers=1, progress=False, replace_stale=True, **DATA)
    assert json.loads((root / "manifest.json").read_text())["simulator"] == "0123456789ab"
    assert _files(root) == good


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie left for a non-reaping init counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc (Linux)")
def test_simulation_workers_exit_when_the_parent_is_killed(tmp_path):
    """Issue 20 #5: SIGKILL of `simulate --workers 2` ends its workers too, at once."""
    out = tmp_path / "set"
    process = subprocess.Popen(
        [sys.executable, "-m", "nmrlib", "simulate", "--profile", "quick", "--workers", "2",
         "--selection", "in-phase", "--out", str(out)], env=ENV, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((out / "chunks").glob("*.npy")) and time.monotonic() < deadline:
        assert process.poll() is None
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_running, workers)), "workers outlived their killed parent"
    written = sorted(p.name for p in (out / "chunks").iterdir())
    time.sleep(1.0)
    assert sorted(p.name for p in (out / "chunks").iterdir()) == written


def test_a_chunk_overwritten_with_nan_in_place_is_refused_when_read(tmp_path):
    """Issue 20 #3: the sha256 recorded at completion is checked whenever the set is read."""
    from nmrlib.tocsy.corpus import TocsyDataset

    root = simulate_dataset(tmp_path / "set", workers=1, progress=False, **DATA)
    chunk = chunk_path(root, 4, 2)
    array = np.load(chunk)
    array[:] = np.nan
    with open(chunk, "r+b") as fh:        # same header, same size
        np.save(fh, array)
    with pytest.raises(ValueError, match=r"04_.*_0002\.npy does not match its recorded sha256"):
        TocsyDataset(root, "train")



SHARD = ("import sys; from nmrlib.tocsy.corpus import simulate_dataset; "
         "from nmrlib.core.shards import "
         "parse_shard; simulate_dataset(sys.argv[1], workers=1, progress=False, "
         f"shard=parse_shard(sys.argv[2]), **{DATA!r})")


def test_three_shards_fill_one_folder_bit_identical_to_one_run(tmp_path):
    """Issue 25: shards 1/3 and 2/3 side by side after 0/3, into one folder, give the
    one-machine data set bit for bit; until then the missing shards are named."""
    reference = simulate_dataset(tmp_path / "one", workers=1, progress=False, **DATA)
    shared = tmp_path / "shared"
    first = subprocess.run([sys.executable, "-c", SHARD, str(shared), "0/3"], env=ENV,
                           cwd=ROOT, capture_output=True, text=True, check=True)
    assert "still missing: shard 1/3" in first.stdout and "shard 2/3" in first.stdout
    with pytest.raises(ValueError, match=r"incomplete \(\d+ chunk\(s\) missing"):
        load_manifest(shared)
    pair = [subprocess.Popen([sys.executable, "-c", SHARD, str(shared), f"{i}/3"], env=ENV,
                             cwd=ROOT, stdout=subprocess.DEVNULL) for i in (1, 2)]
    assert [process.wait(timeout=300) for process in pair] == [0, 0]
    assert _files(shared) == _files(reference)
    ref, out = (json.loads((p / "manifest.json").read_text()) for p in (reference, shared))
    assert out["complete"] and out["sha256"] == ref["sha256"]
