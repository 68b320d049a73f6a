"""Monthly contact volumes: calls received and survey invitations (101), chats (Live Chat).

They turn a count of responses into a response rate and a margin of error.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from insight.definition import Definition, normalise_label
from insight.ingest import sha256_of
from insight.periods import PeriodRange, parse_range
from insight.reading import ExportError, RawTable, read_export
from insight.redact import safe_file_name, scrub
from insight.store import VOLUME_SCHEMA, Store, UploadRecord


class VolumesError(ValueError):
    """A volumes file that cannot be read; nothing is stored."""


def _count(col: str | None, found: dict[str, str]) -> pl.Expr:
    if col is None:
        return pl.lit(None, pl.Int64)
    text = pl.col(found[col]).str.replace_all(r"[,\s]", "")
    return text.cast(pl.Int64, strict=False)


def _wanted(definition: Definition) -> list[str]:
    spec = definition.volumes
    if spec is None:
        raise VolumesError(f"{definition.dataset} has no contact volumes in its definition")
    return [c for c in (spec.period_column, spec.contacts, spec.invitations) if c]


def read_volumes(data: bytes, file_name: str, definition: Definition) -> pl.DataFrame:
    """One row per month: period (``2019-06``), contacts, invitations. Raises VolumesError."""
    try:
        raw = read_export(data, file_name, {normalise_label(c) for c in _wanted(definition)})
    except ExportError as exc:
        raise VolumesError(f"{safe_file_name(file_name)} {exc}") from None
    return volumes_from_raw(raw, file_name, definition)


def volumes_from_raw(raw: RawTable, file_name: str, definition: Definition) -> pl.DataFrame:
    """The months of a volumes file already read (the Upload page reads each file once)."""
    wanted = _wanted(definition)
    spec = definition.volumes
    assert spec is not None
    file_name = safe_file_name(file_name)
    by_norm = {normalise_label(c): c for c in raw.frame.columns}
    missing = [c for c in wanted if normalise_label(c) not in by_norm]
    if missing:
        raise VolumesError(f"{file_name}: missing column(s) {missing}")
    found = {c: by_norm[normalise_label(c)] for c in wanted}
    month = pl.concat_str(pl.lit("01 "), pl.col(found[spec.period_column]).str.strip_chars())
    frame = raw.frame.select(
        pl.col("__row").alias("row"),
        pl.col(found[spec.period_column]).alias("raw_month"),
        month.str.strptime(pl.Date, f"%d {spec.period_format}", strict=False).dt.strftime("%Y-%m").alias("period"),
        _count(spec.contacts, found).alias("contacts"),
        _count(spec.invitations, found).alias("invitations"),
    )
    bad = frame.filter(
        pl.col("period").is_null()
        | (pl.lit(spec.contacts is not None) & pl.col("contacts").is_null())
        | (pl.lit(spec.invitations is not None) & pl.col("invitations").is_null())
    )
    if bad.height:
        rows = ", ".join(
            f"row {r} ({scrub(m or '', 30)!r})" for r, m in bad.select("row", "raw_month").head(10).iter_rows()
        )
        raise VolumesError(f"{file_name}: unreadable month or count on {rows}; months are written like 'Jun 2019'")
    if frame.get_column("period").is_duplicated().any():
        raise VolumesError(f"{file_name}: a month appears twice")
    return frame.select(list(VOLUME_SCHEMA)).cast(VOLUME_SCHEMA).sort("period")  # type: ignore[arg-type]


def ingest_volumes(path: Path, definition: Definition, store: Store, *, user: str) -> UploadRecord:
    """Read a volumes file and merge its months into the dataset's volumes table."""
    data = Path(path).read_bytes()
    frame = read_volumes(data, Path(path).name, definition)
    return store.import_volumes(
        definition.dataset,
        frame,
        file_name=safe_file_name(Path(path).name),
        sha256=sha256_of(data),
        user=user,
    )


def volumes_for(
    volumes: pl.DataFrame | None, definition: Definition, period: str | PeriodRange
) -> tuple[int | None, int | None]:
    """Contacts and invitations in a period or range (months added up; a missing month means unknown)."""
    if volumes is None or volumes.height == 0:
        return None, None
    span = period if isinstance(period, PeriodRange) else parse_range(period, definition.period.granularity)
    months = span.months()
    rows = volumes.filter(pl.col("period").is_in(months))
    if rows.height < len(months):
        return None, None

    def total(col: str) -> int | None:
        values = rows.get_column(col)
        return None if values.null_count() else int(values.sum())

    return total("contacts"), total("invitations")


def recognise_volumes(columns: list[str], definitions: dict[str, Definition]) -> str | None:
    """The dataset whose contact-volumes layout a file's header has, if any."""
    header = {normalise_label(c) for c in columns}
    for name, d in definitions.items():
        spec = d.volumes
        if spec and all(
            normalise_label(c) in header for c in (spec.period_column, spec.contacts, spec.invitations) if c
        ):
            return name
    return None
