#!/bin/bash
# run.sh - `make bench`: every benchmark of rolegate in one run, on the same
# generated tenants and request mixes, then the table and bench/results.md.
#
#   1. bench/gen-tenant.py: tenants of 500, 5,000 and 50,000 agents per
#      shipped product, their directory import files and a request mix;
#   2. bench/bench_check: the C API in-process (import, start-up and
#      memory, checks per second on 1 and 2 threads with p50/p99, reload),
#      then bench/run-scaleout.sh: the largest tenant in PostgreSQL
#      (import, load, rates, a change's propagation to three rolegated);
#   3. the peers on the same tenant and requests: node-casbin and Cedar,
#      installed under bench/node_modules by npm;
#   4. bench/run-http.sh: rolegated with wrk, nginx with auth_request;
#   5. bench/report.py: the table and bench/results.md.
#
# Environment (all optional): BENCH_SIZES (500,5000,50000), BENCH_CHECKS
# (checks per thread and run, 1000000), BENCH_REPEATS (runs of each
# in-process measurement, the fastest reported: 5), BENCH_BATCH (requests
# per rg_check_batch() call in the batched runs: 64), BENCH_CASBIN_CHECKS
# (4000), BENCH_CEDAR_CHECKS (10000), BENCH_HTTP_SECONDS (10),
# BENCH_HTTP_ROUNDS (3), BENCH_HTTP_ROUND_SECONDS (5), BENCH_SKIP
# (words among peers http reload instr scaleout: parts to leave out),
# BENCH_INSTR_CHECKS (checks counted under callgrind: 200000), BENCH_SUBJECTS
# (adhoc: subjects with their roles and attributes in each request instead
# of directory users).  make sets top_srcdir and top_builddir; by hand, run
# it from a configured and built tree: top_srcdir=. top_builddir=.
# bench/run.sh
set -u

srcdir=$(cd "${top_srcdir:-.}" && pwd)
builddir=$(cd "${top_builddir:-.}" && pwd)
bench=$builddir/bench
work=$bench/work
sizes=${BENCH_SIZES:-500,5000,50000}
checks=${BENCH_CHECKS:-1000000}
repeats=${BENCH_REPEATS:-5}
batch=${BENCH_BATCH:-64}
casbin_checks=${BENCH_CASBIN_CHECKS:-4000}
cedar_checks=${BENCH_CEDAR_CHECKS:-10000}
skip=" ${BENCH_SKIP:-} "
largest=${sizes##*,}
conf=$srcdir/policies/rolegate.conf
plugins=$builddir/plugins/.libs
check=$bench/bench_check
log=$work/run.log
STARTUP_RUNS=5

export top_srcdir=$srcdir top_builddir=$builddir

mkdir -p "$work/db"
: >"$log"
t_begin=$(date +%s)
# Other work on the machine skews every figure: keep the load with them.
echo "RESULT machine.load_start $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" \
	>>"$log"

section() { printf '\n== %s\n' "$*" | tee -a "$log"; }

# Runs a command, keeping everything in the log and showing all but the
# RESULT lines.
run() {
	"$@" 2>&1 | tee -a "$log" | { grep -v '^RESULT ' || true; } |
		sed 's/^/   /'
	return "${PIPESTATUS[0]}"
}

skipped() { case $skip in *" $1 "*) return 0 ;; esac; return 1; }

if [ -n "${RG_SAN_CFLAGS:-}" ]; then
	echo "warning: this tree is built with sanitizers ($RG_SAN_CFLAGS):" \
	     "figures are not representative" | tee -a "$log"
	echo "RESULT machine.sanitizers 1" >>"$log"
fi

