/*
 * fuzz_icap_chunk.c - the chunked body decoder of vigil-icapd
 *
 * The input is decoded whole, byte by byte and in pseudo-random pieces,
 * with no limit and with a limit of a third of its size; every way must
 * give the same data, bytes consumed, done, ieof and error.  A body that
 * decodes is framed again with chunk_head in other pieces and must decode
 * back to the same data.  Last, the input's first bytes as a number make
 * a chunk_head line that must decode to that chunk size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icap_chunk.h"

struct fz_out {
	char		*buf;		/* the data, at most the input's size */
	size_t		 len, cap;
	ssize_t		 used;		/* consumed in all, or -1 */
	struct chunk_dec d;
};

/* fz_data - collect the data; never more than the input held */
static int
fz_data(void *arg, const char *p, size_t n)
{
	struct fz_out	*o = arg;

	if (n == 0 || n > o->cap - o->len)
		abort();
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* fz_decode - feed in pieces of at most step bytes (0: whole; step
 * SIZE_MAX - 1: pseudo-random sizes from seed) */
static void
fz_decode(const uint8_t *in, size_t len, uint64_t max, size_t step,
    uint32_t seed, struct fz_out *o)
{
	size_t	off = 0, n;
	ssize_t	r;

	chunk_init(&o->d, max);
	o->len = 0;
	o->used = 0;
	do {
		n = len - off;
		if (step == SIZE_MAX - 1) {
			seed = seed * 1103515245u + 12345u;
			if (n > 1 + (seed >> 16) % 64)
				n = 1 + (seed >> 16) % 64;
		} else if (step != 0 && n > step)
			n = step;
		r = chunk_feed(&o->d, (const char *)in + off, n, fz_data, o);
		if (r == -1) {
			o->used = -1;
			break;
		}
		if ((size_t)r > n || (!o->d.done && (size_t)r != n))
			abort();
		o->used += r;
		off += n;
	} while (!o->d.done && off < len);
	if (o->d.total != o->len)
		abort();
	if (o->used == -1 && o->d.error[0] == '\0')
		abort();
}

/* fz_same - two decodes agree */
static void
fz_same(const struct fz_out *a, const struct fz_out *b)
{
	if (a->used != b->used || a->d.done != b->d.done ||
	    a->d.ieof != b->d.ieof || a->d.total != b->d.total ||
	    a->len != b->len || memcmp(a->buf, b->buf, a->len) != 0 ||
	    strcmp(a->d.error, b->d.error) != 0)
		abort();
}

/* fz_reframe - a decoded body framed again decodes to the same data */
static void
fz_reframe(const struct fz_out *a, uint32_t seed)
{
	struct fz_out	 b;
	const char	*end;
	char		*enc;
	size_t		 cap, len = 0, off = 0, n;

	/* each chunk adds at most 20 bytes; chunks are >= 1 byte */
	cap = a->len * 21 + 32;
	if ((enc = malloc(cap)) == NULL)
		return;
	while (off < a->len) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 300;
		if (n > a->len - off)
			n = a->len - off;
		len += chunk_head(enc + len, cap - len, n);
		memcpy(enc + len, a->buf + off, n);
		len += n;
		memcpy(enc + len, "\r\n", 2);
		len += 2;
		off += n;
	}
	end = a->d.ieof ? "0; ieof\r\n\r\nX" : "0\r\n\r\nX";
	memcpy(enc + len, end, strlen(end));
	len += strlen(end);
	b.cap = a->len;
	b.buf = malloc(b.cap + 1);
	if (b.buf != NULL) {
		fz_decode((const uint8_t *)enc, len, a->len, 0, 0, &b);
		if (b.used != (ssize_t)len - 1 || !b.d.done ||
		    b.d.ieof != a->d.ieof || b.len != a->len ||
		    memcmp(a->buf, b.buf, a->len) != 0)
			abort();
	}
	free(b.buf);
	free(enc);
}

/* fz_head - chunk_head's line for a number decodes to that size */
static void
fz_head(const uint8_t *in, size_t len)
{
	struct chunk_dec	 d;
	char			 line[32];
	size_t			 n = 0, hl;

	memcpy(&n, in, len < sizeof(n) ? len : sizeof(n));
	if ((hl = chunk_head(line, sizeof(line), n)) == 0 ||
	    chunk_head(line, hl - 1, n) != 0)
		abort();
	chunk_init(&d, 0);
	if ((uint64_t)n >> 60 != 0) {
		if (chunk_feed(&d, line, hl, NULL, NULL) != -1)
			abort();
		return;
	}
	if (chunk_feed(&d, line, hl, NULL, NULL) != (ssize_t)hl ||
	    d.left != n || d.done)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_out	 o[3];
	uint64_t		 max;
	int			 pass, i;

	for (i = 0; i < 3; i++) {
		o[i].cap = size;
		if ((o[i].buf = malloc(size + 1)) == NULL)
			goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		max = pass == 0 ? 0 : size / 3 + 1;
		fz_decode(data, size, max, 0, 0, &o[0]);
		fz_decode(data, size, max, 1, 0, &o[1]);
		fz_same(&o[0], &o[1]);
		fz_decode(data, size, max, SIZE_MAX - 1, (uint32_t)size,
		    &o[2]);
		fz_same(&o[0], &o[2]);
		if (o[0].d.done)
			fz_reframe(&o[0], (uint32_t)size);
	}
	fz_head(data, size);
out:
	for (i = 0; i < 3; i++) {
		free(o[i].buf);
		o[i].buf = NULL;
	}
	return 0;
}
