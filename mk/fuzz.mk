# fuzz.mk — the libFuzzer targets of tests/fuzz (clang, libFuzzer + ASan +
# UBSan, built under build/fuzz), their corpora and their replay.
#
#   make fuzz FUZZ_SECONDS=N       every target N s (default 30), one after
#                                  the other; new inputs in build/fuzz/corpus-T,
#                                  crashes as build/fuzz/T-crash-...; exit 1 on
#                                  the first finding (its log: build/fuzz/T.log)
#   make fuzz-long FUZZ_SECONDS=N FUZZ_JOBS=2
#                                  the same with -jobs/-workers (each job runs
#                                  N s; logs in build/fuzz/long-T/fuzz-J.log);
#                                  prints the executions of every target
#   make fuzz-merge                minimises tests/fuzz/corpus/S (S = T without
#                                  "fuzz_") with libFuzzer's merge (FUZZ_MERGE=
#                                  -merge=1 for the plain one) over itself and
#                                  build/fuzz/corpus-T, to what the seed
#                                  directories do not cover; regress-* stay
#   make fuzz-replay               (part of `make test`) every file of
#                                  tests/fuzz/corpus/S and of the seed
#                                  directories through its target, built
#                                  with $(CC) and tests/fuzz/replay.c instead of
#                                  libFuzzer: crash regressions need no clang
# FUZZ_TARGETS=fuzz_diff picks targets.  Seeds: tests/fuzz/corpus/S and the
# case files below; dictionaries: tests/fuzz/*.dict.
FUZZ_SECONDS ?= 30
FUZZ_JOBS    ?= 2
FUZZ_B       := build/fuzz
FUZZ_TARGETS := fuzz_policy fuzz_request fuzz_image fuzz_form fuzz_shell fuzz_diff
FUZZ_OPT     := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS   := -max_len=4096 -timeout=10 -rss_limit_mb=2048

fuzz_short    = $(patsubst fuzz_%,%,$(1))
fuzz_corpus   = tests/fuzz/corpus/$(call fuzz_short,$(1))
# extra seed directories (read, never written)
fuzz_seeds_fuzz_policy  := tests/cases/decide policies
fuzz_seeds_fuzz_request := tests/cases/eval
fuzz_seeds_fuzz_shell   := tests/cases/shell
fuzz_dict_fuzz_policy   := tests/fuzz/scope.dict
fuzz_dict_fuzz_request  := tests/fuzz/request.dict
fuzz_dict_fuzz_image    := tests/fuzz/image.dict
fuzz_dict_fuzz_form     := tests/fuzz/form.dict
fuzz_dict_fuzz_shell    := tests/fuzz/shell.dict
fuzz_dict     = $(if $(fuzz_dict_$(1)),-dict=$(abspath $(fuzz_dict_$(1))))
fuzz_inputs   = $(abspath $(call fuzz_corpus,$(1)) $(fuzz_seeds_$(1)))

.PHONY: fuzz fuzz-build fuzz-long fuzz-merge fuzz-replay

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=clang OPT="$(FUZZ_OPT)" $(FUZZ_TARGETS:%=$(FUZZ_B)/%)

# One target for FUZZ_SECONDS: $(call fuzz_one,T)
define fuzz_one
{ mkdir -p $(FUZZ_B)/corpus-$(1) && echo "== $(1) for $(FUZZ_SECONDS)s" && \
  { $(FUZZ_B)/$(1) $(call fuzz_dict,$(1)) -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -print_final_stats=1 \
    -artifact_prefix=$(FUZZ_B)/$(1)- $(FUZZ_B)/corpus-$(1) $(call fuzz_inputs,$(1)) > $(FUZZ_B)/$(1).log 2>&1; \
    rc=$$?; tail -12 $(FUZZ_B)/$(1).log; \
    [ $$rc = 0 ] || { echo "$(1) failed (exit $$rc): $(FUZZ_B)/$(1).log"; false; }; }; }
endef

fuzz: fuzz-build
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_one,$(t)) && ) true

# The jobs write fuzz-J.log into the current directory: each target runs in
# its own.  Executions: stat::number_of_executed_units of every job's log.
define fuzz_long_one
{ d=$(abspath $(FUZZ_B))/long-$(1); rm -rf $$d; mkdir -p $$d $(FUZZ_B)/corpus-$(1) && \
  echo "== $(1): $(FUZZ_JOBS) jobs for $(FUZZ_SECONDS)s" && \
  { ( cd $$d && $(abspath $(FUZZ_B))/$(1) $(call fuzz_dict,$(1)) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
      -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -print_final_stats=1 \
      -artifact_prefix=$(abspath $(FUZZ_B))/$(1)- $(abspath $(FUZZ_B))/corpus-$(1) $(call fuzz_inputs,$(1)) \
      > $$d/main.log 2>&1 ); rc=$$?; \
    execs=$$(cat $$d/fuzz-*.log 2>/dev/null | sed -n 's/^stat::number_of_executed_units: *//p' | \
      awk '{ s += $$1 } END { printf "%d executions (%d/s)", s, s / $(FUZZ_SECONDS) }'); \
    echo "$(1): $$execs in $(FUZZ_JOBS) jobs of $(FUZZ_SECONDS)s" >> $(FUZZ_B)/long-summary; \
    [ $$rc = 0 ] || { tail -30 $$d/fuzz-*.log; echo "$(1) failed (exit $$rc): $$d"; false; }; }; }
