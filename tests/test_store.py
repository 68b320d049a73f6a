"""The Delta Lake store, proved on a local folder and on Azurite (Azure Blob Storage emulated).

Every promise is checked on both: MERGE by ID, an unchanged re-import writes no version,
history with its metadata, undo, two imports at once, and no PII in any stored byte.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from insight.config.loader import load_config
from insight.intake.tidy import ingest_bytes
from insight.store import Store, StoreError
from insight.store.commit import file_form
from insight.store.records import Move, MoveRefused
from tests.azurite import free_port, start_azurite
from tests.conftest import REPO
from tests.messy import read_rows, write_rows


@pytest.fixture(scope="session")
def azurite():
    yield from start_azurite()


@dataclass
class Where:
    """A data directory, local or in an Azurite container, and a way to read every stored byte."""

    data_dir: str
    files: object
    env: dict[str, str]


@pytest.fixture(params=["local", "azurite"])
def where(request, tmp_path, monkeypatch) -> Where:
    if request.param == "local":
        folder = tmp_path / "store"

        def files() -> dict[str, bytes]:
            return {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

        return Where(str(folder), files, {})
    azurite = request.getfixturevalue("azurite")
    for key, value in azurite.env.items():
        monkeypatch.setenv(key, value)
    container = azurite.new_container()
    return Where(f"az://{container}/insight", lambda: azurite.blobs(container), azurite.env)


def load(store: Store, definition, data: bytes, name: str = "f.csv", user: str = "cli:tester", allow_move=False):
    result = ingest_bytes(data, name, definition)
    assert result.report.ok, result.report.describe()
    return store.import_result(definition, result, user=user, allow_move=allow_move)


def cli(*args: str, data_dir: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "insight", *args, "--data-dir", data_dir],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture()
def rows(exports) -> list[list[str]]:
    return read_rows((exports / "victim_survey_example.csv").read_bytes())


# --------------------------------------------------------------------------- MERGE by ID


def test_overlapping_exports_count_once(where, victim, rows):
    store = Store(where.data_dir)
    first = load(store, victim, write_rows(rows[:26]))  # header + 25
    second = load(store, victim, write_rows([rows[0], *rows[16:]]))  # 10 overlap + 15 new
    assert (first.new, first.updated, first.unchanged) == (25, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (15, 0, 10)
    held = store.read(victim)
    assert held.height == 40 and held.get_column("id").n_unique() == 40
    assert held.schema == ingest_bytes(write_rows(rows), "f.csv", victim).frame.schema, "re-typed as Enum on read"


def test_unchanged_reimport_writes_no_new_version(where, victim, rows):
    store = Store(where.data_dir)
    load(store, victim, write_rows(rows))
    version = store.table_version("victim")
    stored = where.files()
    again = load(store, victim, write_rows(rows))
    assert (again.new, again.updated, again.unchanged, again.version) == (0, 0, 40, None)
    assert store.table_version("victim") == version
    assert where.files() == stored, "not one byte written"
    assert [h["action"] for h in store.history("victim")] == ["import"]


def test_corrected_row_replaces_only_that_row(where, victim, rows):
    store = Store(where.data_dir)
    load(store, victim, write_rows(rows))
    fixed = [list(r) for r in rows]
    fixed[1][12] = "Completely satisfied"
    record = load(store, victim, write_rows(fixed))
    assert (record.new, record.updated, record.unchanged) == (0, 1, 39)
    held = store.read(victim)
    assert held.height == 40
    overall = held.filter(pl.col("id") == rows[1][0]).get_column("overall").cast(pl.String).item()
    assert overall == "Completely satisfied"


def test_a_correction_keeps_the_rest_of_its_period_as_it_was(where, victim, rows):
    """On a local store a correction rewrites its period: the period's other rows come through unchanged."""
    store = Store(where.data_dir)
    load(store, victim, write_rows(rows))
    before = store.read(victim)
    fixed = [list(r) for r in rows[:11]]
    fixed[3][12] = "Completely satisfied"
    record = load(store, victim, write_rows(fixed))
    assert (record.new, record.updated, record.unchanged) == (0, 1, 9)
    after = store.read(victim)
    changed = rows[3][0]
    assert_frame_equal(after.filter(pl.col("id") != changed), before.filter(pl.col("id") != changed))
    assert after.filter(pl.col("id") == changed).get_column("overall").cast(pl.String).item() == "Completely satisfied"
    store.undo("victim", user="cli:tester")
    assert_frame_equal(store.read(victim), before)


