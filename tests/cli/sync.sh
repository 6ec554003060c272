#!/bin/sh
# sync.sh - rolegate sync for Rocket.Chat: from saved answers (--from-dir)
# and through a local stand-in server (--from), dry run, apply, a second
# sync changing nothing, --prune, and every failure changing nothing: an
# expired token, a server error on page 2, an unknown role, malformed JSON.
# Skipped (77) until the rocketchat plugin is built.
set -eu
. "$(dirname "$0")/lib.sh"

SRC=${top_srcdir:-$top_builddir}
FIX="$SRC/tests/data/sync/rocketchat"
directory_setup rocketchat rc "policy=policies/rocketchat.ini edition=enterprise"

# A user absent upstream, and alice with a role upstream takes away.
rg user add rc zed
rg user add rc alice --name "Alice Martin"
rg assign rc alice livechat-agent
expect_rc 0 "setup"
rg unit add rc old
rg department add rc legacy --unit old
expect_rc 0 "setup: entries absent upstream"

# ---- dry run, apply, again ----------------------------------------------
snapshot before
rg sync --dry-run --from-dir "$FIX" rc
expect_rc 0 "dry run"
expect_out '^\+ user bob \(Bob Stone\)$' "dry run: a new user"
expect_out '^~ alice roles: \+user \+livechat-manager -livechat-agent$' \
	"dry run: roles added and removed in one line"
expect_out '^\+ department sales \(unit north\)$' "dry run: a department in its unit"
expect_out '^~ dan max_chats: - -> 2$' "dry run: an agent of page 2 (of the agents)"
expect_out '^~ dan departments: \+support$' "dry run: a department's agents"
expect_out '^~ carol units: \+north$' "dry run: a unit's monitors"
expect_out '^~ carol status: - -> unavailable$' "dry run: not-available is unavailable"
expect_out '^kept user zed \(absent upstream; --prune removes\)$' \
	"dry run: an absent user is kept"
expect_out '^~ setting waiting_queue: - -> on$' "dry run: a boolean setting"
expect_out '^~ setting default_max_chats: - -> 3$' "dry run: a count setting"
expect_out '^~ setting accept_when_idle: - -> off$' "dry run: false is off"
expect_out '^kept department legacy \(absent upstream; --prune removes\)$' \
	"dry run: an absent department is kept"
unchanged "dry run"

rg sync --from-dir "$FIX" rc
expect_rc 0 "apply"
expect_out '^\+ user dan \(Dan Okafor\)$' "apply: says what it did"
rg user show rc carol
expect_out 'livechat-monitor' "apply: carol is a monitor"
expect_out 'north' "apply: of north"
rg user list rc
expect_out '^bob +Bob Stone +available +5 +livechat-agent,user +sales ' \
	"apply: bob as upstream has him"
expect_out '^alice .* livechat-manager,user ' "apply: alice's roles as upstream"
expect_out '^zed ' "apply: zed kept without --prune"
rg audit --user bob --limit 1
expect_out 'command: rolegate .*sync --from-dir' "apply: the audit names the command"

snapshot before
rg sync --from-dir "$FIX" rc
expect_rc 0 "second sync"
expect_out '^nothing to change' "second sync: nothing to change"
unchanged "second sync"

rg sync --json --prune --from-dir "$FIX" rc
expect_rc 0 "prune"
expect_json 'd["changes"] == ["- user zed", "- department legacy", "- unit old"] and d["kept"] == []' \
	"prune: removes what is absent, a department before its unit"
rg user show rc zed
expect_rc 1 "prune: zed is gone"

# ---- through the server ----------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
	echo "# SKIP: python3 not found for the server tests"
	finish
fi
cp -R "$FIX" "$T/api"
chmod -R u+w "$T/api"
sync_server "$T/api" secret-token-1
DB2=$(test_directory "$T/state/second.db")
DB3=$(test_directory "$T/state/third.db")
export ROLEGATE_SYNC_USER_ID=aK2rT9pWq3

ROLEGATE_SYNC_AUTH_TOKEN=secret-token-1 rg --directory "$DB2" sync --from "$URL" rc
expect_rc 0 "server: apply"
expect_out '^~ dan status: - -> available$' "server: page 2 of the agents read"
expect_no_out 'secret-token' "server: the token is not printed"
expect_no_err 'secret-token' "server: the token is not printed on stderr"
rg --directory "$DB2" user list rc
expect_out '^dan +Dan Okafor +available +2 ' "server: dan as upstream has him"

snapshot before "$DB2"
ROLEGATE_SYNC_AUTH_TOKEN=expired rg --directory "$DB2" sync --prune --from "$URL" rc
expect_rc 2 "server: an expired token"
expect_err '401 Unauthorized: the token is expired or wrong .*You must be logged in' \
	"server: an expired token is said so"
expect_err 'users\.list' "server: names the endpoint"
unchanged "server: an expired token" "$DB2"

