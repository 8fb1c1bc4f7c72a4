/*
 * smtp_msg.c - reading and rewriting one message for vigil-smtpd
 *
 * Finds a message's header block and fields, lists its leaf parts as the
 * engine numbers them (with declared and sniffed types), cuts parts out,
 * wraps a message behind a report, expands the notification templates
 * and builds whole notification messages.  See smtp_msg.h.
 *
 * DESIGN: the message is never parsed twice in two ways: part structure
 * comes only from the engine (mime_walk for the list, mime_rewrite for
 * the cut), so "partN" in a detection and N here are the same part.  The
 * header block rule is the engine's too (a line "Name:" or a folded line
 * continues it; anything else ends it).  What is written is CRLF
 * throughout; only bytes copied from the message keep their own line
 * ends.  A value that goes into a header line is flattened (control
 * bytes become spaces) and cut, so no value can start a header field or
 * end the header block.  Every boundary we write is random and checked
 * with memmem() to occur nowhere in the data it encloses, so a sender
 * cannot guess it and cannot break the structure.  Work is linear in
 * the input; memory is the caller's strbuf (capped) plus, in
 * msg_remove_parts, at most one copy of the message and of the notice.
 *
 * Why hand-written: the parsing is the engine's own; what is left is
 * string assembly with caps, which a mail library would only do with its
 * own object tree and its own idea of part numbers.
 */
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mime.h"
#include "smtp_msg.h"

#define FLAT_MAX	900	/* a flat value's bytes */
#define LINE_MAX_OCT	998	/* RFC 5322 line length, without CRLF */
#define LINE_SOFT	990	/* break long body lines from here on */
#define BND_RAND	16	/* random bytes in a boundary */
#define BND_TRIES	16
#define HOST_MAX	253
#define NAME_MAX_MACRO	32

static const char	bnd_prefix[] = "vigil=_";

/* lc - ASCII lower case */
static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ieq_n - do the n bytes at s equal the C string lit, ignoring case? */
static int
ieq_n(const uint8_t *s, size_t n, const char *lit)
{
	size_t	i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (lc(s[i]) != lc((uint8_t)lit[i]))
			return 0;
	return i == n && lit[i] == '\0';
}

/* line_end - offset of the '\n' ending the line at p, or to */
static size_t
line_end(const uint8_t *m, size_t p, size_t to)
{
	const uint8_t	*nl;

	if (p >= to)
		return to;
	nl = memchr(m + p, '\n', to - p);
	return nl == NULL ? to : (size_t)(nl - m);
}

/* field_name - length of the name if [p, le) is "Name:" (blanks before
 * the colon allowed, as the engine allows them), else 0 */
static size_t
field_name(const uint8_t *m, size_t p, size_t le)
{
	size_t	i = p, n;

	while (i < le && m[i] > 32 && m[i] < 127 && m[i] != ':')
		i++;
	n = i - p;
	while (i < le && (m[i] == ' ' || m[i] == '\t'))
		i++;
	return n > 0 && i < le && m[i] == ':' ? n : 0;
}

/* is_wsp - a folding blank */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* msg_header_end - see smtp_msg.h */
size_t
msg_header_end(const uint8_t *m, size_t len, size_t *ins)
{
	size_t	p = 0, e, le;

	while (p < len) {
		e = line_end(m, p, len);
		le = e > p && m[e - 1] == '\r' ? e - 1 : e;
		if (le == p) {			/* the empty line */
			*ins = p;
			return e < len ? e + 1 : len;
		}
		if (!is_wsp(m[p]) && field_name(m, p, le) == 0) {
			*ins = p;		/* not a header line */
			return p;
		}
		p = e < len ? e + 1 : len;
	}
	*ins = len;
	return len;
}

/* flat_byte - a byte as it may stand in a header line */
static uint8_t
flat_byte(uint8_t c)
{
	return c < 32 || c == 127 ? ' ' : c;
}

/* hdr_value - append field value bytes [a, b) to out, flattened, while
 * the leading blanks are skipped; returns 0 when out is full */
