"""The report in a real headless browser (Chromium): the scorecard renders, every figure loads.

A test-only copy of ``index.html`` gets a script that, once the page has loaded, writes into
``<body data-*>`` how many figures loaded (``naturalWidth > 0``), which did not, how many
scorecard cells carry a verdict colour and the scorecard's rendered height; Chromium's
``--dump-dom`` returns that DOM. A screenshot of the top of the page is checked for the
verdict colours. Skipped only when no Chromium binary is installed
(Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from test_report import make_project

from nmrlib.core.report import build_report

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=5000")
PROBE = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const bad = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
  const card = document.getElementById("scorecard");
  const marked = card ? card.querySelectorAll(".within, .outside, .inconclusive, .notrun") : [];
  const b = document.body.dataset;
  b.images = images.length; b.badImages = JSON.stringify(bad); b.scoreCells = marked.length;
  b.scorecardHeight = card ? Math.round(card.getBoundingClientRect().height) : 0;
  b.checked = "yes";
});
</script>"""
# verdict backgrounds of nmrlib.core.report.STYLE (within, outside, not run)
COLOURS = {"within": (0xe3, 0xf4, 0xe6), "outside": (0xfb, 0xe3, 0xe1),
           "not run": (0xee, 0xee, 0xee)}


def _browser() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip(f"no Chromium binary found (tried {', '.join(BROWSERS)}); "
                "install one with `apt-get install chromium`")


class _Body(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.attrs = {k: v or "" for k, v in attrs}


def render(index: Path, tmp: Path) -> tuple[dict[str, str], np.ndarray]:
    """Load ``index`` (a probed copy beside it) in Chromium: body data attributes and a
    1280 x 4000 screenshot as an RGB array."""
    import matplotlib.image

    browser = _browser()
    probe = index.with_name("browser-probe.html")
    probe.write_text(index.read_text().replace("</body>", PROBE + "</body>"))
    png = tmp / "report.png"
    common = [browser, *FLAGS, f"--user-data-dir={tmp / 'chromium-profile'}"]
    subprocess.run([*common, f"--screenshot={png}", "--window-size=1280,4000", probe.as_uri()],
                   check=True, capture_output=True, timeout=120)
    dom = subprocess.run([*common, "--dump-dom", probe.as_uri()], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    parser = _Body()
    parser.feed(dom)
    assert parser.attrs.get("data-checked") == "yes", "the probe script did not run"
    pixels = (matplotlib.image.imread(png)[..., :3] * 255).round().astype(int)
    return parser.attrs, pixels


def _colour_share(pixels: np.ndarray, rgb: tuple[int, int, int]) -> float:
    return float(np.mean(np.all(np.abs(pixels - np.array(rgb)) <= 2, axis=-1)))


def test_fake_project_report_in_chromium(tmp_path):
    root = make_project(tmp_path / "project")
    index = build_report("smoke", root, out=tmp_path / "report")
    body, pixels = render(index, tmp_path)
    assert int(body["data-images"]) == 2 and json.loads(body["data-bad-images"]) == []
    assert int(body["data-score-cells"]) >= 90
    assert int(body["data-scorecard-height"]) > 1000
    assert pixels.shape == (4000, 1280, 3)
    for verdict, rgb in COLOURS.items():
        assert _colour_share(pixels[:2000], rgb) > 0.002, f"no {verdict} colour on screen"


def test_smoke_report_in_chromium(tmp_path):
    figures = sorted((ROOT / "figures" / "smoke").glob("*.png"))
    if not figures or not (ROOT / "build" / "smoke" / "notebooks").is_dir():
        pytest.skip("no smoke run in this checkout (figures/smoke, build/smoke): `make smoke`")
    index = build_report("smoke", ROOT, out=tmp_path / "report")
    body, pixels = render(index, tmp_path)
    assert json.loads(body["data-bad-images"]) == [], "figures that did not load"
    assert int(body["data-images"]) == len(figures)
    assert int(body["data-score-cells"]) >= 90                     # every paper number
    assert int(body["data-scorecard-height"]) > 1000
    assert _colour_share(pixels[:1500], COLOURS["not run"]) + \
        _colour_share(pixels[:1500], COLOURS["outside"]) > 0.01      # the scorecard is on top
