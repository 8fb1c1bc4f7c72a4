/*
 * vigil-scan_walk.c - walk the file system and feed the scanning threads
 *
 * DESIGN: the main thread walks the paths given (recursively by default)
 * and pushes the regular files it finds into a bounded queue; N worker
 * threads, each with its own vigil_scanner over the one shared engine,
 * scan them.  With one thread the walker scans in place.  During a walk,
 * symbolic links are not followed (no loops, no escaping the tree); a
 * path named on the command line or in a list file is followed.
 * Special files (devices, FIFOs, sockets) are skipped.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vigil-scan.h"

#define WQ_CAP		1024

struct wq {
	pthread_mutex_t	 m;
	pthread_cond_t	 nonempty, nonfull;
	char		*item[WQ_CAP];
	size_t		 head, n;
	int		 done;
};

struct walker {
	struct vs		*vs;
	struct wq		 q;
	struct vs_scanner	*single;	/* threads == 1 */
	dev_t			 root_dev;	/* of the path named */
};

/*
 * remote_or_pseudo - a file system -l does not descend into: network
 * file systems, FUSE, and the kernel's pseudo file systems
 */
static int
remote_or_pseudo(const char *path)
{
	static const unsigned long magic[] = {
		0x6969,		/* nfs */	0x517b,		/* smb */
		0xff534d42,	/* cifs */	0xfe534d42,	/* smb2 */
		0x65735546,	/* fuse */	0x9fa0,		/* proc */
		0x62656572,	/* sysfs */	0x1cd1,		/* devpts */
		0x27e0eb,	/* cgroup */	0x63677270,	/* cgroup2 */
		0x64626720,	/* debugfs */	0x73636673,	/* securityfs */
		0x74726163,	/* tracefs */	0xcafe4a11,	/* bpf */
		0x6165676c,	/* pstore */	0x62656570,	/* configfs */
		0x19800202,	/* mqueue */	0x958458f6,	/* hugetlbfs */
		0x187,		/* autofs */	0x42494e4d,	/* binfmt_misc */
		0x00c36400,	/* ceph */	0x01021997,	/* 9p */
		0x5346414f,	/* afs */	0x47504653,	/* gpfs */
	};
	struct statfs	 sf;
	size_t		 i;

	if (statfs(path, &sf) == -1)
		return 0;
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((unsigned long)sf.f_type == magic[i])
			return 1;
	return 0;
}

/* wq_push - enqueue a path (takes it); blocks while full */
static void
wq_push(struct wq *q, char *p)
{
	pthread_mutex_lock(&q->m);
	while (q->n == WQ_CAP)
		pthread_cond_wait(&q->nonfull, &q->m);
	q->item[(q->head + q->n) % WQ_CAP] = p;
	q->n++;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->m);
}

/* wq_pop - dequeue a path, or NULL when the walk is over */
static char *
wq_pop(struct wq *q)
{
	char	*p = NULL;

	pthread_mutex_lock(&q->m);
	while (q->n == 0 && !q->done)
		pthread_cond_wait(&q->nonempty, &q->m);
	if (q->n > 0) {
		p = q->item[q->head];
		q->head = (q->head + 1) % WQ_CAP;
		q->n--;
		pthread_cond_signal(&q->nonfull);
	}
	pthread_mutex_unlock(&q->m);
	return p;
}

/* worker - scanning thread */
static void *
worker(void *arg)
{
	struct walker	*w = arg;
	struct vs_scanner *sc;
	char		*p;

	sc = vs_scanner_new(w->vs);
	while ((p = wq_pop(&w->q)) != NULL) {
		vs_object(w->vs, sc, p);
		free(p);
	}
	vs_scanner_free(sc);
	return NULL;
}

/* submit - hand a regular file to the scanners */
static void
submit(struct walker *w, const char *path)
{
	char	*p;

	if (w->single != NULL) {
		vs_object(w->vs, w->single, path);
		return;
	}
	if ((p = strdup(path)) == NULL)
		log_fatalx("out of memory");
	wq_push(&w->q, p);
}

