"""Reading an .xlsx workbook safely: size checked before parsing, cells fastexcel cannot explain found.

An .xlsx file is a zip of XML. Before anything parses it we refuse one that expands to
more than 100 times its size or to over 2 GB (a real 100k-row export expands about 19
times; a 1 MB "zip bomb" that expanded to 1 GB took 3 GB of memory), and read every member
through once so a damaged or lying archive is caught here, not inside the parser.

fastexcel (calamine) reads the first worksheet as text. It cannot say which cells are
merged or hold a formula Excel never calculated (both arrive as empty), so one streaming
pass over the sheet's XML finds them; they become row problems, never "Not stated".
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from insight.intake.masking import scrub
from insight.intake.raw_table import (
    CELL_PROBLEM_SCHEMA,
    HEADER_SEARCH_ROWS,
    ExportError,
    RawTable,
    is_header,
    size_words,
    unique_names,
    without_blank_rows,
)

MAX_EXPANSION = 100
MAX_UNCOMPRESSED = 2 * 1024**3
MAX_MEMBERS = 10_000
CHUNK = 8 * 1024 * 1024
INFLATE_AT_ONCE = 256 * 1024 * 1024  # a sheet's XML up to this size is inflated whole, beside the parse

DAMAGED = "is a damaged or incomplete Excel workbook (was the download or copy cut short?): save it again from Excel"

_ATTR_R = re.compile(rb'\br="([A-Za-z]*)(\d+)"')
_ATTR_T = re.compile(rb'\bt="(\w+)"')
_NAMESPACE_PREFIX = re.compile(rb"<(\w+:)?(?:worksheet|sheetData)\b")


class _Tags:
    """The sheet's element patterns, for its namespace prefix ("" or e.g. "x:"): a literal start keeps
    Python's regex scanning fast (an optional prefix group made the row search 20 times slower)."""

    def __init__(self, prefix: bytes) -> None:
        p = re.escape(prefix)
        self.row_open = b"<" + prefix + b"row"
        self.row_start = re.compile(rb"<" + p + rb"row\b([^>]*)>")
        self.row_end = b"</" + prefix + b"row>"
        self.cell = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.S)
        self.formula = re.compile(rb"<" + p + rb"f[\s>/]")
        self.value = re.compile(rb"<" + p + rb"v>\s*[^<\s]")
        self.text_value = re.compile(rb"<" + p + rb"(?:v|is)\b")
        self.merge = re.compile(rb"<" + p + rb'mergeCell\b[^>]*?\bref="([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?"')


_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\b(?:\w+:)?id=\"([^\"]+)\"")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")


def column_index(letters: str) -> int:
    """A1-style column letters -> 0-based index (A -> 0, AA -> 26)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class SheetScan:
    """What the sheet's XML says that calamine does not."""

    first_row: int | None = None  # the first row with a value: calamine's frame starts here
    early: dict[int, list[int]] = field(default_factory=dict)  # row -> columns with a value, top rows only
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column) with no saved value
    merges: list[tuple[int, int, int]] = field(default_factory=list)  # (first row, last row, first column)


class _Scanner:
    def __init__(self, tags: _Tags) -> None:
        self.tags = tags
        self.scan = SheetScan()
        self.row = 0

    def _has_value(self, attrs: bytes, inner: bytes | None) -> bool:
        """As calamine sees a cell: a non-empty <v>, an inline string, or a text-typed <v> even if empty."""
        if not inner:
            return False
        if self.tags.value.search(inner):
            return True
        kind = _ATTR_T.search(attrs)
        return bool(kind and kind.group(1) in (b"inlineStr", b"str", b"s") and self.tags.text_value.search(inner))

    def _is_top(self, row: int | None = None) -> bool:
        """Whether ``row`` (the current row when None) is among the top rows, where the header is looked for."""
        row = self.row if row is None else row
        return self.scan.first_row is None or row < self.scan.first_row + HEADER_SEARCH_ROWS + 1

    def rows(self, part: bytes) -> None:
        """Walk the row starts (cheap); read cells only in the top rows and in rows holding a formula."""
        has_formula = self.tags.formula.search(part) is not None
        if not has_formula and not self._is_top():
            self._skip(part)
            return
        starts = list(self.tags.row_start.finditer(part))
        for i, row in enumerate(starts):
            ref = _ATTR_R.search(row.group(1))
            number = int(ref.group(2)) if ref else self.row + 1
            if not has_formula and not self._is_top(number):  # past the top rows: nothing more to read here
                self._skip(part[row.start() :])  # counts this row too
                return
            self.row = number
            if row.group(1).endswith(b"/"):
                continue  # <row .../>: no cells
            end = starts[i + 1].start() if i + 1 < len(starts) else len(part)
            top = self._is_top()
            if top or (has_formula and self.tags.formula.search(part, row.end(), end)):
                self._cells(part[row.end() : end], top)

    def _skip(self, part: bytes) -> None:
        """Past the top rows, in a part without a formula: nothing to read, only the row number moves on
        (to the last numbered row, plus any unnumbered rows after it), found from the part's end."""
        after = 0
        end = len(part)
        while (at := part.rfind(self.tags.row_open, 0, end)) >= 0:
            end = at
            row = self.tags.row_start.match(part, at)
            if row is None:
                continue  # another element whose name starts "row" (rowBreaks)
            ref = _ATTR_R.search(row.group(1))
            if ref:
                self.row = int(ref.group(2)) + after
                return
            after += 1
        self.row += after

    def _cells(self, inner: bytes, top: bool) -> None:
        col = -1
        for cell in self.tags.cell.finditer(inner):
            ref = _ATTR_R.search(cell.group(1))
            col = column_index(ref.group(1).decode()) if ref and ref.group(1) else col + 1
            body = cell.group(2)
            valued = self._has_value(cell.group(1), body)
            if valued and self.scan.first_row is None:
                self.scan.first_row = self.row
            if valued and top:
                self.scan.early.setdefault(self.row, []).append(col)
            if body and self.tags.formula.search(body) and not self.tags.value.search(body):
                self.scan.formulas.append((self.row, col))

    def merges(self, part: bytes) -> None:
        for m in self.tags.merge.finditer(part):
            first, last = int(m.group(2)), int(m.group(4) or m.group(2))
            self.scan.merges.append((first, last, column_index(m.group(1).decode())))


