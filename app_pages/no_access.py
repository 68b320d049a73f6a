"""No access: shown to someone who signed in but is in no group that config/access.yaml names."""

from __future__ import annotations

import streamlit as st

from app_pages import identity, style
from insight.intake.plain_text import literal

style.draw(False)  # the app's contrast and focus ring (the sidebar holds who is signed in)
st.title("No access")
st.error(
    f"You are signed in as {literal(identity.user().email)}, but you have not been given access to any survey. "
    "Ask the app's administrator to add you (or your group) to the viewers.",
    icon=":material/block:",
)
