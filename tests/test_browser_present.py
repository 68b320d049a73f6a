"""Presenters, in a real browser (Debian's Chromium): a shared view opens on what it names, whole on the first
screen at 1366×768 and 1920×1080, readable from the back (key figures ≥ 40 px, chart labels ≥ 24 px at
1920×1080), steered by mouse and keyboard within 1.5 s, and shared with a visible "Copy link". Also: every
section of a page fits a 1366×768 screen, a 390 px phone, the Overview, WMNow and the Upload page as a
manager sees them. Screenshots of each presenter view, the Overview, WMNow and Upload go to tests/artifacts/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.conftest import need_shared
from tests.messy import read_rows, write_rows
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle

pytestmark = pytest.mark.browser
SIZES = [(1366, 768), (1920, 1080)]
# Each presenter view a link can name: (name, address, figures drawn on the chart as its key figures)
VIEWS = [
    ("by-channel", "satisfaction?dataset=victim&period=2019-09&by=channel_group&aspect=initial_contact", True),
    ("aspects", "satisfaction?dataset=victim&period=2019-09&view=aspects", True),
    ("answers", "satisfaction?dataset=victim&period=2019-09&view=answers", False),  # shares in its segments
    ("drivers", "satisfaction?dataset=victim&period=2019-09&view=drivers", False),  # points named, no figures
    ("trends", "trends?dataset=victim&period=2019-09", True),
    ("respondents", "respondents?dataset=victim&period=2019-09", True),
    ("comments", "comments?dataset=victim&period=2019-09", True),
    ("wmnow", "wmnow?period=2019-09&months=12", True),
]
FIRST_CHART = """() => {
    const chart = document.querySelector('[data-testid="stMain"] [data-testid="stVegaLiteChart"]');
    const box = chart.getBoundingClientRect();
    const texts = [...chart.querySelectorAll('svg text')].filter(t => t.textContent.trim()
        && Number(getComputedStyle(t).opacity) > 0 && Number(getComputedStyle(t).fillOpacity) > 0);
    const sizes = texts.map(t => parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize));
    return {top: box.top, bottom: box.bottom, height: innerHeight, name: chart.ariaLabel || '',
            smallest: Math.min(...sizes), largest: Math.max(...sizes), count: texts.length,
            scrollWidth: document.documentElement.scrollWidth, width: innerWidth};
}"""


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("present-store"), tmp_path_factory.mktemp("present-logs"),
                     samples="on") as base:  # fmt: skip
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def opened(browser, url: str, width: int, height: int, **context):
    page = browser.new_context(viewport={"width": width, "height": height}, **context).new_page()
    page.goto(url)
    settle(page)
    page.wait_for_function("() => document.querySelector('.app-style')", timeout=30_000)
    return page


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_shared_view_opens_whole_on_the_first_screen_and_reads_from_the_back(sample_app, browser, width, height):
    for name, path, figures in VIEWS:
        page = opened(browser, f"{sample_app}/{path}&present=1", width, height)
        page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg text').first.wait_for(timeout=60_000)
        settle(page)
        chart = page.evaluate(FIRST_CHART)
        assert chart["top"] >= 0 and chart["bottom"] <= height, (name, chart)  # whole, without scrolling
        assert chart["scrollWidth"] <= width, (name, chart)  # nothing past the right edge
        assert "present=1" in page.url and ("view=" in page.url)  # the address names what is on screen
        if width == 1920:
            assert chart["smallest"] >= 24, (name, chart)  # every label in the chart
            if figures:
                assert chart["largest"] >= 40, (name, chart)  # its key figures
        page.screenshot(path=str(ARTIFACTS / f"presenter-{name}-{width}x{height}.png"))
        page.close()
    # a tile's key figure on the Overview
    page = opened(browser, f"{sample_app}/?present=1", width, height)
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    sizes = page.eval_on_selector_all('[data-testid="stMetricValue"]', "els => els.map(e => "
                                      "parseFloat(getComputedStyle(e).fontSize))")  # fmt: skip
    assert sizes and min(sizes) >= 40, sizes
    page.screenshot(path=str(ARTIFACTS / f"presenter-overview-{width}x{height}.png"))
    page.close()


def _heading(page) -> str:
    return page.locator('[data-testid="stMain"] h2').first.inner_text()


def _within(page, started: float, what: str, check) -> float:
    """Seconds until ``check()`` holds, from ``started``; fails beyond 1.5 s (then waits to say what it saw)."""
    deadline = started + 1.5
    while time.monotonic() < deadline:
        if check():
            return time.monotonic() - started
        page.wait_for_timeout(25)
    page.wait_for_timeout(5_000)
    raise AssertionError(f"{what} not shown within 1.5 s: {_heading(page)!r}")


def test_a_presenter_steers_the_period_and_the_views_by_keyboard_and_mouse(sample_app, browser):
    page = opened(browser, f"{sample_app}/satisfaction?dataset=victim&period=2019-09&by=channel_group&present=1",
                  1920, 1080)  # fmt: skip
    assert _heading(page).endswith("by channel, September 2019")
    # The sidebar may stay shut on a meeting screen: the period is steered from the bar across the top
    bar = page.locator(".st-key-presenter-bar")
    bar.get_by_role("button", name=re.compile("Earlier")).wait_for(state="visible", timeout=10_000)
    bar.get_by_role("combobox").first.wait_for(state="visible", timeout=10_000)
    opener = page.locator('[data-testid="stExpandSidebarButton"]').bounding_box()  # the other filters: one press
    assert opener and opener["width"] >= 24 and opener["height"] >= 24, opener
    page.locator("h1").first.click()  # the focus on the page, not in a box
    started = time.monotonic()
    page.keyboard.press("ArrowLeft")
    left = _within(page, started, "August 2019", lambda: _heading(page).endswith("August 2019"))
    assert "period=2019-08" in page.url
    settle(page)
    started = time.monotonic()
    bar.get_by_role("button", name=re.compile("Later")).click()
    later = _within(page, started, "September 2019", lambda: _heading(page).endswith("September 2019"))
    settle(page)
    # the views, one a screen, in the page's order from the named one (a clicker's Page Down and Up)
    page.locator("h1").first.click()
    started = time.monotonic()
    page.keyboard.press("PageDown")
    _within(page, started, "the next view", lambda: _heading(page).startswith("Every aspect"))
    page.wait_for_url(re.compile(r".*view=aspects.*"), timeout=10_000)
    settle(page)
    page.locator("h1").first.click()
    page.keyboard.press("PageUp")
    page.wait_for_url(re.compile(r".*view=groups.*"), timeout=10_000)
    settle(page)
    assert _heading(page).endswith("by channel, September 2019")
    bar.get_by_role("button", name="Next view").click()
    page.wait_for_url(re.compile(r".*view=aspects.*"), timeout=10_000)
    assert "present=1" in page.url and "period=2019-09" in page.url
    print(f"period steps shown in {left:.2f} s (key) and {later:.2f} s (button)")
    page.close()


def test_copy_link_copies_this_view_or_selects_it_and_offers_presenter_mode(sample_app, browser):
    url = f"{sample_app}/satisfaction?dataset=victim&period=2019-09&by=channel_group"
    page = opened(browser, url, 1366, 900, permissions=["clipboard-read", "clipboard-write"])
    box = page.locator('[data-testid="stSidebar"] .share-box')
    copy = box.get_by_role("button", name="Copy link")
    assert copy.is_visible() and copy.bounding_box()["height"] >= 24  # on screen, not only on hover
    link = box.get_by_label("Link to this view").input_value()
    assert link.endswith("/satisfaction?dataset=victim&period=2019-09&by=channel_group&aspect=overall")
    copy.click()
    box.get_by_text("Link copied").wait_for(timeout=5_000)
    assert page.evaluate("navigator.clipboard.readText()") == link
    box.get_by_label(re.compile("Open in presenter mode")).check()
    copy.click()
    page.wait_for_function("l => navigator.clipboard.readText().then(t => t === l)", arg=link + "&present=1")
    page.screenshot(path=str(ARTIFACTS / "share-box.png"))
    page.close()
    # where the browser keeps its clipboard closed (plain HTTP), the link is selected to copy by hand
    closed = opened(browser, url, 1366, 900)
    closed.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})")
    box = closed.locator('[data-testid="stSidebar"] .share-box')
    box.get_by_role("button", name="Copy link").click()
    box.get_by_text("press Ctrl+C").wait_for(timeout=5_000)
    selected = closed.evaluate("""() => { const f = document.activeElement;
        return [f.className, f.selectionStart, f.selectionEnd, f.value.length, f.value]; }""")
    assert selected[0] == "share-link" and selected[1] == 0 and selected[2] == selected[3] > 0
    assert selected[4].endswith("aspect=overall")
    closed.close()


def test_each_section_fits_a_1366x768_screen(sample_app, browser):
    """Outside presenter mode every view of a page is in its own box, each shorter than a 1366×768 screen."""
    for path in ["satisfaction?dataset=victim&period=2019-09&by=channel_group", "trends?dataset=victim",
                 "respondents?dataset=victim&period=2019-09", "comments?dataset=victim", "wmnow",
                 "compliance?dataset=victims_code"]:  # fmt: skip
        page = opened(browser, f"{sample_app}/{path}", 1366, 4000)  # tall: every view drawn at a 1366 width
        page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=60_000)
        settle(page)
        boxes = page.eval_on_selector_all(
            '[class*="st-key-view-"]',
            "els => els.map(e => [e.className.match(/st-key-view-[a-z0-9-]+/)[0], e.getBoundingClientRect().height])",
        )
        assert boxes, path
        assert all(h <= 768 for _, h in boxes), (path, boxes)
        if path.startswith("satisfaction"):
            assert boxes[0][0] == "st-key-view-groups"  # the breakdown the link names comes first
        page.close()


def test_a_390px_phone_in_presenter_mode_keeps_everything_inside(sample_app, browser):
    page = opened(browser, f"{sample_app}/{VIEWS[0][1]}&present=1", 390, 844)
    page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg text').first.wait_for(timeout=60_000)
    settle(page)
    chart = page.evaluate(FIRST_CHART)
    assert chart["scrollWidth"] <= 390, chart
    clipped = page.eval_on_selector_all(
        '[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg',
        """svgs => svgs.flatMap(svg => { const s = svg.getBoundingClientRect();
            return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()
                && Number(getComputedStyle(t).opacity) > 0).filter(t => {
                const r = t.getBoundingClientRect(); return r.left < s.left - 1 || r.right > s.right + 1; })
                .map(t => t.textContent); })""",
    )
    assert not clipped, clipped
    bar = page.locator(".st-key-presenter-bar").bounding_box()
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "presenter-phone-390.png"), full_page=True)
    page.close()


def test_the_overview_and_wmnow_answer_first(sample_app, browser):
    page = opened(browser, f"{sample_app}/", 1366, 2200)
    main = page.locator('[data-testid="stMain"]')
    assert "Sample data. Every figure on this page comes from synthetic records" in main.inner_text()
    main.get_by_role("link", name="Upload a real export").wait_for()  # local mode: a manager of every survey
    trends = page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"]')
    trends.first.wait_for(timeout=60_000)
    names = trends.evaluate_all("els => els.map(e => e.ariaLabel)")
    assert len(names) == 7 and all(n.startswith("Last ") for n in names), names  # a small trend on each tile
    link = main.get_by_role("link", name=re.compile("on the Satisfaction page")).first
    assert "aspect=overall" in link.get_attribute("href")
    page.screenshot(path=str(ARTIFACTS / "overview.png"))
    page.close()
    page = opened(browser, f"{sample_app}/wmnow", 1366, 2400)
    page.locator('[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg text').first.wait_for(timeout=60_000)
    settle(page)
    assert page.locator('[data-testid="stMain"] h2').first.inner_text().startswith("Is the gap closing?")
    verdicts = page.locator(".verdict").all_inner_texts()
    assert verdicts == ["Aged 16-24: narrowing, recently", "Ethnic minority groups: narrowing, recently"]
    # the end labels never sit on another line: each label's box is clear of every line's path
    overlaps = page.eval_on_selector(
        '[data-testid="stMain"] [data-testid="stVegaLiteChart"] svg',
        """svg => { const lines = [...svg.querySelectorAll('.mark-line path, .mark-rule line')];
            const labels = [...svg.querySelectorAll('.mark-text text')].filter(t => /points$/.test(t.textContent));
            return labels.flatMap(t => { const r = t.getBoundingClientRect();
                return lines.filter(l => { const b = l.getBoundingClientRect();
                    return b.left < r.right && r.left < b.right && b.top < r.bottom && r.top < b.bottom; })
                    .map(() => t.textContent); }); }""",
    )
    assert not overlaps, overlaps
    page.get_by_role("radio", name="Last 6 months").click()
    page.wait_for_url(re.compile(r".*months=6.*"), timeout=30_000)
    settle(page)
    assert "Over the 6 months" in page.locator('[data-testid="stMain"]').inner_text()
    page.screenshot(path=str(ARTIFACTS / "wmnow.png"))
    page.close()


def test_upload_speaks_per_file_and_hands_back_the_set_aside_rows(sample_app, browser, tmp_path):
    exports = need_shared()
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[3][5] = "Arson"
    bad = tmp_path / "victim-with-a-bad-row.csv"
    bad.write_bytes(write_rows(rows))
    page = opened(browser, f"{sample_app}/upload", 1366, 1600)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("Recognised from its header as Victim satisfaction survey.").wait_for(timeout=60_000)
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    text = main.inner_text()
    assert "This is the first real export of Victim satisfaction survey: importing it replaces the 13 sample" in text
    assert "Import is off: 1 row(s) have problems" in text
    assert main.get_by_role("button", name="Import").is_disabled()
    page.screenshot(path=str(ARTIFACTS / "upload-preview-problems.png"))
    main.get_by_text(re.compile(r"^Import the 39 valid rows of this file")).click()
    settle(page)
    main.get_by_role("button", name="Import").click()
    page.get_by_text("39 new, 0 updated, 0 already held, 1 set aside").wait_for(timeout=60_000)
    settle(page)
    assert "/rejected/" not in main.inner_text() and "rejected" not in main.inner_text()  # no path on the server
    with page.expect_download() as download:
        main.get_by_role("button", name=re.compile("Download the 1 set-aside rows")).click()
    assert "Arson" in download.value.path().read_text()
    # the history fits a 1366 px screen with its key columns, in plain words
    grid = main.locator('[data-testid="stDataFrame"]').last
    grid.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "upload-imported-with-set-aside-rows.png"))
    fits = grid.evaluate("""g => { const s = g.querySelector('.dvn-scroller') || g;
        return [s.scrollWidth, s.clientWidth, g.getBoundingClientRect().right, innerWidth]; }""")
    assert fits[0] <= fits[1] + 1 and fits[2] <= fits[3], fits
    page.close()
