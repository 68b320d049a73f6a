"""Turning a messy export into one tidy frame, with a validation report.

One row per response; typed columns (Enum for answer scales and dimensions, Date for
the response date, text for the period); PII dropped at the door; labels normalised.
Nothing here prints or writes: the store decides what is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import polars as pl

from insight.config.definition import NOT_STATED, Definition, Dimension, normalise_label
from insight.config.layout import empty_frame, tidy_columns
from insight.intake.masking import (
    ID_LOOKALIKES,
    QUOTE_MARGIN,
    mask_pii_series,
    normalise_expr,
    normalise_series,
    quoted,
    safe_file_name,
    scrub,
)
from insight.intake.pseudonyms import Pseudonyms, find_key
from insight.intake.raw_table import ExportError, RawTable
from insight.intake.reading import read_export
from insight.periods import calendar_index, check_wave, first_period, last_period, period_expr, period_start

# Formats tried after the definition's own: how Excel cells arrive once read as text.
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
# A file spanning more than this many periods is probably not one month's export.
SPAN_WARNING = {"month": 24, "quarter": 8}
ANY_LOOKALIKE = "|".join(f"(?:{pattern})" for pattern in ID_LOOKALIKES.values())
# A composite ID's parts are joined by this, each part's own `\` and `|` escaped (`\\`, `\|`): see response_key.
KEY_SEPARATOR = "|"
# A free-text cell longer than this is cut to it at import (a row note says so): a comment box holds a
# few hundred words, and one cell of 200 MB would otherwise reach every page that shows comments.
MAX_TEXT_CHARS = 10_000
CUT_MARK = "..."  # ends a cut text: as normalisation leaves it (it would write "…" as "..." when masking again)
# A value a message, the problems table or the rejects file quotes is cut to this.
QUOTE_CHARS = 200
IGNORED_SHOWN = 50  # the columns not used, named in a report; the rest counted
PROBLEM_SCHEMA = pl.Schema(
    {"row": pl.Int64, "column": pl.String, "value": pl.String, "problem": pl.String, "allowed": pl.String}
)


class AmbiguousDates(ExportError):
    """The file's dates read more than one way with the definition's formats, giving different months."""


class GivenValueError(ExportError):
    """A value the file cannot say itself (``given_at_import``) is missing or not allowed."""


@dataclass
class ValidationReport:
    dataset: str
    file_name: str
    sha256: str
    rows_read: int
    header_row: int
    encoding: str
    missing_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problems: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PROBLEM_SCHEMA))
    periods: list[str] = field(default_factory=list)
    blank_rows: int = 0
    period_counts: dict[str, int] = field(default_factory=dict)  # valid responses per period
    left_out: list[tuple[str, int]] = field(default_factory=list)  # (reason, rows) from the `include:` filter
    warnings: list[str] = field(default_factory=list)  # worth a look, but no row is wrong
    # Rows imported with a change (a comment cut to MAX_TEXT_CHARS): PROBLEM_SCHEMA, but the rows are valid.
    notes: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PROBLEM_SCHEMA))
    key_fingerprint: str | None = None  # the pseudonym key's fingerprint, when the definition pseudonymises

    @property
    def invalid_rows(self) -> int:
        return self.problems["row"].n_unique() if self.problems.height else 0

    @property
    def left_out_rows(self) -> int:
        return sum(n for _, n in self.left_out)

    @property
    def valid_rows(self) -> int:
        return 0 if self.missing_columns else self.rows_read - self.invalid_rows - self.left_out_rows

    def left_out_text(self) -> str:
        """``7 rows left out: RESIDENT not Yes; 2 rows left out: Finished not TRUE`` (empty when none)."""
        return "; ".join(f"{n:,} row(s) left out: {reason}" for reason, n in self.left_out if n)

    def period_counts_text(self) -> str:
        return ", ".join(f"{p}: {n:,}" for p, n in self.period_counts.items())

    @property
    def ok(self) -> bool:
        return not self.missing_columns and self.problems.height == 0

    def describe(self, limit: int = 20) -> str:
        """Plain-words account of what is wrong, for stderr and the upload page."""
        lines = [f"{self.file_name}: {self.rows_read} rows read for {self.dataset} (header on row {self.header_row})."]
        if self.missing_columns:
            lines.append("Missing columns: " + ", ".join(repr(c) for c in self.missing_columns) + ".")
        if self.problems.height:
            lines.append(f"{self.invalid_rows} row(s) have problems:")
            for p in self.problems.head(limit).iter_rows(named=True):
                line = f"  row {p['row']}, column {p['column']!r}: {p['problem']}"
                if p["value"] is not None:
                    line += f" {p['value']!r}"
                if p["allowed"]:
                    line += f" (allowed: {p['allowed']})"
                lines.append(line)
            if self.problems.height > limit:
                lines.append(f"  ... and {self.problems.height - limit} more problem(s)")
        lines += self.describe_notes(limit)
        return "\n".join(lines)

    def describe_notes(self, limit: int = 20) -> list[str]:
        """The rows imported with a change, one line each (none when there are none)."""
        if not self.notes.height:
            return []
        lines = [f"{self.notes.height} cell(s) will be imported changed:"]
        for note in self.notes.head(limit).iter_rows(named=True):
            lines.append(f"  row {note['row']}, column {note['column']!r}: {note['problem']}")
        if self.notes.height > limit:
            lines.append(f"  ... and {self.notes.height - limit} more")
        return lines


@dataclass
class IngestResult:
    frame: pl.DataFrame  # the valid rows, tidy
    rejected: pl.DataFrame  # the invalid rows: row, reasons, and their non-PII columns
    report: ValidationReport


# --------------------------------------------------------------------------- shaping


def _column_map(raw: RawTable, definition: Definition) -> tuple[dict[str, str], list[str], list[str]]:
    """Definition column -> file column; missing and ignored columns."""
    by_norm: dict[str, str] = {}
    for col in raw.columns:
        if col != "__row":
            by_norm.setdefault(normalise_label(col), col)
    wanted = definition.required_columns()
    found = {c: by_norm[normalise_label(c)] for c in wanted if normalise_label(c) in by_norm}
    optional = set(definition.optional_columns())
    missing = [c for c in wanted if c not in found and c not in optional]
    known = {normalise_label(c) for c in wanted} | {normalise_label(c) for c in definition.pii_columns}
    # Header names are file text too: shown only scrubbed, and only so many of them.
    unused = [c for c in raw.columns if c != "__row" and normalise_label(c) not in known]
    ignored = [scrub(c, limit=200) for c in unused[:IGNORED_SHOWN]]
    if len(unused) > IGNORED_SHOWN:
        ignored.append(f"and {len(unused) - IGNORED_SHOWN:,} more")
    return found, missing, ignored


def _problems(work: pl.DataFrame, mask: pl.Expr, column: str, problem: str, allowed: str | None = None) -> pl.DataFrame:
    """One problem row per row of ``work`` matching ``mask``; the value shown is masked for PII and cut short."""
    return work.filter(mask).select(
        pl.col("__row").alias("row"),
        pl.lit(column, pl.String).alias("column"),
        quoted(pl.col(column).cast(pl.String), QUOTE_CHARS).alias("value"),
        pl.lit(problem, pl.String).alias("problem"),
        pl.lit(allowed, pl.String).alias("allowed"),
    )


def _distinct(frame: pl.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Every column's distinct values (nulls left out), found in one parallel pass."""
    columns = list(dict.fromkeys(columns))
    if not columns:
        return {}
    row = frame.select(pl.col(c).drop_nulls().unique().implode() for c in columns).row(0)
    return dict(zip(columns, (list(v) for v in row), strict=True))


