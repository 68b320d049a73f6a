"""Comments: free text by theme, how each theme relates to satisfaction, and the comments themselves."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app_pages import identity, loading, output, sections, url_state
from insight.config.definition import Definition
from insight.config.themes import Theme
from insight.display import charts, tables, wording
from insight.display.tables import comments_table, theme_table
from insight.display.views import comment_themes
from insight.periods import period_label


def say_who_collects_comments(definition: Definition) -> None:
    """A survey without a free-text question: name those with one, and stop."""
    with_text = [d.title for d in identity.visible(loading.definitions()).values() if d.free_text]
    st.info(f"{definition.title} has no free-text question. Comments are collected by: {', '.join(with_text)}.")
    st.stop()


def themes_and_satisfaction(
    counts: pl.DataFrame, definition: Definition, *, period: str | None, headline: str, label: str, total: int
) -> None:
    st.header(f"Themes, {label}")
    top = counts.sort("comments", descending=True).row(0, named=True) if counts.height else None
    output.figure(
        charts.theme_bars(counts, title=f"Share of comments by theme, {label}", look=output.look()),
        f"{definition.dataset}-themes",
        finding=(
            f"Most mentioned: {top['theme']}, in {wording.pct(top['share'])} of the {total:,} comments."
            if top and top["comments"]
            else None
        ),
        notes=[
            f"The table gives % positive on *{headline}* among people whose comment mentions the theme, and among "
            "those whose does not."
        ],
        data=theme_table(counts),
        data_name=f"{definition.dataset}-themes-{period}",
    )


def read_the_comments(listed: pl.DataFrame, themes: list[Theme], definition: Definition, *, headline: str) -> None:
    st.header("Read the comments")
    names = {t.key: t.name for t in themes}
    cols = st.columns([1, 2])
    theme_key = cols[0].selectbox(
        "Theme", ["any", *names], format_func=lambda k: names.get(k, "any theme"), key="theme"
    )
    search = cols[1].text_input("Search", key="comment_search", placeholder="words in the comment")
    shown = comments_table(
        listed, theme=None if theme_key == "any" else theme_key, search=search, answer_label=headline
    )
    at_most = tables.COMMENTS_ON_SCREEN
    if shown.height > at_most:
        st.caption(
            f"{shown.height:,} comment(s); at most the first {at_most:,} are shown. Choose a theme or search to narrow "
            "them, or download the table for all of them."
        )
    else:
        st.caption(f"{shown.height:,} comment(s)")
    output.table(shown.head(at_most), f"{definition.dataset}-comments", download=shown)


filters = url_state.current()
definition = loading.definitions()[filters.dataset]
output.page_title(f"{definition.title}: what people told us")
if not definition.free_text:
    say_who_collects_comments(definition)
loaded = loading.load(definition)
if loaded is None:
    st.info(output.NO_DATA)
    st.stop()
output.sample_banner(loaded, definition)
themes = loading.config().themes
aspect = filters.aspect or definition.headline or definition.aspects[0]
counts, listed = loading.compute(
    comment_themes,
    loaded,
    definition,
    uses=("themes",),
    rows=True,
    period=filters.period,
    aspect=aspect,
    filters=filters.dims,
)
label = period_label(filters.period) if filters.period else "all periods"
(st.sidebar if filters.present else st).caption(  # a meeting screen keeps its room for the figures
    f"{listed.height:,} comments in {label}. A comment can carry several themes, "
    'each with a tone: a complaint (negative phrasing such as "nobody called me back"), praise or neutral. '
    "Emails, phone numbers, postcodes and crime references are masked."
)
if listed.height == 0:
    st.info(f"No comments in {label}.")
    st.stop()
headline = definition.aspect_label(aspect)
sections.show(
    [
        sections.View(
            "themes",
            "Themes",
            lambda: themes_and_satisfaction(
                counts, definition, period=filters.period, headline=headline, label=label, total=listed.height
            ),
        ),
        sections.View(
            "comments", "Read the comments", lambda: read_the_comments(listed, themes, definition, headline=headline)
        ),
    ]
)
