"""WMNow diversity: how far members and new sign-ups are from the census, and the trend."""

from __future__ import annotations

from functools import partial

import polars as pl
import streamlit as st

from app_pages import loading, output, sections, url_state
from insight.config.census import Census
from insight.config.definition import Definition
from insight.display import charts, wording
from insight.display.tables import (
    area_gaps,
    gap_table,
    joiners_table,
    representation_table,
    sources_table,
    within_table,
)
from insight.display.views import target_gaps
from insight.figures.levels import children, members_within
from insight.figures.metrics import as_range
from insight.figures.representation import representation
from insight.figures.sign_ups import joiners_by_month, sign_up_gaps
from insight.figures.sources import has_sources, sign_ups_by_source
from insight.periods import last_n, period_label

DIMENSIONS = ("age", "ethnicity")  # the two the sign-up drive tracks


def members_by(
    key: str, members: pl.DataFrame, definition: Definition, census: Census, dims: dict[str, list[str]], where: str
) -> None:
    """Active members by one dimension against the census."""
    dim = definition.dimensions[key]
    st.header(f"Active members by {dim.label.lower()}, {where}")
    rep = representation(members, definition, census, by=key, filters=dims, latest_if_no_period=False)
    if rep.status == "suppressed":
        st.warning(
            f"Only {rep.stated} members {where} stated their {dim.label.lower()}: too few to show shares "
            f"(at least {definition.suppression.min_base} are needed)."
        )
        return
    output.figure(
        charts.representation_bars(
            rep.rows, who="Members", title=f"{dim.label}: members and census", look=output.look()
        ),
        f"members-{key}",
        finding=wording.representation_finding(list(rep.rows.iter_rows(named=True)), "members"),
        notes=[f"Census: {rep.population}. {rep.stated:,} stated; {rep.not_stated:,} did not."],
        data=representation_table(rep, dim.label),
        data_name=f"wmnow-members-{key}",
    )


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
            found = wording.representation_finding(list(rep.rows.iter_rows(named=True)), "new members")
            st.markdown(f"**{dim.label}**: {found}")
            output.table(representation_table(rep, dim.label), f"wmnow-signups-{key}-{period}")


MONTHS = (6, 12)  # the spans "Is the gap closing?" offers, ending at the month chosen


def months_shown() -> int:
    """6 or 12: the months the gap is tested over, from the address (``months=``); 12 without it."""
    asked = url_state.page_param("months")
    return int(asked) if asked in {str(n) for n in MONTHS} else MONTHS[-1]


def _months_chosen() -> None:
    url_state.set_page_param("months", str(st.session_state["wmnow_months"]))


def is_the_gap_closing(
    members: pl.DataFrame, definition: Definition, census: Census, filters: url_state.Filters, where: str
) -> None:
    """The answer first: each gap's verdict, in the shape of the whole range, then the chart that shows it."""
    heading, choice = st.columns([1.6, 1], vertical_alignment="bottom")
    heading.header("Is the gap closing?" + ("" if where == "force-wide" else f" {where}"))
    months = months_shown()
    st.session_state["wmnow_months"] = months
    choice.segmented_control(
        "Months tested",
        MONTHS,
        key="wmnow_months",
        format_func=lambda n: f"Last {n} months",
        required=True,
        on_change=_months_chosen,
        label_visibility="collapsed",
    )
    span = as_range(filters.period, definition)
    end = span.last if span is not None else None
    first = last_n(end, months, definition.period.granularity).first if end else None
    series, changes = sign_up_gaps(members, definition, census, filters=filters.dims, first=first, last=end)
    if filters.present:  # one line each: the chart's end labels carry the figures, the detail the words
        for change in changes:
            st.markdown(f'<p class="verdict">{wording.gap_verdict(change)}</p>', unsafe_allow_html=True)
    else:
        for column, change in zip(st.columns(max(len(changes), 1)), changes, strict=False):
            with column.container(border=True, key=f"verdict-{change.series.split()[0].lower()}"):
                st.markdown(f'<p class="verdict">{wording.gap_verdict(change)}</p>', unsafe_allow_html=True)
                st.markdown(wording.gap_change(change, ends=False))
    targets = target_gaps(series, definition)
    if series.height == 0:
        st.info(
            f"No month has at least {definition.suppression.min_base} new members {where} stating their age or "
            "ethnicity, so no gap can be shown yet."
        )
        return
    output.figure(
        charts.gap_lines(
            series, title="New sign-ups each month: gap to the census (points)", targets=targets, look=output.look()
        ),
        "wmnow-gap-trend",
        finding=None,  # the verdicts above are its finding
        # what the verdicts above leave out: all the words on a meeting screen, else the first against the last
        figures=[
            f"**{wording.gap_verdict(c)}.** {wording.gap_change(c)}"
            if filters.present
            else f"{c.series}: {wording.gap_ends(c)}"
            for c in changes
        ],
        notes=[
            "Below zero: under-represented among that month's new members (everyone who joined, including those who "
            "have since left). Ethnic minority groups are every group but White (census: all residents, all ages); "
            "16-24 is against residents aged 16+. The words test the whole range: a trend over every month shown, "
            "a recent step (the last one to three months against the months before), and the first month against "
            "the last (the tests are under About this figure)."
            + (
                " Dashed lines: the targets in the WMNow definition ("
                + ", ".join(f"{k} {v:g}% of sign-ups" for k, v in definition.targets.items())
                + ")."
                if targets
                else ""
            )
        ],
        data=gap_table(series),
        data_name="wmnow-gap-trend",
    )
    output.about([wording.gap_change_method(c) for c in changes])


