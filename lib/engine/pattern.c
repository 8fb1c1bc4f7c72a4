/*
 * pattern.c - compile and verify ClamAV body-signature hex patterns
 *
 * DESIGN: pat_compile() parses the text into tokens (bytes with a value
 * and a mask, gaps, alternate groups, anchors), applies PAT_WIDE while
 * emitting them (a 00 byte after each byte, gaps doubled, groups and
 * anchors get stride 2), cuts the token list into parts at unbounded
 * gaps ("*", "{n-}") whose minimum absorbs bounded gaps next to them,
 * picks the literal factor, and lays out elements:
 *
 *	BYTES	exact run, memcmp		MASKED	(b & m) == v run
 *	SKIP	n any bytes			CLASS	one byte of a set
 *	ALT	alternatives (value/mask)	GAP	n..m any bytes
 *	BOUND	(B)				LINE	(L)
 *
 * PAT_NOCASE turns a fully specified letter into value & 0xdf, mask 0xdf,
 * which matches exactly both cases.  Single-byte alternates and (W) become
 * CLASS; a one-alternative group is inlined.  The literal is always an
 * element of its own.  Each element stores the minimum and maximum
 * number of bytes from it to either end of its part, for pruning.
 *
 * Verification around a literal at a known place: within the literal's
 * part, the elements to its left are matched backwards taking the latest
 * start, those to its right forwards taking the earliest end (a branch
 * and bound depth-first search, bounded by the same pruning).  Parts to
 * the right are then placed one by one at their earliest end, parts to
 * the left at their latest start; each choice leaves the most room to
 * the rest, so the greedy chain finds a match whenever one exists.
 * Constraints on the outer ends (smin/smax, fullword) are checked at the
 * outermost parts only.  Candidate places for a part are found through a
 * fixed element at a fixed distance from its start or end (memchr style
 * for exact runs).  The search keeps its choice points in a fixed array
 * of 256 frames on the C stack; nothing is allocated while matching.
 * States (element, position) whose every option failed are remembered
 * in a small lossy table for the rest of the search call, which keeps
 * chains of bounded gaps from going exponential in practice.
 * Every element comparison and every gap length tried costs a step; when
 * the budget is spent the answer is "no match" (-1 from the _ex forms).
 *
 * Hand-written: ClamAV's own matcher is GPL and tied to its Aho-Corasick
 * trie; a regex library would need translating every form, could not
 * express (B)/(L) at buffer edges, and does not give a flat mmappable
 * compiled form or a step bound.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memrchr */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "hexdigit.h"
#include "pattern.h"

#define PAT_MAGIC	0x54415056u	/* "VPAT" */
#define PAT_MAXTEXT	65536
#define PAT_MAXELEM	1024
#define PAT_MAXALT	256
#define PAT_MAXVAR	256
#define PAT_MAXGAP	(1u << 20)
#define PAT_MAXSPAN	(1ull << 31)
#define PAT_NONE	UINT32_MAX
#define PAT_DEADN	1024		/* dead-state cache entries */

/* element types */
enum { E_BYTES, E_MASKED, E_SKIP, E_CLASS, E_ALT, E_GAP, E_BOUND, E_LINE };
/* token kinds */
enum { T_BYTE, T_GAP, T_STAR, T_ALT, T_CLASS, T_BOUND, T_LINE };
/* conditions on the outer ends of a match */
enum { PRED_NONE, PRED_FWSTART, PRED_FWEND };

/* blob layout: header, parts, elements, literal, data */
struct phdr {
	uint32_t	magic;
	uint32_t	size;
	uint32_t	flags;
	uint32_t	nelem;
	uint32_t	npart;
	uint32_t	lit_elem;
	uint32_t	lit_part;
	uint32_t	lit_off;
	uint32_t	lit_len;
	uint32_t	minlen;
	uint32_t	elem_off;
	uint32_t	part_off;
};

struct ppart {
	uint32_t	first, end;	/* element range */
	uint32_t	gap;		/* least bytes of the '*' gap before */
	uint32_t	minlen, maxlen;
	uint32_t	head, head_off;	/* fixed element at fixed offset */
	uint32_t	tail, tail_off;	/* same, from the part end */
};

struct pelem {
	uint8_t		type, stride, neg, fixed;
	uint32_t	n, m;		/* run length, gap n..m, alt count */
	uint32_t	off;		/* data offset from the blob start */
	uint32_t	minw, maxw;	/* bytes consumed */
	uint32_t	fmin, fmax;	/* this element through the part end */
	uint32_t	bmin, bmax;	/* part start through this element */
};

struct palt {
	uint32_t	len;		/* units; values then masks at off, */
	uint32_t	off;		/* counted from the element's data */
};

/* compile-time token and alternative */
struct tok {
	uint8_t		kind, v, m, neg;
	uint32_t	a, b;		/* gap n..m; alt first, count; class */
};

struct calt {
	uint32_t	off, len;	/* pairs (v, m) in comp.ab */
};

struct comp {
	const char	*hex;
	size_t		 n, i;
	unsigned	 flags, stride;
	struct strbuf	 tok, alt, ab, cls;	/* parse results */
	struct strbuf	 el, part, dat;		/* layout */
	size_t		 lit0, lit1;		/* literal token range */
	char		*why;
	size_t		 whylen;
};

/* a fully explored search state: element k of dfs call `call` at pos */
struct dead {
	size_t		 pos;
	uint32_t	 call, k;
};

/* match context */
struct mctx {
	const uint8_t		*blob;
	const struct phdr	*h;
	const struct pelem	*el;
	const struct ppart	*pt;
	const uint8_t		*buf;
	size_t			 len;
	unsigned long		 steps, budget;
	int			 fw;
	int			 dead_init;	/* dead[] zeroed yet */
	uint32_t		 call;		/* dfs calls so far, from 1 */
	struct dead		 dead[PAT_DEADN];
};

/* accepted final positions of a search: [lo, hi] and a predicate */
struct bound {
	size_t		 lo, hi;
	int		 pred;
};

struct frame {
	uint32_t	 k, opt;
	size_t		 pos;
};

/* isword - ASCII alphanumeric */
static int
isword(uint8_t b)
{
	return (b >= '0' && b <= '9') || ((b | 0x20) >= 'a' &&
	    (b | 0x20) <= 'z');
}

/* isletter - ASCII letter */
static int
isletter(uint8_t b)
{
	return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
}

