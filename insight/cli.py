"""Headless command line: ``python -m insight ingest|report|represent|check-config|...``.

It calls exactly the functions the app pages call. Exit 0 on success, 1 when input is
rejected (with a message on stderr), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import polars as pl

from insight.config.access import hours, os_user
from insight.config.definition import Definition, whitespace_markers
from insight.config.files import ConfigError
from insight.config.loader import load_config
from insight.figures import metrics
from insight.intake.masking import safe_file_name
from insight.intake.safe_csv import to_csv
from insight.periods import PeriodRange, check_period, first_period, held_as_one, parse_range
from insight.store import Store, StoreError
from insight.store.records import MoveRefused, moves_text


class Rejected(Exception):
    """Input the command cannot accept: exit 1 with this message."""


class UsageError(Exception):
    """A wrong option value: exit 2 with this message."""


def round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def report_json_rows(result: pl.DataFrame) -> list[dict]:
    rows = []
    for r in result.iter_rows(named=True):
        rows.append(
            {
                "aspect": r["aspect"],
                "group": r["group"],
                "base": r["base"],
                "positive": r["positive"],
                "pct": round1(r["pct"]),
                "ci_low": round1(r["ci_low"]),
                "ci_high": round1(r["ci_high"]),
                "status": r["status"],
                "previous_period": r["previous_period"],
                "change_pp": round1(r["change_pp"]),
                "p_value": None if r["p_value"] is None else round(r["p_value"], 4),
                "significant": r["significant"],
            }
        )
    return rows


def _emit(rows: list[dict], fmt: str, payload: dict, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    if fmt == "json":
        print(json.dumps(payload, indent=2), file=out)
        return
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    if fmt == "csv":
        out.write(to_csv(frame))
        return
    heading = "  ".join(f"{k}={v}" for k, v in payload.items() if k not in ("rows",) and v is not None)
    print(heading, file=out)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200, tbl_hide_dataframe_shape=True,
                   tbl_hide_column_data_types=True, tbl_formatting="ASCII_MARKDOWN"):  # fmt: skip
        print(frame, file=out)


# --------------------------------------------------------------------------- commands


def _definition(name: str) -> Definition:
    definitions = load_config().definitions
    if name not in definitions:
        raise UsageError(f"unknown dataset {name!r}; choose from {', '.join(definitions)}")
    return definitions[name]


def cli_user() -> str:
    """Who the store's history records for a command-line write."""
    return f"cli:{os_user()}"


def _held(store: Store, definition: Definition, columns: list[str] | None = None) -> pl.DataFrame:
    frame = store.read(definition, columns=columns)
    if frame is None or frame.height == 0:
        raise Rejected(
            f"no {definition.dataset} data is held in {store.data_dir}; "
            f"import an export first: python -m insight ingest {definition.dataset} FILE"
        )
    return frame


def _period_arg(definition: Definition, period: str | None) -> PeriodRange | None:
    """Check the form of a typed period or range before anything is read (a usage error)."""
    if period is None:
        return None
    try:
        span = parse_range(period, definition.period.granularity)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if definition.suppression.secondary and not span.is_whole_quarters_or_year():
        raise UsageError(
            f"{definition.dataset} is published only for one {definition.period.granularity}, a whole quarter or a "
            f"financial year (April to March), so overlapping ranges cannot be subtracted to reveal a smaller one; "
            f"{span.text} is none of these"
        )
    return span


def _period(frame: pl.DataFrame, definition: Definition, period: PeriodRange | None) -> PeriodRange:
    """The period or range asked for, if any of it is held; the latest period held without one."""
    return _period_held(metrics.periods(frame), definition, period)


def _period_held(held: list[str], definition: Definition, period: PeriodRange | None) -> PeriodRange:
    """``_period`` from the list of periods held (sorted), without reading the data; a range written as a wave
    held as one period (``2022-12..2023-01``) is that wave."""
    if period is None:
        return parse_range(held[-1], definition.period.granularity, held)
    period = held_as_one(period.text, definition.period.granularity, held) or period
    if not set(period.periods) & ({first_period(p) for p in held} | set(held)):
        raise Rejected(f"no {definition.dataset} responses in {period.text}; periods held: {', '.join(held)}")
    if definition.suppression.secondary and period.last > held[-1]:
        raise Rejected(
            f"{period.text} is not complete yet (the latest period held is {held[-1]}): a partial quarter or year "
            "could be subtracted from a later one to reveal a smaller range"
        )
    return period


def _aspect_arg(definition: Definition, aspect: str | None, option: str = "--aspect") -> str:
    aspect = aspect or definition.headline or definition.aspects[0]
    if aspect not in definition.questions:
        raise UsageError(
            f"{option}: {definition.dataset} has no aspect {aspect!r}; choose from {', '.join(definition.aspects)}"
        )
    return aspect


def _survey(name: str) -> Definition:
    definition = _definition(name)
    if definition.kind != "survey":
        raise UsageError(f"{definition.dataset} is a membership list with no questions; use `represent`")
    return definition


def _dimension_arg(definition: Definition, by: str | None) -> None:
    if by and by not in definition.dimensions:
        raise UsageError(
            f"{definition.dataset} has no dimension {by!r}; choose from {', '.join(definition.dimensions)}"
        )


def _readable(path: Path) -> None:
    """A file the command can read, or one sentence saying why not (never a traceback)."""
    name = safe_file_name(str(path))
    if not path.exists():
        raise Rejected(f"{name}: no such file")
    if not path.is_file():
        raise Rejected(f"{name} is a folder or a device, not a file")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise Rejected(f"{name} cannot be opened ({exc.strerror or 'unreadable'})") from None


