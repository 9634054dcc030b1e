# shell.mk — tests of the shell command splitter (runtime/enforce/shell.c,
# grammar/shell.re); the Check suite `shell` runs with `make unit`.
#
#   make shell-check   the case files tests/cases/shell/*.case and the
#                      differential test against bash (part of `make test`)
#
# tests/shell_cases.c is the case runner (and `build/shell-cases -p LINE`
# prints a split, to write new cases with); tests/shell_vs_bash.py
# generates random command lines without expansions and compares the
# words of every simple command with what bash itself passes to printf.

SHELL_CASES := $(wildcard tests/cases/shell/*.case)
SHELL_DIFF_N ?= 3000

$(B)/shell-cases: $(B)/tests/shell_cases.o $(B)/libscope-enforce.a
	$(CC) $(OPT) -o $@ $^ $(EXTRA_LDFLAGS)
$(B)/tests/shell_cases.o: EXTRA_CFLAGS += -Iruntime/enforce

shell-check: $(B)/shell-cases
	$(B)/shell-cases $(SHELL_CASES)
	python3 tests/shell_vs_bash.py --splitter $(B)/shell-cases -n $(SHELL_DIFF_N)

EXTRA_TESTS += shell-check
.PHONY: shell-check
