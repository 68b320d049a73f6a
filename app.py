"""Citizen satisfaction insight: the Streamlit entry point.

Builds the navigation in one place and frames every page with the shared sidebar
filters (bound to the URL, so a link opens exactly the same view). Pages live in
app_pages/, not pages/: with a pages/ folder beside app.py Streamlit falls back to its
legacy multipage mode on deep links and the shared sidebar vanishes (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NoReturn

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages import faults, identity, loading, output, serving, style, url_state
from insight.config.access import User
from insight.config.files import ConfigError

# Every page's address, so a link to any of them still lands on the sign-in (or no access)
# page rather than on Streamlit's "Page not found".
URL_PATHS = (
    "upload", "satisfaction", "trends", "respondents", "comments", "wmnow", "compliance", "board-pack", "data",
)  # fmt: skip

# Each page is offered only the controls that act on it.
CONTROLS = {
    "": frozenset({"period"}),
    "respondents": frozenset({"dataset", "period", "dims"}),
    "comments": frozenset({"dataset", "period", "aspect", "dims"}),
    "wmnow": frozenset({"period", "dims"}),
    "compliance": frozenset({"period", "by", "aspect", "dims"}),  # its dataset: a checklist (loading.checklist)
    "upload": frozenset(),
    "board-pack": frozenset(),  # the pack has its own month picker
    "data": frozenset(),
}


def main() -> None:
    present = url_state.presenter_mode()
    st.set_page_config(
        page_title="Citizen satisfaction insight",
        page_icon=":material/insights:",
        layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )
    faults.show_pending()  # a widget callback that failed left one sentence
    user = signed_in_user()
    identity.sidebar(user, present=present)  # who is signed in, and Sign out, even when nothing else can be shown
    loading.require_config(details=user.local or user.role == "admin")
    loading.begin_run()  # the store's versions, read once in this run
    if not user.has_access:
        only("app_pages/no_access.py", "No access")
    can_upload = bool(user.manageable) and not present
    overview, page = navigation(user, present=present, can_upload=can_upload)
    refuse_what_the_user_may_not_see(page, overview, can_upload=can_upload)
    frame(page, user, present=present)
    page.run()


def only(page: str | Callable[[], None], title: str) -> NoReturn:
    """A run that shows one page and nothing else (sign-in, no access, a broken access file)."""
    stand_ins = [st.Page(page, title=title, url_path=p, visibility="hidden") for p in URL_PATHS]
    st.navigation([st.Page(page, title=title, default=True), *stand_ins], position="hidden").run()
    st.stop()


def sentence(text: str) -> Callable[[], None]:
    """A page of one sentence."""

    def page() -> None:
        st.error(text, icon=":material/block:")

    return page


def signed_in_user() -> User:
    """The person using the app; anyone else sees one page and stops.

    Local mode: only a client on this computer, who sees the configuration's mistakes if there are any.
    Sign-in: a visitor not signed in (or whose sign-in is over) sees only the sign-in page; a broken or
    missing access file lets nobody in. (``main`` then lists a broken configuration to an admin, and tells
    anyone else only that it is misconfigured.)
    """
    if not identity.sign_in_configured():
        if not serving.from_this_computer(st.context.ip_address, st.context.headers):
            only(sentence(serving.LOCAL_ONLY), "Local mode")
        loading.require_config(details=True)  # the person at this computer is the administrator
        return identity.local()
    try:
        user = identity.current_user()
    except identity.NoAccessFile as exc:  # fail closed: nobody sees anything until the file is put back
        only(sentence(str(exc)), "No access")
    except ConfigError:  # the access file itself is broken: nobody can be told more
        only(sentence(loading.MISCONFIGURED), "No access")
    if user is None:
        only("app_pages/sign_in.py", "Sign in")
    return user


def shown(allowed: bool) -> Literal["visible", "hidden"]:
    # A page the user may not use stays registered but hidden, so a link to it says why
    # instead of silently opening another page.
    return "visible" if allowed else "hidden"


def navigation(user: User, *, present: bool, can_upload: bool) -> tuple[st.Page, st.Page]:
    """Every page in the menu (the overview first), and the page this run shows."""
    overview = st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)
    upload = st.Page(
        "app_pages/upload.py",
        title="Upload",
        icon=":material/upload_file:",
        url_path="upload",
        visibility=shown(can_upload),
    )
    satisfaction = st.Page(
        "app_pages/satisfaction.py",
        title="Satisfaction",
        icon=":material/sentiment_satisfied:",
        url_path="satisfaction",
    )
    trends = st.Page("app_pages/trends.py", title="Trends", icon=":material/timeline:", url_path="trends")
    respondents = st.Page(
        "app_pages/respondents.py", title="Respondents", icon=":material/groups:", url_path="respondents"
    )
    comments = st.Page("app_pages/comments.py", title="Comments", icon=":material/forum:", url_path="comments")
    wmnow = st.Page(
        "app_pages/wmnow.py",
        title="WMNow diversity",
        icon=":material/diversity_3:",
        url_path="wmnow",
        visibility=shown(user.may_view("wmnow")),
    )
    checklist = loading.checklist(user.viewable)
    compliance = st.Page(
        "app_pages/compliance.py",
        title="Victims' Code compliance",
        icon=":material/fact_check:",
        url_path="compliance",
        visibility=shown(checklist is not None),
    )
    board_pack = st.Page(
        "app_pages/board_pack.py", title="Board pack", icon=":material/summarize:", url_path="board-pack"
    )
    data = st.Page("app_pages/data.py", title="Data and definitions", icon=":material/description:", url_path="data")

    pages = [overview, satisfaction, trends, respondents, comments, wmnow, compliance, board_pack, data]
    if not present:
        pages.insert(1, upload)  # presenter mode hides the upload page
    return overview, st.navigation(pages)


def refuse_what_the_user_may_not_see(page: st.Page, overview: st.Page, *, can_upload: bool) -> None:
    """Stop with a reason when a link opens a page, or a survey, this user may not use."""
    if page.url_path == "upload" and not can_upload:
        st.title("Upload survey exports")
        st.error("Only managers of a survey can upload or undo its data.", icon=":material/block:")
        st.stop()
    if identity.denied_dataset(page.url_path):
        st.error(identity.DENIED, icon=":material/block:")
        st.page_link(overview, label="Go to the overview", icon=":material/arrow_forward:")
        st.stop()


def frame(page: st.Page, user: User, *, present: bool) -> None:
    """What surrounds every page: the shared filters, the style, the share box and the live reload.

    In presenter mode a bar across the top of the page holds what a presenter steers by (the sidebar may be
    closed on a meeting screen): the period with its steps, the page's views, and "Copy link".
    """
    version = loading.store_version()
    show = CONTROLS.get(page.url_path, url_state.EVERY_CONTROL)
    bar = presenter_bar() if present else None
    filters = url_state.sidebar_filters(
        dataset_override="wmnow" if page.url_path == "wmnow" else page_dataset(page.url_path, user),
        allowed=[*identity.visible(loading.definitions())],
        show=show,
        period_options=loading.overview_periods() if page.url_path == "" else None,
        bar=bar if "period" in show else None,
    )
    st.session_state["filters"] = filters
    style.draw(present)
    output.new_page()
    if bar is not None:
        st.session_state["_presenter_views"] = bar.container(
            horizontal=True, gap="small", width="content", key="presenter-views", vertical_alignment="center"
        )
        url_state.share_box(page.url_path, where=bar, compact=True)
    else:
        st.session_state["_presenter_views"] = None
        url_state.share_box(page.url_path)
    loading.live_reload(version, identity.session_over)
    identity.log_view(user, page.url_path, filters)


def page_dataset(url_path: str, user: User) -> str | None:
    """The dataset a page is about whatever the sidebar holds: the compliance page's checklist."""
    return loading.checklist(user.viewable) if url_path == "compliance" else None


def presenter_bar() -> DeltaGenerator:
    """The presenter's bar: one row across the top of the page, wrapping on a narrow screen."""
    return st.container(horizontal=True, gap="small", vertical_alignment="bottom", key="presenter-bar")


with faults.guard("the page"):  # an unexpected error: one sentence and a reference, the details in the server log
    main()
