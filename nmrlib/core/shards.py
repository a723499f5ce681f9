"""Splitting a job into N disjoint, deterministic shards (a scheduler's job array).

Work item ``j`` (a flat index over the job's items, in a fixed order) belongs to shard
``j % N``; shards are numbered ``0 .. N-1`` and written ``I/N`` on the command line, as a
Slurm array gives them (``#SBATCH --array=0-7`` and ``--shard $SLURM_ARRAY_TASK_ID/8``).
Interleaving spreads items of every cost over all shards.

>>> parse_shard("2/3")
(2, 3)
>>> [owner(j, 3) for j in range(7)]
[0, 1, 2, 0, 1, 2, 0]
>>> shard_name(2, 3)
'2/3'
"""

from __future__ import annotations

import re


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` as ``(I, N)`` with ``0 <= I < N`` (ValueError naming the problem)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise ValueError(f"--shard takes I/N (for example 0/4), got {text!r}")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"--shard {text}: need N >= 1 and 0 <= I < N (shards are numbered "
                         "from 0)")
    return index, count


def owner(item: int, count: int) -> int:
    """The shard (0-based) that owns work item ``item`` when the job is split ``count`` ways."""
    return item % count


def shard_name(index: int, count: int) -> str:
    """How a shard is named to the user: ``I/N``."""
    return f"{index}/{count}"
