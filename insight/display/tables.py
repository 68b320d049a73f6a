"""Metrics frames shaped as the tables users read and download.

Column names are the users' words. Suppressed rows keep their base but carry no
percentage, interval, positive count or change, here as everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from insight.config.definition import Definition
from insight.figures.answers import Answers
from insight.figures.compliance import Matched
from insight.figures.drivers import Drivers
from insight.figures.representation import Representation
from insight.periods import period_label

STATUS_WORDS = {"ok": "", "low_base": "treat with caution", "suppressed": "suppressed"}
# Comments drawn on the page at most (the download holds all): at a million responses a month held
# 20,000 of them, sent to every viewer's browser on every rerun.
COMMENTS_ON_SCREEN = 1000
# Shown in downloads but kept off the screen, where the method sits behind "about this figure".
DETAIL_COLUMNS = ("p-value",)
# The most a table puts on a page, in bytes of its cells: far below the limit on one message to the browser
# (Streamlit's server.maxMessageSize, 200 MB by default), which a table of long comments would otherwise pass
# and fail the page for everyone. The rows beyond it are in the table's download.
SHOWN_BYTES = 16 * 1024 * 1024


def rows_that_fit(frame: pl.DataFrame, budget: int = SHOWN_BYTES) -> int:
    """How many of the first rows fit in ``budget`` bytes: every row when the whole frame does."""
    if frame.height == 0 or frame.estimated_size() <= budget:
        return frame.height
    # Each row's text bytes, and 8 bytes for every other value (Arrow adds about as much again per cell at most).
    sizes = [
        pl.col(c).cast(pl.String).str.len_bytes().fill_null(0) + 8
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)
        else pl.lit(8)
        for c, dtype in frame.schema.items()
    ]
    per_row = frame.select(pl.sum_horizontal(sizes).cum_sum().alias("used")).to_series()
    return int((per_row <= budget).sum())


def in_words(
    frame: pl.DataFrame, column: str, words: Callable[[Any], Any], return_dtype: type[pl.DataType] = pl.String
) -> pl.Expr:
    """``words`` of each value of ``frame``'s column, worked out once per distinct value in Python and
    looked up by Polars.

    Never ``map_elements``: a Python function called from Polars' thread pool needs the GIL there,
    and while another session's thread holds the GIL waiting on that pool (Streamlit's ``to_pandas``
    of a table does), the server deadlocks: reproduced with a few concurrent viewers (issue 24).
    """
    values = frame.get_column(column).drop_nulls().unique().to_list()
    return pl.col(column).replace_strict({v: words(v) for v in values}, default=None, return_dtype=return_dtype)


def _period(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``2019-09`` as ``September 2019``, the way managers write it."""
    return in_words(frame, column, period_label)


def _yes_no(column: str) -> pl.Expr:
    return pl.when(pl.col(column)).then(pl.lit("yes")).when(pl.col(column).not_()).then(pl.lit("no"))


def one_decimal(frame: pl.DataFrame) -> pl.DataFrame:
    """Figures as every other table shows them, one decimal and a dash for none (an HTML table prints 5.8000).

    For the presenter's tables, which the app draws as HTML rather than as a grid.
    """
    return frame.with_columns(
        pl.col(name).round(1).cast(pl.String).fill_null("–") for name, dtype in frame.schema.items() if dtype.is_float()
    )


def satisfaction_table(
    result: pl.DataFrame, definition: Definition, *, by_label: str | None = None, over_time: bool = False
) -> pl.DataFrame:
    """Key columns first (what the row is, then its figure and base), so a phone shows them without scrolling."""
    labels = {k: q.label for k, q in definition.questions.items()}
    period = _period(result, "period").alias("Period")
    columns = [period] if over_time else []
    columns.append(pl.col("aspect").replace_strict(labels, default=pl.col("aspect")).alias("Aspect"))
    if by_label:
        columns.insert(0, pl.col("group").alias(by_label))
    columns += [
        pl.col("pct").round(1).alias("% positive"),
        pl.col("base").alias("Base"),
    ]
    if "weighted_pct" in result.columns:  # weighted to the census, beside the unweighted figures
        columns += [
            pl.col("weighted_pct").round(1).alias("Weighted % positive"),
            pl.col("effective_base").round(0).cast(pl.Int64).alias("Effective base"),
            pl.col("weighted_ci_low").round(1).alias("Weighted 95% CI low"),
            pl.col("weighted_ci_high").round(1).alias("Weighted 95% CI high"),
        ]
    columns += [
        pl.col("status").replace_strict(STATUS_WORDS, default=pl.col("status")).alias("Note"),
        pl.col("change_pp").round(1).alias("Change (points)"),
        _yes_no("significant").alias("Significant change"),
        _period(result, "previous_period").alias("Compared with"),
        pl.col("positive").alias("Positive"),
        pl.col("ci_low").round(1).alias("95% CI low"),
        pl.col("ci_high").round(1).alias("95% CI high"),
    ]
    if not over_time:
        columns.append(period)
    columns.append(pl.col("p_value").round(4).alias("p-value"))
    return result.select(columns)


