# shellcheck shell=bash
# slib.sh - shared by the vigil-smtpd scenarios (tests/integration/smtpd/):
# free loopback ports, the SMTP/LMTP sink (sink.py), vigild and
# vigil-smtpd in the foreground under $T, swaks and smtpc.py wrappers,
# message builders, and readers for what the sink received.
# It sources ../lib.sh and replaces its EXIT trap with stop_all, which
# stops every process started here (newest first) and then drops $T.
# Every wait is bounded.
#
# Environment:
#   VIGIL_SMTPD  vigil-smtpd (default $VIGIL_BUILD/src/vigil-smtpd/vigil-smtpd)
#   SLIB_KEEP    a directory: on exit, copy the logs and the sinks there
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" || exit 1

SDIR=$VIGIL_SRC/tests/integration/smtpd
SMTPD=${VIGIL_SMTPD:-$VIGIL_BUILD/src/vigil-smtpd/vigil-smtpd}
VIGILCTL=${VIGILCTL:-$VIGIL_BUILD/src/vigild/vigilctl}
VQUAR=${VIGIL_QUARANTINE:-$VIGIL_BUILD/src/vigil-quarantine/vigil-quarantine}
CONF=$T/vigil.conf
VCONF=$T/vigild.conf
REPORT=$T/smtpd.log
# shellcheck disable=SC2034  # used by the scenarios
T_EICAR=Eicar-Test-Signature
# hermetic: no proxy or mail settings from the caller's environment
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY

