/*
 * smtpd_sess.c - one SMTP or LMTP session with the upstream MTA
 *
 * The session reads commands, answers them, spools DATA to an unlinked
 * file in SpoolDirectory and hands the finished transaction to
 * proc_message(), which returns only after the downstream answered; the
 * upstream's reply to the end of DATA is that answer (one per recipient
 * under LMTP).  Nothing is acknowledged before the downstream has it.
 *
 * DESIGN: blocking I/O on a thread of its own (daemon) or on the
 * process's stdin/stdout (-s).  Input is read in 64 KiB blocks and split
 * into lines here; replies are gathered in a buffer and written in one
 * piece when no further command is waiting in the input (RFC 2920
 * PIPELINING: the client may send a group of commands; answering each
 * with its own small write is what makes some filters stall on delayed
 * ACKs).  Every wait is bounded by [smtpscan.limits] Timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "smtpd.h"

#define INBUF		(64 * 1024)
#define SPOOL_FLUSH	(256 * 1024)
#define MAX_ERRORS	20

struct sess {
	int			 in, out;
	struct smtpd_conf	*cf;
	struct sess_ctx		 ctx;
	struct txn		 t;
	uint8_t			 buf[INBUF];
	size_t			 pos, len;
	int			 eof, ioerr, errors, quit;
	struct smtp_cmd		 cmd;		/* the command being answered */
	struct strbuf		 reply;
};

/* txn_reset - forget the transaction (the spool file is closed) */
void
txn_reset(struct txn *t)
{
	size_t	i;

	free(t->sender);
	t->sender = NULL;
	t->mail_params[0] = '\0';
	for (i = 0; i < t->nrc; i++) {
		free(t->rc[i].addr);
		free(t->rc[i].params);
	}
	t->nrc = 0;
	if (t->spool != -1)
		close(t->spool);
	t->spool = -1;
	t->size = 0;
}

/* txn_add_rcpt - one more recipient; -1 on ENOMEM */
int
txn_add_rcpt(struct txn *t, const char *addr, const char *params)
{
	struct txn_rcpt	*n;
	size_t		 cap;

	if (t->nrc == t->caprc) {
		cap = t->caprc ? t->caprc * 2 : 8;
		if ((n = realloc(t->rc, cap * sizeof(*n))) == NULL)
			return -1;
		t->rc = n;
		t->caprc = cap;
	}
	n = &t->rc[t->nrc];
	memset(n, 0, sizeof(*n));
	if ((n->addr = strdup(addr)) == NULL ||
	    (n->params = strdup(params ? params : "")) == NULL) {
		free(n->addr);
		return -1;
	}
	t->nrc++;
	return 0;
}

/* spool_open - an unlinked read-write file in dir */
int
spool_open(const char *dir)
{
	char	 path[4096];
	int	 fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	if (errno == ENOENT) {
		(void)mkdir(dir, 0700);
		if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) !=
		    -1)
			return fd;
	}
	snprintf(path, sizeof(path), "%s/vigil-smtpd.XXXXXX", dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	(void)unlink(path);
	return fd;
}

/* flush - write the gathered replies */
static void
flush(struct sess *s)
{
	if (s->reply.len == 0 || s->ioerr)
		return;
	if (fd_write_all(s->out, s->reply.data, s->reply.len) == -1)
		s->ioerr = 1;
	strbuf_reset(&s->reply);
}

/* reply - queue one reply line ("250 2.0.0 Ok") */
static void
reply(struct sess *s, const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	(void)strbuf_append(&s->reply, line, (size_t)n);
}

/* fill - read more input (after flushing replies); 0, or -1 at EOF,
 * error or timeout */
static int
fill(struct sess *s)
{
	struct pollfd	 pfd = { .fd = s->in, .events = POLLIN };
	ssize_t		 r;
	int		 pr;

	flush(s);
	if (s->eof || s->ioerr)
		return -1;
	if (s->pos > 0) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
	}
	if (s->len == sizeof(s->buf))
		return 0;
	for (;;) {
		pr = poll(&pfd, 1, (int)s->cf->timeout * 1000);
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0) {
			if (pr == 0) {
				reply(s, "421 4.4.2 %s timeout, closing",
				    s->cf->hostname);
				flush(s);
			}
			s->eof = 1;
			return -1;
		}
		r = read(s->in, s->buf + s->len, sizeof(s->buf) - s->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			s->eof = 1;
			return -1;
		}
		s->len += (size_t)r;
		G.cnt.bytes_in += (unsigned long long)r;
		return 0;
	}
}