def _scan_sheet(book: zipfile.ZipFile, member: str) -> SheetScan:
    """One streaming pass over the sheet XML (bounded by the sizes already checked)."""
    with book.open(member) as fh:
        return _scan(iter(lambda: fh.read(CHUNK), b""))


def _scan(chunks: Iterable[bytes]) -> SheetScan:
    """The sheet's XML, a chunk at a time (rows may be cut anywhere between chunks)."""
    scanner: _Scanner | None = None
    rest = b""
    for chunk in chunks:
        buf = rest + chunk
        if scanner is None:
            found = _NAMESPACE_PREFIX.search(buf)
            scanner = _Scanner(_Tags((found.group(1) or b"") if found else b""))
        end_tag = scanner.tags.row_end
        cut = buf.rfind(end_tag)
        if cut < 0 and len(buf) < 4 * CHUNK:
            rest = buf
            continue
        cut = cut + len(end_tag) if cut >= 0 else len(buf)
        scanner.rows(buf[:cut])
        rest = buf[cut:]
    scanner = scanner or _Scanner(_Tags(b""))
    scanner.rows(rest)
    scanner.merges(rest)
    return scanner.scan


def _inflate(book: zipfile.ZipFile, member: str, started: threading.Event) -> bytes:
    """The member's bytes, inflated in one call (zlib releases the GIL for all of it) and checked
    against its CRC; ``started`` is set just before, so the caller's next call can run meanwhile."""
    try:
        fh = book.open(member)
    finally:
        started.set()
    with fh:
        return fh.read()


def _first_sheet(book: zipfile.ZipFile) -> str:
    """The first worksheet's member name, from the workbook's own list."""
    names = set(book.namelist())
    if "xl/workbook.xml" not in names:
        raise ExportError("is a zip archive, not an Excel workbook")
    sheets = _SHEET.findall(book.read("xl/workbook.xml"))
    if not sheets:
        raise ExportError("is an Excel workbook with no worksheet in it")
    rels = book.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    for rel in _REL.finditer(rels):
        attrs = rel.group(1)
        rid = re.search(rb'\bId="([^"]+)"', attrs)
        target = re.search(rb'\bTarget="([^"]+)"', attrs)
        if rid and target and rid.group(1) == sheets[0]:
            path = target.group(1).decode("utf-8", errors="replace").lstrip("/")
            path = path if path.startswith("xl/") else f"xl/{path}"
            if path in names and "worksheets/" in path:
                return path
            raise ExportError("has a chart or other non-table sheet first: move the data sheet to the front")
    raise ExportError(DAMAGED)


