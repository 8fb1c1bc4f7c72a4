/*
 * manifest.c - parse, format, sign and verify database manifests; Ed25519
 * key files
 *
 * DESIGN: the parser is a small state machine over LF-terminated lines:
 * header, version, date, then file/delta lines, then at most one signature
 * line, which must be the last.  A line is split on single spaces into at
 * most MF_NFIELDS fields and every field is checked for its exact
 * canonical form (decimal without leading zeros, 64 lowercase hex digits,
 * padded base64 that re-encodes to itself), so any text that parses is
 * the text mf_format() writes back: round trips are byte-exact.  Work is
 * bounded: at most MF_MAXTEXT bytes are looked at, at most MF_MAXFILES
 * files and MF_MAXDELTAS deltas a file are stored (arrays grow by
 * doubling), and duplicate names are found after the last line by sorting
 * pointers to the files (n log n), reporting the earliest repeated line.
 * The signature covers the bytes before the signature line; the key id is
 * the first 8 bytes of an unkeyed 16-byte BLAKE2b of the public key.
 * Secret key material is wiped with sodium_memzero() once copied.
 *
 * Hand-written: the format is ours; libsodium does all the cryptography
 * and the base64, this file only does the text.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "manifest.h"

#define MF_MAXSIZE	((uint64_t)1 << 40)
#define MF_MAXVERSION	((uint64_t)INT64_MAX)
#define MF_NFIELDS	6
#define MF_SIGLEN	64
#define MF_SIGB64	88		/* base64 of 64 bytes, padded */
#define MF_PUBB64	44		/* base64 of 32 bytes, padded */
#define MF_SIGLINE	(18 + 16 + 1 + MF_SIGB64 + 1)	/* its length */
#define MF_KEYMAX	(64 * 1024)
#define MF_HEADER	"vigil-manifest 1"
#define MF_PUBTAG	"vigil-ed25519-public "
#define MF_SECTAG	"vigil-ed25519-secret "

struct mf_field {
	const char	*p;
	size_t		 n;
};

struct mf_parser {
	struct manifest	*m;
	size_t		*lines;		/* line of each file */
	size_t		 lineno;
	char		*err;
	size_t		 errlen;
};

enum mf_state { MF_ST_HEADER, MF_ST_VERSION, MF_ST_DATE, MF_ST_BODY };

