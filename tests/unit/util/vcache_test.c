/*
 * vcache_test.c - the in-memory verdict LRU: edges first
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vcache.h"

/* dig - a digest made from i */
static void
dig(uint8_t d[32], uint64_t i)
{
	int	 k;

	memset(d, 0xa5, 32);
	for (k = 0; k < 8; k++)
		d[k * 4] = (uint8_t)(i >> (8 * k));
}

/* ent - a verdict naming i */
static struct vcache_entry
ent(int status, uint64_t i)
{
	struct vcache_entry	 e;

	memset(&e, 0, sizeof(e));
	e.status = status;
	snprintf(e.threat, sizeof(e.threat), "Threat.%llu",
	    (unsigned long long)i);
	return e;
}

/* has - 1 if digest i is cached under gen */
static int
has(struct vcache *vc, uint64_t i, uint64_t gen)
{
	struct vcache_entry	 e;
	uint8_t			 d[32];

	dig(d, i);
	return vcache_get(vc, d, gen, &e);
}

/* put - cache verdict i under gen */
static void
put(struct vcache *vc, uint64_t i, uint64_t gen)
{
	struct vcache_entry	 e = ent((int)(i % 3), i);
	uint8_t			 d[32];

	dig(d, i);
	vcache_put(vc, d, gen, &e);
}

/* test_disabled - capacity 0: misses counted, nothing stored */
static void
test_disabled(void **state)
{
	struct vcache	*vc;
	uint64_t	 hits, misses;
	size_t		 n;

	(void)state;
	assert_non_null(vc = vcache_new(0));
	put(vc, 1, 1);
	assert_int_equal(has(vc, 1, 1), 0);
	vcache_clear(vc);
	vcache_stats(vc, &hits, &misses, &n);
	assert_int_equal(hits, 0);
	assert_int_equal(misses, 1);
	assert_int_equal(n, 0);
	vcache_stats(vc, NULL, NULL, NULL);
	vcache_free(vc);
	vcache_free(NULL);
}

/* test_hit_miss - a put is found with its verdict; others miss */
static void
test_hit_miss(void **state)
{
	struct vcache_entry	 e, out;
	struct vcache		*vc;
	uint8_t			 d[32], d2[32];
	uint64_t		 hits, misses;
	size_t			 n;

	(void)state;
	assert_non_null(vc = vcache_new(10));
	dig(d, 1);
	memcpy(d2, d, 32);
	d2[31] ^= 1;				/* last byte differs */
	assert_int_equal(vcache_get(vc, d, 1, &out), 0);
	e = ent(2, 1);
	vcache_put(vc, d, 1, &e);
	memset(&out, 0, sizeof(out));
	assert_int_equal(vcache_get(vc, d, 1, &out), 1);
	assert_int_equal(out.status, 2);
	assert_string_equal(out.threat, "Threat.1");
	assert_int_equal(vcache_get(vc, d2, 1, &out), 0);
	/* a threat name filling the buffer is cut, not overrun */
	memset(e.threat, 'T', sizeof(e.threat));
	vcache_put(vc, d, 1, &e);
	assert_int_equal(vcache_get(vc, d, 1, &out), 1);
	assert_int_equal(strlen(out.threat), VCACHE_THREAT_MAX - 1);
	vcache_stats(vc, &hits, &misses, &n);
	assert_int_equal(hits, 2);
	assert_int_equal(misses, 2);
	assert_int_equal(n, 1);
	vcache_clear(vc);
	assert_int_equal(has(vc, 1, 1), 0);
	vcache_stats(vc, &hits, &misses, &n);
	assert_int_equal(n, 0);
	assert_int_equal(misses, 3);		/* counters survive clear */
	put(vc, 1, 1);				/* usable after clear */
	assert_int_equal(has(vc, 1, 1), 1);
	vcache_free(vc);
}

/* test_dbgen - another generation misses and a put replaces in place */
static void
test_dbgen(void **state)
{
	struct vcache	*vc;
	size_t		 n;

	(void)state;
	assert_non_null(vc = vcache_new(4));
	put(vc, 1, 7);
	assert_int_equal(has(vc, 1, 7), 1);
	assert_int_equal(has(vc, 1, 8), 0);
	assert_int_equal(has(vc, 1, 6), 0);
	put(vc, 1, 8);
	assert_int_equal(has(vc, 1, 8), 1);
	assert_int_equal(has(vc, 1, 7), 0);
	vcache_stats(vc, NULL, NULL, &n);
	assert_int_equal(n, 1);
	vcache_free(vc);
}

