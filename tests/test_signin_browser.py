"""Sign-in against a real OpenID Connect provider, in a real browser.

A pytest fixture starts ``oidc-provider-mock`` on a free port and the app with a
temporary secrets file (``--secrets.files``) whose ``[auth]`` points at it, and a copy of
``config/`` whose access file also grants two people by email; users' claims are set
through the provider's ``PUT /users/{sub}``. In Chromium each user signs in on the
provider's page (field ``sub``, button "Authorize"): the roles, every hostile identity
the attacker tried (look-alikes, a group posing as a person, an unverified email...), a
copied cookie replayed after Sign out, and a sign-in outliving its maximum age. Also: an
unconfigured app, started by scripts/run-app.sh, shows the local-mode banner and listens
on localhost only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app_pages.identity import SIGNED_OUT
from tests.conftest import REPO, need_shared
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _free_port

pytestmark = pytest.mark.browser
DA_TITLE = "Domestic abuse victim survey"
MAIN = '[data-testid="stMain"]'
NAV = '[data-testid="stSidebarNav"]'
USERS = {
    "vera": {"email": "Vera@Force.Example", "name": "Vera Viewer", "groups": ["insight-viewers"]},
    "max": {"email": "max@force.example", "name": "Max Manager", "groups": ["insight-managers"]},
    "ada": {"email": "ada@force.example", "name": "Ada Admin", "groups": ["insight-admins"]},
    "nora": {"email": "nora@force.example", "name": "Nora Nobody", "groups": []},  # in no group: no access
    "kate": {"email": "kate@force.example", "name": "Kate Admin"},  # an admin by email (PEOPLE)
}
PEOPLE = "  - {emails: [kate@force.example, boss@force.example], role: admin}\n"  # added to the shipped grants
# What the attacker tried: claims at the provider -> the identity the app shows -> the reason it gives.
HOSTILE = {
    "kelvin-sign": ({"email": "\u212aate@force.example"}, "\\u212aate@force.example", "turns into K"),
    "long-s": ({"email": "bo\u017f\u017f@force.example"}, "bo\\u017f\\u017f@force.example", "turns into s"),
    "group-look-alike": (
        {"email": "eve@force.example", "groups": ["in\u017fight-admins"]}, "eve@force.example", "in\\u017fight-admins",
    ),
    "group-as-username": ({"preferred_username": "insight-admins"}, "(no email)", "has no email claim"),
    "group-as-email": ({"email": "da-analysts"}, "da-analysts", "not an email address"),
    "unverified-email": (
        {"email": "kate@force.example", "email_verified": False}, "kate@force.example", "not verified",
    ),
    "padded-email": ({"email": " kate@force.example "}, " kate@force.example ", "spaces or line breaks around it"),
    "groups-as-object": (
        {"email": "eve@force.example", "groups": {"insight-admins": True}}, "eve@force.example", "not a list",
    ),
}  # fmt: skip


def wait_until_up(url: str, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a server that is starting, not waiting for a result
    proc.kill()
    pytest.fail(f"{what} did not start within 90 s: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def chromium_present() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing in CI: scripts/run-tests.sh should have installed it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def provider(tmp_path_factory, chromium_present) -> Iterator[str]:
    """oidc-provider-mock on a free port; yields its base URL, with USERS' claims set."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/.well-known/openid-configuration", proc, "oidc-provider-mock", log_path)
        hostile = {sub: {"name": "Mallory", **claims} for sub, (claims, _, _) in HOSTILE.items()}
        for sub, claims in {**USERS, **hostile}.items():
            request = urllib.request.Request(
                f"{base}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as r:
                assert r.status == 204
        yield base
        stop(proc)


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory) -> Path:
    """A copy of config/ the app reads ($INSIGHT_CONFIG_DIR): the shipped grants, and two people by email."""
    folder = tmp_path_factory.mktemp("signin-config") / "config"
    shutil.copytree(REPO / "config", folder)
    access = folder / "access.yaml"
    access.write_text(access.read_text(encoding="utf-8") + PEOPLE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def app_server(provider, config_dir, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The app with sign-in: a temporary secrets file (never one in the checkout) points at the provider."""
    folder = tmp_path_factory.mktemp("signin-app")
    data_dir = folder / "store"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-a-decent-length-0123456789"\n'
        'client_id = "insight-test"\n'
        'client_secret = "insight-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "INSIGHT_DATA_DIR": str(data_dir), "INSIGHT_CONFIG_DIR": str(config_dir)}
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--secrets.files", str(secrets)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(f"{base}/_stcore/health", proc, "the app", log_path)
        yield base, data_dir
        stop(proc)


@pytest.fixture(scope="module")
def browser(chromium_present):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    """A fresh browser profile per test: no one is signed in."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    yield context.new_page()
    context.close()


def ready(pg) -> None:
    """Wait until Streamlit has finished running the script (as Streamlit's own browser tests do)."""
    pg.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]',
        timeout=60_000,
    )


