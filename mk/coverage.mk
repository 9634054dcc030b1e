# coverage.mk — `make coverage`: line and branch coverage of the whole
# `make test` (gcov, reported by gcovr).
#
# The suite runs in a copy of the source tree (build/cov-tree) built with
# --coverage, so the instrumented ./scopec and build/ never mix with the
# normal ones.  The HTML report is build/coverage/index.html; the last line
# printed is
#   coverage: runtime L% lines B% branches, compiler L% lines B% branches, examples L% lines
# (-fprofile-update=atomic: the hot-swap tests and the services run many
# threads through the same code, and plain counters lost updates there:
# gcov printed lines that ran as never run, and negative branch counts.)
# (CC="gcc --coverage": every compile and link, also those of the install
# check, is instrumented.)
# (runtime: runtime/ with libscope-enforce; compiler: compiler/, the hook
# included; examples: the gateway and scope-mcp).  COVERAGE_MIN=1 makes it
# fail when a figure is below its target (COV_* below).  The Python and
# Node extensions are built by their own tools without instrumentation and
# are not counted.
COV_TREE := build/cov-tree
COV_OUT  := build/coverage
COV_RUNTIME_LINES ?= 98
COV_RUNTIME_BRANCHES ?= 90
COV_COMPILER_LINES ?= 92
COV_EXAMPLES_LINES ?= 85
# The floors CI holds (COVERAGE_MIN=1 fails below them) are the targets
# themselves: every figure meets its target with room to spare
# (runtime 98.5 % / 90.7 % or more: the random seeds of the differential
# tests and the races of the threaded ones move a figure by a few tenths
# between runs, and a floor at the figure itself would fail on a bad
# draw).  A figure under its target prints "below target" and fails CI.
COV_FLOOR_RUNTIME_LINES ?= 98
COV_FLOOR_RUNTIME_BRANCHES ?= 90
COV_FLOOR_COMPILER_LINES ?= 92
COV_FLOOR_EXAMPLES_LINES ?= 85

.PHONY: coverage

coverage: deps
	@command -v gcovr >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcovr >/dev/null; } || \
	  { echo "make coverage: needs gcovr (apt-get install gcovr)" >&2; exit 1; }
	rm -rf $(COV_TREE) $(COV_OUT)
	mkdir -p $(COV_TREE) $(COV_OUT)
	git ls-files -z | xargs -0 cp --parents -t $(COV_TREE)
	[ ! -d tests/mcp/node_modules ] || cp -al tests/mcp/node_modules $(COV_TREE)/tests/mcp/
	$(MAKE) -C $(COV_TREE) CC="gcc --coverage -fprofile-update=atomic" OPT="-O0 -g" test
	cd $(COV_TREE) && gcovr -r . --gcov-ignore-parse-errors --html-details -o $(abspath $(COV_OUT))/index.html \
	  --exclude 'build/' --exclude 'tests/' --exclude 'bench/' --exclude 'examples/python/' --exclude 'examples/node/' \
	  --json-summary $(abspath $(COV_OUT))/summary.json --print-summary >/dev/null
	@python3 mk/coverage_summary.py $(COV_OUT)/summary.json \
	  $(COV_RUNTIME_LINES) $(COV_RUNTIME_BRANCHES) $(COV_COMPILER_LINES) $(COV_EXAMPLES_LINES) "$(COVERAGE_MIN)" \
	  $(COV_FLOOR_RUNTIME_LINES) $(COV_FLOOR_RUNTIME_BRANCHES) $(COV_FLOOR_COMPILER_LINES) $(COV_FLOOR_EXAMPLES_LINES)