def representation_table(rep: Representation, group_label: str) -> pl.DataFrame:
    return rep.rows.select(
        pl.col("group").alias(group_label),
        pl.col("count").alias("Count"),
        pl.col("share").round(1).alias("% of those who stated"),
        pl.col("census_share").round(1).alias("% census"),
        pl.col("gap_pp").round(1).alias("Gap (points)"),
    )


def weighting_profile_table(profile: pl.DataFrame, group_label: str) -> pl.DataFrame:
    """One margin's respondents before and after weighting, against the targets from the census."""
    return profile.select(
        pl.col("group").alias(group_label),
        pl.col("respondents").alias("Respondents"),
        pl.col("unweighted_pct").round(1).alias("% before weighting"),
        pl.col("weighted_pct").round(1).alias("% after weighting"),
        pl.col("target_pct").round(1).alias("% target"),
        pl.col("census_pct").round(1).alias("% census (of census groups)"),
    )


def area_gaps(reps: dict[str, Representation]) -> pl.DataFrame:
    """Gap to the census in points, one row per NPU, one column per group."""
    rows = []
    for npu, rep in reps.items():
        row: dict[str, object] = {"NPU": npu, "Census area": rep.area, "Stated": rep.stated}
        row.update(
            {g: (None if gap is None else round(gap, 1)) for g, gap in rep.rows.select("group", "gap_pp").iter_rows()}
        )
        rows.append(row)
    return pl.DataFrame(rows)


def gap_table(series: pl.DataFrame) -> pl.DataFrame:
    """The WMNow sign-up gap chart as a table: one row per group and month."""
    return series.sort("series", "period", maintain_order=True).select(
        pl.col("series").alias("Group"),
        _period(series, "period").alias("Month joined"),
        pl.col("gap_pp").round(1).alias("Gap (points)"),
        pl.col("share").round(1).alias("% of new sign-ups"),
        pl.col("census_share").round(1).alias("% census"),
        pl.col("stated").alias("Sign-ups who stated"),
    )


def volumes_table(frame: pl.DataFrame) -> pl.DataFrame:
    """A contact volumes file's figures, month by month, as they will be imported."""
    return frame.select(
        _period(frame, "period").alias("Month"),
        pl.col("contacts").alias("Contacts"),
        pl.col("invitations").alias("Invitations to the survey"),
    )


def problems_table(problems: pl.DataFrame) -> pl.DataFrame:
    """Validation problems in plain words: where, what was found, what is allowed."""
    return problems.select(
        pl.col("row").alias("Row"),
        pl.col("column").alias("Column"),
        pl.col("value").alias("Value found"),
        pl.col("problem").alias("Problem"),
        pl.col("allowed").alias("Allowed values"),
    )


def uk_time(iso: str) -> str:
    """``2026-12-03T08:00:00Z`` as ``3 Dec 2026 08:00``, UK local time (as the upload history shows times)."""
    utc = dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    return utc.astimezone(ZoneInfo("Europe/London")).strftime("%-d %b %Y %H:%M")


# The history's columns a manager reads on screen (it fits a 1366 px screen); the others are in the download.
HISTORY_ON_SCREEN = ("When (UK time)", "Dataset", "What", "File", "New", "Updated", "Already held", "By")


