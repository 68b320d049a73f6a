"""The Trends page's reach views: who is surveyed and who answers (the funnel, responses and response rate month
by month, with their trends in words), and the response rates of the surveys a user may see, side by side.

Thin: the figures are ``insight.figures.reach``, the words ``insight.display.reach``, the charts
``insight.display.reach_charts``. Reach is force-wide (volumes are not held by group), so the sidebar's
filters and breakdown do not narrow it; the range chosen does.
"""

from __future__ import annotations

from itertools import combinations

import polars as pl
import streamlit as st

from app_pages import identity, loading, output, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import reach as words
from insight.display import reach_charts
from insight.display.tables import in_words
from insight.figures.metrics import as_range
from insight.figures.reach import ResponseTrends, compare_rates, monthly_reach, response_trends, side_by_side
from insight.figures.validity import validity
from insight.periods import PeriodRange, period_label

METHOD = [
    "Responses: a log-linear (quasi-)Poisson regression of each month's count on time, its variance scaled by "
    "how much more the counts vary than a Poisson count would; 'since when' is the earliest month whose split "
    "(the months from it on against those before) is significant after a Bonferroni adjustment over every split.",
    "Response rate: responses over invitations with its 95% interval (Wilson score); its trend by the "
    "Cochran-Armitage test, scaled by how far the months depart from a straight line, so month-to-month swings "
    "among thousands invited are not taken for a trend.",
    "Two surveys' response rates: two-sided two-proportion z-test in the latest month both hold (p < 0.05).",
]


def _span(filters: url_state.Filters, definition: Definition, loaded: Loaded) -> PeriodRange | None:
    span = as_range(filters.period, definition, loaded.frame)
    return None if span is None or span.is_single else span


def trends_of(definition: Definition, loaded: Loaded, span: PeriodRange | None) -> list[tuple[str, ResponseTrends]]:
    """Each survey's response trends: one for a dataset, one per survey for a dataset holding several."""
    if not definition.split_by:
        return [(definition.title, response_trends(loaded.frame, definition, loaded.volumes, period=span))]
    groups = definition.dimensions[definition.split_by].groups
    return [
        (
            f"{definition.title} ({g})",
            response_trends(loaded.frame, definition, None, period=span, filters={definition.split_by: [g]}),
        )
        for g in groups
    ]


def reach(filters: url_state.Filters, definition: Definition, loaded: Loaded) -> None:
    """The funnel chart with its answer first: have responses risen or fallen, and since when."""
    span = _span(filters, definition, loaded)
    until = f" over {period_label(span.text)}" if span else ""
    st.header(f"Who is surveyed and who answers{until}")
    found = trends_of(definition, loaded, span)
    months = monthly_reach(loaded.frame, definition, loaded.volumes, period=span)
    answer = " ".join(words.count_trend(title, t.count) for title, t in found)
    if months.get_column("invitations").null_count() == months.height:
        output.finding_sentence(answer)
        st.caption(
            f"No invitations are held for the {definition.title}, so no response rate: upload its volumes file "
            "on the Upload page to see who is surveyed and who answers."
        )
        output.about(METHOD[:1])
        return
    latest = months.filter(months.get_column("invitations").is_not_null()).get_column("period").max()
    v = validity(loaded.frame, definition, loaded.volumes, period=str(latest))
    rate = found[0][1].rate
    said = [s for s in (words.remains_around(definition.title, v, rate), *words.funnel(definition, v)) if s]
    output.figure(
        reach_charts.funnel_bars(
            months, definition, title=f"{definition.title}: who is surveyed, month by month", look=output.look()
        ),
        "reach",
        finding=answer,
        figures=[*said, *(words.count_trend(title, t.count, with_p=True) for title, t in found)],
        notes=["Reach is force-wide: the filters in the sidebar do not narrow it (the range chosen does)."],
        data=words.reach_table(months, definition),
        data_name=f"{definition.dataset}-reach" + (f"-{span.text}" if span else ""),
    )
    output.about(METHOD[:1])


def rate(filters: url_state.Filters, definition: Definition, loaded: Loaded) -> None:
    """The response rate and the share reachable month by month, the events marked; has the rate moved?"""
    span = _span(filters, definition, loaded)
    until = f" over {period_label(span.text)}" if span else ""
    st.header(f"Response rate{until}")
    months = monthly_reach(loaded.frame, definition, loaded.volumes, period=span)
    found = [(title, t) for title, t in trends_of(definition, loaded, span) if t.rate.periods]
    if not found:
        st.info(f"No invitations are held for the {definition.title}, so no response rate.")
        return
    output.figure(
        reach_charts.reach_lines(
            months,
            definition,
            title=f"{definition.title}: response rate",
            look=output.look(),
            events=loading.config().events,
        ),
        "reach-rate",
        finding=" ".join(words.rate_trend(title, t.rate) for title, t in found),
        figures=[words.rate_trend(title, t.rate, with_p=True) for title, t in found],
        data=words.reach_table(months, definition),
        data_name=f"{definition.dataset}-response-rate" + (f"-{span.text}" if span else ""),
    )
    output.about(METHOD[1:2])


def rates(definition: Definition) -> None:
    """Every visible survey with invitations: response rates on one chart, each pair compared by the z-test."""
    titles: dict[str, str] = {}
    held = {}
    for name, other in identity.visible(loading.definitions()).items():
        if other.volumes is None or other.kind == "membership":
            continue
        loaded = loading.load_quietly(name)
        if loaded is None or loaded.volumes is None:
            continue
        held[name] = monthly_reach(loaded.frame, other, loaded.volumes)
        titles[name] = other.title
    long = side_by_side(held)
    st.header("Response rates side by side")
    if long.get_column("survey").n_unique() < 2:
        st.info("Response rates side by side need a second survey with invitations held.")
        return
    compared = [c for a, b in combinations(titles, 2) if (c := compare_rates(long, a, b)) is not None]
    mine = [c for c in compared if definition.dataset in (c.first, c.second)] or compared
    output.figure(
        reach_charts.rates_side_by_side(long, titles, title="Response rate by survey", look=output.look()),
        "rates",
        finding=words.rates_compared(mine[0], titles, with_p=False) if mine else None,
        figures=[words.rates_compared(c, titles) for c in compared],
        data=long.select(
            pl.col("survey").replace_strict(titles).alias("Survey"),
            in_words(long, "period", period_label).alias("Month"),
            pl.col("invitations").alias("Sent"),
            pl.col("responses").alias("Answered"),
            pl.col("response_rate").alias("Response rate %"),
            pl.col("rate_low").alias("95% CI from"),
            pl.col("rate_high").alias("95% CI to"),
        ),
        data_name="response-rates",
    )
    output.about(METHOD[1:])
