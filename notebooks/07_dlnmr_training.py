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
# # DLNMR training on synthetic FIDs only (paper 2, Qu et al. 2020)
#
# DLNMR learns NUS reconstruction from *synthetic* exponentially decaying signals
# (Supplement S1.1, Table S1-1): 1-10 peaks with random amplitude, frequency, decay and
# phase, each normalised to a unit spectral maximum and undersampled with its own
# Poisson-gap schedule. The network is a cascade of stages, each a dense CNN acting on
# the spectrum followed by data consistency on the FID (see `nmrlib.nus.dlnmr`).
#
# The `quick` profile does **not** retrain by default: it shows the committed weights and
# their training records (sidecar JSON beside each `.pt`):
#
# * `nmrlib/data/dlnmr_5stage.pt`: the paper's 5-stage cascade, trained by exactly the
#   `quick` training profile (`python -m nmrlib train-dlnmr --profile quick`);
# * `nmrlib/data/dlnmr_10stage.pt`: a 10-stage cascade (`--n-stages 10 --epochs 5`), a
#   choice beside the paper: every stage acts like one unrolled iteration, and on the same
#   CPU budget more stages gave a clearly lower error (see `nmrlib.nus.dlnmr`).
#
# `smoke` trains a tiny 2-stage model in seconds; `paper` retrains with the paper-sized
# protocol (GPU). Set `retrain = True` to retrain under `train_profile` yourself
# (`quick`: about 40 min on 2 CPU cores).

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
device = "cpu"
train_profile = "quick"
retrain = False
weights_paths = ["nmrlib/data/dlnmr_5stage.pt", "nmrlib/data/dlnmr_10stage.pt"]
n_examples = 3
n_test = 256
test_density = 0.25

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

from dataclasses import replace
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from nmrlib.core.plotting import savefig
from nmrlib.core.repro import environment_report, write_json
from nmrlib.nus.dlnmr import load_weights, reconstruct_dl, weights_info
from nmrlib.nus.metrics import relative_l2
from nmrlib.nus.reconstruct import reconstruct
from nmrlib.nus.synthetic import SyntheticNUS
from nmrlib.nus.train_dl import PROFILES, train

print(f"profile {profile}: train_profile {train_profile}, retrain {retrain}")

# %% [markdown]
# ## Training data
# Examples of training pairs: the fully sampled spectrum (target) and the zero-filled
# spectrum of the undersampled FID (input), whose NUS artefacts the network removes.
# Spectra are `fftshift(fft(fid))` on the normalised frequency axis (cycles per dwell).

# %%
settings = replace(PROFILES[train_profile], seed=seed)
data = SyntheticNUS(n=settings.n, size=settings.size, seed=seed, density=settings.density)
freq = np.fft.fftshift(np.fft.fftfreq(settings.n))
fig, axes = plt.subplots(n_examples, 1, figsize=(8, 2.2 * n_examples), sharex=True)
for ax, i in zip(np.atleast_1d(axes), range(n_examples), strict=False):
    y, mask, full = data.sample(i)
    ax.plot(freq, np.fft.fftshift(np.fft.fft(full)).real, lw=1, label="fully sampled")
    ax.plot(freq, np.fft.fftshift(np.fft.fft(y)).real, lw=0.8, alpha=0.8,
            label=f"zero-filled NUS {mask.mean():.0%}")
    ax.legend(loc="upper right", fontsize=8)
ax.set_xlabel("normalised frequency (cycles / dwell)")
savefig(fig, figures_dir, "dlnmr_training_examples")
plt.show()

# %% [markdown]
# ## Training
# Loss = mean over stages of the spectrum MSE (eq. S1-6); Adam with cosine decay;
# checkpoints in `build/dlnmr_<train_profile>` so an interrupted run resumes.

# %%
if retrain:
    out_weights = Path(results_dir) / f"dlnmr_{train_profile}.pt"
    summary = train(settings, f"build/{profile}/dlnmr_{train_profile}", weights=out_weights,
                    device=device, profile=train_profile)
    weights_paths = [str(out_weights)]
