"""The flows people use, in a real browser: Debian's Chromium driven by Playwright.

Starts the app on an empty temporary data directory, uploads the victim example from
the upload page, imports it, opens a deep link and checks the figure on screen equals
what the CLI reports, changes a filter and follows a page link. Screenshots of every
page are saved in tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, need_shared

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(
    data_dir: Path, log_dir: Path, *, samples: str = "off", env: dict[str, str] | None = None
) -> Iterator[str]:
    """The app on a free port over ``data_dir`` (``env``: more variables); yields its base URL."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing in CI: scripts/run-tests.sh should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    port = _free_port()
    env = {**os.environ, "INSIGHT_DATA_DIR": str(data_dir), "INSIGHT_SAMPLES": samples, **(env or {})}
    log = (log_dir / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the app did not start within 60 s")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("browser-store")
    with running_app(data_dir, tmp_path_factory.mktemp("logs")) as base:
        yield base, data_dir


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1800})
        yield pg
        browser.close()


def settle(pg) -> None:
    """Wait until Streamlit has finished running the script and nothing faded from a past run is left."""
    pg.wait_for_selector('[data-testid="stMain"]', timeout=60_000)
    pg.wait_for_timeout(500)
    pg.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
            && document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
            && !document.querySelector('[data-stale="true"]')""",
        timeout=60_000,
    )
    pg.wait_for_timeout(500)


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def cli_report(data_dir: Path, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "insight", "report", "victim", "--format", "json", "--data-dir", str(data_dir), *args],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def open_figures(pg, n: int = 1) -> None:
    """Open the first ``n`` views' "Figures and table" details, where each figure's sentence and table are; each
    opened detail's table is drawn by the rerun opening it starts, so wait for it."""
    expanders = pg.locator('[data-testid="stMain"] [data-testid="stExpander"]').filter(has_text="Figures and table")
    for i in range(min(n, expanders.count())):
        expanders.nth(i).locator("summary").click()
        expanders.nth(i).locator('[data-testid="stDataFrame"], [data-testid="stTable"]').first.wait_for(timeout=60_000)
    settle(pg)


def choose(pg, label: str, option: str) -> None:
    pg.get_by_role("combobox", name=label).click()
    pg.get_by_role("option", name=option, exact=True).click()
    settle(pg)


def test_upload_import_deep_link_and_navigation(server, page):
    base, data_dir = server
    need_shared()
    example = REPO.parent / "shared" / "exports" / "victim_survey_example.csv"

    # 1. upload the victim example on the upload page, check the preview, import
    page.goto(f"{base}/upload")
    settle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(example))
    page.get_by_text("Recognised from its header as Victim satisfaction survey.").wait_for(timeout=60_000)
    settle(page)
    shot(page, "upload-preview")
    assert not (data_dir / "victim").exists(), "nothing is written before Import"
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported victim_survey_example.csv").wait_for(timeout=60_000)
    settle(page)
    shot(page, "upload-imported")
    assert (data_dir / "victim" / "_delta_log").exists()

    # 2. a deep link shows the figure the CLI reports
    cli = cli_report(data_dir)
    initial = next(r for r in cli["rows"] if r["aspect"] == "initial_contact")
    page.goto(f"{base}/satisfaction?dataset=victim&period=2019-09&by=channel_group&aspect=initial_contact")
    settle(page)
    assert page.locator('[data-testid="stMain"] h2').first.inner_text() == "Initial contact by channel, September 2019"
    open_figures(page, 2)  # the breakdown the link names first, then every aspect
    expected = f"Initial contact: {initial['pct']:.1f}% (base {initial['base']}"
    page.get_by_text(expected).wait_for(timeout=30_000)
    assert "Initial contact by channel, September 2019" in page.inner_text('[data-testid="stMain"]')
    shot(page, "satisfaction")

    # 3. the URL follows a change of filter
    choose(page, "Break down by", "Offence group")
    page.wait_for_url(re.compile(r".*by=offence.*"), timeout=30_000)
    assert "period=2019-09" in page.url

    # 4. following a page link keeps the filters
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Trends").click()
    page.wait_for_url(re.compile(r".*/trends.*"), timeout=30_000)
    settle(page)
    page.wait_for_url(re.compile(r".*by=offence.*"), timeout=30_000)
    assert page.get_by_role("combobox", name="Break down by").input_value() == "Offence group"
    assert page.get_by_role("combobox", name="Period").input_value() == "September 2019"
    assert "Only one period is held so far" in page.inner_text('[data-testid="stMain"]')
    shot(page, "trends")


def test_every_page_renders_in_the_browser(server, page):
    base, _ = server
    for path, name in [("", "overview"), ("respondents", "respondents"), ("comments", "comments"), ("wmnow", "wmnow"),
                       ("data", "data"), ("satisfaction?present=1", "presenter")]:  # fmt: skip
        page.goto(f"{base}/{path}")
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        shot(page, name)
    assert "Upload" not in page.locator('[data-testid="stSidebarNav"]').all_inner_texts()


def test_an_open_page_picks_up_a_new_upload(server, page):
    """A presenter's open screen shows new data without anyone touching it."""
    base, data_dir = server
    example = REPO.parent / "shared" / "exports" / "caller_101_example.csv"
    page.goto(f"{base}/satisfaction?dataset=caller_101")
    settle(page)
    page.get_by_text("No data is held for this dataset yet").wait_for(timeout=45_000)  # wait: the page may still draw
    subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "caller_101", str(example), "--data-dir", str(data_dir)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    page.get_by_text("Every aspect, June 2019").wait_for(timeout=45_000)
    shot(page, "live-update")


def test_board_pack_downloads_as_a_word_document(server, page, tmp_path):
    """Open the Board pack page, download the Word paper, and read it back with python-docx."""
    import io

    from docx import Document

    base, _ = server
    page.goto(f"{base}/board-pack")
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    heading = page.locator("h2").first.inner_text()
    assert heading.startswith("Public and victim satisfaction: board paper")
    shot(page, "board-pack")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Word document (.docx)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".docx" and saved.name.startswith("board-pack-")
    doc = Document(io.BytesIO(saved.read_bytes()))
    assert doc.paragraphs[0].text == heading
    assert "Purpose of paper" in [p.text for p in doc.paragraphs]
    assert "SAMPLE DATA" not in "".join(p.text for s in doc.sections for p in s.header.paragraphs)  # samples are off


def test_undo_an_import_from_the_upload_page(server, page):
    """The history lists the import; undo asks first, then every page shows the data gone."""
    base, data_dir = server
    example = REPO.parent / "shared" / "exports" / "live_chat_example.csv"
    subprocess.run(
        [sys.executable, "-m", "insight", "ingest", "live_chat", str(example), "--data-dir", str(data_dir)],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    page.goto(f"{base}/upload")
    settle(page)
    choose(page, "Dataset to undo in", "Live Chat feedback")
    page.get_by_text("Latest import still held: live_chat_example.csv").wait_for(timeout=30_000)
    page.get_by_role("button", name="Undo this import").click()
    page.get_by_text("will be removed").wait_for(timeout=30_000)
    settle(page)
    shot(page, "upload-undo-confirm")
    page.get_by_role("button", name="Yes, undo it").click()
    page.get_by_text("Undone: live_chat_example.csv in Live Chat feedback").wait_for(timeout=60_000)
    settle(page)
    shot(page, "upload-undone")
    page.goto(f"{base}/satisfaction?dataset=live_chat")
    page.get_by_text("No data is held for this dataset yet").wait_for(timeout=30_000)
