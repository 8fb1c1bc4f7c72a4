/*
 * icapload.c - ICAP RESPMOD load generator: C threads, one persistent
 * connection each, sending RESPMOD requests with an encapsulated HTTP
 * request head, response head and chunked body, optionally with a preview;
 * prints requests per second, throughput, answers by code, blocked
 * answers, errors, reconnects and latency percentiles.
 *
 *	icapload [-a] [-c CONNS] [-h HOST] [-p PORT] [-s PATH] [-P PREVIEW]
 *	    (-n REQUESTS | -d SECONDS) -f BODY [-f BODY ...]
 *
 * Request i carries body i mod nfiles (the -f list in order), so the list
 * is the clean/infected mix.  The last line of the output is
 *
 *	RESULT rps=R p50=X p99=Y errors=E blocked=B requests=N p90=Z max=M
 *	    mbps=T a204=A a200=C other=O reconnects=K retries=Q
 *
 * preceded by one "FILE i requests=N blocked=B path" line per body file.
 * Exit status: 0; 1 when a request failed or had an answer other than
 * 100, 200 or 204; 2 on bad arguments or a failed start.
 *
 * DESIGN
 *   One thread per connection; the only shared state in the loop is an
 *   atomic request counter (it numbers the requests: the body and the URL
 *   come from it) and the deadline.  The chunked bodies are built once per
 *   file in main: the whole body, and the preview part and the rest when
 *   -P is given; a request only formats its ICAP head.  Every exchange is
 *   full duplex on a non-blocking socket with poll(): the answer is read
 *   while the body is still being written, so a server that answers early
 *   or echoes the body while reading it cannot deadlock the client, and
 *   every wait is bounded by IOTIMEOUT (10 s): a stuck server is an error,
 *   never a hang.  The answer is kept in a buffer (capped at RXMAX) and
 *   parsed again from its start after each read until complete: ICAP head,
 *   then the encapsulated sections the Encapsulated header names, then the
 *   chunked body to its zero chunk and trailer.  A server may answer a
 *   preview with its final answer instead of "100 Continue" (RFC 3507
 *   4.5); the rest is then not sent and the connection stays usable.  An
 *   answer that completes while the body is still being sent outside a
 *   preview leaves the connection in an unknown state: it is closed.
 *   "Connection: close", an idle connection found closed, or any error
 *   closes the connection; the next request opens a new one (reconnects
 *   counts every connection after a thread's first).  A request whose
 *   reused connection is closed before any answer byte arrives is sent
 *   once more on a new connection and counted in retries, so that a server
 *   closing idle connections is not an error but stays visible.  The first
 *   failed exchange is printed to stderr with the request head and the
 *   answer bytes, escaped.
 *
 * Hand-written: the benchmark must build with nothing but cc on a bare CI
 * image, and c-icap-client sends one request per process.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../latency.h"

#define MAXCONNS	1024
#define MAXFILES	64
#define MAXSAMPLES	(1 << 20)
#define MAXBODY		((size_t)256 << 20)
#define RXMAX		((size_t)1 << 30)
#define HEADMAX		65536
#define CHUNK		65536
#define IOTIMEOUT	10
#define DUMPMAX		1024

struct body {
	const char	*path;
	size_t		 len;
	char		*full;		/* chunked body + zero chunk */
	size_t		 fulllen;
	char		*pre;		/* preview chunk + "0" or "0; ieof" */
	size_t		 prelen;
	char		*rest;		/* the rest, chunked, + zero chunk */
	size_t		 restlen;
	int		 ieof;		/* the preview holds the whole body */
	size_t		 npre;		/* bytes in the preview */
};

struct answer {
	int	 icap;		/* ICAP status */
	int	 http;		/* encapsulated HTTP status, 0 if none */
	int	 infected;	/* X-Infection-Found or X-Virus-ID */
	int	 close;		/* Connection: close */
	size_t	 len;		/* bytes of the whole answer */
};

