"""The shared core both papers stand on.

* :mod:`~nmrlib.core.repro` -- seeds and random streams, thread counts, the environment
  report, source fingerprints, atomic output, checked checkpoints (``save_torch`` /
  ``load_torch``), JSON results.
* :mod:`~nmrlib.core.cli` -- one-line errors for every command.
* :mod:`~nmrlib.core.plotting` -- NMR plotting conventions (ppm axes decreasing, contour
  levels as geometric multiples of the noise sigma, negatives shown).
* :mod:`~nmrlib.core.realdata` -- the registry of real data sets (pooch, sha256-checked).
* :mod:`~nmrlib.core.distributed`, :mod:`~nmrlib.core.sync_batchnorm`,
  :mod:`~nmrlib.core.gpus`, :mod:`~nmrlib.core.shards` -- scale-out across processes/GPUs.
* :mod:`~nmrlib.core.papers` (the papers' cited numbers), :mod:`~nmrlib.core.scorecard`
  (ours beside theirs), :mod:`~nmrlib.core.notebooks` (the papermill runner) and
  :mod:`~nmrlib.core.report` (the HTML report).

Nothing in ``core`` imports from :mod:`nmrlib.tocsy` or :mod:`nmrlib.nus` at import time;
the scorecard reads their results JSON only.
"""

__all__ = ["cli", "distributed", "gpus", "notebooks", "papers", "plotting", "realdata",
           "report", "repro", "scorecard", "shards", "sync_batchnorm"]
