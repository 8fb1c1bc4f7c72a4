/*
 * vigild_conn.c - one client connection: clamd's protocol and vigil's own
 *
 * DESIGN
 * Each connection has a thread that reads and frames commands
 * (vigild_proto.c), receives passed descriptors, reads INSTREAM chunks and
 * walks directories for SCAN; scanning happens on the pool's threads,
 * which send each reply themselves under the connection's write lock.  So
 * in an IDSESSION, or a MULTISCAN, many objects of one connection are
 * scanned at once and their replies go out as they finish (clamd's
 * clients match them by the "N: " prefix or by name), while a bounded
 * window of outstanding jobs per connection applies back-pressure.
 *
 * Outside a session a clamd command is answered and the connection
 * closed, as clamd does (clients of CONTSCAN read until the end of the
 * stream).  Native requests and the control socket's commands keep the
 * connection open for the next request.
 *
 * Every wait is bounded: a command must arrive within IdleTimeout, a
 * stream's next chunk too, a passed descriptor within FDWAIT_MS of its
 * FILDES; a command line is at most PROTO_CMD_MAX bytes; a stream at most
 * StreamMaxLength, and all streams held at once share a memory budget,
 * past which a request is answered busy rather than buffered.
 *
 * Descriptors arrive as SCM_RIGHTS ancillary data on any message (clamd's
 * clients send them with one dummy byte after the command, vigil's client
 * with the command itself); they are queued in arrival order and taken
 * by FILDES and VSCAN.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"
#include "vproto.h"
#include "vigild.h"
#include "vigild_proto.h"

#define RBUF_SIZE	(PROTO_CMD_MAX + 65536)
#define MAXFDS		16
#define FDWAIT_MS	2000
#define WALK_DEPTH	64
#define CONN_STACK	((size_t)256 << 10)

struct conn {
	int		 fd;
	char		 peer[96];
	struct conn_opts o;
	pthread_mutex_t	 wmu;		/* one writer at a time */
	int		 broken;	/* a write failed: stop */
	pthread_mutex_t	 mu;		/* outstanding and the tallies */
	pthread_cond_t	 cv;
	unsigned	 outstanding;
	unsigned	 found, failed;	/* of a directory scan */
	char		*rbuf;
	size_t		 rlen;
	int		 fds[MAXFDS];
	unsigned	 nfds;
	int		 session;
	unsigned	 next_id;
	int		 eof;
};

static atomic_uint	 nconn;
static atomic_uint_fast64_t stream_held;

/* stream_budget - bytes all buffered streams may hold together */
static uint64_t
stream_budget(void)
{
	uint64_t	 b = vd.stream_max * (uint64_t)(vd.threads * 2 + 4);

	if (b < ((uint64_t)256 << 20))
		b = (uint64_t)256 << 20;
	if (b > ((uint64_t)4 << 30))
		b = (uint64_t)4 << 30;
	return b;
}

/* stream_take - reserve n bytes of the budget; 0 or -1 */
static int
stream_take(size_t n)
{
	uint64_t	 cur = atomic_load(&stream_held);

	do {
		if (cur + n > stream_budget())
			return -1;
	} while (!atomic_compare_exchange_weak(&stream_held, &cur, cur + n));
	return 0;
}

/* stream_give - return n bytes to the budget */
static void
stream_give(size_t n)
{
	atomic_fetch_sub(&stream_held, n);
}

/* conn_count - connections being served */
unsigned
conn_count(void)
{
	return atomic_load(&nconn);
}

