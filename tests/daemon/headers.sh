#!/bin/sh
# headers.sh - request headers that cannot be read as the C strings
# libmicrohttpd hands over (a NUL inside) or that hold control characters
# are refused (400) on every endpoint, before anything decides on them;
# clean requests are answered as before; a header block larger than
# max_header gets 431, one of max_header bytes an answer.  The requests are
# sent raw over a socket, since curl will not send such bytes.
set -u
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found"

write_config "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
add_omni24_users

# raw TARGET FORMAT [ARGS...]: sends printf FORMAT ARGS (\000 is a NUL) as
# it is to TARGET (a port on 127.0.0.1, or a Unix socket path) and reads
# the answer: CODE gets the status, $T/headers the status line and
# headers, $T/body the body.
cat >"$T/raw.py" <<'PY'
import socket, sys
target, hfile, bfile = sys.argv[1:4]
data = sys.stdin.buffer.read()
if target.isdigit():
    s = socket.create_connection(("127.0.0.1", int(target)), timeout=10)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(target)
s.sendall(data)
got = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
except (socket.timeout, ConnectionResetError):
    pass
s.close()
head, _, body = got.partition(b"\r\n\r\n")
open(hfile, "wb").write(head)
open(bfile, "wb").write(body)
parts = head.split(b" ", 2)
print(parts[1].decode() if len(parts) > 1 else "none")
PY
raw() {
	target=$1
	shift
	# shellcheck disable=SC2059
	printf "$@" >"$T/request"
	CODE=$(python3 "$T/raw.py" "$target" "$T/headers" "$T/body" <"$T/request") ||
		CODE="python failed"
}

# authz_raw HEADER-LINES: GET /v1/authz with those raw header lines (printf
# escapes: \000 is a NUL).
authz_raw() {
	raw "$PORT" "GET /v1/authz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n$1\r\n"
}

# ---- Clean requests, raw, as before ----
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\r\n'
expect_code 200 "clean: an account owner on billing"
authz_raw 'X-Rolegate-User: olga\r\nX-Original-URI: /omni/billing\r\n'
expect_code 403 "clean: an agent on billing"
authz_raw 'X-Rolegate-User: olga\r\nX-Original-URI: /omni/chats/x\r\nX-Note: a\tb\r\n'
expect_code 200 "clean: a tab inside a value is allowed"

# Blank space, bare line feeds and query strings are read as they were.
authz_raw 'X-Rolegate-User:    owen\r\nX-Original-URI:\t/omni/billing\r\n'
expect_code 200 "clean: blank space around values"
raw "$PORT" 'GET /v1/authz HTTP/1.1\nHost: x\nConnection: close\nX-Rolegate-User: owen\nX-Original-URI: /omni/billing\n\n'
expect_code 200 "clean: bare line feeds"
authz_raw 'X-Rolegate-User: olga\r\nX-Original-URI: /omni/chats/x?a=b+c&&d&e=%%20f\r\n'
expect_code 200 "clean: a URI with a query"

# ---- A NUL inside a value ----
authz_raw 'X-Rolegate-User: owen\000olga\r\nX-Original-URI: /omni/billing\r\n'
expect_code 400 "a NUL inside X-Rolegate-User"
expect_header '^X-Rolegate-Reason: .*holds a NUL byte' "NUL: the reason says why"
expect_header '^X-Rolegate-Decision: deny$' "NUL: a deny"
expect_no_header '^X-Rolegate-User:' "NUL: no user echoed back"
expect_body 'holds a NUL byte' "NUL: the reason in the body"

authz_raw 'X-Rolegate-User: olga\r\nX-Original-URI: /omni/chats/x\000/../../billing\r\n'
expect_code 400 "a NUL inside X-Original-URI"
authz_raw 'X-Rolegate-User: olga\r\nX-Forwarded-Uri: /omni/chats/x\000/../../billing\r\n'
expect_code 400 "a NUL inside X-Forwarded-Uri"
authz_raw 'X-Rolegate-Roles: account-owner\000agent\r\nX-Original-URI: /omni/billing\r\n'
expect_code 400 "a NUL inside X-Rolegate-Roles"
# Any header, not only those rolegated reads: what a gateway made of it
# cannot be known.
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\r\nX-Other: a\000b\r\n'
expect_code 400 "a NUL inside a header rolegated does not read"
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\r\nX-Oth\000er: ab\r\n'
case $CODE in
200) fail "a NUL inside a header name: 200" ;;
*) pass "a NUL inside a header name: $CODE, not 200" ;;
esac

raw "$PORT" 'GET /v1/authz/omni/chats/x\000/../../billing HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Rolegate-User: olga\r\n\r\n'
case $CODE in
200) fail "a NUL inside the request line: 200" ;;
*) pass "a NUL inside the request line: $CODE, not 200" ;;
esac
raw "$PORT" 'GET /v1/authz/omni/chats/x?a=b\000/../../billing HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Rolegate-User: olga\r\n\r\n'
case $CODE in
200) fail "a NUL inside a query: 200" ;;
*) pass "a NUL inside a query: $CODE, not 200" ;;
esac

