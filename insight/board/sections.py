"""The board pack's sections, in the source paper's order, and the statistics they rest on.

Every sentence comes from ``insight.board.wording`` and so obeys the paper's rules. Suppressed
figures are None in the metrics frames before anything here sees them, so they cannot
reach a sentence, a table cell or a chart's data. Sections state facts drawn from the
figures; they make no recommendations.

The statistics are the app's own, so the paper says what the pages and the CLI say: changes
by ``metrics.two_proportion_p_value``; the 12-period trend by ``trend`` (Cochran-Armitage);
groups against the rest by ``compare`` (z-test, Holm-adjusted); sign-up gaps by ``sign_ups``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import urlencode

import polars as pl

from insight.board.model import MAX_POINTS, SAMPLE_MARK, Figure, Section, Table
from insight.board.wording import (
    SIGNIFICANCE,
    Comparison,
    TrendTest,
    caution_flag,
    change_sentence,
    gap_sentence,
    group_difference,
    p_text,
    pct,
    points,
    share,
    trend_sentence,
)
from insight.config.census import Census
from insight.config.definition import NOT_STATED, Definition
from insight.config.loader import load_config
from insight.datasets import Loaded
from insight.display import charts
from insight.display import wording as display_words
from insight.display.views import survey_responses
from insight.display.wording import validity as validity_words
from insight.figures import metrics
from insight.figures.comments import comments, theme_counts
from insight.figures.compare import compare_groups
from insight.figures.compliance import (
    checklist_measure,
    link_column,
    matched,
    most_missed,
    sample_check,
    year_to,
)
from insight.figures.metrics import SUPPRESSED
from insight.figures.representation import representation
from insight.figures.sign_ups import sign_up_gaps
from insight.figures.trend import FALLING, RISING
from insight.figures.trend import trend_test as cochran_armitage_test
from insight.figures.validity import validity
from insight.figures.weighting import WeightingError, can_weight, margins_in_words, weighted_figure, weighted_report
from insight.periods import check_period, last_n, period_label

TREND_PERIODS = 12
TREND_METHOD = "Cochran–Armitage trend test"
SERIES_WORDS = {"Aged 16-24": "16-24s", "Ethnic minority groups": "ethnic minority groups"}

# --------------------------------------------------------------------------- statistics behind small functions


def aspect_trend(s: Survey, aspect: str, label: str) -> TrendTest:
    """The ``trend`` command's test of one aspect over the last 12 periods to the pack's."""
    span = last_n(s.period, TREND_PERIODS, s.definition.period.granularity)
    t = cochran_armitage_test(s.frame, s.definition, aspect=aspect, period=span)
    unit = "months" if s.definition.period.granularity == "month" else "quarters"
    direction = {RISING: "up", FALLING: "down"}.get(t.direction)
    return TrendTest(
        label,
        t.first_period or s.period,
        t.last_period or s.period,
        t.periods,
        t.p_value,
        direction,
        TREND_METHOD,
        unit,
    )


@dataclass(frozen=True)
class GroupDifference:
    dimension: str
    aspect: str
    group: str
    row: dict  # pct, base
    rest_pct: float | None  # None: not shown (secondary suppression), so that no hidden group can be worked out
    rest_base: int | None
    p_raw: float
    p_holm: float
    higher: bool  # the group's share is above the rest's

    @property
    def significant(self) -> bool:
        return self.p_holm < SIGNIFICANCE


def groups_differing(
    frame: pl.DataFrame, definition: Definition, *, period: str, by: str, aspect: str
) -> list[GroupDifference]:
    """Each group of ``by`` against the rest of that period's respondents: the ``compare`` command's
    pooled z-test, Holm-adjusted across the groups. Groups it does not test (too few answers, or a
    rest that would reveal a hidden group) are left out.

    With secondary suppression ``compare`` keeps the rest's figures back; of two groups shown the rest is
    the other group, whose figures are shown anyway, so they are given; otherwise the rest stays unsaid and
    the direction comes from the group against the total (above the total exactly when above the rest).
    """
    result = compare_groups(frame, definition, by=by, aspect=aspect, period=period)
    tested = [(r, r.p_value, r.p_adjusted) for r in result.rows if r.p_value is not None and r.p_adjusted is not None]
    total_pct: float | None = None
    total_base = 0
    if any(r.rest_pct is None for r, _, _ in tested):
        overall = metrics.satisfaction(frame, definition, period=period, aspects=[aspect])
        if overall.height:
            total_pct, total_base = overall.get_column("pct").item(), overall.get_column("base").item()
    found = []
    for r, p_raw, p_holm in tested:
        rest_pct, rest_base = r.rest_pct, r.rest_base
        others = [o for o in result.rows if o.group != r.group]
        if rest_pct is None and len(others) == 1 and others[0].base + r.base == total_base:
            rest_pct, rest_base = others[0].pct, others[0].base  # the rest is the other group, shown anyway
        if rest_pct is not None:
            higher = r.pct > rest_pct
        elif total_pct is not None:
            higher = r.pct > total_pct
        else:
            continue
        row = {"pct": r.pct, "base": r.base}
        found.append(GroupDifference(by, aspect, r.group, row, rest_pct, rest_base, p_raw, p_holm, higher))
    return found


def weighted_headline(s: Survey, census: Census) -> str | None:
    """The headline weighted as ``report --weighted`` weights it (``insight.figures.weighting``), beside the
    unweighted figure; None for a survey whose definition does not ask for weighting."""
    d = s.definition
    if not can_weight(d):
        return None
    aspect = d.headline or d.aspects[0]
    label = d.aspect_label(aspect)
    try:
        row = weighted_report(s.frame, d, census, period=s.period, aspects=[aspect]).rows.row(0, named=True)
    except WeightingError as exc:
        return f"{label} in {period_label(s.period)} could not be weighted: {exc}"
    if row.get("weighted_pct") is None:
        return None
    how = (
        f"Weighted to Census 2021 residents aged 16+ by {margins_in_words(d)}"
        if d.weighting
        else "Weighted by the weights supplied with the export"
    )
    return (
        f"{how}, {label.lower()} in {period_label(s.period)} would be "
        f"{weighted_figure(row).removeprefix('weighted ')}, against {pct(row['pct'])} unweighted "
        f"(base {row['base']:,})."
    )


# --------------------------------------------------------------------------- periods


def same_period_a_year_earlier(period: str) -> str:
    year, rest = period.split("-", 1)
    return f"{int(year) - 1}-{rest}"


def wanted_period(definition: Definition, month: str) -> str:
    """The survey's period a month means: the month itself, or for a quarterly survey the quarter containing it."""
    if definition.period.granularity == "month":
        return month
    year, m = month.split("-")
    return f"{year}-Q{(int(m) - 1) // 3 + 1}"


