"""The scorecard: every number of both papers (:mod:`nmrlib.core.papers`) beside ours from
``results/<profile>/``, with the difference, the tolerance and a verdict (within, outside,
inconclusive, not run). Reads the results JSON only, never the papers' subpackages.

Sources of our numbers: ``classification/<config>.json`` (notebook 03, Tables I-III and
the abstract), ``08_dlnmr_evaluation.json`` (DL, LR, IST R², timing, 3D) and
``06_nus_reconstruction.json`` (LR at the paper's settings). A claim made on data we do not
have (the CD79b HSQC) is compared on our real sets where the claim is general, and says
"not run" where it names that spectrum.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nmrlib.core import papers


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


class _ClassificationResults(dict):
    """``classification/<config>.json`` of ``results_dir`` by configuration name; a name
    without a file reads as ``{"status": "not run: ..."}`` (the text of
    :func:`nmrlib.tocsy.tables.load_results`, without importing the paper's subpackage)."""

    def __init__(self, results_dir: str | Path):
        folder = Path(results_dir) / "classification"
        super().__init__({p.stem: json.loads(p.read_text())
                          for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {})

    def __missing__(self, name: str) -> dict:
        return {"status": f"not run: no {name}.json (notebook 03 not run for this "
                          "configuration)"}


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
    from nmrlib.tocsy.training import CONFIGURATIONS

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
    """Every entry of :data:`nmrlib.core.papers.ENTRIES` beside our results in ``results_dir``.

    An entry maps to one score or, where the paper's claim covers several of our results
    (data sets, methods, NUS levels), to one score each; what we did not run says why.
    """
    results_dir = Path(results_dir)
    dl = _read_json(results_dir / "08_dlnmr_evaluation.json")
    lr06 = _read_json(results_dir / "06_nus_reconstruction.json")
    missing = (f"no {results_dir.name}/08_dlnmr_evaluation.json (notebook 08 not run under "
               f"profile {profile})")
    scores = _classification_scores(_ClassificationResults(results_dir), profile)
    return scores + _dlnmr_scores(dl, lr06, profile, missing)


VERDICTS = ("within", "outside", "inconclusive", "not run")
