#!/bin/sh
# run-http.sh - the HTTP part of `make bench`: rolegated over loopback with
# wrk (keep-alive), for GET /v1/authz and POST /v1/check, then nginx with
# auth_request to rolegated against the same nginx without it, and against
# the same nginx with auth_request to an upstream that does no work; both
# auth_request rows again with the upstream on a Unix socket (a second
# rolegated with listen_socket, the no-work nginx listening on one too).
#
#   run-http.sh WORKDIR DIRECTORY_DB REQUESTS
#
# Environment: top_srcdir, top_builddir (set by make), BENCH_HTTP_SECONDS
# (per measurement, default 10), BENCH_HTTP_ROUNDS (auth_request rows and
# their ceilings measured in turn this many times, default 3) and
# BENCH_HTTP_ROUND_SECONDS (per measurement there, default 5),
# BENCH_HTTP_CONNECTIONS (default 64),
# BENCH_HTTP_THREADS (wrk threads, default 2), BENCH_NGINX_WORKERS
# (default 1), ROLEGATED_ARGS (more arguments for rolegated).
#
# Every figure is a "RESULT http.*" line.  Whatever is missing (rolegated
# not built yet, no wrk, no nginx) is said and skipped; the run goes on.
set -u

work=$1
db=$2
requests=$3
srcdir=${top_srcdir:?}
builddir=${top_builddir:?}
secs=${BENCH_HTTP_SECONDS:-10}
conns=${BENCH_HTTP_CONNECTIONS:-64}
wthreads=${BENCH_HTTP_THREADS:-2}
daemon=$builddir/tools/rolegated/rolegated
dir=$work/http
dport=${BENCH_DAEMON_PORT:-18470}
nport=${BENCH_NGINX_PORT:-18480}
daemon_pid=
unix_pid=
nginx_conf=
null_conf=
# Unix socket paths have at most 107 bytes: the sockets go in $dir when it
# is short enough, else in a directory of their own under /tmp.
sockdir=

say() { echo "http: $*"; }

cleanup() {
	if [ -n "$nginx_conf" ] && [ -f "$dir/nginx-$nginx_name.pid" ]; then
		nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$nginx_conf" \
			-s stop 2>/dev/null
	fi
	if [ -n "$null_conf" ] && [ -f "$dir/nginx-nullauth-upstream.pid" ]
	then
		nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$null_conf" \
			-s stop 2>/dev/null
	fi
	for pid in $daemon_pid $unix_pid; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	daemon_pid=
	unix_pid=
	if [ -n "$sockdir" ] && [ "$sockdir" != "$dir" ]; then
		rm -rf "$sockdir"
	fi
}
trap cleanup EXIT INT TERM

