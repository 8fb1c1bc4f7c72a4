#!/bin/bash
# 004-tamper: with v1 installed and vigild serving it, every bad v2 on the
# mirror is refused and changes nothing: a flipped byte in an object, a
# changed byte in the manifest's signed part, a manifest without its
# signature, one re-signed with an untrusted key, an older version signed
# by the trusted key, truncated objects (exit 4), a server that drops the
# connection in the middle of a file (exit 3), a full disk (exit 5, tmpfs,
# root only).  After each refusal current is still v1, vigil-scan loads it,
# vigild answers PING, reloads and detects with v1.  Then a good v2 with
# PostUpdateCmd = vigilctl reload-db: vigild detects the v2-only signature.
. "$(dirname "$0")/ulib.sh" || exit 1
need_built
need_prog nginx nginx-light
[ -x "$VIGILD" ] && [ -x "$VIGILCTL" ] || { echo "FAIL: vigild/vigilctl not built"; exit 1; }
on_exit vigild_stop

V0=20260901
V1=20261001
V2=20261002
keygen k
keygen evil
mkdir -p "$T/www"
src_new "$T/src"
addsig "$T/src" Vigil.Test.V1
build k $V1 "$T/src" "$T/www/good"
cp -r "$T/www/good" "$T/v1mirror"
build evil $V1 "$T/src" "$T/www/evil"
cp -r "$T/src" "$T/src1"
addsig "$T/src" Vigil.Test.V2
build k $V2 "$T/src" "$T/www/good"
build evil $V2 "$T/src" "$T/www/evil"
build k $V0 "$T/src" "$T/www/older"
h2=$(mf_field "$T/www/good/vigil.manifest" vigil.hdb 4)

