"""Data-parallel training (issue 25): ``torchrun --nproc_per_node 2`` with Gloo on CPU follows
the one-process run with the same global batch, and only rank 0 writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nmrlib.core.distributed import World, check_batches, share, world_from_env
from nmrlib.tocsy.corpus import simulate_dataset

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "NMRLIB_THREADS": "1"}
for _var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
    ENV.pop(_var, None)
DATA = dict(profile="smoke", n_per_class=10, chunk_size=5, n1=16, n2=16, batch=5,
            selection="in-phase")
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
            "2"]


def _run(launcher: list[str], argv: list[str], out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*launcher, "-m", "nmrlib", *argv, "--results", str(out / "results"),
                           "--checkpoints", str(out / "checkpoints")] if argv[0] == "train"
                          else [*launcher, "-m", "nmrlib", *argv, "--out-dir", str(out)],
                          env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _one_and_two_summaries(argv: list[str], tmp_path: Path) -> tuple[dict, dict]:
    """Run a trainer (``--weights`` into ``tmp_path``) as one process and under torchrun
    with two; both must succeed. Returns their ``summary.json`` (one, two)."""
    one = _run([sys.executable], [*argv, "--weights", str(tmp_path / "one.pt")],
               tmp_path / "one")
    two = _run(TORCHRUN, [*argv, "--weights", str(tmp_path / "two.pt")], tmp_path / "two")
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    ref, par = (json.loads((tmp_path / k / "summary.json").read_text()) for k in ("one", "two"))
    return ref, par


def test_the_world_comes_from_torchrun_variables(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    assert world_from_env() == World()
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert world_from_env() == World(3, 4, 1) and not world_from_env().is_main
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(ValueError, match="rank 4 of 4"):
        world_from_env()


def test_each_rank_takes_a_disjoint_share_of_every_global_batch():
    batch = np.arange(7)
    shares = [share(batch, World(r, 3)) for r in range(3)]
    assert sorted(np.concatenate(shares).tolist()) == batch.tolist()
    check_batches(140, 8, World(1, 2))
    with pytest.raises(ValueError, match="last batch of 1"):
        check_batches(137, 8, World(0, 2))


@pytest.fixture(scope="module")
def tocsy(tmp_path_factory) -> Path:
    return simulate_dataset(tmp_path_factory.mktemp("ddp") / "tocsy", workers=1,
                            progress=False, **DATA)


def test_two_gloo_processes_train_the_classifier_as_one(tocsy, tmp_path):
    argv = ["train", "conv1d-deep_picker", "--data", str(tocsy), "--epochs", "3",
            "--batch-size", "8", "--device", "cpu", "--seeds", "0"]
    one = _run([sys.executable], argv, tmp_path / "one")
    two = _run(TORCHRUN, argv, tmp_path / "two")
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    name = "classification/conv1d-deep_picker.json"
    ref, par = (json.loads((tmp_path / k / "results" / name).read_text())["runs"][0]
                for k in ("one", "two"))
    losses = [[h["train_loss"] for h in run["history"]] for run in (ref, par)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert [h["val_accuracy"] for h in par["history"]] == \
        [h["val_accuracy"] for h in ref["history"]]
    assert par["test"]["accuracy"] == ref["test"]["accuracy"]
    assert json.loads((tmp_path / "two" / "results" / name).read_text())["processes"] == 2
    assert len(list((tmp_path / "two" / "checkpoints").rglob("*.pt"))) == 1


def test_two_gloo_processes_train_dlnmr_as_one(tmp_path):
    """DLNMR has batch norms: on CPU they use the global batch (nmrlib.core.sync_batchnorm)."""
    ref, par = _one_and_two_summaries(["train-dlnmr", "--profile", "smoke", "--epochs", "2"],
                                      tmp_path)
    assert [h["step"] for h in par["history"]] == [h["step"] for h in ref["history"]]
    np.testing.assert_allclose([h["train_loss_ema"] for h in par["history"]],
                               [h["train_loss_ema"] for h in ref["history"]], rtol=1e-4)
    epochs = [[h for h in run["history"] if "epoch" in h] for run in (par, ref)]
    assert len(epochs[0]) == 2
    for key in ("loss", "rel_l2"):
        np.testing.assert_allclose([h[key] for h in epochs[0]], [h[key] for h in epochs[1]],
                                   rtol=1e-4, err_msg=key)
    np.testing.assert_allclose(par["final_val"]["loss"], ref["final_val"]["loss"], rtol=1e-4)
    assert par["complete"] and (tmp_path / "two.pt").is_file()


def test_a_killed_rank_resumes_to_the_weights_of_an_uninterrupted_run(tmp_path):
    """SIGKILL of rank 1 stops the torchrun job; the same command resumes from rank 0's
    checkpoint and ends with the weights of a run that was never interrupted."""
    import signal
    import time

    import torch
    from test_faults import _children

    argv = ["train-dlnmr", "--profile", "smoke", "--size", "2048", "--epochs", "2"]
    reference = _run(TORCHRUN, [*argv, "--weights", str(tmp_path / "ref.pt")], tmp_path / "ref")
    assert reference.returncode == 0, reference.stderr[-2000:]
    out = tmp_path / "cut"
    command = [*TORCHRUN, "-m", "nmrlib", *argv, "--weights", str(tmp_path / "cut.pt"),
               "--out-dir", str(out)]
    job = subprocess.Popen(command, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").is_file() and time.monotonic() < deadline:
        time.sleep(0.02)
    ranks = _children(job.pid)
    assert len(ranks) == 2 and job.poll() is None
    os.kill(max(ranks), signal.SIGKILL)             # the later-started worker: rank 1
    assert job.wait(timeout=120) != 0
    assert not (tmp_path / "cut.pt").exists()
    resumed = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    ref, cut = (torch.load(tmp_path / f"{k}.pt", weights_only=True)["state_dict"]
                for k in ("ref", "cut"))
    for key in ref:
        torch.testing.assert_close(cut[key], ref[key], rtol=1e-5, atol=1e-6, msg=key)


def test_two_gloo_processes_train_the_unrolled_ist_as_one(tmp_path):
    ref, par = _one_and_two_summaries(["train-unrolled", "--profile", "smoke", "--steps", "6"],
                                      tmp_path)
    assert par["processes"] == 2 and [h["step"] for h in par["history"]] == \
        [h["step"] for h in ref["history"]]
    for key in ("val_loss", "train_loss_ema"):
        np.testing.assert_allclose([h.get(key, 0.0) for h in par["history"]],
                                   [h.get(key, 0.0) for h in ref["history"]], rtol=1e-4,
                                   err_msg=key)
