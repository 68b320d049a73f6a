"""Reading monthly volumes files: calls received and survey invitations (101), chats (Live Chat), and a
survey's funnel (the victim survey: crimes in scope, why victims were not surveyed, surveys sent).

They turn a count of responses into a response rate, a margin of error and the survey's reach
(``insight.figures.validity``, ``insight.figures.reach``).
"""

from __future__ import annotations

import polars as pl

from insight.config.definition import Definition, Volumes, normalise_label
from insight.config.layout import volume_schema
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


def _spec(definition: Definition) -> Volumes:
    if definition.volumes is None:
        raise VolumesError(f"{definition.dataset} has no contact volumes in its definition")
    return definition.volumes


def read_volumes(data: bytes, file_name: str, definition: Definition) -> pl.DataFrame:
    """One row per month: period (``2019-06``), contacts, invitations, then each named count. Raises VolumesError."""
    wanted = _spec(definition).columns
    try:
        raw = read_export(data, file_name, {normalise_label(c) for c in wanted})
    except ExportError as exc:
        raise VolumesError(f"{safe_file_name(file_name)} {exc}") from None
    return volumes_from_raw(raw, file_name, definition)


def volumes_from_raw(raw: RawTable, file_name: str, definition: Definition) -> pl.DataFrame:
    """The months of a volumes file already read (the Upload page reads each file once)."""
    spec = _spec(definition)
    wanted = spec.columns
    file_name = safe_file_name(file_name)
    by_norm = {normalise_label(c): c for c in raw.frame.columns}
    missing = [c for c in wanted if normalise_label(c) not in by_norm]
    if missing:
        raise VolumesError(f"{file_name}: missing column(s) {missing}")
    found = {c: by_norm[normalise_label(c)] for c in wanted}
    month = pl.concat_str(pl.lit("01 "), pl.col(found[spec.period_column]).str.strip_chars())
    counts = {"contacts": spec.contacts, "invitations": spec.invitations}
    counts.update({key: c.column for key, c in spec.counts.items()})
    frame = raw.frame.select(
        pl.col("__row").alias("row"),
        pl.col(found[spec.period_column]).alias("raw_month"),
        month.str.strptime(pl.Date, f"%d {spec.period_format}", strict=False).dt.strftime("%Y-%m").alias("period"),
        *(_count(column, found).alias(key) for key, column in counts.items()),
    )
    given = [key for key, column in counts.items() if column]
    unreadable = pl.any_horizontal(pl.col("period").is_null(), *(pl.col(k).is_null() | (pl.col(k) < 0) for k in given))
    bad = frame.filter(unreadable)
    if bad.height:
        rows = ", ".join(
            f"row {r} ({scrub(m or '', 30)!r})" for r, m in bad.select("row", "raw_month").head(10).iter_rows()
        )
        raise VolumesError(
            f"{file_name}: unreadable month or count on {rows}; months are written like 'Jun 2019' and counts are "
            "whole numbers, 0 or more"
        )
    if frame.get_column("period").is_duplicated().any():
        raise VolumesError(f"{file_name}: a month appears twice")
    _check_funnel(frame, spec, file_name)
    schema = volume_schema(definition)
    return frame.select(list(schema)).cast(schema).sort("period")


def _check_funnel(frame: pl.DataFrame, spec: Volumes, file_name: str) -> None:
    """The exclusions and the invitations cannot add up to more than the contacts they came from."""
    excluded = [c.key for c in spec.exclusions]
    if not excluded:
        return
    over = frame.filter(pl.sum_horizontal(*excluded, "invitations") > pl.col("contacts"))
    if over.height:
        month, contacts, taken = over.select("raw_month", "contacts", pl.sum_horizontal(*excluded, "invitations")).row(
            0
        )
        raise VolumesError(
            f"{file_name}: in {scrub(month or '', 30)!r} the exclusions and the invitations add up to {taken:,}, more "
            f"than the {contacts:,} {spec.contacts_label} they come from"
            + (f" (and in {over.height - 1} other month(s))" if over.height > 1 else "")
        )


def recognise_volumes(columns: list[str], definitions: dict[str, Definition]) -> str | None:
    """The dataset whose contact-volumes layout a file's header has, if any (the one reading most columns)."""
    header = {normalise_label(c) for c in columns}
    fits = [
        (len(d.volumes.columns), name)
        for name, d in definitions.items()
        if d.volumes and all(normalise_label(c) in header for c in d.volumes.columns)
    ]
    return max(fits)[1] if fits else None
