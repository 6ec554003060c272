#!/bin/sh
# seeds.sh - the shipped configuration from the build tree, as documented:
# `tools/rolegate -c policies/rolegate.conf ...` with nothing installed.
# Skipped (77) until the product plugins are built.
set -eu
. "$(dirname "$0")/lib.sh"

conf="${ROLEGATE_POLICIES:-$top_builddir/policies}/rolegate.conf"
if [ ! -f "$conf" ] || [ ! -f "$ROLEGATE_TEST_PLUGINS/dynamics365.so" ]; then
	echo "# SKIP: dynamics365 plugin or shipped config not available"
	exit 77
fi

# The plugin directory is found from the build tree: no --plugin-dir here.
run -c "$conf" explain dynamics365 @basic-user,omnichannel-administrator \
	workspace.access
expect_rc 1 "seed 002: administrator lacks the workspace"
expect_out '^deny' "seed 002: deny"
expect_out '^  would allow: add .*app-profile-user' \
	"seed 002: suggests app-profile-user"
# What lies outside roles, which rolegate cannot check, is named too
# (issue: "an administrator is not misled into thinking roles are all"):
# the seed's own thread says to check the licence and the app profile.
expect_out '^  note: .*licence' "seed 002: notes the licence"
expect_out '^  note: .*role association' "seed 002: notes the app's roles"
expect_out '^  note: .*app profile' "seed 002: notes the app profile"

run -c "$conf" explain --json dynamics365 \
	@basic-user,omnichannel-administrator workspace.access
expect_rc 1 "seed 002 in JSON: denied"
expect_out '^    ".*licence' "seed 002 in JSON: the notes array"

run -c "$conf" explain dynamics365 @basic-user,app-profile-user \
	workspace.access
expect_rc 0 "seed 002 fixed: allowed"
expect_out '^  note: .*licence' "allowed by roles: the notes still apply"

run -c "$conf" explain dynamics365 @basic-user case.read
expect_rc 1 "a privilege without notes: denied"
expect_no_out '^  note:' "a privilege without notes: no note line"

run -c "$conf" check dynamics365 \
	@basic-user,omnichannel-administrator,app-profile-user workspace.access
expect_rc 0 "seed 002: with app-profile-user, allowed"

run -c "$conf" validate dynamics365 @omnichannel-agent
expect_rc 1 "2021: every role requires basic-user"
expect_out '^omnichannel-agent requires basic-user$' "2021: basic-user named"

finish
