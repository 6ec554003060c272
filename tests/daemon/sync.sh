#!/bin/sh
# sync.sh - rolegated's syncs ([sync SERVICE]): POST /v1/admin/sync (dry
# run, apply, refusals, an upstream failing changing nothing), a periodic
# sync with no request at all and its /metrics, the syncs in
# GET /v1/admin/status and in rolegated -t, and bad [sync] lines refused
# with file:line.  The product is tests/cli/sync-server.py replaying
# the saved Rocket.Chat answers.
set -u
. "$(dirname "$0")/lib.sh"
RG="$top_builddir/tools/rolegate"
FIX="$top_srcdir/tests/data/sync/rocketchat"
command -v python3 >/dev/null 2>&1 || skip "python3 not found"
[ -x "$RG" ] || skip "the rolegate tool is not built"

# ---- the product, and its token ------------------------------------------
cp -R "$FIX" "$T/api"
chmod -R u+w "$T/api"
python3 "$top_srcdir/tests/cli/sync-server.py" "$T/api" secret-token-1 \
	"$T/port" &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/port" || { fail "the product stand-in starts"; finish; }
URL="http://127.0.0.1:$(cat "$T/port")"
token() {
	printf 'X-Auth-Token: %s\nX-User-Id: aK2rT9pWq3\n' "$1" >"$T/token"
	chmod 600 "$T/token"
}
token secret-token-1

# sync_config FILE [KEY = VALUE...]: the test configuration with a
# [sync rocketchat] of those keys after from and token_file.
sync_config() {
	file=$1
	shift
	write_config "$file"
	{
		echo "[sync rocketchat]"
		echo "from = $URL"
		echo "token_file = $T/token"
		for line in "$@"; do echo "$line"; done
	} >>"$file"
}

rg() {
	"$RG" -c "$T/rolegate.conf" "$@" >"$T/out" 2>&1
}
snapshot() {
	"$RG" -c "$T/rolegate.conf" export >"$T/$1.json" 2>&1
}
unchanged() {
	snapshot after
	if cmp -s "$T/before.json" "$T/after.json"; then
		pass "$1: the directory is unchanged"
	else
		fail "$1: the directory changed"
	fi
}
# expect_json PYTHON-EXPR WHAT: the expression holds of the body (d).
expect_json() {
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$T/body" 2>/dev/null; then
		pass "$2"
	else
		fail "$2"
	fi
}
# expect_metric LINE WHAT: /metrics has that exact line.
expect_metric() {
	http GET "$BASE/metrics"
	if grep -qxF -- "$1" "$T/body"; then
		pass "$2"
	else
		fail "$2: no line '$1'"
		grep '^rolegated_sync' "$T/body" | sed 's/^/#   /'
	fi
}

# ---- bad [sync] lines -----------------------------------------------------
# bad_config WHAT LINE MESSAGE: the config with LINE last in [sync
# rocketchat] is refused, naming its file and line.
bad_config() {
	sync_config "$T/bad.conf" "$2"
	n=$(wc -l <"$T/bad.conf")
	"$RGD" -c "$T/bad.conf" -t >"$T/body" 2>&1
	RC=$?
	if [ "$RC" -eq 1 ] && grep -qF "bad.conf:$n: $3" "$T/body"; then
		pass "$1: refused with file:line"
	else
		fail "$1: exit $RC, expected 1 and bad.conf:$n: $3"
	fi
}
bad_config "a bad interval" "interval = soon" \
	"interval = 'soon': expected seconds from 0 (no periodic sync) to 604800"
bad_config "an unknown key" "form = x" \
	"unknown key 'form' in [sync rocketchat]: expected from, token_file, map, interval or prune"
bad_config "a bad prune" "prune = maybe" "prune = 'maybe': expected yes or no"
bad_config "a second from" "from = $URL" "duplicate key 'from'"
write_config "$T/bad.conf"
printf '[sync rocketchat]\nfrom = http://chat.example.com\n' >>"$T/bad.conf"
n=$(wc -l <"$T/bad.conf")
"$RGD" -c "$T/bad.conf" -t >"$T/body" 2>&1
[ $? -eq 1 ] && grep -qF "bad.conf:$n: from = 'http://chat.example.com': expected an https:// URL" "$T/body" &&
	pass "plain http to another machine: refused with file:line" ||
	fail "plain http to another machine: $(cat "$T/body")"
grep -qF "bad.conf:$((n - 1)): [sync rocketchat] needs from (the product's URL) and token_file" "$T/body" &&
	pass "a sync without token_file: refused with file:line" ||
	fail "a sync without token_file"