/* mf_seterr - "line N: what" into err */
static int
mf_seterr(char *err, size_t errlen, size_t lineno, const char *fmt, ...)
{
	va_list	 ap;
	int	 n = 0;

	if (err == NULL || errlen == 0)
		return -1;
	if (lineno > 0)
		n = snprintf(err, errlen, "line %zu: ", lineno);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* mf_sodium - libsodium ready; 0 / -1 */
static int
mf_sodium(void)
{
	if (sodium_init() < 0) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* mf_is - field f is exactly the string s */
static int
mf_is(const struct mf_field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* mf_dec - canonical decimal in [lo, hi]; 0 / -1 */
static int
mf_dec(const struct mf_field *f, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (f->n == 0 || f->n > 20 || (f->n > 1 && f->p[0] == '0'))
		return -1;
	for (i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(f->p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(f->p[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* mf_unhexn - n lowercase hex digits into n / 2 bytes; 0 / -1 */
static int
mf_unhexn(uint8_t *h, const char *s, size_t n)
{
	size_t	 i;
	int	 d[2], j;

	for (i = 0; i < n; i += 2) {
		for (j = 0; j < 2; j++) {
			if (s[i + j] >= '0' && s[i + j] <= '9')
				d[j] = s[i + j] - '0';
			else if (s[i + j] >= 'a' && s[i + j] <= 'f')
				d[j] = s[i + j] - 'a' + 10;
			else
				return -1;
		}
		h[i / 2] = (uint8_t)(d[0] << 4 | d[1]);
	}
	return 0;
}

/* mf_hash - a field of 64 lowercase hex digits; 0 / -1 */
static int
mf_hash(const struct mf_field *f, uint8_t h[MF_HASHLEN])
{
	if (f->n != 2 * MF_HASHLEN)
		return -1;
	return mf_unhexn(h, f->p, f->n);
}

/* mf_name_okn - name rule of the spec on n bytes at s */
static int
mf_name_okn(const char *s, size_t n)
{
	size_t	 i;
	int	 c;

	if (n == 0 || n > MF_MAXNAME)
		return 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != '.' && c != '_' && c != '+' && c != '-'))
			return 0;
	}
	return 1;
}

/* mf_name_ok - 1 when name is a valid file name per the spec */
int
mf_name_ok(const char *name)
{
	const char	*nul;

	if (name == NULL || (nul = memchr(name, '\0', MF_MAXNAME + 1)) == NULL)
		return 0;
	return mf_name_okn(name, (size_t)(nul - name));
}

/* mf_b64 - canonical padded base64 of exactly n bytes; 0 / -1 */
static int
mf_b64(const struct mf_field *f, uint8_t *out, size_t n)
{
	char		 back[MF_SIGB64 + 1];
	const char	*end;
	size_t		 got;

	if (f->n != sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL) - 1 || f->n > MF_SIGB64)
		return -1;
	if (sodium_base642bin(out, n, f->p, f->n, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != n ||
	    end != f->p + f->n)
		return -1;
	sodium_bin2base64(back, sizeof(back), out, n,
	    sodium_base64_VARIANT_ORIGINAL);
	return memcmp(back, f->p, f->n) == 0 ? 0 : -1;
}

/* mf_days - days from 1970-01-01 to y-m-d (proleptic Gregorian) */
static int64_t
mf_days(int64_t y, int64_t m, int64_t d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* mf_num - n digits at s; -1 when one is not a digit */
static int
mf_num(const char *s, int n)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* mf_date - "YYYY-MM-DDTHH:MM:SSZ", a valid UTC time from 1970 on */
static int
mf_date(const char *s, size_t n, time_t *when)
{
	static const int mdays[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	 y, mo, d, h, mi, se, dim;
	int64_t	 t;

	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	y = mf_num(s, 4);
	mo = mf_num(s + 5, 2);
	d = mf_num(s + 8, 2);
	h = mf_num(s + 11, 2);
	mi = mf_num(s + 14, 2);
	se = mf_num(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || se < 0 || se > 59)
		return -1;
	dim = mdays[mo - 1] + (mo == 2 && y % 4 == 0 &&
	    (y % 100 != 0 || y % 400 == 0));
	if (d > dim)
		return -1;
	t = mf_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if ((int64_t)(time_t)t != t)
		return -1;
	*when = (time_t)t;
	return 0;
}

/* mf_split - fields of a line; count (MF_NFIELDS + 1: too many), -1 bad */
static int
mf_split(const char *p, size_t n, struct mf_field *f)
{
	size_t	 i, start = 0;
	int	 nf = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != ' ')
			continue;
		if (i == start)
			return -1;	/* empty field: stray space */
		if (nf == MF_NFIELDS)
			return MF_NFIELDS + 1;
		f[nf].p = p + start;
		f[nf].n = i - start;
		nf++;
		start = i + 1;
	}
	return nf;
}

/* mf_grow - room for one more element in an array doubling from 1 */
static void *
mf_grow(void *arr, size_t n, size_t size)
{
	size_t	 cap = 1;

	while (cap <= n)
		cap *= 2;
	return realloc(arr, cap * size);
}

/* mf_line_file - "file NAME SIZE SHA256 ZSIZE ZSHA256" */
static int
mf_line_file(struct mf_parser *ps, const struct mf_field *f, int nf)
{
	struct manifest	*m = ps->m;
	struct mf_file	*fl, *nfl;
	size_t		*nl;

	if (nf != 6)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "wrong number of fields");
	if (m->nfiles >= MF_MAXFILES)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "too many files (at most %d)", MF_MAXFILES);
	if ((m->nfiles & (m->nfiles - 1)) == 0) {	/* 0, 1, 2, 4: full */
		if ((nfl = mf_grow(m->files, m->nfiles, sizeof(*nfl))) == NULL)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "out of memory");
		m->files = nfl;
		if ((nl = mf_grow(ps->lines, m->nfiles, sizeof(*nl))) == NULL)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "out of memory");
		ps->lines = nl;
	}
	fl = &m->files[m->nfiles];
	memset(fl, 0, sizeof(*fl));
	if (!mf_name_okn(f[1].p, f[1].n))
		return mf_seterr(ps->err, ps->errlen, ps->lineno, "bad name");
	memcpy(fl->name, f[1].p, f[1].n);
	if (mf_dec(&f[2], 0, MF_MAXSIZE, &fl->size) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno, "bad size");
	if (mf_hash(&f[3], fl->sha) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad sha256");
	if (mf_dec(&f[4], 0, MF_MAXSIZE, &fl->zsize) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno, "bad zsize");
	if (mf_hash(&f[5], fl->zsha) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad zsha256");
	ps->lines[m->nfiles++] = ps->lineno;
	return 0;
}

/* mf_line_delta - "delta NAME FROMSHA ZSIZE ZSHA256" */
static int
mf_line_delta(struct mf_parser *ps, const struct mf_field *f, int nf)
{
	struct mf_file	*fl;
	struct mf_delta	*d, *nd;

	if (nf != 5)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "wrong number of fields");
	if (ps->m->nfiles == 0)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "delta before any file");
	fl = &ps->m->files[ps->m->nfiles - 1];
	if (!mf_name_okn(f[1].p, f[1].n))
		return mf_seterr(ps->err, ps->errlen, ps->lineno, "bad name");
	if (f[1].n != strlen(fl->name) || memcmp(f[1].p, fl->name, f[1].n))
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "delta not for the file above");
	if (fl->ndeltas >= MF_MAXDELTAS)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "too many deltas (at most %d)", MF_MAXDELTAS);
	if ((fl->ndeltas & (fl->ndeltas - 1)) == 0) {
		if ((nd = mf_grow(fl->deltas, fl->ndeltas, sizeof(*nd))) ==
		    NULL)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "out of memory");
		fl->deltas = nd;
	}
	d = &fl->deltas[fl->ndeltas];
	if (mf_hash(&f[2], d->from) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad from sha256");
	if (memcmp(d->from, fl->sha, MF_HASHLEN) == 0)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "delta from the file's own sha256");
	if (mf_dec(&f[3], 0, MF_MAXSIZE, &d->zsize) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno, "bad zsize");
	if (mf_hash(&f[4], d->zsha) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad zsha256");
	fl->ndeltas++;
	return 0;
}

