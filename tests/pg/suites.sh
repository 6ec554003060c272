#!/bin/sh
# suites.sh - the directory suites against a real PostgreSQL server.
#
# Starts one server (tests/pg/pgserver.sh) in a temporary directory, runs
# each suite below with ROLEGATE_TEST_PG naming it, so that every test
# directory is a fresh schema of that server instead of a SQLite file, and
# stops the server on the way out.  One line per suite:
# "ok - cli/verbs.sh against PostgreSQL", its output indented below when it
# fails.  Skipped (77) only when PostgreSQL's server programs are not
# installed.  A suite that skips itself (77) is said so.
#
# Usage: suites.sh [LIST].  LIST is a file of suite names (as below; # starts
# a comment), one of tests/pg/*.pgsuite, which make check runs side by side;
# without it, every suite below.  When PG_SUITES is set, only the suites
# also named in it run.
#
# Not in the list: cli/files.sh and cli/migrate.sh, whose directory cases
# are all about the SQLite file (a FIFO or a device as the database, the
# export's mode, an emptied or foreign file, a version 1 file migrated).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# What make check sets (tests/Makemodule.am), for a run by hand.
: "${ROLEGATE_TEST_PLUGINS:=$top_builddir/plugins/.libs}"
: "${ROLEGATE_TEST_TESTPLUGINS:=$top_builddir/tests/fakes/.libs}"
: "${ROLEGATE_POLICIES:=$top_srcdir/policies}"
: "${CK_DEFAULT_TIMEOUT:=300}"
export top_srcdir top_builddir ROLEGATE_TEST_PLUGINS ROLEGATE_TEST_TESTPLUGINS \
	ROLEGATE_POLICIES CK_DEFAULT_TIMEOUT

ALL_SUITES="cli/verbs.sh cli/vocab.sh cli/seeds-directory.sh cli/directory.sh
cli/teams.sh cli/undo.sh cli/sync.sh cli/sync-dataverse.sh cli/faults.sh
check_directory check_products_directory"
if [ $# -gt 0 ]; then
	LIST=$(sed 's/#.*//' "$1") || exit 1
else
	LIST=$ALL_SUITES
fi
# only_wanted: the names of LIST that PG_SUITES (when set) names too.
only_wanted() {
	wanted=" $(printf '%s' "${PG_SUITES-$LIST}" | tr '\n\t' '  ') "
	for s in $LIST; do
		case "$wanted" in
		*" $s "*) echo "$s" ;;
		esac
	done
}
LIST=$(only_wanted)
if [ -z "$LIST" ]; then
	echo "1..0 # SKIP PG_SUITES names none of ${1:-the suites}"
	exit 77
fi

PGS="$top_srcdir/tests/pg/pgserver.sh"
if ! sh "$PGS" bindir >/dev/null; then
	echo "1..0 # SKIP PostgreSQL's server programs are not installed"
	exit 77
fi

# Short: the server's socket is in it, and a socket's path is short.
D=$(mktemp -d "${TMPDIR:-/tmp}/rg-pg.XXXXXX") || exit 1
# Run as root, the server runs as nobody, who must reach its folder.
chmod 711 "$D"
trap 'sh "$PGS" stop "$D/server"; rm -rf "$D"' EXIT
trap 'exit 1' HUP INT TERM

if ! sh "$PGS" start "$D/server" >"$D/start.out" 2>&1; then
	echo "not ok - a PostgreSQL server starts"
	sed 's/^/#   /' "$D/start.out"
	exit 1
fi
echo "ok - a PostgreSQL server starts ($(grep '^PG_BINDIR=' "$D/server/env"))"
ROLEGATE_TEST_PG="$D/server"
export ROLEGATE_TEST_PG

# tables: the number of tables in the test schemas of the server.  A suite
# that ran against PostgreSQL made some: a store that took the location
# for a SQLite path did not.
tables() {
	(
		# shellcheck disable=SC1091
		. "$ROLEGATE_TEST_PG/env"
		"$PG_BINDIR/psql" -X -A -t -q -h "$PGHOST" -p "$PGPORT" \
			-U "$PGUSER" -d "$PGDATABASE" -c "SELECT count(*) FROM
			pg_tables WHERE schemaname LIKE 't\_%'"
	)
}

# The path of a suite: a script of the source tree or a built program.
suite_path() {
	case "$1" in
	*.sh) echo "$top_srcdir/tests/$1" ;;
	*) echo "$top_builddir/tests/$1" ;;
	esac
}

failed=0
n=0
for s in $LIST; do
	n=$((n + 1))
	path=$(suite_path "$s")
	if [ ! -e "$path" ]; then
		echo "ok - $s against PostgreSQL # SKIP not built"
		continue
	fi
	case "$s" in
	*.sh) set -- sh "$path" ;;
	*) set -- "$path" ;;
	esac
	# In a folder of its own: what a suite leaves in its working folder
	# (a location taken for a relative path, say) stays out of the tree.
	rm -rf "$D/run"
	mkdir "$D/run"
	before=$(tables)
	(cd "$D/run" && "$@") >"$D/out" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && [ "$(tables)" = "$before" ]; then
		echo "# $s: no table was made in PostgreSQL" >>"$D/out"
		rc=99
	fi
	case $rc in
	0) echo "ok - $s against PostgreSQL" ;;
	77)
		echo "ok - $s against PostgreSQL # SKIP $(grep -m1 SKIP "$D/out" |
			sed 's/^# SKIP:* *//')"
		continue
		;;
	*)
		failed=$((failed + 1))
		echo "not ok - $s against PostgreSQL (exit $rc)"
		grep -E '^not ok|:[EF]:|Checks|no table was made' "$D/out" |
			head -n 40 |
			sed 's/^/#   /'
		;;
	esac
	# The cases that are about the SQLite file, not run here.
	grep -E '# SKIP' "$D/out" | sed 's/^/#   /'
done
echo "# $((n - failed)) of $n suites passed against PostgreSQL"
[ "$failed" -eq 0 ]
