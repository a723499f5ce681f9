"""Studies over NUS schedules: peak-intensity R² against NUS level (the paper's protocol,
Qu et al. Fig. 4), with the same schedules for every method.

Conventions: densities are fractions of the complex indirect points; schedule ``k`` at
density index ``i`` is the Poisson-gap schedule seeded ``rng(seed, i, k)``; R² is
:func:`nmrlib.nus.metrics.peak_intensity_r2` on peaks picked once on the reference.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from nmrlib.core.plotting import contour_levels, noise_sigma
from nmrlib.nus.schedules import mask_from_schedule, points_for_density, poisson_gap

ZERO_FILLED = "zero-filled"   # the no-reconstruction baseline every study includes


@dataclass
class ReferenceSet:
    """A fully sampled 2D set: indirect time domain + how to turn it into a spectrum."""

    name: str
    fid: np.ndarray  # (n_direct, n_indirect) complex, direct dimension processed
    to_spectrum: Callable[[np.ndarray], np.ndarray]  # traces -> real (F1, F2) spectrum
    x_ppm: np.ndarray  # direct (F2) axis of the spectrum
    y_ppm: np.ndarray  # indirect (F1) axis of the spectrum
    reference: np.ndarray = field(init=False)
    levels: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.fid.ndim != 2 or not np.iscomplexobj(self.fid):
            raise ValueError(f"{self.name}: fid must be complex (n_direct, n_indirect), got "
                             f"{self.fid.dtype} {self.fid.shape}")
        self.reference = np.real(self.to_spectrum(self.fid))
        if self.reference.shape != (len(self.y_ppm), len(self.x_ppm)):
            raise ValueError(f"{self.name}: spectrum shape {self.reference.shape} does not "
                             f"match the ppm axes ({len(self.y_ppm)}, {len(self.x_ppm)})")
        self.levels = contour_levels(noise_sigma(self.reference), start=8)


def with_f1_phase(methods: dict, p0: float) -> dict:
    """``{label: (method, options)}`` with the F1 zero-order phase ``p0`` (degrees,
    NMRPipe's convention) added to the options of every method that uses the virtual echo,
    which needs the phased trace; the others unchanged.

    >>> with_f1_phase({"lr": ("lr", {"virtual_echo": True}), "ist": ("ist", {})}, -90.0)
    {'lr': ('lr', {'virtual_echo': True, 'p0': -90.0}), 'ist': ('ist', {})}
    """
    return {label: (method, dict(opts, p0=p0) if opts.get("virtual_echo") else opts)
            for label, (method, opts) in methods.items()}


# The code behind a study's numbers: a resumed study must have been written by the same
# reconstruction and scoring code, not only with the same data and options.
STUDY_CODE = tuple(f"nus/{name}.py" for name in (
    "studies", "metrics", "reconstruct", "ist", "lowrank", "hankel", "lrauto", "dlnmr",
    "unrolled")) + ("data/dlnmr_5stage.pt", "data/dlnmr_10stage.pt", "data/unrolled_ist.pt")


def _fingerprint(reference, traces, peaks, seed, methods, process) -> str:
    """sha256 of everything a resumed R² study must share with the run that wrote it:
    the data, peaks, seed, methods and processing, and the code (:data:`STUDY_CODE`)."""
    from nmrlib.core.repro import source_fingerprint

    digest = hashlib.sha256()
    for array in (reference, traces, peaks):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps([seed, methods, process], sort_keys=True, default=str).encode())
    digest.update(source_fingerprint(STUDY_CODE).encode())
    return digest.hexdigest()


def _strongest_columns(reference: np.ndarray, peaks: np.ndarray, max_columns: int) -> np.ndarray:
    """``peaks`` (k, 2) in the ``max_columns`` direct columns of the strongest peaks (all of
    them when ``max_columns`` is 0)."""
    if not max_columns or max_columns <= 0:
        return peaks
    order = np.argsort(-np.abs(reference[tuple(peaks.T)]))
    keep_cols: list[int] = []
    for col in peaks[order, 0]:
        if col not in keep_cols:
            keep_cols.append(int(col))
        if len(keep_cols) == max_columns:
            break
    return peaks[np.isin(peaks[:, 0], keep_cols)]


def retrospective_r2(
    traces: np.ndarray,
    reference: np.ndarray,
    *,
    process: dict,
    densities=(0.10, 0.15, 0.20, 0.25, 0.30),
    n_schedules: int = 100,
    methods: dict | None = None,
    threshold_sigma: float = 10.0,
    max_columns: int = 0,
    seed: int = 0,
    checkpoint: str | None = None,
    progress: bool = True,
) -> dict:
    """Peak-intensity R^2 of retrospective Poisson-gap NUS over many schedules (paper protocol).

    ``traces`` (n_direct, n) fully sampled indirect time domain; ``reference`` the real
    spectrum ``process_indirect(traces, **process)`` (n_direct, size). Peaks are picked on
    it once (``threshold_sigma``). Only the direct-dimension columns that hold peaks are
    reconstructed -- every method treats columns independently (LR normalises each trace
    by itself), so this equals reconstructing the whole spectrum; ``max_columns`` > 0 keeps the
    columns of the strongest peaks only (fewer peaks, faster). ``methods`` maps a name to
    ``(method, options)``; ``"zero-filled"`` (no reconstruction) is always included.
    Schedule k at density index i uses seed ``rng(seed, i, k)``. Results are written to
    ``checkpoint`` (JSON, atomic) after every schedule and resumed from it.
    Returns ``{"peaks", "columns", "densities", "results": {name: {density: [r2...]}},
    "slopes": ..., "summary": {name: {density: [mean, sd]}}}``.
    """
    from pathlib import Path

    from nmrlib.core.repro import rng, write_json
    from nmrlib.nus.metrics import pick_peaks
    from nmrlib.nus.nmrio import process_indirect
    from nmrlib.nus.reconstruct import apply_schedule

    methods = dict(methods or {"lr": ("lr", {}), "ist": ("ist", {})})
    peaks = _strongest_columns(reference, pick_peaks(reference, threshold_sigma=threshold_sigma),
                               max_columns)
    if len(peaks) < 2:
        raise ValueError(f"only {len(peaks)} peak(s) above {threshold_sigma} sigma")
    columns = np.unique(peaks[:, 0])
    local = np.stack([np.searchsorted(columns, peaks[:, 0]), peaks[:, 1]], axis=1)
    sub = np.asarray(traces)[columns]
    ref_sub = reference[columns]
    n = sub.shape[1]
    names = [ZERO_FILLED, *methods]

    def to_spectrum(traces: np.ndarray) -> np.ndarray:
        return process_indirect(traces, **process)

    fingerprint = _fingerprint(ref_sub, sub, peaks, seed, methods, process)
    state = {"densities": [float(d) for d in densities], "n_schedules": int(n_schedules),
             "peaks": int(len(peaks)), "columns": int(len(columns)), "fingerprint": fingerprint,
             "results": {m: {} for m in names}, "slopes": {m: {} for m in names}}
    if checkpoint and Path(checkpoint).exists():
        old = json.loads(Path(checkpoint).read_text())
        if (old.get("densities"), old.get("fingerprint")) == (state["densities"], fingerprint):
            state["results"].update(old["results"])
            state["slopes"].update(old["slopes"])
    jobs = [(i, d, k) for i, d in enumerate(densities) for k in range(n_schedules)]
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc="schedules")
    for i, d, k in jobs:
        key = f"{d:.2f}"
        done = min(len(state["results"][m].get(key, [])) for m in names)
        if k < done:
            continue
        sched = poisson_gap(n, points_for_density(n, d), seed=int(rng(seed, i, k).integers(2**31)))
        fid, mask = apply_schedule(sub, sched)
        for name in names:
            method, opts = methods.get(name, (ZERO_FILLED, None))
            _, out, _ = score_schedule(fid, mask, ref_sub, to_spectrum, method, options=opts,
                                       peaks=local)
            state["results"][name].setdefault(key, []).append(out["r2"])
            state["slopes"][name].setdefault(key, []).append(out["slope"])
        if checkpoint:
            write_json(checkpoint, state)
    state["summary"] = {
        m: {key: [float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0]
            for key, v in state["results"][m].items()} for m in names}
    return state


def schedule_mask(n: int, level: float, seed: int) -> np.ndarray:
    """Boolean mask of a sine-weighted Poisson-gap schedule at ``level`` of ``n`` points."""
    return mask_from_schedule(poisson_gap(n, points_for_density(n, level), seed=seed), n)


def timed_reconstruct(fid: np.ndarray, mask: np.ndarray, method: str | Callable, *,
                      device: str = "cpu", options: dict | None = None
                      ) -> tuple[np.ndarray, float]:
    """(full traces, wall-clock seconds) of reconstructing ``fid * mask``: ``method`` is a
    name of :func:`nmrlib.nus.reconstruct.reconstruct` (``options`` passed on, ``device``
    unless they name one), a callable ``f(fid, mask)``, or ``"zero-filled"`` (no
    reconstruction; its seconds are the masking's)."""
    from nmrlib.nus.reconstruct import reconstruct

    opts = {"device": device, **(options or {})}
    start = time.perf_counter()
    if method == ZERO_FILLED:
        out = fid * mask
    elif callable(method):
        out = method(fid * mask, mask)
    else:
        out = reconstruct(fid * mask, mask, method=method, **opts)
    if str(opts["device"]).startswith("cuda"):
        import torch

        torch.cuda.synchronize()
    return np.asarray(out), time.perf_counter() - start


def score_schedule(fid: np.ndarray, mask: np.ndarray, reference: np.ndarray,
                   to_spectrum: Callable[[np.ndarray], np.ndarray], method: str | Callable, *,
                   device: str = "cpu", options: dict | None = None,
                   threshold_sigma: float = 10.0, peaks: np.ndarray | None = None
                   ) -> tuple[np.ndarray, dict, float]:
    """One schedule, one method -- the step every R² study repeats: reconstruct
    (:func:`timed_reconstruct`), turn the traces into the real spectrum ``to_spectrum`` gives,
    score it against ``reference`` (:func:`nmrlib.nus.metrics.peak_intensity_r2`, on
    ``peaks`` or those picked at ``threshold_sigma``). Returns (spectrum, score dict with
    ``r2``/``slope``/``n_peaks``, seconds of the reconstruction)."""
    from nmrlib.nus.metrics import peak_intensity_r2

    full, seconds = timed_reconstruct(fid, mask, method, device=device, options=options)
    spectrum = np.real(to_spectrum(full))
    score = peak_intensity_r2(reference, spectrum, threshold_sigma=threshold_sigma, peaks=peaks)
    return spectrum, score, seconds


def r2_vs_nus(data: ReferenceSet, methods: Sequence[str], levels: Sequence[float],
              n_schedules: int | dict[str, int], *, seed: int = 0, device: str = "cpu",
              options: dict[str, dict] | None = None, threshold_sigma: float = 10.0,
              examples: Collection[tuple[float, int]] = ()) -> dict:
    """R² (and seconds) per method and level over ``n_schedules`` Poisson-gap seeds
(schedule k: :func:`schedule_mask` seeded ``seed + k``, one for all columns, the same for
    every method; ``"zero-filled"`` may be one of the methods).

    ``n_schedules`` may be a dict per method (a slow method can get fewer schedules; the
    first k seeds are shared, so every method sees the same schedules as far as it goes).

    Returns ``{method: {level: {"r2": [...], "seconds": [...]}}}`` plus, under
    ``"examples"``, every method's spectrum at each ``(level, schedule seed)`` of
    ``examples``, keyed ``(method, level, schedule seed)``.
    """
    n = data.fid.shape[1]
    out: dict = {m: {lv: {"r2": [], "seconds": []} for lv in levels} for m in methods}
    out["examples"] = {}
    counts = (n_schedules if isinstance(n_schedules, dict)
              else dict.fromkeys(methods, n_schedules))
    total = len(levels) * sum(counts[m] for m in methods)
    with tqdm(total=total, desc=f"R² vs NUS: {data.name}", leave=False) as bar:
        for level in levels:
            for k in range(max(counts[m] for m in methods)):
                mask = schedule_mask(n, level, seed + k)
                for method in (m for m in methods if k < counts[m]):
                    spec, score, sec = score_schedule(
                        data.fid, mask, data.reference, data.to_spectrum, method, device=device,
                        options=(options or {}).get(method), threshold_sigma=threshold_sigma)
                    out[method][level]["r2"].append(float(score["r2"]))
                    out[method][level]["seconds"].append(sec)
                    if (level, seed + k) in examples:
                        out["examples"][(method, level, seed + k)] = spec
                    bar.update(1)
    return out


def summarise(results: dict, methods: Sequence[str], levels: Sequence[float]) -> dict:
    """``{method: {level: (mean R², sd R², mean seconds)}}`` from :func:`r2_vs_nus`."""
    return {m: {lv: (float(np.mean(results[m][lv]["r2"])), float(np.std(results[m][lv]["r2"])),
                     float(np.mean(results[m][lv]["seconds"]))) for lv in levels}
            for m in methods}
