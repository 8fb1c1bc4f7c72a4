#!/bin/bash
# 005-hostile: what a broken or hostile client can send vigil-smtpd, over
# raw sockets (smtpc.py's Client) where swaks cannot: malformed MIME (an
# unclosed boundary around EICAR), a 2 MiB header block with no body, bare
# LF line ends, NUL bytes, 8-bit header bytes without SMTPUTF8, pipelining
# abuse (a whole transaction in one write, a second transaction after the
# dot in the same write, RCPT before MAIL, DATA without RCPT or MAIL),
# a message over [smtpscan.limits] MaxMessageSize (552, nothing delivered;
# SIZE= over it refused at MAIL), an overlong command line (500), a NUL in
# a command, a client that disconnects in the middle of DATA (nothing
# delivered) or after MAIL, and a flood of junk commands (5xx each, or a
# 421 that ends the session); the daemon must
# answer and deliver afterwards.  Every socket wait is bounded (30 s);
# the whole scenario takes well under a minute.
. "$(dirname "$0")/slib.sh" || exit 1
need_smtpd

sink_start main
SCONF_LIMITS="MaxMessageSize=3M"
smtpd_conf
vigild_start
smtpd_start
eicar "$T/eicar.com"

# the cases, in Python: each prints "ok: ..." / "FAIL: ..." lines (counted
# below) and its transcript ("C:"/"S:" lines)
cat > "$T/h.py" <<'EOF'
import base64, os, sys, time
sys.path.insert(0, os.environ["SDIR"])
from smtpc import Client, stuff

port = int(sys.argv[2])
EICAR = open(os.environ["T"] + "/eicar.com", "rb").read()
fails = 0


def check(desc, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + desc, flush=True)
    if not cond:
        fails += 1


def hello(c):
    code, _ = c.reply()
    check("greeting 220", code == 220)
    code, _ = c.cmd("EHLO hostile.test")
    check("EHLO 250", code == 250)


def tx(c, msg, desc, rcpt="rcpt@example.org", want=250, raw=None):
    """One transaction; msg is stuffed (raw: sent as it is)."""
    code, _ = c.cmd("MAIL FROM:<sender@example.com>")
    check(desc + ": MAIL 250", code == 250)
    code, _ = c.cmd("RCPT TO:<%s>" % rcpt)
    check(desc + ": RCPT 250", code == 250)
    code, _ = c.cmd("DATA")
    check(desc + ": DATA 354", code == 354)
    c.send(raw if raw is not None else stuff(msg))
    code, _ = c.reply()
    ok = code == want if isinstance(want, int) else code in want
    check("%s: answer %s (got %s)" % (desc, want, code), ok)
    return code


def hdrs(subject):
    return ("From: sender@example.com\r\nTo: rcpt@example.org\r\n"
            "Subject: %s\r\nMessage-ID: <%s@example.com>\r\n" %
            (subject, subject.replace(" ", "-"))).encode()


case = sys.argv[1]
c = Client(port, 30)
hello(c)
if case == "unclosed":
    m = hdrs("unclosed boundary") + (
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n"
        b"\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XX\r\n"
        b"Content-Type: application/octet-stream; name=\"e.com\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" +
        base64.encodebytes(EICAR).replace(b"\n", b"\r\n"))
    tx(c, m, "unclosed boundary", want=(250, 550, 554))
