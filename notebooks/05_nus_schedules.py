# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # NUS sampling schedules (paper 2, Qu et al.)
#
# Sine-weighted Poisson-gap schedules (Hyberts, Takeuchi & Wagner, JACS 2010) are the
# sampling used throughout the DLNMR paper. This notebook draws them at the paper's NUS
# levels on a 256-point indirect grid and shows what they look like to a spectroscopist:
# the sampled increments, the distribution of gaps, and the point-spread function (PSF,
# the spectrum of the sampling mask), whose sidelobes become the artefacts that a
# reconstruction has to remove. Uniform-random sampling is shown for comparison.
#
# All schedules come from `nmrlib.nus` and are fully determined by their seed.

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
n_points = 256
densities = [0.10, 0.15, 0.20, 0.25, 0.30]
n_schedules = 100
grid_2d = [64, 64]

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

import matplotlib.pyplot as plt
import numpy as np

from nmrlib import nus
from nmrlib.core.plotting import savefig
from nmrlib.core.repro import environment_report, write_json

print(f"profile {profile}: {n_schedules} schedules per density on a {n_points}-point grid")

# %% [markdown]
# ## The schedules
# One Poisson-gap schedule per NUS level (seed = `seed`): each tick is a sampled complex
# t1 increment. Sampling is densest at the start of the FID, where the signal is
# strongest, and the first point is always acquired.

# %%
schedules = {d: nus.poisson_gap(n_points, nus.points_for_density(n_points, d), seed=seed)
             for d in densities}
fig, ax = plt.subplots(figsize=(9, 0.5 + 0.45 * len(densities)))
for row, sched in enumerate(schedules.values()):
    ax.vlines(sched, row - 0.38, row + 0.38, lw=1.0, color="C0")
ax.set_yticks(range(len(densities)), [f"{d:.0%} ({len(s)} pts)" for d, s in schedules.items()])
ax.set_xlim(-2, n_points + 1)
ax.invert_yaxis()
ax.set_xlabel("complex t1 increment")
ax.set_title("Poisson-gap schedules")
savefig(fig, figures_dir, "nus_schedules")
plt.show()

# %% [markdown]
# ## Gap distributions
# Histogram of the gaps (distance between consecutive sampled increments minus one) over
# all `n_schedules` schedules per level, Poisson-gap against uniform random.

# %%
seeds = range(seed, seed + n_schedules)
fig, axes = plt.subplots(1, len(densities), figsize=(3.0 * len(densities), 2.8), sharey=True)
for ax, density in zip(np.atleast_1d(axes), densities, strict=True):
    m = nus.points_for_density(n_points, density)
    pg = nus.schedule_gaps(nus.poisson_gap, n_points, m, seeds)
    rnd = nus.schedule_gaps(nus.random_schedule, n_points, m, seeds)
    bins = np.arange(0, max(pg.max(), rnd.max()) + 2) - 0.5
    ax.hist(rnd, bins=bins, density=True, alpha=0.5, color="C1", label="random")
    ax.hist(pg, bins=bins, density=True, histtype="step", lw=1.5, color="C0", label="Poisson-gap")
    ax.set_title(f"{density:.0%} NUS")
    ax.set_xlabel("gap (increments)")
np.atleast_1d(axes)[0].set_ylabel("fraction")
np.atleast_1d(axes)[0].legend()
savefig(fig, figures_dir, "nus_gap_histograms")
plt.show()

# %% [markdown]
# ## Point-spread functions
# The PSF is |FFT(mask)| normalised to its central peak: a single sharp line in the
# spectrum becomes this pattern after zero-filling the unsampled points. The sidelobe
# level (largest non-central value) is the artefact level a reconstruction starts from.
# Poisson-gap's sine weighting acts like an apodisation, so its largest sidelobes sit next
# to the peak (a broadened foot); the table below compares the largest sidelobe overall
# and far (> n/8 points) from the peak with uniform-random sampling. What Poisson-gap buys
# is in the gap statistics above: no long gaps early in the FID, where the signal is
# strongest.

# %%
fig, axes = plt.subplots(len(densities), 1, figsize=(9, 1.6 * len(densities)), sharex=True)
freq = np.arange(n_points) - n_points // 2
for ax, (density, sched) in zip(np.atleast_1d(axes), schedules.items(), strict=True):
    psf = nus.point_spread_function(nus.mask_from_schedule(sched, n_points))
    ax.plot(freq, psf, lw=0.8, color="C0")
    ax.set_ylim(0, 1.05)
    ax.text(0.01, 0.8, f"{density:.0%}", transform=ax.transAxes)
np.atleast_1d(axes)[-1].set_xlabel("frequency (points from the peak)")
fig.suptitle("PSF of the Poisson-gap schedules")
savefig(fig, figures_dir, "nus_psf")
plt.show()

# %%
sidelobes = {}
for density in densities:
    m = nus.points_for_density(n_points, density)
    sidelobes[density] = {name: nus.sidelobe_stats(make, n_points, m, seeds)
                          for name, make in (("poisson_gap", nus.poisson_gap),
                                             ("random", nus.random_schedule))}

# %%
# NBVAL_CHECK_OUTPUT
print(f"sidelobe level over {n_schedules} schedules (mean ± sd, fraction of the peak)")
print("density  Poisson-gap max   Poisson-gap far   random max        random far")
for density, stats in sidelobes.items():
    pg, rnd = stats["poisson_gap"], stats["random"]
    print(f"{density:5.0%}    {pg[0]:.3f} ± {pg[1]:.3f}     {pg[2]:.3f} ± {pg[3]:.3f}     "
          f"{rnd[0]:.3f} ± {rnd[1]:.3f}     {rnd[2]:.3f} ± {rnd[3]:.3f}")

# %% [markdown]
# ## Two indirect dimensions (3D experiments)
# For a 3D experiment the schedule covers the (t1, t2) grid; `poisson_gap_2d` walks the
# grid in order of normalised radius and applies the same sine-weighted Poisson gaps.

# %%
sched_2d = nus.poisson_gap_2d(tuple(grid_2d), nus.points_for_density(int(np.prod(grid_2d)),
                                                                   0.10), seed=seed)
fig, ax = plt.subplots(figsize=(4, 4))
ax.plot(sched_2d[:, 1], sched_2d[:, 0], "s", ms=2.2, color="C0")
ax.set_xlabel("t2 increment")
ax.set_ylabel("t1 increment")
ax.set_title(f"2D Poisson-gap, 10 % of {grid_2d[0]}×{grid_2d[1]}")
ax.set_aspect("equal")
savefig(fig, figures_dir, "nus_schedule_2d")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print(f"2D schedule: {len(sched_2d)} points, first {tuple(int(v) for v in sched_2d[0])}, "
      f"fraction within half the normalised radius "
      f"{np.mean(np.hypot(sched_2d[:, 0] / grid_2d[0], sched_2d[:, 1] / grid_2d[1]) < 0.5):.2f}")

# %%
write_json(f"{results_dir}/nus_schedules.json", {
    "profile": profile, "seed": seed, "n_points": n_points, "n_schedules": n_schedules,
    "sidelobe_level": {
        f"{d:.2f}": {name: dict(zip(("max_mean", "max_sd", "far_mean", "far_sd"),
                                    map(float, v), strict=True))
                     for name, v in stats.items()}
        for d, stats in sidelobes.items()
    },
    "environment": environment_report(),
})
print(f"results written to {results_dir}/nus_schedules.json")
