"""NUS methods side by side on every real set, with the paper's claims beside them (issue 23).

Notebook 08 measures, per data set, the peak-intensity R² of each reconstruction method
(mean and sd over the same Poisson-gap schedules at every NUS level) and the seconds per
spectrum, zero filling (ZF) included on the same schedules (``nmrlib.nus.studies``). This
module puts them in one table per set (:func:`side_by_side`), sets the paper's claims
(``nmrlib.core.papers``, Qu et al. 2020: DL >= LR with a smaller spread at 10-15 %, R² >= 0.98
at 25 %, DL in 4-8 % of LR's time) beside them, and writes one sentence per set saying
which claims hold and which do not (:func:`verdict_sentence`) -- computed from the numbers,
so it changes when they do. The HTML report shows the same (:func:`side_by_side_html`,
read from ``results/<profile>/08_dlnmr_evaluation.json``).

Table layout (JSON-ready): ``{set: {"r2": {method: {level: [mean, sd]}}, "seconds":
{method: s}, "schedules": {method: k}}}``; levels are strings ("0.15"), seconds are the
wall clock of one reconstruction of the set on the CPU.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

__all__ = ["side_by_side", "verdict_sentence", "side_by_side_text",
           "side_by_side_html"]

CLAIM_KEYS = ("qu.r2.dl_vs_lr_10_15", "qu.r2.other_2d_25", "qu.time.2d")


def side_by_side(results: dict, timing: dict, levels, zf: dict | None = None) -> dict:
    """The table (module docstring) from notebook 08's ``results`` (``r2_vs_nus`` per set),
    its CPU ``timing`` (``{(set, device): {method: s}}``) and ``zf`` (per set, the
    ``"zero-filled"`` entry of :func:`nmrlib.nus.studies.r2_vs_nus`). Sets without timing
    get no seconds."""
    table = {}
    for name, res in results.items():
        per = {m: v for m, v in res.items() if m != "examples"}
        if zf and name in zf:
            per["zf"] = zf[name]
        r2 = {m: {str(lv): [float(np.mean(v[lv]["r2"])), float(np.std(v[lv]["r2"]))]
                  for lv in levels} for m, v in per.items()}
        seconds = dict(timing.get((name, "cpu"), {}))
        if "zf" in per:
            seconds["zf"] = float(np.mean([s for lv in levels for s in per["zf"][lv]["seconds"]]))
        table[name] = {"r2": r2, "seconds": seconds,
                       "schedules": {m: len(v[levels[0]]["r2"]) for m, v in per.items()}}
    return table


def _pct(level: float) -> str:
    """A NUS level as the project writes it: "15 %"."""
    return f"{100 * float(level):.0f} %"


def _mean(row: dict, method: str, level: float) -> tuple[float, float] | None:
    got = row["r2"].get(method, {}).get(str(level))
    return None if got is None else (got[0], got[1])


def _best(row: dict, levels) -> str:
    """Which method has the highest mean R² at every level, or that none does."""
    winners = {max(row["r2"], key=lambda m: row["r2"][m][str(lv)][0]) for lv in levels}
    if len(winners) == 1:
        return f"{winners.pop().upper()} has the highest mean R² at every level"
    return "no method is best at every level (" + ", ".join(
        f"{_pct(lv)} {max(row['r2'], key=lambda m: row['r2'][m][str(lv)][0]).upper()}"
        for lv in levels) + ")"


def _claim_dl_lr(row: dict, levels) -> str | None:
    """The paper's DL >= LR with a smaller sd at 10 and 15 %, as measured here."""
    parts = []
    for lv in (0.10, 0.15):
        dl, lr = _mean(row, "dl", lv), _mean(row, "lr", lv)
        if lv in levels and dl and lr:
            ok = dl[0] >= lr[0] and dl[1] <= lr[1]
            parts.append(f"{'holds' if ok else 'does not hold'} at {_pct(lv)} "
                         f"(DL {dl[0]:.3f} ± {dl[1]:.3f}, LR {lr[0]:.3f} ± {lr[1]:.3f})")
    return "the paper's DL >= LR with a smaller spread " + " and ".join(parts) if parts else None


def _claim_25(row: dict, levels) -> str | None:
    """The paper's R² >= 0.98 at 25 % for DL and LR."""
    if 0.25 not in levels:
        return None
    got = {m: _mean(row, m, 0.25) for m in ("dl", "lr")}
    met = [m.upper() for m, v in got.items() if v and v[0] >= 0.98]
    missed = [f"{m.upper()} {v[0]:.3f}" for m, v in got.items() if v and v[0] < 0.98]
    if not met and not missed:
        return None
    if not met:
        return f"R² >= 0.98 at 25 % holds for neither ({', '.join(missed)})"
    return ("R² >= 0.98 at 25 % holds for " + " and ".join(met)
            + (f", not for {', '.join(missed)}" if missed else ""))


