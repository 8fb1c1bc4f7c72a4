#!/usr/bin/env python3
"""icapraw.py - a raw-socket ICAP client for the vigil-icapd edge scenarios.

usage: icapraw.py CASE PORT [ARG...]

Every case talks to 127.0.0.1:PORT with bounded timeouts, prints what it
saw as "key=value" lines (the shell checks them) and exits 0; exit 2 means
the case itself could not run (e.g. a connect refused).

  up PATH           OPTIONS PATH; exit 0 when the answer is ICAP 200
  options PATH      OPTIONS PATH; prints the whole answer head
  send FILE         sends FILE's bytes as they are (ICAP_PORT is
                    substituted for the text @PORT@), prints the status
                    line of the answer and whether the server closed
  badenc            RESPMOD with Encapsulated offsets that are out of order,
                    inside the request headers, not a number
  nosvc             RESPMOD on /no/such/service
  badmethod         FROB on /av/respmod
  wrongmethod       REQMOD on /av/respmod
  chunklie          RESPMOD whose body chunk announces 100 bytes, sends 10,
                    then closes; then OPTIONS on a new connection
  bigpreview        Preview: 4, then 64 bytes of preview data
  stall SECONDS     RESPMOD, half a chunk, then silence: prints after how
                    long the server closed (or gave up after SECONDS)
  idle N PATH       opens N connections that send nothing, then RESPMOD on
                    a new one (clean body); prints how many were opened,
                    the status and the time it took; closes them all
  pipeline N        N OPTIONS requests in one write; counts the answers
  respmod PATH FILE one RESPMOD (no preview) with FILE as the body; prints
                    the status line and the encapsulated HTTP status line
"""
import os
import resource
import socket
import sys
import time

HOST = "127.0.0.1"
EICAR_HINT = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


def conn(port, timeout=10):
    """conn - a connected socket with a timeout"""
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_head(s, limit=65536):
    """read_head - bytes up to and including the first empty line (or EOF)"""
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < limit:
        try:
            b = s.recv(4096)
        except socket.timeout:
            break
        if not b:
            break
        buf += b
    return buf


def read_all(s, limit=1 << 22):
    """read_all - everything until EOF or a timeout"""
    buf = b""
    while len(buf) < limit:
        try:
            b = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not b:
            break
        buf += b
    return buf


def status(buf):
    """status - the first line of an answer, "" when there is none"""
    return buf.split(b"\r\n", 1)[0].decode("latin-1") if buf else ""


def icap_head(method, port, path, extra=""):
    """icap_head - an ICAP request line and headers (no final CRLF)"""
    return ("%s icap://%s:%d%s ICAP/1.0\r\nHost: %s:%d\r\n%s" %
            (method, HOST, port, path, HOST, port, extra))


def respmod(port, path, body, preview=None, extra=""):
    """respmod - a complete RESPMOD request for body (bytes)"""
    req = b"GET http://origin.test/x HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    res = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body))
    enc = "Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n" % (
        len(req), len(req) + len(res))
    hdr = icap_head("RESPMOD", port, path, extra + "Allow: 204\r\n" + enc)
    if preview is not None:
        hdr += "Preview: %d\r\n" % preview
        p = body[:preview]
        tail = b"; ieof\r\n\r\n" if len(p) == len(body) else b"\r\n\r\n"
        chunks = (b"%x\r\n%s\r\n" % (len(p), p) if p else b"") + b"0" + tail
    else:
        chunks = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + \
            b"0\r\n\r\n"
    return hdr.encode() + b"\r\n" + req + res + chunks


def show(key, buf):
    """show - print the status line of buf as key=..."""
    print("%s=%s" % (key, status(buf)))


def closed_after(s, seconds):
    """closed_after - seconds until the peer closed s, or -1 (gave up)"""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            b = s.recv(65536)
            if not b:
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return -1


def case_up(port, path):
    s = conn(port, 2)
    s.sendall((icap_head("OPTIONS", port, path) + "\r\n").encode())
    return 0 if status(read_head(s)).startswith("ICAP/1.0 200") else 1


def case_options(port, path):
    s = conn(port)
    s.sendall((icap_head("OPTIONS", port, path) + "\r\n").encode())
    sys.stdout.write(read_head(s).decode("latin-1"))
    return 0


def case_send(port, path):
    data = open(path, "rb").read().replace(b"@PORT@", str(port).encode())
    s = conn(port, 5)
    s.sendall(data)
    buf = read_head(s)
    show("status", buf)
    print("closed=%d" % (1 if closed_after(s, 3) >= 0 else 0))
    return 0


def case_badenc(port):
    req = b"GET http://origin.test/x HTTP/1.1\r\nHost: origin.test\r\n\r\n"
    res = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    for n, enc in enumerate([
            # out of order
            "req-hdr=0, res-hdr=%d, res-body=0" % len(req),
            # res-hdr inside the request headers (they do not end there)
            "req-hdr=0, res-hdr=20, res-body=%d" % (len(req) + len(res)),
            # not a number
            "req-hdr=0, res-hdr=x, res-body=%d" % (len(req) + len(res))]):
        s = conn(port, 5)
        s.sendall((icap_head("RESPMOD", port, "/av/respmod",
                             "Encapsulated: %s\r\n" % enc) +
                   "\r\n").encode() + req + res + b"5\r\nhello\r\n0\r\n\r\n")
        show("status%d" % n, read_head(s))
    return 0


