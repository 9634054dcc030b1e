#!/bin/sh
# run_cases.sh SCOPEC — runs the data-driven case files under tests/cases/.
#
#   decide/NAME.scope      a policy with `expect` lines: `scopec test` must pass
#   eval/NAME.scope        with NAME.in (stdin), NAME.out (exact stdout),
#                          optional NAME.args (flags), NAME.err (exact stderr),
#                          NAME.status (exit code, default 0), NAME.image.out
#                          (stdout of the compiled image, if not NAME.out)
#   errors/NAME.scope      with NAME.err: exact stderr of `scopec check`,
#                          exit status 1
#   lint/NAME.scope        with NAME.err: exact warnings of `scopec check`
#                          (exit 0), and `check --werror` exits 1 iff any
#   cli/NAME.cmd           a shell command line (sh -c) run in cli/ with
#                          $SCOPEC (the scopec under test) and $TMP (an empty
#                          scratch directory of its own); NAME.out exact
#                          stdout, NAME.err exact stderr (empty when the file
#                          is absent), NAME.status exit code (default 0).
#                          The path of $TMP is printed as the literal $TMP,
#                          so that outputs naming scratch files stay fixed.
# Commands run inside the case's directory so that paths in diagnostics are
# the bare file names.  Prints one line per failure and a summary.
set -u
scopec=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/cases" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