def period_for(definition: Definition, month: str | None, held: list[str]) -> str | None:
    """The survey's period for a month (a quarterly survey: the quarter containing it), if held."""
    if not held:
        return None
    if month is None:
        return held[-1]
    wanted = wanted_period(definition, month)
    return wanted if wanted in held else None


def pack_period(definition: Definition, month: str | None, held: list[str]) -> str | None:
    """The period a month's pack shows for a survey: the month's own if held, else the latest held before it
    (the section then says so in words); None when the survey holds nothing up to the month."""
    if not held:
        return None
    if month is None:
        return held[-1]
    wanted = wanted_period(definition, month)
    earlier = [p for p in held if p <= wanted]
    return max(earlier) if earlier else None


def check_month(text: str) -> str:
    """A typed ``--period``: a month such as 2019-09 (raises ValueError otherwise)."""
    return check_period(text, "month")


# --------------------------------------------------------------------------- building blocks


def view(page: str, **params: str | None) -> str:
    """An address of the app's view showing a figure: ``satisfaction?dataset=victim&period=2019-09``."""
    return f"{page}?{urlencode({k: v for k, v in params.items() if v})}"


@dataclass
class Survey:
    definition: Definition
    loaded: Loaded
    period: str
    asked: str | None = None  # the period the pack's month means for this survey; None: its latest

    @property
    def frame(self) -> pl.DataFrame:
        return self.loaded.frame

    @property
    def note(self) -> str | None:
        """Why a section shows another period than the pack's month: ``101 caller survey: no responses for
        September 2019; latest is June 2019.``"""
        if self.asked is None or self.asked == self.period:
            return None
        return f"{self.title}: no responses for {period_label(self.asked)}; latest is {period_label(self.period)}."

    def own(self, survey: str) -> Survey:
        """One survey's own responses in a dataset holding several (``split_by``), never merged with another's."""
        frame = survey_responses(self.frame, self.definition, survey)
        return Survey(self.definition, replace(self.loaded, frame=frame), self.period, self.asked)

    def view(self, page: str = "satisfaction", period: str | None = None, **params: str | None) -> str:
        """The app's view of this survey on ``page`` for ``period`` (the section's own without one)."""
        return view(page, dataset=self.definition.dataset, period=period or self.period, **params)

    def earlier_views(self) -> list[str]:
        """The Satisfaction page for the period before and a year before, and the Trends page up to the period:
        where the figures a change is measured against are shown."""
        held = metrics.periods(self.frame)
        before = [p for p in held if p < self.period]
        views = [self.view(period=before[-1])] if before else []
        if same_period_a_year_earlier(self.period) in held:
            views.append(self.view(period=same_period_a_year_earlier(self.period)))
        return views

    @property
    def title(self) -> str:
        return self.definition.title

    def chart_title(self, what: str, when: str | None = None) -> str:
        """``Victim satisfaction survey: % positive by aspect, September 2019 (sample data)``."""
        mark = " (sample data)" if self.loaded.is_sample else ""
        return f"{self.title}: {what}, {when or period_label(self.period)}{mark}"


def _row_alt(row: dict, label: str) -> str:
    if row["status"] == SUPPRESSED or row["pct"] is None:
        return f"{label}: suppressed (base {row['base']:,})"
    return f"{label} {pct(row['pct'])} (base {row['base']:,})"


def _bars_figure(s: Survey, result: pl.DataFrame, *, rows: str, what: str) -> Figure:
    title = s.chart_title(what)
    chart = charts.share_bars(result, s.definition, rows=rows, title=title)
    labels = [
        s.definition.aspect_label(r["aspect"]) if rows == "aspect_label" else str(r["group"])
        for r in result.iter_rows(named=True)
    ]
    described = "; ".join(_row_alt(r, lab) for r, lab in zip(result.iter_rows(named=True), labels, strict=True))
    alt_text = f"Bar chart, % positive with 95% intervals. {title}. {described}."
    return Figure(title, alt_text, chart)


