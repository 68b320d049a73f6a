"""Has it risen or fallen? A test for a linear trend in a share across periods.

Cochran-Armitage: each period scores the time elapsed since the first (a fieldwork wave is placed
at its first month), so waves two years apart are two years apart and a gap keeps its place;
periods with no answers are left out, and the statistic uses the classic variance with N (not N - 1):
    T = sum x_i (t_i - t_bar),  t_bar = sum n_i t_i / N
    Var(T) = p (1 - p) sum n_i (t_i - t_bar)^2,  p = sum x_i / N
    z = T / sqrt(Var(T)), two-sided p-value.
Time is counted in months for monthly data (month periods held mostly one month apart) and in
years otherwise (quarterly, yearly or irregular waves); z does not depend on the unit. The slope
is the least-squares line of the share (0-100) on the score, weighted by base, in points per
month or per year (``slope_per``); it has the sign of T.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import SUPPRESSED, apply_filters, as_range, in_range, satisfaction
from insight.periods import RANGE_SEPARATOR, PeriodRange, calendar_index

ALPHA = 0.05
RISING, FALLING, NO_CLEAR_TREND = "rising", "falling", "no clear trend"


@dataclass(frozen=True)
class TrendTest:
    dataset: str
    aspect: str
    periods: int
    first_pct: float | None  # None when that period's base is below the minimum (not shown)
    last_pct: float | None
    slope_pp: float | None  # percentage points per ``slope_per``
    p_value: float | None
    significant: bool | None
    direction: str
    first_period: str | None = None
    last_period: str | None = None
    slope_per: str = "year"  # "month" for monthly data, else "year"

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("first_period")
        out.pop("last_period")
        for key in ("first_pct", "last_pct"):
            out[key] = None if out[key] is None else round(out[key], 1)
        if out["slope_pp"] is not None:
            out["slope_pp"] = round(out["slope_pp"], 2)
        return out


def time_unit(held: Sequence[str], granularity: str) -> str:
    """``month`` for monthly data (month periods, at least half of them one month after the one before), else ``year``
    (quarters, yearly or irregular waves, fieldwork waves over several months)."""
    if granularity != "month" or any(RANGE_SEPARATOR in p for p in held):
        return "year"
    index = sorted(calendar_index(p) for p in held)
    gaps = sorted(b - a for a, b in pairwise(index))
    return "month" if not gaps or gaps[(len(gaps) - 1) // 2] == 1 else "year"  # the lower median gap


def elapsed(held: Sequence[str], granularity: str, unit: str) -> list[float]:
    """Each period's time since the first, in months or years (a fieldwork wave from its first month)."""
    origin = calendar_index(held[0])
    per_year = 12 if granularity == "month" else 4
    return [(calendar_index(p) - origin) / (1 if unit == "month" else per_year) for p in held]


def cochran_armitage(scores: Sequence[float], positives: Sequence[int], bases: Sequence[int]) -> tuple[float, float]:
    """(z, two-sided p-value); raises ValueError when the test is undefined (one period, or no variation)."""
    big_n = sum(bases)
    if len(bases) < 2 or big_n == 0:
        raise ValueError("need at least two periods with answers")
    p = sum(positives) / big_n
    t_bar = sum(n * t for n, t in zip(bases, scores, strict=True)) / big_n
    spread = sum(n * (t - t_bar) ** 2 for n, t in zip(bases, scores, strict=True))
    variance = p * (1 - p) * spread
    if variance <= 0:
        raise ValueError("the share does not vary")
    stat = sum(x * (t - t_bar) for x, t in zip(positives, scores, strict=True))
    z = stat / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))


def weighted_slope(scores: Sequence[float], shares: Sequence[float], bases: Sequence[int]) -> float:
    """Least-squares slope of share on score, each period weighted by its base."""
    w = sum(bases)
    t_bar = sum(n * t for n, t in zip(bases, scores, strict=True)) / w
    y_bar = sum(n * y for n, y in zip(bases, shares, strict=True)) / w
    sxy = sum(n * (t - t_bar) * (y - y_bar) for n, t, y in zip(bases, scores, shares, strict=True))
    sxx = sum(n * (t - t_bar) ** 2 for n, t in zip(bases, scores, strict=True))
    return sxy / sxx


def trend_test(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    aspect: str | None = None,
    period: str | PeriodRange | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> TrendTest:
    """Cochran-Armitage trend test of the aspect's % positive over the range (every period held for None)."""
    aspect = aspect or definition.headline or definition.aspects[0]
    if aspect not in definition.questions:
        raise ValueError(f"{definition.dataset} has no aspect {aspect!r}; choose from {', '.join(definition.aspects)}")
    span = as_range(period, definition, frame)
    scale = definition.questions[aspect].scale
    counts = (
        apply_filters(in_range(frame, span), filters)
        .group_by("period")
        .agg(
            pl.col(aspect).is_in(list(scale.in_base)).sum().cast(pl.Int64).alias("base"),
            pl.col(aspect).is_in(list(scale.positive)).sum().cast(pl.Int64).alias("positive"),
        )
        .filter(pl.col("base") > 0)
        .sort("period")
        .collect()
    )
    held = counts.get_column("period").to_list()
    bases = counts.get_column("base").to_list()
    positives = counts.get_column("positive").to_list()
    if not held:
        return TrendTest(definition.dataset, aspect, 0, None, None, None, None, None, NO_CLEAR_TREND)
    unit = time_unit(held, definition.period.granularity)
    shown = satisfaction(in_range(frame, span), definition, aspects=[aspect], filters=filters, all_periods=True)
    status = dict(shown.select("period", "status").iter_rows())

    def observed(i: int) -> float | None:
        return None if status.get(held[i], SUPPRESSED) == SUPPRESSED else positives[i] / bases[i] * 100

    scores = elapsed(held, definition.period.granularity, unit)
    try:
        z, p_value = cochran_armitage(scores, positives, bases)
    except ValueError:
        z, p_value = 0.0, None
    slope = (
        weighted_slope(scores, [x / n * 100 for x, n in zip(positives, bases, strict=True)], bases)
        if len(held) > 1
        else None
    )
    significant = None if p_value is None else p_value < ALPHA
    direction = NO_CLEAR_TREND if not significant else (RISING if z > 0 else FALLING)
    return TrendTest(
        dataset=definition.dataset,
        aspect=aspect,
        periods=len(held),
        first_pct=observed(0),
        last_pct=observed(len(held) - 1),
        slope_pp=slope,
        p_value=p_value,
        significant=significant,
        direction=direction,
        first_period=held[0],
        last_period=held[-1],
        slope_per=unit,
    )
