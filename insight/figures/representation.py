"""Who answered (or signed up) against who lives in the force area.

Share of those *who stated* a value, by group, against the census share of the same
groups in the same area; the gap in percentage points; the number who did not state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from insight.config.census import Census
from insight.config.definition import NOT_STATED, Definition
from insight.figures.metrics import (
    SUPPRESSED,
    apply_filters,
    as_range,
    complementary_hidden,
    in_range,
    latest_period,
    status_expr,
    status_of,
)
from insight.periods import PeriodRange

ROW_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "count": pl.Int64(),
    "share": pl.Float64(),
    "census_share": pl.Float64(),
    "gap_pp": pl.Float64(),
}


@dataclass(frozen=True)
class Representation:
    dataset: str
    by: str
    period: str | None  # None: everyone held (for a membership list, every current member)
    npu: str | None  # the NPU(s) chosen, joined with ", "; None: force-wide
    area: str  # the census area(s) benchmarked against
    population: str | None  # which census population the benchmark covers
    source: str | None
    stated: int
    not_stated: int
    status: str
    rows: pl.DataFrame


def representation(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    by: str,
    period: str | PeriodRange | None = None,
    npu: str | Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    latest_if_no_period: bool | None = None,
) -> Representation:
    """Representation of respondents (or current members) by one dimension.

    Without ``period``, a survey uses its latest period and a membership list uses
    every current member; pass ``latest_if_no_period`` to choose otherwise. With a period
    (or range), a membership list counts everyone who joined then, whether still a member or
    since unsubscribed: leaving out those who left would flatter the drive. ``npu``
    (one or several) narrows the data and benchmarks against their local authorities
    added together; ``filters`` narrow the respondents by other dimensions (a filter on
    ``by`` itself is ignored: it would decide the answer).
    """
    if by not in definition.dimensions:
        raise ValueError(f"{definition.dataset} has no dimension {by!r}; choose from {list(definition.dimensions)}")
    dim = definition.dimensions[by]
    if latest_if_no_period is None:
        latest_if_no_period = definition.kind == "survey"
    if period is None and latest_if_no_period:
        period = latest_period(frame)
    span = as_range(period, definition, frame)

    npus = _npus(npu, filters)
    lf = apply_filters(in_range(frame, span), _data_filters(definition, filters, npus, by, joiners=span is not None))
    counts = (
        lf.group_by(pl.col(by).cast(pl.String).alias("group")).agg(pl.len().cast(pl.Int64).alias("count")).collect()
    )
    count_of = dict(counts.iter_rows())
    not_stated = int(count_of.pop(NOT_STATED, 0))
    stated = sum(count_of.values())

    table = census.tables.get(dim.census) if dim.census else None
    areas = census.areas_for(npus)
    benchmark = table.shares(areas) if table and all(a in table.areas for a in areas) else {}

    sup = definition.suppression
    status = status_of(stated, sup)
    rows = []
    for group in dim.groups:
        n = int(count_of.get(group, 0))
        share = n / stated * 100 if stated and status != SUPPRESSED else None
        census_share = benchmark.get(group)
        gap = share - census_share if share is not None and census_share is not None else None
        rows.append({"group": group, "count": n, "share": share, "census_share": census_share, "gap_pp": gap})
    frame_rows = pl.DataFrame(rows, schema=ROW_SCHEMA)
    if sup.secondary:
        frame_rows = _hide_small_counts(frame_rows, sup.min_base)
    return Representation(
        dataset=definition.dataset,
        by=by,
        period=span.text if span else None,
        npu=", ".join(npus) or None,
        area=" + ".join(areas),
        population=table.population if table else None,
        source=table.source if table else None,
        stated=stated,
        not_stated=not_stated,
        status=status,
        rows=frame_rows,
    )


def _npus(npu: str | Sequence[str] | None, filters: Mapping[str, Sequence[str]] | None) -> list[str]:
    if npu is None:
        return list((filters or {}).get("npu", []))
    return [npu] if isinstance(npu, str) else list(npu)


def _data_filters(
    definition: Definition,
    filters: Mapping[str, Sequence[str]] | None,
    npus: list[str],
    by: str,
    *,
    joiners: bool = False,
) -> dict[str, list[str]]:
    """The population (e.g. active members; not for joiners), the user's filters except on ``by``, and the NPUs."""
    population = {} if joiners else definition.population
    combined: dict[str, list[str]] = {k: list(v) for k, v in population.items()}
    combined.update({k: list(v) for k, v in (filters or {}).items() if v and k not in (by, "npu")})
    if npus:
        combined["npu"] = npus
    return combined


def _hide_small_counts(rows: pl.DataFrame, min_base: int) -> pl.DataFrame:
    """Sensitive datasets: hide counts of 1..min_base-1, then complementary suppression (``complementary_hidden``)."""
    counts = rows.get_column("count").to_list()
    small = [0 < c < min_base for c in counts]
    hide = pl.Series(complementary_hidden(counts, small, min_base), dtype=pl.Boolean)
    return rows.with_columns(
        [pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in ("count", "share", "gap_pp")]
    )


def gap_trend(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    by: str,
    groups: list[str],
    npu: str | Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Each period's new sign-ups (or respondents): share of the chosen groups against census.

    Columns: period, stated, in_groups, share, census_share, gap_pp, status. ``groups`` are summed,
    e.g. every ethnic group but White for "ethnic minority groups".
    """
    dim = definition.dimensions[by]
    table = census.tables[dim.census] if dim.census else None
    if table is None:
        raise ValueError(f"{by} has no census benchmark")
    npus = _npus(npu, filters)
    census_share = sum(v for g, v in table.shares(census.areas_for(npus)).items() if g in groups)
    sup = definition.suppression
    value = pl.col(by).cast(pl.String)
    out = (
        apply_filters(frame, _data_filters(definition, filters, npus, by, joiners=True))
        .filter(value != NOT_STATED)
        .group_by("period")
        .agg(pl.len().cast(pl.Int64).alias("stated"), value.is_in(groups).sum().cast(pl.Int64).alias("in_groups"))
        .sort("period")
        .collect()
    )
    return (
        out.with_columns(
            pl.when(pl.col("stated") >= sup.min_base).then(pl.col("in_groups") / pl.col("stated") * 100).alias("share"),
            pl.lit(census_share).alias("census_share"),
            status_expr(pl.col("stated"), sup).alias("status"),
        )
        .with_columns((pl.col("share") - pl.col("census_share")).alias("gap_pp"))
        .with_columns(pl.when(pl.col("status") != SUPPRESSED).then(pl.col("in_groups")).alias("in_groups"))
    )


def sign_up_gap_series(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    npu: str | Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """The two gaps portfolio leads track, month by month: 16-24s and ethnic minority groups.

    Months with too few sign-ups stating a value are left out rather than drawn.
    """
    ethnicity = definition.dimensions["ethnicity"]
    minority = [g for g in ethnicity.groups if g != "White"]
    parts = [
        gap_trend(frame, definition, census, by="age", groups=["16-24"], npu=npu, filters=filters).with_columns(
            pl.lit("Aged 16-24").alias("series")
        ),
        gap_trend(frame, definition, census, by="ethnicity", groups=minority, npu=npu, filters=filters).with_columns(
            pl.lit("Ethnic minority groups").alias("series")
        ),
    ]
    return pl.concat(parts).filter(pl.col("status") != SUPPRESSED)
