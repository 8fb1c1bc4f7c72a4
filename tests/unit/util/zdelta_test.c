/*
 * zdelta_test.c - zstd objects and patch-from deltas: round trips first,
 * then every way a hostile or damaged blob must fail
 */
#include <sys/mman.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "zdelta.h"

static char	 err[256];

/* text - n bytes of signature-like lines, varied by seed */
static char *
text(size_t lines, unsigned seed, size_t *len)
{
	char	*p = malloc(lines * 64 + 1);
	size_t	 i, n = 0;

	assert_non_null(p);
	for (i = 0; i < lines; i++)
		n += (size_t)sprintf(p + n, "%08x%08x%08x%08x:%zu:Sig.%zu\n",
		    (unsigned)(i * 2654435761u) ^ seed, (unsigned)i * 7u,
		    (unsigned)i ^ 0x5a5a5a5au, (unsigned)(i * 40503u), i, i);
	*len = n;
	return p;
}

/* blob - compress into a memfd and read it back */
static uint8_t *
blob(const void *src, size_t n, const void *pfx, size_t npfx, size_t *zn)
{
	uint8_t		 zsha[ZD_HASHLEN], h[ZD_HASHLEN], *b;
	uint64_t	 zlen;
	int		 fd = memfd_create("z", 0);

	assert_true(fd >= 0);
	assert_int_equal(zd_compress(fd, src, n, pfx, npfx, 3, &zlen, zsha,
	    err, sizeof(err)), 0);
	b = malloc(zlen ? zlen : 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, zlen, 0), (ssize_t)zlen);
	zd_sha256(b, zlen, h);
	assert_memory_equal(h, zsha, ZD_HASHLEN);
	close(fd);
	*zn = zlen;
	return b;
}

/* expand - decompress into a memfd; the return of zd_decompress */
static int
expand(const uint8_t *z, size_t zn, const void *pfx, size_t npfx,
    uint64_t max, const void *want, size_t wn)
{
	uint8_t		 sha[ZD_HASHLEN], h[ZD_HASHLEN];
	uint64_t	 len;
	char		*got;
	int		 fd = memfd_create("o", 0), rc;

	assert_true(fd >= 0);
	err[0] = '\0';
	rc = zd_decompress(fd, z, zn, pfx, npfx, max, &len, sha, err,
	    sizeof(err));
	if (rc == 0 && want != NULL) {
		assert_int_equal(len, wn);
		got = malloc(wn ? wn : 1);
		assert_int_equal(pread(fd, got, wn, 0), (ssize_t)wn);
		assert_memory_equal(got, want, wn);
		zd_sha256(want, wn, h);
		assert_memory_equal(h, sha, ZD_HASHLEN);
		free(got);
	}
	close(fd);
	return rc;
}

static void
test_empty(void **state)
{
	uint8_t	*z;
	size_t	 zn;

	(void)state;
	z = blob("", 0, NULL, 0, &zn);
	assert_int_equal(expand(z, zn, NULL, 0, 0, "", 0), 0);
	assert_int_equal(expand(z, 0, NULL, 0, 10, NULL, 0), -1);
	free(z);
}

static void
test_object(void **state)
{
	char	*t;
	uint8_t	*z;
	size_t	 n, zn;

	(void)state;
	t = text(20000, 1, &n);
	z = blob(t, n, NULL, 0, &zn);
	assert_true(zn < n);
	assert_int_equal(expand(z, zn, NULL, 0, n, t, n), 0);
	/* one byte under the announced size is refused */
	assert_int_equal(expand(z, zn, NULL, 0, n - 1, NULL, 0), -1);
	assert_non_null(strstr(err, "larger than"));
	/* truncated anywhere */
	assert_int_equal(expand(z, zn - 1, NULL, 0, n, NULL, 0), -1);
	assert_int_equal(expand(z, zn / 2, NULL, 0, n, NULL, 0), -1);
	assert_int_equal(expand(z, 4, NULL, 0, n, NULL, 0), -1);
	free(z);
	free(t);
}

static void
test_trailing(void **state)
{
	char	*t;
	uint8_t	*z, *z2;
	size_t	 n, zn;

	(void)state;
	t = text(100, 2, &n);
	z = blob(t, n, NULL, 0, &zn);
	z2 = malloc(2 * zn);
	memcpy(z2, z, zn);
	memcpy(z2 + zn, z, zn);
	assert_int_equal(expand(z2, 2 * zn, NULL, 0, 2 * n, NULL, 0), -1);
	assert_non_null(strstr(err, "after the zstd frame"));
	free(z2);
	free(z);
	free(t);
}

static void
test_flipped(void **state)
{
	char	*t;
	uint8_t	*z;
	size_t	 n, zn, i;

	(void)state;
	t = text(2000, 3, &n);
	z = blob(t, n, NULL, 0, &zn);
	/* the frame checksum catches a flip the decoder survives */
	for (i = 0; i < zn; i += zn / 13 + 1) {
		z[i] ^= 0x40;
		assert_int_equal(expand(z, zn, NULL, 0, n, NULL, 0), -1);
		z[i] ^= 0x40;
	}
	free(z);
	free(t);
}

static void
test_delta(void **state)
{
	char	*old, *new;
	uint8_t	*d, *full;
	size_t	 n, on, dn, fn, i;

	(void)state;
	old = text(50000, 4, &on);
	new = text(50000, 4, &n);
	/* change 1% of the lines */
	for (i = 0; i < 500; i++)
		memcpy(new + (i * 97 % 50000) * 40 % (n - 8), "CHANGED!", 8);
	full = blob(new, n, NULL, 0, &fn);
	d = blob(new, n, old, on, &dn);
	assert_true(dn * 10 < fn);
	assert_int_equal(expand(d, dn, old, on, n, new, n), 0);
	/* against the wrong base: refused (checksum), never wrong output */
	old[on / 2] ^= 1;
	assert_int_equal(expand(d, dn, old, on, n, NULL, 0), -1);
	assert_int_equal(expand(d, dn, NULL, 0, n, NULL, 0), -1);
	free(d);
	free(full);
	free(old);
	free(new);
}

static void
test_write_error(void **state)
{
	char	*t;
	uint8_t	*z, sha[ZD_HASHLEN];
	uint64_t len;
	size_t	 n, zn;

	(void)state;
	t = text(100, 5, &n);
	z = blob(t, n, NULL, 0, &zn);
	assert_int_equal(zd_decompress(-1, z, zn, NULL, 0, n, &len, sha, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "write"));
	free(z);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_object),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_flipped),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
