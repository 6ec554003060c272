#!/bin/sh
# authz.sh - /v1/authz, the forward-auth endpoint, spoken to directly the
# way nginx, Traefik and Envoy speak to it: the question in X-Rolegate-*
# headers, or the original method and URI through the route map.
set -u
. "$(dirname "$0")/lib.sh"

write_config "$T/rolegate.conf"
start_rolegated "$T/rolegate.conf" || { fail "rolegated starts"; finish; }
add_omni24_users

# reload_with WHAT [EXTRA [rolegated] LINES...]: the test configuration
# with those lines, reloaded through the admin API.
reload_with() {
	what=$1
	shift
	write_config "$T/rolegate.conf" 2021 "$@"
	admin POST /v1/admin/reload
	expect_code 200 "reload with $what"
}

AGENT="X-Rolegate-Roles: agent"
SUP="X-Rolegate-Roles: basic-user,omnichannel-supervisor"

# A route to a privilege the department scopes that neither builds nor
# requires one: a warning in rolegated's check (-t) and in rolegate lint;
# not for the routes that do (rc-analytics, rc-analytics-any).
write_config "$T/scoped.conf" 2021 "[route rc-queue]" "method = GET" \
	"path = /rc/queue" "service = rocketchat" "action = view-livechat-queue"
scoped='\[route rc-queue\]: view-livechat-queue is scoped by attribute department'
"$RGD" -t -c "$T/scoped.conf" >"$T/check.out" 2>&1
check_rc=$?
[ "$check_rc" -eq 0 ] && grep -q "warning: .*$scoped" "$T/check.out" &&
	pass "rolegated -t: a route to a scoped privilege without its attribute" ||
	fail "rolegated -t: exit $check_rc, $(cat "$T/check.out")"
"$top_builddir/tools/rolegate" -c "$T/scoped.conf" lint >"$T/lint.out" 2>&1
lint_rc=$?
[ "$lint_rc" -eq 0 ] && grep -q "warning: $scoped" "$T/lint.out" &&
	pass "lint: a route to a scoped privilege without its attribute" ||
	fail "lint: exit $lint_rc, $(cat "$T/lint.out")"
! grep -q 'route rc-analytics' "$T/lint.out" &&
	pass "lint: routes that build or require the scope: no warning" ||
	fail "lint: $(cat "$T/lint.out")"

# An empty [route NAME] (a section without keys, say its keys went to the
# section after it) is an error naming file:line, not a route that never was.
write_config "$T/empty.conf" 2021 "[route nothing]"
line=$(grep -n '^\[route nothing\]$' "$T/empty.conf" | cut -d: -f1)
"$RGD" -t -c "$T/empty.conf" >"$T/check.out" 2>&1
check_rc=$?
[ "$check_rc" -ne 0 ] &&
	grep -q "empty.conf:$line: \[route nothing\] is empty" "$T/check.out" &&
	pass "rolegated -t: an empty [route NAME] is an error at file:line" ||
	fail "rolegated -t: empty route: exit $check_rc, $(cat "$T/check.out")"
"$top_builddir/tools/rolegate" -c "$T/empty.conf" lint >"$T/lint.out" 2>&1
lint_rc=$?
[ "$lint_rc" -ne 0 ] &&
	grep -q "empty.conf:$line: .*\[route nothing\] is empty" "$T/lint.out" &&
	pass "lint: an empty [route NAME] is an error at file:line" ||
	fail "lint: empty route: exit $lint_rc, $(cat "$T/lint.out")"
write_config "$T/uri.conf" 2021 "authz_uri_from = X-Forwarded-Method"
"$RGD" -t -c "$T/uri.conf" >"$T/check.out" 2>&1 &&
	fail "rolegated -t: a bad authz_uri_from is accepted" ||
	grep -q "authz_uri_from = 'X-Forwarded-Method': expected" "$T/check.out" &&
	pass "rolegated -t: a bad authz_uri_from is refused" ||
	fail "rolegated -t: bad authz_uri_from: $(cat "$T/check.out")"
