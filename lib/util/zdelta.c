/*
 * zdelta.c - zstd objects and "patch-from" deltas for database packages
 *
 * DESIGN: libzstd does the work.  A delta is an ordinary zstd frame made
 * with the old content referenced as a prefix (ZSTD_CCtx_refPrefix), the
 * mechanism zstd documents for patching; the window is widened to cover
 * the prefix and long-distance matching finds the unchanged runs of a
 * large signature file wherever they moved.  Decompression streams into
 * a descriptor in bounded steps, and the window a frame may demand is
 * capped by the size the signed manifest announced, so a hostile frame
 * can neither grow memory nor write more than announced; the output is
 * hashed on the way (OpenSSL's SHA-256, which uses the CPU's SHA
 * instructions) so the caller compares it with the manifest without
 * reading the file again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "fdio.h"
#include "zdelta.h"

#define ZD_WINDOWLOG_MAX	31

/* window_log - smallest window covering n bytes, within zstd's range */
static int
window_log(size_t n)
{
	int	 w = 10;

	while (w < ZD_WINDOWLOG_MAX && ((size_t)1 << w) < n)
		w++;
	return w;
}

/* zd_sha256 - SHA-256 of n bytes */
void
zd_sha256(const void *p, size_t n, uint8_t out[ZD_HASHLEN])
{
	unsigned int	 olen = ZD_HASHLEN;

	EVP_Digest(p, n, out, &olen, EVP_sha256(), NULL);
}

/* zd_compress - compress src, optionally against a prefix, into out_fd */
int
zd_compress(int out_fd, const void *src, size_t n, const void *pfx,
    size_t n_pfx, int level, uint64_t *zlen, uint8_t zsha[ZD_HASHLEN],
    char *err, size_t errlen)
{
	ZSTD_CCtx	*cc;
	EVP_MD_CTX	*md;
	ZSTD_inBuffer	 in = { src, n, 0 };
	ZSTD_outBuffer	 out;
	size_t		 r, obufsz = ZSTD_CStreamOutSize();
	unsigned int	 olen = ZD_HASHLEN;
	void		*obuf;
	int		 rc = -1;

	*zlen = 0;
	cc = ZSTD_createCCtx();
	md = EVP_MD_CTX_new();
	obuf = malloc(obufsz);
	if (cc == NULL || md == NULL || obuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setPledgedSrcSize(cc, n);
	if (pfx != NULL) {
		if (n_pfx > ZD_MAXPREFIX || n > ZD_MAXPREFIX) {
			snprintf(err, errlen, "too large for a delta");
			goto out;
		}
		ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog,
		    window_log(n_pfx > n ? n_pfx : n));
		ZSTD_CCtx_setParameter(cc, ZSTD_c_enableLongDistanceMatching,
		    1);
		r = ZSTD_CCtx_refPrefix(cc, pfx, n_pfx);
		if (ZSTD_isError(r)) {
			snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(r));
			goto out;
		}
	}
	do {
		out = (ZSTD_outBuffer){ obuf, obufsz, 0 };
		r = ZSTD_compressStream2(cc, &out, &in, ZSTD_e_end);
		if (ZSTD_isError(r)) {
			snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(r));
			goto out;
		}
		if (fd_write_all(out_fd, obuf, out.pos) == -1) {
			snprintf(err, errlen, "write: %s", strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(md, obuf, out.pos);
		*zlen += out.pos;
	} while (r != 0);
	EVP_DigestFinal_ex(md, zsha, &olen);
	rc = 0;
out:
	free(obuf);
	EVP_MD_CTX_free(md);
	ZSTD_freeCCtx(cc);
	return rc;
}

/* zd_decompress - decompress src, optionally against a prefix, into out_fd */
int
zd_decompress(int out_fd, const void *src, size_t n, const void *pfx,
    size_t n_pfx, uint64_t max, uint64_t *len, uint8_t sha[ZD_HASHLEN],
    char *err, size_t errlen)
{
	ZSTD_DCtx	*dc;
	EVP_MD_CTX	*md;
	ZSTD_inBuffer	 in = { src, n, 0 };
	ZSTD_outBuffer	 out;
	size_t		 r = 1, obufsz = ZSTD_DStreamOutSize();
	unsigned int	 olen = ZD_HASHLEN;
	void		*obuf;
	int		 rc = -1, saved;

	*len = 0;
	dc = ZSTD_createDCtx();
	md = EVP_MD_CTX_new();
	obuf = malloc(obufsz);
	if (dc == NULL || md == NULL || obuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	/* a frame may ask for no more window than the output it announces
	 * (or the prefix) needs: a hostile header cannot make us allocate */
	ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax,
	    window_log(max > n_pfx ? (size_t)(max < ZD_MAXPREFIX ? max :
	    ZD_MAXPREFIX) : n_pfx));
	if (pfx != NULL) {
		r = ZSTD_DCtx_refPrefix(dc, pfx, n_pfx);
		if (ZSTD_isError(r))
			goto zerr;
		r = 1;
	}
	/* one frame: r is 0 once it is complete */
	while (in.pos < in.size || r != 0) {
		out = (ZSTD_outBuffer){ obuf, obufsz, 0 };
		r = ZSTD_decompressStream(dc, &out, &in);
		if (ZSTD_isError(r))
			goto zerr;
		if (out.pos > max - *len) {
			snprintf(err, errlen, "larger than the %llu bytes "
			    "announced", (unsigned long long)max);
			goto out;
		}
		if (fd_write_all(out_fd, obuf, out.pos) == -1) {
			saved = errno;
			snprintf(err, errlen, "write: %s", strerror(errno));
			errno = saved;
			goto out;
		}
		EVP_DigestUpdate(md, obuf, out.pos);
		*len += out.pos;
		if (r == 0 && in.pos < in.size) {
			snprintf(err, errlen, "data after the zstd frame");
			goto out;
		}
		if (r != 0 && in.pos == in.size && out.pos < obufsz) {
			snprintf(err, errlen, "truncated zstd frame");
			goto out;
		}
	}
	EVP_DigestFinal_ex(md, sha, &olen);
	rc = 0;
	goto out;
zerr:
	snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(r));
out:
	free(obuf);
	EVP_MD_CTX_free(md);
	ZSTD_freeDCtx(dc);
	return rc;
}
