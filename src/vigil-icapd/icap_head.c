/*
 * icap_head.c - ICAP request heads and the HTTP heads they encapsulate
 *
 * DESIGN: both parsers walk the buffer one line at a time with hd_next(),
 * which owns the line rules written once: a line ends at LF with one
 * optional CR before it, and is at most ICAP_MAXLINE bytes; the search
 * for its end never looks further than that, so the work per call is
 * bounded by ICAP_MAXHEAD whatever the input.  The first line is the
 * start line, every other non-empty line is a header parsed by
 * hd_field() into an icap_field that points into the caller's buffer;
 * the first empty line ends the head.  icap_req_parse() checks each line
 * as soon as it is complete, so a caller reading from a socket can call
 * it again with more bytes (it returns 0 for "not yet") and learns about
 * garbage as early as possible; the checks that need the whole head
 * (Encapsulated against the method) run at the empty line.  The ICAP
 * headers the server acts on (Encapsulated, Preview, Allow, Connection)
 * are interpreted by a table of handlers while the head is read; the
 * HTTP facts (Content-Length, Transfer-Encoding, Content-Encoding,
 * Content-Type) are derived from the stored fields afterwards.  Nothing
 * allocates; errors are a status and a short reason with a line number.
 *
 * Hand-written: ICAP has no maintained parsing library we could embed,
 * and general HTTP parsers (llhttp, picohttpparser) neither know ICAP's
 * request line and Encapsulated header nor give us the exact limits and
 * statuses an ICAP server must answer with.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "icap_head.h"

#define HD_OFFDIGITS	9	/* Encapsulated offsets: < 10^9 */
#define HD_NUMDIGITS	18	/* Preview, Content-Length: fit int64_t */

/* the bits of enum icap_part */
#define P(x)		(1u << (x))
#define P_BODIES	(P(ICAP_REQ_BODY) | P(ICAP_RES_BODY) | \
			 P(ICAP_NULL_BODY) | P(ICAP_OPT_BODY))

struct hd_scan {
	const char	*buf;
	size_t		 len;		/* bytes we may look at */
	size_t		 off;		/* start of the next line */
	size_t		 lineno;	/* of the last line returned */
};

struct hd_list {			/* a comma-separated header value */
	const char	*p, *e;
	int		 done;
};

typedef const char *icap_header_fn(struct icap_req *,
	    const struct icap_field *);

static icap_header_fn	icap_encap, icap_preview, icap_allow;
static icap_header_fn	icap_connection;

static const struct icap_known {
	const char	*name;
	icap_header_fn	*fn;
} icap_known[] = {
	{ "Encapsulated",	icap_encap },
	{ "Preview",		icap_preview },
	{ "Allow",		icap_allow },
	{ "Connection",		icap_connection },
};

static const struct {
	const char		*name;
	enum icap_method	 method;
} icap_methods[] = {
	{ "OPTIONS",	ICAP_OPTIONS },
	{ "REQMOD",	ICAP_REQMOD },
	{ "RESPMOD",	ICAP_RESPMOD },
};

static const struct {
	const char	*name;
	enum icap_part	 part;
} icap_parts[] = {
	{ "req-hdr",	ICAP_REQ_HDR },
	{ "res-hdr",	ICAP_RES_HDR },
	{ "req-body",	ICAP_REQ_BODY },
	{ "res-body",	ICAP_RES_BODY },
	{ "null-body",	ICAP_NULL_BODY },
	{ "opt-body",	ICAP_OPT_BODY },
};

/* which parts each method may carry and must carry, by enum icap_method */
static const struct {
	const char	*name;
	unsigned	 allowed, required;
} icap_rules[] = {
	[ICAP_OPTIONS] = { "OPTIONS", P(ICAP_OPT_BODY) | P(ICAP_NULL_BODY), 0 },
	[ICAP_REQMOD] = { "REQMOD", P(ICAP_REQ_HDR) | P(ICAP_REQ_BODY) |
	    P(ICAP_NULL_BODY), P(ICAP_REQ_HDR) },
	[ICAP_RESPMOD] = { "RESPMOD", P(ICAP_REQ_HDR) | P(ICAP_RES_HDR) |
	    P(ICAP_RES_BODY) | P(ICAP_NULL_BODY), 0 },
};

/* hd_err - set a reason into err[128] */
static void __attribute__((format(printf, 2, 3)))
hd_err(char *err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, 128, fmt, ap);
	va_end(ap);
}

/* hd_tchar - c may appear in a token (RFC 9110 tchar) */
static int
hd_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* hd_token - [p, p + n) is a non-empty token */
static int
hd_token(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!hd_tchar((unsigned char)p[i]))
			return 0;
	return n > 0;
}

