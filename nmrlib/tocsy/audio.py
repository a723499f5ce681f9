"""NMR data as audio: the paper's stacking transform, Mel features and the Fig. 1 speech clip.

Stacking (Yip et al., section II). A 2D TOCSY channel of shape (n1, n2) (t1 increments x
t2 points) becomes one long sequence by concatenating its transients: t2 runs fastest,
t1 slowest, so sample ``k*n2 + m`` of the sequence is point (t1 = k, t2 = m). At the
paper's size (256 x 256) that is 65,536 samples, i.e. 8.192 s of "audio" at 8 kHz.

Mel features: speechbrain's ``Fbank`` (log-Mel, 80 filters, 25 ms windows, 10 ms hop,
n_fft 512, centred frames) at 8 kHz, the encoder of the paper's Mel branch.

Speech clip for Fig. 1 (``python -m nmrlib speech``): the CMU ARCTIC utterance
``arctic_a0007.wav`` (16 kHz, free for any use under the CMU licence) taken from the
``pysptk`` 1.0.1 source distribution on PyPI (pinned by sha256), resampled to 8 kHz
(a marked modification, as its licence asks) with its ``COPYING`` kept beside it. If PyPI
cannot be reached, the fallback needs no network: Debian's ``espeak-ng`` synthesises a
sentence, resampled to 8 kHz. ``SOURCE.txt`` beside the file says which one was used.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from hashlib import sha256
from pathlib import Path

import numpy as np

from nmrlib.core.cli import CliParser

SAMPLE_RATE_HZ = 8000
N_MELS = 80
PYSPTK_SDIST = "pysptk-1.0.1.tar.gz"
PYSPTK_SHA256 = "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f"
ARCTIC_MEMBER = "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav"
ARCTIC_LICENCE = "pysptk-1.0.1/pysptk/example_audio_data/COPYING"
ESPEAK_TEXT = "Nuclear magnetic resonance spectra can be heard as speech."
SPEECH_FILE = "speech_8k.wav"


def stack_transients(x):
    """Concatenate the t2 transients of ``x`` (..., n1, n2) into (..., n1 * n2).

    Works for numpy arrays and torch tensors alike (a reshape, no copy when contiguous).
    """
    if x.ndim < 2:
        raise ValueError(f"stack_transients needs (..., n1, n2) data, got shape {tuple(x.shape)}")
    return x.reshape(*x.shape[:-2], x.shape[-2] * x.shape[-1])


def make_fbank(sample_rate: int = SAMPLE_RATE_HZ, n_mels: int = N_MELS,
               win_length_ms: float = 25.0, hop_length_ms: float = 10.0, n_fft: int = 512):
    """speechbrain ``Fbank``: (N, L) samples -> (N, 1 + L // hop, n_mels) log-Mel features."""
    from speechbrain.lobes.features import Fbank

    return Fbank(n_mels=n_mels, sample_rate=sample_rate, win_length=win_length_ms,
                 hop_length=hop_length_ms, n_fft=n_fft)


def log_mel(signal, sample_rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Log-Mel spectrogram (frames, 80) of a 1D signal, as the Mel branch sees it."""
    import torch

    x = torch.as_tensor(np.asarray(signal, dtype=np.float32)).reshape(1, -1)
    with torch.no_grad():
        return make_fbank(sample_rate)(x)[0].numpy()


def rows_ft(signal, row: int = 256) -> np.ndarray:
    """|2D FT| (fftshifted) of ``signal`` cut into rows of ``row`` samples (tail dropped).

    The paper's Fig. 1 view of speech "as if it were" a 2D NMR experiment.
    """
    x = np.asarray(signal, dtype=float)
    n_rows = x.size // row
    if n_rows < 2:
        raise ValueError(f"need at least {2 * row} samples for rows of {row}, got {x.size}")
    return np.abs(np.fft.fftshift(np.fft.fft2(x[: n_rows * row].reshape(n_rows, row))))


def noise(n: int, seed: int) -> np.ndarray:
    """Seeded white Gaussian noise (unit variance), the Fig. 1 reference signal."""
    from nmrlib.core.repro import rng

    return rng(seed, 1).standard_normal(int(n))


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A mono wav as float in [-1, 1] and its sample rate."""
    from scipy.io import wavfile

    rate, data = wavfile.read(path)
    data = np.asarray(data)
    if data.ndim > 1:
        data = data.mean(axis=1)
    if np.issubdtype(data.dtype, np.integer):
        data = data / float(np.iinfo(data.dtype).max)
    return data.astype(np.float64), int(rate)


def resample(x: np.ndarray, rate: int, target: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Polyphase resampling (scipy ``resample_poly``, its anti-aliasing filter)."""
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(rate), int(target))
    return resample_poly(x, target // g, rate // g)


def _write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    from scipy.io import wavfile

    from nmrlib.core.repro import atomic_output

    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
    with atomic_output(path, overwrite=True) as tmp:
        wavfile.write(tmp, rate, pcm)


def _package_index() -> str:
    """The simple-index URL pip is configured with (PIP_INDEX_URL, pip config, or pip's default)."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                             capture_output=True, text=True)
        url = out.stdout.strip() if out.returncode == 0 else ""
    if not url:
        from pip._internal.models.index import PyPI

        url = PyPI.simple_url
    return url.rstrip("/")


def _sdist_url(project: str, filename: str, timeout: float) -> str:
    """Download URL of ``filename`` from the package index's JSON simple API (PEP 691)."""
    request = urllib.request.Request(f"{_package_index()}/{project}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        files = json.load(response)["files"]
    for entry in files:
        if entry["filename"] == filename:
            return entry["url"]
    raise FileNotFoundError(f"{filename} is not on the package index")


def arctic_clip(timeout: float = 60.0) -> tuple[np.ndarray, int, bytes, str]:
    """The CMU ARCTIC clip at its own rate from the pinned pysptk sdist on PyPI.

    Returns (samples in [-1, 1], rate in Hz, the COPYING licence text, the sdist URL).
    """
    url = _sdist_url("pysptk", PYSPTK_SDIST, timeout)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        blob = response.read()
    digest = sha256(blob).hexdigest()
    if digest != PYSPTK_SHA256:
        raise ValueError(f"pysptk sdist sha256 {digest} != pinned {PYSPTK_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        wav = tar.extractfile(ARCTIC_MEMBER).read()
        licence = tar.extractfile(ARCTIC_LICENCE).read()
    x, rate = read_wav(io.BytesIO(wav))
    return x, rate, licence, url


def _from_pysptk(out: Path, timeout: float) -> dict:
    x, rate, licence, url = arctic_clip(timeout)
    _write_wav(out / SPEECH_FILE, resample(x, rate), SAMPLE_RATE_HZ)
    (out / "COPYING").write_bytes(licence)
    return {"source": "CMU ARCTIC arctic_a0007.wav (speaker bdl), from the pysptk 1.0.1 "
                      "sdist on PyPI", "url": url, "sha256": PYSPTK_SHA256,
            "original_rate_hz": rate, "licence": "CMU ARCTIC licence, see COPYING",
            "modification": f"resampled by nmrlib from {rate} Hz to {SAMPLE_RATE_HZ} Hz"}


def _from_espeak(out: Path) -> dict:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "espeak.wav"
        subprocess.run([exe, "-v", "en-us", "-w", str(raw), ESPEAK_TEXT], check=True,
                       capture_output=True, timeout=60)
        x, rate = read_wav(raw)
    _write_wav(out / SPEECH_FILE, resample(x, rate), SAMPLE_RATE_HZ)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    (out / "COPYING").write_text(
        "Synthesised locally by espeak-ng (GPL-3.0-or-later program; its output is the\n"
        f"user's own). Text: {ESPEAK_TEXT!r}\n")
    return {"source": f"espeak-ng synthesis ({version})", "text": ESPEAK_TEXT,
            "original_rate_hz": rate, "licence": "synthesised locally, see COPYING",
            "modification": f"resampled by nmrlib from {rate} Hz to {SAMPLE_RATE_HZ} Hz"}


def fetch_speech(out_dir: str | Path = "data/speech", *, offline: bool = False,
                 timeout: float = 60.0) -> Path:
    """Obtain the Fig. 1 speech clip into ``out_dir`` (see module docstring); return its path.

    Idempotent: an existing clip with its ``SOURCE.txt`` is kept. ``offline`` skips PyPI.
    """
    out = Path(out_dir)
    wav = out / SPEECH_FILE
    if wav.exists() and (out / "SOURCE.txt").exists():
        return wav
    out.mkdir(parents=True, exist_ok=True)
    errors = []
    info = None
    if offline:
        errors.append("PyPI skipped (offline requested)")
    else:
        try:
            info = _from_pysptk(out, timeout)
        except Exception as err:  # network, HTTP, archive: fall back, but say why
            errors.append(f"pysptk/PyPI: {type(err).__name__}: {err}")
    if info is None:
        try:
            info = _from_espeak(out)
        except Exception as err:
            errors.append(f"espeak-ng: {type(err).__name__}: {err}")
            raise RuntimeError("no speech clip could be obtained: " + "; ".join(errors)) from err
    info["fallback_because"] = errors or None
    (out / "SOURCE.txt").write_text(json.dumps(info, indent=2) + "\n")
    return wav


def speech_source(wav: str | Path) -> str:
    """One line naming where the clip beside ``SOURCE.txt`` came from."""
    meta = Path(wav).with_name("SOURCE.txt")
    if not meta.exists():
        return "unknown source (no SOURCE.txt beside the file)"
    info = json.loads(meta.read_text())
    return f"{info['source']}; {info['modification']}"


def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib speech",
                       description="Fetch the Fig. 1 speech clip (8 kHz wav)")
    parser.add_argument("--out", type=Path, default=Path("data/speech"))
    parser.add_argument("--offline", action="store_true", help="skip PyPI, use espeak-ng")
    args = parser.parse_args(argv[1:])
    wav = fetch_speech(args.out, offline=args.offline)
    print(f"{wav}: {speech_source(wav)}")
    return 0
