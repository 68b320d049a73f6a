"""How the app looks: its one CSS block (WCAG 2.2 AA contrast, focus ring, phone rules), presenter
mode's larger type, and the one script that closes the sidebar on a phone.

New pages inherit all of it: app.py draws the style on every page, the sign-in pages draw it themselves.
"""

from __future__ import annotations

import streamlit as st

# One style block for every page (WCAG 2.2 AA), plus the presenter's on top. New pages
# inherit it: they need nothing of their own.
INK = "#1f1f1f"
MUTED = "#4a4a4a"  # captions: 8.9:1 on white (Streamlit's grey is 3.9:1, an axe failure)
FOCUS = "#1a5fb4"  # focus ring: 6.5:1 on white, 3px, never removed
BASE_CSS = f"""
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="InputInstructions"], [data-testid="stWidgetLabel"] small {{ color: {MUTED} !important;
  opacity: 1 !important; }}
:focus-visible, [data-baseweb="select"] input:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
[data-baseweb="select"]:focus-within > div, [data-baseweb="input"]:focus-within,
[data-testid="stFileUploaderDropzone"]:focus-within {{ box-shadow: 0 0 0 3px {FOCUS} !important; }}
[data-testid="stSidebarNav"] a:focus-visible {{ outline: 3px solid {FOCUS} !important;
  outline-offset: -3px !important; }}
[data-testid="stButtonGroup"] button[data-selected="true"], [data-testid="stButtonGroup"] button[data-selected="true"] p
{{ color: {INK} !important; background: #dbe8f6 !important; border-color: {FOCUS} !important; }}
.sample-mark {{ display: inline-block; background: #fff3cd; color: #5c3c00; border: 2px solid #5c3c00;
  font-weight: 700; letter-spacing: .04em; padding: 0 .45em; border-radius: .25rem; font-size: .85rem; }}
.chart-finding {{ color: {INK}; font-size: .95rem; margin: 0 0 .5rem; }}
p.finding {{ color: {INK}; font-size: 1.15rem; font-weight: 600; margin: 0 0 .25rem; }}
p.verdict {{ color: {INK}; font-size: 1.3rem; font-weight: 700; margin: 0; }}
.view-place {{ margin: 0; font-weight: 600; color: {INK}; }}
.share-box {{ display: flex; flex-direction: column; gap: .35rem; font-size: .9rem; color: {INK}; }}
.share-box .share-link {{ width: 100%; padding: .35rem .5rem; border: 1px solid {MUTED}; border-radius: .4rem;
  font: inherit; color: {INK}; background: #fff; }}
.share-box .share-actions {{ display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }}
.share-box .share-copy {{ font: inherit; font-weight: 600; color: {INK}; background: #fff; cursor: pointer;
  border: 1px solid {MUTED}; border-radius: .5rem; padding: .4rem .9rem; min-height: 2.5rem; }}
.share-box .share-copy:hover {{ border-color: {FOCUS}; color: {FOCUS}; }}
.share-box .share-present-choice {{ display: flex; gap: .4rem; align-items: center; cursor: pointer; }}
.share-box .share-status {{ margin: 0; color: {INK}; }}
.share-box .share-status:empty {{ display: none; }}
.share-compact {{ flex-direction: row; align-items: center; flex-wrap: wrap; }}
.share-compact .share-label, .share-compact .share-link {{ position: absolute; left: -10000px; width: 1px; }}
.share-compact.share-fallback .share-label, .share-compact.share-fallback .share-link {{ position: static;
  width: 28rem; max-width: 90vw; }}
[data-testid="stElementContainer"]:has(.app-style), [data-testid="stElementContainer"]:has(.sidebar-closer),
[data-testid="stElementContainer"]:has(.after-sign-in) {{
  display: none; }}
@media (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: .75rem; padding-right: .75rem; }}
  [data-testid="stMetricValue"] {{ font-size: 2rem; }}
  h1 {{ font-size: 1.9rem !important; }} h2 {{ font-size: 1.5rem !important; }}
  [data-testid="stExpandSidebarButton"]::after {{ content: "Expand sidebar"; margin-left: .3rem; color: {INK};
    font-size: .95rem; }}
}}
"""
PRESENTER_CSS = """
html, body, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
[data-testid="stMainBlockContainer"] { padding-top: .6rem !important; padding-bottom: 1rem !important;
  max-width: 100% !important; }
[data-testid="stHeader"] { height: 2.75rem !important; min-height: 2.75rem !important;
  background: transparent !important; }
[data-testid="stHeader"], [data-testid="stHeader"] div { pointer-events: none !important; }
[data-testid="stHeader"] button { pointer-events: auto !important; }
h1 { font-size: 2rem !important; padding: 0 !important; }
h2 { font-size: 1.75rem !important; padding: .2rem 0 0 !important; }
h3 { font-size: 1.6rem !important; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 4.2rem !important;
  line-height: 1.1 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem !important; }
[data-testid="stAlertContainer"] { padding: .35rem .8rem !important; }
[data-testid="stAlertContainer"] p { font-size: 1.15rem !important; }
[data-testid="stTable"] table { width: 100% !important; table-layout: auto; }
[data-testid="stTable"] > div { overflow: visible !important; }
[data-testid="stTable"] th, [data-testid="stTable"] td { font-size: 1.35rem !important;
  padding: .35rem .6rem !important; white-space: normal !important; overflow-wrap: anywhere; }
[data-testid="stToolbarActions"], [data-testid="stMainMenu"], [data-testid="stDecoration"],
[data-testid="stAppDeployButton"] { display: none; }
[data-testid="stVerticalBlock"] { gap: .6rem; }
.st-key-presenter-bar { padding: 0 0 .4rem 0; border-bottom: 1px solid #d0d0d0; row-gap: .4rem; }
.st-key-presenter-period [data-testid="stWidgetLabel"] { position: absolute; left: -10000px; }
.st-key-presenter-period [data-testid="stSelectbox"] { width: 11rem !important; }
.st-key-presenter-bar button { padding: .2rem .7rem !important; min-height: 2.2rem !important; }
.st-key-presenter-bar button p, .st-key-presenter-bar .view-place, .share-compact { font-size: 1rem !important; }
.st-key-presenter-bar .share-copy { padding: .2rem .7rem; min-height: 2.2rem; }
.st-key-presenter-bar kbd { font-size: .8rem; }
@media (max-width: 1500px) { .st-key-presenter-bar kbd { display: none; } }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-top: 3.5rem !important; } }
p.finding { font-size: 1.6rem !important; }
p.verdict { font-size: 1.9rem !important; line-height: 1.2; margin-bottom: .3rem; }
[data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
[data-testid="stExpander"] summary p { font-size: 1.2rem; }
"""


