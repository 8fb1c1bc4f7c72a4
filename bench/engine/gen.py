#!/usr/bin/env python3
# gen.py - deterministic benchmark corpus and ClamAV-format database generator
#
# Three sub-commands:
#
#   gen.py corpus --out DIR --size-mb N [--seed S]
#       Copies real files of this machine into DIR/files/ (ELF executables and
#       libraries, text, gzip'ed docs, images, message catalogues, ...), adds
#       a few synthetic PE32 files, then plants detections into some of the
#       copies and writes DIR/manifest.json.
#
#   gen.py containers --out DIR --size-mb N [--seed S]
#       The same copies and plants (N MB of members, gzip'ed docs left out),
#       packed into zip/tar/cpio archives, gzip/bzip2/xz streams, nests of
#       those, mail (.eml) with base64, quoted-printable and uuencoded
#       attachments, nested message/rfc822 and mbox files; one planted
#       member at most per top-level file.  Same manifest shape, keyed by
#       top-level file, each plant also saying its member path and chain.
#
#   gen.py db --out DBDIR --scale 10k|300k|3m --corpus DIR [--seed S]
#       Writes a ClamAV-shaped database: .hdb .hsb .ndb .ldb .fp .sfp .ign2,
#       mostly random signatures that never hit, plus the planted signatures
#       recorded in the corpus manifest.
#
# DESIGN
#   Determinism: every random choice comes from random.Random seeded with a
#   string built from --seed and the sub-command's parameters; files are
#   enumerated in sorted order.  The same seed on the same machine yields
#   byte-identical output.  The corpus depends on the machine (it copies
#   /usr), the database depends only on the seed, the scale and the corpus
#   manifest.
#
#   Planting: each planted file carries exactly one signature's match, so
#   the scanner's first (and only) detection is known in advance and the
#   names can be compared without --allmatch.  Every planted signature is
#   built from fresh random bytes and the file copy is then overwritten (in
#   place: sizes and headers do not move) with bytes realizing the pattern
#   at an offset that satisfies the signature's offset form.  Positions for
#   ELF/PE-relative offsets (EP, Sx, SL, SEx) are computed the way libclamav
#   computes them: the ELF entry point is mapped through the first program
#   header whose [p_vaddr, p_vaddr+p_memsz) holds it, ELF "sections" are the
#   section headers (index 0 is the null section), PE sections are the
#   section table.  Headers and header tables are never overwritten.
#   Negative plants (expect CLEAN) check that near misses stay clean: off by
#   one offsets, a gap one byte too long, counts violated, wrong target type,
#   a hash with the wrong size, an allow-listed file, an ignored signature.
#
#   Random signatures: every random body signature has at least one run of
#   >= 8 random literal bytes (and each wildcard-separated part >= 4), so the
#   chance that one matches real data is about corpus_bytes / 2^64 per
#   signature.  Random hashes never collide.
#
#   Corpus filter: files ClamAV would type as something it normalizes or
#   unpacks (HTML/XML, mail, archives, OLE2, PDF, RTF, SWF, Mach-O/Java,
#   partition images, ...) are skipped, so a plain byte scanner and clamscan
#   with parsers off see the same bytes.
#
#   Containers: each layer is written with fixed times and names; a plant
#   only goes where both scanners see the member's exact bytes (never in a
#   mail text body, which libclamav normalises; size- or digest-bound plants
#   never quoted-printable, whose libclamav decoding adds a newline), and
#   allow-listed members only where no enclosing layer exposes them raw
#   (CHAINS, NEEDS_SAFE, SIZE_BOUND below).  PE files are synthesized (a Linux
#   machine has few) so the PE offset forms are covered on every machine.
#
# Python 3 standard library only, on purpose: the benchmark must run on a
# bare CI image.

import argparse
import base64
import binascii
import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import random
import re
import struct
import sys
import tarfile
import zipfile

MB = 1 << 20
GEN_VERSION = 3

# ---------------------------------------------------------------- names

PLATFORM_FAMILIES = [
    ("Win", "Trojan", ["Agent", "Zusy", "Emotet", "Razy", "Ursnif",
                       "Generic"]),
    ("Win", "Malware", ["Zusy", "Bulz", "Fragtor", "Midie", "Generic"]),
    ("Win", "Downloader", ["Upatre", "Nemucod", "Agent"]),
    ("Win", "Worm", ["Allaple", "Vobfus", "Mydoom"]),
    ("Win", "Ransomware", ["Locky", "Cerber", "WannaCry"]),
    ("Unix", "Malware", ["Generic", "Agent", "Kaiji"]),
    ("Unix", "Trojan", ["Mirai", "Gafgyt", "Tsunami", "XorDDoS"]),
    ("Unix", "Exploit", ["CVE_2016_5195", "CVE_2021_4034"]),
    ("Doc", "Macro", ["Obfuscation", "Downloader"]),
    ("Js", "Trojan", ["Agent", "Nemucod"]),
    ("Andr", "Trojan", ["SmsSpy", "Joker"]),
    ("Multios", "Coinminer", ["Miner", "XMRig"]),
    ("PUA.Win", "Packer", ["UpxMod", "Themida", "Enigma"]),
    ("PUA.Win", "Adware", ["OpenCandy", "InstallCore"]),
    ("PUA.Unix", "Tool", ["Netcat", "Miner"]),
    ("Heuristics", "Win", ["Generic", "Suspicious"]),
]

PLAT_BY_TARGET = {0: None, 1: "Win", 6: "Unix"}


class Namer:
    """Unique, realistic threat names: Platform.Category.Family-ID-Rev."""

    def __init__(self, rng, first_id):
        self.rng = rng
        self.next_id = first_id

    def take_id(self):
        self.next_id += self.rng.randint(1, 3)
        return self.next_id

    def random(self, target=0):
        plat = PLAT_BY_TARGET.get(target)
        choices = [p for p in PLATFORM_FAMILIES
                   if plat is None or p[0] in (plat, "PUA." + plat)]
        p, cat, fams = self.rng.choice(choices)
        fam = self.rng.choice(fams)
        return "%s.%s.%s-%d-%d" % (p, cat, fam, self.take_id(),
                                   self.rng.choice((0, 0, 0, 1, 2)))

    def planted(self, feature, target=0):
        """A planted name says which feature it tests: easy to debug."""
        plat = {1: "Win", 6: "Unix"}.get(target, "Multios")
        fam = "".join(w.capitalize() for w in feature.split("_"))
        return "%s.Test.%s-%d-0" % (plat, fam, self.take_id())


# ------------------------------------------------------- hex patterns
#
# A body pattern is a list of tokens.  hexsig() renders the ClamAV hex form;
# realize() produces bytes that the pattern matches.

def tlit(b):
    return ("lit", bytes(b))


def rlit(rng, n):
    return ("lit", bytes(rng.getrandbits(8) for _ in range(n)))


def hexsig(tokens):
    out = []
    for t in tokens:
        k = t[0]
        if k == "lit":
            out.append(t[1].hex())
        elif k == "any":
            out.append("??")
        elif k == "hi":
            out.append("%x?" % t[1])
        elif k == "lo":
            out.append("?%x" % t[1])
        elif k == "star":
            out.append("*")
        elif k == "fix":
            out.append("{%d}" % t[1])
        elif k == "upto":
            out.append("{-%d}" % t[1])
        elif k == "atleast":
            out.append("{%d-}" % t[1])
        elif k == "range":
            out.append("{%d-%d}" % (t[1], t[2]))
        elif k == "brange":
            out.append("[%d-%d]" % (t[1], t[2]))
        elif k == "alt":
            body = "|".join(a.hex() for a in t[1])
            out.append(("!(%s)" if t[2] else "(%s)") % body)
        elif k in ("B", "L", "W"):
            out.append("(%s)" % k)
        else:
            raise ValueError(k)
    return "".join(out)


def rbytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def realize(tokens, rng, gap_override=None):
    """Bytes matched by tokens.  gap_override forces the length of the
    first variable gap (used by negative plants)."""
    out = bytearray()
    for i, t in enumerate(tokens):
        k = t[0]
        edge = i == 0 or i == len(tokens) - 1
        if k == "lit":
            out += t[1]
        elif k == "any":
            out += rbytes(rng, 1)
        elif k == "hi":
            out.append((t[1] << 4) | rng.randrange(16))
        elif k == "lo":
            out.append((rng.randrange(16) << 4) | t[1])
        elif k in ("star", "fix", "upto", "atleast", "range", "brange"):
            if k == "star":
                lo, hi = 0, 24
            elif k == "fix":
                lo, hi = t[1], t[1]
            elif k == "upto":
                lo, hi = 0, t[1]
            elif k == "atleast":
                lo, hi = t[1], t[1] + 24
            else:
                lo, hi = t[1], t[2]
            n = rng.randint(lo, hi)
            if gap_override is not None:
                n, gap_override = gap_override, None
            out += rbytes(rng, n)
        elif k == "alt":
            alts, neg = t[1], t[2]
            if not neg:
                out += rng.choice(alts)
            else:
                n = len(alts[0])
                while True:
                    b = rbytes(rng, n)
                    if b not in alts:
                        break
                out += b
        elif k == "B":
            out += b" "          # boundary[' '] allows left and right
        elif k == "L":
            out += b"\n" if edge or rng.random() < 0.5 else b"\r\n"
        elif k == "W":
            out += rng.choice([b"#", b" ", b"-", b"\x00", b"\xff", b"."])
        else:
            raise ValueError(k)
    return bytes(out)


# ---------------------------------------------------- executable parsing

