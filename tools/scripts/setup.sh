#!/bin/sh
# setup.sh - install what rolegate needs, build it, and run something.
#
#   tools/scripts/setup.sh demo    build, then lint the shipped config and answer a
#                          few real questions on the embedded defaults
#   tools/scripts/setup.sh test    build with -Werror, ASan and UBSan, run every test,
#                          and end with one "N passed, N failed" line
#   tools/scripts/setup.sh deps    only install the Debian packages
#
# Run as root, or as a user who may sudo (for apt-get).
set -eu

mode=${1:-demo}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

DEBIAN_PACKAGES="build-essential autoconf automake libtool pkg-config
libltdl-dev libinih-dev check libsqlite3-dev sqlite3 libmicrohttpd-dev
libjansson-dev liburcu-dev libcurl4-openssl-dev python3 nginx-light caddy haproxy curl wrk libpam0g-dev
libpam-modules clang-format cppcheck systemd binutils postgresql libpq-dev"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
	missing=""
	for p in $DEBIAN_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing:$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# The gateways (nginx, caddy, haproxy) and PostgreSQL are for the
	# tests, which run them on ports and sockets of their own: their
	# packages must not start them as services (port 80, 5432).  A
	# policy-rc.d that says no, for the install.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
		as_root chmod 755 "$policy"
	fi
	rc=0
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing || rc=$?
	[ -z "$policy" ] || as_root rm -f "$policy"
	return $rc
}

build() {
	flags="$*"
	# The flags of the last build that finished: objects do not depend on
	# the flags, so a build of the other kind (test's sanitizers, demo's
	# plain one), or one that stopped half way, must be cleaned first.
	stamp=".setup-configure-flags"
	if [ ! -x configure ]; then autoreconf -fi; fi
	if [ ! -f Makefile ] || [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
		rm -f "$stamp"
		if [ -f Makefile ]; then make -s clean >/dev/null 2>&1 || :; fi
		# shellcheck disable=SC2086
		./configure -q $flags || return
	fi
	make -j"$(nproc)" -s || return
	echo "$flags" >"$stamp"
}

demo() {
	rg="tools/rolegate -c policies/rolegate.conf"
	set -x
	$rg lint
	$rg check dynamics365 @basic-user,omnichannel-agent queue.view || true
	$rg explain dynamics365 @basic-user,omnichannel-administrator workspace.access || true
	$rg check rocketchat @livechat-monitor view-livechat-analytics \
		department=sales subject.units=emea || true
	$rg check rocketchat @livechat-monitor view-livechat-analytics \
		department=billing subject.units=emea || true
	$rg check dynamics365 @basic-user,omnichannel-supervisor \
		user.edit-queue-assignment subject.bu=sales bu=emea || true
	$rg whocan omni24 billing.manage
	{ set +x; } 2>/dev/null
}

case "$mode" in
deps) deps ;;
demo) deps && build && demo ;;
test)
	deps
	build --enable-werror --enable-sanitizers --with-pam-tests
	status=0
	make -j"$(nproc)" check >/dev/null 2>&1 || status=$?
	tools/scripts/test-summary.sh
	exit $status
	;;
*)
	echo "usage: $0 demo|test|deps" >&2
	exit 2
	;;
esac