/* excluded_dir - is the directory under an ExcludeDir entry? */
static int
excluded_dir(const struct vs *vs, const char *path)
{
	size_t	 i, n;

	for (i = 0; i < vs->nexclude_dirs; i++) {
		n = strlen(vs->exclude_dirs[i]);
		while (n > 1 && vs->exclude_dirs[i][n - 1] == '/')
			n--;
		if (strncmp(path, vs->exclude_dirs[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	return 0;
}

/* excluded_file - does the file match an ExcludeMask entry? */
static int
excluded_file(const struct vs *vs, const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 i;

	base = base ? base + 1 : path;
	for (i = 0; i < vs->nexclude_masks; i++) {
		const char *m = vs->exclude_masks[i];

		if (fnmatch(m, strchr(m, '/') ? path : base, 0) == 0)
			return 1;
	}
	return 0;
}

static void	walk_dir(struct walker *, const char *);

/* walk_entry - one path found by the walk (follow: named by the user) */
static void
walk_entry(struct walker *w, const char *path, int follow)
{
	struct stat	 st;
	int		 r;

	r = follow ? stat(path, &st) : lstat(path, &st);
	if (r == -1) {
		vs_out_error(w->vs, path, strerror(errno));
		return;
	}
	if (follow)
		w->root_dev = st.st_dev;
	if (S_ISDIR(st.st_mode)) {
		if (excluded_dir(w->vs, path))
			return;
		if (w->vs->one_fs && !follow && st.st_dev != w->root_dev)
			return;
		if (w->vs->local_only && remote_or_pseudo(path))
			return;
		if (follow || w->vs->recursive)
			walk_dir(w, path);
	} else if (S_ISREG(st.st_mode) && !excluded_file(w->vs, path))
		submit(w, path);
}

/* walk_dir - the entries of a directory */
static void
walk_dir(struct walker *w, const char *path)
{
	DIR		*d;
	struct dirent	*de;
	char		*child;
	size_t		 pl = strlen(path);

	if ((d = opendir(path)) == NULL) {
		vs_out_error(w->vs, path, strerror(errno));
		return;
	}
	vs_out_dir(w->vs);
	while (pl > 1 && path[pl - 1] == '/')
		pl--;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&child, "%.*s/%s", (int)pl, path, de->d_name)
		    == -1)
			log_fatalx("out of memory");
		if (de->d_type == DT_DIR && !w->vs->recursive) {
			free(child);
			continue;
		}
		walk_entry(w, child, 0);
		free(child);
	}
	closedir(d);
}

/* walk_list - paths from a list file, one a line ("-": stdin) */
static int
walk_list(struct walker *w, const char *listfile)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	f = strcmp(listfile, "-") == 0 ? stdin : fopen(listfile, "r");
	if (f == NULL) {
		log_warn("%s", listfile);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			walk_entry(w, line, 1);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return 0;
}

/* vs_walk - scan paths (and a list file) with vs->threads threads */
int
vs_walk(struct vs *vs, char *const *paths, int npaths, const char *listfile)
{
	struct walker	 w;
	pthread_t	*tid = NULL;
	int		 i, rc = 0, nt = vs->threads > 0 ? vs->threads : 1;

	memset(&w, 0, sizeof(w));
	w.vs = vs;
	pthread_mutex_init(&w.q.m, NULL);
	pthread_cond_init(&w.q.nonempty, NULL);
	pthread_cond_init(&w.q.nonfull, NULL);
	if (nt == 1) {
		w.single = vs_scanner_new(vs);
	} else {
		if ((tid = calloc((size_t)nt, sizeof(*tid))) == NULL)
			log_fatalx("out of memory");
		for (i = 0; i < nt; i++)
			if (pthread_create(&tid[i], NULL, worker, &w) != 0)
				log_fatalx("cannot start scanning threads");
	}
	if (listfile != NULL && walk_list(&w, listfile) == -1)
		rc = -1;
	for (i = 0; i < npaths; i++)
		walk_entry(&w, paths[i], 1);
	if (listfile == NULL && npaths == 0)
		walk_entry(&w, ".", 1);
	if (tid != NULL) {
		pthread_mutex_lock(&w.q.m);
		w.q.done = 1;
		pthread_cond_broadcast(&w.q.nonempty);
		pthread_mutex_unlock(&w.q.m);
		for (i = 0; i < nt; i++)
			pthread_join(tid[i], NULL);
		free(tid);
	}
	vs_scanner_free(w.single);
	pthread_mutex_destroy(&w.q.m);
	pthread_cond_destroy(&w.q.nonempty);
	pthread_cond_destroy(&w.q.nonfull);
	return rc;
}
