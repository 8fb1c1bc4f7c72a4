/*
 * lsig_test.c - unit tests for logical signature TDB and expressions
 *
 * DESIGN: tables, edges first.  Besides hand-written truth tables, every
 * expression in the tables is also checked against ref_eval, a second,
 * deliberately different evaluator (it splits the text at the first
 * top-level operator, the way ClamAV's documentation reads) over all
 * count vectors in {0..3}^k, and against the clamping promise of
 * lexpr_maxcount.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lsig.h"

/* ---- helpers ---- */

/* compile - compile e for nsub into sb; returns the blob or NULL */
static const void *
compile(struct strbuf *sb, const char *e, unsigned nsub, char *why,
    size_t whylen)
{
	size_t	 off;

	if (lexpr_compile(e, strlen(e), nsub, sb, &off, why, whylen) == -1)
		return NULL;
	assert_int_equal(off % 8, 0);
	assert_int_equal(lexpr_check(sb->data + off, sb->len - off, nsub), 0);
	return sb->data + off;
}

/* ref value: truth, count, set of matched subsignatures */
struct rv {
	int		 ok;
	uint64_t	 cnt, set;
};

/* ref_num - decimal at s..s+n */
static uint64_t
ref_num(const char *s, size_t n)
{
	uint64_t	 v = 0;

	while (n-- > 0)
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* ref_isleaf - digits, or one leaf in any number of parentheses */
static int
ref_isleaf(const char *s, size_t n)
{
	size_t	 i;

	while (n >= 2 && s[0] == '(' && s[n - 1] == ')') {
		s++;
		n -= 2;
	}
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* ref_eval - independent evaluator of a valid expression */
static struct rv
ref_eval(const char *s, size_t n, const uint32_t *c)
{
	struct rv	 l, r, z = { 0, 0, 0 };
	size_t		 i, cmp = 0, comma = 0;
	int		 d = 0, found = 0;
	uint64_t	 x, y;

	for (i = 0; i < n; i++) {
		if (s[i] == '(')
			d++;
		else if (s[i] == ')')
			d--;
		else if (d == 0 && (s[i] == '&' || s[i] == '|')) {
			l = ref_eval(s, i, c);
			r = ref_eval(s + i + 1, n - i - 1, c);
			if (s[i] == '&' ? !(l.ok && r.ok) : !(l.ok || r.ok))
				return z;
			l.ok = 1;
			l.cnt += r.cnt;
			l.set |= r.set;
			return l;
		} else if (d == 0 && strchr("=<>", s[i]) != NULL && !found) {
			cmp = i;
			found = 1;
		} else if (d == 0 && s[i] == ',')
			comma = i;
	}
	if (found) {
		x = ref_num(s + cmp + 1, (comma ? comma : n) - cmp - 1);
		y = comma ? ref_num(s + comma + 1, n - comma - 1) : 0;
		if (ref_isleaf(s, cmp))
			y = 0;
		l = ref_eval(s, cmp, c);
		if (!(s[cmp] == '=' ? l.cnt == x : s[cmp] == '>' ?
		    l.cnt > x : l.cnt < x) ||
		    (uint64_t)__builtin_popcountll(l.set) < y)
			return z;
		l.ok = 1;
		return l;
	}
	if (s[0] == '(')
		return ref_eval(s + 1, n - 2, c);
	x = ref_num(s, n);
	l.ok = c[x] > 0;
	l.cnt = c[x];
	l.set = c[x] > 0 ? (uint64_t)1 << x : 0;
	return l;
}

/* crosscheck - blob vs ref_eval on {0..3}^k, and the clamp promise */
static void
crosscheck(const void *blob, const char *e, unsigned nsub)
{
	uint32_t	 c[LEXPR_MAXSUB], cl[LEXPR_MAXSUB], m, v;
	unsigned	 k = nsub < 6 ? nsub : 6, i, total = 1;
	int		 got, want;

	m = lexpr_maxcount(blob);
	for (i = 0; i < k; i++)
		total *= 4;
	for (v = 0; v < total; v++) {
		memset(c, 0, sizeof(c));
		for (i = 0; i < k; i++)
			c[i] = (v >> (2 * i)) & 3;
		got = lexpr_eval(blob, c, nsub);
		want = ref_eval(e, strlen(e), c).ok;
		if (got != want)
			fail_msg("%s: v=%u got %d want %d", e, v, got, want);
		for (i = 0; i < nsub; i++)
			cl[i] = c[i] > m ? m : c[i];
		assert_int_equal(lexpr_eval(blob, cl, nsub), got);
	}
}

/* ---- target description block ---- */

static const struct tdb_ok {
	const char	*in;
	int		 target;
	uint32_t	 eng[3], fsize[3], ep[3], nos[3]; /* set,min,max */
	const char	*container;
	unsigned	 unsup;
} tdb_oks[] = {
	{ "Target:0", 0, {0}, {0}, {0}, {0}, "", 0 },
	{ "Engine:51-255", -1, {1, 51, 255}, {0}, {0}, {0}, "", 0 },
	{ "Engine:51-255,Target:1", 1, {1, 51, 255}, {0}, {0}, {0}, "", 0 },
	{ "Engine:81-255,Target:0", 0, {1, 81, 255}, {0}, {0}, {0}, "", 0 },
	{ "Engine:81", -1, {1, 81, 81}, {0}, {0}, {0}, "", 0 },
	{ "Target:4294967",		/* big but an int */
	    4294967, {0}, {0}, {0}, {0}, "", 0 },
	{ "FileSize:0-4294967295", -1, {0}, {1, 0, UINT32_MAX}, {0}, {0},
	    "", 0 },
	{ "Engine:51-255,Target:1,FileSize:100-2000,EntryPoint:0-100,"
	    "NumberOfSections:3-5,Container:CL_TYPE_ZIP", 1, {1, 51, 255},
	    {1, 100, 2000}, {1, 0, 100}, {1, 3, 5}, "CL_TYPE_ZIP", 0 },
	{ "Target:6,EntryPoint:7", 6, {0}, {0}, {1, 7, 7}, {0}, "", 0 },
	{ "Target:9,NumberOfSections:1-1", 9, {0}, {0}, {0}, {1, 1, 1},
	    "", 0 },
	{ "Engine:81-255,Target:0,Container:CL_TYPE_ANY", 0, {1, 81, 255},
	    {0}, {0}, {0}, "CL_TYPE_ANY", 0 },
	{ "Engine:81-255,Target:0,Intermediates:CL_TYPE_ZIP>CL_TYPE_MSOLE2",
	    0, {1, 81, 255}, {0}, {0}, {0}, "", TDB_UNSUP_INTERMEDIATES },
	{ "Engine:81-255,Target:0,Intermediates:CL_TYPE_ANY", 0,
	    {1, 81, 255}, {0}, {0}, {0}, "", TDB_UNSUP_INTERMEDIATES },
	{ "Engine:51-255,Target:1,IconGroup1:PDF,IconGroup2:WORD", 1,
	    {1, 51, 255}, {0}, {0}, {0}, "",
	    TDB_UNSUP_ICONGROUP1 | TDB_UNSUP_ICONGROUP2 },
	{ "Engine:81-255,Target:0,HandlerType:CL_TYPE_OLE2", 0, {1, 81, 255},
	    {0}, {0}, {0}, "", TDB_UNSUP_HANDLERTYPE },
	{ "Container:CL_TYPE_" "012345678901234567890123456789012345678",
	    -1, {0}, {0}, {0}, {0},	/* 47 bytes: the longest that fits */
	    "CL_TYPE_012345678901234567890123456789012345678", 0 },
	{ "Intermediates:CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>"
	    "CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>"
	    "CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A", -1, {0}, {0},
	    {0}, {0}, "", TDB_UNSUP_INTERMEDIATES },	/* 16 layers */
};

static void
check_range(const struct lsig_range *r, const uint32_t want[3])
{
	assert_int_equal(r->set, want[0]);
	assert_int_equal(r->min, want[1]);
	assert_int_equal(r->max, want[2]);
}

static void
test_tdb_ok(void **state)
{
	const struct tdb_ok	*t;
	struct tdb		 out;
	char			 why[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(tdb_oks) / sizeof(tdb_oks[0]); i++) {
		t = &tdb_oks[i];
		why[0] = '\0';
		if (tdb_parse(t->in, strlen(t->in), &out, why,
		    sizeof(why)) != 0)
			fail_msg("%s: %s", t->in, why);
		assert_int_equal(out.target, t->target);
		check_range(&out.engine, t->eng);
		check_range(&out.filesize, t->fsize);
		check_range(&out.entrypoint, t->ep);
		check_range(&out.nsections, t->nos);
		assert_string_equal(out.container, t->container);
		assert_int_equal(out.unsupported, t->unsup);
	}
}

static const struct tdb_bad {
	const char	*in;
	const char	*why;
} tdb_bads[] = {
	{ "", "empty target description block" },
	{ ",", "empty item 1" },
	{ "Target:0,", "empty item 2" },
	{ "Target:0,,Engine:1-2", "empty item 2" },
	{ "Target", "item 1: expected Key:Value" },
	{ "Bogus:1", "unknown key \"Bogus\"" },
	{ "target:1", "unknown key \"target\"" },
	{ ":1", "unknown key \"\"" },
	{ "Tar\x01get:1", "unknown key \"Tar\\x01get\"" },
	{ "Target:0,Engine:81-255", "Engine: must be the first item" },
	{ "Engine:81-255,Target:0,Engine:81-255", "Engine: repeated" },
	{ "Target:0,Target:1", "Target: repeated" },
	{ "Target:", "Target: bad value" },
	{ "Target:-1", "Target: bad value" },
	{ "Target: 1", "Target: bad value" },
	{ "Target:1 ", "Target: bad value" },
	{ "Target:0x1", "Target: bad value" },
	{ "Target:2147483648", "Target: bad value" },
	{ "Engine:51-", "Engine: bad value" },
	{ "Engine:-255", "Engine: bad value" },
	{ "Engine:255-51", "Engine: bad value" },
	{ "Engine:1-2-3", "Engine: bad value" },
	{ "FileSize:0-4294967296", "FileSize: bad value" },
	{ "FileSize:99999999999999999999", "FileSize: bad value" },
	{ "Container:", "Container: bad value" },
	{ "Container:CL_TYPE_", "Container: bad value" },
	{ "Container:ZIP", "Container: bad value" },
	{ "Container:CL_TYPE_zip", "Container: bad value" },
	{ "Container:CL_TYPE_" "0123456789012345678901234567890123456789",
	    "Container: bad value" },	/* 48 bytes */
	{ "HandlerType:CL_TYPE_ZIP>CL_TYPE_RAR", "HandlerType: bad value" },
	{ "Intermediates:", "Intermediates: bad value" },
	{ "Intermediates:CL_TYPE_ZIP>", "Intermediates: bad value" },
	{ "Intermediates:>CL_TYPE_ZIP", "Intermediates: bad value" },
	{ "Intermediates:CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>"
	    "CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>"
	    "CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A>CL_TYPE_A",
	    "Intermediates: bad value" },	/* 17 layers */
	{ "Target:1,IconGroup1:", "IconGroup1: bad value" },
	{ "Target:1,IconGroup1:a b", "IconGroup1: bad value" },
	{ "Target:0,IconGroup1:PDF", "IconGroup needs Target:1" },
	{ "IconGroup2:PDF", "IconGroup needs Target:1" },
	{ "Target:0,EntryPoint:0-100",
	    "EntryPoint/NumberOfSections need Target:1, 6 or 9" },
	{ "NumberOfSections:1-2",
	    "EntryPoint/NumberOfSections need Target:1, 6 or 9" },
};

static void
test_tdb_bad(void **state)
{
	struct tdb	 out;
	char		 why[128];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(tdb_bads) / sizeof(tdb_bads[0]); i++) {
		why[0] = '\0';
		if (tdb_parse(tdb_bads[i].in, strlen(tdb_bads[i].in), &out,
		    why, sizeof(why)) != -1)
			fail_msg("%s: accepted", tdb_bads[i].in);
		if (strcmp(why, tdb_bads[i].why) != 0)
			fail_msg("%s: why \"%s\", want \"%s\"",
			    tdb_bads[i].in, why, tdb_bads[i].why);
	}
}

/* the length is honoured: bytes past n are never looked at */
static void
test_tdb_length(void **state)
{
	struct tdb	 out;
	char		 why[8];

	(void)state;
	assert_int_equal(tdb_parse("Target:12,Bogus", 9, &out, why,
	    sizeof(why)), 0);
	assert_int_equal(out.target, 12);
	assert_int_equal(tdb_parse("Target:1", 7, &out, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "Target:");	/* truncated reason */
	assert_int_equal(tdb_parse("X", 1, &out, NULL, 0), -1);
}

/* ---- logical expression: truth tables ---- */

static const struct lx_case {
	const char	*e;
	unsigned	 nsub;
	uint32_t	 c[4];
	int		 want;
} lx_cases[] = {
	/* a leaf */
	{ "0", 1, {0}, 0 },
	{ "0", 1, {1}, 1 },
	{ "0", 1, {UINT32_MAX}, 1 },
	{ "(0)", 1, {1}, 1 },
	{ "((((0))))", 1, {0}, 0 },
	{ "00", 1, {1}, 1 },			/* leading zeros */
	/* & and | */
	{ "0&1", 2, {0, 0}, 0 }, { "0&1", 2, {1, 0}, 0 },
	{ "0&1", 2, {0, 1}, 0 }, { "0&1", 2, {1, 1}, 1 },
	{ "0|1", 2, {0, 0}, 0 }, { "0|1", 2, {1, 0}, 1 },
	{ "0|1", 2, {0, 1}, 1 }, { "0|1", 2, {1, 1}, 1 },
	/* equal precedence, grouping to the right (ClamAV) */
	{ "0&1|2", 3, {0, 0, 1}, 0 },		/* C would say 1 */
	{ "0&1|2", 3, {1, 0, 1}, 1 },
	{ "(0&1)|2", 3, {0, 0, 1}, 1 },
	{ "0|1&2", 3, {1, 0, 0}, 1 },
	{ "0|1&2", 3, {0, 1, 0}, 0 },
	{ "(0|1)&2", 3, {1, 0, 0}, 0 },
	/* =, >, < on one subsignature */
	{ "0=0", 1, {0}, 1 }, { "0=0", 1, {1}, 0 },
	{ "0=2", 1, {1}, 0 }, { "0=2", 1, {2}, 1 }, { "0=2", 1, {3}, 0 },
	{ "0>2", 1, {2}, 0 }, { "0>2", 1, {3}, 1 },
	{ "0>0", 1, {0}, 0 }, { "0>0", 1, {1}, 1 },
	{ "0<2", 1, {0}, 1 }, { "0<2", 1, {1}, 1 }, { "0<2", 1, {2}, 0 },
	{ "0<0", 1, {0}, 0 },
	{ "0>4294967295", 1, {UINT32_MAX}, 0 },
	{ "0=4294967295", 1, {UINT32_MAX}, 1 },
	{ "0<4294967295", 1, {UINT32_MAX - 1}, 1 },
	/* Y is ignored for a single subsignature, even in parentheses */
	{ "0=2,5", 1, {2}, 1 },
	{ "(0)>1,2", 1, {2}, 1 },
	{ "0<3,9", 1, {0}, 1 },
	/* comparisons bind to the primary before them */
	{ "0&1>1", 2, {1, 2}, 1 },
	{ "0&1>1", 2, {1, 1}, 0 },
	{ "0&1=0", 2, {1, 0}, 1 },		/* 0 and not 1 */
	/* a | block counts all matches of its members */
	{ "(0|1)>2", 2, {1, 1}, 0 },
	{ "(0|1)>2", 2, {2, 1}, 1 },
	{ "(0|1)>2", 2, {3, 0}, 1 },
	{ "(0|1)=0", 2, {0, 0}, 1 },		/* neither */
	{ "(0|1)=0", 2, {0, 1}, 0 },
	{ "(0|1)<2", 2, {0, 1}, 1 },
	{ "(0|1)<2", 2, {1, 1}, 0 },
	/* ... and Y how many different ones matched */
	{ "(0|1|2)>2,2", 3, {5, 0, 0}, 0 },
	{ "(0|1|2)>2,2", 3, {2, 1, 0}, 1 },
	{ "(0|1|2)>2,3", 3, {2, 1, 0}, 0 },
	{ "(0|1|2)>2,3", 3, {1, 1, 1}, 1 },
	{ "(0|1|2)=3,3", 3, {1, 1, 1}, 1 },
	{ "(0|1|2)=3,3", 3, {2, 1, 0}, 0 },
	{ "(0|1|2)<3,2", 3, {1, 1, 0}, 1 },
	{ "(0|1|2)<3,2", 3, {2, 0, 0}, 0 },
	{ "(0|1)>0,0", 2, {1, 0}, 1 },		/* Y=0: no condition */
	{ "(0|1)>0,65", 2, {1, 1}, 0 },		/* never */
	{ "(0|1)>0,4294967295", 2, {1, 1}, 0 },
	/* an & block counts only when all its operands hold */
	{ "(0&1)>2", 2, {5, 0}, 0 },
	{ "(0&1)>2", 2, {2, 1}, 1 },
	{ "(0&1)=0", 2, {5, 0}, 1 },		/* not both */
	{ "(0&1)=0", 2, {1, 1}, 0 },
	{ "(0&1)<3", 2, {9, 0}, 1 },
	/* a subsignature named twice counts twice, is one in Y */
	{ "(0|0)>3", 1, {2}, 1 },
	{ "(0|0)>3", 1, {1}, 0 },
	{ "(0|0)>0,2", 1, {9}, 0 },
	/* nested comparisons */
	{ "((0>1)|1)>2", 2, {1, 2}, 0 },	/* 0>1 false: adds 0 */
	{ "((0>1)|1)>2", 2, {2, 1}, 1 },
	{ "((0|1)>1|2)>0,2", 3, {2, 0, 1}, 1 },	/* inner S passes up */
	{ "((0|1)>1)=2", 2, {1, 1}, 1 },
	{ "((0|1)>1)=2", 2, {3, 0}, 0 },
	{ "(0=0|1)>0,1", 2, {0, 0}, 0 },	/* 0=0 adds nothing to S */
	{ "(0=0|1)>0,1", 2, {0, 1}, 1 },
	{ "(0=0|1)=0", 2, {0, 0}, 1 },		/* true, count 0 */
	/* the documentation's examples */
	{ "(0&1&2&3)&(4|1)", 5, {1, 1, 1, 1}, 1 },
	{ "((0|1|2)>5,2)&(3|1)", 4, {3, 3, 0, 0}, 1 },
	{ "((0|1|2)>5,2)&(3|1)", 4, {6, 0, 0, 1}, 0 },
	{ "((0|1|2|3)=2)&(4|1)", 5, {1, 1, 0, 0}, 1 },
	{ "((0|1)&(2|3))&4", 5, {1, 0, 0, 1}, 0 },
};

static void
test_lexpr_truth(void **state)
{
	const struct lx_case	*t;
	struct strbuf		 sb;
	const void		*blob;
	uint32_t		 c[LEXPR_MAXSUB];
	char			 why[128];
	size_t			 i;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	for (i = 0; i < sizeof(lx_cases) / sizeof(lx_cases[0]); i++) {
		t = &lx_cases[i];
		if ((blob = compile(&sb, t->e, t->nsub, why, sizeof(why))) ==
		    NULL)
			fail_msg("%s: %s", t->e, why);
		memset(c, 0, sizeof(c));
		memcpy(c, t->c, sizeof(t->c));
		if (lexpr_eval(blob, c, t->nsub) != t->want)
			fail_msg("%s {%u,%u,%u,%u}: want %d", t->e, c[0], c[1],
			    c[2], c[3], t->want);
		crosscheck(blob, t->e, t->nsub);
	}
	strbuf_fini(&sb);
}

/* more shapes for the cross-check against ref_eval */
static const char *const lx_shapes[] = {
	"0&1&2&3&4&5", "0|1|2|3|4|5", "0&1|2&3|4&5", "0|1&2|3&4|5",
	"(0&1)|(2&3)|(4&5)", "((0|1)>2,2&(2|3)<3)|(4&5)=0",
	"0>1&1<2|2=3&3>0,2|4=1,1", "(((0|1)&2)>3|((3&4)=0))&5",
	"((((0))))=1|(((1|2)))>1,2", "(0|1|2|3|4|5)=6,3",
	"(0|1|2|3|4|5)>4,6", "(0&(1|2)>2)=0|3&4<2",
	"((0>2|1>2)|(2>2|3))>5,3", "5&4&3&2&1&0",
};

static void
test_lexpr_crosscheck(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	char		 why[128];
	size_t		 i;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	for (i = 0; i < sizeof(lx_shapes) / sizeof(lx_shapes[0]); i++) {
		if ((blob = compile(&sb, lx_shapes[i], 6, why, sizeof(why))) ==
		    NULL)
			fail_msg("%s: %s", lx_shapes[i], why);
		crosscheck(blob, lx_shapes[i], 6);
	}
	strbuf_fini(&sb);
}

/* ---- logical expression: errors ---- */

static const struct lx_bad {
	const char	*e;
	unsigned	 nsub;
	const char	*why;
} lx_bads[] = {
	{ "", 1, "empty expression" },
	{ "0", 0, "subsignature count out of range" },
	{ "0", 65, "subsignature count out of range" },
	{ "1", 1, "offset 0: subsignature 1 out of range (1 defined)" },
	{ "0&64", 64, "offset 2: subsignature 64 out of range (64 defined)" },
	{ "0&4294967296", 2, "offset 2: number too large" },
	{ "0>4294967296", 2, "offset 2: number too large" },
	{ "&", 1, "offset 0: expected subsignature index or '(', found '&'" },
	{ "0&", 1, "offset 2: expected subsignature index or '(', found end" },
	{ "0|", 1, "offset 2: expected subsignature index or '(', found end" },
	{ "0&&0", 1,
	    "offset 2: expected subsignature index or '(', found '&'" },
	{ "()", 1, "offset 1: expected subsignature index or '(', found ')'" },
	{ "(0", 1,
	    "offset 2: expected '&', '|', comparison or ')', found end" },
	{ "0)", 1, "offset 1: expected '&', '|' or comparison, found ')'" },
	{ "0 & 1", 2, "offset 1: expected '&', '|' or comparison, "
	    "found whitespace (not allowed)" },
	{ " 0", 1, "offset 0: expected subsignature index or '(', "
	    "found whitespace (not allowed)" },
	{ "0\n", 1, "offset 1: expected '&', '|' or comparison, "
	    "found whitespace (not allowed)" },
	{ "(0|1) >2", 2, "offset 5: expected '&', '|' or comparison, "
	    "found whitespace (not allowed)" },
	{ "0>", 1, "offset 2: expected a count, found end" },
	{ "0>,1", 1, "offset 2: expected a count, found ','" },
	{ "0>1,", 1, "offset 4: expected a distinct count, found end" },
	{ "0>1,2,3", 1, "offset 5: expected '&', '|' or comparison, "
	    "found ','" },
	{ "0>1=2", 1, "offset 3: chained comparison needs parentheses" },
	{ "0=-1", 1, "offset 2: expected a count, found '-'" },
	{ "0>+1", 1, "offset 2: expected a count, found '+'" },
	{ "0,1", 2, "offset 1: expected '&', '|' or comparison, found ','" },
	{ "0!1", 2, "offset 1: expected '&', '|' or comparison, found '!'" },
	{ "0&\x80", 2,
	    "offset 2: expected subsignature index or '(', found \\x80" },
	{ "a", 1, "offset 0: expected subsignature index or '(', found 'a'" },
	{ ">1", 1, "offset 0: expected subsignature index or '(', found '>'" },
	{ "(0)(1)", 2, "offset 3: expected '&', '|' or comparison, found '('" },
	{ "01 ", 2, "offset 2: expected '&', '|' or comparison, "
	    "found whitespace (not allowed)" },
};

static void
test_lexpr_bad(void **state)
{
	struct strbuf	 sb;
	char		 why[128];
	size_t		 i, off = 99;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(strbuf_append(&sb, "abc", 3), 0);
	for (i = 0; i < sizeof(lx_bads) / sizeof(lx_bads[0]); i++) {
		why[0] = '\0';
		if (lexpr_compile(lx_bads[i].e, strlen(lx_bads[i].e),
		    lx_bads[i].nsub, &sb, &off, why, sizeof(why)) != -1)
			fail_msg("%s: accepted", lx_bads[i].e);
		if (strcmp(why, lx_bads[i].why) != 0)
			fail_msg("%s: why \"%s\", want \"%s\"", lx_bads[i].e,
			    why, lx_bads[i].why);
		assert_int_equal(sb.len, 3);	/* out unchanged */
		assert_int_equal(off, 99);
	}
	/* NUL inside the text is just a bad byte */
	assert_int_equal(lexpr_compile("0\0", 2, 1, &sb, &off, why,
	    sizeof(why)), -1);
	assert_string_equal(why,
	    "offset 1: expected '&', '|' or comparison, found \\x00");
	/* no room for a reason is fine */
	assert_int_equal(lexpr_compile("x", 1, 1, &sb, &off, NULL, 0), -1);
	strbuf_fini(&sb);
}

/* ---- logical expression: limits ---- */

/* nest - d parentheses around "0", optionally with a comparison each */
static char *
nest(unsigned d, const char *mod)
{
	char	*s = malloc(d * (2 + strlen(mod)) + 2), *p = s;
	unsigned i;

	for (i = 0; i < d; i++)
		*p++ = '(';
	*p++ = '0';
	for (i = 0; i < d; i++) {
		*p++ = ')';
		memcpy(p, mod, strlen(mod));
		p += strlen(mod);
	}
	*p = '\0';
	return s;
}

static void
test_lexpr_limits(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	uint32_t	 c[LEXPR_MAXSUB];
	char		 why[128], *s;
	size_t		 off, i;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	s = nest(LEXPR_MAXDEPTH, "");
	assert_non_null(compile(&sb, s, 1, why, sizeof(why)));
	free(s);
	s = nest(LEXPR_MAXDEPTH + 1, "");
	assert_int_equal(lexpr_compile(s, strlen(s), 1, &sb, &off, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "offset 64: nesting deeper than 64");
	free(s);
	s = nest(LEXPR_MAXDEPTH, ">0");
	assert_non_null(blob = compile(&sb, s, 1, why, sizeof(why)));
	c[0] = 1;
	assert_int_equal(lexpr_eval(blob, c, 1), 1);
	free(s);

	/* longest text: a 2048-term chain, 4096 bytes with a final digit */
	s = malloc(LEXPR_MAXLEN + 2);
	for (i = 0; i < LEXPR_MAXLEN; i += 2) {
		s[i] = '0';
		s[i + 1] = i / 2 % 2 ? '|' : '&';
	}
	s[LEXPR_MAXLEN - 1] = '1';
	s[LEXPR_MAXLEN] = '\0';
	assert_non_null(blob = compile(&sb, s, 2, why, sizeof(why)));
	c[0] = 1;
	c[1] = 0;
	assert_int_equal(lexpr_eval(blob, c, 2), 1);
	c[0] = 0;
	assert_int_equal(lexpr_eval(blob, c, 2), 0);
	s[LEXPR_MAXLEN] = '0';
	s[LEXPR_MAXLEN + 1] = '\0';
	assert_int_equal(lexpr_compile(s, LEXPR_MAXLEN + 1, 2, &sb, &off,
	    why, sizeof(why)), -1);
	assert_string_equal(why, "expression longer than 4096 bytes");
	free(s);

	/* the deepest stack: nesting on both sides of every chain */
	s = malloc(LEXPR_MAXLEN);
	{
		char	*p = s;

		for (i = 0; i < LEXPR_MAXDEPTH; i++) {
			memcpy(p, "0&(", 3);
			p += 3;
		}
		*p++ = '0';
		for (i = 0; i < LEXPR_MAXDEPTH; i++) {
			memcpy(p, ")&0", 3);
			p += 3;
		}
		*p = '\0';
	}
	assert_non_null(blob = compile(&sb, s, 1, why, sizeof(why)));
	c[0] = 1;
	assert_int_equal(lexpr_eval(blob, c, 1), 1);
	free(s);

	/* every index up to 63 */
	assert_non_null(blob = compile(&sb, "63&0", 64, why, sizeof(why)));
	memset(c, 0, sizeof(c));
	c[63] = c[0] = 1;
	assert_int_equal(lexpr_eval(blob, c, 64), 1);
	assert_int_equal(lexpr_maxindex(blob), 63);
	assert_int_equal(lexpr_eval(blob, c, 63), 0);	/* too short */
	strbuf_fini(&sb);
}

/* ---- logical expression: maxcount ---- */

static const struct lx_max {
	const char	*e;
	uint32_t	 want;
} lx_maxes[] = {
	{ "0", 1 }, { "0&1|2", 1 }, { "0=0", 1 }, { "0<1", 1 }, { "0>0", 1 },
	{ "0<0", 1 }, { "0>5", 6 }, { "0=5", 6 }, { "0<5", 5 },
	{ "(0|1)>5,2&(0=2)", 6 }, { "0>3&1<9", 9 }, { "0=9|1>3", 10 },
	{ "0>4294967294", UINT32_MAX }, { "0>4294967295", UINT32_MAX },
	{ "0<4294967295", UINT32_MAX },
};

static void
test_lexpr_maxcount(void **state)
{
	struct strbuf	 sb;
	const void	*blob;
	char		 why[128];
	size_t		 i;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	for (i = 0; i < sizeof(lx_maxes) / sizeof(lx_maxes[0]); i++) {
		assert_non_null(blob = compile(&sb, lx_maxes[i].e, 3, why,
		    sizeof(why)));
		if (lexpr_maxcount(blob) != lx_maxes[i].want)
			fail_msg("%s: maxcount %u want %u", lx_maxes[i].e,
			    lexpr_maxcount(blob), lx_maxes[i].want);
	}
	strbuf_fini(&sb);
}

/* ---- blob: placement, relocation, validation, buffer cap ---- */

static void
test_lexpr_blob(void **state)
{
	struct strbuf	 sb;
	uint64_t	 copy[64];
	uint32_t	 c[3] = { 3, 0, 1 };
	size_t		 off1, off2, len;
	char		 why[128], *b;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(strbuf_append(&sb, "x", 1), 0);
	assert_int_equal(lexpr_compile("0>2&2", 5, 3, &sb, &off1, why,
	    sizeof(why)), 0);
	assert_int_equal(off1, 8);
	assert_int_equal(lexpr_compile("1", 1, 3, &sb, &off2, why,
	    sizeof(why)), 0);
	len = lexpr_bloblen(sb.data + off1);
	assert_int_equal(len % 8, 0);
	assert_int_equal(off2, off1 + len);
	assert_int_equal(sb.len, off2 + lexpr_bloblen(sb.data + off2));
	assert_int_equal(memcmp(sb.data, "x\0\0\0\0\0\0\0", 8), 0);

	/* position-independent: a copy elsewhere works the same */
	memcpy(copy, sb.data + off1, len);
	assert_int_equal(lexpr_check(copy, len, 3), 0);
	assert_int_equal(lexpr_eval(copy, c, 3), 1);
	c[0] = 2;
	assert_int_equal(lexpr_eval(copy, c, 3), 0);
	assert_int_equal(lexpr_maxcount(copy), 3);
	assert_int_equal(lexpr_maxindex(copy), 2);

	/* validation */
	b = (char *)copy;
	assert_int_equal(lexpr_check(copy, len - 1, 3), -1);
	assert_int_equal(lexpr_check(copy, 23, 3), -1);
	assert_int_equal(lexpr_check(copy, len, 2), -1);	/* nsub */
	b[0] ^= 1;
	assert_int_equal(lexpr_check(copy, len, 3), -1);	/* magic */
	b[0] ^= 1;
	b[24] = 99;						/* op code */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	memcpy(copy, sb.data + off1, len);
	b[25] = 5;						/* leaf 5 */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	memcpy(copy, sb.data + off1, len);
	b[8]--;					/* drop the last op */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	memcpy(copy, sb.data + off1, len);
	b[8] = 3;		/* end inside the comparison's operand */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	memcpy(copy, sb.data + off1, len);
	b[18] = 0;					/* stack 0 */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	memcpy(copy, sb.data + off1, len);
	b[4] = 0;					/* len 0 */
	assert_int_equal(lexpr_check(copy, len, 3), -1);
	strbuf_fini(&sb);

	/* a full buffer: error, buffer unchanged */
	strbuf_init(&sb, 40);
	assert_int_equal(strbuf_append(&sb, "x", 1), 0);
	assert_int_equal(lexpr_compile("0", 1, 1, &sb, &off1, why,
	    sizeof(why)), 0);
	len = sb.len;
	assert_int_equal(lexpr_compile("0", 1, 1, &sb, &off1, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "compiled expressions exceed their buffer");
	assert_int_equal(sb.len, len);
	strbuf_fini(&sb);
}

/* a long chain stays shallow on the stack */
static void
test_lexpr_stack(void **state)
{
	struct strbuf	 sb;
	char		 why[128];
	const unsigned char *blob;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_non_null(blob = compile(&sb, "0&1&2&3&4&5&6&7&8&9", 10, why,
	    sizeof(why)));
	assert_int_equal(blob[18], 2);	/* header byte: stack depth */
	strbuf_fini(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdb_ok),
		cmocka_unit_test(test_tdb_bad),
		cmocka_unit_test(test_tdb_length),
		cmocka_unit_test(test_lexpr_bad),
		cmocka_unit_test(test_lexpr_truth),
		cmocka_unit_test(test_lexpr_crosscheck),
		cmocka_unit_test(test_lexpr_limits),
		cmocka_unit_test(test_lexpr_maxcount),
		cmocka_unit_test(test_lexpr_blob),
		cmocka_unit_test(test_lexpr_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
