"""WCAG 2.2 AA, keyboard use, presenter mode and phones, in a real browser (Debian's Chromium).

axe-core (through axe-playwright-python) runs on every page, on sample data, on uploaded data
and in presenter mode. What axe cannot judge is measured here: the contrast of chart text drawn
in SVG, a visible keyboard focus ring, element boxes against the screen (first chart above the
fold, nothing past the right edge) and chart labels inside their chart. Screenshots of presenter
mode at 1366×768 and 1920×1080 and of a 390 px phone go to tests/artifacts/ (tests/test_browser_present.py
measures the presenter's views, steering and share box).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from coloraide import Color

from tests.conftest import REPO, need_shared
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle

pytestmark = pytest.mark.browser
WCAG = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
PAGES = ["", "upload", "satisfaction?by=channel_group", "trends", "respondents", "comments", "wmnow", "board-pack",
         "data", "satisfaction?weighted=1&by=channel_group", "trends?weighted=1", "?weighted=1",
         "compliance"]  # fmt: skip
PRESENTED = ["?present=1", "satisfaction?present=1&by=channel_group", "trends?present=1", "respondents?present=1",
             "comments?present=1", "wmnow?present=1", "board-pack?present=1", "compliance?present=1"]  # fmt: skip


def contrast(rgb: tuple[float, float, float], bg: tuple[float, float, float] = (255, 255, 255)) -> float:
    """WCAG 2.1 contrast ratio by coloraide, a colour library independent of the app's own (charts.contrast)."""
    return Color("srgb", [v / 255 for v in rgb]).contrast(Color("srgb", [v / 255 for v in bg]), method="wcag21")


def rgb(css: str) -> tuple[float, float, float]:
    values = [float(v) for v in re.findall(r"[\d.]+", css)[:3]]
    if css.startswith("#"):
        values = [int(css[i : i + 2], 16) for i in (1, 3, 5)]
    return values[0], values[1], values[2]


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("a11y-store"), tmp_path_factory.mktemp("a11y-logs"), samples="on") as b:
        yield b


@pytest.fixture(scope="module")
def uploaded_app(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    exports = need_shared()
    data_dir = tmp_path_factory.mktemp("a11y-uploaded")
    for dataset, name in [("victim", "victim_survey_example.csv"), ("wmnow", "wmnow_members_example.csv")]:
        if (exports / name).exists():
            subprocess.run([sys.executable, "-m", "insight", "ingest", dataset, str(exports / name), "--data-dir",
                            str(data_dir)], cwd=REPO, check=True, capture_output=True)  # fmt: skip
    with running_app(data_dir, tmp_path_factory.mktemp("a11y-logs2"), samples="off") as base:
        yield base, data_dir


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, width: int = 1366, height: int = 900):
    pg = browser.new_page(viewport={"width": width, "height": height})
    pg.goto(url)
    settle(pg)
    fresh(pg)
    return pg


def fresh(pg) -> None:
    """Wait until the app's style is on the page and nothing of an earlier run is shown faded (stale)."""
    pg.wait_for_function(
        "() => document.querySelector('.app-style') && !document.querySelector('[data-stale=\"true\"]')",
        timeout=30_000,
    )


def axe_violations(pg, *, styled: bool = True) -> list[str]:
    """Every WCAG 2.2 AA violation axe-core finds on the page; ``styled``: wait for the app's style first."""
    from axe_playwright_python.sync_playwright import Axe

    if styled:
        fresh(pg)
    result = Axe().run(pg, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']}: {v['help']} at {node['target']} ({node['html'][:120]})"
        for v in result.response["violations"]
        for node in v["nodes"]
    ]


def test_axe_finds_nothing_on_sample_data_and_in_presenter_mode(sample_app, browser):
    found = {}
    for path in PAGES + PRESENTED:
        pg = open_page(browser, f"{sample_app}/{path}")
        assert pg.locator('[data-testid="stException"]').count() == 0, path
        if violations := axe_violations(pg):
            found[path or "/"] = violations
        pg.close()
    assert not found, found


def test_axe_finds_nothing_on_uploaded_data(uploaded_app, browser):
    base, _ = uploaded_app
    found = {}
    for path in ["", "satisfaction?dataset=victim&by=channel_group", "trends?dataset=victim&by=channel_group",
                 "respondents?dataset=victim", "wmnow", "upload"]:  # fmt: skip
        pg = open_page(browser, f"{base}/{path}")
        if violations := axe_violations(pg):
            found[path or "/"] = violations
        pg.close()
    # the upload preview of a file, before import
    pg = open_page(browser, f"{base}/upload")
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(need_shared() / "caller_101_example.csv")
    )
    pg.get_by_text("Recognised from its header as 101 caller survey.").wait_for(timeout=60_000)
    settle(pg)
    if violations := axe_violations(pg):
        found["upload preview"] = violations
    pg.close()
    assert not found, found


