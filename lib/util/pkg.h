/*
 * pkg.h - what vigil-dbtool and vigil-update share about packages: file
 * reading with a bound, file digests, the installed-version check and
 * the trusted keys
 */
#ifndef VIGIL_PKG_H
#define VIGIL_PKG_H

#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

#define PKG_MANIFEST	"vigil.manifest"

/* pkg_slurp - read a whole file of at most max bytes into a new buffer
 * (NUL-terminated, not counted in *len); 0, or -1 with err */
int	pkg_slurp(const char *path, size_t max, char **buf, size_t *len,
	    char *err, size_t errlen);

/* pkg_hash_file - SHA-256 and size of a regular file; 0 or -1 (errno) */
int	pkg_hash_file(const char *path, uint8_t sha[MF_HASHLEN],
	    uint64_t *size);

/*
 * pkg_check_dir - dir holds exactly m's files (and the manifest), each of
 * the announced size and SHA-256: an installed version is whole.  0, or
 * -1 with err naming the first file that differs.
 */
int	pkg_check_dir(const char *dir, const struct manifest *m, char *err,
	    size_t errlen);

/* pkg_check_names - dir holds no file but m's and the manifest (the
 * listing half of pkg_check_dir, for files already verified as written);
 * 0, or -1 with err */
int	pkg_check_names(const char *dir, const struct manifest *m, char *err,
	    size_t errlen);

/*
 * pkg_open_manifest - read path, parse it and check its signature with
 * keys (nkeys 0: structure only, the caller says the signature was not
 * checked).  On 0, m and *text (the file's bytes; free it) are the
 * caller's.  -1 with err.
 */
int	pkg_open_manifest(const char *path, const struct vkey *keys,
	    size_t nkeys, struct manifest *m, char **text, char *err,
	    size_t errlen);

/* pkg_read_keys - read n public key files into a new array; 0 / -1 */
int	pkg_read_keys(const char *const *paths, size_t n, struct vkey **keys,
	    char *err, size_t errlen);

/* pkg_map - map a whole file read-only (*p NULL for an empty file);
 * 0 or -1 (errno).  pkg_unmap releases it. */
int	pkg_map(const char *path, void **p, size_t *n);
void	pkg_unmap(void *p, size_t n);

/* pkg_write_atomic - a file's whole new content: temporary file, fsync,
 * rename; 0 or -1 (errno) */
int	pkg_write_atomic(const char *path, const void *p, size_t n);

/* pkg_rmtree - remove a directory tree (no symlinks followed); 0 / -1 */
int	pkg_rmtree(const char *path);

#endif
