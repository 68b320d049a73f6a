"""Compliance checklists: a derived "all of these" measure, the part most often missed, the sample target, and
answers to a survey matched with the cases reviewed.

A checklist is any definition with a derived measure (`derived: {all_met: {all_of: [...]}}`): the Victims'
Code dip sample's "every applicable entitlement met" over its seven entitlements. Its parts and the measure
itself are aspects like any other (``metrics.satisfaction`` gives their % met, base, interval and change);
here is what is particular to a checklist:

- ``sample_check``: whether a period reached the definition's `sample_target` (240 cases a quarter), and the
  95% margin of error the cases held give (``validity.margin_of_error``: the widest, at 50%, 1.96 x
  sqrt(0.25 / n));
- ``most_missed``: the part with the lowest share met among the cases it applied to, tested against the next
  lowest by McNemar's exact test on the cases both applied to (the same cases answer both, so the two shares
  are paired, not independent);
- ``matched``: where the checklist's cases are keyed by a pseudonym that a survey also holds (the dip sample's
  crime reference and the victim survey's ``crime_reference``, hashed under the same key), the survey's
  headline among matched victims whose entitlements were met against those whose were not: the pooled
  two-proportion z-test used everywhere else, each part Holm-adjusted, and both groups hidden when either is
  below the minimum base (so neither can be worked out from the other and a total).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import polars as pl

from insight.config.definition import Definition, pseudonym_column
from insight.figures.compare import holm
from insight.figures.metrics import (
    LOW_BASE,
    OK,
    SUPPRESSED,
    as_range,
    in_range,
    latest_period,
    satisfaction,
    two_proportion_p_value,
    wilson_interval,
)
from insight.figures.validity import margin_of_error
from insight.periods import PeriodRange, last_n, parse_range

ALPHA = 0.05
MATCH_PERIODS = 4  # cases matched over a year of quarters by default: one quarter holds too few to compare


def checklist_measure(definition: Definition) -> str | None:
    """The checklist's "all of these" measure: the headline if it is one, else the first derived measure."""
    derived = definition.derived
    if definition.headline in derived:
        return definition.headline
    return next(iter(derived), None)


def is_checklist(definition: Definition) -> bool:
    return checklist_measure(definition) is not None


# --------------------------------------------------------------------------- the sample target


@dataclass(frozen=True)
class SampleCheck:
    period: str
    responses: int  # cases (responses) held in the period, whatever their answers
    target: int  # sample_target x the periods in a range
    margin_pp: float | None  # 95% margin of error at 50% from the responses held
    target_margin_pp: float  # what the target would give

    @property
    def reached(self) -> bool:
        return self.responses >= self.target

    def to_json(self) -> dict:
        return {
            "period": self.period,
            "responses": self.responses,
            "target": self.target,
            "reached": self.reached,
            "margin_of_error_pp": None if self.margin_pp is None else round(self.margin_pp, 1),
            "target_margin_of_error_pp": round(self.target_margin_pp, 1),
        }


def sample_check(frame: pl.DataFrame, definition: Definition, period: str | PeriodRange | None) -> SampleCheck | None:
    """Whether the period (or each period of a range, together) reached the definition's ``sample_target``;
    None when the definition sets none. Every response counts, with no filter: the target is the whole sample's."""
    if definition.sample_target is None:
        return None
    span = as_range(period or latest_period(frame), definition, frame)
    assert span is not None
    n = in_range(frame, span).height
    target = definition.sample_target * span.length
    return SampleCheck(span.text, n, target, margin_of_error(n), margin_of_error(target) or 0.0)


# --------------------------------------------------------------------------- the part most often missed


@dataclass(frozen=True)
class Missed:
    """The part with the lowest share met, and whether it is significantly below the next lowest."""

    aspect: str
    pct: float
    base: int
    missed: int
    next_aspect: str | None
    next_pct: float | None
    next_base: int | None
    both_applied: int  # cases both parts applied to (McNemar's test is on these)
    p_value: float | None  # McNemar's exact test, two-sided; None when nothing to test

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def to_json(self) -> dict:
        out = asdict(self)
        out["pct"] = round(self.pct, 1)
        out["next_pct"] = None if self.next_pct is None else round(self.next_pct, 1)
        out["significant"] = self.significant
        return out


