#!/bin/sh
# faults.sh - the directory under faults: a database locked by another
# writer, a read-only database, ten administrators writing at once, and an
# import killed with SIGKILL half-way.  Every failure must leave the
# directory as it was, and every success must be whole.
# Skipped (77) without the rocketchat plugin or python3.
set -eu
. "$(dirname "$0")/lib.sh"

# Configuration lines have a length limit, and a build tree's paths can be
# long: the policies are reached through a short link next to the config.
ln -s "${ROLEGATE_POLICIES:-${top_srcdir:-$top_builddir}/policies}" "$T/policies"
P=policies
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -f "$ROLEGATE_TEST_PLUGINS/rocketchat.so" ]; then
	echo "# SKIP: the rocketchat plugin is not built"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "# SKIP: python3 not found"
	exit 77
fi
unset ROLEGATE_DIRECTORY SUDO_USER
USER=fault-admin
export USER

# How long a writer waits for another, in the test config (milliseconds).
BUSY_MS=300
# Bounds of every wait below.
POLL=0.05
POLLS=600 # 30 s of POLL

DB=$(test_directory "$T/db/directory.db")
write_conf() { # FILE BUSY_MS
	cat >"$1" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
directory = $DB
directory_busy_timeout_ms = $2

[service rc]
stack = required rocketchat policy=$P/rocketchat.ini edition=enterprise
CONF
}
write_conf "$T/rolegate.conf" "$BUSY_MS"
write_conf "$T/patient.conf" 20000

# Background processes started here, killed on the way out.
PIDS=""
cleanup() {
	for pid in $PIDS; do
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

# now_ms: a monotonic-enough clock for timing one command.
now_ms() {
	python3 -c 'import time; print(int(time.monotonic() * 1000))'
}

# wait_for CMD...: runs CMD every POLL until it succeeds; 1 after POLLS.
wait_for() {
	i=0
	while [ "$i" -lt "$POLLS" ]; do
		if "$@"; then
			return 0
		fi
		sleep "$POLL"
		i=$((i + 1))
	done
	return 1
}

# users SERVICE [RG ARGS...]: the number of users, in $N.
users() {
	svc=$1
	shift
	N=$("$RG" -c "$T/rolegate.conf" "$@" user list --json "$svc" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["users"]))')
}

snapshot() {
	"$RG" -c "$T/rolegate.conf" export >"$T/$1.json"
}

unchanged() {
	snapshot after
	if cmp -s "$T/before.json" "$T/after.json"; then
		pass "$1: nothing changed"
	else
		fail "$1: the directory changed"
	fi
}

rg user add rc alice
expect_rc 0 "a first user"
rg department add rc sales
expect_rc 0 "a department"

# ---- A writer holds the database ----------------------------------------
if on_pg; then
	# SKIP: the lock is taken with SQLite's BEGIN IMMEDIATE on the file.
	echo "ok - a locked database # SKIP SQLite file"
else
	snapshot before
	python3 - "$DB" "$T/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("INSERT INTO meta (key, value) VALUES ('fault-test', 'x')")
open(sys.argv[2], "w").close()
time.sleep(30)  # bounded: killed as soon as the test is done with it
PY
	holder=$!
	PIDS="$PIDS $holder"
	if wait_for test -f "$T/locked"; then
		pass "another process holds a write transaction"
	else
		fail "the lock holder did not start"
	fi

	start=$(now_ms)
	rg agent add --departments sales rc bob
	took=$(($(now_ms) - start))
	expect_rc 2 "a locked database"
	expect_err 'locked' "a locked database: said"
	expect_err "$DB" "a locked database: the directory named"
	if [ "$took" -ge "$BUSY_MS" ]; then
		pass "waited the busy timeout (${took} ms >= $BUSY_MS ms)"
	else
		fail "gave up after ${took} ms, before the busy timeout"
	fi
	if [ "$took" -lt 10000 ]; then
		pass "then gave up (${took} ms)"
	else
		fail "waited ${took} ms"
	fi

	rg user show rc alice
	expect_rc 0 "reading while another process writes"

	rg import --replace "$T/before.json"
	expect_rc 2 "import into a locked database"
	expect_err 'locked' "import: locked, said"

	kill -9 "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	unchanged "the locked database"
	rg user show rc bob
	expect_rc 1 "bob was not added"

	rg agent add --departments sales rc bob
	expect_rc 0 "once the lock is gone, the same command works"
fi

# ---- A read-only database -------------------------------------------------
# Root ignores file modes: make the directory read-only with a bind mount,
# in a mount namespace of its own so that nothing outside sees it.
if on_pg; then
	# SKIP: what is made read-only is the SQLite file's directory.
	echo "ok - a read-only database # SKIP SQLite file"
