"""Reproducibility helpers: seeds, thread counts, the environment report, project paths.

Every random draw in nmrlib comes from an explicit seed. Generators are derived from a
root seed and a tuple of integers (``rng(seed, class_index, sample_index)``) so that a
sample is a pure function of its identity, independent of the order of generation.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = (
    "numpy", "scipy", "torch", "torchaudio", "speechbrain", "nmrglue", "matplotlib",
    "papermill", "jupytext", "nbval",
)


PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the nmrlib package folder


def rng(seed: int, *keys: int) -> np.random.Generator:
    """A numpy Generator that depends only on ``seed`` and the integer ``keys``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, keys)]))


def set_threads(n: int | None = None) -> int:
    """Fix the number of CPU threads used by torch and BLAS.

    Default: ``$NMRLIB_THREADS`` if set (e.g. to share a machine with a training run),
    else all cores, at most 16.
    """
    if n is None:
        n = os.environ.get("NMRLIB_THREADS") or min(os.cpu_count() or 1, 16)
    n = int(n)
    if n < 1:
        raise ValueError(f"the thread count must be >= 1, got {n}")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(n)
    return n


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy's legacy global state and torch (CPU and CUDA)."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def project_root(start: str | Path | None = None) -> Path:
    """The repository root: the nearest parent of ``start`` (default cwd) with pyproject.toml.

    Notebooks resolve their relative output paths against it, so they behave the same
    whether papermill, nbval or JupyterLab runs them from another directory.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "nmrlib").is_dir():
            return folder
    return PACKAGE_DIR.parent


def git_commit() -> str | None:
    """The current git commit of the project, or None outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=project_root(), capture_output=True, text=True,
            timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks: the one checksum of every
    download, mirror copy, pinned weight file and data-set chunk."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def source_fingerprint(files: tuple[str, ...]) -> str:
    """sha256 (12 hex) of the named files of the nmrlib package (paths relative to it), in
    order: what identifies the code behind a data set or a checkpoint."""
    import hashlib

    digest = hashlib.sha256()
    for name in files:
        digest.update((PACKAGE_DIR / name).read_bytes())
    return digest.hexdigest()[:12]


