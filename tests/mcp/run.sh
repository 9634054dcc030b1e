#!/bin/sh
# End-to-end tests of scope-mcp with the official MCP SDK client and real
# MCP servers (server-filesystem, server-everything), pinned in package-lock.json.
#
#   SCOPE_MCP=build/scope-mcp SCOPEC=./scopec tests/mcp/run.sh [node --test args...]
#
# Defaults: SCOPE_MCP=<repo>/build/scope-mcp, SCOPEC=<repo>/scopec.
# Installs the pinned packages with `npm ci` when node_modules is missing or
# older than package-lock.json (the npm registry is the only network use).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
: "${SCOPE_MCP:=$repo/build/scope-mcp}"
: "${SCOPEC:=$repo/scopec}"
case $SCOPE_MCP in /*) ;; *) SCOPE_MCP=$(pwd)/$SCOPE_MCP ;; esac
case $SCOPEC in /*) ;; *) SCOPEC=$(pwd)/$SCOPEC ;; esac
export SCOPE_MCP SCOPEC

command -v node >/dev/null 2>&1 || { echo "run.sh: node (>= 20) is required" >&2; exit 2; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "run.sh: node >= 20 required, found $(node --version)" >&2; exit 2; }
for bin in "$SCOPE_MCP" "$SCOPEC"; do
	[ -x "$bin" ] || { echo "run.sh: not an executable: $bin (set SCOPE_MCP / SCOPEC)" >&2; exit 2; }
done

cd "$here"
stamp=node_modules/.package-lock.json   # written by npm ci / npm install
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
	echo "run.sh: npm ci (pinned versions from package-lock.json)" >&2
	npm ci --no-audit --no-fund --loglevel=error >&2
fi

# One file at a time keeps the 2 cores for the servers; each file runs its
# tests concurrently where they are independent.
exec node --test --test-concurrency=2 --test-timeout=60000 "$@" ./*.test.mjs
