/*
 * fcache.c - persistent cache of files found clean (vigil-scan)
 *
 * DESIGN: the table is split into FC_NSHARDS shards by the top bits of a
 * keyed 64-bit hash of the record; each shard is an open-addressing table
 * with linear probing under its own mutex, so N scanning threads rarely
 * meet on a lock and a lookup costs one uncontended lock, one hash and a
 * probe or two.  A slot holds the 40-byte key, the low 32 bits of its
 * hash (the home slot is (hash * cap) >> 32, so any capacity works and a
 * table loaded from a file is sized exactly) and its state: empty, held
 * (loaded, not yet seen in this run) or touched (stored, or looked up
 * with a hit).  Deletion shifts the following cluster back, so there are
 * no tombstones.  Shards grow by doubling past a load of 3/4 and hold at
 * most FCACHE_MAX_ENTRIES / FC_NSHARDS records, so memory is bounded
 * (about 64 to 128 bytes a record).  The hash is keyed with a random
 * seed, so files whose stamps someone chose cannot pile up in one probe
 * chain; the seed is kept in the file with the records.
 *
 * Loading streams the file in 64 KiB pieces: the size is checked against
 * the header's count before anything is allocated, records are inserted
 * as they come and thrown away again if the trailing checksum is wrong.
 * Records are saved in table order and loaded with the same seed, so a
 * load fills each shard front to back: for a table far larger than the
 * CPU caches that is 3 to 4 times faster than inserting in random order
 * (prefetching the home slots, tried first, gained nothing).
 * Saving locks every shard (in index order; other paths take one lock)
 * and writes the touched records to a temporary file that is renamed
 * over the old one, so a crash leaves the old file or the new one.
 *
 * Hand-written: no Debian library keeps a tiny fixed-record table on
 * disk; Berkeley DB, LMDB or SQLite would each be a large dependency with
 * its own locking and file format for what is a 40-byte record set.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcache.h"
#include "fdio.h"
#include "log.h"

#define FC_SHARD_BITS	6
#define FC_NSHARDS	(1 << FC_SHARD_BITS)
#define FC_SHARD_MAX	(FCACHE_MAX_ENTRIES / FC_NSHARDS)
#define FC_MAGIC	"VIGILFC1"
#define FC_HDRLEN	24
#define FC_RECLEN	40
#define FC_BUFLEN	(FC_RECLEN * 1638)	/* 65520, a multiple of 8 */
#define FC_MMAP_MIN	(256 * 1024)	/* tables this big are mmap()ed */
#ifdef MAP_POPULATE
#define FC_MAP_POPULATE	MAP_POPULATE
#else
#define FC_MAP_POPULATE	0
#endif
#define FC_SUM_INIT	UINT64_C(0xcbf29ce484222325)
#define FC_SUM_PRIME	UINT64_C(0x100000001b3)

enum fc_state { FC_EMPTY, FC_HELD, FC_TOUCHED };

struct fc_key {
	uint64_t	 v[5];		/* dev, ino, size, mtime_ns, ctime_ns */
};

struct fc_slot {
	struct fc_key	 key;
	uint32_t	 hash;		/* low 32 bits of fc_hash() */
	uint32_t	 state;		/* enum fc_state */
};

struct fc_shard {
	_Alignas(64) pthread_mutex_t lock;
	struct fc_slot	*slot;
	size_t		 cap;		/* slots; 0 while slot is NULL */
	size_t		 count;		/* slots not FC_EMPTY */
};

struct fcache {
	struct fc_shard	 shard[FC_NSHARDS];
	char		*path;
	char		*context;
	size_t		 ctxlen;
	int		 ctx_ok;	/* ctxlen <= FCACHE_CONTEXT_MAX */
	uint64_t	 seed;
};

/* fc_get32 - little-endian u32 at p */
static uint32_t
fc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* fc_get64 - little-endian u64 at p */
static uint64_t
fc_get64(const uint8_t *p)
{
	return (uint64_t)fc_get32(p) | (uint64_t)fc_get32(p + 4) << 32;
}

/* fc_put32 - store v little-endian at p */
static void
fc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* fc_put64 - store v little-endian at p */
static void
fc_put64(uint8_t *p, uint64_t v)
{
	fc_put32(p, (uint32_t)v);
	fc_put32(p + 4, (uint32_t)(v >> 32));
}

