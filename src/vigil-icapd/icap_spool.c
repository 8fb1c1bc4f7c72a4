/*
 * icap_spool.c - spool an HTTP body to memfds: the original bytes and the
 * content with a gzip or deflate Content-Encoding removed
 *
 * DESIGN
 * Every byte handed to spool_write() is appended to the raw memfd through
 * a SPOOL_BUFSZ write-combining buffer (a write that is itself at least
 * that large goes straight to the file), so thousands of small chunks from
 * the ICAP socket cost a few pwrite(2)s.  Writes use pwrite at our own
 * running offset, so the files' offsets stay at 0 for the scanner, and
 * spool_pread() serves the relay from the file and the buffer together.
 *
 * When the body carries exactly one gzip or deflate coding, the same bytes
 * are inflated as they arrive, straight into the decoded buffer, which is
 * flushed to the decoded memfd when full.  The decoder is a small phase
 * machine: SNIFF holds the first two bytes of a stream (deflate: zlib
 * header or raw deflate?) or of a gzip member (another member, or trailing
 * garbage?); INFLATE runs zlib; END means the stream ended and anything
 * more is trailing data, ignored as browsers do (dec_trailing says so);
 * STOP means decoding gave up: corrupt (dec_state -1) or the limit was hit
 * (dec_truncated).  The raw file is never affected by the decoder.
 *
 * Limits: decoded output is capped at min(dec_max, SPOOL_RATIO x raw bytes
 * so far + SPOOL_SLACK).  The cap is enforced by never giving zlib more
 * output room than is left; once none is left, zlib gets a one-byte scratch
 * buffer, so a stream that ends exactly at the cap still ends cleanly, and
 * the first byte past it stops decoding for good.  Work per call is thus
 * bounded by the input and the cap; zlib's own state is ~44 KiB per spool.
 *
 * Hand-written around zlib: zlib does the decoding; what it does not do
 * (and gzip's gz* file API cannot, being tied to a file descriptor it
 * reads itself) is the push-style feeding, the deflate wrapper sniffing,
 * member concatenation with garbage tolerance, and the bomb cap.
 */
#include <sys/mman.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "icap_spool.h"

#define SPOOL_ZSLICE	(1u << 30)	/* most input given to zlib at once */

enum {
	PH_SNIFF = 0,	/* holding the first two bytes of a stream/member */
	PH_INFLATE,	/* zlib is decoding */
	PH_END,		/* the stream ended; more bytes are trailing data */
	PH_STOP		/* corrupt or truncated: input is ignored */
};

