/*
 * fuzz_icap_spool.c - the body spool and its gzip/deflate decoder
 *
 * The first byte picks the coding (gzip, deflate, identity) and seeds the
 * piece sizes; the rest is the body.  It is spooled twice with dec_max
 * 1 MiB: in pieces of 1 to 70000 bytes derived from the seed and the
 * data, and in one write.  Both must agree on every outcome and on every
 * decoded byte (any split gives the same result), the raw must read back
 * exactly, the decoded length must respect the limit, and spool_scan_fd
 * must follow its contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "icap_spool.h"

#define FZ_DECMAX	(1024 * 1024)

/* fz_piece - the next piece size from the generator state */
static size_t
fz_piece(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	switch (*x % 4) {
	case 0:
		return 1;
	case 1:
		return 1 + (*x >> 8) % 16;
	case 2:
		return 1 + (*x >> 8) % 4096;
	default:
		return 1 + (*x >> 8) % 70000;
	}
}

/* fz_spool - spool body in pieces (or whole when x is NULL) into s */
static void
fz_spool(struct spool *s, unsigned enc, const uint8_t *p, size_t n,
    uint32_t *x)
{
	size_t	 k;

	if (spool_open(s, enc, FZ_DECMAX) == -1)
		abort();
	while (n > 0) {
		k = x != NULL ? fz_piece(x) : n;
		k = k < n ? k : n;
		if (spool_write(s, p, k) == -1)
			abort();
		p += k;
		n -= k;
	}
	if (spool_finish(s) == -1)
		abort();
}

/* fz_same - the decoded files of a and b hold the same bytes */
static void
fz_same(const struct spool *a, const struct spool *b)
{
	static unsigned char	 ba[FZ_DECMAX], bb[FZ_DECMAX];

	if (a->dec_fd == -1)
		return;
	if (pread(a->dec_fd, ba, a->dec_len, 0) != (ssize_t)a->dec_len ||
	    pread(b->dec_fd, bb, b->dec_len, 0) != (ssize_t)b->dec_len ||
	    memcmp(ba, bb, a->dec_len) != 0)
		abort();
}

/* fz_check - the contract for one spool of body p, n */
static void
fz_check(struct spool *s, const uint8_t *p, size_t n)
{
	static unsigned char	 buf[4096];
	uint64_t		 off, len;
	ssize_t			 r;
	int			 fd;

	if (s->raw_len != n || s->dec_len > FZ_DECMAX || s->dec_state < -1 ||
	    s->dec_state > 1 || (s->dec_truncated && s->dec_len != FZ_DECMAX))
		abort();
	for (off = 0; off < n; off += (uint64_t)r) {
		r = spool_pread(s, buf, sizeof(buf), off);
		if (r <= 0 || memcmp(buf, p + off, (size_t)r) != 0)
			abort();
	}
	if (spool_pread(s, buf, sizeof(buf), n) != 0)
		abort();
	fd = spool_scan_fd(s, &len);
	if (fd == s->dec_fd ? (len != s->dec_len || (s->dec_state != 1 &&
	    !s->dec_truncated)) : (fd != s->raw_fd || len != n ||
	    (s->dec_fd != -1 && (s->dec_state == 1 || s->dec_truncated))))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned	 encs[] = { SPOOL_GZIP, SPOOL_DEFLATE, 4 };
	struct spool		 a, b;
	uint32_t		 x;
	unsigned		 enc;

	if (size == 0)
		return 0;
	enc = encs[data[0] % 3];
	x = 0x9e3779b9u ^ data[0] ^ (uint32_t)size << 8;
	fz_spool(&a, enc, data + 1, size - 1, &x);
	fz_spool(&b, enc, data + 1, size - 1, NULL);
	fz_check(&a, data + 1, size - 1);
	fz_check(&b, data + 1, size - 1);
	if (a.dec_len != b.dec_len || a.dec_state != b.dec_state ||
	    a.dec_truncated != b.dec_truncated ||
	    a.dec_trailing != b.dec_trailing)
		abort();
	fz_same(&a, &b);
	spool_close(&a);
	spool_close(&b);
	return 0;
}
