/*
 * icap_multipart.c - split a multipart body into parts and read each
 * part's head (field name, file name, media type, transfer encoding)
 *
 * DESIGN
 * Delimiters are line-anchored, so the body is walked from line start to
 * line start with memchr(3) and "--" boundary is compared only there; a
 * hit counts as a delimiter only when its line holds nothing but optional
 * blanks after it (or it is the close delimiter "--b--"), which is what
 * keeps a boundary string inside file content from splitting it.  Each
 * byte is looked at a bounded number of times (a line start costs at most
 * the boundary length plus the blanks after it), so the split is O(len).
 * Between two delimiters lies a part: its head runs to the first empty
 * line (at most MP_HEAD_MAX bytes and MP_HEAD_LINES lines, checked before
 * anything is read past them), the rest up to the line end before the
 * next delimiter is its content.  Head lines are unfolded into one logical header in a
 * stack buffer the size of the head limit; only Content-Disposition,
 * Content-Type and Content-Transfer-Encoding are read (the first of each),
 * by one parameter parser shared with mp_boundary().  Nothing allocates;
 * results are offsets into the body and copied, truncated strings.
 *
 * Hand-written: the MIME libraries at hand (gmime, mimetic) parse whole
 * messages into allocated trees and do not expose the limits we need on
 * untrusted uploads; libvigil's mail parser (lib/engine/mime.c) is
 * internal to the engine (programs see only include/vigil) and walks a
 * whole RFC 5322 message, whereas here the Content-Type comes from an
 * HTTP head and only offsets and form fields are wanted.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "hexdigit.h"
#include "icap_multipart.h"

struct mp_head {		/* what a part's head said so far */
	int		 cd, ct, cte;	/* header seen */
	int		 fnstar;	/* filename*= decoded into the part */
	int		 fnplain;	/* filename= seen */
	char		 fn[sizeof(((struct mp_part *)0)->filename)];
	char		 ctname[sizeof(((struct mp_part *)0)->filename)];
};

/* mp_ws - a blank: SP or HT */
static int
mp_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* mp_tchar - a token character (RFC 9110) */
static int
mp_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* mp_bchar - a boundary character (RFC 2046 bchars) */
static int
mp_bchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("'()+_,-./:=? ", c) != NULL);
}

/* mp_eq - [p, p + n) is lit, ignoring case */
static int
mp_eq(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(p, lit, n) == 0;
}

/* mp_skipws - p after any blanks before e */
static const char *
mp_skipws(const char *p, const char *e)
{
	while (p < e && mp_ws((unsigned char)*p))
		p++;
	return p;
}

/* mp_token - the end of the token at p (p itself when there is none) */
static const char *
mp_token(const char *p, const char *e)
{
	while (p < e && mp_tchar((unsigned char)*p))
		p++;
	return p;
}

/* mp_put - store c at val[*n] if there is room; count it anyway */
static void
mp_put(char *val, size_t vcap, size_t *n, char c)
{
	if (*n + 1 < vcap)
		val[*n] = c;
	(*n)++;
}

/*
 * mp_value - a parameter value at *pp: a quoted-string (unescaped; an
 * unterminated one runs to e) or anything up to ';' with trailing blanks
 * cut.  Copied NUL-terminated into val, truncated to vcap - 1 bytes;
 * returns the full length.  *pp ends after the value.
 */
static size_t
mp_value(const char **pp, const char *e, char *val, size_t vcap)
{
	const char	*p = *pp, *last;
	size_t		 n = 0;

	if (p < e && *p == '"') {
		for (p++; p < e && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < e)
				p++;
			mp_put(val, vcap, &n, *p);
		}
		if (p < e)
			p++;
	} else {
		for (last = p; p < e && *p != ';'; p++)
			if (!mp_ws((unsigned char)*p))
				last = p + 1;
		while (*pp < last)
			mp_put(val, vcap, &n, *(*pp)++);
	}
	if (vcap > 0)
		val[n < vcap ? n : vcap - 1] = '\0';
	*pp = p;
	return n;
}

