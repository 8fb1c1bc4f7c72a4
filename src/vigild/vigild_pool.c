/*
 * vigild_pool.c - vigild's scanning threads and their bounded queue
 *
 * DESIGN
 * MaxThreads threads each own one scanner (the engine's per-thread
 * scratch) and take jobs from one FIFO holding at most MaxQueue jobs; a
 * request arriving at a full queue is refused at once (the caller answers
 * "busy"), except the files of a directory scan, whose connection waits
 * for room instead.  So the memory held by waiting work is bounded by
 * MaxQueue jobs, and the work in progress by MaxThreads objects.
 *
 * A worker reads its object into its own buffer (never mmap: a client
 * could truncate the file under the scan), looks its verdict up in the
 * level-one cache (BLAKE2b of the content and of the scan options, with
 * the database generation), scans, formats the reply in the protocol the
 * request came in, sends it on the request's connection, logs one line
 * and counts.  Its scanner is tied to one database generation; when a
 * reload switches the database the workers drop their old scanners (idle
 * ones at once), which lets the old engine go.
 *
 * Cure (native requests only): the object is copied into a sealed memfd,
 * so the cure reads what was scanned, and the cured copy is written to
 * another memfd that goes back to the client with the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "strbuf.h"
#include "vcache.h"
#include "vproto.h"
#include "vigild.h"

#define KEEP_BUF	((size_t)8 << 20)	/* larger buffers are freed */
#define READ_CEILING	((uint64_t)1 << 30)	/* read at most, unlimited */

struct worker {
	pthread_t		 t;
	struct vigil_scanner	*sc;
	struct dbref		*ref;
	uint8_t			*buf;
	size_t			 cap;
	struct strbuf		 out;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work, room;
	struct job	*head, *tail;
	unsigned	 nq, maxq, busy, n;
	int		 stop;
	uint64_t	 dbgen;		/* generation workers should run */
	struct worker	*w;
	struct vcache	*cache;
	int		 cache_on;	/* CacheEntries > 0: worth a digest */
} P = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.room = PTHREAD_COND_INITIALIZER,
};

/* pool_db_changed - a reload switched the database: wake idle workers */
void
pool_db_changed(void)
{
	uint64_t	 g = db_generation();

	pthread_mutex_lock(&P.mu);
	P.dbgen = g;
	pthread_cond_broadcast(&P.work);
	pthread_mutex_unlock(&P.mu);
}

/* drop_scanner - let go of the worker's scanner and database */
static void
drop_scanner(struct worker *w)
{
	vigil_scanner_free(w->sc);
	w->sc = NULL;
	db_release(w->ref);
	w->ref = NULL;
}

/* read_object - the object of j into w->buf; 0, or -1 with reason */
static int
read_object(struct worker *w, struct job *j, const uint8_t **data,
    size_t *len, const char **reason)
{
	struct stat	 st;
	uint64_t	 cap;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd = j->fd, opened = 0, rc = -1;

	if (j->input == JOB_BUF) {
		*data = j->buf;
		*len = j->len;
		return 0;
	}
	if (j->input == JOB_PATH) {
		if ((fd = open(j->path, O_RDONLY | O_NOCTTY | O_NONBLOCK |
		    O_CLOEXEC)) == -1) {
			*reason = errno == EACCES ? "Access denied." :
			    "Can't open file or directory";
			return -1;
		}
		opened = 1;
	}
	if (fstat(fd, &st) == -1) {
		*reason = "fstat failed";
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		*reason = "Is a directory";
		goto out;
	}
	if (!S_ISREG(st.st_mode) && j->input == JOB_PATH) {
		*reason = "Not supported file type";
		goto out;
	}
	/* one byte past MaxFileSize lets the engine name the limit */
	cap = j->lim.max_file_size ? j->lim.max_file_size + 1 : READ_CEILING;
	if (cap > READ_CEILING)
		cap = READ_CEILING;
	for (;;) {
		if (got == w->cap) {
			size_t	 ncap = w->cap ? w->cap * 2 : (size_t)1 << 16;
			uint8_t	*p;

			if (S_ISREG(st.st_mode) && (uint64_t)st.st_size >= got &&
			    (uint64_t)st.st_size + 1 > ncap)
				ncap = (size_t)st.st_size + 1;
			if (ncap > cap)
				ncap = (size_t)cap;
			if (ncap <= got)
				break;
			if ((p = realloc(w->buf, ncap)) == NULL) {
				*reason = "out of memory";
				goto out;
			}
			w->buf = p;
			w->cap = ncap;
		}
		r = pread(fd, w->buf + got, w->cap - got, (off_t)got);
		if (r == -1 && errno == ESPIPE)
			r = read(fd, w->buf + got, w->cap - got);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct timespec ts = { 0, 1000000 };

				nanosleep(&ts, NULL);
				continue;
			}
			*reason = "read error";
			goto out;
		}
		got += (size_t)r;
	}
	*data = w->buf;
	*len = got;
	rc = 0;
