"""Reading an uploaded file as a table of text, treating every byte as untrusted.

``read_export`` finds out what a file is from its bytes (not its name), reads CSV in
UTF-8, UTF-8 with a BOM, Windows-1252, UTF-8 with stray Windows-1252 characters (a file
pasted together from two sources) or UTF-16, with any line endings (``\\r`` alone too),
hands workbooks to ``insight.intake.workbook``, and finds the header row below any title lines.
A path is read as exactly that file: never as a pattern (``report*.csv``, ``report [final].csv``).

Every failure is an ``ExportError`` whose message is one sentence a manager can act on.
Parser errors are never passed on: Polars and ``csv`` quote whole rows, and a row holds
crime references and e-mail addresses.
"""

from __future__ import annotations

import codecs
import csv
import io
import threading
from pathlib import Path

import polars as pl

from insight.config.definition import normalise_label
from insight.intake.raw_table import (
    HEADER_SEARCH_ROWS,
    ExportError,
    RawTable,
    is_header,
    size_words,
    unique_names,
)

# The start of a file read first: to sniff it and find its header (20 lines fit many times over).
HEAD_BYTES = 2 * 1024 * 1024
# The largest file read (the Upload page's limit too, in .streamlit/config.toml): checking a
# file takes about twice its size in memory (a 280 MB CSV peaked at 0.5-0.6 GB, read from its path).
# 500, not 512: the uploader writes any limit above 500 MB as "1GB per file".
MAX_UPLOAD_MB = 500
MAX_FILE_BYTES = MAX_UPLOAD_MB * 1024 * 1024
# A plain CSV the CLI reads from its path is parsed in batches where it lies, never held whole:
# bulk loads may be bigger (10 million responses, 2.8 GB, peaked under 6 GB). Workbooks, text that
# must be converted first (UTF-16, \r line ends) and uploads keep the limit above.
MAX_CSV_PATH_MB = 4096
MAX_CSV_PATH_BYTES = MAX_CSV_PATH_MB * 1024 * 1024

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


def _is_plain(head: bytes) -> bool:
    """UTF-8 (or Windows-1252) text with ``\n`` line ends: read where it is, never converted."""
    return _utf16(head) is None and not (b"\n" not in head and b"\r" in head)


def _check_text(sample: bytes) -> None:
    controls = sum(sample.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 32)))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise ExportError("is not a CSV or Excel export: it holds binary data, not text")


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
    _check_text(data[:8192])
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


def _scan_csv(
    source: bytes | Path, skip_lines: int, header_row: int, keep: set[str] | None, labels: set[str]
) -> RawTable:
    """The rows below the header as text, numbered as a spreadsheet numbers them, read in batches
    straight from the path or the bytes (never copied first).

    ``keep``: the normalised names of the columns wanted (None: all). Every column is parsed, so
    Polars still refuses a row with more values than the header and a row is blank only when
    every cell is; the others (PII among them) are never held whole. ``labels``: normalised names
    of columns holding a few labels many times, kept dictionary-coded (Categorical: the same text
    in a fraction of the memory).
    """
    lazy = pl.scan_csv(
        source,
        glob=False,  # the file named, whatever characters its name holds
        skip_lines=skip_lines,
        infer_schema=False,
        raise_if_empty=False,
        row_index_name="__row",
        row_index_offset=header_row + 1,
    )
    cells = lazy.collect_schema().names()[1:]
    names = unique_names(cells)
    kept = [(c, n) for c, n in zip(cells, names, strict=True) if keep is None or normalise_label(n) in keep]
    columns = [
        (pl.col(c).cast(pl.Categorical) if normalise_label(n) in labels else pl.col(c)).alias(n) for c, n in kept
    ]
    # Rows in which every cell is empty are not responses: count them, don't keep them.
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.len_bytes() == 0) for c in cells])
    frame = lazy.select(
        pl.col("__row").cast(pl.Int64), *columns, (blank if cells else pl.lit(False)).alias("__blank")
    ).collect(engine="streaming")
    if not frame.get_column("__row").is_sorted():
        frame = frame.sort("__row")
    n_blank = int(frame.get_column("__blank").sum())
    frame = (frame.filter(~pl.col("__blank")) if n_blank else frame).drop("__blank")
    return RawTable(frame, header_row, "utf-8", n_blank, header=names if keep is not None else [])


