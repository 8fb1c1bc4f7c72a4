#!/bin/bash
# 020-vigilctl: the control program against a real vigild: checkconfig,
# start/status/stats/reload/reload-db/stop/restart, LSB exit codes, a
# corrupt database that must not take the daemon down, stale pid files,
# and SIGKILL for a process that ignores SIGTERM.
. "$(dirname "$0")/../lib.sh"

VC=${VIGILCTL:-$VIGIL_BUILD/src/vigild/vigilctl}
VD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
for b in "$VC" "$VD"; do
	[ -x "$b" ] || { echo "SKIP: $b not built"; exit 77; }
done
command -v python3 > /dev/null || { echo "SKIP: python3 missing"; exit 77; }

cp -r "$DB" "$T/db"
mkdir -p "$T/cache" "$T/stub"
CONF=$T/vigil.conf
PIDF=$T/vigild.pid
CTL=$T/vigild.ctl
SOCK=$T/vigild.sock
cat > "$CONF" <<EOF
[path]
BasesPath = $T/db
CachePath = $T/cache
[vigild]
ListenSocket = $SOCK
ControlSocket = $CTL
PidFile = $PIDF
User =
MaxThreads = 2
MaxQueue = 256
MaxConnections = 256
StreamMaxLength = 100M
EventStore = sqlite:$T/events.sqlite
[vigild.report]
ReportFileName = $T/vigild.log
EOF
eicar "$T/eicar.com"

# cleanup - stop whatever this scenario started, then drop $T
cleanup() {
	VIGILCTL_STOP_TIMEOUT=5 timeout 30 "$VC" -q -c "$CONF" stop \
		> /dev/null 2>&1
	[ -n "${spid:-}" ] && kill -KILL "$spid" 2> /dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# vc ARGS - vigilctl with the scenario's configuration; output in $T/out
# (a file, not a pipe: a starting daemon inherits stderr), exit code in rc
vc() { timeout 120 "$VC" -c "$CONF" "$@" > "$T/out" 2>&1; rc=$?; }
# has PATTERN - the last vigilctl output matches the extended regex
has() { grep -qE -- "$1" "$T/out"; }
# ask SOCKET LINE - one request, the reply on stdout (INSTREAM sends EICAR)
ask() {
	timeout 30 python3 - "$@" << 'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
if sys.argv[2] == "nINSTREAM":
    data = open(sys.argv[3], "rb").read()
    s.sendall(struct.pack(">I", len(data)) + data + struct.pack(">I", 0))
out = b""
while not out.endswith(b"\n"):
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode(errors="replace"))
PY
}
# pid_of - the pid file's pid, or empty
pid_of() { cat "$PIDF" 2> /dev/null; }
# gone PID - true when PID no longer exists (zombies count as gone)
gone() {
	! kill -0 "$1" 2> /dev/null ||
		grep -q '^[^)]*) Z' "/proc/$1/stat" 2> /dev/null
}

# --- usage -----------------------------------------------------------------
timeout 10 "$VC" > /dev/null 2>&1; rc=$?
check "no command: exit 2" [ $rc -eq 2 ]
vc frobnicate; check "unknown command: exit 2" [ $rc -eq 2 ]
vc status vigil-nonesuch; check "unknown daemon: exit 2" [ $rc -eq 2 ]
timeout 10 "$VC" --help > "$T/out" 2>&1; rc=$?
check "--help: exit 0" [ $rc -eq 0 ]
check "--help lists the commands" grep -q "reload-db" "$T/out"

# --- checkconfig -----------------------------------------------------------
vc checkconfig
check "checkconfig: exit 0" [ $rc -eq 0 ]
check "checkconfig: FILE: OK" grep -qxF "$CONF: OK" "$T/out"
printf '[vigild]\nMaxThreads = lots\n' > "$T/bad.conf"
timeout 20 "$VC" -c "$T/bad.conf" checkconfig > "$T/out" 2>&1; rc=$?
check "bad config: exit 1" [ $rc -eq 1 ]
check "bad config: FILE:LINE: [section] key" \
	grep -qF "$T/bad.conf:2: [vigild] MaxThreads" "$T/out"
