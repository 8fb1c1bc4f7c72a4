#!/usr/bin/env python3
"""sink.py - an SMTP and LMTP sink for the vigil-smtpd scenarios.

Serve (TCP on 127.0.0.1, or one session on stdin/stdout with --stdio):

    sink.py --dir DIR [--port N | --port-file F] [--lmtp] [--stdio]
            [--control FILE] [--lifetime S]

Every accepted transaction is recorded as DIR/N.eml (the message bytes,
dot-unstuffed, line ends as received) and then DIR/N.json:
    {"mail_from", "mail_params", "rcpts": [{"addr", "params"}],
     "xforward": {NAME: value}, "helo", "proto", "n"}
(N counts from 1; the .json is written last, so its presence means the
transaction is complete).  Refused transactions are not recorded; every
command and reply goes to DIR/sink.log.

It announces PIPELINING, SIZE, 8BITMIME, DSN, XFORWARD,
ENHANCEDSTATUSCODES and SMTPUTF8, and answers LMTP DATA with one reply per
accepted recipient.

The control file (re-read at every command) holds lines
    rcpt REGEX CODE TEXT     refuse matching recipients at RCPT
    data REGEX CODE TEXT     refuse matching recipients at DATA (LMTP: that
                             recipient's reply; SMTP: the whole DATA reply)
    mail REGEX CODE TEXT     refuse matching senders at MAIL
    slow SECONDS             wait that long before every DATA reply
REGEX is searched in the address (".*" or "" matches all; "<>" is "").

Query (for the scenarios):

    sink.py count DIR               number of complete transactions
    sink.py find DIR EXPR           numbers of the transactions where the
                                    Python EXPR is true; names: j (the
                                    json), e (the message, str, latin-1),
                                    h (its header block), b (its body),
                                    rc (recipient addresses), hdr(NAME)
                                    (the first header NAME, unfolded, or
                                    None), n, parts (leaf parts and zip
                                    members: (type, name, bytes)), eicar
                                    (EICAR anywhere, decoded or zipped),
                                    rfc822 (number of message/rfc822
                                    parts: a wrapped copy, an attached
                                    original)
    sink.py get DIR N EXPR          print EXPR for transaction N

Bounded: --lifetime (default 300 s) ends the process; every session
times out after 60 s of silence.
"""

import argparse
import email
import email.policy
import io
import json
import os
import re
import socket
import sys
import threading
import time
import zipfile

EXTS = ["PIPELINING", "SIZE 104857600", "8BITMIME", "DSN",
        "XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE",
        "ENHANCEDSTATUSCODES", "SMTPUTF8"]
MAX_LINE = 65536
MAX_MSG = 200 * 1024 * 1024


