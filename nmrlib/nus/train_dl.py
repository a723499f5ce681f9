"""Training DLNMR on synthetic FIDs only (Qu et al. 2020, Supplement S1.1).

Loss (eq. S1-6, stage weights a choice): the mean over the cascade's stages of the mean
squared error between each stage's data-consistent spectrum and the fully sampled
spectrum (real and imaginary parts), i.e. equal weights 1/T for the T stages, so early
stages are pushed towards the answer too (deep supervision).

Optimiser: Adam (lr 1e-3, betas 0.9/0.999) with a cosine decay to 1 % of the initial
rate over the run; batch 64; weights initialised from
``torch.manual_seed(seed)``; the batch order of epoch e is
``nmrlib.core.repro.rng(seed, 1000, e).permutation``. The paper does not give epochs, batch
size or learning rate: these are choices. The profiles differ in data length and size,
epochs, batch and stage count:

* ``smoke``: 64-point FIDs, 256 pairs, 1 epoch, 2 stages (seconds; tests);
* ``quick``: 256-point FIDs, 40,000 pairs, 8 epochs, batch 64, 5 stages (the committed
  CPU weights ``nmrlib/data/dlnmr_5stage.pt``; 5,000 steps, about 50 min on 2 cores);
* ``paper``: 256-point FIDs, 40,000 pairs, 100 epochs, 5 stages (GPU).

A checkpoint (model, optimiser, scheduler, step, history) is written atomically to
``out_dir/checkpoint.pt`` every ``checkpoint_every`` steps and at every epoch end; a run
started with the same ``out_dir`` resumes from it. ``time_limit_min`` stops a run cleanly
(checkpoint written) so a CPU budget is respected; the sidecar says so. With
``snapshot_every`` the weights are also exported (with sidecar) every that many steps to
``out_dir/snapshots/step_<step>.pt``, for R² against training length
(``bench/bench_dl_real.py --weights s1000=.../step_001000.pt ...``).

Measured (R² against training length and synthetic-data choice, ``bench/bench_dl_real.py
--schedules 10`` on snapshots of quick-profile runs, one thread): on the real sets the peak
R² is flat from 1,250 to 10,000 steps (MALT1 at 15 %: 0.783 / 0.773 / 0.774 after
1,250 / 5,000 / 10,000 steps of a 16-epoch run, IST 0.920; 13C-15N 0.742 / 0.714 / 0.714,
IST 0.843) although the synthetic validation error still falls (rel L2 0.172 at 8 epochs,
0.162 at 16); 1-20 lines per FID (MALT1 0.799, 13C-15N 0.733) or log-uniform decay times
10-1024 (0.761, 0.734) instead of Table S1-1 do not close the gap either. The committed
weights stay as trained.

CLI: ``python -m nmrlib train-dlnmr --profile quick --out-dir build/dlnmr_quick
--weights nmrlib/data/dlnmr_5stage.pt``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from nmrlib.core.checkpoints import (
    check_run_outputs,
    read_checkpoint,
    restore_checkpoint,
    save_checkpoint,
)
from nmrlib.core.cli import CliParser
from nmrlib.core.distributed import (
    World,
    average,
    barrier,
    check_batches,
    global_mean,
    local_device,
    process_group,
    share,
    wrap,
)
from nmrlib.core.repro import (
    check_finite_loss,
    environment_report,
    git_commit,
    require_int,
    rng,
    write_json,
)
from nmrlib.nus.dlnmr import DLNMR, DLNMRConfig, load_weights, save_weights
from nmrlib.nus.synthetic import SignalRanges, SyntheticNUS


@dataclass(frozen=True)
class TrainSettings:
    """Everything that defines a training run (stored in checkpoints and sidecars)."""

    n: int = 256
    size: int = 40_000
    epochs: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    lr_final_fraction: float = 0.01
    n_stages: int = 5
    kernel_size: int = 3
    density: tuple[float, float] = (0.08, 0.35)
    seed: int = 0
    val_size: int = 256
    checkpoint_every: int = 100
    tau: tuple[float, float] = (10.0, 179.2)    # decay times, dwell units at 256 points
    tau_log_uniform: bool = False
    peaks: tuple[int, int] = (1, 10)            # lines per FID (Table S1-1: 1-10)
    extend: int = 1                             # train on n acquired of extend * n points
    init: str | None = None                     # start from these weights (fine-tuning)

    def __post_init__(self) -> None:
        """Refuse settings that cannot train (one-line ValueError naming the setting)."""
        for name in ("n", "size", "epochs", "batch_size", "n_stages", "val_size",
                     "checkpoint_every", "extend"):
            require_int(name, getattr(self, name))
        if self.n < 8:
            raise ValueError(f"n must be at least 8 complex points, got {self.n}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a finite number > 0, got {self.lr}")
        if not 0 <= self.lr_final_fraction <= 1:
            raise ValueError(f"lr_final_fraction must lie in [0, 1], got "
                             f"{self.lr_final_fraction}")
        require_int("seed", self.seed, 0)
        SyntheticNUS(n=self.n, size=1, density=self.density, ranges=self.ranges(),
                     extend=self.extend)   # checks the data settings

    def ranges(self) -> SignalRanges:
        """The synthetic signal ranges of this run (Table S1-1 unless ``tau`` or ``peaks``
        is changed)."""
        return SignalRanges(peaks=tuple(self.peaks), tau=tuple(self.tau),
                            tau_log_uniform=self.tau_log_uniform)


PROFILES = {
    "smoke": TrainSettings(n=64, size=256, epochs=1, batch_size=32, n_stages=2, val_size=64,
                           checkpoint_every=4),
    "quick": TrainSettings(epochs=8, checkpoint_every=250),
    "paper": TrainSettings(epochs=100, checkpoint_every=500),
}


def _tensors(data: SyntheticNUS, indices, device) -> tuple[torch.Tensor, ...]:
    y, mask, full = data.batch(indices)
    y = torch.from_numpy(y).to(device, torch.complex64)
    target = torch.fft.fft(torch.from_numpy(full).to(device, torch.complex64))
    return y, torch.from_numpy(mask).to(device), target


def stage_loss(outputs: list[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    """Eq. S1-6: mean over stages of the spectrum MSE (real and imaginary parts)."""
    return sum(torch.mean(torch.abs(o - target) ** 2) for o in outputs) / len(outputs)


@torch.no_grad()
def evaluate(model: DLNMR, data: SyntheticNUS, device, batch_size: int = 128) -> dict:
    """Validation loss, relative L2 spectrum error of the final stage and of zero filling."""
    was_training = model.training
    model.eval()
    losses, rel, rel_zf = [], [], []
    for start in range(0, len(data), batch_size):
        idx = range(start, min(start + batch_size, len(data)))
        y, mask, target = _tensors(data, idx, device)
        outs = model(y, mask, all_stages=True)
        losses.append(float(stage_loss(outs, target)) * len(idx))
        err = torch.linalg.vector_norm(outs[-1] - target, dim=-1)
        norm = torch.linalg.vector_norm(target, dim=-1)
        rel.append((err / norm).cpu().numpy())
        zf = torch.linalg.vector_norm(torch.fft.fft(y) - target, dim=-1)
        rel_zf.append((zf / norm).cpu().numpy())
    model.train(was_training)
    return {"loss": sum(losses) / len(data), "rel_l2": float(np.mean(np.concatenate(rel))),
            "rel_l2_zero_filled": float(np.mean(np.concatenate(rel_zf)))}


def train(settings: TrainSettings, out_dir: str | Path, *, weights: str | Path | None = None,
          device: str = "cpu", time_limit_min: float | None = None,
          progress: bool = True, profile: str | None = None,
          snapshot_every: int | None = None) -> dict:
    """Train (or resume) a DLNMR model; export weights + sidecar when the run completes.

    Returns the run summary (also written to ``out_dir/summary.json``). With
    ``time_limit_min`` the run may stop early; it is still exported, flagged
    ``"complete": false``. Under ``torchrun`` the run is data-parallel
    (:mod:`nmrlib.core.distributed`: each rank takes its share of every global batch, rank 0
    writes checkpoints, snapshots, weights and summary).
    """
    check_run_outputs(weights, snapshot_every)
    with process_group(device) as world:
        run = _Run.start(settings, Path(out_dir), local_device(device, world), profile)
        check_batches(settings.size, settings.batch_size, world)
        stopped = _loop(run, world, time_limit_min, snapshot_every, progress)
        summary = run.summary(stopped)
        if world.is_main:
            if weights is not None:
                run.model.eval()
                save_weights(run.model, weights,
                             {k: v for k, v in summary.items() if k != "config"})
            write_json(run.out_dir / "summary.json",
                       {**summary, "environment": environment_report()})
        barrier(world)
    return summary


@dataclass
class _Run:
    """A training run's state: the model, its optimiser and schedule, and the progress."""

    settings: TrainSettings
    out_dir: Path
    device: str
    profile: str | None
    model: DLNMR
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LambdaLR
    data: SyntheticNUS
    val: SyntheticNUS
    step: int = 0
    history: list = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.settings.size / self.settings.batch_size)

    @property
    def total(self) -> int:
        return self.steps_per_epoch * self.settings.epochs

    @classmethod
    def start(cls, settings: TrainSettings, out_dir: Path, device: str,
              profile: str | None) -> _Run:
        """A fresh run seeded from ``settings.seed`` (``init`` weights loaded), resumed from
        ``out_dir/checkpoint.pt`` when that exists."""
        torch.manual_seed(settings.seed)
        cfg = DLNMRConfig(n_stages=settings.n_stages, kernel_size=settings.kernel_size,
                          extend=settings.extend)
        model = DLNMR(cfg).to(device)
        if settings.init:
            initial = load_weights(settings.init)
            if replace(initial.cfg, extend=cfg.extend) != cfg:
                raise ValueError(f"{settings.init} holds a {initial.cfg} cascade, not {cfg}")
            model.load_state_dict(initial.state_dict())
        opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
        total = math.ceil(settings.size / settings.batch_size) * settings.epochs
        final = settings.lr_final_fraction
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: final + (1 - final) * 0.5 * (
            1 + math.cos(math.pi * min(s, total) / total)))
        data, val = (SyntheticNUS(n=settings.n, size=size, seed=settings.seed, split=split,
                                  density=settings.density, ranges=settings.ranges(),
                                  extend=settings.extend)
                     for split, size in (("train", settings.size), ("val", settings.val_size)))
        run = cls(settings, out_dir, device, profile, model, opt, sched, data, val)
        if (out_dir / "checkpoint.pt").is_file():
            run.resume()
        return run

    def resume(self) -> None:
        """Continue from ``out_dir/checkpoint.pt`` (ValueError for another run's file)."""
        path = self.out_dir / "checkpoint.pt"
        ckpt = read_checkpoint(path, asdict(self.settings), map_location=self.device)
        state = restore_checkpoint(ckpt, path, model=self.model, optimizer=self.opt,
                                   scheduler=self.sched)
        self.step, self.history = int(state["step"]), list(state["history"])
        self.elapsed = state["elapsed_s"]

    def checkpoint(self) -> None:
        save_checkpoint(self.out_dir / "checkpoint.pt", asdict(self.settings), model=self.model,
                        optimizer=self.opt, scheduler=self.sched, step=self.step,
                        history=self.history, elapsed_s=self.elapsed)

    def snapshot(self) -> None:
        self.model.eval()
        save_weights(self.model, self.out_dir / "snapshots" / f"step_{self.step:06d}.pt",
                     {"profile": self.profile, "settings": asdict(self.settings),
                      "steps": self.step, "total_steps": self.total, "snapshot": True,
                      "wall_clock_s": round(self.elapsed, 1), "git_commit": git_commit()})
        self.model.train()

    def summary(self, stopped: bool) -> dict:
        return {
            "profile": self.profile, "settings": asdict(self.settings),
            "config": asdict(self.model.cfg), "steps": self.step, "total_steps": self.total,
            "complete": self.step >= self.total and not stopped,
            "epochs_done": self.step / self.steps_per_epoch,
            "wall_clock_s": round(self.elapsed, 1),
            "final_val": evaluate(self.model, self.val, self.device), "history": self.history,
            "device": str(self.device), "torch_threads": torch.get_num_threads(),
            "data": {"train": self.data.describe(), "val": self.val.describe()},
            "git_commit": git_commit(),
        }


