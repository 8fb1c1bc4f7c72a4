/*
 * mime.c - mail parser: RFC 5322 messages, MIME parts, mbox, cure
 *
 * Finds the leaf parts of one message held in memory, decodes them and
 * hands them to the engine (mime_walk), rebuilds the message with some
 * leaves replaced by a notice (mime_rewrite), and splits an mbox
 * (mbox_walk).  See mime.h for the contracts.
 *
 * DESIGN: one iterator, walk_next(), yields the structural leaves in
 * document order; both mime_walk and mime_rewrite drive it through
 * walk_run(), so the two number parts identically.  The iterator keeps
 * an explicit stack of multipart frames (no recursion; the stack is
 * bounded by max_depth).  A part's extent is fixed by its parent's
 * boundaries before the part itself is looked at, so an inner multipart
 * whose closing boundary is missing still ends where its parent's next
 * boundary starts.  Boundary lines are found with memmem() on "\n--B"
 * and checked for the "--" / whitespace / line-end tail, so each nesting
 * level costs one linear pass over its own extent.  Header blocks are
 * read line by line; only Content-Type, Content-Transfer-Encoding and
 * Content-Disposition are kept, unfolded into fixed buffers of HDR_MAX
 * bytes (longer values are cut).  Nothing is parsed with str*() on the
 * caller's bytes: they may hold NULs and are not terminated.
 * Decoded bodies go into one buffer owned by the walker and reused, grown
 * to at most the largest part (and never past the decode budget); 7bit,
 * 8bit, binary and unknown bodies are handed over in place.  Text parts
 * are searched for uuencoded blocks after they have been delivered.
 * Memory: the walker (~30 KiB), the frame stack, two decode buffers.
 * Work: O(input x nesting depth) plus decoding.
 *
 * Tolerance: CRLF, LF and mixed line ends; header lines that are not
 * "Name: value" end the header block (the part is then marked corrupt and
 * its body starts at that line); a missing closing boundary marks the
 * message corrupt but delivers everything; RFC 2231 and RFC 2047 file
 * names are decoded to bytes best-effort, no charset conversion.
 *
 * Why hand-written: mail libraries packaged in Debian (gmime, mimetic,
 * Python's email) either build a full object tree with copies of every
 * part, recurse without a depth bound, or do not expose raw byte offsets,
 * which the cure needs to copy untouched parts byte for byte.  A scanner
 * also wants broken mail delivered rather than rejected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mime.h"

#define KIND_WINDOW	4096
#define HDR_MAX		8192	/* unfolded header value kept */
#define BND_MAX		200	/* RFC 2046 says 70; be lenient */
#define FNAME_MAX	1024
#define SECT_MAX	64	/* RFC 2231 continuation sections */
#define DEF_PARTS	10000
#define DEF_DEPTH	64
#define DEF_DECODED	((size_t)64 << 20)

/* A kept header field value, unfolded. */
struct hval {
	char	v[HDR_MAX];
	size_t	n;
	int	set;
};

/* What a header block says. */
struct hdr {
	struct hval	ct, cte, cd;
	size_t		body_off;
	int		corrupt;
};

/* File name sources of one header: plain value and RFC 2231 sections. */
struct fnsrc {
	const char	*plain;
	size_t		 plen;
	struct {
		const char	*v;
		size_t		 n;
		int		 enc, set;
	}		 s[SECT_MAX];
	int		 nsect;
};

/* The fields of a part the walk cares about. */
struct pinfo {
	char		ctype[64];
	enum mime_enc	enc;
	char		bnd[BND_MAX + 1];
	size_t		bndlen;
	char		fname[FNAME_MAX];
};

/* One multipart being walked. */
struct frame {
	char		needle[BND_MAX + 4];	/* "\n--" boundary */
	size_t		nlen;
	size_t		pos, end;	/* next part start, end of the body */
	unsigned	depth;		/* depth of its parts */
	int		digest, done;
};

enum rep { REP_PART, REP_TOP, REP_UUBLK };

/* A leaf plus what the cure needs to replace it. */
struct leaf {
	struct mime_part p;
	char		 fname[FNAME_MAX];
	enum rep	 rep;
	size_t		 rep_a, rep_b;	/* range replaced */
};

struct walker;
typedef int (*emit_fn)(struct walker *, struct leaf *, const uint8_t *,
    size_t);

struct walker {
	const uint8_t	*buf;
	size_t		 len;
	unsigned	 max_parts, max_depth;
	size_t		 max_decoded, decoded;
	struct frame	*st;
	unsigned	 nst, capst;
	int		 started, corrupt, limited;
	unsigned	 nparts;
	size_t		 top_hdr, top_body;
	struct hdr	 h;
	struct pinfo	 pi;
	struct leaf	 lf, ulf;
	uint8_t		*dbuf, *ubuf;
	size_t		 dcap, ucap;
	emit_fn		 emit;
	int		 alldata;
	/* mime_walk */
	int		(*cb)(const struct mime_part *, const uint8_t *,
			    size_t, void *);
	void		*arg;
	/* mime_rewrite */
	int		(*drop)(const struct mime_part *, void *);
	const char	*notice;
	const char	*eol;
	struct strbuf	*out;
	size_t		 copied;
	int		 nrep, err;
};

/* lc - ASCII lower case */
static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ieq - does the n bytes at s equal the lower-case literal lit, ignoring
 * case? */