class Sink:
    """State shared by all sessions: the directory and the counter."""

    def __init__(self, args):
        self.dir = args.dir
        self.lmtp = args.lmtp
        self.control = args.control
        self.lock = threading.Lock()
        self.n = 0
        for f in os.listdir(self.dir):
            m = re.match(r"^(\d+)\.json$", f)
            if m:
                self.n = max(self.n, int(m.group(1)))
        self.logf = open(os.path.join(self.dir, "sink.log"), "a")

    def log(self, sid, what, data):
        with self.lock:
            self.logf.write("%s %d %s %r\n" % (time.strftime("%H:%M:%S"),
                                               sid, what, data))
            self.logf.flush()

    def rules(self):
        """The control file's rules: list of (kind, regex, code, text)."""
        out = []
        if not self.control:
            return out
        try:
            with open(self.control) as f:
                lines = f.read().splitlines()
        except OSError:
            return out
        for ln in lines:
            p = ln.split(None, 3)
            if not p or p[0].startswith("#"):
                continue
            if p[0] == "slow" and len(p) >= 2:
                out.append(("slow", None, float(p[1]), ""))
            elif p[0] in ("rcpt", "data", "mail") and len(p) >= 3:
                out.append((p[0], p[1], int(p[2]),
                            p[3] if len(p) > 3 else "refused by the sink"))
        return out

    def refusal(self, kind, addr):
        for k, rx, code, text in self.rules():
            if k == kind and (rx in ("", ".*") or re.search(rx, addr)):
                return code, text
        return None

    def slow(self):
        for k, _, secs, _ in self.rules():
            if k == "slow":
                return min(secs, 120.0)
        return 0.0

    def record(self, tx, msg):
        with self.lock:
            self.n += 1
            n = self.n
        tx["n"] = n
        base = os.path.join(self.dir, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(msg)
        with open(base + ".json.tmp", "w") as f:
            json.dump(tx, f, indent=1)
        os.rename(base + ".json.tmp", base + ".json")
        return n


class Session:
    """One SMTP/LMTP session over a reader and a writer."""

    def __init__(self, sink, sid, rfile, wfile):
        self.s = sink
        self.sid = sid
        self.r = rfile
        self.w = wfile
        self.helo = None
        self.xforward = {}
        self.reset()

    def reset(self):
        self.mail = None
        self.mail_params = []
        self.rcpts = []

    def say(self, text):
        self.s.log(self.sid, "S:", text)
        self.w.write(text.encode("utf-8", "surrogateescape") + b"\r\n")
        self.w.flush()

    def readline(self):
        ln = self.r.readline(MAX_LINE)
        if not ln:
            return None
        return ln

    def run(self):
        name = "LMTP" if self.s.lmtp else "ESMTP"
        self.say("220 sink.test %s sink.py ready" % name)
        while True:
            raw = self.readline()
            if raw is None:
                return
            line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            self.s.log(self.sid, "C:", line)
            if len(raw) >= MAX_LINE and not raw.endswith(b"\n"):
                self.say("500 5.5.2 line too long")
                continue
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb) + 1:] if " " in line else ""
            if not self.command(verb, arg):
                return

    def command(self, verb, arg):
        lmtp = self.s.lmtp
        if verb in ("EHLO", "HELO", "LHLO"):
            if lmtp != (verb == "LHLO"):
                self.say("500 5.5.1 %s is not spoken here" % verb)
                return True
            self.helo = arg
            self.reset()
            if verb == "HELO":
                self.say("250 sink.test")
            else:
                lines = ["sink.test hello " + arg] + EXTS
                for ln in lines[:-1]:
                    self.say("250-" + ln)
                self.say("250 " + lines[-1])
        elif verb == "XFORWARD":
            for a in arg.split():
                k, _, v = a.partition("=")
                self.xforward[k.upper()] = v
            self.say("250 2.0.0 Ok")
        elif verb == "MAIL":
            m = re.match(r"(?i)^FROM:\s*<([^>]*)>\s*(.*)$", arg)
            if not m:
                self.say("501 5.5.4 syntax: MAIL FROM:<address>")
            elif self.mail is not None:
                self.say("503 5.5.1 nested MAIL")
            else:
                ref = self.s.refusal("mail", m.group(1))
                if ref:
                    self.say("%d %s" % ref)
                else:
                    self.mail = m.group(1)
                    self.mail_params = m.group(2).split()
                    self.say("250 2.1.0 Ok")
        elif verb == "RCPT":
            m = re.match(r"(?i)^TO:\s*<([^>]*)>\s*(.*)$", arg)
            if self.mail is None:
                self.say("503 5.5.1 need MAIL first")
            elif not m:
                self.say("501 5.5.4 syntax: RCPT TO:<address>")
            else:
                ref = self.s.refusal("rcpt", m.group(1))
                if ref:
                    self.say("%d %s" % ref)
                else:
                    self.rcpts.append({"addr": m.group(1),
                                       "params": m.group(2).split()})
                    self.say("250 2.1.5 Ok")
        elif verb == "DATA":
            if self.mail is None or not self.rcpts:
                self.say("503 5.5.1 need RCPT first")
                return True
            self.say("354 End data with <CR><LF>.<CR><LF>")
            msg = self.data()
            if msg is None:
                return False
            self.finish(msg)
            self.reset()
            self.xforward = {}
        elif verb == "RSET":
            self.reset()
            self.xforward = {}
            self.say("250 2.0.0 Ok")
        elif verb == "NOOP":
            self.say("250 2.0.0 Ok")
        elif verb == "QUIT":
            self.say("221 2.0.0 Bye")
            return False
        else:
            self.say("502 5.5.2 %s not implemented" % verb)
        return True

    def data(self):
        """The message up to the "." line, unstuffed; None on EOF."""
        out = []
        size = 0
        while True:
            ln = self.r.readline(MAX_LINE)
            if not ln:
                self.s.log(self.sid, "EOF", "in DATA after %d bytes" % size)
                return None
            if ln in (b".\r\n", b".\n"):
                break
            if ln.startswith(b"."):
                ln = ln[1:]
            size += len(ln)
            if size <= MAX_MSG:
                out.append(ln)
        msg = b"".join(out)
        self.s.log(self.sid, "DATA", "%d bytes" % len(msg))
        return msg

    def finish(self, msg):
        slow = self.s.slow()
        if slow:
            time.sleep(slow)
        tx = {"mail_from": self.mail, "mail_params": self.mail_params,
              "xforward": dict(self.xforward), "helo": self.helo,
              "proto": "lmtp" if self.s.lmtp else "smtp"}
        if self.s.lmtp:
            replies, ok = [], []
            for r in self.rcpts:
                ref = self.s.refusal("data", r["addr"])
                if ref:
                    replies.append("%d %s" % ref)
                else:
                    ok.append(r)
                    replies.append("250 2.0.0 <%s> delivered" % r["addr"])
            if ok:
                tx["rcpts"] = ok
                n = self.s.record(tx, msg)
                self.s.log(self.sid, "RECORDED", n)
            for rep in replies:
                self.say(rep)
            return
        for r in self.rcpts:
            ref = self.s.refusal("data", r["addr"])
            if ref:
                self.say("%d %s" % ref)
                return
        tx["rcpts"] = self.rcpts
        n = self.s.record(tx, msg)
        self.s.log(self.sid, "RECORDED", n)
        self.say("250 2.0.0 Ok: queued as SINK%d" % n)