/* conn_send - write a reply, passing passfd along when >= 0 */
void
conn_send(struct conn *c, const void *buf, size_t len, int passfd)
{
	const char	*p = buf;
	ssize_t		 r;

	pthread_mutex_lock(&c->wmu);
	if (c->broken)
		goto out;
	if (passfd >= 0 && len > 0) {
		struct msghdr	 m;
		struct iovec	 iov;
		union {
			struct cmsghdr	 h;
			char		 b[CMSG_SPACE(sizeof(int))];
		} u;
		struct cmsghdr	*cm;

		memset(&m, 0, sizeof(m));
		memset(&u, 0, sizeof(u));
		iov.iov_base = (void *)p;
		iov.iov_len = len;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passfd, sizeof(int));
		do
			r = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			c->broken = 1;
			goto out;
		}
		p += r;
		len -= (size_t)r;
	}
	while (len > 0) {
		r = send(c->fd, p, len, MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			c->broken = 1;
			break;
		}
		p += r;
		len -= (size_t)r;
	}
out:
	pthread_mutex_unlock(&c->wmu);
}

/* reply - one formatted line, with the session prefix when in one */
static void
reply(struct conn *c, unsigned id, char delim, const char *fmt, ...)
{
	char	 line[2048];
	int	 n = 0, m;
	va_list	 ap;

	if (id)
		n = snprintf(line, sizeof(line), "%u: ", id);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = delim;
	conn_send(c, line, (size_t)n, -1);
}

/*
 * refuse - a request's error answer in its own protocol: VERROR code=CODE
 * with text for a native request, clamd's "TEXT ERROR" line otherwise
 */
static void
refuse(struct conn *c, int native, unsigned id, char delim, const char *code,
    const char *text)
{
	struct strbuf	 sb;

	if (!native) {
		reply(c, id, delim, "%s ERROR", text);
		return;
	}
	strbuf_init(&sb, 4096);
	if (vproto_error_format(&sb, code, text, delim) == 0)
		conn_send(c, sb.data, sb.len, -1);
	strbuf_fini(&sb);
}

/* fill - receive more bytes (and descriptors); >0, 0 at EOF, -1 */
static int
fill(struct conn *c, int timeout_ms)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(int) * MAXFDS)];
	} u;
	struct msghdr	 m;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct pollfd	 pfd;
	ssize_t		 r;
	int		 waited = 0, slice, pr;
	size_t		 i, nf;

	if (c->rlen >= RBUF_SIZE)
		return -1;
	for (;;) {
		slice = timeout_ms - waited;
		if (slice > 500)
			slice = 500;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, slice < 0 ? 0 : slice);
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == -1)
			return -1;
		if (pr == 1)
			break;
		waited += slice;
		if (waited >= timeout_ms)
			return -1;
		/* an idle connection goes when vigild stops */
		if (atomic_load(&vd.stopping) && c->outstanding == 0)
			return -1;
	}
	memset(&m, 0, sizeof(m));
	iov.iov_base = c->rbuf + c->rlen;
	iov.iov_len = RBUF_SIZE - c->rlen;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof(u.b);
	do
		r = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nf; i++) {
			int	 fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (c->nfds < MAXFDS)
				c->fds[c->nfds++] = fd;
			else
				close(fd);
		}
	}
	if (r == 0) {
		c->eof = 1;
		return 0;
	}
	c->rlen += (size_t)r;
	return 1;
}

/* take_fd - the first passed descriptor, waiting briefly; -1 if none */
static int
take_fd(struct conn *c)
{
	int	 fd, waited = 0;

	while (c->nfds == 0 && !c->eof && waited < FDWAIT_MS) {
		if (c->rlen >= RBUF_SIZE || fill(c, 100) == 0)
			break;
		waited += 100;
	}
	if (c->nfds == 0)
		return -1;
	fd = c->fds[0];
	memmove(c->fds, c->fds + 1, --c->nfds * sizeof(int));
	return fd;
}

/* consume - drop n bytes from the front of the read buffer */
static void
consume(struct conn *c, size_t n)
{
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}

/* job_done - a job of this connection finished (worker thread) */
static void
job_done(struct job *j)
{
	struct conn	*c = j->conn;

	pthread_mutex_lock(&c->mu);
	c->found += j->found;
	c->failed += j->failed;
	c->outstanding--;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (j->len > 0 && j->input == JOB_BUF)
		stream_give(j->len);
	free(j);
}