static int
ieq(const void *s, size_t n, const char *lit)
{
	const uint8_t	*p = s;
	size_t		 i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (lc(p[i]) != lit[i])
			return 0;
	return i == n && lit[i] == '\0';
}

/* line_end - offset of the '\n' ending the line at p, or to */
static size_t
line_end(const uint8_t *buf, size_t p, size_t to)
{
	const uint8_t	*nl = memchr(buf + p, '\n', to - p);

	return nl == NULL ? to : (size_t)(nl - buf);
}

/* hdr_name - length of the field name if [p, e) is "Name:" (WSP before
 * the colon tolerated when loose), else 0; *colon gets the colon */
static size_t
hdr_name(const uint8_t *buf, size_t p, size_t e, int loose, size_t *colon)
{
	size_t	i = p, n;

	while (i < e && buf[i] > 32 && buf[i] < 127 && buf[i] != ':')
		i++;
	n = i - p;
	if (loose)
		while (i < e && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
	if (n == 0 || i >= e || buf[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* kind_known - is the field name one of the mail headers mime_kind wants? */
static int
kind_known(const uint8_t *s, size_t n)
{
	static const char *const	names[] = {
		"from", "to", "subject", "date", "received", "return-path",
		"message-id", "mime-version", "content-type", "delivered-to",
		"reply-to", "sender", "cc", "dkim-signature",
		"authentication-results", NULL
	};

	if ((n > 2 && ieq(s, 2, "x-")) || (n > 4 && ieq(s, 4, "arc-")))
		return 1;
	for (int i = 0; names[i] != NULL; i++)
		if (ieq(s, n, names[i]))
			return 1;
	return 0;
}

/* kind_headers - does b[p..n) start with a mail header block? */
static int
kind_headers(const uint8_t *b, size_t p, size_t n)
{
	size_t	e, le, nl, colon;
	int	fields = 0, known = 0;

	/*
	 * The whole block, up to its blank line (or the window's end), must
	 * be header fields: a changelog opening "version: 1" / "date: x"
	 * and then prose is not mail.
	 */
	while (p < n) {
		e = line_end(b, p, n);
		le = e > p && b[e - 1] == '\r' ? e - 1 : e;
		if (fields > 0 && (le == p || b[p] == ' ' || b[p] == '\t')) {
			if (le == p)
				break;		/* end of a header-only block */
			p = e + 1;		/* continuation line */
			continue;
		}
		if ((nl = hdr_name(b, p, le, 0, &colon)) == 0)
			return 0;
		if (++fields <= 2)	/* a mail header among the first two */
			known |= kind_known(b + p, nl);
		if (e >= n)
			break;
		p = e + 1;
	}
	return known;
}

/* mime_kind - see mime.h */
int
mime_kind(const uint8_t *buf, size_t len)
{
	size_t	n = len < KIND_WINDOW ? len : KIND_WINDOW, e;

	if (n >= 5 && memcmp(buf, "From ", 5) == 0) {
		e = line_end(buf, 0, n);
		return e < n && kind_headers(buf, e + 1, n) ? 2 : 0;
	}
	return n > 0 && kind_headers(buf, 0, n) ? 1 : 0;
}

/* hval_add - append [s, s + n) to a header value, cut at HDR_MAX */
static void
hval_add(struct hval *h, const uint8_t *s, size_t n)
{
	if (n > HDR_MAX - 1 - h->n)
		n = HDR_MAX - 1 - h->n;
	memcpy(h->v + h->n, s, n);
	h->n += n;
	h->v[h->n] = '\0';
}

/* hdr_pick - the kept value for a field name, or NULL */
static struct hval *
hdr_pick(struct hdr *h, const uint8_t *name, size_t n)
{
	struct hval	*v = NULL;

	if (ieq(name, n, "content-type"))
		v = &h->ct;
	else if (ieq(name, n, "content-transfer-encoding"))
		v = &h->cte;
	else if (ieq(name, n, "content-disposition"))
		v = &h->cd;
	if (v == NULL || v->set)
		return NULL;	/* the first one counts */
	v->set = 1;
	return v;
}

/* hdr_parse - read the header block in [from, to) */
static void
hdr_parse(const uint8_t *buf, size_t blen, size_t from, size_t to,
    struct hdr *h)
{
	struct hval	*cur = NULL;
	size_t		 p = from, e, le, nl, colon;

	h->ct.n = h->cte.n = h->cd.n = 0;
	h->ct.set = h->cte.set = h->cd.set = 0;
	h->corrupt = 0;
	while (p < to) {
		e = line_end(buf, p, to);
		le = e > p && buf[e - 1] == '\r' ? e - 1 : e;
		if (le == p) {
			h->body_off = e < to ? e + 1 : to;
			return;
		}
		if (buf[p] == ' ' || buf[p] == '\t') {
			if (cur != NULL)
				hval_add(cur, buf + p, le - p);
		} else if ((nl = hdr_name(buf, p, le, 1, &colon)) == 0) {
			h->body_off = p;	/* no separator line */
			h->corrupt = 1;
			return;
		} else if ((cur = hdr_pick(h, buf + p, nl)) != NULL)
			hval_add(cur, buf + colon + 1, le - colon - 1);
		p = e < to ? e + 1 : to;
	}
	/* no body (RFC 5322 allows it), or the last line end belongs to a
	 * boundary; only a field cut mid-line is truncated */
	h->body_off = to;
	if (to > from && buf[to - 1] != '\n' &&
	    !(to < blen && (buf[to] == '\r' || buf[to] == '\n')))
		h->corrupt = 1;
}

/* skip_ws - first index >= i in v[0..n) that is not WSP */
static size_t
skip_ws(const char *v, size_t n, size_t i)
{
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' ||
	    v[i] == '\n'))
		i++;
	return i;
}

/* param_next - the next "attr=value" after a ';' in v[*pos..n); a quoted
 * value is unescaped in place.  Returns 0 at the end. */
static int
param_next(char *v, size_t n, size_t *pos, size_t *a, size_t *alen,
    size_t *val, size_t *vlen)
{
	size_t	i = *pos, j, o;

	for (;;) {
		while (i < n && v[i] != ';')
			if (v[i++] == '"')	/* skip a stray quoted string */
				while (i < n && v[i++] != '"')
					;
		if (i >= n)
			return 0;
		i = skip_ws(v, n, i + 1);
		*a = i;
		while (i < n && v[i] != '=' && v[i] != ';' && v[i] != ' ' &&
		    v[i] != '\t')
			i++;
		*alen = i - *a;
		i = skip_ws(v, n, i);
		if (i < n && v[i] == '=' && *alen > 0)
			break;
	}
	i = skip_ws(v, n, i + 1);
	if (i < n && v[i] == '"') {
		for (j = i + 1, o = i; j < n && v[j] != '"'; v[o++] = v[j++])
			if (v[j] == '\\' && j + 1 < n)
				j++;
		*val = i;
		*vlen = o - i;
		*pos = j < n ? j + 1 : n;
		return 1;
	}
	for (j = i; j < n && v[j] != ';'; j++)
		;
	*val = i;
	for (o = j; o > i && (v[o - 1] == ' ' || v[o - 1] == '\t'); o--)
		;
	*vlen = o - i;
	*pos = j;
	return 1;
}

/* fn_param - note attr=value if it is base, base*, base*N or base*N* */
static void
fn_param(struct fnsrc *fs, const char *base, const char *attr, size_t alen,
    const char *val, size_t vlen)
{
	size_t	bl = strlen(base), i, k = 0;
	int	enc = 0, digits = 0;

	if (alen < bl || !ieq(attr, bl, base))
		return;
	if (alen == bl) {
		if (fs->plain == NULL) {
			fs->plain = val;
			fs->plen = vlen;
		}
		return;
	}
	if (attr[bl] != '*')
		return;
	for (i = bl + 1; i < alen && attr[i] >= '0' && attr[i] <= '9'; i++) {
		k = k * 10 + (size_t)(attr[i] - '0');
		if (++digits > 3)
			return;
	}
	if (i < alen && attr[i] == '*' && digits > 0)
		enc = 1, i++;
	else if (digits == 0)
		enc = 1;	/* "base*" */
	if (i != alen || k >= SECT_MAX || fs->s[k].set)
		return;
	fs->s[k].v = val;
	fs->s[k].n = vlen;
	fs->s[k].enc = enc;
	fs->s[k].set = 1;
	fs->nsect++;
}

/* put - append byte c to out[*o] if it fits */
static void
put(char *out, size_t *o, size_t cap, int c)
{
	if (*o < cap)
		out[(*o)++] = (char)c;
}

/* hexv - value of a hex digit, or -1 */
static int
hexv(int c)
{
	c = lc(c);
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* pct_decode - RFC 2231 %XX value, appended to out */
static void
pct_decode(const char *s, size_t n, char *out, size_t *o, size_t cap)
{
	int	h, l;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && (h = hexv(s[i + 1])) >= 0 &&
		    (l = hexv(s[i + 2])) >= 0) {
			put(out, o, cap, h << 4 | l);
			i += 2;
		} else
			put(out, o, cap, s[i]);
	}
}

/* ew_decode - one RFC 2047 encoded word at s (starting "=?"); returns
 * the bytes it spans, 0 if it is not one */
static size_t
ew_decode(const char *s, size_t n, char *out, size_t *o, size_t cap)
{
	size_t	i = 2, t, e;
	int	bad, h, l;
	char	mode;

	while (i < n && i < 80 && s[i] != '?' && s[i] != ' ')
		i++;
	if (i == 2 || i + 2 >= n || s[i] != '?' || s[i + 2] != '?')
		return 0;
	mode = (char)lc(s[i + 1]);
	t = i + 3;
	for (e = t; e + 1 < n && !(s[e] == '?' && s[e + 1] == '='); e++)
		if (s[e] == ' ')
			return 0;
	if (e + 1 >= n || (mode != 'b' && mode != 'q'))
		return 0;
	if (mode == 'b') {
		*o += dec_base64((const uint8_t *)s + t, e - t,
		    (uint8_t *)out + *o, cap - *o, &bad);
		return e + 2;
	}
	for (i = t; i < e; i++) {
		if (s[i] == '_')
			put(out, o, cap, ' ');
		else if (s[i] == '=' && i + 2 < e && (h = hexv(s[i + 1])) >= 0 &&
		    (l = hexv(s[i + 2])) >= 0) {
			put(out, o, cap, h << 4 | l);
			i += 2;
		} else
			put(out, o, cap, s[i]);
	}
	return e + 2;
}

/* rfc2047 - decode encoded words in s, appended to out; whitespace
 * between two encoded words is dropped */
static void
rfc2047(const char *s, size_t n, char *out, size_t *o, size_t cap)
{
	size_t	i = 0, used, ewend = 0;
	int	after_ew = 0;

	while (i < n) {
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?') {
			size_t	o0 = after_ew ? ewend : *o;
			size_t	save = *o;

			*o = o0;
			if ((used = ew_decode(s + i, n - i, out, o, cap)) > 0) {
				i += used;
				ewend = *o;
				after_ew = 1;
				continue;
			}
			*o = save;
		}
		if (s[i] != ' ' && s[i] != '\t')
			after_ew = 0;
		put(out, o, cap, s[i++]);
	}
}