static int
hdr_value(const uint8_t *m, size_t a, size_t b, char *out, size_t cap,
    size_t *o)
{
	uint8_t	c;

	for (; a < b; a++) {
		c = flat_byte(m[a]);
		if (*o == 0 && c == ' ')
			continue;
		if (*o >= cap)
			return 0;
		out[(*o)++] = (char)c;
	}
	return 1;
}

/* msg_header - see smtp_msg.h */
int
msg_header(const uint8_t *m, size_t hdrlen, const char *name, char *out,
    size_t outlen)
{
	size_t	p = 0, e, le, n, colon, o = 0, cap;
	int	found = 0;

	if (outlen == 0)
		out = NULL;
	cap = outlen > 0 ? outlen - 1 : 0;
	while (p < hdrlen) {
		e = line_end(m, p, hdrlen);
		le = e > p && m[e - 1] == '\r' ? e - 1 : e;
		if (le == p)
			break;
		if (is_wsp(m[p])) {
			if (found && out != NULL &&
			    !hdr_value(m, p, le, out, cap, &o))
				break;
		} else if ((n = field_name(m, p, le)) == 0 || found)
			break;
		else if (ieq_n(m + p, n, name)) {
			found = 1;
			colon = (size_t)((const uint8_t *)memchr(m + p + n, ':',
			    le - p - n) - m);
			if (out != NULL &&
			    !hdr_value(m, colon + 1, le, out, cap, &o))
				break;
		}
		p = e < hdrlen ? e + 1 : hdrlen;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (out != NULL)
		out[o] = '\0';
	return found;
}

/* ---- sniffing ---- */

/* A magic number at an offset. */
struct magic {
	size_t		 off;
	const char	*bytes;
	size_t		 n;
	const char	*type;
};

static const struct magic	magics[] = {
	{ 0, "MZ", 2, "application/x-dosexec" },
	{ 0, "\x7f" "ELF", 4, "application/x-executable" },
	{ 0, "\xfe\xed\xfa\xce", 4, "application/x-mach-binary" },
	{ 0, "\xfe\xed\xfa\xcf", 4, "application/x-mach-binary" },
	{ 0, "\xce\xfa\xed\xfe", 4, "application/x-mach-binary" },
	{ 0, "\xcf\xfa\xed\xfe", 4, "application/x-mach-binary" },
	{ 0, "PK\x03\x04", 4, "application/zip" },
	{ 0, "PK\x05\x06", 4, "application/zip" },
	{ 0, "PK\x07\x08", 4, "application/zip" },
	{ 0, "Rar!\x1a\x07", 6, "application/x-rar" },
	{ 0, "7z\xbc\xaf\x27\x1c", 6, "application/x-7z-compressed" },
	{ 0, "\x1f\x8b", 2, "application/gzip" },
	{ 0, "\xfd" "7zXZ\0", 6, "application/x-xz" },
	{ 0, "%PDF-", 5, "application/pdf" },
	{ 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8,
	    "application/x-ole-storage" },
	{ 0, "{\\rtf", 5, "application/rtf" },
	{ 0, "\x89PNG\r\n\x1a\n", 8, "image/png" },
	{ 0, "GIF87a", 6, "image/gif" },
	{ 0, "GIF89a", 6, "image/gif" },
	{ 0, "\xff\xd8\xff", 3, "image/jpeg" },
	{ 257, "ustar", 5, "application/x-tar" },
};

#define HTML_SKIP	1024	/* blanks looked past before "<html" */

/* sniff_special - the types a fixed magic cannot tell */
static const char *
sniff_special(const uint8_t *d, size_t n)
{
	size_t	i = 0;

	/* CAFEBABE: a fat Mach-O counts its architectures (few); a Java
	 * class file has its version there (45 and up) */
	if (n >= 8 && memcmp(d, "\xca\xfe\xba\xbe", 4) == 0 &&
	    ((uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 |
	    (uint32_t)d[6] << 8 | d[7]) - 1 < 30)
		return "application/x-mach-binary";
	if (n >= 4 && memcmp(d, "BZh", 3) == 0 && d[3] >= '1' && d[3] <= '9')
		return "application/x-bzip2";
	if (n >= 2 && d[0] == '#' && d[1] == '!')
		return "application/x-sh";
	if (n >= 3 && memcmp(d, "\xef\xbb\xbf", 3) == 0)
		i = 3;			/* UTF-8 byte order mark */
	while (i < n && i < HTML_SKIP && (is_wsp(d[i]) || d[i] == '\r' ||
	    d[i] == '\n' || d[i] == '\f'))
		i++;
	if ((n - i >= 5 && ieq_n(d + i, 5, "<html")) ||
	    (n - i >= 14 && ieq_n(d + i, 14, "<!doctype html")))
		return "text/html";
	return NULL;
}

/* msg_sniff - see smtp_msg.h */
const char *
msg_sniff(const uint8_t *d, size_t n)
{
	const struct magic	*mg;

	for (size_t k = 0; k < sizeof(magics) / sizeof(magics[0]); k++) {
		mg = &magics[k];
		if (n >= mg->off + mg->n &&
		    memcmp(d + mg->off, mg->bytes, mg->n) == 0)
			return mg->type;
	}
	return sniff_special(d, n);
}

/* ---- parts ---- */

struct parts_ctx {
	int	(*cb)(const struct msg_part *, void *);
	void	*arg;
};

/* parts_one - one engine leaf as a msg_part */
static int
parts_one(const struct mime_part *p, const uint8_t *data, size_t len,
    void *arg)
{
	struct parts_ctx	*c = arg;
	struct msg_part		 mp;

	mp.index = p->index;
	mp.filename = p->filename;
	mp.ctype = p->ctype;
	mp.dtype = msg_sniff(data, len);
	mp.size = len;
	return c->cb(&mp, c->arg) != 0;
}

/* msg_parts - see smtp_msg.h */
int
msg_parts(const uint8_t *m, size_t len,
    int (*cb)(const struct msg_part *, void *), void *arg)
{
	struct parts_ctx	c = { cb, arg };

	return mime_walk(m, len, NULL, parts_one, &c, NULL);
}

/* ---- line ends and random ---- */

/* put_crlf - append s[0..n) with every line end (CRLF, LF, CR) as CRLF;
 * NUL bytes become spaces */
static int
put_crlf(struct strbuf *out, const uint8_t *s, size_t n)
{
	size_t	a = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n' && s[i] != '\0')
			continue;
		if (strbuf_append(out, s + a, i - a) == -1)
			return -1;
		if (s[i] == '\0') {
			if (strbuf_addc(out, ' ') == -1)
				return -1;
		} else {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			if (strbuf_append(out, "\r\n", 2) == -1)
				return -1;
		}
		a = i + 1;
	}
	return strbuf_append(out, s + a, n - a);
}

/* rand_bytes - n unpredictable bytes: getrandom, /dev/urandom, and as a
 * last resort a clock-seeded mix (boundaries are checked anyway) */
static void
rand_bytes(uint8_t *b, size_t n)
{
	static uint64_t	 ctr;
	struct timespec	 ts;
	size_t		 got = 0;
	ssize_t		 r;
	uint64_t	 x;
	int		 fd, save = errno;

	while (got < n) {
		if ((r = getrandom(b + got, n - got, GRND_NONBLOCK)) > 0)
			got += (size_t)r;
		else if (r == -1 && errno == EINTR)
			continue;
		else
			break;
	}
	if (got < n &&
	    (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		while (got < n && (r = read(fd, b + got, n - got)) > 0)
			got += (size_t)r;
		close(fd);
	}
	for (; got < n; got++) {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^
		    (uint64_t)getpid() << 16 ^ ++ctr * 0x9e3779b97f4a7c15u;
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9u;
		x ^= x >> 29;
		b[got] = (uint8_t)x;
	}
	errno = save;
}

/* rand_hex - 2 * n hex digits of randomness into s (NUL-terminated) */
static void
rand_hex(char *s, size_t n)
{
	static const char	hex[] = "0123456789abcdef";
	uint8_t			b[32];

	if (n > sizeof(b))
		n = sizeof(b);
	rand_bytes(b, n);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hex[b[i] >> 4];
		s[2 * i + 1] = hex[b[i] & 15];
	}
	s[2 * n] = '\0';
}

#define BND_LEN	(sizeof(bnd_prefix) - 1 + 2 * BND_RAND)

/* bnd_make - a boundary found in neither a[0..an) nor c[0..cn) */
static int
bnd_make(char bnd[BND_LEN + 1], const uint8_t *a, size_t an,
    const uint8_t *c, size_t cn)
{
	for (int t = 0; t < BND_TRIES; t++) {
		memcpy(bnd, bnd_prefix, sizeof(bnd_prefix) - 1);
		rand_hex(bnd + sizeof(bnd_prefix) - 1, BND_RAND);
		if ((an == 0 || memmem(a, an, bnd, BND_LEN) == NULL) &&
		    (cn == 0 || memmem(c, cn, bnd, BND_LEN) == NULL))
			return 0;
	}
	errno = EAGAIN;	/* XXX only with a broken random source */
	return -1;
}

/* has_8bit - does d[0..n) hold a byte >= 0x80? */
static int
has_8bit(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] >= 0x80)
			return 1;
	return 0;
}

