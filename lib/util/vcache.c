/*
 * vcache.c - in-memory LRU of verdicts keyed by content digest (vigild)
 *
 * DESIGN: the capacity is split over up to VC_MAX_SHARDS shards, chosen
 * by a keyed hash of the digest.  Each shard has a mutex, a doubly
 * linked LRU list (head = most recent) and a chained hash table whose
 * bucket count doubles while entries outnumber buckets.  Nodes are
 * allocated until the shard's capacity is reached; after that a put
 * reuses the least recently used node, so a full cache allocates
 * nothing.  Small caches (under VC_MIN_PER_SHARD * 2 entries) use one
 * shard, so their eviction order is exactly LRU; larger ones are LRU
 * within each shard.  The hash is keyed with a per-process random seed:
 * digests are SHA-256 values, but a client can still grind inputs whose
 * digests share low bits, and the seed keeps that from building chains.
 *
 * Hand-written: it is a few hundred lines, and an LRU with fixed-size
 * entries, per-shard locks and no allocation when full is not what the
 * general hash-table libraries in Debian (glib, uthash) offer without
 * pulling in their own allocation and locking policies.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vcache.h"

#define VC_MAX_SHARDS		16
#define VC_MIN_PER_SHARD	64

struct vc_node {
	struct vc_node		*hnext;		/* hash chain */
	struct vc_node		*prev, *next;	/* LRU list */
	uint64_t		 hash;
	uint64_t		 dbgen;
	uint8_t			 digest[32];
	struct vcache_entry	 e;
};

_Static_assert(sizeof(struct vc_node) <= VCACHE_ENTRY_BYTES,
    "VCACHE_ENTRY_BYTES too small");

struct vc_shard {
	_Alignas(64) pthread_mutex_t lock;
	struct vc_node	**bucket;
	size_t		  nbucket;	/* a power of two, or 0 */
	struct vc_node	 *head, *tail;	/* most and least recently used */
	size_t		  count, cap;
	uint64_t	  hits, misses;
};

struct vcache {
	struct vc_shard	*shard;
	size_t		 nshard;	/* a power of two */
	uint64_t	 seed;
};

/* vc_seed - a per-process random hash key */
static uint64_t
vc_seed(const void *salt)
{
	struct timespec	 ts;
	uint64_t	 seed;

	if (getentropy(&seed, sizeof(seed)) == 0)
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
	    (uint64_t)(uintptr_t)salt;
}

