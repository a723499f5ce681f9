"""One prepared check of every CUDA path, with paper-scale timings, in about 8 minutes.

Run it once on a GPU machine (``--device cuda``, the default when torch sees one); on a
CPU, ``--device cpu --tiny`` runs every section at tiny sizes in seconds (the test).
Sections, in order, each with its own budget in seconds (``--budget-s NAME=S``; the
defaults sum to 6.3 minutes), each printing its figures as soon as it has them:

* ``sim``: TOCSY simulation through ``nmrlib.tocsy.corpus.simulate_chunk(..., device)`` (the
  path of ``python -m nmrlib simulate --backend cuda``) at 2 x 256 x 256, passes of one
  batch of 8 per residue (the first always, up to 4 within the budget): spectra/s for the
  paper mix (equal numbers per residue) and the projected time of its 20,000 spectra;
  ``SpinNetwork.fid`` on the device against the CPU for 2 samples of the two largest spin
  systems (max relative difference, expected ~1e-12, checked at 1e-6).
* ``train``: ECAPA-L + Conv1d at batch 20 x 4 x 65,536 with float16 autocast and
  GradScaler: a short probe (``bench_classifier.model_throughput``), then one epoch of
  as many steps as fit the budget (at most ``steps``) through
  ``nmrlib.tocsy.training.train_one_seed`` itself, fed pinned in-memory batches (disk reading is
  not measured here; ``bench_classifier.py --data`` does that): steps/s, peak GPU memory,
  projected paper training (10 epochs x 700 steps + validation of 4,000 spectra each).
* ``train_all``: the other 7 Table I configurations, a few steps each: the projected
  classifier training of ``make reproduce PROFILE=paper`` (12 configurations, per seed).
* ``dlnmr_train``: ``nmrlib.nus.train_dl.train`` with the paper profile (40,000 pairs,
  batch 64, 5 stages), one epoch or as much of it as fits (extrapolated), and the
  per-step cost of generating the synthetic batch on the CPU.
* ``dlnmr_infer``: DLNMR (``dl``, ``dl10``) per 2D spectrum (1024 columns x 256 complex
  t1 points, numpy in and out) on the device vs on the CPU (all cores).
* ``nus``: ``nmrlib.nus.reconstruct.reconstruct`` ``lr`` / ``ist`` / ``dl`` / ``dl10`` on the
  device against the CPU on 64 columns (relative L2 difference; 1e-3, 1e-2 for DLNMR whose
  convolutions may run in TF32), and each method's device time per full 2D spectrum.

A section that fails records its traceback and the others still run. Everything goes to
``<out>/bench_gpu.json`` (rewritten after every section, so a run cut short keeps what
it measured); ``--out`` defaults to ``$OUT`` when set.

    PYTHONUNBUFFERED=1 PYTHONPATH=. python3 bench/bench_gpu.py --device cuda --out $OUT
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))   # bench_classifier, bench_dl_timing

BUDGETS = {"sim": 50, "train": 110, "train_all": 60, "dlnmr_train": 80, "dlnmr_infer": 30,
           "nus": 50}
FULL = dict(sim_n=256, sim_batch=8, sim_passes=4, check_samples=2,
            length=65_536, batch=20, probe_steps=3, steps=300, all_steps=10, pool=40,
            dl_profile="paper", infer=(1024, 256), nus_columns=64, repeats=3)
TINY = dict(sim_n=16, sim_batch=2, sim_passes=1, check_samples=1,
            length=800, batch=2, probe_steps=1, steps=3, all_steps=1, pool=4,
            dl_profile="smoke", infer=(16, 64), nus_columns=4, repeats=1)
PAPER = dict(n_spectra=20_000, train_spectra=14_000, val_spectra=4_000, epochs=10, batch=20)
TOLERANCE = {"fid": 1e-6, "lr": 1e-3, "ist": 1e-3, "dl": 1e-2, "dl10": 1e-2}


def say(text: str) -> None:
    print(text, flush=True)


class Bench:
    """Runs sections with budgets, records figures or errors, rewrites the JSON each time."""

    def __init__(self, device: str, sizes: dict, budgets: dict, out: Path, meta: dict):
        import torch

        self.torch, self.device, self.sizes, self.budgets = torch, device, sizes, budgets
        self.out, self.meta, self.sections = out, meta, {}
        self.cuda = device.startswith("cuda")

    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def run(self, name: str, func) -> None:
        budget = self.budgets[name]
        say(f"== {name} (budget {budget:g} s)")
        start = time.perf_counter()
        record: dict = {"budget_s": budget}
        if self.cuda:
            self.torch.cuda.reset_peak_memory_stats()
        try:
            record.update(func(start + budget))
            record["status"] = "ok"
        except Exception as err:  # recorded; the next sections still run
            record.update(status="error", error=f"{type(err).__name__}: {err}",
                          traceback=traceback.format_exc())
            say(f"   ERROR {type(err).__name__}: {err}")
        record["wall_s"] = time.perf_counter() - start
        if self.cuda:
            record["peak_gpu_gb"] = self.torch.cuda.max_memory_allocated() / 1e9
        say(f"   {name}: {record['status']} in {record['wall_s']:.1f} s")
        self.sections[name] = record
        self.write()

    def write(self) -> None:
        from nmrlib.core.repro import write_json

        failed = [f"{s}: {c}" for s, r in self.sections.items() for c in r.get("failed", [])]
        write_json(self.out / "bench_gpu.json",
                   {**self.meta, "checks_failed": failed, "sections": self.sections})

    # ---- sections -------------------------------------------------------------------------

    def sim(self, deadline: float) -> dict:
        import torch

        from nmrlib.core.repro import rng
        from nmrlib.tocsy.corpus import params_for, simulate_chunk
        from nmrlib.tocsy.residues import ACQUISITION, RESIDUES, spin_system

        z = self.sizes
        size = dict(n1=z["sim_n"], n2=z["sim_n"], batch=z["sim_batch"])
        params = params_for("paper", n_per_class=max(10, z["sim_batch"] * z["sim_passes"]),
                            chunk_size=z["sim_batch"], **size)
        warm = params_for("paper", n_per_class=10, chunk_size=1, **size)
        simulate_chunk(warm, 0, 0, self.device)            # CUDA context, solver handles
        seconds = dict.fromkeys(RESIDUES, 0.0)
        counts = dict.fromkeys(RESIDUES, 0)
        for k in range(z["sim_passes"]):   # pass k: chunk k of every residue; pass 0 always
            if k and time.perf_counter() > deadline:
                break
            for c, code in enumerate(RESIDUES):
                start = time.perf_counter()
                _, data = simulate_chunk(params, c, k, self.device)
                seconds[code] += time.perf_counter() - start
                counts[code] += len(data)
        # the paper mix has equal numbers per residue: spectra/s = 20 / sum of s/spectrum
        rate = len(RESIDUES) / sum(seconds[r] / counts[r] for r in RESIDUES)
        say(f"   {rate:.1f} spectra/s for the paper mix ({sum(counts.values())} spectra, "
            f"{counts['ALA'] // z['sim_batch']} pass(es) of {z['sim_batch']} per residue, "
            f"2 x {z['sim_n']} x {z['sim_n']}); paper's {PAPER['n_spectra']} spectra: "
            f"{PAPER['n_spectra'] / rate / 60:.1f} min")
        cost = {code: spin_system(code).network().n_transitions for code in RESIDUES}
        checks, check_s = {}, {}
        acq = dict(ACQUISITION, n1=z["sim_n"], n2=z["sim_n"])
        for code in sorted(RESIDUES, key=lambda r: -cost[r])[:2]:
            system = spin_system(code)
            shifts = np.stack([system.sample(rng(0, RESIDUES.index(code), i))
                               for i in range(z["check_samples"])])
            net = system.network()
            start = time.perf_counter()
            ref = net.fid(shifts, **acq, device="cpu")
            check_s[code] = {"cpu": (time.perf_counter() - start) / len(shifts)}
            start = time.perf_counter()
            got = net.fid(shifts, **acq, device=self.device).cpu()
            check_s[code][self.device] = (time.perf_counter() - start) / len(shifts)
            checks[code] = float((got - ref).abs().max() / ref.abs().max())
            say(f"   {code}: {self.device} vs cpu max relative difference {checks[code]:.2e}; "
                f"s/spectrum (batch {len(shifts)}): " + ", ".join(
                    f"{d} {t:.3f}" for d, t in check_s[code].items()))
        failed = [f"{code} fid differs by {d:.1e}" for code, d in checks.items()
                  if not d <= TOLERANCE["fid"]]
        return {"figure": rate, "unit": "spectra/s (paper mix)", "spectra": counts,
                "seconds_per_residue": seconds, "residues_timed": len(seconds),
                "passes": counts["ALA"] // z["sim_batch"],
                "paper_dataset_min": PAPER["n_spectra"] / rate / 60,
                "cpu_agreement_max_rel": checks, "check_s_per_spectrum": check_s,
                "cpu_threads": torch.get_num_threads(), "failed": failed}

    def _train_probe(self, encoder: str, embedding: str, steps: int) -> float:
        from bench_classifier import model_throughput

        z = self.sizes
        rate = model_throughput(encoder, embedding, z["length"], self.device, batch=z["batch"],
                                steps=steps, warmup=2 if steps > 1 else 1)
        return z["batch"] / rate

    def train(self, deadline: float) -> dict:
        import torch

        from nmrlib.tocsy.training import Configuration, train_one_seed

        z = self.sizes
        probe = self._train_probe("conv1d", "ecapa_l", z["probe_steps"])
        say(f"   probe: {probe * 1e3:.1f} ms/step at batch {z['batch']} x 4 x {z['length']}")
        left = deadline - time.perf_counter()
        steps = max(1, min(z["steps"], int(0.8 * left / probe)))
        batch = z["batch"]
        pin = self.cuda
        gen = torch.Generator().manual_seed(0)
        pool = torch.randn(z["pool"] * batch, 4, z["length"], generator=gen)
        pool = pool.pin_memory() if pin else pool
        splits = {"train": _PoolSplit(pool, steps * batch), "val": _PoolSplit(pool, 2 * batch),
                  "test": _PoolSplit(pool, batch)}
        with tempfile.TemporaryDirectory() as tmp:
            result = train_one_seed(
                Configuration("conv1d", "ecapa_l"), splits, seed=0, epochs=1,
                batch_size=batch, lr=1e-3, device=self.device, amp=self.cuda,
                checkpoint=Path(tmp) / "ckpt.pt", fingerprint={"bench": "gpu"}, progress=False)
        epoch = result["history"][0]
        s_step = epoch["train_s"] / steps
        val_per_spectrum = epoch["val_s"] / len(splits["val"])
        train_steps = math.ceil(PAPER["train_spectra"] / PAPER["batch"]) * PAPER["epochs"]
        paper_h = (train_steps * s_step
                   + PAPER["epochs"] * PAPER["val_spectra"] * val_per_spectrum) / 3600
        say(f"   train_one_seed: {steps} steps in {epoch['train_s']:.1f} s = "
            f"{1 / s_step:.2f} steps/s ({s_step * 1e3:.1f} ms/step); paper profile "
            f"(10 epochs x 700 steps + validation): {paper_h * 60:.1f} min")
        return {"figure": 1 / s_step, "unit": "steps/s", "steps": steps, "batch": batch,
                "length": z["length"], "probe_s_per_step": probe, "s_per_step": s_step,
                "val_s_per_spectrum": val_per_spectrum, "paper_train_h": paper_h,
                "amp_float16": self.cuda, "parameters": result["parameters"]}

    def train_all(self, deadline: float) -> dict:
        from nmrlib.tocsy.models import EMBEDDINGS, ENCODERS

        train = self.sections.get("train", {})
        s_steps = {}
        if "s_per_step" in train:
            s_steps["conv1d-ecapa_l"] = train["s_per_step"]
        for encoder in ENCODERS:
            for embedding in EMBEDDINGS:
                name = f"{encoder}-{embedding}"
                if name in s_steps or time.perf_counter() > deadline:
                    continue
                s_steps[name] = self._train_probe(encoder, embedding, self.sizes["all_steps"])
                say(f"   {name}: {s_steps[name] * 1e3:.1f} ms/step")
        steps = math.ceil(PAPER["train_spectra"] / PAPER["batch"]) * PAPER["epochs"]
        per_config_h = {name: s * steps / 3600 for name, s in s_steps.items()}
        table_ii = 2 * per_config_h.get("conv1d-ecapa_l", 0) + 2 * per_config_h.get(
            "fbank-ecapa_l", 0)  # pretrained ECAPA-L, frozen and trainable, per encoder
        total = sum(per_config_h.values()) + table_ii
        complete = len(s_steps) == len(ENCODERS) * len(EMBEDDINGS)
        say(f"   classifier training, paper profile, one seed: {total:.2f} h for "
            f"{len(s_steps)} timed configurations + Table II" + ("" if complete else
                                                                 " (NOT all timed)"))
        return {"figure": total, "unit": "h per seed (training steps only)",
                "s_per_step": s_steps, "paper_train_h": per_config_h,
                "all_configurations_timed": complete}

    def dlnmr_train(self, deadline: float) -> dict:
        from dataclasses import replace

        from nmrlib.nus.synthetic import SyntheticNUS
        from nmrlib.nus.train_dl import PROFILES, train

        settings = replace(PROFILES[self.sizes["dl_profile"]], epochs=1)
        data = SyntheticNUS(n=settings.n, size=settings.size, seed=settings.seed,
                            split="train", density=settings.density)
        start = time.perf_counter()
        for k in range(3):
            data.batch(range(k * settings.batch_size, (k + 1) * settings.batch_size))
        data_s = (time.perf_counter() - start) / 3
        left = deadline - time.perf_counter()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            summary = train(settings, tmp, device=self.device, progress=False,
                            time_limit_min=max(left, 5) / 60, profile=self.sizes["dl_profile"])
        wall = time.perf_counter() - start   # setup and the final validation included
        per_epoch = math.ceil(settings.size / settings.batch_size)
        s_step = wall / summary["steps"]
        epoch_s = s_step * per_epoch
        full_epochs = PROFILES[self.sizes["dl_profile"]].epochs
        how = "measured" if summary["complete"] else f"extrapolated from {summary['steps']} steps"
        say(f"   {summary['steps']}/{per_epoch} steps in {wall:.1f} s: "
            f"{s_step * 1e3:.1f} ms/step, one epoch {epoch_s:.0f} s ({how}); the profile's "
            f"{full_epochs} epochs: {epoch_s * full_epochs / 3600:.2f} h; generating a batch "
            f"on the CPU: {data_s * 1e3:.1f} ms")
        return {"figure": epoch_s, "unit": "s per epoch", "epoch_measured": summary["complete"],
                "steps": summary["steps"], "steps_per_epoch": per_epoch, "s_per_step": s_step,
                "data_s_per_step": data_s, "profile": self.sizes["dl_profile"],
                "profile_epochs": full_epochs, "profile_train_h": epoch_s * full_epochs / 3600,
                "final_val": summary["final_val"]}

    def _nus_input(self, columns: int, points: int):
        import torch
        from bench_dl_timing import synthetic_2d

        from nmrlib.nus.schedules import mask_from_schedule, points_for_density, poisson_gap

        full = synthetic_2d(columns, points, seed=0, noise=1e-3)
        sched = poisson_gap(points, points_for_density(points, 0.25), seed=0)
        mask = mask_from_schedule(sched, points)
        return torch.from_numpy(full * mask).to(torch.complex64), torch.from_numpy(mask)

    def _time(self, func, repeats: int) -> float:
        runs = []
        for _ in range(repeats):
            self.sync()
            start = time.perf_counter()
            func()
            self.sync()
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    def dlnmr_infer(self, deadline: float) -> dict:
        import torch

        from nmrlib.nus.reconstruct import reconstruct

        columns, points = self.sizes["infer"]
        fid, mask = self._nus_input(columns, points)
        out = {}
        for method in ("dl", "dl10"):
            if time.perf_counter() > deadline:
                break
            row = {}
            for device in dict.fromkeys((self.device, "cpu")):
                reconstruct(fid[:8], mask, method, device=device)       # load, warm up
                row[device] = self._time(
                    lambda d=device, m=method: reconstruct(fid, mask, m, device=d),
                    self.sizes["repeats"])
            out[method] = row
            say(f"   {method}: " + ", ".join(f"{d} {t * 1e3:.1f} ms" for d, t in row.items())
                + f" per 2D spectrum ({columns} x {points}; cpu {torch.get_num_threads()} "
                  "threads)")
        return {"figure": out["dl"][self.device], "unit": "s per 2D spectrum (dl, device)",
                "seconds": out, "shape": [columns, points],
                "cpu_threads": torch.get_num_threads()}

    def nus(self, deadline: float) -> dict:
        import torch

        from nmrlib.nus.reconstruct import reconstruct

        fid, mask = self._nus_input(*self.sizes["infer"])
        sub = fid[: self.sizes["nus_columns"]]
        diffs, full_s, failed = {}, {}, []
        for method in ("lr", "ist", "dl", "dl10"):
            if time.perf_counter() > deadline:
                failed.append(f"{method} not checked: budget spent")
                continue
            ref = reconstruct(sub, mask, method, device="cpu")
            got = reconstruct(sub, mask, method, device=self.device)
            diffs[method] = float(torch.linalg.vector_norm(got - ref)
                                  / torch.linalg.vector_norm(ref))
            if not diffs[method] <= TOLERANCE[method]:
                failed.append(f"{method} differs from cpu by {diffs[method]:.1e}")
            full_s[method] = self._time(
                lambda m=method: reconstruct(fid, mask, m, device=self.device), 1)
            say(f"   {method}: {self.device} vs cpu relative L2 {diffs[method]:.2e} "
                f"(tolerance {TOLERANCE[method]:g}); {full_s[method]:.3f} s per 2D spectrum "
                f"on {self.device}")
        return {"figure": max(diffs.values()), "unit": "max relative L2 difference vs cpu",
                "relative_l2_vs_cpu": diffs, "device_s_per_spectrum": full_s,
                "columns_checked": len(sub), "failed": failed}


class _PoolSplit:
    """A stand-in for ``PreparedSplit``: ``n`` items cycled from a (pinned) in-memory pool."""

    def __init__(self, pool, n: int):
        import torch

        self.pool, self.n = pool, n
        self.labels = torch.arange(len(pool)) % 20

    def __len__(self) -> int:
        return self.n

    def labels_array(self) -> np.ndarray:
        return np.resize(self.labels.numpy(), self.n)

    def batches(self, batch_size: int, order=None, workers: int = 0, pin_memory: bool = False,
                world=None):
        """Global batches of one process (the bench runs no data-parallel world)."""
        for start in range(0, self.n, batch_size):
            lo = start % len(self.pool)
            hi = min(lo + min(batch_size, self.n - start), len(self.pool))
            yield self.pool[lo:hi], self.labels[lo:hi]


def _budgets(items: list[str]) -> dict:
    budgets = dict(BUDGETS)
    for item in items:
        name, _, value = item.partition("=")
        if name not in BUDGETS or not value:
            raise ValueError(f"--budget-s takes NAME=SECONDS with NAME in {sorted(BUDGETS)}, "
                             f"got {item!r}")
        budgets[name] = float(value)
    return budgets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cuda (default when available) or cpu")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (CPU test, seconds)")
    parser.add_argument("--sections", nargs="+", default=list(BUDGETS), choices=list(BUDGETS))
    parser.add_argument("--budget-s", nargs="+", default=[], metavar="NAME=S",
                        help=f"per-section budgets in seconds (defaults {BUDGETS})")
    parser.add_argument("--out", default=os.environ.get("OUT") or "build/bench_gpu",
                        help="folder for bench_gpu.json (default $OUT, else build/bench_gpu)")
    args = parser.parse_args(argv)
    try:
        budgets = _budgets(args.budget_s)
    except ValueError as err:
        parser.error(str(err))
    import torch

    from nmrlib.core.repro import environment_report

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")
    if device == "cpu" and not args.tiny:
        say("note: full sizes on a CPU take far longer than the budgets; use --tiny")
    sizes = TINY if args.tiny else FULL
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else "cpu"
    say(f"bench_gpu: device {device} ({name}), torch {torch.__version__}, "
        f"{'tiny' if args.tiny else 'full'} sizes, sections {' '.join(args.sections)}")
    meta = {"args": vars(args), "device": device, "device_name": name, "sizes": sizes,
            "paper": PAPER, "tolerance": TOLERANCE, "environment": environment_report()}
    bench = Bench(device, sizes, budgets, Path(args.out), meta)
    for section in args.sections:
        bench.run(section, getattr(bench, section))
    bad = [n for n, r in bench.sections.items() if r["status"] != "ok"]
    say(f"wrote {Path(args.out) / 'bench_gpu.json'}; errors in: {', '.join(bad) or 'none'}; "
        f"failed checks: {len([c for r in bench.sections.values() for c in r.get('failed', [])])}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
