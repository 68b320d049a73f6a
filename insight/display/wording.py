"""Figures in words a board member understands, following the paper's own phrasing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from insight.config.definition import Suppression
from insight.figures.metrics import LOW_BASE, SUPPRESSED
from insight.figures.validity import Validity
from insight.periods import period_label

if TYPE_CHECKING:
    from insight.figures.compare import GroupComparison
    from insight.figures.compliance import Matched, Missed, SampleCheck
    from insight.figures.drivers import Drivers
    from insight.figures.sign_ups import GapChange
    from insight.figures.trend import TrendTest


def sentence(text: str) -> str:
    """Capitalise the first letter only (``str.capitalize`` would lower-case month names)."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def points(value: float) -> str:
    return f"{abs(value):.1f} point" + ("" if round(abs(value), 1) == 1.0 else "s")


def figure(row: dict) -> str:
    """``49.4% (base 950; 95% CI 46.2–52.5%)`` or why no figure is shown."""
    if row["status"] == SUPPRESSED:
        return f"not shown: only {row['base']} answered (too few to report)"
    return f"{pct(row['pct'])} (base {row['base']:,}; 95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}%)"


def change(row: dict) -> str:
    """The change on the previous period in words that respect the significance test."""
    previous = row.get("previous_period")
    if row["status"] == SUPPRESSED:
        return "no comparison: too few responses this period"
    if not previous:
        return "no previous period to compare with"
    if row.get("change_pp") is None:
        return f"no comparison: too few responses in {period_label(previous)}"
    delta = row["change_pp"]
    if round(delta, 1) == 0:
        movement = f"unchanged on {period_label(previous)}"
    else:
        movement = f"{'up' if delta > 0 else 'down'} {points(delta)} on {period_label(previous)}"
    verdict = "a significant change" if row.get("significant") else "not a significant change"
    return f"{movement}, {verdict}"


def caution(row: dict, suppression: Suppression) -> str | None:
    if row["status"] == SUPPRESSED:
        return f"Suppressed: fewer than {suppression.min_base} answered, so no percentage is shown."
    if row["status"] == LOW_BASE:
        return f"Treat with caution: fewer than {suppression.caution_base} answered."
    return None


def variation(aspect_label: str, test: dict) -> str:
    """The paper's question: has this aspect varied significantly over time?"""
    if test.get("p_value") is None:
        return f"{aspect_label}: too few periods with enough responses to test."
    span = f"{test['periods']} periods"
    if test["significant"]:
        return f"{aspect_label} has varied significantly over the {span}."
    return f"{aspect_label} has not varied significantly over the {span}."


def p_value(p: float | None) -> str:
    """A p-value for the "about this figure" detail: ``p = 0.41``, ``p < 0.001``."""
    if p is None:
        return "not tested"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def variation_method(aspect_label: str, test: dict) -> str:
    """The method behind ``variation``, for the "about this figure" detail."""
    if test.get("p_value") is None:
        return f"{aspect_label}: not tested (fewer than two periods with enough answers)."
    periods = test["periods"]
    return f"{aspect_label}: chi-square test of homogeneity across {periods} periods, {p_value(test['p_value'])}."


def change_method(label: str, row: dict) -> str | None:
    """The method behind ``change``, for the "about this figure" detail; None when nothing was tested."""
    if row.get("p_value") is None or not row.get("previous_period"):
        return None
    return (
        f"{label}: two-sided two-proportion z-test against {period_label(row['previous_period'])}, "
        f"{p_value(row['p_value'])} (significant when p < 0.05)."
    )


def suppressed_groups(result: pl.DataFrame, suppression: Suppression) -> str | None:
    """Why some groups of a breakdown show no figure."""
    hidden = result.get_column("status").to_list().count(SUPPRESSED)
    if not hidden:
        return None
    why = f"fewer than {suppression.min_base} answered"
    if suppression.secondary:
        why += ", or the group was hidden too so that a suppressed group cannot be worked out from the total"
    return f"{hidden} group(s) suppressed: {why}."


def margin(value: float) -> str:
    return f"±{value:.0f}" if value >= 9.95 else f"±{value:.1f}"