/* fn_build - the file name from fs into out (NUL-terminated, sanitised);
 * returns 1 if there was one */
static int
fn_build(const struct fnsrc *fs, char *out, size_t cap)
{
	size_t	o = 0, i, q;
	int	quotes;

	if (fs->nsect > 0) {
		for (int k = 0; k < SECT_MAX; k++) {
			const char	*v = fs->s[k].v;
			size_t		 n = fs->s[k].n;

			if (!fs->s[k].set)
				continue;
			if (!fs->s[k].enc) {
				for (i = 0; i < n; i++)
					put(out, &o, cap - 1, v[i]);
				continue;
			}
			if (k == 0) {	/* charset'lang'value */
				for (i = q = 0, quotes = 0; i < n && quotes < 2;
				    i++)
					if (v[i] == '\'')
						quotes++, q = i + 1;
				if (quotes == 2) {
					v += q;
					n -= q;
				}
			}
			pct_decode(v, n, out, &o, cap - 1);
		}
	} else if (fs->plain != NULL)
		rfc2047(fs->plain, fs->plen, out, &o, cap - 1);
	else
		return 0;
	for (i = 0; i < o; i++)
		if ((uint8_t)out[i] < 32 || out[i] == 127 || out[i] == '/')
			out[i] = '_';
	out[o] = '\0';
	return o > 0;
}

