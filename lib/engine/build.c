/*
 * build.c - lay the parsed signatures out as one compiled image
 *
 * DESIGN: the parsers append fixed-size records to growable arrays; here
 * hash records are sorted (digest, then size) for binary search, the
 * per-size digest needs are merged into one sorted table, and the
 * literal factors of all body patterns and subsignatures are
 * deduplicated and compiled into a single Vectorscan/Hyperscan literal
 * database, whose serialised form goes into the image.  Literals shorter
 * than two bytes would make the prefilter fire on nearly every byte;
 * their patterns go to a "slow" list searched directly instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "vigil/vigil.h"
#include "build.h"
#include "lsig.h"
#include "pattern.h"

#define BUILD_MAX	((size_t)UINT32_MAX)

/* builder_init - empty builder reporting into rep */
int
builder_init(struct builder *b, struct vigil_load_report *rep)
{
	int	 i;

	memset(b, 0, sizeof(*b));
	strbuf_init(&b->str, BUILD_MAX);
	strbuf_init(&b->sig, BUILD_MAX * 2);
	for (i = 0; i < 3; i++) {
		strbuf_init(&b->hash[i], BUILD_MAX * 8);
		strbuf_init(&b->fp[i], BUILD_MAX);
	}
	strbuf_init(&b->body, BUILD_MAX);
	strbuf_init(&b->lsig, BUILD_MAX);
	strbuf_init(&b->sub, BUILD_MAX);
	strbuf_init(&b->pat, BUILD_MAX);
	strbuf_init(&b->expr, BUILD_MAX);
	b->rep = rep;
	b->default_set = -1;
	if ((b->ign = nameset_new()) == NULL)
		return -1;
	return 0;
}

/* builder_fini - release everything */
void
builder_fini(struct builder *b)
{
	int	 i;

	strbuf_fini(&b->str);
	strbuf_fini(&b->sig);
	for (i = 0; i < 3; i++) {
		strbuf_fini(&b->hash[i]);
		strbuf_fini(&b->fp[i]);
	}
	strbuf_fini(&b->body);
	strbuf_fini(&b->lsig);
	strbuf_fini(&b->sub);
	strbuf_fini(&b->pat);
	strbuf_fini(&b->expr);
	nameset_free(b->ign);
	b->ign = NULL;
}

/* builder_skip - count a signature vigil cannot evaluate yet */
void
builder_skip(struct builder *b, enum skip_why why)
{
	b->skip_counts[why]++;
	b->rep->skipped++;
}

/* builder_sig - register a signature name */
long
builder_sig(struct builder *b, const char *name, size_t n, int kind)
{
	struct img_sig	 s;
	size_t		 off = b->str.len;
	const char	*nm;

	if (nameset_has(b->ign, name, n)) {
		b->rep->ignored++;
		return -2;
	}
	if (strbuf_append(&b->str, name, n) == -1 ||
	    strbuf_addc(&b->str, '\0') == -1)
		return -1;
	nm = b->str.data + off;
	memset(&s, 0, sizeof(s));
	s.name = (uint32_t)off;
	s.kind = (uint8_t)kind;
	s.set = (uint8_t)(b->default_set >= 0 ? b->default_set :
	    (int)vigil_set_of_name(nm));
	s.status = (uint8_t)vigil_status_of_name(nm);
	if (strbuf_append(&b->sig, &s, sizeof(s)) == -1)
		return -1;
	if (kind == SIGK_HASH)
		b->rep->hash_sigs++;
	else if (kind == SIGK_BODY)
		b->rep->body_sigs++;
	else
		b->rep->logical_sigs++;
	return (long)(b->sig.len / sizeof(s) - 1);
}

/* hash comparators: digest, then size */
#define HASH_CMP(fn, type)						\
static int								\
fn(const void *a, const void *b)					\
{									\
	const type	*x = a, *y = b;					\
	int		 c = memcmp(x->d, y->d, sizeof(x->d));		\
									\
	if (c != 0)							\
		return c;						\
	return x->size < y->size ? -1 : x->size > y->size;		\
}
HASH_CMP(cmp_h16, struct img_hash16)
HASH_CMP(cmp_h20, struct img_hash20)
HASH_CMP(cmp_h32, struct img_hash32)

