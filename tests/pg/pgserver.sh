#!/bin/sh
# pgserver.sh - a throw-away PostgreSQL server for the directory tests.
#
#   pgserver.sh start DIR      a fresh cluster in DIR/data (initdb'd when
#                              DIR/data does not exist yet), started; its
#                              socket is in DIR, its log DIR/log, and DIR/env
#                              the shell assignments a client needs, libpq's
#                              exported (printed too)
#   pgserver.sh stop DIR       fast shutdown, then SIGKILL after a timeout
#   pgserver.sh kill DIR       SIGKILL to the server and its processes, as a
#                              crash (a fault test's); start brings it back
#   pgserver.sh restart DIR    stop, then start the same cluster
#   pgserver.sh schema DIR NAME
#                              creates schema NAME in database rolegate and
#                              prints the directory location that uses it
#   pgserver.sh standby DIR PRIMARYDIR
#                              a streaming standby of PRIMARYDIR's server
#                              (pg_basebackup -R over its socket), started
#   pgserver.sh promote DIR    the standby in DIR becomes a primary
#   pgserver.sh bindir         prints where the server programs are; exits
#                              77 when PostgreSQL is not installed
#
# PostgreSQL refuses to run as root: run as root, the server runs as
# nobody (DIR is chowned to it); otherwise as the caller.  The superuser
# is named after the caller, so that a client of the caller's (the tests)
# needs no user name.  Settings are for tests: no fsync, no TCP unless
# PGSERVER_TCP=1 (then 127.0.0.1 on a free port).  PG_BINDIR chooses the
# programs; PGSERVER_TIMEOUT (seconds, default 30) bounds every wait.
set -eu

