"""Several replicas behind HAProxy over one store, with sign-in, in Chromium through the proxy.

``scripts/run-cluster.sh --replicas 2`` starts two app processes and HAProxy (installed by the script
when missing) on free ports, over one temporary store, with the sign-in of tests/test_signin_browser.py
(oidc-provider-mock; the same secrets, so the same cookie_secret, on both replicas). A browser is put
on a chosen replica with HAProxy's affinity cookie (``INSIGHT_REPLICA=r1``), as HAProxy itself would.

- a manager signs in through the proxy, and stays on the replica the proxy chose;
- an import through replica 1 shows on a page a viewer has open on replica 2, within 10 s, untouched;
- two imports through the two replicas at once both land exactly once: ``tests/cluster_hooks``
  (on the replicas' PYTHONPATH) holds each replica's first commit, once armed, until the other has
  planned too, so the second must meet the first's commit and plan again;
- killing the replica a viewer is on: their next click is served by the other, still signed in, no error.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, need_shared
from tests.test_browser import ARTIFACTS
from tests.test_signin_browser import browser, chromium_present, provider, ready  # noqa: F401  # fixtures

pytestmark = pytest.mark.browser
COOKIE = "INSIGHT_REPLICA"
HOOKS = REPO / "tests" / "cluster_hooks"


def _free_ports(count: int) -> int:
    """A port P with P..P+count-1 all free (the proxy on P, replica i on P+i)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            start = s.getsockname()[1]
        if start + count > 65535:
            continue
        taken = False
        for port in range(start, start + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return start
    raise RuntimeError("no run of free ports")


def haproxy_or_skip() -> None:
    """run-cluster.sh installs HAProxy with apt-get as root or through sudo; elsewhere these tests skip (not in CI)."""
    import shutil

    if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists() or os.geteuid() == 0 or shutil.which("sudo"):
        return
    if os.environ.get("CI"):
        pytest.fail("HAProxy is missing in CI and cannot be installed: scripts/run-cluster.sh needs root or sudo")
    pytest.skip("HAProxy is not installed and this user cannot install it (apt-get install haproxy)")


@pytest.fixture(scope="module")
def cluster(provider, tmp_path_factory) -> Iterator[dict]:  # noqa: F811
    haproxy_or_skip()
    folder = tmp_path_factory.mktemp("cluster")
    port = _free_ports(3)
    base = f"http://127.0.0.1:{port}"
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        'cookie_secret = "a-cluster-cookie-secret-shared-by-every-replica-0123"\n'
        'client_id = "insight-test"\n'
        'client_secret = "insight-test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    run_dir = folder / "run"
    barrier = folder / "barrier"
    env = {
        **os.environ,
        "INSIGHT_DATA_DIR": str(folder / "store"),
        "INSIGHT_SAMPLES": "off",
        "PYTHONPATH": os.pathsep.join([str(HOOKS), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "INSIGHT_TEST_COMMIT_BARRIER": str(barrier),
    }
    log = (folder / "cluster.log").open("w")
    proc = subprocess.Popen(
        ["bash", "scripts/run-cluster.sh", "--replicas", "2", "--port", str(port), "--run-dir", str(run_dir),
         "--bind", "127.0.0.1", "--secrets.files", str(secrets), "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not (run_dir / "ready").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the cluster did not start: {(folder / 'cluster.log').read_text()[-3000:]}")
        time.sleep(0.2)  # polling a cluster that is starting, not waiting for a result
    yield {"base": base, "run_dir": run_dir, "store": folder / "store", "barrier": barrier}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="module")
def exports_split(tmp_path_factory) -> list[Path]:
    """The victim example cut into three files of distinct responses (same header)."""
    need_shared()
    lines = (REPO.parent / "shared" / "exports" / "victim_survey_example.csv").read_text(encoding="utf-8-sig")
    header, *rows = lines.splitlines()
    folder = tmp_path_factory.mktemp("parts")
    parts = []
    for i, chunk in enumerate((rows[:14], rows[14:27], rows[27:])):
        path = folder / f"victim_part{i + 1}.csv"
        path.write_text("\n".join([header, *chunk]) + "\n", encoding="utf-8")
        parts.append(path)
    return parts


def on_replica(browser, base: str, replica: str | None):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    if replica:
        context.add_cookies([{"name": COOKIE, "value": replica, "url": base}])
    return context, context.new_page()


def replica_of(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == COOKIE), None)


def sign_in(pg, base: str, sub: str) -> None:
    pg.goto(base)
    pg.get_by_role("button", name="Sign in").click()
    pg.locator("input[name=sub]").fill(sub)
    pg.get_by_role("button", name="Authorize").click()
    pg.get_by_text("Signed in as").first.wait_for(timeout=60_000)
    ready(pg)


def choose_file(pg, base: str, path: Path) -> None:
    pg.goto(f"{base}/upload")
    ready(pg)
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    pg.get_by_text("Recognised from its header as Victim satisfaction survey.").wait_for(timeout=60_000)
    ready(pg)


def history(store: Path) -> list[dict]:
    import json

    out = subprocess.run(
        [sys.executable, "-m", "insight", "history", "victim", "--format", "json", "--data-dir", str(store)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)["rows"]


def test_a_manager_signs_in_through_the_proxy_and_stays_on_one_replica(cluster, browser):  # noqa: F811
    proxy = (cluster["run_dir"] / "haproxy.cfg").read_text()
    for setting in ("cookie INSIGHT_REPLICA insert indirect nocache", "option httpchk GET /_stcore/health",
                    "option redispatch", "timeout tunnel 1h", "option forwardfor"):  # fmt: skip
        assert setting in proxy, setting
    context, page = on_replica(browser, cluster["base"], None)
    try:
        sign_in(page, cluster["base"], "max")
        first = replica_of(context)
        assert first in ("r1", "r2")
        page.goto(f"{cluster['base']}/satisfaction")
        ready(page)
        assert replica_of(context) == first and "Signed in as" in page.content()
    finally:
        context.close()


def test_an_import_through_one_replica_shows_on_another_within_10_s(cluster, browser, exports_split):  # noqa: F811
    base = cluster["base"]
    viewer_context, viewer = on_replica(browser, base, "r2")
    manager_context, manager = on_replica(browser, base, "r1")
    try:
        sign_in(viewer, base, "vera")
        viewer.get_by_text("Victim satisfaction survey").first.wait_for(timeout=60_000)
        assert viewer.locator('[data-testid="stMetric"]').count() == 0  # nothing held yet
        sign_in(manager, base, "max")
        choose_file(manager, base, exports_split[0])
        manager.get_by_role("button", name="Import", exact=True).click()
        manager.get_by_text(f"Imported {exports_split[0].name}").wait_for(timeout=60_000)
        imported = time.monotonic()
        viewer.locator('[data-testid="stMetric"]').first.wait_for(timeout=10_000)  # untouched: the live reload
        shown_after = time.monotonic() - imported
        viewer.screenshot(path=str(ARTIFACTS / "cluster-import-seen-on-other-replica.png"), full_page=True)
        assert replica_of(viewer_context) == "r2" and replica_of(manager_context) == "r1"
        assert shown_after <= 10
        assert [h["file"] for h in history(cluster["store"])] == [exports_split[0].name]
    finally:
        viewer_context.close()
        manager_context.close()


def test_two_imports_through_two_replicas_at_once_both_land_once(cluster, browser, exports_split):  # noqa: F811
    base, barrier = cluster["base"], cluster["barrier"]
    contexts = [on_replica(browser, base, replica) for replica in ("r1", "r2")]
    try:
        for (_, page), path in zip(contexts, exports_split[1:], strict=True):
            sign_in(page, base, "max")
            choose_file(page, base, path)
        Path(f"{barrier}.armed").touch()  # from here each replica's next commit waits for the other's plan
        for _, page in contexts:
            page.get_by_role("button", name="Import", exact=True).click()
        for (_, page), path in zip(contexts, exports_split[1:], strict=True):
            page.get_by_text(f"Imported {path.name}").wait_for(timeout=120_000)
        planned = list(barrier.parent.glob(barrier.name + ".planned.*"))
        attempts = sum(len(p.read_text().split()) for p in barrier.parent.glob(barrier.name + ".commits.*"))
        assert len(planned) == 2, "both replicas planned their import before either committed"
        assert attempts >= 3, "one import met the other's commit and planned again"
        rows = history(cluster["store"])
        assert sorted(h["file"] for h in rows) == sorted(p.name for p in exports_split)
        assert [h["action"] for h in rows] == ["import"] * 3
        assert sum(h["new"] for h in rows) == 40  # every response once: 14 + 13 + 13
        out = subprocess.run(
            [sys.executable, "-c", "import sys; from insight.config.loader import load_config; "
             "from insight.store import Store; f = Store(sys.argv[1]).read(load_config().definitions['victim']); "
             "print(f.height, f.get_column('id').n_unique())", str(cluster["store"])],
            cwd=REPO, capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert out.stdout.split() == ["40", "40"]
    finally:
        Path(f"{barrier}.armed").unlink(missing_ok=True)
        for context, _ in contexts:
            context.close()


def test_killing_a_users_replica_moves_their_next_click_without_a_second_sign_in(
    cluster,
    browser,  # noqa: F811
    exports_split,
):
    base, run_dir = cluster["base"], cluster["run_dir"]
    ingest = [sys.executable, "-m", "insight", "ingest", "victim", str(exports_split[0]), "--data-dir",
              str(cluster["store"])]  # fmt: skip
    subprocess.run(ingest, cwd=REPO, capture_output=True, check=True)  # held already when the tests above ran
    context, page = on_replica(browser, base, "r1")
    try:
        sign_in(page, base, "vera")
        page.goto(f"{base}/satisfaction?dataset=victim")
        ready(page)
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=60_000)
        assert replica_of(context) == "r1"
        os.kill(int((run_dir / "r1.pid").read_text()), signal.SIGKILL)
        # The tab loses its WebSocket and reconnects through the proxy, which sends it to r2 (redispatch);
        # a click made while it is still disconnected would be dropped by Streamlit, as in any browser.
        deadline = time.monotonic() + 60
        while replica_of(context) != "r2" and time.monotonic() < deadline:
            page.wait_for_timeout(200)  # polling the browser's cookie for the reconnection, not waiting a fixed time
        ready(page)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Trends", exact=True).click()
        page.get_by_text("has it risen or fallen?").first.wait_for(timeout=60_000)
        ready(page)
        page.screenshot(path=str(ARTIFACTS / "cluster-after-replica-killed.png"), full_page=True)
        assert replica_of(context) == "r2"
        assert "Signed in as" in page.content()
        assert page.get_by_role("button", name="Sign in").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Connection error" not in page.inner_text("body")
    finally:
        context.close()