def parse_elf(d):
    """ELF layout as libclamav sees it, or None if it would not parse or
    would not give EP/section offsets (big-endian, too many headers...)."""
    if len(d) < 64 or d[:4] != b"\x7fELF" or d[5] != 1:
        return None
    if d[4] == 2:
        (etype, _m, _v, entry, phoff, shoff, _f, ehsize, phentsize, phnum,
         shentsize, shnum, _x) = struct.unpack_from("<HHIQQQIHHHHHH", d, 16)
        phfmt, phsz, shfmt, shsz = "<IIQQQQQQ", 56, "<IIQQQQIIQQ", 64
    elif d[4] == 1:
        (etype, _m, _v, entry, phoff, shoff, _f, ehsize, phentsize, phnum,
         shentsize, shnum, _x) = struct.unpack_from("<HHIIIIIHHHHHH", d, 16)
        phfmt, phsz, shfmt, shsz = "<IIIIIIII", 32, "<IIIIIIIIII", 40
    else:
        return None
    if phnum > 128 or shnum == 0 or shnum > 256 or shentsize != shsz:
        return None
    if shoff + shnum * shsz > len(d):
        return None
    ep = 0
    if phnum and entry:
        if phentsize != phsz or phoff + phnum * phsz > len(d):
            return None
        ep = None
        for i in range(phnum):
            f = struct.unpack_from(phfmt, d, phoff + i * phsz)
            if phsz == 56:
                p_off, p_vaddr, p_memsz = f[2], f[3], f[6]
            else:
                p_off, p_vaddr, p_memsz = f[1], f[2], f[5]
            if p_vaddr <= entry < p_vaddr + p_memsz:
                ep = entry - p_vaddr + p_off
                break
        if ep is None:
            return None
    secs = []
    for i in range(shnum):
        f = struct.unpack_from(shfmt, d, shoff + i * shsz)
        # (type, flags, offset, size)
        secs.append((f[1], f[2], f[4], f[5]))
    hdr_end = max(ehsize, 64, phoff + phnum * phentsize if phnum else 0)
    return {"ep": ep, "entry": entry, "sections": secs, "shoff": shoff,
            "shtab_end": shoff + shnum * shsz, "hdr_end": hdr_end,
            "etype": etype}