/* wait_below - wait until at most n jobs of c are outstanding */
static void
wait_below(struct conn *c, unsigned n)
{
	pthread_mutex_lock(&c->mu);
	while (c->outstanding > n)
		pthread_cond_wait(&c->cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
}

/* new_job - a job for this connection with vigild's limits */
static struct job *
new_job(struct conn *c, const struct proto_req *q, unsigned id)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	vigild_limits(&j->lim);
	j->delim = q->delim;
	j->session_id = id;
	j->conn = c;
	j->client = c->peer;
	j->done = job_done;
	return j;
}

/* submit - hand j to the pool; on a full queue answer busy.  wait: for
 * the files of a directory scan, which wait for room instead */
static int
submit(struct conn *c, struct job *j, int wait)
{
	char	 text[300];

	pthread_mutex_lock(&c->mu);
	c->outstanding++;
	pthread_mutex_unlock(&c->mu);
	if (pool_submit(j, wait) == 0)
		return 0;
	pthread_mutex_lock(&c->mu);
	c->outstanding--;
	pthread_mutex_unlock(&c->mu);
	snprintf(text, sizeof(text), "%s: vigild busy", j->name);
	refuse(c, j->native, j->session_id, j->delim, "busy", text);
	job_release(j);
	if (j->input == JOB_BUF && j->len > 0)
		stream_give(j->len);
	free(j);
	return -1;
}

/* read_stream - INSTREAM chunks into a buffer; 0, -1 (connection dead),
 * -2 (over StreamMaxLength), -3 (memory budget) */
static int
read_stream(struct conn *c, uint8_t **out, size_t *outlen)
{
	uint8_t		*buf = NULL, *nb;
	size_t		 len = 0, cap = 0, want, n;
	uint32_t	 be;
	int		 rc = -1;

	for (;;) {
		while (c->rlen < 4)
			if (fill(c, (int)vd.idle_timeout * 1000) <= 0)
				goto fail;
		memcpy(&be, c->rbuf, 4);
		consume(c, 4);
		want = ntohl(be);
		if (want == 0)
			break;
		if (len + want > vd.stream_max) {
			rc = -2;
			goto fail;
		}
		if (len + want > cap) {
			size_t	 ncap = cap ? cap : 65536;

			while (ncap < len + want)
				ncap *= 2;
			if (ncap > vd.stream_max)
				ncap = (size_t)vd.stream_max;
			if (stream_take(ncap - cap) == -1) {
				rc = -3;
				goto fail;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				stream_give(ncap - cap);
				rc = -3;
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		while (want > 0) {
			if (c->rlen == 0 &&
			    fill(c, (int)vd.idle_timeout * 1000) <= 0)
				goto fail;
			n = c->rlen < want ? c->rlen : want;
			memcpy(buf + len, c->rbuf, n);
			consume(c, n);
			len += n;
			want -= n;
		}
	}
	/* the budget keeps what the job holds: len bytes */
	if (cap > len)
		stream_give(cap - len);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	if (cap > 0)
		stream_give(cap);
	free(buf);
	return rc;
}

/* do_stream - INSTREAM and VINSTREAM */
static int
do_stream(struct conn *c, const struct proto_req *q, unsigned id,
    struct job *j)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	rc = read_stream(c, &buf, &len);
	if (rc == -1) {
		free(j);
		return -1;
	}
	if (rc < 0) {
		if (rc == -2)
			refuse(c, j->native, id, q->delim, "toolarge",
			    "INSTREAM size limit exceeded.");
		else
			refuse(c, j->native, id, q->delim, "busy",
			    "stream: vigild busy");
		atomic_fetch_add(rc == -2 ? &vstats.errors : &vstats.busy, 1);
		free(j);
		return -1;	/* the rest of the stream is unread: close */
	}
	j->input = JOB_BUF;
	j->buf = buf;
	j->len = len;
	if (j->name[0] == '\0')
		snprintf(j->name, sizeof(j->name), "stream");
	(void)submit(c, j, 0);	/* busy is answered; the stream was read */
	return 0;
}

/* walk - submit every regular file under dir (fd), depth first */
static int
walk(struct conn *c, const struct proto_req *q, int dfd, struct strbuf *path,
    int depth, int stop_at_found, unsigned window)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	struct job	*j;
	size_t		 base = path->len;
	int		 sub, rc = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	while ((e = readdir(d)) != NULL && rc == 0) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (c->broken || atomic_load(&vd.stopping)) {
			rc = -1;
			break;
		}
		if (stop_at_found) {
			wait_below(c, 0);
			if (c->found)
				break;
		}
		path->len = base;
		if (strbuf_printf(path, "%s%s", base > 0 &&
		    path->data[base - 1] == '/' ? "" : "/", e->d_name) == -1)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth >= WALK_DEPTH)
				continue;
			sub = openat(dirfd(d), e->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1) {
				reply(c, 0, q->delim, "%s: Access denied. "
				    "ERROR", path->data);
				pthread_mutex_lock(&c->mu);
				c->failed++;
				pthread_mutex_unlock(&c->mu);
				continue;
			}
			rc = walk(c, q, sub, path, depth + 1, stop_at_found,
			    window);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if ((j = new_job(c, q, 0)) == NULL)
			continue;
		j->input = JOB_PATH;
		j->quiet_ok = 1;
		if ((j->path = strdup(path->data)) == NULL) {
			free(j);
			continue;
		}
		snprintf(j->name, sizeof(j->name), "%s", path->data);
		if (q->cmd == CMD_ALLMATCHSCAN) {
			j->lim.flags |= VIGIL_SCAN_ALLMATCH;
			j->allmatch_reply = 1;
		}
		wait_below(c, window);
		(void)submit(c, j, 1);
	}
	path->len = base;
	closedir(d);
	return rc;
}

