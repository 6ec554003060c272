#!/bin/sh
# replicas.sh - three rolegated on one PostgreSQL directory: a change made
# with the rolegate CLI, or through one replica's admin API, is answered by
# all three, each within a second of the change returning.
#
# One server (pgserver.sh), one directory schema, three replicas on
# loopback ports.  A change flips user ada between allowed and denied
# (assign, unassign of omni24's agent role); after each one, every replica
# is asked over a kept-alive connection until it answers the new decision,
# and the time from the change returning (the CLI's exit, the admin API's
# answer) to that answer is its propagation: p50 and p99 of all are
# printed, and any over a second fails the test.  Not a benchmark: the
# bound is the one issue 16 promises, far above what it takes (the CLI
# returns only after reading its own snapshot again, so its samples are
# small; an admin API answer comes right after the commit, so those are
# the time from the commit to the other replicas; bench/propagation.py
# measures from the commit's audit record).  The
# replicas read the directory's version by themselves only every 10 s:
# within a second, only the announcement of the commit can tell them.
set -u
. "$(dirname "$0")/lib.sh"
need python3
REFRESH_MS=10000

CHANGES_CLI=${PG_REPLICA_CHANGES_CLI:-14}
CHANGES_API=${PG_REPLICA_CHANGES_API:-6}
LIMIT_MS=1000

pg_start main || { fail "a PostgreSQL server starts"; finish; }
pass "a PostgreSQL server starts"
pg_location main replicas || { fail "a directory schema"; finish; }

for n in 1 2 3; do
	if [ "$n" = 1 ]; then
		replica_config "$T/r$n.conf" "$LOCATION" "admin_socket = $S/admin.sock"
	else
		replica_config "$T/r$n.conf" "$LOCATION"
	fi
done
# The first change makes the directory's tables in the empty schema.
rg "$T/r2.conf" user add omni24 ada && pass "the CLI adds a user" ||
	{ fail "the CLI adds a user: $(cat "$T/rg.out")"; finish; }

for n in 1 2 3; do
	start_replica "$n" "$T/r$n.conf" || { fail "replica $n starts"; finish; }
done
for n in 1 2 3; do
	wait_ready 10 "$n" 200 && pass "replica $n is ready" ||
		fail "replica $n is ready: $(ready_on "$n")"
	[ "$(decision_on "$n" ada)" = deny ] &&
		pass "replica $n: ada has no role yet: deny" ||
		fail "replica $n: ada before any role: $(decision_on "$n" ada)"
done

# One change by hand, before the measured ones.
rg "$T/r2.conf" assign omni24 ada agent || fail "rolegate assign: $(cat "$T/rg.out")"
change_seen "the CLI's assignment" ada allow 1 2 3
admin POST /v1/admin/txn '{"service":"omni24","ops":[{"op":"unassign","user":"ada","role":"agent"}]}'
expect_code 200 "an unassignment through replica 1's admin API"
change_seen "the admin API's unassignment" ada deny 1 2 3

# The measured changes.  The poller asks each replica in turn, a
# millisecond apart, over connections it keeps.
cat >"$T/propagate.py" <<'PY'
import http.client, json, socket, subprocess, sys, time

rolegate, conf, admin_sock, n_cli, n_api, limit_s = sys.argv[1:7]
ports = [int(p) for p in sys.argv[7:]]
n_cli, n_api, limit_s = int(n_cli), int(n_api), float(limit_s)
BODY = json.dumps({"service": "omni24", "user": "ada",
                   "action": "chat.handle"})
TIMEOUT_S = 10


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("admin", timeout=TIMEOUT_S)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT_S)
        self.sock.connect(self.path)


conns = [http.client.HTTPConnection("127.0.0.1", p, timeout=TIMEOUT_S)
         for p in ports]


def decision(i):
    c = conns[i]
    c.request("POST", "/v1/check", BODY,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    return json.loads(r.read())["decision"]


def change(k, via, assign):
    if via == "cli":
        verb = "assign" if assign else "unassign"
        p = subprocess.run([rolegate, "-c", conf, verb, "omni24", "ada",
                            "agent"], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("change %d: rolegate %s: %s" % (k, verb, p.stdout +
                                                     p.stderr))
        return
    op = "assign" if assign else "unassign"
    c = UnixConnection(admin_sock)
    c.request("POST", "/v1/admin/txn", json.dumps(
        {"service": "omni24",
         "ops": [{"op": op, "user": "ada", "role": "agent"}]}))
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("change %d: admin API %s: %d %s" % (k, op, r.status, body))
    c.close()


samples = {"cli": [], "api": []}
plan = ["cli"] * n_cli + ["api"] * n_api
for k, via in enumerate(plan):
    assign = k % 2 == 0
    want = "allow" if assign else "deny"
    change(k, via, assign)
    t0 = time.monotonic()
    seen = [None] * len(ports)
    while None in seen and time.monotonic() - t0 < TIMEOUT_S:
        for i in range(len(ports)):
            if seen[i] is None and decision(i) == want:
                seen[i] = time.monotonic() - t0
        time.sleep(0.001)
    shown = " ".join("r%d %s" % (i + 1, "%.1f ms" % (s * 1000)
                                  if s is not None else "never")
                     for i, s in enumerate(seen))
    print("change %2d (%s, %s): %s" % (k + 1, via, want, shown))
    samples[via] += [s if s is not None else float("inf") for s in seen]


def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * p // 100) - 1)]


every = samples["cli"] + samples["api"]
for name, xs in (("cli", samples["cli"]), ("api", samples["api"]),
                 ("all", every)):
    if xs:
        print("PROPAGATION %s n=%d p50=%.1f p99=%.1f max=%.1f" % (
            name, len(xs), pct(xs, 50) * 1000, pct(xs, 99) * 1000,
            max(xs) * 1000))
sys.exit(0 if max(every) <= limit_s else 1)
PY
python3 "$T/propagate.py" "$ROLEGATE" "$T/r2.conf" "$S/admin.sock" \
	"$CHANGES_CLI" "$CHANGES_API" "$(echo "$LIMIT_MS" | awk '{ print $1 / 1000 }')" \
	"$PORT_1" "$PORT_2" "$PORT_3" >"$T/propagate.out" 2>&1
rc=$?
sed 's/^/# /' "$T/propagate.out"
all=$(sed -n 's/^PROPAGATION all //p' "$T/propagate.out")
if [ "$rc" -eq 0 ] && [ -n "$all" ]; then
	pass "$((CHANGES_CLI + CHANGES_API)) changes reach all 3 replicas within ${LIMIT_MS} ms ($all)"
else
	fail "$((CHANGES_CLI + CHANGES_API)) changes reach all 3 replicas within ${LIMIT_MS} ms (${all:-no result})"
fi

stop_replicas 1 2 3
finish
