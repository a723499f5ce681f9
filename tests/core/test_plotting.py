"""Tests of nmrlib.core.plotting.noise_sigma: unbiased on noise, robust to sparse peaks."""

import numpy as np
import pytest

from nmrlib.core.plotting import noise_sigma
from nmrlib.core.repro import rng


@pytest.mark.parametrize("shape", [(64, 64), (256, 256)])
def test_noise_sigma_is_unbiased_on_pure_noise(shape):
    est = [noise_sigma(rng(7, k).normal(0, 3.0, shape)) for k in range(5)]
    assert np.mean(est) == pytest.approx(3.0, rel=0.05)
    assert all(abs(e / 3.0 - 1) < 0.08 for e in est)


def test_noise_sigma_ignores_sparse_strong_peaks():
    spec = rng(7, 99).normal(0, 2.0, (256, 256))
    gen = rng(7, 100)
    rows, cols = gen.integers(0, 256, 40), gen.integers(0, 256, 40)
    for r, c in zip(rows, cols, strict=True):  # 40 peaks, 5x5 points each, +-1000 sigma
        spec[max(0, r - 2):r + 3, max(0, c - 2):c + 3] += gen.choice([-1, 1]) * 2000.0
    assert noise_sigma(spec) == pytest.approx(2.0, rel=0.05)
    assert noise_sigma(spec + 1j * 1e6) == pytest.approx(2.0, rel=0.05)  # real part only


def test_noise_sigma_is_positive_without_noise():
    assert noise_sigma(np.zeros((8, 8))) > 0
    assert noise_sigma(np.pad(np.ones((2, 2)), 10)) > 0
