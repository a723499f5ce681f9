"""Wall-clock per 2D spectrum: DLNMR vs low-rank (LR) vs IST (paper 2, Fig. 5, Tables S3-1/2).

A synthetic 2D set (``--n-direct`` columns x ``--n-indirect`` complex t1 points, every
column 1-10 exponentials from the held-out synthetic split plus Gaussian noise) is
undersampled with ONE Poisson-gap schedule (as in a real 2D NUS experiment) and
reconstructed by each method through ``nmrlib.nus.reconstruct`` on the same device. The
median of ``--repeats`` runs (after one warm-up run on a slice) is reported, with the
ratios DL/LR and DL/IST. Timings on a shared machine are noisy: rerun when it is idle.

With ``--realdata`` the whole fully sampled real 2D sets of ``nmrlib.core.realdata`` (fetched
by name, checked by sha256; all F2 columns) are timed instead, each with one Poisson-gap
schedule at ``--density``; LR gets ``--lr-options`` (JSON) plus, where ``virtual_echo`` is
set, the set's own F1 phase ``p0``.

    OMP_NUM_THREADS=2 .venv/bin/python bench/bench_dl_timing.py --threads 2
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_dl_timing.py --threads 1 \
        --realdata --methods dl dl10 ist
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def synthetic_2d(n_direct: int, n_indirect: int, seed: int, noise: float) -> np.ndarray:
    """(n_direct, n_indirect) complex traces: synthetic exponentials plus white noise."""
    from nmrlib.core.repro import rng
    from nmrlib.nus.synthetic import SyntheticNUS

    data = SyntheticNUS(n=n_indirect, size=n_direct, seed=seed, split="test")
    full = data.batch(range(n_direct))[2]
    gen = rng(seed, 7)
    return full + noise * (gen.standard_normal(full.shape) + 1j * gen.standard_normal(full.shape))


def real_sets(lr_options: dict) -> list[tuple[str, np.ndarray, dict]]:
    """(name, whole-set traces, LR options with the set's F1 phase) for each fully sampled
    real 2D set of the registry that can be fetched."""
    from nmrlib.core.realdata import names
    from nmrlib.nus.dleval import load_real_set, lr_options_for

    out = []
    for name in names("nus-r2"):
        try:
            out.append((name, load_real_set(name).fid, lr_options_for(name, lr_options)))
        except (OSError, ValueError) as err:
            print(f"{name}: not run: {err}")
    return out


def time_methods(fid: np.ndarray, mask: np.ndarray, methods: list[str], repeats: int,
                 device: str, lr_options: dict) -> dict[str, float]:
    """Median wall-clock seconds of ``repeats`` whole-set ``reconstruct`` calls per method
    (after one warm-up call on 8 traces)."""
    import torch

    from nmrlib.nus.reconstruct import reconstruct

    data = torch.from_numpy(fid * mask).to(torch.complex64)
    tmask = torch.from_numpy(mask)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    times = {}
    for method in methods:
        options = lr_options if method == "lr" else {}
        reconstruct(data[:8], tmask, method=method, device=device, **options)
        runs = []
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            reconstruct(data, tmask, method=method, device=device, **options)
            sync()
            runs.append(time.perf_counter() - start)
        times[method] = statistics.median(runs)
        print(f"  {method:>4}: {times[method]:8.3f} s per spectrum (median of {repeats}: "
              + ", ".join(f"{t:.3f}" for t in runs) + ")", flush=True)
    return times


def ratios_of(times: dict[str, float]) -> dict[str, float]:
    """DL-method time over LR and IST time, printed."""
    ratios = {}
    for dl in (m for m in times if m.startswith("dl")):
        for other in ("lr", "ist"):
            if other in times:
                ratios[f"{dl}/{other}"] = times[dl] / times[other]
                print(f"  {dl.upper()}/{other.upper()} = {ratios[f'{dl}/{other}']:.2%}")
    return ratios


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
    parser.add_argument("--realdata", action="store_true",
                        help="time the whole real 2D sets of nmrlib.core.realdata instead")
    parser.add_argument("--lr-options", default="{}",
                        help='LR keyword arguments as JSON, e.g. \'{"algorithm": "svt", '
                             '"virtual_echo": true}\' (default {}: LR\'s own default, SVT on the '
                             'virtual echo with the F1 phase estimated)')
    args = parser.parse_args(argv)
    try:
        lr_options = json.loads(args.lr_options)
    except json.JSONDecodeError as err:
        parser.error(f"--lr-options is not JSON: {err}")
    if not isinstance(lr_options, dict):
        parser.error("--lr-options must be a JSON object")

    from nmrlib.core.repro import environment_report, set_threads, write_json

    set_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    from nmrlib.nus.schedules import mask_from_schedule, points_for_density, poisson_gap


    if args.realdata:
        sets = real_sets(lr_options)
    else:
        sets = [(f"synthetic {args.n_direct} x {args.n_indirect}",
                 synthetic_2d(args.n_direct, args.n_indirect, args.seed, args.noise),
                 lr_options)]
    figures = {}
    for name, full, options in sets:
        n = full.shape[1]
        m = points_for_density(n, args.density)
        mask = mask_from_schedule(poisson_gap(n, m, seed=args.seed), n)
        print(f"{name}: {full.shape[0]} columns x {n} complex t1 points, {m} sampled "
              f"({args.density:.0%}), device {args.device}, {args.threads} threads")
        times = time_methods(full, mask, args.methods, args.repeats, args.device, options)
        figures[name] = {"seconds": times, "ratios": ratios_of(times)}
    if args.out:
        write_json(args.out, {"args": vars(args), "sets": figures,
                              "environment": environment_report()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
