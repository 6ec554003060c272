#!/bin/sh
# files.sh - the files rolegate reads and writes that are not what they
# should be: a FIFO, a device, a directory or a huge file as a
# configuration, policy, tenant, import file or directory database is
# refused at once, naming the file and what it is.  Every command runs
# under timeout, so that a hang fails instead of stopping the suite.
set -eu
. "$(dirname "$0")/lib.sh"

command -v mkfifo >/dev/null 2>&1 || { echo "# SKIP: mkfifo not found"; exit 77; }
command -v timeout >/dev/null 2>&1 || { echo "# SKIP: timeout not found"; exit 77; }
[ -f "$ROLEGATE_TEST_PLUGINS/rocketchat.so" ] ||
	{ echo "# SKIP: the rocketchat plugin is not built"; exit 77; }
unset ROLEGATE_DIRECTORY

# Policies through a short link: configuration lines have a length limit.
ln -s "${ROLEGATE_POLICIES:-${top_srcdir:-$top_builddir}/policies}" "$T/policies"

# trun ARG...: run, but at most 10 seconds (exit 124 when it hung).
trun() {
	set +e
	timeout -k 5 10 "$RG" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	set -e
}

# refused WHAT: the command failed without hanging.
refused() {
	if [ "$RC" -ne 0 ] && [ "$RC" -lt 124 ]; then
		pass "$1: refused (exit $RC)"
	else
		fail "$1: exit $RC (124 or more: it hung)"
	fi
}

# said REGEX WHAT: stdout or stderr says it.
said() {
	if cat "$T/out" "$T/err" | grep -Eq -- "$1"; then
		pass "$2"
	else
		fail "$2: nothing matches /$1/"
	fi
}

write_config
mkfifo "$T/fifo"

# ---- The configuration -------------------------------------------------------
trun -c "$T/fifo" lint
refused "lint: a FIFO as the configuration"
said "$T/fifo: cannot read: is a FIFO" "the FIFO configuration is named"
trun -c "$T/fifo" check desk @agent ticket.view
refused "check: a FIFO as the configuration"

trun -c /dev/zero lint
refused "lint: /dev/zero as the configuration"
said '/dev/zero: cannot read: is a character device' "/dev/zero is named"

trun -c "$T" lint
refused "lint: a directory as the configuration"
said "is a directory" "the directory is named"

# 64 MiB is the most a configuration, policy or tenant file may have.
cp "$T/rolegate.conf" "$T/big.conf"
truncate -s 65M "$T/big.conf"
trun -c "$T/big.conf" lint
refused "lint: a configuration above the size limit"
said 'big\.conf: cannot read: is too large' "the size limit is named"

# ---- A policy ------------------------------------------------------------------
cat >"$T/fifo-policy.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required rbac policy=fifo
CONF
trun -c "$T/fifo-policy.conf" lint
refused "lint: a FIFO as a policy"
said "fifo-policy\.conf:4: .*cannot read policy $T/fifo: is a FIFO" \
	"the FIFO policy is named at its stack line"
trun -c "$T/fifo-policy.conf" check desk @agent ticket.view
refused "check: a FIFO as a policy denies"
said '^deny' "check: the answer is deny"

cat >"$T/zero-policy.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service desk]
stack = required rbac policy=/dev/zero
CONF
trun -c "$T/zero-policy.conf" lint
refused "lint: /dev/zero as a policy"
said 'cannot read policy /dev/zero: is a character device' "/dev/zero policy is named"

# ---- A tenant file -------------------------------------------------------------
cat >"$T/fifo-tenant.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
[service rc]
stack = required rocketchat policy=policies/rocketchat.ini edition=enterprise tenant=fifo
CONF
trun -c "$T/fifo-tenant.conf" lint
refused "lint: a FIFO as a tenant file"
said "cannot read $T/fifo: is a FIFO" "the FIFO tenant file is named"

# ---- Import and the directory database --------------------------------------------
cat >"$T/dir.conf" <<CONF
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
directory = $T/state/directory.db
[service desk]
stack = required rbac policy=desk.ini
CONF
run -c "$T/dir.conf" user add desk alice
expect_rc 0 "a directory user"
trun -c "$T/dir.conf" import "$T/fifo"
refused "import: a FIFO"
said "cannot read $T/fifo: is a FIFO" "the FIFO import file is named"
trun -c "$T/dir.conf" import /dev/zero
refused "import: /dev/zero"
said 'cannot read /dev/zero: is a character device' "/dev/zero import is named"
trun -c "$T/dir.conf" import "$T"
refused "import: a directory"
said "cannot read $T: is a directory" "the import directory is named"

trun -c "$T/dir.conf" --directory "$T/fifo" user list desk
refused "user list: a FIFO as the directory database"
said "$T/fifo.*is a FIFO" "the FIFO database is named"
trun -c "$T/dir.conf" --directory "$T/fifo" user add desk bob
refused "user add: a FIFO as the directory database"
[ -p "$T/fifo" ] && pass "the FIFO is still a FIFO" || fail "the FIFO is still a FIFO"
trun -c "$T/dir.conf" --directory /dev/zero user add desk bob
refused "user add: /dev/zero as the directory database"
said 'is a character device' "the device database is named"

