"""Board pack: the monthly board paper as a Word document, slides or a printable web page."""

from __future__ import annotations

import functools

import streamlit as st

from app_pages import identity, loading, url_state
from insight.board.pack import FORMATS, SAMPLE_MARK, BoardPack, file_name, render
from insight.datasets import samples_enabled
from insight.figures.metrics import periods
from insight.periods import period_label

LATEST = "latest"
FORMAT_WORDS = {"docx": "Word document (.docx)", "pptx": "Slides (.pptx)", "html": "Printable web page (.html)"}
MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "html": "text/html",
}
NO_SINCE = "none"
# What a pack is cached on (loading.board_pack): the store's version, its folder, the month (None: the latest),
# the surveys and the last board's month (None: no "Since the last board" section).
PackKey = tuple[str, str, str | None, tuple[str, ...], str | None]


def viewable_surveys() -> list[str]:
    """The surveys this user may view: every one in local mode; sign-in narrows it to the user's rights."""
    return list(identity.visible(loading.definitions()))


@st.cache_data(show_spinner=False, max_entries=12)
def _document_bytes(key: PackKey, fmt: str, samples_on: bool) -> bytes:
    return render(loading.board_pack(*key, samples_on), fmt)


def months_held(allowed: list[str]) -> list[str]:
    """Every month a monthly survey this user may view holds, latest first."""
    definitions = loading.definitions()
    months: set[str] = set()
    for name in allowed:
        definition = definitions[name]
        loaded = loading.load(definition)
        if loaded is not None and definition.kind == "survey" and definition.period.granularity == "month":
            months.update(periods(loaded.frame))
    return sorted(months, reverse=True)


def downloads(key: PackKey, pack: BoardPack) -> None:
    """The pack in each format, side by side (none in presenter mode). Each document is laid out when its button
    is pressed (then cached), not with the page: the page's first view waits for none of the three."""
    if url_state.presenter_mode():
        st.caption("Downloads are hidden in presenter mode.")
        return
    columns = st.columns(len(FORMATS))
    samples_on = samples_enabled()
    for column, fmt in zip(columns, FORMATS, strict=True):
        with column:
            st.download_button(
                FORMAT_WORDS[fmt],
                data=functools.partial(_document_bytes, key, fmt, samples_on),
                file_name=file_name(pack, fmt),
                mime=MIME[fmt],
                on_click="ignore",
                key=f"pack-{fmt}",
                icon=":material/download:",
            )


def the_pack(pack: BoardPack) -> None:
    """The pack's text on the page, section by section."""
    st.header(pack.title)
    for section in pack.sections:
        st.subheader(section.heading)
        for point in section.points:
            st.text(point)


st.title("Board pack")
st.caption(
    "The board paper written from the app's own figures, in the source paper's order: every number with its base "
    "or period, a rise or fall only when the test says it is significant, suppressed figures never shown."
)
allowed = viewable_surveys()
held_months = months_held(allowed)
period = st.selectbox(
    "Month",
    [LATEST, *held_months],
    key="pack_period",
    format_func=lambda p: "each survey's latest results" if p == LATEST else period_label(p),
    help="Quarterly surveys use the quarter containing the month.",
)
chosen = None if period == LATEST else period
since = st.selectbox(
    "Since the last board",
    [NO_SINCE, *(m for m in held_months if m < (chosen or held_months[0]))] if held_months else [NO_SINCE],
    key="pack_since",
    format_func=lambda m: "no comparison" if m == NO_SINCE else period_label(m),
    help="The month the last board paper reported: a section says what changed since then, by the z-test.",
)
key: PackKey = (
    loading.store_version(),
    str(loading.store().data_dir),
    chosen,
    tuple(allowed),
    None if since == NO_SINCE else since,
)
pack = loading.board_pack(*key, samples_enabled())
if pack.sample:
    st.info(
        f"**{SAMPLE_MARK}.** The pack uses the bundled sample records for: {', '.join(pack.sample_surveys)}. "
        "Every page of the document is marked.",
        icon=":material/science:",
    )
for line in pack.missing + pack.notes:
    st.warning(line, icon=":material/event_busy:")
downloads(key, pack)
the_pack(pack)
