#!/bin/sh
# admin.sh - rolegated's admin API (reload, directory transactions, reads)
# on its Unix socket and on TCP with a bearer token; start-up refusals;
# command-line options.
set -u
. "$(dirname "$0")/lib.sh"
RG="$top_builddir/tools/rolegate"

# ---- Command line ----
"$RGD" --version >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 0 ] && grep -q '^rolegated [0-9]' "$T/body" &&
	pass "--version" || fail "--version: exit $RC"
"$RGD" --help >"$T/body" 2>&1
[ $? -eq 0 ] && grep -q -- '--config' "$T/body" && pass "--help" ||
	fail "--help"
"$RGD" --bogus >"$T/body" 2>&1
[ $? -eq 2 ] && grep -q "unknown option '--bogus'" "$T/body" &&
	pass "an unknown option: exit 2" || fail "an unknown option"

write_config "$T/rolegate.conf"
"$RGD" -c "$T/rolegate.conf" -t >"$T/body" 2>&1
[ $? -eq 0 ] && grep -q 'ok (5 services, 8 routes)' "$T/body" &&
	pass "-t: the test configuration is ok" || fail "-t: $(cat "$T/body")"

# A configuration with problems does not start; each problem has file:line.
write_config "$T/bad.conf" 2021 "max_batch = many"
echo "[route broken]" >>"$T/bad.conf"
echo "path = /x" >>"$T/bad.conf"
"$RGD" -c "$T/bad.conf" >"$T/body" 2>&1
RC=$?
[ "$RC" -eq 1 ] && pass "a bad configuration: exit 1" ||
	fail "a bad configuration: exit $RC"
grep -q "bad.conf:[0-9]*: max_batch = 'many'" "$T/body" &&
	pass "the bad line is named with file:line" || fail "bad line named"
grep -q "bad.conf:[0-9]*: \[route broken\] needs a service and an action" "$T/body" &&
	pass "an incomplete route is named" || fail "incomplete route named"
"$RGD" -c "$T/nonexistent.conf" >"$T/body" 2>&1
[ $? -eq 1 ] && grep -q 'nonexistent.conf' "$T/body" &&
	pass "a missing configuration: exit 1" || fail "a missing configuration"

# rolegate lint checks rolegated's sections too.
if [ -x "$RG" ]; then
	"$RG" -c "$T/rolegate.conf" lint >"$T/body" 2>&1
	[ $? -eq 0 ] && pass "rolegate lint accepts [rolegated] and [route]" ||
		fail "rolegate lint: $(cat "$T/body")"
	"$RG" -c "$T/bad.conf" lint >"$T/body" 2>&1
	[ $? -eq 1 ] && grep -q "bad.conf:[0-9]*: max_batch = 'many'" "$T/body" &&
		pass "rolegate lint reports a bad [rolegated] line" ||
		fail "rolegate lint: $(cat "$T/body")"
fi

# ---- Admin on a Unix socket ----
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
mode=$(stat -c %a "$S/admin.sock")
[ "$mode" = 600 ] && pass "the admin socket is mode 0600" ||
	fail "the admin socket is mode $mode"

admin GET /v1/admin/status
expect_code 200 "status"
expect_body '"generation":1' "status: generation 1"
expect_body '"services":["dynamics365","dynamics365-2019","rocketchat","rocketchat-community","omni24"]' "status: services"
admin GET /v1/admin/nothing
expect_code 404 "an unknown admin endpoint"
admin GET /v1/admin/txn
expect_code 405 "GET /v1/admin/txn"
admin POST /v1/admin/status '{}'
expect_code 405 "POST /v1/admin/status"

# ---- Transactions: users of each product ----
admin POST /v1/admin/txn '{"service":"dynamics365","actor":"test","ops":[
 {"op":"org.add","kind":"bu","name":"contoso"},
 {"op":"org.add","kind":"bu","name":"support","parent":"contoso"},
 {"op":"user.add","id":"alice","name":"Alice"},
 {"op":"user.set","id":"alice","attr":"bu","value":"support"},
 {"op":"assign","user":"alice","role":"basic-user"},
 {"op":"assign","user":"alice","role":"omnichannel-agent"},
 {"op":"user.add","id":"dora"},
 {"op":"assign","user":"dora","role":"omnichannel-supervisor"}]}'
