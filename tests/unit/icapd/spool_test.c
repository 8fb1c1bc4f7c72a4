/*
 * spool_test.c - the body spool: identity, gzip (one and several members),
 * zlib and raw deflate, corrupt, truncated and trailing data, the bomb
 * limits, and pread; every codec case is fed whole, byte by byte and in
 * odd pieces, which must all agree
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "icap_spool.h"

#define MIB		(1024 * 1024)

struct blob {
	unsigned char	*p;
	size_t		 n;
};

/* squeeze - compress n bytes with windowBits wbits (31 gzip, 15, -15) */
static struct blob
squeeze(const void *in, size_t n, int wbits)
{
	struct blob	 b;
	z_stream	 z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	b.n = deflateBound(&z, n);
	assert_non_null(b.p = malloc(b.n));
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = b.p;
	z.avail_out = (uInt)b.n;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	b.n = z.total_out;
	deflateEnd(&z);
	return b;
}

/* cat - a + b in a new blob; a is freed */
static struct blob
cat(struct blob a, const void *p, size_t n)
{
	assert_non_null(a.p = realloc(a.p, a.n + n + 1));
	memcpy(a.p + a.n, p, n);
	a.n += n;
	return a;
}

/* slurp - the first n bytes of fd */
static unsigned char *
slurp(int fd, uint64_t n)
{
	unsigned char	*p;

	assert_non_null(p = malloc(n + 1));
	assert_int_equal(pread(fd, p, n, 0), (ssize_t)n);
	return p;
}

/* feed - write in pieces of size piece (0: all at once), then finish */
static void
feed(struct spool *s, const struct blob *in, size_t piece)
{
	size_t	 off, k;

	for (off = 0; off < in->n; off += k) {
		k = piece == 0 || piece > in->n - off ? in->n - off : piece;
		assert_int_equal(spool_write(s, in->p + off, k), 0);
	}
	assert_int_equal(spool_finish(s), 0);
	assert_int_equal(s->raw_len, in->n);
}

/* plain - n bytes of compressible text that are not all alike */
static unsigned char *
plain(size_t n, unsigned seed)
{
	static const char *const words[] = { "scan ", "virus ", "clean ",
	    "\r\n", "X5O!P%@AP ", "body ", "gzip " };
	unsigned char	*p;
	size_t		 i = 0, k;

	assert_non_null(p = malloc(n + 1));
	while (i < n) {
		seed = seed * 1103515245 + 12345;
		k = strlen(words[(seed >> 16) % 7]);
		k = k < n - i ? k : n - i;
		memcpy(p + i, words[(seed >> 16) % 7], k);
		i += k;
	}
	return p;
}

enum mangle { M_NONE, M_FLIP, M_HALF, M_LAST, M_GARBAGE, M_MAGIC1,
	M_TWO, M_NOTZ, M_EMPTY };

