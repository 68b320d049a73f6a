"""Compliance: a checklist dataset (the Victims' Code dip sample) for the quarter chosen: the cases against the
target, each entitlement's % met with the one most often missed, good service and service recovery, every
applicable entitlement met over time and by group, and victims' satisfaction where the victim survey shares a
case. Each is a view (``view=``): presenter mode shows one per screen, a link opens on the one it names."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import identity, loading, output, sections, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display import charts, wording
from insight.display.tables import matched_table, sample_table, satisfaction_table
from insight.display.views import breakdown_order, matched_bars, sample_by_period, trend_view
from insight.figures.compare import compare_groups
from insight.figures.compliance import checklist_measure, link_column, matched, most_missed, sample_check, year_to
from insight.figures.metrics import satisfaction
from insight.figures.trend import trend_test
from insight.periods import PeriodRange, period_label

DIMENSIONS = ("enhanced", "department", "offence", "npu")  # the breakdown shown when none is chosen: the first


def the_sample(definition: Definition, loaded: Loaded, period: str) -> None:
    """Whether the period reached its target, and the margin of error its cases give (every case, no filter).
    Above the views on a page; on a meeting screen it heads the Cases reviewed view, so each view fits."""
    check = loading.compute(sample_check, loaded, definition, period)
    if check is None:
        return
    said = f"**Cases reviewed.** {wording.sample_target(check)}"
    (st.success if check.reached else st.warning)(said, icon=":material/fact_check:")


def entitlements(
    result: pl.DataFrame, definition: Definition, loaded: Loaded, filters: url_state.Filters, period: str
) -> None:
    """Each entitlement's % met and every one met, with the one most often missed as the finding."""
    measure = checklist_measure(definition)
    assert measure is not None
    parts = [*definition.questions[measure].all_of, measure]
    labels = {a: definition.aspect_label(a) for a in definition.aspects}
    rows = result.filter(pl.col("aspect").is_in(parts))
    label = period_label(period)
    st.header(f"Each entitlement, {label}")
    missed = loading.compute(most_missed, loaded, definition, period, measure) if not filters.dims else None
    listed = list(rows.iter_rows(named=True))
    # The finding names the one most often missed; its test against the next lowest goes with the figures.
    finding = (
        wording.most_missed_named(missed, labels, period, short=filters.present)
        if missed
        else wording.aspects_finding(listed, labels)
    )
    against = [said] if missed and (said := wording.most_missed_against(missed, labels)) else []
    output.figure(
        charts.share_bars(
            rows, definition, rows="aspect_label", title=f"% met, {label}", look=output.look(), measure="% met"
        ),
        "entitlements",
        finding=finding,
        figures=[*against, *[f"**{labels[r['aspect']]}**: {wording.figure(r)}; {wording.change(r)}." for r in listed]],
        notes=[
            "Not applicable answers leave an entitlement's base. Every applicable entitlement met: a case counts "
            "when each entitlement that applied to it was met; one missed is enough to count it as not met.",
            *[note for r in listed if (note := wording.caution(r, definition.suppression))],
        ],
        data=satisfaction_table(rows, definition),
        data_name=f"{definition.dataset}-entitlements-{period}",
    )
    output.about(
        [wording.change_method(labels[r["aspect"]], r) for r in listed]
        + [
            "95% intervals are Wilson score intervals.",
            "Most often missed: the entitlement with the lowest share met among the cases it applied to, against "
            "the next lowest by McNemar's exact test on the cases both applied to (the same cases answer both). "
            "Named only without filters: a filtered figure is not the quarter's.",
        ]
    )


def service(result: pl.DataFrame, definition: Definition, period: str) -> None:
    """Good service, and service recovery among the cases that needed one."""
    measure = checklist_measure(definition)
    others = [a for a in definition.asked if measure is None or a not in definition.questions[measure].all_of]
    rows = result.filter(pl.col("aspect").is_in(others))
    labels = {a: definition.aspect_label(a) for a in definition.aspects}
    label = period_label(period)
    st.header(f"Good service and service recovery, {label}")
    listed = list(rows.iter_rows(named=True))
    recovery = [r for r in listed if definition.questions[r["aspect"]].scale.excluded]
    output.figure(
        charts.share_bars(
            rows, definition, rows="aspect_label", title=f"% yes, {label}", look=output.look(), measure="% yes"
        ),
        "service",
        finding=wording.recovery(recovery[0], period, definition.suppression) if recovery else None,
        figures=[f"**{labels[r['aspect']]}**: {wording.figure(r)}; {wording.change(r)}." for r in listed],
        notes=["Service recovery: of the cases that needed one (Open or Completed), the share completed."],
        data=satisfaction_table(rows, definition),
        data_name=f"{definition.dataset}-service-{period}",
    )


