"""LR's data-driven per-trace rank cap (issue 23, ``max_rank="noise"`` of "svt").

A sum of K damped exponentials has a Hankel matrix of rank K (a few more numerically with
the virtual echo, whose two-sided decay is not one exponential), so a trace needs about
as many singular values as it has components that stand out of its noise. The "svt"
continuation lowers its threshold from 0.98 to 0.03 x sigma_1; below the noise the
thresholds pass noise-level singular values, which made the subspace as wide as the
previous cap (the measured points, ``max_rank="auto"``) allowed. So, per trace:

1. The noise bar ``level`` (:func:`noise_level`): ``kappa`` noise sds of the trace's
   spectrum, in singular-value units. The spectrum is that of a short IST reconstruction
   (``IST_STEPS`` steps, echo and phase as LR's) over N = 2n - 1 points, its noise sd
   1.4826 x the median absolute deviation of the real and imaginary parts (mean of the
   two); a sinusoid of spectral height h over N points has a Hankel singular value
   h sqrt(L K) / N (L x K matrix), which converts the bar.
2. When the SVT threshold first falls to the bar, the cap is fixed at ``per_component x
   K + offset``, K the singular values then above the threshold (the components above the
   noise), at most the measured points. Until then the trace has the previous cap.
3. Growth: when the cap-th singular value is still above both the threshold and the bar,
   the trace holds more significant components than counted and its cap rises by
   ``step`` (at most to the measured points). Noise-level values do not grow it.
4. Groups (:func:`groups`): when caps change, the traces of an SVT are split by cap, each
   group its own SVT (width = its widest need), by dynamic programming on a cost model
   (``GROUP_COST`` per group + width x traces). Every trace is truncated to its own cap
   in any group, so grouping changes the work, not the model.

The constants were chosen on synthetic data only, not on the real sets: held-out
synthetic 2D sets (:func:`nmrlib.nus.dleval.synthetic_set`; 24 columns x 128 points with
30 or 40 peaks, noise sd 2e-4 / 1e-3 / 5e-3, and 48 x 128 with 6 peaks, noise 1e-3;
3 Poisson-gap schedules at 10/15/20 %, the echo at p0 = 0, peak R² against
``max_rank="auto"``). ``kappa`` 2 cost up to 0.14 (40 peaks, 20 %), ``kappa`` 1 with
``per_component`` 2 and ``offset`` 8 up to 0.026, with ``offset`` 16 (the default) up to
0.014 in one of the 12 cells (the others within 0.005 or above) for up to 1.5x less time
on the sparse set (20 %; 1.1-1.2x at 15 %) and about none on the crowded ones; ``kappa``
0.75 lost at most 0.005 but saved nothing, 0.5 changed nothing. The bar's calibration
(pure-noise traces, ``kappa`` 1): 0.5-2x the noise's largest Hankel singular value; on
traces with strong peaks IST's residual artifacts raise it (up to 6x), which is what the
growth rule is for.
"""

from __future__ import annotations

import math

import torch

__all__ = ["RankCaps", "groups", "noise_level"]

KAPPA = 1.0         # the noise bar, in units of the noise top singular value
PER_COMPONENT = 2   # singular values kept per component above the bar
OFFSET = 16         # plus these, for components near the bar
STEP = 8            # cap increase per growth step
IST_STEPS = 100     # the cheap reconstruction's IST steps
GROUP_COST = 64.0   # one group's fixed cost, in (traces x singular values) of SVT work


def _mad_sd(part: torch.Tensor) -> torch.Tensor:
    med = part.median(-1, keepdim=True).values
    return 1.4826 * (part - med).abs().median(-1).values


def _spectrum_sd(x: torch.Tensor, m: torch.Tensor, echo: bool, rot: complex) -> torch.Tensor:
    """Robust noise sd (B,) of the spectra of traces ``x (B, n)``: 1.4826 x the median
    absolute deviation of the real part (the echo's spectrum, t = 0 first, is real) or
    the mean of the real and imaginary parts' (without the echo)."""
    from nmrlib.nus.hankel import echo_extend

    if echo:
        v = echo_extend(x * rot, m.expand(x.shape))[0]
        spec = torch.fft.fft(torch.roll(v, -(x.shape[-1] - 1), -1).to(torch.complex128))
        return _mad_sd(spec.real)
    spec = torch.fft.fft(x.to(torch.complex128), n=2 * x.shape[-1] - 1)
    return 0.5 * (_mad_sd(spec.real) + _mad_sd(spec.imag))


