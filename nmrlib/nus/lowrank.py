"""Low-rank Hankel reconstruction of NUS indirect time-domain traces (method ``"lr"``).

Qu et al., Angew. Chem. Int. Ed. 54, 852 (2015): a sum of R damped exponentials
``x_t = sum_r a_r z_r**t`` has a Hankel matrix ``H x`` (``(H x)[i, j] = x[i + j]``) of rank R,
so the missing points are filled by

    min_x ||H x||_* + lambda/2 ||y - M x||^2

(``M`` keeps the sampled complex points). ``algorithm="admm"`` (the paper's solver):
ADMM with the splitting ``Z = H x`` and scaled dual ``D``:

    Z <- SVT_{1/beta}(H x + D/beta)            singular-value soft thresholding
    x <- (lambda M + beta W)^-1 (lambda M y + beta H*(Z - D/beta))
    D <- D + tau beta (H x - Z)

``W = H* H`` is diagonal (the anti-diagonal lengths), so the x-step is element-wise. The
paper's settings are the defaults: lambda = 1e5, beta = 1, at most 300 iterations, stop
when ``||x_k - x_{k-1}|| / ||x_k|| < 1e-5``.

Deviation from the paper, and why: **each trace is normalised to its own max |y|** (the
paper scales the whole spectrum to unit maximum; ``scale=`` restores one common factor).
ADMM on ``a y`` with threshold ``1/beta`` equals ``a`` times ADMM on ``y`` with threshold
``1/(a beta)``, so with one global factor a trace at 1 % of the strongest one sees a
threshold 100 times larger: every iterate is soft-thresholded to zero until the dual has
grown 100-fold, and 300 iterations end far from the optimum (synthetic: relative error
0.12 at 1 %, 0.68 -- no better than zero filling -- at 0.1 % of the maximum; 2e-4 for
every trace when each is normalised). The traces are independent problems, so this also
makes the result independent of how the batch is chunked.

That is not why the paper's LR falls below zero filling on real 2D spectra. There the
ADMM is converged (peak R² unchanged from 100 to 3000 iterations, and the same with one
common or per-trace normalisation): the *nuclear-norm optimum itself* fills crowded
traces badly. A trace crossing R peaks needs about 2R samples as a rank-R Hankel matrix,
and real 1H-15N traces carry 6-10 significant components (sub-threshold peaks, tails of
neighbours); with 13-26 samples (10-20 % of 128) the minimum-nuclear-norm completion
shrinks the unsampled points towards zero by a different factor for every peak (MALT1,
15 %: ratios 0.3-0.8 of the reference, R² 0.71 against 0.88 for zero filling). Synthetic
traces of 6 noise-free exponentials show the same (LR 0.60 < zero filling 0.64 < IST 0.85
at 15 %), so noise is not the cause.

What helps, as options (documented choices beside the paper):

* ``virtual_echo=True`` with the indirect phase ``p0`` (degrees, NMRPipe PS convention,
  ``p1`` must be 0; Mayzel, Kazimierczuk & Orekhov, Chem. Commun. 50, 8947 (2014)): the
  phased trace ``s`` is extended to the Hermitian sequence ``(conj s_{n-1}, ..., conj s_1,
  Re s_0, s_1, ..., s_{n-1})`` whose spectrum is the real absorptive one. An undamped
  component keeps rank 1 over the 2n - 1 points, so the samples per unknown double. The
  phase is the one the spectrum is processed with; ``Im s_0`` is kept as measured.
* ``algorithm="svt"``: singular-value soft thresholding with a falling threshold and the
  measured points put back each iteration -- hmsIST (``nmrlib.nus.ist``) on the Hankel
  singular values instead of the Fourier coefficients:
  ``x <- P_sampled(y) + P_unsampled(H^+ SVT_{t_k}(H x))``, ``H^+`` the anti-diagonal
  average, ``t_k`` falling linearly from ``i_mult * sigma_1`` (sigma_1 of the zero-filled
  trace's Hankel matrix) to ``final * sigma_1`` over ``max_iter`` (default 100) steps.
  Strong components enter first; the path does not end at the nuclear-norm optimum and
  does not shrink the late, weak components as much.

Measured on the four real sets (32 peak-holding columns, 16 for methyl; 5 Poisson-gap
schedules per level; peak R² mean, zero filling / IST / ADMM / "svt" / "svt" + echo):
without the echo "svt" is close to ADMM (-0.02 to +0.05 over the 16 set x level cells,
in a quarter to a tenth of the time) and shares its failure on the crowded sets (MALT1
10 %: 0.84 / 0.92 / 0.76 / 0.75 / 0.92; 13C-15N 15 %: 0.60 / 0.86 / 0.68 / 0.71 / 0.84).
With the echo it is at or above zero filling on MALT1 and 13C-15N at every level and
within 0.01 of IST (or above it) at 20 % on all four sets, but not above zero filling at
10 % on the methyl HMQC (0.795 / 0.806 / 0.852 / 0.848 / 0.787) and on azithromycin (64
points, 6 samples: 0.972 / 0.945 / 0.910 / 0.929 / 0.951; IST fails there too). The echo
assumes an exact F1 phase: on methyl, p0 = -10 instead of the processing's 0 gives 0.806,
+10 gives 0.753. The notebooks use "svt" + echo as the project's LR with each set's F1
phase.

**The default** (``algorithm="auto"``, issue 23; :func:`nmrlib.nus.lrauto.auto_options`)
is "svt" on the virtual echo, with the F1 phase given (``p0``; the CLI's
``-p0``/``-p1``) or, when none is given, estimated from the data
(:func:`nmrlib.nus.lrauto.estimate_f1_phase`, minimum L1/L2 of the real spectrum of an
IST reconstruction). Measured on the four real sets (16-column peak windows, 5
Poisson-gap schedules at 10/15/20 %; zero filling / ADMM / "svt" / "svt" + refit / "svt"
+ echo at the processing phase / "svt" + echo at the estimated phase): MALT1 0.733 /
0.597 / 0.625 / 0.564 / 0.763 / 0.764 at 10 %, 0.772 / 0.775 / 0.724 / 0.632 / 0.925 /
0.925 at 15 %; 13C-15N 0.454 / 0.618 / 0.577 / 0.448 / 0.570 / 0.572 at 10 %, 0.604 /
0.684 / 0.748 / 0.602 / 0.830 / 0.830 at 15 %; azithromycin 0.897 / 0.927 / 0.933 /
0.522 / 0.997 / 0.998 at 10 %; methyl >= 0.990 for every LR variant against zero
filling's 0.839-0.901. The estimated phases lay within 4 degrees of the processing's
(methyl: -7 against 0, R² unchanged). With the estimated phase the default is above zero
filling in every set x level cell; the least-squares amplitude refit
(:func:`nmrlib.nus.lrauto.ls_refit`, the issue's suggestion) is *below* plain LR on the
crowded sets, so it is kept as a function, not used. The paper's ADMM stays available as
``algorithm="admm"`` (notebook 06's ``lr-admm``). A data set whose F1 needs p1 != 0
gets no echo (plain "svt") unless it is phased first. Over 10 schedules per level (the
schedules of ``bench/bench_dl_real.py``), default / zero filling at 10, 15, 20 %: methyl
0.996 / 0.817, 0.998 / 0.906, 0.998 / 0.908; 13C-15N 0.557 / 0.500, 0.798 / 0.612,
0.928 / 0.707; azithromycin 0.939 / 0.911, 0.997 / 0.966, 0.998 / 0.975; MALT1 0.767 /
0.722, 0.909 / 0.781, 0.967 / 0.845.

Speed (issue 23: the SVD of each Hankel matrix dominated; LR took ~100x IST's time).
For "svt" the subspace SVT keeps at most ``max_rank`` singular values (the default
``max_rank="auto"``: the most measured points of a trace, echo included -- the data cannot
determine more components than that; without the cap the late low thresholds widened the
subspace to a full SVT each iteration; per-trace caps: the third pass below), its Hankel
products ``H V`` and ``Q^H H`` are FFT correlations (:class:`HankelOp`), the anti-diagonal
sums of ``U S V^H`` FFT convolutions
(:func:`lowrank_adjoint`), the range basis a Cholesky QR, the warm start
the normalised leading rows of ``S V^H``, and sigma_1 a 30-step power iteration. Measured
(16-column peak windows, 3 schedules, the previous code / this one / IST, one shared
core, 10 %): methyl 9.6 / 2.5 / 0.07 s, MALT1 2.0 / 0.56 / 0.04 s, 13C-15N 2.7 / 1.0 /
0.09 s, azithromycin 0.58 / 0.22 / 0.03 s, R² equal within 0.007. The issue's "at most
10x IST" holds on azithromycin only (6.6-9.7x at 10-20 %; 13C-15N 11-15x, MALT1 14-26x,
methyl 35-66x); ``bench/bench_lr_speed.py`` prints the ratio.

Issue 23, second pass. The default now solves the subspace SVT's small Gram and eigen
problems in complex64 for complex64 input (``precision="auto"``; "double" is the previous
complex128 path, which ADMM always takes), the Cholesky QR's Gram matrix scaled to unit
diagonal first: R² is unchanged on every set and level (to 4 decimals, 10 schedules) and
LR takes 0.79-0.90 of the previous CPU time -- still 5-48x IST (CPU seconds; 13C-15N
8.5-11x, MALT1 12-18x, methyl 29-48x, azithromycin 5.0-7.6x; ``bench/bench_lr_speed.py``). Tried
and *not* made the default (10 schedules x 10/15/20 %, R² against the default's):

* ``init="ist"`` (kept as an option): the continuation starts from IST's reconstruction.
  With the threshold still from 0.98 x sigma_1 it ends where the cold start ends, so it
  saves nothing; the saving needs a lower start, and then the result inherits IST's
  errors where IST fails: with ``i_mult=0.5, max_iter=50`` azithromycin 10 % falls from
  0.939 to 0.898 (IST 0.896) and 13C-15N 10 % from 0.556 to 0.542, while MALT1 gains
  (0.772 -> 0.779) -- and methyl, whose cost is the late low-threshold steps, only goes
  from 29x to 24x IST. Shorter paths (``i_mult`` 0.1-0.3, 8-30 steps; 3 schedules) cost
  up to 0.02 on azithromycin and 13C-15N.
* Fewer cold steps (30, 50): 13C-15N 20 % loses 0.02-0.04 (3 schedules).
* A fixed ``max_rank=32`` (an existing option): within 0.005 of the default everywhere
  and 1.5-3.2x faster on methyl (15-19x IST), but the 32 was picked after seeing these
  sets, so it is reported, not adopted (it is slower where "auto" caps lower, e.g.
  azithromycin); 24 cost 0.014 on 13C-15N 10 % (3 schedules).
* Per-trace adaptive width (leave out components shrunk to less than 0.5-1 % of each
  trace's sigma_1): R² unchanged and no narrower subspace -- the late, noise-level
  singular values sit well above that bar, so the rank cap still binds.
* A change tolerance: each trace changes by about 1 % per step to the last step (the
  threshold keeps falling), so there is no converged point to stop at.
* Stopping each trace where its threshold reaches kappa x its noise bar (the bar of
  :func:`nmrlib.nus.lrrank.noise_level`; kappa chosen on synthetic sets, 0.35), with or
  without a finish (soft or hard steps at the bar, a least-squares amplitude refit): at
  most 1.3x faster on the real windows (methyl still 23-41x IST) for up to 0.012 less R²
  (azithromycin and MALT1 10 %): the steps below the bar still raise peak intensities.

Issue 23, third pass: **per-trace rank caps**, opt-in (``max_rank="noise"``;
:mod:`nmrlib.nus.lrrank`; the default ``max_rank="auto"`` stays the batch cap above).
Each trace gets a noise bar (the largest Hankel singular value of white noise on its
measured points, scaled to its noise by a short IST); when the falling threshold reaches
the bar, the trace's cap is fixed at 2 x (values then above it) + 16, it grows by 8
while its cap-th value is above threshold and bar, and the traces are regrouped by cap
so that narrow ones do not pay for the widest. Constants chosen on synthetic sets only
(see :mod:`nmrlib.nus.lrrank`). Measured once on the real sets (``bench/bench_lr_speed.py
--schedules 10 --levels 0.10 0.15 0.20 --variants default noise``, 16-column peak
windows, CPU seconds, one thread; R² "auto" / "noise", CPU time LR / IST "auto" -> "noise"):
methyl 0.996 / 0.995, 26.9 -> 27.1x at 10 %; 0.998 / 0.997, 39.9 -> 31.8x at 15 %;
0.998 / 0.998, 50.5 -> 33.9x at 20 %; 13C-15N 0.556 / 0.554, 7.4 -> 8.2x; 0.797 /
0.797, 9.5 -> 10.3x; 0.928 / 0.928, 10.0 -> 10.9x; azithromycin 0.939 / 0.939, 5.1 ->
6.4x; 0.997 / 0.997, 6.6 -> 7.9x; 0.998 / 0.998, 7.7 -> 9.1x; MALT1 0.772 / 0.769, 10.0
-> 11.3x; 0.910 / 0.912, 13.7 -> 14.8x; 0.966 / 0.966, 14.8 -> 15.0x (zero filling
0.50-0.98, below both everywhere). So in the peak windows R² is kept (within 0.003) but
the caps rarely bind: the real traces there carry more components above their noise
than the windows' R² needs (a fixed 32 would do, see above), and the bar's IST costs
about one IST time more -- the methyl set at 15-20 % is faster, the others 5-25 % slower.
On whole spectra, where noise-only columns had kept the batch's one cap wide, LR is
faster (``bench/bench_dl_timing.py --realdata --threads 1 --methods lr ist --density
0.15 --repeats 1 --lr-options '{"virtual_echo": true}'``, and with ``"max_rank":
"noise"`` added; wall seconds, one schedule): methyl 110 -> 54 s (IST
0.64-0.70 s), 13C-15N 50 -> 14 s (IST 1.2 s), azithromycin 9.3 -> 8.3 s (IST 0.37 s),
MALT1 30 -> 16 s (IST 0.54-0.67 s). Whole-set peak R² for that schedule (previous /
new / IST / zero filling; CPU seconds previous -> new): methyl 0.987 / 0.980 / 0.988 /
0.794 (111 -> 57 s) -- a loss of 0.007, from the many weak peaks of columns whose caps
bind --, 13C-15N 0.639 / 0.637 / 0.698 / 0.619 (51 -> 14 s), azithromycin 0.995 /
0.995 / 0.993 / 0.990 (8.6 -> 7.8 s), MALT1 0.924 / 0.924 / 0.933 / 0.907 (26 -> 15 s).
The issue's 10x IST is still not reached on methyl, MALT1 and (barely) 13C-15N. Why
opt-in: slower in the windows and 0.007 below on the whole methyl set, so it is not "at
equal R²"; it is the choice for whole spectra when time matters more than the last 0.01.

All traces of the batch are reconstructed at once in torch (CPU or CUDA). The SVT needs
only the singular triplets above the threshold: by default (``svd="subspace"``) they come
from one warm-started block power step per iteration on a rank-``q`` subspace that grows
automatically while the smallest kept singular value still exceeds the threshold, with the
small ``q x q`` eigenproblem solved in double precision (single for "svt" on complex64
input, see above; ``svd="full"`` uses the exact
eigen-decomposition of ``A^H A``; slower, for checks). Converged ADMM traces leave the
active set, so the cost falls as traces converge.

The Hankel algebra (matrices, adjoints, the virtual echo, truncated SVT) is
:mod:`nmrlib.nus.hankel`.
"""

