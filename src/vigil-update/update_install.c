/*
 * update_install.c - vigil-update's installing: staging, checking,
 * test-loading and switching a database version; rollback; mirror mode
 *
 * DESIGN: BasesPath holds immutable version directories v<N> and one
 * symlink, current, which the engine's loader follows.  A run assembles
 * the new version in .staging-<pid> from, in order of preference, the
 * installed files whose digest already matches (hard links), a delta
 * applied to the installed file of the same name, or the whole object;
 * every file is checked against the signed manifest as it is written.
 * Then the staged directory is checked once more as a whole (exactly the
 * manifest's files, nothing else), fsynced, test-loaded by the engine in
 * a child process (a database that crashes or fails the loader never
 * becomes current, and the compiled form lands in CachePath so the
 * daemons' reload finds it ready), renamed to v<N>, and only then does
 * current switch, by rename(2) of a new symlink over it.  Whatever
 * moment the run dies at, current names a complete, verified version;
 * leftovers are staging directories, which the next run removes under
 * the same lock.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigil/vigil.h"
#include "fdio.h"
#include "pkg.h"
#include "update.h"
#include "zdelta.h"

#define HEX	(2 * MF_HASHLEN + 1)

/* is_local_error - errno values that mean this host, not the package */
static int
is_local_error(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EROFS || e == EACCES ||
	    e == EPERM || e == EIO || e == ENOMEM || e == EMFILE;
}

/* inst_lock - BasesPath exists, is ours, and stale work is gone */
int
inst_lock(struct upd *u)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if (mkdir(u->bases, 0755) == -1 && errno != EEXIST) {
		urep(u, R_ERR, "%s: %s", u->bases, strerror(errno));
		return UPD_LOCAL;
	}
	snprintf(path, sizeof(path), "%s/.lock", u->bases);
	if ((u->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) ==
	    -1) {
		urep(u, R_ERR, "%s: %s", path, strerror(errno));
		return UPD_LOCAL;
	}
	if (flock(u->lockfd, LOCK_EX | LOCK_NB) == -1) {
		urep(u, R_ERR, "another vigil-update is running on %s",
		    u->bases);
		return UPD_LOCAL;
	}
	if ((d = opendir(u->bases)) == NULL) {
		urep(u, R_ERR, "%s: %s", u->bases, strerror(errno));
		return UPD_LOCAL;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".staging-", 9) != 0 &&
		    strncmp(de->d_name, ".current.", 9) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", u->bases, de->d_name);
		urep(u, R_INFO, "removing %s, left by an interrupted run",
		    de->d_name);
		if (pkg_rmtree(path) == -1)
			urep(u, R_WARN, "%s: %s", path, strerror(errno));
	}
	closedir(d);
	return UPD_OK;
}

/* inst_current - the installed version, re-verified; UPD_CURRENT: none */
int
inst_current(struct upd *u, struct manifest *m, char **text, char *dir,
    size_t dirlen)
{
	char		 path[PATH_MAX], err[512];
	struct stat	 st;

	memset(m, 0, sizeof(*m));
	*text = NULL;
	snprintf(path, sizeof(path), "%s/current", u->bases);
	if (lstat(path, &st) == -1)
		return UPD_CURRENT;
	if (realpath(path, dir) == NULL || strlen(dir) >= dirlen) {
		urep(u, R_WARN, "%s: %s; installing as if none", path,
		    strerror(errno));
		return UPD_CURRENT;
	}
	snprintf(path, sizeof(path), "%.3900s/%s", dir, PKG_MANIFEST);
	if (pkg_open_manifest(path, u->keys, u->nkeys, m, text, err,
	    sizeof(err)) == -1) {
		urep(u, R_WARN, "installed version: %s; installing as if "
		    "none", err);
		return UPD_CURRENT;
	}
	return UPD_OK;
}

/* find_local - an installed file with this digest, its hash re-checked */
static const struct mf_file *
find_local(const struct manifest *cur, const char *curdir,
    const uint8_t sha[MF_HASHLEN], char *path, size_t pathlen)
{
	uint8_t		 h[MF_HASHLEN];
	uint64_t	 size;
	size_t		 i;

	if (cur == NULL)
		return NULL;
	for (i = 0; i < cur->nfiles; i++) {
		if (memcmp(cur->files[i].sha, sha, MF_HASHLEN) != 0)
			continue;
		snprintf(path, pathlen, "%s/%s", curdir, cur->files[i].name);
		if (pkg_hash_file(path, h, &size) == 0 &&
		    size == cur->files[i].size &&
		    memcmp(h, sha, MF_HASHLEN) == 0)
			return &cur->files[i];
	}
	return NULL;
}

