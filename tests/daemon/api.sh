#!/bin/sh
# api.sh - rolegated's JSON API: POST /v1/check and /v1/checks for each
# product, explanations, decision ids, the probes, and every kind of
# malformed input.
set -u
. "$(dirname "$0")/lib.sh"

write_config "$T/rolegate.conf" 2021 "max_body = 4k" "max_batch = 5"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
pass "rolegated starts on port $PORT"

# ---- Decisions of each product ----
post /v1/check '{"service":"dynamics365","roles":["basic-user","omnichannel-agent"],"action":"queue.view"}'
expect_decision allow OK "dynamics365 agent views queues"
expect_body '"role":"omnichannel-agent"' "the granting role is named"

post /v1/check '{"service":"dynamics365","roles":"omnichannel-agent","action":"queue.view"}'
expect_decision deny OK "an agent without basic-user"
expect_body 'basic-user' "the deny names the missing prerequisite"

post /v1/check '{"service":"dynamics365","roles":"basic-user,omnichannel-supervisor","action":"user.view","attributes":{"bu":"emea"},"subject_attributes":{"bu":"support"}}'
expect_decision deny OK "a supervisor outside her business unit"

post /v1/check '{"service":"dynamics365","roles":"basic-user,omnichannel-supervisor","action":"user.view","attributes":{"bu":"support"},"subject_attributes":{"bu":"support"}}'
expect_decision allow OK "a supervisor inside her business unit"

post /v1/check '{"service":"rocketchat","roles":["livechat-monitor"],"action":"view-livechat-analytics","attributes":{"department":"sales"},"subject_attributes":{"units":"emea"}}'
expect_decision allow OK "rocketchat monitor of the department's unit"

post /v1/check '{"service":"rocketchat","roles":["livechat-monitor"],"action":"view-livechat-analytics","attributes":{"department":"sales"},"subject_attributes":{"units":"americas"}}'
expect_decision deny OK "rocketchat monitor of another unit"

post /v1/check '{"service":"rocketchat-community","roles":"livechat-monitor","action":"view-livechat-analytics"}'
expect_decision deny ENOROLE "no monitors in the Community edition"

post /v1/check '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_decision allow OK "omni24 agent handles chats"

post /v1/check '{"service":"omni24","roles":"agent","action":"billing.manage"}'
expect_decision deny OK "omni24 agent does not manage billing"

post /v1/check '{"service":"omni24","roles":"","action":"chat.handle"}'
expect_decision deny OK "a subject without roles"

# ---- Errors of the question are decisions: 200 and deny ----
post /v1/check '{"service":"nosuch","roles":"agent","action":"chat.handle"}'
expect_decision deny ENOSERVICE "unknown service"
expect_body '"error":"unknown service"' "unknown service: error named"

post /v1/check '{"service":"omni24","roles":"wizard","action":"chat.handle"}'
expect_decision deny ENOROLE "unknown role"

post /v1/check '{"service":"omni24","roles":"agent","action":"chat.fly"}'
expect_decision deny ENOACTION "unknown action"

post /v1/check '{"service":"omni24","user":"nobody","action":"chat.handle"}'
expect_decision deny ENOUSER "unknown user"

# ---- Explanations ----
post '/v1/check?explain=1' '{"service":"dynamics365","roles":["basic-user","omnichannel-administrator"],"action":"workspace.access"}'
expect_decision deny OK "the workspace question"
expect_body '"trace":[{"plugin":"dynamics365"' "explain adds the trace"
expect_body '["app-profile-user"]' "explain suggests app-profile-user"

post '/v1/check?explain=1' '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_decision allow OK "explained allow"
expect_body '"suggestions":[]' "an allow has no suggestions"

post '/v1/check?explain=0' '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_no_body '"trace"' "explain=0: no trace"

post '/v1/check?explain=yes' '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_code 400 "explain=yes is refused"
expect_body 'explain' "explain=yes: message names explain"

# ---- Batches ----
post /v1/checks '[{"service":"omni24","roles":"agent","action":"chat.handle"},{"service":"omni24","roles":"agent","action":"billing.manage"},{"service":"rocketchat","roles":"livechat-manager","action":"manage-livechat-units"}]'
expect_code 200 "a batch"
if tr ',' '\n' <"$T/body" | grep -o '"decision":"[a-z]*"' | tr '\n' ' ' |
	grep -q '"decision":"allow" "decision":"deny" "decision":"allow"'; then
	pass "batch answers in order"
else
	fail "batch answers in order"
fi
ids=$(grep -Eo '"decision_id":"[0-9a-f]{16}"' "$T/body" | sort -u | wc -l)
[ "$ids" -eq 3 ] && pass "each batch answer has its own id" ||
	fail "each batch answer has its own id ($ids)"

post /v1/checks '{"checks":[{"service":"omni24","roles":"agent","action":"chat.handle"}]}'
expect_code 200 "a batch as {\"checks\": [...]}"
expect_body '"results":[{' "batch results"

