#!/bin/bash
# run.sh - vigil-update over HTTP: bytes and time of a full update and of
# an incremental one, and the time from the new files' arrival until
# vigild serves them.
#
#   bench/update/run.sh [--scale 10k|300k|3m] [--changed-pct P] [--seed S]
#                       [--corpus-mb N]
#
# Defaults: --scale 10k --changed-pct 1 --seed 1 --corpus-mb 20 (the
# corpus gen.py db plants into; bench/daemon's default, so the two share
# the cached database).  CI runs --scale 10k: under a minute.  Needs nginx
# (Debian's nginx-light will do) and python3.  Environment: VIGIL_BUILD
# (default ./build), VIGIL_DBTOOL, VIGIL_UPDATE, VIGILD, VIGILCTL (default
# under VIGIL_BUILD), BENCH_WORK (default /var/tmp/vigil-bench, shared
# with bench/engine and bench/daemon).  bench/update/README.md says what
# each figure measures.
#
# DESIGN
#   Version 1 is gen.py db at the scale, cached in BENCH_WORK under the
#   name bench/engine gives it; version 2 replaces P % of its lines,
#   chosen uniformly at random over all its files, with new signatures of
#   the same kinds (mkv2.py), cached beside it under gen.py's and mkv2.py's
#   hashes.  Both are built with vigil-dbtool into one mirror
#   (v2 with the default 4 deltas), which a private nginx (configuration,
#   prefix, pid, logs and temp paths in the run's directory; a free port
#   on 127.0.0.1) serves.  a) vigil-update into an empty BasesPath: full.
#   The BasesPath and CachePath are then copied for c).  b) the same
#   BasesPath, v1 to v2.  Bytes are nginx's $body_bytes_sent summed over
#   the run's access log lines, and vigil-update's "fetched B bytes".
#   c) vigild (private sockets, verdict caches off) on the copies, the v1
#   compiled cache warm as after a), then vigil-update v1 to v2 with
#   PostUpdateCmd "vigilctl -c CONF reload-db"; upd.py stamps vigil-update's
#   lines and, from the line "version 2: ... whole" (every file written),
#   sends a probe only a v2 signature detects every 2 ms until vigild
#   answers FOUND.  Every wait is bounded; a trap stops nginx and vigild
#   on any exit.  Exit status 0, or 2 when something broke (a missed
#   target is reported, not an exit status).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SCALE=10k
PCT=1
SEED=1
MB=20

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=${2:?}; shift 2 ;;
	--changed-pct) PCT=${2:?}; shift 2 ;;
	--seed) SEED=${2:?}; shift 2 ;;
	--corpus-mb) MB=${2:?}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
done
case "$SCALE" in 10k|300k|3m|1k|100k|1m) ;; *)
	echo "run.sh: --scale must be 10k, 300k or 3m" >&2; exit 2 ;;
esac
for v in "$SEED" "$MB"; do
	case "$v" in ''|*[!0-9]*) echo "run.sh: --seed and --corpus-mb take numbers" >&2; exit 2 ;; esac
done
python3 -c 'import sys; p = float(sys.argv[1]); sys.exit(not 0 < p <= 100)' "$PCT" 2> /dev/null ||
	{ echo "run.sh: --changed-pct takes a number in (0, 100]" >&2; exit 2; }

VIGIL_BUILD=${VIGIL_BUILD:-$SRC/build}
DBTOOL=${VIGIL_DBTOOL:-$VIGIL_BUILD/src/vigil-dbtool/vigil-dbtool}
UPDATE=${VIGIL_UPDATE:-$VIGIL_BUILD/src/vigil-update/vigil-update}
VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
VIGILCTL=${VIGILCTL:-$VIGIL_BUILD/src/vigild/vigilctl}
WORK=${BENCH_WORK:-/var/tmp/vigil-bench}
GEN=$SRC/bench/engine/gen.py
UPD=$HERE/upd.py
MKV2=$HERE/mkv2.py
NPROC=$(nproc 2> /dev/null || echo 1)
# bounds: daemon start, the poll after the trigger line, vigil-update's
# Timeout (it bounds the test load too)
case "$SCALE" in 3m|1m) STARTWAIT=600; UTIMEOUT=900 ;; *) STARTWAIT=120; UTIMEOUT=300 ;; esac
V1=1
V2=2

