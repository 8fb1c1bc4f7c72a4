# ulib.sh - shared by the vigil-update scenarios (tests/integration/update/):
# the binaries, keys, database sources with marker signatures, vigil.conf
# for vigil-update, and private nginx / python3 HTTP servers on loopback.
# It sources ../lib.sh and replaces its EXIT trap with u_cleanup,
# which runs every registered cleanup (newest first) and then drops $T.
. "$(dirname "$0")/../lib.sh" || exit 1

DBTOOL=${VIGIL_DBTOOL:-$VIGIL_BUILD/src/vigil-dbtool/vigil-dbtool}
UPDATE=${VIGIL_UPDATE:-$VIGIL_BUILD/src/vigil-update/vigil-update}
VIGILCTL=${VIGILCTL:-$VIGIL_BUILD/src/vigild/vigilctl}
UDIR=$VIGIL_SRC/tests/integration/update
# hermetic: no proxy from the caller's environment
unset http_proxy https_proxy ftp_proxy all_proxy no_proxy \
	HTTP_PROXY HTTPS_PROXY FTP_PROXY ALL_PROXY NO_PROXY

U_CLEAN=()
# u_cleanup - run the registered cleanups, newest first, then remove $T
u_cleanup() {
	local i
	for ((i = ${#U_CLEAN[@]} - 1; i >= 0; i--)); do
		eval "${U_CLEAN[$i]}" > /dev/null 2>&1
	done
	rm -rf "$T"
}
# on_exit CMD - run CMD (a string) when the scenario exits, however it exits
on_exit() { U_CLEAN+=("$1"); }
trap u_cleanup EXIT
trap 'exit 1' INT TERM HUP

# need_built - vigil-dbtool, vigil-update and vigil-scan must be built
need_built() {
	local b
	for b in "$DBTOOL" "$UPDATE" "$VIGIL_SCAN"; do
		[ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }
	done
}
# need_prog PROGRAM PACKAGE - a Debian program a scenario needs: skip (77)
# without it outside CI, fail in CI
need_prog() {
	command -v "$1" > /dev/null 2>&1 && return 0
	if [ "${CI:-}" != "true" ]; then
		echo "SKIP: $1 not installed (Debian package $2)"
		exit 77
	fi
	echo "FAIL: $1 not installed (Debian package $2, required in CI)"
	exit 1
}

# free_port - print a TCP port free on 127.0.0.1 right now
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# dead_port - print a port nothing listens on (free, and left unbound)
dead_port() { free_port; }
# wait_port PORT [TENTHS] - wait (bounded, default 10 s) until PORT accepts
wait_port() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_gone PID [TENTHS] - wait (bounded) until PID has exited
wait_gone() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		kill -0 "$1" 2> /dev/null || return 0
		sleep 0.1
	done
	return 1
}

# database sources and markers ---------------------------------------------
mkdir -p "$T/markers" "$T/cache"
# marker NAME - $T/markers/NAME: a file with unique content for signature NAME
marker() {
	[ -f "$T/markers/$1" ] ||
		printf 'vigil update marker %s %s %s\n' "$1" "$RANDOM$RANDOM" \
		    "$(date +%s%N)" > "$T/markers/$1"
}
# src_new DIR - DIR: a copy of the bundled database
src_new() { rm -rf "$1"; mkdir -p "$1"; cp -r "$DB"/. "$1"/; }
# addsig DIR NAME [FILE] - append to DIR/FILE (vigil.hdb) the MD5 signature
# NAME of the marker NAME
addsig() {
	local m
	marker "$2"
	m=$(md5sum < "$T/markers/$2")
	printf '%s:%s:%s\n' "${m%% *}" "$(stat -c %s "$T/markers/$2")" "$2" \
		>> "$1/${3:-vigil.hdb}"
}
# bighdb FILE LINES SEED - FILE: LINES random MD5 signatures (a large .hdb)
bighdb() {
	python3 - "$1" "$2" "$3" <<'EOF'
import random, sys
r = random.Random(sys.argv[3])
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write("%032x:%d:Vigil.Test.Bulk-%s-%d\n" %
                (r.getrandbits(128), 1000 + i, sys.argv[3], i))
EOF
}
# vscan BASES NAME - run vigil-scan on marker NAME with database BASES;
# sets out and rc
vscan() {
	out=$("$VIGIL_SCAN" -c "$T/empty.conf" -d "$1" --cache-dir "$T/cache" \
		"$T/markers/$2" 2>&1)
	rc=$?
}
# detects BASES NAME - vigil-scan with BASES reports marker NAME as NAME
detects() {
	vscan "$1" "$2"
	[ $rc -eq 1 ] && grep -q "$T/markers/$2: $2 FOUND" <<<"$out"
}
# clean BASES NAME - vigil-scan with BASES loads and finds marker NAME clean
clean() { vscan "$1" "$2"; [ $rc -eq 0 ]; }

# keys and packages --------------------------------------------------------
# keygen NAME - $T/NAME.sec and $T/NAME.pub
keygen() { "$DBTOOL" keygen "$T/$1.sec" "$T/$1.pub" > /dev/null; }
# build KEY VERSION SRC MIRROR [OPTION...] - vigil-dbtool build, quiet;
# fails the scenario when the build fails
build() {
	local k=$1 v=$2 s=$3 m=$4
	shift 4
	"$DBTOOL" build --key "$T/$k.sec" --version "$v" "$@" "$s" "$m" \
		> "$T/build.out" 2>&1 ||
		{ fail "build $v ($s -> $m)"; cat "$T/build.out"; }
}
# mf_field MANIFEST NAME FIELD - a field of a file line: 3 size, 4 sha256,
# 5 zsize, 6 zsha256
mf_field() { awk -v n="$2" -v f="$3" '$1 == "file" && $2 == n { print $f }' "$1"; }
# cur BASES - the version directory current points to, or nothing
cur() { readlink "$1/current" 2> /dev/null; }
# flip FILE [OFFSET] - flip the low bit of one byte (default: the middle)
flip() {
	python3 - "$1" "${2:--1}" <<'EOF'
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
if off < 0:
    off = len(b) // 2
b[off] ^= 1
open(p, "wb").write(b)
EOF
}

# configuration ------------------------------------------------------------
# uconf FILE [Key=value|-Key...] - a vigil.conf for vigil-update: [path],
# [updater.options], [updater.report]; the defaults below, changed by
# Key=value, dropped by -Key; $UCONF_EXTRA is appended verbatim; BasesPath
# is created when missing
uconf() {
	local f=$1 a k
	shift
	declare -A o=(
		[BasesPath]=$T/bases [CachePath]=$T/cache
		[UpdateServerUrl]=${URL:-} [UseUpdateServerUrl]=yes
		[UseUpdateServerUrlOnly]=yes [TrustedKeys]=$T/k.pub
		[PostUpdateCmd]= [MirrorsFile]=$T/mirrors.list
		[UseProxy]=no [ConnectTimeout]=5s [Timeout]=60s
	)
	for a; do
		case $a in
		-*) unset "o[${a#-}]" ;;
		*) o[${a%%=*}]=${a#*=} ;;
		esac
	done
	[ -e "$T/mirrors.list" ] || : > "$T/mirrors.list"
	[ -n "${o[BasesPath]:-}" ] && mkdir -p "${o[BasesPath]}"
	{
		echo "[path]"
		for k in BasesPath CachePath; do
			[ -n "${o[$k]+x}" ] && echo "$k = ${o[$k]}"
			unset "o[$k]"
		done
		echo "[updater.report]"
		for k in ReportFileName ReportLevel Append; do
			[ -n "${o[$k]+x}" ] && echo "$k = ${o[$k]}"
			unset "o[$k]"
		done
		echo "[updater.options]"
		for k in $(printf '%s\n' "${!o[@]}" | sort); do
			echo "$k = ${o[$k]}"
		done
		printf '%s' "${UCONF_EXTRA:-}"
	} > "$f"
}
# upd [ARG...] - vigil-update -c $T/u.conf ARGs; sets out (stdout and
# stderr) and rc
upd() { out=$("$UPDATE" -c "$T/u.conf" "$@" 2>&1); rc=$?; }
# upd_show - print the last run's output (after a failed check)
upd_show() { sed 's/^/    | /' <<<"$out" | head -20; }
# expect_rc DESC WANT - check the last upd's exit code, show its output if not
expect_rc() {
	if [ "$rc" -eq "$2" ]; then
		ok "$1 (exit $2)"
	else
		fail "$1: exit $rc, expected $2"
		upd_show
	fi
}
# fetched - the B of the last run's "fetched B bytes", or nothing
fetched() { sed -n 's/.*fetched \([0-9][0-9]*\) bytes.*/\1/p' <<<"$out" | tail -1; }
# staging_left BASES - true when a .staging-* directory is left in BASES
staging_left() { compgen -G "$1/.staging-*" > /dev/null; }

# servers ------------------------------------------------------------------
# nginx_start ROOT [PORT] - a private nginx master serving ROOT on
# 127.0.0.1:PORT (free when not given), by scripts/nginx-serve; sets
# NGINX_PORT, NGINX_PID, NGX (its directory: access.log with lines
# "METHOD URI STATUS BYTES", error.log)
nginx_start() {
	local r
	NGX=$T/nginx
	if ! r=$("$VIGIL_SRC/scripts/nginx-serve" "$NGX" "$1" ${2:+"$2"} \
	    2> "$T/nginx-serve.err"); then
		echo "FAIL: nginx did not start"
		cat "$T/nginx-serve.err"
		exit 1
	fi
	NGINX_PID=${r%% *}
	NGINX_PORT=${r##* }
	on_exit "stop_pid $NGINX_PID"
}
# nginx_stop - stop the nginx of nginx_start
nginx_stop() { stop_pid "$NGINX_PID"; }

# pyhttp NAME ROOT [OPTION...] - tests/integration/update/httpd.py serving
# ROOT (options: --rate BYTES_PER_S, --drop GLOB); sets PY_PORT, PY_PID;
# its request log is $T/NAME.log
pyhttp() {
	local name=$1 root=$2 i
	shift 2
	rm -f "$T/$name.port"
	python3 "$UDIR/httpd.py" --root "$root" --port-file "$T/$name.port" \
		--log "$T/$name.log" "$@" 2> "$T/$name.err" &
	PY_PID=$!
	on_exit "stop_pid $PY_PID"
	for i in $(seq 100); do
		[ -s "$T/$name.port" ] && break
		sleep 0.1
	done
	PY_PORT=$(cat "$T/$name.port" 2> /dev/null)
	[ -n "$PY_PORT" ] && wait_port "$PY_PORT" 50 ||
		{ echo "FAIL: httpd.py did not start"; cat "$T/$name.err"; exit 1; }
}