def upload_history(rows: list[dict], titles: dict[str, str]) -> pl.DataFrame:
    """Every import and undo across datasets, newest first, times in UK local time, in plain words: "Imported",
    "Imported, then undone", "Undone (40 removed, 0 restored)".

    ``rows`` are ``Store.history`` rows with a ``dataset`` and a ``table`` ("responses" or
    "contact volumes") added; ``titles`` name each dataset as users know it.
    """
    if not rows:
        return pl.DataFrame()
    undone = {(r["dataset"], r["table"], v) for r in rows if r["action"] != "import" for v in r["undoes"] or []}

    def what(r: dict) -> str:
        if r["action"] != "import":
            counts = [f"{r[k]:,} {k}" for k in ("removed", "restored") if r.get(k) is not None]
            done = "Repaired (damaged files)" if r["action"] == "repair" else "Undone"
            return done + (f" ({', '.join(counts)})" if counts else "")
        moved = sum(int(m[2]) for m in r.get("moved") or [])
        done = "Imported" + (f", {moved:,} moved from another period" if moved else "")
        return done + (", then undone" if (r["dataset"], r["table"], r["version"]) in undone else "")

    frame = pl.DataFrame(
        [
            {
                "time": r["time"],
                "dataset": titles.get(r["dataset"], r["dataset"]) + ("" if r["table"] == "responses" else " (volumes)"),
                "version": r["version"],
                "action": what(r),
                "file": r["file"],
                "rows": r["rows_in_file"],
                "new": r["new"] if r["action"] == "import" else None,
                "updated": r["updated"] if r["action"] == "import" else None,
                "unchanged": r["unchanged"] if r["action"] == "import" else None,
                "removed": r.get("removed"),
                "restored": r.get("restored"),
                "periods": ", ".join(r["periods"] or []),
                "user": r["user"],
                "sha256": (r["sha256"] or "")[:12],
            }
            for r in rows
        ],
        infer_schema_length=None,
    )
    when = pl.col("time").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC").dt.convert_time_zone("Europe/London")
    return frame.sort("time", descending=True).select(
        when.dt.strftime("%-d %b %Y %H:%M").alias("When (UK time)"),
        pl.col("dataset").alias("Dataset"),
        pl.col("action").alias("What"),
        pl.col("file").alias("File"),
        pl.col("new").alias("New"),
        pl.col("updated").alias("Updated"),
        pl.col("unchanged").alias("Already held"),
        pl.col("removed").alias("Removed"),
        pl.col("restored").alias("Restored"),
        pl.col("user").alias("By"),
        pl.col("rows").alias("Rows in file"),
        _period_list(frame, "periods").alias("Periods"),
        pl.col("version").alias("Version"),
        pl.col("sha256").alias("File fingerprint"),
    )


def _period_list(frame: pl.DataFrame, column: str) -> pl.Expr:
    """``2019-09, 2019-10`` as ``September 2019, October 2019`` (a ``volumes:`` prefix kept in words)."""

    def words(text: str | None) -> str | None:
        if text is None:
            return None
        prefix, _, listed = text.rpartition(": ")
        named = ", ".join(period_label(p.strip()) for p in listed.split(",") if p.strip())
        return f"contact volumes: {named}" if prefix else named

    return in_words(frame, column, words)


def theme_table(counts: pl.DataFrame) -> pl.DataFrame:
    return counts.select(
        pl.col("theme").alias("Theme"),
        pl.col("comments").alias("Comments"),
        pl.col("share").round(1).alias("% of comments"),
        pl.col("complaint").alias("Complaints"),
        pl.col("praise").alias("Praise"),
        pl.col("neutral").alias("Neutral"),
        pl.col("positive_with").round(1).alias("% positive, with theme"),
        pl.col("base_with").alias("Base, with"),
        pl.col("positive_without").round(1).alias("% positive, without"),
        pl.col("base_without").alias("Base, without"),
    )


def comments_table(listed: pl.DataFrame, *, theme: str | None, search: str, answer_label: str) -> pl.DataFrame:
    """Comments carrying a theme (any, if None) and containing the search words (any case)."""
    shown = listed if theme is None else listed.filter(pl.col(theme))
    if search.strip():
        shown = shown.filter(pl.col("comment").str.to_lowercase().str.contains(search.strip().lower(), literal=True))
    tone = [pl.col(f"{theme}__tone").alias("Tone")] if theme is not None else []
    return shown.select(
        _period(shown, "period").alias("Period"),
        pl.col("comment").alias("Comment"),
        *tone,
        pl.col("answer").alias(answer_label),
    )


def joiners_table(joiners: pl.DataFrame) -> pl.DataFrame:
    """WMNow sign-ups per month: everyone who joined, those since unsubscribed, those still members."""
    return joiners.sort("period", descending=True).select(
        _period(joiners, "period").alias("Month joined"),
        pl.col("joined").alias("Joined"),
        pl.col("since_left").alias("Since left"),
        pl.col("still_members").alias("Still members"),
    )