post '/v1/checks?explain=1' '[{"service":"omni24","roles":"agent","action":"billing.manage"}]'
expect_body '"suggestions":[["account-owner"]]' "batch with explanations"

post /v1/checks '[{"service":"omni24","roles":"agent","action":"chat.handle"},{"service":"omni24","roles":"agent"}]'
expect_code 400 "a batch with a bad item"
expect_body 'checks[1]: missing field' "the bad item is named by index"

post /v1/checks '[]'
expect_code 400 "an empty batch"
post /v1/checks '{"checks":[],"more":1}'
expect_code 400 "a batch object with other members"
post /v1/checks '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_code 400 "a single check sent to /v1/checks"
item='{"service":"omni24","roles":"agent","action":"chat.handle"}'
post /v1/checks "[$item,$item,$item,$item,$item,$item]"
expect_code 413 "a batch over max_batch"
expect_body 'at most 5' "the batch limit is named"

# ---- Decision ids are unique ----
: >"$T/ids"
i=0
while [ "$i" -lt 20 ]; do
	post /v1/check '{"service":"omni24","roles":"agent","action":"chat.handle"}'
	grep -Eo '"decision_id":"[0-9a-f]{16}"' "$T/body" >>"$T/ids"
	i=$((i + 1))
done
n=$(sort -u "$T/ids" | wc -l)
[ "$n" -eq 20 ] && pass "20 answers, 20 distinct decision ids" ||
	fail "20 answers, $n distinct decision ids"

# ---- Malformed input: 400 naming the problem ----
bad() {
	post /v1/check "$1"
	expect_code 400 "$2"
	expect_body "$3" "$2: message says '$3'"
}
bad '{"service":"omni24",' "truncated JSON" 'invalid JSON at line 1, column'
bad '{"service": omni24}' "not JSON" 'invalid JSON at line 1'
bad '{
"service": "omni24",
"roles": "agent",,
}' "a syntax error on line 3" 'line 3'
bad '"just a string"' "a JSON string" 'invalid JSON'
bad '[{"service":"omni24","roles":"agent","action":"chat.handle"}]' "an array" 'expected a JSON object'
bad '42' "a number" 'invalid JSON'
bad '{"roles":"agent","action":"chat.handle"}' "no service" "missing field 'service'"
bad '{"service":"omni24","roles":"agent"}' "no action" "missing field 'action'"
bad '{"service":"omni24","action":"chat.handle"}' "no subject" "missing field 'user' or 'roles'"
bad '{"service":"omni24","user":"a","roles":"agent","action":"chat.handle"}' "user and roles" "not both"
bad '{"service":7,"roles":"agent","action":"chat.handle"}' "a numeric service" "field 'service': expected a string"
bad '{"service":"","roles":"agent","action":"chat.handle"}' "an empty service" "field 'service' is empty"
bad '{"service":"omni24","roles":"agent","action":null}' "a null action" "field 'action': expected a string"
bad '{"service":"omni24","user":["a"],"action":"chat.handle"}' "a user array" "field 'user': expected a string"
bad '{"service":"omni24","roles":5,"action":"chat.handle"}' "numeric roles" "field 'roles'"
bad '{"service":"omni24","roles":["agent",5],"action":"chat.handle"}' "a numeric role" 'roles[1]'
bad '{"service":"omni24","roles":["a,b"],"action":"chat.handle"}' "a role with a comma" 'roles[0]'
bad '{"service":"omni24","roles":"agent","action":"chat.handle","attributes":"bu=x"}' "attributes as a string" "field 'attributes': expected an object"
bad '{"service":"omni24","roles":"agent","action":"chat.handle","attributes":{"bu":1}}' "a numeric attribute" 'attributes.bu: expected a string'
bad '{"service":"omni24","roles":"agent","action":"chat.handle","attributes":{"bu":["x"]}}' "an array attribute" 'attributes.bu: expected a string'
bad '{"service":"omni24","user":"u","action":"chat.handle","subject_attributes":{"bu":"x"}}' "subject attributes for a user" 'ad-hoc subject'
bad '{"service":"omni24","roles":"agent","action":"chat.handle","subject":"x"}' "an unknown field" "unknown field 'subject'"
bad '{"service":"omni24","service":"x","roles":"agent","action":"chat.handle"}' "a duplicate key" 'duplicate'
bad '' "an empty body" 'empty body'

# ---- Limits, methods, endpoints ----
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
post /v1/check "{\"service\":\"$big\"}"
expect_code 413 "a body over max_body"
expect_body 'at most 4096 bytes' "the body limit is named"
post /v1/check "{\"service\":\"$big\"}" -H 'Transfer-Encoding: chunked'
expect_code 413 "a chunked body over max_body"

