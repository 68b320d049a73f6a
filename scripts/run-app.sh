#!/usr/bin/env bash
# Set up a virtual environment (once) and run the app on the bundled sample data.
# Without sign-in configured ([auth] in .streamlit/secrets.toml or the --secrets.files given)
# the app is in local mode and listens on this computer only (127.0.0.1); with sign-in, on
# every interface. Options given here go to Streamlit. The server listens once its caches are warm
# (the store read, the first chart built), so the first page view is as quick as the next.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
# Reads the store and warms the caches first, then serves (python -m app_pages.serving run).
exec .venv/bin/python -m app_pages.serving run "$@"
