# enforce.mk — libscope-enforce: the one module every enforcement point
# (scope-mcp, `scopec hook`, the gateway, the bindings) forms its requests
# with: canonical paths and URLs, tool-call arguments, the shell splitter.
#
#   runtime/enforce/scope_enforce.h   the public API (installed)
#   runtime/enforce/canon.c           canonical paths (realpath) and URLs (uriparser)
#   runtime/enforce/form.c            tool call -> requests, most restrictive wins
#   runtime/enforce/shell.c           shell command line -> simple commands
#   grammar/shell.re                  its lexer (re2c: build/shell_lex.c)
#
# It is kept out of libscope (runtime/*.c), whose only dependencies stay
# libc and PCRE2: forming needs jansson and liburiparser.
ENFORCE_SRC := $(wildcard runtime/enforce/*.c)
ENFORCE_GEN := $(if $(wildcard grammar/shell.re),$(B)/shell_lex.c)
ENFORCE_OBJ := $(ENFORCE_SRC:%.c=$(B)/%.o) $(ENFORCE_GEN:.c=.o)
URI_LIBS     = $(shell pkg-config --libs liburiparser 2>/dev/null || echo -luriparser)

$(B)/shell_lex.c: grammar/shell.re | deps
	@mkdir -p $(B)
	re2c -W -Werror --no-generation-date -o $@ $<
$(B)/shell_lex.o: $(B)/shell_lex.c
	$(CC) $(ALL_CFLAGS) -Iruntime/enforce -MMD -MP -c -o $@ $<
$(ENFORCE_SRC:%.c=$(B)/%.o): EXTRA_CFLAGS += -Iruntime/enforce

$(B)/libscope-enforce.a: $(ENFORCE_OBJ)
	rm -f $@
	ar rcs $@ $^