/*
 * mp_param - the next "; name=value" at *pp before e: 1 with name, nlen,
 * the value in val (see mp_value) and its full length in *vlen; 0 at the
 * end; -1 on something that is not a parameter.  Empty parameters (";;")
 * are skipped; a name without '=' has an empty value.
 */
static int
mp_param(const char **pp, const char *e, const char **name, size_t *nlen,
    char *val, size_t vcap, size_t *vlen)
{
	const char	*p = *pp;

	for (;;) {
		p = mp_skipws(p, e);
		if (p == e)
			return 0;
		if (*p != ';')
			return -1;
		p = mp_skipws(p + 1, e);
		if (p < e && *p != ';')
			break;
	}
	*name = p;
	p = mp_token(p, e);
	if ((*nlen = (size_t)(p - *name)) == 0)
		return -1;
	p = mp_skipws(p, e);
	*vlen = 0;
	if (vcap > 0)
		val[0] = '\0';
	if (p < e && *p == '=') {
		p = mp_skipws(p + 1, e);
		*vlen = mp_value(&p, e, val, vcap);
		/* junk after a quoted-string: skip to the next ';' */
		while (p < e && *p != ';')
			p++;
	}
	*pp = p;
	return 1;
}

/* mp_mediatype - "type/subtype" at *pp, or NULL; *pp after it */
static const char *
mp_mediatype(const char **pp, const char *e, size_t *n)
{
	const char	*t, *p;

	t = mp_skipws(*pp, e);
	p = mp_token(t, e);
	if (p == t || p == e || *p != '/')
		return NULL;
	p = mp_token(p + 1, e);
	if (p[-1] == '/' || (p < e && *p != ';' && !mp_ws((unsigned char)*p)))
		return NULL;
	*n = (size_t)(p - t);
	*pp = p;
	return t;
}

/* mp_boundary - the boundary of a multipart Content-Type (see header) */
int
mp_boundary(const char *ctype, size_t len, char *out, size_t outlen)
{
	const char	*p = ctype, *e = ctype + len, *t, *name;
	char		 val[MP_BOUNDARY_MAX + 2];
	size_t		 tn, nlen, vlen, i;
	int		 found = 0;

	if ((t = mp_mediatype(&p, e, &tn)) == NULL || tn < 10 ||
	    strncasecmp(t, "multipart/", 10) != 0)
		return -1;
	while (mp_param(&p, e, &name, &nlen, val, sizeof(val), &vlen) == 1) {
		if (!mp_eq(name, nlen, "boundary"))
			continue;
		if (found++ || vlen == 0 || vlen > MP_BOUNDARY_MAX ||
		    vlen >= outlen || val[vlen - 1] == ' ')
			return -1;
		for (i = 0; i < vlen; i++)
			if (!mp_bchar((unsigned char)val[i]))
				return -1;
		memcpy(out, val, vlen + 1);
	}
	return found ? 0 : -1;
}

/* mp_copy - NUL-terminated copy of s into dst, truncated to fit */
static void
mp_copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * mp_ext - decode an RFC 5987 ext-value "charset'lang'pct-encoded" of n
 * bytes into dst (bytes kept raw whatever the charset); -1 if malformed
 */
static int
mp_ext(char *dst, size_t cap, const char *v, size_t n)
{
	const char	*p, *e = v + n;
	size_t		 k = 0;
	int		 hi, lo;

	if ((p = memchr(v, '\'', n)) == NULL || p == v ||
	    (p = memchr(p + 1, '\'', (size_t)(e - p - 1))) == NULL)
		return -1;
	for (p++; p < e; p++) {
		if (*p == '%') {
			if (e - p < 3 ||
			    (hi = hex_digit((unsigned char)p[1])) < 0 ||
			    (lo = hex_digit((unsigned char)p[2])) < 0)
				return -1;
			mp_put(dst, cap, &k, (char)(hi << 4 | lo));
			p += 2;
		} else
			mp_put(dst, cap, &k, *p);
	}
	dst[k < cap ? k : cap - 1] = '\0';
	return 0;
}

