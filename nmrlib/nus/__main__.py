"""NMRPipe-style NUS reconstruction from the command line.

    python -m nmrlib.nus reconstruct -in hdac_ex.ft1 -sample ss_hdac.out -method lr \\
        -out hdac_rec.ft1 [-xN 192] [-iter 300] [-device cpu]

Input: an NMRPipe file with F2 processed (real) and F1 in the time domain holding only
the measured increments, in nuslist order (as nusExpand/istHMS expect). The nuslist gives
their 0-based complex-point indices. Output: the same header with the F1 time domain
filled in on the full grid of ``-xN`` complex points (default: last index + 1), ready for
the usual F1 processing (SP/ZF/FT/PS).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from nmrlib.nus.reconstruct import METHODS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nmrlib.nus",
                                     description="NUS reconstruction of NMRPipe .ft1 data")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("reconstruct", help="fill in the indirect time domain of a NUS file")
    rec.add_argument("-in", dest="inp", required=True, help="NMRPipe input (.ft1, sampled rows)")
    rec.add_argument("-sample", required=True, help="nuslist: 0-based sampled increments")
    rec.add_argument("-method", choices=sorted(METHODS), default="lr")
    rec.add_argument("-out", required=True, help="NMRPipe output file")
    rec.add_argument("-xN", dest="xn", type=int, default=None,
                     help="complex points of the full F1 grid (default: last index + 1)")
    rec.add_argument("-iter", dest="iterations", type=int, default=None,
                     help="iterations (lr: max ADMM iterations, paper 300; ist: 400)")
    rec.add_argument("-device", default="cpu", help="torch device: cpu or cuda")
    rec.add_argument("-batch", type=int, default=None, help="columns per chunk")
    return parser


def reconstruct_file(inp: str, sample: str, out: str, method: str = "lr",
                     xn: int | None = None, device: str = "cpu", iterations: int | None = None,
                     batch: int | None = None) -> dict:
    """Reconstruct an NMRPipe NUS file (see the module docstring); returns a summary dict."""
    from nmrlib.nmrio import read_pipe_ft1, write_pipe
    from nmrlib.nus.reconstruct import expand_sampled, reconstruct
    from nmrlib.nus.schedules import read_nuslist

    ds = read_pipe_ft1(inp)
    sched = np.asarray(read_nuslist(sample))
    if sched.ndim != 1:
        raise ValueError(f"{sample}: expected one column (2D data), found {sched.shape[1]}")
    grid = int(xn or (sched.max() + 1))
    if ds.n_indirect != len(sched):
        raise ValueError(f"{inp} holds {ds.n_indirect} complex F1 increments but {sample} lists "
                         f"{len(sched)}: give the measured increments only (not pre-expanded)")
    fid, mask = expand_sampled(ds.traces, sched, grid)
    options: dict = {"device": device}
    if iterations is not None and method in {"lr", "ist"}:
        options["max_iter" if method == "lr" else "iterations"] = iterations
    start = time.perf_counter()
    full = reconstruct(fid, mask, method, batch_size=batch, **options)
    seconds = time.perf_counter() - start
    write_pipe(out, ds.with_traces(full.astype(np.complex64)))
    return {"columns": int(fid.shape[0]), "sampled": int(mask.sum()), "grid": grid,
            "method": method, "seconds": seconds, "out": str(out)}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["nus"]:                     # called as ``python -m nmrlib nus ...``
        argv = argv[1:]
    args = _parser().parse_args(argv)
    try:
        info = reconstruct_file(args.inp, args.sample, args.out, args.method, args.xn,
                                args.device, args.iterations, args.batch)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{info['method']}: {info['columns']} columns, {info['sampled']} of {info['grid']} "
          f"complex F1 points sampled, {info['seconds']:.1f} s -> {info['out']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
