"""The board pack: the monthly board paper, written from the app's own figures.

``build_pack`` turns what the store holds (or the bundled samples) into the content model
of ``insight.board.model`` (sections of sentences, a table and a chart each, and "points for the
board"), built by ``insight.board.sections`` in the source paper's order (../shared/seed/):
purpose; victim satisfaction (headline, changes, trend, aspects, groups that differ, who
responded); 101 callers; Live Chat; domestic abuse; public confidence; WMNow sign-up
diversity; survey reach and what happened when (``insight.board.reach``); points for the
board. ``render`` lays it out as .docx, .pptx or .html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from insight.board.model import SAMPLE_MARK, BoardPack, Figure, Section, Table
from insight.board.reach import events_section, reach_section
from insight.board.sections import Survey, check_month, pack_period, paper_sections, wanted_period
from insight.config.census import Census
from insight.config.definition import Definition
from insight.config.loader import load_config
from insight.datasets import Loaded, load_dataset
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
    since: str | None = None,
) -> BoardPack:
    """The board pack for a month: the one asked for, else the latest month any monthly survey holds.

    Every section shows that month (a quarterly survey: the quarter containing it) or, when the survey has
    none, its latest period before it and says so in words ("101 caller survey: no responses for
    September 2019; latest is June 2019."). A survey with nothing up to the month is one line in ``missing``.

    ``datasets`` are the surveys the reader may view (every one in local mode); the others
    are left out without a word, as if they did not exist.

    ``since`` (a month, the one the last board paper reported) adds "Since the last board" after the purpose:
    every aspect of each survey now against then, z-tested (``insight.board.since``).
    """
    store = store or Store()
    definitions = definitions or load_config().definitions
    census = census or load_config().census
    allowed = set(definitions) if datasets is None else set(datasets)
    held: dict[str, tuple[Definition, Loaded | None, list[str]]] = {}
    for name, definition in definitions.items():
        if name in allowed:
            loaded = load_dataset(definition, store)
            held[name] = (definition, loaded, metrics.periods(loaded.frame) if loaded else [])
    # The pack's month: the one asked for, else the latest any monthly survey holds. Every section shows that
    # month (a quarterly survey its quarter), or its latest period before it and says so.
    monthly = [p[-1] for d, _, p in held.values() if p and d.kind == "survey" and d.period.granularity == "month"]
    month = check_month(period) if period else max(monthly) if monthly else None
    surveys: dict[str, Survey] = {}
    missing: list[str] = []
    for name, (definition, loaded, periods) in held.items():
        chosen = pack_period(definition, month, periods)
        if loaded is None or chosen is None:
            when = f" for {period_label(month)} or before" if month else ""
            latest = f" (its first: {period_label(periods[0])})" if periods else ""
            missing.append(f"{definition.title}: no data{when}{latest}.")
            continue
        surveys[name] = Survey(definition, loaded, chosen, wanted_period(definition, month) if month else None)

    period_words = period_label(month) if month else "each survey's latest results"
    sections = paper_sections(surveys, census, period_words=period_words, missing=missing)
    # reach and the events, before the points for the board (the last section)
    found = [reach_section(surveys, month), events_section(surveys, load_config().events, month)]
    sections[-1:-1] = [s for s in found if s is not None]
    if since:
        from insight.board.since import since_section

        sections.insert(1, since_section(surveys, check_month(since)))
    title = "Public and victim satisfaction: board paper" + (f", {period_label(month)}" if month else "")
    return BoardPack(
        title=title,
        period=month,
        period_words=period_words,
        generated=today or dt.date.today(),
        sections=sections,
        sample_surveys=[s.title for s in surveys.values() if s.loaded.is_sample],
        missing=missing,
        notes=[s.note for s in surveys.values() if s.note],
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
