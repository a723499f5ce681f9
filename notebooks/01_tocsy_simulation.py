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
# # Simulated 2D TOCSY of the 20 amino acids (paper 1, Yip et al., section III)
#
# The paper trained its classifiers on 20,000 TOCSY spectra simulated with Spinach
# (1,000 per amino acid, 2 States channels x 256 x 256). `nmrlib.tocsy.spin` replaces Spinach with
# an exact simulator of the same experiment: strong coupling, isotropic (Hartmann-Hahn)
# mixing, CH3 groups by permutation symmetry and uncoupled sub-networks factorised
# (conventions in the module docstring). Three mixing models (`selection`):
#
# * `"lock"` (default, and the data set's): an ideal spin lock with trim pulses, i.e. a real
#   phase-sensitive MLEV-17 TOCSY (Bax & Davis 1985). Everything that commutes with the lock
#   axis survives, including zero-quantum coherences, which give dispersive antiphase
#   cross-peak components in coupled systems; it is also the strong-lock limit of Spinach's
#   `tocsy.m` once the unlocked components dephase.
# * `"in-phase"`: only in-phase site magnetisation survives the filters (ideal zero-quantum
#   suppression; the physics of earlier versions; pure absorptive in-phase cross peaks).
# * `"spinach"`: Spinach's own convention, a continuous lock of finite power with the
#   offsets present during mixing, no filter (dense, for small systems).
#
# The spin systems (BMRB shift statistics, GISSMO J couplings) are in `nmrlib.tocsy.residues`.
# This notebook shows one spectrum per residue, the ILE/LEU comparison of the paper's
# Fig. 5, the two main mixing models side by side, Spinach's convention against the ideal
# lock, the cross-peak build-up with mixing time, statistics of the profile's data set
# (built or loaded with `nmrlib.tocsy.corpus`), and the measured simulation throughput.

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
data_dir = "data/quick"
device = "cpu"
display_n = 128
display_snr = 300.0
workers = None
bench_n = 5
buildup_residues = ["LYS", "ILE"]
selection = "lock"
compare_residues = ["ILE", "LEU", "GLN"]
lamp_values_hz = [1e4, 1e5, 1e6, 1e7]
buildup_max_ms = 200.0
buildup_points = 101
real_contour_start = 2000.0

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads(1)  # the simulator's small eigh/GEMMs run best single-threaded; parallelism is
# across processes (the data-set generator starts one worker per core)

import time
from functools import partial

import matplotlib.pyplot as plt
import numpy as np

from nmrlib.core.plotting import contour2d, contour_levels, noise_sigma, ppm_axis, savefig
from nmrlib.core.repro import environment_report, rng, write_json
from nmrlib.tocsy import corpus as ds
from nmrlib.tocsy import real as tocsy_real
from nmrlib.tocsy import real_classify as tocsy_real_classify
from nmrlib.tocsy import residues as aa
from nmrlib.tocsy.audio import SAMPLE_RATE_HZ, stack_transients
from nmrlib.tocsy.corpus import sample_spectrum
from nmrlib.tocsy.spin import states_spectrum, tocsy_fid

acq = dict(aa.ACQUISITION, n1=display_n, n2=display_n)
ppm = ppm_axis(display_n, acq["sw_hz"], acq["field_mhz"], acq["carrier_ppm"])
results = {"profile": profile, "acquisition_display": acq}
print(f"profile {profile}: display spectra {display_n} x {display_n}, {acq['field_mhz']:.0f} MHz, "
      f"sweep {acq['sw_hz']:.0f} Hz, mixing {acq['tau_mix'] * 1e3:.0f} ms, selection {selection}")

simulate = partial(sample_spectrum, index=0, seed=seed, acquisition=acq, selection=selection,
                   snr=display_snr, device=device)


# %% [markdown]
# ## One spectrum per residue
# Sample 0 of every class (the data set's shift draw), here at `display_n` points with
# complex noise at a peak time-domain SNR of `display_snr` so that contours can start at a
# multiple of the noise: 5 sigma x 1.4^k, negative levels dashed. Hypercomplex (States)
# processing with a cos^2 window gives pure absorption; the diagonal runs from top right to
# bottom left. Backbone HN (8-9 ppm) shows its cross peak to HA; side chains light up
# according to their J networks.

