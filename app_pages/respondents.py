"""Respondents: who answered against who lives in the force area (Census 2021)."""

from __future__ import annotations

import streamlit as st

from app_pages import loading, output, url_state
from insight.config.census import Census
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts
from insight.display.tables import area_gaps, representation_table, weighting_profile_table
from insight.display.views import weighting_profiles
from insight.figures.representation import representation
from insight.figures.weighting import weighting_in_words
from insight.periods import period_label


def introduction(filters: url_state.Filters, definition: Definition, census: Census, *, who: str) -> None:
    npus = filters.dims.get("npu", [])
    when = period_label(filters.period) if filters.period else "all periods"
    where = (
        f"{', '.join(npus)} (benchmarked against {' + '.join(census.areas_for(npus))})" if npus else "the force area"
    )
    st.caption(
        f"{who}, {when}, in {where}: share of those who stated each value, against Census 2021. "
        + (
            "Choose NPUs under *Filter respondents* to compare with their local authorities; other filters there "
            "narrow the respondents too."
            if "npu" in definition.dimensions
            else "Filters under *Filter respondents* narrow the respondents."
        )
    )


def against_the_census(
    key: str, filters: url_state.Filters, definition: Definition, loaded: Loaded, *, who: str
) -> None:
    """One dimension: the respondents' shares beside the census's, chart and table."""
    dim = definition.dimensions[key]
    rep = loading.compute(
        representation, loaded, definition, uses=("census",), by=key, period=filters.period, filters=filters.dims
    )
    st.header(dim.label)
    if rep.status == "suppressed":
        st.warning(f"Only {rep.stated} stated their {dim.label.lower()}: too few to show shares.")
        return
    if rep.status == "low_base":
        st.warning(f"Treat with caution: only {rep.stated} stated their {dim.label.lower()}.")
    output.chart(
        charts.representation_bars(rep.rows, who=who, title=f"{dim.label}: {who.lower()} and census"),
        f"represent-{key}",
    )
    st.caption(
        f"Census population: {rep.population}, {rep.area}. {rep.stated:,} stated; "
        f"{rep.not_stated:,} did not state (left out of the shares). Census 2021 (ONS); sources on the Data page."
    )
    output.table(representation_table(rep, dim.label), f"{definition.dataset}-represent-{key}")


def before_and_after_weighting(filters: url_state.Filters, definition: Definition, loaded: Loaded, period: str) -> None:
    st.header("Before and after weighting to the census")
    weighed = loading.compute(weighting_profiles, loaded, definition, uses=("census",), period=period,
                              filters=filters.dims)  # fmt: skip
    if weighed.respondents < definition.suppression.min_base:
        st.warning(f"Only {weighed.respondents} respondents match the filters chosen: too few to weight.")
        return
    raking = weighed.raking
    st.caption(
        "Weighted figures (the *Weighted to the census* toggle on Overview, Satisfaction and Trends) count each "
        "respondent so that, together, they match the census on these margins. " + weighting_in_words(raking)
    )
    for note in raking.notes():
        st.warning(note, icon=":material/warning:")
    for margin, rows in weighed.margins:
        output.chart(
            charts.weighting_profile_bars(rows, title=f"{margin.label}, before and after weighting"),
            f"weighting-{margin.dimension}",
        )
        output.table(
            weighting_profile_table(rows, margin.label),
            f"{definition.dataset}-weighting-{margin.dimension}",
        )
        st.caption(
            f"Census population: {margin.population}. Respondents who did not state a value, or gave one the "
            "census does not count, keep their share of the sample."
            + (f" Left out by the filter: {', '.join(margin.filtered)}." if margin.filtered else "")
        )


def by_neighbourhood(
    benchmarked: list[str], filters: url_state.Filters, definition: Definition, loaded: Loaded
) -> None:
    st.header("By neighbourhood policing unit")
    key = st.selectbox(
        "Gap to the census (points) by NPU, for",
        benchmarked,
        format_func=lambda k: definition.dimensions[k].label,
        key="area_dim",
    )
    reps = {
        npu_name: loading.compute(
            representation,
            loaded,
            definition,
            uses=("census",),
            by=key,
            period=filters.period,
            npu=npu_name,
            filters=filters.dims,
        )
        for npu_name in definition.dimensions["npu"].groups
    }
    output.table(area_gaps(reps), f"{definition.dataset}-gaps-by-npu-{key}")
    st.caption("Positive: over-represented; negative: under-represented. Birmingham East and West both use Birmingham.")


filters, definition, loaded = output.survey_page("who responded", needs_questions=False)
census = loading.census()
benchmarked = [k for k, d in definition.dimensions.items() if d.census in census.tables]
if not benchmarked:
    st.info(f"{definition.title} records no demographics with a census benchmark.")
    st.stop()
who = "Members" if definition.kind == "membership" else "Respondents"
introduction(filters, definition, census, who=who)
for key in benchmarked:
    against_the_census(key, filters, definition, loaded, who=who)
if definition.weighting and filters.period:
    before_and_after_weighting(filters, definition, loaded, filters.period)
if "npu" in definition.dimensions:
    by_neighbourhood(benchmarked, filters, definition, loaded)