struct seg {
	const char	*p;
	size_t		 len;
};

struct conn {
	int	 fd;
	int	 used;		/* has carried a request */
	char	*rx;
	size_t	 rxlen, rxcap;
};

struct worker {
	pthread_t	 th;
	struct conn	 c;
	double		*lat;
	size_t		 n, cap;
	unsigned long	 a204, a200, other, blocked, errors, connects;
	unsigned long	 retries, cont;
	unsigned long	 freq[MAXFILES], fblocked[MAXFILES];
	double		 bytes;
};

/* exchange results */
enum { XCH_OK, XCH_EOF0, XCH_ERR };

static struct body	 bodies[MAXFILES];
static int		 nbodies;
static const char	*host = "127.0.0.1", *port = "1344";
static const char	*service = "/av/respmod";
static size_t		 preview;
static int		 allow204;
static long		 maxreq;
static double		 deadline;
static atomic_long	 issued;
static struct addrinfo	*target;
static pthread_mutex_t	 dumplock = PTHREAD_MUTEX_INITIALIZER;
static int		 dumped;

/* now - monotonic seconds */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xmalloc - malloc or exit (startup only) */
static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL) {
		fprintf(stderr, "icapload: out of memory\n");
		exit(2);
	}
	return p;
}

/* chunk_into - append data[len] as 64 KiB chunks at dst; return the end */
static char *
chunk_into(char *dst, const char *data, size_t len)
{
	size_t	n, off;

	for (off = 0; off < len; off += n) {
		n = len - off < CHUNK ? len - off : CHUNK;
		dst += sprintf(dst, "%zx\r\n", n);
		memcpy(dst, data + off, n);
		dst += n;
		memcpy(dst, "\r\n", 2);
		dst += 2;
	}
	return dst;
}

/* chunked_size - bytes chunk_into writes for len */
static size_t
chunked_size(size_t len)
{
	return len + (len / CHUNK + 1) * 16;
}

/* body_load - read path and build its chunked forms; -1 on failure */
static int
body_load(struct body *b, const char *path)
{
	struct stat	 st;
	char		*data, *e;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	b->path = path;
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > MAXBODY)
		goto out;
	data = xmalloc(st.st_size);
	while (off < (size_t)st.st_size &&
	    (r = read(fd, data + off, st.st_size - off)) > 0)
		off += r;
	b->len = off;
	b->full = xmalloc(chunked_size(off) + 8);
	e = chunk_into(b->full, data, off);
	memcpy(e, "0\r\n\r\n", 5);
	b->fulllen = e + 5 - b->full;
	if (preview > 0) {
		b->npre = off < preview ? off : preview;
		b->ieof = off <= preview;
		b->pre = xmalloc(chunked_size(b->npre) + 16);
		e = chunk_into(b->pre, data, b->npre);
		e += sprintf(e, b->ieof ? "0; ieof\r\n\r\n" : "0\r\n\r\n");
		b->prelen = e - b->pre;
		b->rest = xmalloc(chunked_size(off - b->npre) + 8);
		e = chunk_into(b->rest, data + b->npre, off - b->npre);
		memcpy(e, "0\r\n\r\n", 5);
		b->restlen = e + 5 - b->rest;
	}
	free(data);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* hdr_is - does the header line at p (length n) have this name */
static int
hdr_is(const char *p, size_t n, const char *name)
{
	size_t	l = strlen(name);

	return n > l && p[l] == ':' && strncasecmp(p, name, l) == 0;
}

/* hdr_has - does the value part of a header line contain word */
static int
hdr_has(const char *p, size_t n, const char *word)
{
	size_t	l = strlen(word), i;

	for (i = 0; i + l <= n; i++)
		if (strncasecmp(p + i, word, l) == 0)
			return 1;
	return 0;
}

/*
 * encap_parse - the Encapsulated value at p[n]: *hdr the res-hdr offset
 * (-1 if none), *body the offset of the body section (res-body, req-body,
 * opt-body) or of null-body, *chunked 1 for a body section; -1 if bad.
 */
