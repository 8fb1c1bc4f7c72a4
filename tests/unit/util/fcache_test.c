/*
 * fcache_test.c - the persistent clean-file cache: edges first
 *
 * Files are built here from the format documented in fcache.h (its own
 * checksum code), so the tests also check that the header comment and
 * the code agree.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcache.h"
#include "log.h"

#define CTX	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef;scan=all;maxsize=100M"

static char	 tmpdir[64];
static char	 cpath[128];

/* st_make - a stat with the five fields the cache looks at */
static struct stat
st_make(uint64_t dev, uint64_t ino, int64_t size, int64_t ms, long mns,
    int64_t cs, long cns)
{
	struct stat	 st;

	memset(&st, 0, sizeof(st));
	st.st_dev = (dev_t)dev;
	st.st_ino = (ino_t)ino;
	st.st_size = (off_t)size;
	st.st_mtim.tv_sec = (time_t)ms;
	st.st_mtim.tv_nsec = mns;
	st.st_ctim.tv_sec = (time_t)cs;
	st.st_ctim.tv_nsec = cns;
	return st;
}

/* st_nth - a distinct, plausible stat for i */
static struct stat
st_nth(uint64_t i)
{
	return st_make(2049, 1000 + i, (int64_t)(i * 37 % 100000),
	    1700000000 + (int64_t)i, (long)(i % 1000000000),
	    1700000000 + (int64_t)i, (long)(i * 7 % 1000000000));
}