def cuda_available() -> bool:
    """True when torch sees a CUDA device."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def default_profile() -> tuple[str, str]:
    """The profile ``make reproduce`` uses when none is given, and why."""
    if cuda_available():
        import torch

        return "paper", f"CUDA device found ({torch.cuda.get_device_name(0)})"
    return "quick", "no CUDA device found, so the CPU-sized quick profile"


def environment_report() -> dict:
    """Versions, device and thread settings, stored beside every result."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    from nmrlib import __version__

    report = {
        "nmrlib": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "packages": versions,
        "device": "cpu",
    }
    if "torch" in sys.modules or versions["torch"]:
        import torch

        report["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            report["device"] = f"cuda ({torch.cuda.get_device_name(0)})"
            report["cuda"] = torch.version.cuda
    return report


def check_output(path: str | Path, *, overwrite: bool = False) -> Path:
    """Check that ``path`` may be written; return it resolved (symlinks followed).

    Raises FileNotFoundError if its folder does not exist, NotADirectoryError if the
    "folder" is a file, FileExistsError if it exists and ``overwrite`` is false, and
    IsADirectoryError / ValueError if it exists and is not a regular file (a folder,
    FIFO or device node is never replaced, whatever ``overwrite`` says).
    """
    path = Path(path).resolve()
    folder = path.parent
    if not folder.exists():
        raise FileNotFoundError(f"output folder {folder} does not exist")
    if not folder.is_dir():
        raise NotADirectoryError(f"output folder {folder} is not a folder")
    if path.is_dir():
        raise IsADirectoryError(f"output {path} is a folder; give a file name")
    if path.exists() and not path.is_file():
        raise ValueError(f"output {path} exists and is not a regular file (FIFO, socket or "
                         "device); refusing to replace it")
    if path.exists() and not overwrite:
        raise FileExistsError(f"output {path} exists; pass overwrite (-ov / --overwrite) to "
                              "replace it")
    return path


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` intra-op torch threads, then restore the previous count.

    Float32 results depend on the thread count (the GEMM blocking changes), so code that
    must give the same bits everywhere computes under ``torch_threads(1)``.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Write a file atomically: yields a temporary path in the same folder to write to.

    On normal exit the temporary file is flushed to disk and renamed onto ``path`` (the
    resolved target of a symlink, so the link is kept); on any exception, including
    KeyboardInterrupt, it is removed and ``path`` is left as it was. ``path`` is checked
    first with :func:`check_output`. The new file gets the usual permissions (0o666 minus
    the umask), or those of the file it replaces. Temporary names are hidden:
    ``.<name>.<pid>.<random>.part``.
    """
    target = check_output(path, overwrite=overwrite)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # umask applies
    except OSError as err:
        raise type(err)(f"cannot create a file in {target.parent}: {err.strerror}") from err
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if target.is_file():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        check_output(target, overwrite=overwrite)  # nothing else appeared there meanwhile
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def require_int(name: str, value, minimum: int = 1, *, types: tuple = (int,)) -> None:
    """ValueError ``"<name> must be an integer >= <minimum>, got <value>"`` unless ``value``
    is one of ``types`` (never a bool) and at least ``minimum``.

    >>> require_int("epochs", 3)
    >>> require_int("DLNMR n_stages", 0)
    Traceback (most recent call last):
    ValueError: DLNMR n_stages must be an integer >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, types) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_finite_loss(loss: float, where: str) -> None:
    """Stop a training run whose loss is NaN or infinite: its model would be garbage, and
    nothing (weights, results) may be written as if it were a result."""
    if not np.isfinite(loss):
        raise ValueError(f"{where}: the training loss became {loss}; the data or the settings "
                         "(learning rate) are bad, so no result is written")


def save_torch(payload: dict, path: str | Path) -> Path:
    """``torch.save`` ``payload`` atomically to ``path`` (folder created, old file replaced).

    The one writer of checkpoints and weight files: a run killed while saving leaves the
    previous file (or none), never a half-written one.
    """
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, overwrite=True) as tmp:
        torch.save(payload, tmp)
    return path


def load_torch(path: str | Path, what: str, keys: tuple[str, ...] = (),
               map_location: str = "cpu") -> dict:
    """Read a dict written by :func:`save_torch` without ever running code from it.

    ``torch.load(..., weights_only=True)`` unpickles tensors and plain data only, so a
    crafted file cannot execute anything. Every failure is a one-line error naming the
    file: FileNotFoundError when it is missing, ValueError when it is damaged (empty,
    truncated, random bytes), holds other objects (refused as unsafe) or lacks ``keys``.
    ``what`` names the kind of file in the messages ("checkpoint", "DLNMR weights").
    """
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} not found" if not path.exists()
                                else f"{what} {path} is not a regular file")
    try:
        blob = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if "GLOBAL" in str(err):   # a class or function to import and call: refused
            raise ValueError(f"{what} {path} holds objects other than tensors and plain data; "
                             "refusing to load it (unpickling it could run code)") from err
        raise ValueError(f"{what} {path} is damaged or not a torch file "
                         f"({_first_line(err)})") from err
    except Exception as err:  # torch raises RuntimeError, EOFError, ... for damaged files
        raise ValueError(f"{what} {path} is damaged or not a torch file "
                         f"({_first_line(err)})") from err
    if not isinstance(blob, dict):
        raise ValueError(f"{what} {path} holds a {type(blob).__name__}, not a dict")
    missing = [key for key in keys if key not in blob]
    if missing:
        raise ValueError(f"{what} {path} lacks {', '.join(map(repr, missing))} (made by other "
                         "code, or damaged)")
    return blob


def load_model(path: str | Path, name: str, build, command: str):
    """The model in a weight file ``{"config", "state_dict"}`` (as written with
    :func:`save_torch`), built by ``build(config)``; in eval mode on the CPU.

    ``name`` ("DLNMR") names it in the one-line errors: FileNotFoundError naming
    ``python -m nmrlib <command>`` to train one, ValueError for a damaged file, a config
    ``build`` refuses or weights of another shape.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{name} weights not found: {path} (train with "
                                f"`python -m nmrlib {command}`)")
    blob = load_torch(path, f"{name} weight file", ("config", "state_dict"))
    try:
        model = build(blob["config"])
        model.load_state_dict(blob["state_dict"])
    except (RuntimeError, KeyError, TypeError, ValueError) as err:
        article = "an" if name[0].lower() in "aeiou" else "a"
        why = " ".join(str(err).split())[:80]
        raise ValueError(f"{path}: not {article} {name} weight file ({type(err).__name__}: "
                         f"{why})") from err
    return model.eval()


def _first_line(err: BaseException) -> str:
    """``Type: message`` of ``err`` on one line, at most 120 characters."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"[:120]


def write_json(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON atomically (temp file, then rename).

    The folder is created if needed and an existing file is replaced.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n"
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(text)
    return path


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def main(argv: list[str]) -> int:
    """``python -m nmrlib env`` (the environment report) and ``profile [--why]``."""
    from nmrlib.core.cli import CliParser

    parser = CliParser(prog=f"python -m nmrlib {argv[0]}",
                       description="print the default profile for this machine"
                       if argv[0] == "profile" else "print the environment report as JSON")
    if argv[0] == "profile":
        parser.add_argument("--why", action="store_true", help="also say why")
    args = parser.parse_args(argv[1:])
    if argv[0] == "profile":
        profile, why = default_profile()
        print(f"profile {profile}: {why}" if args.why else profile)
        return 0
    print(json.dumps(environment_report(), indent=2))
    return 0
