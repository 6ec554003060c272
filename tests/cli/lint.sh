#!/bin/sh
# lint.sh - rolegate lint on a sound and on broken configurations.
set -eu
. "$(dirname "$0")/lib.sh"
write_config

rg lint
expect_rc 0 "lint a sound config"
expect_out "^$T/rolegate\.conf: ok \(4 services, 3 plugins\)$" "ok line"
expect_lines 1 "ok: one line"

rg lint --json
expect_rc 0 "lint --json"
expect_json 'd["ok"] is True and d["problems"] == [] and d["services"] == 4 and d["plugins"] == 3' \
	"lint --json ok"

# Every kind of bad line, each on a known line.
cat >"$T/broken.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
no_such_key = 1
[service desk]
stack = required rbac policy=desk.ini
stack = mandatory permit
[frobnicate]
colour = blue
[service ghost]
stack = required no-such-plugin
CONF

run -c "$T/broken.conf" lint
expect_rc 1 "lint a broken config"
expect_out "broken\.conf:3: " "unknown key: file:line"
expect_out "broken\.conf:6: " "bad control word: file:line"
expect_out "broken\.conf:(7|8): " "unknown section: file:line"
expect_out "broken\.conf:10: " "missing plugin: file:line"
expect_out '^.*broken\.conf: [0-9]+ problems$' "summary line"
expect_no_out 'allow' "lint never prints allow"
expect_no_out ': ok ' "not ok"
n=$(sed -n 's/.*broken\.conf: \([0-9][0-9]*\) problems$/\1/p' "$T/out")
if [ "${n:-0}" -ge 4 ]; then pass "at least four problems ($n)"; else fail "problems: ${n:-none}"; fi

run -c "$T/broken.conf" lint --json
expect_rc 1 "lint --json broken"
expect_json 'd["ok"] is False and len(d["problems"]) >= 4' "lint --json problems"
expect_json 'any(":10: " in p for p in d["problems"])' "lint --json: missing plugin"

# A broken config still opens, and what it cannot do it denies.
run -c "$T/broken.conf" check desk @viewer ticket.view
if [ "$RC" -ne 0 ] && grep -q '^deny' "$T/out"; then
	pass "a bad control line fails closed (exit $RC)"
else
	fail "a bad control line: exit $RC"
fi

run -c "$T/broken.conf" check ghost @viewer ticket.view
if [ "$RC" -ne 0 ] && grep -q '^deny' "$T/out"; then
	pass "a missing plugin fails closed (exit $RC)"
else
	fail "a missing plugin: exit $RC"
fi

# A bad policy file is reported at its own file and line.
cat >"$T/bad.ini" <<'INI'
[policy]
product = desk

[privilege ticket.view]
description = Read tickets

[role viewer]
name = Viewer
colour = green
grant = ticket.view no.such.privilege
INI
cat >"$T/badpolicy.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required rbac policy=bad.ini
CONF
run -c "$T/badpolicy.conf" lint
expect_rc 1 "lint a bad policy"
expect_out 'bad\.ini:9: ' "unknown policy key: file:line"
expect_out 'bad\.ini:10: ' "unknown privilege: file:line"

# Plugin arguments are checked too.
cat >"$T/badargs.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required rbac
stack = required permit please
CONF
run -c "$T/badargs.conf" lint
expect_rc 1 "lint bad plugin arguments"
expect_out 'badargs\.conf:4: ' "missing policy= argument: file:line"
expect_out 'badargs\.conf:5: ' "unexpected argument: file:line"

# rolegated's sections: what only the whole file shows is checked too.
cat >"$T/routes.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required permit
[route broken]
service = nosuch
action = ticket.view
CONF
run -c "$T/routes.conf" lint
expect_rc 1 "lint a route with no path and an unknown service"
expect_out 'routes\.conf:[0-9]+: \[route broken\] has no path' "route without a path: file:line"
expect_out "unknown service 'nosuch'" "route naming an unknown service"

# A byte that is not UTF-8 is a problem like any other, never a crash, and
# --json stays valid JSON with the problem in it (the byte as U+FFFD).
printf '[rolegate]\nplugin_dir = %s\n[service s]\nstack = required \377\n' \
	"$ROLEGATE_TEST_PLUGINS" >"$T/bad-utf8.conf"
