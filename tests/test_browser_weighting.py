"""The "Weighted to the census" toggle in a real browser: the figures on screen are the CLI's
``report --weighted`` figures, the URL carries ``weighted=1``, and the choice follows the user
from page to page. Screenshots in tests/artifacts/weighted-*.png."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO
from tests.test_browser import cli_report, page, server, settle, shot  # noqa: F401 - fixtures

pytestmark = __import__("pytest").mark.browser


def test_weighted_toggle_flow(server, page):  # noqa: F811 - fixtures
    base, data_dir = server
    files = sorted((REPO / "data" / "samples" / "victim").glob("victim_survey_*.csv"))[-2:]  # August and September 2019
    subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "victim", *map(str, files), "--data-dir", str(data_dir)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    weighted = cli_report(data_dir, "--weighted")
    overall = next(r for r in weighted["rows"] if r["aspect"] == "overall")

    page.goto(f"{base}/satisfaction?dataset=victim&period=2019-09")
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    assert "effective base" not in main.inner_text()
    page.get_by_text("Weighted to the census", exact=True).click()
    page.wait_for_url(re.compile(r".*weighted=1.*"), timeout=30_000)
    settle(page)
    from tests.test_browser import open_figures

    open_figures(page)  # each figure's sentence, weighted beside unweighted, under "Figures and table"
    expected = f"weighted {overall['weighted_pct']:.1f}% (effective base {overall['effective_base']:,.0f};"
    page.get_by_text(expected).wait_for(timeout=30_000)
    settle(page)
    assert f"{overall['pct']:.1f}% (base {overall['base']:,}" in main.inner_text()
    shot(page, "weighted-satisfaction")

    # the choice follows the user to Trends, and the link opens it again
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Trends").click()
    page.wait_for_url(re.compile(r".*/trends.*weighted=1.*"), timeout=30_000)
    page.get_by_text("weighted and unweighted").first.wait_for(timeout=30_000)
    settle(page)
    shot(page, "weighted-trends")

    page.goto(f"{base}/?weighted=1")
    settle(page)
    page.get_by_text("Weighted to the census").first.wait_for(timeout=30_000)
    assert f"{overall['weighted_pct']:.1f}%" in main.inner_text()
    shot(page, "weighted-overview")

    page.goto(f"{base}/respondents?dataset=victim&period=2019-09")
    settle(page)
    section = page.get_by_text("Age group, before and after weighting to the census")
    section.wait_for(timeout=30_000)
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(REPO / "tests" / "artifacts" / "weighted-respondents.png"))
