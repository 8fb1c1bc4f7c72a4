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