def draw(present: bool, *, in_sidebar: bool = True) -> None:
    """The app's one CSS block: contrast, focus ring, mobile, and presenter mode when on.

    Drawn as an element of the sidebar (the empty span makes it one): a style-only block goes to
    Streamlit's event container instead, which a fragment's rerun (live_reload) can empty. Pages
    shown before sign-in have no sidebar (nor fragment): there it goes in the page (``in_sidebar=False``).
    """
    where = st.sidebar if in_sidebar else st
    where.html(f'<style>{BASE_CSS}{PRESENTER_CSS if present else ""}</style><span class="app-style"></span>')


# On a phone the sidebar lies over the page: once a choice is made, it is closed so the page shows
# (url_state decides when). Streamlit's own breakpoint for the overlaid sidebar is 768 px.
CLOSE_SIDEBAR = """<span class="sidebar-closer"></span><script>/* {n} */ (() => {{
  if (!window.matchMedia('(max-width: 767.98px)').matches) return;
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (close && sidebar && sidebar.getBoundingClientRect().right > 0) close.click();
}})();</script>"""


def close_sidebar_on_a_phone() -> None:
    """Close the sidebar if it lies over the page (a phone); on a wider screen the script does nothing."""
    # numbered: Streamlit redraws (and so runs) the script only when it differs from the last one
    n = st.session_state["_sidebar_closes"] = st.session_state.get("_sidebar_closes", 0) + 1
    st.sidebar.html(CLOSE_SIDEBAR.format(n=n), unsafe_allow_javascript=True)
