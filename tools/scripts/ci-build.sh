#!/bin/sh
# ci-build.sh - a build of another kind in a build directory of its own,
# and what runs in it:
#
#   tools/scripts/ci-build.sh tsan [DIR]   ThreadSanitizer (default DIR _tsan): the
#       Check suites whose checks run beside a reload, a directory writer or
#       each other, and every rolegated test (worker pool, decision-log
#       writer, directory watcher, SIGHUP reloads).  Every report, from a
#       test program or a rolegated a test started, is written under
#       DIR/tsan-reports; none may be there at the end.
#   tools/scripts/ci-build.sh fuzz [DIR]   clang and libFuzzer (default DIR _fuzz):
#       make fuzz, FUZZ_SECONDS per target.
#
# The source tree may be configured in place already (tools/scripts/setup.sh test),
# which configure refuses for a build elsewhere: then the build gets a
# clean copy of the sources from `make distdir`.  Results land in
# DIR/build/tests and DIR/build/fuzz (tools/scripts/test-summary.sh DIR/build).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kind=${1:-}
case "$kind" in
tsan | fuzz) ;;
*)
	echo "usage: $0 tsan|fuzz [DIR]" >&2
	exit 2
	;;
esac
dir=${2:-$top/_$kind}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

TSAN_TESTS="tests/check_directory tests/check_failclosed tests/check_plugins
tests/check_fastpath tests/daemon/api.sh tests/daemon/authz.sh
tests/daemon/admin.sh tests/daemon/reload.sh tests/daemon/unix.sh
tests/daemon/sync.sh"

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
if [ "$kind" = fuzz ]; then
	CC=${CC:-clang} "$src/configure" -q --enable-fuzzing
	make -j"$jobs" -s
	exec make -s fuzz
fi
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
