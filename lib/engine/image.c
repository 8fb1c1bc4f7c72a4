/*
 * image.c - check an image and resolve its sections to pointers
 *
 * DESIGN: an image comes either from builder_finish() or from a cache
 * file on disk.  Before anything trusts it, the header and every section
 * range are checked against the image's length and alignment, and the
 * record offsets that point into other sections are checked once here,
 * so that a scan never indexes outside the image.
 */
#include <string.h>

#include "image.h"
#include "lsig.h"

#define SECT(v, base, h, i, field, type, count) do {			\
	(v)->field = (const type *)((const char *)(base) + (h)->sect[i].off); \
	count = (h)->sect[i].len / sizeof(type);			\
} while (0)

/* img_refs_ok - every record's offsets land inside their sections */
static int
img_refs_ok(const struct img_view *v, const struct img_hdr *h)
{
	size_t	 i, nsig = h->sect[IMG_SIG].len / sizeof(struct img_sig);
	size_t	 npat = h->sect[IMG_PAT].len, nexpr = h->sect[IMG_EXPR].len;
	size_t	 nstr = h->sect[IMG_STR].len;

	if (nstr > 0 && v->str[nstr - 1] != '\0')
		return -1;
	for (i = 0; i < nsig; i++)
		if (v->sig[i].name >= nstr)
			return -1;
	for (i = 0; i < v->nbody; i++)
		if (v->body[i].sig >= nsig || v->body[i].pat >= npat ||
		    v->body[i].pat % 8 != 0)
			return -1;
	for (i = 0; i < v->nlsig; i++)
		if (v->lsig[i].sig >= nsig || v->lsig[i].expr >= nexpr ||
		    v->lsig[i].sub0 + (size_t)v->lsig[i].nsubent > v->nsub ||
		    v->lsig[i].nsub > 64 || lexpr_check(v->expr +
		    v->lsig[i].expr, nexpr - v->lsig[i].expr,
		    v->lsig[i].nsub) == -1)
			return -1;
	for (i = 0; i < v->nsub; i++)
		if (v->sub[i].lsig >= v->nlsig || v->sub[i].pat >= npat ||
		    v->sub[i].pat % 8 != 0)
			return -1;
	for (i = 0; i < v->nlit; i++)
		if (v->litmap[i].first + (size_t)v->litmap[i].count > v->nrefs)
			return -1;
	for (i = 0; i < v->nrefs + v->nslow; i++) {
		uint32_t r = i < v->nrefs ? v->refs[i] : v->slow[i - v->nrefs];

		if ((r & IMG_REF_SUB) ? (r & ~IMG_REF_SUB) >= v->nsub :
		    r >= v->nbody)
			return -1;
	}
	return 0;
}

/* img_resolve - validate and resolve an image */
int
img_resolve(const void *base, size_t len, struct img_view *v)
{
	const struct img_hdr *h = base;
	size_t	 i, dummy;

	memset(v, 0, sizeof(*v));
	if (len < sizeof(*h) || memcmp(h->magic, IMG_MAGIC, 8) != 0 ||
	    h->format != IMG_FORMAT || h->hdrlen != sizeof(*h))
		return -1;
	for (i = 0; i < IMG_NSECT; i++)
		if (h->sect[i].off % 8 != 0 || h->sect[i].off > len ||
		    h->sect[i].len > len - h->sect[i].off)
			return -1;
	v->hdr = h;
	v->str = (const char *)base + h->sect[IMG_STR].off;
	SECT(v, base, h, IMG_SIG, sig, struct img_sig, dummy);
	SECT(v, base, h, IMG_H16, h16, struct img_hash16, v->nh16);
	SECT(v, base, h, IMG_H20, h20, struct img_hash20, v->nh20);
	SECT(v, base, h, IMG_H32, h32, struct img_hash32, v->nh32);
	SECT(v, base, h, IMG_F16, f16, struct img_hash16, v->nf16);
	SECT(v, base, h, IMG_F20, f20, struct img_hash20, v->nf20);
	SECT(v, base, h, IMG_F32, f32, struct img_hash32, v->nf32);
	SECT(v, base, h, IMG_SIZES, sizes, struct img_size, v->nsizes);
	SECT(v, base, h, IMG_FSIZES, fsizes, struct img_size, v->nfsizes);
	SECT(v, base, h, IMG_BODY, body, struct img_body, v->nbody);
	SECT(v, base, h, IMG_LSIG, lsig, struct img_lsig, v->nlsig);
	SECT(v, base, h, IMG_SUB, sub, struct img_sub, v->nsub);
	SECT(v, base, h, IMG_LITMAP, litmap, struct img_litmap, v->nlit);
	SECT(v, base, h, IMG_REFS, refs, uint32_t, v->nrefs);
	SECT(v, base, h, IMG_SLOW, slow, uint32_t, v->nslow);
	v->pat = (const uint8_t *)base + h->sect[IMG_PAT].off;
	v->expr = (const uint8_t *)base + h->sect[IMG_EXPR].off;
	v->hs = (const uint8_t *)base + h->sect[IMG_HS].off;
	v->hslen = h->sect[IMG_HS].len;
	if (dummy != h->nsigs)
		return -1;
	return img_refs_ok(v, h);
}