static int
encap_parse(const char *p, size_t n, long *hdr, long *body, int *chunked)
{
	char		 buf[256], *s, *save, *eq, *end;
	long		 v;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*hdr = -1;
	*body = -1;
	*chunked = 0;
	for (s = strtok_r(buf, ", \t", &save); s != NULL;
	    s = strtok_r(NULL, ", \t", &save)) {
		if ((eq = strchr(s, '=')) == NULL)
			return -1;
		errno = 0;
		v = strtol(eq + 1, &end, 10);
		if (*end != '\0' || v < 0 || v > HEADMAX || errno != 0)
			return -1;
		*eq = '\0';
		if (strcasecmp(s, "res-hdr") == 0)
			*hdr = v;
		else if (strcasecmp(s, "req-hdr") == 0)
			continue;
		else if (strcasecmp(s, "null-body") == 0)
			*body = v;
		else if (strcasecmp(s, "res-body") == 0 ||
		    strcasecmp(s, "req-body") == 0 ||
		    strcasecmp(s, "opt-body") == 0) {
			*body = v;
			*chunked = 1;
		} else
			return -1;
	}
	return 0;
}

/* chunks_end - end offset of the chunked data from off; 0 more, -1 bad */
static long
chunks_end(const char *b, size_t n, size_t off)
{
	const char	*nl;
	char		*end;
	unsigned long	 sz;

	for (;;) {
		if ((nl = memmem(b + off, n - off, "\r\n", 2)) == NULL)
			return n - off > 1024 ? -1 : 0;
		if (!isxdigit((unsigned char)b[off]))
			return -1;
		errno = 0;
		sz = strtoul(b + off, &end, 16);
		if (errno != 0 || sz > RXMAX || end > nl ||
		    (end != nl && *end != ';' && *end != ' '))
			return -1;
		off = nl + 2 - b;
		if (sz == 0)
			break;
		if (n - off < sz + 2)
			return 0;
		if (memcmp(b + off + sz, "\r\n", 2) != 0)
			return -1;
		off += sz + 2;
	}
	for (;;) {		/* trailer lines up to the empty one */
		if ((nl = memmem(b + off, n - off, "\r\n", 2)) == NULL)
			return n - off > 1024 ? -1 : 0;
		if (nl == b + off)
			return off + 2;
		off = nl + 2 - b;
	}
}

/*
 * answer_parse - is b[n] a whole ICAP answer: 1 (a filled), 0 more bytes
 * needed, -1 malformed (*why says how).
 */
static int
answer_parse(const char *b, size_t n, struct answer *a, const char **why)
{
	const char	*he, *p, *nl, *v;
	long		 hdr = -1, body = -1, end;
	size_t		 hend, vl;
	int		 chunked = 0, encap = 0;

	memset(a, 0, sizeof(*a));
	if ((he = memmem(b, n, "\r\n\r\n", 4)) == NULL) {
		*why = "ICAP head too long";
		return n > HEADMAX ? -1 : 0;
	}
	hend = he + 4 - b;
	*why = "bad ICAP status line";
	if (n < 12 || memcmp(b, "ICAP/1.0 ", 9) != 0 ||
	    !isdigit((unsigned char)b[9]) || !isdigit((unsigned char)b[10]) ||
	    !isdigit((unsigned char)b[11]))
		return -1;
	a->icap = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	p = memmem(b, hend, "\r\n", 2) + 2;
	for (; p < he; p = nl + 2) {
		nl = memmem(p, he + 2 - p, "\r\n", 2);
		if ((v = memchr(p, ':', nl - p)) == NULL)
			continue;
		vl = nl - v - 1;
		if (hdr_is(p, nl - p, "Connection") && hdr_has(v + 1, vl,
		    "close"))
			a->close = 1;
		else if (hdr_is(p, nl - p, "X-Infection-Found") ||
		    hdr_is(p, nl - p, "X-Virus-ID"))
			a->infected = 1;
		else if (hdr_is(p, nl - p, "Encapsulated")) {
			*why = "bad Encapsulated header";
			if (encap_parse(v + 1, vl, &hdr, &body, &chunked) == -1)
				return -1;
			encap = 1;
		}
	}
	if (a->icap == 100 || !encap || body == -1) {
		a->len = hend;
		return 1;
	}
	if (n < hend + body)
		return 0;
	if (hdr >= 0) {
		*why = "bad encapsulated HTTP status line";
		if (hdr + 12 > body || memcmp(b + hend + hdr, "HTTP/1.", 7) != 0)
			return -1;
		a->http = atoi(b + hend + hdr + 9);
	}
	if (!chunked) {
		a->len = hend + body;
		return 1;
	}
	*why = "bad chunked body";
	if ((end = chunks_end(b, n, hend + body)) <= 0)
		return (int)end;
	a->len = end;
	return 1;
}