# %%
fig, axes = plt.subplots(4, 5, figsize=(17, 14))
spectra = {}
for ax, code in zip(axes.flat, aa.RESIDUES, strict=True):
    shifts, data = simulate(code)
    spec = states_spectrum(data)
    spectra[code] = spec
    contour2d(ax, spec, ppm, ppm, contour_levels(noise_sigma(spec), start=5, factor=1.6, n=8))
    ax.set_title(f"{code} ({aa.ONE_LETTER[code]}), {aa.spin_system(code).n_protons} H")
    ax.set_ylabel("δ1 (ppm)")
fig.suptitle("2D TOCSY of the 20 amino acids (sample 0 of each class, 60 ms mixing)")
fig.tight_layout()
savefig(fig, figures_dir, "tocsy_all_residues")
plt.show()

# %% [markdown]
# ## ILE vs LEU (the paper's Fig. 5)
# Isoleucine and leucine have the same formula and similar shifts but different side
# chains: ILE is HN-HA-HB(-CH3 γ2)-CH2 γ1-CH3 δ1, LEU is HN-HA-CH2 β-HG(-CH3 δ1)(-CH3 δ2).
# Left: the interferogram, i.e. the real cos channel after the stacking transform (the
# t2 transients concatenated, played at 8 kHz). Right: the 2D spectrum, with identical
# contour levels for both residues.

# %%
structures = {"ILE": "isoleucine: HN-HA-HB(-CH3γ2)-CH2γ1-CH3δ1",
              "LEU": "leucine: HN-HA-CH2β-HG(-CH3δ1)(-CH3δ2)"}
pair = {code: simulate(code) for code in structures}
specs = {code: states_spectrum(data) for code, (_, data) in pair.items()}
sigma = max(noise_sigma(s) for s in specs.values())
levels = contour_levels(sigma, start=5, n=10)
fig, axes = plt.subplots(2, 2, figsize=(14, 9), gridspec_kw={"width_ratios": [1.6, 1]})
for row, code in enumerate(structures):
    audio = stack_transients(pair[code][1][0].real)
    seconds = np.arange(audio.size) / SAMPLE_RATE_HZ
    axes[row, 0].plot(seconds, audio, lw=0.3)
    axes[row, 0].set_xlabel(f"time (s) at {SAMPLE_RATE_HZ} Hz")
    axes[row, 0].set_title(f"{code} interferogram ({audio.size} samples)")
    contour2d(axes[row, 1], specs[code], ppm, ppm, levels)
    axes[row, 1].set_ylabel("δ1 (ppm)")
    axes[row, 1].set_title(structures[code])
fig.tight_layout()
savefig(fig, figures_dir, "ile_vs_leu")
plt.show()

# %% [markdown]
# ## Mixing model: ideal lock vs in-phase filter
# The same draws and the same noise in both models, at the same contour levels (5 sigma x
# 1.4^k of the noise, negative levels dashed); the right column is lock minus in-phase. The
# difference is what the zero-quantum coherences and multi-spin orders kept by the lock add:
# antiphase, partly dispersive components on and around the cross peaks, largest between
# strongly coupled protons (GLN: the HB2/HB3 and HG2/HG3 pairs near 2 ppm). The noise
# cancels in the difference.

# %%
modes = ("lock", "in-phase")
fig, axes = plt.subplots(len(compare_residues), 3, figsize=(15, 4.6 * len(compare_residues)),
                         squeeze=False)
model_diff = {}
for row, code in enumerate(compare_residues):
    specs = {mode: states_spectrum(simulate(code, selection=mode)[1]) for mode in modes}
    levels = contour_levels(max(noise_sigma(s) for s in specs.values()), start=5, n=10)
    panels = [*specs.values(), specs["lock"] - specs["in-phase"]]
    titles = [f"{code}: {modes[0]}", f"{code}: {modes[1]}", f"{code}: lock - in-phase"]
    for ax, spec, title in zip(axes[row], panels, titles, strict=True):
        contour2d(ax, spec, ppm, ppm, levels)
        ax.set_title(title)
        ax.set_ylabel("δ1 (ppm)")
    clean = {mode: simulate(code, selection=mode, snr=None)[1] for mode in modes}
    model_diff[code] = float(np.abs(clean["lock"] - clean["in-phase"]).max()
                             / np.abs(clean["lock"]).max())
