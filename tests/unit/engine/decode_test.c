/*
 * decode_test.c - unit tests for lib/engine/decode.c
 *
 * One table per decoder: input, expected output, expected *bad, and an
 * output cap (0 = plenty) so that running out of room is covered too.
 * Edges come first (empty input, padding, garbage, truncation).  A sweep
 * then feeds every prefix of every input with every small cap, checking
 * the decoders never write past outcap (the guard bytes) under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"

typedef size_t	(*dec_fn)(const uint8_t *, size_t, uint8_t *, size_t, int *);

struct dcase {
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	const char	*out;
	size_t		 outlen;	/* 0: strlen(out) */
	int		 bad;
	size_t		 cap;		/* 0: 256 */
};

/* run_table - check each case of a decoder table */
static void
run_table(dec_fn fn, const struct dcase *tc, size_t n)
{
	uint8_t	out[300];

	for (size_t i = 0; i < n; i++) {
		size_t	inlen = tc[i].inlen ? tc[i].inlen : strlen(tc[i].in);
		size_t	olen = tc[i].outlen ? tc[i].outlen : strlen(tc[i].out);
		size_t	cap = tc[i].cap ? tc[i].cap : 256;
		int	bad = 0;
		size_t	got;

		memset(out, 0xee, sizeof(out));
		got = fn((const uint8_t *)tc[i].in, inlen, out, cap, &bad);
		if (got != olen || memcmp(out, tc[i].out, olen) != 0 ||
		    bad != tc[i].bad)
			fail_msg("case %zu (%s): got %zu bytes \"%.*s\" bad=%d",
			    i, tc[i].in, got, (int)got, (char *)out, bad);
		assert_int_equal(out[cap], 0xee);
		/* bad may be NULL */
		assert_int_equal(fn((const uint8_t *)tc[i].in, inlen, out, cap,
		    NULL), olen);
	}
}

static const struct dcase	b64_cases[] = {
	{ "", 0, "", 0, 0, 0 },
	{ "=", 0, "", 0, 1, 0 },			/* padding first */
	{ "QQ==", 0, "A", 0, 0, 0 },
	{ "QUI=", 0, "AB", 0, 0, 0 },
	{ "QUJD", 0, "ABC", 0, 0, 0 },
	{ "QUJDRA==", 0, "ABCD", 0, 0, 0 },
	{ "QQ", 0, "A", 0, 0, 0 },			/* unpadded: fine */
	{ "QUI", 0, "AB", 0, 0, 0 },
	{ "Q", 0, "", 0, 1, 0 },			/* one char: truncated */
	{ "QUJDR", 0, "ABC", 0, 1, 0 },
	{ "Q===", 0, "", 0, 1, 0 },			/* pad after one char */
	{ " Q U\r\nJ\tD ", 0, "ABC", 0, 0, 0 },		/* whitespace skipped */
	{ "QUJD\r\nREVG\r\n", 0, "ABCDEF", 0, 0, 0 },
	{ "QUJD*REVG", 0, "ABC", 0, 1, 0 },		/* garbage stops */
	{ "QUI*", 0, "AB", 0, 1, 0 },
	{ "QQ==QUJD", 0, "A", 0, 0, 0 },		/* stop at padding */
	{ "AAAA", 0, "\0\0\0", 3, 0, 0 },
	{ "////", 0, "\xff\xff\xff", 0, 0, 0 },
	{ "+/+/", 0, "\xfb\xff\xbf", 0, 0, 0 },
	{ "QUJDREVG", 0, "AB", 0, 0, 2 },		/* cap */
	{ "QUJDREVG", 0, "ABCD", 0, 0, 4 },
	{ "Q U J D", 0, "AB", 0, 0, 2 },		/* cap, slow path */
	{ "QUJD\0REVG", 9, "ABC", 0, 1, 0 },		/* NUL is garbage */
};

