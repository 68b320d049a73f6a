"""Reporting periods: months written ``2019-09`` and quarters written ``2019-Q3``, and ranges of them.

Both forms sort correctly as text, which is why they are stored as text. A range is
written ``2019-07..2019-09`` (inclusive); the responses in it are counted together.

A survey wave whose fieldwork ran over several months is stored as one period written as a
range, ``2022-12..2023-01`` (given at import, or mapped from a wave label): it is one wave,
placed in time by its first month (its text sorts just after that month's) and labelled
"December 2022 – January 2023". Chosen as one period it is that wave (``held_as_one``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
RANGE_SEPARATOR = ".."


def period_expr(date: pl.Expr, granularity: str) -> pl.Expr:
    """The period a date falls in, as text."""
    if granularity == "month":
        return date.dt.strftime("%Y-%m")
    return pl.concat_str([date.dt.year().cast(pl.String), pl.lit("-Q"), date.dt.quarter().cast(pl.String)])


def check_period(text: str, granularity: str) -> str:
    """Validate a period typed by a user; raises ValueError with the expected form."""
    pattern, example = (MONTH, "2019-09") if granularity == "month" else (QUARTER, "2019-Q3")
    text = text.strip().upper()
    if not pattern.match(text):
        raise ValueError(f"period {text!r} is not a {granularity}; write it like {example}")
    return text


def check_wave(text: str, granularity: str) -> str:
    """A period given at import or mapped from a wave label: one period (``2022-12``), or the months its
    fieldwork ran over (``2022-12..2023-01``), one wave; raises ValueError with the expected form."""
    parts = text.strip().split(RANGE_SEPARATOR)
    if len(parts) > 2:
        raise ValueError(
            f"period {text.strip()!r}: write a fieldwork range as FIRST..LAST, e.g. {_example(granularity)}"
        )
    first, last = check_period(parts[0], granularity), check_period(parts[-1], granularity)
    if calendar_index(last) < calendar_index(first):
        raise ValueError(f"period {text.strip()!r}: the range ends before it starts")
    return first if first == last else f"{first}{RANGE_SEPARATOR}{last}"


def first_period(period: str) -> str:
    """The period a held period is placed at: itself, or the first of a fieldwork range."""
    return period.split(RANGE_SEPARATOR, 1)[0]


def last_period(period: str) -> str:
    """The last calendar period a held period covers: itself, or the last of a fieldwork range."""
    return period.rsplit(RANGE_SEPARATOR, 1)[-1]


def period_start(period: str) -> dt.date:
    """The first day of a period (of a fieldwork range, of its first month): ``2022-Q1`` -> 1 Jan 2022."""
    year, rest = first_period(period).split("-")
    month = (int(rest[1]) - 1) * 3 + 1 if rest.startswith("Q") else int(rest)
    return dt.date(int(year), month, 1)


def calendar_index(period: str) -> int:
    """Months (or quarters) since year 0: consecutive periods differ by 1, whatever data is held.

    A fieldwork range is placed at its first period."""
    period = first_period(period)
    if m := MONTH.match(period):
        return int(m.group(1)) * 12 + int(m.group(2)) - 1
    if m := QUARTER.match(period):
        return int(m.group(1)) * 4 + int(m.group(2)) - 1
    raise ValueError(f"{period!r} is not a period")


def period_at(index: int, granularity: str) -> str:
    """The inverse of ``calendar_index``."""
    if granularity == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    return f"{index // 4:04d}-Q{index % 4 + 1}"


@dataclass(frozen=True)
class PeriodRange:
    """An inclusive run of calendar periods, ``first..last`` (one period when they are equal)."""

    first: str
    last: str
    granularity: str

    @property
    def text(self) -> str:
        """How the range is written in the URL, the CLI and the JSON: ``2019-09`` or ``2019-07..2019-09``."""
        return self.first if self.first == self.last else f"{self.first}{RANGE_SEPARATOR}{self.last}"

    @property
    def periods(self) -> list[str]:
        """Every calendar period in the range, held or not (a single period, or wave, is itself)."""
        if self.first == self.last:
            return [self.first]
        start, end = calendar_index(self.first), calendar_index(self.last)
        return [period_at(i, self.granularity) for i in range(start, end + 1)]

    @property
    def length(self) -> int:
        return calendar_index(self.last) - calendar_index(self.first) + 1

    @property
    def is_single(self) -> bool:
        return self.first == self.last

    def before(self) -> PeriodRange:
        """The same number of calendar periods immediately before."""
        end = calendar_index(self.first) - 1
        return PeriodRange(period_at(end - self.length + 1, self.granularity), period_at(end, self.granularity),
                           self.granularity)  # fmt: skip

    def months(self) -> list[str]:
        """The calendar months the range covers (a quarter is three months)."""
        if self.granularity == "month":
            return self.periods
        out = []
        for p in self.periods:
            year, q = p.split("-Q")
            out += [f"{year}-{m:02d}" for m in range(3 * int(q) - 2, 3 * int(q) + 1)]
        return out

    def is_whole_quarters_or_year(self) -> bool:
        """One period, one calendar quarter, or one financial year (April to March)."""
        if self.is_single:
            return True
        start = calendar_index(self.first)
        if self.granularity == "month":
            whole_quarter = self.length == 3 and start % 3 == 0
            return whole_quarter or (self.length == 12 and start % 12 == 3)
        return self.length == 4 and start % 4 == 1


def parse_range(text: str, granularity: str, held: Collection[str] | None = None) -> PeriodRange:
    """``2019-09`` or ``2019-07..2019-09``; raises ValueError with the expected form.

    With ``held``, a range written as a held wave (``2022-12..2023-01``) is that one wave."""
    if held is not None and RANGE_SEPARATOR in text:
        with_wave = held_as_one(text.strip(), granularity, held)
        if with_wave is not None:
            return with_wave
    parts = text.strip().split(RANGE_SEPARATOR)
    if len(parts) > 2:
        raise ValueError(f"period {text.strip()!r}: write a range as FIRST..LAST, e.g. {_example(granularity)}")
    first = check_period(parts[0], granularity)
    last = check_period(parts[-1], granularity)
    if calendar_index(last) < calendar_index(first):
        raise ValueError(f"period {text.strip()!r}: the range ends before it starts")
    return PeriodRange(first, last, granularity)


def held_as_one(text: str, granularity: str, held: Collection[str]) -> PeriodRange | None:
    """The held wave a range's text names (``2022-12..2023-01`` stored as one period), or None."""
    return PeriodRange(text, text, granularity) if RANGE_SEPARATOR in text and text in held else None


