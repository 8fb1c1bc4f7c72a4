/*
 * icap_spool.h - spool an HTTP body to memory files: the original bytes,
 * and the content with its gzip or deflate Content-Encoding removed
 *
 * vigil-icapd receives a body in pieces (already de-chunked).  It must
 * echo the original bytes back to the proxy and give the scanner what the
 * user will see.  Both go to memfds, through small write-combining
 * buffers, so a large body never sits in the heap.
 */
#ifndef VIGIL_ICAP_SPOOL_H
#define VIGIL_ICAP_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

/* the flags of http_encodings() in icap_head.h: 1 gzip, 2 deflate, 4 identity, 8 other */
#define SPOOL_GZIP	1
#define SPOOL_DEFLATE	2

#define SPOOL_BUFSZ	(64 * 1024)	/* each write-combining buffer */
#define SPOOL_SLACK	(1024 * 1024)	/* decoded bytes always allowed ... */
#define SPOOL_RATIO	1000		/* ... plus this many per raw byte */

struct spool {
	int		 raw_fd;	/* memfd "vigil-icap-raw": every byte written */
	uint64_t	 raw_len;
	int		 dec_fd;	/* memfd of the decoded content, or -1 when not encoded */
	uint64_t	 dec_len;
	int		 dec_state;	/* 0 decoding (or truncated, or not encoded), 1 stream ended
					 * cleanly, -1 corrupt (decoded so far kept) */
	uint64_t	 dec_max;	/* as given to spool_open */
	int		 dec_truncated;	/* 1 when the decoded limit was reached: decoding stopped */
	int		 dec_trailing;	/* 1 when bytes followed the end of the encoded stream
					 * (ignored, as browsers do; still in the raw) */

	/* private */
	unsigned	 enc;		/* SPOOL_GZIP, SPOOL_DEFLATE or 0 */
	int		 phase;		/* where the decoder is, see icap_spool.c */
	int		 z_init;	/* zs holds zlib state */
	unsigned	 members;	/* gzip members begun */
	unsigned char	 hold[2];	/* first bytes of a stream or member, being sniffed */
	size_t		 nhold;
	unsigned char	*rbuf;		/* raw bytes not yet in raw_fd */
	size_t		 rlen;
	uint64_t	 rdone;		/* raw bytes in raw_fd */
	unsigned char	*dbuf;		/* decoded bytes not yet in dec_fd */
	size_t		 dlen;
	uint64_t	 ddone;		/* decoded bytes in dec_fd */
	z_stream	 zs;
};

/*
 * spool_open - an empty spool for a body with the Content-Encoding flags
 * enc (http_encodings()).  Exactly SPOOL_GZIP or SPOOL_DEFLATE is decoded;
 * anything else (identity, several codings, unknown ones) is not: dec_fd
 * is -1.  Decoded content is limited to dec_max bytes (0: no limit) and
 * always to SPOOL_RATIO x raw_len + SPOOL_SLACK (a decompression bomb);
 * the bytes past the limit are dropped, decoding stops, dec_truncated is
 * set.  "deflate" is sniffed from its first two bytes: zlib-wrapped (RFC
 * 1950, the standard) or raw deflate (RFC 1951, what some servers send).
 * gzip: members in a row are all decoded.  Returns 0, or -1 with errno
 * (memfd_create, ENOMEM); s is then closed (spool_close is a no-op).
 */
int	spool_open(struct spool *s, unsigned enc, uint64_t dec_max);

/*
 * spool_write - append n bytes of the original body: to the raw file, and
 * decoded to the decoded one.  A decoding error sets dec_state -1 and
 * stops decoding; it is not an error of spool_write (the raw stays
 * complete).  Returns 0, or -1 with errno on an I/O error or ENOMEM
 * (zlib); after -1 only spool_close is useful.
 */
int	spool_write(struct spool *s, const void *p, size_t n);

/*
 * spool_finish - the body is complete: flush both buffers; a stream that
 * stopped before its end (not truncated by the limit) gets dec_state -1,
 * one that ended gets 1.  Returns 0, or -1 with errno (I/O).  Call once,
 * before spool_scan_fd; spool_pread works before and after.
 */
int	spool_finish(struct spool *s);

/*
 * spool_scan_fd - the fd to scan, rewound to offset 0, with its length in
 * *len: dec_fd when decoding ended cleanly (dec_state 1) or was truncated;
 * raw_fd when the body is not encoded or decoding failed (the scanner sees
 * the original; the caller may report the corruption).  The fd stays owned
 * by s.  -1 with errno when the rewind fails.
 */
int	spool_scan_fd(const struct spool *s, uint64_t *len);

/*
 * spool_pread - up to n original bytes from offset off into buf, for
 * relaying; works before spool_finish too (reads the buffer).  Returns the
 * count, short only at the end of the body (0 at or past it), or -1 with
 * errno.
 */
ssize_t	spool_pread(struct spool *s, void *buf, size_t n, uint64_t off);

/* spool_close - close the fds, free buffers and zlib state; idempotent */
void	spool_close(struct spool *s);

#endif