def _result_table(s: Survey, result: pl.DataFrame, *, first: str, labels: list[str], title: str) -> Table:
    rows = []
    for r, label in zip(result.iter_rows(named=True), labels, strict=True):
        if r["status"] == SUPPRESSED or r["pct"] is None:
            rows.append((label, "suppressed", f"{r['base']:,}", "–", "–"))
            continue
        caution = " (caution)" if r["status"] == metrics.LOW_BASE else ""
        change = "–"
        if r["change_pp"] is not None and r["p_value"] is not None:
            words = f"significant, {p_text(r['p_value'])}" if r["significant"] else "within margin of error"
            change = f"{r['change_pp']:+.1f} ({words})"
        rows.append(
            (label, pct(r["pct"]) + caution, f"{r['base']:,}", f"{r['ci_low']:.1f}–{r['ci_high']:.1f}%", change)
        )
    previous = next((r["previous_period"] for r in result.iter_rows(named=True) if r["previous_period"]), None)
    change_head = f"Change on {period_label(previous)} (points)" if previous else "Change (points)"
    sup = s.definition.suppression
    note = (
        f"Base: the number who answered. Caution: fewer than {sup.caution_base} answered. "
        f"Suppressed: fewer than {sup.min_base} answered"
        + (", or hidden so that a suppressed group cannot be worked out from the total." if sup.secondary else ".")
    )
    return Table(title, (first, "% positive", "Base", "95% CI", change_head), tuple(rows), note)


def _comparison(label: str, row: dict, earlier: dict | None, sup_status: str, s: Survey) -> Comparison:
    shown = row["status"] != SUPPRESSED
    earlier_shown = earlier is not None and earlier["status"] != SUPPRESSED
    p = None
    if shown and earlier_shown and earlier is not None:
        p = metrics.two_proportion_p_value(row["positive"], row["base"], earlier["positive"], earlier["base"])
    return Comparison(
        label=label,
        period=row["period"],
        pct=row["pct"] if shown else None,
        base=row["base"],
        earlier_period=earlier["period"] if earlier is not None else None,
        earlier_pct=earlier["pct"] if earlier_shown and earlier is not None else None,
        earlier_base=earlier["base"] if earlier is not None else None,
        p_value=p,
        caution=caution_flag(sup_status, s.definition.suppression),
    )


def _history(s: Survey, aspects: list[str] | None = None) -> pl.DataFrame:
    """Every period up to the pack's, overall (no breakdown)."""
    trend = metrics.satisfaction(s.frame, s.definition, aspects=aspects, all_periods=True)
    return trend.filter(pl.col("period") <= s.period)


def _row(frame: pl.DataFrame, period: str, aspect: str) -> dict | None:
    rows = frame.filter((pl.col("period") == period) & (pl.col("aspect") == aspect))
    return rows.row(0, named=True) if rows.height else None


def _headline_sentences(s: Survey, aspect: str, label: str) -> tuple[list[str], pl.DataFrame]:
    """Headline with base and interval, change on the previous period and on a year earlier, 12-period trend."""
    history = _history(s, [aspect])
    row = _row(history, s.period, aspect)
    assert row is not None
    sup = s.definition.suppression
    sentences = [f"{label} in {period_label(s.period)} was {share(row, sup)}."]
    previous = _row(history, row["previous_period"], aspect) if row["previous_period"] else None
    sentences.append(
        change_sentence(_comparison(label, row, previous, row["status"], s), against="the previous period")
    )
    year_before = _row(history, same_period_a_year_earlier(s.period), aspect)
    if year_before is None:
        sentences.append(
            f"{label}: no figure for {period_label(same_period_a_year_earlier(s.period))} (a year earlier) "
            "to compare with."
        )
    else:
        sentences.append(change_sentence(_comparison(label, row, year_before, row["status"], s)))
    last = history.filter(pl.col("aspect") == aspect).sort("period").tail(TREND_PERIODS)
    if last.height >= 3:
        sentences.append(trend_sentence(aspect_trend(s, aspect, label)))
    return sentences, last


# --------------------------------------------------------------------------- sections


def purpose(period_words: str, surveys: list[Survey], missing: list[str]) -> Section:
    paragraphs = [
        "The purpose of this paper is to update the Board on public and victim satisfaction surveys and results "
        f"({period_words}). This paper is for discussion.",
        "Every figure is the share of positive answers among those who answered the question, with that number "
        "(the base) and, for headlines, the 95% interval. A change is called a rise or a fall only when the "
        "two-proportion z-test finds it significant (p < 0.05); otherwise it is a change within the margin of error.",
        "The paper states what the figures show; it makes no recommendations.",
    ]
    paragraphs += missing
    samples = [s.title for s in surveys if s.loaded.is_sample]
    if samples:
        paragraphs.append(
            f"{SAMPLE_MARK}: the figures for {', '.join(samples)} come from synthetic sample records bundled "
            "with the app, not from real responses."
        )
    return Section("purpose", "Purpose of paper", paragraphs, points=paragraphs[:2])


