"""WMNow diversity: how far members and new sign-ups are from the census, and the trend."""

from __future__ import annotations

import streamlit as st

from app_pages import ui
from insight.display import charts, wording
from insight.display.tables import area_gaps, gap_table, joiners_table, representation_table
from insight.figures.metrics import as_range
from insight.figures.representation import representation
from insight.figures.sign_ups import joiners_by_month, sign_up_gaps
from insight.periods import period_label

filters: ui.Filters = st.session_state["filters"]
definition = ui.definitions()["wmnow"]
census = ui.census()
st.title("WMNow sign-ups against the census")
st.caption(
    "Portfolio leads track whether the sign-up drive makes WMNow membership look more like the West Midlands. "
    "Shares are of members who stated a value. Active members leave out those who unsubscribed; a month's sign-ups "
    "count everyone who joined that month, including those who have since left."
)

loaded = ui.load(definition)
if loaded is None:
    st.info("No WMNow membership list is held yet. Upload one on the Upload page.")
    st.stop()
ui.sample_banner(loaded, definition)
npus = filters.dims.get("npu", [])
where = f"{', '.join(npus)} (against {' + '.join(census.areas_for(npus))})" if npus else "force-wide"

st.header(f"Active members, {where}")
for key in ("age", "ethnicity"):
    dim = definition.dimensions[key]
    rep = representation(loaded.frame, definition, census, by=key, filters=filters.dims, latest_if_no_period=False)
    st.subheader(dim.label)
    if rep.status == "suppressed":
        st.warning(
            f"Only {rep.stated} members {where} stated their {dim.label.lower()}: too few to show shares "
            f"(at least {definition.suppression.min_base} are needed)."
        )
        continue
    ui.chart(
        charts.representation_bars(rep.rows, who="Members", title=f"{dim.label}: members and census"), f"members-{key}"
    )
    st.caption(f"Census: {rep.population}. {rep.stated:,} stated; {rep.not_stated:,} did not.")
    ui.table(representation_table(rep, dim.label), f"wmnow-members-{key}")

if filters.period:
    st.header(f"New sign-ups in {period_label(filters.period)}, {where}")
    cols = st.columns(2)
    for col, key in zip(cols, ("age", "ethnicity"), strict=True):
        dim = definition.dimensions[key]
        rep = representation(loaded.frame, definition, census, by=key, period=filters.period, filters=filters.dims)
        with col:
            if rep.status == "suppressed":
                st.warning(f"Only {rep.stated} new members stated their {dim.label.lower()}: too few to show shares.")
                continue
            ui.table(representation_table(rep, dim.label), f"wmnow-signups-{key}-{filters.period}")

st.header("Is the gap closing?")
span = as_range(filters.period, definition)
ranged = span is not None and not span.is_single
series, changes = sign_up_gaps(
    loaded.frame, definition, census, filters=filters.dims, first=span.first if ranged else None,
    last=span.last if ranged else None,
)  # fmt: skip
for change in changes:
    st.write("- " + wording.gap_change(change))
ui.about([m for m in (wording.gap_change_method(c) for c in changes) if m])
census_share = {name: share for name, share in series.select("series", "census_share").unique().iter_rows()}
targets = {k: v - census_share[k] for k, v in definition.targets.items() if k in census_share}
if series.height == 0:
    st.info(
        f"No month has at least {definition.suppression.min_base} new members {where} stating their age or "
        "ethnicity, so no gap can be shown yet."
    )
else:
    ui.chart(
        charts.gap_lines(series, title="New sign-ups each month: gap to the census (points)", targets=targets),
        "wmnow-gap-trend",
    )
    ui.table(gap_table(series), "wmnow-gap-trend")
st.caption(
    "Below zero: under-represented among that month's new members (everyone who joined, including those who have "
    "since left). Ethnic minority groups are every group but White (census: all residents, all ages); 16-24 is "
    "against residents aged 16+. Narrowed significantly: the group's share of sign-ups in the last month shown "
    "differs significantly from the first (the test is under About this figure) and is closer to the census."
    + (
        " Dashed lines: the targets in the WMNow definition ("
        + ", ".join(f"{k} {v:g}% of sign-ups" for k, v in definition.targets.items())
        + ")."
        if targets
        else ""
    )
)

st.header("Joiners each month")
joiners = joiners_by_month(loaded.frame, definition, filters=filters.dims)
ui.table(joiners_table(joiners), "wmnow-joiners")
st.caption(f"Since left: unsubscribed since joining. Months with fewer than {definition.suppression.min_base} "
           "joiners show no split.")  # fmt: skip

st.header("By neighbourhood policing unit (active members)")
key = st.selectbox("Gap to the census (points) for", ["age", "ethnicity"], key="wmnow_area_dim",
                   format_func=lambda k: definition.dimensions[k].label)  # fmt: skip
reps = {
    n: representation(loaded.frame, definition, census, by=key, npu=n, filters=filters.dims, latest_if_no_period=False)
    for n in definition.dimensions["npu"].groups
}
ui.table(area_gaps(reps), f"wmnow-gaps-by-npu-{key}")
few = [n for n, rep in reps.items() if rep.status == "suppressed"]
if few:
    st.caption(
        f"Left blank: {', '.join(few)}, where fewer than {definition.suppression.min_base} members stated their "
        f"{definition.dimensions[key].label.lower()} (too few to show)."
    )
