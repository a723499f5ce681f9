"""HTML report of one profile, ``build/report/index.html``: the page a reader opens first.

``python -m nmrlib report --profile quick`` writes, from top to bottom:

1. a **scorecard**: every number of both papers (:mod:`nmrlib.papers`) beside ours from
   ``results/<profile>/`` (:func:`scorecard`), with the difference, the tolerance used and
   the profile, coloured green (within the tolerance), red (outside), yellow
   (inconclusive: our test set is too small to tell, see :mod:`nmrlib.papers`) or grey
   ("not run: <reason>" when we have no number);
2. the map from paper figures/tables to notebooks, and every notebook run (HTML pages
   converted from ``build/<profile>/notebooks/*.ipynb``; missing runs say why);
3. the profile's reductions (``notebooks/profiles.yml``), the Markdown tables of
   ``results/<profile>/*.md`` as HTML tables, the figures of ``figures/<profile>`` as
   thumbnails linked to the full image, links to every results JSON and the environment.

Sources of our numbers: ``classification/<config>.json`` (notebook 03, Tables I-III and
the abstract), ``08_dlnmr_evaluation.json`` (DL, LR, IST R², timing, 3D) and
``06_nus_reconstruction.json`` (LR at the paper's settings). A claim made on data we do not
have (the CD79b HSQC) is compared on our real sets where the claim is general, and says
"not run" where it names that spectrum.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import numpy as np

from nmrlib import papers
from nmrlib.classification_tables import load_results
from nmrlib.cli import CliParser
from nmrlib.notebooks import PROFILES, load_profiles, notebook_sources
from nmrlib.repro import environment_report, project_root

# (paper, item, notebook stem, what to look for)
PAPER_MAP = (
    ("Yip et al.", "Fig. 5: ILE vs LEU", "01_tocsy_simulation",
     "figures ile_vs_leu, tocsy_all_residues"),
    ("Yip et al.", "Fig. 1: audio vs NMR", "02_audio_vs_nmr", "figures fig1-*"),
    ("Yip et al.", "Tables I, II: training runs (12 configurations)", "03_train_classifier",
     "classification/*.json"),
    ("Yip et al.", "Table I: encoders × embeddings", "04_classification_results", "table1.md"),
    ("Yip et al.", "Table II: pretrained ECAPA-L", "04_classification_results", "table2.md"),
    ("Yip et al.", "Table III: per-class F1", "04_classification_results", "table3.md"),
    ("Yip et al.", "Fig. 4: confusion matrices", "04_classification_results",
     "figures fig4-confusion"),
    ("Qu et al.", "NUS schedules (Poisson-gap)", "05_nus_schedules", "figures nus_*"),
    ("Qu et al.", "LR / IST reconstructions, R² vs NUS", "06_nus_reconstruction", "figures 06_*"),
    ("Qu et al.", "DLNMR training (Supp. S1)", "07_dlnmr_training", "figures, JSON"),
    ("Qu et al.", "Fig. 2d: R² vs NUS; Fig. 5 / Tables S3: timing", "08_dlnmr_evaluation",
     "figures, JSON"),
    ("Qu et al.", "NUS explorer (static grid when headless)", "09_nus_explorer", "figures"),
)
TRAIN_STEM = "03_train_classifier"

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 2em auto; color: #222;
  padding: 0 1em; }
table { border-collapse: collapse; margin: 0.6em 0 1.4em; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } .missing { color: #a00; }
#scorecard .within, #scorecard tr.within td { background: #e3f4e6; }
#scorecard .outside, #scorecard tr.outside td { background: #fbe3e1; }
#scorecard .inconclusive, #scorecard tr.inconclusive td { background: #fff6d6; }
#scorecard .notrun, #scorecard tr.notrun td { background: #eeeeee; color: #666; }
#scorecard h3 { margin: 1em 0 0.2em; font-size: 16px; }
.legend span { padding: 2px 8px; margin-right: 6px; border: 1px solid #ccc; }
.figures { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; width: 300px; font-size: 11px; word-break: break-all; }
figure img { width: 300px; border: 1px solid #ddd; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
"""