expect_code 200 "txn: dynamics365 users"
expect_body '"operations":8' "txn: all operations done"
expect_body 'dora lacks basic-user' "txn: a missing prerequisite is a warning"

admin POST /v1/admin/txn '{"service":"rocketchat","ops":[
 {"op":"org.add","kind":"unit","name":"emea"},
 {"op":"org.add","kind":"department","name":"sales","parent":"emea"},
 {"op":"org.add","kind":"department","name":"billing"},
 {"op":"user.add","id":"mona"},
 {"op":"assign","user":"mona","role":"livechat-monitor"},
 {"op":"member.add","user":"mona","kind":"unit","name":"emea"},
 {"op":"user.add","id":"agnes"},
 {"op":"assign","user":"agnes","role":"livechat-agent"},
 {"op":"member.add","user":"agnes","kind":"department","name":"sales"},
 {"op":"user.set","id":"agnes","attr":"max_chats","value":2},
 {"op":"setting.set","key":"default_max_chats","value":"4"}]}'
expect_code 200 "txn: rocketchat users, units and departments"

admin POST /v1/admin/txn '{"service":"omni24","ops":[
 {"op":"user.add","id":"olga"},
 {"op":"assign","user":"olga","role":"agent"},
 {"op":"role.create","id":"qa","name":"Quality","privileges":["reports.inbox"]},
 {"op":"assign","user":"olga","role":"qa"},
 {"op":"user.add","id":"quinn"},
 {"op":"assign","user":"quinn","role":"qa"}]}'
expect_code 200 "txn: omni24 users and a custom role"

# Decisions follow the directory at once.
authz -H 'X-Rolegate-Service: dynamics365' -H 'X-Rolegate-Action: queue.view' -H 'X-Rolegate-User: alice'
expect_code 200 "alice views queues"
expect_header '^X-Rolegate-User: alice$' "the user is passed on"
expect_header '^X-Rolegate-Roles: basic-user,omnichannel-agent$' "alice's roles are passed on"
authz -H 'X-Rolegate-Service: dynamics365' -H 'X-Rolegate-Action: queue.view' -H 'X-Rolegate-User: dora'
expect_code 403 "dora lacks basic-user"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/departments/sales/analytics' -H 'X-Rolegate-User: mona'
expect_code 200 "mona monitors sales through unit emea"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/departments/billing/analytics' -H 'X-Rolegate-User: mona'
expect_code 403 "mona does not monitor billing"
post /v1/check '{"service":"omni24","user":"quinn","action":"reports.inbox"}'
expect_decision allow OK "quinn's custom role grants reports.inbox"
post /v1/check '{"service":"omni24","user":"quinn","action":"chat.handle"}'
expect_decision deny OK "the custom role grants nothing else"

# ---- Transaction errors: named by index, nothing half-done ----
admin POST /v1/admin/txn '{"service":"dynamics365","ops":[
 {"op":"user.add","id":"eve"},
 {"op":"assign","user":"eve","role":"no-such-role"}]}'
expect_code 404 "txn: an unknown role"
expect_body '"index":1' "txn: the failing operation's index"
expect_body '"op":"assign"' "txn: the failing operation"
expect_body '"status":"ENOROLE"' "txn: the status"
admin GET '/v1/admin/users?service=dynamics365&id=eve'
expect_code 404 "txn: the first operation was rolled back"

admin POST /v1/admin/txn '{"service":"dynamics365","ops":[{"op":"user.add","id":"alice"}]}'
expect_code 409 "txn: a duplicate user"
admin POST /v1/admin/txn '{"service":"dynamics365","ops":[{"op":"assign","user":"zed","role":"basic-user"}]}'
expect_code 404 "txn: an unknown user"
admin POST /v1/admin/txn '{"service":"dynamics365","ops":[{"op":"user.add","id":"sam"},{"op":"assign","user":"sam","role":"omnichannel-agent","strict":true}]}'
expect_code 409 "txn: a strict assignment without prerequisites"
expect_body '"status":"EREFUSED"' "txn: strict: refused"
admin POST /v1/admin/txn '{"service":"omni24","ops":[{"op":"role.delete","id":"qa"}]}'
expect_code 409 "txn: a custom role still assigned"
expect_body 'still assigned' "txn: in use: says so"
admin POST /v1/admin/txn '{"service":"omni24","ops":[{"op":"role.delete","id":"agent"}]}'
expect_code 409 "txn: a built-in role"
admin POST /v1/admin/txn '{"service":"omni24","ops":[{"op":"role.delete","id":"qa","force":true}]}'
expect_code 200 "txn: a forced deletion"
expect_body '"unassigned":2' "txn: forced: how many were unassigned"

