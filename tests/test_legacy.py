"""A store kept by the first version (one Parquet file per dataset) is refused in one sentence until
``python -m insight migrate`` moves it into the tables, losing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insight.config.layout import tidy_columns
from insight.intake.tidy import ingest_file
from insight.store import Store, StoreError
from tests.conftest import REPO
from tests.messy import read_rows, write_rows


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "insight", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, cwd=REPO, env=os.environ, timeout=300,
    )  # fmt: skip


@pytest.fixture()
def earlier(tmp_path, exports, victim) -> tuple[Path, pl.DataFrame, pl.DataFrame]:
    """A data directory as the first version left it: victim.parquet, volumes/caller_101.parquet, the log."""
    folder = tmp_path / "store"
    (folder / "volumes").mkdir(parents=True)
    frame = ingest_file(exports / "victim_survey_example.csv", victim).frame.select(tidy_columns(victim))
    frame.write_parquet(folder / "victim.parquet")  # as it kept it: typed columns, one file
    volumes = pl.DataFrame(
        {"period": ["2019-08", "2019-09"], "contacts": [70_000, 79_359], "invitations": [40, 50]},
        schema={"period": pl.String, "contacts": pl.Int64, "invitations": pl.Int64},
    )
    volumes.write_parquet(folder / "volumes" / "caller_101.parquet")
    log = [{"dataset": "victim", "file": "august.csv"}, {"dataset": "victim", "file": "september.csv"}]
    (folder / "upload_log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in log) + "not json\n")
    return folder, frame, volumes


def test_an_earlier_store_is_refused_in_one_sentence_until_migrated(earlier, victim, exports):
    folder, _, _ = earlier
    with pytest.raises(StoreError, match=r"still in the earlier store's file .*victim\.parquet.*insight migrate"):
        Store(folder).read(victim)
    report = cli("report", "victim", data_dir=folder)
    assert report.returncode == 1 and "python -m insight migrate" in report.stderr
    assert len(report.stderr.strip().splitlines()) == 1 and "Traceback" not in report.stderr
    # An import would put a new table beside the earlier responses and hide them: refused, nothing written.
    imported = cli("ingest", "victim", str(exports / "victim_survey_example.csv"), data_dir=folder)
    assert imported.returncode == 1 and "migrate" in imported.stderr
    assert not (folder / "victim").exists()


def test_migrate_moves_every_row_and_month_and_keeps_the_files(earlier, victim, definitions):
    folder, frame, volumes = earlier
    out = cli("migrate", data_dir=folder)
    assert out.returncode == 0, out.stderr
    assert "victim: 40 response(s) moved into the store (version 1)" in out.stdout
    assert "2 earlier upload(s) listed in upload_log.jsonl" in out.stdout
    assert "caller_101: 2 month(s) of contact volumes moved" in out.stdout
    store = Store(folder)
    assert_frame_equal(store.read(victim), frame.sort("period", "id"))
    assert_frame_equal(store.read_volumes(definitions["caller_101"]), volumes)
    (entry,) = store.history("victim")
    assert entry["file"] == "victim.parquet (earlier store)" and entry["new"] == 40
    assert (folder / "victim.parquet.migrated").is_file() and not (folder / "victim.parquet").exists()
    assert (folder / "volumes" / "caller_101.parquet.migrated").is_file()
    assert (folder / "upload_log.jsonl").is_file(), "the earlier history is left where it was"
    again = cli("migrate", data_dir=folder)
    assert again.returncode == 0 and "Nothing to migrate" in again.stdout
    assert cli("undo", "victim", data_dir=folder).returncode == 0, "the move is an import like any other"
    assert store.read(victim) is None


def test_rows_imported_since_are_newer_and_kept(earlier, victim, exports, tmp_path):
    """A table made beside the earlier file (by a version without this check) keeps its own rows:
    only the earlier responses it does not hold are moved."""
    folder, _, _ = earlier
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    newer = [list(r) for r in rows[:11]]
    newer[1][12] = "Completely satisfied"
    (folder / "victim.parquet").rename(folder / "aside.parquet")
    src = tmp_path / "newer.csv"
    src.write_bytes(write_rows(newer))
    assert cli("ingest", "victim", str(src), data_dir=folder).returncode == 0
    (folder / "aside.parquet").rename(folder / "victim.parquet")
    out = cli("migrate", data_dir=folder)
    assert out.returncode == 0 and "victim: 30 response(s) moved" in out.stdout, out.stdout + out.stderr
    held = Store(folder).read(victim)
    assert held.height == 40
    kept = held.filter(pl.col("id") == rows[1][0]).get_column("overall").cast(pl.String).item()
    assert kept == "Completely satisfied", "the newer answer was not overwritten by the earlier one"


def test_a_damaged_earlier_file_is_left_as_it_was(earlier, victim):
    folder, _, _ = earlier
    (folder / "victim.parquet").write_bytes(b"PAR1 not really")
    out = cli("migrate", data_dir=folder)
    assert out.returncode == 1 and "cannot be read (damaged?)" in out.stderr and "Traceback" not in out.stderr
    assert (folder / "victim.parquet").read_bytes() == b"PAR1 not really"
    assert not (folder / "victim").exists()


def test_the_pages_say_so_too(earlier, monkeypatch):
    from streamlit.testing.v1 import AppTest

    folder, _, _ = earlier
    monkeypatch.setenv("INSIGHT_DATA_DIR", str(folder))
    monkeypatch.setenv("INSIGHT_SAMPLES", "off")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.query_params.update({"dataset": "victim"})
    at.switch_page("app_pages/satisfaction.py")
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(str(e.value) for e in [*at.error, *at.warning, *at.info])
    assert "earlier store" in shown and "python -m insight migrate" in shown
