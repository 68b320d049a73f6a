"""Who is surveyed at all, and who answers: a survey's funnel, response rate and response count over time.

Month by month (``monthly_reach``): the contacts in scope (crimes in scope, calls, chats), each named count
of the volumes file (the reasons contacts were not invited, counted in the funnel's order, each under the
first that applies), the invitations (surveys sent), the responses held, the response rate (responses over
invitations, with its Wilson interval) and, for an exclusion with a ``reach``, the share of those still in the
funnel when it is applied that it leaves in ("reachable by email").

Two tests over time, each on every period held in the range (``response_trends``):

- the response *rate*: Cochran-Armitage across the months with invitations (``trend.cochran_armitage``, each
  month scored by the time since the first), its z divided by sqrt(phi), phi = max(1, X²_dep / (k - 2)) where
  X²_dep = X²_homogeneity - z² is the departure from a straight line in Armitage's partition of the chi-square
  over the k months: month-to-month swings wider than chance (thousands invited a month) are not a trend;
- the response *count*: a log-linear (quasi-)Poisson regression of the count on the time since the first
  period, fitted by iteratively reweighted least squares, its slope tested by a z-test whose variance is
  scaled by the dispersion phi = max(1, Pearson X² / (n - 2)) (counts that vary more than a Poisson count
  does, as monthly counts do, are not taken for a trend). At least three periods.
  When the count has fallen (or risen) significantly, *since when*: every split of the periods into those
  before a month and those from it on is tested (the two means' ratio, same scaled z-test), the p-values
  multiplied by the number of splits (Bonferroni), and the earliest month whose split is significant in the
  trend's direction is named ("fallen significantly since March 2019").

``side_by_side`` sets the response rates of several surveys month by month, and compares two of them in the
latest month both hold by the two-proportion z-test used everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import apply_filters, as_range, in_range, two_proportion_p_value, wilson_interval
from insight.figures.trend import ALPHA, FALLING, NO_CLEAR_TREND, RISING, cochran_armitage, elapsed, time_unit
from insight.periods import PeriodRange

MIN_COUNT_PERIODS = 3  # the count's dispersion needs a period more than its line has parameters


# --------------------------------------------------------------------------- month by month


def responses_by_period(
    frame: pl.DataFrame, *, span: PeriodRange | None = None, filters: Mapping[str, Sequence[str]] | None = None
) -> pl.DataFrame:
    """Responses held per period (every response counts once, whatever it answered): period, responses."""
    return (
        apply_filters(in_range(frame, span), filters)
        .group_by("period")
        .agg(pl.len().cast(pl.Int64).alias("responses"))
        .sort("period")
        .collect()
    )


def monthly_reach(
    frame: pl.DataFrame,
    definition: Definition,
    volumes: pl.DataFrame | None,
    *,
    period: str | PeriodRange | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> pl.DataFrame:
    """Each period held (responses or volumes) in the range (every one for None), oldest first.

    Columns: period, responses, contacts, invitations, each named count, other_not_invited (contacts less the
    exclusions and the invitations, where the funnel has exclusions), response_rate, rate_low, rate_high,
    invited_share (% of contacts invited) and, per exclusion with a ``reach``, ``reach_<key>`` (%).
    Responses narrowed by filters have no volumes (those are force-wide).
    """
    span = as_range(period, definition, frame)
    responses = responses_by_period(frame, span=span, filters=filters)
    spec = definition.volumes
    counts = list(spec.counts) if spec else []
    held = None if volumes is None or any((filters or {}).values()) else volumes
    if held is not None and span is not None:
        held = held.filter(pl.col("period").is_in(span.months()))
    if held is None or held.height == 0:
        empty = [pl.lit(None, pl.Int64).alias(c) for c in ["contacts", "invitations", *counts]]
        joined = responses.with_columns(empty)
    else:
        joined = responses.join(held, on="period", how="full", coalesce=True).with_columns(
            pl.col("responses").fill_null(0)
        )
    invited = pl.col("invitations")
    low, high = wilson_interval(pl.col("responses"), invited)
    answered = (invited > 0) & (pl.col("responses") <= invited)  # more responses than invitations: no rate
    out = joined.with_columns(
        pl.when(answered).then(pl.col("responses") / invited * 100).alias("response_rate"),
        pl.when(answered).then(low).alias("rate_low"),
        pl.when(answered).then(high).alias("rate_high"),
        pl.when(pl.col("contacts") > 0).then(invited / pl.col("contacts") * 100).alias("invited_share"),
    )
    if spec and spec.exclusions:
        excluded = [c.key for c in spec.exclusions]
        out = out.with_columns(
            (pl.col("contacts") - pl.sum_horizontal(excluded, ignore_nulls=False) - invited).alias("other_not_invited")
        ).with_columns(_reach_shares(definition))
    return out.sort("period")


def _reach_shares(definition: Definition) -> list[pl.Expr]:
    """``reach_<key>``: of those still in the funnel when the exclusion is applied, the % it leaves in."""
    spec = definition.volumes
    assert spec is not None
    shares = []
    remaining = pl.col("contacts")
    for count in spec.exclusions:
        if count.reach:
            left_in = remaining - pl.col(count.key)
            shares.append(pl.when(remaining > 0).then(left_in / remaining * 100).alias(f"reach_{count.key}"))
        remaining = remaining - pl.col(count.key)
    return shares


def rate_interval(responses: int, invitations: int) -> tuple[float, float]:
    """A response rate's 95% interval (Wilson score), in %, for one month."""
    low, high = wilson_interval(pl.lit(responses), pl.lit(invitations))
    found = pl.select(low.alias("low"), high.alias("high")).row(0)
    return float(found[0]), float(found[1])