def sign_up_sources(
    members: pl.DataFrame, definition: Definition, census: Census, filters: url_state.Filters, where: str
) -> None:
    """Sign-ups per source over the months tested, and each source's diversity against the census."""
    span = as_range(filters.period, definition, members)
    end = span.last if span is not None else max(members.get_column("period").drop_nulls().to_list())
    months = last_n(end, months_shown(), definition.period.granularity)
    words = f"{period_label(months.first)} to {period_label(months.last)}"
    st.header(f"Where new members signed up, {words}, {where}")
    rows = sign_ups_by_source(members, definition, census, period=months, filters=filters.dims)
    output.table(sources_table(rows), f"wmnow-sources-{months.first}-{months.last}")
    st.markdown(wording.sources_finding(list(rows.iter_rows(named=True)), f"from {words}"))
    st.caption(
        "Everyone who joined in the months, including those who have since left. Shares of 16-24s and of ethnic "
        "minority groups are of those who stated their age or ethnicity; the census is residents aged 16+ (age) and "
        f"all residents (ethnicity). Left blank: fewer than {definition.suppression.min_base} sign-ups (or members "
        "stating a value), and the next smallest source too, so a hidden count cannot be worked out from the total."
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
    for child in children(definition, "npu"):
        finer_units(members, definition, dims, child)


def finer_units(members: pl.DataFrame, definition: Definition, dims: dict[str, list[str]], child: str) -> None:
    """Drill from one NPU to the finer unit inside it (a dimension `within: npu`), with suppression at that level."""
    label = definition.dimensions[child].label.lower()
    npu = st.selectbox(
        f"Active members in each {label} of", [None, *definition.dimensions["npu"].groups], key="wmnow_drill",
        format_func=lambda n: "choose an NPU" if n is None else n,
    )  # fmt: skip
    if npu is None:
        return
    rows = members_within(members, definition, child=child, parent_group=npu, filters=dims)
    st.subheader(f"Active members in each {label} of {npu}")
    output.table(within_table(rows, definition.dimensions[child].label), f"wmnow-{child}-{npu}")
    st.caption(
        f"Left blank: fewer than {definition.suppression.min_base} members, and the next smallest too, so that "
        f"none can be worked out from {npu}'s total. A {label} with no members is not listed."
    )


filters = url_state.current()
definition = loading.definitions()["wmnow"]
census = loading.census()
loaded = loading.load_quietly("wmnow")
output.page_title("WMNow sign-ups against the census", sample=loaded is not None and loaded.is_sample)
if not filters.present:
    st.caption(
        "Portfolio leads track whether the sign-up drive makes WMNow membership look more like the West Midlands. "
        "Shares are of members who stated a value. Active members leave out those who unsubscribed; a month's "
        "sign-ups count everyone who joined that month, including those who have since left."
    )
loaded = loaded or loading.load(definition)
if loaded is None:
    st.info("No WMNow membership list is held yet. Upload one on the Upload page.")
    st.stop()
output.sample_banner(loaded, definition)
frame = loaded.frame
npus = filters.dims.get("npu", [])
where = f"{', '.join(npus)} (against {' + '.join(census.areas_for(npus))})" if npus else "force-wide"
sections.show(
    [
        sections.View(
            "gap", "Is the gap closing?", lambda: is_the_gap_closing(frame, definition, census, filters, where)
        ),
        *(
            [
                sections.View(
                    "sign-ups",
                    "New sign-ups",
                    lambda: new_sign_ups(frame, definition, census, filters, filters.period or "", where),
                )
            ]
            if filters.period
            else []
        ),
        *(
            sections.View(
                f"members-{key}",
                f"Members by {definition.dimensions[key].label.lower()}",
                partial(members_by, key, frame, definition, census, filters.dims, where),
            )
            for key in DIMENSIONS
        ),
        *(
            [
                sections.View(
                    "sources", "Sign-up sources", lambda: sign_up_sources(frame, definition, census, filters, where)
                )
            ]
            if has_sources(frame, definition)
            else []
        ),
        sections.View("joiners", "Joiners each month", lambda: joiners_each_month(frame, definition, filters.dims)),
        sections.View("areas", "By NPU", lambda: by_neighbourhood(frame, definition, census, filters.dims)),
    ]
)
