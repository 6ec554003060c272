#!/usr/bin/env python3
"""cli-check.py - one answer from the shell: `rolegate check` in a fresh
process, several times, on the bench's largest directory.

Usage: cli-check.py --rolegate PROGRAM --config CONF --directory DB
                    --requests REQUESTS.tsv [--runs N] [--tag TAG]

Takes the first Rocket.Chat take-inquiry of a directory user in the request
mix (the product whose directory costs the most to load, and the action with
the most attributes), runs `rolegate check` on it --runs times and prints,
for the bench's log, one RESULT line per run with its wall time and the
process's peak resident memory (its own rusage, from wait4()).  Exits 1 when
an answer is not the one the mix expects: a fast wrong answer is no figure.
"""

import argparse
import os
import subprocess
import sys
import time

SERVICE = "rocketchat"
ACTION = "take-inquiry"


def first_request(path):
    """(user, [ATTR=VALUE, ...], expected) of the first take-inquiry."""
    with open(path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or cols[0] != SERVICE or cols[2] != ACTION:
                continue
            attrs = [] if cols[3] == "-" else cols[3].split("|")
            return cols[1], attrs, cols[4]
    return None


def run_once(argv):
    """(seconds, peak RSS in KiB, first line of output) of one run."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    out = p.stdout.read().decode("utf-8", "replace")
    p.stdout.close()
    _, _, usage = os.wait4(p.pid, 0)
    return time.monotonic() - t0, usage.ru_maxrss, out.split("\n")[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rolegate", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--directory", required=True)
    ap.add_argument("--requests", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tag", default="c.cli")
    a = ap.parse_args()
    req = first_request(a.requests)
    if not req:
        print("no %s request in %s" % (ACTION, a.requests), file=sys.stderr)
        return 1
    user, attrs, expect = req
    argv = [a.rolegate, "-c", a.config, "--directory", a.directory, "check",
            SERVICE, user, ACTION] + attrs
    print("rolegate check %s %s %s %s" % (SERVICE, user, ACTION,
                                         " ".join(attrs)))
    for i in range(1, a.runs + 1):
        secs, rss_kib, line = run_once(argv)
        if not line.startswith(expect + ":"):
            print("run %d: '%s', want %s" % (i, line, expect),
                  file=sys.stderr)
            return 1
        print("run %d: %.1f ms, %.1f MiB: %s" % (i, secs * 1000,
                                                 rss_kib / 1024, line))
        print("RESULT %s.run%d.ms %.2f" % (a.tag, i, secs * 1000))
        print("RESULT %s.run%d.rss_mib %.2f" % (a.tag, i, rss_kib / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
