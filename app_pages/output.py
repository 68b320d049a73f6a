"""What pages draw: a survey page's title and banners, charts with their finding in words, tables,
the "About this figure" detail, and the PNG and CSV downloads (none in presenter mode).

The figures and the charts themselves come from ``insight/``; this module only puts them on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any, Literal

import altair as alt
import polars as pl
import streamlit as st

from app_pages import loading, style, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display.charts import SAMPLE_MARK as SAMPLE_TEXT
from insight.display.charts import spec_of, title_text, to_png
from insight.display.tables import DETAIL_COLUMNS, one_decimal
from insight.intake.safe_csv import to_csv
from insight.periods import period_label

NO_DATA = "No data is held for this dataset yet. Upload an export on the Upload page."
SAMPLE_MARK = '<span class="sample-mark">SAMPLE DATA</span>'
PRESENTER_COLUMNS = 6


# --------------------------------------------------------------------------- a page's title and banners


def survey_page(heading: str, *, needs_questions: bool = True) -> tuple[url_state.Filters, Definition, Loaded]:
    """Title a page for the chosen dataset and return what it shows; stop with a message if nothing."""
    filters = url_state.current()
    definition = loading.definitions()[filters.dataset]
    st.title(f"{definition.title}: {heading}")
    loaded = loading.load(definition)
    if loaded is None:
        st.info(NO_DATA)
        st.stop()
    if needs_questions and not definition.questions:
        st.info(f"{definition.title} has no survey questions. See the WMNow diversity page.")
        st.stop()
    sample_banner(loaded, definition)
    return filters, definition, loaded


def breakdown_hint(definition: Definition) -> str:
    """The hint under an unbroken-down page, naming this dataset's own dimensions."""
    labels = [d.label.lower() for d in definition.dimensions.values()]
    if not labels:
        return f"{definition.title} records nothing to break the figures down by."
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
    return f"Choose **Break down by** in the sidebar to see an aspect by {named}."


def new_page() -> None:
    """Called by app.py before a page runs: nothing on it is known to be sample data yet."""
    st.session_state["_sample_on_page"] = False


def sample_banner(loaded: Loaded, definition: Definition) -> None:
    """Say the page shows synthetic records; charts and exports on it are marked too."""
    st.session_state["_sample_on_page"] = loaded.is_sample
    if not loaded.is_sample:
        return
    if st.session_state.get("present"):  # one line on a projector
        st.markdown(f"{SAMPLE_MARK} synthetic records in the layout of the real export.", unsafe_allow_html=True)
        return
    st.info(
        f"**Sample data.** {definition.title}: synthetic records bundled with the app, in the layout of the "
        "real export (the latest survey period reproduces the source paper's figures). "
        "Upload a real export to replace them.",
        icon=":material/science:",
    )


# --------------------------------------------------------------------------- charts


def export_heading() -> str:
    """What a downloaded chart is titled with: the survey and the period on screen."""
    filters: url_state.Filters | None = st.session_state.get("filters")
    if filters is None:
        return "Citizen satisfaction insight"
    title = loading.definitions()[filters.dataset].title
    return f"{title}, {period_label(filters.period)}" if filters.period else title


def chart(spec: alt.TopLevelMixin, name: str) -> None:
    """A chart with its finding in words (its accessible name too) and, outside presenter mode, a PNG download.

    Charts from insight.display.charts carry a ``description`` stating what they show; it is the SVG's
    accessible name and is printed under the chart, so nobody has to read the picture. The spec
    is serialised once per chart (charts.spec_of) and drawn as it is.
    """
    sample = bool(st.session_state.get("_sample_on_page"))
    present = bool(st.session_state.get("present"))
    as_dict: dict[str, Any] = dict(spec_of(spec))
    # Room at the edges: Vega places a rotated axis title a pixel or two outside the chart otherwise.
    as_dict.setdefault("padding", {"left": 8, "right": 8, "top": 5, "bottom": 5})
    if sample:
        as_dict["title"] = _with_subtitle(as_dict.get("title"), SAMPLE_TEXT)
    height = as_dict.get("height")
    size: int | Literal["content"] = height + 140 if isinstance(height, int) else "content"
    described = as_dict.get("description")
    alt_text = None if described else (title_text(as_dict.get("title")) or name)
    description = str(described or alt_text)
    if present:  # readable from the back of a meeting room
        as_dict = style.enlarged(as_dict)
    st.vega_lite_chart(as_dict, width="stretch", height=size, alt=alt_text)
    finding = description.split(": ", 1)[-1] if ": " in description else description
    st.markdown(f'<p class="chart-finding"><strong>The chart shows:</strong> {escape(finding)}</p>',
                unsafe_allow_html=True)  # fmt: skip
    if not present:
        heading = export_heading()
        st.download_button(
            "Download chart (PNG)",
            data=lambda: to_png(spec, heading=heading, sample=sample),
            file_name=f"{name}.png",
            mime="image/png",
            on_click="ignore",
            key=f"png-{name}",
            icon=":material/image:",
        )


def _with_subtitle(title: object, text: str) -> dict[str, object]:
    """A Vega-Lite title with ``text`` as its subtitle, in dark red bold."""
    marked: dict[str, object] = {"subtitle": text, "subtitleColor": "#8a1c00", "subtitleFontWeight": "bold"}
    if isinstance(title, dict):
        own = title.get("subtitle")
        if own:  # keep the chart's own subtitle (its key), after the mark
            marked["subtitle"] = [text, *(own if isinstance(own, list) else [own])]
        return {**title, **marked}
    return {"text": title or "", "anchor": "start", **marked}


def about(lines: Iterable[str | None], label: str = "About this figure") -> None:
    """The method's name and its p-values, behind a detail: the verdict in words stays on the page.

    Lines that are None or empty (a figure with no test) are left out; with none left, nothing is drawn.
    """
    said = [line for line in lines if line]
    if not said:
        return
    with st.expander(label, icon=":material/info:"):
        st.markdown("\n".join(f"- {line}" for line in said))


# --------------------------------------------------------------------------- tables


def table(frame: pl.DataFrame, name: str, *, download: pl.DataFrame | None = None) -> None:
    """A table to read (larger and wrapped in presenter mode) and, outside it, a CSV download.

    Columns in ``tables.DETAIL_COLUMNS`` (p-values) go in the download only. ``download``: the whole
    table, when ``frame`` shows only the first part of it.
    """
    shown = [c for c in frame.columns if c not in DETAIL_COLUMNS]
    if st.session_state.get("present"):
        # An HTML table: its type can be enlarged and it wraps to the screen (the grid's canvas cannot).
        # Only the key columns (what the row is, its figure, base and change), so it fits a projector.
        st.table(one_decimal(frame.select(shown[:PRESENTER_COLUMNS]).head(60)), hide_index=True)
        return
    # The first column says what a row is: pinned, so it stays in view when a phone scrolls sideways.
    pinned = {shown[0]: st.column_config.Column(pinned=True)} if shown else None
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="–", column_order=shown, column_config=pinned)
    st.download_button(
        "Download table (CSV)",
        data=lambda: to_csv(frame if download is None else download),  # written when pressed, not every rerun
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"csv-{name}",
        icon=":material/download:",
    )
