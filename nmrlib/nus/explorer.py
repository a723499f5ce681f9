"""NUS explorer: retrospective NUS + reconstruction of 2D spectra, live in Jupyter.

A data set is a :class:`~nmrlib.nus.studies.ReferenceSet`: the fully sampled indirect time domain
(direct dimension processed, shape (n_direct, n_indirect) complex), a function turning
such traces into the real 2D spectrum (rows = indirect/F1, columns = direct/F2) and the
ppm axes. For a NUS level, schedule seed and method the explorer draws a Poisson-gap
schedule (``nmrlib.nus.schedules.poisson_gap``), keeps only the sampled t1 points,
reconstructs with ``nmrlib.nus.reconstruct`` and shows the reconstruction beside the
reference with *identical* contour levels (geometric multiples of the reference's noise
sigma), a 1D F1 trace through the strongest peak, the peak-intensity R²
(``nmrlib.nus.metrics.peak_intensity_r2``) and the reconstruction's wall-clock time.

``interactive=True`` builds ipywidgets (sliders for NUS level and seed, dropdowns for
method and data set) and redraws on every change; ``interactive=False`` (headless,
papermill, tests) renders a static grid over NUS levels for one seed instead.
Reconstructions are cached per (data set, level, seed, method).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nmrlib.core.plotting import contour2d
from nmrlib.nus.studies import ReferenceSet, schedule_mask, score_schedule

LEVELS = (0.10, 0.15, 0.20, 0.25, 0.30)


@dataclass
class Outcome:
    """One reconstruction: spectrum, peak-intensity R², wall-clock seconds, sampled points."""

    spectrum: np.ndarray
    r2: float
    seconds: float
    m: int


class Explorer:
    """Reconstruct-and-score engine behind the widgets (usable without Jupyter)."""

    def __init__(self, datasets: Sequence[ReferenceSet], *, device: str = "cpu",
                 options: dict[str, dict] | None = None, threshold_sigma: float = 10.0):
        if not datasets:
            raise ValueError("the explorer needs at least one data set")
        self.datasets = {d.name: d for d in datasets}
        self.device = device
        self.options = options or {}
        self.threshold_sigma = threshold_sigma
        self._cache: dict[tuple, Outcome] = {}

    def run(self, name: str, level: float, seed: int, method: str) -> Outcome:
        key = (name, round(level, 4), seed, method)
        if key not in self._cache:
            data = self.datasets[name]
            mask = schedule_mask(data.fid.shape[1], level, seed)
            spectrum, score, seconds = score_schedule(
                data.fid, mask, data.reference, data.to_spectrum, method, device=self.device,
                options=self.options.get(method, {}), threshold_sigma=self.threshold_sigma)
            self._cache[key] = Outcome(spectrum, float(score["r2"]), seconds, int(mask.sum()))
        return self._cache[key]

    def draw(self, fig, name: str, level: float, seed: int, method: str) -> Outcome:
        """Reference | reconstruction (same contour levels) | F1 trace, into ``fig``."""
        data = self.datasets[name]
        out = self.run(name, level, seed, method)
        fig.clear()
        ax_ref, ax_rec, ax_tr = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.8]})
        contour2d(ax_ref, data.reference, data.x_ppm, data.y_ppm, data.levels)
        ax_ref.set_title(f"{name}: fully sampled")
        contour2d(ax_rec, out.spectrum, data.x_ppm, data.y_ppm, data.levels)
        ax_rec.set_title(f"{method.upper()} {level:.0%} NUS (seed {seed})")
        col = int(np.unravel_index(np.argmax(data.reference), data.reference.shape)[1])
        for ax in (ax_ref, ax_rec):
            ax.axvline(data.x_ppm[col], color="0.6", lw=0.6, ls=":")
        ax_tr.plot(data.y_ppm, data.reference[:, col], color="k", lw=1, label="reference")
        ax_tr.plot(data.y_ppm, out.spectrum[:, col], color="C1", lw=1, label=method.upper())
        ax_tr.set_xlim(float(data.y_ppm.max()), float(data.y_ppm.min()))
        ax_tr.set_xlabel("F1 δ (ppm)")
        ax_tr.set_title(f"F1 trace at {data.x_ppm[col]:.2f} ppm")
        ax_tr.legend(fontsize=8)
        fig.suptitle(f"R² = {out.r2:.4f}   time {out.seconds:.2f} s   "
                     f"({out.m} of {data.fid.shape[1]} t1 points)")
        return out

    def grid(self, name: str, levels: Sequence[float], seed: int, methods: Sequence[str]):
        """Static figure: rows = methods, columns = reference + one per NUS level."""
        import matplotlib.pyplot as plt

        data = self.datasets[name]
        fig, axes = plt.subplots(len(methods), len(levels) + 1, squeeze=False,
                                 figsize=(2.6 * (len(levels) + 1), 2.4 * len(methods)))
        table = []
        for row, method in enumerate(methods):
            contour2d(axes[row, 0], data.reference, data.x_ppm, data.y_ppm, data.levels)
            axes[row, 0].set_title("reference", fontsize=9)
            axes[row, 0].set_ylabel(method.upper())
            for col, level in enumerate(levels, start=1):
                out = self.run(name, level, seed, method)
                contour2d(axes[row, col], out.spectrum, data.x_ppm, data.y_ppm, data.levels)
                axes[row, col].set_title(f"{level:.0%}: R² {out.r2:.3f}, {out.seconds:.1f} s",
                                         fontsize=9)
                table.append({"method": method, "level": level, "r2": out.r2,
                              "seconds": out.seconds})
        fig.suptitle(f"{name}: NUS explorer (seed {seed}; identical contour levels)")
        fig.tight_layout()
        return fig, table


def nus_explorer(datasets: Sequence[ReferenceSet], *,
                 methods: Sequence[str] = ("dl", "unrolled", "lr", "ist"),
                 levels: Sequence[float] = LEVELS, seed: int = 0, interactive: bool = True,
                 device: str = "cpu", options: dict[str, dict] | None = None):
    """The NUS explorer. Interactive: returns the ipywidgets box (display it); static:
    returns ``(figure, table)`` for the first data set over ``levels``."""
    explorer = Explorer(datasets, device=device, options=options)
    if not interactive:
        return explorer.grid(datasets[0].name, levels, seed, methods)
    import ipywidgets as w
    import matplotlib.pyplot as plt

    level = w.SelectionSlider(options=[(f"{v:.0%}", v) for v in levels],
                              value=levels[len(levels) // 2], description="NUS level")
    seed_w = w.IntSlider(value=seed, min=0, max=99, description="schedule seed")
    method = w.Dropdown(options=[(m.upper(), m) for m in methods], description="method")
    dataset = w.Dropdown(options=list(explorer.datasets), description="data set")
    output = w.Output()
    status = w.HTML()

    def update(_=None) -> None:
        status.value = "<i>reconstructing...</i>"
        with output:
            output.clear_output(wait=True)
            fig = plt.figure(figsize=(13, 4))
            out = explorer.draw(fig, dataset.value, level.value, seed_w.value, method.value)
            plt.show()
        status.value = f"R² = {out.r2:.4f}, {out.seconds:.2f} s"

    for control in (level, seed_w, method, dataset):
        control.observe(update, names="value")
    update()
    return w.VBox([w.HBox([dataset, method]), w.HBox([level, seed_w]), status, output])