def _claim_time(row: dict) -> str | None:
    """The paper's DL time of 4-8 % of LR's."""
    sec = row["seconds"]
    if "dl" not in sec or "lr" not in sec or sec["lr"] <= 0:
        return None
    ratio = sec["dl"] / sec["lr"]
    where = "below" if ratio < 0.04 else "within" if ratio <= 0.08 else "above"
    return f"DL takes {100 * ratio:.1f} % of LR's time ({where} the paper's 4-8 %)"


def _beyond(row: dict, levels) -> str | None:
    """Unrolled against IST and ZF at every level (the issue's targets)."""
    if "unrolled" not in row["r2"]:
        return None
    parts = []
    for other in ("ist", "zf"):
        if other in row["r2"]:
            low = [f"{_pct(lv)}" for lv in levels
                   if row["r2"]["unrolled"][str(lv)][0] < row["r2"][other][str(lv)][0]]
            parts.append(f">= {other.upper()} " + ("at every level" if not low
                                                    else f"except at {', '.join(low)}"))
    return "UNROLLED is " + " and ".join(parts) if parts else None


def verdict_sentence(name: str, row: dict, levels) -> str:
    """One sentence on what holds and what does not for set ``name`` (from the numbers)."""
    levels = [float(lv) for lv in levels]
    clauses = [c for c in (_claim_dl_lr(row, levels), _claim_25(row, levels),
                           _claim_time(row), _beyond(row, levels), _best(row, levels)) if c]
    return f"{name}: " + "; ".join(clauses) + "."


def _claims_lines() -> list[str]:
    from nmrlib.core.papers import entry

    return [f"paper ({entry(k).cite}): {entry(k).quantity}: {entry(k).stated}"
            for k in CLAIM_KEYS]


def side_by_side_text(table: dict, levels) -> str:
    """Plain-text tables (R² mean ± sd per method and level, seconds) and the sentences."""
    lines = _claims_lines()
    for name, row in table.items():
        methods = list(row["r2"])
        lines.append(f"{name}: R² mean ± sd (schedules {row['schedules']})")
        lines.append("  NUS   " + "".join(f"{m.upper():>15}" for m in methods))
        for lv in levels:
            lines.append(f"  {lv:4.0%}  " + "".join(
                f"{row['r2'][m][str(lv)][0]:8.3f} ± {row['r2'][m][str(lv)][1]:.3f}"
                for m in methods))
        if row["seconds"]:
            lines.append("  s/spectrum " + ", ".join(f"{m.upper()} {s:.3g}"
                                                   for m, s in row["seconds"].items()))
        lines.append("  " + verdict_sentence(name, row, levels))
    return "\n".join(lines)


def side_by_side_html(results_dir: str | Path) -> str:
    """HTML of the side-by-side tables of notebook 08's JSON in ``results_dir``
    (a "not run" line when it or its ``side_by_side`` entry is missing)."""
    path = Path(results_dir) / "08_dlnmr_evaluation.json"
    try:
        data = json.loads(path.read_text())
        table, levels = data["side_by_side"], [float(lv) for lv in data["levels"]]
    except (OSError, ValueError, KeyError):
        return f"<p>not run: no side_by_side in {html.escape(str(path))}</p>"
    parts = ["<ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in _claims_lines()) + "</ul>"]
    for name, row in table.items():
        methods = list(row["r2"])
        head = "".join(f"<th>{m.upper()}</th>" for m in methods)
        body = "".join(
            f"<tr><td>{_pct(lv)}</td>" + "".join(
                f"<td>{row['r2'][m][str(lv)][0]:.3f} ± {row['r2'][m][str(lv)][1]:.3f}</td>"
                for m in methods) + "</tr>" for lv in levels)
        body += "<tr><td>s / spectrum</td>" + "".join(
            f"<td>{row['seconds'][m]:.3g}</td>" if m in row["seconds"] else "<td>—</td>"
            for m in methods) + "</tr>"
        parts.append(f"<h3>{html.escape(name)}</h3><table><tr><th>NUS</th>{head}</tr>{body}"
                     f"</table><p>{html.escape(verdict_sentence(name, row, levels))}</p>")
    return "".join(parts)