def synth_pe(rng):
    """A small, well-formed PE32 console executable.  Returns (bytes, info)
    where info has ep (file offset) and sections [(raw, rawsize)]."""
    falign, salign, hdrsize = 0x200, 0x1000, 0x400
    names = [b".text", b".rdata", b".data", b".rsrc", b".reloc"]
    nsec = rng.randint(3, 5)
    secs, raw, va = [], hdrsize, 0x1000
    for i in range(nsec):
        rsz = falign * rng.randint(16 if i == 0 else 2, 80 if i == 0 else 24)
        vsz = rsz - rng.randrange(0, falign)
        secs.append((names[i], va, vsz, raw, rsz))
        raw += rsz
        va += (vsz + salign - 1) // salign * salign
    text = secs[0]
    ep_rva = text[1] + 16 * rng.randint(8, (text[4] - 0x180) // 16)
    out = bytearray(raw)
    dos = bytearray(0x80)
    struct.pack_into("<2sHHHHHHHHHHHHH", dos, 0, b"MZ", 0x90, 3, 0, 4, 0,
                     0xffff, 0, 0xb8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", dos, 0x3c, 0x80)
    dos[0x40:0x40 + 14] = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c" \
        b"\xcd\x21"
    msg = b"This program cannot be run in DOS mode.\r\r\n$"
    dos[0x4e:0x4e + len(msg)] = msg
    out[0:0x80] = dos
    code = sum(s[4] for s in secs[:1])
    idata = sum(s[4] for s in secs[1:])
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x14c, nsec,
                       0x5a000000 + rng.getrandbits(24), 0, 0, 0xe0, 0x0102)
    opt = struct.pack("<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII", 0x10b, 14, 0, code,
                      idata, 0, ep_rva, text[1], secs[1][1], 0x400000,
                      salign, falign, 6, 0, 0, 0, 6, 0, 0, va, hdrsize, 0, 3,
                      0x8140, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    opt += b"\0" * 128
    pos = 0x80
    out[pos:pos + len(coff)] = coff
    pos += len(coff)
    out[pos:pos + len(opt)] = opt
    pos += len(opt)
    chars = [0x60000020, 0x40000040, 0xc0000040, 0x40000040, 0x42000040]
    for i, (nm, sva, vsz, sraw, rsz) in enumerate(secs):
        out[pos:pos + 40] = struct.pack("<8sIIIIIIHHI", nm, vsz, sva, rsz,
                                        sraw, 0, 0, 0, 0, chars[i])
        pos += 40
    for i, (nm, sva, vsz, sraw, rsz) in enumerate(secs):
        if i == 0:
            # code-ish: random bytes sprinkled with prologues and calls
            blob = bytearray(rbytes(rng, rsz))
            for j in range(0, rsz - 8, 64):
                blob[j:j + 3] = b"\x55\x8b\xec"
        elif nm == b".rdata":
            words = [b"kernel32.dll", b"GetProcAddress", b"LoadLibraryA",
                     b"VirtualAlloc", b"%s\\%s", b"Software\\Microsoft"]
            blob = bytearray()
            while len(blob) < rsz:
                blob += rng.choice(words) + b"\0"
            blob = blob[:rsz]
        else:
            blob = bytearray(rsz)
            for j in range(0, rsz, 16):
                if rng.random() < 0.3:
                    blob[j:j + 16] = rbytes(rng, 16)
        out[sraw:sraw + rsz] = blob
    ep = ep_rva - text[1] + text[3]
    info = {"ep": ep, "sections": [(s[3], s[4]) for s in secs]}
    return bytes(out), info


# ------------------------------------------------------------- corpus

ROOTS = ["/usr/bin", "/usr/sbin", "/usr/libexec", "/usr/lib/x86_64-linux-gnu",
         "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/share/doc",
         "/usr/share/man", "/usr/share/icons", "/usr/share/pixmaps",
         "/usr/share/fonts", "/usr/share/locale", "/usr/share/perl5",
         "/usr/lib/python3", "/usr/include", "/usr/share/zoneinfo"]

# byte share of each category in the corpus
SHARES = [("exe", 0.30), ("lib", 0.30), ("text", 0.12), ("gz", 0.10),
          ("image", 0.08), ("other", 0.10)]

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".tif",
             ".tiff", ".xpm")
TEXT_EXT = (".txt", ".h", ".hpp", ".c", ".py", ".pl", ".pm", ".md", ".rst",
            ".sh", ".conf", ".cfg", ".ini", ".json", ".yaml", ".yml")

# Start-of-file magics of formats libclamav parses or unpacks (or that a
# plain scanner could type differently): skipped.
BAD_MAGIC = [b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf",
             b"MSCF", b"\xd0\xcf\x11\xe0", b"{\\rtf", b"CWS", b"FWS",
             b"ZWS", b"!<arch>", b"BZh", b"\xfd7zXZ", b"\xca\xfe\xba\xbe",
             b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
             b"RIFF", b"ITSF", b"MZ", b"From ", b"070707", b"070701",
             b"070702", b"\xc7\x71", b"\x71\xc7", b"SZDD", b"KWAJ", b"AU3!",
             b"#@~^", b"\x28\xb5\x2f\xfd", b"LZIP", b"EGGA", b"ALZ\x01",
             b"\x1f\x9d", b"\x1f\xa0", b"%!PS", b"\xd7\xcd\xc6\x9a",
             b"\x00\x00\x01\x00", b"OneNote", b"HWP Document", b"dex\n",
             b"\x7fELF\x01\x02", b"\x7fELF\x02\x02", b"begin ", b"xar!",
             b"hsqs", b"sqsh", b"\x89HDF", b"ustar", b"\x00asm"]

# Anywhere in the file: embedded containers and document formats.
BAD_ANYWHERE = [b"PK\x03\x04", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c",
                b"MSCF\x00\x00\x00\x00", b"%PDF-",
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"{\\rtf", b"AU3!EA06",
                b"(This file must be converted with BinHex", b"#@~^",
                b"\r\nbegin 6", b"\nbegin 6"]

# HTML/XML-ish (case-insensitive); the short list applies to binaries.
HTML_STRONG = [b"<html", b"<?xml", b"<!doctype", b"<script", b"<iframe",
               b"<svg", b"<frameset", b"<body", b"<head"]
HTML_TEXT = HTML_STRONG + [b"<a href", b"<img", b"<meta", b"<form",
                           b"<object", b"<embed", b"<title", b"<style",
                           b"<div", b"<table", b"<p>", b"<br", b"<link",
                           b"<input", b"<font", b"<td", b"<tr", b"<span",
                           b"<applet", b"<center", b"<xml", b"<xsl",
                           b"&#", b"&lt;", b"%3c", b"\\u003c"]
MAIL_HDR = re.compile(rb"(?im)^(received|return-path|delivered-to|x-mailer|"
                      rb"message-id|mime-version|content-type|reply-to|"
                      rb"x-originating-ip|from|to|subject|date):")


def is_text(d):
    head = d[:8192]
    if b"\0" in head:
        return False
    bad = sum(1 for c in head if c < 9 or (13 < c < 32))
    return bad * 50 < max(1, len(head))


def rejected(d):
    """Why libclamav would treat d specially (or None if it is plain)."""
    if len(d) < 64:
        return "tiny"
    for m in BAD_MAGIC:
        if d.startswith(m):
            return "magic %r" % m
    if len(d) > 262 and d[257:262] == b"ustar":
        return "tar"
    if len(d) >= 512 and d[510:512] == b"\x55\xaa":
        return "mbr"
    if d[512:520] == b"EFI PART" or d[1024:1026] in (b"H+", b"HX"):
        return "partition"
    if d[0x8001:0x8006] == b"CD001" or d[-512:-508] == b"koly":
        return "disk image"
    for m in BAD_ANYWHERE:
        if m in d:
            return "embedded %r" % m
    low = d.lower()
    text = is_text(d)
    for m in (HTML_TEXT if text else HTML_STRONG):
        if m in low:
            return "html %r" % m
    if text:
        if MAIL_HDR.search(d[:4096]):
            return "mail-like"
        if d[:2] == b"\xff\xfe" or d[:2] == b"\xfe\xff":
            return "utf16"
    return None


def categorize(path, d):
    base = os.path.basename(path)
    if d[:4] == b"\x7fELF":
        return "lib" if ".so" in base else "exe"
    if base.endswith(".gz") and d[:2] == b"\x1f\x8b":
        return "gz"
    if base.lower().endswith(IMAGE_EXT):
        return "image"
    if is_text(d):
        return "text"
    return "other"


def guess_category(path):
    """Cheap guess from the name only, to draw candidates per category."""
    base = os.path.basename(path)
    if path.startswith(("/usr/bin/", "/usr/sbin/", "/usr/libexec/")):
        return "exe"
    if ".so" in base:
        return "lib"
    if base.endswith(".gz"):
        return "gz"
    if base.lower().endswith(IMAGE_EXT):
        return "image"
    if base.endswith(TEXT_EXT) or path.startswith(("/usr/share/doc/",
                                                   "/usr/include/")):
        return "text"
    return "other"


def enumerate_files(limit=400000):
    out = []
    for root in ROOTS:
        if not os.path.isdir(root):
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                p = os.path.join(dirpath, fn)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not (st.st_mode & 0o170000 == 0o100000):
                    continue
                if st.st_size < 256:
                    continue
                out.append((p, st.st_size))
                if len(out) >= limit:
                    return out
    return out


def safe_name(i, path):
    base = re.sub(r"[^A-Za-z0-9._+-]", "_", os.path.basename(path))[:60]
    return "%05d_%s" % (i, base or "file")


def select_files(rng, total, maxfile, log):
    cands = enumerate_files()
    bycat = {}
    for p, sz in cands:
        if sz <= maxfile:
            bycat.setdefault(guess_category(p), []).append((p, sz))
    for c in bycat:
        rng.shuffle(bycat[c])
    chosen, seen, used = [], set(), 0
    reasons = {}

    def take(cat_list, budget):
        nonlocal used
        got = 0
        while cat_list and got < budget and used < total:
            p, sz = cat_list.pop()
            if sz > budget - got + maxfile // 4 or used + sz > total:
                continue
            try:
                with open(p, "rb") as f:
                    d = f.read()
            except OSError:
                continue
            why = rejected(d)
            if why:
                k = why.split(" ")[0]
                reasons[k] = reasons.get(k, 0) + 1
                continue
            h = hashlib.sha256(d).digest()
            if h in seen:
                reasons["duplicate"] = reasons.get("duplicate", 0) + 1
                continue
            seen.add(h)
            chosen.append((p, d))
            got += len(d)
            used += len(d)
        return got

    for cat, share in SHARES:
        take(bycat.get(cat, []), int(total * share))
    # whatever a category could not fill goes to the rest, in a fixed order
    for cat, _share in SHARES:
        if used >= total * 0.98:
            break
        take(bycat.get(cat, []), total - used)
    log("corpus: %d files, %.1f MB copied; skipped: %s" % (
        len(chosen), used / MB,
        ", ".join("%s=%d" % kv for kv in sorted(reasons.items())) or "none"))
    return chosen


class Victim:
    """A corpus file that may receive a plant."""

    def __init__(self, name, data, category, source):
        self.name = name
        self.data = bytearray(data)
        self.category = category
        self.source = source
        self.elf = parse_elf(self.data) if data[:4] == b"\x7fELF" else None
        self.pe = None
        self.used = False

    def protected(self):
        """Byte ranges a plant must not touch."""
        if self.elf:
            e = self.elf
            return [(0, max(e["hdr_end"], 512)), (e["shoff"], e["shtab_end"])]
        if self.pe:
            return [(0, 0x400)]
        # keep type-determining magic and the first text block intact
        return [(0, min(1024, len(self.data) // 8))]

    def free(self, pos, n):
        if pos < 0 or pos + n > len(self.data):
            return False
        return all(pos + n <= a or pos >= b for a, b in self.protected())

    def region(self):
        """(lo, hi) where free-offset plants go."""
        if self.elf:
            best = None
            for t, _fl, off, sz in self.elf["sections"]:
                if t == 1 and sz >= 2048 and (best is None or sz > best[1]):
                    best = (off, sz)
            if best:
                return best[0] + 16, best[0] + best[1] - 16
            return None
        if self.pe:
            raw, rsz = self.pe["sections"][0]
            return raw + 16, raw + rsz - 16
        n = len(self.data)
        return max(1024, n // 8), n - 64

    def put(self, pos, b):
        if not self.free(pos, len(b)):
            raise PlantError("write at %d+%d hits a header" % (pos, len(b)))
        self.data[pos:pos + len(b)] = b

    def scatter(self, rng, chunks, gap=32):
        """Write chunks in order at random, non-overlapping positions inside
        region(); returns the positions."""
        r = self.region()
        if not r:
            raise PlantError("no region")
        lo, hi = r
        need = sum(len(c) + gap for c in chunks)
        if hi - lo < need * 2:
            raise PlantError("region too small")
        slot = (hi - lo) // len(chunks)
        out = []
        for i, c in enumerate(chunks):
            s = lo + i * slot
            pos = rng.randint(s, s + slot - len(c) - gap)
            self.put(pos, c)
            out.append(pos)
        return out


class PlantError(Exception):
    pass


# -------------------------------------------------------------- plants
#
# A recipe is (feature, needs, function).  needs: "bin" any non-text file,
# "any" any file, "elf" ELF with EP, "pe", "nonelf".  The function gets
# (ctx, victim) and returns a dict: db -> [lines], threat, expect.

class Ctx:
    def __init__(self, rng, namer):
        self.rng = rng
        self.namer = namer


def core(rng, n=8):
    return rlit(rng, n)


def body_recipe(feature, build):
    """Target 0, offset *: build(rng) returns the token list."""
    def f(c, v):
        toks = build(c.rng)
        name = c.namer.planted(feature)
        v.scatter(c.rng, [realize(toks, c.rng)])
        return {"ndb": ["%s:0:*:%s" % (name, hexsig(toks))],
                "threat": name, "expect": "INFECTED"}
    return f


def _alts(rng, n, width):
    s = set()
    while len(s) < n:
        s.add(rbytes(rng, width))
    return sorted(s)


BODY = [
    ("wild_any", lambda r: [core(r), ("any",), core(r, 6)]),
    ("wild_nibble_high", lambda r: [core(r), ("hi", r.randrange(16)),
                                    core(r, 6)]),
    ("wild_nibble_low", lambda r: [core(r), ("lo", r.randrange(16)),
                                   core(r, 6)]),
    ("wild_star", lambda r: [core(r), ("star",), core(r)]),
    ("wild_fixed", lambda r: [core(r), ("fix", r.randint(2, 40)),
                              core(r, 6)]),
    ("wild_fixed_big", lambda r: [core(r), ("fix", r.randint(130, 300)),
                                  core(r, 6)]),
    ("wild_upto", lambda r: [core(r), ("upto", r.randint(3, 30)),
                             core(r, 6)]),
    ("wild_atleast", lambda r: [core(r), ("atleast", r.randint(1, 20)),
                                core(r, 6)]),
    ("wild_range", lambda r: [core(r), ("range", 2, r.randint(5, 40)),
                              core(r, 6)]),
    ("wild_bracket_right", lambda r: [core(r), ("brange", 1,
                                                r.randint(3, 32)),
                                      core(r, 1)]),
    ("wild_bracket_left", lambda r: [core(r, 1), ("brange", 2,
                                                  r.randint(4, 32)),
                                     core(r)]),
    ("alt_byte", lambda r: [core(r), ("alt", _alts(r, 3, 1), False),
                            core(r, 6)]),
    ("alt_byte_negated", lambda r: [core(r), ("alt", _alts(r, 3, 1), True),
                                    core(r, 6)]),
    ("alt_multibyte", lambda r: [core(r), ("alt", _alts(r, 3, 3), False),
                                 core(r, 6)]),
    ("alt_multibyte_negated", lambda r: [core(r), ("alt", _alts(r, 2, 2),
                                                   True), core(r, 6)]),
    ("alt_generic", lambda r: [core(r), ("alt", sorted([rbytes(r, 1),
                                                        rbytes(r, 3)]),
                                         False), core(r, 6)]),
    ("class_boundary", lambda r: [core(r), ("B",), core(r, 6)]),
    ("class_line", lambda r: [core(r), ("L",), core(r, 6)]),
    ("class_nonalnum", lambda r: [core(r), ("W",), core(r, 6)]),
    ("class_boundary_edges", lambda r: [("B",), core(r, 10), ("B",)]),
    ("class_line_edges", lambda r: [("L",), core(r, 10), ("L",)]),
    ("wild_mixed", lambda r: [core(r), ("any",), core(r, 4), ("hi", 4),
                              ("range", 1, 8), core(r, 4), ("alt",
                                                            _alts(r, 2, 1),
                                                            False),
                              core(r, 4)]),
]


def off_recipe(feature):
    """Target 0 with an absolute or EOF-relative offset."""
    def f(c, v):
        r = c.rng
        toks = [core(r, 12)] if r.random() < 0.5 else \
            [core(r, 6), ("any",), core(r, 6)]
        b = realize(toks, r)
        lo, hi = v.region()
        n = len(v.data)
        name = c.namer.planted(feature)
        if feature == "offset_absolute":
            pos = r.randint(lo, hi - len(b))
            off = "%d" % pos
        elif feature == "offset_absolute_float":
            base = r.randint(lo, hi - len(b) - 300)
            shift = r.randint(1, 256)
            pos = base + r.randint(0, shift)
            off = "%d,%d" % (base, shift)
        elif feature == "offset_eof":
            k = r.randint(len(b), min(4000, n - lo))
            pos = n - k
            off = "EOF-%d" % k
        else:  # offset_eof_float
            k = r.randint(len(b) + 300, min(5000, n - lo))
            shift = r.randint(1, 256)
            pos = n - k + r.randint(0, shift)
            off = "EOF-%d,%d" % (k, shift)
        v.put(pos, b)
        return {"ndb": ["%s:0:%s:%s" % (name, off, hexsig(toks))],
                "threat": name, "expect": "INFECTED"}
    return f


def exe_info(v):
    """(ep, [(raw, size)], target, last_index) for ELF or PE victims."""
    if v.elf:
        secs = [(off, sz) if t not in (0, 8) else (off, 0)
                for t, _fl, off, sz in v.elf["sections"]]
        return v.elf["ep"], secs, 6
    return v.pe["ep"], v.pe["sections"], 1


def exe_recipe(feature):
    """EP/Sx/SL/SEx offsets on ELF (target 6) or PE (target 1)."""
    def f(c, v):
        r = c.rng
        ep, secs, target = exe_info(v)
        toks = [core(r, 10)] if r.random() < 0.5 else \
            [core(r, 6), ("range", 0, 4), core(r, 5)]
        b = realize(toks, r)
        kind = feature.split("_", 1)[1]
        if kind == "ep_plus":
            n = r.randint(0, 200)
            pos, off = ep + n, "EP+%d" % n
        elif kind == "ep_minus":
            n = r.randint(len(b), 120)
            pos, off = ep - n, "EP-%d" % n
        elif kind == "ep_float":
            n, shift = r.randint(0, 64), r.randint(1, 64)
            pos, off = ep + n + r.randint(0, shift), "EP+%d,%d" % (n, shift)
        elif kind in ("section_plus", "section_whole"):
            idx = [i for i, (raw, sz) in enumerate(secs)
                   if sz >= 1024 and v.free(raw, sz)]
            if not idx:
                raise PlantError("no usable section")
            x = r.choice(idx)
            raw, sz = secs[x]
            if kind == "section_plus":
                n = r.randint(0, sz - len(b) - 1)
                pos, off = raw + n, "S%d+%d" % (x, n)
            else:
                pos, off = raw + r.randint(0, sz - len(b) - 1), "SE%d" % x
        elif kind == "last_section":
            raw, sz = secs[-1]
            n = r.randint(0, max(0, min(sz, 200) - len(b)))
            pos, off = raw + n, "SL+%d" % n
        elif kind == "any":
            lo, hi = v.region()
            pos, off = r.randint(lo, hi - len(b)), "*"
        else:
            raise ValueError(kind)
        name = c.namer.planted(feature, target)
        v.put(pos, b)
        return {"ndb": ["%s:%d:%s:%s" % (name, target, off, hexsig(toks))],
                "threat": name, "expect": "INFECTED"}
    return f


def sub(hexs, off=None, mods=None):
    s = hexs if off is None else "%s:%s" % (off, hexs)
    return s + ("::" + mods if mods else "")


def ldb_line(name, tdb, expr, subs):
    """libclamav refuses FileSize/EntryPoint/NumberOfSections/... unless
    the block starts with Engine:51 or later: add it when needed."""
    attrs = [x.split(":")[0] for x in tdb.split(",")]
    if attrs[0] != "Engine" and any(x != "Target" for x in attrs):
        tdb = "Engine:51-255," + tdb
    return ";".join([name, tdb, expr] + subs)


def ascii_word(r, n):
    return bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def ldb_recipe(feature):
    def f(c, v):
        r = c.rng
        name = c.namer.planted(feature)
        tdb = "Target:0"
        expect = "INFECTED"
        a, b2, b3 = core(r, 10), core(r, 10), core(r, 10)
        A, B, C = a[1], b2[1], b3[1]
        if feature == "ldb_and":
            expr, subs, chunks = "0&1", [A.hex(), B.hex()], [B, A]
        elif feature == "ldb_or":
            expr, subs, chunks = "0|1", [A.hex(), B.hex()], [B]
        elif feature == "ldb_count_eq":
            expr, subs, chunks = "0=3", [A.hex()], [A, A, A]
        elif feature == "ldb_count_gt":
            expr, subs, chunks = "0>2", [A.hex()], [A, A, A, A]
        elif feature == "ldb_count_lt":
            expr, subs, chunks = "0&(1<3)", [A.hex(), B.hex()], [B, A, B]
        elif feature == "ldb_count_gt_distinct":
            expr = "(0|1|2)>2,2"
            subs, chunks = [A.hex(), B.hex(), C.hex()], [A, B, A]
        elif feature == "ldb_count_eq_distinct":
            expr, subs, chunks = "(0|1)=2,2", [A.hex(), B.hex()], [B, A]
        elif feature == "ldb_nested":
            expr = "((0|1)&2)|(3&4)"
            D, E = core(r, 10)[1], core(r, 10)[1]
            subs = [A.hex(), B.hex(), C.hex(), D.hex(), E.hex()]
            chunks = [C, B]
        elif feature == "ldb_nocase":
            w = ascii_word(r, 12)
            expr, subs = "0&1", [A.hex(), w.hex() + "::i"]
            chunks = [A, bytes(ch ^ 0x20 if r.random() < 0.5 else ch
                               for ch in w)]
        elif feature == "ldb_wide":
            w = ascii_word(r, 10)
            expr, subs = "0&1", [A.hex(), w.hex() + "::w"]
            chunks = [A, w.decode().encode("utf-16-le")]
        elif feature == "ldb_wide_ascii":
            w = ascii_word(r, 10)
            expr, subs = "0&1", [A.hex(), w.hex() + "::wa"]
            chunks = [w, A]
        elif feature == "ldb_ascii":
            w = ascii_word(r, 10)
            expr, subs = "0&1", [A.hex(), w.hex() + "::a"]
            chunks = [A, w]
        elif feature == "ldb_fullword":
            w = ascii_word(r, 9)
            expr, subs = "0&1", [A.hex(), w.hex() + "::f"]
            chunks = [A, b" " + w + b";"]
        elif feature == "ldb_fullword_nocase":
            w = ascii_word(r, 9)
            expr, subs = "0&1", [A.hex(), w.hex() + "::fi"]
            chunks = [A, b"(" + w.upper() + b")"]
        elif feature == "ldb_wildcards":
            t0 = [core(r, 6), ("range", 2, 9), core(r, 5)]
            t1 = [core(r, 6), ("alt", _alts(r, 3, 1), False), ("any",),
                  core(r, 5)]
            expr, subs = "0&1", [hexsig(t0), hexsig(t1)]
            chunks = [realize(t1, r), realize(t0, r)]
        elif feature == "ldb_filesize":
            n = len(v.data)
            tdb = "Target:0,FileSize:%d-%d" % (n - r.randint(0, 500),
                                               n + r.randint(0, 500))
            expr, subs, chunks = "0&1", [A.hex(), B.hex()], [A, B]
        elif feature == "ldb_engine":
            tdb = "Engine:51-255,Target:0"
            expr, subs, chunks = "0&1", [A.hex(), B.hex()], [A, B]
        elif feature == "ldb_subsig_offsets":
            # A anywhere in the first third, B at an absolute offset in the
            # second third, C at EOF-k (k reaching back past the region)
            lo, hi = v.region()
            n = len(v.data)
            third = (hi - lo) // 3
            v.put(r.randint(lo, lo + third - len(A)), A)
            p1 = r.randint(lo + third, lo + 2 * third - len(B))
            v.put(p1, B)
            k = r.randint(len(C), min(3000, n - (lo + 2 * third)))
            v.put(n - k, C)
            subs = [A.hex(), sub(B.hex(), "%d" % p1),
                    sub(C.hex(), "EOF-%d" % k)]
            return {"ldb": [ldb_line(name, tdb, "0&1&2", subs)],
                    "threat": name, "expect": expect}
        else:
            raise ValueError(feature)
        v.scatter(r, chunks)
        return {"ldb": [ldb_line(name, tdb, expr, subs)], "threat": name,
                "expect": expect}
    return f


def ldb_exe_recipe(feature):
    """Logical signatures with TDB Target/EntryPoint/NumberOfSections and
    EP- or section-relative subsignatures."""
    def f(c, v):
        r = c.rng
        ep, secs, target = exe_info(v)
        name = c.namer.planted(feature, target)
        A, B = core(r, 10)[1], core(r, 10)[1]
        nsec = len(secs)
        if feature.endswith("_ep"):
            n = r.randint(0, 100)
            pos_a = ep + n
            v.put(pos_a, A)
            tdb = "Target:%d,EntryPoint:%d-%d,NumberOfSections:%d-%d" % (
                target, max(0, ep - r.randint(0, 4096)),
                ep + r.randint(0, 4096), max(1, nsec - 1), nsec + 1)
            subs = [sub(A.hex(), "EP+%d" % n), B.hex()]
        else:
            idx = [i for i, (raw, sz) in enumerate(secs)
                   if sz >= 1024 and v.free(raw, sz)]
            if not idx:
                raise PlantError("no usable section")
            x = r.choice(idx)
            raw, sz = secs[x]
            n = r.randint(0, min(sz, 4000) - len(A) - 1)
            pos_a = raw + n
            v.put(pos_a, A)
            tdb = "Target:%d,NumberOfSections:%d-%d" % (target, nsec, nsec)
            subs = [sub(A.hex(), "S%d+%d" % (x, n)), B.hex()]
        lo, hi = v.region()
        for _ in range(100):
            p = r.randint(lo, hi - len(B))
            if abs(p - pos_a) > 64 and v.free(p, len(B)):
                v.put(p, B)
                break
        else:
            raise PlantError("no room for second subsig")
        return {"ldb": [ldb_line(name, tdb, "0&1", subs)], "threat": name,
                "expect": "INFECTED"}
    return f


def neg_recipe(feature):
    """Near misses: the generated signature must NOT match."""
    def f(c, v):
        r = c.rng
        name = c.namer.planted(feature, 6 if "elf" in feature else 0)
        A, B = core(r, 10)[1], core(r, 8)[1]
        out = {"threat": None, "expect": "CLEAN", "near_miss": name}
        if feature == "neg_target_mismatch":
            v.scatter(r, [A])
            out["ndb"] = ["%s:6:*:%s" % (name, A.hex())]
        elif feature == "neg_elf_ep_shift":
            ep = v.elf["ep"]
            n = r.randint(0, 100)
            v.put(ep + n + 1, A)
            out["ndb"] = ["%s:6:EP+%d:%s" % (name, n, A.hex())]
        elif feature == "neg_absolute_shift":
            lo, hi = v.region()
            p = r.randint(lo, hi - 20)
            v.put(p + 1, A)
            out["ndb"] = ["%s:0:%d:%s" % (name, p, A.hex())]
        elif feature == "neg_gap_too_long":
            m = r.randint(4, 20)
            toks = [tlit(A), ("range", 1, m), tlit(B)]
            v.scatter(r, [realize(toks, r, gap_override=m + 1)])
            out["ndb"] = ["%s:0:*:%s" % (name, hexsig(toks))]
        elif feature == "neg_alt_excluded":
            alts = _alts(r, 2, 1)
            toks = [tlit(A), ("alt", alts, True), tlit(B)]
            v.scatter(r, [A + alts[0] + B])
            out["ndb"] = ["%s:0:*:%s" % (name, hexsig(toks))]
        elif feature == "neg_ldb_half":
            v.scatter(r, [A])
            out["ldb"] = [ldb_line(name, "Target:0", "0&1",
                                   [A.hex(), B.hex()])]
        elif feature == "neg_ldb_count_gt":
            v.scatter(r, [A, A])
            out["ldb"] = [ldb_line(name, "Target:0", "0>2", [A.hex()])]
        elif feature == "neg_ldb_count_lt":
            v.scatter(r, [B, A, A, A])
            out["ldb"] = [ldb_line(name, "Target:0", "0&(1<3)",
                                   [B.hex(), A.hex()])]
        elif feature == "neg_ldb_fullword":
            w = ascii_word(r, 9)
            v.scatter(r, [B, b"x" + w + b"7"])
            out["ldb"] = [ldb_line(name, "Target:0", "0&1",
                                   [B.hex(), w.hex() + "::f"])]
        elif feature == "neg_ldb_filesize":
            n = len(v.data)
            v.scatter(r, [A, B])
            out["ldb"] = [ldb_line(name, "Target:0,FileSize:%d-%d" % (
                n + 1, n + 1000), "0&1", [A.hex(), B.hex()])]
        else:
            raise ValueError(feature)
        return out
    return f


def hash_recipe(feature):
    def f(c, v):
        d = bytes(v.data)
        name = c.namer.planted(feature)
        n = len(d)
        md5 = hashlib.md5(d).hexdigest()
        sha1 = hashlib.sha1(d).hexdigest()
        sha256 = hashlib.sha256(d).hexdigest()
        out = {"threat": name, "expect": "INFECTED"}
        if feature == "hash_md5":
            out["hdb"] = ["%s:%d:%s" % (md5, n, name)]
        elif feature == "hash_md5_anysize":
            out["hdb"] = ["%s:*:%s:73" % (md5, name)]
        elif feature == "hash_sha1":
            out["hsb"] = ["%s:%d:%s" % (sha1, n, name)]
        elif feature == "hash_sha256":
            out["hsb"] = ["%s:%d:%s" % (sha256, n, name)]
        elif feature == "hash_sha256_anysize":
            out["hsb"] = ["%s:*:%s:73" % (sha256, name)]
        elif feature == "neg_hash_wrong_size":
            out.update(threat=None, expect="CLEAN", near_miss=name)
            out["hdb"] = ["%s:%d:%s" % (md5, n + 1, name)]
        else:
            raise ValueError(feature)
        return out
    return f


def allow_recipe(feature):
    """A real body match that an allow list or an ignore entry cancels."""
    def f(c, v):
        r = c.rng
        name = c.namer.planted(feature)
        toks = [core(r, 12)]
        v.scatter(r, [realize(toks, r)])
        d = bytes(v.data)
        out = {"ndb": ["%s:0:*:%s" % (name, hexsig(toks))], "threat": None,
               "expect": "CLEAN", "near_miss": name}
        if feature == "allow_fp_md5":
            out["fp"] = ["%s:%d:Allow.%s" % (hashlib.md5(d).hexdigest(),
                                             len(d), name)]
        elif feature == "allow_sfp_sha256":
            out["sfp"] = ["%s:%d:Allow.%s" % (hashlib.sha256(d).hexdigest(),
                                              len(d), name)]
        elif feature == "allow_sfp_sha1":
            out["sfp"] = ["%s:%d:Allow.%s" % (hashlib.sha1(d).hexdigest(),
                                              len(d), name)]
        else:  # ignore_ign2
            out["ign2"] = [name]
        return out
    return f


RECIPES = (
    [(f, "any", body_recipe(f, b)) for f, b in BODY]
    + [(f, "bin", off_recipe(f)) for f in (
        "offset_absolute", "offset_absolute_float", "offset_eof",
        "offset_eof_float")]
    + [(f, k, exe_recipe(f)) for k in ("elf", "pe") for f in (
        k + "_ep_plus", k + "_ep_minus", k + "_ep_float",
        k + "_section_plus", k + "_section_whole", k + "_last_section",
        k + "_any")]
    + [(f, "bin", ldb_recipe(f)) for f in (
        "ldb_and", "ldb_or", "ldb_count_eq", "ldb_count_gt", "ldb_count_lt",
        "ldb_count_gt_distinct", "ldb_count_eq_distinct", "ldb_nested",
        "ldb_nocase", "ldb_wide", "ldb_wide_ascii", "ldb_ascii",
        "ldb_fullword", "ldb_fullword_nocase", "ldb_wildcards",
        "ldb_filesize", "ldb_engine", "ldb_subsig_offsets")]
    + [(f, k, ldb_exe_recipe(f)) for k in ("elf", "pe") for f in (
        "ldb_" + k + "_ep", "ldb_" + k + "_section")]
    + [("neg_target_mismatch", "nonelf", neg_recipe("neg_target_mismatch")),
       ("neg_elf_ep_shift", "elf", neg_recipe("neg_elf_ep_shift"))]
    + [(f, "bin", neg_recipe(f)) for f in (
        "neg_absolute_shift", "neg_gap_too_long", "neg_alt_excluded",
        "neg_ldb_half", "neg_ldb_count_gt", "neg_ldb_count_lt",
        "neg_ldb_fullword", "neg_ldb_filesize")]
    + [(f, "bin", hash_recipe(f)) for f in (
        "hash_md5", "hash_md5_anysize", "hash_sha1", "hash_sha256",
        "hash_sha256_anysize", "neg_hash_wrong_size")]
    + [(f, "bin", allow_recipe(f)) for f in (
        "allow_fp_md5", "allow_sfp_sha256", "allow_sfp_sha1",
        "ignore_ign2")]
)

# extra plants (to reach a few percent of the files) reuse these
EXTRA = ["wild_star", "wild_range", "alt_byte", "wild_any", "ldb_and",
         "offset_eof", "elf_ep_plus", "elf_section_plus", "wild_mixed"]


def fits(v, needs):
    if v.used or len(v.data) < 8192:
        return False
    if v.data[:4] == b"\x7fELF" and v.elf is None:
        # an ELF file libclamav may refuse (e.g. more than 256 sections:
        # "Suspicious number of sections"), which turns off every relative
        # offset, EOF-n included, for the whole file: no plant
        return False
    if needs == "elf":
        e = v.elf
        return bool(e and e["ep"] and v.region() and
                    e["ep"] > 1024 and v.free(e["ep"] - 130, 340))
    if needs == "pe":
        return v.pe is not None
    if needs == "nonelf":
        return v.elf is None and v.pe is None and v.category != "text"
    if needs == "bin":
        return v.category != "text" and v.region() is not None
    return v.region() is not None


def plant_all(rng, victims, log):
    namer = Namer(rng, 9000000)
    ctx = Ctx(rng, namer)
    order = list(victims)
    rng.shuffle(order)
    recipes = list(RECIPES)
    by_feature = {f: (f, n, fn) for f, n, fn in RECIPES}
    nextra = max(0, len(victims) * 2 // 100)
    for i in range(nextra):
        recipes.append(by_feature[EXTRA[i % len(EXTRA)]])
    plants = []
    for feature, needs, fn in recipes:
        done = False
        for v in order:
            if not fits(v, needs):
                continue
            saved = bytes(v.data)
            try:
                p = fn(ctx, v)
            except PlantError as e:
                v.data[:] = saved
                log("plant %s on %s: %s, trying another file" % (
                    feature, v.name, e))
                continue
            v.used = True
            p["feature"] = feature
            p["file"] = v.name
            plants.append(p)
            done = True
            break
        if not done:
            log("plant %s: no suitable file, skipped" % feature)
    return plants


def build_victims(rng, total, maxfile, log):
    """Copies of this machine's files plus synthetic PE32 files, about
    total bytes in all: ([Victim], number of synthetic PE files)."""
    npe = max(12, int(total * 0.01) // (64 * 1024))
    chosen = select_files(rng, total - npe * 64 * 1024, maxfile, log)
    victims = []
    for i in range(len(chosen)):
        p, d = chosen[i]
        chosen[i] = None        # one copy of the corpus in memory, not two
        victims.append(Victim(safe_name(i, p), d, categorize(p, d), p))
    for k in range(npe):
        d, info = synth_pe(rng)
        v = Victim("%05d_synthetic-%02d.exe" % (len(victims), k), d, "pe",
                   "synthetic")
        v.pe = info
        victims.append(v)
    return victims, npe


def cmd_corpus(a):
    rng = random.Random("corpus:%d:%d" % (a.seed, a.size_mb))
    total = a.size_mb * MB
    maxfile = max(256 * 1024, min(16 * MB, total // 60))
    log = (lambda s: None) if a.quiet else \
        (lambda s: print(s, file=sys.stderr))
    out = os.path.abspath(a.out)
    files_dir = os.path.join(out, "files")
    if os.path.exists(os.path.join(out, "manifest.json")):
        os.unlink(os.path.join(out, "manifest.json"))
    os.makedirs(files_dir, exist_ok=True)
    for old in os.listdir(files_dir):
        os.unlink(os.path.join(files_dir, old))
    victims, npe = build_victims(rng, total, maxfile, log)
    plants = plant_all(rng, victims, log)
    entries = []
    for v in victims:
        with open(os.path.join(files_dir, v.name), "wb") as f:
            f.write(v.data)
        entries.append({"name": v.name, "source": v.source,
                        "category": v.category, "size": len(v.data)})
    expect = {}
    for p in plants:
        expect[p["file"]] = p["threat"]
    manifest = {
        "generator": GEN_VERSION, "seed": a.seed, "size_mb": a.size_mb,
        "files_dir": "files", "files": entries, "plants": plants,
        "expected": expect,
    }
    tmp = os.path.join(out, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.rename(tmp, os.path.join(out, "manifest.json"))
    npos = sum(1 for p in plants if p["expect"] == "INFECTED")
    log("corpus: %d files (%d synthetic PE), %.1f MB, %d plants "
        "(%d detections, %d near misses) -> %s" % (
            len(victims), npe, sum(len(v.data) for v in victims) / MB,
            len(plants), npos, len(plants) - npos, out))
    return 0


# --------------------------------------------------------- containers
#
# The container corpus: the same kind of planted files as "corpus", packed
# into archives, compressed streams and mail.  Each top-level file holds at
# most one planted member (first-match names compare), anywhere in its
# nest; the other members are clean copies.  Every layer is written by the
# Python standard library with fixed times and names, so the same seed
# gives the same bytes.

FIXED_TIME = 1700000000
ZIP_TIME = (2023, 11, 14, 22, 13, 20)

# A chain lists the layers from the innermost out.  "safe" chains never
# expose a member's bytes verbatim in any enclosing layer (bzip2 or base64
# right around it), which allow-listed members and a FileSize near miss
# need: a scanner also scans every container's own bytes, where a member
# allow-listed by its hash, or a size range, would not apply.
CHAINS = [
    (("zip",), False), (("zip_stored",), False), (("zip_bz2",), True),
    (("tar",), False), (("tar", "gz"), False), (("tar", "bz2"), False),
    (("tar", "xz"), False), (("gz",), False), (("bz2",), True),
    (("xz",), False), (("zip", "tar", "gz"), False),
    (("zip", "zip"), False), (("tar", "gz", "zip"), False),
    (("zip_bz2", "tar", "xz"), True), (("zip", "tar", "bz2"), False),
    (("tar", "xz", "zip_stored", "tar", "gz"), False),
    (("eml_b64",), True), (("eml_qp",), False), (("eml_uu",), False),
    (("eml_b64", "eml_rfc822"), True), (("mbox",), True),
    (("zip", "eml_b64"), False), (("eml_b64", "zip"), True),
    (("eml_b64", "eml_rfc822", "mbox"), True),
    (("tar", "bz2", "eml_b64", "mbox"), False), (("cpio",), False),
    (("zip", "cpio", "gz"), False),
]
# plants whose expectation only holds when the member stays hidden
NEEDS_SAFE = ("allow_fp_md5", "allow_sfp_sha256", "allow_sfp_sha1",
              "neg_ldb_filesize")
# plants that depend on the member's exact size or digest: not carried
# quoted-printable, because libclamav's decoder ends a decoded QP part with
# one extra newline (a 29455-byte member comes out as 29456 bytes), which
# moves EOF and changes the digests
SIZE_BOUND = NEEDS_SAFE + (
    "hash_md5", "hash_md5_anysize", "hash_sha1", "hash_sha256",
    "hash_sha256_anysize", "neg_hash_wrong_size", "offset_eof",
    "offset_eof_float", "ldb_filesize", "ldb_subsig_offsets")
SINGLE = ("gz", "bz2", "xz")
EXT = {"zip": "zip", "zip_stored": "zip", "zip_bz2": "zip", "tar": "tar",
       "cpio": "cpio",
       "gz": "gz", "bz2": "bz2", "xz": "xz", "eml_b64": "eml",
       "eml_qp": "eml", "eml_uu": "eml", "eml_rfc822": "eml",
       "mbox": "mbox"}
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace",
          "heidi", "ivan", "judy", "mallory", "oscar", "peggy", "trent"]
WORDS = ["report", "invoice", "minutes", "draft", "photos", "backup",
         "update", "notes", "schedule", "budget", "review", "logs"]


def zip_bytes(members, method):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            zi.compress_type = method
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return b.getvalue()


def tar_bytes(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w",
                      format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), FIXED_TIME, 0o644
            ti.uname = ti.gname = "root"
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


def cpio_bytes(members):
    """A "newc" (070701) cpio archive; written by hand, the standard
    library has no cpio writer."""
    out = bytearray()
    for i, (name, data) in enumerate(members + [("TRAILER!!!", b"")]):
        nb = name.encode() + b"\0"
        trailer = i == len(members)
        fields = (0 if trailer else i + 1, 0 if trailer else 0o100644,
                  0, 0, 1, 0 if trailer else FIXED_TIME, len(data), 0, 0,
                  0, 0, len(nb), 0)
        out += b"070701" + "".join("%08X" % x for x in fields).encode()
        out += nb
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def mail_date(rng):
    return "Tue, %d Nov 2023 %02d:%02d:%02d +0000" % (
        rng.randint(1, 28), rng.randrange(24), rng.randrange(60),
        rng.randrange(60))


def attach(rng, name, data, enc):
    """One MIME body part (LF line ends)."""
    if enc == "rfc822":
        return ("Content-Type: message/rfc822\n"
                "Content-Disposition: attachment; filename=\"%s\"\n\n" %
                name).encode() + data.replace(b"\r\n", b"\n")
    head = ("Content-Type: application/octet-stream; name=\"%s\"\n"
            "Content-Disposition: attachment; filename=\"%s\"\n" % (
                name, name))
    if enc == "b64":
        body = base64.encodebytes(data)
        head += "Content-Transfer-Encoding: base64\n\n"
    else:
        # binary mode encodes every CR and LF in data, so the only line
        # ends are soft breaks, which b2a_qp writes as CRLF when the data
        # starts with a CRLF line: make them all LF like the rest
        body = binascii.b2a_qp(data, quotetabs=True, istext=False)
        body = body.replace(b"\r\n", b"\n")
        head += "Content-Transfer-Encoding: quoted-printable\n\n"
    return head.encode() + body


def mail_bytes(rng, members, enc, crlf):
    """A multipart/mixed message carrying members as attachments (enc b64,
    qp or uu; a member ending in .eml goes in as message/rfc822)."""
    a, b = rng.sample(PEOPLE, 2)
    bnd = "=_vigil_%016x" % rng.getrandbits(64)
    subj = "%s %s" % (rng.choice(WORDS), rng.choice(WORDS))
    hdr = ("Received: from mx%d.example.org (mx.example.org [192.0.2.%d])\n"
           "\tby mail.example.net with ESMTP id %08X; %s\n"
           "From: %s <%s@example.org>\nTo: %s <%s@example.net>\n"
           "Subject: %s\nDate: %s\nMessage-ID: <%016x@example.org>\n"
           "MIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
           "This is a multi-part message in MIME format.\n\n" % (
               rng.randint(1, 9), rng.randint(1, 254), rng.getrandbits(32),
               mail_date(rng), a.capitalize(), a, b.capitalize(), b, subj,
               mail_date(rng), rng.getrandbits(64), bnd))
    out = bytearray(hdr.encode())
    text = "Hello %s,\n\nplease find the %s attached.\n\nRegards,\n%s\n" % (
        b.capitalize(), subj, a.capitalize())
    uu = b""
    if enc == "uu":
        for name, data in members:
            uu += ("begin 644 %s\n" % name).encode()
            for i in range(0, len(data), 45):
                uu += binascii.b2a_uu(data[i:i + 45], backtick=True)
            uu += b"`\nend\n\n"
    out += ("--%s\nContent-Type: text/plain; charset=us-ascii\n"
            "Content-Transfer-Encoding: 7bit\n\n%s\n" % (bnd, text)).encode()
    out += uu
    if enc != "uu":
        for name, data in members:
            e = "rfc822" if name.endswith(".eml") else enc
            out += ("--%s\n" % bnd).encode() + attach(rng, name, data, e)
            out += b"\n"
    out += ("--%s--\n" % bnd).encode()
    out = bytes(out)
    return out.replace(b"\n", b"\r\n") if crlf else out


def mbox_bytes(rng, members):
    """One message per member (a member that is a message goes in as is),
    "From " lines between, body lines starting with "From " quoted."""
    out = bytearray()
    for name, data in members:
        if name.endswith(".eml"):
            msg = data.replace(b"\r\n", b"\n")
        else:
            msg = mail_bytes(rng, [(name, data)], "b64", False)
        msg = re.sub(rb"(?m)^From ", b">From ", msg)
        out += ("From %s@example.org %s\n" % (
            rng.choice(PEOPLE), "Tue Nov 14 22:13:20 2023")).encode()
        out += msg + (b"" if msg.endswith(b"\n") else b"\n") + b"\n"
    return bytes(out)


def wrap(rng, layer, members, outer):
    """Pack members [(name, data)] into one layer: returns bytes."""
    if layer == "zip":
        return zip_bytes(members, zipfile.ZIP_DEFLATED)
    if layer == "zip_stored":
        return zip_bytes(members, zipfile.ZIP_STORED)
    if layer == "zip_bz2":
        return zip_bytes(members, zipfile.ZIP_BZIP2)
    if layer == "tar":
        return tar_bytes(members)
    if layer == "cpio":
        return cpio_bytes(members)
    if layer == "gz":
        return gzip.compress(members[0][1], 6, mtime=0)
    if layer == "bz2":
        return bz2.compress(members[0][1], 9)
    if layer == "xz":
        return lzma.compress(members[0][1], preset=6)
    if layer == "mbox":
        return mbox_bytes(rng, members)
    enc = {"eml_b64": "b64", "eml_qp": "qp", "eml_uu": "uu",
           "eml_rfc822": "b64"}[layer]
    return mail_bytes(rng, members, enc, outer and rng.random() < 0.5)


def member_name(v):
    """An archive member name: the copy's name, sometimes in a folder."""
    n = v.name.split("_", 1)[1] if "_" in v.name else v.name
    return n


def build_container(rng, chain, first, pool, stem):
    """Nest first (a Victim) through chain, adding up to three clean
    siblings from pool at every multi-member layer.  Returns (name, bytes,
    path of first inside, members used)."""
    name = member_name(first)
    data = bytes(first.data)
    path = [name]
    used = [first]
    for i, layer in enumerate(chain):
        outer = i == len(chain) - 1
        if layer in SINGLE:
            name = name + "." + layer
            data = wrap(rng, layer, [(path[-1], data)], outer)
            # a stream has no member names: the inner object is unnamed
            continue
        members = [(name, data)]
        for _ in range(rng.randint(0, 3)):
            if not pool:
                break
            v = pool.pop()
            used.append(v)
            d = bytes(v.data)
            if layer.startswith("zip") or layer in ("tar", "cpio"):
                if rng.random() < 0.3:
                    members.append(("dir%d/%s" % (rng.randrange(4),
                                                  member_name(v)), d))
                    continue
            members.append((member_name(v), d))
        # unique names inside one layer
        seen, uniq = set(), []
        for n, d in members:
            k = 1
            base = n
            while n in seen:
                n, k = "%d-%s" % (k, base), k + 1
            seen.add(n)
            uniq.append((n, d))
        rng.shuffle(uniq)
        data = wrap(rng, layer, uniq, outer)
        name = "%s-%d.%s" % (stem, i, EXT[layer])
        path.insert(0, name)
    return name, data, "/".join(path[1:]), used


VARIANT = {"zip_stored": "zip(stored)", "zip_bz2": "zip(bzip2)",
           "eml_b64": "eml(base64)", "eml_qp": "eml(qp)",
           "eml_uu": "eml(uuencode)", "eml_rfc822": "eml(rfc822)"}


def chain_name(chain, variants=False):
    """"zip>tar.gz": the layers from the innermost out; with variants the
    zip method and mail encoding too."""
    out = []
    for layer in chain:
        e = VARIANT.get(layer, EXT[layer]) if variants else EXT[layer]
        if layer in SINGLE and out:
            out[-1] += "." + e
        else:
            out.append(e)
    return ">".join(out)


def cmd_containers(a):
    rng = random.Random("containers:%d:%d" % (a.seed, a.size_mb))
    total = a.size_mb * MB
    maxfile = max(128 * 1024, min(4 * MB, total // 80))
    log = (lambda s: None) if a.quiet else \
        (lambda s: print(s, file=sys.stderr))
    out = os.path.abspath(a.out)
    files_dir = os.path.join(out, "files")
    if os.path.exists(os.path.join(out, "manifest.json")):
        os.unlink(os.path.join(out, "manifest.json"))
    os.makedirs(files_dir, exist_ok=True)
    for old in os.listdir(files_dir):
        os.unlink(os.path.join(files_dir, old))
    victims, npe = build_victims(rng, total, maxfile, log)
    # gzip'ed docs would be unpacked into text nobody checked: leave out
    victims = [v for v in victims if v.category != "gz"]
    plants = plant_all(rng, victims, log)
    by_file = {p["file"]: p for p in plants}
    planted = [v for v in victims if v.used]
    pool = [v for v in victims if not v.used]
    rng.shuffle(pool)
    tops = []               # (chain, first victim)
    for v in planted:
        f = by_file[v.name]["feature"]
        ok = [c for c, s in CHAINS if (s or f not in NEEDS_SAFE) and
              (c[0] != "eml_qp" or f not in SIZE_BOUND)]
        tops.append((rng.choice(ok), v))
    entries, expect, out_plants = [], {}, []
    idx = 0

    def emit(chain, first):
        nonlocal idx
        stem = "%05d" % idx
        name, data, inner, used = build_container(rng, chain, first, pool,
                                                  stem)
        # 00012_zip_in_tar.gz: the layers, the outermost one's extension
        top = "%s_%s" % (stem, chain_name(chain).replace(">", "_in_"))
        idx += 1
        with open(os.path.join(files_dir, top), "wb") as f:
            f.write(data)
        entries.append({"name": top, "chain": chain_name(chain, True),
                        "members": [v.name for v in used],
                        "size": len(data)})
        p = by_file.get(first.name)
        if p:
            p = dict(p)
            p["member"] = inner
            p["member_source"] = first.name
            p["file"] = top
            p["chain"] = chain_name(chain, True)
            out_plants.append(p)
            if p["expect"] == "INFECTED":
                expect[top] = p["threat"]

    for c, v in tops:
        emit(c, v)
    while pool:
        emit(rng.choice([c for c, _s in CHAINS]), pool.pop())
    rng.shuffle(entries)
    entries.sort(key=lambda e: e["name"])
    manifest = {
        "generator": GEN_VERSION, "kind": "containers", "seed": a.seed,
        "size_mb": a.size_mb, "files_dir": "files", "files": entries,
        "plants": out_plants, "expected": expect,
    }
    tmp = os.path.join(out, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.rename(tmp, os.path.join(out, "manifest.json"))
    npos = sum(1 for p in out_plants if p["expect"] == "INFECTED")
    log("containers: %d top-level files holding %d members (%d synthetic "
        "PE), %.1f MB of members in %.1f MB, %d plants (%d detections, %d "
        "near misses) -> %s" % (
            len(entries), len(victims), npe,
            sum(len(v.data) for v in victims) / MB,
            sum(e["size"] for e in entries) / MB, len(out_plants), npos,
            len(out_plants) - npos, out))
    return 0


# ----------------------------------------------------------------- db

SCALES = {"1k": 1000, "10k": 10000, "100k": 100000, "300k": 300000,
          "1m": 1000000, "3m": 3000000}

# share of the signature count per kind (the rest of 1.0 is hdb)
MIX = {"sha1": 0.04, "sha256": 0.07, "sha256_any": 0.0005, "ndb": 0.03,
       "ldb": 0.015, "fp": 0.0005, "sfp": 0.0005, "ign2": 0.0003}


def rand_size(rng):
    """File sizes of real malware samples: log-normal around 100 KiB."""
    return max(32, min(200 * MB, int(rng.lognormvariate(11.5, 1.7))))


def rand_body(rng):
    """A random body pattern that never hits: an 8..24 byte random core,
    often followed by one wildcard form and another random part."""
    toks = [core(rng, rng.randint(8, 24))]
    if rng.random() < 0.55:
        k = rng.choice(["any", "hi", "lo", "star", "fix", "upto", "atleast",
                        "range", "brange", "alt", "altneg", "altmulti",
                        "altgen", "B", "L", "W"])
        tail = core(rng, rng.randint(4, 12))
        if k == "any":
            toks += [("any",), tail]
        elif k in ("hi", "lo"):
            toks += [(k, rng.randrange(16)), tail]
        elif k == "star":
            toks += [("star",), tail]
        elif k == "fix":
            toks += [("fix", rng.randint(1, 200)), tail]
        elif k == "upto":
            toks += [("upto", rng.randint(1, 64)), tail]
        elif k == "atleast":
            toks += [("atleast", rng.randint(1, 64)), tail]
        elif k == "range":
            lo = rng.randint(0, 32)
            toks += [("range", lo, lo + rng.randint(1, 64)), tail]
        elif k == "brange":
            toks += [("brange", rng.randint(0, 8), rng.randint(9, 32)),
                     core(rng, 1)]
        elif k == "alt":
            toks += [("alt", _alts(rng, rng.randint(2, 5), 1), False), tail]
        elif k == "altneg":
            toks += [("alt", _alts(rng, rng.randint(2, 4), 1), True), tail]
        elif k == "altmulti":
            toks += [("alt", _alts(rng, rng.randint(2, 4),
                                   rng.randint(2, 4)), False), tail]
        elif k == "altgen":
            toks += [("alt", sorted([rbytes(rng, 1), rbytes(rng, 2),
                                     rbytes(rng, 4)]), False), tail]
        else:
            toks += [(k,), tail]
    return toks


def rand_offset(rng, target):
    forms = ["n", "n,m", "EOF-n", "EOF-n,m"]
    if target in (1, 6):
        forms += ["EP+n", "EP-n", "EP+n,m", "Sx+n", "SL+n", "SEx"] * 2
    if rng.random() < 0.7:
        return "*"
    f = rng.choice(forms)
    n, m, x = rng.randint(0, 8192), rng.randint(1, 512), rng.randint(0, 7)
    return {"n": "%d" % n, "n,m": "%d,%d" % (n, m), "EOF-n": "EOF-%d" % n,
            "EOF-n,m": "EOF-%d,%d" % (n, m), "EP+n": "EP+%d" % n,
            "EP-n": "EP-%d" % n, "EP+n,m": "EP+%d,%d" % (n, m),
            "Sx+n": "S%d+%d" % (x, n), "SL+n": "SL+%d" % n,
            "SEx": "SE%d" % x}[f]


def rand_ndb(rng, namer):
    target = rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 1, 6))
    name = namer.random(target)
    return "%s:%d:%s:%s" % (name, target, rand_offset(rng, target),
                            hexsig(rand_body(rng)))


def rand_ldb(rng, namer):
    target = rng.choice((0, 0, 0, 1, 1, 6))
    name = namer.random(target)
    tdb = []
    if rng.random() < 0.2:
        tdb.append("Engine:%d-255" % rng.choice((51, 81, 90)))
    tdb.append("Target:%d" % target)
    if rng.random() < 0.2:
        lo = rand_size(rng)
        tdb.append("FileSize:%d-%d" % (lo, lo * 4))
    if target in (1, 6) and rng.random() < 0.3:
        tdb.append("NumberOfSections:%d-%d" % (rng.randint(1, 4),
                                               rng.randint(5, 12)))
    if target in (1, 6) and rng.random() < 0.2:
        lo = rng.randint(0, 65536)
        tdb.append("EntryPoint:%d-%d" % (lo, lo + rng.randint(1, 65536)))
    expr, nsub = rng.choice([("0&1", 2), ("0|1", 2), ("(0|1)&2", 3),
                             ("0&1&2", 3), ("0>1", 1), ("0=2", 1),
                             ("(0|1|2)>1,2", 3), ("(0|1)=2,2", 2),
                             ("0&(1<3)", 2), ("((0|1)&2)|(3&4)", 5),
                             ("0&1&2&3", 4)])
    subs = []
    for _ in range(nsub):
        r = rng.random()
        if r < 0.15:
            subs.append(ascii_word(rng, rng.randint(8, 16)).hex() + "::" +
                        rng.choice(("i", "w", "wa", "f", "fi", "a", "wi")))
        elif r < 0.25:
            off = rand_offset(rng, target)
            subs.append(sub(hexsig(rand_body(rng)),
                            None if off == "*" else off))
        else:
            subs.append(hexsig(rand_body(rng)))
    return ldb_line(name, ",".join(tdb), expr, subs)


class DbWriter:
    """Writes one kind of line into main.EXT and daily.EXT (80/20)."""

    def __init__(self, dbdir, ext, rng):
        self.rng = rng
        self.f = [open(os.path.join(dbdir, "main." + ext), "w"),
                  open(os.path.join(dbdir, "daily." + ext), "w")]
        self.count = 0
        self.ext = ext

    def write(self, line, daily=None):
        if daily is None:
            daily = self.rng.random() < 0.2
        self.f[1 if daily else 0].write(line + "\n")
        self.count += 1

    def close(self):
        for f in self.f:
            f.close()


def cmd_db(a):
    man_path = os.path.join(a.corpus, "manifest.json")
    with open(man_path) as f:
        manifest = json.load(f)
    rng = random.Random("db:%d:%s" % (a.seed, a.scale))
    namer = Namer(rng, 1000000)
    total = SCALES[a.scale]
    dbdir = os.path.abspath(a.out)
    os.makedirs(dbdir, exist_ok=True)
    for old in os.listdir(dbdir):
        if old.startswith(("main.", "daily.")):
            os.unlink(os.path.join(dbdir, old))
    planted = {}
    for p in manifest["plants"]:
        for ext in ("hdb", "hsb", "ndb", "ldb", "fp", "sfp", "ign2"):
            planted.setdefault(ext, []).extend(p.get(ext, []))
    n = {k: int(total * v) for k, v in MIX.items()}
    n["hdb"] = total - sum(n.values())
    w = {ext: DbWriter(dbdir, ext, rng) for ext in
         ("hdb", "hsb", "ndb", "ldb", "fp", "sfp", "ign2")}

    def interleave(ext, count, make):
        """count random lines with the planted ones at random places."""
        extra = planted.get(ext, [])
        at = sorted(rng.randrange(count + 1) for _ in extra)
        j = 0
        for i in range(count + 1):
            while j < len(extra) and at[j] == i:
                w[ext].write(extra[j], daily=True)
                j += 1
            if i < count:
                w[ext].write(make())

    interleave("hdb", n["hdb"], lambda: "%032x:%d:%s" % (
        rng.getrandbits(128), rand_size(rng), namer.random()))
    kinds = (["sha1"] * n["sha1"] + ["sha256"] * n["sha256"] +
             ["any"] * n["sha256_any"])
    rng.shuffle(kinds)
    it = iter(kinds)

    def hsb():
        k = next(it)
        if k == "sha1":
            return "%040x:%d:%s" % (rng.getrandbits(160), rand_size(rng),
                                    namer.random())
        if k == "sha256":
            return "%064x:%d:%s" % (rng.getrandbits(256), rand_size(rng),
                                    namer.random())
        return "%064x:*:%s:73" % (rng.getrandbits(256), namer.random())

    interleave("hsb", len(kinds), hsb)
    interleave("ndb", n["ndb"], lambda: rand_ndb(rng, namer))
    interleave("ldb", n["ldb"], lambda: rand_ldb(rng, namer))
    interleave("fp", n["fp"], lambda: "%032x:%d:Allow.Random-%d" % (
        rng.getrandbits(128), rand_size(rng), namer.take_id()))
    interleave("sfp", n["sfp"], lambda: "%064x:%d:Allow.Random-%d" % (
        rng.getrandbits(256), rand_size(rng), namer.take_id()))
    interleave("ign2", n["ign2"], lambda: namer.random())
    for x in w.values():
        x.close()
    counts = {k: x.count for k, x in w.items()}
    with open(os.path.join(dbdir, "bench-db.json"), "w") as f:
        json.dump({"generator": GEN_VERSION, "seed": a.seed,
                   "scale": a.scale, "counts": counts,
                   "corpus_manifest": os.path.abspath(man_path)}, f,
                  indent=1, sort_keys=True)
    if not a.quiet:
        print("db: %s -> %s (%s)" % (a.scale, dbdir, ", ".join(
            "%s=%d" % kv for kv in sorted(counts.items()))), file=sys.stderr)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__ or "gen.py")
    sp = ap.add_subparsers(dest="cmd", required=True)
    c = sp.add_parser("corpus", help="copy and plant a scan corpus")
    c.add_argument("--out", required=True)
    c.add_argument("--size-mb", type=int, required=True)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("-q", "--quiet", action="store_true")
    k = sp.add_parser("containers", help="a corpus of archives, "
                      "compressed streams and mail with planted members")
    k.add_argument("--out", required=True)
    k.add_argument("--size-mb", type=int, required=True,
                   help="member bytes (the files are smaller: compressed)")
    k.add_argument("--seed", type=int, default=1)
    k.add_argument("-q", "--quiet", action="store_true")
    d = sp.add_parser("db", help="write a ClamAV-format database")
    d.add_argument("--out", required=True)
    d.add_argument("--scale", choices=sorted(SCALES), required=True)
    d.add_argument("--corpus", required=True)
    d.add_argument("--seed", type=int, default=1)
    d.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args(argv)
    if a.cmd == "corpus":
        if a.size_mb < 1:
            ap.error("--size-mb must be >= 1")
        return cmd_corpus(a)
    if a.cmd == "containers":
        if a.size_mb < 1:
            ap.error("--size-mb must be >= 1")
        return cmd_containers(a)
    return cmd_db(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
