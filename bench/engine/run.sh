#!/bin/bash
# run.sh - vigil-scan against clamscan on the same generated database and
# corpus: database load time, peak memory, scan throughput, targets.
#
#   bench/engine/run.sh [--scale 10k|300k|3m] [--corpus-mb N] [--seed S]
#                       [--load-repeat N] [--strict] [--keep-going]
#
# Defaults: --scale 10k --corpus-mb 50 (what CI runs; a few minutes at
# most).  The figures in bench/RESULTS.md come from --scale 300k
# --corpus-mb 600 and --scale 3m.  Environment: VIGIL_SCAN (default
# $VIGIL_BUILD/src/vigil-scan/vigil-scan, VIGIL_BUILD default ./build),
# BENCH_WORK (default /var/tmp/vigil-bench) where the database and corpus
# are cached by parameters and generator version.
#
# DESIGN
#   Load is measured as the time to scan one tiny file: vigil first load
#   (empty compiled cache: parse + compile + write), vigil cached load (the
#   cache written by the previous run), clamscan load.  Each is repeated
#   (--load-repeat, default 3, 1 at 3m) and the median is kept.  Scans run
#   once over a corpus already in the page cache: vigil -j1, vigil -jNPROC,
#   clamscan (single-threaded).  Peak RSS is /usr/bin/time -v's.  Both
#   scanners load every signature (vigil --set paranoid, clamscan
#   --detect-pua) and clamscan runs with the parsers vigil does not have yet
#   turned off, PE/ELF parsing on; its temporary directory is on tmpfs when
#   /dev/shm exists so it is not charged for disk metadata writes.
#   Exit status: 0, or 1 with --strict when a target is missed, 2 on an
#   error.  A missing vigil-scan is an error unless --keep-going, which
#   still prints clamscan's figures.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SCALE=10k
MB=50
SEED=1
LOAD_REPEAT=
STRICT=
KEEP_GOING=

usage() {
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=${2:?}; shift 2 ;;
	--corpus-mb) MB=${2:?}; shift 2 ;;
	--seed) SEED=${2:?}; shift 2 ;;
	--load-repeat) LOAD_REPEAT=${2:?}; shift 2 ;;
	--strict) STRICT=--strict; shift ;;
	--keep-going) KEEP_GOING=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
done
case "$SCALE" in 10k|300k|3m|1k|100k|1m) ;; *)
	echo "run.sh: --scale must be 10k, 300k or 3m" >&2; exit 2 ;;
esac
case "$MB" in ''|*[!0-9]*) echo "run.sh: --corpus-mb N" >&2; exit 2 ;; esac
[ -n "$LOAD_REPEAT" ] || { [ "$SCALE" = 3m ] && LOAD_REPEAT=1 || LOAD_REPEAT=3; }

VIGIL_BUILD=${VIGIL_BUILD:-$SRC/build}
VIGIL_SCAN=${VIGIL_SCAN:-$VIGIL_BUILD/src/vigil-scan/vigil-scan}
WORK=${BENCH_WORK:-/var/tmp/vigil-bench}
GEN=$HERE/gen.py
MEASURE=$HERE/measure.py
NPROC=$(nproc 2>/dev/null || echo 1)

die() { echo "run.sh: $*" >&2; exit 2; }

command -v python3 >/dev/null || die "python3 is required"
command -v clamscan >/dev/null || die "clamscan is required (apt-get install clamav)"
[ -x /usr/bin/time ] || echo "run.sh: /usr/bin/time missing (apt-get install time); RSS from rusage" >&2
HAVE_VIGIL=1
if [ ! -x "$VIGIL_SCAN" ]; then
	[ -n "$KEEP_GOING" ] || die "$VIGIL_SCAN not found (set VIGIL_SCAN or VIGIL_BUILD, or --keep-going)"
	echo "run.sh: $VIGIL_SCAN not found: clamscan figures only" >&2
	HAVE_VIGIL=
fi
mkdir -p "$WORK" || die "cannot create $WORK"

# the generator's own hash is part of the cache key: a changed generator
# regenerates
GENSUM=$(sha256sum < "$GEN" | cut -c1-16)
CORPUS=$WORK/corpus-${MB}mb-s$SEED
DB=$WORK/db-$SCALE-${MB}mb-s$SEED
start=$SECONDS

if [ "$(cat "$CORPUS/.stamp" 2>/dev/null)" != "$GENSUM" ]; then
	echo "== generating a $MB MB corpus in $CORPUS"
	rm -rf "$CORPUS"
	python3 "$GEN" corpus --out "$CORPUS" --size-mb "$MB" --seed "$SEED" -q ||
		die "gen.py corpus failed"
	echo "$GENSUM" > "$CORPUS/.stamp"
	rm -rf "$DB"
fi
if [ "$(cat "$DB/.stamp" 2>/dev/null)" != "$GENSUM" ]; then
	echo "== generating the $SCALE database in $DB"
	rm -rf "$DB"
	python3 "$GEN" db --out "$DB" --scale "$SCALE" --corpus "$CORPUS" \
		--seed "$SEED" -q || die "gen.py db failed"
	echo "$GENSUM" > "$DB/.stamp"
fi