/* put32, put64 - little-endian stores */
static void
put32(uint8_t *p, uint32_t v)
{
	int	 i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* sum - the documented checksum over n bytes (n % 8 == 0) */
static uint64_t
sum(const uint8_t *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL, w;
	size_t		 i;
	int		 b;

	for (i = 0; i < n; i += 8) {
		for (w = 0, b = 7; b >= 0; b--)
			w = w << 8 | p[i + (size_t)b];
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 32;
	}
	return h;
}

/* ns - timestamp as in the file */
static uint64_t
ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/* build - a valid file image for ctx and sts; *len gets its size */
static uint8_t *
build(const char *ctx, const struct stat *sts, size_t n, size_t *len)
{
	size_t		 c = strlen(ctx), h = 24 + c + (8 - c % 8) % 8, i;
	uint8_t		*b, *r;

	*len = h + 40 * n + 8;
	assert_non_null(b = calloc(1, *len));
	memcpy(b, "VIGILFC1", 8);
	put32(b + 8, (uint32_t)n);
	put32(b + 12, (uint32_t)c);
	put64(b + 16, 0x0123456789abcdefULL);	/* any seed will do */
	memcpy(b + 24, ctx, c);
	for (i = 0; i < n; i++) {
		r = b + h + 40 * i;
		put64(r, (uint64_t)sts[i].st_dev);
		put64(r + 8, (uint64_t)sts[i].st_ino);
		put64(r + 16, (uint64_t)sts[i].st_size);
		put64(r + 24, ns(&sts[i].st_mtim));
		put64(r + 32, ns(&sts[i].st_ctim));
	}
	put64(b + *len - 8, sum(b, *len - 8));
	return b;
}

/* write_file - put len bytes at cpath */
static void
write_file(const uint8_t *b, size_t len)
{
	FILE	*f;

	assert_non_null(f = fopen(cpath, "wb"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* rm_one - nftw callback */
static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* setup - a fresh directory per test */
static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/fcache_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cpath, sizeof(cpath), "%s/cache", tmpdir);
	return 0;
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* test_missing - no file is an empty cache; close(NULL) is fine */
static void
test_missing(void **state)
{
	struct fcache	*fc;
	struct stat	 st = st_nth(1);

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 0);
	assert_int_equal(fcache_lookup(fc, &st), 0);
	fcache_forget(fc, &st);
	fcache_close(fc);
	fcache_close(NULL);
}

/* test_fields - a change in any of the five fields is a miss */
static void
test_fields(void **state)
{
	static const struct {
		const char	*name;
		struct stat	 st;
	} tab[] = {
		{ "dev",	{ .st_dev = 9 } },
		{ "ino",	{ .st_ino = 9 } },
		{ "size",	{ .st_size = 9 } },
		{ "mtime s",	{ .st_mtim = { 9, 0 } } },
		{ "mtime ns",	{ .st_mtim = { 0, 9 } } },
		{ "ctime s",	{ .st_ctim = { 9, 0 } } },
		{ "ctime ns",	{ .st_ctim = { 0, 9 } } },
	};
	struct fcache	*fc;
	struct stat	 base = st_make(1, 2, 3, 4, 5, 6, 7), st;
	size_t		 i;

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	fcache_store(fc, &base);
	assert_int_equal(fcache_lookup(fc, &base), 1);
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		st = base;
		st.st_dev += tab[i].st.st_dev;
		st.st_ino += tab[i].st.st_ino;
		st.st_size += tab[i].st.st_size;
		st.st_mtim.tv_sec += tab[i].st.st_mtim.tv_sec;
		st.st_mtim.tv_nsec += tab[i].st.st_mtim.tv_nsec;
		st.st_ctim.tv_sec += tab[i].st.st_ctim.tv_sec;
		st.st_ctim.tv_nsec += tab[i].st.st_ctim.tv_nsec;
		if (fcache_lookup(fc, &st) != 0)
			fail_msg("change of %s still hits", tab[i].name);
	}
	/* fields that are not part of the key do not matter */
	st = base;
	st.st_mode = 0777;
	st.st_atim.tv_sec = 99;
	assert_int_equal(fcache_lookup(fc, &st), 1);
	fcache_store(fc, &base);		/* again: no duplicate */
	assert_int_equal(fcache_count(fc), 1);
	fcache_forget(fc, &base);
	assert_int_equal(fcache_lookup(fc, &base), 0);
	assert_int_equal(fcache_count(fc), 0);
	fcache_close(fc);
}

/* test_odd_times - negative and extreme timestamps round-trip */
static void
test_odd_times(void **state)
{
	struct stat	 sts[] = {
		st_make(0, 0, 0, 0, 0, 0, 0),
		st_make(UINT64_MAX, UINT64_MAX, INT64_MAX, -1, 999999999,
		    INT64_MIN / 1000000000, 0),
		st_make(1, 1, -1, -86400, 1, 0, 999999999),
	};
	struct fcache	*fc;
	size_t		 i, n = sizeof(sts) / sizeof(sts[0]);

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	for (i = 0; i < n; i++)
		fcache_store(fc, &sts[i]);
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), n);
	for (i = 0; i < n; i++)
		assert_int_equal(fcache_lookup(fc, &sts[i]), 1);
	fcache_close(fc);
}

/* test_reopen - save, reopen: same context hits, another is empty */
static void
test_reopen(void **state)
{
	struct fcache	*fc;
	struct stat	 st, sb;
	uint64_t	 i;

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	for (i = 0; i < 1000; i++) {
		st = st_nth(i);
		fcache_store(fc, &st);
	}
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);
	assert_int_equal(stat(cpath, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 1000);
	for (i = 0; i < 1000; i++) {
		st = st_nth(i);
		assert_int_equal(fcache_lookup(fc, &st), 1);
	}
	st = st_nth(1000);
	assert_int_equal(fcache_lookup(fc, &st), 0);
	fcache_close(fc);

	/* one more character of context is another context */
	assert_non_null(fc = fcache_open(cpath, CTX "x"));
	assert_int_equal(fcache_count(fc), 0);
	fcache_close(fc);
	assert_non_null(fc = fcache_open(cpath, ""));
	assert_int_equal(fcache_count(fc), 0);
	fcache_close(fc);
}

