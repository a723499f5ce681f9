"""Wall-clock per 2D spectrum: DLNMR vs low-rank (LR) vs IST (paper 2, Fig. 5, Tables S3-1/2).

A synthetic 2D set (``--n-direct`` columns x ``--n-indirect`` complex t1 points, every
column 1-10 exponentials from the held-out synthetic split plus Gaussian noise) is
undersampled with ONE Poisson-gap schedule (as in a real 2D NUS experiment) and
reconstructed by each method through ``nmrlib.nus.reconstruct`` on the same device. The
median of ``--repeats`` runs (after one warm-up run on a slice) is reported, with the
ratios DL/LR and DL/IST. Timings on a shared machine are noisy: rerun when it is idle.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_dl_timing.py --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def synthetic_2d(n_direct: int, n_indirect: int, seed: int, noise: float) -> np.ndarray:
    """(n_direct, n_indirect) complex traces: synthetic exponentials plus white noise."""
    from nmrlib.nus.synthetic import SyntheticNUS
    from nmrlib.repro import rng

    data = SyntheticNUS(n=n_indirect, size=n_direct, seed=seed, split="test")
    full = data.batch(range(n_direct))[2]
    gen = rng(seed, 7)
    return full + noise * (gen.standard_normal(full.shape) + 1j * gen.standard_normal(full.shape))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-direct", type=int, default=1024)
    parser.add_argument("--n-indirect", type=int, default=256)
    parser.add_argument("--density", type=float, default=0.25)
    parser.add_argument("--methods", nargs="+", default=["dl", "dl10", "lr", "ist"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=1e-3)
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)

    from nmrlib.repro import environment_report, set_threads, write_json

    set_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from nmrlib.nus.schedules import mask_from_schedule, points_for_density, poisson_gap

    try:
        from nmrlib.nus.reconstruct import reconstruct
    except ImportError as err:
        print(f"not run: nmrlib.nus.reconstruct unavailable ({err})")
        return 1
    full = synthetic_2d(args.n_direct, args.n_indirect, args.seed, args.noise)
    m = points_for_density(args.n_indirect, args.density)
    mask = mask_from_schedule(poisson_gap(args.n_indirect, m, seed=args.seed), args.n_indirect)
    fid = torch.from_numpy(full * mask).to(torch.complex64)
    tmask = torch.from_numpy(mask)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    print(f"2D set: {args.n_direct} columns x {args.n_indirect} complex t1 points, "
          f"{m} sampled ({args.density:.0%}), device {args.device}, {args.threads} threads")
    times: dict[str, float] = {}
    for method in args.methods:
        reconstruct(fid[:8], tmask, method=method, device=args.device)  # warm-up
        runs = []
        for _ in range(args.repeats):
            sync()
            start = time.perf_counter()
            reconstruct(fid, tmask, method=method, device=args.device)
            sync()
            runs.append(time.perf_counter() - start)
        times[method] = statistics.median(runs)
        print(f"  {method:>4}: {times[method]:8.3f} s per spectrum (median of {args.repeats}: "
              + ", ".join(f"{t:.3f}" for t in runs) + ")")
    ratios = {}
    for dl in (m for m in times if m.startswith("dl")):
        for other in ("lr", "ist"):
            if other in times:
                ratios[f"{dl}/{other}"] = times[dl] / times[other]
                print(f"  {dl.upper()}/{other.upper()} = {ratios[f'{dl}/{other}']:.2%}")
    if args.out:
        write_json(args.out, {"args": vars(args), "seconds": times, "ratios": ratios,
                              "environment": environment_report()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