def validity(v: Validity) -> str:
    """e.g. "12 responses from 50 invitations out of 79,359 calls: ±28 points, too few to support a
    conclusion; about 383 would give ±5"."""
    said = f"{v.responses:,} response" + ("" if v.responses == 1 else "s")
    if v.filtered:
        said += " matching the filters"
    if v.invitations is not None:
        said += f" from {v.invitations:,} invitations"
    if v.contacts is not None:
        said += f" out of {v.contacts:,} {v.contacts_label}"
    notes = []
    if v.response_rate is not None:
        notes.append(f"{v.response_rate:.1f}% responded")
    if v.invited_share is not None and v.invitations != v.contacts:
        notes.append(f"{v.invited_share:.2g}% of {v.contacts_label} invited")
    if notes:
        said += f" ({'; '.join(notes)})"
    if v.margin_of_error_pp is None:
        return said + ": no responses, so no conclusion can be drawn"
    said += f": {margin(v.margin_of_error_pp)} points"
    if v.valid_for_5pp:
        return said + ", enough to support a conclusion at ±5 points"
    return said + f", too few to support a conclusion; about {v.needed_for_5pp:,} would give ±5"


# --------------------------------------------------------------------------- the board's questions


def comparison(rows: Sequence[GroupComparison], by_label: str) -> str:
    """Which groups are significantly above or below everyone else (``compare_groups`` rows)."""
    if not rows:
        return f"Too few answers in any {by_label.lower()} to compare."
    above = [r for r in rows if r.significant and r.above]
    below = [r for r in rows if r.significant and not r.above]

    def said(r: GroupComparison) -> str:
        side = "above" if r.above else "below"
        return (
            f"{r.group} ({pct(r.pct)}, {side})"
            if r.diff_pp is None
            else f"{r.group} ({pct(r.pct)}, {points(r.diff_pp)} {side})"
        )

    def listed(side: list[GroupComparison]) -> str:
        return "; ".join(said(r) for r in side)

    parts = []
    if above:
        parts.append(f"Significantly above the rest: {listed(above)}.")
    if below:
        parts.append(f"Significantly below the rest: {listed(below)}.")
    others = len(rows) - len(above) - len(below)
    if not parts:
        parts.append(f"No {by_label.lower()} differs significantly from the rest.")
    elif others:
        parts.append(f"The other {others} group(s) do not differ significantly from the rest.")
    return " ".join(parts)


def trend(aspect_label: str, t: TrendTest) -> str:
    """The board's question: has this aspect risen or fallen?"""
    if t.p_value is None or t.first_period is None or t.last_period is None:
        return f"{aspect_label}: too few periods with answers to test for a trend."
    span = f"{period_label(t.first_period)} to {period_label(t.last_period)}"
    ends = f" ({pct(t.first_pct)} then {pct(t.last_pct)})" if t.first_pct is not None and t.last_pct is not None else ""
    rate = f"about {abs(t.slope_pp or 0):.1f} points a {t.slope_per}"
    if t.direction in ("rising", "falling"):
        verb = "risen" if t.direction == "rising" else "fallen"
        return f"{aspect_label} has {verb} from {span}{ends}, {rate}."
    return f"{aspect_label} has neither risen nor fallen significantly from {span}{ends}."


def trend_method(aspect_label: str, t: TrendTest) -> str | None:
    """The method behind ``trend``, for the "about this figure" detail; None when nothing was tested."""
    if t.p_value is None:
        return None
    return f"{aspect_label}: Cochran-Armitage test for a linear trend, {p_value(t.p_value)} (a trend when p < 0.05)."


def dissatisfied(row: dict, negative: Sequence[str]) -> str:
    """``23.4% dissatisfied (Fairly dissatisfied, ...), of 950 in the base``."""
    who = f"{row['group']}: " if row.get("group") else ""
    if row["pct"] is None:
        return f"{who}not shown: too few answered"
    return f"{who}{pct(row['pct'])} dissatisfied ({', '.join(negative)}), of {row['base']:,} in the base"


