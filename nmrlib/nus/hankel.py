"""Hankel algebra of low-rank NUS reconstruction (:mod:`nmrlib.nus.lowrank`).

``hankel(x, rows)`` maps traces (..., n) to Hankel matrices (..., rows, n - rows + 1)
with ``H[i, j] = x[i + j]``; ``hankel_adjoint`` is its adjoint (anti-diagonal sums). The virtual
echo (``echo_extend`` / ``echo_fold``) doubles a phased trace into its conjugate-symmetric
extension. Singular-value thresholding: full (``_svt_full``) or truncated to the top
singular values by subspace iteration (``_SubspaceSVT``), with Hankel products by FFT
(``HankelOp``).
"""

from __future__ import annotations

__all__ = ["hankel", "hankel_adjoint", "echo_extend", "echo_fold", "lowrank_adjoint"]

import torch


def hankel(x: torch.Tensor, rows: int) -> torch.Tensor:
    """Hankel matrices ``(..., rows, n - rows + 1)`` of the traces ``x (..., n)`` (a view)."""
    return x.unfold(-1, x.shape[-1] - rows + 1, 1)


def hankel_adjoint(z: torch.Tensor) -> torch.Tensor:
    """Adjoint of :func:`hankel`: sums of the anti-diagonals of ``z (..., L, K)`` -> ``(..., n)``.

    Shear trick: pad each row with L zeros and re-read the buffer with row length K+L-1,
    which shifts row i by i columns; summing the rows gives the anti-diagonal sums.
    """
    *lead, rows, cols = z.shape
    n = rows + cols - 1
    padded = torch.zeros((*lead, rows, cols + rows), dtype=z.dtype, device=z.device)
    padded[..., :cols] = z
    flat = padded.reshape(*lead, rows * (cols + rows))[..., : rows * n]
    return flat.reshape(*lead, rows, n).sum(-2)


