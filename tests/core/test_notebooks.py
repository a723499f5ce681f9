"""Notebook conventions: one literal parameters cell, profiles, golden notebooks in sync."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nmrlib.core.notebooks import (
    CHECK_MARK,
    PROFILES,
    load_profiles,
    notebook_sources,
    parameters_cell,
    parameters_for,
    read_source,
    strip_for_golden,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = notebook_sources(ROOT)
REQUIRED = {"profile", "seed", "results_dir", "figures_dir"}


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/NN_*.py found"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_single_literal_parameters_cell(source):
    _, values = parameters_cell(read_source(source))
    assert REQUIRED <= set(values), f"missing parameters {REQUIRED - set(values)}"
    assert values["profile"] in PROFILES


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_only_set_declared_parameters(source, profile):
    params = parameters_for(source, profile)
    assert params["profile"] == profile
    assert params["results_dir"] == f"results/{profile}"


def test_profiles_name_existing_notebooks():
    stems = {source.stem for source in SOURCES}
    dataset_keys = {"simulate"}
    assert set(load_profiles(ROOT)) - dataset_keys <= stems


def _code_cells(notebook):
    return [cell.source.strip() for cell in notebook.cells if cell.cell_type == "code"
            and "injected-parameters" not in cell.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_golden_notebook_is_in_sync_with_source(source):
    golden = ROOT / "tests" / "golden" / f"{source.stem}.ipynb"
    assert golden.exists(), f"no golden notebook for {source.name}: run `make golden`"
    stored = nbformat.read(golden, as_version=4)
    assert _code_cells(stored) == _code_cells(read_source(source)), (
        f"{golden.name} is out of date with {source.name}: run `make golden`"
    )
    checked = [c for c in stored.cells if c.cell_type == "code" and CHECK_MARK in c.source]
    assert checked, f"{source.name} has no {CHECK_MARK} cell"
    assert all(c.outputs for c in checked), "a checked cell has no stored output"


def test_strip_for_golden_keeps_only_checked_text():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text="1")]),
        nbformat.v4.new_code_cell(f"{CHECK_MARK}\nprint(2)",
                                  outputs=[nbformat.v4.new_output("stream", text="2")]),
    ]
    stripped = strip_for_golden(notebook)
    assert stripped.cells[0].outputs == []
    assert stripped.cells[1].outputs[0]["text"] == "2"


def test_bad_parameters_cell_is_rejected():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("n = len([1])", metadata={"tags": ["parameters"]})]
    with pytest.raises(ValueError, match="not a literal"):
        parameters_cell(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell("a = 1", metadata={"tags": ["parameters"]}))
    with pytest.raises(ValueError, match="exactly one"):
        parameters_cell(notebook)


def test_environment_yml_pins_match_requirements():
    pins = {line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    conda = set(re.findall(r"^\s+- (\S+==\S+)$", (ROOT / "environment.yml").read_text(), re.M))
    assert pins == conda


TINY = '''# %% tags=["parameters"]
profile = "smoke"
seed = 0
results_dir = "results/smoke"
figures_dir = "figures/smoke"
scale = 1

# %%
print("answer", 21 * scale)
'''


def test_cli_accepts_a_relative_output_as_the_makefile_passes_it(tmp_path):
    """``make reproduce`` runs ``python -m nmrlib notebook --output build/...`` from the root."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'tiny'\n")
    (tmp_path / "nmrlib").mkdir()            # marks the project root (see repro.project_root)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "99_tiny.py").write_text(TINY)
    output = "build/smoke/notebooks/99_tiny-double.ipynb"
    done = subprocess.run(
        [sys.executable, "-m", "nmrlib", "notebook", "--profile", "smoke", "--output", output,
         "-p", "scale=2", "notebooks/99_tiny.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"-> {output}" in done.stdout
    executed = nbformat.read(tmp_path / output, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "answer 42" in printed
    assert not list((tmp_path / "build").rglob("*.part.ipynb"))
