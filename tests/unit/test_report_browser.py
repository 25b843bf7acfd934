"""The segment report in headless Chromium: every chart drawn, no JavaScript error, nothing fetched.

How: Chromium runs the page with --dump-dom after its scripts ran (--virtual-time-budget) and
prints the DOM. Two independent readings of it are checked:

- the page's own status, a JSON document its script writes into <pre id="report-status">:
  charts drawn (Plotly.newPlot resolved and an SVG with traces exists), JavaScript errors
  (window error events, unhandled rejections, console.error, failed charts) and the resources
  the page loaded (performance entries: none, the page is self-contained);
- the DOM itself: every chart <div data-chart> holds a plot container, plotly's main SVG and at
  least one trace or heatmap group.

The canary tests break a copy of the page (a thrown error, a corrupt chart spec, no plotly.js)
and check the same assertions then fail, so a passing run means something.

Chromium is /usr/bin/chromium (or $CHROMIUM). Without it the tests skip, unless CI is set: CI
installs Chromium, so a missing browser there is a failure, not a silent skip.

Run as a script to screenshot a report at its full height:
    python tests/unit/test_report_browser.py REPORT.html SCREENSHOT.png
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

# test_report is importable as pytest puts this folder on sys.path (and so does running the file).
from test_report import build_warehouse

from customer_segmentation.report import write_report

DEFAULT_CHROMIUM = "/usr/bin/chromium"
WINDOW_WIDTH = 1400
VIRTUAL_TIME_BUDGET_MS = 10_000
TIMEOUT_SECONDS = 180
TODAY_CHARTS = {
    "sizes-shares",
    "profiles-heatmap",
    "projection-pca",
    "k_selection-curves",
    "fairness-gender",
    "fairness-age_band",
}
FULL_CHARTS = TODAY_CHARTS | {
    "validation-eta",
    "scores-bars",
    "scores-calibration",
    "migration-heatmap",
    "reviews-sentiment",
}
HTML_VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


def chromium_path() -> str | None:
    """The Chromium binary ($CHROMIUM, else /usr/bin/chromium), or None when absent."""
    candidate = os.environ.get("CHROMIUM", DEFAULT_CHROMIUM)
    return candidate if Path(candidate).is_file() and os.access(candidate, os.X_OK) else None


def chromium_command(chromium: str, user_data_dir: Path, height: int) -> list[str]:
    """Headless Chromium that runs a local page and touches nothing else."""
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={user_data_dir}",
        f"--window-size={WINDOW_WIDTH},{height}",
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
    ]


def _run(command: list[str]) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.splitlines()[-20:])
        raise RuntimeError(f"chromium exited with {completed.returncode}:\n{tail}")
    return completed


@dataclass(frozen=True)
class ChartDom:
    """What the DOM holds inside one chart element."""

    plot_containers: int = 0
    main_svgs: int = 0
    marks: int = 0


class _ChartCollector(HTMLParser):
    """Counts plotly elements inside every <div data-chart> of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, ChartDom] = {}
        self._depth = 0
        self._open: list[tuple[str, int]] = []  # (chart key, depth of its element)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        for key, _ in self._open:
            chart = self.charts[key]
            self.charts[key] = ChartDom(
                chart.plot_containers + ("plot-container" in classes),
                chart.main_svgs + ("main-svg" in classes),
                chart.marks + bool(classes & {"trace", "hm"}),
            )
        if tag in HTML_VOID_ELEMENTS:
            return
        self._depth += 1
        if attributes.get("data-chart"):
            self._open.append((attributes["data-chart"], self._depth))
            self.charts[attributes["data-chart"]] = ChartDom()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closed element opens nothing: count it, then undo the depth change.
        self.handle_starttag(tag, attrs)
        if tag not in HTML_VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HTML_VOID_ELEMENTS:
            return
        if self._open and self._open[-1][1] == self._depth:
            self._open.pop()
        self._depth -= 1


@dataclass(frozen=True)
class BrowserRun:
    """The page as Chromium left it: the page's status JSON and the DOM's chart contents."""

    status: dict
    charts: dict[str, ChartDom]
    static_chart_keys: set[str]


