#!/bin/bash
# run.sh - vigild against Debian's clamd on the same generated database
# and corpus: startup, multiscan throughput, INSTREAM requests per second
# and latency, latency while reloading, reload time, memory.
#
#   bench/daemon/run.sh [--scale 10k|300k] [--corpus-mb N] [--seed S]
#                       [--seconds N] [--keep-going]
#
# Defaults: --scale 10k --corpus-mb 20 --seconds 3 (each load run), about
# two minutes on 2 cores.  Environment: VIGILD (default
# $VIGIL_BUILD/src/vigild/vigild, VIGIL_BUILD default ./build), BENCH_WORK
# (default /var/tmp/vigil-bench, shared with bench/engine: the corpus and
# database are generated once per parameters), CC (default cc).
# bench/daemon/README.md says what each figure measures.
#
# DESIGN
#   Both daemons load copies of the same database (gen.py db) and run with
#   private configurations on unix sockets in a temporary directory, the
#   same thread count (nproc), verdict caches off (clamd DisableCache,
#   vigild CacheEntries 0 and FileCache no: the load runs send the same
#   object again and again), clamd with the document parsers, heuristics
#   and bytecode off and PUA on (as bench/engine's clamscan).  They are
#   measured one at a time; the other one idles.  Every wait is bounded
#   (startup 300 s at 300k, requests 30 s in load.c) and a trap stops both
#   daemons on any exit.  Exit status: 0, 2 on an error (a daemon missing
#   or not starting, a load run failing); --keep-going prints clamd's
#   figures alone when vigild is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SCALE=10k
MB=20
SEED=1
SECS=3
KEEP_GOING=

usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=${2:?}; shift 2 ;;
	--corpus-mb) MB=${2:?}; shift 2 ;;
	--seed) SEED=${2:?}; shift 2 ;;
	--seconds) SECS=${2:?}; shift 2 ;;
	--keep-going) KEEP_GOING=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
done
case "$SCALE" in 10k|300k|1k|100k) ;; *)
	echo "run.sh: --scale must be 10k or 300k" >&2; exit 2 ;;
esac
for v in "$MB" "$SECS" "$SEED"; do
	case "$v" in ''|*[!0-9]*) echo "run.sh: --corpus-mb, --seconds and --seed take numbers" >&2; exit 2 ;; esac
done

VIGIL_BUILD=${VIGIL_BUILD:-$SRC/build}
VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
WORK=${BENCH_WORK:-/var/tmp/vigil-bench}
GEN=$SRC/bench/engine/gen.py
NPROC=$(nproc 2> /dev/null || echo 1)
CC=${CC:-cc}
STARTWAIT=120
[ "$SCALE" = 300k ] && STARTWAIT=300

