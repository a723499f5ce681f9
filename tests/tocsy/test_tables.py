"""Tables I-III assembly: measured beside paper values, not-run rows, markdown files."""

from __future__ import annotations

import json

from nmrlib.core import papers
from nmrlib.tocsy import tables as tables
from nmrlib.tocsy.residues import RESIDUES
from nmrlib.tocsy.training import CONFIGURATIONS, result_path


def _fake_result(acc: list[float]) -> dict:
    f1 = [[0.5] * 20 for _ in acc]
    return {"status": "ok", "runs": [{"test": {"accuracy": a, "f1": f}} for a, f in
                                     zip(acc, f1, strict=True)],
            "summary": {"accuracy_mean": sum(acc) / len(acc), "n_seeds": len(acc),
                        "accuracy_sd": 0.01 if len(acc) > 1 else None, "f1_mean": f1[0],
                        "confusion_sum": [[0] * 20] * 20}}


def test_tables_from_results(tmp_path):
    path = result_path(tmp_path, "conv1d-ecapa_l")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_fake_result([0.95, 0.97])))
    result_path(tmp_path, "fbank-ecapa_l-pretrained_frozen").write_text(
        json.dumps({"status": "not run: no network"}))
    results = tables.load_results(tmp_path)
    _, rows = tables.table_one(results)
    ecapa = next(r for r in rows if r[:2] == ["ECAPA-L", "Conv1d"])
    assert ecapa[2] == "0.960 ± 0.010 (2 seeds)"
    assert ecapa[3:] == ["0.977", "-0.017"]
    assert rows[0][2].startswith("not run: no fbank-xvector.json")
    assert rows[0][3:] == ["0.828", "not run"]          # the paper's value even when not run
    _, rows2 = tables.table_two(results)
    assert rows2[0][2] == "not run: no network"
    assert [r[3] for r in rows2] == ["0.416", "0.956", "0.727", "0.967"]
    header3, rows3 = tables.table_three(results, RESIDUES)
    assert header3[1:4] == ["conv1d-ecapa_l F1", "paper", "ours - paper"]
    assert len(rows3) == 20 and rows3[0][:4] == ["ALA", "0.500", "0.990", "-0.490"]
    assert rows3[0][4:] == ["not run", "0.911", "not run", "not run", "0.763", "not run"]
    written = tables.write_tables(results, RESIDUES, tmp_path)
    assert written["table1"].read_text().startswith("| embedding model |")
    _, params = tables.parameter_rows()
    frozen = next(r for r in params if r[0] == "fbank-ecapa_l-pretrained_frozen")
    assert frozen[-1] == "3,860"  # only the linear head learns


def test_every_cell_has_a_paper_value():
    for config in CONFIGURATIONS:
        table = tables.PAPER_TABLE_I if config.table == "I" else tables.PAPER_TABLE_II
        key = (config.encoder, config.embedding if config.table == "I" else config.pretrained)
        assert 0.4 < table[key] < 1.0, config.name
    for name in tables.TABLE_III_MODELS:
        assert set(tables.PAPER_TABLE_III[name]) == set(RESIDUES)
    assert tables.PAPER_TABLE_III["conv1d-xvector"]["ILE"] == papers.TABLE_III["ILE"][1] == 0.828


def test_markdown_escapes_pipes():
    text = tables.markdown(["a", "b"], [["x | y", 1]])
    assert text.splitlines()[2] == "| x \\| y | 1 |"