fig.tight_layout()
savefig(fig, figures_dir, "lock_vs_in_phase")
plt.show()
results["lock_vs_in_phase_max_rel_diff_time_domain"] = model_diff

# %%
# NBVAL_CHECK_OUTPUT
for code, value in model_diff.items():
    print(f"{code}: max |lock - in-phase| / max |lock| (noise-free time domain) = {value:.3f}")

# %% [markdown]
# ## Spinach's convention against the ideal lock
# Spinach's `tocsy.m` mixes under a continuous lock of power `lamp` with the offsets still
# present and no filter (`selection="spinach"`, dense, for small systems: here a strongly
# coupled ABX). With one lock power the components of rho not along the lock axis keep
# precessing at about `lamp` and stay in the data; averaged over 8 powers spread over
# 1/tau_mix (a model of rf inhomogeneity, which is what dephases them in a real lock) they
# cancel, and the rest tends to the ideal `"lock"` as the offsets' effect, ~(offset/lamp)^2,
# vanishes.

# %%
abx = dict(shifts_ppm=[3.90, 3.95, 2.00],
           couplings_hz=[[0, -12.0, 6.0], [-12.0, 0, 3.0], [6.0, 3.0, 0]])
abx_acq = dict(field_mhz=600.0, carrier_ppm=3.5, sw_hz=4000.0, n1=12, n2=12,
               tau_mix=acq["tau_mix"], t2=acq["t2"])
ideal = tocsy_fid(**abx, **abx_acq, selection="lock")
spinach_dev = {"one power": [], "8 powers": []}
for lamp in lamp_values_hz:
    spread = [lamp + k / (8 * abx_acq["tau_mix"]) for k in range(8)]
    runs = [tocsy_fid(**abx, **abx_acq, selection="spinach", lamp_hz=p) for p in spread]
    for key, data in (("one power", runs[0]), ("8 powers", np.mean(runs, axis=0))):
        spinach_dev[key].append(float(np.abs(data - ideal).max() / np.abs(ideal).max()))
fig, ax = plt.subplots(figsize=(6, 4))
for key, values in spinach_dev.items():
    ax.loglog(lamp_values_hz, values, "o-", label=key)
ax.set_xlabel("spin-lock power lamp (Hz)")
ax.set_ylabel("max |spinach - lock| / max |lock|")
ax.set_title("ABX: Spinach's tocsy.m convention vs the ideal lock")
ax.legend()
savefig(fig, figures_dir, "spinach_vs_lock")
plt.show()
results["spinach_vs_lock"] = {"lamp_hz": lamp_values_hz, **spinach_dev}

# %%
# NBVAL_CHECK_OUTPUT
for key, values in spinach_dev.items():
    print(key, " ".join(f"{lamp:.0e} Hz: {v:.1e}" for lamp, v in
                        zip(lamp_values_hz, values, strict=True)))

# %% [markdown]
# ## Protein residue vs free amino acid
# The second context of `nmrlib.tocsy.residues`: the free amino acid in D2O (GISSMO shifts with
# a 0.01 ppm spread, no HN). Valine as an example, same acquisition and contour levels: the
# free zwitterion has its HA near 3.6 ppm instead of ~4.2 ppm in proteins, and no HN row.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
pair_ctx = {}
for context in ("protein", "free"):  # (protein-h2o: VAL has no exchangeable side-chain H)
    pair_ctx[context] = states_spectrum(simulate("VAL", context=context,
                                                 selection=ds.DEFAULT_SELECTION)[1])
