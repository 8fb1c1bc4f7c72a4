/*
 * vproto.c - vigil's native protocol: options and reply lines, both ways
 *
 * DESIGN: every line of the protocol past its first word is a list of
 * key=value pairs separated by single spaces.  One table per kind of list
 * (request OPTS, VRESULT, VDET, VERROR) says each key's type, where its
 * value goes (an offset into the caller's struct) and whether it is
 * required; vp_pairs() walks any list against any table, so the
 * strictness rules (unknown key, repeated key, empty pair, stray space,
 * missing required key: error) are written once.  Values are checked
 * while they are stored, by one checker per type (vp_types): numbers are
 * plain decimal digits up to the field's maximum, words come from fixed
 * tables, text is percent-encoded.
 * Text values of reply lines are decoded in place (a decoded value is
 * never longer than its encoding), so parsing a reply allocates nothing;
 * request names are decoded into the fixed arrays of struct vproto_req.
 * Formatting mirrors parsing and cuts long text values so that no line
 * passes VPROTO_LINE_MAX; on failure the output buffer is restored to
 * its length before the call.
 *
 * Hand-written: the format is ours and tiny; a general key=value or URL
 * library would not give the exact strictness the protocol promises.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hexdigit.h"
#include "vproto.h"

#define VP_THREAT_CUT	2048	/* encoded bytes of a threat in a reply */
#define VP_REASON_CUT	4096
#define VP_OBJECT_CUT	8192
#define VP_MSG_CUT	4096
#define VP_WORD_MAX	32

_Static_assert(VIGIL_INFECTED == 7, "status words table");
_Static_assert(VIGIL_SET_PARANOID == 2, "set words table");

enum vp_type {
	VP_U64,		/* uint64_t, up to max */
	VP_UINT,	/* unsigned, up to max */
	VP_BOOL,	/* int, 0 or 1 */
	VP_STATUS,	/* enum vigil_status, by its word */
	VP_SET,		/* enum vigil_dbset, by its word */
	VP_FLAGS,	/* unsigned, comma-separated flag words or "none" */
	VP_HEX64,	/* char[65]: "" or 64 hex digits */
	VP_WORD,	/* const char *: 1..32 of [a-z], NUL-terminated in place */
	VP_PCTBUF,	/* char[max]: percent-decoded */
	VP_PCTPTR	/* const char *: percent-decoded in place */
};

struct vp_key {
	const char	*name;
	enum vp_type	 type;
	size_t		 off;
	uint64_t	 max;	/* U64, UINT: largest value; PCTBUF: array size */
	int		 required;
};

#define VP_REQ(m)	offsetof(struct vproto_req, m)
static const struct vp_key vp_opts_keys[] = {
	{ "set",		VP_SET,    VP_REQ(lim.set),		0, 0 },
	{ "flags",		VP_FLAGS,  VP_REQ(lim.flags),		0, 0 },
	{ "maxfilesize",	VP_U64,    VP_REQ(lim.max_file_size),	UINT64_MAX, 0 },
	{ "maxscansize",	VP_U64,    VP_REQ(lim.max_scan_size),	UINT64_MAX, 0 },
	{ "maxrecursion",	VP_UINT,   VP_REQ(lim.max_recursion),	UINT_MAX, 0 },
	{ "maxfiles",		VP_UINT,   VP_REQ(lim.max_files),	UINT_MAX, 0 },
	{ "maxratio",		VP_UINT,   VP_REQ(lim.max_ratio),	UINT_MAX, 0 },
	{ "maxscantime",	VP_UINT,   VP_REQ(lim.max_scan_ms),	UINT_MAX, 0 },
	{ "cure",		VP_BOOL,   VP_REQ(cure),		0, 0 },
	{ "name",		VP_PCTBUF, VP_REQ(name),		sizeof(((struct vproto_req *)0)->name), 0 },
	{ "client",		VP_PCTBUF, VP_REQ(client),		sizeof(((struct vproto_req *)0)->client), 0 },
};

