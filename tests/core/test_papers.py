"""The project's cited table of the papers' numbers: complete, well formed, free of typos."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nmrlib.core import papers
from nmrlib.tocsy.residues import RESIDUES
from nmrlib.tocsy.training import CONFIGURATIONS

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / \
    "paper_values.json"
EMBEDDING = {"X-Vector": "xvector", "ECAPA-TDNN-S": "ecapa_s", "ECAPA-TDNN-L": "ecapa_l",
             "DEEP Picker": "deep_picker"}
ENCODER = {"Mel": "fbank", "1D Conv": "conv1d"}


def test_keys_unique_and_every_entry_cited():
    keys = [e.key for e in papers.ENTRIES]
    assert len(keys) == len(set(keys))
    for e in papers.ENTRIES:
        assert e.cite and e.reason and e.stated and e.quantity, e.key
        assert papers.entry(e.key) is e
    with pytest.raises(ValueError, match="no paper value 'yip.nothing'"):
        papers.entry("yip.nothing")


def test_every_table_cell_is_an_entry():
    keys = {e.key for e in papers.ENTRIES}
    for config in CONFIGURATIONS:
        assert f"yip.table{len(config.table)}.{config.name}" in keys
    for model in papers.TABLE_III_MODELS:
        for code in RESIDUES:
            assert f"yip.table3.conv1d-{model}.{code}" in keys
    assert sum(e.item == "Table III" for e in papers.ENTRIES) == 61   # 60 F1 + ILE/LEU


def test_tolerance_rule():
    top = papers.entry("yip.table1.conv1d-ecapa_l")
    assert top.tolerance == pytest.approx(2 * math.sqrt(0.977 * 0.023 / 2000))
    perfect = papers.entry("yip.table3.conv1d-ecapa_l.ASP")      # F1 1.000 on 100 spectra
    assert perfect.value == 1.0 and perfect.tolerance == pytest.approx(0.03)   # 3 / n
    assert top.agrees(0.972) and not top.agrees(0.960)
    assert top.agrees(0.960, our_tolerance=0.02)                  # ours added in quadrature
    assert top.verdict(0.5, our_tolerance=0.3) == "inconclusive"
    assert top.verdict(0.960) == "outside"
    gain = papers.entry("yip.abstract.relative_improvement")
    assert gain.value == pytest.approx(0.977 / 0.791 - 1)
    assert gain.agrees(0.23) and gain.stated == "23 %"              # the abstract's rounding
    bound = papers.entry("qu.r2.other_2d_25")
    assert bound.agrees(0.981) and not bound.agrees(0.979)
    assert papers.entry("qu.r2.3d").agrees(0.981)                 # "approaching 0.99"
    assert papers.entry("qu.time.2d").agrees(0.03) and not papers.entry("qu.time.2d").agrees(0.1)
    assert papers.entry("qu.r2.dl_vs_lr_10_15").agrees(True)
    with pytest.raises(ValueError, match="needs True/False"):
        papers.entry("qu.r2.dl_vs_lr_10_15").agrees(0.5)
    with pytest.raises(ValueError, match="finite number"):
        bound.agrees(float("nan"))
    with pytest.raises(ValueError, match="unknown rule"):
        papers.PaperValue("x", papers.YIP, "Table I", "q", 1.0, "1", "close", 0.0, "r", "c")
    with pytest.raises(ValueError, match="need 0 <= p <= 1"):
        papers.two_se(1.2, 10)


def test_matches_the_reference_facts():
    if not REFERENCE.is_file():
        pytest.skip(f"reference facts not found at {REFERENCE} (clone beside shared/)")
    facts = json.loads(REFERENCE.read_text())["paper1"]
    table1 = facts["table1_test_accuracy"]
    for model, row in table1.items():
        if model == "columns":
            continue
        for column, value in zip(table1["columns"], row, strict=True):
            assert papers.TABLE_I[(ENCODER[column], EMBEDDING[model])] == value, (model, column)
    table2 = facts["table2_pretrained_ecapa_l_test_accuracy"]
    for name, row in table2.items():
        if name == "columns":
            continue
        encoder = ENCODER[name.split(" ECAPA")[0]]
        for column, value in zip(table2["columns"], row, strict=True):
            assert papers.TABLE_II[(encoder, column.lower())] == value, (name, column)
    table3 = facts["table3_f1_by_class"]
    assert [EMBEDDING[c] for c in table3["columns"]] == list(papers.TABLE_III_MODELS)
    assert {k: tuple(v) for k, v in table3.items() if k != "columns"} == papers.TABLE_III
    qu = json.loads(REFERENCE.read_text())["paper2"]
    r2 = {c["r2"] for c in qu["r2_claims"] if isinstance(c["r2"], float)}
    assert r2 == {papers.entry("qu.r2.cd79b_dl_25").value}
    assert "4-8 %" in qu["time_claims"]["2D"] and "12-22 %" in qu["time_claims"]["3D"]
    assert papers.entry("qu.time.2d").value == 0.08 and papers.entry("qu.time.3d").value == 0.22
    assert "40,000" in qu["training_data"]