def _victim_headline(s: Survey) -> Section:
    d = s.definition
    aspect = d.headline or d.aspects[0]
    aspect_words = d.aspect_label(aspect)
    label = (
        "Overall victim satisfaction" if "overall" in aspect_words.lower() else f"Victim satisfaction ({aspect_words})"
    )
    sentences, last = _headline_sentences(s, aspect, label)
    validity_line = validity_words(validity(s.frame, d, s.loaded.volumes, period=s.period))
    sentences.append(f"Responses in {period_label(s.period)}: {validity_line}.")
    first = cast("str", last.get_column("period").min())  # a String column; polars types its min as any value
    title = s.chart_title(
        f"{d.aspect_label(aspect).lower()}, % positive", f"{period_label(first)} to {period_label(s.period)}"
    )
    chart = charts.trend_lines(last, d, title=title)
    described = "; ".join(
        f"{period_label(r['period'])} "
        + (pct(r["pct"]) if r["pct"] is not None else "suppressed")
        + f" (base {r['base']:,})"
        for r in last.iter_rows(named=True)
    )
    figure = Figure(title, f"Line chart with 95% band. {title}. {described}.", chart)
    return Section(
        "victim",
        f"Victim satisfaction ({period_label(s.period)})",
        sentences,
        points=sentences[:3],
        figure=figure,
        views=[s.view(), *s.earlier_views(), s.view("trends", aspect=aspect)],
    )


def _victim_aspects(s: Survey) -> Section:
    d = s.definition
    result = metrics.satisfaction(s.frame, d, period=s.period)
    sup = d.suppression
    history = _history(s)
    sentences = []
    for r in result.iter_rows(named=True):
        previous = _row(history, r["previous_period"], r["aspect"]) if r["previous_period"] else None
        sentences.append(change_sentence(_comparison(d.aspect_label(r["aspect"]), r, previous, r["status"], s)))
    shown = [r for r in result.iter_rows(named=True) if r["pct"] is not None]
    points = []
    if shown:
        low = min(shown, key=lambda r: r["pct"])
        high = max(shown, key=lambda r: r["pct"])
        points.append(
            f"Highest aspect in {period_label(s.period)}: {d.aspect_label(high['aspect'])}, {share(high, sup)}."
        )
        points.append(f"Lowest aspect in {period_label(s.period)}: {d.aspect_label(low['aspect'])}, {share(low, sup)}.")
    changed = [x for x in sentences if " rose " in x or " fell " in x]
    points.append(
        changed[0]
        if changed
        else f"No aspect changed by more than the margin of error on the previous period ({period_label(s.period)})."
    )
    labels = [d.aspect_label(a) for a in result.get_column("aspect").to_list()]
    return Section(
        "victim_aspects",
        f"Victim satisfaction by aspect ({period_label(s.period)})",
        sentences,
        points=points,
        table=_result_table(s, result, first="Aspect", labels=labels, title=s.chart_title("% positive by aspect")),
        figure=_bars_figure(s, result, rows="aspect_label", what="% positive by aspect"),
        views=[s.view(), *s.earlier_views()],
    )


def _victim_groups(s: Survey) -> Section:
    d = s.definition
    dims = [k for k in ("channel_group", "offence") if k in d.dimensions]
    found: list[GroupDifference] = []
    for dim in dims:
        for aspect in d.aspects:
            found += [g for g in groups_differing(s.frame, d, period=s.period, by=dim, aspect=aspect) if g.significant]
    sentences = [
        group_difference(
            g.group, d.aspect_label(g.aspect), s.period, g.row, g.rest_pct, g.rest_base, g.p_holm, higher=g.higher
        )
        for g in found
    ]
    tested = " and ".join(d.dimensions[k].label.lower() for k in dims).replace(" group", "")
    intro = (
        f"Each {tested} group was compared with all other victims who answered in {period_label(s.period)} "
        "(two-proportion z-test, Holm-adjusted across the groups of each breakdown)."
    )
    if not sentences:
        sentences = [f"No {tested} group differed from the rest by more than the margin of error."]
    strongest = sorted(zip(found, sentences, strict=False), key=lambda x: x[0].p_holm)
    points = [sentence for _, sentence in strongest[:MAX_POINTS]] or sentences[:1]
    figure = None
    table = None
    first_aspect = d.aspects[0]
    by = dims[0] if dims else None
    if by:
        result = metrics.satisfaction(s.frame, d, period=s.period, by=by, aspects=[first_aspect])
        what = f"{d.aspect_label(first_aspect).lower()} by {d.dimensions[by].label.lower()}"
        figure = _bars_figure(s, result, rows="group", what=what)
    if found:
        table = Table(
            s.chart_title("groups that differ from the rest (p < 0.05, Holm-adjusted)"),
            ("Breakdown", "Group", "Aspect", "% positive (base)", "Rest % (base)", "p (Holm)"),
            tuple(
                (
                    d.dimensions[g.dimension].label,
                    g.group,
                    d.aspect_label(g.aspect),
                    f"{pct(g.row['pct'])} ({g.row['base']:,})",
                    f"{pct(g.rest_pct)} ({g.rest_base:,})" if g.rest_pct is not None and g.rest_base else "not shown",
                    p_text(g.p_holm).removeprefix("p "),
                )
                for g in found
            ),
        )
    shown = {(by, first_aspect)} if by else set()
    return Section(
        "victim_groups",
        "Groups that differ from the rest",
        [intro, *sentences],
        points=points,
        table=table,
        figure=figure,
        views=[
            s.view(by=dim, aspect=aspect) for dim, aspect in sorted({(g.dimension, g.aspect) for g in found} | shown)
        ],
    )