# ---- 1. tenants -----------------------------------------------------------
section "tenants ($sizes agents)"
want=$(cat "$srcdir/bench/gen-tenant.py" "$srcdir"/policies/*.ini \
	"$srcdir/policies/rolegate.conf" | cksum)
IFS=, read -r -a size_list <<<"$sizes"
for n in "${size_list[@]}"; do
	stamp=$work/tenant-$n/stamp
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		echo "   $n agents: up to date (bench/work/tenant-$n)"
		continue
	fi
	# The databases and their WAL files go with the tenant they hold.
	rm -f "$work/db/tenant-$n".db* "$work/db/tenant-$n"-*.db*
	if ! run python3 "$srcdir/bench/gen-tenant.py" \
		--policies "$srcdir/policies" --out "$work" --sizes "$n"; then
		echo "gen-tenant.py failed" >&2
		exit 1
	fi
	echo "$want" >"$stamp"
done

# ---- 2. the C API in-process ----------------------------------------------
# A database is reused when newer than its tenant and than the library
# (an older library's may not suit this one).
fresh() {
	[ "$1" -nt "$builddir/librolegate.la" ] &&
		[ "$1" -nt "$work/tenant-$2/requests.tsv" ]
}

section "directory import"
subjects=${BENCH_SUBJECTS:-directory}
for n in "${size_list[@]}"; do
	[ "$subjects" = directory ] || break
	db=$work/db/tenant-$n.db
	fresh "$db" "$n" && continue
	run "$check" import -c "$conf" -p "$plugins" -d "$db" -T "c.$n" \
		"$work/tenant-$n"/directory-*.json
	if [ ! -f "$db" ] ||
		! grep -q "^RESULT c.$n.import_available 1" "$log"; then
		rm -f "$db"
		subjects=adhoc
		break
	fi
done
if [ "$subjects" = directory ]; then
	for s in dynamics365 rocketchat omni24; do
		db=$work/db/tenant-$largest-$s.db
		fresh "$db" "$largest" ||
			run "$check" import -c "$conf" -p "$plugins" -d "$db" \
				-T "c.$largest.$s" \
				"$work/tenant-$largest/directory-$s.json"
	done
	echo "   databases in bench/work/db"
else
	echo "   no directory in this library: subjects are ad hoc" \
	     "(roles and attributes passed with each request)"
fi
echo "RESULT c.subjects $subjects" >>"$log"
echo "RESULT c.repeats $repeats" >>"$log"
echo "RESULT c.batch $batch" >>"$log"

# Arguments that give bench_check a tenant: its directory, or ad hoc.
tenant_args() {
	if [ "$subjects" = directory ]; then
		echo "-c $conf -d $work/db/tenant-$1.db"
	else
		echo "-c $work/tenant-$1/adhoc.conf -u $work/tenant-$1/users.tsv"
	fi
}

section "start-up: open the configuration and load the directory"
startup() {
	tag=$1
	shift
	for i in $(seq "$STARTUP_RUNS"); do
		run "$check" startup -p "$plugins" -T "$tag.run$i" "$@"
	done
}
if [ "$subjects" = directory ]; then
	for s in dynamics365 rocketchat omni24; do
		echo "   $s, $largest agents:"
		startup "c.startup.$largest.$s" -c "$conf" \
			-d "$work/db/tenant-$largest-$s.db"
	done
	echo "   all three products, $largest agents each:"
fi
# shellcheck disable=SC2046
startup "c.startup.$largest.all" $(tenant_args "$largest")

# An administrator's question from the shell: `rolegate check` of one
# directory user, a fresh process each time (it reads the subject's row
# alone, RG_OPEN_ONE_USER, and builds no decision table).
section "the shell: rolegate check of one user, $largest agents a product"
if [ "$subjects" = directory ] && [ -x "$builddir/tools/rolegate" ]; then
	run python3 "$srcdir/bench/cli-check.py" \
		--rolegate "$builddir/tools/rolegate" --config "$conf" \
		--directory "$work/db/tenant-$largest.db" \
		--requests "$work/tenant-$largest/requests.tsv" \
		--runs "$STARTUP_RUNS" --tag "c.cli.$largest" ||
		echo "   cli-check.py failed (see $log)"
else
	echo "   (no directory or no tools/rolegate: not measured)"
fi

section "checks in-process ($checks per thread, 1 and 2 threads, then" \
	"batches of $batch; fastest of $repeats runs)"
for n in "${size_list[@]}"; do
	echo "   $n agents:"
	# shellcheck disable=SC2046
	run "$check" run -p "$plugins" $(tenant_args "$n") \
		-r "$work/tenant-$n/requests.tsv" -n "$checks" -t 2 \
		-b "$batch" -R "$repeats" -T "c.$n"
done
echo "   per product, $largest agents, 1 thread:"
for s in dynamics365 rocketchat omni24; do
	# shellcheck disable=SC2046
	run "$check" run -p "$plugins" $(tenant_args "$largest") \
		-r "$work/tenant-$largest/requests.tsv" -n "$checks" \
		-t 1 -s "$s" -T "c.$largest.$s"
done
# Where the time goes: the requests without a scope attribute (answered
# from the decision table) and the scoped ones, each alone.
echo "   by kind of request, $largest agents, 1 thread:"
for k in unscoped:rbac,prereq scoped:scope; do
	# shellcheck disable=SC2046
	run "$check" run -p "$plugins" $(tenant_args "$largest") \
		-r "$work/tenant-$largest/requests.tsv" -n "$checks" \
		-t 1 -b "$batch" -R "$repeats" -K "${k#*:}" \
		-T "c.$largest.${k%%:*}"
done

# Instructions per check under callgrind: only instr_loop() (or
# instr_loop_stub()) is counted, so start-up and verification are left out,
# and unlike a rate the count does not move with the machine's load.  Paths: by user id without a reason (a
# gateway's hot path), with a reason (what /v1/check and /v1/authz answer
# with), through rg_check_batch(), through rg_check_target() (service and
# action resolved once, the user by length; and -U, with each user's
# rg_user_hash() worked out before the loop, as a caller that keeps it),
# and ad-hoc subjects (roles in the request); and through
# rg_check_target() two kinds of request alone
# (-K: rbac, no attribute, which the decision table answers; scope, one or
# more attributes).  The loop_* runs (-S) call stand-ins that do nothing
# in place of the library, one per shape of call: what the loop itself
# costs, which the report subtracts to give the library's share.
instr_checks=${BENCH_INSTR_CHECKS:-200000}
if ! skipped instr && command -v valgrind >/dev/null 2>&1; then
	section "instructions per check (callgrind, $instr_checks checks," 		"$largest agents)"
	adhoc="-c $work/tenant-$largest/adhoc.conf -u $work/tenant-$largest/users.tsv"
	for p in "id:" "id_reason:-F reason" "batch:-b $batch" \
		"target:-H" "target_reason:-H -F reason" \
		"roles:ADHOC" "roles_reason:ADHOC -F reason" \
		"target_rbac:-H -K rbac" "target_scope:-H -K scope" \
		"target_hashed:-U" "loop:-S" "loop_batch:-S -b $batch" \
		"loop_target:-S -H" "loop_target_hashed:-S -U"; do
		name=${p%%:*}
		args=${p#*:}
		case $args in
		ADHOC*) targs="$adhoc ${args#ADHOC}" ;;
		*) targs="$(tenant_args "$largest") $args" ;;
		esac
		out=$work/callgrind.$name.out
		rm -f "$out"
		# shellcheck disable=SC2086
		"$builddir/libtool" --mode=execute valgrind --tool=callgrind \
			--collect-atstart=no --toggle-collect='instr_loop*' \
			--callgrind-out-file="$out" "$check" instr -p "$plugins" \
			$targs -r "$work/tenant-$largest/requests.tsv" \
			-n "$instr_checks" -T "c.instr.$name" >>"$log" 2>&1
		ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null)
		if [ -n "$ir" ]; then
			per=$((ir / instr_checks))
			echo "RESULT c.instr.$name.per_check $per" >>"$log"
			printf '   %-18s %6d instructions a check\n' "$name" "$per"
		else
			echo "   $name: callgrind gave no count (see $log)"
		fi
	done
else
	echo "   (instructions per check: no valgrind, or BENCH_SKIP=instr)"
fi

if ! skipped reload; then
	section "reload: swap a policy while a thread keeps checking"
	if [ "$subjects" = directory ]; then
		swap=$work/swap/rolegate.conf
	else
		swap=$work/tenant-$largest/adhoc-swap.conf
	fi
	# shellcheck disable=SC2046
	run "$check" reload -p "$plugins" $(tenant_args "$largest") \
		-w "$swap" -r "$work/tenant-$largest/requests.tsv" \
		-T "c.reload.$largest"
fi

if ! skipped scaleout && [ "$subjects" = directory ]; then
	section "scale-out: the $largest-agent tenant in PostgreSQL beside SQLite"
	run bash "$srcdir/bench/run-scaleout.sh" "$work" "$conf" "$plugins" \
		"$work/tenant-$largest" "$work/db/tenant-$largest.db"
fi

# ---- 3. peers ---------------------------------------------------------------
if ! skipped peers; then
	section "peers: node-casbin and Cedar on the same tenants and requests"
	peers=yes
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
	then
		echo "   node or npm is missing: the peers are skipped"
		peers=no
	else
		if [ "$srcdir" != "$builddir" ]; then
			cp "$srcdir/bench/package.json" \
				"$srcdir/bench/package-lock.json" "$bench/"
		fi
		if ! npm install --prefix "$bench" --no-audit --no-fund \
			--loglevel=error >>"$log" 2>&1; then
			echo "   npm install failed (see bench/work/run.log);" \
			     "each peer that is missing says so"
		fi
	fi
	if [ "$peers" = yes ]; then
		export NODE_PATH=$bench/node_modules
		for n in "${size_list[@]}"; do
			t=$work/tenant-$n
			echo "   $n agents:"
			run node "$srcdir/bench/peers/casbin-bench.js" \
				--model "$work/model.json" --users "$t/users.tsv" \
				--requests "$t/requests.tsv" --work "$t" \
				--checks "$casbin_checks" --tag "casbin.$n"
			run node "$srcdir/bench/peers/cedar-bench.js" \
				--model "$work/model.json" --users "$t/users.tsv" \
				--requests "$t/requests.tsv" \
				--checks "$cedar_checks" --tag "cedar.$n"
		done
	fi
fi

# ---- 4. HTTP ------------------------------------------------------------------
if ! skipped http; then
	section "rolegated over loopback; nginx with and without auth_request"
	run sh "$srcdir/bench/run-http.sh" "$work" \
		"$work/db/tenant-$largest.db" "$work/tenant-$largest/requests.tsv"
fi

# ---- 5. report -------------------------------------------------------------------
section "results"
echo "RESULT run.seconds $(($(date +%s) - t_begin))" >>"$log"
echo "RESULT machine.load_end $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)" \
	>>"$log"
grep '^RESULT ' "$log" >"$work/results.txt"
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' \
	"$builddir/config.h")
python3 "$srcdir/bench/report.py" --results "$work/results.txt" \
	--srcdir "$srcdir" --largest "$largest" --sizes "$sizes" \
	--checks "$checks" --out "$bench/results.md" \
	--history "$srcdir/bench/instr-history.tsv" --version "$version"