def test_a_response_that_moves_period_is_moved_not_copied(tmp_path, victim, rows):
    """The partition-limited MERGE is only used when no incoming ID is held in another period; a move is
    refused unless allowed, and then counted."""
    store = Store(tmp_path)
    load(store, victim, write_rows(rows))
    moved = [list(r) for r in rows[:2]]
    moved[1][1] = moved[1][1].replace("/09/", "/08/")  # the response date: September -> August
    result = ingest_bytes(write_rows(moved), "f.csv", victim)
    version = store.table_version("victim")
    with pytest.raises(MoveRefused, match=r"1 response\(s\) already held would move to another period \(1 from "
                       r"2019-09 to 2019-08\), so nothing was imported"):  # fmt: skip
        store.import_result(victim, result, user="cli:tester")
    assert store.table_version("victim") == version, "nothing written"
    assert store.compare(victim, result.frame).moved == (Move("2019-09", "2019-08", 1),)
    record = store.import_result(victim, result, user="cli:tester", allow_move=True)
    assert (record.new, record.updated) == (0, 1) and record.moved == (Move("2019-09", "2019-08", 1),)
    assert store.history("victim")[0]["moved"] == [["2019-09", "2019-08", 1]]
    held = store.read(victim)
    assert held.height == 40
    assert held.filter(pl.col("id") == rows[1][0]).get_column("period").to_list() == ["2019-08"]
    assert store.held_periods(victim) == ["2019-08", "2019-09"]


# --------------------------------------------------------------------------- history


def test_history_records_each_commit_with_its_metadata(where, victim, rows):
    store = Store(where.data_dir)
    data = write_rows(rows)
    load(store, victim, write_rows(rows[:11]), "august.csv", user="local:ann")
    load(store, victim, data, "jo.bloggs@example.com september.csv", user="cli:bob")
    history = store.history("victim")
    assert [h["version"] for h in history] == [2, 1], "newest first"
    newest = history[0]
    assert set(newest) >= {"version", "time", "action", "file", "sha256", "rows_in_file", "new", "updated",
                           "unchanged", "periods", "user"}  # fmt: skip
    assert newest["action"] == "import" and newest["user"] == "cli:bob"
    assert "jo.bloggs" not in newest["file"] and newest["file"].endswith("september.csv"), "file name masked"
    assert newest["sha256"] == hashlib.sha256(data).hexdigest()
    assert (newest["rows_in_file"], newest["new"], newest["updated"], newest["unchanged"]) == (40, 30, 0, 10)
    assert newest["periods"] == ["2019-09"]
    assert newest["time"].endswith("Z") and newest["time"] >= history[1]["time"]
    # the metadata is the Delta table's own commit log, readable by any Delta client
    commit = next(h for h in DeltaTable(store.table_uri("victim")).history() if h["version"] == 2)
    assert json.loads(commit["insight"])["sha256"] == newest["sha256"]


def test_history_and_undo_from_the_cli(where, exports):
    export = str(exports / "victim_survey_example.csv")
    assert cli("ingest", "victim", export, data_dir=where.data_dir).returncode == 0
    report = cli("report", "victim", "--format", "json", data_dir=where.data_dir)
    assert report.returncode == 0 and json.loads(report.stdout)["period"] == "2019-09"
    out = cli("history", "victim", "--format", "json", data_dir=where.data_dir)
    payload = json.loads(out.stdout)
    assert payload["dataset"] == "victim" and len(payload["rows"]) == 1
    row = payload["rows"][0]
    assert (row["action"], row["file"], row["new"], row["periods"]) == ("import", "victim_survey_example.csv", 40,
                                                                         ["2019-09"])  # fmt: skip
    assert row["user"].startswith("cli:")
    undo = cli("undo", "victim", data_dir=where.data_dir)
    assert undo.returncode == 0, undo.stderr
    assert "40 row(s) removed" in undo.stdout
    gone = cli("report", "victim", data_dir=where.data_dir)
    assert gone.returncode == 1 and "no victim data is held" in gone.stderr
    again = cli("undo", "victim", data_dir=where.data_dir)
    assert again.returncode == 1 and "Nothing to undo" in again.stderr and "Traceback" not in again.stderr
    missing = cli("undo", "victim", "--version", "7", data_dir=where.data_dir)
    assert missing.returncode == 1 and "Version 7 of the victim data does not exist" in missing.stderr
    back = cli("undo", "victim", "--version", "1", data_dir=where.data_dir)
    assert back.returncode == 0 and "40 row(s) restored" in back.stdout
    table = cli("history", "victim", data_dir=where.data_dir).stdout
    assert "undo, back to version 1" in table and "undo, back to version 0" in table