def _respondents(s: Survey, census: Census) -> Section | None:
    d = s.definition
    dims = [k for k in ("age", "ethnicity") if k in d.dimensions and d.dimensions[k].census]
    if not dims:
        return None
    sentences = []
    reps = {k: representation(s.frame, d, census, by=k, period=s.period) for k in dims}
    for key, rep in reps.items():
        label = d.dimensions[key].label.lower()
        if rep.status == SUPPRESSED:
            sentences.append(f"Too few respondents stated their {label} in {period_label(s.period)} to compare.")
            continue
        rows = [r for r in rep.rows.iter_rows(named=True) if r["gap_pp"] is not None]
        if not rows:
            continue
        widest = max(rows, key=lambda r: abs(r["gap_pp"]))
        side = "over-represented" if widest["gap_pp"] > 0 else "under-represented"
        sentences.append(
            f"By {label}, the widest gap in {period_label(s.period)} is {widest['group']}: {pct(widest['share'])} of "
            f"the {rep.stated:,} victims who stated their {label}, against {pct(widest['census_share'])} of "
            f"{rep.population} (Census 2021), {side} by {abs(widest['gap_pp']):.1f} points; "
            f"{rep.not_stated:,} did not state it."
        )
    key = dims[0]
    rep = reps[key]
    label = d.dimensions[key].label
    figure = None
    if rep.status != SUPPRESSED:
        title = s.chart_title(f"respondents by {label.lower()} against the census")
        described = "; ".join(
            f"{r['group']} {pct(r['share']) if r['share'] is not None else 'not shown'} of respondents, "
            f"{pct(r['census_share']) if r['census_share'] is not None else 'no census figure'} census"
            for r in rep.rows.iter_rows(named=True)
        )
        figure = Figure(
            title,
            f"Grouped bar chart. {title}. {described}.",
            charts.representation_bars(rep.rows, who="Respondents", title=title),
        )
    table_rows = tuple(
        (
            r["group"],
            "–" if r["count"] is None else f"{r['count']:,}",
            "–" if r["share"] is None else pct(r["share"]),
            "–" if r["census_share"] is None else pct(r["census_share"]),
            "–" if r["gap_pp"] is None else f"{r['gap_pp']:+.1f}",
        )
        for r in rep.rows.iter_rows(named=True)
    )
    table = Table(
        s.chart_title(f"respondents by {label.lower()}"),
        (label, "Respondents", "% of those who stated", "% census", "Gap (points)"),
        table_rows,
        f"Census: {rep.population}. {rep.not_stated:,} did not state their {label.lower()}.",
    )
    weighted = weighted_headline(s, census)
    if weighted:
        sentences.append(weighted)
    return Section(
        "respondents",
        "Who responded, against the census",
        sentences,
        table=table,
        figure=figure,
        views=[s.view("respondents"), *([s.view(weighted="1")] if weighted else [])],
    )


def _caller_101(s: Survey) -> Section:
    d = s.definition
    aspect = d.headline or d.aspects[0]
    label = f"101 caller satisfaction ({d.aspect_label(aspect).lower()})"
    sentences, _ = _headline_sentences(s, aspect, label)
    v = validity(s.frame, d, s.loaded.volumes, period=s.period)
    verdict = f"Responses in {period_label(s.period)}: {validity_words(v)}."
    result = metrics.satisfaction(s.frame, d, period=s.period)
    labels = [d.aspect_label(a) for a in result.get_column("aspect").to_list()]
    return Section(
        "caller_101",
        f"101 caller satisfaction survey ({period_label(s.period)})",
        [sentences[0], verdict, *sentences[1:]],
        points=[sentences[0], verdict, sentences[1]],
        table=_result_table(s, result, first="Aspect", labels=labels, title=s.chart_title("% positive by aspect")),
        figure=_bars_figure(s, result, rows="aspect_label", what="% positive by aspect"),
        views=[s.view(), *s.earlier_views(), s.view("trends", aspect=aspect)],
    )


def _live_chat(s: Survey) -> Section:
    d = s.definition
    sup = d.suppression
    result = metrics.satisfaction(s.frame, d, period=s.period)
    history = _history(s)
    v = validity(s.frame, d, s.loaded.volumes, period=s.period)
    sentences = [f"Responses in {period_label(s.period)}: {validity_words(v)}."]
    rates = "; ".join(f"{d.aspect_label(r['aspect'])} {share(r, sup)}" for r in result.iter_rows(named=True))
    sentences.append(f"In {period_label(s.period)}: {rates}.")
    for r in result.iter_rows(named=True):
        previous = _row(history, r["previous_period"], r["aspect"]) if r["previous_period"] else None
        sentences.append(change_sentence(_comparison(d.aspect_label(r["aspect"]), r, previous, r["status"], s)))
    table = None
    if d.free_text:
        total, top = _leading_themes(s, 3)
        if top.height and total >= sup.min_base:
            listed = "; ".join(f"{r['theme']} ({pct(r['share'])})" for r in top.iter_rows(named=True))
            sentences.append(f"The leading themes among the {total:,} comments in {period_label(s.period)}: {listed}.")
            table = Table(
                s.chart_title("leading comment themes"),
                ("Theme", "Comments", "% of comments"),
                tuple((r["theme"], f"{r['comments']:,}", pct(r["share"])) for r in top.iter_rows(named=True)),
                "A comment can carry several themes.",
            )
    return Section(
        "live_chat",
        f"Live Chat (latest results {period_label(s.period)})",
        sentences,
        points=sentences[:3],
        table=table,
        figure=_bars_figure(s, result, rows="aspect_label", what="% positive by question"),
        views=[s.view(), *s.earlier_views(), *([s.view("comments")] if d.free_text else [])],
    )


