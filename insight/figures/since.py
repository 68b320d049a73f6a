"""What changed since the last board: every aspect of a survey now against a comparison month.

The comparison month (``--since 2019-05``, the month the last paper reported) means the survey's own
period containing it: the month, or for a quarterly survey its quarter. Each aspect's % positive now is
tested against then with the same pooled two-proportion z-test as the change on the previous period and
``compare`` (``metrics.two_proportion_p_value``; significant when p < 0.05). A figure suppressed in either
period is not compared (its percentage is None before anything here sees it). A dataset holding separate
surveys (``split_by:``) is compared survey by survey, never merged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from insight.config.definition import Definition
from insight.figures import metrics
from insight.figures.metrics import SUPPRESSED
from insight.periods import check_period

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Change:
    dataset: str
    survey: str | None  # one survey of a split dataset; None for a dataset holding one survey
    aspect: str
    since_period: str
    period: str
    since_pct: float | None  # None: suppressed, or nothing held then
    since_base: int
    pct: float | None
    base: int
    diff_pp: float | None
    p_value: float | None
    significant: bool

    def to_json(self) -> dict:
        rnd = lambda v: None if v is None else round(v, 1)  # noqa: E731
        out = {**asdict(self), "since_pct": rnd(self.since_pct), "pct": rnd(self.pct), "diff_pp": rnd(self.diff_pp)}
        if self.survey is None:
            del out["survey"]
        return out


def survey_period(definition: Definition, month: str) -> str:
    """The survey's period a month means: the month itself, or for a quarterly survey the quarter containing it."""
    month = check_period(month, "month")
    if definition.period.granularity == "month":
        return month
    year, m = month.split("-")
    return f"{year}-Q{(int(m) - 1) // 3 + 1}"


def changes_since(frame: pl.DataFrame, definition: Definition, *, period: str, since: str) -> list[Change]:
    """Every aspect in ``period`` against the period ``since`` (a month) means for this survey."""
    then = survey_period(definition, since)
    held = set(metrics.periods(frame))
    split = definition.split_by
    surveys: list[str | None] = [None] if split is None else list(definition.dimensions[split].groups)
    out: list[Change] = []
    for survey in surveys:
        own = frame if survey is None or split is None else frame.filter(pl.col(split).cast(pl.String) == survey)
        if not own.height or period not in held:
            continue
        now_rows = _by_aspect(own, definition, period)
        then_rows = _by_aspect(own, definition, then) if then in held else {}
        for aspect in definition.aspects:
            now, before = now_rows.get(aspect), then_rows.get(aspect)
            if now is None:
                continue
            pct_now = None if now["status"] == SUPPRESSED else now["pct"]
            pct_then = None if before is None or before["status"] == SUPPRESSED else before["pct"]
            p = None
            if pct_now is not None and pct_then is not None and before is not None:
                p = metrics.two_proportion_p_value(now["positive"], now["base"], before["positive"], before["base"])
            out.append(
                Change(
                    dataset=definition.dataset,
                    survey=survey,
                    aspect=aspect,
                    since_period=then,
                    period=period,
                    since_pct=pct_then,
                    since_base=before["base"] if before is not None else 0,
                    pct=pct_now,
                    base=now["base"],
                    diff_pp=None if p is None or pct_now is None or pct_then is None else pct_now - pct_then,
                    p_value=p,
                    significant=p is not None and p < SIGNIFICANCE,
                )
            )
    return out


def _by_aspect(frame: pl.DataFrame, definition: Definition, period: str) -> dict[str, dict]:
    result = metrics.satisfaction(frame, definition, period=period)
    return {r["aspect"]: r for r in result.iter_rows(named=True)}