/* get_line - the next command line (without CRLF) into line; 1 got one,
 * 0 too long (skipped), -1 end of input */
static int
get_line(struct sess *s, char *line, size_t cap, size_t *outlen)
{
	uint8_t	*nl;
	size_t	 n;
	int	 toolong = 0;

	for (;;) {
		nl = memchr(s->buf + s->pos, '\n', s->len - s->pos);
		if (nl != NULL)
			break;
		if (s->len - s->pos >= cap) {
			/* drop what we have of an overlong line */
			toolong = 1;
			s->pos = s->len;
		}
		if (fill(s) == -1)
			return -1;
	}
	n = (size_t)(nl - (s->buf + s->pos));
	if (toolong || n >= cap) {
		s->pos += n + 1;
		return 0;
	}
	memcpy(line, s->buf + s->pos, n);
	s->pos += n + 1;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	*outlen = n;
	return 1;
}

/* new_qid - a queue id for the log: 12 hex digits */
static void
new_qid(char *out, size_t len)
{
	uint8_t	 r[6];
	size_t	 i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r) && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02X", r[i]);
}

/* do_data - receive the message; replies after the downstream answered */
static void
do_data(struct sess *s)
{
	struct smtp_data d;
	struct strbuf	 sb;
	long		 used;
	int		 done = 0, fail = 0;
	size_t		 i;

	if ((s->t.spool = spool_open(s->cf->spool_dir)) == -1) {
		log_warn("spool %s", s->cf->spool_dir);
		reply(s, "451 4.3.0 cannot spool the message");
		return;
	}
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
	flush(s);
	smtp_data_init(&d, s->cf->max_size);
	strbuf_init(&sb, SB_MAX);
	while (!done) {
		if (s->pos == s->len && fill(s) == -1)
			break;
		used = smtp_data_feed(&d, s->buf + s->pos, s->len - s->pos,
		    &sb, &done);
		if (used < 0) {
			/* d cannot be fed again: where the message ends is
			   lost, so is the session */
			log_warn("%s: receiving the message", s->t.qid);
			reply(s, "421 4.3.0 local error, closing");
			s->quit = 1;
			break;
		}
		s->pos += (size_t)used;
		if (sb.len >= SPOOL_FLUSH || (done && sb.len > 0)) {
			if (!fail && fd_write_all(s->t.spool, sb.data,
			    sb.len) == -1) {
				log_warn("spool write");
				fail = 1;
			}
			strbuf_reset(&sb);
		}
	}
	strbuf_fini(&sb);
	if (!done) {
		/* the client went away mid-message (or the 421 above):
		   nothing was accepted */
		txn_reset(&s->t);
		return;
	}
	s->t.size = d.size;
	if (d.too_big) {
		for (i = 0; i < (s->cf->lmtp ? s->t.nrc : 1); i++)
			reply(s, "552 5.3.4 message too big (limit %llu "
			    "bytes)", (unsigned long long)s->cf->max_size);
		txn_reset(&s->t);
		return;
	}
	if (fail) {
		for (i = 0; i < (s->cf->lmtp ? s->t.nrc : 1); i++)
			reply(s, "451 4.3.0 local error while spooling");
		txn_reset(&s->t);
		return;
	}
	flush(s);
	G.cnt.messages++;
	G.cnt.recipients += s->t.nrc;
	atomic_fetch_add(&G.busy, 1);
	s->t.single = !s->cf->lmtp;
	proc_message(s->cf, &s->ctx, &s->t);
	for (i = 0; i < s->t.nrc; i++)
		if (s->t.rc[i].code < 200 || s->t.rc[i].code > 599) {
			/* no outcome is no delivery: never a 2xx by accident */
			log_warnx("%s: <%s> has no outcome (code %d)", s->t.qid,
			    s->t.rc[i].addr, s->t.rc[i].code);
			s->t.rc[i].code = 451;
			snprintf(s->t.rc[i].text, sizeof(s->t.rc[i].text),
			    "4.3.0 local error, try again later");
		}
	if (s->cf->lmtp) {
		for (i = 0; i < s->t.nrc; i++)
			reply(s, "%d %s", s->t.rc[i].code, s->t.rc[i].text);
	} else {
		size_t	ok = 0, first4 = SIZE_MAX, first5 = SIZE_MAX;

		for (i = 0; i < s->t.nrc; i++) {
			if (s->t.rc[i].code < 300)
				ok++;
			else if (s->t.rc[i].code < 500 && first4 == SIZE_MAX)
				first4 = i;
			else if (s->t.rc[i].code >= 500 && first5 == SIZE_MAX)
				first5 = i;
		}
		if (ok == s->t.nrc)
			reply(s, "250 2.0.0 Ok: queued as %s", s->t.qid);
		else if (ok == 0) {
			i = first4 != SIZE_MAX ? first4 : first5;
			reply(s, "%d %s", s->t.rc[i].code, s->t.rc[i].text);
		} else if (first4 != SIZE_MAX) {
			/* some delivered, some to retry: SMTP has one
			 * reply for all; a retry of everything doubles the
			 * delivered ones, which is better than losing the
			 * others */
			log_warnx("%s: downstream took %zu of %zu "
			    "recipients and deferred <%s>: asking for a "
			    "retry of the whole message", s->t.qid, ok,
			    s->t.nrc, s->t.rc[first4].addr);
			reply(s, "%d %s", s->t.rc[first4].code,
			    s->t.rc[first4].text);
		} else {
			log_warnx("%s: downstream refused <%s> for good: "
			    "%s", s->t.qid, s->t.rc[first5].addr,
			    s->t.rc[first5].text);
			reply(s, "250 2.0.0 Ok: queued as %s (%zu of %zu "
			    "recipients refused downstream)", s->t.qid,
			    s->t.nrc - ok, s->t.nrc);
		}
	}
	flush(s);
	atomic_fetch_sub(&G.busy, 1);
	txn_reset(&s->t);
}

