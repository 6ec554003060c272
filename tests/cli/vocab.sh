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
DB=$(test_directory "$T/directory.db")
rg() { run -c rolegate.conf --directory "$DB" "$@"; }

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
expect_out '^setting +opening_hour +integer >= 0; ' "the setting opening_hour"
expect_lines 7 "seven entries, nothing else"

rg vocabulary --json both
expect_rc 0 "vocabulary --json of a service of two products"
expect_json '[ (e["what"], e["name"], e["plugin"]) for e in d["vocabulary"] ] == [
	("kind", "site", "site"), ("org-attr", "region", "site"),
	("user-attr", "site", "site"), ("user-attr", "clearance", "site"),
	("setting", "door_policy", "site"), ("setting", "opening_hour", "site"),
	("workflow", "guard", "site"),
	("kind", "bu", "dynamics365"), ("user-attr", "bu", "dynamics365"),
	("kind", "team", "dynamics365"), ("org-attr", "roles", "dynamics365")]' \
	"the union of both plugins' declarations, in order"
expect_json '(d["vocabulary"][0]["parent"] == "site" and
	d["vocabulary"][0]["members"] and not d["vocabulary"][0]["single_root"])' \
	"the kind's shape in JSON"
expect_json '(d["vocabulary"][7]["single_root"] and
	d["vocabulary"][8]["type"] == "a bu")' "dynamics365's tree and reference"

rg vocabulary nosuch
expect_rc 2 "an unknown service"
expect_err "unknown service 'nosuch'" "the unknown service named"

rg vocabulary
expect_rc 2 "no service given"

# Settings are checked against their declaration: its type, then the
# plugin's validate hook; a refused value changes nothing.
rg setting set campus door_policy open
expect_rc 0 "a declared enum setting takes one of its values"
rg setting set campus opening_hour 7
expect_rc 0 "a declared integer setting its hook accepts"
rg export campus
cp "$T/out" "$T/before.json"
rg setting set campus door_policy ajar
expect_rc 1 "a value outside the enum is refused"
expect_err "invalid setting door_policy: door_policy must be one of open,closed, not 'ajar'" \
	"the refusal names the setting and its values"
rg setting set campus opening_hour x
expect_rc 1 "a value that is no integer is refused"
expect_err "opening_hour must be an integer of at least 0, not 'x'" \
	"the refusal names the type and its minimum"
rg setting set campus opening_hour 24
expect_rc 1 "a value the plugin's hook refuses is refused"
expect_err "invalid setting opening_hour: opening_hour 24 is not an hour of the day" \
	"the hook's own message"
sed 's/"door_policy":"open"/"door_policy":"ajar"/' "$T/before.json" >"$T/bad.json"
rg import --replace "$T/bad.json"
expect_rc 2 "an import with a refused setting"
expect_err "services\[0\]\.settings\.door_policy: door_policy must be one of open,closed" \
	"the import names the JSON path"
rg export campus
if cmp -s "$T/before.json" "$T/out"; then
	pass "refused settings changed nothing"
else
	fail "refused settings changed the directory"
fi
rg check campus @guard door.open
expect_rc 0 "the service still answers"

# Two entries of one service that disagree: the second fails, closed.
cat >"$T/conflict.conf" <<CONF
[rolegate]
plugin_dir = $T/plugins

[service campus]
stack = required site
stack = required site variant=flat roles=no
CONF
run -c conflict.conf --directory "$DB" lint
expect_rc 1 "lint: a conflicting declaration is a problem"
expect_out "conflict.conf:6: plugin 'site' declares organisation kind 'site': plugin 'site' \\(conflict.conf:5\\) declared it otherwise" \
	"lint names both declarations"
run -c conflict.conf --directory "$DB" check campus @guard door.open
expect_rc 2 "a service with a conflicting declaration denies (an error)"
expect_out "^deny: site: plugin 'site' failed to declare its roles: .*declared it otherwise" \
	"the denial says why"

finish
