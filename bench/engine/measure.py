#!/usr/bin/env python3
# measure.py - time and peak memory of a command, and the bench report
#
#   measure.py run --out R.json [--repeat N] [--clear DIR] [--ok-rc 0,1]
#                  [--stdout FILE] -- CMD ARGS...
#       Runs CMD N times under /usr/bin/time -v (peak RSS), timing the wall
#       clock here with a monotonic clock (time's own is 10 ms coarse).
#       --clear DIR empties DIR before every run (a cold compiled cache).
#       Writes {"wall": [...], "user": [...], "sys": [...], "rss_kb": [...],
#       "rc": [...]}; exits 1 if an exit status is not in --ok-rc.
#
#   measure.py report --dir RESULTS --scale S --corpus-mb N --corpus-bytes B
#                     --threads N [--strict]
#       [--containers-mb N --containers-bytes B]
#       Reads the run files run.sh wrote and prints the comparison, the
#       target lines and a markdown table for bench/RESULTS.md; with the
#       containers options also the container section (clamscan with
#       archives and mail on, vigil -j1/-j2, the verdict-cache rescan).
#
# DESIGN
#   Medians of the repeats are reported (loads are repeated, scans usually
#   not).  Scan throughput is corpus bytes / (scan wall - load wall of the
#   same tool and cache state), i.e. scanning only; the raw figure including
#   the load is printed too.  Without /usr/bin/time the peak RSS comes from
#   wait4()'s rusage, which is the same number on Linux.
#
# Python 3 standard library only, like the rest of bench/engine.

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TIME = "/usr/bin/time"


def run_once(cmd, stdout_path):
    tf = tempfile.NamedTemporaryFile(prefix="measure.", delete=False)
    tf.close()
    use_time = os.access(TIME, os.X_OK)
    full = ([TIME, "-v", "-o", tf.name] + cmd) if use_time else cmd
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    t0 = time.monotonic()
    p = subprocess.Popen(full, stdout=out, stderr=subprocess.PIPE)
    _pid, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if stdout_path:
        out.close()
    rc = os.waitstatus_to_exitcode(status)
    rss = ru.ru_maxrss
    user, sys_ = ru.ru_utime, ru.ru_stime
    if use_time:
        with open(tf.name, errors="replace") as f:
            txt = f.read()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
        if m:
            rss = int(m.group(1))
        m = re.search(r"Exit status: (\d+)", txt)
        if m:
            rc = int(m.group(1))
        m = re.search(r"Command terminated by signal (\d+)", txt)
        if m:
            rc = 128 + int(m.group(1))
    os.unlink(tf.name)
    return {"wall": wall, "user": user, "sys": sys_, "rss_kb": rss,
            "rc": rc, "stderr": err[-2000:]}


