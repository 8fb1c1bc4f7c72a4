#!/bin/bash
# 010-clamdscan: vigild as clamd.  Debian's clamdscan in every mode it has
# (--fdpass, --stream over unix and TCP, --multiscan with and without
# --fdpass, CONTSCAN, --allmatch, --ping, --version, --reload) over a corpus
# with planted detections, compared per file with vigil-scan; then raw
# protocol edge cases, 1000 concurrent clients against MaxConnections 256,
# a kill -9 in the middle of scans, and a reload of a corrupt database.
#
# Environment: VIGILD (default $VIGIL_BUILD/src/vigild/vigild); VIGILD_IMPL=
# clamd runs Debian's clamd in vigild's place (to check the scenario
# itself; the vigild-only checks are then skipped and a few edge cases are
# known to fail: clamd waits for the descriptor of a bare FILDES).
# Skips (77) without clamdscan or python3; fails without vigild or
# vigil-scan.  Bounded: every wait has a limit, about a minute in all.
. "$(dirname "$0")/../lib.sh"

VIGILD=${VIGILD:-$VIGIL_BUILD/src/vigild/vigild}
IMPL=${VIGILD_IMPL:-vigild}
for c in clamdscan python3; do
	if ! command -v $c > /dev/null 2>&1; then
		echo "SKIP: $c not installed (apt-get install clamdscan python3)"
		exit 77
	fi
done
if [ "$IMPL" = clamd ]; then
	command -v clamd > /dev/null 2>&1 ||
		{ echo "SKIP: clamd not installed (apt-get install clamav-daemon)"; exit 77; }
elif [ ! -x "$VIGILD" ]; then
	echo "FAIL: $VIGILD not built"
	exit 1
fi
[ -x "$VIGIL_SCAN" ] || { echo "FAIL: $VIGIL_SCAN not built"; exit 1; }

DPID=
# daemon_stop - SIGTERM the daemon, SIGKILL it after 10 s
daemon_stop() { stop_pid "$DPID"; DPID=; }
trap 'daemon_stop; rm -rf "$T"' EXIT