def _relabel(values: pl.Series, lookup: dict[str, str], dtype: pl.Enum) -> pl.Series:
    """Each value's label from ``lookup`` (null when it has none), typed ``dtype``.

    A dictionary-coded (Categorical) column is relabelled through its codes: one small table
    of labels by code, then one gather, instead of looking every row's text up.
    """
    if values.dtype == pl.Categorical:
        codes = values.to_physical()
        top = cast("int | None", codes.max())  # the codes are UInt32; polars types a max as any Python value
        if top is None or int(top) < 1_000_000:
            size = 0 if top is None else int(top) + 1
            table: list[str | None] = [None] * size
            keys = list(lookup)
            for key, code in zip(keys, pl.Series(keys, dtype=pl.Categorical).to_physical().to_list(), strict=True):
                if code < size:
                    table[code] = lookup[key]
            return pl.Series(values.name, table, dtype=dtype).gather(codes)
    return values.replace_strict(lookup, default=None, return_dtype=dtype)


def _label_lookup(values: list[str], mapping: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Raw value -> canonical label for every distinct value, and the values that are unknown."""
    lookup: dict[str, str] = {}
    unknown: list[str] = []
    for value in values:
        norm = normalise_label(value)
        if norm in mapping:
            lookup[value] = mapping[norm]
        elif norm:
            unknown.append(value)
    return lookup, unknown


def _date_order(fmt: str) -> tuple[str, ...]:
    """The order a format writes day, month and year in: formats differing only in time read one way."""
    codes = re.findall(r"%[-_0^#]?([dmbByYeh])", fmt)
    return tuple({"e": "d", "h": "b", "B": "b", "y": "Y"}.get(c, c) for c in codes)


def _ways(formats: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The formats grouped by the order they write dates in, in the order first listed."""
    ways: dict[tuple[str, ...], list[str]] = {}
    for fmt in formats:
        ways.setdefault(_date_order(fmt), []).append(fmt)
    return [tuple(fmts) for fmts in ways.values()]


def parse_dates(raw: pl.Series, formats: tuple[str, ...]) -> pl.Series:
    """Dates in one way's formats, then the ISO forms Excel cells arrive in.

    Each further format is tried only when some dates are still unread, so a clean
    column is parsed once.
    """
    text = raw.str.strip_chars()
    out = text.str.strptime(pl.Datetime("us"), formats[0], strict=False)
    for fmt in (*formats[1:], *ISO_FORMATS):
        if not (out.is_null() & text.is_not_null()).any():
            break
        out = pl.select(pl.coalesce(out, text.str.strptime(pl.Datetime("us"), fmt, strict=False))).to_series()
    return out.dt.date().alias("date")


def read_dates(raw: pl.Series, formats: tuple[str, ...]) -> tuple[pl.Series, tuple[str, ...]]:
    """The file's dates read one way, and that way's formats.

    A file's dates must all read one way (day-first or month-first, say). When several of
    the listed ways read every date and they disagree about a month, the file is refused
    as ambiguous (AmbiguousDates), naming the formats and an example value; otherwise the
    way that reads the most dates is used and the rest are row problems.
    """
    ways = _ways(formats)
    first = parse_dates(raw, ways[0])
    if len(ways) == 1:
        return first, ways[0]
    present = raw.str.strip_chars().is_not_null()
    parsed = [first, *(parse_dates(raw, way) for way in ways[1:])]
    unread = [int((p.is_null() & present).sum()) for p in parsed]
    full = [i for i, n in enumerate(unread) if n == 0]
    if len(full) > 1:
        a = full[0]
        month = parsed[a].dt.strftime("%Y-%m")
        for b in full[1:]:
            differ = (month != parsed[b].dt.strftime("%Y-%m")).fill_null(False)
            if differ.any():
                i = differ.arg_max()
                assert i is not None  # some row differs
                value = pl.select(quoted(pl.lit(raw[i], pl.String), QUOTE_CHARS)).item()
                raise AmbiguousDates(
                    f"has dates that read two ways: {value!r} is {parsed[a][i]:%d %B %Y} as {' or '.join(ways[a])} "
                    f"but {parsed[b][i]:%d %B %Y} as {' or '.join(ways[b])}, and every date in the file fits "
                    "both. Nothing was imported: export the dates unambiguously (e.g. 2024-08-14), or list only "
                    "the format this file uses in the survey definition."
                )
        return parsed[a], ways[a]
    best = min(range(len(ways)), key=lambda i: unread[i])
    return parsed[best], ways[best]


def _date_form(fmt: str) -> str:
    for code, form in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%H", "HH"), ("%M", "MM"), ("%S", "SS")):
        fmt = fmt.replace(code, form)
    return fmt


def periods_of(dates: pl.Series, granularity: str) -> pl.Series:
    """The period of every date, written once per distinct date (a file spans a few hundred days)."""
    days = dates.drop_nulls().unique()
    labels = pl.select(period_expr(pl.lit(days), granularity)).to_series()
    return dates.replace_strict(days, labels, default=None, return_dtype=pl.String).alias("period")


def _dated(raw: pl.Series, formats: tuple[str, ...], granularity: str) -> tuple[pl.Series, pl.Series, tuple[str, ...]]:
    """``read_dates`` and each date's period, in one go (made in a thread of its own)."""
    dates, way = read_dates(raw, formats)
    return dates, periods_of(dates, granularity), way


def given_values(definition: Definition, given: dict[str, str] | None) -> dict[str, str]:
    """The values a file cannot say itself (period and/or dimensions), checked; raises GivenValueError."""
    given = {k: v for k, v in (given or {}).items() if v is not None and str(v).strip()}
    needed = definition.given_at_import()
    extra = sorted(set(given) - set(needed))
    if extra:
        raise GivenValueError(
            f"{', '.join(extra)} cannot be given at import for {definition.title}"
            + (f"; only {', '.join(needed)} can" if needed else "")
        )
    out: dict[str, str] = {}
    for key in needed:
        if key not in given:
            example = "--period 2019-09" if key == "period" else f"--set {key}=VALUE"
            what = "the period" if key == "period" else f"its {definition.dimensions[key].label.lower()}"
            raise GivenValueError(
                f"{definition.title} files do not say {what}: give it at import ({example}; on the Upload page, "
                "fill in the box above the preview)"
            )
        if key == "period":
            try:
                out[key] = check_wave(given[key], definition.period.granularity)
            except ValueError as exc:
                raise GivenValueError(str(exc)) from None
            continue
        dim = definition.dimensions[key]
        group = dim.label_map().get(normalise_label(given[key]))
        if group is None:
            raise GivenValueError(f"{given[key]!r} is not a {dim.label.lower()}; choose from {', '.join(dim.values)}")
        out[key] = group
    return out


# --------------------------------------------------------------------------- normalisation steps


def _blank_missing_markers(frame: pl.DataFrame, definition: Definition, columns: list[str]) -> pl.DataFrame:
    """Cells holding a `missing:` marker (NA, #N/A, -99...) become blank."""
    if not definition.missing:
        return frame
    markers = [m.strip().lower() for m in definition.missing]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.strip_chars().str.to_lowercase().is_in(markers))
        .then(None)
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    )


