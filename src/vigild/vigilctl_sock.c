/*
 * vigilctl_sock.c - vigilctl's side of a daemon's ControlSocket
 *
 * DESIGN: one connection per command, as clamd's protocol has it outside
 * IDSESSION: connect to the unix socket, write "nCOMMAND\n", read until
 * the reply is complete (one line, or for STATS every line through
 * "END"), close.  The socket is non-blocking and every step polls against
 * one deadline, so a daemon that accepts and never answers costs the
 * caller at most timeout_ms.  Replies are capped by the caller's strbuf
 * (VCTL_MAX_REPLY) and are printed through ctl_clean(): the daemon is
 * ours, but its replies can carry file names.
 *
 * Hand-written rather than through include/vigil/client.h: the protocol
 * used here is five commands of one line each, and vigilctl needs the
 * errno of connect() to tell "not running" from "not answering".
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vigilctl.h"

/* remaining - ms left before deadline, at least 0 */
static int
remaining(long long deadline)
{
	long long	 left = deadline - proc_now_ms();

	if (left < 0)
		return 0;
	return left > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int)left;
}

/* wait_fd - poll fd for ev until deadline; 0 ready, -1 + errno */
static int
wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd	 p = { .fd = fd, .events = ev };
	int		 n;

	for (;;) {
		n = poll(&p, 1, remaining(deadline));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

/* ctl_connect - a non-blocking stream connected to path; -1 + why */
static int
ctl_connect(const char *path, long long deadline, char *why, size_t whylen)
{
	struct sockaddr_un	 sun;
	socklen_t		 len = sizeof(sun);
	int			 fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(why, whylen, "%s: path too long for a socket", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == EINPROGRESS &&
	    wait_fd(fd, POLLOUT, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0) {
		if (e == 0)
			return fd;
		errno = e;
	}
	e = errno;
	snprintf(why, whylen, "%s: connect: %s", path, strerror(e));
	close(fd);
	errno = e;
	return -1;
}

/* send_all - write len bytes before deadline; 0, -1 + errno */
static int
send_all(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t		 w;

	while (len > 0) {
		if (wait_fd(fd, POLLOUT, deadline) == -1)
			return -1;
		w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w == -1)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * complete - is the reply in out whole?  Single: a '\n' was seen.  Multi:
 * the last line is "END".
 */
static int
complete(const struct strbuf *out, int multi)
{
	const char	*d = out->data;
	size_t		 n = out->len;

	if (n == 0 || d[n - 1] != '\n')
		return 0;
	if (!multi)
		return 1;
	return (n == 4 && memcmp(d, "END\n", 4) == 0) ||
	    (n > 4 && memcmp(d + n - 5, "\nEND\n", 5) == 0);
}

/* recv_reply - read into out until complete, EOF or deadline */
static int
recv_reply(int fd, int multi, long long deadline, struct strbuf *out)
{
	char		 buf[4096];
	ssize_t		 r;

	while (!complete(out, multi)) {
		if (wait_fd(fd, POLLIN, deadline) == -1)
			return -1;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;	/* the daemon closed: what came is the reply */
		if (strbuf_append(out, buf, (size_t)r) == -1)
			return -1;
	}
	return 0;
}

/* ctl_request - see vigilctl.h */
int
ctl_request(const char *path, const char *cmd, int multi, long timeout_ms,
    struct strbuf *out, char *why, size_t whylen)
{
	long long	 deadline = proc_now_ms() + timeout_ms;
	char		 line[64];
	int		 fd, n, rc = -1, e = 0;

	strbuf_reset(out);
	n = snprintf(line, sizeof(line), "n%s\n", cmd);
	if ((fd = ctl_connect(path, deadline, why, whylen)) == -1)
		return -1;
	if (send_all(fd, line, (size_t)n, deadline) == -1) {
		e = errno;
		snprintf(why, whylen, "%s: send %s: %s", path, cmd,
		    strerror(e));
		goto out;
	}
	if (recv_reply(fd, multi, deadline, out) == -1) {
		e = errno;
		snprintf(why, whylen, "%s: %s: %s", path, cmd,
		    e == ETIMEDOUT ? "no answer in time" :
		    e == E2BIG ? "reply too long" : strerror(e));
		goto out;
	}
	if (out->len == 0) {
		e = ECONNRESET;
		snprintf(why, whylen, "%s: %s: connection closed without "
		    "a reply", path, cmd);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc == -1)
		errno = e;
	return rc;
}

/* ctl_clean - see vigilctl.h */
char *
ctl_clean(char *dst, size_t dstlen, const char *src)
{
	size_t		 i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i + 1 < dstlen && src[i] != '\0' && src[i] != '\n'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}
