"""Processing of the indirect dimension (F1): apodisation, zero-filling, FT and phase as
NMRPipe's, its ppm axis, and the 2D spectrum of a :class:`Dataset2D`.
"""

from __future__ import annotations

import copy

import numpy as np

from nmrlib.nus.nmrio.base import Dataset2D


def zero_fill_size(n: int, factor: float = 2) -> int:
    """Points after zero-filling ``n`` points: the smallest power of two >= ``factor * n``
    (NMRPipe's ``ZF -auto`` with ``-zf factor``); the project's one rule for it.

    >>> zero_fill_size(192), zero_fill_size(128), zero_fill_size(100, factor=1)
    (512, 256, 128)
    """
    return int(2 ** np.ceil(np.log2(factor * n)))


def process_indirect(
    traces,
    *,
    apod: dict | None = None,
    size: int | None = None,
    p0: float = 0.0,
    p1: float = 0.0,
    c: float = 0.5,
    alt: bool = False,
) -> np.ndarray:
    """Indirect time domain -> real spectrum, NMRPipe style; shape (n_direct, size).

    ``traces`` complex (n_direct, n): first point scaled by ``c``, sine-bell apodisation
    ``sin(pi off + pi (end - off) k / (n - 1)) ** pow`` (``apod`` dict, default cos^2:
    off 0.5, end 0.98, pow 2; ``None`` values skip it), with ``alt`` odd points negated
    (NMRPipe ``FT -alt``), zero-fill to ``size`` (default next power of two >= 2n), NMRPipe
    FT (high frequency first), phase ``p0 + p1 k / size`` degrees, real part. Works on
    numpy or torch input (returns numpy).
    """
    import torch

    x = torch.as_tensor(traces)
    n = x.shape[-1]
    size = size or zero_fill_size(n)
    if size < n:
        raise ValueError(f"zero-fill size {size} is smaller than the {n} points")
    a = {"off": 0.5, "end": 0.98, "pow": 2.0}
    a.update(apod or {})
    k = torch.arange(n, dtype=torch.float64)
    win = torch.sin(np.pi * a["off"] + np.pi * (a["end"] - a["off"]) * k / max(n - 1, 1))
    win = win ** a["pow"]
    win[0] = win[0] * c
    if alt:
        win[1::2] *= -1
    x = x * win.to(x.device, x.real.dtype)
    spec = torch.fft.fftshift(torch.fft.ifft(x, n=size), dim=-1) * size
    phase = torch.deg2rad(p0 + p1 * torch.arange(size, dtype=torch.float64) / size)
    spec = spec * torch.polar(torch.ones_like(phase), phase).to(spec.device, spec.dtype)
    return spec.real.cpu().numpy()


def indirect_ppm(ds: Dataset2D, size: int) -> np.ndarray:
    """ppm of the F1 spectrum points of :func:`process_indirect` (decreasing with index).

    Uses nmrglue's NMRPipe unit conversion on the header after zero-filling to ``size``.
    """
    import nmrglue as ng
    import nmrglue.process.pipe_proc as pp

    dic = copy.deepcopy(ds.dic)
    data = np.zeros((2 * ds.n_indirect, 1), np.float32)
    dic["FDSIZE"] = 1.0
    dic, data = pp.tp(dic, data, hyper=False)
    dic, data = pp.zf(dic, data, size=size)
    dic, data = pp.ft(dic, data, null=True)
    return ng.pipe.make_uc(dic, data, dim=-1).ppm_scale()


def spectrum_2d(ds: Dataset2D, traces=None, **indirect) -> np.ndarray:
    """Real 2D spectrum (F1 rows x F2 columns) of ``ds`` (or of other ``traces``)."""
    spec = process_indirect(ds.traces if traces is None else traces, **indirect)
    return np.ascontiguousarray(spec.T)