#define VP_LN(m)	offsetof(struct vproto_line, m)
static const struct vp_key vp_result_keys[] = {
	{ "status",	VP_STATUS, VP_LN(status),	0, 1 },
	{ "ndet",	VP_UINT,   VP_LN(ndet),		VPROTO_NDET_MAX, 1 },
	{ "objects",	VP_UINT,   VP_LN(objects),	UINT_MAX, 1 },
	{ "bytes",	VP_U64,    VP_LN(bytes),	UINT64_MAX, 1 },
	{ "usec",	VP_U64,    VP_LN(usec),		UINT64_MAX, 1 },
	{ "cached",	VP_BOOL,   VP_LN(cached),	0, 1 },
	{ "cured",	VP_BOOL,   VP_LN(cured),	0, 1 },
	{ "db",		VP_HEX64,  VP_LN(db),		0, 1 },
	{ "threat",	VP_PCTPTR, VP_LN(threat),	0, 0 },
	{ "reason",	VP_PCTPTR, VP_LN(reason),	0, 0 },
};
static const struct vp_key vp_det_keys[] = {
	{ "status",	VP_STATUS, VP_LN(status),	0, 1 },
	{ "object",	VP_PCTPTR, VP_LN(object),	0, 1 },
	{ "threat",	VP_PCTPTR, VP_LN(threat),	0, 0 },
	{ "reason",	VP_PCTPTR, VP_LN(reason),	0, 0 },
};
static const struct vp_key vp_error_keys[] = {
	{ "code",	VP_WORD,   VP_LN(code),		0, 1 },
	{ "msg",	VP_PCTPTR, VP_LN(msg),		0, 1 },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const vp_status_words[] = {
	"CLEAN", "CURED", "ERROR", "CORRUPTED", "PROTECTED", "WARNING",
	"SUSPICIOUS", "INFECTED"
};
static const char *const vp_set_words[] = {
	"standard", "extended", "paranoid"
};
static const struct {
	const char	*word;
	unsigned	 bit;
} vp_flag_words[] = {
	{ "allmatch",	VIGIL_SCAN_ALLMATCH },
	{ "archives",	VIGIL_SCAN_ARCHIVES },
	{ "mailplain",	VIGIL_SCAN_MAILPLAIN },
	{ "mailbases",	VIGIL_SCAN_MAILBASES },
	{ "sfx",	VIGIL_SCAN_SFX },
	{ "packed",	VIGIL_SCAN_PACKED },
	{ "deflate",	VIGIL_SCAN_DEFLATE },
};

/* vp_err - write a reason into err (may be NULL); returns -1 */
static int __attribute__((format(printf, 3, 4)))
vp_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* vp_show - untrusted bytes as a short printable string, for messages */
static const char *
vp_show(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t	 i, j = 0;

	for (i = 0; i < n && j + 4 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[j++] = c >= 0x21 && c <= 0x7e ? (char)c : '?';
	}
	if (i < n)
		dst[j++] = '.', dst[j++] = '.', dst[j++] = '.';
	dst[j] = '\0';
	return dst;
}

/* vp_word_eq - s[0..n) is exactly the word w */
static int
vp_word_eq(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* vp_number - plain decimal digits, no sign, at most max; 0 or -1 */
static int
vp_number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t	 x = 0;
	unsigned	 d;
	size_t		 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/* vp_flags_parse - "none" or a comma-separated list of flag words */
static int
vp_flags_parse(const char *s, size_t n, unsigned *out)
{
	const char	*end = s + n, *comma;
	unsigned	 flags = 0;
	size_t		 i, wlen;

	if (vp_word_eq(s, n, "none")) {
		*out = 0;
		return 0;
	}
	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		wlen = comma != NULL ? (size_t)(comma - s) : (size_t)(end - s);
		for (i = 0; i < NELEM(vp_flag_words); i++)
			if (vp_word_eq(s, wlen, vp_flag_words[i].word))
				break;
		if (i == NELEM(vp_flag_words))
			return -1;
		flags |= vp_flag_words[i].bit;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	*out = flags;
	return 0;
}

/* vp_text - decode a text value into dst (dstlen bytes); no NUL inside */
static int
vp_text(const char *v, size_t vlen, char *dst, size_t dstlen)
{
	ssize_t	 n;

	if ((n = vproto_pct_decode(v, vlen, dst, dstlen)) == -1)
		return -1;
	return memchr(dst, '\0', (size_t)n) == NULL ? 0 : -1;
}

/*
 * Value checkers, one per type: check v[0..vlen) and store it in field.
 * inplace, when not NULL, is writable memory at v's address.  0 or -1.
 */
typedef int vp_store_fn(const struct vp_key *, const char *v, size_t vlen,
    char *inplace, char *field);

/* vp_store_num - VP_U64, VP_UINT */
static int
vp_store_num(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	uint64_t	 x;

	(void)inplace;
	if (vp_number(v, vlen, k->max, &x) == -1)
		return -1;
	if (k->type == VP_U64)
		*(uint64_t *)(void *)field = x;
	else
		*(unsigned *)(void *)field = (unsigned)x;
	return 0;
}

/* vp_store_bool - VP_BOOL */
static int
vp_store_bool(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	(void)k, (void)inplace;
	if (vlen != 1 || (v[0] != '0' && v[0] != '1'))
		return -1;
	*(int *)(void *)field = v[0] - '0';
	return 0;
}

/* vp_store_status - VP_STATUS */
static int
vp_store_status(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	(void)k, (void)inplace;
	return vproto_status_parse(v, vlen, (enum vigil_status *)(void *)field);
}

/* vp_store_set - VP_SET */
static int
vp_store_set(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	size_t	 i;

	(void)k, (void)inplace;
	for (i = 0; i < NELEM(vp_set_words); i++)
		if (vp_word_eq(v, vlen, vp_set_words[i])) {
			*(enum vigil_dbset *)(void *)field = (enum vigil_dbset)i;
			return 0;
		}
	return -1;
}

/* vp_store_flags - VP_FLAGS */
static int
vp_store_flags(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	(void)k, (void)inplace;
	return vp_flags_parse(v, vlen, (unsigned *)(void *)field);
}

/* vp_store_hex64 - VP_HEX64 */
static int
vp_store_hex64(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	size_t	 i;

	(void)k, (void)inplace;
	if (vlen != 0 && vlen != 64)
		return -1;
	for (i = 0; i < vlen; i++)
		if (hex_digit((unsigned char)v[i]) == -1)
			return -1;
	memcpy(field, v, vlen);
	field[vlen] = '\0';
	return 0;
}

/* vp_store_word - VP_WORD, NUL-terminated in place */
static int
vp_store_word(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	size_t	 i;

	(void)k;
	if (inplace == NULL || vlen == 0 || vlen > VP_WORD_MAX)
		return -1;
	for (i = 0; i < vlen; i++)
		if (v[i] < 'a' || v[i] > 'z')
			return -1;
	inplace[vlen] = '\0';
	*(const char **)(void *)field = inplace;
	return 0;
}

/* vp_store_pctbuf - VP_PCTBUF, into the field's array */
static int
vp_store_pctbuf(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	(void)inplace;
	return vp_text(v, vlen, field, (size_t)k->max);
}

/* vp_store_pctptr - VP_PCTPTR, decoded in place */
static int
vp_store_pctptr(const struct vp_key *k, const char *v, size_t vlen,
    char *inplace, char *field)
{
	(void)k;
	if (inplace == NULL || vp_text(v, vlen, inplace, vlen + 1) == -1)
		return -1;
	*(const char **)(void *)field = inplace;
	return 0;
}

static const struct {
	vp_store_fn	*store;
	const char	*why;		/* the reason when store fails */
} vp_types[] = {
	[VP_U64] =	{ vp_store_num,	   "bad number" },
	[VP_UINT] =	{ vp_store_num,	   "bad number" },
	[VP_BOOL] =	{ vp_store_bool,   "not 0 or 1" },
	[VP_STATUS] =	{ vp_store_status, "unknown status" },
	[VP_SET] =	{ vp_store_set,	   "unknown set" },
	[VP_FLAGS] =	{ vp_store_flags,  "bad flag list" },
	[VP_HEX64] =	{ vp_store_hex64,  "not 64 hex digits" },
	[VP_WORD] =	{ vp_store_word,   "bad word" },
	[VP_PCTBUF] =	{ vp_store_pctbuf, "bad encoding, or too long" },
	[VP_PCTPTR] =	{ vp_store_pctptr, "bad encoding" },
};

/* vp_value - check and store one value for key k into base */
static int
vp_value(const struct vp_key *k, const char *v, size_t vlen, char *inplace,
    void *base, char *err, size_t errlen)
{
	if (vp_types[k->type].store(k, v, vlen, inplace,
	    (char *)base + k->off) == -1)
		return vp_err(err, errlen, "%s: %s", k->name,
		    vp_types[k->type].why);
	return 0;
}

/* vp_key_find - the entry of keys named s[0..n), or NULL */
static const struct vp_key *
vp_key_find(const struct vp_key *keys, size_t nkeys, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < nkeys; i++)
		if (vp_word_eq(s, n, keys[i].name))
			return &keys[i];
	return NULL;
}

/*
 * vp_pairs - parse s[0..n), "key=value" pairs separated by single
 * spaces, against keys into base.  inplace, when not NULL, is s itself
 * made writable (text values are decoded there; s[n] is written).
 */
static int
vp_pairs(const char *s, size_t n, char *inplace, const struct vp_key *keys,
    size_t nkeys, void *base, char *err, size_t errlen)
{
	const struct vp_key	*k;
	const char		*tok, *end, *eq;
	char			 show[40];
	uint32_t		 seen = 0;
	size_t			 i, tlen;

	tok = s;
	while (n > 0 && tok <= s + n) {
		end = memchr(tok, ' ', (size_t)(s + n - tok));
		if (end == NULL)
			end = s + n;
		if ((tlen = (size_t)(end - tok)) == 0)
			return vp_err(err, errlen, "empty option (stray space)");
		if ((eq = memchr(tok, '=', tlen)) == NULL)
			return vp_err(err, errlen, "'%s': not key=value",
			    vp_show(show, sizeof(show), tok, tlen));
		if ((k = vp_key_find(keys, nkeys, tok,
		    (size_t)(eq - tok))) == NULL)
			return vp_err(err, errlen, "unknown key '%s'",
			    vp_show(show, sizeof(show), tok,
			    (size_t)(eq - tok)));
		if (seen & (UINT32_C(1) << (k - keys)))
			return vp_err(err, errlen, "duplicate key '%s'",
			    k->name);
		seen |= UINT32_C(1) << (k - keys);
		if (vp_value(k, eq + 1, (size_t)(end - eq - 1),
		    inplace != NULL ? inplace + (eq + 1 - s) : NULL, base,
		    err, errlen) == -1)
			return -1;
		tok = end + 1;
	}
	for (i = 0; i < nkeys; i++)
		if (keys[i].required && !(seen & (UINT32_C(1) << i)))
			return vp_err(err, errlen, "missing key '%s'",
			    keys[i].name);
	return 0;
}

/* vproto_command - which native command a command line is, and its OPTS */
enum vproto_cmd
vproto_command(const char *line, size_t n, const char **opts, size_t *optslen)
{
	static const struct {
		const char	*word;
		size_t		 len;
		enum vproto_cmd	 cmd;
	} cmds[] = {
		{ "VSCAN", 5, VPROTO_CMD_VSCAN },
		{ "VINSTREAM", 9, VPROTO_CMD_VINSTREAM },
	};
	size_t	 i, w;

	for (i = 0; i < NELEM(cmds); i++) {
		w = cmds[i].len;
		if (n < w || memcmp(line, cmds[i].word, w) != 0 ||
		    (n > w && line[w] != ' '))
			continue;
		*opts = n > w ? line + w + 1 : line + w;
		*optslen = n > w ? n - w - 1 : 0;
		return cmds[i].cmd;
	}
	return VPROTO_CMD_NONE;
}

/* vproto_status_name - the protocol word for a status */
const char *
vproto_status_name(enum vigil_status s)
{
	if ((unsigned)s >= NELEM(vp_status_words))
		return "ERROR";
	return vp_status_words[s];
}

/* vproto_status_parse - status by its exact word */
int
vproto_status_parse(const char *s, size_t n, enum vigil_status *out)
{
	size_t	 i;

	for (i = 0; i < NELEM(vp_status_words); i++)
		if (vp_word_eq(s, n, vp_status_words[i])) {
			*out = (enum vigil_status)i;
			return 0;
		}
	return -1;
}

/* vp_truncate - undo appends: back to len bytes (strbuf has no such call) */
static void
vp_truncate(struct strbuf *sb, size_t len)
{
	if (sb->data != NULL && len <= sb->len) {
		sb->len = len;
		sb->data[len] = '\0';
	}
}

/* vp_safe - a byte that goes as it is in a text value */
static int
vp_safe(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '%' && c != '=';
}

/* vp_pct_encode_cut - encode s[0..n), at most cut encoded bytes */
static int
vp_pct_encode_cut(struct strbuf *out, const char *s, size_t n, size_t cut)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 esc[3];
	size_t			 i, run;
	unsigned char		 c;

	for (i = 0; i < n;) {
		for (run = 0; i + run < n && run < cut &&
		    vp_safe((unsigned char)s[i + run]); run++)
			;
		if (run > 0) {
			if (strbuf_append(out, s + i, run) == -1)
				return -1;
			i += run;
			cut -= run;
			continue;
		}
		if (cut < 3)
			break;
		c = (unsigned char)s[i++];
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (strbuf_append(out, esc, 3) == -1)
			return -1;
		cut -= 3;
	}
	return 0;
}

