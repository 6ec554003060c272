#!/usr/bin/env python3
"""docs.py - every rolegate example in the README, doc/*.md and the man pages
runs as written.

A session in a document is a fenced or indented block (Markdown) or a
.nf/.fi block (roff) whose lines start with "$ ".  Each document's sessions run in order,
in one shell, in a fresh directory that looks like the top of a built tree
(tools/, policies/ and the shipped configuration's files), with `rolegate`
on PATH as the built one and its default configuration the shipped one, as
after an install.  Commands that are not rolegate's (make, sudo, curl, a
daemon...) are left out and counted; "/tmp/" becomes the test's own
directory.  A command fails the test when the document shows output whose
first line (numbers aside: counts and ids vary) is not in what the command
printed; when it shows none, when the command exits 2 or more (a usage
error, an unknown name, a configuration that does not load) or exits 1 (a
deny, a refusal) without a comment saying so.  doc/plugin-guide.md builds a
plugin first: tests/cli/plugin-sdk.sh runs its blocks.

make check sets top_srcdir and top_builddir.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.path.abspath(os.environ.get("top_srcdir", "."))
BUILD = os.path.abspath(os.environ.get("top_builddir", SRC))
DOCS = ["README.md", "doc/rocketchat.md", "doc/dynamics365.md",
        "doc/omni24.md", "doc/gateways.md",
        "doc/rolegate.1.in", "doc/rolegate.conf.5.in", "doc/rolegated.8.in"]
# The commands run: rolegate's, and shell assignments of a command line.
RUNS = re.compile(r"^((rolegate|tools/rolegate|\$rg)(\s|$)|rg=)")
EXIT_ERROR = 2  # rolegate's usage and error statuses start here
TIMEOUT = 60
INDENT = "    "


def roff_text(line):
    return line.replace("\\-", "-").replace("\\e", "\\").replace("\\(aq", "'")


def sessions(path):
    """[(line number, command, [shown output lines])] of every session."""
    roff = not path.endswith(".md")
    out, block, cmd = [], False, None
    with open(os.path.join(SRC, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        line = roff_text(raw) if roff else raw
        opens = line.startswith(".nf") if roff else line.startswith("```")
        closes = line.startswith(".fi") if roff else line.startswith("```")
        if not block and not roff and line.startswith(INDENT):
            line = line[len(INDENT):]  # an indented Markdown code block
        elif not block:
            block, cmd = opens, None
            continue
        if closes:
            block, cmd = False, None
            continue
        if cmd is not None and cmd[1].endswith("\\"):
            cmd[1] = cmd[1][:-1] + " " + line.strip()
        elif line.startswith("$ "):
            cmd = [no, line[2:].strip(), []]
            out.append(cmd)
        elif cmd is not None and line.strip():
            cmd[2].append(line)
    return out


def comment_of(command):
    m = re.search(r"\s#\s*(.*)$", command)
    return m.group(1) if m else ""


def workdir(tmp):
    """A directory that looks like the top of a built tree."""
    os.symlink(os.path.join(BUILD, "tools"), os.path.join(tmp, "tools"))
    os.symlink(os.path.join(SRC, "policies"), os.path.join(tmp, "policies"))
    pol = os.path.join(SRC, "policies")
    for name in os.listdir(pol):
        if name.endswith((".ini", ".conf")):
            shutil.copy(os.path.join(pol, name), tmp)
    # The shipped suites, where an install puts them: tests/ beside the
    # configuration.
    shutil.copytree(os.path.join(pol, "tests"), os.path.join(tmp, "tests"))
    bindir = os.path.join(tmp, ".bin")
    os.mkdir(bindir)
    os.symlink(os.path.join(BUILD, "tools", "rolegate"),
               os.path.join(bindir, "rolegate"))
    return bindir


def run_doc(path, counts):
    cmds = sessions(path)
    if not cmds:
        return
    tmp = tempfile.mkdtemp(prefix="rolegate-docs.")
    try:
        bindir = workdir(tmp)
        env = dict(os.environ)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env["ROLEGATE_CONFIG"] = os.path.join(tmp, "rolegate.conf")
        # The man pages show an installed rolegate, whose default directory
        # its administrator may write.  The README and doc/ run from a
        # build tree, whose default (under the build's localstatedir) a
        # normal user cannot write: an example there must name its own
        # (under /dev/null, not even root can create it).
        env["ROLEGATE_DIRECTORY"] = (
            os.path.join(tmp, "directory.db") if path.endswith(".in")
            else "/dev/null/rolegate-docs/directory.db")
        env.pop("ROLEGATE_PLUGIN_DIR", None)
        state = os.path.join(tmp, ".state")
        open(state, "w").close()
        for no, command, shown in cmds:
            where = "%s:%d" % (path, no)
            if not RUNS.match(command):
                counts["left"] += 1
                continue
            run_one(where, command, shown, tmp, state, env, counts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_one(where, command, shown, tmp, state, env, counts):
    line = command.replace("/tmp/", tmp + "/")
    # One shell per command, its variables carried in a file, so that one
    # command's status and output are its own.
    script = ". %s\n%s\nst=$?\nset | grep '^rg=' > %s\nexit $st\n" % (
        state, line, state)
    try:
        p = subprocess.run(["sh", "-c", script], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(where, command, "timed out", "")
        counts["failed"] += 1
        return
    text = p.stdout.decode("utf-8", "replace")
    why = judge(p.returncode, shown, command, text)
    if why:
        fail(where, command, why, text)
        counts["failed"] += 1
    else:
        print("ok - %s: %s" % (where, command))
        counts["passed"] += 1


def shown_pattern(line):
    """The first line shown, as a pattern: blanks are any blanks, numbers
    any numbers, a 16-digit hex id any id."""
    words = []
    for w in line.split():
        w = re.escape(w)
        w = re.sub(r"[0-9a-f]{16}", "[0-9a-f]{16}", w)
        words.append(re.sub(r"[0-9]+", "[0-9]+", w))
    return r"\s+".join(words)


def judge(rc, shown, command, text):
    if shown:
        if not re.search(shown_pattern(shown[0]), text):
            return "exit %d, and the first line shown is not printed: %s" % (
                rc, shown[0].strip())
        return ""
    if rc >= EXIT_ERROR:
        return "exit %d" % rc
    if "refused" in comment_of(command) and rc == 0:
        return "exit 0 where the comment says it is refused"
    if rc == 1 and not comment_of(command):
        return "exit 1 where the document shows no answer"
    return ""


def fail(where, command, why, text):
    print("not ok - %s: %s: %s" % (where, command, why))
    for l in text.splitlines()[:8]:
        print("#   %s" % l)


def main():
    if not os.access(os.path.join(BUILD, "tools", "rolegate"), os.X_OK):
        print("1..0 # SKIP tools/rolegate is not built")
        return 77
    counts = {"passed": 0, "failed": 0, "left": 0}
    for path in DOCS:
        if os.path.exists(os.path.join(SRC, path)):
            run_doc(path, counts)
    print("# %d commands not rolegate's left out" % counts["left"])
    print("# %d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
