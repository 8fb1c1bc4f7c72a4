#!/usr/bin/env python3
"""manifest.py - an independent reader of vigil's package format, for the
vigil-update scenarios: it checks what vigil-dbtool writes against the
spec with other tools (hashlib, the zstd CLI, openssl), so the tests do not
trust vigil's own code to judge vigil's own output.

  manifest.py keyid PUBLIC                 the key id of a public key file
  manifest.py check MIRROR PUBLIC          every rule of the manifest format,
                                           the Ed25519 signature (openssl),
                                           every object and delta (zstd CLI)
  manifest.py install MIRROR DIR           DIR: an installed version made by
                                           hand (files decompressed + manifest)
"""
import base64
import hashlib
import os
import re
import subprocess
import sys
import tempfile

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\Z")
HEX = re.compile(r"[0-9a-f]{64}\Z")
NUM = re.compile(r"(0|[1-9][0-9]*)\Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


def pubkey(path):
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        tag, b64 = line.split(" ")
        assert tag == "vigil-ed25519-public", tag
        k = base64.b64decode(b64, validate=True)
        assert len(k) == 32
        return k
    raise ValueError("no key")


def keyid(k):
    return hashlib.blake2b(k, digest_size=16).hexdigest()[:16]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def zstd(args, inp=None):
    return subprocess.run(["zstd", "-q", "-d", "-c"] + args, input=inp,
                          capture_output=True, check=True).stdout


def parse(text):
    """The manifest as (version, date, files {name: (size, sha, zsize,
    zsha, [deltas])}, signed bytes, keyid, signature); asserts the rules."""
    raw = text.encode() if isinstance(text, str) else text
    assert raw.endswith(b"\n"), "no final newline"
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert lines[0] == "vigil-manifest 1", "line 1"
    v = lines[1].split(" ")
    assert v[0] == "version" and len(v) == 2 and NUM.match(v[1]) \
        and 0 < int(v[1]) < 2**63, "line 2"
    d = lines[2].split(" ")
    assert d[0] == "date" and len(d) == 2 and DATE.match(d[1]), "line 3"
    files, last = {}, None
    for n, line in enumerate(lines[3:-1], 4):
        f = line.split(" ")
        if f[0] == "file":
            assert len(f) == 6 and NAME.match(f[1]) and f[1] not in files, n
            assert NUM.match(f[2]) and NUM.match(f[4]), n
            assert HEX.match(f[3]) and HEX.match(f[5]), n
            files[f[1]] = (int(f[2]), f[3], int(f[4]), f[5], [])
            last = f[1]
        elif f[0] == "delta":
            assert len(f) == 5 and f[1] == last, n
            assert HEX.match(f[2]) and f[2] != files[last][1], n
            assert NUM.match(f[3]) and HEX.match(f[4]), n
            files[last][4].append((f[2], int(f[3]), f[4]))
            assert len(files[last][4]) <= 16, n
        else:
            raise AssertionError("line %d: %s" % (n, f[0]))
    s = lines[-1].split(" ")
    assert s[0] == "signature" and len(s) == 4 and s[1] == "ed25519", "sig"
    assert re.match(r"[0-9a-f]{16}\Z", s[2]), "keyid"
    signed = raw[: raw.rindex(b"\nsignature ") + 1]
    return int(v[1]), d[1], files, signed, s[2], base64.b64decode(s[3])


def sigok(signed, sig, k):
    der = bytes.fromhex("302a300506032b6570032100") + k
    pem = ("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n"
           % base64.b64encode(der).decode())
    with tempfile.TemporaryDirectory() as t:
        for name, data in (("m", signed), ("s", sig), ("k.pem", pem.encode())):
            open(os.path.join(t, name), "wb").write(data)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin",
                            "-inkey", t + "/k.pem", "-rawin", "-in", t + "/m",
                            "-sigfile", t + "/s"], capture_output=True)
        return r.returncode == 0


def content_by_sha(mirror, want):
    p = os.path.join(mirror, "objects", want + ".zst")
    return zstd([p]) if os.path.exists(p) else None


def check(mirror, pub):
    k = pubkey(pub)
    raw = open(os.path.join(mirror, "vigil.manifest"), "rb").read()
    ver, _, files, signed, kid, sig = parse(raw)
    assert kid == keyid(k), "key id %s, expected %s" % (kid, keyid(k))
    assert len(sig) == 64 and sigok(signed, sig, k), "signature"
    hist = open(os.path.join(mirror, "manifests", "%d.manifest" % ver),
                "rb").read()
    assert hist == raw, "manifests/%d.manifest differs" % ver
    ndeltas = 0
    for name, (size, h, zsize, zh, deltas) in files.items():
        zb = open(os.path.join(mirror, "objects", h + ".zst"), "rb").read()
        assert len(zb) == zsize and sha(zb) == zh, name + ": object"
        b = zstd([], zb)
        assert len(b) == size and sha(b) == h, name + ": content"
        for frm, dz, dzh in deltas:
            p = os.path.join(mirror, "deltas", "%s-%s.zst" % (frm, h))
            db = open(p, "rb").read()
            assert len(db) == dz and sha(db) == dzh, name + ": delta"
            old = content_by_sha(mirror, frm)
            assert old is not None, name + ": delta base missing"
            with tempfile.NamedTemporaryFile() as o:
                o.write(old)
                o.flush()
                nb = zstd(["--patch-from=" + o.name, p])
            assert sha(nb) == h, name + ": delta does not rebuild the file"
            ndeltas += 1
    print("ok version %d, %d files, %d deltas" % (ver, len(files), ndeltas))


def install(mirror, d):
    raw = open(os.path.join(mirror, "vigil.manifest"), "rb").read()
    _, _, files, _, _, _ = parse(raw)
    os.makedirs(d)
    for name, (size, h, _, _, _) in files.items():
        open(os.path.join(d, name), "wb").write(content_by_sha(mirror, h))
    open(os.path.join(d, "vigil.manifest"), "wb").write(raw)


def main():
    cmd = sys.argv[1]
    try:
        if cmd == "keyid":
            print(keyid(pubkey(sys.argv[2])))
        elif cmd == "check":
            check(sys.argv[2], sys.argv[3])
        elif cmd == "install":
            install(sys.argv[2], sys.argv[3])
        else:
            sys.exit("usage: manifest.py keyid|check|install ...")
    except (AssertionError, ValueError, OSError, KeyError, IndexError,
            subprocess.CalledProcessError) as e:
        print("manifest.py %s: %s" % (cmd, e or type(e).__name__))
        sys.exit(1)


if __name__ == "__main__":
    main()