# ---- export -o: only a regular file is replaced ------------------------------------
run -c "$T/dir.conf" export
cp "$T/out" "$T/stdout.json"
run -c "$T/dir.conf" export -o /dev/null
expect_rc 2 "export -o /dev/null"
expect_err 'cannot write /dev/null: it is a character device' "a device target is named"
[ -c /dev/null ] && pass "/dev/null is still a device" || fail "/dev/null is still a device"
ln -s "$T/elsewhere.json" "$T/link.json"
run -c "$T/dir.conf" export -o "$T/link.json"
expect_rc 2 "export -o a symbolic link"
expect_err 'it is a symbolic link' "a link target is named"
[ -L "$T/link.json" ] && [ ! -e "$T/elsewhere.json" ] &&
	pass "the link and its target are untouched" ||
	fail "the link and its target are untouched"
run -c "$T/dir.conf" export -o "$T/fifo"
expect_rc 2 "export -o a FIFO"
[ -p "$T/fifo" ] && pass "the FIFO stays a FIFO" || fail "the FIFO stays a FIFO"

# The export gets the database's mode, its content is the export's.
umask 022
run -c "$T/dir.conf" export -o "$T/backup.json"
expect_rc 0 "export -o a new file"
mode() { stat -c %a "$1"; }
[ "$(mode "$T/backup.json")" = "$(mode "$T/state/directory.db")" ] &&
	pass "the export has the database's mode ($(mode "$T/backup.json"))" ||
	fail "export mode $(mode "$T/backup.json"), database $(mode "$T/state/directory.db")"
cmp -s "$T/backup.json" "$T/stdout.json" && pass "the file holds the export" ||
	fail "the file holds the export"
chmod 600 "$T/state/directory.db"
echo old >"$T/backup.json"
chmod 644 "$T/backup.json"
run -c "$T/dir.conf" export -o "$T/backup.json"
expect_rc 0 "export -o over an existing export"
[ "$(mode "$T/backup.json")" = 600 ] && pass "a replaced export follows the database (600)" ||
	fail "a replaced export has mode $(mode "$T/backup.json"), expected 600"
cmp -s "$T/backup.json" "$T/stdout.json" && pass "the replaced file holds the export" ||
	fail "the replaced file holds the export"
if ls -A "$T" | grep -q 'export\.'; then
	fail "no temporary file is left"
else
	pass "no temporary file is left"
fi

# ---- A database without the schema is no directory -----------------------------------
# An emptied database must not verify, nor be given a new empty schema
# (every user would vanish): every command refuses it, leaving it as it is.
DB="$T/state/directory.db"
run -c "$T/dir.conf" directory verify
expect_rc 0 "verify a sound directory"
: >"$DB"
rm -f "$DB-wal" "$DB-shm"
for cmd in "directory verify" "user list desk" "user add desk carol" "export"; do
	# shellcheck disable=SC2086
	run -c "$T/dir.conf" $cmd
	if [ "$RC" -ne 0 ]; then pass "$cmd: an empty database fails (exit $RC)"; else
		fail "$cmd: an empty database passes"; fi
	expect_err "$DB is not a rolegate directory \(no schema\): empty file\?" \
		"$cmd: says the database has no schema"
	[ ! -s "$DB" ] && pass "$cmd: the empty file stays empty" ||
		fail "$cmd: the empty file was written"
done
run -c "$T/dir.conf" check desk alice ticket.view
[ "$RC" -ne 0 ] && pass "check a user of an empty database fails (exit $RC)" ||
	fail "check a user of an empty database passes"
expect_out '^deny' "check: the answer is deny"
expect_err "$DB is not a rolegate directory \(no schema\)" "check: says why"

if command -v sqlite3 >/dev/null 2>&1; then
	rm -f "$DB"
	sqlite3 "$DB" 'create table t(a)'
	cp "$DB" "$T/foreign.db"
	for cmd in "directory verify" "user add desk carol"; do
		# shellcheck disable=SC2086
		run -c "$T/dir.conf" $cmd
		if [ "$RC" -ne 0 ]; then pass "$cmd: a foreign database fails"; else
			fail "$cmd: a foreign database passes"; fi
		expect_err 'is not a rolegate directory \(no schema\): a database of another application' \
			"$cmd: says it is another application's"
	done
	cmp -s "$DB" "$T/foreign.db" && pass "the foreign database is unchanged" ||
		fail "the foreign database is unchanged"
else
	echo "ok - a foreign database # SKIP sqlite3 not found"
fi

# A directory that does not exist yet is still created by its first change.
rm -f "$DB" "$DB-wal" "$DB-shm"
run -c "$T/dir.conf" user add desk dave
expect_rc 0 "a missing database is created by the first change"
run -c "$T/dir.conf" directory verify
expect_rc 0 "and verifies"

finish
