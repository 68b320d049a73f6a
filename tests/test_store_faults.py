"""Store faults (issue 7, item 9): one damaged or unreadable dataset says so in one sentence,
on its pages and in the CLI (exit 1), while every other dataset and the Upload page keep working."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deltalake import DeltaTable
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from insight.store import Store
from tests.conftest import REPO, open_figures
from tests.messy import read_rows, write_rows


def cli(*args: str, data_dir: Path | str, unprivileged: bool = False, umask: int | None = None):
    command = [sys.executable, "-m", "insight", *args, "--data-dir", str(data_dir)]
    if unprivileged and os.geteuid() == 0:  # CI runs as root: drop the power to ignore file permissions
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture()
def two_datasets(tmp_path, exports, monkeypatch):
    store = tmp_path / "store"
    for dataset, name in (("victim", "victim_survey_example.csv"), ("live_chat", "live_chat_example.csv")):
        assert cli("ingest", dataset, str(exports / name), data_dir=store).returncode == 0
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(store))
    return store


def damage_data(store: Path) -> None:
    for part in (store / "victim").rglob("*.parquet"):
        part.write_bytes(b"not a parquet file at all")


def damage_log(store: Path) -> None:
    newest = sorted((store / "victim" / "_delta_log").glob("*.json"))[-1]
    newest.write_text('{"add": {"path": ')


def app(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update(params)
    at.switch_page(page)
    return open_figures(at.run())


@pytest.mark.parametrize("damage", [damage_data, damage_log])
def test_a_damaged_dataset_says_so_and_the_others_keep_working(two_datasets, damage):
    store = two_datasets
    damage(store)
    out = cli("report", "victim", data_dir=store)
    assert out.returncode == 1
    sentence = one_sentence(out.stderr)
    assert "The stored victim data" in sentence and "cannot be read" in sentence and "restore" in sentence
    assert cli("report", "live_chat", data_dir=store).returncode == 0
    assert cli("history", "live_chat", data_dir=store).returncode == 0

    victim = app("app_pages/satisfaction.py", dataset="victim")
    assert not victim.exception
    assert any("The stored victim data" in e.value for e in victim.error)
    chat = app("app_pages/satisfaction.py", dataset="live_chat")
    assert not chat.exception and not chat.error
    overview = app("app_pages/overview.py")
    assert not overview.exception and any("The stored victim data" in e.value for e in overview.error)
    assert len(overview.metric) >= 2, "the other datasets' tiles still show"
    upload = app("app_pages/upload.py")
    assert not upload.exception
    if damage is damage_log:  # the history is the log: the Upload page says it cannot be read
        assert any("The stored victim data" in w.value for w in upload.warning)
    history = upload.dataframe[-1].value
    assert "Live Chat" in " ".join(history["Dataset"]), "the other datasets' history still shows"


def test_a_data_directory_that_is_a_file(tmp_path, exports):
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("oops")
    for args in (("ingest", "victim", str(exports / "victim_survey_example.csv")), ("report", "victim")):
        out = cli(*args, data_dir=not_a_folder)
        assert out.returncode == 1
        assert "is a file, not a folder" in one_sentence(out.stderr)


def test_a_read_only_or_unreadable_data_directory(tmp_path, exports):
    export = str(exports / "victim_survey_example.csv")
    store = tmp_path / "store"
    assert cli("ingest", "victim", export, data_dir=store).returncode == 0
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    rows[1][12] = "Completely satisfied"
    changed = tmp_path / "changed.csv"
    changed.write_bytes(write_rows(rows))
    store.chmod(0o555)
    try:
        out = cli("ingest", "victim", str(changed), data_dir=store, unprivileged=True)
        assert out.returncode == 1 and "is read-only" in one_sentence(out.stderr)
        assert cli("report", "victim", data_dir=store, unprivileged=True).returncode == 0, "reading still works"
        store.chmod(0o000)
        out = cli("report", "victim", data_dir=store, unprivileged=True)
        assert out.returncode == 1 and "cannot be read (permission denied)" in one_sentence(out.stderr)
        out = cli("undo", "victim", data_dir=store, unprivileged=True)
        assert out.returncode == 1 and "cannot be read (permission denied)" in one_sentence(out.stderr)
    finally:
        store.chmod(0o755)


def test_files_take_the_data_directory_permissions(tmp_path, exports):
    """The one rule: whatever the writer's umask, files and folders get the data directory's bits."""
    store = tmp_path / "store"
    store.mkdir(mode=0o750)
    store.chmod(0o750)
    out = cli("ingest", "victim", str(exports / "victim_survey_example.csv"), "--skip-invalid", data_dir=store,
              umask=0o077)  # fmt: skip
    assert out.returncode == 0, out.stderr
    paths = [p for p in store.rglob("*")]
    assert paths
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o750 if path.is_dir() else 0o640), f"{path}: {oct(mode)}"


def _untracked(table: Path) -> set[str]:
    """Data files in the folder that no version of the table references."""
    referenced = set()
    current = DeltaTable(str(table)).version()
    for version in range(current + 1):
        referenced |= {f for f in DeltaTable(str(table), version=version).file_uris()}
    on_disk = {str(p) for p in table.rglob("*") if p.is_file() and "_delta_log" not in p.parts}
    return {p for p in on_disk if not any(r.endswith(p) or p.endswith(r.split("://")[-1]) for r in referenced)}


def test_a_killed_import_leaves_readers_on_the_old_version_and_a_later_write_cleans_up(tmp_path, victim, exports):
    """kill -9 while the MERGE is writing its files: the old version stays; the next write removes the leftovers."""

    store = tmp_path / "store"
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    assert cli("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=store).returncode == 0
    before = Store(store).read(victim)
    big = tmp_path / "big.csv"
    big.write_bytes(_big_export(rows, 200_000))
    table = store / "victim"
    left: set[str] = set()
    for _ in range(5):  # the kill must land between the first data file and the commit; try again if it missed
        command = [sys.executable, "-m", "insight", "ingest", "victim", str(big), "--data-dir", str(store)]
        proc = subprocess.Popen(command,
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        known = {str(p) for p in table.rglob("*.parquet")}
        while proc.poll() is None and not ({str(p) for p in table.rglob("*") if p.is_file()} - known - _logs(table)):
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if DeltaTable(str(table)).version() == 1:
            left = _untracked(table)
            if left:
                break
    assert left, "no attempt was killed mid-write"
    assert_frame_equal(Store(store).read(victim), before)
    old = time.time() - 2 * 3600  # older than the grace period a running writer is given
    for name in left:
        if Path(name).exists():
            os.utime(name, (old, old))
    fixed = [list(r) for r in rows]
    fixed[1][12] = "Completely satisfied"
    src = tmp_path / "fix.csv"
    src.write_bytes(write_rows(fixed[:2]))
    assert cli("ingest", "victim", str(src), data_dir=store).returncode == 0
    assert not [n for n in left if Path(n).exists()], "the later write removed the killed import's files"
    assert cli("undo", "victim", data_dir=store).returncode == 0, "every version the undo needs is still there"
    assert_frame_equal(Store(store).read(victim), before)


def _logs(table: Path) -> set[str]:
    return {str(p) for p in (table / "_delta_log").rglob("*")}


def _big_export(rows: list[list[str]], n: int) -> bytes:
    """n responses in September 2019: the example's rows repeated with fresh IDs."""
    body = rows[1:]
    out = [rows[0]]
    for i in range(n):
        r = list(body[i % len(body)])
        r[0] = f"K{i:07d}"
        out.append(r)
    return write_rows(out)
