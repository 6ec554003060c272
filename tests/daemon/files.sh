#!/bin/sh
# files.sh - rolegated and files that are not regular files: a FIFO as a
# policy or as the configuration is refused at once, at start and on a
# SIGHUP reload (the old configuration serves on, and SIGTERM still stops
# the daemon, which a reload blocked on a FIFO used to prevent).
set -u
. "$(dirname "$0")/lib.sh"

command -v mkfifo >/dev/null 2>&1 || skip "mkfifo not found"
command -v timeout >/dev/null 2>&1 || skip "timeout not found"

mkfifo "$T/fifo.ini"
write_config "$T/good.conf"
# The same, with omni24's policy a FIFO.
sed "s|policy=$P/omni24.ini|policy=fifo.ini|" "$T/good.conf" >"$T/fifo.conf"
grep -q 'policy=fifo.ini' "$T/fifo.conf" || fail "the FIFO configuration names the FIFO"

# ---- At start --------------------------------------------------------------
timeout -k 5 10 "$RGD" -c "$T/fifo.conf" >"$T/start.out" 2>"$T/start.err"
RC=$?
if [ "$RC" -ne 0 ] && [ "$RC" -lt 124 ]; then
	pass "a FIFO policy at start: refused (exit $RC)"
else
	fail "a FIFO policy at start: exit $RC (124 or more: it hung)"
fi
grep -q 'fifo\.ini: is a FIFO' "$T/start.err" &&
	pass "the start refusal names the file and says FIFO" ||
	{ fail "the start refusal names the file and says FIFO"; sed 's/^/#   /' "$T/start.err"; }

# ---- On reload ---------------------------------------------------------------
cp "$T/good.conf" "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
chat() {
	authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' \
		-H 'X-Rolegate-Roles: agent'
}
chat
expect_code 200 "before: an omni24 agent handles chats"

failed_reloads() {
	curl -s "$BASE/metrics" | grep -q "^rolegated_reloads_total{result=\"failed\"} $1\$"
}
cp "$T/fifo.conf" "$T/rolegate.conf"
kill -HUP "$RGD_PID"
wait_for 10 failed_reloads 1 && pass "SIGHUP to a FIFO policy: the reload fails" ||
	fail "SIGHUP to a FIFO policy: the reload fails"
grep -q 'fifo\.ini: is a FIFO' "$T/rgd.err" && pass "the log names the FIFO" ||
	fail "the log names the FIFO"
chat
expect_code 200 "after the failed reload: the old configuration serves"

# The configuration file itself a FIFO.
rm -f "$T/rolegate.conf"
mkfifo "$T/rolegate.conf"
kill -HUP "$RGD_PID"
wait_for 10 failed_reloads 2 && pass "SIGHUP to a FIFO configuration: the reload fails" ||
	fail "SIGHUP to a FIFO configuration: the reload fails"
chat
expect_code 200 "after it: the old configuration serves"

stop_rolegated
[ "$RC" -eq 0 ] && pass "SIGTERM after the refused reloads: exit 0" ||
	fail "SIGTERM after the refused reloads: exit $RC"
finish
