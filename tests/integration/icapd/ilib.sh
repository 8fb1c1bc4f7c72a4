# ilib.sh - shared by the vigil-icapd scenarios (tests/integration/icapd/):
# free loopback ports, the origin web server (origin.py), vigild and
# vigil-icapd in the foreground under $T, a private Squid with the proxy
# guide's Squid 3.1 ICAP lines, and curl / c-icap-client wrappers.
# It sources ../lib.sh and replaces its EXIT trap with stop_all, which
# stops every process started here (newest first) and then drops $T.
# Every wait is bounded.
#
# Environment:
#   VIGIL_ICAPD  vigil-icapd (default $VIGIL_BUILD/src/vigil-icapd/vigil-icapd)
#   ICAPD_IMPL   vigil (default), or c-icap: Debian's c-icap with its echo
#                service (srv_echo, aliased to av/respmod and av/reqmod) as
#                a stand-in that blocks nothing; it exists to check this
#                harness (origin, Squid configuration), not vigil-icapd
#   ILIB_KEEP    a directory: on exit, copy the logs there
. "$(dirname "$0")/../lib.sh" || exit 1

IDIR=$VIGIL_SRC/tests/integration/icapd
ICAPD=${VIGIL_ICAPD:-$VIGIL_BUILD/src/vigil-icapd/vigil-icapd}
VIGILCTL=${VIGILCTL:-$VIGIL_BUILD/src/vigild/vigilctl}
ICAPD_IMPL=${ICAPD_IMPL:-vigil}
CONF=$T/vigil.conf
# shellcheck disable=SC2034  # used by the scenarios
MIB=1048576
# hermetic: no proxy from the caller's environment
unset http_proxy https_proxy ftp_proxy all_proxy no_proxy \
	HTTP_PROXY HTTPS_PROXY FTP_PROXY ALL_PROXY NO_PROXY

