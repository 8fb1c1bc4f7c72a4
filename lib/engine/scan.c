/*
 * scan.c - scanning one object against a loaded engine
 *
 * DESIGN: a scan runs in three phases over one contiguous buffer (an
 * mmapped file or a caller's buffer).
 *   1. Hash signatures: the sizes table says which digests a file of
 *      this size can match; only those are computed, in one pass.
 *   2. Body signatures and logical subsignatures: one prefilter pass
 *      (Vectorscan/Hyperscan literal matching); each hit names the
 *      patterns whose literal factor it is, and each is verified in
 *      place with its offset window (pattern.c).
 *   3. Logical signatures: only those a subsignature of which matched
 *      (plus the rare ones true on nothing) are evaluated.
 * Per-signature state is stamped with a generation number that changes
 * every scan, so nothing is cleared between objects and the per-object
 * cost does not grow with the database.  A detection is then checked
 * against the allow-lists by the digest of the whole object.
 *
 * Limits: objects over max_file_size are not scanned (ERROR); only the
 * first max_scan_size bytes are searched for body signatures; max_scan_ms
 * is checked between phases and every 1024 prefilter hits.
 *
 * XXX a file truncated by someone else while it is mapped raises SIGBUS;
 * vigild (which scans files of others) must read into memory instead.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vigil/vigil.h"
#include "engine.h"
#include "exe.h"
#include "lsig.h"
#include "pattern.h"
#include "scanner.h"
#include "strbuf.h"

#define SCAN_WINDOW	((size_t)1 << 30)	/* prefilter block size */
#define SCAN_OVERLAP	((size_t)64 << 10)	/* > longest literal */
#define SCAN_MAXREAD	((size_t)1 << 30)	/* non-regular fd input */
#define SCAN_SMALL	((size_t)1 << 20)	/* read, not mapped, up to this */

/* vigil_scanner_new - per-thread scanner */
struct vigil_scanner *
vigil_scanner_new(const struct vigil_engine *e)
{
	struct vigil_scanner *s;
	const struct img_view *v = &e->v;
	int	 i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->e = e;
	strbuf_init(&s->names, (size_t)64 << 20);
	strbuf_init(&s->cnames, (size_t)64 << 20);
	for (i = 0; i < SCAN_DEPTHMAX; i++)
		strbuf_init(&s->xbuf[i], 0);
	s->body_gen = calloc(v->nbody + 1, sizeof(uint32_t));
	s->sub_gen = calloc(v->nsub + 1, sizeof(uint32_t));
	s->sub_cnt = calloc(v->nsub + 1, sizeof(uint32_t));
	s->lsig_gen = calloc(v->nlsig + 1, sizeof(uint32_t));
	s->touched = calloc(v->nlsig + 1, sizeof(uint32_t));
	if (!s->body_gen || !s->sub_gen || !s->sub_cnt || !s->lsig_gen ||
	    !s->touched)
		goto fail;
	for (i = 0; i < 3; i++)
		if ((s->md[i] = EVP_MD_CTX_new()) == NULL)
			goto fail;
	if (e->hs != NULL && hs_alloc_scratch(e->hs, &s->scratch) !=
	    HS_SUCCESS)
		goto fail;
	return s;
fail:
	vigil_scanner_free(s);
	return NULL;
}

/* vigil_scanner_free - release a scanner */
void
vigil_scanner_free(struct vigil_scanner *s)
{
	int	 i;

	if (s == NULL)
		return;
	hs_free_scratch(s->scratch);
	for (i = 0; i < 3; i++)
		EVP_MD_CTX_free(s->md[i]);
	free(s->body_gen);
	free(s->sub_gen);
	free(s->sub_cnt);
	free(s->lsig_gen);
	free(s->touched);
	free(s->det);
	free(s->dn);
	free(s->cdet);
	free(s->ctop);
	strbuf_fini(&s->names);
	strbuf_fini(&s->cnames);
	for (i = 0; i < SCAN_DEPTHMAX; i++)
		strbuf_fini(&s->xbuf[i]);
	free(s->rbuf);
	free(s);
}

