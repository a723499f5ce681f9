"""nmrlib: a reproducible companion to two NMR deep-learning papers.

Each paper has its own subpackage; both stand on a small shared core.

* :mod:`nmrlib.tocsy` -- Yip et al., amino-acid classification from simulated 2D 1H-1H
  TOCSY spectra with speaker-embedding models: residues -> spin physics -> corpus ->
  audio -> models -> training -> tables.
* :mod:`nmrlib.nus` -- Qu et al., DLNMR: schedules -> reconstruction (IST, low-rank
  Hankel, DLNMR, unrolled IST) -> I/O and processing -> metrics -> studies -> explorer.
* :mod:`nmrlib.core` -- reproducibility (seeds, atomic files, checkpoints, fingerprints),
  the command line, plotting conventions, the data registry, scale-out, the papers' cited
  numbers, the scorecard, the notebook runner and the report.

Data walks one way: inputs -> model -> results JSON -> notebook -> report. Importing
``nmrlib`` is light: torch, speechbrain and nmrglue are imported by the modules that need
them, never here. The flat module names of 0.1 (``nmrlib.spin``, ...) still import, with a
DeprecationWarning (:mod:`nmrlib._aliases`).
"""

from nmrlib import _aliases

__version__ = "0.1.0"
__all__ = ["core", "nus", "tocsy", "__version__"]

_aliases.install()
