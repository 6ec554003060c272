#!/bin/sh
# check.sh - rolegate check and explain: decisions, exit statuses, JSON,
# traces, suggestions and every kind of bad input.
set -eu
. "$(dirname "$0")/lib.sh"
write_config

# ---- Allow and deny ----
rg check desk @viewer ticket.view
expect_rc 0 "viewer reads tickets"
expect_out '^allow: ' "allow line"
expect_lines 1 "plain check prints one line"

rg check desk @viewer ticket.reply
expect_rc 1 "viewer cannot reply"
expect_out '^deny: ' "deny line"
expect_lines 1 "plain deny prints one line"

rg check desk @agent ticket.reply
expect_rc 1 "agent without its prerequisite viewer"
expect_out '^deny: .*viewer' "deny names the missing prerequisite"

rg check desk @agent,viewer ticket.reply
expect_rc 0 "agent with viewer replies"

rg check desk @supervisor,viewer ticket.reply
expect_rc 0 "supervisor includes agent's privileges"

rg check desk @supervisor,viewer data.export
expect_rc 1 "data.export needs steward besides a grant"

rg check desk @supervisor,viewer,steward data.export
expect_rc 0 "supervisor with steward exports"

rg check desk @steward data.export
expect_rc 1 "steward alone grants nothing"

rg check desk @ ticket.view
expect_rc 1 "a subject with no role"
expect_out '^deny' "no role: deny"

rg check open @viewer report.view
expect_rc 0 "sufficient permit allows"

rg check closed @supervisor,viewer ticket.view
expect_rc 1 "required deny denies"

# Attributes are passed, not interpreted by rbac.
rg check desk @viewer ticket.view bu=sales subject.bu=sales subject.status=available
expect_rc 0 "attributes accepted"

rg check desk @viewer ticket.view bu=
expect_rc 0 "an empty value is a value"

# ---- JSON ----
rg check --json desk @viewer ticket.view bu=sales subject.bu=support
expect_rc 0 "check --json allow"
expect_json 'd["decision"] == "allow" and d["status"] == "OK"' "JSON allow"
expect_json 'd["service"] == "desk" and d["subject"] == "@viewer" and d["action"] == "ticket.view"' \
	"JSON echoes the request"
expect_json 'd["role"] == "viewer" and d["plugin"] == "rbac"' \
	"JSON names the granting role and plugin"
expect_json 'd["attributes"] == {"bu": "sales"} and d["subject_attributes"] == {"bu": "support"}' \
	"JSON: subject. prefix split off"
expect_json '"trace" not in d' "JSON without --explain has no trace"

rg check desk @agent ticket.reply --json
expect_rc 1 "--json after the arguments"
expect_json 'd["decision"] == "deny" and d["missing"] == "viewer" and isinstance(d["reason"], str) and d["reason"]' \
	"JSON deny names the missing role"

# ---- --explain ----
rg check --explain closed @supervisor,viewer ticket.view
expect_rc 1 "check --explain"
expect_out '^deny: ' "explain: decision first"
expect_out '^  rbac \(required, line [0-9]+\): allow' "trace: rbac allowed"
expect_out '^  deny \(required, line [0-9]+\): deny' "trace: deny denied"

rg check --explain desk @viewer ticket.reply
expect_rc 1 "check --explain deny"
expect_out '^  would allow: add (agent|supervisor)' "suggestions on deny"
expect_no_out '^  would allow: .*steward' "no useless suggestion"

rg check --explain --json desk @viewer ticket.reply
expect_rc 1 "check --explain --json"
expect_json 'd["trace"][0]["plugin"] == "rbac" and d["trace"][0]["control"] == "required" and d["trace"][0]["result"] == "deny" and d["trace"][0]["line"] > 0' \
	"JSON trace entry"
expect_json '["agent"] in d["suggestions"]' "JSON suggestions: add agent"

rg check --explain desk @viewer ticket.view
expect_rc 0 "check --explain allow"
expect_no_out 'would allow' "no suggestions on allow"

# ---- explain ----
rg explain desk @viewer ticket.reply
expect_rc 1 "explain deny"
expect_out '^deny: ' "explain: decision"
expect_out '^  decided by: rbac' "explain: deciding plugin"
expect_out '^  missing prerequisite: ' "explain: missing prerequisite line"
expect_out '^  would allow: add agent$' "explain: smallest fix"

rg explain desk @agent ticket.reply
expect_rc 1 "explain: prerequisite missing"
expect_out '^  missing prerequisite: viewer' "explain: names viewer"
expect_out '^  role: agent' "explain: the blocked role"
expect_out '^  would allow: add viewer$' "explain: add viewer"

rg explain desk @viewer data.export
expect_rc 1 "explain: two roles needed"
expect_out '^  would allow: add (supervisor, steward|steward, supervisor)$' \
	"explain: supervisor and steward together"

rg explain desk @viewer ticket.view
expect_rc 0 "explain allow"
expect_out '^allow: ' "explain allow line"
expect_out '^  role: viewer' "explain: the granting role"

rg explain --json desk @viewer data.export
expect_rc 1 "explain --json"
expect_json 'sorted(["steward", "supervisor"]) in [sorted(s) for s in d["suggestions"]]' \
	"explain --json suggestions"
expect_json 'isinstance(d["trace"], list) and len(d["trace"]) == 1' \
	"explain --json trace"

# ---- Errors deny and exit 2 ----
rg check desk @viewer no.such.action
expect_rc 2 "unknown action"
expect_out '^deny' "unknown action: deny"
expect_err "check: action 'no\.such\.action' is not declared by any plugin of service 'desk' \(ENOACTION\)" \
	"unknown action: the reason said on stderr"

