/*
 * client.c - the vigild client library: connect, send requests, read
 * verdicts (native protocol, doc/native-protocol.md)
 *
 * DESIGN: one blocking-looking connection built on a non-blocking socket.
 * Every wait goes through client_wait(), a poll() bounded by the
 * connection's timeout, so no call can hang on a silent or slow vigild;
 * writes are sendmsg(MSG_NOSIGNAL) loops that survive EINTR and short
 * writes, reads are recvmsg() into a fixed line buffer of
 * VPROTO_LINE_MAX bytes (a longer line is a protocol error, never a
 * larger allocation).  Every recvmsg() collects the descriptors that
 * arrive with the bytes into a small queue: the cured copy that travels
 * with a VEND line is taken from there, anything else is closed, so no
 * descriptor leaks whatever the peer sends.  A reply is read in full
 * before a call returns, so after a verdict, a VERROR or a busy reply
 * the stream is at a request boundary and the connection is reused.  A
 * transport error, a timeout or a reply that cannot be followed leaves
 * the stream position unknown: the socket is closed at once
 * (client_break) and every later call fails fast.  Bounds: a line is at
 * most VPROTO_LINE_MAX bytes, a verdict at most VPROTO_NDET_MAX
 * detections, a command reply at most CLIENT_CMD_LINES lines.
 *
 * Hand-written: the protocol is ours; the socket work is a few hundred
 * lines of POSIX that no library would make shorter.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/client.h"
#include "strbuf.h"
#include "cfg.h"
#include "vproto.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0	/* BSD: SO_NOSIGPIPE on the socket instead */
#endif
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC	0	/* set by client_socket() with fcntl() */
#define SOCK_NONBLOCK	0
#endif
#ifndef MSG_CMSG_CLOEXEC
#define MSG_CMSG_CLOEXEC 0	/* set by client_keep_fd() instead */
#endif

#define CLIENT_FDQ		4	/* descriptors kept from one reply */
#define CLIENT_CMD_LINES	100000	/* lines of one command reply */
#define CLIENT_NAME_MAX		1023	/* sizeof(vproto_req.name) - 1 */
#define CLIENT_WHO_MAX		255	/* sizeof(vproto_req.client) - 1 */

struct vigil_client {
	int	 fd;		/* -1 once broken */
	int	 timeout_ms;	/* <= 0: no bound */
	int	 is_unix;
	int	 fdq[CLIENT_FDQ];	/* received, not yet claimed */
	int	 nfdq;
	size_t	 rpos;		/* first unread byte of rbuf */
	size_t	 rlen;		/* bytes in rbuf */
	char	 rbuf[VPROTO_LINE_MAX + 1];
};

/* client_err - write a reason into err (may be NULL); returns rc */
static int __attribute__((format(printf, 4, 5)))
client_err(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* client_fdq_flush - close every queued descriptor */
static void
client_fdq_flush(struct vigil_client *c)
{
	while (c->nfdq > 0)
		close(c->fdq[--c->nfdq]);
}

/* client_break - the stream position is lost: close, refuse from now on */
static int
client_break(struct vigil_client *c)
{
	client_fdq_flush(c);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
	return -1;
}

/* client_now_ms - monotonic milliseconds */
static int64_t
client_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * client_poll - wait for events on fd up to timeout_ms (<= 0: forever),
 * through EINTR; revents, 0 on timeout, -1 on error
 */
static int
client_poll(int fd, short events, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = events };
	int64_t		 end = client_now_ms() + timeout_ms;
	int		 left = timeout_ms > 0 ? timeout_ms : -1, n;

	for (;;) {
		if ((n = poll(&pfd, 1, left)) == 1)
			return pfd.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
		if (timeout_ms > 0 && (left = (int)(end - client_now_ms())) <= 0)
			return 0;
	}
}

/* client_wait - client_poll on the connection with a reason on failure */
static int
client_wait(struct vigil_client *c, short events, char *err, size_t errlen)
{
	int	 r;

	if ((r = client_poll(c->fd, events, c->timeout_ms)) == 0)
		return client_err(-1, err, errlen, "vigild: timed out after "
		    "%d ms", c->timeout_ms);
	if (r == -1)
		return client_err(-1, err, errlen, "poll: %s",
		    strerror(errno));
	return r;
}

