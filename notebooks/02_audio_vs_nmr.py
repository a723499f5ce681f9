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
# # NMR as audio: Fig. 1 of paper 1 (Yip et al., section II)
#
# The paper's premise: a 2D TOCSY experiment, with its t2 transients concatenated into one
# sequence (t2 fastest, t1 slowest), can be read as an 8 kHz audio signal and fed to
# speaker-recognition models. Here one simulated TOCSY sample is stacked that way and its
# Mel spectrogram (speechbrain `Fbank`, 80 Mel, 25 ms / 10 ms, the encoder of the Mel
# branch) is shown beside those of a speech recording and of a white-noise signal. The
# reverse view is also shown: the speech cut into 256-sample rows, as if each row were a
# transient, and Fourier transformed in 2D like a TOCSY.
#
# The speech clip is obtained by the project's set-up, `python -m nmrlib speech`: the
# CMU ARCTIC utterance `arctic_a0007` (free licence, `COPYING` kept beside it) from the
# `pysptk` source package on PyPI, resampled to 8 kHz; without network, a sentence
# synthesised by Debian's `espeak-ng`. The noise is drawn from `seed`.

# %% tags=["parameters"]
profile = "quick"
seed = 0
results_dir = "results/quick"
figures_dir = "figures/quick"
device = "cpu"
speech_wav = "data/speech/speech_8k.wav"
residue = "LEU"
sample_index = 0
n1 = 256
n2 = 256
row_length = 256

# %%
import os

from nmrlib.core.repro import project_root, set_threads

os.chdir(project_root())
set_threads()

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from nmrlib.core.plotting import savefig
from nmrlib.core.repro import environment_report, write_json
from nmrlib.tocsy import audio
from nmrlib.tocsy.corpus import params_for, simulate_chunk
from nmrlib.tocsy.residues import RESIDUES

# %% [markdown]
# ## One TOCSY sample as a sequence
# Sample `sample_index` of `residue` from the data set's generator (protein context,
# 600 MHz, sweep 7,200 Hz, mixing 60 ms), at `n1 x n2` points. Channel 0 (cos-modulated,
# real part) is stacked into `n1 * n2` samples.

# %%
params = params_for(profile, n1=n1, n2=n2, n_per_class=max(10, sample_index + 1),
                    chunk_size=sample_index + 1)
shifts, data = simulate_chunk(params, RESIDUES.index(residue), 0)
tocsy = audio.stack_transients(data[sample_index, 0].real.astype(np.float64))
tocsy_mel = audio.log_mel(tocsy)
noise = audio.noise(tocsy.size, seed)
noise_mel = audio.log_mel(noise)

# %%
# NBVAL_CHECK_OUTPUT
print(f"{residue} sample {sample_index}: {n1} x {n2} points -> {tocsy.size} samples = "
      f"{tocsy.size / audio.SAMPLE_RATE_HZ:.3f} s at {audio.SAMPLE_RATE_HZ} Hz")
print(f"Mel spectrogram: {tocsy_mel.shape[0]} frames x {tocsy_mel.shape[1]} Mel bands")
print(f"noise: {noise.size} samples, seed {seed}, sd {noise.std():.3f}")

# %% [markdown]
# ## The speech clip

# %%
wav = Path(speech_wav)
speech = None
if wav.exists():
    speech, rate = audio.read_wav(wav)
    if rate != audio.SAMPLE_RATE_HZ:
        speech = audio.resample(speech, rate)
    speech_mel = audio.log_mel(speech)
    speech_rows = audio.rows_ft(speech, row_length)
    print(f"speech used: {audio.speech_source(wav)}")
    print(f"{speech.size} samples = {speech.size / audio.SAMPLE_RATE_HZ:.2f} s at 8 kHz")
else:
    print(f"not run: {wav} not found (set it up with `python -m nmrlib speech`); "
          "the speech panels are left out")

# %% [markdown]
# ## Fig. 1
# Top: the three signals; bottom: their log-Mel spectrograms (same colour scale per
# panel, frames of 10 ms). The stacked TOCSY looks like a train of decaying "utterances",
# one per t1 increment (every `n2` samples), each with its own spectral content: the
# t2 frequencies (chemical shifts) stay fixed while the t1 modulation changes their
# amplitude from transient to transient.

# %%
signals = [("TOCSY (stacked, cos real)", tocsy, tocsy_mel)]
if speech is not None:
    signals.append(("speech", speech, speech_mel))
signals.append((f"white noise (seed {seed})", noise, noise_mel))
fig, axes = plt.subplots(2, len(signals), figsize=(4.2 * len(signals), 6), squeeze=False)
for col, (title, x, mel) in enumerate(signals):
    t = np.arange(x.size) / audio.SAMPLE_RATE_HZ
    axes[0, col].plot(t, x, lw=0.3, color="k")
    axes[0, col].set_title(title, fontsize=10)
    axes[0, col].set_xlabel("time (s)")
    axes[1, col].imshow(mel.T, origin="lower", aspect="auto", cmap="magma",
                        extent=(0, x.size / audio.SAMPLE_RATE_HZ, 0, mel.shape[1]))
    axes[1, col].set_xlabel("time (s)")
    axes[1, col].set_ylabel("Mel band")
fig.tight_layout()
savefig(fig, figures_dir, "fig1-audio-vs-nmr")
plt.show()

# %% [markdown]
# ## Speech seen as a 2D experiment
# Left: the speech cut into `row_length`-sample rows and 2D Fourier transformed (log
# magnitude); right: the same operation on the stacked TOCSY, i.e. its 2D spectrum
# (magnitude of the cos channel, no States processing). A TOCSY gives sharp peaks on a
# grid; speech gives broad harmonic ridges.

# %%
tocsy_rows = audio.rows_ft(tocsy, n2)
panels = [(f"TOCSY rows of {n2}: |2D FT|", tocsy_rows)]
if speech is not None:
    panels.insert(0, (f"speech rows of {row_length}: |2D FT|", speech_rows))
fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
for ax, (title, image) in zip(axes[0], panels, strict=True):
    ax.imshow(np.log10(image + image.max() * 1e-6), origin="lower", aspect="auto",
              cmap="viridis")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("frequency within a row (bin)")
    ax.set_ylabel("frequency across rows (bin)")
fig.tight_layout()
savefig(fig, figures_dir, "fig1-speech-2dft")
plt.show()

# %%
write_json(Path(results_dir) / "fig1_audio_vs_nmr.json", {
    "residue": residue, "sample_index": sample_index, "n1": n1, "n2": n2,
    "tocsy_samples": int(tocsy.size), "mel_frames": int(tocsy_mel.shape[0]),
    "speech": audio.speech_source(wav) if speech is not None
    else f"not run: {wav} not found",
    "noise_seed": seed, "environment": environment_report(),
})
