"""Notebook pipeline: jupytext source -> papermill execution under a profile -> nbval golden.

* Sources are jupytext ``py:percent`` files ``notebooks/NN_name.py``; each has exactly one
  cell tagged ``parameters`` holding literals only.
* Profiles (``smoke`` for tests, ``quick`` for a CPU, ``paper`` for the paper's protocol on
  a GPU box) live in one place, ``notebooks/profiles.yml``: ``stem -> profile -> {name: value}``.
  The runner also sets ``profile``, ``results_dir``, ``figures_dir``, ``data_dir`` and
  ``device`` for every notebook that declares them.
* Executed notebooks go to ``build/<profile>/notebooks/<stem>.ipynb``; a run that fails
  leaves ``<stem>.failed.ipynb`` (with the traceback) and never a file that looks complete.
* Golden notebooks for nbval (``tests/golden/<stem>.ipynb``) are smoke runs with volatile
  metadata removed and only the outputs of ``# NBVAL_CHECK_OUTPUT`` cells kept.
"""

from __future__ import annotations

import argparse
import ast
import os
from contextlib import nullcontext
from pathlib import Path

from nmrlib.core.cli import CliParser
from nmrlib.core.gpus import gpu_slot
from nmrlib.core.repro import check_output, cuda_available, project_root

PROFILES = ("smoke", "quick", "paper")
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
AUTOMATIC = ("profile", "results_dir", "figures_dir", "data_dir", "device")


def notebook_sources(root: Path | None = None) -> list[Path]:
    """All notebook sources ``notebooks/*.py``, sorted by name."""
    return sorted((root or project_root()).joinpath("notebooks").glob("[0-9]*.py"))


def read_source(path: str | Path):
    """The jupytext source as an nbformat notebook (kernel python3)."""
    import jupytext

    notebook = jupytext.read(path)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3", "language": "python", "name": "python3",
    }
    return notebook


