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
# # NUS explorer (paper 2, Qu et al.)
#
# Pick a data set, a reconstruction method (DLNMR, low-rank LR, IST), a NUS level and a
# Poisson-gap schedule seed: the explorer undersamples the fully sampled indirect
# dimension retrospectively, reconstructs it, and shows the result beside the fully
# sampled reference with identical contour levels, an F1 trace through the strongest
# peak, the peak-intensity R² and the reconstruction time.
#
# With `interactive = True` (JupyterLab) the controls are live ipywidgets. Headless runs
# (papermill, `make reproduce`, tests) set `interactive = False` and get a static grid
# over the NUS levels instead. To keep the live view responsive the real sets are cut to
# the window of `max_columns` direct-dimension columns holding the most peaks.

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
device = "cpu"
interactive = True
methods = ["dl", "dl10", "unrolled", "lr", "ist"]
levels = [0.10, 0.15, 0.20, 0.25, 0.30]
options = {}
synthetic_shape = [128, 256]
max_columns = 160
real_sets = ["fidnet_methyl_hmqc", "nmrglue_2d_time_complex", "openvnmrj_azithromycin_ghsqcad"]

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

from pathlib import Path

import matplotlib.pyplot as plt

from nmrlib.core.plotting import savefig
from nmrlib.core.repro import environment_report, write_json
from nmrlib.nus.dleval import load_real_set, peak_window, synthetic_set
from nmrlib.nus.explorer import nus_explorer

print(f"profile {profile}: methods {methods}, levels {levels}, interactive {interactive}"
      + (f"; method options {options} (LR/IST not at the paper's settings)" if options else ""))

# %% [markdown]
# ## Data sets
# A synthetic 2D set (always available) and the real fully sampled 2D sets `real_sets`
# (names of `nmrlib.core.realdata`: fetched from their original repositories, or from the
# offline mirror `NMRLIB_DATA_MIRROR`, and checked by sha256; a set that cannot be
# fetched is reported as "not run").

# %%
datasets = [synthetic_set(*synthetic_shape, seed=seed)]
for key in real_sets:
    try:
        datasets.append(peak_window(load_real_set(key), max_columns))
    except (OSError, ValueError) as err:   # not fetched: no network, no mirror, bad checksum
        print(f"not run: {key}: {err}")
for d in datasets:
    print(f"{d.name}: {d.fid.shape[0]} direct columns x {d.fid.shape[1]} complex t1 points")

# %% [markdown]
# ## The explorer
# Live controls in JupyterLab (`interactive = True`); skipped by the regression tests.

# %%
# NBVAL_SKIP
if interactive:
    from IPython.display import display

    display(nus_explorer(datasets, methods=methods, levels=levels, seed=seed, device=device,
                         options=options))
else:
    print("interactive = False: static grids below")

# %% [markdown]
# ## Static grid over NUS levels
# One row per method, one column per NUS level (schedule seed `seed`), every panel with
# the reference's contour levels; titles give R² and the reconstruction time.

# %%
tables = {}
for d in datasets:
    fig, table = nus_explorer([d], methods=methods, levels=levels, seed=seed,
                              interactive=False, device=device, options=options)
    savefig(fig, figures_dir, "nus_explorer_" + d.name.replace(" ", "_").replace("-", ""))
    plt.show()
    tables[d.name] = table

# %%
# NBVAL_CHECK_OUTPUT
for name, table in tables.items():
    print(name)
    for method in methods:
        row = [t["r2"] for t in table if t["method"] == method]
        print(f"  {method:>3} R²:", " ".join(f"{r:.2f}" for r in row))

# %%
for name, table in tables.items():
    print(name, "seconds per reconstruction:")
    for method in methods:
        print(f"  {method:>3}:", " ".join(f"{t['seconds']:.2f}" for t in table
                                        if t["method"] == method))
write_json(Path(results_dir) / "09_nus_explorer.json",
           {"tables": tables, "levels": levels, "seed": seed,
            "environment": environment_report()})