# ---- scorecard -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    """One paper number beside one of ours (``ours`` None: not run, ``text`` says why)."""

    entry: papers.PaperValue
    label: str              # which of our results ("" when the entry maps to one)
    ours: float | bool | None
    text: str               # ours as printed, or "not run: <reason>"
    our_tolerance: float    # 2 x SE of ours (near rules); 0 otherwise
    profile: str

    @property
    def verdict(self) -> str:
        """``within``, ``outside``, ``inconclusive`` (our test set too small) or ``not run``."""
        if self.ours is None:
            return "not run"
        return self.entry.verdict(self.ours, self.our_tolerance)

    @property
    def difference(self) -> str:
        """ours - paper in the entry's format ("" for statements and runs not made)."""
        if self.ours is None or isinstance(self.ours, bool):
            return ""
        diff = self.entry.fmt.format(float(self.ours) - self.entry.value)
        return diff if diff.startswith("-") else "+" + diff

    @property
    def allowed(self) -> str:
        """The tolerance the verdict used, in words."""
        e = self.entry
        if e.rule == "holds":
            return "statement"
        if e.rule != "near":
            bound = e.value - e.tolerance if e.rule == "at_least" else e.value + e.tolerance
            return ("≥ " if e.rule == "at_least" else "≤ ") + e.fmt.format(bound)
        if e.tolerance == 0:
            return "exact"
        text = "±" + e.fmt.format(e.tolerance).lstrip("+")
        if self.ours is not None and self.our_tolerance:
            text += (f" ⊕ ours ±{e.fmt.format(self.our_tolerance)}"
                     f" = ±{e.fmt.format(e.allowed(self.our_tolerance))}")
        return text


def _not_run(entry, profile: str, reason: str, label: str = "") -> Score:
    return Score(entry, label, None, f"not run: {reason}", 0.0, profile)


def _two_se_ours(mean: float, n: int, per_seed: list[float]) -> float:
    """2 x SE of our mean of a proportion: test-set binomial plus seed spread, >= 3/n."""
    var = mean * (1.0 - mean) / n
    if len(per_seed) > 1:
        var += float(np.var(per_seed, ddof=1)) / len(per_seed)
    return max(2.0 * math.sqrt(max(var, 0.0)), 3.0 / n)


def _reason(result: dict) -> str:
    """Why a configuration has no result (its status without the "not run: " prefix)."""
    return result.get("status", "no status in its result file").removeprefix("not run: ")


def _accuracy_score(entry, results: dict, name: str, profile: str) -> Score:
    r = results[name]
    if r.get("status") != "ok":
        return _not_run(entry, profile, _reason(r), name)
    s, n = r["summary"], int(r["data"]["n_test"])
    if n <= 0:
        return _not_run(entry, profile, "its result has no test spectra", name)
    per_seed = [run["test"]["accuracy"] for run in r["runs"]]
    spread = f" ± {s['accuracy_sd']:.3f} sd" if s["accuracy_sd"] is not None else ""
    return Score(entry, name, s["accuracy_mean"],
                 f"{s['accuracy_mean']:.3f}{spread} ({s['n_seeds']} seed(s), {n} test spectra)",
                 _two_se_ours(s["accuracy_mean"], n, per_seed), profile)


def _f1_score(entry, results: dict, name: str, residue: str, profile: str) -> Score:
    r = results[name]
    if r.get("status") != "ok":
        return _not_run(entry, profile, _reason(r), name)
    i = r["classes"].index(residue)
    per_seed = [run["test"]["f1"][i] for run in r["runs"]]
    n = int(r["runs"][0]["test"]["support"][i])
    if n <= 0:
        return _not_run(entry, profile, f"no {residue} test spectra", name)
    f1 = float(np.mean(per_seed))
    return Score(entry, name, f1, f"{f1:.3f} ({len(per_seed)} seed(s), {n} test spectra)",
                 _two_se_ours(f1, n, per_seed), profile)


