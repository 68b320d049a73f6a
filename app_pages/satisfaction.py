"""Satisfaction: every aspect for the chosen period or range, what people answered, what drives the
headline, and any aspect by any dimension with the groups that differ significantly from the rest."""

from __future__ import annotations

from typing import TypedDict, Unpack

import polars as pl
import streamlit as st

from app_pages import loading, output, sections, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts, wording
from insight.display.tables import answers_table, drivers_table, satisfaction_table
from insight.display.views import breakdown_order, priorities
from insight.figures.answers import answer_distribution
from insight.figures.compare import compare_groups
from insight.figures.drivers import TooFewRespondents, key_drivers
from insight.figures.levels import children
from insight.figures.metrics import satisfaction
from insight.figures.validity import validity
from insight.figures.weighting import Raking, weighted_figure, weighted_satisfaction, weighting_in_words
from insight.periods import period_label


class Choice(TypedDict, total=False):
    """A breakdown asked of ``figures``: by a dimension, for some aspects (every aspect, unbroken, if neither)."""

    by: str
    aspects: list[str]


def figures(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, *, weighted: bool, **choice: Unpack[Choice]
) -> tuple[pl.DataFrame, Raking | None]:
    """Satisfaction for the period and filters shown; with the toggle on, weighted beside unweighted
    and the period's weighting."""
    if weighted:
        both = weighted_satisfaction(
            loaded.frame, definition, loading.census(), period=filters.period, filters=filters.dims, **choice
        )
        return both.rows, next(iter(both.rakings.values()), None)
    # Unweighted figures once per data version and choice (loading.compute): a rerun does not rescan every row.
    result: pl.DataFrame = loading.compute(
        satisfaction, loaded, definition, period=filters.period, filters=filters.dims, **choice
    )
    return result, None


def said(row: dict, *, weighted: bool) -> str:
    return wording.figure(row) + (f"; {weighted_figure(row)}" if weighted and weighted_figure(row) else "")


def is_the_sample_big_enough(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, period: str, raking: Raking | None
) -> None:
    """The verdict follows every filter and the period range it sits beside; then how the figures were weighted.

    On a meeting screen it is one line, so the view below it stays whole on the screen.
    """
    v = loading.compute(validity, loaded, definition, loaded.volumes, period=period, filters=filters.dims)
    said = f"**Is the sample big enough?** {wording.sentence(wording.validity(v))}"
    if filters.present:
        st.caption(said)
    else:
        (st.success if v.valid_for_5pp else st.warning)(said, icon=":material/straighten:")
    if raking is not None:
        st.info(f"**Weighted to the census.** {weighting_in_words(raking)}", icon=":material/balance:")
        for weighting_note in raking.notes():
            st.warning(weighting_note, icon=":material/warning:")


def every_aspect(result: pl.DataFrame, definition: Definition, period: str, *, weighted: bool) -> None:
    label = period_label(period)
    bars = charts.weighted_bars if weighted else charts.share_bars
    rows = list(result.iter_rows(named=True))
    labels = {a: definition.aspect_label(a) for a in definition.aspects}
    st.header(f"Every aspect, {label}")
    output.figure(
        bars(result, definition, rows="aspect_label", title=f"% positive, {label}", look=output.look()),
        "aspects",
        finding=wording.aspects_finding(rows, labels),
        figures=[f"**{labels[r['aspect']]}**: {said(r, weighted=weighted)}; {wording.change(r)}." for r in rows],
        notes=[note for r in rows if (note := wording.caution(r, definition.suppression))],
        data=satisfaction_table(result, definition),
        data_name=f"{definition.dataset}-aspects-{period}",
    )
    output.about(
        [wording.change_method(labels[r["aspect"]], r) for r in rows] + ["95% intervals are Wilson score intervals."]
    )


