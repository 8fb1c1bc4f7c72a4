/*
 * fcache.h - persistent cache of files found clean (vigil-scan's level two)
 *
 * A file is known clean when its identity and change stamps match a
 * record: (st_dev, st_ino, st_size, st_mtim in ns, st_ctim in ns).  Any
 * write to the file changes mtime or ctime (and chmod, chown, link and
 * rename change ctime), so a match means "unchanged since it was scanned".
 * The whole cache is bound to one context string chosen by the caller:
 * the database version plus every scan option that can change a verdict.
 * A file written under another context is ignored, so a database update
 * invalidates everything.
 *
 * All functions are safe to call from many threads at once on the same
 * cache, except fcache_close().  fcache_save() locks the whole table while
 * it writes; lookups and stores made meanwhile wait.
 *
 * File format, version 1 (all integers little-endian):
 *
 *	offset	size	field
 *	0	8	magic "VIGILFC1"
 *	8	4	u32 record count n (at most FCACHE_MAX_ENTRIES)
 *	12	4	u32 context length c (at most FCACHE_CONTEXT_MAX)
 *	16	8	u64 hash seed the records were laid out with
 *	24	c	context bytes (no NUL)
 *	24+c	p	zero bytes, p = (8 - c % 8) % 8, so records are aligned
 *	h	40*n	records, h = 24 + c + p; each record is five u64:
 *			dev, ino, size, mtime_ns, ctime_ns
 *	h+40n	8	u64 checksum of bytes [0, h+40n)
 *
 * The file size must be exactly h + 40n + 8.  The checksum reads the
 * covered bytes as little-endian u64 words w (their length is a multiple
 * of 8 by construction) and computes, from h = 0xcbf29ce484222325 (the
 * FNV-1a offset basis):  h = (h ^ w) * 0x100000001b3;  h ^= h >> 32.
 * That is FNV-1a taken a word at a time, plus a fold so that high bits
 * reach low ones; eight times faster than byte-wise FNV-1a, it guards
 * against torn or damaged files, not against forgery (the cache lives in
 * a 0700 directory that only its owner can write).
 * The seed is the in-memory table's secret hash key (files whose stamps
 * another user chose must not pile up in one probe chain).  Records are
 * saved in table order, so a load that reuses the seed writes the table
 * almost sequentially instead of missing the cache once per record.
 * A new cache gets a random seed; the file is readable by its owner only.
 * mtime_ns and ctime_ns are tv_sec * 10^9 + tv_nsec computed modulo 2^64.
 */
#ifndef VIGIL_FCACHE_H
#define VIGIL_FCACHE_H

#include <sys/stat.h>

#include <stddef.h>

#define FCACHE_CONTEXT_MAX	512		/* bytes of context string */
#define FCACHE_MAX_ENTRIES	(1u << 24)	/* records in memory and file */

struct fcache;

/*
 * fcache_open - load path if it is present and valid for context.
 * A missing file, one written under another context, or a damaged one
 * (one log_warnx) yields an empty cache, not an error.  A context longer
 * than FCACHE_CONTEXT_MAX also yields an empty cache (log_warnx) whose
 * fcache_save() fails with ENAMETOOLONG.  Both strings are copied.
 * Returns NULL only when memory runs out (errno ENOMEM).
 */
struct fcache	*fcache_open(const char *path, const char *context);

/*
 * fcache_lookup - 1 if the file st describes was stored as clean and has
 * not changed since, else 0.  A hit marks the record for fcache_save().
 */
int		 fcache_lookup(struct fcache *, const struct stat *st);

/*
 * fcache_store - remember the file st describes as clean.  Silently does
 * nothing when FCACHE_MAX_ENTRIES records are held (it is only a cache)
 * or memory runs out.
 */
void		 fcache_store(struct fcache *, const struct stat *st);

/* fcache_forget - drop the record for st, if any (say, it was infected) */
void		 fcache_forget(struct fcache *, const struct stat *st);

/*
 * fcache_save - write the records looked up with a hit or stored since
 * fcache_open() (records of files not seen in this run are dropped) to
 * the path given to fcache_open(): a temporary file in the same
 * directory, mode 0600, fsync, rename, fsync of the directory.  Missing
 * directories are created with mode 0700.  Returns 0, or -1 with errno;
 * the old file is then left as it was.
 */
int		 fcache_save(struct fcache *);

/* fcache_close - free the cache (not saved); NULL is a no-op */
void		 fcache_close(struct fcache *);

/* fcache_count - records held, touched or not */
size_t		 fcache_count(const struct fcache *);

#endif
