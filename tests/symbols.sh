#!/bin/sh
# symbols.sh - what librolegate and librolegate-directory export is what
# core/librolegate.map, core/directory/librolegate-directory.map and the
# public headers say, each function in the version node of the ABI minor
# that added it (as sudo's check_symbols compares libsudo_util with its
# list):
#  - every function a built library exports is in its map, with the node
#    the map gives it (nm -D shows NAME@@ROLEGATE_1.N), and none is
#    unversioned;
#  - every function of a map is exported;
#  - every function the headers declare (RG_EXTERN) is in a map, and the
#    maps name nothing the headers do not declare, but for their private
#    nodes (ROLEGATE_PRIVATE), which no header declares and no plugin
#    needs;
#  - librolegate needs neither SQLite, jansson nor the store;
#  - a plugin records the newest node it uses, so that an older library
#    refuses it when it is loaded: rocketchat.so calls rg_declare_scope()
#    and the test plugin fixed.so rg_view_user_sized() (1.4), and both need
#    ROLEGATE_1.4; permit.so uses 1.0 helpers only and loads on a stand-in
#    library of the older nodes, which refuses rocketchat.so.
#
# ROLEGATE_SYMBOLS_MAP and ROLEGATE_SYMBOLS_LIB name another map or library
# (to see the test fail).  Skipped (77) without nm or readelf, or when
# configure found no linker support for version scripts
# (ROLEGATE_LD_VERSION_SCRIPT=no); the older-library check needs
# a C compiler ($CC, else cc) and ldd.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"

for tool in nm readelf; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found"
		exit 77
	fi
done

if [ "${ROLEGATE_LD_VERSION_SCRIPT:-yes}" = no ]; then
	echo "1..0 # SKIP the linker takes no version script (configure)"
	exit 77
fi

# The pass/fail/finish helpers of the command-line tests.
. "$top_srcdir/tests/cli/lib.sh"

# built NAME: the library NAME.so.N itself, not the links to it.
built() {
	for f in "$top_builddir"/.libs/"$1".so.*; do
		if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f"; fi
	done | tail -n 1
}
MAP=${ROLEGATE_SYMBOLS_MAP:-$top_srcdir/core/librolegate.map}
LIB=${ROLEGATE_SYMBOLS_LIB:-$(built librolegate)}
STORE_MAP=$top_srcdir/core/directory/librolegate-directory.map
STORE_LIB=$(built librolegate-directory)
for f in "$LIB" "$STORE_LIB"; do
	if [ -z "$f" ] || [ ! -f "$f" ]; then
		echo "not ok - librolegate.so or librolegate-directory.so is not built"
		exit 1
	fi
done

