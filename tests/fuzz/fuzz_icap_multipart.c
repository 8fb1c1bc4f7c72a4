/*
 * fuzz_icap_multipart.c - multipart boundaries and bodies
 *
 * The first line of the input (up to LF) is a Content-Type value, the
 * rest the body, each in an exact-size heap copy.  When the value yields
 * no boundary, its first bytes are used as one anyway, so mp_parts also
 * sees boundaries mp_boundary would refuse.  Every part must lie inside
 * the body, in order, with terminated, lower-case-typed fields; splitting
 * with room for no parts must count the same and agree on *complete.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icap_multipart.h"

#define FZ_MAX	8

/* fz_dup - an exact-size heap copy of n bytes (1 byte when n is 0) */
static char *
fz_dup(const uint8_t *p, size_t n)
{
	char	*c;

	if ((c = malloc(n > 0 ? n : 1)) != NULL && n > 0)
		memcpy(c, p, n);
	return c;
}

/* fz_part - one part's fields are sane */
static void
fz_part(const struct mp_part *pt, size_t blen)
{
	const char	*c;

	if (pt->off > blen || pt->len > blen - pt->off ||
	    memchr(pt->name, '\0', sizeof(pt->name)) == NULL ||
	    memchr(pt->filename, '\0', sizeof(pt->filename)) == NULL ||
	    memchr(pt->type, '\0', sizeof(pt->type)) == NULL ||
	    (pt->enc != 0 && pt->enc != MP_B64 && pt->enc != MP_QP))
		abort();
	for (c = pt->type; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
	if (pt->type[0] != '\0' && strchr(pt->type, '/') == NULL)
		abort();
}

/* fz_split - split body on boundary b and check the result */
static void
fz_split(const char *body, size_t blen, const char *b)
{
	static struct mp_part	 out[FZ_MAX];
	int			 n, n0, complete = -1, c0 = -1;
	size_t			 i;

	n = mp_parts(body, blen, b, out, FZ_MAX, &complete);
	n0 = mp_parts(body, blen, b, NULL, 0, &c0);
	if (n != n0 || complete != c0 || n < -1 || complete < 0 ||
	    complete > 1 || (n == -1 && complete != 0))
		abort();
	for (i = 0; n > 0 && i < (size_t)n && i < FZ_MAX; i++) {
		fz_part(&out[i], blen);
		if (i > 0 && out[i].off < out[i - 1].off + out[i - 1].len)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nl;
	char		*ct, *body, b[MP_BOUNDARY_MAX + 1];
	size_t		 clen, k;

	nl = memchr(data, '\n', size);
	clen = nl != NULL ? (size_t)(nl - data) : size;
	ct = fz_dup(data, clen);
	body = fz_dup(data + clen + (nl != NULL), size - clen - (nl != NULL));
	if (ct == NULL || body == NULL)
		goto out;
	if (mp_boundary(ct, clen, b, sizeof(b)) == 0) {
		k = strlen(b);
		if (k == 0 || k > MP_BOUNDARY_MAX || b[k - 1] == ' ')
			abort();
	} else {
		k = clen < MP_BOUNDARY_MAX + 1 ? clen : MP_BOUNDARY_MAX;
		memcpy(b, ct, k);
		b[k] = '\0';
	}
	fz_split(body, size - clen - (nl != NULL), b);
out:
	free(ct);
	free(body);
	return 0;
}