def top_priority(drivers: Drivers, labels: dict[str, str], target_label: str) -> str:
    """Name the top priority (high importance, low satisfaction), or say plainly why there is none."""
    if drivers.weak and any(r.importance is not None for r in drivers.rows):
        return weak_model(drivers, target_label)
    top = drivers.top_priority()
    if top is None or top.importance is None:
        return "No aspect could be modelled."
    return (
        f"Top priority: {labels[top.aspect]}. It carries {top.importance:.0f}% of what the other aspects explain of "
        f"{target_label.lower()}, and only {pct(top.pct)} are positive about it. Together the aspects explain "
        f"{drivers.r_squared * 100:.1f}% of the variation in {target_label.lower()} among these {drivers.n:,} "
        "respondents."
    )


def weak_model(drivers: Drivers, target_label: str) -> str:
    """The warning for a model that explains little: no top priority is named from it."""
    from insight.figures.drivers import WEAK_MODEL

    return (
        f"No top priority: together the aspects explain only {drivers.r_squared * 100:.1f}% of the variation in "
        f"{target_label.lower()} among these {drivers.n:,} respondents (R² {drivers.r_squared:.3f}, below "
        f"{WEAK_MODEL:.2f}), too little to rank them. The importances below are shares of very little."
    )


def _gap(value: float) -> str:
    return f"{points(value)} {'below' if value < 0 else 'above'} the census"


def gap_verdict(c: GapChange) -> str:
    """``Aged 16-24: narrowing, recently``: the answer first, the reasons in ``gap_change``."""
    return f"{c.series}: {c.verdict}"


def gap_change(c: GapChange, *, ends: bool = True) -> str:
    """How a sign-up gap moved over the months shown, in the shape of the whole range: the trend over every
    month, a recent step when there is one, then (``ends``) the first month against the last (p-values in the
    detail)."""
    span = f"{period_label(c.first_period)} to {period_label(c.last_period)}"
    if c.trend_p is None:
        said = [f"Too few months ({c.months}) to test for a trend over {span}."]
    elif c.trend_significant:
        said = [f"Over the {c.months} months {span} the gap has {'narrowed' if c.trend_towards else 'widened'} "
                "significantly."]  # fmt: skip
    else:
        said = [f"Over the {c.months} months {span} the gap shows no significant trend."]
    if c.recent and c.step_since and c.before_gap_pp is not None and c.after_gap_pp is not None:
        since = "in" if c.step_since == c.last_period else "since"
        said.append(
            f"The change is recent: about {_gap(c.before_gap_pp)} before {period_label(c.step_since)}, "
            f"{_gap(c.after_gap_pp)} {since} {period_label(c.step_since)}."
        )
    return " ".join([*said, gap_ends(c)] if ends else said)


def gap_ends(c: GapChange) -> str:
    """A gap's first month against its last, in words that respect the z-test."""
    both = f"{_gap(c.first_gap_pp)} in {period_label(c.first_period)}, {_gap(c.last_gap_pp)} in " + period_label(
        c.last_period
    )
    if c.p_value is None:
        return f"First and last month: {both} (not tested)."
    differ = "a significant difference" if c.narrowed or c.widened else "within the margin of error"
    return f"First and last month: {both}, {differ}."


def gap_change_method(c: GapChange) -> str | None:
    """The tests behind ``gap_change``, for the "about this figure" detail; None when nothing was tested."""
    if c.p_value is None and c.trend_p is None:
        return None
    said = [f"{c.series}:"]
    if c.trend_p is not None:
        said.append(
            f"Cochran-Armitage test for a trend in the share of sign-ups over the {c.months} months, "
            f"{p_value(c.trend_p)};"
        )
    if c.step_since is not None and c.step_p is not None:
        said.append(
            f"the largest step in the last months ({period_label(c.step_since)} on) against the months before it, "
            f"two-proportion z-test, {p_value(c.step_p)} after Bonferroni's adjustment for the splits tried"
            + (f", the months before it {p_value(c.before_trend_p)} for a trend;" if c.before_trend_p else ";")
        )
    if c.p_value is not None:
        said.append(
            f"two-sided two-proportion z-test of {period_label(c.first_period)}'s share against "
            f"{period_label(c.last_period)}'s, {p_value(c.p_value)}"
        )
    return " ".join(said).rstrip(";") + " (significant when p < 0.05)."


