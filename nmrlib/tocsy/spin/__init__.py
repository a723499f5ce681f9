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

Layout: :mod:`.algebra` (limits, manifolds, Hamiltonian blocks), :mod:`.mixing` (the
"lock" and "spinach" mixing models), :mod:`.network` (:class:`SpinNetwork`), :mod:`.checks`
(input checks) and :mod:`.acquisition` (the public functions below).
"""

from nmrlib.tocsy.spin.acquisition import (
    add_noise,
    network_from_spins,
    states_spectrum,
    tocsy_fid,
)
from nmrlib.tocsy.spin.algebra import (
    DEFAULT_LAMP_HZ,
    DEFAULT_SELECTION,
    MAX_BYTES,
    MAX_GRID_POINTS,
    MAX_NETWORK_DIM,
    MAX_PROTONS,
    PRECISIONS,
    SELECTIONS,
    SHIFT_LIMIT_PPM,
    SPINACH_MAX_DIM,
)
from nmrlib.tocsy.spin.checks import check_acquisition, check_selection
from nmrlib.tocsy.spin.network import SpinNetwork

__all__ = [
    "DEFAULT_LAMP_HZ", "DEFAULT_SELECTION", "MAX_BYTES", "MAX_GRID_POINTS", "MAX_NETWORK_DIM",
    "MAX_PROTONS", "PRECISIONS", "SELECTIONS", "SHIFT_LIMIT_PPM", "SPINACH_MAX_DIM",
    "SpinNetwork", "add_noise", "check_acquisition", "check_selection", "network_from_spins",
    "states_spectrum", "tocsy_fid",
]
