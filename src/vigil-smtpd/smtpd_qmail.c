/*
 * smtpd_qmail.c - vigil-smtpd as a qmail-queue replacement (mail guide
 * 4.4.2)
 *
 * qmail's programs run qmail-queue with the message on fd 0 and the
 * envelope on fd 1: "F" sender NUL, then "T" recipient NUL for each, then
 * one more NUL.  vigil-smtpd reads both, spools the message (qmail mail
 * has LF line ends: they become CRLF in the spool, and back to LF on the
 * way out), processes it like any other and hands each group's copy to
 * the original qmail-queue (ForwardMailer=qmail:(PATH)).  The exit code
 * is qmail-queue's: 0 queued, 31 refused for good, 71 try again later,
 * 54 the message or envelope could not be read, 91 bad envelope.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "smtpd.h"

#define ENV_MAX		(1024 * 1024)

/* clean - an envelope address without control bytes (they would end up
 * in the report file and in the next MTA's commands) */
static int
clean(const char *a)
{
	for (; *a != '\0'; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			return 0;
	return 1;
}
#define CHUNK		(64 * 1024)

/* read_all - fd to EOF into sb; -1 on error or when over cap */
static int
read_all(int fd, struct strbuf *sb)
{
	char	 buf[CHUNK];
	ssize_t	 r;

	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (strbuf_append(sb, buf, (size_t)r) == -1)
			return -1;
	}
}

/* spool_crlf - the message from fd 0 into the spool, LF -> CRLF */
static int
spool_crlf(int spool, uint64_t max, uint64_t *size)
{
	char		 in[CHUNK];
	struct strbuf	 out;
	ssize_t		 r, i;
	int		 prev_cr = 0, rc = 0;

	strbuf_init(&out, SB_MAX);
	*size = 0;
	for (;;) {
		r = read(0, in, sizeof(in));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		for (i = 0; i < r; i++) {
			if (in[i] == '\n' && !prev_cr)
				(void)strbuf_addc(&out, '\r');
			(void)strbuf_addc(&out, in[i]);
			prev_cr = in[i] == '\r';
		}
		*size += out.len;
		if (max > 0 && *size > max) {
			rc = -2;
			break;
		}
		if (fd_write_all(spool, out.data, out.len) == -1) {
			rc = -1;
			break;
		}
		strbuf_reset(&out);
	}
	strbuf_fini(&out);
	return rc;
}

/* qmail_run - one message; the qmail-queue exit code */
int
qmail_run(void)
{
	struct smtpd_conf	*cf = conf_get();
	struct sess_ctx		 ctx;
	struct txn		 t;
	struct strbuf		 env;
	size_t			 i, n;
	int			 rc, code = 0;
	char			*p, *end;

	memset(&ctx, 0, sizeof(ctx));
	memset(&t, 0, sizeof(t));
	t.spool = -1;
	t.single = 1;
	snprintf(ctx.client, sizeof(ctx.client), "qmail");
	snprintf(t.qid, sizeof(t.qid), "q%ld", (long)getpid());
	if (cf->fwd.kind != FWD_QMAIL)
		log_warnx("qmail mode with ForwardMailer that is not "
		    "qmail:(PATH): delivering over %s",
		    cf->fwd.kind == FWD_LMTP ? "LMTP" : "SMTP");
	if ((t.spool = spool_open(cf->spool_dir)) == -1) {
		log_warn("spool %s", cf->spool_dir);
		code = 53;
		goto out;
	}
	if ((rc = spool_crlf(t.spool, cf->max_size, &t.size)) != 0) {
		code = rc == -2 ? 31 : 54;
		if (rc == -2)
			log_warnx("message larger than MaxMessageSize");
		goto out;
	}
	strbuf_init(&env, ENV_MAX);
	if (read_all(1, &env) == -1 || env.len < 2 || env.data[0] != 'F') {
		code = env.len == 0 ? 54 : 91;	/* before fini zeroes len */
		strbuf_fini(&env);
		goto out;
	}
	p = env.data + 1;
	end = env.data + env.len;
	if ((n = strnlen(p, (size_t)(end - p))) == (size_t)(end - p)) {
		strbuf_fini(&env);
		code = 91;
		goto out;
	}
	if (!clean(p)) {
		strbuf_fini(&env);
		code = 91;
		goto out;
	}
	if ((t.sender = strdup(p)) == NULL)
		code = 51;
	p += n + 1;
	while (code == 0 && p < end && *p == 'T') {
		p++;
		if ((n = strnlen(p, (size_t)(end - p))) == (size_t)(end - p))
			break;
		if (!clean(p)) {
			code = 91;
			break;
		}
		if (txn_add_rcpt(&t, p, "") == -1) {
			code = 51;
			break;
		}
		p += n + 1;
	}
	/* the closing NUL, looked at while env still holds it */
	if (code == 0 && (t.nrc == 0 || p >= end || *p != '\0'))
		code = 91;
	strbuf_fini(&env);
	if (code != 0)
		goto out;
	G.cnt.messages++;
	G.cnt.recipients += t.nrc;
	proc_message(cf, &ctx, &t);
	for (i = 0; i < t.nrc; i++) {
		if (t.rc[i].code >= 500) {
			code = 31;
			break;
		}
		if (t.rc[i].code >= 400 || t.rc[i].code < 200)
			code = 71;	/* no outcome is no delivery */
	}
	if (code != 0)
		log_warnx("%s: %d %s", t.qid, t.rc[i < t.nrc ? i : 0].code,
		    t.rc[i < t.nrc ? i : 0].text);
out:
	txn_reset(&t);
	free(t.rc);
	ctx_fini(&ctx);
	conf_put(cf);
	return code;
}