/* vproto_pct_encode - append s[0..n) percent-encoded */
int
vproto_pct_encode(struct strbuf *out, const char *s, size_t n)
{
	size_t	 start = out->len;

	if (vp_pct_encode_cut(out, s, n, SIZE_MAX) == -1) {
		vp_truncate(out, start);
		return -1;
	}
	return 0;
}

/* vproto_pct_decode - decode s[0..n) into dst; dst may be s */
ssize_t
vproto_pct_decode(const char *s, size_t n, char *dst, size_t dstlen)
{
	size_t	 i = 0, j = 0;
	int	 hi, lo;
	unsigned char c;

	if (dstlen == 0)
		return -1;
	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3 ||
			    (hi = hex_digit((unsigned char)s[i + 1])) == -1 ||
			    (lo = hex_digit((unsigned char)s[i + 2])) == -1)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		} else if (vp_safe(c))
			i++;
		else
			return -1;
		if (j + 1 >= dstlen)
			return -1;
		dst[j++] = (char)c;
	}
	dst[j] = '\0';
	return (ssize_t)j;
}

/* vp_flags_format - the flag words of flags, or "none" */
static int
vp_flags_format(struct strbuf *out, unsigned flags)
{
	size_t	 i;
	int	 first = 1;

	for (i = 0; i < NELEM(vp_flag_words); i++) {
		if (!(flags & vp_flag_words[i].bit))
			continue;
		if ((!first && strbuf_addc(out, ',') == -1) ||
		    strbuf_printf(out, "%s", vp_flag_words[i].word) == -1)
			return -1;
		first = 0;
	}
	return first ? strbuf_printf(out, "none") : 0;
}