/* mf_line_sig - "signature ed25519 KEYID BASE64" */
static int
mf_line_sig(struct mf_parser *ps, const struct mf_field *f, int nf)
{
	uint8_t	 id[8];

	if (nf != 4)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "wrong number of fields");
	if (!mf_is(&f[1], "ed25519"))
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "unknown signature algorithm");
	if (f[2].n != 16 || mf_unhexn(id, f[2].p, 16) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad key id");
	if (mf_b64(&f[3], ps->m->sig, MF_SIGLEN) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "bad signature encoding");
	memcpy(ps->m->keyid, f[2].p, 16);
	ps->m->keyid[16] = '\0';
	ps->m->signed_ = 1;
	return 0;
}

/* mf_line - one line (without its LF) in state *st */
static int
mf_line(struct mf_parser *ps, const char *p, size_t n, enum mf_state *st)
{
	struct mf_field	 f[MF_NFIELDS];
	uint64_t	 v;
	int		 nf;

	if (n == 0)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "empty line");
	if (*st == MF_ST_HEADER) {
		if (n != strlen(MF_HEADER) || memcmp(p, MF_HEADER, n) != 0)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "bad header (not \"" MF_HEADER "\")");
		*st = MF_ST_VERSION;
		return 0;
	}
	if ((nf = mf_split(p, n, f)) == -1)
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "stray space");
	if (*st == MF_ST_VERSION) {
		if (!mf_is(&f[0], "version"))
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "expected version");
		if (nf != 2 || mf_dec(&f[1], 1, MF_MAXVERSION, &v) == -1)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "bad version");
		ps->m->version = v;
		*st = MF_ST_DATE;
		return 0;
	}
	if (*st == MF_ST_DATE) {
		if (!mf_is(&f[0], "date"))
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "expected date");
		if (nf != 2 || mf_date(f[1].p, f[1].n, &ps->m->when) == -1)
			return mf_seterr(ps->err, ps->errlen, ps->lineno,
			    "bad date");
		memcpy(ps->m->date, f[1].p, 20);
		ps->m->date[20] = '\0';
		*st = MF_ST_BODY;
		return 0;
	}
	if (mf_is(&f[0], "file"))
		return mf_line_file(ps, f, nf);
	if (mf_is(&f[0], "delta"))
		return mf_line_delta(ps, f, nf);
	if (mf_is(&f[0], "signature"))
		return mf_line_sig(ps, f, nf);
	if (mf_is(&f[0], "version") || mf_is(&f[0], "date"))
		return mf_seterr(ps->err, ps->errlen, ps->lineno,
		    "duplicate %s", f[0].p[0] == 'v' ? "version" : "date");
	return mf_seterr(ps->err, ps->errlen, ps->lineno, "unknown line type");
}

