/*
 * lsig.c - logical signatures: target description block parser, logical
 * expression compiler and evaluator
 *
 * DESIGN: tdb_parse is a single pass over comma-separated items driven by
 * a key table; it writes only into the caller's struct.  lexpr_compile
 * parses by recursive descent (recursion only through parentheses, so
 * bounded by LEXPR_MAXDEPTH) into a node array of at most n nodes, since
 * every node consumes at least one input byte, then emits postfix op
 * words.  A chain "t1 op1 t2 op2 ... tk" groups to the right; because &
 * and | are commutative in truth, count and set, it is emitted bottom-up
 * as "tk t(k-1) op(k-1) ... t1 op1", which keeps the evaluation stack at
 * one slot per chain instead of one per term: the stack is bounded by
 * nesting depth, not length, and lexpr_eval runs on a fixed array with
 * no allocation.  Every stack slot keeps the invariant "false implies
 * count 0 and empty set", which makes | a plain sum and union.
 *
 * Op word: low 8 bits op code, high 24 bits argument (leaf: index;
 * comparison: the distinct-count Y clamped to LEXPR_MAXSUB + 1, beyond
 * which it can never hold).  A comparison is followed by one word, X.
 *
 * Hand-written: the grammar is a dozen lines and the evaluator must run
 * allocation-free on an on-disk blob, which no parser generator offers.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lsig.h"

/* lsig_why - format a reason into why, when there is room for one */
static void __attribute__((format(printf, 3, 4)))
lsig_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* lsig_num - parse n > 0 decimal digits that fit 32 bits */
static int
lsig_num(const char *s, size_t n, uint32_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/* ---- target description block ---- */

enum tdb_kind {
	TK_UINT,	/* Target */
	TK_RANGE,	/* min-max or n */
	TK_CONTAINER,	/* one CL_TYPE_, stored */
	TK_FTYPE,	/* one CL_TYPE_, checked only */
	TK_FTYPES,	/* CL_TYPE_>CL_TYPE_..., checked only */
	TK_NAME		/* icon group name, checked only */
};

static const struct tdb_key {
	const char	*name;
	enum tdb_kind	 kind;
	size_t		 off;	/* TK_RANGE: where its struct lsig_range is */
	unsigned	 unsup;	/* TDB_UNSUP_* bit set when the key is seen */
} tdb_keys[] = {
	{ "Engine",		TK_RANGE,     offsetof(struct tdb, engine),	0 },
	{ "Target",		TK_UINT,      0, 0 },
	{ "FileSize",		TK_RANGE,     offsetof(struct tdb, filesize),	0 },
	{ "EntryPoint",		TK_RANGE,     offsetof(struct tdb, entrypoint), 0 },
	{ "NumberOfSections",	TK_RANGE,     offsetof(struct tdb, nsections),	0 },
	{ "Container",		TK_CONTAINER, 0, 0 },
	{ "Intermediates",	TK_FTYPES,    0, TDB_UNSUP_INTERMEDIATES },
	{ "IconGroup1",		TK_NAME,      0, TDB_UNSUP_ICONGROUP1 },
	{ "IconGroup2",		TK_NAME,      0, TDB_UNSUP_ICONGROUP2 },
	{ "HandlerType",	TK_FTYPE,     0, TDB_UNSUP_HANDLERTYPE },
};
#define TDB_NKEYS	(sizeof(tdb_keys) / sizeof(tdb_keys[0]))
#define TDB_MAXLAYERS	16	/* Intermediates */
#define TARGET_PE	1
#define TARGET_ELF	6
#define TARGET_MACHO	9

/* tdb_lookup - the table row named by the n bytes at k, or NULL */
static const struct tdb_key *
tdb_lookup(const char *k, size_t n)
{
	size_t	 i;

	for (i = 0; i < TDB_NKEYS; i++)
		if (strlen(tdb_keys[i].name) == n &&
		    memcmp(tdb_keys[i].name, k, n) == 0)
			return &tdb_keys[i];
	return NULL;
}

/* tdb_range - "min-max" or "n" */
static int
tdb_range(const char *v, size_t n, struct lsig_range *r)
{
	const char	*dash;

	if ((dash = memchr(v, '-', n)) == NULL) {
		if (lsig_num(v, n, &r->min) == -1)
			return -1;
		r->max = r->min;
	} else if (lsig_num(v, (size_t)(dash - v), &r->min) == -1 ||
	    lsig_num(dash + 1, n - (size_t)(dash - v) - 1, &r->max) == -1 ||
	    r->min > r->max)
		return -1;
	r->set = 1;
	return 0;
}

/* tdb_ftype - is the n bytes at v shaped like CL_TYPE_NAME? */
static int
tdb_ftype(const char *v, size_t n)
{
	size_t	 i;

	if (n <= 8 || n >= sizeof(((struct tdb *)0)->container) ||
	    memcmp(v, "CL_TYPE_", 8) != 0)
		return -1;
	for (i = 8; i < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return -1;
	return 0;
}

/* tdb_ftypes - 1 to TDB_MAXLAYERS CL_TYPE_ names separated by '>' */
static int
tdb_ftypes(const char *v, size_t n)
{
	const char	*gt;
	size_t		 len, layers = 0;

	for (;;) {
		gt = memchr(v, '>', n);
		len = gt != NULL ? (size_t)(gt - v) : n;
		if (tdb_ftype(v, len) == -1 || ++layers > TDB_MAXLAYERS)
			return -1;
		if (gt == NULL)
			return 0;
		v += len + 1;
		n -= len + 1;
	}
}

/* tdb_name - a non-empty run of printable non-blank ASCII */
static int
tdb_name(const char *v, size_t n)
{
	size_t	 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return -1;
	return 0;
}

/* tdb_value - parse the value of key k into out */
static int
tdb_value(const struct tdb_key *k, const char *v, size_t n, struct tdb *out)
{
	uint32_t	 t;

	switch (k->kind) {
	case TK_UINT:
		if (lsig_num(v, n, &t) == -1 || t > INT_MAX)
			return -1;
		out->target = (int)t;
		return 0;
	case TK_RANGE:
		return tdb_range(v, n,
		    (struct lsig_range *)(void *)((char *)out + k->off));
	case TK_CONTAINER:
		if (tdb_ftype(v, n) == -1)
			return -1;
		memcpy(out->container, v, n);
		out->container[n] = '\0';
		return 0;
	case TK_FTYPE:
		return tdb_ftype(v, n);
	case TK_FTYPES:
		return tdb_ftypes(v, n);
	case TK_NAME:
		return tdb_name(v, n);
	}
	return -1;
}

/* tdb_item - one Key:Value item, the pos'th; seen tracks repeated keys */
static int
tdb_item(const char *s, size_t n, size_t pos, unsigned *seen,
    struct tdb *out, char *why, size_t whylen)
{
	const struct tdb_key	*k;
	const char		*colon;
	char			 q[64];
	unsigned		 bit;

	if (n == 0) {
		lsig_why(why, whylen, "empty item %zu", pos + 1);
		return -1;
	}
	if ((colon = memchr(s, ':', n)) == NULL) {
		lsig_why(why, whylen, "item %zu: expected Key:Value", pos + 1);
		return -1;
	}
	if ((k = tdb_lookup(s, (size_t)(colon - s))) == NULL) {
		lsig_why(why, whylen, "unknown key \"%s\"", log_quote(q,
		    sizeof(q), s, (size_t)(colon - s)));
		return -1;
	}
	bit = 1u << (k - tdb_keys);
	if (*seen & bit) {
		lsig_why(why, whylen, "%s: repeated", k->name);
		return -1;
	}
	*seen |= bit;
	if (k == &tdb_keys[0] && pos != 0) {
		lsig_why(why, whylen, "Engine: must be the first item");
		return -1;
	}
	if (tdb_value(k, colon + 1, n - (size_t)(colon - s) - 1, out) == -1) {
		lsig_why(why, whylen, "%s: bad value", k->name);
		return -1;
	}
	out->unsupported |= k->unsup;
	return 0;
}

/* tdb_check - cross-key rules ClamAV enforces */
static int
tdb_check(const struct tdb *t, char *why, size_t whylen)
{
	if ((t->unsupported & (TDB_UNSUP_ICONGROUP1 | TDB_UNSUP_ICONGROUP2)) &&
	    t->target != TARGET_PE) {
		lsig_why(why, whylen, "IconGroup needs Target:1");
		return -1;
	}
	if ((t->entrypoint.set || t->nsections.set) &&
	    t->target != TARGET_PE && t->target != TARGET_ELF &&
	    t->target != TARGET_MACHO) {
		lsig_why(why, whylen,
		    "EntryPoint/NumberOfSections need Target:1, 6 or 9");
		return -1;
	}
	return 0;
}

/* tdb_parse - see lsig.h */
int
tdb_parse(const char *s, size_t n, struct tdb *out, char *why, size_t whylen)
{
	const char	*comma;
	size_t		 len, pos;
	unsigned	 seen = 0;

	memset(out, 0, sizeof(*out));
	out->target = -1;
	if (n == 0) {
		lsig_why(why, whylen, "empty target description block");
		return -1;
	}
	for (pos = 0;; pos++) {
		comma = memchr(s, ',', n);
		len = comma != NULL ? (size_t)(comma - s) : n;
		if (tdb_item(s, len, pos, &seen, out, why, whylen) == -1)
			return -1;
		if (comma == NULL)
			break;
		s += len + 1;
		n -= len + 1;
	}
	return tdb_check(out, why, whylen);
}

/* ---- logical expression: parser ---- */

enum { N_LEAF, N_AND, N_OR, N_CMP };

struct lx_node {
	uint8_t		 kind;		/* N_* */
	uint8_t		 cmp;		/* N_CMP: '=', '>' or '<' */
	uint32_t	 val;		/* N_LEAF: index; N_CMP: X */
	uint32_t	 y;		/* N_CMP: distinct count or 0 */
	int		 kid[2];	/* operands; N_CMP uses kid[0] */
	int		 up;		/* chain op: previous op, or -1 */
};

struct lx_parser {
	const char	*s;
	size_t		 n, pos;
	unsigned	 nsub, depth;
	struct lx_node	*nodes;
	int		 nnodes;
	uint32_t	 maxcount;
	unsigned	 maxindex;
	char		*why;
	size_t		 whylen;
};

/* lx_peek - the next byte, or -1 at the end */
static int
lx_peek(const struct lx_parser *p)
{
	return p->pos < p->n ? (unsigned char)p->s[p->pos] : -1;
}

/* lx_err - report what was found at the current position */
static int
lx_err(struct lx_parser *p, const char *expected)
{
	int	 c = lx_peek(p);

	if (c == -1)
		lsig_why(p->why, p->whylen, "offset %zu: %s, found end",
		    p->pos, expected);
	else if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		lsig_why(p->why, p->whylen,
		    "offset %zu: %s, found whitespace (not allowed)",
		    p->pos, expected);
	else if (c > ' ' && c < 0x7f)
		lsig_why(p->why, p->whylen, "offset %zu: %s, found '%c'",
		    p->pos, expected, c);
	else
		lsig_why(p->why, p->whylen, "offset %zu: %s, found \\x%02x",
		    p->pos, expected, c);
	return -1;
}

/* lx_new - a fresh node; cannot run out, see lexpr_compile */
static int
lx_new(struct lx_parser *p, int kind)
{
	struct lx_node	*nd = &p->nodes[p->nnodes];

	memset(nd, 0, sizeof(*nd));
	nd->kind = (uint8_t)kind;
	nd->kid[0] = nd->kid[1] = nd->up = -1;
	return p->nnodes++;
}

/* lx_number - a decimal number that fits 32 bits */
static int
lx_number(struct lx_parser *p, uint32_t *v, const char *what)
{
	size_t	 start = p->pos;

	while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	if (p->pos == start)
		return lx_err(p, what);
	if (lsig_num(p->s + start, p->pos - start, v) == -1) {
		lsig_why(p->why, p->whylen, "offset %zu: number too large",
		    start);
		return -1;
	}
	return 0;
}

static int	lx_chain(struct lx_parser *);

/* lx_note_count - raise maxcount to what comparison nd can tell apart */
static void
lx_note_count(struct lx_parser *p, const struct lx_node *nd)
{
	uint32_t	 m = nd->val;

	/* "n<X" needs counts up to X; "n=X" and "n>X" must see X+1 */
	if (nd->cmp != '<' && m < UINT32_MAX)
		m++;
	if (m > p->maxcount)
		p->maxcount = m;
}

/* lx_primary - a subsignature index or a parenthesised expression */
static int
lx_primary(struct lx_parser *p)
{
	size_t		 start = p->pos;
	uint32_t	 idx;
	int		 r;

	if (lx_peek(p) == '(') {
		if (++p->depth > LEXPR_MAXDEPTH) {
			lsig_why(p->why, p->whylen, "offset %zu: nesting "
			    "deeper than %d", p->pos, LEXPR_MAXDEPTH);
			return -1;
		}
		p->pos++;
		if ((r = lx_chain(p)) < 0)
			return -1;
		if (lx_peek(p) != ')')
			return lx_err(p,
			    "expected '&', '|', comparison or ')'");
		p->pos++;
		p->depth--;
		return r;
	}
	if (lx_number(p, &idx, "expected subsignature index or '('") == -1)
		return -1;
	if (idx >= p->nsub) {
		lsig_why(p->why, p->whylen, "offset %zu: subsignature %u "
		    "out of range (%u defined)", start, idx, p->nsub);
		return -1;
	}
	if (idx > p->maxindex)
		p->maxindex = idx;
	r = lx_new(p, N_LEAF);
	p->nodes[r].val = idx;
	return r;
}

/* lx_term - a primary, possibly followed by a comparison */
static int
lx_term(struct lx_parser *p)
{
	struct lx_node	*nd;
	int		 prim, r, c;

	if ((prim = lx_primary(p)) < 0)
		return -1;
	c = lx_peek(p);
	if (c != '=' && c != '>' && c != '<')
		return prim;
	p->pos++;
	r = lx_new(p, N_CMP);
	nd = &p->nodes[r];
	nd->cmp = (uint8_t)c;
	nd->kid[0] = prim;
	if (lx_number(p, &nd->val, "expected a count") == -1)
		return -1;
	if (lx_peek(p) == ',') {
		p->pos++;
		if (lx_number(p, &nd->y, "expected a distinct count") == -1)
			return -1;
	}
	if (p->nodes[prim].kind == N_LEAF)
		nd->y = 0;	/* documented: ignored for one signature */
	c = lx_peek(p);
	if (c == '=' || c == '>' || c == '<') {
		lsig_why(p->why, p->whylen, "offset %zu: chained comparison "
		    "needs parentheses", p->pos);
		return -1;
	}
	lx_note_count(p, nd);
	return r;
}

/* lx_chain - terms joined by & and |, grouped to the right */
static int
lx_chain(struct lx_parser *p)
{
	int	 root = -1, prev = -1, t, o, c;

	for (;;) {
		if ((t = lx_term(p)) < 0)
			return -1;
		c = lx_peek(p);
		if (c != '&' && c != '|')
			break;
		p->pos++;
		o = lx_new(p, c == '&' ? N_AND : N_OR);
		p->nodes[o].kid[0] = t;
		p->nodes[o].up = prev;
		if (prev < 0)
			root = o;
		else
			p->nodes[prev].kid[1] = o;
		prev = o;
	}
	if (prev < 0)
		return t;
	p->nodes[prev].kid[1] = t;
	return root;
}

/* ---- logical expression: blob ---- */

#define LX_MAGIC	0x3158454cu	/* "LEX1" read little-endian */
#define LX_STACK	72	/* >= LEXPR_MAXDEPTH + 2, see lx_emit */

enum { OP_LEAF = 1, OP_AND, OP_OR, OP_EQ, OP_GT, OP_LT };

struct lx_hdr {
	uint32_t	 magic;
	uint32_t	 len;		/* whole blob, multiple of 8 */
	uint32_t	 nwords;	/* op words after the header */
	uint32_t	 maxcount;
	uint8_t		 nsub;		/* counts[] entries read */
	uint8_t		 maxindex;
	uint8_t		 stack;		/* deepest stack use */
	uint8_t		 pad0;
	uint32_t	 pad1;
};
_Static_assert(sizeof(struct lx_hdr) == 24, "blob header layout");

struct lx_emit {
	uint32_t	*w;
	size_t		 nw;
	unsigned	 sp, maxsp;
};

/* lx_put - append one op word */
static void
lx_put(struct lx_emit *e, unsigned op, uint32_t arg)
{
	e->w[e->nw++] = (uint32_t)op | arg << 8;
}

/*
 * lx_emit - postfix code for node n.  A chain is emitted from its last
 * term up (see DESIGN), so it holds one stack slot while each earlier
 * term is computed: stack use is at most nesting depth + 2.
 */
static void
lx_emit(const struct lx_parser *p, struct lx_emit *e, int n)
{
	const struct lx_node	*nd = &p->nodes[n];
	int			 b;

	if (nd->kind == N_LEAF) {
		lx_put(e, OP_LEAF, nd->val);
		if (++e->sp > e->maxsp)
			e->maxsp = e->sp;
		return;
	}
	if (nd->kind == N_CMP) {
		lx_emit(p, e, nd->kid[0]);
		lx_put(e, nd->cmp == '=' ? OP_EQ : nd->cmp == '>' ? OP_GT :
		    OP_LT, nd->y > LEXPR_MAXSUB ? LEXPR_MAXSUB + 1 : nd->y);
		e->w[e->nw++] = nd->val;
		return;
	}
	for (b = n; p->nodes[p->nodes[b].kid[1]].up == b;)
		b = p->nodes[b].kid[1];
	lx_emit(p, e, p->nodes[b].kid[1]);
	for (;;) {
		lx_emit(p, e, p->nodes[b].kid[0]);
		lx_put(e, p->nodes[b].kind == N_AND ? OP_AND : OP_OR, 0);
		e->sp--;
		if (b == n)
			break;
		b = p->nodes[b].up;
	}
}

/* lx_append - pad out to 8, then append header and words in one go */
static int
lx_append(struct strbuf *out, const struct lx_hdr *h, const uint32_t *w,
    size_t *blob_off, char *why, size_t whylen)
{
	size_t	 pad = (8 - out->len % 8) % 8, words = h->nwords * 4u;
	char	*dst;

	if ((dst = strbuf_reserve(out, pad + h->len)) == NULL) {
		lsig_why(why, whylen, "%s", errno == E2BIG ?
		    "compiled expressions exceed their buffer" :
		    "out of memory");
		return -1;
	}
	memset(dst, 0, pad + h->len);
	memcpy(dst + pad, h, sizeof(*h));
	memcpy(dst + pad + sizeof(*h), w, words);
	*blob_off = out->len + pad;
	out->len += pad + h->len;
	out->data[out->len] = '\0';
	return 0;
}

/* lx_build - parse, emit and append; p and e carry the scratch arrays */
static int
lx_build(struct lx_parser *p, struct lx_emit *e, struct strbuf *out,
    size_t *blob_off)
{
	struct lx_hdr	 h;
	int		 root;

	if ((root = lx_chain(p)) < 0)
		return -1;
	if (p->pos != p->n)
		return lx_err(p, "expected '&', '|' or comparison");
	lx_emit(p, e, root);
	if (e->maxsp > LX_STACK) {	/* cannot happen, see lx_emit */
		lsig_why(p->why, p->whylen, "expression too complex");
		return -1;
	}
	memset(&h, 0, sizeof(h));
	h.magic = LX_MAGIC;
	h.nwords = (uint32_t)e->nw;
	h.len = (uint32_t)((sizeof(h) + e->nw * 4 + 7) & ~(size_t)7);
	h.maxcount = p->maxcount;
	h.nsub = (uint8_t)p->nsub;
	h.maxindex = (uint8_t)p->maxindex;
	h.stack = (uint8_t)e->maxsp;
	return lx_append(out, &h, e->w, blob_off, p->why, p->whylen);
}

/* lexpr_compile - see lsig.h */
int
lexpr_compile(const char *s, size_t n, unsigned nsub, struct strbuf *out,
    size_t *blob_off, char *why, size_t whylen)
{
	struct lx_parser	 p;
	struct lx_emit		 e;
	int			 rc = -1;

	memset(&p, 0, sizeof(p));
	memset(&e, 0, sizeof(e));
	if (n == 0 || n > LEXPR_MAXLEN || nsub == 0 || nsub > LEXPR_MAXSUB) {
		lsig_why(why, whylen, n == 0 ? "empty expression" :
		    n > LEXPR_MAXLEN ? "expression longer than 4096 bytes" :
		    "subsignature count out of range");
		goto out;
	}
	/* every node eats a byte; every node makes at most two words */
	p.nodes = malloc(n * sizeof(*p.nodes));
	e.w = malloc(n * 2 * sizeof(*e.w));
	if (p.nodes == NULL || e.w == NULL) {
		lsig_why(why, whylen, "out of memory");
		goto out;
	}
	p.s = s;
	p.n = n;
	p.nsub = nsub;
	p.maxcount = 1;
	p.why = why;
	p.whylen = whylen;
	rc = lx_build(&p, &e, out, blob_off);
out:
	free(p.nodes);
	free(e.w);
	return rc;
}

/* lx_check_ops - simulate the stack over the op words */
static int
lx_check_ops(const struct lx_hdr *h)
{
	const uint32_t	*w = (const uint32_t *)(const void *)(h + 1);
	uint32_t	 i, arg;
	unsigned	 sp = 0;

	for (i = 0; i < h->nwords; i++) {
		arg = w[i] >> 8;
		switch (w[i] & 0xff) {
		case OP_LEAF:
			if (arg >= h->nsub || ++sp > h->stack)
				return -1;
			break;
		case OP_AND:
		case OP_OR:
			if (arg != 0 || sp < 2)
				return -1;
			sp--;
			break;
		case OP_EQ:
		case OP_GT:
		case OP_LT:
			if (arg > LEXPR_MAXSUB + 1 || sp < 1 ||
			    ++i >= h->nwords)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return sp == 1 ? 0 : -1;
}

/* lexpr_check - see lsig.h */
int
lexpr_check(const void *blob, size_t len, unsigned nsub)
{
	const struct lx_hdr	*h = blob;

	if (len < sizeof(*h) || h->magic != LX_MAGIC || h->len > len ||
	    h->len < sizeof(*h) || h->len % 8 != 0 ||
	    h->nwords > (h->len - sizeof(*h)) / 4 ||
	    h->nsub == 0 || h->nsub > LEXPR_MAXSUB || h->nsub > nsub ||
	    h->maxindex >= h->nsub || h->stack > LX_STACK ||
	    h->maxcount == 0)
		return -1;
	return lx_check_ops(h);
}

/* ---- logical expression: evaluation ---- */

/* one value on the evaluation stack; !ok implies cnt == 0 && set == 0 */
struct lx_slot {
	uint64_t	 cnt;		/* matches, summed over leaves */
	uint64_t	 set;		/* bit i: subsignature i counted */
	int		 ok;
};

/* lx_cmp - apply a comparison op word and its X to slot t */
static void
lx_cmp(struct lx_slot *t, uint32_t op, uint32_t x)
{
	unsigned	 y = op >> 8;
	int		 hold;

	switch (op & 0xff) {
	case OP_EQ:
		hold = t->cnt == x;
		break;
	case OP_GT:
		hold = t->cnt > x;
		break;
	default:
		hold = t->cnt < x;
		break;
	}
	if (hold && y != 0 && (unsigned)__builtin_popcountll(t->set) < y)
		hold = 0;
	t->ok = hold;
	if (!hold)
		t->cnt = t->set = 0;
}

/* lexpr_eval - see lsig.h */
int
lexpr_eval(const void *blob, const uint32_t *counts, unsigned nsub)
{
	const struct lx_hdr	*h = blob;
	const uint32_t		*w, *end;
	struct lx_slot		 st[LX_STACK], *a, *b;
	unsigned		 sp = 0;
	uint32_t		 c;

	if (h->nsub > nsub)
		return 0;
	w = (const uint32_t *)(const void *)(h + 1);
	end = w + h->nwords;
	for (; w < end; w++) {
		switch (*w & 0xff) {
		case OP_LEAF:
			c = counts[*w >> 8];
			st[sp].ok = c != 0;
			st[sp].cnt = c;
			st[sp].set = c != 0 ? (uint64_t)1 << (*w >> 8) : 0;
			sp++;
			break;
		case OP_AND:
		case OP_OR:
			a = &st[sp - 2];
			b = &st[--sp];
			if ((*w & 0xff) == OP_AND && !(a->ok && b->ok)) {
				a->ok = 0;
				a->cnt = a->set = 0;
				break;
			}
			a->ok |= b->ok;	/* a false side is zero */
			a->cnt += b->cnt;
			a->set |= b->set;
			break;
		default:
			lx_cmp(&st[sp - 1], w[0], w[1]);
			w++;
			break;
		}
	}
	return st[0].ok;
}

/* lexpr_maxcount - see lsig.h */
uint32_t
lexpr_maxcount(const void *blob)
{
	return ((const struct lx_hdr *)blob)->maxcount;
}

/* lexpr_maxindex - see lsig.h */
unsigned
lexpr_maxindex(const void *blob)
{
	return ((const struct lx_hdr *)blob)->maxindex;
}

/* lexpr_bloblen - see lsig.h */
size_t
lexpr_bloblen(const void *blob)
{
	return ((const struct lx_hdr *)blob)->len;
}
