#!/bin/sh
# standby.sh - fail-over under load: a rolegated whose location names a
# primary and its streaming standby (libpq's multi-host list with
# target_session_attrs=read-write) keeps answering every check while the
# primary is killed (SIGKILL) and the standby promoted, and afterwards
# sees a change made on the new primary.
set -u
. "$(dirname "$0")/lib.sh"
need wrk

pg_start primary && pass "a primary starts" || { fail "a primary starts"; finish; }
pg_location primary failover || { fail "a directory schema"; finish; }
USER_PART=$(echo "$LOCATION" | sed -n "s/.* \(user=[^ ]*\) .*/\1/p")
SCHEMA_PART=$(echo "$LOCATION" | sed -n "s/.* \(options=.*\)$/\1/p")
SINGLE=$LOCATION
replica_config "$T/single.conf" "$SINGLE"
# The directory's tables, then the standby copies them.
add_users "$T/single.conf" || finish
pg_standby standby primary && pass "a streaming standby starts" ||
	{ fail "a streaming standby starts"; finish; }

BOTH="host=$PGD/primary,$PGD/standby port=$(pg_port primary),$(pg_port standby) $USER_PART dbname=rolegate target_session_attrs=read-write $SCHEMA_PART"
replica_config "$T/r1.conf" "$BOTH" "directory_max_age = 2"
start_replica 1 "$T/r1.conf" || { fail "rolegated starts on both servers"; finish; }
wait_ready 10 1 200 && [ "$(decision_on 1 olga)" = allow ] &&
	pass "rolegated on both servers: ready, olga allowed" ||
	fail "rolegated on both servers: $(ready_on 1), olga $(decision_on 1 olga)"

write_load_script
start_load 1
sleep 1

t0=$(ms)
pg kill "$PGD/primary" && pass "the primary killed (SIGKILL) under load" ||
	fail "the primary killed under load"
sleep 1
pg promote "$PGD/standby" && pass "the standby promoted" ||
	fail "the standby promoted"
t1=$(ms)
rg "$T/r1.conf" assign omni24 ben agent &&
	pass "a change on the new primary, through the same location" ||
	fail "a change on the new primary: $(cat "$T/rg.out")"
t2=$(ms)
change_seen "the change made on the new primary" ben allow 1
echo "# kill to promoted $((t1 - t0)) ms (1 s of it on purpose), the change" \
	"$((t2 - t1)) ms, seen $(($(ms) - t2)) ms after it returned"
wait_ready 10 1 200 && pass "rolegated is ready on the new primary" ||
	fail "rolegated is ready on the new primary: $(ready_on 1)"
grep -q 'notice: directory .* reached again: catching up' "$T/r1.err" &&
	pass "rolegated logs that it reached the directory again" ||
	fail "rolegated logs that it reached the directory again"

stop_load 1 "through the fail-over"
stop_replicas 1
finish
