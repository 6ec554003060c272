#!/bin/sh
# vtable.sh - one door into every plugin: core/vtable.c is the only code that
# reads the struct rg_plugin a plugin exports, tests an ABI minor version, or
# calls through the core's copy of the table (a handle's vt).
#
# The compiler does part of it: a handle holds the copy by value and no
# pointer to the plugin's struct, so the old h->vt->decide does not build.
# The struct itself is public (plugin.h), so the rest is checked here, by
# name, in the library, the programs, the fuzzers and the benchmark.
# Allowed outside vtable.c: the handle's member (struct rg_plugin vt;), the
# 1.0 data members every plugin has (vt.abi_version, name, version,
# description), and internal.h's inline rg_call_decide() (vt.decide), inline
# so that a check pays no call for it.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

FAILED=0
pass() { echo "ok - $1"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1"
}

cd "$top_srcdir" || exit 1
DOOR=core/vtable.c

# The plugin's own struct (not rg_plugin_handle, _request or _answer).
PLUGIN_STRUCT='struct rg_plugin([^[:alnum:]_]|$)'
STRUCT_OK='s/^(core\/internal\.h:[0-9]+:)[[:space:]]*struct rg_plugin vt;/\1/'
# A member of the core's copy, through a handle's vt (or any vt).
MEMBER='(^|[^[:alnum:]_])vt(\.|->)[[:alpha:]_]+'
MEMBER_OK='s/vt(\.|->)(abi_version|name|version|description)([^[:alnum:]_]|$)/\3/g
/^core\/internal\.h:/s/vt\.decide([^[:alnum:]_]|$)/\1/g'
# Any test of a minor version.
MINOR='RG_ABI_MINOR'

# The C files, but the door.
sources() {
	find core tools fuzz bench -name '*.[ch]' 2>/dev/null | sort |
		grep -vx "$DOOR"
}

# hits PATTERN ALLOWED: the lines of sources() that match PATTERN once what
# the sed script ALLOWED blanks out is gone (so a line with an allowed use
# and another still counts), as FILE:LINE:TEXT.
hits() {
	sources | xargs grep -nE "$1" /dev/null |
		while IFS= read -r line; do
			if printf '%s\n' "$line" | sed -E "$2" |
				grep -qE "$1"; then
				printf '%s\n' "$line"
			fi
		done
}

# only_door PATTERN ALLOWED WHAT: the door uses PATTERN (so the pattern is
# not stale) and no other file does, beyond ALLOWED.
only_door() {
	if ! grep -qE "$1" "$DOOR"; then
		fail "$DOOR has no $3: is this test's pattern stale?"
		return
	fi
	found=$(hits "$1" "$2")
	if [ -z "$found" ]; then
		pass "$3 only in $DOOR"
	else
		fail "$3 outside $DOOR (use or add an rg_call_* there):"
		printf '%s\n' "$found" | sed 's/^/#   /'
	fi
}

if [ ! -f "$DOOR" ]; then
	echo "not ok - $DOOR is missing"
	exit 1
fi
only_door "$PLUGIN_STRUCT" "$STRUCT_OK" "the plugin's struct rg_plugin"
only_door "$MINOR" "" "an ABI minor test ($MINOR)"
only_door "$MEMBER" "$MEMBER_OK" "a call through the table (vt)"
[ "$FAILED" -eq 0 ]
