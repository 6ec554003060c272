#!/bin/bash
# run-scaleout.sh - `make bench`'s scale-out section: the same tenant in a
# PostgreSQL directory beside the SQLite one.
#
#   bench/run-scaleout.sh WORK CONFIG PLUGINDIR TENANTDIR SQLITEDB
#
# Starts a throw-away PostgreSQL (tests/pg/pgserver.sh, in WORK/pg), then:
#   - imports TENANTDIR's directory files into a fresh schema, one
#     transaction (the SQLite import time is the in-process section's);
#   - opens CONFIG on each directory (start-up: open and snapshot load);
#   - runs the tenant's requests on one thread on each: the rates must be
#     the same, as a check never reads the database;
#   - bench/propagation.py: three rolegated on the PostgreSQL directory,
#     50 changes made through the first replica's admin API, the time
#     until each replica answers the new decision (p50, p99).
# Every figure is a RESULT line on standard output (tags s.*).  Needs the
# PostgreSQL server programs (Debian's postgresql): without them it says
# so and exits 0.  BENCH_CHECKS and BENCH_REPEATS as bench/run.sh's.
set -u
work=$1
conf=$2
plugins=$3
tenant=$4
sqlite_db=$5
srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
check=$builddir/bench/bench_check
checks=${BENCH_CHECKS:-1000000}
repeats=${BENCH_REPEATS:-5}
changes=${BENCH_PROPAGATION_CHANGES:-50}
STARTUP_RUNS=3
pgserver=$srcdir/tests/pg/pgserver.sh

if ! sh "$pgserver" bindir >/dev/null 2>&1; then
	echo "no PostgreSQL server programs: the scale-out section is skipped"
	exit 0
fi
pg=$work/pg
rm -rf "$pg"
mkdir -p "$pg"
sh "$pgserver" start "$pg" >/dev/null || exit 1
trap 'sh "$pgserver" stop "$pg" >/dev/null 2>&1' EXIT
loc=$(sh "$pgserver" schema "$pg" bench) || exit 1
# "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)": the version.
echo "RESULT s.pg.server $("$(sh "$pgserver" bindir)/postgres" --version |
	sed 's/^[^)]*) *\([^ ]*\).*/\1/')"

"$check" import -c "$conf" -p "$plugins" -d "$loc" -T s.pg \
	"$tenant"/directory-*.json || exit 1

for i in $(seq "$STARTUP_RUNS"); do
	"$check" startup -p "$plugins" -c "$conf" -d "$loc" -T "s.pg.startup.run$i"
	"$check" startup -p "$plugins" -c "$conf" -d "$sqlite_db" \
		-T "s.sqlite.startup.run$i"
done

for d in pg sqlite; do
	if [ "$d" = pg ]; then db=$loc; else db=$sqlite_db; fi
	"$check" run -p "$plugins" -c "$conf" -d "$db" \
		-r "$tenant/requests.tsv" -n "$checks" -t 1 -R "$repeats" \
		-T "s.$d"
done

python3 "$srcdir/bench/propagation.py" \
	--rolegate "$builddir/tools/rolegate" \
	--rolegated "$builddir/tools/rolegated/rolegated" \
	--config "$conf" --plugins "$plugins" --directory "$loc" \
	--work "$work/propagation" --changes "$changes" --tag s.prop
