/*
 * fuzz_smtp_cmd.c - SMTP command lines, replies, EHLO capabilities and
 * XFORWARD filtering
 *
 * The input, in an exact-size heap copy, is parsed as one command line:
 * the result must be 0 or a code the contract names, with a "5.x.x" text
 * on failure, every field a string inside its array, and an accepted MAIL
 * or RCPT rebuilt as "VERB FROM:<addr> params" must parse to the same
 * address and parameters.  Then its '\n'-separated lines are fed as
 * replies (a new reply after each complete or malformed one), each
 * complete reply's capabilities parsed, and its first line is used as an
 * XFORWARD allowed list over the rest: every attribute kept must be one
 * of the input's, allowed, and the count must match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_proto.h"

/* fz_str - s is a NUL-terminated string inside its n-byte array */
static void
fz_str(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		abort();
}

/* fz_fields - every string field of cmd */
static void
fz_fields(const struct smtp_cmd *cmd)
{
	fz_str(cmd->arg, sizeof(cmd->arg));
	fz_str(cmd->addr, sizeof(cmd->addr));
	fz_str(cmd->params, sizeof(cmd->params));
	fz_str(cmd->ret, sizeof(cmd->ret));
	fz_str(cmd->envid, sizeof(cmd->envid));
	fz_str(cmd->notify, sizeof(cmd->notify));
	fz_str(cmd->orcpt, sizeof(cmd->orcpt));
	if (cmd->verb < SV_UNKNOWN || cmd->verb > SV_EXPN ||
	    cmd->body < SB_NONE || cmd->body > SB_BINARYMIME ||
	    cmd->size < -1)
		abort();
}

/* fz_cmd - parse b as a command line and check the contract */
static void
fz_cmd(const char *b, size_t len)
{
	static struct smtp_cmd	 cmd, again;
	static char		 line[SMTP_LINE_MAX * 2];
	char			 err[128];
	int			 rc, n;

	rc = smtp_cmd_parse(b, len, &cmd, err, sizeof(err));
	fz_fields(&cmd);
	fz_str(err, sizeof(err));
	if (rc != 0) {
		if ((rc != 500 && rc != 501 && rc != 555) ||
		    strncmp(err, "5.", 2) != 0 ||
		    (rc != 500 && cmd.verb == SV_UNKNOWN))
			abort();
		return;
	}
	if (err[0] != '\0' || cmd.verb == SV_UNKNOWN)
		abort();
	if (cmd.verb != SV_MAIL && cmd.verb != SV_RCPT)
		return;
	if (cmd.verb == SV_RCPT && cmd.addr[0] == '\0')
		abort();
	n = snprintf(line, sizeof(line), "%s:<%s>%s%s", cmd.verb == SV_MAIL ?
	    "MAIL FROM" : "RCPT TO", cmd.addr, cmd.params[0] ? " " : "",
	    cmd.params);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort();
	if (smtp_cmd_parse(line, (size_t)n, &again, err, sizeof(err)) != 0 ||
	    strcmp(again.addr, cmd.addr) != 0 ||
	    strcmp(again.params, cmd.params) != 0 || again.size != cmd.size ||
	    again.body != cmd.body || strcmp(again.notify, cmd.notify) != 0 ||
	    strcmp(again.orcpt, cmd.orcpt) != 0 ||
	    strcmp(again.envid, cmd.envid) != 0)
		abort();
}

/* fz_caps - capabilities of a complete reply */
static void
fz_caps(const struct smtp_reply *r)
{
	struct smtp_caps	 c;

	smtp_caps_parse(r, &c);
	fz_str(c.xforward, sizeof(c.xforward));
	if (c.size < 0 || c.ext > 0x1ff || (r->code != 250 && c.ext != 0) ||
	    (c.xforward[0] != '\0' && !(c.ext & SMTP_EXT_XFORWARD)))
		abort();
}

/* fz_replies - every line of b fed as reply lines */
static void
fz_replies(const char *b, size_t len)
{
	struct smtp_reply	 r;
	const char		*p = b, *end = b + len, *nl;
	int			 rc;

	smtp_reply_init(&r);
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rc = smtp_reply_line(&r, p, (size_t)(nl - p));
		if (rc < -1 || rc > 1 || r.textlen >= sizeof(r.text) ||
		    r.text[r.textlen] != '\0' || r.nlines > 101 ||
		    (rc == -1) != (r.code == 0) ||
		    (rc != -1 && (r.code < 200 || r.code > 599)))
			abort();
		if (rc == 1)
			fz_caps(&r);
		if (rc != 0)
			smtp_reply_init(&r);
		p = nl + (nl < end);
	}
}

/* fz_attr_in - token [t, t + n) occurs as a blank-delimited word in s */
static int
fz_attr_in(const char *s, const char *t, size_t n)
{
	const char	*p = s;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (strncmp(p, t, n) == 0 && (p[n] == '\0' || p[n] == ' ' ||
		    p[n] == '\t'))
			return 1;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
}

/* fz_xforward - first line: allowed names; the rest: attributes */
static void
fz_xforward(const char *b, size_t len)
{
	char		*s, *attrs, out[96], *t, *e;
	size_t		 outlen = 1 + len % sizeof(out);
	int		 n, count = 0;

	if ((s = malloc(len + 1)) == NULL)
		return;
	memcpy(s, b, len);
	s[len] = '\0';
	if ((attrs = strchr(s, '\n')) != NULL)
		*attrs++ = '\0';
	else
		attrs = s;
	n = smtp_xforward_filter(attrs, s, out, outlen);
	if (strlen(out) >= outlen || n < 0)
		abort();
	for (t = out; *t != '\0'; t = e + (*e == ' ')) {
		e = t + strcspn(t, " ");
		if (e == t || memchr(t, '=', (size_t)(e - t)) == NULL ||
		    !fz_attr_in(attrs, t, (size_t)(e - t)))
			abort();
		count++;
	}
	if (count != n)
		abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*b;

	if ((b = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(b, data, size);
	fz_cmd(b, size);
	fz_replies(b, size);
	fz_xforward(b, size);
	free(b);
	return 0;
}
