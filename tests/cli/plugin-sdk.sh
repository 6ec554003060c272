#!/bin/sh
# plugin-sdk.sh - a plugin built out of tree, as the plugin guide says.
#
# Installs the library, its headers and rolegate.pc into a staging
# directory inside the build tree, builds tests/sdk/helpdesk.c there with
# cc and nothing but `pkg-config --cflags --libs rolegate`, and loads it
# through a config's plugin_dir with the build tree's rolegate: an allow, a
# deny, an undeclared action (denied before the plugin is asked) and the
# plugin's own error (a deny with its status and message).
#
# Skipped (77) only when there is no C compiler or no pkg-config.
set -eu
. "$(dirname "$0")/lib.sh"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CC=${CC:-cc}

for tool in "$CC" pkg-config make; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found"
		exit 77
	fi
done

# The staging tree is the build tree's (a test must not write elsewhere).
STAGE=$(mktemp -d "$top_builddir/tests/sdk-stage.XXXXXX")
trap 'rm -rf "$T" "$STAGE"' EXIT

# Only what a plugin author gets: the library, headers and pkg-config file.
# The test runs inside `make check`: its job server is not ours.  Only
# librolegate: installing librolegate-directory, which links it, makes
# libtool relink it in the build tree, moving the library the other tests
# are running aside meanwhile ("cannot open shared object file").
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" \
	lib_LTLIBRARIES=librolegate.la \
	DESTDIR="$STAGE" install-libLTLIBRARIES install-rolegateincludeHEADERS \
	install-nodist_rolegateincludeHEADERS install-pkgconfigDATA \
	install-dist_pkgsysconfDATA install-dist_rbacpolicyDATA \
	>"$T/install.log" 2>&1; then
	pass "install the library, headers and rolegate.pc"
else
	sed 's/^/#   /' "$T/install.log"
	fail "install the library, headers and rolegate.pc"
	finish
fi
PCDIR=$(find "$STAGE" -name rolegate.pc -exec dirname {} \; | head -n 1)
# The rbac policy the README's and the guide's configs name, beside the
# shipped rolegate.conf.
CONFDIR=$(find "$STAGE" -name rolegate.conf -exec dirname {} \; | head -n 1)
[ -n "$CONFDIR" ] && [ -f "$CONFDIR/example-rbac.ini" ] &&
	pass "example-rbac.ini is installed beside rolegate.conf" ||
	fail "example-rbac.ini is not installed beside rolegate.conf"
PREFIX=$(PKG_CONFIG_PATH=$PCDIR pkg-config --variable=prefix rolegate)
# rolegate.pc names the prefix it was configured for; it is staged under
# $STAGE, so that is the prefix here.
pc() {
	PKG_CONFIG_PATH=$PCDIR pkg-config \
		--define-variable=prefix="$STAGE$PREFIX" "$@" rolegate
}
if [ -f "$(pc --variable=includedir)/rolegate/plugin.h" ]; then
	pass "pkg-config finds the installed plugin.h"
else
	fail "pkg-config finds the installed plugin.h"
fi

mkdir "$T/plugins"
# shellcheck disable=SC2046 # pkg-config's words are meant to split
if $CC -std=gnu11 -Wall -Wextra -Werror -O2 -shared -fPIC \
	-fvisibility=hidden -o "$T/plugins/helpdesk.so" \
	"$top_srcdir/tests/sdk/helpdesk.c" $(pc --cflags --libs) \
	>"$T/cc.log" 2>&1; then
	pass "build the plugin with pkg-config --cflags --libs rolegate"
else
	sed 's/^/#   /' "$T/cc.log"
	fail "build the plugin with pkg-config --cflags --libs rolegate"
	finish
fi
chmod 0755 "$T/plugins" "$T/plugins/helpdesk.so"

cat >"$T/helpdesk.conf" <<CONF
[rolegate]
plugin_dir = $T/plugins
[service helpdesk]
stack = required helpdesk
CONF
hd() {
	run -c "$T/helpdesk.conf" "$@"
}

hd lint
expect_rc 0 "lint: the plugin loads from the config's plugin_dir"

hd check helpdesk @agent ticket.view
expect_rc 0 "an agent may view tickets"
expect_out '^allow: helpdesk: agent may view tickets$' "allow: the plugin's reason"

hd check helpdesk @ ticket.view
expect_rc 1 "no role: denied"
expect_out '^deny: helpdesk: no role of the subject grants ticket\.view$' \
	"deny: the plugin's reason"

hd check helpdesk @agent ticket.close
expect_rc 1 "a privilege no role grants: denied"

hd check helpdesk @agent ticket.burn
expect_rc 2 "an undeclared action: denied as an error"
expect_out "^deny: action 'ticket\\.burn' is not declared by any plugin of service 'helpdesk'$" \
	"undeclared action: the core's reason"

hd check --json helpdesk @agent report.export
expect_rc 2 "the plugin's error: a deny with exit 2"
expect_json 'd["decision"] == "deny" and d["status"] == "EPOLICY" and d["reason"] == "helpdesk: reports are switched off in this test"' \
	"error: the plugin's status and message"

# The guide's install command, as written, with install(1) replaced by a
# stand-in that records where it would install: into the plugin directory
# when pkg-config finds rolegate, nowhere (and a failure) when it cannot.
mkdir "$T/bin"
printf '#!/bin/sh\necho "$@" >>"%s"\n' "$T/installed" >"$T/bin/install"
chmod 0755 "$T/bin/install"
# The guide's sh block that names the plugin directory.
awk '/^```sh$/ { b = ""; inb = 1; next }
	/^```$/ { if (inb && b ~ /plugindir/) printf "%s", b; inb = 0; next }
	inb { b = b $0 "\n" }' "$top_srcdir/doc/plugin-guide.md" >"$T/install.sh"
grep -q 'install -m 0755 helpdesk.so' "$T/install.sh" ||
	fail "the plugin guide's install command is where the test looks"
rc=0
(cd "$T" && PATH="$T/bin:$PATH" PKG_CONFIG_PATH=$PCDIR sh -e install.sh) ||
	rc=$?
[ "$rc" -eq 0 ] && grep -qx -- "-m 0755 helpdesk.so $(PKG_CONFIG_PATH=$PCDIR pkg-config --variable=plugindir rolegate)/" "$T/installed" &&
	pass "the guide's install command: into plugindir" ||
	fail "the guide's install command: exit $rc, $(cat "$T/installed" 2>/dev/null)"
: >"$T/installed"
rc=0
(cd "$T" && PATH="$T/bin:$PATH" PKG_CONFIG_PATH=$T/none PKG_CONFIG_LIBDIR=$T/none \
	sh -e install.sh) 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] && [ ! -s "$T/installed" ] &&
	pass "the guide's install command: fails when pkg-config cannot find rolegate" ||
	fail "the guide's install command without rolegate.pc: exit $rc, installs $(cat "$T/installed")"

finish
