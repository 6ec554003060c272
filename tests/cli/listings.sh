#!/bin/sh
# listings.sh - rolegate roles, privileges, whocan, diff and plugins.
set -eu
. "$(dirname "$0")/lib.sh"
write_config

# ---- roles ----
rg roles desk
expect_rc 0 "roles"
expect_out '^ROLE +NAME +FLAGS +PLUGIN +REQUIRES$' "roles: header"
expect_out '^viewer +Viewer +core +rbac +-$' "roles: viewer"
expect_out '^supervisor +Supervisor +protected,core +rbac +viewer$' \
	"roles: supervisor flags and prerequisite"
expect_out '^steward +Data steward +custom +rbac +-$' "roles: custom steward"
expect_lines 5 "roles: header and four roles"

rg roles --json desk
expect_rc 0 "roles --json"
expect_json '[r["id"] for r in d["roles"]] == ["viewer", "agent", "supervisor", "steward"]' \
	"roles --json: declaration order"
expect_json 'd["roles"][2]["flags"] == ["protected", "core"] and d["roles"][2]["requires"] == ["viewer"]' \
	"roles --json: flags and requires"
expect_json 'd["roles"][0]["description"] == "Reads tickets" and d["roles"][0]["plugin"] == "rbac"' \
	"roles --json: description and plugin"

rg roles desk supervisor
expect_rc 0 "roles ROLE"
expect_out '^name: Supervisor$' "role: name"
expect_out '^requires: viewer$' "role: requires"
expect_out '^  report\.view$' "role: own grant"
expect_out '^  ticket\.reply$' "role: included grant"
expect_no_out '^  ticket\.view$' "role: not what it does not grant"

rg roles --json desk agent
expect_rc 0 "roles --json ROLE"
expect_json 'd["id"] == "agent" and d["privileges"] == ["ticket.reply"]' \
	"role --json privileges"

rg roles desk nobody
expect_rc 1 "unknown role"
expect_err "unknown role 'nobody'" "unknown role: named"

rg roles nosuchservice
expect_rc 2 "roles: unknown service"
expect_err "unknown service 'nosuchservice'" "unknown service: named"

# ---- privileges ----
rg privileges desk
expect_rc 0 "privileges"
expect_out '^ticket\.view +granted by: viewer; Read tickets$' \
	"privileges: ticket.view"
expect_out '^ticket\.reply +granted by: agent, supervisor; Answer a ticket$' \
	"privileges: ticket.reply"
expect_out '^data\.export +granted by: supervisor; requires: steward; Export personal data$' \
	"privileges: data.export requires steward"
expect_lines 4 "privileges: one line each"

rg privileges --json desk
expect_rc 0 "privileges --json"
expect_json '{p["id"]: p["roles"] for p in d["privileges"]}["report.view"] == ["supervisor"]' \
	"privileges --json roles"
expect_json '{p["id"]: p["requires"] for p in d["privileges"]}["data.export"] == ["steward"]' \
	"privileges --json requires"

# ---- whocan ----
rg whocan desk ticket.reply
expect_rc 0 "whocan"
expect_out '^agent \(requires viewer\)$' "whocan: agent with viewer"
expect_out '^supervisor \(requires viewer\)$' "whocan: supervisor with viewer"
expect_lines 2 "whocan: only those two"

rg whocan desk ticket.view
expect_out '^viewer$' "whocan: viewer needs nothing"

rg whocan desk data.export
expect_rc 0 "whocan an action with its own requirement"
expect_out '^supervisor \(requires viewer, steward\)$' \
	"whocan: the action's required role is listed too"

rg whocan --json desk data.export
expect_json 'd["action_requires"] == ["steward"] and d["roles"] == [{"role": "supervisor", "requires": ["viewer", "steward"]}]' \
	"whocan --json: action_requires"

rg whocan --json desk ticket.reply
expect_rc 0 "whocan --json"
expect_json 'sorted(r["role"] for r in d["roles"]) == ["agent", "supervisor"] and all(r["requires"] == ["viewer"] for r in d["roles"])' \
	"whocan --json"

rg whocan desk no.such.action
expect_rc 2 "whocan: unknown action"
expect_err "unknown action 'no\.such\.action'" "whocan: unknown action named"

rg whocan nosuchservice ticket.view
expect_rc 2 "whocan: unknown service"

# ---- diff ----
rg diff desk desk2
expect_rc 0 "diff"
expect_out '^--- desk$' "diff: A"
expect_out '^\+\+\+ desk2$' "diff: B"
expect_out '^- role steward$' "diff: role only in A"
expect_out '^\+ role auditor$' "diff: role only in B"
expect_out '^- privilege data\.export$' "diff: privilege only in A"
expect_out '^~ role agent$' "diff: agent changed"
expect_out '^    - requires viewer$' "diff: agent's prerequisite removed"
expect_out '^    \+ grants report\.view$' "diff: agent's grant added"
expect_no_out '^~ role viewer$' "diff: viewer unchanged"

rg diff --json desk desk2
expect_rc 0 "diff --json"
expect_json 'd["roles_only_in_a"] == ["steward"] and d["roles_only_in_b"] == ["auditor"]' \
	"diff --json roles"
expect_json 'd["privileges_only_in_a"] == ["data.export"] and d["privileges_only_in_b"] == []' \
	"diff --json privileges"
expect_json '{c["role"]: c for c in d["changed"]}["agent"]["privileges_added"] == ["report.view"]' \
	"diff --json agent"
expect_json '{c["role"]: c for c in d["changed"]}["supervisor"]["privileges_removed"] == ["data.export"]' \
	"diff --json supervisor"

rg diff desk desk
expect_rc 0 "diff of a service with itself"
expect_out '^no differences$' "diff: no differences"

rg diff desk nosuchservice
expect_rc 2 "diff: unknown service"

# ---- plugins ----
rg plugins
expect_rc 0 "plugins"
expect_out '^desk:$' "plugins: desk"
expect_out '^  required rbac  .*rbac[^ ]*  abi [0-9]+\.[0-9]+  version [^ ]+  ok  \(.*rolegate\.conf:[0-9]+\)$' \
	"plugins: rbac entry"
expect_out '^  sufficient permit ' "plugins: permit entry"
expect_out '^  required deny ' "plugins: deny entry"

rg plugins --json closed
expect_rc 0 "plugins --json SERVICE"
expect_json 'len(d["services"]) == 1 and [e["plugin"] for e in d["services"][0]["entries"]] == ["rbac", "deny"]' \
	"plugins --json: one service's stack"
expect_json 'all(e["status"] == "OK" and e["abi_version"].split(".")[0] == "1" for e in d["services"][0]["entries"])' \
	"plugins --json: loaded, ABI 1.x"

rg plugins nosuchservice
expect_rc 2 "plugins: unknown service"

finish
