# hook.mk — `scopec hook claude-code` (compiler/hook.c), the Claude Code
# PreToolUse hook.
#
#   make hook-check   replays tests/cases/hook/*.events through the hook with
#                     the source and the bytecode of policies/claude-code.scope
#                     (run by `make test`)
#   make hook-bench   wall time per hook process (source, bytecode, and the
#                     cost of any process on this machine as the floor)
.PHONY: hook-check hook-bench

hook-check: scopec
	python3 tests/hook_cases.py --scopec ./scopec
	python3 tests/doc_examples.py examples/claude-code/README.md

$(B)/hook-bench: $(B)/bench/hook_bench.o
	$(CC) $(OPT) -o $@ $^ $(EXTRA_LDFLAGS)

hook-bench: $(B)/hook-bench scopec
	$(B)/hook-bench ./scopec

EXTRA_TESTS += hook-check
$(B)/compiler/hook.o: EXTRA_CFLAGS += -Iruntime/enforce
