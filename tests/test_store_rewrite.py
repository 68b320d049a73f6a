"""A local store's import writes periods itself instead of delta-rs's MERGE: these tests hold it to the MERGE.

The same random imports (new rows, corrections, responses moving month, overlapping files, files
spanning months, the same file twice) go into a local store and into one forced to MERGE; every
import's counts, every state of the table and every undo must be the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import stat
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from insight.config.definition import NOT_STATED, Weight
from insight.config.layout import tidy_schema
from insight.config.loader import load_config
from insight.intake.tidy import IngestResult, ValidationReport
from insight.store import Store, StoreError
from tests.conftest import tidy

DEFINITIONS = load_config().definitions
VICTIM = dataclasses.replace(DEFINITIONS["victim"], weight=Weight("W"))  # a Float64 column too
IDS = ["VS1", "VS2", "VS10", "Ünïcode-ß", "zz-" + "x" * 300, "zz-" + "x" * 5000 + "ÿ", "VS1 ", "a'quote", "é"]
MONTHS = ["2019-07", "2019-08", "2019-09"]
ANSWERS = [None, "Very satisfied", "Very dissatisfied"]


def result(definition, frame: pl.DataFrame, name: str) -> IngestResult:
    report = ValidationReport(definition.dataset, name, f"sha-{name}", frame.height, 1, "utf-8")
    return IngestResult(frame, pl.DataFrame(), report)


def merging(folder: Path) -> Store:
    """A store that MERGEs as a cloud store does (its data directory is not a Path), on a local folder."""
    store = Store(folder)
    store.data_dir = str(folder)  # type: ignore[assignment]
    return store


SLOTS = {
    "month": [("2019-07", 7), ("2019-08", 8), ("2019-09", 9)],
    "quarter": [("2019-Q2", 4), ("2019-Q3", 7), ("2019-Q4", 10)],
}
DATASETS = {
    "victim with weights": VICTIM,
    "public_confidence": DEFINITIONS["public_confidence"],
    "wmnow": DEFINITIONS["wmnow"],
}


def frame_of(definition, rows: list[dict]) -> pl.DataFrame:
    """Tidy rows: ``slot`` picks the period (a month or a quarter), ``label`` an answer of the first
    label column (None: blank), ``comments`` and ``weight`` only where the definition has them."""
    label = next(c for c, t in tidy_schema(definition).items() if isinstance(t, pl.Enum))
    values = tidy_schema(definition)[label].categories.to_list()
    out = []
    for r in rows:
        row = {k: v for k, v in r.items() if k in tidy_schema(definition)}
        if "slot" in r:
            row["period"], month = SLOTS[definition.period.granularity][r["slot"]]
            row["date"] = dt.date(2019, month, r.get("day", 1))
        else:  # given as a month
            year, month = r["period"].split("-")
            row["date"] = dt.date(int(year), int(month), r.get("day", 1))
        if r.get("label") is not None:
            row[label] = values[r["label"]]
        out.append(row)
    # as an import writes them: an optional dimension nobody gave is Not stated (a read says so of a blank)
    frame = tidy(definition, out)
    return frame.with_columns(pl.col(c).fill_null(NOT_STATED) for c in definition.optional_dimensions)


one_row = st.fixed_dictionaries(
    {
        "id": st.sampled_from(IDS),
        "slot": st.integers(0, 2),
        "day": st.integers(1, 28),
        "label": st.sampled_from([None, 0, 1]),
        "overall": st.sampled_from(ANSWERS),
        "comments": st.sampled_from([None, "ok", "late — again"]),
        "weight": st.sampled_from([None, 0.5, 1.25]),
    }
)
one_file = st.lists(one_row, min_size=1, max_size=6, unique_by=lambda r: r["id"])
# each step: a fresh file, or a file given before (the same file twice)
steps = st.lists(st.one_of(one_file, st.integers(0, 5)), min_size=1, max_size=6)


def text_as_one(kind: pa.DataType, *, label: bool = False) -> pa.DataType:
    """Text as Parquet holds it, whichever Arrow type the writer's hint names; a label's may name a dictionary of
    text (no other column's may)."""
    if label and pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.string() if kind in (pa.large_string(), pa.string_view()) else kind


def check_table(store: Store, definition) -> pl.DataFrame | None:
    """What any reader sees agrees: Store.read, the table's count, its periods, Polars' own Delta reader."""
    held = store.read(definition)
    table = DeltaTable(store.table_uri(definition.dataset))
    rows = 0 if held is None else held.height
    assert table.count() == rows
    if held is None:
        assert store.held_periods(definition) == []
        return None
    assert held.get_column("id").n_unique() == held.height, "an ID held twice"
    assert store.held_periods(definition) == sorted(held.get_column("period").unique().to_list())
    by_polars = pl.read_delta(store.table_uri(definition.dataset)).sort("period", "id")
    assert_frame_equal(by_polars.select(held.columns), held.with_columns(pl.col(pl.Enum).cast(pl.String)))
    adds = pl.DataFrame(table.get_add_actions(flatten=True))
    for (period,), files in adds.group_by("partition.period"):
        part = held.filter(pl.col("period") == period)
        assert files["num_records"].sum() == part.height and files["min.id"].min() == part["id"].min()
        assert files["max.id"].max() == part["id"].max()
        for column in part.columns:
            if column != "period":
                assert files[f"null_count.{column}"].sum() == part[column].null_count()
        assert files["min.date"].min() == part["date"].min() and files["max.date"].max() == part["date"].max()
    # every file's columns are the Delta schema's, typed as it says (blank columns included); text as
    # Parquet holds it, whichever Arrow string type a writer's hint names
    expected = {f.name: text_as_one(pa.field(f).type) for f in table.schema().to_arrow() if f.name != "period"}
    labels = {*definition.dimensions, *definition.answer_columns}
    for uri in table.file_uris():
        found = pq.read_schema(uri.removeprefix("file://"))
        assert {f.name: text_as_one(f.type, label=f.name in labels) for f in found} == expected
    return held


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DATASETS)), steps)
def test_local_imports_and_undos_match_the_merge(dataset, plan):
    definition = DATASETS[dataset]
    with tempfile.TemporaryDirectory() as folder:
        local, merge = Store(Path(folder) / "local"), merging(Path(folder) / "merge")
        files: list[pl.DataFrame] = []
        states: list[pl.DataFrame | None] = [None]
        for n, step in enumerate(plan):
            if isinstance(step, int):
                if not files:
                    continue
                frame = files[step % len(files)]
            else:
                frame = frame_of(definition, [dict(r) for r in step])
                files.append(frame)
            ours = local.import_result(definition, result(definition, frame, f"f{n}.csv"), user="t", allow_move=True)
            theirs = merge.import_result(definition, result(definition, frame, f"f{n}.csv"), user="t", allow_move=True)
            assert (ours.new, ours.updated, ours.unchanged) == (theirs.new, theirs.updated, theirs.unchanged)
            assert ours.moved == theirs.moved
            assert ours.version == theirs.version
            held = check_table(local, definition)
            expected = merge.read(definition)
            if expected is None:
                assert held is None
            else:
                assert_frame_equal(held, expected)
            if ours.version is not None:
                states.append(held)
        # undo every import, newest first: each undo returns exactly to the state before, and says so
        for before in reversed(states[:-1]):
            plan_ours, plan_theirs = local.undo_plan(definition.dataset), merge.undo_plan(definition.dataset)
            assert plan_ours["touched"] is not None
            assert (plan_ours["removed"], plan_ours["restored"]) == (plan_theirs["removed"], plan_theirs["restored"])
            done = local.undo(definition.dataset, user="t")
            merge.undo(definition.dataset, user="t")
            assert (done.removed, done.restored) == (plan_theirs["removed"], plan_theirs["restored"])
            now = check_table(local, definition)
            if before is None:
                assert now is None
            else:
                assert_frame_equal(now, before)
        if not files:
            return
        # with nothing held, the first file again is all new
        again = [
            s.import_result(definition, result(definition, files[0], "again.csv"), user="t") for s in (local, merge)
        ]
        assert again[0].new == again[1].new == files[0].height
        assert_frame_equal(check_table(local, definition), merge.read(definition))
        # and back to the newest state the imports made, in one step
        if len(states) > 1:
            local.undo(definition.dataset, version=len(states) - 1, user="t")
            assert_frame_equal(check_table(local, definition), states[-1])


