"""Training and evaluation of the eq. (2) classifiers (Yip et al., section IV).

Protocol (the paper's): Adam, learning rate 1e-3, batch 20, 10 epochs, cross-entropy,
the dataset's per-class 70/20/10 train/validation/test split; the epoch with the best
validation accuracy is kept (model selection) and evaluated once on the test split
(accuracy, per-class precision/recall/F1, confusion matrix ``[true, predicted]``).

Reproducibility: a run is a pure function of (configuration, seed, hyper-parameters,
data). The initial weights come from ``seed``; the order of epoch ``e`` from
``rng(seed, e)``. After every epoch the full state (model, optimiser, AMP scaler,
history, best weights) is written atomically to
``<checkpoint_dir>/<name>/seed<k>-<hash>.pt``, where the hash covers the configuration,
settings, data parameters and the code (:func:`code_version`); an interrupted run
resumes from the last finished epoch and gives the same numbers as an uninterrupted one,
a finished one is read back, and other settings or code train afresh under another name
(never mixed).

Devices: CUDA with float16 autocast + GradScaler when available (the Fbank front end
runs in float32), CPU otherwise. One JSON per configuration,
``<results_dir>/classification/<name>.json``, holds every seed's run, the summary over
seeds, parameter counts, timings and the environment report.

Learning-rate schedule: ``lr_schedule="constant"`` is the paper's (Adam at ``lr``
throughout); ``"onecycle"`` (our choice for the short CPU runs of the quick profile) is
torch's ``OneCycleLR`` over all optimiser steps: a linear warm-up over the first 10 % of
the steps from ``lr / 25`` to ``lr``, then a cosine decay to ``lr / 25e4`` (Smith &
Topin, arXiv 1708.07120). It is stepped per batch and checkpointed with the optimiser.

Reduced profiles: ``crop=(n1, n2)`` keeps the first n1 t1 increments and n2 t2 points
of every spectrum, which is exactly the experiment acquired with fewer points at the
same sweep width (coarser resolution); ``max_per_class`` / ``max_val_per_class`` cap
the training / validation samples per class (the first ones in the dataset's own
order); the test split is never reduced.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nmrlib.core.cli import CliParser
from nmrlib.core.distributed import (
    ALONE,
    World,
    average,
    barrier,
    check_batches,
    global_mean,
    local_device,
    process_group,
    share,
    world_from_env,
    wrap,
)
from nmrlib.core.repro import (
    check_finite_loss,
    check_output,
    environment_report,
    load_torch,
    require_int,
    rng,
    save_torch,
    source_fingerprint,
    write_json,
)

TABLE_I_ENCODERS = ("fbank", "conv1d")
LR_SCHEDULES = ("constant", "onecycle")
TABLE_I_EMBEDDINGS = ("xvector", "ecapa_s", "ecapa_l", "deep_picker")
PRETRAINED_MODES = ("none", "frozen", "trainable")


@dataclass(frozen=True)
class Configuration:
    """One classifier configuration of Table I or II."""

    encoder: str
    embedding: str
    pretrained: str = "none"

    @property
    def name(self) -> str:
        base = f"{self.encoder}-{self.embedding}"
        return base if self.pretrained == "none" else f"{base}-pretrained_{self.pretrained}"

    @property
    def table(self) -> str:
        return "I" if self.pretrained == "none" else "II"


CONFIGURATIONS: tuple[Configuration, ...] = (
    *(Configuration(enc, emb) for enc in TABLE_I_ENCODERS for emb in TABLE_I_EMBEDDINGS),
    *(Configuration(enc, "ecapa_l", mode) for enc in TABLE_I_ENCODERS
      for mode in ("frozen", "trainable")),
)


def configuration(name_or_encoder: str, embedding: str | None = None,
                  pretrained: str = "none") -> Configuration:
    """A configuration by name (``"conv1d-ecapa_l"``) or by its three fields (validated)."""
    if embedding is None:
        for config in CONFIGURATIONS:
            if config.name == name_or_encoder:
                return config
        raise ValueError(f"unknown configuration {name_or_encoder!r}; "
                         f"choose one of {[c.name for c in CONFIGURATIONS]}")
    config = Configuration(name_or_encoder, embedding, pretrained)
    from nmrlib.tocsy.models import EMBEDDINGS, ENCODERS

    if config.encoder not in ENCODERS:
        raise ValueError(f"unknown encoder {config.encoder!r}; choose one of {ENCODERS}")
    if config.embedding not in EMBEDDINGS:
        raise ValueError(f"unknown embedding {config.embedding!r}; choose one of {EMBEDDINGS}")
    if pretrained not in PRETRAINED_MODES:
        raise ValueError(f"unknown pretrained mode {pretrained!r}; choose {PRETRAINED_MODES}")
    if pretrained != "none" and embedding != "ecapa_l":
        raise ValueError("pretrained weights exist only for ecapa_l")
    return config


# ---- data ------------------------------------------------------------------------------------

class PreparedSplit:
    """A split of a :class:`TocsyDataset` cropped, stacked and optionally held in memory.

    Items are ``(x, label)`` with x float32 (4, n1 * n2), the paper's stacked channels.
    """

    def __init__(self, dataset, crop: tuple[int, int] | None = None,
                 max_per_class: int | None = None, preload: bool | None = None):
        import torch

        self.dataset = dataset
        n1, n2 = int(dataset.n1), int(dataset.n2)
        self.crop = (n1, n2) if crop is None else (int(crop[0]), int(crop[1]))
        if not (2 <= self.crop[0] <= n1 and 2 <= self.crop[1] <= n2):
            raise ValueError(f"crop {self.crop} must lie within the dataset's ({n1}, {n2})")
        self.indices = self._select(max_per_class)
        self.labels = None
        self._cache = None
        size = len(self.indices) * 4 * self.crop[0] * self.crop[1] * 4
        if preload or (preload is None and size <= 2**31):
            xs, ys = zip(*(self._load(i) for i in self.indices), strict=True) if self.indices \
                else ((), ())
            self._cache = torch.stack(xs) if xs else torch.empty(0, 4, self.length)
            self.labels = np.asarray(ys, dtype=np.int64)

    @property
    def length(self) -> int:
        return self.crop[0] * self.crop[1]

    def _select(self, max_per_class: int | None) -> list[int]:
        if max_per_class is None:
            return list(range(len(self.dataset)))
        labels = getattr(self.dataset, "labels", None)
        if labels is None:
            labels = [int(self.dataset[i][1]) for i in range(len(self.dataset))]
        seen: dict[int, int] = {}
        keep = []
        for index, label in enumerate(np.asarray(labels).tolist()):
            if seen.get(label, 0) < max_per_class:
                seen[label] = seen.get(label, 0) + 1
                keep.append(index)
        return keep

    def _load(self, index: int):
        x, label = self.dataset[index]
        x = x[..., : self.crop[0], : self.crop[1]]
        return x.reshape(x.shape[0], -1).contiguous(), int(label)

    def __len__(self) -> int:
        return len(self.indices)

    def labels_array(self) -> np.ndarray:
        """Labels of all items, in order (read once from the dataset when not preloaded)."""
        if self.labels is None:
            self.labels = np.asarray([int(self.dataset[i][1]) for i in self.indices], np.int64)
        return self.labels

    def __getitem__(self, item: int):
        if self._cache is not None:
            return self._cache[item], int(self.labels[item])
        return self._load(self.indices[item])

    def batches(self, batch_size: int, order=None, workers: int = 0, pin_memory: bool = False,
                world: World = ALONE):
        """Yield (x, y) batches in ``order`` (default: dataset order).

        Preloaded splits are sliced in memory; others are read in this process
        (``workers=0``) or by a torch ``DataLoader`` with ``workers`` processes, in exactly
        the same order. In a parallel ``world`` each batch is this rank's share of the
        global batch (:func:`nmrlib.core.distributed.share`).
        """
        import torch

        order = np.arange(len(self)) if order is None else np.asarray(order)
        chunks = [share(order[start:start + batch_size], world)
                  for start in range(0, len(order), batch_size)]
        if self._cache is not None:
            for chunk in chunks:
                yield self._cache[torch.as_tensor(chunk)], torch.as_tensor(self.labels[chunk])
            return
        if workers == 0:  # numpy collation: a single-threaded copy, immune to OMP contention
            for chunk in chunks:
                items = [self[int(i)] for i in chunk]
                x = torch.from_numpy(np.stack([item[0].numpy() for item in items]))
                yield (x.pin_memory() if pin_memory else x), torch.as_tensor(
                    [item[1] for item in items])
            return
        yield from torch.utils.data.DataLoader(
            self, batch_sampler=[chunk.tolist() for chunk in chunks], num_workers=workers,
            pin_memory=pin_memory, persistent_workers=False)


def load_splits(data_root: str | Path, crop=None, max_per_class: int | None = None,
                max_val_per_class: int | None = None) -> tuple[dict, dict]:
    """The train/val/test :class:`PreparedSplit` of the dataset at ``data_root`` and its params.

    ``max_per_class`` caps the training split and ``max_val_per_class`` the validation
    split (first samples per class); the test split is always complete.
    """
    from nmrlib.tocsy.corpus import TocsyDataset

    root = Path(data_root)
    if not root.exists():
        raise FileNotFoundError(f"dataset not found at {root}: run `python -m nmrlib simulate`")
    splits = {}
    for split in ("train", "val", "test"):
        cap = {"train": max_per_class, "val": max_val_per_class, "test": None}[split]
        splits[split] = PreparedSplit(TocsyDataset(root, split, stacked=False), crop, cap)
    params = dict(getattr(splits["train"].dataset, "params", {}) or {})
    return splits, params


# ---- metrics ---------------------------------------------------------------------------------

def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts ``[true, predicted]``."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    return cm


def classification_metrics(cm: np.ndarray) -> dict:
    """Accuracy, per-class precision/recall/F1 (0 where undefined) and macro F1 from ``cm``."""
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
        recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = cm.sum()
    return {
        "accuracy": float(tp.sum() / total) if total else float("nan"),
        "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
        "macro_f1": float(f1.mean()),
        "support": cm.sum(1).astype(int).tolist(),
    }


def most_confused_pairs(cm: np.ndarray, classes, k: int = 5) -> list[tuple[str, str, int]]:
    """The ``k`` largest symmetric off-diagonal counts as (class a, class b, errors a<->b)."""
    cm = np.asarray(cm)
    sym = cm + cm.T
    pairs = [(int(sym[i, j]), i, j) for i in range(len(cm)) for j in range(i + 1, len(cm))
             if sym[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(classes[i], classes[j], n) for n, i, j in pairs[:k]]


# ---- training --------------------------------------------------------------------------------

CODE_FILES = ("tocsy/models.py", "tocsy/training.py", "tocsy/pretrained.py", "tocsy/audio.py")


def code_version() -> str:
    """sha256 (12 hex) of the sources that define a run: a checkpoint made by other code is
    never resumed (it lives under another name)."""
    return source_fingerprint(CODE_FILES)


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def predict(model, split: PreparedSplit, batch_size: int, device: str, amp: bool,
            workers: int = 0) -> np.ndarray:
    """Predicted labels for every item of ``split`` (model in eval mode, no gradients)."""
    import torch

    model.eval()
    preds = []
    with torch.no_grad():
        for x, _ in split.batches(batch_size, workers=workers,
                                  pin_memory=device.startswith("cuda")):
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.float16,
                                enabled=amp):
                logits = model(x.to(device, non_blocking=True))
            preds.append(logits.argmax(1).cpu().numpy())
    return np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)


def _check_lr_schedule(schedule: str) -> None:
    if schedule not in LR_SCHEDULES:
        raise ValueError(f"unknown lr_schedule {schedule!r}; choose one of {LR_SCHEDULES}")


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


CHECKPOINT_KEYS = ("fingerprint", "model", "optimiser", "scaler", "history", "best", "result")


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
    state = _read_checkpoint(checkpoint, key)
    if state is not None and state["result"] is not None:
        return state["result"]
    seed_everything(seed)
    model = build_classifier(config.encoder, config.embedding, pretrained=pretrained,
                             freeze=config.pretrained == "frozen").to(device)
    optimiser = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    steps_per_epoch = -(-len(splits["train"]) // batch_size)
    scheduler = make_scheduler(optimiser, lr_schedule, lr, epochs * steps_per_epoch)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    history: list[dict] = []
    best = {"epoch": -1, "val_accuracy": -1.0, "state": None}
    if state is not None:
        history, best = _restore(state, checkpoint, model, optimiser, scheduler, scaler)
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
            save_torch({"fingerprint": key, "model": model.state_dict(),
                        "optimiser": optimiser.state_dict(), "scaler": scaler.state_dict(),
                        "scheduler": scheduler.state_dict(), "history": history, "best": best,
                        "result": None, "torch_rng": torch.get_rng_state()}, checkpoint)
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
        save_torch({"fingerprint": key, "model": model.state_dict(), "optimiser": None,
                    "scaler": None, "history": history, "best": {**best, "state": None},
                    "result": result}, checkpoint)
    barrier(world)
    return result


def _read_checkpoint(checkpoint: Path, key: str) -> dict | None:
    """The checkpoint of this run (None when there is none yet); ValueError for a damaged
    one or one made with other settings."""
    if not checkpoint.exists():
        return None
    state = load_torch(checkpoint, "checkpoint", CHECKPOINT_KEYS)
    if state["fingerprint"] != key:
        raise ValueError(f"{checkpoint} was made with other settings; delete it to retrain")
    return state


def _restore(state: dict, checkpoint: Path, model, optimiser, scheduler,
             scaler) -> tuple[list[dict], dict]:
    """Load an interrupted run's state into the objects; its history and best epoch."""
    import torch

    try:
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["torch_rng"])   # dropout etc. continue as if never stopped
        return list(state["history"]), dict(state["best"])
    except (KeyError, RuntimeError, TypeError, ValueError) as err:
        raise ValueError(f"checkpoint {checkpoint} does not fit this run ({type(err).__name__}"
                         f"); delete it to retrain") from err


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