RES=$(mktemp -d "$WORK/run.XXXXXX")
trap 'rm -rf "$RES"' EXIT
CLAMTMP=$RES/clamtmp
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	CLAMTMP=$(mktemp -d /dev/shm/vigil-bench.XXXXXX)
	trap 'rm -rf "$RES" "$CLAMTMP"' EXIT
fi
mkdir -p "$CLAMTMP"
: > "$RES/empty.conf"
printf 'hello\n' > "$RES/tiny.txt"
VCACHE=$RES/vcache

CLAM=(clamscan --no-summary --stdout --scan-archive=no --scan-mail=no
	--scan-html=no --scan-ole2=no --scan-pdf=no --scan-swf=no
	--scan-xmldocs=no --scan-hwp3=no --scan-onenote=no --scan-image=no
	--scan-image-fuzzy-hash=no --heuristic-alerts=no --detect-pua=yes
	--bytecode=no --nocerts --max-filesize=200M --max-scansize=400M
	--tempdir="$CLAMTMP" -d "$DB")
VIGIL=("$VIGIL_SCAN" -c "$RES/empty.conf" -d "$DB" --cache-dir "$VCACHE"
	--set paranoid --no-summary)

CORPUS_BYTES=$(du -sb "$CORPUS/files" | cut -f1)
NFILES=$(find "$CORPUS/files" -type f | wc -l)
echo "== machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== clamscan: $(clamscan --version 2>/dev/null | head -1)"
[ -n "$HAVE_VIGIL" ] && echo "== vigil-scan: $("$VIGIL_SCAN" --version 2>/dev/null | head -1)"
echo "== database: $DB ($(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(", ".join("%s=%d" % kv for kv in sorted(c.items())))' "$DB/bench-db.json"))"
echo "== corpus: $NFILES files, $CORPUS_BYTES bytes"

# warm the page cache: neither scanner should pay for the disk
find "$CORPUS/files" -type f -exec cat {} + > /dev/null

m() {	# m NAME [measure options] -- CMD...: one measurement, progress line
	local name=$1; shift
	python3 "$MEASURE" run --out "$RES/$name.json" "$@" || {
		echo "run.sh: $name failed" >&2; return 1; }
	python3 -c 'import json,sys,statistics as s; r=json.load(open(sys.argv[1])); print("   %-18s wall %.3f s (median of %d), cpu %.3f s, peak RSS %.1f MiB" % (sys.argv[2], s.median(r["wall"]), len(r["wall"]), s.median([u+t for u,t in zip(r["user"],r["sys"])]), max(r["rss_kb"])/1024))' "$RES/$name.json" "$name"
}

fail=
echo "== load (scan of one tiny file)"
if [ -n "$HAVE_VIGIL" ]; then
	m vigil_load_cold --repeat "$LOAD_REPEAT" --clear "$VCACHE" -- \
		"${VIGIL[@]}" "$RES/tiny.txt" || fail=1
	# make sure the cache exists, then time cached loads
	"${VIGIL[@]}" "$RES/tiny.txt" > /dev/null 2>&1
	m vigil_load_cached --repeat "$LOAD_REPEAT" -- \
		"${VIGIL[@]}" "$RES/tiny.txt" || fail=1
fi
m clam_load --repeat "$LOAD_REPEAT" -- "${CLAM[@]}" "$RES/tiny.txt" || fail=1

echo "== scan of the corpus"
if [ -n "$HAVE_VIGIL" ]; then
	m vigil_scan_1 --stdout "$RES/vigil1.out" -- "${VIGIL[@]}" -j 1 \
		"$CORPUS/files" || fail=1
	m vigil_scan_n --stdout "$RES/vigiln.out" -- "${VIGIL[@]}" -j "$NPROC" \
		"$CORPUS/files" || fail=1
fi
m clam_scan --stdout "$RES/clam.out" -- "${CLAM[@]}" -r "$CORPUS/files" || fail=1
# clamscan as administrators run it (its parsers on): the figure the
# issue's "about 7 MB/s" refers to
m clam_scan_default --stdout "$RES/clamdef.out" -- clamscan --no-summary \
	--stdout --detect-pua=yes --tempdir="$CLAMTMP" -d "$DB" -r \
	"$CORPUS/files" || fail=1

# the same work on both sides: detection counts must agree
nclam=$(grep -c ' FOUND$' "$RES/clam.out")
if [ -n "$HAVE_VIGIL" ]; then
	nv1=$(grep -c ' FOUND$' "$RES/vigil1.out")
	nvn=$(grep -c ' FOUND$' "$RES/vigiln.out")
	echo "== detections: clamscan $nclam, vigil -j1 $nv1, vigil -j$NPROC $nvn"
	if [ "$nclam" != "$nv1" ] || [ "$nclam" != "$nvn" ]; then
		echo "run.sh: WARNING: detection counts differ; run tests/integration/vigil-scan/010-differential-clamscan.sh" >&2
	fi
else
	echo "== detections: clamscan $nclam"
fi

python3 "$MEASURE" report --dir "$RES" --scale "$SCALE" --corpus-mb "$MB" \
	--corpus-bytes "$CORPUS_BYTES" --threads "$NPROC" $STRICT
rc=$?
echo ""
echo "bench: $((SECONDS - start)) s in all"
[ -n "$fail" ] && exit 2
exit $rc