die() { echo "run.sh: $*" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$HERE/../lib.sh"
command -v python3 > /dev/null || die "python3 is required"
command -v nginx > /dev/null || die "nginx is required (apt-get install nginx-light)"
for b in "$DBTOOL" "$UPDATE" "$VIGILD" "$VIGILCTL"; do
	[ -x "$b" ] || die "$b not built (ninja -C $VIGIL_BUILD)"
done
# hermetic: no proxy from the caller's environment
unset http_proxy https_proxy ftp_proxy all_proxy no_proxy \
	HTTP_PROXY HTTPS_PROXY FTP_PROXY ALL_PROXY NO_PROXY
mkdir -p "$WORK" || die "cannot create $WORK"
start=$SECONDS

# the corpus and database, cached as bench/engine caches them
gen_cached "$WORK" "$GEN" "$MB" "$SCALE" "$SEED"
V2SUM=$(sha256sum < "$MKV2" | cut -c1-16)
# version 2, cached: a new generator or helper makes it again
UV=$WORK/update-$SCALE-${MB}mb-s$SEED-p$PCT
if [ "$(cat "$UV/.stamp" 2> /dev/null)" != "$GENSUM $V2SUM" ]; then
	echo "== making version 2 ($PCT % of the lines replaced) in $UV"
	rm -rf "$UV"
	mkdir -p "$UV" || die "cannot create $UV"
	timeout 1800 python3 "$MKV2" --src "$DB" --out "$UV/v2" --pct "$PCT" \
		--seed "$SEED" --probe "$UV/probe" --json "$UV/v2.json" ||
		die "mkv2.py failed"
	echo "$GENSUM $V2SUM" > "$UV/.stamp"
fi

RES=$(mktemp -d "$WORK/update.XXXXXX")
NGINX_PID=
VPID=
trap 'stop "$VPID"; stop "$NGINX_PID"; rm -rf "$RES"' EXIT
trap 'exit 2' INT TERM HUP

echo "== machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== database: $DB ($(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(", ".join("%s=%d" % kv for kv in sorted(c.items())))' "$DB/bench-db.json" 2> /dev/null))"
echo "== version 2: $(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%d of %d lines replaced; probe signature %s" % (j["changed"], j["lines"], j["probe_name"]))' "$UV/v2.json")"

# the sources: copies without gen.py's bookkeeping (bench-db.json)
mkdir -p "$RES/src1" "$RES/www/m" "$RES/bases" "$RES/cache"
find "$DB" -maxdepth 1 -type f ! -name '.*' ! -name '*.json' \
	-exec cp {} "$RES/src1/" \;
"$DBTOOL" keygen "$RES/k.sec" "$RES/k.pub" > /dev/null || die "vigil-dbtool keygen failed"

# build V SRC - vigil-dbtool build into the mirror, timed into build-V.json
build() {
	python3 "$UPD" timed -q --out "$RES/build-$1.json" -- "$DBTOOL" build \
		--key "$RES/k.sec" --version "$1" "$2" "$RES/www/m" ||
		die "upd.py timed failed"
	python3 - "$RES/build-$1.json" <<'PY' || die "vigil-dbtool build $1 failed"
import json, sys
r = json.load(open(sys.argv[1]))
for l in r["lines"]:
    print("   " + l[2])
sys.exit(r["rc"] != 0)
PY
}
echo "== vigil-dbtool build v$V1"
build $V1 "$RES/src1"

# nginx: private everything, a free port, bytes per request
# (scripts/nginx-serve; its access log's last field is $body_bytes_sent)
NGX=$RES/nginx
r=$("$SRC/scripts/nginx-serve" "$NGX" "$RES/www") ||
	die "nginx did not start"
