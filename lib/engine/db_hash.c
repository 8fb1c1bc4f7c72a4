/*
 * db_hash.c - hash signatures (.hdb .hsb) and allow-lists (.fp .sfp)
 *
 * Line format, as ClamAV documents it:
 *	HASH:SIZE:NAME[:MINFL[:MAXFL]]
 * HASH is MD5, SHA-1 or SHA-256 by its length (32, 40, 64 hex digits),
 * SIZE a decimal byte count or "*" (any size).  Allow-list lines have
 * the same shape; their NAME is informative only.
 *
 * DESIGN: entries go to one array per digest kind; build.c sorts them by
 * digest then size and records, per size, which digests a file of that
 * size needs, so a scan computes only those.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "hexdigit.h"

/* hex_decode - n hex digits into n/2 bytes; -1 on a bad digit */
static int
hex_decode(const char *s, size_t n, uint8_t *out)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i < n; i += 2) {
		if ((hi = hex_digit(s[i])) < 0 || (lo = hex_digit(s[i + 1])) < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* parse_size - decimal size or "*" */
static int
parse_size(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t	 i;

	if (n == 1 && s[0] == '*') {
		*out = IMG_ANYSIZE;
		return 0;
	}
	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= IMG_ANYSIZE)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* db_hash_line - parse one hash or allow-list line */
int
db_hash_line(struct builder *b, const char *line, size_t len, int allow,
    char *why, size_t wl)
{
	const char	*p = line, *end = line + len, *f[5];
	size_t		 fl[5], nf = 0;
	uint8_t		 dig[32];
	uint32_t	 size;
	long		 sig = 0;
	int		 kind, ok;

	while (p <= end && nf < 5) {
		fl[nf] = field_next(&p, end, ':', &f[nf]);
		nf++;
	}
	if (p <= end || nf < 3) {
		snprintf(why, wl, nf < 3 ? "expected HASH:SIZE:NAME" :
		    "too many fields");
		return -1;
	}
	switch (fl[0]) {
	case 32: kind = 0; break;
	case 40: kind = 1; break;
	case 64: kind = 2; break;
	default:
		snprintf(why, wl, "hash has %zu digits, not 32, 40 or 64",
		    fl[0]);
		return -1;
	}
	if (hex_decode(f[0], fl[0], dig) == -1) {
		snprintf(why, wl, "bad hex digit in hash");
		return -1;
	}
	if (parse_size(f[1], fl[1], &size) == -1) {
		snprintf(why, wl, "bad size field");
		return -1;
	}
	if (fl[2] == 0) {
		snprintf(why, wl, "empty signature name");
		return -1;
	}
	ok = flevel_ok(nf > 3 ? f[3] : NULL, nf > 3 ? fl[3] : 0,
	    nf > 4 ? f[4] : NULL, nf > 4 ? fl[4] : 0);
	if (ok == -1) {
		snprintf(why, wl, "bad functionality level field");
		return -1;
	}
	if (ok == 0) {
		builder_skip(b, SKIP_FLEVEL);
		return 0;
	}
	if (!allow) {
		sig = builder_sig(b, f[2], fl[2], SIGK_HASH);
		if (sig == -2)
			return 0;
		if (sig < 0)
			return -2;
	}
	return db_hash_add(b, allow, kind, dig, size, (uint32_t)sig);
}

/* db_hash_add - append one digest entry to its array */
int
db_hash_add(struct builder *b, int allow, int kind, const uint8_t *dig,
    uint32_t size, uint32_t sig)
{
	struct img_hash16 h16;
	struct img_hash20 h20;
	struct img_hash32 h32;
	struct strbuf	*sb = allow ? &b->fp[kind] : &b->hash[kind];
	int		 rc;

	if (size == IMG_ANYSIZE) {
		if (allow)
			b->fp_anysize_need |= 1u << kind;
		else
			b->anysize_need |= 1u << kind;
	}
	switch (kind) {
	case 0:
		memcpy(h16.d, dig, 16);
		h16.size = size;
		h16.sig = sig;
		rc = strbuf_append(sb, &h16, sizeof(h16));
		break;
	case 1:
		memcpy(h20.d, dig, 20);
		h20.size = size;
		h20.sig = sig;
		rc = strbuf_append(sb, &h20, sizeof(h20));
		break;
	default:
		memcpy(h32.d, dig, 32);
		h32.size = size;
		h32.sig = sig;
		rc = strbuf_append(sb, &h32, sizeof(h32));
		break;
	}
	return rc == -1 ? -2 : 0;
}
