"""Satisfaction: every aspect for the chosen period or range, what people answered, what drives the
headline, and any aspect by any dimension with the groups that differ significantly from the rest."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import ui
from insight.config.definition import NOT_STATED
from insight.display import charts, wording
from insight.display.tables import answers_table, satisfaction_table
from insight.figures.answers import answer_distribution
from insight.figures.compare import compare_groups
from insight.figures.drivers import TooFewRespondents, key_drivers
from insight.figures.metrics import satisfaction
from insight.figures.validity import validity
from insight.figures.weighting import Raking, weighted_figure, weighted_satisfaction, weighting_in_words
from insight.periods import period_label

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
    # Unweighted figures once per data version and choice (ui.compute): a rerun does not rescan every row.
    return ui.compute(satisfaction, loaded, definition, period=filters.period, filters=filters.dims, **choice), None


def said(row: dict) -> str:
    return wording.figure(row) + (f"; {weighted_figure(row)}" if weighted and weighted_figure(row) else "")


result, raking = figures()
if result.height == 0:
    st.info(f"No responses in {period_label(filters.period or '')} match the filters chosen.")
    st.stop()
period = filters.period or result.item(0, "period")
label = period_label(period)
if filters.dims:
    st.caption(
        "Filtered to " + "; ".join(f"{definition.dimension_label(k)}: {', '.join(v)}" for k, v in filters.dims.items())
    )

# The verdict follows every filter and the period range it sits beside.
v = ui.compute(validity, loaded, definition, loaded.volumes, period=period, filters=filters.dims)
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
ui.about(
    [wording.change_method(definition.aspect_label(r["aspect"]), r) for r in result.iter_rows(named=True)]
    + ["95% intervals are Wilson score intervals."]
)
ui.table(satisfaction_table(result, definition), f"{definition.dataset}-aspects-{period}")

aspect = filters.aspect or definition.aspects[0]
aspect_label = definition.aspect_label(aspect)
scale = definition.questions[aspect].scale

st.header(f"What people answered: {aspect_label}, {label}")
answers = ui.compute(
    answer_distribution, loaded, definition, aspect=aspect, period=period, by=filters.by, filters=filters.dims
)
overall = ui.compute(answer_distribution, loaded, definition, aspect=aspect, period=period, filters=filters.dims)
if scale.negative:
    for row in overall.dissatisfied:
        st.write(wording.sentence(wording.dissatisfied(row, scale.negative)))
chart_rows = answers.rows if filters.by else overall.rows
if any(r["count"] for r in chart_rows):
    ui.chart(
        charts.diverging_answers(chart_rows, scale, title=f"{aspect_label}: every answer, {label}"),
        f"{aspect}-answers",
    )
excluded = [a for a in scale.answers if a in scale.excluded]
if excluded:
    st.caption(f"{', '.join(excluded)} answers are left out of the base and of the bars; the table counts them.")
ui.table(
    answers_table(answers, group_label=definition.dimension_label(filters.by) if filters.by else "Group"),
    f"{definition.dataset}-{aspect}-answers-{period}",
)

if len(definition.questions) > 1:
    target = definition.headline or definition.aspects[0]
    target_label = definition.aspect_label(target)
    st.header(f"What matters most for {target_label.lower()}?")
    try:
        drivers = ui.compute(key_drivers, loaded, definition, target=target, period=period, filters=filters.dims)
    except TooFewRespondents as exc:
        st.info(f"Key drivers are not shown: {exc}.")
    else:
        labels = {a: definition.aspect_label(a) for a in definition.aspects}
        st.write(wording.top_priority(drivers, labels, target_label))
        modelled = pl.DataFrame(
            [
                {"label": labels[r.aspect], "pct": r.pct, "importance": r.importance}
                for r in drivers.rows
                if r.importance is not None
            ],
            schema={"label": pl.String, "pct": pl.Float64, "importance": pl.Float64},
        )
        if modelled.height:
            ui.chart(
                charts.priority_matrix(modelled, title="Priority matrix: importance against % positive"),
                f"{definition.dataset}-priorities",
            )
        st.caption(
            "Importance: Johnson's relative weights of each aspect's positive answer in a linear model of the "
            f"{target_label.lower()} answer, as a share of what the model explains (R²), over the {drivers.n:,} "
            "respondents who answered every aspect. Top left of the dashed lines (more important than average, "
            "less positive than average) is where to act first."
        )
        ui.table(
            pl.DataFrame(drivers.to_json()["rows"], infer_schema_length=None)
            .with_columns(pl.col("aspect").replace_strict(labels))
            .rename({"aspect": "Aspect", "pct": "% positive", "importance": "Importance (% of R²)"}),
            f"{definition.dataset}-drivers-{period}",
        )

if filters.by is None:
    st.info(ui.breakdown_hint(definition))
    st.stop()
by_label = definition.dimension_label(filters.by)
breakdown, _ = figures(by=filters.by, aspects=[aspect])
comparison = ui.compute(
    compare_groups, loaded, definition, by=filters.by, aspect=aspect, period=period, filters=filters.dims
)
st.header(f"{aspect_label} by {by_label.lower()}, {label}")
st.write(wording.comparison(comparison.rows, by_label))
marks = {r.group: ("▲ above the rest" if r.above else "▼ below the rest") for r in comparison.rows if r.significant}
groups = [g for g in definition.dimensions[filters.by].values if g != NOT_STATED]
ordered = all(g[:1].isdigit() for g in groups)  # age bands keep their order; other groups sort by value
shown = breakdown if ordered else breakdown.sort("pct", descending=True, nulls_last=True, maintain_order=True)
title = f"{aspect_label} by {by_label.lower()}"
ui.chart(
    charts.weighted_bars(shown, definition, rows="group", title=title)
    if weighted
    else charts.share_bars(shown, definition, rows="group", title=title, marks=marks),
    f"{aspect}-by-{filters.by}",
)
st.caption("▲ / ▼: significantly above / below everyone else in the base.")
note = wording.suppressed_groups(breakdown, definition.suppression)
if note:
    st.caption(note)
ui.about(
    [
        "▲ / ▼: each group against everyone else in the base by a two-proportion z-test, the p-values adjusted "
        "for the number of groups tested by Holm's method (significant when p < 0.05).",
        *(wording.change_method(r["group"], r) for r in breakdown.iter_rows(named=True)),
    ]
)
ui.table(satisfaction_table(breakdown, definition, by_label=by_label), f"{definition.dataset}-{aspect}-by-{filters.by}")
