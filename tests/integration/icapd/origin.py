#!/usr/bin/env python3
"""origin.py - the origin web server of the vigil-icapd scenarios.

A threaded HTTP/1.1 server on 127.0.0.1 (port picked by the kernel unless
--port is given; written to --port-file once listening).  --eicar names a
file holding the EICAR test string (written by eicar() of lib.sh: the
string is never committed); every test object is built from it in memory:

  /clean.txt            a short clean text
  /eicar.com            EICAR
  /eicar.gz             gzip of EICAR, Content-Encoding: gzip, text/plain
  /eicar.zip            a zip holding readme.txt and eicar.com
  /big.bin              1 MiB of deterministic pseudo-random bytes
  /big-eicar.bin        1 MiB: EICAR at the start, then the pseudo-random bytes
  /big-eicar-end.bin    1 MiB: the pseudo-random bytes, EICAR as the last bytes
  /upload               GET: an HTML form; POST: reads the whole body and
                        answers 200 "received N bytes"

Any other path: 404.  GETs carry Cache-Control: max-age=3600 so that a
proxy would cache them.  Every request is logged to --log as
"METHOD PATH LENGTH SHA256" (LENGTH/SHA256 of a POST body, "-" else),
one line, flushed at once.
"""
import argparse
import gzip
import hashlib
import http.server
import io
import os
import random
import signal
import socketserver
import sys
import zipfile

MIB = 1 << 20
MAX_POST = 64 * MIB


def objects(eicar):
    """objects - path -> (content type, extra headers, body)"""
    rnd = random.Random(20261121).randbytes(MIB)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "hello from the vigil test origin\n")
        zf.writestr("eicar.com", eicar)
    plain = "text/plain"
    octet = "application/octet-stream"
    return {
        "/clean.txt": (plain, {}, b"hello, this is a clean text file\n" * 4),
        "/eicar.com": (octet, {}, eicar),
        "/eicar.gz": (plain, {"Content-Encoding": "gzip"},
                      gzip.compress(eicar, mtime=0)),
        "/eicar.zip": ("application/zip", {}, z.getvalue()),
        "/big.bin": (octet, {}, rnd),
        "/big-eicar.bin": (octet, {}, eicar + rnd[len(eicar):]),
        "/big-eicar-end.bin": (octet, {}, rnd[:MIB - len(eicar)] + eicar),
        "/upload": ("text/html; charset=utf-8", {}, (
            b"<!DOCTYPE html>\n<html><head><title>upload</title></head>"
            b"<body><form method=\"post\" enctype=\"multipart/form-data\">"
            b"<input type=\"file\" name=\"file\"><input type=\"submit\">"
            b"</form></body></html>\n")),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eicar", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default=os.devnull)
    a = ap.parse_args()
    with open(a.eicar, "rb") as f:
        objs = objects(f.read())
    logf = open(a.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def reply(self, code, ctype, extra, body, head=False):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def get(self, head):
            path = self.path.split("?", 1)[0]
            logf.write("%s %s - -\n" % (self.command, path))
            o = objs.get(path)
            if o is None:
                self.reply(404, "text/plain", {}, b"not found\n", head)
                return
            extra = dict(o[1])
            extra["Cache-Control"] = "max-age=3600"
            extra["Last-Modified"] = "Sat, 21 Nov 2026 00:00:00 GMT"
            self.reply(200, o[0], extra, o[2], head)

        def do_GET(self):
            self.get(False)

        def do_HEAD(self):
            self.get(True)

        def read_body(self):
            """read_body - the request body (Content-Length or chunked)"""
            te = self.headers.get("Transfer-Encoding", "").lower()
            if "chunked" in te:
                out = bytearray()
                while len(out) <= MAX_POST:
                    line = self.rfile.readline(1024)
                    n = int(line.split(b";")[0].strip() or b"0", 16)
                    if n == 0:
                        while self.rfile.readline(1024) not in (b"\r\n",
                                                                 b"\n", b""):
                            pass
                        break
                    out += self.rfile.read(n)
                    self.rfile.readline(16)
                return bytes(out)
            n = int(self.headers.get("Content-Length", "0"))
            return self.rfile.read(min(n, MAX_POST))

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            body = self.read_body()
            logf.write("POST %s %d %s\n" % (
                path, len(body), hashlib.sha256(body).hexdigest()))
            if path != "/upload":
                self.reply(404, "text/plain", {}, b"not found\n")
                return
            self.reply(200, "text/plain", {"Cache-Control": "no-store"},
                       b"received %d bytes\n" % len(body))

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