def _domestic_abuse(s: Survey) -> Section:
    d = s.definition
    sup = d.suppression
    result = metrics.satisfaction(s.frame, d, period=s.period)
    sentences = [
        f"{d.aspect_label(r['aspect'])} in {period_label(s.period)}: {share(r, sup)}."
        for r in result.iter_rows(named=True)
    ]
    by = "npu" if "npu" in d.dimensions else None
    table = None
    if by:
        groups = metrics.satisfaction(s.frame, d, period=s.period, by=by, aspects=[d.headline or d.aspects[0]])
        hidden = groups.filter(pl.col("status") == SUPPRESSED).height
        table = _result_table(
            s,
            groups,
            first=d.dimensions[by].label,
            labels=[str(g) for g in groups.get_column("group").to_list()],
            title=s.chart_title(f"{d.aspect_label(d.headline or d.aspects[0]).lower()} by {d.dimensions[by].label}"),
        )
        if hidden:
            sentences.append(
                f"By {d.dimensions[by].label}, {hidden} of {groups.height} groups are suppressed in "
                f"{period_label(s.period)}: fewer than {sup.min_base} answered, or the group was hidden too so that "
                "a suppressed group cannot be worked out from the total."
            )
    low = [r for r in result.iter_rows(named=True) if r["status"] == metrics.LOW_BASE]
    points = sentences[:2]
    if low:
        points.append(
            f"Every figure here rests on fewer than {sup.caution_base} answers in {period_label(s.period)}: "
            "treat with caution."
        )
    return Section(
        "domestic_abuse",
        f"Domestic abuse victim satisfaction survey ({period_label(s.period)})",
        sentences,
        points=points,
        table=table,
        figure=_bars_figure(s, result, rows="aspect_label", what="% satisfied by aspect"),
        views=[s.view(), *([s.view(by=by, aspect=d.headline or d.aspects[0])] if by else [])],
    )


def _public_confidence(s: Survey) -> Section:
    """Public confidence survey by survey (the definition's ``split_by``): each survey's headline, change and
    trend from its own responses, never one merged figure, as the Overview shows them."""
    d = s.definition
    aspect = d.headline or d.aspects[0]
    label = d.aspect_label(aspect)
    heading = f"Public confidence ({period_label(s.period)})"
    if not d.split_by:
        sentences, _ = _headline_sentences(s, aspect, label)
        views = [s.view(), *s.earlier_views(), s.view("trends", aspect=aspect)]
        return Section("public_confidence", heading, sentences, points=sentences[:2], views=views)
    surveys = list(d.dimensions[d.split_by].groups)
    sentences = [f"{' and '.join(surveys)} are separate surveys: each is reported on its own responses, never merged."]
    points, views = [], []
    for name in surveys:
        own = s.own(name)
        if _row(_history(own, [aspect]), s.period, aspect) is None:
            sentences.append(f"{label}, {name}: no responses in {period_label(s.period)}.")
            continue
        said, _ = _headline_sentences(own, aspect, f"{label}, {name}")
        sentences += said
        points.append(said[0])
        filtered = {d.split_by: name}
        views += [own.view(**filtered), *(v + "&" + urlencode(filtered) for v in own.earlier_views())]
        views.append(own.view("trends", aspect=aspect, **filtered))
    result = metrics.satisfaction(s.frame, d, period=s.period, by=d.split_by, aspects=[aspect])
    return Section(
        "public_confidence",
        heading,
        sentences,
        points=points,
        table=_result_table(
            s,
            result,
            first=d.dimensions[d.split_by].label,
            labels=[str(g) for g in result.get_column("group").to_list()],
            title=s.chart_title(f"{label.lower()} by survey"),
        ),
        figure=_bars_figure(s, result, rows="group", what=f"{label.lower()} by survey"),
        views=views,
    )


def _wmnow(s: Survey, census: Census) -> Section:
    """The sign-up gaps in the pack's month, and whether they narrowed over the 12 months to it: the WMNow
    page's own tests (the trend over every month, a recent step, first month against last:
    ``insight.figures.sign_ups``), so the paper and the page say the same."""
    d = s.definition
    span = last_n(s.period, TREND_PERIODS, d.period.granularity)
    series, changes = sign_up_gaps(s.frame, d, census, first=span.first, last=s.period)
    if series.height == 0:
        return Section(
            "wmnow",
            f"WMNow sign-up diversity ({period_label(s.period)})",
            [f"Too few new members stated their age or ethnic group in the 12 months to {period_label(s.period)}."],
        )
    latest_words = []
    for (name,), part in series.sort("period").group_by(["series"], maintain_order=True):
        latest = part.row(-1, named=True)
        if latest["period"] != s.period:
            latest_words.append(f"{name}: too few new members stated a value in {period_label(s.period)} to show.")
            continue
        side = "below" if latest["gap_pp"] < 0 else "above"
        latest_words.append(
            f"{name} were {pct(latest['share'])} of the {latest['stated']:,} new members who stated a value in "
            f"{period_label(s.period)}, against {pct(latest['census_share'])} in the census: "
            f"{points(latest['gap_pp'])} {side}."
        )
    closing = [gap_sentence(SERIES_WORDS.get(c.series, c.series), c) for c in changes]
    # A String column; polars types its min as any value.
    first_period = cast("str", series.get_column("period").min()) if series.height else s.period
    title = s.chart_title(
        "gap to the census among new sign-ups (points)", f"{period_label(first_period)} to {period_label(s.period)}"
    )
    described = "; ".join(
        f"{r['series']} {period_label(r['period'])} {r['gap_pp']:+.1f} points"
        for r in series.iter_rows(named=True)
        if r["period"] in (first_period, s.period)
    )
    figure = Figure(title, f"Line chart. {title}. {described}.", charts.gap_lines(series, title=title))
    return Section(
        "wmnow",
        f"WMNow sign-up diversity ({period_label(s.period)})",
        latest_words + closing,
        points=[*closing[:2], *latest_words[:1]],
        figure=figure,
        views=[view("wmnow", period=s.period, months=str(TREND_PERIODS))],
    )


