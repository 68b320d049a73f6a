"""Reading an uploaded file as a table of text, treating every byte as untrusted.

``read_export`` finds out what a file is from its bytes (not its name), reads CSV in
UTF-8, UTF-8 with a BOM, Windows-1252 or UTF-16, with any line endings (``\\r`` alone too),
hands workbooks to ``insight.xlsx``, and finds the header row below any title lines.

Every failure is an ``ExportError`` whose message is one sentence a manager can act on.
Parser errors are never passed on: Polars and ``csv`` quote whole rows, and a row holds
crime references and e-mail addresses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import polars as pl

from insight.definition import normalise_label

HEADER_SEARCH_ROWS = 20
# The largest file read (the Upload page's limit too, in .streamlit/config.toml): checking a
# file takes about four times its size in memory (a 280 MB CSV peaked at 1.1 GB).
MAX_UPLOAD_MB = 512
MAX_FILE_BYTES = MAX_UPLOAD_MB * 1024 * 1024
CELL_PROBLEM_SCHEMA = {"row": pl.Int64, "column": pl.String, "problem": pl.String}

# Files people upload by mistake, recognised by their first bytes.
_NOT_EXPORTS = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"{\\rtf": "a Word (RTF) document",
    b"<?xml": "an XML file",
}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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

    @property
    def columns(self) -> list[str]:
        return [c for c in self.frame.columns if c != "__row"]


def size_words(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def is_header(cells: list[str | None], expected: set[str] | None) -> bool:
    names = {normalise_label(c) for c in cells if c and c.strip()}
    if expected:
        return len(names & expected) >= min(2, len(expected))
    return len(names) >= 3


def unique_names(header: list[str | None]) -> list[str]:
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


# --------------------------------------------------------------------------- what is this file?


def _sniff_binary(data: bytes) -> None:
    head = data[:16]
    if head.startswith(OLE2):
        raise ExportError(
            "is an old-style Excel (.xls) workbook or a password-protected one, which cannot be read: "
            "save it in Excel as .xlsx (without a password) or as CSV"
        )
    for magic, what in _NOT_EXPORTS.items():
        if head.startswith(magic):
            raise ExportError(f"is {what}, not a CSV or Excel export")


def _utf16(data: bytes) -> str | None:
    """'utf-16' with a BOM, 'utf-16-le'/'utf-16-be' without one (text of mostly ASCII), else None."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    sample = data[:4000]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _as_utf8_text(data: bytes) -> tuple[bytes, str]:
    """The bytes as UTF-8 with plain line ends, and the encoding they arrived in.

    Windows-1252 is not decided here: Polars reads UTF-8 and we fall back when it cannot.
    """
    encoding = "utf-8"
    utf16 = _utf16(data)
    if utf16:
        try:
            data = data.decode(utf16).encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExportError(
                f"looks like UTF-16 text but is damaged at byte {exc.start}: save it again as CSV"
            ) from None
        encoding = utf16
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends: \r alone is a valid CSV line end
        data = data.replace(b"\r", b"\n")
    sample = data[:8192]
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise ExportError("is not a CSV or Excel export: it holds binary data, not text")
    return data, encoding


# --------------------------------------------------------------------------- CSV


def _header_offset(data: bytes, expected: set[str] | None) -> tuple[int, int]:
    """Byte offset and 1-based line of the header: the reporting tool may put title lines above it."""
    offset = 0
    for i in range(HEADER_SEARCH_ROWS):
        end = data.find(b"\n", offset, offset + 1_000_000)
        line = data[offset : end if end >= 0 else offset + 1_000_000]
        try:
            cells = next(csv.reader([line.decode("utf-8", errors="replace").rstrip("\r")]), [])
        except csv.Error:
            cells = []
        if is_header(cells, expected):
            return offset, i + 1
        if end < 0:
            break
        offset = end + 1
    first_line = data[: data.find(b"\n") if b"\n" in data else 10_000].decode("utf-8", errors="replace")
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
        if is_header(first_line.split(separator), expected):
            raise ExportError(
                f"separates its values with {name}, not commas: save it from Excel as 'CSV (Comma delimited)'"
            )
    raise ExportError(
        f"has no header row in its first {HEADER_SEARCH_ROWS} lines (is it the survey export, saved as CSV?)"
    )


def _parse_csv(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), infer_schema=False, raise_if_empty=False)


def _first_bad_row(data: bytes, header_row: int) -> str:
    """Where the CSV goes wrong, found with Python's csv module; the sentence quotes nothing from the file."""
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""), strict=True)
    width = None
    start = header_row
    try:
        for row in reader:
            if width is None:
                width = len(row)
            elif len(row) > width:
                return (
                    f"has {len(row)} values on row {start} but its header has {width} columns "
                    "(a stray comma or quote?): correct the file and save it again"
                )
            start = header_row + reader.line_num
    except csv.Error:
        return f'has a quote (") that is never closed, starting on row {start}: correct the file and save it again'
    return "could not be read as CSV: a row is damaged (a stray quote or comma?)"


def _read_csv(data: bytes, encoding: str, expected: set[str] | None) -> RawTable:
    offset, header_row = _header_offset(data, expected)
    body = data[offset:]
    try:
        try:
            frame = _parse_csv(body)
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower() or encoding != "utf-8":
                raise
            # Not UTF-8: a Windows-1252 export saved from Excel.
            body = body.decode("cp1252", errors="replace").encode("utf-8")
            frame, encoding = _parse_csv(body), "cp1252"
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        # Polars quotes the offending rows: never pass its message on (nor chain it).
        raise ExportError(_first_bad_row(body, header_row)) from None
    frame = frame.rename(dict(zip(frame.columns, unique_names(frame.columns), strict=True)))
    numbered = frame.with_row_index("__row", offset=header_row + 1).with_columns(pl.col("__row").cast(pl.Int64))
    numbered, blank = without_blank_rows(numbered)
    return RawTable(numbered, header_row, encoding, blank)


# --------------------------------------------------------------------------- any export


def check_size(n_bytes: int) -> None:
    if n_bytes > MAX_FILE_BYTES:
        raise ExportError(
            f"is {size_words(n_bytes)}; files up to {MAX_UPLOAD_MB} MB are accepted: split the export by month"
        )


def read_export(data: bytes, file_name: str, expected: set[str] | None = None) -> RawTable:
    """Read CSV or XLSX bytes as text columns; ``expected`` (normalised names) finds the header.

    Raises ExportError with one sentence (without the file name; the caller adds it).
    """
    check_size(len(data))
    if not data[:4096].strip() and not data.strip():  # strip() copies: only for a file that starts blank
        raise ExportError("is empty")
    _sniff_binary(data)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        from insight.xlsx import read_xlsx

        raw = read_xlsx(data, expected)
    elif file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ExportError("is named as an Excel workbook but is not one (damaged, or renamed?): save it again")
    else:
        text, encoding = _as_utf8_text(data)
        raw = _read_csv(text, encoding, expected)
    if raw.frame.height == 0:
        raise ExportError(
            "has a header row but no rows below it"
            + (f" (only {raw.blank_rows} empty line(s))" if raw.blank_rows else "")
            + ": was it exported with a filter that matched nothing?"
        )
    return raw
