"""Trends: each aspect over time with its interval; has it risen or fallen, and has it varied significantly?"""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from insight import charts, wording
from insight.metrics import as_range, in_range, satisfaction, variation_over_time
from insight.periods import period_label
from insight.tables import satisfaction_table
from insight.trend import trend_test
from insight.weighting import weighted_satisfaction

filters, definition, loaded = ui.survey_page("trends")
weighted = ui.weighted_toggle([definition])

# A range chosen in the sidebar narrows the trend to it; one period shows every period held.
span = as_range(filters.period, definition)
span = None if span is None or span.is_single else span
held = in_range(loaded.frame, span)
both = None
if weighted:  # each period weighted on its own, beside the unweighted figures
    both = weighted_satisfaction(held, definition, ui.census(), all_periods=True, filters=filters.dims)
    trend = both.rows
else:
    trend = satisfaction(held, definition, all_periods=True, filters=filters.dims)
if trend.height == 0:
    st.info("No responses match the filters chosen.")
    st.stop()
n_periods = trend.get_column("period").n_unique()
if n_periods < 2:
    st.info("Only one period is held so far: trends appear once a second period is uploaded.")

st.header("Has it risen or fallen?")
if span is not None:
    st.caption(f"Over {period_label(span.text)}, the range chosen in the sidebar.")
for aspect in definition.aspects:
    result = trend_test(loaded.frame, definition, aspect=aspect, period=span, filters=filters.dims)
    st.write("- " + wording.trend(definition.aspect_label(aspect), result))
st.caption(
    "Cochran-Armitage test for a linear trend in the share positive across the periods (each period scored by its "
    "place in the calendar, so a gap keeps its place); the rate is the least-squares line through each period's "
    "share, weighted by its base."
)

st.header("Has satisfaction varied significantly over time?")
tests = variation_over_time(trend)
for test in tests.iter_rows(named=True):
    st.write("- " + wording.variation(definition.aspect_label(test["aspect"]), test))
st.caption(
    "Chi-square test of whether the share positive is the same in every period shown (periods with fewer than "
    f"{definition.suppression.min_base} answers are left out). Rings on the chart mark a significant change "
    "on the previous period (two-proportion z-test, p < 0.05)."
    + (" Both tests use the unweighted figures." if weighted else "")
)
ui.chart(charts.trend_lines(trend, definition, title="% positive by period, with 95% intervals"), "trends")
if both is not None:
    aspect = filters.aspect or definition.aspects[0]
    st.header(f"{definition.aspect_label(aspect)}: weighted and unweighted")
    ui.chart(
        charts.weighted_trend(
            trend.filter(trend["aspect"] == aspect), definition, title="% positive by period, each period weighted"
        ),
        f"trends-weighted-{aspect}",
    )
    efficiency = [r.efficiency_pct for r in both.rakings.values()]
    st.caption(
        f"Each period's respondents are weighted on their own; the weights' efficiency ranges from "
        f"{min(efficiency):.0f}% to {max(efficiency):.0f}% (effective base ÷ respondents). Choose another aspect "
        "under **Aspect** in the sidebar."
    )
    for period, raking in both.rakings.items():
        for note in raking.notes():
            st.warning(f"{period}: {note}", icon=":material/warning:")
ui.table(satisfaction_table(trend, definition), f"{definition.dataset}-trends")