# A NUL, blanks, then a bare line feed (one NUL of its own): two NULs, as
# many as a CR LF leaves, but the blank between them shows the first to be
# the client's (found by the http fuzz target, on /readyz).
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\000 \t\nX-Note: a\r\n'
expect_code 400 "a NUL and blanks before a bare line feed"
raw "$PORT" "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Forwarded-Uri: /omni/chat\000 \t\nConnection: close\r\n\r\n"
expect_code 400 "/readyz: a NUL and blanks before a bare line feed"
raw "$PORT" "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Note: a\000\t\r\nConnection: close\r\n\r\n"
expect_code 400 "/readyz: a NUL and a tab before a line end"
# Blanks that end a value are the value's: clean.
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\r\nX-Note: a \t\r\n'
expect_code 200 "clean: blanks at the end of a value"
raw "$PORT" "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Note: a \t\nConnection: close\r\n\r\n"
expect_code 200 "clean: blanks at the end of a value, a bare line feed"

# ---- Control characters ----
# In the query too.
for q in 'a=\001' 'a=\177' 'x\033[2J=1'; do
	raw "$PORT" "GET /v1/authz?$q HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Rolegate-User: boss\r\nX-Original-URI: /omni/billing\r\n\r\n"
	expect_code 400 "a control character in the query ($q)"
done
authz_raw 'X-Rolegate-User: owen\033[2J\r\nX-Original-URI: /omni/billing\r\n'
expect_code 400 "an ESC inside X-Rolegate-User"
expect_header '^X-Rolegate-Reason: header X-Rolegate-User: its value holds a control character$' "ESC: the reason"
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/billing\001\r\n'
expect_code 400 "a 0x01 inside X-Original-URI"
authz_raw 'X-Rolegate-User: owen\177\r\nX-Original-URI: /omni/billing\r\n'
expect_code 400 "a DEL inside X-Rolegate-User"
authz_raw 'X-Rolegate-User: owen\r\nX-Original-URI: /omni/bil\rling\r\n'
case $CODE in
200) fail "a bare CR inside X-Original-URI: 200" ;;
*) pass "a bare CR inside X-Original-URI: $CODE, not 200" ;;
esac

# ---- The other endpoints ----
body='{"service":"omni24","action":"billing.manage","user":"owen"}'
len=${#body}
raw "$PORT" "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: $len\r\n\r\n%s" "$body"
expect_code 200 "clean: /v1/check"
raw "$PORT" "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\000x\r\nContent-Length: $len\r\n\r\n%s" "$body"
expect_code 400 "/v1/check: a NUL inside a header"
raw "$PORT" "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1\0009\r\n\r\n%s" "$body"
expect_code 400 "/v1/check: a NUL inside Content-Length"
raw "$PORT" "POST /v1/checks HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Trace: \033]0;x\007\r\nContent-Length: 2\r\n\r\n[]"
expect_code 400 "/v1/checks: control characters in a header"
raw "$PORT" "GET /healthz HTTP/1.1\r\nHost: x\000y\r\nConnection: close\r\n\r\n"
expect_code 400 "/healthz: a NUL inside Host"
# NULs between the path and the version hide no byte but make a request
# line other readers split otherwise (found by the http fuzz target).
raw "$PORT" "GET /healthz\000\000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
expect_code 400 "/healthz: NULs before the version"
raw "$PORT" "GET /healthz?a=b\000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
expect_code 400 "/healthz: a NUL after the query"
# What libmicrohttpd's split of a query leaves is no NUL of the client's.
raw "$PORT" "GET /healthz?a=&b&c=d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
expect_code 200 "/healthz: a query with an empty value and a bare key"

raw "$S/admin.sock" "GET /v1/admin/status HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n"
expect_code 200 "clean: the admin API"
raw "$S/admin.sock" "GET /v1/admin/status HTTP/1.1\r\nHost: admin\r\nConnection: close\r\nX-Other: a\000b\r\n\r\n"
expect_code 400 "the admin API: a NUL inside a header"
raw "$S/admin.sock" "GET /v1/admin/status HTTP/1.1\r\nHost: admin\033\r\nConnection: close\r\n\r\n"
expect_code 400 "the admin API: an ESC inside a header"

# The daemon is still there and answers.
authz -H 'X-Rolegate-User: owen' -H 'X-Original-URI: /omni/billing'
expect_code 200 "after all that, a clean request"

# ---- The header block's limit (max_header) ----
# block N: GET /healthz with a header block (request line, headers and the
# empty line that ends them) of exactly N bytes; 62 are not the padding.
block() {
	pad=$(head -c $(($1 - 62)) /dev/zero | tr '\0' p)
	raw "$PORT" "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: %s\r\n\r\n" "$pad"
}
# limits MAX: a block of MAX bytes is answered, one more byte is refused
# with 431, and so is one far past the connection's memory.
limits() {
	block "$1"
	expect_code 200 "a header block of max_header ($1) bytes"
	block $(($1 + 1))
	expect_code 431 "a header block of max_header + 1 bytes"
	expect_body "at most $1 bytes" "431 names the limit"
	block $(($1 * 3))
	expect_code 431 "a header block of 3 x max_header bytes"
	authz -H 'X-Rolegate-User: owen' -H 'X-Original-URI: /omni/billing'
	expect_code 200 "after a block too large, a clean request"
}
limits 8192 # the default
stop_rolegated
write_config "$T/rolegate.conf" 2021 "max_header = 4096"
start_rolegated "$T/rolegate.conf" || {
	fail "rolegated starts with max_header = 4096"
	finish
}
limits 4096

stop_rolegated
finish
