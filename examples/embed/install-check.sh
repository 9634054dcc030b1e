#!/bin/sh
# install-check.sh — `make install` as a user would see it (run by `make
# install-check`, part of `make test`):
#   1. install into a temporary PREFIX; check every file, link, the soname and
#      the exported symbols (exactly the functions of scope.h);
#   2. compile examples/embed/minimal.scope with the *installed* scopec;
#   3. build examples/embed/minimal.c with nothing but
#      `pkg-config --cflags --libs scope` (PKG_CONFIG_PATH = the prefix), run
#      it with the installed shared library, then link it statically
#      (`pkg-config --static`) and run that; both must print the expected
#      decisions and reject a corrupted and a truncated image;
#   4. a DESTDIR install (PREFIX=/usr) lands under DESTDIR only, with /usr
#      paths in scope.pc; `make uninstall` leaves nothing behind, both times.
# Environment (from mk/install.mk): MAKE B CC WARN SCOPE_VERSION SCOPE_API.
set -eu

: "${MAKE:=make}" "${B:=build}" "${CC:=cc}" "${SCOPE_VERSION:?}" "${SCOPE_API:?}"
: "${WARN:=-Wall -Wextra -Werror}"
src=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scope-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix
checks=0

fail() { echo "install-check: FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); }
# Every directory is passed explicitly: a `make test LIBDIR=/usr/lib64` (or
# DESTDIR=...) must not make this test write outside its temporary tree.
inner_make() {
	target=$1 dest=$2 pfx=$3
	$MAKE --no-print-directory -s B="$B" "$target" DESTDIR="$dest" PREFIX="$pfx" EXEC_PREFIX="$pfx" \
		BINDIR="$pfx/bin" LIBDIR="$pfx/lib" INCLUDEDIR="$pfx/include" DATAROOTDIR="$pfx/share" \
		MANDIR="$pfx/share/man" PKGCONFIGDIR="$pfx/lib/pkgconfig" >"$tmp/make.log" 2>&1 ||
		{ cat "$tmp/make.log" >&2; fail "make $target DESTDIR=$dest PREFIX=$pfx"; }
}

# ---- 1. the installed tree ----------------------------------------------------
inner_make install "" "$prefix"
so=libscope.so.$SCOPE_VERSION
soname=libscope.so.${SCOPE_VERSION%%.*}
for f in bin/scopec bin/scope-mcp lib/libscope.a lib/$so include/scope.h lib/pkgconfig/scope.pc \
	 share/man/man1/scopec.1 share/man/man1/scope-mcp.1 share/man/man5/scope.5 share/man/man3/scope.3; do
	[ -f "$prefix/$f" ] && [ ! -L "$prefix/$f" ] || fail "$f not installed"
	ok
done
[ -x "$prefix/bin/scopec" ] || fail "bin/scopec not executable"
[ -x "$prefix/bin/scope-mcp" ] || fail "bin/scope-mcp not executable"
"$prefix/bin/scope-mcp" --help | grep -q -- '--policy FILE --task NAME' || fail "installed scope-mcp --help"
[ "$(readlink "$prefix/lib/$soname")" = "$so" ] || fail "lib/$soname does not link to $so"
[ "$(readlink "$prefix/lib/libscope.so")" = "$soname" ] || fail "lib/libscope.so does not link to $soname"
ok
got=$(readelf -d "$prefix/lib/$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$got" = "$soname" ] || fail "soname of $so is '$got', not $soname"
ok
cmp -s "$prefix/include/scope.h" runtime/scope.h || fail "include/scope.h differs from runtime/scope.h"
for m in scopec.1:man1 scope-mcp.1:man1 scope.5:man5; do
	cmp -s "$prefix/share/man/${m#*:}/${m%:*}" "man/${m%:*}" || fail "man page ${m%:*} changed on install"
done
ok
# the shared library exports the functions of scope.h, nothing more or less
want=$(printf '%s\n' $SCOPE_API | sort)
got=$(nm -D --defined-only "$prefix/lib/$so" | awk '$2 ~ /^[TDBRV]$/ { print $3 }' | sort)
[ "$want" = "$got" ] || { printf 'want:\n%s\ngot:\n%s\n' "$want" "$got" >&2; fail "exported symbols of $so"; }
ok
# one page per function: `man scope_decide` finds scope(3)
for f in $SCOPE_API; do
	[ "$(cat "$prefix/share/man/man3/$f.3")" = ".so man3/scope.3" ] || fail "man3/$f.3"
done
if command -v groff >/dev/null 2>&1; then
	out=$(cd "$prefix/share/man" && LC_ALL=C.UTF-8 groff -s -man -Tutf8 -ww -z man3/scope_decide.3 2>&1) ||
		fail "groff man3/scope_decide.3"
	[ -z "$out" ] || fail "groff warnings: $out"
	ok
fi

# ---- 2. pkg-config ------------------------------------------------------------
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_PATH
pkg-config --validate scope || fail "pkg-config --validate scope"
[ "$(pkg-config --modversion scope)" = "$SCOPE_VERSION" ] || fail "pkg-config --modversion"
cflags=$(pkg-config --cflags scope)
libs=$(pkg-config --libs scope)
static_libs=$(pkg-config --static --libs scope)
case " $cflags " in *" -I$prefix/include "*) ;; *) fail "cflags '$cflags'" ;; esac
has() { case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }
has "$libs" "-L$prefix/lib" && has "$libs" -lscope || fail "libs '$libs'"
case " $libs " in *pcre2*) fail "libs '$libs' expose pcre2 to a shared link" ;; esac
has "$static_libs" -lscope && has "$static_libs" -lpcre2-8 && has "$static_libs" -pthread ||
	fail "static libs '$static_libs'"