from __future__ import annotations

import math
import numbers

import torch

from nmrlib.nus.hankel import (
    HankelOp,
    _anti_diagonal_counts,
    _SubspaceSVT,
    _svt_full,
    echo_extend,
    echo_fold,
    hankel,
    hankel_adjoint,
    lowrank_adjoint,
)

__all__ = ["reconstruct_lr"]


def _steps(count: int, progress: bool, desc: str):
    if not progress:
        return range(count)
    from tqdm.auto import tqdm

    return tqdm(range(count), desc=desc, leave=False)


def _svt_step(svt, a: torch.Tensor, thresh, first: bool) -> torch.Tensor:
    """SVT of ``a`` by the warm-started subspace ``svt`` (3 power steps at first) or exactly."""
    return svt(a, thresh, power_steps=3 if first else 1) if svt else _svt_full(a, thresh)[0]


def _admm(y, m, rows, *, lam, beta, tau, max_iter, tol, svt, progress):
    """The paper's ADMM on normalised traces ``y (B, N)``; converged traces leave early."""
    denom = lam * m.to(y.real.dtype) + beta * _anti_diagonal_counts(y, rows)
    x = y.clone()
    dual = torch.zeros_like(hankel(x, rows))
    thresh = 1.0 / beta
    active = torch.arange(y.shape[0], device=y.device)
    result = torch.empty_like(y)
    for it in _steps(max_iter, progress, "LR (ADMM)"):
        z = _svt_step(svt, hankel(x, rows) + dual / beta, thresh, it == 0)
        x_new = (lam * y + beta * hankel_adjoint(z - dual / beta)) / denom
        dual = dual + tau * beta * (hankel(x_new, rows) - z)
        change = torch.linalg.vector_norm(x_new - x, dim=-1)
        size = torch.linalg.vector_norm(x_new, dim=-1).clamp_min(1e-30)
        x = x_new
        done = change / size < tol
        if bool(done.any()) or it == max_iter - 1:
            keep = ~done if it < max_iter - 1 else torch.zeros_like(done)
            result[active[~keep]] = x[~keep]
            if not bool(keep.any()):
                break
            active, x, y, dual, denom = active[keep], x[keep], y[keep], dual[keep], denom[keep]
            if svt:
                svt.keep(keep.nonzero().squeeze(-1))
    return result