for f in "$root"/decide/*.scope; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	if (cd "$root/decide" && "$scopec" test "$name" >"$tmp/out" 2>"$tmp/err"); then ok
	else bad "decide/$name"; sed 's/^/    /' "$tmp/err" | head -20; fi
done

# eval_case LABEL BASE POLICY WANT_OUT [FLAG]: one evaluation of case BASE.
eval_case() {
	label=$1 base=$2 policy=$3 wantout=$4 flag=${5:-}
	args=""; [ -f "$base.args" ] && args=$(cat "$base.args")
	want=0; [ -f "$base.status" ] && want=$(cat "$base.status")
	# shellcheck disable=SC2086
	(cd "$root/eval" && "$scopec" eval $flag $args "$policy" <"$base.in" >"$tmp/out" 2>"$tmp/err")
	got=$?
	if [ "$got" != "$want" ]; then bad "$label: exit $got, expected $want"; sed 's/^/    /' "$tmp/err" | head -5; return; fi
	if ! cmp -s "$tmp/out" "$wantout"; then bad "$label: stdout differs"; diff "$wantout" "$tmp/out" | head -20; return; fi
	if [ -f "$base.err" ] && ! cmp -s "$tmp/err" "$base.err"; then bad "$label: stderr differs"; diff "$base.err" "$tmp/err" | head -20; return; fi
	ok
}

# Each eval case three ways, through the one evaluation path of scopec.c:
# the source compiled in memory, the reference evaluator (the same output),
# and the compiled image (NAME.image.out where an image prints less or more,
# see compiler/cli_eval.h), unless the policy does not compile.
for f in "$root"/eval/*.in; do
	[ -e "$f" ] || continue
	base=${f%.in}; name=$(basename "$base")
	eval_case "eval/$name" "$base" "$name.scope" "$base.out"
	eval_case "eval/$name --reference" "$base" "$name.scope" "$base.out" --reference
	(cd "$root/eval" && "$scopec" compile "$name.scope" -o "$tmp/$name.img" >/dev/null 2>&1) || continue
	imgout=$base.out; [ -f "$base.image.out" ] && imgout=$base.image.out
	eval_case "eval/$name (image)" "$base" "$tmp/$name.img" "$imgout"
done

for f in "$root"/errors/*.err; do
	[ -e "$f" ] || continue
	base=${f%.err}; name=$(basename "$base")
	(cd "$root/errors" && "$scopec" check "$name.scope" >"$tmp/out" 2>"$tmp/err")
	got=$?
	if [ "$got" != 1 ]; then bad "errors/$name: exit $got, expected 1"; continue; fi
	if ! cmp -s "$tmp/err" "$f"; then bad "errors/$name: diagnostics differ"; diff "$f" "$tmp/err" | head -20; continue; fi
	ok
done

for f in "$root"/lint/*.err; do
	[ -e "$f" ] || continue
	base=${f%.err}; name=$(basename "$base")
	(cd "$root/lint" && "$scopec" check "$name.scope" >"$tmp/out" 2>"$tmp/err")
	got=$?
	if [ "$got" != 0 ]; then bad "lint/$name: exit $got, expected 0"; continue; fi
	if ! cmp -s "$tmp/err" "$f"; then bad "lint/$name: warnings differ"; diff "$f" "$tmp/err" | head -20; continue; fi
	want=0; [ -s "$f" ] && want=1
	(cd "$root/lint" && "$scopec" check --werror "$name.scope" >/dev/null 2>&1)
	got=$?
	if [ "$got" != "$want" ]; then bad "lint/$name: --werror exit $got, expected $want"; continue; fi
	ok
done

# cli_case BASE: one command-line case (see the header).
cli_case() {
	base=$1 name=$(basename "$1")
	scratch="$tmp/cli-$name"
	mkdir "$scratch"
	(cd "$root/cli" && SCOPEC=$scopec TMP=$scratch sh -c "$(cat "$base.cmd")" \
		>"$tmp/out.raw" 2>"$tmp/err.raw" </dev/null)
	got=$?
	want=0; [ -f "$base.status" ] && want=$(cat "$base.status")
	sed "s|$scratch|\$TMP|g" "$tmp/out.raw" >"$tmp/out"
	sed "s|$scratch|\$TMP|g" "$tmp/err.raw" >"$tmp/err"
	: >"$tmp/empty"
	wantout=$tmp/empty; [ -f "$base.out" ] && wantout=$base.out
	wanterr=$tmp/empty; [ -f "$base.err" ] && wanterr=$base.err
	if [ "$got" != "$want" ]; then bad "cli/$name: exit $got, expected $want"; sed 's/^/    /' "$tmp/err" | head -5; return; fi
	if ! cmp -s "$tmp/out" "$wantout"; then bad "cli/$name: stdout differs"; diff "$wantout" "$tmp/out" | head -20; return; fi
	if ! cmp -s "$tmp/err" "$wanterr"; then bad "cli/$name: stderr differs"; diff "$wanterr" "$tmp/err" | head -20; return; fi
	ok
}

for f in "$root"/cli/*.cmd; do
	[ -e "$f" ] || continue
	cli_case "${f%.cmd}"
done

# fmt over every policy in the repository: idempotent, the formatted policy
# passes the same expects, and diff finds no decision that changed.
for f in "$root"/decide/*.scope "$root"/../../policies/*.scope "$root"/../../examples/*.scope; do
	[ -e "$f" ] || continue
	dir=$(dirname "$f"); name=$(basename "$f"); out="$dir/.fmt-$name"
	if ! "$scopec" fmt "$f" >"$out" 2>"$tmp/err"; then bad "fmt $name: refused"; sed 's/^/    /' "$tmp/err" | head -5; rm -f "$out"; continue; fi
	"$scopec" fmt "$out" >"$tmp/again" 2>/dev/null
	if ! cmp -s "$out" "$tmp/again"; then bad "fmt $name: not idempotent"; diff "$out" "$tmp/again" | head -10; rm -f "$out"; continue; fi
	if ! (cd "$dir" && "$scopec" test ".fmt-$name" >/dev/null 2>"$tmp/err"); then bad "fmt $name: formatted policy fails its expects"; head -5 "$tmp/err"; rm -f "$out"; continue; fi
	if ! (cd "$dir" && "$scopec" diff "$name" ".fmt-$name" >"$tmp/diff" 2>&1); then bad "fmt $name: diff says the formatted policy decides differently"; head -10 "$tmp/diff"; rm -f "$out"; continue; fi
	rm -f "$out"
	ok
done

echo "case files: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
