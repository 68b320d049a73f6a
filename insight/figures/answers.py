"""What did people answer? Every answer on the scale, and the share dissatisfied.

Shares (0-100) are of every answer given, the excluded ones (Don't know, Not applicable)
included and marked ``in_base: false``; % dissatisfied is the scale's negative answers over
the base, as % positive is its positive answers over the base. A group whose figures are not
shown elsewhere (below the minimum base, or hidden so another cannot be worked out) shows
no counts or shares here either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from insight.config.definition import Definition
from insight.figures.metrics import SUPPRESSED, apply_filters, as_range, in_range, latest_period, satisfaction
from insight.periods import PeriodRange


@dataclass(frozen=True)
class Answers:
    dataset: str
    period: str
    aspect: str
    by: str | None
    rows: list[dict]  # group, answer, count, share, in_base
    dissatisfied: list[dict]  # group, base, negative, pct (pct None where suppressed)

    def to_json(self) -> dict:
        rnd = lambda v: None if v is None else round(v, 1)  # noqa: E731
        return {
            "dataset": self.dataset,
            "period": self.period,
            "aspect": self.aspect,
            "by": self.by,
            "rows": [{**r, "share": rnd(r["share"])} for r in self.rows],
            "dissatisfied": [{**r, "pct": rnd(r["pct"])} for r in self.dissatisfied],
        }


def answer_distribution(
    frame: pl.DataFrame,
    definition: Definition,
    *,
    aspect: str,
    period: str | PeriodRange | None = None,
    by: str | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
) -> Answers:
    """Counts and shares of every answer on the aspect's scale, in the scale's order (per group with ``by``)."""
    if aspect not in definition.questions:
        raise ValueError(f"{definition.dataset} has no aspect {aspect!r}; choose from {', '.join(definition.aspects)}")
    if by is not None and by not in definition.dimensions:
        raise ValueError(
            f"{definition.dataset} has no dimension {by!r}; choose from {', '.join(definition.dimensions)}"
        )
    span = as_range(period, definition, frame) or as_range(latest_period(frame), definition, frame)
    assert span is not None
    scale = definition.questions[aspect].scale
    shown = satisfaction(frame, definition, period=span, by=by, aspects=[aspect], filters=filters)
    status = {g: s for g, s in shown.select("group", "status").iter_rows()}
    group = pl.col(by).cast(pl.String) if by else pl.lit(None, pl.String)
    counted = (
        apply_filters(in_range(frame, span), filters)
        .filter(pl.col(aspect).is_not_null())
        .group_by(group.alias("group"), pl.col(aspect).cast(pl.String).alias("answer"))
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .collect()
    )
    count_of = {(g, a): n for g, a, n in counted.iter_rows()}
    groups: list[str | None] = list(definition.dimensions[by].values) if by else [None]
    rows, dissatisfied = [], []
    for g in groups:
        if g not in status:
            continue
        hidden = status[g] == SUPPRESSED
        given = sum(count_of.get((g, a), 0) for a in scale.answers)
        base = sum(count_of.get((g, a), 0) for a in scale.in_base)
        negative = sum(count_of.get((g, a), 0) for a in scale.negative)
        for a in scale.answers:
            n = count_of.get((g, a), 0)
            rows.append(
                {
                    "group": g,
                    "answer": a,
                    "count": None if hidden else n,
                    "share": None if hidden or not given else n / given * 100,
                    "in_base": a not in scale.excluded,
                }
            )
        dissatisfied.append(
            {
                "group": g,
                "base": base,
                "negative": None if hidden else negative,
                "pct": None if hidden or not base else negative / base * 100,
            }
        )
    return Answers(definition.dataset, span.text, aspect, by, rows, dissatisfied)
