#!/bin/bash
# 005-kill9: vigil-update killed with SIGKILL at a random moment, again and
# again, while it installs ever bigger versions from a slow mirror
# (httpd.py --rate).  After every kill: current is a symlink to a complete
# version directory that vigil-dbtool verify accepts, and vigil-scan loads
# BasesPath and detects that version's own signature.  Every few kills an
# unkilled run must succeed; at the end a normal run installs the newest
# version and removes every stale .staging-* directory.
. "$(dirname "$0")/ulib.sh" || exit 1
need_built

ROUNDS=${VIGIL_KILL9_ROUNDS:-20}
RATE=${VIGIL_KILL9_RATE:-4000000}	# bytes a second from the mirror
ver() { echo $((1000 + $1)); }
# release I - version I: the bundled database, marker K<I>, and a bulk
# .hdb of random signatures that grows with I (a new object every time)
release() {
	src_new "$T/src"
	addsig "$T/src" "Vigil.Test.K$1"
	bighdb "$T/src/bulk.hdb" $((5000 + $1 * 3000)) "k$1"
	build k "$(ver "$1")" "$T/src" "$T/m"
}
# consistent WHEN - current points to a whole, verified version, and
# vigil-scan loads BasesPath and detects that version's own marker
consistent() {
	local c v
	c=$(cur "$T/bases")
	if [ -z "$c" ] || [ ! -d "$T/bases/$c" ]; then
		fail "$1: current is not a symlink to a version directory ($(ls -la "$T/bases" | tr '\n' ' '))"
		return
	fi
	if ! "$DBTOOL" verify --key "$T/k.pub" "$T/bases/$c" > "$T/verify.out" 2>&1; then
		fail "$1: $c does not verify: $(cat "$T/verify.out")"
		return
	fi
	v=${c#v}
	if ! detects "$T/bases" "Vigil.Test.K$((v - 1000))"; then
		fail "$1: vigil-scan with BasesPath -> $c (rc $rc): $(head -3 <<<"$out")"
		return
	fi
	ok "$1: current -> $c, verified, loads"
}

keygen k
release 0
pyhttp slow "$T/m" --rate "$RATE"
URL=http://127.0.0.1:$PY_PORT
src_new "$T/bases"
uconf "$T/u.conf" Timeout=30s
upd
expect_rc "initial install of version 0" 0

killed=0 completed=0 pid=
on_exit '[ -n "$pid" ] && kill -KILL "$pid"'
for i in $(seq 1 "$ROUNDS"); do
	release "$i"
	delay=$((RANDOM % 301))
	"$UPDATE" -c "$T/u.conf" -q &
	pid=$!
	sleep "$(printf '0.%03d' "$delay")"
	kill -KILL "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	if [ $? -eq 137 ]; then
		killed=$((killed + 1))
	else
		completed=$((completed + 1))
	fi
	pid=
	consistent "round $i (kill after $delay ms)"
	if [ $((i % 5)) -eq 4 ]; then
		upd -q
		check "round $i: an unkilled run after the kills succeeds (exit $rc)" \
			[ $rc -eq 0 -o $rc -eq 1 ]
		check "round $i: ... and installs the newest" [ "$(cur "$T/bases")" = "v$(ver "$i")" ]
		consistent "round $i, unkilled"
	fi
done
echo "killed $killed runs, $completed finished before their kill"

# the end: a normal run installs the newest and cleans up stale staging
mkdir -p "$T/bases/.staging-4999999/x"
echo "stale staging directories before the last run: $(compgen -G "$T/bases/.staging-*" | wc -l)"
release $((ROUNDS + 1))
upd
expect_rc "a normal run after the kills" 0
check "... installs the newest" [ "$(cur "$T/bases")" = "v$(ver $((ROUNDS + 1)))" ]
consistent "final"
check "... and removes every stale .staging-*" eval '! staging_left "$T/bases"'
finish
