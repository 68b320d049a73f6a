"""How the app is served: on this computer only in local mode, on every interface with sign-in.

Two defences keep a local-mode app (no sign-in, everything visible) on its own computer:

1. ``scripts/run-app.sh`` asks ``python -m app_pages.serving listen-address [streamlit options]``
   before starting Streamlit: without an ``[auth]`` section in the secrets files Streamlit will
   read, the app listens on 127.0.0.1 only.
2. Whatever options it was started with (``--server.address 0.0.0.0``), the app itself serves a
   local-mode page only to a client on this computer (``from_this_computer``): a loopback address
   (Streamlit's ``st.context.ip_address`` is None for one), no proxy's forwarding header (Streamlit
   believes ``X-Forwarded-For`` from a proxy on this computer, which would be serving others) and a
   ``Host`` that names this computer (a web page elsewhere that re-points its own name at 127.0.0.1,
   "DNS rebinding", cannot read the app). Anyone else gets one sentence.
"""

from __future__ import annotations

import ipaddress
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

LOCAL_ONLY = (
    "This app is in local mode (no sign-in), so it serves only the computer it runs on: open it there, or ask "
    "its administrator to set up sign-in."
)
# Headers a reverse proxy adds: in local mode there should be none in front of the app.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host")


def from_this_computer(ip_address: str | None, headers: Mapping[str, str]) -> bool:
    """Is this client on the computer the app runs on? (``st.context.ip_address`` and ``st.context.headers``.)"""
    sent = {str(k).lower(): v for k, v in headers.items()}
    if not sent:  # no request at all, so no network client: Streamlit's AppTest (a browser's request has headers)
        return True
    if ip_address is not None and not _loopback_address(ip_address):
        return False
    if any(h in sent for h in FORWARDING_HEADERS):
        return False
    host = sent.get("host")
    return isinstance(host, str) and _loopback_host(host)


def _loopback_address(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _loopback_host(host: str) -> bool:
    """A Host header naming this computer: localhost (or a name under it), 127.x.x.x or [::1], any port."""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:8501
        name = name[1 : name.find("]")] if "]" in name else ""
    elif name.count(":") == 1:  # localhost:8501
        name = name.split(":", 1)[0]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # browsers resolve these to loopback themselves
        return True
    return _loopback_address(name) if name else False


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