/* test_touched - only records hit or stored in this run are saved */
static void
test_touched(void **state)
{
	struct stat	 a = st_nth(1), b = st_nth(2), c = st_nth(3),
			 d = st_nth(4), e = st_nth(5), sts[4];
	struct stat	 bchanged = b;
	struct fcache	*fc;
	uint8_t		*img;
	size_t		 len;

	(void)state;
	sts[0] = a, sts[1] = b, sts[2] = c, sts[3] = e;
	img = build(CTX, sts, 4, &len);
	write_file(img, len);
	free(img);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 4);
	assert_int_equal(fcache_lookup(fc, &a), 1);	/* seen, unchanged */
	bchanged.st_size++;
	assert_int_equal(fcache_lookup(fc, &bchanged), 0);  /* changed */
	fcache_store(fc, &d);				/* new */
	assert_int_equal(fcache_lookup(fc, &e), 1);
	fcache_forget(fc, &e);				/* found infected */
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);

	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 2);
	assert_int_equal(fcache_lookup(fc, &a), 1);
	assert_int_equal(fcache_lookup(fc, &d), 1);
	assert_int_equal(fcache_lookup(fc, &b), 0);
	assert_int_equal(fcache_lookup(fc, &c), 0);
	assert_int_equal(fcache_lookup(fc, &e), 0);
	fcache_close(fc);
}

/* mutation of a valid image */
struct damage {
	const char	*name;
	size_t		 off;		/* where to poke, from the start */
	int		 from_end;	/* off counts from the end instead */
	uint8_t		 xor;		/* xor this into the byte at off */
	long		 keep;		/* then keep this many bytes (>= 0) */
	long		 len_delta;	/* or change the length by this */
	uint32_t	 count;		/* if nonzero, set the count field */
	uint32_t	 ctxlen;	/* if nonzero, set the ctx length */
};

/* test_damaged - every kind of damage gives an empty cache */
static void
test_damaged(void **state)
{
	static const struct damage tab[] = {
		{ "empty file",		0, 0, 0, 0, 0, 0, 0 },
		{ "magic only",		0, 0, 0, 8, 0, 0, 0 },
		{ "header, no seed",	0, 0, 0, 16, 0, 0, 0 },
		{ "header only",	0, 0, 0, 24, 0, 0, 0 },
		{ "one byte short",	0, 0, 0, -1, -1, 0, 0 },
		{ "checksum missing",	0, 0, 0, -1, -8, 0, 0 },
		{ "one byte extra",	0, 0, 0, -1, 1, 0, 0 },
		{ "a record extra",	0, 0, 0, -1, 40, 0, 0 },
		{ "bad magic",		0, 0, 0x20, -1, 0, 0, 0 },
		{ "bad version",	7, 0, 0x03, -1, 0, 0, 0 },
		{ "count + 1",		0, 0, 0, -1, 0, 4, 0 },
		{ "huge count",		0, 0, 0, -1, 0, 0xffffffffu, 0 },
		{ "count at max + 1",	0, 0, 0, -1, 0, FCACHE_MAX_ENTRIES + 1, 0 },
		{ "huge ctx length",	0, 0, 0, -1, 0, 0, 0xffffffffu },
		{ "ctx length + 8",	0, 0, 0, -1, 0, 0, sizeof(CTX) - 1 + 8 },
		{ "record bit flip",	200, 0, 0x01, -1, 0, 0, 0 },
		{ "record high bit",	200, 0, 0x80, -1, 0, 0, 0 },
		{ "checksum bit flip",	1, 1, 0x01, -1, 0, 0, 0 },
		{ "checksum high bit",	8, 1, 0x80, -1, 0, 0, 0 },
		{ "padding not zero",	24 + sizeof(CTX) - 1, 0, 0x01, -1, 0, 0, 0 },
		{ "seed bit flip",	16, 0, 0x01, -1, 0, 0, 0 },
		{ "context bit flip",	30, 0, 0x01, -1, 0, 0, 0 },
	};
	struct stat	 sts[3] = { st_nth(1), st_nth(2), st_nth(3) };
	struct fcache	*fc;
	uint8_t		*img, *b;
	size_t		 len, blen, i, off;

	(void)state;
	assert_int_equal((sizeof(CTX) - 1) % 8 != 0, 1);  /* has padding */
	img = build(CTX, sts, 3, &len);
	log_set_level(LOG_LVL_ERR);		/* the warnings are expected */
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_non_null(b = calloc(1, len + 100));
		memcpy(b, img, len);
		off = tab[i].from_end ? len - tab[i].off : tab[i].off;
		b[off] ^= tab[i].xor;
		if (tab[i].count != 0)
			put32(b + 8, tab[i].count);
		if (tab[i].ctxlen != 0)
			put32(b + 12, tab[i].ctxlen);
		blen = tab[i].keep >= 0 ? (size_t)tab[i].keep :
		    (size_t)((long)len + tab[i].len_delta);
		write_file(b, blen);
		free(b);
		assert_non_null(fc = fcache_open(cpath, CTX));
		if (fcache_count(fc) != 0 || fcache_lookup(fc, &sts[0]) != 0)
			fail_msg("%s: not empty", tab[i].name);
		fcache_close(fc);
	}
	/* the untouched image itself loads */
	write_file(img, len);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 3);
	fcache_close(fc);
	log_set_level(LOG_LVL_INFO);
	free(img);
}

