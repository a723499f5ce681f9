"""LR's default (``algorithm="auto"``) against IST: R² and seconds per spectrum, with and
without the truncated SVT (``max_rank="auto"``, the default, against ``max_rank=None``).

For each real 2D set (``--sets``, registry names) the ``--columns`` F2 window holding the
most reference peaks is undersampled with ``--schedules`` Poisson-gap schedules per level
(``nmrlib.nus.dleval.schedule_mask``, the same for every method) and reconstructed by IST
and by LR with each ``--variants`` setting of ``max_rank``; LR gets the set's F1 phase
(as the notebooks). Printed: R² mean ± sd, mean seconds per reconstruction, and the time
ratio LR / IST (the issue's target: at most 10 at equal R²).

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/python bench/bench_lr_speed.py \
        --schedules 10 --levels 0.10 0.15 0.20
"""

from __future__ import annotations

import argparse

import numpy as np

VARIANTS = {"auto": "auto", "none": None}


def score(data, mask, method: str, options: dict, peaks) -> tuple[float, float]:
    """(peak-intensity R², seconds) of one reconstruction of ``data`` sampled at ``mask``."""
    from nmrlib.nus.metrics import peak_intensity_r2
    from nmrlib.nus.studies import timed_reconstruct

    full, seconds = timed_reconstruct(data.fid, mask, method, options=options)
    spectrum = np.real(data.to_spectrum(full))
    return float(peak_intensity_r2(data.reference, spectrum, peaks=peaks)["r2"]), seconds


def main(argv: list[str] | None = None) -> int:
    from nmrlib.core.realdata import names

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=names("nus-r2"), choices=names("nus-r2"))
    parser.add_argument("--levels", type=float, nargs="+", default=[0.10, 0.15, 0.20])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--columns", type=int, default=16)
    parser.add_argument("--variants", nargs="+", default=["auto", "none"],
                        choices=sorted(VARIANTS), help="max_rank settings of LR")
    args = parser.parse_args(argv)
    from nmrlib.core.repro import set_threads
    from nmrlib.nus.dleval import load_real_set, lr_options_for, peak_window, schedule_mask
    from nmrlib.nus.metrics import pick_peaks

    set_threads(1)
    print(f"R² mean ± sd (mean s per spectrum) over {args.schedules} schedules, "
          f"{args.columns}-column peak window, one thread")
    for name in args.sets:
        data = peak_window(load_real_set(name), args.columns)
        peaks = pick_peaks(data.reference, threshold_sigma=10.0)
        lr = lr_options_for(name, {"virtual_echo": True})
        methods = {"ist": ("ist", {})} | {f"lr max_rank={v}": ("lr", dict(
            lr, max_rank=VARIANTS[v])) for v in args.variants}
        for level in args.levels:
            got = {label: [] for label in methods}
            for k in range(args.schedules):
                mask = schedule_mask(data.fid.shape[1], level, k)
                for label, (method, options) in methods.items():
                    got[label].append(score(data, mask, method, options, peaks))
            ist_s = np.mean([s for _, s in got["ist"]])
            for label, pairs in got.items():
                r2, sec = np.array(pairs).T
                print(f"{name:<32}{level:>5.0%}  {label:<18}{r2.mean():.3f} ± {r2.std():.3f}"
                      f"  {sec.mean():7.3f} s  x{sec.mean() / ist_s:6.1f} IST", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