/* params - scan the parameters of one header value */
static void
params(struct hval *hv, struct pinfo *pi, struct fnsrc *fs, const char *fn)
{
	size_t	pos = 0, a, alen, val, vlen;

	while (param_next(hv->v, hv->n, &pos, &a, &alen, &val, &vlen)) {
		if (pi != NULL && pi->bndlen == 0 &&
		    ieq(hv->v + a, alen, "boundary") && vlen > 0 &&
		    vlen <= BND_MAX) {
			memcpy(pi->bnd, hv->v + val, vlen);
			pi->bnd[vlen] = '\0';
			pi->bndlen = vlen;
		}
		fn_param(fs, fn, hv->v + a, alen, hv->v + val, vlen);
	}
}

/* ctype_parse - "type/subtype" from Content-Type, or text/plain */
static void
ctype_parse(const struct hval *hv, char *ct, const char *dflt)
{
	size_t	i = skip_ws(hv->v, hv->n, 0), j, slash = 0;

	for (j = i; j < hv->n && hv->v[j] != ';' && hv->v[j] != ' ' &&
	    hv->v[j] != '\t' && hv->v[j] != '(' && hv->v[j] != '"'; j++)
		if (hv->v[j] == '/' && slash == 0)
			slash = j;
	if (!hv->set || slash <= i || slash + 1 >= j || j - i > 63) {
		strcpy(ct, dflt);
		return;
	}
	for (size_t k = i; k < j; k++)
		ct[k - i] = (char)lc(hv->v[k]);
	ct[j - i] = '\0';
}

/* enc_parse - Content-Transfer-Encoding */
static enum mime_enc
enc_parse(const struct hval *hv)
{
	static const struct {
		const char	*name;
		enum mime_enc	 enc;
	} tab[] = {
		{ "7bit", MIME_ENC_7BIT }, { "8bit", MIME_ENC_8BIT },
		{ "binary", MIME_ENC_BINARY },
		{ "quoted-printable", MIME_ENC_QP },
		{ "base64", MIME_ENC_BASE64 },
		{ "x-uuencode", MIME_ENC_UU }, { "x-uue", MIME_ENC_UU },
		{ "uuencode", MIME_ENC_UU }, { "uue", MIME_ENC_UU },
	};
	size_t	i = skip_ws(hv->v, hv->n, 0), j;

	for (j = i; j < hv->n && hv->v[j] != ';' && hv->v[j] != ' ' &&
	    hv->v[j] != '\t' && hv->v[j] != '(' && hv->v[j] != '\r'; j++)
		;
	if (!hv->set || j == i)
		return MIME_ENC_7BIT;
	for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
		if (ieq(hv->v + i, j - i, tab[k].name))
			return tab[k].enc;
	return MIME_ENC_OTHER;
}

/* pinfo_fill - interpret the kept header fields */
static void
pinfo_fill(struct hdr *h, struct pinfo *pi, const char *dflt)
{
	struct fnsrc	fs;
	int		have;

	ctype_parse(&h->ct, pi->ctype, dflt);
	pi->enc = enc_parse(&h->cte);
	pi->bndlen = 0;
	pi->fname[0] = '\0';
	memset(&fs, 0, sizeof(fs));
	if (h->cd.set)
		params(&h->cd, NULL, &fs, "filename");
	have = fn_build(&fs, pi->fname, sizeof(pi->fname));
	memset(&fs, 0, sizeof(fs));
	if (h->ct.set)		/* always: it holds the boundary */
		params(&h->ct, pi, &fs, "name");
	if (!have)
		(void)fn_build(&fs, pi->fname, sizeof(pi->fname));
}