infos = {path: weights_info(path) for path in weights_paths}
for path, info in infos.items():
    print(f"weights {path}: {info['steps']} of {info['total_steps']} steps "
          f"({info['epochs_done']:.2f} epochs of {info['settings']['size']} pairs), "
          f"{info['wall_clock_s'] / 60:.1f} min on {info['device']}, "
          f"complete: {info['complete']}")

# %%
# NBVAL_CHECK_OUTPUT
for path, info in infos.items():
    print(Path(path).name, "config:", info["config"])
    print("  settings:", {k: info["settings"][k]
                          for k in ("n", "size", "epochs", "batch_size", "lr")})

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for path, info in infos.items():
    hist = [h for h in info["history"] if "train_loss_ema" in h]
    if not hist:
        print(f"not run: no training history stored with {path}")
        continue
    stages = info["config"]["n_stages"]
    line, = ax.semilogy([h["step"] for h in hist], [h["train_loss_ema"] for h in hist], "-",
                        label=f"{stages} stages: training loss (EMA)")
    val = [h for h in info["history"] if "loss" in h]
    ax.semilogy([h["step"] for h in val], [h["loss"] for h in val], "s", color=line.get_color(),
                label=f"{stages} stages: validation")
ax.set_xlabel("step")
ax.set_ylabel("loss (eq. S1-6)")
ax.legend(fontsize=8)
savefig(fig, figures_dir, "dlnmr_training_curve")
plt.show()

# %% [markdown]
# ## Held-out synthetic test
# `n_test` pairs from the held-out `test` split at `test_density` NUS, each with its own
# schedule: relative L2 error of the spectrum for zero filling, IST (hmsIST, 400
# iterations, no virtual echo since the synthetic phases are random) and each set of
# DLNMR weights, with the error after every stage of the cascade.

# %%
test = SyntheticNUS(n=settings.n, size=n_test, seed=seed, split="test",
                    density=(test_density, test_density))
y, mask, full = test.batch(range(n_test))
target = np.fft.fft(full)
rel_l2 = partial(relative_l2, target=target, axis=1)

errors = {"zero filling": rel_l2(np.fft.fft(y)),
          "IST": rel_l2(np.fft.fft(reconstruct(y, mask, "ist", device=device)))}
recs, err_stage = {}, {}
for path in weights_paths:
    model = load_weights(path, device)
    label = f"DLNMR {model.cfg.n_stages} stages"
    recs[label] = reconstruct_dl(y, mask, weights=model, device=device)
    errors[label] = rel_l2(np.fft.fft(recs[label]))
    with torch.no_grad():
        stages = model(torch.from_numpy(y).to(device, torch.complex64),
                       torch.from_numpy(mask).to(device), all_stages=True)
    err_stage[label] = [float(np.mean(rel_l2(s.cpu().numpy()))) for s in stages]

# %%
# NBVAL_CHECK_OUTPUT
print(f"held-out synthetic, {n_test} spectra at {test_density:.0%} NUS, relative L2 error:")
for label, err in errors.items():
    print(f"  {label:<20} {np.mean(err):.2f} +- {np.std(err):.2f}")
for label, err in err_stage.items():
    print(f"  {label} after each stage:", [round(e, 2) for e in err])

# %%
best = list(recs)[int(np.argmin([np.mean(errors[k]) for k in recs]))]
i = int(np.argsort(errors[best])[len(errors[best]) // 2])  # its median example
fig, ax = plt.subplots(figsize=(8, 3))
for spec, label in ((target[i], "fully sampled"), (np.fft.fft(y[i]), "zero-filled"),
                    *((np.fft.fft(r[i]), label) for label, r in recs.items())):
    ax.plot(freq, np.fft.fftshift(spec).real, lw=1, label=label)
ax.set_xlabel("normalised frequency (cycles / dwell)")
ax.set_title(f"median held-out example of {best} (rel. L2 error {errors[best][i]:.2f})")
ax.legend(fontsize=8)
savefig(fig, figures_dir, "dlnmr_heldout_example")
plt.show()

# %%
write_json(Path(results_dir) / "07_dlnmr_training.json", {
    "weights": weights_paths, "weights_info": infos, "test": {
        "n": n_test, "density": test_density,
        "rel_l2": {k: [float(np.mean(v)), float(np.std(v))] for k, v in errors.items()},
        "rel_l2_per_stage": err_stage},
    "environment": environment_report()})
