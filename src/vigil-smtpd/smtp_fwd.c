/*
 * smtp_fwd.c - vigil-smtpd's ForwardMailer: SMTP/LMTP to the next MTA over
 * TCP or a command's stdin/stdout, and qmail-queue
 *
 * DESIGN
 * A connection is a non-blocking stream socket: a TCP socket, or our end
 * of a socketpair whose other end is the stdin and stdout of
 * "/bin/sh -c COMMAND".  Being a socket either way, every write is a
 * send(MSG_NOSIGNAL): no SIGPIPE, whatever the caller does with signals.
 * Output is gathered in c->out and written by fwd_flush(), which also
 * reads whatever the peer sends meanwhile into c->in, so that a peer
 * answering a long pipelined batch can never deadlock against us.
 * Replies are cut into lines from c->in and fed to smtp_reply_line().
 * Waits are bounded by the timeout: a reply must be complete within it,
 * and a write must make progress within it.  Any transport failure
 * (timeout, EOF, reset, malformed reply, protocol violation) makes the
 * connection unusable: the recipients still without an outcome get
 * 451 4.4.2 and the caller opens a new connection for the next message.
 * A transaction that ends after MAIL was accepted but before the message
 * went (no recipient accepted, DATA refused) is closed with RSET.
 * Recipient states live in res[i].code: 0 no answer yet, FWD_ACCEPTED
 * after a 2xx to RCPT, else the final code.
 *
 * Commands run in their own process group; fwd_close() closes our end
 * (the command sees EOF), waits for the command up to the timeout, then
 * kills the group.  qmail:(PATH) runs PATH once per message, without a
 * shell, with pipes on fd 0 (the message, exact bytes) and fd 1 (the
 * envelope); SIGPIPE is blocked around those writes and a pending one
 * consumed.  Children are started with posix_spawn() (safe in threaded
 * programs); every descriptor we open is close-on-exec.
 *
 * Hand-written: libcurl's SMTP client has no LMTP, no XFORWARD, no
 * per-recipient DATA outcomes and cannot drive a command's stdin/stdout;
 * what we need is a few hundred lines over smtp_proto's pure functions.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtp_fwd.h"

extern char **environ;

#define FWD_ACCEPTED	1		/* res[i].code: RCPT got a 2xx */
#define FWD_CHUNK	(64 * 1024)	/* write size for the message */
#define FWD_OUT_MAX	(1024 * 1024)	/* cap on output gathered */
#define FWD_IN_MAX	(4 * 1024 * 1024)	/* cap on unread replies */
#define FWD_READ	16384
#define FWD_XF_LEN	500		/* attribute text per XFORWARD */
#define FWD_TIMEOUT	300000		/* ms, when the caller gives none */

struct fwd_conn {
	struct fwd_spec	 spec;
	int		 fd;		/* -1: none (qmail) */
	pid_t		 pid;		/* command, -1: none */
	int		 timeout;	/* ms */
	int		 usable;
	int		 eof;		/* peer closed its side */
	struct smtp_caps caps;
	struct strbuf	 in;		/* read, consumed up to inoff */
	size_t		 inoff;
	struct strbuf	 out;		/* to write */
	char		 what[160];	/* the peer, for messages */
	char		 err[256];	/* the transport failure */
};

/* fwd_now - monotonic milliseconds */
static long long
fwd_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fwd_left - milliseconds until deadline, 0 when past */
static int
fwd_left(long long deadline)
{
	long long	 d = deadline - fwd_now();

	if (d <= 0)
		return 0;
	return d > INT32_MAX ? INT32_MAX : (int)d;
}