/* mp_disposition - Content-Disposition: name, filename, filename* */
static void
mp_disposition(const char *p, const char *e, struct mp_part *pt,
    struct mp_head *h)
{
	const char	*name;
	char		 val[MP_HEAD_MAX + 1];
	size_t		 nlen, vlen;
	int		 seen_name = 0;

	while (p < e && *p != ';')	/* form-data, attachment, ... */
		p++;
	while (mp_param(&p, e, &name, &nlen, val, sizeof(val), &vlen) == 1) {
		vlen = vlen < sizeof(val) ? vlen : sizeof(val) - 1;
		if (mp_eq(name, nlen, "name") && !seen_name++)
			mp_copy(pt->name, sizeof(pt->name), val, vlen);
		else if (mp_eq(name, nlen, "filename*") && !h->fnstar)
			h->fnstar = mp_ext(pt->filename, sizeof(pt->filename),
			    val, vlen) == 0;
		else if (mp_eq(name, nlen, "filename") && !h->fnplain++)
			mp_copy(h->fn, sizeof(h->fn), val, vlen);
	}
}

/* mp_ctype - Content-Type: the media type, lowercased, and name= */
static void
mp_ctype(const char *p, const char *e, struct mp_part *pt, struct mp_head *h)
{
	const char	*t, *name;
	char		 val[MP_HEAD_MAX + 1];
	size_t		 n, i, nlen, vlen;

	if ((t = mp_mediatype(&p, e, &n)) == NULL)
		return;
	if (n < sizeof(pt->type)) {
		for (i = 0; i < n; i++)
			pt->type[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ?
			    t[i] - 'A' + 'a' : t[i]);
		pt->type[n] = '\0';
	}
	while (mp_param(&p, e, &name, &nlen, val, sizeof(val), &vlen) == 1)
		if (mp_eq(name, nlen, "name") && h->ctname[0] == '\0') {
			vlen = vlen < sizeof(val) ? vlen : sizeof(val) - 1;
			mp_copy(h->ctname, sizeof(h->ctname), val, vlen);
		}
}

/* mp_header - one unfolded header line of a part head */
static void
mp_header(const char *l, size_t n, struct mp_part *pt, struct mp_head *h)
{
	const char	*e = l + n, *c, *ne, *v, *ve;

	if ((c = memchr(l, ':', n)) == NULL)
		return;
	for (ne = c; ne > l && mp_ws((unsigned char)ne[-1]); ne--)
		;
	v = mp_skipws(c + 1, e);
	for (ve = e; ve > v && mp_ws((unsigned char)ve[-1]); ve--)
		;
	if (mp_eq(l, (size_t)(ne - l), "content-disposition") && !h->cd++)
		mp_disposition(v, ve, pt, h);
	else if (mp_eq(l, (size_t)(ne - l), "content-type") && !h->ct++)
		mp_ctype(v, ve, pt, h);
	else if (mp_eq(l, (size_t)(ne - l), "content-transfer-encoding") &&
	    !h->cte++) {
		if (mp_eq(v, (size_t)(ve - v), "base64"))
			pt->enc = MP_B64;
		else if (mp_eq(v, (size_t)(ve - v), "quoted-printable"))
			pt->enc = MP_QP;
	}
}

/*
 * mp_head - read the part in body[start, end): its head, then the content
 * after the empty line (none: the part is all head).  -1 when the head is
 * over the limits.
 */
