#!/bin/sh
# test-summary.sh - one line summing every test that `make check` ran.
#
# Usage: test-summary.sh [BUILDDIR...]   (default: the current directory)
#
# Check suites report "N%: Checks: C, Failures: F, Errors: E"; shell tests
# report one "ok - ..." or "not ok - ..." line per assertion.  Failed test
# programs that printed neither (a crash) count as one failure each.  Prints
# the failing logs' tails first, then, over every build directory given:
# "N passed, N failed".  A directory that does not exist is an error: a
# summary must never read as clean because it looked in the wrong place.
set -u
passed=0
failed=0

# Adds one build directory's results to passed and failed.
summarize() {
	for trs in $(find "$1/tests" "$1/fuzz" -name '*.trs' 2>/dev/null | sort); do
		log=${trs%.trs}.log
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
		line=$(grep -E '^[0-9]+%: Checks: ' "$log" 2>/dev/null | tail -n 1)
		if [ -n "$line" ]; then
			c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
			f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
			e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
			passed=$((passed + c - f - e))
			failed=$((failed + f + e))
		else
			p=$(grep -c '^ok ' "$log" 2>/dev/null || true)
			f=$(grep -c '^not ok ' "$log" 2>/dev/null || true)
			passed=$((passed + p))
			failed=$((failed + f))
			if [ "$res" != PASS ] && [ "$res" != SKIP ] &&
				[ "$f" -eq 0 ]; then
				failed=$((failed + 1))
			fi
		fi
		if [ "$res" != PASS ] && [ "$res" != SKIP ]; then
			echo "--- $log ($res)"
			# Check prints each failure after its summary line.
			grep -E ':[EF]:|^not ok ' "$log" | head -n 40
			tail -n 30 "$log"
		fi
	done
}

[ "$#" -eq 0 ] && set -- .
for dir in "$@"; do
	if [ ! -d "$dir" ]; then
		echo "test-summary: no build directory $dir" >&2
		failed=$((failed + 1))
		continue
	fi
	summarize "$dir"
done
echo "$passed passed, $failed failed"
