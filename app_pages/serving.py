"""How the app is served: on this computer only in local mode, on every interface with sign-in;
warm from the start.

``scripts/run-app.sh`` and ``scripts/run-cluster.sh`` start the app with
``python -m app_pages.serving run [streamlit options]``. Streamlit has no start-up hook, so ``run``
first fills what every session shares (``loading.warm``: the data, the imports, Altair's schema),
then runs ``streamlit run app.py`` in the same process: the server listens once it is warm.

Two defences keep a local-mode app (no sign-in, everything visible) on its own computer:

1. Without an ``[auth]`` section in the secrets files Streamlit will read, ``run`` makes the app
   listen on 127.0.0.1 only (``python -m app_pages.serving listen-address [options]`` prints which).
2. Whatever options it was started with (``--server.address 0.0.0.0``), the app itself serves a
   local-mode page only to a client on this computer (``from_this_computer``): a loopback address
   (Streamlit's ``st.context.ip_address`` is None for one), no proxy's forwarding header (Streamlit
   believes ``X-Forwarded-For`` from a proxy on this computer, which would be serving others) and a
   ``Host`` that names this computer (a web page elsewhere that re-points its own name at 127.0.0.1,
   "DNS rebinding", cannot read the app). Anyone else gets one sentence.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
import time
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


def warm() -> None:
    """Fill what every session shares before the server listens; a failure is logged, never fatal."""
    log = logging.getLogger("insight.warm")
    started = time.perf_counter()
    try:
        from app_pages import loading

        warmed = loading.warm()
    except Exception:  # a damaged store or configuration: the pages say so when opened
        log.exception("warming the caches failed; the first page views will be slower")
        return
    print(f"caches warm in {time.perf_counter() - started:.1f} s: {', '.join(warmed) or 'no data yet'}", flush=True)


def run(streamlit_args: Sequence[str]) -> None:
    """Warm the caches, then ``streamlit run app.py`` on the right address, in this process.

    The server listens only once the caches are warm, so its health check (what HAProxy and the
    run scripts wait for) passes when the first page view can be quick, not before.
    """
    from streamlit.web import cli

    address = listen_address(streamlit_args)
    warm()
    sys.argv = ["streamlit", "run", "app.py", "--server.headless", "true", "--server.address", address,
                *streamlit_args]  # fmt: skip
    cli.main()


USAGE = "usage: python -m app_pages.serving listen-address|run [streamlit options]"

if __name__ == "__main__":  # scripts/run-app.sh, scripts/run-cluster.sh
    command, options = sys.argv[1:2], sys.argv[2:]
    if command == ["listen-address"]:
        print(listen_address(options))
    elif command == ["run"]:
        run(options)
    else:
        sys.exit(USAGE)