/* conn_close - drop the connection, keep the buffer */
static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->used = 0;
	c->rxlen = 0;
}

/* conn_open - connect with a bounded wait; -1 on failure */
static int
conn_open(struct conn *c, struct worker *w)
{
	struct timeval	 tv = { IOTIMEOUT, 0 };
	int		 one = 1;

	w->connects++;
	if ((c->fd = socket(target->ai_family, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, target->ai_addr, target->ai_addrlen) == -1 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) == -1) {
		conn_close(c);
		return -1;
	}
	c->used = 0;
	c->rxlen = 0;
	return 0;
}

/* conn_idle_ok - is a kept connection still open and silent */
static int
conn_idle_ok(struct conn *c)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 0;
}

/* rx_read - one recv into the answer buffer: >0, 0 EOF, -1 error */
static ssize_t
rx_read(struct conn *c)
{
	ssize_t	r;
	char	*nb;

	if (c->rxcap - c->rxlen < CHUNK) {
		if (c->rxcap >= RXMAX) {
			errno = EMSGSIZE;
			return -1;
		}
		if ((nb = realloc(c->rx, c->rxcap * 2)) == NULL)
			return -1;
		c->rx = nb;
		c->rxcap *= 2;
	}
	do
		r = recv(c->fd, c->rx + c->rxlen, c->rxcap - c->rxlen, 0);
	while (r == -1 && errno == EINTR);
	if (r > 0)
		c->rxlen += r;
	return r;
}

/*
 * exchange - send the segments while reading, until an answer is whole.
 * XCH_OK: *a is filled (*early set if bytes were left unsent); XCH_EOF0: the
 * connection closed before any answer byte; XCH_ERR: *why says what.
 */
static int
exchange(struct conn *c, struct seg *s, int ns, struct answer *a, int *early,
    const char **why)
{
	struct pollfd	 pfd;
	ssize_t		 r;
	int		 i = 0, pr;
	size_t		 off = 0;

	*early = 0;
	for (;;) {
		while (i < ns && off == s[i].len) {
			i++;
			off = 0;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN | (i < ns ? POLLOUT : 0);
		pfd.revents = 0;
		pr = poll(&pfd, 1, IOTIMEOUT * 1000);
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0) {
			*why = pr == 0 ? (i < ns ? "timeout writing the request" :
			    "timeout waiting for the answer") : "poll failed";
			return XCH_ERR;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = rx_read(c);
			if (r == 0 || (r == -1 && errno == ECONNRESET)) {
				if (c->rxlen == 0) {
					*why = "connection closed, no answer";
					return XCH_EOF0;
				}
				*why = "connection closed inside the answer";
				return XCH_ERR;
			}
			if (r == -1 && errno != EAGAIN) {
				*why = "read failed";
				return XCH_ERR;
			}
			if (r > 0) {
				switch (answer_parse(c->rx, c->rxlen, a, why)) {
				case -1:
					return XCH_ERR;
				case 1:
					*early = i < ns;
					return XCH_OK;
				}
			}
		}
		if (i < ns && (pfd.revents & POLLOUT)) {
			r = send(c->fd, s[i].p + off, s[i].len - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r == -1 && errno != EAGAIN && errno != EINTR) {
				*why = "write failed (connection reset)";
				return (errno == EPIPE || errno == ECONNRESET) &&
				    c->rxlen == 0 ? XCH_EOF0 : XCH_ERR;
			}
			if (r > 0)
				off += r;
		}
	}
}

