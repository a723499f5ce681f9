"""DLNMR weight files against IST and zero filling on the real 2D sets (peak-intensity R²).

For each fully sampled real 2D set of ``nmrlib.core.realdata`` (``--sets``, registry names; each
fetched by name and checked by sha256), the
``--columns`` F2 window holding the most reference peaks (``peak_window``, as notebook 08's
quick profile) is undersampled with ``--schedules`` Poisson-gap schedules per level (the
same schedules for every method) and reconstructed by each weight file (``label=path``)
and by ``ist`` / ``zf``; the table gives R² mean ± sd over the schedules. Use it to judge
new weights (training length, synthetic-data choices) on data none of them was trained on.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_dl_real.py \
        --weights dl10=nmrlib/data/dlnmr_10stage.pt --schedules 10
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_dl_real.py --realdata ../shared/realdata \
        --unrolled unrolled --levels 0.10 0.15 0.20 --schedules 10
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def evaluate(data, methods: dict, levels, n_schedules: int) -> dict:
    """``{label: {level: [R² per schedule]}}``; a method is a DLNMR weight path, "ist", "zf",
    or ``("unrolled", path)`` (unrolled IST weights; path None: the committed ones)."""
    from nmrlib.nus.metrics import pick_peaks
    from nmrlib.nus.studies import ZERO_FILLED, schedule_mask, score_schedule

    peaks = pick_peaks(data.reference, threshold_sigma=10.0)
    n = data.fid.shape[1]
    out = {label: {lv: [] for lv in levels} for label in methods}
    for level in levels:
        for k in range(n_schedules):
            mask = schedule_mask(n, level, k)
            for label, how in methods.items():
                if how in ("zf", "ist"):
                    method, options = {"zf": ZERO_FILLED, "ist": "ist"}[how], None
                elif isinstance(how, tuple):
                    method, options = "unrolled", {"weights": how[1]} if how[1] else {}
                else:
                    method, options = "dl", {"weights": how}
                _, score, _ = score_schedule(data.fid, mask, data.reference, data.to_spectrum,
                                             method, options=options, peaks=peaks)
                out[label][level].append(float(score["r2"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", nargs="+", default=[], metavar="LABEL=PATH")
    parser.add_argument("--unrolled", nargs="+", default=[], metavar="LABEL=PATH",
                        help="unrolled IST weight files (label 'unrolled' alone: the "
                             "committed weights)")
    parser.add_argument("--baselines", nargs="*", default=["ist", "zf"], choices=["ist", "zf"])
    from nmrlib.core.realdata import names

    parser.add_argument("--sets", nargs="+", default=names("nus-r2"), choices=names("nus-r2"))
    parser.add_argument("--levels", type=float, nargs="+", default=[0.10, 0.15, 0.20, 0.25])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--columns", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from nmrlib.core.repro import set_threads
    from nmrlib.nus.dleval import load_real_set, peak_window

    set_threads(args.threads)
    methods = {}
    for item in args.weights:
        label, sep, path = item.partition("=")
        if not sep or not Path(path).is_file():
            parser.error(f"--weights takes LABEL=PATH with an existing file, got {item!r}")
        methods[label] = path
    for item in args.unrolled:
        label, sep, path = item.partition("=")
        if sep and not Path(path).is_file():
            parser.error(f"--unrolled takes LABEL[=PATH] with an existing file, got {item!r}")
        methods[label] = ("unrolled", path or None)
    methods.update({b: b for b in args.baselines})
    print(f"R² mean ± sd over {args.schedules} Poisson-gap schedules per level, "
          f"{args.columns}-column peak window")
    print(f"{'set':<32}{'method':<10}" + "".join(f"{lv:>16.0%}" for lv in args.levels))
    for name in args.sets:
        try:
            data = peak_window(load_real_set(name), args.columns)
        except (OSError, ValueError) as err:
            print(f"{name:<32}not run: {err}")
            continue
        scores = evaluate(data, methods, args.levels, args.schedules)
        for label, per in scores.items():
            print(f"{name:<32}{label:<10}" + "".join(
                f"{np.mean(r):>9.3f} ± {np.std(r):.3f}" for r in per.values()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