# wait_http URL [CURL ARGS...]: polls URL until it answers, up to 10 s.
wait_http() {
	url=$1
	shift
	i=0
	while [ $i -lt 100 ]; do
		curl -s -o /dev/null "$@" "$url" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wrk TAG SCRIPT URL: one measurement; its RESULT lines and a summary.
run_wrk() {
	tag=$1
	script=$2
	url=$3
	out=$dir/wrk-$tag.out
	BENCH_TAG=http.$tag BENCH_REQUESTS=$requests \
	BENCH_HTTP_DIR=$srcdir/bench/http \
		wrk -t "$wthreads" -c "$conns" -d "${secs}s" -s "$script" "$url" \
		>"$out" 2>&1
	grep '^RESULT ' "$out"
	rate=$(sed -n "s/^RESULT http.$tag.requests_per_s //p" "$out")
	p99=$(sed -n "s/^RESULT http.$tag.p99_ms //p" "$out")
	say "$tag: ${rate:-?} requests/s, p99 ${p99:-?} ms"
	if [ -z "$rate" ]; then
		sed 's/^/    /' "$out"
	fi
}

if [ ! -x "$daemon" ]; then
	say "tools/rolegated/rolegated is not built (no libmicrohttpd?):" \
	    "the HTTP benchmarks are skipped"
	echo "RESULT http.available 0"
	exit 0
fi
if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1
then
	say "wrk or curl is missing (apt-get install wrk curl): skipped"
	echo "RESULT http.available 0"
	exit 0
fi
if [ ! -f "$db" ]; then
	say "no directory database $db (the library has no directory?): skipped"
	echo "RESULT http.available 0"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/www" "$dir/tmp"
echo ok >"$dir/www/index.html"
if [ "${#dir}" -le 80 ]; then
	sockdir=$dir
else
	sockdir=$(mktemp -d /tmp/rolegate-bench.XXXXXX)
fi
usock=$sockdir/rolegated.sock
nullsock=$sockdir/nullauth.sock

# start_daemon NAME LINE...: a rolegated in the background on the shipped
# configuration (policy paths made absolute) with a [rolegated] section:
# LINE... (where it listens), no decision log, no admin socket.  Written to
# $dir/NAME.conf, its output in $dir/NAME.log, its pid in started.  Both
# rolegateds start here: they differ only in where they listen.
start_daemon() {
	name=$1
	shift
	{
		sed -e "s#policy=#policy=$srcdir/policies/#" \
			-e "s#tenant=#tenant=$srcdir/policies/#" \
			-e 's#^log_level = .*#log_level = err#' \
			"$srcdir/policies/rolegate.conf"
		printf '\n[rolegated]\n'
		printf '%s\n' "$@" "decision_log = off" "admin_socket = off" \
			"authz_headers = yes"
	} >"$dir/$name.conf"
	# shellcheck disable=SC2086
	"$daemon" -c "$dir/$name.conf" --plugin-dir "$builddir/plugins/.libs" \
		--directory "$db" ${ROLEGATED_ARGS:-} >"$dir/$name.log" 2>&1 &
	started=$!
}

say "starting rolegated on 127.0.0.1:$dport"
start_daemon rolegated "address = 127.0.0.1" "port = $dport"
daemon_pid=$started
if ! wait_http "http://127.0.0.1:$dport/healthz"; then
	say "rolegated did not answer on /healthz; its output:"
	sed 's/^/    /' "$dir/rolegated.log"
	echo "RESULT http.available 0"
	exit 0
fi
echo "RESULT http.available 1"
# The share of the mix the wrk scripts send that should be denied (403).
awk -F '\t' -v max="${BENCH_HTTP_MIX:-16384}" '
	/^#/ { next }
	{ n++; if ($5 == "deny") d++; if (n >= max) exit }
	END { printf "RESULT http.expected_deny_pct %.1f\n", n ? 100 * d / n : 0 }
' "$requests"

run_wrk authz "$srcdir/bench/http/authz.lua" "http://127.0.0.1:$dport/v1/authz"
run_wrk check "$srcdir/bench/http/check.lua" "http://127.0.0.1:$dport/v1/check"

if ! command -v nginx >/dev/null 2>&1; then
	say "nginx is missing (apt-get install nginx-light): skipped"
	exit 0
fi
# The ceiling of auth_request on this machine: the same nginx asking an
# upstream that does no work at all (a second nginx answering 200 at once),
# in a process of its own as rolegated is; on loopback TCP and on a Unix
# socket.
null_conf=$dir/nginx-nullauth-upstream.conf
nullport=$((nport + 1))
cat >"$null_conf" <<EOF
worker_processes 1;
error_log $dir/nginx-nullauth-upstream-error.log warn;
pid $dir/nginx-nullauth-upstream.pid;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $dir/tmp/nbody;
	proxy_temp_path $dir/tmp/nproxy;
	fastcgi_temp_path $dir/tmp/nfastcgi;
	uwsgi_temp_path $dir/tmp/nuwsgi;
	scgi_temp_path $dir/tmp/nscgi;
	server {
		listen 127.0.0.1:$nullport;
		listen unix:$nullsock;
		location / { return 200; }
	}
}
EOF
if ! nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$null_conf"; then
	say "the no-work upstream did not start; its rows are skipped"
	null_conf=
fi
# The same rolegated on a Unix socket, for the auth_unix row; the one on
# TCP stays up, idle meanwhile.
say "starting a second rolegated on unix:$usock"
start_daemon rolegated-unix "listen_socket = $usock"
unix_pid=$started
if ! wait_http http://rolegated/healthz --unix-socket "$usock"; then
	say "the rolegated on a Unix socket did not answer; its row is" \
	    "skipped.  Its output:"
	sed 's/^/    /' "$dir/rolegated-unix.log"
	kill "$unix_pid" 2>/dev/null
	wait "$unix_pid" 2>/dev/null
	unix_pid=
