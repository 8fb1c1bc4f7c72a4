#!/usr/bin/env python3
# upd.py - bench/update/run.sh's helper: timed runs of vigil-update, the
# clamd-protocol probe, nginx byte counts, the final table.
#
#   upd.py timed --out JSON [--poll SOCK --probe FILE --after REGEX
#                [--limit S] [--grace S]] -- CMD...
#       runs CMD, every stdout/stderr line with its time since the start;
#       with --poll, once a stderr line matches REGEX, sends the probe by
#       zINSTREAM to SOCK every 2 ms until the answer is FOUND (at most
#       --limit s from the start, --grace s after CMD exits)
#   upd.py up SOCK SECONDS [--pid PID]
#                                   wait for PONG (while PID lives)
#   upd.py scan SOCK FILE           one zINSTREAM, print the answer
#   upd.py bytes LOG SKIP [--expect-from JSON]
#                                   sum of $body_bytes_sent after SKIP lines
#   upd.py mirror MIRROR V1 V2      per-file sizes: whole objects and deltas
#   upd.py report --res DIR ...     the summary table
#
# DESIGN
#   Timing: a thread per output stream of vigil-update stamps every line
#   with time.monotonic() relative to the start; the poller is a third
#   thread started from the stderr reader when the trigger line arrives, so
#   its first request goes out within a millisecond of the line.  Every
#   probe is a new connection (connect, zINSTREAM, one chunk, the end
#   chunk, the reply), as a client of a reloading daemon would see it.
#   The report reads the phases off vigil-update's own lines: "version N:
#   F files, K kept, D by delta, W whole" (every file written to staging),
#   "test load: ..." (the staged directory re-hashed, synced and loaded by
#   the engine in a child), "installed version N" (renamed, current
#   switched, old versions pruned), then PostUpdateCmd.
#
# Python 3 standard library only, as bench/engine/gen.py.

import argparse
import json
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

# ------------------------------------------------------ clamd protocol

def one(path, data, t=10):
    """One request on a unix socket, the reply up to its NUL or newline."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(t)
    try:
        s.connect(path)
        s.sendall(data)
        b = b""
        while not b.endswith((b"\0", b"\n")):
            d = s.recv(4096)
            if not d:
                break
            b += d
        return b.rstrip(b"\0\n").decode(errors="replace")
    finally:
        s.close()


def instream(path, data, t=10):
    return one(path, b"zINSTREAM\0" + struct.pack(">I", len(data)) + data +
               struct.pack(">I", 0), t)


def cmd_up(a):
    t0 = time.monotonic()
    while time.monotonic() - t0 < a.seconds:
        if a.pid and not os.path.exists("/proc/%d" % a.pid):
            return 1
        try:
            if one(a.sock, b"nPING\n", 2) == "PONG":
                return 0
        except OSError:
            pass
        time.sleep(0.02)
    return 1


def cmd_scan(a):
    with open(a.file, "rb") as f:
        print(instream(a.sock, f.read()))
    return 0


# ---------------------------------------------------------- timed runs

def cmd_timed(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    lines = []
    mu = threading.Lock()
    poll = {"start": None, "found": None, "answer": None, "requests": 0,
            "errors": 0}
    probe = open(a.probe, "rb").read() if a.poll else b""
    trigger = re.compile(a.after) if a.after else None
    done = threading.Event()
    ended = [0.0]

    def poller():
        poll["start"] = time.monotonic() - t0
        while True:
            now = time.monotonic()
            if now - t0 > a.limit or (done.is_set() and
                                      now - ended[0] > a.grace):
                return
            try:
                r = instream(a.poll, probe)
                poll["requests"] += 1
                if r.endswith(" FOUND"):
                    poll["found"] = time.monotonic() - t0
                    poll["answer"] = r
                    return
            except OSError:
                poll["errors"] += 1
            time.sleep(0.002)

    pt = None

    def reader(stream, name):
        nonlocal pt
        for raw in iter(stream.readline, b""):
            t = time.monotonic() - t0
            line = raw.decode(errors="replace").rstrip("\n")
            with mu:
                lines.append([round(t, 6), name, line])
            if (trigger and pt is None and name == "stderr" and
                    trigger.search(line)):
                pt = threading.Thread(target=poller, daemon=True)
                pt.start()
            if not a.quiet:
                print("   %8.3f %s" % (t, line), flush=True)

    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ts = [threading.Thread(target=reader, args=(p.stdout, "stdout")),
          threading.Thread(target=reader, args=(p.stderr, "stderr"))]
    for t in ts:
        t.start()
    rc = p.wait()
    wall = time.monotonic() - t0
    for t in ts:
        t.join()
    ended[0] = time.monotonic()
    done.set()
    if pt is not None:
        pt.join()
    res = {"cmd": cmd, "rc": rc, "wall": wall, "lines": lines}
    if a.poll:
        # this process's CPU time: the poller's requests, mostly
        ru = resource.getrusage(resource.RUSAGE_SELF)
        poll["cpu"] = ru.ru_utime + ru.ru_stime
        res["poll"] = poll
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    return 0


# ------------------------------------------------------- nginx, mirror

def cmd_bytes(a):
    """$body_bytes_sent is the last field of run.sh's log_format.  nginx
    writes a request's line once it has sent the response, which may be
    after the client exited: wait (at most 5 s) for as many lines as the
    run's "fetching" lines say it made requests."""
    want = 0
    if a.expect_from:
        run = json.load(open(a.expect_from))
        want = sum(1 for _, _, l in run["lines"] if ": fetching " in l)
    t0 = time.monotonic()
    while True:
        with open(a.log) as f:
            lines = f.read().splitlines()[a.skip:]
        if len(lines) >= want or time.monotonic() - t0 > 5:
            break
        time.sleep(0.05)
    if len(lines) < want:
        print("upd.py: nginx logged %d requests, vigil-update made %d" %
              (len(lines), want), file=sys.stderr)
    print(sum(int(line.split()[-1]) for line in lines))
    return 0


