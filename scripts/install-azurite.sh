#!/usr/bin/env bash
# Install Azurite (Microsoft's Azure Storage emulator) for the store's cloud tests, once.
# It goes outside the repository (${INSIGHT_AZURITE_DIR:-~/.cache/insight-azurite}): 55,000 files
# under the app's folder would flood Streamlit's file watcher. The tests start it themselves on
# a free local port.
set -euo pipefail
VERSION=3.37.0
DIR=${INSIGHT_AZURITE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/insight-azurite}
if [ -x "$DIR/node_modules/.bin/azurite-blob" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's nodejs and npm for the Azurite tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "note: npm is missing; the Azurite store tests will be skipped (install Node.js 18+)" >&2
    exit 0
  fi
fi
mkdir -p "$DIR"
npm install --silent --no-audit --no-fund --prefix "$DIR" "azurite@$VERSION" >/dev/null
