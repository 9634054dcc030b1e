# python.mk — the ctypes binding in examples/python (standard library only):
# `make python-check` (part of `make test`) runs its unit tests and the demo
# with the system python3 against the versioned shared library, whose
# exports are exactly scope.h: the binding can use nothing else.

ifndef SCOPE_INSTALL_MK
include $(dir $(lastword $(MAKEFILE_LIST)))install.mk
endif

PYTHON ?= python3

.PHONY: python-check

python-check: scopec $(B)/$(SCOPE_SO) examples/python/scope.py examples/python/guard.py
	cd examples/python && SCOPE_LIB=$(abspath $(B)/$(SCOPE_SO)) SCOPEC=$(abspath scopec) \
	  PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m unittest -q test_scope test_guard
	SCOPE_LIB=$(abspath $(B)/$(SCOPE_SO)) SCOPEC=$(abspath scopec) PYTHONDONTWRITEBYTECODE=1 \
	  $(PYTHON) examples/python/demo.py > $(B)/python-demo.out
	@grep -q '^5 of 5 steps decided' $(B)/python-demo.out || { cat $(B)/python-demo.out; exit 1; }
	@echo "python-check: demo: allow, ask (approved, refused), deny, deny as policies/forum-triage.scope says"

EXTRA_TESTS += python-check
