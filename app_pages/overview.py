"""Overview: one tile per dataset with its headline for the period chosen, and how it moved."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from insight import wording
from insight.metrics import satisfaction
from insight.periods import period_label
from insight.representation import representation
from insight.validity import validity
from insight.views import matching_period

filters: ui.Filters = st.session_state["filters"]
chosen = filters.period
latest = next(iter(ui.overview_periods()), None)
st.title("Citizen satisfaction: overview")
st.caption(
    f"Each survey's headline for {period_label(chosen) if chosen else 'its latest period'} (quarterly surveys: the "
    "quarter containing it; at the latest, each survey's latest period with enough answers to show a figure), with "
    "its base, 95% interval and the change on the previous period."
)

definitions = ui.definitions()
columns = st.columns(3)
for i, definition in enumerate(definitions.values()):
    with columns[i % 3].container(border=True):
        st.subheader(definition.title)
        loaded = ui.load(definition)
        if loaded is None:
            st.write("No data yet. Upload an export on the Upload page.")
            continue
        if loaded.is_sample:
            st.markdown(f"{ui.SAMPLE_MARK} synthetic records", unsafe_allow_html=True)
        frame = loaded.frame
        if definition.kind == "membership":
            rep = representation(frame, definition, ui.census(), by="age")
            young = rep.rows.row(0, named=True)
            st.metric("Current members", f"{rep.stated + rep.not_stated:,}")
            st.write(
                f"Aged {young['group']}: {wording.pct(young['share'])} of members who stated their age, "
                f"against {wording.pct(young['census_share'])} of residents aged 16+."
            )
            st.page_link("app_pages/wmnow.py", label="WMNow diversity", icon=":material/arrow_forward:")
            continue
        held, opening, passed = ui.held_periods(loaded, definition)
        if chosen is None or chosen == latest:  # the default: each survey's latest with enough answers to show
            period = opening
        else:
            period, passed = matching_period(chosen, held), []
        if period is None:
            st.write(
                f"No responses for {period_label(chosen or '')}; its periods run from "
                f"{period_label(held[0])} to {period_label(held[-1])}."
            )
            continue
        aspect = definition.headline or definition.aspects[0]
        row = ui.compute(satisfaction, loaded, definition, period=period, aspects=[aspect]).row(0, named=True)
        st.markdown(f"**{definition.aspect_label(aspect)}**, {period_label(period)}")
        if passed:
            st.caption(
                f"Newer: {', '.join(period_label(p) for p in passed)}, with fewer than "
                f"{definition.suppression.min_base} answers."
            )
        st.metric("% positive", wording.pct(row["pct"]) if row["pct"] is not None else "suppressed")
        st.write(wording.figure(row))
        st.write(wording.sentence(wording.change(row)))
        v = ui.compute(validity, loaded, definition, loaded.volumes, period=period)
        st.caption(wording.sentence(wording.validity(v)))
        note = wording.caution(row, definition.suppression)
        if note:
            st.warning(note, icon=":material/warning:")
        st.page_link(
            "app_pages/satisfaction.py",
            label="Every aspect",
            icon=":material/arrow_forward:",
            query_params={"dataset": definition.dataset, "period": period},
        )
