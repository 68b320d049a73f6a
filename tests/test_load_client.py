"""The load benchmark's viewer (bench/load_client.py) against a real server on the sample data.

Two viewers speak Streamlit's protocol as browser tabs do: each run they ask for finishes with the
page's charts drawn; a filter change re-runs the page with the new choice (the address the app
writes follows it); the live reload's ``auto_rerun`` is answered on its timer; and the store's
versions, which every session shares, are read again only when a table's log changes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO))

from bench.bench_load import start_server, stop_server
from bench.load_client import Viewer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("load-client")
    proc, base = start_server(folder / "store", folder / "server.log", samples="on")
    yield base
    stop_server(proc)


async def two_viewers(base: str) -> dict:
    first, second = Viewer(base, name="first"), Viewer(base, name="second")
    try:
        opened = await asyncio.gather(
            first.open("satisfaction", "dataset=victim"), second.open("trends", "dataset=victim")
        )
        by = first.widgets["Break down by"]
        changed = await first.choose("Break down by", "Channel")
        query_after = first.query
        deadline = time.monotonic() + 20
        while first.fragment_runs == 0 and time.monotonic() < deadline:  # the live reload's timer, as a browser's
            await asyncio.sleep(0.2)
        return {
            "opened": opened,
            "options": by.options,
            "before": by.value,
            "changed": changed,
            "query_after": query_after,
            "auto_reruns": first.auto_reruns,
            "fragment_runs": first.fragment_runs,
            "errors": first.errors + second.errors,
            "pages": first.pages,
        }
    finally:
        await asyncio.gather(first.close(), second.close())


def test_two_viewers_run_pages_change_a_filter_and_answer_the_live_reload(server):
    seen = asyncio.run(two_viewers(server))
    for run in seen["opened"]:
        assert run.errors == [] and run.charts >= 1, run
    assert {"satisfaction", "trends", ""} <= set(seen["pages"])
    assert seen["before"] == "nothing (all respondents)" and "Channel" in seen["options"]
    changed = seen["changed"]
    assert changed.action == "filter" and changed.errors == [] and changed.charts >= 1
    assert "by=channel" in seen["query_after"]  # the run used the new choice: the app wrote it to the address
    assert list(seen["auto_reruns"].values()) == [5.0]  # the live reload's fragment, on its timer
    assert seen["fragment_runs"] >= 1
    assert seen["errors"] == []


def test_the_store_versions_are_shared_and_read_again_only_after_a_change(tmp_path, monkeypatch, exports):
    """Outside a run (as a fragment's rerun reads them): one read serves every caller until a commit."""
    from app_pages import loading
    from insight.store import Store

    store = tmp_path / "store"
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store))
    calls: list[object] = []
    version = Store.version

    def counted(self: Store, datasets: object = None) -> str:
        calls.append(datasets)
        return version(self, datasets)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "version", counted)
    ingest = [sys.executable, "-m", "insight", "ingest", "victim", str(exports / "victim_survey_example.csv")]
    env = {**os.environ, "INSIGHT_DATA_DIR": str(store)}
    assert subprocess.run(ingest, cwd=REPO, env=env, capture_output=True).returncode == 0
    first = loading.store_versions()
    reads = len(calls)
    assert reads == len(loading.definitions())  # once per dataset
    assert loading.store_versions() == first and len(calls) == reads  # nothing changed: nothing read
    undo = [sys.executable, "-m", "insight", "undo", "victim"]
    assert subprocess.run(undo, cwd=REPO, env=env, capture_output=True).returncode == 0
    after = loading.store_versions()
    assert len(calls) == 2 * reads and after["victim"] != first["victim"]
    assert {k: v for k, v in after.items() if k != "victim"} == {k: v for k, v in first.items() if k != "victim"}


def test_a_server_of_many_viewers_starts_with_the_served_options():
    """The options that halved a rerun's work under load are in the app's own config.toml."""
    import tomllib

    options = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert options["runner"]["postScriptGC"] is False
    assert options["server"]["fileWatcherType"] == "none"


def test_the_server_warmed_its_caches_before_it_listened(server, tmp_path_factory):
    """bench_load starts the app as the run scripts do (python -m app_pages.serving run): warm first."""
    logs = list(Path(tmp_path_factory.getbasetemp()).glob("load-client*/server.log"))
    assert logs and "caches warm in" in logs[0].read_text(), logs


def victim_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exports: Path) -> Path:
    """A store holding the example victim survey, in use by this process (samples off)."""
    store = tmp_path / "store"
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store))
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    env = {**os.environ, "INSIGHT_DATA_DIR": str(store)}
    ingest = [sys.executable, "-m", "insight", "ingest", "victim", str(exports / "victim_survey_example.csv")]
    assert subprocess.run(ingest, cwd=REPO, env=env, capture_output=True).returncode == 0
    return store


def test_warm_reads_each_dataset_once_for_every_session(tmp_path, monkeypatch, exports):
    """After warm(), a page's load is answered from the copy warm() read (no second read of the table)."""
    from app_pages import loading

    store = victim_store(tmp_path, monkeypatch, exports)
    assert loading.warm() == ["victim"]

    def no_second_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the table was read again")

    monkeypatch.setattr(loading, "load_dataset", no_second_read)
    version = loading.store_versions()["victim"]
    loaded = loading._load("victim", str(store), version, False, spinner=False)
    assert loaded is not None and loaded.frame.height > 0 and not loaded.is_sample


def test_after_warm_the_board_packs_first_view_writes_no_pack(tmp_path, monkeypatch, exports):
    """warm() writes the pack of every survey's latest month; the page's first view (local mode: every survey)
    is answered from it, and another month is still written when chosen."""
    from streamlit.testing.v1 import AppTest

    import insight.board.pack
    from app_pages import loading

    victim_store(tmp_path, monkeypatch, exports)
    loading.board_pack.clear()
    assert loading.warm() == ["victim"]
    written: list[str | None] = []
    build = insight.board.pack.build_pack

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        written.append(kwargs.get("period"))
        return build(*args, **kwargs)

    monkeypatch.setattr(insight.board.pack, "build_pack", counted)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("app_pages/board_pack.py").run()
    assert not at.exception, at.exception
    assert at.header[0].value.startswith("Public and victim satisfaction: board paper"), "the pack is shown"
    assert written == [], "the first view wrote the pack again"
    months = at.selectbox(key="pack_period").options
    at.selectbox(key="pack_period").set_value(at.selectbox(key="pack_period").options[-1]).run()
    assert not at.exception, at.exception
    assert len(written) == 1 and len(months) > 1, "another month is written when chosen"
