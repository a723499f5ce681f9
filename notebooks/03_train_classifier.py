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
# # Training one amino-acid classifier (paper 1, Yip et al., section IV)
#
# One configuration of Table I or II per execution: papermill runs this notebook once per
# configuration (`python -m nmrlib train --list --params` lists them), with the parameters
# `encoder` (`fbank`, `conv1d`), `embedding` (`xvector`, `ecapa_s`, `ecapa_l`,
# `deep_picker`) and `pretrained` (`none`, `frozen`, `trainable`; pretrained exists only
# for ECAPA-L).
#
# The classifier is the paper's eq. (2): each of the 4 real channels of a TOCSY sample,
# stacked into one "8 kHz audio" sequence, passes through the shared encoder and embedding
# model; a shared linear layer gives 20 logits per channel, summed over channels. Training:
# Adam (lr 1e-3), batch 20, cross-entropy, the data set's per-class 70/20/10 split, the
# epoch with the best validation accuracy is evaluated once on the test split. Everything
# happens in `nmrlib.tocsy.training.run_configuration` (resumable, seeded); this notebook shows
# the run and writes `results/<profile>/classification/<name>.json`.
#
# Profiles: `paper` is the paper's protocol (256 x 256 spectra, 1,000 per class, 10
# epochs, batch 20, constant learning rate, CUDA). `quick` (CPU, one thread per
# configuration, two configurations at a time on 2 cores) keeps the models, the loss,
# Adam and the split, and reduces, as stated in the run record and the report:
# * the spectra: simulated directly at 16 t1 increments x 64 t2 points (the same
#   experiment acquired with fewer points at the same sweep widths: 1,024 samples per
#   channel instead of 65,536);
# * the data: 300 spectra per class (210 train, 60 validation, 30 test per class: 4,200 /
#   1,200 / 600), validation capped at 20 per class to save time (the test split is never
#   reduced);
# * the schedule: 4 epochs at batch 8 (2,100 optimiser steps; the paper makes 7,000 at batch
#   20) with a one-cycle learning rate (warm-up to 1e-3, cosine decay) instead of a
#   constant one, so that the short run ends converged rather than mid-descent (at 2 epochs
#   DEEP Picker + Conv1d stopped at 0.45 +- 0.11, at 4 it reaches 0.62-0.68);
# * 2 seeds for every Table I configuration and the two frozen Table II ones; 1 seed for
#   the two trainable Table II runs (a fine-tuned 20.8 M-parameter ECAPA-L is the costliest
#   run on a CPU: see the README's timings).
# Table II runs use the VoxCeleb weights from `python -m nmrlib pretrained fetch` (verified
# by sha256; `pretrained_source` names a folder to use instead).
# `smoke` is a seconds-long pipeline check (2 epochs of 14 steps; Table II runs too).

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
data_dir = "data/quick"
device = "cpu"
encoder = "conv1d"
embedding = "ecapa_l"
pretrained = "none"
n_seeds = 1
n_seeds_by_config = {}
epochs = 10
batch_size = 20
lr = 0.001
lr_schedule = "constant"
crop = None
max_per_class = None
max_val_per_class = None
pretrained_source = ""
simulate_missing = True

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from nmrlib.core.plotting import confusion_plot, savefig
from nmrlib.tocsy.models import PAPER_NAMES
from nmrlib.tocsy.residues import RESIDUES
from nmrlib.tocsy.training import configuration, most_confused_pairs, run_configuration

config = configuration(encoder, embedding, pretrained)
seeds = list(range(seed, seed + int(n_seeds_by_config.get(config.name, n_seeds))))
data_root = Path(data_dir) / "tocsy"
print(f"configuration {config.name} (Table {config.table}), profile {profile}, "
      f"device {device}, seeds {seeds}")

# %% [markdown]
# ## Data
# The simulated TOCSY data set of this profile (`python -m nmrlib simulate`); generated
# here if it is missing and `simulate_missing` is set.

# %%
import json

from nmrlib.tocsy.corpus import simulate_dataset

manifest = data_root / "manifest.json"
if not (manifest.exists() and json.loads(manifest.read_text()).get("complete")):
    if simulate_missing:
        simulate_dataset(data_root, profile=profile)
    else:
        print(f"not run: no complete data set at {data_root}")

# %% [markdown]
# ## Training
# Progress bars per epoch; an interrupted run resumes from its last finished epoch
# (checkpoints in `build/<profile>/checkpoints`), a finished one is read back.

# %%
result = run_configuration(
    config, data_root, seeds=seeds, epochs=epochs, batch_size=batch_size, lr=lr,
    lr_schedule=lr_schedule, device=device, crop=crop, max_per_class=max_per_class,
    max_val_per_class=max_val_per_class, pretrained_source=pretrained_source or None,
    results_dir=results_dir, checkpoint_dir=f"build/{profile}/checkpoints")
print(result["status"])

# %%
# NBVAL_CHECK_OUTPUT
if result["status"] == "ok":
    data = result["data"]
    print(f"{PAPER_NAMES[config.encoder]} + {PAPER_NAMES[config.embedding]}"
          f" (pretrained: {config.pretrained})")
    print(f"spectra: train {data['n_train']}, val {data['n_val']}, test {data['n_test']}; "
          f"{data['length']} samples per channel")
    print("parameters:", result["parameters"])
else:
    print(f"{config.name}: {result['status'].split(' (')[0]}")

# %% [markdown]
# ## Results
# Validation accuracy per epoch, test accuracy of the selected epoch (mean and spread over
# seeds), per-class F1 and the confusion matrix (rows: true residue).

# %%
if result["status"] == "ok":
    for run in result["runs"]:
        curve = ", ".join(f"{h['val_accuracy']:.3f}" for h in run["history"])
        print(f"seed {run['seed']}: val accuracy by epoch [{curve}] -> epoch "
              f"{run['best_epoch']}, test accuracy {run['test']['accuracy']:.3f}, "
              f"macro F1 {run['test']['macro_f1']:.3f}")
    s = result["summary"]
    spread = f" +/- {s['accuracy_sd']:.3f} (sd over {s['n_seeds']} seeds)" \
        if s["accuracy_sd"] is not None else ""
    print(f"test accuracy {s['accuracy_mean']:.3f}{spread}")
    print(f"training throughput {s['train_spectra_per_s_mean']:.1f} spectra/s on {device}; "
          f"train time {result['timings']['train_s']:.0f} s")
    cm = np.asarray(s["confusion_sum"])
    print("most confused pairs (errors both ways):",
          ", ".join(f"{a}/{b} {n}" for a, b, n in most_confused_pairs(cm, RESIDUES, 5)))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5),
                                   gridspec_kw={"width_ratios": [1.2, 1]})
    ax1.bar(range(len(RESIDUES)), s["f1_mean"], color="tab:blue")
    ax1.set_xticks(range(len(RESIDUES)), RESIDUES, rotation=90, fontsize=7)
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("test F1")
    ax1.set_title(f"{config.name}: per-class F1", fontsize=9)
    confusion_plot(ax2, cm, RESIDUES, title="confusion (rows normalised)")
    savefig(fig, figures_dir, f"classifier-{config.name}")
    plt.show()
else:
    print(result["status"])
