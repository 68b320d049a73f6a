"""Local mode serves only this computer, and no error text reaches a browser: a real server, in Chromium.

One local-mode app (no sign-in) is started for the module on 127.0.0.1, in a Python process that first
makes the chart of the Trends page fail with a secret in its message (an error the app did not expect).
Streamlit believes ``X-Forwarded-For`` from loopback, as it would from a proxy on this computer serving
others; Chromium's ``--host-resolver-rules`` points another site's name at 127.0.0.1, as DNS rebinding
would. Both are refused in one sentence; the failing page shows one sentence and a reference that finds
the traceback in the server's log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages.serving import LOCAL_ONLY
from insight.config.access import LOCAL_BANNER
from tests.conftest import REPO
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port
from tests.test_signin_browser import ready, wait_until_up

pytestmark = pytest.mark.browser
SECRET = "token=abc123 in /srv/insight/secret-path"
REBOUND = "rebind.test"  # another site's name, which Chromium is told is 127.0.0.1
# Streamlit run in this process after the Trends chart is made to fail (monkeypatching, as a test does).
FAILING_APP = f"""
import sys
import insight.display.charts as charts

def trend_lines(*args, **kwargs):
    raise RuntimeError({SECRET!r})

charts.trend_lines = trend_lines
from streamlit.web.cli import main
sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
main()
"""


@pytest.fixture(scope="module")
def local_app(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing in CI: scripts/run-tests.sh should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("local-app")
    home = folder / "home"  # no ~/.streamlit/secrets.toml to find: local mode
    home.mkdir()
    port = _free_port()
    log_path = folder / "server.log"
    env = {**os.environ, "INSIGHT_DATA_DIR": str(folder / "store"), "HOME": str(home)}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", FAILING_APP, "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", proc, "the local-mode app", log_path)
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(local_app):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"]
        )
        yield b
        b.close()


def opened(browser, url: str, **context_options):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context_options)
    page = context.new_page()
    page.goto(url)
    return context, page


def test_this_computer_is_served(local_app, browser):
    base, _ = local_app
    context, page = opened(browser, f"{base}/satisfaction")
    page.get_by_text(LOCAL_BANNER).wait_for(timeout=60_000)
    ready(page)
    assert "Victim satisfaction survey" in page.inner_text('[data-testid="stMain"]')
    context.close()


@pytest.mark.parametrize(
    ("how", "address", "headers"),
    [
        ("through a proxy", "{base}/satisfaction", {"X-Forwarded-For": "203.0.113.7"}),
        ("under another site's name", "http://" + REBOUND + ":{port}/satisfaction", {}),
    ],
    ids=["x-forwarded-for", "dns-rebinding"],
)
def test_another_computer_reads_one_sentence(local_app, browser, how, address, headers):
    base, _ = local_app
    url = address.format(base=base, port=base.rsplit(":", 1)[1])
    context, page = opened(browser, url, extra_http_headers=headers)
    page.get_by_text(LOCAL_ONLY).wait_for(timeout=60_000)
    ready(page)
    content = page.content()
    assert LOCAL_BANNER not in content and "Victim satisfaction survey" not in content
    assert page.locator('[data-testid="stSidebarNav"], [data-testid="stVegaLiteChart"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / f"local-mode-refused-{how.replace(' ', '-')}.png"), full_page=True)
    context.close()


def test_an_error_in_a_page_shows_a_reference_never_the_error(local_app, browser):
    base, log_path = local_app
    context, page = opened(browser, f"{base}/trends?dataset=victim")
    message = page.get_by_text("Something went wrong on our side")
    message.wait_for(timeout=60_000)
    ready(page)
    reference = re.search(r"reference ([0-9A-F]{8})\.", message.inner_text())
    assert reference, message.inner_text()
    content = page.content()
    assert SECRET not in content and "RuntimeError" not in content and "Traceback" not in content
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "error-reference.png"), full_page=True)
    context.close()
    log = log_path.read_text()
    at = log.index(f"unexpected error {reference.group(1)} in the page")
    assert "Traceback" in log[at:] and SECRET in log[at:]  # the reference finds the whole error
