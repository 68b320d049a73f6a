"""How the app is served: on this computer only in local mode, on every interface with sign-in;
warm from the start.

``scripts/run-app.sh`` and ``scripts/run-cluster.sh`` start the app with
``python -m app_pages.serving run [streamlit options]``: without an ``[auth]`` section in the
secrets files Streamlit will read, the app listens on 127.0.0.1 only (``listen-address`` prints
which). Streamlit has no start-up hook, so ``run`` first fills what every session shares
(``loading.warm``: the data, the imports, Altair's schema), then runs ``streamlit run app.py`` in
the same process: the server listens once it is warm.
"""

from __future__ import annotations

import logging
import sys
import time
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