static const struct dcase	qp_cases[] = {
	{ "", 0, "", 0, 0, 0 },
	{ "abc", 0, "abc", 0, 0, 0 },
	{ "a=3Db", 0, "a=b", 0, 0, 0 },
	{ "=e9t=C3=A9", 0, "\xe9t\xc3\xa9", 0, 0, 0 },	/* lower case hex */
	{ "soft=\r\nbreak", 0, "softbreak", 0, 0, 0 },
	{ "soft=\nbreak", 0, "softbreak", 0, 0, 0 },
	{ "soft= \t\r\nbreak", 0, "softbreak", 0, 0, 0 },	/* padding */
	{ "end=", 0, "end", 0, 0, 0 },			/* before a boundary */
	{ "end= ", 0, "end", 0, 0, 0 },
	{ "end=\r", 0, "end", 0, 0, 0 },
	{ "a=zzb", 0, "a=zzb", 0, 1, 0 },		/* lone '=' */
	{ "a=4", 0, "a=4", 0, 1, 0 },			/* cut hex */
	{ "a=4g", 0, "a=4g", 0, 1, 0 },
	{ "line\r\nnext\r\n", 0, "line\r\nnext\r\n", 0, 0, 0 },
	{ "a\0b=00", 5 + 1, "a\0b\0", 4, 0, 0 },
	{ "abcdef", 0, "abc", 0, 0, 3 },		/* cap */
	{ "=41=42=43", 0, "AB", 0, 0, 2 },
};

static const struct dcase	uu_cases[] = {
	{ "", 0, "", 0, 0, 0 },
	{ "`\n", 0, "", 0, 0, 0 },				/* terminator */
	{ "#86)C\n`\n", 0, "abc", 0, 0, 0 },
	{ "#86)C\r\n`\r\n", 0, "abc", 0, 0, 0 },
	{ "$86)C9```\n", 0, "abcd", 0, 0, 0 },		/* backquote */
	{ "$86)C9   \n", 0, "abcd", 0, 0, 0 },		/* spaces */
	{ "#86)C\n\n#86)C\n", 0, "abcabc", 0, 0, 0 },	/* empty line */
	{ "#86)C\n`\n#86)C\n", 0, "abc", 0, 0, 0 },	/* stop at ` */
	{ "#86)C\nend\n#86)C\n", 0, "abc", 0, 0, 0 },	/* stray end */
	{ "$86)C9\n", 0, "abc", 0, 1, 0 },		/* short line */
	{ "#86)", 0, "ab", 0, 1, 0 },			/* truncated */
	{ "QUIm", 0, "\xd6\x93", 0, 1, 0 },		/* fuzz: 49 promised, 3 given */
	{ "#8~)C\n", 0, "a\xe2" "c", 0, 1, 0 },		/* out of range */
	{ "#86)C", 0, "ab", 0, 0, 2 },			/* cap */
	{ "M86)C" "86)C" "86)C" "86)C" "86)C" "86)C" "86)C" "86)C"
	  "86)C" "86)C" "86)C" "86)C" "86)C" "86)C" "86)C\n", 0,
	  "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc", 0, 0, 0 },
};

/* test_base64 - base64 table */
static void
test_base64(void **state)
{
	(void)state;
	run_table(dec_base64, b64_cases, sizeof(b64_cases) / sizeof(b64_cases[0]));
}

/* test_qp - quoted-printable table */
static void
test_qp(void **state)
{
	(void)state;
	run_table(dec_qp, qp_cases, sizeof(qp_cases) / sizeof(qp_cases[0]));
}

/* test_uu - uuencode table */
static void
test_uu(void **state)
{
	(void)state;
	run_table(dec_uu, uu_cases, sizeof(uu_cases) / sizeof(uu_cases[0]));
}

/* test_base64_big - a long clean stream round-trips through the fast path */
static void
test_base64_big(void **state)
{
	static const char	al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			n = 30000, e = 0, got;
	uint8_t			*raw = malloc(n), *enc = malloc(n * 2), *dec;
	int			bad = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		raw[i] = (uint8_t)(i * 7 + (i >> 8));
	for (size_t i = 0; i < n; i += 3) {
		uint32_t q = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 |
		    raw[i + 2];

		for (int k = 3; k >= 0; k--)
			enc[e++] = (uint8_t)al[(q >> (6 * k)) & 63];
		if (e % 78 == 76) {
			enc[e++] = '\r';
			enc[e++] = '\n';
		}
	}
	dec = malloc(n);
	got = dec_base64(enc, e, dec, n, &bad);
	assert_int_equal(got, n);
	assert_int_equal(bad, 0);
	assert_memory_equal(dec, raw, n);
	free(raw);
	free(enc);
	free(dec);
}