def _continuation(y, m, rows, *, iterations, i_mult, final, svt, echo, progress, x0=None):
    """SVT with a threshold falling from ``i_mult`` to ``final`` x sigma_1 (of the
    zero-filled ``y``), data put back; started from ``x0`` (default ``y``)."""
    weight = _anti_diagonal_counts(y, rows)
    sigma1 = HankelOp(y, rows).norm()      # power iteration (the exact norm: an SVD each)
    sigma1 = sigma1.to(y.real.dtype).unsqueeze(-1)                  # (B, 1)
    x = y.clone() if x0 is None else torch.where(m, y, x0)
    parts = [(None, svt)]              # (trace indices or None: all, their SVT)
    for it in _steps(iterations, progress, "LR (SVT)"):
        frac = 1.0 - it / max(iterations - 1, 1)
        thresh = (final + (i_mult - final) * frac) * sigma1
        regrouped = []
        for idx, part in parts:
            xs, ys, ms, ts = (x, y, m, thresh) if idx is None else \
                (x[idx], y[idx], m[idx], thresh[idx])
            z = (part(hankel(xs, rows), ts, power_steps=3 if it == 0 else 1, factors=True,
                      op=HankelOp(xs, rows)) if part else _svt_full(hankel(xs, rows), ts)[0])
            fill = (lowrank_adjoint(*z) if isinstance(z, tuple) else hankel_adjoint(z)) / weight
            if echo:                                   # keep the echo exactly Hermitian
                fill = 0.5 * (fill + fill.flip(-1).conj())
            if idx is None:
                x = torch.where(ms, ys, fill)
            else:
                x[idx] = torch.where(ms, ys, fill)
            regrouped += _regrouped(idx, part)
        parts = regrouped
    return x