rg check --json desk @viewer no.such.action
expect_rc 2 "unknown action --json"
expect_json 'd["decision"] == "deny" and d["status"] == "ENOACTION"' \
	"unknown action: JSON status"

rg check desk @no-such-role ticket.view
expect_rc 2 "unknown role"
expect_out '^deny' "unknown role: deny"

rg check --json desk @viewer,no-such-role ticket.view
expect_rc 2 "unknown role among known ones"
expect_json 'd["decision"] == "deny" and d["status"] == "ENOROLE"' \
	"unknown role: JSON status"

rg check nosuchservice @viewer ticket.view
expect_rc 2 "unknown service"
expect_out '^deny' "unknown service: deny"

rg check --json nosuchservice @viewer ticket.view
expect_json 'd["decision"] == "deny" and d["status"] == "ENOSERVICE"' \
	"unknown service: JSON status"

rg check desk alice ticket.view
expect_rc 2 "a user without a directory"
expect_out '^deny' "unknown user: deny"

rg explain desk @viewer no.such.action
expect_rc 2 "explain: unknown action"
expect_no_out '^allow' "explain: unknown action not allowed"

# ---- Malformed words ----
rg check desk @viewer ticket.view bu
expect_rc 2 "attribute without '='"
expect_err "malformed attribute 'bu'" "attribute without '=': named"
expect_no_out . "attribute without '=': no decision printed"

rg check desk @viewer ticket.view =sales
expect_rc 2 "attribute with an empty name"
expect_err "malformed attribute '=sales'" "empty name: named"

rg check desk @viewer ticket.view subject.=x
expect_rc 2 "subject attribute with an empty name"
expect_err "malformed attribute 'subject\.=x'" "empty subject attribute: named"

rg check desk "" ticket.view
expect_rc 2 "empty subject"

rg check desk @viewer ""
expect_rc 2 "empty action"

# ---- The plugin directory ----
rg --plugin-dir "$T/empty" check desk @viewer ticket.view
if [ "$RC" -ne 0 ] && grep -q '^deny' "$T/out"; then
	pass "plugins missing: deny (exit $RC)"
else
	fail "plugins missing: exit $RC"
fi
expect_err "given to the program, by --plugin-dir" \
	"plugins missing: the error says where the directory came from"

# The config's plugin_dir wins over the build tree's plugins (the tool under
# test is the build tree's): its fixed plugin is only in the test plugins.
: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"
# fixed_conf FILE [DIR]: one service of the fixed plugin, plugin_dir = DIR.
fixed_conf() {
	{
		if [ $# -gt 1 ]; then printf '[rolegate]\nplugin_dir = %s\n' "$2"; fi
		printf '[service s]\nstack = required fixed result=allow\n'
	} >"$1"
}
fixed_conf "$T/own-dir.conf" "$ROLEGATE_TEST_TESTPLUGINS"
run -c "$T/own-dir.conf" check s @tester fixed.test
expect_rc 0 "the config's plugin_dir is used by the build tree's tool"

mkdir -p "$T/noplugins"
fixed_conf "$T/no-plugins.conf" "$T/noplugins"
run -c "$T/no-plugins.conf" check s @tester fixed.test
expect_rc 2 "a plugin not in the config's plugin_dir"
expect_err "plugin 'fixed' not found: no $T/noplugins/fixed\.so or fixed\.la \(the plugin directory set by plugin_dir at [^ ]*no-plugins\.conf:2\)" \
	"not found: names the directory and the plugin_dir line"

fixed_conf "$T/default-dir.conf"
run -c "$T/default-dir.conf" check s @tester fixed.test
expect_rc 2 "a plugin not among the build tree's plugins"
expect_err "the program's default plugin directory.*sets no plugin_dir" \
	"not found: says the config sets no plugin_dir"

# Control characters from input never reach the terminal: a configuration
# line and a user id holding ESC sequences come out as \x1b.
ESC=$(printf '\033')
printf '[rolegate]\nplugin_dir = %s\n[service s]\nstack = required \033[2J\nbogus\033[31m = 1\n' \
	"$ROLEGATE_TEST_PLUGINS" >"$T/esc.conf"
# no_escape WHAT: neither stdout nor stderr holds the byte 0x1b.
no_escape() {
	if cat "$T/out" "$T/err" | od -An -c | grep -q '033'; then
		fail "$1: an ESC byte reached the terminal"
	else
		pass "$1: no ESC byte printed"
	fi
}
run -c "$T/esc.conf" check s "bo${ESC}[2Jb" view
[ "$RC" -ne 0 ] && pass "check with ESC in the config and the user: fails" ||
	fail "check with ESC in the config and the user: exit 0"
no_escape "check"
expect_out 'unknown user .bo\\x1b\[2Jb.' "check: the user id, escaped"
expect_err 'esc\.conf:4: invalid plugin name .\\x1b\[2J.' "check: the config line, escaped"
run -c "$T/esc.conf" check --explain s "bo${ESC}[2Jb" view
no_escape "check --explain"
run -c "$T/esc.conf" lint
expect_rc 1 "lint with ESC in the config"
no_escape "lint"
expect_out 'unknown key .bogus\\x1b\[31m.' "lint: the key, escaped"
rg check desk "x${ESC}]0;title$(printf '\007')" ticket.view
no_escape "check of an OSC sequence as a user id"
expect_out 'unknown user .x\\x1b\]0;title\\x07.' "OSC and BEL escaped"
run -c "$T/esc.conf" roles "s${ESC}[2J"
no_escape "an unknown service with ESC"

finish
