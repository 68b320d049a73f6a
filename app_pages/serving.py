"""How the app is served: on this computer only in local mode, on every interface with sign-in.

``scripts/run-app.sh`` asks ``python -m app_pages.serving listen-address [streamlit options]``
before starting Streamlit: without an ``[auth]`` section in the secrets files Streamlit will
read, the app listens on 127.0.0.1 only.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path


def secrets_files(streamlit_args: Sequence[str]) -> list[Path]:
    """The secrets files a ``streamlit run`` with these options reads (``--secrets.files``, else its default)."""
    args = list(streamlit_args)
    given = [arg.split("=", 1)[1] for arg in args if arg.startswith("--secrets.files=")]
    given += [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--secrets.files"]
    if given:
        return [Path(p) for p in given]
    from streamlit import config  # reads .streamlit/config.toml and STREAMLIT_SECRETS_FILES, as the app will

    return [Path(p) for p in config.get_option("secrets.files")]


def sign_in_configured(files: Sequence[Path]) -> bool:
    """Does any of these secrets files have an ``[auth]`` section? (Unreadable files count as no.)"""
    for path in files:
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(secrets.get("auth"), dict) and secrets["auth"]:
            return True
    return False


def listen_address(streamlit_args: Sequence[str]) -> str:
    """Every interface when sign-in is configured; this computer only in local mode."""
    return "0.0.0.0" if sign_in_configured(secrets_files(streamlit_args)) else "127.0.0.1"


if __name__ == "__main__":  # scripts/run-app.sh: python -m app_pages.serving listen-address [streamlit options]
    if sys.argv[1:2] != ["listen-address"]:
        sys.exit("usage: python -m app_pages.serving listen-address [streamlit options]")
    print(listen_address(sys.argv[2:]))
