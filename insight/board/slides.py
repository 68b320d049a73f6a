"""The board pack as slides (python-pptx): one slide per section, a chart and at most three points.

The sample-data mark sits on every slide; each chart carries its alt text in the picture's
description.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Length, Pt

from insight.board.model import MAX_POINTS, SAMPLE_MARK, BoardPack, Section

if TYPE_CHECKING:
    from pptx.presentation import Presentation as Deck  # pptx.Presentation is the function that makes one
    from pptx.shapes.autoshape import Shape
    from pptx.slide import Slide

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARK_RED = RGBColor(0xB0, 0x00, 0x20)
INK = RGBColor(0x1A, 0x1A, 0x1A)


def _text(
    slide: Slide,
    left: Length,
    top: Length,
    width: Length,
    height: Length,
    text: str,
    *,
    size: int,
    bold: bool = False,
    colour: RGBColor = INK,
) -> Shape:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    return box


def _mark(slide: Slide) -> None:
    box = _text(slide, Inches(8.3), Inches(0.1), Inches(4.9), Inches(0.4), SAMPLE_MARK, size=14, bold=True,
                colour=MARK_RED)  # fmt: skip
    box.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT


def _points(slide: Slide, section: Section, left: Length, top: Length, width: Length, height: Length) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, point in enumerate(section.points[:MAX_POINTS]):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = f"\u2022 {point}"
        run.font.size = Pt(14)
        run.font.color.rgb = INK
        para.space_after = Pt(12)


def _slide(prs: Deck, section: Section, sample: bool) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # blank
    _text(slide, Inches(0.5), Inches(0.4), Inches(12.3), Inches(0.8), section.heading, size=28, bold=True)
    if sample:
        _mark(slide)
    top = Inches(1.4)
    if section.figure:
        png = section.figure.png()
        picture = slide.shapes.add_picture(io.BytesIO(png), Inches(0.4), top, width=Inches(7.6))
        if picture.height > Inches(5.8):  # keep a tall chart on the slide, at its own proportions
            ratio = Inches(5.8) / picture.height
            picture.height = Emu(int(picture.height * ratio))
            picture.width = Emu(int(picture.width * ratio))
        picture._element.nvPicPr.cNvPr.set("descr", section.figure.alt_text)
        picture._element.nvPicPr.cNvPr.set("title", section.figure.title)
        _points(slide, section, Inches(8.3), top, Inches(4.6), Inches(5.6))
    else:
        _points(slide, section, Inches(0.5), top, Inches(12.3), Inches(5.6))


def write_pptx(pack: BoardPack) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    cover = prs.slides.add_slide(prs.slide_layouts[6])
    _text(cover, Inches(0.8), Inches(2.4), Inches(11.7), Inches(1.5), pack.title, size=36, bold=True)
    _text(cover, Inches(0.8), Inches(4.0), Inches(11.7), Inches(1.0),
          f"Prepared by the insight app on {pack.generated:%d %B %Y} from {pack.period_words}.", size=18)  # fmt: skip
    if pack.sample:
        _mark(cover)
    for section in pack.sections:
        _slide(prs, section, pack.sample)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