/* vp_text_key - append " key=PCT" for s[0..n), encoded up to cut bytes */
static int
vp_text_key(struct strbuf *out, const char *key, const char *s, size_t n,
    size_t cut)
{
	if (strbuf_printf(out, " %s=", key) == -1)
		return -1;
	return vp_pct_encode_cut(out, s, n, cut);
}

/* vp_opts_format - OPTS text; names given with their lengths */
static int
vp_opts_format(struct strbuf *out, const struct vigil_limits *lim, int cure,
    const char *name, size_t namelen, const char *client, size_t clientlen)
{
	if (lim != NULL && (strbuf_printf(out, "set=%s flags=",
	    (unsigned)lim->set < NELEM(vp_set_words) ?
	    vp_set_words[lim->set] : "standard") == -1 ||
	    vp_flags_format(out, lim->flags) == -1 ||
	    strbuf_printf(out, " maxfilesize=%" PRIu64 " maxscansize=%" PRIu64
	    " maxrecursion=%u maxfiles=%u maxratio=%u maxscantime=%u ",
	    lim->max_file_size, lim->max_scan_size, lim->max_recursion,
	    lim->max_files, lim->max_ratio, lim->max_scan_ms) == -1))
		return -1;
	if (strbuf_printf(out, "cure=%d", cure ? 1 : 0) == -1)
		return -1;
	if (namelen > 0 &&
	    vp_text_key(out, "name", name, namelen, SIZE_MAX) == -1)
		return -1;
	if (clientlen > 0 &&
	    vp_text_key(out, "client", client, clientlen, SIZE_MAX) == -1)
		return -1;
	return 0;
}