/* hd_is - [p, p + n) equals the NUL-terminated s, ignoring case */
static int
hd_is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* hd_num - [p, p + n) is 1..maxdig decimal digits; its value in *v */
static int
hd_num(const char *p, size_t n, size_t maxdig, int64_t *v)
{
	size_t	 i;

	if (n == 0 || n > maxdig)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* hd_next - the next line without its end: 1; 0 when incomplete; -1 too long */
static int
hd_next(struct hd_scan *s, const char **p, size_t *n)
{
	const char	*lf;
	size_t		 left = s->len - s->off, look;

	/* a line of ICAP_MAXLINE bytes, its CR and its LF: no further */
	look = left < ICAP_MAXLINE + 2 ? left : ICAP_MAXLINE + 2;
	if (look == 0)
		return 0;
	if ((lf = memchr(s->buf + s->off, '\n', look)) == NULL) {
		if (look < ICAP_MAXLINE + 2)
			return 0;
		s->lineno++;
		return -1;
	}
	s->lineno++;
	*p = s->buf + s->off;
	*n = (size_t)(lf - *p);
	s->off += *n + 1;
	if (*n > 0 && (*p)[*n - 1] == '\r')
		(*n)--;
	return *n > ICAP_MAXLINE ? -1 : 1;
}

/* hd_field - the header line [p, p + n) into f: NULL, or why not */
static const char *
hd_field(const char *p, size_t n, struct icap_field *f)
{
	size_t		 i, b, e, colon;
	unsigned char	 c;

	if (p[0] == ' ' || p[0] == '\t')
		return "folded header line";
	if (memchr(p, ':', n) == NULL)
		return "header without ':'";
	for (i = 0; hd_tchar((unsigned char)p[i]); i++)
		continue;
	if (p[i] != ':')
		return "bad character in header name";
	if (i == 0)
		return "empty header name";
	colon = i;
	for (b = i + 1; b < n && (p[b] == ' ' || p[b] == '\t'); b++)
		continue;
	for (e = n; e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'); e--)
		continue;
	for (i = b; i < e; i++) {
		c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character in header value";
	}
	f->name = p;
	f->nlen = colon;
	f->value = p + b;
	f->vlen = e - b;
	return NULL;
}

/* hd_list_next - the next element of l, trimmed, maybe empty; 0 at the end */
static int
hd_list_next(struct hd_list *l, const char **t, size_t *n)
{
	const char	*c, *b, *x;

	if (l->done)
		return 0;
	c = memchr(l->p, ',', (size_t)(l->e - l->p));
	x = c != NULL ? c : l->e;
	for (b = l->p; b < x && (*b == ' ' || *b == '\t'); b++)
		continue;
	while (x > b && (x[-1] == ' ' || x[-1] == '\t'))
		x--;
	*t = b;
	*n = (size_t)(x - b);
	if (c == NULL)
		l->done = 1;
	else
		l->p = c + 1;
	return 1;
}

/* hd_list - a list over a field's value */
static struct hd_list
hd_list(const struct icap_field *f)
{
	return (struct hd_list){ f->value, f->value + f->vlen, 0 };
}

/* hd_version - [p, p + n) is HTTP/1.x; x in *minor */
static int
hd_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
		return 0;
	*minor = p[7] - '0';
	return 1;
}

/* hd_enc_part - the part named [p, p + n), or 0 */
static enum icap_part
hd_enc_part(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < sizeof(icap_parts) / sizeof(icap_parts[0]); i++)
		if (hd_is(p, n, icap_parts[i].name))
			return icap_parts[i].part;
	return 0;
}

/* icap_encap_entry - one "part=offset" entry appended to r->enc */
static const char *
icap_encap_entry(struct icap_req *r, const char *t, size_t n, unsigned *seen)
{
	const char	*eq;
	enum icap_part	 part;
	int64_t		 off;

	if (n == 0)
		return "empty Encapsulated entry";
	if ((eq = memchr(t, '=', n)) == NULL)
		return "Encapsulated entry without '='";
	if ((part = hd_enc_part(t, (size_t)(eq - t))) == 0)
		return "unknown Encapsulated entry";
	if (hd_num(eq + 1, n - (size_t)(eq + 1 - t), HD_OFFDIGITS, &off) == -1)
		return "bad Encapsulated offset";
	if (*seen & P(part))
		return "duplicate Encapsulated entry";
	if (*seen & P_BODIES)
		return "Encapsulated body entry not last";
	if (part == ICAP_REQ_HDR && (*seen & P(ICAP_RES_HDR)))
		return "Encapsulated req-hdr after res-hdr";
	if (r->nenc == 0 ? off != 0 : (size_t)off <= r->enc[r->nenc - 1].off)
		return "Encapsulated offsets not increasing from 0";
	if (r->nenc == sizeof(r->enc) / sizeof(r->enc[0]))
		return "too many Encapsulated entries";
	*seen |= P(part);
	r->enc[r->nenc].part = part;
	r->enc[r->nenc].off = (size_t)off;
	r->nenc++;
	return NULL;
}

