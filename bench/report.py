#!/usr/bin/env python3
"""report.py - the table of `make bench` and bench/results.md.

Reads the "RESULT KEY VALUE" lines that bench/run.sh collected, adds the
machine (CPUs, CPU model, memory), the date and the git commit, and writes
every figure with the ratios against the targets of the benchmark issue.
"""

import argparse
import datetime
import os
import platform
import statistics
import subprocess

# The targets (benchmarks, never timed tests).
TARGET_CHECKS = 5e6          # checks/s, one thread, 50,000 agents
TARGET_GROWTH = 1.5          # slower at 50,000 agents than at 500, at most
TARGET_CASBIN = 1000.0       # times node-casbin's throughput
TARGET_CEDAR = 100.0         # times Cedar's
TARGET_HTTP = 40000.0        # rolegated decisions/s
TARGET_HTTP_P99_MS = 5.0
TARGET_NGINX = 0.70          # nginx + auth_request / plain nginx
TARGET_LOAD_MS = 200.0       # a 50,000-agent directory loads in
TARGET_RSS_MIB = 64.0        # and the process stays under
TARGET_INSTR = 250.0         # instructions a check by user id, in the library
TARGET_INSTR_RATIO = 2.0     # with a reason, or the roles path, at most

PRODUCTS = ("dynamics365", "rocketchat", "omni24")


def load(path):
    r = {}
    with open(path) as f:
        for line in f:
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[0] == "RESULT":
                r[parts[1]] = parts[2].strip()
    return r


def num(r, key):
    try:
        return float(r[key])
    except (KeyError, ValueError):
        return None


def fmt(v, spec="{:,.0f}", none="-"):
    return none if v is None else spec.format(v)


