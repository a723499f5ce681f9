"""LR's data-driven per-trace rank caps (``max_rank="noise"``, :mod:`nmrlib.nus.lrrank`)."""

import numpy as np
import pytest
import torch

from nmrlib.core.repro import rng
from nmrlib.nus.hankel import HankelOp, echo_extend
from nmrlib.nus.lowrank import reconstruct_lr
from nmrlib.nus.lrrank import RankCaps, groups, noise_level
from nmrlib.nus.reconstruct import apply_schedule
from nmrlib.nus.schedules import points_for_density, poisson_gap

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _batch(n: int = 96, density: float = 0.2, noise: float = 0.02, seed: int = 0):
    """Two traces of 3 undamped-ish exponentials and two of pure noise (sd ``noise``),
    sampled by one Poisson-gap schedule: (fid, mask, truth)."""
    g = rng(seed, 9)
    t = np.arange(n)
    truth = np.zeros((4, n), complex)
    for b in range(2):
        for _ in range(3):
            truth[b] += g.uniform(0.3, 1.0) * np.exp((2j * np.pi * g.uniform(-0.5, 0.5)
                                                      - 1.0 / g.uniform(50, 200)) * t)
    data = truth + noise * (g.standard_normal(truth.shape) + 1j * g.standard_normal(truth.shape))
    fid, mask = apply_schedule(data, poisson_gap(n, points_for_density(n, density), seed=1))
    return torch.from_numpy(fid.astype(np.complex64)), torch.from_numpy(mask), truth


def test_auto_is_the_batch_cap_and_noise_caps_are_deterministic():
    fid, mask, _ = _batch()
    measured = 2 * int(mask.sum()) - int(mask[0])          # on the echo: 2m - 1 points
    old = reconstruct_lr(fid, mask, p0=0.0)
    assert torch.equal(old, reconstruct_lr(fid, mask, p0=0.0, max_rank=measured))
    noise = reconstruct_lr(fid, mask, p0=0.0, max_rank="noise")
    assert torch.equal(noise, reconstruct_lr(fid, mask, p0=0.0, max_rank="noise"))
    assert not torch.equal(noise, old)


def test_noise_caps_stay_close_to_the_batch_cap():
    fid, mask, truth = _batch()
    t = torch.from_numpy(truth[:2].astype(np.complex64))
    errs = [float(torch.linalg.vector_norm(x[:2] - t) / torch.linalg.vector_norm(t))
            for x in (reconstruct_lr(fid, mask, p0=0.0, max_rank=r) for r in ("auto", "noise"))]
    assert errs[1] <= errs[0] + 0.01, errs


def test_noise_bar_is_the_noise_top_singular_value():
    """On pure-noise traces the bar (kappa = 1) is about the largest singular value of the
    echo's Hankel matrix of that noise."""
    fid, mask, _ = _batch(noise=0.05, seed=2)
    y, m = fid[2:] / fid[2:].abs().amax(-1, keepdim=True), mask.expand(2, -1)
    rows = y.shape[-1]
    bar = noise_level(y, m, rows, echo=True, p0=0.0, kappa=1.0).squeeze(-1)
    top = HankelOp(echo_extend(y, m)[0], rows).norm()
    assert torch.all((bar / top > 0.4) & (bar / top < 2.5)), bar / top


def _caps(level: float, caps: int | None = None) -> RankCaps:
    out = RankCaps(torch.tensor([40]), torch.tensor([[level]]), per_component=2, offset=4,
                   step=8)
    if caps is not None:
        out.caps, out.fixed = torch.tensor([caps]), torch.tensor([True])
    return out


SIG = (torch.arange(1, 41, dtype=torch.float64) / 4.0).unsqueeze(0)   # 0.25 .. 10 ascending


def _apply(caps: RankCaps, thresh: float) -> torch.Tensor:
    return caps.apply(SIG, (SIG > thresh).double(), torch.tensor([[thresh]]))


def test_cap_is_fixed_when_the_threshold_reaches_the_bar():
    above = _caps(level=9.0)
    _apply(above, 9.5)                        # threshold still above the bar: not fixed
    assert above.caps.tolist() == [40] and not bool(above.fixed.any())
    kept = _apply(above, 8.9)                 # 5 values above: cap 2 x 5 + 4
    assert above.fixed.tolist() == [True] and above.caps.tolist() == [14]
    assert int((kept > 0).sum()) == 5


def test_cap_truncates_noise_and_grows_for_signal():
    noise = _caps(level=9.0, caps=14)         # the 14th largest (6.75) is below the bar
    kept = _apply(noise, 0.5)
    assert noise.caps.tolist() == [14] and int((kept > 0).sum()) == 14
    assert torch.equal(kept[0, -14:], torch.ones(14, dtype=torch.float64))
    signal = _caps(level=1.0, caps=14)        # ... above this bar: more components
    _apply(signal, 0.5)
    assert signal.caps.tolist() == [22] and signal.changed
    full = _caps(level=1.0, caps=40)          # never above the hard cap
    _apply(full, 0.5)
    assert full.caps.tolist() == [40]


def test_groups_split_small_caps_from_large_ones():
    caps = torch.tensor([8] * 30 + [64] * 2)
    split = groups(caps, group_cost=64.0)
    assert [len(g) for g in split] == [30, 2]
    assert torch.equal(torch.sort(torch.cat(split)).values, torch.arange(32))
    assert len(groups(torch.tensor([8, 9, 10]), group_cost=64.0)) == 1
    assert len(groups(torch.tensor([20] * 5))) == 1


@pytest.mark.parametrize("bad", [-1, 2.5, "all", True])
def test_bad_max_rank_raises(bad):
    fid, mask, _ = _batch()
    with pytest.raises(ValueError, match="max_rank"):
        reconstruct_lr(fid, mask, p0=0.0, max_rank=bad)