/* vigil_limits_default - the guides' defaults */
void
vigil_limits_default(struct vigil_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_file_size = (uint64_t)100 << 20;
	l->max_scan_size = (uint64_t)400 << 20;
	l->max_recursion = 17;
	l->max_files = 10000;
	l->max_ratio = 250;
	l->set = VIGIL_SET_STANDARD;
	l->flags = VIGIL_SCAN_CONTAINERS;
}

/*
 * scan_request_begin - start a request: limits (NULL: the defaults),
 * deadline, counters, names
 */
void
scan_request_begin(struct vigil_scanner *s, const struct vigil_limits *lim)
{
	size_t	 i;

	if (lim != NULL)
		s->lim = *lim;
	else
		vigil_limits_default(&s->lim);
	s->set = s->lim.set;
	s->flags = s->lim.flags;
	s->ndet = 0;
	s->stop = s->timed_out = s->halt = 0;
	s->scanned = 0;
	s->nobj = s->nmembers = s->depth = 0;
	strbuf_reset(&s->names);
	for (i = 0; i < SCAN_DEPTHMAX; i++)
		if (s->xbuf[i].cap > SCAN_KEEPBUF)
			strbuf_fini(&s->xbuf[i]);
	s->pathlen = 0;
	s->path[0] = '\0';
	s->path_off = SCAN_NONAME;
	s->top = SCAN_NONAME;
	s->reason[0] = '\0';
	s->buf = NULL;
	s->len = 0;
	s->has_deadline = s->lim.max_scan_ms > 0;
	if (s->has_deadline) {
		clock_gettime(CLOCK_MONOTONIC, &s->deadline);
		s->deadline.tv_sec += s->lim.max_scan_ms / 1000;
		s->deadline.tv_nsec += (long)(s->lim.max_scan_ms % 1000) *
		    1000000;
		if (s->deadline.tv_nsec >= 1000000000) {
			s->deadline.tv_sec++;
			s->deadline.tv_nsec -= 1000000000;
		}
	}
}

/* object_begin - new generation for one object; clear stamps on wrap */
static void
object_begin(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	const struct img_view *v = &s->e->v;

	if (++s->gen == 0) {
		memset(s->body_gen, 0, v->nbody * sizeof(uint32_t));
		memset(s->sub_gen, 0, v->nsub * sizeof(uint32_t));
		memset(s->lsig_gen, 0, v->nlsig * sizeof(uint32_t));
		s->gen = 1;
	}
	s->ntouched = 0;
	s->have_dig = 0;
	s->buf = buf;
	s->len = len;
	s->base = s->seen = 0;
	s->hits = 0;
	s->exe_done = 0;
	s->path_off = SCAN_NONAME;
}

/* scan_time_up - past the deadline? marks the request stopped */
int
scan_time_up(struct vigil_scanner *s)
{
	struct timespec	 now;

	if (!s->has_deadline)
		return 0;
	if (s->timed_out)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > s->deadline.tv_sec ||
	    (now.tv_sec == s->deadline.tv_sec &&
	    now.tv_nsec >= s->deadline.tv_nsec)) {
		s->timed_out = s->stop = s->halt = 1;
		return 1;
	}
	return 0;
}

/* intern - copy a string into the request's names; SCAN_NONAME on ENOMEM */
static size_t
intern(struct vigil_scanner *s, const char *str, size_t len)
{
	size_t	 off = s->names.len;

	if (strbuf_append(&s->names, str, len) == -1 ||
	    strbuf_addc(&s->names, '\0') == -1) {
		s->names.len = off;
		return SCAN_NONAME;
	}
	return off;
}

