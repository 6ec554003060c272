# lib.sh - the battery every gateway test runs.  Sourced, not run.
#
# A gateway test (nginx.sh, caddy.sh, haproxy.sh) sources this file, starts
# rolegated (start_gateway_rolegated) and the application (start_upstream),
# writes its gateway's configuration from the example shipped in doc/ and
# starts the gateway on free loopback ports as the current user, then runs
# battery with GW set to the gateway's URL.  The gateway authenticates
# olga and owen (password "secret") with HTTP basic auth.
#
# The battery, the same for every gateway:
#   - an allowed request reaches the application with the user, the roles
#     and the decision id;
#   - a denied one is 403 and never reaches the application;
#   - no user is 401;
#   - the route map works through the gateway's forwarded-URI headers;
#   - X-Rolegate-*, X-Forwarded-* and X-Original-* headers a client makes
#     up change nothing;
#   - with rolegated down, the gateway fails closed.

. "$(dirname "$0")/../daemon/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found"

# free_port: a loopback port nobody listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_gateway_rolegated [EXTRA [rolegated] LINES...]: rolegated with the
# test routes and the omni24 users olga (agent) and owen (account owner).
start_gateway_rolegated() {
	write_config "$T/rolegate.conf" 2021 "$@"
	# Only directory users: no ad-hoc subject a gateway could pass on.
	sed -i '/^authz_roles_header = yes$/d' "$T/rolegate.conf"
	start_rolegated "$T/rolegate.conf" || {
		fail "rolegated starts"
		finish
	}
	add_omni24_users
}

# start_upstream: the application (upstream.py) on UPORT, its requests in
# $T/upstream.log.
start_upstream() {
	python3 "$(dirname "$0")/upstream.py" "$T/upstream.port" \
		"$T/upstream.log" 2>"$T/upstream.err" &
	PIDS="$PIDS $!"
	if ! wait_for 10 test -s "$T/upstream.port"; then
		fail "the application starts"
		sed 's/^/#   /' "$T/upstream.err"
		finish
	fi
	UPORT=$(cat "$T/upstream.port")
}

# start_gateway NAME WRITE LOG CMD...: starts the gateway CMD (in the
# foreground, output to LOG) after WRITE has written its configuration for
# the port GPORT, and waits until it answers on GW; another free port on
# failure, five times.  GATEWAY_PID is its process.
start_gateway() {
	name=$1
	write=$2
	log=$3
	shift 3
	GATEWAY_PID=""
	for attempt in 1 2 3 4 5; do
		GPORT=$(free_port)
		GW="http://127.0.0.1:$GPORT"
		"$write"
		"$@" >"$log" 2>&1 &
		GATEWAY_PID=$!
		PIDS="$PIDS $GATEWAY_PID"
		wait_for 10 curl -s -o /dev/null "$GW/" && break
		stop_gateway
	done
	if [ -z "$GATEWAY_PID" ]; then
		fail "$name starts"
		sed 's/^/#   /' "$log"
		finish
	fi
	pass "$name starts (gateway :$GPORT, application :$UPORT)"
}

stop_gateway() {
	kill "$GATEWAY_PID" 2>/dev/null
	wait "$GATEWAY_PID" 2>/dev/null
	GATEWAY_PID=""
}

# expect_marked NAME EXAMPLE WRITTEN: the test changed only the lines the
# example marks "<-" (the ones it tells a reader to change).
expect_marked() {
	if diff "$2" "$3" | grep '^<' | grep -v -- '-- <-\|# <-'; then
		fail "$1: the test changed a line not marked '<-'"
	else
		pass "$1: only the lines marked '<-' were changed"
	fi
}

# expect_count NAME EXAMPLE: "change the N lines marked" in EXAMPLE says
# how many lines it marks "<-".
expect_count() {
	said=$(sed -n 's/.*[Cc]hange the \([a-z]*\) lines marked.*/\1/p' "$2")
	marked=$(grep -c '# <-' "$2")
	words="zero one two three four five six seven eight nine ten"
	[ "$(echo "$words" | cut -d' ' -f$((marked + 1)))" = "$said" ] &&
		pass "$1 says how many lines to change ($said)" ||
		fail "$1 says '$said' lines, marks $marked"
}

# reached PATH: whether the application saw a request for PATH since the
# last mark (upstream_mark).
upstream_mark() {
	MARK=$(wc -l <"$T/upstream.log")
}
reached() {
	tail -n "+$((MARK + 1))" "$T/upstream.log" | grep -q " $1\$"
}

# as USER METHOD PATH [CURL ARGS...]: a request through the gateway with
# USER's credentials (none for "").
as() {
	user=$1
	method=$2
	path=$3
	shift 3
	upstream_mark
	if [ -n "$user" ]; then
		http "$method" "$GW$path" -u "$user:secret" "$@"
	else
		http "$method" "$GW$path" "$@"
	fi
}

# expect_reached WHAT / expect_not_reached WHAT: for the last request.
expect_reached() {
	if reached "$LAST_PATH"; then pass "$1"; else fail "$1: the application never saw it"; fi
}
expect_not_reached() {
	if reached "$LAST_PATH"; then fail "$1: the application saw it"; else pass "$1"; fi
}