/* cmp_size - order img_size by size */
static int
cmp_size(const void *a, const void *b)
{
	const struct img_size *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* build_sizes - sorted, merged table of the digests each size needs;
 * arrays are the three digest arrays (hash or allow-list) */
static int
build_sizes(const struct strbuf *arrays, struct strbuf *out)
{
	static const size_t recsz[3] = { sizeof(struct img_hash16),
	    sizeof(struct img_hash20), sizeof(struct img_hash32) };
	static const size_t szoff[3] = { offsetof(struct img_hash16, size),
	    offsetof(struct img_hash20, size),
	    offsetof(struct img_hash32, size) };
	struct img_size	*sz;
	size_t		 n = 0, i, j, k, total = 0;
	uint32_t	 size;

	for (k = 0; k < 3; k++)
		total += arrays[k].len / recsz[k];
	if (total == 0)
		return 0;
	if ((sz = malloc(total * sizeof(*sz))) == NULL)
		return -1;
	for (k = 0; k < 3; k++)
		for (i = 0; i < arrays[k].len / recsz[k]; i++) {
			memcpy(&size, arrays[k].data + i * recsz[k] +
			    szoff[k], sizeof(size));
			if (size == IMG_ANYSIZE)
				continue;
			sz[n].size = size;
			sz[n++].need = 1u << k;
		}
	qsort(sz, n, sizeof(*sz), cmp_size);
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && sz[j - 1].size == sz[i].size)
			sz[j - 1].need |= sz[i].need;
		else
			sz[j++] = sz[i];
	}
	i = strbuf_append(out, sz, j * sizeof(*sz)) == -1 ? 1 : 0;
	free(sz);
	return i ? -1 : 0;
}

struct lit {
	const uint8_t	*p;
	uint32_t	 len;
	uint32_t	 ref;
	int		 nocase;
};

