#!/bin/bash
# run.sh - vigil-smtpd (on vigild) against Debian's clamsmtp (on clamd) on
# the same database: Postfix's smtp-source -> filter -> smtp-sink, messages
# per second for 5 KiB and 500 KiB MIME messages (a base64 attachment) at
# 1 and 16 SMTP sessions, one message in ten infected.
#
#   bench/smtp/run.sh [--scale small|full] [--quick] [--only vigil|clamsmtp]
#
# --scale small (default, what CI runs: about a minute, 10k signatures)
# or full (the figures for bench/RESULTS.md: 300k signatures, five times
# the messages); --quick: 20 messages a run at 1 session, 160 at 16 (a
# smoke test); --only runs one side (the direct smtp-source -> smtp-sink
# baseline always runs).
# Environment: VIGIL_BUILD (default ./build), VIGILD, VIGIL_SMTPD,
# BENCH_WORK (default /var/tmp/vigil-bench, shared with bench/engine,
# bench/daemon and bench/icap), BENCH_KEEP=1 keeps the temporary directory
# (configurations, logs, the check runs' delivered messages).
#
# DESIGN
#   One database directory (gen.py's, cached by gen_cached, plus the
#   bundled EICAR body signature) serves clamd and vigild, both run as
#   bench/icap runs them (nproc scanning threads, verdict caches off: the
#   runs send the same two messages again and again).  clamsmtpd runs in
#   the foreground with a private configuration (Action: drop, the
#   default); vigil-smtpd speaks SMTP to smtp-source and forwards to the
#   same smtp-sink, its group set to what clamsmtp does: infected
#   messages dropped, no notifications.  smtp-source sends one prepared
#   file per invocation (-F), so a cell is two timed invocations, the
#   clean messages (nine tenths) and then the infected ones (a tenth),
#   both with the cell's sessions and -d (messages follow each other on a
#   session); messages/second is all messages over the two times added.
#   smtp-sink -c counts what arrives: a run passes when smtp-source got
#   250 for every message and exactly the clean ones reached the sink.
#   A check run per side (9 clean + 1 infected into a dumping smtp-sink)
#   first proves the verdicts and headers.  Every port is on 127.0.0.1,
#   every wait is bounded (startup, each smtp-source under timeout) and a
#   trap stops every process on any exit.  Exit status: 0; 1 when a run
#   failed its check (a WARNING line says which); 2 when something could
#   not start.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SCALE=small
QUICK=
ONLY=both

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) SCALE=${2:?}; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--only) ONLY=${2:?}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; usage 2 ;;
	esac
done
case "$SCALE" in
small) DBSCALE=10k; MULT=1 ;;
full) DBSCALE=300k; MULT=5 ;;
*) echo "run.sh: --scale must be small or full" >&2; exit 2 ;;
esac
case "$ONLY" in both|vigil|clamsmtp) ;; *)
	echo "run.sh: --only must be vigil or clamsmtp" >&2; exit 2 ;;
esac

VIGIL_BUILD=${VIGIL_BUILD:-$SRC/build}
VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
VIGIL_SMTPD=${VIGIL_SMTPD:-$VIGIL_BUILD/src/vigil-smtpd/vigil-smtpd}
WORK=${BENCH_WORK:-/var/tmp/vigil-bench}
GEN=$SRC/bench/engine/gen.py
NPROC=$(nproc 2> /dev/null || echo 1)
STARTWAIT=120
[ "$SCALE" = full ] && STARTWAIT=300
SINKUSER=nobody

die() { echo "run.sh: $*" >&2; exit 2; }
# shellcheck source=bench/lib.sh
. "$HERE/../lib.sh"
command -v python3 > /dev/null || die "python3 is required"
PATH=$PATH:/usr/sbin:/usr/local/sbin
for p in smtp-source smtp-sink; do
	command -v $p > /dev/null || die "$p is required (apt-get install postfix)"
done
if [ "$ONLY" != vigil ]; then
	command -v clamd > /dev/null || die "clamd is required (apt-get install clamav-daemon)"
	command -v clamsmtpd > /dev/null || die "clamsmtpd is required (apt-get install clamsmtp)"
