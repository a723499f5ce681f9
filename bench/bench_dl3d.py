"""3D NUS: joint DLNMR (5- and 10-stage weights), unrolled IST vs 2D hmsIST (synthetic 3D set).

R² (mean ± sd over ``--schedules`` 2D Poisson-gap schedules, the same for every method)
and seconds per 3D data set, from :func:`nmrlib.nus.dleval.r2_vs_nus_3d`; the shape is
F2 columns x n1 x n2 (notebook 08: 8 x 32 x 32 quick, 32 x 64 x 64 paper).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_dl3d.py --shape 8 32 32 --schedules 10
"""

from __future__ import annotations

import argparse

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=[8, 32, 32])
    parser.add_argument("--levels", type=float, nargs="+", default=[0.05, 0.10, 0.15])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    import torch

    from nmrlib.nus.dleval import ist_2d, r2_vs_nus_3d
    from nmrlib.nus.dlnmr import DEFAULT_WEIGHTS, TEN_STAGE_WEIGHTS, reconstruct_dl_3d
    from nmrlib.nus.unrolled import reconstruct_unrolled_3d

    torch.set_num_threads(args.threads)
    methods = {
        "dl": lambda y, m: reconstruct_dl_3d(y, m, weights=DEFAULT_WEIGHTS, device=args.device),
        "dl10": lambda y, m: reconstruct_dl_3d(y, m, weights=TEN_STAGE_WEIGHTS,
                                               device=args.device),
        "unrolled": lambda y, m: reconstruct_unrolled_3d(y, m, device=args.device),
        "ist": lambda y, m: ist_2d(y, m, device=args.device),
    }
    study = r2_vs_nus_3d(args.shape, methods, args.levels, args.schedules)
    print(f"3D {args.shape}, {args.schedules} schedules per level, {args.threads} thread(s), "
          f"{args.device}: R² mean ± sd (seconds per data set)")
    for level in args.levels:
        print(f"  {level:4.0%}  " + "  ".join(
            f"{m.upper()} {np.mean(study[m][level]['r2']):.3f} ± "
            f"{np.std(study[m][level]['r2']):.3f} ({np.mean(study[m][level]['seconds']):.2f} s)"
            for m in methods))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
