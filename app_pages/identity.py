"""Who is using the app and what they may see: local mode or sign-in (``st.login``).

Not a page itself. With no ``[auth]`` section in Streamlit's secrets the app is in local
mode (one person, everything visible, a banner saying so; ``app_pages/serving.py`` keeps it on
this computer). With one, every visitor signs in with the identity provider and their rights
come from ``config/access.yaml`` (``insight.config.access``, which matches claims exactly).
A sign-in is over once it is older than the file's ``max_session_hours`` (from its ``iat``) or
its holder signed out (``insight.store.sessions``, read by every replica): the visitor is asked
to sign in again. ``app.py`` asks here before it draws any page; pages ask ``user()``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import streamlit as st

from app_pages import faults, loading, url_state
from insight.config.access import LOCAL_BANNER, AccessPolicy, User, local_user, session_ended
from insight.config.files import ConfigError
from insight.config.loader import access_alone
from insight.intake.plain_text import literal
from insight.store.access_log import record_view
from insight.store.sessions import ended_by_sign_out, record_refusal, record_sign_out

# Pages that show one dataset's figures (the one in the filters), and those showing several.
DATASET_PAGES = ("satisfaction", "trends", "respondents", "comments", "wmnow", "compliance")
DENIED = "You don't have access to this survey."
SIGNED_OUT = "You signed out of this sign-in, so it no longer opens the app; sign in again to carry on."
T = TypeVar("T")
LOG = logging.getLogger("insight.access")


class NoAccessFile(Exception):
    """Sign-in is configured but there is no config/access.yaml: nobody may see anything."""


def policy() -> AccessPolicy | None:
    """config/access.yaml, read and checked with every other configuration file (re-read when it changes).

    When another configuration file is broken, the access file alone: it says who may see the mistakes.
    ConfigError when the access file itself is broken.
    """
    try:
        return loading.config().extra.get("access.yaml")
    except ConfigError:
        return access_alone()


def sign_in_configured() -> bool:
    """An ``[auth]`` section in the secrets Streamlit reads (``st.login`` needs it)."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


def current_user() -> User | None:
    """The person signed in; None when they have not, or their sign-in is over (``sign_in_again`` says why).

    Local mode is ``app.py``'s to decide (``local_user``). Raises NoAccessFile without an access file, and
    ConfigError when the access file is broken: nobody gets in until it is put right.
    """
    if not st.user.get("is_logged_in"):
        return None
    rules = policy()
    if rules is None:
        raise NoAccessFile("Sign-in is configured but config/access.yaml is missing, so nobody may see any survey.")
    claims: Mapping[str, Any] = st.user.to_dict()  # the ID token's claims (and Streamlit's own few)
    user = rules.user(claims)
    ended = session_ended(claims, rules.max_session_hours, time.time())
    if ended is None and ended_by_sign_out(loading.store().data_dir, user.email, float(claims["iat"])):
        ended = SIGNED_OUT
        _refused(user, "a sign-in already signed out of was used again")
    if ended is not None:
        st.session_state["_sign_in_again"] = ended
        return None
    if user.refused:
        _refused(user, user.refused)
    st.session_state["user"] = user
    return user


def session_over() -> bool:
    """Has the sign-in this page was drawn for ended since (signed out of elsewhere, or now too old)?

    Asked by the live reload every 5 seconds, so an open page does not outlive its sign-in.
    """
    u = st.session_state.get("user")
    if not isinstance(u, User) or u.local:
        return False
    if not st.user.get("is_logged_in"):
        return True
    try:
        rules = policy()
    except ConfigError:  # the access file broke meanwhile: the full run says so
        return True
    claims: Mapping[str, Any] = st.user.to_dict()
    if rules is None or session_ended(claims, rules.max_session_hours, time.time()) is not None:
        return True
    return ended_by_sign_out(loading.store().data_dir, u.email, float(claims["iat"]))


def local() -> User:
    user = local_user(list(loading.definitions()))
    st.session_state["user"] = user
    return user


def _refused(user: User, reason: str) -> None:
    """A sign-in refused: in the server log and the session log (the audit trail), once per browser session."""
    if st.session_state.get("_refusal_recorded") == (user.email, reason):
        return
    st.session_state["_refusal_recorded"] = (user.email, reason)
    faults.server_log()
    LOG.warning("sign-in refused for %s: %s", user.email, reason)
    record_refusal(loading.store().data_dir, user=user.email, reason=reason)


