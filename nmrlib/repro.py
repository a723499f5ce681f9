"""Reproducibility helpers: seeds, thread counts, the environment report, project paths.

Every random draw in nmrlib comes from an explicit seed. Generators are derived from a
root seed and a tuple of integers (``rng(seed, class_index, sample_index)``) so that a
sample is a pure function of its identity, independent of the order of generation.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGES = (
    "numpy", "scipy", "torch", "torchaudio", "speechbrain", "nmrglue", "matplotlib",
    "papermill", "jupytext", "nbval",
)


def rng(seed: int, *keys: int) -> np.random.Generator:
    """A numpy Generator that depends only on ``seed`` and the integer ``keys``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, keys)]))


def set_threads(n: int | None = None) -> int:
    """Fix the number of CPU threads used by torch and BLAS.

    Default: ``$NMRLIB_THREADS`` if set (e.g. to share a machine with a training run),
    else all cores, at most 16.
    """
    n = int(n or os.environ.get("NMRLIB_THREADS") or min(os.cpu_count() or 1, 16))
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
    return Path(__file__).resolve().parent.parent


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


def write_json(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)
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
    if argv[0] == "profile":
        profile, why = default_profile()
        if "--why" in argv:
            print(f"profile {profile}: {why}")
        else:
            print(profile)
        return 0
    print(json.dumps(environment_report(), indent=2))
    return 0
