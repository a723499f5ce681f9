"""The side-by-side table of notebook 08 and the report: numbers in, sentence from them."""

from __future__ import annotations

import json

import numpy as np

from nmrlib.nus.dleval import synthetic_set
from nmrlib.nus.sidebyside import (
    side_by_side,
    side_by_side_html,
    side_by_side_text,
    verdict_sentence,
)
from nmrlib.nus.studies import ZERO_FILLED, r2_vs_nus, schedule_mask, score_schedule

LEVELS = [0.10, 0.15, 0.25]


def _results(dl: float, lr: float) -> dict:
    """A fake ``r2_vs_nus`` result: DL at ``dl``, LR at ``lr``, the others fixed."""
    def cell(r2):
        return {lv: {"r2": [r2 - 0.01, r2 + 0.01], "seconds": [0.1, 0.1]} for lv in LEVELS}
    return {"set A": {"dl": cell(dl), "lr": cell(lr), "ist": cell(0.95),
                      "unrolled": cell(0.96), "examples": {}}}


def test_sentence_follows_the_numbers():
    timing = {("set A", "cpu"): {"dl": 0.05, "lr": 2.0, "ist": 0.2, "unrolled": 0.1}}
    zf = {"set A": {lv: {"r2": [0.9, 0.9], "seconds": [0.0, 0.0]} for lv in LEVELS}}
    good = side_by_side(_results(0.99, 0.90), timing, LEVELS, zf)["set A"]
    bad = side_by_side(_results(0.90, 0.99), timing, LEVELS, zf)["set A"]
    assert good["r2"]["zf"]["0.1"] == [0.9, 0.0] and good["schedules"]["dl"] == 2
    text = verdict_sentence("set A", good, LEVELS)
    assert "holds at 10 %" in text and "does not hold" not in text
    assert "R² >= 0.98 at 25 % holds for DL, not for LR 0.900" in text
    assert "DL takes 2.5 % of LR's time (below the paper's 4-8 %)" in text
    for lr_seconds, where in ((1.0, "5.0 % of LR's time (within"), (0.5, "(above")):
        row = side_by_side(_results(0.99, 0.90), {("set A", "cpu"): {
            **timing[("set A", "cpu")], "lr": lr_seconds}}, LEVELS, zf)["set A"]
        assert where in verdict_sentence("set A", row, LEVELS)
    assert "UNROLLED is >= IST at every level and >= ZF at every level" in text
    assert "DL has the highest mean R² at every level" in text
    assert "does not hold at 10 %" in verdict_sentence("set A", bad, LEVELS)
    assert "paper (main text, Fig. 2d)" in side_by_side_text({"set A": good}, LEVELS)


def test_html_reads_the_notebook_json(tmp_path):
    assert "not run" in side_by_side_html(tmp_path)
    table = side_by_side(_results(0.99, 0.9), {}, LEVELS)
    (tmp_path / "08_dlnmr_evaluation.json").write_text(json.dumps(
        {"levels": LEVELS, "side_by_side": table}))
    page = side_by_side_html(tmp_path)
    assert "<h3>set A</h3>" in page and "0.990 ± 0.010" in page and "holds at 15 %" in page


def test_zero_filling_uses_the_shared_schedules():
    data = synthetic_set(6, 64, seed=1)
    got = r2_vs_nus(data, [ZERO_FILLED, "ist"], [0.2], 2, seed=0)
    assert len(got[ZERO_FILLED][0.2]["r2"]) == 2 and all(np.isfinite(got[ZERO_FILLED][0.2]["r2"]))
    mask = schedule_mask(64, 0.2, 1)                     # schedule k = 1 of seed 0
    _, score, _ = score_schedule(data.fid, mask, data.reference, data.to_spectrum, ZERO_FILLED)
    assert score["r2"] == got[ZERO_FILLED][0.2]["r2"][1]
