"""A page's views, in order, with the one a link names first.

A page hands ``show`` its views (a key, a title and what draws it). A link names a view with
``view=KEY``; a link with a breakdown (``by=``) names the page's breakdown view. On a screen the
named view comes first and the others follow in the page's order, each in its own box (about one
1366×768 screen each). In presenter mode there is one view per screen: the named one first, with
"Previous view" and "Next view" in the presenter's bar (Page Up and Page Down, as a clicker sends),
and the address always names the view on screen, so a link copied then opens on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages import url_state

PREVIOUS, NEXT = "PageUp", "PageDown"  # what a presenter's clicker sends


@dataclass(frozen=True)
class View:
    key: str  # its name in a link: view=KEY
    title: str  # in the presenter's bar: "2 of 4: What people answered"
    draw: Callable[[], None]
    breakdown: bool = False  # the view a link with a breakdown (by=) is about


def named(views: list[View]) -> View:
    """The view the address names (``view=``); else, with a breakdown chosen, the breakdown's view; else the first."""
    by_key = {v.key: v for v in views}
    asked = url_state.page_param("view")
    if asked in by_key:
        return by_key[asked]
    if url_state.current().by:
        return next((v for v in views if v.breakdown), views[0])
    return views[0]


def show(views: list[View]) -> None:
    """The page's views: one per screen in presenter mode, else every one, the named one first."""
    views = [v for v in views if v is not None]
    if not views:
        return
    first = named(views)
    if url_state.current().present:
        url_state.set_page_param("view", first.key)  # the address names what is on screen
        _steps(views, first)
        with st.container(key=f"view-{first.key}"):
            first.draw()
        return
    for view in [first, *(v for v in views if v is not first)]:
        with st.container(key=f"view-{view.key}"):
            view.draw()


def _go(key: str) -> None:
    url_state.set_page_param("view", key)


def _steps(views: list[View], current: View) -> None:
    """Previous and next view in the presenter's bar (the page's order, round from the last to the first)."""
    if len(views) < 2:
        return
    bar: DeltaGenerator = st.session_state.get("_presenter_views") or st.container()
    i = views.index(current)
    before, after = views[i - 1], views[(i + 1) % len(views)]
    bar.button(
        "Previous view",
        key="view-previous",
        icon=":material/navigate_before:",
        shortcut=PREVIOUS,
        help=f"{before.title} (Page Up)",
        on_click=_go,
        args=(before.key,),
    )
    bar.markdown(  # the view's own heading, just below, says what it is
        f'<p class="view-place" aria-live="polite" title="{escape(current.title)}">View {i + 1} of {len(views)}</p>',
        unsafe_allow_html=True,
    )
    bar.button(
        "Next view",
        key="view-next",
        icon=":material/navigate_next:",
        icon_position="right",
        shortcut=NEXT,
        help=f"{after.title} (Page Down)",
        on_click=_go,
        args=(after.key,),
    )