SOCK=$T/vigild.sock
CTL=$T/vigild.ctl
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/db" "$T/cache"
cp "$DB"/* "$T/db/"

# the daemon's configuration: StreamMaxLength 1M for the limit case, file
# limits high enough for the big file of the kill -9 case
if [ "$IMPL" = clamd ]; then
	cat > "$T/daemon.conf" <<EOF
LocalSocket $SOCK
TCPSocket $PORT
TCPAddr 127.0.0.1
DatabaseDirectory $T/db
Foreground yes
PidFile $T/vigild.pid
LogFile $T/daemon.log
TemporaryDirectory $T
User root
MaxThreads 2
MaxQueue 256
MaxConnectionQueueLength 1024
StreamMaxLength 1M
MaxFileSize 2000M
MaxScanSize 4000M
SelfCheck 0
EOF
	DCMD=(clamd -c "$T/daemon.conf")
else
	cat > "$T/daemon.conf" <<EOF
[path]
BasesPath = $T/db
CachePath = $T/cache
[vigild]
ListenSocket = $SOCK
ListenAddress = 127.0.0.1:$PORT
ControlSocket = $CTL
PidFile = $T/vigild.pid
User =
MaxThreads = 2
MaxQueue = 256
MaxConnections = 256
StreamMaxLength = 1M
MaxFileSize = 2000M
MaxScanSize = 4000M
EventStore = sqlite:$T/events.sqlite
[vigild.report]
ReportFileName = $T/vigild.log
EOF
	DCMD=("$VIGILD" -F -c "$T/daemon.conf")
fi
printf 'LocalSocket %s\n' "$SOCK" > "$T/client.conf"
printf 'TCPSocket %s\nTCPAddr 127.0.0.1\n' "$PORT" > "$T/client-tcp.conf"

# the raw-protocol client: every socket operation has a timeout
cat > "$T/cl.py" <<'PY'
import asyncio, os, select, signal, socket, struct, sys, threading, time
EICAR = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
fails = 0

def conn(path, t=10):
    if path.startswith('tcp:'):
        s = socket.create_connection(('127.0.0.1', int(path[4:])), timeout=t)
    else:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(t)
        s.connect(path)
    return s

def readall(s, delim=None, limit=1 << 20):
    """read to EOF, or to the delimiter; b'<TIMEOUT>' appended on timeout"""
    b = b''
    try:
        while len(b) < limit:
            d = s.recv(65536)
            if not d:
                break
            b += d
            if delim is not None and b.endswith(delim):
                break
    except socket.timeout:
        b += b'<TIMEOUT>'
    except OSError as e:
        b += b'<%s>' % e.__class__.__name__.encode()
    return b

def one(path, data, delim=None, t=10):
    s = conn(path, t)
    s.sendall(data)
    r = readall(s, delim)
    s.close()
    return r

def chunk(b):
    return struct.pack('>I', len(b)) + b

def check(desc, cond, got):
    global fails
    if cond:
        print('ok: %s' % desc)
    else:
        fails += 1
        print('FAIL: %s: got %r' % (desc, got[:300]))

def send_watch(s, pieces):
    """send pieces until the daemon answers; return what it said"""
    got = b''
    try:
        for p in pieces:
            r, _, _ = select.select([s], [], [], 0)
            if r:
                break
            s.sendall(p)
    except OSError:
        pass
    return got + readall(s, b'\0')

def proto(sock, ctl, port, impl):
    check('nPING', one(sock, b'nPING\n') == b'PONG\n', one(sock, b'nPING\n'))
    r = one(sock, b'zPING\0', b'\0')
    check('zPING', r == b'PONG\0', r)
    r = one(sock, b'PING\n', b'\n')
    check('unprefixed PING\\n', r == b'PONG\n', r)
    r = one(sock, b'nVERSION\n')
    want = b'vigil ' if impl == 'vigild' else b'ClamAV '
    check('nVERSION says %s' % want.decode(), r.startswith(want) and r.endswith(b'\n'), r)
    r = one(sock, b'nVERSIONCOMMANDS\n')
    check('nVERSIONCOMMANDS lists INSTREAM', b'INSTREAM' in r and b'FILDES' in r, r)
    r = one(sock, b'nSTATS\n')
    check('nSTATS ends with END', r.endswith(b'END\n'), r)
    # a command split over many writes, one byte each
    s = conn(sock)
    for c in b'zPING\0':
        s.sendall(bytes([c]))
        time.sleep(0.02)
    r = readall(s, b'\0'); s.close()
    check('command written one byte at a time', r == b'PONG\0', r)
    s = conn(sock)
    for c in b'zINSTREAM\0' + chunk(EICAR) + chunk(b''):
        s.sendall(bytes([c]))
    r = readall(s, b'\0'); s.close()
    check('INSTREAM written one byte at a time', r.startswith(b'stream: Eicar-Test-Signature') and r.endswith(b' FOUND\0'), r)
    r = one(sock, b'zINSTREAM\0' + chunk(EICAR) + chunk(b''), b'\0')
    check('INSTREAM EICAR', r.startswith(b'stream: Eicar-Test-Signature') and r.endswith(b' FOUND\0'), r)
    r = one(sock, b'nINSTREAM\n' + chunk(EICAR[:30]) + chunk(EICAR[30:]) + chunk(b''), b'\n')
    check('INSTREAM EICAR in two chunks, n-form', r.startswith(b'stream: Eicar-Test-Signature') and r.endswith(b' FOUND\n'), r)
    r = one(sock, b'zINSTREAM\0' + chunk(b'') + chunk(EICAR), b'\0')
    check('INSTREAM with a 0-size chunk first: stream: OK', r == b'stream: OK\0', r)
    # over StreamMaxLength (1M): the reply, not a hang
    s = conn(sock)
    s.sendall(b'zINSTREAM\0')
    r = send_watch(s, [chunk(b'A' * 65536)] * 40 + [chunk(b'')]); s.close()
    check('INSTREAM over StreamMaxLength: size limit exceeded ERROR',
          b'size limit exceeded' in r and r.rstrip(b'\0').endswith(b'ERROR'), r)
    s = conn(sock)
    r = send_watch(s, [b'zINSTREAM\0' + struct.pack('>I', 0xffffffff)] + [b'A' * 65536] * 40); s.close()
    check('INSTREAM chunk length 0xffffffff: size limit exceeded ERROR',
          b'size limit exceeded' in r and r.rstrip(b'\0').endswith(b'ERROR'), r)
    # a client gone in the middle of a stream
    for _ in range(5):
        s = conn(sock)
        s.sendall(b'zINSTREAM\0' + struct.pack('>I', 100000) + b'x' * 1000)
        s.close()
    r = one(sock, b'nPING\n')
    check('PING after clients vanished mid-INSTREAM', r == b'PONG\n', r)
    t0 = time.time()
    r = one(sock, b'zFILDES\0', b'\0', t=5)
    check('FILDES without a descriptor: ERROR within 5 s (%.1f s)' % (time.time() - t0),
          b'ERROR' in r and b'<TIMEOUT>' not in r, r)
    r = one('tcp:%s' % port, b'zFILDES\0', b'\0', t=5)
    check('FILDES over TCP: ERROR within 5 s', b'ERROR' in r and b'<TIMEOUT>' not in r, r)
    r = one(sock, b'zFOOBAR\0', b'\0', t=5)
    check('unknown command: UNKNOWN COMMAND or ERROR',
          r in (b'UNKNOWN COMMAND\0',) or r.rstrip(b'\0').endswith(b'ERROR'), r)
    r = one(sock, b'nSCAN\n', b'\n', t=5)
    check('SCAN without a path: an ERROR reply', (b'ERROR' in r or r == b'UNKNOWN COMMAND\n') and b'<TIMEOUT>' not in r, r)
    # 1 MiB without a delimiter: refused or closed, never buffered forever
    s = conn(sock, 5)
    r = send_watch(s, [b'n' + b'A' * 65535] + [b'A' * 65536] * 15); s.close()
    check('1 MiB command without a delimiter: error or close within 5 s', b'<TIMEOUT>' not in r, r)
    r = one(sock, b'nPING\n')
    check('PING after the long line', r == b'PONG\n', r)
    # IDSESSION: three pipelined requests, numbered replies, END closes
    s = conn(sock)
    s.sendall(b'zIDSESSION\0zPING\0zINSTREAM\0' + chunk(EICAR) + chunk(b'') + b'zVERSION\0zEND\0')
    r = readall(s); s.close()
    # replies may come in any order (clamd answers as scans finish)
    parts = sorted(r.split(b'\0'))
    check('IDSESSION: 1: PONG, 2: stream FOUND, 3: version, closed after END',
          len(parts) == 4 and parts[0] == b'' and parts[1] == b'1: PONG' and parts[2].startswith(b'2: stream: Eicar-Test-Signature')
          and parts[2].endswith(b'FOUND') and parts[3].startswith(b'3: '), r)
    s = conn(sock)
    s.sendall(b'nIDSESSION\nnPING\nnPING\nnPING\nnEND\n')
    r = readall(s); s.close()
    check('IDSESSION n-form', r == b'1: PONG\n2: PONG\n3: PONG\n', r)
    if impl == 'vigild':
        r = one(ctl, b'nPING\n', b'\n')
        check('control socket: nPING', r == b'PONG\n', r)
        r = one(ctl, b'nSTATUS\n', b'\n')
        check('control socket: nSTATUS', r.startswith(b'RUNNING pid=') and b' signatures=' in r and r.endswith(b'\n'), r)
        r = one(ctl, b'nRELOADDB\n', b'\n', t=30)
        check('control socket: nRELOADDB', r.startswith(b'RELOADED version=') and b' signatures=' in r, r)
        r = one(ctl, b'zINSTREAM\0' + chunk(EICAR) + chunk(b''), b'\0')
        check('control socket: INSTREAM', r.startswith(b'stream: Eicar-Test-Signature'), r)

def storm(sock, pid, n, deadline):
    """n concurrent INSTREAM clients; count verdicts, busy, other; max RSS"""
    res = {'verdict': 0, 'busy': 0, 'connect': 0, 'timeout': 0, 'other': 0}
    other = []
    peak = [0]
    stop = threading.Event()
    def sampler():
        while not stop.is_set():
            try:
                for l in open('/proc/%d/status' % pid):
                    if l.startswith('VmRSS:'):
                        peak[0] = max(peak[0], int(l.split()[1]))
            except OSError:
                pass
            time.sleep(0.02)
    th = threading.Thread(target=sampler); th.start()
    async def client(i):
        # raw non-blocking sockets: a busy line the daemon wrote before
        # closing stays readable even after our write fails (EPIPE)
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(s, sock), deadline)
        except (OSError, asyncio.TimeoutError) as e:
            res['connect'] += 1
            other.append('connect: %r' % e)
            s.close()
            return
        try:
            await loop.sock_sendall(s, b'zINSTREAM\0' + chunk(EICAR) + chunk(b''))
        except OSError:
            pass
        b = b''
        try:
            while not b.endswith(b'\0') and not b.endswith(b'\n'):
                d = await asyncio.wait_for(loop.sock_recv(s, 4096), deadline)
                if not d:
                    break
                b += d
        except asyncio.TimeoutError:
            res['timeout'] += 1
            s.close()
            return
        except OSError as e:
            if not b:
                b = b'<%r>' % e
        s.close()
        if b.startswith(b'stream: Eicar-Test-Signature') and b.endswith(b'FOUND\0'):
            res['verdict'] += 1
        elif b'busy' in b and b'ERROR' in b:
            res['busy'] += 1
        else:
            res['other'] += 1
            other.append(b)
    async def main():
        await asyncio.gather(*(client(i) for i in range(n)))
    t0 = time.time()
    asyncio.run(main())
    stop.set(); th.join()
    print('storm: %d clients in %.1f s: %s, peak RSS %d MiB' % (n, time.time() - t0, res, peak[0] // 1024))
    for o in other[:5]:
        print('  unexpected: %r' % (o,))
    check('%d clients: each a verdict or busy ERROR' % n,
          res['verdict'] + res['busy'] == n and res['verdict'] > 0, repr(res).encode())
    check('peak RSS under 500 MiB', 0 < peak[0] < 500 * 1024, str(peak[0]).encode())

def killmid(sock, pid):
    """start an INSTREAM, kill -9 the daemon, expect EOF or reset promptly"""
    s = conn(sock, 10)
    s.sendall(b'zINSTREAM\0' + chunk(b'B' * 262144))
    time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    t0 = time.time()
    r = send_watch(s, [chunk(b'B' * 65536)] * 100)
    check('kill -9 during INSTREAM: the client sees the end (%.1f s)' % (time.time() - t0),
          b'<TIMEOUT>' not in r and b'FOUND' not in r, r)

cmd = sys.argv[1]
if cmd == 'ping':
    try:
        sys.exit(0 if one(sys.argv[2], b'nPING\n', t=2) == b'PONG\n' else 1)
    except OSError:
        sys.exit(1)
elif cmd == 'send':
    data = sys.argv[3].encode().decode('unicode_escape').encode('latin-1')
    r = one(sys.argv[2], data, {'n': b'\n', 'z': b'\0'}.get(chr(data[0])), t=float(sys.argv[4]))
    sys.stdout.write(r.decode('latin-1'))
elif cmd == 'proto':
    proto(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
elif cmd == 'storm':
    storm(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
elif cmd == 'killmid':
    killmid(sys.argv[2], int(sys.argv[3]))
sys.exit(min(fails, 100))
PY
cl() { timeout 120 python3 "$T/cl.py" "$@"; }

# daemon_start - start the daemon, wait (60 s at most) until it answers PING
daemon_start() {
	"${DCMD[@]}" >> "$T/daemon.err" 2>&1 &
	DPID=$!
	for _ in $(seq 600); do
		cl ping "$SOCK" && return 0
		kill -0 "$DPID" 2> /dev/null || break
		sleep 0.1
	done
	echo "FAIL: the daemon does not answer PING; its stderr:"
	tail -20 "$T/daemon.err"
	exit 1
}
# proto_run DESC CMD... - run a cl.py case, count its failures
proto_run() {
	cl "$@"
	local rc=$?
	[ $rc -eq 124 ] && fail "cl.py $1 timed out"
	failures=$((failures + rc))
}

# the corpus: plain, container, mail, clean, empty, nested directory
C=$T/corpus
mkdir -p "$C/sub/deeper"
eicar "$C/eicar.com"
eicar "$C/sub/deeper/eicar.txt"
printf 'hello\n' > "$C/clean.txt"
: > "$C/empty"
printf 'xx VIGIL-TEST-abc-BODY-SIGNATURE yy' > "$C/sub/body.bin"
printf 'VIGIL-LOGICAL-PART-A and vigil-LOGICAL-part-B' > "$C/logic.txt"
head -c 300000 /dev/urandom > "$C/random.bin"
python3 - "$C" <<'PY'
import email.message, io, sys, tarfile, zipfile
d = sys.argv[1]
E = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
with zipfile.ZipFile(d + '/e.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('inner/eicar.txt', E)
    z.writestr('clean.txt', b'clean\n')
with zipfile.ZipFile(d + '/clean.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('a.txt', b'nothing here\n' * 100)
with tarfile.open(d + '/e.tgz', 'w:gz') as t:
    ti = tarfile.TarInfo('x/eicar.bin'); ti.size = len(E)
    t.addfile(ti, io.BytesIO(E))
for name, att in (('e.eml', E), ('clean.eml', b'just a note\n' * 20)):
    m = email.message.EmailMessage()
    m['From'] = 'a@example.org'; m['To'] = 'b@example.org'; m['Subject'] = 't'
    m.set_content('see the attachment')
    m.add_attachment(att, maintype='application', subtype='octet-stream',
                     filename='att.bin')
    open(d + '/' + name, 'wb').write(bytes(m))
PY
(cd "$C" && find . -type f | sed 's|^\./||' | sort) > "$T/files"

# verdicts FILE - "relpath VERDICT" per corpus file from scanner output
# (PATH: NAME FOUND / PATH: ... ERROR lines; members map to their file)
verdicts() {
	python3 - "$C" "$T/files" "$1" <<'PY'
import sys
root, files, out = sys.argv[1], open(sys.argv[2]).read().split(), sys.argv[3]
v = dict((f, 'OK') for f in files)
for line in open(out, errors='replace'):
    line = line.rstrip('\n')
    if not (line.endswith(' FOUND') or line.endswith(' ERROR')):
        continue
    path = line.split(': ', 1)[0]
    if path.startswith(root + '/'):
        path = path[len(root) + 1:]
    for f in files:
        if path == f or path.startswith(f + '/') or path.startswith(f + ':'):
            if v[f] != 'FOUND':
                v[f] = 'FOUND' if line.endswith(' FOUND') else 'ERROR'
            break
    else:
        v['?' + path] = 'UNKNOWN-PATH'
for f in sorted(v):
    print(f, v[f])
PY
}

vs --no-summary "$C" > "$T/vs.out" 2>&1
verdicts "$T/vs.out" > "$T/vs.v"
check "vigil-scan finds 7 files in the corpus" [ "$(grep -c ' FOUND$' "$T/vs.v")" -eq 7 ]

daemon_start
# clamdscan MODE...: one clamdscan run compared with vigil-scan
clamdscan_cmp() {
	local conf=$1 name=$2; shift 2
	timeout 60 clamdscan --config-file="$conf" "$@" "$C" > "$T/cd.out" 2>&1
	local rc=$?
	verdicts "$T/cd.out" > "$T/cd.v"
	if diff -u "$T/vs.v" "$T/cd.v" > "$T/cd.diff"; then
		ok "clamdscan $name: same verdicts as vigil-scan"
	else
		fail "clamdscan $name: verdicts differ from vigil-scan (-vigil-scan +clamdscan):"
		sed -n '3,$p' "$T/cd.diff" | grep '^[-+]'
		grep -v ' FOUND$' "$T/cd.out" | head -5
	fi
	check "clamdscan $name: exit 1" [ $rc -eq 1 ]
	check "clamdscan $name: no errors" eval '! grep -q " ERROR$" "$T/cd.out"'
}
clamdscan_cmp "$T/client.conf" "--fdpass" --fdpass
clamdscan_cmp "$T/client.conf" "--stream" --stream
clamdscan_cmp "$T/client-tcp.conf" "--stream over TCP" --stream
clamdscan_cmp "$T/client.conf" "--multiscan --fdpass" --multiscan --fdpass
clamdscan_cmp "$T/client.conf" "--multiscan (MULTISCAN)" --multiscan
clamdscan_cmp "$T/client.conf" "CONTSCAN"
clamdscan_cmp "$T/client.conf" "--allmatch" --allmatch
timeout 30 clamdscan --config-file="$T/client.conf" --fdpass "$C/clean.txt" "$C/empty" "$C/clean.zip" > "$T/c.out" 2>&1
check "clamdscan on clean files: exit 0" [ $? -eq 0 ]
timeout 30 clamdscan --config-file="$T/client.conf" --stream "$C/nonexistent" > "$T/c.out" 2>&1
check "clamdscan on a missing file: exit 2" [ $? -eq 2 ]

# PUA: vigil-scan's standard set leaves it out, clamd reports it; not
# compared, only shown
out=$(cl send "$SOCK" 'zINSTREAM\0\0\0\0\x15VIGIL-TEST-PUA-SAMPLE\0\0\0\0' 10 | tr -d '\0')
echo "note: a PUA sample over INSTREAM: $out"
out=$(timeout 10 clamdscan --config-file="$T/client.conf" --ping 1 2>&1)
check "clamdscan --ping 1" [ "$out" = PONG ]
out=$(timeout 10 clamdscan --config-file="$T/client.conf" --version 2>&1)
if [ "$IMPL" = vigild ]; then
	check "clamdscan --version prints vigild's VERSION ($out)" grep -q '^vigil [0-9][0-9.]*/[0-9]*/' <<<"$out"
