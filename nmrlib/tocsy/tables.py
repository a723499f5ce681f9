"""Tables I-III and parameter counts of paper 1 (Yip et al.) from the training results.

Reads ``<results_dir>/classification/<name>.json`` (written by
:func:`nmrlib.tocsy.training.run_configuration`) for every configuration of
:data:`nmrlib.tocsy.training.CONFIGURATIONS` and sets each measured value beside the paper's
(all of Tables I-III, from the project's cited table :mod:`nmrlib.core.papers`), with the
difference (measured - paper). A configuration without a result, or whose result says
"not run: <reason>", is shown as such.
"""

from __future__ import annotations

import json
from pathlib import Path

from nmrlib.core import papers
from nmrlib.tocsy.training import CONFIGURATIONS, result_path

# The paper's values (nmrlib.core.papers, cited there), keyed as the configurations are.
PAPER_TABLE_I: dict[tuple[str, str], float] = dict(papers.TABLE_I)  # (encoder, embedding)
PAPER_TABLE_II: dict[tuple[str, str], float] = dict(papers.TABLE_II)  # (encoder, mode)
PAPER_TABLE_III: dict[str, dict[str, float]] = {  # configuration -> residue -> F1
    f"conv1d-{model}": {code: row[i] for code, row in papers.TABLE_III.items()}
    for i, model in enumerate(papers.TABLE_III_MODELS)
}
TABLE_III_MODELS = tuple(f"conv1d-{model}" for model in papers.TABLE_III_MODELS)


def load_results(results_dir: str | Path) -> dict[str, dict]:
    """Every configuration's result JSON, or ``{"status": "not run: ..."}`` when absent."""
    out = {}
    for config in CONFIGURATIONS:
        path = result_path(results_dir, config.name)
        if path.exists():
            out[config.name] = json.loads(path.read_text())
        else:
            out[config.name] = {"status": f"not run: no {path.name} (notebook 03 not run "
                                          "for this configuration)"}
    return out


def accuracy_cell(result: dict) -> str:
    """``0.912 ± 0.010 (2 seeds)``, ``0.912 (1 seed)`` or the not-run reason."""
    if result.get("status") != "ok":
        return result.get("status", "not run")[:200]
    s = result["summary"]
    if s["accuracy_sd"] is None:
        return f"{s['accuracy_mean']:.3f} (1 seed)"
    return f"{s['accuracy_mean']:.3f} ± {s['accuracy_sd']:.3f} ({s['n_seeds']} seeds)"


def _paper_cells(measured: float | None, paper: float) -> tuple[str, str]:
    """The paper's value and ours - paper ("not run" without a measurement)."""
    diff = "not run" if measured is None else f"{measured - paper:+.3f}"
    return f"{paper:.3f}", diff


def _mean_accuracy(result: dict) -> float | None:
    return result["summary"]["accuracy_mean"] if result.get("status") == "ok" else None


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-markdown table (a ``|`` inside a cell is written ``\\|``)."""
    def line(cells) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    lines = [line(header), "|" + "---|" * len(header), *(line(row) for row in rows)]
    return "\n".join(lines) + "\n"


def table_one(results: dict) -> tuple[list[str], list[list[str]]]:
    """Table I rows: embedding, encoder, measured test accuracy, paper, difference."""
    from nmrlib.tocsy.models import PAPER_NAMES

    rows = []
    for config in (c for c in CONFIGURATIONS if c.table == "I"):
        result = results[config.name]
        paper, diff = _paper_cells(_mean_accuracy(result),
                                   PAPER_TABLE_I[(config.encoder, config.embedding)])
        rows.append([PAPER_NAMES[config.embedding], PAPER_NAMES[config.encoder],
                     accuracy_cell(result), paper, diff])
    return ["embedding model", "encoder", "test accuracy (ours)", "paper", "ours - paper"], rows


def table_two(results: dict) -> tuple[list[str], list[list[str]]]:
    """Table II rows: pretrained ECAPA-L, encoder, frozen/trainable, accuracy, paper, diff."""
    from nmrlib.tocsy.models import PAPER_NAMES

    rows = []
    for config in (c for c in CONFIGURATIONS if c.table == "II"):
        result = results[config.name]
        paper, diff = _paper_cells(_mean_accuracy(result),
                                   PAPER_TABLE_II[(config.encoder, config.pretrained)])
        rows.append([PAPER_NAMES[config.encoder], config.pretrained, accuracy_cell(result),
                     paper, diff])
    return ["encoder", "pretrained ECAPA-L", "test accuracy (ours)", "paper", "ours - paper"], \
        rows


def table_three(results: dict, classes) -> tuple[list[str], list[list[str]]]:
    """Table III: per-class test F1 (mean over seeds) of ECAPA-L, x-vector, DEEP Picker (Conv1d),
    each beside the paper's value and the difference."""
    header = ["residue"]
    columns = []
    for name in TABLE_III_MODELS:
        result = results[name]
        header += [f"{name} F1", "paper", "ours - paper"]
        columns.append(result["summary"]["f1_mean"] if result.get("status") == "ok" else None)
    rows = []
    for index, code in enumerate(classes):
        row = [code]
        for name, f1 in zip(TABLE_III_MODELS, columns, strict=True):
            ours = None if f1 is None else f1[index]
            row += ["not run" if ours is None else f"{ours:.3f}",
                    *_paper_cells(ours, PAPER_TABLE_III[name][code])]
        rows.append(row)
    return header, rows


def parameter_rows() -> tuple[list[str], list[list[str]]]:
    """Parameter counts of all 12 configurations (from-scratch models; frozen: trainable part)."""
    from nmrlib.tocsy.models import PAPER_NAMES, parameter_table

    base = {(r["encoder"], r["embedding"]): r for r in parameter_table()}
    rows = []
    for config in CONFIGURATIONS:
        r = base[(config.encoder, config.embedding)]
        trainable = r["encoder_params"] + r["head_params"] if config.pretrained == "frozen" \
            else r["total"]
        rows.append([config.name, PAPER_NAMES[config.encoder], PAPER_NAMES[config.embedding],
                     config.pretrained, f"{r['encoder_params']:,}", f"{r['embedding_params']:,}",
                     f"{r['head_params']:,}", f"{r['total']:,}", f"{trainable:,}"])
    header = ["configuration", "encoder", "embedding", "pretrained", "encoder params",
              "embedding params", "head params", "total", "trainable"]
    return header, rows


def write_tables(results: dict, classes, results_dir: str | Path) -> dict[str, Path]:
    """Write table1.md, table2.md, table3.md and parameters.md under ``results_dir``."""
    out = {}
    for name, (header, rows) in {
        "table1": table_one(results), "table2": table_two(results),
        "table3": table_three(results, classes), "parameters": parameter_rows(),
    }.items():
        path = Path(results_dir) / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown(header, rows))
        out[name] = path
    return out