def _include_rows(
    frame: pl.DataFrame, definition: Definition, found: dict[str, str]
) -> tuple[pl.DataFrame, list[tuple[str, int]]]:
    """Keep the rows the `include:` filter keeps; count the rest under the first condition they fail."""
    left_out: list[tuple[str, int]] = []
    for column, values in definition.include.items():
        wanted = [normalise_label(v) for v in values]
        cell = pl.col(found[column]).cast(pl.String).str.strip_chars().str.to_lowercase()
        keep = frame.select(cell.is_in(wanted).fill_null(False)).to_series()
        n = frame.height - int(keep.sum())
        if n:
            left_out.append((f"{column} not {' or '.join(values)}", n))
            frame = frame.filter(keep)
    return frame, left_out


def is_blank(column: str) -> pl.Expr:
    """A cell with nothing in it, or only spaces: blank everywhere (docs/surveys.md)."""
    return pl.col(column).is_null() | (pl.col(column).cast(pl.String).str.strip_chars() == "")


# --------------------------------------------------------------------------- the response key


def id_parts(definition: Definition, found: dict[str, str]) -> list[str]:
    """The file columns whose values name a response: one, or the parts of a composite `id_column`."""
    return [found[c] for c in definition.id_columns]


def response_key(parts: list[str]) -> pl.Expr:
    """The ID stored for a response, built from its part columns.

    One column: its value, trimmed. Several (`id_column: [essround, idno]`): each value trimmed, a
    ``\\`` or ``|`` inside it escaped as ``\\\\`` or ``\\|``, joined by ``|`` (round 3, respondent 1234:
    ``3|1234``). The escaping makes the joining reversible, so no two combinations give one key.
    Blank when any part is blank (a "missing ID" problem names that part).
    """
    if len(parts) == 1:
        return pl.col(parts[0]).cast(pl.String).str.strip_chars()
    escaped = [
        pl.col(c).cast(pl.String).str.strip_chars()
        .str.replace_all("\\", "\\\\", literal=True).str.replace_all(KEY_SEPARATOR, "\\" + KEY_SEPARATOR, literal=True)
        for c in parts
    ]  # fmt: skip
    return pl.concat_str(escaped, separator=KEY_SEPARATOR)