def cmd_ingest(args: argparse.Namespace) -> int:
    from insight.intake.tidy import ExportError, IngestResult, ingest_file, pseudonymiser, sha256_of

    definition = _definition(args.dataset)
    store = Store(args.data_dir)
    if args.files:
        try:
            pseudonymiser(definition)  # no pseudonym key where one is needed: refused before anything is imported
        except ExportError as exc:
            raise Rejected(f"{definition.dataset} files {exc}.") from None
    if args.volumes:
        from insight.intake.volumes import VolumesError, read_volumes

        for path in args.volumes:
            _readable(Path(path))
            try:
                data = Path(path).read_bytes()
                months = read_volumes(data, Path(path).name, definition)
                volumes = store.import_volumes(
                    definition.dataset,
                    months,
                    file_name=safe_file_name(Path(path).name),
                    sha256=sha256_of(data),
                    user=cli_user(),
                )
            except VolumesError as exc:
                raise Rejected(str(exc) + "\nNothing was imported.") from None
            print(
                f"{safe_file_name(str(path))}: {volumes.rows_read} month(s) of volumes for {definition.dataset}; "
                f"{volumes.new} new, {volumes.updated} updated, {volumes.unchanged} already held"
            )
    given = _given_args(definition, args) if args.files else {}
    results: list[tuple[Path, IngestResult]] = []
    for name in args.files:
        path = Path(name)
        _readable(path)
        # Only a store already holding this dataset can hold this very file: only then hash it first.
        sha256 = sha256_of(path) if not given and store.table_version(definition.dataset) is not None else None
        if sha256 and not args.force and (held := store.already_held(definition, sha256)):
            count = held["new"] + held["updated"] + held["unchanged"]
            print(
                f"{safe_file_name(str(path))}: already imported whole as version {held['version']} and nothing has "
                f"changed since: {held['rows_in_file']} rows read; 0 new, 0 updated, {count} already held; "
                "no new version (--force reads it again)"
            )
            continue
        try:
            result = ingest_file(path, definition, given, sha256=sha256)
        except ExportError as exc:
            # One sentence naming the file; ours never quote the file's text (masked values at most).
            message = str(exc).rstrip(".")
            if "nothing was imported" not in message.lower():
                message += "; nothing was imported"
            raise Rejected(f"{safe_file_name(path.name)} {message}.") from None
        report = result.report
        for warning in report.warnings:
            print(f"warning: {report.file_name}: {warning}", file=sys.stderr)
        if report.missing_columns:
            raise Rejected(report.describe() + "\nNothing was imported.")
        if not report.ok and not args.skip_invalid:
            raise Rejected(
                report.describe()
                + "\nNothing was imported. Correct the file, or import the valid rows with --skip-invalid."
            )
        for line in report.describe_notes(limit=5):
            print(f"warning: {report.file_name}: {line.strip()}", file=sys.stderr)
        results.append((path, result))
    for done, (_path, result) in enumerate(results):
        report = result.report
        try:
            record = store.import_result(definition, result, user=cli_user(), allow_move=args.allow_move)
        except MoveRefused as exc:
            before = f" (the {done} file(s) before it were imported)" if done else ""
            raise Rejected(f"{report.file_name}{before}: {exc}") from None
        if record.rejected_file:
            print(report.describe(limit=5), file=sys.stderr)
            print(
                f"{report.invalid_rows} invalid row(s) were not imported; they are in {record.rejected_file}",
                file=sys.stderr,
            )
        print(
            f"{report.file_name}: {record.rows_read} rows read; {record.new} new, {record.updated} updated, "
            f"{record.unchanged} already held, {record.rejected} rejected; periods {record.periods or '-'}"
            + (f" ({report.blank_rows} empty line(s) ignored)" if report.blank_rows else "")
            + (f"; version {record.version}" if record.version is not None else "; nothing changed, no new version")
        )
        if record.moved:
            print(f"  moved to another period (--allow-move): {moves_text(record.moved)}")
        if report.left_out:
            print(f"  {report.left_out_text()} (the definition's include: filter)")
        if report.period_counts:
            print(f"  responses per period: {report.period_counts_text()}")
    return 0


def _given_args(definition: Definition, args: argparse.Namespace) -> dict[str, str]:
    """--period and --set DIM=VALUE, for what a file cannot say itself (given_at_import); a usage error if wrong."""
    from insight.intake.tidy import GivenValueError, given_values

    given: dict[str, str] = {}
    if args.period is not None:
        given["period"] = args.period
    for item in args.set or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {item!r}: write it as DIMENSION=VALUE")
        given[key.strip()] = value.strip()
    try:
        return given_values(definition, given)
    except GivenValueError as exc:
        raise UsageError(str(exc)) from exc


def _surveys(definition: Definition, args: argparse.Namespace) -> list[str | None]:
    """The surveys a report covers one by one: a dataset holding separate surveys (its definition's ``split_by``)
    is reported survey by survey, never merged, unless ``--combine`` asks for one figure across them."""
    split = definition.split_by
    if split is None or args.combine or args.by == split:  # by the split itself: each survey's own row already
        return [None]
    return list(definition.dimensions[split].groups)


def _own(frame: pl.DataFrame, definition: Definition, survey: str | None) -> pl.DataFrame:
    if survey is None or definition.split_by is None:
        return frame
    return frame.filter(pl.col(definition.split_by).cast(pl.String) == survey)