badtxn() {
	admin POST /v1/admin/txn "$1"
	expect_code "$2" "txn: $3"
	expect_body "$4" "txn: $3: says '$4'"
}
badtxn '{"service":"nosuch","ops":[{"op":"user.add","id":"x"}]}' 404 "an unknown service" "unknown service 'nosuch'"
badtxn '{"ops":[{"op":"user.add","id":"x"}]}' 400 "no service" "missing field 'service'"
badtxn '{"service":"omni24","ops":[]}' 400 "no operations" "non-empty array"
badtxn '{"service":"omni24","ops":{}}' 400 "ops not an array" "non-empty array"
badtxn '{"service":"omni24","ops":[{"op":"user.fly","id":"x"}]}' 400 "an unknown operation" "ops[0]: unknown or missing 'op'"
badtxn '{"service":"omni24","ops":[{"id":"x"}]}' 400 "an operation without op" "ops[0]: unknown or missing 'op'"
badtxn '{"service":"omni24","ops":[{"op":"user.add","id":"x"},{"op":"assign","user":"x"}]}' 400 "a missing field" "ops[1] (assign): missing field 'role'"
badtxn '{"service":"omni24","ops":[{"op":"user.add","id":7}]}' 400 "a wrong type" "field 'id': expected a non-empty string"
badtxn '{"service":"omni24","ops":[{"op":"user.add","id":"x","role":"y"}]}' 400 "an unknown field" "unknown field 'role'"
badtxn '{"service":"omni24","ops":[{"op":"role.create","id":"r","privileges":[1]}]}' 400 "bad privileges" "array of non-empty strings"
badtxn '{"service":"omni24","ops":[1]}' 400 "an operation that is no object" "ops[0]: expected an object"
badtxn '{"service":"omni24","ops":[],"extra":1}' 400 "an unknown member" "unknown field 'extra'"
badtxn '{"service":"omni24",' 400 "bad JSON" "invalid JSON at line 1"
badtxn '' 400 "an empty body" "empty body"

# ---- Reads ----
admin GET '/v1/admin/users?service=dynamics365'
expect_code 200 "users"
expect_body '"id":"alice","name":"Alice","bu":"support"' "users: alice with her unit"
expect_body '"roles":["basic-user","omnichannel-agent"]' "users: alice's roles"
admin GET '/v1/admin/users?service=rocketchat&id=agnes'
expect_body '"departments":["sales"]' "user: agnes's department"
expect_body '"max_chats":2' "user: agnes's chat limit"
admin GET '/v1/admin/org?service=rocketchat&kind=department'
expect_body '"name":"sales","parent":"emea"' "org: departments with their unit"
admin GET '/v1/admin/roles?service=omni24'
expect_code 200 "custom roles"
admin GET '/v1/admin/audit?service=omni24&limit=3'
expect_code 200 "audit"
expect_body '"what":"custom-role.delete"' "audit: the newest change first"
n=$(grep -o '"seq":' "$T/body" | wc -l)
[ "$n" -eq 3 ] && pass "audit: limit=3" || fail "audit: limit=3 gave $n"
admin GET '/v1/admin/audit?service=dynamics365&limit=100'
expect_body '"actor":"test (via rolegated' "audit: the actor, and that it came through rolegated"
admin GET '/v1/admin/users'
expect_code 400 "users without a service"
admin GET '/v1/admin/users?service=nosuch'
expect_code 404 "users of an unknown service"
admin GET '/v1/admin/audit?limit=0'
expect_code 400 "audit: a bad limit"

# ---- Undo: one audit record reverted, itself audited ----
admin GET '/v1/admin/audit?service=omni24&user=olga&limit=100'
seq=$(grep -o '"seq":[0-9]*,[^{]*"what":"assign","before":null,"after":{"role":"agent"}' "$T/body" |
	sed 's/^"seq":\([0-9]*\),.*/\1/' | head -1)
