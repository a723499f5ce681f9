"""Checkpoints of every trainer: one format, written atomically, read back checked.

A checkpoint is a dict of tensors and plain data (read with ``weights_only=True``, see
:func:`nmrlib.core.repro.load_torch`):

* ``key`` -- what identifies the run (its settings, data and code); a checkpoint with
  another key is refused, never resumed or silently overwritten;
* ``model``, ``optimizer``, ``scheduler``, ``scaler`` -- ``state_dict()`` of each object
  the run has (``None`` for those it has not);
* ``state`` -- the trainer's own progress (step or epoch, history, timings, ...).

>>> import tempfile, torch
>>> from pathlib import Path
>>> net = torch.nn.Linear(2, 1)
>>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
>>> path = Path(tempfile.mkdtemp()) / "checkpoint.pt"
>>> _ = save_checkpoint(path, {"lr": 0.1}, model=net, optimizer=opt, step=3)
>>> restore_checkpoint(read_checkpoint(path, {"lr": 0.1}), path, model=net, optimizer=opt)
{'step': 3}
"""

from __future__ import annotations

from pathlib import Path

from nmrlib.core.repro import check_output, load_torch, save_torch

CHECKPOINT_KEYS = ("key", "model", "optimizer", "scheduler", "scaler", "state")
_OBJECTS = ("optimizer", "scheduler", "scaler")


def save_checkpoint(path: str | Path, key, *, model, optimizer=None, scheduler=None,
                    scaler=None, **state) -> Path:
    """Write the run's objects and ``state`` to ``path`` atomically; returns the path."""
    objects = {"optimizer": optimizer, "scheduler": scheduler, "scaler": scaler}
    return save_torch({"key": key, "model": model.state_dict(),
                       **{name: None if obj is None else obj.state_dict()
                          for name, obj in objects.items()},
                       "state": state}, path)


def read_checkpoint(path: str | Path, key, *, map_location: str = "cpu") -> dict | None:
    """The checkpoint at ``path`` (None when there is none yet); ValueError for a damaged
    file or one written with another ``key``."""
    path = Path(path)
    if not path.exists():
        return None
    ckpt = load_torch(path, "checkpoint", CHECKPOINT_KEYS, map_location=map_location)
    if ckpt["key"] != key:
        raise ValueError(f"{path} was written with other settings; delete it or use another "
                         "folder to retrain")
    return ckpt


def restore_checkpoint(ckpt: dict, path: str | Path, *, model, optimizer=None, scheduler=None,
                       scaler=None) -> dict:
    """Load ``ckpt`` into the given objects and return its ``state``; ValueError (naming
    ``path``) when it does not fit them."""
    objects = {"optimizer": optimizer, "scheduler": scheduler, "scaler": scaler}
    try:
        model.load_state_dict(ckpt["model"])
        for name, obj in objects.items():
            if obj is not None:
                obj.load_state_dict(ckpt[name])
        return dict(ckpt["state"])
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"checkpoint {path} does not fit this model ({type(err).__name__}); "
                         "delete it to retrain") from err


def check_run_outputs(weights: str | Path | None, snapshot_every: int | None) -> None:
    """Check a trainer's outputs before any training: ``snapshot_every`` a positive number
    of steps (or None), and the ``weights`` export path writable (its folder is created),
    so a bad path fails now rather than after the run."""
    if snapshot_every is not None and snapshot_every < 1:
        raise ValueError(f"snapshot_every must be a positive number of steps, "
                         f"not {snapshot_every}")
    if weights is not None:
        Path(weights).parent.mkdir(parents=True, exist_ok=True)
        check_output(weights, overwrite=True)
