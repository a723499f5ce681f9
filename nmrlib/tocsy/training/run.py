"""Every seed of a configuration and the learning curve, their results JSON, and the
``python -m nmrlib train`` command.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from pathlib import Path

from nmrlib.core.cli import CliParser
from nmrlib.core.distributed import local_device, process_group, world_from_env
from nmrlib.core.repro import check_output, environment_report, write_json
from nmrlib.tocsy.training.configs import (
    CONFIGURATIONS,
    LR_SCHEDULES,
    Configuration,
    _check_lr_schedule,
    check_run_settings,
    configuration,
)
from nmrlib.tocsy.training.loop import _fingerprint, code_version, train_one_seed
from nmrlib.tocsy.training.scores import summarise
from nmrlib.tocsy.training.splits import load_splits


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
