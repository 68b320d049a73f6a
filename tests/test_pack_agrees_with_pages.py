"""The board pack says what the pages say: every figure in each format is a figure the app shows for the same view.

Each section of the pack names the app's views that show its figures (``Section.views``: the Satisfaction
page for the month and the periods it is compared with, Trends, Respondents, Comments, WMNow with its 12
months). Each format is read back with its own library and split into its sections; every percentage and
every gap and margin in points is looked for among the figures the section's views show (their words, tables and
metrics, each drawn by AppTest from the page itself), and every "X% (base N" pair must be a pair on a page.
A merged public confidence figure, a WMNow month the page does not show or a 101 figure from another month
would each fail here.
"""

from __future__ import annotations

import io
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from docx import Document
from docx.oxml.ns import qn
from pptx import Presentation
from pptx.oxml.ns import qn as pptx_qn
from streamlit.testing.v1 import AppTest

from insight.board.pack import build_pack, render
from insight.store import Store
from tests.conftest import REPO, open_figures

PERIOD = "2019-09"
PAGES = {"": "app_pages/overview.py", "satisfaction": "app_pages/satisfaction.py", "trends": "app_pages/trends.py",
         "respondents": "app_pages/respondents.py", "comments": "app_pages/comments.py",
         "wmnow": "app_pages/wmnow.py", "compliance": "app_pages/compliance.py"}  # fmt: skip
PERCENT = re.compile(r"(\d+\.\d+)%")
# Figures in points the pack states (gaps to the census, margins of error); a change ("up 3.2 points") is the
# difference of two percentages, each of which is compared.
POINTS = re.compile(r"(?:±(\d+(?:\.\d)?) points|(\d+\.\d) points? (?:below|above))")
WITH_BASE = re.compile(r"(\d+\.\d)% \(base ([\d,]+)")
NUMBER = re.compile(r"\d+\.\d+")


# --------------------------------------------------------------------------- the pack, section by section


def docx_sections(data: bytes) -> list[tuple[str, str]]:
    """(heading, every word under it: paragraphs, table cells, and the chart's alt text) for each Heading 1."""
    doc = Document(io.BytesIO(data))
    found: list[tuple[str, list[str]]] = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            style = child.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            if style is not None and style.get(qn("w:val")) == "Heading1":
                found.append((text, []))
                continue
            if found:
                found[-1][1].append(text)
                found[-1][1].extend(d.get("descr") or "" for d in child.iter(qn("wp:docPr")))
        elif child.tag == qn("w:tbl") and found:
            found[-1][1].extend("".join(t.text or "" for t in cell.iter(qn("w:t"))) for cell in child.iter(qn("w:tc")))
    return [(heading, "\n".join(parts)) for heading, parts in found]


def pptx_sections(data: bytes) -> list[tuple[str, str]]:
    """(slide title, its text and its picture's alt text) for each slide after the cover."""
    found = []
    for slide in list(Presentation(io.BytesIO(data)).slides)[1:]:
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        alts = [el.get("descr") or "" for el in slide.shapes._spTree.iter(pptx_qn("p:cNvPr"))]
        found.append((texts[0], "\n".join(texts[1:] + alts)))
    return found


class _Sections(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[str]]] = []
        self.heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.heading = []
        elif tag == "img" and self.found:
            self.found[-1][1].append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self.heading is not None:
            self.found.append(("".join(self.heading), []))
            self.heading = None

    def handle_data(self, data: str) -> None:
        if self.heading is not None:
            self.heading.append(data)
        elif self.found:
            self.found[-1][1].append(data)


def html_sections(data: bytes) -> list[tuple[str, str]]:
    parser = _Sections()
    parser.feed(data.decode("utf-8"))
    return [(heading, "\n".join(parts)) for heading, parts in parser.found]


READ = {"docx": docx_sections, "pptx": pptx_sections, "html": html_sections}


# --------------------------------------------------------------------------- the pages