/* det_slot - room for one more detection, with the object's names */
static struct vigil_detection *
det_slot(struct vigil_scanner *s)
{
	struct vigil_detection *nd;
	struct det_names *nn;
	size_t	 ncap;

	if (s->ndet == s->capdet) {
		ncap = s->capdet ? s->capdet * 2 : 8;
		if (ncap > 100000)
			return NULL;	/* a hostile archive; enough */
		if ((nd = realloc(s->det, ncap * sizeof(*nd))) == NULL)
			return NULL;
		s->det = nd;
		if ((nn = realloc(s->dn, ncap * sizeof(*nn))) == NULL)
			return NULL;
		s->dn = nn;
		s->capdet = ncap;
	}
	if (s->path_off == SCAN_NONAME && s->pathlen > 0)
		s->path_off = intern(s, s->path, s->pathlen);
	s->dn[s->ndet].object = s->pathlen > 0 ? s->path_off : SCAN_NONAME;
	s->dn[s->ndet].reason = SCAN_NONAME;
	s->dn[s->ndet].top = s->top;
	nd = &s->det[s->ndet];
	memset(nd, 0, sizeof(*nd));
	return nd;
}

/*
 * scan_status - record a status without a threat (CORRUPTED, PROTECTED,
 * ERROR) for the object in scan, with its reason
 */
void
scan_status(struct vigil_scanner *s, enum vigil_status st, const char *fmt,
    ...)
{
	struct vigil_detection *d;
	char	 why[256];
	va_list	 ap;
	int	 n;

	if ((d = det_slot(s)) == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(why))
		n = sizeof(why) - 1;
	d->status = st;
	s->dn[s->ndet].reason = intern(s, why, (size_t)n);
	s->ndet++;
}

/* add_det - record a detection by signature index */
static int
add_det(struct vigil_scanner *s, uint32_t sig)
{
	const struct img_view *v = &s->e->v;
	struct vigil_detection *d;

	if ((d = det_slot(s)) == NULL)
		return -1;
	d->status = (enum vigil_status)v->sig[sig].status;
	d->threat = v->str + v->sig[sig].name;
	s->ndet++;
	if (!(s->flags & VIGIL_SCAN_ALLMATCH))
		s->stop = 1;
	return 0;
}

/* need_exe - parse executable headers once per object */
static const struct exe_info *
need_exe(struct vigil_scanner *s)
{
	if (!s->exe_done) {
		exe_parse(s->buf, s->len, &s->exe);
		s->exe_done = 1;
	}
	return &s->exe;
}

/* target_match - does the object have the signature's target type? */
static int
target_match(struct vigil_scanner *s, int target)
{
	enum exe_type t;

	if (target <= 0)
		return 1;
	if (target == 4)
		return s->kind == K_MAIL || s->kind == K_MBOX;
	t = need_exe(s)->type;
	return (target == 1 && t == EXE_PE) || (target == 6 && t == EXE_ELF) ||
	    (target == 9 && t == EXE_MACHO);
}

/* off_window - start window of a match; 0 when the offset cannot apply */
static int
off_window(struct vigil_scanner *s, const struct img_off_spec *o,
    size_t *smin, size_t *smax)
{
	const struct exe_info *x;
	int64_t	 base;
	uint32_t ns;

	switch (o->kind) {
	case OFF_ANY:
		*smin = 0;
		*smax = PAT_UNBOUNDED;
		return 1;
	case OFF_ABS:
		base = 0;
		break;
	case OFF_EOF:
		base = (int64_t)s->len;
		break;
	case OFF_EP:
		x = need_exe(s);
		if (!x->has_ep)
			return 0;
		base = (int64_t)x->ep;
		break;
	case OFF_SENTIRE:
		x = need_exe(s);
		if (!x->has_ep || o->section >= x->nsections ||
		    o->section >= EXE_MAXSECT)
			return 0;
		*smin = (size_t)x->sect[o->section].raw;
		*smax = *smin + (size_t)x->sect[o->section].rsz;
		return *smin <= s->len;
	case OFF_SECT:
	case OFF_SLAST:
		x = need_exe(s);
		ns = x->nsections < EXE_MAXSECT ? x->nsections : EXE_MAXSECT;
		if (!x->has_ep || ns == 0)
			return 0;
		if (o->kind == OFF_SECT && o->section >= ns)
			return 0;
		base = (int64_t)x->sect[o->kind == OFF_SECT ? o->section :
		    ns - 1].raw;
		break;
	default:
		return 0;
	}
	base += o->n;
	if (base < 0 || (uint64_t)base > s->len)
		return 0;
	*smin = (size_t)base;
	*smax = (size_t)base + o->m;
	return 1;
}

