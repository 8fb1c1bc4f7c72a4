/*
 * icap_chunk.h - the chunked transfer coding of HTTP/1.1 as ICAP uses it
 * (RFC 3507 section 4.4: every encapsulated body is chunked, and a
 * preview ends in "0; ieof" when the body ended within the preview)
 */
#ifndef VIGIL_ICAP_CHUNK_H
#define VIGIL_ICAP_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct chunk_dec {		/* zero it, or call chunk_init */
	int		 state;		/* private */
	uint64_t	 left;		/* data bytes left in the current chunk */
	size_t		 linelen;	/* private: bytes of the size line / trailer line so far */
	int		 ieof;		/* the last chunk carried the "ieof" extension */
	int		 done;		/* the zero chunk and its trailer were read */
	uint64_t	 total;		/* data bytes delivered */
	uint64_t	 max_total;	/* 0: no limit; else past it -> error */
	char		 error[96];
};

/* chunk_init - a fresh decoder; max_total 0 means no limit on the body */
void	chunk_init(struct chunk_dec *d, uint64_t max_total);

/*
 * chunk_feed - decode up to len bytes at in. For each run of body data calls
 * data(arg, p, n) (p points into in and is valid during the call only; n > 0;
 * data may be NULL to discard the body). When data returns non-zero,
 * chunk_feed returns -1 with error "consumer stopped". Returns the number of
 * bytes consumed (== len unless done became 1 within this call: then the
 * bytes after the final CRLF are NOT consumed — a pipelined next request
 * starts there; once done, every call returns 0), or -1 on a malformed
 * stream (error set; the decoder stays failed and every later call returns
 * -1).
 * Rules: chunk-size is hex, at most 15 significant digits (leading zeros are
 * optional and do not count; the line bound limits them), no sign; then
 * optional extensions ";name[=value]", value a token or a quoted-string
 * (";ieof" recognised, any case; blanks around ';' and '=' and before the
 * line end tolerated); the size line is at most 4096 bytes before its CRLF;
 * data is followed by CRLF (a bare LF is accepted wherever CRLF is); a
 * chunk whose size would take total past max_total fails as soon as its
 * size line is read; the last chunk (size 0) is followed by trailer lines
 * (each <= 4096 bytes before its CRLF, at most 64, not otherwise checked)
 * and the empty line. ieof is set only when the zero chunk carries it.
 * Works with any split of the input (one byte at a time gives the same
 * data, state and error).
 */
ssize_t	chunk_feed(struct chunk_dec *d, const char *in, size_t len,
	    int (*data)(void *arg, const char *p, size_t n), void *arg);

/*
 * chunk_head - the chunk-size line for n bytes into buf ("%zx\r\n", NUL
 * terminated when there is room for it); its length without the NUL, or 0
 * when buflen is shorter than the line (19 bytes always suffice)
 */
size_t	chunk_head(char *buf, size_t buflen, size_t n);

#endif
