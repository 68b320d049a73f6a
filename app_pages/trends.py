"""Trends: the chosen aspect over time (others on request), by the chosen breakdown, up to the chosen period
or within the chosen range; has it risen or fallen, and has it varied significantly?"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import loading, output, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts, wording
from insight.display.tables import satisfaction_table
from insight.display.views import for_aspects, trend_view, weighted_trend_view
from insight.figures.metrics import as_range
from insight.figures.trend import trend_test
from insight.periods import PeriodRange, period_label


def has_it_varied(
    trend: pl.DataFrame, tests: pl.DataFrame, filters: url_state.Filters, definition: Definition, *, aspects: list[str]
) -> None:
    """The heading, one sentence per line drawn, and the chart."""
    aspect = filters.aspect or definition.aspects[0]
    span = chosen_range(filters, definition)
    until = (
        f"over {period_label(span.text)}" if span else f"up to {period_label(filters.period)}" if filters.period else ""
    )
    series = "group" if filters.by else "aspect_label"
    what = definition.aspect_label(aspect) if len(aspects) == 1 else "Every aspect"
    by_words = f" by {definition.dimension_label(filters.by).lower()}" if filters.by else ""
    if trend.get_column("period").n_unique() < 2:
        st.info("Only one period is held so far: trends appear once a second period is uploaded.")
    st.header(f"{what}{by_words}, {until}: has it varied significantly?")
    for test in tests.iter_rows(named=True):
        name = test["group"] if filters.by else definition.aspect_label(test["aspect"])
        st.write("- " + wording.variation(name, test))
    output.chart(charts.trend_lines(trend, definition, title=f"{what}{by_words}: % positive", series=series), "trends")


def has_it_risen_or_fallen(
    tests: pl.DataFrame, filters: url_state.Filters, definition: Definition, loaded: Loaded, *, aspects: list[str]
) -> None:
    """One sentence per aspect, and every test's method behind "About this figure"."""
    st.header("Has it risen or fallen?")
    span = chosen_range(filters, definition)
    trend_methods = []
    for shown in aspects:
        result = loading.compute(trend_test, loaded, definition, aspect=shown, period=span, filters=filters.dims)
        st.write("- " + wording.trend(definition.aspect_label(shown), result))
        trend_methods.append(wording.trend_method(definition.aspect_label(shown), result))
    tests_said = [
        wording.variation_method(test["group"] if filters.by else definition.aspect_label(test["aspect"]), test)
        for test in tests.iter_rows(named=True)
    ]
    how = [
        f"Periods with fewer than {definition.suppression.min_base} answers are left out of the test. Shaded bands "
        "are 95% intervals (Wilson score); rings mark a significant change on the previous period "
        "(two-sided two-proportion z-test, p < 0.05).",
        "Risen or fallen: Cochran-Armitage test for a linear trend in the share positive across the periods (each "
        "period scored by its place in the calendar, so a gap keeps its place); the rate is the least-squares line "
        "through each period's share, weighted by its base.",
    ]
    output.about(tests_said + [m for m in trend_methods if m] + how)


def weighted_and_unweighted(
    trend: pl.DataFrame, filters: url_state.Filters, definition: Definition, loaded: Loaded, *, aspects: list[str]
) -> pl.DataFrame:
    """Each period weighted on its own, beside the unweighted figures; returns the rows the table shows."""
    aspect = filters.aspect or definition.aspects[0]
    both = weighted_trend_view(loaded.frame, definition, loading.census(), up_to=filters.period, filters=filters.dims)
    st.header(f"{definition.aspect_label(aspect)}: weighted and unweighted")
    output.chart(
        charts.weighted_trend(
            for_aspects(both.rows, [aspect]), definition, title="% positive by period, each period weighted"
        ),
        f"trends-weighted-{aspect}",
    )
    efficiency = [r.efficiency_pct for r in both.rakings.values()]
    st.caption(
        f"Each period's respondents are weighted on their own; the weights' efficiency ranges from "
        f"{min(efficiency):.0f}% to {max(efficiency):.0f}% (effective base ÷ respondents). Both tests use the "
        "unweighted figures. Choose another aspect under **Aspect** in the sidebar."
    )
    if filters.by is None:  # the table then shows each figure weighted beside unweighted
        trend = for_aspects(both.rows, aspects)
    for period, raking in both.rakings.items():
        for note in raking.notes():
            st.warning(f"{period}: {note}", icon=":material/warning:")
    return trend


def chosen_range(filters: url_state.Filters, definition: Definition) -> PeriodRange | None:
    """The range chosen in the sidebar; None for one period (the trend then runs up to it)."""
    span = as_range(filters.period, definition)
    return None if span is None or span.is_single else span


filters, definition, loaded = output.survey_page("trends")
weighted = url_state.weighted_toggle([definition])
aspect = filters.aspect or definition.aspects[0]
every = st.toggle(
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
has_it_varied(trend, tests, filters, definition, aspects=aspects)
has_it_risen_or_fallen(tests, filters, definition, loaded, aspects=aspects)
if weighted:
    trend = weighted_and_unweighted(trend, filters, definition, loaded, aspects=aspects)
output.table(
    satisfaction_table(
        trend, definition, by_label=definition.dimension_label(filters.by) if filters.by else None, over_time=True
    ),
    f"{definition.dataset}-trends-{aspect}{'-by-' + filters.by if filters.by else ''}-to-{filters.period}",
)
