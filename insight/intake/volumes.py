"""Reading monthly contact volumes files: calls received and survey invitations (101), chats (Live Chat).

They turn a count of responses into a response rate and a margin of error
(``insight.figures.validity``).
"""

from __future__ import annotations

import polars as pl

from insight.config.definition import Definition, normalise_label
from insight.config.layout import VOLUME_SCHEMA
from insight.intake.masking import safe_file_name, scrub
from insight.intake.raw_table import ExportError, RawTable
from insight.intake.reading import read_export


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
    return frame.select(list(VOLUME_SCHEMA)).cast(VOLUME_SCHEMA).sort("period")


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