def serve(args):
    sink = Sink(args)
    if args.stdio:
        threading.Timer(args.lifetime, lambda: os._exit(3)).start()
        rf = os.fdopen(0, "rb", buffering=65536)
        wf = os.fdopen(1, "wb", buffering=0)
        try:
            Session(sink, os.getpid(), rf, wf).run()
        except (OSError, ValueError):
            pass
        os._exit(0)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port or 0))
    ls.listen(64)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    deadline = time.monotonic() + args.lifetime
    ls.settimeout(1.0)
    sid = 0
    while time.monotonic() < deadline:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        sid += 1
        c.settimeout(60)
        t = threading.Thread(target=session, args=(sink, sid, c),
                             daemon=True)
        t.start()
    os._exit(0)


def session(sink, sid, c):
    try:
        Session(sink, sid, c.makefile("rb"), c.makefile("wb")).run()
    except (OSError, ValueError) as e:
        sink.log(sid, "ERR", str(e))
    finally:
        try:
            c.close()
        except OSError:
            pass


def load(d, n):
    with open(os.path.join(d, "%d.json" % n)) as f:
        j = json.load(f)
    with open(os.path.join(d, "%d.eml" % n), "rb") as f:
        e = f.read().decode("latin-1")
    return j, e


def names(j, e, n):
    m = re.search(r"\r?\n\r?\n", e)
    h = e[:m.start() + m.group().index("\n") + 1] if m else e
    b = e[m.end():] if m else ""

    def hdr(name):
        mm = re.search(r"(?im)^%s:[ \t]*(.*(?:\r?\n[ \t].*)*)" %
                       re.escape(name), h)
        return re.sub(r"\r?\n[ \t]+", " ", mm.group(1)).strip() if mm else None
    ps = parts(e)
    try:
        wrapped = sum(1 for p in email.message_from_bytes(
            e.encode("latin-1"), policy=email.policy.compat32).walk()
            if p.get_content_type() == "message/rfc822")
    except Exception:
        wrapped = 0
    return {"j": j, "e": e, "h": h, "b": b, "n": n, "hdr": hdr, "re": re,
            "rc": [r["addr"] for r in j["rcpts"]], "parts": ps,
            "rfc822": wrapped,
            "eicar": any(EICAR in p[2] for p in ps) or EICAR in e.encode(
                "latin-1")}


EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"


def parts(e):
    """Every leaf part, message/rfc822 ones opened, as (content type,
    file name, decoded bytes); a zip's members follow it as
    ("zip-member", name, bytes) (None when encrypted)."""
    out = []
    try:
        msg = email.message_from_bytes(e.encode("latin-1"),
                                       policy=email.policy.compat32)
        for p in msg.walk():
            if p.is_multipart():
                continue
            data = p.get_payload(decode=True) or b""
            out.append((p.get_content_type(), p.get_filename(), data))
            if data[:4] == b"PK\x03\x04":
                try:
                    z = zipfile.ZipFile(io.BytesIO(data))
                    for i in z.infolist():
                        if i.flag_bits & 1:
                            out.append(("zip-member", i.filename, None))
                        else:
                            out.append(("zip-member", i.filename,
                                        z.read(i)))
                except (zipfile.BadZipFile, RuntimeError, OSError):
                    pass
    except Exception as x:  # a malformed message: no parts
        out.append(("error", str(x), b""))
    return [(a, b, c if c is not None else b"") for a, b, c in out]


def numbers(d):
    out = []
    for f in os.listdir(d):
        m = re.match(r"^(\d+)\.json$", f)
        if m:
            out.append(int(m.group(1)))
    return sorted(out)


def main():
    if len(sys.argv) > 1 and sys.argv[1] in ("count", "find", "get"):
        cmd, d = sys.argv[1], sys.argv[2]
        if cmd == "count":
            print(len(numbers(d)))
        elif cmd == "find":
            hit = []
            for n in numbers(d):
                j, e = load(d, n)
                if eval(sys.argv[3], names(j, e, n)):
                    hit.append(str(n))
            print(" ".join(hit))
            return 0 if hit else 1
        else:
            n = int(sys.argv[3])
            j, e = load(d, n)
            v = eval(sys.argv[4], names(j, e, n))
            sys.stdout.write(v if isinstance(v, str) else json.dumps(v))
            sys.stdout.write("\n")
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--lmtp", action="store_true")
    ap.add_argument("--stdio", action="store_true")
    ap.add_argument("--control")
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
