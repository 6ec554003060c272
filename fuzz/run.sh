#!/bin/sh
# run.sh - `make fuzz`: runs each libFuzzer target for FUZZ_SECONDS
# (default 30), starting from its seed corpus and regressions.
#
# Usage (from the build directory): fuzz/run.sh TARGET...
#
# New inputs go to fuzz/work/TARGET in the build directory (the checked-in
# corpus is never written); a crash is saved as fuzz/crashes/TARGET-*,
# to be fixed and then added to fuzz/regress/TARGET/.  Each target's
# outcome is one "ok"/"not ok" line in fuzz/TARGET.log, with a .trs
# beside it that tools/scripts/test-summary.sh counts.  Exits non-zero when any
# target crashed.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${FUZZ_SECONDS:=30}"
# Inputs larger than this are not worth their time: configs are small.
: "${FUZZ_MAX_LEN:=8192}"
status=0
mkdir -p fuzz/work fuzz/crashes
for t in "$@"; do
	log=fuzz/$t.log
	mkdir -p "fuzz/work/$t"
	# libFuzzer stops at a corpus directory that does not exist.
	regress=$top_srcdir/fuzz/regress/$t
	[ -d "$regress" ] || regress=""
	# A leak in one input would be reported at every exit: report it.
	ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}" \
		"fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
		-max_len="$FUZZ_MAX_LEN" -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 \
		-artifact_prefix="fuzz/crashes/$t-" "fuzz/work/$t" \
		"$top_srcdir/fuzz/corpus/$t" ${regress:+"$regress"} \
		>"$log.out" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.out")
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz $t: ${FUZZ_SECONDS}s, ${runs:-?} inputs, no crash" >"$log"
		res=PASS
	else
		{
			echo "not ok - fuzz $t: exit $rc after ${runs:-?} inputs"
			grep -E 'ERROR|SUMMARY|wrong answer|Test unit written' "$log.out" | head -n 20
			tail -n 40 "$log.out"
		} >"$log"
		res=FAIL
		status=1
	fi
	printf ':test-result: %s\n' "$res" >"fuzz/$t.trs"
	head -n 1 "$log"
done
exit "$status"