/* mf_cmp_name - order pointers to files by name, then by position */
static int
mf_cmp_name(const void *a, const void *b)
{
	const struct mf_file	*fa = *(const struct mf_file *const *)a;
	const struct mf_file	*fb = *(const struct mf_file *const *)b;
	int			 c;

	if ((c = strcmp(fa->name, fb->name)) != 0)
		return c;
	return fa < fb ? -1 : fa > fb;
}

/*
 * mf_dup - the earliest file whose name an earlier file already has:
 * 1 and *idx, 0 none, -1 out of memory
 */
static int
mf_dup(const struct mf_file *files, size_t n, size_t *idx)
{
	const struct mf_file	**v;
	size_t			 i, best = SIZE_MAX, j;

	if (n < 2)
		return 0;
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = &files[i];
	qsort(v, n, sizeof(*v), mf_cmp_name);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->name, v[i]->name) != 0)
			continue;
		j = (size_t)(v[i] - files);
		if (j < best)
			best = j;
	}
	free(v);
	if (best == SIZE_MAX)
		return 0;
	*idx = best;
	return 1;
}

/* mf_parse - see manifest.h */
int
mf_parse(const char *text, size_t len, struct manifest *m, char *err,
    size_t errlen)
{
	struct mf_parser ps = { .m = m, .err = err, .errlen = errlen };
	enum mf_state	 st = MF_ST_HEADER;
	const char	*nl;
	size_t		 off = 0, lim, dup;
	int		 rc = -1, r;

	memset(m, 0, sizeof(*m));
	lim = len < MF_MAXTEXT ? len : MF_MAXTEXT;
	while (off < len && !m->signed_) {
		ps.lineno++;
		if ((nl = memchr(text + off, '\n', lim - off)) == NULL) {
			if (len > MF_MAXTEXT)
				mf_seterr(err, errlen, ps.lineno,
				    "manifest larger than %zu bytes",
				    MF_MAXTEXT);
			else
				mf_seterr(err, errlen, ps.lineno,
				    "missing newline");
			goto out;
		}
		if (mf_line(&ps, text + off, (size_t)(nl - (text + off)),
		    &st) == -1)
			goto out;
		if (m->signed_)
			m->signed_len = off;
		off = (size_t)(nl - text) + 1;
	}
	if (off < len) {
		mf_seterr(err, errlen, ps.lineno + 1,
		    "text after the signature line");
		goto out;
	}
	if (st != MF_ST_BODY) {
		mf_seterr(err, errlen, ps.lineno + 1, st == MF_ST_HEADER ?
		    "bad header (not \"" MF_HEADER "\")" : st == MF_ST_VERSION ?
		    "expected version" : "expected date");
		goto out;
	}
	if ((r = mf_dup(m->files, m->nfiles, &dup)) != 0) {
		if (r == -1)
			mf_seterr(err, errlen, 0, "out of memory");
		else
			mf_seterr(err, errlen, ps.lines[dup],
			    "duplicate file name %s", m->files[dup].name);
		goto out;
	}
	rc = 0;
out:
	free(ps.lines);
	if (rc == -1)
		mf_free(m);
	return rc;
}