def _open_checked(data: bytes) -> zipfile.ZipFile:
    """Open the archive and refuse it if it would expand too far; read every member to check it."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        members = book.infolist()
    except Exception:  # zipfile raises many kinds (BadZipFile, zlib.error, struct.error...) on a damaged archive
        raise ExportError(DAMAGED) from None
    if len(members) > MAX_MEMBERS:
        raise ExportError(f"holds {len(members):,} files inside it, far more than any Excel workbook; not read")
    expanded = sum(m.file_size for m in members)
    if expanded > MAX_UNCOMPRESSED or expanded > MAX_EXPANSION * len(data):
        raise ExportError(
            f"would expand from {size_words(len(data))} to {size_words(expanded)} when opened, more than "
            f"{MAX_EXPANSION} times its size or over {size_words(MAX_UNCOMPRESSED)}, so it is not read "
            "(real exports expand about 20 times): save the sheet as CSV and upload that"
        )
    return book


def _verify(book: zipfile.ZipFile, skip: str) -> None:
    """Read every other member through once: a truncated or lying archive fails its checksum here."""
    for member in book.infolist():
        if member.filename != skip and not member.is_dir():
            with book.open(member) as fh:
                while fh.read(CHUNK):
                    pass


def _load(data: bytes) -> pl.DataFrame:
    """The first sheet, every cell as text, through fastexcel; any failure is the one DAMAGED sentence."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        return reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    except Exception:  # fastexcel's own errors quote cell text: never pass them on
        raise ExportError(DAMAGED) from None
    except BaseException as exc:  # a panic inside the Rust parser
        if type(exc).__name__ != "PanicException":
            raise
        raise ExportError(DAMAGED) from None


def _cell_problems(scan: SheetScan, header_row: int, names_by_col: dict[int, str], last_row: int) -> pl.DataFrame:
    def name(col: int) -> str:
        return scrub(names_by_col[col], limit=200) if col in names_by_col else f"column {column_letters(col)}"

    rows: list[tuple[int, str, str]] = []
    for row, col in scan.formulas:
        if header_row < row <= last_row:
            rows.append((row, name(col), "formula with no saved value (open the file in Excel and save it again)"))
    for first, last, col in scan.merges:
        for row in range(max(first, header_row + 1), min(last, last_row) + 1):
            rows.append((row, name(col), "merged cells (unmerge them in Excel so every row has its own value)"))
    return pl.DataFrame(rows, schema=CELL_PROBLEM_SCHEMA, orient="row").unique(maintain_order=True)


def read_xlsx(data: bytes, expected: set[str] | None) -> RawTable:
    """The first worksheet as text columns, below the header row (title lines above it are skipped)."""
    book = _open_checked(data)
    try:
        sheet = _first_sheet(book)
        _verify(book, skip=sheet)
        at_once = book.getinfo(sheet).file_size <= INFLATE_AT_ONCE
        scan = None if at_once else _scan_sheet(book, sheet)
    except ExportError:
        raise
    except Exception:  # BadZipFile, zlib.error, a bad checksum, an unknown compression method...
        raise ExportError(DAMAGED) from None
    if scan is not None:
        sheet_frame = _load(data)
    else:
        # fastexcel holds the GIL while it parses; zlib does not while it inflates, so the sheet's XML is
        # inflated beside the parse (a tenth of a second of a 100,000-row workbook), then scanned.
        with ThreadPoolExecutor(max_workers=1) as beside:
            started = threading.Event()
            xml_job = beside.submit(_inflate, book, sheet, started)
            started.wait()  # a head start: set as the inflating begins (or fails to)
            try:
                sheet_frame = _load(data)
            finally:
                xml_error = xml_job.exception()
        if xml_error is not None:  # the damaged-archive errors above, found while inflating
            raise ExportError(DAMAGED) from None
        xml = xml_job.result()
        scan = _scan(xml[i : i + CHUNK] for i in range(0, len(xml), CHUNK))
        del xml
    first_row = scan.first_row or 1

    header_at = None
    rows = sheet_frame.head(HEADER_SEARCH_ROWS).rows()
    for i, cells in enumerate(rows):
        if is_header(list(cells), expected):
            header_at = i
            break
    if header_at is None:
        raise ExportError(f"has no header row in the first {HEADER_SEARCH_ROWS} rows of its first sheet")
    header = list(rows[header_at])
    width = len(header)
    while width and not (header[width - 1] or "").strip():
        width -= 1
    header = header[:width]
    names = unique_names(header)
    header_row = first_row + header_at

    body = sheet_frame.slice(header_at + 1).select(sheet_frame.columns[:width])
    body = body.rename(dict(zip(body.columns, names, strict=True)))
    body = body.with_columns(pl.int_range(header_row + 1, header_row + 1 + body.height, dtype=pl.Int64).alias("__row"))
    body, blank = without_blank_rows(body)

    # The header row's cells in the XML, in order, are the named columns of the frame.
    xml_cols = sorted(scan.early.get(header_row, []))
    named = [n for n, h in zip(names, header, strict=True) if (h or "").strip()]
    names_by_col = dict(zip(xml_cols, named, strict=False)) if len(xml_cols) == len(named) else {}
    problems = _cell_problems(scan, header_row, names_by_col, header_row + sheet_frame.height - header_at - 1)
    return RawTable(body, header_row, "xlsx", blank, problems)