/* test_lru - table of operations on a 3-entry cache, then the content */
static void
test_lru(void **state)
{
	static const struct {
		const char	*name;
		char		 ops[16];	/* p<i>: put i, g<i>: get i */
		char		 present[8];	/* digits expected present */
	} tab[] = {
		{ "fill",		"p1p2p3",	"123" },
		{ "oldest goes",	"p1p2p3p4",	"234" },
		{ "get refreshes",	"p1p2p3g1p4",	"134" },
		{ "put refreshes",	"p1p2p3p1p4",	"134" },
		{ "miss does not",	"p1p2p3g9p4",	"234" },
		{ "two evictions",	"p1p2p3p4p5",	"345" },
		{ "refresh newest",	"p1p2p3g3p4p5",	"345" },
		{ "refresh middle",	"p1p2p3g2p4p5",	"245" },
	};
	struct vcache	*vc;
	size_t		 i, k;
	uint64_t	 d;
	int		 want;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_non_null(vc = vcache_new(3));
		for (k = 0; tab[i].ops[k] != '\0'; k += 2) {
			d = (uint64_t)(tab[i].ops[k + 1] - '0');
			if (tab[i].ops[k] == 'p')
				put(vc, d, 1);
			else
				(void)has(vc, d, 1);
		}
		for (d = 1; d <= 9; d++) {
			want = strchr(tab[i].present, (int)('0' + d)) != NULL;
			if (has(vc, d, 1) != want)
				fail_msg("%s: %llu %s", tab[i].name,
				    (unsigned long long)d,
				    want ? "missing" : "present");
		}
		vcache_free(vc);
	}
}

/* test_capacity - never more than max entries, at 1 and at many */
static void
test_capacity(void **state)
{
	static const size_t	 caps[] = { 1, 2, 127, 128, 1000, 4097 };
	struct vcache		*vc;
	size_t			 i, n;
	uint64_t		 k;

	(void)state;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		assert_non_null(vc = vcache_new(caps[i]));
		for (k = 0; k < caps[i] * 3; k++)
			put(vc, k, 1);
		vcache_stats(vc, NULL, NULL, &n);
		assert_true(n <= caps[i]);
		assert_true(n >= caps[i] * 3 / 4);	/* shards fill */
		assert_int_equal(has(vc, caps[i] * 3 - 1, 1), 1);
		vcache_free(vc);
	}
}

struct worker {
	struct vcache	*vc;
	uint64_t	 base;
	int		 bad;
};

/* worker - put and get a private range mixed with a shared one */
static void *
worker(void *arg)
{
	struct worker		*w = arg;
	struct vcache_entry	 e;
	uint8_t			 d[32];
	uint64_t		 i;

	for (i = 0; i < 50000; i++) {
		put(w->vc, w->base + i, 1);
		dig(d, w->base + i);
		if (vcache_get(w->vc, d, 1, &e) == 1 &&
		    strcmp(e.threat, ent(0, w->base + i).threat) != 0)
			w->bad++;
		put(w->vc, i % 50, 1 + i % 2);	/* shared, gen flips */
		(void)has(w->vc, i % 50, 1);
		if (i % 10000 == 0 && w->base == 1000000)
			vcache_clear(w->vc);
	}
	return NULL;
}

/* test_threads - four threads at once; counters add up */
static void
test_threads(void **state)
{
	struct vcache	*vc;
	struct worker	 w[4];
	pthread_t	 t[4];
	uint64_t	 hits, misses;
	size_t		 n;
	int		 i;

	(void)state;
	assert_non_null(vc = vcache_new(5000));
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ vc, 1000000 * (uint64_t)(i + 1), 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	vcache_stats(vc, &hits, &misses, &n);
	assert_int_equal(hits + misses, 4 * 50000 * 2);
	assert_true(n <= 5000);
	vcache_free(vc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_dbgen),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
