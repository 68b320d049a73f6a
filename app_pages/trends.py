"""Trends: each aspect over time with its interval, and whether it has varied significantly."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from insight import charts, wording
from insight.metrics import satisfaction, variation_over_time
from insight.tables import satisfaction_table
from insight.weighting import weighted_satisfaction

filters, definition, loaded = ui.survey_page("trends")
weighted = ui.weighted_toggle([definition])

both = None
if weighted:
    both = weighted_satisfaction(loaded.frame, definition, ui.census(), all_periods=True, filters=filters.dims)
    trend = both.rows
else:
    trend = satisfaction(loaded.frame, definition, all_periods=True, filters=filters.dims)
if trend.height == 0:
    st.info("No responses match the filters chosen.")
    st.stop()
n_periods = trend.get_column("period").n_unique()
if n_periods < 2:
    st.info("Only one period is held so far: trends appear once a second period is uploaded.")

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