def _id_checks(parts: list[str]) -> list[tuple[pl.Expr, str, str, str | None]]:
    """Each part of the ID must be there: a blank part is a "missing ID" problem on its column."""
    return [(is_blank(c), c, "missing ID", None) for c in parts]


def _id_lookalikes(parts: list[str]) -> list[tuple[pl.Expr, str, str, str | None]]:
    """The ID is the one column kept as it is: no part of it may carry personal data into the store, in any
    disguise (each part read normalised, as masking reads text)."""
    return [
        (normalise_expr(pl.col(c).cast(pl.String).str.strip_chars()).str.contains(pattern), c,
         f"ID looks like {kind}; IDs must not hold personal data", None)
        for c in parts
        for kind, pattern in ID_LOOKALIKES.items()
    ]  # fmt: skip


# --------------------------------------------------------------------------- answers across columns


def _chosen(column: str, dim: Dimension) -> pl.Expr:
    """A `columns` dimension's cell is an answer chosen unless blank, 0, or one of `not_chosen`."""
    cell = pl.col(column).cast(pl.String).str.strip_chars()
    zero = cell.cast(pl.Float64, strict=False) == 0
    unchosen = [normalise_label(v) for v in dim.not_chosen]
    refused = cell.str.to_lowercase().is_in(unchosen) if unchosen else pl.lit(False)
    return ~(is_blank(column) | zero.fill_null(False) | refused)


def across_columns(dim: Dimension, found: dict[str, str]) -> pl.Expr:
    """A row's answers across columns as one group, exactly as a multi-select cell's parts are
    (``_multi_lookup``): the one group its answers fall in, `several` when in more, else Not stated."""
    mapping = dim.label_map()
    in_group: dict[str, list[pl.Expr]] = {}
    for column, label in dim.columns.items():
        group = mapping[normalise_label(label)]
        if group != NOT_STATED:
            in_group.setdefault(group, []).append(_chosen(found[column], dim))
    has = {g: pl.any_horizontal(chosen) for g, chosen in in_group.items()}
    count = pl.sum_horizontal([h.cast(pl.Int32) for h in has.values()]) if has else pl.lit(0)
    one = pl.coalesce([pl.when(h).then(pl.lit(g)) for g, h in has.items()]) if has else pl.lit(None, pl.String)
    assert dim.several is not None
    value = pl.when(count == 0).then(pl.lit(NOT_STATED)).when(count > 1).then(pl.lit(dim.several)).otherwise(one)
    return value.cast(pl.Enum(dim.values))


def _multi_lookup(values: list[str], dim: Dimension) -> tuple[dict[str, str], list[str]]:
    """A multi-select cell -> its one group, or the `several` group when its parts fall in more than one."""
    mapping = dim.label_map()
    lookup: dict[str, str] = {}
    unknown: list[str] = []
    assert dim.separator is not None and dim.several is not None
    for value in values:
        parts = [normalise_label(p) for p in value.split(dim.separator)]
        parts = [p for p in parts if p]
        if any(p not in mapping for p in parts):
            unknown.append(value)
            continue
        groups = {mapping[p] for p in parts} - {NOT_STATED}
        lookup[value] = NOT_STATED if not groups else (groups.pop() if len(groups) == 1 else dim.several)
    return lookup, unknown


def _weight_checks(definition: Definition, found: dict[str, str]) -> tuple[list[pl.Expr], list[tuple]]:
    """The vendor's weight as a number, and its checks: a weight that is not a positive number is a row problem;
    a blank one (or a file without the column) is one only with `on_missing: error`, else the weight is blank."""
    if definition.weight is None:
        return [], []
    col = found.get(definition.weight.column)
    if col is None:  # a file without the column: no response in it has a weight (allowed unless `error`)
        return [pl.lit(None, pl.Float64).alias("weight")], []
    blank = is_blank(col)
    weight = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(",", "").cast(pl.Float64, strict=False)
    ok = weight.is_finite() & (weight > 0)
    checks = [(~blank & ~ok.fill_null(False), col, "weight is not a positive number", None)]
    if definition.weight.on_missing == "error":
        checks.insert(0, (blank, col, "missing weight", None))
    return [pl.when(ok).then(weight).alias("weight")], checks


