"""``python -m nmrlib contexts``: one classifier's Table III numbers per residue context."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nmrlib.__main__ import main as cli
from nmrlib.tocsy import contexts as cc
from nmrlib.tocsy.residues import RESIDUES
from nmrlib.tocsy.training import result_path

CONFIG = "conv1d-xvector"


def _result(context: str, confused: tuple[str, str], seeds=(0,)) -> dict:
    """A minimal classifier result: 30 test spectra per class, all right but 6 of class
    ``confused[0]`` taken for ``confused[1]`` (the shape run_configuration writes)."""
    cm = np.diag(np.full(len(RESIDUES), 30))
    a, b = RESIDUES.index(confused[0]), RESIDUES.index(confused[1])
    cm[a, a], cm[a, b] = 24, 6
    recall = np.diag(cm) / cm.sum(1)
    precision = np.diag(cm) / cm.sum(0)
    f1 = 2 * precision * recall / (precision + recall)
    return {"status": "ok", "configuration": {"name": CONFIG}, "seeds": list(seeds),
            "settings": {"epochs": 4, "batch_size": 8}, "code_version": "abc",
            "classes": list(RESIDUES), "timings": {"train_s": 1.0},
            "data": {"root": f"data/{context}", "n_test": int(cm.sum()),
                     "params": {"context": context, "n1": 16, "n2": 64}},
            "summary": {"accuracy_mean": float(np.trace(cm) / cm.sum()), "accuracy_sd": None,
                        "n_seeds": 1, "macro_f1_mean": float(f1.mean()),
                        "f1_mean": f1.tolist(), "confusion_sum": cm.tolist()}}


def _write(root, context, result) -> None:
    path = result_path(root / context, CONFIG)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(result))


def test_contexts_command_writes_both_contexts(tmp_path, capsys):
    _write(tmp_path, "protein", _result("protein", ("ASN", "ASP")))
    _write(tmp_path, "protein-h2o", _result("protein-h2o", ("ILE", "LEU")))
    out = tmp_path / "contexts.json"
    assert cli(["contexts", "--root", str(tmp_path), "--config", CONFIG,
                "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    protein, h2o = record["contexts"]["protein"], record["contexts"]["protein-h2o"]
    assert protein["most_confused"][0] == ["ASN", "ASP", 6]
    assert h2o["most_confused"][0] == ["ILE", "LEU", 6]
    assert protein["f1_hard"]["ASN"] < 1.0 and h2o["f1_hard"]["ASN"] == 1.0
    assert protein["accuracy_mean"] == pytest.approx(594 / 600)
    assert record["contexts"]["protein"]["paper_f1_hard"]["ASN"] == 0.926  # x-vector, Table III
    assert "protein-h2o: accuracy 0.990" in capsys.readouterr().out


def test_contexts_refuses_runs_that_differ_in_more_than_the_context(tmp_path):
    _write(tmp_path, "protein", _result("protein", ("ASN", "ASP")))
    _write(tmp_path, "protein-h2o", _result("protein-h2o", ("ASN", "ASP"), seeds=(1,)))
    with pytest.raises(ValueError, match="differ in seeds"):
        cc.compare(tmp_path, CONFIG)


def test_contexts_refuses_a_mislabelled_or_missing_run(tmp_path, capsys):
    _write(tmp_path, "protein", _result("free", ("ASN", "ASP")))
    with pytest.raises(ValueError, match="trained on a 'free' data set"):
        cc.compare(tmp_path, CONFIG)
    assert cli(["contexts", "--root", str(tmp_path / "none"), "--out",
                str(tmp_path / "x.json")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    (result_path(tmp_path / "protein", CONFIG)).write_text(json.dumps({"status": "ok"}))
    with pytest.raises(ValueError, match="not a classifier result"):
        cc.compare(tmp_path, CONFIG)
