"""Make messy variants of an export, the ways real ones differ from the samples."""

from __future__ import annotations

import csv
import io

import openpyxl


def read_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def write_rows(rows: list[list[str]], encoding: str = "utf-8", title: bool = False) -> bytes:
    buf = io.StringIO(newline="")
    if title:
        buf.write("Victim Satisfaction Survey - export run 01/10/2019\r\n\r\n")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def shuffle_and_pad(rows: list[list[str]]) -> list[list[str]]:
    """Reverse column order, pad header names with spaces, add an extra column."""
    out = []
    for i, row in enumerate(rows):
        rev = list(reversed(row))
        if i == 0:
            rev = [f"  {c} " for c in rev]
        out.append([*rev, "Survey Version" if i == 0 else "v3"])
    return out


def vary_labels(rows: list[list[str]], columns: list[int]) -> list[list[str]]:
    out = [rows[0]]
    for n, row in enumerate(rows[1:]):
        row = list(row)
        for c in columns:
            if row[c]:
                row[c] = [row[c].upper(), f"  {row[c].lower()} ", row[c].replace("'", "\u2019").replace("\u2019", "'")][
                    n % 3
                ]
        out.append(row)
    return out


def to_xlsx(rows: list[list[str]], title: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append(["Victim Satisfaction Survey export"])
        sheet.append([])
    for row in rows:
        sheet.append([int(v) if v.isdigit() and len(v) <= 3 else (v or None) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