/* spool_pwrite_all - write n bytes at off, all of them, or -1 */
static int
spool_pwrite_all(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	ssize_t	 w;

	while (n > 0) {
		if (off > (uint64_t)INT64_MAX - n) {
			errno = EFBIG;
			return -1;
		}
		w = pwrite(fd, p, n, (off_t)off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* spool_flush_raw - move the raw buffer to raw_fd */
static int
spool_flush_raw(struct spool *s)
{
	if (s->rlen == 0)
		return 0;
	if (spool_pwrite_all(s->raw_fd, s->rbuf, s->rlen, s->rdone) == -1)
		return -1;
	s->rdone += s->rlen;
	s->rlen = 0;
	return 0;
}

/* spool_flush_dec - move the decoded buffer to dec_fd */
static int
spool_flush_dec(struct spool *s)
{
	if (s->dlen == 0)
		return 0;
	if (spool_pwrite_all(s->dec_fd, s->dbuf, s->dlen, s->ddone) == -1)
		return -1;
	s->ddone += s->dlen;
	s->dlen = 0;
	return 0;
}

/* spool_raw - append n original bytes, buffered */
static int
spool_raw(struct spool *s, const unsigned char *p, size_t n)
{
	if (n <= SPOOL_BUFSZ - s->rlen) {
		memcpy(s->rbuf + s->rlen, p, n);
		s->rlen += n;
		return 0;
	}
	if (spool_flush_raw(s) == -1)
		return -1;
	if (n >= SPOOL_BUFSZ) {
		if (spool_pwrite_all(s->raw_fd, p, n, s->rdone) == -1)
			return -1;
		s->rdone += n;
		return 0;
	}
	memcpy(s->rbuf, p, n);
	s->rlen = n;
	return 0;
}

/* spool_limit - how many decoded bytes may exist now */
static uint64_t
spool_limit(const struct spool *s)
{
	uint64_t	 lim = UINT64_MAX;

	if (s->raw_len <= (UINT64_MAX - SPOOL_SLACK) / SPOOL_RATIO)
		lim = s->raw_len * SPOOL_RATIO + SPOOL_SLACK;
	if (s->dec_max != 0 && s->dec_max < lim)
		lim = s->dec_max;
	return lim;
}

/* spool_corrupt - the encoded stream is bad: stop decoding */
static void
spool_corrupt(struct spool *s)
{
	s->dec_state = -1;
	s->phase = PH_STOP;
}

/*
 * spool_inflate - run zlib over in[0, n) until it needs more input, the
 * stream ends, or decoding stops; *used says how much it consumed.
 * -1 only on ENOMEM or an I/O error.
 */
static int
spool_inflate(struct spool *s, const unsigned char *in, size_t n,
    size_t *used)
{
	unsigned char	 scratch;
	uint64_t	 room;
	uInt		 avin, avout;
	int		 zr;

	*used = 0;
	for (;;) {
		if (s->dlen == SPOOL_BUFSZ && spool_flush_dec(s) == -1)
			return -1;
		room = spool_limit(s) - s->dec_len;
		avin = n - *used > SPOOL_ZSLICE ? SPOOL_ZSLICE :
		    (uInt)(n - *used);
		s->zs.next_in = (Bytef *)(uintptr_t)(in + *used);
		s->zs.avail_in = avin;
		if (room == 0) {
			/* only to learn whether anything more comes */
			s->zs.next_out = &scratch;
			s->zs.avail_out = 1;
		} else {
			s->zs.next_out = s->dbuf + s->dlen;
			s->zs.avail_out = (uInt)(SPOOL_BUFSZ - s->dlen);
			if (room < s->zs.avail_out)
				s->zs.avail_out = (uInt)room;
		}
		avout = s->zs.avail_out;
		zr = inflate(&s->zs, Z_NO_FLUSH);
		*used += avin - s->zs.avail_in;
		if (room == 0 && s->zs.avail_out != avout) {
			s->dec_truncated = 1;
			s->phase = PH_STOP;
			return 0;
		}
		if (room != 0) {
			s->dlen += avout - s->zs.avail_out;
			s->dec_len += avout - s->zs.avail_out;
		}
		switch (zr) {
		case Z_OK:
			continue;
		case Z_BUF_ERROR:	/* no progress: input is used up */
			if (s->zs.avail_in != 0)
				spool_corrupt(s);
			else if (*used < n)
				continue;	/* the next slice */
			return 0;
		case Z_STREAM_END:
			/* gzip: another member may follow */
			s->phase = s->enc == SPOOL_GZIP ? PH_SNIFF : PH_END;
			s->nhold = 0;
			return 0;
		case Z_MEM_ERROR:
			errno = ENOMEM;
			return -1;
		default:		/* Z_DATA_ERROR, Z_NEED_DICT, ... */
			spool_corrupt(s);
			return 0;
		}
	}
}

/* spool_zstart - (re)start zlib with windowBits wbits */
static int
spool_zstart(struct spool *s, int wbits)
{
	int	 zr;

	if (s->z_init)
		zr = inflateReset2(&s->zs, wbits);
	else {
		memset(&s->zs, 0, sizeof(s->zs));
		zr = inflateInit2(&s->zs, wbits);
		s->z_init = zr == Z_OK;
	}
	if (zr == Z_MEM_ERROR) {
		errno = ENOMEM;
		return -1;
	}
	if (zr != Z_OK) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * spool_sniffed - the two held bytes decide how the stream or member
 * starts; then they are fed to zlib
 */
static int
spool_sniffed(struct spool *s)
{
	unsigned	 cmf = s->hold[0], flg = s->hold[1];
	size_t		 used;
	int		 wbits;

	if (s->enc == SPOOL_GZIP) {
		if (cmf != 0x1f || flg != 0x8b) {
			if (s->members == 0)
				spool_corrupt(s);
			else {		/* garbage after a member */
				s->phase = PH_END;
				s->dec_trailing = 1;
			}
			return 0;
		}
		wbits = 16 + MAX_WBITS;
	} else if ((cmf & 0x0f) == Z_DEFLATED && (cmf >> 4) <= 7 &&
	    ((cmf << 8) | flg) % 31 == 0)
		wbits = MAX_WBITS;	/* RFC 1950 header */
	else
		wbits = -MAX_WBITS;	/* raw deflate */
	if (spool_zstart(s, wbits) == -1)
		return -1;
	s->members++;
	s->phase = PH_INFLATE;
	if (spool_inflate(s, s->hold, 2, &used) == -1)
		return -1;
	if (used < 2 && s->phase == PH_END)
		s->dec_trailing = 1;
	s->nhold = 0;
	return 0;
}

/* spool_decode - feed n encoded bytes to the decoder */
static int
spool_decode(struct spool *s, const unsigned char *p, size_t n)
{
	size_t	 used;

	while (n > 0) {
		switch (s->phase) {
		case PH_SNIFF:
			s->hold[s->nhold++] = *p++;
			n--;
			if (s->nhold == 2 && spool_sniffed(s) == -1)
				return -1;
			break;
		case PH_INFLATE:
			if (spool_inflate(s, p, n, &used) == -1)
				return -1;
			p += used;
			n -= used;
			break;
		case PH_END:
			s->dec_trailing = 1;
			return 0;
		default:
			return 0;
		}
	}
	return 0;
}

/* spool_open - an empty spool (contract in icap_spool.h) */
int
spool_open(struct spool *s, unsigned enc, uint64_t dec_max)
{
	int	 rc = -1, saved;

	memset(s, 0, sizeof(*s));
	s->raw_fd = s->dec_fd = -1;
	s->dec_max = dec_max;
	s->enc = enc == SPOOL_GZIP || enc == SPOOL_DEFLATE ? enc : 0;
	s->phase = s->enc != 0 ? PH_SNIFF : PH_STOP;
	if ((s->raw_fd = memfd_create("vigil-icap-raw", MFD_CLOEXEC)) == -1 ||
	    (s->rbuf = malloc(SPOOL_BUFSZ)) == NULL)
		goto out;
	if (s->enc != 0 && ((s->dec_fd = memfd_create("vigil-icap-dec",
	    MFD_CLOEXEC)) == -1 || (s->dbuf = malloc(SPOOL_BUFSZ)) == NULL))
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		saved = errno;
		spool_close(s);
		errno = saved;
	}
	return rc;
}

/* spool_write - append original bytes, decoding them too */
int
spool_write(struct spool *s, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (spool_raw(s, p, n) == -1)
		return -1;
	s->raw_len += n;
	if (s->enc == 0)
		return 0;
	return spool_decode(s, p, n);
}

/* spool_finish - flush and settle dec_state */
int
spool_finish(struct spool *s)
{
	if (s->enc != 0) {
		if (spool_flush_dec(s) == -1)
			return -1;
		if (s->dec_state == 0 && !s->dec_truncated) {
			if (s->phase == PH_END || (s->phase == PH_SNIFF &&
			    s->members > 0)) {
				if (s->nhold > 0)	/* half a gzip magic */
					s->dec_trailing = 1;
				s->dec_state = 1;
			} else
				s->dec_state = -1;
		}
		s->phase = PH_STOP;
	}
	return spool_flush_raw(s);
}

/* spool_scan_fd - the fd the scanner should read, rewound */
int
spool_scan_fd(const struct spool *s, uint64_t *len)
{
	int	 fd = s->raw_fd;

	*len = s->raw_len;
	if (s->dec_fd != -1 && (s->dec_state == 1 || s->dec_truncated)) {
		fd = s->dec_fd;
		*len = s->dec_len;
	}
	if (lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	return fd;
}

/* spool_pread - original bytes from the file and the buffer */
ssize_t
spool_pread(struct spool *s, void *buf, size_t n, uint64_t off)
{
	unsigned char	*b = buf;
	size_t		 done = 0, k;
	ssize_t		 r;

	if (off >= s->raw_len || n == 0)
		return 0;
	if (n > s->raw_len - off)
		n = (size_t)(s->raw_len - off);
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	while (off + done < s->rdone && done < n) {
		k = n - done;
		if (k > s->rdone - (off + done))
			k = (size_t)(s->rdone - (off + done));
		r = pread(s->raw_fd, b + done, k, (off_t)(off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {		/* the file shrank under us */
			errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	if (done < n)
		memcpy(b + done, s->rbuf + (off + done - s->rdone), n - done);
	return (ssize_t)n;
}

/* spool_close - release everything; idempotent */
void
spool_close(struct spool *s)
{
	if (s->raw_fd != -1)
		close(s->raw_fd);
	if (s->dec_fd != -1)
		close(s->dec_fd);
	s->raw_fd = s->dec_fd = -1;
	free(s->rbuf);
	free(s->dbuf);
	s->rbuf = s->dbuf = NULL;
	s->rlen = s->dlen = 0;
	if (s->z_init)
		inflateEnd(&s->zs);
	s->z_init = 0;
	s->phase = PH_STOP;
}
