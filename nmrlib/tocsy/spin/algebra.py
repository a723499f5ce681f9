"""Spin-network algebra: limits, total-spin manifolds, Hamiltonian blocks, transitions.

Units: angular frequencies in rad/s, times in s, J in Hz (see :mod:`nmrlib.tocsy.spin`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

TWO_PI = 2.0 * math.pi


SELECTIONS = ("lock", "in-phase", "spinach")


PRECISIONS = ("double", "single")  # "single": the "lock" propagation and GEMMs in float32


DEFAULT_SELECTION = "lock"


DEFAULT_LAMP_HZ = 10_000.0      # spin-lock power of "spinach" (Spinach's tocsy examples use 10 kHz)


MAX_NETWORK_DIM = 1024          # largest Hilbert space of one coupled network: 10 spin-1/2


MAX_PROTONS = 32                # protons per spin system (uncoupled networks add up)


MAX_GRID_POINTS = 2**22         # n1 * n2 (2048 x 2048)


MAX_BYTES = 4 * 2**30           # estimated working memory of one call


SHIFT_LIMIT_PPM = 100.0         # |delta| beyond this is not a 1H shift


SPINACH_MAX_DIM = 256           # "spinach" propagates densely: networks of <= 8 spin-1/2


_LOCK_WORKSPACE = 2**30         # bytes of lock operands per sub-batch (samples are split)


def _manifolds(k: int) -> list[tuple[float, int]]:
    """Total-spin manifolds (S, multiplicity) of k equivalent spin-1/2 (k=3: 3/2 x1, 1/2 x2)."""
    out = []
    for two_s in range(k, -1, -2):
        mult = math.comb(k, (k - two_s) // 2) - (math.comb(k, (k - two_s) // 2 - 1)
                                                  if (k - two_s) // 2 >= 1 else 0)
        if mult:
            out.append((two_s / 2.0, mult))
    return out


@dataclass
class _Block:
    """One total-M block of one manifold combination: basis states and operator tables."""

    m: np.ndarray        # (d, n_sites) site magnetic quantum numbers
    hj: np.ndarray       # (d, d) J part of H (rad/s)
    # F-_s from the M+1 block: row rows[s, r] of this block <- state ups[s, r] of the M+1
    # block with coefficient coef[s, r] (padded with coef 0); shape (n_sites, R)
    rows: np.ndarray | None = None
    ups: np.ndarray | None = None
    coef: np.ndarray | None = None


@dataclass
class _Combo:
    weight: float
    spins: tuple[float, ...]
    blocks: list[_Block]
    j: np.ndarray | None = None      # (n, n) couplings between the sites (rad/s)
    _lock: object = None             # _LockTables, built on first use
    _dense: object = None            # _DenseOps ("spinach"), built on first use


@dataclass
class _Component:
    sites: np.ndarray                # global site indices
    counts: np.ndarray               # protons per site
    dim: int                         # 2 ** protons
    combos: list[_Combo]
    _terms: list = field(default_factory=list)

    def transfer(self, taus: np.ndarray) -> np.ndarray:
        """T_sr(tau) for isotropic mixing, (len(taus), n, n): rows = from, columns = to.

        In the eigenbasis of each H_J block, ``Tr(Fz_r U Fz_s U^+) =
        sum_ab (Fz_s)_ab (Fz_r)_ab cos((E_a - E_b) tau)``; the J-only products are cached.
        """
        if not self._terms:
            for combo in self.combos:
                for blk in combo.blocks:
                    e, v = np.linalg.eigh(blk.hj)
                    mz = np.stack([(v.T * blk.m[:, s]) @ v for s in range(blk.m.shape[1])])
                    upper = np.triu_indices(e.size)  # cos is even: a <= b, off-diagonal x2
                    pairs = mz[:, upper[0], upper[1]]                       # (n, P)
                    factor = np.where(upper[0] == upper[1], 1.0, 2.0) * combo.weight
                    self._terms.append((e[upper[1]] - e[upper[0]],
                                        np.einsum("sp,rp->srp", pairs, pairs * factor)))
        n = len(self.sites)
        taus = np.atleast_1d(np.asarray(taus, dtype=float))
        t = np.zeros((taus.size, n, n))
        for freq, prod in self._terms:
            t += (prod.reshape(n * n, -1) @ np.cos(np.outer(freq, taus))).T.reshape(-1, n, n)
        return t * (4.0 / self.dim) / self.counts[None, None, :]


def _blocks(spins: tuple[float, ...], j: np.ndarray) -> list[_Block]:
    """Zeeman basis of sites with spins ``spins`` split by total M (ascending), with H_J."""
    levels = [np.arange(-s, s + 0.5) for s in spins]
    states = np.array(list(itertools.product(*levels)), dtype=float).reshape(-1, len(spins))
    total = states.sum(axis=1)
    blocks = []
    for mval in np.unique(total):
        sel = states[np.isclose(total, mval)]
        blocks.append(_Block(sel, _hj(sel, spins, j)))
    # lowering tables: from block M+1 (index b+1) down to block M (index b)
    for lo, hi in zip(blocks[:-1], blocks[1:], strict=True):
        index = {tuple(row): i for i, row in enumerate(hi.m)}
        pairs = []
        for s in range(len(spins)):
            found = []
            for k, row in enumerate(lo.m):
                up = row.copy()
                up[s] += 1
                if up[s] <= spins[s] + 1e-9 and tuple(up) in index:
                    c = math.sqrt(spins[s] * (spins[s] + 1) - up[s] * (up[s] - 1))
                    found.append((k, index[tuple(up)], c))
            pairs.append(found)
        width = max(1, max(len(p) for p in pairs))
        lo.rows = np.zeros((len(spins), width), dtype=np.int64)
        lo.ups = np.zeros((len(spins), width), dtype=np.int64)
        lo.coef = np.zeros((len(spins), width))
        for s, found in enumerate(pairs):
            for r, (k, u, c) in enumerate(found):
                lo.rows[s, r], lo.ups[s, r], lo.coef[s, r] = k, u, c
    return blocks


def _hj(states: np.ndarray, spins: tuple[float, ...], j: np.ndarray) -> np.ndarray:
    """Matrix of sum_{s<r} J_sr (Iz Iz + (I+ I- + I- I+)/2) in a basis of fixed total M."""
    d, n = states.shape
    h = np.zeros((d, d))
    index = {tuple(row): i for i, row in enumerate(states)}
    for s in range(n):
        for r in range(s + 1, n):
            if j[s, r] == 0:
                continue
            h[np.arange(d), np.arange(d)] += j[s, r] * states[:, s] * states[:, r]
            for k, row in enumerate(states):  # flip-flop I+_s I-_r (and its transpose)
                ms, mr = row[s], row[r]
                if ms + 1 > spins[s] + 1e-9 or mr - 1 < -spins[r] - 1e-9:
                    continue
                new = row.copy()
                new[s] += 1
                new[r] -= 1
                other = index[tuple(new)]
                amp = 0.5 * j[s, r] * math.sqrt(
                    (spins[s] * (spins[s] + 1) - ms * (ms + 1))
                    * (spins[r] * (spins[r] + 1) - mr * (mr - 1)))
                h[other, k] += amp
                h[k, other] += amp
    return h


def _block_pair(lo, hi, blk_lo: _Block, device):
    """Frequencies (B, K) and site amplitudes (B, K, n) of transitions block M -> M+1."""
    import torch

    e_lo, v_lo = lo
    e_hi, v_hi = hi
    rows = torch.as_tensor(blk_lo.rows, device=device)             # (n, R)
    ups = torch.as_tensor(blk_lo.ups, device=device)
    coef = torch.as_tensor(blk_lo.coef, dtype=v_hi.dtype, device=device)
    n, width = rows.shape
    d_lo, d_hi = v_lo.shape[-1], v_hi.shape[-1]
    # <m|F-_s|n> = sum_r V_lo[rows_sr, m] coef_sr V_hi[ups_sr, n]: only the rows F-_s reaches
    a = v_lo[:, rows.reshape(-1), :].reshape(-1, n, width, d_lo)
    x = v_hi[:, ups.reshape(-1), :].reshape(-1, n, width, d_hi) * coef[None, :, :, None]
    q = a.transpose(2, 3) @ x                                      # (B, n, d_lo, d_hi)
    p = q.sum(dim=1, keepdim=True)                                 # <m|F-|n> = <n|F+|m>
    w = (p * q).reshape(-1, n, d_lo * d_hi).transpose(1, 2)
    f = (e_hi[:, None, :] - e_lo[:, :, None]).reshape(-1, d_lo * d_hi)
    return f, w


def _prune(freq, amp, counts, tol: float):
    """Drop, per sample, the weakest transitions whose scores sum to <= tol; compact the rest.

    score_k = sum_s |amp_ks| / counts_s. Scores are binned by powers of two and whole bins
    are dropped from the bottom while their cumulative sum stays <= tol (O(K), no sort).
    Returns freq (B, K') and amp (B, K', S), zero-padded where a sample keeps fewer.
    """
    import torch

    score = (amp.abs() / counts).sum(dim=2)                        # (B, K)
    bsz = score.shape[0]
    if tol > 0:
        bins = torch.floor(torch.log2(score)).clamp(-64, 8).to(torch.int64) + 64
        sums = torch.zeros(bsz, 73, dtype=score.dtype, device=score.device)
        sums.scatter_add_(1, bins, score)
        cut = (torch.cumsum(sums, dim=1) <= tol).sum(dim=1) - 1    # highest dropped bin
        keep = bins > cut[:, None]
    else:
        keep = score > 0
    n_keep = max(int(keep.sum(dim=1).max().item()), 1)
    pos = torch.cumsum(keep, dim=1) - 1
    rows = torch.arange(bsz, device=score.device)[:, None].expand_as(keep)
    out_f = torch.zeros(bsz, n_keep, dtype=freq.dtype, device=freq.device)
    out_w = torch.zeros(bsz, n_keep, amp.shape[2], dtype=amp.dtype, device=amp.device)
    out_f[rows[keep], pos[keep]] = freq[keep]
    out_w[rows[keep], pos[keep]] = amp[keep]
    return out_f, out_w


def _exp_sum(freq, amp, n: int, dt: float, rate: float):
    """g[b, m, s] = sum_k amp[b,k,s] exp((i freq[b,k] - rate) m dt) for m < n (complex128).

    With m = a nb + c the exponential factorises into a coarse (a) and a fine (c) table, so
    the sum is four real batched GEMMs ``coarse @ Y`` with ``Y[k, c, s] = fine[c, k] amp[k, s]``
    (nb ~ sqrt(2 n / S) balances the sizes of the two tables).
    """
    import torch

    bsz, k = freq.shape
    s = amp.shape[2]
    nb = min(n, max(1, round(math.sqrt(2 * n / s))))
    na = -(-n // nb)
    dev = freq.device

    def table(steps):
        t = steps.to(freq.dtype) * dt                               # (m,)
        phase = freq[:, None, :] * t[None, :, None]                 # (B, m, K)
        damp = torch.exp(-rate * t)[None, :, None]
        return torch.cos(phase) * damp, torch.sin(phase) * damp

    fine = torch.stack(table(torch.arange(nb, device=dev)), dim=1)  # (B, 2, nb, K)
    cr, ci = table(nb * torch.arange(na, device=dev))               # (B, na, K)
    y = fine.transpose(2, 3)[..., None] * amp[:, None, :, None, :]  # (B, 2, K, nb, S)
    yr = y[:, 0].reshape(bsz, k, nb * s)
    yi = y[:, 1].reshape(bsz, k, nb * s)
    g = torch.complex(cr @ yr - ci @ yi, cr @ yi + ci @ yr)          # (B, na, nb S)
    return g.reshape(bsz, na * nb, s)[:, :n]
