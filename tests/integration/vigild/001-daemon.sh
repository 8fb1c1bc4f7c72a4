#!/bin/bash
# 001-daemon: vigild as a daemon: -t, start (detached, pid file, socket),
# the clamd commands over unix and TCP, the native request with cure,
# atomic reload (RELOADDB, RELOAD, SIGHUP, a broken database), the request
# log and metrics, MaxConnections, privileges, SHUTDOWN and SIGTERM.
. "$(dirname "$0")/../lib.sh"
trap 'vigild_stop; rm -rf "$T"' EXIT

S=$T/vigild.sock
C=$T/vigild.ctl
port=$((20000 + RANDOM % 20000))
mport=$((port + 1))
vigild_conf "ListenAddress = 127.0.0.1:$port" "MetricsAddress = 127.0.0.1:$mport" \
	"StreamMaxLength = 1M"

# -t: configuration and database checked, nothing started
out=$("$VIGILD" -t -c "$T/vigil.conf" 2>&1)
check "-t accepts a good configuration" grep -q ": OK; database" <<<"$out"
cp -r "$T/db" "$T/baddb"
echo 'Broken.Sig:0:*:zz' >> "$T/baddb/vigil.ndb"
sed "s#^BasesPath = .*#BasesPath = $T/baddb#" "$T/vigil.conf" > "$T/bad.conf"
out=$("$VIGILD" -t -c "$T/bad.conf" 2>&1); rc=$?
check "-t refuses a broken database (exit 1)" [ $rc -eq 1 ]
check "-t names the file and line" grep -q "vigil.ndb:[0-9]*:" <<<"$out"
printf '[vigild]\nMaxThreads = lots\n' > "$T/badkey.conf"
out=$("$VIGILD" -t -c "$T/badkey.conf" 2>&1)
check "a bad value names file, line and key" grep -q "badkey.conf:2: \[vigild\] MaxThreads" <<<"$out"

# start: detaches once ready
vigild_start; rc=$?
check "start exits 0 once ready" [ $rc -eq 0 ]
check "pid file names a live process" kill -0 "$(vigild_pid)"
check "socket is there" [ -S "$S" ]
out=$(vigild_start 2>&1); rc=$?
check "a second start is refused" [ $rc -ne 0 ]
check "and says why" grep -q "already running" <<<"$out"