def parse_manifest(path):
    files = {}
    cur = None
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "file":
                cur = {"size": int(w[2]), "sha": w[3], "zsize": int(w[4]),
                       "deltas": {}}
                files[w[1]] = cur
            elif w[0] == "delta":
                cur["deltas"][w[2]] = int(w[3])
    return files


def mirror_files(mirror, v1, v2):
    """Per file of v2: size, whole object size, delta-from-v1 size."""
    m1 = parse_manifest(os.path.join(mirror, "manifests", "%s.manifest" % v1))
    m2 = parse_manifest(os.path.join(mirror, "manifests", "%s.manifest" % v2))
    out = {}
    for n, f in sorted(m2.items()):
        o = m1.get(n)
        if o is not None and o["sha"] == f["sha"]:
            d = 0
        elif o is not None:
            d = f["deltas"].get(o["sha"])
        else:
            d = None
        out[n] = {"size": f["size"], "zsize": f["zsize"], "delta": d}
    return out


def cmd_mirror(a):
    print(json.dumps(mirror_files(a.mirror, a.v1, a.v2), indent=1))
    return 0


# -------------------------------------------------------------- report

def at(run, pattern):
    """Time of the first stderr line of run matching pattern, or None."""
    r = re.compile(pattern)
    for t, s, line in run["lines"]:
        if s == "stderr" and r.search(line):
            return t
    return None


def fetched(run):
    for _, _, line in run["lines"]:
        m = re.search(r"fetched (\d+) bytes", line)
        if m:
            return int(m.group(1))
    return None


def summary(run):
    for _, _, line in run["lines"]:
        m = re.search(r"version \d+: (\d+) files, (\d+) kept, (\d+) by "
                      r"delta, (\d+) whole", line)
        if m:
            return tuple(int(x) for x in m.groups())
    return None


def engine(run):
    """The engine's own load time from "test load: N signatures, X s"."""
    for _, _, line in run["lines"]:
        m = re.search(r"test load: \d+ signatures, ([0-9.]+) s", line)
        if m:
            return float(m.group(1))
    return None


def phases(run, v):
    """fetch (start to "version N:"), test load, switch, post (seconds)."""
    tv = at(run, r"version %s: \d+ files" % v)
    tt = at(run, r"test load: ")
    ti = at(run, r"installed version %s\b" % v)
    tp = at(run, r"running PostUpdateCmd")
    return tv, tt, ti, tp