# map_names MAP: "NAME NODE" for each function of the map, by name; the
# private node (ROLEGATE_PRIVATE) is a node like the others.
map_names() {
	sed -e 's,/\*.*\*/,,' "$1" | awk '
	/^[[:space:]]*ROLEGATE_([0-9.]+|PRIVATE)[[:space:]]*\{/ {
		node = $1; sub(/\{.*/, "", node); next
	}
	/^[[:space:]]*rg_[a-z0-9_]+;/ {
		name = $1; sub(/;.*/, "", name); print name, node
	}' | sort
}

# exported LIB: "NAME NODE" for each function the library exports (NODE
# "none" when it has no version); the nodes themselves (type A) are not
# functions.
exported() {
	nm -D --defined-only "$1" | awk '
	$2 == "A" { next }
	{
		n = split($3, part, "@@")
		print part[1], (n == 2 ? part[2] : "none")
	}' | sort
}

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

# compare NAME MAP LIB: the library exports its map, each in its node.
compare() {
	map_names "$2" >"$T/map"
	exported "$3" >"$T/lib"
	awk '$2 == "none"' "$T/lib" >"$T/bad"
	report "$1: every exported symbol has a version" "$T/bad"
	comm -23 "$T/lib" "$T/map" >"$T/bad"
	report "$1: every exported function is in the map, in its node" "$T/bad"
	comm -13 "$T/lib" "$T/map" >"$T/bad"
	report "$1: every function of the map is exported, in its node" "$T/bad"
	cat "$T/map" >>"$T/all"
}
: >"$T/all"
compare librolegate "$MAP" "$LIB"
compare librolegate-directory "$STORE_MAP" "$STORE_LIB"

cut -d' ' -f1 "$T/all" | sort | uniq -d >"$T/bad"
report "no function is in two nodes of the maps" "$T/bad"

awk '$2 != "ROLEGATE_PRIVATE" { print $1 }' "$T/all" | sort -u >"$T/mapnames"
comm -23 "$T/headers" "$T/mapnames" >"$T/bad"
report "every function the headers declare is in a map" "$T/bad"

comm -13 "$T/headers" "$T/mapnames" >"$T/bad"
report "the maps name only functions the headers declare" "$T/bad"

awk '$2 == "ROLEGATE_PRIVATE" { print $1 }' "$T/all" | sort -u >"$T/private"
comm -12 "$T/headers" "$T/private" >"$T/bad"
report "no public header declares a private function" "$T/bad"

# A program that only decides links librolegate and nothing of the store.
readelf -d "$LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
	grep -E '^(libsqlite3|libjansson|librolegate-directory)\.' >"$T/bad"
report "librolegate needs neither SQLite, jansson nor the store" "$T/bad"

# needs PLUGIN.so: the librolegate nodes the object file requires.
needs() {
	readelf -V "$1" 2>/dev/null | awk '
		/File: / { lib = ($0 ~ /File: librolegate\./) }
		lib && /Name: ROLEGATE_/ {
			sub(/.*Name: /, ""); print $1
		}' | sort
}

# No plugin calls the engine's private helpers.
: >"$T/bad"
for plugin in "$ROLEGATE_TEST_PLUGINS"/*.so; do
	[ -f "$plugin" ] || continue
	if needs "$plugin" | grep -qx ROLEGATE_PRIVATE; then
		basename "$plugin" >>"$T/bad"
	fi
done
report "no plugin needs ROLEGATE_PRIVATE" "$T/bad"

ROCKETCHAT=$ROLEGATE_TEST_PLUGINS/rocketchat.so
PERMIT=$ROLEGATE_TEST_PLUGINS/permit.so
: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"
FIXED=$ROLEGATE_TEST_TESTPLUGINS/fixed.so
if needs "$ROCKETCHAT" | grep -qx 'ROLEGATE_1\.4'; then
	pass "rocketchat.so needs ROLEGATE_1.4 (rg_declare_scope)"
else
	fail "rocketchat.so does not need ROLEGATE_1.4: $(needs "$ROCKETCHAT")"
fi
if [ "$(needs "$PERMIT")" = ROLEGATE_1.0 ]; then
	pass "permit.so needs ROLEGATE_1.0 only"
else
	fail "permit.so needs: $(needs "$PERMIT" | tr '\n' ' ')"
fi
if [ ! -f "$FIXED" ]; then
	pass "# SKIP the test plugins are not built"
elif needs "$FIXED" | grep -qx 'ROLEGATE_1\.4'; then
	pass "fixed.so needs ROLEGATE_1.4 (rg_view_user_sized)"
else
	fail "fixed.so does not need ROLEGATE_1.4: $(needs "$FIXED")"
fi

# An older library refuses a newer plugin when it loads it: a stand-in
# librolegate.so.N with the map's nodes up to the one before the newest
# that rocketchat.so needs (and no functions) makes the dynamic linker
# name the missing node.  (The map may have newer nodes that no shipped
# plugin calls.)
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1 || ! command -v ldd >/dev/null 2>&1; then
	pass "# SKIP no C compiler or ldd for the older-library check"
	finish
fi
needs "$ROCKETCHAT" >"$T/needed"
sed -n 's/^\(ROLEGATE_[0-9.]*\)[[:space:]]*{.*/\1/p' "$MAP" |
	awk -v needed="$T/needed" 'BEGIN { while ((getline n < needed) > 0) need[n] = 1 }
	{ nodes[NR] = $1; if ($1 in need) last = NR }
	END { for (i = 1; i <= last; i++) print nodes[i] }' >"$T/nodes"
NEWEST=$(tail -n 1 "$T/nodes")
if [ -z "$NEWEST" ]; then
	fail "rocketchat.so needs no node of the map: $(cat "$T/needed")"
	finish
fi
awk 'NR == 1 { print $1 " { local: *; };"; prev = $1; next }
	{ print $1 " { } " prev ";"; prev = $1 }' "$T/nodes" |
	sed '$d' >"$T/old.map"
mkdir "$T/old"
echo 'int rg_stand_in;' >"$T/old.c"
# The stand-in takes the library's soname, whatever -version-info made it.
SONAME=$(objdump -p "$LIB" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
: "${SONAME:=librolegate.so.3}"
if ! "$CC" -shared -fPIC -o "$T/old/$SONAME" \
	-Wl,-soname,"$SONAME" -Wl,--version-script="$T/old.map" \
	"$T/old.c" 2>"$T/err"; then
	fail "building the older stand-in library"
	finish
fi
LD_LIBRARY_PATH="$T/old" ldd "$ROCKETCHAT" >"$T/out" 2>&1
if grep -q "version .$NEWEST' not found" "$T/out"; then
	pass "a library without $NEWEST refuses rocketchat.so"
else
	fail "a library without $NEWEST loads rocketchat.so"
fi
LD_LIBRARY_PATH="$T/old" ldd "$PERMIT" >"$T/out" 2>&1
if grep -q "not found" "$T/out"; then
	fail "a library without $NEWEST refuses permit.so"
else
	pass "a library without $NEWEST still loads permit.so"
fi
: >"$T/out"

finish
