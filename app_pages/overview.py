"""Overview: one tile per survey with its headline for the period chosen, and how it moved.

A dataset that holds several surveys (public confidence: Public Voice and How are we Doing) gets a tile
for each, never one merged figure. A quarterly survey shows the quarter containing the month chosen.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import identity, ui
from insight.config.definition import Definition
from insight.datasets import opening_period
from insight.display import wording
from insight.display.views import matching_period
from insight.figures.metrics import periods, satisfaction
from insight.figures.representation import representation
from insight.figures.validity import validity
from insight.figures.weighting import can_weight, weighted_figure, weighted_report
from insight.periods import period_label

filters: ui.Filters = st.session_state["filters"]
chosen = filters.period
latest = next(iter(ui.overview_periods()), None)
st.title("Citizen satisfaction: overview")
st.caption(
    f"Each survey's headline for {period_label(chosen) if chosen else 'its latest period'} (quarterly surveys: the "
    "quarter containing it; at the latest, each survey's latest period with enough answers to show a figure), with "
    "its base, 95% interval and the change on the previous period."
)

definitions = identity.visible(ui.definitions())  # only the surveys this user may see
weighted = ui.weighted_toggle(list(definitions.values()))
tiles: list[tuple[Definition, str | None]] = []
for definition in definitions.values():
    # A dataset holding separate surveys (its definition's `split_by:`) gets a tile for each.
    surveys = definition.dimensions[definition.split_by] if definition.split_by else None
    tiles += [(definition, s) for s in surveys.groups] if surveys else [(definition, None)]
columns = st.columns(3)
for i, (definition, survey) in enumerate(tiles):
    with columns[i % 3].container(border=True):
        st.subheader(f"{definition.title}: {survey}" if survey else definition.title)
        loaded = ui.load(definition, stop=False)
        if loaded is None:
            if not ui.store_fault(definition):
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
        # A survey's own tile: its responses are the whole of what it reports, never merged with another's.
        own = frame.filter(pl.col(definition.split_by).cast(pl.String) == survey) if survey else frame
        if own.height == 0:
            st.write(f"No {survey} responses yet.")
            continue
        if survey:
            held = periods(own)
            opening, passed = opening_period(own, definition)
        else:
            held, opening, passed = ui.held_periods(loaded, definition)
        # At the latest (the default), each survey's latest period with enough answers to show a figure.
        period = opening if chosen is None or chosen == latest else matching_period(chosen, held)
        if period != opening:  # the newer thin periods are worth a word only beside the opening period
            passed = []
        if period is None:
            st.write(
                f"No responses for {period_label(chosen or '')}; its periods run from "
                f"{period_label(held[0])} to {period_label(held[-1])}."
            )
            continue
        aspect = definition.headline or definition.aspects[0]
        if weighted and can_weight(definition):
            both = weighted_report(own, definition, ui.census(), period=period, aspects=[aspect])
            row = both.rows.row(0, named=True)
        elif survey:
            row = satisfaction(own, definition, period=period, aspects=[aspect]).row(0, named=True)
        else:
            row = ui.compute(satisfaction, loaded, definition, period=period, aspects=[aspect]).row(0, named=True)
        st.markdown(f"**{definition.aspect_label(aspect)}**, {period_label(period)}")
        if passed:
            st.caption(
                f"Newer: {', '.join(period_label(p) for p in passed)}, with fewer than "
                f"{definition.suppression.min_base} answers."
            )
        unweighted, weighted_column = st.columns(2) if "weighted_pct" in row else (st.container(), None)
        unweighted.metric("% positive", wording.pct(row["pct"]) if row["pct"] is not None else "suppressed")
        if weighted_column is not None:
            weighted_column.metric("% weighted", wording.pct(row["weighted_pct"]))
        st.write(wording.figure(row))
        if weighted_figure(row):
            st.write(wording.sentence(weighted_figure(row)))
        st.write(wording.sentence(wording.change(row)))
        if survey:
            v = validity(own, definition, None, period=period)
        else:
            v = ui.compute(validity, loaded, definition, loaded.volumes, period=period)
        st.caption(wording.sentence(wording.validity(v)))
        note = wording.caution(row, definition.suppression)
        if note:
            st.warning(note, icon=":material/warning:")
        st.page_link(
            "app_pages/satisfaction.py",
            label="Every aspect",
            icon=":material/arrow_forward:",
            query_params={
                "dataset": definition.dataset,
                "period": period,
                **({definition.split_by: survey} if definition.split_by and survey else {}),
            },
        )