fi
if [ "$ONLY" != clamsmtp ]; then
	[ -x "$VIGILD" ] || die "$VIGILD not found (set VIGILD or VIGIL_BUILD, or --only clamsmtp)"
	[ -x "$VIGIL_SMTPD" ] || die "$VIGIL_SMTPD not found (set VIGIL_SMTPD or VIGIL_BUILD, or --only clamsmtp)"
fi
# smtp-sink refuses to run as root without a user to switch to
[ "$(id -u)" = 0 ] && SINKARG=(-u "$SINKUSER") || SINKARG=()
mkdir -p "$WORK" || die "cannot create $WORK"
start=$SECONDS

# the database, cached as bench/engine, bench/daemon and bench/icap cache it
gen_cached "$WORK" "$GEN" 20 "$DBSCALE" 1

RES=$(mktemp -d "$WORK/smtp.XXXXXX")
chmod 755 "$RES"
CPID=; SPID=; VPID=; XPID=; KPID=
trap 'stop "$KPID"; stop "$XPID"; stop "$VPID"; stop "$SPID"; stop "$CPID"; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$RES"' EXIT
trap 'exit 2' INT TERM

# one database for both sides: gen.py's plus the bundled EICAR signature
mkdir -p "$RES/db" "$RES/ctmp" "$RES/stmp" "$RES/vcache" "$RES/spool" "$RES/quarantine"
find "$DB" -maxdepth 1 -type f ! -name '.*' ! -name '*.json' -exec cp {} "$RES/db/" \;
grep '^Eicar-Test-Signature:' "$SRC/share/vigil/db/vigil.ndb" > "$RES/db/bench-smtp.ndb" ||
	die "no EICAR signature in share/vigil/db/vigil.ndb"

# the messages: per size a clean one and an infected one of the same size,
# multipart/mixed with a text part and a base64 attachment (deterministic
# random bytes; EICAR at the start of the infected one's)
python3 - "$RES" <<'PY' || die "cannot write the messages"
import base64, random, sys
eicar = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
text = ('Hello Bob,\n\nplease find attached the figures for the third quarter, as '
        'discussed on the phone.\nThe totals on page two still need the '
        'September corrections;\nI will send an updated copy once finance has '
        'signed them off.\n\nBest regards,\nAlice\n\n-- \nAlice Example, '
        'Example Trading Ltd.\n')
def message(name, size, infected):
    head = ('Received: from [192.0.2.10] (client.sender.test [192.0.2.10])\n'
            '\tby mx.sender.test (Postfix) with ESMTPSA id 4QxYz12abc\n'
            '\tfor <bob@rcpt.test>; Sat, 21 Nov 2026 10:00:01 +0000 (UTC)\n'
            'From: Alice Example <alice@sender.test>\n'
            'To: Bob Example <bob@rcpt.test>\n'
            'Subject: Q3 figures (%s)\n'
            'Date: Sat, 21 Nov 2026 10:00:00 +0000\n'
            'Message-ID: <bench-%s@sender.test>\n'
            'MIME-Version: 1.0\n'
            'Content-Type: multipart/mixed; boundary="=_bench_0001"\n'
            '\n'
            'This is a multi-part message in MIME format.\n'
            '\n'
            '--=_bench_0001\n'
            'Content-Type: text/plain; charset=utf-8\n'
            'Content-Transfer-Encoding: 7bit\n'
            '\n%s\n'
            '--=_bench_0001\n'
            'Content-Type: application/octet-stream; name="q3-figures.bin"\n'
            'Content-Transfer-Encoding: base64\n'
            'Content-Disposition: attachment; filename="q3-figures.bin"\n'
            '\n') % (name, name, text)
    tail = '--=_bench_0001--\n'
    # base64: 57 bytes a 76-character line (77 with its newline)
    room = size - len(head) - len(tail)
    raw = room // 77 * 57 + max(0, room % 77 - 1) * 3 // 4
    r = random.Random(name.replace('-infected', '-clean'))
    data = r.randbytes(raw)
    if infected:
        data = eicar + data[len(eicar):]
    b = base64.b64encode(data).decode()
    lines = ''.join(b[i:i + 76] + '\n' for i in range(0, len(b), 76))
    m = head + lines + tail
    open('%s/%s.eml' % (sys.argv[1], name), 'w').write(m)
for label, size in (('5k', 5 * 1024), ('500k', 500 * 1024)):
    message('%s-clean' % label, size, False)
    message('%s-infected' % label, size, True)
