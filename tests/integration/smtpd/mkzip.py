#!/usr/bin/env python3
"""mkzip.py ZIP NAME SRC [PASSWORD] - write ZIP holding SRC's bytes as
member NAME (stored).  With PASSWORD the member is encrypted with the
traditional PKWARE cipher ("ZipCrypto", APPNOTE 6.1): Python's zipfile
can read such archives but cannot write them, and the `zip` program may
be missing, so the few lines of the cipher are here."""

import os
import struct
import sys
import zipfile
import zlib


def crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t.append(c)
    return t


TAB = crc_table()


class Keys:
    def __init__(self, pw):
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for ch in pw:
            self.update(ch)

    def update(self, b):
        k = self.k
        k[0] = TAB[(k[0] ^ b) & 0xFF] ^ (k[0] >> 8)
        k[1] = ((k[1] + (k[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k[2] = TAB[(k[2] ^ (k[1] >> 24)) & 0xFF] ^ (k[2] >> 8)

    def encrypt(self, data):
        out = bytearray()
        for p in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self.update(p)
        return bytes(out)


def encrypted(path, name, data, pw):
    crc = zlib.crc32(data) & 0xFFFFFFFF
    hdr = os.urandom(11) + bytes([crc >> 24])
    body = Keys(pw).encrypt(hdr + data)
    fname = name.encode()
    flags, method, t, d = 1, 0, 0, (2024 - 1980) << 9 | 1 << 5 | 1
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, t, d,
                        crc, len(body), len(data), len(fname), 0) + fname
    cent = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags,
                       method, t, d, crc, len(body), len(data), len(fname),
                       0, 0, 0, 0, 0, 0) + fname
    off = len(local) + len(body)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cent), off, 0)
    with open(path, "wb") as f:
        f.write(local + body + cent + end)


def main():
    path, name, src = sys.argv[1:4]
    with open(src, "rb") as f:
        data = f.read()
    if len(sys.argv) > 4:
        pw = sys.argv[4].encode()
        encrypted(path, name, data, pw)
        z = zipfile.ZipFile(path)
        assert z.read(name, pwd=pw) == data
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(name, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
