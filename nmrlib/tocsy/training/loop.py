"""One seed of one configuration: the resumable training loop (Adam, optional OneCycle),
model selection on validation accuracy, checkpoints keyed by settings, data and code.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from nmrlib.core.checkpoints import read_checkpoint, restore_checkpoint, save_checkpoint
from nmrlib.core.distributed import (
    ALONE,
    World,
    average,
    barrier,
    check_batches,
    global_mean,
    wrap,
)
from nmrlib.core.repro import check_finite_loss, rng, source_fingerprint
from nmrlib.tocsy.training.configs import Configuration, _check_lr_schedule
from nmrlib.tocsy.training.scores import classification_metrics, confusion_matrix, predict
from nmrlib.tocsy.training.splits import PreparedSplit

CODE_FILES = ("core/checkpoints.py", "tocsy/models.py", "tocsy/pretrained.py", "tocsy/audio.py",
              *(f"tocsy/training/{name}.py" for name in ("configs", "splits", "scores", "loop",
                                                         "run")))


def code_version() -> str:
    """sha256 (12 hex) of the sources that define a run: a checkpoint made by other code is
    never resumed (it lives under another name)."""
    return source_fingerprint(CODE_FILES)


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def make_scheduler(optimiser, schedule: str, lr: float, total_steps: int):
    """The per-step learning-rate scheduler of ``schedule`` (module docstring)."""
    import torch

    _check_lr_schedule(schedule)
    if schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1.0)
    if schedule == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=lr, total_steps=max(1, total_steps), pct_start=0.1,
            anneal_strategy="cos", cycle_momentum=False)


def train_one_seed(config: Configuration, splits: dict, *, seed: int, epochs: int,
                   batch_size: int, lr: float, device: str, amp: bool, checkpoint: Path,
                   fingerprint: dict, pretrained=None, progress: bool = True,
                   workers: int = 0, lr_schedule: str = "constant",
                   world: World = ALONE) -> dict:
    """Train ``config`` with ``seed`` (resuming from ``checkpoint``); return the run record.

    With a parallel ``world`` (torchrun, :mod:`nmrlib.core.distributed`) every process trains its
    share of each global batch and only rank 0 writes the checkpoint.
    """
    import torch

    from nmrlib.core.repro import seed_everything
    from nmrlib.tocsy.models import build_classifier, parameter_counts

    key = _fingerprint({**fingerprint, "seed": seed})
    ckpt = read_checkpoint(checkpoint, key)
    if ckpt is not None and ckpt["state"]["result"] is not None:
        return ckpt["state"]["result"]
    seed_everything(seed)
    model = build_classifier(config.encoder, config.embedding, pretrained=pretrained,
                             freeze=config.pretrained == "frozen").to(device)
    optimiser = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    steps_per_epoch = -(-len(splits["train"]) // batch_size)
    scheduler = make_scheduler(optimiser, lr_schedule, lr, epochs * steps_per_epoch)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    history: list[dict] = []
    best = {"epoch": -1, "val_accuracy": -1.0, "state": None}
    if ckpt is not None:
        state = restore_checkpoint(ckpt, checkpoint, model=model, optimizer=optimiser,
                                   scheduler=scheduler, scaler=scaler)
        history, best = list(state["history"]), dict(state["best"])
        torch.set_rng_state(state["torch_rng"])   # dropout etc. continue as if never stopped
    check_batches(len(splits["train"]), batch_size, world)
    net = wrap(model, world, device)
    train, val, test = splits["train"], splits["val"], splits["test"]
    for epoch in range(len(history), epochs):
        start = time.perf_counter()
        loss, seen = _train_epoch(net, train, optimiser, scheduler, scaler, seed=seed,
                                  epoch=epoch, batch_size=batch_size, device=device, amp=amp,
                                  workers=workers, world=world, progress=progress,
                                  label=f"{config.name} seed {seed} epoch {epoch + 1}/{epochs}")
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        val_pred = predict(model, val, batch_size, device, amp, workers)
        val_acc = float(np.mean(val_pred == val.labels_array())) if len(val) else float("nan")
        history.append({"epoch": epoch + 1, "train_loss": loss, "val_accuracy": val_acc,
                        "train_s": train_s, "val_s": time.perf_counter() - start,
                        "train_spectra_per_s": seen / train_s if train_s else None})
        if val_acc > best["val_accuracy"]:
            best = {"epoch": epoch + 1, "val_accuracy": val_acc,
                    "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
        if world.is_main:
            save_checkpoint(checkpoint, key, model=model, optimizer=optimiser,
                            scheduler=scheduler, scaler=scaler, history=history, best=best,
                            result=None, torch_rng=torch.get_rng_state())
        barrier(world)

    if best["state"] is not None:
        model.load_state_dict(best["state"])
    start = time.perf_counter()
    test_pred = predict(model, test, batch_size, device, amp, workers)
    test_s = time.perf_counter() - start
    cm = confusion_matrix(test.labels_array(), test_pred, model.head.out_features)
    result = {
        "seed": seed, "best_epoch": best["epoch"], "val_accuracy": best["val_accuracy"],
        "test": {**classification_metrics(cm), "confusion": cm.tolist()},
        "history": history,
        "timings": {"train_s": sum(h["train_s"] for h in history),
                    "val_s": sum(h["val_s"] for h in history), "test_s": test_s,
                    "test_spectra_per_s": len(test) / test_s if test_s else None},
        "parameters": parameter_counts(model),
    }
    if world.is_main:
        save_checkpoint(checkpoint, key, model=model, history=history,
                        best={**best, "state": None}, result=result)
    barrier(world)
    return result


def _train_epoch(net, train: PreparedSplit, optimiser, scheduler, scaler, *, seed: int,
                 epoch: int, batch_size: int, device: str, amp: bool, workers: int,
                 world: World, progress: bool, label: str) -> tuple[float, int]:
    """One epoch in the order ``rng(seed, epoch)``; (mean training loss, spectra seen).

    Alone, the loss is the batch mean; in a parallel world each rank's summed loss is
    scaled to its part of the global-batch mean (:func:`nmrlib.core.distributed.global_mean`),
    and the reported loss is averaged over ranks, so both equal the one-process values.
    """
    import torch
    from tqdm.auto import tqdm

    order = rng(seed, epoch).permutation(len(train))
    net.train()
    mean_loss = torch.nn.CrossEntropyLoss()
    sum_loss = torch.nn.CrossEntropyLoss(reduction="sum")
    total_loss, seen = 0.0, 0
    bar = tqdm(train.batches(batch_size, order, workers, pin_memory=amp, world=world),
               total=-(-len(train) // batch_size), desc=label,
               disable=not progress or not world.is_main, leave=False)
    for step, (x, y) in enumerate(bar):
        n_global = min(batch_size, len(train) - step * batch_size)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        optimiser.zero_grad(set_to_none=True)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.float16,
                            enabled=amp):
            logits = net(x)
            loss = (global_mean(sum_loss(logits, y), n_global, world) if world.parallel
                    else mean_loss(logits, y))
        scaler.scale(loss).backward()
        scaler.step(optimiser)
        scaler.update()
        scheduler.step()
        value = average(loss.detach(), world)
        check_finite_loss(value, label)
        total_loss += value * n_global
        seen += n_global
        bar.set_postfix(loss=f"{total_loss / seen:.3f}")
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return total_loss / max(seen, 1), seen
