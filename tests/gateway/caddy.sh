#!/bin/sh
# caddy.sh - a real Caddy (forward_auth) in front of the application, with
# the shipped doc/caddy/Caddyfile: the gateway battery (lib.sh).
set -u
. "$(dirname "$0")/lib.sh"

CADDY=$(command -v caddy 2>/dev/null || :)
[ -n "$CADDY" ] || skip "caddy not found"

start_gateway_rolegated "authz_uri_from = X-Forwarded-Uri"
start_upstream

# Caddy keeps its state under XDG directories: this test's own.
C="$T/caddy"
mkdir -p "$C/data" "$C/config"
export XDG_DATA_HOME="$C/data" XDG_CONFIG_HOME="$C/config" HOME="$C"
HASH=$("$CADDY" hash-password --plaintext secret) || {
	fail "caddy hash-password"
	finish
}

EXAMPLE="$top_srcdir/doc/caddy/Caddyfile"
expect_count "the example" "$EXAMPLE"
write_caddy() {
	sed -e "s|^http://app.example.com {.*|http://127.0.0.1:$GPORT {|" \
		-e "s|^\\(\\t*\\)alice [^ ]* .*|\\1olga $HASH\\n\\1owen $HASH|" \
		-e "s|forward_auth 127.0.0.1:8470 {.*|forward_auth 127.0.0.1:$PORT {|" \
		-e "s|reverse_proxy 127.0.0.1:8080 .*|reverse_proxy 127.0.0.1:$UPORT|" \
		"$EXAMPLE" >"$C/Caddyfile"
}
start_gateway caddy write_caddy "$C/out" \
	"$CADDY" run --adapter caddyfile --config "$C/Caddyfile"
expect_marked "the example" "$EXAMPLE" "$C/Caddyfile"

battery caddy

# A deny, as the client sees it: rolegated's status and JSON body.
as olga POST /omni/billing
expect_header '^Content-Type: application/json' "caddy: a deny's JSON body reaches the client"
expect_body '"decision":"deny"' "caddy: the body says deny"

expect_header '^X-Rolegate-Reason: ' "caddy: the reason reaches the client by default"

# The example's way of hiding reasons: its two commented header lines.
stop_gateway
hide() {
	write_caddy
	sed -i 's|^\(\t*\)# header -X-Rolegate-|\1header -X-Rolegate-|' "$C/Caddyfile"
}
start_gateway "caddy, reasons hidden," hide "$C/out" \
	"$CADDY" run --adapter caddyfile --config "$C/Caddyfile"
as olga POST /omni/billing
expect_code 403 "caddy, reasons hidden: olga cannot manage billing"
expect_no_header '^X-Rolegate-Reason:' "caddy, reasons hidden: no reason header"
expect_no_header '^X-Rolegate-Route:' "caddy, reasons hidden: no route header"
expect_header '^X-Rolegate-Decision-Id: [0-9a-f]{16}$' "caddy, reasons hidden: the decision id is told"
as olga GET /omni/chats/7
expect_code 200 "caddy, reasons hidden: olga handles chats"

battery_down caddy
stop_gateway
finish
