#!/usr/bin/env python3
# mkv2.py - version 2 of a generated database for bench/update/run.sh
#
#   mkv2.py --src DIR --out DIR --pct P [--seed S] --probe FILE --json FILE
#       OUT: a copy of SRC's database files with P % of their lines
#       replaced; PROBE: a sample only one of the replaced lines detects;
#       JSON: line counts, changes per file, the probe's signature name.
#
# DESIGN
#   Honest about where changes fall: the lines to replace are a uniform
#   random sample (random.Random.sample, seeded from --seed, the line count
#   and P) of the lines of all the database's files taken together, so each
#   file gets changes in proportion to its size and at random places, never
#   appended at the end.  A replaced line becomes a new random signature of
#   the same kind made with bench/engine/gen.py's own generators (MD5 for
#   .hdb; SHA-1, SHA-256 or "*"-size SHA-256 for .hsb, as the old line was;
#   rand_ndb, rand_ldb; allow-list and ignore lines), named by a gen.py
#   Namer whose ids start far above the generator's, so no name repeats.
#   The first replaced .hdb line (else .hsb) is instead the hash of a 4 KiB
#   sample of random bytes, written to --probe, under a name no default
#   setting leaves out (no PUA., no Heuristics.): a scanner finds the sample
#   exactly when it has loaded version 2.  Kept apart from upd.py because
#   run.sh caches the output under this file's hash.
#
# Python 3 standard library only, as bench/engine/gen.py.

import argparse
import hashlib
import importlib.util
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "engine", "gen.py")
EXTS = ("hdb", "hsb", "ndb", "ldb", "fp", "sfp", "ign2")


def load_gen():
    """bench/engine/gen.py as a module (its signature generators)."""
    sys.dont_write_bytecode = True      # no __pycache__ in the tree
    spec = importlib.util.spec_from_file_location("bench_gen", GEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def db_files(src):
    """The database files of src, sorted (gen.py's bookkeeping left out)."""
    return sorted(n for n in os.listdir(src)
                  if not n.startswith(".") and n.rsplit(".", 1)[-1] in EXTS)


def new_line(g, rng, namer, ext, old):
    """A new random signature of the kind of old, in file type ext."""
    if ext == "hdb":
        return "%032x:%d:%s" % (rng.getrandbits(128), g.rand_size(rng),
                                namer.random())
    if ext == "hsb":
        f = old.split(":")
        if len(f) > 1 and f[1] == "*":
            return "%064x:*:%s:73" % (rng.getrandbits(256), namer.random())
        if len(f[0]) == 40:
            return "%040x:%d:%s" % (rng.getrandbits(160), g.rand_size(rng),
                                    namer.random())
        return "%064x:%d:%s" % (rng.getrandbits(256), g.rand_size(rng),
                                namer.random())
    if ext == "ndb":
        return g.rand_ndb(rng, namer)
    if ext == "ldb":
        return g.rand_ldb(rng, namer)
    if ext == "fp":
        return "%032x:%d:Allow.Random-%d" % (
            rng.getrandbits(128), g.rand_size(rng), namer.take_id())
    if ext == "sfp":
        return "%064x:%d:Allow.Random-%d" % (
            rng.getrandbits(256), g.rand_size(rng), namer.take_id())
    return namer.random()        # ign2


def probe_line(rng, namer, ext, old, sample):
    """A hash signature of the kind of old that detects sample, under a
    name no default setting leaves out (no PUA., no Heuristics.)."""
    while True:
        name = namer.random()
        if not name.startswith(("PUA.", "Heuristics.")):
            break
    if ext == "hdb":
        return "%s:%d:%s" % (hashlib.md5(sample).hexdigest(), len(sample),
                             name)
    f = old.split(":")
    if len(f) > 1 and f[1] == "*":
        return "%s:*:%s:73" % (hashlib.sha256(sample).hexdigest(), name)
    h = hashlib.sha1 if len(f[0]) == 40 else hashlib.sha256
    return "%s:%d:%s" % (h(sample).hexdigest(), len(sample), name)


def cmd_v2(a):
    g = load_gen()
    names = db_files(a.src)
    counts = []
    for n in names:
        with open(os.path.join(a.src, n), "rb") as f:
            d = f.read()
        counts.append(d.count(b"\n") + (0 if d.endswith(b"\n") or not d
                                        else 1))
    total = sum(counts)
    k = max(1, round(total * a.pct / 100.0))
    rng = random.Random("update-v2:%d:%d:%r" % (a.seed, total, a.pct))
    chosen = sorted(rng.sample(range(total), k))
    namer = g.Namer(rng, 900000000)
    os.makedirs(a.out, exist_ok=True)
    for old in os.listdir(a.out):
        os.unlink(os.path.join(a.out, old))
    sample = b"vigil update probe\n" + rng.randbytes(4096 - 19)
    probe = None
    per_file = {}
    base = 0
    j = 0
    # the probe: the first chosen line in an .hdb file, else in an .hsb
    starts = {}
    for n, c in zip(names, counts):
        starts[n] = (base, base + c)
        base += c
    for ext in ("hdb", "hsb"):
        for n in names:
            if probe is None and n.endswith("." + ext):
                lo, hi = starts[n]
                for i in chosen:
                    if lo <= i < hi:
                        probe = i
                        break
    if probe is None:
        print("mkv2.py: no .hdb or .hsb line among the %d changed; raise "
              "--changed-pct" % k, file=sys.stderr)
        return 2
    probe_name = None
    for n, c in zip(names, counts):
        ext = n.rsplit(".", 1)[-1]
        lo, hi = starts[n]
        with open(os.path.join(a.src, n), "r") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        changed = 0
        while j < len(chosen) and chosen[j] < hi:
            i = chosen[j] - lo
            if chosen[j] == probe:
                lines[i] = probe_line(rng, namer, ext, lines[i], sample)
                probe_name = lines[i].split(":")[2]
            else:
                lines[i] = new_line(g, rng, namer, ext, lines[i])
            changed += 1
            j += 1
        with open(os.path.join(a.out, n), "w") as f:
            f.write("".join(x + "\n" for x in lines))
        per_file[n] = {"lines": c, "changed": changed}
    with open(a.probe, "wb") as f:
        f.write(sample)
    with open(a.json, "w") as f:
        json.dump({"lines": total, "changed": k, "pct": a.pct,
                   "seed": a.seed, "probe_name": probe_name,
                   "files": per_file}, f, indent=1, sort_keys=True)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description="version 2 of a database")
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pct", type=float, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--probe", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args(argv)
    if not 0 < a.pct <= 100:
        ap.error("--pct must be in (0, 100]")
    return cmd_v2(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
