#!/usr/bin/env python3
"""smtpc.py - an SMTP/LMTP client for the vigil-smtpd scenarios: what
swaks (20201014) cannot send: ESMTP parameters (BODY, SMTPUTF8, DSN),
XFORWARD, raw bytes, pipelined writes, a dropped connection.

One transaction:

    smtpc.py send --port P [--lmtp] [--from ADDR] [--mail-params "X=Y .."]
             [--to ADDR[ PARAMS]]... [--xforward "NAME=x ADDR=y"]
             [--data FILE] [--timeout S]

prints the transcript ("C: ..." / "S: ...") and then one line
"RESULT <code> <addr>" per recipient (the RCPT reply when it refused, else
the DATA reply: per recipient for LMTP), and exits 0 when every recipient
got a 2xx.  FILE is sent with its line ends made CRLF and dot-stuffed.

As a module (for raw tests): Client(port, timeout) with send(bytes),
reply() -> (code, [lines]) or (None, []) on EOF, cmd(line) -> reply(),
closed() -> True when the server closed the connection.
"""

import argparse
import socket
import sys
import time


class Client:
    def __init__(self, port, timeout=30.0, host="127.0.0.1", quiet=False):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.quiet = quiet
        self.deadline = time.monotonic() + 2 * timeout + 30

    def out(self, who, data):
        if not self.quiet:
            t = data.decode("utf-8", "replace") if isinstance(data, bytes) \
                else data
            t = "".join(ch if ch >= " " or ch == "\t" else "^%c" %
                        (ord(ch) + 64) for ch in t)
            if len(t) > 300:
                t = t[:300] + "...(%d chars)" % len(t)
            print("%s %s" % (who, t), flush=True)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.out("C:", data.rstrip(b"\r\n"))
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            if time.monotonic() > self.deadline:
                raise TimeoutError("session too long")
            try:
                d = self.s.recv(65536)
            except ConnectionResetError:
                d = b""
            if not d:
                return None
            self.buf += d
        ln, _, self.buf = self.buf.partition(b"\n")
        return ln.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            if ln is None:
                self.out("S:", "<EOF>")
                return None, lines
            self.out("S:", ln)
            lines.append(ln)
            if len(ln) < 4 or ln[3] != "-":
                try:
                    return int(ln[:3]), lines
                except ValueError:
                    return 0, lines

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, wait=5.0):
        """True when the server closes the connection within wait s."""
        old = self.s.gettimeout()
        self.s.settimeout(wait)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except socket.timeout:
            return False
        except OSError:
            return True
        finally:
            self.s.settimeout(old)

    def close(self):
        self.s.close()


def stuff(msg):
    """msg (bytes) with CRLF line ends and dots doubled, plus the end."""
    lines = msg.replace(b"\r\n", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = [b"." + ln if ln.startswith(b".") else ln for ln in lines]
    return b"\r\n".join(out) + b"\r\n.\r\n"


def send(a):
    c = Client(a.port, a.timeout)
    res = []
    code, _ = c.reply()
    if code != 220:
        print("RESULT %s greeting" % code)
        return 1
    code, _ = c.cmd(("LHLO " if a.lmtp else "EHLO ") + a.helo)
    if code != 250:
        print("RESULT %s hello" % code)
        return 1
    if a.xforward:
        code, _ = c.cmd("XFORWARD " + a.xforward)
        if code != 250:
            print("RESULT %s xforward" % code)
            return 1
    code, _ = c.cmd("MAIL FROM:<%s>%s" % (
        a.sender, " " + a.mail_params if a.mail_params else ""))
    if code != 250:
        print("RESULT %s mail" % code)
        c.cmd("QUIT")
        return 1
    ok = []
    for t in a.to:
        addr, _, params = t.partition(" ")
        code, _ = c.cmd("RCPT TO:<%s>%s" % (addr,
                                            " " + params if params else ""))
        if code == 250:
            ok.append(addr)
        else:
            res.append((code, addr))
    if ok:
        code, _ = c.cmd("DATA")
        if code != 354:
            res += [(code, x) for x in ok]
        else:
            with open(a.data, "rb") as f:
                c.send(stuff(f.read()))
            if a.lmtp:
                for x in ok:
                    code, _ = c.reply()
                    res.append((code, x))
            else:
                code, _ = c.reply()
                res += [(code, x) for x in ok]
    c.cmd("QUIT")
    for code, x in res:
        print("RESULT %s %s" % (code, x))
    return 0 if res and all(r[0] and 200 <= r[0] < 300 for r in res) else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["send"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lmtp", action="store_true")
    ap.add_argument("--helo", default="client.test")
    ap.add_argument("--from", dest="sender", default="sender@example.com")
    ap.add_argument("--mail-params", default="")
    ap.add_argument("--to", action="append", default=[])
    ap.add_argument("--xforward")
    ap.add_argument("--data", required=True)
    ap.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    return send(a)


if __name__ == "__main__":
    sys.exit(main())