rg --directory "$DB3" sync --from "$URL" rc
expect_rc 2 "server: no credentials"
expect_err 'set ROLEGATE_SYNC_AUTH_TOKEN and ROLEGATE_SYNC_USER_ID' \
	"server: no credentials says where they come from"

printf 'X-Auth-Token: secret-token-1\nX-User-Id: aK2rT9pWq3\n' >"$T/token"
chmod 644 "$T/token"
rg --directory "$DB3" sync --dry-run --token-file "$T/token" --from "$URL" rc
expect_rc 2 "token file: others may read it"
expect_err 'chmod 600' "token file: says how to fix it"
chmod 600 "$T/token"
ROLEGATE_SYNC_AUTH_TOKEN=wrong rg --directory "$DB3" sync --dry-run \
	--token-file "$T/token" --from "$URL" rc
expect_rc 0 "token file: its headers are sent"

# A server error half way: nothing of the first pages is applied.
echo 500 >"$T/api/livechat.users.agent.offset-2.json.status"
rg user add rc zed
snapshot before
ROLEGATE_SYNC_AUTH_TOKEN=secret-token-1 rg sync --prune --from "$URL" rc
expect_rc 2 "server: a 500 on page 2"
expect_err 'livechat/users/agent\?offset=2.*HTTP status 500' \
	"server: the failing page is named"
unchanged "server: a 500 on page 2"
rm "$T/api/livechat.users.agent.offset-2.json.status"

# Killed (kill -9) while it reads page 2: nothing is applied.
echo 5 >"$T/api/livechat.users.agent.offset-2.json.delay"
snapshot before
ROLEGATE_SYNC_AUTH_TOKEN=secret-token-1 "$RG" -c "$T/rolegate.conf" sync \
	--prune --from "$URL" rc >"$T/out" 2>"$T/err" &
VICTIM=$!
sleep 1
kill -9 $VICTIM
wait $VICTIM 2>/dev/null || :
unchanged "killed while reading"
rm "$T/api/livechat.users.agent.offset-2.json.delay"

rg sync --from "http://rocketchat.example.com" rc
expect_rc 2 "plain http to another machine"
expect_err 'only https:// URLs' "plain http: refused before any request"
rg sync --from "https://admin:hunter2@rocketchat.example.com" rc
expect_rc 2 "credentials in the URL"
expect_err 'without credentials in them' "credentials in the URL: refused"
rg sync --from "http://127.0.0.1.example.com" rc
expect_rc 2 "a host that only starts like 127.0.0.1"

# ---- bad answers ---------------------------------------------------------
sed 's/"livechat-manager"/"sales-lead"/' "$FIX/users.list.offset-0.json" \
	>"$T/api/users.list.offset-0.json"
snapshot before
rg sync --from-dir "$T/api" rc
expect_rc 1 "an unknown role"
expect_err 'users\.list\.offset-0\.json: users\[0\]\.roles\[1\]: user .alice. holds role .sales-lead., which service .rc. does not know' \
	"an unknown role: the file, the user and the role"
unchanged "an unknown role"

printf '[roles]\nsales-lead = livechat-manager\n' >"$T/map.ini"
rg sync --dry-run --map "$T/map.ini" --from-dir "$T/api" rc
expect_rc 0 "a mapped role"
expect_no_out 'alice roles' "a mapped role: alice keeps livechat-manager"
printf '[roles]\nsales-lead = no-such-role\n' >"$T/map.ini"
rg sync --dry-run --map "$T/map.ini" --from-dir "$T/api" rc
expect_rc 1 "a map to an unknown role"
expect_err 'map\.ini:2: service .rc. has no role .no-such-role.' \
	"a map to an unknown role: names the line"
cp "$FIX/users.list.offset-0.json" "$T/api/"

printf '{"departments": [ {"_id": "x", }' >"$T/api/livechat.department.offset-0.json"
rg sync --from-dir "$T/api" rc
expect_rc 2 "malformed JSON"
expect_err 'livechat\.department\.offset-0\.json:1: malformed JSON' \
	"malformed JSON: names the file and line"
unchanged "malformed JSON"

cp "$FIX/livechat.department.offset-0.json" "$T/api/"
printf '{"_id": "Livechat_waiting_queue", "value": "yes", "success": true}' \
	>"$T/api/settings.Livechat_waiting_queue.json"
rg sync --from-dir "$T/api" rc
expect_rc 2 "a setting that is not a boolean"
expect_err 'settings/Livechat_waiting_queue: value is not true or false' \
	"a setting that is not a boolean: names the setting"
unchanged "a setting that is not a boolean"
cp "$FIX/settings.Livechat_waiting_queue.json" "$T/api/"

rm "$T/api/livechat.department.offset-0.json"
rg sync --from-dir "$T/api" rc
expect_rc 2 "a missing answer"
expect_err 'livechat\.department\.offset-0\.json' "a missing answer: names the file"
unchanged "a missing answer"

rg sync --from-dir "$FIX" --from "$URL" rc
expect_rc 2 "--from and --from-dir together"

finish