def placed_in(span: PeriodRange) -> pl.Expr:
    """The held periods a span takes in: the period itself for one period or wave; for a range, every
    period (wave) placed, by its first month, inside it."""
    if span.is_single:
        return pl.col("period") == span.first
    return pl.col("period").cast(pl.String).str.slice(0, 7).is_in(span.periods)  # 2019-09, 2019-Q3: 7 characters


def _example(granularity: str) -> str:
    return "2019-07..2019-09" if granularity == "month" else "2019-Q1..2019-Q4"


def financial_year_start(period: str, granularity: str) -> str:
    """The first period of the financial year (April to March) a period falls in."""
    index = calendar_index(period)
    if granularity == "month":
        year = index // 12 if index % 12 >= 3 else index // 12 - 1
        return f"{year:04d}-04"
    year = index // 4 if index % 4 >= 1 else index // 4 - 1
    return f"{year:04d}-Q2"


def last_n(latest: str, n: int, granularity: str) -> PeriodRange:
    """The ``n`` calendar periods ending with ``latest`` (a fieldwork wave: with its first month)."""
    latest = first_period(latest)
    return PeriodRange(period_at(calendar_index(latest) - n + 1, granularity), latest, granularity)


def period_label(period: str) -> str:
    """``2019-09`` -> ``September 2019``; ``2019-Q3`` -> ``Jul-Sep 2019 (Q3)``; ranges and fieldwork waves
    ``July – September 2019``, ``December 2022 – January 2023``."""
    if RANGE_SEPARATOR in period:
        first, last = period.split(RANGE_SEPARATOR, 1)
        a, b = period_label(first), period_label(last)
        if MONTH.match(first) and first[:4] == last[:4]:
            a = calendar.month_name[int(first[5:7])]
        return f"{a} \u2013 {b}"
    if m := MONTH.match(period):
        return f"{calendar.month_name[int(m.group(2))]} {m.group(1)}"
    if m := QUARTER.match(period):
        q = int(m.group(2))
        first, last = calendar.month_abbr[3 * q - 2], calendar.month_abbr[3 * q]
        return f"{first}-{last} {m.group(1)} (Q{q})"
    return period


