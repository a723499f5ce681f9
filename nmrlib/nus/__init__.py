"""Paper 2 (Qu et al., DLNMR): non-uniform sampling and its reconstruction.

The pipeline, one module per step:

1. :mod:`~nmrlib.nus.schedules` -- Poisson-gap / random schedules, nuslist files, PSFs.
2. :mod:`~nmrlib.nus.reconstruct` -- the one interface (``reconstruct(fid, mask, method)``)
   over :mod:`~nmrlib.nus.ist`, :mod:`~nmrlib.nus.lowrank` (with :mod:`~nmrlib.nus.lrauto`),
   :mod:`~nmrlib.nus.dlnmr` and :mod:`~nmrlib.nus.unrolled`; their trainers
   (:mod:`~nmrlib.nus.train_dl`, :mod:`~nmrlib.nus.train_unrolled`) learn from
   :mod:`~nmrlib.nus.synthetic` FIDs only.
3. :mod:`~nmrlib.nus.nmrio` -- real data in and out (NMRPipe, VnmrJ, TopSpin), NMRPipe-style
   processing of the indirect dimension.
4. :mod:`~nmrlib.nus.metrics` -- peak-intensity R², artefact level.
5. :mod:`~nmrlib.nus.studies` and :mod:`~nmrlib.nus.dleval` -- R² against NUS level over
   many schedules, timing.
6. :mod:`~nmrlib.nus.explorer` -- the interactive widget (the only UI module; nothing
   below imports it). ``python -m nmrlib nus reconstruct`` is the NMRPipe-style CLI.

The schedule functions are imported eagerly (numpy only); reconstruction methods import
torch lazily.
"""

from nmrlib.nus.reconstruct import METHODS, apply_schedule, expand_sampled, reconstruct
from nmrlib.nus.schedules import (
    mask_from_schedule,
    point_spread_function,
    points_for_density,
    poisson_gap,
    poisson_gap_2d,
    random_schedule,
    read_nuslist,
    schedule_gaps,
    sidelobe_level,
    sidelobe_stats,
    validate_schedule,
    write_nuslist,
)

__all__ = [
    "METHODS",
    "apply_schedule",
    "expand_sampled",
    "reconstruct",
    "mask_from_schedule",
    "points_for_density",
    "point_spread_function",
    "poisson_gap",
    "poisson_gap_2d",
    "random_schedule",
    "read_nuslist",
    "schedule_gaps",
    "sidelobe_level",
    "sidelobe_stats",
    "validate_schedule",
    "write_nuslist",
]