out:
	if (opened)
		close(fd);
	return rc;
}

/* cache_key - BLAKE2b-256 over the content and the scan options */
static void
cache_key(const uint8_t *data, size_t len, const struct vigil_limits *l,
    uint8_t key[32])
{
	crypto_generichash_state st;
	uint64_t	 o[8];

	o[0] = l->max_file_size;
	o[1] = l->max_scan_size;
	o[2] = l->max_recursion;
	o[3] = l->max_files;
	o[4] = l->max_ratio;
	o[5] = (uint64_t)l->set;
	o[6] = l->flags;
	o[7] = len;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, data, len);
	crypto_generichash_update(&st, (const uint8_t *)o, sizeof(o));
	crypto_generichash_final(&st, key, 32);
}

/* clamd_reply - the clamd-shaped reply lines for res */
static void
clamd_reply(struct strbuf *out, const struct job *j,
    const struct vigil_result *res, const char *reason)
{
	char	 pfx[24] = "";
	unsigned i;
	int	 any = 0;

	if (j->session_id)
		snprintf(pfx, sizeof(pfx), "%u: ", j->session_id);
	if (reason != NULL) {
		strbuf_printf(out, "%s%s: %s ERROR%c", pfx, j->name, reason,
		    j->delim);
		return;
	}
	if (res->threat != NULL) {
		for (i = 0; i < res->ndet; i++) {
			if (res->det[i].threat == NULL)
				continue;
			strbuf_printf(out, "%s%s: %s FOUND%c", pfx, j->name,
			    res->det[i].threat, j->delim);
			any = 1;
			if (!j->allmatch_reply)
				break;
		}
		if (!any)
			strbuf_printf(out, "%s%s: %s FOUND%c", pfx, j->name,
			    res->threat, j->delim);
		return;
	}
	if (res->status == VIGIL_STATUS_ERROR) {
		strbuf_printf(out, "%s%s: %s ERROR%c", pfx, j->name,
		    res->reason ? res->reason : "scan failed", j->delim);
		return;
	}
	if (!j->quiet_ok)
		strbuf_printf(out, "%s%s: OK%c", pfx, j->name, j->delim);
}