def _regrouped(idx, svt) -> list:
    """``[(idx, svt)]``, or split by rank cap (:func:`nmrlib.nus.lrrank.groups`) into one
    SVT per group where the per-trace caps of ``svt`` changed."""
    if svt is None or svt.caps is None or not svt.caps.changed:
        return [(idx, svt)]
    from nmrlib.nus.lrrank import groups

    svt.caps.changed = False
    split = groups(svt.caps.caps)
    if len(split) == 1:
        return [(idx, svt)]
    return [(g if idx is None else idx[g], svt.subset(g)) for g in split]


def _normalised(y: torch.Tensor, m: torch.Tensor, scale: float | None):
    """``(y / norm, m, norm)``: the traces zeroed where unsampled and divided by their own
    max |sampled| (or by ``scale``), the mask expanded to ``y``'s shape, norm ``(B, 1)``."""
    m = m.expand(y.shape)
    y = torch.where(m, y, 0)
    if scale is None:
        norm = y.abs().amax(-1, keepdim=True)
        norm = torch.where(norm > 0, norm, torch.ones_like(norm))
    else:
        norm = torch.full((y.shape[0], 1), scale, dtype=y.real.dtype, device=y.device)
    return y / norm, m, norm


def _initial(y, m, init: str, algorithm: str, echo: bool, p0: float):
    """The continuation's starting traces: None (the zero-filled ``y``) or, for ``init``
    "ist", IST's reconstruction of the normalised ``y`` (with the echo at ``p0`` if used)."""
    if init == "zero" or algorithm == "admm":
        return None
    from nmrlib.nus.ist import reconstruct_ist

    return reconstruct_ist(y, m, virtual_echo=echo, p0=p0)


