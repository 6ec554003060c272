# lib.sh - helpers shared by the rolegated tests.  Sourced, not run.
#
# Each test starts the built rolegated on a loopback port the kernel picks
# (port = 0; the port is read from its log), with a configuration written
# into a temporary directory: the shipped policies, the build tree's plugins,
# a directory database and an admin socket of its own.  Every wait is bounded
# in time; every process started is killed when the script exits.
#
# make check sets top_builddir, ROLEGATE_TEST_PLUGINS and ROLEGATE_POLICIES;
# run by hand from the source tree, they default to the tree it sits in.

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
: "${ROLEGATE_TEST_PLUGINS:=$top_builddir/plugins/.libs}"
: "${ROLEGATE_POLICIES:=$top_srcdir/policies}"
RGD="$top_builddir/tools/rolegated/rolegated"
unset ROLEGATE_CONFIG ROLEGATE_PLUGIN_DIR ROLEGATE_DIRECTORY

# Exit 77 (skipped) only when a tool the test needs is truly missing.
skip() {
	echo "1..0 # SKIP $1"
	exit 77
}

command -v curl >/dev/null 2>&1 || skip "curl not found"
if [ ! -x "$RGD" ]; then
	echo "not ok - $RGD is not built"
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/rolegated-test.XXXXXX")
# Unix socket paths have at most 107 bytes, and TMPDIR may be long: the
# sockets a test adds go in S, which is T when it is short enough, else a
# directory of its own under /tmp.
if [ "${#T}" -le 80 ]; then
	S=$T
else
	S=$(mktemp -d /tmp/rgd.XXXXXX)
fi
PIDS=""
PASSED=0
FAILED=0

cleanup() {
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null || :
	done
	rm -rf "$T"
	[ "$S" = "$T" ] || rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1"
	if [ -s "$T/body" ]; then head -c 2000 "$T/body" | sed 's/^/#   body: /'; echo; fi
}