/* escape - print b[n] C-escaped to stderr, at most DUMPMAX bytes */
static void
escape(const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < DUMPMAX; i++) {
		if (b[i] == '\n')
			fputs("\\n\n\t", stderr);
		else if (b[i] == '\r')
			fputs("\\r", stderr);
		else if (isprint((unsigned char)b[i]) && b[i] != '\\')
			fputc(b[i], stderr);
		else
			fprintf(stderr, "\\x%02x", (unsigned char)b[i]);
	}
	if (n > DUMPMAX)
		fprintf(stderr, "... (%zu bytes in all)", n);
	fputc('\n', stderr);
}

/* dump - print the first failed exchange: why, request head, answer */
static void
dump(long id, const char *why, const char *head, size_t hlen,
    const struct body *b, const struct conn *c, int reused)
{
	pthread_mutex_lock(&dumplock);
	if (!dumped++) {
		fprintf(stderr, "icapload: request %ld (%s, %zu bytes, "
		    "connection %s): %s\nrequest head:\n\t", id, b->path,
		    b->len, reused ? "reused" : "new", why);
		escape(head, hlen);
		fprintf(stderr, "body: %s\nanswer bytes (%zu):\n\t",
		    preview == 0 ? "the whole body, chunked" :
		    b->ieof ? "preview with ieof" : "preview, then the rest "
		    "on 100 Continue", c->rxlen);
		escape(c->rx, c->rxlen);
	}
	pthread_mutex_unlock(&dumplock);
}