def summarise(runs: list[dict], n_classes: int) -> dict:
    """Mean / sd (ddof 1) / min / max of test accuracy over seeds, mean per-class F1, summed cm."""
    acc = np.array([r["test"]["accuracy"] for r in runs])
    f1 = np.array([r["test"]["f1"] for r in runs])
    cm = np.sum([np.asarray(r["test"]["confusion"]) for r in runs], axis=0)
    return {
        "n_seeds": len(runs), "accuracy_mean": float(acc.mean()),
        "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else None,
        "accuracy_min": float(acc.min()), "accuracy_max": float(acc.max()),
        "f1_mean": f1.mean(0).tolist(), "macro_f1_mean": float(f1.mean()),
        "confusion_sum": cm.tolist(),
        "train_spectra_per_s_mean": float(np.mean(
            [h["train_spectra_per_s"] for r in runs for h in r["history"]])),
    }


def _positive_int(name: str, value, *, minimum: int = 1) -> None:
    require_int(name, value, minimum, types=(int, np.integer))


def check_run_settings(*, seeds, epochs, batch_size, lr, max_per_class=None,
                       max_val_per_class=None, workers=None) -> None:
    """Refuse settings under which no honest training run exists (one-line ValueError).

    At least one epoch and one sample per batch, a finite positive learning rate, one or
    more non-negative integer seeds, and positive caps: ``epochs=0`` would "test" an
    untrained model and call it a result.
    """
    _positive_int("epochs", epochs)
    _positive_int("batch_size", batch_size)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < float("inf"):
        raise ValueError(f"the learning rate must be a finite number > 0, got {lr!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("give at least one seed")
    for seed in seeds:
        _positive_int("a seed", seed, minimum=0)
    for name, cap in (("max_per_class", max_per_class), ("max_val_per_class", max_val_per_class)):
        if cap is not None:
            _positive_int(name, cap)
    if workers is not None:
        _positive_int("workers", workers, minimum=0)


def result_path(results_dir: str | Path, name: str) -> Path:
    return Path(results_dir) / "classification" / f"{name}.json"


def run_configuration(config: Configuration | str, data_root: str | Path, *,
                      seeds=(0,), epochs: int = 10, batch_size: int = 20, lr: float = 1e-3,
                      device: str = "cpu", amp: bool | None = None, crop=None,
                      max_per_class: int | None = None, max_val_per_class: int | None = None,
                      pretrained_source: str | None = None, results_dir="results/quick",
                      checkpoint_dir="build/quick/checkpoints", progress: bool = True,
                      workers: int | None = None, lr_schedule: str = "constant") -> dict:
    """Train ``config`` per seed, evaluate, write ``<results_dir>/classification/<name>.json``.

    A pretrained configuration whose weights cannot be had is recorded with
    ``status = "not run: <reason>"`` (never replaced by other weights).
    """
    import torch

    from nmrlib.tocsy.residues import RESIDUES

    config = configuration(config) if isinstance(config, str) else config
    check_run_settings(seeds=seeds, epochs=epochs, batch_size=batch_size, lr=lr,
                       max_per_class=max_per_class, max_val_per_class=max_val_per_class,
                       workers=workers)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device")
    amp = device.startswith("cuda") if amp is None else bool(amp)
    if workers is None:  # reader processes for splits too large to preload (GPU runs)
        workers = min(8, os.cpu_count() or 1) if device.startswith("cuda") else 0
    _check_lr_schedule(lr_schedule)      # before any data is read
    settings = {"epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr),
                "lr_schedule": lr_schedule,
                "crop": list(crop) if crop else None, "max_per_class": max_per_class,
                "max_val_per_class": max_val_per_class, "optimiser": "Adam",
                "loss": "cross-entropy", "amp": amp, "device": device}
    payload = {"name": config.name, "table": config.table, "configuration": asdict(config),
               "settings": settings, "seeds": [int(s) for s in seeds], "classes": list(RESIDUES)}
    out = result_path(results_dir, config.name)
    out.parent.mkdir(parents=True, exist_ok=True)   # a bad results path fails before training
    check_output(out, overwrite=True)

    pretrained = None
    if config.pretrained != "none":
        from nmrlib.tocsy.pretrained import PretrainedUnavailable, load_pretrained_ecapa

        try:
            pretrained = load_pretrained_ecapa(pretrained_source)
        except PretrainedUnavailable as err:
            payload.update(status=f"not run: {err}", environment=environment_report())
            if world_from_env().is_main:
                write_json(out, payload)
            return payload
        payload["pretrained_source"] = f"{pretrained.origin}: {pretrained.source}"
        payload["pretrained"] = pretrained.record()   # model, revision, origin, file sha256

    start = time.perf_counter()
    splits, data_params = load_splits(data_root, crop, max_per_class, max_val_per_class)
    load_s = time.perf_counter() - start
    fingerprint = {"config": asdict(config), "settings": settings, "data": data_params,
                   "data_root": str(Path(data_root).resolve()),
                   "pretrained": getattr(pretrained, "identity", None), "code": code_version()}
    runs = []
    with process_group(device) as world:    # torchrun: data-parallel, rank 0 writes
        for seed in seeds:
            tag = _fingerprint({**fingerprint, "seed": int(seed)})[:12]
            checkpoint = Path(checkpoint_dir) / config.name / f"seed{int(seed)}-{tag}.pt"
            runs.append(train_one_seed(
                config, splits, seed=int(seed), epochs=epochs, batch_size=batch_size, lr=lr,
                device=local_device(device, world), amp=amp, checkpoint=checkpoint,
                fingerprint=fingerprint, pretrained=pretrained, progress=progress,
                workers=workers, lr_schedule=lr_schedule, world=world))
    payload.update(
        status="ok", code_version=fingerprint["code"], processes=world.size,
        data={"root": str(data_root), "params": data_params,
                           **{f"n_{k}": len(v) for k, v in splits.items()},
                           "length": splits["train"].length},
        parameters=runs[0]["parameters"], runs=runs,
        summary=summarise(runs, len(RESIDUES)),
        timings={"data_load_s": load_s,
                 "train_s": sum(r["timings"]["train_s"] for r in runs)},
        environment=environment_report())
    if world.is_main:
        write_json(out, payload)
    return payload


def learning_curve(config: Configuration | str, data_root: str | Path, sizes, *, steps: int,
                   batch_size: int, results_dir: str | Path, checkpoint_dir: str | Path,
                   seeds=(0,), **kwargs) -> list[dict]:
    """Test accuracy of ``config`` against training spectra per class, at a fixed step budget.

    For every ``n`` in ``sizes`` the first ``n`` training spectra per class are used for
    ``ceil(steps / ceil(20 n / batch_size))`` epochs (at least ``steps`` optimiser steps),
    so that only the amount of data changes along the curve; validation, test split and
    every other setting (``kwargs`` of :func:`run_configuration`) are the same. Runs go to
    ``<results_dir>/learning_curve/n<k>/classification/<name>.json``. Returns one row per
    size: ``n_per_class``, ``epochs``, ``steps``, ``accuracy_mean``, ``accuracy_sd``.
    """
    from nmrlib.tocsy.residues import RESIDUES

    config = configuration(config) if isinstance(config, str) else config
    sizes = [int(n) for n in sizes]
    if min(sizes, default=0) < 1 or steps < 1 or batch_size < 1:
        raise ValueError(f"learning curve needs sizes, steps and batch_size >= 1; got "
                         f"sizes {sizes}, steps {steps}, batch_size {batch_size}")
    rows = []
    for n in sizes:
        per_epoch = -(-len(RESIDUES) * n // batch_size)
        epochs = -(-steps // per_epoch)
        out = run_configuration(
            config, data_root, seeds=seeds, epochs=epochs, batch_size=batch_size,
            max_per_class=n, results_dir=Path(results_dir) / "learning_curve" / f"n{n:03d}",
            checkpoint_dir=Path(checkpoint_dir) / "learning_curve" / f"n{n:03d}", **kwargs)
        if out["data"]["n_train"] != len(RESIDUES) * n:
            raise ValueError(f"the data set has fewer than {n} training spectra per class "
                             f"({out['data']['n_train']} in all)")
        s = out["summary"]
        rows.append({"n_per_class": n, "epochs": epochs, "steps": epochs * per_epoch,
                     "accuracy_mean": s["accuracy_mean"], "accuracy_sd": s["accuracy_sd"],
                     "runs": [r["test"]["accuracy"] for r in out["runs"]]})
    return rows


# ---- command line ----------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib train",
                       description="Train one classifier configuration")
    parser.add_argument("name", nargs="?", help="configuration name (see --list)")
    parser.add_argument("--list", action="store_true", help="print the 12 configuration names")
    parser.add_argument("--params", action="store_true",
                        help="with --list: also print encoder, embedding, pretrained")
    parser.add_argument("--data", type=Path, default=Path("data/quick/tocsy"))
    parser.add_argument("--results", type=Path, default=Path("results/quick"))
    parser.add_argument("--checkpoints", type=Path, default=Path("build/quick/checkpoints"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", choices=LR_SCHEDULES, default="constant",
                        help="constant (the paper's) or onecycle (warm-up + cosine decay)")
    parser.add_argument("--device", default="cuda" if _cuda() else "cpu")
    parser.add_argument("--crop", type=int, nargs=2, metavar=("N1", "N2"))
    parser.add_argument("--max-per-class", type=int)
    parser.add_argument("--max-val-per-class", type=int)
    parser.add_argument("--workers", type=int, help="DataLoader processes (default: 8 on CUDA)")
    parser.add_argument("--keep-going", action="store_true",
                        help="exit 0 when the configuration cannot run (its JSON says "
                             "'not run: reason'); default: exit 2")
    parser.add_argument("--pretrained-source",
                        help="folder of speechbrain/spkrec-ecapa-voxceleb (default: the "
                             "verified chain of `python -m nmrlib pretrained fetch`)")
    args = parser.parse_args(argv[1:])
    if args.list:
        for config in CONFIGURATIONS:
            extra = f" {config.encoder} {config.embedding} {config.pretrained}" \
                if args.params else ""
            print(config.name + extra)
        return 0
    if not args.name:
        parser.error("give a configuration name or --list")
    out = run_configuration(
        args.name, args.data, seeds=args.seeds, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, device=args.device, crop=args.crop,
        max_per_class=args.max_per_class, max_val_per_class=args.max_val_per_class,
        pretrained_source=args.pretrained_source, results_dir=args.results,
        checkpoint_dir=args.checkpoints, workers=args.workers, lr_schedule=args.lr_schedule)
    if out["status"] != "ok":
        where = result_path(args.results, out["name"])
        if not args.keep_going:   # scripts must see that nothing was trained
            raise ValueError(f"{out['name']}: {out['status']} (recorded in {where}; "
                             "--keep-going exits 0)")
        print(f"{out['name']}: {out['status']} (recorded in {where})")
        return 0
    s = out["summary"]
    print(f"{out['name']}: test accuracy {s['accuracy_mean']:.3f} over {s['n_seeds']} seed(s)")
    return 0


def _cuda() -> bool:
    from nmrlib.core.repro import cuda_available

    return cuda_available()