/* fc_sum - continue the file checksum over n bytes, n a multiple of 8 */
static uint64_t
fc_sum(uint64_t h, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i + 8 <= n; i += 8) {
		h = (h ^ fc_get64(p + i)) * FC_SUM_PRIME;
		h ^= h >> 32;
	}
	return h;
}

/* fc_pad - zero bytes after a context of len bytes */
static size_t
fc_pad(size_t len)
{
	return (8 - len % 8) % 8;
}

/* fc_ns - a timestamp as nanoseconds modulo 2^64 */
static uint64_t
fc_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * UINT64_C(1000000000) +
	    (uint64_t)ts->tv_nsec;
}

/* fc_key_of - the record for st */
static void
fc_key_of(struct fc_key *k, const struct stat *st)
{
	k->v[0] = (uint64_t)st->st_dev;
	k->v[1] = (uint64_t)st->st_ino;
	k->v[2] = (uint64_t)st->st_size;
	k->v[3] = fc_ns(&st->st_mtim);
	k->v[4] = fc_ns(&st->st_ctim);
}

/* fc_key_get - the record stored at p */
static void
fc_key_get(struct fc_key *k, const uint8_t *p)
{
	int	 i;

	for (i = 0; i < 5; i++)
		k->v[i] = fc_get64(p + i * 8);
}