/* mf_free - frees files and deltas, zeroes *m */
void
mf_free(struct manifest *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; m->files != NULL && i < m->nfiles; i++)
		free(m->files[i].deltas);
	free(m->files);
	memset(m, 0, sizeof(*m));
}

/* mf_file_ok - f holds a valid file per the spec (name, sizes, deltas) */
static int
mf_file_ok(const struct mf_file *f)
{
	size_t	 i;

	if (!mf_name_ok(f->name) || f->size > MF_MAXSIZE ||
	    f->zsize > MF_MAXSIZE || f->ndeltas > MF_MAXDELTAS ||
	    (f->ndeltas > 0 && f->deltas == NULL))
		return 0;
	for (i = 0; i < f->ndeltas; i++)
		if (f->deltas[i].zsize > MF_MAXSIZE ||
		    memcmp(f->deltas[i].from, f->sha, MF_HASHLEN) == 0)
			return 0;
	return 1;
}

/* mf_datestr - m's date as text (from when when date is empty); 0 / -1 */
static int
mf_datestr(const struct manifest *m, char out[21])
{
	struct tm	 tm;
	time_t		 t;

	if (m->date[0] != '\0') {
		if (memchr(m->date, '\0', sizeof(m->date)) == NULL ||
		    strlen(m->date) != 20)
			return -1;
		memcpy(out, m->date, 21);
	} else if (gmtime_r(&m->when, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return -1;
	return mf_date(out, 20, &t);
}

/* mf_emit - the lines of a valid m into out, stopping past MF_MAXTEXT */
static int
mf_emit(const struct manifest *m, const char *date, struct strbuf *out)
{
	const struct mf_file	*f;
	char			 h1[2 * MF_HASHLEN + 1];
	char			 h2[2 * MF_HASHLEN + 1];
	size_t			 i, j, start = out->len;

	if (strbuf_printf(out, MF_HEADER "\nversion %llu\ndate %s\n",
	    (unsigned long long)m->version, date) == -1)
		return -1;
	for (i = 0; i < m->nfiles; i++) {
		f = &m->files[i];
		mf_hex(h1, f->sha);
		mf_hex(h2, f->zsha);
		if (strbuf_printf(out, "file %s %llu %s %llu %s\n", f->name,
		    (unsigned long long)f->size, h1,
		    (unsigned long long)f->zsize, h2) == -1)
			return -1;
		for (j = 0; j < f->ndeltas; j++) {
			mf_hex(h1, f->deltas[j].from);
			mf_hex(h2, f->deltas[j].zsha);
			if (strbuf_printf(out, "delta %s %s %llu %s\n",
			    f->name, h1,
			    (unsigned long long)f->deltas[j].zsize, h2) == -1)
				return -1;
		}
		if (out->len - start > MF_MAXTEXT) {
			errno = E2BIG;
			return -1;
		}
	}
	return 0;
}

/* mf_format - see manifest.h */
int
mf_format(const struct manifest *m, struct strbuf *out)
{
	char	 date[21];
	size_t	 i, start = out->len, dup;
	int	 r;

	if (m->version < 1 || m->version > MF_MAXVERSION ||
	    mf_datestr(m, date) == -1 || m->nfiles > MF_MAXFILES ||
	    (m->nfiles > 0 && m->files == NULL)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < m->nfiles; i++)
		if (!mf_file_ok(&m->files[i])) {
			errno = EINVAL;
			return -1;
		}
	if ((r = mf_dup(m->files, m->nfiles, &dup)) != 0) {
		errno = r == -1 ? ENOMEM : EINVAL;
		return -1;
	}
	if (mf_emit(m, date, out) == -1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return -1;
	}
	return 0;
}

/* mf_keyid - the spec's key id of pub */
static void
mf_keyid(const uint8_t pub[32], char id[17])
{
	static const char	 hx[] = "0123456789abcdef";
	uint8_t			 h[16];
	int			 i;

	crypto_generichash(h, sizeof(h), pub, 32, NULL, 0);
	for (i = 0; i < 8; i++) {
		id[2 * i] = hx[h[i] >> 4];
		id[2 * i + 1] = hx[h[i] & 15];
	}
	id[16] = '\0';
}

/* mf_sign - see manifest.h */
int
mf_sign(struct strbuf *out, const struct vkey *k)
{
	uint8_t	 sig[MF_SIGLEN];
	char	 b64[MF_SIGB64 + 1], id[17];

	if (mf_sodium() == -1)
		return -1;
	if (!k->has_sec || out->len == 0 || out->data == NULL ||
	    out->data[out->len - 1] != '\n') {
		errno = EINVAL;
		return -1;
	}
	if (out->len > MF_MAXTEXT - MF_SIGLINE) {
		errno = E2BIG;
		return -1;
	}
	if (crypto_sign_detached(sig, NULL, (const uint8_t *)out->data,
	    out->len, k->sec) != 0) {
		errno = EINVAL;
		return -1;
	}
	mf_keyid(k->pub, id);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig),
	    sodium_base64_VARIANT_ORIGINAL);
	return strbuf_printf(out, "signature ed25519 %s %s\n", id, b64);
}

