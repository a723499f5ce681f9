"""Exact 2D 1H-1H TOCSY of small proton networks (States data), three mixing models.

Physics and conventions (angular frequencies in rad/s, times in s, shifts in ppm, J in Hz):

* Spin-1/2 protons. Free Hamiltonian ``H = sum_i W_i Iz_i + sum_{i<j} 2 pi J_ij I_i . I_j``
  (strong coupling: full isotropic J, no weak-coupling shortcut) with
  ``W_i = 2 pi (delta_i - carrier_ppm) field_MHz``, so a shift above the carrier has a
  positive frequency. States evolve as ``rho(t) = U rho U^+`` with ``U = exp(-i H t)``.
* Sequence: excitation to ``Fx = sum_i Ix_i``; t1 evolution under H; mixing for ``tau_mix``
  around the lock axis ``a`` (x for the cos channel 0, y for the sin channel 1); the mixed
  state is returned along x (the y channel is rotated by -90 degrees about z, which for the
  F+ signal is the receiver phase -i); F+ detection during t2 under H.
* Sampling: ``t1 = k / sw``, ``t2 = m / sw`` (first points at t = 0), the same sweep in both
  dimensions. Damping ``exp(-t1/T2) exp(-t2/T2)`` (``t2=inf``: none); no relaxation during
  mixing in any mode.
* Normalisation: every proton contributes 1 to the first point of the cos channel, so
  ``S_cos(0, 0)`` equals the number of protons (in every mode).
* Noise (optional): complex white Gaussian noise with ``E|n|^2 = sigma^2`` and
  ``sigma = max|S| / snr`` (peak time-domain amplitude over noise rms), drawn from the
  given generator.

The mixing models (``selection``), each exact for its declared physics:

``"lock"`` (the default, :data:`DEFAULT_SELECTION`): an ideal spin lock with trim pulses.
    Before and after mixing keep the full part of rho that commutes with the lock-axis total
    spin ``Fa`` (in-phase magnetisation along a, zero-quantum coherences and multi-spin
    orders of the lock frame); mix under the isotropic ``H_J`` (offsets fully suppressed).
    This is the ideal phase-sensitive MLEV-17 TOCSY with trim pulses (Bax & Davis, J. Magn.
    Reson. 65, 355 (1985); Bruker ``mlevph``), or the z-filtered TOCSY without zero-quantum
    suppression; isotropic mixing is the Hartmann-Hahn transfer of Braunschweiler & Ernst
    (J. Magn. Reson. 53, 521 (1983)). The zero-quantum terms that survive the lock give the
    dispersive, antiphase cross-peak components of strongly coupled systems (Cavanagh &
    Rance, J. Magn. Reson. 88, 72 (1990); Cavanagh et al., *Protein NMR Spectroscopy*, 2nd
    ed., 2007). It is also the strong-lock limit of Spinach's ``tocsy.m`` once the
    components not locked along a are dephased (rf inhomogeneity, see ``"spinach"``).
    A spectroscopist's default: it is what the paper's simulator and a real MLEV-17 TOCSY
    approach, dispersive strong-coupling terms included.
``"in-phase"``: the simplified physics of earlier versions of this module (bit-identical).
    Each filter keeps only the in-phase site magnetisation along the lock axis
    (Hilbert-Schmidt projection of rho onto the site operators ``I_a,s``); coherences of
    every order and multi-spin orders are removed. That is the lock followed by ideal
    zero-quantum suppression (Thrippleton & Keeler, Angew. Chem. Int. Ed. 42, 3938 (2003))
    and by the loss of longitudinal multi-spin orders, exact only in the weak-coupling
    limit; pure absorptive in-phase cross peaks. Fast (a factorised transfer matrix).
``"spinach"``: Spinach's ``experiments/nmr_liquids/tocsy.m`` (Hogben et al., J. Magn. Reson.
    208, 179 (2011); github.com/IlyaKuprov/Spinach): mixing under ``H + 2 pi lamp Fa``
    (a continuous lock of ``lamp_hz`` along x for the cos channel, along y for the sin
    channel), offsets present during mixing, no filter, direct detection. Spinach starts
    from ``-Fy`` (its 90 degree x pulse on ``Lz``) and calls the x-lock channel ``cos``;
    rotating that whole experiment by 90 degrees about z (which commutes with H and changes
    the F+ signal by a constant phase; the sign of ``lamp`` is immaterial) maps it exactly
    onto this module's convention (start from Fx; x lock = cos channel), so Spinach's
    ``fid.cos`` / ``fid.sin`` are our sin / cos channels up to constant phases. Newer
    Spinach releases also relax during the lock; here, as in the older ``tocsy.m``, mixing
    is coherent. Dense propagation, for small networks only (:data:`SPINACH_MAX_DIM`). The
    components of rho not locked along a keep precessing at about ``lamp``, so the data
    oscillate with ``lamp * tau_mix``; averaged over a spread of lock powers (rf
    inhomogeneity) they dephase and, as ``lamp`` grows, ``"spinach"`` tends to ``"lock"``.

How ``"in-phase"`` is computed. Let ``g_s(t) = (2/D) Tr(F+ U(t) Fx_s U(t)^+)`` be the
F+ signal of site s alone (``Fx_s`` = the x magnetisation of site s, D = Hilbert space
dimension). With real Zeeman-basis matrices, the lock-axis projections after t1 are
``Re g_s(t1) / n_s`` (cos channel) and ``Im g_s(t1) / n_s`` (sin channel), where n_s is the
number of protons of site s. Isotropic mixing turns lock-axis magnetisation of site s into
``sum_r T_sr I_a,r`` with the rotation-invariant transfer matrix
``T_sr = Tr(Fz_r U_J Fz_s U_J^+) / Tr(Fz_r^2)`` (J only, cached per spin system and
``tau_mix``). Hence

    S_cos(t1, t2) = sum_sr Re[g_s(t1)] / n_s * T_sr * g_r(t2)   (sin: Im instead of Re)

and each ``g_s(t) = sum_k w_ks exp((i w_k - 1/T2) t)`` is a sum over the single-quantum
transitions k of H. The simulator

* block-diagonalises H by total Fz (H conserves it) and diagonalises each block (batched
  ``torch.linalg.eigh``),
* treats k magnetically equivalent protons (a CH3) exactly by permutation symmetry: the
  group is a sum of total-spin manifolds (3 protons: one spin-3/2 with weight 1 and two
  spin-1/2 with weight 2); every combination of manifolds is simulated as a smaller system
  and the results are added with their weights (all three modes),
* factorises networks that share no coupling (each connected component is simulated on its
  own; T is block-diagonal; all three modes),
* drops, per sample, the weakest transitions as long as their summed score
  ``sum_k sum_s |w_ks| / n_s`` stays <= ``amp_tol`` (default 1e-7, shared between the block
  pairs in proportion to their size): ``sum_s |g_s(t) - exact| / n_s <= amp_tol`` at every
  t (``|exp(...)| <= 1``), i.e. far below the float32 precision the data set stores,
* evaluates the exponential sums on the uniform grid with four real batched GEMMs per batch
  (``t = (a nb + c) / sw`` splits ``exp(i w t)`` into a coarse and a fine factor table),
* caches the J-only parts (basis, H_J blocks, the eigen-products behind T(tau)) per network.

How ``"lock"`` is computed (exactly, no pruning; ``amp_tol`` is not used). Rotate the lock
frame onto z with ``V = exp(i pi/2 Fy)`` (``V Fx V^+ = Fz``; the y channel follows by a z
rotation, below). "Commutes with Fx" becomes "block-diagonal in the rotated total M'", and
H_J, being isotropic, commutes with V. Use the coupled basis ``|S, M, i>`` of H_J (total spin
S, multiplet i with H_J energy ``e_Si``, built per manifold combination by diagonalising H_J
on the highest-weight states and lowering with F-). Then ``V |S, M, i> = sum_M' d^S_M'M |S,
M', i>`` with Wigner's ``d^S(pi/2)``, and the rotated M' block of any operator A is

    X_M'[(S,i), (S',j)] = sum_M d^S_M',M+1 d^S'_M',M  <S, M+1, i| A |S', M, j>

for A = F+(t) = U(t)^+ F+ U(t) (raising: only its M -> M+1 blocks Z_M(t) enter). Writing
``rho(t1) = (F+(-t1) + F+(-t1)^+)/2`` and ``X(-t) = conj X(t)``, the locked x and y parts of
rho(t1) are the Hermitian blocks ``r = (X^T + conj X)/2`` and ``q = -i (X^T - conj X)/2``
(the y lock, returned along x, is the combination of the two coherence-order pathways that
a 90 degree z rotation selects). Isotropic mixing multiplies entry (a, c) of a block by
``exp(-i (e_a - e_c) tau_mix)``, and

    S_cos(t1, t2) = (4/D) sum_M' sum_ac X_M'(t2)[c, a] exp(-i (e_a - e_c) tau) r_M'(t1)[a, c]

(sin: q instead of r), a real GEMM over the real parameters of the Hermitian blocks. The
cost per time point is the sandwich ``Z_M(t) = C_M+1 (F_M o exp(i (E_u - E_l) t)) C_M^T``
(C = coupled <- eigenbasis of H, F = F+ in the eigenbasis; two real GEMMs per block pair)
plus the final GEMM over the ~C/2 parameters (C = sum_M' d_M'^2; the rotated blocks M' and
-M' are equal up to a sign for the odd coherence orders involved, so only M' >= 0 is kept).
``precision="single"`` (the data sets' default) runs that propagation and the contractions in
float32, with the eigen-decompositions, phases and mixing factors still computed in float64:
2.0-2.5x faster, and the largest deviation from the float64 result is 0.7-2e-7 of the largest
point (brute-force tests, and LYS / ILE / LEU at 2 x 256 x 256), the size of the complex64
rounding the data sets are stored with. ``"double"`` (the function default) is exact to ~1e-12.
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


def _as_float_array(values, name: str) -> np.ndarray:
    """``values`` as a float64 array; ValueError naming ``name`` for non-numbers, NaN or inf."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numbers, got {values!r}") from err
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(f"{name} must be finite: {name}[{', '.join(map(str, bad))}] = "
                         f"{arr[tuple(bad)]}")
    return arr