/* body_try - verify body signature i at a literal hit (or search) */
static void
body_try(struct vigil_scanner *s, uint32_t i, size_t lit_end, int search)
{
	const struct img_view *v = &s->e->v;
	const struct img_body *b = &v->body[i];
	size_t	 smin, smax, ms, me;
	int	 ok;

	if (s->body_gen[i] == s->gen || v->sig[b->sig].set > s->set)
		return;
	if (!target_match(s, b->target) || !off_window(s, &b->off, &smin,
	    &smax))
		return;
	ok = search ? pat_search(v->pat + b->pat, s->buf, s->len, smin, smax,
	    &ms, &me) : pat_verify(v->pat + b->pat, s->buf, s->len, lit_end,
	    smin, smax, &ms, &me);
	if (ok) {
		s->body_gen[i] = s->gen;
		if (add_det(s, b->sig) == -1)
			s->stop = 1;
	}
}

/* sub_count - one more match of subsignature entry j */
static void
sub_count(struct vigil_scanner *s, uint32_t j)
{
	const struct img_sub *sb = &s->e->v.sub[j];

	if (s->sub_gen[j] != s->gen) {
		s->sub_gen[j] = s->gen;
		s->sub_cnt[j] = 0;
	}
	s->sub_cnt[j]++;
	if (s->lsig_gen[sb->lsig] != s->gen) {
		s->lsig_gen[sb->lsig] = s->gen;
		s->touched[s->ntouched++] = sb->lsig;
	}
}

/* sub_try - verify subsignature entry j at a literal hit (or search) */
static void
sub_try(struct vigil_scanner *s, uint32_t j, size_t lit_end, int search)
{
	const struct img_view *v = &s->e->v;
	const struct img_sub *sb = &v->sub[j];
	const struct img_lsig *ls = &v->lsig[sb->lsig];
	size_t	 smin, smax, ms, me;
	uint32_t max = ls->maxcount ? ls->maxcount : 1;

	if (s->sub_gen[j] == s->gen && s->sub_cnt[j] >= max)
		return;
	if (v->sig[ls->sig].set > s->set || !target_match(s, ls->target) ||
	    !off_window(s, &sb->off, &smin, &smax))
		return;
	if (!search) {
		if (pat_verify(v->pat + sb->pat, s->buf, s->len, lit_end, smin,
		    smax, &ms, &me))
			sub_count(s, j);
		return;
	}
	while (pat_search(v->pat + sb->pat, s->buf, s->len, smin, smax, &ms,
	    &me)) {
		sub_count(s, j);
		if (s->sub_cnt[j] >= max || ms == PAT_UNBOUNDED - 1 ||
		    ms + 1 > smax)
			break;
		smin = ms + 1;
	}
}

/* on_hit - prefilter callback: verify every pattern behind literal id */
static int
on_hit(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	struct vigil_scanner *s = ctx;
	const struct img_view *v = &s->e->v;
	const struct img_litmap *m;
	size_t	 end = s->base + (size_t)to, k;
	uint32_t r;

	(void)from;
	(void)flags;
	if (end <= s->seen || id >= v->nlit)
		return 0;
	if ((++s->hits & 1023) == 0 && scan_time_up(s))
		return 1;
	m = &v->litmap[id];
	for (k = 0; k < m->count && !s->stop; k++) {
		r = v->refs[m->first + k];
		if (r & IMG_REF_SUB)
			sub_try(s, r & ~IMG_REF_SUB, end, 0);
		else
			body_try(s, r, end, 0);
	}
	return s->stop;
}