write_config "$T/bad.conf"
printf '[sync nosuch]\nfrom = %s\ntoken_file = %s\n' "$URL" "$T/token" >>"$T/bad.conf"
n=$(wc -l <"$T/bad.conf")
"$RGD" -c "$T/bad.conf" -t >"$T/body" 2>&1
[ $? -eq 1 ] && grep -qF "bad.conf:$((n - 2)): [sync nosuch]: unknown service 'nosuch'" "$T/body" &&
	pass "a sync of an unknown service: refused with file:line" ||
	fail "a sync of an unknown service: $(cat "$T/body")"

# rolegate lint reads [sync] with rolegated's parser.
sync_config "$T/bad.conf" "interval = -1"
n=$(wc -l <"$T/bad.conf")
"$RG" -c "$T/bad.conf" lint >"$T/body" 2>&1
[ $? -eq 1 ] && grep -qF "bad.conf:$n: interval = '-1'" "$T/body" &&
	pass "rolegate lint: a bad [sync] line with file:line" ||
	fail "rolegate lint: $(cat "$T/body")"

# ---- -t lists the syncs ------------------------------------------------------
# expect_test CONF SYNC-LINE WHAT: rolegated -t on CONF prints the ok line
# and then exactly SYNC-LINE.
expect_test() {
	"$RGD" -c "$1" -t >"$T/body" 2>"$T/err"
	RC=$?
	printf '%s: ok (5 services, 8 routes)\n%s\n' "$1" "$2" >"$T/expected"
	if [ "$RC" -eq 0 ] && cmp -s "$T/expected" "$T/body"; then
		pass "$3"
	else
		fail "$3: exit $RC"
		diff "$T/expected" "$T/body" | sed 's/^/#   /'
	fi
}
sync_config "$T/rolegate.conf"
expect_test "$T/rolegate.conf" \
	"[sync rocketchat] from = $URL, token_file = $T/token, map = (none), interval = 0 (on request only), prune = no" \
	"-t: the sync's source, token file, no map, on request only"
printf '[roles]\nlivechat-agent = livechat-agent\n' >"$T/map.ini"
sync_config "$T/every.conf" "map = map.ini" "interval = 60" "prune = yes"
expect_test "$T/every.conf" \
	"[sync rocketchat] from = $URL, token_file = $T/token, map = $T/map.ini, interval = 60, prune = yes" \
	"-t: the map (absolute), the interval, prune"
grep -q 'secret-token' "$T/body" && fail "-t: the token is printed" ||
	pass "-t: the token is not printed"

# ---- POST /v1/admin/sync ----------------------------------------------------
sync_config "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }

# The status's syncs: the section, and no run yet.
SYNC_CONF='d["syncs"][0]["service"] == "rocketchat" and d["syncs"][0]["from"] == "'"$URL"'" and d["syncs"][0]["token_file"] == "'"$T/token"'" and d["syncs"][0]["map"] is None and d["syncs"][0]["interval"] == 0 and d["syncs"][0]["prune"] is False'
admin GET /v1/admin/status
expect_code 200 "status"
expect_json "len(d[\"syncs\"]) == 1 and $SYNC_CONF" \
	"status: the sync's source, token file, map, interval and prune"
expect_json '{k: d["syncs"][0][k] for k in ("runs", "failures", "last_run", "last_success", "last_ok", "last_changes")} == {"runs": 0, "failures": 0, "last_run": None, "last_success": None, "last_ok": None, "last_changes": 0}' \
	"status: no run yet"
expect_no_body 'secret-token' "status: the token is not told"

post /v1/check '{"service":"rocketchat","user":"bob","action":"view-l-room"}'
expect_body '"decision":"deny"' "before the sync: bob is unknown"

snapshot before
admin POST /v1/admin/sync '{"service":"rocketchat","dry_run":true}'
expect_code 200 "dry run"
expect_json 'd["ok"] is True and d["dry_run"] is True and d["service"] == "rocketchat"' \
	"dry run: says so"
expect_json '"+ user bob (Bob Stone)" in d["changes"] and "~ alice roles: +user +livechat-manager" in d["changes"]' \
	"dry run: the plan's lines"
expect_json 'd["kept"] == [] and d["warnings"] == []' "dry run: nothing kept"
cp "$T/body" "$T/plan.json"
unchanged "dry run"

T0=$(date +%s)
admin POST /v1/admin/sync '{"service":"rocketchat","actor":"ops"}'
expect_code 200 "apply"
expect_json 'd["dry_run"] is False and d["changes"] == json.load(open("'"$T"'/plan.json"))["changes"]' \
	"apply: the changes of the plan"
