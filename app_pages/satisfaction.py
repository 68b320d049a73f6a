"""Satisfaction: every aspect for the chosen period, and any aspect by any dimension."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from insight import charts, wording
from insight.metrics import satisfaction
from insight.periods import period_label
from insight.tables import satisfaction_table
from insight.validity import validity

filters, definition, loaded = ui.survey_page("satisfaction")

result = ui.compute(satisfaction, loaded, definition, period=filters.period, filters=filters.dims)
if result.height == 0:
    st.info(f"No responses in {period_label(filters.period or '')} match the filters chosen.")
    st.stop()
label = period_label(filters.period or result.item(0, "period"))
if filters.dims:
    st.caption(
        "Filtered to " + "; ".join(f"{definition.dimension_label(k)}: {', '.join(v)}" for k, v in filters.dims.items())
    )

v = ui.compute(validity, loaded, definition, loaded.volumes, period=filters.period or result.item(0, "period"))
(st.success if v.valid_for_5pp else st.warning)(
    f"**Is the sample big enough?** {wording.sentence(wording.validity(v))}", icon=":material/straighten:"
)
st.header(f"Every aspect, {label}")
ui.chart(charts.share_bars(result, definition, rows="aspect_label", title=f"% positive, {label}"), "aspects")
for row in result.iter_rows(named=True):
    note = wording.caution(row, definition.suppression)
    st.write(f"**{definition.aspect_label(row['aspect'])}**: {wording.figure(row)}; {wording.change(row)}.")
    if note:
        st.caption(note)
ui.about(
    [wording.change_method(definition.aspect_label(r["aspect"]), r) for r in result.iter_rows(named=True)]
    + ["95% intervals are Wilson score intervals."]
)
ui.table(satisfaction_table(result, definition), f"{definition.dataset}-aspects-{filters.period}")

aspect = filters.aspect or definition.aspects[0]
if filters.by is None:
    st.info(ui.breakdown_hint(definition))
    st.stop()
by_label = definition.dimension_label(filters.by)
breakdown = ui.compute(
    satisfaction, loaded, definition, period=filters.period, by=filters.by, aspects=[aspect], filters=filters.dims
)
st.header(f"{definition.aspect_label(aspect)} by {by_label.lower()}, {label}")
ui.chart(
    charts.share_bars(
        breakdown, definition, rows="group", title=f"{definition.aspect_label(aspect)} by {by_label.lower()}"
    ),
    f"{aspect}-by-{filters.by}",
)
note = wording.suppressed_groups(breakdown, definition.suppression)
if note:
    st.caption(note)
ui.about([wording.change_method(r["group"], r) for r in breakdown.iter_rows(named=True)])
ui.table(satisfaction_table(breakdown, definition, by_label=by_label), f"{definition.dataset}-{aspect}-by-{filters.by}")