static const struct {
	const char	*what;
	unsigned	 enc;
	int		 wbits;		/* how the test compresses */
	size_t		 n;		/* plain bytes */
	enum mangle	 m;
	int		 state;		/* dec_state after finish */
	int		 trailing;
	int		 whole;		/* decoded == the plain bytes (x2 for M_TWO) */
} ctab[] = {
	/* edges: empty, tiny */
	{ "gzip, empty body", SPOOL_GZIP, 31, 0, M_EMPTY, -1, 0, 0 },
	{ "deflate, empty body", SPOOL_DEFLATE, 15, 0, M_EMPTY, -1, 0, 0 },
	{ "gzip of nothing", SPOOL_GZIP, 31, 0, M_NONE, 1, 0, 1 },
	{ "raw deflate of nothing", SPOOL_DEFLATE, -15, 0, M_NONE, 1, 0, 1 },
	{ "zlib of nothing", SPOOL_DEFLATE, 15, 0, M_NONE, 1, 0, 1 },
	{ "gzip, one byte", SPOOL_GZIP, 31, 1, M_NONE, 1, 0, 1 },
	/* the codings */
	{ "gzip", SPOOL_GZIP, 31, 300000, M_NONE, 1, 0, 1 },
	{ "gzip, two members", SPOOL_GZIP, 31, 100000, M_TWO, 1, 0, 1 },
	{ "zlib deflate", SPOOL_DEFLATE, 15, 300000, M_NONE, 1, 0, 1 },
	{ "raw deflate", SPOOL_DEFLATE, -15, 300000, M_NONE, 1, 0, 1 },
	/* damage */
	{ "gzip, corrupt", SPOOL_GZIP, 31, 100000, M_FLIP, -1, 0, 0 },
	{ "zlib, corrupt", SPOOL_DEFLATE, 15, 100000, M_FLIP, -1, 0, 0 },
	{ "gzip, cut in half", SPOOL_GZIP, 31, 100000, M_HALF, -1, 0, 0 },
	{ "gzip, last byte missing", SPOOL_GZIP, 31, 1000, M_LAST, -1, 0, 0 },
	{ "zlib, last byte missing", SPOOL_DEFLATE, 15, 1000, M_LAST, -1, 0,
	    0 },
	{ "raw deflate, cut in half", SPOOL_DEFLATE, -15, 100000, M_HALF, -1,
	    0, 0 },
	{ "gzip label on plain text", SPOOL_GZIP, 0, 1000, M_NOTZ, -1, 0, 0 },
	/* trailing data is ignored, as browsers do */
	{ "gzip + garbage", SPOOL_GZIP, 31, 5000, M_GARBAGE, 1, 1, 1 },
	{ "gzip + half a magic", SPOOL_GZIP, 31, 5000, M_MAGIC1, 1, 1, 1 },
	{ "zlib + garbage", SPOOL_DEFLATE, 15, 5000, M_GARBAGE, 1, 1, 1 },
	{ "raw deflate + garbage", SPOOL_DEFLATE, -15, 5000, M_GARBAGE, 1, 1,
	    1 },
};

static const size_t pieces[] = { 0, 1, 2, 3, 1000, 65536, 65537, 200000 };

/* build - the encoded body for row i, and the plain text in *pl */
static struct blob
build(size_t i, unsigned char **pl)
{
	struct blob	 b;

	*pl = plain(ctab[i].n, (unsigned)i);
	switch (ctab[i].m) {
	case M_NOTZ:
		b.n = ctab[i].n;
		assert_non_null(b.p = malloc(b.n + 1));
		memcpy(b.p, *pl, b.n);
		return b;
	case M_EMPTY:
		b.n = 0;
		assert_non_null(b.p = malloc(1));
		return b;
	default:
		break;
	}
	b = squeeze(*pl, ctab[i].n, ctab[i].wbits);
	switch (ctab[i].m) {
	case M_FLIP:
		b.p[b.n / 2] ^= 0x55;
		break;
	case M_HALF:
		b.n /= 2;
		break;
	case M_LAST:
		b.n--;
		break;
	case M_GARBAGE:
		b = cat(b, "garbage\r\n", 9);
		break;
	case M_MAGIC1:
		b = cat(b, "\x1f", 1);
		break;
	case M_TWO: {
		struct blob	 c = squeeze(*pl, ctab[i].n, ctab[i].wbits);

		b = cat(b, c.p, c.n);
		free(c.p);
		break;
	}
	default:
		break;
	}
	return b;
}

