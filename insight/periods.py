"""Reporting periods: months written ``2019-09`` and quarters written ``2019-Q3``.

Both forms sort correctly as text, which is why they are stored as text.
"""

from __future__ import annotations

import re

import polars as pl

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


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


def period_label(period: str) -> str:
    """``2019-09`` -> ``September 2019``; ``2019-Q3`` -> ``Jul-Sep 2019 (Q3)``."""
    import calendar

    if m := MONTH.match(period):
        return f"{calendar.month_name[int(m.group(2))]} {m.group(1)}"
    if m := QUARTER.match(period):
        q = int(m.group(2))
        first, last = calendar.month_abbr[3 * q - 2], calendar.month_abbr[3 * q]
        return f"{first}-{last} {m.group(1)} (Q{q})"
    return period
