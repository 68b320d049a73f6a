"""In a real browser: a survey whose files need a value typed at upload, and a configuration with mistakes.

Each case starts the app on its own configuration folder ($INSIGHT_CONFIG_DIR) and a free port.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from insight.store import Store
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle, shot
from tests.test_survey_keys import Q_HEADER, QUALTRICS, config_with, csv_bytes, q_row

pytestmark = pytest.mark.browser


@contextmanager
def app_on(config: Path, data_dir: Path, log_path: Path) -> Iterator[str]:
    """The app over ``config`` (INSIGHT_CONFIG_DIR) and ``data_dir``, samples off; its log beside ``log_path``."""
    with running_app(data_dir, log_path.parent, env={"INSIGHT_CONFIG_DIR": str(config)}) as base:
        yield base


@contextmanager
def browser_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1400})
        finally:
            browser.close()


def test_upload_asks_for_the_mode_then_imports_with_left_out_rows_counted(tmp_path):
    from tests.test_survey_keys import load_config

    config = config_with(tmp_path, QUALTRICS)
    export = tmp_path / "qualtrics_mail.csv"
    rows = [q_row(1, "White or European"), q_row(2, "White or European,Hispanic or Latino/a"), q_row(3, "x", "False")]
    export.write_bytes(csv_bytes(Q_HEADER, rows))
    data_dir = tmp_path / "store"
    with app_on(config, data_dir, tmp_path / "streamlit.log") as base, browser_page() as page:
        page.goto(f"{base}/upload")
        settle(page)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(export))
        page.get_by_text("fill in the box(es) above to check the file").wait_for(timeout=60_000)
        page.get_by_role("combobox", name="Mode of every response in this file").click()
        page.get_by_role("option", name="Mail", exact=True).click()
        page.get_by_text("Responses per period: August 2024: 2").wait_for(timeout=60_000)
        page.get_by_text("1 row(s) left out: Finished not True").wait_for(timeout=30_000)
        settle(page)
        shot(page, "upload-given-at-import")
        page.get_by_role("button", name="Import").click()
        page.get_by_text("Imported qualtrics_mail.csv").wait_for(timeout=60_000)
    held = Store(data_dir).read(load_config(config).definitions["test_survey"])
    assert sorted(held["ethnicity"].cast(str).to_list()) == ["Two or more", "White"]
    assert set(held["mode"].cast(str).to_list()) == {"Mail"}


def test_a_configuration_mistake_shows_the_list_not_a_traceback(tmp_path):
    config = config_with(tmp_path, QUALTRICS.replace("weight: {column: W}", "weight: {column: W, scale: 2}"))
    (config / "themes.yaml").write_text("a: &a [x]\nb: *a\n")
    with app_on(config, tmp_path / "store", tmp_path / "streamlit.log") as base, browser_page() as page:
        page.goto(f"{base}/satisfaction")
        page.get_by_text("The app's configuration needs correcting").wait_for(timeout=60_000)
        page.get_by_text("themes.yaml: not valid YAML", exact=False).wait_for(timeout=60_000)
        settle(page)
        shot(page, "config-mistakes")
        main = page.inner_text('[data-testid="stMain"]')
        assert "2 mistake(s) were found" in main
        assert "surveys/test_survey.yaml: weight: unknown key(s) ['scale']; allowed: ['column', 'on_missing']" in main
        assert "themes.yaml: not valid YAML (line 1, column 4): YAML anchors and aliases" in main
        assert page.locator('[data-testid="stException"]').count() == 0
