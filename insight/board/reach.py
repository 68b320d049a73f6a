"""The board pack's reach and events sections: who is surveyed and who answers, and what happened when.

Reach, in the paper's words ("The response rate remains at around 10%"; "a decline in the number of
responses since March 2019"): the victim survey's funnel in the pack's month (crimes in scope, each
exclusion, surveys sent, the share reachable by email), each survey's responses over time with the
quasi-Poisson trend test and since when, each response rate's trend, and the response rates of the surveys
with invitations side by side (each pair by the two-proportion z-test). The figures are
``insight.figures.reach``'s and the words ``insight.display.reach``'s, the same as the Trends page's reach
views, which each section names so that a test can hold the pack to them.

Events: every event of ``config/events.yaml`` up to the pack's month for the surveys in the pack, oldest
first, as a table (month, what happened, the surveys it concerns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import polars as pl

from insight.board.model import Figure, Section, Table
from insight.board.sections import Survey, view
from insight.config.events import Event
from insight.display import reach as words
from insight.display import reach_charts
from insight.figures import metrics
from insight.figures.reach import ResponseTrends, compare_rates, monthly_reach, response_trends, side_by_side
from insight.figures.trend import FALLING, RISING
from insight.figures.validity import validity
from insight.periods import PeriodRange, calendar_index, period_label


def _trends(s: Survey) -> list[tuple[str, ResponseTrends]]:
    """Each survey's response trends over every period held up to the section's (one per survey of a dataset
    holding several)."""
    d = s.definition
    held = metrics.periods(s.frame)
    span = PeriodRange(held[0], s.period, d.period.granularity) if held else None  # never past the pack's period
    if not d.split_by:
        return [(d.title, response_trends(s.frame, d, s.loaded.volumes, period=span))]
    return [
        (f"{d.title} ({g})", response_trends(s.frame, d, None, period=span, filters={d.split_by: [g]}))
        for g in d.dimensions[d.split_by].groups
    ]


def _span_text(s: Survey) -> str | None:
    held = metrics.periods(s.frame)
    return f"{held[0]}..{s.period}" if held and held[0] < s.period else None


def _direction(t: ResponseTrends) -> str:
    c = t.count
    if c.p_value is None:
        return "too few months to test"
    p = "p < 0.001" if c.p_value < 0.001 else f"p = {c.p_value:.3f}"
    if c.direction in (RISING, FALLING):
        verb = "risen" if c.direction == RISING else "fallen"
        return f"{verb} significantly" + (f" since {period_label(c.step.since)}" if c.step else "") + f" ({p})"
    return f"stable, no trend beyond chance ({p})"


def reach_section(surveys: Mapping[str, Survey], month: str | None) -> Section | None:
    """``Survey reach``: None when no survey with responses is in the pack."""
    held = {name: s for name, s in surveys.items() if s.definition.kind == "survey"}
    if not held:
        return None
    paragraphs: list[str] = []
    views: list[str] = []
    rows: list[tuple[str, ...]] = []
    rates: dict[str, pl.DataFrame] = {}
    titles: dict[str, str] = {}
    for name, s in held.items():
        d = s.definition
        page = view("trends", dataset=name, period=_span_text(s) or s.period, view="reach")
        views += [page, page.replace("view=reach", "view=reach-rate")]
        found = _trends(s)
        if d.volumes is not None and s.loaded.volumes is not None:
            v = validity(s.frame, d, s.loaded.volumes, period=s.period)
            paragraphs += words.funnel(d, v)
            around = words.remains_around(d.title, v, found[0][1].rate)
            if around:
                paragraphs.append(around)
            rates[name] = monthly_reach(s.frame, d, s.loaded.volumes).filter(pl.col("period") <= s.period)
            titles[name] = d.title
        paragraphs += [words.count_trend_stated(title, t.count) for title, t in found]
        paragraphs += [words.rate_trend(title, t.rate, with_p=True) for title, t in found if t.rate.significant]
        for title, t in found:
            months = t.months.filter(t.months.get_column("period") == s.period)
            if months.height == 0:
                continue
            row = months.row(0, named=True)
            rate = row.get("response_rate")
            rows.append((
                title,
                period_label(s.period),
                "–" if row.get("invitations") is None else f"{row['invitations']:,}",
                f"{row['responses']:,}",
                "–" if rate is None else f"{rate:.1f}%",
                _direction(t),
            ))  # fmt: skip
    long = side_by_side(rates)
    compared = [c for a, b in combinations(titles, 2) if (c := compare_rates(long, a, b)) is not None]
    paragraphs += [words.rates_compared(c, titles) for c in compared]
    if compared:
        views.append(view("trends", dataset=next(iter(titles)), view="rates"))
    fall = [p for p in paragraphs if "fallen significantly since" in p or "risen significantly since" in p]
    points = [*fall, *(p for p in paragraphs if "remains at around" in p), *paragraphs]
    when = period_label(month) if month else "latest results"
    mark = " (sample data)" if any(s.loaded.is_sample for s in held.values()) else ""
    figure = None
    if long.height:
        first, last = long.get_column("period").min(), long.get_column("period").max()
        title = f"Response rate by survey, {period_label(str(first))} to {period_label(str(last))}{mark}"
        chart = reach_charts.rates_side_by_side(long, titles, title=title)
        figure = Figure(title, str(chart.to_dict().get("description", title)), chart)
    return Section(
        "reach",
        f"Survey reach ({when})",
        paragraphs,
        points=list(dict.fromkeys(points)),
        table=Table(
            f"Who answers: invitations, responses and the trend in responses{mark}",
            ("Survey", "Month", "Sent", "Answered", "Response rate", "Responses over time"),
            tuple(rows),
            "Responses over time: quasi-Poisson trend test over every month held up to the month shown, p < 0.05.",
        ),
        figure=figure,
        views=views,
    )


def events_section(surveys: Mapping[str, Survey], events: Sequence[Event], month: str | None) -> Section | None:
    """``What happened when``: the events up to the pack's month that concern a survey in the pack."""
    shown = [
        e
        for e in events
        if any(e.concerns(name) for name in surveys)
        and (month is None or calendar_index(e.month) <= calendar_index(month))
    ]
    if not shown:
        return None
    titles = {name: s.title for name, s in surveys.items()}
    rows = tuple(
        (e.when[:1].upper() + e.when[1:], e.label, "every survey" if not e.datasets else
         ", ".join(titles[d] for d in e.datasets if d in titles))
        for e in shown
    )  # fmt: skip
    latest = shown[-1]
    paragraphs = [
        f"The results are read against {len(shown)} event{'s' if len(shown) != 1 else ''}, the latest "
        f"{latest.said}. Trend charts mark each one, and the command line's compare "
        "--before-after tests the months before an event against as many from it on."
    ]
    every = "Events: " + "; ".join(e.said for e in shown) + "."  # a slide has no table: its points list them
    return Section(
        "events",
        "What happened when",
        paragraphs,
        points=[paragraphs[0], every],
        table=Table("Events on the timeline (config/events.yaml)", ("When", "What happened", "Surveys"), rows),
    )