# Each chart text's colour and what it is drawn on: the bar segment under its middle (answer labels sit
# inside the bars), else the white page.
CHART_TEXT = """els => els.filter(e => e.textContent.trim()).map(e => {
    const r = e.getBoundingClientRect(), svg = e.closest('svg');
    const x = r.x + r.width / 2, y = r.y + r.height / 2;  // bars are rectangles: their boxes are their shapes
    const under = [...svg.querySelectorAll('.mark-rect path')].reverse().find(u => {
        const b = u.getBoundingClientRect();
        return b.left <= x && x <= b.right && b.top <= y && y <= b.bottom && getComputedStyle(u).fill !== 'none'; });
    const s = getComputedStyle(e);
    return [e.textContent, s.fill, Number(s.fillOpacity) * Number(s.opacity),
            under ? getComputedStyle(under).fill : 'rgb(255, 255, 255)'];
})"""


@pytest.mark.parametrize("path", ["satisfaction?by=channel_group", "satisfaction?weighted=1&by=channel_group",
                                  "trends?weighted=1", "respondents"])  # fmt: skip
def test_chart_text_is_dark_enough_to_read(sample_app, browser, path):
    """axe does not look inside SVG charts: every axis label, title and value label is checked here,
    against the white page or the bar it is written on."""
    pg = open_page(browser, f"{sample_app}/{path}")
    pg.locator('[data-testid="stVegaLiteChart"] svg text').first.wait_for(timeout=30_000)
    fills = pg.eval_on_selector_all('[data-testid="stVegaLiteChart"] svg text', CHART_TEXT)
    assert len(fills) > 10
    shown = [f for f in fills if f[2] > 0]  # Vega hides axis labels that would overlap (opacity 0)
    weak = [(text, fill, bg) for text, fill, opacity, bg in shown if opacity < 1 or contrast(rgb(fill), rgb(bg)) < 4.5]
    assert not weak, weak
    # every chart has a text alternative stating its finding, and its figures in words on the page
    names = pg.eval_on_selector_all('[data-testid="stVegaLiteChart"]', "els => els.map(e => e.ariaLabel)")
    assert names and all(re.search(r"\d+\.\d%", n or "") for n in names), names
    # each chart's figures in words, under "Figures and table" (in the page, closed until opened)
    findings = pg.eval_on_selector('[data-testid="stMain"]', "e => e.textContent").split("The chart shows:")[1:]
    assert len(findings) == len(names)
    if path.startswith("satisfaction"):
        assert any("Phone: " in f and "dissatisfied" in f for f in findings)  # the answers chart, by channel
        on_bars = [text for text, _, _, bg in fills if bg != "rgb(255, 255, 255)" and text.endswith("%")]
        assert len(on_bars) >= 8, on_bars  # answer segments carry their shares in text, not only a colour
    if "weighted=1" in path:  # unweighted and weighted in words, not told apart by colour alone
        assert all(re.search(r"unweighted|Unweighted", f) and "eighted" in f for f in findings[:1]), findings[:1]
        assert any(re.search(r"\bweighted \d+\.\d%", text) or text.endswith("Weighted to the census")
                   for text, *_ in fills), [t for t, *_ in fills]  # fmt: skip
    slug = re.sub(r"[^a-z]+", "-", path).strip("-")
    charts = pg.locator('[data-testid="stVegaLiteChart"]')
    for i in range(charts.count()):  # each chart as drawn, to look at
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"chart-{slug}-{i + 1}.png"))
    pg.close()


def focus_ring(pg) -> tuple[str, str, str]:
    return pg.evaluate(
        """() => { const e = document.activeElement;
        const box = e.closest('[data-baseweb="select"] > div') || e;
        const s = getComputedStyle(e), b = getComputedStyle(box);
        const outline = s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor;
        return [outline, b.boxShadow, e.outerHTML.slice(0, 80)]; }"""
    )


def visible_focus(pg) -> bool:
    outline, shadow, _ = focus_ring(pg)
    style, width, *colour = outline.split(" ", 2)
    if style != "none" and float(width.rstrip("px")) >= 2 and contrast(rgb(colour[0])) >= 3:
        return True
    return "rgb(26, 95, 180)" in shadow and "3px" in shadow


