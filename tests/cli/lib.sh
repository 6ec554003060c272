# lib.sh - helpers shared by the command-line tests.  Sourced, not run.
#
# Each test drives the built tools/rolegate with a configuration it writes
# into a temporary directory, and prints one "ok - ..." or "not ok - ..."
# line per assertion.  finish exits non-zero when any assertion failed.
#
# make check sets top_builddir and ROLEGATE_TEST_PLUGINS; when a script is
# run by hand from the source tree, they default to the tree it sits in.

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${ROLEGATE_TEST_PLUGINS:=$top_builddir/plugins/.libs}"
RG="$top_builddir/tools/rolegate"

# The caller's environment must not choose the config or the plugins.
unset ROLEGATE_CONFIG ROLEGATE_PLUGIN_DIR

T=$(mktemp -d "${TMPDIR:-/tmp}/rolegate-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT TERM

PASSED=0
FAILED=0
RC=0

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1"
	if [ -s "$T/out" ]; then sed 's/^/#   stdout: /' "$T/out"; fi
	if [ -s "$T/err" ]; then sed 's/^/#   stderr: /' "$T/err"; fi
}

# run ARG...: runs rolegate; stdout in $T/out, stderr in $T/err, status in RC.
run() {
	set +e
	"$RG" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
}

# rg ARG...: run with the test configuration.
rg() {
	run -c "$T/rolegate.conf" "$@"
}

# expect_rc STATUS WHAT
expect_rc() {
	if [ "$RC" -eq "$1" ]; then
		pass "$2: exit $1"
	else
		fail "$2: exit $RC, expected $1"
	fi
}

# expect_out REGEX WHAT: some stdout line matches the extended regex.
expect_out() {
	if grep -Eq -- "$1" "$T/out"; then
		pass "$2"
	else
		fail "$2: stdout does not match /$1/"
	fi
}

# expect_no_out REGEX WHAT: no stdout line matches.
expect_no_out() {
	if grep -Eq -- "$1" "$T/out"; then
		fail "$2: stdout matches /$1/"
	else
		pass "$2"
	fi
}

# expect_err REGEX WHAT: some stderr line matches.
expect_err() {
	if grep -Eq -- "$1" "$T/err"; then
		pass "$2"
	else
		fail "$2: stderr does not match /$1/"
	fi
}

# expect_no_err REGEX WHAT: no stderr line matches.
expect_no_err() {
	if grep -Eq -- "$1" "$T/err"; then
		fail "$2: stderr matches /$1/"
	else
		pass "$2"
	fi
}

# expect_lines N WHAT: stdout has exactly N lines.
expect_lines() {
	n=$(wc -l <"$T/out")
	if [ "$n" -eq "$1" ]; then
		pass "$2"
	else
		fail "$2: $n lines, expected $1"
	fi
}

# expect_json PYEXPR WHAT: stdout is one JSON value d and PYEXPR holds.
expect_json() {
	if ! command -v python3 >/dev/null 2>&1; then
		echo "ok - $2 # SKIP python3 not found"
		return 0
	fi
	if python3 -c '
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$T/out" "$1" 2>"$T/py"; then
		pass "$2"
	else
		fail "$2: JSON check failed: $1"
		sed 's/^/#   python: /' "$T/py"
	fi
}

# same_files A B WHAT: the two files are byte-identical (else their diff).
same_files() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3: the files differ"
		diff "$1" "$2" | sed 's/^/#   /' | head -20
	fi
}

# expect_stdout FILE WHAT: stdout is exactly the contents of FILE.
expect_stdout() {
	same_files "$1" "$T/out" "$2"
}