# --------------------------------------------------------------------------- one finding per figure


def aspects_finding(rows: Sequence[dict], labels: dict[str, str]) -> str:
    """Every aspect's chart in one sentence: the highest and lowest, and what changed significantly.

    ``rows`` are ``satisfaction`` rows (one per aspect); ``labels`` name each aspect.
    """
    shown = [r for r in rows if r.get("pct") is not None]
    if not shown:
        return "Every figure is suppressed: too few answered."
    high = max(shown, key=lambda r: r["pct"])
    low = min(shown, key=lambda r: r["pct"])
    said = (
        f"Highest: {labels[high['aspect']]} ({pct(high['pct'])}); lowest: {labels[low['aspect']]} ({pct(low['pct'])})."
        if high is not low
        else f"{labels[high['aspect']]}: {pct(high['pct'])}."
    )
    previous = next((r["previous_period"] for r in rows if r.get("previous_period")), None)
    if previous is None:
        return said
    changed = [r for r in shown if r.get("significant") and r.get("change_pp") is not None]
    if not changed:
        return f"{said} No aspect changed significantly on {period_label(previous)}."
    moves = "; ".join(
        f"{labels[r['aspect']]} {'up' if r['change_pp'] > 0 else 'down'} {points(r['change_pp'])}" for r in changed
    )
    return f"{said} Changed significantly on {period_label(previous)}: {moves}."


def group_line(r: GroupComparison) -> str:
    """One group against everyone else in the base, with both figures and bases (the figures the test used)."""
    if r.rest_pct is None or r.rest_base is None:
        return (
            f"{r.group}: {pct(r.pct)} (base {r.base:,}); the rest is not shown, so no hidden group can be worked out."
        )
    verdict = (
        "not tested"
        if r.significant is None
        else f"significantly {'above' if r.above else 'below'} the rest"
        if r.significant
        else "not significantly different from the rest"
    )
    rest = f"the rest's {pct(r.rest_pct)} (base {r.rest_base:,})"
    return f"{r.group}: {pct(r.pct)} (base {r.base:,}) against {rest}, {verdict}."


def trend_finding(name: str, t: TrendTest, varied: dict | None) -> str:
    """A trend chart in one sentence: risen or fallen (Cochran-Armitage), and whether it varied at all."""
    said = trend(name, t)
    if varied is None or varied.get("p_value") is None:
        return said
    how = "" if varied["significant"] else "not "
    return f"{said[:-1]}; it has {how}varied significantly over the {varied['periods']} periods."


def trends_finding(tested: Sequence[tuple[str, TrendTest]]) -> str:
    """Several lines' trends in one sentence: which have risen or fallen significantly (Cochran-Armitage)."""
    if len(tested) == 1:
        return trend(*tested[0])
    risen = [name for name, t in tested if t.direction == "rising"]
    fallen = [name for name, t in tested if t.direction == "falling"]
    untested = [name for name, t in tested if t.p_value is None]
    said = []
    if risen:
        said.append(f"Risen significantly: {', '.join(risen)}.")
    if fallen:
        said.append(f"Fallen significantly: {', '.join(fallen)}.")
    others = len(tested) - len(risen) - len(fallen) - len(untested)
    if not said:
        said.append("No line has risen or fallen significantly." if others else "Too few periods to test for a trend.")
    elif others:
        said.append(f"The other {others} have neither risen nor fallen significantly.")
    return " ".join(said)


def representation_finding(rows: Sequence[dict], who: str) -> str:
    """Who answered against the census in one sentence: the widest gap (``representation`` rows)."""
    gaps = [r for r in rows if r.get("gap_pp") is not None]
    if not gaps:
        return f"Too few {who.lower()} stated a value to compare with the census."
    widest = max(gaps, key=lambda r: abs(r["gap_pp"]))
    side = "over-represented" if widest["gap_pp"] > 0 else "under-represented"
    return (
        f"Widest gap: {widest['group']}, {pct(widest['share'])} of {who.lower()} against {pct(widest['census_share'])} "
        f"in the census ({side} by {points(widest['gap_pp'])})."
    )