PY

# up KIND ADDR PID - wait until a daemon answers: unix (PING/PONG on a
# socket) or smtp (a 220 greeting on a loopback port); fails at once when
# process PID has exited
up() {
	timeout "$STARTWAIT" python3 - "$@" <<'PY'
import socket, sys, time
kind, addr, pid = sys.argv[1], sys.argv[2], sys.argv[3]
def alive():
    try:
        return open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False
while alive():
    try:
        if kind == 'unix':
            s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(addr)
            s.sendall(b'zPING\0')
            if s.recv(16).startswith(b'PONG'):
                break
        else:
            s = socket.create_connection(('127.0.0.1', int(addr)), timeout=5)
            g = s.recv(512)
            s.sendall(b'QUIT\r\n')
            try:
                s.recv(512)
            except OSError:
                pass
            s.close()
            if g.startswith(b'220'):
                break
    except OSError:
        pass
    time.sleep(0.1)
else:
    sys.exit(1)
PY
}
# delivered LOG - the messages smtp-sink -c has counted so far
delivered() {
	local n
	n=$(tr '\r' '\n' < "$1" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1)
	echo "${n:-0}"
}

echo "== machine: $NPROC cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== database: $DB + EICAR ($DBSCALE signatures)"
echo "== messages: $(cd "$RES" && for f in 5k-clean 500k-clean; do printf '%s %s bytes; ' "$f" "$(stat -c %s "$f.eml")"; done)one in ten infected (EICAR at the start of the attachment)"

# the sink every side delivers to: first one that writes each message to
# a file (the check runs), then, on the same port, one that counts them
SINK=$(freeport)
mkdir -p "$RES/dump"
chmod 777 "$RES/dump"
smtp-sink "${SINKARG[@]}" -d "$RES/dump/%H%M%S" "127.0.0.1:$SINK" 256 > "$RES/dsink.err" 2>&1 &
KPID=$!
up smtp "$SINK" "$KPID" || { cat "$RES/dsink.err" >&2; die "smtp-sink did not start"; }

if [ "$ONLY" != vigil ]; then
	CSOCK=$RES/clamd.sock
	CSPORT=$(freeport)
	clamd_conf "$CSOCK" "$RES/db" "$RES" "$NPROC" > "$RES/clamd.conf"
	cat > "$RES/clamsmtpd.conf" <<EOF
Listen: 127.0.0.1:$CSPORT
OutAddress: 127.0.0.1:$SINK
ClamAddress: $CSOCK
TempDirectory: $RES/stmp
PidFile: $RES/clamsmtpd.pid
MaxConnections: 64
Action: drop
TimeOut: 60
EOF
	echo "== clamd: $(clamd --version 2> /dev/null | head -1); clamsmtpd $(clamsmtpd -v 2>&1 | head -1) on 127.0.0.1:$CSPORT"
	clamd -c "$RES/clamd.conf" > "$RES/clamd.err" 2>&1 &
	CPID=$!
	up unix "$CSOCK" "$CPID" || { tail -5 "$RES/clamd.log" "$RES/clamd.err" >&2; die "clamd did not start within $STARTWAIT s"; }
	clamsmtpd -d 1 -f "$RES/clamsmtpd.conf" > "$RES/clamsmtpd.err" 2>&1 &
	SPID=$!
	up smtp "$CSPORT" "$SPID" || { tail -5 "$RES/clamsmtpd.err" >&2; die "clamsmtpd did not answer within $STARTWAIT s"; }
fi
if [ "$ONLY" != clamsmtp ]; then
	VPORT=$(freeport)
	cat > "$RES/vigild.conf" <<EOF
[path]
BasesPath=$RES/db
CachePath=$RES/vcache
QuarantinePath=$RES/quarantine
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
EOF
	# its own file: a vigild built before the smtpscan keys rejects them
	cat > "$RES/smtpd.conf" <<EOF