def latest_plausible_date(today: dt.date) -> dt.date:
    """The end of next month: a later date is a typo (a stray 2099 would become every page's latest period)."""
    year, month = (today.year, today.month + 2) if today.month <= 10 else (today.year + 1, today.month - 10)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def _span_warning(periods: list[str], granularity: str, rows: int, with_problems: int) -> str | None:
    """A file covering more than two years is rarely one month's export: say so in the preview.

    ``periods`` are those of every row whose period could be found, accepted or not (``rows`` of them,
    ``with_problems`` with problems), so the warning describes the whole file (but for rows the `include:`
    filter left out, which the preview counts on their own)."""
    if not periods:
        return None
    first = min(calendar_index(p) for p in periods)
    last = max(calendar_index(last_period(p)) for p in periods)
    span, unit = last - first + 1, "quarters" if granularity == "quarter" else "months"
    if span <= SPAN_WARNING[granularity]:
        return None
    start = first_period(min(periods, key=calendar_index))
    end = last_period(max(periods, key=lambda p: calendar_index(last_period(p))))
    rejected = f", {with_problems:,} of them with problems" if with_problems else ""
    return (
        f"This file covers {span} {unit} ({start} to {end}, in {rows:,} rows{rejected}), more than "
        f"{SPAN_WARNING[granularity]}: check it is the export you meant (a mistyped year moves a response far away)."
    )


def _labels(
    frame: pl.DataFrame,
    definition: Definition,
    found: dict[str, str],
    fixed: dict[str, str],
    distinct: dict[str, list[str]],
) -> tuple[list[pl.Expr], list[tuple[str, list[str], str, str]]]:
    """The ID, every dimension and every answer as tidy columns; and each column's unknown labels
    as (file column, unknown values, problem, allowed)."""
    exprs: list[pl.Expr] = []
    label_checks: list[tuple[str, list[str], str, str]] = []
    for key, dim in definition.dimensions.items():
        if dim.columns:  # answers across columns: one group, as a multi-select cell gives
            exprs.append(across_columns(dim, found).alias(key))
            continue
        if dim.column is None:  # one value for the whole file, given at import
            exprs.append(pl.lit(fixed[key], dtype=pl.Enum(dim.values)).alias(key))
            continue
        if dim.optional and dim.column not in found:  # an older export without the column: nobody said
            exprs.append(pl.lit(NOT_STATED, dtype=pl.Enum(dim.values)).alias(key))
            continue
        file_col = found[dim.column]
        if dim.separator:
            lookup, unknown = _multi_lookup(distinct[file_col], dim)
        else:
            lookup, unknown = _label_lookup(distinct[file_col], dim.label_map())
        if dim.others is not None:  # a label not listed is counted in the others group, not a problem
            lookup.update(dict.fromkeys(unknown, dim.others))
            unknown = []
        relabelled = _relabel(frame.get_column(file_col), lookup, pl.Enum(dim.values))
        exprs.append(pl.lit(relabelled).fill_null(NOT_STATED).alias(key))
        if unknown:
            allowed = [*dim.allowed_labels(), *dim.codes]
            label_checks.append((file_col, unknown, "unknown label", ", ".join(allowed)))
    for key, column in definition.answer_columns.items():
        scale = definition.questions[key].scale
        lookup, unknown = _label_lookup(distinct[found[column]], scale.answer_map())
        answers = pl.Enum(scale.answers)
        exprs.append(pl.lit(_relabel(frame.get_column(found[column]), lookup, answers)).alias(key))
        if unknown:
            allowed = [*scale.answers, *(f"{c} ({a})" for c, a in scale.codes.items())]
            label_checks.append((found[column], unknown, "unknown answer", ", ".join(allowed)))
    return exprs, label_checks


def _comments(frame: pl.DataFrame, column: str) -> tuple[pl.Series, pl.DataFrame]:
    """Free text trimmed (blank is no comment), cut to MAX_TEXT_CHARS, normalised and masked (only where
    something can change); and a note for each cell cut.

    A long cell is cut a little beyond the limit before masking and at the limit after, so nothing
    that starts before the cut is left half unmasked.
    """
    text = pl.col(column).str.strip_chars()
    length = text.str.len_chars()
    cells = frame.select(pl.when(text != "").then(text), length.alias("__length"), "__row")
    values = cells.get_column(column)
    long = cells.filter(pl.col("__length") > MAX_TEXT_CHARS)
    if long.height:
        values = values.str.slice(0, MAX_TEXT_CHARS + QUOTE_MARGIN)
    masked = mask_pii_series(values)
    if not long.height:
        return masked, pl.DataFrame(schema=PROBLEM_SCHEMA)
    masked = (
        pl.select(
            pl.when(pl.lit(cells.get_column("__length")) > MAX_TEXT_CHARS)
            .then(pl.lit(masked).str.slice(0, MAX_TEXT_CHARS - len(CUT_MARK)) + CUT_MARK)
            .otherwise(pl.lit(masked))
        )
        .to_series()
        .alias(masked.name)
    )
    notes = long.select(
        pl.col("__row").alias("row"),
        pl.lit(column, pl.String).alias("column"),
        pl.lit(None, pl.String).alias("value"),
        pl.format(
            "cut to {} characters (it had {}): longer free text is not kept",
            pl.lit(f"{MAX_TEXT_CHARS:,}"),
            # thousands written in Python once per cell cut, then looked up (never map_elements: see
            # insight.display.tables.in_words)
            pl.col("__length").replace_strict(
                {n: f"{n:,}" for n in long.get_column("__length").unique().to_list()}, return_dtype=pl.String
            ),
        ).alias("problem"),
        pl.lit(None, pl.String).alias("allowed"),
    )
    return masked, notes


def pseudonymiser(definition: Definition, key: str | None = None) -> Pseudonyms | None:
    """The definition's pseudonyms under the key (found in the environment or secrets when not given);
    None when it pseudonymises nothing. Raises KeyMissing (one sentence) when it does and there is no key."""
    if not definition.needs_key:
        return None
    what = list(definition.id_columns) if definition.id_pseudonymise else []
    what += list(definition.pseudonymise)
    why = f"the {definition.title} definition pseudonymises {', '.join(what)}"
    return Pseudonyms.for_import(key or find_key(), why)