ok

# ---- 3. the program, against the installed copy only --------------------------
"$prefix/bin/scopec" test examples/embed/minimal.scope >/dev/null || fail "installed scopec test"
"$prefix/bin/scopec" compile examples/embed/minimal.scope -o "$tmp/minimal.scopec" || fail "installed scopec compile"
ok
cat >"$tmp/expected" <<'EOF'
allow triage read forum.general.42
ask triage post forum.help channel=internal
deny triage post forum.help
deny triage config.set service.api
deny intruder read forum.general.42
EOF
# (-I. would find runtime/ nowhere: build outside the tree)
cp examples/embed/minimal.c "$tmp/minimal.c"
cd "$tmp"
# shellcheck disable=SC2086
$CC -std=c11 $WARN minimal.c $cflags $libs -o minimal-shared || fail "shared build"
readelf -d minimal-shared | grep -q "NEEDED.*\[$soname\]" || fail "minimal-shared does not need $soname"
LD_LIBRARY_PATH=$prefix/lib ldd ./minimal-shared | grep -q "$soname => $prefix/lib/$soname" ||
	fail "minimal-shared does not resolve $soname in the prefix"
ok
# shellcheck disable=SC2086
$CC -std=c11 $WARN -static minimal.c $cflags $static_libs -o minimal-static || fail "static build"
if readelf -d minimal-static 2>/dev/null | grep -q 'NEEDED'; then fail "minimal-static is not static"; fi
ok
for bin in minimal-shared minimal-static; do
	rc=0
	LD_LIBRARY_PATH=$prefix/lib "./$bin" minimal.scopec >"$bin.out" 2>"$bin.err" || rc=$?
	[ $rc -eq 0 ] || { cat "$bin.out" "$bin.err" >&2; fail "$bin exited $rc"; }
	sed 's/  #.*//; s/  */ /g' "$bin.out" | cmp -s - expected ||
		{ cat "$bin.out" >&2; fail "$bin decided otherwise"; }
	[ ! -s "$bin.err" ] || { cat "$bin.err" >&2; fail "$bin wrote to stderr"; }
	ok
	# fail closed: a corrupted or truncated image is refused (exit 2, the reason)
	size=$(wc -c <minimal.scopec)
	cp minimal.scopec corrupt.scopec
	printf '\377' | dd of=corrupt.scopec bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	head -c $((size - 7)) minimal.scopec >truncated.scopec
	for bad in corrupt truncated; do
		rc=0
		LD_LIBRARY_PATH=$prefix/lib "./$bin" $bad.scopec >$bad.out 2>$bad.err || rc=$?
		[ $rc -eq 2 ] && [ ! -s $bad.out ] && grep -q "minimal: $bad.scopec: " $bad.err ||
			{ cat $bad.out $bad.err >&2; fail "$bin accepted a $bad image (exit $rc)"; }
		ok
	done
done
# the EXAMPLE program of scope(3) builds and answers as its page says
sed -n '/^\.SS Program source/,/^\.EE/p' "$prefix/share/man/man3/scope.3" | sed '1,3d;$d' |
	sed "s/\\\\e/\\\\/g; s/\\\\(aq/'/g; s/\\\\-/-/g" >decide.c
[ -s decide.c ] || fail "no program source in scope(3)"
# shellcheck disable=SC2086
$CC -std=c11 $WARN decide.c $cflags $libs -o decide || fail "the EXAMPLE of scope(3) does not build"
run_decide() {
	want_rc=$1 want_out=$2
	shift 2
	rc=0
	out=$(LD_LIBRARY_PATH=$prefix/lib ./decide minimal.scopec "$@" 2>/dev/null) || rc=$?
	[ $rc -eq "$want_rc" ] && [ "${out%%:*}" = "$want_out" ] ||
		fail "scope(3) EXAMPLE: $* gave '$out' (exit $rc), expected $want_out (exit $want_rc)"
	ok
}
run_decide 1 ask triage post forum.help channel=internal
run_decide 1 deny triage post forum.help
run_decide 0 allow triage read forum.general.42
run_decide 2 "" triage read forum.general.42 not-an-attribute
cd "$src"

# ---- 4. DESTDIR staging and uninstall -----------------------------------------
stage=$tmp/stage
inner_make install "$stage" /usr
[ -f "$stage/usr/lib/$so" ] && [ -f "$stage/usr/bin/scopec" ] || fail "DESTDIR install"
[ "$(find "$stage" -mindepth 1 -maxdepth 1)" = "$stage/usr" ] || fail "DESTDIR install wrote outside \$DESTDIR/usr"
grep -qx 'prefix=/usr' "$stage/usr/lib/pkgconfig/scope.pc" || fail "scope.pc of a DESTDIR install"
grep -q "$stage" "$stage/usr/lib/pkgconfig/scope.pc" && fail "scope.pc names the DESTDIR"
ok
inner_make uninstall "$stage" /usr
left=$(find "$stage" ! -type d)
[ -z "$left" ] || fail "uninstall left: $left"
inner_make uninstall "" "$prefix"
left=$(find "$prefix" ! -type d)
[ -z "$left" ] || fail "uninstall left: $left"
ok
echo "install-check: $checks checks passed (prefix, pkg-config, shared and static builds, DESTDIR, uninstall)"