def fmt_s(x):
    return "—" if x is None else "%.3f s" % x


def fmt_b(x):
    if x is None:
        return "—"
    if x >= 10 * 1000 * 1000:
        return "%d B (%.1f MB)" % (x, x / 1e6)
    if x >= 10 * 1000:
        return "%d B (%.1f kB)" % (x, x / 1e3)
    return "%d B" % x


def d(a, b):
    return None if a is None or b is None else b - a


def cmd_report(a):
    R = a.res
    full = json.load(open(os.path.join(R, "full.json")))
    inc = json.load(open(os.path.join(R, "inc.json")))
    srv = json.load(open(os.path.join(R, "serve.json")))
    v2 = json.load(open(a.v2json))
    build = json.load(open(os.path.join(R, "build.json")))
    nb = json.load(open(os.path.join(R, "nginx.json")))
    mf = mirror_files(a.mirror, a.ver1, a.ver2)
    rows = []

    def row(metric, value, note=""):
        rows.append((metric, value, note))

    ffull, finc = fetched(full), fetched(inc)
    nfull, ninc = nb["full"], nb["inc"]
    sfull, sinc = summary(full), summary(inc)
    row("database", "%d lines in %d files, %s bytes" % (
        v2["lines"], len(v2["files"]),
        format(sum(f["size"] for f in mf.values()), ",")),
        "gen.py db --scale %s" % a.scale)
    row("version 2", "%d lines replaced (%g %%), uniform over all files" %
        (v2["changed"], v2["pct"]), "seed %d" % v2["seed"])
    row("files changed v1→v2", "%d of %d" % (
        sum(1 for f in mf.values() if f["delta"] != 0), len(mf)), "")
    row("vigil-dbtool build v1", fmt_s(build["v1"]), build["v1_line"])
    row("vigil-dbtool build v2", fmt_s(build["v2"]), build["v2_line"])
    row("(a) full update, nginx bytes", fmt_b(nfull),
        "sum of $body_bytes_sent")
    row("(a) full update, vigil-update bytes", fmt_b(ffull),
        "\"fetched B bytes\"")
    tv, tt, ti, _ = phases(full, a.ver1)
    row("(a) full update, wall", fmt_s(full["wall"]),
        "fetch %s, test load %s (engine %s), switch %s" % (
            fmt_s(tv), fmt_s(d(tv, tt)), fmt_s(engine(full)),
            fmt_s(d(tt, ti))))
    row("(b) incremental v1→v2, nginx bytes", fmt_b(ninc),
        "of which the manifest %d B" % os.path.getsize(
            os.path.join(a.mirror, "vigil.manifest")))
    row("(b) incremental v1→v2, vigil-update bytes", fmt_b(finc), "")
    tv, tt, ti, _ = phases(inc, a.ver2)
    row("(b) incremental v1→v2, wall", fmt_s(inc["wall"]),
        "fetch %s, test load %s (engine %s), switch %s" % (
            fmt_s(tv), fmt_s(d(tv, tt)), fmt_s(engine(inc)),
            fmt_s(d(tt, ti))))
    if sinc:
        row("(b) files kept / by delta / whole", "%d / %d / %d" %
            sinc[1:], "of %d" % sinc[0])
    ratio = 100.0 * ninc / nfull if nfull else None
    ratio2 = 100.0 * finc / ffull if ffull and finc is not None else None
    verdict = "—" if ratio is None else ("PASS" if ratio < 5 else "FAIL")
    row("incremental / full (nginx bytes)",
        "—" if ratio is None else "%.2f %%" % ratio,
        "target < 5 %%: %s" % verdict)
    row("incremental / full (vigil-update bytes)",
        "—" if ratio2 is None else "%.2f %%" % ratio2, "")
    sd = sum(f["delta"] or 0 for f in mf.values())
    sz = sum(f["zsize"] for f in mf.values())
    row("mirror: v1→v2 deltas / v2 whole objects", "%s / %s" % (
        fmt_b(sd), fmt_b(sz)), "%.2f %%" % (100.0 * sd / sz) if sz else "")
    tv, tt, ti, tp = phases(srv, a.ver2)
    p = srv.get("poll", {})
    found = p.get("found")
    row("(c) arrival → vigild serves v2", fmt_s(d(tv, found)),
        "from \"version %s: …\" to the first FOUND" % a.ver2)
    row("(c)   test load (check + engine load)", fmt_s(d(tv, tt)),
        "engine load %s" % fmt_s(engine(srv)))
    row("(c)   switch (rename, current, prune)", fmt_s(d(tt, ti)), "")
    rl = None
    for _, s, line in srv["lines"]:
        m = re.search(r"RELOADED .*seconds=([0-9.]+)", line)
        if m:
            rl = float(m.group(1))
    row("(c)   reload (PostUpdateCmd until FOUND)", fmt_s(d(ti, found)),
        "vigild's own load %s" % fmt_s(rl))
    row("(c) whole vigil-update run", fmt_s(srv["wall"]),
        "fetch %s; %d probes, every 2 ms, helper CPU %s" % (
            fmt_s(tv), p.get("requests", 0), fmt_s(p.get("cpu"))))
    w = max(len(r[0]) for r in rows)
    v = max(len(r[1]) for r in rows)
    print("| %-*s | %-*s | %s |" % (w, "metric", v, "value", "note"))
    print("|%s|%s|---|" % ("-" * (w + 2), "-" * (v + 2)))
    for r in rows:
        print("| %-*s | %-*s | %s |" % (w, r[0], v, r[1], r[2]))
    print("")
    print("Per file (v2): lines changed, size, whole object, delta from v1")
    print("")
    print("| file | lines | changed | size | object .zst | delta .zst |"
          " delta/object |")
    print("|---|---|---|---|---|---|---|")
    for n, f in sorted(mf.items()):
        c = v2["files"].get(n, {})
        dd = f["delta"]
        print("| %s | %d | %d | %d | %d | %s | %s |" % (
            n, c.get("lines", 0), c.get("changed", 0), f["size"],
            f["zsize"], "kept" if dd == 0 else "—" if dd is None else dd,
            "" if not dd or not f["zsize"] else
            "%.1f %%" % (100.0 * dd / f["zsize"])))
    print("")
    print("incremental/full: %s (target < 5 %%: %s)" % (
        "—" if ratio is None else "%.2f %%" % ratio, verdict))
    ok = (full["rc"] == 0 and inc["rc"] == 0 and srv["rc"] == 0 and
          found is not None and ratio is not None)
    return 0 if ok else 3