# --------------------------------------------------------------------------- Victims' Code compliance (checklists)

COMPLIANCE_PAGE = "compliance"
COMPLIANCE_DIMENSIONS = ("enhanced", "department", "offence", "npu")  # tested in this order, when defined


def compliance_sections(surveys: dict[str, Survey]) -> list[Section]:
    """A section for each checklist (a definition with a derived "all of these" measure: the Victims' Code dip
    sample), with the survey it shares cases with, if any."""
    found = []
    for s in surveys.values():
        if checklist_measure(s.definition) is None:
            continue
        linked = next((o for o in surveys.values() if link_column(s.definition, o.definition)), None)
        found.append(_noted(s, _compliance(s, linked)))
    return found


def _compliance(s: Survey, survey: Survey | None) -> Section:
    """Paragraphs 34-40 of the paper with figures: the quarter's cases against the target, every applicable
    entitlement met (change, a year earlier, trend), the groups that differ, the entitlement most often missed,
    good service, service recovery, and victims' satisfaction where the victim survey shares a case."""
    d = s.definition
    measure = checklist_measure(d)
    assert measure is not None
    sup = d.suppression
    labels = {a: d.aspect_label(a) for a in d.aspects}
    label = labels[measure]
    when = period_label(s.period)
    result = metrics.satisfaction(s.frame, d, period=s.period)
    history = _history(s)
    views = [s.view(COMPLIANCE_PAGE), *_compliance_earlier_views(s)]
    sentences = []
    check = sample_check(s.frame, d, s.period)
    if check is not None:
        sentences.append(display_words.sample_target(check))
    headline, _ = _headline_sentences(s, measure, f"The share of cases with {label[:1].lower()}{label[1:]}")
    sentences += headline
    differing = []
    for dim in [k for k in COMPLIANCE_DIMENSIONS if k in d.dimensions]:
        found = [g for g in groups_differing(s.frame, d, period=s.period, by=dim, aspect=measure) if g.significant]
        two_groups = len([v for v in d.dimensions[dim].values if v != NOT_STATED]) == 2
        differing += found[:1] if two_groups else found  # of two groups, each against the other: one test
        views += [s.view(COMPLIANCE_PAGE, by=dim)] if found else []
    for g in differing:
        group = f"{d.dimensions[g.dimension].label} ({g.group})"
        sentences.append(
            group_difference(group, label, s.period, g.row, g.rest_pct, g.rest_base, g.p_holm, higher=g.higher)
        )
    tested = ", ".join(d.dimensions[k].label.lower() for k in COMPLIANCE_DIMENSIONS if k in d.dimensions)
    if not differing:
        sentences.append(f"No group ({tested}) differed from the rest by more than the margin of error in {when}.")
    missed = most_missed(s.frame, d, s.period, measure)
    missed_words = (
        display_words.most_missed(missed, labels, s.period)
        if missed
        else f"Every entitlement's figure is suppressed in {when}: too few cases."
    )
    sentences.append(missed_words)
    rows = {r["aspect"]: r for r in result.iter_rows(named=True)}
    for aspect in [a for a in d.asked if a not in d.questions[measure].all_of]:
        r = rows[aspect]
        if d.questions[aspect].scale.excluded:  # a share of the cases that needed it: service recovery
            sentences.append(display_words.recovery(r, s.period, sup))
            continue
        previous = _row(history, r["previous_period"], aspect) if r["previous_period"] else None
        sentences.append(change_sentence(_comparison(labels[aspect], r, previous, r["status"], s)))
    if survey is not None:
        sentences += _matched_sentences(s, survey)
        views.append(s.view(COMPLIANCE_PAGE, view="survey"))
    table = _result_table(s, result, first="Measure", labels=[labels[a] for a in result.get_column("aspect")],
                          title=s.chart_title("% met by entitlement"))  # fmt: skip
    table = replace(table, columns=("Measure", "% yes", *table.columns[2:]))
    return Section(
        d.dataset,
        f"Victims' Code compliance ({when})" if d.dataset == "victims_code" else f"{d.title} ({when})",
        sentences,
        points=[headline[0], missed_words, sentences[0]],
        table=table,
        figure=_bars_figure(s, result, rows="aspect_label", what="% yes, each entitlement and every one"),
        views=views,
    )


def _compliance_earlier_views(s: Survey) -> list[str]:
    """The compliance page for the period before and a year before: where the changes' figures are shown."""
    held = metrics.periods(s.frame)
    before = [p for p in held if p < s.period]
    views = [s.view(COMPLIANCE_PAGE, period=before[-1])] if before else []
    if same_period_a_year_earlier(s.period) in held:
        views.append(s.view(COMPLIANCE_PAGE, period=same_period_a_year_earlier(s.period)))
    return views


