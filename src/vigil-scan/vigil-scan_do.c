/*
 * vigil-scan_do.c - one file: the cache, the scan, the report, the rule
 *
 * DESIGN: a worker thread calls vs_object() for each regular file.
 *   1. The verdict cache (iChecker level two, fcache.c): a file whose
 *      device, inode, size, mtime and ctime are those of a file found
 *      clean with this database and these options is not read again.
 *   2. The scan, on the open descriptor (fstat first, so a file changed
 *      during its scan is not remembered as clean).
 *   3. The report line(s), then the rule for the file's status: the
 *      [scanner.container] rule when the threats are inside the file (an
 *      archive member, a mail part), else [scanner.object]; -i0..3 adds
 *      cure and the fallback removal the guide's command lines ask for.
 *   4. Actions in the rule's order.  Anything that changes or removes the
 *      file keeps a backup first when BackupPath is set (the newest copy
 *      of a path replaces the older).  Cure writes a cured copy next to
 *      the file, the engine scans the copy, and only then the copy is
 *      renamed over the original, with the original's mode and owner.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcache.h"
#include "log.h"
#include "qstore.h"
#include "strbuf.h"
#include "vigil-scan.h"

/* threat_names - the distinct threat names, ", "-joined */
static void
threat_names(const struct vigil_result *r, char *buf, size_t cap)
{
	size_t	 n = 0;
	unsigned i, j;

	buf[0] = '\0';
	for (i = 0; i < r->ndet; i++) {
		if (r->det[i].threat == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (r->det[j].threat != NULL &&
			    strcmp(r->det[j].threat, r->det[i].threat) == 0)
				break;
		if (j < i)
			continue;
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s",
		    n > 0 ? ", " : "", r->det[i].threat);
		if (n >= cap)
			break;
	}
}

/* inside - are the findings inside the file (a container's members)? */
static int
inside(const struct vigil_result *r)
{
	unsigned i;

	for (i = 0; i < r->ndet; i++)
		if (r->det[i].status == r->status &&
		    r->det[i].object[0] != '\0')
			return 1;
	return 0;
}

/* meta_of - what the store keeps about the file beside its content */
static void
meta_of(struct qmeta *m, const char *path, const struct stat *st,
    const struct vigil_result *r, const char *reason)
{
	memset(m, 0, sizeof(*m));
	m->origin = (char *)(uintptr_t)path;
	m->threat = (char *)(uintptr_t)r->threat;
	m->status = (char *)(uintptr_t)vigil_status_name(r->status);
	m->reason = (char *)(uintptr_t)reason;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->mode = st->st_mode & 07777;
	m->mtime = st->st_mtime;
}

/* keep_backup - BackupPath: a copy before the file is changed or removed */
static int
keep_backup(struct vs *vs, const char *path, int fd, const struct stat *st,
    const struct vigil_result *r)
{
	struct qmeta	 m;
	char		 id[33], err[256];
	int		 rc;

	if (vs->backup == NULL)
		return 0;
	meta_of(&m, path, st, r, "backup");
	pthread_mutex_lock(&vs->qlock);
	rc = qstore_put_fd(vs->backup, fd, &m, 1, id, err, sizeof(err));
	pthread_mutex_unlock(&vs->qlock);
	if (rc == -1) {
		vs_note(vs, path, "backup failed: %s", err);
		return -1;
	}
	return 0;
}

/* quarantine - the file into the quarantine store, then away */
static int
quarantine(struct vs *vs, const char *path, int fd, const struct stat *st,
    const struct vigil_result *r)
{
	struct qmeta	 m;
	char		 id[33], err[256];
	int		 rc;

	if (vs->quar == NULL) {
		vs_note(vs, path, "quarantine failed: no quarantine store");
		return -1;
	}
	meta_of(&m, path, st, r, "quarantine");
	pthread_mutex_lock(&vs->qlock);
	rc = qstore_put_fd(vs->quar, fd, &m, 0, id, err, sizeof(err));
	pthread_mutex_unlock(&vs->qlock);
	if (rc == -1) {
		vs_note(vs, path, "quarantine failed: %s", err);
		return -1;
	}
	if (act_remove(path, err, sizeof(err)) == -1) {
		vs_note(vs, path, "quarantined (id %s) but not removed: %s",
		    id, err);
		return -1;
	}
	vs_note(vs, path, "quarantined (id %s)", id);
	vs_count_action(vs, VS_QUARANTINED);
	return 0;
}

/* remove_file - the file away, after its backup */
static int
remove_file(struct vs *vs, const char *path, int fd, const struct stat *st,
    const struct vigil_result *r)
{
	char	 err[256];

	if (keep_backup(vs, path, fd, st, r) == -1)
		return -1;
	if (act_remove(path, err, sizeof(err)) == -1) {
		vs_note(vs, path, "not removed: %s", err);
		return -1;
	}
	vs_note(vs, path, "removed");
	vs_count_action(vs, VS_REMOVED);
	return 0;
}

