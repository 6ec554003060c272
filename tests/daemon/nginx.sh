#!/bin/sh
# nginx.sh - a real nginx in front of a small upstream, asking rolegated
# through auth_request: allowed, denied and anonymous requests of users of
# each product come through as 200, 403 and 401; the route map turns URIs
# into actions; the X-Rolegate-* answer headers reach the upstream; headers
# a client makes up do not reach rolegated.  The same through a second
# rolegated on a Unix socket (listen_socket, proxy_pass http://unix:...).
set -u
. "$(dirname "$0")/lib.sh"

need_nginx

write_config "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }

# Users of each product, through the admin API.
admin POST /v1/admin/txn '{"service":"dynamics365","ops":[
 {"op":"user.add","id":"alice"},
 {"op":"assign","user":"alice","role":"basic-user"},
 {"op":"assign","user":"alice","role":"omnichannel-agent"},
 {"op":"user.add","id":"sofia"},
 {"op":"assign","user":"sofia","role":"basic-user"},
 {"op":"assign","user":"sofia","role":"omnichannel-supervisor"},
 {"op":"user.add","id":"adam"},
 {"op":"assign","user":"adam","role":"basic-user"},
 {"op":"assign","user":"adam","role":"omnichannel-administrator"}]}'
expect_code 200 "dynamics365 users"
admin POST /v1/admin/txn '{"service":"rocketchat","ops":[
 {"op":"org.add","kind":"unit","name":"emea"},
 {"op":"org.add","kind":"department","name":"sales","parent":"emea"},
 {"op":"org.add","kind":"department","name":"billing"},
 {"op":"user.add","id":"mona"},
 {"op":"assign","user":"mona","role":"livechat-monitor"},
 {"op":"member.add","user":"mona","kind":"unit","name":"emea"},
 {"op":"user.add","id":"mike"},
 {"op":"assign","user":"mike","role":"livechat-manager"},
 {"op":"user.add","id":"agnes"},
 {"op":"assign","user":"agnes","role":"livechat-agent"}]}'
expect_code 200 "rocketchat users"
add_omni24_users

# A second rolegated on the same directory, serving on a Unix socket.
USOCK="$S/http.sock"
write_unix_config "$T/unix.conf" "$USOCK"
sed -i -e 's|^admin_socket = .*|admin_socket = off|' \
	-e "s|^decision_log = .*|decision_log = $T/decisions-unix.log|" \
	"$T/unix.conf"
"$RGD" -c "$T/unix.conf" >"$T/rgd-unix.out" 2>"$T/rgd-unix.err" &
UNIX_PID=$!
PIDS="$PIDS $UNIX_PID"
if wait_for 20 curl -sf --unix-socket "$USOCK" http://rolegated/readyz; then
	pass "a second rolegated serves on $USOCK"
else
	fail "a second rolegated on a Unix socket"
	sed 's/^/#   /' "$T/rgd-unix.err"
fi

# ---- nginx: a gateway and its upstream, on loopback ports ----
N="$T/nginx"
mkdir -p "$N/tmp" "$N/logs"
random_port() {
	echo $(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000))
}

# The shipped example, with this test's ports and users.
EXAMPLE="$top_srcdir/doc/nginx/rolegate.conf"
printf 'olga:{PLAIN}secret\nowen:{PLAIN}secret\n' >"$N/htpasswd"
write_example() {
	sed -e "s|listen 80;|listen 127.0.0.1:$EPORT;|" \
		-e "s|server_name app.example.com;|server_name localhost;|" \
		-e "s|server 127.0.0.1:8470;|server 127.0.0.1:$PORT;|" \
		-e "s|http://127.0.0.1:8080;|http://127.0.0.1:$UPORT;|" \
		-e "s|/etc/nginx/app.htpasswd|$N/htpasswd|" \
		-e "s|upstream rolegated |upstream rolegated_example |" \
		-e "s|http://rolegated/|http://rolegated_example/|" \
		"$EXAMPLE" >"$N/example.conf"
}

# The header-only question (omni24 chat.handle), asked of upstream $1 from
# a location of a gateway's server.
chat_location() {
	cat <<EOF
		location = /_rolegate_chat {
			internal;
			proxy_pass http://$1/v1/authz;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_pass_request_body off;
			proxy_pass_request_headers off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Rolegate-Service omni24;
			proxy_set_header X-Rolegate-Action chat.handle;
			proxy_set_header X-Rolegate-User \$http_x_test_user;
		}
EOF
}

