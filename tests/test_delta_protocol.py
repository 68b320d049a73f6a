"""The local store's tables, read as Spark or Fabric would: from the Delta log alone, without delta-rs.

The local store commits its own Parquet files (insight/store/commit.py), so nothing but this test
proves another engine reads them as delta-rs does. A store is built through every path that writes:
new rows (one file per period), a correction (its period rewritten: add and remove), a response moved
to another month, an undo (delta-rs's restore), contact volumes (delta-rs's MERGE) and the tidy-up
after each write. Then, for every version of every table:

- the log is read by hand: ``_delta_log/NNNNNNNNNNNNNNNNNNNN.json``, one action per line, replayed
  from version 0 (the active files are those added and not since removed);
- exactly those Parquet files are read with pyarrow, partition values put back from the log, and the
  rows are the ones delta-rs reads at that version;
- each action keeps the Delta protocol's rules (PROTOCOL.md of delta-io/delta): ``protocol`` with reader
  and writer versions a Spark reader supports; ``metaData`` with an id, Parquet format, a schema string
  whose fields include the partition columns; ``add`` with a relative path to a file that exists,
  partition values as strings (or null) for exactly the partition columns, the file's real size, a
  modification time, ``dataChange``, and statistics that agree with the file (numRecords, nullCount,
  minValues and maxValues); ``remove`` of a file that was active, with a deletion time.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from insight.config.loader import load_config
from insight.intake.tidy import ingest_bytes
from insight.store import Store
from tests.messy import read_rows, write_rows

# Delta reader/writer versions and table features Spark 3.5 / Delta 3 (and so Fabric) read.
READER_VERSION_AT_MOST = 3
WRITER_VERSION_AT_MOST = 7
ACTIONS = {"protocol", "metaData", "add", "remove", "commitInfo", "txn", "cdc", "domainMetadata", "checkpointMetadata"}
SPARK_TYPES = {"string": pa.string(), "date": pa.date32(), "long": pa.int64(), "integer": pa.int32(),
               "double": pa.float64(), "boolean": pa.bool_(), "float": pa.float32()}  # fmt: skip


def moved(row: list[str], day_month_year: str) -> list[str]:
    """The same response completed on another day (so in another month)."""
    out = list(row)
    out[1] = f"{day_month_year} {row[1].split(' ')[1]}"
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    from tests.conftest import need_shared

    exports = need_shared()
    victim = load_config().definitions["victim"]
    rows = read_rows((exports / "victim_survey_example.csv").read_bytes())
    folder = tmp_path_factory.mktemp("delta-protocol") / "store"
    s = Store(folder)

    def load(data: list[list[str]], name: str) -> None:
        result = ingest_bytes(write_rows(data), name, victim)
        assert result.report.ok, result.report.describe()
        s.import_result(victim, result, user="cli:tester", allow_move=True)  # moved.csv moves one on purpose

    august = [moved(r, "14/08/2019") for r in rows[20:30]]
    load([rows[0], *rows[1:20], *august], "first.csv")  # two periods: one file each
    corrected = [list(r) for r in rows[5:12]]
    corrected[0][12] = "Completely satisfied" if corrected[0][12] != "Completely satisfied" else "Very dissatisfied"
    load([rows[0], *corrected], "corrected.csv")  # a held row changed: its period rewritten (add + remove)
    load([rows[0], moved(rows[3], "02/07/2019"), *rows[30:]], "moved.csv")  # new rows, and one moves month
    s.undo("victim", user="cli:tester")  # delta-rs's restore
    load([rows[0], *rows[30:]], "again.csv")
    volumes = pl.DataFrame({"period": ["2019-08", "2019-09"], "contacts": [900, 950], "invitations": [400, 410]})
    s.import_volumes("victim", volumes, file_name="volumes.csv", sha256="0" * 64, user="cli:tester")
    s.import_volumes("victim", volumes.with_columns(pl.col("contacts") + 1), file_name="v2.csv", sha256="1" * 64,
                     user="cli:tester")  # fmt: skip
    return folder


def tables(store: Path) -> list[Path]:
    found = sorted(p.parent for p in store.rglob("_delta_log"))
    assert {p.relative_to(store).as_posix() for p in found} == {"victim", "volumes/victim"}
    return found


def log_versions(table: Path) -> list[tuple[int, list[dict]]]:
    """Every commit in the log: its version and its actions, one JSON object a line, each with one key."""
    out = []
    for path in sorted((table / "_delta_log").glob("*.json")):
        assert path.stem.isdigit() and len(path.stem) == 20, path.name
        actions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for action in actions:
            assert len(action) == 1 and next(iter(action)) in ACTIONS, action
        out.append((int(path.stem), actions))
    assert [v for v, _ in out] == list(range(len(out))), "the log has every version from 0, none missing"
    return out


def spark_schema(metadata: dict) -> dict[str, pa.DataType]:
    schema = json.loads(metadata["schemaString"])
    assert schema["type"] == "struct"
    return {f["name"]: SPARK_TYPES[f["type"]] for f in schema["fields"]}


def check_protocol(action: dict) -> None:
    assert isinstance(action["minReaderVersion"], int) and 1 <= action["minReaderVersion"] <= READER_VERSION_AT_MOST
    assert isinstance(action["minWriterVersion"], int) and 1 <= action["minWriterVersion"] <= WRITER_VERSION_AT_MOST
    if action["minReaderVersion"] >= 3:
        assert set(action.get("readerFeatures", [])) <= {"timestampNtz", "deletionVectors", "columnMapping"}


def check_metadata(action: dict) -> None:
    assert isinstance(action["id"], str) and len(action["id"]) >= 32
    assert action["format"]["provider"] == "parquet"
    fields = spark_schema(action)
    assert set(action["partitionColumns"]) <= set(fields)
    assert all(isinstance(v, str) for v in (action.get("configuration") or {}).values())


def check_add(table: Path, action: dict, metadata: dict) -> pa.Table:
    """The add's rules, and the file's rows with its partition values put back from the log."""
    path = action["path"]
    assert not path.startswith("/") and "://" not in path, "a path relative to the table"
    file = table / unquote(path)
    assert file.is_file(), path
    assert action["size"] == file.stat().st_size
    assert isinstance(action["modificationTime"], int) and action["modificationTime"] > 0
    assert isinstance(action["dataChange"], bool)
    partitions = metadata["partitionColumns"]
    values = action["partitionValues"]
    assert set(values) == set(partitions)
    assert all(v is None or isinstance(v, str) for v in values.values()), "partition values are strings"
    for name, value in values.items():  # a Hive-style folder naming the same value
        assert f"{name}={value}" in path.split("/")

    data = pq.read_table(file)
    assert not set(partitions) & set(data.column_names), "partition columns are not stored in the file"
    stats = json.loads(action["stats"])
    assert stats["numRecords"] == data.num_rows
    for name, nulls in stats.get("nullCount", {}).items():
        assert data.column(name).null_count == nulls, name
    for name in stats.get("minValues", {}):
        column = data.column(name)
        if pa.types.is_string_view(column.type):  # how pyarrow may hand text back; the values are the same
            column = column.cast(pa.string())
        low, high = pc.min(column).as_py(), pc.max(column).as_py()
        as_text = [v.isoformat() if isinstance(v, dt.date) else v for v in (low, high)]
        assert [stats["minValues"][name], stats["maxValues"][name]] == as_text, name
    types = spark_schema(metadata)
    for name in partitions:
        value = values[name]
        data = data.append_column(name, pa.array([value] * data.num_rows, pa.string()).cast(types[name]))
    return data.select(list(types)).cast(pa.schema(list(types.items())))


def test_every_version_reads_the_same_from_the_log_alone(store):
    checked = 0
    for table in tables(store):
        active: dict[str, dict] = {}
        protocol = metadata = None
        for version, actions in log_versions(table):
            for entry in actions:
                kind, action = next(iter(entry.items()))
                if kind == "protocol":
                    check_protocol(action)
                    protocol = action
                elif kind == "metaData":
                    check_metadata(action)
                    metadata = action
                elif kind == "add":
                    active[action["path"]] = action
                elif kind == "remove":
                    assert action["path"] in active, f"v{version} removes a file that is not active"
                    assert isinstance(action.get("deletionTimestamp"), int)
                    assert isinstance(action["dataChange"], bool)
                    del active[action["path"]]
            assert protocol is not None and metadata is not None, "version 0 has protocol and metadata"
            parts = [check_add(table, a, metadata) for a in active.values()]
            types = spark_schema(metadata)
            ours = pa.concat_tables(parts) if parts else pa.schema(list(types.items())).empty_table()
            theirs = DeltaTable(str(table), version=version).to_pyarrow_table()
            assert same_rows(ours, theirs), f"{table.name} v{version}"
            checked += 1
    assert checked >= 9  # 6 versions of the responses (creation, 3 imports, undo, import), 3 of the volumes


def same_rows(ours: pa.Table, theirs: pa.Table) -> bool:
    a, b = pl.from_arrow(ours), pl.from_arrow(theirs)
    assert isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame)
    assert sorted(a.columns) == sorted(b.columns), (a.columns, b.columns)
    if a.height != b.height:
        return False
    text = [pl.col(c).cast(pl.String) for c in sorted(a.columns)]
    return a.select(text).sort(pl.all()).equals(b.select(text).sort(pl.all()))


def test_the_store_wrote_every_kind_of_change(store):
    """The versions above include a period rewritten (remove), the undo's restore and the volumes' MERGE."""
    kinds: dict[str, set[str]] = {}
    for table in tables(store):
        seen = kinds.setdefault(table.relative_to(store).as_posix(), set())
        for _, actions in log_versions(table):
            for entry in actions:
                kind = next(iter(entry))
                seen.add(entry["commitInfo"].get("operation", "") if kind == "commitInfo" else kind)
    assert {"add", "remove", "RESTORE", "protocol", "metaData"} <= kinds["victim"]
    assert {"add", "remove", "MERGE"} <= kinds["volumes/victim"]