def mcnemar_exact(only_first: int, only_second: int) -> float | None:
    """Two-sided exact McNemar p-value from the discordant pairs (a binomial test at 1/2); None with none."""
    n = only_first + only_second
    if n == 0:
        return None
    k = min(only_first, only_second)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def most_missed(
    frame: pl.DataFrame, definition: Definition, period: str | PeriodRange | None, measure: str | None = None
) -> Missed | None:
    """The checklist's part with the lowest share met in the period (shown figures only: a suppressed part is
    never named), the most missed on a tie; None when no part can be shown."""
    measure = measure or checklist_measure(definition)
    if measure is None:
        return None
    parts = list(definition.questions[measure].all_of)
    rows = satisfaction(frame, definition, period=period, aspects=parts)
    shown = [r for r in rows.iter_rows(named=True) if r["status"] != SUPPRESSED and r["pct"] is not None]
    if not shown:
        return None
    ranked = sorted(shown, key=lambda r: (r["pct"], -(r["base"] - r["positive"])))
    low = ranked[0]
    nxt = ranked[1] if len(ranked) > 1 else None
    both, p = 0, None
    if nxt is not None:
        span = as_range(low["period"], definition, frame)
        cases = in_range(frame, span) if span is not None else frame
        first, second = definition.questions[low["aspect"]].scale, definition.questions[nxt["aspect"]].scale
        pairs = cases.filter(
            pl.col(low["aspect"]).is_in(list(first.in_base)) & pl.col(nxt["aspect"]).is_in(list(second.in_base))
        ).select(
            pl.col(low["aspect"]).is_in(list(first.positive)).alias("a"),
            pl.col(nxt["aspect"]).is_in(list(second.positive)).alias("b"),
        )
        both = pairs.height
        only_a = pairs.filter(pl.col("a") & ~pl.col("b")).height
        only_b = pairs.filter(~pl.col("a") & pl.col("b")).height
        p = mcnemar_exact(only_a, only_b) if both >= definition.suppression.min_base else None
    return Missed(
        aspect=low["aspect"],
        pct=low["pct"],
        base=low["base"],
        missed=low["base"] - low["positive"],
        next_aspect=nxt["aspect"] if nxt else None,
        next_pct=nxt["pct"] if nxt else None,
        next_base=nxt["base"] if nxt else None,
        both_applied=both,
        p_value=p,
    )


# --------------------------------------------------------------------------- cases matched with a survey


def link_column(cases: Definition, survey: Definition) -> str | None:
    """The survey's pseudonymised column holding the cases' ID (``crime_reference``), when the checklist is keyed
    by a pseudonymised ID of that name; None when the two cannot be matched."""
    if not cases.id_pseudonymise or len(cases.id_columns) != 1:
        return None
    column = pseudonym_column(cases.id_columns[0])
    return column if column in survey.pseudonymised else None


@dataclass(frozen=True)
class Group:
    """The survey's figure among matched cases where the part was met (or missed)."""

    cases: int  # matched cases in the group
    base: int  # of them, who answered the survey's aspect (in its base)
    positive: int | None  # None when hidden
    pct: float | None
    ci_low: float | None
    ci_high: float | None
    status: str


@dataclass(frozen=True)
class MatchedRow:
    part: str  # the checklist measure, or one of its parts
    met: Group
    missed: Group
    p_value: float | None  # the z-test; None when either group is hidden
    p_adjusted: float | None  # Holm across the parts (the measure itself: its own p)

    @property
    def significant(self) -> bool:
        return self.p_adjusted is not None and self.p_adjusted < ALPHA


@dataclass(frozen=True)
class Matched:
    cases_dataset: str
    survey_dataset: str
    period: str  # the cases' period or range
    aspect: str  # the survey's aspect compared
    measure: str  # the checklist's measure
    cases: int  # cases reviewed in the period
    responses: int  # survey responses with a case reference, every period held
    matched: int  # cases reviewed that a survey response shares
    by_period: list[tuple[str, int, int]]  # (period, cases reviewed, of them matched)
    rows: list[MatchedRow]
    min_base: int

    @property
    def share_pct(self) -> float | None:
        return self.matched / self.cases * 100 if self.cases else None

    def row(self, part: str) -> MatchedRow | None:
        return next((r for r in self.rows if r.part == part), None)

    def to_json(self) -> dict:
        def group(g: Group) -> dict:
            out = asdict(g)
            for k in ("pct", "ci_low", "ci_high"):
                out[k] = None if out[k] is None else round(out[k], 1)
            return out

        return {
            "cases_dataset": self.cases_dataset,
            "survey_dataset": self.survey_dataset,
            "period": self.period,
            "aspect": self.aspect,
            "measure": self.measure,
            "cases": self.cases,
            "survey_responses_with_a_case": self.responses,
            "matched": self.matched,
            "matched_pct": None if self.share_pct is None else round(self.share_pct, 1),
            "by_period": [{"period": p, "cases": c, "matched": m} for p, c, m in self.by_period],
            "rows": [
                {
                    "part": r.part,
                    "met": group(r.met),
                    "missed": group(r.missed),
                    "p_value": r.p_value,
                    "p_adjusted": r.p_adjusted,
                    "significant": r.significant,
                }
                for r in self.rows
            ],
        }


def year_to(definition: Definition, period: str) -> PeriodRange:
    """The cases' range a match shows for a period chosen: a range as it is; one period, the year of periods to it
    (4 quarters, 12 months), as one quarter holds too few shared cases to compare."""
    span = parse_range(period, definition.period.granularity)
    if not span.is_single:
        return span
    return last_n(span.last, MATCH_PERIODS if definition.period.granularity == "quarter" else 12,
                  definition.period.granularity)  # fmt: skip