/* vproto_opts_format - OPTS text for req */
int
vproto_opts_format(struct strbuf *out, const struct vproto_req *req)
{
	size_t	 start = out->len;

	if (vp_opts_format(out, &req->lim, req->cure, req->name,
	    strnlen(req->name, sizeof(req->name)), req->client,
	    strnlen(req->client, sizeof(req->client))) == -1) {
		vp_truncate(out, start);
		return -1;
	}
	return 0;
}

/* vproto_opts_format_lim - OPTS text, limits only when lim is given */
int
vproto_opts_format_lim(struct strbuf *out, const struct vigil_limits *lim,
    int cure, const char *name, const char *client)
{
	size_t	 start = out->len;

	if (vp_opts_format(out, lim, cure, name,
	    name != NULL ? strlen(name) : 0, client,
	    client != NULL ? strlen(client) : 0) == -1) {
		vp_truncate(out, start);
		return -1;
	}
	return 0;
}

/* vproto_opts_parse - parse OPTS over the defaults */
int
vproto_opts_parse(const char *s, size_t len,
    const struct vigil_limits *defaults, struct vproto_req *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (defaults != NULL)
		out->lim = *defaults;
	if (len >= VPROTO_LINE_MAX)
		return vp_err(err, errlen, "options longer than %d bytes",
		    VPROTO_LINE_MAX - 1);
	return vp_pairs(s, len, NULL, vp_opts_keys, NELEM(vp_opts_keys), out,
	    err, errlen);
}