def _with_survey(rows: list[dict], definition: Definition, survey: str | None, by: str | None) -> list[dict]:
    """Each row of a split dataset names its survey (None: every survey combined, as ``--combine`` asked)."""
    if definition.split_by is None:
        return rows
    return [{"survey": r["group"] if by == definition.split_by else survey, **r} for r in rows]


def cmd_report(args: argparse.Namespace) -> int:
    definition = _survey(args.dataset)
    _dimension_arg(definition, args.by)
    period_arg = _period_arg(definition, args.period)
    if args.combine and definition.split_by is None:
        raise UsageError(f"--combine: {definition.dataset} holds one survey (its definition has no `split_by:`)")
    frame: pl.DataFrame | None  # store.read below may find no table
    if args.weighted:  # raking reads every column of what is held
        frame = _held(Store(args.data_dir), definition)
        return _weighted_report(frame, definition, _period(frame, definition, period_arg), args)
    store = Store(args.data_dir)
    # Read only what the figures need: the period(s) shown, those they are compared with, and their columns.
    held = store.held_periods(definition)
    if not held:
        _held(store, definition)  # says nothing is held
    period = _period_held(held, definition, period_arg)
    if period.is_single and period.first in held:
        at = held.index(period.first)
        wanted = held[max(at - 1, 0) : at + 1]  # the change is on the latest earlier period held
    else:  # every period (or wave) placed in the range or the one before
        around = {*period.before().periods, *period.periods}
        wanted = [p for p in held if first_period(p) in around]
    split = [definition.split_by] if definition.split_by and definition.split_by != args.by else []
    columns = ["period", *definition.questions, *([args.by] if args.by else []), *split]
    frame = store.read(definition, columns=columns, periods=wanted)
    assert frame is not None
    rows = []
    for survey in _surveys(definition, args):
        result = metrics.satisfaction(_own(frame, definition, survey), definition, period=period, by=args.by)
        rows += _with_survey(report_json_rows(result), definition, survey, args.by)
    payload = {"dataset": definition.dataset, "period": period.text, "by": args.by, "rows": rows}
    if definition.split_by:
        payload["combined"] = bool(args.combine)
    payload |= _checklist_extras(store, definition, period, wanted)
    _emit(rows, args.format, payload)
    return 0


def _checklist_extras(store: Store, definition: Definition, period: PeriodRange, wanted: list[str]) -> dict:
    """``report``'s extras for a definition with a sample target (``sample``: reached, margin of error) or a
    derived "all of these" measure (``most_missed``: its part met least often)."""
    from insight.figures.compliance import checklist_measure, most_missed, sample_check

    measure = checklist_measure(definition)
    if definition.sample_target is None and measure is None:
        return {}
    parts = list(definition.questions[measure].all_of) if measure else []
    frame = store.read(definition, columns=["period", *parts], periods=wanted)
    assert frame is not None
    extras: dict = {}
    check = sample_check(frame, definition, period)
    if check is not None:
        extras["sample"] = check.to_json()
    if measure is not None:
        missed = most_missed(frame, definition, period, measure)
        extras["most_missed"] = None if missed is None else missed.to_json()
    return extras


def cmd_matched(args: argparse.Namespace) -> int:
    """Where a checklist's cases (the Victims' Code dip sample) and a survey's responses share a case."""
    from insight.figures.compliance import checklist_measure, link_column, matched

    definition = _survey(args.dataset)
    if checklist_measure(definition) is None:
        raise UsageError(f"{definition.dataset} has no derived measure (`derived:`) to match survey answers on")
    definitions = load_config().definitions
    linkable = [name for name, d in definitions.items() if link_column(definition, d)]
    survey_name = args.survey or (linkable[0] if len(linkable) == 1 else None)
    if survey_name not in linkable:
        choose = ", ".join(linkable) or "none: no survey pseudonymises a column of that name"
        raise UsageError(
            f"--survey: choose the survey matched with {definition.dataset} by its case reference ({choose})"
        )
    survey = definitions[survey_name]
    aspect = _aspect_arg(survey, args.aspect)
    period_arg = _period_arg(definition, args.period)
    store = Store(args.data_dir)
    cases = _held(store, definition)
    if period_arg is not None:
        _period(cases, definition, period_arg)
    responses = _held(store, survey)
    result = matched(cases, definition, responses, survey, period=period_arg, aspect=aspect)
    payload = result.to_json()
    rows = [
        {
            "part": r["part"],
            **{f"{side}_{k}": r[side][k] for side in ("met", "missed") for k in ("cases", "base", "pct", "status")},
            "p_value": r["p_value"],
            "p_adjusted": r["p_adjusted"],
        }
        for r in payload["rows"]
    ]
    _emit(rows, args.format, {k: v for k, v in payload.items() if k not in ("rows", "by_period")} | {"rows": rows}
          if args.format != "json" else payload)  # fmt: skip
    return 0


