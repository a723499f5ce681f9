"""NMRPipe-style NUS reconstruction from the command line.

    python -m nmrlib.nus reconstruct -in hdac_ex.ft1 -sample ss_hdac.out [-method unrolled] \\
        -out hdac_rec.ft1 [-xN 192] [-iter 300] [-p0 94 -p1 0] [-device cpu] [-ov]

Input: an NMRPipe file with F2 processed (real) and F1 in the time domain holding only
the measured increments, in nuslist order (as nusExpand/istHMS expect). The nuslist gives
their 0-based complex-point indices. Output: the same header with the F1 time domain
filled in on the full grid of ``-xN`` complex points (default: last index + 1), ready for
the usual F1 processing (SP/ZF/FT/PS).

LR's default (``nmrlib.nus.lowrank.auto_options``) works on the virtual echo, which needs
the F1 phase: give it as ``-p0``/``-p1`` (degrees, NMRPipe PS convention; the echo needs
p1 = 0), else it is estimated from the data; the summary line says which phase was used.

Safety, as NMRPipe: an existing output is replaced only with ``-ov``, and never when it is
the input or the nuslist, a folder, a FIFO or a device node. The output is written to a
hidden temporary file in the same folder and renamed into place, so an interrupted run
(Ctrl-C: exit 130) leaves the old file, or none, never a partial one. Every error is one
line on stderr starting ``error:``, with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from nmrlib.core.cli import CliParser, error_line
from nmrlib.nus.reconstruct import METHODS
from nmrlib.nus.schedules import MAX_GRID_POINTS

ITERATION_OPTION = {"lr": "max_iter", "ist": "iterations", "unrolled": "iterations"}


def _parser() -> argparse.ArgumentParser:
    parser = CliParser(prog="python -m nmrlib.nus",
                       description="NUS reconstruction of NMRPipe .ft1 data")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=CliParser)
    rec = sub.add_parser("reconstruct", help="fill in the indirect time domain of a NUS file")
    rec.add_argument("-in", dest="inp", required=True, help="NMRPipe input (.ft1, sampled rows)")
    rec.add_argument("-sample", required=True, help="nuslist: 0-based sampled increments")
    rec.add_argument("-method", choices=sorted(METHODS), default="unrolled",
                     help="default unrolled: the learned unrolled IST (>= IST and zero filling "
                          "on the real sets measured, and fastest; see nmrlib.nus.unrolled)")
    rec.add_argument("-out", required=True, help="NMRPipe output file")
    rec.add_argument("-ov", dest="overwrite", action="store_true",
                     help="replace the output file if it exists (as NMRPipe's -ov)")
    rec.add_argument("-xN", dest="xn", type=int, default=None,
                     help="complex points of the full F1 grid (default: last index + 1)")
    rec.add_argument("-iter", dest="iterations", type=int, default=None,
                     help="iterations (lr: max ADMM iterations, paper 300; ist: 400; "
                          "unrolled: its trained 200)")
    rec.add_argument("-p0", dest="p0", type=float, default=None,
                     help="lr: F1 zero-order phase in degrees (NMRPipe PS -p0), for the virtual "
                          "echo; default: estimated from the data")
    rec.add_argument("-p1", dest="p1", type=float, default=None,
                     help="lr: F1 first-order phase in degrees (NMRPipe PS -p1); the echo "
                          "needs 0 (default)")
    rec.add_argument("-device", default="cpu", help="torch device: cpu or cuda")
    rec.add_argument("-batch", type=int, default=None, help="columns per chunk")
    return parser


def _same_file(a: Path, b: Path) -> bool:
    """True when a and b name the same file (after symlinks, or as hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_arguments(inp: str, sample: str, out: str, method: str, xn: int | None,
                     iterations: int | None, batch: int | None, overwrite: bool,
                     phase: tuple = (None, None)) -> None:
    """Everything that can be checked before reading data (ValueError / OSError)."""
    from nmrlib.core.repro import check_output

    if method not in METHODS:
        raise ValueError(f"unknown NUS reconstruction method {method!r}; choose from "
                         f"{', '.join(sorted(METHODS))}")
    if iterations is not None:
        if method not in ITERATION_OPTION:
            names = list(ITERATION_OPTION)
            raise ValueError(f"-iter applies to methods {', '.join(names[:-1])} and "
                             f"{names[-1]}, not {method}")
        if iterations < 1:
            raise ValueError(f"-iter must be a positive number of iterations, got {iterations}")
    if any(p is not None for p in phase):
        if method != "lr":
            raise ValueError(f"-p0/-p1 apply to method lr, not {method}")
        if not all(p is None or np.isfinite(p) for p in phase):
            raise ValueError(f"-p0/-p1 must be finite degrees, got {phase}")
    if xn is not None and not 1 <= xn <= MAX_GRID_POINTS:
        raise ValueError(f"-xN must lie in [1, {MAX_GRID_POINTS}] complex points, got {xn}")
    if batch is not None and batch < 1:
        raise ValueError(f"-batch must be a positive number of columns, got {batch}")
    for name, path in (("-in", inp), ("-sample", sample)):
        if _same_file(Path(out), Path(path)):
            raise ValueError(f"-out {out} is the same file as {name} {path}; refusing to "
                             "overwrite an input")
    check_output(out, overwrite=overwrite)


def reconstruct_file(inp: str, sample: str, out: str, method: str = "lr",
                     xn: int | None = None, device: str = "cpu", iterations: int | None = None,
                     batch: int | None = None, overwrite: bool = False,
                     p0: float | None = None, p1: float | None = None) -> dict:
    """Reconstruct an NMRPipe NUS file (see the module docstring); returns a summary dict.

    Raises ValueError / OSError (FileNotFoundError, FileExistsError, ...) with a message
    naming the problem; ``out`` is replaced only with ``overwrite`` and never partially.
    """
    from nmrlib.nus.nmrio import read_pipe_ft1, write_pipe
    from nmrlib.nus.reconstruct import expand_sampled, reconstruct
    from nmrlib.nus.schedules import read_nuslist

    _check_arguments(inp, sample, out, method, xn, iterations, batch, overwrite, (p0, p1))
    ds = read_pipe_ft1(inp)
    sched = np.asarray(read_nuslist(sample))
    if sched.ndim != 1:
        raise ValueError(f"{sample}: expected one column (2D data), found {sched.shape[1]}")
    grid = int(sched.max() + 1 if xn is None else xn)
    if grid > MAX_GRID_POINTS:
        raise ValueError(f"{sample}: index {sched.max()} needs a grid larger than the "
                         f"supported {MAX_GRID_POINTS} points")
    if ds.n_indirect != len(sched):
        raise ValueError(f"{inp} holds {ds.n_indirect} complex F1 increments but {sample} lists "
                         f"{len(sched)}: give the measured increments only (not pre-expanded)")
    try:
        fid, mask = expand_sampled(ds.traces, sched, grid)
    except ValueError as err:
        raise ValueError(f"{sample}: {err} (grid -xN {grid})") from err
    options: dict = {"device": device}
    if iterations is not None:
        options[ITERATION_OPTION[method]] = iterations
    start = time.perf_counter()
    note = ""
    if method == "lr":   # the default LR uses the echo with this phase (given or estimated)
        from nmrlib.nus.lrauto import auto_options

        given = {k: v for k, v in (("p0", p0), ("p1", p1)) if v is not None}
        options.update(auto_options(fid.astype(np.complex64), mask, given))
        note = (f"; F1 phase p0 {options['p0']:.1f} p1 {options.get('p1', 0.0):g} "
                + ("(given)" if p0 is not None else "(estimated from the data)")
                if options["virtual_echo"] else "; no virtual echo (p1 is not 0)")
    full = reconstruct(fid, mask, method, batch_size=batch, **options)
    seconds = time.perf_counter() - start
    write_pipe(out, ds.with_traces(full.astype(np.complex64)), overwrite=overwrite)
    return {"columns": int(fid.shape[0]), "sampled": int(mask.sum()), "grid": grid,
            "method": method, "seconds": seconds, "out": str(out), "note": note}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns 0, 2 (bad input, one ``error:`` line) or 130 (Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["nus"]:                     # called as ``python -m nmrlib nus ...``
        argv = argv[1:]
    try:
        args = _parser().parse_args(argv)
    except SystemExit as stop:  # -h, or a usage error already reported on one line
        return int(stop.code or 0)
    try:
        info = reconstruct_file(args.inp, args.sample, args.out, args.method, args.xn,
                                args.device, args.iterations, args.batch, args.overwrite,
                                args.p0, args.p1)
    except KeyboardInterrupt:
        print(f"error: interrupted; {args.out} left as it was", file=sys.stderr)
        return 130
    except (ValueError, OSError, RuntimeError) as err:
        print(f"error: {error_line(err)}", file=sys.stderr)
        return 2
    print(f"{info['method']}: {info['columns']} columns, {info['sampled']} of {info['grid']} "
          f"complex F1 points sampled, {info['seconds']:.1f} s -> {info['out']}{info['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