/* copy_file - a copy when a hard link is not possible */
static int
copy_file(const char *from, const char *to)
{
	void	*p;
	size_t	 n;
	int	 fd, rc = -1;

	if (pkg_map(from, &p, &n) == -1)
		return -1;
	if ((fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) !=
	    -1) {
		rc = fd_write_all(fd, p ? p : "", n);
		if (close(fd) == -1)
			rc = -1;
	}
	pkg_unmap(p, n);
	return rc;
}

/*
 * fetch_blob - a compressed object or delta of the database file name
 * into the download directory, checked against its size and digest.
 * UPD_OK, UPD_SOURCE (the transfer failed), UPD_REFUSED (the source sent
 * something else), UPD_LOCAL.  err reads "NAME: what (rel)".
 */
static int
fetch_blob(struct upd *u, const char *base, const char *rel,
    const char *name, const char *dlpath, uint64_t zsize,
    const uint8_t zsha[MF_HASHLEN], char *err, size_t errlen)
{
	uint8_t		 h[MF_HASHLEN];
	uint64_t	 size;
	int		 fd, r;

	if ((fd = open(dlpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%.300s: %s", dlpath, strerror(errno));
		return UPD_LOCAL;
	}
	r = fetch_fd(u, base, rel, fd, zsize, err, errlen);
	if (close(fd) == -1 && r == 0) {
		snprintf(err, errlen, "%.300s: %s", dlpath, strerror(errno));
		return UPD_LOCAL;
	}
	if (r == FETCH_LOCAL)
		return UPD_LOCAL;
	if (r != 0)
		return UPD_SOURCE;
	if (pkg_hash_file(dlpath, h, &size) == -1) {
		snprintf(err, errlen, "%.300s: %s", dlpath, strerror(errno));
		return UPD_LOCAL;
	}
	/* the transfer completed: a short or long blob is what was sent */
	if (size != zsize) {
		snprintf(err, errlen, "%s: %llu bytes, the manifest says %llu "
		    "(%s)", name, (unsigned long long)size,
		    (unsigned long long)zsize, rel);
		return UPD_REFUSED;
	}
	if (memcmp(h, zsha, MF_HASHLEN) != 0) {
		snprintf(err, errlen, "%s: sha256 mismatch (%s)", name, rel);
		return UPD_REFUSED;
	}
	return UPD_OK;
}

/*
 * expand - decompress a checked blob (against a prefix file for a delta)
 * into dst, which must come out as f says.  UPD_OK, UPD_REFUSED or
 * UPD_LOCAL.
 */
static int
expand(const char *blob, const char *prefix, const char *dst,
    const struct mf_file *f, char *err, size_t errlen)
{
	void		*z = NULL, *pf = NULL;
	size_t		 zn = 0, pn = 0;
	uint8_t		 sha[MF_HASHLEN];
	uint64_t	 len;
	char		 why[256];
	int		 fd = -1, rc = UPD_LOCAL;

	if (pkg_map(blob, &z, &zn) == -1 ||
	    (prefix != NULL && pkg_map(prefix, &pf, &pn) == -1)) {
		snprintf(err, errlen, "%s: %s", prefix && z ? prefix : blob,
		    strerror(errno));
		goto out;
	}
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	errno = 0;
	if (zd_decompress(fd, z ? z : "", zn, prefix ? (pf ? pf : "") : NULL,
	    pn, f->size, &len, sha, why, sizeof(why)) == -1) {
		rc = errno != 0 && is_local_error(errno) ? UPD_LOCAL :
		    UPD_REFUSED;
		snprintf(err, errlen, "%s: %s", f->name, why);
		goto out;
	}
	if (len != f->size || memcmp(sha, f->sha, MF_HASHLEN) != 0) {
		snprintf(err, errlen, "%s: sha256 mismatch", f->name);
		rc = UPD_REFUSED;
		goto out;
	}
	if (fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	rc = UPD_OK;
out:
	if (fd != -1 && close(fd) == -1 && rc == UPD_OK) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		rc = UPD_LOCAL;
	}
	if (rc != UPD_OK)
		unlink(dst);
	pkg_unmap(z, zn);
	pkg_unmap(pf, pn);
	return rc;
}

/* by_delta - f from the installed file of its name and a delta */
static int
by_delta(struct upd *u, const char *base, const struct mf_file *f,
    const struct manifest *cur, const char *curdir, const char *dl,
    const char *dst)
{
	const struct mf_file *of;
	char		 old[PATH_MAX], rel[300], blob[PATH_MAX], err[512];
	char		 from[HEX], to[HEX];
	uint8_t		 h[MF_HASHLEN];
	uint64_t	 size;
	size_t		 i;
	int		 rc;

	if (cur == NULL || (of = mf_find(cur, f->name)) == NULL)
		return UPD_SOURCE;
	for (i = 0; i < f->ndeltas; i++)
		if (memcmp(f->deltas[i].from, of->sha, MF_HASHLEN) == 0)
			break;
	if (i == f->ndeltas)
		return UPD_SOURCE;
	snprintf(old, sizeof(old), "%s/%s", curdir, of->name);
	if (pkg_hash_file(old, h, &size) == -1 ||
	    memcmp(h, of->sha, MF_HASHLEN) != 0)
		return UPD_SOURCE;
	mf_hex(from, of->sha);
	mf_hex(to, f->sha);
	snprintf(rel, sizeof(rel), "deltas/%s-%s.zst", from, to);
	snprintf(blob, sizeof(blob), "%.3900s/%s.delta", dl, to);
	rc = fetch_blob(u, base, rel, f->name, blob, f->deltas[i].zsize,
	    f->deltas[i].zsha, err, sizeof(err));
	if (rc == UPD_OK)
		rc = expand(blob, old, dst, f, err, sizeof(err));
	unlink(blob);
	if (rc != UPD_OK && rc != UPD_LOCAL)
		urep(u, R_WARN, "%s: delta not usable (%s); fetching the "
		    "whole file", f->name, err);
	if (rc == UPD_LOCAL)
		urep(u, R_ERR, "%s", err);
	return rc;
}

/* by_object - f from its whole object */
static int
by_object(struct upd *u, const char *base, const struct mf_file *f,
    const char *dl, const char *dst)
{
	char	 rel[300], blob[PATH_MAX], err[512], hex[HEX];
	int	 rc;

	mf_hex(hex, f->sha);
	snprintf(rel, sizeof(rel), "objects/%s.zst", hex);
	snprintf(blob, sizeof(blob), "%.3900s/%s.zst", dl, hex);
	rc = fetch_blob(u, base, rel, f->name, blob, f->zsize, f->zsha, err,
	    sizeof(err));
	if (rc == UPD_OK)
		rc = expand(blob, NULL, dst, f, err, sizeof(err));
	unlink(blob);
	if (rc == UPD_SOURCE)
		urep(u, R_ERR, "source %s failed: %s", base, err);
	else if (rc == UPD_REFUSED)
		urep(u, R_ERR, "refused: %s", err);
	else if (rc == UPD_LOCAL)
		urep(u, R_ERR, "%s", err);
	return rc;
}

/* test_load - the engine loads dir, in a child process, within timeout */
static int
test_load(struct upd *u, const char *dir)
{
	struct vigil_load_opts	 lo = { .dbdir = dir, .cache_dir = u->cache };
	struct vigil_load_report rep;
	struct vigil_engine	*e;
	char			 why[512];
	int			 pfd[2], status, n = 0;
	pid_t			 pid;
	ssize_t			 r;
	long			 waited = 0;

	if (pipe2(pfd, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		urep(u, R_ERR, "test load: %s", strerror(errno));
		return UPD_LOCAL;
	}
	if (pid == 0) {
		close(pfd[0]);
		if (vigil_engine_load(&lo, &e, &rep) != VIGIL_OK) {
			(void)!write(pfd[1], rep.error, strlen(rep.error));
			_exit(1);
		}
		snprintf(why, sizeof(why), "%lu signatures, %.2f s%s",
		    vigil_engine_sigcount(e), rep.seconds,
		    rep.from_cache ? " (compiled form cached)" : "");
		(void)!write(pfd[1], why, strlen(why));
		_exit(0);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (waited >= u->timeout * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pfd[0]);
			urep(u, R_ERR, "refused: the test load took longer "
			    "than %ld s", u->timeout);
			return UPD_REFUSED;
		}
		usleep(20000);
		waited += 20;
	}
	while ((r = read(pfd[0], why + n, sizeof(why) - 1 - (size_t)n)) > 0)
		n += (int)r;
	why[n] = '\0';
	close(pfd[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		urep(u, R_ERR, "refused: the database does not load: %s",
		    n > 0 ? why : WIFSIGNALED(status) ?
		    strsignal(WTERMSIG(status)) : "loader failed");
		return UPD_REFUSED;
	}
	urep(u, R_INFO, "test load: %s", why);
	return UPD_OK;
}

/* version_of - N of a "v<N>" directory name, 0 when it is not one */
static uint64_t
version_of(const char *name)
{
	char		*end;
	uint64_t	 v;

	if (name[0] != 'v' || name[1] < '1' || name[1] > '9')
		return 0;
	errno = 0;
	v = strtoull(name + 1, &end, 10);
	return errno == 0 && *end == '\0' ? v : 0;
}

/* cmp_u64_desc - qsort: versions, newest first */
static int
cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* versions - the v<N> directories of BasesPath, newest first */
static uint64_t *
versions(struct upd *u, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	uint64_t	*v = NULL, *nv, x;
	size_t		 cap = 0;

	*n = 0;
	if ((d = opendir(u->bases)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if ((x = version_of(de->d_name)) == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		v[(*n)++] = x;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_u64_desc);
	return v;
}

/* switch_to - point current at v<version>, atomically */
static int
switch_to(struct upd *u, uint64_t version)
{
	char	 tmp[PATH_MAX], cur[PATH_MAX], target[64];

	snprintf(target, sizeof(target), "v%llu", (unsigned long long)version);
	snprintf(tmp, sizeof(tmp), "%s/.current.%ld", u->bases,
	    (long)getpid());
	snprintf(cur, sizeof(cur), "%s/current", u->bases);
	unlink(tmp);
	if (symlink(target, tmp) == -1 || rename(tmp, cur) == -1 ||
	    fd_fsync_dir(u->bases) == -1) {
		urep(u, R_ERR, "switching %s to %s: %s", cur, target,
		    strerror(errno));
		unlink(tmp);
		return UPD_LOCAL;
	}
	return UPD_OK;
}

/* prune - keep current and the KeepOldBases versions below it */
static void
prune(struct upd *u, uint64_t current)
{
	uint64_t	*v;
	size_t		 n, i;
	int		 kept = 0;
	char		 path[PATH_MAX];

	if ((v = versions(u, &n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (v[i] == current)
			continue;
		if (v[i] < current && kept < u->keep_old) {
			kept++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/v%llu", u->bases,
		    (unsigned long long)v[i]);
		urep(u, R_DEBUG, "removing %s", path);
		if (pkg_rmtree(path) == -1)
			urep(u, R_WARN, "%s: %s", path, strerror(errno));
	}
	free(v);
}

/* finish - staged dir checked, loaded, renamed to v<N>, current set */
static int
finish(struct upd *u, const char *staging, const struct manifest *m,
    const char *text, size_t textlen)
{
	char	 path[PATH_MAX], err[512];
	int	 fd, rc;

	snprintf(path, sizeof(path), "%.3900s/%s", staging, PKG_MANIFEST);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) == -1 || fd_write_all(fd, text, textlen) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1) {
		urep(u, R_ERR, "%s: %s", path, strerror(errno));
		return UPD_LOCAL;
	}
	/* every file was checked as it was linked or written: what is
	 * left is that nothing else is there */
	if (pkg_check_names(staging, m, err, sizeof(err)) == -1) {
		urep(u, R_ERR, "refused: %s", err);
		return UPD_REFUSED;
	}
	if (fd_fsync_dir(staging) == -1) {
		urep(u, R_ERR, "%s: %s", staging, strerror(errno));
		return UPD_LOCAL;
	}
	if ((rc = test_load(u, staging)) != UPD_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/v%llu", u->bases,
	    (unsigned long long)m->version);
	if (pkg_rmtree(path) == -1 || rename(staging, path) == -1 ||
	    fd_fsync_dir(u->bases) == -1) {
		urep(u, R_ERR, "%s: %s", path, strerror(errno));
		return UPD_LOCAL;
	}
	if ((rc = switch_to(u, m->version)) != UPD_OK)
		return rc;
	prune(u, m->version);
	return UPD_OK;
}

/* inst_install - assemble, check and switch to the version m describes */
int
inst_install(struct upd *u, const char *base, const struct manifest *m,
    const char *text, size_t textlen, const struct manifest *cur,
    const char *curdir)
{
	const struct mf_file *f;
	char		 staging[PATH_MAX], dl[PATH_MAX], dst[PATH_MAX];
	char		 local[PATH_MAX];
	size_t		 i, reused = 0, deltas = 0;
	int		 rc = UPD_LOCAL;

	snprintf(staging, sizeof(staging), "%s/.staging-%ld", u->bases,
	    (long)getpid());
	snprintf(dl, sizeof(dl), "%s/.staging-%ld.dl", u->bases,
	    (long)getpid());
	pkg_rmtree(staging);
	pkg_rmtree(dl);
	if (mkdir(staging, 0755) == -1 || mkdir(dl, 0700) == -1) {
		urep(u, R_ERR, "%s: %s", staging, strerror(errno));
		goto out;
	}
	for (i = 0; i < m->nfiles; i++) {
		f = &m->files[i];
		snprintf(dst, sizeof(dst), "%.3900s/%s", staging, f->name);
		if (find_local(cur, curdir, f->sha, local, sizeof(local)) !=
		    NULL) {
			if (link(local, dst) == 0 || copy_file(local, dst) == 0) {
				reused++;
				continue;
			}
			urep(u, R_ERR, "%s: %s", dst, strerror(errno));
			goto out;
		}
		rc = by_delta(u, base, f, cur, curdir, dl, dst);
		if (rc == UPD_OK) {
			deltas++;
			continue;
		}
		if (rc == UPD_LOCAL || (rc = by_object(u, base, f, dl, dst)) !=
		    UPD_OK)
			goto out;
	}
	urep(u, R_INFO, "version %llu: %zu files, %zu kept, %zu by delta, "
	    "%zu whole", (unsigned long long)m->version, m->nfiles, reused,
	    deltas, m->nfiles - reused - deltas);
	rc = finish(u, staging, m, text, textlen);
out:
	pkg_rmtree(dl);
	if (rc != UPD_OK)
		pkg_rmtree(staging);
	return rc;
}

/* inst_rollback - back to the newest complete version below current */
int
inst_rollback(struct upd *u)
{
	struct manifest	 cur, m;
	char		 curdir[PATH_MAX], dir[PATH_MAX], path[PATH_MAX];
	char		 err[512], *ctext, *text;
	uint64_t	*v;
	size_t		 n, i;
	int		 rc = UPD_CURRENT;

	if (inst_current(u, &cur, &ctext, curdir, sizeof(curdir)) != UPD_OK) {
		urep(u, R_ERR, "no installed version to roll back from");
		return UPD_CURRENT;
	}
	v = versions(u, &n);
	for (i = 0; i < n && rc != UPD_OK; i++) {
		if (v[i] >= cur.version)
			continue;
		snprintf(dir, sizeof(dir), "%s/v%llu", u->bases,
		    (unsigned long long)v[i]);
		snprintf(path, sizeof(path), "%.3900s/%s", dir, PKG_MANIFEST);
		if (pkg_open_manifest(path, u->keys, u->nkeys, &m, &text, err,
		    sizeof(err)) == -1) {
			urep(u, R_WARN, "v%llu: %s", (unsigned long long)v[i],
			    err);
			continue;
		}
		if (m.version != v[i] ||
		    pkg_check_dir(dir, &m, err, sizeof(err)) == -1) {
			urep(u, R_WARN, "v%llu: %s", (unsigned long long)v[i],
			    m.version != v[i] ? "version does not match its "
			    "directory" : err);
		} else if (test_load(u, dir) == UPD_OK &&
		    switch_to(u, v[i]) == UPD_OK) {
			urep(u, R_INFO, "rolled back from version %llu to "
			    "%llu", (unsigned long long)cur.version,
			    (unsigned long long)v[i]);
			rc = UPD_OK;
		}
		mf_free(&m);
		free(text);
	}
	if (rc != UPD_OK)
		urep(u, R_ERR, "no complete version older than %llu is kept",
		    (unsigned long long)cur.version);
	free(v);
	mf_free(&cur);
	free(ctext);
	return rc;
}

/* mirror_blob - one object or delta into the mirror, unless already there */
static int
mirror_blob(struct upd *u, const char *base, const char *dir,
    const char *rel, uint64_t zsize, const uint8_t zsha[MF_HASHLEN],
    const struct mf_file *f)
{
	char		 path[PATH_MAX], tmp[PATH_MAX], err[512];
	uint8_t		 h[MF_HASHLEN], sha[MF_HASHLEN];
	uint64_t	 size, len;
	void		*z;
	size_t		 zn;
	int		 rc, null;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (pkg_hash_file(path, h, &size) == 0 && size == zsize &&
	    memcmp(h, zsha, MF_HASHLEN) == 0)
		return UPD_OK;
	snprintf(tmp, sizeof(tmp), "%.4000s.tmp%ld", path, (long)getpid());
	rc = fetch_blob(u, base, rel, f != NULL ? f->name : rel, tmp, zsize,
	    zsha, err, sizeof(err));
	if (rc == UPD_OK && f != NULL) {
		/* a whole object: its content too, before it is served */
		if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1 ||
		    pkg_map(tmp, &z, &zn) == -1) {
			rc = UPD_LOCAL;
			snprintf(err, sizeof(err), "%.300s: %s", tmp,
			    strerror(errno));
		} else {
			if (zd_decompress(null, z ? z : "", zn, NULL, 0, f->size,
			    &len, sha, err, sizeof(err)) == -1 ||
			    len != f->size ||
			    memcmp(sha, f->sha, MF_HASHLEN) != 0) {
				rc = UPD_REFUSED;
				snprintf(err, sizeof(err), "%s: sha256 "
				    "mismatch", f->name);
			}
			pkg_unmap(z, zn);
		}
		if (null != -1)
			close(null);
	}
	if (rc == UPD_OK && rename(tmp, path) == -1) {
		snprintf(err, sizeof(err), "%.300s: %s", path, strerror(errno));
		rc = UPD_LOCAL;
	}
	if (rc != UPD_OK) {
		unlink(tmp);
		urep(u, f == NULL ? R_WARN : R_ERR, "%s%s", rc == UPD_REFUSED ?
		    "refused: " : rc == UPD_SOURCE ? "source failed: " : "",
		    err);
	}
	return rc;
}

/* write_file - pkg_write_atomic, with the message */
static int
write_file(struct upd *u, const char *path, const char *text, size_t len)
{
	if (pkg_write_atomic(path, text, len) == 0)
		return UPD_OK;
	urep(u, R_ERR, "%s: %s", path, strerror(errno));
	return UPD_LOCAL;
}

/* inst_mirror - the package into dir, in the update servers' layout */
int
inst_mirror(struct upd *u, const char *base, const struct manifest *m,
    const char *text, size_t textlen, const char *dir)
{
	static const char *const sub[] = { "", "/objects", "/deltas",
	    "/manifests" };
	const struct mf_file *f;
	char		 path[PATH_MAX], rel[300], hex[HEX], from[HEX];
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, sub[i]);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			urep(u, R_ERR, "%s: %s", path, strerror(errno));
			return UPD_LOCAL;
		}
	}
	for (i = 0; i < m->nfiles; i++) {
		f = &m->files[i];
		mf_hex(hex, f->sha);
		snprintf(rel, sizeof(rel), "objects/%s.zst", hex);
		if ((rc = mirror_blob(u, base, dir, rel, f->zsize, f->zsha, f))
		    != UPD_OK)
			return rc;
		for (j = 0; j < f->ndeltas; j++) {
			mf_hex(from, f->deltas[j].from);
			snprintf(rel, sizeof(rel), "deltas/%s-%s.zst", from,
			    hex);
			/* a missing delta only costs its users a whole file */
			if ((rc = mirror_blob(u, base, dir, rel,
			    f->deltas[j].zsize, f->deltas[j].zsha, NULL)) ==
			    UPD_LOCAL)
				return rc;
		}
	}
	snprintf(path, sizeof(path), "%s/manifests/%llu.manifest", dir,
	    (unsigned long long)m->version);
	if ((rc = write_file(u, path, text, textlen)) != UPD_OK)
		return rc;
	snprintf(path, sizeof(path), "%.3900s/%s", dir, PKG_MANIFEST);
	if ((rc = write_file(u, path, text, textlen)) != UPD_OK)
		return rc;
	return fd_fsync_dir(dir) == -1 ? UPD_LOCAL : UPD_OK;
}
