"""Quality metrics of a reconstructed spectrum against a fully sampled reference.

All functions take real spectra of equal shape (1D or 2D) and compare them point by point.
Peaks are picked on the reference only (local extrema of |reference| above
``threshold_sigma`` times its noise sigma, :func:`nmrlib.core.plotting.noise_sigma`), so
every method is judged at the same positions. Qu et al. (DLNMR) judge a reconstruction by
the squared Pearson correlation R^2 of the peak intensities (reconstruction vs reference);
``slope`` is the least-squares slope of that regression (1 = intensities preserved).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "densest_window",
    "pick_peaks", "peak_intensity_r2", "rmse", "artefact_level", "signal_free_mask", "evaluate",
]


def _pair(reference, test) -> tuple[np.ndarray, np.ndarray]:
    ref = np.real(np.asarray(reference, dtype=float))
    tst = np.real(np.asarray(test, dtype=float))
    if ref.shape != tst.shape:
        raise ValueError(f"spectra differ in shape: {ref.shape} vs {tst.shape}")
    return ref, tst


def _sigma(spectrum: np.ndarray, sigma: float | None) -> float:
    from nmrlib.core.plotting import noise_sigma

    return float(sigma) if sigma else noise_sigma(spectrum)


def pick_peaks(spectrum, *, threshold_sigma: float = 10.0, sigma: float | None = None,
               size: int = 3) -> np.ndarray:
    """Indices (k, ndim) of local maxima of |spectrum| in a ``size``-wide neighbourhood
    above ``threshold_sigma`` x noise sigma (positive and negative peaks)."""
    from scipy.ndimage import maximum_filter

    data = np.abs(np.real(np.asarray(spectrum, dtype=float)))
    level = threshold_sigma * _sigma(spectrum, sigma)
    peaks = (data == maximum_filter(data, size=size, mode="nearest")) & (data > level)
    return np.argwhere(peaks)


def densest_window(spectrum, columns: int | None, *, axis: int, threshold_sigma: float = 10.0,
                   sigma: float | None = None, tie_break: bool = False) -> slice:
    """The contiguous ``columns`` indices along ``axis`` of a 2D ``spectrum`` holding the
    most picked peaks (:func:`pick_peaks` at ``threshold_sigma``); the whole axis when
    ``columns`` is None, 0 or at least its length. With ``tie_break`` equal counts go to the
    window with the larger summed column maxima (a term below 1 added to each count).

    >>> spec = np.zeros((4, 8)); spec[1, 5] = spec[2, 6] = 100.0; spec[0, 0] = 1.0
    >>> densest_window(spec, 3, axis=1, sigma=1.0)
    slice(4, 7, None)
    """
    n = spectrum.shape[axis]
    if not columns or columns >= n:
        return slice(0, n)
    peaks = pick_peaks(spectrum, threshold_sigma=threshold_sigma, sigma=sigma)
    score = np.bincount(peaks[:, axis], minlength=n).astype(float)
    if tie_break:
        strength = np.abs(spectrum).max(axis=1 - axis)
        score = score + strength / (strength.sum() + 1e-300)
    start = int(np.argmax(np.convolve(score, np.ones(columns), mode="valid")))
    return slice(start, start + columns)


def peak_intensity_r2(reference_spectrum, test_spectrum, *, threshold_sigma: float = 10.0,
                      sigma: float | None = None, peaks: np.ndarray | None = None) -> dict:
    """Peak-intensity correlation: ``dict(r2, slope, n_peaks)``.

    ``r2`` is the squared Pearson correlation of the test intensities with the reference
    intensities at the reference's peaks; ``slope`` the least-squares slope of test on
    reference. Fewer than 2 peaks give NaN.
    """
    ref, tst = _pair(reference_spectrum, test_spectrum)
    if peaks is None:
        peaks = pick_peaks(ref, threshold_sigma=threshold_sigma, sigma=sigma)
    idx = tuple(np.asarray(peaks).T)
    x, y = ref[idx], tst[idx]
    if len(x) < 2 or np.ptp(x) == 0:
        return {"r2": float("nan"), "slope": float("nan"), "n_peaks": int(len(x))}
    xc, yc = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((xc**2).sum() * (yc**2).sum()))
    r = float((xc * yc).sum()) / denom if denom > 0 else 0.0
    slope = float((xc * yc).sum() / (xc**2).sum())
    return {"r2": r * r, "slope": slope, "n_peaks": int(len(x))}


def relative_l2(estimate, target, axis: int = -1) -> np.ndarray:
    """Per-trace relative L2 error ``||estimate - target|| / ||target||`` along ``axis``.

    >>> relative_l2(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]])).tolist()
    [1.0]
    """
    target = np.asarray(target)
    return (np.linalg.norm(np.asarray(estimate) - target, axis=axis)
            / np.linalg.norm(target, axis=axis))


def rmse(reference_spectrum, test_spectrum, *, relative: bool = True) -> float:
    """Root-mean-square difference (relative to max|reference| when ``relative``)."""
    ref, tst = _pair(reference_spectrum, test_spectrum)
    value = float(np.sqrt(np.mean((tst - ref) ** 2)))
    return value / float(np.max(np.abs(ref)) or 1.0) if relative else value


def signal_free_mask(reference_spectrum, *, threshold_sigma: float = 5.0,
                     sigma: float | None = None, guard: int = 3) -> np.ndarray:
    """True where the reference is below ``threshold_sigma`` sigma, ``guard`` points away
    from any point above it (the signal-free region)."""
    from scipy.ndimage import binary_dilation

    ref = np.real(np.asarray(reference_spectrum, dtype=float))
    signal = np.abs(ref) > threshold_sigma * _sigma(ref, sigma)
    if guard:
        signal = binary_dilation(signal, iterations=guard)
    return ~signal


def artefact_level(reference_spectrum, test_spectrum, *, threshold_sigma: float = 5.0,
                   sigma: float | None = None, guard: int = 3) -> dict:
    """Artefacts in the reference's signal-free region: ``dict(rms, max, rms_sigma)``.

    ``rms``/``max``: rms and max |test| there, relative to max|reference|; ``rms_sigma``:
    rms of (test - reference) there in units of the reference noise sigma (1 = only noise).
    """
    ref, tst = _pair(reference_spectrum, test_spectrum)
    sig = _sigma(ref, sigma)
    free = signal_free_mask(ref, threshold_sigma=threshold_sigma, sigma=sig, guard=guard)
    if not free.any():
        raise ValueError("no signal-free region: lower threshold_sigma or guard")
    top = float(np.max(np.abs(ref)) or 1.0)
    return {
        "rms": float(np.sqrt(np.mean(tst[free] ** 2))) / top,
        "max": float(np.max(np.abs(tst[free]))) / top,
        "rms_sigma": float(np.sqrt(np.mean((tst[free] - ref[free]) ** 2))) / sig,
    }


def evaluate(reference_spectrum, test_spectrum, *, threshold_sigma: float = 10.0,
             sigma: float | None = None) -> dict:
    """All metrics in one dict: r2, slope, n_peaks, rmse, artefact_rms, artefact_max."""
    sig = _sigma(reference_spectrum, sigma)
    out = peak_intensity_r2(reference_spectrum, test_spectrum, threshold_sigma=threshold_sigma,
                            sigma=sig)
    out["rmse"] = rmse(reference_spectrum, test_spectrum)
    art = artefact_level(reference_spectrum, test_spectrum, sigma=sig)
    out.update(artefact_rms=art["rms"], artefact_max=art["max"])
    return out