/* test_not_regular - a directory or FIFO at path: empty, no hang */
static void
test_not_regular(void **state)
{
	struct fcache	*fc;

	(void)state;
	log_set_level(LOG_LVL_ERR);
	assert_int_equal(mkfifo(cpath, 0600), 0);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 0);
	fcache_close(fc);
	assert_int_equal(unlink(cpath), 0);
	assert_int_equal(mkdir(cpath, 0700), 0);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 0);
	assert_int_equal(fcache_save(fc), -1);	/* rename over a dir */
	fcache_close(fc);
	log_set_level(LOG_LVL_INFO);
}

/* test_duplicates - a file repeating a record loads it once */
static void
test_duplicates(void **state)
{
	struct stat	 sts[4] = { st_nth(1), st_nth(1), st_nth(2),
			    st_nth(1) };
	struct fcache	*fc;
	uint8_t		*img;
	size_t		 len;

	(void)state;
	img = build(CTX, sts, 4, &len);
	write_file(img, len);
	free(img);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 2);
	assert_int_equal(fcache_lookup(fc, &sts[0]), 1);
	fcache_close(fc);
}

/* test_context_max - 512 bytes of context work, 513 never save */
static void
test_context_max(void **state)
{
	char		 ctx[FCACHE_CONTEXT_MAX + 2];
	struct fcache	*fc;
	struct stat	 st = st_nth(7);

	(void)state;
	memset(ctx, 'c', sizeof(ctx) - 1);
	ctx[FCACHE_CONTEXT_MAX] = '\0';
	assert_non_null(fc = fcache_open(cpath, ctx));
	fcache_store(fc, &st);
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);
	assert_non_null(fc = fcache_open(cpath, ctx));
	assert_int_equal(fcache_lookup(fc, &st), 1);
	fcache_close(fc);

	log_set_level(LOG_LVL_ERR);
	ctx[FCACHE_CONTEXT_MAX] = 'c';
	ctx[FCACHE_CONTEXT_MAX + 1] = '\0';
	assert_non_null(fc = fcache_open(cpath, ctx));
	assert_int_equal(fcache_count(fc), 0);
	fcache_store(fc, &st);			/* works in memory */
	assert_int_equal(fcache_lookup(fc, &st), 1);
	errno = 0;
	assert_int_equal(fcache_save(fc), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	fcache_close(fc);
	log_set_level(LOG_LVL_INFO);
}