levels = contour_levels(max(noise_sigma(s) for s in pair_ctx.values()), start=5, n=10)
for ax, (context, spec) in zip(axes, pair_ctx.items(), strict=True):
    contour2d(ax, spec, ppm, ppm, levels)
    ax.set_title(f"VAL, {'residue in a protein (H2O)' if context == 'protein' else 'free (D2O)'}")
    ax.set_ylabel("δ1 (ppm)")
fig.tight_layout()
savefig(fig, figures_dir, "val_protein_vs_free")
plt.show()

# %% [markdown]
# ## Real against simulated: free threonine and valine (BMRB, 500 MHz, D2O)
# The BMRB metabolomics-standard TOCSY sets of `nmrlib.core.realdata` (Bruker `mlevph`, 60 ms
# MLEV-17, States-TPPI, 128 x 1024 complex points) next to `nmrlib.tocsy.spin` simulations of the
# same residues in the `free` context at the real acquisition, read from the headers by
# `nmrlib.tocsy.real.acquisition`: 499.84 MHz (BF1), 6,493.5 Hz sweep in both dimensions,
# 60 ms mixing (D9), carrier O1 = 4.700 ppm on the spectrometer scale, i.e. 4.834 ppm on
# the DSS scale used here (no SR is stored; DSS sits at -0.134 ppm of the carrier axis).
# The simulation uses the GISSMO free-D2O shifts and couplings themselves (the context's
# means, no random draw), ideal lock, T2 = 0.3 s (assumed). Both are processed by the same
# function (`tocsy_real.spectrum`: cos^2 bells, zero-fill to 1024 x 2048, hypercomplex FT);
# the real FID is first brought to the simulator's convention by `tocsy_real.read_states`
# (digital filter removed, States-TPPI decoded, the registry's phases applied in the time
# domain). The simulation is scaled so that its largest diagonal peak equals the real
# one's, and both panels of a row share the same contour levels (`real_contour_start`
# x 2^k times the real spectrum's noise sigma, negatives dashed; the 100 mM samples reach
# 1e5 sigma, so the lowest level sits at 2000 sigma, below the weakest assigned cross peak,
# about 3000 sigma, but above most of the t1-noise ridges and baseline). What the simulation
# lacks: DSS (0.00, 0.63, 1.75, 2.91 ppm), the HDO line (4.85 ppm) with its t1 ridge,
# 13C satellites (+/- ~65 Hz around each line, 0.5 % each), relaxation during mixing,
# rf inhomogeneity and t1 noise. Also visible: the real valine methyl diagonal has
# dispersive (negative) wings that the simulation does not have, and both spectra show
# some negative (antiphase) components beside cross peaks, not always at the same ones. A
# set that cannot be fetched (no network and no mirror, or a file whose sha256 differs) is
# reported as "not run" and left out.

# %%
real_cmp = {}
for code, name in tocsy_real.SETS.items():
    try:
        real_cmp[code] = tocsy_real.compare(code)
    except (OSError, ValueError) as err:   # not fetched: no network, no mirror, bad checksum
        print(f"not run: {name}: {err}")
fig, axes = plt.subplots(max(len(real_cmp), 1), 2, figsize=(12, 5.6 * max(len(real_cmp), 1)),
                         squeeze=False)
for row, (code, cmp) in enumerate(real_cmp.items()):
    keep1 = (cmp["ppm1"] > -0.3) & (cmp["ppm1"] < 5.2)
    keep2 = (cmp["ppm2"] > -0.3) & (cmp["ppm2"] < 5.2)
    levels = contour_levels(noise_sigma(cmp["real"]), start=real_contour_start, factor=2.0, n=10)
    for ax, key in zip(axes[row], ("real", "sim"), strict=True):
        contour2d(ax, cmp[key][np.ix_(keep1, keep2)], cmp["ppm2"][keep2], cmp["ppm1"][keep1],
                  levels)
        ax.set_title(f"{code}: {'real (BMRB)' if key == 'real' else 'simulated (free, GISSMO)'}")
        ax.set_ylabel("δ1 (ppm)")
fig.tight_layout()
savefig(fig, figures_dir, "real_vs_simulated_thr_val")
plt.show()
results["real_vs_simulated"] = {code: cmp["similarity"] for code, cmp in real_cmp.items()}