write_nginx_conf() {
	write_example
	{
		nginx_prologue "$N"
		cat <<EOF

	upstream rolegated {
		server 127.0.0.1:$PORT;
		keepalive 8;
	}

	include $N/example.conf;

	# rolegated on its Unix socket, with reused connections.
	upstream rolegated_unix {
		server unix:$USOCK;
		keepalive 8;
	}

	# A gateway asking the rolegated on the Unix socket.
	server {
		listen 127.0.0.1:$XPORT;

		location / {
			auth_request /_rolegate;
			auth_request_set \$rg_user \$upstream_http_x_rolegate_user;
			auth_request_set \$rg_id \$upstream_http_x_rolegate_decision_id;
			proxy_set_header X-Rolegate-User \$rg_user;
			proxy_set_header X-Rolegate-Decision-Id \$rg_id;
			proxy_pass http://127.0.0.1:$UPORT;
		}

		location /fixed/ {
			auth_request /_rolegate_chat;
			proxy_pass http://127.0.0.1:$UPORT;
		}

		# The socket named in proxy_pass: a connection per question.
		location = /_rolegate {
			internal;
			proxy_pass http://unix:$USOCK:/v1/authz;
			proxy_pass_request_body off;
			proxy_pass_request_headers off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method \$request_method;
			proxy_set_header X-Original-URI \$request_uri;
			proxy_set_header X-Rolegate-User \$http_x_test_user;
		}

		# Through the upstream block: kept-alive connections.
$(chat_location rolegated_unix)
	}

	# The application: it echoes what the gateway passed on.
	server {
		listen 127.0.0.1:$UPORT;
		location / {
			add_header X-Echo-User \$http_x_rolegate_user always;
			add_header X-Echo-Roles \$http_x_rolegate_roles always;
			add_header X-Echo-Decision-Id \$http_x_rolegate_decision_id always;
			add_header X-Echo-Spoof \$http_x_rolegate_action always;
			return 200 "upstream ok\n";
		}
	}

	# The gateway.
	server {
		listen 127.0.0.1:$GPORT;

		location / {
			auth_request /_rolegate;
			auth_request_set \$rg_user \$upstream_http_x_rolegate_user;
			auth_request_set \$rg_roles \$upstream_http_x_rolegate_roles;
			auth_request_set \$rg_id \$upstream_http_x_rolegate_decision_id;
			proxy_set_header X-Rolegate-User \$rg_user;
			proxy_set_header X-Rolegate-Roles \$rg_roles;
			proxy_set_header X-Rolegate-Decision-Id \$rg_id;
			proxy_set_header X-Rolegate-Action "";
			proxy_pass http://127.0.0.1:$UPORT;
		}

		# One location, one question: the action in headers.
		location /fixed/ {
			auth_request /_rolegate_chat;
			proxy_pass http://127.0.0.1:$UPORT;
		}

		location = /_rolegate {
			internal;
			proxy_pass http://rolegated/v1/authz;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_pass_request_body off;
			# Only what the gateway vouches for reaches rolegated.
			proxy_pass_request_headers off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-Method \$request_method;
			proxy_set_header X-Original-URI \$request_uri;
			# Stands in for the authentication in front (\$remote_user,
			# a JWT claim, oauth2-proxy's X-Auth-Request-User ...).
			proxy_set_header X-Rolegate-User \$http_x_test_user;
			proxy_set_header X-Rolegate-Roles \$http_x_test_roles;
		}

$(chat_location rolegated)
	}
}
EOF
	} >"$N/nginx.conf"
}

# nginx before 1.19.5 has no -e: it then complains about its default log.
E=""
"$NGINX" -h 2>&1 | grep -q -- ' -e filename' && E="-e $N/logs/error.log"
NGINX_PID=""
for attempt in 1 2 3 4 5; do
	GPORT=$(random_port)
	UPORT=$(random_port)
	EPORT=$(random_port)
	XPORT=$(random_port)
	[ "$(printf '%s\n' "$GPORT" "$UPORT" "$EPORT" "$XPORT" | sort -u |
		wc -l)" -eq 4 ] || continue
	write_nginx_conf
	# shellcheck disable=SC2086
	"$NGINX" -p "$N" -c "$N/nginx.conf" $E -g 'daemon off;' \
		>"$N/logs/stdout" 2>&1 &
	NGINX_PID=$!
	PIDS="$PIDS $NGINX_PID"
	if wait_for 10 curl -sf "http://127.0.0.1:$UPORT/"; then
		break
	fi
	kill "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=""
