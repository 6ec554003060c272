#!/bin/sh
# install.sh - a system install matches its documentation.
#
# A fresh build of this source, configured as the README says for a system
# install (--prefix=/usr --sysconfdir=/etc --localstatedir=/var
# --runstatedir=/run), installed with DESTDIR into a test root, must give:
#   - a systemd unit that `systemd-analyze verify` accepts in that root
#     (its ExecStart is the installed rolegated, its paths this build's);
#   - a sysusers.d entry that creates the rolegate user, and a tmpfiles.d
#     entry that creates its directories owned by it;
#   - man pages that name the paths the installed binaries use, with no
#     template placeholder left.
# The build is unoptimised and without sanitizers: only what is installed
# and where is under test.
#
# The sources are this build's distribution (make distdir), so that the
# fresh configure runs in a clean tree whether this one was configured in
# place or not.  make check sets top_builddir; run by hand, it defaults to
# the tree this script sits in.

: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
# The command-line tests' helpers (pass, fail, finish, T): top_builddir is
# what they expect of a script one folder further down.
. "$(dirname "$0")/cli/lib.sh"

skip() {
	echo "1..0 # SKIP $1"
	exit 77
}

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool not found (package systemd)"
done
[ -f "$top_builddir/Makefile" ] || skip "$top_builddir is not configured"

B=$T/src
R=$T/root
mkdir -p "$R"

# ---- configure, build, install -------------------------------------------

if ! ${MAKE:-make} -s -C "$top_builddir" distdir distdir="$B" >"$T/dist.log" 2>&1; then
	tail -n 20 "$T/dist.log" | sed 's/^/#   /'
	fail "make distdir"
	finish
fi
chmod -R u+w "$B"
if ! (cd "$B" && ./configure -q --prefix=/usr --sysconfdir=/etc \
	--localstatedir=/var --runstatedir=/run --disable-hardening \
	CFLAGS='-O0 -g0') >"$T/configure.log" 2>&1; then
	tail -n 20 "$T/configure.log" | sed 's/^/#   /'
	fail "configure for a system install"
	finish
fi
if ! make -C "$B" -j2 -s install DESTDIR="$R" >"$T/make.log" 2>&1; then
	tail -n 30 "$T/make.log" | sed 's/^/#   /'
	fail "make install DESTDIR=..."
	finish
fi
pass "configure --prefix=/usr ... && make install DESTDIR=root"

UNIT=/usr/lib/systemd/system/rolegated.service
SYSUSERS=/usr/lib/sysusers.d/rolegate.conf
TMPFILES=/usr/lib/tmpfiles.d/rolegate.conf
for f in $UNIT $SYSUSERS $TMPFILES /usr/sbin/rolegated /usr/bin/rolegate \
	/usr/share/man/man1/rolegate.1 /usr/share/man/man5/rolegate.conf.5 \
	/usr/share/man/man8/rolegated.8; do
	[ -f "$R$f" ] && pass "installed $f" || fail "not installed: $f"
done

# ---- the unit --------------------------------------------------------------

grep -q '^ExecStart=/usr/sbin/rolegated -c /etc/rolegate/rolegate.conf$' "$R$UNIT" &&
	pass "the unit runs the installed rolegated with /etc/rolegate/rolegate.conf" ||
	fail "the unit's ExecStart: $(grep '^ExecStart=' "$R$UNIT")"

# systemd-analyze needs the units the service depends on and the programs it
# runs inside the root: the host's units, and its kill for ExecReload.
mkdir -p "$R/bin"
cp -R /lib/systemd/system/. "$R/usr/lib/systemd/system/" 2>/dev/null ||
	cp -R /usr/lib/systemd/system/. "$R/usr/lib/systemd/system/"
cp "$(command -v kill 2>/dev/null || echo /bin/kill)" "$R/bin/kill" 2>/dev/null ||
	printf '#!/bin/sh\n' >"$R/bin/kill"