def _improvement_score(entry, results: dict, profile: str) -> Score:
    """acc(ECAPA-L + Conv1d) / acc(DEEP Picker + Conv1d) - 1, errors propagated."""
    label = "conv1d-ecapa_l / conv1d-deep_picker"
    top, dp = (_accuracy_score(entry, results, n, profile)
               for n in ("conv1d-ecapa_l", "conv1d-deep_picker"))
    for score in (top, dp):
        if score.ours is None:
            return replace(score, label=label)
    if not top.ours or not dp.ours:
        return _not_run(entry, profile, "an accuracy of 0 gives no ratio", label)
    ratio = top.ours / dp.ours
    tol = ratio * math.hypot(top.our_tolerance / top.ours, dp.our_tolerance / dp.ours)
    return Score(entry, label, ratio - 1.0, f"{ratio - 1.0:.1%} ({top.ours:.3f} / {dp.ours:.3f})",
                 tol, profile)


def _hardest_score(entry, results: dict, profile: str) -> Score:
    """Whether ILE and LEU are the two lowest-F1 classes of ECAPA-L + Conv1d."""
    r = results["conv1d-ecapa_l"]
    if r.get("status") != "ok":
        return _not_run(entry, profile, _reason(r), "conv1d-ecapa_l")
    f1 = dict(zip(r["classes"], r["summary"]["f1_mean"], strict=True))
    lowest = sorted(f1, key=lambda c: (f1[c], c))[:2]
    return Score(entry, "conv1d-ecapa_l", set(lowest) == set(papers.HARDEST_CLASSES),
                 "lowest F1: " + ", ".join(f"{c} {f1[c]:.3f}" for c in lowest), 0.0, profile)


def _classification_scores(results: dict, profile: str) -> list[Score]:
    """Tables I-III, the abstract's claims and the training protocol (Yip et al.)."""
    out = []
    for entry in (e for e in papers.ENTRIES if e.paper == papers.YIP):
        kind, _, rest = entry.key.removeprefix("yip.").partition(".")
        if kind in ("table1", "table2"):
            out.append(_accuracy_score(entry, results, rest, profile))
        elif kind == "table3":
            out.append(_f1_score(entry, results, *rest.split("."), profile))
        elif entry.key == "yip.abstract.accuracy":
            out.append(_accuracy_score(entry, results, "conv1d-ecapa_l", profile))
        elif entry.key == "yip.abstract.relative_improvement":
            out.append(_improvement_score(entry, results, profile))
        elif entry.key == "yip.text.hardest_classes":
            out.append(_hardest_score(entry, results, profile))
        elif kind == "protocol":
            out.append(_protocol_score(entry, rest, results, profile))
        else:
            raise ValueError(f"no rule maps paper value {entry.key!r} to our results")
    return out


def _protocol_score(entry, name: str, results: dict, profile: str) -> Score:
    """A training-protocol number of the headline run (ECAPA-L + Conv1d, else any Table I run)."""
    from nmrlib.training import CONFIGURATIONS

    candidates = ["conv1d-ecapa_l"] + [c.name for c in CONFIGURATIONS if c.table == "I"]
    run = next((n for n in candidates if results[n].get("status") == "ok"), None)
    if run is None:
        return _not_run(entry, profile, "no Table I configuration has results")
    r = results[run]
    data, settings = r["data"], r["settings"]
    value = {"train_per_class": data["n_train"] / len(r["classes"]),
             "test_spectra": data["n_test"], "samples_per_channel": data["length"],
             "epochs": settings["epochs"], "batch_size": settings["batch_size"],
             "lr": settings["lr"]}[name]
    return Score(entry, run, float(value), entry.fmt.format(value), 0.0, profile)


def _level(mapping: dict, level: float):
    """The value stored under the NUS level ``level`` (keys are str(float)), or None."""
    return next((v for k, v in mapping.items() if math.isclose(float(k), level)), None)


def _r2_text(mean: float, sd: float, n: int | None = None) -> str:
    return f"{mean:.4f} ± {sd:.4f} sd" + ("" if n is None else f" ({n} schedule(s))")