def _body(source: bytes | Path, offset: int) -> bytes:
    """The text from the header line on (only when something is wrong: a path is read whole here)."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data)[offset:]


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


# Windows-1252 leaves five bytes undefined: a file holding one is in neither encoding.
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_stray = threading.local()  # the bytes the error handler below read as Windows-1252, per thread


class _NeitherEncoding(ValueError):
    def __init__(self, position: int, byte: int) -> None:
        super().__init__(position, byte)
        self.position, self.byte = position, byte


def _cp1252_where_not_utf8(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the bytes that are not UTF-8 read as Windows-1252 (``"café"`` saved by Excel)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    for i, byte in enumerate(bad):
        if byte in _NOT_CP1252:
            raise _NeitherEncoding(exc.start + i, byte)
    _stray.count = getattr(_stray, "count", 0) + len(bad)
    return bytes(bad).decode("cp1252"), exc.end


codecs.register_error("insight-cp1252", _cp1252_where_not_utf8)


def _utf8_or_cp1252(data: bytes, first_line: int) -> tuple[bytes, str]:
    """Text that is not all UTF-8, as UTF-8: each stretch that is UTF-8 read as UTF-8, each byte that is not
    as Windows-1252. One sentence naming the line when a byte is neither. ``first_line``: the line ``data``
    starts on in the file."""
    _stray.count = 0
    try:
        text = data.decode("utf-8", errors="insight-cp1252")
    except _NeitherEncoding as exc:
        line = first_line + data.count(b"\n", 0, exc.position)
        raise ExportError(
            f"is neither UTF-8 nor Windows-1252 text: line {line} holds the byte 0x{exc.byte:02X}, which neither "
            "encoding has; save it again from Excel as 'CSV UTF-8'"
        ) from None
    # Every byte above 0x7F read as Windows-1252: a Windows-1252 file; some only: UTF-8 with a few strays.
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    encoding = "cp1252" if _stray.count >= high else "utf-8 with Windows-1252 characters"
    return text.encode("utf-8"), encoding


def _read_csv(
    source: bytes | Path, head: bytes, encoding: str, expected: set[str] | None, keep: set[str] | None, labels: set[str]
) -> RawTable:
    """``head``: the start of the text (without a BOM), where the header is found."""
    offset, header_row = _header_offset(head, expected)
    try:
        try:
            raw = _scan_csv(source, header_row - 1, header_row, keep, labels)
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower() or encoding not in ("utf-8", "utf-8-sig"):
                raise
            # Not all UTF-8: a Windows-1252 export saved from Excel, or UTF-8 with a few Windows-1252 bytes pasted in.
            source, encoding = _utf8_or_cp1252(_body(source, offset), header_row)
            offset = 0
            raw = _scan_csv(source, 0, header_row, keep, labels)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):
        # Polars quotes the offending rows: never pass its message on (nor chain it).
        raise ExportError(_first_bad_row(_body(source, offset), header_row)) from None
    raw.encoding = encoding
    return raw


# --------------------------------------------------------------------------- any export


def check_size(n_bytes: int, *, streamed: bool = False) -> None:
    """``streamed``: a plain CSV read from its path in batches (the CLI), allowed to be bigger."""
    limit, mb = (MAX_CSV_PATH_BYTES, MAX_CSV_PATH_MB) if streamed else (MAX_FILE_BYTES, MAX_UPLOAD_MB)
    if n_bytes > limit:
        raise ExportError(f"is {size_words(n_bytes)}; files up to {mb} MB are accepted: split the export by month")


def read_export(
    data: bytes | Path,
    file_name: str,
    expected: set[str] | None = None,
    keep: set[str] | None = None,
    labels: set[str] | None = None,
) -> RawTable:
    """Read a CSV or XLSX file (its bytes, or its path) as text columns.

    ``expected`` (normalised names) finds the header; ``keep`` (normalised names) are the columns
    wanted, all when None (``RawTable.columns`` still names every one); ``labels`` those held
    dictionary-coded. A plain CSV is read where it is (the path, the bytes), never copied.
    Raises ExportError with one sentence (without the file name; the caller adds it).
    """
    if isinstance(data, Path):
        size = data.stat().st_size
        check_size(size, streamed=True)  # before reading a huge file
        with data.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        whole = head[:4] in (b"PK\x03\x04", b"PK\x05\x06") or not _is_plain(head)
        if whole:
            check_size(size)  # a workbook, or text to convert, is read whole: the upload limit
            return read_export(data.read_bytes(), file_name, expected, keep, labels)
        source: bytes | Path = data
    else:
        check_size(len(data))
        head, source = data[:HEAD_BYTES], data
    if not head[:4096].strip() and not (data if isinstance(data, bytes) else data.read_bytes()).strip():
        raise ExportError("is empty")  # strip() copies: only for a file that starts blank
    _sniff_binary(head)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        from insight.intake.workbook import read_xlsx

        assert isinstance(data, bytes)  # a path to a workbook was read whole above
        raw = read_xlsx(data, expected)
    elif file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ExportError("is named as an Excel workbook but is not one (damaged, or renamed?): save it again")
    elif _is_plain(head):
        bom = head.startswith(b"\xef\xbb\xbf")
        text_head = head[3:] if bom else head
        _check_text(text_head[:8192])
        raw = _read_csv(source, text_head, "utf-8-sig" if bom else "utf-8", expected, keep, labels or set())
    else:
        assert isinstance(data, bytes)  # a path to text that is not plain was read whole above
        text, encoding = _as_utf8_text(data)  # UTF-16, or \r line ends: converted
        raw = _read_csv(text, text[:HEAD_BYTES], encoding, expected, keep, labels or set())
    if raw.frame.height == 0:
        raise ExportError(
            "has a header row but no rows below it"
            + (f" (only {raw.blank_rows} empty line(s))" if raw.blank_rows else "")
            + ": was it exported with a filter that matched nothing?"
        )
    return raw