def render_page(chromium: str, page: Path) -> BrowserRun:
    """Run the page in headless Chromium and read back its status and DOM."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = chromium_command(chromium, Path(profile), 1000)
        dom = _run([*command, "--dump-dom", page.resolve().as_uri()]).stdout
    match = re.search(r'<pre id="report-status"[^>]*>(.*?)</pre>', dom, re.DOTALL)
    assert match, "the dumped DOM has no report-status element"
    status = json.loads(html.unescape(match.group(1)))
    collector = _ChartCollector()
    collector.feed(dom)
    static_keys = set(re.findall(r'data-chart="([\w-]+)"', page.read_text(encoding="utf-8")))
    return BrowserRun(status, collector.charts, static_keys)


def screenshot(chromium: str, page: Path, png: Path, height: int) -> Path:
    """A PNG of the page, WINDOW_WIDTH wide and `height` tall."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = chromium_command(chromium, Path(profile), height)
        _run([*command, f"--screenshot={png.resolve()}", page.resolve().as_uri()])
    return png


def assert_page_ok(run: BrowserRun, expected_charts: set[str]) -> None:
    """Every expected chart drawn, in the page's status and in the DOM; no error; no fetch."""
    status = run.status
    assert status.get("done") is True, f"the page's script did not finish: {status}"
    assert status["errors"] == [], f"JavaScript errors: {status['errors']}"
    assert status["resources"] == [], f"the page fetched resources: {status['resources']}"
    assert run.static_chart_keys == expected_charts
    drawn = {chart["key"] for chart in status["charts"] if chart["drawn"]}
    assert drawn == expected_charts, f"not drawn: {sorted(expected_charts - drawn)}"
    assert status["charts_drawn"] == status["charts_expected"] == len(expected_charts)
    assert set(run.charts) == expected_charts
    for key, chart in run.charts.items():
        assert chart.plot_containers == 1, f"{key}: no plot container in the DOM"
        assert chart.main_svgs >= 1, f"{key}: no plotly SVG in the DOM"
        assert chart.marks >= 1, f"{key}: no trace drawn in the DOM"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        where = os.environ.get("CHROMIUM", DEFAULT_CHROMIUM)
        message = f"Chromium not found at {where} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set and installs it, so this is a failure")
        pytest.skip(f"{message}; set CI to turn this skip into a failure")
    return path


@pytest.fixture(scope="module")
def full_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("browser-full")
    database = build_warehouse(directory / "warehouse.duckdb", optional=True)
    return write_report(database, directory / "report.html")


def test_todays_models_draw_every_chart(chromium, tmp_path):
    database = build_warehouse(tmp_path / "warehouse.duckdb")
    page = write_report(database, tmp_path / "report.html")
    assert_page_ok(render_page(chromium, page), TODAY_CHARTS)


def test_all_marts_draw_every_chart_and_screenshot(chromium, full_page, tmp_path):
    run = render_page(chromium, full_page)
    assert_page_ok(run, FULL_CHARTS)
    png = screenshot(chromium, full_page, tmp_path / "report.png", run.status["page_height"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 50_000, "the screenshot looks blank"


def _broken_copy(page: Path, target: Path, breakage: str) -> Path:
    text = page.read_text(encoding="utf-8")
    if breakage == "thrown error":
        text = text.replace("</body>", "<script>null.boom();</script></body>")
    elif breakage == "corrupt chart spec":
        text = re.sub(
            r'(<script type="application/json" id="chart-sizes-shares-spec">).*?(</script>)',
            r'\1{"data": [\2',
            text,
            count=1,
            flags=re.DOTALL,
        )
    elif breakage == "no plotly.js":
        start = text.index("<script>", text.index("</style>"))
        text = text[:start] + text[text.index("</script>", start) + len("</script>") :]
    target.write_text(text, encoding="utf-8")
    return target


@pytest.mark.parametrize("breakage", ["thrown error", "corrupt chart spec", "no plotly.js"])
def test_the_check_fails_on_a_broken_page(chromium, full_page, tmp_path, breakage):
    broken = _broken_copy(full_page, tmp_path / "broken.html", breakage)
    run = render_page(chromium, broken)
    assert run.status["errors"], "the page's error collector missed the breakage"
    with pytest.raises(AssertionError):
        assert_page_ok(run, FULL_CHARTS)


if __name__ == "__main__":
    # python tests/unit/test_report_browser.py REPORT.html SCREENSHOT.png
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.rsplit("Run as a script", 1)[1])
    browser = chromium_path()
    if browser is None:
        raise SystemExit("Chromium not found: apt-get install chromium, or set CHROMIUM")
    report, output = Path(sys.argv[1]), Path(sys.argv[2])
    result = render_page(browser, report)
    print(json.dumps({k: v for k, v in result.status.items() if k != "charts"}, indent=1))
    screenshot(browser, report, output, result.status["page_height"])
    print(f"wrote {output}")