admin GET /v1/admin/status
expect_json "$SYNC_CONF" "status after a sync: the same section"
expect_json 'd["syncs"][0]["runs"] == 1 and d["syncs"][0]["failures"] == 0 and d["syncs"][0]["last_ok"] is True and d["syncs"][0]["last_changes"] == len(json.load(open("'"$T"'/plan.json"))["changes"])' \
	"status after a sync: one run, ok, the plan's changes (not the dry run)"
expect_json 'd["syncs"][0]["last_run"] == d["syncs"][0]["last_success"] and '"$T0"' <= d["syncs"][0]["last_run"] <= '"$(date +%s)" \
	"status after a sync: when it ended"
rg user show rocketchat bob
grep -q 'livechat-agent' "$T/out" && pass "apply: bob is in the directory" ||
	fail "apply: $(cat "$T/out")"
post /v1/check '{"service":"rocketchat","user":"bob","action":"view-l-room"}'
expect_decision allow OK "apply: a check of bob by id"
admin GET '/v1/admin/audit?service=rocketchat&user=bob&limit=1'
expect_body '"command":"rolegated admin: sync rocketchat"' "apply: the audit names the sync"
expect_body 'ops (via rolegated' "apply: the audit names the actor"

admin POST /v1/admin/sync '{"service":"rocketchat"}'
expect_code 200 "again"
expect_json 'd["changes"] == []' "again: nothing to change"

# ---- refusals -----------------------------------------------------------------
# refused BODY CODE MESSAGE WHAT: POST /v1/admin/sync BODY answers CODE
# with MESSAGE, and changes nothing.
refused() {
	snapshot before
	admin POST /v1/admin/sync "$1"
	expect_code "$2" "$4"
	expect_body "$3" "$4: said so"
	unchanged "$4"
}
refused '{"service":"nope"}' 404 "unknown service 'nope'" "an unknown service"
refused '{"service":"omni24"}' 400 \
	"service 'omni24' has no [sync omni24] section" "no sync configured"
refused '{"service":"rocketchat","from":"http://127.0.0.1:1"}' 400 \
	"unknown field 'from'" "a source in the request"
refused '{"service":"rocketchat","dry_run":"yes"}' 400 \
	"expected true or false" "dry_run not a boolean"

# ---- the product failing: nothing changes ---------------------------------------
rg user remove rocketchat bob
snapshot before
echo 500 >"$T/api/livechat.users.agent.offset-2.json.status"
admin POST /v1/admin/sync '{"service":"rocketchat"}'
expect_code 502 "a 500 on page 2"
expect_body 'livechat/users/agent?offset=2' "a 500 on page 2: the endpoint is named"
expect_body 'HTTP status 500' "a 500 on page 2: the status is named"
unchanged "a 500 on page 2"
rm "$T/api/livechat.users.agent.offset-2.json.status"

token wrong-token
admin POST /v1/admin/sync '{"service":"rocketchat"}'
expect_code 502 "a wrong token"
expect_body 'users.list' "a wrong token: the endpoint is named"
expect_body '401' "a wrong token: 401 is named"
expect_no_body 'wrong-token' "a wrong token: the token is not told"
unchanged "a wrong token"
token secret-token-1

# This side's files failing is not the product's: 500, nothing changed.
chmod 644 "$T/token"
admin POST /v1/admin/sync '{"service":"rocketchat"}'
expect_code 500 "a token file others may read"
expect_body 'chmod 600' "a token file others may read: says how to fix it"
unchanged "a token file others may read"
chmod 600 "$T/token"

expect_metric 'rolegated_sync_runs_total{service="rocketchat"} 5' \
	"metrics: applied syncs counted (not the dry run)"
expect_metric 'rolegated_sync_failures_total{service="rocketchat"} 3' \
	"metrics: failures counted"
expect_metric 'rolegated_sync_last_result{service="rocketchat"} 0' \
	"metrics: the last sync failed"
admin GET /v1/admin/status
expect_json 'd["syncs"][0]["runs"] == 5 and d["syncs"][0]["failures"] == 3 and d["syncs"][0]["last_ok"] is False and d["syncs"][0]["last_changes"] == 0' \
	"status after failures: as /metrics counts them"
expect_json 'd["syncs"][0]["last_success"] is not None and d["syncs"][0]["last_success"] <= d["syncs"][0]["last_run"]' \
	"status after failures: the last success kept"
expect_no_body 'wrong-token' "status after failures: no token told"
stop_rolegated

# ---- periodic ------------------------------------------------------------------
sync_config "$T/rolegate.conf" "interval = 1"
START=$(date +%s)
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts (periodic)"; finish; }
expect_metric 'rolegated_sync_runs_total{service="rocketchat"} 0' \
	"periodic: no run at start"
if wait_for 15 "$RG" -c "$T/rolegate.conf" user show rocketchat bob; then
	pass "periodic: bob synced without any request"
