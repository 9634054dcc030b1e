# ---- examples/gateway: scope-gateway, the tool-call gateway -----------------
#   make gateway          build/scope-gateway (build/libscope-enforce.a: the decision
#                         log, policies and reload shared with scope-mcp; build/libscope.a)
#   make gateway-check    its tests (run by `make test`): protocol, reloads under
#                         load, decision log, shadow mode, scopec shadow-report
#                         and scopec suggest
#   make gateway-bench    requests/s over the Unix socket, reload latency
#   make gateway-sanitize the tests against ASan+UBSan and TSan builds (clang)
GW_DIR  := examples/gateway
GW_SRC  := $(addprefix $(GW_DIR)/,gateway.c gw_serve.c)
GW_OBJ  := $(GW_SRC:%.c=$(B)/%.o)
GW_TEST := python3 $(GW_DIR)/tests/test_gateway.py

$(GW_OBJ): EXTRA_CFLAGS += -Iruntime/enforce
$(B)/scope-gateway: $(GW_OBJ) $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) -o $@ $^ $(URI_LIBS) $(LDLIBS_ALL) -pthread

$(B)/gw-bench: $(B)/$(GW_DIR)/gw_bench.o
	$(CC) $(OPT) -o $@ $^ $(EXTRA_LDFLAGS) -pthread

gateway: $(B)/scope-gateway

gateway-check: $(B)/scope-gateway scopec
	$(GW_TEST) --gateway $(B)/scope-gateway --scopec ./scopec

gateway-bench: $(B)/scope-gateway $(B)/gw-bench scopec
	$(B)/gw-bench --gateway $(B)/scope-gateway --scopec ./scopec

# The scopec built with the same sanitizer runs the scopec parts of the test.
gateway-sanitize:
	$(MAKE) B=build/san CC=clang EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build/san/scope-gateway build/san/scopec-bin
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(GW_TEST) --gateway build/san/scope-gateway --scopec build/san/scopec-bin
	$(MAKE) B=build/tsan CC=clang EXTRA_LDFLAGS="-fsanitize=thread" \
	  OPT="-O1 -g -fsanitize=thread" build/tsan/scope-gateway build/tsan/scopec-bin
	TSAN_OPTIONS=halt_on_error=1 $(GW_TEST) --gateway build/tsan/scope-gateway --scopec build/tsan/scopec-bin

EXTRA_TESTS += gateway-check
.PHONY: gateway gateway-check gateway-bench gateway-sanitize