/* cure_object - scan and cure data; *cured_fd >= 0 when a copy is made */
static enum vigil_err
cure_object(struct worker *w, const struct job *j, const uint8_t *data,
    size_t len, struct vigil_result *res, int *cured_fd)
{
	enum vigil_err	 rc = VIGIL_EIO;
	int		 in, out = -1;

	*cured_fd = -1;
	if ((in = memfd_create("vigild-in", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return VIGIL_EIO;
	if (fd_write_all(in, data, len) == -1 ||
	    fcntl(in, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1 ||
	    (out = memfd_create("vigild-cured", MFD_CLOEXEC)) == -1)
		goto out;
	rc = vigil_cure_fd(w->sc, in, out, &j->lim, res);
	if (rc == VIGIL_OK && res->status == VIGIL_CURED) {
		char	 self[64];

		/* the client gets a read-only descriptor of the copy */
		snprintf(self, sizeof(self), "/proc/self/fd/%d", out);
		if ((*cured_fd = open(self, O_RDONLY | O_CLOEXEC)) == -1)
			rc = VIGIL_EIO;
	}
out:
	close(in);
	if (out != -1)
		close(out);
	return rc;
}

/* run - scan one job, reply, log, count */
static void
run(struct worker *w, struct job *j)
{
	struct vigil_result	 res, hit;
	struct vigil_detection	 hitdet;
	struct vcache_entry	 ce;
	struct vproto_meta	 meta;
	struct dbref		*ref;
	const uint8_t		*data = NULL;
	const char		*reason = NULL;
	uint8_t			 key[32];
	size_t			 len = 0;
	uint64_t		 t0 = now_usec(), usec;
	int			 cached = 0, usecache, cured_fd = -1;
	enum vigil_err		 rc;

	ref = db_acquire();
	if (ref != w->ref || w->sc == NULL) {
		drop_scanner(w);
		w->ref = ref;
		w->sc = vigil_scanner_new(ref->engine);
	} else
		db_release(ref);
	memset(&res, 0, sizeof(res));
	strbuf_reset(&w->out);
	if (w->sc == NULL) {
		reason = "out of memory";
		goto reply;
	}
	if (read_object(w, j, &data, &len, &reason) == -1)
		goto reply;
	usecache = P.cache_on && !j->cure &&
	    !(j->lim.flags & VIGIL_SCAN_ALLMATCH);
	if (usecache) {
		cache_key(data, len, &j->lim, key);
		if (vcache_get(P.cache, key, w->ref->gen, &ce)) {
			memset(&hit, 0, sizeof(hit));
			hit.status = (enum vigil_status)ce.status;
			hit.bytes = len;
			hit.objects = 1;
			if (ce.threat[0] != '\0') {
				hitdet.status = hit.status;
				hitdet.threat = ce.threat;
				hitdet.object = "";
				hitdet.reason = NULL;
				hit.threat = ce.threat;
				hit.ndet = 1;
				hit.det = &hitdet;
			}
			res = hit;
			cached = 1;
			atomic_fetch_add(&vstats.cache_hits, 1);
			goto reply;
		}
	}
	if (j->cure)
		rc = cure_object(w, j, data, len, &res, &cured_fd);
	else
		rc = vigil_scan_buffer(w->sc, data, len, &j->lim, &res);
	if (rc != VIGIL_OK) {
		reason = vigil_strerror(rc);
		goto reply;
	}
	/* remember plain verdicts: clean, or one threat in the object */
	if (usecache && res.status != VIGIL_STATUS_ERROR &&
	    (res.ndet == 0 || (res.ndet == 1 && res.threat != NULL &&
	    res.det[0].object[0] == '\0'))) {
		memset(&ce, 0, sizeof(ce));
		ce.status = (int)res.status;
		if (res.threat != NULL)
			snprintf(ce.threat, sizeof(ce.threat), "%s",
			    res.threat);
		vcache_put(P.cache, key, w->ref->gen, &ce);
	}
reply:
	usec = now_usec() - t0;
	if (reason != NULL) {
		memset(&res, 0, sizeof(res));
		res.status = VIGIL_STATUS_ERROR;
		res.reason = reason;
	}
	if (j->native) {
		memset(&meta, 0, sizeof(meta));
		meta.usec = usec;
		meta.cached = cached;
		meta.cured = cured_fd != -1;
		meta.db = w->ref ? w->ref->version : "";
		vproto_result_format(&w->out, &res, &meta, j->delim);
	} else
		clamd_reply(&w->out, j, &res, reason);
	j->found = res.threat != NULL;
	j->failed = res.status == VIGIL_STATUS_ERROR;
	if (w->out.len > 0)
		conn_send(j->conn, w->out.data, w->out.len, cured_fd);
	if (cured_fd != -1)
		close(cured_fd);
	reqlog_line(j->client, j->name, &res, usec, cached);
	atomic_fetch_add(&vstats.requests, 1);
	atomic_fetch_add(&vstats.scan_usec, usec);
	atomic_fetch_add(&vstats.bytes, res.bytes ? res.bytes : len);
	atomic_fetch_add(&vstats.objects, res.objects ? res.objects : 1);
	if (res.threat != NULL)
		atomic_fetch_add(&vstats.infected, 1);
	else if (res.status == VIGIL_STATUS_ERROR)
		atomic_fetch_add(&vstats.errors, 1);
	else
		atomic_fetch_add(&vstats.clean, 1);
	/* the reply is out: the result's strings may go */
	if (w->cap > KEEP_BUF) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

/* job_release - free what a job owns (its input), not the job */
void
job_release(struct job *j)
{
	if (j->input == JOB_FD && j->fd != -1)
		close(j->fd);
	free(j->buf);
	free(j->path);
	j->fd = -1;
	j->buf = NULL;
	j->path = NULL;
}

/* worker_main - take jobs until told to stop */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct job	*j;

	strbuf_init(&w->out, (size_t)64 << 20);
	pthread_mutex_lock(&P.mu);
	for (;;) {
		while (P.head == NULL && !P.stop) {
			if (w->ref != NULL && w->ref->gen != P.dbgen) {
				pthread_mutex_unlock(&P.mu);
				drop_scanner(w);
				pthread_mutex_lock(&P.mu);
				continue;
			}
			pthread_cond_wait(&P.work, &P.mu);
		}
		if (P.head == NULL)
			break;
		j = P.head;
		if ((P.head = j->next) == NULL)
			P.tail = NULL;
		P.nq--;
		P.busy++;
		pthread_cond_signal(&P.room);
		pthread_mutex_unlock(&P.mu);

		run(w, j);
		job_release(j);
		j->done(j);

		pthread_mutex_lock(&P.mu);
		P.busy--;
	}
	pthread_mutex_unlock(&P.mu);
	drop_scanner(w);
	free(w->buf);
	strbuf_fini(&w->out);
	return NULL;
}

/* pool_init - start nthreads workers */
int
pool_init(unsigned nthreads, unsigned maxqueue, size_t cache_entries)
{
	pthread_attr_t	 a;
	unsigned	 i;

	if (sodium_init() < 0)
		return -1;
	if ((P.cache = vcache_new(cache_entries)) == NULL)
		return -1;
	P.cache_on = cache_entries > 0;
	if ((P.w = calloc(nthreads, sizeof(*P.w))) == NULL)
		return -1;
	P.maxq = maxqueue;
	P.dbgen = db_generation();
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, (size_t)8 << 20);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&P.w[i].t, &a, worker_main, &P.w[i]) != 0)
			break;
		P.n++;
	}
	pthread_attr_destroy(&a);
	return P.n == nthreads ? 0 : -1;
}

