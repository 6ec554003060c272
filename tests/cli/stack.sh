#!/bin/sh
# stack.sh - the stacks that once allowed by mistake, through the CLI.
#
# Each of these allowed (exit 0) before rolegate followed Linux-PAM's
# dispatch rules (libpam's _pam_dispatch_aux(), pam_acct_mgmt()); each must
# now deny, with exit 1 for a deny and 2 for an error, and lint must name
# the dangerous lines.  tests/check_pam.c runs the same stacks through libpam.
set -eu
. "$(dirname "$0")/lib.sh"
: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"

cat >"$T/stacks.conf" <<CONF
[service a]
stack = [default=ok] nosuch
stack = optional fixed result=abstain
[service b]
stack = [allow=2] fixed result=allow
[service c]
stack = [error=ok] fixed result=error
[service d]
stack = [abstain=ok] fixed result=abstain
[service e]
stack = [deny=ok] fixed result=deny
[service f]
stack = [allow=0] fixed result=allow
stack = [default=reset] fixed result=allow
stack = required fixed result=allow
[service g]
stack = sufficient fixed result=allow
[service h]
stack = [deny=ok] fixed result=deny
stack = required fixed result=allow
CONF
stacks() {
	run --plugin-dir "$ROLEGATE_TEST_TESTPLUGINS" -c "$T/stacks.conf" "$@"
}

# service EXIT WHAT
for row in "a 2 a plugin that does not load, default=ok" \
	"b 1 a jump past the end of the stack" \
	"c 2 a plugin's error kept by error=ok" \
	"d 1 an abstention kept by abstain=ok" \
	"e 1 a deny kept by deny=ok" \
	"f 2 a refused line, then reset" \
	"h 1 a deny kept by ok, then a required allow"; do
	set -- $row
	svc=$1 want=$2
	shift 2
	stacks check "$svc" @tester fixed.test
	expect_rc "$want" "$*"
	expect_out '^deny' "$*: denies"
done

stacks check g @tester fixed.test
expect_rc 0 "a sufficient allow still allows"

stacks check --json e @tester fixed.test
expect_json 'd["decision"] == "deny" and "fixed deny" in d["reason"]' \
	"deny=ok: the deny is the answer, with the plugin's reason"

stacks check b @tester fixed.test
expect_out 'past the end of the stack' "the jump's deny says why"

# lint: the jump past the end and the refused line are problems; the
# tables that keep a non-allow are warnings, each with its line.
stacks lint
expect_rc 1 "lint: problems"
expect_out 'stacks\.conf:5: .*allow=2 jumps past the end' "lint: the jump, with its line"
expect_out 'stacks\.conf:13: ' "lint: the refused line"
expect_out 'stacks\.conf:7: warning: .*error=ok' "lint warns: error=ok"
expect_out 'stacks\.conf:9: warning: .*abstain=ok' "lint warns: abstain=ok"
expect_out 'stacks\.conf:11: warning: .*deny=ok' "lint warns: deny=ok"
expect_out 'stacks\.conf:2: warning: .*deny=ok abstain=ok error=ok' "lint warns: default=ok"
expect_no_out 'stacks\.conf:(3|15|17|20): warning' "no warning for shorthands"
expect_out '^.*stacks\.conf: [0-9]+ problems, [0-9]+ warnings$' "summary counts both"

stacks lint --json
expect_json 'len(d["warnings"]) >= 5 and all(": " in w for w in d["warnings"])' \
	"lint --json: warnings"

# Warnings alone: lint exits 0 and says how many.
cat >"$T/warn.conf" <<CONF
[service w]
stack = [deny=ok allow=ok] fixed result=deny
CONF
run --plugin-dir "$ROLEGATE_TEST_TESTPLUGINS" -c "$T/warn.conf" lint
expect_rc 0 "lint: warnings only"
expect_out 'warn\.conf:2: warning: ' "the warning line"
expect_out '^.*warn\.conf: ok \(1 services, 1 plugins, 1 warning\)$' "ok line counts the warning"

finish