done
if [ -z "$NGINX_PID" ]; then
	fail "nginx starts"
	sed 's/^/#   /' "$N/logs/stdout" "$N/logs/error.log" 2>/dev/null
	finish
fi
pass "nginx starts (gateway :$GPORT, upstream :$UPORT)"
GW="http://127.0.0.1:$GPORT"

# gw METHOD PATH USER [ROLES]
gw() {
	if [ -n "${4:-}" ]; then
		http "$1" "$GW$2" -H "X-Test-User: $3" -H "X-Test-Roles: $4"
	elif [ -n "$3" ]; then
		http "$1" "$GW$2" -H "X-Test-User: $3"
	else
		http "$1" "$GW$2"
	fi
}

# ---- Dynamics 365 ----
gw GET /d365/queues/support alice
expect_code 200 "d365: alice (agent) views a queue"
expect_body 'upstream ok' "d365: the upstream answered"
expect_header '^X-Echo-User: alice$' "the user reaches the upstream"
expect_header '^X-Echo-Roles: basic-user,omnichannel-agent$' "the roles reach the upstream"
expect_header '^X-Echo-Decision-Id: [0-9a-f]{16}$' "the decision id reaches the upstream"
id=$(header_value X-Echo-Decision-Id)
gw POST /d365/queues/support/agents alice
expect_code 403 "d365: alice (agent) cannot add queue agents"
gw POST /d365/queues/support/agents sofia
expect_code 200 "d365: sofia (supervisor) adds queue agents"
gw DELETE /d365/queues/support/agents sofia
expect_code 200 "d365: sofia removes queue agents"
gw POST /d365/bots sofia
expect_code 403 "d365: sofia cannot add bots"
gw POST /d365/bots adam
expect_code 200 "d365: adam (administrator) adds bots"
gw GET /d365/queues/support ""
expect_code 401 "d365: anonymous"

# ---- Rocket.Chat ----
gw GET /rc/departments/sales/analytics mona
expect_code 200 "rocketchat: mona monitors sales (unit emea)"
gw GET /rc/departments/billing/analytics mona
expect_code 403 "rocketchat: mona does not monitor billing"
gw POST /rc/units mike
expect_code 200 "rocketchat: mike (manager) manages units"
gw POST /rc/units agnes
expect_code 403 "rocketchat: agnes (agent) does not"
gw POST /rc/units ""
expect_code 401 "rocketchat: anonymous"

# ---- Omni24 ----
gw GET /omni/chats/7 olga
expect_code 200 "omni24: olga (agent) handles chats"
gw POST /omni/billing olga
expect_code 403 "omni24: olga cannot manage billing"
gw POST /omni/billing owen
expect_code 200 "omni24: owen (account owner) manages billing"
gw GET /omni/chats/7 ""
expect_code 401 "omni24: anonymous"
gw GET /omni/chats/7 nobody
expect_code 403 "omni24: an unknown user"

# ---- An ad-hoc subject, a header-only location, unmapped paths ----
gw GET /omni/billing x account-owner
expect_code 403 "roles are not used when a user is named (x is unknown)"
http GET "$GW/omni/billing" -H "X-Test-Roles: account-owner"
expect_code 200 "an ad-hoc subject with roles"
gw GET /fixed/anything olga
expect_code 200 "header-only location: chat.handle for olga"
gw GET /fixed/anything owen
expect_code 200 "header-only location: chat.handle for owen"
gw GET /fixed/anything quinn
expect_code 403 "header-only location: an unknown user"
gw GET /not/mapped olga
expect_code 403 "a path no route maps is denied"
gw GET /omni/chats/../billing olga
expect_code 403 "a dot-dot path is denied"

# ---- Headers a client makes up never reach rolegated ----
http POST "$GW/omni/billing" -H "X-Test-User: olga" -H "X-Rolegate-User: owen" \
	-H "X-Rolegate-Roles: account-owner"
expect_code 403 "a client's X-Rolegate-User and -Roles are ignored"
http POST "$GW/omni/billing" -H "X-Test-User: olga" -H "X-Rolegate-Service: omni24" \
	-H "X-Rolegate-Action: chat.handle"
expect_code 403 "a client's X-Rolegate-Action is ignored"

