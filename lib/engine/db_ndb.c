/*
 * db_ndb.c - body signatures (.ndb, and .ndu as extended-set ones)
 *
 * Line format, as ClamAV documents it:
 *	NAME:TARGET:OFFSET:HEXSIG[:MINFL[:MAXFL]]
 * TARGET 0 (any file), 1 (PE), 6 (ELF), 9 (Mach-O) and 4 (a mail
 * message or mbox file, as it is) are evaluated on the raw object; other
 * targets (normalised HTML and text, PDF, ...) need normalisers vigil
 * does not have yet, so such signatures are counted as skipped.  OFFSET is one of the forms off_parse() takes.
 * The hex signature is compiled by pattern.c.
 *
 * Also here: the offset parser and the small field helpers every
 * signature parser shares.  Offsets: "*", "n", "n,m", "EOF-n[,m]",
 * "EP+n[,m]", "EP-n[,m]", "Sx+n[,m]", "SL+n[,m]", and "SEx" (a start
 * anywhere in section x, as ClamAV reads it: [start, start + size]).
 */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "pattern.h"

/* field_next - next sep-separated field; *p passes end after the last */
size_t
field_next(const char **p, const char *end, int sep, const char **f)
{
	const char	*q;
	size_t		 n;

	*f = *p;
	q = memchr(*p, sep, (size_t)(end - *p));
	if (q == NULL) {
		n = (size_t)(end - *p);
		*p = end + 1;
	} else {
		n = (size_t)(q - *p);
		*p = q + 1;
	}
	return n;
}

/* parse_u32 - decimal number of [s, s+n); -1 if empty, bad or too large */
static int
parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* flevel_ok - are we within [MinFL, MaxFL]? */
int
flevel_ok(const char *minfl, size_t minn, const char *maxfl, size_t maxn)
{
	uint32_t v;

	if (minfl != NULL && minn > 0) {
		if (parse_u32(minfl, minn, &v) == -1)
			return -1;
		if (v > VIGIL_FLEVEL)
			return 0;
	}
	if (maxfl != NULL && maxn > 0) {
		if (parse_u32(maxfl, maxn, &v) == -1)
			return -1;
		if (v < VIGIL_FLEVEL)
			return 0;
	}
	return 1;
}

/* off_parse - parse an offset specification */
int
off_parse(const char *s, size_t n, struct img_off_spec *o, char *why,
    size_t wl)
{
	const char	*comma, *num;
	size_t		 nn, base_len;
	uint32_t	 v, x;
	int		 neg = 0;

	memset(o, 0, sizeof(*o));
	if (n == 1 && s[0] == '*') {
		o->kind = OFF_ANY;
		return 0;
	}
	comma = memchr(s, ',', n);
	base_len = comma ? (size_t)(comma - s) : n;
	if (comma != NULL && parse_u32(comma + 1,
	    n - base_len - 1, &o->m) == -1)
		goto bad;
	if (base_len > 4 && memcmp(s, "EOF-", 4) == 0) {
		o->kind = OFF_EOF;
		num = s + 4;
		nn = base_len - 4;
		neg = 1;
	} else if (base_len > 3 && memcmp(s, "EP", 2) == 0 &&
	    (s[2] == '+' || s[2] == '-')) {
		o->kind = OFF_EP;
		neg = s[2] == '-';
		num = s + 3;
		nn = base_len - 3;
	} else if (base_len > 3 && memcmp(s, "SL+", 3) == 0) {
		o->kind = OFF_SLAST;
		num = s + 3;
		nn = base_len - 3;
	} else if (comma == NULL && base_len > 2 && s[0] == 'S' &&
	    s[1] == 'E') {
		if (parse_u32(s + 2, base_len - 2, &x) == -1 || x > UINT16_MAX)
			goto bad;
		o->kind = OFF_SENTIRE;
		o->section = (uint16_t)x;
		return 0;
	} else if (base_len > 2 && s[0] == 'S' && s[1] >= '0' && s[1] <= '9') {
		const char *plus = memchr(s, '+', base_len);

		if (plus == NULL ||
		    parse_u32(s + 1, (size_t)(plus - s - 1), &x) == -1 ||
		    x > UINT16_MAX)
			goto bad;
		o->kind = OFF_SECT;
		o->section = (uint16_t)x;
		num = plus + 1;
		nn = base_len - (size_t)(plus + 1 - s);
	} else {
		o->kind = OFF_ABS;
		num = s;
		nn = base_len;
	}
	if (parse_u32(num, nn, &v) == -1)
		goto bad;
	o->n = neg ? -(int32_t)v : (int32_t)v;
	return 0;
bad:
	snprintf(why, wl, "bad offset '%.*s'", (int)(n > 40 ? 40 : n), s);
	return -1;
}

/* target_ok - can vigil evaluate this target type? (4: mail, as it is) */
int
target_ok(long t)
{
	return t == 0 || t == 1 || t == 4 || t == 6 || t == 9;
}

/* db_ndb_line - parse one body signature */
int
db_ndb_line(struct builder *b, const char *line, size_t len, char *why,
    size_t wl)
{
	const char	*p = line, *end = line + len, *f[6];
	size_t		 fl[6], nf = 0, blob;
	struct img_body	 bs;
	uint32_t	 target;
	long		 sig;
	int		 ok;

	while (p <= end && nf < 6) {
		fl[nf] = field_next(&p, end, ':', &f[nf]);
		nf++;
	}
	if (p <= end || nf < 4) {
		snprintf(why, wl, nf < 4 ?
		    "expected NAME:TARGET:OFFSET:HEXSIG" : "too many fields");
		return -1;
	}
	if (fl[0] == 0) {
		snprintf(why, wl, "empty signature name");
		return -1;
	}
	if (parse_u32(f[1], fl[1], &target) == -1 || target > 14) {
		snprintf(why, wl, "bad target type '%.*s'",
		    (int)(fl[1] > 20 ? 20 : fl[1]), f[1]);
		return -1;
	}
	memset(&bs, 0, sizeof(bs));
	if (off_parse(f[2], fl[2], &bs.off, why, wl) == -1)
		return -1;
	if ((ok = flevel_ok(nf > 4 ? f[4] : NULL, nf > 4 ? fl[4] : 0,
	    nf > 5 ? f[5] : NULL, nf > 5 ? fl[5] : 0)) == -1) {
		snprintf(why, wl, "bad functionality level field");
		return -1;
	}
	/* compile first: a malformed pattern is an error even if skipped */
	if (pat_compile(f[3], fl[3], 0, &b->pat, &blob, why, wl) == -1)
		return -1;
	if (ok == 0) {
		builder_skip(b, SKIP_FLEVEL);
		return 0;
	}
	if (!target_ok(target)) {
		builder_skip(b, SKIP_TARGET);
		return 0;
	}
	if ((sig = builder_sig(b, f[0], fl[0], SIGK_BODY)) == -2)
		return 0;
	if (sig < 0)
		return -2;
	bs.sig = (uint32_t)sig;
	bs.pat = (uint32_t)blob;
	bs.target = (int8_t)target;
	return strbuf_append(&b->body, &bs, sizeof(bs)) == -1 ? -2 : 0;
}
