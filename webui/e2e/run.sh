#!/usr/bin/env bash
# Run the web UI browser tests against a running Herald. Builds nothing.
#
#   run.sh BASE_URL ADMIN_USER ADMIN_PASSWORD USER USER_PASSWORD
#
# Needs node, Chromium at $CHROMIUM (default /usr/bin/chromium) and
# playwright-core installed from package.json in $E2E_MODULES (default
# $HOME/.cache/herald-e2e/node_modules). Screenshots go to $E2E_OUT
# (default webui/e2e/out). E2E_PEER_BASE, E2E_PEER_USER and E2E_PEER_PASSWORD
# (optional) name a second Herald federating with the first, for the test of
# a taken-down post's Delete reaching a peer.
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 BASE_URL ADMIN_USER ADMIN_PASSWORD USER USER_PASSWORD" >&2; exit 2; }
HERE="$(cd "$(dirname "$0")" && pwd)"
export E2E_BASE="$1" E2E_ADMIN_USER="$2" E2E_ADMIN_PASSWORD="$3" E2E_USER="$4" E2E_PASSWORD="$5"
export E2E_OUT="${E2E_OUT:-$HERE/out}"
export NODE_PATH="${E2E_MODULES:-$HOME/.cache/herald-e2e/node_modules}"
# ESM ignores NODE_PATH: link the modules next to the runner in a temp dir.
RUN="$(mktemp -d)"
trap 'rm -rf "$RUN"' EXIT
ln -s "$NODE_PATH" "$RUN/node_modules"
cp "$HERE/run.mjs" "$RUN/run.mjs"
E2E_OUT="$E2E_OUT" node "$RUN/run.mjs"
