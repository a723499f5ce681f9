"""The TOCSY mixing models: the ideal spin lock (``"lock"``, J-only tables and the
signal GEMMs) and Spinach-style dense propagation under a finite lock (``"spinach"``).

See :mod:`nmrlib.tocsy.spin` for the physics and the conventions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nmrlib.tocsy.spin.algebra import _Block, _Combo


@dataclass
class _LockItem:
    """The rotated blocks M' >= 0 between multiplet groups g <= h, as the sums and
    differences s = X[g, h] + X[h, g]^T, d = X[g, h] - X[h, g]^T (one GEMM over blocks b)."""

    g: int
    h: int
    blocks_gh: list[int]         # blocks b whose Z_b has rows of g and columns of h
    blocks_hg: list[int]
    coef: np.ndarray             # (2 n_mp, n_gh + n_hg): rows s for every M', then d
    n_mp: int
    off: int                     # first s / d parameter of this item (g < h)
    off_diag: int                # first diagonal parameter (g == h)


@dataclass
class _LockTables:
    """J-only tables of one manifold combination for the "lock" selection.

    Multiplets ``|S, i>`` (H_J eigenstates of total spin S) are sorted by S, descending;
    block b (total M_b, ascending) holds those with ``S >= |M_b|``, a prefix of the list.
    Parameters: ``n_off`` pairs a != c (s then d of each), ``n_diag`` diagonal entries
    (s only); layout ``[s of pairs | s of diagonals | d of pairs]``.
    """

    fplus: list[np.ndarray]      # F+ from block b to b+1 (d_b+1, d_b), Zeeman basis
    basis: list[np.ndarray]      # (d_b, d_b): rows |S, M_b, i> in the Zeeman basis of block b
    groups: list[slice]          # multiplet range of each S (S descending)
    items: list[_LockItem]
    gap: np.ndarray              # e_a - e_c (rad/s) of the pairs
    weight: np.ndarray           # 2 for M' > 0, 1 for M' = 0, of the pairs
    weight_diag: np.ndarray      # the same, halved (s = 2 X[a, a]), of the diagonals
    _device: dict = field(default_factory=dict)

    @property
    def n_off(self) -> int:
        return int(self.gap.size)

    @property
    def n_params(self) -> int:
        return 2 * self.n_off + int(self.weight_diag.size)

    def on(self, device, dtype):
        """The tensors of these tables on ``device`` in the real ``dtype`` (cached)."""
        import torch

        key = (str(device), dtype)
        if key not in self._device:
            def t(a):
                return torch.as_tensor(a, dtype=dtype, device=device)

            self._device[key] = dict(
                fplus=[t(f) for f in self.fplus], basis=[t(b) for b in self.basis],
                coef=[t(it.coef) for it in self.items], gap=t(self.gap),
                weight=t(self.weight), weight_diag=t(self.weight_diag))
        return self._device[key]


def _fplus_blocks(blocks: list[_Block]) -> list[np.ndarray]:
    """Total F+ from block b to block b+1 as dense (d_b+1, d_b) matrices."""
    out = []
    for lo, hi in zip(blocks[:-1], blocks[1:], strict=True):
        f = np.zeros((hi.m.shape[0], lo.m.shape[0]))
        np.add.at(f, (lo.ups.ravel(), lo.rows.ravel()), lo.coef.ravel())
        out.append(f)
    return out


def _wigner_half_pi(s: float) -> np.ndarray:
    """``<S, M'| exp(i pi/2 Sy) |S, M>`` (M', M ascending): the rotation taking Sx to Sz."""
    m = np.arange(-s, s + 0.5)
    up = np.diag(np.sqrt(s * (s + 1) - m[:-1] * (m[:-1] + 1)), -1)   # S+ |M> -> |M+1>
    w, v = np.linalg.eigh((up - up.T) / 2j)
    rot = (v * np.exp(0.5j * np.pi * w)) @ v.conj().T
    return rot.real


def _lock_tables(combo: _Combo) -> _LockTables:
    """Coupled basis, Wigner assembly coefficients and contraction layout (cached)."""
    if combo._lock is not None:
        return combo._lock
    blocks = combo.blocks
    mval = [float(b.m[0].sum()) for b in blocks]
    fplus = _fplus_blocks(blocks)
    vecs: list[list[np.ndarray]] = [[] for _ in blocks]
    spin, energy = [], []
    for b in range(len(blocks) - 1, -1, -1):   # highest-weight states of S = M_b, top down
        if mval[b] < -1e-9:
            break
        if b == len(blocks) - 1:
            null = np.eye(blocks[b].m.shape[0])
        else:
            w, v = np.linalg.eigh(fplus[b].T @ fplus[b])
            null = v[:, w < 0.5]                   # gaps are integers >= 2 M + 2
        if null.shape[1] == 0:
            continue
        e, u = np.linalg.eigh(null.T @ blocks[b].hj @ null)
        s = mval[b]
        for vec, en in zip((null @ u).T, e, strict=True):
            spin.append(s)
            energy.append(en)
            bb, m = b, s
            vecs[bb].append(vec)
            while m > -s + 1e-9:                   # |S, m-1> = F- |S, m> / sqrt(...)
                vec = fplus[bb - 1].T @ vec / math.sqrt(s * (s + 1) - m * (m - 1))
                bb, m = bb - 1, m - 1
                vecs[bb].append(vec)
    spin = np.array(spin)
    basis = [np.stack(v) for v in vecs]            # creation order = S descending
    bounds = np.flatnonzero(np.diff(spin)) + 1
    groups = [slice(int(a), int(b)) for a, b in
              zip(np.r_[0, bounds], np.r_[bounds, spin.size], strict=True)]
    gspin = [float(spin[g.start]) for g in groups]
    wig = {s: _wigner_half_pi(s) for s in set(gspin)}

    def d(s, mp, m):
        return wig[s][int(round(mp + s)), int(round(m + s))]

    mps = sorted({abs(m) for m in mval})
    size = [g.stop - g.start for g in groups]
    energy = np.array(energy)

    def rows(g, h):   # blocks b with rows of g / columns of h; kept M' -> coefficients
        bs = [b for b in range(len(fplus)) if gspin[g] >= abs(mval[b + 1]) - 1e-9
              and gspin[h] >= abs(mval[b]) - 1e-9]
        out = {}
        for mp in (m for m in mps if m <= min(gspin[g], gspin[h]) + 1e-9):
            k = [d(gspin[g], mp, mval[b + 1]) * d(gspin[h], mp, mval[b]) for b in bs]
            if bs and max(map(abs, k)) > 1e-12:
                out[mp] = k
        return bs, out

    items, gaps, weights, wdiag, n_off, n_diag = [], [], [], [], 0, 0
    for g in range(len(groups)):
        for h in range(g, len(groups)):
            (b_gh, k_gh), (b_hg, k_hg) = rows(g, h), rows(h, g)
            kept = sorted(set(k_gh) | set(k_hg))
            if not kept:
                continue
            coef = np.zeros((2 * len(kept), len(b_gh) + len(b_hg)))
            for i, mp in enumerate(kept):
                coef[i, :len(b_gh)] = coef[len(kept) + i, :len(b_gh)] = k_gh.get(mp, 0.0)
                coef[i, len(b_gh):] = k_hg.get(mp, 0.0)
                coef[len(kept) + i, len(b_gh):] = -np.asarray(k_hg.get(mp, 0.0))
            items.append(_LockItem(g, h, b_gh, b_hg, coef, len(kept), n_off, n_diag))
            gap = energy[groups[h]][None, :] - energy[groups[g]][:, None]   # e_a - e_c
            for mp in kept:
                w = 2.0 if mp > 0 else 1.0
                gaps.append(gap[np.triu_indices(size[g], 1)] if g == h else gap.ravel())
                weights.append(np.full(gaps[-1].size, w))
                n_off += gaps[-1].size
                if g == h:
                    wdiag.append(np.full(size[g], w / 2))
                    n_diag += size[g]
    combo._lock = _LockTables(fplus, basis, groups, items, np.concatenate(gaps),
                              np.concatenate(weights), np.concatenate(wdiag or [np.zeros(0)]))
    return combo._lock


def _lock_signal(tab: _LockTables, combo: _Combo, om, times, n1: int, n2: int, tau: float,
                 dtype=None):
    """Undamped, unscaled "lock" data (B, 2, n1, n2) of one manifold combination.

    The eigen-decompositions and phases are float64; the propagation and contraction run in
    the real ``dtype`` (default float64; float32 for the ``"single"`` precision).

    For a pair (c, a) with s = u + v, d = u - v (u = X(t)[c, a], v = X(t)[a, c]) and
    phi = w exp(-i (e_a - e_c) tau): the locked x and y parts of rho(t1) are
    ``r + i q = s / 2`` and ``-i d / 2``; after mixing, the detection pairs them with
    ``D_x = u phi + v conj(phi) = w (cos s - i sin d)`` and
    ``D_y = i (u phi - v conj(phi)) = w (sin s + i cos d)`` at t2. Then
    ``S_cos = sum_p D_p(t2) r_p(t1)`` and ``S_sin = sum_p D_p(t2) q_p(t1)``: two real GEMMs.
    """
    import torch

    dev = om.device
    dtype = dtype or torch.float64
    ctype = torch.complex64 if dtype == torch.float32 else torch.complex128
    ten = tab.on(dev, dtype)
    bsz, n = om.shape[0], times.numel()
    eig = []
    for blk in combo.blocks:
        m = torch.as_tensor(blk.m, dtype=torch.float64, device=dev)
        h = torch.as_tensor(blk.hj, dtype=torch.float64, device=dev)
        eig.append(torch.linalg.eigh(h + torch.diag_embed(om @ m.T)))
    pairs = []   # per block pair: F+ in the eigenbasis, coupled <- eigen on both sides
    exact = tab.on(dev, torch.float64)
    for b, f in enumerate(exact["fplus"]):
        (e0, v0), (e1, v1) = eig[b], eig[b + 1]
        pairs.append(((v1.transpose(1, 2) @ f @ v0).to(dtype), (exact["basis"][b + 1] @ v1)
                      .to(dtype), (exact["basis"][b] @ v0).to(dtype), e1, e0))
    n_off, n_diag = tab.n_off, tab.weight_diag.size
    n_x = n_off + n_diag
    # parameters [s | s_aa | d] x [Re, Im] x time
    sd = torch.empty(bsz, tab.n_params, 2, n, dtype=dtype, device=dev)
    width = sum(p[0].shape[1] * p[0].shape[2] for p in pairs)
    nt = int(max(1, min(n, 2**24 // max(1, bsz * width))))
    for lo in range(0, n, nt):
        t = times[lo:lo + nt]
        zs = []
        for f, c1, c0, e1, e0 in pairs:   # Z_M(t) = C1 (F o exp(i (E_u - E_l) t)) C0^T
            p1 = torch.polar(torch.ones_like(e1)[..., None], e1[..., None] * t).to(ctype)
            p0 = torch.polar(torch.ones_like(e0)[..., None], -e0[..., None] * t).to(ctype)
            g = f[..., None] * p1[:, :, None] * p0[:, None]
            g = torch.stack((g.real, g.imag), dim=3).reshape(bsz, *f.shape[1:], -1)
            y = c0[:, None] @ g                                   # contract the lower index
            zs.append((c1 @ y.reshape(bsz, c1.shape[1], -1)).reshape(g.shape))
        for it, coef in zip(tab.items, ten["coef"], strict=True):
            rg, rh = tab.groups[it.g], tab.groups[it.h]
            stack = torch.stack([zs[b][:, rg, rh] for b in it.blocks_gh]
                                + [zs[b][:, rh, rg].transpose(1, 2) for b in it.blocks_hg])
            x = (coef @ stack.reshape(stack.shape[0], -1)).reshape(
                2, it.n_mp, *stack.shape[1:4], 2, t.numel())
            x = x.transpose(1, 2)                            # (s/d, B, M', c, a, re/im, t)
            if it.g != it.h:
                x = x.reshape(2, bsz, -1, 2, t.numel())
                sd[:, it.off:it.off + x.shape[2], :, lo:lo + nt] = x[0]
                sd[:, n_x + it.off:n_x + it.off + x.shape[2], :, lo:lo + nt] = x[1]
                continue
            ng = x.shape[3]
            iu = torch.triu_indices(ng, ng, 1, device=dev)
            up = x[:, :, :, iu[0], iu[1]].reshape(2, bsz, -1, 2, t.numel())
            sd[:, it.off:it.off + up.shape[2], :, lo:lo + nt] = up[0]
            sd[:, n_x + it.off:n_x + it.off + up.shape[2], :, lo:lo + nt] = up[1]
            diag = torch.diagonal(x[0], dim1=2, dim2=3).permute(0, 1, 4, 2, 3)
            diag = diag.reshape(bsz, -1, 2, t.numel())                # (B, M' a, re/im, t)
            sd[:, n_off + it.off_diag:n_off + it.off_diag + diag.shape[1], :, lo:lo + nt] = diag
    theta = exact["gap"] * tau                            # D from s, d (module docstring)
    wc, ws = ((exact["weight"][:, None] * f(theta)[:, None]).to(dtype)
              for f in (torch.cos, torch.sin))
    (s_re, s_im), (d_re, d_im) = sd[:, :n_off, :, :n2].unbind(2), sd[:, n_x:, :, :n2].unbind(2)
    dmat = torch.empty(bsz, tab.n_params, 2, n2, dtype=dtype, device=dev)
    torch.mul(s_re, wc, out=dmat[:, :n_off, 0]).addcmul_(d_im, ws)
    torch.mul(s_im, wc, out=dmat[:, :n_off, 1]).addcmul_(d_re, ws, value=-1.0)
    torch.mul(s_re, ws, out=dmat[:, n_x:, 0]).addcmul_(d_im, wc, value=-1.0)
    torch.mul(s_im, ws, out=dmat[:, n_x:, 1]).addcmul_(d_re, wc)
    torch.mul(sd[:, n_off:n_x, :, :n2], ten["weight_diag"][:, None, None],
              out=dmat[:, n_off:n_x])
    left = dmat.reshape(bsz, tab.n_params, -1)
    right = sd[..., :n1].reshape(bsz, tab.n_params, -1)
    gx = (left[:, :n_x].transpose(1, 2) @ right[:, :n_x]).reshape(bsz, 2, n2, 2, n1)
    gy = (left[:, n_x:].transpose(1, 2) @ right[:, n_x:]).reshape(bsz, 2, n2, 2, n1)
    cos = (gx[:, :, :, 0] + gy[:, :, :, 1]) / 2          # [Re/Im of D, t2, t1]
    sin = (gx[:, :, :, 1] - gy[:, :, :, 0]) / 2
    sig = torch.stack([torch.complex(c[:, 0], c[:, 1]) for c in (cos, sin)], dim=1)
    return sig.transpose(2, 3)


@dataclass
class _DenseOps:
    """Full-space operators of one manifold combination, states ordered block by block."""

    iz: np.ndarray      # (n_sites, D) diagonal of Iz_s
    hj: np.ndarray      # (D, D)
    fplus: np.ndarray   # (D, D) total F+
    sizes: list[int]


def _dense_ops(combo: _Combo) -> _DenseOps:
    if combo._dense is None:
        sizes = [b.m.shape[0] for b in combo.blocks]
        start = np.r_[0, np.cumsum(sizes)]
        dim = int(start[-1])
        hj, fplus = np.zeros((dim, dim)), np.zeros((dim, dim))
        for b, (blk, f) in enumerate(zip(combo.blocks, [*_fplus_blocks(combo.blocks), None],
                                         strict=True)):
            hj[start[b]:start[b + 1], start[b]:start[b + 1]] = blk.hj
            if f is not None:
                fplus[start[b + 1]:start[b + 2], start[b]:start[b + 1]] = f
        iz = np.concatenate([b.m for b in combo.blocks]).T
        combo._dense = _DenseOps(iz, hj, fplus, sizes)
    return combo._dense


def _spinach_signal(combo: _Combo, om, times, n1: int, n2: int, tau: float, lamp: float):
    """Undamped, unscaled "spinach" data (B, 2, n1, n2): dense Hilbert-space propagation."""
    import torch

    ops = _dense_ops(combo)
    dev, cplx = om.device, torch.complex128
    fplus = torch.as_tensor(ops.fplus, dtype=torch.float64, device=dev)
    fx, fy = ((fplus + fplus.T) / 2).to(cplx), (fplus - fplus.T) / 2j
    h = (torch.as_tensor(ops.hj, dtype=torch.float64, device=dev)
         + torch.diag_embed(om @ torch.as_tensor(ops.iz, dtype=torch.float64, device=dev)))
    start = np.r_[0, np.cumsum(ops.sizes)]
    energy, vecs = h.new_zeros(h.shape[:2]), torch.zeros_like(h)
    up, low = [], []
    for b in range(len(ops.sizes)):          # H conserves Fz: block-diagonal eigenbasis
        sl = slice(int(start[b]), int(start[b + 1]))
        energy[:, sl], vecs[:, sl, sl] = torch.linalg.eigh(h[:, sl, sl])
        if b + 1 < len(ops.sizes):           # F+ transitions (u in block b+1, l in block b)
            uu, ll = np.meshgrid(np.arange(start[b + 1], start[b + 2]),
                                 np.arange(start[b], start[b + 1]), indexing="ij")
            up.append(uu.ravel())
            low.append(ll.ravel())
    up, low = (torch.as_tensor(np.concatenate(a), device=dev) for a in (up, low))
    vc = vecs.to(cplx)
    gap = energy[:, :, None] - energy[:, None, :]                       # E_a - E_b
    rho = (vc.mT @ fx @ vc)[:, None] * torch.polar(
        torch.ones_like(gap)[:, None], -gap[:, None] * times[:n1, None, None])
    amp = (vc.mT @ fplus.to(cplx) @ vc)[:, up, low]                     # <u|F+|l>, (B, K)
    det = torch.polar(torch.ones_like(amp.real)[:, None],
                      gap[:, up, low][:, None] * times[:n2, None])      # (B, n2, K)
    out = []
    for lock, phase in ((fx, 1.0), (fy, -1j)):   # y lock: returned along x (receiver -i)
        e, v = torch.linalg.eigh(h.to(cplx) + lamp * lock)
        mix = vc.mT @ (v * torch.polar(torch.ones_like(e), -e * tau)[:, None]) @ v.mH @ vc
        sigma = mix[:, None] @ rho @ mix.mH[:, None]                    # (B, n1, D, D)
        sig = det @ (amp[:, :, None] * sigma[:, :, low, up].transpose(1, 2))  # (B, n2, n1)
        out.append(phase * sig.transpose(1, 2))
    return torch.stack(out, dim=1)
