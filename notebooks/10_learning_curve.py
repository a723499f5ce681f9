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
# # Learning curve: accuracy against training spectra per class (paper 1, Yip et al.)
#
# How far is a CPU-sized run from the paper's 700 training spectra per class? For
# x-vector and DEEP Picker with the Conv1d encoder, the test accuracy is measured with the
# first `n` training spectra per class for each `n` in `sizes`, at a fixed budget of
# optimiser steps (`nmrlib.tocsy.training.learning_curve`: the epochs are chosen so that every
# point makes at least `steps` steps), with the settings of the profile's Table I runs
# (notebook 03) and the same validation and test splits. The paper's Table I accuracy
# (700 per class, 10 epochs) is marked on the right.

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
data_dir = "data/quick"
device = "cpu"
configs = ["conv1d-xvector", "conv1d-deep_picker"]
sizes = [25, 50, 100, 150, 210]
steps = 2100
batch_size = 8
lr = 0.001
lr_schedule = "onecycle"
max_val_per_class = 20
n_seeds = 1
paper_train_per_class = 700

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

import json
from pathlib import Path

import matplotlib.pyplot as plt

from nmrlib.core.papers import TABLE_I
from nmrlib.core.plotting import savefig
from nmrlib.core.repro import environment_report, write_json
from nmrlib.tocsy.models import PAPER_NAMES
from nmrlib.tocsy.training import configuration, learning_curve

data_root = Path(data_dir) / "tocsy"
manifest = data_root / "manifest.json"
ready = manifest.exists() and json.loads(manifest.read_text()).get("complete")
print(f"profile {profile}: sizes {sizes} per class, >= {steps} steps at batch {batch_size}, "
      f"{n_seeds} seed(s), lr {lr} ({lr_schedule})")

# %%
curves = {}
if not ready:
    print(f"not run: no complete data set at {data_root} (`python -m nmrlib simulate`)")
else:
    for name in configs:
        curves[name] = learning_curve(
            name, data_root, sizes, steps=steps, batch_size=batch_size, lr=lr,
            lr_schedule=lr_schedule, max_val_per_class=max_val_per_class, device=device,
            seeds=range(seed, seed + n_seeds), results_dir=results_dir,
            checkpoint_dir=f"build/{profile}/checkpoints")

# %%
# NBVAL_CHECK_OUTPUT
for name, rows in curves.items():
    config = configuration(name)
    paper = TABLE_I[(config.encoder, config.embedding)]
    points = ", ".join(f"{r['n_per_class']}: {r['accuracy_mean']:.2f}" for r in rows)
    print(f"{PAPER_NAMES[config.encoder]} + {PAPER_NAMES[config.embedding]}: {points} "
          f"(paper {paper:.3f} at {paper_train_per_class})")

# %%
if curves:
    fig, ax = plt.subplots(figsize=(6, 4))
    for (name, rows), colour in zip(curves.items(), ("tab:blue", "tab:orange", "tab:green"),
                                    strict=False):
        config = configuration(name)
        label = f"{PAPER_NAMES[config.encoder]} + {PAPER_NAMES[config.embedding]}"
        n = [r["n_per_class"] for r in rows]
        ax.plot(n, [r["accuracy_mean"] for r in rows], "o-", color=colour, label=label)
        for r in rows:
            ax.plot([r["n_per_class"]] * len(r["runs"]), r["runs"], ".", color=colour,
                    alpha=0.5)
        paper = TABLE_I[(config.encoder, config.embedding)]
        ax.plot([paper_train_per_class], [paper], "*", ms=12, color=colour,
                label=f"{label}, paper")
    ax.axhline(0.05, color="grey", ls=":", label="chance (1/20)")
    ax.set_xscale("log")
    ax.set_xlabel("training spectra per class")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.set_title(f"learning curve ({profile}: >= {steps} steps each)", fontsize=9)
    ax.legend(fontsize=7)
    savefig(fig, figures_dir, "learning_curve")
    plt.show()
    write_json(Path(results_dir) / "learning_curve.json",
               {"profile": profile, "steps": steps, "batch_size": batch_size, "lr": lr,
                "lr_schedule": lr_schedule, "max_val_per_class": max_val_per_class,
                "paper_train_per_class": paper_train_per_class, "curves": curves,
                "environment": environment_report()})