def answers_table(answers: Answers, *, group_label: str = "Group") -> pl.DataFrame:
    """Every answer's count, its share of all answers and, for answers in the base, its share of the base:
    the figures the diverging bar draws, so the table is the chart's text equivalent."""
    rows = pl.DataFrame(answers.to_json()["rows"], infer_schema_length=None)
    if rows.height == 0:
        return rows
    base = pl.when(pl.col("in_base")).then(pl.col("count")).sum().over("group")
    return rows.select(
        pl.col("group").fill_null("All respondents").alias(group_label),
        pl.col("answer").alias("Answer"),
        pl.col("count").alias("Count"),
        pl.when(pl.col("in_base") & (base > 0))
        .then(pl.col("count") / base * 100)
        .round(1)
        .alias("% of the base (as charted)"),
        pl.col("share").alias("% of all answers"),
        pl.col("in_base").alias("In the base"),
    )


def drivers_table(drivers: Drivers, labels: dict[str, str]) -> pl.DataFrame:
    """Each aspect's % positive and importance in the key drivers model, as the Satisfaction page lists them."""
    return (
        pl.DataFrame(drivers.to_json()["rows"], infer_schema_length=None)
        .with_columns(pl.col("aspect").replace_strict(labels))
        .rename({"aspect": "Aspect", "pct": "% positive", "importance": "Importance (% of R²)"})
    )


# --------------------------------------------------------------------------- compliance checklists (Victims' Code)


def matched_table(m: Matched, labels: dict[str, str], aspect_label: str) -> pl.DataFrame:
    """Each part of the checklist (the measure first): the survey's figure where the review said yes and where no,
    with bases, the difference and its p-value (Holm-adjusted across the parts). Hidden groups show no figure."""
    rows = []
    for r in m.rows:
        met, missed = r.met.pct, r.missed.pct
        shown = met is not None and missed is not None
        rows.append(
            {
                "Reviewed": labels[r.part],
                f"{aspect_label}, yes (%)": r.met.pct,
                "Base (yes)": r.met.base,
                f"{aspect_label}, no (%)": r.missed.pct,
                "Base (no)": r.missed.base,
                "Difference (points)": met - missed if met is not None and missed is not None else None,
                "Significant": None if r.p_adjusted is None else ("yes" if r.significant else "no"),
                "Note": "" if shown else f"suppressed: fewer than {m.min_base} in a group",
                "p-value": r.p_adjusted,
            }
        )
    yes, no = f"{aspect_label}, yes (%)", f"{aspect_label}, no (%)"
    schema = {
        "Reviewed": pl.String,
        yes: pl.Float64,
        "Base (yes)": pl.Int64,
        no: pl.Float64,
        "Base (no)": pl.Int64,
        "Difference (points)": pl.Float64,
        "Significant": pl.String,
        "Note": pl.String,
        "p-value": pl.Float64,
    }
    frame = pl.DataFrame(rows, schema=schema)  # every figure hidden still gives number columns
    return frame.with_columns(pl.col(yes, no, "Difference (points)").round(1), pl.col("p-value").round(4))


def sample_table(counts: pl.DataFrame) -> pl.DataFrame:
    """``views.sample_by_period`` as managers read it."""
    return counts.select(
        _period(counts, "period").alias("Period"),
        pl.col("responses").alias("Cases"),
        pl.col("target").alias("Target"),
        _yes_no("reached").alias("Target reached"),
        pl.col("margin_pp").round(1).alias("Margin of error (±points)"),
    )


def sources_table(by_source: pl.DataFrame) -> pl.DataFrame:
    """WMNow sign-ups by source with each source's 16-24 and ethnic minority shares against the census (the row
    of sign-ups with no source recorded only when there are any)."""
    return by_source.filter((pl.col("source") != "Not recorded") | (pl.col("sign_ups") != 0)).select(
        pl.col("source").alias("Source"),
        pl.col("sign_ups").alias("Sign-ups"),
        pl.col("share").round(1).alias("% of sign-ups"),
        pl.col("aged_16_24").round(1).alias("% 16-24"),
        pl.col("aged_16_24_gap_pp").round(1).alias("16-24 gap (points)"),
        pl.col("ethnic_minority").round(1).alias("% ethnic minority"),
        pl.col("ethnic_minority_gap_pp").round(1).alias("Ethnic minority gap (points)"),
    )


def within_table(rows: pl.DataFrame, label: str) -> pl.DataFrame:
    """Members in each finer unit of one parent (``levels.members_within``); hidden counts blank."""
    return rows.select(
        pl.col("group").alias(label),
        pl.col("members").alias("Active members"),
        pl.col("share").round(1).alias("% of the parent's members"),
    )