/* phase_body - prefilter pass plus the slow list */
static int
phase_body(struct vigil_scanner *s, size_t scanlen)
{
	const struct img_view *v = &s->e->v;
	size_t	 off = 0, n, k;
	hs_error_t err;

	while (s->e->hs != NULL && off < scanlen && !s->stop) {
		n = scanlen - off > SCAN_WINDOW ? SCAN_WINDOW : scanlen - off;
		s->base = off;
		err = hs_scan(s->e->hs, (const char *)s->buf + off,
		    (unsigned)n, 0, s->scratch, on_hit, s);
		if (err != HS_SUCCESS && err != HS_SCAN_TERMINATED)
			return -1;
		s->seen = off + n;
		if (off + n >= scanlen)
			break;
		off += n - SCAN_OVERLAP;
	}
	for (k = 0; k < v->nslow && !s->stop; k++) {
		if (v->slow[k] & IMG_REF_SUB)
			sub_try(s, v->slow[k] & ~IMG_REF_SUB, 0, 1);
		else
			body_try(s, v->slow[k], 0, 1);
	}
	return 0;
}

/* lsig_eval - evaluate logical signature l from its subsignature counts */
static void
lsig_eval(struct vigil_scanner *s, uint32_t l)
{
	const struct img_view *v = &s->e->v;
	const struct img_lsig *ls = &v->lsig[l];
	const struct exe_info *x;
	uint32_t counts[64], j;

	if (v->sig[ls->sig].set > s->set || !target_match(s, ls->target))
		return;
	if ((ls->flags & LSIG_F_FS) && (s->len < ls->fs_min ||
	    s->len > ls->fs_max))
		return;
	if (ls->flags & (LSIG_F_EP | LSIG_F_NS)) {
		x = need_exe(s);
		if ((ls->flags & LSIG_F_EP) && (!x->has_ep ||
		    x->ep < ls->ep_min || x->ep > ls->ep_max))
			return;
		if ((ls->flags & LSIG_F_NS) && (!x->has_ep ||
		    x->nsections < ls->ns_min || x->nsections > ls->ns_max))
			return;
	}
	memset(counts, 0, sizeof(counts));
	for (j = ls->sub0; j < ls->sub0 + ls->nsubent; j++)
		if (s->sub_gen[j] == s->gen && v->sub[j].idx < 64)
			counts[v->sub[j].idx] += s->sub_cnt[j];
	if (lexpr_eval(v->expr + ls->expr, counts, ls->nsub))
		(void)add_det(s, ls->sig);
}

/* phase_logical - evaluate the touched logical signatures */
static void
phase_logical(struct vigil_scanner *s)
{
	size_t	 k;

	for (k = 0; k < s->ntouched && !s->stop; k++)
		lsig_eval(s, s->touched[k]);
	for (k = 0; k < s->e->nzero && !s->stop; k++)
		if (s->lsig_gen[s->e->zero_lsigs[k]] != s->gen)
			lsig_eval(s, s->e->zero_lsigs[k]);
}

/* size_need - digests the entries of this size in a sizes table need */
static unsigned
size_need(const struct img_size *t, size_t n, size_t len)
{
	size_t	 lo = 0, hi = n, mid;

	if (len >= IMG_ANYSIZE)
		return 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t[mid].size < len)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].size == len ? t[lo].need : 0;
}

/* compute_digests - the digests in need not computed yet, in one pass */
static int
compute_digests(struct vigil_scanner *s, unsigned need)
{
	static const size_t chunk = 1 << 20;
	const EVP_MD	*mds[3] = { EVP_md5(), EVP_sha1(), EVP_sha256() };
	size_t	 off, n;
	unsigned k, len;

	need &= ~s->have_dig;
	if (need == 0)
		return 0;
	for (k = 0; k < 3; k++)
		if ((need & (1u << k)) &&
		    EVP_DigestInit_ex(s->md[k], mds[k], NULL) != 1)
			return -1;
	for (off = 0; off < s->len; off += n) {
		n = s->len - off > chunk ? chunk : s->len - off;
		for (k = 0; k < 3; k++)
			if (need & (1u << k))
				EVP_DigestUpdate(s->md[k], s->buf + off, n);
	}
	for (k = 0; k < 3; k++)
		if (need & (1u << k))
			EVP_DigestFinal_ex(s->md[k], s->dig[k], &len);
	s->have_dig |= need;
	return 0;
}

