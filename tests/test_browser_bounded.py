"""Long comments in a real browser (issue 20, item 8): the Upload page says which comments it will cut,
and the Comments page over 2,000 comments at the limit shows what fits and says so, with no error.

Screenshots: tests/artifacts/upload-cut-comment.png, comments-too-many-to-show.png.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from insight.intake.tidy import MAX_TEXT_CHARS
from tests.conftest import REPO, need_shared
from tests.messy import read_rows, write_rows
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app, settle, shot

pytestmark = pytest.mark.browser
COMMENT = 16


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("bounded-store")
    with running_app(data_dir, tmp_path_factory.mktemp("logs")) as base:
        yield base, data_dir


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser.new_page(viewport={"width": 1400, "height": 1600})
        browser.close()


def test_a_long_comment_is_cut_on_import_and_many_long_comments_still_show(server, page, tmp_path):
    base, data_dir = server
    rows = read_rows((need_shared() / "victim_survey_example.csv").read_bytes())
    rows[5][COMMENT] = "I wrote a letter. " * 3000  # 54,000 characters
    upload = tmp_path / "victim-long-comment.csv"
    upload.write_bytes(write_rows(rows))

    page.goto(f"{base}/upload")
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_text("1 comment(s) are longer than 10,000 characters").wait_for(timeout=60_000)
    settle(page)
    shot(page, "upload-cut-comment")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported victim-long-comment.csv").wait_for(timeout=60_000)

    many = [rows[0]]
    for i in range(2000):
        row = list(rows[1 + i % 40])
        row[0] = f"LONG{i:06d}"
        row[COMMENT] = f"comment {i:04d} " + "\N{GRINNING FACE}" * (
            MAX_TEXT_CHARS - 13
        )  # 4 bytes each: 1,000 are 40 MB
        many.append(row)
    (tmp_path / "many.csv").write_bytes(write_rows(many))
    done = subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "victim", str(tmp_path / "many.csv"), "--data-dir", str(data_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    page.goto(f"{base}/comments?dataset=victim")
    settle(page)
    page.get_by_text("Showing the first").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    text = page.inner_text('[data-testid="stMain"]')
    shown, total = (
        int(n.replace(",", "")) for n in re.search(r"Showing the first ([\d,]+) of ([\d,]+) rows", text).groups()
    )
    assert 0 < shown < 2000 < total, (shown, total)
    assert "MessageSizeError" not in text and "exceeds the message size limit" not in text
    shot(page, "comments-too-many-to-show")
