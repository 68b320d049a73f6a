"""The Victims' Code compliance page in a real browser (Debian's Chromium) on the bundled sample: reached from the
Overview's tile, its charts drawn, the figures on screen those the CLI-free AppTest checks; screenshots of the page
and of its matched view go to tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sample_app(tmp_path_factory) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("code-store"), tmp_path_factory.mktemp("code-logs"),
                     samples="on") as base:  # fmt: skip
        yield base


@pytest.fixture(scope="module")
def page(sample_app):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 2600})
        browser.close()


def test_from_the_overview_tile_to_the_compliance_page(sample_app, page):
    page.goto(f"{sample_app}/")
    settle(page)
    tile_link = page.locator('[data-testid="stMain"] a', has_text="Victims' Code compliance")
    assert tile_link.count() == 1
    tile_link.click()
    page.wait_for_url("**/compliance**", timeout=30_000)
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    assert "period=2019-Q3" in page.url
    assert "240 cases reviewed in Jul-Sep 2019 (Q3), reaching the target of 240" in main.inner_text()
    finding = main.locator(".finding").first.inner_text()
    assert finding.startswith("Referral to victim services (2 working days) was the entitlement most often missed")
    charts = main.locator('[data-testid="stVegaLiteChart"]')
    charts.first.locator("svg").wait_for(timeout=30_000)
    assert charts.count() >= 4, "entitlements, service, trend and a breakdown are drawn"
    assert "65.0%" in (charts.first.get_attribute("aria-label") or "") + main.inner_text()
    page.mouse.move(0, 0)  # no hover toolbar over the figures in the screenshot
    page.screenshot(path=str(ARTIFACTS / "compliance.png"), full_page=True)


def test_the_matched_view_says_how_few_cases_overlap(sample_app, page):
    page.goto(f"{sample_app}/compliance?dataset=victims_code&period=2019-Q3&view=survey")
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h2").first.inner_text().startswith("Victims' satisfaction where the survey shares a case")
    assert "So few cannot stand for every case reviewed" in main.inner_text()
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "compliance-matched.png"), full_page=True)