/*
 * hash_lookup - entries of a sorted table with this digest and a size of
 * len or '*': call fn for each; returns 1 when one was found.
 */
#define HASH_LOOKUP(fn, type)						\
static int								\
fn(const type *t, size_t n, const uint8_t *d, size_t len,		\
    struct vigil_scanner *s, int report)				\
{									\
	size_t	 lo = 0, hi = n, mid;					\
	int	 found = 0;						\
									\
	while (lo < hi) {						\
		mid = lo + (hi - lo) / 2;				\
		if (memcmp(t[mid].d, d, sizeof(t[mid].d)) < 0)		\
			lo = mid + 1;					\
		else							\
			hi = mid;					\
	}								\
	for (; lo < n && memcmp(t[lo].d, d, sizeof(t[lo].d)) == 0; lo++) { \
		if (t[lo].size != IMG_ANYSIZE && t[lo].size != len)	\
			continue;					\
		if (!report)						\
			return 1;					\
		if (t[lo].sig >= s->e->v.hdr->nsigs ||			\
		    s->e->v.sig[t[lo].sig].set > s->set)		\
			continue;					\
		found = 1;						\
		if (add_det(s, t[lo].sig) == -1 || s->stop)		\
			break;						\
	}								\
	return found;							\
}
HASH_LOOKUP(lookup16, struct img_hash16)
HASH_LOOKUP(lookup20, struct img_hash20)
HASH_LOOKUP(lookup32, struct img_hash32)

/* phase_hash - hash signatures */
static int
phase_hash(struct vigil_scanner *s)
{
	const struct img_view *v = &s->e->v;
	unsigned need = v->hdr->anysize_need |
	    size_need(v->sizes, v->nsizes, s->len);

	if (need == 0)
		return 0;
	if (compute_digests(s, need) == -1)
		return -1;
	if ((need & HK_MD5) && !s->stop)
		lookup16(v->h16, v->nh16, s->dig[0], s->len, s, 1);
	if ((need & HK_SHA1) && !s->stop)
		lookup20(v->h20, v->nh20, s->dig[1], s->len, s, 1);
	if ((need & HK_SHA256) && !s->stop)
		lookup32(v->h32, v->nh32, s->dig[2], s->len, s, 1);
	return 0;
}

/* allowed - is the object on an allow-list? */
static int
allowed(struct vigil_scanner *s)
{
	const struct img_view *v = &s->e->v;
	unsigned need = v->hdr->fp_need |
	    size_need(v->fsizes, v->nfsizes, s->len);

	if (need == 0 || compute_digests(s, need) == -1)
		return 0;
	return ((need & HK_MD5) && lookup16(v->f16, v->nf16, s->dig[0],
	    s->len, s, 0)) ||
	    ((need & HK_SHA1) && lookup20(v->f20, v->nf20, s->dig[1],
	    s->len, s, 0)) ||
	    ((need & HK_SHA256) && lookup32(v->f32, v->nf32, s->dig[2],
	    s->len, s, 0));
}

/* scan_result - summarise the request's detections */
void
scan_result(struct vigil_scanner *s, struct vigil_result *res)
{
	const char *base = s->names.data;
	size_t	 i;

	memset(res, 0, sizeof(*res));
	res->status = VIGIL_CLEAN;
	for (i = 0; i < s->ndet; i++) {
		s->det[i].object = s->dn[i].object != SCAN_NONAME && base ?
		    base + s->dn[i].object : "";
		s->det[i].reason = s->dn[i].reason != SCAN_NONAME && base ?
		    base + s->dn[i].reason : NULL;
		if (s->det[i].status > res->status)
			res->status = s->det[i].status;
		if (res->threat == NULL && s->det[i].threat != NULL)
			res->threat = s->det[i].threat;
	}
	if (res->status < VIGIL_WARNING)
		for (i = 0; i < s->ndet && res->reason == NULL; i++)
			if (s->det[i].status == res->status)
				res->reason = s->det[i].reason;
	if (s->ndet == 0 && s->reason[0] != '\0') {
		res->status = VIGIL_STATUS_ERROR;
		res->reason = s->reason;
	}
	res->ndet = (unsigned)s->ndet;
	res->det = s->det;
	res->bytes = s->scanned;
	res->objects = s->nobj;
}

