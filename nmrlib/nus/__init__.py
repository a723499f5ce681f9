"""Non-uniform sampling (paper 2, Qu et al.): schedules, reconstruction, DLNMR.

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