/* check_row - one codec case with one piece size */
static void
check_row(size_t i, const struct blob *in, const unsigned char *pl,
    size_t piece)
{
	struct spool	 s;
	unsigned char	*got;
	uint64_t	 len;
	int		 fd;

	assert_int_equal(spool_open(&s, ctab[i].enc, 0), 0);
	feed(&s, in, piece);
	if (s.dec_state != ctab[i].state || s.dec_trailing !=
	    ctab[i].trailing || s.dec_truncated)
		fail_msg("%s, pieces of %zu: state %d trailing %d", ctab[i].what,
		    piece, s.dec_state, s.dec_trailing);
	/* the raw is always complete */
	got = slurp(s.raw_fd, s.raw_len);
	assert_memory_equal(got, in->p, in->n);
	free(got);
	fd = spool_scan_fd(&s, &len);
	assert_int_equal(fd, s.dec_state == 1 ? s.dec_fd : s.raw_fd);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	if (ctab[i].whole) {
		size_t	 want = ctab[i].n * (ctab[i].m == M_TWO ? 2 : 1);

		assert_int_equal(len, want);
		got = slurp(s.dec_fd, len);
		assert_memory_equal(got, pl, ctab[i].n);
		if (ctab[i].m == M_TWO)
			assert_memory_equal(got + ctab[i].n, pl, ctab[i].n);
		free(got);
	}
	if (ctab[i].state == -1)
		assert_int_equal(len, in->n);
	if (ctab[i].state == -1 && ctab[i].m != M_FLIP) {
		/* what was decoded is a prefix of the plain text */
		assert_true(s.dec_len <= ctab[i].n);
		got = slurp(s.dec_fd, s.dec_len);
		assert_memory_equal(got, pl, s.dec_len);
		free(got);
	}
	spool_close(&s);
	spool_close(&s);
}

/* codecs - every row with every piece size */
static void
codecs(void **state)
{
	unsigned char	*pl;
	struct blob	 in;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(ctab) / sizeof(ctab[0]); i++) {
		in = build(i, &pl);
		for (j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++)
			check_row(i, &in, pl, pieces[j]);
		free(in.p);
		free(pl);
	}
}

/* identity - not encoded, or encoded in a way we do not decode */
static void
identity(void **state)
{
	static const unsigned	 encs[] = { 0, 4, 8, 3, 9, 16 };
	struct spool		 s;
	unsigned char		*got;
	uint64_t		 len;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		assert_int_equal(spool_open(&s, encs[i], 0), 0);
		assert_int_equal(s.dec_fd, -1);
		assert_int_equal(spool_write(&s, "\x1f\x8b hello", 8), 0);
		assert_int_equal(spool_write(&s, "", 0), 0);
		assert_int_equal(spool_finish(&s), 0);
		assert_int_equal(spool_scan_fd(&s, &len), s.raw_fd);
		assert_int_equal(len, 8);
		got = slurp(s.raw_fd, 8);
		assert_memory_equal(got, "\x1f\x8b hello", 8);
		free(got);
		spool_close(&s);
	}
}

/* special - a preset-dictionary zlib stream, the smallest raw deflate */
static void
special(void **state)
{
	struct spool	 s;
	z_stream	 z;
	unsigned char	 out[64];
	uint64_t	 len;

	(void)state;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit(&z, 9), Z_OK);
	assert_int_equal(deflateSetDictionary(&z, (const Bytef *)"dict", 4),
	    Z_OK);
	z.next_in = (Bytef *)(uintptr_t)"dictdict";
	z.avail_in = 8;
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, 0), 0);
	assert_int_equal(spool_write(&s, out, z.total_out), 0);
	assert_int_equal(spool_finish(&s), 0);
	assert_int_equal(s.dec_state, -1);
	assert_int_equal(spool_scan_fd(&s, &len), s.raw_fd);
	deflateEnd(&z);
	spool_close(&s);
	/* 03 00: an empty final fixed block, two bytes, then trailing data */
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, 0), 0);
	assert_int_equal(spool_write(&s, "\x03\x00zz", 4), 0);
	assert_int_equal(spool_finish(&s), 0);
	assert_int_equal(s.dec_state, 1);
	assert_int_equal(s.dec_trailing, 1);
	assert_int_equal(s.dec_len, 0);
	spool_close(&s);
	/* one byte of deflate */
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, 0), 0);
	assert_int_equal(spool_write(&s, "\x78", 1), 0);
	assert_int_equal(spool_finish(&s), 0);
	assert_int_equal(s.dec_state, -1);
	spool_close(&s);
}

