# lib.sh - helpers of the PostgreSQL fault tests (replicas.sh, outage.sh,
# standby.sh).  Sourced, not run.
#
# On top of tests/daemon/lib.sh (pass, fail, finish, http, the temporary
# folders T and S and the cleanup of the processes in PIDS): servers
# started with pgserver.sh in folders under S, stopped however the test
# ends, and rolegated replicas on loopback ports the kernel picks, each
# with a configuration of its own naming the same directory.  A test is
# skipped (77) only when PostgreSQL's server programs, or a tool it names
# with need, are not installed.

. "$(dirname "$0")/../daemon/lib.sh"

PGS="$top_srcdir/tests/pg/pgserver.sh"
ROLEGATE="$top_builddir/tools/rolegate"
sh "$PGS" bindir >/dev/null 2>&1 ||
	skip "PostgreSQL's server programs are not installed"

# need TOOL...: each TOOL is on PATH, or the test is skipped.
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
	done
}

# The servers' folders: S when short enough for "FOLDER/NAME" and the
# socket in it (pgserver.sh takes 80 bytes at most), else one of their own
# under /tmp.  Run as root, the servers run as nobody, who must reach them.
if [ "${#S}" -le 60 ]; then
	PGD=$S
else
	PGD=$(mktemp -d /tmp/rgpg.XXXXXX)
fi
chmod 711 "$PGD"

# The servers started (their folders), stopped at exit before the
# folders are removed.
SERVERS=""

pg_cleanup() {
	for dir in $SERVERS; do
		sh "$PGS" kill "$dir" >/dev/null 2>&1 || :
	done
	[ "$PGD" = "$S" ] || rm -rf "$PGD"
	cleanup
}
trap pg_cleanup EXIT

# pg SUBCOMMAND DIR [ARGS...]: pgserver.sh, its output in $T/pgserver.out
# (shown on failure).
pg() {
	if sh "$PGS" "$@" >"$T/pgserver.out" 2>&1; then
		return 0
	fi
	echo "# pgserver.sh $*:"
	sed 's/^/#   /' "$T/pgserver.out"
	return 1
}

# server_dir NAME: $PGD/NAME, kept in SERVERS to be killed at exit.
server_dir() {
	case " $SERVERS " in
	*" $PGD/$1 "*) ;;
	*) SERVERS="$SERVERS $PGD/$1" ;;
	esac
}

# pg_start NAME: a server in $PGD/NAME (made on first start).
pg_start() {
	server_dir "$1"
	pg start "$PGD/$1"
}

# pg_standby NAME PRIMARY: a streaming standby of server PRIMARY in
# $PGD/NAME, started.
pg_standby() {
	server_dir "$1"
	pg standby "$PGD/$1" "$PGD/$2"
}

# pg_port NAME: the port of server NAME (its socket's name).
pg_port() {
	(
		# shellcheck disable=SC1090
		. "$PGD/$1/env" >/dev/null && echo "$PGPORT"
	)
}

# ms: milliseconds on the clock, for the figures a test prints.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# pg_location NAME SCHEMA: makes SCHEMA on server NAME and sets LOCATION
# to the directory location using it.
pg_location() {
	pg schema "$PGD/$1" "$2" || return 1
	LOCATION=$(tail -n 1 "$T/pgserver.out")
}

# ---- Replicas ----------------------------------------------------------------

# replica_config FILE LOCATION [EXTRA [rolegated] LINES...]: omni24 on the
# shipped policy, the directory at LOCATION read again every REFRESH_MS
# (default 1000) besides its announcements, a loopback port the kernel
# picks, no admin socket unless a line names one.
replica_config() {
	file=$1
	location=$2
	shift 2
	{
		cat <<CONF
# Written by a PostgreSQL fault test.
[rolegate]
plugin_dir = $ROLEGATE_TEST_PLUGINS
directory = $location
directory_refresh_ms = ${REFRESH_MS:-1000}

[rolegated]
port = 0
threads = 2
shutdown_timeout = 5
CONF
		printf '%s\n' "$@"
		case " $* " in
		*admin_socket*) ;;
		*) echo "admin_socket = off" ;;
		esac
		cat <<CONF

[service omni24]
stack = required omni24 policy=$P/omni24.ini
CONF
	} >"$file"
}

# start_replica N CONFIG: rolegated number N, in the background, its
# output in $T/rN.err; sets PORT_N once it listens (ready or not: its
# directory may be out of reach).
start_replica() {
	n=$1
	: >"$T/r$n.err"
	"$RGD" -c "$2" >"$T/r$n.out" 2>"$T/r$n.err" &
	eval "PID_$n=$!"
	PIDS="$PIDS $!"
	if ! wait_for 30 grep -q 'listening on' "$T/r$n.err"; then
		echo "# rolegated $n did not start:"
		sed 's/^/#   /' "$T/r$n.err"
		return 1
	fi
	eval "PORT_$n=\$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \"\$T/r$n.err\" | head -n 1)"
}

# port_of N: the port of replica N.
port_of() {
	eval "echo \"\$PORT_$1\""
}