def _weighted_report(frame: pl.DataFrame, definition: Definition, period: PeriodRange, args: argparse.Namespace) -> int:
    """``report --weighted``: every row gains weighted_pct, its interval and the effective base (each survey of a
    split dataset weighted on its own respondents)."""
    from insight.figures.weighting import WeightingError, can_weight, weighted_report

    if not can_weight(definition):
        raise UsageError(
            f"{definition.dataset} has no `weighting:` (or `weight:`) in its definition, so it cannot be weighted"
        )
    rows, summaries = [], {}
    for survey in _surveys(definition, args):
        try:
            result = weighted_report(
                _own(frame, definition, survey), definition, load_config().census, period=period, by=args.by
            )
        except WeightingError as exc:
            raise Rejected(f"{survey}: {exc}" if survey else str(exc)) from exc
        rows += _with_survey(
            [
                {**row, **{k: None if r[k] is None else round(r[k], 1) for k in ("weighted_pct", "weighted_ci_low",
                                                                                "weighted_ci_high", "effective_base")}}
                for row, r in zip(report_json_rows(result.rows), result.rows.iter_rows(named=True), strict=True)
            ],
            definition,
            survey,
            args.by,
        )  # fmt: skip
        summaries[survey] = result.weighting.summary()
    weighting = summaries.get(None, summaries)
    payload = {"dataset": definition.dataset, "period": period.text, "by": args.by, "weighting": weighting,
               "rows": rows}  # fmt: skip
    if args.format == "table":
        for survey, summary in summaries.items():
            if summary["unweighted"]:
                how = "not weighted: every respondent counts once"
            elif summary["supplied_weights"]:
                how = f"weights supplied in column {summary['supplied_weights']}"
            else:
                how = f"weighted to the census by {', '.join(summary['margins'])}: {summary['iterations']} passes, " + (
                    "converged" if summary["converged"] else "NOT converged"
                )
            spread = f"weights {summary['min_weight']}-{summary['max_weight']}"
            print((f"{survey}: " if survey else "") + f"{how}; {spread}; efficiency {summary['efficiency_pct']}%")
            for note in summary["notes"]:
                print(note)
    _emit(rows, args.format, {k: v for k, v in payload.items() if k != "weighting"} if args.format == "table"
          else payload)  # fmt: skip
    return 0


def cmd_represent(args: argparse.Namespace) -> int:
    from insight.figures.representation import representation

    definition = _definition(args.dataset)
    _dimension_arg(definition, args.by)
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg) if period_arg else None
    rep = representation(frame, definition, load_config().census, by=args.by, period=period, npu=args.npu)
    rows = [
        {k: (round1(v) if k in ("share", "census_share", "gap_pp") else v) for k, v in r.items()}
        for r in rep.rows.iter_rows(named=True)
    ]
    payload = {"dataset": definition.dataset, "by": args.by, "period": rep.period, "not_stated": rep.not_stated,
               "rows": rows}  # fmt: skip
    if args.format == "table":
        print(
            f"census benchmark: {rep.area}, {rep.population}; {rep.stated:,} stated"
            + (f"; NPU {rep.npu}" if rep.npu else "")
            + (f"; status {rep.status}" if rep.status != "ok" else "")
        )
    _emit(rows, args.format, payload)
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    # main() has already loaded (and so checked) every file; a mistake never gets this far.
    config = load_config()
    for d in config.definitions.values():
        print(
            f"{d.dataset}: {d.title} ({d.kind}, {d.period.granularity}ly): "
            f"{len(d.questions)} question(s), {len(d.dimensions)} dimension(s)"
            + (f"; weighted to the census by {', '.join(d.weighting.margins)}" if d.weighting else "")
        )
        if note := whitespace_markers(d):
            print(f"  note: {note}")
    census = config.census
    print(f"census: {', '.join(f'{t.table} ({t.population})' for t in census.tables.values())}")
    print(f"themes: {len(config.themes)}")
    access = config.extra.get("access.yaml")
    if access:
        lasts = hours(access.max_session_hours)
        print(
            f"access: {len(access.grants)} grant(s); identity claim {access.identity_claim!r}; "
            f"group claim {access.group_claim!r}; a sign-in lasts {lasts}"
        )
    else:
        print("access: none")
    print("config OK")
    return 0


def cmd_build_census(args: argparse.Namespace) -> int:
    from insight.config.census import write_tables

    for path in write_tables(Path(args.source)):
        print(f"wrote {path}")
    return 0


def cmd_make_samples(args: argparse.Namespace) -> int:
    from insight.samples import write_samples

    for path in write_samples(Path(args.out) if args.out else None):
        print(f"wrote {path}")
    return 0


def cmd_validity(args: argparse.Namespace) -> int:
    from insight.figures.validity import validity, validity_json

    definition = _definition(args.dataset)
    period_arg = _period_arg(definition, args.period)
    store = Store(args.data_dir)
    frame = _held(store, definition)
    period = _period(frame, definition, period_arg)
    v = validity(frame, definition, store.read_volumes(definition), period=period)
    payload = validity_json(v)
    _emit([payload], args.format, payload)
    return 0


def cmd_reach(args: argparse.Namespace) -> int:
    """The survey's funnel, responses and response rate month by month, and whether the count and the rate moved
    (``insight.figures.reach``); a dataset holding separate surveys has each survey's trends."""
    from insight.display import reach as words
    from insight.figures.reach import monthly_reach, response_trends

    definition = _survey(args.dataset)
    period_arg = _period_arg(definition, args.period)
    store = Store(args.data_dir)
    frame = _held(store, definition)
    if period_arg is not None:
        _period(frame, definition, period_arg)
    volumes = store.read_volumes(definition)
    months = monthly_reach(frame, definition, volumes, period=period_arg)
    rows = [
        {k: (round(v, 3 if k == "invited_share" else 1) if isinstance(v, float) else v) for k, v in r.items()}
        for r in months.iter_rows(named=True)
    ]
    surveys: list[str | None] = (
        list(definition.dimensions[definition.split_by].groups) if definition.split_by else [None]
    )
    trends = []
    for survey in surveys:
        own = {definition.split_by: [survey]} if definition.split_by and survey else None
        found = response_trends(frame, definition, None if own else volumes, period=period_arg, filters=own)
        title = f"{definition.title} ({survey})" if survey else definition.title
        trends.append((survey, title, found))
    payload = {
        "dataset": definition.dataset,
        "period": period_arg.text if period_arg else None,
        "rows": rows,
        "trends": [{"survey": survey, **found.to_json()} for survey, _, found in trends],
    }
    if args.format == "table":
        for _, title, found in trends:
            print(words.count_trend(title, found.count, with_p=True))
            if found.rate.periods:
                print(words.rate_trend(title, found.rate, with_p=True))
        payload = {"dataset": definition.dataset}
    _emit(rows, args.format, payload)
    return 0


