"""A corpus of hostile and careless files, made here rather than committed as binaries.

Each maker takes the victim example export (bytes) and returns a file a tired or hostile
user might upload. ``UNREADABLE`` lists those that must be refused with one sentence,
with a fragment of that sentence; ``READABLE`` those that must read exactly like the
example. ``python -m tests.hostile DIR`` writes them all out to try by hand.
"""

from __future__ import annotations

import csv
import io
import random
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.messy import read_rows, to_xlsx, write_rows

# Personal data typed where it should not be, in the forms the force's data takes.
PII = {
    "email": "jo.bloggs@home-mail.net",
    "email_accented": "zoë.brontë@exämple.co.uk",
    "phone_mobile": "07700 900461",
    "phone_dots": "07700.900.462",
    "phone_landline": "(0121) 626 5463",
    "phone_intl": "+44 (0)121 626 5464",
    "phone_0044": "0044 7700 900465",
    "crime_ref": "20BE/654321R/19",
    "crime_ref_plain": "20/7654321/19",
    "postcode": "B15 2TT",
    "ni_number": "AB 12 34 56 C",
}


# The same kinds disguised, as an attacker typed them (issue 20): each must be masked, or refused as an ID.
DISGUISED = {
    "email_fullwidth_at": "kim.fullwidth\uff20example.net",
    "email_zero_width": "kim.zw@exam\u200bple.net",
    "phone_zero_width": "07700 9\u200b00471",
    "phone_fullwidth": "\uff10\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff14\uff17\uff12",
    "phone_arabic_indic": "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0664\u0667\u0663",
    "phone_two_spaces": "07700  900474",
    "phone_slashes": "07700/900/475",
    "phone_44": "447700900476",
    "crime_ref_dashes": "20-123476-19",
    "crime_ref_spaced": "20 / 123477 / 19",
    "crime_ref_dots": "20.123478.19",
    "crime_ref_backslashes": "20\\123479\\19",
    "ni_dashes": "CE-98-76-54-A",
    "postcode_dash": "B1-1AA",
}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _xlsx_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _edit_sheet(xlsx: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    members = _xlsx_members(xlsx)
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"])
    return _zip(members)


def random_bytes(example: bytes) -> bytes:
    return random.Random(7).randbytes(5000)


def png_named_csv(example: bytes) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(2000)


def old_xls(example: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + random.Random(2).randbytes(3000)


def xlsx_without_worksheet(example: bytes) -> bytes:
    members = _xlsx_members(to_xlsx(read_rows(example)))
    members["xl/workbook.xml"] = (
        b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheets/></workbook>"
    )
    del members["xl/worksheets/sheet1.xml"]
    return _zip(members)


def truncated_xlsx(example: bytes) -> bytes:
    data = to_xlsx(read_rows(example))
    return data[: len(data) * 2 // 3]


def zip_not_workbook(example: bytes) -> bytes:
    return _zip({"readme.txt": b"hello", "data.csv": example})


def xlsx_bomb(example: bytes) -> bytes:
    """A small workbook whose sheet expands over 100 times (a row of one long repeated string)."""
    pad = b"<row r='99999'><c r='A99999' t='inlineStr'><is><t>" + b"A" * 3_000_000 + b"</t></is></c></row>"
    return _edit_sheet(to_xlsx(read_rows(example)), lambda xml: xml.replace(b"</sheetData>", pad + b"</sheetData>"))


def unterminated_quote(example: bytes) -> bytes:
    rows = read_rows(example)
    text = write_rows(rows).decode()
    lines = text.split("\r\n")
    # A quote opened in row 5's comment and never closed; the row carries PII the message must not quote.
    lines[4] = lines[4].rsplit(",", 1)[0] + f',"never closed {PII["email"]} {PII["phone_mobile"]}'
    return "\r\n".join(lines).encode()


def ragged_row_with_pii(example: bytes) -> bytes:
    rows = read_rows(example)
    rows[6] = [*rows[6], PII["email"], PII["crime_ref"]]
    return write_rows(rows)


def header_only(example: bytes) -> bytes:
    return write_rows(read_rows(example)[:1])


def empty_file(example: bytes) -> bytes:
    return b"   \r\n"


def binary_with_nuls(example: bytes) -> bytes:
    return example[:300] + b"\x00\x01\x02" * 50 + example[300:]


def neither_encoding(example: bytes) -> bytes:
    """Line 8 holds 0x81, a byte Windows-1252 leaves undefined and UTF-8 never has alone."""
    lines = write_rows(read_rows(example)).split(b"\r\n")
    lines[7] = lines[7] + b"\x81"
    return b"\r\n".join(lines)


def semicolons(example: bytes) -> bytes:
    """A European Excel's "CSV": semicolon-separated."""
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(read_rows(example))
    return buf.getvalue().encode()


# file name -> (maker, a fragment of the one sentence that refuses it)
UNREADABLE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "random.csv": (random_bytes, "binary data"),
    "picture.csv": (png_named_csv, "is a PNG image"),
    "old.xls": (old_xls, "save it in Excel as .xlsx"),
    "no-sheet.xlsx": (xlsx_without_worksheet, "no worksheet"),
    "truncated.xlsx": (truncated_xlsx, "damaged or incomplete Excel workbook"),
    "archive.xlsx": (zip_not_workbook, "zip archive, not an Excel workbook"),
    "bomb.xlsx": (xlsx_bomb, "more than 100 times its size"),
    "quote.csv": (unterminated_quote, "never closed, starting on row 5"),
    "ragged.csv": (ragged_row_with_pii, "has 19 values on row 7"),
    "header-only.csv": (header_only, "no rows below it"),
    "empty.csv": (empty_file, "is empty"),
    "nuls.csv": (binary_with_nuls, "binary data"),
    "semicolons.csv": (semicolons, "separates its values with semicolons"),
    "neither.csv": (neither_encoding, "neither UTF-8 nor Windows-1252 text: line 8 holds the byte 0x81"),
}


def cr_only(example: bytes) -> bytes:
    return write_rows(read_rows(example)).replace(b"\r\n", b"\r")


def utf16_bom(example: bytes) -> bytes:
    return write_rows(read_rows(example)).decode().encode("utf-16")


def utf16le_no_bom(example: bytes) -> bytes:
    return write_rows(read_rows(example)).decode().encode("utf-16-le")


def utf16be_no_bom(example: bytes) -> bytes:
    return write_rows(read_rows(example)).decode().encode("utf-16-be")


READABLE: dict[str, Callable[[bytes], bytes]] = {
    "mac.csv": cr_only,
    "utf16.csv": utf16_bom,
    "utf16le.csv": utf16le_no_bom,
    "utf16be.csv": utf16be_no_bom,
}


def formula_without_value(example: bytes) -> bytes:
    """The 4th response's Q1 cell (row 7 with the title lines) is a formula Excel never calculated."""
    xlsx = to_xlsx(read_rows(example))
    return _edit_sheet(xlsx, lambda xml: _replace_cell(xml, b"I7", b'<c r="I7"><f>VLOOKUP(A7,Sheet2!A:B,2,0)</f></c>'))


def merged_cells(example: bytes) -> bytes:
    """Rows 8 and 9 share one merged Offence Group cell (F8:F9), as a hand-tidied sheet does."""
    xlsx = to_xlsx(read_rows(example))

    def edit(xml: bytes) -> bytes:
        xml = _replace_cell(xml, b"F9", b'<c r="F9"/>')
        merge = b'<mergeCells count="2"><mergeCell ref="A1:D1"/><mergeCell ref="F8:F9"/></mergeCells>'
        return xml.replace(b"</sheetData>", b"</sheetData>" + merge)

    return _edit_sheet(xlsx, edit)


def namespace_prefixed(example: bytes) -> bytes:
    """The formula workbook written the way .NET's Open XML SDK writes sheets: every element as <x:...>."""

    def prefix(xml: bytes) -> bytes:
        xml = re.sub(rb"<(/?)(\w+)([ >/])", rb"<\1x:\2\3", xml)
        return xml.replace(b'<x:worksheet xmlns="', b'<x:worksheet xmlns:x="')

    return _edit_sheet(formula_without_value(example), prefix)


def _replace_cell(xml: bytes, ref: bytes, new: bytes) -> bytes:
    start = xml.index(b'<c r="' + ref + b'"')
    tag_end = xml.index(b">", start)
    end = tag_end + 1 if xml[tag_end - 1 : tag_end] == b"/" else xml.index(b"</c>", start) + 4
    return xml[:start] + new + xml[end:]


def write_corpus(folder: Path, example: bytes) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    makers = {**{n: m for n, (m, _) in UNREADABLE.items()}, **READABLE}
    makers |= {"formula.xlsx": formula_without_value, "merged.xlsx": merged_cells}
    paths = []
    for name, maker in makers.items():
        (folder / name).write_bytes(maker(example))
        paths.append(folder / name)
    return paths


if __name__ == "__main__":
    from tests.conftest import EXPORTS

    for p in write_corpus(Path(sys.argv[1]), (EXPORTS / "victim_survey_example.csv").read_bytes()):
        print(p)