def _real_sets(dl: dict) -> list[str]:
    """The real (not synthetic) 2D sets notebook 08 evaluated."""
    return [name for name in dl["r2"] if not name.startswith("synthetic")]


def _other_2d(entry, dl: dict, profile: str) -> list[Score]:
    """R² at 25 % NUS of DL and LR on each real 2D set (notebook 08)."""
    out = []
    for name in _real_sets(dl):
        for method in ("dl", "lr"):
            label = f"{name}, {method.upper()} ({dl['n_schedules'].get(method, 0)} schedule(s))"
            per = _level(dl["summary"][name].get(method, {}), 0.25)
            out.append(_not_run(entry, profile, "method or 25 % not run by notebook 08", label)
                       if per is None else
                       Score(entry, label, float(per[0]), _r2_text(*per[:2]), 0.0, profile))
    return out


def _dl_vs_lr(entry, dl: dict, profile: str) -> list[Score]:
    """Mean R² of DL >= LR with a smaller sd, at 10 % and 15 %, on the schedules both ran."""
    out = []
    for name in _real_sets(dl):
        for level in (0.10, 0.15):
            label = f"{name}, {level:.0%}"
            a, b = (_level(dl["r2"][name].get(m, {}), level) for m in ("dl", "lr"))
            if a is None or b is None:
                out.append(_not_run(entry, profile, f"DL or LR at {level:.0%} not run by "
                                    f"notebook 08 (levels {dl['levels']})", label))
                continue
            k = min(len(a), len(b))
            a, b = np.asarray(a[:k]), np.asarray(b[:k])
            out.append(Score(entry, f"{label} ({k} schedule(s))",
                             bool(a.mean() >= b.mean() and a.std() <= b.std()),
                             f"DL {a.mean():.4f} ± {a.std():.4f}, LR {b.mean():.4f} ± "
                             f"{b.std():.4f}", 0.0, profile))
    return out


def _r2_3d(entry, dl: dict, profile: str) -> list[Score]:
    """Mean R² of DL and IST (our compressed-sensing method) on the synthetic 3D set."""
    out = []
    for method, name in (("dl", "DL"), ("dl10", "DL 10-stage"), ("ist", "IST (our CS)")):
        if method == "dl10" and method not in dl["r2_3d"]:
            continue
        per_level = dl["r2_3d"].get(method, {})
        for level in (0.05, 0.10):
            label = f"synthetic 3D {dl['shape_3d']}, {name}, {level:.0%}"
            values = _level(per_level, level)
            out.append(_not_run(entry, profile, f"not among notebook 08's 3D levels "
                                f"{list(per_level)}", label) if not values else
                       Score(entry, label, float(np.mean(values)),
                             _r2_text(np.mean(values), np.std(values), len(values)), 0.0,
                             profile))
    return out


def _time_2d(entry, dl: dict, profile: str) -> list[Score]:
    """DL / LR time per 2D spectrum, per timed set and device."""
    note = f"; LR NOT at the paper's settings: {dl['lr_options']}" if dl["lr_options"] else ""
    return [Score(entry, f"{name}, DL / LR{note}", row["dl"] / row["lr"],
                  f"{row['dl'] / row['lr']:.1%} (DL {row['dl']:.2f} s, LR {row['lr']:.2f} s)",
                  0.0, profile)
            for name, row in dl["timing_s"].items() if "dl" in row and "lr" in row]


def _time_3d(entry, dl: dict, profile: str) -> list[Score]:
    """DL / IST mean time per 3D reconstruction."""
    t = dl["time_3d_s"]
    if not t.get("ist"):
        return []
    ist_s = float(np.mean(t["ist"]))
    means = {name: float(np.mean(t[method]))
             for method, name in (("dl", "DL"), ("dl10", "DL 10-stage")) if t.get(method)}
    return [Score(entry, f"synthetic 3D {dl['shape_3d']}, {name} / IST (our CS)", s / ist_s,
                  f"{s / ist_s:.1%} ({name} {s:.2f} s, IST {ist_s:.2f} s)", 0.0, profile)
            for name, s in means.items()]