/* zeros - n zero bytes compressed with wbits */
static struct blob
zeros(size_t n, int wbits)
{
	unsigned char	*z;
	struct blob	 b;

	assert_non_null(z = calloc(1, n));
	b = squeeze(z, n, wbits);
	free(z);
	return b;
}

/* bomb - dec_max, the ratio cap, and a stream ending exactly at dec_max */
static void
bomb(void **state)
{
	struct spool	 s;
	struct blob	 b;
	uint64_t	 len;
	clock_t		 t0;

	(void)state;
	/* 10 MiB of zeros, dec_max 1 MiB: stops there, quickly */
	b = zeros(10 * MIB, 31);
	t0 = clock();
	assert_int_equal(spool_open(&s, SPOOL_GZIP, MIB), 0);
	feed(&s, &b, 1000);
	assert_true(clock() - t0 < 2 * CLOCKS_PER_SEC);
	assert_int_equal(s.dec_truncated, 1);
	assert_int_equal(s.dec_state, 0);
	assert_int_equal(s.dec_len, MIB);
	assert_int_equal(spool_scan_fd(&s, &len), s.dec_fd);
	assert_int_equal(len, MIB);
	spool_close(&s);
	free(b.p);
	/* exactly dec_max bytes: a clean end, not a truncation */
	b = zeros(MIB, 15);
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, MIB), 0);
	feed(&s, &b, 0);
	assert_int_equal(s.dec_truncated, 0);
	assert_int_equal(s.dec_state, 1);
	assert_int_equal(s.dec_len, MIB);
	spool_close(&s);
	/* one byte more is a truncation */
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, MIB - 1), 0);
	feed(&s, &b, 0);
	assert_int_equal(s.dec_truncated, 1);
	assert_int_equal(s.dec_len, MIB - 1);
	spool_close(&s);
	free(b.p);
	/* no dec_max: 64 MiB of zeros pass 1000 x raw + 1 MiB */
	b = zeros(64 * MIB, -15);
	assert_int_equal(spool_open(&s, SPOOL_DEFLATE, 0), 0);
	feed(&s, &b, 0);
	assert_int_equal(s.dec_truncated, 1);
	assert_int_equal(s.dec_len, (uint64_t)b.n * SPOOL_RATIO + SPOOL_SLACK);
	spool_close(&s);
	free(b.p);
}

/* pread_raw - reads across the file/buffer seam, before and after finish */
static void
pread_raw(void **state)
{
	static unsigned char	 in[300000], out[300000];
	struct spool		 s;
	size_t			 i, off, n;
	int			 pass;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	assert_int_equal(spool_open(&s, SPOOL_GZIP, 0), 0);
	assert_int_equal(spool_pread(&s, out, 10, 0), 0);
	/* small writes, one large direct one, small again */
	for (off = 0; off < 100000; off += 1000)
		assert_int_equal(spool_write(&s, in + off, 1000), 0);
	assert_int_equal(spool_write(&s, in + 100000, 150000), 0);
	for (off = 250000; off < sizeof(in); off += 500)
		assert_int_equal(spool_write(&s, in + off, 500), 0);
	assert_int_equal(s.dec_state, -1);	/* not gzip at all */
	for (pass = 0; pass < 2; pass++) {
		for (off = 0; off < sizeof(in); off += 4099) {
			n = sizeof(in) - off < 70000 ? sizeof(in) - off : 70000;
			assert_int_equal(spool_pread(&s, out, 70000, off),
			    (ssize_t)n);
			assert_memory_equal(out, in + off, n);
		}
		assert_int_equal(spool_pread(&s, out, 1, sizeof(in)), 0);
		assert_int_equal(spool_pread(&s, out, 1, UINT64_MAX), 0);
		assert_int_equal(spool_pread(&s, out, 0, 5), 0);
		assert_int_equal(spool_pread(&s, out, 10, sizeof(in) - 3), 3);
		assert_int_equal(spool_finish(&s), 0);
	}
	spool_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity),
		cmocka_unit_test(special),
		cmocka_unit_test(codecs),
		cmocka_unit_test(bomb),
		cmocka_unit_test(pread_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