def _make_svt(svd, y, m, rows, rank, max_rank, algorithm, precision, seed):
    """The warm-started subspace SVT for ``y (B, N)`` (None for ``svd="full"``); its small
    problems in single precision for "svt" on complex64 input unless ``precision`` is
    "double" (ADMM always double)."""
    if svd != "subspace":
        return None
    gen = torch.Generator().manual_seed(int(seed))
    single = precision == "auto" and algorithm != "admm" and y.dtype == torch.complex64
    return _SubspaceSVT(y.shape[0], y.shape[-1] - rows + 1, rank, y.dtype, y.device, gen,
                        cap=_rank_cap(max_rank, algorithm, m), single=single)


def _rank_cap(max_rank, algorithm: str, m: torch.Tensor) -> int | None:
    """The subspace SVT's rank cap for the whole batch: ``max_rank``, or under "auto"
    (and "noise" as the hard cap of the per-trace caps, :func:`_capped_svt`) for "svt" the most
    measured points of a trace (echo included): the measured data cannot determine more
    components than that, and without the cap the late, low thresholds widen the subspace
    to a full SVT, which dominated LR's time. Half that (2 samples per component) was
    measured too and cost R² (13C-15N 10 %, 10 schedules: 0.510 against 0.554 uncapped;
    this cap 0.559)."""
    if max_rank is None or (max_rank in ("auto", "noise") and algorithm == "admm"):
        return None
    if max_rank in ("auto", "noise"):
        return max(2, int(m.sum(-1).max()))
    return _positive_int("max_rank", max_rank)