/* vc_hash - keyed 64-bit hash of a digest */
static uint64_t
vc_hash(uint64_t seed, const uint8_t digest[32])
{
	uint64_t	 h = seed, w;
	int		 i;

	for (i = 0; i < 32; i += 8) {
		memcpy(&w, digest + i, 8);
		h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h;
}

/* vc_shard_of - the shard for hash h */
static struct vc_shard *
vc_shard_of(const struct vcache *vc, uint64_t h)
{
	return &vc->shard[(h >> 40) & (vc->nshard - 1)];
}

/* vc_find - the node for digest, or NULL; shard locked */
static struct vc_node *
vc_find(struct vc_shard *sh, uint64_t h, const uint8_t digest[32])
{
	struct vc_node	*n;

	if (sh->nbucket == 0)
		return NULL;
	for (n = sh->bucket[h & (sh->nbucket - 1)]; n != NULL; n = n->hnext)
		if (n->hash == h && memcmp(n->digest, digest, 32) == 0)
			return n;
	return NULL;
}

/* vc_lru_unlink - take n out of the LRU list */
static void
vc_lru_unlink(struct vc_shard *sh, struct vc_node *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		sh->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		sh->tail = n->prev;
	n->prev = n->next = NULL;
}

/* vc_lru_front - make n the most recently used */
static void
vc_lru_front(struct vc_shard *sh, struct vc_node *n)
{
	n->prev = NULL;
	n->next = sh->head;
	if (sh->head != NULL)
		sh->head->prev = n;
	else
		sh->tail = n;
	sh->head = n;
}

/* vc_hash_unlink - take n out of its hash chain */
static void
vc_hash_unlink(struct vc_shard *sh, struct vc_node *n)
{
	struct vc_node	**pp;

	pp = &sh->bucket[n->hash & (sh->nbucket - 1)];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
}

/* vc_hash_link - add n to the table */
static void
vc_hash_link(struct vc_shard *sh, struct vc_node *n)
{
	struct vc_node	**pp = &sh->bucket[n->hash & (sh->nbucket - 1)];

	n->hnext = *pp;
	*pp = n;
}

/* vc_rehash - double the buckets; on ENOMEM chains just grow longer */
static void
vc_rehash(struct vc_shard *sh)
{
	struct vc_node	**nb, *n, *next;
	size_t		  nn = sh->nbucket ? sh->nbucket * 2 : 16, i;

	if ((nb = calloc(nn, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < sh->nbucket; i++) {
		for (n = sh->bucket[i]; n != NULL; n = next) {
			next = n->hnext;
			n->hnext = nb[n->hash & (nn - 1)];
			nb[n->hash & (nn - 1)] = n;
		}
	}
	free(sh->bucket);
	sh->bucket = nb;
	sh->nbucket = nn;
}

/* vc_node_get - a fresh node, or the LRU one when full; NULL on ENOMEM */
static struct vc_node *
vc_node_get(struct vc_shard *sh)
{
	struct vc_node	*n;

	if (sh->count < sh->cap) {
		if (sh->count >= sh->nbucket)
			vc_rehash(sh);
		if (sh->nbucket == 0 || (n = calloc(1, sizeof(*n))) == NULL)
			return NULL;
		sh->count++;
		return n;
	}
	n = sh->tail;
	vc_lru_unlink(sh, n);
	vc_hash_unlink(sh, n);
	return n;
}

/* vc_shard_clear - free every node of a locked shard */
static void
vc_shard_clear(struct vc_shard *sh)
{
	struct vc_node	*n, *next;

	for (n = sh->head; n != NULL; n = next) {
		next = n->next;
		free(n);
	}
	free(sh->bucket);
	sh->bucket = NULL;
	sh->nbucket = 0;
	sh->head = sh->tail = NULL;
	sh->count = 0;
}

/* vcache_new - a cache of at most max_entries verdicts */
struct vcache *
vcache_new(size_t max_entries)
{
	struct vcache	*vc;
	size_t		 i, ns = 1;

	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return NULL;
	while (ns < VC_MAX_SHARDS && max_entries / (ns * 2) >= VC_MIN_PER_SHARD)
		ns *= 2;
	vc->shard = aligned_alloc(64, ns * sizeof(*vc->shard));
	if (vc->shard == NULL) {
		free(vc);
		errno = ENOMEM;
		return NULL;
	}
	memset(vc->shard, 0, ns * sizeof(*vc->shard));
	vc->nshard = ns;
	vc->seed = vc_seed(vc);
	for (i = 0; i < ns; i++) {
		pthread_mutex_init(&vc->shard[i].lock, NULL);
		vc->shard[i].cap = max_entries / ns + (i < max_entries % ns);
	}
	return vc;
}

/* vcache_free - free every node and the cache */
void
vcache_free(struct vcache *vc)
{
	size_t	 i;

	if (vc == NULL)
		return;
	for (i = 0; i < vc->nshard; i++) {
		vc_shard_clear(&vc->shard[i]);
		pthread_mutex_destroy(&vc->shard[i].lock);
	}
	free(vc->shard);
	free(vc);
}

/* vcache_get - copy out the verdict for (digest, dbgen) */
int
vcache_get(struct vcache *vc, const uint8_t digest[32], uint64_t dbgen,
    struct vcache_entry *out)
{
	struct vc_shard	*sh;
	struct vc_node	*n;
	uint64_t	 h;
	int		 hit = 0;

	h = vc_hash(vc->seed, digest);
	sh = vc_shard_of(vc, h);
	pthread_mutex_lock(&sh->lock);
	if ((n = vc_find(sh, h, digest)) != NULL && n->dbgen == dbgen) {
		*out = n->e;
		vc_lru_unlink(sh, n);
		vc_lru_front(sh, n);
		hit = 1;
		sh->hits++;
	} else
		sh->misses++;
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

/* vcache_put - remember a verdict, evicting the LRU one when full */
void
vcache_put(struct vcache *vc, const uint8_t digest[32], uint64_t dbgen,
    const struct vcache_entry *e)
{
	struct vc_shard	*sh;
	struct vc_node	*n;
	uint64_t	 h;

	h = vc_hash(vc->seed, digest);
	sh = vc_shard_of(vc, h);
	pthread_mutex_lock(&sh->lock);
	if (sh->cap == 0)
		goto out;
	if ((n = vc_find(sh, h, digest)) != NULL)
		vc_lru_unlink(sh, n);
	else if ((n = vc_node_get(sh)) != NULL) {
		n->hash = h;
		memcpy(n->digest, digest, 32);
		vc_hash_link(sh, n);
	} else
		goto out;
	n->dbgen = dbgen;
	n->e.status = e->status;
	memcpy(n->e.threat, e->threat, sizeof(n->e.threat));
	n->e.threat[sizeof(n->e.threat) - 1] = '\0';
	vc_lru_front(sh, n);
out:
	pthread_mutex_unlock(&sh->lock);
}

/* vcache_clear - drop every verdict, keep counters */
void
vcache_clear(struct vcache *vc)
{
	size_t	 i;

	for (i = 0; i < vc->nshard; i++) {
		pthread_mutex_lock(&vc->shard[i].lock);
		vc_shard_clear(&vc->shard[i]);
		pthread_mutex_unlock(&vc->shard[i].lock);
	}
}

/* vcache_stats - sum the shards' counters */
void
vcache_stats(const struct vcache *cvc, uint64_t *hits, uint64_t *misses,
    size_t *entries)
{
	struct vc_shard	*sh;
	uint64_t	 h = 0, m = 0;
	size_t		 i, n = 0;

	for (i = 0; i < cvc->nshard; i++) {
		sh = &cvc->shard[i];	/* shard array is not const */
		pthread_mutex_lock(&sh->lock);
		h += sh->hits;
		m += sh->misses;
		n += sh->count;
		pthread_mutex_unlock(&sh->lock);
	}
	if (hits != NULL)
		*hits = h;
	if (misses != NULL)
		*misses = m;
	if (entries != NULL)
		*entries = n;
}