def test_a_definition_with_a_column_more_is_refused_and_one_fewer_keeps_it_as_a_merge_does(tmp_path):
    """A column the table lacks is refused in one sentence on either path (written as it is, it would be in
    no reader's schema); a column the table has and the file lacks keeps its held values, as a MERGE keeps
    them (a rewrite must not blank the comments of rows the file does not even mention)."""
    plain = DEFINITIONS["victim"]
    fewer = dataclasses.replace(plain, free_text={})
    row = {"id": "A", "period": "2019-07", "day": 3, "overall": "Very satisfied", "comments": "kept"}
    local, merge = Store(tmp_path / "local"), merging(tmp_path / "merge")
    for store in (local, merge):
        store.import_result(plain, result(plain, frame_of(plain, [dict(row), {**row, "id": "C"}]), "a.csv"), user="t")
        for rows in ([{**row, "id": "B", "weight": 2.0}], [{**row, "weight": 2.0}]):  # all new; a correction
            frame = frame_of(VICTIM, rows)
            with pytest.raises(StoreError, match=r"definition has changed since .*\['weight'\].* nothing was imported"):
                store.compare(VICTIM, frame)  # the Upload page's check says so before any import
            with pytest.raises(StoreError, match=r"definition has changed since .*\['weight'\].* nothing was imported"):
                store.import_result(VICTIM, result(VICTIM, frame, "b.csv"), user="t")
        assert store.table_version("victim") == 1
        for rows in ([{**row, "id": "B"}], [{**row, "overall": "Very dissatisfied"}]):
            store.import_result(fewer, result(fewer, frame_of(fewer, rows), "c.csv"), user="t")
    held = check_table(local, plain)
    assert_frame_equal(held, merge.read(plain))
    assert held.select("id", "overall", "comments").rows() == [
        ("A", "Very dissatisfied", "kept"),
        ("B", "Very satisfied", None),
        ("C", "Very satisfied", "kept"),
    ]


