"""Old import paths of nmrlib 0.1 (flat modules), kept for one release as warning aliases.

``import nmrlib.spin`` still works and gives the module that now lives at
``nmrlib.tocsy.spin``, with a :class:`DeprecationWarning` naming the new path. The table
is the whole map from the flat layout to the subpackages; it is removed in 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED: dict[str, str] = {
    "nmrlib.aminoacids": "nmrlib.tocsy.residues",
    "nmrlib.audio": "nmrlib.tocsy.audio",
    "nmrlib.classification_tables": "nmrlib.tocsy.tables",
    "nmrlib.dataset": "nmrlib.tocsy.corpus",
    "nmrlib.models": "nmrlib.tocsy.models",
    "nmrlib.pretrained": "nmrlib.tocsy.pretrained",
    "nmrlib.spin": "nmrlib.tocsy.spin",
    "nmrlib.training": "nmrlib.tocsy.training",
    "nmrlib.metrics": "nmrlib.nus.metrics",
    "nmrlib.nmrio": "nmrlib.nus.nmrio",
    "nmrlib.widgets": "nmrlib.nus.explorer",
    "nmrlib.cli": "nmrlib.core.cli",
    "nmrlib.distributed": "nmrlib.core.distributed",
    "nmrlib.gpus": "nmrlib.core.gpus",
    "nmrlib.notebooks": "nmrlib.core.notebooks",
    "nmrlib.papers": "nmrlib.core.papers",
    "nmrlib.plotting": "nmrlib.core.plotting",
    "nmrlib.realdata": "nmrlib.core.realdata",
    "nmrlib.report": "nmrlib.core.report",
    "nmrlib.repro": "nmrlib.core.repro",
    "nmrlib.shards": "nmrlib.core.shards",
    "nmrlib.sync_batchnorm": "nmrlib.core.sync_batchnorm",
}


class _MovedModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves an old module name to the module at its new path (the same object)."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name in MOVED else None

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {MOVED[spec.name]}; the old path is removed in "
                      "nmrlib 0.3", DeprecationWarning, stacklevel=2)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module) -> None:
        """Nothing to run: the module was executed under its new name."""


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
