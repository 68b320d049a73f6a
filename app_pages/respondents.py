"""Respondents: who answered against who lives in the force area (Census 2021)."""

from __future__ import annotations

from functools import partial

import polars as pl
import streamlit as st

from app_pages import loading, output, sections, url_state
from insight.config.census import Census
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts, wording
from insight.display.tables import area_gaps, representation_table, weighting_profile_table
from insight.display.views import weighting_profiles
from insight.figures.representation import representation
from insight.figures.weighting import Margin, weighting_in_words
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
    """One dimension: the respondents' shares beside the census's, chart, and table behind "Figures and table"."""
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
    output.figure(
        charts.representation_bars(
            rep.rows, who=who, title=f"{dim.label}: {who.lower()} and census", look=output.look()
        ),
        f"represent-{key}",
        finding=wording.representation_finding(list(rep.rows.iter_rows(named=True)), who),
        notes=[
            f"Census population: {rep.population}, {rep.area}. {rep.stated:,} stated; {rep.not_stated:,} did not "
            "state (left out of the shares). Census 2021 (ONS); sources on the Data page."
        ],
        data=representation_table(rep, dim.label),
        data_name=f"{definition.dataset}-represent-{key}",
    )


def before_and_after_weighting(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, period: str
) -> list[sections.View]:
    """One view per margin the respondents are weighted on (each a chart and its table)."""
    weighed = loading.compute(weighting_profiles, loaded, definition, uses=("census",), period=period,
                              filters=filters.dims)  # fmt: skip
    raking = weighed.raking

    def too_few() -> None:
        st.header("Before and after weighting to the census")
        st.warning(f"Only {weighed.respondents} respondents match the filters chosen: too few to weight.")

    if weighed.respondents < definition.suppression.min_base:
        return [sections.View("weighting", "Weighting", too_few)]

    def margin_view(margin: Margin, rows: pl.DataFrame, first: bool) -> None:
        st.header(f"{margin.label}, before and after weighting to the census")
        if first:
            st.caption(
                "Weighted figures (the *Weighted to the census* toggle on Overview, Satisfaction and Trends) count "
                "each respondent so that, together, they match the census on these margins. "
                + weighting_in_words(raking)
            )
            for note in raking.notes():
                st.warning(note, icon=":material/warning:")
        output.figure(
            charts.weighting_profile_bars(
                rows, title=f"{margin.label}, before and after weighting", look=output.look()
            ),
            f"weighting-{margin.dimension}",
            finding=wording.weighting_finding(list(rows.iter_rows(named=True))),
            notes=[
                f"Census population: {margin.population}. Respondents who did not state a value, or gave one the "
                "census does not count, keep their share of the sample."
                + (f" Left out by the filter: {', '.join(margin.filtered)}." if margin.filtered else "")
            ],
            data=weighting_profile_table(rows, margin.label),
            data_name=f"{definition.dataset}-weighting-{margin.dimension}",
        )

    return [
        sections.View(
            f"weighting-{margin.dimension}",
            f"{margin.label}, weighted",
            partial(margin_view, margin, rows, i == 0),
        )
        for i, (margin, rows) in enumerate(weighed.margins)
    ]


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
if not filters.present:  # how to read and narrow the page: not for a meeting screen
    introduction(filters, definition, census, who=who)
views = [
    sections.View(
        key,
        definition.dimensions[key].label,
        partial(against_the_census, key, filters, definition, loaded, who=who),
        breakdown=key == filters.by,
    )
    for key in benchmarked
]
if definition.weighting and filters.period:
    views += before_and_after_weighting(filters, definition, loaded, filters.period)
if "npu" in definition.dimensions:
    views.append(sections.View("areas", "By NPU", lambda: by_neighbourhood(benchmarked, filters, definition, loaded)))
sections.show(views)
