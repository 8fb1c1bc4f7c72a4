/*
 * pkg.c - what vigil-dbtool and vigil-update share about packages
 *
 * DESIGN: an installed version directory is trusted only when it holds
 * exactly the files of its signed manifest with their digests: an extra
 * file would be loaded by the engine, a short one would be a
 * half-written database.  pkg_check_dir therefore lists the directory as
 * well as hashing what the manifest names.  Files are hashed through a
 * read-only mapping with OpenSSL's SHA-256 (zd_sha256).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "pkg.h"
#include "zdelta.h"

/* pkg_slurp - read a whole bounded file */
int
pkg_slurp(const char *path, size_t max, char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*b = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ?
		    "too large" : "not a regular file");
		goto fail;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, b + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s: %s", path,
			    r == 0 ? "shorter than its size" : strerror(errno));
			goto fail;
		}
		got += (size_t)r;
	}
	b[got] = '\0';
	close(fd);
	*buf = b;
	*len = got;
	return 0;
fail:
	free(b);
	if (fd != -1)
		close(fd);
	return -1;
}

/* pkg_hash_file - SHA-256 and size of a regular file */
int
pkg_hash_file(const char *path, uint8_t sha[MF_HASHLEN], uint64_t *size)
{
	void	*p;
	size_t	 n;

	if (pkg_map(path, &p, &n) == -1)
		return -1;
	if (p != NULL)
		madvise(p, n, MADV_SEQUENTIAL);
	zd_sha256(p != NULL ? p : "", n, sha);
	pkg_unmap(p, n);
	*size = n;
	return 0;
}

/* pkg_check_names - nothing in dir but m's files and the manifest */
int
pkg_check_names(const char *dir, const struct manifest *m, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, PKG_MANIFEST) == 0)
			continue;
		if (mf_find(m, de->d_name) == NULL) {
			snprintf(err, errlen, "%.200s: not in the manifest",
			    de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* pkg_check_dir - dir holds exactly m's files, whole */
int
pkg_check_dir(const char *dir, const struct manifest *m, char *err,
    size_t errlen)
{
	char		 path[4096];
	uint8_t		 sha[MF_HASHLEN];
	uint64_t	 size;
	size_t		 i;

	if (pkg_check_names(dir, m, err, errlen) == -1)
		return -1;
	for (i = 0; i < m->nfiles; i++) {
		snprintf(path, sizeof(path), "%.3800s/%s", dir,
		    m->files[i].name);
		if (pkg_hash_file(path, sha, &size) == -1) {
			snprintf(err, errlen, "%s: %s", m->files[i].name,
			    strerror(errno));
			return -1;
		}
		if (size != m->files[i].size) {
			snprintf(err, errlen, "%s: size %llu, the manifest "
			    "says %llu", m->files[i].name,
			    (unsigned long long)size,
			    (unsigned long long)m->files[i].size);
			return -1;
		}
		if (memcmp(sha, m->files[i].sha, MF_HASHLEN) != 0) {
			snprintf(err, errlen, "%s: sha256 mismatch",
			    m->files[i].name);
			return -1;
		}
	}
	return 0;
}

/* pkg_open_manifest - read, parse and check a manifest file */
int
pkg_open_manifest(const char *path, const struct vkey *keys, size_t nkeys,
    struct manifest *m, char **text, char *err, size_t errlen)
{
	char	 why[256];
	size_t	 len, which;

	if (pkg_slurp(path, MF_MAXTEXT, text, &len, err, errlen) == -1)
		return -1;
	if (mf_parse(*text, len, m, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if (nkeys > 0 && mf_verify(*text, m, keys, nkeys, &which, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		mf_free(m);
		goto fail;
	}
	return 0;
fail:
	free(*text);
	*text = NULL;
	return -1;
}

/* pkg_read_keys - read public key files */
int
pkg_read_keys(const char *const *paths, size_t n, struct vkey **keys,
    char *err, size_t errlen)
{
	struct vkey	*k;
	size_t		 i;

	*keys = NULL;
	if ((k = calloc(n ? n : 1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (vkey_read(paths[i], &k[i], err, errlen) == -1) {
			free(k);
			return -1;
		}
	*keys = k;
	return 0;
}

/* pkg_map - map a whole file read-only */
int
pkg_map(const char *path, void **p, size_t *n)
{
	struct stat	 st;
	int		 fd, saved;

	*p = NULL;
	*n = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*n = (size_t)st.st_size;
	if (*n > 0 && (*p = mmap(NULL, *n, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED) {
		saved = errno;
		*p = NULL;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* pkg_unmap - release pkg_map's mapping */
void
pkg_unmap(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, n);
}

/* pkg_write_atomic - temporary file, fsync, rename */
int
pkg_write_atomic(const char *path, const void *p, size_t n)
{
	char	 tmp[4200];
	int	 fd, saved;

	snprintf(tmp, sizeof(tmp), "%.4000s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644))
	    == -1)
		return -1;
	if (fd_write_all(fd, p, n) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	errno = saved;
	return -1;
}

/* rm_one - nftw callback of pkg_rmtree */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

/* pkg_rmtree - remove a directory tree */
int
pkg_rmtree(const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
