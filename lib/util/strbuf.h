/*
 * strbuf.h - capped growable byte buffer (curl's dynbuf in spirit)
 *
 * Every buffer has a hard cap set at init; an append past it fails with
 * E2BIG and leaves the buffer unchanged.  The data is always followed by
 * a NUL byte that is not counted in len, so text can be used in place.
 * Ownership: the buffer owns data until strbuf_steal() or strbuf_fini().
 */
#ifndef VIGIL_STRBUF_H
#define VIGIL_STRBUF_H

#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char	*data;		/* NULL until the first append */
	size_t	 len;
	size_t	 cap;		/* allocated bytes */
	size_t	 max;		/* hard cap on len */
};

void	 strbuf_init(struct strbuf *, size_t max);	/* cannot fail */
void	 strbuf_fini(struct strbuf *);
void	 strbuf_reset(struct strbuf *);			/* len = 0, keeps memory */
int	 strbuf_append(struct strbuf *, const void *, size_t);	/* -1 + errno */
int	 strbuf_addc(struct strbuf *, int);
int	 strbuf_printf(struct strbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* strbuf_reserve - make room for n more bytes; returns pointer to them */
void	*strbuf_reserve(struct strbuf *, size_t n);
char	*strbuf_steal(struct strbuf *);	/* caller frees; buffer left empty */

#endif
