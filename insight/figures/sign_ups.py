"""WMNow sign-ups month by month: who joined (still a member or since left), and whether the gaps narrowed.

A month's sign-ups are everyone who joined that month, whether still a member or since
unsubscribed: counting only those still active would leave out the (younger) members who
left and flatter the drive. Whether a gap narrowed between the first and last month shown is
a two-sided two-proportion z-test (pooled variance) of the group's share of sign-ups who
stated a value in those two months; the census share is the same in both, so a change in
share is a change in the gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from insight.config.census import Census
from insight.config.definition import Definition
from insight.figures.metrics import SUPPRESSED, apply_filters, status_expr, two_proportion_p_value
from insight.figures.representation import sign_up_gap_series

ALPHA = 0.05


def joiners_by_month(
    frame: pl.DataFrame, definition: Definition, *, filters: Mapping[str, Sequence[str]] | None = None
) -> pl.DataFrame:
    """Per month joined: joined (everyone), since_left (unsubscribed since), still_members. Small counts hidden.

    Columns: period, joined, since_left, still_members, status (of ``joined`` against the minimum base).
    """
    status_dim = "status" if "status" in definition.dimensions else None
    active = list(definition.population.get("status", ())) if status_dim else []
    left = pl.col("status").cast(pl.String).is_in(active).not_() if status_dim else pl.lit(False)
    counts = (
        apply_filters(frame, {k: v for k, v in (filters or {}).items() if k != "status"})
        .group_by("period")
        .agg(pl.len().cast(pl.Int64).alias("joined"), left.sum().cast(pl.Int64).alias("since_left"))
        .sort("period")
        .collect()
    )
    sup = definition.suppression
    hidden = pl.col("status") == SUPPRESSED
    return counts.with_columns(
        (pl.col("joined") - pl.col("since_left")).alias("still_members"),
        status_expr(pl.col("joined"), sup).alias("status"),
    ).with_columns([pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("since_left", "still_members")])


@dataclass(frozen=True)
class GapChange:
    series: str  # "Aged 16-24" or "Ethnic minority groups"
    first_period: str
    last_period: str
    first_share: float
    last_share: float
    census_share: float
    first_gap_pp: float
    last_gap_pp: float
    p_value: float | None
    narrowed: bool  # closer to the census, significantly
    widened: bool  # further from the census, significantly


def gap_changes(series: pl.DataFrame) -> list[GapChange]:
    """For each series of ``sign_up_gap_series``: first against last month shown, with the z-test."""
    out = []
    for (name,), part in series.sort("period").group_by(["series"], maintain_order=True):
        if part.height < 2:
            continue
        first, last = part.row(0, named=True), part.row(-1, named=True)
        p = two_proportion_p_value(first["in_groups"], first["stated"], last["in_groups"], last["stated"])
        significant = p is not None and p < ALPHA
        closer = abs(last["gap_pp"]) < abs(first["gap_pp"])
        out.append(
            GapChange(
                series=str(name),
                first_period=first["period"],
                last_period=last["period"],
                first_share=first["share"],
                last_share=last["share"],
                census_share=first["census_share"],
                first_gap_pp=first["gap_pp"],
                last_gap_pp=last["gap_pp"],
                p_value=p,
                narrowed=significant and closer,
                widened=significant and not closer,
            )
        )
    return out


def sign_up_gaps(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    first: str | None = None,
    last: str | None = None,
) -> tuple[pl.DataFrame, list[GapChange]]:
    """The monthly gap series between ``first`` and ``last`` (inclusive; every month without) and their changes."""
    series = sign_up_gap_series(frame, definition, census, filters=filters)
    if first:
        series = series.filter(pl.col("period") >= first)
    if last:
        series = series.filter(pl.col("period") <= last)
    return series, gap_changes(series)
