#!/bin/sh
# hardening.sh - the built programs, library and plugins carry the hardening
# configure turned on: full relro (GNU_RELRO and BIND_NOW), PIE programs,
# the stack protector and, where configure enabled it, _FORTIFY_SOURCE.
#
# make check sets ROLEGATE_HARDENING and ROLEGATE_FORTIFY (yes or no) from
# configure; --disable-hardening skips the test.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${ROLEGATE_HARDENING:=yes}"
: "${ROLEGATE_FORTIFY:=no}"

if [ "$ROLEGATE_HARDENING" = no ]; then
	echo "1..0 # SKIP configured with --disable-hardening"
	exit 77
fi
if ! command -v readelf >/dev/null 2>&1; then
	echo "1..0 # SKIP readelf not found"
	exit 77
fi

# The pass/fail/finish helpers of the command-line tests.
. "$top_srcdir/tests/cli/lib.sh"

# real PROGRAM: the binary behind libtool's wrapper script, if there is one.
real() {
	d=$(dirname "$1")
	b=$(basename "$1")
	for f in "$d/.libs/$b" "$d/.libs/lt-$b" "$1"; do
		if [ -f "$f" ] && readelf -h "$f" >/dev/null 2>&1; then
			echo "$f"
			return 0
		fi
	done
	return 1
}

# relro FILE: a GNU_RELRO segment and immediate binding (BIND_NOW, or NOW
# in FLAGS_1).
relro() {
	if readelf -lW "$1" | grep -q GNU_RELRO; then
		pass "$2: GNU_RELRO"
	else
		fail "$2: no GNU_RELRO segment"
	fi
	if readelf -dW "$1" | grep -Eq '\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW'; then
		pass "$2: BIND_NOW"
	else
		fail "$2: not linked with -z now"
	fi
}

# pie FILE: a program is a position-independent executable (type DYN).
pie() {
	if readelf -hW "$1" | grep -Eq 'Type:[[:space:]]+DYN'; then
		pass "$2: PIE"
	else
		fail "$2: not PIE ($(readelf -hW "$1" | sed -n 's/.*Type:[[:space:]]*//p'))"
	fi
}

# imports FILE: the undefined symbols FILE refers to.
imports() {
	readelf -sW --dyn-syms "$1" | awk '$7 == "UND" { print $8 }'
}

# chk NAME FILES...: the stack protector and fortify symbols, summed over
# the files (a single object may have no array on its stack).
STACKCHK=""
FORTIFY=""
chk() {
	for f in "$@"; do
		if imports "$f" | grep -q '^__stack_chk_fail'; then
			STACKCHK="$STACKCHK $f"
		fi
		if imports "$f" | grep -Eq '^__[a-z0-9_]+_chk(@|$)' &&
			imports "$f" | grep -Ev '^__stack_chk_fail' |
			grep -Eq '^__[a-z0-9_]+_chk(@|$)'; then
			FORTIFY="$FORTIFY $f"
		fi
	done
}

files=""
for p in tools/rolegate tools/rolegated/rolegated; do
	if [ ! -e "$top_builddir/$p" ]; then
		# rolegated needs libmicrohttpd; rolegate is always built.
		[ "$p" = tools/rolegate ] && fail "$p is not built"
		continue
	fi
	if ! f=$(real "$top_builddir/$p"); then
		fail "$p: no ELF binary found"
		continue
	fi
	relro "$f" "$p"
	pie "$f" "$p"
	files="$files $f"
done
for l in .libs/librolegate.so plugins/.libs/rbac.so plugins/.libs/dynamics365.so; do
	f="$top_builddir/$l"
	if [ ! -f "$f" ]; then
		fail "$l is not built"
		continue
	fi
	f=$(readlink -f "$f")
	relro "$f" "$l"
	files="$files $f"
done
# shellcheck disable=SC2086
chk $files
if [ -n "$STACKCHK" ]; then
	pass "stack protector: __stack_chk_fail referenced"
else
	fail "stack protector: no __stack_chk_fail in any binary"
fi
if [ "$ROLEGATE_FORTIFY" = yes ]; then
	if [ -n "$FORTIFY" ]; then
		pass "_FORTIFY_SOURCE: __*_chk functions referenced"
	else
		fail "_FORTIFY_SOURCE: no __*_chk function in any binary"
	fi
else
	echo "# _FORTIFY_SOURCE not checked: configure left it off (sanitizers, no optimisation, or predefined)"
fi

finish
