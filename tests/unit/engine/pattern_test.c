/*
 * pattern_test.c - unit tests for the hex pattern compiler and verifier
 *
 * DESIGN: three tables (matches, malformed inputs, literal choice), each
 * row checked through both pat_search() and pat_verify() at every place
 * the literal occurs; then a randomized cross-check that pat_verify(),
 * driven by a naive literal search, finds a match iff pat_search() does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pattern.h"
#include "strbuf.h"

#define B(s)	(s), sizeof(s) - 1
#define NOM	((size_t)-1)		/* no match expected */
#define BIG	(1ul << 24)		/* budget for cross-checks */

struct mcase {
	const char	*pat;
	unsigned	 flags;
	const char	*buf;
	size_t		 blen;
	size_t		 smin, smax;
	size_t		 ms, me;	/* expected first match, or NOM */
};

static const struct mcase mcases[] = {
	/* edges first: offset 0, end of buffer, too short */
	{ "414243", 0, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "414243", 0, B("xxABC"), 0, PAT_UNBOUNDED, 2, 5 },
	{ "414243", 0, B("AB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243", 0, B(""), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "616263", 0, B("xabcx"), 0, PAT_UNBOUNDED, 1, 4 },
	{ "6A6b6C", 0, B("jkl"), 0, PAT_UNBOUNDED, 0, 3 },
	/* literal at the very start / end of the pattern */
	{ "41424344????", 0, B("ABCDxy"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "41424344????", 0, B("ABCDx"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "????41424344", 0, B("xyABCD"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "????41424344", 0, B("xABCD"), 0, PAT_UNBOUNDED, NOM, 0 },
	/* wildcards and nibbles */
	{ "41??43", 0, B("A\0C"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "4?42", 0, B("OB"), 0, PAT_UNBOUNDED, 0, 2 },
	{ "4?42", 0, B("PB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "?142", 0, B("qB"), 0, PAT_UNBOUNDED, 0, 2 },
	{ "?142", 0, B("rB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "4142?3", 0, B("ABs"), 0, PAT_UNBOUNDED, 0, 3 },
	/* gaps */
	{ "41*43", 0, B("AC"), 0, PAT_UNBOUNDED, 0, 2 },
	{ "41*43", 0, B("AxxxxC"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "41*43", 0, B("CxxxA"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{2}43", 0, B("AxxC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41{2}43", 0, B("AxC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{-2}43", 0, B("AC"), 0, PAT_UNBOUNDED, 0, 2 },
	{ "41{-2}43", 0, B("AxxC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41{-2}43", 0, B("AxxxC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{2-}43", 0, B("AxC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{2-}43", 0, B("AxxxxxxC"), 0, PAT_UNBOUNDED, 0, 8 },
	{ "41{1-3}43", 0, B("AC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{1-3}43", 0, B("AxxxC"), 0, PAT_UNBOUNDED, 0, 5 },
	{ "41{1-3}43", 0, B("AxxxxC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41[1-2]4343", 0, B("AxCC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41[1-2]4343", 0, B("AxxxCC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{1-3}42{1-3}43", 0, B("AxBBxC"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "41*42*43", 0, B("CBAxBxC"), 0, PAT_UNBOUNDED, 2, 7 },
	{ "41*42*43", 0, B("AxCxB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "4142{3-}4344", 0, B("ABxxCD"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "4142{3-}4344", 0, B("ABxxxCD"), 0, PAT_UNBOUNDED, 0, 7 },
	{ "41{1}*{1}42", 0, B("AxB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41{1}*{1}42", 0, B("AxxB"), 0, PAT_UNBOUNDED, 0, 4 },
	/* alternates */
	{ "41(42|4344)45", 0, B("ABE"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41(42|4344)45", 0, B("ACDE"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41(42|4344)45", 0, B("ACE"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "(4142|41)4343", 0, B("ACC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "(4142|41)4343", 0, B("ABCC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "4141(4?|5?50)45", 0, B("AAOE"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "4141(4?|5?50)45", 0, B("AAQPE"), 0, PAT_UNBOUNDED, 0, 5 },
	{ "4141(4?|5?50)45", 0, B("AAQE"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(42|43)44", 0, B("ACD"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41(42|43)44", 0, B("AED"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(4243|4445)46", 0, B("ADEF"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41(42)43", 0, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41!(42|43)44", 0, B("AXD"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41!(42|43)44", 0, B("ABD"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41!(4243|4445)46", 0, B("AXYF"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41!(4243|4445)46", 0, B("ABCF"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41!(4243|4445)46", 0, B("ADEF"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41!(4243|4445)46", 0, B("ABEF"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "41!(4?)42", 0, B("APB"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41!(4?)42", 0, B("AOB"), 0, PAT_UNBOUNDED, NOM, 0 },
	/* anchors */
	{ "(B)414243(B)", 0, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "(B)414243(B)", 0, B(" ABC "), 0, PAT_UNBOUNDED, 0, 5 },
	{ "(B)414243(B)", 0, B("xABC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "(B)414243(B)", 0, B("ABCx"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(B)42", 0, B("A.B"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41(B)42", 0, B("AB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "(L)414243", 0, B("\nABC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "(L)414243", 0, B("\r\nABC"), 0, PAT_UNBOUNDED, 0, 5 },
	{ "(L)414243", 0, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "(L)414243", 0, B("xABC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243(L)", 0, B("ABC\r\n"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "414243(L)44", 0, B("ABC\r\nD"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "414243(L)44", 0, B("ABC D"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(W)42", 0, B("A B"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41(W)42", 0, B("AxB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(W)42", 0, B("AB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "(W)4142", 0, B("AB"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "(W)4142", 0, B("-AB"), 0, PAT_UNBOUNDED, 0, 3 },
	/* nocase */
	{ "414243", PAT_NOCASE, B("xaBc"), 0, PAT_UNBOUNDED, 1, 4 },
	{ "616263", PAT_NOCASE, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "41425b", PAT_NOCASE, B("ab{"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41(42|43)", PAT_NOCASE, B("ac"), 0, PAT_UNBOUNDED, 0, 2 },
	{ "4141(4242|4343)", PAT_NOCASE, B("aAcC"), 0, PAT_UNBOUNDED, 0, 4 },
	{ "4141!(42|43)", PAT_NOCASE, B("AAb"), 0, PAT_UNBOUNDED, NOM, 0 },
	/* wide */
	{ "414243", PAT_WIDE, B("A\0B\0C\0"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "414243", PAT_WIDE, B("ABC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "4142{1}43", PAT_WIDE, B("A\0B\0x\0C\0"), 0, PAT_UNBOUNDED, 0, 8 },
	{ "4142(W)43", PAT_WIDE, B("A\0B\0 \0C\0"), 0, PAT_UNBOUNDED, 0, 8 },
	{ "4142(W)43", PAT_WIDE, B("A\0B\0 xC\0"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "4142(4344|45)", PAT_WIDE, B("A\0B\0C\0D\0"), 0, PAT_UNBOUNDED,
	    0, 8 },
	{ "4142!(43|44)", PAT_WIDE, B("A\0B\0E\0"), 0, PAT_UNBOUNDED, 0, 6 },
	{ "4142!(43|44)", PAT_WIDE, B("A\0B\0C\0"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243", PAT_WIDE | PAT_NOCASE, B("a\0B\0c\0"), 0, PAT_UNBOUNDED,
	    0, 6 },
	/* fullword */
	{ "414243", PAT_FULLWORD, B("ABC"), 0, PAT_UNBOUNDED, 0, 3 },
	{ "414243", PAT_FULLWORD, B("xABC"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243", PAT_FULLWORD, B("ABCd"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243", PAT_FULLWORD, B(" ABC!"), 0, PAT_UNBOUNDED, 1, 4 },
	{ "414243", PAT_FULLWORD, B("ABCD ABC"), 0, PAT_UNBOUNDED, 5, 8 },
	{ "41*43", PAT_FULLWORD, B("AxCx AyC"), 0, PAT_UNBOUNDED, 0, 8 },
	{ "41*43", PAT_FULLWORD, B("xAxCx"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "414243", PAT_FULLWORD | PAT_WIDE, B("A\0B\0C\0"), 0,
	    PAT_UNBOUNDED, 0, 6 },
	{ "414243", PAT_FULLWORD | PAT_WIDE, B("x\0A\0B\0C\0"), 0,
	    PAT_UNBOUNDED, NOM, 0 },
	{ "414243", PAT_FULLWORD | PAT_WIDE, B("-\0A\0B\0C\0"), 0,
	    PAT_UNBOUNDED, 2, 8 },
	/* smin / smax */
	{ "4142", 0, B("ABAB"), 1, PAT_UNBOUNDED, 2, 4 },
	{ "4142", 0, B("ABAB"), 0, 0, 0, 2 },
	{ "4142", 0, B("ABAB"), 1, 1, NOM, 0 },
	{ "4142", 0, B("ABAB"), 2, 2, 2, 4 },
	{ "4142", 0, B("ABAB"), 3, PAT_UNBOUNDED, NOM, 0 },
	{ "4142", 0, B("ABAB"), 9, PAT_UNBOUNDED, NOM, 0 },
	{ "41*4243", 0, B("AABC"), 1, 1, 1, 4 },
	{ "41*4243", 0, B("AxBC"), 1, 1, NOM, 0 },
	{ "(4141|41)4243", 0, B("AABC"), 1, 1, 1, 4 },
	{ "(4141|41)4243", 0, B("AABC"), 0, 0, 0, 4 },
	/* the literal's part has variable pieces on both sides */
	{ "41{0-2}424344{0-2}45", 0, B("AxBCDxxE"), 0, PAT_UNBOUNDED, 0, 8 },
	{ "41{0-2}424344{0-2}45", 0, B("AxxxBCDE"), 0, PAT_UNBOUNDED, NOM, 0 },
	{ "41*(4243|42)*444546", 0, B("ABxDEF"), 0, PAT_UNBOUNDED, 0, 6 },
	/* a later start can give an earlier end: the chain must find it */
	{ "4646*41(42??????|42)43*4348", 0, B("FFABABCCH"), 0,
	    PAT_UNBOUNDED, 0, 9 },
	{ "4142*41(42??????|42)43*464646", 0, B("ABABCCFFF"), 0,
	    PAT_UNBOUNDED, 0, 9 },
};

struct ecase {
	const char	*pat;
	unsigned	 flags;
	const char	*why;		/* expected substring */
};

static const struct ecase ecases[] = {
	{ "", 0, "empty pattern" },
	{ "4", 0, "truncated hex byte at column 1" },
	{ "414", 0, "truncated hex byte at column 3" },
	{ "41G2", 0, "bad hex digit at column 3" },
	{ "41 42", 0, "bad hex digit at column 3" },
	{ "41(42", 0, "unterminated alternate at column 3" },
	{ "41(42|", 0, "unterminated alternate" },
	{ "41{5-3}42", 0, "gap {5-3} min > max" },
	{ "41[5-3]42", 0, "range [5-3] min > max" },
	{ "41[3]42", 0, "bad range" },
	{ "41[-3]42", 0, "bad range" },
	{ "????", 0, "pattern has no literal byte" },
	{ "4?(41|42)", 0, "pattern has no literal byte" },
	{ "*4142", 0, "starts with an unbounded gap" },
	{ "{2}*4142", 0, "starts with an unbounded gap" },
	{ "{3-}4142", 0, "starts with an unbounded gap" },
	{ "4142*", 0, "ends with an unbounded gap" },
	{ "4142{2-}", 0, "ends with an unbounded gap" },
	{ "41{}42", 0, "empty gap" },
	{ "41{-}42", 0, "empty gap" },
	{ "41{3", 0, "unterminated gap" },
	{ "41{x}", 0, "bad character in gap" },
	{ "41{2000000}42", 0, "gap value too large" },
	{ "41(|42)", 0, "empty alternative" },
	{ "41(42|)", 0, "empty alternative" },
	{ "41!(42|4344)", 0, "negated alternates differ in length" },
	{ "41!42", 0, "expected '(' after '!'" },
	{ "41)", 0, "unexpected ')'" },
	{ "41|42", 0, "unexpected '|'" },
	{ "41(42{1}43)", 0, "unexpected '{' in alternate" },
	{ "41(42(43))", 0, "unexpected '(' in alternate" },
};

/* must_compile - compile or fail the test */
static const void *
must_compile(struct strbuf *sb, const char *pat, unsigned flags)
{
	char	 why[128] = "";
	size_t	 off = 0;

	if (pat_compile(pat, strlen(pat), flags, sb, &off, why,
	    sizeof(why)) != 0)
		fail_msg("compile %s: %s", pat, why);
	assert_int_equal(off % 8, 0);
	assert_int_equal(off + pat_bloblen(sb->data + off), sb->len);
	return sb->data + off;
}

/* lit_at - does the literal occur at buf[p..] */
static int
lit_at(const uint8_t *lit, size_t ll, int nocase, const uint8_t *buf,
    size_t p)
{
	for (size_t k = 0; k < ll; k++) {
		uint8_t	 a = lit[k], b = buf[p + k];

		if (nocase && b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (a != b)
			return 0;
	}
	return 1;
}

/*
 * cross - pat_verify at every literal place agrees with pat_search; each
 * verified match is also found by pat_search at its start.  Returns -1
 * when a budget ran out, else whether there is a match.
 */
static int
cross(const void *blob, const uint8_t *buf, size_t len, size_t smin,
    size_t smax)
{
	const uint8_t	*lit;
	size_t		 ll, ms, me, vs, ve, s2, e2;
	int		 nc, rs, rv, any = 0;

	rs = pat_search_ex(blob, buf, len, smin, smax, BIG, &ms, &me);
	if (rs == -1)
		return -1;
	lit = pat_literal(blob, &ll, &nc);
	for (size_t p = 0; p + ll <= len; p++) {
		if (!lit_at(lit, ll, nc, buf, p))
			continue;
		rv = pat_verify_ex(blob, buf, len, p + ll, smin, smax, BIG,
		    &vs, &ve);
		if (rv == -1)
			return -1;
		if (rv == 1) {
			any = 1;
			assert_true(vs >= smin && vs <= smax);
			assert_true(vs <= p && ve >= p + ll && ve <= len);
			assert_true(ve - vs >= pat_minlen(blob));
			assert_true(vs >= ms);
			assert_int_equal(pat_search_ex(blob, buf, len, vs, vs,
			    BIG, &s2, &e2), 1);
		}
	}
	assert_int_equal(any, rs);
	if (rs == 1) {
		assert_true(ms >= smin && ms <= smax && me <= len);
		assert_true(me - ms >= pat_minlen(blob));
	}
	return rs;
}

/* test_matches - the match table, through search and verify */
static void
test_matches(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	size_t		 ms = 0, me = 0;
	int		 r;

	(void)state;
	for (size_t k = 0; k < sizeof(mcases) / sizeof(mcases[0]); k++) {
		const struct mcase	*t = &mcases[k];

		strbuf_init(&sb, 1 << 20);
		blob = must_compile(&sb, t->pat, t->flags);
		r = pat_search(blob, (const uint8_t *)t->buf, t->blen,
		    t->smin, t->smax, &ms, &me);
		if (r != (t->ms != NOM) || (r && (ms != t->ms ||
		    me != t->me)))
			fail_msg("row %zu %s: got %d [%zu,%zu) want [%zu,%zu)",
			    k, t->pat, r, ms, me, t->ms, t->me);
		assert_int_equal(cross(blob, (const uint8_t *)t->buf,
		    t->blen, t->smin, t->smax), r);
		strbuf_fini(&sb);
	}
}

/* test_errors - malformed patterns and their reasons */
static void
test_errors(void **state)
{
	struct strbuf	 sb;
	char		 why[128];
	size_t		 off;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	for (size_t k = 0; k < sizeof(ecases) / sizeof(ecases[0]); k++) {
		why[0] = '\0';
		if (pat_compile(ecases[k].pat, strlen(ecases[k].pat),
		    ecases[k].flags, &sb, &off, why, sizeof(why)) != -1)
			fail_msg("%s compiled", ecases[k].pat);
		if (strstr(why, ecases[k].why) == NULL)
			fail_msg("%s: got \"%s\" want \"%s\"", ecases[k].pat,
			    why, ecases[k].why);
		assert_int_equal(sb.len, 0);
	}
	strbuf_fini(&sb);
}

/* compile_err - compile text of n bytes expecting reason */
static void
compile_err(const char *text, size_t n, const char *reason)
{
	struct strbuf	 sb;
	char		 why[128] = "";
	size_t		 off;

	strbuf_init(&sb, 1 << 20);
	assert_int_equal(pat_compile(text, n, 0, &sb, &off, why,
	    sizeof(why)), -1);
	if (strstr(why, reason) == NULL)
		fail_msg("got \"%s\" want \"%s\"", why, reason);
	strbuf_fini(&sb);
}

/* test_limits - text length, elements, alternatives, variable elements */
static void
test_limits(void **state)
{
	struct strbuf	 sb, in;
	size_t		 off;
	char		 why[128];

	(void)state;
	strbuf_init(&in, 1 << 20);
	/* 64 KiB is fine, one more byte is not */
	for (size_t k = 0; k < 65536 / 2; k++)
		assert_int_equal(strbuf_printf(&in, "41"), 0);
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(pat_compile(in.data, in.len, 0, &sb, &off, why,
	    sizeof(why)), 0);
	strbuf_fini(&sb);
	assert_int_equal(strbuf_printf(&in, "4"), 0);
	compile_err(in.data, in.len, "pattern too long");
	/* 256 alternatives fine, 257 not */
	strbuf_reset(&in);
	assert_int_equal(strbuf_printf(&in, "4142("), 0);
	for (int k = 0; k < 256; k++)
		assert_int_equal(strbuf_printf(&in, "%s%04x", k ? "|" : "",
		    k), 0);
	assert_int_equal(strbuf_printf(&in, ")"), 0);
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(pat_compile(in.data, in.len, 0, &sb, &off, why,
	    sizeof(why)), 0);
	strbuf_fini(&sb);
	in.len--;
	assert_int_equal(strbuf_printf(&in, "|ffff)"), 0);
	compile_err(in.data, in.len, "too many alternatives");
	/* elements: "41(42|43)" is two */
	strbuf_reset(&in);
	for (int k = 0; k < 513; k++)
		assert_int_equal(strbuf_printf(&in, "41(42|43)"), 0);
	compile_err(in.data, in.len, "too many elements");
	strbuf_reset(&in);
	for (int k = 0; k < 257; k++)
		assert_int_equal(strbuf_printf(&in, "41{0-1}"), 0);
	assert_int_equal(strbuf_printf(&in, "42"), 0);
	compile_err(in.data, in.len, "too many variable-length elements");
	strbuf_fini(&in);
}

/* test_literal - choice of the literal factor */
static void
test_literal(void **state)
{
	static const struct {
		const char	*pat;
		unsigned	 flags;
		const char	*lit;
		size_t		 len;
	} t[] = {
		{ "41", 0, B("A") },
		{ "0000004142", 0, B("\0\0\0AB") },
		{ "0000??4142", 0, B("AB") },		/* rarer wins */
		{ "4142??4344", 0, B("AB") },		/* then leftmost */
		{ "41??424344", 0, B("BCD") },		/* longest */
		{ "4142*43444546", 0, B("CDEF") },
		{ "41(42|43)4445", 0, B("DE") },
		{ "41(42)43", 0, B("ABC") },
		{ "4142", PAT_NOCASE, B("ab") },
		{ "4142", PAT_WIDE, B("A\0B\0") },
		{ "20202020??4142", 0, B("    ") },	/* longer wins */
	};
	struct strbuf	 sb;
	const uint8_t	*lit;
	size_t		 ll;
	int		 nc;

	(void)state;
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		strbuf_init(&sb, 1 << 20);
		lit = pat_literal(must_compile(&sb, t[k].pat, t[k].flags),
		    &ll, &nc);
		if (ll != t[k].len || memcmp(lit, t[k].lit, ll) != 0)
			fail_msg("%s: wrong literal", t[k].pat);
		assert_int_equal(nc, (t[k].flags & PAT_NOCASE) != 0);
		strbuf_fini(&sb);
	}
}

/* test_minlen_reloc - minimum length, and a blob moved elsewhere works */
static void
test_minlen_reloc(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	uint64_t	*copy;
	size_t		 off, ms, me, n;
	char		 why[64];

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(strbuf_append(&sb, "xyz", 3), 0);
	assert_int_equal(pat_compile("41{2-5}42*(4344|45)(B)", 22, 0, &sb,
	    &off, why, sizeof(why)), 0);
	assert_int_equal(off, 8);
	blob = sb.data + off;
	assert_int_equal(pat_minlen(blob), 1 + 2 + 1 + 1);
	n = pat_bloblen(blob);
	copy = calloc(1, n + 8);
	assert_non_null(copy);
	memcpy(copy, blob, n);
	strbuf_fini(&sb);
	assert_int_equal(pat_search(copy, (const uint8_t *)"..AxxB..CD.", 11,
	    0, PAT_UNBOUNDED, &ms, &me), 1);
	assert_int_equal(ms, 2);
	assert_int_equal(me, 11);
	free(copy);
}

/* test_budget - a pathological pattern runs out of steps cleanly */
static void
test_budget(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	uint8_t		 buf[4096];
	size_t		 ms, me;
	const char	*pat = "41{0-50}41{0-50}41{0-50}41{0-50}41{0-50}"
			    "41{0-50}41{0-50}41{0-50}42";

	(void)state;
	memset(buf, 'A', sizeof(buf));
	strbuf_init(&sb, 1 << 20);
	blob = must_compile(&sb, pat, 0);
	assert_int_equal(pat_search_ex(blob, buf, sizeof(buf), 0,
	    PAT_UNBOUNDED, 1000, &ms, &me), -1);
	assert_int_equal(pat_search(blob, buf, sizeof(buf), 0,
	    PAT_UNBOUNDED, &ms, &me), 0);
	assert_int_equal(pat_verify(blob, buf, sizeof(buf), 1, 0,
	    PAT_UNBOUNDED, &ms, &me), 0);
	/* reachable with every gap empty: found at once */
	buf[8] = 'B';
	assert_int_equal(pat_verify(blob, buf, sizeof(buf), 1, 0,
	    PAT_UNBOUNDED, &ms, &me), 1);
	assert_int_equal(ms, 0);
	assert_int_equal(me, 9);
	strbuf_fini(&sb);
}

/* rnd - small deterministic generator */
static uint32_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* rnd_pattern - a random pattern over a tiny alphabet */
static void
rnd_pattern(uint64_t *s, struct strbuf *p)
{
	static const char *const atom[] = {
		"41", "42", "43", "61", "20", "??", "4?", "?2", "{1}",
		"{0-2}", "{-1}", "{1-3}", "[0-2]", "*", "{2-}", "(41|4243)",
		"(42|43)", "!(41|42)", "!(4142|4343)", "(B)", "(L)", "(W)",
		"(41|42??|4?)", "0a",
	};
	int	 n = 1 + (int)(rnd(s) % 7);

	strbuf_reset(p);
	for (int k = 0; k < n; k++) {
		if (rnd(s) % 3 == 0)
			strbuf_printf(p, "%s", (const char *)"4142");
		strbuf_printf(p, "%s",
		    atom[rnd(s) % (sizeof(atom) / sizeof(atom[0]))]);
	}
	if (rnd(s) % 2)
		strbuf_printf(p, "41");
}


/*
 * The oracle: a memoized interpreter over the pattern text itself, for
 * the syntax rnd_pattern() produces.  Written independently of
 * pattern.c's element layout so that shared mistakes show up.
 */
struct oracle {
	const char	*t;
	size_t		 tn;
	const uint8_t	*buf;
	size_t		 len;
	unsigned	 flags, st;
	signed char	 memo[256][80];	/* -1 unknown */
};

/* o_word - ASCII alphanumeric */
static int
o_word(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') ||
	    (b >= 'A' && b <= 'Z');
}

/* o_hex - hex digit value or -1 for '?' */
static int
o_hex(char c)
{
	if (c == '?')
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* o_unit - pattern byte text[tp..tp+2) against the unit at bp */
static int
o_unit(const struct oracle *o, size_t tp, size_t bp)
{
	int	 hi = o_hex(o->t[tp]), lo = o_hex(o->t[tp + 1]);
	uint8_t	 b;

	if (bp + o->st > o->len)
		return 0;
	b = o->buf[bp];
	if (o->st == 2 && o->buf[bp + 1] != 0)
		return 0;
	if (hi >= 0 && lo >= 0 && (o->flags & PAT_NOCASE) &&
	    ((hi << 4 | lo) | 0x20) >= 'a' && ((hi << 4 | lo) | 0x20) <= 'z')
		return (b | 0x20) == ((hi << 4 | lo) | 0x20);
	return (hi < 0 || (b >> 4) == hi) && (lo < 0 || (b & 15) == lo);
}

/* o_alt - alternative text[a, e) at bp; its length in units or -1 */
static int
o_alt(const struct oracle *o, size_t a, size_t e, size_t bp)
{
	int	 n = 0;

	for (; a < e; a += 2, n++)
		if (!o_unit(o, a, bp + (size_t)n * o->st))
			return -1;
	return n;
}

/* o_special - a unit equal to ch, or non-alphanumeric if ch < 0 */
static int
o_special(const struct oracle *o, size_t bp, int ch)
{
	if (bp + o->st > o->len || (o->st == 2 && o->buf[bp + 1] != 0))
		return 0;
	return ch < 0 ? !o_word(o->buf[bp]) : o->buf[bp] == ch;
}

static int	o_match(struct oracle *, size_t, size_t);

/* o_group - an alternate group at tp: (..), !(..) */
static int
o_group(struct oracle *o, size_t tp, size_t bp)
{
	int	 neg = o->t[tp] == '!', hit = 0, w = 0, r;
	size_t	 a, e, close;

	a = tp + 1 + neg;
	close = a;
	while (o->t[close] != ')')
		close++;
	for (e = a; a < close; a = e + 1) {
		for (e = a; o->t[e] != '|' && o->t[e] != ')';)
			e++;
		w = (int)(e - a) / 2;
		r = o_alt(o, a, e, bp);
		if (neg)
			hit |= r >= 0;
		else if (r >= 0 &&
		    o_match(o, close + 1, bp + (size_t)r * o->st))
			return 1;
	}
	if (!neg)
		return 0;
	if (bp + (size_t)w * o->st > o->len)
		return 0;
	for (int k = 0; o->st == 2 && k < w; k++)
		if (o->buf[bp + (size_t)k * 2 + 1] != 0)
			return 0;
	return !hit && o_match(o, close + 1, bp + (size_t)w * o->st);
}

/* o_gapn - skip lo..hi bytes, then match from tp */
static int
o_gapn(struct oracle *o, size_t tp, size_t bp, size_t lo, size_t hi)
{
	for (size_t g = lo; g <= hi && bp + g <= o->len; g++)
		if (o_match(o, tp, bp + g))
			return 1;
	return 0;
}

/* o_gap - {..}, [..] or * at tp */
static int
o_gap(struct oracle *o, size_t tp, size_t bp)
{
	size_t	 e = tp, lo = 0, hi = o->len, k;
	char	*end;

	if (o->t[tp] == '*')
		return o_gapn(o, tp + 1, bp, 0, o->len);
	while (o->t[e] != '}' && o->t[e] != ']')
		e++;
	k = tp + 1;
	if (o->t[k] != '-') {
		lo = strtoul(o->t + k, &end, 10);
		k = (size_t)(end - o->t);
		hi = o->t[k] == '-' ? o->len : lo;
		if (o->t[k] == '-')
			k++;
	} else
		k++;
	if (k < e)
		hi = strtoul(o->t + k, NULL, 10);
	if (hi != o->len)
		hi *= o->st;
	return o_gapn(o, e + 1, bp, lo * o->st, hi);
}

/* o_step - match the item at tp from bp, then the rest */
static int
o_step(struct oracle *o, size_t tp, size_t bp)
{
	char	 c = o->t[tp];
	size_t	 s = o->st;

	if (c == '*' || c == '{' || c == '[')
		return o_gap(o, tp, bp);
	if (c == '(' && o->t[tp + 2] == ')') {
		if (o->t[tp + 1] == 'W')
			return o_special(o, bp, -1) && o_match(o, tp + 3,
			    bp + s);
		if ((bp == 0 || bp == o->len) && o_match(o, tp + 3, bp))
			return 1;
		if (o->t[tp + 1] == 'B')
			return o_special(o, bp, -1) && o_match(o, tp + 3,
			    bp + s);
		return (o_special(o, bp, '\n') && o_match(o, tp + 3, bp + s)) ||
		    (o_special(o, bp, '\r') && o_match(o, tp + 3, bp + s)) ||
		    (o_special(o, bp, '\r') && o_special(o, bp + s, '\n') &&
		    o_match(o, tp + 3, bp + 2 * s));
	}
	if (c == '(' || c == '!')
		return o_group(o, tp, bp);
	return o_unit(o, tp, bp) && o_match(o, tp + 2, bp + s);
}

/* o_match - memoized: pattern text from tp matches buffer from bp */
static int
o_match(struct oracle *o, size_t tp, size_t bp)
{
	int	 r;

	if (tp == o->tn) {
		if (!(o->flags & PAT_FULLWORD))
			return 1;
		if (o->st == 2)
			return bp + 1 >= o->len || o->buf[bp + 1] != 0 ||
			    !o_word(o->buf[bp]);
		return bp >= o->len || !o_word(o->buf[bp]);
	}
	if (o->memo[tp][bp] >= 0)
		return o->memo[tp][bp];
	r = o_step(o, tp, bp);
	o->memo[tp][bp] = (signed char)r;
	return r;
}

/* oracle_first - smallest start in [smin, smax], or NOM */
static size_t
oracle_first(struct oracle *o, const char *t, size_t tn, unsigned flags,
    const uint8_t *buf, size_t len, size_t smin, size_t smax)
{
	o->t = t;
	o->tn = tn;
	o->buf = buf;
	o->len = len;
	o->flags = flags;
	o->st = (flags & PAT_WIDE) ? 2 : 1;
	memset(o->memo, -1, sizeof(o->memo));
	for (size_t s = smin; s <= len && s <= smax; s++) {
		if ((flags & PAT_FULLWORD) && s > 0 && (o->st == 1 ?
		    o_word(buf[s - 1]) : (s >= 2 && buf[s - 1] == 0 &&
		    o_word(buf[s - 2]))))
			continue;
		if (o_match(o, 0, s))
			return s;
	}
	return NOM;
}

/* test_random - pat_verify over literal places agrees with pat_search */
static void
test_random(void **state)
{
	static const uint8_t	 alpha[] = "ABCa \n\r\0-";
	struct strbuf		 pat, sb;
	uint8_t			 buf[64];
	uint64_t		 seed = 42;
	size_t			 off, len, smin, smax;
	unsigned		 flags;
	char			 why[128];
	int			 compiled = 0, matched = 0, r;
	struct oracle		*orc;
	size_t			 os, ms = 0, me;

	(void)state;
	orc = malloc(sizeof(*orc));
	assert_non_null(orc);
	strbuf_init(&pat, 4096);
	for (int it = 0; it < 30000; it++) {
		rnd_pattern(&seed, &pat);
		flags = rnd(&seed) % 8;
		strbuf_init(&sb, 1 << 20);
		if (pat_compile(pat.data, pat.len, flags, &sb, &off, why,
		    sizeof(why)) != 0) {
			strbuf_fini(&sb);
			continue;
		}
		compiled++;
		for (int b = 0; b < 8; b++) {
			len = rnd(&seed) % sizeof(buf);
			for (size_t k = 0; k < len; k++)
				buf[k] = alpha[rnd(&seed) % (sizeof(alpha) -
				    1)];
			smin = rnd(&seed) % 4 == 0 ? rnd(&seed) % 16 : 0;
			smax = rnd(&seed) % 4 == 0 ? smin + rnd(&seed) % 16 :
			    PAT_UNBOUNDED;
			matched += cross(sb.data + off, buf, len, smin,
			    smax) == 1;
			os = oracle_first(orc, pat.data, pat.len, flags, buf,
			    len, smin, smax);
			r = pat_search_ex(sb.data + off, buf, len, smin, smax,
			    BIG, &ms, &me);
			if (r != (os != NOM) || (r == 1 && ms != os))
				fail_msg("oracle: %s flags %u len %zu: search "
				    "%d at %zu, oracle %zu", pat.data, flags,
				    len, r, ms, os);
		}
		strbuf_fini(&sb);
	}
	strbuf_fini(&pat);
	free(orc);
	assert_true(compiled > 10000);
	assert_true(matched > 1000);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_minlen_reloc),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
