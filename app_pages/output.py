"""What pages draw: a survey page's title and banners, figures (a chart, its finding in one sentence, and its
figures and table behind one detail), tables, the "About this figure" detail, and the PNG and CSV downloads
(none in presenter mode).

The figures and the charts themselves come from ``insight/``; this module only puts them on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any, Literal

import altair as alt
import polars as pl
import streamlit as st

from app_pages import loading, url_state
from insight.config.definition import Definition
from insight.datasets import Loaded
from insight.display.charts import PAGE, PRESENTER, Look, spec_of, title_text, to_png
from insight.display.charts import SAMPLE_MARK as SAMPLE_TEXT
from insight.display.tables import DETAIL_COLUMNS, one_decimal, rows_that_fit
from insight.intake.safe_csv import to_csv
from insight.periods import period_label

NO_DATA = "No data is held for this dataset yet. Upload an export on the Upload page."
SAMPLE_MARK = '<span class="sample-mark">SAMPLE DATA</span>'
PRESENTER_COLUMNS = 6
FIGURES_KEY = "figures-"  # a "Figures and table" detail's widget key: this, then the figure's name


# --------------------------------------------------------------------------- a page's title and banners


def survey_page(heading: str, *, needs_questions: bool = True) -> tuple[url_state.Filters, Definition, Loaded]:
    """Title a page for the chosen dataset and return what it shows; stop with a message if nothing."""
    filters = url_state.current()
    definition = loading.definitions()[filters.dataset]
    survey = filters.dims.get(definition.split_by or "", [None])[0]
    title = f"{definition.title}" + (f" ({survey})" if survey else "") + f": {heading}"
    quietly = loading.load_quietly(definition.dataset)
    page_title(title, sample=quietly is not None and quietly.is_sample)
    loaded = quietly or loading.load(definition)  # a store that cannot be read says so here, and the page stops
    if loaded is None:
        st.info(NO_DATA)
        st.stop()
    if needs_questions and not definition.questions:
        st.info(f"{definition.title} has no survey questions. See the WMNow diversity page.")
        st.stop()
    sample_banner(loaded, definition)
    return filters, definition, loaded


def page_title(title: str, *, sample: bool = False) -> None:
    """The page's title; on a meeting screen with the sample mark beside it, to keep the screen for the figures."""
    if st.session_state.get("present") and sample:
        st.markdown(f"<h1>{escape(title)} {SAMPLE_MARK}</h1>", unsafe_allow_html=True)
    else:
        st.title(title)


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
    if st.session_state.get("present"):  # the mark is beside the title on a projector
        return
    st.info(
        f"**Sample data.** {definition.title}: synthetic records bundled with the app, in the layout of the "
        "real export (the latest survey period reproduces the source paper's figures). "
        "Upload a real export to replace them.",
        icon=":material/science:",
    )


# --------------------------------------------------------------------------- charts


def look() -> Look:
    """How large charts are drawn: for a meeting room's screen in presenter mode, else for a page."""
    return PRESENTER if st.session_state.get("present") else PAGE


def export_heading() -> str:
    """What a downloaded chart is titled with: the survey and the period on screen."""
    filters: url_state.Filters | None = st.session_state.get("filters")
    if filters is None:
        return "Citizen satisfaction insight"
    title = loading.definitions()[filters.dataset].title
    return f"{title}, {period_label(filters.period)}" if filters.period else title


def chart(spec: alt.TopLevelMixin, name: str) -> str:
    """A chart, its finding (the text alternative) as its accessible name; returns that finding in words.

    Charts from insight.display.charts carry a ``description`` stating what they show; it is the SVG's
    accessible name, and ``figure`` prints it under "Figures and table", so nobody has to read the picture.
    The spec is serialised once per chart (charts.spec_of) and drawn as it is.
    """
    sample = bool(st.session_state.get("_sample_on_page"))
    as_dict: dict[str, Any] = dict(spec_of(spec))
    # Room at the edges: Vega places a rotated axis title a pixel or two outside the chart otherwise.
    as_dict.setdefault("padding", {"left": 8, "right": 8, "top": 5, "bottom": 5})
    described = as_dict.get("description")
    alt_text = None if described else (title_text(as_dict.get("title")) or name)
    if st.session_state.get("present"):  # the view's heading names it; its room goes to the figures
        as_dict.pop("title", None)
    elif sample:
        as_dict["title"] = _with_subtitle(as_dict.get("title"), SAMPLE_TEXT)
    height = as_dict.get("height")
    size: int | Literal["content"] = height + 140 if isinstance(height, int) else "content"
    description = str(described or alt_text)
    st.vega_lite_chart(as_dict, width="stretch", height=size, alt=alt_text)
    return description.split(": ", 1)[-1] if ": " in description else description


