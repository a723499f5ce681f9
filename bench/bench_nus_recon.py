"""Wall-clock and peak memory of NUS reconstruction per 2D spectrum.

    .venv/bin/python bench/bench_nus_recon.py [--columns 1024] [--n 256] [--density 0.25]
        [--methods lr ist] [--threads 2] [--device cpu] [--lr-options JSON]

A synthetic 2D data set (``columns`` direct points x ``n`` complex indirect points, 1-4
damped exponentials per column plus complex noise of sigma 0.01) is sampled with a
Poisson-gap schedule at ``density``. Each method runs in its own child process so that
its peak resident memory (``ru_maxrss``; plus CUDA peak allocation on a GPU) is its own.
LR uses the paper's settings (lambda 1e5, <= 300 iterations, tol 1e-5) unless
``--lr-options`` (JSON, e.g. ``'{"algorithm": "svt", "virtual_echo": true}'``: the
amplitudes are real, so the phase is 0) changes them; IST is hmsIST-like (400
iterations). Prints one line per method (wall-clock and process CPU time: on a shared,
oversubscribed machine the CPU time is the steadier figure) and the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def synthetic(columns: int, n: int, seed: int = 0) -> np.ndarray:
    """Indirect traces of a 2D spectrum: 1-4 damped complex exponentials + noise per column."""
    from nmrlib.core.repro import rng

    g = rng(seed, 11)
    t = np.arange(n)
    out = np.zeros((columns, n), complex)
    for c in range(columns):
        for _ in range(g.integers(1, 5)):
            freq, rate = g.uniform(-0.45, 0.45), g.uniform(2.0, 8.0) / n
            out[c] += g.uniform(0.05, 1.0) * np.exp((2j * np.pi * freq - rate) * t)
    out += 0.01 * (g.standard_normal(out.shape) + 1j * g.standard_normal(out.shape))
    return out.astype(np.complex64)


def worker(args) -> dict:
    import torch

    from nmrlib.core.repro import set_threads
    from nmrlib.nus import apply_schedule, poisson_gap, reconstruct

    set_threads(args.threads)
    truth = synthetic(args.columns, args.n)
    fid, mask = apply_schedule(truth, poisson_gap(args.n, round(args.density * args.n), seed=1))
    opts = {"device": args.device}
    if args.method == "lr":
        opts.update(json.loads(args.lr_options))     # defaults: the paper's settings
    elif args.method == "ist":
        opts.update(iterations=400)
    reconstruct(fid[:8], mask, args.method, **opts)          # warm-up (imports, kernels)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start, cpu = time.perf_counter(), time.process_time()
    rec = reconstruct(fid, mask, args.method, **opts)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    err = float(np.linalg.norm(rec - truth) / np.linalg.norm(truth))
    out = {"method": args.method, "options": opts, "seconds": seconds, "cpu_seconds": cpu,
           "columns": args.columns, "n": args.n, "density": args.density,
           "threads": args.threads, "device": args.device,
           "rel_error_time_domain": err,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.device.startswith("cuda"):
        out["cuda_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--columns", type=int, default=1024)
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--density", type=float, default=0.25)
    parser.add_argument("--methods", nargs="+", default=["lr", "ist"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lr-options", default="{}", help="JSON options for LR")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        print(json.dumps(worker(args)))
        return 0
    results = []
    for method in args.methods:
        cmd = [sys.executable, __file__, "--method", method, "--columns", str(args.columns),
               "--n", str(args.n), "--density", str(args.density),
               "--threads", str(args.threads), "--device", args.device,
               "--lr-options", args.lr_options]
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        res = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(res)
        print(f"{method}: {res['seconds']:.1f} s wall ({res['cpu_seconds']:.1f} s CPU) per 2D "
              f"spectrum ({args.columns} x {args.n} "
              f"complex, {args.density:.0%} NUS, {args.threads} threads, {args.device}), "
              f"peak RSS {res['peak_rss_mib']:.0f} MiB, time-domain error "
              f"{res['rel_error_time_domain']:.3f}", flush=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
