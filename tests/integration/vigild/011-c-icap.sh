#!/bin/bash
# 011-c-icap: Debian's c-icap with its virus_scan service using vigild as
# its clamd (clamd_mod over the unix socket: zPING, zVERSION at start, one
# connection per object with zFILDES).  RESPMOD requests from c-icap-client
# with and without preview: EICAR is blocked (403 page, X-Infection-Found
# naming it), a clean body passes (204, or 200 with the body unchanged),
# an infected body too big to be held back is cut off.  Also shows what
# clamd_mod makes of vigild's VERSION reply (it expects "ClamAV ...").
#
# Environment: VIGILD (default $VIGIL_BUILD/src/vigild/vigild); VIGILD_IMPL=
# clamd runs Debian's clamd in vigild's place.  Skips (77) without c-icap,
# c-icap-client or the virus_scan and clamd_mod modules (Debian packages
# c-icap and libc-icap-mod-virus-scan).  Bounded: about 20 s.
. "$(dirname "$0")/../lib.sh"

VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
IMPL=${VIGILD_IMPL:-vigild}
for c in c-icap c-icap-client python3; do
	if ! command -v $c > /dev/null 2>&1; then
		echo "SKIP: $c not installed (apt-get install c-icap libc-icap-mod-virus-scan)"
		exit 77
	fi
