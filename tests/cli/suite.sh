#!/bin/sh
# suite.sh - `rolegate test`: the shipped suites pass; a broken policy, a
# malformed suite, unknown names and a config that does not load each get
# their own exit status and FILE:LINE; --json, --junit and --coverage.
# Skipped (77) until the product plugins are built.
set -eu
. "$(dirname "$0")/lib.sh"

pol="${ROLEGATE_POLICIES:-$top_builddir/policies}"
if [ ! -f "$pol/rolegate.conf" ] ||
	[ ! -f "$ROLEGATE_TEST_PLUGINS/omni24.so" ] ||
	[ ! -f "$ROLEGATE_TEST_PLUGINS/dynamics365.so" ] ||
	[ ! -f "$ROLEGATE_TEST_PLUGINS/rocketchat.so" ]; then
	echo "# SKIP: product plugins or shipped config not available"
	exit 77
fi

# A copy of the shipped policies and suites, free to break.
mkdir "$T/pol"
cp "$pol"/*.ini "$pol/rolegate.conf" "$T/pol/"
mkdir "$T/pol/tests"
cp "$pol"/tests/*.ini "$T/pol/tests/"
P="--plugin-dir $ROLEGATE_TEST_PLUGINS"

# xml_check WHAT FILE: the Python script on stdin asserts about FILE.
xml_check() {
	if ! command -v python3 >/dev/null 2>&1; then
		echo "ok - $1 # SKIP python3 not found"
		return 0
	fi
	if python3 - "$2" >"$T/py" 2>&1; then
		pass "$1"
	else
		fail "$1: $(cat "$T/py")"
	fi
}

# tst ARG...: rolegate test on the copy.
tst() {
	# shellcheck disable=SC2086
	run -c "$T/pol/rolegate.conf" $P test "$@"
}

# ---- the shipped suites ----------------------------------------------------

run -c "$pol/rolegate.conf" test
expect_rc 0 "shipped suites pass"
expect_out '^[0-9]+ passed, 0 failed, 0 errors in 4 files$' "summary line"

tst
expect_rc 0 "found in tests/ beside the config"

# ---- a policy with a grant removed -----------------------------------------

sed 's/^grant = billing.manage subscription.manage/grant = subscription.manage/' \
	"$pol/omni24.ini" >"$T/pol/omni24.ini"
tst
expect_rc 1 "grant removed: tests failed"
expect_out "^$T/pol/tests/omni24.ini:[0-9]+: FAIL core-roles/owner/billing.manage: expected allow, got deny" \
	"the failing case named with file:line"
expect_no_out 'FAIL core-roles/(admin|agent|nobody)/' "the other roles still pass"
expect_out '^[0-9]+ passed, 1 failed, 0 errors in 4 files$' "one failure counted"

tst --json
expect_rc 1 "--json: tests failed"
expect_json '(d["failed"] == 1 and d["passed"] > 90 and d["errors"] == 0 and
	d["failures"][0]["name"] == "core-roles/owner/billing.manage" and
	d["failures"][0]["expected"] == "allow" and
	d["failures"][0]["got"] == "deny" and
	d["failures"][0]["file"].endswith("tests/omni24.ini") and
	d["failures"][0]["line"] > 0)' "--json: one object with the failure"

tst --junit "$T/report.xml"
expect_rc 1 "--junit: tests failed"
xml_check "--junit: the XML parses and its counts match" "$T/report.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert len(suites) == 4, len(suites)
cases = root.findall("./testsuite/testcase")
fails = root.findall("./testsuite/testcase/failure")
assert int(root.get("tests")) == len(cases), (root.get("tests"), len(cases))
assert int(root.get("failures")) == len(fails) == 1
assert sum(int(s.get("tests")) for s in suites) == len(cases)
name = [c for c in cases if c.find("failure") is not None][0].get("name")
assert name == "core-roles/owner/billing.manage", name
PY
if ls "$T"/report.xml.* >/dev/null 2>&1; then
	fail "--junit: a temporary file is left"
else
	pass "--junit: no temporary file left"
fi
cp "$pol/omni24.ini" "$T/pol/omni24.ini"

# ---- expectations on reason and plugin -------------------------------------

cat >"$T/reason.ini" <<'INI'
[subject agent]
roles = agent

[test wrong reason]
service = omni24
subject = agent
action = billing.manage
expect = deny
reason = no such words

[test wrong plugin]
service = omni24
subject = agent
action = chat.handle
expect = allow
plugin = dynamics365
INI
tst "$T/reason.ini"
expect_rc 1 "reason and plugin mismatches fail"
expect_out "^$T/reason.ini:4: FAIL wrong reason: reason does not contain 'no such words'" \
	"reason mismatch named"
expect_out "^$T/reason.ini:11: FAIL wrong plugin: decided by omni24, not dynamics365" \
	"plugin mismatch named"

# ---- coverage --------------------------------------------------------------

cat >"$T/cover.ini" <<'INI'
[suite]
service = omni24

[subject owner]
roles = account-owner

[matrix owner]
subjects = owner
actions = billing.manage
allow = owner:billing.manage
INI
tst --coverage "$T/cover.ini"
expect_rc 0 "coverage run passes"
expect_out '^coverage: omni24: 1 of [0-9]+ grants asked, 1 of 1 stack entries decided$' \
	"coverage summary of the service"
expect_out '^uncovered: omni24: account-owner x roles.manage$' \
	"a cell the suite skips is listed"
expect_no_out '^uncovered: omni24: account-owner x billing.manage$' \
	"the cell asked is not"
expect_no_out '^coverage: dynamics365' "services no case asked are left out"

cat >"$T/deny-only.ini" <<'INI'
[subject agent]
roles = agent
[test deny]
service = omni24
subject = agent
action = billing.manage
expect = deny
INI
tst --coverage --json "$T/deny-only.ini"
expect_json '(d["coverage"][0]["service"] == "omni24" and
	{"role": "agent", "privilege": "chat.handle"} in d["coverage"][0]["uncovered_cells"] and
	d["coverage"][0]["undecided_entries"] == [])' "--coverage --json"

# ---- directory users from a fixture ---------------------------------------

mkdir "$T/fx" "$T/tmp"
cat >"$T/fx/users.json" <<'JSON'
{"format": "rolegate-directory", "version": 1, "services": [
 {"name": "omni24", "users": [
  {"id": "alice", "name": "Alice", "roles": ["agent"]},
  {"id": "olga", "name": "Olga", "roles": ["account-owner"]}]}]}
JSON
cat >"$T/fx/users.ini" <<'INI'
[suite]
service = omni24
fixture = users.json

[subject alice]
user = alice

[subject olga]
user = olga

[matrix users]
subjects = alice olga
actions = chat.handle billing.manage
allow = alice:chat.handle olga:chat.handle olga:billing.manage

[test alice edits her own profile]
subject = alice
action = profile.edit-own
attr.owner = alice
expect = allow
INI
TMPDIR="$T/tmp" tst --coverage "$T/fx/users.ini"
expect_rc 0 "fixture users, relative to the suite"
expect_out '^5 passed, 0 failed, 0 errors in 1 file$' "fixture: every case ran"
expect_no_out '^uncovered: omni24: account-owner x billing.manage$' \
	"fixture: a user's role counts for coverage"
if [ -z "$(ls -A "$T/tmp")" ]; then
	pass "fixture: the scratch directory is removed"
else
	fail "fixture: $(ls -A "$T/tmp") left behind"
fi

sed 's/^user = olga/user = oscar/' "$T/fx/users.ini" >"$T/fx/oscar.ini"
tst "$T/fx/oscar.ini"
expect_rc 2 "a user the fixture lacks"
expect_err 'oscar.ini:[0-9]+: users/olga/chat.handle: cannot ask .*unknown user' \
	"a user the fixture lacks: named"

sed 's/^fixture = users.json/fixture = nosuch.json/' "$T/fx/users.ini" \
	>"$T/fx/nofx.ini"
tst --junit "$T/errors.xml" "$T/fx/nofx.ini"
expect_rc 2 "a missing fixture"
expect_err 'nofx.ini:3: fixture .*nosuch.json' "a missing fixture: named"
expect_out '^0 passed, 0 failed, 5 errors' "a missing fixture: nothing passes"
xml_check "--junit: cases that could not be asked are errors" \
	"$T/errors.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.get("tests") == "5" and root.get("errors") == "5", root.attrib
assert root.get("failures") == "0", root.attrib
assert len(root.findall("./testsuite/testcase/error")) == 5
PY

# ---- malformed suites: exit 2 with FILE:LINE -------------------------------

# bad_suite NAME REGEX: the suite in $T/bad.ini is refused naming REGEX.
bad_suite() {
	tst "$T/bad.ini"
	expect_rc 2 "$1"
	expect_err "$2" "$1: named"
	expect_no_out '^[1-9][0-9]* passed' "$1: nothing passes"
}

printf '[test x]\nservice omni24\n' >"$T/bad.ini"
bad_suite "a line without =" "bad.ini:2: expected 'key = value'"

printf '[subject a]\nroles = agent\n[test x]\nservice = omni24\nsubject = a\naction = chat.handle\nexpect = maybe\n' >"$T/bad.ini"
bad_suite "expect neither allow nor deny" "bad.ini:7: expect is 'allow' or 'deny'"

printf '[subject a]\nroles = agent\n[test x]\nservice = omni24\nsubject = b\naction = chat.handle\nexpect = allow\n' >"$T/bad.ini"
bad_suite "unknown subject" "bad.ini:5: unknown subject 'b'"

printf '[subject a]\nroles = agent\n[test x]\nservice = nosuch\nsubject = a\naction = chat.handle\nexpect = allow\n' >"$T/bad.ini"
bad_suite "unknown service" "bad.ini:3: x: unknown service 'nosuch'"

printf '[subject a]\nroles = agent\n[test x]\nservice = omni24\nsubject = a\naction = nosuch\nexpect = deny\n' >"$T/bad.ini"
bad_suite "unknown action (even expecting deny)" "bad.ini:3: x: cannot ask nosuch of 'a': unknown action"

printf '[subject a]\nroles = nosuch\n[test x]\nservice = omni24\nsubject = a\naction = chat.handle\nexpect = deny\n' >"$T/bad.ini"
bad_suite "unknown role" "bad.ini:3: x: cannot ask chat.handle of 'a': unknown role"

printf '[subject a]\nuser = nobody-here\n[test x]\nservice = omni24\nsubject = a\naction = chat.handle\nexpect = deny\n' >"$T/bad.ini"
bad_suite "unknown user" "bad.ini:3: x: cannot ask chat.handle of 'a': unknown user"

printf '[subject a]\nroles = agent\n[matrix m]\nservice = omni24\nsubjects = a\nactions = chat.handle\nallow = a:billing.manage\n' >"$T/bad.ini"
bad_suite "allow outside the matrix" "bad.ini:7: allow 'a:billing.manage' is not SUBJECT:ACTION"

printf '[subject a]\nroles = agent\n[matrix m]\nservice = omni24\nsubjects = a z\nactions = chat.handle\n' >"$T/bad.ini"
bad_suite "matrix with an unknown subject" "bad.ini:5: unknown subject 'z'"

printf '[subject a]\nuser = alice\nattr.status = available\n[test x]\nservice = omni24\nsubject = a\naction = chat.handle\nexpect = deny\n' >"$T/bad.ini"
bad_suite "attributes on a directory user" "bad.ini:1: subject 'a': attr.\\* lines are for 'roles' subjects"

printf '[rule x]\n' >"$T/bad.ini"
bad_suite "unknown section" "bad.ini:1: unknown section"

printf '[rule x]\nservice = omni24\n' >"$T/bad.ini"
bad_suite "the keys of an unknown section" "bad.ini:1: unknown section"
expect_no_err "bad.ini:2" "the keys of an unknown section: not reported again"

printf '[subject a]\nroles = agent\n[test x]\nservice = omni24\nsubject = a\naction = chat.handle\nexpect = allow\n[test x]\n' >"$T/bad.ini"
bad_suite "a test name given twice" "bad.ini:8: \\[test x\\] given twice \\(line 3\\)"

printf '[test x]\nexpected = allow\n' >"$T/bad.ini"
bad_suite "unknown key" "bad.ini:2: unknown key 'expected'"

printf '# nothing\n' >"$T/bad.ini"
bad_suite "a suite without a test" "hold no test"

tst "$T/missing.ini"
expect_rc 2 "a missing suite file"
expect_err "missing.ini: cannot read" "a missing suite file: named"

mkfifo "$T/fifo.ini"
tst "$T/fifo.ini"
expect_rc 2 "a FIFO is refused, not waited on"
expect_err 'fifo.ini: cannot read: .*FIFO' "a FIFO: said so"

mkdir "$T/nosuites"
cp "$T/pol/rolegate.conf" "$T/pol/omni24.ini" "$T/pol"/dynamics365*.ini \
	"$T/pol"/rocketchat*.ini "$T/nosuites/"
# shellcheck disable=SC2086
run -c "$T/nosuites/rolegate.conf" $P test
expect_rc 2 "no suite beside the config"
expect_err 'tests/\*\.ini matches nothing' "no suite: said so"

# ---- a configuration that does not load: exit 3 ----------------------------

printf '[role admin]\ngrant = no-such-privilege\n' >>"$T/pol/omni24.ini"
tst
expect_rc 3 "a policy that does not load"
expect_err 'problem.*no test run' "does not load: said so"
expect_no_out 'passed' "does not load: no test run"

run -c "$T/absent.conf" test
expect_rc 3 "a config that cannot be read"

run test --frobnicate
expect_rc 2 "an unknown option"

finish