def _training_fids(entry, dl: dict, profile: str) -> list[Score]:
    """Training-set size of the DLNMR weights notebook 08 used."""
    if "dl" not in dl.get("weights_info", {}):
        return []
    size = dl["weights_info"]["dl"]["settings"]["size"]
    return [Score(entry, f"weights {dl['weights']['dl']}", float(size), f"{size:,}", 0.0,
                  profile)]


def _schedules(entry, dl: dict, profile: str) -> list[Score]:
    """Schedules per NUS level (the smallest count over methods)."""
    counts = dl["n_schedules"]
    shown = ", ".join(f"{m.upper()} {n}" for m, n in counts.items())
    return [Score(entry, "notebook 08", float(min(counts.values())), shown, 0.0, profile)]


# entry key -> (scores from notebook 08's JSON, why there are none when it gives none)
_DLNMR = {
    "qu.r2.other_2d_25": (_other_2d, "notebook 08 evaluated no real 2D set"),
    "qu.r2.dl_vs_lr_10_15": (_dl_vs_lr, "notebook 08 evaluated no real 2D set"),
    "qu.r2.3d": (_r2_3d, "notebook 08 ran no 3D reconstruction"),
    "qu.time.2d": (_time_2d, "notebook 08 timed no DL and LR pair"),
    "qu.time.3d": (_time_3d, "notebook 08 timed no 3D DL and IST pair"),
    "qu.protocol.training_fids": (_training_fids, "notebook 08 did not run the DL method"),
    "qu.protocol.schedules": (_schedules, "notebook 08 ran no schedules"),
}


def _lr_06(entry, lr06: dict, profile: str) -> list[Score]:
    """R² at 25 % NUS of LR at the paper's settings on each real set (notebook 06)."""
    out = []
    for name, study in lr06.get("study", {}).items():
        per = _level(study["summary"].get("lr", {}), 0.25)
        label = f"{name}, LR (notebook 06, {study['n_schedules']} schedule(s))"
        out.append(_not_run(entry, profile, "25 % not among notebook 06's levels", label)
                   if per is None else
                   Score(entry, label, float(per[0]), _r2_text(*per[:2]), 0.0, profile))
    return out


def _dlnmr_scores(dl: dict | None, lr06: dict | None, profile: str,
                  missing: str) -> list[Score]:
    """R², timing and protocol claims of Qu et al. from notebooks 08 (and 06 for LR)."""
    out = []
    for entry in (e for e in papers.ENTRIES if e.paper == papers.QU):
        if entry.key.startswith("qu.r2.cd79b"):
            out.append(_not_run(entry, profile, "the CD79b HSQC is not among our real data "
                                "sets; the general claims below use them"))
            continue
        if entry.key not in _DLNMR:
            raise ValueError(f"no rule maps paper value {entry.key!r} to our results")
        scores_of, none_because = _DLNMR[entry.key]
        scores = [_not_run(entry, profile, missing)] if dl is None else \
            scores_of(entry, dl, profile) or [_not_run(entry, profile, none_because)]
        if entry.key == "qu.r2.other_2d_25" and lr06 is not None:
            scores += _lr_06(entry, lr06, profile)
        out += scores
    return out


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def scorecard(results_dir: str | Path, profile: str) -> list[Score]:
    """Every entry of :data:`nmrlib.papers.ENTRIES` beside our results in ``results_dir``.

    An entry maps to one score or, where the paper's claim covers several of our results
    (data sets, methods, NUS levels), to one score each; what we did not run says why.
    """
    results_dir = Path(results_dir)
    dl = _read_json(results_dir / "08_dlnmr_evaluation.json")
    lr06 = _read_json(results_dir / "06_nus_reconstruction.json")
    missing = (f"no {results_dir.name}/08_dlnmr_evaluation.json (notebook 08 not run under "
               f"profile {profile})")
    scores = _classification_scores(load_results(results_dir), profile)
    return scores + _dlnmr_scores(dl, lr06, profile, missing)


