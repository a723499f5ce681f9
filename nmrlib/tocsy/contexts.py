"""Table III in two residue contexts: does seeing the side-chain NH separate the hard pairs?

The ``protein`` context (no exchangeable side-chain protons) leaves ASN/ASP and GLN/GLU with
the same observed protons and overlapping shifts; ``protein-h2o`` (:mod:`nmrlib.tocsy.exchangeable`)
adds the NH2 pair of ASN and GLN, TRP HE1 and ARG HE. This module reads one classifier
result per context -- ``<root>/<context>/classification/<config>.json``, written by
``python -m nmrlib train <config> --data <data set of that context> --results
<root>/<context>`` -- checks that they differ only in the data set's context (same
configuration, seeds, training settings and every other data parameter) and writes, per
context: test accuracy, the F1 of the hard residues (:data:`HARD`), every residue's F1 and
the most-confused pairs, plus the paper's F1 where the configuration is in its Table III.

Command: ``python -m nmrlib contexts [--root results/quick/contexts] [--config
conv1d-xvector] [--out results/quick/classification/contexts.json]``.
"""

from __future__ import annotations

import json
from pathlib import Path

from nmrlib.core.cli import CliParser
from nmrlib.core.repro import environment_report, write_json
from nmrlib.tocsy.residues import CONTEXTS

HARD = ("ASN", "ASP", "GLN", "GLU", "CYS")   # the paper's F1 0.97-1.00; ours were the lowest
TOP_PAIRS = 5


def load_context_results(root: str | Path, config: str) -> dict[str, dict]:
    """``{context: result}`` for every context of :data:`nmrlib.tocsy.residues.CONTEXTS` with an
    ``ok`` result under ``root``; a result whose data set has another context is refused."""
    from nmrlib.tocsy.training import result_path

    out = {}
    for context in CONTEXTS:
        path = result_path(Path(root) / context, config)
        if not path.is_file():
            continue
        result = json.loads(path.read_text())
        if result.get("status") != "ok":
            raise ValueError(f"{path}: status {result.get('status')!r}, not ok")
        made = result["data"]["params"].get("context")
        if made != context:
            raise ValueError(f"{path} was trained on a {made!r} data set, not {context!r}")
        out[context] = result
    if len(out) < 2:
        raise ValueError(f"need results of at least 2 contexts under {root} for {config} "
                         f"(found {sorted(out) or 'none'}; train each with --results "
                         f"{root}/<context>)")
    return out


def _same_protocol(results: dict[str, dict]) -> None:
    """ValueError unless the runs differ only in the data set's context."""
    def protocol(r: dict) -> dict:
        data = {k: v for k, v in r["data"]["params"].items() if k != "context"}
        return {"config": r["configuration"], "settings": r["settings"], "seeds": r["seeds"],
                "data": data, "code": r["code_version"]}

    first, *rest = results
    for context in rest:
        a, b = protocol(results[first]), protocol(results[context])
        diff = sorted(k for k in a if a[k] != b[k])
        if diff:
            raise ValueError(f"the {first} and {context} runs differ in {', '.join(diff)}, "
                             "not only in the context: not comparable")


def context_row(result: dict, paper_f1: dict[str, float] | None) -> dict:
    """The numbers of one context's run: accuracy, hard-residue F1 (with the paper's),
    every residue's F1, the top confused pairs (errors both ways, summed over seeds)."""
    from nmrlib.tocsy.training import most_confused_pairs

    s, classes = result["summary"], result["classes"]
    f1 = dict(zip(classes, s["f1_mean"], strict=True))
    return {
        "data_root": result["data"]["root"], "n_test": result["data"]["n_test"],
        "accuracy_mean": s["accuracy_mean"], "accuracy_sd": s["accuracy_sd"],
        "n_seeds": s["n_seeds"], "macro_f1_mean": s["macro_f1_mean"],
        "f1_hard": {code: f1[code] for code in HARD},
        "paper_f1_hard": {code: paper_f1[code] for code in HARD} if paper_f1 else None,
        "f1": f1,
        "most_confused": [list(p) for p in most_confused_pairs(s["confusion_sum"], classes,
                                                                 TOP_PAIRS)],
        "train_s": result["timings"]["train_s"],
    }


def compare(root: str | Path, config: str) -> dict:
    """The comparison record of ``config`` over the contexts with results under ``root``."""
    from nmrlib.tocsy.tables import PAPER_TABLE_III

    try:
        results = load_context_results(root, config)
        _same_protocol(results)
        first = next(iter(results.values()))
        rows = {ctx: context_row(r, PAPER_TABLE_III.get(config)) for ctx, r in results.items()}
    except (KeyError, TypeError, AttributeError) as err:   # a JSON that is no result
        raise ValueError(f"a {config} result under {root} is not a classifier result "
                         f"(bad or missing field {err})") from None
    return {"configuration": config, "settings": first["settings"], "seeds": first["seeds"],
            "data_params_except_context": {k: v for k, v in first["data"]["params"].items()
                                           if k != "context"},
            "contexts": rows, "hard_residues": list(HARD),
            "environment": environment_report()}


def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib contexts",
                       description="compare one classifier's Table III over residue contexts")
    parser.add_argument("--root", type=Path, default=Path("results/quick/contexts"),
                        help="folder holding <context>/classification/<config>.json")
    parser.add_argument("--config", default="conv1d-xvector")
    parser.add_argument("--out", type=Path,
                        default=Path("results/quick/classification/contexts.json"))
    args = parser.parse_args(argv[1:])
    record = compare(args.root, args.config)
    record["command"] = "python -m nmrlib " + " ".join(argv)
    write_json(args.out, record)
    for context, row in record["contexts"].items():
        hard = ", ".join(f"{c} {f:.2f}" for c, f in row["f1_hard"].items())
        pairs = ", ".join(f"{a}/{b} ({n})" for a, b, n in row["most_confused"])
        print(f"{context}: accuracy {row['accuracy_mean']:.3f}; F1 {hard}; confused {pairs}")
    print(f"wrote {args.out}")
    return 0