def weighting_finding(rows: Sequence[dict]) -> str:
    """One margin before and after weighting: the group moved most towards its target."""
    moved = [r for r in rows if r.get("unweighted_pct") is not None and r.get("weighted_pct") is not None]
    if not moved:
        return "No group could be weighted."
    most = max(moved, key=lambda r: abs(r["weighted_pct"] - r["unweighted_pct"]))
    return (
        f"Weighting moves {most['group']} most: {pct(most['unweighted_pct'])} of respondents before, "
        f"{pct(most['weighted_pct'])} after, against a target of {pct(most['target_pct'])}."
    )


def sparkline(trend: pl.DataFrame) -> str:
    """A tile's small trend in words (its text alternative): ``Last 13 months: 45.1% in September 2018 to 49.4% in
    September 2019, lowest 44.0%, highest 49.4%``. ``trend``: a headline's satisfaction rows, oldest first."""
    shown = trend.filter(pl.col("pct").is_not_null())
    if shown.height < 2:
        return "Too few periods with enough answers to draw a trend."
    unit = "quarters" if "Q" in str(shown.item(0, "period")) else "months"
    first, last = shown.row(0, named=True), shown.row(-1, named=True)
    values = shown.get_column("pct").to_list()
    hidden = trend.height - shown.height
    return (
        f"Last {trend.height} {unit}: {pct(first['pct'])} in {period_label(first['period'])} to {pct(last['pct'])} in "
        f"{period_label(last['period'])}; lowest {pct(min(values))}, highest {pct(max(values))}"
        + (f"; {hidden} with too few answers to show" if hidden else "")
        + "."
    )


# --------------------------------------------------------------------------- compliance checklists (Victims' Code)


def sample_target(check: SampleCheck, noun: str = "cases") -> str:
    """``240 cases reviewed in Jul-Sep 2019 (Q3), reaching the target of 240: a figure from every one of them is
    within ±6.3 points (95% margin of error).``"""
    reviewed = f"{check.responses:,} {noun} reviewed in {period_label(check.period)}"
    within = (
        "no margin of error can be given"
        if check.margin_pp is None
        else f"a figure from every one of them is within {margin(check.margin_pp)} points (95% margin of error)"
    )
    if check.reached:
        return f"{reviewed}, reaching the target of {check.target:,}: {within}."
    short = check.target - check.responses
    return (
        f"{reviewed}, {short:,} short of the target of {check.target:,}: {within}, against "
        f"{margin(check.target_margin_pp)} at the target."
    )


def most_missed(m: Missed, labels: dict[str, str], period: str, noun: str = "entitlement") -> str:
    """The part met least often, and whether it is significantly below the next lowest (McNemar)."""
    return f"{most_missed_named(m, labels, period, noun)} {most_missed_against(m, labels)}".strip()


def most_missed_named(
    m: Missed, labels: dict[str, str], period: str, noun: str = "entitlement", *, short: bool = False
) -> str:
    """``Referral ... was the entitlement most often missed in Jul-Sep 2019 (Q3): met in 74.1% (base 216) ...``;
    ``short`` (a meeting screen, under its period bar): ``Referral ... was missed most often: met in 74.1% (base
    216).``"""
    if short:
        return f"{labels[m.aspect]} was missed most often: met in {pct(m.pct)} (base {m.base:,})."
    return (
        f"{labels[m.aspect]} was the {noun} most often missed in {period_label(period)}: met in {pct(m.pct)} "
        f"(base {m.base:,}) of the cases it applied to, {m.missed:,} missed."
    )


