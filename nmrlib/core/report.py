"""HTML report of one profile, ``build/report/index.html``: the page a reader opens first.

``python -m nmrlib report --profile quick`` writes, from top to bottom:

1. a **scorecard**: every number of both papers (:mod:`nmrlib.core.papers`) beside ours from
   ``results/<profile>/`` (:func:`scorecard`), with the difference, the tolerance used and
   the profile, coloured green (within the tolerance), red (outside), yellow
   (inconclusive: our test set is too small to tell, see :mod:`nmrlib.core.papers`) or grey
   ("not run: <reason>" when we have no number);
2. the map from paper figures/tables to notebooks, and every notebook run (HTML pages
   converted from ``build/<profile>/notebooks/*.ipynb``; missing runs say why);
3. the profile's reductions (``notebooks/profiles.yml``), the Markdown tables of
   ``results/<profile>/*.md`` as HTML tables, the figures of ``figures/<profile>`` as
   thumbnails linked to the full image, links to every results JSON and the environment.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

from nmrlib.core import papers
from nmrlib.core.cli import CliParser
from nmrlib.core.notebooks import PROFILES, load_profiles, notebook_sources
from nmrlib.core.repro import environment_report, project_root
from nmrlib.core.scorecard import VERDICTS, Score, scorecard

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
        "<code>nmrlib.core.papers</code>.</p>")
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

    from nmrlib.tocsy.training import CONFIGURATIONS

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


def build_report(profile: str, root: Path | None = None, out: Path | None = None) -> Path:
    """Write the report of ``profile`` to ``out`` (default ``build/report``); return index.html.

    ``out`` is replaced; a folder that exists, is not empty and holds no ``index.html`` is
    refused (ValueError) rather than deleted.
    """
    from nmrlib.nus.sidebyside import side_by_side_html
    from nmrlib.tocsy.corpus import (
        PROFILES as DATASET_PROFILES,  # imports torch: only when building
    )

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
    settings += ("<tr><td>TOCSY data set (<code>nmrlib.tocsy.corpus.PROFILES</code>)</td>"
                 "<td><code>"
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
