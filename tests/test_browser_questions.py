"""The board's questions in a real browser (Chromium via Playwright), on the bundled sample data.

Picks "Last 3" and checks the address bar holds the resolved range, reads the group comparison
and compares it with the CLI, picks a whole quarter for domestic abuse, and reads the trend and
WMNow answers. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import REPO
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, choose, running_app, settle, shot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory) -> Iterator[str]:
    """The app on an empty store with the bundled samples on, on a free port."""
    data_dir, logs = tmp_path_factory.mktemp("browser-samples"), tmp_path_factory.mktemp("logs")
    with running_app(data_dir, logs, samples="on") as base:
        yield base


@pytest.fixture(scope="module")
def page(sample_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 5200})  # tall: the whole page in a screenshot
        yield pg
        browser.close()


def main_text(pg) -> str:
    return pg.inner_text('[data-testid="stMain"]')


def test_last_three_months_comparison_and_priorities(sample_server, page, sample_store):
    page.goto(f"{sample_server}/satisfaction?dataset=victim&by=channel_group&aspect=initial_contact")
    settle(page)
    choose(page, "Show", "Last 3")
    page.wait_for_url(re.compile(r".*period=2019-07\.\.2019-09.*"), timeout=30_000)  # the resolved range, not "last 3"
    page.get_by_text("Every aspect, July \u2013 September 2019").wait_for(timeout=30_000)
    cli = json.loads(subprocess.run(
        [sys.executable, "-m", "insight", "compare", "victim", "--by", "channel_group", "--aspect", "initial_contact",
         "--period", "2019-07..2019-09", "--format", "json", "--data-dir", str(sample_store)],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout)  # fmt: skip
    above = [r for r in cli["rows"] if r["significant"] and r["diff_pp"] > 0]
    assert above, cli
    page.get_by_text(f"Significantly above the rest: {above[0]['group']} ({above[0]['pct']:.1f}%").wait_for(
        timeout=30_000
    )
    body = main_text(page)
    assert "dissatisfied" in body and "Top priority:" in body
    shot(page, "satisfaction-range-compare")


def test_domestic_abuse_whole_quarter(sample_server, page):
    page.goto(f"{sample_server}/satisfaction?dataset=domestic_abuse")
    settle(page)
    page.get_by_role("combobox", name="Show").click()
    options = [o.inner_text() for o in page.get_by_role("option").all()]
    assert options == ["One period", "A whole quarter", "A whole financial year"]
    page.get_by_role("option", name="A whole quarter", exact=True).click()
    settle(page)
    page.wait_for_url(re.compile(r".*period=2019-07\.\.2019-09.*"), timeout=30_000)
    page.get_by_text("Every aspect, July \u2013 September 2019").wait_for(timeout=30_000)
    shot(page, "domestic-abuse-quarter")


def test_trend_and_wmnow_answers(sample_server, page):
    page.goto(f"{sample_server}/trends?dataset=public_confidence")
    settle(page)
    # one survey at a time (never merged): Public Voice first, How are we Doing chosen from the link
    page.get_by_text("Overall confidence has neither risen nor fallen significantly").wait_for(timeout=30_000)
    page.goto(f"{sample_server}/trends?dataset=public_confidence&survey=How+are+we+Doing")
    settle(page)
    page.get_by_text("Overall confidence has risen from").wait_for(timeout=30_000)
    shot(page, "trends-risen-or-fallen")
    page.goto(f"{sample_server}/wmnow")
    settle(page)
    page.get_by_text("Aged 16-24: narrowing, recently", exact=True).wait_for(timeout=30_000)
    page.get_by_text(
        "Over the 12 months November 2018 to October 2019 the gap has narrowed significantly."
    ).first.wait_for(timeout=30_000)
    assert "Joiners each month" in main_text(page)
    shot(page, "wmnow-joiners")


def test_reach_chart_and_event_markers(sample_server, page):
    """The 101 survey's reach view answers first (the fall since March 2019) and draws the funnel; its response
    rate view draws the rate with the events marked; Live Chat's trend chart marks BOB-E. Screenshots:
    reach-101.png, reach-101-rate.png, reach-victim.png, reach-victim-rate.png, trend-events-live-chat.png."""
    for dataset, answer in (("caller_101", "have fallen significantly since March 2019"),
                            ("victim", "have neither risen nor fallen significantly")):  # fmt: skip
        page.goto(f"{sample_server}/trends?dataset={dataset}&view=reach")
        settle(page)
        short = dataset.replace("caller_", "")
        for key, words in (("reach", ("sent", "answered")), ("reach-rate", ("Response rate", "Events: Last board"))):
            view = page.locator(f".st-key-view-{key}")
            chart = view.locator('[data-testid="stVegaLiteChart"]').first
            chart.locator("svg").wait_for(timeout=30_000)
            name = chart.get_attribute("aria-label") or ""
            assert all(w in name for w in words), name
            box = view.bounding_box()
            assert box is not None and 400 < box["height"] <= 768  # the chart whole, and one screen a view
            view.screenshot(path=str(ARTIFACTS / f"reach-{short}{'' if key == 'reach' else '-rate'}.png"))
        assert answer in page.locator(".st-key-view-reach .finding").inner_text()  # the answer above the chart
    page.goto(f"{sample_server}/trends?dataset=live_chat")
    settle(page)
    trend = page.locator('.st-key-view-trend [data-testid="stVegaLiteChart"]').first
    trend.locator("svg").wait_for(timeout=30_000)
    assert "BOB-E chatbot introduced (September 2019)" in (trend.get_attribute("aria-label") or "")
    page.locator(".st-key-view-trend").screenshot(path=str(ARTIFACTS / "trend-events-live-chat.png"))
