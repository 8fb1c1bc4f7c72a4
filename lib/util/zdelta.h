/*
 * zdelta.h - zstd objects and "patch-from" deltas for database packages
 *
 * A package object is a database file compressed with zstd; a delta is
 * the new content compressed with the old content as the dictionary
 * prefix, so only what changed costs bytes.  Both directions stream to a
 * descriptor and hash what they write with SHA-256.
 */
#ifndef VIGIL_ZDELTA_H
#define VIGIL_ZDELTA_H

#include <stddef.h>
#include <stdint.h>

#define ZD_HASHLEN	32
#define ZD_MAXPREFIX	((size_t)1 << 31)	/* largest delta base */

/*
 * zd_compress - compress n bytes at src (with the n_pfx bytes at pfx as
 * the prefix when pfx is not NULL: a delta) into out_fd; *zlen and zsha
 * receive the size and SHA-256 of what was written.  0, or -1 with err.
 */
int	zd_compress(int out_fd, const void *src, size_t n, const void *pfx,
	    size_t n_pfx, int level, uint64_t *zlen, uint8_t zsha[ZD_HASHLEN],
	    char *err, size_t errlen);

/*
 * zd_decompress - decompress the n bytes at src (with the prefix the
 * delta was made against, or NULL) into out_fd, refusing to write more
 * than max bytes; *len and sha receive the size and SHA-256 of the
 * output.  0, or -1 with err (a broken frame, more than max, a write
 * error: errno is kept for the last).
 */
int	zd_decompress(int out_fd, const void *src, size_t n, const void *pfx,
	    size_t n_pfx, uint64_t max, uint64_t *len, uint8_t sha[ZD_HASHLEN],
	    char *err, size_t errlen);

/* zd_sha256 - SHA-256 of n bytes */
void	zd_sha256(const void *p, size_t n, uint8_t out[ZD_HASHLEN]);

#endif