# Headers a client makes up to change the question.
FORGED_WHO="-H X-Rolegate-User:owen -H X-Rolegate-Roles:account-owner"
FORGED_WHAT="-H X-Rolegate-Service:omni24 -H X-Rolegate-Action:chat.handle -H X-Rolegate-Attr-Queue:x"
FORGED_URI="-H X-Forwarded-Method:GET -H X-Forwarded-Uri:/omni/chats/7 -H X-Original-Method:GET -H X-Original-URI:/omni/chats/7"
FORGED_URI_DENIED="-H X-Forwarded-Method:POST -H X-Forwarded-Uri:/omni/billing -H X-Original-Method:POST -H X-Original-URI:/omni/billing"

# battery NAME: the checks above, through GW.
battery() {
	name=$1

	LAST_PATH=/omni/chats/7
	as olga GET /omni/chats/7
	expect_code 200 "$name: olga (agent) handles chats"
	expect_body 'upstream ok' "$name: the application answered"
	expect_header '^X-Echo-User: olga$' "$name: the user reaches the application"
	expect_header '^X-Echo-Roles: agent$' "$name: the roles reach the application"
	expect_header '^X-Echo-Decision-Id: [0-9a-f]{16}$' "$name: the decision id reaches the application"
	id=$(header_value X-Echo-Decision-Id)
	expect_reached "$name: an allowed request reaches the application"
	sleep 0.2
	grep -q "\"id\":\"$id\",\"endpoint\":\"authz\",\"service\":\"omni24\",\"user\":\"olga\"" "$T/decisions.log" &&
		pass "$name: the decision id is rolegated's, for olga" ||
		fail "$name: decision $id is not olga's in the decision log"

	LAST_PATH=/omni/billing
	as olga POST /omni/billing
	expect_code 403 "$name: olga cannot manage billing"
	expect_not_reached "$name: a denied request never reaches the application"
	as owen POST /omni/billing
	expect_code 200 "$name: owen (account owner) manages billing: the route map"
	expect_reached "$name: owen's request reaches the application"
	sleep 0.2
	grep -q '"route":"omni-billing","method":"POST","uri":"/omni/billing"' "$T/decisions.log" &&
		pass "$name: rolegated saw the original method and URI" ||
		fail "$name: no omni-billing decision for POST /omni/billing"

	LAST_PATH=/omni/chats/7
	as "" GET /omni/chats/7
	expect_code 401 "$name: no credentials"
	expect_not_reached "$name: an anonymous request never reaches the application"
	as olga GET /omni/chats/7 -u olga:wrong
	expect_code 401 "$name: a wrong password"

	LAST_PATH="/omni/chats/7?x=1"
	as olga GET "/omni/chats/7?x=1"
	expect_code 200 "$name: a query string"

	LAST_PATH=/not/mapped
	as olga GET /not/mapped
	expect_code 403 "$name: a path no route maps is denied"
	expect_not_reached "$name: an unmapped path never reaches the application"

	# Forged headers: an allowed request stays allowed as olga, a denied
	# one stays denied.
	LAST_PATH=/omni/billing
	# shellcheck disable=SC2086
	as olga POST /omni/billing $FORGED_WHO
	expect_code 403 "$name: a client's X-Rolegate-User and -Roles change nothing"
	expect_not_reached "$name: forged user: the application never saw it"
	# shellcheck disable=SC2086
	as olga POST /omni/billing $FORGED_WHAT
	expect_code 403 "$name: a client's X-Rolegate-Service and -Action change nothing"
	expect_not_reached "$name: forged action: the application never saw it"
	# shellcheck disable=SC2086
	as olga POST /omni/billing $FORGED_URI
	expect_code 403 "$name: a client's X-Forwarded-* and X-Original-* change nothing"
	expect_not_reached "$name: forged URI: the application never saw it"
	# shellcheck disable=SC2086
	as olga POST /omni/billing $FORGED_WHO $FORGED_WHAT $FORGED_URI
	expect_code 403 "$name: all of them at once change nothing"
	LAST_PATH=/omni/chats/7
	# shellcheck disable=SC2086
	as olga GET /omni/chats/7 $FORGED_WHO $FORGED_WHAT $FORGED_URI_DENIED
	expect_code 200 "$name: an allowed request with forged headers stays allowed"
	expect_header '^X-Echo-User: olga$' "$name: forged headers: the user is the gateway's"
	expect_header '^X-Echo-Roles: agent$' "$name: forged headers: the roles are rolegated's"
	expect_no_header '^X-Echo-Action: .' "$name: a client's X-Rolegate-Action never reaches the application"
}

# battery_down NAME: rolegated stopped, the gateway must deny.
battery_down() {
	name=$1
	stop_rolegated
	LAST_PATH=/omni/chats/7
	as olga GET /omni/chats/7
	case $CODE in
	2??) fail "$name: rolegated down: $CODE" ;;
	*) pass "$name: rolegated down: the gateway fails closed ($CODE)" ;;
	esac
	expect_not_reached "$name: rolegated down: the application never saw it"
}
