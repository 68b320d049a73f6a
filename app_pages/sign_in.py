"""Sign in: the only page shown before a visitor has signed in with the identity provider."""

from __future__ import annotations

import streamlit as st

from app_pages import identity, style

style.draw(False, in_sidebar=False)  # the app's contrast and focus ring, before anyone has signed in
identity.remember_link()  # a shared link opens again once signed in
st.title("Citizen satisfaction insight")
st.write("Sign in with your work account to see the survey results you have access to.")
st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:", key="sign_in")
