"""Trends: the chosen aspect over time (others on request), by the chosen breakdown, up to the chosen period
or within the chosen range; has it risen or fallen, and has it varied significantly? Then reach: who is
surveyed and who answers, and the surveys' response rates side by side (``app_pages/reach.py``)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import loading, output, reach, sections, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts, wording
from insight.display.tables import satisfaction_table
from insight.display.views import for_aspects, trend_view, weighted_trend_view
from insight.figures.metrics import as_range
from insight.figures.trend import trend_test
from insight.periods import PeriodRange, period_label


def over_time(
    trend: pl.DataFrame,
    tests: pl.DataFrame,
    filters: url_state.Filters,
    definition: Definition,
    loaded: Loaded,
    *,
    aspects: list[str],
) -> None:
    """The chart with its answer (risen or fallen, by Cochran-Armitage), each line's words and the table behind
    "Figures and table", and every test's method behind "About this figure"."""
    aspect = filters.aspect or definition.aspects[0]
    span = chosen_range(filters, definition, loaded)
    until = (
        f"over {period_label(span.text)}" if span else f"up to {period_label(filters.period)}" if filters.period else ""
    )
    series = "group" if filters.by else "aspect_label"
    what = definition.aspect_label(aspect) if len(aspects) == 1 else "Every aspect"
    by_words = f" by {definition.dimension_label(filters.by).lower()}" if filters.by else ""
    if trend.get_column("period").n_unique() < 2:
        st.info("Only one period is held so far: trends appear once a second period is uploaded.")
    st.header(f"{what}{by_words}, {until}: has it risen or fallen?")
    tested, varied = [], {}
    for test in tests.iter_rows(named=True):
        name = test["group"] if filters.by else definition.aspect_label(test["aspect"])
        varied[name] = test
    lines = (
        [(g, {**filters.dims, filters.by: [g]}, aspect) for g in dict.fromkeys(trend.get_column("group").to_list())]
        if filters.by
        else [(definition.aspect_label(a), filters.dims, a) for a in aspects]
    )
    for name, dims, shown in lines:
        tested.append((name, loading.compute(trend_test, loaded, definition, aspect=shown, period=span, filters=dims)))
    output.figure(
        charts.trend_lines(
            trend,
            definition,
            title=f"{what}{by_words}: % positive",
            series=series,
            look=output.look(),
            events=loading.config().events,
        ),
        "trends",
        # one line: its answer is the finding (on a meeting screen the rise or fall alone, the rest in the
        # detail); several: which rose or fell, then each line's own words
        finding=wording.trends_finding(tested)
        if len(tested) > 1 or filters.present
        else wording.trend_finding(*tested[0], varied.get(tested[0][0])),
        figures=[wording.variation(tested[0][0], varied[tested[0][0]])]
        if len(tested) == 1 and filters.present and tested[0][0] in varied
        else []
        if len(tested) == 1
        else [
            f"{wording.trend(name, result)} {wording.variation(name, varied[name])}"
            if name in varied
            else wording.trend(name, result)
            for name, result in tested
        ],
        data=satisfaction_table(
            trend, definition, by_label=definition.dimension_label(filters.by) if filters.by else None, over_time=True
        ),
        data_name=f"{definition.dataset}-trends-{aspect}"
        + (f"-by-{filters.by}" if filters.by else "")
        + f"-to-{filters.period}",
    )
    how = [
        f"Periods with fewer than {definition.suppression.min_base} answers are left out of the test. Shaded bands "
        "are 95% intervals (Wilson score); rings mark a significant change on the previous period "
        "(two-sided two-proportion z-test, p < 0.05).",
        "Risen or fallen: Cochran-Armitage test for a linear trend in the share positive across the periods (each "
        "period scored by the time since the first, so a gap keeps its place and waves years apart are years "
        "apart); the rate is the least-squares line through each period's share, weighted by its base, in points "
        "a month for monthly data and a year otherwise.",
    ]
    output.about(
        [wording.variation_method(name, test) for name, test in varied.items()]
        + [m for name, result in tested if (m := wording.trend_method(name, result))]
        + how
    )


def weighted_and_unweighted(filters: url_state.Filters, definition: Definition, loaded: Loaded) -> None:
    """Each period weighted on its own, beside the unweighted figures."""
    aspect = filters.aspect or definition.aspects[0]
    both = weighted_trend_view(loaded.frame, definition, loading.census(), up_to=filters.period, filters=filters.dims)
    st.header(f"{definition.aspect_label(aspect)}: weighted and unweighted")
    efficiency = [r.efficiency_pct for r in both.rakings.values()]
    rows = for_aspects(both.rows, [aspect])
    last = rows.sort("period").row(-1, named=True) if rows.height else None
    output.figure(
        charts.weighted_trend(
            rows,
            definition,
            title="% positive by period, each period weighted",
            look=output.look(),
            events=loading.config().events,
        ),
        f"trends-weighted-{aspect}",
        finding=(
            f"In {period_label(last['period'])}: {wording.pct(last['pct'])} unweighted, "
            f"{wording.pct(last['weighted_pct'])} weighted to the census."
            if last
            else None
        ),
        notes=[
            f"Each period's respondents are weighted on their own; the weights' efficiency ranges from "
            f"{min(efficiency):.0f}% to {max(efficiency):.0f}% (effective base ÷ respondents). Both tests use the "
            "unweighted figures. Choose another aspect under **Aspect** in the sidebar.",
            *(f"{period}: {note}" for period, raking in both.rakings.items() for note in raking.notes()),
        ],
        data=satisfaction_table(rows, definition, over_time=True),
        data_name=f"{definition.dataset}-trends-weighted-{aspect}-to-{filters.period}",
    )


def chosen_range(filters: url_state.Filters, definition: Definition, loaded: Loaded) -> PeriodRange | None:
    """The range chosen in the sidebar; None for one period or wave (the trend then runs up to it)."""
    span = as_range(filters.period, definition, loaded.frame)
    return None if span is None or span.is_single else span


filters, definition, loaded = output.survey_page("trends")
weighted = url_state.weighted_toggle([definition])
aspect = filters.aspect or definition.aspects[0]
every = (st.sidebar if filters.present else st).toggle(  # a meeting screen keeps its room for the figures
    "Show every aspect",
    key="trend_every",
    disabled=filters.by is not None,
    help="Draws each aspect as its own line (with a breakdown, one aspect at a time).",
)
aspects = definition.aspects if every and filters.by is None else [aspect]
trend, tests = loading.compute(
    trend_view, loaded, definition, aspects=aspects, by=filters.by, up_to=filters.period, filters=filters.dims
)
if trend.height == 0:
    st.info("No responses match the filters chosen.")
    st.stop()
sections.show(
    [
        sections.View(
            "trend",
            "Over time",
            lambda: over_time(trend, tests, filters, definition, loaded, aspects=aspects),
            breakdown=True,
        ),
        *(
            [
                sections.View(
                    "weighted", "Weighted and unweighted", lambda: weighted_and_unweighted(filters, definition, loaded)
                )
            ]
            if weighted
            else []
        ),
        # who is surveyed and who answers (force-wide); every survey's response rates side by side
        sections.View("reach", "Who is surveyed and who answers", lambda: reach.reach(filters, definition, loaded)),
        *(
            [
                sections.View("reach-rate", "Response rate", lambda: reach.rate(filters, definition, loaded)),
                sections.View("rates", "Response rates side by side", lambda: reach.rates(definition)),
            ]
            if definition.volumes is not None
            else []
        ),
    ]
)