finish() {
	echo "# $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it
# succeeds or the time is up.
wait_for() {
	tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# ---- Configuration ------------------------------------------------------

# Configuration lines have a length limit, and a build tree's paths can be
# long: the policies are reached through a short link next to the config.
ln -s "$ROLEGATE_POLICIES" "$T/policies"
P=policies

# The services of the shipped configuration.
services() {
	cat <<EOF
[service dynamics365]
stack = required dynamics365 policy=$P/dynamics365-${1:-2021}.ini tenant=$P/dynamics365-tenant.ini

[service dynamics365-2019]
stack = required dynamics365 policy=$P/dynamics365-2019.ini tenant=$P/dynamics365-tenant.ini

[service rocketchat]
stack = required rocketchat policy=$P/rocketchat.ini edition=enterprise tenant=$P/rocketchat-tenant.ini

[service rocketchat-community]
stack = required rocketchat policy=$P/rocketchat.ini edition=community tenant=$P/rocketchat-tenant.ini

[service omni24]
stack = required omni24 policy=$P/omni24.ini
EOF
}

# A route map that turns gateway paths into actions of each product.
routes() {
	cat <<'EOF'
[route d365-queue-agents]
method = POST DELETE
path = /d365/queues/{queue}/agents
service = dynamics365
action = queue.add-agent
attr = queue={queue}

[route d365-queues]
method = GET
path = /d365/queues/*
service = dynamics365
action = queue.view

[route d365-bots]
method = POST
path = /d365/bots
service = dynamics365
action = bot.add

[route rc-analytics]
method = GET
path = /rc/departments/{department}/analytics
service = rocketchat
action = view-livechat-analytics
attr = department={department}

[route rc-analytics-any]
method = GET
path = /rc/analytics
service = rocketchat
action = view-livechat-analytics
require = department

[route rc-units]
method = POST
path = /rc/units
service = rocketchat
action = manage-livechat-units

[route omni-chats]
method = GET POST
path = /omni/chats/*
service = omni24
action = chat.handle

[route omni-billing]
path = /omni/billing
service = omni24
action = billing.manage
EOF
}

# write_config FILE [POLICY-YEAR] [EXTRA [rolegated] LINES...]
write_config() {
	file=$1
	year=${2:-2021}
	shift
	[ $# -gt 0 ] && shift
	{
		cat <<EOF
# Written by a rolegated test.
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
directory = $T/directory.db

[rolegated]
port = 0
threads = 2
admin_socket = $S/admin.sock
decision_log = $T/decisions.log
authz_roles_header = yes
shutdown_timeout = 5
EOF
		for line in "$@"; do echo "$line"; done
		echo
		services "$year"
		echo
		routes
	} >"$file"
}

# write_unix_config FILE SOCKET [EXTRA [rolegated] LINES...]: the test
# configuration with listen_socket = SOCKET instead of a port.
write_unix_config() {
	file=$1
	sock=$2
	shift 2
	write_config "$file" 2021 "listen_socket = $sock" "$@"
	sed -i '/^port = 0$/d' "$file"
}

# need_nginx: NGINX is an nginx with auth_request, or the test is skipped.
need_nginx() {
	NGINX=$(command -v nginx 2>/dev/null || :)
	[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
	[ -n "$NGINX" ] || skip "nginx not found"
	"$NGINX" -V 2>&1 | grep -q http_auth_request_module ||
		skip "nginx lacks the auth_request module"
}

# nginx_prologue DIR: the start of a test nginx.conf up to the open http
# block: one process, no user switch, everything under DIR.
nginx_prologue() {
	cat <<EOF
# One process, no user switch: a test instance under a temporary prefix.
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 128; }
http {
	access_log $1/logs/access.log;
	client_body_temp_path $1/tmp/body;
	proxy_temp_path $1/tmp/proxy;
	fastcgi_temp_path $1/tmp/fastcgi;
	uwsgi_temp_path $1/tmp/uwsgi;
	scgi_temp_path $1/tmp/scgi;
EOF
}

# ---- The daemon ----------------------------------------------------------

RGD_PID=""
PORT=""
# The public listener's Unix socket (listen_socket), or empty for TCP: http
# then talks to it, and BASE is http://rolegated.
UNIX_SOCKET=""

# start_rolegated CONFIG [OPTIONS...]: starts it and waits until it is ready.
start_rolegated() {
	conf=$1
	shift
	: >"$T/rgd.err"
	"$RGD" -c "$conf" "$@" >"$T/rgd.out" 2>"$T/rgd.err" &
	RGD_PID=$!
	PIDS="$PIDS $RGD_PID"
	if ! wait_for 20 grep -q 'listening on' "$T/rgd.err"; then
		echo "# rolegated did not start:"
		sed 's/^/#   /' "$T/rgd.err"
		return 1
	fi
	UNIX_SOCKET=$(sed -n 's/.*listening on unix:\(.*\) ([0-9]* threads*)$/\1/p' "$T/rgd.err" | head -n 1)
	if [ -n "$UNIX_SOCKET" ]; then
		PORT=""
		BASE="http://rolegated"
	else
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/rgd.err" | head -n 1)
		BASE="http://127.0.0.1:$PORT"
	fi
	wait_for 10 curl -sf ${UNIX_SOCKET:+--unix-socket} ${UNIX_SOCKET:+"$UNIX_SOCKET"} "$BASE/readyz"
}

# running PID: the process exists and is not a zombie.
running() {
	[ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'
}

# stop_pid PID [SIGNAL]: stops a daemon this shell started (SIGTERM by
# default) and sets RC to its exit status; a process still there after 15 s
# is killed (RC 137).
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null || :
	(sleep 15 && kill -9 "$1") >/dev/null 2>&1 &
	killer=$!
	wait "$1" 2>/dev/null
	RC=$?
	kill "$killer" 2>/dev/null || :
}

# stop_rolegated [SIGNAL]: stop_pid for the rolegated start_rolegated started.
stop_rolegated() {
	stop_pid "$RGD_PID" "$@"
}

# ---- HTTP -----------------------------------------------------------------

CODE=""

# http METHOD URL [CURL ARGS...]: CODE gets the status, $T/body the body,
# $T/headers the headers.  Over UNIX_SOCKET when it is set (a --unix-socket
# among the arguments wins).
http() {
	method=$1
	url=$2
	shift 2
	CODE=$(curl -s -m 10 -X "$method" -o "$T/body" -D "$T/headers" \
		-w '%{http_code}' ${UNIX_SOCKET:+--unix-socket} \
		${UNIX_SOCKET:+"$UNIX_SOCKET"} "$@" "$url") || CODE="curl failed"
}

# post PATH JSON [CURL ARGS...]
post() {
	path=$1
	data=$2
	shift 2
	http POST "$BASE$path" -H 'Content-Type: application/json' \
		--data-binary "$data" "$@"
}

# admin METHOD PATH [JSON]: the admin API over its Unix socket.
admin() {
	if [ $# -ge 3 ]; then
		http "$1" "http://admin$2" --unix-socket "$S/admin.sock" \
			--data-binary "$3"
	else
		http "$1" "http://admin$2" --unix-socket "$S/admin.sock"
	fi
}

# authz [CURL ARGS...]: GET /v1/authz with those headers.
authz() {
	http GET "$BASE/v1/authz" "$@"
}

# Two omni24 users through the admin API: olga (agent) and owen
# (account-owner).
add_omni24_users() {
	admin POST /v1/admin/txn '{"service":"omni24","ops":[
 {"op":"user.add","id":"olga"},
 {"op":"assign","user":"olga","role":"agent"},
 {"op":"user.add","id":"owen"},
 {"op":"assign","user":"owen","role":"account-owner"}]}'
	expect_code 200 "omni24 users"
}

expect_code() {
	if [ "$CODE" = "$1" ]; then
		pass "$2: $1"
	else
		fail "$2: status $CODE, expected $1"
	fi
}

# expect_body STRING WHAT: the body contains STRING (fixed string).
expect_body() {
	if grep -qF -- "$1" "$T/body"; then
		pass "$2"
	else
		fail "$2: body lacks $1"
	fi
}

expect_no_body() {
	if grep -qF -- "$1" "$T/body"; then
		fail "$2: body has $1"
	else
		pass "$2"
	fi
}

# expect_header REGEX WHAT: some header line matches (case-insensitive).
expect_header() {
	if tr -d '\r' <"$T/headers" | grep -Eqi -- "$1"; then
		pass "$2"
	else
		fail "$2: no header matches /$1/"
		sed 's/^/#   header: /' "$T/headers"
	fi
}

expect_no_header() {
	if tr -d '\r' <"$T/headers" | grep -Eqi -- "$1"; then
		fail "$2: a header matches /$1/"
	else
		pass "$2"
	fi
}

# expect_decision DECISION STATUS WHAT: a /v1/check answer.
expect_decision() {
	if [ "$CODE" = 200 ] && grep -qF "\"decision\":\"$1\"" "$T/body" &&
		grep -qF "\"status\":\"$2\"" "$T/body" &&
		grep -Eq '"decision_id":"[0-9a-f]{16}"' "$T/body"; then
		pass "$3: $1 ($2)"
	else
		fail "$3: status $CODE, expected 200 $1 ($2) with a decision_id"
	fi
}

# header_value NAME: the value of a header of the last answer.
header_value() {
	tr -d '\r' <"$T/headers" | sed -n "s/^$1: //Ip" | head -n 1
}
