"""Shared test fixtures: the reference material beside the repository (``../shared``)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: reference tables and real data sets (read by tests, never by nmrlib)."""
    if not (SHARED / "realdata").is_dir():
        pytest.fail(f"reference material not found at {SHARED}: clone the repo beside shared/")
    return SHARED


@pytest.fixture(scope="session")
def realdata(shared_dir: Path) -> Path:
    return shared_dir / "realdata"


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module: on a 2-core box, 2 threads oversubscribe and
    run ~10x slower on small element-wise kernels."""
    from nmrlib.repro import torch_threads

    with torch_threads(1):
        yield
