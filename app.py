"""Citizen satisfaction insight: the Streamlit entry point.

Builds the navigation in one place and frames every page with the shared sidebar
filters (bound to the URL, so a link opens exactly the same view). Pages live in
app_pages/, not pages/: with a pages/ folder beside app.py Streamlit falls back to its
legacy multipage mode on deep links and the shared sidebar vanishes (DESIGN.md).
"""

from __future__ import annotations

import streamlit as st

from app_pages import ui

present = ui.presenter_mode()
st.set_page_config(
    page_title="Citizen satisfaction insight",
    page_icon=":material/insights:",
    layout="wide",
    initial_sidebar_state="collapsed" if present else "auto",
)
ui.require_config()  # a configuration mistake shows the list of mistakes, never a traceback

overview = st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)
upload = st.Page("app_pages/upload.py", title="Upload", icon=":material/upload_file:", url_path="upload")
satisfaction = st.Page(
    "app_pages/satisfaction.py", title="Satisfaction", icon=":material/sentiment_satisfied:", url_path="satisfaction"
)
trends = st.Page("app_pages/trends.py", title="Trends", icon=":material/timeline:", url_path="trends")
respondents = st.Page("app_pages/respondents.py", title="Respondents", icon=":material/groups:", url_path="respondents")
comments = st.Page("app_pages/comments.py", title="Comments", icon=":material/forum:", url_path="comments")
wmnow = st.Page("app_pages/wmnow.py", title="WMNow diversity", icon=":material/diversity_3:", url_path="wmnow")
data = st.Page("app_pages/data.py", title="Data and definitions", icon=":material/description:", url_path="data")

pages = [overview, satisfaction, trends, respondents, comments, wmnow, data]
if not present:
    pages.insert(1, upload)  # presenter mode hides the upload page
page = st.navigation(pages)

version = ui.store().version()
# Each page is offered only the controls that act on it.
CONTROLS = {
    "": frozenset({"period"}),
    "respondents": frozenset({"dataset", "period", "dims"}),
    "comments": frozenset({"dataset", "period", "aspect", "dims"}),
    "wmnow": frozenset({"period", "dims"}),
    "upload": frozenset(),
    "data": frozenset(),
}
filters = ui.sidebar_filters(
    dataset_override="wmnow" if page.url_path == "wmnow" else None,
    show=CONTROLS.get(page.url_path, ui.EVERY_CONTROL),
    period_options=ui.overview_periods() if page.url_path == "" else None,
)
st.session_state["filters"] = filters
ui.style(present)
ui.new_page()
ui.share_link(page.url_path)
ui.live_reload(version)
page.run()