# %% [markdown]
# Similarity per assigned peak (`tocsy_real.assigned_peaks`: the largest point within
# 0.06 ppm (F1) x 0.03 ppm (F2) of the GISSMO shifts, parabola-refined): real minus
# simulated position, and the cross/diagonal height ratio of both spectra (cross peak F1 = b,
# F2 = a over the diagonal peak b, b of the same row). Valine's two methyls (0.98 and 1.03
# ppm) lie within one acquired F1 point (0.10 ppm), so along F1 they are one peak in both
# spectra ("F1 merged"). The same numbers come from `python -m nmrlib tocsy-real compare`
# (`tocsy_real_similarity.json`).

# %%
# NBVAL_CHECK_OUTPUT
for code, cmp in real_cmp.items():
    print(tocsy_real.table(code, cmp["similarity"]))

# %% [markdown]
# A classifier (Conv1d + x-vector, eq. (2)) trained on `free`-context simulations at this
# acquisition, truncated to the first 16 x 128 complex points (same sweep, lower
# resolution), each sample divided by its largest modulus; the two real FIDs truncated and
# normalised the same way. Trained by `python -m nmrlib tocsy-real classify` (about 10 min on
# one core), not by this notebook; its JSON is printed when present. Two real spectra are
# an anecdote, not a statistic; and they carry DSS, HDO and satellites that no training
# sample has.

# %%
print(tocsy_real_classify.describe(results_dir))

# %% [markdown]
# ## Cross-peak build-up against mixing time
# Ideal isotropic mixing moves lock-axis magnetisation from site s to site r with the
# transfer matrix T_sr(τ) (J couplings only; the in-phase to in-phase part of the mixing, the
# same in every model; the lock adds the zero-quantum and multi-spin terms shown above). The
# HN row of T is the relative volume of the HN-row cross peaks (HN on F1) as a function of
# τ: one-bond neighbours first, remote side chain protons later. Two weakly coupled spins
# would follow (1 − cos 2πJτ)/2.

# %%
taus = np.linspace(0, buildup_max_ms, buildup_points) / 1e3
fig, axes = plt.subplots(1, len(buildup_residues), figsize=(6 * len(buildup_residues), 4))
buildup = {}
for ax, code in zip(np.atleast_1d(axes), buildup_residues, strict=True):
    system = aa.spin_system(code)
    net = system.network()
    hn = system.names.index("H")
    curves = net.transfer(taus)[:, hn, :] * system.counts  # (tau, site), in protons
    for s, name in enumerate(system.names):
        ax.plot(taus * 1e3, curves[:, s], label=name, ls="-" if s == hn else "--"
                if system.counts[s] > 1 else "-")
    ax.axvline(acq["tau_mix"] * 1e3, color="k", lw=0.5)
    ax.set_xlabel("mixing time τ (ms)")
    ax.set_ylabel("HN-row peak volume (protons)")
    ax.set_title(f"{code}: transfer from HN")
    ax.legend(fontsize=7, ncol=2)
    at_mix = net.transfer(acq["tau_mix"])[hn] * system.counts
    buildup[code] = {name: float(v) for name, v in zip(system.names, at_mix, strict=True)}
fig.tight_layout()
savefig(fig, figures_dir, "crosspeak_buildup")
plt.show()
results["hn_transfer_at_tau_mix"] = buildup

# %%
# NBVAL_CHECK_OUTPUT
for code, row in buildup.items():
    print(code, {k: round(v, 3) for k, v in row.items()})

# %% [markdown]
# ## The data set of this profile
# `nmrlib.tocsy.corpus.simulate_dataset` builds `data_dir/tocsy` (or resumes/loads it when it is
# already there with the same parameters). Each sample is a pure function of
# (seed, class, index, parameters); the per-class 70/20/10 split is fixed by the seed.

# %%
t0 = time.perf_counter()
root = ds.simulate_dataset(f"{data_dir}/tocsy", profile=profile, workers=workers,
                           progress=False, selection=selection)
