#!/usr/bin/env bash
# Set up a virtual environment (once) and run the app on the bundled sample data.
# Without sign-in configured ([auth] in .streamlit/secrets.toml or the --secrets.files given)
# the app is in local mode and listens on this computer only (127.0.0.1); with sign-in, on
# every interface. Options given here go to Streamlit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
ADDRESS=$(.venv/bin/python -m app_pages.serving listen-address "$@")
exec .venv/bin/streamlit run app.py --server.headless true --server.address "$ADDRESS" "$@"