# snapshot NAME [DB]: the directory (or DB) exported to $T/NAME.json.
snapshot() {
	if [ $# -gt 1 ]; then
		"$RG" -c "$T/rolegate.conf" --directory "$2" export >"$T/$1.json"
	else
		"$RG" -c "$T/rolegate.conf" export >"$T/$1.json"
	fi
}

# unchanged WHAT [DB]: the directory equals the "before" snapshot.
unchanged() {
	what=$1
	shift
	snapshot after "$@"
	same_files "$T/before.json" "$T/after.json" "$what: nothing changed"
}

# on_pg: true when the directories of this run are PostgreSQL schemas
# (ROLEGATE_TEST_PG names a server of tests/pg/pgserver.sh, as
# tests/pg/suites.sh sets it); a case about the SQLite file itself is
# skipped then.
on_pg() {
	[ -n "${ROLEGATE_TEST_PG:-}" ]
}

# test_directory PATH: the location of a test's directory: PATH, a SQLite
# file; or, on_pg, a fresh empty schema named after the script, its
# process and PATH (call it once for each PATH).
test_directory() {
	if ! on_pg; then
		echo "$1"
		return 0
	fi
	script=$(basename "$0" .sh | tr -c 'a-z0-9\n' '_')
	sum=$(printf '%s' "$1" | cksum | cut -d ' ' -f 1)
	sh "${top_srcdir:-$top_builddir}/tests/pg/pgserver.sh" schema \
		"$ROLEGATE_TEST_PG" "t_${script}_$$_$sum"
}

# directory_setup PLUGIN SERVICE ARGS: a configuration with a directory
# (DB, its location: see test_directory) and SERVICE stacking PLUGIN ARGS,
# the shipped policies as $T/policies, and no directory, actor or sync
# credentials from the caller; skipped (77) when PLUGIN is not built.
directory_setup() {
	ln -s "${ROLEGATE_POLICIES:-${top_srcdir:-$top_builddir}/policies}" \
		"$T/policies"
	if [ ! -f "$ROLEGATE_TEST_PLUGINS/$1.so" ]; then
		echo "# SKIP: the $1 plugin is not built"
		exit 77
	fi
	unset ROLEGATE_DIRECTORY SUDO_USER ROLEGATE_SYNC_AUTH_TOKEN \
		ROLEGATE_SYNC_USER_ID
	USER=tester
	export USER
	DB=$(test_directory "$T/state/directory.db")
	cat >"$T/rolegate.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
directory = $DB

[service $2]
stack = required $1 $3
CONF
}

# sync_server DIR TOKEN: tests/cli/sync-server.py serving DIR, stopped on
# exit; SRV is its process and URL its address once it listens.
sync_server() {
	python3 "${top_srcdir:-$top_builddir}/tests/cli/sync-server.py" \
		"$1" "$2" "$T/port" &
	SRV=$!
	trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	URL="http://127.0.0.1:$(cat "$T/port")"
}

finish() {
	echo "# $PASSED passed, $FAILED failed"
	if [ "$FAILED" -ne 0 ]; then
		exit 1
	fi
	exit 0
}

# A small helpdesk policy: agent and supervisor need viewer; data.export
# needs the steward role besides a grant.
write_desk_policy() {
	cat >"$T/desk.ini" <<'INI'
[policy]
product = desk
version = 1

[privilege ticket.view]
description = Read tickets

[privilege ticket.reply]
description = Answer a ticket

[privilege report.view]
description = See reports

[privilege data.export]
description = Export personal data
requires = steward

[role viewer]
name = Viewer
description = Reads tickets
flags = core
grant = ticket.view

[role agent]
name = Agent
flags = core
requires = viewer
grant = ticket.reply

[role supervisor]
name = Supervisor
flags = protected core
requires = viewer
include = agent
grant = report.view data.export

[role steward]
name = Data steward
flags = custom
INI
}

# The same helpdesk, a version later: agents see reports and need nobody,
# stewards and data export are gone, auditors are new.
write_desk2_policy() {
	cat >"$T/desk2.ini" <<'INI'
[policy]
product = desk
version = 2

[privilege ticket.view]
description = Read tickets

[privilege ticket.reply]
description = Answer a ticket

[privilege report.view]
description = See reports

[role viewer]
name = Viewer
flags = core
grant = ticket.view

[role agent]
name = Agent
flags = core
grant = ticket.reply report.view

[role supervisor]
name = Supervisor
flags = protected core
requires = viewer
include = agent
grant = report.view

[role auditor]
name = Auditor
grant = report.view
INI
}

# The test configuration: desk (rbac alone), desk2, open (permit first),
# closed (rbac, then deny).
write_config() {
	write_desk_policy
	write_desk2_policy
	cat >"$T/rolegate.conf" <<CONF
# Written by a rolegate command-line test.
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS

[service desk]
description = Helpdesk
stack = required rbac policy=desk.ini

[service desk2]
stack = required rbac policy=desk2.ini

[service open]
stack = sufficient permit
stack = optional rbac policy=desk.ini

[service closed]
stack = required rbac policy=desk.ini
stack = required deny
CONF
}

if [ ! -x "$RG" ]; then
	echo "not ok - $RG is not built"
	exit 1
fi