/* put_rfc822 - "--B" then a message/rfc822 part holding d, then the
 * closing delimiter */
static int
put_rfc822(struct strbuf *out, const char *bnd, const char *disp,
    const uint8_t *d, size_t n)
{
	if (strbuf_printf(out, "--%s\r\nContent-Type: message/rfc822\r\n"
	    "%sContent-Disposition: %s\r\n\r\n", bnd,
	    has_8bit(d, n) ? "Content-Transfer-Encoding: 8bit\r\n" : "",
	    disp) == -1 || strbuf_append(out, d, n) == -1)
		return -1;
	return strbuf_printf(out, "\r\n--%s--\r\n", bnd);
}

/* put_text_part - "--B" then a text/plain part holding t (CRLF) */
static int
put_text_part(struct strbuf *out, const char *bnd, const uint8_t *t,
    size_t n)
{
	if (strbuf_printf(out, "--%s\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
	    "Content-Disposition: inline\r\n\r\n", bnd) == -1 ||
	    put_crlf(out, t, n) == -1)
		return -1;
	return strbuf_append(out, "\r\n", 2);
}

/* ---- removing parts ---- */

struct rm_ctx {
	const unsigned	*idx;	/* sorted */
	size_t		 n;
};

/* cmp_uint - qsort order */
static int
cmp_uint(const void *a, const void *b)
{
	unsigned	x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* rm_drop - mime_rewrite's predicate: is the part listed? */
static int
rm_drop(const struct mime_part *p, void *arg)
{
	const struct rm_ctx	*c = arg;

	return c->n > 0 && bsearch(&p->index, c->idx, c->n,
	    sizeof(*c->idx), cmp_uint) != NULL;
}

/* notice_make - the notice with eol line ends (CRLF, LF or CR in it), a
 * line starting "--" indented (it must not pass for a boundary), no
 * final line end (mime_rewrite adds what the place needs); caller frees */
static char *
notice_make(const char *notice, const char *eol)
{
	struct strbuf	 sb;
	const char	*t = notice != NULL ? notice : "";
	const uint8_t	*s = (const uint8_t *)t;
	size_t		 n = strlen(t), i = 0, e;

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	strbuf_init(&sb, n * 3 + 16);
	for (;;) {
		for (e = i; e < n && s[e] != '\r' && s[e] != '\n'; e++)
			;
		if ((e - i >= 2 && s[i] == '-' && s[i + 1] == '-' &&
		    strbuf_addc(&sb, ' ') == -1) ||
		    strbuf_append(&sb, s + i, e - i) == -1) {
			strbuf_fini(&sb);
			return NULL;
		}
		if (e >= n)
			break;
		if (strbuf_append(&sb, eol, strlen(eol)) == -1) {
			strbuf_fini(&sb);
			return NULL;
		}
		i = e + (s[e] == '\r' && e + 1 < n && s[e + 1] == '\n' ? 2 : 1);
	}
	return strbuf_steal(&sb);
}

/* msg_remove_parts - see smtp_msg.h */
int
msg_remove_parts(const uint8_t *m, size_t len, const unsigned *idx,
    size_t n, const char *notice, struct strbuf *out)
{
	struct rm_ctx	 c = { NULL, 0 };
	unsigned	*sorted = NULL;
	uint8_t		*pad = NULL;
	char		*note = NULL;
	const char	*eol;
	size_t		 e, start = out->len, plen = 0;
	int		 rc = -1, r;

	e = line_end(m, 0, len);
	eol = e > 0 && e < len && m[e - 1] == '\r' ? "\r\n" : "\n";
	if (n > 0) {
		if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
			goto out;
		memcpy(sorted, idx, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_uint);
	}
	c.idx = sorted;
	c.n = n;
	if ((note = notice_make(notice, eol)) == NULL)
		goto out;
	if (mime_kind(m, len) != 1) {
		/*
		 * The engine only cures what it calls a message; a header
		 * block starting with unusual fields is one once a known
		 * field stands first.  The field is cut off again below.
		 */
		plen = strlen("X-Vigil: 1") + strlen(eol);
		if ((pad = malloc(len + plen)) == NULL)
			goto out;
		memcpy(pad, "X-Vigil: 1", plen - strlen(eol));
		memcpy(pad + plen - strlen(eol), eol, strlen(eol));
		if (len > 0)
			memcpy(pad + plen, m, len);
	}
	r = mime_rewrite(pad != NULL ? pad : m, len + plen, NULL, rm_drop, &c,
	    note, out);
	if (r == -1)
		goto out;
	if (r == 0 || out->len < start + plen)
		out->len = start;
	else if (plen > 0) {
		memmove(out->data + start, out->data + start + plen,
		    out->len - start - plen);
		out->len -= plen;
	}
	if (out->data != NULL)
		out->data[out->len] = '\0';
	rc = r;
out:
	free(sorted);
	free(pad);
	free(note);
	return rc;
}

/* ---- wrapping ---- */

/* put_fields - the header fields in m[0..ins) but MIME-Version and
 * Content-*, byte for byte, each ending in a line end */
static int
put_fields(struct strbuf *out, const uint8_t *m, size_t ins)
{
	size_t	p = 0, e, le, n;
	int	skip = 1;	/* a folded line before any field */

	while (p < ins) {
		e = line_end(m, p, ins);
		le = e > p && m[e - 1] == '\r' ? e - 1 : e;
		if (!is_wsp(m[p])) {
			n = field_name(m, p, le);
			skip = n == 0 || ieq_n(m + p, n, "mime-version") ||
			    (n >= 8 && ieq_n(m + p, 8, "content-"));
		}
		if (!skip && (strbuf_append(out, m + p, e - p) == -1 ||
		    strbuf_append(out, e < ins ? "\n" : "\r\n",
		    e < ins ? 1 : 2) == -1))
			return -1;
		p = e < ins ? e + 1 : ins;
	}
	return 0;
}

/* msg_wrap - see smtp_msg.h */
int
msg_wrap(const uint8_t *m, size_t len, const char *report,
    struct strbuf *out)
{
	char		 bnd[BND_LEN + 1];
	size_t		 ins, rn;
	const char	*t = report != NULL ? report : "";
	const uint8_t	*r = (const uint8_t *)t;

	rn = strlen(t);
	if (bnd_make(bnd, m, len, r, rn) == -1)
		return -1;
	(void)msg_header_end(m, len, &ins);
	if (put_fields(out, m, ins) == -1 ||
	    strbuf_printf(out, "MIME-Version: 1.0\r\nContent-Type: "
	    "multipart/mixed; boundary=\"%s\"\r\n\r\n", bnd) == -1 ||
	    put_text_part(out, bnd, r, rn) == -1)
		return -1;
	return put_rfc822(out, bnd, "inline", m, len);
}

/* ---- macros ---- */

#define VOFF(f)		offsetof(struct msg_vars, f)
#define HEADERS_OFF	((size_t)-1)

static const struct {
	const char	*name;
	size_t		 off;
} macros[] = {
	{ "SENDER", VOFF(sender) }, { "RECIPIENTS", VOFF(recipients) },
	{ "STATUS", VOFF(status) }, { "ACTION", VOFF(action) },
	{ "THREATS", VOFF(threats) }, { "OBJECTS", VOFF(objects) },
	{ "GROUP", VOFF(group) }, { "MESSAGE_ID", VOFF(message_id) },
	{ "SUBJECT", VOFF(subject) }, { "FROM", VOFF(from) },
	{ "TO", VOFF(to) }, { "DATE", VOFF(date) },
	{ "HOSTNAME", VOFF(hostname) }, { "QUEUE_ID", VOFF(queue_id) },
	{ "QUARANTINE", VOFF(quarantine) }, { "TIME", VOFF(time) },
	{ "HEADERS", HEADERS_OFF },
};

/* utf8_cut - n cut back so that it does not split a UTF-8 sequence */
static size_t
utf8_cut(const uint8_t *s, size_t len, size_t n)
{
	size_t	k = n;

	if (n >= len)
		return len;
	while (k > 0 && n - k < 3 && (s[k] & 0xc0) == 0x80)
		k--;
	return (s[k] & 0xc0) == 0x80 ? n : k;
}

/* put_flat - a value for a header line: controls as spaces, cut */
static int
put_flat(struct strbuf *out, const uint8_t *s, size_t n)
{
	uint8_t	*p;

	n = utf8_cut(s, n, FLAT_MAX);
	if ((p = strbuf_reserve(out, n)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		p[i] = flat_byte(s[i]);
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

/* macro_value - the value of ${name} (name n bytes); 0 if unknown */
static int
macro_value(const struct msg_vars *v, const char *name, size_t n,
    const uint8_t **val, size_t *vlen)
{
	const char	*s;

	for (size_t k = 0; k < sizeof(macros) / sizeof(macros[0]); k++) {
		if (strlen(macros[k].name) != n ||
		    memcmp(macros[k].name, name, n) != 0)
			continue;
		*val = (const uint8_t *)"";
		*vlen = 0;
		if (v == NULL)
			return 1;
		if (macros[k].off == HEADERS_OFF) {
			if (v->headers != NULL) {
				*val = v->headers;
				*vlen = v->headers_len;
			}
			return 1;
		}
		memcpy(&s, (const char *)v + macros[k].off, sizeof(s));
		if (s != NULL) {
			*val = (const uint8_t *)s;
			*vlen = strlen(s);
		}
		return 1;
	}
	return 0;
}

/* put_text - template text, CRLF-normalised unless flat */
static int
put_text(struct strbuf *out, const char *s, size_t n, int flat)
{
	return flat ? strbuf_append(out, s, n) :
	    put_crlf(out, (const uint8_t *)s, n);
}

/* msg_expand - see smtp_msg.h */
int
msg_expand(const char *tmpl, size_t tlen, const struct msg_vars *v,
    int flat, struct strbuf *out)
{
	const uint8_t	*val;
	size_t		 a = 0, i = 0, j, vlen;
	int		 r;

	if (tmpl == NULL)
		tmpl = "", tlen = 0;
	while (i < tlen) {
		if (tmpl[i] != '$' || i + 1 >= tlen) {
			i++;
			continue;
		}
		if (tmpl[i + 1] == '$') {
			if (put_text(out, tmpl + a, i + 1 - a, flat) == -1)
				return -1;
			a = i += 2;
			continue;
		}
		j = i + 2;
		if (tmpl[i + 1] == '{')
			while (j < tlen && j - i - 2 <= NAME_MAX_MACRO &&
			    ((tmpl[j] >= 'A' && tmpl[j] <= 'Z') ||
			    tmpl[j] == '_'))
				j++;
		if (tmpl[i + 1] != '{' || j >= tlen || tmpl[j] != '}' ||
		    !macro_value(v, tmpl + i + 2, j - i - 2, &val, &vlen)) {
			i++;		/* kept as written */
			continue;
		}
		if (put_text(out, tmpl + a, i - a, flat) == -1)
			return -1;
		r = flat ? put_flat(out, val, vlen) : put_crlf(out, val, vlen);
		if (r == -1)
			return -1;
		a = i = j + 1;
	}
	return put_text(out, tmpl + a, tlen - a, flat);
}

/* ---- notifications ---- */

/* The fields msg_notify writes itself. */
static const char *const notify_own[] = {
	"from", "to", "date", "message-id", "mime-version", "content-type",
	"content-transfer-encoding", "auto-submitted", NULL
};

/* tmpl_split - the template's header part length (0: all body) and the
 * offset of its body */
static size_t
tmpl_split(const char *t, size_t n, size_t *body)
{
	const uint8_t	*m = (const uint8_t *)t;
	size_t		 p = 0, e, le;

	*body = 0;
	while (p < n) {
		e = line_end(m, p, n);
		le = e > p && m[e - 1] == '\r' ? e - 1 : e;
		if (le == p) {
			if (p == 0)
				return 0;
			*body = e < n ? e + 1 : n;
			return p;
		}
		if (p == 0 ? field_name(m, p, le) == 0 :
		    !is_wsp(m[p]) && field_name(m, p, le) == 0)
			return 0;
		p = e + 1;
	}
	return 0;
}

/* put_hline - one expanded header line, cut at the line length, CRLF */
static int
put_hline(struct strbuf *out, const char *line, size_t n,
    const struct msg_vars *v)
{
	size_t	start = out->len, k;

	if (msg_expand(line, n, v, 1, out) == -1)
		return -1;
	k = out->len - start;
	for (size_t i = 0; i < k; i++)	/* the template's own controls */
		out->data[start + i] = (char)flat_byte(
		    (uint8_t)out->data[start + i]);
	if (k > LINE_MAX_OCT)
		out->len = start + utf8_cut((const uint8_t *)out->data + start,
		    k, LINE_MAX_OCT);
	for (k = start; k < out->len && out->data[k] == ' '; k++)
		;
	if (k == out->len) {	/* a blank line would end the block */
		out->len = start;
		if (out->data != NULL)
			out->data[out->len] = '\0';
		return 0;
	}
	return strbuf_append(out, "\r\n", 2);
}

/* put_tmpl_fields - the template's header fields, but ours */
static int
put_tmpl_fields(struct strbuf *out, const char *t, size_t n,
    const struct msg_vars *v, int *subject)
{
	const uint8_t	*m = (const uint8_t *)t;
	size_t		 p = 0, e, le, nl;
	int		 skip = 0, k;

	while (p < n) {
		e = line_end(m, p, n);
		le = e > p && m[e - 1] == '\r' ? e - 1 : e;
		if (!is_wsp(m[p])) {
			nl = field_name(m, p, le);
			for (skip = 0, k = 0; notify_own[k] != NULL; k++)
				skip |= ieq_n(m + p, nl, notify_own[k]);
			*subject |= ieq_n(m + p, nl, "subject");
		}
		if (!skip && put_hline(out, t + p, le - p, v) == -1)
			return -1;
		p = e + 1;
	}
	return 0;
}

/* flat_copy - s flattened and cut into buf (cap >= 1) */
static void
flat_copy(char *buf, size_t cap, const char *s)
{
	size_t	n = s != NULL ? strlen(s) : 0;

	n = utf8_cut((const uint8_t *)s, n, n < cap - 1 ? n : cap - 1);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)flat_byte((uint8_t)s[i]);
	buf[n] = '\0';
}

/* host_name - a dot-atom host name for the Message-ID */
static void
host_name(char *buf, size_t cap, const char *want)
{
	char	raw[HOST_MAX + 1];
	size_t	o = 0;

	if (want == NULL || *want == '\0') {
		if (gethostname(raw, sizeof(raw)) == -1)
			raw[0] = '\0';
		raw[sizeof(raw) - 1] = '\0';
	} else
		flat_copy(raw, sizeof(raw), want);
	for (size_t i = 0; raw[i] != '\0' && o + 1 < cap; i++) {
		char	c = raw[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && o > 0 && buf[o - 1] != '.'))
			buf[o++] = c;
	}
	while (o > 0 && buf[o - 1] == '.')
		o--;
	if (o == 0)
		o = (size_t)snprintf(buf, cap, "localhost");
	buf[o] = '\0';
}

/* put_date - "Date:" now, RFC 5322, local time with its offset */
static int
put_date(struct strbuf *out)
{
	static const char *const	day[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const	mon[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t		now = time(NULL);
	struct tm	tm;
	long		off;

	if (localtime_r(&now, &tm) == NULL && gmtime_r(&now, &tm) == NULL) {
		errno = EINVAL;
		return -1;
	}
	off = tm.tm_gmtoff / 60;
	return strbuf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d "
	    "%c%02ld%02ld\r\n", day[(unsigned)tm.tm_wday % 7], tm.tm_mday,
	    mon[(unsigned)tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	    labs(off) % 60);
}

/* put_envelope - From, To, Date, Message-ID, Auto-Submitted, MIME */
static int
put_envelope(struct strbuf *out, const struct msg_vars *v,
    const char *from, const char *to)
{
	char	f[FLAT_MAX + 1], t[FLAT_MAX + 1], host[HOST_MAX + 1];
	char	id[2 * BND_RAND + 1];

	host_name(host, sizeof(host), v != NULL ? v->hostname : NULL);
	flat_copy(f, sizeof(f), from);
	flat_copy(t, sizeof(t), to);
	rand_hex(id, BND_RAND);
	if (f[strspn(f, " ")] == '\0')
		snprintf(f, sizeof(f), "MAILER-DAEMON@%s", host);
	if (t[strspn(t, " ")] == '\0')
		snprintf(t, sizeof(t), "undisclosed-recipients:;");
	if (strbuf_printf(out, "From: %s\r\nTo: %s\r\n", f, t) == -1 ||
	    put_date(out) == -1)
		return -1;
	return strbuf_printf(out, "Message-ID: <%s@%s>\r\nAuto-Submitted: "
	    "auto-generated\r\nMIME-Version: 1.0\r\n", id, host);
}

/* put_body - the expanded body (CRLF already), lines broken before the
 * length limit (not inside a UTF-8 sequence when it can be helped),
 * ending in CRLF */
static int
put_body(struct strbuf *out, const uint8_t *b, size_t n)
{
	size_t	col = 0, a = 0, i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\n') {
			col = 0;
			continue;
		}
		if (b[i] == '\r')
			continue;
		if (col >= LINE_MAX_OCT ||
		    (col >= LINE_SOFT && (b[i] & 0xc0) != 0x80)) {
			if (strbuf_append(out, b + a, i - a) == -1 ||
			    strbuf_append(out, "\r\n", 2) == -1)
				return -1;
			a = i;
			col = 0;
		}
		col++;
	}
	if (strbuf_append(out, b + a, n - a) == -1)
		return -1;
	return n > 0 && b[n - 1] == '\n' ? 0 : strbuf_append(out, "\r\n", 2);
}

/* msg_notify - see smtp_msg.h */
int
msg_notify(const char *tmpl, size_t tlen, const struct msg_vars *v,
    const char *from, const char *to, const uint8_t *attach,
    size_t attach_len, struct strbuf *out)
{
	static const char	dflt_subject[] =
	    "Subject: vigil: ${STATUS} message";
	struct strbuf		body;
	char			bnd[BND_LEN + 1];
	size_t			hlen, boff;
	int			subject = 0, rc = -1;

	if (tmpl == NULL)
		tmpl = "", tlen = 0;
	strbuf_init(&body, out->max);
	hlen = tmpl_split(tmpl, tlen, &boff);
	if (put_tmpl_fields(out, tmpl, hlen, v, &subject) == -1 ||
	    (!subject && put_hline(out, dflt_subject,
	    sizeof(dflt_subject) - 1, v) == -1) ||
	    put_envelope(out, v, from, to) == -1 ||
	    msg_expand(tmpl + boff, tlen - boff, v, 0, &body) == -1 ||
	    strbuf_append(&body, "", 0) == -1)	/* body.data != NULL */
		goto out;
	if (attach == NULL) {
		if (strbuf_printf(out, "Content-Type: text/plain; "
		    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		    == -1 || put_body(out, (const uint8_t *)body.data,
		    body.len) == -1)
			goto out;
		rc = 0;
		goto out;
	}
	if (bnd_make(bnd, attach, attach_len, (const uint8_t *)body.data,
	    body.len) == -1 ||
	    strbuf_printf(out, "Content-Type: multipart/mixed; "
	    "boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
	    "Content-Disposition: inline\r\n\r\n", bnd, bnd) == -1 ||
	    put_body(out, (const uint8_t *)body.data, body.len) == -1 ||
	    put_rfc822(out, bnd, "attachment", attach, attach_len) == -1)
		goto out;
	rc = 0;
out:
	strbuf_fini(&body);
	return rc;
}