http GET "$BASE/v1/check"
expect_code 405 "GET /v1/check"
expect_header '^Allow: POST' "405 names the allowed method"
http PUT "$BASE/v1/checks" --data-binary '[]'
expect_code 405 "PUT /v1/checks"
http POST "$BASE/healthz"
expect_code 405 "POST /healthz"
http GET "$BASE/v1/nothing"
expect_code 404 "an unknown endpoint"
http GET "$BASE/v1/check/extra"
expect_code 404 "a path under /v1/check"
long=$(head -c 40000 /dev/zero | tr '\0' 'h')
http GET "$BASE/healthz" -H "X-Long: $long"
case "$CODE" in
413 | 431) pass "a header over max_header: $CODE" ;;
*) fail "a header over max_header: status $CODE" ;;
esac

# ---- Probes and metrics ----
http GET "$BASE/healthz"
expect_code 200 "healthz"
http GET "$BASE/readyz"
expect_code 200 "readyz once loaded"
expect_body 'ready' "readyz says ready"
http GET "$BASE/metrics"
expect_code 200 "metrics"
expect_body 'rolegated_ready 1' "metrics: ready"
# The SQLite directory is read every directory_refresh_ms (1 s): its
# snapshot stays far younger than directory_max_age (30 s by default).
age=$(sed -n 's/^rolegated_directory_age_seconds \([0-9.]*\)$/\1/p' "$T/body")
if [ -n "$age" ] && awk -v a="$age" 'BEGIN { exit !(a >= 0 && a < 30) }'; then
	pass "metrics: the directory snapshot's age ($age s)"
else
	fail "metrics: the directory snapshot's age: '$age'"
fi
expect_header '^Content-Type: text/plain; version=0.0.4' "Prometheus content type"
expect_body 'rolegated_decisions_total{service="omni24",decision="allow"}' "decisions by service and result"
expect_body 'rolegated_decisions_total{service="",decision="deny"}' "unknown services share one series"
expect_body 'rolegated_decision_duration_seconds_bucket{le="+Inf"}' "latency histogram"
expect_body 'rolegated_decision_errors_total' "error counter"
expect_body 'rolegated_reloads_total{result="ok"} 0' "reload counters"
expect_body 'rolegated_decision_log_dropped_total 0' "no decision log line dropped"
expect_body 'rolegated_http_responses_total{code="413"}' "answers by status"
if grep -Eq '^rolegated_bad_requests_total [1-9]' "$T/body"; then
	pass "bad requests are counted"
else
	fail "bad requests are counted"
fi

# ---- The decision log ----
stop_rolegated
[ "$RC" -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
grep -q 'stopped' "$T/rgd.err" && pass "says it stopped" ||
	fail "says it stopped"
lines=$(wc -l <"$T/decisions.log")
[ "$lines" -ge 40 ] && pass "decision log: $lines lines" ||
	fail "decision log: $lines lines"
id=$(head -n 1 "$T/ids" | sed 's/.*:"\(.*\)"/\1/')
if grep -q "\"id\":\"$id\"" "$T/decisions.log"; then
	pass "an answer's decision_id is in the decision log"
else
	fail "an answer's decision_id is in the decision log"
fi
if command -v python3 >/dev/null 2>&1; then
	if python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert d["decision"] in ("allow", "deny"), d
    assert len(d["id"]) == 16 and d["ts"].endswith("Z"), d
    n += 1
assert n > 0
' "$T/decisions.log"; then
		pass "every decision log line is a JSON object"
	else
		fail "every decision log line is a JSON object"
	fi
fi

# ---- A decision log that cannot keep up never slows or fails decisions ----
if [ -w /dev/full ]; then
	write_config "$T/full.conf" 2021 "decision_log_queue = 16"
	sed -i "s|^decision_log = .*|decision_log = /dev/full|" "$T/full.conf"
	start_rolegated "$T/full.conf" || fail "rolegated starts with /dev/full"
	i=0
	while [ "$i" -lt 300 ]; do
		cat <<EOF
url = "$BASE/v1/authz"
output = "/dev/null"
write-out = "%{http_code}\\n"
silent
header = "X-Rolegate-Service: omni24"
header = "X-Rolegate-Action: chat.handle"
header = "X-Rolegate-Roles: agent"
next
EOF
		i=$((i + 1))
	done >"$T/burst.conf"
	curl --config "$T/burst.conf" >"$T/codes" 2>/dev/null
	n=$(grep -c '^200$' "$T/codes" || :)
	[ "$n" -eq 300 ] && pass "300 decisions answered while every log write fails" ||
		fail "$n of 300 decisions answered"
	sleep 0.3
	http GET "$BASE/metrics"
	lost=$(sed -n 's/^rolegated_decision_log_\(dropped\|write_errors\)_total //p' "$T/body" |
		awk '{ s += $1 } END { print s + 0 }')
	[ "$lost" -eq 300 ] && pass "every lost line is counted (dropped or failed)" ||
		fail "lost lines counted: $lost of 300"
	expect_body 'rolegated_decision_log_lines_total 0' "nothing was written"
	grep -q 'decision log /dev/full: write failed' "$T/rgd.err" &&
		pass "the write failure is logged" || fail "the write failure is logged"
	stop_rolegated
	[ "$RC" -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
fi
finish