def parameters_cell(notebook) -> tuple[int, dict]:
    """Index and literal values of the notebook's single ``parameters`` cell.

    Raises ValueError unless there is exactly one such cell and it holds only
    assignments of literals to names.
    """
    found = [i for i, cell in enumerate(notebook.cells)
             if "parameters" in cell.get("metadata", {}).get("tags", [])]
    if len(found) != 1:
        raise ValueError(f"expected exactly one cell tagged 'parameters', found {len(found)}")
    values = {}
    for node in ast.parse(notebook.cells[found[0]].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            raise ValueError("the parameters cell may only assign literals to names")
        try:
            values[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError as err:
            raise ValueError(
                f"parameter {node.targets[0].id!r} is not a literal: {ast.unparse(node.value)}"
            ) from err
    return found[0], values


def load_profiles(root: Path | None = None) -> dict:
    """``notebooks/profiles.yml`` as a dict (empty when the file does not exist)."""
    import yaml

    path = (root or project_root()) / "notebooks" / "profiles.yml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    for stem, profiles in data.items():
        unknown = set(profiles or {}) - set(PROFILES)
        if unknown:
            raise ValueError(f"profiles.yml: {stem} has unknown profile(s) {sorted(unknown)}")
    return data


def parameters_for(source: str | Path, profile: str, **extra) -> dict:
    """Parameters papermill injects into ``source`` for ``profile`` (plus ``extra``)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    source = Path(source)
    _, declared = parameters_cell(read_source(source))
    automatic = {
        "profile": profile,
        "results_dir": f"results/{profile}",
        "figures_dir": f"figures/{profile}",
        "data_dir": f"data/{profile}",
        "device": "cuda" if cuda_available() else "cpu",
    }
    params = {k: v for k, v in automatic.items() if k in declared}
    params.update((load_profiles().get(source.stem) or {}).get(profile) or {})
    params.update(extra)
    unknown = set(params) - set(declared)
    if unknown:
        raise ValueError(f"{source.name}: parameters {sorted(unknown)} are not declared "
                         "in its parameters cell")
    return params


def execute(source: str | Path, profile: str, output: str | Path | None = None, *,
            overwrite: bool = False, **extra) -> Path:
    """Execute ``source`` with papermill under ``profile``; return the executed notebook path.

    The default output, ``build/<profile>/notebooks/<stem>.ipynb``, is the runner's own and
    is replaced; an explicit ``output`` must end in ``.ipynb``, may never be the source, and
    an existing one is replaced only with ``overwrite``. Either way the old file stays in
    place until the run has succeeded (the new notebook is written beside it and renamed).
    """
    import papermill

    source = Path(source).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"notebook source {source} not found" if not source.exists()
                                else f"notebook source {source} is not a regular file")
    root = project_root(source.parent)
    # a relative ``output`` is relative to the caller's working directory (as the Makefile
    # passes it), not to the notebook
    if output is None:
        overwrite = True
        output = root / "build" / profile / "notebooks" / f"{source.stem}.ipynb"
    output = Path(output).resolve()
    if output == source:
        raise ValueError(f"--output {output} is the notebook source itself; give another file")
    if output.suffix != ".ipynb":
        raise ValueError(f"--output {output} must end in .ipynb (it is an executed notebook)")
    params = parameters_for(source, profile, **extra)
    output.parent.mkdir(parents=True, exist_ok=True)
    check_output(output, overwrite=overwrite)
    partial = output.with_name(output.stem + ".part.ipynb")
    failed = output.with_name(output.stem + ".failed.ipynb")
    try:   # a folder we cannot write to fails now, not after the run
        partial.touch()
    except OSError as err:
        raise type(err)(f"cannot write the executed notebook into {output.parent}: "
                        f"{err.strerror}") from err
    failed.unlink(missing_ok=True)
    slot = (gpu_slot(root / "build" / "gpu-locks") if os.environ.get("NMRLIB_GPU_SLOTS")
            else nullcontext())
    try:
        with slot as gpu:       # make reproduce on a multi-GPU node: one GPU per run
            where = f" on GPU {gpu}" if gpu is not None else ""
            print(f"[{profile}] {source.name} -> {_shown(output, root)}{where}  parameters "
                  f"{params}")
            papermill.execute_notebook(
                read_source(source), str(partial), parameters=params, kernel_name="python3",
                cwd=str(root), progress_bar=False, report_mode=False,
            )
    except BaseException as err:
        if partial.exists():
            os.replace(partial, failed)
            print(f"failed: see {_shown(failed, root)}")
        if isinstance(err, papermill.PapermillExecutionError):  # the notebook's own error
            raise ValueError(f"{source.name} failed in cell {err.exec_count}: {err.ename}: "
                             f"{' '.join(str(err.evalue).split())[:200]} (executed notebook: "
                             f"{_shown(failed, root)}; {_shown(output, root)} left as it was)"
                             ) from err
        raise
    check_output(output, overwrite=overwrite)   # nothing appeared there meanwhile
    os.replace(partial, output)
    return output


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to the project root when it lies inside it, else absolute."""
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def strip_for_golden(notebook):
    """Keep only what nbval compares: the outputs of ``# NBVAL_CHECK_OUTPUT`` cells."""
    notebook.metadata = {"kernelspec": notebook.metadata.get("kernelspec", {}),
                         "language_info": {"name": "python"}}
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
        cell.metadata = {k: v for k, v in cell.get("metadata", {}).items() if k == "tags"}
        if cell.cell_type != "code":
            continue
        if CHECK_MARK not in cell.source:
            cell.outputs = []
        else:
            cell.outputs = [_strip_output(o) for o in cell.outputs if o.output_type == "stream"
                            or "text/plain" in o.get("data", {})]
    return notebook


def _strip_output(output):
    if "data" in output:
        output["data"] = {"text/plain": output["data"]["text/plain"]}
        output["metadata"] = {}
    return output


def make_golden(source: str | Path) -> Path:
    """Run ``source`` under the smoke profile and write ``tests/golden/<stem>.ipynb``."""
    import nbformat

    source = Path(source).resolve()
    root = project_root(source.parent)
    executed = execute(source, "smoke")
    golden = root / "tests" / "golden" / f"{source.stem}.ipynb"
    golden.parent.mkdir(parents=True, exist_ok=True)
    notebook = strip_for_golden(nbformat.read(executed, as_version=4))
    nbformat.write(notebook, golden)
    print(f"golden -> {golden.relative_to(root)}")
    return golden


def main(argv: list[str]) -> int:
    command = argv[0]
    parser = CliParser(
        prog=f"python -m nmrlib {command}",
        description="Execute notebooks with papermill under a profile"
        if command == "notebook" else "Refresh nbval golden notebooks (smoke profile)",
    )
    parser.add_argument("sources", nargs="*", type=Path,
                        help="notebook sources (default: every notebooks/NN_*.py)")
    if command == "notebook":
        parser.add_argument("--profile", choices=PROFILES, required=True)
        parser.add_argument("--output", type=Path,
                            help="executed notebook path, *.ipynb (one source; default "
                                 "build/<profile>/notebooks/<stem>.ipynb)")
        parser.add_argument("--overwrite", action="store_true",
                            help="replace an existing --output once the run has succeeded")
        parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                            help="set a declared parameter (VALUE parsed as YAML); repeatable")
    args = parser.parse_args(argv[1:])
    sources = args.sources or notebook_sources()
    if command == "golden":
        for source in sources:
            make_golden(source)
        return 0
    if args.output and len(sources) != 1:
        parser.error("--output needs exactly one source")
    extra = dict(_parse_param(text, parser) for text in args.param)
    for source in sources:
        execute(source, args.profile, args.output, overwrite=args.overwrite, **extra)
    return 0


def _parse_param(text: str, parser: argparse.ArgumentParser) -> tuple[str, object]:
    import yaml

    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        parser.error(f"-p expects NAME=VALUE, got {text!r}")
    return name, yaml.safe_load(value)