def _capped_svt(y, m, rows, level, *, rank, precision, seed):
    """The subspace SVT of "svt" with the data-driven per-trace caps of
    :mod:`nmrlib.nus.lrrank` (noise bar ``level`` (B, 1)) on the worked-on ``y (B, N)``."""
    from nmrlib.nus.lrrank import RankCaps

    measured = m.sum(-1).clamp_min(2).long()
    svt = _make_svt("subspace", y, m, rows, rank, "auto", "svt", precision, seed)
    svt.caps = RankCaps(measured, level)
    return svt


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        extra = ', "auto", "noise" or None' if name == "max_rank" else ""
        raise ValueError(f"LR needs a positive integer {name}{extra}, got {value!r}")
    return int(value)


def _finite(name: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or (positive and value <= 0) or value < 0:
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"LR needs a finite {kind} {name}, got {value!r}")
    return float(value)


def _checked_options(*, algorithm, svd, max_iter, rank, lam, beta, tau, tol, i_mult, final,
                     virtual_echo, p0, p1, scale, init="zero", precision="auto",
                     max_rank="auto") -> dict:
    """The numeric options of :func:`reconstruct_lr`, checked (ValueError naming the bad
    one) and with ``max_iter`` defaulted per algorithm (ADMM 300, SVT 100)."""
    for name, value, allowed in (("algorithm", algorithm, ("auto", "admm", "svt")),
                                 ("svd", svd, ("subspace", "full")),
                                 ("init", init, ("zero", "ist")),
                                 ("precision", precision, ("auto", "double"))):
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, "
                             f"got {value!r}")
    out = {"max_iter": _positive_int("max_iter", 300 if algorithm == "admm" and max_iter is None
                                     else 100 if max_iter is None else max_iter),
           "rank": _positive_int("rank", rank), "tol": _finite("tol", tol),
           "i_mult": _finite("i_mult", i_mult), "final": _finite("final", final),
           **{k: _finite(k, v, positive=True)
              for k, v in (("lam", lam), ("beta", beta), ("tau", tau))},
           "scale": None if scale is None else _finite("scale", scale, positive=True)}
    if max_rank is not None and max_rank not in ("auto", "noise"):
        _positive_int("max_rank", max_rank)
    if not 0 <= out["final"] < out["i_mult"] <= 1:
        raise ValueError(f"LR needs 0 <= final < i_mult <= 1, got final={final!r}, "
                         f"i_mult={i_mult!r}")
    if not all(isinstance(p, numbers.Real) and math.isfinite(p) for p in (p0 or 0.0, p1)):
        raise ValueError(f"phases must be finite, got p0={p0!r}, p1={p1!r}")
    if virtual_echo and p1 != 0:
        raise ValueError("the virtual echo needs p1 = 0 (phase the data first or use p1=0)")
    return out