# --------------------------------------------------------------------------- the count over time


@dataclass(frozen=True)
class Step:
    """The months from ``since`` on against the months before it (their mean counts), Bonferroni-adjusted."""

    since: str
    before_mean: float
    after_mean: float
    p_adjusted: float


@dataclass(frozen=True)
class CountTrend:
    """Has a count (responses a period) risen or fallen? Quasi-Poisson log-linear trend, and since when."""

    periods: int
    first_period: str | None
    last_period: str | None
    first_count: int | None
    last_count: int | None
    ratio_per: float | None  # the fitted count's ratio from one month (or year, ``per``) to the next
    per: str
    p_value: float | None
    dispersion: float | None
    direction: str
    step: Step | None = None  # since when, when the trend is significant and a split is too

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def to_json(self) -> dict:
        return {
            "periods": self.periods,
            "first_period": self.first_period,
            "last_period": self.last_period,
            "first_count": self.first_count,
            "last_count": self.last_count,
            "change_pct": None if self.ratio_per is None else round((self.ratio_per - 1) * 100, 1),
            "per": self.per,
            "p_value": self.p_value,
            "dispersion": None if self.dispersion is None else round(self.dispersion, 3),
            "significant": self.significant if self.p_value is not None else None,
            "direction": self.direction,
            "since": self.step.since if self.step else None,
            "since_p_value": self.step.p_adjusted if self.step else None,
        }


def poisson_trend(scores: Sequence[float], counts: Sequence[int]) -> tuple[float, float, float, float]:
    """Log-linear Poisson regression of ``counts`` on ``scores`` by IRLS: (slope, its z, two-sided p, dispersion).

    The slope's variance is scaled by phi = max(1, Pearson X² / (n - 2)). Raises ValueError with fewer than
    ``MIN_COUNT_PERIODS`` periods, no counts at all, or scores that do not vary.
    """
    n = len(counts)
    if n < MIN_COUNT_PERIODS or sum(counts) == 0 or len(set(scores)) < 2:
        raise ValueError("need at least three periods with some count and a spread in time")
    a, b = math.log(sum(counts) / n), 0.0
    for _ in range(100):
        mu = [math.exp(a + b * t) for t in scores]
        z = [a + b * t + (y - m) / m for t, y, m in zip(scores, counts, mu, strict=True)]
        sw = sum(mu)
        st = sum(m * t for m, t in zip(mu, scores, strict=True))
        stt = sum(m * t * t for m, t in zip(mu, scores, strict=True))
        sz = sum(m * v for m, v in zip(mu, z, strict=True))
        stz = sum(m * t * v for m, t, v in zip(mu, scores, z, strict=True))
        det = sw * stt - st * st
        new_a, new_b = (stt * sz - st * stz) / det, (sw * stz - st * sz) / det
        done = abs(new_a - a) + abs(new_b - b) < 1e-12
        a, b = new_a, new_b
        if done:
            break
    mu = [math.exp(a + b * t) for t in scores]
    sw = sum(mu)
    st = sum(m * t for m, t in zip(mu, scores, strict=True))
    stt = sum(m * t * t for m, t in zip(mu, scores, strict=True))
    pearson = sum((y - m) ** 2 / m for y, m in zip(counts, mu, strict=True))
    phi = max(1.0, pearson / (n - 2))
    var_b = phi * sw / (sw * stt - st * st)
    zb = b / math.sqrt(var_b)
    return b, zb, math.erfc(abs(zb) / math.sqrt(2)), phi