"$top_builddir/tools/rolegate" -c "$T/uri.conf" lint >"$T/lint.out" 2>&1
lint_rc=$?
[ "$lint_rc" -ne 0 ] && grep -q "uri.conf:[0-9]*: .*authz_uri_from = 'X-Forwarded-Method': expected" "$T/lint.out" &&
	pass "lint: a bad authz_uri_from is refused at file:line" ||
	fail "lint: bad authz_uri_from: exit $lint_rc, $(cat "$T/lint.out")"

# ---- The question in headers ----
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H "$AGENT"
expect_code 200 "headers: an allowed action"
expect_header '^X-Rolegate-Decision-Id: [0-9a-f]{16}$' "allow: decision id header"
expect_header '^X-Rolegate-Reason: omni24: agent grants chat.handle$' "allow: reason header"
expect_header '^X-Rolegate-Roles: agent$' "allow: roles header"
expect_header '^X-Rolegate-Decision: allow$' "allow: decision header"
id=$(header_value X-Rolegate-Decision-Id)
if [ -s "$T/body" ]; then
	fail "allow: the answer has a body (nginx would drop the connection)"
else
	pass "allow: no body, so that nginx keeps its connection"
fi

authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: billing.manage' -H "$AGENT"
expect_code 403 "headers: a denied action"
expect_header '^X-Rolegate-Reason: omni24: no role of the subject grants billing.manage' "deny: reason header"
expect_no_header '^X-Rolegate-Roles:' "deny: no roles header"
expect_no_header '^WWW-Authenticate:' "deny: no challenge on 403"
id403=$(header_value X-Rolegate-Decision-Id)
expect_body "\"decision_id\":\"$id403\"" "403: the body has the decision id"
expect_body '"reason":"omni24: no role of the subject grants billing.manage' \
	"403: the body has the reason"

authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle'
expect_code 401 "headers: no user"
expect_header '^X-Rolegate-Reason: no user$' "401 says why"
expect_header '^WWW-Authenticate: Bearer realm="rolegated"$' "401 has a challenge"
expect_header '^Content-Type: application/json' "401: a JSON body"
id401=$(header_value X-Rolegate-Decision-Id)
expect_body "{\"decision\":\"deny\",\"decision_id\":\"$id401\",\"status\":\"ENOUSER\",\"reason\":\"no user\"" \
	"401: the body has the decision id and the reason"

authz -H 'X-Rolegate-Service: nosuch' -H 'X-Rolegate-Action: chat.handle' -H "$AGENT"
expect_code 403 "headers: an unknown service"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.fly' -H "$AGENT"
expect_code 403 "headers: an unknown action"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Rolegate-Roles: wizard'
expect_code 403 "headers: an unknown role"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Rolegate-User: nobody'
expect_code 403 "headers: an unknown user"
authz -H 'X-Rolegate-Action: chat.handle' -H "$AGENT"
expect_code 403 "headers: an action without a service"
expect_header '^X-Rolegate-Reason: no service' "no service: reason"

# Any method, any sub-path, a body is ignored; never a redirect.
for m in POST PUT DELETE PATCH OPTIONS; do
	http "$m" "$BASE/v1/authz/some/where" -H 'X-Rolegate-Service: omni24' \
		-H 'X-Rolegate-Action: chat.handle' -H "$AGENT" --data-binary 'ignored'
	expect_code 200 "headers: $m with a body"
done

# A header given twice is ambiguous: denied.
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' \
	-H 'X-Rolegate-User: alice' -H 'X-Rolegate-User: bob'
expect_code 403 "a duplicated X-Rolegate-User"
expect_header '^X-Rolegate-Reason: header X-Rolegate-User given more than once' "duplicate: reason"

# Attributes and subject attributes from headers (Rocket.Chat monitors).
MON="X-Rolegate-Roles: livechat-monitor"
authz -H 'X-Rolegate-Service: rocketchat' -H 'X-Rolegate-Action: view-livechat-analytics' \
	-H "$MON" -H 'X-Rolegate-Attr-Department: sales' -H 'X-Rolegate-Subject-Units: emea'
