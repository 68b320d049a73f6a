"""Hostile uploads in a real browser: no link is made from file text, and a bad file does not stop the page."""

from __future__ import annotations

import pytest

from insight.intake.reading import MAX_UPLOAD_MB
from tests.conftest import need_shared
from tests.hostile import png_named_csv
from tests.messy import read_rows, write_rows
from tests.test_browser import page, server, settle, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
EVIL = "[Sign in again](https://evil.example)"


def test_file_text_is_never_a_link_and_a_bad_file_stands_alone(server, page):  # noqa: F811
    base, _ = server
    example = (need_shared() / "victim_survey_example.csv").read_bytes()
    rows = [[*row, EVIL if i == 0 else "x"] for i, row in enumerate(read_rows(example))]
    page.goto(f"{base}/upload")
    settle(page)
    # The uploader states the limit it enforces (above 500 MB Streamlit rounds it up to "1GB").
    limit = page.get_by_test_id("stFileUploaderDropzoneInstructions").inner_text()
    assert f"{MAX_UPLOAD_MB}MB per file" in limit, limit
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        [
            {"name": "[Sign in again](http:evil.example).csv", "mimeType": "text/csv", "buffer": write_rows(rows)},
            {"name": "picture.csv", "mimeType": "text/csv", "buffer": png_named_csv(example)},
        ]
    )
    page.get_by_text("picture.csv is a PNG image, not a CSV or Excel export.").wait_for(timeout=60_000)
    page.get_by_text("Recognised from its header as Victim satisfaction survey.").wait_for(timeout=60_000)
    settle(page)
    shot(page, "upload-hostile")
    links = page.locator('a[href*="evil.example"]')
    assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())]
    body = page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")  # invisible word joiners
    assert f"Columns not used: Date Reported, {EVIL}" in body  # shown exactly as typed
    assert "[Sign in again](http:evil.example).csv" in body
    assert page.get_by_role("button", name="Import").is_enabled()