I_CLEAN=()
# stop_all - run the registered cleanups, newest first, then remove $T
stop_all() {
	local i
	for ((i = ${#I_CLEAN[@]} - 1; i >= 0; i--)); do
		eval "${I_CLEAN[$i]}" > /dev/null 2>&1
	done
	I_CLEAN=()
	if [ -n "${ILIB_KEEP:-}" ]; then
		mkdir -p "$ILIB_KEEP"
		cp -r "$T"/*.log "$T"/*.err "$T"/*.stats "$T"/squid "$ILIB_KEEP"/ \
			2> /dev/null
	fi
	rm -rf "$T"
}
# on_exit CMD - run CMD (a string) when the scenario exits, however it exits
on_exit() { I_CLEAN+=("$1"); }
trap stop_all EXIT
trap 'exit 1' INT TERM HUP

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
# need_icapd - the ICAP server under test (and vigild) must be there
need_icapd() {
	local b
	need_prog python3 python3
	need_prog curl curl
	if [ "$ICAPD_IMPL" = c-icap ]; then
		need_prog c-icap c-icap
		echo "note: ICAPD_IMPL=c-icap: c-icap's echo service stands in" \
			"for vigil-icapd (checks the harness only)"
		return 0
	fi
	for b in "$ICAPD" "$VIGILD" "$VIGILCTL"; do
		[ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }
	done
}
# stand_in - true when c-icap's echo service stands in for vigil-icapd
stand_in() { [ "$ICAPD_IMPL" = c-icap ]; }

# free_port - print a TCP port free on 127.0.0.1 right now
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_port PORT [TENTHS] - wait (bounded, default 10 s) until PORT accepts
wait_port() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do
		(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_for TENTHS CMD... - retry CMD every 0.1 s until it succeeds (bounded)
wait_for() {
	local i n=$1
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# the origin -----------------------------------------------------------------
# origin_start [PORT] - origin.py on 127.0.0.1 (PORT, or one the kernel
# picks); sets OPORT, ORIGIN (http://127.0.0.1:OPORT), OLOG (its request
# log: "METHOD PATH LENGTH SHA256"), and writes $T/eicar.com
origin_start() {
	eicar "$T/eicar.com"
	OLOG=$T/origin.log
	: > "$OLOG"
	rm -f "$T/origin.port"
	python3 "$IDIR/origin.py" --eicar "$T/eicar.com" \
		--port-file "$T/origin.port" --log "$OLOG" ${1:+--port "$1"} \
		2> "$T/origin.err" &
	OPID=$!
	on_exit "stop_pid $OPID"
	wait_for 100 test -s "$T/origin.port"
	OPORT=$(cat "$T/origin.port" 2> /dev/null)
	[ -n "$OPORT" ] && wait_port "$OPORT" 50 ||
		{ echo "FAIL: origin.py did not start"; cat "$T/origin.err"; exit 1; }
	ORIGIN=http://127.0.0.1:$OPORT
}
# origin_posts - how many POSTs the origin has received so far
origin_posts() { grep -c '^POST ' "$OLOG"; }

# the database: the bundled one plus a signature that finds EICAR anywhere
# (the bundled one looks at offsets 0-128 only: /big-eicar-end.bin needs it)
# db_prepare - $T/db
db_prepare() {
	mkdir -p "$T/db" "$T/cache"
	cp -r "$DB"/. "$T/db/"
	printf 'Vigil.Test.Eicar-Anywhere:0:*:%s\n' \
		"$(od -An -tx1 "$T/eicar.com" | tr -d ' \n')" > "$T/db/itest.ndb"
}

# configuration ----------------------------------------------------------
# icapd_conf [-SECTION...] - $CONF for vigild and vigil-icapd on ICAP_PORT
# (picked here when unset): the sections below but the -SECTIONs given
# (e.g. -icapserver.statistics), $ICONF_NET (lines) added to
# [icapserver.network], then $ICONF_EXTRA verbatim
icapd_conf() {
	local a skip=" "
	for a; do skip="$skip${a#-} "; done
	ICAP_PORT=${ICAP_PORT:-$(free_port)}
	[ -f "$T/eicar.com" ] || eicar "$T/eicar.com"
	[ -d "$T/db" ] || db_prepare
	# sec NAME - true when section NAME is to be written
	sec() { case $skip in *" $1 "*) return 1 ;; esac; echo "[$1]"; }
	{
		sec path && printf 'BasesPath=%s\nCachePath=%s\n' "$T/db" "$T/cache"
		sec vigild && printf 'ListenSocket=%s\nControlSocket=%s\nPidFile=%s\nUser=\nMaxThreads=2\n' \
			"$T/vigild.sock" "$T/vigild.ctl" "$T/vigild.pid"
		sec vigild.report && printf 'ReportFileName=%s\n' "$T/vigild.log"
		sec icapserver.network && printf 'ListenAddress=127.0.0.1:%s\nVigildAddress=%s\n' \
			"$ICAP_PORT" "$T/vigild.sock" &&
			printf '%s\n' "${ICONF_NET:-}"
		sec icapserver.process && printf 'PidFile=%s\nControlSocket=%s\nUser=\n' \
			"$T/icapd.pid" "$T/icapd.ctl"
		sec icapserver.report && printf 'ReportFileName=%s\n' "$T/icapd.log"
		sec icapserver.statistics && printf 'AVStatisticsFile=%s\nCounterStatisticsFile=%s\n' \
			"$T/av.stats" "$T/cnt.stats"
		sec icapserver.notify && printf 'NotifyTemplateDir=%s\nNotifyScript=%s\n' \
			"$VIGIL_SRC/share/vigil/notify" "${NOTIFY_SCRIPT:-}"
		printf '%s\n' "${ICONF_EXTRA:-}"
	} > "$CONF"
	unset -f sec
}
# notify_script - $T/notify.sh: appends its arguments and VIGIL_* environment
# to $T/notify.out, one "---" record per run; sets NOTIFY_SCRIPT
notify_script() {
	NOTIFY_SCRIPT=$T/notify.sh
	cat > "$NOTIFY_SCRIPT" <<-EOF
	#!/bin/sh
	{ echo "--- \$*"; env | grep '^VIGIL_' | sort; } >> "$T/notify.out"
	EOF
	chmod 755 "$NOTIFY_SCRIPT"
}

# daemons ----------------------------------------------------------------
# vigild_ping - true when vigild answers PING on its socket
vigild_ping() {
	python3 - "$T/vigild.sock" <<-'EOF' 2> /dev/null
	import socket, sys
	s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
	s.sendall(b"nPING\n")
	sys.exit(0 if s.recv(16) == b"PONG\n" else 1)
	EOF
}
# vigild_start - vigild -F on $CONF in the background, until it answers
# PING (30 s at most); sets VPID
vigild_start() {
	stand_in && return 0
	"$VIGILD" -F -c "$CONF" > "$T/vigild.err" 2>&1 &
	VPID=$!
	on_exit "stop_pid $VPID"
	if ! wait_for 300 vigild_ping; then
		echo "FAIL: vigild does not answer PING"
		tail -20 "$T/vigild.err"
		exit 1
	fi
}
# icap_up PATH - true when the ICAP server answers OPTIONS on PATH with 200
icap_up() { python3 "$IDIR/icapraw.py" up "$ICAP_PORT" "$1" > /dev/null 2>&1; }
# icapd_start - the ICAP server on ICAP_PORT in the background, until
# OPTIONS /av/respmod answers 200 (30 s at most); sets IPID
icapd_start() {
	if stand_in; then
		cicap_start
		return
	fi
	"$ICAPD" -F -c "$CONF" > "$T/icapd.err" 2>&1 &
	IPID=$!
	icapd_trap
	if ! wait_for 300 icap_up /av/respmod; then
		echo "FAIL: vigil-icapd does not answer OPTIONS /av/respmod"
		tail -20 "$T/icapd.err"
		exit 1
	fi
}
# icapd_trap - have stop_all run icapd_stop (once: the ICAP server may be
# restarted, and a stale pid must not be signalled)
icapd_trap() {
	[ -n "${ICAPD_TRAPPED:-}" ] && return 0
	ICAPD_TRAPPED=1
	on_exit icapd_stop
}
# icapd_stop - stop the ICAP server of icapd_start (the stand-in: also
# c-icap's children, which outlive their parent while Squid keeps
# connections open)
icapd_stop() {
	local kids='' k
	[ -n "${IPID:-}" ] || return 0
	stand_in && kids=$(ps -o pid= --ppid "$IPID" 2> /dev/null)
	for k in $kids; do kill -KILL "$k" 2> /dev/null; done
	stop_pid "$IPID"
	IPID=
}
# cicap_start - the stand-in: c-icap, srv_echo as av/respmod and av/reqmod
cicap_start() {
	local d mod=
	for d in /usr/lib/*/c_icap /usr/lib/c_icap /usr/local/lib/c_icap; do
		[ -f "$d/srv_echo.so" ] && { mod=$d; break; }
	done
	[ -n "$mod" ] || { echo "SKIP: c-icap's srv_echo.so not found"; exit 77; }
	mkdir -p "$T/cicap"
	cat > "$T/cicap/c-icap.conf" <<-EOF
	PidFile $T/cicap/c-icap.pid
	CommandsSocket $T/cicap/c-icap.ctl
	Timeout 30
	StartServers 1
	MaxServers 1
	ThreadsPerChild 8
	Port 127.0.0.1:$ICAP_PORT
	TmpDir $T/cicap
	ModulesDir $mod
	ServicesDir $mod
	ServerLog $T/cicap/server.log
	AccessLog $T/cicap/access.log
	Service echo srv_echo.so
	ServiceAlias av/respmod echo
	ServiceAlias av/reqmod echo
	EOF
	c-icap -N -f "$T/cicap/c-icap.conf" > "$T/cicap/stdout" 2>&1 &
	IPID=$!
	icapd_trap
	if ! wait_for 300 icap_up /av/respmod; then
		echo "FAIL: c-icap does not answer OPTIONS /av/respmod"
		tail -20 "$T/cicap/server.log" "$T/cicap/stdout" 2> /dev/null
		exit 1
	fi
}
# vctl COMMAND [DAEMON] - vigilctl -c $CONF; sets out and rc
vctl() { out=$(timeout 20 "$VIGILCTL" -c "$CONF" "$@" 2>&1); rc=$?; }

# Squid ------------------------------------------------------------------
# squid_start [LINE...] - a private Squid on a free loopback port with a
# memory-only cache, the proxy guide's ICAP lines for the Squid 3.1 form
# pointing at ICAP_PORT, and LINEs added; sets SQUID_PORT, SQ (its
# directory: access.log, cache.log), PROXY
squid_start() {
	local l
	need_prog squid squid
	SQ=$T/squid
	mkdir -p "$SQ"
	printf '127.0.0.1 www.example.com www.example.org\n' > "$SQ/hosts"
	for _ in 1 2 3; do
		SQUID_PORT=$(free_port)
		# The guide's lines, one per line (its PDF breaks them with "\"):
		# Squid 5.7 still takes the bare "0" after the vectoring point
		# as the obsolete "bypass" flag of Squid 3.0 (0 = bypass=off:
		# a failed ICAP service fails the transaction); it only logs
		# "UPGRADE: Please use 'bypass=off' option to disable service
		# bypass", so the guide's form is kept as it is.  read_ahead_gap
		# is left at its default (16 KB) on purpose.
		cat > "$SQ/squid.conf" <<-EOF
		http_port 127.0.0.1:$SQUID_PORT
		visible_hostname vigil-test
		pid_filename $SQ/squid.pid
		cache_log $SQ/cache.log
		access_log stdio:$SQ/access.log
		cache_store_log none
		hosts_file $SQ/hosts
		dns_nameservers 127.0.0.1
		cache_mem 32 MB
		maximum_object_size_in_memory 4 MB
		maximum_object_size 4 MB
		coredump_dir $SQ
		pinger_enable off
		netdb_filename none
		shutdown_lifetime 1 seconds
		acl lo src 127.0.0.1/32
		http_access allow lo
		http_access deny all
		icap_enable on
		icap_send_client_ip on
		icap_service is_kav_resp respmod_precache 0 icap://127.0.0.1:$ICAP_PORT/av/respmod
		icap_service is_kav_req reqmod_precache 0 icap://127.0.0.1:$ICAP_PORT/av/reqmod
		adaptation_access is_kav_req allow all
		adaptation_access is_kav_resp allow all
		EOF
		for l in "$@"; do printf '%s\n' "$l" >> "$SQ/squid.conf"; done
		if [ "$(id -u)" = 0 ]; then
			# Squid will not run as root: it switches to nobody
			echo "cache_effective_user nobody" >> "$SQ/squid.conf"
			chmod 755 "$T"
			chown -R nobody "$SQ"
		fi
		squid -N -f "$SQ/squid.conf" > "$SQ/stdout" 2>&1 &
		SQUID_PID=$!
		on_exit "stop_pid $SQUID_PID"
		if wait_port "$SQUID_PORT" 150 && kill -0 "$SQUID_PID" 2> /dev/null; then
			PROXY=http://127.0.0.1:$SQUID_PORT
			return 0
		fi
		stop_pid "$SQUID_PID"
	done
	echo "FAIL: squid did not start"
	tail -5 "$SQ/cache.log" "$SQ/stdout" 2> /dev/null
	exit 1
}
# sq_lines - the number of lines in Squid's access log now
sq_lines() { wc -l < "$SQ/access.log" 2> /dev/null || echo 0; }
# sq_since N PATTERN - wait (bounded, 3 s) for PATTERN (grep -E) in Squid's
# access log after its first N lines
sq_since() {
	local i
	for i in $(seq 30); do
		tail -n +"$(($1 + 1))" "$SQ/access.log" 2> /dev/null |
			grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}
# sq_last URL - Squid's last access log line for URL (waits up to 3 s)
sq_last() {
	wait_for 30 grep -qF -- " $1 " "$SQ/access.log"
	grep -F -- " $1 " "$SQ/access.log" | tail -1
}

# clients ----------------------------------------------------------------
n_req=0
# pcurl URL [CURLARG...] - GET (or what CURLARGs say) through Squid, 30 s
# at most; sets B (the body file), HDR (the response headers file), code
# (HTTP status), rc (curl's exit), size (bytes received)
pcurl() {
	local url=$1 w
	shift
	n_req=$((n_req + 1))
	B=$T/body.$n_req
	HDR=$T/hdr.$n_req
	w=$(curl -s -x "$PROXY" --max-time 30 -o "$B" -D "$HDR" \
		-w '%{http_code} %{size_download}' "$@" "$url" 2> "$T/curl.err")
	rc=$?
	[ -f "$B" ] || : > "$B"
	code=${w%% *}
	size=$(stat -c %s "$B")
}
# has_eicar FILE - true when FILE holds the EICAR string
has_eicar() { grep -aq 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' "$1"; }
# same_as FILE PATH - true when FILE has the bytes the origin serves at PATH
# (fetched directly)
same_as() {
	curl -s --max-time 30 -o "$T/direct" "$ORIGIN$2" && cmp -s "$1" "$T/direct"
}
# blocked_page DESC URL THREAT - check the last pcurl: a 403 block page
# naming URL and THREAT, without the object, that no cache may keep.
# (X-Infection-Found / X-Virus-ID are ICAP headers: Squid does not pass
# them on to the browser; 002-c-icap-client.sh checks them.)
blocked_page() {
	check "$1: HTTP 403" [ "$code" = 403 ]
	check "$1: the block page names the URL" grep -qF -- "$2" "$B"
	check "$1: the block page names $3" grep -qF -- "$3" "$B"
	check "$1: the object is not delivered" eval '! has_eicar "$B"'
	check "$1: Cache-Control: no-store" grep -qiE '^Cache-Control:.*no-store' "$HDR"
}
# showlast - print the last pcurl's status, headers and body head
showlast() {
	echo "    | curl rc=$rc code=$code size=$size"
	sed 's/^/    | /' "$HDR" | head -15
	head -c 600 "$B" | tr -c '[:print:]\n' '?' | sed 's/^/    | /'
	echo
}
# hgrep ERE - true when a line of the last cic's headers (H) matches ERE
# (case-insensitive, after the indent c-icap-client -v puts there)
hgrep() { grep -qiE "^[[:space:]]*($1)" <<<"$H"; }
# group_for URL - the group=... of vigil-icapd's report line for URL
# (waits up to 5 s for the line)
group_for() {
	wait_for 50 grep -qsF "url=\"$1\"" "$T/icapd.log"
	grep -sF "url=\"$1\"" "$T/icapd.log" | tail -1 |
		sed -n 's/.* group=\([^ ]*\).*/\1/p'
}
# cic ARG... - c-icap-client against ICAP_PORT (30 s at most); sets H
# (ICAP and HTTP headers, -v), O (the returned body file), rc
cic() {
	n_req=$((n_req + 1))
	O=$T/cic.$n_req
	H=$(timeout 30 c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -v \
		-o "$O" "$@" 2>&1)
	rc=$?
	[ -f "$O" ] || : > "$O"
}
