"""One interface for NUS reconstruction (studies over schedules: :mod:`nmrlib.nus.studies`).

Data convention: ``fid`` holds indirect time-domain traces, shape (batch, n): one row per
direct-dimension point (the direct dimension already processed), n complex indirect
points, zeros where unsampled. ``mask`` is bool (n,) or (batch, n), True at sampled
complex points (other mask dtypes are rejected, not cast; see :func:`check_traces`).
Every method returns the full traces with the input's type (numpy in, numpy out; torch
in, torch out), shape and complex dtype.

Methods are looked up in :data:`METHODS` (``"module:function"``) and imported lazily.
"""

from __future__ import annotations

import importlib
import numbers
import os

import numpy as np

METHODS: dict[str, str] = {
    "lr": "nmrlib.nus.lowrank:reconstruct_lr",
    "ist": "nmrlib.nus.ist:reconstruct_ist",
    "dl": "nmrlib.nus.dlnmr:reconstruct_dl",
    "dl10": "nmrlib.nus.dlnmr:reconstruct_dl10",
    "unrolled": "nmrlib.nus.unrolled:reconstruct_unrolled",
}

__all__ = ["METHODS", "apply_schedule", "check_traces", "reconstruct", "expand_sampled"]


def _method(name: str):
    if name not in METHODS:
        raise ValueError(f"unknown NUS reconstruction method {name!r}; choose from "
                         f"{', '.join(sorted(METHODS))}")
    module, func = METHODS[name].split(":")
    return getattr(importlib.import_module(module), func)


ITERATION_OPTIONS = ("max_iter", "iterations")
LR_WORK_ARRAYS = 6  # Hankel-sized complex arrays alive at once in one LR ADMM step
IST_WORK_ARRAYS = 4  # spectrum-sized complex arrays alive at once in one IST iteration


def check_traces(fid, mask) -> None:
    """Validate torch tensors ``fid (batch, n)`` and ``mask (n,) | (batch, n)`` (ValueError).

    ``fid`` must be complex and finite, with at least one trace of at least 2 points;
    ``mask`` must be boolean (a float or 0/1 integer mask is rejected rather than cast:
    casting turns any non-zero value into True) and sample at least one point of every
    trace.
    """
    import torch

    shape = tuple(fid.shape)
    if len(shape) != 2:
        raise ValueError(f"fid must have shape (batch, n), got {shape}")
    if not fid.is_complex():
        raise ValueError(f"fid must be complex, got dtype {fid.dtype}")
    if shape[0] < 1 or shape[1] < 2:
        raise ValueError(f"fid must hold at least one trace of at least 2 points, got {shape}")
    if mask.dtype != torch.bool:
        raise ValueError(f"mask must be boolean (True at sampled points), got dtype {mask.dtype}")
    mshape = tuple(mask.shape)
    if mshape not in {(shape[1],), shape}:
        raise ValueError(f"mask shape {mshape} does not match fid shape {shape}")
    sampled = mask.any(-1)
    if not bool(sampled.all()):
        where = "" if mask.ndim == 1 else f" in trace {int((~sampled).nonzero()[0, 0])}"
        raise ValueError(f"mask samples no points{where}: nothing to reconstruct from")
    finite = fid.isfinite()
    if not bool(finite.all()):
        raise ValueError(f"fid contains {int((~finite).sum())} NaN or infinite value(s)")


def _as_tensor(value, name: str):
    """A numpy array (or array-like) or torch tensor as a tensor, without casting its dtype."""
    import torch

    if isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise ValueError(f"{name} must be numeric, got dtype {array.dtype}")
    return torch.from_numpy(np.ascontiguousarray(array))


def _positive_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _check_options(batch_size, options: dict) -> None:
    import torch

    for key in ITERATION_OPTIONS:
        if key in options and not _positive_int(options[key]):
            raise ValueError(f"{key} must be a positive integer, got {options[key]!r}")
    if batch_size is not None and not _positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    device = options.get("device")
    if device is not None:
        try:
            torch.empty(0, device=device)
        except (RuntimeError, AssertionError, TypeError, ValueError) as err:
            why = " ".join(str(err).split()) or type(err).__name__
            raise ValueError(f"device {device!r} is not available: {why}") from err


def _working_bytes(method: str, n: int, chunk: int, itemsize: int, options: dict) -> int:
    """Bytes one call of ``method`` allocates on ``chunk`` traces of ``n`` points (estimate).

    LR holds Hankel matrices (rows x (n - rows + 1)) per trace, IST spectra of ``zf * n``
    points; the DL cascades process at most their own ``chunk`` of traces per pass, so
    their working set is bounded by it and not estimated here.
    """
    if method == "lr":
        echo = options.get("virtual_echo")
        if echo is None:   # LR's default ("auto") works on the 2n - 1 points of the echo
            echo = options.get("algorithm", "auto") == "auto" and not options.get("p1")
        n = 2 * n - 1 if echo else n
        rows = options.get("rows") or n // 2 + 1
        return chunk * rows * max(n - rows + 1, 1) * itemsize * LR_WORK_ARRAYS
    if method == "ist":
        zf = options.get("zf", 2)
        return chunk * (zf if _positive_int(zf) else 1) * n * itemsize * IST_WORK_ARRAYS
    return 0