[path]
BasesPath=$RES/db
QuarantinePath=$RES/quarantine
[smtpscan.general]
ListenAddress=127.0.0.1:$VPORT
Protocol=smtp
ForwardMailer=smtp:127.0.0.1:$SINK
VigildAddress=$RES/vigild.sock
User=
PidFile=$RES/smtpd.pid
ControlSocket=$RES/smtpd.ctl
NotifyTemplateDir=$SRC/share/vigil/mail
SpoolDirectory=$RES/spool
[smtpscan.report]
ReportFileName=$RES/smtpd.log
[smtpscan.group:default]
Cure=no
AdminNotify=no
SenderNotify=no
RecipientNotify=no
RecipientAttachReport=no
RecipientAction=drop
EOF
	echo "== vigild: $("$VIGILD" -V 2>&1 | head -1); vigil-smtpd on 127.0.0.1:$VPORT"
	"$VIGILD" -F -c "$RES/vigild.conf" > "$RES/vigild.err" 2>&1 &
	VPID=$!
	up unix "$RES/vigild.sock" "$VPID" || { tail -5 "$RES/vigild.err" >&2; die "vigild did not start within $STARTWAIT s"; }
	"$VIGIL_SMTPD" -F -c "$RES/smtpd.conf" > "$RES/smtpd.err" 2>&1 &
	XPID=$!
	up smtp "$VPORT" "$XPID" || { tail -5 "$RES/smtpd.err" "$RES/smtpd.log" >&2; die "vigil-smtpd did not answer within $STARTWAIT s"; }
fi