def matched(
    cases: pl.DataFrame,
    cases_definition: Definition,
    responses: pl.DataFrame,
    survey_definition: Definition,
    *,
    period: str | PeriodRange | None = None,
    aspect: str | None = None,
    measure: str | None = None,
) -> Matched:
    """The survey's ``aspect`` (its headline) among the cases reviewed in ``period`` (the year to the latest by
    default: ``year_to``) that a survey response shares, where the checklist's measure (and each part) was met
    and where not.

    A case answered the survey more than once counts once, with its latest response. Raises ValueError when the
    two datasets cannot be matched (``link_column``).
    """
    link = link_column(cases_definition, survey_definition)
    if link is None:
        raise ValueError(
            f"{cases_definition.dataset} and {survey_definition.dataset} share no pseudonymised case reference"
        )
    measure = measure or checklist_measure(cases_definition)
    if measure is None:
        raise ValueError(f"{cases_definition.dataset} has no derived measure (`derived:`) to match on")
    aspect = aspect or survey_definition.headline or survey_definition.aspects[0]
    if period is None:
        latest = latest_period(cases)
        assert latest is not None, "no cases held"
        span = year_to(cases_definition, latest)
    else:
        found = as_range(period, cases_definition, cases)
        assert found is not None
        span = found
    reviewed = in_range(cases, span)
    answers = (
        responses.filter(pl.col(link).is_not_null())
        .sort("date", "id")
        .unique(link, keep="last")
        .select(pl.col(link).alias("id"), pl.col(aspect).alias("__answer"))
    )
    joined = reviewed.join(answers, on="id", how="inner")
    counts = (
        reviewed.group_by("period").len("cases").join(joined.group_by("period").len("matched"), on="period", how="left")
    )
    by_period = [(p, c, m or 0) for p, c, m in counts.sort("period").select("period", "cases", "matched").iter_rows()]
    min_base = max(cases_definition.suppression.min_base, survey_definition.suppression.min_base)
    caution = max(cases_definition.suppression.caution_base, survey_definition.suppression.caution_base)
    scale = survey_definition.questions[aspect].scale
    answered = pl.col("__answer").is_in(list(scale.in_base)).fill_null(False)
    satisfied = pl.col("__answer").is_in(list(scale.positive)).fill_null(False)
    rows: list[MatchedRow] = []
    for part in [measure, *cases_definition.questions[measure].all_of]:
        part_scale = cases_definition.questions[part].scale
        met = pl.col(part).is_in(list(part_scale.positive)).fill_null(False)
        applied = pl.col(part).is_in(list(part_scale.in_base)).fill_null(False)
        sums = joined.select(
            (applied & met).sum().alias("met_cases"),
            (applied & ~met).sum().alias("missed_cases"),
            (applied & met & answered).sum().alias("met_base"),
            (applied & met & satisfied).sum().alias("met_positive"),
            (applied & ~met & answered).sum().alias("missed_base"),
            (applied & ~met & satisfied).sum().alias("missed_positive"),
        ).row(0, named=True)
        hidden = min(sums["met_base"], sums["missed_base"]) < min_base
        groups = [
            _group(sums[f"{g}_cases"], sums[f"{g}_base"], sums[f"{g}_positive"], hidden, caution)
            for g in ("met", "missed")
        ]
        p = None if hidden else two_proportion_p_value(
            sums["met_positive"], sums["met_base"], sums["missed_positive"], sums["missed_base"]
        )  # fmt: skip
        rows.append(MatchedRow(part, groups[0], groups[1], p, p))
    tested = [i for i, r in enumerate(rows) if i > 0 and r.p_value is not None]
    adjusted = holm([rows[i].p_value or 0.0 for i in tested])
    for i, p_holm in zip(tested, adjusted, strict=True):
        rows[i] = MatchedRow(rows[i].part, rows[i].met, rows[i].missed, rows[i].p_value, p_holm)
    return Matched(
        cases_dataset=cases_definition.dataset,
        survey_dataset=survey_definition.dataset,
        period=span.text,
        aspect=aspect,
        measure=measure,
        cases=reviewed.height,
        responses=answers.height,
        matched=joined.height,
        by_period=by_period,
        rows=rows,
        min_base=min_base,
    )


def _group(cases: int, base: int, positive: int, hidden: bool, caution_base: int) -> Group:
    if hidden:
        return Group(cases, base, None, None, None, None, SUPPRESSED)
    lo, hi = wilson(positive, base)
    return Group(cases, base, positive, positive / base * 100, lo, hi, LOW_BASE if base < caution_base else OK)


def wilson(positive: int, base: int) -> tuple[float, float]:
    """``metrics.wilson_interval`` for one figure, in points."""
    low, high = wilson_interval(pl.lit(positive), pl.lit(base))
    return pl.select(low.alias("low"), high.alias("high")).row(0)
