#!/bin/sh
# unix.sh - rolegated serving its HTTP API on a Unix socket (listen_socket)
# instead of address and port: the probes, /v1/check and /v1/authz with
# users of the directory, the admin status, a reload that changes the
# socket, the socket file's mode and removal (also after a start that
# fails later), a stale socket left by a killed daemon, a live one that is
# not stolen, and refused values.
set -u
. "$(dirname "$0")/lib.sh"

SOCK="$S/http.sock"

write_unix_config "$T/rolegate.conf" "$SOCK"
"$RGD" -c "$T/rolegate.conf" -t >"$T/body" 2>&1
[ $? -eq 0 ] && pass "-t: a configuration with listen_socket is ok" ||
	fail "-t: $(cat "$T/body")"

start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
if grep -q "listening on unix:$SOCK (2 threads)" "$T/rgd.err"; then
	pass "it says where it listens: unix:PATH (2 threads)"
else
	fail "the listening line: $(grep listening "$T/rgd.err")"
fi
[ "$UNIX_SOCKET" = "$SOCK" ] && pass "the tests talk to it over $SOCK" ||
	fail "UNIX_SOCKET is '$UNIX_SOCKET'"
[ -S "$SOCK" ] && pass "the socket file exists" || fail "no socket at $SOCK"
mode=$(stat -c %a "$SOCK")
[ "$mode" = 660 ] && pass "the socket is mode 0660" ||
	fail "the socket is mode $mode"
if grep -Eq 'listening on [0-9]' "$T/rgd.err"; then
	fail "no TCP listener besides the socket"
else
	pass "no TCP listener besides the socket"
fi

# ---- Probes and decisions over the socket ----
http GET "$BASE/healthz"
expect_code 200 "healthz"
expect_body 'ok' "healthz says ok"
http GET "$BASE/readyz"
expect_code 200 "readyz"
post /v1/check '{"service":"omni24","roles":"agent","action":"chat.handle"}'
expect_decision allow OK "POST /v1/check: an agent handles chats"
post /v1/check '{"service":"omni24","roles":"agent","action":"billing.manage"}'
expect_decision deny OK "POST /v1/check: an agent does not manage billing"
http GET "$BASE/v1/nothing"
expect_code 404 "an unknown endpoint"

# Users of the directory, through the admin API.
add_omni24_users

# uri_authz USER METHOD URI: /v1/authz the way nginx asks.
uri_authz() {
	authz -H "X-Rolegate-User: $1" -H "X-Original-Method: $2" \
		-H "X-Original-URI: $3"
}
uri_authz olga GET /omni/chats/7
expect_code 200 "authz: olga (agent) handles chats"
expect_header '^X-Rolegate-User: olga$' "authz: the user header"
expect_header '^X-Rolegate-Roles: agent$' "authz: the roles header"
expect_header '^X-Rolegate-Decision-Id: [0-9a-f]{16}$' "authz: a decision id"
id=$(header_value X-Rolegate-Decision-Id)
uri_authz olga POST /omni/billing
expect_code 403 "authz: olga cannot manage billing"
uri_authz owen POST /omni/billing
expect_code 200 "authz: owen (account owner) manages billing"
uri_authz nobody GET /omni/chats/7
expect_code 403 "authz: an unknown user"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/7'
expect_code 401 "authz: no user"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' \
	-H 'X-Rolegate-User: olga'
expect_code 200 "authz: the question in headers"

http GET "$BASE/metrics"
expect_code 200 "metrics"
expect_body 'rolegated_decisions_total{service="omni24",decision="allow"}' "metrics count the decisions"

# Keep-alive: three requests, one connection (status:new connections).
codes=$(curl -s -m 10 --unix-socket "$SOCK" -o /dev/null -o /dev/null \
	-o /dev/null -w '%{http_code}:%{num_connects} ' \
	"$BASE/healthz" "$BASE/readyz" "$BASE/healthz")
[ "$codes" = "200:1 200:0 200:0 " ] && pass "three requests on one connection" ||
	fail "three requests on one connection: $codes"

# ---- The admin status names the socket ----
admin GET /v1/admin/status
expect_code 200 "admin status"
expect_body "\"listen_socket\":\"$SOCK\"" "status: listen_socket"
expect_body '"address":null,"port":null' "status: no address or port"

# ---- A reload cannot move the socket: it says a restart is needed ----
cp "$T/rolegate.conf" "$T/good.conf"
sed -i "s|^listen_socket = .*|listen_socket = $S/other.sock|" "$T/rolegate.conf"
admin POST /v1/admin/reload
expect_code 200 "reload with another listen_socket"
expect_body 'listen_socket changed: restart rolegated to apply it' "reload: the change is reported"
[ ! -e "$S/other.sock" ] && pass "reload: no new socket" ||
	fail "reload: a socket at the new path"
http GET "$BASE/healthz"
expect_code 200 "reload: the socket still serves"
cp "$T/good.conf" "$T/rolegate.conf"

# ---- A live socket is not stolen ----
write_unix_config "$T/second.conf" "$SOCK"
sed -i "s|^admin_socket = .*|admin_socket = off|" "$T/second.conf"
"$RGD" -c "$T/second.conf" >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && grep -q "listen_socket $SOCK: another process listens on it" "$T/body" &&
	pass "a second daemon on the same socket: refused" ||
	fail "a second daemon: exit $RC: $(cat "$T/body")"
