# docs.mk — `make docs-check` (part of `make test`): docs that cannot drift.
# tests/docs_check.sh runs every ```console example of README.md and
# examples/*/README.md and compares its output exactly, checks that every
# scopec command has its section in man/scopec.1 and that every man page
# renders without groff warnings, and that nothing points at ../shared/.
# examples/mcp/README.md is left out: its blocks need the npm packages and a
# live MCP host, and tests/mcp runs that walkthrough itself (mcp-check).
DOC_FILES := README.md $(filter-out examples/mcp/README.md,$(wildcard examples/*/README.md))

.PHONY: docs-check docs-deps

docs-deps:
	@command -v groff >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q groff-base >/dev/null; } || \
	  { echo "make docs-check: needs groff (apt-get install groff-base)" >&2; exit 1; }

# The examples run ./scopec and build/scope-gateway from the source tree.
docs-check: scopec $(B)/scope-gateway | docs-deps
	tests/docs_check.sh ./scopec $(DOC_FILES)

EXTRA_TESTS += docs-check