/* icap_encap - Encapsulated: the entries in order, syntax and order checked */
static const char *
icap_encap(struct icap_req *r, const struct icap_field *f)
{
	struct hd_list	 l = hd_list(f);
	const char	*t, *why;
	unsigned	 seen = 0;
	size_t		 n;

	if (r->nenc != 0)
		return "duplicate Encapsulated header";
	while (hd_list_next(&l, &t, &n))
		if ((why = icap_encap_entry(r, t, n, &seen)) != NULL)
			return why;
	return NULL;
}

/* icap_preview - Preview: a byte count */
static const char *
icap_preview(struct icap_req *r, const struct icap_field *f)
{
	if (r->preview != -1)
		return "duplicate Preview header";
	if (hd_num(f->value, f->vlen, HD_NUMDIGITS, &r->preview) == -1) {
		r->preview = -1;
		return "bad Preview";
	}
	return NULL;
}

/* icap_allow - Allow: 204 and 206 noted, the rest ignored */
static const char *
icap_allow(struct icap_req *r, const struct icap_field *f)
{
	struct hd_list	 l = hd_list(f);
	const char	*t;
	size_t		 n;

	while (hd_list_next(&l, &t, &n)) {
		if (hd_is(t, n, "204"))
			r->allow204 = 1;
		else if (hd_is(t, n, "206"))
			r->allow206 = 1;
	}
	return NULL;
}

/* icap_connection - Connection: close noted */
static const char *
icap_connection(struct icap_req *r, const struct icap_field *f)
{
	struct hd_list	 l = hd_list(f);
	const char	*t;
	size_t		 n;

	while (hd_list_next(&l, &t, &n))
		if (hd_is(t, n, "close"))
			r->close = 1;
	return NULL;
}

/* icap_uri - icap[s]://authority[/path][?query] into r: NULL, or why not */
static const char *
icap_uri(struct icap_req *r, const char *p, size_t n)
{
	size_t	 i, a;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return "bad character in URI";
	if (n >= 7 && strncasecmp(p, "icap://", 7) == 0)
		a = 7;
	else if (n >= 8 && strncasecmp(p, "icaps://", 8) == 0)
		a = 8;
	else
		return "URI is not icap://";
	for (i = a; i < n && p[i] != '/' && p[i] != '?'; i++)
		continue;
	if (i == a)
		return "URI without a host";
	r->uri = p;
	r->urilen = n;
	r->service = p + i;
	for (; i < n && p[i] != '?'; i++)
		continue;
	r->svclen = (size_t)(p + i - r->service);
	if (i < n) {
		r->query = p + i + 1;
		r->qlen = n - i - 1;
	}
	return NULL;
}

/* icap_reqline - "METHOD SP URI SP ICAP/1.0" into r: 0 or a negative status */
static int
icap_reqline(struct icap_req *r, const char *p, size_t n)
{
	const char	*sp1, *sp2, *why;
	size_t		 i, mlen, vlen;

	if ((sp1 = memchr(p, ' ', n)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p))) == NULL ||
	    memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - p)) != NULL ||
	    sp1 == p || sp2 == sp1 + 1 || sp2 + 1 == p + n) {
		hd_err(r->error, "line 1: bad request line");
		return -400;
	}
	mlen = (size_t)(sp1 - p);
	vlen = n - (size_t)(sp2 + 1 - p);
	if (vlen != 8 || memcmp(sp2 + 1, "ICAP/1.0", 8) != 0) {
		hd_err(r->error, "line 1: version not ICAP/1.0");
		return -505;
	}
	if (!hd_token(p, mlen)) {
		hd_err(r->error, "line 1: bad method");
		return -400;
	}
	for (i = 0; i < sizeof(icap_methods) / sizeof(icap_methods[0]); i++)
		if (strlen(icap_methods[i].name) == mlen &&
		    memcmp(p, icap_methods[i].name, mlen) == 0)
			r->method = icap_methods[i].method;
	if (r->method == 0) {
		hd_err(r->error, "line 1: method not implemented");
		return -501;
	}
	if ((why = icap_uri(r, sp1 + 1, (size_t)(sp2 - sp1 - 1))) != NULL) {
		hd_err(r->error, "line 1: %s", why);
		return -400;
	}
	return 0;
}