if [ -n "$seq" ]; then pass "undo: the record of olga's agent role"; else fail "undo: no record of olga's agent role"; seq=0; fi
admin POST /v1/admin/audit/undo "{\"seq\":$seq,\"actor\":\"test\"}"
expect_code 200 "undo: olga's agent role"
expect_body "\"undone\":$seq," "undo: the record undone"
admin GET '/v1/admin/users?service=omni24&id=olga'
expect_body '"roles":[]' "undo: olga no longer holds agent"
admin GET '/v1/admin/audit?service=omni24&user=olga&limit=1'
expect_body "\"what\":\"undo\",\"before\":{\"undo\":$seq," "undo: audited as an undo naming the record"
expect_body '"actor":"test (via rolegated' "undo: the actor"
admin POST /v1/admin/audit/undo "{\"seq\":$seq}"
expect_code 409 "undo: a second undo is refused"
expect_body 'undone already' "undo: the refusal says why"
admin POST /v1/admin/audit/undo '{"seq":999999}'
expect_code 404 "undo: an unknown record"
admin POST /v1/admin/audit/undo '{"seq":"1"}'
expect_code 400 "undo: a bad seq"
admin POST /v1/admin/audit/undo '{"seq":1,"what":1}'
expect_code 400 "undo: an unknown field"
admin GET /v1/admin/audit/undo
expect_code 405 "undo: GET"
# The undo undone (a redo): olga holds agent again, as the tests below need.
admin GET '/v1/admin/audit?service=omni24&user=olga&limit=1'
useq=$(grep -o '"seq":[0-9]*' "$T/body" | sed 's/"seq"://' | head -1)
admin POST /v1/admin/audit/undo "{\"seq\":${useq:-0}}"
expect_code 200 "undo: the undo undone"
admin GET '/v1/admin/users?service=omni24&id=olga'
expect_body '"roles":["agent"]' "undo: olga holds agent again"

# Changes by another process (the rolegate tool) reach the running daemon.
if [ -x "$RG" ] && "$RG" --help 2>/dev/null | grep -q assign; then
	"$RG" -q -c "$T/rolegate.conf" user add omni24 carl >"$T/body" 2>&1 &&
		"$RG" -q -c "$T/rolegate.conf" assign omni24 carl agent >>"$T/body" 2>&1
	[ $? -eq 0 ] && pass "rolegate adds carl" || fail "rolegate adds carl: $(cat "$T/body")"
	ok=0
	i=0
	while [ "$i" -lt 50 ]; do
		authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Rolegate-User: carl'
		if [ "$CODE" = 200 ]; then ok=1; break; fi
		sleep 0.1
		i=$((i + 1))
	done
	[ "$ok" -eq 1 ] && pass "a change by another process is seen" ||
		fail "a change by another process is seen"
fi

# ---- Reload ----
admin POST /v1/admin/reload
expect_code 200 "reload"
expect_body '"generation":2' "reload: generation 2"
http GET "$BASE/metrics"
expect_body 'rolegated_config_generation 2' "metrics: generation 2"
expect_body 'rolegated_reloads_total{result="ok"} 1' "metrics: one reload"

cp "$T/rolegate.conf" "$T/good.conf"
write_config "$T/rolegate.conf" 2021 "bogus = 1"
sed -i 's/^stack = required omni24 .*/stack = required omni24 policy=no-such-file.ini/' "$T/rolegate.conf"
admin POST /v1/admin/reload
expect_code 422 "reload of a broken configuration"
expect_body '"ok":false' "broken reload: not ok"
expect_body '"serving":2' "broken reload: generation 2 keeps serving"
expect_body "rolegate.conf:" "broken reload: problems with file:line"
expect_body "unknown key 'bogus' in [rolegated]" "broken reload: the bad key"
grep -q "reload (admin) of .* failed" "$T/rgd.err" && pass "broken reload: logged" ||
	fail "broken reload: logged"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Rolegate-User: olga'
expect_code 200 "broken reload: the old configuration serves"
http GET "$BASE/readyz"
expect_code 200 "broken reload: still ready"
http GET "$BASE/metrics"
expect_body 'rolegated_reloads_total{result="failed"} 1' "metrics: one failed reload"

