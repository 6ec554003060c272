#!/bin/sh
# teams.sh - Dynamics 365 owner teams through the command line: the
# verbs the plugin's declaration of the kind "team" gives (team add, edit,
# list, remove), membership (user add|edit --teams), checks, explains and
# validations of a member that holds a team's roles, and teams through
# export and import --replace.
#
# The product's rules (doc/dynamics365.md): a user holds the security roles
# of the owner teams it is a member of ("Manage teams", Power Platform
# admin documentation); a team's role at business-unit depth reaches the
# team's unit, not the member's ("Security concepts for developers":
# access levels refer to where the security principal, here the team, is
# defined among the business units).  Skipped (77) until the plugin is
# built.
set -eu
. "$(dirname "$0")/lib.sh"

directory_setup dynamics365 dyn "policy=policies/dynamics365-2021.ini"
cd "$T"

rg bu add dyn contoso
rg bu add --parent contoso dyn sales
rg bu add --parent contoso dyn support
rg bu add --parent support dyn emea
expect_rc 0 "the business-unit tree"

# ---- The verbs, from the plugin's declaration -----------------------------
rg team add --help dyn
expect_rc 0 "team add --help"
expect_out '^Usage: rolegate \[GLOBAL OPTIONS\] team add \[--json\] \[--bu BU\] \[--roles ROLES\] SERVICE NAME$' \
	"team add: its usage"
expect_out '^ +--bu BU +the business unit it is in \(required\)$' \
	"team add: --bu, required"
expect_out '^ +--roles ROLES +the team.s security roles' "team add: --roles"
rg user add --help dyn
expect_out '^ +--teams A,B +teams, comma-separated' "user add: --teams"

rg team add --bu support --roles basic-user,omnichannel-supervisor \
	dyn support-sup
expect_rc 0 "team add"
expect_out '^added team support-sup in business unit support$' \
	"team add: the team and its unit"
expect_out '^set roles of team support-sup to basic-user,omnichannel-supervisor$' \
	"team add: its roles"

# ---- Refused, and nothing stored ------------------------------------------
snapshot before
rg team add --roles basic-user dyn nowhere
expect_rc 1 "a team without a unit"
expect_err "team 'nowhere' needs a bu" "the missing unit named"
rg team add --bu atlantis dyn lost
expect_rc 1 "a team in an unknown unit"
expect_err "unknown business unit 'atlantis'" "the unit named"
rg team add --bu support --roles basic-user,nosuch dyn bad
expect_rc 1 "a role the policy does not declare"
expect_err "'nosuch' is not a role of the Dynamics 365 policy" \
	"the role named"
rg team add --bu support --roles customer-service-app-access dyn old
expect_rc 1 "a 2019 role in a 2021 service"
rg role create --name 'Queue viewer' dyn cr-queue queue.view
snapshot before
rg team edit --roles basic-user,cr-queue dyn support-sup
expect_rc 1 "a custom role"
expect_err "'cr-queue' is not a role .*not custom roles" \
	"custom roles: refused, said why"
unchanged "refused teams"

# ---- Membership and checks through a team ---------------------------------
rg user add --bu sales --teams support-sup dyn ana
expect_rc 0 "user add --teams"
expect_out '^added ana to team support-sup$' "the membership said"
rg assign dyn ana basic-user

rg check dyn ana queue.view
expect_rc 0 "a team's role grants"
expect_out "^allow: dynamics365: omnichannel-supervisor \(through team 'support-sup'\) grants queue.view$" \
	"the reason names the team"
rg check dyn ana user.edit-queue-assignment bu=support
expect_rc 0 "business-unit depth from the team's unit"
expect_out "through team 'support-sup'\) grants user.edit-queue-assignment at business-unit depth; target unit 'support' is within 'support'$" \
	"allowed in the team's unit"
rg check dyn ana user.edit-queue-assignment bu=sales
expect_rc 1 "not the member's own unit"
expect_out "target unit 'sales' is outside 'support'$" "denied in its own"

rg check --explain dyn ana user.edit-queue-assignment bu=sales
expect_out "^  dynamics365 \(required, line [0-9]+\): deny: omnichannel-supervisor \(through team 'support-sup'\)" \
	"check --explain: the entry's answer names the team"