def most_missed_against(m: Missed, labels: dict[str, str]) -> str:
    """The most often missed against the next lowest, by McNemar's exact test ("" when there is none)."""
    if m.next_aspect is None or m.next_pct is None or m.next_base is None:
        return ""
    nxt = f"the next lowest, {labels[m.next_aspect].lower()}, {pct(m.next_pct)} (base {m.next_base:,})"
    if m.p_value is None:
        return f"Against {nxt}: too few cases both applied to, to test."
    test = f"McNemar's exact test on the {m.both_applied:,} cases both applied to, {p_value(m.p_value)}"
    if m.significant:
        return f"It is significantly below {nxt} ({test})."
    return f"Against {nxt}, the difference is within the margin of error ({test})."


def recovery(row: dict, period: str, suppression: Suppression) -> str:
    """Service recovery among the cases that needed one: completed (the positive answer) and still open."""
    when = period_label(period)
    if row["status"] == SUPPRESSED or row["pct"] is None:
        return f"Service recovery in {when}: not shown, fewer than {suppression.min_base} cases needed one."
    still_open = row["base"] - row["positive"]
    return (
        f"{row['base']:,} cases needed a service recovery in {when}: {row['positive']:,} completed, "
        f"{pct(row['pct'])} (base {row['base']:,}; 95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}%), and "
        f"{still_open:,} still open."
    )


def matched_overlap(m: Matched, survey_title: str) -> str:
    """How few cases the survey shares with the checklist, said plainly."""
    latest = m.by_period[-1] if m.by_period else None
    share = "" if m.share_pct is None else f" ({pct(m.share_pct)})"
    said = (
        f"Of the {m.cases:,} cases reviewed in {period_label(m.period)}, {m.matched:,}{share} were victims who also "
        f"answered the {survey_title.lower()} (matched by the crime reference's pseudonym)"
    )
    if latest is not None:
        said += f"; {latest[2]:,} of the {latest[1]:,} in {period_label(latest[0])}"
    return (
        said
        + ". So few cannot stand for every case reviewed: the survey leaves out vulnerable victims and "
        + "those without an email address, and most victims invited do not answer."
    )


def matched_difference(m: Matched, aspect_label: str, labels: dict[str, str], part: str | None = None) -> str:
    """The survey's figure where the checklist's measure (or one part) was met against where it was missed."""
    part = part or m.measure
    row = m.row(part)
    what = f"\u201c{labels[part]}\u201d"
    if row is None or row.p_value is None or row.met.pct is None or row.missed.pct is None:
        return (
            f"{aspect_label} by {what}: too few matched victims answered to compare "
            f"(fewer than {m.min_base} in a group), so neither figure is shown."
        )
    met_pct, missed_pct = row.met.pct, row.missed.pct
    figures = (
        f"{aspect_label} was {pct(met_pct)} (base {row.met.base:,}) among matched victims whose review said yes to "
        f"{what}, against {pct(missed_pct)} (base {row.missed.base:,}) where it said no"
    )
    p = row.p_adjusted if part != m.measure else row.p_value
    adjusted = ", Holm-adjusted" if part != m.measure else ""
    if row.significant:
        side = "higher" if met_pct > missed_pct else "lower"
        return f"{figures}: significantly {side} ({points(met_pct - missed_pct)}; {p_value(p)}{adjusted})."
    return f"{figures}: a difference within the margin of error ({p_value(p)}{adjusted})."


def sources_finding(rows: Sequence[dict], span_words: str) -> str:
    """Which source brings the most sign-ups and which the largest share of each under-represented group (shown
    figures only)."""
    shown = [r for r in rows if r["share"] is not None]
    if not shown:
        return f"Too few sign-ups {span_words} record a source to show."
    most = max(shown, key=lambda r: r["share"])
    said = [f"{most['source']} brought the most sign-ups {span_words}: {most['sign_ups']:,} ({pct(most['share'])})."]
    for key, who in (("aged_16_24", "16-24s"), ("ethnic_minority", "ethnic minority groups")):
        known = [r for r in shown if r[key] is not None and r[f"{key}_census"] is not None]
        if known:
            best = max(known, key=lambda r: r[key])
            said.append(
                f"{best['source']} brought the largest share of {who}: {pct(best[key])}, against "
                f"{pct(best[f'{key}_census'])} in the census."
            )
    return " ".join(said)
