"""A survey's reach in words: its funnel, response rate and response count, and whether they moved.

The words follow the paper's rules (``insight.board.wording``): a figure comes with its count and period,
and "risen", "fallen" or "significantly" only where the test says so (p < 0.05).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from insight.config.definition import Definition
from insight.display.tables import in_words
from insight.figures.reach import CountTrend, RateComparison, RateTrend, rate_interval
from insight.figures.trend import FALLING, RISING
from insight.figures.validity import Validity
from insight.periods import period_label


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _a_month(mean: float, per: str) -> str:
    return f"about {mean:,.0f} a {per}"


def count_trend(title: str, t: CountTrend, *, with_p: bool = False) -> str:
    """``Responses to the 101 caller survey have fallen significantly since March 2019: about 20 a month since
    then against about 61 a month before (64 in January 2019, 12 in June 2019).``"""
    who = f"Responses to the {title}"
    if t.first_period is None or t.last_period is None:
        return f"{who}: none held."
    ends = f"{t.first_count:,} in {period_label(t.first_period)}, {t.last_count:,} in {period_label(t.last_period)}"
    if t.p_value is None:
        return f"{who}: too few periods ({t.periods}) to test for a trend ({ends})."
    test = f"; {_p(t.p_value)}" if with_p else ""
    if t.direction in (RISING, FALLING):
        verb = "risen" if t.direction == RISING else "fallen"
        unit = "month" if t.per == "month" else "period"
        if t.step is not None:
            return (
                f"{who} have {verb} significantly since {period_label(t.step.since)}: "
                f"{_a_month(t.step.after_mean, unit)} since then against {_a_month(t.step.before_mean, unit)} "
                f"before ({ends}{test})."
            )
        rate = (
            f"about {abs(1 - (t.ratio_per or 1)) * 100:.0f}% {'more' if t.direction == RISING else 'fewer'} a {t.per}"
        )
        return (
            f"{who} have {verb} significantly from {period_label(t.first_period)} to {period_label(t.last_period)} "
            f"({ends}; {rate}{test})."
        )
    return (
        f"{who} have neither risen nor fallen significantly from {period_label(t.first_period)} to "
        f"{period_label(t.last_period)} ({ends}{test})."
    )


def count_trend_stated(title: str, t: CountTrend) -> str:
    """The board paper's rule: "significantly" only for a significant trend, with its p-value; otherwise the
    count was stable, ``Responses to the Live Chat feedback show no trend beyond chance from August 2018 to
    September 2019 (6,057 in August 2018, 6,599 in September 2019; p = 0.412).``"""
    if t.p_value is not None and t.direction in (RISING, FALLING):
        return count_trend(title, t, with_p=True)
    if t.first_period is None or t.last_period is None or t.p_value is None:
        return count_trend(title, t)
    ends = f"{t.first_count:,} in {period_label(t.first_period)}, {t.last_count:,} in {period_label(t.last_period)}"
    return (
        f"Responses to the {title} show no trend beyond chance from {period_label(t.first_period)} to "
        f"{period_label(t.last_period)} ({ends}; {_p(t.p_value)})."
    )


def rate_trend(title: str, t: RateTrend, *, with_p: bool = False) -> str:
    """``The response rate to the 101 caller survey has neither risen nor fallen significantly from January 2019
    to June 2019 (11.9%, then 24.0%).``"""
    who = f"The response rate to the {title}"
    if t.first_period is None or t.last_period is None or t.first_rate is None or t.last_rate is None:
        return f"{who} is not known: no invitations are held."
    span = f"from {period_label(t.first_period)} to {period_label(t.last_period)}"
    ends = f"{_pct(t.first_rate)}, then {_pct(t.last_rate)}"
    if t.p_value is None:
        return f"{who}: too few months with invitations to test for a trend ({ends})."
    test = f"; Cochran–Armitage trend test allowing for month-to-month swings, {_p(t.p_value)}" if with_p else ""
    if t.direction in (RISING, FALLING):
        verb = "risen" if t.direction == RISING else "fallen"
        return f"{who} has {verb} significantly {span} ({ends}{test})."
    return f"{who} has neither risen nor fallen significantly {span} ({ends}{test})."


def invited(v: Validity) -> str | None:
    """``In June 2019, 50 invitations were sent: 0.063% of the 79,359 calls received.`` None without volumes."""
    if v.invitations is None:
        return None
    said = f"In {period_label(v.period)}, {v.invitations:,} invitation" + ("" if v.invitations == 1 else "s")
    if v.contacts is not None and v.contacts == v.invitations:
        said = f"In {period_label(v.period)}, all {v.contacts:,} {v.contacts_label} were invited"
    elif v.contacts is not None and v.invited_share is not None:
        share = f"{v.invited_share:.2g}%" if v.invited_share < 1 else _pct(v.invited_share)
        said += f" went out, {share} of the {v.contacts:,} {v.contacts_label}"
    else:
        said += " went out"
    if v.response_rate is not None:
        said += f"; {v.responses:,} answered, {_pct(v.response_rate)}"
    return said + "."


def funnel(definition: Definition, v: Validity) -> list[str]:
    """The survey's funnel in the period: why contacts were not invited, and each exclusion's reach."""
    spec = definition.volumes
    if spec is None or not spec.exclusions or v.counts is None or v.contacts is None or v.invitations is None:
        return []
    when = period_label(v.period)
    left_out = [f"{v.counts[c.key]:,} {c.label}" for c in spec.exclusions]
    other = v.contacts - v.invitations - sum(v.counts[c.key] for c in spec.exclusions)
    if other > 0:
        left_out.append(f"{other:,} for other reasons")
    share = _pct(v.invitations / v.contacts * 100) if v.contacts else "–"
    said = [
        f"Of the {v.contacts:,} {spec.contacts_label} in {when}, {v.invitations:,} were invited ({share}); "
        f"not invited: {_listed(left_out)}."
    ]
    remaining = v.contacts
    before: list[str] = []
    for count in spec.exclusions:
        if count.reach and v.reach and count.key in v.reach:
            after = f" left after excluding those {_listed(before)}" if before else ""
            said.append(f"{count.reach[:1].upper()}{count.reach[1:]}: {_pct(v.reach[count.key])} of the "
                        f"{remaining:,} {spec.contacts_label}{after}, in {when}.")  # fmt: skip
        remaining -= v.counts[count.key]
        before.append(count.label)
    return said


def remains_around(title: str, v: Validity, t: RateTrend) -> str | None:
    """The paper's ``The response rate remains at around 10%``, when no trend says otherwise and the month's 95%
    interval holds the rate over every month; else the month's rate against it."""
    if v.response_rate is None or v.invitations is None:
        return None
    when = period_label(v.period)
    figure = f"{_pct(v.response_rate)} in {when} ({v.responses:,} responses to {v.invitations:,} invitations)"
    if t.p_value is not None and t.direction in (RISING, FALLING):
        return f"The response rate to the {title} was {figure}. {rate_trend(title, t)}"
    if t.pooled_rate is None or t.periods < 2:
        return f"The response rate to the {title} was {figure}."
    low, high = rate_interval(v.responses, v.invitations)
    if not low <= t.pooled_rate <= high:  # the month is off the usual rate by more than chance, trend or not
        return (
            f"The response rate to the {title} was {figure}, against {_pct(t.pooled_rate)} over the {t.periods} "
            f"months with invitations {period_label(t.first_period or v.period)} to "
            f"{period_label(t.last_period or v.period)} (no trend beyond chance over them)."
        )
    return (
        f"The response rate to the {title} remains at around {t.pooled_rate:.0f}% ({_pct(t.pooled_rate)} over the "
        f"{t.periods} months with invitations {period_label(t.first_period or v.period)} to "
        f"{period_label(t.last_period or v.period)}, no trend beyond chance): {figure}."
    )


