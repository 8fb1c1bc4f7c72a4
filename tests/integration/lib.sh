# lib.sh - shared by the integration scenarios: paths, temp dir, checks.
# Each scenario sources this, runs, and exits 0 (pass), 1 (fail) or 77 (skip).
set -u
VIGIL_SRC=${VIGIL_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
VIGIL_BUILD=${VIGIL_BUILD:-$VIGIL_SRC/build}
VIGIL_SCAN=${VIGIL_SCAN:-$VIGIL_BUILD/src/vigil-scan/vigil-scan}
DB=$VIGIL_SRC/share/vigil/db
T=$(mktemp -d /tmp/vigil-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0

# fail - report a failed check and remember it
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# ok - report a passed check
ok() { echo "ok: $*"; }
# check DESC CMD... - run a command, pass when it exits 0
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# eicar FILE - write the EICAR test file (kept out of the tree on purpose)
eicar() { printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' > "$1"; }
# finish - exit with the scenario's verdict
finish() { echo "$failures failure(s)"; [ "$failures" -eq 0 ]; exit $?; }
# vs ARGS - run vigil-scan with the bundled database, no system config
vs() { "$VIGIL_SCAN" -c "$T/empty.conf" -d "$DB" --cache-dir "$T/cache" "$@"; }
: > "$T/empty.conf"

# need_clamscan - the differential scenarios' oracle: skip (77) without it
# outside CI, fail in CI; fail when vigil-scan is not built
need_clamscan() {
	if ! command -v clamscan >/dev/null 2>&1; then
		if [ "${CI:-}" != "true" ]; then
			echo "SKIP: clamscan not installed"
			exit 77
		fi
		echo "FAIL: clamscan not installed (required in CI)"
		exit 1
	fi
	if [ ! -x "$VIGIL_SCAN" ]; then
		echo "FAIL: $VIGIL_SCAN not built"
		exit 1
	fi
}
# clam_tmpdir - sets CT: clamscan's temporary directory, in memory when
# /dev/shm is writable (it makes one per file and unpacks members there)
clam_tmpdir() {
	CT=$T/clamtmp
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		CT=$(mktemp -d /dev/shm/vigil-diff.XXXXXX)
		trap 'rm -rf "$T" "$CT"' EXIT
	fi
	mkdir -p "$CT"
}
# clam_base - sets CLAMOPTS: the options both differential scenarios give
# clamscan (document parsers, heuristics and bytecode off, PUA on,
# executables parsed, temporary files in $CT); each adds its own
clam_base() {
	CLAMOPTS=(--no-summary --stdout --scan-html=no --scan-ole2=no
		--scan-pdf=no --scan-swf=no --scan-xmldocs=no --scan-hwp3=no
		--scan-onenote=no --scan-image=no --scan-image-fuzzy-hash=no
		--heuristic-alerts=no --detect-pua=yes --bytecode=no --nocerts
		--tempdir="$CT")
}
# diff_gen KIND SECONDS - gen.py KIND (corpus, containers) of $MB MB into
# $T/corpus and a 10k database for it into $T/db, seed $SEED
diff_gen() {
	local gen=$VIGIL_SRC/bench/engine/gen.py
	timeout "$2" python3 "$gen" "$1" --out "$T/corpus" --size-mb "$MB" \
		--seed "$SEED" -q || { echo "FAIL: gen.py $1"; exit 1; }
	timeout 30 python3 "$gen" db --out "$T/db" --scale 10k \
		--corpus "$T/corpus" --seed "$SEED" -q ||
		{ echo "FAIL: gen.py db"; exit 1; }
}
# diff_run NAME OUT CMD... - run a scanner, output to OUT (errors to
# OUT.err); an exit status over 1 fails the scenario
diff_run() {
	local name=$1 out=$2 t0=$SECONDS rc
	shift 2
	"$@" > "$out" 2> "$out.err"
	rc=$?
	if [ $rc -gt 1 ]; then
		echo "FAIL: $name exit $rc"
		head -20 "$out.err"
		exit 1
	fi
	echo "$name: $((SECONDS - t0)) s"
}
# diff_keep RC - after a failed comparison, keep the inputs and outputs in
# $VIGIL_DIFF_KEEP when it is set
diff_keep() {
	[ "$1" -ne 0 ] && [ -n "${VIGIL_DIFF_KEEP:-}" ] || return 0
	mkdir -p "$VIGIL_DIFF_KEEP"
	cp -r "$T/corpus" "$T/db" "$T"/clam.out* "$T"/vigil.out* \
		"$VIGIL_DIFF_KEEP"/
	echo "kept the corpus, database and outputs in $VIGIL_DIFF_KEEP"
}

# vigild: a private daemon under $T (tests/integration/vigild/)
VIGILD=${VIGIL_BUILD:-}/src/vigild/vigild
vtalk() { python3 "$VIGIL_SRC/tests/integration/vigild/vtalk.py" "$@"; }

# vigild_conf [LINE...] - $T/vigil.conf for a daemon on $T/vigild.sock with
# a copy of the bundled database in $T/db; LINEs are added to [vigild]
vigild_conf() {
	mkdir -p "$T/db" "$T/cache"
	cp -r "$DB"/. "$T/db/"
	{
		printf '[path]\nBasesPath = %s\nCachePath = %s\n' "$T/db" "$T/cache"
		printf '[vigild]\nListenSocket = %s\nControlSocket = %s\n' \
			"$T/vigild.sock" "$T/vigild.ctl"
		printf 'PidFile = %s\n' "$T/vigild.pid"
		case " $* " in *" User ="*|*" User="*) ;; *) printf 'User =\n' ;; esac
		case " $* " in *" MaxThreads"*) ;; *) printf 'MaxThreads = 2\n' ;; esac
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '[vigild.report]\nReportFileName = %s\nShowOk = yes\n' \
			"$T/vigild.log"
	} > "$T/vigil.conf"
}

# vigild_start [OPTION...] - start the daemon (it detaches once ready)
vigild_start() { "$VIGILD" -c "$T/vigil.conf" "$@"; }

# vigild_pid - the running daemon's pid, or nothing
vigild_pid() { cat "$T/vigild.pid" 2>/dev/null; }

# stop_pid PID - SIGTERM, SIGKILL after 10 s; 1 when it took SIGKILL
stop_pid() {
	local i
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 1
}

# vigild_stop - stop the daemon of vigild_start
vigild_stop() { stop_pid "$(vigild_pid)"; }