usage() {
	sed -n '2,/^set -eu/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

die() {
	echo "pgserver: $*" >&2
	exit 1
}

# The directory of initdb, postgres and pg_ctl: PG_BINDIR, then Debian's
# PostgreSQL 15, then what pg_config names, then the newest of Debian's
# versions, then the PATH's.
find_bindir() {
	for d in ${PG_BINDIR:+"$PG_BINDIR"} /usr/lib/postgresql/15/bin \
		"$(pg_config --bindir 2>/dev/null || :)" \
		$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -t/ -k5 -rn) \
		"$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ] &&
			[ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# Sets BIN, RUNAS (the command prefix that runs as the server's user) and
# OWNER (that user, for chown; empty when not root).
init_vars() {
	BIN=$(find_bindir) || die "no PostgreSQL server programs (initdb, postgres, pg_ctl) found"
	CLIENT_USER=$(id -un)
	TIMEOUT=${PGSERVER_TIMEOUT:-30}
	if [ "$(id -u)" -eq 0 ]; then
		OWNER=nobody
		RUNAS="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups --"
	else
		OWNER=""
		RUNAS=""
	fi
}

# as_server CMD...: runs CMD as the server's user, in DIR (a server's
# user may not be able to enter the caller's directory).
as_server() {
	# shellcheck disable=SC2086
	(cd "$DIR" && exec $RUNAS "$@")
}

# set_dir DIR [create]: DIR must exist, unless create.
set_dir() {
	[ -n "${1:-}" ] || usage
	if [ "${2:-}" = create ]; then
		mkdir -p "$1"
	else
		[ -d "$1" ] || die "$1: no such directory"
	fi
	DIR=$(cd "$1" && pwd)
	DATA="$DIR/data"
	# A Unix socket's path holds at most 107 bytes.
	[ ${#DIR} -le 80 ] || die "$DIR: too long for a socket path (80 at most)"
}

# A TCP port nobody listens on, when PGSERVER_TCP=1; else one for the
# socket's name only (each server has a socket directory of its own).
pick_port() {
	if [ "${PGSERVER_TCP:-0}" = 1 ] && command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
	else
		echo 5432
	fi
}

# write_node_conf PORT: the settings that differ between two servers.
write_node_conf() {
	listen=""
	if [ "${PGSERVER_TCP:-0}" = 1 ]; then listen=127.0.0.1; fi
	cat >"$DATA/node.conf" <<CONF
port = $1
unix_socket_directories = '$DIR'
listen_addresses = '$listen'
CONF
	[ -z "$OWNER" ] || chown "$OWNER" "$DATA/node.conf"
}

# The settings for tests, after initdb's: speed over durability, room for
# three daemons and the tests, and what a standby needs.
write_conf() {
	cat >>"$DATA/postgresql.conf" <<'CONF'

# pgserver.sh: a test server.
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
shared_buffers = 32MB
wal_level = replica
max_wal_senders = 4
hot_standby = on
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
include 'node.conf'
CONF
	cat >"$DATA/pg_hba.conf" <<'CONF'
# pgserver.sh: a test server, reachable by its socket and loopback only.
local   all             all                     trust
local   replication     all                     trust
host    all             all     127.0.0.1/32    trust
host    replication     all     127.0.0.1/32    trust
CONF
}

pid_of() {
	[ -s "$DATA/postmaster.pid" ] || return 1
	p=$(head -n 1 "$DATA/postmaster.pid")
	kill -0 "$p" 2>/dev/null || return 1
	echo "$p"
}

port_of() {
	sed -n 's/^port = //p' "$DATA/node.conf"
}

write_env() {
	port=$(port_of)
	pid=$(sed -n 1p "$DATA/postmaster.pid")
	cat >"$DIR/env.tmp" <<ENV
PGHOST='$DIR'
PGPORT=$port
PGUSER='$CLIENT_USER'
PGDATABASE=rolegate
PG_PID=$pid
PG_BINDIR='$BIN'
export PGHOST PGPORT PGUSER PGDATABASE
ENV
	mv "$DIR/env.tmp" "$DIR/env"
	cat "$DIR/env"
}

psql_do() {
	"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$(port_of)" \
		-U "$CLIENT_USER" "$@"
}

# server_owns_dir: DIR is the server's, and the server's user reaches it.
server_owns_dir() {
	[ -n "$OWNER" ] || return 0
	chown "$OWNER" "$DIR"
	# shellcheck disable=SC2086,SC2016
	$RUNAS sh -c 'cd "$1"' sh "$DIR" 2>/dev/null ||
		die "$DIR: $OWNER cannot enter it (a parent folder is closed to others)"
}

do_initdb() {
	server_owns_dir
	as_server "$BIN/initdb" -D "$DATA" -U "$CLIENT_USER" --auth=trust \
		--no-locale --encoding=UTF8 --no-sync --no-instructions \
		>"$DIR/initdb.log" 2>&1 ||
		{
			cat "$DIR/initdb.log" >&2
			die "initdb failed"
		}
	write_conf
	write_node_conf "$(pick_port)"
}

do_start() {
	if pid_of >/dev/null; then
		write_env
		return 0
	fi
	fresh=0
	if [ ! -f "$DATA/PG_VERSION" ]; then
		do_initdb
		fresh=1
	fi
	[ -z "$OWNER" ] || { touch "$DIR/log" && chown "$OWNER" "$DIR/log"; }
	as_server "$BIN/pg_ctl" -D "$DATA" -l "$DIR/log" -w -t "$TIMEOUT" \
		-s start || {
		tail -n 20 "$DIR/log" >&2
		die "the server in $DIR did not start"
	}
	if [ "$fresh" = 1 ] && [ ! -f "$DATA/standby.signal" ]; then
		psql_do -d postgres -c 'CREATE DATABASE rolegate'
	fi
	write_env
}

# wait_gone PID: 0 once PID has ended, 1 after the timeout.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		[ $i -lt $((TIMEOUT * 10)) ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# The server's processes: the postmaster's children.
children_of() {
	for s in /proc/[0-9]*/stat; do
		# pid (comm) state ppid ...: comm may hold spaces, not ')'.
		sed -n "s/^\([0-9]*\) (.*) . $1 .*/\1/p" "$s" 2>/dev/null || :
	done
}

do_stop() {
	pid=$(pid_of) || return 0
	kill -INT "$pid"
	if ! wait_gone "$pid"; then
		echo "pgserver: $DIR: no fast shutdown in ${TIMEOUT}s, killing" >&2
		do_kill
	fi
}

do_kill() {
	pid=$(pid_of) || return 0
	kids=$(children_of "$pid")
	kill -KILL "$pid" 2>/dev/null || :
	for k in $kids; do kill -KILL "$k" 2>/dev/null || :; done
	wait_gone "$pid" || die "$pid survived SIGKILL"
	for k in $kids; do wait_gone "$k" || :; done
}

do_schema() {
	name=${1:-}
	case "$name" in
	"" | [!a-z_]* | *[!a-z0-9_]*) die "schema: '$name' is not a lowercase SQL name" ;;
	esac
	[ ${#name} -le 63 ] || die "schema: '$name' is longer than 63 bytes"
	pid_of >/dev/null || die "no server running in $DIR"
	psql_do -d rolegate -c "CREATE SCHEMA $name"
	echo "host=$DIR port=$(port_of) user=$CLIENT_USER dbname=rolegate options='-c search_path=$name'"
}

do_standby() {
	pdir=$(cd "${1:?standby DIR PRIMARYDIR}" && pwd)
	[ ! -e "$DATA" ] || die "$DATA exists already"
	# shellcheck disable=SC1091
	pport=$(. "$pdir/env" && echo "$PGPORT")
	server_owns_dir
	as_server "$BIN/pg_basebackup" -D "$DATA" -R -X stream -c fast \
		-h "$pdir" -p "$pport" -U "$CLIENT_USER" >"$DIR/basebackup.log" 2>&1 || {
		cat "$DIR/basebackup.log" >&2
		die "pg_basebackup from $pdir failed"
	}
	rm -f "$DATA/postmaster.pid" "$DATA/postmaster.opts"
	write_node_conf "$(pick_port)"
	do_start
}

do_promote() {
	pid_of >/dev/null || die "no server running in $DIR"
	as_server "$BIN/pg_ctl" -D "$DATA" -w -t "$TIMEOUT" -s promote
	write_env
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
bindir)
	find_bindir || exit 77
	;;
start | stop | kill | restart | schema | standby | promote)
	init_vars
	case "$cmd" in
	start | standby) set_dir "${1:-}" create ;;
	*) set_dir "${1:-}" ;;
	esac
	shift
	case "$cmd" in
	start) do_start ;;
	stop) do_stop ;;
	kill) do_kill ;;
	restart)
		do_stop
		do_start
		;;
	schema) do_schema "$@" ;;
	standby) do_standby "$@" ;;
	promote) do_promote ;;
	esac
	;;
*) usage ;;
esac