else
	snapshot before
	if unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"' \
		sh "$T/db" 2>/dev/null; then
		set +e
		unshare -m sh -c '
			mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" ||
				exit 99
			shift
			exec "$@"' sh "$T/db" "$RG" -c "$T/rolegate.conf" \
			agent add --departments sales rc carol >"$T/out" 2>"$T/err"
		RC=$?
		set -e
		expect_rc 2 "a read-only database"
		expect_err 'read-only' "a read-only database: said"
		unchanged "the read-only database"
		rg user show rc carol
		expect_rc 1 "carol was not added"
	else
		echo "ok - a read-only database # SKIP unshare -m or a read-only bind mount is not permitted here"
	fi
fi

# ---- Ten administrators at once ---------------------------------------------
i=0
while [ "$i" -lt 10 ]; do
	rg user add rc "agent$i"
	i=$((i + 1))
done
rg audit --json --service rc
before_assign=$(python3 -c 'import json, sys; print(sum(r["what"] == "assign" for r in json.load(open(sys.argv[1]))["records"]))' "$T/out")

i=0
writers=""
while [ "$i" -lt 10 ]; do
	"$RG" -c "$T/patient.conf" assign rc "agent$i" livechat-agent \
		>"$T/w$i.out" 2>"$T/w$i.err" &
	writers="$writers $!"
	i=$((i + 1))
done
PIDS="$PIDS $writers"
ok=0
for pid in $writers; do
	if wait "$pid"; then
		ok=$((ok + 1))
	fi
done
if [ "$ok" -eq 10 ]; then
	pass "ten concurrent assigns all succeed"
else
	fail "only $ok of ten concurrent assigns succeeded"
	cat "$T"/w*.err | sed 's/^/#   /'
fi

rg audit --json --service rc
expect_json "sum(r['what'] == 'assign' for r in d['records']) == $before_assign + 10" \
	"ten audit records, one per assign"
expect_json 'sorted(r["user"] for r in d["records"] if r["what"] == "assign" and r["user"].startswith("agent")) == ["agent%d" % i for i in range(10)]' \
	"one record for each user"
rg user list --json rc
expect_json 'all(u["roles"] == ["livechat-agent"] for u in d["users"] if u["id"].startswith("agent"))' \
	"every assignment is there"
rg directory verify
expect_rc 0 "verify after concurrent writers"

# ---- SIGKILL during a large import -----------------------------------------
BIG=50000
python3 "$HERE/gen-tenant.py" --users "$BIG" --service rc -o "$T/big.json"
pass "generated $BIG users"
BDB=$(test_directory "$T/big/directory.db")
users rc --directory "$BDB"
if [ "$N" -eq 0 ]; then
	pass "before the import: 0 users"
else
	fail "before the import: $N users"
fi

"$RG" -c "$T/rolegate.conf" --directory "$BDB" import "$T/big.json" \
	>"$T/imp.out" 2>"$T/imp.err" &
importer=$!
PIDS="$PIDS $importer"
started() {
	grep -Eq '^import: [0-9]+% ' "$T/imp.err" 2>/dev/null
}
if wait_for started; then
	pass "the import is under way: $(grep -E '^import: [0-9]+%' "$T/imp.err" | tail -1)"
else
	fail "the import showed no progress"
fi
kill -9 "$importer" 2>/dev/null || true
set +e
wait "$importer" 2>/dev/null
killed=$?
set -e
if [ "$killed" -eq 137 ] && ! grep -q '^imported' "$T/imp.out"; then
	pass "killed with SIGKILL before it finished"
else
	fail "the import was not killed half-way (status $killed)"
	sed 's/^/#   /' "$T/imp.out" "$T/imp.err"
fi

rg --directory "$BDB" directory verify
expect_rc 0 "verify after the kill"
users rc --directory "$BDB"
if [ "$N" -eq 0 ]; then
	pass "after the kill: exactly as before (0 users)"
else
	fail "after the kill: $N users, expected 0"
fi

rg --directory "$BDB" import "$T/big.json"
expect_rc 0 "the same import, to the end"
expect_out "^imported $BIG users in [0-9.]+ s\$" "import: the summary"
sed 's/^/# /' "$T/out"
users rc --directory "$BDB"
if [ "$N" -eq "$BIG" ]; then
	pass "after the import: $BIG users"
else
	fail "after the import: $N users, expected $BIG"
fi
rg --directory "$BDB" check rc user00001 view-l-room
expect_rc 0 "an imported user is checked by id"
rg --directory "$BDB" directory verify
expect_rc 0 "verify after the import"

finish