def over_time(definition: Definition, loaded: Loaded, filters: url_state.Filters, period: str) -> None:
    """Every applicable entitlement met over the periods held, with the trend test."""
    measure = checklist_measure(definition)
    assert measure is not None
    label = definition.aspect_label(measure)
    st.header(f"{label}: has it risen or fallen?")
    trend, _ = loading.compute(trend_view, loaded, definition, aspects=[measure], up_to=period, filters=filters.dims)
    shown = sorted(trend.get_column("period").unique().to_list())  # the test covers the periods drawn, no more
    span = PeriodRange(shown[0], shown[-1], definition.period.granularity) if shown else None
    tested = loading.compute(trend_test, loaded, definition, aspect=measure, period=span, filters=filters.dims)
    output.figure(
        charts.trend_lines(trend, definition, title=f"{label}: % of cases", look=output.look()),
        "compliance-trend",
        finding=wording.trend(label, tested),
        data=satisfaction_table(trend, definition, over_time=True),
        data_name=f"{definition.dataset}-trend-to-{period}",
    )
    output.about([m for m in [wording.trend_method(label, tested)] if m])


def cases_reviewed(definition: Definition, loaded: Loaded, period: str, present: bool) -> None:
    """Each quarter's cases against the target, and the margin of error they give (every case, no filter)."""
    st.header(f"Cases reviewed against the target, up to {period_label(period)}")
    if present and (check := loading.compute(sample_check, loaded, definition, period)) is not None:
        st.write(wording.sample_target(check))
    output.table(sample_table(sample_by_period(loaded.frame, definition, up_to=period)),
                 f"{definition.dataset}-cases-to-{period}")  # fmt: skip
    st.caption("Margin of error: 95%, for a figure near 50% from every case reviewed in the quarter.")


def by_group(
    definition: Definition, loaded: Loaded, filters: url_state.Filters, by: str, aspect: str, period: str
) -> None:
    """The chosen measure (every applicable entitlement met) by each group, marking those that differ."""
    aspect_label, by_label = definition.aspect_label(aspect), definition.dimension_label(by)
    breakdown = loading.compute(
        satisfaction, loaded, definition, period=period, by=by, aspects=[aspect], filters=filters.dims
    )
    comparison = loading.compute(
        compare_groups, loaded, definition, by=by, aspect=aspect, period=period, filters=filters.dims
    )
    st.header(f"{aspect_label} by {by_label.lower()}, {period_label(period)}")
    marks = {r.group: ("▲ above the rest" if r.above else "▼ below the rest") for r in comparison.rows if r.significant}
    suppressed = wording.suppressed_groups(breakdown, definition.suppression)
    output.figure(
        charts.share_bars(breakdown_order(breakdown, definition, by), definition, rows="group",
                          title=f"{aspect_label} by {by_label.lower()}", marks=marks, look=output.look()),
        f"{aspect}-by-{by}",
        finding=wording.comparison(comparison.rows, by_label),
        figures=[wording.group_line(r) for r in comparison.rows],
        notes=["▲ / ▼: significantly above / below every other case reviewed.", *([suppressed] if suppressed else [])],
        data=satisfaction_table(breakdown, definition, by_label=by_label),
        data_name=f"{definition.dataset}-{aspect}-by-{by}-{period}",
    )  # fmt: skip
    output.about(
        [
            "▲ / ▼: each group against every other case by a two-proportion z-test, the p-values adjusted for the "
            "number of groups tested by Holm's method (significant when p < 0.05).",
        ]
    )


