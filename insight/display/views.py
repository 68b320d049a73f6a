"""What a page shows for the filters chosen: the period a control means for each survey and
the trend a Trends page draws. Pure functions, so the pages stay thin and the tests reach them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import as_range, in_range, satisfaction, variation_over_time
from insight.periods import MONTH, QUARTER


def matching_period(chosen: str | None, held: Sequence[str]) -> str | None:
    """The period of another survey that a chosen period means, or None when it has none.

    A month chosen for a quarterly survey means the quarter containing it; a quarter chosen for
    a monthly survey means the latest month of that quarter held. Without a choice: the latest.
    """
    if not held:
        return None
    if chosen is None:
        return max(held)
    if chosen in held:
        return chosen
    if m := MONTH.match(chosen):
        quarter = f"{m.group(1)}-Q{(int(m.group(2)) - 1) // 3 + 1}"
        return quarter if quarter in held else None
    if m := QUARTER.match(chosen):
        q = int(m.group(2))
        months = [f"{m.group(1)}-{month:02d}" for month in range(3 * q - 2, 3 * q + 1)]
        inside = [p for p in held if p in months]
        return max(inside) if inside else None
    return None


def trend_view(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    aspects: Sequence[str],
    by: str | None = None,
    up_to: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every period up to ``up_to`` (or within it, when it is a range) for the aspects (and the groups of
    ``by``) asked for.

    Returns the trend and, for each line drawn, whether it has varied significantly over time
    (columns ``aspect``, ``group`` and those of ``variation_over_time``).
    """
    span = as_range(up_to, definition)
    if span is not None and not span.is_single:  # a range chosen: the trend within it
        frame = in_range(frame, span)
    trend = satisfaction(frame, definition, all_periods=True, by=by, aspects=aspects, filters=filters)
    if span is not None and span.is_single:  # one period chosen: every period up to it
        trend = trend.filter(pl.col("period") <= span.last)
    empty = variation_over_time(trend.clear()).with_columns(pl.lit(None, dtype=pl.String).alias("group"))
    tests = [empty]
    for group in dict.fromkeys(trend.get_column("group").to_list()):
        part = trend.filter(pl.col("group").is_null() if group is None else pl.col("group") == group)
        tested = variation_over_time(part).with_columns(pl.lit(group, dtype=pl.String).alias("group"))
        # A line whose every period is suppressed still gets its sentence ("too few ... to test").
        untested = [a for a in dict.fromkeys(part.get_column("aspect").to_list()) if a not in tested["aspect"]]
        blank = pl.DataFrame(
            {"aspect": untested, "periods": [0] * len(untested)}, schema_overrides={"periods": pl.Int64}
        )
        tests += [tested, blank.with_columns(pl.lit(group, dtype=pl.String).alias("group"))]
    return trend, pl.concat(tests, how="diagonal_relaxed").select(empty.columns)
