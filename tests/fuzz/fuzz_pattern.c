/*
 * fuzz_pattern.c - fuzz the hex pattern compiler and its two matchers
 *
 * Input: one flags byte (PAT_* in the low 3 bits), the pattern text up to
 * the first 0 byte, then the buffer to scan (at most 4 KiB is used).  If
 * the pattern compiles, pat_search() and pat_verify() at every place the
 * literal occurs must agree on whether there is a match, unless either
 * ran out of its step budget.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "strbuf.h"

#define FUZZ_BUDGET	(1ul << 18)

/* lit_at - the literal at buf[p..], ASCII case-folded when nocase */
static int
lit_at(const uint8_t *lit, size_t ll, int nocase, const uint8_t *buf)
{
	for (size_t k = 0; k < ll; k++) {
		uint8_t	 b = buf[k];

		if (nocase && b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (b != lit[k])
			return 0;
	}
	return 1;
}

/* check - search and verify agree on buf */
static void
check(const void *blob, const uint8_t *buf, size_t len)
{
	const uint8_t	*lit;
	size_t		 ll, ms, me, vs, ve;
	int		 nc, rs, rv, any = 0;

	rs = pat_search_ex(blob, buf, len, 0, PAT_UNBOUNDED, FUZZ_BUDGET,
	    &ms, &me);
	if (rs == -1)
		return;
	if (rs == 1 && (me > len || ms > me || me - ms < pat_minlen(blob)))
		abort();
	lit = pat_literal(blob, &ll, &nc);
	for (size_t p = 0; p + ll <= len; p++) {
		if (!lit_at(lit, ll, nc, buf + p))
			continue;
		rv = pat_verify_ex(blob, buf, len, p + ll, 0, PAT_UNBOUNDED,
		    FUZZ_BUDGET, &vs, &ve);
		if (rv == -1)
			return;
		if (rv == 1) {
			if (vs < ms || vs > p || ve < p + ll || ve > len)
				abort();
			any = 1;
		}
	}
	if (any != rs)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf	 sb;
	const uint8_t	*z;
	size_t		 off, plen, blen;
	char		 why[128];

	if (size < 1)
		return 0;
	z = memchr(data + 1, 0, size - 1);
	plen = z != NULL ? (size_t)(z - data) - 1 : size - 1;
	blen = z != NULL ? size - plen - 2 : 0;
	if (blen > 4096)
		blen = 4096;
	strbuf_init(&sb, 1 << 24);
	if (pat_compile((const char *)data + 1, plen, data[0], &sb, &off, why,
	    sizeof(why)) == 0) {
		if (off + pat_bloblen(sb.data + off) != sb.len)
			abort();
		check(sb.data + off, z != NULL ? z + 1 : data, blen);
	}
	strbuf_fini(&sb);
	return 0;
}
