#!/bin/sh
# make-directory-v1.sh - how tests/data/directory-v1.db was made: a
# directory of schema version 1 (rolegate 0.x, the release before the
# generic organisation tables) with data of all three products, written
# through the rolegate CLI of that release.  tests/cli/migrate.sh opens a
# copy with the current code and compares its export with
# directory-v1-export-v2.json (what directory-v1.json, the export that
# release wrote in format version 1, holds, in format version 2), and its
# audit trail with directory-v1-audit.json.
#
# Usage: make-directory-v1.sh ROLEGATE PLUGIN_DIR POLICY_DIR OUT_DIR
# Kept for the record: rerunning it with a newer rolegate makes a newer
# database, not this one.
set -eu
RG=$1 PLUGINS=$2 POLICIES=$3 OUT=$4
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ln -s "$POLICIES" "$T/policies"
cat >"$T/rolegate.conf" <<CONF
[rolegate]
plugin_dir = $PLUGINS
directory = $T/directory.db

[service dyn]
stack = required dynamics365 policy=policies/dynamics365-2021.ini

[service rc]
stack = required rocketchat policy=policies/rocketchat.ini edition=enterprise

[service o24]
stack = required omni24 policy=policies/omni24.ini
CONF
cd "$T"
USER=fixture
export USER
rg() { "$RG" -c rolegate.conf "$@" >/dev/null; }

# Dynamics 365: a business-unit tree, users in it, roles, a custom role.
rg bu add dyn contoso
rg bu add --parent contoso dyn sales
rg bu add --parent contoso dyn support
rg bu add --parent sales dyn emea
rg user add --name "Alice Smith" --bu sales dyn alice
rg user add --bu emea dyn bob
rg user add dyn carol
rg assign dyn alice basic-user omnichannel-agent
rg assign dyn bob basic-user
rg assign dyn carol system-administrator

# Rocket.Chat: units, departments with limits, agents, monitors, managers.
rg unit add rc emea
rg unit add rc americas
rg department add --unit emea --max-chats 3 rc sales
rg department add --unit americas rc support
rg department add rc billing
rg setting set rc default_max_chats 5
rg agent add --departments sales,support --status available --max-chats 2 rc ann
rg agent add --departments billing rc ben
rg agent edit --status unavailable rc ben
rg monitor add --units emea,americas rc mo
rg manager add rc mia
rg user add --name "Plain User" rc plain

# omni24: users, a custom role.
rg user add o24 uma
rg user add --name "Vic V" o24 vic
rg role create --name Reporter --description "Reads reports" o24 reporter \
	reports.inbox
rg assign o24 uma reporter
rg assign o24 vic reporter
rg unassign o24 vic reporter

"$RG" -c rolegate.conf export >"$OUT/directory-v1.json"
"$RG" -c rolegate.conf audit --json >"$OUT/directory-v1-audit.json"
sqlite3 "$T/directory.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1 || :
cp "$T/directory.db" "$OUT/directory-v1.db"
