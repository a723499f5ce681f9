"""Synthetic DLNMR training data (Supplement S1.1, Table S1-1)."""

from __future__ import annotations

import numpy as np
import pytest

from nmrlib.core.repro import rng
from nmrlib.nus.synthetic import SignalRanges, SyntheticNUS, synthetic_fid


def test_spectrum_normalised_to_unit_maximum():
    for n in (64, 166, 256):
        fid = synthetic_fid(n, rng(0, n))
        assert fid.shape == (n,) and np.iscomplexobj(fid)
        assert np.max(np.abs(np.fft.fft(fid))) == pytest.approx(1.0)


def test_single_peak_matches_the_signal_model():
    ranges = SignalRanges(peaks=(1, 1), amplitude=(0.5, 0.5), frequency=(0.25, 0.25),
                          tau=(40.0, 40.0), phase=(0.0, 0.0))
    fid = synthetic_fid(128, rng(1), ranges)
    t = np.arange(128)
    model = np.exp(-t / 20.0 + 2j * np.pi * 0.25 * t)  # tau scales with n: 40 * 128/256
    assert np.allclose(fid / fid[0], model)
    assert np.argmax(np.abs(np.fft.fft(fid))) == 32  # f = 0.25 -> bin n/4


def test_samples_are_deterministic_per_index_and_split():
    data = SyntheticNUS(n=64, size=10, seed=3)
    a, b = data.sample(7), data.sample(7)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    other = SyntheticNUS(n=64, size=10, seed=3, split="test").sample(7)
    assert not np.allclose(a[2], other[2])
    assert not np.allclose(data.sample(6)[2], a[2])


def test_undersampled_fid_and_schedule():
    data = SyntheticNUS(n=256, size=50, seed=0, density=(0.1, 0.3))
    y, mask, full = data.batch(range(50))
    assert y.shape == mask.shape == full.shape == (50, 256)
    assert mask[:, 0].all(), "Poisson-gap schedules contain t = 0"
    frac = mask.mean(axis=1)
    assert frac.min() >= 0.1 - 1 / 256 and frac.max() <= 0.3 + 1 / 256
    assert np.array_equal(y[mask], full[mask]) and not np.any(y[~mask])
    assert len({tuple(np.flatnonzero(row)) for row in mask}) == 50, "one schedule per pair"


def test_extended_samples_continue_the_same_signal_past_the_schedule():
    plain = SyntheticNUS(n=64, size=4, seed=5)
    longer = SyntheticNUS(n=64, size=4, seed=5, extend=2)
    for i in range(4):
        y, mask, full = plain.sample(i)
        y2, mask2, full2 = longer.sample(i)
        assert y2.shape == mask2.shape == full2.shape == (128,)
        assert np.array_equal(mask2[:64], mask) and not mask2[64:].any()
        ratio = full2[:64] / full  # same lines, same decay per point; another normalisation
        assert np.allclose(ratio, ratio[0])
        assert np.max(np.abs(np.fft.fft(full2))) == pytest.approx(1.0)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="split"):
        SyntheticNUS(split="dev")
    with pytest.raises(ValueError, match="density"):
        SyntheticNUS(density=(0.3, 0.1))
    with pytest.raises(IndexError):
        SyntheticNUS(size=3).sample(3)
    with pytest.raises(ValueError, match="extend"):
        SyntheticNUS(extend=0)
    with pytest.raises(ValueError, match="length"):
        synthetic_fid(1, rng(0))


def test_synthetic_2d_and_3d_sets():
    from nmrlib.nus.synthetic import synthetic_nd

    two = synthetic_nd(32, (64,), n_peaks=5, seed=1)
    assert two.shape == (32, 64) and np.iscomplexobj(two)
    assert np.abs(np.fft.fft(two, axis=1)).max() == pytest.approx(1.0)
    three = synthetic_nd(8, (16, 12), n_peaks=3, seed=1, noise=1e-3)
    assert three.shape == (8, 16, 12)
    assert np.array_equal(three, synthetic_nd(8, (16, 12), n_peaks=3, seed=1, noise=1e-3))
    with pytest.raises(ValueError):
        synthetic_nd(8, (4, 4, 4))


def test_log_uniform_tau_spans_the_widened_range():
    ranges = SignalRanges(peaks=(1, 1), amplitude=(1.0, 1.0), tau=(10.0, 1024.0),
                          tau_log_uniform=True)
    decays = []
    for seed in range(200):
        fid = synthetic_fid(256, rng(seed), ranges)
        decays.append(abs(fid[-1]) / abs(fid[0]))      # exp(-255 / tau)
    tau = -255.0 / np.log(np.asarray(decays))
    assert 10.0 <= tau.min() < 20.0 and 600.0 < tau.max() <= 1024.0
    assert np.mean(tau < 101.0) == pytest.approx(0.5, abs=0.12)   # median sqrt(10 * 1024)
