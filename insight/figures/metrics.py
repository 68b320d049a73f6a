"""Satisfaction figures: where every percentage in the app and the CLI is computed.

Pure functions, frames in and frames out; no Streamlit. The conventions (DESIGN.md):

- positive share = positive answers / base; the base leaves out blank answers and the
  scale's excluded answers (Don't know, Not applicable);
- 95% interval by the Wilson score method;
- change on the previous period (the latest earlier period that has data) by a
  two-sided two-proportion z-test with pooled variance; significant when p < 0.05;
- status ``suppressed`` when the base is below the definition's ``min_base`` (no
  percentage, interval, positive count or change is output), ``low_base`` below
  ``caution_base``; with ``secondary`` suppression, when exactly one group of a
  breakdown is suppressed, the next smallest is suppressed too, and a range (quarter, year)
  is suppressed when the periods hidden inside it could be subtracted out (``_hidden_in_time``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import cast

import polars as pl

from insight.config.definition import Definition, Suppression
from insight.periods import RANGE_SEPARATOR, PeriodRange, parse_range, placed_in

Z95 = 1.959963984540054
OK, LOW_BASE, SUPPRESSED = "ok", "low_base", "suppressed"

# A pl.Schema, which DataFrame.cast is typed to take (a dict[str, DataType] is not: Mapping keys are invariant).
RESULT_SCHEMA = pl.Schema(
    {
        "period": pl.String(),
        "aspect": pl.String(),
        "group": pl.String(),
        "base": pl.Int64(),
        "positive": pl.Int64(),
        "pct": pl.Float64(),
        "ci_low": pl.Float64(),
        "ci_high": pl.Float64(),
        "status": pl.String(),
        "previous_period": pl.String(),
        "change_pp": pl.Float64(),
        "p_value": pl.Float64(),
        "significant": pl.Boolean(),
    }
)


def status_of(base: int, suppression: Suppression) -> str:
    """``suppressed`` below the minimum base, ``low_base`` below the caution base, else ``ok``."""
    if base < suppression.min_base:
        return SUPPRESSED
    return LOW_BASE if base < suppression.caution_base else OK


def status_expr(base: pl.Expr, suppression: Suppression) -> pl.Expr:
    """``status_of`` for a column of bases."""
    return (
        pl.when(base < suppression.min_base)
        .then(pl.lit(SUPPRESSED))
        .when(base < suppression.caution_base)
        .then(pl.lit(LOW_BASE))
        .otherwise(pl.lit(OK))
    )


def wilson_interval(positive: pl.Expr, base: pl.Expr, z: float = Z95) -> tuple[pl.Expr, pl.Expr]:
    """Wilson score interval for positive/base, in percentage points."""
    n = base.cast(pl.Float64)
    p = positive.cast(pl.Float64) / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * ((p * (1 - p) / n + z**2 / (4 * n**2)).sqrt()) / denom
    return ((centre - half) * 100), ((centre + half) * 100)


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def apply_filters(frame: pl.DataFrame | pl.LazyFrame, filters: Mapping[str, Sequence[str]] | None) -> pl.LazyFrame:
    """Keep rows whose dimension values are among those chosen (an empty choice keeps all)."""
    lf = frame.lazy()
    for dim, values in (filters or {}).items():
        if values:
            lf = lf.filter(pl.col(dim).cast(pl.String).is_in(list(values)))
    return lf


def _counts(lf: pl.LazyFrame, definition: Definition, aspects: Sequence[str], by: str | None) -> pl.LazyFrame:
    """Long frame: period, group, aspect, base, positive."""
    aggs = []
    for a in aspects:
        scale = definition.questions[a].scale
        aggs.append(pl.col(a).is_in(list(scale.in_base)).sum().cast(pl.Int64).alias(f"{a}\x00base"))
        aggs.append(pl.col(a).is_in(list(scale.positive)).sum().cast(pl.Int64).alias(f"{a}\x00positive"))
    keys = ["period", by] if by else ["period"]
    wide = lf.group_by(keys).agg(aggs)
    group = pl.col(by).cast(pl.String) if by else pl.lit(None, pl.String)
    parts = [
        wide.select(
            pl.col("period"),
            pl.lit(a).alias("aspect"),
            group.alias("group"),
            pl.col(f"{a}\x00base").alias("base"),
            pl.col(f"{a}\x00positive").alias("positive"),
        )
        for a in aspects
    ]
    return pl.concat(parts)


def _group_order(definition: Definition, by: str | None) -> dict[str | None, int]:
    if not by:
        return {None: 0}
    return {g: i for i, g in enumerate(definition.dimensions[by].values)}


def _finish(
    counts: pl.DataFrame,
    definition: Definition,
    by: str | None,
    everyone: pl.DataFrame | None = None,
    hidden_in_time: Collection[tuple[str, str, str | None]] = (),
    parents: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Intervals, status, suppression and change for every period of a counts frame.

    ``everyone`` holds the same counts without the user's filters; given for a dataset with
    secondary suppression, a filtered figure is hidden when the respondents it leaves out are
    fewer than the minimum base, or they could be worked out by subtracting it from the total.
    ``hidden_in_time`` lists (period, aspect, group) range figures to hide because the periods
    inside them would give a hidden one away (``_hidden_in_time``). ``parents`` maps each group of a
    dimension with a parent (``within:``) to its parent group: complementary suppression then applies
    among each parent's groups, whose total is shown a level up.
    """
    sup = definition.suppression
    lo, hi = wilson_interval(pl.col("positive"), pl.col("base"))
    frame = counts.with_columns(
        (pl.col("positive") / pl.col("base") * 100).alias("pct"),
        lo.alias("ci_low"),
        hi.alias("ci_high"),
        status_expr(pl.col("base"), sup).alias("status"),
    )
    if everyone is not None:
        keys = ["period", "aspect", "group"]
        left_out = frame.join(
            everyone.select(*keys, pl.col("base").alias("__all")), on=keys, how="left", nulls_equal=True
        )
        gap = pl.col("__all") - pl.col("base")
        frame = left_out.with_columns(
            pl.when((gap > 0) & (gap < sup.min_base))
            .then(pl.lit(SUPPRESSED))
            .otherwise(pl.col("status"))
            .alias("status")
        ).drop("__all")
    if hidden_in_time:
        keys = ["period", "aspect", "group"]
        marks = pl.DataFrame(  # typed: without a breakdown every group is None, which alone would type as null
            list(hidden_in_time), schema={k: pl.String for k in keys}, orient="row"
        ).with_columns(pl.lit(True).alias("__t"))
        frame = (
            frame.join(marks, on=keys, how="left", nulls_equal=True)
            .with_columns(pl.when(pl.col("__t")).then(pl.lit(SUPPRESSED)).otherwise(pl.col("status")).alias("status"))
            .drop("__t")
        )
    if by and (sup.secondary or parents is not None):
        frame = _secondary_suppression(frame, sup.min_base, parents)

    # The previous period is the latest earlier one with any data for this dataset.
    periods = sorted(counts.get_column("period").unique().to_list())
    previous = dict(zip(periods[1:], periods[:-1], strict=True))
    frame = frame.with_columns(
        pl.col("period").replace_strict(previous, default=None, return_dtype=pl.String).alias("previous_period")
    )
    prev = frame.select(
        pl.col("period").alias("previous_period"),
        "aspect",
        "group",
        pl.col("base").alias("__pbase"),
        pl.col("positive").alias("__ppos"),
        (pl.col("status") == SUPPRESSED).alias("__psup"),
    )
    frame = frame.join(prev, on=["previous_period", "aspect", "group"], how="left", nulls_equal=True)
    comparable = (pl.col("status") != SUPPRESSED) & pl.col("__psup").not_()  # null: no previous period
    p_values = [
        two_proportion_p_value(x1, n1, x2, n2) if ok else None
        for x1, n1, x2, n2, ok in frame.select(
            "positive", "base", "__ppos", "__pbase", comparable.fill_null(False)
        ).iter_rows()
    ]
    frame = frame.with_columns(pl.Series("p_value", p_values, dtype=pl.Float64)).with_columns(
        pl.when(comparable).then(pl.col("pct") - pl.col("__ppos") / pl.col("__pbase") * 100).alias("change_pp"),
        (pl.col("p_value") < 0.05).alias("significant"),
    )
    hidden = pl.col("status") == SUPPRESSED
    frame = frame.with_columns(
        [pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in ("positive", "pct", "ci_low", "ci_high")]
    )
    aspect_order = {a: i for i, a in enumerate(definition.questions)}
    group_order = _group_order(definition, by)
    frame = frame.with_columns(
        pl.col("aspect").replace_strict(aspect_order, return_dtype=pl.Int32).alias("__a"),
        pl.col("group").replace_strict(group_order, default=999, return_dtype=pl.Int32).alias("__g"),
    )
    return frame.sort("period", "__a", "__g").select(list(RESULT_SCHEMA)).cast(RESULT_SCHEMA)