def _check_couplings(j: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(j)):
        a, b = np.argwhere(~np.isfinite(j))[0]
        raise ValueError(f"{name} must be finite: J[{a}, {b}] = {j[a, b]}")
    asym = np.abs(j - j.T)
    if asym.max(initial=0.0) > 1e-9:
        a, b = np.unravel_index(np.argmax(asym), asym.shape)
        raise ValueError(f"{name} must be symmetric (J_ij == J_ji): J[{a}, {b}] = {j[a, b]} Hz "
                         f"but J[{b}, {a}] = {j[b, a]} Hz")


def _groups(groups, n: int) -> list[list[int]]:
    """Validated equivalence groups: disjoint lists of spin indices in range."""
    out, seen = [], set()
    for g in groups or []:
        members = np.asarray(g)
        if members.ndim != 1 or members.size == 0 or not np.issubdtype(members.dtype, np.number) \
                or np.any(members != np.round(members)):
            raise ValueError(f"each group must be a non-empty list of spin indices, got {g!r}")
        members = [int(i) for i in members]
        for i in members:
            if not 0 <= i < n:
                raise ValueError(f"group {members}: spin index {i} out of range for {n} spins")
            if i in seen:
                raise ValueError(f"groups overlap: spin {i} is in more than one group")
            seen.add(i)
        out.append(members)
    return out


