"""Satisfaction: every aspect for the chosen period, and any aspect by any dimension."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import ui
from insight import charts, wording
from insight.metrics import satisfaction
from insight.periods import period_label
from insight.tables import satisfaction_table
from insight.validity import validity
from insight.weighting import Raking, weighted_figure, weighted_satisfaction, weighting_in_words

filters, definition, loaded = ui.survey_page("satisfaction")
weighted = ui.weighted_toggle([definition])


def figures(**choice: object) -> tuple[pl.DataFrame, Raking | None]:
    """Satisfaction for the period and filters shown; with the toggle on, weighted beside unweighted
    and the period's weighting."""
    if weighted:
        both = weighted_satisfaction(
            loaded.frame, definition, ui.census(), period=filters.period, filters=filters.dims, **choice
        )
        return both.rows, next(iter(both.rakings.values()), None)
    return satisfaction(loaded.frame, definition, period=filters.period, filters=filters.dims, **choice), None


def said(row: dict) -> str:
    return wording.figure(row) + (f"; {weighted_figure(row)}" if weighted and weighted_figure(row) else "")


result, raking = figures()
if result.height == 0:
    st.info(f"No responses in {period_label(filters.period or '')} match the filters chosen.")
    st.stop()
label = period_label(filters.period or result.item(0, "period"))
if filters.dims:
    st.caption(
        "Filtered to " + "; ".join(f"{definition.dimension_label(k)}: {', '.join(v)}" for k, v in filters.dims.items())
    )

v = validity(loaded.frame, definition, loaded.volumes, period=filters.period or result.item(0, "period"))
(st.success if v.valid_for_5pp else st.warning)(
    f"**Is the sample big enough?** {wording.sentence(wording.validity(v))}", icon=":material/straighten:"
)
if raking is not None:
    st.info(f"**Weighted to the census.** {weighting_in_words(raking)}", icon=":material/balance:")
    for weighting_note in raking.notes():
        st.warning(weighting_note, icon=":material/warning:")
bars = charts.weighted_bars if weighted else charts.share_bars
st.header(f"Every aspect, {label}")
ui.chart(bars(result, definition, rows="aspect_label", title=f"% positive, {label}"), "aspects")
for row in result.iter_rows(named=True):
    note = wording.caution(row, definition.suppression)
    st.write(f"**{definition.aspect_label(row['aspect'])}**: {said(row)}; {wording.change(row)}.")
    if note:
        st.caption(note)
ui.table(satisfaction_table(result, definition), f"{definition.dataset}-aspects-{filters.period}")

aspect = filters.aspect or definition.aspects[0]
if filters.by is None:
    st.info(ui.breakdown_hint(definition))
    st.stop()
by_label = definition.dimension_label(filters.by)
breakdown, _ = figures(by=filters.by, aspects=[aspect])
st.header(f"{definition.aspect_label(aspect)} by {by_label.lower()}, {label}")
ui.chart(
    bars(breakdown, definition, rows="group", title=f"{definition.aspect_label(aspect)} by {by_label.lower()}"),
    f"{aspect}-by-{filters.by}",
)
note = wording.suppressed_groups(breakdown, definition.suppression)
if note:
    st.caption(note)
ui.table(satisfaction_table(breakdown, definition, by_label=by_label), f"{definition.dataset}-{aspect}-by-{filters.by}")