def _ids(frame: pl.DataFrame, parts: list[str], pseudonyms: Pseudonyms | None) -> tuple[pl.Series, bool]:
    """The ID as stored (its parts trimmed and joined: ``response_key``; or, under ``id_pseudonymise``, the
    pseudonym of its parts), and whether any repeats."""
    if pseudonyms is not None:
        ids = pseudonyms.of_parts([frame.get_column(c) for c in parts])
    else:
        ids = frame.select(response_key(parts)).to_series()
    ids = ids.alias("id")
    return ids, _repeats(ids)


def shape(
    raw: RawTable,
    definition: Definition,
    file_name: str,
    sha256: str,
    given: dict[str, str] | None = None,
    *,
    today: dt.date | None = None,
    key: str | None = None,
) -> IngestResult:
    """Validate a raw table against a definition and make the tidy frame.

    ``given`` holds what the file cannot say itself (``given_at_import``): ``period`` and dimension keys.
    ``today`` (tests) decides which dates are in the future. ``key``: the pseudonym key, when the definition
    pseudonymises (found with ``find_key`` when not given; KeyMissing without one).
    """
    frame = raw.frame
    file_name = safe_file_name(file_name)
    found, missing, ignored = _column_map(raw, definition)
    report = ValidationReport(
        dataset=definition.dataset,
        file_name=file_name,
        sha256=sha256,
        rows_read=frame.height,
        header_row=raw.header_row,
        encoding=raw.encoding,
        missing_columns=missing,
        ignored_columns=ignored,
        blank_rows=raw.blank_rows,
    )
    if missing:
        return IngestResult(empty_frame(definition), pl.DataFrame(), report)
    fixed = given_values(definition, given)
    pseudonyms = pseudonymiser(definition, key)
    report.key_fingerprint = pseudonyms.fingerprint if pseudonyms else None

    # Normalisation steps: missing markers become blank, then the row filter.
    frame = _blank_missing_markers(frame, definition, list(dict.fromkeys(found.values())))
    frame, report.left_out = _include_rows(frame, definition, found)

    period = definition.period
    # The file's column of dates or wave labels; none when the period is given at import (then never read).
    p_col = "" if period.column is None else found[period.column]
    parts = id_parts(definition, found)
    label_columns = [found[d.column] for d in definition.dimensions.values() if d.column in found]
    label_columns += [found[c] for c in definition.answer_columns.values()]
    if period.waves:
        label_columns.append(p_col)
    dated = not (period.given_at_import or period.waves)
    # The slowest columns (pseudonyms, free text, dates, the duplicate-ID check) are made on two more threads
    # while the labels are looked up: Polars releases the GIL, so they run side by side.
    with ThreadPoolExecutor(max_workers=2) as beside:  # the longest first: pseudonyms, free text
        hashed: dict[str, Future[pl.Series]] = {}
        if pseudonyms is not None:
            hashed = {
                name: beside.submit(pseudonyms.of, frame.get_column(found[col]))
                for name, col in definition.pseudonymised.items()
            }
        ids_job = beside.submit(_ids, frame, parts, pseudonyms if definition.id_pseudonymise else None)
        texts = {name: beside.submit(_comments, frame, found[col]) for name, col in definition.free_text.items()}
        date_col = p_col if dated else ""
        read = beside.submit(_dated, frame.get_column(date_col), period.formats, period.granularity) if dated else None
        distinct = _distinct(frame, label_columns)
        exprs, label_checks = _labels(frame, definition, found, fixed, distinct)
        ids, has_repeats = ids_job.result()
        exprs.append(pl.lit(ids))
        notes = []
        for name, job in texts.items():
            text, cut = job.result()
            exprs.append(pl.lit(text).alias(name))
            notes.append(cut)
        pseudonymised = {name: job.result().alias(name) for name, job in hashed.items()}
        exprs += [pl.lit(values) for values in pseudonymised.values()]
        dates, periods, way = read.result() if read else (None, None, ())
    weight_exprs, weight_checks = _weight_checks(definition, found)
    exprs += weight_exprs

    checks = _id_checks(parts)
    # The ID is kept as it is (unless pseudonymised): no part of it may carry personal data into the store, in
    # any disguise (each pattern reads it normalised, as masking does).
    lookalikes = _id_lookalikes(parts)
    if period.given_at_import:
        exprs += [pl.lit(fixed["period"]).alias("period"), pl.lit(period_start(fixed["period"])).alias("date")]
    elif period.waves:
        waves = {normalise_label(w): p for w, p in period.waves.items()}
        lookup, unknown = _label_lookup(distinct[p_col], waves)
        starts = {v: period_start(p) for v, p in lookup.items()}
        exprs.append(pl.col(p_col).replace_strict(lookup, default=None, return_dtype=pl.String).alias("period"))
        exprs.append(pl.col(p_col).replace_strict(starts, default=None, return_dtype=pl.Date).alias("date"))
        checks.append((is_blank(p_col), p_col, "missing wave", None))
        if unknown:
            label_checks.append((p_col, unknown, "unknown wave", ", ".join(period.waves)))
    else:
        assert dates is not None
        latest = latest_plausible_date(today or dt.date.today())
        exprs += [pl.lit(dates).alias("date"), pl.lit(periods).alias("period")]
        checks += [
            (is_blank(p_col), p_col, "missing date", None),
            (
                ~is_blank(p_col) & pl.col("date").is_null(),
                p_col,
                "unreadable date",
                " or ".join(_date_form(f) for f in way),
            ),
            (pl.col("date") > latest, p_col, "date in the future", f"up to {latest:%d/%m/%Y}"),
            (pl.col("date") < period.earliest, p_col, "date too early", f"from {period.earliest:%d/%m/%Y}"),
        ]

    # One pass builds every tidy column beside the raw ones the checks need.
    work = frame.with_columns(*exprs)
    # Every look-alike pattern at once first (one pass over each part); each on its own only if any matched.
    # A pseudonymised ID is a hash, whatever it was: it holds nothing to look like.
    if not definition.id_pseudonymise and any(id_is_personal_data(frame.get_column(c)).any() for c in parts):
        checks[len(parts) : len(parts)] = lookalikes

    checks += [(pl.col(col).is_in(unknown), col, problem, allowed) for col, unknown, problem, allowed in label_checks]
    checks += weight_checks
    # Count every kind of problem in one pass; only the kinds that occur are listed row by row.
    found_any = work.select([mask.sum().alias(str(i)) for i, (mask, *_) in enumerate(checks)]).row(0)
    problems = [_problems(work, *check) for check, n in zip(checks, found_any, strict=True) if n]
    if has_repeats:
        problems.append(_duplicate_ids(work, " + ".join(parts), quote=not definition.id_pseudonymise))
    if raw.cell_problems.height:  # merged cells, formulas never calculated (workbooks)
        cells = raw.cell_problems.filter(pl.col("row").is_in(frame.get_column("__row").implode()))
        problems.append(cells.select("row", "column", pl.lit(None, pl.String).alias("value"), "problem",
                                     pl.lit(None, pl.String).alias("allowed")))  # fmt: skip

    all_problems = pl.concat([pl.DataFrame(schema=PROBLEM_SCHEMA), *[p.cast(PROBLEM_SCHEMA) for p in problems]])
    all_problems = all_problems.sort("row", "column")
    report.problems = all_problems
    report.notes = _notes(notes, all_problems)
    tidy = work
    if all_problems.height:
        tidy = tidy.filter(~pl.col("__row").is_in(all_problems.get_column("row").unique().implode()))
    counts = tidy.group_by("period").len().drop_nulls("period").sort("period")
    report.period_counts = dict(counts.iter_rows())
    report.periods = list(report.period_counts)
    # The warnings describe the whole file: every row whose period is known, accepted or not.
    every = work.lazy().select("__row", "period").filter(pl.col("period").is_not_null()).collect()
    bad = every.get_column("__row").is_in(all_problems.get_column("row").implode()).sum() if all_problems.height else 0
    span = _span_warning(every.get_column("period").unique().to_list(), period.granularity, every.height, int(bad))
    report.warnings += [span] if span else []
    # The rejects file holds pseudonymised columns (and a pseudonymised ID) as their pseudonyms, never as read.
    kept_as = {definition.pseudonymised[name]: values for name, values in pseudonymised.items()}
    if definition.id_pseudonymise:
        kept_as.update({column: ids for column in definition.id_columns})  # every part: its pseudonym
    rejected = _rejected(frame, all_problems, found, {found[c]: v for c, v in kept_as.items()})
    # Lazily: an eager select copies every column it keeps into one chunk while the file's rows are still held,
    # at the import's peak (gigabytes at 10M rows); the store makes its one copy later, when they are not.
    return IngestResult(tidy.lazy().select(tidy_columns(definition)).collect(), rejected, report)


