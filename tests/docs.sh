#!/bin/sh
# docs.sh - every rolegate example in the README, doc/ and the man pages runs
# as written (tests/docs.py says how).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 not found"; exit 77; }
exec python3 "$top_srcdir/tests/docs.py"
