#!/bin/sh
# outage.sh - PostgreSQL stopped, then killed, under load: three replicas
# answer every check from their snapshots meanwhile, /readyz says 503 once
# a snapshot is older than directory_max_age and 200 again once the server
# is back, and a change made right after each restart reaches them all
# (caught up by the change counter when its announcement came before they
# listened again).  A replica started while the server is down has no
# snapshot: not ready, and it denies by user id (fail closed) until its
# first read.
set -u
. "$(dirname "$0")/lib.sh"
need wrk

MAX_AGE=2

pg_start main || { fail "a PostgreSQL server starts"; finish; }
pass "a PostgreSQL server starts"
pg_location main outage || { fail "a directory schema"; finish; }
for n in 1 2 3 4; do
	replica_config "$T/r$n.conf" "$LOCATION" "directory_max_age = $MAX_AGE"
done
add_users "$T/r1.conf" || finish
for n in 1 2 3; do
	start_replica "$n" "$T/r$n.conf" || { fail "replica $n starts"; finish; }
done
for n in 1 2 3; do
	wait_ready 10 "$n" 200 && [ "$(decision_on "$n" olga)" = allow ] &&
		pass "replica $n: ready, olga allowed" ||
		fail "replica $n: $(ready_on "$n"), olga $(decision_on "$n" olga)"
done

write_load_script
for n in 1 2 3; do start_load "$n"; done
sleep 1

# ---- Stopped (fast shutdown) ----
t0=$(ms)
pg stop "$PGD/main" && pass "PostgreSQL stopped under load" ||
	fail "PostgreSQL stopped under load"
for n in 1 2 3; do
	if wait_ready $((MAX_AGE + 8)) "$n" 503; then
		http GET "http://127.0.0.1:$(port_of "$n")/readyz"
		expect_body "not ready: the directory snapshot is" \
			"replica $n: /readyz 503 once the snapshot is over $MAX_AGE s old"
		expect_body "(limit $MAX_AGE s): the directory cannot be reached" \
			"replica $n: /readyz says the limit and why"
	else
		fail "replica $n: /readyz 503 while PostgreSQL is stopped: $(ready_on "$n")"
	fi
done
echo "# all three unready $(($(ms) - t0)) ms after the stop began"
http GET "http://127.0.0.1:$PORT_1/metrics"
expect_body 'rolegated_ready 0' "metrics: not ready"
age=$(sed -n 's/^rolegated_directory_age_seconds \([0-9.]*\)$/\1/p' "$T/body")
if [ -n "$age" ] && awk -v a="$age" -v m="$MAX_AGE" 'BEGIN { exit !(a > m) }'; then
	pass "metrics: the snapshot's age ($age s) is over $MAX_AGE s"
else
	fail "metrics: the snapshot's age: '$age'"
fi
grep -q 'warning: directory .* cannot be reached: checks answer from the last snapshot' \
	"$T/r1.err" && pass "the replica logs that the directory cannot be reached" ||
	fail "the replica logs that the directory cannot be reached"

# A replica that starts now has nothing to answer from.
start_replica 4 "$T/r4.conf" || fail "replica 4 starts while PostgreSQL is stopped"
if wait_ready 10 4 503; then
	http GET "http://127.0.0.1:$PORT_4/readyz"
	expect_body "not ready: the directory has not been read yet" \
		"replica 4 (started during the outage): not ready"
else
	fail "replica 4 (started during the outage): $(ready_on 4)"
fi
[ "$(decision_on 4 olga)" = deny ] &&
	pass "replica 4 denies by user id before its first read" ||
	fail "replica 4 before its first read: olga $(decision_on 4 olga)"

# ---- Back, and a change at once ----
pg_start main && pass "PostgreSQL restarted" || fail "PostgreSQL restarted"
echo "# PostgreSQL was down $(($(ms) - t0)) ms"
t0=$(ms)
rg "$T/r1.conf" assign omni24 ben agent || fail "a change after the restart: $(cat "$T/rg.out")"
change_seen "the change made after the restart" ben allow 1 2 3 4
for n in 1 2 3 4; do
	wait_ready 10 "$n" 200 && pass "replica $n: ready again" ||
		fail "replica $n: ready again: $(ready_on "$n")"
done
echo "# all four caught up and ready $(($(ms) - t0)) ms after the restart"
[ "$(decision_on 4 olga)" = allow ] &&
	pass "replica 4 allows olga once it read the directory" ||
	fail "replica 4 after its first read: olga $(decision_on 4 olga)"
grep -q 'notice: directory .* reached again: catching up' "$T/r1.err" &&
	pass "the replica logs that the directory is reached again" ||
	fail "the replica logs that the directory is reached again"

# ---- Killed (a crash: SIGKILL to every server process) ----
pg kill "$PGD/main" && pass "PostgreSQL killed under load" ||
	fail "PostgreSQL killed under load"
sleep 1
pg_start main && pass "PostgreSQL restarted after the crash" ||
	fail "PostgreSQL restarted after the crash"
t0=$(ms)
rg "$T/r1.conf" unassign omni24 ben agent || fail "a change after the crash: $(cat "$T/rg.out")"
change_seen "the change made after the crash" ben deny 1 2 3 4

echo "# all four caught up $(($(ms) - t0)) ms after the restart"
for n in 1 2 3; do stop_load "$n" "through both outages"; done
stop_replicas 1 2 3 4
finish