def noise_level(y: torch.Tensor, m: torch.Tensor, rows: int, *, echo: bool, p0: float,
                kappa: float = KAPPA, seed: int = 0) -> torch.Tensor:
    """The noise bar (B, 1) in singular-value units for the normalised traces ``y (B, n)``
    (mask ``m``), worked on with ``rows``-row Hankel matrices (of the echo's 2n - 1 points
    with ``echo``, else of the n points); ``p0`` degrees (NMRPipe PS convention).

    ``kappa`` x the largest singular value of the worked-on Hankel matrix of a draw ``w``
    of complex white noise on the same measured points (generator seeded with ``seed``;
    30 power steps), scaled to the trace's noise: the robust spectral sd of a short IST
    reconstruction of the trace (``IST_STEPS`` steps, echo and phase as LR's) over that of
    the same IST of ``w`` (IST concentrates noise into few points, so its spectrum's
    median deviation is below the noise sd; the ratio cancels that).
    """
    from nmrlib.nus.hankel import HankelOp, echo_extend
    from nmrlib.nus.ist import reconstruct_ist

    mm = m.expand(y.shape)
    gen = torch.Generator().manual_seed(int(seed))
    w = torch.view_as_complex(torch.randn((*y.shape, 2), generator=gen, dtype=torch.float64))
    w = torch.where(mm, w.to(device=y.device, dtype=y.dtype), 0)
    both = reconstruct_ist(torch.cat([y, w]), torch.cat([mm, mm]), iterations=IST_STEPS,
                           virtual_echo=echo, p0=p0)
    rot = complex(math.cos(math.radians(p0)), math.sin(math.radians(p0)))
    sd = _spectrum_sd(both, torch.cat([mm, mm]), echo, rot)
    ratio = sd[: y.shape[0]] / sd[y.shape[0]:].clamp_min(1e-30)
    top = HankelOp(echo_extend(w, mm)[0] if echo else w, rows).norm().to(ratio.dtype)
    return (kappa * ratio * top).unsqueeze(-1).to(y.real.dtype)


class RankCaps:
    """Per-trace rank caps of a subspace SVT (module docstring): ``hard`` (B,) the most
    singular values a trace may keep, ``level`` (B, 1) its noise bar."""

    def __init__(self, hard: torch.Tensor, level: torch.Tensor, *,
                 per_component: float = PER_COMPONENT, offset: int = OFFSET,
                 step: int = STEP, rtol: float = 0.02):
        self.hard, self.level, self.caps = hard, level, hard.clone()
        self.fixed = torch.zeros_like(hard, dtype=torch.bool)
        self.per_component, self.offset, self.step, self.rtol = per_component, offset, step, rtol
        self.changed = False                  # caps changed since the owner last regrouped

    def widest(self) -> int:
        return int(self.caps.max())

    def subset(self, idx: torch.Tensor) -> RankCaps:
        out = object.__new__(RankCaps)
        out.__dict__.update(self.__dict__)
        out.hard, out.level, out.caps = self.hard[idx], self.level[idx], self.caps[idx]
        out.fixed, out.changed = self.fixed[idx], False
        return out

    def apply(self, sig: torch.Tensor, scale: torch.Tensor, thresh) -> torch.Tensor:
        """The shrink factors ``scale`` (B, r) of the singular values ``sig`` (ascending)
        zeroed beyond each trace's cap; fixes caps whose threshold reached the bar and
        grows fixed caps whose cap-th value is above threshold and bar."""
        t = thresh + torch.zeros((sig.shape[0], 1), dtype=sig.dtype, device=sig.device)
        level = self.level.to(sig.dtype)
        new = ~self.fixed & (t <= level).squeeze(-1)
        if bool(new.any()):
            count = (scale > 0).sum(-1)
            cap = (self.per_component * count + self.offset).long()
            cap = torch.minimum(cap, self.hard)
            self.caps = torch.where(new, cap.clamp_min(2), self.caps)
            self.fixed, self.changed = self.fixed | new, True
        r = sig.shape[-1]
        start = r - self.caps                                 # first kept position
        keep = torch.arange(r, device=sig.device) >= start.unsqueeze(-1)
        low = sig.gather(-1, start.clamp(0, r - 1).unsqueeze(-1))      # the cap-th largest
        bar = torch.maximum(t * (1 + self.rtol), level)
        grow = self.fixed & (start >= 0) & (low > bar).squeeze(-1) & (self.caps < self.hard)
        if bool(grow.any()):
            self.caps = torch.where(grow, torch.minimum(self.caps + self.step, self.hard),
                                    self.caps)
            self.changed = True
        return torch.where(keep, scale, 0.0)


def groups(caps: torch.Tensor, group_cost: float = GROUP_COST) -> list[torch.Tensor]:
    """Indices of the traces split by cap into groups minimising
    ``sum(group_cost + traces x largest cap)`` (dynamic programming over the distinct caps,
    groups contiguous in cap); in ascending cap order, each index tensor ascending."""
    values, counts = torch.unique(caps, return_counts=True)
    vals, cnts = values.tolist(), counts.tolist()
    best = [0.0] + [math.inf] * len(vals)        # best[j]: cost of the first j distinct caps
    cut = [0] * (len(vals) + 1)
    for j in range(1, len(vals) + 1):
        traces = 0
        for i in range(j, 0, -1):               # group = distinct caps i-1 .. j-1
            traces += cnts[i - 1]
            cost = best[i - 1] + group_cost + traces * vals[j - 1]
            if cost < best[j]:
                best[j], cut[j] = cost, i - 1
    bounds, j = [], len(vals)
    while j > 0:
        bounds.append((vals[cut[j]], vals[j - 1]))
        j = cut[j]
    return [((caps >= lo) & (caps <= hi)).nonzero().squeeze(-1) for lo, hi in reversed(bounds)]