NGINX_PID=${r%% *}
port=${r##* }
: > "$NGX/access.log"
URL=http://127.0.0.1:$port/m
echo "== nginx $(nginx -v 2>&1 | sed 's/.*version: //') on $URL"

# conf FILE BASES CACHE POSTCMD - vigil.conf for vigil-update and vigild
conf() {
	cat > "$1" <<EOF
[path]
BasesPath = $2
CachePath = $3
[vigild]
ListenSocket = $RES/vigild.sock
ControlSocket = $RES/vigild.ctl
PidFile = $RES/vigild.pid
User =
MaxThreads = $NPROC
CacheEntries = 0
FileCache = no
[vigild.report]
ReportFileName = $RES/vigild.log
[updater.report]
ReportFileName = $RES/update-report.log
ReportLevel = 4
[updater.options]
UpdateServerUrl = $URL
UseUpdateServerUrl = yes
UseUpdateServerUrlOnly = yes
MirrorsFile = $RES/mirrors.list
TrustedKeys = $RES/k.pub
UseProxy = no
ConnectTimeout = 5s
Timeout = ${UTIMEOUT}s
PostUpdateCmd = $4
EOF
}
: > "$RES/mirrors.list"
conf "$RES/u.conf" "$RES/bases" "$RES/cache" ""

# update NAME [upd.py timed options] - vigil-update -v, timed, lines shown;
# nginx's bytes for the run into $RES/bytes-NAME
update() {
	local name=$1 skip
	shift
	skip=$(wc -l < "$NGX/access.log")
	python3 "$UPD" timed --out "$RES/$name.json" "$@" -- "$UPDATE" \
		-c "$RES/$name.conf" -v || die "upd.py timed failed"
	python3 "$UPD" bytes "$NGX/access.log" "$skip" \
		--expect-from "$RES/$name.json" > "$RES/bytes-$name" ||
		die "cannot read nginx's access log"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   vigil-update exit %d, %.3f s; nginx sent %s bytes" % (r["rc"], r["wall"], sys.argv[2]))' \
		"$RES/$name.json" "$(cat "$RES/bytes-$name")"
}
fail=
rcof() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rc"])' "$RES/$1.json"; }

echo "== a) full update: empty BasesPath to v$V1"
cp "$RES/u.conf" "$RES/full.conf"
update full
[ "$(rcof full)" = 0 ] || die "the full update failed"
# the state c) starts from: v1 installed, its compiled form cached
cp -a "$RES/bases" "$RES/bases-c" && cp -a "$RES/cache" "$RES/cache-c" ||
	die "cannot copy BasesPath and CachePath"

echo "== vigil-dbtool build v$V2"
build $V2 "$UV/v2"

echo "== b) incremental update: v$V1 to v$V2"
cp "$RES/u.conf" "$RES/inc.conf"
update inc
[ "$(rcof inc)" = 0 ] || die "the incremental update failed"

echo "== c) v$V1 to v$V2 with vigild serving: arrival until the probe is FOUND"
conf "$RES/serve.conf" "$RES/bases-c" "$RES/cache-c" \
	"$VIGILCTL -c $RES/serve.conf reload-db"
"$VIGILD" -F -c "$RES/serve.conf" > "$RES/vigild.err" 2>&1 &
VPID=$!
python3 "$UPD" up "$RES/vigild.sock" "$STARTWAIT" --pid "$VPID" ||
	{ tail -5 "$RES/vigild.err" >&2; die "vigild did not answer PING within $STARTWAIT s"; }
before=$(python3 "$UPD" scan "$RES/vigild.sock" "$UV/probe") ||
	die "vigild did not answer the probe"
echo "   vigild on v$V1 answers the probe: $before"
case "$before" in *FOUND*) die "vigild finds the probe before the update: it is not v2-only" ;; esac
update serve --poll "$RES/vigild.sock" --probe "$UV/probe" \
	--after "version $V2: [0-9]+ files, .* whole" --limit "$UTIMEOUT"
[ "$(rcof serve)" = 0 ] || { fail=1; echo "run.sh: vigil-update with PostUpdateCmd failed" >&2; }
after=$(python3 "$UPD" scan "$RES/vigild.sock" "$UV/probe")
echo "   vigild after the update answers the probe: $after"
case "$after" in *" FOUND") ;; *) fail=1; echo "run.sh: vigild does not find the probe after the update" >&2 ;; esac
stop "$VPID"
VPID=

python3 - "$RES" <<'PY' || die "cannot collect the figures"
import json, os, sys
R = sys.argv[1]
b = {}
for v in ("1", "2"):
    r = json.load(open(os.path.join(R, "build-%s.json" % v)))
    b["v" + v] = r["wall"]
    b["v%s_line" % v] = next((l[2] for l in r["lines"]
                              if l[2].startswith("built ")), "")
json.dump(b, open(os.path.join(R, "build.json"), "w"))
json.dump({"full": int(open(os.path.join(R, "bytes-full")).read()),
           "inc": int(open(os.path.join(R, "bytes-inc")).read())},
          open(os.path.join(R, "nginx.json"), "w"))
PY

echo ""
echo "== summary for bench/RESULTS.md"
echo ""
echo "### vigil-update over HTTP, $SCALE signatures, $PCT % changed — \`bench/update/run.sh --scale $SCALE --changed-pct $PCT\`"
echo ""
echo "Machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo ""
python3 "$UPD" report --res "$RES" --v2json "$UV/v2.json" \
	--mirror "$RES/www/m" --ver1 $V1 --ver2 $V2 --scale "$SCALE" || fail=1
echo ""
echo "bench: $((SECONDS - start)) s in all"
[ -n "$fail" ] && exit 2
exit 0