def _rows(definition, *rows: dict) -> pl.DataFrame:
    return frame_of(definition, [{"period": "2019-08", "day": 2, **r} for r in rows])


def test_an_undo_between_an_imports_plan_and_its_commit_is_not_overwritten(tmp_path, monkeypatch):
    """The undo commits first; the import, planned on the version before, must plan again on the undo."""
    definition = VICTIM
    store = Store(tmp_path / "store")
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}, {"id": "B"}), "a"), user="t")
    store.import_result(definition, result(definition, _rows(definition, {"id": "C"}), "c"), user="t")  # undone
    plans = []
    original = Store._held_for

    def undo_once_planned(self, *args, **kwargs):
        found = original(self, *args, **kwargs)
        plans.append(1)
        if len(plans) == 1:
            Store(tmp_path / "store").undo("victim", user="other")
        return found

    monkeypatch.setattr(Store, "_held_for", undo_once_planned)
    fix = _rows(definition, {"id": "A", "overall": "Very dissatisfied"}, {"id": "D"})
    record = store.import_result(definition, result(definition, fix, "fix"), user="t")
    assert len(plans) == 2, "the import met the undo's commit and planned again"
    assert (record.new, record.updated, record.version) == (1, 1, 4)
    held = store.read(definition)
    assert held.get_column("id").to_list() == ["A", "B", "D"], "C stays undone"
    assert held.filter(pl.col("id") == "A").get_column("overall").cast(pl.String).item() == "Very dissatisfied"


