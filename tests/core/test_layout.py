"""The package layout: old import paths warn, layers import downwards only, notebooks hold
no functions, modules and functions stay small enough to read."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

from nmrlib._aliases import MOVED

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "nmrlib"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_import_path_warns_and_gives_the_moved_module(old):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])
    assert any(issubclass(w.category, DeprecationWarning) and MOVED[old] in str(w.message)
               for w in caught)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _package_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


@pytest.mark.parametrize("path", [p for p in MODULES if _package_of(p) == "core"],
                         ids=lambda p: p.name)
def test_core_never_imports_a_paper_subpackage_at_import_time(path):
    bad = {m for m in _imports(path, top_level_only=True)
           if m.startswith(("nmrlib.tocsy", "nmrlib.nus"))}
    assert not bad, f"{path.name} imports {bad} at module level"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "explorer.py"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nothing_below_the_ui_imports_the_explorer(path):
    assert "nmrlib.nus.explorer" not in _imports(path, top_level_only=False)


def test_the_two_papers_do_not_import_each_other():
    for path in MODULES:
        pkg = _package_of(path)
        other = {"tocsy": "nmrlib.nus", "nus": "nmrlib.tocsy"}.get(pkg)
        if other:
            assert not {m for m in _imports(path, False) if m.startswith(other)}, path


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_under_about_500_lines(path):
    assert len(path.read_text().splitlines()) <= 520, f"{path} is too long to hold in one's head"


@pytest.mark.parametrize("source", sorted((ROOT / "notebooks").glob("[0-9]*.py")),
                         ids=lambda p: p.stem)
def test_notebooks_define_no_functions(source):
    """Notebooks orchestrate and plot; logic lives in nmrlib where tests reach it."""
    tree = ast.parse(source.read_text())
    defined = [f"{type(n).__name__} at line {n.lineno}" for n in ast.walk(tree)
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
    assert not defined, f"{source.name} defines {defined}"