def survey_matched(definition: Definition, loaded: Loaded, filters: url_state.Filters, period: str) -> None:
    """Victims' satisfaction where the victim survey and the dip sample share a case, met against not met."""
    linked = [d for d in identity.visible(loading.definitions()).values() if link_column(definition, d)]
    st.header("Victims' satisfaction where the survey shares a case")
    if not linked:
        st.info("No survey you may view shares cases with these reviews (by a pseudonymised case reference).")
        return
    survey = linked[0]
    answers = loading.load(survey, stop=False)
    if answers is None:
        st.info(f"No {survey.title.lower()} responses are held to match with.")
        return
    # Every case reviewed, whatever the filters: the few matched victims' answers in a filtered figure, set
    # against the whole one, could give away a handful of them (as the most-missed entitlement, named unfiltered).
    if any(filters.dims.values()):
        st.caption("Every case reviewed is matched here: the filters do not apply to victims' matched answers.")
    found = matched(loaded.frame, definition, answers.frame, survey, period=year_to(definition, period))
    labels = {a: definition.aspect_label(a) for a in definition.aspects}
    aspect_label = survey.aspect_label(found.aspect)
    said = f"Satisfaction with the {aspect_label.lower()}"
    st.markdown(f"**How few cases overlap.** {wording.matched_overlap(found, survey.title)}")
    lines = [wording.matched_difference(found, said, labels, r.part) for r in found.rows]
    output.figure(
        charts.share_bars(matched_bars(found, labels), survey, rows="group",
                          title=f"{said}: where the review said yes and no", look=output.look()),
        "matched",
        finding=lines[0],
        figures=lines[1:],
        notes=[
            f"Matched over {period_label(found.period)}: one quarter holds too few shared cases to compare. "
            f"A group of fewer than {found.min_base} who answered hides both figures of its row, so neither can "
            "be worked out from the other.",
        ],
        data=matched_table(found, labels, aspect_label),
        data_name=f"{definition.dataset}-matched-{survey.dataset}-{found.period}",
    )  # fmt: skip
    output.about(
        [
            f"Cases are matched where the review's crime reference and a {survey.title.lower()} response's hold the "
            "same keyed pseudonym (neither reference is stored). A case answered more than once counts once, with "
            "its latest response.",
            "Yes against no: two-sided two-proportion z-test (pooled); the entitlements' p-values are adjusted for "
            "the number tested by Holm's method (significant when p < 0.05).",
        ]
    )


def views(
    filters: url_state.Filters, definition: Definition, loaded: Loaded, result: pl.DataFrame, period: str
) -> list[sections.View]:
    measure = checklist_measure(definition)
    assert measure is not None
    by = filters.by or next((d for d in DIMENSIONS if d in definition.dimensions), None)
    aspect = filters.aspect if filters.aspect in definition.aspects else measure
    found = [
        sections.View("entitlements", "Each entitlement",
                      lambda: entitlements(result, definition, loaded, filters, period)),
        sections.View("service", "Good service and recovery", lambda: service(result, definition, period)),
        sections.View("trend", "Over time", lambda: over_time(definition, loaded, filters, period)),
    ]  # fmt: skip
    if definition.sample_target is not None:
        reviewed = lambda: cases_reviewed(definition, loaded, period, filters.present)  # noqa: E731
        found.append(sections.View("cases", "Cases reviewed", reviewed))
    if by is not None:
        found.append(
            sections.View(
                "groups",
                f"By {definition.dimension_label(by).lower()}",
                lambda: by_group(definition, loaded, filters, by, aspect, period),
                breakdown=True,
            )
        )
    found.append(
        sections.View("survey", "Victims' satisfaction", lambda: survey_matched(definition, loaded, filters, period))
    )
    return found


filters, definition, loaded = output.survey_page("dip sample")
if checklist_measure(definition) is None:
    st.info(f"{definition.title} has no derived measure (`derived:`): it is not a compliance checklist.")
    st.stop()
result = loading.compute(satisfaction, loaded, definition, period=filters.period, filters=filters.dims)
if result.height == 0:
    st.info(f"No cases in {period_label(filters.period or '')} match the filters chosen.")
    st.stop()
period = filters.period or result.item(0, "period")
if filters.dims:
    st.caption(
        "Filtered to " + "; ".join(f"{definition.dimension_label(k)}: {', '.join(v)}" for k, v in filters.dims.items())
    )
if not filters.present:
    the_sample(definition, loaded, period)
sections.show(views(filters, definition, loaded, result, period))