timeout 20 "$VC" -c "$T/missing.conf" checkconfig > "$T/out" 2>&1; rc=$?
check "missing config: exit 1" [ $rc -eq 1 ]
check "missing config: names the file" grep -qF "$T/missing.conf" "$T/out"
timeout 20 "$VC" -c "$T/bad.conf" start > "$T/out" 2>&1; rc=$?
check "start with a bad config: exit 1" [ $rc -eq 1 ]

# --- stopped ---------------------------------------------------------------
vc status
check "status stopped: exit 3" [ $rc -eq 3 ]
check "status stopped: says not running" has "^vigild: not running$"
check "no daemon started by the bad config" [ ! -e "$PIDF" ]
vc stop
check "stop stopped: exit 0" [ $rc -eq 0 ]
check "stop stopped: says not running" has "not running"
vc reload; check "reload stopped: exit 1" [ $rc -eq 1 ]
vc reload-db; check "reload-db stopped: exit 1" [ $rc -eq 1 ]
check "reload-db stopped: names the control socket" has "$CTL"
vc stats; check "stats stopped: exit 1" [ $rc -eq 1 ]
if [ ! -e "$VIGIL_BUILD/src/vigil-icapd/vigil-icapd" ] &&
   [ ! -e /usr/local/sbin/vigil-icapd ] && [ ! -e /usr/sbin/vigil-icapd ]; then
	vc status vigil-icapd
	check "status of an absent daemon: exit 4" [ $rc -eq 4 ]
	check "status of an absent daemon: not installed" has "not installed"
	vc start vigil-icapd
	check "start of an absent daemon: exit 5" [ $rc -eq 5 ]
fi

# --- start -----------------------------------------------------------------
timeout 120 "$VC" -c "$CONF" start > "$T/start.out" 2>&1; rc=$?
check "start: exit 0" [ $rc -eq 0 ]
check "start: says started" grep -qE "^vigild: started \(pid [0-9]+\)" \
	"$T/start.out"
pid=$(pid_of)
check "start: pid file written" [ -n "$pid" ]
check "start: the daemon runs" kill -0 "${pid:-0}"
check "start: answers PING" [ "$(ask "$CTL" nPING)" = PONG ]
timeout 120 "$VC" -c "$CONF" start > "$T/out" 2>&1; rc=$?
check "start again: exit 0" [ $rc -eq 0 ]
check "start again: already running (pid N)" \
	has "^vigild: already running \(pid $pid\)$"
vc status
check "status running: exit 0" [ $rc -eq 0 ]
check "status running: running (pid N)" has "^vigild: running \(pid $pid\)"
vc -q status
check "status -q: exit 0, silent" [ $rc -eq 0 ] && check "-q prints nothing" \
	[ ! -s "$T/out" ]

# --- stats -----------------------------------------------------------------
mv "$T/vigild.log" "$T/vigild.log.1" 2> /dev/null
vc stats
check "stats: exit 0" [ $rc -eq 0 ]
check "stats: prints counters" has "[A-Za-z]+: ?[0-9]"
check "stats: no END line" eval '! grep -qx END "$T/out"'
check "stats: report log reopened" [ -e "$T/vigild.log" ]

# --- reload-db -------------------------------------------------------------
vc reload-db
check "reload-db: exit 0" [ $rc -eq 0 ]
check "reload-db: RELOADED version= signatures= seconds=" \
	has "^RELOADED version=[0-9a-f]{64} signatures=[0-9]+ seconds=[0-9.]+$"