/* fc_hash - keyed 64-bit hash of a record */
static uint64_t
fc_hash(uint64_t seed, const struct fc_key *k)
{
	uint64_t	 h = seed;
	int		 i;

	for (i = 0; i < 5; i++) {
		h = (h ^ k->v[i]) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* fc_home - first slot to probe for hash in a table of cap slots */
static size_t
fc_home(uint32_t hash, size_t cap)
{
	return (size_t)(((uint64_t)hash * cap) >> 32);
}

/* fc_find - the slot holding k, or NULL; shard locked (or private) */
static struct fc_slot *
fc_find(struct fc_shard *sh, const struct fc_key *k, uint32_t hash)
{
	struct fc_slot	*s;
	size_t		 i;

	if (sh->cap == 0)
		return NULL;
	i = fc_home(hash, sh->cap);
	/* load stays below 3/4, so an empty slot ends every probe */
	while ((s = &sh->slot[i])->state != FC_EMPTY) {
		if (s->hash == hash && memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
		if (++i == sh->cap)
			i = 0;
	}
	return NULL;
}

/* fc_place - put a record known to be absent into a table with room */
static void
fc_place(struct fc_slot *slot, size_t cap, const struct fc_key *k,
    uint32_t hash, uint32_t state)
{
	size_t	 i;

	i = fc_home(hash, cap);
	while (slot[i].state != FC_EMPTY)
		if (++i == cap)
			i = 0;
	slot[i].key = *k;
	slot[i].hash = hash;
	slot[i].state = state;
}

/*
 * fc_table_new - cap zeroed slots; NULL on ENOMEM.  Large tables are
 * mapped with MAP_POPULATE: one system call instead of a page fault per
 * 4 KiB (a third of the time of a 1M-record load otherwise).
 */
static struct fc_slot *
fc_table_new(size_t cap)
{
	struct fc_slot	*t;
	size_t		 len = cap * sizeof(*t);

	if (len >= FC_MMAP_MIN) {
		t = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | FC_MAP_POPULATE, -1, 0);
		return t == MAP_FAILED ? NULL : t;
	}
	/* malloc + memset, not calloc: the probes read a fresh table
	 * before writing it, and on lazily zeroed pages that is a fault
	 * for the read and another for the write */
	if ((t = malloc(len)) != NULL)
		memset(t, 0, len);
	return t;
}

/* fc_table_free - release a table made by fc_table_new(cap) */
static void
fc_table_free(struct fc_slot *t, size_t cap)
{
	if (t == NULL)
		return;
	if (cap * sizeof(*t) >= FC_MMAP_MIN)
		munmap(t, cap * sizeof(*t));
	else
		free(t);
}

/* fc_resize - move the shard into a table of cap slots; -1 on ENOMEM */
static int
fc_resize(struct fc_shard *sh, size_t cap)
{
	struct fc_slot	*ns, *s;
	size_t		 i;

	if ((ns = fc_table_new(cap)) == NULL)
		return -1;
	for (i = 0; i < sh->cap; i++) {
		s = &sh->slot[i];
		if (s->state != FC_EMPTY)
			fc_place(ns, cap, &s->key, s->hash, s->state);
	}
	fc_table_free(sh->slot, sh->cap);
	sh->slot = ns;
	sh->cap = cap;
	return 0;
}

/*
 * fc_add - the slot holding k, added in state FC_HELD if absent; one
 * probe does both.  NULL if k is absent and cannot be added: the shard
 * is full (sh->count == FC_SHARD_MAX) or memory ran out (otherwise).
 */
static struct fc_slot *
fc_add(struct fc_shard *sh, const struct fc_key *k, uint32_t hash)
{
	struct fc_slot	*s;
	size_t		 i;

	if (sh->count >= FC_SHARD_MAX || ((sh->count + 1) * 4 > sh->cap * 3 &&
	    fc_resize(sh, sh->cap < 8 ? 16 : sh->cap * 2) == -1))
		return fc_find(sh, k, hash);
	i = fc_home(hash, sh->cap);
	while ((s = &sh->slot[i])->state != FC_EMPTY) {
		if (s->hash == hash && memcmp(&s->key, k, sizeof(*k)) == 0)
			return s;
		if (++i == sh->cap)
			i = 0;
	}
	s->key = *k;
	s->hash = hash;
	s->state = FC_HELD;
	sh->count++;
	return s;
}

/* fc_remove - empty slot s and shift the cluster after it back */
static void
fc_remove(struct fc_shard *sh, struct fc_slot *s)
{
	size_t	 i, j, home;

	i = j = (size_t)(s - sh->slot);
	for (;;) {
		if (++j == sh->cap)
			j = 0;
		if (sh->slot[j].state == FC_EMPTY)
			break;
		home = fc_home(sh->slot[j].hash, sh->cap);
		/* it stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		sh->slot[i] = sh->slot[j];
		i = j;
	}
	sh->slot[i].state = FC_EMPTY;
	sh->count--;
}

/* fc_shard_of - the shard for hash h */
static struct fc_shard *
fc_shard_of(struct fcache *fc, uint64_t h)
{
	return &fc->shard[h >> (64 - FC_SHARD_BITS)];
}

/* fc_clear - drop every record; shards are private */
static void
fc_clear(struct fcache *fc)
{
	int	 i;

	for (i = 0; i < FC_NSHARDS; i++) {
		fc_table_free(fc->shard[i].slot, fc->shard[i].cap);
		fc->shard[i].slot = NULL;
		fc->shard[i].cap = fc->shard[i].count = 0;
	}
}

/* fc_seed - a random hash key for a new cache */
static uint64_t
fc_seed(const void *salt)
{
	struct timespec	 ts;
	uint64_t	 seed;

	if (getentropy(&seed, sizeof(seed)) == 0)
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return fc_ns(&ts) ^ (uint64_t)(uintptr_t)salt ^ (uint64_t)getpid();
}

/* fc_new - an empty cache; NULL on ENOMEM */
static struct fcache *
fc_new(const char *path, const char *context)
{
	struct fcache	*fc;
	size_t		 size;
	int		 i;

	size = (sizeof(*fc) + 63) / 64 * 64;
	if ((fc = aligned_alloc(64, size)) == NULL)
		return NULL;
	memset(fc, 0, sizeof(*fc));
	fc->path = strdup(path);
	fc->context = strdup(context);
	if (fc->path == NULL || fc->context == NULL) {
		free(fc->path);
		free(fc->context);
		free(fc);
		errno = ENOMEM;
		return NULL;
	}
	fc->ctxlen = strlen(context);
	fc->ctx_ok = fc->ctxlen <= FCACHE_CONTEXT_MAX;
	fc->seed = fc_seed(fc);
	for (i = 0; i < FC_NSHARDS; i++)
		pthread_mutex_init(&fc->shard[i].lock, NULL);
	return fc;
}

/* fc_read - read exactly n bytes; 0, or -1 (short file or I/O error) */
static int
fc_read(int fd, void *buf, size_t n)
{
	uint8_t	*p = buf;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, p, n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* fc_presize - give every shard room for about n / FC_NSHARDS records */
static int
fc_presize(struct fcache *fc, uint32_t n)
{
	size_t	 per = n / FC_NSHARDS, cap = per + per / 2 + 16;
	int	 i;

	for (i = 0; i < FC_NSHARDS; i++)
		if (fc_resize(&fc->shard[i], cap) == -1)
			return -1;
	return 0;
}

/* fc_load_records - insert n records from fd into private shards */
static int
fc_load_records(struct fcache *fc, int fd, uint32_t n, uint8_t *buf,
    uint64_t *sum, const char **why)
{
	struct fc_key	 k;
	struct fc_shard	*sh;
	uint64_t	 h;
	size_t		 chunk, i;

	while (n > 0) {
		chunk = n < FC_BUFLEN / FC_RECLEN ? n : FC_BUFLEN / FC_RECLEN;
		if (fc_read(fd, buf, chunk * FC_RECLEN) == -1) {
			*why = "short read";
			return 1;
		}
		*sum = fc_sum(*sum, buf, chunk * FC_RECLEN);
		for (i = 0; i < chunk; i++) {
			fc_key_get(&k, buf + i * FC_RECLEN);
			h = fc_hash(fc->seed, &k);
			sh = fc_shard_of(fc, h);
			/* a duplicate record is harmless; keep one */
			if (fc_add(sh, &k, (uint32_t)h) == NULL &&
			    sh->count < FC_SHARD_MAX)
				return -1;
		}
		n -= (uint32_t)chunk;
	}
	return 0;
}

/*
 * fc_load_fd - parse an open cache file into fc.  Returns 0 when it was
 * loaded, 1 when it does not apply (*why says why, NULL for another
 * context), -1 on ENOMEM.  On anything but 0 the table is left empty.
 */
static int
fc_load_fd(struct fcache *fc, int fd, const char **why)
{
	struct stat	 st;
	uint8_t		*buf;
	uint64_t	 sum, want, seed = fc->seed;
	uint32_t	 n, c;
	size_t		 i;
	int		 rc = 1;

	if ((buf = malloc(FC_BUFLEN)) == NULL)
		return -1;
	*why = "not a regular file";
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		goto out;
	*why = "truncated header";
	if (fc_read(fd, buf, FC_HDRLEN) == -1)
		goto out;
	*why = "bad magic";
	if (memcmp(buf, FC_MAGIC, 8) != 0)
		goto out;
	n = fc_get32(buf + 8);
	c = fc_get32(buf + 12);
	fc->seed = fc_get64(buf + 16);
	*why = "count or context length out of range";
	if (n > FCACHE_MAX_ENTRIES || c > FCACHE_CONTEXT_MAX)
		goto out;
	*why = "size does not match count";
	want = FC_HDRLEN + c + fc_pad(c) + (uint64_t)n * FC_RECLEN + 8;
	if ((uint64_t)st.st_size != want)
		goto out;
	sum = fc_sum(FC_SUM_INIT, buf, FC_HDRLEN);
	*why = "truncated context";
	if (fc_read(fd, buf, c + fc_pad(c)) == -1)
		goto out;
	*why = "padding not zero";
	for (i = c; i < c + fc_pad(c); i++)
		if (buf[i] != 0)
			goto out;
	*why = NULL;
	if (c != fc->ctxlen || memcmp(buf, fc->context, c) != 0)
		goto out;
	sum = fc_sum(sum, buf, c + fc_pad(c));
	if (n > 0 && fc_presize(fc, n) == -1) {
		rc = -1;
		goto out;
	}
	if ((rc = fc_load_records(fc, fd, n, buf, &sum, why)) != 0)
		goto out;
	rc = 1;
	*why = "truncated checksum";
	if (fc_read(fd, buf, 8) == -1)
		goto out;
	*why = "bad checksum";
	if (fc_get64(buf) != sum)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		fc_clear(fc);
		fc->seed = seed;	/* the file's may be garbage */
	}
	free(buf);
	return rc;
}

/* fc_load - load fc->path if it applies; -1 only on ENOMEM */
static int
fc_load(struct fcache *fc)
{
	const char	*why = NULL;
	int		 fd, rc;

	/* O_NONBLOCK: a FIFO planted at path must not hang the open */
	if ((fd = open(fc->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			log_debug("%s: no file cache yet", fc->path);
		else
			log_warn("open %s", fc->path);
		return 0;
	}
	rc = fc_load_fd(fc, fd, &why);
	close(fd);
	if (rc == 1 && why != NULL)
		log_warnx("%s: damaged file cache (%s), starting empty",
		    fc->path, why);
	else if (rc == 1)
		log_debug("%s: file cache made for another context, "
		    "starting empty", fc->path);
	if (rc == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* fcache_open - load a cache file or start empty */
struct fcache *
fcache_open(const char *path, const char *context)
{
	struct fcache	*fc;

	if ((fc = fc_new(path, context)) == NULL)
		return NULL;
	if (!fc->ctx_ok) {
		log_warnx("%s: file cache context longer than %d bytes, "
		    "cache not used", path, FCACHE_CONTEXT_MAX);
		return fc;
	}
	if (fc_load(fc) == -1) {
		fcache_close(fc);
		errno = ENOMEM;
		return NULL;
	}
	return fc;
}

/* fcache_lookup - is st known clean and unchanged */
int
fcache_lookup(struct fcache *fc, const struct stat *st)
{
	struct fc_key	 k;
	struct fc_shard	*sh;
	struct fc_slot	*s;
	uint64_t	 h;
	int		 hit = 0;

	fc_key_of(&k, st);
	h = fc_hash(fc->seed, &k);
	sh = fc_shard_of(fc, h);
	pthread_mutex_lock(&sh->lock);
	if ((s = fc_find(sh, &k, (uint32_t)h)) != NULL) {
		s->state = FC_TOUCHED;
		hit = 1;
	}
	pthread_mutex_unlock(&sh->lock);
	return hit;
}

/* fcache_store - remember st as clean */
void
fcache_store(struct fcache *fc, const struct stat *st)
{
	struct fc_key	 k;
	struct fc_shard	*sh;
	struct fc_slot	*s;
	uint64_t	 h;

	fc_key_of(&k, st);
	h = fc_hash(fc->seed, &k);
	sh = fc_shard_of(fc, h);
	pthread_mutex_lock(&sh->lock);
	if ((s = fc_add(sh, &k, (uint32_t)h)) != NULL)
		s->state = FC_TOUCHED;
	pthread_mutex_unlock(&sh->lock);
}

/* fcache_forget - drop the record for st */
void
fcache_forget(struct fcache *fc, const struct stat *st)
{
	struct fc_key	 k;
	struct fc_shard	*sh;
	struct fc_slot	*s;
	uint64_t	 h;

	fc_key_of(&k, st);
	h = fc_hash(fc->seed, &k);
	sh = fc_shard_of(fc, h);
	pthread_mutex_lock(&sh->lock);
	if ((s = fc_find(sh, &k, (uint32_t)h)) != NULL)
		fc_remove(sh, s);
	pthread_mutex_unlock(&sh->lock);
}

/* a buffered writer that checksums what it writes */
struct fc_writer {
	int		 fd;
	size_t		 len;
	uint64_t	 sum;
	uint8_t		 buf[FC_BUFLEN];
};

/* fc_flush - checksum and write the buffer; 0 or -1 with errno */
static int
fc_flush(struct fc_writer *w)
{
	size_t	 off = 0;
	ssize_t	 r;

	w->sum = fc_sum(w->sum, w->buf, w->len);
	while (off < w->len) {
		if ((r = write(w->fd, w->buf + off, w->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)r;
	}
	w->len = 0;
	return 0;
}

/* fc_room - make n bytes (n <= FC_BUFLEN, a multiple of 8) available */
static uint8_t *
fc_room(struct fc_writer *w, size_t n)
{
	uint8_t	*p;

	if (w->len + n > sizeof(w->buf) && fc_flush(w) == -1)
		return NULL;
	p = w->buf + w->len;
	w->len += n;
	return p;
}

/* fc_write_all - header, touched records and checksum; shards locked */
static int
fc_write_all(struct fcache *fc, struct fc_writer *w)
{
	struct fc_shard	*sh;
	uint8_t		*p;
	size_t		 i, j, n = 0, clen = fc->ctxlen + fc_pad(fc->ctxlen);
	int		 k;

	for (k = 0; k < FC_NSHARDS; k++)
		for (i = 0; i < fc->shard[k].cap; i++)
			n += fc->shard[k].slot[i].state == FC_TOUCHED;
	if ((p = fc_room(w, FC_HDRLEN + clen)) == NULL)
		return -1;
	memset(p, 0, FC_HDRLEN + clen);
	memcpy(p, FC_MAGIC, 8);
	fc_put32(p + 8, (uint32_t)n);
	fc_put32(p + 12, (uint32_t)fc->ctxlen);
	fc_put64(p + 16, fc->seed);
	memcpy(p + FC_HDRLEN, fc->context, fc->ctxlen);
	for (k = 0; k < FC_NSHARDS; k++) {
		sh = &fc->shard[k];
		for (i = 0; i < sh->cap; i++) {
			if (sh->slot[i].state != FC_TOUCHED)
				continue;
			if ((p = fc_room(w, FC_RECLEN)) == NULL)
				return -1;
			for (j = 0; j < 5; j++)
				fc_put64(p + j * 8, sh->slot[i].key.v[j]);
		}
	}
	if (fc_flush(w) == -1)
		return -1;
	fc_put64(w->buf, w->sum);
	w->len = 8;
	return fc_flush(w);
}

/* fc_mkdirs - create dir and its missing parents with mode 0700 */
static int
fc_mkdirs(char *dir)
{
	char	*p;

	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* fc_write_tmp - write the cache to a new file tmp; 0 or -1 with errno */
static int
fc_write_tmp(struct fcache *fc, char *tmp)
{
	struct fc_writer	*w;
	int			 fd, k, rc = -1, saved;

	if ((w = malloc(sizeof(*w))) == NULL)
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(w);
		return -1;
	}
	w->fd = fd;
	w->len = 0;
	w->sum = FC_SUM_INIT;
	for (k = 0; k < FC_NSHARDS; k++)
		pthread_mutex_lock(&fc->shard[k].lock);
	rc = fc_write_all(fc, w);
	for (k = FC_NSHARDS - 1; k >= 0; k--)
		pthread_mutex_unlock(&fc->shard[k].lock);
	if (rc == 0 && (fchmod(fd, 0600) == -1 || fsync(fd) == -1))
		rc = -1;
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == -1)
		unlink(tmp);
	free(w);
	errno = saved;
	return rc;
}

/* fcache_save - write touched records atomically */
int
fcache_save(struct fcache *fc)
{
	char	*dir = NULL, *tmp = NULL, *slash, *base;
	size_t	 dlen, tlen;
	int	 rc = -1, saved;

	if (!fc->ctx_ok) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(fc->path, '/');
	base = slash != NULL ? slash + 1 : fc->path;
	dlen = slash == NULL ? 1 : slash == fc->path ? 1 :
	    (size_t)(slash - fc->path);
	tlen = dlen + strlen(base) + sizeof("/..XXXXXX");
	if ((dir = malloc(dlen + 1)) == NULL || (tmp = malloc(tlen)) == NULL)
		goto out;
	memcpy(dir, slash == NULL ? "." : fc->path, dlen);
	dir[dlen] = '\0';
	snprintf(tmp, tlen, "%s/.%s.XXXXXX", dir, base);
	if (fc_mkdirs(dir) == -1 || fc_write_tmp(fc, tmp) == -1)
		goto out;
	if (rename(tmp, fc->path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		goto out;
	}
	/* XXX the rename is done; a failed directory fsync only loses
	 * durability, so it is not reported */
	(void)fd_fsync_dir(dir);
	rc = 0;
out:
	saved = errno;
	free(dir);
	free(tmp);
	errno = saved;
	return rc;
}

/* fcache_close - free everything */
void
fcache_close(struct fcache *fc)
{
	int	 i;

	if (fc == NULL)
		return;
	for (i = 0; i < FC_NSHARDS; i++) {
		pthread_mutex_destroy(&fc->shard[i].lock);
		fc_table_free(fc->shard[i].slot, fc->shard[i].cap);
	}
	free(fc->path);
	free(fc->context);
	free(fc);
}

/* fcache_count - records held */
size_t
fcache_count(const struct fcache *cfc)
{
	struct fcache	*fc = (struct fcache *)cfc;	/* for the locks */
	size_t		 n = 0;
	int		 i;

	for (i = 0; i < FC_NSHARDS; i++) {
		pthread_mutex_lock(&fc->shard[i].lock);
		n += fc->shard[i].count;
		pthread_mutex_unlock(&fc->shard[i].lock);
	}
	return n;
}