struct ucase {
	const char	*text;
	size_t		 pos;
	int		 found;
	const char	*data;		/* text[beg..end) */
	const char	*name;
	int		 trunc;
	const char	*rest;		/* text[next..] */
};

static const struct ucase	uf_cases[] = {
	{ "", 0, 0, NULL, NULL, 0, NULL },
	{ "no block here\n", 0, 0, NULL, NULL, 0, NULL },
	{ "begin 644 a.exe\n#86)C\n`\nend\ntail", 0, 1, "#86)C\n`\n",
	  "a.exe", 0, "tail" },
	{ "hi\r\nbegin 0644 x y.txt\r\n#86)C\r\nend\r\n", 0, 1,
	  "#86)C\r\n", "x y.txt", 0, "" },
	{ "text begin 644 a\n#86)C\nend\n", 0, 0, NULL, NULL, 0, NULL },
	{ "begin 644 a\n#86)C\n", 0, 1, "#86)C\n", "a", 1, "" },	/* no end */
	{ "begin 644 a", 0, 1, "", "a", 1, "" },
	{ "begin 6448 a\nbegin 644 b\nend", 0, 1, "", "b", 0, "" },
	{ "begin x a\nbegin 644\nbegin 644 \n", 0, 0, NULL, NULL, 0, NULL },
	{ "begin-base64 644 a\n", 0, 0, NULL, NULL, 0, NULL },
	{ "begin 644 a\n#86)C\nendless\nend \nz", 0, 1,
	  "#86)C\nendless\n", "a", 0, "z" },
	{ "begin 644 a\nend\nbegin 644 b\nend\n", 16, 1, "", "b", 0, "" },
	{ "begin 644 averyveryverylongname\nend\n", 0, 1, "", "averyve",
	  0, "" },
};

/* test_uu_find - block finding table (name cap 8) */
static void
test_uu_find(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(uf_cases) / sizeof(uf_cases[0]); i++) {
		const struct ucase	*c = &uf_cases[i];
		const uint8_t		*t = (const uint8_t *)c->text;
		size_t			 n = strlen(c->text), b, e, nx;
		char			 name[8];
		int			 tr = -1, r;

		r = uu_find(t, n, c->pos, &b, &e, &nx, name, sizeof(name), &tr);
		if (r != c->found)
			fail_msg("case %zu: found %d", i, r);
		if (!r)
			continue;
		assert_true(b <= e && e <= nx && nx <= n);
		if (e - b != strlen(c->data) || memcmp(t + b, c->data, e - b))
			fail_msg("case %zu: data \"%.*s\"", i, (int)(e - b),
			    c->text + b);
		assert_string_equal(name, c->name);
		assert_int_equal(tr, c->trunc);
		assert_string_equal(c->text + nx, c->rest);
	}
}

/* test_sweep - every prefix and small cap of every case, guard bytes */
static void
test_sweep(void **state)
{
	static const struct {
		dec_fn			 fn;
		const struct dcase	*tc;
		size_t			 n;
	} t[] = {
		{ dec_base64, b64_cases, sizeof(b64_cases) / sizeof(b64_cases[0]) },
		{ dec_qp, qp_cases, sizeof(qp_cases) / sizeof(qp_cases[0]) },
		{ dec_uu, uu_cases, sizeof(uu_cases) / sizeof(uu_cases[0]) },
	};

	(void)state;
	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < t[k].n; i++) {
			const char	*in = t[k].tc[i].in;
			size_t		 n = t[k].tc[i].inlen ? t[k].tc[i].inlen :
					    strlen(in);

			for (size_t l = 0; l <= n; l++)
				for (size_t cap = 0; cap < 8; cap++) {
					uint8_t	*src = malloc(l + 1);
					uint8_t	 out[16];
					int	 bad = 0;

					memcpy(src, in, l);
					memset(out, 0xee, sizeof(out));
					assert_true(t[k].fn(src, l, out, cap,
					    &bad) <= cap);
					assert_int_equal(out[cap], 0xee);
					free(src);
				}
		}
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_uu),
		cmocka_unit_test(test_base64_big),
		cmocka_unit_test(test_uu_find),
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
