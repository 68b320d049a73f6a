"""What a visitor sees when something unexpected goes wrong: one sentence and a reference, never the error.

An exception's text can hold a path, a query, a file name or a figure; none of it reaches the browser.
The page, the live reload's fragment and every widget callback run inside a guard: the visitor is told,
in one sentence, that something went wrong, with a short reference (``1A2B3C4D``); the server log has
the same reference with the full traceback, so the administrator can find it. ``client.showErrorDetails``
is ``"none"`` in ``.streamlit/config.toml`` as the backstop for anything outside a guard.
"""

from __future__ import annotations

import functools
import logging
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec

import streamlit as st

P = ParamSpec("P")
LOG = logging.getLogger("insight.app")
SENTENCE = (
    "Something went wrong on our side, so this could not be shown; if it happens again, give the app's "
    "administrator the reference {reference}."
)
_PENDING = "_fault"  # a callback's failure, shown at the top of the run that follows it


def server_log() -> logging.Logger:
    """The app's logger, writing to the server's standard error with the time (set up once per process)."""
    parent = logging.getLogger("insight")
    if not any(getattr(h, "_insight", False) for h in parent.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._insight = True  # type: ignore[attr-defined]
        parent.addHandler(handler)
        parent.setLevel(logging.INFO)
    return LOG


def logged(exc: BaseException, where: str) -> str:
    """Write the error with its traceback to the server log; the reference that finds it there."""
    reference = secrets.token_hex(4).upper()  # no hyphen, so a line never breaks inside it
    server_log().error("unexpected error %s in %s", reference, where, exc_info=exc)
    return reference


def show(exc: BaseException, where: str) -> None:
    """Log the error and tell the visitor in one sentence, with the reference."""
    st.error(SENTENCE.format(reference=logged(exc, where)), icon=":material/error:")


@contextmanager
def guard(where: str) -> Iterator[None]:
    """Run a page or a fragment's body: an unexpected error becomes one sentence (st.stop and st.rerun pass)."""
    try:
        yield
    except Exception as exc:  # StopException and RerunException are BaseExceptions: they go through
        show(exc, where)


def callback(function: Callable[P, None], where: str) -> Callable[P, None]:
    """A widget callback that, failing, leaves one sentence for the run that follows instead of the error."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            function(*args, **kwargs)
        except Exception as exc:
            st.session_state[_PENDING] = SENTENCE.format(reference=logged(exc, where))

    return guarded


def show_pending() -> None:
    """At the top of a run: the sentence a failed callback left, once."""
    if sentence := st.session_state.pop(_PENDING, None):
        st.error(sentence, icon=":material/error:")
