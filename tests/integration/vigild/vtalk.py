#!/usr/bin/env python3
"""vtalk.py - speak vigild's sockets from the integration tests.

  vtalk.py cmd SOCK BYTES            send BYTES (Python escapes, e.g. 'zPING\\0'),
                                     print the reply until the daemon closes
                                     or TIMEOUT seconds pass without data
  vtalk.py ctl SOCK COMMAND          nCOMMAND on a persistent (control)
                                     connection: print one reply line, or
                                     the lines up to END for STATS
  vtalk.py instream SOCK FILE        zINSTREAM with FILE in 8 KiB chunks
  vtalk.py fildes SOCK FILE          zFILDES, the descriptor after one dummy byte
  vtalk.py vscan SOCK FILE OPTS [OUT]
                                     nVSCAN OPTS with FILE's descriptor; a passed
                                     descriptor in the reply (cured copy) is
                                     copied to OUT
SOCK is a unix socket path or HOST:PORT.  Replies are printed with NUL
shown as '\\0' and a newline after each reply line.
"""
import array
import os
import socket
import struct
import sys

TIMEOUT = float(os.environ.get("VTALK_TIMEOUT", "10"))


def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(TIMEOUT)
    return s


def drain(s, out_fd_path=None):
    data = b""
    fds = []
    while True:
        try:
            msg, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
        except socket.timeout:
            data += b"<timeout>"
            break
        except ConnectionResetError:
            data += b"<reset>"
            break
        for level, typ, payload in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
                fds.extend(a)
        if not msg:
            break
        data += msg
        if out_fd_path is not None and data.endswith(b"VEND\n"):
            break
    for fd in fds:
        if out_fd_path:
            with os.fdopen(fd, "rb") as f, open(out_fd_path, "wb") as o:
                o.write(f.read())
        else:
            os.close(fd)
    return data


def show(data):
    sys.stdout.write(data.decode("latin-1").replace("\0", "\\0\n"))
    if not data.endswith(b"\n") and not data.endswith(b"\0"):
        sys.stdout.write("\n")


def main():
    op, addr = sys.argv[1], sys.argv[2]
    s = connect(addr)
    if op == "cmd":
        raw = sys.argv[3].encode("latin-1").decode("unicode_escape").encode("latin-1")
        s.sendall(raw)
        show(drain(s))
    elif op == "ctl":
        s.sendall(b"n" + sys.argv[3].encode() + b"\n")
        f = s.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                break
            sys.stdout.write(line.decode("latin-1"))
            if sys.argv[3] != "STATS" or line == b"END\n":
                break
    elif op == "instream":
        try:
            s.sendall(b"zINSTREAM\0")
            with open(sys.argv[3], "rb") as f:
                while True:
                    b = f.read(8192)
                    if not b:
                        break
                    s.sendall(struct.pack(">I", len(b)) + b)
            s.sendall(struct.pack(">I", 0))
        except (BrokenPipeError, ConnectionResetError):
            pass    # the daemon refused the stream: read why
        show(drain(s))
    elif op == "fildes":
        fd = os.open(sys.argv[3], os.O_RDONLY)
        s.sendall(b"zFILDES\0")
        s.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        os.close(fd)
        show(drain(s))
    elif op == "vscan":
        fd = os.open(sys.argv[3], os.O_RDONLY)
        line = ("nVSCAN " + sys.argv[4] + "\n").encode()
        s.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        os.close(fd)
        show(drain(s, sys.argv[5] if len(sys.argv) > 5 else ""))
    else:
        sys.exit("unknown op " + op)


if __name__ == "__main__":
    main()