def _matched_sentences(s: Survey, survey: Survey) -> list[str]:
    """How few cases the victim survey shares, and its headline where every entitlement was met and where not
    (the year of quarters to the section's, as the compliance page shows it)."""
    d = s.definition
    found = matched(s.frame, d, survey.frame, survey.definition, period=year_to(d, s.period))
    aspect_label = survey.definition.aspect_label(found.aspect)
    labels = {a: d.aspect_label(a) for a in d.aspects}
    return [
        display_words.matched_overlap(found, survey.definition.title),
        display_words.matched_difference(found, f"Satisfaction with the {aspect_label.lower()}", labels),
    ]


def points_for_the_board(surveys: dict[str, Survey], sections: list[Section]) -> Section:
    """Facts drawn from the figures; never a recommendation."""
    facts = []
    victim = surveys.get("victim")
    if victim:
        facts += _lowest_aspect_fact(victim)
    groups = next((s for s in sections if s.key == "victim_groups"), None)
    if groups and groups.table:
        facts.append(groups.points[0])
    caller = surveys.get("caller_101")
    if caller:
        v = validity(caller.frame, caller.definition, caller.loaded.volumes, period=caller.period)
        if not v.valid_for_5pp:
            facts.append(f"101 caller survey, {period_label(caller.period)}: {validity_words(v)}.")
    respondents = next((s for s in sections if s.key == "respondents"), None)
    if respondents and respondents.paragraphs:
        facts.append(respondents.paragraphs[0])
    wmnow = next((s for s in sections if s.key == "wmnow"), None)
    if wmnow and wmnow.paragraphs:
        facts.append(wmnow.paragraphs[0])
    facts += [s.points[1] for s in sections if s.key in surveys and checklist_measure(surveys[s.key].definition)]
    if not facts:
        facts = ["No survey has data for this period."]
    views = list(dict.fromkeys(v for section in sections for v in section.views))
    if victim and victim.definition.free_text:
        views.append(victim.view("comments"))  # the leading theme of victims' comments
    return Section("points", "Points for the board", facts, points=facts[:MAX_POINTS], views=views)


def _leading_themes(s: Survey, n: int) -> tuple[int, pl.DataFrame]:
    """The number of comments in the period and its ``n`` most common themes (theme, comments, share)."""
    themes = load_config().themes
    total = comments(s.frame, s.definition, themes, period=s.period).height
    counts = theme_counts(s.frame, s.definition, themes, period=s.period).filter(pl.col("comments") > 0)
    return total, counts.head(n)


def _lowest_aspect_fact(s: Survey) -> list[str]:
    d = s.definition
    result = metrics.satisfaction(s.frame, d, period=s.period)
    shown = [r for r in result.iter_rows(named=True) if r["pct"] is not None]
    if not shown:
        return []
    low = min(shown, key=lambda r: r["pct"])
    previous_low = None
    if low["previous_period"]:
        before = metrics.satisfaction(s.frame, d, period=low["previous_period"])
        before_shown = [r for r in before.iter_rows(named=True) if r["pct"] is not None]
        previous_low = min(before_shown, key=lambda r: r["pct"])["aspect"] if before_shown else None
    verb = "remains" if previous_low == low["aspect"] else "is"
    fact = (
        f"{d.aspect_label(low['aspect'])} {verb} the lowest aspect of victim satisfaction in "
        f"{period_label(s.period)} ({pct(low['pct'])}, base {low['base']:,})"
    )
    if d.free_text:
        total, leading = _leading_themes(s, 1)
        if leading.height and total >= d.suppression.min_base:
            top = leading.row(0, named=True)
            fact += (
                f"; the most common theme in victims' comments is \u201c{top['theme']}\u201d "
                f"({pct(top['share'])} of {total:,} comments)"
            )
    return [fact + "."]


def paper_sections(
    surveys: dict[str, Survey], census: Census, *, period_words: str, missing: list[str]
) -> list[Section]:
    """Every section the surveys allow, in the source paper's order, ending with the points for the board."""
    sections = [purpose(period_words, list(surveys.values()), missing)]
    if "victim" in surveys:
        v = surveys["victim"]
        sections += [_noted(v, _victim_headline(v)), _victim_aspects(v), _victim_groups(v)]
        rep = _respondents(v, census)
        if rep:
            sections.append(rep)
    builders = {
        "caller_101": _caller_101,
        "live_chat": _live_chat,
        "domestic_abuse": _domestic_abuse,
        "public_confidence": _public_confidence,
    }
    sections += [_noted(surveys[name], build(surveys[name])) for name, build in builders.items() if name in surveys]
    if "wmnow" in surveys:
        sections.append(_noted(surveys["wmnow"], _wmnow(surveys["wmnow"], census)))
    sections += compliance_sections(surveys)
    sections.append(points_for_the_board(surveys, sections))
    return sections


def _noted(s: Survey, section: Section) -> Section:
    """A section showing another period than the pack's month says why first, in words and on its slide."""
    if s.note:
        section.paragraphs.insert(0, s.note)
        section.points = [s.note, *section.points][:MAX_POINTS]
        section.heading = section.heading.replace(
            f"({period_label(s.period)})", f"({period_label(s.period)}, the latest held)"
        )
    return section