else
	check "clamdscan --version ($out)" grep -q '^ClamAV ' <<<"$out"
fi
timeout 30 clamdscan --config-file="$T/client.conf" --reload > "$T/c.out" 2>&1
check "clamdscan --reload: exit 0" [ $? -eq 0 ]
sleep 1
check "PING after RELOAD" cl ping "$SOCK"

proto_run proto "$SOCK" "$CTL" "$PORT" "$IMPL"
proto_run storm "$SOCK" "$DPID" 1000 60
check "PING after the storm" cl ping "$SOCK"
out=$(cl send "$SOCK" 'zINSTREAM\0\0\0\0\x44X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\0\0\0\0' 10 | tr '\0' '\n')
check "EICAR after the storm ($out)" grep -q '^stream: Eicar-Test-Signature.* FOUND$' <<<"$out"

# a corrupt database: RELOAD keeps the old one serving
printf 'Broken.Sig:0:*:zz-not-hex\n' >> "$T/db/vigil.ndb"
out=$(cl send "$SOCK" 'zRELOAD\0' 10 | tr -d '\0')
check "RELOAD of a corrupt database: RELOADING ($out)" [ "$out" = RELOADING ]
sleep 2
check "PING after the failed reload" cl ping "$SOCK"
out=$(cl send "$SOCK" 'zINSTREAM\0\0\0\0\x44X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\0\0\0\0' 10 | tr '\0' '\n')
check "the old database still finds EICAR ($out)" grep -q '^stream: Eicar-Test-Signature.* FOUND$' <<<"$out"
if [ "$IMPL" = vigild ]; then
	out=$(cl send "$CTL" 'nRELOADDB\n' 30)
	check "nRELOADDB of a corrupt database: ERROR ($out)" grep -q '^ERROR: ' <<<"$out"
	check "PING after the failed nRELOADDB" cl ping "$SOCK"