def reconstruct_lr(
    fid,
    mask,
    *,
    algorithm: str = "auto",
    lam: float = 1e5,
    beta: float = 1.0,
    tau: float = 1.0,
    max_iter: int | None = None,
    tol: float = 1e-5,
    i_mult: float = 0.98,
    final: float = 0.03,
    virtual_echo: bool | None = None,
    p0: float | None = None,
    p1: float = 0.0,
    rows: int | None = None,
    svd: str = "subspace",
    rank: int = 16,
    max_rank: int | str | None = "auto",
    device: str | None = None,
    scale: float | None = None,
    seed: int = 0,
    progress: bool = False,
    init: str = "zero",
    precision: str = "auto",
) -> torch.Tensor:
    """Low-rank Hankel reconstruction of a batch of traces (see the module docstring).

    Parameters: ``fid`` complex tensor (batch, n), zeros at unsampled points; ``mask`` bool
    (n,) or (batch, n); ``algorithm`` "auto" (default: "svt" on the virtual echo, see
    :func:`auto_options`), "admm" (the paper's; ``lam``, ``beta``, ``tau``, ``tol``) or
    "svt" (threshold continuation; ``i_mult``, ``final``); ``max_iter`` ADMM iteration
    limit (default 300) or SVT steps (default 100); ``virtual_echo`` with the indirect
    phase ``p0`` degrees (``p1`` must be 0; None: off, except under "auto"); ``rows``
    Hankel rows (default
    N//2 + 1 of the worked-on length N: n, or 2n - 1 with the echo); ``svd`` "subspace"
    (default) or "full"; ``rank`` starting subspace size; ``max_rank`` the most singular
    values the subspace SVT keeps (a truncated SVT; "auto", the default: for "svt" one cap
    for the batch, the most measured points of a trace on the worked-on length, none for
    "admm"; "noise" (opt-in): for "svt" a cap per trace from its noise, growing where more
    components stand out, see :mod:`nmrlib.nus.lrrank`; None: none); ``scale`` one
    normalisation for all traces (default: each trace by its own max |sampled|, see the
    module docstring); ``init`` the continuation's start: "zero" (default, the zero-filled
    traces) or "ist" (IST's reconstruction, echo and ``p0`` as LR's; pair it with a lower
    ``i_mult`` and fewer ``max_iter``, see the module docstring; ignored by "admm");
    ``precision`` "auto" (default: the subspace SVT's small Gram/eigen problems in
    complex64 for complex64 input under "svt"/"auto") or "double" (complex128 throughout,
    the previous behaviour; "admm" always uses it).
    Returns a complex tensor of the input's shape and dtype on the input's device. Bad
    input raises ValueError (inputs checked by ``nmrlib.nus.reconstruct.check_traces``).
    """
    from nmrlib.nus.reconstruct import check_traces

    o = _checked_options(algorithm=algorithm, svd=svd, max_iter=max_iter, rank=rank, lam=lam,
                         beta=beta, tau=tau, tol=tol, i_mult=i_mult, final=final,
                         virtual_echo=virtual_echo, p0=p0, p1=p1, scale=scale,
                         init=init, precision=precision, max_rank=max_rank)
    max_iter, rank, scale = o["max_iter"], o["rank"], o["scale"]
    y0 = torch.as_tensor(fid)
    m0 = torch.as_tensor(mask)
    check_traces(y0, m0)
    from nmrlib.nus.lrauto import auto_options

    chosen = auto_options(y0, m0, {"algorithm": algorithm, "virtual_echo": virtual_echo,
                                   "p0": p0, "p1": p1})
    algorithm, virtual_echo, p0 = chosen["algorithm"], chosen["virtual_echo"], chosen["p0"]
    out_device = y0.device
    dev = torch.device(device) if device else out_device
    y, m, norm = _normalised(y0.to(dev), m0.to(dev), scale)
    rot = complex(math.cos(math.radians(p0)), math.sin(math.radians(p0)))
    x0 = _initial(y, m, init, algorithm, virtual_echo, p0)
    y1, m1 = y, m                                     # before the echo
    if virtual_echo:
        x0 = None if x0 is None else echo_extend(x0 * rot, m)[0]
        y, m = echo_extend(y * rot, m)
    length = y.shape[-1]
    rows = rows or length // 2 + 1
    if isinstance(rows, bool) or not isinstance(rows, numbers.Integral) \
            or not 2 <= rows <= length - 1:
        raise ValueError(f"Hankel rows must lie in [2, N-1] = [2, {length - 1}] "
                         f"(N = {length}), got {rows}")
    if max_rank == "noise" and algorithm == "svt" and svd == "subspace":
        from nmrlib.nus.lrrank import noise_level  # per-trace caps (lrrank)

        level = noise_level(y1, m1, rows, echo=virtual_echo, p0=p0)
        svt = _capped_svt(y, m, rows, level, rank=rank, precision=precision, seed=seed)
    else:
        svt = _make_svt(svd, y, m, rows, rank, max_rank, algorithm, precision, seed)
    if algorithm == "admm":
        x = _admm(y, m, rows, lam=o["lam"], beta=o["beta"], tau=o["tau"], max_iter=max_iter,
                  tol=o["tol"], svt=svt, progress=progress)
    else:
        x = _continuation(y, m, rows, iterations=max_iter, i_mult=o["i_mult"],
                          final=o["final"], svt=svt, echo=virtual_echo, progress=progress,
                          x0=x0)
    if virtual_echo:
        # measured points as measured (Im s_0 is not in the echo; unsampled it stays 0)
        x = torch.where(m0.to(dev).expand(y0.shape), y0.to(dev) / norm, echo_fold(x) / rot)
    return (x * norm).to(device=out_device, dtype=y0.dtype)
