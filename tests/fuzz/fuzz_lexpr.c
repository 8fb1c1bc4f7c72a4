/*
 * fuzz_lexpr.c - fuzz the logical expression compiler and evaluator
 *
 * Input: one byte choosing nsub ((b % 64) + 1; '@' is 1, 'A' is 2, ...)
 * then the expression text.  When it compiles, the blob must pass
 * lexpr_check, and a few count vectors derived from the input must give
 * the same answer clamped to lexpr_maxcount and, for short texts, the
 * same answer as ref_eval, an independent evaluator that splits the text
 * at the first top-level operator.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsig.h"

#define REF_MAXLEN	512	/* ref_eval is quadratic */

struct rv {
	int		 ok;
	uint64_t	 cnt, set;
};

/* ref_num - decimal at s..s+n (already validated) */
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

/* ref_eval - the documented semantics, straight from the text */
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

/* counts - fill c with vector k, derived from the input */
static void
counts(uint32_t *c, unsigned k, const uint8_t *d, size_t n, uint32_t m)
{
	const uint32_t	 edge[8] = { 0, 1, 2, m - 1, m, m + 1, UINT32_MAX,
	    UINT32_MAX - 1 };
	unsigned	 i;

	for (i = 0; i < LEXPR_MAXSUB; i++) {
		uint8_t	 b = d[(i * 7 + k * 13) % n];

		c[i] = k == 0 ? 0 : k == 1 ? 1 : k == 2 ? b % 4 :
		    k == 3 ? edge[b % 8] : (b >> 3) % 3;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf	 sb;
	const void	*blob;
	uint32_t	 c[LEXPR_MAXSUB], cl[LEXPR_MAXSUB], m;
	unsigned	 nsub, k, i;
	size_t		 off;
	char		 why[128];
	int		 got;

	if (size < 1)
		return 0;
	nsub = data[0] % LEXPR_MAXSUB + 1;
	strbuf_init(&sb, 1 << 16);
	if (lexpr_compile((const char *)data + 1, size - 1, nsub, &sb, &off,
	    why, sizeof(why)) == -1)
		goto out;
	blob = sb.data + off;
	m = lexpr_maxcount(blob);
	if (off % 8 != 0 || lexpr_bloblen(blob) % 8 != 0 ||
	    off + lexpr_bloblen(blob) != sb.len ||
	    lexpr_check(blob, sb.len - off, nsub) != 0 || m == 0 ||
	    lexpr_maxindex(blob) >= nsub)
		abort();
	for (k = 0; k < 5; k++) {
		counts(c, k, data, size, m);
		got = lexpr_eval(blob, c, nsub);
		for (i = 0; i < LEXPR_MAXSUB; i++)
			cl[i] = c[i] > m ? m : c[i];
		if (lexpr_eval(blob, cl, nsub) != got)
			abort();
		if (size - 1 <= REF_MAXLEN && ref_eval((const char *)data + 1,
		    size - 1, c).ok != got)
			abort();
	}
out:
	strbuf_fini(&sb);
	return 0;
}