expect_code 200 "headers: a monitor of the department's unit"
authz -H 'X-Rolegate-Service: rocketchat' -H 'X-Rolegate-Action: view-livechat-analytics' \
	-H "$MON" -H 'X-Rolegate-Attr-Department: billing' -H 'X-Rolegate-Subject-Units: emea'
expect_code 403 "headers: a monitor of another unit"

# At most 16 attribute headers; names are case-insensitive.
set -- -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H "$AGENT"
i=1
while [ "$i" -le 16 ]; do
	set -- "$@" -H "X-Rolegate-Attr-A$i: v"
	i=$((i + 1))
done
authz "$@"
expect_code 200 "16 attribute headers"
authz "$@" -H 'X-Rolegate-Attr-A17: v'
expect_code 403 "17 attribute headers"
expect_header '^X-Rolegate-Reason: too many attribute headers' "17 attributes: reason"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H "$AGENT" \
	-H 'X-Rolegate-Attr-Bu: a' -H 'x-rolegate-attr-bu: b'
expect_code 403 "an attribute given twice"
set --

# ---- The route map: Envoy (path under the prefix) ----
reload_with "authz_uri_from = path (Envoy)" "authz_uri_from = path"
http POST "$BASE/v1/authz/d365/queues/support/agents" -H "$SUP"
expect_code 200 "envoy: POST queue agents as supervisor"
expect_header '^X-Rolegate-Route: d365-queue-agents$' "envoy: the route is named"
http POST "$BASE/v1/authz/d365/queues/support/agents" -H 'X-Rolegate-Roles: basic-user,omnichannel-agent'
expect_code 403 "envoy: POST queue agents as agent"
http GET "$BASE/v1/authz/d365/queues/support/agents?page=2" -H 'X-Rolegate-Roles: basic-user,omnichannel-agent'
expect_code 200 "envoy: GET under /d365/queues/ is queue.view"
http PUT "$BASE/v1/authz/d365/queues/support/agents" -H "$SUP"
expect_code 403 "envoy: a method no route takes"
expect_header '^X-Rolegate-Reason: no route$' "no route: reason"
http GET "$BASE/v1/authz/omni/chats/42" -H "$AGENT"
expect_code 200 "envoy: omni24 chats"
http GET "$BASE/v1/authz/omni/billing" -H "$AGENT"
expect_code 403 "envoy: omni24 billing (any method) as agent"
http GET "$BASE/v1/authz/omni/billing" -H 'X-Rolegate-Roles: account-owner'
expect_code 200 "envoy: omni24 billing as account owner"
http GET "$BASE/v1/authz/elsewhere" -H "$AGENT"
expect_code 403 "envoy: an unmapped path"
http GET "$BASE/v1/authz" -H "$AGENT"
expect_code 403 "no URI at all: no route"
http GET "$BASE/v1/authz/omni/chats/42" -H "$AGENT" -H 'X-Original-URI: /omni/billing'
expect_code 403 "envoy: an X-Original-URI beside the path is refused"
expect_header '^X-Rolegate-Reason: X-Original-URI conflicts with a path under /v1/authz \(authz_uri_from = path\)$' \
	"envoy: a second source: reason"

# ---- Traefik (X-Forwarded-*) ----
reload_with "authz_uri_from = X-Forwarded-Uri (Traefik)" "authz_uri_from = X-Forwarded-Uri"
authz -H 'X-Forwarded-Method: POST' -H 'X-Forwarded-Uri: /rc/units' -H 'X-Rolegate-Roles: livechat-manager'
expect_code 200 "traefik: a manager manages units"
authz -H 'X-Forwarded-Method: POST' -H 'X-Forwarded-Uri: /rc/units' -H 'X-Rolegate-Roles: livechat-agent'
expect_code 403 "traefik: an agent does not"
authz -H 'X-Forwarded-Method: POST' -H 'X-Forwarded-Uri: /rc/units' \
	-H 'X-Original-Method: GET' -H 'X-Rolegate-Roles: livechat-manager'