def test_a_rewrite_that_must_plan_again_leaves_no_files_and_matches_permissions(tmp_path, monkeypatch):
    """A correction whose first commit fails leaves none of its files; every file takes the folder's bits."""
    from deltalake.exceptions import CommitFailedError

    folder = tmp_path / "store"
    folder.mkdir()
    folder.chmod(0o750)
    store = Store(folder)
    definition = VICTIM
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}, {"id": "B"}), "a"), user="t")
    original = DeltaTable.create_write_transaction
    calls = []

    def fail_first(self, *args, **kwargs):
        calls.append(kwargs.get("mode"))
        if len(calls) == 1:
            raise CommitFailedError("another import committed first")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DeltaTable, "create_write_transaction", fail_first)
    old = os.umask(0o077)
    try:
        fix = _rows(definition, {"id": "A", "overall": "Very dissatisfied"}, {"id": "E", "period": "2019-09"})
        record = store.import_result(definition, result(definition, fix, "fix"), user="t")
    finally:
        os.umask(old)
    assert calls == ["overwrite", "overwrite"] and (record.new, record.updated) == (1, 1)
    table = DeltaTable(store.table_uri("victim"))
    referenced = {Path(u).resolve() for v in range(table.version() + 1) for u in
                  DeltaTable(store.table_uri("victim"), version=v).file_uris()}  # fmt: skip
    on_disk = {p.resolve() for p in Path(store.table_uri("victim")).rglob("*.parquet")}
    assert on_disk == referenced, "the failed attempt's files were removed"
    for path in folder.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o750 if path.is_dir() else 0o640), f"{path}: {oct(mode)}"


def test_a_period_whose_rows_all_move_out_is_no_longer_held(tmp_path):
    definition = VICTIM
    store = Store(tmp_path / "store")
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}, {"id": "B"}), "a"), user="t")
    moved = _rows(definition, {"id": "A", "period": "2019-09"}, {"id": "B", "period": "2019-07", "day": 9})
    record = store.import_result(definition, result(definition, moved, "moved"), user="t", allow_move=True)
    assert (record.new, record.updated) == (0, 2)
    assert store.held_periods(definition) == ["2019-07", "2019-09"]
    assert store.history("victim")[0]["periods"] == ["2019-07", "2019-09"]
    plan = store.undo_plan("victim")
    assert plan["touched"] == ["2019-07", "2019-08", "2019-09"] and (plan["removed"], plan["restored"]) == (0, 2)
    store.undo("victim", user="t")
    assert store.held_periods(definition) == ["2019-08"]


def test_files_a_rewrite_replaced_survive_the_tidy_so_undo_still_works(tmp_path, monkeypatch):
    """The tidy after each write removes files no version references; a rewritten period's old files are
    still referenced by older versions and must stay, however old (here every file counts as old)."""
    monkeypatch.setattr("insight.store.commit.ORPHAN_GRACE_HOURS", 0)
    definition = VICTIM
    store = Store(tmp_path / "store")
    states = []
    for n, rows in enumerate(
        (
            [{"id": "A"}, {"id": "B"}, {"id": "C", "period": "2019-09"}],
            [{"id": "A", "overall": "Very dissatisfied"}],
            [{"id": "B", "period": "2019-09"}, {"id": "D"}],
            [{"id": "C", "period": "2019-07", "comments": "moved"}],
        )
    ):
        store.import_result(
            definition, result(definition, _rows(definition, *rows), f"f{n}"), user="t", allow_move=True
        )
        states.append(store.read(definition))
    for before in reversed(states[:-1]):
        store.undo("victim", user="t")
        assert_frame_equal(store.read(definition), before)
    store.undo("victim", version=4, user="t")
    assert_frame_equal(store.read(definition), states[-1])