/* client_keep_fd - queue a received descriptor, or close it */
static void
client_keep_fd(struct vigil_client *c, int fd)
{
	if (fd < 0)
		return;
	if (c->nfdq == CLIENT_FDQ) {
		close(fd);
		return;
	}
	if (MSG_CMSG_CLOEXEC == 0)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	c->fdq[c->nfdq++] = fd;
}

/* client_collect - queue the descriptors of msg's SCM_RIGHTS */
static void
client_collect(struct vigil_client *c, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	size_t		 i, n;
	int		 fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			client_keep_fd(c, fd);
		}
	}
}

/* client_fill - read more bytes into rbuf; 0, or -1 (connection broken) */
static int
client_fill(struct vigil_client *c, char *err, size_t errlen)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int) * CLIENT_FDQ)];
	} cbuf;
	struct iovec	 iov;
	struct msghdr	 msg;
	ssize_t		 n;

	for (;;) {
		iov.iov_base = c->rbuf + c->rlen;
		iov.iov_len = VPROTO_LINE_MAX - c->rlen;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (c->is_unix) {
			msg.msg_control = cbuf.buf;
			msg.msg_controllen = sizeof(cbuf.buf);
		}
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0 && c->is_unix)
			client_collect(c, &msg);
		if (n > 0) {
			c->rlen += (size_t)n;
			return 0;
		}
		if (n == 0)
			return client_err(client_break(c), err, errlen,
			    "vigild closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			client_err(-1, err, errlen, "recv: %s", strerror(errno));
			return client_break(c);
		}
		if (client_wait(c, POLLIN, err, errlen) == -1)
			return client_break(c);
	}
}

/*
 * client_line - the next reply line, its '\n' replaced by NUL; *line is
 * valid until the next read.  0, or -1 (connection broken).
 */
static int
client_line(struct vigil_client *c, char **line, size_t *len, char *err,
    size_t errlen)
{
	char	*nl;

	for (;;) {
		nl = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos);
		if (nl != NULL) {
			*nl = '\0';
			*line = c->rbuf + c->rpos;
			*len = (size_t)(nl - *line);
			c->rpos = (size_t)(nl - c->rbuf) + 1;
			return 0;
		}
		if (c->rpos > 0) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
			c->rlen -= c->rpos;
			c->rpos = 0;
		}
		if (c->rlen >= VPROTO_LINE_MAX) {
			client_err(-1, err, errlen, "vigild: reply line longer "
			    "than %d bytes", VPROTO_LINE_MAX - 1);
			return client_break(c);
		}
		if (client_fill(c, err, errlen) == -1)
			return -1;
	}
}

/*
 * client_sendv - send the iovecs in full, passing passfd (>= 0) with the
 * first bytes.  With watch_in, stop when vigild starts to answer (return
 * 1; nothing about what was sent is known).  0, 1, or -1 (broken).
 */
static int
client_sendv(struct vigil_client *c, struct iovec *iov, int iovcnt,
    int passfd, int watch_in, char *err, size_t errlen)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr	 msg;
	ssize_t		 w;
	int		 r;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++, iovcnt--;
			continue;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)iovcnt;
		if (passfd >= 0) {
			memset(&cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf.buf;
			msg.msg_controllen = sizeof(cbuf.buf);
			CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &passfd,
			    sizeof(int));
		}
		if ((w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT)) >= 0) {
			passfd = -1;
			while (w > 0) {
				size_t k = (size_t)w < iov->iov_len ?
				    (size_t)w : iov->iov_len;

				iov->iov_base = (char *)iov->iov_base + k;
				iov->iov_len -= k;
				w -= (ssize_t)k;
				if (iov->iov_len == 0)
					iov++, iovcnt--;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return client_err(-1, err, errlen, "send: %s",
			    strerror(errno));
		r = client_wait(c, POLLOUT | (watch_in ? POLLIN : 0), err,
		    errlen);
		if (r == -1)
			return client_break(c);
		if (watch_in && (r & (POLLIN | POLLHUP)))
			return 1;
	}
	return 0;
}