# decision_on N USER [ACTION]: prints what replica N answers for USER's
# omni24 ACTION (chat.handle): allow, deny, or the HTTP failure.
decision_on() {
	out=$(curl -s -m 5 -X POST "http://127.0.0.1:$(port_of "$1")/v1/check" \
		-H 'Content-Type: application/json' --data-binary \
		"{\"service\":\"omni24\",\"user\":\"$2\",\"action\":\"${3:-chat.handle}\"}") ||
		{
			echo "curl failed"
			return 0
		}
	case "$out" in
	*'"decision":"allow"'*) echo allow ;;
	*'"decision":"deny"'*) echo deny ;;
	*) echo "unexpected answer: $out" ;;
	esac
}

# ready_on N: prints replica N's /readyz status and first line.
ready_on() {
	curl -s -m 5 -w ' %{http_code}' "http://127.0.0.1:$(port_of "$1")/readyz" |
		tr -d '\n'
}

# wait_decision SECONDS N USER DECISION: replica N answers DECISION for
# USER within SECONDS.
wait_decision() {
	tries=$(($1 * 10))
	while [ "$tries" -gt 0 ]; do
		[ "$(decision_on "$2" "$3")" = "$4" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# wait_ready SECONDS N CODE: replica N's /readyz answers CODE within
# SECONDS.
wait_ready() {
	tries=$(($1 * 10))
	while [ "$tries" -gt 0 ]; do
		case "$(ready_on "$2")" in
		*" $3") return 0 ;;
		esac
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# rg CONFIG ARGS...: the rolegate CLI on CONFIG; its output in $T/rg.out.
rg() {
	conf=$1
	shift
	"$ROLEGATE" -c "$conf" "$@" >"$T/rg.out" 2>&1
}

# add_users CONFIG: olga (omni24's agent) and ben (no role), with the CLI
# on CONFIG; the first change makes the directory's tables.
add_users() {
	if rg "$1" user add omni24 olga && rg "$1" assign omni24 olga agent &&
		rg "$1" user add omni24 ben; then
		pass "users olga (agent) and ben (no role)"
	else
		fail "users olga and ben: $(cat "$T/rg.out")"
		return 1
	fi
}

# change_seen WHAT USER DECISION N...: replicas N... answer DECISION for
# USER within 10 s of the change WHAT.
change_seen() {
	what=$1
	user=$2
	want=$3
	shift 3
	for n in "$@"; do
		if wait_decision 10 "$n" "$user" "$want"; then
			pass "replica $n sees $what"
		else
			fail "replica $n sees $what: $user $(decision_on "$n" "$user")"
		fi
	done
}

# stop_replicas N...: SIGTERM; each exits 0.
stop_replicas() {
	for n in "$@"; do
		stop_pid "$(eval "echo \$PID_$n")"
		if [ "$RC" -eq 0 ]; then
			pass "replica $n stops: exit 0"
		else
			fail "replica $n stops: exit $RC"
			sed 's/^/#   /' "$T/r$n.err"
		fi
	done
}

# ---- Load ------------------------------------------------------------------

# The wrk script: POST /v1/check for USER's omni24 chat.handle on every
# connection, a pause of DELAY ms between a connection's requests (the
# machine is shared: load, not saturation), and at the end a line
# "ANSWERS <allow> <deny> <other>" counting the decisions.
write_load_script() {
	cat >"$T/load.lua" <<'LUA'
-- load.lua - POST /v1/check for one directory user, counting decisions.
local threads = {}
local user = os.getenv("LOAD_USER") or "olga"
local pause = tonumber(os.getenv("LOAD_DELAY_MS") or "2")
local body = '{"service":"omni24","user":"' .. user ..
  '","action":"chat.handle"}'
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  allow, deny, other = 0, 0, 0
end

function request()
  return wrk.format("POST", "/v1/check", headers, body)
end

function delay()
  return pause
end

function response(status, headers, body)
  if body:find('"decision":"allow"', 1, true) then
    allow = allow + 1
  elseif body:find('"decision":"deny"', 1, true) then
    deny = deny + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, d, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("allow")
    d = d + t:get("deny")
    o = o + t:get("other")
  end
  io.write(string.format("ANSWERS %d %d %d\n", a, d, o))
end
LUA
}

# start_load N: wrk on replica N (one thread, 2 connections), until
# stop_load; its report in $T/wrkN.out.
start_load() {
	LOAD_USER=${LOAD_USER:-olga} wrk -t 1 -c 2 -d 120s -s "$T/load.lua" \
		"http://127.0.0.1:$(port_of "$1")" >"$T/wrk$1.out" 2>&1 &
	eval "WRK_$1=$!"
	PIDS="$PIDS $!"
}

# stop_load N WHAT: stops replica N's wrk (SIGINT: it reports) and checks
# its report: requests made, no socket error, no answer but 2xx, every
# decision allow.
stop_load() {
	eval "pid=\$WRK_$1"
	kill -INT "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null
	report=$T/wrk$1.out
	requests=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$report")
	answers=$(sed -n 's/^ANSWERS //p' "$report")
	set -- "$1" "$2" $answers
	if [ -z "$requests" ] || [ "$requests" -eq 0 ] || [ $# -ne 5 ]; then
		fail "$2: replica $1: no load report"
		sed 's/^/#   /' "$report"
		return
	fi
	if grep -q 'Socket errors\|Non-2xx or 3xx responses' "$report"; then
		fail "$2: replica $1: failed answers"
		sed 's/^/#   /' "$report"
	elif [ "$4" -ne 0 ] || [ "$5" -ne 0 ]; then
		fail "$2: replica $1: $4 denies and $5 other answers of $requests"
	else
		pass "$2: replica $1: $requests answers, all 200 and allow"
	fi
}