VERDICTS = ("within", "outside", "inconclusive", "not run")
_HEAD = ("<tr><th>quantity</th><th>our result</th><th>paper</th><th>ours</th>"
         "<th>ours − paper</th><th>tolerance</th><th>verdict</th><th>profile</th>"
         "<th>cited</th></tr>")


def _css(score: Score) -> str:
    return score.verdict.replace(" ", "")


def _score_rows(scores: list[Score]) -> str:
    return "".join(
        f'<tr class="{_css(s)}" title="{html.escape(s.entry.reason)}">' + "".join(
            f"<td>{html.escape(str(c))}</td>" for c in (
                s.entry.quantity, s.label, s.entry.stated, s.text, s.difference, s.allowed,
                s.verdict, s.profile, s.entry.cite)) + "</tr>"
        for s in scores)


def _table_three_html(scores: list[Score]) -> str:
    """Table III as the paper prints it: residues x models, each cell paper | ours | diff."""
    cells = {tuple(s.entry.key.split(".")[2:]): s for s in scores}
    models = [f"conv1d-{m}" for m in papers.TABLE_III_MODELS]
    first = next(iter(papers.TABLE_III))
    names = [cells[(m, first)].entry.quantity.split(":")[0] for m in models]
    head = ('<tr><th rowspan="2">residue</th>'
            + "".join(f'<th colspan="3">{html.escape(n)}</th>' for n in names) + "</tr><tr>"
            + "<th>paper</th><th>ours</th><th>ours − paper</th>" * len(models) + "</tr>")
    rows = []
    for residue in papers.TABLE_III:
        row = f"<tr><th>{residue}</th>"
        for m in models:
            s = cells[(m, residue)]
            ours = "not run" if s.ours is None else s.entry.fmt.format(s.ours)
            tip = html.escape(f"{s.verdict}; tolerance {s.allowed}; ours: {s.text}")
            row += "".join(f'<td class="{_css(s)}" title="{tip}">{html.escape(c)}</td>'
                           for c in (s.entry.stated, ours, s.difference))
        rows.append(row + "</tr>")
    notes = sorted({f"{s.label}: {s.text}" for s in scores if s.ours is None})
    profile = ", ".join(sorted({s.profile for s in scores}))
    return (f"<table>{head}{''.join(rows)}</table><p>Profile {html.escape(profile)}; F1 of "
            "ours is the mean over seeds; tolerance 2 × binomial SE of the paper's 100 and of "
            "our test spectra per class (hover a cell). "
            + " ".join(f"<br>{html.escape(n)}" for n in notes) + "</p>")


def scorecard_html(scores: list[Score]) -> str:
    """The scorecard (``<div id="scorecard">``): counts, then one table per paper item."""
    counts = {v: sum(s.verdict == v for s in scores) for v in VERDICTS}
    keys = {"within": "within the tolerance", "outside": "outside",
            "inconclusive": "inconclusive (our test set too small)", "not run": "not run"}
    legend = ('<p class="legend">' + "".join(
        f'<span class="{v.replace(" ", "")}">{keys[v]}: {counts[v]}</span>' for v in VERDICTS)
        + f" of {len(scores)} comparisons with {len({s.entry.key for s in scores})} numbers "
        "of the papers. Tolerances: 2 × binomial SE of the paper's test set (and of ours) for "
        "accuracies and F1, the paper's wording for bounds; each row's reason on hover and in "
        "<code>nmrlib.papers</code>.</p>")
    groups: dict[tuple[str, str], list[Score]] = {}
    for s in scores:
        groups.setdefault((s.entry.paper, s.entry.item), []).append(s)
    parts = []
    for (paper, item), members in groups.items():
        grid = [s for s in members if s.entry.key.startswith("yip.table3.")]
        rest = [s for s in members if s not in grid]
        parts.append(f"<h3>{html.escape(paper)}: {html.escape(item)}</h3>")
        if grid:
            parts.append(_table_three_html(grid))
        if rest:
            parts.append(f"<table>{_HEAD}{_score_rows(rest)}</table>")
    return f'<div id="scorecard">{legend}{"".join(parts)}</div>'