else
	fail "periodic: bob never came"
fi
post /v1/check '{"service":"rocketchat","user":"bob","action":"view-l-room"}'
expect_decision allow OK "periodic: a check of bob by id"
n=$(python3 -c "import json; print(sum(1 for l in json.load(open('$T/plan.json'))['changes'] if ' bob' in l or l.startswith('~ bob') or l.startswith('+ user bob')))")
grep -qF "sync rocketchat: rolegated (periodic sync): $n changes" "$T/rgd.err" &&
	pass "periodic: the run is logged with its $n changes" ||
	fail "periodic: no log line with $n changes"
expect_metric 'rolegated_sync_last_result{service="rocketchat"} 1' \
	"periodic: the last result is ok"
expect_metric 'rolegated_sync_failures_total{service="rocketchat"} 0' \
	"periodic: no failure"
last=$(sed -n 's/^rolegated_sync_last_success_timestamp_seconds{service="rocketchat"} //p' "$T/body")
[ -n "$last" ] && [ "$last" -ge "$START" ] && [ "$last" -le "$(date +%s)" ] &&
	pass "periodic: the last success is a time since start" ||
	fail "periodic: last success '$last'"
grep -q '^# TYPE rolegated_sync_runs_total counter$' "$T/body" &&
	pass "metrics: typed" || fail "metrics: no TYPE line"
grep -q 'rolegated_sync.*service="omni24"' "$T/body" &&
	fail "metrics: a service without sync is shown" ||
	pass "metrics: only services with a sync"
rg audit --user bob --limit 1
grep -q 'rolegated (periodic sync)' "$T/out" &&
	pass "periodic: the audit names the periodic sync" ||
	fail "periodic: audit $(cat "$T/out")"

# A periodic run failing: logged, counted, nothing changed, still serving.
# failures N: at least N periodic runs failed.
failures() {
	n=$(curl -s "$BASE/metrics" |
		sed -n 's/^rolegated_sync_failures_total{service="rocketchat"} //p')
	[ "${n:-0}" -ge "$1" ]
}
echo 500 >"$T/api/livechat.users.agent.offset-2.json.status"
wait_for 15 failures 1 && pass "periodic: a failing run is counted" ||
	fail "periodic: no failure counted"
# From now on every run fails: bob, removed, must stay away.
rg user remove rocketchat bob
wait_for 15 failures 3 && pass "periodic: failing runs go on" ||
	fail "periodic: failing runs stopped"
grep -q 'sync rocketchat: .*livechat/users/agent?offset=2.*HTTP status 500' "$T/rgd.err" &&
	pass "periodic: the failure is logged with the endpoint" ||
	fail "periodic: the failure is not logged"
if rg user show rocketchat bob; then
	fail "periodic: a failing run changed the directory"
else
	pass "periodic: a failing run changes nothing"
fi
expect_metric 'rolegated_sync_last_result{service="rocketchat"} 0' \
	"periodic: the last result is failed"
post /v1/check '{"service":"rocketchat","user":"alice","action":"view-l-room"}'
expect_code 200 "periodic: decisions go on"
rm "$T/api/livechat.users.agent.offset-2.json.status"

stop_rolegated
[ "$RC" -eq 0 ] && pass "periodic: stops cleanly" || fail "periodic: exit $RC"

# ---- a slow product: a reload and a stop do not wait for it ------------------
echo 30 >"$T/api/livechat.users.agent.offset-2.json.delay"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts (slow)"; finish; }
sleep 4 # the first run starts after 2 s at most, and hangs on page 2
t0=$(date +%s)
admin POST /v1/admin/reload
expect_code 200 "slow: a reload during a sync"
[ $(($(date +%s) - t0)) -lt 10 ] && pass "slow: the reload does not wait for the server" ||
	fail "slow: the reload took $(($(date +%s) - t0)) s"
# The reload returns at once; the sync on the replaced generation notices
# at libcurl's next progress call (at least once a second).
wait_for 5 grep -q 'sync rocketchat: .*livechat/users/agent?offset=2[^ ]*: cancelled (stopping or reloading)' "$T/rgd.err" &&
	pass "slow: the sync is cancelled and says so" ||
	{ fail "slow: no cancel logged"; sed 's/^/#   /' "$T/rgd.err" | tail -n 15; }
sleep 3 # the next run hangs on page 2 too
t0=$(date +%s)
stop_rolegated
[ "$RC" -eq 0 ] && [ $(($(date +%s) - t0)) -lt 10 ] &&
	pass "slow: a stop does not wait for the server" ||
	fail "slow: stop exit $RC after $(($(date +%s) - t0)) s"
rm "$T/api/livechat.users.agent.offset-2.json.delay"

finish