def sign_in(pg, base: str, sub: str) -> None:
    pg.goto(base)
    pg.get_by_role("button", name="Sign in").click()
    pg.locator("input[name=sub]").fill(sub)
    pg.get_by_role("button", name="Authorize").click()
    pg.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    ready(pg)


def main_text(pg) -> str:
    return pg.inner_text(MAIN)


def nav_text(pg) -> str:
    return pg.inner_text(NAV)


def test_a_viewer_sees_no_upload_and_no_domestic_abuse_even_from_a_link(app_server, page):
    base, data_dir = app_server
    sign_in(page, base, "vera")
    page.get_by_text("Victim satisfaction survey").first.wait_for()
    assert "Vera Viewer" in page.inner_text('[data-testid="stSidebar"]') and "viewer" in page.inner_text(
        '[data-testid="stSidebar"]'
    )
    assert "Upload" not in nav_text(page)
    assert DA_TITLE not in main_text(page)
    page.screenshot(path=str(ARTIFACTS / "signin-viewer-overview.png"), full_page=True)

    for link in ("satisfaction?dataset=domestic_abuse&period=2019-09", "trends?dataset=domestic_abuse&present=1"):
        page.goto(f"{base}/{link}")
        page.get_by_text("You don't have access to this survey.").wait_for(timeout=60_000)
        ready(page)
        assert DA_TITLE not in page.content()
        assert page.locator('[data-testid="stVegaLiteChart"], [data-testid="stDataFrame"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "signin-viewer-denied.png"), full_page=True)

    page.goto(f"{base}/upload")
    page.get_by_text("Only managers of a survey can upload or undo its data.").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert not (data_dir / "access_log.jsonl").exists(), "a viewer opened no restricted page"


def test_a_manager_uploads_and_history_names_them(app_server, page):
    base, data_dir = app_server
    need_shared()
    example = REPO.parent / "shared" / "exports" / "victim_survey_example.csv"
    sign_in(page, base, "max")
    page.locator(NAV).get_by_role("link", name="Upload").click()
    page.wait_for_url("**/upload**", timeout=30_000)
    ready(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(example))
    page.get_by_text("Recognised from its header as Victim satisfaction survey.").wait_for(timeout=60_000)
    ready(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported victim_survey_example.csv").wait_for(timeout=60_000)
    ready(page)
    page.screenshot(path=str(ARTIFACTS / "signin-manager-upload.png"), full_page=True)

    # undo asks first, then takes the import back; the history names the manager for both
    page.get_by_role("button", name="Undo this import").click()
    page.get_by_role("button", name="Yes, undo it").click()
    page.get_by_text("Undone: victim_survey_example.csv in Victim satisfaction survey").wait_for(timeout=60_000)
    ready(page)
    page.screenshot(path=str(ARTIFACTS / "signin-manager-undo.png"), full_page=True)
    out = subprocess.run(
        [sys.executable, "-m", "insight", "audit", "--format", "json", "--data-dir", str(data_dir)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(out.stdout)["rows"]
    assert [(r["action"], r["user"], r["dataset"]) for r in rows] == [
        ("undo", "max@force.example", "victim"),
        ("import", "max@force.example", "victim"),
    ]


def test_an_admin_sees_everything_and_signs_out(app_server, page):
    base, data_dir = app_server
    sign_in(page, base, "ada")
    page.get_by_text(DA_TITLE).first.wait_for(timeout=60_000)
    assert "Upload" in nav_text(page) and "WMNow diversity" in nav_text(page)
    assert "admin" in page.inner_text('[data-testid="stSidebar"]')
    # opening the overview showed the domestic abuse tile: that view is in the access log
    views = [json.loads(line) for line in (data_dir / "access_log.jsonl").read_text().splitlines()]
    assert [(v["user"], v["page"], v["dataset"]) for v in views] == [
        ("ada@force.example", "overview", "domestic_abuse")
    ]
    page.screenshot(path=str(ARTIFACTS / "signin-admin-overview.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    end_session = page.get_by_role("button", name="End session")  # the provider asks to confirm
    end_session.wait_for(timeout=60_000)
    end_session.click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    ready(page)
    assert "Signed in as" not in page.content() and DA_TITLE not in page.content()
    page.goto(f"{base}/satisfaction?dataset=domestic_abuse")  # the link no longer opens anything
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    ready(page)
    assert DA_TITLE not in page.content() and "Page not found" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "signin-signed-out-link.png"), full_page=True)


def test_a_shared_link_opens_once_signed_in(app_server, page):
    """A presenter's link opened by someone not yet signed in: after the provider's round trip, which
    ends on the front page, the app opens that very view."""
    base, _ = app_server
    page.goto(f"{base}/satisfaction?dataset=victim&period=2019-09&by=channel_group")
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill("vera")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/satisfaction?**", timeout=60_000)
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    ready(page)
    assert "dataset=victim" in page.url and "by=channel_group" in page.url and "period=2019-09" in page.url
    assert "Victim satisfaction survey: satisfaction" in main_text(page)
    assert "by channel" in main_text(page).lower()


def test_a_remembered_link_never_leaves_the_app(app_server, page):
    """What the tab remembers is only ever a path of this app: another site's address is ignored."""
    base, _ = app_server
    page.goto(base)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    page.evaluate("sessionStorage.setItem('insight-link', '//example.org/phish')")
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill("vera")
    page.get_by_role("button", name="Authorize").click()
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    ready(page)
    assert page.url.startswith(base) and "example.org" not in page.url
    assert page.evaluate("sessionStorage.getItem('insight-link')") is None


def sidebar_text(pg) -> str:
    """The sidebar as read, without the invisible word joiners that keep an address from becoming a link."""
    return pg.inner_text('[data-testid="stSidebar"]').replace("\u2060", "")


def session_log(data_dir: Path) -> list[dict]:
    path = data_dir / "sessions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.mark.parametrize("sub", HOSTILE)
def test_a_hostile_identity_gets_no_access_and_is_shown_as_sent(app_server, page, sub):
    base, data_dir = app_server
    _, shown, reason = HOSTILE[sub]
    sign_in(page, base, sub)
    page.get_by_text("this sign-in cannot be given access").wait_for(timeout=60_000)
    ready(page)
    assert f"Mallory ({shown}) · no access" in sidebar_text(page)  # the claim as sent, escaped: not kate@
    assert reason in main_text(page).replace("\u2060", "")
    assert page.locator(NAV).count() == 0 and DA_TITLE not in page.content()
    if sub == "kelvin-sign":  # a link opens nothing either (AppTest checks every page for a refused sign-in)
        page.screenshot(path=str(ARTIFACTS / "signin-look-alike-refused.png"), full_page=True)
        page.goto(f"{base}/satisfaction?dataset=domestic_abuse")
        page.get_by_text("this sign-in cannot be given access").wait_for(timeout=60_000)
        ready(page)
        assert DA_TITLE not in page.content()
    refused = [e for e in session_log(data_dir) if e["event"] == "refused" and e["user"] == shown]
    assert refused and reason in refused[-1]["reason"], refused  # in the audit trail, with the reason


def test_the_person_the_look_alikes_imitate_is_an_admin(app_server, page):
    """The oracle for the hostile identities: the real kate@ (and the groups they posed as) do get in."""
    base, _ = app_server
    sign_in(page, base, "kate")
    page.get_by_text(DA_TITLE).first.wait_for(timeout=60_000)
    assert "Kate Admin (kate@force.example) · admin" in sidebar_text(page)


def sign_out(pg) -> None:
    pg.get_by_role("button", name="Sign out").click()
    end_session = pg.get_by_role("button", name="End session")  # the provider asks to confirm
    end_session.wait_for(timeout=60_000)
    end_session.click()
    pg.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    ready(pg)


def test_a_copied_cookie_opens_nothing_after_sign_out(app_server, browser):
    base, data_dir = app_server
    kate = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = kate.new_page()
    sign_in(page, base, "kate")
    copied = kate.cookies()
    assert any(c["name"].startswith("_streamlit_user") for c in copied)

    def replay() -> tuple[object, object]:
        thief = browser.new_context(viewport={"width": 1400, "height": 1200})
        thief.add_cookies(copied)
        stolen = thief.new_page()
        stolen.goto(f"{base}/satisfaction?dataset=domestic_abuse")
        return thief, stolen

    open_thief, open_page = replay()  # the oracle: before the sign-out, the copy does sign its holder in
    open_page.get_by_text(f"{DA_TITLE}: satisfaction").wait_for(timeout=60_000)

    sign_out(page)
    kate.close()
    # the page the copy had already open ends too, untouched: the live reload asks every 5 seconds
    open_page.get_by_text(SIGNED_OUT).wait_for(timeout=30_000)
    assert DA_TITLE not in open_page.content()
    open_thief.close()
    kates = [e["event"] for e in session_log(data_dir) if e["user"] == "kate@force.example"]
    assert kates[-2:] == ["sign-out", "refused"]  # the sign-out, then the open copy ended (in the audit trail)
    thief, stolen = replay()
    stolen.get_by_text(SIGNED_OUT).wait_for(timeout=60_000)
    ready(stolen)
    assert "Signed in as" not in stolen.content() and DA_TITLE not in stolen.content()
    # one Sign in button (wait_for is strict: two would fail); a new profile loads the button's code first
    stolen.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    stolen.screenshot(path=str(ARTIFACTS / "signin-replayed-cookie.png"), full_page=True)
    from tests.test_accessibility import axe_violations

    assert not axe_violations(stolen)  # the sign-in page with its notice: WCAG 2.2 AA
    thief.close()
    assert session_log(data_dir)[-1]["event"] == "refused" and session_log(data_dir)[-1]["user"] == "kate@force.example"


def test_a_sign_in_is_asked_again_after_its_maximum_age(app_server, config_dir, page):
    base, _ = app_server
    access = config_dir / "access.yaml"
    shipped = access.read_text(encoding="utf-8")
    sign_in(page, base, "vera")
    try:
        access.write_text(shipped.replace("max_session_hours: 8", "max_session_hours: 0.0003"), encoding="utf-8")
        asked = "Your sign-in is more than 1 second old; sign in again to carry on."
        deadline = time.time() + 60
        while asked not in page.content():  # the app re-reads the file; the sign-in is soon more than 1 s old
            assert time.time() < deadline, "the sign-in was never asked again"
            page.reload()
            ready(page)
        assert "Signed in as" not in page.content()
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)  # strict: exactly one
    finally:
        access.write_text(shipped, encoding="utf-8")
    page.reload()  # the oracle: with 8 hours again the same cookie is good, so the age alone refused it
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)


def listening_addresses(port: int) -> set[str]:
    """The local addresses a socket listens on for this port (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_an_unconfigured_app_is_in_local_mode_on_localhost(tmp_path, browser, chromium_present):
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc/net/tcp to see the listening address")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    home = tmp_path / "home"  # no ~/.streamlit/secrets.toml to find
    home.mkdir()
    env = {**os.environ, "INSIGHT_DATA_DIR": str(tmp_path / "store"), "HOME": str(home)}
    log_path = tmp_path / "run-app.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["bash", "scripts/run-app.sh", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(f"{base}/_stcore/health", proc, "scripts/run-app.sh", log_path)
            assert listening_addresses(port) == {"0100007F"}, "local mode listens on 127.0.0.1 only"
            context = browser.new_context(viewport={"width": 1400, "height": 1200})
            pg = context.new_page()
            pg.goto(base)
            pg.get_by_text("Local mode: no sign-in; anyone who can reach this address sees everything").wait_for(
                timeout=60_000
            )
            ready(pg)
            assert pg.get_by_role("button", name="Sign in").count() == 0
            pg.screenshot(path=str(ARTIFACTS / "local-mode.png"), full_page=True)
            pg.goto(f"{base}/satisfaction?present=1")
            pg.locator('[data-testid="stSidebar"]').get_by_text("Local mode: no sign-in").wait_for(
                state="attached", timeout=60_000
            )
            context.close()
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=20)


def test_sign_in_and_no_access_pages_pass_axe(app_server, page):
    """axe-core (WCAG 2.2 AA) on the two pages shown before any survey: zero violations."""
    from tests.test_accessibility import axe_violations, tab_to

    base, _ = app_server
    page.goto(base)
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    ready(page)
    found = {}
    if violations := axe_violations(page):  # after the app's style is on the page
        found["sign in"] = violations
    tab_to(page, page.get_by_role("button", name="Sign in"))  # reached by keyboard, its focus ring visible
    page.screenshot(path=str(ARTIFACTS / "signin-page.png"), full_page=True)
    sign_in(page, base, "nora")
    page.get_by_text("you have not been given access to any survey").wait_for(timeout=60_000)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    tab_to(page, page.get_by_role("button", name="Sign out"))
    if violations := axe_violations(page):
        found["no access"] = violations
    page.screenshot(path=str(ARTIFACTS / "signin-no-access.png"), full_page=True)
    assert not found, found