def cmd_themes(args: argparse.Namespace) -> int:
    from insight.figures.comments import theme_counts

    definition = _definition(args.dataset)
    if not definition.free_text:
        raise UsageError(f"{definition.dataset} has no free-text column")
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg)
    counts = theme_counts(frame, definition, load_config().themes, period=period)
    rows = [
        {
            "theme": r["theme"],
            "comments": r["comments"],
            "share": round1(r["share"]),
            "complaint": r["complaint"],
            "praise": r["praise"],
            "neutral": r["neutral"],
        }
        for r in counts.iter_rows(named=True)
    ]
    payload = {"dataset": definition.dataset, "period": period.text, "rows": rows}
    _emit(rows, args.format, payload)
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from insight.board.pack import FORMATS, build_pack, check_month, file_name, render

    fmt = args.format
    suffix = Path(args.out).suffix.lower().lstrip(".") if args.out else ""
    if fmt is None:
        fmt = suffix if suffix in FORMATS else "docx"
    elif suffix and suffix != fmt:
        raise UsageError(f"--out {args.out} does not end in .{fmt}; name the file {Path(args.out).stem}.{fmt}")
    if args.period:
        try:
            check_month(args.period)
        except ValueError as exc:
            raise UsageError(f"--period is a month: {exc}") from exc
    if args.out and not Path(args.out).parent.is_dir():
        raise Rejected(f"cannot write {args.out}: no folder {Path(args.out).parent}")
    if args.since:
        try:
            check_month(args.since)
        except ValueError as exc:
            raise UsageError(f"--since is a month: {exc}") from exc
        if args.period and args.since >= args.period:
            raise UsageError(f"--since {args.since} is not before --period {args.period}: name the last board's month")
    pack = build_pack(Store(args.data_dir), period=args.period, since=args.since)
    out = Path(args.out) if args.out else Path.cwd() / file_name(pack, fmt)
    data = render(pack, fmt)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise Rejected(f"cannot write {out}: {exc.strerror or exc}") from exc
    for line in pack.missing + pack.notes:
        print(line, file=sys.stderr)
    print(out)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from insight.store.audit import audit_rows

    since = None
    if args.since:
        try:
            since = dt.date.fromisoformat(args.since)
        except ValueError as exc:
            raise UsageError(f"--since {args.since!r} is not a date such as 2019-09-30") from exc
    rows = audit_rows(Store(args.data_dir), load_config().definitions, since)
    if args.format == "json":
        print(json.dumps({"rows": rows}, indent=2))
    elif not rows:
        print("nothing recorded" + (f" since {since}" if since else ""))
    else:  # one line per entry, the detail in full (a table would cut it short)
        # A file name or claim is shown printable: no control characters reach the terminal.
        shown = [{k: "".join(c if c.isprintable() else "?" for c in str(v)) for k, v in r.items()} for r in rows]
        fields = ("time", "user", "action", "dataset")
        widths = {f: max(len(f), *(len(r[f]) for r in shown)) for f in fields}
        print("  ".join(f.ljust(widths[f]) for f in fields) + "  detail")
        for r in shown:
            print("  ".join(r[f].ljust(widths[f]) for f in fields) + "  " + r["detail"])
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    definition = _definition(args.dataset)
    rows = Store(args.data_dir).history(definition.dataset, volumes=args.volumes)
    if args.format == "json":
        print(json.dumps({"dataset": definition.dataset, "rows": rows}, indent=2))
        return 0
    if not rows:
        print(f"nothing has been imported into {definition.dataset}" + (" volumes" if args.volumes else ""))
        return 0
    shown = [
        {
            "version": r["version"],
            "time": r["time"],
            "action": r["action"]
            if r["action"] not in ("undo", "repair")
            else f"{r['action']}, back to version {r['restored_to']}",
            "file": r["file"],
            "rows": r["rows_in_file"],
            "new": r["new"],
            "updated": r["updated"],
            "unchanged": r["unchanged"],
            "periods": ", ".join(r["periods"]),
            "user": r["user"],
            "sha256": (r["sha256"] or "")[:12],
        }
        for r in rows
    ]
    shown = [{k: "" if v is None else v for k, v in row.items()} for row in shown]
    _emit(shown, "table", {"dataset": definition.dataset})
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Every file each table's current version needs, there and readable; with --repair, damaged tables restored."""
    from insight.store.health import check_store, repair

    names = [_definition(args.dataset).dataset] if args.dataset else list(load_config().definitions)
    store = Store(args.data_dir)
    found = check_store(store, names)
    damaged = [h for h in found if not h.whole]
    if args.format == "json" and not args.repair:
        print(json.dumps({"whole": not damaged, "tables": [h.to_json() for h in found]}, indent=2))
        return 1 if damaged else 0
    for health in found:
        for line in health.describe():
            print(line)
    if not args.repair:
        if damaged:
            print(
                "Damaged: restore the table(s) to their last whole version with python -m insight check "
                + (args.dataset or "DATASET")
                + " --repair (recorded in the history; the imports it takes back can then be imported again)."
            )
        return 1 if damaged else 0
    failed = 0
    for health in damaged:
        try:
            done = repair(store, health.dataset, volumes=health.volumes, user=cli_user())
        except StoreError as exc:
            print(f"{health.name}: not repaired: {exc}", file=sys.stderr)
            failed += 1
            continue
        taken = ", ".join(f"{v} ({f or 'file not recorded'})" for v, f in zip(done.undoes, done.files, strict=True))
        print(
            f"{health.name}: restored to version {done.restored_to}, its last whole version; recorded as version "
            f"{done.version}. Imports taken back: {taken or 'none'}"
            + (
                f". Import their files again, oldest first: python -m insight ingest {health.dataset}"
                + (" --volumes" if health.volumes else "")
                + " FILE"
                if done.undoes
                else ""
            )
        )
    return 1 if failed else 0