def _step(run: _Run, net, world: World) -> float:
    """One optimiser step on global batch ``run.step``; the global-batch loss.

    The batch order of epoch e is ``rng(seed, 1000, e).permutation``; in a parallel world
    each rank trains on its share with its part of the global mean (the same gradient).
    """
    batch = run.settings.batch_size
    epoch, pos = divmod(run.step, run.steps_per_epoch)
    order = rng(run.settings.seed, 1000, epoch).permutation(run.settings.size)
    idx = order[pos * batch:(pos + 1) * batch]
    mine = share(idx, world)
    y, mask, target = _tensors(run.data, mine, run.device)
    loss = stage_loss(net(y, mask, all_stages=True), target)
    if world.parallel:
        loss = global_mean(loss * len(mine), len(idx), world)
    run.opt.zero_grad(set_to_none=True)
    loss.backward()
    run.opt.step()
    run.sched.step()
    run.step += 1
    value = average(loss.detach(), world)
    check_finite_loss(value, f"DLNMR step {run.step}")
    return value


def _loop(run: _Run, world: World, time_limit_min: float | None, snapshot_every: int | None,
          progress: bool) -> bool:
    """Train until the last step or the time limit (then True); checkpoint on the way."""
    net = wrap(run.model, world, run.device)
    net.train()
    t0 = time.perf_counter() - run.elapsed
    bar = tqdm(total=run.total, initial=run.step, desc="train DLNMR",
               disable=not progress or not world.is_main)
    running = None
    try:
        while run.step < run.total:
            value = _step(run, net, world)
            running = value if running is None else 0.98 * running + 0.02 * value
            epoch = (run.step - 1) // run.steps_per_epoch
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4g}", epoch=epoch)
            run.elapsed = time.perf_counter() - t0
            epoch_end = run.step % run.steps_per_epoch == 0
            record = {"step": run.step, "train_loss_ema": running,
                      "elapsed_s": round(run.elapsed, 1)}
            if epoch_end:
                run.history.append({"epoch": epoch + 1, **record,
                                    **evaluate(run.model, run.val, run.device)})
                bar.write(f"epoch {epoch + 1}: {run.history[-1]}")
            elif run.step % run.settings.checkpoint_every == 0:
                run.history.append(record)
            stop = (time_limit_min is not None and run.step < run.total   # all ranks agree
                    and average(torch.tensor(float(run.elapsed > 60 * time_limit_min)),
                                world) > 0)
            if world.is_main and (epoch_end or stop
                                  or run.step % run.settings.checkpoint_every == 0):
                run.checkpoint()
            if world.is_main and snapshot_every is not None and run.step % snapshot_every == 0:
                run.snapshot()
            barrier(world)
            if stop:
                return True
    finally:
        bar.close()
    return False