def network_from_spins(shifts_ppm, couplings_hz, groups=None):
    """Collapse explicit protons into sites (equivalent groups -> one site).

    Returns ``(network, site_shifts, site_of_spin)``. Each group must be magnetically
    equivalent: identical shifts and identical couplings to every proton outside it.
    """
    shifts = _as_float_array(shifts_ppm, "shifts_ppm")
    n = shifts.size
    if shifts.ndim != 1 or n == 0:
        raise ValueError(f"shifts_ppm must be a non-empty 1D array, got shape {shifts.shape}")
    if n > MAX_PROTONS:
        raise ValueError(f"{n} protons: at most {MAX_PROTONS} per spin system")
    j = _as_float_array(couplings_hz, "couplings_hz")
    if j.shape != (n, n):
        raise ValueError(f"couplings_hz has shape {j.shape}, expected ({n}, {n})")
    _check_couplings(j, "couplings_hz")
    groups = _groups(groups, n)
    flat = {i for g in groups for i in g}
    members = groups + [[i] for i in range(n) if i not in flat]
    members.sort(key=lambda g: g[0])
    for g in members:
        if len(g) < 2:
            continue
        outside = [i for i in range(n) if i not in g]
        if not np.allclose(shifts[g], shifts[g[0]], atol=1e-12) or not np.allclose(
                j[np.ix_(g, outside)], j[g[0], outside][None, :], atol=1e-12):
            raise ValueError(f"group {g} is not magnetically equivalent (shifts and couplings "
                             "to every other proton must be identical)")
    site_j = np.array([[j[a[0], b[0]] if a is not b else 0.0 for b in members] for a in members])
    site_of = np.empty(n, dtype=int)
    for s, g in enumerate(members):
        site_of[g] = s
    net = SpinNetwork([len(g) for g in members], site_j)
    return net, np.array([shifts[g[0]] for g in members]), site_of


