"""What happened when: ``config/events.yaml``, the events results are read against (Live Chat launched, BOB-E).

Each event has a month (``2019-09``: the paper dates its events by the month at most), a label, the datasets
it concerns (none listed: every one) and whether its month is approximate. Trend charts draw them as markers,
``trend --format json`` lists those inside its range, the board pack lists those of its year, and
``compare --before-after EVENT`` compares the periods before an event with those from it on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from insight.config.files import Reader
from insight.config.keys import EVENTS, keys_under
from insight.periods import PeriodRange, calendar_index, period_at, period_label

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Event:
    month: str  # 2019-09
    label: str
    datasets: tuple[str, ...] = ()  # empty: every dataset
    approximate: bool = False  # the source gives the month only roughly

    def concerns(self, dataset: str) -> bool:
        return not self.datasets or dataset in self.datasets

    def period(self, granularity: str) -> str:
        """The survey period the event falls in: its month, or the quarter containing it."""
        if granularity == "month":
            return self.month
        year, month = self.month.split("-")
        return f"{year}-Q{(int(month) - 1) // 3 + 1}"

    @property
    def day(self) -> dt.date:
        """Where a chart places it: the first day of its month."""
        year, month = self.month.split("-")
        return dt.date(int(year), int(month), 1)

    @property
    def when(self) -> str:
        """``August 2018``, or ``about August 2018`` when approximate."""
        return ("about " if self.approximate else "") + period_label(self.month)

    @property
    def said(self) -> str:
        """``Live Chat launched (August 2018)``."""
        return f"{self.label} ({self.when})"

    def to_json(self) -> dict:
        return {"month": self.month, "label": self.label, "datasets": list(self.datasets) or "all",
                "approximate": self.approximate}  # fmt: skip


def parse_events(r: Reader, raw: Any, datasets: Sequence[str]) -> list[Event]:
    """``events: [{date: 2018-08, label: Live Chat launched, datasets: [live_chat]}, ...]``; the file may be absent."""
    if raw is None:
        return []
    node = r.mapping(raw, "", required=True)
    r.known_keys(node, keys_under("", EVENTS), "")
    items = node.get("events")
    if items is None:
        return []
    if not isinstance(items, list):
        raise r.fail("events", "expected a list of events, each with date, label and datasets")
    events: list[Event] = []
    labels: set[str] = set()
    for i, item in enumerate(items):
        kp = f"events[{i}]"
        with r.part():
            item = r.mapping(item, kp, required=True)
            r.known_keys(item, keys_under("events[]", EVENTS), kp)
            month = _month(r, item.get("date"), f"{kp}.date")
            label = r.text(item, "label", kp)
            if label.casefold() in labels:
                raise r.fail(f"{kp}.label", f"{label!r} is the label of another event: name each event once")
            named = item.get("datasets", "all")
            if named == "all":
                chosen: tuple[str, ...] = ()
            else:
                chosen = r.labels(named, f"{kp}.datasets", required=True)
                unknown = [d for d in chosen if d not in datasets]
                if unknown:
                    raise r.fail(f"{kp}.datasets", f"no survey {unknown}; surveys: {sorted(datasets)} (or `all`)")
            labels.add(label.casefold())
            events.append(Event(month, label, chosen, r.boolean(item, "approximate", kp, default=False)))
    return sorted(events, key=lambda e: (e.month, e.label))


def _month(r: Reader, value: Any, keypath: str) -> str:
    """``2019-09`` (YAML may read ``2019-09-01`` as a date: its month is taken)."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str) and MONTH.match(value.strip()):
        return value.strip()
    raise r.fail(keypath, f"expected a month written like 2019-09, got {value!r}")


def for_dataset(events: Sequence[Event], dataset: str) -> list[Event]:
    return [e for e in events if e.concerns(dataset)]


def within(events: Sequence[Event], dataset: str, granularity: str, first: str, last: str) -> list[Event]:
    """The dataset's events whose period falls from ``first`` to ``last`` (periods of its granularity)."""
    low, high = calendar_index(first), calendar_index(last)
    return [e for e in for_dataset(events, dataset) if low <= calendar_index(e.period(granularity)) <= high]


def find_event(events: Sequence[Event], dataset: str, asked: str) -> Event:
    """The event a user names (its label, any case), among those concerning the dataset; ValueError otherwise."""
    mine = for_dataset(events, dataset)
    for e in mine:
        if e.label.casefold() == asked.strip().casefold():
            return e
    listed = "; ".join(f"{e.label} ({e.month})" for e in mine) or "none"
    raise ValueError(f"no event {asked!r} for {dataset} in config/events.yaml; its events: {listed}")


def window_span(event: Event, granularity: str, length: int, *, after: bool) -> PeriodRange:
    """``length`` periods before the event's period, or from it on (the event's own period is "after")."""
    start = calendar_index(event.period(granularity))
    first = start if after else start - length
    return PeriodRange(period_at(first, granularity), period_at(first + length - 1, granularity), granularity)
