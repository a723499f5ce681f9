"""The HTML report: the scorecard on fake results, Markdown tables, the page of a fake project."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest

from nmrlib.core import papers
from nmrlib.core.report import build_report, markdown_html, scorecard
from nmrlib.tocsy.residues import RESIDUES
from nmrlib.tocsy.training import result_path


def fake_result(accuracies: list[float], per_class: int, f1: dict[str, float] | None = None,
                epochs: int = 10) -> dict:
    """A result JSON as :func:`nmrlib.tocsy.training.run_configuration` writes it (the keys
    we read)."""
    f1_row = [(f1 or {}).get(code, 0.95) for code in RESIDUES]
    runs = [{"test": {"accuracy": a, "f1": f1_row, "support": [per_class] * 20}}
            for a in accuracies]
    mean = sum(accuracies) / len(accuracies)
    sd = None if len(accuracies) == 1 else \
        (sum((a - mean) ** 2 for a in accuracies) / (len(accuracies) - 1)) ** 0.5
    return {"status": "ok", "classes": list(RESIDUES), "runs": runs,
            "data": {"n_train": 7 * per_class * 20, "n_val": 2 * per_class * 20,
                     "n_test": per_class * 20, "length": 65_536},
            "settings": {"epochs": epochs, "batch_size": 20, "lr": 0.001},
            "summary": {"n_seeds": len(accuracies), "accuracy_mean": mean, "accuracy_sd": sd,
                        "f1_mean": f1_row, "confusion_sum": [[0] * 20] * 20}}


def fake_dlnmr() -> dict:
    """An ``08_dlnmr_evaluation.json`` with one real and one synthetic set."""
    real, syn = "methyl HMQC", "synthetic 10000"
    return {
        "levels": [0.1, 0.15, 0.25], "n_schedules": {"dl": 2, "lr": 2}, "lr_options": {},
        "weights": {"dl": "nmrlib/data/dlnmr_5stage.pt"},
        "weights_info": {"dl": {"settings": {"size": 40_000}}},
        "r2": {real: {"dl": {"0.1": [0.99, 0.991], "0.15": [0.9, 0.8], "0.25": [0.995, 0.995]},
                      "lr": {"0.1": [0.95, 0.99], "0.15": [0.95, 0.96], "0.25": [0.97, 0.97]}},
               syn: {"dl": {"0.1": [0.5]}, "lr": {"0.1": [0.9]}}},
        "summary": {real: {"dl": {"0.25": [0.995, 0.001, 1.0]},
                           "lr": {"0.25": [0.97, 0.01, 2.0]}},
                    syn: {"dl": {"0.25": [0.5, 0.0, 1.0]}}},
        "timing_s": {f"{real} [cpu]": {"dl": 0.5, "lr": 10.0, "ist": 2.0}},
        "r2_3d": {"dl": {"0.05": [0.97], "0.1": [0.985]}, "dl10": {"0.1": [0.99]},
                  "ist": {"0.05": [0.99]}},
        "time_3d_s": {"dl": [1.0], "dl10": [3.0], "ist": [2.0]}, "shape_3d": [4, 16, 16],
    }


def write_results(results_dir: Path) -> None:
    """Fake results of a profile: four configurations, notebook 08, a Markdown table."""
    ile_leu = {"ILE": 0.90, "LEU": 0.91}
    for name, result in {
        "conv1d-ecapa_l": fake_result([0.975, 0.979], 100, {"ALA": 0.99, **ile_leu}),
        "conv1d-deep_picker": fake_result([0.40], 30, epochs=3),
        "fbank-xvector": fake_result([0.05], 1),
        "fbank-ecapa_l-pretrained_frozen": {"status": "not run: no VoxCeleb weights"},
    }.items():
        path = result_path(results_dir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    (results_dir / "08_dlnmr_evaluation.json").write_text(json.dumps(fake_dlnmr()))
    (results_dir / "table1.md").write_text(
        "| model | accuracy |\n|---|---|\n| <b>x</b> | not run: a \\| b |\n")


def make_project(root: Path, profile: str = "smoke") -> Path:
    """A fake project: two notebook sources, one executed and one failed run, fake results
    and two figures."""
    import matplotlib.image

    notebooks = root / "notebooks"
    notebooks.mkdir(parents=True)
    (notebooks / "03_train_classifier.py").write_text("# # Training one classifier\n")
    (notebooks / "08_dlnmr_evaluation.py").write_text("# # DLNMR against LR and IST\n")
    executed = root / "build" / profile / "notebooks"
    executed.mkdir(parents=True)
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# DLNMR")])
    nbformat.write(book, executed / "08_dlnmr_evaluation.ipynb")
    nbformat.write(book, executed / "03_train_classifier-conv1d-ecapa_l.failed.ipynb")
    write_results(root / "results" / profile)
    figures = root / "figures" / profile
    figures.mkdir(parents=True)
    for name, colour in (("fig-a", 0.2), ("fig b", 0.8)):
        matplotlib.image.imsave(figures / f"{name}.png", [[colour, 1 - colour]] * 3, cmap="gray")
    return root


def _by_key(scores) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in scores:
        out.setdefault(s.entry.key, []).append(s)
    return out


def test_scorecard_on_fake_results(tmp_path):
    write_results(tmp_path)
    scores = _by_key(scorecard(tmp_path, "quick"))
    assert set(scores) == {e.key for e in papers.ENTRIES}      # every paper number is there
    assert all(s.profile == "quick" for group in scores.values() for s in group)

    (top,) = scores["yip.table1.conv1d-ecapa_l"]
    assert top.ours == pytest.approx(0.977) and top.verdict == "within"
    assert top.text.startswith("0.977 ± 0.003 sd (2 seed(s), 2000 test spectra)")
    assert top.difference == "+0.000"
    (picker,) = scores["yip.table1.conv1d-deep_picker"]
    assert picker.verdict == "outside" and picker.difference == "-0.391"
    (tiny,) = scores["yip.table3.conv1d-xvector.ALA"]
    assert tiny.verdict == "not run" and "conv1d-xvector.json" in tiny.text
    (smoke_like,) = scores["yip.table1.fbank-xvector"]
    assert smoke_like.verdict == "outside" and smoke_like.our_tolerance == pytest.approx(0.15)
    (frozen,) = scores["yip.table2.fbank-ecapa_l-pretrained_frozen"]
    assert frozen.verdict == "not run" and frozen.text == "not run: no VoxCeleb weights"
    (missing,) = scores["yip.table1.fbank-ecapa_s"]
    assert missing.text.startswith("not run: no fbank-ecapa_s.json")
    assert scores["yip.table3.conv1d-ecapa_l.ALA"][0].verdict == "within"
    assert scores["yip.table3.conv1d-ecapa_l.ILE"][0].verdict == "within"   # 0.90 vs 0.920
    assert scores["yip.table3.conv1d-ecapa_l.SER"][0].verdict == "within"   # 0.95 vs 0.949
    assert scores["yip.table3.conv1d-deep_picker.SER"][0].verdict == "outside"  # 0.95 vs 0.516
    (hardest,) = scores["yip.text.hardest_classes"]
    assert hardest.ours is True and hardest.text == "lowest F1: ILE 0.900, LEU 0.910"
    (gain,) = scores["yip.abstract.relative_improvement"]
    assert gain.ours == pytest.approx(0.977 / 0.40 - 1) and gain.verdict == "outside"
    (epochs,) = scores["yip.protocol.epochs"]
    assert epochs.ours == 10 and epochs.verdict == "within" and epochs.label == "conv1d-ecapa_l"

    for key in ("qu.r2.cd79b_dl_25", "qu.r2.cd79b_dl_lr_25"):
        assert "CD79b HSQC is not among our real data sets" in scores[key][0].text
    versus = {s.label: s for s in scores["qu.r2.dl_vs_lr_10_15"]}
    assert versus["methyl HMQC, 10% (2 schedule(s))"].verdict == "within"
    assert versus["methyl HMQC, 15% (2 schedule(s))"].verdict == "outside"
    other = {s.label.split(" (")[0]: s.verdict for s in scores["qu.r2.other_2d_25"]}
    assert other == {"methyl HMQC, DL": "within", "methyl HMQC, LR": "outside"}
    three_d = {s.label: s for s in scores["qu.r2.3d"]}
    assert three_d["synthetic 3D [4, 16, 16], DL, 10%"].verdict == "within"
    assert three_d["synthetic 3D [4, 16, 16], DL, 5%"].verdict == "outside"
    assert three_d["synthetic 3D [4, 16, 16], IST (our CS), 10%"].verdict == "not run"
    assert three_d["synthetic 3D [4, 16, 16], DL 10-stage, 10%"].verdict == "within"
    assert three_d["synthetic 3D [4, 16, 16], DL 10-stage, 5%"].verdict == "not run"
    (t2d,) = scores["qu.time.2d"]
    assert t2d.ours == pytest.approx(0.05) and t2d.verdict == "within"
    assert t2d.difference == "-3.0%" and t2d.allowed == "≤ 8.0%"
    assert scores["qu.time.3d"][0].verdict == "outside"
    assert scores["qu.time.3d"][1].text == "150.0% (DL 10-stage 3.00 s, IST 2.00 s)"
    assert scores["qu.protocol.training_fids"][0].verdict == "within"
    assert scores["qu.protocol.schedules"][0].ours == 2


def test_scorecard_without_results_says_why(tmp_path):
    scores = scorecard(tmp_path / "nothing", "paper")
    assert {s.entry.key for s in scores} == {e.key for e in papers.ENTRIES}
    assert all(s.verdict == "not run" and s.text.startswith("not run: ") for s in scores)
    dlnmr = [s for s in scores if s.entry.paper == papers.QU and "CD79b" not in s.text]
    assert dlnmr and all("08_dlnmr_evaluation.json (notebook 08 not run under profile paper)"
                         in s.text for s in dlnmr)


def test_scorecard_reads_notebook_06(tmp_path):
    (tmp_path / "06_nus_reconstruction.json").write_text(json.dumps({"study": {
        "nmrglue_2d_time_complex": {"n_schedules": 2,
                                    "summary": {"lr": {"0.25": [0.985, 0.002]}}}}}))
    rows = [s for s in scorecard(tmp_path, "quick") if s.entry.key == "qu.r2.other_2d_25"]
    assert rows[0].verdict == "not run"                     # no notebook 08
    assert rows[1].label == "nmrglue_2d_time_complex, LR (notebook 06, 2 schedule(s))"
    assert rows[1].verdict == "within" and rows[1].text == "0.9850 ± 0.0020 sd"


def test_markdown_tables_become_html_tables():
    text = "# Table I\n| a | b |\n|---|:---:|\n| <i>1</i> | x \\| y |\n| 2 | 3 |\n\nnote <b>\n"
    out = markdown_html(text)
    assert out.count("<table>") == 1 and out.count("<tr>") == 3
    assert "<th>a</th><th>b</th>" in out
    assert "<td>&lt;i&gt;1&lt;/i&gt;</td><td>x | y</td>" in out
    assert "<p>Table I</p>" in out and "<p>note &lt;b&gt;</p>" in out


def test_build_report_of_a_fake_project(tmp_path):
    root = make_project(tmp_path / "project")
    index = build_report("smoke", root, out=tmp_path / "report")
    page = index.read_text()
    assert page.index('id="scorecard"') < page.index("Paper figures and tables")
    assert 'class="within"' in page and 'class="outside"' in page and 'class="notrun"' in page
    assert "<td>&lt;b&gt;x&lt;/b&gt;</td><td>not run: a | b</td>" in page
    for name in ("fig-a.png", "fig b.png"):
        assert f'<a href="figures/{quote(name)}"><img src="figures/{quote(name)}"' in page
        assert (index.parent / "figures" / name).is_file()
    assert (index.parent / "08_dlnmr_evaluation.html").is_file()
    assert '<a href="08_dlnmr_evaluation.html">08_dlnmr_evaluation</a>' in page
    assert 'href="03_train_classifier-conv1d-ecapa_l.failed.html">its traceback' in page
    assert "03_train_classifier-fbank-xvector <span class=\"missing\">not run: no " \
           "build/smoke/notebooks/03_train_classifier-fbank-xvector.ipynb" in page
    assert 'href="results/classification/conv1d-ecapa_l.json"' in page
    build_report("smoke", root, out=tmp_path / "report")            # a report is replaced


def test_build_report_refuses_a_foreign_folder(tmp_path):
    root = make_project(tmp_path / "project")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("data")
    with pytest.raises(ValueError, match="not a report folder"):
        build_report("smoke", root, out=tmp_path / "mine")
    assert (tmp_path / "mine" / "keep.txt").read_text() == "data"
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        build_report("fast", root, out=tmp_path / "report")


def test_scorecard_says_why_a_claim_has_no_number(tmp_path):
    dl = fake_dlnmr()
    dl.update(time_3d_s={"dl": [1.0]}, timing_s={"methyl HMQC [cpu]": {"dl": 0.5}},
              r2={"synthetic 1": dl["r2"]["synthetic 10000"]})
    (tmp_path / "08_dlnmr_evaluation.json").write_text(json.dumps(dl))
    scores = _by_key(scorecard(tmp_path, "smoke"))
    assert scores["qu.time.3d"][0].text == "not run: notebook 08 timed no 3D DL and IST pair"
    assert scores["qu.time.2d"][0].text == "not run: notebook 08 timed no DL and LR pair"
    assert scores["qu.r2.other_2d_25"][0].text == "not run: notebook 08 evaluated no real 2D set"
    tiny = fake_result([0.5], 1)
    path = result_path(tmp_path, "conv1d-ecapa_l")
    path.parent.mkdir()
    path.write_text(json.dumps(tiny))
    f1 = _by_key(scorecard(tmp_path, "smoke"))["yip.table3.conv1d-ecapa_l.ALA"][0]
    assert f1.verdict == "inconclusive" and f1.our_tolerance == 3.0   # one test spectrum