# clamd commands
mkdir -p "$T/c/sub"
eicar "$T/c/eicar.com"
printf 'clean text\n' > "$T/c/ok.txt"
python3 - "$T/c" <<'EOF'
import sys, zipfile
d = sys.argv[1]
e = open(d + "/eicar.com", "rb").read()
with zipfile.ZipFile(d + "/sub/mixed.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("readme.txt", "hello\n")
    z.writestr("bad/eicar.exe", e)
EOF
check "PING" [ "$(vtalk cmd "$S" 'zPING\0')" = 'PONG\0' ]
check "nPING" [ "$(vtalk cmd "$S" 'nPING\n')" = 'PONG' ]
check "VERSION" grep -q '^vigil 0.1.0/[0-9]*/' <<<"$(vtalk cmd "$S" 'nVERSION\n')"
check "INSTREAM EICAR" [ "$(vtalk instream "$S" "$T/c/eicar.com")" = 'stream: Eicar-Test-Signature FOUND\0' ]
check "INSTREAM clean" [ "$(vtalk instream "$S" "$T/c/ok.txt")" = 'stream: OK\0' ]
check "INSTREAM over TCP" [ "$(vtalk instream "127.0.0.1:$port" "$T/c/eicar.com")" = 'stream: Eicar-Test-Signature FOUND\0' ]
check "FILDES" grep -q '^fd\[[0-9]*\]: Eicar-Test-Signature FOUND' <<<"$(vtalk fildes "$S" "$T/c/eicar.com")"
out=$(vtalk fildes "127.0.0.1:$port" "$T/c/eicar.com" 2>&1)
check "FILDES over TCP is refused" grep -q "ERROR" <<<"$out"
check "SCAN file" [ "$(vtalk cmd "$S" "nSCAN $T/c/ok.txt\n")" = "$T/c/ok.txt: OK" ]
out=$(vtalk cmd "$S" "nCONTSCAN $T/c\n")
check "CONTSCAN finds the file" grep -qx "$T/c/eicar.com: Eicar-Test-Signature FOUND" <<<"$out"
check "CONTSCAN finds the zip member" grep -qx "$T/c/sub/mixed.zip: Eicar-Test-Signature FOUND" <<<"$out"
! grep -q ": OK" <<<"$out"; check "CONTSCAN prints no OK line for a directory with threats" [ $? -eq 0 ]
out=$(vtalk cmd "$S" "zMULTISCAN $T/c\0")
check "MULTISCAN: two detections" [ "$(grep -c FOUND <<<"$out")" -eq 2 ]
out=$(vtalk cmd "$S" "nSCAN $T/c/sub/../sub\n")
check "SCAN of a directory stops at the first detection" [ "$(grep -c FOUND <<<"$out")" -eq 1 ]
mkdir -p "$T/clean"; printf 'a\n' > "$T/clean/a"; printf 'b\n' > "$T/clean/b"
check "clean directory: one OK line" [ "$(vtalk cmd "$S" "nCONTSCAN $T/clean\n")" = "$T/clean: OK" ]
check "relative path refused" grep -q "ERROR" <<<"$(vtalk cmd "$S" 'nSCAN relative/x\n')"
check "missing path" grep -q "No such file or directory. ERROR" <<<"$(vtalk cmd "$S" "nSCAN $T/nope\n")"
check "unknown command" [ "$(vtalk cmd "$S" 'nFROB\n')" = "UNKNOWN COMMAND" ]
head -c 1500000 /dev/zero > "$T/big"
check "StreamMaxLength" grep -q "INSTREAM size limit exceeded. ERROR" <<<"$(vtalk instream "$S" "$T/big")"
out=$(vtalk cmd "$S" 'zIDSESSION\0zPING\0zVERSION\0zEND\0')
check "IDSESSION numbers replies" grep -q '^1: PONG' <<<"$out"
check "IDSESSION second reply" grep -q '^2: vigil ' <<<"$out"
out=$(vtalk cmd "$S" 'nSTATS\n')
check "STATS" grep -q "^REQUESTS: total [1-9]" <<<"$out"
check "STATS ends with END" [ "$(tail -1 <<<"$out")" = "END" ]

# native request
out=$(vtalk vscan "$S" "$T/c/sub/mixed.zip" "name=mixed.zip flags=archives")
check "VSCAN: status and member" grep -q "^VDET status=INFECTED object=bad/eicar.exe threat=Eicar-Test-Signature" <<<"$out"
check "VSCAN: ends with VEND" [ "$(tail -1 <<<"$out")" = "VEND" ]
out=$(vtalk vscan "$S" "$T/c/sub/mixed.zip" "cure=1" "$T/cured.zip")
check "VSCAN cure=1: CURED" grep -q "^VRESULT status=CURED .*cured=1" <<<"$out"
check "the cured copy came back" [ -s "$T/cured.zip" ]
names=$(python3 -c 'import sys,zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$T/cured.zip" 2>&1)
check "cured copy keeps the clean member only" [ "$names" = "readme.txt" ]
check "the cured copy scans clean" [ "$(vtalk instream "$S" "$T/cured.zip")" = 'stream: OK\0' ]
check "VSCAN bad option" grep -q "^VERROR code=badrequest" <<<"$(vtalk vscan "$S" "$T/c/ok.txt" "colour=red")"

# reload: a new signature appears atomically; a broken database changes nothing
printf 'VIGIL-RELOAD-MARKER-%s\n' 1234 > "$T/marker.txt"
check "marker clean before reload" [ "$(vtalk instream "$S" "$T/marker.txt")" = 'stream: OK\0' ]
hex=$(printf 'VIGIL-RELOAD-MARKER' | od -An -tx1 | tr -d ' \n')
echo "Vigil.Test.Reload:0:*:$hex" > "$T/db/reload.ndb"
out=$(vtalk ctl "$C" RELOADDB)
check "RELOADDB answers RELOADED" grep -q "^RELOADED version=[0-9a-f]* signatures=" <<<"$out"
check "new signature serves" [ "$(vtalk instream "$S" "$T/marker.txt")" = 'stream: Vigil.Test.Reload FOUND\0' ]
echo 'this is no signature' >> "$T/db/reload.ndb"
out=$(vtalk ctl "$C" RELOADDB)
check "broken database: ERROR with file and line" grep -q "^ERROR: .*reload.ndb:2" <<<"$out"
check "old database keeps serving" [ "$(vtalk instream "$S" "$T/marker.txt")" = 'stream: Vigil.Test.Reload FOUND\0' ]
check "RELOAD answers RELOADING" [ "$(vtalk cmd "$S" 'zRELOAD\0')" = 'RELOADING\0' ]
sleep 1
check "still serving after a failed RELOAD" [ "$(vtalk instream "$S" "$T/c/eicar.com")" = 'stream: Eicar-Test-Signature FOUND\0' ]
rm "$T/db/reload.ndb"
kill -HUP "$(vigild_pid)"
for i in $(seq 50); do
	[ "$(vtalk instream "$S" "$T/marker.txt")" = 'stream: OK\0' ] && break; sleep 0.1
done
check "SIGHUP reloads (signature gone)" [ "$(vtalk instream "$S" "$T/marker.txt")" = 'stream: OK\0' ]
check "control STATUS" grep -q "^RUNNING pid=$(vigild_pid) " <<<"$(vtalk ctl "$C" STATUS)"
check "control commands refused on the client socket" [ "$(vtalk cmd "$S" 'nRELOADDB\n')" = "UNKNOWN COMMAND" ]

# the request log and metrics
check "one log line per request" grep -q 'client=local:pid=[0-9]*,uid=[0-9]* object="stream" status=INFECTED threat=Eicar-Test-Signature usec=[0-9]* cached=' "$T/vigild.log"
check "cache hits are logged" grep -q "cached=1" "$T/vigild.log"
mv "$T/vigild.log" "$T/vigild.log.1"
check "REOPENLOG" [ "$(vtalk ctl "$C" REOPENLOG)" = "OK" ]
vtalk instream "$S" "$T/c/eicar.com" > /dev/null
check "log reopened after rotation" grep -q "status=INFECTED" "$T/vigild.log"
out=$(python3 - "$mport" <<'EOF'
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode())
EOF
)
check "metrics endpoint" grep -q "^vigild_requests_total [1-9]" <<<"$out"
check "metrics: reloads counted" grep -q '^vigild_reloads_total [1-9]' <<<"$out"
check "metrics: failed reloads counted" grep -q '^vigild_reload_failures_total [1-9]' <<<"$out"

# vigil-scan --daemon: the same report as in-process, and cure through vigild
VS=$VIGIL_BUILD/src/vigil-scan/vigil-scan
a=$("$VS" --no-summary -c "$T/vigil.conf" "$T/c" 2>&1 | sort)
b=$("$VS" --no-summary -c "$T/vigil.conf" --daemon="$S" "$T/c" 2>&1 | sort)
check "vigil-scan --daemon reports what it reports in-process" [ "$a" = "$b" ]
check "vigil-scan --daemon finds the zip member" grep -q "mixed.zip/bad/eicar.exe: Eicar-Test-Signature FOUND" <<<"$b"
printf '[scanner.options]\nUseDaemon = yes\nVigildAddress = %s\n' "$S" > "$T/usedaemon.conf"
out=$("$VS" -c "$T/usedaemon.conf" "$T/c/eicar.com" 2>&1); rc=$?
check "UseDaemon = yes: scans through vigild" grep -q "Scanned by: vigild at $S" <<<"$out"
check "UseDaemon = yes: exit 1 on a detection" [ $rc -eq 1 ]
cp "$T/c/sub/mixed.zip" "$T/cure.zip"
out=$("$VS" --no-summary --daemon="$S" --cure "$T/cure.zip" 2>&1)
check "vigil-scan --daemon --cure: cured" grep -q "cure.zip: cured" <<<"$out"
names=$(python3 -c 'import sys,zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$T/cure.zip" 2>&1)
check "vigil-scan --daemon --cure: the clean member stays" [ "$names" = "readme.txt" ]
"$VS" --daemon="$T/no.sock" "$T/c" > /dev/null 2>&1; rc=$?
check "vigil-scan --daemon without vigild: exit 2" [ $rc -eq 2 ]

# SHUTDOWN: orderly exit, socket and pid file gone
pid=$(vigild_pid)
vtalk cmd "$S" 'zSHUTDOWN\0' > /dev/null
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$pid" 2>/dev/null; check "SHUTDOWN stops the daemon" [ $? -eq 0 ]
check "socket removed" [ ! -e "$S" ]
check "pid file removed" [ ! -e "$T/vigild.pid" ]

# MaxConnections: a connection past the limit gets a busy line at once
vigild_conf "MaxConnections = 3"
vigild_start || fail "restart"
out=$(python3 - "$S" <<'EOF'
import socket, sys, time
held = []
for i in range(3):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); held.append(s)
time.sleep(0.3)
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
print(s.recv(200).decode().strip())
EOF
)
check "busy past MaxConnections" [ "$out" = "ERROR: vigild busy (MaxConnections 3)" ]
check "serves again once they are gone" [ "$(vtalk cmd "$S" 'zPING\0')" = 'PONG\0' ]
vigild_stop
check "SIGTERM stops the daemon" [ ! -e "$S" ]

# privileges: started as root, it scans as [vigild] User
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	vigild_conf "User = nobody"
	chmod 755 "$T"; chmod -R a+rX "$T/db" "$T/c"
	eicar "$T/secret.com"; chmod 600 "$T/secret.com"
	vigild_start || fail "start as nobody"
	uid=$(awk '/^Uid:/ {print $2}' /proc/"$(vigild_pid)"/status)
	check "runs as nobody" [ "$uid" = "$(id -u nobody)" ]
	check "SCAN of a root-only file: access denied" grep -q "Access denied. ERROR" <<<"$(vtalk cmd "$S" "nSCAN $T/secret.com\n")"
	check "FILDES of it works (the client opened it)" grep -q "FOUND" <<<"$(vtalk fildes "$S" "$T/secret.com")"
	vigild_stop
	vigild_conf "User = no-such-user-vigil"
	"$VIGILD" -F -c "$T/vigil.conf" 2> "$T/fg.err" &
	fgpid=$!
	for i in $(seq 100); do [ -S "$S" ] && break; sleep 0.1; done
	check "-F: serves in the foreground" [ "$(vtalk cmd "$S" 'zPING\0')" = 'PONG\0' ]
	check "a missing user: a warning" grep -q "user 'no-such-user-vigil' does not exist" "$T/fg.err"
	uid=$(awk '/^Uid:/ {print $2}' /proc/$fgpid/status)
	check "a missing user: keeps the invoking identity" [ "$uid" = 0 ]
	kill $fgpid; wait $fgpid
	check "-F: SIGTERM exits 0" [ $? -eq 0 ]
else
	echo "skip: privilege checks need root"
fi
finish