# variant NAME - $T/www/NAME: a copy of the good v1+v2 mirror to damage
variant() { cp -r "$T/www/good" "$T/www/$1"; }
# damage_v2 NAME flip|truncate - damage every file v2 would fetch for the
# changed vigil.hdb: its object and its deltas
damage_v2() {
	local f
	for f in "$T/www/$1/objects/$h2.zst" "$T/www/$1"/deltas/*-"$h2".zst; do
		[ -f "$f" ] || continue
		case $2 in
		flip) flip "$f" ;;
		truncate) truncate -s $(($(stat -c %s "$f") / 2)) "$f" ;;
		esac
	done
}
variant obj-flip
damage_v2 obj-flip flip
variant obj-trunc
damage_v2 obj-trunc truncate
variant sig-date
# one second later: still a valid manifest, no longer the signed one
python3 - "$T/www/sig-date/vigil.manifest" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"(?m)^(date .*:[0-9])([0-9])Z$",
           lambda m: "%s%dZ" % (m.group(1), (int(m.group(2)) + 1) % 10), s)
open(p, "w").write(s)
EOF
variant sig-size
awk '$1 == "file" && $2 == "vigil.hdb" { $3 = $3 + 1 } { print }' \
	"$T/www/good/vigil.manifest" > "$T/www/sig-size/vigil.manifest"
variant nosig
sed -i '$d' "$T/www/nosig/vigil.manifest"
check "the damaged manifests differ from the good one" eval '
	! cmp -s "$T/www/good/vigil.manifest" "$T/www/sig-date/vigil.manifest" &&
	! cmp -s "$T/www/good/vigil.manifest" "$T/www/sig-size/vigil.manifest"'

nginx_start "$T/www"
URL=http://127.0.0.1:$NGINX_PORT/good
S=$T/vigild.sock
UCONF_EXTRA="[vigild]
ListenSocket = $S
ControlSocket = $T/vigild.ctl
PidFile = $T/vigild.pid
User =
MaxThreads = 2
[vigild.report]
ReportFileName = $T/vigild.log
"
src_new "$T/bases"
uconf "$T/u.conf" Timeout=20s
cp "$T/u.conf" "$T/vigil.conf"
upd -g "$T/v1mirror"
expect_rc "v1 installed" 0
check "v1 detects" detects "$T/bases" Vigil.Test.V1
vigild_start
check "vigild started on v1" [ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V1")" = 'stream: Vigil.Test.V1 FOUND\0' ]

# still_v1 WHAT - after a refusal: nothing changed, everything serves v1
still_v1() {
	check "$1: current still v1" [ "$(cur "$T/bases")" = "v$V1" ]
	check "$1: no v2 directory installed" [ ! -e "$T/bases/v$V2" ]
	check "$1: vigil-scan loads BasesPath and detects v1" detects "$T/bases" Vigil.Test.V1
	check "$1: ... and not v2" clean "$T/bases" Vigil.Test.V2
	check "$1: v1 still verifies" eval '"$DBTOOL" verify --key "$T/k.pub" "$T/bases/v$V1" > /dev/null'
	check "$1: vigild answers PING" [ "$(vtalk cmd "$S" 'zPING\0')" = 'PONG\0' ]
	check "$1: vigild reloads BasesPath" grep -q "^RELOADED" <<<"$(vtalk ctl "$T/vigild.ctl" RELOADDB)"
	check "$1: vigild detects with v1" [ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V1")" = 'stream: Vigil.Test.V1 FOUND\0' ]
	check "$1: vigild does not know v2" [ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V2")" = 'stream: OK\0' ]
}
# refused NAME RC [MESSAGE] - update from variant NAME: exit RC, MESSAGE
refused() {
	upd -g "http://127.0.0.1:$NGINX_PORT/$1"
	expect_rc "$1: refused" "$2"
	[ -z "${3:-}" ] || check "$1: says '$3'" grep -q "$3" <<<"$out"
	[ "$rc" -eq "$2" ] && [ -n "${3:-}" ] && ! grep -q "$3" <<<"$out" && upd_show
	still_v1 "$1"
}
refused obj-flip 4 "refused: vigil.hdb: sha256 mismatch"
refused obj-trunc 4 "refused: vigil.hdb: "
refused sig-date 4 "refused: bad signature"
refused sig-size 4 "refused: bad signature"
refused nosig 4 "refused: "
refused evil 4 "refused: untrusted key"
refused older 4 "refused: version $V0 is older than the installed $V1"

pyhttp drop "$T/www/good" --drop '*.zst'
upd -g "http://127.0.0.1:$PY_PORT"
expect_rc "connection dropped mid-file" 3
check "drop: the server did send part of a file" grep -q "\.zst" "$T/drop.log"
still_v1 "drop"
check "refusals left no staging directory behind" eval '! staging_left "$T/bases"'

# a full disk: BasesPath on a small tmpfs ---------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir -p "$T/small" &&
    mount -t tmpfs -o size=1m,mode=0755 vigil-test "$T/small" 2> /dev/null; then
	on_exit "umount -l '$T/small'"
	cp -r "$T/v1mirror" "$T/bigm"
	cp -r "$T/src1" "$T/srcbig"
	bighdb "$T/srcbig/bulk.hdb" 60000 big
	addsig "$T/srcbig" Vigil.Test.V2
	build k $V2 "$T/srcbig" "$T/bigm"
	uconf "$T/small.conf" BasesPath="$T/small/bases" Timeout=20s
	out=$("$UPDATE" -c "$T/small.conf" -g "$T/v1mirror" 2>&1); rc=$?
	expect_rc "tmpfs: v1 installed" 0
	out=$("$UPDATE" -c "$T/small.conf" -g "$T/bigm" 2>&1); rc=$?
	expect_rc "tmpfs: v2 does not fit: local failure" 5
	check "tmpfs: current still v1" [ "$(cur "$T/small/bases")" = "v$V1" ]
	check "tmpfs: v1 still loads" detects "$T/small/bases" Vigil.Test.V1
	out=$("$UPDATE" -c "$T/small.conf" -g "$T/v1mirror" 2>&1); rc=$?
	expect_rc "tmpfs: the next run (v1 mirror): up to date" 1
	check "tmpfs: no .staging-* left after the next run" eval '! staging_left "$T/small/bases"'
	check "tmpfs: the space came back" [ "$(df --output=used -k "$T/small" | tail -1)" -lt 200 ]
	umount "$T/small" || umount -l "$T/small"
else
	echo "skip: full-disk checks need root (mount -t tmpfs)"
fi

# a good v2: installed, PostUpdateCmd reloads vigild ------------------------------------------
uconf "$T/u.conf" PostUpdateCmd="$VIGILCTL -c $T/u.conf reload-db" Timeout=20s
upd
expect_rc "good v2 installed" 0
check "current -> v2" [ "$(cur "$T/bases")" = "v$V2" ]
for i in $(seq 50); do
	[ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V2")" = 'stream: Vigil.Test.V2 FOUND\0' ] && break
	sleep 0.1
done
check "vigild detects the v2-only signature (PostUpdateCmd reloaded it)" \
	[ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V2")" = 'stream: Vigil.Test.V2 FOUND\0' ]
check "vigild still detects v1's" [ "$(vtalk instream "$S" "$T/markers/Vigil.Test.V1")" = 'stream: Vigil.Test.V1 FOUND\0' ]
finish
