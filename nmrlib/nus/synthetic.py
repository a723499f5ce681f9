"""Synthetic training and test FIDs for DLNMR (Qu et al. 2020, Supplement S1.1, Table S1-1).

Signal model (complex, one indirect dimension, ``n`` complex points, t in dwell units)::

    x(t) = sum_{j=1..J} A_j exp(i phi_j) exp(-t / tau_j) exp(i 2 pi f_j t),   t = 0..n-1

with J uniform in 1..10, A_j uniform in [0.05, 1], normalised frequency f_j uniform in
[0.01, 0.99] (cycles per dwell), phase phi_j uniform in [0, 2 pi) and decay time tau_j
uniform in [10, 179.2] dwell units for n = 256. For other lengths tau scales with n
(tau * n / 256), so the lines keep the same width in spectral bins and the same decay
over the acquisition. Each FID is divided by the maximum magnitude of its spectrum, so
``max |fft(x)| = 1``.

Beyond Table S1-1 (a choice, :class:`SignalRanges` ``tau`` and ``tau_log_uniform``): real
indirect dimensions are usually *truncated* -- a 15N or 13C line with T2 of 50-100 ms
has barely decayed after 64-256 increments (tau of 1-4 acquisition lengths), so its
spectrum is a sinc-like truncation pattern that Table S1-1's decays (the FID falls to
< 24 % by the last point) never show. A network trained only on them reconstructs such
signals markedly worse than IST (relative L2 0.30 vs 0.14 at 20 % NUS, 1-5 lines with
tau of 1-4 n). ``python -m nmrlib train-dlnmr --tau 10 1024 --tau-log-uniform`` trains on
both regimes; fine-tuning the committed 5-stage weights that way (3 epochs) did not raise
the real-set R² (methyl +0.001, azithromycin and 13C-15N lower at 10-20 %), so the committed
weights keep Table S1-1's range.

Conventions: spectrum = ``np.fft.fft(fid)`` (no fftshift, no normalisation, no first-point
scaling); a sampling mask is True at acquired complex points; the undersampled FID has
zeros at the other points. Each pair gets its own sine-weighted Poisson-gap schedule
(``nmrlib.nus.schedules.poisson_gap``) with a NUS density drawn uniformly from
``density`` (default 0.08-0.35, wider than the evaluated 10-30 %; the paper does not
state its training densities). Sample ``index`` of split ``split`` is a pure function of
``(seed, split, index)`` (``nmrlib.core.repro.rng``), so data are generated on the fly, in any
order, identically on every machine. With ``extend = k`` a sample runs to k n points with
the schedule on the first n and the decay times still relative to n (training data for
cascades applied to zero-extended FIDs, ``DLNMRConfig.extend``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from nmrlib.core.repro import rng
from nmrlib.nus.schedules import mask_from_schedule, poisson_gap

SPLITS = {"train": 0, "val": 1, "test": 2}
REFERENCE_LENGTH = 256


@dataclass(frozen=True)
class SignalRanges:
    """Table S1-1 parameter ranges (tau in dwell units for a 256-point FID)."""

    peaks: tuple[int, int] = (1, 10)
    amplitude: tuple[float, float] = (0.05, 1.0)
    frequency: tuple[float, float] = (0.01, 0.99)
    tau: tuple[float, float] = (10.0, 179.2)
    phase: tuple[float, float] = (0.0, 2 * np.pi)
    tau_log_uniform: bool = False   # draw tau log-uniformly (wide ranges) instead of uniformly

    def __post_init__(self) -> None:
        lo, hi = self.peaks
        if not 1 <= lo <= hi:
            raise ValueError(f"peaks must satisfy 1 <= low <= high, got {self.peaks}")
        for name in ("amplitude", "frequency", "tau", "phase"):
            lo, hi = getattr(self, name)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
                raise ValueError(f"{name} range must be finite with low <= high, got "
                                 f"{getattr(self, name)}")
        if self.tau[0] <= 0:
            raise ValueError(f"decay times tau must be > 0, got {self.tau}")


def synthetic_fid(n: int, generator: np.random.Generator,
                  ranges: SignalRanges = SignalRanges()) -> np.ndarray:
    """One random noise-free FID of ``n`` complex points, normalised to max |spectrum| = 1."""
    if n < 2:
        raise ValueError(f"FID length must be at least 2 complex points, got {n}")
    j = int(generator.integers(ranges.peaks[0], ranges.peaks[1] + 1))
    amp = generator.uniform(*ranges.amplitude, size=j)
    freq = generator.uniform(*ranges.frequency, size=j)
    if ranges.tau_log_uniform:
        tau = np.exp(generator.uniform(*np.log(ranges.tau), size=j))
    else:
        tau = generator.uniform(*ranges.tau, size=j)
    tau = tau * (n / REFERENCE_LENGTH)
    phase = generator.uniform(*ranges.phase, size=j)
    t = np.arange(n)
    fid = (amp * np.exp(1j * phase))[:, None] * np.exp(
        (-1.0 / tau[:, None] + 2j * np.pi * freq[:, None]) * t
    )
    fid = fid.sum(axis=0)
    return fid / np.max(np.abs(np.fft.fft(fid)))


@dataclass(frozen=True)
class SyntheticNUS:
    """An on-the-fly data set of (undersampled FID, mask, fully sampled FID) triples.

    ``size`` samples of length ``n``; ``density`` the NUS range (fraction of complex
    points, each sample draws its own); ``split`` separates training, validation and
    held-out test data drawn from the same ``seed``.
    """

    n: int = REFERENCE_LENGTH
    size: int = 40_000
    seed: int = 0
    split: str = "train"
    density: tuple[float, float] = (0.08, 0.35)
    ranges: SignalRanges = SignalRanges()
    extend: int = 1     # FIDs run to extend * n points; only the first n can be sampled

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {self.split!r}")
        lo, hi = self.density
        if not 0 < lo <= hi <= 1:
            raise ValueError(f"density range must satisfy 0 < lo <= hi <= 1, got {self.density}")
        if self.size < 1 or self.n < 2:
            raise ValueError("size must be >= 1 and n >= 2")
        if self.extend < 1:
            raise ValueError(f"extend must be a positive integer, got {self.extend}")

    def __len__(self) -> int:
        return self.size

    def sample(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(undersampled FID complex128 (N,), mask bool (N,), full FID complex128 (N,)),
        N = ``extend * n``; the schedule covers the first n points, decay times are
        relative to n whatever ``extend`` is."""
        if not 0 <= index < self.size:
            raise IndexError(f"sample {index} outside data set of size {self.size}")
        generator = rng(self.seed, SPLITS[self.split], index)
        ranges = self.ranges
        if self.extend > 1:
            ranges = replace(ranges, tau=tuple(t / self.extend for t in ranges.tau))
        full = synthetic_fid(self.extend * self.n, generator, ranges)
        density = generator.uniform(*self.density)
        m = min(self.n, max(2, int(round(density * self.n))))
        schedule = poisson_gap(self.n, m, seed=int(generator.integers(2**63 - 1)))
        mask = mask_from_schedule(schedule, self.extend * self.n)
        return np.where(mask, full, 0), mask, full

    def batch(self, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stack :meth:`sample` over ``indices``: arrays of shape (len(indices), n)."""
        parts = [self.sample(int(i)) for i in indices]
        return tuple(np.stack(p) for p in zip(*parts, strict=True))

    def describe(self) -> dict:
        """JSON-ready description (stored in weight sidecars and results)."""
        out = asdict(self)
        out["ranges"] = asdict(self.ranges)
        out["generator"] = "nmrlib.nus.synthetic.SyntheticNUS"
        return out


def synthetic_nd(n_direct: int, indirect: tuple[int, ...], *, n_peaks: int = 20, seed: int = 0,
                 noise: float = 0.0, ranges: SignalRanges = SignalRanges()) -> np.ndarray:
    """A synthetic 2D (one indirect dimension) or 3D (two) data set for evaluation.

    Returns complex traces of shape ``(n_direct, *indirect)``: the direct dimension is
    already "processed" (each peak a Lorentzian of 1-3 points half width at a random
    column), each indirect dimension a complex damped exponential with Table S1-1
    frequency and decay ranges (tau scaled with that dimension's length) and zero phase,
    so that the spectrum (first point halved, FT) is absorptive. With two indirect
    dimensions the time domain is taken as complex in both (no hypercomplex States
    components), a simplification stated wherever it is used. Intensities are scaled to
    a spectral maximum of about 1; ``noise`` adds complex white noise of that sd.
    """
    if len(indirect) not in (1, 2) or n_direct < 1:
        raise ValueError("synthetic_nd needs n_direct >= 1 and one or two indirect sizes")
    gen = rng(seed, 31, len(indirect))
    amp = gen.uniform(*ranges.amplitude, size=n_peaks)
    centre = gen.uniform(0, n_direct - 1, size=n_peaks)
    width = gen.uniform(1.0, 3.0, size=n_peaks)
    cols = np.arange(n_direct)
    direct = amp[:, None] / (1 + ((cols[None] - centre[:, None]) / width[:, None]) ** 2)
    out = np.zeros((n_direct, *indirect), dtype=complex)
    for k in range(n_peaks):
        trace = np.ones((), dtype=complex)
        for n in indirect:
            f = gen.uniform(*ranges.frequency)
            tau = gen.uniform(*ranges.tau) * n / REFERENCE_LENGTH
            t = np.arange(n)
            trace = np.multiply.outer(trace, np.exp((-1.0 / tau + 2j * np.pi * f) * t))
        out += direct[k].reshape(-1, *([1] * len(indirect))) * trace
    scale = np.abs(np.fft.fftn(out, axes=tuple(range(1, out.ndim)))).max()
    out /= scale
    if noise:
        out += noise * (gen.standard_normal(out.shape) + 1j * gen.standard_normal(out.shape))
    return out