def tab_to(pg, locator, limit: int = 80) -> None:
    """Press Tab until ``locator`` has the focus, checking the focus is visible on the way."""
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if locator.evaluate("e => e === document.activeElement || e.contains(document.activeElement)"):
            assert visible_focus(pg), focus_ring(pg)
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_keyboard_only(uploaded_app, browser):
    base, data_dir = uploaded_app
    pg = open_page(browser, f"{base}/satisfaction?dataset=victim")
    # the navigation shows where the focus is
    tab_to(pg, pg.locator('[data-testid="stSidebarNav"] a').first)
    outline, _, _ = focus_ring(pg)
    assert outline.startswith("solid 3px"), outline

    # change breakdown, period and dataset with the keyboard alone
    tab_to(pg, pg.get_by_role("combobox", name="Break down by"))
    pg.keyboard.type("Channel")
    pg.keyboard.press("Enter")
    settle(pg)
    pg.wait_for_url(re.compile(r".*by=channel_group.*"), timeout=30_000)
    assert "Initial contact by channel" in pg.inner_text('[data-testid="stMain"]') or "by channel" in pg.inner_text(
        '[data-testid="stMain"]'
    )
    # the figures and the table are behind "Figures and table": opened with the keyboard too
    tab_to(pg, pg.locator('[data-testid="stMain"] [data-testid="stExpander"] summary',
                          has_text="Figures and table").first, limit=200)  # fmt: skip
    pg.keyboard.press("Enter")
    # the table and its download are drawn by the rerun that opening starts
    pg.get_by_role("button", name="Download table (CSV)").first.wait_for(timeout=60_000)
    tab_to(pg, pg.get_by_role("button", name="Download table (CSV)").first, limit=200)
    with pg.expect_download() as download:
        pg.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")

    pg.goto(f"{base}/satisfaction?dataset=victim")
    settle(pg)
    tab_to(pg, pg.get_by_role("combobox", name="Dataset"))
    pg.keyboard.type("WMNow")
    pg.keyboard.press("Enter")
    settle(pg)
    pg.wait_for_url(re.compile(r".*dataset=wmnow.*"), timeout=30_000)
    tab_to(pg, pg.get_by_role("combobox", name="Month joined"))
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("ArrowDown")
    pg.keyboard.press("Enter")
    settle(pg)
    assert "period=" in pg.url and pg.get_by_role("combobox", name="Month joined").input_value()

    # upload and import with the keyboard: Enter on the focused button opens the file chooser
    pg.goto(f"{base}/upload")
    settle(pg)
    # A listener arms Chromium's file chooser interception now. Armed only by expect_file_chooser, just before
    # the key press, it raced it (Playwright subscribes without waiting): in about one run in five the chooser
    # opened before interception was on, and no event came.
    pg.on("filechooser", lambda _: None)
    tab_to(pg, pg.get_by_role("button", name=re.compile("Browse files|Upload")).first)  # reached, focus visible
    with pg.expect_file_chooser(timeout=30_000) as chooser:
        pg.keyboard.press("Enter")
    chooser.value.set_files(str(need_shared() / "caller_101_example.csv"))
    pg.get_by_text("Recognised from its header as 101 caller survey.").wait_for(timeout=60_000)
    settle(pg)
    import_button = pg.get_by_role("button", name=re.compile(r"^Import")).first
    tab_to(pg, import_button)
    pg.keyboard.press("Enter")
    pg.get_by_text("Imported caller_101_example.csv").wait_for(timeout=60_000)
    assert any(data_dir.glob("caller_101*")), "the keyboard import wrote the file to the store"
    pg.close()


def boxes(pg) -> dict:
    return pg.evaluate(
        """() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const chart = main.querySelector('[data-testid="stVegaLiteChart"]');
        const past = [...main.querySelectorAll('*')].filter(e => {
            const r = e.getBoundingClientRect(); return r.width > 0 && r.right > innerWidth + 1; })
            .map(e => e.tagName + '.' + (e.dataset.testid || e.className)).slice(0, 5);
        const sizes = sel => [...main.querySelectorAll(sel)]
            .filter(e => sel.includes('Metric') || !e.closest('[data-testid="stMetricValue"]'))
            .filter(e => e.getBoundingClientRect().height > 0)
            .map(e => parseFloat(getComputedStyle(e).fontSize));
        const box = chart ? chart.getBoundingClientRect() : null;
        return {chartTop: box ? box.top : null, chartBottom: box ? box.bottom : null, height: innerHeight,
                scrollWidth: document.documentElement.scrollWidth, width: innerWidth, past,
                metric: sizes('[data-testid="stMetricValue"]'), text: sizes('h1, h2, h3, p, td, th'),
                table: sizes('[data-testid="stTable"] td')};
        }"""
    )