# ---- The shipped example, as a newcomer would use it ----
EX="http://127.0.0.1:$EPORT"
http GET "$EX/omni/chats/7" -u olga:secret
expect_code 200 "example: olga handles chats"
expect_body 'upstream ok' "example: the application answered"
expect_header '^X-Echo-User: olga$' "example: the user reaches the application"
expect_header '^X-Echo-Roles: agent$' "example: the roles reach the application"
http POST "$EX/omni/billing" -u olga:secret
expect_code 403 "example: olga cannot manage billing"
http POST "$EX/omni/billing" -u owen:secret
expect_code 200 "example: owen manages billing"
http GET "$EX/chat/room/1" -u olga:secret
expect_code 200 "example: the fixed chat location"
http GET "$EX/omni/chats/7"
expect_code 401 "example: no credentials"
http GET "$EX/omni/chats/7" -u olga:wrong
expect_code 401 "example: a wrong password"
http GET "$EX/omni/chats/7" -u olga:secret -H "X-Rolegate-User: owen"
expect_header '^X-Echo-User: olga$' "example: a client's X-Rolegate-User is replaced"

# ---- The gateway asking rolegated on its Unix socket ----
XW="http://127.0.0.1:$XPORT"
http GET "$XW/omni/chats/7" -H "X-Test-User: olga"
expect_code 200 "unix: olga (agent) handles chats"
expect_body 'upstream ok' "unix: the upstream answered"
expect_header '^X-Echo-User: olga$' "unix: the user reaches the upstream"
expect_header '^X-Echo-Decision-Id: [0-9a-f]{16}$' "unix: the decision id reaches the upstream"
uid=$(header_value X-Echo-Decision-Id)
http POST "$XW/omni/billing" -H "X-Test-User: olga"
expect_code 403 "unix: olga cannot manage billing"
http POST "$XW/omni/billing" -H "X-Test-User: owen"
expect_code 200 "unix: owen (account owner) manages billing"
http GET "$XW/d365/queues/support" -H "X-Test-User: alice"
expect_code 200 "unix: alice (agent) views a queue"
http POST "$XW/d365/queues/support/agents" -H "X-Test-User: alice"
expect_code 403 "unix: alice cannot add queue agents"
http GET "$XW/omni/chats/7"
expect_code 401 "unix: anonymous"
for i in 1 2 3; do
	http GET "$XW/fixed/anything" -H "X-Test-User: olga"
	expect_code 200 "unix, kept-alive upstream: olga handles chats ($i)"
done
http GET "$XW/fixed/anything" -H "X-Test-User: quinn"
expect_code 403 "unix, kept-alive upstream: an unknown user"
sleep 0.2
grep -q "\"id\":\"$uid\",\"endpoint\":\"authz\",\"service\":\"omni24\",\"user\":\"olga\"" \
	"$T/decisions-unix.log" &&
	pass "unix: the decision came from the rolegated on the socket" ||
	fail "unix: decision $uid is not in the socket daemon's log"
if grep -q "\"id\":\"$uid\"" "$T/decisions.log"; then
	fail "unix: the TCP rolegated was asked instead"
else
	pass "unix: the TCP rolegated was not asked"
fi

# ---- What rolegated saw ----
sleep 0.2
grep -q "\"id\":\"$id\",\"endpoint\":\"authz\",\"service\":\"dynamics365\",\"user\":\"alice\",\"action\":\"queue.view\"" \
	"$T/decisions.log" && pass "the decision log has the upstream's decision id" ||
	fail "the decision log has the upstream's decision id"
grep -q '"route":"d365-queue-agents","method":"POST","uri":"/d365/queues/support/agents"' "$T/decisions.log" &&
	pass "the route map turned the URI into an action" ||
	fail "the route map turned the URI into an action"
if grep -q 'auth request unexpected status' "$N/logs/error.log"; then
	fail "nginx never saw an unexpected status"
	grep 'unexpected' "$N/logs/error.log" | sed 's/^/#   /'
else
	pass "nginx never saw an unexpected status"
fi

kill "$NGINX_PID" 2>/dev/null
wait "$NGINX_PID" 2>/dev/null
stop_pid "$UNIX_PID"
[ "$RC" -eq 0 ] && pass "unix rolegated: SIGTERM, exit 0" ||
	fail "unix rolegated: exit $RC"
[ ! -e "$USOCK" ] && pass "unix rolegated: the socket is removed" ||
	fail "unix rolegated: the socket is still there"
stop_rolegated
[ "$RC" -eq 0 ] && pass "rolegated: SIGTERM, exit 0" || fail "rolegated: exit $RC"
finish