/* icap_header - one header line into r: NULL, or why not */
static const char *
icap_header(struct icap_req *r, const char *p, size_t n)
{
	struct icap_field	*f;
	const char		*why;
	size_t			 i;

	if (r->nf == ICAP_MAXHDRS)
		return "too many headers";
	f = &r->f[r->nf];
	if ((why = hd_field(p, n, f)) != NULL)
		return why;
	r->nf++;
	for (i = 0; i < sizeof(icap_known) / sizeof(icap_known[0]); i++)
		if (hd_is(f->name, f->nlen, icap_known[i].name))
			return icap_known[i].fn(r, f);
	return NULL;
}

/* icap_finish - the checks that need the whole head: NULL, or why not */
static const char *
icap_finish(struct icap_req *r)
{
	unsigned	 seen = 0, bad;
	size_t		 i;

	if (r->nenc == 0)
		return r->method == ICAP_OPTIONS ? NULL :
		    "no Encapsulated header";
	for (i = 0; i < r->nenc; i++)
		seen |= P(r->enc[i].part);
	if ((P(r->enc[r->nenc - 1].part) & P_BODIES) == 0)
		return "Encapsulated without a body entry";
	if ((bad = seen & ~icap_rules[r->method].allowed) != 0) {
		for (i = 0; (P(icap_parts[i].part) & bad) == 0; i++)
			continue;
		hd_err(r->error, "Encapsulated %s not allowed in %s",
		    icap_parts[i].name, icap_rules[r->method].name);
		return r->error;
	}
	if ((seen & icap_rules[r->method].required) !=
	    icap_rules[r->method].required)
		return "REQMOD without Encapsulated req-hdr";
	return NULL;
}

int
icap_req_parse(const char *buf, size_t len, struct icap_req *r)
{
	struct hd_scan	 s = { buf, len, 0, 0 };
	const char	*p, *why;
	size_t		 n;
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->preview = -1;
	if (s.len > ICAP_MAXHEAD)
		s.len = ICAP_MAXHEAD;
	while ((rc = hd_next(&s, &p, &n)) == 1) {
		if (s.lineno == 1) {
			if (n == 0) {
				hd_err(r->error, "line 1: empty request line");
				return -400;
			}
			if (memchr(p, '\r', n) != NULL) {
				hd_err(r->error, "line 1: bare CR");
				return -400;
			}
			if ((rc = icap_reqline(r, p, n)) != 0)
				return rc;
			continue;
		}
		if (n == 0) {
			if ((why = icap_finish(r)) != NULL) {
				if (why != r->error)
					hd_err(r->error, "%s", why);
				return -400;
			}
			return (int)s.off;
		}
		if ((why = icap_header(r, p, n)) != NULL) {
			hd_err(r->error, "line %zu: %s", s.lineno, why);
			return -400;
		}
	}
	if (rc == -1) {
		hd_err(r->error, "line %zu: line too long", s.lineno);
		return -400;
	}
	if (s.len == ICAP_MAXHEAD) {
		hd_err(r->error, "head longer than %d bytes", ICAP_MAXHEAD);
		return -400;
	}
	return 0;
}

const struct icap_field *
icap_field_get(const struct icap_field *f, size_t nf, const char *name)
{
	size_t	 i;

	for (i = 0; i < nf; i++)
		if (hd_is(f[i].name, f[i].nlen, name))
			return &f[i];
	return NULL;
}

/* http_startline - a request or status line into h: NULL, or why not */
static const char *
http_startline(struct http_head *h, const char *p, size_t n)
{
	const char	*sp1, *sp2;
	size_t		 i;
	unsigned char	 c;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		if (n < 12 || !hd_version(p, 8, &h->minor) || p[8] != ' ' ||
		    p[9] < '1' || p[9] > '9' || p[10] < '0' || p[10] > '9' ||
		    p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' '))
			return "bad status line";
		for (i = 13; i < n; i++) {
			c = (unsigned char)p[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return "control character in reason";
		}
		h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 +
		    (p[11] - '0');
		return NULL;
	}
	if ((sp1 = memchr(p, ' ', n)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p))) == NULL ||
	    !hd_token(p, (size_t)(sp1 - p)) || sp2 == sp1 + 1 ||
	    !hd_version(sp2 + 1, n - (size_t)(sp2 + 1 - p), &h->minor))
		return "bad request line";
	for (i = 1; sp1 + i < sp2; i++)
		if ((unsigned char)sp1[i] <= 0x20 || sp1[i] == 0x7f)
			return "bad character in request target";
	h->is_request = 1;
	h->method = p;
	h->mlen = (size_t)(sp1 - p);
	h->target = sp1 + 1;
	h->tlen = (size_t)(sp2 - sp1 - 1);
	return NULL;
}

