#!/usr/bin/env python3
# diffscan.py - compare clamscan and vigil-scan verdicts on a generated corpus
#
#   diffscan.py --manifest DIR/manifest.json --clamscan CLAM.out
#               [--vigil VIGIL.out] [--vigil-format text|json] [--root DIR]
#
# Reads clamscan's "PATH: NAME FOUND" / "PATH: OK" lines and vigil-scan's
# output (the same text form, or --json objects), then checks per corpus
# file (per top-level file of a container corpus, see --root):
#   1. clamscan agrees with the manifest: every planted detection is found
#      with its name, every near miss and every unplanted file is clean.
#      A failure here means the generator (or clamscan) is wrong.
#   2. vigil-scan agrees with clamscan: same verdict, same threat name.
# Prints a table of disagreements and "differential: N files, N agree,
# N disagree"; exits 1 if either check fails, 0 otherwise.
#
# DESIGN
#   Names are compared after dropping the ".UNOFFICIAL" suffix clamscan
#   appends to signatures from unsigned databases.  Files are keyed by base
#   name (the corpus is flat).  A file missing from a scanner's output counts
#   as a disagreement ("missing"), as does an error line.
#
#   Containers (--root DIR, the corpus' files directory): clamscan names
#   only the top-level file, vigil-scan's text form names the member
#   ("DIR/a.tar.gz/x.zip/y: NAME FOUND"), so every line is keyed by its
#   first path component under DIR.  A top-level file is INFECTED (with the
#   first name reported for it) if any line says FOUND, else it takes the
#   first CORRUPTED/PROTECTED/ERROR/... status, else it is clean when an OK
#   line names it (vigil-scan needs --show-ok).  The generated containers
#   are well-formed, so such a status is a disagreement too.
#
# Python 3 standard library only, like the rest of bench/engine.

import argparse
import json
import os
import re
import sys

FOUND = re.compile(r"^(.*): (\S+) FOUND$")
OK = re.compile(r"^(.*): OK$")
ERR = re.compile(r"^(.*): (.*) ERROR$")
STATUS = re.compile(r"^(.*): (.*) (ERROR|CORRUPTED|PROTECTED|SUSPICIOUS|"
                    r"WARNING)$")


def norm(name):
    if name and name.endswith(".UNOFFICIAL"):
        return name[:-len(".UNOFFICIAL")]
    return name


def parse_text(path):
    """basename -> ("INFECTED", name) | ("CLEAN", None) | ("ERROR", msg)"""
    out = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = FOUND.match(line)
            if m:
                key = os.path.basename(m.group(1))
                # keep the first detection of a file (clamscan default)
                out.setdefault(key, ("INFECTED", norm(m.group(2))))
                continue
            m = OK.match(line)
            if m:
                out.setdefault(os.path.basename(m.group(1)), ("CLEAN", None))
                continue
            m = ERR.match(line)
            if m:
                out.setdefault(os.path.basename(m.group(1)),
                               ("ERROR", m.group(2)))
    return out


def top_key(path, root):
    """The top-level file a reported path belongs to."""
    if path.startswith(root):
        rest = path[len(root):].lstrip("/")
        if rest:
            return rest.split("/", 1)[0]
    return os.path.basename(path)


def parse_tree(path, root):
    """Container corpus: top-level name -> verdict (see DESIGN)."""
    root = os.path.abspath(root).rstrip("/") + "/"
    found, status, ok = {}, {}, set()
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = FOUND.match(line)
            if m:
                found.setdefault(top_key(m.group(1), root),
                                 ("INFECTED", norm(m.group(2))))
                continue
            m = OK.match(line)
            if m:
                ok.add(top_key(m.group(1), root))
                continue
            m = STATUS.match(line)
            if m:
                status.setdefault(top_key(m.group(1), root),
                                  ("ERROR", "%s %s" % (m.group(3),
                                                       m.group(2))))
    out = {k: ("CLEAN", None) for k in ok}
    out.update(status)
    out.update(found)
    return out


def parse_json(path):
    out = {}
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                o = json.loads(line)
            except ValueError:
                print("diffscan: %s:%d: bad JSON" % (path, n),
                      file=sys.stderr)
                continue
            key = os.path.basename(str(o.get("path", "")))
            st = str(o.get("status", "")).upper()
            if st == "INFECTED":
                out.setdefault(key, ("INFECTED", norm(o.get("threat"))))
            elif st in ("CLEAN", "OK"):
                out.setdefault(key, ("CLEAN", None))
            else:
                out.setdefault(key, ("ERROR", st or "?"))
    return out


def show(v):
    if v is None:
        return "missing"
    if v[0] == "INFECTED":
        return v[1]
    if v[0] == "ERROR":
        return "ERROR " + str(v[1])
    return "clean"


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--clamscan", required=True)
    ap.add_argument("--vigil")
    ap.add_argument("--vigil-format", choices=("text", "json"),
                    default="text")
    ap.add_argument("--root", help="container corpus: key lines by their "
                    "top-level file under this directory")
    a = ap.parse_args(argv)
    with open(a.manifest) as f:
        man = json.load(f)
    names = [e["name"] for e in man["files"]]
    feature = {p["file"]: p["feature"] for p in man["plants"]}
    for p in man["plants"]:
        if p.get("member"):     # container corpus: say where it sits
            feature[p["file"]] = "%s@%s" % (p["feature"], p["member"])
    expected = man["expected"]
    clam = parse_tree(a.clamscan, a.root) if a.root else \
        parse_text(a.clamscan)

    gen_bad = []
    for n in names:
        want = expected.get(n)
        got = clam.get(n)
        want_v = ("INFECTED", want) if want else ("CLEAN", None)
        if got != want_v:
            gen_bad.append((n, feature.get(n, "-"), show(want_v), show(got)))
    if gen_bad:
        print("clamscan disagrees with the generator's manifest "
              "(generator or clamscan setup is wrong):")
        print("  %-44s %-26s %-40s %s" % ("file", "feature", "expected",
                                          "clamscan"))
        for row in gen_bad:
            print("  %-44s %-26s %-40s %s" % row)
    nplant = sum(1 for p in man["plants"] if p["expect"] == "INFECTED")
    found = sum(1 for n in names if expected.get(n) and
                clam.get(n) == ("INFECTED", expected[n]))
    print("clamscan: %d/%d planted detections found, %d near misses, "
          "%d files disagree with the manifest" % (
              found, nplant, len(man["plants"]) - nplant, len(gen_bad)))

    if not a.vigil:
        return 1 if gen_bad else 0
    if a.vigil_format == "json":
        vig = parse_json(a.vigil)
    elif a.root:
        vig = parse_tree(a.vigil, a.root)
    else:
        vig = parse_text(a.vigil)
    rows = []
    for n in names:
        c, v = clam.get(n), vig.get(n)
        if c != v:
            rows.append((n, feature.get(n, "-"), show(c), show(v)))
    if rows:
        print("disagreements (clamscan vs vigil-scan):")
        print("  %-44s %-26s %-40s %s" % ("file", "feature", "clamscan",
                                          "vigil-scan"))
        for row in rows:
            print("  %-44s %-26s %-40s %s" % row)
    print("differential: %d files, %d agree, %d disagree" % (
        len(names), len(names) - len(rows), len(rows)))
    return 1 if rows or gen_bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