/* fwd_set - make up an outcome: code and "x.y.z text" */
static void
fwd_set(struct fwd_result *r, int code, const char *fmt, ...)
{
	va_list	 ap;

	r->code = code;
	va_start(ap, fmt);
	(void)vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* fwd_has_esc - text starts with an enhanced status code "c.n.n" */
static int
fwd_has_esc(const char *t)
{
	int	 part, n;

	if (t[0] != '2' && t[0] != '4' && t[0] != '5')
		return 0;
	t++;
	for (part = 0; part < 2; part++) {
		if (*t++ != '.')
			return 0;
		for (n = 0; isdigit((unsigned char)*t) && n < 4; n++)
			t++;
		if (n == 0 || n > 3)
			return 0;
	}
	return *t == '\0' || *t == ' ';
}

/*
 * fwd_take - the peer's reply as an outcome: one line (line breaks and
 * control bytes become spaces), an enhanced status code put in front
 * when the peer gave none
 */
static void
fwd_take(struct fwd_result *r, const struct smtp_reply *rep)
{
	size_t	 i, n = 0;

	r->code = rep->code;
	if (!fwd_has_esc(rep->text))
		n = (size_t)snprintf(r->text, sizeof(r->text), "%d.0.0 ",
		    rep->code / 100);
	for (i = 0; i < rep->textlen && n < sizeof(r->text) - 1; i++) {
		unsigned char	 ch = (unsigned char)rep->text[i];

		r->text[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	while (n > 0 && r->text[n - 1] == ' ')
		n--;
	r->text[n] = '\0';
}

/* fwd_text_ok - no control bytes (nothing that could end a command) */
static int
fwd_text_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* fwd_addr_ok - an address we can put between <> */
static int
fwd_addr_ok(const char *s)
{
	return s != NULL && strlen(s) <= SMTP_ADDR_MAX && fwd_text_ok(s) &&
	    strchr(s, '<') == NULL && strchr(s, '>') == NULL;
}

/* fwd_parse_cmd - "(COMMAND)" at p..end */
static int
fwd_parse_cmd(struct fwd_spec *s, const char *p, const char *end,
    char *err, size_t errlen)
{
	size_t	 n;

	if (end - p < 2 || end[-1] != ')') {
		snprintf(err, errlen, "missing ')' after the command");
		return -1;
	}
	for (p++, end--; p < end && isspace((unsigned char)*p); p++)
		;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if ((n = (size_t)(end - p)) == 0) {
		snprintf(err, errlen, "empty command in ()");
		return -1;
	}
	if (n >= sizeof(s->cmd)) {
		snprintf(err, errlen, "command longer than %zu bytes",
		    sizeof(s->cmd) - 1);
		return -1;
	}
	memcpy(s->cmd, p, n);
	s->cmd[n] = '\0';
	if (!fwd_text_ok(s->cmd)) {
		snprintf(err, errlen, "control character in the command");
		return -1;
	}
	if (s->kind == FWD_QMAIL && s->cmd[0] != '/') {
		snprintf(err, errlen, "qmail-queue path \"%.100s\" is not "
		    "absolute", s->cmd);
		return -1;
	}
	s->command = 1;
	return 0;
}

/* fwd_parse_port - PORT: 1-65535 or a service name ("smtp") */
static int
fwd_parse_port(struct fwd_spec *s, const char *p, size_t n, char *err,
    size_t errlen)
{
	size_t	 i, digits = 0;
	long	 v;

	for (i = 0; i < n; i++) {
		if (isdigit((unsigned char)p[i]))
			digits++;
		else if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			break;
	}
	if (n == 0 || i < n || n >= sizeof(s->port) ||
	    (digits > 0 && isdigit((unsigned char)p[0]) && digits < n) ||
	    (digits == n && ((v = strtol(p, NULL, 10)) < 1 || v > 65535))) {
		snprintf(err, errlen, "bad port \"%.*s\"", (int)(n > 40 ? 40 :
		    n), p);
		return -1;
	}
	memcpy(s->port, p, n);
	s->port[n] = '\0';
	return 0;
}

/* fwd_parse_v6 - "[v6addr]" at p (n bytes with the brackets) */
static int
fwd_parse_v6(struct fwd_spec *s, const char *p, size_t n, char *err,
    size_t errlen)
{
	struct in6_addr	 a;
	char		 tmp[sizeof(s->host)], *pct;

	if (n - 2 == 0 || n - 2 >= sizeof(tmp))
		goto bad;
	memcpy(tmp, p + 1, n - 2);
	tmp[n - 2] = '\0';
	memcpy(s->host, tmp, n - 1);
	if ((pct = strchr(tmp, '%')) != NULL)	/* zone: fe80::1%eth0 */
		*pct = '\0';
	if (inet_pton(AF_INET6, tmp, &a) == 1 && fwd_text_ok(s->host) &&
	    strchr(s->host, ' ') == NULL)
		return 0;
bad:
	snprintf(err, errlen, "bad IPv6 address \"%.*s\"",
	    (int)(n > 60 ? 60 : n), p);
	return -1;
}

/* fwd_parse_addr - "HOST[:PORT]" or "[V6][:PORT]" at p..end */
static int
fwd_parse_addr(struct fwd_spec *s, const char *p, const char *end,
    char *err, size_t errlen)
{
	const char	*colon, *q;
	size_t		 n;

	if (p == end) {
		snprintf(err, errlen, "missing host");
		return -1;
	}
	if (*p == '[') {
		if ((q = memchr(p, ']', (size_t)(end - p))) == NULL) {
			snprintf(err, errlen, "missing ']' after the IPv6 "
			    "address");
			return -1;
		}
		if (fwd_parse_v6(s, p, (size_t)(q - p + 1), err, errlen) == -1)
			return -1;
		colon = q + 1;
		if (colon < end && *colon != ':') {
			snprintf(err, errlen, "junk after ']'");
			return -1;
		}
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon != NULL && memchr(colon + 1, ':',
		    (size_t)(end - colon - 1)) != NULL) {
			snprintf(err, errlen, "an IPv6 address needs brackets, "
			    "as in [::1]:25");
			return -1;
		}
		if (colon == NULL)
			colon = end;
		n = (size_t)(colon - p);
		for (q = p; q < colon; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' &&
			    *q != '.' && *q != '_')
				break;
		if (n == 0 || q < colon || n >= sizeof(s->host)) {
			snprintf(err, errlen, "bad host \"%.*s\"",
			    (int)(n > 60 ? 60 : n), p);
			return -1;
		}
		memcpy(s->host, p, n);
		s->host[n] = '\0';
	}
	if (colon < end)
		return fwd_parse_port(s, colon + 1,
		    (size_t)(end - colon - 1), err, errlen);
	strcpy(s->port, s->kind == FWD_LMTP ? "24" : "25");
	return 0;
}

/* fwd_parse - ForwardMailer value into a spec */
int
fwd_parse(const char *text, struct fwd_spec *s, char *err, size_t errlen)
{
	static const struct {
		const char	*name;
		enum fwd_kind	 kind;
	} kinds[] = {
		{ "smtp", FWD_SMTP }, { "lmtp", FWD_LMTP },
		{ "qmail", FWD_QMAIL },
	};
	const char	*p, *end, *colon;
	size_t		 i, n;
	char		 dummy[1];

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	memset(s, 0, sizeof(*s));
	err[0] = '\0';
	for (p = text; isspace((unsigned char)*p); p++)
		;
	for (end = p + strlen(p); end > p && isspace((unsigned char)end[-1]);
	    end--)
		;
	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL) {
		snprintf(err, errlen, "expected smtp:, lmtp: or qmail: in "
		    "\"%.60s\"", p);
		return -1;
	}
	n = (size_t)(colon - p);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == n &&
		    strncasecmp(kinds[i].name, p, n) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		snprintf(err, errlen, "unknown protocol \"%.*s\" (smtp, lmtp "
		    "or qmail)", (int)(n > 20 ? 20 : n), p);
		return -1;
	}
	s->kind = kinds[i].kind;
	for (p = colon + 1; p < end && isspace((unsigned char)*p); p++)
		;
	if (p < end && *p == '(')
		return fwd_parse_cmd(s, p, end, err, errlen);
	if (s->kind == FWD_QMAIL) {
		snprintf(err, errlen, "qmail needs (PATH of qmail-queue)");
		return -1;
	}
	return fwd_parse_addr(s, p, end, err, errlen);
}