def id_is_personal_data(part: pl.Series) -> pl.Series:
    """Whether each ID (or each value of one part of a composite ID), trimmed and normalised, looks like any kind
    of personal data masking finds: one pass with every pattern at once (normalising only what it may change)."""
    return normalise_series(part.cast(pl.String).str.strip_chars()).str.contains(ANY_LOOKALIKE).fill_null(False)


def _notes(notes: list[pl.DataFrame], problems: pl.DataFrame) -> pl.DataFrame:
    """The cells imported changed, in rows that are imported (an invalid row's note would say nothing)."""
    every = pl.concat([pl.DataFrame(schema=PROBLEM_SCHEMA), *notes])
    if problems.height and every.height:
        every = every.filter(~pl.col("row").is_in(problems.get_column("row").implode()))
    return every.sort("row", "column")


def _repeats(ids: pl.Series) -> bool:
    """Whether any ID (as stored) occurs twice: distinct hashes first (cheap), exact count only if they collide."""
    ids = ids.drop_nulls()
    n = ids.len()
    return ids.hash().n_unique() < n and ids.n_unique() < n


def _duplicate_ids(work: pl.DataFrame, id_col: str, *, quote: bool) -> pl.DataFrame:
    """Every repeat of an ID after its first row (``id_col``: the column or columns that name it, as the problem
    names them). ``quote``: show the ID as stored (masked); a pseudonymised one is not shown."""
    ids = work.filter(pl.col("id").is_not_null()).select("__row", "id")
    first = ids.group_by("id").agg(pl.col("__row").min().alias("__first"))
    repeats = ids.join(first, on="id").filter(pl.col("__row") != pl.col("__first"))
    return repeats.select(
        pl.col("__row").alias("row"),
        pl.lit(id_col).alias("column"),
        (quoted(pl.col("id"), QUOTE_CHARS) if quote else pl.lit(None, pl.String)).alias("value"),
        pl.format("duplicate ID (first on row {})", pl.col("__first")).alias("problem"),
        pl.lit(None, pl.String).alias("allowed"),
    )