def machine(srcdir):
    cpu = "unknown"
    mem = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    commit = "unknown"
    try:
        commit = subprocess.run(["git", "-C", srcdir, "rev-parse", "--short",
                                 "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        # The run's own outputs do not count: a second run in the same
        # tree finds the first one's files changed.
        dirty = subprocess.run(["git", "-C", srcdir, "status", "--porcelain",
                                "--untracked-files=no", "--", ".",
                                ":(exclude)bench/results.md",
                                ":(exclude)bench/instr-history.tsv"],
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            commit += " (with uncommitted changes)"
    except (OSError, subprocess.CalledProcessError):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu,
            "mem": "%.1f GiB" % mem if mem else "unknown",
            "kernel": platform.release(), "commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%d %H:%M UTC")}


HISTORY_HEAD = "version\tcommit"


def version_key(v):
    """Sorts "0.10.0" after "0.9.1"."""
    return [int(p) if p.isdigit() else p for p in v.replace("-", ".")
            .split(".")]


def read_history(path):
    """[[version, commit, count, ...], ...] from the history file, if any,
    in the order the runs were made."""
    rows = []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("#") or line.startswith(HISTORY_HEAD):
                    continue
                parts = line.rstrip("\n").split("\t")
                if len(parts) > 2:
                    rows.append(parts)
    except FileNotFoundError:
        pass
    return rows


def history_put(rows, row):
    """Replaces the row of the same version and commit (a second run of
    one commit), or adds row after the others."""
    for i, old in enumerate(rows):
        if old[:2] == row[:2]:
            rows[i] = row
            return
    rows.append(row)


def history_sorted(rows):
    """By version; within a version, in the order the runs were made (a
    release's row is the last of its version)."""
    return [r for _, r in sorted(enumerate(rows),
                                 key=lambda ir: (version_key(ir[1][0]),
                                                 ir[0]))]


def write_history(path, keys, rows):
    with open(path, "w") as f:
        f.write("# Instructions per check under callgrind, one row per "
                "benchmarked commit, a release's the last of its version "
                "(written by bench/report.py)\n")
        f.write("\t".join([HISTORY_HEAD] + keys) + "\n")
        for row in history_sorted(rows):
            f.write("\t".join(row) + "\n")


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def startup_stats(r, tag):
    """Median, min and max of the start-up runs with this tag."""
    runs = sorted(k for k in r if k.startswith(tag + ".run")
                  and k.endswith(".open_ms"))
    opens = [float(r[k]) for k in runs]
    rss = [float(r[k[:-len("open_ms")] + "rss_mib"]) for k in runs
           if k[:-len("open_ms")] + "rss_mib" in r]
    if not opens:
        return None
    return {"open": statistics.median(opens), "min": min(opens),
            "max": max(opens), "rss": max(rss) if rss else None,
            "n": len(opens)}


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**missed**"


class Report:
    def __init__(self, r, args):
        self.r = r
        self.a = args
        self.sizes = [int(s) for s in args.sizes.split(",")]
        self.n = args.largest
        self.lines = []
        self.targets = []

    def out(self, *lines):
        self.lines.extend(lines)

    def inprocess(self):
        r = self.r
        self.out("## In-process C API (`rg_check`)", "",
                 "Subjects: %s.  %s checks per thread and run, the "
                 "fastest of %s runs; the latency of one check in %d timed "
                 "(timer cost %s ns subtracted)." % (
                     "directory users (by user id)"
                     if r.get("c.subjects") == "directory" else
                     "ad hoc (roles and attributes with each request: the "
                     "library had no directory)",
                     "{:,}".format(self.a.checks), r.get("c.repeats", "1"),
                     16,
                     r.get("c.%d.timer_overhead_ns" % self.sizes[0], "?")),
                 "")
        rows = []
        for n in self.sizes:
            t = "c.%d" % n
            rows.append(["{:,}".format(n),
                         fmt(num(r, t + ".t1.checks_per_s")),
                         fmt(num(r, t + ".t1.p50_ns")),
                         fmt(num(r, t + ".t1.p99_ns")),
                         fmt(num(r, t + ".t2.checks_per_s")),
                         fmt(num(r, t + ".t2.p50_ns")),
                         fmt(num(r, t + ".t2.p99_ns")),
                         fmt(num(r, t + ".b1.checks_per_s")),
                         r.get(t + ".allowed_pct", "-") + " %",
                         r.get(t + ".mismatch", "-")])
        self.out(*table(["agents", "1 thread checks/s", "p50 ns", "p99 ns",
                         "2 threads checks/s", "p50 ns", "p99 ns",
                         "1 thread, batches checks/s",
                         "allowed", "decisions unlike expected"], rows))
        self.out("", "\"1 thread\" and \"2 threads\" call `rg_check()` once "
                 "a request, with `RG_CHECK_NO_REASON` as a gateway's hot "
                 "path does; \"batches\" passes the same requests to "
                 "`rg_check_batch()` %s at a time, which fetches the "
                 "directory memory of later requests while it decides "
                 "earlier ones." % r.get("c.batch", "64"))
        runs = ["%s agents: %s" % ("{:,}".format(n),
                                   r.get("c.%d.t1.runs" % n, "-")
                                   .replace(",", ", "))
                for n in self.sizes]
        self.out("", "Every 1-thread run (checks/s): " + "; ".join(runs) +
                 ".  The spread is the machine's, not the library's.")
        rows = []
        for s in PRODUCTS:
            t = "c.%d.%s" % (self.n, s)
            if t + ".t1.checks_per_s" in r:
                rows.append([s, fmt(num(r, t + ".t1.checks_per_s")),
                             fmt(num(r, t + ".t1.p50_ns")),
                             fmt(num(r, t + ".t1.p99_ns")),
                             r.get(t + ".requests", "-")])
        if rows:
            self.out("", "Per product, %s agents, 1 thread:" %
                     "{:,}".format(self.n), "")
            self.out(*table(["service", "checks/s", "p50 ns", "p99 ns",
                             "requests in its mix"], rows))
        rows = []
        for kind, what in (("unscoped", "no scope attribute (rbac, "
                            "prerequisites): the decision table"),
                           ("scoped", "a business unit, department, owner "
                            "or chat count: the plugins")):
            t = "c.%d.%s" % (self.n, kind)
            if t + ".t1.checks_per_s" in r:
                rows.append([what, r.get(t + ".requests", "-"),
                             fmt(num(r, t + ".t1.checks_per_s")),
                             fmt(num(r, t + ".t1.p50_ns")),
                             fmt(num(r, t + ".b1.checks_per_s"))])
        if rows:
            self.out("", "By kind of request, %s agents, 1 thread (each "
                     "kind alone):" % "{:,}".format(self.n), "")
            self.out(*table(["requests", "in the mix", "checks/s",
                             "p50 ns", "batches checks/s"], rows))
        for key, how in (("t1", "one rg_check() a request"),
                         ("b1", "rg_check_batch()")):
            big = num(r, "c.%d.%s.checks_per_s" % (self.n, key))
            small = num(r, "c.%d.%s.checks_per_s" % (self.sizes[0], key))
            if big is None and key == "b1":
                continue
            self.targets.append((
                "checks/s, 1 thread, %s agents, %s" % (
                    "{:,}".format(self.n), how),
                ">= 5,000,000", fmt(big),
                fmt(big / TARGET_CHECKS if big else None,
                    "{:.2f}x of target"),
                verdict(None if big is None else big >= TARGET_CHECKS)))
            growth = small / big if big and small else None
            self.targets.append((
                "slowdown %s -> %s agents, %s" % (
                    "{:,}".format(self.sizes[0]), "{:,}".format(self.n),
                    how),
                "<= 1.5x", fmt(growth, "{:.2f}x"), "",
                verdict(None if growth is None else
                        growth <= TARGET_GROWTH)))
        self.out("")

    INSTR_PATHS = (
        ("id", "by user id, no reason (a gateway's hot path)"),
        ("id_reason", "by user id, with the reason (/v1/check, /v1/authz)"),
        ("batch", "by user id through `rg_check_batch()`, no reason"),
        ("target", "by user id through `rg_check_target()` (service and "
         "action resolved once), no reason"),
        ("target_reason", "by user id through `rg_check_target()`, with "
         "the reason"),
        ("roles", "roles and attributes in the request, no reason"),
        ("roles_reason", "roles and attributes in the request, with the "
         "reason"),
        ("target_rbac", "through `rg_check_target()`, no reason: the "
         "rbac kind alone (no attribute, the decision table's)"),
        ("target_scope", "through `rg_check_target()`, no reason: the "
         "scope kind alone (attributes)"),
        ("target_hashed", "through `rg_check_target()`, no reason, each "
         "user's `rg_user_hash()` worked out once (a caller that keeps "
         "it)"))

    # The loop run (bench_check instr -S) whose calls have each path's
    # shape: what the measurement costs a check, outside the library.
    INSTR_LOOPS = {"batch": "loop_batch", "target": "loop_target",
                   "target_reason": "loop_target",
                   "target_rbac": "loop_target",
                   "target_scope": "loop_target",
                   "target_hashed": "loop_target_hashed"}

    # The path each path is compared with in the last column: a reason
    # with the same call without one, the roles path with the by-id one
    # (what the targets ask).
    INSTR_BASE = {"id_reason": "id", "target_reason": "target",
                  "roles": "id", "roles_reason": "roles"}

    def instr_library(self, key):
        """A path's count less its loop's, or None."""
        v = num(self.r, "c.instr.%s.per_check" % key)
        loop = num(self.r, "c.instr.%s.per_check" %
                   self.INSTR_LOOPS.get(key, "loop"))
        return None if v is None or loop is None else v - loop

    def instr(self):
        """Instructions per check under callgrind, per path."""
        r = self.r
        rows = []
        base = num(r, "c.instr.id.per_check")
        lib_base = self.instr_library("id")
        for key, label in self.INSTR_PATHS:
            v = num(r, "c.instr.%s.per_check" % key)
            if v is None:
                continue
            lib = self.instr_library(key)
            rows.append([label, fmt(v),
                         fmt(v / base, "{:.2f}x") if base else "-",
                         fmt(lib), fmt(lib / lib_base, "{:.2f}x")
                         if lib is not None and lib_base else "-",
                         self.instr_vs_base(key, lib)])
        if not rows:
            return
        self.instr_targets(lib_base)
        loops = ", ".join("%s %s" % (k, fmt(num(r, "c.instr.%s.per_check"
                                                 % k)))
                          for k in ("loop", "loop_batch", "loop_target",
                                    "loop_target_hashed")
                          if num(r, "c.instr.%s.per_check" % k) is not None)
        self.out("## Instructions per check (callgrind)", "",
                 "`bench_check instr` under `valgrind --tool=callgrind "
                 "--toggle-collect='instr_loop*'`: only the loop of checks "
                 "is counted (not start-up, not verification), divided by "
                 "the checks (BENCH_INSTR_CHECKS), on the %s-agent mix.  "
                 "Unlike a rate, a count does not move with the machine's "
                 "load: compare these between commits.  The loop's own "
                 "share (`instr -S`: the same loop calling stand-ins that "
                 "do nothing; %s) is subtracted in the last three "
                 "columns: the library's instructions." %
                 ("{:,}".format(self.n), loops or "not measured"), "")
        self.out(*table(["path", "instructions a check",
                         "vs. by id without reason", "in the library",
                         "vs. by id, in the library",
                         "vs. its base path, in the library"], rows))
        self.out("", "A path's base path (last column): the same call "
                 "without the reason for a reason, the by-id path for "
                 "the roles path; the targets above compare these.")
        self.out("")
        self.instr_history()

    def instr_vs_base(self, key, lib):
        """A path's library count over its base path's, or "-"."""
        if key not in self.INSTR_BASE or lib is None:
            return "-"
        base = self.instr_library(self.INSTR_BASE[key])
        return fmt(lib / base, "{:.2f}x") if base else "-"

    def instr_targets(self, lib_id):
        """The instruction counts' targets: by user id, in the library,
        and the reason and roles paths against it."""
        self.targets.append((
            "instructions a check by user id, no reason, in the library "
            "(`rg_check()`, the mix)", "<= %d" % TARGET_INSTR,
            fmt(lib_id), fmt(lib_id / TARGET_INSTR if lib_id else None,
                             "{:.2f}x of target"),
            verdict(None if lib_id is None else lib_id <= TARGET_INSTR)))
        # The same target through the API made for callers that ask many
        # questions: service and action resolved once, the hash kept.
        lib_once = self.instr_library("target_hashed")
        if lib_once is not None:
            self.targets.append((
                "instructions a check by user id, no reason, in the "
                "library (`rg_check_target()`, the user's hash kept, the "
                "mix)", "<= %d" % TARGET_INSTR, fmt(lib_once),
                fmt(lib_once / TARGET_INSTR, "{:.2f}x of target"),
                verdict(lib_once <= TARGET_INSTR)))
        for key, what in (("id_reason", "with the reason"),
                          ("roles", "roles in the request")):
            lib = self.instr_library(key)
            ratio = lib / lib_id if lib is not None and lib_id else None
            self.targets.append((
                "instructions a check, %s / by user id, in the library" %
                what, "<= %.0fx" % TARGET_INSTR_RATIO,
                fmt(ratio, "{:.2f}x"), "",
                verdict(None if ratio is None else
                        ratio <= TARGET_INSTR_RATIO)))

    def instr_history(self):
        """The counts per benchmarked commit: bench/instr-history.tsv
        keeps a row for each, which a second run of the commit replaces;
        a release's row is the last of its version (its last run before
        it was tagged)."""
        path = self.a.history
        keys = [k for k, _ in self.INSTR_PATHS]
        now = {k: num(self.r, "c.instr.%s.per_check" % k) for k in keys}
        if not path or not self.a.version or now["id"] is None:
            return
        rows = read_history(path)
        history_put(rows, [self.a.version, self.a.commit or "unknown"] + [
            "-" if now[k] is None else "%d" % now[k] for k in keys])
        # A row from before a path was measured lacks its column.
        width = 2 + len(keys)
        rows = [r + ["-"] * (width - len(r)) for r in rows]
        write_history(path, keys, rows)
        self.out("### Instructions per check, by commit", "",
                 "From bench/instr-history.tsv: one row per benchmarked "
                 "commit, oldest first; a release's row is the last of "
                 "its version.", "")
        self.out(*table(["version", "commit"] + keys, history_sorted(rows)))
        self.out("")

    def scaleout(self):
        r = self.r
        if "s.pg.import_s" not in r:
            return
        n = "{:,}".format(self.n)

        def num(key, spec="{:,.0f}"):
            return fmt(float(r[key]), spec) if key in r else "-"

        pg = startup_stats(r, "s.pg.startup")
        sq = startup_stats(r, "s.sqlite.startup")
        self.out("## Scale-out: one PostgreSQL directory for many "
                 "gateways", "",
                 "The %s-agent tenant (three products) in PostgreSQL %s "
                 "(a throw-away server on a Unix socket, no fsync) beside "
                 "SQLite; doc/scale-out.md says how it works." % (
                     n, r.get("s.pg.server", "")), "")
        self.out(*table(
            ["", "SQLite", "PostgreSQL"],
            [["import, one transaction (s)",
              num("c.%d.import_s" % self.n, "{:.1f}"),
              num("s.pg.import_s", "{:.1f}")],
             ["open + snapshot load (ms, median of %d)" % (
                 pg["n"] if pg else 0),
              fmt(sq["open"] if sq else None, "{:.0f}"),
              fmt(pg["open"] if pg else None, "{:.0f}")],
             ["checks per second, one thread",
              num("s.sqlite.t1.checks_per_s"),
              num("s.pg.t1.checks_per_s")]]))
        self.out("")
        if "s.prop.p50_ms" in r:
            self.out("A change made through the first replica's admin "
                     "API reaches %s rolegated "
                     "replicas (announced by NOTIFY, each replica reloads "
                     "its snapshot): %s samples, p50 %s ms, p99 %s ms, worst "
                     "%s ms; %s later than 5 s." % (
                         r.get("s.prop.replicas", "?"),
                         r.get("s.prop.samples", "?"),
                         r["s.prop.p50_ms"], r["s.prop.p99_ms"],
                         r.get("s.prop.max_ms", "?"),
                         r.get("s.prop.late", "?")), "")
            self.targets.append((
                "a change reaches every replica (p99)", "< 1 s",
                "%s ms" % r["s.prop.p99_ms"], "",
                verdict(float(r["s.prop.p99_ms"]) < 1000)))

    def startup(self):
        r = self.r
        rows = []
        worst_ms = worst_rss = None
        for s in PRODUCTS + ("all",):
            st = startup_stats(r, "c.startup.%d.%s" % (self.n, s))
            if not st:
                continue
            label = s if s != "all" else "all three products"
            rows.append([label, "%.1f" % st["open"],
                         "%.1f - %.1f" % (st["min"], st["max"]),
                         fmt(st["rss"], "{:.1f}")])
            if s != "all":
                worst_ms = max(worst_ms or 0, st["open"])
                worst_rss = max(worst_rss or 0, st["rss"] or 0)
        if not rows:
            return
        self.out("## Start-up: open the configuration and load the "
                 "directory", "",
                 "`rg_open()` on the shipped rolegate.conf with a %s-agent "
                 "directory (SQLite), in a fresh process, %s runs each; "
                 "resident memory (VmRSS) of the whole process after it." % (
                     "{:,}".format(self.n),
                     startup_stats(r, "c.startup.%d.all" % self.n)["n"]
                     if startup_stats(r, "c.startup.%d.all" % self.n)
                     else "several"), "")
        self.out(*table(["directory", "open + load ms (median)",
                         "min - max", "VmRSS MiB"], rows))
        self.out("")
        if worst_ms is not None:
            self.targets.append((
                "load a %s-agent directory (slowest product)" %
                "{:,}".format(self.n), "< 200 ms",
                "%.1f ms" % worst_ms, "",
                verdict(worst_ms < TARGET_LOAD_MS)))
            self.targets.append((
                "resident memory after it (largest product)", "< 64 MiB",
                "%.1f MiB" % worst_rss, "", verdict(worst_rss < TARGET_RSS_MIB)))

    def cli(self):
        """`rolegate check` of one user from the shell (bench/cli-check.py):
        wall time and peak resident memory of the whole process."""
        tag = "c.cli.%d" % self.n
        ms = [float(v) for k, v in sorted(self.r.items())
              if k.startswith(tag + ".run") and k.endswith(".ms")]
        rss = [float(v) for k, v in self.r.items()
               if k.startswith(tag + ".run") and k.endswith(".rss_mib")]
        if not ms:
            return
        self.out("## The shell: one answer from `rolegate check`", "",
                 "`rolegate check` of one Rocket.Chat directory user "
                 "(take-inquiry, the mix's first) against the %s-agent "
                 "directory of the three products, in a fresh process, "
                 "%d runs: the command reads the subject's row alone "
                 "(`RG_OPEN_ONE_USER`) and builds no decision table "
                 "(`RG_OPEN_FEW_CHECKS`)." % ("{:,}".format(self.n),
                                               len(ms)), "")
        self.out(*table(["wall ms (median)", "min - max",
                         "peak resident MiB"],
                        [["%.1f" % statistics.median(ms),
                          "%.1f - %.1f" % (min(ms), max(ms)),
                          fmt(max(rss) if rss else None, "{:.1f}")]]))
        self.out("")

    def reload(self):
        r = self.r
        t = "c.reload.%d" % self.n
        if t + ".swap_open_ms" not in r:
            return
        self.out("## Reload: swap a policy under load", "",
                 "One thread keeps checking while another opens a context "
                 "on a configuration with a changed policy (%s agents' "
                 "directory), swaps it in and closes the old one; "
                 "alternately back." % "{:,}".format(self.n), "")
        rows = [["open of the new context (median / max)",
                 "%s / %s ms" % (r.get(t + ".swap_open_ms"),
                                 r.get(t + ".swap_open_max_ms"))]]
        for w, label in (("steady", "outside swaps"),
                         ("during", "during swaps")):
            rows.append(["latency %s: p50 / p99 / max" % label,
                         "%s / %s / %s ns" % (r.get("%s.%s.p50_ns" % (t, w)),
                                              r.get("%s.%s.p99_ns" % (t, w)),
                                              r.get("%s.%s.max_ns" % (t, w)))])
            rows.append(["checks/s %s" % label,
                         fmt(num(r, "%s.%s.checks_per_s" % (t, w)))])
        self.out(*table(["", ""], rows))
        self.out("")

    def peers(self):
        r = self.r
        if not any(k.startswith(("casbin.", "cedar.")) for k in r):
            return
        self.out("## Peers on the same tenants and requests", "",
                 "node-casbin (RBAC with domains, `enforceSync`) and Cedar "
                 "(cedar-wasm, `statefulIsAuthorized` on a pre-parsed policy "
                 "set; the stateless `isAuthorized` parses the policies on "
                 "every call).  Neither models prerequisite roles (Cedar "
                 "does, as conditions) nor business-unit and department "
                 "scope: on those requests they answer from roles alone.  "
                 "\"agree\" is the share of plain-RBAC requests where the "
                 "peer gives the expected decision.", "")
        rows = []
        for n in self.sizes:
            ours = num(r, "c.%d.t1.checks_per_s" % n)
            cas = num(r, "casbin.%d.checks_per_s" % n)
            ced = num(r, "cedar.%d.checks_per_s" % n)
            cst = num(r, "cedar.%d.stateless.checks_per_s" % n)
            load = num(r, "casbin.%d.load_ms" % n)
            rows.append(["{:,}".format(n), fmt(ours), fmt(cas),
                         fmt(load / 1000 if load else None, "{:.1f}"),
                         fmt(ours / cas if ours and cas else None, "{:,.0f}x"),
                         r.get("casbin.%d.agree_rbac_pct" % n, "-"),
                         fmt(ced), fmt(ours / ced if ours and ced else None,
                                       "{:,.0f}x"),
                         r.get("cedar.%d.agree_rbac_pct" % n, "-"),
                         fmt(cst)])
        self.out(*table(["agents", "rolegate checks/s", "casbin checks/s",
                         "casbin load s", "ratio", "casbin agree %",
                         "Cedar checks/s",
                         "ratio", "Cedar agree %",
                         "Cedar stateless checks/s"], rows))
        for name, key in (("casbin", "casbin"), ("cedar", "cedar")):
            if r.get("%s.%d.available" % (key, self.n)) == "0":
                self.out("", "%s was not installed: not measured." % name)
        self.out("")
        ours = num(r, "c.%d.t1.checks_per_s" % self.n)
        for name, key, target in (("node-casbin", "casbin", TARGET_CASBIN),
                                  ("Cedar", "cedar", TARGET_CEDAR)):
            peer = num(r, "%s.%d.checks_per_s" % (key, self.n))
            ratio = ours / peer if ours and peer else None
            self.targets.append((
                "throughput / %s, %s agents" % (name, "{:,}".format(self.n)),
                ">= %sx" % "{:,.0f}".format(target), fmt(ratio, "{:,.0f}x"),
                fmt(ratio / target if ratio else None, "{:.2f}x of target"),
                verdict(None if ratio is None else ratio >= target)))

    def http(self):
        r = self.r
        if r.get("http.available") != "1":
            self.out("## rolegated over HTTP", "",
                     "Not measured: tools/rolegated was not built or did "
                     "not start (see bench/work/run.log).", "")
            for what in ("rolegated decisions/s (p99 < 5 ms)",
                         "nginx + auth_request / nginx"):
                self.targets.append((what, "", "-", "", verdict(None)))
            return
        self.out("## rolegated over HTTP (loopback, wrk keep-alive)", "",
                 "The %s-agent directory; wrk, rolegated and nginx share "
                 "the machine's CPUs." % "{:,}".format(self.n), "")
        rows = []
        exp = r.get("http.expected_deny_pct")
        if exp:
            self.out("About %s %% of the requests sent should be denied "
                     "(403 from /v1/authz and nginx + auth_request); "
                     "/v1/check answers 200 either way." % exp, "")
        for tag, label in (("authz", "rolegated GET /v1/authz"),
                           ("check", "rolegated POST /v1/check"),
                           ("nginx_plain", "nginx, static file"),
                           ("nginx_auth", "nginx + auth_request to "
                                          "rolegated"),
                           ("nginx_nullauth", "nginx + auth_request to an "
                                              "upstream doing nothing"),
                           ("nginx_auth_unix", "nginx + auth_request to "
                                               "rolegated, Unix socket"),
                           ("nginx_nullauth_unix", "nginx + auth_request to "
                                                   "an upstream doing "
                                                   "nothing, Unix socket")):
            t = "http." + tag
            total = num(r, t + ".requests")
            non2xx = num(r, t + ".non2xx")
            rows.append([label, fmt(num(r, t + ".requests_per_s")),
                         r.get(t + ".p50_ms", "-"), r.get(t + ".p99_ms", "-"),
                         fmt(100 * non2xx / total if total else None,
                             "{:.1f} %")])
        self.out(*table(["endpoint", "requests/s", "p50 ms", "p99 ms",
                         "non-2xx"], rows))
        self.out("")
        for tag in ("authz", "check"):
            rate = num(r, "http.%s.requests_per_s" % tag)
            p99 = num(r, "http.%s.p99_ms" % tag)
            ok = None if rate is None or p99 is None else \
                rate >= TARGET_HTTP and p99 < TARGET_HTTP_P99_MS
            self.targets.append((
                "rolegated /v1/%s decisions/s, p99" % tag,
                ">= 40,000, < 5 ms",
                "%s, %s ms" % (fmt(rate), fmt(p99, "{:.2f}")),
                fmt(rate / TARGET_HTTP if rate else None,
                    "{:.2f}x of target"), verdict(ok)))
        plain = num(r, "http.nginx_plain.requests_per_s")
        auth = num(r, "http.nginx_auth.requests_per_s")
        null = num(r, "http.nginx_nullauth.requests_per_s")
        auth_unix = num(r, "http.nginx_auth_unix.requests_per_s")
        null_unix = num(r, "http.nginx_nullauth_unix.requests_per_s")
        ratio = auth / plain if auth and plain else None
        ratio_unix = auth_unix / plain if auth_unix and plain else None
        if null and plain and auth:
            text = ("auth_request itself costs this nginx most of its "
                    "throughput here: with an upstream that does no work "
                    "at all it keeps %.0f %% of the plain figure; with "
                    "rolegated it keeps %.0f %%, i.e. %s." % (
                        100 * null / plain, 100 * auth / plain,
                        self.of_ceiling("nginx_auth", "nginx_nullauth")))
            if null_unix and auth_unix:
                text += ("  With the upstream on a Unix socket instead of "
                         "loopback TCP (rolegated's `listen_socket`), the "
                         "ceiling is %.0f %% and rolegated keeps %.0f %% of "
                         "plain nginx, %s." % (
                             100 * null_unix / plain,
                             100 * auth_unix / plain,
                             self.of_ceiling("nginx_auth_unix",
                                             "nginx_nullauth_unix")))
            self.out(text, "")
        self.targets.append((
            "nginx + auth_request / plain nginx", ">= 70 %",
            fmt(ratio * 100 if ratio else None, "{:.0f} %"), "",
            verdict(None if ratio is None else ratio >= TARGET_NGINX)))
        if ratio_unix is not None:
            self.targets.append((
                "nginx + auth_request over a Unix socket / plain nginx "
                "(informational)", "no target",
                "%.0f %%" % (ratio_unix * 100), "", "-"))

    def of_ceiling(self, auth, null):
        """rolegated's share of the no-work ceiling, as text: the median
        of the rounds' ratios, each round's two runs seconds apart
        (run-http.sh), with every round's; else the two rows' figures."""
        r = self.r
        a = [float(x) for x in r.get("http.%s.runs" % auth, "").split(",")
             if x]
        n = [float(x) for x in r.get("http.%s.runs" % null, "").split(",")
             if x]
        if a and len(a) == len(n) and all(n):
            ratios = sorted(x / y for x, y in zip(a, n))
            mid = ratios[(len(ratios) - 1) // 2]
            return "%.0f %% of that ceiling (the median of %d rounds, " \
                "each beside its ceiling: %s)" % (
                    100 * mid, len(ratios), ", ".join(
                        "%.0f %%" % (100 * x / y) for x, y in zip(a, n)))
        rate = num(r, "http.%s.requests_per_s" % auth)
        ceil = num(r, "http.%s.requests_per_s" % null)
        return "%.0f %% of that ceiling" % (100 * rate / ceil) \
            if rate and ceil else "- of that ceiling"

    def render(self, m):
        r = self.r
        head = [
            "# rolegate benchmark results", "",
            "Produced by `make bench` (bench/run.sh); reproduce with "
            "`./configure && make && make bench`.", "",
            "| machine | |", "|---|---|",
            "| CPUs (nproc) | %s |" % m["cpus"],
            "| CPU | %s |" % m["cpu"],
            "| memory | %s |" % m["mem"],
            "| kernel | %s |" % m["kernel"],
            "| date | %s |" % m["date"],
            "| commit | %s |" % m["commit"],
            "| load average at start / end | %s / %s |" % (
                r.get("machine.load_start", "?"),
                r.get("machine.load_end", "?")),
            "| run time | %s s |" % r.get("run.seconds", "?"), ""]
        if r.get("machine.sanitizers") == "1":
            head += ["**This tree was built with sanitizers: the figures "
                     "are not representative.**", ""]
        tgt = ["## Targets", ""] + table(
            ["target", "wanted", "measured", "ratio", "verdict"],
            [list(t) for t in self.targets]) + [""]
        return "\n".join(head + tgt + self.lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--srcdir", default=".")
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--largest", type=int, required=True)
    ap.add_argument("--checks", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--history", help="the per-release instruction counts")
    ap.add_argument("--version", help="the version measured")
    ap.add_argument("--commit", help="the commit measured")
    args = ap.parse_args()
    m = machine(args.srcdir)
    args.commit = args.commit or m["commit"]
    rep = Report(load(args.results), args)
    rep.inprocess()
    rep.instr()
    rep.startup()
    rep.cli()
    rep.reload()
    rep.scaleout()
    rep.peers()
    rep.http()
    text = rep.render(m)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    print("(written to %s)" % args.out)


if __name__ == "__main__":
    main()