/*
 * scan_object - scan one object of the request (the three phases), then,
 * when it is a container, its members
 */
void
scan_object(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	size_t	 first = s->ndet, scanlen = len;

	if (s->stop)
		return;
	object_begin(s, buf, len);
	s->nobj++;
	if (s->depth == 0)
		s->scanned += len;
	s->kind = container_kind(buf, len);
	if (s->lim.max_scan_size > 0 && len > s->lim.max_scan_size)
		scanlen = (size_t)s->lim.max_scan_size;
	if (phase_hash(s) == -1) {
		scan_status(s, VIGIL_STATUS_ERROR, "out of memory");
		return;
	}
	if (!s->stop && !scan_time_up(s) && phase_body(s, scanlen) == -1) {
		scan_status(s, VIGIL_STATUS_ERROR, "prefilter failed");
		return;
	}
	if (!s->stop && !scan_time_up(s))
		phase_logical(s);
	if ((s->ndet > first || s->kind != K_PLAIN) && allowed(s)) {
		s->ndet = first;
		s->stop = s->timed_out;
		return;
	}
	if (!s->stop && (s->kind != K_PLAIN ||
	    (s->depth == 0 && (s->flags & VIGIL_SCAN_DEFLATE))))
		container_scan(s, buf, len);
}

/* scan_mem - the request on an object in memory */
static enum vigil_err
scan_mem(struct vigil_scanner *s, const uint8_t *buf, size_t len,
    struct vigil_result *res)
{
	if (s->lim.max_file_size > 0 && len > s->lim.max_file_size)
		scan_status(s, VIGIL_STATUS_ERROR,
		    "size limit exceeded (MaxFileSize)");
	else
		scan_object(s, buf, len);
	if (s->timed_out)
		scan_status(s, VIGIL_STATUS_ERROR,
		    "time limit exceeded (MaxScanTime)");
	scan_result(s, res);
	return VIGIL_OK;
}

/* vigil_scan_buffer - scan one object held in memory */
enum vigil_err
vigil_scan_buffer(struct vigil_scanner *s, const void *buf, size_t len,
    const struct vigil_limits *lim, struct vigil_result *res)
{
	if (s == NULL || res == NULL || (buf == NULL && len > 0))
		return VIGIL_EARG;
	scan_request_begin(s, lim);
	return scan_mem(s, buf != NULL ? buf : (const void *)"", len, res);
}

/* read_all - read a non-regular fd into memory, capped */
static int
read_all(int fd, size_t cap, uint8_t **out, size_t *outlen)
{
	struct strbuf	 sb;
	uint8_t		 tmp[65536];
	ssize_t		 r;

	strbuf_init(&sb, cap);
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			strbuf_fini(&sb);
			return -1;
		}
		if (strbuf_append(&sb, tmp, (size_t)r) == -1) {
			strbuf_fini(&sb);
			return -1;
		}
	}
	*outlen = sb.len;
	*out = (uint8_t *)strbuf_steal(&sb);
	return 0;
}

/* scan_error - a verdict of ERROR for an object that cannot be read */
static enum vigil_err
scan_error(struct vigil_scanner *s, struct vigil_result *res,
    const char *what, int err)
{
	snprintf(s->reason, sizeof(s->reason), "%s: %s", what, strerror(err));
	scan_result(s, res);
	return VIGIL_OK;
}