rg explain dyn ana user.view bu=support
expect_rc 0 "explain"
expect_out '^  role: omnichannel-supervisor$' "explain: the granting role"
expect_out "through team 'support-sup'" "explain: through the team"

# A team's role whose prerequisite nobody holds.
rg team add --bu emea --roles omnichannel-agent dyn emea-agents
rg user add --teams emea-agents dyn cid
rg check dyn cid user.view bu=emea
expect_rc 1 "a team's role lacking its prerequisite"
expect_out "requires role basic-user, which the subject lacks \(omnichannel-agent through team 'emea-agents'\)$" \
	"the prerequisite and the team named"
rg validate dyn cid
expect_out '^omnichannel-agent requires basic-user$' \
	"validate: the team's role's prerequisite"
rg user edit --teams emea-agents,support-sup dyn cid
expect_out '^added cid to team support-sup$' "user edit --teams: added"
rg check dyn cid user.view bu=emea
expect_rc 0 "the prerequisite from another team"

# ---- user edit --teams replaces the memberships ---------------------------
rg user edit --teams '' dyn ana
expect_rc 0 "user edit --teams ''"
expect_out '^removed ana from team support-sup$' "the membership left"
rg check dyn ana queue.view
expect_rc 1 "without the team, not its roles"
rg user edit --teams support-sup,,x dyn ana
expect_rc 1 "an empty item"
rg user edit --teams nosuch dyn ana
expect_rc 1 "an unknown team"
expect_err "unknown team 'nosuch'" "the team named"
rg user edit --teams support-sup dyn ana
expect_rc 0 "back in the team"

# ---- Listing, changing, removing ------------------------------------------
rg team list --json dyn
expect_rc 0 "team list --json"
expect_json 'd["teams"] == [
	{"name": "emea-agents", "bu": "emea", "roles": "omnichannel-agent", "members": 1},
	{"name": "support-sup", "bu": "support", "roles": "basic-user,omnichannel-supervisor", "members": 2}]' \
	"team list --json: each team, its unit, roles and members"
rg user show dyn cid
expect_out '^teams: emea-agents, ?support-sup$' "user show: the user's teams"

# ---- Export and import --replace: teams, their roles and members ---------
snapshot exported
rg import --replace "$T/exported.json"
expect_rc 0 "import --replace of an export with teams"
snapshot reimported
same_files "$T/exported.json" "$T/reimported.json" \
	"teams round-trip through export and import --replace"
cp "$T/reimported.json" "$T/out"
expect_json '[t for t in d["services"][0]["org"]["team"] if t["name"] == "support-sup"] == [{"name": "support-sup", "bu": "support", "roles": "basic-user,omnichannel-supervisor"}] and {u["id"]: u["members"].get("team") for u in d["services"][0]["users"]}["cid"] == ["emea-agents", "support-sup"]' \
	"the export has the teams, their units, roles and members"
rg check dyn ana user.edit-queue-assignment bu=support
expect_rc 0 "after the import, ana still holds the team's roles"
sed 's/"omnichannel-agent"/"nosuch"/' "$T/exported.json" >"$T/bad.json"
snapshot before
rg import --replace "$T/bad.json"
expect_rc 2 "an import naming a role the policy lacks"
expect_err "org.team\[0\].roles: invalid roles 'nosuch'" \
	"the JSON path and the role named"
unchanged "a refused import"

rg team edit --bu sales dyn support-sup
expect_rc 0 "team edit --bu: the team moves"
rg check dyn ana user.edit-queue-assignment bu=sales
expect_rc 0 "now measured from its new unit"

rg team remove dyn support-sup
expect_rc 1 "a team with members"
expect_err "team 'support-sup' is in use: it has 2 members" \
	"its members counted"
rg bu remove dyn emea
expect_rc 1 "a unit with a team"
expect_err "business unit 'emea' is in use: it has 1 team" \
	"the unit's team counted"
rg user edit --teams '' dyn ana
rg user edit --teams '' dyn cid
rg team remove dyn support-sup
expect_rc 0 "team remove once empty"
expect_out '^removed team support-sup$' "team remove: said"

finish