def step_test(counts: Sequence[int], k: int) -> tuple[float, float] | None:
    """The periods from index ``k`` on against those before: (log ratio of their mean counts, two-sided p), the
    variance scaled by phi = max(1, Pearson X² / (n - 2)) of the two-means fit; None when a side counts 0."""
    before, after = counts[:k], counts[k:]
    if not before or not after or sum(before) == 0 or sum(after) == 0:
        return None
    m0, m1 = sum(before) / len(before), sum(after) / len(after)
    pearson = sum((y - m0) ** 2 / m0 for y in before) + sum((y - m1) ** 2 / m1 for y in after)
    n = len(counts)
    phi = max(1.0, pearson / (n - 2)) if n > 2 else 1.0
    beta = math.log(m1 / m0)
    z = beta / math.sqrt(phi * (1 / sum(before) + 1 / sum(after)))
    return beta, math.erfc(abs(z) / math.sqrt(2))


def count_trend(periods: Sequence[str], counts: Sequence[int], granularity: str) -> CountTrend:
    """The count's trend over the periods held (oldest first), and since when it moved (see the module)."""
    if not periods:
        return CountTrend(0, None, None, None, None, None, "month", None, None, NO_CLEAR_TREND)
    unit = time_unit(periods, granularity)
    scores = elapsed(periods, granularity, unit)
    ends = (len(periods), periods[0], periods[-1], counts[0], counts[-1])
    try:
        slope, _z, p, phi = poisson_trend(scores, counts)
    except ValueError:
        return CountTrend(*ends, None, unit, None, None, NO_CLEAR_TREND)
    direction = NO_CLEAR_TREND if p >= ALPHA else (RISING if slope > 0 else FALLING)
    step = None
    if direction != NO_CLEAR_TREND:
        splits = len(counts) - 1
        for k in range(1, len(counts)):
            tested = step_test(counts, k)
            if tested is None:
                continue
            beta, p_step = tested
            adjusted = min(1.0, p_step * splits)
            if adjusted < ALPHA and (beta > 0) == (direction == RISING):
                before, after = counts[:k], counts[k:]
                step = Step(periods[k], sum(before) / len(before), sum(after) / len(after), adjusted)
                break
    return CountTrend(*ends, math.exp(slope), unit, p, phi, direction, step)


# --------------------------------------------------------------------------- the rate over time


@dataclass(frozen=True)
class RateTrend:
    """Has the response rate risen or fallen? Cochran-Armitage over the months with invitations."""

    periods: int
    first_period: str | None
    last_period: str | None
    first_rate: float | None
    last_rate: float | None
    p_value: float | None
    direction: str
    pooled_rate: float | None = None  # every response over every invitation in the months tested
    dispersion: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def to_json(self) -> dict:
        return {
            "periods": self.periods,
            "first_period": self.first_period,
            "last_period": self.last_period,
            "first_rate": None if self.first_rate is None else round(self.first_rate, 1),
            "last_rate": None if self.last_rate is None else round(self.last_rate, 1),
            "pooled_rate": None if self.pooled_rate is None else round(self.pooled_rate, 1),
            "p_value": self.p_value,
            "dispersion": None if self.dispersion is None else round(self.dispersion, 3),
            "significant": self.significant if self.p_value is not None else None,
            "direction": self.direction,
        }


def overdispersed_trend(
    scores: Sequence[float], positives: Sequence[int], bases: Sequence[int]
) -> tuple[float, float, float]:
    """Cochran-Armitage scaled for extra-binomial variation: (z, two-sided p, phi); see the module docstring."""
    z, _ = cochran_armitage(scores, positives, bases)
    p = sum(positives) / sum(bases)
    homogeneity = sum((x - n * p) ** 2 / (n * p * (1 - p)) for x, n in zip(positives, bases, strict=True))
    k = len(bases)
    phi = max(1.0, (homogeneity - z * z) / (k - 2)) if k > 2 else 1.0
    return z, math.erfc(abs(z) / math.sqrt(2 * phi)), phi


