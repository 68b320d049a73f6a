"""Before and after an event (``config/events.yaml``): did an aspect's share positive change when it happened?

The periods from the event's own period on (``after``) are pooled and set against the same number of periods
immediately before it (``before``), by the two-sided two-proportion z-test with pooled variance used for every
change in the app. The windows are always of equal length: the length asked for, or else the longest the
periods held allow on both sides, at most ``MAX_WINDOW`` periods (a year of months, or four quarters); the
length chosen and why are part of the result. Either side below the survey's minimum base is not shown and
not tested (its suppression, as everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from insight.config.definition import Definition
from insight.config.events import Event, window_span
from insight.figures.metrics import SUPPRESSED, in_range, satisfaction, status_of, two_proportion_p_value
from insight.periods import PeriodRange, calendar_index

ALPHA = 0.05
MAX_WINDOW = {"month": 12, "quarter": 4}  # the default windows' longest: a year either side


@dataclass(frozen=True)
class Side:
    span: PeriodRange
    base: int
    pct: float | None  # None when suppressed (below the minimum base)
    status: str

    def to_json(self) -> dict:
        return {"periods": self.span.text, "base": self.base,
                "pct": None if self.pct is None else round(self.pct, 1), "status": self.status}  # fmt: skip


@dataclass(frozen=True)
class BeforeAfter:
    dataset: str
    aspect: str
    event: Event
    length: int  # periods in each window
    granularity: str
    why: str  # how the length was chosen: "as asked", "a year", "the longest the periods held allow on both sides"
    before: Side
    after: Side
    p_value: float | None

    @property
    def window(self) -> str:
        """``5 months each side, the longest the periods held allow on both sides``."""
        unit = "month" if self.granularity == "month" else "quarter"
        return f"{self.length} {unit}{'' if self.length == 1 else 's'} each side, {self.why}"

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < ALPHA

    @property
    def change_pp(self) -> float | None:
        if self.before.pct is None or self.after.pct is None:
            return None
        return self.after.pct - self.before.pct

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "aspect": self.aspect,
            "event": self.event.to_json(),
            "periods_each_side": self.length,
            "granularity": self.granularity,
            "window": self.window,
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "change_pp": None if self.change_pp is None else round(self.change_pp, 1),
            "p_value": self.p_value,
            "significant": self.significant,
        }


def longest_windows(held: list[str], event: Event, granularity: str) -> int:
    """How many periods the held range allows on both sides: from the first held to the event's period, and from
    it to the last held (0 when the event falls outside the periods held)."""
    if not held:
        return 0
    at = calendar_index(event.period(granularity))
    first, last = calendar_index(min(held)), calendar_index(max(held))
    return max(0, min(at - first, last - at + 1))


def before_after(
    frame: pl.DataFrame, definition: Definition, event: Event, *, aspect: str | None = None, length: int | None = None
) -> BeforeAfter:
    """The aspect (the headline by default) pooled over ``length`` periods before the event and as many from it on.

    Raises ValueError, in one sentence, when the event is outside the periods held or ``length`` asks for more
    periods than one side holds.
    """
    granularity = definition.period.granularity
    aspect = aspect or definition.headline or definition.aspects[0]
    if aspect not in definition.aspects:
        raise ValueError(f"{definition.dataset} has no aspect {aspect!r}; choose from {list(definition.aspects)}")
    held = sorted(frame.get_column("period").unique().to_list())
    most = longest_windows(held, event, granularity)
    if most == 0:
        span = f"{held[0]} to {held[-1]}" if held else "none"
        raise ValueError(
            f"{event.said} is not inside the {definition.dataset} periods held ({span}): nothing before or after it "
            "to compare"
        )
    if length is not None:
        if length < 1 or length > most:
            raise ValueError(
                f"--periods {length}: the periods held allow from 1 to {most} on each side of {event.said}"
            )
        why = "as asked"
    else:
        length = min(most, MAX_WINDOW[granularity])
        why = "a year" if length == MAX_WINDOW[granularity] else "the longest the periods held allow on both sides"
    after_span = window_span(event, granularity, length, after=True)
    before_span = window_span(event, granularity, length, after=False)
    sides = [_side(frame, definition, span, aspect) for span in (before_span, after_span)]
    before, after = sides
    p = None
    if before.status != SUPPRESSED and after.status != SUPPRESSED:
        xb, nb = _counts(frame, definition, before_span, aspect)
        xa, na = _counts(frame, definition, after_span, aspect)
        p = two_proportion_p_value(xa, na, xb, nb)
    return BeforeAfter(definition.dataset, aspect, event, length, granularity, why, before, after, p)


def _counts(frame: pl.DataFrame, definition: Definition, span: PeriodRange, aspect: str) -> tuple[int, int]:
    row = _row(frame, definition, span, aspect)
    return (0, 0) if row is None else (int(row["positive"]), int(row["base"]))


def _row(frame: pl.DataFrame, definition: Definition, span: PeriodRange, aspect: str) -> dict | None:
    """The window's responses pooled as one figure, as any range's figure is: with secondary suppression a
    window holding a hidden period is hidden too, so that period cannot be worked out from the window."""
    if in_range(frame, span).height == 0:
        return None
    found = satisfaction(frame, definition, period=span.text, aspects=[aspect])
    return found.row(0, named=True) if found.height else None


def _side(frame: pl.DataFrame, definition: Definition, span: PeriodRange, aspect: str) -> Side:
    row = _row(frame, definition, span, aspect)
    base = 0 if row is None else int(row["base"])
    hidden = row is None or row["status"] == SUPPRESSED or row["pct"] is None
    status = SUPPRESSED if hidden else status_of(base, definition.suppression)
    pct = None if hidden or row is None else float(row["pct"])
    return Side(span, base, pct, status)
