"""Peak-intensity R^2, slope, RMSE and artefact level on synthetic 2D spectra."""

import numpy as np
import pytest

from nmrlib.core.repro import rng
from nmrlib.nus import metrics


def _spectrum(seed: int = 0, shape=(128, 96), n_peaks: int = 12) -> np.ndarray:
    g = rng(seed, 1)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    spec = np.zeros(shape)
    for _ in range(n_peaks):
        y0, x0 = g.uniform(10, shape[0] - 10), g.uniform(10, shape[1] - 10)
        amp = g.uniform(20, 100) * g.choice([-1, 1])
        spec += amp / (1 + ((yy - y0) / 1.5) ** 2 + ((xx - x0) / 1.5) ** 2)
    return spec + rng(seed, 2).normal(0, 1.0, shape)


def test_identical_spectra_score_one():
    ref = _spectrum()
    out = metrics.peak_intensity_r2(ref, ref.copy(), threshold_sigma=10)
    assert out["r2"] == pytest.approx(1.0)
    assert out["slope"] == pytest.approx(1.0)
    assert out["n_peaks"] >= 8
    assert metrics.rmse(ref, ref) == 0.0
    assert metrics.artefact_level(ref, ref)["rms_sigma"] == 0.0


def test_r2_falls_with_noise():
    ref = _spectrum()
    r2 = [metrics.peak_intensity_r2(ref, ref + rng(0, 3, k).normal(0, level, ref.shape))["r2"]
          for k, level in enumerate([0.0, 5.0, 20.0, 60.0])]
    assert r2[0] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(r2[:-1], r2[1:], strict=True))
    rm = [metrics.rmse(ref, ref + level * rng(0, 4).normal(size=ref.shape)) for level in (1, 3)]
    assert rm[0] < rm[1]


def test_slope_tracks_scaling_and_artefacts_are_measured():
    ref = _spectrum()
    assert metrics.peak_intensity_r2(ref, 0.5 * ref)["slope"] == pytest.approx(0.5)
    noisy = ref + rng(0, 5).normal(0, 4.0, ref.shape)
    art = metrics.artefact_level(ref, noisy)
    assert 3.0 < art["rms_sigma"] < 6.0
    assert set(metrics.evaluate(ref, noisy)) >= {"r2", "slope", "rmse", "artefact_rms"}


def test_peaks_are_picked_at_the_maxima_and_bad_input_raises():
    spec = np.zeros((128, 128))
    spec[10, 12], spec[20, 5] = 50.0, -40.0
    spec += rng(1, 1).normal(0, 1.0, spec.shape)
    peaks = {tuple(p) for p in metrics.pick_peaks(spec, threshold_sigma=10)}
    assert peaks == {(10, 12), (20, 5)}
    with pytest.raises(ValueError, match="shape"):
        metrics.peak_intensity_r2(spec, spec[:-1])
