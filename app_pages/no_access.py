"""No access: shown to someone signed in whom config/access.yaml gives no survey, or whose sign-in is refused."""

from __future__ import annotations

import streamlit as st

from app_pages import identity, style
from insight.intake.plain_text import literal

style.draw(False)  # the app's contrast and focus ring (the sidebar holds who is signed in)
st.title("No access")
who = identity.user()
if who.refused:  # a claim that cannot be matched exactly: a look-alike, a hidden character, an unverified email
    st.error(
        f"You are signed in as {literal(who.email)}, but this sign-in cannot be given access: {literal(who.refused)}. "
        "Ask the app's administrator if you think it should.",
        icon=":material/block:",
    )
else:
    st.error(
        f"You are signed in as {literal(who.email)}, but you have not been given access to any survey. "
        "Ask the app's administrator to add you (or your group) to the viewers.",
        icon=":material/block:",
    )