# A setting that needs a restart is reported, not applied.
cp "$T/good.conf" "$T/rolegate.conf"
sed -i 's/^threads = 2/threads = 3/' "$T/rolegate.conf"
admin POST /v1/admin/reload
expect_code 200 "reload with a changed thread count"
expect_body 'threads changed: restart rolegated to apply it' "reload: restart-only settings are reported"

stop_rolegated
[ "$RC" -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
[ ! -e "$S/admin.sock" ] && pass "the admin socket is removed" ||
	fail "the admin socket is removed"

# ---- Admin on TCP with a bearer token ----
random_port() {
	echo $(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000))
}

TOKEN=0123456789abcdef0123456789abcdef
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"

# start_admin_tcp ADDRESS: rolegated with the admin API on ADDRESS and a
# free port (APORT); started is 1 when it came up.
start_admin_tcp() {
	started=0
	for attempt in 1 2 3 4 5; do
		APORT=$(random_port)
		write_config "$T/tcp.conf" 2021 "admin_listen = $1:$APORT" \
			"admin_token_file = $T/token"
		sed -i '/^admin_socket/d' "$T/tcp.conf"
		if start_rolegated "$T/tcp.conf"; then
			started=1
			return
		fi
		stop_rolegated
	done
}

start_admin_tcp 127.0.0.1
if [ "$started" -eq 1 ]; then
	pass "admin on TCP"
	http POST "http://127.0.0.1:$APORT/v1/admin/reload"
	expect_code 401 "TCP admin without a token"
	expect_header '^WWW-Authenticate: Bearer' "401 asks for a bearer token"
	http POST "http://127.0.0.1:$APORT/v1/admin/reload" -H "Authorization: Bearer wrong-token-wrong-token-00"
	expect_code 401 "TCP admin with a wrong token"
	http POST "http://127.0.0.1:$APORT/v1/admin/reload" -H "Authorization: Bearer $TOKEN"
	expect_code 200 "TCP admin with the token"
	http GET "http://127.0.0.1:$APORT/v1/admin/audit?limit=1" -H "Authorization: Bearer $TOKEN"
	expect_code 200 "TCP admin reads"
	! grep -q 'not a loopback address' "$T/rgd.err" &&
		pass "admin on loopback: no warning" ||
		fail "admin on loopback: $(cat "$T/rgd.err")"
	stop_rolegated
else
	fail "admin on TCP: no free port found"
fi

# On every address: it serves, and says at start-up that the token
# travels in clear.
start_admin_tcp 0.0.0.0
if [ "$started" -eq 1 ]; then
	grep -q "warning.*admin_listen = 0.0.0.0:$APORT is not a loopback address: the admin API is plain HTTP" "$T/rgd.err" &&
		pass "admin on 0.0.0.0: a warning at start-up" ||
		fail "admin on 0.0.0.0: no warning in $(cat "$T/rgd.err")"
	http POST "http://127.0.0.1:$APORT/v1/admin/reload" -H "Authorization: Bearer $TOKEN"
	expect_code 200 "admin on 0.0.0.0 with the token"
	stop_rolegated
else
	fail "admin on 0.0.0.0: no free port found"
fi

# Refusals: TCP admin without a token, or with an unsafe one.
write_config "$T/notoken.conf" 2021 "admin_listen = 127.0.0.1:1"
"$RGD" -c "$T/notoken.conf" >"$T/body" 2>&1
[ $? -eq 1 ] && grep -q 'admin_listen needs admin_token_file' "$T/body" &&
	pass "TCP admin without a token file: refused" ||
	fail "TCP admin without a token file: $(cat "$T/body")"
chmod 644 "$T/token"
write_config "$T/open.conf" 2021 "admin_listen = 127.0.0.1:1" "admin_token_file = $T/token"
sed -i '/^admin_socket/d' "$T/open.conf"
"$RGD" -c "$T/open.conf" >"$T/body" 2>&1
[ $? -eq 1 ] && grep -q 'readable by others' "$T/body" &&
	pass "a token file others may read: refused" ||
	fail "a token file others may read: $(cat "$T/body")"

