"""Iterative soft thresholding (IST) reconstruction of NUS traces (method ``"ist"``).

hmsIST style (Hyberts, Milbradt, Wagner & Arthanari, J. Biomol. NMR 52, 315 (2012);
Stern, Donoho & Hoch, J. Magn. Reson. 188, 295 (2007)): the spectrum ``X`` (zero-filled to
``zf * n`` points, unitary FFT) is built up by

    X <- soft(X + F M (y - M F^-1 X), thr_k),   thr_k = thr_0 (1 - k / iterations)

with ``thr_0 = i_mult * max|F y|`` per trace, so strong peaks enter first and the threshold
falls linearly to zero (hmsIST's ``-itr``/``-i_mult``). The returned trace is
``F^-1 X`` truncated to n points, with the measured points put back (``replace=True``).

Virtual echo (Mayzel, Kazimierczuk & Orekhov, Chem. Commun. 50, 8947 (2014)): when the
indirect phase is known (``p0`` degrees, ``p1 = 0``), the phased trace ``s`` is extended to
the Hermitian signal ``v_k = s_k, v_-k = conj(s_k), v_0 = Re s_0`` of length 2n whose
spectrum is real and equals twice the absorptive spectrum (first point weighted 1/2);
the constraint doubles the sampled points and IST then thresholds a real spectrum.
Units: ``p0`` in degrees, applied as ``s * exp(i p0)`` (NMRPipe PS convention).

``algorithm="irls"``: iteratively reweighted least squares for the same l1 problem
(Kazimierczuk & Orekhov, Angew. Chem. 50, 5556 (2011); FOCUSS form): with ``A`` the
sampled rows of the unitary inverse DFT, ``X <- W A^H (A W A^H)^-1 y``, ``W = diag(|X| +
eps)``, eps halving each iteration; one small (m x m) solve per trace and iteration, so it
is cheap. Measured points are exactly consistent by construction. No virtual echo.
"""

from __future__ import annotations

import math
import numbers

import torch

from nmrlib.nus.reconstruct import check_traces

__all__ = ["reconstruct_ist", "soft_threshold", "irls"]


def soft_threshold(x: torch.Tensor, thr: torch.Tensor) -> torch.Tensor:
    """Complex soft thresholding: shrink |x| by ``thr`` keeping the phase."""
    mag = x.abs()
    return x * ((mag - thr).clamp_min(0) / mag.clamp_min(1e-30))


def _ist(y: torch.Tensor, m: torch.Tensor, size: int, iterations: int, i_mult: float,
         real: bool) -> torch.Tensor:
    """Core IST on traces ``y (B, n)`` sampled at ``m``; spectra of ``size`` points."""
    n = y.shape[-1]
    mf = m.to(y.real.dtype)
    spec = torch.fft.fft(y, n=size, norm="ortho")
    thr0 = i_mult * (spec.real if real else spec).abs().amax(-1, keepdim=True)
    x = torch.zeros_like(spec)
    for k in range(iterations):
        resid = (y - mf * torch.fft.ifft(x, norm="ortho")[..., :n])
        x = x + torch.fft.fft(resid, n=size, norm="ortho")
        if real:
            x = x.real.to(x.dtype)
        x = soft_threshold(x, thr0 * (1.0 - k / iterations))
    return torch.fft.ifft(x, norm="ortho")[..., :n]


def irls(y: torch.Tensor, m: torch.Tensor, size: int, iterations: int = 30) -> torch.Tensor:
    """l1 reconstruction by IRLS of traces ``y (B, n)`` sampled at ``m``; spectra of ``size``.

    Traces that share a sampling pattern are solved together. Returns (B, n) traces.
    """
    n = y.shape[-1]
    out = torch.empty_like(y)
    patterns, which = torch.unique(m, dim=0, return_inverse=True)
    eye = torch.fft.ifft(torch.eye(size, dtype=y.dtype, device=y.device), norm="ortho")
    for p, pattern in enumerate(patterns):
        rows = (which == p).nonzero().squeeze(-1)
        idx = pattern.nonzero().squeeze(-1)
        a = eye[idx]                                          # (k, size): sampled inverse DFT
        yy = y[rows][:, idx]                                  # (b, k)
        x = yy @ a.conj()                                     # A^H y, minimum-norm start
        eps = 0.1 * x.abs().amax(-1, keepdim=True)
        floor = 1e-6 * x.abs().amax(-1, keepdim=True).clamp_min(1e-30)
        for _ in range(iterations):
            w = x.abs() + eps                                 # (b, size)
            gram = (a * w.unsqueeze(-2)) @ a.mH               # (b, k, k) = A W A^H
            z = torch.linalg.solve(gram, yy.unsqueeze(-1)).squeeze(-1)
            x = w * (z @ a.conj())                            # W A^H z
            eps = torch.maximum(eps / 2, floor)
        out[rows] = torch.fft.ifft(x, norm="ortho")[..., :n]
    return out