/* comp_err - record why compiling failed; returns -1 */
static int __attribute__((format(printf, 2, 3)))
comp_err(struct comp *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c->whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* comp_push - append n bytes to a compile buffer */
static int
comp_push(struct comp *c, struct strbuf *sb, const void *p, size_t n)
{
	if (strbuf_append(sb, p, n) == -1)
		return comp_err(c, "out of memory");
	return 0;
}

/* comp_tok - append a token */
static int
comp_tok(struct comp *c, int kind, uint8_t v, uint8_t m, uint32_t a,
    uint32_t b)
{
	struct tok	 t = { (uint8_t)kind, v, m, 0, a, b };

	return comp_push(c, &c->tok, &t, sizeof(t));
}

/* emit_byte - a byte token, followed by 00 when wide */
static int
emit_byte(struct comp *c, uint8_t v, uint8_t m)
{
	if (comp_tok(c, T_BYTE, v, m, 0, 0) == -1)
		return -1;
	if (c->stride == 2)
		return comp_tok(c, T_BYTE, 0, 0xff, 0, 0);
	return 0;
}

/* emit_gap - a bounded gap of a..b bytes, doubled when wide */
static int
emit_gap(struct comp *c, uint32_t a, uint32_t b)
{
	if (b == 0)
		return 0;
	return comp_tok(c, T_GAP, 0, 0, a * c->stride, b * c->stride);
}

/* parse_byte - two hex digits or '?' at the cursor */
static int
parse_byte(struct comp *c, uint8_t *v, uint8_t *m)
{
	int	 hi, lo;
	char	 ch;

	*v = *m = 0;
	if (c->n - c->i < 2)
		return comp_err(c, "truncated hex byte at column %zu",
		    c->i + 1);
	for (int k = 0; k < 2; k++) {
		ch = c->hex[c->i];
		hi = hex_digit((unsigned char)ch);
		if (ch == '?')
			lo = 0;
		else if (hi < 0)
			return comp_err(c, "bad hex digit at column %zu",
			    c->i + 1);
		else
			lo = 0xf;
		*v = (uint8_t)(*v << 4 | (hi < 0 ? 0 : hi));
		*m = (uint8_t)(*m << 4 | lo);
		c->i++;
	}
	return 0;
}

/* parse_num - decimal number at the cursor; *have says if there was one */
static int
parse_num(struct comp *c, uint32_t *val, int *have)
{
	uint64_t	 x = 0;
	size_t		 at = c->i;

	*have = 0;
	while (c->i < c->n && c->hex[c->i] >= '0' && c->hex[c->i] <= '9') {
		x = x * 10 + (uint64_t)(c->hex[c->i] - '0');
		if (x > PAT_MAXGAP)
			return comp_err(c, "gap value too large at column %zu"
			    " (max %u)", at + 1, PAT_MAXGAP);
		c->i++;
		*have = 1;
	}
	*val = (uint32_t)x;
	return 0;
}

/* parse_brace - {n} {-n} {n-} {n-m} */
static int
parse_brace(struct comp *c)
{
	size_t		 open = c->i;
	uint32_t	 a = 0, b = 0;
	int		 ha, hb = 0, dash = 0;

	c->i++;
	if (parse_num(c, &a, &ha) == -1)
		return -1;
	if (c->i < c->n && c->hex[c->i] == '-') {
		dash = 1;
		c->i++;
		if (parse_num(c, &b, &hb) == -1)
			return -1;
	}
	if (c->i >= c->n)
		return comp_err(c, "unterminated gap at column %zu", open + 1);
	if (c->hex[c->i] != '}')
		return comp_err(c, "bad character in gap at column %zu",
		    c->i + 1);
	c->i++;
	if (!ha && !hb)
		return comp_err(c, "empty gap at column %zu", open + 1);
	if (!dash)
		return emit_gap(c, a, a);
	if (!ha)
		return emit_gap(c, 0, b);
	if (!hb)
		return comp_tok(c, T_STAR, 0, 0, a * c->stride, 0);
	if (a > b)
		return comp_err(c, "gap {%u-%u} min > max at column %zu",
		    a, b, open + 1);
	return emit_gap(c, a, b);
}

/* parse_bracket - [n-m] */
static int
parse_bracket(struct comp *c)
{
	size_t		 open = c->i;
	uint32_t	 a, b;
	int		 ha, hb;

	c->i++;
	if (parse_num(c, &a, &ha) == -1)
		return -1;
	if (!ha || c->i >= c->n || c->hex[c->i] != '-')
		return comp_err(c, "bad range at column %zu", open + 1);
	c->i++;
	if (parse_num(c, &b, &hb) == -1)
		return -1;
	if (!hb || c->i >= c->n || c->hex[c->i] != ']')
		return comp_err(c, "bad range at column %zu", open + 1);
	c->i++;
	if (a > b)
		return comp_err(c, "range [%u-%u] min > max at column %zu",
		    a, b, open + 1);
	return emit_gap(c, a, b);
}

/* class_set - add to map the bytes an alternative (v, m) matches */
static void
class_set(const struct comp *c, uint8_t *map, uint8_t v, uint8_t m)
{
	if (m == 0xff && (c->flags & PAT_NOCASE) && isletter(v)) {
		map[(v | 0x20) >> 3] |= (uint8_t)(1u << ((v | 0x20) & 7));
		map[(v & 0xdf) >> 3] |= (uint8_t)(1u << ((v & 0xdf) & 7));
		return;
	}
	for (unsigned b = 0; b < 256; b++)
		if ((b & m) == v)
			map[b >> 3] |= (uint8_t)(1u << (b & 7));
}

/* emit_class - a one-byte class token from a bitmap */
static int
emit_class(struct comp *c, const uint8_t *map)
{
	uint32_t	 idx = (uint32_t)(c->cls.len / 32);

	if (comp_push(c, &c->cls, map, 32) == -1)
		return -1;
	return comp_tok(c, T_CLASS, 0, 0, idx, 0);
}

/* emit_anchor - (B), (L) or (W) */
static int
emit_anchor(struct comp *c, char which)
{
	uint8_t	 map[32];

	if (which == 'B')
		return comp_tok(c, T_BOUND, 0, 0, 0, 0);
	if (which == 'L')
		return comp_tok(c, T_LINE, 0, 0, 0, 0);
	memset(map, 0, sizeof(map));
	for (unsigned b = 0; b < 256; b++)
		if (!isword((uint8_t)b))
			map[b >> 3] |= (uint8_t)(1u << (b & 7));
	return emit_class(c, map);
}

/* emit_group - the token(s) for a parsed alternate group */
static int
emit_group(struct comp *c, uint32_t first, uint32_t count, int neg,
    size_t open)
{
	const struct calt	*al = (const struct calt *)c->alt.data + first;
	const uint8_t		*ab = (const uint8_t *)c->ab.data;
	uint8_t			 map[32];
	uint32_t		 minl = UINT32_MAX, maxl = 0;
	struct tok		 t;

	for (uint32_t k = 0; k < count; k++) {
		minl = al[k].len < minl ? al[k].len : minl;
		maxl = al[k].len > maxl ? al[k].len : maxl;
	}
	if (neg && minl != maxl)
		return comp_err(c, "negated alternates differ in length at "
		    "column %zu", open + 1);
	if (count == 1 && !neg) {
		for (uint32_t k = 0; k < al[0].len; k++)
			if (emit_byte(c, ab[2 * (al[0].off + k)],
			    ab[2 * (al[0].off + k) + 1]) == -1)
				return -1;
		return 0;
	}
	if (maxl == 1) {
		memset(map, 0, sizeof(map));
		for (uint32_t k = 0; k < count; k++)
			class_set(c, map, ab[2 * al[k].off],
			    ab[2 * al[k].off + 1]);
		if (neg)
			for (size_t k = 0; k < sizeof(map); k++)
				map[k] = (uint8_t)~map[k];
		return emit_class(c, map);
	}
	t = (struct tok){ T_ALT, 0, 0, (uint8_t)neg, first, count };
	return comp_push(c, &c->tok, &t, sizeof(t));
}

/* parse_group - (aa|bb..), !(aa|..), (B), (L), (W) */
static int
parse_group(struct comp *c)
{
	size_t		 open = c->i;
	uint32_t	 first, count = 0;
	struct calt	 a;
	uint8_t		 vm[2];
	int		 neg = 0;
	char		 ch;

	if (c->hex[c->i] == '!') {
		neg = 1;
		if (++c->i >= c->n || c->hex[c->i] != '(')
			return comp_err(c, "expected '(' after '!' at column "
			    "%zu", open + 1);
	}
	if (!neg && c->n - c->i >= 3 && c->hex[c->i + 2] == ')' &&
	    strchr("BLW", c->hex[c->i + 1]) != NULL) {
		ch = c->hex[c->i + 1];
		c->i += 3;
		return emit_anchor(c, ch);
	}
	c->i++;
	first = (uint32_t)(c->alt.len / sizeof(struct calt));
	a = (struct calt){ (uint32_t)(c->ab.len / 2), 0 };
	for (;;) {
		if (c->i >= c->n)
			return comp_err(c, "unterminated alternate at column "
			    "%zu", open + 1);
		ch = c->hex[c->i];
		if (ch == '|' || ch == ')') {
			if (a.len == 0)
				return comp_err(c, "empty alternative at "
				    "column %zu", c->i + 1);
			if (++count > PAT_MAXALT)
				return comp_err(c, "too many alternatives at "
				    "column %zu (max %d)", open + 1,
				    PAT_MAXALT);
			if (comp_push(c, &c->alt, &a, sizeof(a)) == -1)
				return -1;
			c->i++;
			if (ch == ')')
				break;
			a = (struct calt){ (uint32_t)(c->ab.len / 2), 0 };
			continue;
		}
		if (strchr("(!*{}[]", ch) != NULL)
			return comp_err(c, "unexpected '%c' in alternate at "
			    "column %zu", ch, c->i + 1);
		if (parse_byte(c, &vm[0], &vm[1]) == -1 ||
		    comp_push(c, &c->ab, vm, 2) == -1)
			return -1;
		a.len++;
	}
	return emit_group(c, first, count, neg, open);
}

/* comp_parse - text to tokens */
static int
comp_parse(struct comp *c)
{
	uint8_t	 v, m;
	int	 rc;

	while (c->i < c->n) {
		switch (c->hex[c->i]) {
		case '*':
			c->i++;
			rc = comp_tok(c, T_STAR, 0, 0, 0, 0);
			break;
		case '{':
			rc = parse_brace(c);
			break;
		case '[':
			rc = parse_bracket(c);
			break;
		case '(':
		case '!':
			rc = parse_group(c);
			break;
		case ')':
		case '|':
			return comp_err(c, "unexpected '%c' at column %zu",
			    c->hex[c->i], c->i + 1);
		default:
			rc = parse_byte(c, &v, &m);
			if (rc == 0)
				rc = emit_byte(c, v, m);
			break;
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

/*
 * comp_split - in place: one T_STAR (a = minimum) between parts, bounded
 * gaps next to an unbounded one folded into its minimum; no star first
 * or last.
 */
static int
comp_split(struct comp *c)
{
	struct tok	*t = (struct tok *)c->tok.data;
	size_t		 nt = c->tok.len / sizeof(*t), w = 0;
	uint64_t	 pend = 0;
	int		 star = 0;

	for (size_t r = 0; r < nt; r++) {
		if (t[r].kind == T_STAR) {
			while (w > 0 && t[w - 1].kind == T_GAP)
				pend += t[--w].a;
			if (w == 0)
				return comp_err(c, "pattern starts with an "
				    "unbounded gap");
			pend += t[r].a;
			star = 1;
		} else if (t[r].kind == T_GAP && star) {
			pend += t[r].a;
		} else {
			if (star) {
				if (pend > PAT_MAXGAP * 4ull)
					return comp_err(c, "gap too large");
				t[w++] = (struct tok){ T_STAR, 0, 0, 0,
				    (uint32_t)pend, 0 };
				pend = 0;
				star = 0;
			}
			t[w++] = t[r];
		}
	}
	if (star)
		return comp_err(c, "pattern ends with an unbounded gap");
	if (w == 0)
		return comp_err(c, "empty pattern");
	c->tok.len = w * sizeof(*t);
	return 0;
}

/* lit_score - how unusual the bytes of a run are */
static size_t
lit_score(const struct tok *t, size_t n)
{
	size_t	 s = 0;

	for (size_t k = 0; k < n; k++)
		if (t[k].v != 0x00 && t[k].v != 0xff && t[k].v != 0x20)
			s++;
	return s;
}

/* comp_literal - choose the literal run of fully specified bytes */
static int
comp_literal(struct comp *c)
{
	const struct tok	*t = (const struct tok *)c->tok.data;
	size_t			 nt = c->tok.len / sizeof(*t);
	size_t			 bl = 0, bs = 0, r, e;

	c->lit0 = c->lit1 = 0;
	for (r = 0; r < nt; r = e > r ? e : r + 1) {
		for (e = r; e < nt && t[e].kind == T_BYTE && t[e].m == 0xff;)
			e++;
		if (e == r)
			continue;
		if (e - r > bl || (e - r == bl &&
		    lit_score(t + r, e - r) > bs)) {
			bl = e - r;
			bs = lit_score(t + r, e - r);
			c->lit0 = r;
			c->lit1 = e;
		}
	}
	if (bl == 0)
		return comp_err(c, "pattern has no literal byte");
	return 0;
}

/* comp_dalign - pad the data area to 4 bytes */
static int
comp_dalign(struct comp *c)
{
	static const uint8_t	 zero[4];

	return comp_push(c, &c->dat, zero, (4 - c->dat.len % 4) % 4);
}

/* comp_elem - append an element (data offset relative to the data area) */
static int
comp_elem(struct comp *c, int type, uint32_t n, uint32_t m, uint64_t minw,
    uint64_t maxw, uint32_t off)
{
	struct pelem	 e;

	if (maxw >= PAT_MAXSPAN)
		return comp_err(c, "gap too large");
	memset(&e, 0, sizeof(e));
	e.type = (uint8_t)type;
	e.stride = (uint8_t)c->stride;
	e.n = n;
	e.m = m;
	e.off = off;
	e.minw = (uint32_t)minw;
	e.maxw = (uint32_t)maxw;
	e.fixed = minw == maxw;
	return comp_push(c, &c->el, &e, sizeof(e));
}

/* build_run - one BYTES or MASKED element from byte tokens */
static int
build_run(struct comp *c, const struct tok *t, size_t n)
{
	uint32_t	 off;
	int		 masked = 0;
	uint8_t		 v, m;

	if (comp_dalign(c) == -1)
		return -1;
	off = (uint32_t)c->dat.len;
	for (size_t k = 0; k < n; k++) {
		v = t[k].v;
		m = t[k].m;
		if (m == 0xff && (c->flags & PAT_NOCASE) && isletter(v))
			m = 0xdf;
		masked |= m != 0xff;
		v &= m;
		if (comp_push(c, &c->dat, &v, 1) == -1)
			return -1;
	}
	if (masked) {
		for (size_t k = 0; k < n; k++) {
			m = t[k].m;
			if (m == 0xff && (c->flags & PAT_NOCASE) &&
			    isletter(t[k].v))
				m = 0xdf;
			if (comp_push(c, &c->dat, &m, 1) == -1)
				return -1;
		}
	}
	return comp_elem(c, masked ? E_MASKED : E_BYTES, (uint32_t)n, 0, n, n,
	    off);
}

/* build_alt - an ALT element from a T_ALT token */
static int
build_alt(struct comp *c, const struct tok *t)
{
	const struct calt	*al = (const struct calt *)c->alt.data + t->a;
	const uint8_t		*ab = (const uint8_t *)c->ab.data;
	uint32_t		 off, vo, minl = UINT32_MAX, maxl = 0;
	struct palt		 pa;
	uint8_t			 v, m;

	if (comp_dalign(c) == -1)
		return -1;
	off = (uint32_t)c->dat.len;
	vo = t->b * (uint32_t)sizeof(pa);	/* from the element's data */
	for (uint32_t k = 0; k < t->b; k++) {
		pa = (struct palt){ al[k].len, vo };
		vo += 2 * al[k].len;
		minl = al[k].len < minl ? al[k].len : minl;
		maxl = al[k].len > maxl ? al[k].len : maxl;
		if (comp_push(c, &c->dat, &pa, sizeof(pa)) == -1)
			return -1;
	}
	for (uint32_t k = 0; k < t->b; k++) {
		for (int pass = 0; pass < 2; pass++) {
			for (uint32_t u = 0; u < al[k].len; u++) {
				v = ab[2 * (al[k].off + u)];
				m = ab[2 * (al[k].off + u) + 1];
				if (m == 0xff && (c->flags & PAT_NOCASE) &&
				    isletter(v))
					m = 0xdf;
				v &= m;
				if (comp_push(c, &c->dat, pass ? &m : &v,
				    1) == -1)
					return -1;
			}
		}
	}
	if (comp_elem(c, E_ALT, t->b, 0, (uint64_t)minl * c->stride,
	    (uint64_t)maxl * c->stride, off) == -1)
		return -1;
	((struct pelem *)(void *)(c->el.data + c->el.len) - 1)->neg = t->neg;
	return 0;
}

/* build_tok - the element for one non-byte token; gaps merged by caller */
static int
build_tok(struct comp *c, const struct tok *t)
{
	uint32_t	 off;

	switch (t->kind) {
	case T_CLASS:
		off = (uint32_t)c->dat.len;
		if (comp_push(c, &c->dat, c->cls.data + 32 * (size_t)t->a,
		    32) == -1)
			return -1;
		return comp_elem(c, E_CLASS, 0, 0, c->stride, c->stride, off);
	case T_ALT:
		return build_alt(c, t);
	case T_BOUND:
		return comp_elem(c, E_BOUND, 0, 0, 0, c->stride, 0);
	default:
		return comp_elem(c, E_LINE, 0, 0, 0, 2 * c->stride, 0);
	}
}

/* build_gaps - one SKIP or GAP element for the gap tokens [r, *e) */
static int
build_gaps(struct comp *c, const struct tok *t, size_t nt, size_t r,
    size_t *e)
{
	uint64_t	 a = 0, b = 0;

	for (*e = r; *e < nt && t[*e].kind == T_GAP; (*e)++) {
		a += t[*e].a;
		b += t[*e].b;
		if (b >= PAT_MAXSPAN)
			return comp_err(c, "gap too large");
	}
	return comp_elem(c, a == b ? E_SKIP : E_GAP, (uint32_t)a,
	    (uint32_t)b, a, b, 0);
}

/* build_part_meta - part bounds, sums and anchors for elements [f, e) */
static int
build_part_meta(struct comp *c, uint32_t f, uint32_t e, uint32_t gap)
{
	struct pelem	*el = (struct pelem *)(void *)c->el.data;
	struct ppart	 p = { f, e, gap, 0, 0, PAT_NONE, 0, PAT_NONE, 0 };
	uint64_t	 mn = 0, mx = 0, off;

	for (uint32_t k = f; k < e; k++) {
		mn += el[k].minw;
		mx += el[k].maxw;
		el[k].bmin = (uint32_t)mn;
		el[k].bmax = (uint32_t)mx;
	}
	if (mx >= PAT_MAXSPAN)
		return comp_err(c, "pattern can span too many bytes");
	p.minlen = (uint32_t)mn;
	p.maxlen = (uint32_t)mx;
	mn = mx = 0;
	for (uint32_t k = e; k-- > f;) {
		mn += el[k].minw;
		mx += el[k].maxw;
		el[k].fmin = (uint32_t)mn;
		el[k].fmax = (uint32_t)mx;
	}
	for (off = 0, p.head = f; p.head < e && el[p.head].fixed &&
	    el[p.head].type == E_SKIP; p.head++)
		off += el[p.head].minw;
	p.head_off = (uint32_t)off;
	if (p.head == e || !el[p.head].fixed)
		p.head = PAT_NONE;
	for (off = 0, p.tail = e - 1; p.tail > f && el[p.tail].fixed &&
	    el[p.tail].type == E_SKIP; p.tail--)
		off += el[p.tail].minw;
	p.tail_off = (uint32_t)off;
	if (!el[p.tail].fixed || el[p.tail].type == E_SKIP)
		p.tail = PAT_NONE;
	return comp_push(c, &c->part, &p, sizeof(p));
}

/* comp_build - tokens to elements and parts */
static int
comp_build(struct comp *c, uint32_t *lit_elem, uint32_t *lit_part)
{
	const struct tok	*t = (const struct tok *)c->tok.data;
	size_t			 nt = c->tok.len / sizeof(*t), r, e, q;
	uint32_t		 first = 0, gap = 0, ne, npart = 0;

	for (r = 0; r <= nt; r = e) {
		ne = (uint32_t)(c->el.len / sizeof(struct pelem));
		if (r == nt || t[r].kind == T_STAR) {
			if (build_part_meta(c, first, ne, gap) == -1)
				return -1;
			npart++;
			if (r == nt)
				break;
			gap = t[r].a;
			first = ne;
			e = r + 1;
			continue;
		}
		if (t[r].kind == T_GAP) {
			if (build_gaps(c, t, nt, r, &e) == -1)
				return -1;
			continue;
		}
		if (t[r].kind != T_BYTE) {
			if (build_tok(c, &t[r]) == -1)
				return -1;
			e = r + 1;
			continue;
		}
		for (e = r; e < nt && t[e].kind == T_BYTE;)
			e++;
		/* the literal is an element of its own */
		if (c->lit0 >= r && c->lit0 < e) {
			if (c->lit0 > r &&
			    build_run(c, t + r, c->lit0 - r) == -1)
				return -1;
			*lit_elem = (uint32_t)(c->el.len /
			    sizeof(struct pelem));
			*lit_part = npart;
			if (build_run(c, t + c->lit0, c->lit1 - c->lit0) == -1)
				return -1;
			q = c->lit1;
		} else
			q = r;
		if (e > q && build_run(c, t + q, e - q) == -1)
			return -1;
	}
	return 0;
}

/* comp_check - limits on the built elements */
static int
comp_check(struct comp *c, uint64_t *minlen)
{
	const struct pelem	*el = (const struct pelem *)(void *)c->el.data;
	const struct ppart	*p = (const struct ppart *)(void *)c->part.data;
	size_t			 ne = c->el.len / sizeof(*el), nvar = 0;

	if (ne > PAT_MAXELEM)
		return comp_err(c, "too many elements (%zu, max %d)", ne,
		    PAT_MAXELEM);
	for (size_t k = 0; k < ne; k++)
		nvar += !el[k].fixed;
	if (nvar > PAT_MAXVAR)
		return comp_err(c, "too many variable-length elements (%zu, "
		    "max %d)", nvar, PAT_MAXVAR);
	*minlen = 0;
	for (size_t k = 0; k < c->part.len / sizeof(*p); k++)
		*minlen += (uint64_t)p[k].gap + p[k].minlen;
	if (*minlen >= PAT_MAXSPAN)
		return comp_err(c, "pattern too long");
	return 0;
}

/* comp_emit - lay the blob out at the end of out */
static int
comp_emit(struct comp *c, struct strbuf *out, size_t *blob_off,
    uint32_t lit_elem, uint32_t lit_part, uint32_t minlen)
{
	static const uint8_t	 zero[8];
	struct phdr		 h;
	struct pelem		*el = (struct pelem *)(void *)c->el.data;
	size_t			 ne = c->el.len / sizeof(*el), start, lit, dat;
	size_t			 oldlen = out->len;
	const struct tok	*t = (const struct tok *)c->tok.data;
	uint8_t			 b;

	memset(&h, 0, sizeof(h));
	h.magic = PAT_MAGIC;
	h.flags = c->flags;
	h.nelem = (uint32_t)ne;
	h.npart = (uint32_t)(c->part.len / sizeof(struct ppart));
	h.lit_elem = lit_elem;
	h.lit_part = lit_part;
	h.lit_len = (uint32_t)(c->lit1 - c->lit0);
	h.minlen = minlen;
	h.part_off = sizeof(h);
	h.elem_off = (uint32_t)(h.part_off + c->part.len);
	lit = h.elem_off + c->el.len;
	h.lit_off = (uint32_t)lit;
	dat = (lit + h.lit_len + 3) & ~(size_t)3;
	h.size = (uint32_t)(dat + c->dat.len);
	for (size_t k = 0; k < ne; k++)
		el[k].off += (uint32_t)dat;
	if (strbuf_append(out, zero, (8 - out->len % 8) % 8) == -1)
		goto fail;
	start = out->len;
	if (strbuf_append(out, &h, sizeof(h)) == -1 ||
	    strbuf_append(out, c->part.data, c->part.len) == -1 ||
	    strbuf_append(out, c->el.data, c->el.len) == -1)
		goto fail;
	for (size_t k = c->lit0; k < c->lit1; k++) {
		b = t[k].v;
		if ((c->flags & PAT_NOCASE) && isletter(b))
			b |= 0x20;
		if (strbuf_append(out, &b, 1) == -1)
			goto fail;
	}
	if (strbuf_append(out, zero, dat - lit - h.lit_len) == -1 ||
	    strbuf_append(out, c->dat.data, c->dat.len) == -1)
		goto fail;
	*blob_off = start;
	return 0;
fail:
	out->len = oldlen;
	if (out->data != NULL)
		out->data[oldlen] = '\0';
	return comp_err(c, "blob too large for the output buffer");
}

int
pat_compile(const char *hex, size_t n, unsigned flags, struct strbuf *out,
    size_t *blob_off, char *why, size_t whylen)
{
	struct comp	 c;
	uint32_t	 lit_elem = 0, lit_part = 0;
	uint64_t	 minlen = 0;
	size_t		 cap = 64 * (size_t)PAT_MAXTEXT;
	int		 rc = -1;

	memset(&c, 0, sizeof(c));
	c.hex = hex;
	c.n = n;
	c.flags = flags & (PAT_NOCASE | PAT_WIDE | PAT_FULLWORD);
	c.stride = (flags & PAT_WIDE) ? 2 : 1;
	c.why = why;
	c.whylen = whylen;
	strbuf_init(&c.tok, cap);
	strbuf_init(&c.alt, cap);
	strbuf_init(&c.ab, cap);
	strbuf_init(&c.cls, cap);
	strbuf_init(&c.el, cap);
	strbuf_init(&c.part, cap);
	strbuf_init(&c.dat, cap);
	if (n == 0) {
		comp_err(&c, "empty pattern");
		goto out;
	}
	if (n > PAT_MAXTEXT) {
		comp_err(&c, "pattern too long (%zu bytes, max %d)", n,
		    PAT_MAXTEXT);
		goto out;
	}
	if (comp_parse(&c) == -1 || comp_split(&c) == -1 ||
	    comp_literal(&c) == -1 ||
	    comp_build(&c, &lit_elem, &lit_part) == -1 ||
	    comp_check(&c, &minlen) == -1 ||
	    comp_emit(&c, out, blob_off, lit_elem, lit_part,
	    (uint32_t)minlen) == -1)
		goto out;
	rc = 0;
out:
	strbuf_fini(&c.tok);
	strbuf_fini(&c.alt);
	strbuf_fini(&c.ab);
	strbuf_fini(&c.cls);
	strbuf_fini(&c.el);
	strbuf_fini(&c.part);
	strbuf_fini(&c.dat);
	return rc;
}

/* ---- matching ---------------------------------------------------- */

/* load64 - unaligned 8-byte load */
static uint64_t
load64(const uint8_t *p)
{
	uint64_t	 x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* masked_eq - (b[k] & m[k]) == v[k] for k < n */
static int
masked_eq(const uint8_t *b, const uint8_t *v, const uint8_t *m, size_t n)
{
	size_t	 k = 0;

	for (; k + 8 <= n; k += 8)
		if (((load64(b + k) ^ load64(v + k)) & load64(m + k)) != 0)
			return 0;
	for (; k < n; k++)
		if ((b[k] & m[k]) != v[k])
			return 0;
	return 1;
}

/* unit_zero - the 00 after every unit of a wide element at [st, st+w) */
static int
unit_zero(const uint8_t *b, size_t w, unsigned stride)
{
	if (stride == 1)
		return 1;
	for (size_t k = 1; k < w; k += 2)
		if (b[k] != 0)
			return 0;
	return 1;
}

/* alt_eq - the values of alternative a at b (units spaced by stride) */
static int
alt_eq(const uint8_t *base, const struct palt *a, const uint8_t *b,
    unsigned stride)
{
	const uint8_t	*v = base + a->off, *m = v + a->len;

	for (uint32_t u = 0; u < a->len; u++)
		if ((b[u * stride] & m[u]) != v[u])
			return 0;
	return 1;
}

/* fixed_at - does fixed-width element e match at [st, st + e->minw) */
static int
fixed_at(const struct mctx *c, const struct pelem *e, size_t st)
{
	const uint8_t		*b = c->buf + st, *d = c->blob + e->off;
	const struct palt	*al = (const struct palt *)(const void *)d;

	if (st > c->len || c->len - st < e->minw)
		return 0;
	switch (e->type) {
	case E_BYTES:
		return memcmp(b, d, e->n) == 0;
	case E_MASKED:
		return masked_eq(b, d, d + e->n, e->n);
	case E_SKIP:
		return 1;
	case E_CLASS:
		return (d[b[0] >> 3] >> (b[0] & 7) & 1) &&
		    unit_zero(b, e->minw, e->stride);
	case E_ALT:
		if (!unit_zero(b, e->minw, e->stride))
			return 0;
		for (uint32_t k = 0; k < e->n; k++)
			if (alt_eq(d, &al[k], b, e->stride))
				return !e->neg;
		return e->neg;
	default:
		return 0;
	}
}

/* edge_unit - one unit of an anchor at [st, st + stride) equal to ch */
static int
edge_unit(const struct mctx *c, size_t st, unsigned stride, int ch)
{
	if (st > c->len || c->len - st < stride)
		return 0;
	if (stride == 2 && c->buf[st + 1] != 0)
		return 0;
	if (ch < 0)
		return !isword(c->buf[st]);
	return c->buf[st] == ch;
}

/*
 * var_opt - try option opt of variable element e at pos in direction dir;
 * on success set *w to the bytes it takes.  Options: (B) edge, non-word
 * unit; (L) edge, LF, CR, CRLF; ALT one per alternative.
 */
static int
var_opt(const struct mctx *c, const struct pelem *e, uint32_t opt,
    size_t pos, int dir, size_t *w)
{
	const struct palt	*al = NULL;
	unsigned		 s = e->stride;
	size_t			 st;

	if (e->type == E_ALT) {
		al = (const struct palt *)(const void *)(c->blob + e->off);
		*w = (size_t)al[opt].len * s;
	} else if (opt == 0) {
		*w = 0;
		return pos == 0 || pos == c->len;
	} else
		*w = (e->type == E_LINE && opt == 3) ? 2 * s : s;
	if (dir < 0 && pos < *w)
		return 0;
	st = dir > 0 ? pos : pos - *w;
	if (st > c->len || c->len - st < *w)
		return 0;
	if (e->type == E_ALT)
		return unit_zero(c->buf + st, *w, s) &&
		    alt_eq(c->blob + e->off, &al[opt], c->buf + st, s);
	if (e->type == E_BOUND)
		return edge_unit(c, st, s, -1);
	if (opt == 1)
		return edge_unit(c, st, s, '\n');
	if (opt == 2)
		return edge_unit(c, st, s, '\r');
	return edge_unit(c, st, s, '\r') && edge_unit(c, st + s, s, '\n');
}

/* fw_start - nothing alphanumeric just before pos */
static int
fw_start(const struct mctx *c, size_t pos)
{
	if (c->h->flags & PAT_WIDE)
		return pos < 2 || c->buf[pos - 1] != 0 ||
		    !isword(c->buf[pos - 2]);
	return pos == 0 || !isword(c->buf[pos - 1]);
}

/* fw_end - nothing alphanumeric at pos */
static int
fw_end(const struct mctx *c, size_t pos)
{
	if (c->h->flags & PAT_WIDE)
		return pos + 1 >= c->len || c->buf[pos + 1] != 0 ||
		    !isword(c->buf[pos]);
	return pos >= c->len || !isword(c->buf[pos]);
}

/* pred_ok - the end condition of a bound */
static int
pred_ok(const struct mctx *c, int pred, size_t pos)
{
	if (pred == PRED_FWSTART)
		return fw_start(c, pos);
	if (pred == PRED_FWEND)
		return fw_end(c, pos);
	return 1;
}

/*
 * feasible - can a search at element e, position pos still finish in b,
 * and, when have is set, beat the best end found so far?
 */
static int
feasible(const struct mctx *c, const struct pelem *e, int dir, size_t pos,
    const struct bound *b, int have, size_t best)
{
	if (dir > 0) {
		if (e->fmin > c->len - pos || pos + e->fmin > b->hi)
			return 0;
		if (pos + e->fmax < b->lo)
			return 0;
		return !have || pos + e->fmin < best;
	}
	if (pos < e->bmin || pos - e->bmin < b->lo)
		return 0;
	if (pos >= e->bmax && pos - e->bmax > b->hi)
		return 0;
	return !have || pos - e->bmin > best;
}

/* gap_next - next gap length for frame f; 0 when exhausted */
static int
gap_next(const struct mctx *c, const struct pelem *e, struct frame *f,
    int dir, const struct bound *b, int have, size_t best, size_t *np)
{
	size_t	 rmin, rmax, g, lim;

	if (dir > 0) {
		rmin = e->fmin - e->n;
		rmax = e->fmax - e->m;
		lim = b->hi < c->len ? b->hi : c->len;
		if (f->opt == 0 && b->lo > f->pos + rmax + e->n) {
			if (b->lo - f->pos - rmax - e->n > e->m - e->n)
				return 0;
			f->opt = (uint32_t)(b->lo - f->pos - rmax - e->n);
		}
		g = e->n + (size_t)f->opt;
		if (g > e->m || f->pos + rmin > lim ||
		    g > lim - f->pos - rmin ||
		    (have && f->pos + g + rmin >= best))
			return 0;
		*np = f->pos + g;
	} else {
		rmin = e->bmin - e->n;
		rmax = e->bmax - e->m;
		if (f->opt == 0 && f->pos >= rmax + e->n &&
		    f->pos - rmax - e->n > b->hi) {
			if (f->pos - rmax - e->n - b->hi > e->m - e->n)
				return 0;
			f->opt = (uint32_t)(f->pos - rmax - e->n - b->hi);
		}
		g = e->n + (size_t)f->opt;
		if (g > e->m || f->pos < b->lo + rmin ||
		    g > f->pos - b->lo - rmin ||
		    (have && f->pos - g - rmin <= best))
			return 0;
		*np = f->pos - g;
	}
	f->opt++;
	return 1;
}

/* var_next - next matching option of a (B), (L) or ALT frame */
static int
var_next(struct mctx *c, const struct pelem *e, struct frame *f, int dir,
    size_t *np)
{
	uint32_t	 nopt = e->type == E_ALT ? e->n :
			    e->type == E_LINE ? 4 : 2;
	size_t		 w;

	while (f->opt < nopt) {
		if (++c->steps > c->budget)
			return -1;
		if (var_opt(c, e, f->opt++, f->pos, dir, &w)) {
			*np = dir > 0 ? f->pos + w : f->pos - w;
			return 1;
		}
	}
	return 0;
}

/* dead_slot - the cache slot for state (k, pos) */
static struct dead *
dead_slot(struct mctx *c, uint32_t k, size_t pos)
{
	uint64_t	 h = ((uint64_t)pos ^ (uint64_t)k << 40) *
			    0x9e3779b97f4a7c15ull;

	return &c->dead[(h >> 32) % PAT_DEADN];
}

/* dead_has - was state (k, pos) fully explored in this dfs call */
static int
dead_has(struct mctx *c, uint32_t k, size_t pos)
{
	const struct dead	*d;

	if (!c->dead_init)
		return 0;
	d = dead_slot(c, k, pos);
	return d->call == c->call && d->k == k && d->pos == pos;
}

/* dead_add - remember state (k, pos) as fully explored (lossy) */
static void
dead_add(struct mctx *c, uint32_t k, size_t pos)
{
	if (!c->dead_init) {
		memset(c->dead, 0, sizeof(c->dead));
		c->dead_init = 1;
	}
	*dead_slot(c, k, pos) = (struct dead){ pos, c->call, k };
}

/*
 * dfs - match elements [i0, i1) from p0, forwards (dir > 0, the match
 * starts at p0) or backwards (dir < 0, it ends at p0).  The far end must
 * fall in b.  With best, find the earliest end (forwards) or latest start
 * (backwards); otherwise stop at the first success.  1, 0 or -1 (budget).
 */
static int
dfs(struct mctx *c, uint32_t i0, uint32_t i1, int dir, size_t p0,
    const struct bound *b, int best, size_t *out)
{
	struct frame		 st[PAT_MAXVAR], *f;
	const struct pelem	*e;
	uint32_t		 n = i1 - i0, k = 0, sp = 0;
	size_t			 pos = p0, bv = 0;
	int			 have = 0, r;

	c->call++;
	for (;;) {
		if (k == n) {
			if (pos >= b->lo && pos <= b->hi &&
			    pred_ok(c, b->pred, pos) && (!have || (dir > 0 ?
			    pos < bv : pos > bv))) {
				bv = pos;
				have = 1;
				if (!best)
					break;
			}
			goto back;
		}
		e = &c->el[dir > 0 ? i0 + k : i1 - 1 - k];
		if (++c->steps > c->budget)
			return -1;
		if (!feasible(c, e, dir, pos, b, have, bv))
			goto back;
		if (e->fixed) {
			if (dir < 0 && pos < e->minw)
				goto back;
			if (!fixed_at(c, e, dir > 0 ? pos : pos - e->minw))
				goto back;
			pos = dir > 0 ? pos + e->minw : pos - e->minw;
			k++;
			continue;
		}
		/*
		 * A state whose options were all tried cannot succeed, nor
		 * beat the best found, later in this call: best only improves.
		 */
		if (dead_has(c, k, pos))
			goto back;
		st[sp++] = (struct frame){ k, 0, pos };
		goto next;
back:
		if (sp == 0)
			break;
next:
		f = &st[sp - 1];
		e = &c->el[dir > 0 ? i0 + f->k : i1 - 1 - f->k];
		if (e->type == E_GAP) {
			if (++c->steps > c->budget)
				return -1;
			r = gap_next(c, e, f, dir, b, have, bv, &pos);
		} else
			r = var_next(c, e, f, dir, &pos);
		if (r == -1)
			return -1;
		if (r == 1) {
			k = f->k + 1;
			continue;
		}
		dead_add(c, f->k, f->pos);
		sp--;
		goto back;
	}
	if (have)
		*out = bv;
	return have;
}

/*
 * scan - first (dir > 0) or last (dir < 0) q in [qlo, qhi] where fixed
 * element e matches at q, or SIZE_MAX.  Not counted against the budget:
 * it is a plain byte scan.
 */
static size_t
scan(const struct mctx *c, const struct pelem *e, size_t qlo, size_t qhi,
    int dir)
{
	const uint8_t	*nd = c->blob + e->off, *q;
	size_t		 at;

	if (c->len < e->minw)
		return SIZE_MAX;
	if (qhi > c->len - e->minw)
		qhi = c->len - e->minw;
	while (qlo <= qhi) {
		if (e->type == E_BYTES) {
			q = dir > 0 ?
			    memchr(c->buf + qlo, nd[0], qhi - qlo + 1) :
			    memrchr(c->buf + qlo, nd[0], qhi - qlo + 1);
			if (q == NULL)
				return SIZE_MAX;
			at = (size_t)(q - c->buf);
		} else
			at = dir > 0 ? qlo : qhi;
		if (fixed_at(c, e, at))
			return at;
		if (dir > 0)
			qlo = at + 1;
		else if (at == qlo)
			break;
		else
			qhi = at - 1;
	}
	return SIZE_MAX;
}

/*
 * find_start - latest start s in [slo, shi] where part j matches with its
 * end at or before ehi and pred holds at s.
 */
static int
find_start(struct mctx *c, uint32_t j, size_t slo, size_t shi, size_t ehi,
    int pred, size_t *out)
{
	const struct ppart	*p = &c->pt[j];
	struct bound		 b;
	size_t			 s = shi, q, end;
	int			 r;

	for (;;) {
		if (p->head != PAT_NONE) {
			q = scan(c, &c->el[p->head], slo + p->head_off,
			    s + p->head_off, -1);
			if (q == SIZE_MAX)
				return 0;
			s = q - p->head_off;
		}
		if (pred_ok(c, pred, s)) {
			b = (struct bound){ s, ehi, PRED_NONE };
			if ((r = dfs(c, p->first, p->end, 1, s, &b, 0,
			    &end)) != 0) {
				*out = s;
				return r;
			}
		}
		if (s == slo)
			return 0;
		s--;
	}
}

/*
 * find_end - earliest end e where part j matches with its start at or
 * after lo and pred holds at e.
 */
static int
find_end(struct mctx *c, uint32_t j, size_t lo, int pred, size_t *out)
{
	const struct ppart	*p = &c->pt[j];
	const struct pelem	*t;
	struct bound		 b;
	size_t			 e, q, start;
	int			 r;

	if (c->len - lo < p->minlen)
		return 0;
	for (e = lo + p->minlen; e <= c->len; e++) {
		if (p->tail != PAT_NONE) {
			t = &c->el[p->tail];
			if (c->len < (size_t)p->tail_off + t->minw)
				return 0;
			q = scan(c, t, e - p->tail_off - t->minw,
			    c->len - p->tail_off - t->minw, 1);
			if (q == SIZE_MAX)
				return 0;
			e = q + t->minw + p->tail_off;
		}
		if (pred_ok(c, pred, e)) {
			b = (struct bound){ lo, SIZE_MAX, PRED_NONE };
			if ((r = dfs(c, p->first, p->end, -1, e, &b, 0,
			    &start)) != 0) {
				*out = e;
				return r;
			}
		}
	}
	return 0;
}

/* chain_left - place parts k-1..0 before start S; *start of part 0 */
static int
chain_left(struct mctx *c, uint32_t k, size_t S, size_t smin, size_t smax,
    size_t *start)
{
	size_t	 hi = S, slo, shi;
	int	 r;

	for (uint32_t j = k; j-- > 0;) {
		if (hi < c->pt[j + 1].gap)
			return 0;
		hi -= c->pt[j + 1].gap;
		if (hi < c->pt[j].minlen)
			return 0;
		shi = hi - c->pt[j].minlen;
		slo = 0;
		if (j == 0) {
			shi = shi < smax ? shi : smax;
			slo = smin;
		}
		if (slo > shi)
			return 0;
		r = find_start(c, j, slo, shi, hi, j == 0 && c->fw ?
		    PRED_FWSTART : PRED_NONE, &hi);
		if (r != 1)
			return r;
	}
	*start = hi;
	return 1;
}

/* chain_right - place parts k+1.. after end E; *end of the last part */
static int
chain_right(struct mctx *c, uint32_t k, size_t E, size_t *end)
{
	size_t	 lo = E;
	int	 r;

	for (uint32_t j = k + 1; j < c->h->npart; j++) {
		if (c->len - lo < c->pt[j].gap)
			return 0;
		lo += c->pt[j].gap;
		r = find_end(c, j, lo, j + 1 == c->h->npart && c->fw ?
		    PRED_FWEND : PRED_NONE, &lo);
		if (r != 1)
			return r;
	}
	*end = lo;
	return 1;
}

/* mctx_init - a match context over buf */
static void
mctx_init(struct mctx *c, const void *blob, const uint8_t *buf, size_t len,
    unsigned long budget)
{
	c->blob = blob;
	c->h = blob;
	c->el = (const struct pelem *)(const void *)(c->blob +
	    c->h->elem_off);
	c->pt = (const struct ppart *)(const void *)(c->blob +
	    c->h->part_off);
	c->buf = buf;
	c->len = len;
	c->steps = 0;
	c->budget = budget;
	c->fw = (c->h->flags & PAT_FULLWORD) != 0;
	c->dead_init = 0;
	c->call = 0;
}

int
pat_verify_ex(const void *blob, const uint8_t *buf, size_t len,
    size_t lit_end, size_t smin, size_t smax, unsigned long budget,
    size_t *mstart, size_t *mend)
{
	struct mctx		 c;
	const struct ppart	*p;
	struct bound		 b;
	size_t			 ls, S, E;
	uint32_t		 k;
	int			 r;

	mctx_init(&c, blob, buf, len, budget);
	if (c.h->magic != PAT_MAGIC || lit_end > len ||
	    lit_end < c.h->lit_len || smin > smax)
		return 0;
	ls = lit_end - c.h->lit_len;
	if (!fixed_at(&c, &c.el[c.h->lit_elem], ls))
		return 0;
	k = c.h->lit_part;
	p = &c.pt[k];
	b = (struct bound){ 0, SIZE_MAX, PRED_NONE };
	if (k == 0)
		b = (struct bound){ smin, smax, c.fw ? PRED_FWSTART :
		    PRED_NONE };
	if ((r = dfs(&c, p->first, c.h->lit_elem, -1, ls, &b, 1, &S)) != 1)
		return r;
	b = (struct bound){ 0, len, k + 1 == c.h->npart && c.fw ?
	    PRED_FWEND : PRED_NONE };
	if ((r = dfs(&c, c.h->lit_elem + 1, p->end, 1, lit_end, &b, 1,
	    &E)) != 1)
		return r;
	if ((r = chain_left(&c, k, S, smin, smax, &S)) != 1 ||
	    (r = chain_right(&c, k, E, &E)) != 1)
		return r;
	*mstart = S;
	*mend = E;
	return 1;
}

int
pat_verify(const void *blob, const uint8_t *buf, size_t len, size_t lit_end,
    size_t smin, size_t smax, size_t *mstart, size_t *mend)
{
	return pat_verify_ex(blob, buf, len, lit_end, smin, smax, PAT_BUDGET,
	    mstart, mend) == 1;
}

int
pat_search_ex(const void *blob, const uint8_t *buf, size_t len,
    size_t smin, size_t smax, unsigned long budget, size_t *mstart,
    size_t *mend)
{
	struct mctx		 c;
	const struct ppart	*p;
	struct bound		 b;
	size_t			 s, shi, q, E;
	int			 r;

	mctx_init(&c, blob, buf, len, budget);
	p = &c.pt[0];
	if (c.h->magic != PAT_MAGIC || c.h->minlen > len || smin > smax)
		return 0;
	shi = len - c.h->minlen;
	shi = shi < smax ? shi : smax;
	for (s = smin; s <= shi; s++) {
		if (p->head != PAT_NONE) {
			q = scan(&c, &c.el[p->head], s + p->head_off,
			    shi + p->head_off, 1);
			if (q == SIZE_MAX)
				break;
			s = q - p->head_off;
		}
		if (c.fw && !fw_start(&c, s))
			continue;
		b = (struct bound){ s, len, c.h->npart == 1 && c.fw ?
		    PRED_FWEND : PRED_NONE };
		if ((r = dfs(&c, p->first, p->end, 1, s, &b, 1, &E)) == 1)
			r = chain_right(&c, 0, E, &E);
		if (r == -1)
			return -1;
		if (r == 1) {
			*mstart = s;
			*mend = E;
			return 1;
		}
	}
	return 0;
}

int
pat_search(const void *blob, const uint8_t *buf, size_t len, size_t smin,
    size_t smax, size_t *mstart, size_t *mend)
{
	return pat_search_ex(blob, buf, len, smin, smax,
	    PAT_BUDGET + 4ul * len, mstart, mend) == 1;
}

const uint8_t *
pat_literal(const void *blob, size_t *len, int *nocase)
{
	const struct phdr	*h = blob;

	*len = h->lit_len;
	*nocase = (h->flags & PAT_NOCASE) != 0;
	return (const uint8_t *)blob + h->lit_off;
}

size_t
pat_minlen(const void *blob)
{
	return ((const struct phdr *)blob)->minlen;
}

size_t
pat_bloblen(const void *blob)
{
	return ((const struct phdr *)blob)->size;
}