/* head_build - the ICAP head + encapsulated heads of request id */
static size_t
head_build(char *h, size_t cap, long id, const struct body *b)
{
	char	req[256], res[256], pv[48] = "";
	int	rq, rs;

	rq = snprintf(req, sizeof(req), "GET http://origin.test/obj%ld "
	    "HTTP/1.1\r\nHost: origin.test\r\n\r\n", id);
	rs = snprintf(res, sizeof(res), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/octet-stream\r\nContent-Length: %zu\r\n\r\n", b->len);
	if (preview > 0)
		snprintf(pv, sizeof(pv), "Preview: %zu\r\n", b->npre);
	return snprintf(h, cap, "RESPMOD icap://%s:%s%s ICAP/1.0\r\n"
	    "Host: %s:%s\r\n%s%s"
	    "Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n%s%s",
	    host, port, service, host, port, allow204 ? "Allow: 204\r\n" : "",
	    pv, rq, rq + rs, req, res);
}

/*
 * request - one RESPMOD on the worker's connection (opened as needed);
 * 0 with *a filled, -1 on an error (the first one is dumped; the
 * connection is closed).
 */
static int
request(struct worker *w, long id, const struct body *b, struct answer *a)
{
	struct conn	*c = &w->c;
	struct seg	 s[2];
	char		 head[1536];
	const char	*why = "";
	size_t		 hl;
	int		 early, x, reused = 0, tries = 0, rc = -1;

	hl = head_build(head, sizeof(head), id, b);
again:
	if (c->fd != -1 && !conn_idle_ok(c))
		conn_close(c);
	if (c->fd == -1 && conn_open(c, w) == -1) {
		why = "connect failed";
		goto out;
	}
	reused = c->used;
	s[0] = (struct seg){ head, hl };
	s[1] = preview > 0 ? (struct seg){ b->pre, b->prelen } :
	    (struct seg){ b->full, b->fulllen };
	x = exchange(c, s, 2, a, &early, &why);
	if (x == XCH_EOF0 && reused && tries++ == 0) {
		w->retries++;
		conn_close(c);
		goto again;
	}
	c->used = 1;
	if (x != XCH_OK)
		goto out;
	if (a->icap == 100) {
		why = "100 Continue after a whole body";
		if (preview == 0 || b->ieof || early || c->rxlen != a->len)
			goto out;
		w->cont++;
		c->rxlen = 0;
		s[0] = (struct seg){ b->rest, b->restlen };
		if ((x = exchange(c, s, 1, a, &early, &why)) != XCH_OK)
			goto out;
		why = "a second 100 Continue";
		if (a->icap == 100)
			goto out;
	}
	why = "bytes after the answer";
	if (c->rxlen != a->len)
		goto out;
	c->rxlen = 0;
	if (a->close || early)
		conn_close(c);
	rc = 0;
out:
	if (rc == -1) {
		dump(id, why, head, hl, b, c, reused);
		conn_close(c);
	}
	return rc;
}

/* worker_main - one connection's loop until the count or the deadline */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct answer	 a;
	const struct body *b;
	double		 t0;
	long		 id;
	int		 k;

	w->cap = MAXSAMPLES;
	if ((w->lat = malloc(sizeof(double) * w->cap)) == NULL)
		w->cap = 0;
	w->c.fd = -1;
	w->c.rxcap = 4 * CHUNK;
	if ((w->c.rx = malloc(w->c.rxcap)) == NULL)
		return NULL;
	for (;;) {
		if (deadline > 0 && now() >= deadline)
			break;
		id = atomic_fetch_add(&issued, 1);
		if (maxreq > 0 && id >= maxreq)
			break;
		k = (int)(id % nbodies);
		b = &bodies[k];
		t0 = now();
		if (request(w, id, b, &a) == -1) {
			w->errors++;
			continue;
		}
		if (w->n < w->cap)
			w->lat[w->n++] = (now() - t0) * 1000;
		w->freq[k]++;
		w->bytes += b->len;
		if (a.icap == 204)
			w->a204++;
		else if (a.icap == 200)
			w->a200++;
		else
			w->other++;
		if (a.http == 403 || a.infected) {
			w->blocked++;
			w->fblocked[k]++;
		}
	}
	conn_close(&w->c);
	free(w->c.rx);
	return NULL;
}

/* usage - print the synopsis */
static int
usage(void)
{
	fprintf(stderr, "usage: icapload [-a] [-c conns] [-h host] [-p port] "
	    "[-s path] [-P preview]\n\t(-n requests | -d seconds) -f body "
	    "[-f body ...]\n");
	return 2;
}