expect_code 403 "traefik: a second method header that differs is refused"
expect_header '^X-Rolegate-Reason: X-Original-Method conflicts with X-Forwarded-Uri' \
	"traefik: a second method header: reason"
authz -H 'X-Forwarded-Method: POST' -H 'X-Forwarded-Uri: /rc/units' \
	-H 'X-Original-Method: POST' -H 'X-Original-URI: /rc/units' -H 'X-Rolegate-Roles: livechat-manager'
expect_code 200 "traefik: a second source that says the same is no conflict"

# ---- nginx (X-Original-*, the default) ----
reload_with "the default authz_uri_from (nginx)"
authz -H 'X-Original-Method: DELETE' -H 'X-Original-URI: /d365/queues/vip/agents' -H "$SUP"
expect_code 200 "nginx: DELETE queue agents as supervisor"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/departments/sales/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea'
expect_code 200 "nginx: the department comes from the path"
# The route's own attribute wins over a header's.
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/departments/billing/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea' -H 'X-Rolegate-Attr-Department: sales'
expect_code 403 "a header cannot override the route's attribute"
# A route that requires an attribute: without it (or empty), 403 saying so;
# with it, decided as before.
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea'
expect_code 403 "a route's required attribute missing"
expect_header '^X-Rolegate-Reason: route rc-analytics-any requires attribute department' \
	"required attribute missing: reason"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea' -H 'X-Rolegate-Attr-Department;'
expect_code 403 "a route's required attribute empty"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea' -H 'X-Rolegate-Attr-Department: sales'
expect_code 200 "a route's required attribute from a header: allowed"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /rc/analytics' \
	-H "$MON" -H 'X-Rolegate-Subject-Units: emea' -H 'X-Rolegate-Attr-Department: billing'
expect_code 403 "a route's required attribute from a header: another unit denied"
expect_header '^X-Rolegate-Reason: rocketchat' "another unit: the plugin's reason"
# Only the pinned source decides: a client's X-Forwarded-Uri beside the
# gateway's X-Original-URI is refused, whatever route it names.
authz -H 'X-Forwarded-Method: POST' -H 'X-Forwarded-Uri: /rc/units' \
	-H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/1' -H 'X-Rolegate-Roles: livechat-manager'
expect_code 403 "X-Forwarded-* beside X-Original-* is refused"
expect_header '^X-Rolegate-Reason: X-Forwarded-Uri conflicts with X-Original-URI \(authz_uri_from = X-Original-URI\)$' \
	"a second source: reason"
authz -H 'X-Forwarded-Uri: /omni/chats/1' -H 'X-Rolegate-Roles: agent'
expect_code 403 "X-Forwarded-Uri alone is not read by default"
http GET "$BASE/v1/authz/omni/chats/1" -H 'X-Rolegate-Roles: agent'
expect_code 403 "a path under /v1/authz is not read by default"

# Encoded and ambiguous paths.
authz -H 'X-Original-Method: POST' -H 'X-Original-URI: /d365/%71ueues/vip/agents' -H "$SUP"
expect_code 200 "an encoded letter matches its route"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/../billing' -H "$AGENT"
expect_code 403 "a dot-dot path is refused"
expect_header "^X-Rolegate-Reason: '.' or '..' segment in path" "dot-dot: reason"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/%2e%2e/billing' -H "$AGENT"
expect_code 403 "an encoded dot-dot path is refused"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats%2f..%2fbilling' -H "$AGENT"
expect_code 403 "an encoded slash is refused"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni//chats/1' -H "$AGENT"
expect_code 403 "an empty segment is refused"
# Tomcat, Jetty and Spring drop ";..." path parameters: "..;" is ".." there.
for uri in '/omni/chats/..;/billing' '/omni/chats/..%3b/billing' \
	'/omni/chats/%2e%2e;/billing' '/omni/chats/%2e%2e%3B/billing'; do
	authz -H 'X-Original-Method: GET' -H "X-Original-URI: $uri" -H "$AGENT"
	expect_code 403 "a path parameter dot-dot is refused: $uri"
	expect_header "^X-Rolegate-Reason: ';' in path" "path parameter: reason ($uri)"