/* ehlo - the greeting reply and our extensions */
static void
ehlo(struct sess *s, int extended)
{
	if (!extended) {
		reply(s, "250 %s", s->cf->hostname);
		return;
	}
	reply(s, "250-%s", s->cf->hostname);
	reply(s, "250-PIPELINING");
	if (s->cf->max_size > 0)
		reply(s, "250-SIZE %llu", (unsigned long long)s->cf->max_size);
	else
		reply(s, "250-SIZE");
	reply(s, "250-8BITMIME");
	reply(s, "250-DSN");
	reply(s, "250-XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE");
	reply(s, "250-SMTPUTF8");
	reply(s, "250 ENHANCEDSTATUSCODES");
}

/* command - answer one command line */
static void
command(struct sess *s, const char *line, size_t len)
{
	struct smtp_cmd	*c = &s->cmd;
	char		 err[512];
	size_t		 n;
	int		 code;

	if ((code = smtp_cmd_parse(line, len, c, err, sizeof(err))) != 0) {
		reply(s, "%d %s", code, err);
		s->errors++;
		return;
	}
	switch (c->verb) {
	case SV_HELO:
	case SV_EHLO:
	case SV_LHLO:
		if (s->cf->lmtp != (c->verb == SV_LHLO)) {
			reply(s, "500 5.5.1 %s here", s->cf->lmtp ?
			    "LMTP: use LHLO" : "SMTP: use EHLO or HELO");
			s->errors++;
			break;
		}
		txn_reset(&s->t);
		s->ctx.xforward[0] = '\0';
		ehlo(s, c->verb != SV_HELO);
		break;
	case SV_MAIL:
		if (s->t.sender != NULL) {
			reply(s, "503 5.5.1 nested MAIL command");
			break;
		}
		if (c->size > 0 && s->cf->max_size > 0 &&
		    (uint64_t)c->size > s->cf->max_size) {
			reply(s, "552 5.3.4 message size exceeds the limit "
			    "of %llu bytes", (unsigned long long)
			    s->cf->max_size);
			break;
		}
		if ((s->t.sender = strdup(c->addr)) == NULL) {
			reply(s, "452 4.3.0 out of memory");
			break;
		}
		snprintf(s->t.mail_params, sizeof(s->t.mail_params), "%s",
		    c->params);
		new_qid(s->t.qid, sizeof(s->t.qid));
		reply(s, "250 2.1.0 Ok");
		break;
	case SV_RCPT:
		if (s->t.sender == NULL) {
			reply(s, "503 5.5.1 need MAIL command");
			break;
		}
		if (s->t.nrc >= s->cf->max_rcpt) {
			reply(s, "452 4.5.3 too many recipients");
			break;
		}
		if (txn_add_rcpt(&s->t, c->addr, c->params) == -1) {
			reply(s, "452 4.3.0 out of memory");
			break;
		}
		reply(s, "250 2.1.5 Ok");
		break;
	case SV_DATA:
		if (s->t.sender == NULL || s->t.nrc == 0) {
			reply(s, "503 5.5.1 %s", s->t.sender == NULL ?
			    "need MAIL command" : "need RCPT command");
			break;
		}
		do_data(s);
		/* XFORWARD attributes hold for one transaction (Postfix
		   resets them after DATA and on RSET): the next message may
		   come from another client */
		if (s->t.sender == NULL)
			s->ctx.xforward[0] = '\0';
		break;
	case SV_RSET:
		txn_reset(&s->t);
		s->ctx.xforward[0] = '\0';
		reply(s, "250 2.0.0 Ok");
		break;
	case SV_NOOP:
		reply(s, "250 2.0.0 Ok");
		break;
	case SV_QUIT:
		reply(s, "221 2.0.0 Bye");
		s->quit = 1;
		break;
	case SV_VRFY:
		reply(s, "252 2.5.0 cannot verify, send some mail");
		break;
	case SV_HELP:
		reply(s, "214 2.0.0 vigil-smtpd: see the vigil README");
		break;
	case SV_XFORWARD:
		if (s->t.sender != NULL) {
			reply(s, "503 5.5.1 XFORWARD inside a transaction");
			break;
		}
		n = strlen(s->ctx.xforward);
		if (n + strlen(c->arg) + 2 < sizeof(s->ctx.xforward))
			snprintf(s->ctx.xforward + n, sizeof(s->ctx.xforward) -
			    n, "%s%s", n ? " " : "", c->arg);
		reply(s, "250 2.0.0 Ok");
		break;
	default:
		reply(s, "502 5.5.1 command not implemented");
		s->errors++;
		break;
	}
}

