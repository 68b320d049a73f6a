from __future__ import annotations

import multiprocessing
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insight.ingest import ingest_bytes
from insight.store import Store
from tests.messy import read_rows, write_rows


def load(store: Store, definition, data: bytes, name: str = "f.csv"):
    result = ingest_bytes(data, name, definition)
    assert result.report.ok, result.report.describe()
    return store.upsert(
        definition, result.frame, file_name=name, sha256=result.report.sha256, rows_read=result.report.rows_read
    )


@pytest.fixture()
def rows(exports) -> list[list[str]]:
    return read_rows((exports / "victim_survey_example.csv").read_bytes())


def test_overlapping_exports_count_once(tmp_path, victim, rows):
    store = Store(tmp_path)
    first = load(store, victim, write_rows(rows[:26]))  # header + 25
    second = load(store, victim, write_rows([rows[0], *rows[16:]]))  # 15 overlap + 15 new
    assert (first.new, first.updated, first.unchanged) == (25, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (15, 0, 10)
    held = store.read(victim)
    assert held.height == 40
    assert held.get_column("id").n_unique() == 40


def test_reimport_changes_nothing(tmp_path, victim, rows):
    store = Store(tmp_path)
    load(store, victim, write_rows(rows))
    before = store.path("victim").read_bytes()
    again = load(store, victim, write_rows(rows))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 40)
    assert store.path("victim").read_bytes() == before
    assert store.upload_log().height == 2


def test_corrected_row_replaces_the_old_one(tmp_path, victim, rows):
    store = Store(tmp_path)
    load(store, victim, write_rows(rows))
    fixed = [list(r) for r in rows]
    fixed[1][12] = "Completely satisfied"
    record = load(store, victim, write_rows([fixed[0], fixed[1]]))
    assert (record.new, record.updated, record.unchanged) == (0, 1, 0)
    held = store.read(victim)
    assert held.height == 40
    assert (
        held.filter(pl.col("id") == rows[1][0]).get_column("overall").cast(pl.String).item() == "Completely satisfied"
    )


def test_upload_log_records_file_hash_and_counts(tmp_path, victim, rows):
    store = Store(tmp_path)
    data = write_rows(rows)
    load(store, victim, data, "september.csv")
    log = store.upload_log()
    entry = log.row(0, named=True)
    import hashlib

    assert entry["file_name"] == "september.csv"
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert (entry["dataset"], entry["rows_read"], entry["new"], entry["rejected"]) == ("victim", 40, 40, 0)
    assert entry["periods"] == "2019-09"


def test_crash_mid_write_leaves_the_old_store(tmp_path, victim, rows, monkeypatch):
    store = Store(tmp_path)
    load(store, victim, write_rows(rows[:20]))
    before = store.read(victim)

    def boom(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError):
        load(store, victim, write_rows(rows))
    monkeypatch.undo()
    assert_frame_equal(store.read(victim), before)
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def _import_in_process(args: tuple[str, bytes, str]) -> int:
    data_dir, data, name = args
    from insight.definition import load_definitions

    victim = load_definitions()["victim"]
    return load(Store(data_dir), victim, data, name).new


def test_two_imports_at_once_both_land(tmp_path, victim, rows):
    halves = [write_rows([rows[0], *rows[1:21]]), write_rows([rows[0], *rows[21:]])]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        news = pool.map(_import_in_process, [(str(tmp_path), h, f"half{i}.csv") for i, h in enumerate(halves)])
    assert sorted(news) == [20, 20]
    assert Store(tmp_path).read(victim).height == 40
    assert Store(tmp_path).upload_log().height == 2


def test_no_pii_in_any_stored_file(tmp_path, victim, exports, rows):
    from insight.cli import main

    bad = [list(r) for r in rows]
    bad[4][5] = "Arson"
    src = tmp_path / "bad.csv"
    src.write_bytes(write_rows(bad))
    data_dir = tmp_path / "store"
    assert main(["ingest", "victim", str(exports / "victim_survey_example.csv"), "--data-dir", str(data_dir)]) == 0
    assert main(["ingest", "victim", str(src), "--data-dir", str(data_dir), "--skip-invalid"]) == 0
    emails = {r[4] for r in rows[1:]}
    refs = {r[3] for r in rows[1:]}
    files = [p for p in Path(data_dir).rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any("rejected" in p.parts for p in files)
    for path in files:
        blob = path.read_bytes()
        for value in emails | refs:
            assert value.encode() not in blob, f"{value} found in {path}"