/* client_busy_line - a clamd-shaped or connection-level "busy" line */
static int
client_busy_line(const char *line)
{
	return strstr(line, "busy") != NULL;
}

/*
 * client_send_failed - a send failed (err holds why): vigild may have
 * answered before closing ("ERROR: vigild busy (MaxConnections N)", a
 * VERROR); read one line if there is one and return what it says.  The
 * connection is left broken.  VIGIL_CLIENT_EBUSY, VIGIL_CLIENT_EPROTO or
 * -1 (err untouched).
 */
static int
client_send_failed(struct vigil_client *c, char *err, size_t errlen)
{
	struct vproto_line	 l;
	char			*line;
	size_t			 len;
	int			 rc = -1;

	if (c->fd == -1 || client_line(c, &line, &len, NULL, 0) == -1)
		return client_break(c);
	if (vproto_reply_line_parse(line, len, &l, NULL, 0) == 0 &&
	    l.kind == VPROTO_LINE_ERROR)
		rc = client_err(strcmp(l.code, "busy") == 0 ?
		    VIGIL_CLIENT_EBUSY : VIGIL_CLIENT_EPROTO, err, errlen,
		    "vigild: %s: %.200s", l.code, l.msg);
	else if (client_busy_line(line))
		rc = client_err(VIGIL_CLIENT_EBUSY, err, errlen,
		    "vigild: %.200s", line);
	client_break(c);
	return rc;
}

/* client_strdup - copy of s, or NULL for NULL; *fail set on ENOMEM */
static char *
client_strdup(const char *s, int *fail)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		*fail = 1;
	return p;
}

/* client_result_init - an empty result */
static void
client_result_init(struct vigil_client_result *res)
{
	memset(res, 0, sizeof(*res));
	res->cured_fd = -1;
}

/* vigil_client_result_free - free a result's strings and detections */
void
vigil_client_result_free(struct vigil_client_result *res)
{
	unsigned	 i;

	if (res == NULL)
		return;
	for (i = 0; res->det != NULL && i < res->ndet; i++) {
		free(res->det[i].threat);
		free(res->det[i].object);
		free(res->det[i].reason);
	}
	free(res->det);
	free(res->threat);
	free(res->reason);
	client_result_init(res);
}

/* client_reply_first - handle a first line that is not VRESULT */
static int
client_reply_first(struct vigil_client *c, const char *line, int parsed,
    const struct vproto_line *l, char *err, size_t errlen)
{
	if (parsed && l->kind == VPROTO_LINE_ERROR)
		return client_err(strcmp(l->code, "busy") == 0 ?
		    VIGIL_CLIENT_EBUSY : VIGIL_CLIENT_EPROTO, err, errlen,
		    "vigild: %s: %.200s", l->code, l->msg);
	/* not a native reply: we cannot tell where it ends */
	client_break(c);
	if (!parsed && client_busy_line(line))
		return client_err(VIGIL_CLIENT_EBUSY, err, errlen,
		    "vigild: %.200s", line);
	if (parsed)
		return client_err(VIGIL_CLIENT_EPROTO, err, errlen,
		    "vigild: reply does not start with VRESULT");
	return VIGIL_CLIENT_EPROTO;	/* err holds the parser's reason */
}

/* client_take_result - copy a VRESULT line into res */
static int
client_take_result(const struct vproto_line *l, struct vigil_client_result *res)
{
	int	 fail = 0;

	res->status = l->status;
	res->threat = client_strdup(l->threat, &fail);
	res->reason = client_strdup(l->reason, &fail);
	res->bytes = l->bytes;
	res->objects = l->objects;
	res->usec = l->usec;
	res->cached = l->cached;
	memcpy(res->db, l->db, sizeof(res->db));
	if (l->ndet > 0 && (res->det = calloc(l->ndet, sizeof(*res->det))) ==
	    NULL)
		fail = 1;
	return fail ? -1 : 0;
}

/* client_take_det - copy a VDET line into d */
static int
client_take_det(const struct vproto_line *l, struct vigil_client_det *d)
{
	int	 fail = 0;

	d->status = l->status;
	d->threat = client_strdup(l->threat, &fail);
	d->object = client_strdup(l->object, &fail);
	d->reason = client_strdup(l->reason, &fail);
	return fail ? -1 : 0;
}