/* fwd_fail - note a transport failure: the connection is unusable */
static int
fwd_fail(struct fwd_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int
fwd_fail(struct fwd_conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	if (c->usable)
		log_warnx("forward %s: %s", c->what, c->err);
	c->usable = 0;
	return -1;
}

/* fwd_read - one non-blocking read into c->in: 1 data, 0 EOF, -1 errno */
static int
fwd_read(struct fwd_conn *c)
{
	char	*p;
	ssize_t	 n;

	if (c->inoff == c->in.len)
		c->inoff = c->in.len = 0;
	else if (c->inoff > c->in.len / 2) {
		memmove(c->in.data, c->in.data + c->inoff,
		    c->in.len - c->inoff);
		c->in.len -= c->inoff;
		c->inoff = 0;
	}
	if ((p = strbuf_reserve(&c->in, FWD_READ)) == NULL)
		return -1;
	do
		n = recv(c->fd, p, FWD_READ, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0) {
		c->eof = 1;
		return 0;
	}
	c->in.len += (size_t)n;
	c->in.data[c->in.len] = '\0';
	return 1;
}

/* fwd_flush - write c->out whole, keeping what the peer sends meanwhile */
static int
fwd_flush(struct fwd_conn *c, const char *doing)
{
	struct pollfd	 pfd;
	long long	 deadline = fwd_now() + c->timeout;
	size_t		 off = 0;
	ssize_t		 n;

	while (off < c->out.len) {
		n = send(c->fd, c->out.data + off, c->out.len - off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			deadline = fwd_now() + c->timeout;
			continue;
		}
		if (n == -1 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return fwd_fail(c, "lost connection while sending %s: "
			    "%s", doing, strerror(errno));
		pfd.fd = c->fd;
		pfd.events = POLLOUT | (c->eof ? 0 : POLLIN);
		n = poll(&pfd, 1, fwd_left(deadline));
		if (n == 0)
			return fwd_fail(c, "timed out sending %s", doing);
		if (n == -1 && errno != EINTR)
			return fwd_fail(c, "poll: %s", strerror(errno));
		if (n > 0 && (pfd.revents & POLLIN) && !c->eof &&
		    fwd_read(c) == -1 && errno != EAGAIN)
			return fwd_fail(c, "lost connection while sending %s: "
			    "%s", doing,
			    errno == E2BIG ? "too many unread replies" :
			    strerror(errno));
	}
	strbuf_reset(&c->out);
	return 0;
}

/* fwd_line - the next reply line (line end cut) by deadline */
static int
fwd_line(struct fwd_conn *c, long long deadline, const char *doing,
    const char **line, size_t *len)
{
	struct pollfd	 pfd;
	const char	*p, *nl;
	size_t		 avail;
	int		 n;

	for (;;) {
		p = c->in.data + c->inoff;
		avail = c->in.len - c->inoff;
		if (avail > 0 && (nl = memchr(p, '\n', avail)) != NULL) {
			*line = p;
			*len = (size_t)(nl - p);
			if (*len > 0 && p[*len - 1] == '\r')
				(*len)--;
			c->inoff += (size_t)(nl - p) + 1;
			return 0;
		}
		if (avail > SMTP_LINE_MAX + 2)
			return fwd_fail(c, "reply line too long after %s",
			    doing);
		if (c->eof)
			return fwd_fail(c, "lost connection after %s", doing);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, fwd_left(deadline))) == 0)
			return fwd_fail(c, "timed out waiting for the reply "
			    "to %s", doing);
		if (n == -1 && errno != EINTR)
			return fwd_fail(c, "poll: %s", strerror(errno));
		if (n > 0 && fwd_read(c) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return fwd_fail(c, "lost connection after %s: %s",
			    doing, strerror(errno));
	}
}

/* fwd_reply - read one whole reply; 0, or -1 (transport failure noted) */
static int
fwd_reply(struct fwd_conn *c, struct smtp_reply *r, const char *doing)
{
	long long	 deadline = fwd_now() + c->timeout;
	const char	*line = NULL;
	size_t		 len = 0;
	int		 n;
	char		 q[80];

	smtp_reply_init(r);
	do {
		if (fwd_line(c, deadline, doing, &line, &len) == -1)
			return -1;
		if ((n = smtp_reply_line(r, line, len)) == -1)
			return fwd_fail(c, "malformed reply to %s: \"%s\"",
			    doing, log_quote(q, sizeof(q), line, len));
	} while (n == 0);
	if (r->code == 421)	/* the peer is closing: RFC 5321 3.8 */
		return fwd_fail(c, "peer closing after %s: %s", doing,
		    log_quote(q, sizeof(q), r->text, r->textlen));
	return 0;
}

