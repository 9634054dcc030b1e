# python.mk — the Python package in examples/python: `scope`, a CPython
# extension module (scope._scope) over libscope and libscope-enforce, linked
# statically, plus the pure-Python guard (@guarded).
#
#   make python-check   (part of `make test`) builds the package into
#                       $(B)/python/lib with setup.py (offline: the system's
#                       setuptools and Python headers; apt-get installs
#                       python3-dev and python3-setuptools when missing and
#                       run as root) and runs its unit tests and the demo
#   make python-bench   median ns per decide(): the extension against the
#                       ctypes binding (examples/python/scope_ctypes.py, over
#                       the versioned shared library), interleaved in one run
#   make python-install-check   `pip install --no-build-isolation --no-index`
#                       of examples/python into a temporary target; imports it
#   make python-sanitize   the tests with the extension built with ASan + UBSan
#                       (gcc; the interpreter preloads the sanitizer runtimes)
#   make python-refcheck   the tests under python3-dbg -X dev (when installed):
#                       the leak tests check sys.gettotalrefcount() too
#
# A clone builds and installs the package with
#   make lib build/libscope-enforce.a
#   pip install --no-build-isolation --no-index ./examples/python
# (setup.py runs that make itself when SCOPE_LIBDIR is not set).

ifndef SCOPE_INSTALL_MK
include $(dir $(lastword $(MAKEFILE_LIST)))install.mk
endif

PYTHON ?= python3
PY_B   := $(B)/python
PY_LIB := $(PY_B)/lib
PY_TESTS := test_scope test_guard test_enforce test_leaks
PY_SRC := $(wildcard examples/python/src/scope/*.py examples/python/src/scope/*.c examples/python/src/scope/*.pyi) \
	  examples/python/setup.py examples/python/pyproject.toml
PY_ENV  = PYTHONPATH=$(abspath $(PY_LIB)) SCOPEC=$(abspath scopec) PYTHONDONTWRITEBYTECODE=1

.PHONY: python-check python-deps python-build python-bench python-install-check python-sanitize python-refcheck

# Python headers and setuptools for the interpreter $(PYTHON).
python-deps:
	@if ! $(PYTHON) -c 'import os, sysconfig, setuptools; \
	    assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing python3-dev python3-setuptools"; \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dev python3-setuptools >/dev/null || \
	      { apt-get update -q >/dev/null && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dev python3-setuptools >/dev/null; }; } || \
	      { echo "make: apt-get failed; run: apt-get install -y python3-dev python3-setuptools" >&2; exit 1; }; \
	  else \
	    echo "make: $(PYTHON) lacks Python.h or setuptools; run: sudo apt-get install -y python3-dev python3-setuptools" >&2; \
	    exit 1; \
	  fi; \
	fi

# The extension is built in $(PY_B) (not in the source tree) against the
# archives this make has just built: SCOPE_LIBDIR tells setup.py not to run make.
$(PY_B)/.built: $(PY_SRC) $(B)/libscope.a $(B)/libscope-enforce.a runtime/scope.h runtime/enforce/scope_enforce.h \
		mk/python.mk | python-deps
	@mkdir -p $(PY_B)
	cd examples/python && SCOPE_LIBDIR=$(abspath $(B)) $(PYTHON) setup.py -q build \
	  --build-base $(abspath $(PY_B))/build --build-lib $(abspath $(PY_LIB)) --force \
	  > $(abspath $(PY_B))/setup.log 2>&1 || { cat $(abspath $(PY_B))/setup.log; exit 1; }
	rm -rf examples/python/src/scope.egg-info
	@touch $@

python-build: $(PY_B)/.built

python-check: python-build scopec
	cd examples/python/tests && $(PY_ENV) $(PYTHON) -m unittest -q $(PY_TESTS)
	$(PY_ENV) $(PYTHON) examples/python/demo.py > $(PY_B)/demo.out
	@grep -q '^5 of 5 steps decided' $(PY_B)/demo.out || { cat $(PY_B)/demo.out; exit 1; }
	@echo "python-check: demo: allow, ask (approved, refused), deny, deny as policies/forum-triage.scope says"

python-bench: python-build scopec $(B)/$(SCOPE_SO)
	$(PY_ENV) SCOPE_LIB=$(abspath $(B)/$(SCOPE_SO)) $(PYTHON) examples/python/bench.py

# pip, offline, into a temporary target directory; then the installed copy
# decides (from outside the source tree).
python-install-check: $(B)/libscope.a $(B)/libscope-enforce.a scopec | python-deps
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  SCOPE_LIBDIR=$(abspath $(B)) $(PYTHON) -m pip install -q --no-build-isolation --no-index \
	    --target "$$tmp/site" ./examples/python > "$$tmp/pip.log" 2>&1 || { cat "$$tmp/pip.log"; exit 1; }; \
	  rm -rf examples/python/build examples/python/src/scope.egg-info; \
	  cd "$$tmp" && PYTHONPATH="$$tmp/site" SCOPEC=$(abspath scopec) $(PYTHON) -c 'import scope, sys; \
	    p = scope.Policy(scope.compile_file(sys.argv[1])); \
	    assert p.decide("triage", "read", "forum.general.1").allowed; \
	    assert scope.extension_path().startswith(sys.argv[2]); \
	    print("python-install-check: pip installed", scope.extension_path())' \
	    $(abspath examples/triage.scope) "$$tmp/site"

python-sanitize: $(B)/libscope.a $(B)/libscope-enforce.a scopec | python-deps
	@rm -rf $(PY_B)/asan && mkdir -p $(PY_B)/asan
	cd examples/python && SCOPE_LIBDIR=$(abspath $(B)) \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" $(PYTHON) setup.py -q build --build-base $(abspath $(PY_B))/asan/build \
	  --build-lib $(abspath $(PY_B))/asan/lib > $(abspath $(PY_B))/asan/setup.log 2>&1 || \
	  { cat $(abspath $(PY_B))/asan/setup.log; exit 1; }
	rm -rf examples/python/src/scope.egg-info
	cd examples/python/tests && PYTHONPATH=$(abspath $(PY_B))/asan/lib SCOPEC=$(abspath scopec) PYTHONDONTWRITEBYTECODE=1 \
	  SCOPE_LEAK_N=100000 SCOPE_LEAK_RSS_KB=0 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  $(PYTHON) -m unittest -q $(PY_TESTS)

python-refcheck: $(B)/libscope.a $(B)/libscope-enforce.a scopec
	@if ! command -v python3-dbg >/dev/null 2>&1; then \
	  echo "python-refcheck: no python3-dbg (apt-get install python3-dbg); skipped"; exit 0; fi; \
	rm -rf $(PY_B)/dbg && mkdir -p $(PY_B)/dbg && cd examples/python && \
	SCOPE_LIBDIR=$(abspath $(B)) python3-dbg setup.py -q build --build-base $(abspath $(PY_B))/dbg/build \
	  --build-lib $(abspath $(PY_B))/dbg/lib > $(abspath $(PY_B))/dbg/setup.log 2>&1 || \
	  { cat $(abspath $(PY_B))/dbg/setup.log; exit 1; }; \
	rm -rf src/scope.egg-info; cd tests && PYTHONPATH=$(abspath $(PY_B))/dbg/lib SCOPEC=$(abspath scopec) \
	  PYTHONDONTWRITEBYTECODE=1 SCOPE_LEAK_N=200000 python3-dbg -X dev -m unittest -q $(PY_TESTS)

EXTRA_TESTS += python-check
