"""The store: the only code that writes survey data to disk.

One Parquet file per dataset, upserted by response/member ID so overlapping exports
count once and a corrected row replaces the old one. Every write goes to a temporary
file beside the target and is renamed into place while an exclusive lock is held, so
two imports at once, or a crash mid-write, never leave a half-written or mixed store.
Every import is recorded in the upload log.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from insight.csv_safe import write_csv
from insight.definition import Definition
from insight.ingest import IngestResult, tidy_columns, tidy_schema

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "store"
LOG_NAME = "upload_log.jsonl"


class StoreError(RuntimeError):
    """The store holds something the current definition cannot read."""


@dataclass(frozen=True)
class UpsertCounts:
    new: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class UploadRecord:
    uploaded_at: str
    dataset: str
    file_name: str
    sha256: str
    rows_read: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    rejected_file: str | None
    periods: str


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """``--data-dir``, else ``$INSIGHT_DATA_DIR``, else ``data/store/``."""
    if data_dir:
        return Path(data_dir)
    if os.environ.get("INSIGHT_DATA_DIR"):
        return Path(os.environ["INSIGHT_DATA_DIR"])
    return DEFAULT_DATA_DIR


class Store:
    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)

    # ------------------------------------------------------------------ reading

    def path(self, dataset: str) -> Path:
        return self.data_dir / f"{dataset}.parquet"

    def has(self, dataset: str) -> bool:
        return self.path(dataset).exists()

    def read(
        self, definition: Definition, *, columns: list[str] | None = None, periods: list[str] | None = None
    ) -> pl.DataFrame | None:
        """What is held for a dataset (only the columns and periods asked for), typed by the current
        definition; None if nothing."""
        path = self.path(definition.dataset)
        if not path.exists():
            return None
        lazy = pl.scan_parquet(path)
        if periods is not None:
            lazy = lazy.filter(pl.col("period").is_in(periods))
        if columns is not None:
            lazy = lazy.select(c for c in columns if c in lazy.collect_schema())
        return self._conform(lazy.collect(), definition, columns)

    def held_periods(self, definition: Definition) -> list[str]:
        """The periods held, reading only the period column."""
        path = self.path(definition.dataset)
        if not path.exists():
            return []
        held = pl.scan_parquet(path).select(pl.col("period").unique().drop_nulls()).collect().to_series()
        return sorted(held.to_list())

    @staticmethod
    def _conform(frame: pl.DataFrame, definition: Definition, columns: list[str] | None = None) -> pl.DataFrame:
        schema = tidy_schema(definition)
        if columns is not None:
            schema = {c: schema[c] for c in columns}
        missing = [c for c in schema if c not in frame.columns]
        if missing:
            raise StoreError(
                f"the stored {definition.dataset} data lacks {missing}; the definition has changed since it "
                "was imported. Re-import the exports into a fresh data directory."
            )
        out = []
        for name, dtype in schema.items():
            col = frame.get_column(name)
            if isinstance(dtype, pl.Enum) and col.dtype != dtype:
                text = col.cast(pl.String)
                unknown = set(text.drop_nulls().unique().to_list()) - set(dtype.categories.to_list())
                if unknown:
                    raise StoreError(
                        f"the stored {definition.dataset} data has {name} labels the definition no longer "
                        f"lists: {sorted(unknown)}"
                    )
                col = text.cast(dtype)
            out.append(col)
        return pl.DataFrame(out)

    def version(self) -> str:
        """Changes whenever any dataset or the log changes: the cache key for pages."""
        parts = []
        if self.data_dir.exists():
            files = [*sorted(self.data_dir.glob("*.parquet")), *sorted(self.data_dir.glob("volumes/*.parquet"))]
            for p in [*files, self.data_dir / LOG_NAME]:
                if p.exists():
                    st = p.stat()
                    parts.append(f"{p.relative_to(self.data_dir)}:{st.st_mtime_ns}:{st.st_size}")
        return "|".join(parts) or "empty"

    def upload_log(self) -> pl.DataFrame:
        path = self.data_dir / LOG_NAME
        records = []
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash; the data file itself is atomic
        if not records:
            return pl.DataFrame(schema={f: pl.String for f in UploadRecord.__dataclass_fields__})
        return pl.DataFrame(records, infer_schema_length=None)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def compare(self, definition: Definition, frame: pl.DataFrame) -> UpsertCounts:
        """How many of these rows are new, would update a held row, or are held already."""
        return self._classify(self.read(definition), frame, definition)

    @staticmethod
    def _classify(old: pl.DataFrame | None, frame: pl.DataFrame, definition: Definition) -> UpsertCounts:
        if old is None or old.height == 0:
            return UpsertCounts(frame.height, 0, 0)
        cols = [c for c in tidy_columns(definition) if c != "id"]
        held = old.select("id", *[pl.col(c).alias(f"__old_{c}") for c in cols])
        joined = frame.join(held, on="id", how="left")
        is_new = joined.get_column("__old_period").is_null()
        same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"__old_{c}")) for c in cols])
        unchanged = int(joined.select(same & pl.col("__old_period").is_not_null()).to_series().sum())
        new = int(is_new.sum())
        return UpsertCounts(new, frame.height - new - unchanged, unchanged)

    def upsert(
        self,
        definition: Definition,
        frame: pl.DataFrame,
        *,
        file_name: str,
        sha256: str,
        rows_read: int,
        rejected: int = 0,
        rejected_file: str | None = None,
    ) -> UploadRecord:
        """Add or replace rows by ID, atomically, and log the upload."""
        frame = frame.select(tidy_columns(definition))
        with self._locked():
            old = self.read(definition)
            counts = self._classify(old, frame, definition)
            if old is None:
                combined = frame
            else:
                combined = pl.concat([old.filter(~pl.col("id").is_in(frame.get_column("id").implode())), frame])
            combined = combined.sort("period", "id")
            if counts.new or counts.updated or old is None:
                self._atomic_write(combined, self.path(definition.dataset))
            periods = sorted(frame.get_column("period").unique().to_list())
            record = UploadRecord(
                uploaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                dataset=definition.dataset,
                file_name=Path(file_name).name,
                sha256=sha256,
                rows_read=rows_read,
                new=counts.new,
                updated=counts.updated,
                unchanged=counts.unchanged,
                rejected=rejected,
                rejected_file=rejected_file,
                periods=", ".join(periods),
            )
            self._append_log(asdict(record))
        return record

    def _append_log(self, entry: dict) -> None:
        """One line of the upload log, flushed to disk (called with the lock held)."""
        with (self.data_dir / LOG_NAME).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    # ------------------------------------------------------------------ contact volumes

    def volumes_path(self, dataset: str) -> Path:
        return self.data_dir / "volumes" / f"{dataset}.parquet"

    def read_volumes(self, definition: Definition) -> pl.DataFrame | None:
        path = self.volumes_path(definition.dataset)
        return pl.read_parquet(path) if path.exists() else None

    def upsert_volumes(self, dataset: str, frame: pl.DataFrame, *, file_name: str, sha256: str) -> None:
        """Monthly volumes by month: a month given again replaces the old figures."""
        months = frame.get_column("period").to_list()
        with self._locked():
            path = self.volumes_path(dataset)
            held = frame
            if path.exists():
                old = pl.read_parquet(path)
                held = pl.concat([old.filter(~pl.col("period").is_in(months)), frame])
            self._atomic_write(held.sort("period"), path)
            record = {
                "uploaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "dataset": dataset,
                "file_name": Path(file_name).name,
                "sha256": sha256,
                "rows_read": len(months),
                "new": None,
                "updated": None,
                "unchanged": None,
                "rejected": 0,
                "rejected_file": None,
                "periods": "volumes: " + ", ".join(months),
            }
            self._append_log(record)

    def import_result(self, definition: Definition, result: IngestResult) -> UploadRecord:
        """Keep a validated file: invalid rows set aside with their reasons, valid rows upserted, one log entry."""
        report = result.report
        rejected_file = None
        if result.rejected.height:
            rejected_file = str(self.write_rejected(definition.dataset, result.rejected, report.file_name))
        return self.upsert(
            definition,
            result.frame,
            file_name=report.file_name,
            sha256=report.sha256,
            rows_read=report.rows_read,
            rejected=report.invalid_rows,
            rejected_file=rejected_file,
        )

    def write_rejected(self, dataset: str, rejected: pl.DataFrame, file_name: str) -> Path:
        """Keep rows that were not imported, with their reasons (PII already removed)."""
        folder = self.data_dir / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = folder / f"{dataset}-{Path(file_name).stem}-{stamp}.csv"
        self._atomic_write(rejected, path)
        return path

    @staticmethod
    def _atomic_write(frame: pl.DataFrame, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            if path.suffix == ".csv":
                write_csv(frame, tmp)  # formula-safe, like every CSV we write
            else:
                frame.write_parquet(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