def rate_trend(months: pl.DataFrame, granularity: str) -> RateTrend:
    """Cochran-Armitage of responses over invitations across the rows of ``monthly_reach`` with a rate."""
    rated = months.filter(pl.col("response_rate").is_not_null()).sort("period")
    held = rated.get_column("period").to_list()
    if not held:
        return RateTrend(0, None, None, None, None, None, NO_CLEAR_TREND)
    rates = rated.get_column("response_rate").to_list()
    responses, invitations = rated.get_column("responses").to_list(), rated.get_column("invitations").to_list()
    ends = (len(held), held[0], held[-1], rates[0], rates[-1])
    pooled = sum(responses) / sum(invitations) * 100
    scores = elapsed(held, granularity, time_unit(held, granularity))
    try:
        z, p, phi = overdispersed_trend(scores, responses, invitations)
    except ValueError:
        return RateTrend(*ends, None, NO_CLEAR_TREND, pooled)
    return RateTrend(*ends, p, NO_CLEAR_TREND if p >= ALPHA else (RISING if z > 0 else FALLING), pooled, phi)


@dataclass(frozen=True)
class ResponseTrends:
    dataset: str
    months: pl.DataFrame = field(repr=False)  # monthly_reach over the range
    count: CountTrend
    rate: RateTrend

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "responses": self.count.to_json(), "response_rate": self.rate.to_json()}


def response_trends(
    frame: pl.DataFrame,
    definition: Definition,
    volumes: pl.DataFrame | None,
    *,
    period: str | PeriodRange | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> ResponseTrends:
    """The response count's and the response rate's trends over the range (every period held for None)."""
    months = monthly_reach(frame, definition, volumes, period=period, filters=filters)
    answered = months.filter(pl.col("responses") > 0) if months.height else months
    # The count is tested over the periods from the first with a response to the last: a month of volumes with
    # no responses at its ends is outside the survey's time, one between them a real 0.
    if answered.height:
        first, last = answered.get_column("period").min(), answered.get_column("period").max()
        within = months.filter(pl.col("period").is_between(pl.lit(first), pl.lit(last)))
    else:
        within = answered
    granularity = definition.period.granularity
    count = count_trend(within.get_column("period").to_list(), within.get_column("responses").to_list(), granularity)
    return ResponseTrends(definition.dataset, months, count, rate_trend(months, granularity))


# --------------------------------------------------------------------------- several surveys side by side


@dataclass(frozen=True)
class RateComparison:
    """Two surveys' response rates in the latest month both hold, by the two-proportion z-test."""

    period: str
    first: str  # dataset names
    second: str
    first_rate: float
    second_rate: float
    first_counts: tuple[int, int]  # responses, invitations
    second_counts: tuple[int, int]
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def side_by_side(rates: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Each survey's ``monthly_reach`` rows with a rate, long: survey, period, responses, invitations,
    response_rate, rate_low, rate_high (surveys in the order given)."""
    parts = [
        months.filter(pl.col("response_rate").is_not_null()).select(
            pl.lit(name).alias("survey"), "period", "responses", "invitations", "response_rate", "rate_low", "rate_high"
        )
        for name, months in rates.items()
    ]
    if not parts:
        return pl.DataFrame(
            schema={"survey": pl.String, "period": pl.String, "responses": pl.Int64, "invitations": pl.Int64,
                    "response_rate": pl.Float64, "rate_low": pl.Float64, "rate_high": pl.Float64}
        )  # fmt: skip
    return pl.concat(parts)


def compare_rates(long: pl.DataFrame, first: str, second: str) -> RateComparison | None:
    """``first``'s response rate against ``second``'s in the latest month both have one (None: no such month)."""
    a = long.filter(pl.col("survey") == first)
    b = long.filter(pl.col("survey") == second)
    common = sorted(set(a.get_column("period").to_list()) & set(b.get_column("period").to_list()))
    if not common:
        return None
    month = common[-1]
    ra = a.filter(pl.col("period") == month).row(0, named=True)
    rb = b.filter(pl.col("period") == month).row(0, named=True)
    p = two_proportion_p_value(ra["responses"], ra["invitations"], rb["responses"], rb["invitations"])
    return RateComparison(
        month, first, second, ra["response_rate"], rb["response_rate"], (ra["responses"], ra["invitations"]),
        (rb["responses"], rb["invitations"]), p,
    )  # fmt: skip