build_s = time.perf_counter() - t0
summary = ds.summary(root)
results["dataset"] = dict(summary, root=str(root), params=ds.load_manifest(root)["params"])
print(f"data set ready in {build_s:.1f} s at {root}")

# %%
# NBVAL_CHECK_OUTPUT
print("spectra:", summary["n_spectra"], "per class:", summary["n_per_class"],
      "shape:", summary["shape"])
print("split sizes:", summary["split_counts"])
print(f"disk: {summary['disk_bytes'] / 2**20:.1f} MiB")
train = ds.TocsyDataset(root, "train", stacked=True)
x, label = train[0]
print("stacked item:", tuple(x.shape), x.dtype, "label", label, train.classes[label])

# %% [markdown]
# Drawn shifts against the table: per residue, the mean and sd of the HA shift over the
# data set's samples (truncated Gaussians, so the sd is slightly below the table's), and
# the spread of every site's shift.

# %%
shifts = ds.load_shifts(root)
rows = []
for code in aa.RESIDUES:
    system = aa.spin_system(code)
    name = "HA" if "HA" in system.names else "HA2"
    col = shifts[code][:, system.names.index(name)]
    rows.append((code, name, system.mean[system.names.index(name)], col.mean(), col.std()))
fig, ax = plt.subplots(figsize=(14, 4.5))
for c, code in enumerate(aa.RESIDUES):
    values = shifts[code]
    ax.scatter(np.repeat(c, values.size) + np.random.default_rng(0).uniform(-0.3, 0.3,
               values.size), values.ravel(), s=1, alpha=0.3)
ax.set_xticks(range(20), aa.RESIDUES)
ax.set_ylabel("drawn shift (ppm)")
ax.set_ylim(11, -0.5)
ax.set_title(f"site shifts of the {summary['n_spectra']} simulated spectra")
savefig(fig, figures_dir, "dataset_shifts")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print("residue site table_mean drawn_mean drawn_sd (ppm)")
for code, name, mean, got, sd in rows:
    print(f"{code} {name:4s} {mean:6.2f} {got:6.2f} {sd:5.2f}")
regen = ds.simulate_chunk(ds.load_manifest(root)["params"], 11, 0)[1]
print("LYS chunk 0 regenerates bit-identically:",
      bool(np.array_equal(regen, np.load(ds.chunk_path(root, 11, 0)))))

# %% [markdown]
# ## Throughput
# Spectra per second of the simulator for this profile's data size, per mixing model
# (`bench_n` per residue, one batch each, one thread, as each data-set worker process runs;
# the generator runs one such process per core). The full benchmark at the paper's size is
# `bench/bench_tocsy.py`; timings depend on the machine and its load.

# %%
params = ds.load_manifest(root)["params"]
bench_acq = {k: params[k] for k in aa.ACQUISITION}
rates = {mode: {} for mode in ("lock", "in-phase")}
for code in aa.RESIDUES:
    system = aa.spin_system(code)
    draws = np.stack([system.sample(rng(seed + 1, system.label, i)) for i in range(bench_n)])
    net = system.network()
    net.transfer(bench_acq["tau_mix"])
    for mode in rates:
        net.fid(draws[:1], **dict(bench_acq, n1=2, n2=2), selection=mode)  # J-only caches
        t0 = time.perf_counter()
        net.fid(draws, **bench_acq, device=device, selection=mode)
        rates[mode][code] = bench_n / (time.perf_counter() - t0)
overall = {mode: len(r) * bench_n / sum(bench_n / v for v in r.values())
           for mode, r in rates.items()}
for mode, r in rates.items():
    print(f"{mode}, {params['n1']} x {params['n2']}: overall {overall[mode]:.1f} spectra/s on "
          f"{device}; slowest {min(r, key=r.get)} {min(r.values()):.1f}/s")
    print(" ".join(f"{k} {v:.0f}" for k, v in r.items()))
results["throughput"] = {"size": [params["n1"], params["n2"]], "overall_spectra_per_s": overall,
                         "per_residue": rates, "dataset_build_s": build_s, "threads": 1}

# %%
results["environment"] = environment_report()
write_json(f"{results_dir}/01_tocsy_simulation.json", results)
print("results written")
