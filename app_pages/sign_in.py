"""Sign in: the only page shown before a visitor has signed in with the identity provider."""

from __future__ import annotations

import streamlit as st

st.title("Citizen satisfaction insight")
st.write("Sign in with your work account to see the survey results you have access to.")
st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:", key="sign_in")