bad=
# source PORT FILE SESSIONS N - one timed smtp-source run; prints its
# seconds, or "-" (and a WARNING) when it failed
source_run() {
	local port=$1 file=$2 s=$3 n=$4 t0 t1 rc
	t0=$(date +%s.%N)
	timeout $((n * 2 + 60)) smtp-source -d -s "$s" -m "$n" -F "$file" \
		-M client.test -f alice@sender.test -t bob@rcpt.test \
		"127.0.0.1:$port" > "$RES/source.out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	if [ $rc -ne 0 ]; then
		echo "run.sh: WARNING: smtp-source to port $port, $(basename "$file"), $s sessions, $n messages: exit $rc" >&2
		sed 's/^/     /' "$RES/source.out" | head -10 >&2
		echo -
		return 1
	fi
	python3 -c "print('%.4f' % ($t1 - $t0))"
}
# overflows - the host's count of connections dropped because a listen
# queue was full (TcpExt ListenOverflows; every program's, not only ours)
overflows() {
	awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v)
		for (i in k) if (k[i] == "ListenOverflows") print v[i] } }' /proc/net/netstat 2> /dev/null
}
# cell NAME PORT SIZE SESSIONS N INFECTED - nine tenths clean, then a
# tenth infected (INFECTED 0: all clean, the direct baseline); prints
# messages/second, or "-" with a WARNING when the check failed
cell() {
	local name=$1 port=$2 size=$3 s=$4 n=$5 inf=$6 ni nc tc ti d0 d1 d2 o0 o1 ok=1
	ni=$((inf ? n / 10 : 0))
	nc=$((n - ni))
	d0=$(delivered "$RES/sink.count")
	o0=$(overflows)
	tc=$(source_run "$port" "$RES/$size-clean.eml" "$s" "$nc") || ok=
	sleep 0.05
	d1=$(delivered "$RES/sink.count")
	ti=0
	if [ "$ni" -gt 0 ]; then
		ti=$(source_run "$port" "$RES/$size-infected.eml" "$s" "$ni") || ok=
	fi
	sleep 0.05
	d2=$(delivered "$RES/sink.count")
	if [ $((d1 - d0)) -ne "$nc" ] || [ "$d2" -ne "$d1" ]; then
		echo "run.sh: WARNING: $name, $size, $s sessions: $((d1 - d0)) of $nc clean and $((d2 - d1)) of $ni infected messages reached smtp-sink (expected all and none)" >&2
		ok=
	fi
	o1=$(overflows)
	echo "   $name $size x$s: $nc clean in ${tc}s, $ni infected in ${ti}s; listen queue overflows $((${o1:-0} - ${o0:-0}))" >&2
	if [ -z "$ok" ]; then
		echo -
		return 1
	fi
	python3 -c "print('%.1f' % ($n / ($tc + $ti)))"
}
# check NAME PORT HEADER - 9 clean and 1 infected 5 KiB message through a
# filter into the dumping sink: the 9 clean ones must arrive with their
# body unchanged and HEADER in their head, the infected one not at all
check() {
	local name=$1 port=$2 hdr=$3 dir=$RES/dump.$1 sent=1
	source_run "$port" "$RES/5k-clean.eml" 1 9 > /dev/null || sent=
	if [ -n "$sent" ]; then
		source_run "$port" "$RES/5k-infected.eml" 1 1 > /dev/null || sent=
	fi
	sleep 0.2
	mkdir -p "$dir"
	find "$RES/dump" -type f -exec mv {} "$dir/" \;
	[ -n "$sent" ] || { bad=1; return 1; }
	python3 - "$dir" "$RES/5k-clean.eml" "$hdr" <<'PY' || { bad=1; return 1; }
import base64, os, sys
d, orig, hdr = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
eicar = base64.b64encode(rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')[:60].decode()
body = orig[orig.index('\n\n'):]
files = sorted(os.listdir(d))
err = []
if len(files) != 9:
    err.append('%d messages delivered, 9 expected' % len(files))
for f in files:
    m = open(os.path.join(d, f), errors='replace').read()
    if eicar in m:
        err.append('%s: the infected attachment was delivered' % f)
    elif body not in m:
        err.append('%s: the body is not the original' % f)
    if hdr not in m[:m.index('\n\n') if '\n\n' in m else len(m)]:
        err.append('%s: no %s header' % (f, hdr))
for e in err:
    print('run.sh: WARNING: check: ' + e, file=sys.stderr)
sys.exit(1 if err else 0)
PY
	echo "   check $name: 9 clean delivered unchanged with $hdr, the infected one dropped" >&2
}
[ "$ONLY" != vigil ] && { check clamsmtp "$CSPORT" "X-Virus-Scanned:" || echo "run.sh: WARNING: clamsmtp failed the check" >&2; }
[ "$ONLY" != clamsmtp ] && { check vigil "$VPORT" "X-Vigil-Status: CLEAN" || echo "run.sh: WARNING: vigil-smtpd failed the check" >&2; }

# the counting sink on the same port
stop "$KPID"
KPID=
smtp-sink -c "${SINKARG[@]}" "127.0.0.1:$SINK" 256 > "$RES/sink.count" 2> "$RES/sink.err" &
KPID=$!
up smtp "$SINK" "$KPID" || { cat "$RES/sink.err" >&2; die "the counting smtp-sink did not start"; }

T=$RES/table
: > "$T"
for size in 5k 500k; do
	for s in 1 16; do
		case $size.$s in
		5k.1) n=200 ;; 5k.16) n=800 ;; 500k.1) n=50 ;; 500k.16) n=160 ;;
		esac
		n=$((n * MULT))
		[ -n "$QUICK" ] && n=$((s > 1 ? s * 10 : 20))
		dr=$(cell direct "$SINK" "$size" "$s" "$n" 0) || bad=1
		cr=-; vr=-; chk=ok
		if [ "$ONLY" != vigil ]; then
			cr=$(cell clamsmtp "$CSPORT" "$size" "$s" "$n" 1) || { bad=1; chk=FAIL; }
		fi
		if [ "$ONLY" != clamsmtp ]; then
			vr=$(cell vigil "$VPORT" "$size" "$s" "$n" 1) || { bad=1; chk=FAIL; }
		fi
		echo "$size $s $n $vr $cr $dr $chk" >> "$T"
	done
done

echo ""
echo "== SMTP, smtp-source -d -> filter -> smtp-sink, 1 message in 10 infected ($SCALE: $DBSCALE signatures); target: vigil >= 10x clamsmtp"
echo ""
python3 - "$T" <<'PY'
import sys
def f(x):
    try: return float(x)
    except ValueError: return None
print('| message | sessions | messages | msg/s vigil | msg/s clamsmtp | ratio | msg/s direct | check |')
print('|---|---|---|---|---|---|---|---|')
for line in open(sys.argv[1]):
    size, s, n, v, c, d, chk = line.split()
    rv, rc = f(v), f(c)
    ratio = '%.2f' % (rv / rc) if rv and rc else '-'
    if rv and rc:
        ratio += '' if rv / rc >= 10 else ' (< 10)'
    print('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
        size.replace('k', ' KiB'), s, n, v, c, ratio, d, chk))
PY
echo ""
echo "bench: $((SECONDS - start)) s in all"
if [ -n "$bad" ]; then
	echo "run.sh: WARNING: a run failed its check (see above)" >&2
	exit 1
fi
exit 0
