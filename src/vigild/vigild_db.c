/*
 * vigild_db.c - the database vigild serves, and its atomic replacement
 *
 * DESIGN
 * The loaded database is an immutable engine behind a reference-counted
 * struct dbref.  "current" holds one reference; every scan in flight and
 * every scanning thread's scanner hold one more.  A reload loads the new
 * directory beside the old database (through the compiled cache, so a
 * reload of an unchanged or slightly changed database does not
 * recompile), then swaps "current" under a mutex: a scan that started
 * before the swap finishes on the old engine, every scan after it uses
 * the new one, and the old engine is freed by whoever drops its last
 * reference.  A load that fails changes nothing and says why.
 * Reloads are serialised; RELOAD and SIGHUP start one in a thread and
 * return at once (clamd answers RELOADING), vigilctl reload-db waits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vigild.h"

static pthread_mutex_t	 cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct dbref	*cur;
static uint64_t		 next_gen = 1;

static pthread_mutex_t	 reload_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 paths_mu = PTHREAD_MUTEX_INITIALIZER;
static char		*db_dir, *db_cache;
static atomic_int	 async_running;

/* load - a new dbref from dbdir; NULL with err */
static struct dbref *
load(const char *dbdir, const char *cache_dir, char *err, size_t errlen)
{
	struct vigil_load_opts	 o;
	struct vigil_load_report rep;
	struct vigil_engine	*e = NULL;
	struct dbref		*r;
	enum vigil_err		 rc;

	memset(&o, 0, sizeof(o));
	o.dbdir = dbdir;
	o.cache_dir = cache_dir;
	rc = vigil_engine_load(&o, &e, &rep);
	if (rc != VIGIL_OK) {
		snprintf(err, errlen, "%s: %s", dbdir,
		    rep.error[0] ? rep.error : vigil_strerror(rc));
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		vigil_engine_free(e);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->engine = e;
	r->sigs = vigil_engine_sigcount(e);
	r->load_seconds = rep.seconds;
	r->pkgver = rep.package_version;
	r->loaded_at = time(NULL);
	snprintf(r->version, sizeof(r->version), "%s",
	    vigil_engine_version(e));
	atomic_init(&r->refs, 1);
	log_info("database %s: %lu signatures, version %.16s, %s in %.3f s%s%s",
	    dbdir, r->sigs, r->version,
	    rep.from_cache ? "from the compiled cache" : "compiled",
	    rep.seconds, rep.skipped_why[0] ? "; skipped " : "",
	    rep.skipped_why);
	return r;
}

/* db_set_paths - where the next reload reads from */
void
db_set_paths(const char *dbdir, const char *cache_dir)
{
	pthread_mutex_lock(&paths_mu);
	free(db_dir);
	free(db_cache);
	db_dir = strdup(dbdir);
	db_cache = cache_dir ? strdup(cache_dir) : NULL;
	pthread_mutex_unlock(&paths_mu);
}

/* db_init - the first load; failure is fatal to the caller */
int
db_init(const char *dbdir, const char *cache_dir, char *err, size_t errlen)
{
	struct dbref	*r;

	db_set_paths(dbdir, cache_dir);
	if ((r = load(dbdir, cache_dir, err, errlen)) == NULL)
		return -1;
	r->gen = next_gen++;
	cur = r;
	return 0;
}

/* db_acquire - a reference to the current database */
struct dbref *
db_acquire(void)
{
	struct dbref	*r;

	pthread_mutex_lock(&cur_mu);
	r = cur;
	atomic_fetch_add(&r->refs, 1);
	pthread_mutex_unlock(&cur_mu);
	return r;
}

/* db_release - drop a reference; the last one frees the engine */
void
db_release(struct dbref *r)
{
	if (r == NULL)
		return;
	if (atomic_fetch_sub(&r->refs, 1) == 1) {
		log_debug("database generation %llu freed",
		    (unsigned long long)r->gen);
		vigil_engine_free(r->engine);
		free(r);
	}
}

/* db_generation - the current database's generation */
uint64_t
db_generation(void)
{
	uint64_t	 g;

	pthread_mutex_lock(&cur_mu);
	g = cur->gen;
	pthread_mutex_unlock(&cur_mu);
	return g;
}

/* db_reload - load beside the current database, then switch */
int
db_reload(const char *dbdir, const char *cache_dir, char *err, size_t errlen)
{
	struct dbref	*r, *old;
	char		*dir = NULL, *cache = NULL;
	int		 rc = -1;

	pthread_mutex_lock(&reload_mu);
	if (dbdir == NULL) {
		pthread_mutex_lock(&paths_mu);
		dir = strdup(db_dir);
		cache = db_cache ? strdup(db_cache) : NULL;
		pthread_mutex_unlock(&paths_mu);
		if (dir == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		dbdir = dir;
		cache_dir = cache;
	}
	if ((r = load(dbdir, cache_dir, err, errlen)) == NULL) {
		atomic_fetch_add(&vstats.reload_failures, 1);
		log_warnx("reload failed, the loaded database keeps serving: "
		    "%s", err);
		goto out;
	}
	pthread_mutex_lock(&cur_mu);
	r->gen = next_gen++;
	old = cur;
	cur = r;
	pthread_mutex_unlock(&cur_mu);
	db_release(old);
	atomic_fetch_add(&vstats.reloads, 1);
	pool_db_changed();
	rc = 0;
out:
	free(dir);
	free(cache);
	pthread_mutex_unlock(&reload_mu);
	return rc;
}

/* reload_thread - db_reload for RELOAD and SIGHUP */
static void *
reload_thread(void *arg)
{
	char	 err[1024];

	(void)arg;
	(void)db_reload(NULL, NULL, err, sizeof(err));
	atomic_store(&async_running, 0);
	return NULL;
}

/* db_reload_async - start a reload unless one is running */
void
db_reload_async(void)
{
	pthread_attr_t	 a;
	pthread_t	 t;
	int		 expect = 0;

	if (!atomic_compare_exchange_strong(&async_running, &expect, 1))
		return;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, reload_thread, NULL) != 0) {
		log_warnx("reload: cannot start a thread");
		atomic_store(&async_running, 0);
	}
	pthread_attr_destroy(&a);
}

/* db_fini - drop the current database (at exit, after the workers) */
void
db_fini(void)
{
	pthread_mutex_lock(&reload_mu);
	pthread_mutex_lock(&cur_mu);
	db_release(cur);
	cur = NULL;
	pthread_mutex_unlock(&cur_mu);
	pthread_mutex_unlock(&reload_mu);
	free(db_dir);
	free(db_cache);
	db_dir = db_cache = NULL;
}
