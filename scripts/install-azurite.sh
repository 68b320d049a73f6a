#!/usr/bin/env bash
# Install Azurite (Microsoft's Azure Storage emulator) for the store's cloud tests, once,
# into .azurite/ (git-ignored). The tests start it themselves on a free local port.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=3.37.0
if [ ! -x .azurite/node_modules/.bin/azurite-blob ]; then
  if ! command -v npm >/dev/null; then
    echo "note: npm is missing; the Azurite store tests will be skipped (install Node.js 18+)" >&2
    exit 0
  fi
  npm install --silent --no-audit --no-fund --prefix .azurite "azurite@$VERSION" >/dev/null
fi