def _check_memory(method: str, y, batch_size: int | None, options: dict) -> None:
    """Refuse a CPU job whose working arrays cannot fit in this machine's memory."""
    import torch

    if torch.device(options.get("device") or y.device).type != "cpu":
        return  # CUDA reports its own out-of-memory error cleanly
    n = y.shape[1]
    chunk = min(batch_size or y.shape[0], y.shape[0])
    need = _working_bytes(method, n, chunk, y.element_size(), options)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > total:
        raise ValueError(f"{method.upper()} on {chunk} traces of {n} points needs about "
                         f"{need / 2**30:.0f} GiB, more than this machine's "
                         f"{total / 2**30:.0f} GiB: pass a smaller batch_size (-batch)"
                         + (" or zf" if method == "ist" else ""))


def reconstruct(fid, mask, method: str = "unrolled", *, batch_size: int | None = None, **options):
    """Reconstruct NUS traces ``fid (batch, n)`` sampled at ``mask`` with ``method``.

    The default, ``"unrolled"`` (the learned unrolled IST), is at or above IST and zero
    filling on every real set the project measured (above LR in 11 of 12 cells), and the fastest
    (issue 23; :mod:`nmrlib.nus.unrolled`); it expects the rows in direct-dimension order.

    ``options`` go to the method (e.g. ``device="cuda"``, ``max_iter``, ``lam`` for "lr";
    ``iterations``, ``virtual_echo`` for "ist"). ``batch_size`` splits the columns into
    chunks (bounds memory; every method but "unrolled" treats traces independently -- "lr"
    normalises each trace by its own maximum -- so the result does not depend on the
    chunking; "unrolled" sees neighbouring columns and gets overlapping chunks instead).

    Raises ValueError for an unknown method, inputs that fail :func:`check_traces` (not
    complex, NaN/Inf, a non-boolean or all-False mask, wrong shapes), ``max_iter`` /
    ``iterations`` / ``batch_size`` that are not positive integers, an unavailable
    device, a CPU LR or IST job too large for this machine's memory, and a NaN/Inf result.
    """
    import torch

    func = _method(method)
    _check_options(batch_size, options)
    is_numpy = not isinstance(fid, torch.Tensor)
    y = _as_tensor(fid, "fid")
    m = _as_tensor(mask, "mask")
    check_traces(y, m)
    _check_memory(method, y, batch_size, options)
    if method == "lr":  # the default's F1 phase is estimated once, on the whole set
        from nmrlib.nus.lrauto import auto_options

        options = auto_options(y, m, options)
    if method == "unrolled" and batch_size:  # couples neighbouring columns: overlapping chunks
        options, batch_size = {**options, "chunk": batch_size}, None
    if batch_size and batch_size < y.shape[0]:
        parts = []
        for start in range(0, y.shape[0], batch_size):
            mm = m if m.ndim == 1 else m[start:start + batch_size]
            parts.append(func(y[start:start + batch_size], mm, **options).to(y.device))
        out = torch.cat(parts)
    else:
        out = func(y, m, **options)
    out = out.to(device=y.device, dtype=y.dtype)
    if not bool(out.isfinite().all()):
        raise ValueError(f"{method} reconstruction produced NaN or infinite values; check "
                         f"its options {options}")
    return out.numpy() if is_numpy else out


def apply_schedule(fid: np.ndarray, schedule: np.ndarray, n: int | None = None) -> tuple:
    """Retrospective NUS: keep the scheduled complex points of fully sampled traces.

    ``fid`` (batch, n) complex; ``schedule`` 0-based sampled indices (validated: in range,
    no duplicates, not longer than the grid). Returns ``(nus_fid, mask)`` with zeros at
    unsampled points.
    """
    from nmrlib.nus.schedules import mask_from_schedule

    fid = np.asarray(fid)
    grid = fid.shape[-1] if n is None else n
    if grid != fid.shape[-1]:
        raise ValueError(f"schedule grid n={grid} differs from the traces' {fid.shape[-1]} points")
    mask = mask_from_schedule(np.asarray(schedule), grid)
    return np.where(mask, fid, 0).astype(fid.dtype), mask


def expand_sampled(sampled: np.ndarray, schedule: np.ndarray, n: int) -> tuple:
    """Place measured increments ``sampled (batch, m)`` (schedule order) on a grid of n points.

    The inverse of keeping only the sampled columns: returns ``(fid (batch, n), mask)``.
    """
    from nmrlib.nus.schedules import mask_from_schedule

    sched = np.asarray(schedule).reshape(-1)
    sampled = np.asarray(sampled)
    if sampled.shape[-1] != len(sched):
        raise ValueError(f"data have {sampled.shape[-1]} sampled increments but the schedule "
                         f"lists {len(sched)}")
    mask = mask_from_schedule(sched, n)
    fid = np.zeros((*sampled.shape[:-1], n), dtype=np.result_type(sampled, np.complex64))
    fid[..., sched] = sampled
    return fid, mask