# weak_token CONTENT EXPECTED LABEL: the token file's CONTENT (a printf format) is
# refused with a message naming the file and EXPECTED, never the token.
weak_token() {
	printf "$1" >"$T/token"
	chmod 600 "$T/token"
	# An accepted token starts the daemon: timeout ends it (a failure).
	timeout 20 "$RGD" -c "$T/open.conf" >"$T/body" 2>&1
	rc=$?
	# A token of blanks (or none) is in any message: look for others only.
	secret=$(head -n 1 "$T/token" | tr -d '\000')
	leaked=0
	case $secret in
	*[!\ ]*) grep -qF "$secret" "$T/body" && leaked=1 ;;
	esac
	if [ "$rc" -eq 1 ] && [ "$leaked" -eq 0 ] &&
		grep -qF "admin_token_file $T/token: $2" "$T/body"; then
		pass "a weak token ($3): refused"
	else
		fail "a weak token ($3): exit $rc, $(cat "$T/body")"
	fi
}
weak_token 'short\n' 'the token has 5 characters' "short"
weak_token '0123456789abcdef\n' 'the token has 16 characters' "16 characters"
weak_token '                \n' 'the token has 16 characters' "16 spaces"
weak_token '                                        \n' 'the token holds a blank' "40 spaces"
weak_token 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' 'the token has 1 different characters' "one letter repeated"
weak_token '0101010101abababababcdcdcdcdcd0101010101\n' 'the token has 6 different characters' "six letters"
weak_token '0123456789abcdef 0123456789abcdef0123456789\n' 'the token holds a blank' "a blank inside"
weak_token '0123456789abcdef\t0123456789abcdef0123456789\n' 'the token holds a blank' "a tab inside"
weak_token '0123456789abcdef\0000123456789abcdef0123456789\n' 'the token holds a blank' "a NUL inside"
weak_token '0123456789abcdef0123456789abcdef \n' 'the token holds a blank' "a trailing blank"
weak_token '\n0123456789abcdef0123456789abcdef\n' 'the token has 0 characters' "an empty first line"

# A live admin socket is not stolen by a second daemon.
write_config "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || fail "rolegated starts again"
"$RGD" -c "$T/rolegate.conf" >"$T/body" 2>&1
[ $? -eq 1 ] && grep -q 'another process listens on it' "$T/body" &&
	pass "a second daemon on the same admin socket: refused" ||
	fail "a second daemon: $(cat "$T/body")"
admin GET /v1/admin/status
expect_code 200 "the first daemon still answers"
stop_rolegated INT
[ "$RC" -eq 0 ] && pass "SIGINT: exit 0" || fail "SIGINT: exit $RC"

# The uninstalled rolegated of a build tree, with no admin_socket in its
# configuration, serves its admin API on rolegated.sock at the top of the
# tree and says so (the installed default, under runstatedir, needs root).
BUILD_SOCK=$(cd "$top_builddir" && pwd)/rolegated.sock
write_config "$T/default.conf"
sed -i '/^admin_socket/d' "$T/default.conf"
if [ "${#BUILD_SOCK}" -gt 107 ]; then
	start_rolegated "$T/default.conf" || fail "rolegated starts with the default admin socket"
	grep -q "no admin API" "$T/rgd.err" &&
		pass "a build tree too deep for a socket path: no admin API, said" ||
		fail "a deep build tree: $(cat "$T/rgd.err")"
	stop_rolegated
elif [ -S "$BUILD_SOCK" ]; then
	echo "ok - build tree admin socket # SKIP in use by another rolegated"
else
	start_rolegated "$T/default.conf" || fail "rolegated starts with the default admin socket"
	grep -q "admin API on $BUILD_SOCK (mode 0600)" "$T/rgd.err" &&
		pass "build tree: the admin socket's path is in the log" ||
		fail "build tree: $(cat "$T/rgd.err")"
	curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$BUILD_SOCK" \
		-X POST http://localhost/v1/admin/reload >"$T/code" 2>&1
	[ "$(cat "$T/code")" = 200 ] &&
		pass "build tree: reload over its admin socket" ||
		fail "build tree: reload over $BUILD_SOCK answered $(cat "$T/code")"
	stop_rolegated
	[ ! -e "$BUILD_SOCK" ] && pass "build tree: the socket is removed at exit" ||
		fail "build tree: $BUILD_SOCK left behind"
fi
finish