fi
sed -i '/^Broken.Sig/d' "$T/db/vigil.ndb"

# kill -9: in the middle of a stream, then of a big file's scan
proto_run killmid "$SOCK" "$DPID"
wait "$DPID" 2> /dev/null
DPID=
daemon_start
check "serves again after kill -9 (stale socket and pid file)" cl ping "$SOCK"
python3 -c 'import os,sys; b=os.urandom(1<<20); f=open(sys.argv[1],"wb"); [f.write(b) for _ in range(600)]' "$T/big.bin"
timeout 30 clamdscan --config-file="$T/client.conf" --fdpass "$T/big.bin" > "$T/k.out" 2>&1 &
kpid=$!
sleep 0.3
kill -KILL "$DPID"
wait "$kpid"
rc=$?
check "kill -9 during a 600 MB --fdpass scan: clamdscan ends (exit $rc, not 124)" [ $rc -ne 124 ]
wait "$DPID" 2> /dev/null
DPID=
rm -f "$T/big.bin"
daemon_start
out=$(timeout 30 clamdscan --config-file="$T/client.conf" --fdpass "$C/eicar.com" 2>&1)
check "scans again after the second kill -9" grep -q 'eicar.com: Eicar-Test-Signature.* FOUND' <<<"$out"

daemon_stop
[ "$failures" -eq 0 ] || { echo "daemon stderr (last lines):"; tail -15 "$T/daemon.err"; }
finish
