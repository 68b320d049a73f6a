"""The board pack: the monthly board paper, written from the app's own figures.

``build_pack`` turns what the store holds (or the bundled samples) into the content model
of ``insight.board.model`` (sections of sentences, a table and a chart each, and "points for the
board"), built by ``insight.board.sections`` in the source paper's order (../shared/seed/):
purpose; victim satisfaction (headline, changes, trend, aspects, groups that differ, who
responded); 101 callers; Live Chat; domestic abuse; public confidence; WMNow sign-up
diversity; points for the board. ``render`` lays it out as .docx, .pptx or .html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from insight.board.model import SAMPLE_MARK, BoardPack, Figure, Section, Table
from insight.board.sections import Survey, check_month, paper_sections, period_for
from insight.config.census import Census
from insight.config.definition import Definition
from insight.config.loader import load_config
from insight.datasets import load_dataset
from insight.figures import metrics
from insight.periods import period_label
from insight.store import Store

FORMATS = ("docx", "pptx", "html")
__all__ = ["FORMATS", "SAMPLE_MARK", "BoardPack", "Figure", "Section", "Table"]
__all__ += ["build_pack", "check_month", "file_name", "render"]

# --------------------------------------------------------------------------- the pack


def build_pack(
    store: Store | None = None,
    *,
    period: str | None = None,
    datasets: Iterable[str] | None = None,
    definitions: dict[str, Definition] | None = None,
    census: Census | None = None,
    today: dt.date | None = None,
) -> BoardPack:
    """The board pack for a month (each survey's latest period without one).

    ``datasets`` are the surveys the reader may view (every one in local mode); the others
    are left out without a word, as if they did not exist.
    """
    store = store or Store()
    definitions = definitions or load_config().definitions
    census = census or load_config().census
    month = check_month(period) if period else None
    allowed = set(definitions) if datasets is None else set(datasets)
    surveys: dict[str, Survey] = {}
    missing: list[str] = []
    for name, definition in definitions.items():
        if name not in allowed:
            continue
        loaded = load_dataset(definition, store)
        held = metrics.periods(loaded.frame) if loaded else []
        chosen = period_for(definition, month, held)
        if loaded is None or chosen is None:
            when = f" for {period_label(month)}" if month else ""
            latest = f" (latest held: {period_label(held[-1])})" if held else ""
            missing.append(f"{definition.title}: no data{when}{latest}.")
            continue
        surveys[name] = Survey(definition, loaded, chosen)

    months = [
        s.period
        for s in surveys.values()
        if s.definition.kind == "survey" and s.definition.period.granularity == "month"
    ]
    pack_period = month or (max(months) if months else None)
    period_words = period_label(month) if month else "each survey's latest results"
    sections = paper_sections(surveys, census, period_words=period_words, missing=missing)
    title = "Public and victim satisfaction: board paper" + (f", {period_label(pack_period)}" if pack_period else "")
    return BoardPack(
        title=title,
        period=pack_period,
        period_words=period_words,
        generated=today or dt.date.today(),
        sections=sections,
        sample_surveys=[s.title for s in surveys.values() if s.loaded.is_sample],
        missing=missing,
    )


def file_name(pack: BoardPack, fmt: str) -> str:
    return f"board-pack-{pack.period or 'latest'}.{fmt}"


def render(pack: BoardPack, fmt: str) -> bytes:
    """The pack as a .docx, .pptx or self-contained .html document."""
    if fmt == "docx":
        from insight.board.word import write_docx

        return write_docx(pack)
    if fmt == "pptx":
        from insight.board.slides import write_pptx

        return write_pptx(pack)
    if fmt == "html":
        from insight.board.web_page import write_html

        return write_html(pack)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
