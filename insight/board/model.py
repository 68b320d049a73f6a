"""The board pack's content model: sections of sentences, each with a table and a chart.

Writers (``word``, ``slides``, ``web_page``) lay it out; nothing here computes a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import altair as alt

from insight.display import charts

SAMPLE_MARK = "SAMPLE DATA (synthetic)"
MAX_POINTS = 3  # per slide

# --------------------------------------------------------------------------- content model


@dataclass
class Figure:
    """A chart with its title (naming survey and period) and alt text; rendered to PNG once."""

    title: str
    alt_text: str
    chart: alt.TopLevelMixin
    _png: bytes | None = field(default=None, repr=False)

    def png(self) -> bytes:
        if self._png is None:
            self._png = charts.to_png(self.chart)
        return self._png


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None = None


@dataclass
class Section:
    key: str
    heading: str
    paragraphs: list[str]
    points: list[str] = field(default_factory=list)  # at most three, for the slide
    table: Table | None = None
    figure: Figure | None = None
    # The app's views (addresses under the app, e.g. "satisfaction?dataset=victim&period=2019-09") that show
    # every figure this section states: the pack says what the pages say, and a test holds it to that.
    views: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.points = self.points[:MAX_POINTS] or self.paragraphs[:MAX_POINTS]


@dataclass
class BoardPack:
    title: str
    period: str | None  # the pack's month (asked for, or the latest a monthly survey holds); None: no monthly data
    period_words: str
    generated: dt.date
    sections: list[Section]
    sample_surveys: list[str]
    missing: list[str] = field(default_factory=list)  # one line per survey with no data for the period
    notes: list[str] = field(default_factory=list)  # one line per survey shown for an earlier period, and why

    @property
    def sample(self) -> bool:
        return bool(self.sample_surveys)

    def text(self) -> str:
        """Every word the pack carries (sentences, tables, chart titles and alt text), for checks."""
        parts = [self.title, self.period_words]
        for s in self.sections:
            parts += [s.heading, *s.paragraphs, *s.points]
            if s.table:
                parts += [s.table.title, *s.table.columns, *(c for r in s.table.rows for c in r)]
                parts += [s.table.note or ""]
            if s.figure:
                parts += [s.figure.title, s.figure.alt_text]
        return "\n".join(parts)
