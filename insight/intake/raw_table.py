"""A file read as a table of text, and what every reader of one shares.

``RawTable`` is what ``insight.intake.reading`` (CSV) and ``insight.intake.workbook``
(Excel) both return and ``insight.intake.tidy`` shapes; ``ExportError`` is the one
sentence any of them raises for a file that cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from insight.config.definition import normalise_label

HEADER_SEARCH_ROWS = 20  # a header is looked for this far down (below a title line and a blank one)
CELL_PROBLEM_SCHEMA = {"row": pl.Int64, "column": pl.String, "problem": pl.String}


class ExportError(ValueError):
    """The file cannot be read as an export at all; the message is one plain sentence."""


@dataclass
class RawTable:
    """An export read as text: every column a string, header names as in the file."""

    frame: pl.DataFrame  # the rows below the header, with __row (1-based, as a spreadsheet numbers it)
    header_row: int
    encoding: str
    blank_rows: int = 0
    # Cells a workbook cannot give a value for (merged cells, formulas never calculated).
    cell_problems: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CELL_PROBLEM_SCHEMA))
    header: list[str] = field(default_factory=list)  # every column of the file when only some were kept

    @property
    def columns(self) -> list[str]:
        """Every column name in the header, read or not."""
        return self.header or [c for c in self.frame.columns if c != "__row"]


def size_words(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def is_header(cells: Sequence[str | None], expected: set[str] | None) -> bool:
    names = {normalise_label(c) for c in cells if c and c.strip()}
    if expected:
        return len(names & expected) >= min(2, len(expected))
    return len(names) >= 3


def unique_names(header: Sequence[str | None]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        name = (name or "").strip("\r\n") or "(unnamed)"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 0
        out.append(name)
    return out


def without_blank_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Rows in which every cell is empty are not responses: count them, don't keep them."""
    cells = [c for c in frame.columns if c != "__row"]
    if not cells:
        return frame, 0
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.len_bytes() == 0) for c in cells])
    n = int(frame.select(blank.sum()).item())
    return (frame.filter(~blank) if n else frame), n