# --------------------------------------------------------------------------- the period picker

ONE, LAST_3, LAST_12, YEAR_TO_DATE, CUSTOM, WHOLE_QUARTER, FINANCIAL_YEAR = (
    "one", "last3", "last12", "fytd", "custom", "quarter", "year",
)  # fmt: skip
CHOICE_LABELS = {
    ONE: "One period",
    LAST_3: "Last 3",
    LAST_12: "Last 12",
    YEAR_TO_DATE: "Financial year to date",
    CUSTOM: "Custom range",
    WHOLE_QUARTER: "A whole quarter",
    FINANCIAL_YEAR: "A whole financial year",
}


def picker_choices(secondary: bool) -> list[str]:
    """What the period picker offers; a dataset with secondary suppression gets whole quarters or years only."""
    return [ONE, WHOLE_QUARTER, FINANCIAL_YEAR] if secondary else [ONE, LAST_3, LAST_12, YEAR_TO_DATE, CUSTOM]


def whole_quarters(held: list[str], granularity: str) -> list[PeriodRange]:
    """Complete calendar quarters (ending by the latest period held) with any period held, latest first."""
    if granularity == "quarter":
        return [PeriodRange(p, p, granularity) for p in sorted(set(held), reverse=True)]
    starts = sorted({calendar_index(p) // 3 * 3 for p in held}, reverse=True)
    spans = [PeriodRange(period_at(s, granularity), period_at(s + 2, granularity), granularity) for s in starts]
    return [s for s in spans if s.last <= max(held)]


def financial_years(held: list[str], granularity: str) -> list[PeriodRange]:
    """Complete financial years (April to March, ending by the latest period held) with any period held."""
    per_year = 12 if granularity == "month" else 4
    starts = sorted({calendar_index(financial_year_start(p, granularity)) for p in held}, reverse=True)
    spans = [PeriodRange(period_at(s, granularity), period_at(s + per_year - 1, granularity), granularity)
             for s in starts]  # fmt: skip
    return [s for s in spans if s.last <= max(held)]


def resolve_choice(choice: str, latest: str, granularity: str) -> PeriodRange:
    """The range a relative choice means today: last 3 or 12 periods, or the financial year to date."""
    if choice == LAST_3:
        return last_n(latest, 3, granularity)
    if choice == LAST_12:
        return last_n(latest, 12, granularity)
    if choice == YEAR_TO_DATE:
        return PeriodRange(financial_year_start(latest, granularity), first_period(latest), granularity)
    return PeriodRange(latest, latest, granularity)


def choice_for(span: PeriodRange, secondary: bool) -> str:
    """The picker choice that shows a range opened from a link (a link holds the resolved range)."""
    if span.is_single:
        return ONE
    if not secondary:
        return CUSTOM
    return WHOLE_QUARTER if span.length == (3 if span.granularity == "month" else 1) else FINANCIAL_YEAR