def _number(value, name: str) -> float:
    if isinstance(value, (bool, str, bytes)) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a number, got {value!r}") from err


def check_selection(selection, lamp_hz=DEFAULT_LAMP_HZ, precision: str = "double") -> None:
    """Raise ValueError for an unknown mixing model or precision, or a bad spin-lock power."""
    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}: expected one of {SELECTIONS}")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: expected one of {PRECISIONS}")
    if precision == "single" and selection != "lock":
        raise ValueError(f"precision='single' exists for selection='lock' only (the "
                         f"{selection!r} model always computes in double precision)")
    if selection == "spinach":
        lamp = _number(lamp_hz, "lamp_hz")
        if not (lamp > 0 and math.isfinite(lamp)):
            raise ValueError(f"lamp_hz (spin-lock power, Hz) must be positive and finite, got "
                             f"{lamp_hz}")


def check_acquisition(shifts_ppm, *, field_mhz, carrier_ppm, sw_hz, n1, n2, tau_mix, t2):
    """Raise ValueError for unphysical acquisition parameters or a shift that would fold.

    Checks: positive finite field and sweep; finite carrier; t2 > 0 (``inf``: no damping);
    finite ``tau_mix >= 0``; integer ``n1, n2 >= 2`` with ``n1 * n2 <= MAX_GRID_POINTS``;
    finite shifts within +/- ``SHIFT_LIMIT_PPM`` and inside the sweep (negative shifts are
    legal when the sweep holds them).
    """
    for name, value in (("field_mhz", field_mhz), ("sw_hz", sw_hz)):
        v = _number(value, name)
        if not (v > 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be positive and finite, got {value}")
    if not math.isfinite(_number(carrier_ppm, "carrier_ppm")):
        raise ValueError(f"carrier_ppm must be finite, got {carrier_ppm}")
    if not _number(t2, "t2") > 0:
        raise ValueError(f"t2 (transverse relaxation time, s) must be positive, got {t2}")
    tau = _number(tau_mix, "tau_mix")
    if not (tau >= 0 and math.isfinite(tau)):
        raise ValueError(f"tau_mix (mixing time, s) must be finite and >= 0, got {tau_mix}")
    for name, value in (("n1", n1), ("n2", n2)):
        v = _number(value, name)
        if not (math.isfinite(v) and v == int(v) and v >= 2):
            raise ValueError(f"{name} must be an integer >= 2, got {value}")
    if int(n1) * int(n2) > MAX_GRID_POINTS:
        raise ValueError(f"grid n1 x n2 = {int(n1)} x {int(n2)} = {int(n1) * int(n2)} points: at "
                         f"most {MAX_GRID_POINTS} ({math.isqrt(MAX_GRID_POINTS)}^2)")
    shifts = _as_float_array(shifts_ppm, "shifts")
    if np.any(np.abs(shifts) > SHIFT_LIMIT_PPM):
        bad = shifts[np.abs(shifts) > SHIFT_LIMIT_PPM]
        raise ValueError(f"shift(s) {bad.tolist()} ppm are not 1H shifts (|delta| <= "
                         f"{SHIFT_LIMIT_PPM} ppm)")
    offs = (shifts - carrier_ppm) * field_mhz
    if np.any(np.abs(offs) >= sw_hz / 2):
        bad = shifts[np.abs(offs) >= sw_hz / 2]
        raise ValueError(f"shift(s) {np.round(bad, 3).tolist()} ppm outside the sweep "
                         f"{carrier_ppm} +/- {sw_hz / 2 / field_mhz:.3f} ppm (would fold)")


def tocsy_fid(shifts_ppm, couplings_hz, *, field_mhz: float, carrier_ppm: float, sw_hz: float,
              n1: int, n2: int, tau_mix: float, t2: float, groups=None, rng=None,
              snr: float | None = None, amp_tol: float = 1e-7,
              selection: str = DEFAULT_SELECTION, lamp_hz: float = DEFAULT_LAMP_HZ,
              precision: str = "double") -> np.ndarray:
    """States TOCSY time-domain data, complex (2, n1, n2).

    ``shifts_ppm`` (N,) per proton, ``couplings_hz`` (N, N) symmetric, ``groups`` lists of
    indices of magnetically equivalent protons (CH3), ``tau_mix`` and ``t2`` in s. Channel 0
    is the cos (x-lock) and channel 1 the sin (y-lock) channel; ``selection`` picks the
    mixing model ("lock", "in-phase", "spinach"; module docstring), ``precision`` "single"
    the float32 "lock" path. With ``snr``, complex white noise is added, drawn from ``rng``
    (a numpy Generator, required then).
    """
    check_selection(selection, lamp_hz, precision)
    if snr is not None:
        _check_snr(snr, rng)
    net, site_shifts, _ = network_from_spins(shifts_ppm, couplings_hz, groups)
    data = net.fid(site_shifts[None], field_mhz=field_mhz, carrier_ppm=carrier_ppm, sw_hz=sw_hz,
                   n1=n1, n2=n2, tau_mix=tau_mix, t2=t2, amp_tol=amp_tol, selection=selection,
                   lamp_hz=lamp_hz, precision=precision)
    data = data[0].numpy()
    if snr is not None:
        data = add_noise(data, snr, rng)
    return data


def _check_snr(snr, rng) -> None:
    if rng is None:
        raise ValueError("snr given but no rng: pass a numpy Generator (nmrlib.core.repro.rng)")
    if not _number(snr, "snr") > 0:
        raise ValueError(f"snr must be positive, got {snr}")


def add_noise(data: np.ndarray, snr: float, rng: np.random.Generator | None) -> np.ndarray:
    """Add complex white Gaussian noise, rms ``max|data| / snr`` (E|n|^2 = sigma^2)."""
    _check_snr(snr, rng)
    sigma = float(np.max(np.abs(data))) / snr
    noise = rng.standard_normal((2, *data.shape)) * (sigma / math.sqrt(2.0))
    return data + (noise[0] + 1j * noise[1]).astype(data.dtype)


def states_spectrum(data, *, window: bool = True) -> np.ndarray:
    """Phase-sensitive 2D spectrum (n1, n2) of States data (..., 2, n1, n2), real.

    Pure absorption for amplitude-modulated data ("in-phase"); the zero-quantum terms kept
    by "lock" add their (physical) dispersive antiphase components.

    Hypercomplex processing: optional cos^2 bell in both dimensions, first points halved,
    FT along t2, keep the real (absorption) part of both channels, combine them as
    ``cos + i sin`` and FT along t1; real part. Both axes are ``fftshift``-ed, frequency
    increasing with index (``nmrlib.core.plotting.ppm_axis`` gives their ppm).
    """
    data = np.array(data, dtype=complex)
    if data.ndim < 3 or data.shape[-3] != 2:
        raise ValueError(f"expected States data (..., 2, n1, n2), got shape {data.shape}")
    n1, n2 = data.shape[-2:]
    if window:
        data *= np.multiply.outer(np.cos(np.linspace(0, np.pi / 2, n1)) ** 2,
                                  np.cos(np.linspace(0, np.pi / 2, n2)) ** 2)
    data[..., 0, :] *= 0.5
    data[..., :, 0] *= 0.5
    f2 = np.fft.fft(data, axis=-1).real
    mixed = f2[..., 0, :, :] + 1j * f2[..., 1, :, :]
    return np.fft.fftshift(np.fft.fft(mixed, axis=-2), axes=(-2, -1)).real
