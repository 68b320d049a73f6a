"""The one CSV writer: every CSV the app or the CLI writes goes through it.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula
to Excel and LibreOffice (OWASP, "CSV injection"); a comment such as
``=HYPERLINK("https://evil.example", "Click")`` would become a live link in a manager's
spreadsheet. Such text cells get a leading ``'``, which spreadsheets show as text. Numeric
columns stay numbers (``-5`` in a numeric column is a number, not a formula); a text
column's ``-5`` is prefixed like any other text, since we cannot tell what it will become.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

# OWASP's characters, and the full-width forms some spreadsheet locales also treat as formulas.
FORMULA_START = r"^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]"


def _text_columns(frame: pl.DataFrame) -> list[str]:
    return [n for n, t in frame.schema.items() if t == pl.String or isinstance(t, pl.Enum | pl.Categorical)]


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every formula-like text cell prefixed with ``'``; other columns untouched."""
    exprs = []
    for name in _text_columns(frame):
        text = pl.col(name).cast(pl.String)
        exprs.append(pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def to_csv(frame: pl.DataFrame) -> str:
    """CSV text, safe to open in a spreadsheet."""
    return neutralised(frame).write_csv()


def write_csv(frame: pl.DataFrame, path: str | Path) -> None:
    neutralised(frame).write_csv(path)
