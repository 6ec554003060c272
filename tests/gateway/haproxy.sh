#!/bin/sh
# haproxy.sh - a real HAProxy with the shipped Lua action
# (doc/haproxy/rolegate.lua, doc/haproxy/haproxy.cfg) in front of the
# application: the gateway battery (lib.sh), and a user name with a
# control character.
set -u
. "$(dirname "$0")/lib.sh"

HAPROXY=$(command -v haproxy 2>/dev/null || :)
[ -z "$HAPROXY" ] && [ -x /usr/sbin/haproxy ] && HAPROXY=/usr/sbin/haproxy
[ -n "$HAPROXY" ] || skip "haproxy not found"
"$HAPROXY" -vv 2>/dev/null | grep -q 'Built with Lua' ||
	skip "haproxy is built without Lua"

start_gateway_rolegated
start_upstream

H="$T/haproxy"
mkdir -p "$H"
EXAMPLE="$top_srcdir/doc/haproxy"
expect_count "the example" "$EXAMPLE/haproxy.cfg"
write_haproxy() {
	sed -e "s|^local rolegated = \"http://127.0.0.1:8470/v1/authz\"|local rolegated = \"http://127.0.0.1:$PORT/v1/authz\"|" \
		"$EXAMPLE/rolegate.lua" >"$H/rolegate.lua"
	sed -e "s|lua-load /etc/haproxy/rolegate.lua |lua-load $H/rolegate.lua |" \
		-e "s|^\\(\\t*\\)user alice password .*|\\1user olga insecure-password secret\\n\\1user owen insecure-password secret|" \
		-e "s|bind :80 |bind 127.0.0.1:$GPORT |" \
		-e "s|server app 127.0.0.1:8080 |server app 127.0.0.1:$UPORT |" \
		"$EXAMPLE/haproxy.cfg" >"$H/haproxy.cfg"
}

start_gateway haproxy write_haproxy "$H/out" "$HAPROXY" -db -f "$H/haproxy.cfg"
expect_marked "the example" "$EXAMPLE/haproxy.cfg" "$H/haproxy.cfg"
expect_marked "the example's Lua" "$EXAMPLE/rolegate.lua" "$H/rolegate.lua"

battery haproxy

# A deny carries rolegated's decision id.
as olga POST /omni/billing
expect_header '^X-Rolegate-Decision-Id: [0-9a-f]{16}$' "haproxy: a deny carries the decision id"

# The user name from the authentication, with a control character in it:
# refused by the action, never asked.
# (HAProxy reads "\x01" in double quotes as the byte.)
stop_gateway
bad_user() {
	write_haproxy
	sed -i 's|set-var(txn.rolegate_user) http_auth_user|set-var(txn.rolegate_user) str("olga\\x01")|' "$H/haproxy.cfg"
}
start_gateway "haproxy, a bad user name," bad_user "$H/out" \
	"$HAPROXY" -db -f "$H/haproxy.cfg"
grep -q 'str("olga' "$H/haproxy.cfg" || fail "the test could not set a user name"
before=$(wc -l <"$T/decisions.log")
LAST_PATH=/omni/chats/7
as olga GET /omni/chats/7
expect_code 403 "haproxy: a user name with a control character is refused"
expect_not_reached "haproxy: control character: the application never saw it"
sleep 0.2
[ "$(wc -l <"$T/decisions.log")" -eq "$before" ] &&
	pass "haproxy: control character: rolegated was not asked" ||
	fail "haproxy: control character: rolegated was asked"

battery_down haproxy
stop_gateway
finish
