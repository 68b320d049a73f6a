"""WMNow diversity: how far members and new sign-ups are from the census, and the trend."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import loading, output, url_state
from insight.config.census import Census
from insight.config.definition import Definition
from insight.display import charts, wording
from insight.display.tables import area_gaps, gap_table, joiners_table, representation_table
from insight.display.views import target_gaps
from insight.figures.metrics import as_range
from insight.figures.representation import representation
from insight.figures.sign_ups import joiners_by_month, sign_up_gaps
from insight.periods import period_label

DIMENSIONS = ("age", "ethnicity")  # the two the sign-up drive tracks


def active_members(
    members: pl.DataFrame, definition: Definition, census: Census, dims: dict[str, list[str]], where: str
) -> None:
    st.header(f"Active members, {where}")
    for key in DIMENSIONS:
        dim = definition.dimensions[key]
        rep = representation(members, definition, census, by=key, filters=dims, latest_if_no_period=False)
        st.subheader(dim.label)
        if rep.status == "suppressed":
            st.warning(
                f"Only {rep.stated} members {where} stated their {dim.label.lower()}: too few to show shares "
                f"(at least {definition.suppression.min_base} are needed)."
            )
            continue
        output.chart(
            charts.representation_bars(rep.rows, who="Members", title=f"{dim.label}: members and census"),
            f"members-{key}",
        )
        st.caption(f"Census: {rep.population}. {rep.stated:,} stated; {rep.not_stated:,} did not.")
        output.table(representation_table(rep, dim.label), f"wmnow-members-{key}")


def new_sign_ups(
    members: pl.DataFrame, definition: Definition, census: Census, filters: url_state.Filters, period: str, where: str
) -> None:
    st.header(f"New sign-ups in {period_label(period)}, {where}")
    cols = st.columns(2)
    for col, key in zip(cols, DIMENSIONS, strict=True):
        dim = definition.dimensions[key]
        rep = representation(members, definition, census, by=key, period=period, filters=filters.dims)
        with col:
            if rep.status == "suppressed":
                st.warning(f"Only {rep.stated} new members stated their {dim.label.lower()}: too few to show shares.")
                continue
            output.table(representation_table(rep, dim.label), f"wmnow-signups-{key}-{period}")


def is_the_gap_closing(
    members: pl.DataFrame, definition: Definition, census: Census, filters: url_state.Filters, where: str
) -> None:
    st.header("Is the gap closing?")
    span = as_range(filters.period, definition)
    first, last = (span.first, span.last) if span is not None and not span.is_single else (None, None)
    series, changes = sign_up_gaps(members, definition, census, filters=filters.dims, first=first, last=last)
    for change in changes:
        st.write("- " + wording.gap_change(change))
    output.about([wording.gap_change_method(c) for c in changes])
    targets = target_gaps(series, definition)
    if series.height == 0:
        st.info(
            f"No month has at least {definition.suppression.min_base} new members {where} stating their age or "
            "ethnicity, so no gap can be shown yet."
        )
    else:
        output.chart(
            charts.gap_lines(series, title="New sign-ups each month: gap to the census (points)", targets=targets),
            "wmnow-gap-trend",
        )
        output.table(gap_table(series), "wmnow-gap-trend")
    st.caption(
        "Below zero: under-represented among that month's new members (everyone who joined, including those who "
        "have since left). Ethnic minority groups are every group but White (census: all residents, all ages); 16-24 "
        "is against residents aged 16+. Narrowed significantly: the group's share of sign-ups in the last month shown "
        "differs significantly from the first (the test is under About this figure) and is closer to the census."
        + (
            " Dashed lines: the targets in the WMNow definition ("
            + ", ".join(f"{k} {v:g}% of sign-ups" for k, v in definition.targets.items())
            + ")."
            if targets
            else ""
        )
    )


def joiners_each_month(members: pl.DataFrame, definition: Definition, dims: dict[str, list[str]]) -> None:
    st.header("Joiners each month")
    output.table(joiners_table(joiners_by_month(members, definition, filters=dims)), "wmnow-joiners")
    st.caption(f"Since left: unsubscribed since joining. Months with fewer than {definition.suppression.min_base} "
               "joiners show no split.")  # fmt: skip


def by_neighbourhood(members: pl.DataFrame, definition: Definition, census: Census, dims: dict[str, list[str]]) -> None:
    st.header("By neighbourhood policing unit (active members)")
    key = st.selectbox("Gap to the census (points) for", list(DIMENSIONS), key="wmnow_area_dim",
                       format_func=lambda k: definition.dimensions[k].label)  # fmt: skip
    reps = {
        n: representation(members, definition, census, by=key, npu=n, filters=dims, latest_if_no_period=False)
        for n in definition.dimensions["npu"].groups
    }
    output.table(area_gaps(reps), f"wmnow-gaps-by-npu-{key}")
    few = [n for n, rep in reps.items() if rep.status == "suppressed"]
    if few:
        st.caption(
            f"Left blank: {', '.join(few)}, where fewer than {definition.suppression.min_base} members stated their "
            f"{definition.dimensions[key].label.lower()} (too few to show)."
        )


filters = url_state.current()
definition = loading.definitions()["wmnow"]
census = loading.census()
st.title("WMNow sign-ups against the census")
st.caption(
    "Portfolio leads track whether the sign-up drive makes WMNow membership look more like the West Midlands. "
    "Shares are of members who stated a value. Active members leave out those who unsubscribed; a month's sign-ups "
    "count everyone who joined that month, including those who have since left."
)
loaded = loading.load(definition)
if loaded is None:
    st.info("No WMNow membership list is held yet. Upload one on the Upload page.")
    st.stop()
output.sample_banner(loaded, definition)
npus = filters.dims.get("npu", [])
where = f"{', '.join(npus)} (against {' + '.join(census.areas_for(npus))})" if npus else "force-wide"
active_members(loaded.frame, definition, census, filters.dims, where)
if filters.period:
    new_sign_ups(loaded.frame, definition, census, filters, filters.period, where)
is_the_gap_closing(loaded.frame, definition, census, filters, where)
joiners_each_month(loaded.frame, definition, filters.dims)
by_neighbourhood(loaded.frame, definition, census, filters.dims)
