#!/bin/sh
# slow.sh - slow clients cannot take the listener: a connection that
# trickles its headers is closed at header_timeout, however often a byte
# comes, while other requests are answered; max_connections_per_address
# bounds the connections of one client address.  Times are generous:
# only "closed at all, well before the idle timeout would" is asserted.
set -u
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found"

cat >"$T/slow.py" <<'PY'
import socket, sys, time

def trickle(port, count, limit):
    """count connections sending a header byte every 0.5 s; prints the
    seconds until the last was closed, or 'open' after limit seconds."""
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    conns = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        conns.append(s)
    start = time.monotonic()
    closed = {}
    i = 0
    while len(closed) < count and time.monotonic() - start < limit:
        for n, s in enumerate(conns):
            if n in closed:
                continue
            try:
                s.send(req[i:i + 1])
                if s.recv(4096) == b"":
                    closed[n] = time.monotonic() - start
            except BlockingIOError:
                pass
            except OSError:
                closed[n] = time.monotonic() - start
        i = (i + 1) % len(req)
        time.sleep(0.5)
    print("%.1f" % max(closed.values()) if len(closed) == count else "open")

def per_address(port, limit):
    """limit connections held, one more: prints whether the extra one was
    closed and whether a held one still answers."""
    held = [socket.create_connection(("127.0.0.1", port), timeout=5)
            for _ in range(limit)]
    time.sleep(0.3)
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        refused = extra.recv(4096) == b""
    except (ConnectionResetError, socket.timeout):
        refused = True
    held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n")
    answer = held[0].recv(4096).split(b" ")[1].decode()
    print("refused" if refused else "accepted", answer)

if sys.argv[1] == "trickle":
    trickle(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
else:
    per_address(int(sys.argv[2]), int(sys.argv[3]))
PY

# ---- header_timeout ----
write_config "$T/rolegate.conf" 2021 "header_timeout = 2" "request_timeout = 30"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
python3 "$T/slow.py" trickle "$PORT" 40 9 >"$T/trickle" &
tpid=$!
PIDS="$PIDS $tpid"
sleep 1
http GET "$BASE/healthz"
expect_code 200 "answered while 40 connections trickle their headers"
wait "$tpid"
took=$(cat "$T/trickle")
case $took in
open) fail "trickling connections still open after 9 s (header_timeout = 2)" ;;
*) if [ "${took%.*}" -le 6 ]; then
	pass "trickling connections closed at header_timeout ($took s)"
   else
	fail "trickling connections closed after $took s (header_timeout = 2)"
   fi ;;
esac
# A client that sends its request in time is not cut.
http GET "$BASE/healthz"
expect_code 200 "a normal request afterwards"
stop_rolegated

# ---- max_connections_per_address ----
write_config "$T/limit.conf" 2021 "max_connections_per_address = 5"
start_rolegated "$T/limit.conf" || { fail "rolegated starts (limit)"; finish; }
got=$(python3 "$T/slow.py" per_address "$PORT" 5)
case $got in
"refused 200") pass "the 6th connection from one address is refused, the 5 work" ;;
*) fail "max_connections_per_address = 5: got '$got', expected 'refused 200'" ;;
esac
http GET "$BASE/healthz"
expect_code 200 "answered once the 5 are gone"
stop_rolegated

finish