/* delim_tail - after "--B" at q: "--"? WSP* EOL-or-to; sets *next */
static int
delim_tail(const uint8_t *buf, size_t q, size_t to, size_t *next,
    int *closing)
{
	*closing = 0;
	if (q + 2 <= to && buf[q] == '-' && buf[q + 1] == '-') {
		*closing = 1;
		q += 2;
	}
	while (q < to && (buf[q] == ' ' || buf[q] == '\t'))
		q++;
	if (q == to)
		*next = to;
	else if (buf[q] == '\n')
		*next = q + 1;
	else if (buf[q] == '\r' && (q + 1 == to || buf[q + 1] == '\n'))
		*next = q + 1 == to ? to : q + 2;
	else
		return 0;
	return 1;
}

/* delim_find - the first boundary line of f in [from, to) */
static int
delim_find(const uint8_t *buf, size_t from, size_t to,
    const struct frame *f, size_t *line, size_t *next, int *closing)
{
	const uint8_t	*hit;
	size_t		 p = from, bl = f->nlen - 1;	/* "--B" */

	if ((from == 0 || buf[from - 1] == '\n') && to - from >= bl &&
	    memcmp(buf + from, f->needle + 1, bl) == 0 &&
	    delim_tail(buf, from + bl, to, next, closing)) {
		*line = from;
		return 1;
	}
	while (p < to &&
	    (hit = memmem(buf + p, to - p, f->needle, f->nlen)) != NULL) {
		p = (size_t)(hit - buf) + 1;
		if (delim_tail(buf, p + bl, to, next, closing)) {
			*line = p;
			return 1;
		}
	}
	return 0;
}

/* leaf_set - fill the walker's leaf from pi */
static void
leaf_set(struct walker *w, size_t hdr_off, size_t body_off, size_t body_end,
    unsigned depth, int corrupt, int top)
{
	struct leaf	*lf = &w->lf;

	memset(&lf->p, 0, sizeof(lf->p));
	memcpy(lf->p.ctype, w->pi.ctype, sizeof(lf->p.ctype));
	memcpy(lf->fname, w->pi.fname, sizeof(lf->fname));
	lf->p.filename = lf->fname[0] != '\0' ? lf->fname : NULL;
	lf->p.enc = w->pi.enc;
	lf->p.depth = depth;
	lf->p.hdr_off = hdr_off;
	lf->p.body_off = body_off;
	lf->p.body_end = body_end;
	lf->p.corrupt = corrupt;
	lf->rep = top ? REP_TOP : REP_PART;
	lf->rep_a = top ? w->top_hdr : hdr_off;
	lf->rep_b = body_end;
}

/* part_begin - a part whose headers are in w->pi: a leaf (1), a new
 * frame (0) or a depth limit (-1, E2BIG) */
static int
part_begin(struct walker *w, size_t hdr_off, size_t body_off,
    size_t body_end, unsigned depth, int corrupt, int top)
{
	struct frame	 f, *st;
	size_t		 line, next;
	int		 closing;

	if (strncmp(w->pi.ctype, "multipart/", 10) != 0)
		goto leaf;
	memcpy(f.needle, "\n--", 3);
	memcpy(f.needle + 3, w->pi.bnd, w->pi.bndlen);
	f.nlen = w->pi.bndlen + 3;
	if (w->pi.bndlen == 0 || !delim_find(w->buf, body_off, body_end, &f,
	    &line, &next, &closing)) {
		corrupt = 1;
		goto leaf;
	}
	if (depth + 1 > w->max_depth) {
		errno = E2BIG;
		return -1;
	}
	if (w->nst == w->capst) {
		unsigned	ncap = w->capst ? w->capst * 2 : 8;

		if ((st = realloc(w->st, ncap * sizeof(*st))) == NULL)
			return -1;
		w->st = st;
		w->capst = ncap;
	}
	f.pos = next;
	f.end = body_end;
	f.depth = depth + 1;
	f.digest = strcmp(w->pi.ctype, "multipart/digest") == 0;
	f.done = closing;
	if (closing)
		w->corrupt = 1;		/* a multipart without parts */
	w->st[w->nst++] = f;
	return 0;
leaf:
	leaf_set(w, hdr_off, body_off, body_end, depth, corrupt, top);
	return 1;
}

/* walk_top - the message's own header block */
static int
walk_top(struct walker *w)
{
	size_t	p = 0;

	if (w->len >= 5 && memcmp(w->buf, "From ", 5) == 0)
		p = line_end(w->buf, 0, w->len) + 1;	/* mbox From_ line */
	if (p > w->len)
		p = w->len;
	w->top_hdr = p;
	hdr_parse(w->buf, w->len, p, w->len, &w->h);
	pinfo_fill(&w->h, &w->pi, "text/plain");
	w->top_body = w->h.body_off;
	return part_begin(w, w->top_body, w->top_body, w->len, 0,
	    w->h.corrupt, 1);
}

