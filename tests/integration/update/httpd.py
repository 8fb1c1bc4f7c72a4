#!/usr/bin/env python3
"""httpd.py - a small static HTTP server for the vigil-update scenarios.

Serves --root on 127.0.0.1, on a port the kernel picks (written to
--port-file once listening).  Misbehaviour on demand:
  --rate N     send bodies at about N bytes a second (slow mirror)
  --drop GLOB  for request paths matching GLOB, announce the whole length,
               send half the body, then close the connection
Every request path is appended to --log.
"""
import argparse
import fnmatch
import http.server
import os
import signal
import socketserver
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", default=os.devnull)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--drop", action="append", default=[])
    a = ap.parse_args()
    logf = open(a.log, "a", buffering=1)

    class Handler(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def __init__(self, *args, **kw):
            super().__init__(*args, directory=a.root, **kw)

        def log_message(self, fmt, *args):
            pass

        def send_head(self):
            logf.write("%s %s\n" % (self.command, self.path))
            return super().send_head()

        def copyfile(self, src, dst):
            path = self.path.split("?", 1)[0]
            if any(fnmatch.fnmatch(path, g) for g in a.drop):
                data = src.read()
                dst.write(data[: len(data) // 2])
                dst.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            chunk = 4096 if a.rate else 65536
            while True:
                b = src.read(chunk)
                if not b:
                    break
                dst.write(b)
                if a.rate:
                    dst.flush()
                    time.sleep(len(b) / a.rate)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
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