/* num - a whole number in [lo, hi] from s, or -1 */
static long
num(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* report - merge the workers' figures and print them */
static int
report(struct worker *w, int nw, double secs)
{
	struct worker	 t = { 0 };
	double		*all;
	size_t		 k = 0;
	int		 i, j;

	for (i = 0; i < nw; i++) {
		t.n += w[i].n;
		t.a204 += w[i].a204;
		t.a200 += w[i].a200;
		t.other += w[i].other;
		t.blocked += w[i].blocked;
		t.errors += w[i].errors;
		t.connects += w[i].connects;
		t.retries += w[i].retries;
		t.cont += w[i].cont;
		t.bytes += w[i].bytes;
		for (j = 0; j < nbodies; j++) {
			t.freq[j] += w[i].freq[j];
			t.fblocked[j] += w[i].fblocked[j];
		}
	}
	all = xmalloc(sizeof(double) * (t.n + 1));
	for (i = 0; i < nw; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof(double));
		k += w[i].n;
		free(w[i].lat);
	}
	lat_sort(all, t.n);
	printf("target icap://%s:%s%s, %d connections, preview %zu, "
	    "Allow: 204 %s\n", host, port, service, nw, preview,
	    allow204 ? "yes" : "no");
	printf("requests %zu in %.3f s: %.1f req/s, %.2f MB/s of bodies\n",
	    t.n, secs, t.n / secs, t.bytes / 1e6 / secs);
	printf("answers: 204 %lu, 200 %lu, other %lu; 100 Continue %lu\n",
	    t.a204, t.a200, t.other, t.cont);
	printf("blocked %lu, errors %lu, reconnects %lu, retries %lu\n",
	    t.blocked, t.errors, t.connects > (unsigned long)nw ?
	    t.connects - nw : 0, t.retries);
	printf("latency ms: p50 %.3f, p90 %.3f, p99 %.3f, max %.3f\n",
	    lat_pct(all, t.n, .5), lat_pct(all, t.n, .9),
	    lat_pct(all, t.n, .99), t.n ? all[t.n - 1] : 0.0);
	for (j = 0; j < nbodies; j++)
		printf("FILE %d requests=%lu blocked=%lu %s\n", j, t.freq[j],
		    t.fblocked[j], bodies[j].path);
	printf("RESULT rps=%.1f p50=%.3f p99=%.3f errors=%lu blocked=%lu "
	    "requests=%zu p90=%.3f max=%.3f mbps=%.2f a204=%lu a200=%lu "
	    "other=%lu reconnects=%lu retries=%lu\n", t.n / secs,
	    lat_pct(all, t.n, .5), lat_pct(all, t.n, .99), t.errors,
	    t.blocked, t.n, lat_pct(all, t.n, .9), t.n ? all[t.n - 1] : 0.0,
	    t.bytes / 1e6 / secs,
	    t.a204, t.a200, t.other, t.connects > (unsigned long)nw ?
	    t.connects - nw : 0, t.retries);
	free(all);
	return t.errors + t.other > 0 ? 1 : 0;
}

/* main - parse the options, load the bodies, run the workers */
int
main(int argc, char *argv[])
{
	static struct worker	 w[MAXCONNS];
	struct addrinfo		 hints;
	const char		*files[MAXFILES];
	long			 conns = 1, secs = 0, v;
	double			 t0;
	int			 ch, i, nf = 0, rc;

	while ((ch = getopt(argc, argv, "ac:d:f:h:n:p:P:s:")) != -1) {
		switch (ch) {
		case 'a':
			allow204 = 1;
			break;
		case 'c':
			if ((conns = num(optarg, 1, MAXCONNS)) == -1)
				return usage();
			break;
		case 'd':
			if ((secs = num(optarg, 1, 86400)) == -1)
				return usage();
			break;
		case 'f':
			if (nf == MAXFILES)
				return usage();
			files[nf++] = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'n':
			if ((maxreq = num(optarg, 1, 1000000000L)) == -1)
				return usage();
			break;
		case 'p':
			port = optarg;
			break;
		case 'P':
			if ((v = num(optarg, 0, 1 << 24)) == -1)
				return usage();
			preview = v;
			break;
		case 's':
			service = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || nf == 0 || (maxreq > 0) == (secs > 0) ||
	    service[0] != '/' || strlen(host) > 255 || strlen(service) > 255 ||
	    strlen(port) > 16)
		return usage();
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &target)) != 0) {
		fprintf(stderr, "icapload: %s:%s: %s\n", host, port,
		    gai_strerror(rc));
		return 2;
	}
	for (i = 0; i < nf; i++)
		if (body_load(&bodies[nbodies++], files[i]) == -1) {
			fprintf(stderr, "icapload: cannot read %s\n", files[i]);
			return 2;
		}
	t0 = now();
	if (secs > 0)
		deadline = t0 + secs;
	for (i = 0; i < conns; i++)
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "icapload: cannot start thread %d\n", i);
			conns = i;
			break;
		}
	for (i = 0; i < conns; i++)
		pthread_join(w[i].th, NULL);
	rc = report(w, (int)conns, now() - t0);
	freeaddrinfo(target);
	return rc;
}
