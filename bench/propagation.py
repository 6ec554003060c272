#!/usr/bin/env python3
"""propagation.py - how long a directory change takes to reach every replica.

    propagation.py --rolegate CLI --rolegated DAEMON --config CONF
                   --plugins DIR --directory LOC --work DIR [--replicas 3]
                   [--changes 50] [--tag s.prop]

Starts REPLICAS rolegated processes on CONF, each on a Unix socket of its
own under DIR, all on the directory LOC (a shared PostgreSQL directory).
Then CHANGES times: assigns or takes away a role of one probe user through
the first replica's admin API (POST /v1/admin/txn on its admin socket; with
--via cli, with the rolegate CLI) and asks every replica the same question (POST /v1/check) until
its answer follows the change.  One sample is the time from the change's
audit record (written in its transaction, just before the commit) to a
replica's first answer that follows it, on this host's clock: whoever made
the change returns only after loading its own snapshot again, by which
time the other replicas may long have theirs.  Prints the median, the 99th percentile
and the worst as RESULT lines, and exits non-zero if a replica did not
follow within --timeout seconds.
"""
import argparse
import datetime
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time

SERVICE = "rocketchat"
USER = "propagation-probe"
# livechat-manager grants view-livechat-rooms, livechat-agent does not.
BASE_ROLE = "livechat-agent"
TOGGLED_ROLE = "livechat-manager"
ACTION = "view-livechat-rooms"
POLL_S = 0.001
START_TIMEOUT_S = 30


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def request(sock, method, path, body=None):
    """The JSON answer of method path on the Unix socket sock, or None."""
    try:
        c = UnixHTTP(sock)
        c.request(method, path, body, {"Content-Type": "application/json"})
        data = c.getresponse().read()
        c.close()
        return json.loads(data)
    except (OSError, ValueError, http.client.HTTPException):
        return None


def decision(sock):
    """The replica's decision for the probe ("allow"/"deny"), or None."""
    body = json.dumps({"service": SERVICE, "user": USER, "action": ACTION})
    answer = request(sock, "POST", "/v1/check", body)
    return answer.get("decision") if answer else None


def change(a, admin, op):
    """op ("assign" or "unassign") of the toggled role, by a.via."""
    if a.via == "cli":
        cli(a, op, SERVICE, USER, TOGGLED_ROLE)
        return
    body = json.dumps({"service": SERVICE, "actor": "propagation.py",
                       "ops": [{"op": op, "user": USER,
                                "role": TOGGLED_ROLE}]})
    answer = request(admin, "POST", "/v1/admin/txn", body)
    if not answer or answer.get("error"):
        sys.exit("propagation: the admin API refused %s: %s" % (op, answer))


def cli(a, *args):
    subprocess.run([a.rolegate, "-c", a.config, "--plugin-dir", a.plugins,
                    "--directory", a.directory] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def last_change_at(admin):
    """When the newest audit record was written (seconds since the epoch)."""
    answer = request(admin, "GET", "/v1/admin/audit?limit=1")
    at = answer["audit"][0]["at"]
    return datetime.datetime.strptime(
        at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()


def start(a, i):
    sock = os.path.join(a.work, "replica%d.sock" % i)
    admin = os.path.join(a.work, "replica%d.admin" % i)
    # Beside links to CONF's policies, which it names relative to itself.
    conf = os.path.join(a.work, "replica%d.conf" % i)
    src = os.path.dirname(os.path.abspath(a.config))
    for name in os.listdir(src):
        link = os.path.join(a.work, name)
        if name.endswith(".ini") and not os.path.lexists(link):
            os.symlink(os.path.join(src, name), link)
    with open(a.config) as f:
        text = f.read()
    with open(conf, "w") as f:
        f.write(text)
        f.write("\n[rolegated]\nlisten_socket = %s\nadmin_socket = %s\n"
                "threads = 1\n" % (sock, admin))
    log = open(os.path.join(a.work, "replica%d.log" % i), "w")
    p = subprocess.Popen([a.rolegated, "-c", conf, "--plugin-dir",
                          a.plugins, "--directory", a.directory],
                         stdout=log, stderr=log)
    return p, sock, admin


def pct(samples, q):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q / 100.0 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rolegate", required=True)
    ap.add_argument("--rolegated", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--directory", required=True)
    ap.add_argument("--plugins", required=True, help="the plugin directory")
    ap.add_argument("--work", required=True)
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--changes", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--tag", default="s.prop")
    ap.add_argument("--via", choices=("admin", "cli"), default="admin",
                    help="make the changes through the first replica's "
                    "admin API (default) or with the CLI")
    a = ap.parse_args()
    a.plugins = os.path.abspath(a.plugins)
    os.makedirs(a.work, exist_ok=True)

    subprocess.run([a.rolegate, "-c", a.config, "--plugin-dir", a.plugins,
                    "--directory", a.directory, "user", "remove", SERVICE,
                    USER],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli(a, "user", "add", SERVICE, USER, "--name", "Propagation probe")
    cli(a, "assign", SERVICE, USER, BASE_ROLE)
    replicas = [start(a, i) for i in range(a.replicas)]
    samples, late = [], 0
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        admin = replicas[0][2]
        for _, sock, _ in replicas:
            while decision(sock) != "deny":
                if time.monotonic() > deadline:
                    sys.exit("propagation: a replica did not start")
                time.sleep(0.05)
        want = "deny"
        for n in range(a.changes):
            if want == "deny":
                change(a, admin, "assign")
                want = "allow"
            else:
                change(a, admin, "unassign")
                want = "deny"
            t0 = time.monotonic()
            pending = [s for _, s, _ in replicas]
            seen = []
            while pending:
                if time.monotonic() - t0 > a.timeout:
                    late += len(pending)
                    break
                for s in list(pending):
                    if decision(s) == want:
                        seen.append(time.time())
                        pending.remove(s)
                time.sleep(POLL_S)
            at = last_change_at(admin)
            samples += [(t - at) * 1000.0 for t in seen]
    finally:
        for p, _, _ in replicas:
            p.terminate()
        for p, _, _ in replicas:
            p.wait()
    if samples:
        print("RESULT %s.samples %d" % (a.tag, len(samples)))
        print("RESULT %s.p50_ms %.1f" % (a.tag, statistics.median(samples)))
        print("RESULT %s.p99_ms %.1f" % (a.tag, pct(samples, 99)))
        print("RESULT %s.max_ms %.1f" % (a.tag, max(samples)))
    print("RESULT %s.replicas %d" % (a.tag, a.replicas))
    print("RESULT %s.late %d" % (a.tag, late))
    print("%d changes to %d replicas: p50 %.1f ms, p99 %.1f ms, worst %.1f "
          "ms, %d later than %.0f s" % (
              a.changes, a.replicas,
              statistics.median(samples) if samples else -1,
              pct(samples, 99) if samples else -1,
              max(samples) if samples else -1, late, a.timeout))
    sys.exit(1 if late else 0)


if __name__ == "__main__":
    main()
