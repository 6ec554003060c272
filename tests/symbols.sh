#!/bin/sh
# symbols.sh - what librolegate exports is what core/librolegate.map and the
# public headers say, each function in the version node of the ABI minor
# that added it (as sudo's check_symbols compares libsudo_util with its
# list):
#  - every function the built library exports is in the map, with the node
#    the map gives it (nm -D shows NAME@@ROLEGATE_1.N), and none is
#    unversioned;
#  - every function of the map is exported;
#  - every function the headers declare (RG_EXTERN) is in the map, and the
#    map names nothing the headers do not declare;
#  - a plugin records the newest node it uses, so that an older library
#    refuses it when it is loaded: rocketchat.so calls rg_declare_scope()
#    (1.4) and needs ROLEGATE_1.4; permit.so uses 1.0 helpers only.
#
# ROLEGATE_SYMBOLS_MAP and ROLEGATE_SYMBOLS_LIB name another map or library
# (to see the test fail).  Skipped (77) without nm or readelf, or when the
# library was built without a version script.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"

for tool in nm readelf; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found"
		exit 77
	fi
done

# The pass/fail/finish helpers of the command-line tests.
. "$top_srcdir/tests/cli/lib.sh"

MAP=${ROLEGATE_SYMBOLS_MAP:-$top_srcdir/core/librolegate.map}
LIB=${ROLEGATE_SYMBOLS_LIB:-}
if [ -z "$LIB" ]; then
	# The library itself, not the links to it.
	for f in "$top_builddir"/.libs/librolegate.so.*; do
		if [ -f "$f" ] && [ ! -L "$f" ]; then LIB=$f; fi
	done
fi
if [ -z "$LIB" ] || [ ! -f "$LIB" ]; then
	echo "not ok - librolegate.so is not built"
	exit 1
fi
if ! nm -D --defined-only "$LIB" | grep -q ' A ROLEGATE_1\.0$'; then
	echo "1..0 # SKIP $LIB has no symbol versions (no version script)"
	exit 77
fi

# "NAME NODE" for each function of the map, by name.
sed -e 's,/\*.*\*/,,' "$MAP" | awk '
	/^[[:space:]]*ROLEGATE_[0-9.]+[[:space:]]*\{/ {
		node = $1; sub(/\{.*/, "", node); next
	}
	/^[[:space:]]*rg_[a-z0-9_]+;/ {
		name = $1; sub(/;.*/, "", name); print name, node
	}' | sort >"$T/map"

# "NAME NODE" for each function the library exports (NODE "none" when it
# has no version); the nodes themselves (type A) are not functions.
nm -D --defined-only "$LIB" | awk '
	$2 == "A" { next }
	{
		n = split($3, part, "@@")
		print part[1], (n == 2 ? part[2] : "none")
	}' | sort >"$T/lib"

# The functions the public headers declare.
cat "$top_srcdir/include/rolegate/rolegate.h" \
	"$top_srcdir/include/rolegate/plugin.h" | tr '\n' ' ' |
	grep -o 'RG_EXTERN[^;(]*(' | grep -o 'rg_[a-z0-9_]*($' | tr -d '(' |
	sort -u >"$T/headers"

# report WHAT FILE: one failure per line of FILE, or a pass.
report() {
	if [ -s "$2" ]; then
		while IFS= read -r line; do fail "$1: $line"; done <"$2"
	else
		pass "$1"
	fi
}

awk '$2 == "none"' "$T/lib" >"$T/bad"
report "every exported symbol has a version" "$T/bad"

cut -d' ' -f1 "$T/map" | uniq -d >"$T/bad"
report "no function is in two nodes of the map" "$T/bad"

comm -23 "$T/lib" "$T/map" >"$T/bad"
report "every exported function is in the map, in its node" "$T/bad"

comm -13 "$T/lib" "$T/map" >"$T/bad"
report "every function of the map is exported, in its node" "$T/bad"

cut -d' ' -f1 "$T/map" | sort -u >"$T/mapnames"
comm -23 "$T/headers" "$T/mapnames" >"$T/bad"
report "every function the headers declare is in the map" "$T/bad"

comm -13 "$T/headers" "$T/mapnames" >"$T/bad"
report "the map names only functions the headers declare" "$T/bad"

# needs PLUGIN: the librolegate nodes the plugin's object file requires.
needs() {
	readelf -V "$ROLEGATE_TEST_PLUGINS/$1.so" 2>/dev/null | awk '
		/File: / { lib = ($0 ~ /File: librolegate\./) }
		lib && /Name: ROLEGATE_/ {
			sub(/.*Name: /, ""); print $1
		}' | sort
}

if needs rocketchat | grep -qx 'ROLEGATE_1\.4'; then
	pass "rocketchat.so needs ROLEGATE_1.4 (rg_declare_scope)"
else
	fail "rocketchat.so does not need ROLEGATE_1.4: $(needs rocketchat)"
fi
if [ "$(needs permit)" = ROLEGATE_1.0 ]; then
	pass "permit.so needs ROLEGATE_1.0 only"
else
	fail "permit.so needs: $(needs permit | tr '\n' ' ')"
fi

finish