die() { echo "run.sh: $*" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$HERE/../lib.sh"
command -v python3 > /dev/null || die "python3 is required"
command -v clamd > /dev/null || die "clamd is required (apt-get install clamav-daemon)"
command -v clamdscan > /dev/null || die "clamdscan is required (apt-get install clamdscan)"
command -v "$CC" > /dev/null || die "a C compiler is required (CC=$CC)"
HAVE_VIGILD=1
if [ ! -x "$VIGILD" ]; then
	[ -n "$KEEP_GOING" ] || die "$VIGILD not found (set VIGILD or VIGIL_BUILD, or --keep-going)"
	echo "run.sh: $VIGILD not found: clamd figures only" >&2
	HAVE_VIGILD=
fi
mkdir -p "$WORK" || die "cannot create $WORK"
start=$SECONDS

# the corpus and database, cached as bench/engine caches them
gen_cached "$WORK" "$GEN" "$MB" "$SCALE" "$SEED"
DBSRC=$DB

RES=$(mktemp -d "$WORK/daemon.XXXXXX")
CPID=
VPID=
trap 'stop "$CPID"; stop "$VPID"; rm -rf "$RES"' EXIT
trap 'exit 2' INT TERM

LOAD=$RES/load
"$CC" -std=c17 -D_GNU_SOURCE -O2 -pthread -o "$LOAD" "$HERE/load.c" ||
	die "cannot compile load.c"
# each daemon gets its own copy: the reload runs add a signature
mkdir -p "$RES/cdb" "$RES/vdb" "$RES/vcache" "$RES/ctmp"
find "$DBSRC" -maxdepth 1 -type f ! -name '.*' ! -name '*.json' \
	-exec cp {} "$RES/cdb/" \; -exec cp {} "$RES/vdb/" \;
CSOCK=$RES/clamd.sock
VSOCK=$RES/vigild.sock
VCTL=$RES/vigild.ctl
clamd_conf "$CSOCK" "$RES/cdb" "$RES" "$NPROC" > "$RES/clamd.conf"
printf 'LogTime yes\nConcurrentDatabaseReload yes\n' >> "$RES/clamd.conf"
cat > "$RES/vigild.conf" <<EOF
[path]
BasesPath = $RES/vdb
CachePath = $RES/vcache
[vigild]
ListenSocket = $VSOCK
ControlSocket = $VCTL
PidFile = $RES/vigild.pid
User =
MaxThreads = $NPROC
MaxQueue = 256
MaxConnections = 256
StreamMaxLength = 100M
CacheEntries = 0
FileCache = no
EventStore = sqlite:$RES/events.sqlite
[vigild.report]
ReportFileName = $RES/vigild.log
EOF

# the small client: PING, a timed RELOAD until a probe is found, STATUS
cat > "$RES/cl.py" <<'PY'
import socket, struct, sys, time
def one(path, data, delim, t=30):
    s = socket.socket(socket.AF_UNIX); s.settimeout(t); s.connect(path)
    s.sendall(data)
    b = b''
    while not b.endswith(delim):
        d = s.recv(4096)
        if not d:
            break
        b += d
    s.close()
    return b
def chunk(b):
    return struct.pack('>I', len(b)) + b
cmd, sock = sys.argv[1], sys.argv[2]
if cmd == 'up':         # wait for PONG, print the time it came
    t0, limit = time.time(), float(sys.argv[3])
    while time.time() - t0 < limit:
        try:
            if one(sock, b'nPING\n', b'\n', 2) == b'PONG\n':
                print('%.6f' % time.time()); sys.exit(0)
        except OSError:
            pass
        time.sleep(0.005)
    sys.exit(1)
elif cmd == 'reload':   # RELOAD, then INSTREAM the probe until FOUND
    probe = open(sys.argv[3], 'rb').read()
    t0 = time.time()
    r = one(sock, b'zRELOAD\0', b'\0')
    if r != b'RELOADING\0':
        print('bad reply %r' % r); sys.exit(1)
    while time.time() - t0 < float(sys.argv[4]):
        r = one(sock, b'zINSTREAM\0' + chunk(probe) + chunk(b''), b'\0')
        if r.endswith(b' FOUND\0'):
            print('%.3f' % (time.time() - t0)); sys.exit(0)
        time.sleep(0.005)
    sys.exit(1)
elif cmd == 'ctl':      # one n-command, print the reply and its time
    t0 = time.time()
    r = one(sock, sys.argv[3].encode() + b'\n', b'\n', 600)
    print('%.3f %s' % (time.time() - t0, r.decode(errors='replace').strip()))
elif cmd == 'send':     # a z-command, no reply wanted beyond its line
    one(sock, sys.argv[3].encode() + b'\0', b'\0', 30)
PY
cl() { python3 "$RES/cl.py" "$@"; }
# start_daemon SOCK ERRFILE CMD... - start a daemon (PID in DP), print the
# seconds from its exec to its first PONG; the poller is started first so
# that its own start is not counted
start_daemon() {
	local sock=$1 err=$2 pp t0 t1
	shift 2
	cl up "$sock" "$STARTWAIT" > "$RES/up.out" &
	pp=$!
	sleep 0.5
	t0=$(date +%s.%N)
	"$@" >> "$err" 2>&1 &
	DP=$!
	wait $pp || return 1
	t1=$(cat "$RES/up.out")
	python3 -c "print('%.3f' % ($t1 - $t0))"
}
# rss PID - VmRSS and VmHWM in MiB
rss() { awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{printf "%.1f %.1f\n", r/1024, h/1024}' "/proc/$1/status" 2> /dev/null; }

CORPUS_BYTES=$(du -sb "$CORPUS/files" | cut -f1)
NFILES=$(find "$CORPUS/files" -type f | wc -l)
echo "== machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== clamd: $(clamd --version 2> /dev/null | head -1)"
[ -n "$HAVE_VIGILD" ] && echo "== vigild: $("$VIGILD" -V 2>&1 | head -1)"
echo "== database: $DBSRC ($(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(", ".join("%s=%d" % kv for kv in sorted(c.items())))' "$DBSRC/bench-db.json" 2> /dev/null))"
echo "== corpus: $NFILES files, $CORPUS_BYTES bytes"
find "$CORPUS/files" -type f -exec cat {} + > /dev/null

# start both; startup = until the first PONG
start_daemon "$CSOCK" "$RES/clamd.err" clamd -c "$RES/clamd.conf" > "$RES/up.t"
rc=$?
CPID=$DP
C_UP=$(cat "$RES/up.t")
[ $rc -eq 0 ] ||
	{ tail -5 "$RES/clamd.log" "$RES/clamd.err" >&2; die "clamd did not start within $STARTWAIT s"; }
V_UP=
if [ -n "$HAVE_VIGILD" ]; then
	# the first start compiles the database into CachePath; the one
	# measured maps the cache, as every later start does
	start_daemon "$VSOCK" "$RES/vigild.err" "$VIGILD" -F -c "$RES/vigild.conf" > "$RES/up.t"
	rc=$?
	VPID=$DP
	V_COLD=$(cat "$RES/up.t")
	[ $rc -eq 0 ] ||
		{ tail -5 "$RES/vigild.err" >&2; die "vigild did not start within $STARTWAIT s"; }
	stop "$VPID"
	start_daemon "$VSOCK" "$RES/vigild.err" "$VIGILD" -F -c "$RES/vigild.conf" > "$RES/up.t"
	rc=$?
	VPID=$DP
	V_UP=$(cat "$RES/up.t")
	[ $rc -eq 0 ] ||
		{ tail -5 "$RES/vigild.err" >&2; die "vigild did not start again"; }
fi

M=$RES/metrics
: > "$M"
# put NAME UNIT VIGILD CLAMD [BETTER] - record and print one metric with
# the ratio vigild/clamd; BETTER "low" when lower is better (times, memory)
put() {
	echo "$1|$2|$3|$4|${5:-high}" >> "$M"
	python3 - "$1" "$2" "$3" "$4" "${5:-high}" <<'PY'
import sys
n, u, v, c, b = sys.argv[1:]
def f(x):
    try: return float(x)
    except ValueError: return None
fv, fc = f(v), f(c)
r = ''
if fv is not None and fc:
    q = fv / fc
    w = 'vigild' if (q < 1) == (b == 'low') else 'clamd'
    r = 'vigild/clamd %.2f (%s better)' % (q, w if q != 1 else 'neither')
print('%-40s vigild %10s  clamd %10s  %-5s %s' % (n, v or '-', c or '-', u, r))
PY
}
echo "== startup (database load until the first PONG)"
put "startup, compiled cache" s "$V_UP" "$C_UP" low
put "startup, first (vigild compiles)" s "${V_COLD:-}" "$C_UP" low
read -r crss _ < <(rss "$CPID")
vrss=
[ -n "$VPID" ] && read -r vrss _ < <(rss "$VPID")
put "RSS after startup" MiB "$vrss" "$crss" low

echo "== a) clamdscan --multiscan --fdpass over the corpus"
# multiscan SOCK NAME - one run, wall time; detections into $RES/NAME.out
multiscan() {
	printf 'LocalSocket %s\n' "$1" > "$RES/$2.client"
	local t0 t1
	t0=$(date +%s.%N)
	timeout 600 clamdscan --config-file="$RES/$2.client" --multiscan \
		--fdpass --no-summary "$CORPUS/files" > "$RES/$2.out" 2>&1
	local rc=$?
	t1=$(date +%s.%N)
	[ $rc -le 1 ] || { echo "run.sh: clamdscan against $2: exit $rc" >&2; tail -3 "$RES/$2.out" >&2; return 1; }
	python3 -c "print('%.3f' % ($t1 - $t0))"
}
fail=
ct=$(multiscan "$CSOCK" clamd) || fail=1
vt=
[ -n "$VPID" ] && { vt=$(multiscan "$VSOCK" vigild) || fail=1; }
rate() { [ -n "$2" ] && python3 -c "print('%.1f' % ($1 / $2))"; }
put "multiscan --fdpass" MB/s "$(rate "$CORPUS_BYTES/1e6" "$vt")" "$(rate "$CORPUS_BYTES/1e6" "$ct")"
put "multiscan --fdpass" files/s "$(rate "$NFILES" "$vt")" "$(rate "$NFILES" "$ct")"
nc=$(grep -c ' FOUND$' "$RES/clamd.out")
if [ -n "$VPID" ]; then
	nv=$(grep -c ' FOUND$' "$RES/vigild.out")
	echo "   detections: vigild $nv, clamd $nc"
	[ "$nv" = "$nc" ] || echo "run.sh: WARNING: the daemons report different detection counts" >&2
	grep -q ' ERROR$' "$RES/vigild.out" && echo "run.sh: WARNING: vigild: $(grep -c ' ERROR$' "$RES/vigild.out") ERROR lines, e.g. $(grep -m1 ' ERROR$' "$RES/vigild.out")" >&2
fi

echo "== b) INSTREAM, load.c, $SECS s per run"
python3 -c 'import random,sys; r=random.Random(sys.argv[3]); open(sys.argv[1],"wb").write(bytes(r.getrandbits(8) for _ in range(int(sys.argv[2]))))' "$RES/obj4k" 4096 "$SEED"
python3 -c 'import random,sys; r=random.Random(sys.argv[3]); open(sys.argv[1],"wb").write(r.randbytes(int(sys.argv[2])))' "$RES/obj1m" 1048576 "$SEED"
# lrun SOCK CONC OBJ SECS - load.c, prints its line; fails on errors
lrun() { timeout $(($4 + 60)) "$LOAD" "$1" "$2" "$4s" "$3"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
for obj in 4k 1m; do
	for conc in 1 8 32; do
		co=$(lrun "$CSOCK" "$conc" "$RES/obj$obj" "$SECS") || { fail=1; echo "   clamd: $co" >&2; }
		vo=
		if [ -n "$VPID" ]; then
			vo=$(lrun "$VSOCK" "$conc" "$RES/obj$obj" "$SECS") || { fail=1; echo "   vigild: $vo" >&2; }
		fi
		put "INSTREAM $obj, $conc clients" req/s "$(kv rps "$vo")" "$(kv rps "$co")"
		put "INSTREAM $obj, $conc clients, p50" ms "$(kv p50_ms "$vo")" "$(kv p50_ms "$co")" low
		put "INSTREAM $obj, $conc clients, p99" ms "$(kv p99_ms "$vo")" "$(kv p99_ms "$co")" low
	done
done

echo "== c) INSTREAM 4k, 8 clients, latency idle and with a RELOAD every second"
RSECS=$((SECS * 2 < 6 ? 6 : SECS * 2))
# reloading SOCK - load.c for RSECS seconds while RELOAD is sent each second
reloading() {
	lrun "$1" 8 "$RES/obj4k" "$RSECS" > "$RES/rl.out" &
	local lp=$!
	for _ in $(seq $((RSECS - 1))); do
		sleep 1
		cl send "$1" zRELOAD || echo "run.sh: RELOAD failed" >&2
	done
	wait $lp || { fail=1; echo "run.sh: load during reloads: $(cat "$RES/rl.out")" >&2; }
	cat "$RES/rl.out"
}
ci=$(lrun "$CSOCK" 8 "$RES/obj4k" "$RSECS")
cr=$(reloading "$CSOCK")
vi=; vr=
if [ -n "$VPID" ]; then
	vi=$(lrun "$VSOCK" 8 "$RES/obj4k" "$RSECS")
	vr=$(reloading "$VSOCK")
fi
put "idle, p50" ms "$(kv p50_ms "$vi")" "$(kv p50_ms "$ci")" low
put "idle, p99" ms "$(kv p99_ms "$vi")" "$(kv p99_ms "$ci")" low
put "reloading, p50" ms "$(kv p50_ms "$vr")" "$(kv p50_ms "$cr")" low
put "reloading, p99" ms "$(kv p99_ms "$vr")" "$(kv p99_ms "$cr")" low
put "reloading, max" ms "$(kv max_ms "$vr")" "$(kv max_ms "$cr")" low
put "reloading, req/s" req/s "$(kv rps "$vr")" "$(kv rps "$cr")"
echo "   clamd errors/busy while reloading: $(kv errors "$cr")/$(kv busy "$cr"); vigild: $(kv errors "$vr")/$(kv busy "$vr")"

echo "== d) reload: RELOAD until a newly added signature is found"
# newsig DIR N - add one body signature to DIR, write its probe object
newsig() {
	python3 - "$1" "$2" "$RES/probe$2" <<'PY'
import os, sys
d, n, probe = sys.argv[1], sys.argv[2], sys.argv[3]
pat = os.urandom(16)
with open(os.path.join(d, 'bench-reload.ndb'), 'a') as f:
    f.write('Bench.Reload-%s:0:*:%s\n' % (n, pat.hex()))
open(probe, 'wb').write(b'probe ' + pat + b' end')
PY
}
WAITR=$((STARTWAIT * 2))
newsig "$RES/cdb" 1
cre=$(cl reload "$CSOCK" "$RES/probe1" "$WAITR") || { fail=1; echo "run.sh: clamd reload: $cre" >&2; cre=; }
vre=; vsync=; vsame=
if [ -n "$VPID" ]; then
	newsig "$RES/vdb" 1
	vre=$(cl reload "$VSOCK" "$RES/probe1" "$WAITR") || { fail=1; echo "run.sh: vigild reload: $vre" >&2; vre=; }
	newsig "$RES/vdb" 2
	out=$(cl ctl "$VCTL" nRELOADDB)
	echo "   vigild nRELOADDB after adding a signature: $out"
	grep -q ' RELOADED ' <<<"$out" && vsync=${out%% *}
	out=$(cl ctl "$VCTL" nRELOADDB)
	echo "   vigild nRELOADDB, database unchanged: $out"
	grep -q ' RELOADED ' <<<"$out" && vsame=${out%% *}
fi
put "reload until a new signature serves" s "$vre" "$cre" low
put "reload, nRELOADDB (vigild, synchronous)" s "$vsync" "" low
put "reload, nRELOADDB, database unchanged" s "$vsame" "" low

read -r _ chwm < <(rss "$CPID")
vhwm=
[ -n "$VPID" ] && read -r _ vhwm < <(rss "$VPID")
put "peak RSS (VmHWM) over the run" MiB "$vhwm" "$chwm" low

echo ""
echo "== summary for bench/RESULTS.md"
echo ""
echo "### vigild vs clamd ($(clamd --version 2> /dev/null | cut -d/ -f1)), $SCALE signatures, $MB MB corpus ($NFILES files) — \`bench/daemon/run.sh --scale $SCALE --corpus-mb $MB --seconds $SECS\`"
echo ""
echo "Machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo ""
python3 - "$M" <<'PY'
import sys
print('| metric | vigild | clamd | vigild/clamd |')
print('|---|---|---|---|')
for line in open(sys.argv[1]):
    n, u, v, c, b = line.rstrip('\n').split('|')
    try:
        fv, fc = float(v), float(c)
        r = '%.2f' % (fv / fc)
        if (fv / fc < 1) == (b == 'low') and fv != fc:
            r = '**%s**' % r
    except (ValueError, ZeroDivisionError):
        r = ''
    n += ' (lower is better)' if b == 'low' else ''
    print('| %s | %s | %s | %s |' % (n, '%s %s' % (v, u) if v else '—', '%s %s' % (c, u) if c else '—', r))
PY
echo ""
echo "bench: $((SECONDS - start)) s in all"
[ -n "$fail" ] && exit 2
exit 0
