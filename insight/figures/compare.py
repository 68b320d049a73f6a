"""Is one group really different? Each group against everyone else, or one group against another.

A two-sided two-proportion z-test with pooled variance for each comparison; when every group
is tested against the rest, the p-values are adjusted for the number of tests by Holm's
step-down method, and a difference is significant when its adjusted p-value is below 0.05.
Groups whose figures are not shown (below the minimum base, or hidden so that another cannot be
worked out) are left out of the tests and the rows; so is a group whose "rest" is that small.
With secondary suppression the rest's base, share and the difference (share less the rest's) are
not given, and no group is tested while the total itself is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import (
    SUPPRESSED,
    apply_filters,
    as_range,
    in_range,
    latest_period,
    satisfaction,
    status_of,
    two_proportion_p_value,
)
from insight.periods import PeriodRange

ALPHA = 0.05


@dataclass(frozen=True)
class GroupComparison:
    group: str
    base: int
    pct: float
    rest_base: int | None  # None where it would reveal hidden groups (secondary suppression)
    rest_pct: float | None
    diff_pp: float | None  # None with rest_pct: the rest's share would be pct - diff_pp
    p_value: float | None
    p_adjusted: float | None
    significant: bool | None
    above: bool = False  # the group's share is above the rest's (for words; not in the JSON)


@dataclass(frozen=True)
class Comparison:
    dataset: str
    period: str
    by: str
    aspect: str
    rows: list[GroupComparison]
    against: str | None = None  # the second group, when two groups are compared

    def to_json(self) -> dict:
        """The CLI's JSON: percentages 0-100 rounded to 0.1, p-values unrounded."""
        rows = []
        for r in self.rows:
            row = asdict(r)
            del row["above"]
            row["pct"] = round(r.pct, 1)
            row["rest_pct"] = None if r.rest_pct is None else round(r.rest_pct, 1)
            row["diff_pp"] = None if r.diff_pp is None else round(r.diff_pp, 1)
            rows.append(row)
        return {"dataset": self.dataset, "period": self.period, "by": self.by, "aspect": self.aspect, "rows": rows}


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: the k-th smallest p times (m - k + 1), kept monotone, at most 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _group_counts(lf: pl.LazyFrame, definition: Definition, aspect: str, by: str) -> dict[str, tuple[int, int]]:
    scale = definition.questions[aspect].scale
    counts = (
        lf.group_by(pl.col(by).cast(pl.String).alias("group"))
        .agg(
            pl.col(aspect).is_in(list(scale.in_base)).sum().cast(pl.Int64).alias("base"),
            pl.col(aspect).is_in(list(scale.positive)).sum().cast(pl.Int64).alias("positive"),
        )
        .collect()
    )
    return {g: (b, x) for g, b, x in counts.iter_rows()}


def compare_groups(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    by: str,
    aspect: str | None = None,
    period: str | PeriodRange | None = None,
    groups: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Comparison:
    """Each group's % positive against all other respondents in the base (Holm-adjusted), or ``groups=[A, B]``.

    ``period`` is a period or range (None: the latest period held); ``aspect`` defaults to the headline.
    Raises ValueError for an unknown dimension, aspect or group.
    """
    if by not in definition.dimensions:
        raise ValueError(
            f"{definition.dataset} has no dimension {by!r}; choose from {', '.join(definition.dimensions)}"
        )
    aspect = aspect or definition.headline or definition.aspects[0]
    if aspect not in definition.questions:
        raise ValueError(f"{definition.dataset} has no aspect {aspect!r}; choose from {', '.join(definition.aspects)}")
    values = definition.dimensions[by].values
    if groups is not None:
        if len(groups) != 2 or groups[0] == groups[1]:
            raise ValueError("give two different groups to compare, e.g. --groups Phone,Online")
        for g in groups:
            if g not in values:
                raise ValueError(f"{by} has no group {g!r}; choose from {', '.join(values)}")
    span = as_range(period, definition, frame) or as_range(latest_period(frame), definition, frame)
    assert span is not None
    shown = satisfaction(frame, definition, period=span, by=by, aspects=[aspect], filters=filters)
    status = dict(shown.select("group", "status").iter_rows())
    counts = _group_counts(apply_filters(in_range(frame, span), filters).lazy(), definition, aspect, by)
    sup = definition.suppression

    def visible(g: str) -> bool:
        return g in counts and status.get(g, SUPPRESSED) != SUPPRESSED

    rows: list[GroupComparison] = []
    if groups is not None:
        a, b = groups
        hidden = [g for g in groups if not visible(g)]
        if hidden:
            raise ValueError(
                f"too few answers to compare {' and '.join(hidden)} in {span.text} "
                f"(fewer than {sup.min_base}, or hidden so another group cannot be worked out)"
            )
        (n1, x1), (n2, x2) = counts[a], counts[b]
        p = two_proportion_p_value(x1, n1, x2, n2)
        rows.append(_row(a, n1, x1, n2, x2, p, p, reveal_rest=True))
        return Comparison(definition.dataset, span.text, by, aspect, rows, against=b)

    total_base = sum(n for n, _ in counts.values())
    total_positive = sum(x for _, x in counts.values())
    if sup.secondary:
        # The rest is the total less the group, and its share follows from the p-value and the direction;
        # so with secondary suppression a group is tested against the rest only when the total is shown.
        total = satisfaction(frame, definition, period=span, aspects=[aspect], filters=filters)
        if total.height == 0 or total.get_column("status").item() == SUPPRESSED:
            return Comparison(definition.dataset, span.text, by, aspect, rows)
    tested = []
    for g in values:
        if not visible(g):
            continue
        n, x = counts[g]
        rest_n, rest_x = total_base - n, total_positive - x
        if status_of(rest_n, sup) == SUPPRESSED:
            continue
        tested.append((g, n, x, rest_n, rest_x, two_proportion_p_value(x, n, rest_x, rest_n)))
    adjusted = holm([t[5] if t[5] is not None else 1.0 for t in tested])
    for (g, n, x, rest_n, rest_x, p), p_adj in zip(tested, adjusted, strict=True):
        rows.append(_row(g, n, x, rest_n, rest_x, p, p_adj, reveal_rest=not sup.secondary))
    return Comparison(definition.dataset, span.text, by, aspect, rows)


def _row(group: str, n: int, x: int, rest_n: int, rest_x: int, p: float | None, p_adj: float | None,
         *, reveal_rest: bool) -> GroupComparison:  # fmt: skip
    pct, rest_pct = x / n * 100, rest_x / rest_n * 100
    return GroupComparison(
        group=group,
        base=n,
        pct=pct,
        rest_base=rest_n if reveal_rest else None,
        rest_pct=rest_pct if reveal_rest else None,
        diff_pp=pct - rest_pct if reveal_rest else None,
        p_value=p,
        p_adjusted=p_adj,
        significant=None if p_adj is None else p_adj < ALPHA,
        above=pct > rest_pct,
    )