done
MODDIR=
for d in /usr/lib/*/c_icap /usr/lib/c_icap /usr/local/lib/c_icap; do
	[ -f "$d/virus_scan.so" ] && [ -f "$d/clamd_mod.so" ] && { MODDIR=$d; break; }
done
if [ -z "$MODDIR" ]; then
	echo "SKIP: c-icap's virus_scan.so/clamd_mod.so not found (apt-get install libc-icap-mod-virus-scan)"
	exit 77
fi
TEMPLATES=
for d in /usr/share/c_icap/templates /usr/local/share/c_icap/templates; do
	[ -d "$d/virus_scan" ] && { TEMPLATES=$d; break; }
done
MAGIC=/etc/c-icap/c-icap.magic
[ -f "$MAGIC" ] || MAGIC=$(ls /usr/share/c_icap/c-icap.magic /etc/c-icap/c-icap.magic.default 2> /dev/null | head -1)
if [ "$IMPL" = clamd ]; then
	command -v clamd > /dev/null 2>&1 ||
		{ echo "SKIP: clamd not installed (apt-get install clamav-daemon)"; exit 77; }
elif [ ! -x "$VIGILD" ]; then
	echo "FAIL: $VIGILD not built"
	exit 1
fi

DPID=
IPID=
trap 'stop_pid "$IPID"; stop_pid "$DPID"; rm -rf "$T"' EXIT

SOCK=$T/vigild.sock
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/db" "$T/cache" "$T/icap"
cp "$DB"/* "$T/db/"
if [ "$IMPL" = clamd ]; then
	cat > "$T/daemon.conf" <<EOF
LocalSocket $SOCK
DatabaseDirectory $T/db
Foreground yes
PidFile $T/vigild.pid
LogFile $T/daemon.log
User root
MaxThreads 2
EOF
	DCMD=(clamd -c "$T/daemon.conf")
else
	cat > "$T/daemon.conf" <<EOF
[path]
BasesPath = $T/db
CachePath = $T/cache
[vigild]
ListenSocket = $SOCK
ControlSocket = $T/vigild.ctl
PidFile = $T/vigild.pid
User =
MaxThreads = 2
EventStore = sqlite:$T/events.sqlite
# c-icap's clamd module parses the VERSION answer as clamd's
VersionReply = ClamAV 1.0.0/%n/%d
[vigild.report]
ReportFileName = $T/vigild.log
EOF
	DCMD=("$VIGILD" -F -c "$T/daemon.conf")
fi
cat > "$T/c-icap.conf" <<EOF
PidFile $T/icap/c-icap.pid
CommandsSocket $T/icap/c-icap.ctl
Timeout 30
StartServers 1
MaxServers 1
MinSpareThreads 2
MaxSpareThreads 8
ThreadsPerChild 8
Port 127.0.0.1:$PORT
TmpDir $T/icap
MaxMemObject 131072
DebugLevel 3
ModulesDir $MODDIR
ServicesDir $MODDIR
${TEMPLATES:+TemplateDir $TEMPLATES/}
${MAGIC:+LoadMagicFile $MAGIC}
ServerLog $T/icap/server.log
AccessLog $T/icap/access.log
Module common clamd_mod.so
clamd_mod.ClamdSocket $SOCK
Service antivirus_module virus_scan.so
virus_scan.ScanFileTypes TEXT DATA EXECUTABLE ARCHIVE GIF JPEG MSOFFICE
virus_scan.DefaultEngine clamd
virus_scan.MaxObjectSize 5M
EOF

# up PROBE - wait (60 s at most) for a python probe to succeed
up() {
	timeout 60 python3 - "$@" <<'PY'
import socket, sys, time
kind, addr = sys.argv[1], sys.argv[2]
while True:
    try:
        if kind == 'unix':
            s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(addr)
            s.sendall(b'nPING\n')
            if s.recv(16) == b'PONG\n':
                break
        else:
            s = socket.create_connection(('127.0.0.1', int(addr)), timeout=2)
            s.sendall(b'OPTIONS icap://127.0.0.1/virus_scan ICAP/1.0\r\nHost: x\r\n\r\n')
            if s.recv(64).startswith(b'ICAP/1.0 200'):
                break
    except OSError:
        pass
    time.sleep(0.1)
PY
}
"${DCMD[@]}" > "$T/daemon.err" 2>&1 &
DPID=$!
up unix "$SOCK" || { echo "FAIL: the daemon does not answer PING"; tail -20 "$T/daemon.err"; exit 1; }
c-icap -N -f "$T/c-icap.conf" > "$T/icap/stdout" 2>&1 &
IPID=$!
if ! up tcp "$PORT"; then
	echo "FAIL: c-icap does not answer OPTIONS for virus_scan"
	tail -20 "$T/icap/server.log" "$T/icap/stdout" 2> /dev/null
	exit 1
fi
ok "c-icap started with clamd_mod on $IMPL"

E=$T/eicar.com
eicar "$E"
printf 'hello, world\n' > "$T/clean.txt"
head -c 300000 /dev/urandom > "$T/clean.bin"
{ cat "$E"; head -c 100000 /dev/urandom; } > "$T/eicar-big.bin"

n=0
# req FILE ARGS... - one RESPMOD; sets H (ICAP and HTTP headers) and O
# (the returned body's file)
req() {
	local f=$1; shift
	n=$((n + 1))
	O=$T/out.$n
	H=$(timeout 30 c-icap-client -i 127.0.0.1 -p "$PORT" -s virus_scan \
		-f "$f" -resp "http://example.org/$(basename "$f")" -v -o "$O" \
		"$@" 2>&1)
	[ -f "$O" ] || : > "$O"
}
for a in "-w 1024" "-nopreview" "-no204"; do
	# shellcheck disable=SC2086
	req "$E" $a
	check "EICAR ($a): ICAP 200" grep -q 'ICAP/1.0 200' <<<"$H"
	check "EICAR ($a): X-Infection-Found names it" grep -q 'X-Infection-Found: .*Threat=Eicar-Test-Signature' <<<"$H"
	check "EICAR ($a): HTTP 403" grep -q 'HTTP/1.[01] 403' <<<"$H"
	check "EICAR ($a): block page names it" grep -aq 'Eicar-Test-Signature' "$O"
	check "EICAR ($a): the body is not delivered" eval '! grep -aq EICAR-STANDARD "$O"'
done
# c-icap has sent the headers by then: it cuts the body off, no 403
d0=$(grep -c 'VIRUS DETECTED: Eicar-Test-Signature' "$T/icap/server.log")
req "$T/eicar-big.bin" -w 1024
check "EICAR + 100 kB: the body is not delivered" eval '! grep -aq EICAR-STANDARD "$O"'
sleep 0.2
d1=$(grep -c 'VIRUS DETECTED: Eicar-Test-Signature' "$T/icap/server.log")
check "EICAR + 100 kB: c-icap logs the detection" [ "$d1" -gt "$d0" ]
req "$T/clean.txt" -w 1024
check "clean body, preview: 204" grep -q 'ICAP/1.0 204' <<<"$H"
req "$T/clean.txt" -no204
check "clean body, no 204: 200" grep -q 'ICAP/1.0 200' <<<"$H"
check "clean body, no 204: unchanged" cmp -s "$O" "$T/clean.txt"
req "$T/clean.bin" -w 1024
check "clean 300 kB: 204 or unchanged" eval 'grep -q "ICAP/1.0 204" <<<"$H" || cmp -s "$O" "$T/clean.bin"'
check "clean 300 kB: no infection header" eval '! grep -q X-Infection-Found <<<"$H"'

# what clamd_mod made of the VERSION reply (it wants "ClamAV x.y.z/N/...")
vline=$(grep 'clamd_get_versions' "$T/icap/server.log" | head -1 | sed 's/^.*clamd_get_versions: //')
req "$E" -w 1024
engine=$(grep -a 'Antivirus engine' "$O" | sed 's/<[^>]*>//g; s/^ *//' | LC_ALL=C tr -c '[:print:]' '?')
istag=$(grep 'ISTag' <<<"$H" | head -1 | tr -d '\t')
echo "note: c-icap on the VERSION reply: ${vline:-no complaint}"
echo "note: block page: $engine; $istag"
if [ "$IMPL" = vigild ]; then
	check "c-icap scans through vigild" grep -q "VIRUS DETECTED" "$T/icap/server.log"
	check "VersionReply: c-icap accepts the VERSION answer" eval '! grep -q "Wrong response" <<<"$vline"'
	check "VersionReply: block page names a sane engine version" grep -q "clamd-100/[0-9]" <<<"$engine"
fi
check "no clamd_mod connection errors" eval '! grep -q "clamd_connect: Can not connect\|clamd_scan: Unable\|Error scanning file" "$T/icap/server.log"'

stop_pid "$IPID"; IPID=
stop_pid "$DPID"; DPID=
[ "$failures" -eq 0 ] && finish
echo "c-icap server log (last lines):"
tail -15 "$T/icap/server.log"
echo "daemon stderr (last lines):"
tail -15 "$T/daemon.err"
finish
