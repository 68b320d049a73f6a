"""Overview: one tile per survey with its headline for the period chosen, a small trend of its last 13
periods, how it moved, and a link to the survey's page on that aspect; a banner while figures are samples.

A dataset that holds several surveys (public confidence: Public Voice and How are we Doing) gets a tile
for each, never one merged figure. A quarterly survey shows the quarter containing the month chosen.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import identity, loading, output, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded, opening_period
from insight.display import charts, wording
from insight.display.views import matching_period, survey_responses
from insight.figures.compliance import checklist_measure, most_missed, sample_check
from insight.figures.metrics import periods, satisfaction
from insight.figures.representation import representation
from insight.figures.validity import validity
from insight.figures.weighting import can_weight, weighted_figure, weighted_report
from insight.periods import period_label

TREND_PERIODS = 13  # a year and the same month a year before


def tiles(definitions: dict[str, Definition]) -> list[tuple[Definition, str | None]]:
    """One tile per survey: a dataset holding separate surveys (its definition's `split_by:`) gets one for each."""
    found: list[tuple[Definition, str | None]] = []
    for definition in definitions.values():
        surveys = definition.dimensions[definition.split_by] if definition.split_by else None
        found += [(definition, s) for s in surveys.groups] if surveys else [(definition, None)]
    return found


def tile(definition: Definition, survey: str | None, *, chosen: str | None, latest: str | None, weighted: bool) -> None:
    st.subheader(f"{definition.title}: {survey}" if survey else definition.title)
    loaded = loading.load(definition, stop=False)
    if loaded is None:
        if not loading.store_fault(definition):
            st.write("No data yet. Upload an export on the Upload page.")
        return
    if loaded.is_sample:
        st.markdown(f"{output.SAMPLE_MARK} synthetic records", unsafe_allow_html=True)
    if definition.kind == "membership":
        membership_tile(loaded, definition)
    elif checklist_measure(definition) is not None:
        compliance_tile(loaded, definition, chosen=chosen, latest=latest)
    else:
        survey_tile(loaded, definition, survey, chosen=chosen, latest=latest, weighted=weighted)


def membership_tile(loaded: Loaded, definition: Definition) -> None:
    rep = representation(loaded.frame, definition, loading.census(), by="age")
    young = rep.rows.row(0, named=True)
    st.metric("Current members", f"{rep.stated + rep.not_stated:,}")
    st.write(
        f"Aged {young['group']}: {wording.pct(young['share'])} of members who stated their age, "
        f"against {wording.pct(young['census_share'])} of residents aged 16+."
    )
    st.page_link("app_pages/wmnow.py", label="WMNow diversity", icon=":material/arrow_forward:")


def survey_tile(
    loaded: Loaded,
    definition: Definition,
    survey: str | None,
    *,
    chosen: str | None,
    latest: str | None,
    weighted: bool,
) -> None:
    """A survey's headline: its own responses are the whole of what it reports, never merged with another's."""
    own = survey_responses(loaded.frame, definition, survey)
    if own.height == 0:
        st.write(f"No {survey} responses yet.")
        return
    if survey:
        held = periods(own)
        opening, passed = opening_period(own, definition)
    else:
        held, opening, passed = loading.held_periods(loaded, definition)
    # At the latest (the default), each survey's latest period with enough answers to show a figure.
    period = opening if chosen is None or chosen == latest else matching_period(chosen, held)
    if period != opening:  # the newer thin periods are worth a word only beside the opening period
        passed = []
    if period is None:
        st.write(
            f"No responses for {period_label(chosen or '')}; its periods run from "
            f"{period_label(held[0])} to {period_label(held[-1])}."
        )
        return
    aspect = definition.headline or definition.aspects[0]
    if weighted and can_weight(definition):
        both = weighted_report(own, definition, loading.census(), period=period, aspects=[aspect])
        row = both.rows.row(0, named=True)
    elif survey:
        row = satisfaction(own, definition, period=period, aspects=[aspect]).row(0, named=True)
    else:
        row = loading.compute(satisfaction, loaded, definition, period=period, aspects=[aspect]).row(0, named=True)
    st.markdown(f"**{definition.aspect_label(aspect)}**, {period_label(period)}")
    if passed:
        st.caption(
            f"Newer: {', '.join(period_label(p) for p in passed)}, with fewer than "
            f"{definition.suppression.min_base} answers."
        )
    history = (
        satisfaction(own, definition, all_periods=True, aspects=[aspect])
        if survey
        else loading.compute(satisfaction, loaded, definition, all_periods=True, aspects=[aspect])
    )
    headline(row, recent(history, period))
    if survey:
        v = validity(own, definition, None, period=period)
    else:
        v = loading.compute(validity, loaded, definition, loaded.volumes, period=period)
    st.caption(wording.sentence(wording.validity(v)))
    note = wording.caution(row, definition.suppression)
    if note:
        st.warning(note, icon=":material/warning:")
    st.page_link(
        "app_pages/satisfaction.py",
        label=f"{definition.aspect_label(aspect)} on the Satisfaction page",
        icon=":material/arrow_forward:",
        query_params={
            "dataset": definition.dataset,
            "period": period,
            "aspect": aspect,
            **({definition.split_by: survey} if definition.split_by and survey else {}),
        },
    )


def compliance_tile(loaded: Loaded, definition: Definition, *, chosen: str | None, latest: str | None) -> None:
    """A checklist's tile (the Victims' Code dip sample): every applicable entitlement met in the quarter with its
    small trend and change, the cases against the target, the entitlement most often missed, and a link."""
    measure = checklist_measure(definition)
    assert measure is not None
    held, opening, _ = loading.held_periods(loaded, definition)
    period = opening if chosen is None or chosen == latest else matching_period(chosen, held)
    if period is None:
        st.write(f"No cases reviewed in {period_label(chosen or '')}.")
        return
    row = loading.compute(satisfaction, loaded, definition, period=period, aspects=[measure]).row(0, named=True)
    st.markdown(f"**{definition.aspect_label(measure)}**, {period_label(period)}")
    history = loading.compute(satisfaction, loaded, definition, all_periods=True, aspects=[measure])
    headline(row, recent(history, period), label="% of cases")
    check = loading.compute(sample_check, loaded, definition, period)
    if check is not None:
        st.caption(wording.sample_target(check))
    missed = loading.compute(most_missed, loaded, definition, period, measure)
    if missed is not None:
        labels = {a: definition.aspect_label(a) for a in definition.aspects}
        st.write(f"Most often missed: {labels[missed.aspect].lower()}, met in {wording.pct(missed.pct)} "
                 f"(base {missed.base:,}).")  # fmt: skip
    st.page_link(
        "app_pages/compliance.py",
        label="Victims' Code compliance",
        icon=":material/arrow_forward:",
        query_params={"dataset": definition.dataset, "period": period},
    )


def recent(history: pl.DataFrame, period: str) -> pl.DataFrame:
    """The headline's last 13 periods up to the one shown (suppressed periods stay, with no figure)."""
    return history.filter(pl.col("period") <= period).sort("period").tail(TREND_PERIODS)


def headline(row: dict, trend: pl.DataFrame, *, label: str = "% positive") -> None:
    """The headline figure with a small trend of its last 13 periods (weighted beside it when asked for), in
    numbers and in words, and its change."""
    unweighted, weighted_column = st.columns(2) if "weighted_pct" in row else (st.container(), None)
    unweighted.metric(label, wording.pct(row["pct"]) if row["pct"] is not None else "suppressed")
    if weighted_column is not None:
        weighted_column.metric("% weighted", wording.pct(row["weighted_pct"]))
    words = wording.sparkline(trend)
    if trend.get_column("pct").is_not_null().sum() > 1:
        output.small_chart(charts.sparkline(trend, words=words, look=output.look()))
    st.caption(words)  # the small trend in words, as its accessible name says it
    st.write(wording.figure(row))
    if weighted_figure(row):
        st.write(wording.sentence(weighted_figure(row)))
    st.write(wording.sentence(wording.change(row)))


def sample_notice(definitions: dict[str, Definition], present: bool) -> None:
    """One banner for the page while any figure on it comes from the bundled samples, with Upload for managers."""
    samples = []
    for definition in definitions.values():
        loaded = loading.load_quietly(definition.dataset)
        if loaded is not None and loaded.is_sample:
            samples.append(definition.title)
    if not samples:
        return
    which = (
        "Every figure on this page comes"
        if len(samples) == len(definitions)
        else f"The figures for {', '.join(samples)} come"
    )
    if present:
        st.markdown(f"{output.SAMPLE_MARK} {which} from synthetic sample records.", unsafe_allow_html=True)
        return
    user = identity.user()
    st.info(
        f"**Sample data.** {which} from synthetic records bundled with the app, not real responses (the "
        "latest period reproduces the source paper's figures). Each survey's first real upload replaces its samples."
        + ("" if user.manageable else " A survey's manager can upload its exports."),
        icon=":material/science:",
    )
    if user.manageable:
        st.page_link("app_pages/upload.py", label="Upload a real export", icon=":material/upload_file:")


filters = url_state.current()
latest = next(iter(loading.overview_periods()), None)
output.page_title("Citizen satisfaction: overview")
definitions = identity.visible(loading.definitions())  # only the surveys this user may see
sample_notice(definitions, filters.present)
if not filters.present:
    st.caption(
        f"Each survey's headline for {period_label(filters.period) if filters.period else 'its latest period'} "
        "(quarterly surveys: the quarter containing it; at the latest, each survey's latest period with enough "
        "answers to show a figure), with its base, 95% interval, the change on the previous period and a small "
        "trend of its last 13 periods."
    )
weighted = url_state.weighted_toggle(list(definitions.values()))
columns = st.columns(3)
for i, (definition, survey) in enumerate(tiles(definitions)):
    with columns[i % 3].container(border=True):
        tile(definition, survey, chosen=filters.period, latest=latest, weighted=weighted)
