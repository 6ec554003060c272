#!/bin/sh
# validate.sh - rolegate validate: prerequisites of a role set.
set -eu
. "$(dirname "$0")/lib.sh"
write_config

rg validate desk @agent,viewer
expect_rc 0 "agent with viewer is valid"
expect_out '^ok: every prerequisite is met$' "ok line"
expect_lines 1 "ok: one line"

rg validate desk @agent
expect_rc 1 "agent without viewer"
expect_out '^agent requires viewer$' "names the missing role"
expect_lines 1 "one problem, one line"

rg validate desk @agent,supervisor
expect_rc 1 "two roles without viewer"
expect_out '^agent requires viewer$' "agent's problem"
expect_out '^supervisor requires viewer$' "supervisor's problem"

rg validate desk @viewer
expect_rc 0 "viewer needs nobody"

rg validate desk2 @agent
expect_rc 0 "desk2: agent needs nobody"

rg validate --json desk @agent,supervisor
expect_rc 1 "validate --json"
expect_json 'd["valid"] is False' "JSON valid false"
expect_json '{"role": "agent", "requires": "viewer"} in [{"role": m["role"], "requires": m["requires"]} for m in d["missing"]]' \
	"JSON missing entry"
expect_json 'all(m["plugin"] == "rbac" for m in d["missing"])' \
	"JSON missing names the plugin"

rg validate --json desk @agent,viewer
expect_rc 0 "validate --json ok"
expect_json 'd["valid"] is True and d["missing"] == []' "JSON valid true"

rg validate desk @no-such-role
expect_rc 2 "unknown role"
expect_err 'unknown role' "unknown role: said"
expect_no_out '^ok' "unknown role: not ok"

rg validate --json desk @no-such-role
expect_rc 2 "unknown role --json"
expect_json 'd["valid"] is False and d["status"] == "ENOROLE"' "JSON error"

rg validate nosuchservice @viewer
expect_rc 2 "unknown service"

rg validate desk ""
expect_rc 2 "empty subject"

finish