def case_nosvc(port):
    s = conn(port, 5)
    s.sendall(respmod(port, "/no/such/service", b"hello"))
    show("status", read_head(s))
    return 0


def case_badmethod(port):
    s = conn(port, 5)
    s.sendall((icap_head("FROB", port, "/av/respmod",
                         "Encapsulated: null-body=0\r\n") + "\r\n").encode())
    show("status", read_head(s))
    return 0


def case_wrongmethod(port):
    req = b"POST http://origin.test/x HTTP/1.1\r\nHost: origin.test\r\n" \
          b"Content-Length: 5\r\n\r\n"
    s = conn(port, 5)
    s.sendall((icap_head("REQMOD", port, "/av/respmod",
                         "Encapsulated: req-hdr=0, req-body=%d\r\n" %
                         len(req)) + "\r\n").encode() + req +
              b"5\r\nhello\r\n0\r\n\r\n")
    show("status", read_head(s))
    return 0


def case_chunklie(port):
    full = respmod(port, "/av/respmod", b"0123456789" * 10)
    cut = full.index(b"64\r\n") + 4 + 10
    s = conn(port, 5)
    s.sendall(full[:cut])
    s.shutdown(socket.SHUT_WR)
    buf = read_all(s)
    s.close()
    show("status", buf)
    print("got=%d" % len(buf))
    s = conn(port, 5)
    s.sendall((icap_head("OPTIONS", port, "/av/respmod") + "\r\n").encode())
    show("after", read_head(s))
    return 0


def case_bigpreview(port):
    # a correct request with 64 bytes of preview (of 100), then the ICAP
    # Preview header made to say 4 (the encapsulated offsets stay right)
    req = respmod(port, "/av/respmod", b"A" * 100, preview=64)
    req = req.replace(b"\r\nPreview: 64\r\n", b"\r\nPreview: 4\r\n", 1)
    s = conn(port, 5)
    s.sendall(req)
    show("status", read_head(s))
    return 0


def case_stall(port, seconds):
    full = respmod(port, "/av/respmod", b"x" * 1000)
    cut = full.index(b"3e8\r\n") + 5 + 300
    s = conn(port, 5)
    s.sendall(full[:cut])
    t = closed_after(s, float(seconds))
    print("closed_after=%.1f" % t)
    return 0


def case_idle(port, n, path):
    n = int(n)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if hard != resource.RLIM_INFINITY and hard < want:
        print("skip=RLIMIT_NOFILE hard limit %d < %d" % (hard, want))
        return 3
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    held = []
    t0 = time.monotonic()
    err = ""
    try:
        while len(held) < n and time.monotonic() - t0 < 60:
            s = socket.socket()
            s.settimeout(2)
            s.connect((HOST, port))
            held.append(s)
    except OSError as e:
        err = str(e)
    print("opened=%d" % len(held))
    print("open_secs=%.1f" % (time.monotonic() - t0))
    if err:
        print("open_error=%s" % err.replace(" ", "_"))
    time.sleep(0.5)
    t1 = time.monotonic()
    try:
        s = conn(port, 5)
        s.sendall(respmod(port, path, b"clean idle test body\n"))
        buf = read_head(s)
    except OSError as e:
        buf = b""
        print("error=%s" % str(e).replace(" ", "_"))
    show("status", buf)
    print("secs=%.1f" % (time.monotonic() - t1))
    alive = 0
    for s in held:
        s.setblocking(False)
        try:
            alive += 1 if s.recv(1) != b"" else 0
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
        s.close()
    print("still_open=%d" % alive)
    return 0


def case_pipeline(port, n):
    n = int(n)
    s = conn(port, 5)
    one = (icap_head("OPTIONS", port, "/av/respmod") + "\r\n").encode()
    s.sendall(one * n)
    buf = b""
    t0 = time.monotonic()
    s.settimeout(0.5)
    while buf.count(b"ICAP/1.0 ") < n and time.monotonic() - t0 < 5:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        if not b:
            break
        buf += b
    print("answers=%d" % buf.count(b"ICAP/1.0 200"))
    return 0


def case_respmod(port, path, f):
    body = open(f, "rb").read()
    s = conn(port, 30)
    s.sendall(respmod(port, path, body))
    buf = read_head(s)
    show("status", buf)
    rest = buf.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in buf else b""
    print("http=%s" % status(rest))
    return 0


CASES = {
    "up": (case_up, 1), "options": (case_options, 1), "send": (case_send, 1),
    "badenc": (case_badenc, 0), "nosvc": (case_nosvc, 0),
    "badmethod": (case_badmethod, 0), "wrongmethod": (case_wrongmethod, 0),
    "chunklie": (case_chunklie, 0), "bigpreview": (case_bigpreview, 0),
    "stall": (case_stall, 1), "idle": (case_idle, 2),
    "pipeline": (case_pipeline, 1), "respmod": (case_respmod, 2),
}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in CASES:
        sys.stderr.write(__doc__)
        return 2
    fn, nargs = CASES[sys.argv[1]]
    args = sys.argv[3:]
    if len(args) != nargs:
        sys.stderr.write("icapraw.py %s: %d argument(s)\n" % (sys.argv[1], nargs))
        return 2
    try:
        return fn(int(sys.argv[2]), *args)
    except OSError as e:
        print("error=%s" % str(e).replace(" ", "_"))
        return 2


if __name__ == "__main__":
    sys.exit(main())