def cmd_run(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    ok = {int(x) for x in a.ok_rc.split(",")}
    res = {"cmd": cmd, "wall": [], "user": [], "sys": [], "rss_kb": [],
           "rc": []}
    bad = None
    for _ in range(a.repeat):
        if a.clear:
            shutil.rmtree(a.clear, ignore_errors=True)
            os.makedirs(a.clear, exist_ok=True)
        r = run_once(cmd, a.stdout)
        for k in ("wall", "user", "sys", "rss_kb", "rc"):
            res[k].append(r[k])
        if r["rc"] not in ok:
            bad = r
            break
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    if bad:
        sys.stderr.write("measure: %s exited %d\n%s" % (
            " ".join(cmd), bad["rc"], bad["stderr"]))
        return 1
    return 0


def load(d, name):
    p = os.path.join(d, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        r = json.load(f)
    r["wall_med"] = statistics.median(r["wall"])
    r["cpu_med"] = statistics.median(u + s for u, s in zip(r["user"],
                                                           r["sys"]))
    r["rss_max"] = max(r["rss_kb"])
    return r


def secs(x):
    return "-" if x is None else ("%.3f s" % x if x < 10 else "%.1f s" % x)


def mib(kb):
    return "-" if kb is None else "%.1f MiB" % (kb / 1024.0)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(x):
    return "-" if x is None else "%.2fx" % x


def cmd_report(a):
    d = a.dir
    R = {n: load(d, n) for n in ("vigil_load_cold", "vigil_load_cached",
                                 "clam_load", "vigil_scan_1",
                                 "vigil_scan_n", "clam_scan",
                                 "clam_scan_default")}
    mb = a.corpus_bytes / 1e6

    def wall(n):
        return R[n]["wall_med"] if R[n] else None

    def cpu(n):
        return R[n]["cpu_med"] if R[n] else None

    def rss(n):
        return R[n]["rss_max"] if R[n] else None

    def tput(scan, load_):
        if wall(scan) is None:
            return None, None
        raw = mb / wall(scan)
        net = wall(scan) - (wall(load_) or 0)
        return (mb / net if net > 0 else raw), raw

    v1, v1raw = tput("vigil_scan_1", "vigil_load_cached")
    vn, vnraw = tput("vigil_scan_n", "vigil_load_cached")
    c1, c1raw = tput("clam_scan", "clam_load")
    cd, cdraw = tput("clam_scan_default", "clam_load")
    vpeak = rss("vigil_scan_1")
    cpeak = rss("clam_scan")
    print("")
    print("== results: scale %s, corpus %d MB (%.1f MB scanned), %d cores" % (
        a.scale, a.corpus_mb, mb, a.threads))
    rows = [
        ("database load, vigil first (compile)", secs(wall("vigil_load_cold")),
         secs(wall("clam_load")),
         fmt_ratio(ratio(wall("clam_load"), wall("vigil_load_cold")))),
        ("database load, vigil cached", secs(wall("vigil_load_cached")),
         secs(wall("clam_load")),
         fmt_ratio(ratio(wall("clam_load"), wall("vigil_load_cached")))),
        ("load CPU time, vigil cached", secs(cpu("vigil_load_cached")),
         secs(cpu("clam_load")),
         fmt_ratio(ratio(cpu("clam_load"), cpu("vigil_load_cached")))),
        ("peak RSS, load only (cached)", mib(rss("vigil_load_cached")),
         mib(rss("clam_load")),
         fmt_ratio(ratio(rss("vigil_load_cached"), rss("clam_load")))),
        ("scan MB/s, 1 thread (net of load)",
         "-" if v1 is None else "%.1f" % v1,
         "-" if c1 is None else "%.1f" % c1, fmt_ratio(ratio(v1, c1))),
        ("scan MB/s, 1 thread, clamscan defaults",
         "-" if v1 is None else "%.1f" % v1,
         "-" if cd is None else "%.1f" % cd, fmt_ratio(ratio(v1, cd))),
        ("scan MB/s, %d threads (clamscan: 1)" % a.threads,
         "-" if vn is None else "%.1f" % vn,
         "-" if c1 is None else "%.1f" % c1, fmt_ratio(ratio(vn, c1))),
        ("scan MB/s incl. load, 1 thread",
         "-" if v1raw is None else "%.1f" % v1raw,
         "-" if c1raw is None else "%.1f" % c1raw,
         fmt_ratio(ratio(v1raw, c1raw))),
        ("scan wall, 1 thread", secs(wall("vigil_scan_1")),
         secs(wall("clam_scan")),
         fmt_ratio(ratio(wall("clam_scan"), wall("vigil_scan_1")))),
        ("scan CPU time, 1 thread", secs(cpu("vigil_scan_1")),
         secs(cpu("clam_scan")),
         fmt_ratio(ratio(cpu("clam_scan"), cpu("vigil_scan_1")))),
        ("peak RSS, scan 1 thread", mib(vpeak), mib(cpeak),
         fmt_ratio(ratio(vpeak, cpeak))),
        ("peak RSS, scan %d threads" % a.threads,
         mib(rss("vigil_scan_n")), mib(cpeak),
         fmt_ratio(ratio(rss("vigil_scan_n"), cpeak))),
    ]
    w = max(len(r[0]) for r in rows)
    print("%-*s  %14s  %14s  %s" % (w, "", "vigil-scan", "clamscan",
                                    "vigil vs clamscan"))
    for r in rows:
        print("%-*s  %14s  %14s  %s" % (w, r[0], r[1], r[2], r[3]))
    print("(vigil vs clamscan: times and MB/s as 'x faster' (higher is "
          "better), RSS as vigil/clamscan (lower is better); clamscan is "
          "single-threaded)")

    targets = []

    def target(desc, val, ok):
        state = "n/a" if ok is None else ("met" if ok else "missed")
        targets.append((desc, val, state))

    r1 = ratio(v1, c1)
    rd = ratio(v1, cd)
    target("scan throughput, 1 thread >= 20x clamscan defaults",
           fmt_ratio(rd), None if rd is None else rd >= 20)
    target("(same, clamscan with its parsers off)", fmt_ratio(r1),
           None if r1 is None else r1 >= 20)
    rl = ratio(wall("clam_load"), wall("vigil_load_cached"))
    target("cached load >= 10x faster than clamscan load", fmt_ratio(rl),
           None if rl is None else rl >= 10)
    rm = ratio(vpeak, cpeak)
    target("peak memory <= 0.5x clamscan (scan, 1 thread)", fmt_ratio(rm),
           None if rm is None else rm <= 0.5)
    if a.scale == "3m":
        cl = wall("vigil_load_cached")
        target("cached load < 1 s at 3m signatures", secs(cl),
               None if cl is None else cl < 1.0)
    else:
        target("cached load < 1 s at 3m signatures",
               "(scale %s)" % a.scale, None)
    print("")
    for desc, val, state in targets:
        print("target: %-48s %-12s %s" % (desc, val, state))

    print("")
    print("| scale | corpus | metric | vigil-scan | clamscan | "
          "vigil vs clamscan |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d MB | %s | %s | %s | %s |" % (
            a.scale, a.corpus_mb, r[0], r[1], r[2], r[3]))
    for desc, val, state in targets:
        print("| %s | %d MB | target: %s | %s | | %s |" % (
            a.scale, a.corpus_mb, desc, val, state))
    if a.containers_bytes:
        targets += report_containers(a)
    missed = any(t[2] == "missed" for t in targets)
    return 1 if a.strict and missed else 0


def report_containers(a):
    """The container section; returns its target rows."""
    R = {n: load(a.dir, n) for n in (
        "cvigil_load", "cclam_load", "cvigil_scan_1", "cvigil_scan_2",
        "cclam_scan", "cvigil_ic_first", "cvigil_ic_again",
        "cvigil_icc_first", "cvigil_icc_again")}
    mb = a.containers_bytes / 1e6

    def wall(n):
        return R[n]["wall_med"] if R[n] else None

    def cpu(n):
        return R[n]["cpu_med"] if R[n] else None

    def rss(n):
        return R[n]["rss_max"] if R[n] else None

    def tput(scan, load_):
        if wall(scan) is None:
            return None
        net = wall(scan) - (wall(load_) or 0)
        return mb / net if net > 0 else mb / wall(scan)

    def f1(x):
        return "-" if x is None else "%.1f" % x

    v1 = tput("cvigil_scan_1", "cvigil_load")
    v2 = tput("cvigil_scan_2", "cvigil_load")
    c1 = tput("cclam_scan", "cclam_load")
    print("")
    print("== containers: scale %s, %d MB of members in %.1f MB of files; "
          "clamscan with archives and mail on" % (a.scale, a.containers_mb,
                                                  mb))
    rows = [
        ("containers: scan MB/s, 1 thread (net of load)", f1(v1), f1(c1),
         fmt_ratio(ratio(v1, c1))),
        ("containers: scan MB/s, vigil 2 threads", f1(v2), f1(c1),
         fmt_ratio(ratio(v2, c1))),
        ("containers: scan wall, 1 thread", secs(wall("cvigil_scan_1")),
         secs(wall("cclam_scan")),
         fmt_ratio(ratio(wall("cclam_scan"), wall("cvigil_scan_1")))),
        ("containers: scan CPU time, 1 thread", secs(cpu("cvigil_scan_1")),
         secs(cpu("cclam_scan")),
         fmt_ratio(ratio(cpu("cclam_scan"), cpu("cvigil_scan_1")))),
        ("containers: scan wall, vigil 2 threads",
         secs(wall("cvigil_scan_2")), "", ""),
        ("containers: peak RSS, scan 1 thread", mib(rss("cvigil_scan_1")),
         mib(rss("cclam_scan")),
         fmt_ratio(ratio(rss("cvigil_scan_1"), rss("cclam_scan")))),
        ("verdict cache: first scan (empty cache dir)",
         secs(wall("cvigil_ic_first")), "", ""),
        ("verdict cache: same scan again", secs(wall("cvigil_ic_again")),
         "", ""),
        ("verdict cache, clean files: first scan",
         secs(wall("cvigil_icc_first")), "", ""),
        ("verdict cache, clean files: again",
         secs(wall("cvigil_icc_again")), "", ""),
    ]
    w = max(len(r[0]) for r in rows)
    print("%-*s  %14s  %14s  %s" % (w, "", "vigil-scan", "clamscan",
                                    "vigil vs clamscan"))
    for r in rows:
        print("%-*s  %14s  %14s  %s" % (w, r[0], r[1], r[2], r[3]))
    targets = []

    def target(desc, val, ok):
        state = "n/a" if ok is None else ("met" if ok else "missed")
        targets.append((desc, val, state))

    target("containers: vigil -j1 vs clamscan (archives, mail on)",
           fmt_ratio(ratio(v1, c1)), None)
    r2 = ratio(wall("cvigil_scan_1"), wall("cvigil_scan_2"))
    target("containers: vigil -j2 >= 1.8x its -j1", fmt_ratio(r2),
           None if r2 is None else r2 >= 1.8)
    ri = ratio(wall("cvigil_ic_first"), wall("cvigil_ic_again"))
    target("verdict-cache rescan >= 20x faster than first scan",
           fmt_ratio(ri), None if ri is None else ri >= 20)
    rk = ratio(wall("cvigil_icc_first"), wall("cvigil_icc_again"))
    target("(same, the clean files only)", fmt_ratio(rk), None)
    print("")
    for desc, val, state in targets:
        print("target: %-52s %-12s %s" % (desc, val, state))
    print("")
    print("| scale | containers | metric | vigil-scan | clamscan | "
          "vigil vs clamscan |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d MB | %s | %s | %s | %s |" % (
            a.scale, a.containers_mb, r[0], r[1], r[2], r[3]))
    for desc, val, state in targets:
        print("| %s | %d MB | target: %s | %s | | %s |" % (
            a.scale, a.containers_mb, desc, val, state))
    return targets


def main(argv):
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="sub", required=True)
    r = sp.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--repeat", type=int, default=1)
    r.add_argument("--clear")
    r.add_argument("--ok-rc", default="0,1")
    r.add_argument("--stdout")
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    p = sp.add_parser("report")
    p.add_argument("--dir", required=True)
    p.add_argument("--scale", required=True)
    p.add_argument("--corpus-mb", type=int, required=True)
    p.add_argument("--corpus-bytes", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--strict", action="store_true")
    p.add_argument("--containers-mb", type=int, default=0)
    p.add_argument("--containers-bytes", type=int, default=0)
    a = ap.parse_args(argv)
    return cmd_run(a) if a.sub == "run" else cmd_report(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