/* http_clen - Content-Length: -1 absent, -2 invalid or conflicting */
static int64_t
http_clen(const struct http_head *h)
{
	struct hd_list	 l;
	const char	*t;
	int64_t		 v = -1, x;
	size_t		 i, n;

	for (i = 0; i < h->nf; i++) {
		if (!hd_is(h->f[i].name, h->f[i].nlen, "Content-Length"))
			continue;
		l = hd_list(&h->f[i]);
		while (hd_list_next(&l, &t, &n)) {
			if (hd_num(t, n, HD_NUMDIGITS, &x) == -1 ||
			    (v != -1 && x != v))
				return -2;
			v = x;
		}
	}
	return v;
}

/* http_chunked - the last transfer coding named is chunked */
static int
http_chunked(const struct http_head *h)
{
	struct hd_list	 l;
	const char	*t;
	size_t		 i, n;
	int		 chunked = 0;

	for (i = 0; i < h->nf; i++) {
		if (!hd_is(h->f[i].name, h->f[i].nlen, "Transfer-Encoding"))
			continue;
		l = hd_list(&h->f[i]);
		while (hd_list_next(&l, &t, &n))
			if (n > 0)
				chunked = hd_is(t, n, "chunked");
	}
	return chunked;
}

int
http_head_parse(const char *buf, size_t len, struct http_head *h)
{
	struct hd_scan	 s = { buf, len, 0, 0 };
	const char	*p, *why = NULL;
	size_t		 n;
	int		 rc;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	if (len > ICAP_MAXHEAD) {
		hd_err(h->error, "head longer than %d bytes", ICAP_MAXHEAD);
		return -1;
	}
	while ((rc = hd_next(&s, &p, &n)) == 1) {
		if (n == 0 && s.lineno == 1)
			why = "empty start line";
		else if (n == 0 && s.off != len)
			why = "bytes after the empty line";
		else if (n == 0)
			break;
		else if (memchr(p, '\r', n) != NULL)
			why = "bare CR";
		else if (s.lineno == 1)
			why = http_startline(h, p, n);
		else if (h->nf == ICAP_MAXHDRS)
			why = "too many headers";
		else if ((why = hd_field(p, n, &h->f[h->nf])) == NULL)
			h->nf++;
		if (why != NULL) {
			hd_err(h->error, "line %zu: %s", s.lineno, why);
			return -1;
		}
	}
	if (rc == -1) {
		hd_err(h->error, "line %zu: line too long", s.lineno);
		return -1;
	}
	if (rc == 0) {
		hd_err(h->error, "no empty line at the end");
		return -1;
	}
	h->content_length = http_clen(h);
	h->chunked = http_chunked(h);
	return 0;
}

unsigned
http_encodings(const struct http_head *h)
{
	struct hd_list	 l;
	const char	*t;
	unsigned	 enc = 0;
	size_t		 i, n;

	for (i = 0; i < h->nf; i++) {
		if (!hd_is(h->f[i].name, h->f[i].nlen, "Content-Encoding"))
			continue;
		l = hd_list(&h->f[i]);
		while (hd_list_next(&l, &t, &n)) {
			if (hd_is(t, n, "gzip") || hd_is(t, n, "x-gzip"))
				enc |= 1;
			else if (hd_is(t, n, "deflate"))
				enc |= 2;
			else if (n > 0 && !hd_is(t, n, "identity"))
				enc |= 8;
		}
	}
	return enc != 0 ? enc : 4;
}

void
http_media_type(const struct http_head *h, char *out, size_t outlen)
{
	const struct icap_field	*f;
	const char		*p, *e, *slash;
	size_t			 i, n;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if ((f = icap_field_get(h->f, h->nf, "Content-Type")) == NULL)
		return;
	p = f->value;
	if ((e = memchr(p, ';', f->vlen)) == NULL)
		e = p + f->vlen;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - p);
	if ((slash = memchr(p, '/', n)) == NULL ||
	    !hd_token(p, (size_t)(slash - p)) ||
	    !hd_token(slash + 1, (size_t)(e - slash - 1)) || n >= outlen)
		return;
	for (i = 0; i < n; i++)
		out[i] = (p[i] >= 'A' && p[i] <= 'Z') ?
		    (char)(p[i] - 'A' + 'a') : p[i];
	out[n] = '\0';
}