endef

fuzz-long: fuzz-build
	@rm -f $(FUZZ_B)/long-summary
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_long_one,$(t)) && ) true; \
	  rc=$$?; echo "== executions per target"; cat $(FUZZ_B)/long-summary; exit $$rc

# -merge=1 copies into its first directory the inputs that add coverage to
# what that directory already has.  It starts with the seeds (seed-*) and
# the regress-* files, so the corpus keeps only what the seeds do not
# cover (the replay runs the seed directories as well); seed-* are removed
# after.  Edges only (-use_counters=0): hit counts would keep ~3x the files.
# FUZZ_MERGE: -set_cover_merge=1 is -merge=1 choosing the inputs by greedy
# set cover instead of smallest first: for fuzz_policy 352 files, not 524.
FUZZ_MERGE ?= -set_cover_merge=1
define fuzz_merge_one
{ c=$(call fuzz_corpus,$(1)); m=$(FUZZ_B)/merge-$(1); rm -rf $$m; \
  mkdir -p $$m/in $$m/out $$c $(FUZZ_B)/corpus-$(1) && \
  find $$c -maxdepth 1 -type f ! -name 'regress-*' -exec cp {} $$m/in/ \; && \
  find $$c -maxdepth 1 -type f -name 'regress-*' -exec cp {} $$m/out/ \; && \
  n=0; for f in $$(find $(fuzz_seeds_$(1)) /dev/null -type f); do n=$$((n+1)); cp $$f $$m/out/seed-$$n; done; \
  { $(FUZZ_B)/$(1) $(FUZZ_MERGE) -use_counters=0 $(FUZZ_FLAGS) $$m/out $$m/in $(FUZZ_B)/corpus-$(1) \
      > $$m/merge.log 2>&1 || \
    { tail -20 $$m/merge.log; echo "$(1): merge failed: $$m/merge.log"; false; }; } && \
  rm -f $$m/out/seed-* && find $$c -maxdepth 1 -type f ! -name 'regress-*' -delete && \
  find $$m/out -type f ! -name 'regress-*' -exec cp {} $$c/ \; && \
  echo "$(1): $$(ls $$c | wc -l) files, $$(cat $$c/* | wc -c) bytes in $$c"; }
endef

fuzz-merge: fuzz-build
	@$(foreach t,$(FUZZ_TARGETS),$(call fuzz_merge_one,$(t)) && ) true

# ---- building -----------------------------------------------------------------
# libFuzzer's driver, or (replay) tests/fuzz/replay.c's main(): objects
# first, then the archives, which they need.
fuzz_link = $(filter %.c %.o,$^) $(filter %.a,$^) $(URI_LIBS) $(LDLIBS_ALL)

$(B)/fuzz_%: tests/fuzz/fuzz_%.c $(B)/libscopec.a $(B)/libscope-enforce.a $(B)/libscope.a
	$(CC) $(OPT) $(WARN) $(CPPFLAGS_ALL) -Iruntime/enforce -Itests -fsanitize=fuzzer -o $@ $(fuzz_link)
$(B)/fuzz_diff: tests/policygen.c tests/policygen.h

$(B)/replay_%: $(B)/tests/fuzz/fuzz_%.o $(B)/tests/fuzz/replay.o $(B)/libscopec.a $(B)/libscope-enforce.a \
		$(B)/libscope.a
	$(CC) $(OPT) -o $@ $(fuzz_link)
$(B)/replay_diff: $(B)/tests/policygen.o
$(B)/tests/fuzz/%.o: EXTRA_CFLAGS += -Iruntime/enforce -Itests
$(B)/tests/fuzz/fuzz_%.o: $(B)/scope_parse.h

FUZZ_REPLAY := $(FUZZ_TARGETS:fuzz_%=$(B)/replay_%)
# (objects of a chain of pattern rules: kept, or every make would rebuild them)
.SECONDARY: $(FUZZ_TARGETS:%=$(B)/tests/fuzz/%.o) $(B)/tests/fuzz/replay.o

fuzz-replay: $(FUZZ_REPLAY)
	@$(foreach t,$(FUZZ_TARGETS),$(B)/replay_$(call fuzz_short,$(t)) $(call fuzz_corpus,$(t)) $(fuzz_seeds_$(t)) && ) true

EXTRA_TESTS += fuzz-replay