def cmd_undo(args: argparse.Namespace) -> int:
    definition = _definition(args.dataset)
    store = Store(args.data_dir)
    done = store.undo(definition.dataset, version=args.version, volumes=args.volumes, user=cli_user())
    what = "month(s)" if args.volumes else "row(s)"
    taken = ", ".join(map(str, done.undoes)) or "none"
    print(
        f"{definition.dataset}{' volumes' if args.volumes else ''}: now as it was after version {done.restored_to} "
        f"(imports taken back: {taken}); {done.removed} {what} removed, {done.restored} {what} restored; "
        f"recorded as version {done.version}"
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from insight.store.legacy import migrate

    store = Store(args.data_dir)
    moved = migrate(store, load_config().definitions, user=cli_user())
    if not moved:
        print(f"Nothing to migrate: no file of the earlier store in {store.data_dir}.")
    for m in moved:
        what = "month(s) of contact volumes" if m.volumes else "response(s)"
        version = f"version {m.version}" if m.version is not None else "no new version (all held already)"
        history = f"; {m.earlier_uploads} earlier upload(s) listed in upload_log.jsonl" if m.earlier_uploads else ""
        print(f"{m.dataset}: {m.rows:,} {what} moved into the store ({version}); the file is kept as {m.kept_as}"
              f"{history}")  # fmt: skip
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from insight.figures.compare import compare_groups

    definition = _survey(args.dataset)
    if args.before_after is not None:
        return _before_after(args, definition)
    if args.periods is not None:
        raise UsageError("--periods goes with --before-after EVENT (the length of the windows either side)")
    if args.by is None:
        raise UsageError("compare needs --by DIMENSION (the groups compared) or --before-after EVENT")
    _dimension_arg(definition, args.by)
    aspect = _aspect_arg(definition, args.aspect)
    groups = [g.strip() for g in args.groups.split(",")] if args.groups else None
    if groups is not None:
        values = definition.dimensions[args.by].values
        if len(groups) != 2 or groups[0] == groups[1]:
            raise UsageError("--groups takes two different groups, e.g. --groups Phone,Online")
        for g in groups:
            if g not in values:
                raise UsageError(f"--groups: {args.by} has no group {g!r}; choose from {', '.join(values)}")
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg)
    try:
        result = compare_groups(frame, definition, by=args.by, aspect=aspect, period=period, groups=groups)
    except ValueError as exc:
        raise Rejected(str(exc)) from exc
    payload = result.to_json()
    _emit(payload["rows"], args.format, payload)
    return 0


def _before_after(args: argparse.Namespace, definition: Definition) -> int:
    """``compare DATASET --before-after EVENT``: the aspect before the event against after it, equal windows."""
    from insight.config.events import find_event
    from insight.display import events as words
    from insight.figures.before_after import before_after

    if args.by is not None or args.groups is not None or args.period is not None:
        raise UsageError("--before-after compares periods, not groups: leave out --by, --groups and --period")
    aspect = _aspect_arg(definition, args.aspect)
    try:
        event = find_event(load_config().events, definition.dataset, args.before_after)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    frame = _held(Store(args.data_dir), definition)
    # a dataset holding separate surveys: each survey before and after, never one merged figure
    surveys: list[str | None] = (
        list(definition.dimensions[definition.split_by].groups) if definition.split_by else [None]
    )
    found = []
    for survey in surveys:
        try:
            found.append((survey, before_after(_own(frame, definition, survey), definition, event, aspect=aspect,
                                               length=args.periods)))  # fmt: skip
        except ValueError as exc:
            raise Rejected(f"{survey}: {exc}" if survey else str(exc)) from exc
    label = definition.aspect_label(aspect)
    rows = [{**({"survey": survey} if survey else {}), "side": side, **result.to_json()[side]}
            for survey, result in found for side in ("before", "after")]  # fmt: skip
    if definition.split_by:
        payload = {"dataset": definition.dataset, "event": event.to_json(),
                   "surveys": [{"survey": survey, **result.to_json()} for survey, result in found]}  # fmt: skip
    else:
        payload = found[0][1].to_json()
    if args.format == "table":
        for survey, result in found:
            print(words.before_after(result, f"{label}, {survey}" if survey else label))
        payload = {"dataset": definition.dataset}
    _emit(rows, args.format, payload)
    return 0


def cmd_trend(args: argparse.Namespace) -> int:
    from insight.config.events import within
    from insight.figures.trend import trend_test

    definition = _survey(args.dataset)
    aspect = _aspect_arg(definition, args.aspect)
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    if period_arg is not None:
        _period(frame, definition, period_arg)
    payload = trend_test(frame, definition, aspect=aspect, period=period_arg).to_json()
    # the events inside the range tested (every period held without --period)
    held = sorted(frame.get_column("period").unique().to_list())
    first, last = (period_arg.first, period_arg.last) if period_arg is not None else (held[0], held[-1])
    events = within(load_config().events, definition.dataset, definition.period.granularity, first, last)
    payload["events"] = [e.to_json() for e in events]
    _emit([payload], args.format, payload)
    return 0