def small_chart(spec: alt.TopLevelMixin) -> None:
    """A small chart in a tile (a trend line): no title, no download; its description is its accessible name."""
    as_dict: dict[str, Any] = dict(spec_of(spec))
    height = as_dict.get("height")
    st.vega_lite_chart(as_dict, width="stretch", height=height + 10 if isinstance(height, int) else "content")


def png_download(spec: alt.TopLevelMixin, name: str) -> None:
    """The chart as a PNG titled with the survey and period (marked when synthetic); none in presenter mode."""
    if st.session_state.get("present"):
        return
    sample = bool(st.session_state.get("_sample_on_page"))
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


def figure(
    spec: alt.TopLevelMixin,
    name: str,
    *,
    finding: str | None,
    figures: Iterable[str] = (),
    notes: Iterable[str] = (),
    data: pl.DataFrame | None = None,
    data_name: str | None = None,
) -> None:
    """Each figure said once: the chart with its direct labels and one finding sentence (what differs or changed
    significantly); the chart's figures in words, any per-figure sentences and the table behind one
    "Figures and table" detail, the table drawn once the detail is opened. The chart's text alternative (its
    accessible name) stays on the chart, and its figures in words are in the page, opened or not."""
    if finding:
        finding_sentence(finding)
    listing = chart(spec, name)
    # The table is drawn only once its detail is opened (a rerun): every table on a page, drawn closed, cost each
    # rerun its Arrow conversion and the browser its data grid (0.2-0.3 s before the first chart on a first view).
    details = st.expander("Figures and table", icon=":material/table_view:", key=FIGURES_KEY + name, on_change="rerun")
    with details:
        st.markdown(f'<p class="chart-finding"><strong>The chart shows:</strong> {escape(listing)}</p>',
                    unsafe_allow_html=True)  # fmt: skip
        for line in figures:
            st.markdown(line)
        for note in notes:
            st.caption(note)
        if data is not None and details.open:
            table(data, data_name or name)
        png_download(spec, name)


def finding_sentence(text: str) -> None:
    """A view's answer in one sentence, above its chart."""
    st.markdown(f'<p class="finding">{escape(text)}</p>', unsafe_allow_html=True)


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


def table(
    frame: pl.DataFrame,
    name: str,
    *,
    on_screen: Iterable[str] | None = None,
    narrow: Iterable[str] = (),
    download: pl.DataFrame | None = None,
) -> None:
    """A table to read (larger and wrapped in presenter mode) and, outside it, a CSV download.

    Columns in ``tables.DETAIL_COLUMNS`` (p-values), and any not in ``on_screen`` when it is given, go in the
    download only; ``narrow`` columns (counts) are drawn narrow. Every figure with decimals is shown with one
    (49.4, -2.0, -11.1): one number format per table. A table too large for one message to the browser shows
    its first rows that fit (``tables.rows_that_fit``) and says so; the download has every row. ``download``:
    the whole table, when ``frame`` is only the first part of it. The CSV is written when pressed.
    """
    keep = set(on_screen) if on_screen is not None else set(frame.columns)
    shown = [c for c in frame.columns if c not in DETAIL_COLUMNS and c in keep]
    whole = frame if download is None else download
    fit = rows_that_fit(frame.select(shown))
    if fit < frame.height:
        frame = frame.head(fit)
        st.caption(
            f"Showing the first {fit:,} of {whole.height:,} rows: the whole table is too large to show on the page."
            + ("" if st.session_state.get("present") else " The download below has every row.")
        )
    if st.session_state.get("present"):
        # An HTML table: its type can be enlarged and it wraps to the screen (the grid's canvas cannot).
        # Only the key columns (what the row is, its figure, base and change), so it fits a projector.
        st.table(one_decimal(frame.select(shown[:PRESENTER_COLUMNS]).head(60)), hide_index=True)
        return
    # The first column says what a row is: pinned, so it stays in view when a phone scrolls sideways.
    config: dict[str, Any] = {shown[0]: st.column_config.Column(pinned=True)} if shown else {}
    for column, dtype in frame.schema.items():
        if dtype.is_float() and column in shown:
            config[column] = st.column_config.NumberColumn(format="%.1f", pinned=column == shown[0] or None)
    for column in narrow:  # counts: as wide as their figures, so the key columns fit one screen
        if column in shown:
            config[column] = st.column_config.NumberColumn(width="small")
    st.dataframe(frame, hide_index=True, width="stretch", placeholder="–", column_order=shown,
                 column_config=config or None)  # fmt: skip
    st.download_button(
        "Download table (CSV)",
        data=lambda: to_csv(whole),  # written when pressed, not on every rerun
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"csv-{name}",
        icon=":material/download:",
    )