# ---- Markdown tables ----------------------------------------------------------------------

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str]:
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def markdown_html(text: str) -> str:
    """Pipe tables of ``text`` as HTML tables (cells escaped); other lines as paragraphs."""
    out, block = [], []

    def flush():
        if not block:
            return
        header = _cells(block[0])
        body = block[2:] if len(block) > 1 and _SEPARATOR.match(block[1]) else block[1:]
        out.append("<table><thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in header)
                   + "</tr></thead><tbody>" + "".join(
                       "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row))
                       + "</tr>" for row in body) + "</tbody></table>")
        block.clear()

    for line in text.splitlines():
        if line.strip().startswith("|"):
            block.append(line)
            continue
        flush()
        if line.strip():
            out.append(f"<p>{html.escape(line.strip().lstrip('#').strip())}</p>")
    flush()
    return "\n".join(out)


# ---- notebooks ----------------------------------------------------------------------------

def notebook_html(executed: Path, target: Path, exporter=None) -> None:
    """Convert an executed notebook to a standalone HTML page (images embedded)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = exporter or HTMLExporter()
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body)


def executed_runs(folder: Path, stem: str) -> list[Path]:
    """Executed notebooks of one source: ``stem.ipynb`` and per-configuration ``stem-*.ipynb``."""
    runs = [folder / f"{stem}.ipynb", *sorted(folder.glob(f"{stem}-*.ipynb"))]
    return [p for p in runs if p.exists() and not p.name.endswith((".failed.ipynb", ".part.ipynb"))]


def _notebook_rows(root: Path, profile: str, out: Path) -> tuple[list[str], dict[str, str]]:
    """Table rows for every notebook run (and every training configuration) and the page of
    each executed source stem."""
    from nbconvert import HTMLExporter

    from nmrlib.training import CONFIGURATIONS

    exporter = HTMLExporter()
    folder = root / "build" / profile / "notebooks"
    rows, pages = [], {}
    for source in notebook_sources(root):
        title = html.escape(_title(source))
        expected = [source.stem] if source.stem != TRAIN_STEM else \
            [f"{TRAIN_STEM}-{c.name}" for c in CONFIGURATIONS]
        extra = [p.stem for p in executed_runs(folder, source.stem) if p.stem not in expected]
        for run in expected + extra:
            done, failed = folder / f"{run}.ipynb", folder / f"{run}.failed.ipynb"
            if done.exists():
                notebook_html(done, out / f"{run}.html", exporter)
                pages.setdefault(source.stem, f"{run}.html")
                cell = f'<a href="{run}.html">{run}</a>'
            elif failed.exists():
                notebook_html(failed, out / f"{run}.failed.html", exporter)
                cell = (f'{run} <span class="missing">failed: see <a href="{run}.failed.html">'
                        "its traceback</a></span>")
            else:
                cell = (f'{run} <span class="missing">not run: no build/{profile}/notebooks/'
                        f"{run}.ipynb (make reproduce PROFILE={profile})</span>")
            rows.append(f"<tr><td>{cell}</td><td>{title}</td></tr>")
    return rows, pages


def _title(source: Path) -> str:
    """The first markdown heading of a jupytext source."""
    for line in source.read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return source.stem


# ---- the page -----------------------------------------------------------------------------

def build_report(profile: str, root: Path | None = None, out: Path | None = None) -> Path:
    """Write the report of ``profile`` to ``out`` (default ``build/report``); return index.html.

    ``out`` is replaced; a folder that exists, is not empty and holds no ``index.html`` is
    refused (ValueError) rather than deleted.
    """
    from nmrlib.dataset import PROFILES as DATASET_PROFILES  # imports torch: only when building
    from nmrlib.nus.sidebyside import side_by_side_html

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    root = Path(root or project_root())
    out = Path(out) if out is not None else root / "build" / "report"
    if out.exists():
        if not out.is_dir() or (any(out.iterdir()) and not (out / "index.html").exists()):
            raise ValueError(f"{out} exists and is not a report folder; refusing to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    scores = scorecard(root / "results" / profile, profile)
    rows, pages = _notebook_rows(root, profile, out)
    for kind in ("figures", "results"):
        if (root / kind / profile).is_dir():
            shutil.copytree(root / kind / profile, out / kind)
    figures = sorted((out / "figures").glob("*.png"))
    results = sorted(p for p in (out / "results").rglob("*") if p.is_file())
    paper_rows = "".join(
        f"<tr><td>{paper}</td><td>{html.escape(item)}</td><td>"
        + (f'<a href="{pages[stem]}">{stem}</a>' if stem in pages
           else f'{stem} <span class="missing">not run: no build/{profile}/notebooks/'
                f"{stem}*.ipynb</span>")
        + f"</td><td>{html.escape(what)}</td></tr>"
        for paper, item, stem, what in PAPER_MAP
    )
    tables = "".join(f"<h3>{path.name}</h3>{markdown_html(path.read_text())}"
                     for path in results if path.suffix == ".md")
    settings = "".join(
        f"<tr><td>{html.escape(stem)}</td><td><code>{html.escape(json.dumps(by[profile]))}"
        "</code></td></tr>"
        for stem, by in load_profiles(root).items() if (by or {}).get(profile))
    settings += (f"<tr><td>TOCSY data set (<code>nmrlib.dataset.PROFILES</code>)</td><td><code>"
                 f"{html.escape(json.dumps(DATASET_PROFILES[profile]))}</code></td></tr>"
                 if profile in DATASET_PROFILES else "")
    figure_html = "".join(
        f'<figure><a href="figures/{quote(p.name)}"><img src="figures/{quote(p.name)}" '
        f'alt="{html.escape(p.stem)}"></a><figcaption>{html.escape(p.name)}</figcaption>'
        "</figure>" for p in figures)
    links = "".join(f'<li><a href="{quote(p.relative_to(out).as_posix())}">'
                    f"{html.escape(p.relative_to(out / 'results').as_posix())}</a></li>"
                    for p in results if p.suffix in (".json", ".md"))
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>nmrlib report ({profile})</title><style>{STYLE}</style></head><body>
<h1>nmrlib report — profile <code>{profile}</code></h1>
<h2>Scorecard: the papers' numbers beside ours</h2>{scorecard_html(scores)}
<h2>NUS methods side by side on every set</h2>{side_by_side_html(root / "results" / profile)}
<h2>Paper figures and tables → notebooks</h2>
<table><tr><th>paper</th><th>item</th><th>notebook</th><th>output</th></tr>{paper_rows}</table>
<h2>Notebook runs</h2><table><tr><th>notebook</th><th>title</th></tr>{''.join(rows)}</table>
<h2>Profile <code>{profile}</code>: settings that differ from the notebooks' defaults</h2>
<p>From <code>notebooks/profiles.yml</code>; the paper's protocol rows of the scorecard show
what they change.</p>
{f'<table><tr><th>notebook</th><th>settings</th></tr>{settings}</table>' if settings
 else '<p>none: the notebooks run with their own defaults</p>'}
<h2>Tables</h2>{tables or '<p>not run: no results/' + profile + '/*.md</p>'}
<h2>Figures</h2><div class="figures">{figure_html or
 '<p>not run: no figures/' + profile + '/*.png</p>'}</div>
<h2>Results</h2><ul>{links or '<li>not run: no results/' + profile + '</li>'}</ul>
<h2>Environment</h2><pre>{html.escape(json.dumps(environment_report(), indent=2))}</pre>
</body></html>
"""
    index = out / "index.html"
    index.write_text(page)
    return index


def main(argv: list[str]) -> int:
    parser = CliParser(prog="python -m nmrlib report",
                       description="Build build/report/index.html")
    parser.add_argument("--profile", choices=PROFILES, required=True)
    args = parser.parse_args(argv[1:])
    index = build_report(args.profile)
    print(f"report -> {index.relative_to(project_root())}")
    return 0