http GET "$BASE/healthz"
expect_code 200 "the first daemon still answers on its socket"
# A start that fails after binding its socket (here: the admin socket is
# taken) removes the socket it made.
write_unix_config "$T/third.conf" "$S/other.sock"
"$RGD" -c "$T/third.conf" >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && grep -q "admin_socket .*another process listens on it" "$T/body" &&
	pass "a daemon on a taken admin socket: refused" ||
	fail "a daemon on a taken admin socket: exit $RC: $(cat "$T/body")"
[ ! -e "$S/other.sock" ] && pass "its listen_socket is removed again" ||
	fail "a failed start left its listen_socket"

# ---- Stop: the socket file goes ----
stop_rolegated
[ "$RC" -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
[ ! -e "$SOCK" ] && pass "the socket file is removed" ||
	fail "the socket file is still there"
[ ! -e "$S/admin.sock" ] && pass "the admin socket is removed" ||
	fail "the admin socket is still there"
grep -q "\"id\":\"$id\",\"endpoint\":\"authz\",\"service\":\"omni24\",\"user\":\"olga\"" \
	"$T/decisions.log" && pass "the decision log has the decision" ||
	fail "the decision log lacks decision $id"

# ---- A daemon killed leaves its socket: the next one replaces it ----
start_rolegated "$T/rolegate.conf" || fail "rolegated starts again"
stop_rolegated KILL
[ -S "$SOCK" ] && pass "a killed daemon leaves a stale socket" ||
	fail "no stale socket after kill -9"
start_rolegated "$T/rolegate.conf" &&
	pass "a stale socket does not prevent a start" ||
	fail "a stale socket prevents a start"
uri_authz olga GET /omni/chats/7
expect_code 200 "after a stale socket: olga handles chats"
uri_authz olga POST /omni/billing
expect_code 403 "after a stale socket: olga cannot manage billing"
stop_rolegated INT
[ "$RC" -eq 0 ] && pass "SIGINT: exit 0" || fail "SIGINT: exit $RC"
[ ! -e "$SOCK" ] && pass "the socket file is removed again" ||
	fail "the socket file is still there"

# ---- A file that is not a socket is left alone ----
echo "not a socket" >"$SOCK"
"$RGD" -c "$T/rolegate.conf" >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && grep -q "listen_socket $SOCK: the file exists and is not a socket" "$T/body" &&
	pass "a regular file at listen_socket: refused" ||
	fail "a regular file at listen_socket: exit $RC: $(cat "$T/body")"
grep -q 'not a socket' "$SOCK" && pass "the file is not removed" ||
	fail "the file was removed or changed"
rm -f "$SOCK"

# ---- Refused values: file:line, the field, exit 1 ----
UNIX_SOCKET=""
long="/$(head -c 120 /dev/zero | tr '\0' s).sock"
# refused VALUE MESSAGE WHAT
refused() {
	write_unix_config "$T/bad.conf" "$1"
	line=$(grep -n '^listen_socket' "$T/bad.conf" | cut -d: -f1)
	"$RGD" -c "$T/bad.conf" -t >"$T/body" 2>&1
	RC=$?
	# Said once: the library logs it as found, rolegated does not repeat it.
	if [ "$RC" -eq 1 ] &&
		[ "$(grep -cF "bad.conf:$line: $2" "$T/body")" -eq 1 ]; then
		pass "-t refuses $3 (file:line, the field, said once)"
	else
		fail "-t with $3: exit $RC: $(cat "$T/body")"
	fi
	"$RGD" -c "$T/bad.conf" >"$T/body" 2>&1
	RC=$?
	[ "$RC" -eq 1 ] && grep -qF "bad.conf:$line: $2" "$T/body" &&
		pass "rolegated does not start with $3" ||
		fail "rolegated with $3: exit $RC"
}
refused "http.sock" "listen_socket = 'http.sock': expected an absolute path" "a relative path"
refused "" "listen_socket needs an absolute path or off" "an empty value"
refused "$long" "listen_socket: the path has 126 bytes; a Unix socket path has at most 107 (sun_path)" "a path too long for sun_path"
refused "$S/" "listen_socket = '$S/': expected the path of a socket file, not of a directory" "a directory"

# listen_socket replaces address and port: both given is refused.
write_unix_config "$T/both.conf" "$SOCK" "port = 8470"
"$RGD" -c "$T/both.conf" -t >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && grep -q "both.conf:[0-9]*: listen_socket replaces address and port: remove port (line [0-9]*)" "$T/body" &&
	pass "listen_socket with a port: refused" ||
	fail "listen_socket with a port: exit $RC: $(cat "$T/body")"
write_unix_config "$T/admin.conf" "$S/admin.sock"
"$RGD" -c "$T/admin.conf" -t >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && grep -q "listen_socket is the admin socket's path" "$T/body" &&
	pass "listen_socket on the admin socket's path: refused" ||
	fail "listen_socket on the admin socket: exit $RC: $(cat "$T/body")"
RG="$top_builddir/tools/rolegate"
if [ -x "$RG" ]; then
	"$RG" -c "$T/both.conf" lint >"$T/body" 2>&1
	[ $? -eq 1 ] && grep -q "both.conf:[0-9]*: listen_socket replaces address and port" "$T/body" &&
		pass "rolegate lint reports it too" ||
		fail "rolegate lint: $(cat "$T/body")"
fi
[ ! -e "$SOCK" ] && pass "no refused start left a socket" ||
	fail "a refused start left a socket"
finish
