"""A compiled proton network (:class:`SpinNetwork`): its coupled components and the
States FID of any batch of shifts under one of the mixing models.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from nmrlib.tocsy.spin.algebra import (
    _LOCK_WORKSPACE,
    DEFAULT_LAMP_HZ,
    DEFAULT_SELECTION,
    MAX_BYTES,
    MAX_NETWORK_DIM,
    MAX_PROTONS,
    SPINACH_MAX_DIM,
    TWO_PI,
    _block_pair,
    _blocks,
    _Combo,
    _Component,
    _exp_sum,
    _manifolds,
    _prune,
)
from nmrlib.tocsy.spin.checks import (
    _as_float_array,
    _check_couplings,
    _number,
    check_acquisition,
    check_selection,
)
from nmrlib.tocsy.spin.mixing import _lock_signal, _lock_tables, _spinach_signal


class SpinNetwork:
    """A proton network compiled for fast repeated TOCSY simulation.

    ``counts[s]`` protons per site (1, or k magnetically equivalent protons), ``j_hz`` the
    (n_sites, n_sites) symmetric coupling matrix between sites (diagonal ignored). Only the
    shifts vary between samples, so the basis, the J part of H and the mixing transfer
    matrix are built once. At most :data:`MAX_PROTONS` protons, and every coupled network
    at most :data:`MAX_NETWORK_DIM` states (a site of k equivalent protons counts k + 1:
    its largest total-spin manifold); larger systems raise ValueError before allocating.
    """

    def __init__(self, counts, j_hz):
        counts = np.asarray(counts)
        j = np.asarray(j_hz, dtype=float)
        if (counts.ndim != 1 or counts.size == 0 or not np.issubdtype(counts.dtype, np.number)
                or np.any(counts != np.round(counts)) or np.any(counts < 1)):
            raise ValueError("counts must be a non-empty list of positive proton counts, got "
                             f"{counts.tolist()}")
        counts = counts.astype(int)
        if j.shape != (counts.size, counts.size):
            raise ValueError(f"J matrix has shape {j.shape}, expected {(counts.size,) * 2}")
        _check_couplings(j, "J matrix")
        if counts.sum() > MAX_PROTONS:
            raise ValueError(f"{counts.sum()} protons: at most {MAX_PROTONS} per spin system")
        self.counts = counts
        self.j_hz = j - np.diag(np.diag(j))
        networks = self._connected()
        for comp in networks:
            dim = int(np.prod(counts[comp] + 1))
            if dim > MAX_NETWORK_DIM:
                raise ValueError(
                    f"a coupled network of {counts[comp].sum()} protons has {dim} states in its "
                    f"largest manifold; at most {MAX_NETWORK_DIM} (10 coupled spin-1/2; a CH3 "
                    "counts 4) fit the simulator's memory")
        self.components = [self._compile(np.array(c)) for c in networks]
        self._fixed: dict[float, np.ndarray] = {}  # transfer matrices of scalar mixing times
        self.n_transitions = sum(
            lo.m.shape[0] * hi.m.shape[0] for comp in self.components for combo in comp.combos
            for lo, hi in zip(combo.blocks[:-1], combo.blocks[1:], strict=True))

    @property
    def n_sites(self) -> int:
        return int(self.counts.size)

    def _connected(self) -> list[list[int]]:
        n, seen, comps = self.n_sites, set(), []
        for start in range(n):
            if start in seen:
                continue
            stack, comp = [start], []
            seen.add(start)
            while stack:
                s = stack.pop()
                comp.append(s)
                for r in np.flatnonzero(self.j_hz[s] != 0):
                    if int(r) not in seen:
                        seen.add(int(r))
                        stack.append(int(r))
            comps.append(sorted(comp))
        return comps

    def _compile(self, sites: np.ndarray) -> _Component:
        counts = self.counts[sites]
        j = self.j_hz[np.ix_(sites, sites)] * TWO_PI
        combos = []
        for choice in itertools.product(*[_manifolds(int(k)) for k in counts]):
            spins = tuple(s for s, _ in choice)
            weight = float(np.prod([mult for _, mult in choice]))
            if all(s == 0 for s in spins):
                continue
            combos.append(_Combo(weight, spins, _blocks(spins, j), j))
        return _Component(sites, counts, 2 ** int(counts.sum()), combos)

    def transfer(self, tau):
        """Isotropic-mixing transfer matrix (n_sites, n_sites), block-diagonal by network.

        ``tau`` in s; an array of mixing times gives (len(tau), n_sites, n_sites).
        """
        if np.ndim(tau) == 0 and float(tau) in self._fixed:
            return self._fixed[float(tau)]
        taus = np.atleast_1d(np.asarray(tau, dtype=float))
        t = np.zeros((taus.size, self.n_sites, self.n_sites))
        for comp in self.components:
            t[:, comp.sites[:, None], comp.sites[None, :]] = comp.transfer(taus)
        if np.ndim(tau):
            return t
        self._fixed[float(tau)] = t[0]
        return t[0]

    def transitions(self, omega, *, amp_tol: float = 1e-7):
        """Single-quantum transitions of H for a batch of site offsets.

        ``omega``: torch tensor (B, n_sites) of offsets in rad/s (float64). Returns
        ``(freq, w)``: freq (B, K) rad/s and w (B, K, n_sites) amplitudes with
        ``g_s(t) = sum_k w_ks exp(i freq_k t)``; transitions dropped by ``amp_tol`` (see the
        module docstring) are removed; samples that keep fewer are zero-padded.
        """
        import torch

        freqs, amps = [], []
        bsz = omega.shape[0]
        counts = torch.as_tensor(self.counts, dtype=omega.dtype, device=omega.device)
        for comp in self.components:
            sites = torch.as_tensor(comp.sites, device=omega.device)
            om = omega[:, sites]
            scale = 2.0 / comp.dim
            for combo in comp.combos:
                prev = blk_prev = None
                for blk in combo.blocks:
                    m = torch.as_tensor(blk.m, dtype=omega.dtype, device=omega.device)
                    h = torch.as_tensor(blk.hj, dtype=omega.dtype, device=omega.device)
                    e, v = torch.linalg.eigh(h + torch.diag_embed(om @ m.T))
                    if prev is not None:
                        f, w = _block_pair(prev, (e, v), blk_prev, omega.device)
                        # each block pair may drop its share of the tolerance
                        share = amp_tol * f.shape[1] / self.n_transitions
                        f, w = _prune(f, w * (scale * combo.weight), counts[sites], share)
                        full = torch.zeros(bsz, f.shape[1], self.n_sites, dtype=w.dtype,
                                           device=w.device)
                        full[:, :, sites] = w
                        freqs.append(f)
                        amps.append(full)
                    prev, blk_prev = (e, v), blk
        return torch.cat(freqs, dim=1), torch.cat(amps, dim=1)

    def fid(self, shifts_ppm, *, field_mhz: float, carrier_ppm: float, sw_hz: float, n1: int,
            n2: int, tau_mix: float, t2: float, amp_tol: float = 1e-7,
            selection: str = DEFAULT_SELECTION, lamp_hz: float = DEFAULT_LAMP_HZ,
            precision: str = "double", device=None):
        """Noise-free TOCSY data for a batch of site shifts (B, n_sites) ppm.

        ``selection``: "lock" (default), "in-phase" or "spinach" (module docstring; ``amp_tol``
        applies to "in-phase", ``lamp_hz`` to "spinach"). ``precision`` "single" runs the
        "lock" propagation and contractions in float32 (eigen-decompositions and phases stay
        float64; about 2x faster, deviations ~1e-6 of the largest point, module docstring);
        the other selections are always double. Returns a complex128 torch tensor
        (B, 2, n1, n2) on ``device`` (default cpu). Raises ValueError for bad acquisition
        parameters, a shift outside the sweep, or a problem too large for memory.
        """
        import torch

        check_selection(selection, lamp_hz, precision)
        tol = _number(amp_tol, "amp_tol")
        if not (tol >= 0 and math.isfinite(tol)):
            raise ValueError(f"amp_tol must be a finite number >= 0, got {amp_tol!r}")
        shifts = _as_float_array(shifts_ppm, "shifts")
        if shifts.ndim != 2 or shifts.shape[1] != self.n_sites or shifts.shape[0] == 0:
            raise ValueError(f"shifts must have shape (B >= 1, {self.n_sites}), got "
                             f"{shifts.shape}")
        check_acquisition(shifts, field_mhz=field_mhz, carrier_ppm=carrier_ppm, sw_hz=sw_hz,
                          n1=n1, n2=n2, tau_mix=tau_mix, t2=t2)
        n1, n2 = int(n1), int(n2)
        out_bytes = shifts.shape[0] * 2 * n1 * n2 * 16
        if out_bytes > MAX_BYTES:
            raise ValueError(f"{shifts.shape[0]} spectra of 2 x {n1} x {n2} points need "
                             f"{out_bytes / 2**30:.1f} GiB; at most {MAX_BYTES / 2**30:.0f} GiB "
                             "per call: use smaller batches")
        device = torch.device(device or "cpu")
        shifts = torch.as_tensor(shifts, device=device)
        omega = TWO_PI * (shifts - carrier_ppm) * field_mhz
        if selection == "lock":
            dtype = torch.float32 if precision == "single" else torch.float64
            return self._lock_fid(omega, n1, n2, 1.0 / sw_hz, float(tau_mix), 1.0 / t2, dtype)
        if selection == "spinach":
            return self._spinach_fid(omega, n1, n2, 1.0 / sw_hz, float(tau_mix), 1.0 / t2,
                                     TWO_PI * float(lamp_hz))
        freq, amp = self.transitions(omega, amp_tol=amp_tol)
        g = _exp_sum(freq, amp, max(n1, n2), 1.0 / sw_hz, 1.0 / t2)  # (B, n, S) complex
        counts = torch.as_tensor(self.counts, dtype=torch.float64, device=device)
        tmat = torch.as_tensor(self.transfer(tau_mix), dtype=torch.complex128, device=device)
        right = g[:, :n2].transpose(1, 2)                 # (B, S, n2)
        left = g[:, :n1] / counts                           # (B, n1, S)
        cos = (left.real.to(torch.complex128) @ tmat) @ right
        sin = (left.imag.to(torch.complex128) @ tmat) @ right
        return torch.stack([cos, sin], dim=1)

    def _lock_fid(self, omega, n1: int, n2: int, dt: float, tau: float, rate: float, dtype):
        """The "lock" selection (module docstring), computed in the real ``dtype``:
        (B, 2, n1, n2) complex128."""
        import torch

        bsz, n = omega.shape[0], max(n1, n2)
        tables = [(comp, combo, _lock_tables(combo)) for comp in self.components
                  for combo in comp.combos]
        per_sample = max(32 * tab.n_params * n for _, _, tab in tables)
        if per_sample > MAX_BYTES:
            raise ValueError(f"the lock simulation of this network at {n} points needs "
                             f"~{per_sample / 2**30:.1f} GiB per spectrum (> "
                             f"{MAX_BYTES / 2**30:.0f} GiB): use fewer points or a smaller "
                             "network")
        out = torch.zeros(bsz, 2, n1, n2, dtype=torch.complex128, device=omega.device)
        times = torch.arange(n, dtype=torch.float64, device=omega.device) * dt
        for comp, combo, tab in tables:
            sub = max(1, _LOCK_WORKSPACE // (32 * tab.n_params * n))
            om = omega[:, torch.as_tensor(comp.sites, device=omega.device)]
            scale = 4.0 * combo.weight / comp.dim
            for lo in range(0, bsz, sub):
                out[lo:lo + sub] += scale * _lock_signal(tab, combo, om[lo:lo + sub], times,
                                                         n1, n2, tau, dtype)
        damp = torch.exp(-rate * times)
        return out * (damp[:n1, None] * damp[None, :n2])

    def _spinach_fid(self, omega, n1: int, n2: int, dt: float, tau: float, rate: float,
                     lamp: float):
        """The "spinach" selection (module docstring), dense: (B, 2, n1, n2) complex128."""
        import torch

        big = max(sum(b.m.shape[0] for b in combo.blocks) for comp in self.components
                  for combo in comp.combos)
        if big > SPINACH_MAX_DIM:
            raise ValueError(f"selection='spinach' propagates densely and is meant for small "
                             f"networks (at most {SPINACH_MAX_DIM} states, 8 coupled spin-1/2); "
                             f"this one has {big}: use 'lock'")
        per_sample = 48 * n1 * big**2          # rho(t1), sigma(t1) and a product, complex
        if per_sample > MAX_BYTES:
            raise ValueError(f"selection='spinach' at n1 = {n1} needs ~{per_sample / 2**30:.1f} "
                             f"GiB per spectrum (> {MAX_BYTES / 2**30:.0f} GiB): use 'lock'")
        bsz, n = omega.shape[0], max(n1, n2)
        sub = max(1, _LOCK_WORKSPACE // per_sample)
        out = torch.zeros(bsz, 2, n1, n2, dtype=torch.complex128, device=omega.device)
        times = torch.arange(n, dtype=torch.float64, device=omega.device) * dt
        for comp in self.components:
            om = omega[:, torch.as_tensor(comp.sites, device=omega.device)]
            for combo in comp.combos:
                for lo in range(0, bsz, sub):
                    out[lo:lo + sub] += (4.0 * combo.weight / comp.dim) * _spinach_signal(
                        combo, om[lo:lo + sub], times, n1, n2, tau, lamp)
        damp = torch.exp(-rate * times)
        return out * (damp[:n1, None] * damp[None, :n2])