def rates_compared(c: RateComparison, titles: Mapping[str, str], *, with_p: bool = True) -> str:
    """``In June 2019 the response rate to Live Chat feedback, 41.2% (5,123 of 12,440), was significantly higher
    than to the 101 caller survey, 24.0% (12 of 50) (p < 0.001).``"""
    a, b = titles.get(c.first, c.first), titles.get(c.second, c.second)
    first = f"{_pct(c.first_rate)} ({c.first_counts[0]:,} of {c.first_counts[1]:,})"
    second = f"{_pct(c.second_rate)} ({c.second_counts[0]:,} of {c.second_counts[1]:,})"
    when = period_label(c.period)
    test = f" ({_p(c.p_value)})" if with_p and c.p_value is not None else ""
    if c.p_value is None:
        return f"In {when} the response rate to the {a} was {first} and to the {b} {second}; they cannot be compared."
    if c.significant:
        side = "higher" if c.first_rate > c.second_rate else "lower"
        return (
            f"In {when} the response rate to the {a}, {first}, was significantly {side} than to the {b}, {second}"
            f"{test}."
        )
    return (
        f"In {when} the response rate to the {a}, {first}, and to the {b}, {second}, differ by no more than "
        f"chance{test}."
    )


def reach_table(months: pl.DataFrame, definition: Definition) -> pl.DataFrame:
    """``monthly_reach``'s months with their names in words (Month, Crimes in scope, Excluded: under 16, ...)."""
    spec = definition.volumes
    contacts = (spec.contacts_label if spec else "contacts").capitalize()
    named: list[pl.Expr] = [
        in_words(months, "period", period_label).alias("Month"),
        pl.col("contacts").alias(contacts),
    ]
    for c in spec.exclusions if spec else []:
        named.append(pl.col(c.key).alias(f"Excluded: {c.label}"))
    if "other_not_invited" in months.columns:
        named.append(pl.col("other_not_invited").alias("Not sent, other reasons"))
    named += [
        pl.col("invitations").alias("Sent"),
        pl.col("responses").alias("Answered"),
        pl.col("response_rate").alias("Response rate %"),
        pl.col("rate_low").alias("95% CI from"),
        pl.col("rate_high").alias("95% CI to"),
    ]
    for c in spec.exclusions if spec else []:
        if c.reach and f"reach_{c.key}" in months.columns:
            named.append(pl.col(f"reach_{c.key}").alias(f"{c.reach[:1].upper()}{c.reach[1:]} %"))
    table = months.sort("period").select(named)
    return table.select([c for c in table.columns if table.get_column(c).null_count() < table.height])
