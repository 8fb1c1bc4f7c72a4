/*
 * vigil-scan_found.c - the verdict cache's second half: files that were
 * NOT clean
 *
 * DESIGN: fcache.c remembers clean files, so a rescan skips them.  A
 * file with a finding whose rule only reports it (inform, or nothing
 * that changes the file or runs a command) would be read and scanned
 * again on every run just to print the same lines; here its report lines
 * are kept instead, keyed like fcache (device, inode, size, mtime, ctime)
 * and bound to the same context string (database version and options),
 * and printed again as they were.  A rule that acts (cure, remove, move,
 * quarantine, exec, ...) never uses this: the file is scanned and the
 * rule runs.
 *
 * The entries read at start are sorted once and searched by bisection;
 * with none (a first scan) a lookup costs nothing.
 *
 * File: "VIGILFOUND1 <context>\n", then per entry one line
 * "dev ino size mtime_ns ctime_ns status container textlen\n" and textlen
 * bytes of report text.  Any damage: the cache starts empty.  Written
 * with a temporary file and rename, mode 0600, only the entries seen in
 * this run.  Hand-written: a few dozen lines of a private format; the
 * entries are few (only files with findings).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "vigil-scan.h"

#define FOUND_MAXTEXT	(1 << 20)
#define FOUND_MAXENT	1000000

struct found_ent {
	uint64_t	 key[5];
	int		 status, container, seen;
	char		*text;
	size_t		 len;
};

struct vs_found {
	pthread_mutex_t	 m;
	char		*path, *context;
	struct found_ent *v;
	size_t		 n, cap;
	size_t		 nloaded;	/* v[0..nloaded): from the file, sorted */
};

/* cmp_ent - order of entries by key */
static int
cmp_ent(const void *a, const void *b)
{
	return memcmp(((const struct found_ent *)a)->key,
	    ((const struct found_ent *)b)->key, sizeof(uint64_t) * 5);
}

/* st_key - the five fields that say a file is unchanged */
static void
st_key(const struct stat *st, uint64_t k[5])
{
	k[0] = (uint64_t)st->st_dev;
	k[1] = (uint64_t)st->st_ino;
	k[2] = (uint64_t)st->st_size;
	k[3] = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st->st_mtim.tv_nsec;
	k[4] = (uint64_t)st->st_ctim.tv_sec * 1000000000u +
	    (uint64_t)st->st_ctim.tv_nsec;
}

/* add - one entry (takes text) */
static int
add(struct vs_found *f, const uint64_t k[5], int status, int container,
    char *text, size_t len, int seen)
{
	struct found_ent *nv;

	if (f->n == f->cap) {
		if (f->cap >= FOUND_MAXENT)
			return -1;
		f->cap = f->cap ? f->cap * 2 : 64;
		if ((nv = realloc(f->v, f->cap * sizeof(*nv))) == NULL)
			return -1;
		f->v = nv;
	}
	memcpy(f->v[f->n].key, k, sizeof(f->v[f->n].key));
	f->v[f->n].status = status;
	f->v[f->n].container = container;
	f->v[f->n].seen = seen;
	f->v[f->n].text = text;
	f->v[f->n].len = len;
	f->n++;
	return 0;
}

/* load - read the file when its context matches; damage: start empty */
static void
load(struct vs_found *f)
{
	FILE	*fp;
	char	*line = NULL, *text;
	size_t	 cap = 0, want = strlen(f->context);
	ssize_t	 n;
	uint64_t k[5];
	int	 st, cont;
	size_t	 len;

	if ((fp = fopen(f->path, "re")) == NULL)
		return;
	n = getline(&line, &cap, fp);
	if (n < 12 || strncmp(line, "VIGILFOUND1 ", 12) != 0 ||
	    (size_t)n != 12 + want + 1 || strncmp(line + 12, f->context,
	    want) != 0)
		goto out;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (sscanf(line, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %"
		    SCNu64 " %" SCNu64 " %d %d %zu", &k[0], &k[1], &k[2],
		    &k[3], &k[4], &st, &cont, &len) != 8 ||
		    len > FOUND_MAXTEXT || st < 0 || st >= VS_NSTATUS)
			break;
		if ((text = malloc(len + 1)) == NULL)
			break;
		if (fread(text, 1, len, fp) != len) {
			free(text);
			break;
		}
		text[len] = '\0';
		if (add(f, k, st, cont != 0, text, len, 0) == -1) {
			free(text);
			break;
		}
	}
out:
	free(line);
	fclose(fp);
}

/* vs_found_open - the cache file next to the clean-file cache */
struct vs_found *
vs_found_open(const char *path, const char *context)
{
	struct vs_found *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL ||
	    (f->context = strdup(context)) == NULL)
		log_fatalx("out of memory");
	pthread_mutex_init(&f->m, NULL);
	load(f);
	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_ent);
	f->nloaded = f->n;
	return f;
}

/*
 * vs_found_lookup - the report text of an unchanged file with findings;
 * NULL when unknown.  The text lives until vs_found_close.
 */
const char *
vs_found_lookup(struct vs_found *f, const struct stat *st, int *status,
    int *container)
{
	struct found_ent want, *e;
	const char *t = NULL;

	if (f == NULL || f->nloaded == 0)
		return NULL;
	st_key(st, want.key);
	pthread_mutex_lock(&f->m);	/* v may grow; seen is written */
	if ((e = bsearch(&want, f->v, f->nloaded, sizeof(*e),
	    cmp_ent)) != NULL) {
		e->seen = 1;
		*status = e->status;
		*container = e->container;
		t = e->text;
	}
	pthread_mutex_unlock(&f->m);
	return t;
}

/* vs_found_store - remember a file's report lines */
void
vs_found_store(struct vs_found *f, const struct stat *st, int status,
    int container, const char *text, size_t len)
{
	uint64_t k[5];
	char	*t;

	if (f == NULL || len > FOUND_MAXTEXT || (t = malloc(len + 1)) == NULL)
		return;
	memcpy(t, text, len);
	t[len] = '\0';
	st_key(st, k);
	pthread_mutex_lock(&f->m);
	if (add(f, k, status, container, t, len, 1) == -1)
		free(t);
	pthread_mutex_unlock(&f->m);
}

/* vs_found_save - the entries seen in this run, atomically */
int
vs_found_save(struct vs_found *f)
{
	char	*tmp;
	FILE	*fp;
	size_t	 i;
	int	 fd, rc = 0;

	if (f == NULL)
		return 0;
	if (asprintf(&tmp, "%s.XXXXXX", f->path) == -1)
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	fprintf(fp, "VIGILFOUND1 %s\n", f->context);
	for (i = 0; i < f->n; i++) {
		if (!f->v[i].seen)
			continue;
		fprintf(fp, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %d %d %zu\n", f->v[i].key[0],
		    f->v[i].key[1], f->v[i].key[2], f->v[i].key[3],
		    f->v[i].key[4], f->v[i].status, f->v[i].container,
		    f->v[i].len);
		fwrite(f->v[i].text, 1, f->v[i].len, fp);
	}
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1)
		rc = -1;
	if (fclose(fp) == EOF)
		rc = -1;
	if (rc == 0 && rename(tmp, f->path) == -1)
		rc = -1;
	if (rc == -1)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* vs_found_close - free it all */
void
vs_found_close(struct vs_found *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++)
		free(f->v[i].text);
	free(f->v);
	free(f->path);
	free(f->context);
	pthread_mutex_destroy(&f->m);
	free(f);
}
