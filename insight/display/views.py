"""What a page shows for the filters chosen: the period a control means for each survey, one
survey's own responses, the trend a Trends page draws, the order of a breakdown, the rows a
chart plots. Pure functions, so the pages stay thin and the tests reach them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from insight.config.census import Census
from insight.config.definition import NOT_STATED, Definition
from insight.config.themes import Theme
from insight.display.tables import in_words
from insight.figures.comments import comments, theme_counts
from insight.figures.compliance import Matched
from insight.figures.drivers import Drivers
from insight.figures.metrics import apply_filters, as_range, in_range, satisfaction, variation_over_time
from insight.figures.validity import margin_of_error
from insight.figures.weighting import Margin, Raking, WeightedResult, profile, weigh_period, weighted_satisfaction
from insight.periods import MONTH, QUARTER, first_period, last_period


def matching_period(chosen: str | None, held: Sequence[str]) -> str | None:
    """The period of another survey that a chosen period means, or None when it has none.

    A month chosen for a quarterly survey means the quarter containing it; a quarter chosen for
    a monthly survey means the latest month of that quarter held; a month means a fieldwork wave
    that starts in it (``2022-12..2023-01`` for ``2022-12``). Without a choice: the latest.
    """
    if not held:
        return None
    if chosen is None:
        return max(held)
    if chosen in held:
        return chosen
    waves = [p for p in held if first_period(p) == chosen]  # a fieldwork wave placed at the month chosen
    if waves:
        return max(waves)
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
    span = as_range(up_to, definition, frame)
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


def survey_responses(frame: pl.DataFrame, definition: Definition, survey: str | None) -> pl.DataFrame:
    """One survey's own responses in a dataset holding several (its definition's ``split_by:``); all when None.

    A survey's figures are its responses alone, never merged with another survey's.
    """
    if not survey or definition.split_by is None:
        return frame
    return frame.filter(pl.col(definition.split_by).cast(pl.String) == survey)


def for_aspects(rows: pl.DataFrame, aspects: Sequence[str]) -> pl.DataFrame:
    """The rows (one or more per aspect) of these aspects only."""
    return rows.filter(pl.col("aspect").is_in(aspects))


def weighted_trend_view(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    up_to: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> WeightedResult:
    """Every period (within ``up_to`` when it is a range), each period's respondents weighted on their own."""
    span = as_range(up_to, definition, frame)
    span = None if span is None or span.is_single else span
    return weighted_satisfaction(in_range(frame, span), definition, census, all_periods=True, filters=filters)


def breakdown_order(breakdown: pl.DataFrame, definition: Definition, by: str) -> pl.DataFrame:
    """A breakdown's groups in the order a chart shows them: age bands (and other numbered groups) in
    their own order, any other groups by % positive, highest first."""
    groups = [g for g in definition.dimensions[by].values if g != NOT_STATED]
    if all(g[:1].isdigit() for g in groups):
        return breakdown
    return breakdown.sort("pct", descending=True, nulls_last=True, maintain_order=True)


def priorities(drivers: Drivers, labels: Mapping[str, str]) -> pl.DataFrame:
    """The modelled aspects as a priority matrix plots them: label, pct (% positive), importance (% of R²)."""
    return pl.DataFrame(
        [
            {"label": labels[r.aspect], "pct": r.pct, "importance": r.importance}
            for r in drivers.rows
            if r.importance is not None
        ],
        schema={"label": pl.String, "pct": pl.Float64, "importance": pl.Float64},
    )


def margin_profiles(respondents: pl.DataFrame, raking: Raking) -> list[tuple[Margin, pl.DataFrame]]:
    """Each margin the respondents were weighted on, with its categories before and after weighting (``profile``)."""
    shares = profile(respondents, raking)
    return [(margin, shares.filter(pl.col("margin") == margin.dimension)) for margin in raking.margins]


@dataclass(frozen=True)
class WeightingProfiles:
    """A period's respondents weighted to the census, as the Respondents page shows them (small: cached whole)."""

    respondents: int
    raking: Raking
    margins: list[tuple[Margin, pl.DataFrame]]


def weighting_profiles(
    frame: pl.DataFrame,
    definition: Definition,
    census: Census,
    *,
    period: str,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> WeightingProfiles:
    """``weigh_period`` and each margin before and after weighting, without keeping the respondents themselves."""
    respondents, raking = weigh_period(frame, definition, census, period=period, filters=filters)
    margins = margin_profiles(respondents, raking) if respondents.height >= definition.suppression.min_base else []
    return WeightingProfiles(respondents.height, raking, margins)


def target_gaps(series: pl.DataFrame, definition: Definition) -> dict[str, float]:
    """The definition's sign-up targets as gaps to the census (points), for the series ``sign_up_gaps`` returned.

    A target for a series not in ``series`` (none of its months had enough sign-ups) is left out.
    """
    census_share = {name: share for name, share in series.select("series", "census_share").unique().iter_rows()}
    return {k: v - census_share[k] for k, v in definition.targets.items() if k in census_share}


def comment_themes(
    frame: pl.DataFrame,
    definition: Definition,
    themes: list[Theme],
    *,
    period: str | None,
    aspect: str,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What the Comments page shows for the respondents chosen: each theme's counts, and the comments."""
    chosen = apply_filters(frame, filters).collect()
    return (
        theme_counts(chosen, definition, themes, period=period, aspect=aspect),
        comments(chosen, definition, themes, period=period, aspect=aspect),
    )


# --------------------------------------------------------------------------- compliance checklists (Victims' Code)


def matched_bars(m: Matched, labels: Mapping[str, str]) -> pl.DataFrame:
    """The survey's figure where the checklist's measure was met and where not, as rows ``share_bars`` draws (one
    ``group`` each: "<label>: yes" / "<label>: no"); each part's figures are in ``tables.matched_table``."""
    rows = []
    for r in m.rows:
        if r.part != m.measure:
            continue
        for side, g in (("yes", r.met), ("no", r.missed)):
            rows.append({"period": m.period, "aspect": m.aspect, "group": f"{labels[r.part]}: {side}",
                         "base": g.base, "positive": g.positive, "pct": g.pct, "ci_low": g.ci_low,
                         "ci_high": g.ci_high, "status": g.status})  # fmt: skip
    return pl.DataFrame(rows, schema=MATCHED_BAR_SCHEMA)


MATCHED_BAR_SCHEMA = {
    "period": pl.String, "aspect": pl.String, "group": pl.String, "base": pl.Int64, "positive": pl.Int64,
    "pct": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "status": pl.String,
}  # fmt: skip


def sample_by_period(frame: pl.DataFrame, definition: Definition, up_to: str | None = None) -> pl.DataFrame:
    """Each period's responses against the definition's ``sample_target`` (periods up to ``up_to``): period,
    responses, target, reached, margin_pp (95%, at 50%)."""
    counts = frame.group_by("period").len("responses").sort("period")
    if up_to is not None:  # a period, or a range's last ("2019-Q1..2019-Q3")
        counts = counts.filter(pl.col("period") <= last_period(up_to))
    target = definition.sample_target
    return counts.with_columns(
        pl.lit(target, pl.Int64).alias("target"),
        (pl.col("responses") >= target).alias("reached") if target else pl.lit(None, pl.Boolean).alias("reached"),
        in_words(counts, "responses", margin_of_error, pl.Float64).alias("margin_pp"),
    )
