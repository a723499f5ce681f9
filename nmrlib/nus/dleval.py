"""Evaluation helpers for DLNMR against LR and IST (paper 2, Fig. 2d, Fig. 5, Tables S3).

* Spectra of synthetic sets: the indirect traces' first point is halved, then
  ``fftshift(fft)`` along t1; the real part, rows = F1, columns = F2. Real sets use the
  NUS toolkit's own processing (``nmrlib.nus.nmrio``).
* R² vs NUS: for every NUS level and schedule seed, one Poisson-gap schedule for all
  columns (as in a real 2D NUS experiment), reconstruction by each method through
  ``nmrlib.nus.reconstruct.reconstruct``, peak-intensity R² against the fully sampled
  spectrum (``nmrlib.nus.metrics.peak_intensity_r2``, peaks picked on the reference).
* Time per spectrum: wall clock of one ``reconstruct`` call on the whole set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from tqdm.auto import tqdm

from nmrlib.nus.schedules import mask_from_schedule, points_for_density
from nmrlib.nus.studies import ReferenceSet, score_schedule
from nmrlib.nus.synthetic import synthetic_nd


def synthetic_spectrum(traces: np.ndarray) -> np.ndarray:
    """Real spectrum (n1, n_direct) of (n_direct, n1) traces: first point halved, FT, shift."""
    x = np.array(traces, dtype=complex)
    x[..., 0] *= 0.5
    return np.real(np.fft.fftshift(np.fft.fft(x, axis=-1), axes=-1)).T


def synthetic_set(n_direct: int = 128, n_indirect: int = 256, *, seed: int = 0,
                  n_peaks: int = 20, noise: float = 2e-4) -> ReferenceSet:
    """A held-out synthetic 2D set (``synthetic_nd``); axes: F2 0-10 "ppm", F1 cycles/dwell."""
    fid = synthetic_nd(n_direct, (n_indirect,), n_peaks=n_peaks, seed=seed, noise=noise)
    return ReferenceSet(f"synthetic {seed}", fid, synthetic_spectrum,
                        x_ppm=np.linspace(0.0, 10.0, n_direct),
                        y_ppm=np.fft.fftshift(np.fft.fftfreq(n_indirect)))


def load_real_set(key: str, name: str | None = None) -> ReferenceSet:
    """A real fully sampled 2D set of ``nmrlib.core.realdata.REGISTRY``, by its registry name.

    The set is fetched (cache, offline mirror or its original URL; every file checked by
    sha256) and read and processed by ``nmrlib.nus.nmrio.read_known`` with its own settings.
    ``name`` labels it (default: the entry's ``label``).
    """
    from nmrlib.core.realdata import entry
    from nmrlib.nus.nmrio import indirect_ppm, process_indirect, read_known

    label = name or entry(key)["label"]
    ds, process = read_known(key)

    def to_spectrum(traces: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(process_indirect(traces, **process).T)

    return ReferenceSet(label, np.asarray(ds.traces), to_spectrum, np.asarray(ds.direct_ppm),
                        np.asarray(indirect_ppm(ds, process["size"])))


def lr_options_for(key: str, lr_options: dict) -> dict:
    """``lr_options`` for the real set ``key`` (a registry name): with ``virtual_echo`` the
    set's own F1 phase ``p0`` (degrees, from ``nmrlib.nus.nmrio.read_known``) is added, which
    the echo needs."""
    if not lr_options.get("virtual_echo"):
        return dict(lr_options)
    from nmrlib.nus.nmrio import read_known

    return dict(lr_options, p0=read_known(key)[1]["p0"])


def peak_window(data: ReferenceSet, columns: int | None,
                threshold_sigma: float = 10.0) -> ReferenceSet:
    """The contiguous window of ``columns`` F2 columns of ``data`` holding the most peaks.

    Peaks are picked on the reference (``pick_peaks`` at ``threshold_sigma``); ties go to
    the stronger window. Repeated reconstructions of the window are cheaper, and the R² is
    computed on the peaks in it. Counting peaks rather than intensity keeps the window on
    the crowded region a spectroscopist cares about instead of one strong singlet (the
    methyl set's unlabelled compound at 2.07 ppm). ``columns`` None, 0 or at least the
    number of columns: ``data`` itself.
    """
    from nmrlib.nus.metrics import pick_peaks

    if not columns or columns >= data.fid.shape[0]:
        return data
    spectrum = data.reference
    picked = pick_peaks(spectrum, threshold_sigma=threshold_sigma)[:, 1]
    count = np.bincount(picked, minlength=spectrum.shape[1]).astype(float)
    strength = np.abs(spectrum).max(axis=0)
    score = count + strength / (strength.sum() + 1e-300)  # < 1: breaks ties only
    start = int(np.argmax(np.convolve(score, np.ones(columns), mode="valid")))
    cut = slice(start, start + columns)
    return ReferenceSet(data.name, data.fid[cut], data.to_spectrum, data.x_ppm[cut],
                        data.y_ppm)


def ist_2d(fid: np.ndarray, mask: np.ndarray, *, iterations: int = 400, i_mult: float = 0.98,
           zf: int = 2, device: str = "cpu") -> np.ndarray:
    """hmsIST over two indirect dimensions at once (3D data, 2D schedule).

    The same algorithm as ``nmrlib.nus.ist`` (threshold falling linearly from
    ``i_mult * max|F y|`` to 0, unitary FFT, zero filling ``zf`` in each dimension), with
    a 2D FFT over (t1, t2); ``fid`` (batch, n1, n2) complex, ``mask`` (n1, n2). Measured
    points are put back.
    """
    import torch

    from nmrlib.nus.ist import soft_threshold

    y = torch.from_numpy(np.asarray(fid * mask, dtype=np.complex128)).to(device)
    m = torch.from_numpy(np.asarray(mask, dtype=bool)).to(device)
    n1, n2 = m.shape
    size = (zf * n1, zf * n2)
    spec = torch.fft.fftn(y, s=size, dim=(-2, -1), norm="ortho")
    thr0 = i_mult * spec.abs().amax(dim=(-2, -1), keepdim=True)
    x = torch.zeros_like(spec)
    for k in range(iterations):
        back = torch.fft.ifftn(x, dim=(-2, -1), norm="ortho")[..., :n1, :n2]
        x = x + torch.fft.fftn(y - m * back, s=size, dim=(-2, -1), norm="ortho")
        x = soft_threshold(x, thr0 * (1.0 - k / iterations))
    out = torch.fft.ifftn(x, dim=(-2, -1), norm="ortho")[..., :n1, :n2]
    return torch.where(m, y, out).cpu().numpy()


def spectrum_3d(traces: np.ndarray) -> np.ndarray:
    """Real (batch, F1, F2) spectrum of (batch, n1, n2) traces: first points halved, 2D FT."""
    x = np.array(traces, dtype=complex)
    x[:, 0, :] *= 0.5
    x[:, :, 0] *= 0.5
    return np.real(np.fft.fftshift(np.fft.fft2(x), axes=(1, 2)))


def r2_vs_nus_3d(shape: Sequence[int], methods: dict[str, Callable], levels: Sequence[float],
                 n_schedules: int, *, seed: int = 0, threshold_sigma: float = 10.0) -> dict:
    """R² and seconds of 3D reconstructions on the synthetic 3D set, per method and level.

    ``shape`` = (F2 columns, n1, n2) of ``synthetic_nd`` (20 peaks, noise 2e-4, seed
    20,000 + ``seed``); ``methods`` maps a name to ``f(fid, mask) -> full fid``; the
    schedules are 2D Poisson-gap (seeds ``seed`` + k), the same for every method.
    Returns ``{method: {level: {"r2": [...], "seconds": [...]}}}``.
    """
    from nmrlib.nus.schedules import poisson_gap_2d

    indirect = tuple(int(n) for n in shape[1:])
    full = synthetic_nd(int(shape[0]), indirect, n_peaks=20, seed=20_000 + seed, noise=2e-4)
    reference = spectrum_3d(full)
    out = {m: {lv: {"r2": [], "seconds": []} for lv in levels} for m in methods}
    with tqdm(total=len(levels) * n_schedules * len(methods), desc="R² vs NUS: 3D",
              leave=False) as bar:
        for level in levels:
            m_points = points_for_density(indirect[0] * indirect[1], level)
            for k in range(n_schedules):
                mask = mask_from_schedule(poisson_gap_2d(indirect, m_points, seed=seed + k),
                                          indirect)
                for name, method in methods.items():
                    _, score, seconds = score_schedule(full, mask, reference, spectrum_3d,
                                                       method, threshold_sigma=threshold_sigma)
                    out[name][level]["seconds"].append(seconds)
                    out[name][level]["r2"].append(float(score["r2"]))
                    bar.update(1)
    return out