def _rejected(
    frame: pl.DataFrame, problems: pl.DataFrame, found: dict[str, str], kept_as: dict[str, pl.Series]
) -> pl.DataFrame:
    """The invalid rows with their reasons and their non-PII columns, masked and cut to MAX_TEXT_CHARS.
    ``kept_as``: file column -> what is kept instead of its text (pseudonyms), row for row with ``frame``."""
    if not problems.height:
        return pl.DataFrame()
    if kept_as:
        frame = frame.with_columns(pl.lit(values).alias(column) for column, values in kept_as.items())
    reasons = problems.group_by("row").agg(
        pl.concat_str(
            pl.col("column"),
            pl.lit(": "),
            pl.col("problem"),
            pl.lit(" "),
            pl.col("value").fill_null(""),
            ignore_nulls=True,
        )
        .str.join("; ")
        .alias("reasons")
    )
    cols = list(dict.fromkeys(found.values()))
    rows = frame.filter(pl.col("__row").is_in(reasons.get_column("row").implode()))  # mask only these rows
    rows = rows.select(
        pl.col("__row").alias("row"),
        *[(pl.col(c) if c in kept_as else quoted(pl.col(c).cast(pl.String), MAX_TEXT_CHARS)).alias(c) for c in cols],
    )
    return reasons.join(rows, on="row", how="left").sort("row")


def ingest_raw(
    raw: RawTable,
    file_name: str,
    sha256: str,
    definition: Definition,
    given: dict[str, str] | None = None,
    *,
    key: str | None = None,
) -> IngestResult:
    """Validate a file already read (the Upload page reads each file once, whatever the dataset chosen).
    ``key``: the pseudonym key (see ``shape``)."""
    return shape(raw, definition, file_name, sha256, given, key=key)


def label_columns(definition: Definition) -> set[str]:
    """The normalised names of the columns holding labels (dimensions, answers, waves) and nothing else."""
    labels = {d.column for d in definition.dimensions.values() if d.column}
    labels |= set(definition.answer_columns.values())
    if definition.period.waves and definition.period.column:
        labels.add(definition.period.column)
    other = {*definition.id_columns, *definition.free_text.values(), *definition.include}
    other |= {c for d in definition.dimensions.values() for c in d.columns}
    other |= {definition.period.column} if definition.period.column and not definition.period.waves else set()
    other |= {definition.weight.column} if definition.weight else set()
    return {normalise_label(c) for c in labels - other}


def sha256_of(source: bytes | Path) -> str:
    """The SHA-256 of an upload's bytes or of a file, read in chunks (never held whole)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    with source.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _ingest(
    source: bytes | Path,
    file_name: str,
    definition: Definition,
    given: dict[str, str] | None,
    sha256: str | None = None,
    key: str | None = None,
) -> IngestResult:
    wanted = {normalise_label(c) for c in definition.required_columns()}
    pseudonymiser(definition, key)  # no key where one is needed: refused before the file is read
    if sha256 is not None:
        raw = read_export(source, file_name, wanted, keep=wanted, labels=label_columns(definition))
        return ingest_raw(raw, file_name, sha256, definition, given, key=key)
    # Hash on a second core while Polars parses the same bytes (a path: from the page cache): both release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(sha256_of, source)
        raw = read_export(source, file_name, wanted, keep=wanted, labels=label_columns(definition))
        sha256 = digest.result()
    return ingest_raw(raw, file_name, sha256, definition, given, key=key)


def ingest_bytes(
    data: bytes, file_name: str, definition: Definition, given: dict[str, str] | None = None, *, key: str | None = None
) -> IngestResult:
    """Read and validate one export (an upload's bytes, read where they are; ``given``, ``key``: see ``shape``).

    Raises ExportError (one sentence) if unreadable.
    """
    return _ingest(data, file_name, definition, given, key=key)


def ingest_file(
    path: Path,
    definition: Definition,
    given: dict[str, str] | None = None,
    *,
    sha256: str | None = None,
    key: str | None = None,
) -> IngestResult:
    """As ``ingest_bytes``, reading the file from its path (exactly that path: never a pattern): never copied
    into memory whole. ``sha256``: the file's, when the caller has it already (it is not computed again)."""
    return _ingest(Path(path), Path(path).name, definition, given, sha256, key)


def every_column(definitions: dict[str, Definition]) -> set[str]:
    """The normalised columns of every definition (volumes too): finds the header of any export in one read."""
    names: set[str] = set()
    for d in definitions.values():
        names.update(normalise_label(c) for c in d.required_columns())
        if d.volumes:
            spec = d.volumes
            names.update(normalise_label(c) for c in (spec.period_column, spec.contacts, spec.invitations) if c)
    return names


def recognise(columns: list[str], definitions: dict[str, Definition]) -> list[tuple[str, float]]:
    """Which datasets a file's header fits, best first, with the share of columns found."""
    header = {normalise_label(c) for c in columns}
    scores = []
    for name, d in definitions.items():
        optional = {normalise_label(c) for c in d.optional_columns()}  # a file may lack these: no clue either way
        wanted = [normalise_label(c) for c in d.required_columns() if normalise_label(c) not in optional]
        share = sum(c in header for c in wanted) / len(wanted) if wanted else 0.0
        if share > 0:
            scores.append((name, share))
    return sorted(scores, key=lambda s: -s[1])


__all__ = ["ExportError", "IngestResult", "RawTable", "ValidationReport", "ingest_bytes", "read_export", "shape"]
