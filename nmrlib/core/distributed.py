"""Data-parallel training with PyTorch's own stack (``torchrun`` + DDP), for every trainer.

``torchrun --nproc_per_node N -m nmrlib train NAME ...`` (or ``train-dlnmr``) starts N
processes; torchrun sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``, and
:func:`process_group` joins them: NCCL on GPUs (rank r on ``cuda:LOCAL_RANK``), Gloo on
CPUs. Without those variables everything runs as one process, unchanged.

What stays as in one process (the contract the trainers keep):

* the global batch: every rank walks the same global batch order (the same seeded
  permutations) and takes its share ``batch[rank::world]`` (:func:`share`);
* the loss: each rank's summed per-item loss is scaled by ``world / n_global`` (its share of
  the global mean, :func:`global_mean`), and DDP averages gradients over ranks, so the
  gradient is the one-process gradient of the global batch, whatever the split; hence the
  learning-rate schedule (stepped per global batch) is unchanged;
* batch normalisation: statistics over the global batch (torch's ``SyncBatchNorm`` on GPUs,
  :mod:`nmrlib.core.sync_batchnorm` on CPUs, where torch has none);
* files: only rank 0 writes checkpoints, weights and results (:attr:`World.is_main`);
  every rank resumes from rank 0's checkpoint, so a run whose ranks were killed resumes
  with ``torchrun`` and the same arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class World:
    """This process's place among the data-parallel processes (``size`` 1: alone)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process writes files (rank 0)."""
        return self.rank == 0

    @property
    def parallel(self) -> bool:
        return self.size > 1


ALONE = World()   # one process: the default of every trainer


def world_from_env() -> World:
    """The world torchrun describes in ``RANK`` / ``WORLD_SIZE`` / ``LOCAL_RANK`` (ValueError
    for inconsistent values); one process when they are not set."""
    if "WORLD_SIZE" not in os.environ:
        return ALONE
    try:
        world = World(int(os.environ.get("RANK", "0")), int(os.environ["WORLD_SIZE"]),
                      int(os.environ.get("LOCAL_RANK", "0")))
    except ValueError as err:
        raise ValueError(f"RANK / WORLD_SIZE / LOCAL_RANK must be integers ({err})") from err
    if world.size < 1 or not 0 <= world.rank < world.size or world.local_rank < 0:
        raise ValueError(f"inconsistent torchrun environment: rank {world.rank} of "
                         f"{world.size}, local rank {world.local_rank}")
    return world


@contextmanager
def process_group(device: str) -> Iterator[World]:
    """Join the torchrun process group for the block (NCCL on CUDA, else Gloo)."""
    world = world_from_env()
    if not world.parallel:
        yield world
        return
    import torch.distributed as dist

    created = not dist.is_initialized()
    if created:
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    try:
        yield world
    finally:
        if created:
            dist.destroy_process_group()


def local_device(device: str, world: World) -> str:
    """``cuda:LOCAL_RANK`` for a parallel CUDA run, else ``device`` unchanged."""
    if world.parallel and device.startswith("cuda"):
        return f"cuda:{world.local_rank}"
    return device


def wrap(model, world: World, device: str):
    """``model`` inside DistributedDataParallel, its batch norms computing global-batch
    statistics (torch's SyncBatchNorm on CUDA, :mod:`nmrlib.core.sync_batchnorm` on CPU,
    converted in place: the parameters and buffers stay the same objects); itself when alone."""
    if not world.parallel:
        return model
    import torch

    if device.startswith("cuda"):
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=[world.local_rank])
    from nmrlib.core.sync_batchnorm import globalise

    return torch.nn.parallel.DistributedDataParallel(globalise(model))



def share(batch, world: World):
    """This rank's share of a global batch (a sequence or array of indices, or a tensor)."""
    return batch[world.rank::world.size] if world.parallel else batch


def check_batches(n_items: int, batch_size: int, world: World) -> None:
    """Every global batch must give every rank at least one item (ValueError otherwise)."""
    if not world.parallel:
        return
    last = n_items % batch_size or batch_size
    if min(batch_size, last) < world.size:
        raise ValueError(f"with {world.size} processes every global batch needs at least "
                         f"{world.size} items; batch {batch_size} over {n_items} items leaves "
                         f"a last batch of {last}: change --batch-size or the process count")


def global_mean(loss_sum, n_global: int, world: World):
    """This rank's part of the global-batch mean: ``loss_sum * world / n_global`` (DDP then
    averages over ranks, which gives ``sum over all items / n_global``)."""
    return loss_sum * (world.size / n_global)


def barrier(world: World) -> None:
    """Wait for every rank (after rank 0 wrote a checkpoint, say)."""
    if world.parallel:
        import torch.distributed as dist

        dist.barrier()


def average(value, world: World) -> float:
    """The mean over ranks of a scalar tensor, as a float (the value itself when alone)."""
    if world.parallel:
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        value = value / world.size
    return float(value)