/* do_scan_path - SCAN, CONTSCAN, MULTISCAN, ALLMATCHSCAN */
static void
do_scan_path(struct conn *c, const struct proto_req *q, const char *arg,
    unsigned id)
{
	struct strbuf	 path;
	struct stat	 st;
	struct job	*j;
	int		 dfd;
	unsigned	 window = vd.threads * 2 + 2;

	if (arg[0] != '/') {
		reply(c, id, q->delim, "%s: Path must be absolute ERROR", arg);
		return;
	}
	if (stat(arg, &st) == -1) {
		reply(c, id, q->delim, "%s: %s ERROR", arg, errno == EACCES ?
		    "Access denied." : "No such file or directory.");
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->found = c->failed = 0;
	pthread_mutex_unlock(&c->mu);
	if (!S_ISDIR(st.st_mode)) {
		if ((j = new_job(c, q, id)) == NULL ||
		    (j->path = strdup(arg)) == NULL) {
			free(j);
			reply(c, id, q->delim, "%s: out of memory ERROR", arg);
			return;
		}
		j->input = JOB_PATH;
		snprintf(j->name, sizeof(j->name), "%s", arg);
		if (q->cmd == CMD_ALLMATCHSCAN) {
			j->lim.flags |= VIGIL_SCAN_ALLMATCH;
			j->allmatch_reply = 1;
		}
		(void)submit(c, j, 0);
		return;
	}
	if ((dfd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		reply(c, id, q->delim, "%s: Access denied. ERROR", arg);
		return;
	}
	strbuf_init(&path, 65536);
	if (strbuf_printf(&path, "%s", arg) == 0)
		(void)walk(c, q, dfd, &path, 0, q->cmd == CMD_SCAN, window);
	else
		close(dfd);
	strbuf_fini(&path);
	wait_below(c, 0);
	if (c->found == 0 && c->failed == 0 && !c->broken)
		reply(c, id, q->delim, "%s: OK", arg);
}

/* do_fd - FILDES and VSCAN */
static void
do_fd(struct conn *c, const struct proto_req *q, unsigned id, struct job *j)
{
	int	 fd;

	if (!c->o.unix_peer) {
		refuse(c, j->native, id, q->delim, "nofd",
		    "FILDES: only on a unix socket");
		free(j);
		return;
	}
	if ((fd = take_fd(c)) == -1) {
		refuse(c, j->native, id, q->delim, "nofd",
		    "No file descriptor received.");
		free(j);
		return;
	}
	j->input = JOB_FD;
	j->fd = fd;
	if (j->name[0] == '\0')
		snprintf(j->name, sizeof(j->name), "fd[%d]", fd);
	(void)submit(c, j, 0);
}

/* native_job - a job from VSCAN/VINSTREAM options; NULL after a reply */
static struct job *
native_job(struct conn *c, const struct proto_req *q, const char *arg,
    size_t arglen)
{
	struct vproto_req	 r;
	struct vigil_limits	 lim;
	struct job		*j;
	char			 err[256];

	vigild_limits(&lim);
	if (vproto_opts_parse(arg, arglen, &lim, &r, err,
	    sizeof(err)) == -1) {
		refuse(c, 1, 0, q->delim, "badrequest", err);
		return NULL;
	}
	if (r.cure && !c->o.unix_peer) {
		refuse(c, 1, 0, q->delim, "badrequest", "cure=1 needs the "
		    "unix socket (the cured copy comes back as a descriptor)");
		return NULL;
	}
	if ((j = new_job(c, q, 0)) == NULL)
		return NULL;
	j->native = 1;
	j->lim = r.lim;
	j->cure = r.cure;
	snprintf(j->name, sizeof(j->name), "%.255s", r.name);
	return j;
}

/* do_control - the control socket's own commands */
static void
do_control(struct conn *c, const struct proto_req *q)
{
	char		 err[2048];
	struct dbref	*r;
	unsigned	 th, busy, queued;

	switch (q->cmd) {
	case CMD_RELOADDB:
		if (db_reload(NULL, NULL, err, sizeof(err)) == -1) {
			reply(c, 0, q->delim, "ERROR: %s", err);
			break;
		}
		r = db_acquire();
		reply(c, 0, q->delim, "RELOADED version=%s signatures=%lu "
		    "seconds=%.3f", r->version, r->sigs, r->load_seconds);
		db_release(r);
		break;
	case CMD_RELOADCONF:
		if (vigild_reload_config(err, sizeof(err)) == -1)
			reply(c, 0, q->delim, "ERROR: %s", err);
		else
			reply(c, 0, q->delim, "OK");
		break;
	case CMD_STATUS:
		r = db_acquire();
		pool_counts(&th, &busy, &queued);
		reply(c, 0, q->delim, "RUNNING pid=%ld uptime=%lld version=%s "
		    "signatures=%lu threads=%u connections=%u queue=%u",
		    (long)getpid(), (long long)(time(NULL) - vd.started),
		    r->version, r->sigs, th, conn_count(), queued);
		db_release(r);
		break;
	case CMD_REOPENLOG:
		reqlog_reopen();
		reply(c, 0, q->delim, "OK");
		break;
	default:
		break;
	}
}

/* db_number - the database as a number (VERSION's second field, which
 * clients use to notice a new database): the installed package's version
 * (vigil-update), else the first 32 bits of the content digest */
static unsigned long long
db_number(const struct dbref *r)
{
	char	 hex[9];

	if (r->pkgver != 0)
		return r->pkgver;
	memcpy(hex, r->version, 8);
	hex[8] = '\0';
	return strtoul(hex, NULL, 16);
}

/* version_reply - [vigild] VersionReply with its %-escapes expanded */
static void
version_reply(const struct dbref *r, const char *when, char *out, size_t len)
{
	char		 fmt[256];
	const char	*p;
	size_t		 n = 0;
	int		 m;

	vigild_version_format(fmt, sizeof(fmt));
	for (p = fmt; *p != '\0' && n + 1 < len; p++) {
		m = 0;
		if (*p == '%' && p[1] == 'v')
			m = snprintf(out + n, len - n, "%s", VIGIL_VERSION);
		else if (*p == '%' && p[1] == 'n')
			m = snprintf(out + n, len - n, "%llu", db_number(r));
		else if (*p == '%' && p[1] == 'd')
			m = snprintf(out + n, len - n, "%s", when);
		else if (*p == '%' && p[1] == '%')
			m = snprintf(out + n, len - n, "%%");
		else {
			out[n++] = *p;
			continue;
		}
		p++;
		if (m < 0 || (size_t)m >= len - n)
			break;
		n += (size_t)m;
	}
	out[n < len ? n : len - 1] = '\0';
}

/* dispatch - one command; 0 to go on reading, -1 to close */
static int
dispatch(struct conn *c, const struct proto_req *q, const char *arg,
    size_t arglen)
{
	struct dbref	*r;
	struct job	*j;
	struct strbuf	 sb;
	unsigned	 id = 0;
	char		 when[64], vbuf[512];
	struct tm	 tm;

	if (c->session && q->cmd != CMD_END && q->cmd != CMD_IDSESSION)
		id = ++c->next_id;
	switch (q->cmd) {
	case CMD_PING:
		reply(c, id, q->delim, "PONG");
		break;
	case CMD_VERSION:
	case CMD_VERSIONCOMMANDS:
		r = db_acquire();
		localtime_r(&r->loaded_at, &tm);
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		version_reply(r, when, vbuf, sizeof(vbuf));
		if (q->cmd == CMD_VERSION)
			reply(c, id, q->delim, "%s", vbuf);
		else
			reply(c, id, q->delim, "%s| COMMANDS: %s", vbuf,
			    proto_commands_list);
		db_release(r);
		break;
	case CMD_RELOAD:
		db_reload_async();
		reply(c, id, q->delim, "RELOADING");
		break;
	case CMD_SHUTDOWN:
		vigild_request_stop();
		return -1;
	case CMD_SCAN:
	case CMD_CONTSCAN:
	case CMD_MULTISCAN:
	case CMD_ALLMATCHSCAN:
		if (c->session) {
			reply(c, id, q->delim, "%s: not allowed in a session "
			    "ERROR", proto_cmd_name(q->cmd));
			break;
		}
		do_scan_path(c, q, arg, id);
		break;
	case CMD_INSTREAM:
		if ((j = new_job(c, q, id)) == NULL)
			return -1;
		if (do_stream(c, q, id, j) == -1)
			return -1;
		break;
	case CMD_FILDES:
		if ((j = new_job(c, q, id)) == NULL)
			return -1;
		do_fd(c, q, id, j);
		break;
	case CMD_VSCAN:
		if ((j = native_job(c, q, arg, arglen)) != NULL)
			do_fd(c, q, 0, j);
		return 0;
	case CMD_VINSTREAM:
		if ((j = native_job(c, q, arg, arglen)) == NULL)
			return -1;	/* the chunks that follow are unread */
		return do_stream(c, q, 0, j) == -1 ? -1 : 0;
	case CMD_STATS:
		strbuf_init(&sb, 65536);
		if (id)
			strbuf_printf(&sb, "%u: ", id);
		stats_format(&sb, q->delim);
		conn_send(c, sb.data, sb.len, -1);
		strbuf_fini(&sb);
		break;
	case CMD_IDSESSION:
		c->session = 1;
		return 0;
	case CMD_END:
		return -1;
	case CMD_RELOADDB:
	case CMD_RELOADCONF:
	case CMD_STATUS:
	case CMD_REOPENLOG:
		if (!c->o.control) {
			reply(c, id, q->delim, "UNKNOWN COMMAND");
			return -1;
		}
		do_control(c, q);
		return 0;
	case CMD_DETSTATSCLEAR:
	case CMD_DETSTATS:
	case CMD_UNKNOWN:
	default:
		reply(c, id, q->delim, "UNKNOWN COMMAND");
		return c->session ? 0 : -1;
	}
	/* clamd answers one command per connection outside a session */
	if (c->session || c->o.control)
		return 0;
	return -1;
}

/* serve - the connection's thread */
static void *
serve(void *arg)
{
	struct conn		*c = arg;
	struct proto_req	 q;
	enum proto_status	 st;
	char			*argbuf;
	size_t			 used, arglen;
	unsigned		 i;
	int			 rc;

	if ((c->rbuf = malloc(RBUF_SIZE)) == NULL ||
	    (argbuf = malloc(PROTO_CMD_MAX + 1)) == NULL)
		goto out;
	for (;;) {
		st = proto_next(c->rbuf, c->rlen, &q, &used);
		if (st == PROTO_MORE) {
			if (used > 0)
				consume(c, used);
			if (c->eof || c->broken)
				break;
			if (fill(c, (int)vd.idle_timeout * 1000) <= 0)
				break;
			continue;
		}
		if (st != PROTO_OK) {
			reply(c, 0, q.delim ? q.delim : '\n', st ==
			    PROTO_TOOLONG ? "ERROR: command too long" :
			    "UNKNOWN COMMAND");
			break;
		}
		arglen = q.arglen;
		memcpy(argbuf, q.arg, arglen);
		argbuf[arglen] = '\0';
		q.arg = argbuf;
		q.name = proto_cmd_name(q.cmd);
		consume(c, used);
		if (c->session && !q.prefixed && q.cmd != CMD_END) {
			reply(c, 0, '\n', "UNKNOWN COMMAND");
			break;
		}
		/* the session's replies must not outrun the window */
		if (c->session)
			wait_below(c, vd.threads * 2 + 2);
		if (q.cmd != CMD_VINSTREAM && q.cmd != CMD_VSCAN &&
		    memchr(argbuf, '\0', arglen) != NULL) {
			reply(c, 0, q.delim, "UNKNOWN COMMAND");
			break;
		}
		rc = dispatch(c, &q, argbuf, arglen);
		if (rc == -1 || c->broken)
			break;
		if (!c->session && !c->o.control)
			wait_below(c, 0);
	}
	free(argbuf);
out:
	wait_below(c, 0);
	for (i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	shutdown(c->fd, SHUT_RDWR);
	close(c->fd);
	free(c->rbuf);
	pthread_mutex_destroy(&c->wmu);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	atomic_fetch_sub(&nconn, 1);
	return NULL;
}

/* conn_start - serve fd in a new thread */
int
conn_start(int fd, const char *peer, const struct conn_opts *o)
{
	pthread_attr_t	 a;
	pthread_t	 t;
	struct conn	*c;
	struct timeval	 tv;
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->fd = fd;
	c->o = *o;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	pthread_mutex_init(&c->wmu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	tv.tv_sec = vd.idle_timeout;
	tv.tv_usec = 0;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	atomic_fetch_add(&nconn, 1);
	atomic_fetch_add(&vstats.connections, 1);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, CONN_STACK);
	rc = pthread_create(&t, &a, serve, c);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		atomic_fetch_sub(&nconn, 1);
		pthread_mutex_destroy(&c->wmu);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return -1;
	}
	return 0;
}

/* conn_wait_all - wait (bounded) for the connections to finish */
void
conn_wait_all(int seconds)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	int		 i;

	for (i = 0; i < seconds * 20 && atomic_load(&nconn) > 0; i++)
		nanosleep(&ts, NULL);
}