def what_people_answered(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, aspect: str, period: str
) -> None:
    aspect_label = definition.aspect_label(aspect)
    scale = definition.questions[aspect].scale
    label = period_label(period)
    st.header(f"What people answered: {aspect_label}, {label}")
    answers = loading.compute(
        answer_distribution, loaded, definition, aspect=aspect, period=period, by=filters.by, filters=filters.dims
    )
    overall = loading.compute(
        answer_distribution, loaded, definition, aspect=aspect, period=period, filters=filters.dims
    )
    said = (
        [wording.sentence(wording.dissatisfied(r, scale.negative)) for r in overall.dissatisfied]
        if scale.negative
        else []
    )
    by_group = (
        [wording.sentence(wording.dissatisfied(r, scale.negative)) for r in answers.dissatisfied]
        if scale.negative and filters.by
        else []
    )
    excluded = [a for a in scale.answers if a in scale.excluded]
    notes = [f"{', '.join(excluded)} answers are left out of the base and of the bars; the table counts them."]
    chart_rows = answers.rows if filters.by else overall.rows
    table = answers_table(answers, group_label=definition.dimension_label(filters.by) if filters.by else "Group")
    name = f"{definition.dataset}-{aspect}-answers-{period}"
    if not any(r["count"] for r in chart_rows):
        st.info(f"No answers to {aspect_label.lower()} in {label} match the filters chosen.")
        return
    output.figure(
        charts.diverging_answers(chart_rows, scale, title=f"{aspect_label}: every answer, {label}", look=output.look()),
        f"{aspect}-answers",
        finding=said[0] if said else None,
        figures=by_group,
        notes=notes if excluded else [],
        data=table,
        data_name=name,
    )


def what_matters_most(filters: url_state.Filters, definition: Definition, loaded: Loaded, period: str) -> None:
    """The key drivers of the headline aspect, as a priority matrix and a table."""
    target = definition.headline or definition.aspects[0]
    target_label = definition.aspect_label(target)
    st.header(f"What matters most for {target_label.lower()}?")
    try:
        drivers = loading.compute(key_drivers, loaded, definition, target=target, period=period, filters=filters.dims)
    except TooFewRespondents as exc:
        st.info(f"Key drivers are not shown: {exc}.")
        return
    labels = {a: definition.aspect_label(a) for a in definition.aspects}
    modelled = priorities(drivers, labels)
    how = (
        "Importance: Johnson's relative weights of each aspect's positive answer in a linear model of the "
        f"{target_label.lower()} answer, as a share of what the model explains (R²), over the {drivers.n:,} "
        "respondents who answered every aspect. Top left of the dashed lines (more important than average, "
        "less positive than average) is where to act first."
    )
    if not modelled.height:
        st.write(wording.top_priority(drivers, labels, target_label))
        return
    said = wording.top_priority(drivers, labels, target_label).split(". ")
    first = 1 if filters.present else 2  # a meeting screen keeps the answer and gives the chart its room
    output.figure(
        charts.priority_matrix(modelled, title="Priority matrix: importance against % positive", look=output.look()),
        f"{definition.dataset}-priorities",
        finding=". ".join(said[:first]) + ("" if said[first - 1].endswith(".") else "."),
        figures=[". ".join(said[first:])] if said[first:] else [],
        notes=[how],
        data=drivers_table(drivers, labels),
        data_name=f"{definition.dataset}-drivers-{period}",
    )