/* mf_verify - see manifest.h */
int
mf_verify(const char *text, const struct manifest *m,
    const struct vkey *keys, size_t nkeys, size_t *which, char *err,
    size_t errlen)
{
	char	 id[17];
	size_t	 i;
	int	 known = 0;

	if (!m->signed_)
		return mf_seterr(err, errlen, 0, "unsigned");
	if (mf_sodium() == -1)
		return mf_seterr(err, errlen, 0, "libsodium unusable");
	for (i = 0; i < nkeys; i++) {
		mf_keyid(keys[i].pub, id);
		if (strcmp(id, m->keyid) != 0)
			continue;
		known = 1;
		if (crypto_sign_verify_detached(m->sig,
		    (const uint8_t *)text, m->signed_len, keys[i].pub) == 0) {
			if (which != NULL)
				*which = i;
			return 0;
		}
	}
	if (known)
		return mf_seterr(err, errlen, 0, "bad signature");
	return mf_seterr(err, errlen, 0, "untrusted key %s", m->keyid);
}

/* mf_find - the file named name, or NULL */
const struct mf_file *
mf_find(const struct manifest *m, const char *name)
{
	size_t	 i;

	for (i = 0; i < m->nfiles; i++)
		if (strcmp(m->files[i].name, name) == 0)
			return &m->files[i];
	return NULL;
}

/* mf_add_file - see manifest.h */
int
mf_add_file(struct manifest *m, const struct mf_file *f)
{
	struct mf_file	*nf, *dst;
	struct mf_delta	*d = NULL;

	if (f->ndeltas > MF_MAXDELTAS || m->nfiles >= MF_MAXFILES) {
		errno = E2BIG;
		return -1;
	}
	if (!mf_file_ok(f)) {
		errno = EINVAL;
		return -1;
	}
	if (mf_find(m, f->name) != NULL) {
		errno = EEXIST;
		return -1;
	}
	if (f->ndeltas > 0) {
		if ((d = malloc(f->ndeltas * sizeof(*d))) == NULL)
			return -1;
		memcpy(d, f->deltas, f->ndeltas * sizeof(*d));
	}
	/* a realloc to the size it has is cheap; the size is a power of 2 */
	if ((nf = mf_grow(m->files, m->nfiles, sizeof(*nf))) == NULL) {
		free(d);
		return -1;
	}
	m->files = nf;
	dst = &m->files[m->nfiles++];
	*dst = *f;
	dst->deltas = d;
	return 0;
}

