"""Plotting conventions a spectroscopist expects.

* ppm axes decrease left to right (and bottom to top in 2D);
* contour levels are geometric multiples of the noise sigma, negative levels drawn too
  (dashed), and spectra that are compared share identical levels;
* figures are saved as PNG (and nothing else) under the notebook's ``figures_dir``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _quiet_tile_mad(data: np.ndarray, fraction: float) -> float:
    """MAD of the points of the quietest ``fraction`` of tiles (tile medians removed)."""
    tiles = []
    n_rows = max(1, min(16, data.shape[0] // 8))
    for block in np.array_split(data, n_rows, axis=0):
        if data.ndim >= 2:
            tiles.extend(np.array_split(block, max(1, min(16, data.shape[1] // 8)), axis=1))
        else:
            tiles.append(block)
    centred = [(t - np.median(t)).ravel() for t in tiles if t.size]
    mads = np.array([np.median(np.abs(c)) for c in centred])
    keep = np.argsort(mads, kind="stable")[: max(1, int(round(len(mads) * fraction)))]
    return float(np.median(np.abs(np.concatenate([centred[k] for k in keep]))))


def noise_sigma(spectrum: np.ndarray, fraction: float = 0.1) -> float:
    """Robust noise sigma of a real spectrum from its quietest ``fraction`` of tiles.

    The real part is cut into up to 16 tiles along each of its first two axes (at least 8
    points per tile and axis; further axes, e.g. of a batch, stay whole inside each tile);
    each tile's median is removed (baseline offsets and slow peak tails do not count as
    noise) and the MAD of the points of the quietest tiles is taken. Picking the quietest
    tiles biases that MAD low, so it is divided by the same statistic of unit Gaussian noise
    of the same shape (fixed seed, averaged over draws): unbiased on pure noise, not fooled
    by peaks, tails or ridges that fill less than ``1 - fraction`` of the tiles. Returns a
    positive float even for noise-free spectra (floor: 1e-6 of the maximum magnitude).
    """
    data = np.real(np.asarray(spectrum)).astype(float)
    if data.ndim == 0 or data.size == 0:
        raise ValueError(f"noise_sigma needs a non-empty spectrum, got shape {data.shape}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    gen = np.random.default_rng(12345)
    n_cal = int(np.clip(2**18 // data.size, 1, 16))  # calibration draws: more for small data
    calib = np.mean([_quiet_tile_mad(gen.standard_normal(data.shape), fraction)
                     for _ in range(n_cal)])
    sigma = _quiet_tile_mad(data, fraction) / calib
    return max(sigma, 1e-6 * float(np.max(np.abs(data))) or 1e-12)


def contour_levels(
    sigma: float, start: float = 5.0, factor: float = 1.4, n: int = 12
) -> np.ndarray:
    """Positive contour levels ``sigma * start * factor**k``, k = 0..n-1."""
    if sigma <= 0 or start <= 0 or factor <= 1 or n < 1:
        raise ValueError("contour levels need sigma > 0, start > 0, factor > 1 and n >= 1")
    return sigma * start * factor ** np.arange(n)


def ppm_axis(n: int, sw_hz: float, obs_mhz: float, carrier_ppm: float) -> np.ndarray:
    """ppm of the bins of ``np.fft.fftshift(np.fft.fft(x))`` (n points, increasing with index).

    Bin k has frequency (k - n//2) * sw/n Hz relative to the carrier; plot with
    :func:`nmr_axes` so the axis runs from high to low ppm.
    """
    hz = (np.arange(n) - n // 2) * (sw_hz / n)
    return carrier_ppm + hz / obs_mhz


def contour2d(ax, spectrum: np.ndarray, x_ppm: np.ndarray, y_ppm: np.ndarray,
              levels: np.ndarray, *, color: str = "C0", neg_color: str = "C3",
              linewidths: float = 0.6) -> None:
    """Contour a real 2D spectrum (rows = indirect/F1, columns = direct/F2) on ppm axes.

    Positive levels solid, the same levels negated dashed; both axes run from high to low
    ppm (x decreasing to the right, y decreasing upwards).
    """
    data = np.real(spectrum)
    ax.contour(x_ppm, y_ppm, data, levels=np.sort(levels), colors=color, linewidths=linewidths)
    ax.contour(x_ppm, y_ppm, data, levels=np.sort(-levels), colors=neg_color,
               linewidths=linewidths, linestyles="dashed")
    nmr_axes(ax, x_ppm, y_ppm)


def nmr_axes(ax, x_ppm: np.ndarray, y_ppm: np.ndarray | None = None) -> None:
    """Set ppm axes to decrease left to right (and bottom to top when ``y_ppm`` is given)."""
    ax.set_xlim(float(np.max(x_ppm)), float(np.min(x_ppm)))
    ax.set_xlabel("δ (ppm)")
    if y_ppm is not None:
        ax.set_ylim(float(np.max(y_ppm)), float(np.min(y_ppm)))


def savefig(fig, figures_dir: str | Path, name: str, dpi: int = 120) -> Path:
    """Save ``fig`` as ``figures_dir/name.png`` and return the path."""
    path = Path(figures_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def confusion_plot(ax, confusion, labels, *, normalise: bool = True, title: str | None = None):
    """Confusion matrix ``[true, predicted]`` as an image (rows normalised to recall if asked)."""
    cm = np.asarray(confusion, dtype=float)
    if normalise:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalise else None)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
    ax.set_yticks(ticks, labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title, fontsize=9)
    return image
