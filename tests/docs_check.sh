#!/bin/sh
# docs_check.sh SCOPEC DOC.md... — the checks that keep the docs true
# (`make docs-check`, part of `make test`):
#   1. every command of scopec's command table (`scopec --help`) has its
#      `.SS NAME` section in man/scopec.1;
#   2. every man page renders without a groff warning;
#   3. nothing the project ships points at ../shared/ (users do not have it);
#   4. every ```console example of the DOC.md files prints what it shows
#      (tests/doc_examples.py).
# Runs from the repository root; prints one line per failure.
set -u
scopec=$1
shift
fail=0
bad() { fail=1; echo "docs-check: $*"; }

# 1. The command table is the list between "commands:" and the blank line.
for c in $("$scopec" --help | sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'); do
	grep -qx "\.SS $c" man/scopec.1 || bad "man/scopec.1 has no '.SS $c' section for 'scopec $c'"
done

# 2. -ww: all warnings; groff reports them on stderr and still exits 0.
for m in man/*.1 man/*.3 man/*.5; do
	[ -e "$m" ] || continue
	w=$(groff -man -Tutf8 -ww "$m" 2>&1 >/dev/null)
	[ -z "$w" ] || bad "$m: groff warnings:
$w"
done

# 3. Docs, man pages, examples and policies only.
hits=$(grep -rn --exclude-dir=node_modules -e '\.\./shared/' README.md man examples policies)
[ -z "$hits" ] || bad "points at ../shared/:
$hits"

# 4.
python3 tests/doc_examples.py "$@" || fail=1
exit $fail
