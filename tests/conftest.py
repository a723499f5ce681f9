"""Shared test fixtures: the reference material beside the repository (``../shared``).

The real data sets come through the registry (``nmrlib.core.realdata``) like everywhere else;
CI cannot reach their original hosts, so the tests name ``../shared/realdata`` as the
offline mirror (``NMRLIB_DATA_MIRROR``, unless already set; every file is still checked
against the registry's sha256 when it is copied into the cache).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def pytest_configure(config) -> None:
    """Name the offline mirror before any test (or nbval's notebook kernels) starts, and
    give SIGINT its default handler when the suite was started with it ignored.

    A job started in the background by a non-interactive shell (``cmd &`` in a script,
    some CI runners) inherits SIGINT ignored, and so would every command a test starts:
    the tests that press Ctrl-C on a job (``test_fuzz``, ``test_faults``) would then see
    it ignored. A handler installed here is reset to the default in every child at exec.
    """
    if (SHARED / "realdata").is_dir() and not os.environ.get("NMRLIB_DATA_MIRROR"):
        os.environ["NMRLIB_DATA_MIRROR"] = str(SHARED / "realdata")
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: reference tables and real data sets (read by tests, never by nmrlib)."""
    if not (SHARED / "realdata").is_dir():
        pytest.fail(f"reference material not found at {SHARED}: clone the repo beside shared/")
    return SHARED


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The cache folder holding every registry set (one sub-folder per name), each fetched
    through ``nmrlib.core.realdata.fetch`` and so checked by sha256."""
    from nmrlib.core import realdata as registry

    for name in registry.names():
        registry.fetch(name)
    return registry.data_dir()


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for a module: on a 2-core box, 2 threads oversubscribe and
    run ~10x slower on small element-wise kernels."""
    from nmrlib.core.repro import torch_threads

    with torch_threads(1):
        yield