/* mf_hex - 64 lowercase hex digits and a NUL */
void
mf_hex(char out[2 * MF_HASHLEN + 1], const uint8_t h[MF_HASHLEN])
{
	static const char	 hx[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < MF_HASHLEN; i++) {
		out[2 * i] = hx[h[i] >> 4];
		out[2 * i + 1] = hx[h[i] & 15];
	}
	out[2 * MF_HASHLEN] = '\0';
}

/* mf_unhex - exactly 64 lowercase hex digits then NUL; 0 / -1 */
int
mf_unhex(uint8_t h[MF_HASHLEN], const char *s)
{
	uint8_t	 t[MF_HASHLEN];
	size_t	 i;

	for (i = 0; i < 2 * MF_HASHLEN; i++)
		if (s[i] == '\0')
			return -1;
	if (s[2 * MF_HASHLEN] != '\0' || mf_unhexn(t, s, 2 * MF_HASHLEN))
		return -1;
	memcpy(h, t, sizeof(t));
	return 0;
}

/* vkey_id - computes k->id from k->pub */
void
vkey_id(struct vkey *k)
{
	(void)mf_sodium();
	mf_keyid(k->pub, k->id);
}

/* vkey_generate - a new key pair */
int
vkey_generate(struct vkey *k)
{
	memset(k, 0, sizeof(*k));
	if (mf_sodium() == -1 || crypto_sign_keypair(k->pub, k->sec) != 0)
		return -1;
	k->has_sec = 1;
	mf_keyid(k->pub, k->id);
	return 0;
}

/* vkey_secret - k from a 64-byte secret key whose halves must agree */
static int
vkey_secret(struct vkey *k, const uint8_t sec[64])
{
	uint8_t	 seed[32], pk[32], sk[64];
	int	 rc = -1;

	crypto_sign_ed25519_sk_to_seed(seed, sec);
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    sodium_memcmp(sk, sec, 64) != 0)
		goto out;
	memcpy(k->sec, sec, 64);
	memcpy(k->pub, pk, 32);
	k->has_sec = 1;
	rc = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

