#!/bin/sh
# usage.sh - rolegate --help, --version, per-command help and usage errors.
set -eu
. "$(dirname "$0")/lib.sh"
write_config

run --help
expect_rc 0 "--help"
expect_out '^Usage: rolegate' "--help prints the usage"
for cmd in check explain validate roles privileges whocan diff plugins lint services; do
	expect_out "^  $cmd " "--help lists $cmd"
done

run -h
expect_rc 0 "-h"

run --version
expect_rc 0 "--version"
expect_out '^rolegate [0-9]+\.[0-9]+\.[0-9]+ \(librolegate [0-9]+\.[0-9]+\.[0-9]+\)$' \
	"--version names both versions"

for cmd in check explain validate roles privileges whocan diff plugins lint services; do
	run "$cmd" --help
	expect_rc 0 "$cmd --help"
	expect_out "^Usage: rolegate .*$cmd" "$cmd --help prints its usage"
done

run check --help
expect_out -- '--explain' "check --help documents --explain"

run help validate
expect_rc 0 "help validate"
expect_out '^Usage: rolegate .*validate \[--json\] SERVICE SUBJECT' \
	"help validate prints its usage"

run
expect_rc 2 "no command"
expect_err 'no command' "no command: says so"

run frobnicate
expect_rc 2 "unknown command"
expect_err "unknown command 'frobnicate'" "unknown command: named"
expect_err '^Usage: rolegate' "unknown command: usage follows"

run --frobnicate
expect_rc 2 "unknown global option"
expect_err "unknown option '--frobnicate'" "unknown global option: named"

rg check --frobnicate desk @viewer ticket.view
expect_rc 2 "unknown command option"
expect_err "check: unknown option '--frobnicate'" \
	"unknown command option: named"
expect_no_out '^allow' "unknown command option: nothing allowed"

rg validate --explain desk @viewer
expect_rc 2 "--explain is check's only"

run -c
expect_rc 2 "-c without a value"
expect_err "needs a value" "-c without a value: says so"

rg check desk @viewer
expect_rc 2 "check with too few arguments"
expect_err "missing arguments" "too few arguments: says so"
expect_err '^Usage: rolegate .*check' "too few arguments: usage follows"

rg validate desk @viewer extra
expect_rc 2 "validate with too many arguments"
expect_err "unexpected argument 'extra'" "too many arguments: named"

rg services extra
expect_rc 2 "services takes no argument"

rg --json services
expect_rc 2 "--json before the command"

# Where the configuration comes from.
run -c "$T/nonexistent.conf" services
expect_rc 2 "unreadable config"
expect_err 'nonexistent\.conf' "unreadable config: file named"

set +e
ROLEGATE_CONFIG="$T/rolegate.conf" "$RG" services >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc 0 "config from \$ROLEGATE_CONFIG"
expect_out '^desk$' "config from \$ROLEGATE_CONFIG: its services"

set +e
ROLEGATE_CONFIG="$T/nonexistent.conf" "$RG" -c "$T/rolegate.conf" \
	services >"$T/out" 2>"$T/err"
RC=$?
set -e
expect_rc 0 "-c wins over \$ROLEGATE_CONFIG"

# Global options after the command are accepted too.
run services -c "$T/rolegate.conf"
expect_rc 0 "-c after the command"

rg services
expect_rc 0 "services"
expect_out '^desk$' "services: desk"
expect_out '^closed$' "services: closed"
expect_lines 4 "services: one line each"

rg services --json
expect_rc 0 "services --json"
expect_json '[s["name"] for s in d["services"]] == ["desk", "desk2", "open", "closed"]' \
	"services --json: names in config order"

finish
