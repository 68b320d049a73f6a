"""WMNow sign-ups month by month: who joined (still a member or since left), and whether the gaps narrowed.

A month's sign-ups are everyone who joined that month, whether still a member or since
unsubscribed: counting only those still active would leave out the (younger) members who
left and flatter the drive. The census share is the same in every month, so a change in the
group's share of sign-ups (who stated a value) is a change in the gap. Three tests describe
the shape of the months shown, so the words follow the whole range and not only its ends:

- the trend over every month shown: Cochran-Armitage (``trend.cochran_armitage``, each month
  scored by its calendar index);
- the first month against the last: a two-sided two-proportion z-test (pooled variance);
- a recent step: the last one to three months (at most a third of those shown) pooled against
  every month before them, by the same z-test, the split with the largest difference taken and
  its p-value multiplied by the number of splits tried (Bonferroni); the step is "recent" when
  that is below 0.05 and the months before it show no trend of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from insight.config.census import Census
from insight.config.definition import Definition
from insight.figures.metrics import SUPPRESSED, apply_filters, status_expr, two_proportion_p_value
from insight.figures.representation import sign_up_gap_series
from insight.figures.trend import cochran_armitage
from insight.periods import calendar_index

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
    """How a sign-up gap moved over the months shown: trend, first against last, and a recent step."""

    series: str  # "Aged 16-24" or "Ethnic minority groups"
    first_period: str
    last_period: str
    first_share: float
    last_share: float
    census_share: float
    first_gap_pp: float
    last_gap_pp: float
    p_value: float | None  # first month against last
    narrowed: bool  # first against last: closer to the census, significantly
    widened: bool  # first against last: further from the census, significantly
    months: int = 2  # months shown with enough sign-ups stating a value
    trend_p: float | None = None  # Cochran-Armitage over every month shown
    trend_towards: bool | None = None  # the trend's direction: towards the census (True) or away (False)
    step_since: str | None = None  # the first month of the largest step in the last months, if any was tested
    step_p: float | None = None  # that step against the months before it, Bonferroni-adjusted
    before_gap_pp: float | None = None  # the months before the step, pooled
    after_gap_pp: float | None = None  # the step's months, pooled
    before_trend_p: float | None = None  # the months before the step: a trend of their own?

    @property
    def trend_significant(self) -> bool:
        return self.trend_p is not None and self.trend_p < ALPHA

    @property
    def recent(self) -> bool:
        """The change came in the last months: a significant step after months with no trend of their own."""
        return (
            self.step_since is not None
            and self.step_p is not None
            and self.step_p < ALPHA
            and (self.before_trend_p is None or self.before_trend_p >= ALPHA)
        )

    @property
    def step_towards(self) -> bool | None:
        if self.before_gap_pp is None or self.after_gap_pp is None:
            return None
        return abs(self.after_gap_pp) < abs(self.before_gap_pp)

    @property
    def verdict(self) -> str:
        """The answer in two or three words: narrowing, widening, not closing (recently, when the step is recent)."""
        if self.recent:
            return "narrowing, recently" if self.step_towards else "widening, recently"
        if self.trend_significant:
            return "narrowing" if self.trend_towards else "widening"
        if self.narrowed:
            return "narrower than at the start"
        if self.widened:
            return "wider than at the start"
        return "not closing"


def _trend(part: pl.DataFrame) -> tuple[float | None, float | None]:
    """Cochran-Armitage over the months of ``part``: (z, p), or (None, None) when it cannot be tested."""
    if part.height < 3:
        return None, None
    try:
        return cochran_armitage(
            [float(calendar_index(p)) for p in part.get_column("period")],
            part.get_column("in_groups").to_list(),
            part.get_column("stated").to_list(),
        )
    except ValueError:
        return None, None


def _pooled_gap(part: pl.DataFrame, census_share: float) -> float:
    return float(part.get_column("in_groups").sum()) / float(part.get_column("stated").sum()) * 100 - census_share


MAX_STEP_MONTHS = 3  # a "recent" step is in the last three months at most (and at most a third of those shown)


def _recent_step(part: pl.DataFrame, census_share: float) -> dict:
    """The largest step in the last months against every month before them (see the module's docstring)."""
    n = part.height
    longest = min(MAX_STEP_MONTHS, n // 3)
    if longest < 1:
        return {}
    tried = []
    for k in range(1, longest + 1):
        before, after = part.head(n - k), part.tail(k)
        p = two_proportion_p_value(
            int(after.get_column("in_groups").sum()),
            int(after.get_column("stated").sum()),
            int(before.get_column("in_groups").sum()),
            int(before.get_column("stated").sum()),
        )
        if p is not None:
            tried.append((p, k, before, after))
    if not tried:
        return {}
    p, k, before, after = min(tried, key=lambda t: t[0])
    return {
        "step_since": after.row(0, named=True)["period"],
        "step_p": min(1.0, p * len(tried)),
        "before_gap_pp": _pooled_gap(before, census_share),
        "after_gap_pp": _pooled_gap(after, census_share),
        "before_trend_p": _trend(before)[1],
    }


def gap_changes(series: pl.DataFrame) -> list[GapChange]:
    """For each series of ``sign_up_gap_series``: the trend over every month shown, the first month against the
    last (z-test) and the largest recent step."""
    out = []
    for (name,), part in series.sort("period").group_by(["series"], maintain_order=True):
        if part.height < 2:
            continue
        first, last = part.row(0, named=True), part.row(-1, named=True)
        p = two_proportion_p_value(first["in_groups"], first["stated"], last["in_groups"], last["stated"])
        significant = p is not None and p < ALPHA
        closer = abs(last["gap_pp"]) < abs(first["gap_pp"])
        z, trend_p = _trend(part)
        census = float(first["census_share"])
        below = _pooled_gap(part, census) < 0  # under-represented over the months shown: a rising share narrows it
        out.append(
            GapChange(
                series=str(name),
                first_period=first["period"],
                last_period=last["period"],
                first_share=first["share"],
                last_share=last["share"],
                census_share=census,
                first_gap_pp=first["gap_pp"],
                last_gap_pp=last["gap_pp"],
                p_value=p,
                narrowed=significant and closer,
                widened=significant and not closer,
                months=part.height,
                trend_p=trend_p,
                trend_towards=None if z is None else (z > 0) == below,
                **_recent_step(part, census),
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
