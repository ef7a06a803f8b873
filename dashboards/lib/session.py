"""The app's settings: read once per browser session at the app's entry, then handed down."""

from __future__ import annotations

import streamlit as st

from pipelines.settings import Settings, get_settings

KEY = "orderlens_settings"


def settings() -> Settings:
    """This session's settings (from the environment `orderlens dashboard` built for the app)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = get_settings()
    return st.session_state[KEY]  # type: ignore[no-any-return]