@cache
def page_figures(view: str, data_dir: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """Every figure a view of the app shows (its words, tables, metrics), and its (figure, base) pairs."""
    import os

    os.environ["INSIGHT_DATA_DIR"] = data_dir
    parts = urlsplit(view)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.query_params.update(dict(parse_qsl(parts.query)))
    at.switch_page(PAGES[parts.path])
    open_figures(at.run())  # every figure's table too
    assert not at.exception, (view, at.exception)
    words = [e.value for kind in ("markdown", "caption", "header", "subheader", "info", "warning", "success", "metric")
             for e in getattr(at, kind)]  # fmt: skip
    words += [str(m.value) for m in at.metric]
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", "\n".join(str(w) for w in words))
    figures = set(NUMBER.findall(text)) | set(re.findall(r"±(\d+(?:\.\d+)?)", text))  # margins: ±28, ±3.1
    pairs = {(f, b.replace(",", "")) for f, b in WITH_BASE.findall(text)}
    for frame in [d.value for d in at.dataframe] + [t.value for t in at.table]:
        for column in frame.columns:
            figures |= {f"{v:.1f}" if isinstance(v, float) else str(v) for v in frame[column].dropna()}
            figures |= {m for v in frame[column].dropna() if isinstance(v, str) for m in NUMBER.findall(v)}
        if {"% positive", "Base"} <= set(frame.columns):
            pairs |= {(f"{p:.1f}", str(int(b))) for p, b in zip(frame["% positive"], frame["Base"], strict=True)
                      if p == p}  # fmt: skip
    figures |= {f.lstrip("-").lstrip("+") for f in list(figures)}
    return frozenset(figures), frozenset(pairs)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store: the pack and the pages both read the bundled samples."""
    return tmp_path_factory.mktemp("agree")


@pytest.fixture(scope="module")
def pack(store: Path):
    return build_pack(Store(store), period=PERIOD)


@pytest.fixture(scope="module")
def sections_by_format(pack) -> dict[str, list[tuple[str, str]]]:
    return {fmt: READ[fmt](render(pack, fmt)) for fmt in READ}


@pytest.mark.parametrize("fmt", list(READ))
def test_every_figure_in_the_pack_is_the_pages_figure_for_the_same_view(fmt, pack, sections_by_format, store):
    read = sections_by_format[fmt]
    assert [heading for heading, _ in read] == [s.heading for s in pack.sections]  # every section, in order
    checked = 0
    for section, (heading, text) in zip(pack.sections, read, strict=True):
        said = PERCENT.findall(text) + [a or b for a, b in POINTS.findall(text)]
        if not said:
            continue
        assert section.views, f"{heading}: figures but no view of the app to show them"
        shown: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for view in section.views:
            figures, with_base = page_figures(view, str(store))
            shown |= figures
            pairs |= with_base
        missing = sorted({f for f in said if f not in shown})
        assert not missing, f"{fmt}, {heading}: {missing} are on no page among {section.views}"
        unpaired = [(f, b) for f, b in WITH_BASE.findall(text) if (f, b.replace(",", "")) not in pairs]
        assert not unpaired, f"{fmt}, {heading}: {unpaired} (figure, base) shown on no page"
        checked += len(said)
    assert checked > 100  # the pack carries figures, and each was compared


def test_public_confidence_is_never_one_merged_figure(pack, store):
    """The Overview's tiles, the pack and its views: Public Voice and How are we Doing each on their own."""
    section = next(s for s in pack.sections if s.key == "public_confidence")
    overview, _ = page_figures(f"?period={PERIOD}", str(store))
    for survey, figure in (("Public Voice", "66.5% (base 588"), ("How are we Doing", "68.9% (base 657")):
        assert any(p.startswith(f"Overall confidence, {survey} in Jul-Sep 2019 (Q3) was {figure}")
                   for p in section.paragraphs)  # fmt: skip
        assert figure.split("%")[0] in overview
    assert not [p for p in section.paragraphs if p.startswith("Overall confidence in ")]  # no merged headline
    assert "67.8" not in "\n".join(section.paragraphs)  # the merged figure (base 1,245)