/* vp_db_ok - "" or 64 hex digits */
static int
vp_db_ok(const char *db)
{
	size_t	 i, n = strnlen(db, 65);

	if (n != 0 && n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (hex_digit((unsigned char)db[i]) == -1)
			return 0;
	return 1;
}

/* vp_det_format - one VDET line */
static int
vp_det_format(struct strbuf *out, const struct vigil_detection *d, char delim)
{
	const char	*obj = d->object != NULL ? d->object : "";

	if (strbuf_printf(out, "VDET status=%s", vproto_status_name(d->status))
	    == -1 || vp_text_key(out, "object", obj, strlen(obj),
	    VP_OBJECT_CUT) == -1)
		return -1;
	if (d->threat != NULL && vp_text_key(out, "threat", d->threat,
	    strlen(d->threat), VP_THREAT_CUT) == -1)
		return -1;
	if (d->reason != NULL && vp_text_key(out, "reason", d->reason,
	    strlen(d->reason), VP_REASON_CUT) == -1)
		return -1;
	return strbuf_addc(out, delim);
}

/* vp_result_format - the reply lines; out restored by the caller */
static int
vp_result_format(struct strbuf *out, const struct vigil_result *res,
    const struct vproto_meta *meta, char delim)
{
	unsigned	 i, ndet;

	ndet = res->ndet < VPROTO_NDET_MAX ? res->ndet : VPROTO_NDET_MAX;
	if (res->det == NULL)
		ndet = 0;
	if (strbuf_printf(out, "VRESULT status=%s ndet=%u objects=%u bytes=%"
	    PRIu64 " usec=%" PRIu64 " cached=%d cured=%d db=%s",
	    vproto_status_name(res->status), ndet, res->objects, res->bytes,
	    meta->usec, meta->cached ? 1 : 0, meta->cured ? 1 : 0,
	    meta->db) == -1)
		return -1;
	if (res->threat != NULL && vp_text_key(out, "threat", res->threat,
	    strlen(res->threat), VP_THREAT_CUT) == -1)
		return -1;
	if (res->reason != NULL && vp_text_key(out, "reason", res->reason,
	    strlen(res->reason), VP_REASON_CUT) == -1)
		return -1;
	if (strbuf_addc(out, delim) == -1)
		return -1;
	for (i = 0; i < ndet; i++)
		if (vp_det_format(out, &res->det[i], delim) == -1)
			return -1;
	if (strbuf_printf(out, "VEND") == -1)
		return -1;
	return strbuf_addc(out, delim);
}

/* vproto_result_format - VRESULT, VDET... and VEND lines */
int
vproto_result_format(struct strbuf *out, const struct vigil_result *res,
    const struct vproto_meta *meta, char delim)
{
	size_t	 start = out->len;

	if ((delim != '\n' && delim != '\0') || meta->db == NULL ||
	    !vp_db_ok(meta->db)) {
		errno = EINVAL;
		return -1;
	}
	if (vp_result_format(out, res, meta, delim) == -1) {
		vp_truncate(out, start);
		return -1;
	}
	return 0;
}

/* vproto_error_format - one VERROR line */
int
vproto_error_format(struct strbuf *out, const char *code, const char *msg,
    char delim)
{
	size_t	 i, n, start = out->len;

	n = strnlen(code, VP_WORD_MAX + 1);
	for (i = 0; i < n; i++)
		if (code[i] < 'a' || code[i] > 'z')
			break;
	if ((delim != '\n' && delim != '\0') || n == 0 || n > VP_WORD_MAX ||
	    i < n) {
		errno = EINVAL;
		return -1;
	}
	if (msg == NULL)
		msg = "";
	if (strbuf_printf(out, "VERROR code=%s msg=", code) == -1 ||
	    vp_pct_encode_cut(out, msg, strlen(msg), VP_MSG_CUT) == -1 ||
	    strbuf_addc(out, delim) == -1) {
		vp_truncate(out, start);
		return -1;
	}
	return 0;
}

/* vproto_reply_line_parse - parse one reply line, decoding in place */
int
vproto_reply_line_parse(char *line, size_t n, struct vproto_line *out,
    char *err, size_t errlen)
{
	static const struct {
		const char		*word;
		enum vproto_line_kind	 kind;
		const struct vp_key	*keys;
		size_t			 nkeys;
	} kinds[] = {
		{ "VRESULT", VPROTO_LINE_RESULT, vp_result_keys, NELEM(vp_result_keys) },
		{ "VDET",    VPROTO_LINE_DET,    vp_det_keys,    NELEM(vp_det_keys) },
		{ "VEND",    VPROTO_LINE_END,    NULL,           0 },
		{ "VERROR",  VPROTO_LINE_ERROR,  vp_error_keys,  NELEM(vp_error_keys) },
	};
	const char	*sp;
	char		 show[40];
	size_t		 i, wlen;

	memset(out, 0, sizeof(*out));
	if (n >= VPROTO_LINE_MAX)
		return vp_err(err, errlen, "reply line longer than %d bytes",
		    VPROTO_LINE_MAX - 1);
	sp = memchr(line, ' ', n);
	wlen = sp != NULL ? (size_t)(sp - line) : n;
	for (i = 0; i < NELEM(kinds); i++)
		if (vp_word_eq(line, wlen, kinds[i].word))
			break;
	if (i == NELEM(kinds))
		return vp_err(err, errlen, "unexpected reply '%s'",
		    vp_show(show, sizeof(show), line, n));
	out->kind = kinds[i].kind;
	if (out->kind == VPROTO_LINE_END)
		return sp == NULL ? 0 :
		    vp_err(err, errlen, "VEND: unexpected text");
	if (sp == NULL)
		return vp_err(err, errlen, "%s: missing keys", kinds[i].word);
	return vp_pairs(sp + 1, n - wlen - 1, line + wlen + 1, kinds[i].keys,
	    kinds[i].nkeys, out, err, errlen);
}
