"""LR's default (``algorithm="auto"``) against IST and zero filling: R² and seconds per
spectrum, with variants of LR's speed options.

For each real 2D set (``--sets``, registry names) the ``--columns`` F2 window holding the
most reference peaks is undersampled with ``--schedules`` Poisson-gap schedules per level
(``nmrlib.nus.studies.schedule_mask``, the same for every method) and reconstructed by IST
and by LR with each of ``--variants`` (:data:`VARIANTS`: "default" (one rank cap for the batch = the
measured points); "noise" the opt-in per-trace caps of :mod:`nmrlib.nus.lrrank`; "double"
the complex128 small problems of the one before; "uncapped" no truncated SVT; "warm"
the opt-in IST warm start with a lower, shorter threshold schedule; "cap32" a fixed
rank cap of 32); LR gets the set's
F1 phase (as the notebooks). Zero filling ("zf") is scored too. Printed: R² mean ± sd,
mean wall seconds and mean CPU seconds of this thread per reconstruction (CPU time is
what a shared machine does not distort), and the time ratio LR / IST on each (the
issue's target: at most 10 at equal R²).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python bench/bench_lr_speed.py \
        --schedules 10 --levels 0.10 0.15 0.20 --variants default noise
"""

from __future__ import annotations

import argparse
import time

import numpy as np

VARIANTS = {"default": {}, "noise": {"max_rank": "noise"},
            "double": {"precision": "double"},
            "uncapped": {"max_rank": None},
            "warm": {"init": "ist", "i_mult": 0.5, "max_iter": 50}, "cap32": {"max_rank": 32}}


def score(data, mask, method: str, options: dict, peaks) -> tuple[float, float, float]:
    """(peak-intensity R², wall seconds, CPU seconds) of one reconstruction of ``data``
    sampled at ``mask`` (method "zf": the zero-filled data, no time)."""
    from nmrlib.nus.metrics import peak_intensity_r2
    from nmrlib.nus.studies import timed_reconstruct

    if method == "zf":
        full, seconds, cpu = data.fid * mask, 0.0, 0.0
    else:
        cpu = time.thread_time()
        full, seconds = timed_reconstruct(data.fid, mask, method, options=options)
        cpu = time.thread_time() - cpu
    spectrum = np.real(data.to_spectrum(full))
    return float(peak_intensity_r2(data.reference, spectrum, peaks=peaks)["r2"]), seconds, cpu


def _line(name: str, level: float, label: str, rows: list, ist: tuple) -> str:
    r2, sec, cpu = np.array(rows).T
    ratio = "" if label in {"ist", "zf"} else \
        f"  x{sec.mean() / ist[0]:5.1f} / x{cpu.mean() / ist[1]:5.1f} IST"
    return (f"{name:<32}{level:>5.0%}  {label:<12}{r2.mean():.3f} ± {r2.std():.3f}"
            f"  {sec.mean():7.3f} s  {cpu.mean():7.3f} s cpu{ratio}")


def main(argv: list[str] | None = None) -> int:
    from nmrlib.core.realdata import names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=names("nus-r2"), choices=names("nus-r2"))
    parser.add_argument("--levels", type=float, nargs="+", default=[0.10, 0.15, 0.20])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--columns", type=int, default=16)
    parser.add_argument("--variants", nargs="+", default=["default", "noise"],
                        choices=sorted(VARIANTS), help="LR settings (see VARIANTS)")
    args = parser.parse_args(argv)
    from nmrlib.core.repro import set_threads
    from nmrlib.nus.dleval import load_real_set, lr_options_for, peak_window
    from nmrlib.nus.metrics import pick_peaks
    from nmrlib.nus.studies import schedule_mask

    set_threads(1)
    print(f"R² mean ± sd, mean wall and CPU s per spectrum over {args.schedules} schedules, "
          f"{args.columns}-column peak window, one thread")
    for name in args.sets:
        data = peak_window(load_real_set(name), args.columns)
        peaks = pick_peaks(data.reference, threshold_sigma=10.0)
        lr = lr_options_for(name, {"virtual_echo": True})
        methods = {"zf": ("zf", {}), "ist": ("ist", {})} | {
            f"lr {v}": ("lr", dict(lr, **VARIANTS[v])) for v in args.variants}
        for level in args.levels:
            got = {label: [] for label in methods}
            for k in range(args.schedules):
                mask = schedule_mask(data.fid.shape[1], level, k)
                for label, (method, options) in methods.items():
                    got[label].append(score(data, mask, method, options, peaks))
            ist = tuple(np.array(got["ist"])[:, 1:].mean(0))
            for label, rows in got.items():
                print(_line(name, level, label, rows, ist), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