/* walk_next - the next structural leaf into w->lf: 1, 0 at the end, -1 */
static int
walk_next(struct walker *w)
{
	struct frame	*f;
	size_t		 start, end, line, next;
	int		 closing, corrupt, r;

	for (;;) {
		if (!w->started) {
			w->started = 1;
			if ((r = walk_top(w)) != 0)
				return r;
			continue;
		}
		if (w->nst == 0)
			return 0;
		f = &w->st[w->nst - 1];
		if (f->done) {
			w->nst--;
			continue;
		}
		start = f->pos;
		corrupt = 0;
		if (delim_find(w->buf, start, f->end, f, &line, &next,
		    &closing)) {
			end = line > start ? line - 1 : start;
			if (end > start && w->buf[end - 1] == '\r')
				end--;
			f->done = closing;
			f->pos = next;
		} else {
			end = f->end;
			corrupt = f->done = 1;
		}
		hdr_parse(w->buf, w->len, start, end, &w->h);
		pinfo_fill(&w->h, &w->pi, f->digest && !w->h.ct.set ?
		    "message/rfc822" : "text/plain");
		if ((r = part_begin(w, start, w->h.body_off, end, f->depth,
		    corrupt || w->h.corrupt, 0)) != 0)
			return r;
	}
}

/* grow - make *b hold at least n bytes (n > 0) */
static int
grow(uint8_t **b, size_t *cap, size_t n)
{
	uint8_t	*p;

	if (n == 0)
		n = 1;
	if (n <= *cap)
		return 0;
	if ((p = realloc(*b, n)) == NULL)
		return -1;
	*b = p;
	*cap = n;
	return 0;
}

/* budget - output room for a decode of at most est bytes */
static size_t
budget(const struct walker *w, size_t est)
{
	size_t	left = w->max_decoded - w->decoded;

	return est > left ? left + 1 : est;
}

/* charge - account n decoded bytes; cut n to the budget */
static size_t
charge(struct walker *w, size_t n)
{
	size_t	left = w->max_decoded - w->decoded;

	if (n > left) {
		n = left;
		w->limited = 1;
	}
	w->decoded += n;
	return n;
}

/* body_uu - decode a part declared as uuencoded */
static int
body_uu(struct walker *w, struct leaf *lf, const uint8_t *in, size_t n,
    size_t *dlen)
{
	size_t	beg, end, next, cap = budget(w, n);
	char	name[FNAME_MAX];
	int	trunc = 0, bad = 0;

	if (grow(&w->dbuf, &w->dcap, cap) == -1)
		return -1;
	if (uu_find(in, n, 0, &beg, &end, &next, name, sizeof(name),
	    &trunc)) {
		if (lf->fname[0] == '\0') {
			struct fnsrc	fs = { .plain = name,
			    .plen = strlen(name) };

			(void)fn_build(&fs, lf->fname, sizeof(lf->fname));
			lf->p.filename = lf->fname[0] ? lf->fname : NULL;
		}
		in += beg;
		n = end - beg;
	} else
		bad = 1;
	*dlen = charge(w, dec_uu(in, n, w->dbuf, cap, &bad));
	if (bad || trunc)
		lf->p.corrupt = 1;
	return 0;
}

/* body_decode - the leaf's body as the engine should see it */
static int
body_decode(struct walker *w, struct leaf *lf, const uint8_t **data,
    size_t *dlen)
{
	const uint8_t	*in = w->buf + lf->p.body_off;
	size_t		 n = lf->p.body_end - lf->p.body_off, cap;
	int		 bad = 0;

	*data = in;
	*dlen = n;
	switch (lf->p.enc) {
	case MIME_ENC_BASE64:
		cap = budget(w, n / 4 * 3 + 3);
		if (grow(&w->dbuf, &w->dcap, cap) == -1)
			return -1;
		*dlen = charge(w, dec_base64(in, n, w->dbuf, cap, &bad));
		break;
	case MIME_ENC_QP:
		cap = budget(w, n);
		if (grow(&w->dbuf, &w->dcap, cap) == -1)
			return -1;
		*dlen = charge(w, dec_qp(in, n, w->dbuf, cap, &bad));
		break;
	case MIME_ENC_UU:
		if (body_uu(w, lf, in, n, dlen) == -1)
			return -1;
		break;
	default:
		return 0;
	}
	*data = w->dbuf;
	if (bad)
		lf->p.corrupt = 1;
	return 0;
}

/* count_part - number the next leaf, or E2BIG */
static int
count_part(struct walker *w, struct leaf *lf)
{
	if (w->nparts >= w->max_parts) {
		errno = E2BIG;
		return -1;
	}
	lf->p.index = ++w->nparts;
	return 0;
}