def echo_extend(s: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hermitian extension of phased traces ``s (B, n)``: ``(B, 2n - 1)`` and its mask.

    ``v = (conj s_{n-1}, ..., conj s_1, Re s_0, s_1, ..., s_{n-1})``; index ``n - 1`` is t = 0.
    """
    v = torch.cat([s[..., 1:].flip(-1).conj(), s[..., :1].real.to(s.dtype), s[..., 1:]], -1)
    vm = torch.cat([mask[..., 1:].flip(-1), mask[..., :1], mask[..., 1:]], -1)
    return v, vm


def echo_fold(v: torch.Tensor) -> torch.Tensor:
    """Traces ``(B, n)`` from ``(B, 2n - 1)`` echoes: the mean of the two halves' estimates."""
    n = (v.shape[-1] + 1) // 2
    out = v[..., n - 1:].clone()
    out[..., 1:] = 0.5 * (out[..., 1:] + v[..., : n - 1].flip(-1).conj())
    out[..., 0] = out[..., 0].real.to(v.dtype)
    return out


def _shrink(sig: torch.Tensor, thresh) -> torch.Tensor:
    """Soft-threshold factors ``(sigma - t)_+ / sigma`` (``thresh`` float or ``(B, 1)``)."""
    return torch.where(sig > thresh, (sig - thresh) / sig.clamp_min(1e-300), 0.0)


def _svt_full(a: torch.Tensor, thresh, adjust=None
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Exact singular-value soft thresholding via eigh of ``A^H A`` (input precision).

    ``thresh`` a float or a ``(B, 1)`` tensor. Returns ``(SVT(A), V, sigma)`` with right
    singular vectors and values ascending. A wide ``A`` is handled through ``A A^H`` (the
    smaller eigenproblem); ``V`` then holds left singular vectors. ``adjust(sig, scale)``,
    if given, returns the shrink factors to use (per-matrix rank caps).
    """
    if a.shape[-2] < a.shape[-1]:
        z, vecs, sig = _svt_full(a.mH, thresh, adjust)
        return z.mH, vecs, sig
    evals, vecs = torch.linalg.eigh(a.mH @ a)
    sig = evals.clamp_min(0).sqrt()
    scale = _shrink(sig, thresh) if adjust is None else adjust(sig, _shrink(sig, thresh))
    vecs = vecs.to(a.dtype)
    return (a @ vecs) * scale.to(a.real.dtype).unsqueeze(-2) @ vecs.mH, vecs, sig


class _SubspaceSVT:
    """Warm-started block power iteration for the SVT of a slowly changing batch of matrices.

    The subspace width follows the largest number of singular values above the threshold
    in the batch plus a margin: it widens while the smallest computed value still exceeds
    the threshold and narrows as the iterate becomes low-rank. When it would exceed half
    the smaller matrix dimension, the exact SVT is used instead (cheaper at that point).
    The threshold is a float or a ``(B, 1)`` tensor (one per matrix). ``caps``: per-matrix
    rank caps (:class:`nmrlib.nus.lrrank.RankCaps`; None: the one ``cap``). ``single``: the
    small Gram and eigen problems in the input precision (complex64 for complex64 input)
    instead of complex128 -- about 1.3x faster; singular values then carry absolute errors
    of about 3e-4 x sigma_1, a tenth of the lowest threshold "svt" uses (0.03 x sigma_1).
    """

    def __init__(self, batch: int, cols: int, rank: int, dtype, device, generator,
                 margin: int = 8, rtol: float = 0.02, cap: int | None = None,
                 single: bool = False):
        self.cols, self.margin, self.generator, self.rtol = cols, margin, generator, rtol
        # the small Gram / eigen problems in the input precision (else complex128)
        self.work = dtype if single else torch.complex128
        self.cap = cols if cap is None else max(1, min(cap, cols))  # widest subspace
        self.v = self._random(batch, min(rank, self.cap), dtype, device)
        self.caps = None                       # per-matrix caps (nmrlib.nus.lrrank.RankCaps)

    def subset(self, idx: torch.Tensor) -> _SubspaceSVT:
        """A copy for the matrices ``idx`` (same generator; caps and warm start subset)."""
        out = object.__new__(_SubspaceSVT)
        out.__dict__.update(self.__dict__)
        out.v = self.v[idx]
        out.caps = None if self.caps is None else self.caps.subset(idx)
        return out

    def _widest(self) -> int:
        return self.cap if self.caps is None else min(self.cap, self.caps.widest())

    def _adjust(self, thresh):
        return None if self.caps is None else (lambda sig, f: self.caps.apply(sig, f, thresh))

    def _random(self, batch, q, dtype, device):
        real = torch.randn((batch, self.cols, q, 2), generator=self.generator, dtype=torch.float64)
        return torch.view_as_complex(real).to(dtype=dtype, device=device)

    def keep(self, idx: torch.Tensor) -> None:
        self.v = self.v[idx]
        if self.caps is not None:
            self.caps = self.caps.subset(idx)

    def _next_width(self, sig: torch.Tensor, thresh) -> int:
        above = (sig > thresh * (1 + self.rtol)).sum(-1)
        if self.caps is not None:
            above = torch.minimum(above, self.caps.caps)
        return min(self._widest(), max(self.margin, int(above.max()) + self.margin))

    def _full(self, a: torch.Tensor, thresh) -> torch.Tensor:
        """Exact SVT; keeps the leading right singular vectors as the next warm start."""
        z, vecs, sig = _svt_full(a, thresh, self._adjust(thresh))
        width = min(self._next_width(sig, thresh), vecs.shape[-1])
        lead = vecs[..., -width:]
        self.v = torch.linalg.qr(a.mH @ lead).Q if a.shape[-2] < a.shape[-1] else lead
        return z

    def __call__(self, a: torch.Tensor, thresh, power_steps: int = 1, factors: bool = False,
                 op: HankelOp | None = None):
        """SVT of ``a``; with ``factors`` the pair ``(U S', V^H)`` instead of the product
        (the exact fallback still returns the product). ``op``: ``a`` is that Hankel
        operator, whose products are taken by FFT."""
        small = min(a.shape[-2:])
        if 2 * self.v.shape[-1] > small:
            return self._full(a, thresh)
        mul = op.mul if op is not None else a.__matmul__
        rmul = op.rmul if op is not None else (lambda q: q.mH @ a)
        while True:
            v = self.v
            for _ in range(power_steps - 1):
                v = torch.linalg.qr(rmul(torch.linalg.qr(mul(v)).Q).mH).Q
            q = _orth(mul(v), self.work)                      # (B, L, r) range basis
            b = rmul(q)                                       # (B, r, K)
            evals, w = torch.linalg.eigh((b @ b.mH).to(self.work))
            sig = evals.clamp_min(0).sqrt()                   # ascending
            rank, widest = v.shape[-1], self._widest()
            done = (sig[:, :1] <= thresh * (1 + self.rtol)).squeeze(-1)
            if self.caps is not None:
                done = done | (self.caps.caps <= rank)
            if bool(done.all()) or rank >= widest:
                break     # all values above the threshold found, or the cap: truncated SVT
            # some matrix has all r singular values above threshold: widen the subspace
            extra = min(max(self.margin, rank // 2), widest - rank)
            self.v = torch.cat([v, self._random(v.shape[0], extra, v.dtype, v.device)], -1)
            if 2 * self.v.shape[-1] > small:
                return self._full(a, thresh)
            power_steps = 2
        scale = _shrink(sig, thresh)
        if self.caps is not None:
            scale = self.caps.apply(sig, scale, thresh)
        w = w.to(a.dtype)
        u = q @ w                                              # left singular vectors
        vh = w.mH @ b                                          # sigma * V^H (ascending)
        # warm start for the next call: the leading right singular vectors
        width = min(rank, self._next_width(sig, thresh))
        lead, top = vh[..., -width:, :].mH, sig[..., -width:]
        if bool((top > 1e-6 * sig[..., -1:]).all()):   # its columns are orthogonal: normalise
            self.v = lead / top.to(lead.real.dtype).unsqueeze(-2)
        else:                                           # (near) rank-deficient: orthonormalise
            self.v = torch.linalg.qr(lead).Q
        if factors:
            return u * scale.to(a.real.dtype).unsqueeze(-2), vh
        return (u * scale.to(a.real.dtype).unsqueeze(-2)) @ vh


class HankelOp:
    """Products with the Hankel matrices ``H x`` (``rows`` x K) of traces ``x (B, N)`` by
    FFT: ``(H x) V`` is a correlation of x with each column of V, O(q N log N) for q
    columns instead of O(rows K q). A transform of ``size`` >= N points suffices: the
    circular wrap-around falls outside the K - 1 .. N - 1 window read back."""

    def __init__(self, x: torch.Tensor, rows: int):
        self.rows, self.cols = rows, x.shape[-1] - rows + 1
        self.size = 1 << (x.shape[-1] - 1).bit_length()
        self.fx = torch.fft.fft(x, self.size).unsqueeze(-1)              # (B, size, 1)
        self.fxc = torch.fft.fft(x.conj(), self.size).unsqueeze(-1)

    def mul(self, v: torch.Tensor) -> torch.Tensor:
        """``(H x) @ v`` for ``v (B, K, q)``."""
        out = torch.fft.ifft(self.fx * torch.fft.fft(v.flip(-2), self.size, dim=-2), dim=-2)
        return out[..., self.cols - 1:self.cols - 1 + self.rows, :]

    def norm(self, steps: int = 30) -> torch.Tensor:
        """The largest singular value of each ``H x`` (B,), by ``steps`` power steps
        from a fixed start (relative error ~ (sigma_2 / sigma_1)^(2 steps))."""
        v = torch.ones((self.fx.shape[0], self.cols, 1), dtype=self.fx.dtype,
                       device=self.fx.device)
        for _ in range(steps):
            u = self.mul(v)
            v = self.rmul(u / torch.linalg.vector_norm(u, dim=-2, keepdim=True)
                          .clamp_min(1e-300)).mH
            v = v / torch.linalg.vector_norm(v, dim=-2, keepdim=True).clamp_min(1e-300)
        return torch.linalg.vector_norm(self.mul(v), dim=(-2, -1))

    def rmul(self, q: torch.Tensor) -> torch.Tensor:
        """``q^H @ (H x)`` for ``q (B, rows, r)``."""
        out = torch.fft.ifft(self.fxc * torch.fft.fft(q.flip(-2), self.size, dim=-2), dim=-2)
        return out[..., self.rows - 1:self.rows - 1 + self.cols, :].mH


def _orth(y: torch.Tensor, work=torch.complex128) -> torch.Tensor:
    """An orthonormal basis of the columns of ``y (B, L, r)``: Cholesky QR (Gram matrix in
    ``work`` precision, double by default; one batched matmul instead of B Householder
    QRs), Householder QR where the Gram matrix is not numerically positive definite.
    Below double precision the Gram matrix is scaled to unit diagonal first (the same
    range; its condition is then that of the angles between the columns, not of their
    lengths, which span the singular values kept -- each entry's rounding error is
    relative to its two column norms, so the scaled matrix is as accurate as one formed
    from unit columns, without the column norms' pass over ``y``)."""
    yw = y.to(work)
    gram = yw.mH @ yw
    d = None
    if work != torch.complex128:
        d = gram.diagonal(dim1=-2, dim2=-1).real.clamp_min(1e-30).rsqrt()   # (B, r)
        gram = gram * (d.unsqueeze(-1) * d.unsqueeze(-2))
    chol, info = torch.linalg.cholesky_ex(gram)
    if bool((info != 0).any()):
        return torch.linalg.qr(y).Q
    eye = torch.eye(y.shape[-1], dtype=chol.dtype, device=chol.device)
    inv = torch.linalg.solve_triangular(chol.mH, eye, upper=True)     # R^-1, R = L^H
    return (yw @ (inv if d is None else d.unsqueeze(-1) * inv)).to(y.dtype)


def lowrank_adjoint(u: torch.Tensor, vh: torch.Tensor) -> torch.Tensor:
    """:func:`hankel_adjoint` of ``u @ vh`` (``(B, L, r)``, ``(B, r, K)``) without forming it.

    The anti-diagonal sums of an outer product are the linear convolution of its factors,
    so the adjoint is the sum over r of FFT convolutions: O(r N log N) instead of the
    O(L K r) product and O(L K) sums (N = L + K - 1).
    """
    n = u.shape[-2] + vh.shape[-1] - 1
    size = 1 << (n - 1).bit_length()
    conv = (torch.fft.fft(u, size, dim=-2) * torch.fft.fft(vh, size, dim=-1).mT).sum(-1)
    return torch.fft.ifft(conv, dim=-1)[..., :n]


def _anti_diagonal_counts(y: torch.Tensor, rows: int) -> torch.Tensor:
    """``H* H`` of the traces ``y (B, N)``: how many Hankel entries hold each point, (1, N)."""
    cols = y.shape[-1] - rows + 1
    return hankel_adjoint(torch.ones((1, rows, cols), dtype=y.real.dtype, device=y.device))
