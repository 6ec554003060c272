#!/bin/sh
# soak.sh - rolegated under a request mix from parallel clients while a
# SIGHUP storm alternates good and broken configurations, for SOAK_SECONDS
# (default 20).  `make soak` runs it; not part of `make check`.
#
# No answer may fail: every request gets the status its question has under
# the good configuration (a broken one is refused and the good one serves
# on), never a 5xx, a timeout or a connection error.  Built with ASan
# (--enable-sanitizers), the daemon must exit cleanly at SIGTERM with no
# LeakSanitizer or AddressSanitizer report.
set -u
. "$(dirname "$0")/lib.sh"

: "${SOAK_SECONDS:=20}"
CLIENTS=4       # parallel curl loops
HUP_PAUSE=0.2   # seconds between SIGHUPs
ROUNDS=25       # rounds of the questions per curl run

ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"
export ASAN_OPTIONS

write_config "$T/good.conf" 2021
# Broken: a duplicate key in [rolegated] refuses the whole reload.
write_config "$T/broken.conf" 2021 "threads = 2"
cp "$T/good.conf" "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }

admin POST /v1/admin/txn '{"service":"omni24","ops":[
 {"op":"user.add","id":"olga"},{"op":"assign","user":"olga","role":"agent"}]}'
expect_code 200 "a directory user"

# One question: a curl config group, and the status it must get.
question() {
	cat <<EOF
url = "$BASE$1"
output = "/dev/null"
write-out = "%{http_code} $2\\n"
silent
max-time = 10
EOF
	shift 2
	for h in "$@"; do echo "header = \"$h\""; done
	echo next
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	question /v1/authz 200-agent "X-Rolegate-Service: omni24" \
		"X-Rolegate-Action: chat.handle" "X-Rolegate-Roles: agent"
	question /v1/authz 200-user "X-Rolegate-Service: omni24" \
		"X-Rolegate-Action: chat.handle" "X-Rolegate-User: olga"
	question /v1/authz 403-deny "X-Rolegate-Service: dynamics365" \
		"X-Rolegate-Action: queue.add" "X-Rolegate-Roles: omnichannel-agent"
	question /v1/authz 403-unknown "X-Rolegate-Service: omni24" \
		"X-Rolegate-Action: chat.handle" "X-Rolegate-User: nobody"
	question /v1/authz 200-route "X-Original-URI: /omni/chats/42" \
		"X-Original-Method: GET" "X-Rolegate-User: olga"
	question /v1/authz 403-route "X-Original-URI: /omni/billing" \
		"X-Original-Method: GET" "X-Rolegate-User: olga"
	question /healthz 200-health
	i=$((i + 1))
done >"$T/curl.conf"

# Each client runs the questions until the time is up.
end=$(($(date +%s) + SOAK_SECONDS))
c=0
LOADS=""
while [ "$c" -lt "$CLIENTS" ]; do
	(
		while [ "$(date +%s)" -lt "$end" ]; do
			curl --config "$T/curl.conf" 2>/dev/null
		done
	) >"$T/codes.$c" &
	LOADS="$LOADS $!"
	PIDS="$PIDS $!"
	c=$((c + 1))
done

# The storm: broken, good, broken, ... one SIGHUP each.
hups=0
while [ "$(date +%s)" -lt "$end" ]; do
	if [ $((hups % 2)) -eq 0 ]; then f=broken; else f=good; fi
	cp "$T/$f.conf" "$T/next.conf"
	mv "$T/next.conf" "$T/rolegate.conf"
	kill -HUP "$RGD_PID"
	hups=$((hups + 1))
	sleep "$HUP_PAUSE"
done
for p in $LOADS; do wait "$p"; done
echo "# $hups SIGHUPs"

if running "$RGD_PID"; then
	pass "rolegated survived $hups SIGHUPs"
else
	fail "rolegated died during the storm"
fi
cat "$T"/codes.* >"$T/codes"
n=$(wc -l <"$T/codes")
if [ "$n" -gt 0 ]; then pass "$n answers"; else fail "no answers"; fi
# Every line is "STATUS EXPECTED-what": the two statuses must agree.
bad=$(awk '{ split($2, e, "-"); if ($1 != e[1]) print }' "$T/codes" |
	sort | uniq -c)
if [ -z "$bad" ]; then
	pass "every answer as expected (no 5xx, no connection error)"
else
	fail "unexpected answers:"
	echo "$bad" | head -n 20 | sed 's/^/#   /'
fi
reloads=$(curl -s "$BASE/metrics" | grep '^rolegated_reloads_total')
echo "$reloads" | sed 's/^/# /'
if echo "$reloads" | grep -q 'result="failed"} [1-9]'; then
	pass "broken configurations were refused"
else
	fail "no refused reload counted"
fi

stop_rolegated
if [ "$RC" -eq 0 ]; then pass "SIGTERM: exit 0"; else fail "SIGTERM: exit $RC"; fi
if grep -Eq 'LeakSanitizer|AddressSanitizer|runtime error' "$T/rgd.err"; then
	fail "sanitizer report at exit:"
	grep -E -A20 'LeakSanitizer|AddressSanitizer|runtime error' \
		"$T/rgd.err" | head -n 40 | sed 's/^/#   /'
else
	pass "no leak or sanitizer report"
fi
finish
