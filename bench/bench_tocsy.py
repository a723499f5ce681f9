"""Benchmark: TOCSY spectra per second for the paper mix (all 20 residues, 2 x n x n), per mode.

    .venv/bin/python bench/bench_tocsy.py [--modes lock/single,lock/double,in-phase] [--n 20]
        [--batch 8]
        [--size 256] [--threads 1] [--workers 2] [--e2e-n 10] [--e2e-chunk N]

A mode is ``selection[/precision]`` (``nmrlib.tocsy.spin``: "lock/single" is the data sets' default,
the float32 lock propagation; "lock/double" the exact float64 one; precision defaults to
double).

1. In this process with ``--threads`` threads, for every mode in ``--modes``:
   spectra/s per residue and overall (equal numbers per residue, total spectra over total
   time, complex64 output as the data set stores it), by the wall clock and by this
   process's CPU time (the CPU figure is what an idle core would give when the machine is
   shared), and a cProfile of the slowest residue. Shifts are drawn as the data set does.
2. End to end, per mode: ``nmrlib.tocsy.corpus.simulate_dataset`` at the paper's acquisition with
   ``--e2e-n`` spectra per residue and ``--workers`` processes (one thread each, as
   ``python -m nmrlib simulate`` runs), including process start-up and writing the chunks:
   the throughput on ``--workers`` cores. ``--e2e-n 0`` skips it. ``--e2e-chunk``
   (default: ``--e2e-n``, one chunk per residue) splits each residue into smaller chunks:
   with one chunk per residue the slowest residue (LYS) alone bounds the wall clock, with
   many the workers stay busy as in a full-size run (largest spin systems go first).
Peak memory: max RSS of this process and of the largest worker.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import tempfile
import time

import numpy as np


def split_mode(mode: str) -> dict:
    """``selection[/precision]`` -> keyword arguments of ``SpinNetwork.fid``."""
    selection, _, precision = mode.partition("/")
    return dict(selection=selection, precision=precision or "double")


def run(code: str, n: int, batch: int, size: int, device: str, mode: str,
        seed: int = 0) -> tuple[float, float]:
    """(wall s, CPU s) to simulate ``n`` spectra of residue ``code`` in batches of ``batch``."""
    import torch

    from nmrlib.core.repro import rng
    from nmrlib.tocsy import residues as aa

    system = aa.spin_system(code)
    net = system.network()
    acq = dict(aa.ACQUISITION, n1=size, n2=size)
    label = system.label
    shifts = np.stack([system.sample(rng(seed, label, i)) for i in range(n)])
    net.fid(shifts[:1], **dict(acq, n1=2, n2=2), **split_mode(mode))  # J-only caches
    start, cpu = time.perf_counter(), time.process_time()
    for lo in range(0, n, batch):
        data = net.fid(shifts[lo:lo + batch], **acq, device=device, **split_mode(mode))
        data.to(torch.complex64).cpu().numpy()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="lock/single,lock/double,in-phase",
                        help="comma-separated selection[/precision]")
    parser.add_argument("--n", type=int, default=20, help="spectra per residue")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=256, help="n1 = n2")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, default=2, help="processes for the e2e run")
    parser.add_argument("--e2e-n", type=int, default=10, help="spectra per residue, e2e run")
    parser.add_argument("--e2e-chunk", type=int, default=None,
                        help="spectra per chunk in the e2e run (default: --e2e-n)")
    args = parser.parse_args()
    modes = args.modes.split(",")

    from nmrlib.core.repro import set_threads

    set_threads(args.threads)
    import torch

    from nmrlib.tocsy.residues import RESIDUES

    torch.set_num_threads(args.threads)
    for mode in modes:
        run("ALA", 2, 2, args.size, args.device, mode)  # warm-up (imports, caches, allocator)
    times = {mode: {} for mode in modes}
    print(f"{'residue':8s}" + "".join(f"{m + ' (wall/cpu) spectra/s':>34s}" for m in modes))
    for code in RESIDUES:
        for mode in modes:
            times[mode][code] = run(code, args.n, args.batch, args.size, args.device, mode)
        print(f"{code:8s}" + "".join(
            f"{args.n / times[m][code][0]:20.2f} /{args.n / times[m][code][1]:9.2f}"
            for m in modes), flush=True)
    for mode in modes:
        wall = sum(t[0] for t in times[mode].values())
        cpu = sum(t[1] for t in times[mode].values())
        print(f"overall {mode}: {len(RESIDUES) * args.n / wall:.2f} spectra/s wall, "
              f"{len(RESIDUES) * args.n / cpu:.2f} per CPU-second ({len(RESIDUES)} residues x "
              f"{args.n}, 2 x {args.size} x {args.size}, batch {args.batch}, {args.threads} "
              f"thread(s), device {args.device})")
    for mode in modes:
        slowest = max(times[mode], key=lambda c: times[mode][c][0])
        profile = cProfile.Profile()
        profile.enable()
        run(slowest, args.n, args.batch, args.size, args.device, mode)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
        print(f"profile of the slowest residue in {mode} ({slowest}), top functions by own time:")
        print("\n".join(out.getvalue().splitlines()[6:24]))
    from nmrlib.tocsy.corpus import simulate_dataset

    for mode in modes if args.e2e_n > 0 else []:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            simulate_dataset(tmp, profile="paper", n_per_class=max(10, args.e2e_n),
                             chunk_size=args.e2e_chunk or args.e2e_n, workers=args.workers,
                             progress=False, **split_mode(mode))
            wall = time.perf_counter() - start
        n_total = len(RESIDUES) * max(10, args.e2e_n)
        print(f"end to end {mode} (simulate_dataset, paper acquisition 2 x 256 x 256, "
              f"{args.workers} worker processes, chunks of {args.e2e_chunk or args.e2e_n}, "
              f"writing chunks): {n_total / wall:.2f} "
              f"spectra/s ({n_total} spectra in {wall:.1f} s)")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    print(f"peak memory (max RSS): this process {own:.2f} GB, largest worker {child:.2f} GB")


if __name__ == "__main__":
    main()