/* fwd_cmd - gather one command; written early once a lot is gathered */
static int
fwd_cmd(struct fwd_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int
fwd_cmd(struct fwd_conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[SMTP_LINE_MAX + 3];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return fwd_fail(c, "command too long");
	if (strbuf_append(&c->out, line, (size_t)n) == -1)
		return fwd_fail(c, "cannot buffer a command: %s",
		    strerror(errno));
	if (c->out.len >= FWD_CHUNK)
		return fwd_flush(c, "commands");
	return 0;
}

/* fwd_fd_high - move fd above 2 so that dup2 onto 0 and 1 cannot clash */
static int
fwd_fd_high(int fd)
{
	int	 nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

/* fwd_spawn - run argv with fd0 and fd1 as its stdin and stdout */
static int
fwd_spawn(char *const argv[], int fd0, int fd1, int newpg, pid_t *pid)
{
	static const int	 dfl[] = { SIGPIPE, SIGCHLD, SIGHUP, SIGINT,
	    SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t	 at;
	sigset_t		 none, def;
	size_t			 i;
	int			 e;

	sigemptyset(&none);
	sigemptyset(&def);
	for (i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
		sigaddset(&def, dfl[i]);
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto out;
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		goto out;
	}
	if ((e = posix_spawn_file_actions_adddup2(&fa, fd0, 0)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, fd1, 1)) == 0 &&
	    (e = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
	    (e = posix_spawnattr_setsigdefault(&at, &def)) == 0 &&
	    (e = posix_spawnattr_setpgroup(&at, 0)) == 0 &&
	    (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | (newpg ? POSIX_SPAWN_SETPGROUP : 0))) == 0)
		e = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
out:
	errno = e;
	return e == 0 ? 0 : -1;
}

/*
 * fwd_reap - wait for pid up to timeout ms, then SIGKILL it (its group
 * when pg) and wait.  0 exited (*status), 1 killed, -1 lost (ECHILD).
 */
static int
fwd_reap(pid_t pid, int pg, int timeout, int *status)
{
	long long	 deadline = fwd_now() + timeout;
	struct timespec	 ts;
	long		 nap = 1;	/* ms, doubling to 50 */
	pid_t		 r;
	int		 left;

	for (;;) {
		if ((r = waitpid(pid, status, WNOHANG)) == pid)
			return 0;
		if (r == -1 && errno != EINTR)
			return -1;
		if ((left = fwd_left(deadline)) == 0)
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = (left < nap ? left : nap) * 1000000L;
		(void)nanosleep(&ts, NULL);
		nap = nap >= 25 ? 50 : nap * 2;
	}
	(void)kill(pg ? -pid : pid, SIGKILL);
	while ((r = waitpid(pid, status, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? 1 : -1;
}

/* fwd_start - run the command on a socketpair */
static int
fwd_start(struct fwd_conn *c)
{
	char	*argv[] = { "/bin/sh", "-c", c->spec.cmd, NULL };
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return fwd_fail(c, "socketpair: %s", strerror(errno));
	if ((sv[1] = fwd_fd_high(sv[1])) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fwd_spawn(argv, sv[1], sv[1], 1, &c->pid) == -1) {
		(void)fwd_fail(c, "cannot run /bin/sh: %s", strerror(errno));
		c->pid = -1;
		close(sv[0]);
		if (sv[1] != -1)
			close(sv[1]);
		return -1;
	}
	close(sv[1]);
	c->fd = sv[0];
	return 0;
}

/* fwd_connect1 - one non-blocking connect, bounded by deadline */
static int
fwd_connect1(const struct addrinfo *ai, long long deadline)
{
	struct pollfd	 pfd;
	socklen_t	 sl = sizeof(int);
	int		 fd, n, e = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	while ((n = poll(&pfd, 1, fwd_left(deadline))) == -1 && errno == EINTR)
		;
	if (n == 0)
		errno = ETIMEDOUT;
	if (n <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		goto fail;
	if (e == 0)
		return fd;
	errno = e;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* fwd_connect - TCP to host:port, each address in turn, within timeout */
static int
fwd_connect(struct fwd_conn *c)
{
	struct addrinfo	 hints, *res, *ai;
	long long	 deadline = fwd_now() + c->timeout;
	int		 e, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* XXX getaddrinfo cannot be bounded by the timeout */
	if ((e = getaddrinfo(c->spec.host, c->spec.port, &hints, &res)) != 0)
		return fwd_fail(c, "cannot resolve: %s", gai_strerror(e));
	errno = EADDRNOTAVAIL;
	for (ai = res; ai != NULL && c->fd == -1; ai = ai->ai_next)
		c->fd = fwd_connect1(ai, deadline);
	e = errno;
	freeaddrinfo(res);
	if (c->fd == -1)
		return fwd_fail(c, "cannot connect: %s", strerror(e));
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

/* fwd_hello - greeting, EHLO/LHLO (HELO fallback), capabilities */
static int
fwd_hello(struct fwd_conn *c, const char *helo, struct fwd_result *why)
{
	struct smtp_reply	 r;
	const char		*verb;

	verb = c->spec.kind == FWD_LMTP ? "LHLO" : "EHLO";
	if (fwd_reply(c, &r, "connect") == -1)
		return -1;
	if (r.code / 100 != 2)
		goto refused;
	if (fwd_cmd(c, "%s %s\r\n", verb, helo) == -1 ||
	    fwd_flush(c, verb) == -1 || fwd_reply(c, &r, verb) == -1)
		return -1;
	if (r.code / 100 == 2) {
		smtp_caps_parse(&r, &c->caps);
		return 0;
	}
	if (c->spec.kind == FWD_LMTP || r.code / 100 != 5)
		goto refused;
	if (fwd_cmd(c, "HELO %s\r\n", helo) == -1 ||
	    fwd_flush(c, "HELO") == -1 || fwd_reply(c, &r, "HELO") == -1)
		return -1;
	if (r.code / 100 == 2)
		return 0;
refused:
	fwd_take(why, &r);
	c->usable = 1;		/* alive: fwd_close says QUIT */
	return -1;
}

/* fwd_open - connect or start, greet, learn capabilities */
struct fwd_conn *
fwd_open(const struct fwd_spec *spec, const char *helo, int timeout_ms,
    struct fwd_result *why)
{
	struct fwd_conn	*c;

	why->code = 0;
	why->text[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fwd_set(why, 451, "4.3.0 out of memory");
		return NULL;
	}
	c->spec = *spec;
	c->fd = -1;
	c->pid = -1;
	c->timeout = timeout_ms > 0 ? timeout_ms : FWD_TIMEOUT;
	strbuf_init(&c->in, FWD_IN_MAX);
	strbuf_init(&c->out, FWD_OUT_MAX);
	if (spec->command)
		snprintf(c->what, sizeof(c->what), "%s:(%.100s)",
		    spec->kind == FWD_LMTP ? "lmtp" : spec->kind == FWD_QMAIL ?
		    "qmail" : "smtp", spec->cmd);
	else
		snprintf(c->what, sizeof(c->what), strchr(spec->host, ':') ?
		    "%s:[%s]:%s" : "%s:%s:%s", spec->kind == FWD_LMTP ? "lmtp" :
		    "smtp", spec->host, spec->port);
	if (spec->kind == FWD_QMAIL) {
		c->usable = 1;
		return c;
	}
	if (helo == NULL || *helo == '\0' || !fwd_text_ok(helo) ||
	    strchr(helo, ' ') != NULL || strlen(helo) > 255)
		helo = "localhost";
	if ((spec->command ? fwd_start(c) : fwd_connect(c)) == -1 ||
	    fwd_hello(c, helo, why) == -1) {
		if (why->code == 0)
			fwd_set(why, 451, "4.4.1 %s: %s", c->what, c->err);
		fwd_close(c);
		return NULL;
	}
	c->usable = 1;
	return c;
}

/* fwd_param_add - append " tok" (n bytes) to out */
static void
fwd_param_add(char *out, size_t outlen, const char *tok, size_t n)
{
	size_t	 len = strlen(out);

	if (len + 1 + n < outlen) {
		out[len] = ' ';
		memcpy(out + len + 1, tok, n);
		out[len + 1 + n] = '\0';
	}
}

/* fwd_keyis - token tok (n bytes) has key key ("SIZE" for SIZE=...) */
static int
fwd_keyis(const char *tok, size_t n, const char *key)
{
	size_t	 k = strlen(key);

	return n >= k && strncasecmp(tok, key, k) == 0 &&
	    (n == k || tok[k] == '=');
}

/*
 * fwd_mail_params - the MAIL parameters we send (" SIZE=n BODY=...",
 * leading space) from the upstream's; -1 when SMTPUTF8 is needed but
 * the peer does not announce it
 */
static int
fwd_mail_params(const struct smtp_caps *caps, const char *in,
    uint64_t size, char *out, size_t outlen)
{
	unsigned	 ext = caps->ext;
	const char	*t;
	size_t		 n;
	char		 sz[32];

	out[0] = '\0';
	if (ext & SMTP_EXT_SIZE) {
		n = (size_t)snprintf(sz, sizeof(sz), "SIZE=%" PRIu64, size);
		fwd_param_add(out, outlen, sz, n);
	}
	for (t = in != NULL ? in : ""; *t != '\0'; t += n) {
		t += strspn(t, " \t");
		if ((n = strcspn(t, " \t")) == 0)
			break;
		if (fwd_keyis(t, n, "SMTPUTF8")) {
			if (!(ext & SMTP_EXT_SMTPUTF8))
				return -1;
			fwd_param_add(out, outlen, t, n);
		} else if (fwd_keyis(t, n, "BODY") &&
		    (ext & SMTP_EXT_8BITMIME)) {
			if (n == 15 &&
			    strncasecmp(t, "BODY=BINARYMIME", n) == 0)
				fwd_param_add(out, outlen, "BODY=8BITMIME", 13);
			else
				fwd_param_add(out, outlen, t, n);
		} else if ((fwd_keyis(t, n, "RET") || fwd_keyis(t, n, "ENVID"))
		    && (ext & SMTP_EXT_DSN))
			fwd_param_add(out, outlen, t, n);
	}
	return 0;
}

/* fwd_rcpt_params - NOTIFY= and ORCPT= of p, when the peer has DSN */
static void
fwd_rcpt_params(const struct fwd_conn *c, const char *p, char *out,
    size_t outlen)
{
	size_t	 n;

	out[0] = '\0';
	if (p == NULL || !(c->caps.ext & SMTP_EXT_DSN))
		return;
	for (; *p != '\0'; p += n) {
		p += strspn(p, " \t");
		if ((n = strcspn(p, " \t")) == 0)
			break;
		if (fwd_keyis(p, n, "NOTIFY") || fwd_keyis(p, n, "ORCPT"))
			fwd_param_add(out, outlen, p, n);
	}
}

/* fwd_xforward - gather XFORWARD commands; how many, -1 on failure */
static int
fwd_xforward(struct fwd_conn *c, const char *attrs)
{
	char		 buf[SMTP_LINE_MAX + 1];
	const char	*p, *q, *end;
	size_t		 n;
	int		 ncmd = 0;

	if (attrs == NULL || !(c->caps.ext & SMTP_EXT_XFORWARD) ||
	    !fwd_text_ok(attrs) ||
	    smtp_xforward_filter(attrs, c->caps.xforward, buf,
	    sizeof(buf)) <= 0)
		return 0;
	/* Postfix keeps each XFORWARD short; so do we, on attribute edges */
	for (p = buf + strspn(buf, " "); *p != '\0';
	    p = end + strspn(end, " ")) {
		for (end = p; *end != '\0'; end = q + n) {
			q = end + strspn(end, " ");
			n = strcspn(q, " ");
			if (n == 0 ||
			    (end > p && (size_t)(q + n - p) > FWD_XF_LEN))
				break;
		}
		if (fwd_cmd(c, "XFORWARD %.*s\r\n", (int)(end - p), p) == -1)
			return -1;
		ncmd++;
	}
	return ncmd;
}

/* fwd_body - the message, dot-stuffed, in large writes, then "." */
static int
fwd_body(struct fwd_conn *c, const struct fwd_msg *m)
{
	const uint8_t	*p;
	size_t		 i, n, k;
	int		 bol = 1;

	for (i = 0; i < m->niov; i++) {
		p = m->iov[i].iov_base;
		for (n = m->iov[i].iov_len; n > 0; p += k, n -= k) {
			k = n < FWD_CHUNK ? n : FWD_CHUNK;
			if (smtp_stuff(p, k, &bol, &c->out) == -1)
				return fwd_fail(c, "cannot buffer the message: "
				    "%s", strerror(errno));
			if (c->out.len >= FWD_CHUNK &&
			    fwd_flush(c, "the message") == -1)
				return -1;
		}
	}
	if (smtp_stuff_end(bol, &c->out) == -1)
		return fwd_fail(c, "cannot buffer the message: %s",
		    strerror(errno));
	return fwd_flush(c, "the message");
}

/* fwd_all - give every recipient still without an answer this one */
static void
fwd_all(const struct fwd_msg *m, struct fwd_result *res, int state,
    const struct fwd_result *r)
{
	size_t	 i;

	for (i = 0; i < m->nrcpt; i++)
		if (res[i].code == state)
			res[i] = *r;
}

/* fwd_data - after DATA was sent: its reply, the message, the outcomes */
static int
fwd_data(struct fwd_conn *c, const struct fwd_msg *m, struct fwd_result *res,
    size_t nok, int *sent)
{
	struct smtp_reply	 r;
	struct fwd_result	 one;
	size_t			 i;

	if (fwd_reply(c, &r, "DATA") == -1)
		return -1;
	if (r.code / 100 == 2)
		return fwd_fail(c, "DATA answered %d", r.code);
	if (r.code / 100 != 3) {
		fwd_take(&one, &r);
		fwd_all(m, res, FWD_ACCEPTED, &one);
		return 0;
	}
	if (nok == 0)
		return fwd_fail(c, "DATA accepted with no recipient");
	*sent = 1;
	if (fwd_body(c, m) == -1)
		return -1;
	for (i = 0; i < m->nrcpt; i++) {
		if (res[i].code != FWD_ACCEPTED)
			continue;
		if (fwd_reply(c, &r, "end of data") == -1)
			return -1;
		if (r.code / 100 == 3)
			return fwd_fail(c, "end of data answered %d", r.code);
		fwd_take(&one, &r);
		if (c->spec.kind == FWD_LMTP)	/* RFC 2033: one per RCPT */
			res[i] = one;
		else
			fwd_all(m, res, FWD_ACCEPTED, &one);
	}
	return 0;
}

/* fwd_rcpt - gather the RCPT command for recipient i */
static int
fwd_rcpt(struct fwd_conn *c, const struct fwd_msg *m, size_t i)
{
	char	 p[SMTP_PARAMS_MAX + 1];

	fwd_rcpt_params(c, m->rcpt_params != NULL ? m->rcpt_params[i] : NULL,
	    p, sizeof(p));
	return fwd_cmd(c, "RCPT TO:<%s>%s\r\n", m->rcpt[i], p);
}

/* fwd_rcpts - gather every valid recipient's RCPT and DATA (pipelining) */
static int
fwd_rcpts(struct fwd_conn *c, const struct fwd_msg *m)
{
	size_t	 i;

	for (i = 0; i < m->nrcpt; i++)
		if (fwd_addr_ok(m->rcpt[i]) && fwd_rcpt(c, m, i) == -1)
			return -1;
	return fwd_cmd(c, "DATA\r\n");
}

/*
 * fwd_txn - one SMTP/LMTP transaction; recipients without an outcome on
 * return are left for fwd_send (transport failure)
 */
static void
fwd_txn(struct fwd_conn *c, const struct fwd_msg *m, struct fwd_result *res,
    const char *params)
{
	struct smtp_reply	 r;
	struct fwd_result	 one;
	size_t			 i, nok = 0;
	int			 piped, nxf, mail_ok, sent = 0;

	piped = (c->caps.ext & SMTP_EXT_PIPELINING) != 0;
	if ((nxf = fwd_xforward(c, m->xforward)) == -1 ||
	    fwd_cmd(c, "MAIL FROM:<%s>%s\r\n", m->sender, params) == -1 ||
	    (piped && fwd_rcpts(c, m) == -1) ||
	    fwd_flush(c, "MAIL FROM") == -1)
		return;
	for (; nxf > 0; nxf--) {
		if (fwd_reply(c, &r, "XFORWARD") == -1)
			return;
		if (r.code / 100 != 2)
			log_info("forward %s: XFORWARD refused (%d)", c->what,
			    r.code);
	}
	if (fwd_reply(c, &r, "MAIL FROM") == -1)
		return;
	if (!(mail_ok = r.code / 100 == 2)) {
		fwd_take(&one, &r);
		fwd_all(m, res, 0, &one);
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (!fwd_addr_ok(m->rcpt[i]))
			continue;
		if (!piped) {
			if (!mail_ok)
				break;
			if (fwd_rcpt(c, m, i) == -1 ||
			    fwd_flush(c, "RCPT TO") == -1)
				return;
		}
		if (fwd_reply(c, &r, "RCPT TO") == -1)
			return;
		if (!mail_ok)
			continue;
		if (r.code / 100 == 2) {
			res[i].code = FWD_ACCEPTED;
			nok++;
		} else if (r.code / 100 == 3) {
			(void)fwd_fail(c, "RCPT TO answered %d", r.code);
			return;
		} else
			fwd_take(&res[i], &r);
	}
	if (piped || nok > 0) {
		if (!piped && (fwd_cmd(c, "DATA\r\n") == -1 ||
		    fwd_flush(c, "DATA") == -1))
			return;
		if (fwd_data(c, m, res, nok, &sent) == -1)
			return;
	}
	if (mail_ok && !sent) {
		if (fwd_cmd(c, "RSET\r\n") == -1 ||
		    fwd_flush(c, "RSET") == -1 ||
		    fwd_reply(c, &r, "RSET") == -1)
			return;
		if (r.code / 100 != 2)
			(void)fwd_fail(c, "RSET answered %d", r.code);
	}
}

/* fwd_alive - the peer has sent nothing unasked and not closed */
static int
fwd_alive(const struct fwd_conn *c)
{
	struct pollfd	 pfd;

	if (c->fd == -1)
		return 1;
	if (c->in.len > c->inoff || c->eof)
		return 0;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

/* fwd_qmail_env - "Fsender\0Trcpt\0...\0" */
static int
fwd_qmail_env(const struct fwd_msg *m, struct strbuf *env)
{
	size_t		 i;
	const char	*s = m->sender != NULL ? m->sender : "";

	if (strbuf_append(env, "F", 1) == -1 ||
	    strbuf_append(env, s, strlen(s) + 1) == -1)
		return -1;
	for (i = 0; i < m->nrcpt; i++)
		if (strbuf_append(env, "T", 1) == -1 || strbuf_append(env,
		    m->rcpt[i], strlen(m->rcpt[i]) + 1) == -1)
			return -1;
	return strbuf_append(env, "", 1);
}

/* fwd_pipe_write - n bytes to a non-blocking pipe, each wait bounded */
static int
fwd_pipe_write(int fd, const void *buf, size_t n, int timeout)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	ssize_t		 w;
	int		 k;

	while (n > 0) {
		if ((w = write(fd, p, n)) > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if ((k = poll(&pfd, 1, timeout)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (k == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * fwd_qmail_feed - message to mfd, envelope to efd (both closed here),
 * without raising SIGPIPE; 0 or -1 with errno
 */
static int
fwd_qmail_feed(const struct fwd_msg *m, const struct strbuf *env, int mfd,
    int efd, int timeout)
{
	struct timespec	 zero = { 0, 0 };
	sigset_t	 pipe, old, pend;
	size_t		 i;
	int		 rc = 0, had, e;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	had = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
	if (fcntl(mfd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(efd, F_SETFL, O_NONBLOCK) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < m->niov; i++)
		rc = fwd_pipe_write(mfd, m->iov[i].iov_base, m->iov[i].iov_len,
		    timeout);
	close(mfd);	/* qmail-queue reads the message to EOF, then fd 1 */
	if (rc == 0)
		rc = fwd_pipe_write(efd, env->data, env->len, timeout);
	e = errno;
	close(efd);
	if (rc == -1 && e == EPIPE && !had)
		(void)sigtimedwait(&pipe, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}

/* fwd_qmail_status - qmail-queue's exit into an outcome */
static void
fwd_qmail_status(struct fwd_result *r, int how, int st, int fed)
{
	int	 x;

	if (how == -1)
		fwd_set(r, 451, "4.3.0 qmail-queue exit status lost");
	else if (how == 1)
		fwd_set(r, 451, "4.3.0 qmail-queue timed out");
	else if (WIFSIGNALED(st))
		fwd_set(r, 451, "4.3.0 qmail-queue killed by signal %d",
		    WTERMSIG(st));
	else if ((x = WEXITSTATUS(st)) == 0 && fed == -1)
		fwd_set(r, 451, "4.3.0 qmail-queue exit 0 without reading "
		    "everything");
	else if (x == 0)
		fwd_set(r, 250, "2.0.0 Ok: queued by qmail-queue");
	else if (x == 31)
		fwd_set(r, 554, "5.7.1 qmail-queue exit 31: message refused");
	else if (x >= 11 && x <= 40)
		fwd_set(r, 554, "5.3.0 qmail-queue exit %d", x);
	else
		fwd_set(r, 451, "4.3.0 qmail-queue exit %d", x);
}

/* fwd_qmail - run qmail-queue for one message */
static int
fwd_qmail(struct fwd_conn *c, const struct fwd_msg *m, struct fwd_result *res)
{
	struct fwd_result	 one;
	struct strbuf		 env;
	char			*argv[] = { c->spec.cmd, NULL };
	int			 mp[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int			 st = 0, how, fed;
	pid_t			 pid;
	size_t			 i;

	strbuf_init(&env, SIZE_MAX / 2);
	if (fwd_qmail_env(m, &env) == -1) {
		fwd_set(&one, 451, "4.3.0 out of memory");
		goto out;
	}
	if (pipe2(mp, O_CLOEXEC) == -1 || (mp[0] = fwd_fd_high(mp[0])) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 || (ep[0] = fwd_fd_high(ep[0])) == -1 ||
	    fwd_spawn(argv, mp[0], ep[0], 0, &pid) == -1) {
		fwd_set(&one, 451, "4.3.0 cannot run %.200s: %s", c->spec.cmd,
		    strerror(errno));
		log_warnx("forward %s: %s", c->what, one.text + 6);
		goto out;
	}
	close(mp[0]);
	close(ep[0]);
	mp[0] = ep[0] = -1;
	fed = fwd_qmail_feed(m, &env, mp[1], ep[1], c->timeout);
	mp[1] = ep[1] = -1;
	how = fwd_reap(pid, 0, c->timeout, &st);
	fwd_qmail_status(&one, how, st, fed);
	if (one.code != 250)
		log_warnx("forward %s: %s", c->what, one.text + 6);
out:
	for (i = 0; i < 2; i++) {
		if (mp[i] != -1)
			close(mp[i]);
		if (ep[i] != -1)
			close(ep[i]);
	}
	strbuf_fini(&env);
	for (i = 0; i < m->nrcpt; i++)
		res[i] = one;
	return 0;
}

/* fwd_send - one transaction */
int
fwd_send(struct fwd_conn *c, const struct fwd_msg *m, struct fwd_result *res)
{
	struct fwd_result	 one;
	char			 params[SMTP_PARAMS_MAX + 64];
	uint64_t		 size = 0;
	size_t			 i;

	for (i = 0; i < m->nrcpt; i++) {
		res[i].code = 0;
		res[i].text[0] = '\0';
	}
	if (m->nrcpt == 0)
		return c->usable ? 0 : -1;
	if (c->spec.kind == FWD_QMAIL)
		return fwd_qmail(c, m, res);
	for (i = 0; i < m->niov; i++)
		size += m->iov[i].iov_len;
	if (c->usable && !fwd_alive(c))
		(void)fwd_fail(c, "connection closed by the peer while idle");
	if (!c->usable)
		goto out;
	for (i = 0; i < m->nrcpt; i++)
		if (!fwd_addr_ok(m->rcpt[i]))
			fwd_set(&res[i], 501, "5.1.3 bad recipient address "
			    "syntax");
	if (!fwd_addr_ok(m->sender))
		fwd_set(&one, 501, "5.1.7 bad sender address syntax");
	else if (fwd_mail_params(&c->caps, m->mail_params, size, params,
	    sizeof(params)) == -1)
		fwd_set(&one, 553, "5.6.7 the next mail server does not "
		    "support SMTPUTF8");
	else if (c->caps.size > 0 && size > (uint64_t)c->caps.size)
		fwd_set(&one, 552, "5.3.4 message size %" PRIu64 " exceeds "
		    "the next mail server's limit %" PRId64, size,
		    c->caps.size);
	else {
		fwd_txn(c, m, res, params);
		goto out;
	}
	fwd_all(m, res, 0, &one);
out:
	if (!c->usable) {
		fwd_set(&one, 451, "4.4.2 %s: %s", c->what, c->err[0] != '\0' ?
		    c->err : "connection not usable");
		fwd_all(m, res, 0, &one);
		fwd_all(m, res, FWD_ACCEPTED, &one);
		return -1;
	}
	return 0;
}

/* fwd_usable - fwd_send may be called again */
int
fwd_usable(const struct fwd_conn *c)
{
	return c != NULL && c->usable && fwd_alive(c);
}

/* fwd_caps - the peer's capabilities */
const struct smtp_caps *
fwd_caps(const struct fwd_conn *c)
{
	return &c->caps;
}

/* fwd_close - QUIT when usable, close, reap the command */
void
fwd_close(struct fwd_conn *c)
{
	struct smtp_reply	 r;
	int			 st;

	if (c == NULL)
		return;
	if (c->fd != -1) {
		strbuf_reset(&c->out);
		if (c->usable && fwd_alive(c) && fwd_cmd(c, "QUIT\r\n") == 0 &&
		    fwd_flush(c, "QUIT") == 0)
			(void)fwd_reply(c, &r, "QUIT");
		close(c->fd);
	}
	if (c->pid > 0 && fwd_reap(c->pid, 1, c->timeout, &st) == 1)
		log_warnx("forward %s: killed after %d ms", c->what,
		    c->timeout);
	strbuf_fini(&c->in);
	strbuf_fini(&c->out);
	free(c);
}