def sign_in_again() -> str | None:
    """Why the visitor must sign in again (their sign-in is too old, or was signed out of), if it is so."""
    reason = st.session_state.get("_sign_in_again")
    return reason if isinstance(reason, str) else None


def sign_out() -> None:
    """Sign out: recorded in the store (every replica then refuses this cookie), then ended in this browser."""
    u = st.session_state.get("user")
    if isinstance(u, User) and not u.local:
        issued = st.user.get("iat")
        try:
            record_sign_out(
                loading.store().data_dir, user=u.email, issued=issued if isinstance(issued, (int, float)) else None
            )
        except Exception as exc:  # the browser still signs out; the log says the cookie was not ended everywhere
            faults.logged(exc, f"recording the sign-out of {u.email} (its cookie is not refused elsewhere)")
    st.logout()


def user() -> User:
    """The user ``app.py`` established for this run (pages only run for someone with access)."""
    found = st.session_state.get("user")
    assert isinstance(found, User), "app.py sets the user before any page runs"
    return found


def visible(datasets: Mapping[str, T]) -> dict[str, T]:
    """Only the entries (dataset -> anything) the user may view, in the same order."""
    u = user()
    return {k: v for k, v in datasets.items() if u.may_view(k)}


# A link opened before signing in is remembered in the tab (the identity provider's round trip ends
# on the app's front page) and opened again once signed in. Only this app's own paths ("/…", never
# "//host"), the sign-in's own callback never.
REMEMBER_LINK = """<span class="after-sign-in"></span><script>(() => {
  const here = location.pathname + location.search;
  if (location.pathname.includes('oauth2callback')) return;
  if (here !== '/') sessionStorage.setItem('insight-link', here); else sessionStorage.removeItem('insight-link');
})();</script>"""
OPEN_REMEMBERED_LINK = """<span class="after-sign-in"></span><script>(() => {
  const link = sessionStorage.getItem('insight-link');
  sessionStorage.removeItem('insight-link');
  if (!link || link[0] !== '/' || link[1] === '/' || link.charCodeAt(1) === 92) return;  // 92: a backslash
  if (link !== location.pathname + location.search) location.replace(link);
})();</script>"""


def remember_link() -> None:
    """On the sign-in page: keep the link the visitor opened, to open it once they have signed in."""
    st.html(REMEMBER_LINK, unsafe_allow_javascript=True)


def sidebar(u: User, *, present: bool) -> None:
    """Who is signed in, their role and a sign-out button; in local mode, the banner (sidebar in presenter mode)."""
    if u.local:
        (st.sidebar if present else st).warning(LOCAL_BANNER, icon=":material/lock_open:")
        return
    if not st.session_state.get("_link_reopened"):  # the first run after signing in: open the link they came with
        st.session_state["_link_reopened"] = True
        st.sidebar.html(OPEN_REMEMBERED_LINK, unsafe_allow_javascript=True)
    role = u.role or "no access"
    st.sidebar.markdown(f"Signed in as **{literal(u.name)}** ({literal(u.email)}) · {role}")
    st.sidebar.button(
        "Sign out", on_click=faults.callback(sign_out, "signing out"), icon=":material/logout:", key="sign_out"
    )


def denied_dataset(page_path: str) -> str | None:
    """The dataset a link asks for that this user may not see (None if the link is fine)."""
    asked = "wmnow" if page_path == "wmnow" else st.query_params.get("dataset")
    if asked and asked in loading.definitions() and not user().may_view(asked):
        return asked
    return None


def log_view(u: User, page_path: str, filters: url_state.Filters) -> None:
    """Record opening a page that shows a restricted dataset: once per page opened, not on every rerun."""
    rules = policy()
    restricted = rules.restricted if rules else frozenset()
    if page_path in DATASET_PAGES:
        shown = [filters.dataset] if filters.dataset in restricted else []
    elif page_path in ("", "board-pack"):  # the overview and the board pack show every dataset the user may view
        shown = [d for d in u.viewable if d in restricted]
    else:
        shown = []
    opened = (page_path, tuple(shown))
    if not shown or st.session_state.get("_view_logged") == opened:
        st.session_state["_view_logged"] = opened
        return
    st.session_state["_view_logged"] = opened
    chosen: dict[str, object] = (
        {"period": filters.period, "by": filters.by, "aspect": filters.aspect, **filters.dims} if page_path else {}
    )
    for dataset in shown:
        record_view(
            loading.store().data_dir, user=u.email, page=page_path or "overview", dataset=dataset, filters=chosen
        )