def open_figures_and_table(pg) -> None:
    """Open the first view's "Figures and table" detail (its table is read there)."""
    pg.locator('[data-testid="stMain"] [data-testid="stExpander"] summary', has_text="Figures and table").first.click()
    pg.locator('[data-testid="stTable"] td').first.wait_for(timeout=30_000)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_presenter_mode_fits_a_projector(sample_app, browser, size):
    width, height = size
    for path in [p for p in PRESENTED if not p.startswith("board-pack")]:  # the pack page draws no chart
        pg = open_page(browser, f"{sample_app}/{path}", width, height)
        if path != "?present=1":
            pg.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=30_000)
        else:
            pg.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=30_000)
        settle(pg)  # measured once no run is under way (a rerun's faded elements would push the chart down)
        b = boxes(pg)
        assert b["scrollWidth"] <= width and not b["past"], (path, b["past"])  # nothing past the right edge
        if path != "?present=1":  # the view's chart is whole on the first screen
            assert b["chartTop"] is not None and b["chartTop"] >= 0 and b["chartBottom"] <= height, (path, b)
        if path.startswith("satisfaction") or path.startswith("wmnow"):
            open_figures_and_table(pg)
            cells = pg.locator('[data-testid="stTable"] td').all_inner_texts()
            assert cells and not [c for c in cells if re.search(r"\d\.\d\d", c)], cells  # one decimal, as elsewhere
            assert min(boxes(pg)["table"]) >= 20, boxes(pg)["table"]  # tables enlarged
        if path == "?present=1":
            assert min(b["metric"]) > max(b["text"]), (b["metric"], max(b["text"]))  # the headline is largest
            pg.screenshot(path=str(ARTIFACTS / f"presenter-overview-{width}x{height}.png"))
        pg.close()


def test_a_phone_sees_whole_labels_and_a_labelled_sidebar_button(sample_app, browser):
    for path in ["satisfaction?by=channel_group", "respondents", "trends"]:
        pg = open_page(browser, f"{sample_app}/{path}", 390, 844)
        pg.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=30_000)
        b = boxes(pg)
        assert b["scrollWidth"] <= 390, (path, b["past"])
        clipped = pg.eval_on_selector_all(
            '[data-testid="stVegaLiteChart"] svg',
            """svgs => svgs.flatMap(svg => { const s = svg.getBoundingClientRect();
                return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).filter(t => {
                    const r = t.getBoundingClientRect();
                    return r.left < s.left - 1 || r.right > s.right + 1; }).map(t => t.textContent); })""",
        )
        assert not clipped, (path, clipped)
        button = pg.locator('[data-testid="stExpandSidebarButton"]')
        assert button.get_attribute("aria-label") and button.evaluate(
            "e => getComputedStyle(e, '::after').content"
        ).strip('"'), "the sidebar button is labelled"
        if path.startswith("satisfaction"):
            pg.screenshot(path=str(ARTIFACTS / "mobile-390.png"), full_page=True)
            answers = pg.locator('[data-testid="stVegaLiteChart"][aria-label*="every answer"]')
            answers.first.screenshot(path=str(ARTIFACTS / "mobile-390-answers.png"))  # labelled segments
        pg.close()


SIDEBAR_RIGHT = """() => { const s = document.querySelector('[data-testid="stSidebar"]');
    return s ? s.getBoundingClientRect().right : 0; }"""


def test_a_phone_opens_with_the_sidebar_closed_and_closes_it_after_a_choice(sample_app, browser):
    """At 390 px the sidebar lies over the page: it starts closed, its button is labelled, and it closes
    once a filter is chosen, so the page it changed is in view. On a wide screen it stays open."""
    pg = open_page(browser, f"{sample_app}/satisfaction", 390, 844)
    assert pg.evaluate(SIDEBAR_RIGHT) <= 0, "the sidebar starts closed on a phone"
    button = pg.locator('[data-testid="stExpandSidebarButton"]')
    assert button.get_attribute("aria-label") == "Expand sidebar"
    button.click()
    pg.wait_for_function(  # fully slid in
        "() => document.querySelector('[data-testid=\"stSidebar\"]').getBoundingClientRect().left >= 0",
        timeout=10_000,
    )
    pg.screenshot(path=str(ARTIFACTS / "mobile-390-sidebar-open.png"))
    pg.get_by_role("combobox", name="Break down by").click()
    pg.get_by_role("option", name="Channel", exact=True).click()
    pg.wait_for_url(re.compile(r".*by=channel_group.*"), timeout=30_000)
    pg.wait_for_function(f"() => ({SIDEBAR_RIGHT})() <= 0", timeout=30_000)  # closed by itself
    settle(pg)
    pg.get_by_role("heading", name=re.compile(r"by channel")).first.scroll_into_view_if_needed()
    pg.screenshot(path=str(ARTIFACTS / "mobile-390-after-a-choice.png"))
    pg.close()

    wide = open_page(browser, f"{sample_app}/satisfaction", 1366, 900)
    wide.get_by_role("combobox", name="Break down by").click()
    wide.get_by_role("option", name="Channel", exact=True).click()
    wide.wait_for_url(re.compile(r".*by=channel_group.*"), timeout=30_000)
    settle(wide)
    fresh(wide)
    assert wide.evaluate(SIDEBAR_RIGHT) > 200, "a wide screen keeps its sidebar open"
    wide.close()
