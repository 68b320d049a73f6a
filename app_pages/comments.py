"""Comments: free text by theme, how each theme relates to satisfaction, and the comments themselves."""

from __future__ import annotations

import streamlit as st

from app_pages import identity, ui
from insight.display import charts
from insight.display.tables import comments_table, theme_table
from insight.figures.comments import comments, theme_counts
from insight.figures.metrics import apply_filters
from insight.periods import period_label

filters: ui.Filters = st.session_state["filters"]
definition = ui.definitions()[filters.dataset]
st.title(f"{definition.title}: what people told us")

if not definition.free_text:
    with_text = [d.title for d in identity.visible(ui.definitions()).values() if d.free_text]
    st.info(f"{definition.title} has no free-text question. Comments are collected by: {', '.join(with_text)}.")
    st.stop()
loaded = ui.load(definition)
if loaded is None:
    st.info(ui.NO_DATA)
    st.stop()
ui.sample_banner(loaded, definition)
themes = ui.config().themes
aspect = filters.aspect or definition.headline or definition.aspects[0]
frame = apply_filters(loaded.frame, filters.dims).collect()
counts = theme_counts(frame, definition, themes, period=filters.period, aspect=aspect)
listed = comments(frame, definition, themes, period=filters.period, aspect=aspect)
label = period_label(filters.period) if filters.period else "all periods"
st.caption(
    f"{listed.height:,} comments in {label}. A comment can carry several themes, "
    'each with a tone: a complaint (negative phrasing such as "nobody called me back"), praise or neutral. '
    "Emails, phone numbers, postcodes and crime references are masked."
)
if listed.height == 0:
    st.info(f"No comments in {label}.")
    st.stop()

headline = definition.aspect_label(aspect)
ui.chart(charts.theme_bars(counts, title=f"Share of comments by theme, {label}"), f"{definition.dataset}-themes")
st.header("Themes and satisfaction")
st.caption(f"% positive on *{headline}* among people whose comment mentions the theme, and among those whose does not.")
ui.table(theme_table(counts), f"{definition.dataset}-themes-{filters.period}")

st.header("Read the comments")
names = {t.key: t.name for t in themes}
cols = st.columns([1, 2])
theme_key = cols[0].selectbox("Theme", ["any", *names], format_func=lambda k: names.get(k, "any theme"), key="theme")
search = cols[1].text_input("Search", key="comment_search", placeholder="words in the comment")
shown = comments_table(listed, theme=None if theme_key == "any" else theme_key, search=search, answer_label=headline)
st.caption(f"{shown.height:,} comment(s)")
ui.table(shown, f"{definition.dataset}-comments")