/* sess_run - one session until QUIT, EOF, timeout or too many errors */
void
sess_run(int in, int out, const char *peer)
{
	struct sess	*s;
	struct timeval	 tv;
	char		 line[SMTP_LINE_MAX + 1];
	size_t		 n = 0;
	int		 r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->in = in;
	s->out = out;
	s->t.spool = -1;
	s->cf = conf_get();
	/* a client that sends but never reads must not hold the thread
	   in write() for ever (not a socket, -s on a pipe: ENOTSOCK) */
	tv.tv_sec = (time_t)s->cf->timeout;
	tv.tv_usec = 0;
	(void)setsockopt(out, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	strbuf_init(&s->reply, SB_MAX);
	snprintf(s->ctx.client, sizeof(s->ctx.client), "%s", peer ? peer :
	    "local");
	G.cnt.sessions++;
	G.cnt.sessions_open++;
	reply(s, "220 %s %s vigil-smtpd ready", s->cf->hostname,
	    s->cf->lmtp ? "LMTP" : "ESMTP");
	while (!s->quit && !s->ioerr) {
		if ((r = get_line(s, line, sizeof(line), &n)) == -1)
			break;
		if (r == 0) {
			reply(s, "500 5.5.2 line too long");
			s->errors++;
		} else
			command(s, line, n);
		if (s->errors >= MAX_ERRORS) {
			reply(s, "421 4.7.0 too many errors, closing");
			break;
		}
		if (s->pos == s->len || memchr(s->buf + s->pos, '\n',
		    s->len - s->pos) == NULL)
			flush(s);
	}
	flush(s);
	txn_reset(&s->t);
	free(s->t.rc);
	ctx_fini(&s->ctx);
	strbuf_fini(&s->reply);
	conf_put(s->cf);
	G.cnt.sessions_open--;
	free(s);
}
