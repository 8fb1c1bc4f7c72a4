/*
 * smtp_proto.c - SMTP/LMTP wire pieces: the server's command parser, the
 * client's reply and EHLO parsers, XFORWARD filtering, and both ends of
 * DATA (unstuffing on receipt, stuffing on sending)
 *
 * DESIGN
 * Everything works on caller-supplied bytes and never reads past the
 * length it is given; no function here does I/O or allocates, except that
 * DATA appends to a caller's capped strbuf.
 *
 * Commands: the verb is looked up in a table that also says what may follow
 * it (nothing, an optional or required argument, a path, XFORWARD
 * attributes) and gives the 501 usage text.  MAIL and RCPT parameters are
 * a second table, one decoder per keyword; a bit per keyword catches
 * duplicates.  Replies carry fixed texts only, so nothing the client sent
 * is ever echoed back.  A command line holds no NUL, CR or LF (a trailing
 * CR excepted): such a line is refused rather than guessed at.
 *
 * DATA receiving is a small state machine (beginning of line, after a
 * leading '.', after ".\r", in a line, after a CR in a line) so that a
 * line end or the terminator can be cut anywhere by a read.  Inside a line
 * it scans with memchr() for the next LF and copies runs: input that is
 * already in its final form (CRLF lines, no leading dot) is appended in one
 * piece per call, and a run is only cut where a byte is dropped (a leading
 * '.') or added (the CR of a bare LF).  Flags are computed per line over
 * the same runs.  The state after a CR or ".\r" at the end of a chunk holds
 * back that CR until the next byte says whether it ends the line.  Work is
 * linear in the input; memory is the caller's strbuf, whose size is capped
 * by d->max (the message is cut at exactly max bytes, so the result does
 * not depend on how the input was split).  The machine stops right after
 * the terminator's LF.  A bare LF ends a line like CRLF (so "\n.\n" and
 * "\n.\r\n" terminate, as with Postfix and sendmail); a bare CR never
 * does, so "\r.\r\n" is message text.  The sender follows the same rule,
 * so what it sends reads back the same here.
 *
 * DATA sending doubles a '.' after every LF (and at the start when *bol),
 * again by runs between memchr() hits.
 *
 * Hand-written because no maintained C library offers a server-side SMTP
 * command parser or a resumable DATA decoder apart from its own I/O loop:
 * libesmtp is a client with its own sockets, and the parsers of Postfix
 * and OpenSMTPD live inside their daemons.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "hexdigit.h"
#include "smtp_proto.h"

#define SMTP_BLANK(c)	((c) == ' ' || (c) == '\t')
#define SMTP_TEXTLINE	998	/* RFC 5322 line limit without CRLF */
#define SMTP_REPLY_LINES 100

/* what may follow a verb */
enum { ARG_NONE, ARG_OPT, ARG_REQ, ARG_PATH, ARG_XFWD };

static const struct smtp_verbdef {
	const char	*name;
	enum smtp_verb	 verb;
	int		 arg;
	const char	*usage;		/* 501 text */
} smtp_verbs[] = {
	{ "HELO",	SV_HELO,	ARG_REQ,  "5.5.4 Syntax: HELO hostname" },
	{ "EHLO",	SV_EHLO,	ARG_REQ,  "5.5.4 Syntax: EHLO hostname" },
	{ "LHLO",	SV_LHLO,	ARG_REQ,  "5.5.4 Syntax: LHLO hostname" },
	{ "MAIL",	SV_MAIL,	ARG_PATH, "5.5.4 Syntax: MAIL FROM:<address>" },
	{ "RCPT",	SV_RCPT,	ARG_PATH, "5.5.4 Syntax: RCPT TO:<address>" },
	{ "DATA",	SV_DATA,	ARG_NONE, "5.5.4 Syntax: DATA" },
	{ "RSET",	SV_RSET,	ARG_NONE, "5.5.4 Syntax: RSET" },
	{ "NOOP",	SV_NOOP,	ARG_OPT,  "5.5.4 Syntax: NOOP" },
	{ "QUIT",	SV_QUIT,	ARG_NONE, "5.5.4 Syntax: QUIT" },
	{ "VRFY",	SV_VRFY,	ARG_REQ,  "5.5.4 Syntax: VRFY address" },
	{ "HELP",	SV_HELP,	ARG_OPT,  "5.5.4 Syntax: HELP [topic]" },
	{ "XFORWARD",	SV_XFORWARD,	ARG_XFWD,
	  "5.5.4 Syntax: XFORWARD attribute=value..." },
	{ "STARTTLS",	SV_STARTTLS,	ARG_NONE, "5.5.4 Syntax: STARTTLS" },
	{ "BDAT",	SV_BDAT,	ARG_REQ,  "5.5.4 Syntax: BDAT size [LAST]" },
	{ "AUTH",	SV_AUTH,	ARG_REQ,  "5.5.4 Syntax: AUTH mechanism" },
	{ "ETRN",	SV_ETRN,	ARG_REQ,  "5.5.4 Syntax: ETRN domain" },
	{ "EXPN",	SV_EXPN,	ARG_REQ,  "5.5.4 Syntax: EXPN list" },
};

