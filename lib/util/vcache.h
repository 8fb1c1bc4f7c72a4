/*
 * vcache.h - in-memory verdict cache keyed by content digest (vigild's
 * level one)
 *
 * A verdict is remembered under the caller's 32-byte digest of the
 * content (SHA-256) and the database generation it was reached with; a
 * verdict from another generation is a miss and the next put replaces
 * it.  The cache is an LRU holding at most max_entries verdicts; every
 * entry has the same size (VCACHE_ENTRY_BYTES, allocated when first
 * needed and reused on eviction), so max_entries also caps the bytes
 * used: at most max_entries * VCACHE_ENTRY_BYTES plus the hash buckets.
 * All functions are thread-safe except vcache_free().
 */
#ifndef VIGIL_VCACHE_H
#define VIGIL_VCACHE_H

#include <stddef.h>
#include <stdint.h>

#define VCACHE_THREAT_MAX	128
#define VCACHE_ENTRY_BYTES	224	/* upper bound of one entry's node */

struct vcache_entry {
	int	 status;			/* the caller's enum */
	char	 threat[VCACHE_THREAT_MAX];	/* NUL-terminated */
};

struct vcache;

/*
 * vcache_new - a cache of at most max_entries verdicts; 0 makes a
 * disabled cache (lookups miss, stores do nothing).  NULL on ENOMEM.
 */
struct vcache	*vcache_new(size_t max_entries);

/* vcache_free - free the cache; NULL is a no-op */
void		 vcache_free(struct vcache *);

/*
 * vcache_get - 1 and *out filled if digest has a verdict from database
 * generation dbgen (it becomes the most recently used), else 0.
 */
int		 vcache_get(struct vcache *, const uint8_t digest[32],
		    uint64_t dbgen, struct vcache_entry *out);

/*
 * vcache_put - remember *e for digest under dbgen, replacing any verdict
 * for digest and evicting the least recently used one when full.  The
 * threat name is copied and cut to VCACHE_THREAT_MAX - 1 bytes.  Out of
 * memory, nothing is stored.
 */
void		 vcache_put(struct vcache *, const uint8_t digest[32],
		    uint64_t dbgen, const struct vcache_entry *e);

/* vcache_clear - forget every verdict (on reload); counters are kept */
void		 vcache_clear(struct vcache *);

/* vcache_stats - counters since vcache_new(); any pointer may be NULL */
void		 vcache_stats(const struct vcache *, uint64_t *hits,
		    uint64_t *misses, size_t *entries);

#endif
