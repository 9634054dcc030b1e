# oom.mk — allocation-failure injection (tests/oom, SQLite test_malloc style).
#
#   make oom            every site with allocation N failing, N = 1, 2, ...
#                       (run by `make test`; 7 s alone on this 2-core machine,
#                       three or four times that inside a busy `make -j2 test`)
#   make oom OOM_FULL=1 every N of every site (no stride; hours for the compile
#                       sites: add OOM_SITES=...)
#   make oom-sanitize   the same under ASan + UBSan (clang), the leak check by
#                       ASan's allocated-bytes counter (not in `make test`); a
#                       fork of an ASan process costs ~0.5 s here, so the forked
#                       scopec sites get OOM_FORK_DENSE=6 OOM_FORK_SPARSE=2
#                       (every in-process N still; ~90 s)
#   make oom OOM_SITES="gateway mcp"   only sites whose name contains a word
#
# The driver (build/oom-driver) links the product's objects with a shim
# that replaces malloc & co. for the whole process (tests/oom/oom_shim.c),
# jansson's allocator set to it, write(2) wrapped (ld --wrap) for short
# writes, EINTR and a full disk, and compiler/scopec.c with main renamed.
# See tests/oom/oom_main.c for the rules every run is held to.
OOM_DIR  := tests/oom
OOM_SRC  := $(wildcard $(OOM_DIR)/*.c)
OOM_OBJ  := $(OOM_SRC:%.c=$(B)/%.o) $(B)/$(OOM_DIR)/scopec_main.o
OOM_PROD := $(B)/examples/gateway/gw_serve.o $(filter-out $(B)/examples/mcp/scope_mcp.o,$(MCP_OBJ))
OOM_WRAPS = -Wl,--wrap=write,--wrap=json_loadb -rdynamic
OOM_SITES ?=

$(OOM_OBJ): EXTRA_CFLAGS += -Iruntime/enforce -Iexamples/gateway -Iexamples/mcp -I$(OOM_DIR)
$(B)/$(OOM_DIR)/scopec_main.o: compiler/scopec.c $(B)/scope_parse.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Dmain=scopec_main -include $(OOM_DIR)/scopec_main.h -MMD -MP -c -o $@ $<

$(B)/oom-driver: $(OOM_OBJ) $(OOM_PROD) $(B)/libscopec.a $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) -o $@ $^ $(OOM_WRAPS) $(URI_LIBS) $(SCOPEC_LIBS) -pthread

oom: $(B)/oom-driver
	OOM_FULL=$(OOM_FULL) $(B)/oom-driver $(B)/oom-work $(OOM_SITES)

# ASan owns malloc: the shim wraps the product's calls instead (-DOOM_WRAP).
OOM_SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
oom-sanitize:
	$(MAKE) B=build/oom-san CC=clang OPT="$(OOM_SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	  OOM_WRAPS="-Wl,--wrap=write,--wrap=json_loadb,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup" \
	  OOM_SHIM_FLAGS=-DOOM_WRAP build/oom-san/oom-driver
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 OOM_FULL=$(OOM_FULL) \
	  OOM_FORK_DENSE=$${OOM_FORK_DENSE:-6} OOM_FORK_SPARSE=$${OOM_FORK_SPARSE:-2} \
	  build/oom-san/oom-driver build/oom-san/oom-work $(OOM_SITES)

$(B)/$(OOM_DIR)/oom_shim.o: EXTRA_CFLAGS += $(OOM_SHIM_FLAGS)

EXTRA_TESTS += oom
.PHONY: oom oom-sanitize