def cmd_answers(args: argparse.Namespace) -> int:
    from insight.figures.answers import answer_distribution

    definition = _survey(args.dataset)
    _dimension_arg(definition, args.by)
    aspect = _aspect_arg(definition, args.aspect)
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg)
    payload = answer_distribution(frame, definition, aspect=aspect, period=period, by=args.by).to_json()
    _emit(payload["rows"], args.format, payload)
    return 0


def cmd_changes(args: argparse.Namespace) -> int:
    from insight.figures.since import changes_since

    definition = _survey(args.dataset)
    try:
        check_period(args.since, "month")
    except ValueError as exc:
        raise UsageError(f"--since is a month, e.g. 2019-05: {exc}") from exc
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg)
    if not period.is_single:
        raise UsageError("--period: changes compares one period with the --since month, not a range")
    rows = [c.to_json() for c in changes_since(frame, definition, period=period.text, since=args.since)]
    payload = {"dataset": definition.dataset, "period": period.text, "since": args.since, "rows": rows}
    _emit(rows, args.format, payload)
    return 0


def cmd_drivers(args: argparse.Namespace) -> int:
    from insight.figures.drivers import TooFewRespondents, key_drivers

    definition = _survey(args.dataset)
    target = _aspect_arg(definition, args.target, "--target")
    if len(definition.questions) < 2:
        raise UsageError(f"{definition.dataset} has only one question: nothing can drive it")
    period_arg = _period_arg(definition, args.period)
    frame = _held(Store(args.data_dir), definition)
    period = _period(frame, definition, period_arg)
    try:
        payload = key_drivers(frame, definition, target=target, period=period).to_json()
    except TooFewRespondents as exc:
        raise Rejected(str(exc)) from exc
    _emit(payload["rows"], args.format, payload)
    return 0


# --------------------------------------------------------------------------- parser