/* uu_leaf - deliver one uuencoded block found in a text part */
static int
uu_leaf(struct walker *w, const struct leaf *tx, const uint8_t *data,
    size_t pos, size_t b, size_t e, size_t nx, int trunc)
{
	struct leaf	*u = &w->ulf;
	int		 raw = data == w->buf + tx->p.body_off, bad = 0;
	size_t		 s, cap, n = 0;
	struct fnsrc	 fs;
	char		 name[FNAME_MAX];

	memcpy(name, u->fname, sizeof(name));	/* as uu_find copied it */
	memset(&fs, 0, sizeof(fs));
	fs.plain = name;
	fs.plen = strlen(name);
	u->p = tx->p;
	u->p.enc = MIME_ENC_UU;
	strcpy(u->p.ctype, "application/octet-stream");
	u->fname[0] = '\0';
	(void)fn_build(&fs, u->fname, sizeof(u->fname));
	u->p.filename = u->fname[0] != '\0' ? u->fname : NULL;
	u->p.corrupt = trunc;
	u->rep = tx->rep;
	u->rep_a = tx->rep_a;
	u->rep_b = tx->rep_b;
	if (raw) {
		/* cut from the start of the "begin" line */
		s = b > pos && data[b - 1] == '\n' ? b - 1 : b;
		while (s > pos && data[s - 1] != '\n')
			s--;
		u->p.body_off = tx->p.body_off + b;
		u->p.body_end = tx->p.body_off + e;
		u->rep = REP_UUBLK;
		u->rep_a = tx->p.body_off + s;
		u->rep_b = tx->p.body_off + nx;
	}
	if (count_part(w, u) == -1)
		return -1;
	if (w->alldata) {
		cap = budget(w, e - b);
		if (grow(&w->ubuf, &w->ucap, cap) == -1)
			return -1;
		n = charge(w, dec_uu(data + b, e - b, w->ubuf, cap, &bad));
	}
	if (bad)
		u->p.corrupt = 1;
	w->corrupt |= u->p.corrupt;
	if (w->emit(w, u, w->ubuf != NULL ? w->ubuf : data, n))
		return 1;
	if (w->limited) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/* uu_scan - deliver the uuencoded blocks of a decoded text part */
static int
uu_scan(struct walker *w, const struct leaf *tx, const uint8_t *data,
    size_t dlen)
{
	size_t	pos = 0, b, e, nx;
	int	trunc, r;

	while (pos < dlen && uu_find(data, dlen, pos, &b, &e, &nx,
	    w->ulf.fname, sizeof(w->ulf.fname), &trunc)) {
		if ((r = uu_leaf(w, tx, data, pos, b, e, nx, trunc)) != 0)
			return r;
		pos = nx > pos ? nx : dlen;
	}
	return 0;
}

/* leaf_deliver - decode and emit one structural leaf and its uu blocks */
static int
leaf_deliver(struct walker *w, struct leaf *lf)
{
	const uint8_t	*data = NULL;
	size_t		 dlen = 0;
	int		 text;

	text = strncmp(lf->p.ctype, "text/", 5) == 0 &&
	    lf->p.enc != MIME_ENC_UU;
	if (count_part(w, lf) == -1)
		return -1;
	if ((w->alldata || text) && body_decode(w, lf, &data, &dlen) == -1)
		return -1;
	w->corrupt |= lf->p.corrupt;
	if (w->emit(w, lf, data != NULL ? data : w->buf, dlen))
		return 1;
	if (w->limited) {
		errno = E2BIG;
		return -1;
	}
	return text ? uu_scan(w, lf, data, dlen) : 0;
}

/* walk_run - drive the iterator; 0, 1 (stopped) or -1 */
static int
walk_run(struct walker *w)
{
	int	r;

	while ((r = walk_next(w)) == 1)
		if ((r = leaf_deliver(w, &w->lf)) != 0)
			return r;
	return r;
}

/* walker_new - a walker over buf with lim applied */
static struct walker *
walker_new(const uint8_t *buf, size_t len, const struct mime_limits *lim)
{
	static const uint8_t	 empty[1];
	struct walker		*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->buf = buf != NULL ? buf : empty;	/* no arithmetic on NULL */
	w->len = len;
	w->max_parts = lim && lim->max_parts ? lim->max_parts : DEF_PARTS;
	w->max_depth = lim && lim->max_depth ? lim->max_depth : DEF_DEPTH;
	w->max_decoded = lim && lim->max_decoded ? lim->max_decoded :
	    DEF_DECODED;
	return w;
}

/* walker_free - release a walker */
static void
walker_free(struct walker *w)
{
	if (w == NULL)
		return;
	free(w->st);
	free(w->dbuf);
	free(w->ubuf);
	free(w);
}

/* walk_emit - mime_walk's delivery: the caller's callback */
static int
walk_emit(struct walker *w, struct leaf *lf, const uint8_t *data, size_t n)
{
	return w->cb(&lf->p, data, n, w->arg) != 0;
}

/* mime_walk - see mime.h */
int
mime_walk(const uint8_t *buf, size_t len, const struct mime_limits *lim,
    int (*cb)(const struct mime_part *, const uint8_t *, size_t, void *),
    void *arg, int *corrupt_out)
{
	struct walker	*w;
	int		 rc;

	if (corrupt_out != NULL)
		*corrupt_out = 0;
	if ((w = walker_new(buf, len, lim)) == NULL)
		return -1;
	w->emit = walk_emit;
	w->alldata = 1;
	w->cb = cb;
	w->arg = arg;
	rc = walk_run(w);
	if (corrupt_out != NULL)
		*corrupt_out = w->corrupt;
	walker_free(w);
	return rc;
}

/* mbox_from - is there a From_ line at p (offset 0 or after a blank)? */
static int
mbox_from(const uint8_t *buf, size_t p)
{
	if (p == 0)
		return 1;
	if (p >= 2 && buf[p - 1] == '\n' && buf[p - 2] == '\n')
		return 1;
	return p >= 3 && buf[p - 1] == '\n' && buf[p - 2] == '\r' &&
	    buf[p - 3] == '\n';
}

/* mbox_next - offset of the next From_ separator line at or after p */
static size_t
mbox_next(const uint8_t *buf, size_t len, size_t p)
{
	const uint8_t	*hit;

	while (p < len &&
	    (hit = memmem(buf + p, len - p, "\nFrom ", 6)) != NULL) {
		p = (size_t)(hit - buf) + 1;
		if (mbox_from(buf, p))
			return p;
	}
	return len;
}

/* mbox_walk - see mime.h */
int
mbox_walk(const uint8_t *buf, size_t len, const struct mime_limits *lim,
    int (*cb)(unsigned, size_t, size_t, void *), void *arg)
{
	unsigned	max = lim && lim->max_parts ? lim->max_parts : DEF_PARTS;
	unsigned	idx = 0;
	size_t		start = 0, next, end;

	if (len >= 5 && memcmp(buf, "From ", 5) == 0)
		start = line_end(buf, 0, len) + 1;
	for (;;) {
		if (start > len)
			start = len;
		end = next = mbox_next(buf, len, start);
		if (next < len) {	/* drop the blank separator line */
			end = next - 1;
			if (end > start && buf[end - 1] == '\r')
				end--;
		}
		if (end < start)
			end = start;
		if (idx >= max) {
			errno = E2BIG;
			return -1;
		}
		if (cb(++idx, start, end - start, arg))
			return 1;
		if (next >= len)
			return 0;
		start = line_end(buf, next, len) + 1;
	}
}

/* rw_copy - copy the original up to a */
static int
rw_copy(struct walker *w, size_t a)
{
	int	r = strbuf_append(w->out, w->buf + w->copied, a - w->copied);

	w->copied = a;
	return r;
}

/* rw_headers - the replacement part's header block and body */
static int
rw_headers(struct walker *w)
{
	const char	*e = w->eol;

	return strbuf_printf(w->out, "Content-Type: text/plain; "
	    "charset=utf-8%sContent-Transfer-Encoding: 7bit%s"
	    "Content-Disposition: inline%s%s%s", e, e, e, e, w->notice);
}

/* rw_top - the message's header block without its Content-* fields */
static int
rw_top(struct walker *w)
{
	const uint8_t	*b = w->buf;
	size_t		 p = w->top_hdr, e, le, nl, colon;
	int		 skip = 0;

	while (p < w->top_body) {
		e = line_end(b, p, w->top_body);
		le = e > p && b[e - 1] == '\r' ? e - 1 : e;
		if (le == p)
			break;
		if (b[p] != ' ' && b[p] != '\t')
			skip = (nl = hdr_name(b, p, le, 1, &colon)) > 0 &&
			    (ieq(b + p, nl, "content-type") ||
			    ieq(b + p, nl, "content-transfer-encoding") ||
			    ieq(b + p, nl, "content-disposition"));
		if (!skip && (strbuf_append(w->out, b + p, le - p) == -1 ||
		    strbuf_printf(w->out, "%s", w->eol) == -1))
			return -1;
		p = e < w->top_body ? e + 1 : w->top_body;
	}
	return rw_headers(w) == -1 ? -1 : strbuf_printf(w->out, "%s", w->eol);
}

/* rw_emit - mime_rewrite's delivery: replace the leaf if asked to */
static int
rw_emit(struct walker *w, struct leaf *lf, const uint8_t *data, size_t n)
{
	int	r;

	(void)data;
	(void)n;
	if (lf->rep_a < w->copied || !w->drop(&lf->p, w->arg))
		return 0;
	if (rw_copy(w, lf->rep_a) == -1)
		goto err;
	if (lf->rep == REP_TOP)
		r = rw_top(w);
	else if (lf->rep == REP_PART)
		r = rw_headers(w);
	else
		r = strbuf_printf(w->out, "%s%s", w->notice,
		    lf->rep_b > lf->rep_a && w->buf[lf->rep_b - 1] == '\n' ?
		    w->eol : "");
	if (r == -1)
		goto err;
	w->copied = lf->rep == REP_TOP ? w->len : lf->rep_b;
	w->nrep++;
	return 0;
err:
	w->err = errno;
	return 1;
}

/* mime_rewrite - see mime.h */
int
mime_rewrite(const uint8_t *buf, size_t len, const struct mime_limits *lim,
    int (*drop)(const struct mime_part *, void *), void *arg,
    const char *notice, struct strbuf *out)
{
	struct walker	*w;
	size_t		 e;
	int		 rc = -1;

	if (mime_kind(buf, len) != 1) {
		errno = EINVAL;
		return -1;
	}
	if ((w = walker_new(buf, len, lim)) == NULL)
		return -1;
	w->emit = rw_emit;
	w->drop = drop;
	w->arg = arg;
	w->notice = notice != NULL ? notice : "";
	e = line_end(buf, 0, len);
	w->eol = e > 0 && e < len && buf[e - 1] == '\r' ? "\r\n" : "\n";
	w->out = out;
	if (walk_run(w) != 0) {
		if (w->err != 0)
			errno = w->err;
		goto out;
	}
	if (rw_copy(w, len) == -1)
		goto out;
	rc = w->nrep;
out:
	walker_free(w);
	return rc;
}