S_CLEAN=()
# stop_all - run the registered cleanups, newest first, then remove $T
stop_all() {
	local i
	for ((i = ${#S_CLEAN[@]} - 1; i >= 0; i--)); do
		eval "${S_CLEAN[$i]}" > /dev/null 2>&1
	done
	S_CLEAN=()
	if [ -n "${SLIB_KEEP:-}" ]; then
		mkdir -p "$SLIB_KEEP"
		cp -r "$T"/*.log "$T"/*.err "$T"/sink.* "$T"/vigil.conf \
			"$T"/tx.* "$SLIB_KEEP"/ 2> /dev/null
	fi
	rm -rf "$T"
}
# on_exit CMD - run CMD (a string) when the scenario exits, however it exits
on_exit() { S_CLEAN+=("$1"); }
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
# need_smtpd - python3, swaks and the programs under test
need_smtpd() {
	local b
	need_prog python3 python3
	need_prog swaks swaks
	for b in "$SMTPD" "$VIGILD" "$VIGILCTL" "$VQUAR" "$VIGIL_SCAN"; do
		[ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }
	done
}

# free_port - print a TCP port free on 127.0.0.1 right now
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for TENTHS CMD... - retry CMD every 0.1 s until it succeeds, for
# TENTHS tenths of a second at most (wall clock, however long CMD takes);
# stops at once when CMD exits 3 (it will never succeed)
wait_for() {
	local end=$((${EPOCHREALTIME/./} / 100000 + $1)) r
	shift
	while :; do
		"$@"
		r=$?
		[ $r -eq 0 ] && return 0
		[ $r -eq 3 ] && return 1
		[ $((${EPOCHREALTIME/./} / 100000)) -lt "$end" ] || return 1
		sleep 0.1
	done
}
# greets PORT - true when a server on PORT sends a 220 greeting (2 s)
greets() {
	python3 - "$1" <<-'EOF' 2> /dev/null
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
	d = s.recv(512)
	try:
	    s.sendall(b"QUIT\r\n"); s.recv(512)
	except OSError:
	    pass
	sys.exit(0 if d.startswith(b"220") else 1)
	EOF
}

# the sink -----------------------------------------------------------------
# sink_start NAME [--lmtp] - sink.py on a free loopback port, recording in
# $T/sink.NAME, with control file $T/sink.NAME/control (empty: accept
# everything); sets SINK_PORT, SINK_DIR, SINK_CTL (the latest sink)
sink_start() {
	local name=$1 pid
	shift
	SINK_DIR=$T/sink.$name
	SINK_CTL=$SINK_DIR/control
	mkdir -p "$SINK_DIR"
	: > "$SINK_CTL"
	python3 "$SDIR/sink.py" --dir "$SINK_DIR" --port-file "$SINK_DIR/port" \
		--control "$SINK_CTL" --lifetime 600 "$@" 2> "$SINK_DIR/err" &
	pid=$!
	on_exit "stop_pid $pid"
	wait_for 100 test -s "$SINK_DIR/port"
	SINK_PORT=$(cat "$SINK_DIR/port" 2> /dev/null)
	[ -n "$SINK_PORT" ] && wait_for 50 greets "$SINK_PORT" ||
		{ echo "FAIL: sink.py did not start"; cat "$SINK_DIR/err"; exit 1; }
}
# sink_ctl LINE... - the sink's control file (no LINE: accept everything)
sink_ctl() { printf '%s\n' "$@" | grep -v '^$' > "$SINK_CTL.tmp"; mv "$SINK_CTL.tmp" "$SINK_CTL"; }
# scount [DIR] - transactions the sink received
scount() { python3 "$SDIR/sink.py" count "${1:-$SINK_DIR}"; }
# swait N [DIR] - wait (bounded, 10 s) until the sink has N transactions
swait() { wait_for 100 has_n "$1" "${2:-$SINK_DIR}"; }
# has_n N DIR - true when the sink in DIR has N transactions or more
has_n() { [ "$(scount "$2")" -ge "$1" ]; }
# sfind EXPR [DIR] - the numbers of the sink's transactions matching EXPR
# (see sink.py: j e h b rc hdr(NAME)); false when none
sfind() { python3 "$SDIR/sink.py" find "${2:-$SINK_DIR}" "$1"; }
# sget N EXPR [DIR] - print EXPR for transaction N
sget() { python3 "$SDIR/sink.py" get "${3:-$SINK_DIR}" "$1" "$2"; }
# seml N [DIR] - the path of transaction N's message
seml() { echo "${2:-$SINK_DIR}/$1.eml"; }
# sshow [DIR] - print what the sink received (after a failure)
sshow() {
	local d=${1:-$SINK_DIR} n
	for n in $(python3 "$SDIR/sink.py" find "$d" True); do
		echo "    | #$n $(tr -d '\n' < "$d/$n.json" | tr -s ' ')"
		{ head -c 1500 "$d/$n.eml"; echo; } | tr -c '[:print:]\n' '?' |
			sed 's/^/    |   /' | head -40
	done
	tail -30 "$d/sink.log" | sed 's/^/    | log: /'
}

# configuration --------------------------------------------------------------
# db_prepare - $T/db: a copy of the bundled database
db_prepare() {
	mkdir -p "$T/db" "$T/cache"
	cp -r "$DB"/. "$T/db/"
}
# smtpd_conf - $CONF for vigild and vigil-smtpd on SMTP_PORT (picked here
# when unset): Protocol $PROTO (default smtp), ForwardMailer $FWD (default
# smtp:127.0.0.1:$SINK_PORT), $SCONF_GEN lines added to
# [smtpscan.general], $SCONF_LIMITS to [smtpscan.limits], then the groups:
# $SCONF_REPORT verbatim (default: a [smtpscan.report] section writing
# $REPORT with ShowOk=yes), then $SCONF_GROUPS verbatim (default: a
# default group with AdminAddress admin@example.org)
smtpd_conf() {
	SMTP_PORT=${SMTP_PORT:-$(free_port)}
	[ -d "$T/db" ] || db_prepare
	mkdir -p "$T/spool"
	{
		printf '[path]\nBasesPath=%s\nCachePath=%s\nQuarantinePath=%s\n' \
			"$T/db" "$T/cache" "$T/quarantine"
		printf '[vigild]\nListenSocket=%s\nControlSocket=%s\nPidFile=%s\nUser=\nMaxThreads=2\n' \
			"$T/vigild.sock" "$T/vigild.ctl" "$T/vigild.pid"
		printf '[vigild.report]\nReportFileName=%s\n' "$T/vigild.log"
		printf '[smtpscan.general]\nListenAddress=127.0.0.1:%s\nProtocol=%s\n' \
			"$SMTP_PORT" "${PROTO:-smtp}"
		printf 'ForwardMailer=%s\n' "${FWD:-smtp:127.0.0.1:$SINK_PORT}"
		printf 'NotifyFromAddress=MAILER-DAEMON@localhost\nVigildAddress=%s\n' \
			"$T/vigild.sock"
		printf 'User=\nPidFile=%s\nControlSocket=%s\n' "$T/smtpd.pid" "$T/smtpd.ctl"
		printf 'NotifyTemplateDir=%s\nSpoolDirectory=%s\n' \
			"$VIGIL_SRC/share/vigil/mail" "$T/spool"
		printf '%s\n' "${SCONF_GEN:-}"
		printf '[smtpscan.limits]\nMaxCheckTime=30s\nTimeout=30s\n%s\n' \
			"${SCONF_LIMITS:-}"
		if [ -n "${SCONF_REPORT:-}" ]; then
			printf '%s\n' "$SCONF_REPORT"
		else
			printf '[smtpscan.report]\nReportFileName=%s\nShowOk=yes\n' "$REPORT"
		fi
		printf '%s\n' "${SCONF_GROUPS:-[smtpscan.group:default]
AdminAddress=admin@example.org}"
	} > "$CONF"
}

# daemons --------------------------------------------------------------------
# vigild_ping - true when vigild answers PING on its socket
vigild_ping() {
	python3 - "$T/vigild.sock" <<-'EOF' 2> /dev/null
	import socket, sys
	s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1])
	s.sendall(b"nPING\n")
	sys.exit(0 if s.recv(16) == b"PONG\n" else 1)
	EOF
}
# vigild_conf - $VCONF: the [path] and [vigild*] sections of $CONF alone
# (vigild and vigil-quarantine read it: they need nothing else)
vigild_conf() {
	awk '/^[ \t]*\[/ { keep = ($0 ~ /^[ \t]*\[ *(path|vigild|vigild\.report) *\]/) } keep' \
		"$CONF" > "$VCONF"
}
# vigild_up - true when vigild answers PING; 3 when it died
vigild_up() {
	kill -0 "$VPID" 2> /dev/null || { echo "vigild exited"; return 3; }
	vigild_ping
}
# vigild_start - vigild -F on $VCONF (made from $CONF) in the background,
# until it answers PING (30 s at most); sets VPID
vigild_start() {
	vigild_conf
	"$VIGILD" -F -c "$VCONF" >> "$T/vigild.err" 2>&1 &
	VPID=$!
	on_exit "stop_pid $VPID"
	if ! wait_for 300 vigild_up; then
		echo "FAIL: vigild does not answer PING"
		tail -20 "$T/vigild.err"
		exit 1
	fi
}
# vigild_stop - stop the vigild of vigild_start
vigild_stop() { stop_pid "${VPID:-}"; VPID=; }
# smtpd_start [OPTION...] - vigil-smtpd -F on $CONF in the background,
# until SMTP_PORT greets with 220 (30 s at most); sets SPID
smtpd_start() {
	"$SMTPD" -F -c "$CONF" "$@" >> "$T/smtpd.err" 2>&1 &
	SPID=$!
	if [ -z "${SMTPD_TRAPPED:-}" ]; then
		SMTPD_TRAPPED=1
		on_exit smtpd_stop
	fi
	if ! wait_for 300 smtpd_up; then
		echo "FAIL: vigil-smtpd does not greet on port $SMTP_PORT"
		tail -20 "$T/smtpd.err"
		exit 1
	fi
}
# smtpd_up - true when vigil-smtpd greets; 3 when it died
smtpd_up() {
	kill -0 "$SPID" 2> /dev/null || { echo "vigil-smtpd exited"; return 3; }
	greets "$SMTP_PORT"
}
# smtpd_stop - stop the vigil-smtpd of smtpd_start
smtpd_stop() { stop_pid "${SPID:-}"; SPID=; }
# smtpd_alive - true while the vigil-smtpd of smtpd_start runs
smtpd_alive() { [ -n "${SPID:-}" ] && kill -0 "$SPID" 2> /dev/null; }
# vctl COMMAND [DAEMON] - vigilctl -c $CONF; sets out and rc
vctl() { out=$(timeout 20 "$VIGILCTL" -c "$CONF" "$@" 2>&1); rc=$?; }
# vq ARGS - vigil-quarantine -c $VCONF (60 s at most)
vq() { [ -f "$VCONF" ] || vigild_conf; timeout 60 "$VQUAR" -c "$VCONF" "$@"; }

# clients --------------------------------------------------------------------
n_tx=0
# sw ARG... - swaks against vigil-smtpd (SMTP, or LMTP when PROTO=lmtp),
# 60 s at most, quiet unless it fails; sets TX (the transcript file), rc
sw() {
	local proto=ESMTP
	[ "${PROTO:-smtp}" = lmtp ] && proto=LMTP
	n_tx=$((n_tx + 1))
	TX=$T/tx.$n_tx
	timeout 60 swaks --server "127.0.0.1:$SMTP_PORT" --protocol "$proto" \
		--helo client.test --timeout 30 "$@" > "$TX" 2>&1
	rc=$?
}
# sc ARG... - smtpc.py send against vigil-smtpd (its options; --lmtp when
# PROTO=lmtp), 90 s at most; sets TX (the transcript file), rc
sc() {
	local l=
	[ "${PROTO:-smtp}" = lmtp ] && l=--lmtp
	n_tx=$((n_tx + 1))
	TX=$T/tx.$n_tx
	timeout 90 python3 "$SDIR/smtpc.py" send --port "$SMTP_PORT" $l "$@" \
		> "$TX" 2>&1
	rc=$?
}
# result ADDR - the code smtpc.py reported for ADDR in the last sc
result() { sed -n "s/^RESULT \([0-9]*\) $1\$/\1/p" "$TX" | head -1; }
# txshow - print the last transcript
txshow() { sed 's/^/    | /' "$TX" | tail -40; }
# data_code - the last reply swaks got after the message (the DATA answer)
data_code() { grep -E '^ *<[~*]* +[0-9]{3}' "$TX" | tail -2 | head -1 | sed -E 's/^ *<[~*]* +([0-9]{3}).*/\1/'; }

# messages -------------------------------------------------------------------
# mk_plain FILE [SUBJECT] - a small clean text message (CRLF)
mk_plain() {
	python3 - "$1" "${2:-clean}" <<-'EOF'
	import sys
	s = sys.argv[2]
	m = ("From: Sender <sender@example.com>\r\nTo: rcpt@example.org\r\n"
	     "Subject: %s\r\nMessage-ID: <%s.%s@example.com>\r\n"
	     "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
	     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	     "\r\nHello,\r\n.a line with a leading dot\r\n..two dots\r\n\r\n"
	     "bye\r\n" % (s, s.replace(" ", "-"), len(s)))
	open(sys.argv[1], "wb").write(m.encode())
	EOF
}
# mk_attach FILE SUBJECT NAME CONTENT-FILE [CTYPE] - a multipart/mixed
# message: a text part and CONTENT-FILE attached as NAME (base64)
mk_attach() {
	python3 - "$@" <<-'EOF'
	import base64, sys
	out, subj, name, src = sys.argv[1:5]
	ct = sys.argv[5] if len(sys.argv) > 5 else "application/octet-stream"
	data = open(src, "rb").read()
	b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
	m = ("From: Sender <sender@example.com>\r\nTo: rcpt@example.org\r\n"
	     "Subject: %s\r\nMessage-ID: <%s@example.com>\r\n"
	     "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"
	     "Content-Type: multipart/mixed; boundary=\"=-b0undary-=\"\r\n\r\n"
	     "This is a MIME message.\r\n\r\n--=-b0undary-=\r\n"
	     "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	     "See the attachment.\r\n\r\n--=-b0undary-=\r\n"
	     "Content-Type: %s; name=\"%s\"\r\n"
	     "Content-Disposition: attachment; filename=\"%s\"\r\n"
	     "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
	     "--=-b0undary-=--\r\n" % (subj, subj.replace(" ", "-"), ct, name,
	                               name, b64))
	open(out, "wb").write(m.encode())
	EOF
}
# mk_eicar_body FILE SUBJECT - a message whose whole body is EICAR
mk_eicar_body() {
	{
		printf 'From: sender@example.com\r\nTo: rcpt@example.org\r\n'
		printf 'Subject: %s\r\nMessage-ID: <%s@example.com>\r\n\r\n' "$2" "${2// /-}"
		printf '%s\r\n' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
	} > "$1"
}
# mk_zip ZIP NAME SRC [PASSWORD] - a zip holding SRC as NAME; with
# PASSWORD, ZipCrypto-encrypted (zip -P when installed, else by hand)
mk_zip() {
	if [ -n "${4:-}" ] && command -v zip > /dev/null 2>&1; then
		mkdir -p "$T/zipsrc.$$" && cp "$3" "$T/zipsrc.$$/$2" &&
			(cd "$T/zipsrc.$$" && zip -q -P "$4" "$1" "$2")
		rm -rf "$T/zipsrc.$$"
		return
	fi
	python3 "$SDIR/mkzip.py" "$@"
}
# strip_x FILE - FILE without its X-Vigil-* header lines (to stdout; line
# ends CRLF or LF)
strip_x() {
	python3 - "$1" <<-'EOF'
	import re, sys
	m = open(sys.argv[1], "rb").read()
	e = re.search(rb"\r?\n\r?\n", m)
	i = e.start() + e.group().index(b"\n") + 1 if e else len(m)
	h, b = m[:i], m[i:]
	h = re.sub(rb"(?mi)^X-Vigil-[A-Za-z-]*:.*\n(?:[ \t].*\n)*", b"", h)
	sys.stdout.buffer.write(h + b)
	EOF
}
# report_has ERE - wait (bounded, 5 s) for a report line matching ERE
report_has() { wait_for 50 grep -qE -- "$1" "$REPORT"; }
# diag - print vigil-smtpd's stderr and report tails (after failures)
diag() {
	echo "--- vigil-smtpd stderr (last lines)"; tail -15 "$T/smtpd.err" 2> /dev/null
	echo "--- vigil-smtpd report (last lines)"; tail -8 "$REPORT" 2> /dev/null
}
# mark [DIR] - remember how many transactions the sink has (BASE), so that
# new and notif look at what came after
mark() { BASE=$(scount "${1:-$SINK_DIR}"); }
# new EXPR [DIR] - the numbers of transactions since mark matching EXPR
new() { sfind "n > $BASE and ($1)" "${2:-$SINK_DIR}"; }
# copy_to ADDR [SENDER] [DIR] - the numbers of the delivered copies (not
# notifications) since mark for recipient ADDR
copy_to() {
	new "j['mail_from'] == '${2:-sender@example.com}' and '$1' in rc" "${3:-$SINK_DIR}"
}
# notif KIND ADDR [DIR] - the numbers of KIND (admin, sender, recipient)
# notifications since mark to ADDR alone: null envelope sender,
# X-Vigil-Notification: KIND
notif() {
	new "j['mail_from'] == '' and rc == ['$2'] and hdr('X-Vigil-Notification') == '$1'" "${3:-$SINK_DIR}"
}
# notif_ok DESC KIND ADDR - check one KIND notification to ADDR since mark,
# with Auto-Submitted and From: the NotifyFromAddress
notif_ok() {
	local n
	n=$(notif "$2" "$3")
	check "$1: $2 notification to $3" [ -n "$n" ]
	[ -n "$n" ] || return 0
	n=${n%% *}
	check "$1: $2 notification: Auto-Submitted: auto-generated" \
		[ "$(sget "$n" 'hdr("Auto-Submitted")')" = auto-generated ]
	check "$1: $2 notification: From: MAILER-DAEMON@localhost" \
		grep -q 'MAILER-DAEMON@localhost' <<<"$(sget "$n" 'hdr("From")')"
}
# quiet_for TENTHS - let late transactions arrive before a "nothing
# more came" check
quiet_for() { sleep "$(($1 / 10)).$(($1 % 10))"; }
# sis NUMBERS EXPR WANT [DIR] - true when the first of NUMBERS (from new,
# copy_to...) exists and EXPR there prints WANT
sis() { [ -n "$1" ] && [ "$(sget "${1%% *}" "$2" "${4:-$SINK_DIR}")" = "$3" ]; }
# qlist DIR - vigil-quarantine list of the store DIR
qlist() { vq -d "$1" list 2>&1; }
# qcount DIR - the number of objects in the store DIR
qcount() { vq -d "$1" list 2> /dev/null | grep -c .; }
# settle [DIR] - wait until the sink's count stays the same for 0.5 s
# (bounded, 10 s): notifications may follow the delivery
settle() {
	local i a b
	for i in $(seq 20); do
		a=$(scount "${1:-$SINK_DIR}")
		sleep 0.5
		b=$(scount "${1:-$SINK_DIR}")
		[ "$a" = "$b" ] && return 0
	done
	return 1
}
# copy_ok DESC ADDR STATUS - check one copy delivered to ADDR since mark,
# with X-Vigil-Status: STATUS; sets C (its number, or empty)
copy_ok() {
	C=$(copy_to "$2")
	check "$1: delivered to $2" [ -n "$C" ]
	C=${C%% *}
	[ -n "$C" ] || return 0
	check "$1: X-Vigil-Status: $3 (got $(sget "$C" 'hdr("X-Vigil-Status")'))" \
		sis "$C" 'hdr("X-Vigil-Status")' "$3"
}
# no_copy DESC ADDR - check nothing was delivered to ADDR since mark but
# notifications
no_copy() { local c; c=$(copy_to "$2"); check "$1: nothing delivered to $2" [ -z "$c" ]; }
# no_notif DESC KIND ADDR - check no KIND notification to ADDR since mark
no_notif() { local c; c=$(notif "$2" "$3"); check "$1: no $2 notification" [ -z "$c" ]; }