def test_values_given_at_import_and_vendor_weights_rewrite_as_a_merge_would(tmp_path):
    """A period and a dimension given at import, and a vendor's weight: real ingested files."""
    from tests.test_survey_keys import GIVEN_PERIOD, Q_HEADER, QUALTRICS, definition, ingest, q_row

    qualtrics = definition(tmp_path / "q", QUALTRICS)
    given_period = definition(tmp_path / "g", GIVEN_PERIOD)
    header = ["ID", "Area", "Overall"]
    imports = [
        (qualtrics, ingest(qualtrics, Q_HEADER, [q_row(i, "White or European") for i in range(4)], mode="Web")),
        (
            qualtrics,
            ingest(
                qualtrics,
                Q_HEADER,
                [q_row(1, "Hispanic or Latino/a", weight="0.75"), q_row(9, "Black or African American")],
                mode="Mail",
            ),
        ),
        (given_period, ingest(given_period, header, [["1", "North", "Very satisfied"]], period="2024-07")),
        (
            given_period,
            ingest(
                given_period,
                header,
                [["1", "South", "Very satisfied"], ["2", "North", "Very satisfied"]],
                period="2024-08",
            ),
        ),
    ]
    for d, ingested in imports:  # each definition in its own stores: both are the dataset test_survey
        name = "q" if d is qualtrics else "g"
        local, merge = Store(tmp_path / f"local-{name}"), merging(tmp_path / f"merge-{name}")
        assert ingested.report.ok, ingested.report.describe()
        ours = local.import_result(d, ingested, user="t", allow_move=True)
        theirs = merge.import_result(d, ingested, user="t", allow_move=True)
        assert (ours.new, ours.updated, ours.unchanged) == (theirs.new, theirs.updated, theirs.unchanged)
        held = check_table(local, d)
        assert_frame_equal(held, merge.read(d))
    local = Store(tmp_path / "local-g")
    assert local.held_periods(given_period) == ["2024-08"], "the response given again for August left July"
    weights = Store(tmp_path / "local-q").read(qualtrics).select("id", "mode", "weight").rows()
    assert weights == [("R_0", "Web", 1.5), ("R_1", "Mail", 0.75), ("R_2", "Web", 1.5), ("R_3", "Web", 1.5),
                       ("R_9", "Mail", 1.5)]  # fmt: skip


def test_an_import_between_an_undos_plan_and_its_commit_makes_the_undo_plan_again(tmp_path, monkeypatch):
    """The other way round: the undo, planned on the version before the import, must not land on top of it
    (the table would hold the import's rows while the history says it went back to a version without them)."""
    definition = VICTIM
    store = Store(tmp_path / "store")
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}), "a"), user="t")
    store.import_result(definition, result(definition, _rows(definition, {"id": "B"}), "b"), user="t")
    plans = []
    original = Store.undo_plan

    def import_once_planned(self, *args, **kwargs):
        found = original(self, *args, **kwargs)
        plans.append(found["target"])
        if len(plans) == 1:
            late = _rows(definition, {"id": "C", "period": "2019-09"})
            Store(tmp_path / "store").import_result(definition, result(definition, late, "c"), user="other")
        return found

    monkeypatch.setattr(Store, "undo_plan", import_once_planned)
    done = store.undo("victim", user="t")
    assert plans == [1, 2], "planned again on the import, and took back the newest import"
    assert (done.version, done.restored_to, done.undoes, done.removed) == (4, 2, [3], 1)
    assert store.read(definition).get_column("id").to_list() == ["A", "B"]


def test_an_import_that_fails_leaves_no_folder_another_user_cannot_write(tmp_path, monkeypatch):
    """A failed import's new folders (a table's, a period's) take the data directory's bits too: left with
    the writer's umask, another user's later import into that period would be refused."""
    folder = tmp_path / "store"
    folder.mkdir()
    folder.chmod(0o770)

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    def bits_match() -> None:
        for path in folder.rglob("*"):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o770 if path.is_dir() else 0o660), f"{path}: {oct(mode)}"

    store = Store(folder)
    definition = VICTIM
    old = os.umask(0o077)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(DeltaTable, "create_write_transaction", full)
            with pytest.raises(StoreError, match=r"disk .* is full"):  # a new table
                store.import_result(definition, result(definition, _rows(definition, {"id": "A"}), "a"), user="t")
        bits_match()
        store.import_result(definition, result(definition, _rows(definition, {"id": "A"}), "a"), user="t")
        with monkeypatch.context() as patch:
            patch.setattr(DeltaTable, "create_write_transaction", full)
            fix = _rows(definition, {"id": "A", "overall": "Very dissatisfied"}, {"id": "B", "period": "2019-10"})
            with pytest.raises(StoreError, match=r"disk .* is full"):  # a correction and a new period
                store.import_result(definition, result(definition, fix, "fix"), user="t")
        bits_match()
    finally:
        os.umask(old)
    assert store.read(definition).get_column("id").to_list() == ["A"]