# --------------------------------------------------------------------------- undo


def test_undo_takes_back_the_newest_import_and_is_itself_recorded(where, victim, rows):
    store = Store(where.data_dir)
    load(store, victim, write_rows(rows[:21]), "first.csv")
    after_first = store.read(victim)
    fixed = [list(r) for r in rows]
    fixed[1][12] = "Completely satisfied"  # one update, 20 new
    load(store, victim, write_rows(fixed), "second.csv")
    plan = store.undo_plan("victim")
    assert (plan["undoes"], plan["removed"], plan["restored"]) == ([2], 20, 1)
    done = store.undo("victim", user="local:ann")
    assert (done.removed, done.restored, done.restored_to, done.undoes) == (20, 1, 1, [2])
    assert_frame_equal(store.read(victim), after_first)
    history = store.history("victim")
    assert (history[0]["action"], history[0]["user"], history[0]["undoes"], history[0]["file"]) == (
        "undo", "local:ann", [2], "second.csv")  # fmt: skip
    # the next undo takes back the first import; then there is nothing left to undo
    store.undo("victim", user="local:ann")
    assert store.read(victim) is None
    with pytest.raises(StoreError, match="Nothing to undo"):
        store.undo("victim", user="local:ann")
    # nothing is erased: return to the state right after version 2
    store.undo("victim", version=2, user="local:ann")
    assert store.read(victim).height == 40
    assert [h["version"] for h in store.history("victim")] == [5, 4, 3, 2, 1]


def test_undo_of_volumes_is_in_their_own_table(tmp_path, definitions):
    from insight.intake.volumes import read_volumes

    store = Store(tmp_path)
    definition = definitions["caller_101"]
    first = read_volumes(b"Month,Calls received,Survey invitations sent\nMay 2019,1,2\nJun 2019,3,4\n", "a", definition)
    second = read_volumes(b"Month,Calls received,Survey invitations sent\nJun 2019,30,40\n", "b", definition)
    store.import_volumes("caller_101", first, file_name="a.csv", sha256="x", user="cli:t")
    record = store.import_volumes("caller_101", second, file_name="b.csv", sha256="y", user="cli:t")
    assert (record.new, record.updated) == (0, 1)
    assert store.read_volumes(definition).rows() == [("2019-05", 1, 2), ("2019-06", 30, 40)]
    with pytest.raises(StoreError, match="Nothing to undo"):
        store.undo("caller_101", user="cli:t")  # the responses table has no import
    store.undo("caller_101", volumes=True, user="cli:t")
    assert store.read_volumes(definition).rows() == [("2019-05", 1, 2), ("2019-06", 3, 4)]
    assert [h["action"] for h in store.history("caller_101", volumes=True)] == ["undo", "import", "import"]


# --------------------------------------------------------------------------- two imports at once


def _import_at_the_barrier(data_dir: str, data: bytes, name: str, barrier: str, env: dict, out: str) -> None:
    """One of two processes: plan the MERGE, then wait until the other has planned too."""
    os.environ.update(env)

    plans = []
    original = Store._held_for

    def held_then_wait(self, *args, **kwargs):
        found = original(self, *args, **kwargs)
        plans.append(1)
        if len(plans) == 1:  # both plan on the same version, so both commits cannot simply succeed
            Path(f"{barrier}.{name}").touch()
            while len(list(Path(barrier).parent.glob(Path(barrier).name + ".*"))) < 2:
                pass
        return found

    Store._held_for = held_then_wait
    record = load(Store(data_dir), load_config().definitions["victim"], data, name)
    Path(out).write_text(
        json.dumps({"new": record.new, "unchanged": record.unchanged, "plans": len(plans), "version": record.version})
    )