/* lit_cmp - order literals so equal ones (by case rule) are adjacent */
static int
lit_cmp(const void *a, const void *b)
{
	const struct lit *x = a, *y = b;
	uint32_t	 i;
	int		 cx, cy;

	if (x->nocase != y->nocase)
		return x->nocase - y->nocase;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	for (i = 0; i < x->len; i++) {
		cx = x->p[i];
		cy = y->p[i];
		if (x->nocase) {
			if (cx >= 'A' && cx <= 'Z')
				cx += 32;
			if (cy >= 'A' && cy <= 'Z')
				cy += 32;
		}
		if (cx != cy)
			return cx - cy;
	}
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* lit_same - equal literals under the case rule */
static int
lit_same(const struct lit *x, const struct lit *y)
{
	struct lit	 a = *x, b = *y;

	a.ref = b.ref = 0;
	return lit_cmp(&a, &b) == 0;
}

struct prefilter {
	struct strbuf	 litmap, refs, slow, hs;
	uint32_t	 maxlit;
};

/* collect_lits - the literal factor of every body pattern and subsig */
static struct lit *
collect_lits(struct builder *b, struct prefilter *pf, size_t *nlits)
{
	size_t		 nb = b->body.len / sizeof(struct img_body);
	size_t		 ns = b->sub.len / sizeof(struct img_sub);
	struct lit	*l;
	size_t		 i, n = 0, len;
	uint32_t	 ref, patoff;
	int		 nocase;

	if ((l = calloc(nb + ns + 1, sizeof(*l))) == NULL)
		return NULL;
	for (i = 0; i < nb + ns; i++) {
		if (i < nb) {
			patoff = ((struct img_body *)b->body.data)[i].pat;
			ref = (uint32_t)i;
		} else {
			patoff = ((struct img_sub *)b->sub.data)[i - nb].pat;
			ref = (uint32_t)(i - nb) | IMG_REF_SUB;
		}
		l[n].p = pat_literal(b->pat.data + patoff, &len, &nocase);
		/*
		 * XXX the pure-literal compiler refuses a literal whose
		 * first byte is NUL; leading NULs are dropped (the hit's
		 * end stays the same, and pat_verify re-checks them).
		 */
		while (len > 0 && l[n].p[0] == '\0') {
			l[n].p++;
			len--;
		}
		if (len < 2) {
			if (strbuf_append(&pf->slow, &ref, sizeof(ref)) == -1)
				goto fail;
			continue;
		}
		l[n].len = (uint32_t)len;
		l[n].ref = ref;
		l[n].nocase = nocase;
		if (l[n].len > pf->maxlit)
			pf->maxlit = l[n].len;
		n++;
	}
	*nlits = n;
	return l;
fail:
	free(l);
	return NULL;
}

/* compile_hs - one prefilter id per distinct literal */
static int
compile_hs(struct lit *l, size_t n, struct prefilter *pf, char *why,
    size_t wl)
{
	const char	**exprs = NULL;
	size_t		*lens = NULL;
	unsigned	*ids = NULL, *flags = NULL, nid = 0;
	hs_database_t	*db = NULL;
	hs_compile_error_t *cerr = NULL;
	struct img_litmap m = { 0, 0 };
	char		*ser = NULL;
	size_t		 serlen, i;
	int		 rc = -1;

	qsort(l, n, sizeof(*l), lit_cmp);
	exprs = malloc((n + 1) * sizeof(*exprs));
	lens = malloc((n + 1) * sizeof(*lens));
	ids = malloc((n + 1) * sizeof(*ids));
	flags = malloc((n + 1) * sizeof(*flags));
	if (!exprs || !lens || !ids || !flags)
		goto out;
	for (i = 0; i < n; i++) {
		if (i == 0 || !lit_same(&l[i - 1], &l[i])) {
			if (nid > 0 && strbuf_append(&pf->litmap, &m,
			    sizeof(m)) == -1)
				goto out;
			m.first = (uint32_t)(pf->refs.len / sizeof(uint32_t));
			m.count = 0;
			exprs[nid] = (const char *)l[i].p;
			lens[nid] = l[i].len;
			flags[nid] = l[i].nocase ? HS_FLAG_CASELESS : 0;
			ids[nid] = nid;
			nid++;
		}
		if (strbuf_append(&pf->refs, &l[i].ref, sizeof(uint32_t)) == -1)
			goto out;
		m.count++;
	}
	if (nid > 0 && strbuf_append(&pf->litmap, &m, sizeof(m)) == -1)
		goto out;
	if (nid == 0) {
		rc = 0;
		goto out;
	}
	if (hs_compile_lit_multi(exprs, flags, ids, lens, nid, HS_MODE_BLOCK,
	    NULL, &db, &cerr) != HS_SUCCESS) {
		snprintf(why, wl, "prefilter compile: %s",
		    cerr ? cerr->message : "failed");
		goto out;
	}
	if (hs_serialize_database(db, &ser, &serlen) != HS_SUCCESS) {
		snprintf(why, wl, "prefilter serialise failed");
		goto out;
	}
	if (strbuf_append(&pf->hs, ser, serlen) == -1)
		goto out;
	rc = 0;
out:
	if (cerr != NULL)
		hs_free_compile_error(cerr);
	hs_free_database(db);
	free(ser);
	free(exprs);
	free(lens);
	free(ids);
	free(flags);
	if (rc == -1 && why[0] == '\0')
		snprintf(why, wl, "out of memory");
	return rc;
}

/* sort_array - qsort a record array (an empty one has no data) */
static void
sort_array(struct strbuf *sb, size_t recsz, int (*cmp)(const void *,
    const void *))
{
	if (sb->len > 0)
		qsort(sb->data, sb->len / recsz, recsz, cmp);
}

/* sort_hashes - sort the digest arrays */
static void
sort_hashes(struct builder *b)
{
	sort_array(&b->hash[0], sizeof(struct img_hash16), cmp_h16);
	sort_array(&b->hash[1], sizeof(struct img_hash20), cmp_h20);
	sort_array(&b->hash[2], sizeof(struct img_hash32), cmp_h32);
	sort_array(&b->fp[0], sizeof(struct img_hash16), cmp_h16);
	sort_array(&b->fp[1], sizeof(struct img_hash20), cmp_h20);
	sort_array(&b->fp[2], sizeof(struct img_hash32), cmp_h32);
}

/* skip_summary - "N target type, M pcre" text for the report */
static void
skip_summary(const struct builder *b, char *out, size_t outlen)
{
	static const char *names[] = { "unsupported target type",
	    "functionality level", "pcre subsignature",
	    "byte-compare subsignature", "macro subsignature",
	    "container target", "unsupported target block", "other" };
	size_t	 o = 0, i;

	out[0] = '\0';
	for (i = 0; i < 8 && o < outlen; i++)
		if (b->skip_counts[i] > 0)
			o += (size_t)snprintf(out + o, outlen - o, "%s%lu %s",
			    o ? ", " : "", b->skip_counts[i], names[i]);
}

/* builder_finish - sort, index, compile and lay out the image */
int
builder_finish(struct builder *b, const char *version, void **img,
    size_t *imglen, char *why, size_t wl)
{
	struct prefilter pf;
	struct strbuf	 sizes, fsizes, out;
	struct img_hdr	 h;
	const struct strbuf *sect[IMG_NSECT];
	struct lit	*lits = NULL;
	size_t		 nlits = 0, i, off;
	int		 rc = -1;

	why[0] = '\0';
	memset(&pf, 0, sizeof(pf));
	strbuf_init(&pf.litmap, BUILD_MAX);
	strbuf_init(&pf.refs, BUILD_MAX);
	strbuf_init(&pf.slow, BUILD_MAX);
	strbuf_init(&pf.hs, BUILD_MAX * 4);
	strbuf_init(&sizes, BUILD_MAX * 4);
	strbuf_init(&fsizes, BUILD_MAX * 4);
	strbuf_init(&out, SIZE_MAX / 2);
	sort_hashes(b);
	if (build_sizes(b->hash, &sizes) == -1 ||
	    build_sizes(b->fp, &fsizes) == -1)
		goto out;
	if ((lits = collect_lits(b, &pf, &nlits)) == NULL)
		goto out;
	if (compile_hs(lits, nlits, &pf, why, wl) == -1)
		goto out;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, IMG_MAGIC, sizeof(h.magic));
	h.format = IMG_FORMAT;
	h.hdrlen = sizeof(h);
	snprintf(h.version, sizeof(h.version), "%s", version);
	h.anysize_need = b->anysize_need;
	h.fp_need = b->fp_anysize_need;
	h.nsigs = b->sig.len / sizeof(struct img_sig);
	h.hash_sigs = b->rep->hash_sigs;
	h.body_sigs = b->rep->body_sigs;
	h.logical_sigs = b->rep->logical_sigs;
	h.allow_entries = b->rep->allow_entries;
	h.ignored = b->rep->ignored;
	h.skipped = b->rep->skipped;
	h.skipped_files = b->rep->skipped_files;
	h.files = b->rep->files;
	skip_summary(b, h.skipped_why, sizeof(h.skipped_why));
	snprintf(b->rep->skipped_why, sizeof(b->rep->skipped_why), "%s",
	    h.skipped_why);

	sect[IMG_STR] = &b->str;
	sect[IMG_SIG] = &b->sig;
	sect[IMG_H16] = &b->hash[0];
	sect[IMG_H20] = &b->hash[1];
	sect[IMG_H32] = &b->hash[2];
	sect[IMG_F16] = &b->fp[0];
	sect[IMG_F20] = &b->fp[1];
	sect[IMG_F32] = &b->fp[2];
	sect[IMG_SIZES] = &sizes;
	sect[IMG_FSIZES] = &fsizes;
	sect[IMG_BODY] = &b->body;
	sect[IMG_LSIG] = &b->lsig;
	sect[IMG_SUB] = &b->sub;
	sect[IMG_PAT] = &b->pat;
	sect[IMG_EXPR] = &b->expr;
	sect[IMG_LITMAP] = &pf.litmap;
	sect[IMG_REFS] = &pf.refs;
	sect[IMG_SLOW] = &pf.slow;
	sect[IMG_HS] = &pf.hs;

	off = (sizeof(h) + 7) & ~(size_t)7;
	for (i = 0; i < IMG_NSECT; i++) {
		h.sect[i].off = off;
		h.sect[i].len = sect[i]->len;
		off = (off + sect[i]->len + 7) & ~(size_t)7;
	}
	if (strbuf_reserve(&out, off) == NULL)
		goto out;
	memset(out.data, 0, off);
	memcpy(out.data, &h, sizeof(h));
	for (i = 0; i < IMG_NSECT; i++)
		if (sect[i]->len > 0)
			memcpy(out.data + h.sect[i].off, sect[i]->data,
			    sect[i]->len);
	out.len = off;
	*imglen = off;
	*img = strbuf_steal(&out);
	rc = 0;
out:
	if (rc == -1 && why[0] == '\0')
		snprintf(why, wl, "out of memory");
	free(lits);
	strbuf_fini(&pf.litmap);
	strbuf_fini(&pf.refs);
	strbuf_fini(&pf.slow);
	strbuf_fini(&pf.hs);
	strbuf_fini(&sizes);
	strbuf_fini(&fsizes);
	strbuf_fini(&out);
	return rc;
}