chmod +x "$R/bin/kill"
if systemd-analyze verify --man=no --root="$R" $UNIT >"$T/verify" 2>&1; then
	pass "systemd-analyze verify accepts the unit"
else
	sed 's/^/#   /' "$T/verify"
	fail "systemd-analyze verify"
fi
# The check can fail: the same unit without its program is refused.
mv "$R/usr/sbin/rolegated" "$R/usr/sbin/rolegated.away"
if systemd-analyze verify --man=no --root="$R" $UNIT >"$T/verify" 2>&1; then
	fail "systemd-analyze verify accepts a unit whose program is missing"
else
	pass "systemd-analyze verify refuses the unit without its program"
fi
mv "$R/usr/sbin/rolegated.away" "$R/usr/sbin/rolegated"

# ---- the user and its directories -----------------------------------------

mkdir -p "$R/etc"
touch "$R/etc/passwd" "$R/etc/group"
if systemd-sysusers --root="$R" "$R$SYSUSERS" >"$T/sysusers" 2>&1 &&
	grep -q '^rolegate:' "$R/etc/passwd" && grep -q '^rolegate:' "$R/etc/group"; then
	pass "sysusers.d creates the rolegate user and group"
else
	sed 's/^/#   /' "$T/sysusers"
	fail "sysusers.d: no rolegate user in the root"
fi
uid=$(awk -F: '$1 == "rolegate" { print $3 }' "$R/etc/passwd")
if systemd-tmpfiles --root="$R" --create "$R$TMPFILES" >"$T/tmpfiles" 2>&1; then
	for d in /run/rolegate /var/lib/rolegate /var/log/rolegate; do
		[ -d "$R$d" ] && [ "$(stat -c '%u %a' "$R$d")" = "$uid 750" ] &&
			pass "tmpfiles.d creates $d, 0750, owned by rolegate" ||
			fail "tmpfiles.d: $d is $(stat -c '%u %a' "$R$d" 2>&1)"
	done
else
	sed 's/^/#   /' "$T/tmpfiles"
	fail "systemd-tmpfiles --create"
fi

# ---- man pages name what the binaries use ----------------------------------

if grep -l '@[A-Z]*@' "$R"/usr/share/man/man*/rolegate* >"$T/left" 2>&1; then
	fail "placeholders left in $(cat "$T/left")"
else
	pass "no placeholder left in the man pages"
fi
# Each path a man page gives as a FILES entry or a default is compiled into
# the installed library or programs (their defaults), and the old build
# defaults under /usr/local are in none of them.
BINS="$R/usr/sbin/rolegated $R/usr/bin/rolegate $R/usr/lib/librolegate.so"
in_binaries() {
	for b in $BINS; do
		[ -e "$b" ] || continue
		strings -a "$(readlink -f "$b")" | grep -qF "$1" && return 0
	done
	return 1
}
for path in /etc/rolegate /var/lib/rolegate /run/rolegate/rolegated.sock \
	/usr/lib/rolegate; do
	grep -rqF "$path" "$R"/usr/share/man/man*/rolegate* ||
		{ fail "no man page names $path"; continue; }
	in_binaries "$path" && pass "man pages and binaries agree on $path" ||
		fail "$path is in the man pages but in no installed binary"
done
if grep -rqF '/usr/local' "$R"/usr/share/man/man*/rolegate*; then
	fail "a man page still names /usr/local: $(grep -rF /usr/local "$R"/usr/share/man/man*/rolegate* | head -n 3)"
else
	pass "no man page names /usr/local"
fi
# rolegate itself names its default configuration as the man page does.
LD_LIBRARY_PATH="$R/usr/lib" ROLEGATE_PLUGIN_DIR="$R/usr/lib/rolegate" \
	"$R/usr/bin/rolegate" services >"$T/out" 2>&1
grep -qF '/etc/rolegate/rolegate.conf' "$T/out" &&
	pass "rolegate without a config names /etc/rolegate/rolegate.conf" ||
	fail "rolegate without a config: $(head -n 3 "$T/out")"

finish