@pytest.mark.parametrize(
    ("first", "second"), [(1, 16), (2, 16), (1, 1)], ids=["one-holds-a-held-row", "both-all-new", "both-hold-it"]
)
def test_two_imports_at_once_both_land(where, victim, rows, tmp_path, first, second):
    """Both plan on version 1; one commits, the other meets it and plans again. On a local store a
    file holding no held row is added as it is, one holding some rewrites its period; either is
    committed only onto the version read, so the later must not add its 10 shared IDs twice."""
    store = Store(where.data_dir)
    load(store, victim, write_rows(rows[:2]))  # the table holds row 1: both imports plan onto version 1
    shared = [rows[1]] if second == 1 else []
    halves = [write_rows([rows[0], *rows[first:26]]), write_rows([rows[0], *shared, *rows[16:]])]  # 10 IDs in both
    ctx = multiprocessing.get_context("spawn")
    barrier = str(tmp_path / "barrier")
    outs = [str(tmp_path / f"out{i}.json") for i in range(2)]
    procs = [
        ctx.Process(
            target=_import_at_the_barrier, args=(where.data_dir, h, f"half{i}.csv", barrier, where.env, outs[i])
        )
        for i, h in enumerate(halves)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    results = [json.loads(Path(o).read_text()) for o in outs]
    assert sum(r["plans"] for r in results) >= 3, "one import met the other's commit and planned again"
    assert sorted(r["new"] for r in results) in ([14, 25], [15, 24]), results  # 39 new between them
    held = store.read(victim)
    assert held.height == 40 and held.get_column("id").n_unique() == 40
    assert [h["action"] for h in store.history("victim")] == ["import"] * 3
    assert sorted(r["version"] for r in results) == [2, 3]


# --------------------------------------------------------------------------- the all-new path


def test_each_import_reports_the_version_it_made(where, victim, rows):
    store = Store(where.data_dir)
    first = load(store, victim, write_rows(rows[:11]))  # all new
    fixed = [list(r) for r in rows]
    fixed[1][12] = "Completely satisfied"
    second = load(store, victim, write_rows(fixed))  # 30 new, 1 updated: a MERGE
    third = load(store, victim, write_rows([rows[0], *rows[1:]]))  # row 1 back as it was
    assert [first.version, second.version, third.version] == [1, 2, 3]
    assert [h["version"] for h in store.history("victim")] == [3, 2, 1]
    assert store.table_version("victim") == 3


def polars_reads_as_held(store: Store, definition) -> pl.DataFrame:
    """Polars' own Delta reader reads the table as the store does (labels as text): what it read."""
    by_polars, ours = pl.read_delta(store.table_uri(definition.dataset)).sort("id"), store.read(definition).sort("id")
    assert_frame_equal(by_polars.select(ours.columns), ours.with_columns(pl.col(pl.Enum).cast(pl.String)))
    return by_polars


def test_a_file_of_many_periods_writes_one_file_per_period(tmp_path, victim, rows):
    """Each period's rows go to that period's file, exactly: the same table any reader reads."""
    spread = [list(r) for r in rows]
    for i, row in enumerate(spread[1:]):  # the 40 responses over five months
        row[1] = f"{row[1][:3]}{5 + i % 5:02d}/2019{row[1][10:]}"
    store = Store(tmp_path / "store")
    assert load(store, victim, write_rows(spread)).new == 40
    uri = store.table_uri("victim")
    adds = pl.DataFrame(DeltaTable(uri).get_add_actions(flatten=True))
    assert sorted(adds["partition.period"].to_list()) == [f"2019-{m:02d}" for m in range(5, 10)]
    assert adds["num_records"].to_list() == [8] * 5
    polars_reads_as_held(store, victim)
    expected = ingest_bytes(write_rows(spread), "f.csv", victim).frame.sort("id")
    assert_frame_equal(store.read(victim).sort("id").select(expected.columns), expected)


def test_new_rows_are_stored_as_plain_delta_any_reader_can_read(tmp_path, victim, rows):
    """The all-new path writes its own Parquet files: any Delta reader sees text labels and the same rows,
    and the files' statistics let the next import find a held ID by its range."""
    store = Store(tmp_path / "store")
    load(store, victim, write_rows(rows))
    uri = store.table_uri("victim")
    by_polars = polars_reads_as_held(store, victim)
    assert by_polars.schema["overall"] == pl.String and by_polars.height == 40
    assert "_PL_" not in DeltaTable(uri).schema().to_json(), "no Polars type metadata in the table's schema"
    for add in pl.DataFrame(DeltaTable(uri).get_add_actions(flatten=True)).to_dicts():
        assert add["num_records"] > 0 and add["min.id"] <= add["max.id"]
        # a label is Parquet text, dictionary-encoded; the Arrow hint names a dictionary of text, no Enum values
        file = pq.ParquetFile(Path(uri) / add["path"])
        column = file.metadata.row_group(0).column(file.schema_arrow.get_field_index("overall"))
        assert column.physical_type == "BYTE_ARRAY" and "RLE_DICTIONARY" in column.encodings
        assert str(file.schema.column(file.schema_arrow.get_field_index("overall")).logical_type) == "String"
        hint = file.schema_arrow.field("overall")
        assert pa.types.is_dictionary(hint.type) and pa.types.is_string(hint.type.value_type)
        assert not any(b"ENUM" in k for k in hint.metadata or {}), "no Polars Enum values in the file"
    moved = [list(r) for r in rows[:2]]
    moved[1][1] = moved[1][1].replace("/09/", "/08/")
    again = load(store, victim, write_rows(moved), allow_move=True)
    assert (again.new, again.updated) == (0, 1), "the held ID was found through the files' ID ranges"
    later = list(rows[2])  # a new month's response: the all-new path, beside the rewritten (text) file
    later[0], later[1] = "VS191000999", later[1][:3] + "10/2019 09:00"
    assert load(store, victim, write_rows([rows[0], later])).new == 1
    # the rewritten period's file holds its labels as plain text: files of both kinds read as one table
    polars_reads_as_held(store, victim)
    files = [u.removeprefix("file://") for u in DeltaTable(uri).file_uris()]
    kinds = {str(pq.read_schema(file).field("overall").type) for file in files}
    assert kinds == {"dictionary<values=string, indices=uint32, ordered=0>", "large_string"}


def test_a_commit_that_fails_leaves_no_files(tmp_path, victim, rows, monkeypatch):
    store = Store(tmp_path / "store")
    load(store, victim, write_rows(rows[:2]))
    before = {p for p in Path(store.table_uri("victim")).rglob("*.parquet")}

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DeltaTable, "create_write_transaction", full)
    with pytest.raises(StoreError, match=r"disk .* is full"):
        load(store, victim, write_rows([rows[0], *rows[2:]]))
    assert {p for p in Path(store.table_uri("victim")).rglob("*.parquet")} == before
    assert store.read(victim).height == 1