def reconstruct_ist(
    fid,
    mask,
    *,
    iterations: int = 400,
    algorithm: str = "ist",
    i_mult: float = 0.98,
    zf: int = 2,
    virtual_echo: bool = False,
    p0: float = 0.0,
    p1: float = 0.0,
    replace: bool = True,
    device: str | None = None,
) -> torch.Tensor:
    """IST reconstruction of a batch of traces ``fid (B, n)`` with sampling ``mask``.

    ``zf`` zero-filling factor of the thresholded spectrum (ignored with the virtual echo,
    which is 2n long by construction); ``p0``/``p1`` indirect phase in degrees (virtual echo
    only; ``p1`` must be 0); ``algorithm`` "ist" or "irls" (``iterations`` then counts
    IRLS steps; 30 are plenty). Returns a tensor of the input's shape, dtype and device.
    Inputs are checked by :func:`nmrlib.nus.reconstruct.check_traces` (ValueError).
    """
    if algorithm not in {"ist", "irls"}:
        raise ValueError(f"algorithm must be 'ist' or 'irls', got {algorithm!r}")
    if algorithm == "irls" and virtual_echo:
        raise ValueError("the virtual echo is implemented for IST only, not IRLS")
    for name, value in (("iterations", iterations), ("zf", zf)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"IST needs a positive integer {name}, got {value!r}")
    if not 0 < i_mult <= 1:
        raise ValueError(f"IST needs 0 < i_mult <= 1, got {i_mult!r}")
    if not (math.isfinite(p0) and math.isfinite(p1)):
        raise ValueError(f"phases must be finite, got p0={p0!r}, p1={p1!r}")
    y0 = torch.as_tensor(fid)
    m0 = torch.as_tensor(mask)
    check_traces(y0, m0)
    dev = torch.device(device) if device else y0.device
    y = y0.to(dev)
    m = m0.to(dev).expand(y.shape)
    y = torch.where(m, y, 0)
    n = y.shape[-1]
    if algorithm == "irls":
        x = irls(y, m, zf * n, iterations)
    elif not virtual_echo:
        x = _ist(y, m, zf * n, iterations, i_mult, real=False)
    else:
        if p1 != 0:
            raise ValueError("virtual echo needs p1 = 0 (phase the data first or use p1=0)")
        rot = complex(math.cos(math.radians(p0)), math.sin(math.radians(p0)))
        s = y * rot
        v = torch.zeros((*y.shape[:-1], 2 * n), dtype=y.dtype, device=dev)
        vm = torch.zeros(v.shape, dtype=torch.bool, device=dev)
        v[..., 0] = s[..., 0].real.to(y.dtype)
        v[..., 1:n] = s[..., 1:]
        v[..., n + 1:] = s[..., 1:].flip(-1).conj()
        vm[..., :n] = m
        vm[..., n + 1:] = m[..., 1:].flip(-1)
        xv = _ist(v, vm, 2 * n, iterations, i_mult, real=True)
        x = xv[..., :n].clone()
        # Im s_0 is not constrained by the echo; keep the measured one (or the mean of
        # the two halves' estimate of it, which is zero for a real spectrum)
        x[..., 0] = xv[..., 0].real.to(y.dtype) + 1j * s[..., 0].imag.to(y.dtype)
        x = x / rot
    if replace:
        x = torch.where(m, y, x)
    return x.to(y0.device)
