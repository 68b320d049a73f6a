"""What happened when, in words: the events listed, and an aspect before and after one of them.

"Significantly" only where the two-proportion z-test says so (p < 0.05), as everywhere in the app.
"""

from __future__ import annotations

from collections.abc import Sequence

from insight.config.events import Event
from insight.figures.before_after import BeforeAfter, Side
from insight.periods import period_label


def listed(events: Sequence[Event]) -> str:
    """``Live Chat launched (August 2018); BOB-E chatbot introduced (September 2019)``."""
    return "; ".join(e.said for e in events)


def _side(side: Side) -> str:
    when = f"{period_label(side.span.first)} to {period_label(side.span.last)}" if not side.span.is_single else (
        period_label(side.span.first))  # fmt: skip
    if side.pct is None:
        return f"not shown for {when}: only {side.base:,} answered"
    return f"{side.pct:.1f}% in {when} (base {side.base:,})"


def before_after(result: BeforeAfter, aspect_label: str) -> str:
    """``Overall satisfaction: 45.6% in December 2018 to April 2019 (base 4,727) before Last board update (SPCB)
    (May 2019), 46.7% in May 2019 to September 2019 (base 4,549) from it on; not a significant change
    (p = 0.297; 5 months each side, the longest the periods held allow on both sides).``"""
    head = f"{aspect_label}: {_side(result.before)} before {result.event.said}, {_side(result.after)} from it on"
    if result.p_value is None or result.change_pp is None:
        return f"{head}; not compared ({result.window})."
    change = result.change_pp
    moved = "unchanged" if round(change, 1) == 0 else f"{'up' if change > 0 else 'down'} {abs(change):.1f} points"
    verdict = "a significant change" if result.significant else "not a significant change"
    p = "p < 0.001" if result.p_value < 0.001 else f"p = {result.p_value:.3f}"
    return f"{head}; {moved}, {verdict} ({p}; {result.window})."