def complementary_hidden(bases: Sequence[int], hidden: Sequence[bool], min_base: int) -> list[bool]:
    """Which groups of one breakdown to hide so that no hidden group, nor any sum of them, can be worked out.

    Starting from the groups hidden for their own small base, while exactly one group is hidden or the
    hidden groups together number fewer than ``min_base``, the next smallest shown group is hidden too.
    Groups with no base at all reveal nothing and are never counted or chosen.
    """
    out = [bool(h) and b > 0 for h, b in zip(hidden, bases, strict=True)]
    while any(out):
        chosen = [i for i, h in enumerate(out) if h]
        if len(chosen) > 1 and sum(bases[i] for i in chosen) >= min_base:
            break
        shown = sorted((bases[i], i) for i, h in enumerate(out) if not h and bases[i] > 0)
        if not shown:
            break
        out[shown[0][1]] = True
    return out


def _secondary_suppression(
    frame: pl.DataFrame, min_base: int, parents: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """Complementary suppression within each period and aspect of a breakdown (``complementary_hidden``), and
    within each parent group when ``parents`` maps the groups to theirs.

    Otherwise a hidden group's figures could be recovered from the total less the groups shown.
    """
    keys = ["period", "aspect"]
    frame = frame.with_row_index("__row").sort("group", nulls_last=True)
    if parents is not None:
        frame = frame.with_columns(pl.col("group").replace_strict(parents, default=None).alias("__parent"))
        keys.append("__parent")
    hide_rows: list[int] = []
    for _, part in frame.group_by(keys, maintain_order=True):
        rows = part.get_column("__row").to_list()
        bases = part.get_column("base").to_list()
        hidden = (part.get_column("status") == SUPPRESSED).to_list()
        for row, hide in zip(rows, complementary_hidden(bases, hidden, min_base), strict=True):
            if hide:
                hide_rows.append(row)
    return (
        frame.with_columns(
            pl.when(pl.col("__row").is_in(hide_rows))
            .then(pl.lit(SUPPRESSED))
            .otherwise(pl.col("status"))
            .alias("status")
        )
        .sort("__row")
        .drop("__row", *(["__parent"] if parents is not None else []))
    )


def as_range(
    period: str | PeriodRange | None, definition: Definition, frame: pl.DataFrame | None = None
) -> PeriodRange | None:
    """A period or range as a ``PeriodRange`` (None stays None); raises ValueError for a badly written one.

    With ``frame``, a range written as a wave it holds as one period (``2022-12..2023-01``) is that wave."""
    if period is None:
        return None
    if isinstance(period, PeriodRange):
        text = period.text
        if period.is_single or frame is None or not _holds(frame, text):
            return period
        return PeriodRange(text, text, definition.period.granularity)
    held = (
        [period.strip()] if frame is not None and RANGE_SEPARATOR in period and _holds(frame, period.strip()) else None
    )
    return parse_range(period, definition.period.granularity, held)


def _holds(frame: pl.DataFrame, period: str) -> bool:
    """Whether the frame holds this period as one (a fieldwork wave written as a range)."""
    return RANGE_SEPARATOR in period and bool((frame.get_column("period") == period).any())


def pool(frame: pl.DataFrame, span: PeriodRange) -> pl.DataFrame:
    """The responses in a range and in the same number of periods immediately before, each labelled as one period.

    A range's figures count its responses together; its change compares with the range before
    (``2019-04..2019-06`` for ``2019-07..2019-09``), which sorts before it as text.
    """
    before = span.before()
    label = pl.when(placed_in(span)).then(pl.lit(span.text)).when(placed_in(before)).then(pl.lit(before.text))
    return frame.with_columns(label.alias("period")).filter(pl.col("period").is_not_null())


def in_range(frame: pl.DataFrame, span: PeriodRange | None) -> pl.DataFrame:
    """The responses in a range (all of them for None); a fieldwork wave is in a range when its first month is."""
    return frame if span is None else frame.filter(placed_in(span))


def satisfaction(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    period: str | PeriodRange | None = None,
    by: str | None = None,
    aspects: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    all_periods: bool = False,
) -> pl.DataFrame:
    """Positive share by aspect (and by one dimension), with interval, status and change.

    ``period`` None means the latest period held; a range (``2019-07..2019-09``) counts its
    responses together and compares with the same number of periods immediately before
    (``period`` in the result is the range as written). ``all_periods`` returns every period
    (for trends). Rows are sorted by period, aspect (definition order), group.
    """
    aspects = list(aspects or definition.aspects)
    if by is not None and by not in definition.dimensions:
        raise ValueError(f"{definition.dataset} has no dimension {by!r}; choose from {list(definition.dimensions)}")
    span = None if all_periods else as_range(period, definition, frame)
    raw = frame
    if span is not None and not span.is_single:
        frame = pool(frame, span)
        period = span.text
    elif span is not None:
        period = span.text
    lf = apply_filters(frame, filters)
    counts = _counts(lf, definition, aspects, by).collect()
    if counts.height == 0:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    everyone = None
    if definition.suppression.secondary and any((filters or {}).values()):
        everyone = _counts(frame.lazy(), definition, aspects, by).collect()
    hidden_in_time: set[tuple[str, str, str | None]] = set()
    if definition.suppression.secondary and span is not None and not span.is_single:
        for part in (span, span.before()):
            hidden_in_time |= {
                (part.text, a, g)
                for a, g in _hidden_in_time(raw, definition, part, by=by, aspects=aspects, filters=filters)
            }
    result = _finish(counts, definition, by, everyone, hidden_in_time, _parents(lf, definition, by))
    if all_periods:
        return result
    period = period or latest_period(frame)
    return result.filter(pl.col("period") == period)


def _parents(lf: pl.LazyFrame, definition: Definition, by: str | None) -> dict[str, str] | None:
    """Each group of a breakdown by a dimension with a parent (``within:``) mapped to the parent group most of
    its rows fall in; None for any other breakdown."""
    parent = definition.dimensions[by].within if by else None
    if by is None or parent is None:
        return None
    pairs = lf.group_by(by).agg(pl.col(parent).cast(pl.String).mode().sort().first().alias("__p")).collect()
    return {str(g): str(p) for g, p in pairs.iter_rows() if g is not None and p is not None}


def _inner_levels(span: PeriodRange) -> list[list[PeriodRange]]:
    """The finer publishable periods inside a range: its single periods, and the quarters of a year of months."""
    levels = [[PeriodRange(p, p, span.granularity) for p in span.periods]]
    if span.granularity == "month" and span.length > 3 and span.length % 3 == 0:
        months = span.periods
        levels.append([PeriodRange(months[i], months[i + 2], "month") for i in range(0, len(months), 3)])
    return levels


def _hidden_in_time(
    frame: pl.DataFrame,
    definition: Definition,
    span: PeriodRange,
    *,
    by: str | None,
    aspects: Sequence[str],
    filters: Mapping[str, Sequence[str]] | None,
) -> set[tuple[str, str | None]]:
    """The (aspect, group) figures of a range to hide so that a hidden period inside it cannot be subtracted out.

    A range figure less its shown periods gives the sum of its hidden ones. So at each finer level
    (months; and quarters for a financial year), for each group and aspect, the range is hidden when
    its hidden periods number exactly one (that one would be given away, even if hidden only to protect
    another group) or together hold fewer than the minimum base respondents. A hidden quarter counts
    as hidden for the year above it, since ``satisfaction`` of a quarter applies this rule itself.
    """
    min_base = definition.suppression.min_base
    out: set[tuple[str, str | None]] = set()
    for level in _inner_levels(span):
        hidden: dict[tuple[str, str | None], list[int]] = {}
        for part in level:
            shown = satisfaction(
                in_range(frame, part), definition, period=part, by=by, aspects=aspects, filters=filters
            )
            for aspect, group, base, status in shown.select("aspect", "group", "base", "status").iter_rows():
                if status == SUPPRESSED and base > 0:
                    hidden.setdefault((aspect, group), []).append(base)
        out |= {key for key, bases in hidden.items() if len(bases) == 1 or sum(bases) < min_base}
    return out


def full_report(frame: pl.DataFrame, definition: Definition) -> dict[str | None, pl.DataFrame]:
    """Every aspect by every dimension (and overall) for every period: one frame per breakdown."""
    lf = frame.lazy()
    dims: list[str | None] = [None, *definition.dimensions]
    counted = pl.collect_all([_counts(lf, definition, definition.aspects, d) for d in dims])
    return {
        d: _finish(c, definition, d, parents=_parents(lf, definition, d)) for d, c in zip(dims, counted, strict=True)
    }


def latest_period(frame: pl.DataFrame) -> str | None:
    if frame.height == 0:
        return None
    return cast("str", frame.get_column("period").max())  # a String column; polars types its max as any Python value


def periods(frame: pl.DataFrame) -> list[str]:
    return sorted(frame.get_column("period").unique().drop_nulls().to_list())


# --------------------------------------------------------------------------- over time


def _upper_gamma_regularised(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), by series for x < a + 1 and continued fraction beyond."""
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        for _ in range(1000):
            k += 1
            term *= x / k
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(log_prefix) * h


def chi_square_sf(statistic: float, df: int) -> float:
    """P(X >= statistic) for a chi-square distribution with ``df`` degrees of freedom."""
    return _upper_gamma_regularised(df / 2, statistic / 2)


def variation_over_time(trend: pl.DataFrame) -> pl.DataFrame:
    """Has each aspect varied significantly over the periods shown?

    A chi-square test of homogeneity of the positive share across every period whose
    base is not suppressed. Columns: aspect, periods, statistic, p_value, significant.
    """
    rows = []
    for (aspect,), part in trend.filter(pl.col("status") != SUPPRESSED).group_by(["aspect"], maintain_order=True):
        x = part.get_column("positive").to_list()
        n = part.get_column("base").to_list()
        k = len(n)
        total_x, total_n = sum(x), sum(n)
        if k < 2 or total_x in (0, total_n):
            rows.append({"aspect": aspect, "periods": k, "statistic": None, "p_value": None, "significant": None})
            continue
        p = total_x / total_n
        stat = sum(
            (xi - ni * p) ** 2 / (ni * p) + ((ni - xi) - ni * (1 - p)) ** 2 / (ni * (1 - p))
            for xi, ni in zip(x, n, strict=True)
        )
        pv = chi_square_sf(stat, k - 1)
        rows.append({"aspect": aspect, "periods": k, "statistic": stat, "p_value": pv, "significant": pv < 0.05})
    schema = {
        "aspect": pl.String,
        "periods": pl.Int64,
        "statistic": pl.Float64,
        "p_value": pl.Float64,
        "significant": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)
