# node.mk — the Node addon in examples/node (N-API through node-addon-api,
# built by node-gyp against the system headers in /usr/include/node) and its
# guard for the OpenAI Agents SDK for JavaScript.
#
#   make node-check   npm ci (when node_modules is missing or older than the
#                     lock file), the PIC archives, the addon, node --test
#   make node-bench   median ns per decide() and per decideToolCall() from JS
#   make node-clean   the addon's build, node_modules and build/node-pic
#
# A shared object needs position-independent code: libscope.a and
# libscope-enforce.a are built once more with -fPIC into build/node-pic/ (the
# same sources and rules, another build directory).  node-gyp is run with
# --nodedir=/usr, so it never downloads headers; where the machine allows it
# (root: unshare -n) it runs without any network at all, which proves it.
# The archives are built with the compiler alone ($(firstword $(CC))): node-gyp
# links with its own flags, so instrumentation (make coverage) cannot reach them.

NODE       ?= node
NPM        ?= npm
NODE_DIR   := examples/node
NODE_PIC   := build/node-pic
NODE_ADDON := $(NODE_DIR)/build/Release/scope.node
NODE_NODEDIR ?= /usr

.PHONY: node-lib node-deps node-build node-check node-bench node-clean

# In the sub-make (B = build/node-pic) the Makefile's own rules build them.
ifneq ($(B),$(NODE_PIC))
$(NODE_PIC)/libscope.a $(NODE_PIC)/libscope-enforce.a &: $(wildcard runtime/*.[ch] runtime/enforce/*.[ch] grammar/shell.re)
	$(MAKE) --no-print-directory B=$(NODE_PIC) CC="$(firstword $(CC))" OPT="-O2 -g -fPIC" $(NODE_PIC)/libscope.a $(NODE_PIC)/libscope-enforce.a
endif

node-lib: $(NODE_PIC)/libscope.a $(NODE_PIC)/libscope-enforce.a

# npm ci only when node_modules is missing or older than the lock file.
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

node-deps: $(NODE_DIR)/node_modules/.package-lock.json

$(NODE_ADDON): $(NODE_DIR)/src/scope_node.cc $(NODE_DIR)/binding.gyp runtime/scope.h runtime/enforce/scope_enforce.h \
		$(NODE_PIC)/libscope.a $(NODE_PIC)/libscope-enforce.a $(NODE_DIR)/node_modules/.package-lock.json
	@cd $(NODE_DIR) && gyp="$(NODE) node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=$(NODE_NODEDIR) --loglevel=warn"; \
	if unshare -n true 2>/dev/null; then \
	  echo "node-gyp rebuild --nodedir=$(NODE_NODEDIR) (no network: unshare -n)"; \
	  npm_config_nodedir=$(NODE_NODEDIR) unshare -n $$gyp; \
	else \
	  echo "node-gyp rebuild --nodedir=$(NODE_NODEDIR)"; \
	  npm_config_nodedir=$(NODE_NODEDIR) $$gyp; \
	fi
	@test -f $@

node-build: $(NODE_ADDON)

node-check: $(NODE_ADDON) scopec
	cd $(NODE_DIR) && SCOPEC=$(abspath scopec) $(NODE) --test --test-reporter=spec test/

node-bench: $(NODE_ADDON) scopec
	cd $(NODE_DIR) && SCOPEC=$(abspath scopec) $(NODE) bench.mjs

EXTRA_TESTS += node-check

node-clean:
	rm -rf $(NODE_DIR)/build $(NODE_DIR)/node_modules $(NODE_PIC)
