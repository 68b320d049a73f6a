"""Stores kept by the first version of the app, found and moved into the Delta Lake tables once.

The first version kept each dataset as one Parquet file in the data directory
(``<dataset>.parquet``), each dataset's contact volumes as ``volumes/<dataset>.parquet`` and the
upload history as ``upload_log.jsonl``. The store refuses to read or write a dataset whose earlier
file is still there (its pages and commands say to migrate): a new table beside it would hide the
responses it holds. ``python -m insight migrate`` imports each file into its table as one import
("<dataset>.parquet (earlier store)") and renames it ``….parquet.migrated``: nothing is deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from insight.config.definition import Definition
from insight.config.layout import VOLUME_SCHEMA, tidy_columns
from insight.intake.tidy import IngestResult, ValidationReport, sha256_of
from insight.store import Store, StoreError
from insight.store.location import earlier_file

EARLIER_LOG = "upload_log.jsonl"
MIGRATED = ".migrated"


@dataclass(frozen=True)
class Moved:
    dataset: str
    volumes: bool
    rows: int
    version: int | None
    kept_as: str  # the earlier file, renamed
    earlier_uploads: int  # lines of the earlier upload history naming this dataset


def _earlier_uploads(data_dir: Path, dataset: str) -> int:
    path = data_dir / EARLIER_LOG
    if not path.is_file():
        return 0
    count = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        count += isinstance(entry, dict) and entry.get("dataset") == dataset
    return count


def migrate(store: Store, definitions: dict[str, Definition], *, user: str) -> list[Moved]:
    """Move every earlier file into its table (rows it holds already are newer, and kept); StoreError,
    naming the file, if one cannot be moved (the file is then left as it was)."""
    if not isinstance(store.data_dir, Path):
        return []
    moved = []
    for name, definition in definitions.items():
        for volumes in (False, True):
            path = earlier_file(store.data_dir, name, volumes=volumes)
            if path is None:
                continue
            try:
                frame = pl.read_parquet(path, glob=False)
            except (OSError, pl.exceptions.PolarsError):
                raise StoreError(
                    f"{path} cannot be read (damaged?): nothing was moved from it; restore it from a backup, "
                    "or move it aside and import the exports again."
                ) from None
            # Aside while it moves (the store refuses a dataset whose earlier file is there); back on failure.
            moving = path.with_name(path.name + ".moving")
            path.rename(moving)
            try:
                rows, version = _move(store, definition, frame, moving, volumes=volumes, user=user)
            except BaseException:
                moving.rename(path)
                raise
            kept = path.with_name(path.name + MIGRATED)
            moving.rename(kept)
            uploads = _earlier_uploads(store.data_dir, name) if not volumes else 0
            moved.append(Moved(name, volumes, rows, version, kept.name, uploads))
    return moved


def _move(
    store: Store, definition: Definition, frame: pl.DataFrame, path: Path, *, volumes: bool, user: str
) -> tuple[int, int | None]:
    """Import the earlier file's rows: those the table does not hold yet (anything held was imported
    later, so it is newer). The rows moved and the version made (None when every row was held)."""
    file_name = f"{path.name.removesuffix('.moving')} (earlier store)"
    sha256 = sha256_of(path)
    if volumes:
        missing = [c for c in VOLUME_SCHEMA if c not in frame.columns]
        if missing:
            raise StoreError(f"{path} lacks the columns {missing}: nothing was moved from it.")
        held = store.read_volumes(definition)
        if held is not None:
            frame = frame.join(held.select("period"), on="period", how="anti")
        record = store.import_volumes(definition.dataset, frame, file_name=file_name, sha256=sha256, user=user)
        return frame.height, record.version
    typed = Store._conform(frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String)), definition)
    held = store.read(definition, columns=["id"])
    if held is not None:
        typed = typed.join(held, on="id", how="anti")
    report = ValidationReport(definition.dataset, file_name, sha256, typed.height, 1, "parquet")
    result = IngestResult(typed.select(tidy_columns(definition)), pl.DataFrame(), report)
    return typed.height, store.import_result(definition, result, user=user).version
