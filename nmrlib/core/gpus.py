"""One run per GPU on a multi-GPU node: which GPUs there are, and a slot for each run.

``make reproduce`` on a node with several visible GPUs runs that many notebooks side by
side (``JOBS`` overrides it) and sets ``NMRLIB_GPU_SLOTS=1``; each notebook run then takes
the first free GPU with :func:`gpu_slot` (an exclusive ``flock`` on
``build/gpu-locks/gpu<id>.lock``, released when the run ends, even by a crash) and runs with
``CUDA_VISIBLE_DEVICES`` set to that one GPU. With more jobs than GPUs a run waits for a
free one. The GPUs are those in ``CUDA_VISIBLE_DEVICES`` when it is set (so a user can
hand the project part of a node), else every device torch sees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_S = 1.0


def visible_gpus() -> list[str]:
    """GPU ids a run may use: ``CUDA_VISIBLE_DEVICES`` entries, else torch's device indices.

    >>> os.environ["CUDA_VISIBLE_DEVICES"] = "2, 3"; visible_gpus()
    ['2', '3']
    >>> os.environ["CUDA_VISIBLE_DEVICES"] = ""; visible_gpus()
    []
    >>> del os.environ["CUDA_VISIBLE_DEVICES"]
    """
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [gpu.strip() for gpu in listed.split(",") if gpu.strip() and gpu.strip() != "-1"]
    try:
        import torch
    except ImportError:
        return []
    return [str(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() \
        else []


@contextmanager
def gpu_slot(lock_dir: str | Path, gpus: list[str] | None = None) -> Iterator[str | None]:
    """Hold one GPU of ``gpus`` (default :func:`visible_gpus`) for the block, with
    ``CUDA_VISIBLE_DEVICES`` set to it; None (and nothing changed) with fewer than two."""
    import fcntl

    gpus = visible_gpus() if gpus is None else gpus
    if len(gpus) < 2:
        yield None
        return
    folder = Path(lock_dir)
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        for gpu in gpus:
            handle = open(folder / f"gpu{gpu}.lock", "a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                with _only(gpu):
                    yield gpu
            finally:
                handle.close()        # releases the lock
            return
        time.sleep(POLL_S)


@contextmanager
def _only(gpu: str) -> Iterator[None]:
    """``CUDA_VISIBLE_DEVICES=gpu`` for the block, then as it was."""
    before = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = before


def main(argv: list[str]) -> int:
    """``python -m nmrlib gpus``: the number of GPUs a run may use (``--list``: their ids)."""
    from nmrlib.core.cli import CliParser

    parser = CliParser(prog="python -m nmrlib gpus",
                       description="print how many GPUs a run may use")
    parser.add_argument("--list", action="store_true", help="print their ids instead")
    args = parser.parse_args(argv[1:])
    gpus = visible_gpus()
    print(",".join(gpus) if args.list else len(gpus))
    return 0
