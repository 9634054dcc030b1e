# scope — policy language, compiler (scopec) and runtime library (libscope).
#
#   make demo       install missing build dependencies, build, run the demo
#   make test       build and run every test (unit, case files, policies)
#   make sanitize   the whole test suite under ASan + UBSan
#   make tsan       the runtime suite (hot swap under readers) under TSan
#   make fuzz       short libFuzzer runs of every fuzz target (clang; mk/fuzz.mk)
#
# Pipeline, by file name:
#   grammar/scope.re  -> tokens         (re2c:  build/scope_lex.c)
#   grammar/scope.y   -> AST            (lemon: build/scope_parse.c)
#   grammar/request.re -> eval requests (re2c:  build/request_lex.h, included
#                         by compiler/request.c so that the lexer inlines)
#   compiler/resolve.c -> resolved policy (policy.h)
#   compiler/refeval.c -> reference decisions (the oracle)
#   compiler/scopec.c  -> the CLI

CC      ?= cc
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
B       ?= build
CPPFLAGS_ALL := -I$(B) -Icompiler -Iruntime -D_GNU_SOURCE
PCRE2_CFLAGS = $(shell pkg-config --cflags libpcre2-8 2>/dev/null)
PCRE2_LIBS   = $(shell pkg-config --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -pthread)
JSON_LIBS    = $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
CRYPTO_LIBS  = $(shell pkg-config --libs hogweed nettle 2>/dev/null || echo -lhogweed -lnettle -lgmp)
# scopec starts once per tool call (`scopec hook`), so it links Nettle,
# libhogweed (Ed25519, for `scopec sign`) and GMP statically where Debian's
# static archives are there: shared, their symbol lookups and relocations
# cost ~0.5 M instructions at every start (callgrind: hook on a bytecode
# policy 1.17 M instructions with them shared, 0.42 M static).
static_lib   = $(filter /%,$(shell $(CC) -print-file-name=$(1) 2>/dev/null))
comma       := ,
SCOPEC_CRYPTO_LIBS = $(if $(and $(call static_lib,libhogweed.a),$(call static_lib,libnettle.a),$(call static_lib,libgmp.a)),-Wl$(comma)--push-state$(comma)-Bstatic -lhogweed -lnettle -lgmp -Wl$(comma)--pop-state,$(CRYPTO_LIBS))
SCOPEC_LIBS  = $(PCRE2_LIBS) $(JSON_LIBS) $(SCOPEC_CRYPTO_LIBS) $(EXTRA_LDFLAGS)
ALL_CFLAGS   = $(OPT) -std=c11 $(WARN) $(CPPFLAGS_ALL) $(PCRE2_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL   = $(PCRE2_LIBS) $(JSON_LIBS) $(CRYPTO_LIBS) $(EXTRA_LDFLAGS)

# Build dependencies from Debian.  `make` installs what is missing when run
# as root, and otherwise stops with the exact command to run.
DEB_PKGS := re2c lemon libpcre2-dev check pkg-config libjansson-dev liburiparser-dev nettle-dev

RUNTIME_SRC  := $(wildcard runtime/*.c)
COMPILER_SRC := $(filter-out compiler/scopec.c,$(wildcard compiler/*.c))
GEN_SRC      := $(B)/scope_lex.c $(B)/scope_parse.c
TEST_SRC     := $(wildcard tests/check_*.c) tests/policygen.c

RUNTIME_OBJ  := $(RUNTIME_SRC:%.c=$(B)/%.o)
COMPILER_OBJ := $(COMPILER_SRC:%.c=$(B)/%.o) $(GEN_SRC:.c=.o)
TEST_OBJ     := $(TEST_SRC:%.c=$(B)/%.o)

.PHONY: all deps demo test unit cases policies sanitize san-test tsan fuzz clean
.DEFAULT_GOAL := all

all: scopec lib

deps:
	@missing=""; \
	command -v re2c >/dev/null 2>&1 || missing="$$missing re2c"; \
	command -v lemon >/dev/null 2>&1 || missing="$$missing lemon"; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	[ -f /usr/include/pcre2.h ] || missing="$$missing libpcre2-dev"; \
	[ -f /usr/include/check.h ] || missing="$$missing check"; \
	[ -f /usr/include/jansson.h ] || missing="$$missing libjansson-dev"; \
	[ -f /usr/include/uriparser/Uri.h ] || missing="$$missing liburiparser-dev"; \
	{ [ -f /usr/include/nettle/sha2.h ] && [ -f /usr/include/nettle/eddsa.h ]; } || missing="$$missing nettle-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing missing build dependencies:$$missing"; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
	      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; }; } || \
	      { echo "make: apt-get failed; run: apt-get install -y$$missing" >&2; exit 1; }; \
	  else \
	    echo "make: missing build dependencies; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

$(B)/scope_parse.c $(B)/scope_parse.h &: grammar/scope.y | deps
	@mkdir -p $(B)
	cp grammar/scope.y $(B)/scope_parse.y
	lemon -q -d$(B) $(B)/scope_parse.y > $(B)/lemon.log 2>&1 || { cat $(B)/lemon.log; rm -f $(B)/scope_parse.c; exit 1; }
	@if grep -q conflict $(B)/lemon.log; then cat $(B)/lemon.log; rm -f $(B)/scope_parse.c; exit 1; fi

$(B)/scope_lex.c: grammar/scope.re $(B)/scope_parse.h | deps
	@mkdir -p $(B)
	re2c -W -Werror --no-generation-date -o $@ $<

$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Generated code: lemon's template has unused-parameter patterns.
$(B)/scope_parse.o: $(B)/scope_parse.c
	$(CC) $(ALL_CFLAGS) -Wno-unused-parameter -Wno-unused-variable -Wno-missing-prototypes -MMD -MP -c -o $@ $<
$(B)/request_lex.h: grammar/request.re | deps
	@mkdir -p $(B)
	re2c -W -Werror --no-generation-date -o $@ $<
$(B)/compiler/request.o: $(B)/request_lex.h

$(B)/scope_lex.o: $(B)/scope_lex.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Every compiler object may include the generated token header.
$(COMPILER_SRC:%.c=$(B)/%.o) $(TEST_OBJ): $(B)/scope_parse.h

$(B)/libscopec.a: $(COMPILER_OBJ) $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

# The scopec at the top is the one every test and the README use: only the
# default build makes it.  A sanitizer sub-make (B=build/san, build/tsan, ...)
# that asked for it would replace it with an instrumented binary that later
# targets then run (a TSan scopec under the ASan Python tests failed CI).
scopec: $(B)/compiler/scopec.o $(B)/libscopec.a $(B)/libscope-enforce.a $(B)/libscope.a
	@[ "$(B)" = build ] || { echo "scopec: only B=build makes ./scopec (here B=$(B)): ask for $(B)/scopec-bin" >&2; exit 1; }
	$(CC) $(OPT) -o $@ $^ $(URI_LIBS) $(SCOPEC_LIBS)

$(B)/check_scope: $(TEST_OBJ) $(B)/libscopec.a $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) -o $@ $^ $(URI_LIBS) $(LDLIBS_ALL) $(CHECK_LIBS)
$(TEST_OBJ): EXTRA_CFLAGS += -Iruntime/enforce
$(TEST_OBJ): EXTRA_CFLAGS += $(CHECK_CFLAGS)

# ---- tests ------------------------------------------------------------------
# Modules under mk/ add their own targets; each appends its test target to
# EXTRA_TESTS (e.g. the Python binding, the gateway, the install check).
EXTRA_TESTS :=
include $(wildcard mk/*.mk)

test: unit cases policies $(EXTRA_TESTS)

unit: $(B)/check_scope scopec
	SCOPEC=./scopec $(B)/check_scope

cases: scopec
	tests/run_cases.sh ./scopec

policies: scopec
	./scopec check policies/*.scope
	./scopec test policies/*.scope
	./scopec fmt --check policies/*.scope

sanitize:
	$(MAKE) B=build/san OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" CC=clang san-test

# (fuzz-replay: the fuzz corpora, this time under the sanitizers)
san-test: $(B)/check_scope $(B)/scopec-bin fuzz-replay
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  SCOPEC=$(B)/scopec-bin CK_FORK=no $(B)/check_scope
	ASAN_OPTIONS=detect_leaks=1 tests/run_cases.sh $(B)/scopec-bin
	ASAN_OPTIONS=detect_leaks=1 $(B)/scopec-bin test policies/*.scope
	ASAN_OPTIONS=detect_leaks=1 python3 tests/hook_cases.py --scopec $(B)/scopec-bin

# ThreadSanitizer over the runtime suite: readers deciding on one handle
# while it is hot-swapped, and the rest of the runtime's tests.
tsan:
	$(MAKE) B=build/tsan CC=clang OPT="-O1 -g -fsanitize=thread" EXTRA_LDFLAGS="-fsanitize=thread" \
	  build/tsan/check_scope
	CK_RUN_SUITE=runtime CK_FORK=no TSAN_OPTIONS=halt_on_error=1 build/tsan/check_scope

$(B)/scopec-bin: $(B)/compiler/scopec.o $(B)/libscopec.a $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) -o $@ $^ $(URI_LIBS) $(LDLIBS_ALL)

# (fuzzing: mk/fuzz.mk — make fuzz, fuzz-long, fuzz-merge, fuzz-replay)

demo: scopec
	@echo '== scopec check examples/triage.scope        (parse, resolve, lint)'
	./scopec check examples/triage.scope
	@echo '== scopec test examples/triage.scope         (its expect statements)'
	./scopec test examples/triage.scope
	@echo '== scopec compile examples/triage.scope -o $(B)/triage.scopec   (verified bytecode)'
	./scopec compile examples/triage.scope -o $(B)/triage.scopec
	@echo '== scopec eval --explain $(B)/triage.scopec < examples/triage.requests'
	@echo '   (the runtime decides each request; the last line is malformed on purpose: deny, a diagnostic, exit 1)'
	./scopec eval --explain $(B)/triage.scopec < examples/triage.requests 2>&1; test $$? -eq 1
	@echo '== scopec diff examples/review/before.scope examples/review/after.scope   (what a change grants)'
	./scopec diff examples/review/before.scope examples/review/after.scope; test $$? -eq 1

clean:
	rm -rf build scopec

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- runtime library and benchmark (the back end) --------------------------
# libscope.a / libscope.so: what services embed (runtime/ only: libc + PCRE2).
RUNTIME_PIC_OBJ := $(RUNTIME_SRC:%.c=$(B)/pic/%.o)

$(B)/pic/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(B)/libscope.a: $(RUNTIME_OBJ)
	rm -f $@
	ar rcs $@ $^

$(B)/libscope.so: $(RUNTIME_PIC_OBJ)
	$(CC) $(OPT) -shared -Wl,-soname,libscope.so.0 -o $@ $^ $(PCRE2_LIBS) -pthread

lib: $(B)/libscope.a $(B)/libscope.so

$(B)/scope-bench: $(B)/bench/bench.o $(B)/libscopec.a
	$(CC) $(OPT) -o $@ $^ $(LDLIBS_ALL) -pthread

# Not a unit test: prints the tables of the README (takes a few minutes);
# the eval throughput table runs the scopec built here.
bench: $(B)/scope-bench scopec
	SCOPEC=./scopec $(B)/scope-bench

.PHONY: lib bench
