"""Sign in: the only page shown before a visitor has signed in with the identity provider."""

from __future__ import annotations

import streamlit as st

from app_pages import faults, identity, loading, style

style.draw(False, in_sidebar=False)  # the app's contrast and focus ring, before anyone has signed in
identity.remember_link()  # a shared link opens again once signed in
st.title("Citizen satisfaction insight")
if reason := identity.sign_in_again():  # their sign-in is too old, or was signed out of
    st.info(reason, icon=":material/schedule:")
if loading.config_broken():  # a visitor learns only that much; an admin who signs in sees the mistakes
    st.error(loading.MISCONFIGURED, icon=":material/error:")
st.write("Sign in with your work account to see the survey results you have access to.")
st.button(
    "Sign in", on_click=faults.callback(st.login, "signing in"), type="primary", icon=":material/login:", key="sign_in"
)