elif case == "hugeheader":
    h = hdrs("huge header")
    line = b"X-Junk: " + b"j" * 70 + b"\r\n"
    m = h + line * (2 * 1024 * 1024 // len(line))
    tx(c, m, "2 MiB header block, no body", want=(250, 552, 554))
elif case == "barelf":
    m = hdrs("bare lf").replace(b"\r\n", b"\n") + b"\nline one\n.dot line\nend\n"
    raw = m.replace(b"\n.", b"\n..") + b".\n"
    tx(c, None, "bare LF line ends", raw=raw)
elif case == "nul":
    m = hdrs("nul bytes") + b"\r\nbefore\x00after\r\n\x00\x00\r\n"
    tx(c, m, "NUL bytes in the body")
elif case == "8bithdr":
    m = hdrs("8bit header") + \
        "X-Name: J\xfcrgen M\xfcller\r\n".encode("latin-1") + b"\r\nbody\r\n"
    tx(c, m, "8-bit header bytes without SMTPUTF8")
elif case == "pipeline":
    m = stuff(hdrs("pipelined one") + b"\r\none\r\n")
    c.send(b"MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.org>\r\n"
           b"RCPT TO:<second@example.org>\r\nRCPT TO:<third@example.org>\r\n"
           b"DATA\r\n")
    codes = [c.reply()[0] for _ in range(5)]
    check("one write MAIL RCPT RCPT RCPT DATA: 250 250 250 250 354 (got %s)"
          % codes, codes == [250, 250, 250, 250, 354])
    m2 = stuff(hdrs("pipelined two") + b"\r\ntwo\r\n")
    c.send(m + b"MAIL FROM:<sender@example.com>\r\nRCPT TO:<rcpt@example.org>\r\n"
           b"DATA\r\n" + m2 + b"NOOP\r\n")
    codes = [c.reply()[0] for _ in range(5)]
    check("the dot and a second transaction in one write: 250 250 250 354 250"
          " (got %s)" % codes, codes == [250, 250, 250, 354, 250])
    code, _ = c.reply()
    check("NOOP after the second dot, same write: 250 (got %s)" % code,
          code == 250)
elif case == "order":
    code, _ = c.cmd("RCPT TO:<rcpt@example.org>")
    check("RCPT before MAIL: 503 (got %s)" % code, code == 503)
    code, _ = c.cmd("DATA")
    check("DATA before MAIL: 503 (got %s)" % code, code == 503)
    code, _ = c.cmd("MAIL FROM:<sender@example.com>")
    check("MAIL afterwards: 250 (got %s)" % code, code == 250)
    code, _ = c.cmd("MAIL FROM:<sender@example.com>")
    check("nested MAIL: 503 (got %s)" % code, code == 503)
    code, _ = c.cmd("DATA")
    check("DATA without RCPT: 503 (got %s)" % code, code == 503)
    code, _ = c.cmd("RCPT TO:<rcpt@example.org>")
    check("RCPT afterwards: 250 (got %s)" % code, code == 250)
    code, _ = c.cmd("RSET")
    check("RSET: 250 (got %s)" % code, code == 250)
    code, _ = c.cmd("DATA")
    check("DATA after RSET: 503 (got %s)" % code, code == 503)
elif case == "oversize":
    code, _ = c.cmd("MAIL FROM:<sender@example.com> SIZE=5000000")
    check("MAIL SIZE=5000000 over MaxMessageSize=3M: 552 (got %s)" % code,
          code == 552)
    body = (b"o" * 76 + b"\r\n") * (4 * 1024 * 1024 // 78)
    tx(c, hdrs("oversize") + b"\r\n" + body, "4 MiB message, limit 3M",
       want=552)
elif case == "longline":
    code, lines = c.cmd("NOOP " + "x" * 5000)
    check("a 5005-byte command line: 500 (got %s)" % code, code == 500)
    if code is not None and not c.closed(0.3):
        code, _ = c.cmd("NOOP")
        check("the session goes on: NOOP 250 (got %s)" % code, code == 250)
    c = Client(port, 30)
    hello(c)
    code, _ = c.cmd("MAIL FROM:<" + "a" * 3000 + "@example.com>")
    check("a 3000-byte address: 5xx (got %s)" % code,
          code is not None and 500 <= code < 600)
elif case == "nulcmd":
    code, _ = c.cmd("MAIL FROM:<send\x00er@example.com>")
    check("NUL in MAIL: 5xx (got %s)" % code,
          code is not None and 500 <= code < 600)
    code, _ = c.cmd("NOOP")
    check("NOOP afterwards: 250 (got %s)" % code, code == 250)
elif case == "junk":
    c.send(b"".join(b"JUNK%d\r\n" % i for i in range(300)))
    codes = []
    for _ in range(300):
        code, _ = c.reply()
        if code is None:
            break
        codes.append(code)
    if codes and codes[-1] == 421:
        codes.pop()
    check("300 unknown commands in one write: 5xx replies, perhaps a 421 "
          "and the end of the session (%d replies)" % len(codes),
          all(500 <= x < 600 for x in codes))
    check("300 unknown commands: not more replies than commands",
          len(codes) <= 300)
elif case == "middata":
    c.cmd("MAIL FROM:<sender@example.com>")
    c.cmd("RCPT TO:<rcpt@example.org>")
    code, _ = c.cmd("DATA")
    check("mid-DATA: 354", code == 354)
    c.send(hdrs("dropped mid data") + b"\r\nhalf a message\r\n")
    time.sleep(0.2)
    c.close()
    sys.exit(1 if fails else 0)
elif case == "midmail":
    c.cmd("MAIL FROM:<sender@example.com>")
    c.send(b"RCPT TO:<rcpt@exam")
    c.close()
    sys.exit(1 if fails else 0)
elif case == "clean":
    tx(c, hdrs("still alive") + b"\r\nstill here\r\n", "clean mail")
try:
    code, _ = c.cmd("QUIT")
except OSError:
    code = None
check("QUIT 221 or closed (got %s)" % code, code in (221, None))
sys.exit(1 if fails else 0)
EOF
export SDIR T
# hcase NAME - run case NAME (60 s at most), its ok/FAIL lines counted
hcase() {
	local f=$T/h.$1 nf
	timeout 60 python3 "$T/h.py" "$1" "$SMTP_PORT" > "$f" 2>&1
	echo "--- $1 (exit $?)"
	grep -aE '^(ok|FAIL): ' "$f"
	nf=$(grep -ac '^FAIL: ' "$f")
	failures=$((failures + nf))
	if [ "$nf" -ne 0 ] || ! grep -aq '^ok: ' "$f"; then
		[ "$nf" -ne 0 ] || fail "$1: no result (see the transcript)"
		grep -avE '^(ok|FAIL): ' "$f" | tail -25 | sed 's/^/    | /'
	fi
}
# alive DESC - check the daemon runs and answers a new connection
alive() {
	check "$1: vigil-smtpd still runs" smtpd_alive
	check "$1: vigil-smtpd still greets" greets "$SMTP_PORT"
}

mark
hcase unclosed
settle
check "unclosed boundary: no EICAR delivered" eval '[ -z "$(new eicar)" ]'
n=$(copy_to rcpt@example.org)
[ -n "$n" ] && check "unclosed boundary: the copy carries X-Vigil-Status" \
	eval '[ -n "$(sget "${n%% *}" "hdr(\"X-Vigil-Status\") or \"\"")" ]'
alive "unclosed boundary"

mark
hcase hugeheader
settle
n=$(copy_to rcpt@example.org)
[ -n "$n" ] && check "2 MiB header: the copy carries X-Vigil-Status" \
	eval '[ -n "$(sget "${n%% *}" "hdr(\"X-Vigil-Status\") or \"\"")" ]'
alive "2 MiB header"

mark
hcase barelf
settle
n=$(copy_to rcpt@example.org)
check "bare LF: delivered" [ -n "$n" ]
[ -n "$n" ] && check "bare LF: delivered with CRLF line ends only" \
	sis "$n" 're.search("(?<!\r)\n", e) is None' true
[ -n "$n" ] && check "bare LF: the dot line unstuffed" sis "$n" '"\r\n.dot line\r\n" in b' true

mark
hcase nul
n=$(copy_to rcpt@example.org)
check "NUL: delivered" [ -n "$n" ]
[ -n "$n" ] && check "NUL: the NUL bytes kept" sis "$n" '"before\x00after\r\n\x00\x00\r\n" in b' true

mark
hcase 8bithdr
n=$(copy_to rcpt@example.org)
check "8-bit header: delivered" [ -n "$n" ]
[ -n "$n" ] && check "8-bit header: the header bytes kept" sis "$n" '"X-Name: J\xfcrgen M\xfcller\r\n" in h' true

mark
hcase pipeline
settle
check "pipelining: the first message to three recipients" \
	eval '[ -n "$(new "hdr(\"Subject\") == \"pipelined one\" and sorted(rc) == [\"rcpt@example.org\", \"second@example.org\", \"third@example.org\"]")" ]'
check "pipelining: the second message" eval '[ -n "$(new "hdr(\"Subject\") == \"pipelined two\"")" ]'

hcase order
hcase nulcmd
hcase junk
alive "junk commands"

mark
hcase oversize
settle
check "oversize: nothing delivered" [ "$(scount)" -eq "$BASE" ]
alive "oversize"

hcase longline
alive "overlong line"

mark
hcase middata
hcase midmail
sleep 1
check "client gone mid-DATA: nothing delivered" [ "$(scount)" -eq "$BASE" ]
alive "client gone mid-DATA"

mark
hcase clean
n=$(copy_to rcpt@example.org)
check "afterwards: a clean message is delivered" sis "$n" 'hdr("X-Vigil-Status")' CLEAN
check "afterwards: the spool directory is empty" eval '[ -z "$(ls -A "$T/spool")" ]'

[ "$failures" -eq 0 ] || { diag; echo "--- sink"; sshow; }
finish
