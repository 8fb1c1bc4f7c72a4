#!/bin/bash
# run.sh - vigil-icapd (on vigild) against Debian's c-icap (virus_scan on
# clamd) on the same database: ICAP RESPMOD requests per second and p99
# latency for 1 KiB, 64 KiB and 1 MiB bodies at 1, 8 and 32 persistent
# connections, preview 4096 and Allow: 204, one body in ten infected.
#
#   bench/icap/run.sh [--scale small|full] [--quick] [--only vigil|c-icap]
#                     [--answer-mode complete|partial]
#
# --scale small (default, what CI runs: about a minute, 10k signatures)
# or full (the figures for bench/RESULTS.md: 300k signatures, five times
# the requests); --quick: 8 connections only, 50 requests a run (a smoke
# test); --only runs one side; --answer-mode sets vigil-icapd's
# [icapserver.protocol] AnswerMode (default: not set, its own default,
# partial; c-icap's avscan alias is in "simple" mode, i.e. complete).
# Environment: VIGIL_BUILD (default ./build),
# VIGILD, VIGIL_ICAPD, BENCH_WORK (default /var/tmp/vigil-bench, shared
# with bench/engine and bench/daemon), CC (default cc), BENCH_KEEP=1
# keeps the temporary directory (configurations, logs, icapload output).
#
# DESIGN
#   One database directory (gen.py's, cached by gen_cached, plus the
#   bundled EICAR body signature) serves clamd and vigild.  clamd and
#   vigild run as bench/daemon runs them (nproc scanning threads, verdict
#   caches off: the runs send the same bodies again and again); c-icap
#   serves Debian's avscan alias (virus_scan in simple mode: the whole body
#   is scanned before the answer) through clamd_mod on clamd's socket;
#   vigil-icapd runs on its defaults with the private paths below.  Every
#   server listens on a free loopback port or a socket in a temporary
#   directory.  The servers are measured one at a time, the same
#   icapload command for both (count mode, so that the infected share is
#   exact); a run passes when it has no error, no answer other than 204/200,
#   every infected request blocked and no clean one.  Every wait is bounded
#   (startup, icapload's 10 s I/O timeout under an outer timeout) and a trap
#   stops every server on any exit.  Exit status: 0; 1 when a run failed its
#   check (a WARNING line says which); 2 when something could not start.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SCALE=small
QUICK=
ONLY=both
AMODE=

usage() {
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=${2:?}; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--only) ONLY=${2:?}; shift 2 ;;
	--answer-mode) AMODE=${2:?}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
done
case "$SCALE" in
small) DBSCALE=10k; MULT=1 ;;
full) DBSCALE=300k; MULT=5 ;;
*) echo "run.sh: --scale must be small or full" >&2; exit 2 ;;
esac
case "$ONLY" in both|vigil|c-icap) ;; *)
	echo "run.sh: --only must be vigil or c-icap" >&2; exit 2 ;;
esac
case "$AMODE" in ''|complete|partial) ;; *)
	echo "run.sh: --answer-mode must be complete or partial" >&2; exit 2 ;;
esac

VIGIL_BUILD=${VIGIL_BUILD:-$SRC/build}
VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
VIGIL_ICAPD=${VIGIL_ICAPD:-$VIGIL_BUILD/src/vigil-icapd/vigil-icapd}
WORK=${BENCH_WORK:-/var/tmp/vigil-bench}
GEN=$SRC/bench/engine/gen.py
NPROC=$(nproc 2> /dev/null || echo 1)
CC=${CC:-cc}
STARTWAIT=120
PREVIEW=4096