# --------------------------------------------------------------------------- PII


def test_no_pii_in_any_stored_byte(where, victim, exports, rows, tmp_path):
    bad = [list(r) for r in rows]
    bad[4][5] = "Arson"
    src = tmp_path / "bad.csv"
    src.write_bytes(write_rows(bad))
    export = str(exports / "victim_survey_example.csv")
    assert cli("ingest", "victim", export, data_dir=where.data_dir).returncode == 0
    out = cli("ingest", "victim", str(src), "--skip-invalid", data_dir=where.data_dir)
    assert out.returncode == 0, out.stderr
    assert cli("undo", "victim", data_dir=where.data_dir).returncode == 0
    stored = where.files()
    assert any("rejected" in name for name in stored) and any(name.endswith(".parquet") for name in stored)
    emails = {r[4] for r in rows[1:]}
    refs = {r[3] for r in rows[1:]}
    for name, blob in stored.items():
        for value in emails | refs:
            assert value.encode() not in blob, f"{value} found in {name}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Very satisfied", "Don't know", "Not stated", "é ✓", None]), max_size=40),
       st.integers(1, 5))  # fmt: skip
def test_labels_become_categorical_by_their_codes_as_polars_cast_would(values, pieces):
    """``file_form`` looks each code's label up in the Enum's own list: the same as Polars' cast, nulls included,
    however the column is chunked."""
    labels = pl.Enum(["Very satisfied", "Don't know", "Not stated", "é ✓", "never used"])
    column = pl.Series("overall", values, dtype=labels)
    step = max(1, len(values) // pieces)
    chunked = pl.concat([column.slice(i, step) for i in range(0, len(values), step)] or [column], rechunk=False)
    frame = pl.DataFrame([chunked, pl.Series("id", [str(i) for i in range(len(values))], dtype=pl.String)])
    written = file_form(frame)
    assert written.schema["overall"] == pl.Categorical and written.schema["id"] == pl.String
    assert_frame_equal(written, frame.with_columns(pl.col("overall").cast(pl.Categorical)), categorical_as_str=True)


def test_a_rejected_labels_text_is_in_no_data_file(tmp_path, rows):
    """Label columns are read dictionary-coded, and stored from a dictionary (Categorical): the dictionary each
    data file holds must be only the labels stored, never a value read from the file and rejected."""
    bad = [list(r) for r in rows]
    at = bad[0].index("Ethnicity")
    bad[4][at] = "Zebedee Quist 07700 900999"  # not a label: the row is rejected, the rest are new
    src = tmp_path / "bad.csv"
    src.write_bytes(write_rows(bad))
    store = tmp_path / "store"
    out = cli("ingest", "victim", str(src), "--skip-invalid", data_dir=str(store))
    assert out.returncode == 0 and "39 new" in out.stdout, out.stdout + out.stderr
    table = store / "victim"
    files = [p for p in table.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        assert b"Zebedee" not in path.read_bytes() and b"900999" not in path.read_bytes(), path


# --------------------------------------------------------------------------- cloud faults


def test_cloud_faults_are_one_sentence(azurite, monkeypatch, exports):
    export = str(exports / "victim_survey_example.csv")
    container = azurite.new_container()
    wrong_key = {**azurite.env, "AZURE_STORAGE_ACCOUNT_KEY": "d3Jvbmcga2V5IGZvciB0aGUgdGVzdA=="}
    out = cli("ingest", "victim", export, data_dir=f"az://{container}/x", env=wrong_key)
    assert out.returncode == 1 and "refused the credentials" in out.stderr and "Traceback" not in out.stderr
    out = cli("report", "victim", data_dir="az://no-such-container/x", env=azurite.env)
    assert out.returncode == 1 and "container" in out.stderr and "does not exist" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    closed = {**azurite.env, "AZURE_STORAGE_ENDPOINT": f"http://127.0.0.1:{free_port()}/devstoreaccount1"}
    out = cli("history", "victim", data_dir=f"az://{container}/x", env=closed)
    assert out.returncode == 1 and "cannot be reached" in out.stderr and "Traceback" not in out.stderr


def test_the_same_file_again_is_not_even_read(tmp_path, exports, rows):
    """The latest change imported this very file whole: importing it again cannot change anything."""
    export = str(exports / "victim_survey_example.csv")
    store = str(tmp_path / "store")
    assert cli("ingest", "victim", export, data_dir=store).returncode == 0
    again = cli("ingest", "victim", export, data_dir=store)
    assert again.returncode == 0 and "already imported whole as version 1" in again.stdout
    assert "40 already held" in again.stdout
    other = tmp_path / "first-ten.csv"
    other.write_bytes(write_rows(rows[:11]))
    fixed = [list(r) for r in rows[:11]]
    fixed[1][12] = "Completely satisfied"
    other.write_bytes(write_rows(fixed))
    assert cli("ingest", "victim", str(other), data_dir=store).returncode == 0  # version 2 changes one row
    third = cli("ingest", "victim", export, data_dir=store)
    assert "already imported whole" not in third.stdout, "another import came since: the file is read and merged"
    assert "0 new, 1 updated, 39 already held" in third.stdout
