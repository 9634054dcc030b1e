# ---- examples/mcp: scope-mcp, the MCP stdio proxy ----------------------------
#   make mcp            build/scope-mcp (libscope-enforce + libscope)
#   make mcp-check      its tests (run by `make test`): examples/mcp/tests (the
#                       proxy in front of a fake server: bad input, faults, ids,
#                       asks, reload, the log with scopec suggest/shadow-report),
#                       then the end-to-end suite with real MCP SDK clients and
#                       servers in tests/mcp (run.sh)
#   make mcp-sanitize   the proxy's tests against an ASan+UBSan build (clang)
#   make mcp-bench      latency the proxy adds to a tools/call (median, p99)
MCP_DIR  := examples/mcp
MCP_SRC  := $(wildcard $(MCP_DIR)/*.c)
MCP_OBJ  := $(MCP_SRC:%.c=$(B)/%.o)
MCP_TEST := python3 $(MCP_DIR)/tests/test_mcp.py

$(MCP_OBJ): EXTRA_CFLAGS += -Iruntime/enforce
$(B)/scope-mcp: $(MCP_OBJ) $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) -o $@ $^ $(URI_LIBS) $(LDLIBS_ALL) -pthread

mcp: $(B)/scope-mcp

mcp-unit: $(B)/scope-mcp scopec
	$(MCP_TEST) --mcp $(B)/scope-mcp --scopec ./scopec

# The end-to-end suite needs node and the npm packages of tests/mcp.
mcp-e2e: $(B)/scope-mcp scopec
	@if [ ! -x tests/mcp/run.sh ]; then \
	  echo "mcp-check: tests/mcp/run.sh is missing: the end-to-end suite (real MCP SDK clients and servers) was NOT run"; \
	elif ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then \
	  echo "mcp-check: node >= 20 not found: the end-to-end suite (tests/mcp) was NOT run"; \
	else \
	  SCOPE_MCP=$(abspath $(B)/scope-mcp) SCOPEC=$(abspath scopec) tests/mcp/run.sh; \
	fi

mcp-check: mcp-unit mcp-e2e

mcp-sanitize:
	$(MAKE) B=build/san CC=clang EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build/san/scope-mcp build/san/scopec-bin
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MCP_TEST) --mcp build/san/scope-mcp --scopec build/san/scopec-bin

mcp-bench: $(B)/scope-mcp scopec
	python3 $(MCP_DIR)/tests/bench_mcp.py --mcp $(B)/scope-mcp --scopec ./scopec

EXTRA_TESTS += mcp-check
.PHONY: mcp mcp-check mcp-unit mcp-e2e mcp-sanitize mcp-bench
