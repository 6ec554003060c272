#!/bin/sh
# vocab.sh - `rolegate vocabulary SERVICE`: what a service's directory
# holds, as its plugins declare it (ABI 1.5).  The test product "site"
# (tests/fakes/site.c, built against the public headers only) declares a
# tree of sites, attributes, a setting and a workflow the core knows
# nothing of; two entries that declare one name otherwise fail closed.
# Skipped (77) until the plugins are built.
set -eu
. "$(dirname "$0")/lib.sh"

: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"
for so in "$ROLEGATE_TEST_TESTPLUGINS/site.so" \
	"$ROLEGATE_TEST_PLUGINS/dynamics365.so"; do
	if [ ! -f "$so" ]; then
		echo "# SKIP: $so is not built"
		exit 77
	fi
done
# One plugin directory with the test product and a shipped one.
mkdir "$T/plugins"
cp "$ROLEGATE_TEST_TESTPLUGINS/site.so" \
	"$ROLEGATE_TEST_PLUGINS/dynamics365.so" "$T/plugins/"
ln -s "${ROLEGATE_POLICIES:-${top_srcdir:-$top_builddir}/policies}" \
	"$T/policies"
cat >"$T/rolegate.conf" <<CONF
[rolegate]
plugin_dir = $T/plugins

[service campus]
stack = required site

[service both]
stack = required site
stack = required dynamics365 policy=policies/dynamics365-2021.ini

[service bare]
stack = required dynamics365 policy=policies/dynamics365-2021.ini
CONF
cd "$T"
rg() { run -c rolegate.conf --directory "$T/directory.db" "$@"; }

run --help
expect_out '^  vocabulary ' "--help lists vocabulary"

rg vocabulary campus
expect_rc 0 "vocabulary of a service of the test product"
expect_out '^kind +site +tree, members; a site: .*\(site\)$' \
	"the kind site: a tree with members, and who declared it"
expect_out '^org-attr +site\.region +text; the region the site is in' \
	"the attribute region of a site"
expect_out '^user-attr +site +a site; ' "the user attribute site names a site"
expect_out '^user-attr +clearance +integer >= 1; ' "clearance: an integer >= 1"
expect_out '^setting +door_policy +one of open,closed; ' \
	"the setting door_policy: an enum"
expect_out '^workflow +guard +role guard, members of site, edits clearance' \
	"the workflow guard"
expect_lines 6 "six entries, nothing else"

rg vocabulary --json both
expect_rc 0 "vocabulary --json of a service of two products"
expect_json '[ (e["what"], e["name"], e["plugin"]) for e in d["vocabulary"] ] == [
	("kind", "site", "site"), ("org-attr", "region", "site"),
	("user-attr", "site", "site"), ("user-attr", "clearance", "site"),
	("setting", "door_policy", "site"), ("workflow", "guard", "site"),
	("kind", "bu", "dynamics365"), ("user-attr", "bu", "dynamics365")]' \
	"the union of both plugins' declarations, in order"
expect_json '(d["vocabulary"][0]["parent"] == "site" and
	d["vocabulary"][0]["members"] and not d["vocabulary"][0]["single_root"])' \
	"the kind's shape in JSON"
expect_json '(d["vocabulary"][6]["single_root"] and
	d["vocabulary"][7]["type"] == "a bu")' "dynamics365's tree and reference"

rg vocabulary nosuch
expect_rc 2 "an unknown service"
expect_err "unknown service 'nosuch'" "the unknown service named"

rg vocabulary
expect_rc 2 "no service given"

# Two entries of one service that disagree: the second fails, closed.
cat >"$T/conflict.conf" <<CONF
[rolegate]
plugin_dir = $T/plugins

[service campus]
stack = required site
stack = required site variant=flat roles=no
CONF
run -c conflict.conf --directory "$T/directory.db" lint
expect_rc 1 "lint: a conflicting declaration is a problem"
expect_out "conflict.conf:6: plugin 'site' declares organisation kind 'site': plugin 'site' \\(conflict.conf:5\\) declared it otherwise" \
	"lint names both declarations"
run -c conflict.conf --directory "$T/directory.db" check campus @guard door.open
expect_rc 2 "a service with a conflicting declaration denies (an error)"
expect_out "^deny: site: plugin 'site' failed to declare its roles: .*declared it otherwise" \
	"the denial says why"

finish