def main(argv):
    ap = argparse.ArgumentParser(description="bench/update helper")
    sp = ap.add_subparsers(dest="sub", required=True)
    c = sp.add_parser("timed")
    c.add_argument("--out", required=True)
    c.add_argument("--poll")
    c.add_argument("--probe")
    c.add_argument("--after")
    c.add_argument("--limit", type=float, default=900)
    c.add_argument("--grace", type=float, default=30)
    c.add_argument("-q", "--quiet", action="store_true")
    c.add_argument("cmd", nargs=argparse.REMAINDER)
    c = sp.add_parser("up")
    c.add_argument("sock")
    c.add_argument("seconds", type=float)
    c.add_argument("--pid", type=int)
    c = sp.add_parser("scan")
    c.add_argument("sock")
    c.add_argument("file")
    c = sp.add_parser("bytes")
    c.add_argument("log")
    c.add_argument("skip", type=int)
    c.add_argument("--expect-from")
    c = sp.add_parser("mirror")
    c.add_argument("mirror")
    c.add_argument("v1")
    c.add_argument("v2")
    c = sp.add_parser("report")
    c.add_argument("--res", required=True)
    c.add_argument("--v2json", required=True)
    c.add_argument("--mirror", required=True)
    c.add_argument("--ver1", required=True)
    c.add_argument("--ver2", required=True)
    c.add_argument("--scale", required=True)
    a = ap.parse_args(argv)
    if a.sub == "timed" and a.poll and not (a.probe and a.after):
        ap.error("--poll needs --probe and --after")
    return {"timed": cmd_timed, "up": cmd_up,
            "scan": cmd_scan, "bytes": cmd_bytes, "mirror": cmd_mirror,
            "report": cmd_report}[a.sub](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