run -c "$T/bad-utf8.conf" lint
expect_rc 1 "lint a stack line with a byte that is not UTF-8"
expect_out 'bad-utf8\.conf:4: invalid plugin name' "not UTF-8: the problem, file:line"
expect_out 'bad-utf8\.conf: 1 problem$' "not UTF-8: summary line"
run -c "$T/bad-utf8.conf" lint --json
expect_rc 1 "lint --json with a byte that is not UTF-8"
expect_json 'len(d["problems"]) == 1 and d["problems"][0].startswith(d["config"] + ":4: invalid plugin name") and "\\xff" in d["problems"][0]' \
	"not UTF-8: --json is valid and names the problem (the byte as \\xff)"
# Text the library did not escape (the configuration's path) becomes U+FFFD.
cp "$T/bad-utf8.conf" "$T/bad$(printf '\377').conf"
run -c "$T/bad$(printf '\377').conf" lint --json
expect_rc 1 "lint --json of a configuration whose name is not UTF-8"
expect_json 'd["config"].endswith("bad\ufffd.conf") and len(d["problems"]) == 1' \
	"a name that is not UTF-8: valid JSON, the byte as U+FFFD"

# The admin API off loopback: plain HTTP, a warning (the file stays ok).
cat >"$T/admintcp.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required permit
[rolegated]
admin_socket = off
admin_listen = 0.0.0.0:9000
admin_token_file = $T/token
CONF
run -c "$T/admintcp.conf" lint
expect_rc 0 "lint the admin API on 0.0.0.0: ok"
expect_out 'admintcp\.conf:7: warning: admin_listen = 0\.0\.0\.0:9000 is not a loopback address: the admin API is plain HTTP' \
	"admin API on 0.0.0.0: warning with file:line"
expect_out 'ok \(1 services, 1 plugins, 1 warning\)$' "admin API on 0.0.0.0: counted"
run -c "$T/admintcp.conf" lint --json
expect_json 'd["ok"] is True and len(d["warnings"]) == 1 and "plain HTTP" in d["warnings"][0]' \
	"lint --json: the admin warning"
sed -i 's/^admin_listen = .*/admin_listen = [::1]:9000/' "$T/admintcp.conf"
run -c "$T/admintcp.conf" lint
expect_no_out 'warning' "admin API on [::1]: no warning"

run -c "$T/nonexistent.conf" lint
expect_rc 2 "lint an unreadable config"
expect_no_out . "unreadable: nothing on stdout"

# ---- Each problem once; a command about one service shows only its own ----
: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"
cat >"$T/once.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_TESTPLUGINS
[service a]
stack = required fixed result=allow
[service b]
stack = optional fixed result=abstain
stack = required nosuch
stack = required fixed result=allow bogus=1
stack = required failopen
[service c]
stack = optional fixed result=abstain
stack = required fixed result=allow bogus=2
CONF
run -c "$T/once.conf" lint
expect_rc 1 "lint: failed opens"
expect_out "once\.conf: 4 problems$" "lint: one problem per failed line"
for line in 7 8 9 12; do
	expect_out "once\.conf:$line: " "lint: line $line reported"
done
expect_lines 5 "lint: four problems and the summary"

run -c "$T/once.conf" check a @tester fixed.test
expect_rc 0 "check a sound service of a broken file"
if [ -s "$T/err" ]; then
	fail "check a: other services' problems shown"
else
	pass "check a: no other service's problem shown"
fi
run -c "$T/once.conf" validate a @tester
expect_rc 0 "validate a sound service of a broken file"
expect_no_err "once\.conf:" "validate a: no other service's problem shown"

# A problem of the whole file is shown for any service.
sed 's/^plugin_dir/no_such_key = 1\nplugin_dir/' "$T/once.conf" >"$T/global.conf"
run -c "$T/global.conf" check a @tester fixed.test
expect_err "global\.conf:2: .*no_such_key" "check a: a problem of the whole file shown"
expect_no_err "global\.conf:1[0-9]: " "check a: still no other service's problem"

# A plugin that failed to open: its own message, not a bare status.
run -c "$T/once.conf" check c @tester fixed.test
expect_rc 2 "check: a plugin that failed to open"
expect_err "once\.conf:12: fixed: unknown argument 'bogus=2'" \
	"check c: the plugin's own message"
expect_err "^rolegate: check: .*failed to open: .*unknown argument 'bogus=2' \(EINVAL\)$" \
	"check c: the error line names the reason"
expect_no_err "bogus=1" "check c: service b's problems not shown"

finish