fi
# Started as root, nginx would run its workers as nobody, who may not
# connect to rolegated's socket (mode 0660): they run as the user running
# this, as a gateway in rolegated's group would.
nginx_user=
[ "$(id -u)" -eq 0 ] && nginx_user="user $(id -un);"

# nginx_run NAME TAG: one measurement, under TAG, of nginx as NAME (plain,
# auth, nullauth, auth_unix or nullauth_unix); non-zero when NAME cannot
# run here (its upstream did not start) or nginx did not.
nginx_run() {
	nginx_name=$1
	auth='auth_request /_rolegate;'
	case $nginx_name in
	plain) auth='' upstream=127.0.0.1:$dport ;;
	auth) upstream=127.0.0.1:$dport ;;
	nullauth) upstream=127.0.0.1:$nullport ;;
	auth_unix) upstream=unix:$usock ;;
	nullauth_unix) upstream=unix:$nullsock ;;
	esac
	case $nginx_name in
	nullauth*) [ -n "$null_conf" ] || return 1 ;;
	auth_unix) [ -n "$unix_pid" ] || return 1 ;;
	esac
	nginx_conf=$dir/nginx-$nginx_name.conf
	sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#$nport#g" \
		-e "s#@UPSTREAM@#$upstream#g" -e "s#@NAME@#$nginx_name#g" \
		-e "s#@AUTH@#$auth#g" -e "s#@WORKERS@#${BENCH_NGINX_WORKERS:-1}#g" \
		-e "s#@USER@#$nginx_user#g" \
		"$srcdir/bench/http/nginx.conf.in" >"$nginx_conf"
	if ! nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$nginx_conf"; then
		say "nginx did not start ($nginx_name); skipped"
		nginx_conf=
		return 1
	fi
	if wait_http "http://127.0.0.1:$nport/"; then
		run_wrk "$2" "$srcdir/bench/http/authz.lua" \
			"http://127.0.0.1:$nport/"
	fi
	nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$nginx_conf" -s stop
	# Let the port go before the next server binds it.
	sleep 0.5
	nginx_conf=
}

# A row's figures, from the round of median rate, under the row's own tag,
# and its rate in every round ("http.TAG.runs", in the order of the
# rounds).  The median round, not the mean of each figure: its p50, p99
# and counts are one run's.
nginx_rounds_result() {
	tag=$1
	rates=$dir/rates-$tag
	: >"$rates"
	k=1
	while [ "$k" -le "$rounds" ]; do
		rate=$(sed -n "s/^RESULT http.$tag.round$k.requests_per_s //p" \
			"$dir/wrk-$tag.round$k.out" 2>/dev/null)
		[ -n "$rate" ] && echo "$rate $k" >>"$rates"
		k=$((k + 1))
	done
	[ -s "$rates" ] || return 0
	echo "RESULT http.$tag.runs $(cut -d' ' -f1 "$rates" | paste -sd, -)"
	k=$(sort -n "$rates" |
		awk '{ k[NR] = $2 } END { print k[int((NR + 1) / 2)] }')
	sed -n "s/^RESULT http.$tag.round$k\./RESULT http.$tag./p" \
		"$dir/wrk-$tag.round$k.out"
}

nginx_run plain nginx_plain
# Each auth_request row beside its ceiling, in rounds: this machine's load
# moves from minute to minute, and one run of each, minutes apart, once
# put the same rolegated at 99 % and at 85 % of its ceiling.  The report
# takes the ratio round by round (each pair a few seconds apart) and
# gives their median.
rounds=${BENCH_HTTP_ROUNDS:-3}
secs=${BENCH_HTTP_ROUND_SECONDS:-5}
k=1
while [ "$k" -le "$rounds" ]; do
	for name in auth nullauth auth_unix nullauth_unix; do
		nginx_run "$name" "nginx_$name.round$k"
	done
	k=$((k + 1))
done
for name in auth nullauth auth_unix nullauth_unix; do
	nginx_rounds_result "nginx_$name"
done
if [ -n "$null_conf" ]; then
	nginx -p "$dir" -e "$dir/nginx-startup.log" -c "$null_conf" -s stop
	null_conf=
fi