/* the XFORWARD attributes vigil-smtpd announces and accepts */
static const char smtp_xfwd_names[] = "NAME ADDR PORT PROTO HELO IDENT SOURCE";

static int	smtp_p_size(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_body(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_utf8(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_ret(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_envid(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_notify(struct smtp_cmd *, const char *, size_t);
static int	smtp_p_orcpt(struct smtp_cmd *, const char *, size_t);

/* ESMTP parameters of MAIL and RCPT; the index is the duplicate bit */
static const struct smtp_paramdef {
	const char	*name;
	enum smtp_verb	 verb;
	int		(*decode)(struct smtp_cmd *, const char *, size_t);
	const char	*bad;		/* 555 text */
} smtp_params[] = {
	{ "SIZE",     SV_MAIL, smtp_p_size,   "5.5.4 Bad SIZE parameter" },
	{ "BODY",     SV_MAIL, smtp_p_body,   "5.5.4 Bad BODY parameter" },
	{ "SMTPUTF8", SV_MAIL, smtp_p_utf8,   "5.5.4 Bad SMTPUTF8 parameter" },
	{ "RET",      SV_MAIL, smtp_p_ret,    "5.5.4 Bad RET parameter" },
	{ "ENVID",    SV_MAIL, smtp_p_envid,  "5.5.4 Bad ENVID parameter" },
	{ "NOTIFY",   SV_RCPT, smtp_p_notify, "5.5.4 Bad NOTIFY parameter" },
	{ "ORCPT",    SV_RCPT, smtp_p_orcpt,  "5.5.4 Bad ORCPT parameter" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* smtp_upper - ASCII upper case, whatever the locale */
static int
smtp_upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* smtp_ieq - [s, s + n) is the upper-case word w, ignoring case */
static int
smtp_ieq(const char *s, size_t n, const char *w)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || smtp_upper((unsigned char)s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

/* smtp_inlist - [s, s + n) is one of the blank-separated words in list */
static int
smtp_inlist(const char *list, const char *s, size_t n)
{
	const char	*w;
	size_t		 i;

	while (*list != '\0') {
		while (SMTP_BLANK(*list))
			list++;
		for (w = list; *list != '\0' && !SMTP_BLANK(*list); list++)
			;
		if ((size_t)(list - w) != n || n == 0)
			continue;
		for (i = 0; i < n; i++)
			if (smtp_upper((unsigned char)w[i]) !=
			    smtp_upper((unsigned char)s[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* smtp_copy - [s, s + n) as a string into dst (size dstlen > n) */
static void
smtp_copy(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* smtp_err - put text in err when there is room; returns code */
static int
smtp_err(char *err, size_t errlen, int code, const char *text)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", text);
	return code;
}

/* smtp_cmd_reset - a command with nothing in it */
static void
smtp_cmd_reset(struct smtp_cmd *cmd)
{
	cmd->verb = SV_UNKNOWN;
	cmd->arg[0] = cmd->addr[0] = cmd->params[0] = '\0';
	cmd->size = -1;
	cmd->body = SB_NONE;
	cmd->smtputf8 = 0;
	cmd->ret[0] = cmd->envid[0] = '\0';
	cmd->notify[0] = cmd->orcpt[0] = '\0';
}

/* smtp_vchar - c may stand in an esmtp-value (RFC 5321 4.1.2, RFC 6531) */
static int
smtp_vchar(int c)
{
	return (c >= 33 && c <= 126 && c != '=') || c >= 0x80;
}

/* smtp_xtext - [s, s + n) is non-empty xtext (RFC 3461 section 4) */
static int
smtp_xtext(const char *s, size_t n)
{
	size_t	 i;
	int	 c;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			if (n - i < 3 ||
			    hex_digit((unsigned char)s[i + 1]) < 0 ||
			    hex_digit((unsigned char)s[i + 2]) < 0)
				return 0;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

/* smtp_p_size - SIZE=digits; a huge value saturates (the session says 552) */
static int
smtp_p_size(struct smtp_cmd *cmd, const char *v, size_t n)
{
	int64_t	 x = 0;
	size_t	 i;

	if (v == NULL || n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (x > (INT64_MAX - 9) / 10)
			x = INT64_MAX;
		else
			x = x * 10 + (v[i] - '0');
	}
	cmd->size = x;
	return 0;
}

/* smtp_p_body - BODY=7BIT|8BITMIME|BINARYMIME */
static int
smtp_p_body(struct smtp_cmd *cmd, const char *v, size_t n)
{
	if (v == NULL)
		return -1;
	if (smtp_ieq(v, n, "7BIT"))
		cmd->body = SB_7BIT;
	else if (smtp_ieq(v, n, "8BITMIME"))
		cmd->body = SB_8BITMIME;
	else if (smtp_ieq(v, n, "BINARYMIME"))
		cmd->body = SB_BINARYMIME;
	else
		return -1;
	return 0;
}

/* smtp_p_utf8 - SMTPUTF8, without a value */
static int
smtp_p_utf8(struct smtp_cmd *cmd, const char *v, size_t n)
{
	(void)n;
	if (v != NULL)
		return -1;
	cmd->smtputf8 = 1;
	return 0;
}

/* smtp_p_ret - RET=FULL|HDRS, kept upper-cased */
static int
smtp_p_ret(struct smtp_cmd *cmd, const char *v, size_t n)
{
	if (v != NULL && smtp_ieq(v, n, "FULL"))
		snprintf(cmd->ret, sizeof(cmd->ret), "FULL");
	else if (v != NULL && smtp_ieq(v, n, "HDRS"))
		snprintf(cmd->ret, sizeof(cmd->ret), "HDRS");
	else
		return -1;
	return 0;
}

/* smtp_p_envid - ENVID=xtext, at most 100 characters (RFC 3461 4.4) */
static int
smtp_p_envid(struct smtp_cmd *cmd, const char *v, size_t n)
{
	if (v == NULL || n >= sizeof(cmd->envid) || !smtp_xtext(v, n))
		return -1;
	smtp_copy(cmd->envid, v, n);
	return 0;
}

/* smtp_p_notify - NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY */
static int
smtp_p_notify(struct smtp_cmd *cmd, const char *v, size_t n)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	size_t		 i, w, k, o = 0;
	unsigned	 seen = 0;

	if (v == NULL)
		return -1;
	if (smtp_ieq(v, n, "NEVER")) {
		snprintf(cmd->notify, sizeof(cmd->notify), "NEVER");
		return 0;
	}
	cmd->notify[0] = '\0';
	for (i = 0; i <= n; i = k + 1) {
		for (k = i; k < n && v[k] != ',';)
			k++;
		for (w = 0; w < NELEM(words); w++)
			if (smtp_ieq(v + i, k - i, words[w]))
				break;
		if (w == NELEM(words) || (seen & 1u << w) != 0)
			return -1;
		seen |= 1u << w;
		o += (size_t)snprintf(cmd->notify + o, sizeof(cmd->notify) - o,
		    "%s%s", o > 0 ? "," : "", words[w]);
	}
	return 0;
}

/* smtp_p_orcpt - ORCPT=addr-type;xtext, kept as sent */
static int
smtp_p_orcpt(struct smtp_cmd *cmd, const char *v, size_t n)
{
	const char	*semi;
	size_t		 i;

	if (v == NULL || n >= sizeof(cmd->orcpt) ||
	    (semi = memchr(v, ';', n)) == NULL || semi == v ||
	    semi + 1 == v + n)
		return -1;
	for (i = 0; v + i < semi; i++)
		if (!(smtp_upper((unsigned char)v[i]) >= 'A' &&
		    smtp_upper((unsigned char)v[i]) <= 'Z') &&
		    !(v[i] >= '0' && v[i] <= '9') && v[i] != '-')
			return -1;
	smtp_copy(cmd->orcpt, v, n);
	return 0;
}

/* smtp_param_find - the definition of keyword [k, k + n) for verb */
static const struct smtp_paramdef *
smtp_param_find(enum smtp_verb verb, const char *k, size_t n, unsigned *bit)
{
	size_t	 i;

	for (i = 0; i < NELEM(smtp_params); i++)
		if (smtp_params[i].verb == verb &&
		    smtp_ieq(k, n, smtp_params[i].name)) {
			*bit = 1u << i;
			return &smtp_params[i];
		}
	return NULL;
}

/* smtp_param_syntax - keyword[=value] is well formed (RFC 5321 4.1.2) */
static int
smtp_param_syntax(const char *k, size_t klen, const char *v, size_t vlen)
{
	size_t	 i;
	int	 c;

	if (klen == 0 || (v != NULL && vlen == 0))
		return 0;
	for (i = 0; i < klen; i++) {
		c = smtp_upper((unsigned char)k[i]);
		if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    (c != '-' || i == 0))
			return 0;
	}
	for (i = 0; i < vlen; i++)
		if (!smtp_vchar((unsigned char)v[i]))
			return 0;
	return 1;
}

/* smtp_parse_params - ESMTP parameters in [p, end); 0 or 555 */
static int
smtp_parse_params(struct smtp_cmd *cmd, const char *p, const char *end,
    char *err, size_t errlen)
{
	const struct smtp_paramdef	*pd;
	const char			*tok, *eq, *v;
	size_t				 klen, vlen, olen = 0;
	unsigned			 seen = 0, bit = 0;
	char				 why[64];

	for (;;) {
		while (p < end && SMTP_BLANK(*p))
			p++;
		if (p == end)
			return 0;
		for (tok = p; p < end && !SMTP_BLANK(*p); p++)
			;
		eq = memchr(tok, '=', (size_t)(p - tok));
		klen = (size_t)((eq != NULL ? eq : p) - tok);
		v = eq != NULL ? eq + 1 : NULL;
		vlen = v != NULL ? (size_t)(p - v) : 0;
		if (!smtp_param_syntax(tok, klen, v, vlen))
			return smtp_err(err, errlen, 555,
			    "5.5.4 Bad parameter syntax");
		if ((pd = smtp_param_find(cmd->verb, tok, klen, &bit)) == NULL)
			return smtp_err(err, errlen, 555,
			    "5.5.4 Unsupported parameter");
		if ((seen & bit) != 0) {
			snprintf(why, sizeof(why), "5.5.4 Duplicate %s "
			    "parameter", pd->name);
			return smtp_err(err, errlen, 555, why);
		}
		seen |= bit;
		if (pd->decode(cmd, v, vlen) == -1)
			return smtp_err(err, errlen, 555, pd->bad);
		if (olen + (olen > 0) + (size_t)(p - tok) > SMTP_PARAMS_MAX)
			return smtp_err(err, errlen, 555,
			    "5.5.4 Too many parameters");
		if (olen > 0)
			cmd->params[olen++] = ' ';
		smtp_copy(cmd->params + olen, tok, (size_t)(p - tok));
		olen += (size_t)(p - tok);
	}
}

/* smtp_path_end - end of the <path> starting at p ('>'), or NULL */
static const char *
smtp_path_end(const char *p, const char *end)
{
	int	 quoted = 0, c;

	for (p++; p < end; p++) {
		c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return NULL;
		if (quoted && c == '\\') {
			if (++p == end || (unsigned char)*p < 0x20)
				return NULL;
		} else if (c == '"')
			quoted = !quoted;
		else if (!quoted && (c == '>'))
			return p;
		else if (!quoted && (SMTP_BLANK(c) || c == '<'))
			return NULL;
	}
	return NULL;
}

/*
 * smtp_mailbox - [s, e) is local-part, or local-part@domain with both
 * non-empty and no second '@' outside quotes
 */
static int
smtp_mailbox(const char *s, const char *e)
{
	const char	*at = NULL, *p;
	int		 quoted = 0;

	for (p = s; p < e; p++) {
		if (quoted && *p == '\\')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '@') {
			if (at != NULL)
				return 0;
			at = p;
		}
	}
	return at == NULL || (at > s && at + 1 < e);
}

/* smtp_parse_path - MAIL/RCPT path at [p, end) into cmd->addr; 0 or 501 */
static int
smtp_parse_path(struct smtp_cmd *cmd, const char **pp, const char *end,
    char *err, size_t errlen)
{
	const char	*p = *pp, *s, *e, *colon;
	const char	*bad = cmd->verb == SV_MAIL ?
	    "5.1.7 Bad sender address syntax" :
	    "5.1.3 Bad recipient address syntax";

	if (*p == '<') {
		if ((e = smtp_path_end(p, end)) == NULL)
			return smtp_err(err, errlen, 501, bad);
		s = p + 1;
		*pp = e + 1;
		if (*pp < end && !SMTP_BLANK(**pp))
			return smtp_err(err, errlen, 501, bad);
	} else {
		/* a bare address, as some MTAs send it */
		for (s = e = p; e < end && !SMTP_BLANK(*e); e++)
			if (*e == '<' || *e == '>' || *e == '"' ||
			    (unsigned char)*e < 0x20 || *e == 0x7f)
				return smtp_err(err, errlen, 501, bad);
		*pp = e;
	}
	if (s < e && *s == '@') {
		/* source route "@a,@b:" (RFC 5321 C): dropped */
		if ((colon = memchr(s, ':', (size_t)(e - s))) == NULL ||
		    colon + 1 == e)
			return smtp_err(err, errlen, 501, bad);
		for (p = s; p < colon; p++)
			if ((*p == '@' && (p + 1 == colon || p[1] == ',')) ||
			    (*p == ',' && p[1] != '@') || *p == '"')
				return smtp_err(err, errlen, 501, bad);
		s = colon + 1;
	}
	if (s == e && cmd->verb != SV_MAIL)
		return smtp_err(err, errlen, 501, bad);
	if (!smtp_mailbox(s, e))
		return smtp_err(err, errlen, 501, bad);
	if ((size_t)(e - s) > SMTP_ADDR_MAX)
		return smtp_err(err, errlen, 501, cmd->verb == SV_MAIL ?
		    "5.1.7 Sender address too long" :
		    "5.1.3 Recipient address too long");
	smtp_copy(cmd->addr, s, (size_t)(e - s));
	return 0;
}

/* smtp_parse_mailrcpt - "FROM:<path> params" or "TO:<path> params" */
static int
smtp_parse_mailrcpt(struct smtp_cmd *cmd, const struct smtp_verbdef *vd,
    const char *p, const char *end, char *err, size_t errlen)
{
	const char	*kw = cmd->verb == SV_MAIL ? "FROM:" : "TO:";
	size_t		 kwlen = strlen(kw);
	int		 rc;

	if ((size_t)(end - p) < kwlen || !smtp_ieq(p, kwlen, kw))
		return smtp_err(err, errlen, 501, vd->usage);
	p += kwlen;
	while (p < end && SMTP_BLANK(*p))
		p++;
	if (p == end)
		return smtp_err(err, errlen, 501, vd->usage);
	if ((rc = smtp_parse_path(cmd, &p, end, err, errlen)) != 0)
		return rc;
	return smtp_parse_params(cmd, p, end, err, errlen);
}

/* smtp_parse_xforward - attribute=value ... with known names; 0 or 501 */
static int
smtp_parse_xforward(const char *p, const char *end)
{
	const char	*tok, *eq;

	while (p < end) {
		for (tok = p; p < end && !SMTP_BLANK(*p); p++)
			;
		if ((eq = memchr(tok, '=', (size_t)(p - tok))) == NULL ||
		    !smtp_inlist(smtp_xfwd_names, tok, (size_t)(eq - tok)))
			return -1;
		while (p < end && SMTP_BLANK(*p))
			p++;
	}
	return 0;
}

/* smtp_verb_find - the table entry for verb [s, s + n), or NULL */
static const struct smtp_verbdef *
smtp_verb_find(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < NELEM(smtp_verbs); i++)
		if (smtp_ieq(s, n, smtp_verbs[i].name))
			return &smtp_verbs[i];
	return NULL;
}

/* smtp_cmd_parse - parse one command line (contract in smtp_proto.h) */
int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
    char *err, size_t errlen)
{
	const struct smtp_verbdef	*vd;
	const char			*p, *a, *end;

	smtp_cmd_reset(cmd);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (line == NULL) {
		line = "";
		len = 0;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	end = line + len;
	for (p = line; p < end && !SMTP_BLANK(*p); p++)
		;
	if ((vd = smtp_verb_find(line, (size_t)(p - line))) != NULL)
		cmd->verb = vd->verb;
	if (len > SMTP_LINE_MAX)
		return smtp_err(err, errlen, 500, "5.5.2 Line too long");
	if (vd == NULL)
		return smtp_err(err, errlen, 500,
		    "5.5.2 Syntax error, command unrecognized");
	if (memchr(line, '\0', len) != NULL ||
	    memchr(line, '\r', len) != NULL ||
	    memchr(line, '\n', len) != NULL)
		return smtp_err(err, errlen, 501,
		    "5.5.2 Syntax error, NUL, CR or LF in command");
	for (a = p; a < end && SMTP_BLANK(*a); a++)
		;
	while (end > a && SMTP_BLANK(end[-1]))
		end--;
	switch (vd->arg) {
	case ARG_NONE:
		if (a < end)
			return smtp_err(err, errlen, 501, vd->usage);
		return 0;
	case ARG_PATH:
		return smtp_parse_mailrcpt(cmd, vd, a, end, err, errlen);
	case ARG_XFWD:
		if (a == end || smtp_parse_xforward(a, end) == -1)
			return smtp_err(err, errlen, 501, vd->usage);
		break;
	case ARG_REQ:
		if (a == end)
			return smtp_err(err, errlen, 501, vd->usage);
		break;
	}
	smtp_copy(cmd->arg, a, (size_t)(end - a));
	return 0;
}

/* smtp_reply_init - an empty reply */
void
smtp_reply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->textlen = 0;
	r->text[0] = '\0';
}

/* smtp_reply_text - add a line's text, cut at sizeof(text) - 1 */
static void
smtp_reply_text(struct smtp_reply *r, const char *s, size_t n)
{
	size_t	 room = sizeof(r->text) - 1 - r->textlen;

	if (r->nlines > 1 && room > 0) {
		r->text[r->textlen++] = '\n';
		room--;
	}
	if (n > room)
		n = room;
	memcpy(r->text + r->textlen, s, n);
	r->textlen += n;
	r->text[r->textlen] = '\0';
}

/* smtp_reply_line - one reply line (contract in smtp_proto.h) */
int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len)
{
	int	 code, last;

	if (r->nlines > 0 && r->code == 0)
		return -1;		/* already malformed */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9')
		goto bad;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	if (len == 3 || line[3] == ' ')
		last = 1;
	else if (line[3] == '-')
		last = 0;
	else
		goto bad;
	if ((r->nlines > 0 && code != r->code) ||
	    r->nlines >= SMTP_REPLY_LINES)
		goto bad;
	r->code = code;
	r->nlines++;
	smtp_reply_text(r, line + (len > 3 ? 4 : 3), len > 3 ? len - 4 : 0);
	return last;
bad:
	r->code = 0;
	r->nlines++;
	return -1;
}

static const struct {
	const char	*name;
	unsigned	 bit;
} smtp_exts[] = {
	{ "PIPELINING",		 SMTP_EXT_PIPELINING },
	{ "SIZE",		 SMTP_EXT_SIZE },
	{ "8BITMIME",		 SMTP_EXT_8BITMIME },
	{ "DSN",		 SMTP_EXT_DSN },
	{ "XFORWARD",		 SMTP_EXT_XFORWARD },
	{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCED },
	{ "SMTPUTF8",		 SMTP_EXT_SMTPUTF8 },
	{ "CHUNKING",		 SMTP_EXT_CHUNKING },
	{ "BINARYMIME",		 SMTP_EXT_BINARYMIME },
};

/* smtp_caps_size - the SIZE parameter; 0 when absent or not a number */
static int64_t
smtp_caps_size(const char *p, const char *end)
{
	int64_t	 x = 0;

	while (p < end && SMTP_BLANK(*p))
		p++;
	if (p == end)
		return 0;
	for (; p < end && !SMTP_BLANK(*p); p++) {
		if (*p < '0' || *p > '9')
			return 0;
		x = x > (INT64_MAX - 9) / 10 ? INT64_MAX : x * 10 + *p - '0';
	}
	return x;
}

/* smtp_caps_xfwd - append the XFORWARD names, cut on a name boundary */
static void
smtp_caps_xfwd(struct smtp_caps *c, const char *p, const char *end)
{
	const char	*w;
	size_t		 len = strlen(c->xforward), n;

	for (;;) {
		while (p < end && SMTP_BLANK(*p))
			p++;
		if (p == end)
			return;
		for (w = p; p < end && !SMTP_BLANK(*p); p++)
			;
		n = (size_t)(p - w);
		if (len + (len > 0) + n >= sizeof(c->xforward))
			return;
		if (len > 0)
			c->xforward[len++] = ' ';
		smtp_copy(c->xforward + len, w, n);
		len += n;
	}
}

/* smtp_caps_line - one EHLO keyword line in [p, end) */
static void
smtp_caps_line(struct smtp_caps *c, const char *p, const char *end)
{
	const char	*k;
	size_t		 i;

	while (p < end && SMTP_BLANK(*p))
		p++;
	for (k = p; p < end && !SMTP_BLANK(*p); p++)
		;
	for (i = 0; i < NELEM(smtp_exts); i++)
		if (smtp_ieq(k, (size_t)(p - k), smtp_exts[i].name))
			break;
	if (i == NELEM(smtp_exts))
		return;
	c->ext |= smtp_exts[i].bit;
	if (smtp_exts[i].bit == SMTP_EXT_SIZE)
		c->size = smtp_caps_size(p, end);
	else if (smtp_exts[i].bit == SMTP_EXT_XFORWARD)
		smtp_caps_xfwd(c, p, end);
}

/* smtp_caps_parse - capabilities of a 250 EHLO/LHLO reply */
void
smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *c)
{
	const char	*p, *end, *nl;
	size_t		 n = r->textlen;

	memset(c, 0, sizeof(*c));
	if (r->code != 250)
		return;
	if (n > sizeof(r->text) - 1)
		n = sizeof(r->text) - 1;
	end = r->text + n;
	if ((p = memchr(r->text, '\n', n)) == NULL)
		return;			/* the greeting only */
	for (p++; p <= end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		smtp_caps_line(c, p, nl);
	}
}

/* smtp_xforward_filter - keep the allowed attributes (smtp_proto.h) */
int
smtp_xforward_filter(const char *attrs, const char *allowed, char *out,
    size_t outlen)
{
	const char	*tok, *eq;
	size_t		 olen = 0, n;
	int		 kept = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	if (attrs == NULL)
		attrs = "";
	if (allowed == NULL)
		allowed = "";
	for (;;) {
		while (SMTP_BLANK(*attrs))
			attrs++;
		if (*attrs == '\0')
			break;
		for (tok = attrs; *attrs != '\0' && !SMTP_BLANK(*attrs);
		    attrs++)
			;
		n = (size_t)(attrs - tok);
		if ((eq = memchr(tok, '=', n)) == NULL ||
		    !smtp_inlist(allowed, tok, (size_t)(eq - tok)))
			continue;
		if (olen + (olen > 0) + n > outlen - 1)
			break;
		if (olen > 0)
			out[olen++] = ' ';
		smtp_copy(out + olen, tok, n);
		olen += n;
		kept++;
	}
	return kept;
}

/*
 * DATA receiving.  States; the CR of DS_CR and DS_DOTCR is held back
 * (not in the output yet).
 */
enum {
	DS_BOL = 0,	/* at the beginning of a line */
	DS_DOT,		/* a leading '.' dropped */
	DS_DOTCR,	/* ".\r" at the beginning of a line */
	DS_MID,		/* inside a line */
	DS_CR,		/* inside a line, after a CR */
	DS_DONE
};

/* smtp_data_init - ready to receive a message of at most max bytes */
void
smtp_data_init(struct smtp_data *d, uint64_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
	d->state = DS_BOL;
}

/* smtp_data_emit - n message bytes: count them, append up to d->max */
static int
smtp_data_emit(struct smtp_data *d, struct strbuf *out, const void *p,
    size_t n)
{
	uint64_t	 k = n;

	if (n == 0)
		return 0;
	if (!d->too_big) {
		if (d->max != 0 && n > d->max - d->size) {
			k = d->max - d->size;
			d->too_big = 1;
		}
		if (k > 0 && strbuf_append(out, p, (size_t)k) == -1)
			return -1;
	}
	d->size += n;
	return 0;
}

/* smtp_data_scan - flags for line content [p, p + n) */
static void
smtp_data_scan(struct smtp_data *d, const uint8_t *p, size_t n)
{
	size_t	 i;

	d->linelen += n;
	if (d->linelen > SMTP_TEXTLINE)
		d->long_line = 1;
	if (!d->has_nul && memchr(p, '\0', n) != NULL)
		d->has_nul = 1;
	if (d->hdr_end == 0 && !d->hdr_8bit)
		for (i = 0; i < n; i++)
			if (p[i] >= 0x80) {
				d->hdr_8bit = 1;
				break;
			}
}

/*
 * smtp_data_eol - a line ended; its CRLF is in the output or in the run
 * [*run, p) not yet appended
 */
static int
smtp_data_eol(struct smtp_data *d, struct strbuf *out, const uint8_t **run,
    const uint8_t *p)
{
	if (d->linelen == 0 && d->hdr_end == 0) {
		if (smtp_data_emit(d, out, *run, (size_t)(p - *run)) == -1)
			return -1;
		*run = p;
		d->hdr_end = d->size;
	}
	d->linelen = 0;
	d->state = DS_BOL;
	return 0;
}

/* smtp_data_mid - the rest of a line from p; returns the next p or NULL */
static const uint8_t *
smtp_data_mid(struct smtp_data *d, struct strbuf *out, const uint8_t **run,
    const uint8_t *p, const uint8_t *end)
{
	const uint8_t	*nl, *q;

	if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
		q = end;
		if (q[-1] == '\r') {
			q--;		/* held back: it may start CRLF */
			d->state = DS_CR;
		}
		smtp_data_scan(d, p, (size_t)(q - p));
		if (smtp_data_emit(d, out, *run, (size_t)(q - *run)) == -1)
			return NULL;
		*run = end;
		return end;
	}
	if (nl > p && nl[-1] == '\r')
		smtp_data_scan(d, p, (size_t)(nl - 1 - p));
	else {
		/* bare LF: the run stops before it, CRLF goes out instead */
		smtp_data_scan(d, p, (size_t)(nl - p));
		if (smtp_data_emit(d, out, *run, (size_t)(nl - *run)) == -1 ||
		    smtp_data_emit(d, out, "\r\n", 2) == -1)
			return NULL;
		*run = nl + 1;
	}
	if (smtp_data_eol(d, out, run, nl + 1) == -1)
		return NULL;
	return nl + 1;
}

/* smtp_data_feed - receive DATA bytes (contract in smtp_proto.h) */
long
smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t len,
    struct strbuf *out, int *done)
{
	const uint8_t	*p = in, *end, *run = in;

	*done = d->state == DS_DONE;
	if (*done || len == 0)
		return 0;
	if (len > LONG_MAX)
		len = LONG_MAX;		/* XXX the rest is fed again */
	end = in + len;
	while (p < end) {
		switch (d->state) {
		case DS_BOL:
			d->state = DS_MID;
			if (*p != '.')
				break;
			if (smtp_data_emit(d, out, run,
			    (size_t)(p - run)) == -1)
				return -1;
			run = ++p;
			d->state = DS_DOT;
			break;
		case DS_DOT:
			if (*p == '\n')
				goto done;
			d->state = DS_MID;
			if (*p == '\r') {
				run = ++p;
				d->state = DS_DOTCR;
			}
			break;
		case DS_DOTCR:
		case DS_CR:
			if (*p == '\n' && d->state == DS_DOTCR)
				goto done;
			if (*p == '\n') {
				if (smtp_data_emit(d, out, "\r\n", 2) == -1)
					return -1;
				run = ++p;
				if (smtp_data_eol(d, out, &run, p) == -1)
					return -1;
				break;
			}
			/* a bare CR: message content */
			smtp_data_scan(d, (const uint8_t *)"\r", 1);
			if (smtp_data_emit(d, out, "\r", 1) == -1)
				return -1;
			d->state = DS_MID;
			break;
		default:	/* DS_MID */
			if ((p = smtp_data_mid(d, out, &run, p, end)) == NULL)
				return -1;
			break;
		}
	}
	if (smtp_data_emit(d, out, run, (size_t)(end - run)) == -1)
		return -1;
	return (long)len;
done:
	/* everything before the '.' is out; the "." line is not message */
	d->state = DS_DONE;
	*done = 1;
	return (long)(p + 1 - in);
}

/* smtp_stuff - append in with leading dots doubled (smtp_proto.h) */
int
smtp_stuff(const uint8_t *in, size_t len, int *bol, struct strbuf *out)
{
	const uint8_t	*p = in, *end = in + len, *run = in, *nl;

	if (len == 0)
		return 0;
	if (*bol && *p == '.' && strbuf_append(out, ".", 1) == -1)
		return -1;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = nl + 1;
		if (p < end && *p == '.') {
			if (strbuf_append(out, run, (size_t)(p - run)) == -1 ||
			    strbuf_append(out, ".", 1) == -1)
				return -1;
			run = p;
		}
	}
	if (strbuf_append(out, run, (size_t)(end - run)) == -1)
		return -1;
	*bol = end[-1] == '\n';
	return 0;
}

/* smtp_stuff_end - end the DATA: CRLF when needed, then "." CRLF */
int
smtp_stuff_end(int bol, struct strbuf *out)
{
	if (!bol && strbuf_append(out, "\r\n", 2) == -1)
		return -1;
	return strbuf_append(out, ".\r\n", 3);
}