def by_group(
    filters: url_state.Filters,
    definition: Definition,
    loaded: Loaded,
    by: str,
    aspect: str,
    period: str,
    *,
    weighted: bool,
) -> None:
    """The aspect by each group of the breakdown, marking the groups significantly above or below the rest."""
    aspect_label = definition.aspect_label(aspect)
    by_label = definition.dimension_label(by)
    breakdown, _ = figures(filters, definition, loaded, weighted=weighted, by=by, aspects=[aspect])
    comparison = loading.compute(
        compare_groups, loaded, definition, by=by, aspect=aspect, period=period, filters=filters.dims
    )
    st.header(f"{aspect_label} by {by_label.lower()}, {period_label(period)}")
    marks = {r.group: ("▲ above the rest" if r.above else "▼ below the rest") for r in comparison.rows if r.significant}
    shown = breakdown_order(breakdown, definition, by)
    title = f"{aspect_label} by {by_label.lower()}"
    suppressed = wording.suppressed_groups(breakdown, definition.suppression)
    output.figure(
        charts.weighted_bars(shown, definition, rows="group", title=title, look=output.look())
        if weighted
        else charts.share_bars(shown, definition, rows="group", title=title, marks=marks, look=output.look()),
        f"{aspect}-by-{by}",
        finding=wording.comparison(comparison.rows, by_label),
        figures=[wording.group_line(r) for r in comparison.rows],
        notes=["▲ / ▼: significantly above / below everyone else in the base.", *([suppressed] if suppressed else [])],
        data=satisfaction_table(breakdown, definition, by_label=by_label),
        data_name=f"{definition.dataset}-{aspect}-by-{by}",
    )
    drill_down(definition, by, shown)
    output.about(
        [
            "▲ / ▼: each group against everyone else in the base by a two-proportion z-test, the p-values adjusted "
            "for the number of groups tested by Holm's method (significant when p < 0.05).",
            *(wording.change_method(r["group"], r) for r in breakdown.iter_rows(named=True)),
        ]
    )


def drill_down(definition: Definition, by: str, shown: pl.DataFrame) -> None:
    """From a breakdown by a dimension with finer units inside it (`within:`), one group's units; and under a
    breakdown by such a unit, what protects the hidden ones."""
    parent = definition.dimensions[by].within
    if parent is not None:
        st.caption(
            f"Each {definition.dimension_label(by).lower()} lies within a {definition.dimension_label(parent).lower()}"
            ": where one is hidden, the next smallest in the same one is hidden too, so no hidden figure can be "
            f"worked out from the {definition.dimension_label(parent).lower()}'s own."
        )
    kids = children(definition, by)
    if not kids or url_state.presenter_mode():
        return
    child = kids[0]
    groups = [g for g in shown.get_column("group").to_list() if g]

    def go() -> None:
        group = st.session_state.get("drill_group")
        if group:
            st.session_state["by"], st.session_state[by] = child, [group]

    st.selectbox(
        f"Drill into one {definition.dimension_label(by).lower()}, by {definition.dimension_label(child).lower()}",
        [None, *groups],
        key="drill_group",
        on_change=go,
        format_func=lambda g: "choose one" if g is None else g,
    )


def views(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, result: pl.DataFrame, period: str
) -> list[sections.View]:
    """The page's views in order; a link's breakdown (by=) names the last, which then comes first."""
    aspect = filters.aspect or definition.aspects[0]
    found = [
        sections.View("aspects", "Every aspect", lambda: every_aspect(result, definition, period, weighted=weighted)),
        sections.View(
            "answers", "What people answered", lambda: what_people_answered(filters, definition, loaded, aspect, period)
        ),
    ]
    if len(definition.questions) > 1:
        found.append(
            sections.View(
                "drivers", "What matters most", lambda: what_matters_most(filters, definition, loaded, period)
            )
        )
    if filters.by is not None:
        by = filters.by
        found.append(
            sections.View(
                "groups",
                f"By {definition.dimension_label(by).lower()}",
                lambda: by_group(filters, definition, loaded, by, aspect, period, weighted=weighted),
                breakdown=True,
            )
        )
    return found


filters, definition, loaded = output.survey_page("satisfaction")
weighted = url_state.weighted_toggle([definition])
result, raking = figures(filters, definition, loaded, weighted=weighted)
if result.height == 0:
    st.info(f"No responses in {period_label(filters.period or '')} match the filters chosen.")
    st.stop()
period = filters.period or result.item(0, "period")
if filters.dims:
    st.caption(
        "Filtered to " + "; ".join(f"{definition.dimension_label(k)}: {', '.join(v)}" for k, v in filters.dims.items())
    )
is_the_sample_big_enough(filters, definition, loaded, period, raking)
if filters.by is None and not filters.present:
    st.caption(output.breakdown_hint(definition))
sections.show(views(filters, definition, loaded, result, period))