DATASET_HELP = "the dataset: a definition's name in config/surveys/, e.g. victim"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m insight", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    formats = ["table", "json", "csv"]
    by_help = "a dimension to break the figures down by, e.g. channel_group"

    def data_dir(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data-dir", help="store folder or az://, abfss://, s3:// URI (default $INSIGHT_DATA_DIR or data/store/)"
        )

    def reading(name: str, help_text: str, func: object) -> argparse.ArgumentParser:
        """A command that reads one dataset for a period and prints table, JSON or CSV."""
        p = sub.add_parser(name, help=help_text)
        p.add_argument("dataset", help=DATASET_HELP)
        p.add_argument(
            "--period",
            help="2019-09 (month), 2019-Q3 (quarter) or an inclusive range 2019-07..2019-09 (a wave held as one "
            "period, 2022-12..2023-01, is that wave); the latest without it",
        )
        p.add_argument("--format", choices=formats, default="table", help="a table to read, JSON, or CSV")
        data_dir(p)
        p.set_defaults(func=func)
        return p

    p = sub.add_parser("ingest", help="import survey exports into the store")
    p.add_argument("dataset", help=DATASET_HELP)
    p.add_argument("files", nargs="*", metavar="FILE", help="exports to import: CSV or .xlsx")
    p.add_argument("--skip-invalid", action="store_true", help="import valid rows; write rejected rows to a file")
    p.add_argument("--volumes", action="append", metavar="FILE", help="monthly contact volumes file")
    p.add_argument(
        "--period",
        help="the period the files cover, when the survey says `period: given_at_import`: 2024-08, or the months "
        "its fieldwork ran over, 2022-12..2023-01 (one wave)",
    )
    p.add_argument(
        "--allow-move",
        action="store_true",
        help="import even when held responses would move to another period (their IDs are in the file, dated "
        "elsewhere); without it such a file is refused",
    )
    p.add_argument(
        "--set", action="append", metavar="DIM=VALUE", help="a dimension given at import (`given_at_import: true`)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="read a file again even when it was the last one imported whole (e.g. after --repair took it back)",
    )
    data_dir(p)
    p.set_defaults(func=cmd_ingest)

    p = reading("report", "positive share by aspect (optionally by a dimension)", cmd_report)
    p.add_argument("--by", help=by_help)
    p.add_argument("--weighted", action="store_true", help="add figures weighted to the census (docs/weighting.md)")
    p.add_argument(
        "--combine",
        action="store_true",
        help="a dataset holding separate surveys (`split_by:`): one figure across them instead of one per survey",
    )
    p = reading("represent", "who responded against the census", cmd_represent)
    p.add_argument("--by", required=True, help="the dimension compared with the census, e.g. age")
    p.add_argument("--npu", help="one neighbourhood policing unit (benchmarked against its local authority)")
    reading("validity", "responses, response rate and margin of error", cmd_validity)
    reading(
        "reach",
        "who is surveyed and who answers, month by month: the funnel, responses and response rate, and their trends "
        "(every period held by default)",
        cmd_reach,
    )
    reading("themes", "free-text comments by theme", cmd_themes)
    p = reading("compare", "is a group different from the rest (or from another group)?", cmd_compare)
    p.add_argument("--by", help="the dimension whose groups are compared, e.g. channel_group")
    p.add_argument("--aspect", help="the question compared (the headline without it)")
    p.add_argument("--groups", help="two groups to compare with each other, e.g. Phone,Online")
    p.add_argument(
        "--before-after",
        metavar="EVENT",
        help="instead of groups, the periods before an event of config/events.yaml (its label, e.g. 'BOB-E chatbot "
        "introduced') against those from it on, in equal-length windows",
    )
    p.add_argument(
        "--periods",
        type=int,
        help="with --before-after: periods in each window (default: the longest the periods held allow on both "
        "sides, at most a year)",
    )
    p = reading("trend", "has an aspect risen or fallen over the periods? (every period held by default)", cmd_trend)
    p.add_argument("--aspect", help="the question tested (the headline without it)")
    p = reading("answers", "every answer given to one question, and the share dissatisfied", cmd_answers)
    p.add_argument("--aspect", required=True, help="the question whose answers are shown")
    p.add_argument("--by", help=by_help)
    p = reading("drivers", "which aspects matter most for the headline (Johnson's relative weights)", cmd_drivers)
    p.add_argument("--target", help="the question explained (the headline without it)")
    p = reading(
        "matched",
        "a checklist's cases that a survey's respondents share (the Victims' Code dip sample and the victim "
        "survey): the survey's headline where the checklist was met and where not",
        cmd_matched,
    )
    p.add_argument("--survey", help="the survey matched by the case reference (the only one that can be, without it)")
    p.add_argument("--aspect", help="the survey's question compared (its headline without it)")
    p.epilog = "--period: the checklist's period or range (the year of 4 quarters to the latest without it)"

    p = reading("changes", "what changed since a month (the last board's): every aspect, z-tested", cmd_changes)
    p.add_argument(
        "--since",
        required=True,
        metavar="YYYY-MM",
        help="the month compared with, e.g. 2019-05 (its quarter if quarterly)",
    )

    p = sub.add_parser("pack", help="write the board paper (.docx, .pptx or printable .html) and print its path")
    p.add_argument("--period", help="a month, e.g. 2019-09 (quarterly surveys use its quarter); latest without it")
    p.add_argument(
        "--since", metavar="YYYY-MM", help="the last board's month: a section says what changed since it (z-tested)"
    )
    p.add_argument("--format", choices=["docx", "pptx", "html"], help="docx unless --out ends in .pptx or .html")
    p.add_argument("--out", metavar="FILE", help="default board-pack-PERIOD.FORMAT in the current folder")
    data_dir(p)
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser(
        "audit", help="imports, undos, views of restricted datasets, sign-outs and refused sign-ins, newest first"
    )
    p.add_argument("--since", metavar="YYYY-MM-DD", help="from this date (UTC) on")
    p.add_argument("--format", choices=["table", "json"], default="table", help="a table to read, or JSON")
    data_dir(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("history", help="every import and undo of a dataset, newest first")
    p.add_argument("dataset", help=DATASET_HELP)
    p.add_argument("--format", choices=["table", "json"], default="table", help="a table to read, or JSON")
    p.add_argument("--volumes", action="store_true", help="the dataset's contact volumes table")
    data_dir(p)
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("undo", help="take back the newest import (or return to a version); recorded in history")
    p.add_argument("dataset", help=DATASET_HELP)
    p.add_argument("--version", type=int, help="return the table to its state right after this version")
    p.add_argument("--volumes", action="store_true", help="undo in the dataset's contact volumes table")
    data_dir(p)
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser(
        "check", help="is every file each table needs there and readable? (exit 1 when not); --repair restores"
    )
    p.add_argument("dataset", nargs="?", help="one dataset (every dataset without it)")
    p.add_argument(
        "--repair",
        action="store_true",
        help="restore each damaged table to its last whole version (a new version, recorded in the history)",
    )
    p.add_argument("--format", choices=["table", "json"], default="table", help="a table to read, or JSON")
    data_dir(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("migrate", help="move the first version's store (one Parquet file per dataset) into the tables")
    data_dir(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("check-config", help="validate every configuration file; list every mistake at once")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("build-census", help="rebuild config/census/*.yaml from the census CSVs")
    p.add_argument(
        "--source",
        default=str(Path(__file__).resolve().parents[2] / "shared" / "census"),
        help="the folder of census CSVs gathered for the project",
    )
    p.set_defaults(func=cmd_build_census)

    p = sub.add_parser("make-samples", help="write the synthetic sample exports to data/samples/")
    p.add_argument("--out", help="another folder to write them to")
    p.set_defaults(func=cmd_make_samples)
    return parser


class QuietPipe(io.TextIOBase):
    """Standard output (or error) that a reader may stop reading at any time (``| head``).

    The first write or flush that finds the pipe closed points the stream at the null device and
    carries on: the command finishes what it does (an import is never left half done because its
    summary could not be shown) and ends with its own exit status, without a traceback.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.closed_by_reader = False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._drop()

    def _drop(self) -> None:
        self.closed_by_reader = True
        try:  # the interpreter's own flush at exit must not find the closed pipe either
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self.stream.fileno())
            os.close(null)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def isatty(self) -> bool:
        return not self.closed_by_reader and self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its output may be cut short by the reader (``| head``) without a traceback."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = QuietPipe(sys.stdout), QuietPipe(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "ingest" and not args.files and not args.volumes:
        parser.error("ingest needs at least one FILE (or --volumes FILE)")
    try:
        if args.command != "build-census":  # it rebuilds census files, so it must run when they are wrong
            load_config()  # every command checks every configuration file first, as the app does
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        n = len(exc.mistakes)
        print(f"rejected: {n} mistake(s) in the configuration files (config/):", file=sys.stderr)
        for mistake in exc.mistakes:
            print(f"  {mistake}", file=sys.stderr)
        return 1
    except (Rejected, StoreError) as exc:
        print(f"rejected: {exc}", file=sys.stderr)
        return 1
