"""The board pack as a Word document (python-docx): board papers are Word documents.

Numbered paragraphs under the paper's headings, a table and a chart per section (the chart a
PNG with its title as a caption and its alt text in the picture's description), and the
sample-data mark in the header so it is on every page.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from insight.board.model import SAMPLE_MARK, BoardPack, Figure, Table

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject  # docx.Document is the function that makes one

MARK_RED = RGBColor(0xB0, 0x00, 0x20)


def _mark_every_page(doc: DocumentObject) -> None:
    for section in doc.sections:
        para = section.header.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(SAMPLE_MARK)
        run.bold = True
        run.font.size = Pt(12)
        run.font.color.rgb = MARK_RED
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run(f"{SAMPLE_MARK}: not real responses").font.size = Pt(9)


def _figure(doc: DocumentObject, figure: Figure) -> None:
    doc.add_picture(io.BytesIO(figure.png()), width=Cm(16))
    picture = doc.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for doc_pr in picture._p.iter(qn("wp:docPr")):
        doc_pr.set("descr", figure.alt_text)
        doc_pr.set("title", figure.title)
    caption = doc.add_paragraph(figure.title, style="Caption")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _table(doc: DocumentObject, table: Table) -> None:
    doc.add_paragraph(table.title, style="Caption")
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Light Grid Accent 1"
    for cell, text in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = text
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    if table.note:
        note = doc.add_paragraph(table.note)
        note.runs[0].font.size = Pt(9)


def write_docx(pack: BoardPack) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    if pack.sample:
        _mark_every_page(doc)
    doc.add_heading(pack.title, level=0)
    doc.add_paragraph(f"Prepared by the insight app on {pack.generated:%d %B %Y} from {pack.period_words}.")
    number = 0
    for section in pack.sections:
        doc.add_heading(section.heading, level=1)
        bullets = section.key == "points"
        for text in section.paragraphs:
            if bullets:
                doc.add_paragraph(text, style="List Bullet")
            else:
                number += 1
                doc.add_paragraph(f"{number}. {text}")
        if section.table:
            _table(doc, section.table)
        if section.figure:
            _figure(doc, section.figure)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