/* pread_all - read len bytes of a regular file from offset 0; got < len
 * when it shrank meanwhile */
static int
pread_all(int fd, uint8_t *p, size_t len, size_t *got)
{
	ssize_t	 r;

	*got = 0;
	while (*got < len) {
		r = pread(fd, p + *got, len - *got, (off_t)*got);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		*got += (size_t)r;
	}
	return 0;
}

/*
 * scan_read_fd - read a whole object into a malloc'ed buffer, up to cap
 * bytes (0: SCAN_MAXREAD); *toobig when there was more.  -1 with errno.
 */
int
scan_read_fd(int fd, uint64_t cap, uint8_t **out, size_t *outlen,
    int *toobig)
{
	struct stat	 st;
	uint8_t		*p;
	size_t		 len;

	*toobig = 0;
	if (cap == 0 || cap > SCAN_MAXREAD)
		cap = SCAN_MAXREAD;
	if (fstat(fd, &st) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		if (read_all(fd, (size_t)cap, out, outlen) == -1) {
			if (errno == E2BIG)
				*toobig = 1;
			return -1;
		}
		return 0;
	}
	if ((uint64_t)st.st_size > cap) {
		*toobig = 1;
		errno = E2BIG;
		return -1;
	}
	len = (size_t)st.st_size;
	if ((p = malloc(len + 1)) == NULL)
		return -1;
	if (pread_all(fd, p, len, outlen) == -1) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* vigil_scan_fd - scan a file descriptor from offset 0 */
enum vigil_err
vigil_scan_fd(struct vigil_scanner *s, int fd, const struct vigil_limits *lim,
    struct vigil_result *res)
{
	struct stat	 st;
	uint8_t		*p;
	size_t		 len, got, cap = SCAN_MAXREAD;
	enum vigil_err	 rc;

	if (s == NULL || res == NULL || fd < 0)
		return VIGIL_EARG;
	scan_request_begin(s, lim);
	if (fstat(fd, &st) == -1)
		return scan_error(s, res, "stat", errno);
	if (S_ISREG(st.st_mode)) {
		len = (size_t)st.st_size;
		if (s->lim.max_file_size > 0 && len > s->lim.max_file_size)
			return scan_mem(s, NULL, len, res);
		if (len == 0)
			return scan_mem(s, (const uint8_t *)"", 0, res);
		if (len <= SCAN_SMALL) {
			if (s->rbuf == NULL &&
			    (s->rbuf = malloc(SCAN_SMALL)) == NULL)
				return VIGIL_ENOMEM;
			if (pread_all(fd, s->rbuf, len, &got) == -1)
				return scan_error(s, res, "read", errno);
			return scan_mem(s, s->rbuf, got, res);
		}
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return scan_error(s, res, "map", errno);
		(void)madvise(p, len, MADV_SEQUENTIAL);
		rc = scan_mem(s, p, len, res);
		munmap(p, len);
		return rc;
	}
	if (S_ISDIR(st.st_mode))
		return scan_error(s, res, "scan", EISDIR);
	if (s->lim.max_file_size > 0 && s->lim.max_file_size < cap)
		cap = (size_t)s->lim.max_file_size;
	if (read_all(fd, cap, &p, &len) == -1) {
		if (errno == E2BIG && s->lim.max_file_size > 0)
			return scan_mem(s, NULL, (size_t)cap + 1, res);
		return scan_error(s, res, "read", errno);
	}
	rc = scan_mem(s, p, len, res);
	free(p);
	return rc;
}

/* vigil_scan_path - open and scan a path */
enum vigil_err
vigil_scan_path(struct vigil_scanner *s, const char *path,
    const struct vigil_limits *lim, struct vigil_result *res)
{
	enum vigil_err	 rc;
	int		 fd;

	if (s == NULL || path == NULL || res == NULL)
		return VIGIL_EARG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		scan_request_begin(s, lim);
		return scan_error(s, res, "open", errno);
	}
	rc = vigil_scan_fd(s, fd, lim, res);
	close(fd);
	return rc;
}