done
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/%252e%252e/billing' -H "$AGENT"
expect_code 403 "a double-encoded dot-dot is refused"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/%c0%ae%c0%ae/billing' -H "$AGENT"
expect_code 403 "an overlong UTF-8 dot-dot is refused"
authz -H 'X-Original-Method: POST' -H 'X-Original-URI: /d365/queues/vip/agents'
expect_code 401 "route map: no user"

# The question in headers comes before the route map (authz_headers = yes).
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/billing' -H "$AGENT" \
	-H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle'
expect_code 200 "X-Rolegate-Action is used when authz_headers = yes"

# ---- The decision log records authz answers ----
sleep 0.2
if grep -q "\"id\":\"$id\",\"endpoint\":\"authz\"" "$T/decisions.log"; then
	pass "decision log: the authz answer by its id"
else
	fail "decision log: the authz answer by its id"
fi
if grep '"route":"d365-queue-agents"' "$T/decisions.log" | grep -q '"attributes":{"queue":"support"}'; then
	pass "decision log: route and attributes"
else
	fail "decision log: route and attributes"
fi

# ---- authz_headers = no, authz_roles_header = no: only the gateway's ----
write_config "$T/rolegate.conf" 2021 "authz_headers = no"
sed -i 's/^authz_roles_header = yes/authz_roles_header = no/' "$T/rolegate.conf"
admin POST /v1/admin/reload
expect_code 200 "reload with authz_headers = no"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/billing' -H 'X-Rolegate-User: nobody' \
	-H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle'
expect_code 403 "authz_headers = no: an unknown user"
expect_header '^X-Rolegate-Route: omni-billing$' "X-Rolegate-Action ignored: the route decides"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H "$AGENT"
expect_code 401 "X-Rolegate-Roles ignored when authz_roles_header = no"
# The issue's case: the gateway cannot drop client headers, so the route
# map decides; a client's X-Forwarded-Uri must not pick the route.
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/billing' \
	-H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Uri: /omni/chats/1' -H 'X-Rolegate-User: olga'
expect_code 403 "authz_headers = no: a client's X-Forwarded-Uri is refused"

# ---- authz_reasons = no: a deny keeps its reason in the decision log ----
reload_with "authz_reasons = no" "authz_reasons = no"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/billing' -H 'X-Rolegate-User: olga'
expect_code 403 "authz_reasons = no: denied"
expect_no_header '^X-Rolegate-Reason:' "authz_reasons = no: no reason header"
expect_no_header '^X-Rolegate-Route:' "authz_reasons = no: no route header"
expect_no_body 'reason' "authz_reasons = no: no reason in the body"
hid=$(header_value X-Rolegate-Decision-Id)
expect_body "\"decision_id\":\"$hid\"" "authz_reasons = no: the decision id is told"
sleep 0.2
grep "\"id\":\"$hid\"" "$T/decisions.log" | grep -q '"reason":"omni24: no role' &&
	pass "authz_reasons = no: the reason is in the decision log" ||
	fail "authz_reasons = no: the decision log lacks the reason"
authz -H 'X-Original-Method: GET' -H 'X-Original-URI: /omni/chats/1' -H 'X-Rolegate-User: olga'
expect_code 200 "authz_reasons = no: allowed"
expect_header '^X-Rolegate-Reason: ' "authz_reasons = no: an allow still tells the gateway"

# ---- The user from the header an authenticating proxy sets ----
reload_with "authz_user_header" "authz_user_header = X-Auth-Request-User"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Rolegate-User: nobody'
expect_code 401 "X-Rolegate-User is not trusted any more"
authz -H 'X-Rolegate-Service: omni24' -H 'X-Rolegate-Action: chat.handle' -H 'X-Auth-Request-User: nobody'
expect_code 403 "the configured user header names the user"
expect_header '^X-Rolegate-Reason: unknown user' "the configured user header: the user is looked up"

stop_rolegated
[ "$RC" -eq 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
finish
