#!/usr/bin/env bash
# Set up a virtual environment (once), install what the tests need, and run them all:
# lint, the import layers, the docs site, unit and AppTest tests, and the real-browser tests in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: /usr/bin/chromium is missing; browser tests will be skipped (apt-get install chromium)" >&2
  fi
fi
bash scripts/install-azurite.sh  # the Azure Storage emulator the store tests run against
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# The docs site: any warning (a broken link or anchor) fails. Its log is shown only then: --quiet would hide
# the warnings from --strict too, and the build would pass.
docs_log=$(NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict 2>&1) || { echo "$docs_log" >&2; exit 1; }
.venv/bin/lint-imports --no-logo --no-cache  # the layers of insight/: no circle, no upward import, no Streamlit
.venv/bin/mypy  # insight/, app_pages/ and app.py ([tool.mypy] in pyproject.toml)
exec .venv/bin/python -m pytest "$@"