/* vkey_line - one key line into k; 0 / -1 with err */
static int
vkey_line(const char *p, size_t n, size_t lineno, struct vkey *k,
    char *err, size_t errlen)
{
	struct mf_field	 f;
	uint8_t		 buf[64];
	size_t		 tl = strlen(MF_PUBTAG);
	int		 sec, rc = -1;

	if (n >= tl && memcmp(p, MF_PUBTAG, tl) == 0)
		sec = 0;
	else if (n >= tl && memcmp(p, MF_SECTAG, tl) == 0)
		sec = 1;
	else
		return mf_seterr(err, errlen, lineno, "not a key line");
	f.p = p + tl;
	f.n = n - tl;
	if (mf_b64(&f, buf, sec ? 64 : 32) == -1) {
		mf_seterr(err, errlen, lineno, "bad base64");
		goto out;
	}
	if (!sec)
		memcpy(k->pub, buf, 32);
	else if (vkey_secret(k, buf) == -1) {
		mf_seterr(err, errlen, lineno,
		    "secret key does not match its public half");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* vkey_parse - see manifest.h */
int
vkey_parse(const char *text, size_t len, struct vkey *k, char *err,
    size_t errlen)
{
	const char	*nl;
	size_t		 off = 0, n, lineno = 0;
	int		 got = 0;

	memset(k, 0, sizeof(*k));
	if (mf_sodium() == -1)
		return mf_seterr(err, errlen, 0, "libsodium unusable");
	if (len > MF_KEYMAX)
		return mf_seterr(err, errlen, 0, "key file too large");
	while (off < len) {
		lineno++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (n > 0 && text[off] != '#') {
			if (got) {
				mf_seterr(err, errlen, lineno,
				    "more than one key");
				goto fail;
			}
			if (vkey_line(text + off, n, lineno, k, err,
			    errlen) == -1)
				goto fail;
			got = 1;
		}
		off += n + 1;
	}
	if (!got)
		return mf_seterr(err, errlen, 0, "no key");
	mf_keyid(k->pub, k->id);
	return 0;
fail:
	sodium_memzero(k, sizeof(*k));
	return -1;
}

/* vkey_read - see manifest.h */
int
vkey_read(const char *path, struct vkey *k, char *err, size_t errlen)
{
	char	 buf[MF_KEYMAX + 1], why[256];
	size_t	 len = 0;
	ssize_t	 r;
	int	 fd, rc = -1;

	memset(k, 0, sizeof(*k));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return mf_seterr(err, errlen, 0, "%s: %s", path,
		    strerror(errno));
	while (len < sizeof(buf)) {
		if ((r = read(fd, buf + len, sizeof(buf) - len)) == -1) {
			if (errno == EINTR)
				continue;
			mf_seterr(err, errlen, 0, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (vkey_parse(buf, len, k, why, sizeof(why)) == -1) {
		mf_seterr(err, errlen, 0, "%s: %s", path, why);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, len);
	close(fd);
	return rc;
}

/* vkey_put - create path with mode and write text; 0 / -1 with err */
static int
vkey_put(const char *path, const char *text, mode_t mode, int force,
    char *err, size_t errlen)
{
	size_t	 off = 0, len = strlen(text);
	ssize_t	 w;
	int	 fd;

	if (force && unlink(path) == -1 && errno != ENOENT)
		return mf_seterr(err, errlen, 0, "%s: %s", path,
		    strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode)) == -1)
		return mf_seterr(err, errlen, 0, "%s: %s", path,
		    strerror(errno));
	if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		if ((w = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	mf_seterr(err, errlen, 0, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(path);
	return -1;
}

/* vkey_write - see manifest.h */
int
vkey_write(const struct vkey *k, const char *secpath, const char *pubpath,
    int force, char *err, size_t errlen)
{
	char		 st[sizeof(MF_SECTAG) + MF_SIGB64 + 2];
	char		 pt[sizeof(MF_PUBTAG) + MF_PUBB64 + 2];
	char		 b64[MF_SIGB64 + 1], pb64[MF_PUBB64 + 1];
	struct stat	 sb;
	int		 rc = -1;

	if (mf_sodium() == -1)
		return mf_seterr(err, errlen, 0, "libsodium unusable");
	if (secpath != NULL && !k->has_sec)
		return mf_seterr(err, errlen, 0, "%s: no secret key",
		    secpath);
	if (!force && secpath != NULL && pubpath != NULL &&
	    lstat(pubpath, &sb) == 0)
		return mf_seterr(err, errlen, 0, "%s: %s", pubpath,
		    strerror(EEXIST));
	sodium_bin2base64(b64, sizeof(b64), k->sec, 64,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(st, sizeof(st), "%s%s\n", MF_SECTAG, b64);
	sodium_bin2base64(pb64, sizeof(pb64), k->pub, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(pt, sizeof(pt), "%s%s\n", MF_PUBTAG, pb64);
	if (secpath != NULL &&
	    vkey_put(secpath, st, 0600, force, err, errlen) == -1)
		goto out;
	if (pubpath != NULL &&
	    vkey_put(pubpath, pt, 0644, force, err, errlen) == -1) {
		if (secpath != NULL && !force)
			unlink(secpath);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(st, sizeof(st));
	sodium_memzero(b64, sizeof(b64));
	return rc;
}