/* test_save_dirs - missing directories are made 0700; errors reported */
static void
test_save_dirs(void **state)
{
	char		 p[320], d[256];
	struct fcache	*fc;
	struct stat	 st = st_nth(3), sb;

	(void)state;
	snprintf(d, sizeof(d), "%s/a/b", tmpdir);
	snprintf(p, sizeof(p), "%s/cache", d);
	assert_non_null(fc = fcache_open(p, CTX));
	fcache_store(fc, &st);
	assert_int_equal(fcache_save(fc), 0);
	assert_int_equal(fcache_save(fc), 0);	/* twice: replaces */
	fcache_close(fc);
	assert_int_equal(stat(d, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_non_null(fc = fcache_open(p, CTX));
	assert_int_equal(fcache_count(fc), 1);
	fcache_close(fc);

	/* a file where a directory should be */
	log_set_level(LOG_LVL_ERR);
	snprintf(p, sizeof(p), "%s/cache/sub/cache", tmpdir);
	write_file((const uint8_t *)"x", 1);
	assert_non_null(fc = fcache_open(p, CTX));
	errno = 0;
	assert_int_equal(fcache_save(fc), -1);
	assert_int_equal(errno, ENOTDIR);
	fcache_close(fc);
	log_set_level(LOG_LVL_INFO);
}

/* test_many - growth and deletion keep every probe chain intact */
static void
test_many(void **state)
{
	struct fcache	*fc;
	struct stat	 st;
	uint64_t	 i, n = 200000;

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	for (i = 0; i < n; i++) {
		st = st_nth(i);
		fcache_store(fc, &st);
	}
	assert_int_equal(fcache_count(fc), n);
	for (i = 0; i < n; i += 3) {
		st = st_nth(i);
		fcache_forget(fc, &st);
	}
	for (i = 0; i < n; i++) {
		st = st_nth(i);
		if (fcache_lookup(fc, &st) != (i % 3 != 0))
			fail_msg("record %llu wrong", (unsigned long long)i);
	}
	assert_int_equal(fcache_count(fc), n - (n + 2) / 3);
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), n - (n + 2) / 3);
	fcache_close(fc);
}

struct worker {
	struct fcache	*fc;
	uint64_t	 base;
	int		 bad;
};

/* worker - store a private range, look it and a shared range up */
static void *
worker(void *arg)
{
	struct worker	*w = arg;
	struct stat	 st;
	uint64_t	 i;

	for (i = 0; i < 20000; i++) {
		st = st_nth(w->base + i);
		fcache_store(w->fc, &st);
		if (fcache_lookup(w->fc, &st) != 1)
			w->bad++;
		st = st_nth(i % 1000);		/* loaded, shared */
		if (fcache_lookup(w->fc, &st) != 1)
			w->bad++;
		if (i % 100 == 0) {
			st = st_nth(w->base + i);
			fcache_forget(w->fc, &st);
		}
	}
	return NULL;
}

/* test_threads - four threads at once, then a save sees all of it */
static void
test_threads(void **state)
{
	struct fcache	*fc;
	struct worker	 w[4];
	pthread_t	 t[4];
	struct stat	 st;
	int		 i;

	(void)state;
	assert_non_null(fc = fcache_open(cpath, CTX));
	for (i = 0; i < 1000; i++) {
		st = st_nth((uint64_t)i);
		fcache_store(fc, &st);
	}
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ fc, 1000000 * (uint64_t)(i + 1), 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	assert_int_equal(fcache_save(fc), 0);	/* concurrently */
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	assert_int_equal(fcache_count(fc), 1000 + 4 * (20000 - 200));
	assert_int_equal(fcache_save(fc), 0);
	fcache_close(fc);
	assert_non_null(fc = fcache_open(cpath, CTX));
	assert_int_equal(fcache_count(fc), 1000 + 4 * (20000 - 200));
	fcache_close(fc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_times, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_touched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_context_max, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_save_dirs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