/*
 * cure_file - a verified cured copy renamed over the original; 1 cured,
 * 0 not curable (the reason is reported), -1 failed
 */
static int
cure_file(struct vs *vs, struct vs_scanner *sc, const char *path, int fd,
    const struct stat *st, struct vigil_result *cr)
{
	struct vigil_limits lim = vs->lim;
	char	*tmp;
	int	 tfd, rc = -1;

	if (asprintf(&tmp, "%s.vigil-XXXXXX", path) == -1)
		log_fatalx("out of memory");
	if ((tfd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		vs_note(vs, path, "not cured: %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (vs_cure_fd(sc, fd, tfd, &lim, cr) != VIGIL_OK) {
		vs_note(vs, path, "not cured: cure failed");
		goto out;
	}
	if (cr->status != VIGIL_CURED) {
		vs_note(vs, path, "%s", cr->reason ? cr->reason :
		    "not curable");
		rc = 0;
		goto out;
	}
	if (keep_backup(vs, path, fd, st, cr) == -1)
		goto out;
	if (fsync(tfd) == -1 || fchmod(tfd, st->st_mode & 0777) == -1 ||
	    (geteuid() == 0 && fchown(tfd, st->st_uid, st->st_gid) == -1) ||
	    rename(tmp, path) == -1) {
		vs_note(vs, path, "not cured: %s", strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	vs_note(vs, path, "cured");
	vs_count_action(vs, VS_CURED);
	rc = 1;
out:
	close(tfd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

/* write_list - %LIST%: a temporary file of the detections */
static char *
write_list(const struct vigil_result *r)
{
	char	*path;
	FILE	*f;
	unsigned i;
	int	 fd;
	const char *tmpdir = getenv("TMPDIR");

	if (asprintf(&path, "%s/vigil-list-XXXXXX", tmpdir && tmpdir[0] ?
	    tmpdir : "/tmp") == -1)
		return NULL;
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		free(path);
		return NULL;
	}
	for (i = 0; i < r->ndet; i++)
		fprintf(f, "%s\t%s\t%s\n", r->det[i].object,
		    vigil_status_name(r->det[i].status), r->det[i].threat ?
		    r->det[i].threat : (r->det[i].reason ? r->det[i].reason :
		    ""));
	fclose(f);
	return path;
}

/* run_exec - an exec action with the file's variables */
static void
run_exec(struct vs *vs, const struct act *a, const char *path,
    const struct stat *st, const struct vigil_result *r)
{
	struct act_vars	 v;
	char		*dir, *base, *d1, *d2, names[1024], err[256];
	char		*list = NULL;
	int		 x;

	if ((d1 = strdup(path)) == NULL || (d2 = strdup(path)) == NULL)
		log_fatalx("out of memory");
	dir = dirname(d1);
	base = basename(d2);
	threat_names(r, names, sizeof(names));
	memset(&v, 0, sizeof(v));
	v.fullpath = dir;
	v.filename = base;
	v.virusname = names;
	v.status = vigil_status_name(r->status);
	v.object = r->ndet > 0 ? r->det[0].object : "";
	v.size = (uint64_t)st->st_size;
	if (strstr(a->arg, "%LIST%") != NULL)
		v.list = list = write_list(r);
	x = act_exec(a, &v, vs->exec_timeout, err, sizeof(err));
	if (x == -1)
		vs_note(vs, path, "exec failed: %s", err);
	else if (x != 0)
		vs_note(vs, path, "exec exited %d", x);
	if (list != NULL) {
		unlink(list);
		free(list);
	}
	free(d1);
	free(d2);
}

/* list_file - -pX FILE: the path into the list of its status */
static void
list_file(struct vs *vs, const char *path, enum vigil_status st)
{
	if ((unsigned)st >= VS_NSTATUS || vs->lists[st] == NULL)
		return;
	pthread_mutex_lock(&vs->lock);
	fprintf(vs->lists[st], "%s\n", path);
	pthread_mutex_unlock(&vs->lock);
}

/*
 * apply_rule - the actions of the file's rule; stops once the file is
 * gone.  cure_first: -i1..3 or Cure=yes.
 */
static void
apply_rule(struct vs *vs, struct vs_scanner *sc, const char *path,
    int fd, const struct stat *st, const struct vigil_result *r)
{
	const struct act_list *rule;
	struct vigil_result cr;
	const struct act *a;
	char	 dest[4096], err[256];
	size_t	 i;
	int	 gone = 0, cured = -1, threat, cont = inside(r);

	rule = cont ? &vs->cont[r->status] : &vs->obj[r->status];
	threat = r->status >= VIGIL_WARNING;
	if (threat && (vs->cure || act_has(rule, ACT_CURE))) {
		/* the cure scans again: r's detections now live in cr */
		if ((cured = cure_file(vs, sc, path, fd, st, &cr)) == -1)
			return;
		r = &cr;
		if (cured == 1) {
			rule = cont ? &vs->cont[VIGIL_CURED] :
			    &vs->obj[VIGIL_CURED];
			for (i = 0; i < rule->n; i++)
				if (rule->v[i].kind == ACT_EXEC)
					run_exec(vs, &rule->v[i], path, st,
					    r);
			return;
		}
		/* -i2: remove what cannot be cured; -i3: containers too */
		if (vs->imode >= 3 || (vs->imode == 2 && !cont)) {
			(void)remove_file(vs, path, fd, st, r);
			return;
		}
	}
	for (i = 0; i < rule->n && !gone; i++) {
		a = &rule->v[i];
		switch (a->kind) {
		case ACT_REMOVE:
			gone = remove_file(vs, path, fd, st, r) == 0;
			break;
		case ACT_QUARANTINE:
			(void)keep_backup(vs, path, fd, st, r);
			gone = quarantine(vs, path, fd, st, r) == 0;
			break;
		case ACT_MOVE:
		case ACT_MOVEPATH:
		case ACT_COPY:
		case ACT_COPYPATH:
			if (act_relocate(a, path, dest, sizeof(dest), err,
			    sizeof(err)) == -1) {
				vs_note(vs, path, "%s failed: %s",
				    a->kind <= ACT_MOVEPATH ? "move" : "copy",
				    err);
				break;
			}
			vs_note(vs, path, "%s to %s", a->kind <= ACT_MOVEPATH ?
			    "moved" : "copied", dest);
			if (a->kind <= ACT_MOVEPATH) {
				vs_count_action(vs, VS_MOVED);
				gone = 1;
			}
			break;
		case ACT_EXEC:
			run_exec(vs, a, path, st, r);
			break;
		case ACT_CURE:		/* done above */
		case ACT_INFORM:
		case ACT_SKIP:
		default:
			break;
		}
	}
}

/*
 * passive - does the rule for this status only report?  Then a cached
 * report may stand for a scan.
 */
static int
passive(const struct vs *vs, int status, int container)
{
	const struct act_list *rule;
	size_t	 i;

	if (status < 0 || status >= VS_NSTATUS)
		return 0;
	if (vs->cure && status >= VIGIL_WARNING)
		return 0;
	rule = container ? &vs->cont[status] : &vs->obj[status];
	for (i = 0; i < rule->n; i++)
		if (rule->v[i].kind != ACT_INFORM &&
		    rule->v[i].kind != ACT_SKIP)
			return 0;
	return 1;
}

/* vs_object - one regular file: cache, scan, report, rule */
void
vs_object(struct vs *vs, struct vs_scanner *sc, const char *path)
{
	struct vigil_result r;
	struct stat	 st;
	struct strbuf	 lines;
	enum vigil_err	 e;
	const char	*text;
	int		 fd, cst, cont;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		vs_out_error(vs, path, strerror(errno));
		list_file(vs, path, VIGIL_STATUS_ERROR);
		return;
	}
	if (fstat(fd, &st) == -1) {
		vs_out_error(vs, path, strerror(errno));
		close(fd);
		return;
	}
	if (vs->fc != NULL && S_ISREG(st.st_mode) &&
	    fcache_lookup(vs->fc, &st)) {
		vs_out_cached(vs, path, (uint64_t)st.st_size);
		close(fd);
		return;
	}
	if (vs->found != NULL && S_ISREG(st.st_mode) &&
	    (text = vs_found_lookup(vs->found, &st, &cst, &cont)) != NULL &&
	    passive(vs, cst, cont)) {
		vs_out_replay(vs, text, cst);
		list_file(vs, path, (enum vigil_status)cst);
		close(fd);
		return;
	}
	e = vs_scan_fd(sc, fd, &vs->lim, &r);
	if (e != VIGIL_OK) {
		vs_out_error(vs, path, vigil_strerror(e));
		close(fd);
		return;
	}
	strbuf_init(&lines, 1 << 20);
	vs_out_result(vs, path, &r, vs->found != NULL ? &lines : NULL);
	list_file(vs, path, r.status);
	if (vs->found != NULL && S_ISREG(st.st_mode) && lines.len > 0 &&
	    r.status >= VIGIL_CORRUPTED && passive(vs, r.status, inside(&r)))
		vs_found_store(vs->found, &st, r.status, inside(&r),
		    lines.data, lines.len);
	strbuf_fini(&lines);
	if (r.status == VIGIL_CLEAN) {
		if (vs->fc != NULL && S_ISREG(st.st_mode))
			fcache_store(vs->fc, &st);
	} else if (S_ISREG(st.st_mode))
		apply_rule(vs, sc, path, fd, &st, &r);
	close(fd);
}