def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib train-dlnmr",
                       description="Train DLNMR on synthetic FIDs.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--out-dir", default=None,
                        help="checkpoints (default build/dlnmr_<profile>)")
    parser.add_argument("--weights", default=None, help="export path for the trained weights")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--n", type=int, default=None, help="complex points per FID")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--extend", type=int, default=None,
                        help="FIDs of extend * n points, the schedule on the first n "
                             "(for reconstruct_dl(..., extend=...))")
    parser.add_argument("--n-stages", type=int, default=None,
                        help="cascade stages (default: the profile's, 5 as in the paper)")
    parser.add_argument("--time-limit-min", type=float, default=None)
    parser.add_argument("--snapshot-every", type=int, default=None,
                        help="also export weights every this many steps to "
                             "OUT_DIR/snapshots/step_<step>.pt (learning curves)")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--tau", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                        help="decay-time range, dwell units at 256 points (Table S1-1: 10 179.2)")
    parser.add_argument("--tau-log-uniform", action="store_true", default=None,
                        help="draw tau log-uniformly (for wide --tau ranges)")
    parser.add_argument("--peaks", type=int, nargs=2, default=None, metavar=("LO", "HI"),
                        help="lines per FID (Table S1-1: 1 10)")
    parser.add_argument("--init", default=None, help="start from these weights (fine-tune)")
    args = parser.parse_args(argv[1:])
    if args.threads is not None:
        from nmrlib.core.repro import set_threads

        set_threads(args.threads)
    settings = PROFILES[args.profile]
    overrides = {k: getattr(args, k) for k in ("epochs", "size", "seed", "n", "batch_size",
                                               "n_stages", "lr", "tau", "tau_log_uniform",
                                               "peaks", "extend", "init")
                 if getattr(args, k) is not None}
    for pair in ("tau", "peaks"):
        if pair in overrides:
            overrides[pair] = tuple(overrides[pair])
    settings = replace(settings, **overrides)
    out_dir = args.out_dir or f"build/dlnmr_{args.profile}"
    summary = train(settings, out_dir, weights=args.weights, device=args.device,
                    time_limit_min=args.time_limit_min, profile=args.profile,
                    snapshot_every=args.snapshot_every)
    val = summary["final_val"]
    print(f"steps {summary['steps']}/{summary['total_steps']} in {summary['wall_clock_s']} s; "
          f"val loss {val['loss']:.4g}, rel L2 {val['rel_l2']:.3f}")
    return 0