static int
mp_head(const char *body, size_t start, size_t end, struct mp_part *pt)
{
	struct mp_head	 h;
	char		 line[MP_HEAD_MAX];
	const char	*q;
	size_t		 p = start, hend, le, n, ll = 0, lines = 0;

	memset(pt, 0, sizeof(*pt));
	memset(&h, 0, sizeof(h));
	hend = end - start > MP_HEAD_MAX ? start + MP_HEAD_MAX : end;
	pt->off = end;
	while (p < end) {
		if ((q = memchr(body + p, '\n', hend - p)) == NULL) {
			if (hend < end)
				return -1;	/* no line end within the limit */
			le = end;
		} else
			le = (size_t)(q - body);
		n = le - p - (le > p && body[le - 1] == '\r');
		if (n == 0 && q != NULL) {	/* the empty line */
			pt->off = le + 1;
			break;
		}
		if (++lines > MP_HEAD_LINES)
			return -1;
		if (!mp_ws((unsigned char)body[p]) || ll == 0) {
			if (ll > 0)
				mp_header(line, ll, pt, &h);
			ll = 0;
		}
		memcpy(line + ll, body + p, n);	/* n + ll <= MP_HEAD_MAX */
		ll += n;
		p = le + 1;
	}
	if (ll > 0)
		mp_header(line, ll, pt, &h);
	pt->len = end - pt->off;
	if (!h.fnstar)		/* filename*= wins, then filename=, then name= */
		memcpy(pt->filename, h.fnplain ? h.fn : h.ctname,
		    sizeof(pt->filename));
	return 0;
}

/*
 * mp_delim - does the needle found at d (nl bytes) make a delimiter?  0 no,
 * 1 a delimiter with *next after its line, 2 the close delimiter
 */
static int
mp_delim(const char *b, size_t len, size_t d, size_t nl, size_t *next)
{
	size_t	 i = d + nl;

	if (d > 0 && b[d - 1] != '\n')
		return 0;
	if (len - i >= 2 && b[i] == '-' && b[i + 1] == '-')
		return 2;
	while (i < len && mp_ws((unsigned char)b[i]))
		i++;
	if (i < len && b[i] == '\r')
		i++;
	if (i < len && b[i] == '\n')
		i++;
	else if (i < len)
		return 0;
	*next = i;
	return 1;
}

/*
 * mp_find - the next delimiter at or after from, which is 0 or just after
 * an LF or a line start is searched first: its kind (0: none)
 */
static int
mp_find(const char *b, size_t len, size_t from, const char *needle,
    size_t nl, size_t *at, size_t *next)
{
	const char	*q;
	int		 k;

	while (from < len) {
		if ((from == 0 || b[from - 1] == '\n') && len - from >= nl &&
		    memcmp(b + from, needle, nl) == 0 &&
		    (k = mp_delim(b, len, from, nl, next)) != 0) {
			*at = from;
			return k;
		}
		if ((q = memchr(b + from, '\n', len - from)) == NULL)
			break;
		from = (size_t)(q - b) + 1;
	}
	return 0;
}

/* mp_parts - split a multipart body (see header) */
int
mp_parts(const char *body, size_t len, const char *boundary,
    struct mp_part *out, size_t max, int *complete)
{
	struct mp_part	 pt;
	char		 needle[2 + MP_BOUNDARY_MAX];
	size_t		 bl, nl, d = 0, next = 0, start, end;
	int		 k, n = 0;

	if (complete != NULL)
		*complete = 0;
	bl = strnlen(boundary, MP_BOUNDARY_MAX + 1);
	if (bl == 0 || bl > MP_BOUNDARY_MAX)
		return -1;
	needle[0] = needle[1] = '-';
	memcpy(needle + 2, boundary, bl);
	nl = bl + 2;
	if ((k = mp_find(body, len, 0, needle, nl, &d, &next)) == 0)
		return -1;
	while (k == 1 && next < len && n < INT_MAX) {
		start = next;
		k = mp_find(body, len, start, needle, nl, &d, &next);
		end = len;
		if (k != 0) {	/* the line end before d is the delimiter's */
			end = d;
			if (end > start && body[end - 1] == '\n')
				end--;
			if (end > start && body[end - 1] == '\r')
				end--;
		}
		if (mp_head(body, start, end, &pt) == -1)
			return n > 0 ? n : -1;
		if ((size_t)n < max)
			out[n] = pt;
		n++;
	}
	if (complete != NULL)
		*complete = k == 2;
	return n;
}