def test_an_error_after_the_commit_landed_keeps_its_files(tmp_path, monkeypatch):
    """delta-rs may fail after writing the commit (its checkpoint, every so many versions, on a full disk):
    the version is in the log, so its files must stay (removing them damaged the table) and the import
    is reported as done."""
    definition = VICTIM
    store = Store(tmp_path / "store")
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}), "a"), user="t")
    uri = store.table_uri("victim")
    DeltaTable(uri).alter.set_table_properties({"delta.checkpointInterval": "3"})  # version 2; checkpoint at 5
    log = Path(uri) / "_delta_log"
    (log / f"{5:020d}.checkpoint.parquet").mkdir()  # the checkpoint cannot be written
    for n, rows in enumerate(([{"id": "B"}], [{"id": "C"}], [{"id": "A", "overall": "Very dissatisfied"}])):
        record = store.import_result(definition, result(definition, _rows(definition, *rows), f"f{n}"), user="t")
        assert record.version == 3 + n
    (log / f"{5:020d}.checkpoint.parquet").rmdir()
    original = DeltaTable.create_write_transaction

    def commit_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DeltaTable, "create_write_transaction", commit_then_fail)
    fix = _rows(definition, {"id": "B", "overall": "Very dissatisfied"}, {"id": "D", "period": "2019-09"})
    assert store.import_result(definition, result(definition, fix, "fix"), user="t").version == 6
    held = check_table(store, definition)
    assert held.select("id", "overall").rows() == [
        ("A", "Very dissatisfied"),
        ("B", "Very dissatisfied"),
        ("C", None),
        ("D", None),
    ]


def test_an_undo_whose_commit_landed_before_an_error_is_reported_done(tmp_path, monkeypatch):
    """Told the undo failed when it had landed, the user would undo again and take back one import more."""
    definition = VICTIM
    store = Store(tmp_path / "store")
    for name in ("A", "B"):
        store.import_result(definition, result(definition, _rows(definition, {"id": name}), name), user="t")
    original = DeltaTable.restore

    def restore_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DeltaTable, "restore", restore_then_fail)
    done = store.undo("victim", user="t")
    assert (done.version, done.restored_to, done.undoes, done.removed) == (3, 1, [2], 1)
    assert store.read(definition).get_column("id").to_list() == ["A"]
    monkeypatch.undo()
    with monkeypatch.context() as patch:
        patch.setattr(DeltaTable, "restore", lambda self, *a, **k: (_ for _ in ()).throw(OSError(28, "No space")))
        with pytest.raises(StoreError, match=r"disk .* is full"):  # an error before any commit is still one
            store.undo("victim", user="t")
    assert store.read(definition).get_column("id").to_list() == ["A"]


def test_a_merge_whose_commit_landed_before_an_error_is_reported_done(tmp_path, monkeypatch):
    """A cloud store's MERGE (and every store's volumes): told 'damaged table' when the import had landed,
    a manager might move the table aside."""
    from deltalake.table import TableMerger

    definition = VICTIM
    store = merging(tmp_path / "store")
    store.import_result(definition, result(definition, _rows(definition, {"id": "A"}), "a"), user="t")
    original = TableMerger.execute

    def merge_then_fail(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TableMerger, "execute", merge_then_fail)
    fix = _rows(definition, {"id": "A", "overall": "Very dissatisfied"}, {"id": "B"})
    record = store.import_result(definition, result(definition, fix, "fix"), user="t")
    assert (record.new, record.updated, record.version) == (1, 1, 2)
    assert store.read(definition).select("id", "overall").rows() == [("A", "Very dissatisfied"), ("B", None)]
    monkeypatch.setattr(TableMerger, "execute", lambda self, *a, **k: (_ for _ in ()).throw(OSError(28, "No space")))
    with pytest.raises(StoreError, match=r"disk .* is full"):  # an error before any commit is still one
        store.import_result(definition, result(definition, _rows(definition, {"id": "C"}), "c"), user="t")
