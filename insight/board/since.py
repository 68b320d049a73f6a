"""The board pack's "Since the last board" section: each survey now against the month the last paper reported.

The figures are ``insight.figures.since.changes_since`` (the same pooled two-proportion z-test as every other
change in the paper), one sentence per survey's headline from ``wording.change_sentence`` (so "rose"/"fell"
only when significant), then every other significant change, and a table of every aspect.
"""

from __future__ import annotations

from insight.board.model import Section, Table
from insight.board.sections import Survey, view
from insight.board.wording import Comparison, caution_flag, change_sentence, p_text, pct
from insight.figures.metrics import LOW_BASE
from insight.figures.since import Change, changes_since
from insight.periods import period_label


def _label(s: Survey, c: Change) -> str:
    who = f"{s.title} ({c.survey})" if c.survey else s.title
    return f"{who}: {s.definition.aspect_label(c.aspect).lower()}"


def _comparison(s: Survey, c: Change) -> Comparison:
    sup = s.definition.suppression
    return Comparison(
        label=_label(s, c),
        period=c.period,
        pct=c.pct,
        base=c.base,
        earlier_period=c.since_period if c.since_base else None,
        earlier_pct=c.since_pct,
        earlier_base=c.since_base or None,
        p_value=c.p_value,
        caution=caution_flag(LOW_BASE if c.base < sup.caution_base else "", sup),
    )


def since_section(surveys: dict[str, Survey], since: str) -> Section:
    """What changed in each survey between the ``since`` month (its quarter, for a quarterly survey) and now."""
    headline: list[str] = []
    others: list[str] = []
    rows: list[tuple[str, ...]] = []
    views: list[str] = []
    compared = significant = 0
    for s in surveys.values():
        d = s.definition
        if d.kind != "survey":
            continue
        changes = [c for c in changes_since(s.frame, d, period=s.period, since=since) if c.since_period < c.period]
        if not changes:
            continue
        top = d.headline or d.aspects[0]
        for c in changes:
            said = change_sentence(_comparison(s, c), against=period_label(c.since_period))
            if c.aspect == top:
                headline.append(said)
            elif c.significant:
                others.append(said)
            compared += c.p_value is not None
            significant += c.significant
            rows.append((
                _label(s, c)[0].upper() + _label(s, c)[1:],
                "not shown" if c.since_pct is None else pct(c.since_pct),
                f"{c.since_base:,}",
                "not shown" if c.pct is None else pct(c.pct),
                f"{c.base:,}",
                "" if c.diff_pp is None else f"{c.diff_pp:+.1f}",
                "" if c.p_value is None else p_text(c.p_value) + (" (significant)" if c.significant else ""),
            ))  # fmt: skip
        views += [view("satisfaction", dataset=d.dataset, period=changes[0].since_period), s.view()]
    when = period_label(since)
    if not rows:
        intro = f"No survey holds figures for {when} and a later period to compare."
        return Section("since", f"Since the last board ({when})", [intro])
    intro = (
        f"Against {when}, the month the last board paper reported (a quarterly survey: its quarter), "
        f"{significant} of the {compared} figures that could be compared changed significantly "
        "(two-proportion z-test, p < 0.05); the rest moved within the margin of error."
    )
    table = Table(
        f"Every aspect against {when}",
        ("Survey and aspect", "Then", "Base then", "Now", "Base now", "Change (points)", "Test"),
        tuple(rows),
        "Then: the survey's period containing the comparison month. Not shown: too few answered to report or "
        "compare. Change and test only where both figures are shown.",
    )
    paragraphs = [intro, *headline, *others]
    return Section(
        "since",
        f"Since the last board ({when})",
        paragraphs,
        points=[intro, *(others or headline)],
        table=table,
        views=list(dict.fromkeys(views)),
    )
