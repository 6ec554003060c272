#!/bin/sh
# ci-tsan.sh - build rolegate with ThreadSanitizer in a build directory of
# its own and run the tests that use threads: the Check suites whose
# checks run beside a reload, a directory writer or each other, and every
# rolegated test (its worker pool, decision-log writer, directory watcher
# and SIGHUP reloads).
#
# Usage: tools/ci-tsan.sh [BUILDDIR]   (default: _tsan in the source tree)
#
# The source tree may be configured in place already (tools/setup.sh test),
# which configure refuses for a build elsewhere: then the build gets a
# clean copy of the sources from `make distdir`.  Every ThreadSanitizer
# report, from a test program or from a rolegated a test started, is
# written under BUILDDIR/tsan-reports; none may be there at the end.
# Results land in BUILDDIR/build/tests (tools/test-summary.sh reads them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/_tsan}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

TSAN_TESTS="tests/check_directory tests/check_failclosed tests/check_plugins
tests/check_fastpath tests/daemon/api.sh tests/daemon/authz.sh
tests/daemon/admin.sh tests/daemon/reload.sh tests/daemon/unix.sh"

rm -rf "$dir/build" "$dir/src" "$dir/tsan-reports"
mkdir -p "$dir/build" "$dir/tsan-reports"
src=$top
if [ -f "$top/config.status" ]; then
	make -C "$top" -s distdir distdir="$dir/src" >/dev/null
	src=$dir/src
elif [ ! -x "$top/configure" ]; then
	(cd "$top" && autoreconf -fi)
fi
cd "$dir/build"
"$src/configure" -q --enable-werror --enable-sanitizers=thread
make -j"$jobs" -s

# second_deadlock_stack: lock-order reports name both places.
TSAN_OPTIONS="log_path=$dir/tsan-reports/tsan second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
status=0
# shellcheck disable=SC2086
make -j"$jobs" check TESTS="$(echo $TSAN_TESTS)" >"$dir/check.log" 2>&1 ||
	status=$?

# The reports as one more test: ok when there are none.
log=tests/tsan-reports.log
reports=$(find "$dir/tsan-reports" -type f | sort)
if [ -z "$reports" ]; then
	echo "ok - no ThreadSanitizer report" >"$log"
	res=PASS
else
	{
		echo "not ok - ThreadSanitizer reports:"
		for r in $reports; do
			echo "--- $r"
			head -n 60 "$r"
		done
	} >"$log"
	res=FAIL
	status=1
fi
printf ':test-result: %s\n' "$res" >tests/tsan-reports.trs
[ "$res" = PASS ] || cat "$log"
exit "$status"
