"""NUS reconstruction: LR and IST recover known exponentials; interface; CLI on real data."""

import inspect

import numpy as np
import pytest
import torch

from nmrlib.core.repro import rng
from nmrlib.nus import nmrio, poisson_gap, write_nuslist
from nmrlib.nus.__main__ import main as cli
from nmrlib.nus.reconstruct import METHODS, apply_schedule, expand_sampled, reconstruct

N = 128


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _truth(batch: int = 6, n: int = N, seed: int = 0) -> np.ndarray:
    """Sums of 3 damped complex exponentials per trace (a known, exactly low-rank answer)."""
    g = rng(seed, 7)
    t = np.arange(n)
    out = np.zeros((batch, n), complex)
    for b in range(batch):
        for _ in range(3):
            freq, rate = g.uniform(-0.45, 0.45), g.uniform(1.0, 4.0) / n
            out[b] += g.uniform(0.3, 1.0) * np.exp((2j * np.pi * freq - rate) * t)
    return out.astype(np.complex64)


def _spec(x: np.ndarray) -> np.ndarray:
    return nmrio.process_indirect(x, apod={"off": 0.5, "end": 1.0, "pow": 1.0})


@pytest.mark.parametrize("method,options", [
    ("lr", {"max_iter": 300}),
    ("ist", {}),
    ("ist", {"virtual_echo": True}),
    ("ist", {"algorithm": "irls", "iterations": 30}),
    ("unrolled", {"context": False}),   # unrelated rows: no neighbouring columns to see
])
def test_recovers_exponentials_at_25_percent(method, options):
    truth = _truth()
    fid, mask = apply_schedule(truth, poisson_gap(N, N // 4, seed=3))
    rec = reconstruct(fid, mask, method, **options)
    err = np.linalg.norm(_spec(rec) - _spec(truth)) / np.linalg.norm(_spec(truth))
    zero_filled = np.linalg.norm(_spec(fid) - _spec(truth)) / np.linalg.norm(_spec(truth))
    assert zero_filled > 0.3
    assert err < 0.05, f"{method}: relative spectral error {err:.3f}"
    assert np.allclose(rec[:, mask], truth[:, mask], atol=1e-3)


def test_types_shapes_and_dtypes_are_preserved():
    truth = _truth(batch=3, n=32)
    fid, mask = apply_schedule(truth, poisson_gap(32, 12, seed=0))
    out = reconstruct(fid.astype(np.complex128), mask, "ist", iterations=20)
    assert isinstance(out, np.ndarray) and out.dtype == np.complex128 and out.shape == (3, 32)
    out = reconstruct(torch.from_numpy(fid), torch.from_numpy(mask), "lr", max_iter=5)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.complex64
    per_trace = np.broadcast_to(mask, fid.shape).copy()
    assert reconstruct(fid, per_trace, "ist", iterations=5).shape == fid.shape


def test_lr_fast_svt_matches_exact_and_chunking_is_invisible():
    truth = _truth(batch=4, n=48)
    fid, mask = apply_schedule(truth, poisson_gap(48, 14, seed=1))
    fast = reconstruct(fid, mask, "lr", algorithm="admm", max_iter=60)
    exact = reconstruct(fid, mask, "lr", algorithm="admm", max_iter=60, svd="full")
    chunked = reconstruct(fid, mask, "lr", algorithm="admm", max_iter=60, batch_size=3)
    assert np.abs(fast - exact).max() < 1e-3 * np.abs(truth).max()
    assert np.abs(fast - chunked).max() < 1e-4 * np.abs(truth).max()


def test_bad_method_and_bad_schedules_raise():
    fid = _truth(batch=2, n=16)
    with pytest.raises(ValueError, match="dl, dl10, ist, lr"):
        reconstruct(fid, np.ones(16, bool), "cs")
    assert set(METHODS) == {"lr", "ist", "dl", "dl10", "unrolled"}
    with pytest.raises(ValueError, match="more than the grid"):
        apply_schedule(fid, np.arange(17))
    with pytest.raises(ValueError, match="out of range"):
        apply_schedule(fid, [0, 3, 16])
    with pytest.raises(ValueError, match="duplicated"):
        apply_schedule(fid, [0, 3, 3])
    with pytest.raises(ValueError, match="mask shape"):
        reconstruct(fid, np.ones(8, bool), "ist")
    with pytest.raises(ValueError, match="lists"):
        expand_sampled(fid[:, :3], [0, 5], 16)


@pytest.fixture(scope="module")
def small_nus_file(realdata, tmp_path_factory):
    """The real HDAC NUS .ft1 cut to 24 direct points around its strongest column."""
    src = realdata / "fidnet_hdac_nus"
    ds = nmrio.read_pipe_ft1(src / "hdac_ex.ft1")
    top = int(np.argmax(np.abs(ds.traces).sum(1)))
    lo = max(0, top - 12)
    small = nmrio.Dataset2D(ds.traces[lo:lo + 24], ds.direct_ppm[lo:lo + 24], ds.dic)
    small.dic = dict(ds.dic, FDSIZE=24.0)
    path = tmp_path_factory.mktemp("nus") / "small.ft1"
    nmrio.write_pipe(path, small)
    return path, src / "ss_hdac.out"


@pytest.mark.parametrize("method", ["lr", "ist", "unrolled"])
def test_cli_reconstructs_real_nmrpipe_file(small_nus_file, tmp_path, method):
    path, nuslist = small_nus_file
    out = tmp_path / f"rec_{method}.ft1"
    rc = cli(["reconstruct", "-in", str(path), "-sample", str(nuslist), "-method", method,
              "-out", str(out), "-xN", "192", "-iter", "30"])
    assert rc == 0
    rec, measured = nmrio.read_pipe_ft1(out), nmrio.read_pipe_ft1(path)
    sched = np.loadtxt(nuslist, dtype=int)
    assert rec.traces.shape == (24, 192) and rec.dic["FDF1TDSIZE"] == 192
    assert np.allclose(rec.traces[:, sched], measured.traces, atol=1e-3 * np.abs(
        measured.traces).max())
    unsampled = np.setdiff1d(np.arange(192), sched)
    assert np.abs(rec.traces[:, unsampled]).max() > 0


def test_cli_lr_takes_or_estimates_the_f1_phase(small_nus_file, tmp_path, capsys):
    path, nuslist = small_nus_file
    base = ["reconstruct", "-in", str(path), "-sample", str(nuslist), "-xN", "192",
            "-iter", "20", "-method", "lr"]
    assert cli([*base, "-out", str(tmp_path / "a.ft1")]) == 0
    assert "(estimated from the data)" in capsys.readouterr().out
    assert cli([*base, "-out", str(tmp_path / "b.ft1"), "-p0", "30", "-p1", "0"]) == 0
    assert "F1 phase p0 30.0 p1 0 (given)" in capsys.readouterr().out
    assert cli([*base, "-out", str(tmp_path / "c.ft1"), "-p1", "-180"]) == 0
    assert "no virtual echo (p1 is not 0)" in capsys.readouterr().out
    assert cli([*base, "-out", str(tmp_path / "d.ft1"), "-method", "ist", "-p0", "30"]) == 2
    assert "-p0/-p1 apply to method lr, not ist" in capsys.readouterr().err


def test_cli_and_api_default_to_unrolled(small_nus_file, tmp_path, capsys):
    """The method a user gets without -method is the learned unrolled IST (issue 23)."""
    path, nuslist = small_nus_file
    out = tmp_path / "u.ft1"
    assert cli(["reconstruct", "-in", str(path), "-sample", str(nuslist), "-xN", "192",
                "-out", str(out), "-iter", "5"]) == 0
    assert "unrolled" in capsys.readouterr().out
    assert inspect.signature(reconstruct).parameters["method"].default == "unrolled"


def test_cli_rejects_bad_schedules(small_nus_file, tmp_path, capsys):
    path, nuslist = small_nus_file
    sched = np.loadtxt(nuslist, dtype=int)
    cases = {"dup": np.r_[sched[:-1], sched[-2]], "short": sched[:-1],
             "range": np.r_[sched[:-1], 500]}
    for name, bad in cases.items():
        write_nuslist(tmp_path / name, bad)
        argv = ["reconstruct", "-in", str(path), "-sample", str(tmp_path / name),
                "-method", "ist", "-out", str(tmp_path / "x.ft1"), "-xN", "192"]
        assert cli(argv) == 2, name
    err = capsys.readouterr().err
    assert "duplicated" in err and "pre-expanded" in err and "out of range" in err