/*
 * client_scan_reply - read VRESULT, its VDET lines and VEND (or one
 * VERROR) into res; the cured copy is kept when cure was asked
 */
static int
client_scan_reply(struct vigil_client *c, int cure,
    struct vigil_client_result *res, char *err, size_t errlen)
{
	struct vproto_line	 l;
	char			*line;
	size_t			 len;
	unsigned		 i, ndet;
	int			 cured, parsed, rc = -1;

	if (client_line(c, &line, &len, err, errlen) == -1)
		goto out;
	parsed = vproto_reply_line_parse(line, len, &l, err, errlen) == 0;
	if (!parsed || l.kind != VPROTO_LINE_RESULT) {
		rc = client_reply_first(c, line, parsed, &l, err, errlen);
		goto out;
	}
	cured = l.cured;
	ndet = l.ndet;
	if (client_take_result(&l, res) == -1) {
		rc = client_err(client_break(c), err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < ndet; i++) {
		if (client_line(c, &line, &len, err, errlen) == -1)
			goto out;
		if (vproto_reply_line_parse(line, len, &l, err, errlen) == -1 ||
		    l.kind != VPROTO_LINE_DET) {
			if (l.kind != 0 && l.kind != VPROTO_LINE_DET)
				client_err(0, err, errlen, "vigild: %u VDET "
				    "lines announced, %u sent", ndet, i);
			client_break(c);
			rc = VIGIL_CLIENT_EPROTO;
			goto out;
		}
		res->ndet = i + 1;
		if (client_take_det(&l, &res->det[i]) == -1) {
			rc = client_err(client_break(c), err, errlen,
			    "out of memory");
			goto out;
		}
	}
	if (client_line(c, &line, &len, err, errlen) == -1)
		goto out;
	if (vproto_reply_line_parse(line, len, &l, err, errlen) == -1 ||
	    l.kind != VPROTO_LINE_END) {
		if (l.kind != 0 && l.kind != VPROTO_LINE_END)
			client_err(0, err, errlen, "vigild: VEND expected");
		client_break(c);
		rc = VIGIL_CLIENT_EPROTO;
		goto out;
	}
	if (cured && c->nfdq == 0) {
		rc = client_err(VIGIL_CLIENT_EPROTO, err, errlen,
		    "vigild: cured=1 but no descriptor received");
		goto out;
	}
	if (cured && cure) {
		res->cured_fd = c->fdq[0];
		c->fdq[0] = c->fdq[--c->nfdq];	/* the rest is closed below */
	}
	rc = 0;
out:
	client_fdq_flush(c);
	if (rc != 0)
		vigil_client_result_free(res);
	return rc;
}

/* client_copy_cut - copy s into dst cut at max bytes on a UTF-8 boundary */
static const char *
client_copy_cut(char *dst, const char *s, size_t max)
{
	size_t	 n;

	if (s == NULL)
		return NULL;
	if ((n = strnlen(s, max + 1)) > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
	return dst;
}

/* client_request - "n" + verb + " " + OPTS + "\n" into cmd */
static int
client_request(struct strbuf *cmd, const char *verb,
    const struct vigil_client_opts *o)
{
	static const struct vigil_client_opts none;
	char	 name[CLIENT_NAME_MAX + 1], who[CLIENT_WHO_MAX + 1];

	if (o == NULL)
		o = &none;
	if (strbuf_printf(cmd, "n%s ", verb) == -1 ||
	    vproto_opts_format_lim(cmd, o->lim, o->cure,
	    client_copy_cut(name, o->name, CLIENT_NAME_MAX),
	    client_copy_cut(who, o->client, CLIENT_WHO_MAX)) == -1 ||
	    strbuf_addc(cmd, '\n') == -1)
		return -1;
	return 0;
}

/* client_ready - a request may be sent: connection usable, res empty */
static int
client_ready(struct vigil_client *c, struct vigil_client_result *res,
    char *err, size_t errlen)
{
	if (res != NULL)
		client_result_init(res);
	if (c == NULL)
		return client_err(-1, err, errlen, "no connection");
	if (c->fd == -1)
		return client_err(-1, err, errlen,
		    "connection unusable after an earlier error");
	client_fdq_flush(c);
	return 0;
}

/* client_scan_vscan - VSCAN with fd passed along the command */
static int
client_scan_vscan(struct vigil_client *c, int fd,
    const struct vigil_client_opts *o, struct vigil_client_result *res,
    char *err, size_t errlen)
{
	struct strbuf	 cmd;
	struct iovec	 iov;
	int		 rc;

	strbuf_init(&cmd, VPROTO_LINE_MAX);
	if (client_request(&cmd, "VSCAN", o) == -1) {
		rc = client_err(-1, err, errlen, "request: %s",
		    strerror(errno));
		goto out;
	}
	iov.iov_base = cmd.data;
	iov.iov_len = cmd.len;
	if (client_sendv(c, &iov, 1, fd, 0, err, errlen) == -1) {
		rc = client_send_failed(c, err, errlen);
		goto out;
	}
	rc = client_scan_reply(c, o != NULL && o->cure, res, err, errlen);
out:
	strbuf_fini(&cmd);
	return rc;
}

/* client_stream_src - where VINSTREAM's bytes come from */
struct client_stream_src {
	const unsigned char	*buf;	/* a buffer, or NULL for fd */
	size_t			 len;
	int			 fd;
};

/* client_stream_chunk - the chunk at off into chunk; its length or -1 */
static ssize_t
client_stream_chunk(const struct client_stream_src *src, uint64_t off,
    unsigned char *chunk)
{
	ssize_t	 n;

	if (src->buf != NULL) {
		if (off >= src->len)
			return 0;
		n = (ssize_t)(src->len - off < VPROTO_CHUNK ?
		    src->len - off : VPROTO_CHUNK);
		memcpy(chunk, src->buf + off, (size_t)n);
		return n;
	}
	do
		n = pread(src->fd, chunk, VPROTO_CHUNK, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n;
}

/* client_stream - VINSTREAM: command, chunks, end mark, reply */
static int
client_stream(struct vigil_client *c, const struct client_stream_src *src,
    const struct vigil_client_opts *o, struct vigil_client_result *res,
    char *err, size_t errlen)
{
	struct strbuf	 cmd;
	struct iovec	 iov[2];
	unsigned char	*chunk = NULL, hdr[4];
	uint64_t	 off = 0;
	ssize_t		 n = 0;
	int		 rc = -1, r;

	strbuf_init(&cmd, VPROTO_LINE_MAX);
	if (client_request(&cmd, "VINSTREAM", o) == -1 ||
	    (chunk = malloc(VPROTO_CHUNK)) == NULL) {
		rc = client_err(-1, err, errlen, "request: %s",
		    strerror(errno));
		goto out;
	}
	iov[0].iov_base = cmd.data;
	iov[0].iov_len = cmd.len;
	r = client_sendv(c, iov, 1, -1, 1, err, errlen);
	do {
		if (r != 0)
			break;
		if ((n = client_stream_chunk(src, off, chunk)) == -1) {
			rc = client_err(client_break(c), err, errlen,
			    "read: %s", strerror(errno));
			goto out;
		}
		off += (uint64_t)n;
		hdr[0] = (unsigned char)((uint32_t)n >> 24);
		hdr[1] = (unsigned char)((uint32_t)n >> 16);
		hdr[2] = (unsigned char)((uint32_t)n >> 8);
		hdr[3] = (unsigned char)n;
		iov[0].iov_base = hdr;
		iov[0].iov_len = 4;
		iov[1].iov_base = chunk;
		iov[1].iov_len = (size_t)n;
		r = client_sendv(c, iov, 2, -1, 1, err, errlen);
	} while (n > 0);
	if (r == -1) {
		rc = client_send_failed(c, err, errlen);
		goto out;
	}
	rc = client_scan_reply(c, o != NULL && o->cure, res, err, errlen);
	if (r == 1) {
		/* vigild answered before the end: the stream is out of step */
		vigil_client_result_free(res);
		client_break(c);
		if (rc == 0)
			rc = client_err(VIGIL_CLIENT_EPROTO, err, errlen,
			    "vigild: verdict before the end of the stream");
	}
out:
	free(chunk);
	strbuf_fini(&cmd);
	return rc;
}

/* vigil_client_scan_fd - scan an open file */
int
vigil_client_scan_fd(struct vigil_client *c, int fd,
    const struct vigil_client_opts *o, struct vigil_client_result *res,
    char *err, size_t errlen)
{
	struct client_stream_src src = { .fd = fd };

	if (res == NULL)
		return client_err(-1, err, errlen, "no result");
	if (client_ready(c, res, err, errlen) == -1)
		return -1;
	if (fd < 0)
		return client_err(-1, err, errlen, "bad descriptor");
	if (c->is_unix)
		return client_scan_vscan(c, fd, o, res, err, errlen);
	return client_stream(c, &src, o, res, err, errlen);
}

/* vigil_client_scan_buffer - scan bytes in memory */
int
vigil_client_scan_buffer(struct vigil_client *c, const void *buf, size_t len,
    const struct vigil_client_opts *o, struct vigil_client_result *res,
    char *err, size_t errlen)
{
	struct client_stream_src src = { .buf = buf, .len = len, .fd = -1 };

	if (res == NULL)
		return client_err(-1, err, errlen, "no result");
	if (client_ready(c, res, err, errlen) == -1)
		return -1;
	if (buf == NULL && len > 0)
		return client_err(-1, err, errlen, "bad buffer");
	if (buf == NULL)
		src.buf = (const unsigned char *)"";
	return client_stream(c, &src, o, res, err, errlen);
}

/* client_reply_add - append a reply line; sets *over when it does not fit */
static void
client_reply_add(char *reply, size_t replylen, size_t *used, const char *line,
    size_t len, int *over)
{
	size_t	 need = len + (*used > 0 ? 1 : 0);

	if (*over || replylen == 0 || need > replylen - 1 - *used) {
		*over = 1;
		return;
	}
	if (*used > 0)
		reply[(*used)++] = '\n';
	memcpy(reply + *used, line, len);
	*used += len;
	reply[*used] = '\0';
}

/* vigil_client_command - one clamd or control command and its reply */
int
vigil_client_command(struct vigil_client *c, const char *cmd, char *reply,
    size_t replylen, char *err, size_t errlen)
{
	struct strbuf	 out;
	struct iovec	 iov;
	char		*line;
	size_t		 len, used = 0;
	unsigned	 nlines = 0;
	int		 multi, over = 0, rc = -1;

	strbuf_init(&out, VPROTO_LINE_MAX);
	if (reply != NULL && replylen > 0)
		reply[0] = '\0';
	if (client_ready(c, NULL, err, errlen) == -1)
		goto out;
	if (cmd == NULL || cmd[0] == '\0' || strpbrk(cmd, "\n") != NULL ||
	    strbuf_printf(&out, "n%s\n", cmd) == -1) {
		client_err(-1, err, errlen, "bad command");
		goto out;
	}
	iov.iov_base = out.data;
	iov.iov_len = out.len;
	if (client_sendv(c, &iov, 1, -1, 0, err, errlen) == -1) {
		(void)client_send_failed(c, err, errlen);
		goto out;
	}
	if (strcmp(cmd, "SHUTDOWN") == 0) {
		client_break(c);	/* vigild answers by closing */
		rc = 0;
		goto out;
	}
	multi = strcmp(cmd, "STATS") == 0;
	do {
		if (client_line(c, &line, &len, err, errlen) == -1)
			goto out;
		if (++nlines > CLIENT_CMD_LINES) {
			client_err(client_break(c), err, errlen,
			    "vigild: reply of more than %d lines",
			    CLIENT_CMD_LINES);
			goto out;
		}
		client_reply_add(reply, replylen, &used, line, len, &over);
	} while (multi && strcmp(line, "END") != 0);
	if (over) {
		client_err(-1, err, errlen, "reply longer than %zu bytes",
		    replylen > 0 ? replylen - 1 : 0);
		goto out;
	}
	rc = 0;
out:
	if (c != NULL)
		client_fdq_flush(c);
	strbuf_fini(&out);
	return rc;
}

/* client_socket - a non-blocking, close-on-exec stream socket */
static int
client_socket(int domain, char *err, size_t errlen)
{
	int	 fd, on = 1;

	if ((fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return client_err(-1, err, errlen, "socket: %s",
		    strerror(errno));
	if (SOCK_CLOEXEC == 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)) {
		close(fd);
		return client_err(-1, err, errlen, "fcntl: %s",
		    strerror(errno));
	}
#ifdef SO_NOSIGPIPE
	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on));
#endif
	if (domain != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

/*
 * client_connect - connect fd to sa within timeout_ms; a unix socket
 * whose backlog is full (EAGAIN) is retried every 10 ms.  0 or -1.
 */
static int
client_connect(int fd, const struct sockaddr *sa, socklen_t salen,
    int timeout_ms, char *err, size_t errlen)
{
	int64_t		 end = client_now_ms() + timeout_ms;
	socklen_t	 sl = sizeof(int);
	int		 r, soerr = 0;

	while (connect(fd, sa, salen) == -1) {
		if (errno == EAGAIN) {
			if (timeout_ms > 0 && client_now_ms() >= end)
				return client_err(-1, err, errlen, "connect: "
				    "timed out (listen queue full)");
			(void)poll(NULL, 0, 10);
			continue;
		}
		if (errno != EINPROGRESS && errno != EINTR)
			return client_err(-1, err, errlen, "connect: %s",
			    strerror(errno));
		if ((r = client_poll(fd, POLLOUT, timeout_ms)) == 0)
			return client_err(-1, err, errlen, "connect: timed "
			    "out after %d ms", timeout_ms);
		if (r == -1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			return client_err(-1, err, errlen, "connect: %s",
			    strerror(errno));
		if (soerr != 0)
			return client_err(-1, err, errlen, "connect: %s",
			    strerror(soerr));
		return 0;
	}
	return 0;
}

/* client_open_unix - connect to a unix socket path */
static int
client_open_unix(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return client_err(-1, err, errlen, "%s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = client_socket(AF_UNIX, err, errlen)) == -1)
		return -1;
	if (client_connect(fd, (struct sockaddr *)&sun, sizeof(sun),
	    timeout_ms, err, errlen) == -1) {
		int	 e = errno;

		close(fd);
		errno = e;	/* ENOENT, ECONNREFUSED: nobody listens */
		return -1;
	}
	return fd;
}

/* client_open_tcp - connect to the first address of host:port that answers */
static int
client_open_tcp(const char *addr, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	struct cfg_addr	 ca;
	char		 port[16], why[256];
	int		 fd = -1, r;

	if (cfg_addr_parse(addr, &ca, why, sizeof(why)) == -1 ||
	    ca.family == AF_UNIX || strcmp(ca.host, "*") == 0)
		return client_err(-1, err, errlen, "%s: not /path, host:port "
		    "or [v6addr]:port", addr);
	snprintf(port, sizeof(port), "%u", ca.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = ca.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(ca.host, port, &hints, &res)) != 0)
		return client_err(-1, err, errlen, "%s: %s", addr,
		    gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = client_socket(ai->ai_family, err, errlen)) == -1)
			continue;
		if (client_connect(fd, ai->ai_addr, ai->ai_addrlen,
		    timeout_ms, err, errlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* vigil_client_open - connect to vigild */
struct vigil_client *
vigil_client_open(const char *address, int timeout_ms, char *err,
    size_t errlen)
{
	struct vigil_client	*c;
	int			 is_unix;

	if (address == NULL || address[0] == '\0') {
		client_err(-1, err, errlen, "no address");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		client_err(-1, err, errlen, "out of memory");
		return NULL;
	}
	is_unix = address[0] == '/' || address[0] == '.' ||
	    strchr(address, ':') == NULL;
	c->is_unix = is_unix;
	c->timeout_ms = timeout_ms;
	c->fd = is_unix ? client_open_unix(address, timeout_ms, err, errlen) :
	    client_open_tcp(address, timeout_ms, err, errlen);
	if (c->fd == -1) {
		int	 e = errno;

		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

/* vigil_client_usable - requests may still be sent */
int
vigil_client_usable(const struct vigil_client *c)
{
	return c != NULL && c->fd != -1;
}

/* vigil_client_close - close and free */
void
vigil_client_close(struct vigil_client *c)
{
	if (c == NULL)
		return;
	client_break(c);
	free(c);
}
