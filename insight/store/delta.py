"""The store: the only code that writes survey data.

One Delta Lake table per dataset, and one per dataset's monthly contact volumes, under the
data directory: a local folder (``data/store/`` by default) or an object-store URI
(``az://``, ``abfss://``, ``s3://``) with credentials from the environment variables
delta-rs reads. An import upserts by response ID (the table is partitioned by period): in a
local store new rows are added and a period holding a changed row is written anew (Parquet by
Polars, committed through delta-rs only onto the version read); in a cloud store it is
delta-rs's MERGE limited to the file's periods. A re-import that changes nothing writes no
new version.
Each commit carries its own metadata (action, masked file name, SHA-256, counts, periods,
user), so the history, undo and audit trail are the table's own log, and data and its log
entry commit together or not at all.

Rules kept here:
- Enum columns are stored as text (deltalake 1.6 panics on Enum/Categorical; our own files
  hold them as dictionary-encoded Parquet text, whose Arrow hint names a dictionary of text,
  which delta-rs and Polars' Delta reader read as the schema's string) and re-typed by the
  current definition on read.
- Concurrent writers that collide get a commit error: the write is planned again on the
  new version and retried.
- Nothing an older version needs is ever deleted, so undo always works; only files that no
  version references (left by a killed import) are removed, once older than an hour.
- In a local store every file and folder takes the data directory's permissions (read and
  write bits), so an import by one user never leaves files another reader cannot open.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from deltalake import CommitProperties, DeltaTable, QueryBuilder
from deltalake.exceptions import CommitFailedError, DeltaError, TableNotFoundError

from insight.config.definition import NOT_STATED, Definition
from insight.config.layout import (
    VOLUME_SCHEMA,
    stored_columns,
    tidy_columns,
    tidy_schema,
    volume_schema,
    with_derived,
)
from insight.intake.masking import safe_file_name
from insight.intake.safe_csv import write_csv
from insight.store import commit
from insight.store.commit import (
    META_KEY,
    commit_rows,
    remove_stale_staging,
    storage_form,
)
from insight.store.location import earlier_file, resolve_data_dir
from insight.store.records import Move, MoveRefused, StoreError, UndoRecord, UploadRecord, UpsertCounts

if TYPE_CHECKING:  # only a type here: a report, which reads, does not import intake's readers
    from insight.intake.tidy import IngestResult

RETRIES = 30
TABLE_CONFIG = {
    # Keep every version reachable: undo must always work.
    "delta.logRetentionDuration": "interval 36500 days",
    "delta.deletedFileRetentionDuration": "interval 36500 days",
    "delta.enableExpiredLogCleanup": "false",
    # A checkpoint every 10 versions (Delta's default is 100): opening the table reads the latest checkpoint
    # and at most 9 commits after it, instead of replaying a long history on every import and page view.
    "delta.checkpointInterval": "10",
}


# What delta-rs, pyarrow and Polars raise on a damaged, missing or unreachable table.
READ_ERRORS = (DeltaError, OSError, ValueError, pl.exceptions.PolarsError)


def _query(
    table: DeltaTable, columns: list[str] | None = None, periods: list[str] | None = None, where: str | None = None
) -> pl.DataFrame:
    """Only these columns of only these periods' files, read by delta-rs's own query engine.

    Lazy where it counts: the period list prunes whole files (the table is partitioned by period)
    and only the columns asked for are decoded. A damaged file is an error here (Polars' own
    Delta reader panics on one), and nothing pulls in pandas.
    """
    if periods is not None and not periods:
        periods = ["\x00none"]
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns) if columns else "*"
    sql = f"SELECT {names} FROM held"
    conditions = [f"period IN ({_sql_list(periods)})"] if periods is not None else []
    conditions += [where] if where else []
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return pl.DataFrame(QueryBuilder().register("held", table).execute(sql).read_all())


def _quoted(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Store:
    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)

    # ------------------------------------------------------------------ where

    @property
    def is_local(self) -> bool:
        return isinstance(self.data_dir, Path)

    def table_uri(self, dataset: str, *, volumes: bool = False) -> str:
        name = f"volumes/{dataset}" if volumes else dataset
        if isinstance(self.data_dir, Path):
            return str(self.data_dir / name)
        return f"{self.data_dir}/{name}"

    def _where(self) -> str:
        return str(self.data_dir)

    # ------------------------------------------------------------------ faults, in one sentence

    def _check_folder(self, *, writing: bool) -> None:
        """A data directory that is a file, read-only or unreadable: say so before delta-rs does."""
        if not isinstance(self.data_dir, Path):
            return
        folder = self.data_dir
        if folder.exists() and not folder.is_dir():
            raise StoreError(
                f"The data directory {folder} is a file, not a folder: "
                "point --data-dir or INSIGHT_DATA_DIR at a folder."
            )
        if not folder.exists():
            if not writing:
                return
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"The data directory {folder} cannot be created ({exc.strerror}): "
                    "create it, or choose another with --data-dir."
                ) from exc
        if not os.access(folder, os.R_OK | os.X_OK):
            raise StoreError(
                f"The data directory {folder} cannot be read (permission denied): "
                "ask for read access to it, or choose another with --data-dir."
            )
        if writing and not os.access(folder, os.W_OK):
            raise StoreError(
                f"The data directory {folder} is read-only: "
                "ask for write access to it, or choose another with --data-dir."
            )

    def _fault(self, exc: BaseException, dataset: str, *, writing: bool = False) -> StoreError:
        """Turn a delta-rs or object-store failure into one sentence a manager can act on."""
        text = str(exc)
        lowered = text.lower()
        where = self._where()
        if "containernotfound" in lowered or "bucket does not exist" in lowered or "nosuchbucket" in lowered:
            return StoreError(
                f"The storage container for {where} does not exist: create it, or correct the data directory."
            )
        if (
            "authenticationfailed" in lowered
            or "authorizationfailure" in lowered
            or "403 forbidden" in lowered
            or "invalidaccesskeyid" in lowered
            or "signaturedoesnotmatch" in lowered
        ):
            return StoreError(
                f"The storage service refused the credentials for {where}: "
                "check the account name and key in the environment."
            )
        if any(
            s in lowered
            for s in ("connection refused", "error sending request", "dns error", "timed out", "connect error")
        ):
            return StoreError(
                f"The storage service for {where} cannot be reached: check the address and the network, then try again."
            )
        if "permission denied" in lowered:
            verb = "written" if writing else "read"
            return StoreError(
                f"The {dataset} data in {where} cannot be {verb} (permission denied): "
                "ask for access to the data directory."
            )
        if writing and ("no space" in lowered or "disk full" in lowered):
            return StoreError(
                f"The disk holding {where} is full: nothing was imported; free some space and import again."
            )
        return StoreError(
            f"The stored {dataset} data in {where} cannot be read (damaged or incomplete table): "
            f"`python -m insight check {dataset}` names the damaged files, and `python -m insight check {dataset} "
            "--repair` restores it to its last whole version (the imports it takes back can then be imported again)."
        )

    # ------------------------------------------------------------------ opening tables

    def _open(self, dataset: str, *, volumes: bool = False, version: int | None = None) -> DeltaTable | None:
        """The table, or None when nothing has been imported; StoreError when it cannot be read."""
        self._check_folder(writing=False)
        uri = self.table_uri(dataset, volumes=volumes)
        if isinstance(self.data_dir, Path) and (earlier := earlier_file(self.data_dir, dataset, volumes=volumes)):
            raise StoreError(
                f"The {dataset} {'contact volumes' if volumes else 'data'} are still in the earlier store's file "
                f"{earlier}: run `python -m insight migrate --data-dir {self.data_dir}` to move them into the "
                "new store (nothing is lost)."
            )
        if isinstance(self.data_dir, Path) and not (Path(uri) / "_delta_log").exists():
            if Path(uri).exists() and not os.access(uri, os.R_OK | os.X_OK):
                raise self._fault(PermissionError("permission denied"), dataset)
            return None
        try:
            return DeltaTable(uri, version=version)
        except TableNotFoundError:
            return None
        except READ_ERRORS as exc:
            raise self._fault(exc, dataset) from exc

    def has(self, dataset: str) -> bool:
        table = self._open(dataset)
        return table is not None and self._row_count(table, dataset) > 0

    def _row_count(self, table: DeltaTable, dataset: str) -> int:
        try:
            return int(table.count())
        except READ_ERRORS as exc:
            raise self._fault(exc, dataset) from exc

    def table_version(self, dataset: str, *, volumes: bool = False) -> int | None:
        table = self._open(dataset, volumes=volumes)
        return None if table is None else table.version()

    def version(self, datasets: Iterable[str] | None = None) -> str:
        """Changes whenever any of these datasets' tables changes: the key pages re-run on.

        Without datasets, every table found in a local store (a URI store needs the names).
        """
        if datasets is None:
            folder = self.data_dir if isinstance(self.data_dir, Path) else None
            found = folder.glob("*/_delta_log") if folder and folder.is_dir() else []
            datasets = sorted(p.parent.name for p in found if p.parent.name != "volumes")
        parts = []
        for name in datasets:
            for volumes in (False, True):
                try:
                    parts.append(str(self.table_version(name, volumes=volumes)))
                except StoreError:
                    parts.append("fault")
        return "|".join(parts)

    # ------------------------------------------------------------------ reading (lazy)

    def read(
        self,
        definition: Definition,
        *,
        columns: list[str] | None = None,
        periods: list[str] | None = None,
        version: int | None = None,
    ) -> pl.DataFrame | None:
        """What is held for a dataset, typed by the current definition; None if nothing."""
        table = self._open(definition.dataset, version=version)
        if table is None:
            return None
        stored = None if columns is None else stored_columns(definition, columns)  # a derived measure: its parts
        try:
            frame = _query(table, stored, periods)
        except Exception as exc:  # delta-rs's query engine raises plain Exception
            raise self._fault(exc, definition.dataset) from exc
        if frame.height == 0 and columns is None and periods is None:
            return None
        frame = with_derived(self._conform(frame, definition, stored), definition, columns)
        if columns is not None:
            frame = frame.select(columns)
        # A whole dataset comes back in a stable order (pages show it); a report's slice is left as read.
        return frame.sort("period", "id") if columns is None and periods is None else frame

    def held_periods(self, definition: Definition) -> list[str]:
        """The periods held, from the table's partitions (no data read)."""
        table = self._open(definition.dataset)
        if table is None:
            return []
        try:
            return sorted({p["period"] for p in table.partitions() if p.get("period")})
        except READ_ERRORS as exc:
            raise self._fault(exc, definition.dataset) from exc

    @staticmethod
    def _conform(frame: pl.DataFrame, definition: Definition, columns: list[str] | None = None) -> pl.DataFrame:
        schema = tidy_schema(definition)
        wanted = columns or list(schema)
        # A column the definition has pseudonymised since the rows were stored: they have no pseudonym.
        later = [c for c in wanted if c not in frame.columns and c in definition.pseudonymised]
        frame = frame.with_columns(pl.lit(None, pl.String).alias(c) for c in later)
        # An `optional` dimension the definition has gained since the rows were stored (its column added blank
        # by a later import, or not at all): nobody said, as in an export without it.
        gained = [c for c in wanted if c in definition.optional_dimensions]
        frame = frame.with_columns(
            (pl.col(c).cast(pl.String).fill_null(NOT_STATED) if c in frame.columns else pl.lit(NOT_STATED)).alias(c)
            for c in gained
        )
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise StoreError(
                f"The stored {definition.dataset} data lacks {missing}: the definition has changed since it "
                "was imported; import the exports again into a fresh data directory."
            )
        relabel = {
            name: dtype
            for name in wanted
            if isinstance(dtype := schema.get(name), pl.Enum) and frame.schema[name] != dtype
        }
        try:  # every label column at once (Polars types them in parallel)
            return frame.select(
                pl.col(name).cast(pl.String).cast(relabel[name]) if name in relabel else pl.col(name) for name in wanted
            )
        except pl.exceptions.InvalidOperationError:
            pass
        for name, dtype in relabel.items():  # a label the definition no longer lists: say which
            text = frame.get_column(name).cast(pl.String)
            unknown = set(text.drop_nulls().unique().to_list()) - set(dtype.categories.to_list())
            if unknown:
                raise StoreError(
                    f"The stored {definition.dataset} data has {name} labels the definition no longer "
                    f"lists: {sorted(unknown)}; add them back to the definition."
                )
        raise StoreError(f"The stored {definition.dataset} data cannot be typed by its definition.")

    def read_volumes(self, definition: Definition) -> pl.DataFrame | None:
        table = self._open(definition.dataset, volumes=True)
        if table is None:
            return None
        try:
            frame = _query(table)
        except Exception as exc:
            raise self._fault(exc, definition.dataset) from exc
        if not frame.height:
            return None
        schema = volume_schema(definition)  # a count the table does not hold yet (added to the definition since): none
        missing = [pl.lit(None, pl.Int64).alias(c) for c in schema if c not in frame.columns]
        return frame.with_columns(missing).select(list(schema)).cast(schema).sort("period")

    # ------------------------------------------------------------------ comparing

    def compare(self, definition: Definition, frame: pl.DataFrame) -> UpsertCounts:
        """How many of these rows are new, would update a held row, or are held already."""
        table = self._open(definition.dataset)
        incoming = frame.lazy().select(tidy_columns(definition)).collect()
        if table is None:
            return UpsertCounts(incoming.height, 0, 0)
        adding = self._check_columns(table, incoming, definition.dataset, set(definition.pseudonymised))
        held, _ = self._held_for(table, incoming, "id", partitioned=True, dataset=definition.dataset)
        held = held.with_columns(pl.lit(None, pl.String).alias(c) for c in adding)  # as the import will add them
        return _classify(held, incoming, "id")

    def _held_for(
        self, table: DeltaTable, incoming: pl.DataFrame, key: str, *, partitioned: bool, dataset: str
    ) -> tuple[pl.DataFrame, list[str] | None]:
        """The held rows with the incoming keys, and the periods an upsert may be limited to.

        The periods are None when some incoming ID is held in another period (it moves, so
        the upsert must see the whole table).
        """
        try:
            periods = sorted(incoming.get_column("period").unique().to_list()) if partitioned else []
            if not table.file_uris():  # nothing held (a new table, or every import undone)
                return incoming.clear(), periods if partitioned else None
            keys = incoming.select(key)
            if not partitioned:
                return _query(table).join(keys, on=key, how="semi"), None
            # Only files whose ID range meets the file's (Delta keeps each file's min and max).
            low, high = incoming.get_column(key).min(), incoming.get_column(key).max()
            span = f'"{key}" BETWEEN {_sql_list([str(low)])} AND {_sql_list([str(high)])}'
            where = _query(table, [key, "period"], where=span).join(keys, on=key, how="semi")
            moved = where.join(incoming.select(key, pl.col("period").alias("__to")), on=key).filter(
                pl.col("period") != pl.col("__to")
            )
            if moved.height:
                touched = sorted(set(periods) | set(where.get_column("period").to_list()))
                return _query(table, None, touched).join(keys, on=key, how="semi"), None
            return _query(table, None, periods).join(keys, on=key, how="semi"), periods
        except Exception as exc:
            raise self._fault(exc, dataset) from exc

    # ------------------------------------------------------------------ writing

    def check_key(self, dataset: str, fingerprint: str | None) -> None:
        """Refuse rows pseudonymised under another key than the dataset's earlier imports (StoreError).

        Mixed keys would break every match: the same response would get a second ID, and the same
        crime reference two pseudonyms. The key itself is never stored; each import records its fingerprint.
        """
        if fingerprint is None:
            return
        held = next((r["key"] for r in self.history(dataset) if r["action"] == "import" and r.get("key")), None)
        if held is not None and held != fingerprint:
            raise StoreError(
                f"The {dataset} data held was pseudonymised under another key (fingerprint {held}) than the one "
                f"set now ({fingerprint}): nothing was imported. Set INSIGHT_ID_KEY (or id_key in the secrets) back "
                "to the key it was imported under, or change keys as docs/data-protection.md (Pseudonyms) says."
            )

    def import_result(
        self, definition: Definition, result: IngestResult, *, user: str, allow_move: bool = False
    ) -> UploadRecord:
        """Keep a validated file: invalid rows set aside with their reasons, valid rows merged by ID, in one commit.

        A file whose IDs are held in another period would move those responses: unless ``allow_move``, it is
        refused (MoveRefused, naming the moves, the likely cause and the fix) and nothing is written."""
        report = result.report
        self._check_folder(writing=True)
        self.check_key(definition.dataset, report.key_fingerprint)
        rejected_file = None
        if result.rejected.height:
            rejected_file = self.write_rejected(definition.dataset, result.rejected, report.file_name)
        # labels stay dictionary-coded until needed; the rows in one piece, which the writing goes through faster
        incoming = result.frame.select(tidy_columns(definition))
        periods = sorted(incoming.get_column("period").unique().to_list())
        file = masked_file_name(report.file_name)
        rejected = report.invalid_rows if rejected_file else 0
        meta = {
            "action": "import",
            "file": file,
            "sha256": report.sha256,
            "rows_in_file": report.rows_read,
            "rejected": rejected,
            "periods": periods,
            "user": user,
            "definition": definition_fingerprint(definition),
        }
        if report.key_fingerprint:
            meta["key"] = report.key_fingerprint  # which key the pseudonyms are under (the key is never stored)
        refuse = None if allow_move else definition.composite_id_example()
        try:
            counts, version = self._upsert(
                definition.dataset,
                incoming,
                "id",
                meta,
                partitioned=True,
                refuse_moves=refuse,
                addable={*definition.pseudonymised, *definition.optional_dimensions},
            )
        except MoveRefused:
            if rejected_file is not None and self.is_local:  # nothing of this file was imported: none set aside
                Path(rejected_file).unlink(missing_ok=True)
            raise
        return UploadRecord(
            dataset=definition.dataset,
            file_name=file,
            sha256=report.sha256,
            rows_read=report.rows_read,
            new=counts.new,
            updated=counts.updated,
            unchanged=counts.unchanged,
            rejected=rejected,
            rejected_file=rejected_file,
            periods=", ".join(periods),
            version=version,
            moved=counts.moved,
        )

    def import_volumes(
        self, dataset: str, frame: pl.DataFrame, *, file_name: str, sha256: str, user: str
    ) -> UploadRecord:
        """Monthly volumes by month: a month given again replaces the old figures. Columns past the first three are
        the definition's named counts (``volume_schema``), whole numbers; a count the table lacks is added to it."""
        self._check_folder(writing=True)
        counts = [c for c in frame.columns if c not in VOLUME_SCHEMA]
        schema = pl.Schema({**VOLUME_SCHEMA, **{c: pl.Int64() for c in counts}})
        incoming = frame.select(list(schema)).cast(schema)
        months = sorted(incoming.get_column("period").to_list())
        file = masked_file_name(file_name)
        meta = {
            "action": "import",
            "file": file,
            "sha256": sha256,
            "rows_in_file": incoming.height,
            "rejected": 0,
            "periods": months,
            "user": user,
        }
        upserted, version = self._upsert(
            dataset, incoming, "period", meta, partitioned=False, volumes=True, addable=set(counts)
        )
        return UploadRecord(
            dataset, file, sha256, incoming.height, upserted.new, upserted.updated, upserted.unchanged, 0, None,
            ", ".join(months), version,
        )  # fmt: skip

    def _create(self, uri: str, empty: pl.DataFrame, *, partitioned: bool) -> None:
        """An empty table (version 0), so every import is a change to a table and every import can be undone."""
        options: dict[str, object] = {"configuration": TABLE_CONFIG}
        if partitioned:
            options["partition_by"] = ["period"]
        try:
            empty.write_delta(uri, mode="error", delta_write_options=options)
        except DeltaError as exc:
            if "already exists" not in str(exc):
                raise
        except CommitFailedError:
            pass  # another writer created it at the same moment

    def _upsert(
        self,
        dataset: str,
        incoming: pl.DataFrame,
        key: str,
        meta: dict,
        *,
        partitioned: bool,
        volumes: bool = False,
        refuse_moves: str | None = None,
        addable: set[str] | None = None,
    ) -> tuple[UpsertCounts, int | None]:
        """Add the incoming rows by ``key``, replacing held rows with the same key, in one version (none
        when nothing differs). A local response table is written by ``_write_periods``; the rest MERGE.
        ``refuse_moves`` (a composite id_column to suggest): a held row the import would move to another
        period makes it MoveRefused, decided on the version the import is planned on. ``addable``: columns
        the table may gain first (a column the definition has pseudonymised since)."""
        try:
            return self._upsert_planned(
                dataset,
                incoming,
                key,
                meta,
                partitioned=partitioned,
                volumes=volumes,
                refuse_moves=refuse_moves,
                addable=addable or set(),
            )
        except BaseException:
            # A failed import's new folders (the table's, a period's) would keep the writer's umask, and
            # another user's import could not write into them: they take the data directory's bits too.
            if isinstance(self.data_dir, Path):
                with contextlib.suppress(OSError):
                    self._match_permissions(Path(self.table_uri(dataset, volumes=volumes)))
            raise

    def _upsert_planned(
        self,
        dataset: str,
        incoming: pl.DataFrame,
        key: str,
        meta: dict,
        *,
        partitioned: bool,
        volumes: bool = False,
        refuse_moves: str | None = None,
        addable: set[str],
    ) -> tuple[UpsertCounts, int | None]:
        uri = self.table_uri(dataset, volumes=volumes)
        merging: tuple[int, dict, UpsertCounts] | None = None
        for attempt in range(RETRIES):
            merging = None
            try:
                table = self._open(dataset, volumes=volumes)
                if table is None:
                    if isinstance(self.data_dir, Path):
                        Path(uri).parent.mkdir(parents=True, exist_ok=True)
                    self._create(uri, storage_form(incoming.clear()), partitioned=partitioned)
                    table = self._open(dataset, volumes=volumes)
                    assert table is not None
                adding = self._check_columns(table, incoming, dataset, addable)
                if adding:
                    types = {c: "long" for c in adding} if volumes else {}  # a volumes table's counts are whole numbers
                    table = self._add_columns(table, adding, dataset, volumes=volumes, types=types)
                held, scope = self._held_for(table, incoming, key, partitioned=partitioned, dataset=dataset)
                counts = _classify(held, incoming, key)
                if counts.moved and refuse_moves is not None:
                    raise MoveRefused(counts, refuse_moves)
                if not (counts.new or counts.updated):
                    return counts, None  # nothing changes: no new version
                meta = {**meta, "new": counts.new, "updated": counts.updated, "unchanged": counts.unchanged}
                if counts.moved:  # the history says which held responses went where
                    meta["moved"] = [[m.from_period, m.to_period, m.responses] for m in counts.moved]
                if partitioned:  # the periods this commit changes: the file's, and those its moved IDs leave
                    meta["touched"] = sorted(set(meta["periods"]) | set(held.get_column("period").to_list()))
                if partitioned and isinstance(self.data_dir, Path):
                    version = self._write_periods(table, uri, incoming, held, meta, dataset)
                    self._tidy(table, uri)
                    return counts, version
                incoming = storage_form(incoming)
                merging = (table.version(), meta, counts)  # to recognise this MERGE's commit if an error follows it
                predicate = f"s.{_quoted(key)} = t.{_quoted(key)}"
                if scope:
                    predicate += f" AND t.`period` IN ({_sql_list(scope)})"
                changed = " OR ".join(
                    f"(s.{_quoted(c)} IS DISTINCT FROM t.{_quoted(c)})" for c in incoming.columns if c != key
                )
                (
                    table.merge(
                        incoming,
                        predicate=predicate,
                        source_alias="s",
                        target_alias="t",
                        commit_properties=CommitProperties(custom_metadata={META_KEY: json.dumps(meta)}),
                    )
                    .when_matched_update_all(predicate=changed or None)
                    .when_not_matched_insert_all()
                    .execute()
                )
                version = table.version()
                self._tidy(table, uri)
                return counts, version
            except CommitFailedError:
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # another import committed first: plan again
            except StoreError:
                raise
            except READ_ERRORS as exc:
                # delta-rs may fail after the MERGE's commit landed (its checkpoint on a full disk): then it is done.
                landed = self._committed(dataset, volumes, merging[0], merging[1]) if merging else None
                if landed is None or merging is None:
                    raise self._fault(exc, dataset, writing=True) from exc
                assert table is not None  # merging is planned only once the table is open
                self._tidy(table, uri)
                return merging[2], landed
        raise StoreError(f"The {dataset} data is being changed by others: nothing was imported; try again in a minute.")

    @staticmethod
    def _check_columns(
        table: DeltaTable, incoming: pl.DataFrame, dataset: str, addable: set[str] | None = None
    ) -> list[str]:
        """A file with a column the table lacks (its definition has gained one) is refused: written as it is,
        that column would be in no reader's schema. One the table has and the file lacks (a column taken out
        of the definition) is kept as a MERGE keeps it: held rows keep their values, new rows have none.
        Returns the missing columns that are ``addable`` (pseudonymised since): the import adds them."""
        stored = {field.name for field in table.schema().fields}
        adding = sorted((set(incoming.columns) - stored) & (addable or set()))
        extra = sorted(set(incoming.columns) - stored - set(adding))
        if extra:
            raise StoreError(
                f"The {dataset} definition has changed since the stored data was imported (it now has {extra}): "
                "nothing was imported; put the definition back, or import every export again into a fresh data "
                "directory."
            )
        return adding

    def _add_columns(
        self, table: DeltaTable, columns: list[str], dataset: str, *, volumes: bool, types: dict[str, str] | None = None
    ) -> DeltaTable:
        """Columns added to the table's schema (a version of its own: earlier rows hold none), and the table as it
        now is: text, unless ``types`` names a column's Delta type (``long``). Another import adding them at the
        same moment is no fault."""
        from deltalake import Field
        from deltalake.schema import PrimitiveType

        kinds = types or {}
        with contextlib.suppress(CommitFailedError, DeltaError):  # added by another import first: read again below
            table.alter.add_columns(
                [Field(name, PrimitiveType(kinds.get(name, "string")), nullable=True) for name in columns]
            )
        reopened = self._open(dataset, volumes=volumes)
        assert reopened is not None
        if set(columns) - {field.name for field in reopened.schema().fields}:
            raise StoreError(f"The {dataset} table could not take its new column(s) {columns}: nothing was imported.")
        return reopened

    def _write_periods(
        self, table: DeltaTable, uri: str, incoming: pl.DataFrame, held: pl.DataFrame, meta: dict, dataset: str
    ) -> int:
        """A local store's import, without delta-rs's MERGE (which scans far more than the file's periods).

        No incoming ID held: the rows are added as they are. Otherwise each period the import touches
        is written anew, with its held rows whose IDs the file does not hold and every row of the file,
        replacing that period's files: the same table a MERGE by ID leaves. A column the table has and
        the file lacks keeps a held row's value (a new row has none), as a MERGE's update leaves it.
        Either way the commit is made only onto the version the rows were checked against (a conflict
        plans again).
        """
        missing = [field.name for field in table.schema().fields if field.name not in incoming.columns]
        if held.height == 0 and not missing:
            return commit_rows(table, uri, incoming, meta, replace=None)
        try:
            current = _query(table, None, meta["touched"] if held.height else [])  # no periods: only the schema
        except Exception as exc:
            raise self._fault(exc, dataset) from exc
        if held.height == 0:
            blank = [pl.lit(None, current.schema[name]).alias(name) for name in missing]
            return commit_rows(table, uri, incoming.with_columns(blank), meta, replace=None)
        rows = storage_form(incoming)
        if missing:
            rows = rows.join(held.select("id", *missing), on="id", how="left")
        kept = current.join(rows.select("id"), on="id", how="anti").select(rows.columns).cast(rows.schema)
        return commit_rows(table, uri, pl.concat([kept, rows]), meta, replace=meta["touched"])

    def _tidy(self, table: DeltaTable, uri: str) -> None:
        """After a write: remove files no version references (a killed import's), and match permissions.

        In a local store delta-rs's vacuum runs only when the log shows such a file (``has_unreferenced_files``):
        keeping every version reachable makes it replay the whole history, and an import onto a store of
        thirty imports spent more on it than on writing its rows.
        """
        if isinstance(self.data_dir, Path) and not commit.has_unreferenced_files(Path(uri)):
            remove_stale_staging(Path(uri))
            self._match_permissions(Path(uri))
            return
        try:
            current = DeltaTable(uri)
            keep = list(range(current.version() + 1))
            options: dict[str, Any] = dict(
                retention_hours=commit.ORPHAN_GRACE_HOURS,
                enforce_retention_duration=False,
                full=True,
                keep_versions=keep,
            )
            if current.vacuum(dry_run=True, **options):
                current.vacuum(dry_run=False, **options)
        except (CommitFailedError, DeltaError, OSError):
            pass  # tidying is best effort; the next write tries again
        if isinstance(self.data_dir, Path):
            remove_stale_staging(Path(uri))
            self._match_permissions(Path(uri))

    def _match_permissions(self, folder: Path) -> None:
        """Every file and folder under the table takes the data directory's read/write bits."""
        assert isinstance(self.data_dir, Path)
        mode = stat.S_IMODE(self.data_dir.stat().st_mode)
        file_mode = mode & 0o666
        parents = [p for p in folder.parents if p != self.data_dir and self.data_dir in p.parents]  # volumes/
        for path in [*parents, folder, *folder.rglob("*")]:
            try:
                st_ = path.lstat()
                if path.is_symlink() or st_.st_uid != os.getuid():
                    continue
                want = mode if path.is_dir() else file_mode
                if stat.S_IMODE(st_.st_mode) != want:
                    path.chmod(want)
            except OSError:
                continue

    # ------------------------------------------------------------------ history and undo

    def _log(self, dataset: str, *, volumes: bool) -> tuple[DeltaTable | None, list[dict]]:
        table = self._open(dataset, volumes=volumes)
        if table is None:
            return None, []
        try:
            return table, sorted(table.history(), key=lambda h: h["version"])
        except READ_ERRORS as exc:
            raise self._fault(exc, dataset) from exc

    @staticmethod
    def _meta(entry: dict) -> dict:
        raw = entry.get(META_KEY)
        if not raw:
            return {}
        try:
            meta = json.loads(raw)
        except (TypeError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def history(self, dataset: str, *, volumes: bool = False) -> list[dict]:
        """Every import and undo, newest first: version, time (ISO 8601 UTC), action, file, sha256,
        rows_in_file, new, updated, unchanged, periods, user (and, for an undo, what it took back)."""
        _, log = self._log(dataset, volumes=volumes)
        rows = []
        for entry in reversed(log):
            meta = self._meta(entry)
            if not meta:
                continue  # table creation and housekeeping
            rows.append(
                {
                    "version": entry["version"],
                    "time": _iso(entry["timestamp"]),
                    "action": meta.get("action"),
                    "file": meta.get("file"),
                    "sha256": meta.get("sha256"),
                    "rows_in_file": meta.get("rows_in_file"),
                    "new": meta.get("new"),
                    "updated": meta.get("updated"),
                    "unchanged": meta.get("unchanged"),
                    "periods": meta.get("periods") or [],
                    "user": meta.get("user"),
                    "rejected": meta.get("rejected"),
                    "undoes": meta.get("undoes"),
                    "restored_to": meta.get("restored_to"),
                    "removed": meta.get("removed"),
                    "restored": meta.get("restored"),
                    "definition": meta.get("definition"),
                    "moved": meta.get("moved") or [],
                    "key": meta.get("key"),
                    "damaged": meta.get("damaged"),
                }
            )
        return rows

    def already_held(self, definition: Definition, sha256: str) -> dict | None:
        """The history row of the latest change if it imported this very file, whole, under this definition.

        Then the table holds exactly that file's rows as they were imported, and importing it
        again cannot change anything: the caller may skip reading it.
        """
        rows = self.history(definition.dataset)
        if not rows:
            return None
        newest = rows[0]
        same = (newest["action"], newest["sha256"], newest["definition"]) == (
            "import", sha256, definition_fingerprint(definition))  # fmt: skip
        return newest if same and not newest.get("rejected") and self._files_there(definition.dataset) else None

    def _files_there(self, dataset: str) -> bool:
        """Whether every data file the table's current version needs is on disk with its Parquet footer intact
        (a local store; a cloud store is taken as whole). A table missing one holds less than its last import
        wrote. Footers only: ``python -m insight check`` reads every file whole."""
        import pyarrow.parquet as pq

        table = self._open(dataset)
        if table is None or not isinstance(self.data_dir, Path):
            return True
        try:
            for uri in table.file_uris():
                pq.read_metadata(uri.removeprefix("file://"))
        except Exception:  # missing (OSError) or damaged (pyarrow's ArrowInvalid, among others)
            return False
        return True

    def _live_imports(self, log: list[dict]) -> dict[int, list[int]]:
        """For each version, the imports whose rows it still holds (an undo returns to an earlier set)."""
        live: dict[int, list[int]] = {}
        current: list[int] = []
        for entry in log:
            version = entry["version"]
            meta = self._meta(entry)
            if meta.get("action") == "import":
                current = [*current, version]
            elif meta.get("action") in ("undo", "repair") and meta.get("restored_to") is not None:
                current = list(live.get(int(meta["restored_to"]), []))
            live[version] = current
        return live

    def undo_plan(self, dataset: str, *, version: int | None = None, volumes: bool = False, count: bool = True) -> dict:
        """What an undo would do, without doing it: target version, imports taken back, and (with
        ``count``, which reads both versions) the rows removed and restored."""
        table, log = self._log(dataset, volumes=volumes)
        what = "contact volumes" if volumes else "data"
        if table is None or not log:
            raise StoreError(f"Nothing to undo: no {dataset} {what} has been imported into {self._where()}.")
        current = log[-1]["version"]
        live = self._live_imports(log)
        if version is None:
            held = live.get(current, [])
            if not held:
                raise StoreError(f"Nothing to undo: every {dataset} {what} import has already been undone.")
            target = held[-1] - 1
        else:
            versions = [e["version"] for e in log]
            if version not in versions:
                raise StoreError(
                    f"Version {version} of the {dataset} {what} does not exist; versions held: 0 to {current}."
                )
            if version == current:
                raise StoreError(f"Nothing to undo: the {dataset} {what} is already at version {version}.")
            target = version
        undoes = [v for v in live.get(current, []) if v not in live.get(target, [])]
        removed = restored = None
        touched = self._touched_between(log, target, volumes)
        if count:
            key = "period" if volumes else "id"
            now = self._frame_at(table, dataset, None, touched)
            then = self._frame_at(table, dataset, target, touched)
            removed = now.join(then.select(key), on=key, how="anti").height if now.height else 0
            restored = then.join(now, on=then.columns, how="anti", nulls_equal=True).height if then.height else 0
        files = {e["version"]: self._meta(e).get("file") for e in log}
        return {
            "current": current,
            "target": target,
            "touched": touched,
            "undoes": undoes,
            "files": [files.get(v) for v in undoes],
            "removed": removed,
            "restored": restored,
        }

    def _touched_between(self, log: list[dict], target: int, volumes: bool) -> list[str] | None:
        """The periods the commits after ``target`` changed (None: any, as for volumes or older commits)."""
        if volumes:
            return None
        touched: set[str] = set()
        for entry in log:
            meta = self._meta(entry)
            if entry["version"] <= target or not meta:
                continue
            if meta.get("touched") is None:
                return None
            touched |= set(meta["touched"])
        return sorted(touched)

    def _frame_at(
        self, table: DeltaTable, dataset: str, version: int | None, periods: list[str] | None = None
    ) -> pl.DataFrame:
        try:
            if version is not None:
                table = DeltaTable(table.table_uri, version=version)
            return _query(table, None, periods)
        except Exception as exc:
            raise self._fault(exc, dataset) from exc

    def undo(self, dataset: str, *, version: int | None = None, volumes: bool = False, user: str) -> UndoRecord:
        """Take back the newest import not already undone, or return to the state right after ``version``.

        The undo is itself a new version with its user in the history: nothing is erased.
        """
        self._check_folder(writing=True)
        uri = self.table_uri(dataset, volumes=volumes)
        for attempt in range(RETRIES):
            plan = self.undo_plan(dataset, version=version, volumes=volumes)
            meta = {
                "action": "undo",
                "file": ", ".join(f for f in plan["files"] if f) or None,
                "undoes": plan["undoes"],
                "restored_to": plan["target"],
                "removed": plan["removed"],
                "restored": plan["restored"],
                "periods": [],
                "touched": plan["touched"],
                "user": user,
            }
            try:
                table = DeltaTable(uri, version=plan["current"])
                table.restore(
                    plan["target"],
                    commit_properties=CommitProperties(
                        custom_metadata={META_KEY: json.dumps(meta)}, max_commit_retries=0
                    ),
                )
                new_version = table.version()
                self._tidy(table, uri)
                return UndoRecord(
                    dataset, new_version, plan["target"], plan["undoes"], plan["removed"], plan["restored"]
                )
            except CommitFailedError:
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            except READ_ERRORS as exc:
                # delta-rs may fail after the commit landed (its checkpoint on a full disk): then the undo is
                # done, and saying otherwise would have the user undo again, taking back one import more.
                landed = self._committed(dataset, volumes, plan["current"], meta)
                if landed is None:
                    raise self._fault(exc, dataset, writing=True) from exc
                self._tidy(table, uri)
                return UndoRecord(dataset, landed, plan["target"], plan["undoes"], plan["removed"], plan["restored"])
        raise StoreError(f"The {dataset} data is being changed by others: nothing was undone; try again in a minute.")

    def _committed(self, dataset: str, volumes: bool, after: int, meta: dict) -> int | None:
        """The version after ``after`` whose commit carried this very metadata, if one did."""
        try:
            _, log = self._log(dataset, volumes=volumes)
        except StoreError:
            return None
        return next((e["version"] for e in log if e["version"] > after and self._meta(e) == meta), None)

    # ------------------------------------------------------------------ rejected rows

    def write_rejected(self, dataset: str, rejected: pl.DataFrame, file_name: str) -> str:
        """Keep rows that were not imported, with their reasons (PII already removed), beside the tables."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        stem = masked_file_name(Path(file_name).stem).replace("/", "_")
        name = f"{dataset}-{stem}-{stamp}.csv"
        if not isinstance(self.data_dir, Path):
            target = f"{self.data_dir}/rejected/{name}"
            try:
                write_csv(rejected, target)  # formula-safe, like every CSV we write
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise self._fault(exc, dataset, writing=True) from exc
            return target
        folder = self.data_dir / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        tmp = folder / f".{name}.tmp"
        try:
            write_csv(rejected, tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._match_permissions(folder)
        return str(path)


def definition_fingerprint(definition: Definition) -> str:
    """Changes when anything in the definition changes (labels, groups, scales...)."""
    return hashlib.sha256(repr(definition).encode()).hexdigest()[:16]


def masked_file_name(file_name: str) -> str:
    """A file's name as the history shows it: no folder, personal data masked."""
    return safe_file_name(file_name)


def _classify(held: pl.DataFrame, incoming: pl.DataFrame, key: str) -> UpsertCounts:
    """New, updated and unchanged rows; and, among the updated, held rows the import moves to another period."""
    if held.height == 0:
        return UpsertCounts(incoming.height, 0, 0)
    incoming = storage_form(incoming)  # held labels are text
    cols = [c for c in incoming.columns if c != key]
    old = held.select(key, *[pl.col(c).alias(f"__old_{c}") for c in cols]).with_columns(pl.lit(True).alias("__held"))
    joined = incoming.join(old, on=key, how="left")
    is_held = pl.col("__held").fill_null(False)
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"__old_{c}")) for c in cols]) if cols else pl.lit(True)
    counts = joined.select((~is_held).sum().alias("new"), (is_held & same).sum().alias("unchanged")).row(0, named=True)
    new, unchanged = int(counts["new"]), int(counts["unchanged"])
    moved: tuple[Move, ...] = ()
    if "period" in cols:
        moves = (
            joined.filter(is_held & (pl.col("period") != pl.col("__old_period")))
            .group_by("__old_period", "period")
            .len()
            .sort("__old_period", "period")
        )
        moved = tuple(Move(a, b, int(n)) for a, b, n in moves.iter_rows())
    return UpsertCounts(new, incoming.height - new - unchanged, unchanged, moved)
