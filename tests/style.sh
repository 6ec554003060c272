#!/bin/sh
# The source checks (tools/scripts/check-style.sh: clang-format and cppcheck) as a
# test, so that a finding fails `make check` and counts in its summary.
# Skipped (77) where the checkers are not installed.
"${top_srcdir:-.}/tools/scripts/check-style.sh"
rc=$?
case $rc in
0) echo "ok - source style: clang-format and cppcheck clean" ;;
77) exit 77 ;;
*) echo "not ok - source style: see the findings above" ;;
esac
exit "$rc"