vc reload_avbase
check "reload_avbase (the guide's name): exit 0" [ $rc -eq 0 ]
ndb=$(ls "$T"/db/*.ndb | head -1)
cp "$ndb" "$T/ndb.orig"
echo 'garbage-without-colons' >> "$ndb"
vc reload-db
check "reload-db corrupt: exit 1" [ $rc -eq 1 ]
check "reload-db corrupt: prints ERROR" has "^ERROR: "
check "corrupt: still answers PING" [ "$(ask "$CTL" nPING)" = PONG ]
reply=$(ask "$SOCK" nINSTREAM "$T/eicar.com")
check "corrupt: still detects EICAR ($reply)" \
	grep -q "Eicar-Test-Signature FOUND" <<<"$reply"
vc status
check "corrupt: status still running" [ $rc -eq 0 ]
cp "$T/ndb.orig" "$ndb"

# --- reload (SIGHUP) -------------------------------------------------------
vc reload
check "reload: exit 0" [ $rc -eq 0 ]
check "reload: SIGHUP to the pid" has "SIGHUP to pid $pid"
up=0
for _ in $(seq 50); do
	[ "$(ask "$CTL" nPING 2> /dev/null)" = PONG ] && { up=1; break; }
	sleep 0.2
done
check "reload: same daemon still answers" [ $up -eq 1 ] && \
	check "reload: same pid" [ "$(pid_of)" = "$pid" ]

# --- stop ------------------------------------------------------------------
vc stop
check "stop: exit 0" [ $rc -eq 0 ]
check "stop: says stopped" has "^vigild: stopped \(pid $pid\)$"
check "stop: process gone" gone "$pid"
check "stop: pid file gone" [ ! -e "$PIDF" ]
vc stop
check "stop again: exit 0" [ $rc -eq 0 ]
vc status
check "status after stop: exit 3" [ $rc -eq 3 ]

# --- restart ---------------------------------------------------------------
timeout 200 "$VC" -c "$CONF" restart > "$T/start.out" 2>&1; rc=$?
check "restart from stopped: exit 0" [ $rc -eq 0 ]
pid1=$(pid_of)
check "restart from stopped: running" kill -0 "${pid1:-0}"
timeout 200 "$VC" -c "$CONF" restart > "$T/start2.out" 2>&1; rc=$?
check "restart running: exit 0" [ $rc -eq 0 ]
pid2=$(pid_of)
check "restart running: old pid gone" gone "${pid1:-0}"
check "restart running: new pid" [ -n "$pid2" -a "$pid2" != "$pid1" ]
check "restart running: answers" [ "$(ask "$CTL" nPING)" = PONG ]
vc stop
check "stop after restart: exit 0" [ $rc -eq 0 ]

# --- stale pid files -------------------------------------------------------
sleep 0 & dead=$!
wait $dead
echo "$dead" > "$PIDF"
vc status
check "stale pid file: status exit 1" [ $rc -eq 1 ]
vc stop
check "stale pid file: stop exit 0" [ $rc -eq 0 ]
check "stale pid file: removed" [ ! -e "$PIDF" ]
echo $$ > "$PIDF"	# alive, but not vigild: never signalled
vc stop
check "foreign pid: stop exit 0, shell alive" [ $rc -eq 0 ]
check "foreign pid: pid file removed" [ ! -e "$PIDF" ]

# --- SIGKILL for a daemon that ignores SIGTERM ------------------------------
# a process named vigild (comm) that ignores SIGTERM, bounded to 60 s
ln -s "$(command -v bash)" "$T/stub/vigild"
"$T/stub/vigild" -c 'trap "" TERM; : > "$1"; i=0
	while [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done' stub \
	"$T/stub/ready" &
spid=$!
for _ in $(seq 50); do [ -e "$T/stub/ready" ] && break; sleep 0.1; done
echo "$spid" > "$PIDF"
t0=$SECONDS
exec 3>&2 2> /dev/null	# no "Killed" job notice from this shell
VIGILCTL_STOP_TIMEOUT=2 vc stop
t=$((SECONDS - t0))
check "SIGTERM ignored: stop exit 0" [ $rc -eq 0 ]
check "SIGTERM ignored: says SIGKILL" has "SIGKILL"
check "SIGTERM ignored: waited the timeout (${t}s)" [ $t -ge 2 -a $t -le 15 ]
check "SIGTERM ignored: process gone" gone "$spid"
wait "$spid"; st=$?
exec 2>&3 3>&-
check "SIGTERM ignored: killed by SIGKILL (status $st)" [ $st -eq 137 ]
spid=
check "SIGTERM ignored: pid file removed" [ ! -e "$PIDF" ]
VIGILCTL_STOP_TIMEOUT=soon vc stop
check "bad VIGILCTL_STOP_TIMEOUT: exit 2" [ $rc -eq 2 ]

finish