die() { echo "run.sh: $*" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$HERE/../lib.sh"
command -v python3 > /dev/null || die "python3 is required"
command -v "$CC" > /dev/null || die "a C compiler is required (CC=$CC)"
if [ "$ONLY" != vigil ]; then
	command -v clamd > /dev/null || die "clamd is required (apt-get install clamav-daemon)"
	command -v c-icap > /dev/null || die "c-icap is required (apt-get install c-icap libc-icap-mod-virus-scan)"
	MODDIR=
	for d in /usr/lib/*/c_icap /usr/lib/c_icap /usr/local/lib/c_icap; do
		[ -f "$d/virus_scan.so" ] && [ -f "$d/clamd_mod.so" ] && { MODDIR=$d; break; }
	done
	[ -n "$MODDIR" ] || die "c-icap's virus_scan.so/clamd_mod.so not found (apt-get install libc-icap-mod-virus-scan)"
	TEMPLATES=
	for d in /usr/share/c_icap/templates /usr/local/share/c_icap/templates; do
		[ -d "$d/virus_scan" ] && { TEMPLATES=$d; break; }
	done
	MAGIC=/etc/c-icap/c-icap.magic
	[ -f "$MAGIC" ] || MAGIC=$(ls /usr/share/c_icap/c-icap.magic /etc/c-icap/c-icap.magic.default 2> /dev/null | head -1)
fi
if [ "$ONLY" != c-icap ]; then
	[ -x "$VIGILD" ] || die "$VIGILD not found (set VIGILD or VIGIL_BUILD, or --only c-icap)"
	[ -x "$VIGIL_ICAPD" ] || die "$VIGIL_ICAPD not found (set VIGIL_ICAPD or VIGIL_BUILD, or --only c-icap)"
fi
mkdir -p "$WORK" || die "cannot create $WORK"
start=$SECONDS

# the database, cached as bench/engine and bench/daemon cache it
gen_cached "$WORK" "$GEN" 20 "$DBSCALE" 1

RES=$(mktemp -d "$WORK/icap.XXXXXX")
CPID=; IPID=; VPID=; XPID=
trap 'stop "$XPID"; stop "$VPID"; stop "$IPID"; stop "$CPID"; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$RES"' EXIT
trap 'exit 2' INT TERM

LOAD=$RES/icapload
"$CC" -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o "$LOAD" \
	"$HERE/icapload.c" || die "cannot compile icapload.c"

# one database for both sides: gen.py's plus the bundled EICAR signature
mkdir -p "$RES/db" "$RES/ctmp" "$RES/itmp" "$RES/vcache"
find "$DB" -maxdepth 1 -type f ! -name '.*' ! -name '*.json' -exec cp {} "$RES/db/" \;
grep '^Eicar-Test-Signature:' "$SRC/share/vigil/db/vigil.ndb" > "$RES/db/bench-icap.ndb" ||
	die "no EICAR signature in share/vigil/db/vigil.ndb"

# bodies: nine clean (deterministic random bytes) and one with EICAR at
# its start, per size; icapload's -f order makes request i mod 10 == 9
# the infected one
python3 - "$RES" <<'PY' || die "cannot write the bodies"
import random, sys
eicar = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
for name, size in (('1k', 1024), ('64k', 65536), ('1m', 1 << 20)):
    for i in range(9):
        r = random.Random('%s-%d' % (name, i))
        open('%s/%s-clean%d' % (sys.argv[1], name, i), 'wb').write(r.randbytes(size))
    r = random.Random('%s-inf' % name)
    open('%s/%s-infected' % (sys.argv[1], name), 'wb').write(
        eicar + r.randbytes(size - len(eicar)))
PY

# up KIND ADDR [PATH] - wait until a daemon answers: unix (PING/PONG on a
# socket) or icap (OPTIONS on a port gets ICAP/1.0 200)
up() {
	timeout "$STARTWAIT" python3 - "$@" <<'PY'
import socket, sys, time
kind, addr = sys.argv[1], sys.argv[2]
while True:
    try:
        if kind == 'unix':
            s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(addr)
            s.sendall(b'zPING\0')
            if s.recv(16).startswith(b'PONG'):
                break
        else:
            s = socket.create_connection(('127.0.0.1', int(addr)), timeout=2)
            s.sendall(('OPTIONS icap://127.0.0.1:%s%s ICAP/1.0\r\nHost: 127.0.0.1:%s\r\n'
                       'Encapsulated: null-body=0\r\n\r\n' % (addr, sys.argv[3], addr)).encode())
            if s.recv(64).startswith(b'ICAP/1.0 200'):
                break
    except OSError:
        pass
    time.sleep(0.1)
PY
}

echo "== machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== database: $DB + EICAR ($DBSCALE signatures)"

if [ "$ONLY" != vigil ]; then
	CSOCK=$RES/clamd.sock
	CPORT=$(freeport)
	clamd_conf "$CSOCK" "$RES/db" "$RES" "$NPROC" > "$RES/clamd.conf"
	cat > "$RES/c-icap.conf" <<EOF
PidFile $RES/c-icap.pid
CommandsSocket $RES/c-icap.ctl
Timeout 30
StartServers 1
MaxServers 1
MinSpareThreads 8
MaxSpareThreads 64
ThreadsPerChild 64
MaxRequestsPerChild 0
Port 127.0.0.1:$CPORT
TmpDir $RES/itmp
DebugLevel 1
ModulesDir $MODDIR
ServicesDir $MODDIR
${TEMPLATES:+TemplateDir $TEMPLATES/}
${MAGIC:+LoadMagicFile $MAGIC}
ServerLog $RES/c-icap.server.log
AccessLog $RES/c-icap.access.log
Module common clamd_mod.so
clamd_mod.ClamdSocket $CSOCK
Service antivirus_module virus_scan.so
ServiceAlias avscan virus_scan?allow204=on&sizelimit=off&mode=simple
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE
virus_scan.SendPercentData 5
virus_scan.StartSendPercentDataAfter 2M
virus_scan.MaxObjectSize 5M
virus_scan.DefaultEngine clamd
EOF
	echo "== clamd: $(clamd --version 2> /dev/null | head -1); c-icap $(c-icap -V 2>&1 | head -1) on 127.0.0.1:$CPORT/avscan"
	clamd -c "$RES/clamd.conf" > "$RES/clamd.err" 2>&1 &
	CPID=$!
	up unix "$CSOCK" || { tail -5 "$RES/clamd.log" "$RES/clamd.err" >&2; die "clamd did not start within $STARTWAIT s"; }
	c-icap -N -f "$RES/c-icap.conf" > "$RES/c-icap.err" 2>&1 &
	IPID=$!
	up icap "$CPORT" /avscan || { tail -5 "$RES/c-icap.server.log" "$RES/c-icap.err" >&2; die "c-icap did not answer OPTIONS within $STARTWAIT s"; }
fi
if [ "$ONLY" != c-icap ]; then
	VPORT=$(freeport)
	cat > "$RES/vigil.conf" <<EOF
[path]
BasesPath=$RES/db
CachePath=$RES/vcache
[vigild]
ListenSocket=$RES/vigild.sock
ControlSocket=$RES/vigild.ctl
PidFile=$RES/vigild.pid
User=
MaxThreads=$NPROC
CacheEntries=0
FileCache=no
EventStore=sqlite:$RES/events.sqlite
[vigild.report]
ReportFileName=$RES/vigild.log
[icapserver.network]
ListenAddress=127.0.0.1:$VPORT
VigildAddress=$RES/vigild.sock
[icapserver.process]
PidFile=$RES/icapd.pid
ControlSocket=$RES/icapd.ctl
User=
${AMODE:+[icapserver.protocol]
AnswerMode=$AMODE}
[icapserver.report]
ReportFileName=$RES/icapd.log
[icapserver.statistics]
AVStatisticsFile=$RES/av.stats
CounterStatisticsFile=$RES/cnt.stats
EOF
	echo "== vigild: $("$VIGILD" -V 2>&1 | head -1); vigil-icapd on 127.0.0.1:$VPORT/av/respmod, AnswerMode ${AMODE:-default}"
	"$VIGILD" -F -c "$RES/vigil.conf" > "$RES/vigild.err" 2>&1 &
	VPID=$!
	up unix "$RES/vigild.sock" || { tail -5 "$RES/vigild.err" >&2; die "vigild did not start within $STARTWAIT s"; }
	"$VIGIL_ICAPD" -F -c "$RES/vigil.conf" > "$RES/icapd.err" 2>&1 &
	XPID=$!
	up icap "$VPORT" /av/respmod || { tail -5 "$RES/icapd.err" "$RES/icapd.log" >&2; die "vigil-icapd did not answer OPTIONS within $STARTWAIT s"; }
fi

bad=
# load NAME PORT PATH SIZE CONNS N - one icapload run; prints its RESULT
# line; a failed check prints a WARNING and sets bad
load() {
	local name=$1 port=$2 path=$3 size=$4 conns=$5 n=$6 out f
	out=$RES/out.$name.$size.$conns
	f=("$RES/$size-clean"{0..8} "$RES/$size-infected")
	timeout $((n * 2 + 120)) "$LOAD" -h 127.0.0.1 -p "$port" -s "$path" \
		-c "$conns" -n "$n" -P "$PREVIEW" -a "${f[@]/#/-f}" \
		> "$out" 2> "$out.err"
	local rc=$? r bad_run=
	r=$(grep '^RESULT ' "$out")
	echo "   $name $size x$conns: ${r#RESULT }" >&2
	if [ $rc -ne 0 ] || [ -z "$r" ] || ! awk -v inf="$RES/$size-infected" '
		/^FILE / { split($3, q, "="); split($4, b, "=");
			if ($5 == inf ? b[2] != q[2] : b[2] != 0) bad = 1 }
		END { exit bad }' "$out"; then
		echo "run.sh: WARNING: $name, $size bodies, $conns connections: exit $rc, infected share not blocked exactly or errors" >&2
		grep '^FILE \|^answers\|^blocked' "$out" | sed 's/^/     /' >&2
		sed 's/^/     /' "$out.err" | head -40 >&2
		bad=1
		bad_run=1
	fi
	[ -n "$bad_run" ] && r="$r check=FAIL"
	echo "$r"
}
# kv KEY LINE - KEY's value in a RESULT line, "-" when absent
kv() {
	local v
	v=$(sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2")
	echo "${v:--}"
}

# a warm-up run per server (checked, not reported)
[ "$ONLY" != vigil ] && load c-icap-warmup "$CPORT" /avscan 1k 8 40 > /dev/null
[ "$ONLY" != c-icap ] && load vigil-warmup "$VPORT" /av/respmod 1k 8 40 > /dev/null

T=$RES/table
: > "$T"
CONNS="1 8 32"
[ -n "$QUICK" ] && CONNS=8
for size in 1k 64k 1m; do
	case $size in 1k) n=1000 ;; 64k) n=600 ;; 1m) n=200 ;; esac
	n=$((n * MULT))
	[ -n "$QUICK" ] && n=50
	for conns in $CONNS; do
		[ "$n" -lt $((conns * 3)) ] && n=$(((conns * 3 + 9) / 10 * 10))
		ci=; vi=
		[ "$ONLY" != vigil ] && ci=$(load c-icap "$CPORT" /avscan "$size" "$conns" "$n")
		[ "$ONLY" != c-icap ] && vi=$(load vigil "$VPORT" /av/respmod "$size" "$conns" "$n")
		# load runs in a subshell here: its bad=1 is lost, check=FAIL is not
		chk=ok
		grep -q check=FAIL <<<"$vi" && { chk="FAIL vigil"; bad=1; }
		grep -q check=FAIL <<<"$ci" && { chk="${chk/ok/FAIL} c-icap"; bad=1; }
		echo "$size $conns $n $(kv rps "$vi") $(kv rps "$ci") $(kv p99 "$vi") $(kv p99 "$ci") $(kv p50 "$vi") $(kv p50 "$ci") $chk" >> "$T"
	done
done

echo ""
echo "== RESPMOD, preview $PREVIEW, Allow: 204, 1 body in 10 infected ($SCALE: $DBSCALE signatures)"
echo ""
python3 - "$T" <<'PY'
import sys
def f(x):
    try: return float(x)
    except ValueError: return None
print('| body | conns | requests | rps vigil | rps c-icap | ratio | p99 ms vigil | p99 ms c-icap | p50 ms vigil | p50 ms c-icap | check |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for line in open(sys.argv[1]):
    v = (line.split(None, 9) + ['-'] * 10)[:10]
    size, conns, n = v[:3]
    vals = [x if x else '-' for x in v[3:]]
    rv, rc = f(v[3]), f(v[4])
    ratio = '%.2f' % (rv / rc) if rv and rc else '-'
    print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        size, conns, n, vals[0], vals[1], ratio, vals[2], vals[3], vals[4],
        vals[5], v[9].strip()))
PY
echo ""
echo "bench: $((SECONDS - start)) s in all"
if [ -n "$bad" ]; then
	echo "run.sh: WARNING: a run failed its check (see above)" >&2
	exit 1
fi
exit 0
