# review.mk — the code review path: `scopec diff REV:PATH PATH` (policies
# read from a git revision with their includes, compiler/gitsrc.c) and the
# gate examples/ci/scope-review, tested in throw-away git repositories.
#
#   make review-check      (part of `make test`) tests/review/test_review.py
#   make review-sanitize   the same against the ASan+UBSan scopec (clang)
REVIEW_TEST := PYTHONDONTWRITEBYTECODE=1 python3 tests/review/test_review.py --gate examples/ci/scope-review

.PHONY: review-check review-sanitize

review-check: scopec examples/ci/scope-review tests/review/test_review.py
	$(REVIEW_TEST) --scopec ./scopec

review-sanitize:
	$(MAKE) B=build/san CC=clang EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  build/san/scopec-bin
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(REVIEW_TEST) --scopec build/san/scopec-bin

EXTRA_TESTS += review-check