/* pool_submit - queue j; -1 when the queue is full and !wait */
int
pool_submit(struct job *j, int wait)
{
	j->next = NULL;
	pthread_mutex_lock(&P.mu);
	while (P.nq >= P.maxq && !P.stop) {
		if (!wait) {
			pthread_mutex_unlock(&P.mu);
			atomic_fetch_add(&vstats.busy, 1);
			return -1;
		}
		pthread_cond_wait(&P.room, &P.mu);
	}
	if (P.stop) {
		pthread_mutex_unlock(&P.mu);
		return -1;
	}
	if (P.tail)
		P.tail->next = j;
	else
		P.head = j;
	P.tail = j;
	P.nq++;
	pthread_cond_signal(&P.work);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

/* pool_counts - threads, busy threads, queued jobs */
void
pool_counts(unsigned *threads, unsigned *busy, unsigned *queued)
{
	pthread_mutex_lock(&P.mu);
	*threads = P.n;
	*busy = P.busy;
	*queued = P.nq;
	pthread_mutex_unlock(&P.mu);
}

/* pool_cache_stats - the level-one cache's counters */
void
pool_cache_stats(uint64_t *hits, uint64_t *misses, size_t *entries)
{
	vcache_stats(P.cache, hits, misses, entries);
}

/* pool_fini - finish queued jobs, stop the workers */
void
pool_fini(void)
{
	unsigned	 i;

	pthread_mutex_lock(&P.mu);
	P.stop = 1;
	pthread_cond_broadcast(&P.work);
	pthread_cond_broadcast(&P.room);
	pthread_mutex_unlock(&P.mu);
	for (i = 0; i < P.n; i++)
		pthread_join(P.w[i].t, NULL);
	free(P.w);
	P.w = NULL;
	P.n = 0;
	vcache_free(P.cache);
	P.cache = NULL;
}
