/*
 * icap_chunk.c - decode and frame the chunked transfer coding of the
 * bodies that ICAP (RFC 3507) encapsulates, with ICAP's "ieof" extension
 *
 * DESIGN
 * The decoder is a byte-driven state machine over whatever the socket
 * buffer holds, so a chunk-size line, a CRLF or a trailer may be cut
 * anywhere by a read and the result is the same for every split.  Nothing
 * is copied or allocated: body data is handed to the caller's callback as
 * pointers into the input, a run per chunk piece, and everything else is
 * checked one byte at a time and forgotten.  The only memory is struct
 * chunk_dec: the base state in the low byte of `state', the progress of
 * matching an extension name against "ieof" and whether this size line
 * carried it in the next bits, the trailer line count above those; the
 * chunk size accumulates in `left' while its line is read.
 *
 * Work is bounded by the input: each byte is looked at once, except data,
 * which is passed on in one call per run.  A size line and each trailer
 * line are at most CHUNK_LINE_MAX bytes before their CRLF, at most
 * CHUNK_TRAILERS trailer lines are read, a size has at most 15 significant
 * hex digits (so it fits in 60 bits and sizes can be compared without
 * overflow), and a chunk that would take the body past max_total is
 * refused when its size line ends, before any of its data is delivered.
 * Errors are fixed strings chosen by the byte that is wrong, never by
 * where a read ended, which is what makes every split agree.
 *
 * The decoder stops right after the final empty line: the bytes after it
 * belong to the next request on the connection (ICAP pipelines) and are
 * not consumed.
 *
 * Hand-written by necessity: this is a streaming state machine over a
 * socket buffer that must resume in the middle of any token; no
 * well-kept C library offers incremental chunked decoding that exposes
 * chunk extensions, and ICAP needs the "ieof" one to tell a preview that
 * holds the whole body from one that does not.  HTTP client libraries
 * (curl) decode chunks only inside their own transfer loop, and
 * http-parser/llhttp decode them only as part of a whole HTTP message
 * they parse themselves, not as a bare body after an ICAP head.
 */
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "hexdigit.h"
#include "icap_chunk.h"

#define CHUNK_LINE_MAX	4096	/* bytes of a size or trailer line, no CRLF */
#define CHUNK_TRAILERS	64	/* trailer lines after the zero chunk */

enum {
	ST_SIZE = 0,	/* hex digits; a zeroed decoder starts here */
	ST_EXT,		/* after the digits: blanks, ';' or the line end */
	ST_NAME0,	/* after ';': blanks, then an extension name */
	ST_NAME,	/* in an extension name */
	ST_NAMEEND,	/* blanks after a name */
	ST_VAL0,	/* after '=': blanks, then a token or quoted-string */
	ST_VAL,		/* in a token value */
	ST_QSTR,	/* in a quoted-string value */
	ST_QESC,	/* after a backslash in a quoted-string */
	ST_VALEND,	/* blanks after a value */
	ST_SIZELF,	/* CR of the size line seen */
	ST_DATA,	/* `left' data bytes to deliver */
	ST_DATACR,	/* CRLF after the data */
	ST_DATALF,	/* CR after the data seen */
	ST_TRL0,	/* start of a trailer line or of the final empty line */
	ST_TRL,		/* in a trailer line */
	ST_TRLLF,	/* CR of a trailer line seen */
	ST_ENDLF,	/* CR of the final empty line seen */
	ST_DONE,
	ST_FAIL
};

#define ST_MASK		0xff		/* the base state */
#define POS_SHIFT	8		/* 0..4 chars of "ieof" matched, 5 no */
#define POS_MASK	(7 << POS_SHIFT)
#define POS_NOMATCH	5
#define IEOF_BIT	(1 << 11)	/* this size line carried ieof */
#define NTRL_SHIFT	16		/* trailer lines so far */

/* chunk_init - a fresh decoder */
void
chunk_init(struct chunk_dec *d, uint64_t max_total)
{
	memset(d, 0, sizeof(*d));
	d->max_total = max_total;
}

/* chunk_go - enter base state st, keeping the packed bits */
static void
chunk_go(struct chunk_dec *d, int st)
{
	d->state = (d->state & ~ST_MASK) | st;
}

/* chunk_fail - fail for good with a fixed reason; -1 */
static int
chunk_fail(struct chunk_dec *d, const char *why)
{
	snprintf(d->error, sizeof(d->error), "%s", why);
	d->state = ST_FAIL;
	return -1;
}

/* chunk_blank - c is SP or HT */
static int
chunk_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* chunk_tchar - c may be in an HTTP token */
static int
chunk_tchar(int c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* chunk_qdtext - c may stand unescaped in a quoted-string */
static int
chunk_qdtext(int c)
{
	return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 &&
	    c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}

/* chunk_name_char - one more name character: track the match of "ieof" */
static void
chunk_name_char(struct chunk_dec *d, int c)
{
	int	pos = (d->state & POS_MASK) >> POS_SHIFT;

	if (pos < 4 && (c | 0x20) == "ieof"[pos])
		pos++;
	else
		pos = POS_NOMATCH;
	d->state = (d->state & ~POS_MASK) | (pos << POS_SHIFT);
}

/* chunk_name_end - an extension name ended: was it ieof */
static void
chunk_name_end(struct chunk_dec *d)
{
	if ((d->state & POS_MASK) >> POS_SHIFT == 4)
		d->state |= IEOF_BIT;
	d->state &= ~POS_MASK;
}

/* chunk_ext - one byte of the size line after the digits; 0 or -1 */
static int
chunk_ext(struct chunk_dec *d, int st, int c)
{
	int	next = -1;

	/* blanks around ';' and '=' (a name or token value ends below) */
	if (chunk_blank(c) && (st == ST_EXT || st == ST_NAME0 ||
	    st == ST_NAMEEND || st == ST_VAL0 || st == ST_VALEND))
		return 0;
	switch (st) {
	case ST_EXT:
	case ST_NAMEEND:
	case ST_VALEND:
		if (c == ';')
			next = ST_NAME0;
		else if (c == '=' && st == ST_NAMEEND)
			next = ST_VAL0;
		break;
	case ST_NAME0:
		if (chunk_tchar(c)) {
			chunk_name_char(d, c);
			next = ST_NAME;
		}
		break;
	case ST_NAME:
		if (chunk_tchar(c)) {
			chunk_name_char(d, c);
			next = ST_NAME;
			break;
		}
		chunk_name_end(d);
		if (chunk_blank(c))
			next = ST_NAMEEND;
		else if (c == '=')
			next = ST_VAL0;
		else if (c == ';')
			next = ST_NAME0;
		break;
	case ST_VAL0:
		if (c == '"')
			next = ST_QSTR;
		else if (chunk_tchar(c))
			next = ST_VAL;
		break;
	case ST_VAL:
		if (chunk_tchar(c))
			next = ST_VAL;
		else if (chunk_blank(c))
			next = ST_VALEND;
		else if (c == ';')
			next = ST_NAME0;
		break;
	case ST_QSTR:
		if (c == '"')
			next = ST_VALEND;
		else if (c == '\\')
			next = ST_QESC;
		else if (chunk_qdtext(c))
			next = ST_QSTR;
		break;
	case ST_QESC:
		if (c == '\t' || c >= 0x20)
			next = c == 0x7f ? -1 : ST_QSTR;
		break;
	}
	if (next == -1)
		return chunk_fail(d, "bad chunk extension");
	chunk_go(d, next);
	return 0;
}

/* chunk_sized - the size line ended: start the data or the trailer */
static int
chunk_sized(struct chunk_dec *d)
{
	int	ieof = (d->state & IEOF_BIT) != 0;

	d->state = ST_DATA;	/* clears the packed bits */
	d->linelen = 0;
	if (d->left == 0) {
		d->ieof = ieof;
		d->state = ST_TRL0;
		return 0;
	}
	if (d->max_total != 0 && d->left > d->max_total - d->total) {
		snprintf(d->error, sizeof(d->error),
		    "chunked body over %llu bytes",
		    (unsigned long long)d->max_total);
		d->state = ST_FAIL;
		return -1;
	}
	return 0;
}

/* chunk_line_end - CR or LF in the size line */
static int
chunk_line_end(struct chunk_dec *d, int st, int c)
{
	switch (st) {
	case ST_SIZE:
		if (d->linelen == 0)
			return chunk_fail(d, "chunk-size missing");
		break;
	case ST_NAME:
		chunk_name_end(d);
		break;
	case ST_EXT:
	case ST_NAMEEND:
	case ST_VAL:
	case ST_VALEND:
		break;
	default:
		return chunk_fail(d, "bad chunk extension");
	}
	if (c == '\n')
		return chunk_sized(d);
	chunk_go(d, ST_SIZELF);
	return 0;
}

/* chunk_size_byte - one byte of the chunk-size line; 0 or -1 */
static int
chunk_size_byte(struct chunk_dec *d, int st, int c)
{
	int	v;

	if (c == '\r' || c == '\n')
		return chunk_line_end(d, st, c);
	if (++d->linelen > CHUNK_LINE_MAX)
		return chunk_fail(d, "chunk-size line over 4096 bytes");
	if (st != ST_SIZE)
		return chunk_ext(d, st, c);
	if ((v = hex_digit(c)) >= 0) {
		/* a 16th significant digit would pass 2^60 */
		if (d->left >> 56 != 0)
			return chunk_fail(d, "chunk-size over 15 hex digits");
		d->left = d->left << 4 | (uint64_t)v;
		return 0;
	}
	if (d->linelen == 1)
		return chunk_fail(d, "chunk-size not hex");
	chunk_go(d, ST_EXT);
	return chunk_ext(d, ST_EXT, c);
}

/* chunk_trailer_byte - one byte after the zero chunk's size line */
static int
chunk_trailer_byte(struct chunk_dec *d, int st, int c)
{
	int	ntrl = d->state >> NTRL_SHIFT;

	switch (st) {
	case ST_TRL0:
		if (c == '\r' || c == '\n') {
			d->state = c == '\n' ? ST_DONE : ST_ENDLF;
			d->done = c == '\n';
			return 0;
		}
		if (++ntrl > CHUNK_TRAILERS)
			return chunk_fail(d, "more than 64 trailer lines");
		d->state = ntrl << NTRL_SHIFT | ST_TRL;
		d->linelen = 1;
		return 0;
	case ST_TRL:
		if (c == '\r' || c == '\n')
			chunk_go(d, c == '\n' ? ST_TRL0 : ST_TRLLF);
		else if (++d->linelen > CHUNK_LINE_MAX)
			return chunk_fail(d, "trailer line over 4096 bytes");
		return 0;
	case ST_TRLLF:
		if (c != '\n')
			return chunk_fail(d, "CR without LF in trailer");
		chunk_go(d, ST_TRL0);
		return 0;
	default:	/* ST_ENDLF */
		if (c != '\n')
			return chunk_fail(d, "CR without LF after trailer");
		d->state = ST_DONE;
		d->done = 1;
		return 0;
	}
}

/* chunk_byte - one byte outside the data; 0 or -1 */
static int
chunk_byte(struct chunk_dec *d, int c)
{
	int	st = d->state & ST_MASK;

	switch (st) {
	case ST_SIZELF:
		if (c != '\n')
			return chunk_fail(d, "CR without LF in chunk-size line");
		return chunk_sized(d);
	case ST_DATACR:
	case ST_DATALF:
		if (c == '\r' && st == ST_DATACR) {
			d->state = ST_DATALF;
			return 0;
		}
		if (c != '\n')
			return chunk_fail(d, "no CRLF after chunk data");
		d->state = ST_SIZE;
		d->linelen = 0;
		return 0;
	case ST_TRL0:
	case ST_TRL:
	case ST_TRLLF:
	case ST_ENDLF:
		return chunk_trailer_byte(d, st, c);
	default:
		return chunk_size_byte(d, st, c);
	}
}

/* chunk_deliver - pass n data bytes on; 0 or -1 */
static int
chunk_deliver(struct chunk_dec *d, const char *p, size_t n,
    int (*data)(void *, const char *, size_t), void *arg)
{
	d->left -= n;
	d->total += n;
	if (d->left == 0)
		d->state = ST_DATACR;
	if (data != NULL && data(arg, p, n) != 0)
		return chunk_fail(d, "consumer stopped");
	return 0;
}

/* chunk_feed - decode up to len bytes (contract in icap_chunk.h) */
ssize_t
chunk_feed(struct chunk_dec *d, const char *in, size_t len,
    int (*data)(void *arg, const char *p, size_t n), void *arg)
{
	size_t	i = 0, n;

	if (d->state == ST_FAIL)
		return -1;
	if (d->done)
		return 0;
	/* XXX no buffer is this large; the rest would be refed anyway */
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	while (i < len) {
		if (d->state == ST_DATA) {
			n = len - i;
			if (n > d->left)
				n = (size_t)d->left;
			if (chunk_deliver(d, in + i, n, data, arg) == -1)
				return -1;
			i += n;
			continue;
		}
		if (chunk_byte(d, (unsigned char)in[i++]) == -1)
			return -1;
		if (d->done)
			break;
	}
	return (ssize_t)i;
}

/* chunk_head - the chunk-size line for n bytes */
size_t
chunk_head(char *buf, size_t buflen, size_t n)
{
	char	tmp[32];
	int	len;

	len = snprintf(tmp, sizeof(tmp), "%zx\r\n", n);
	if (len < 0 || (size_t)len > buflen)
		return 0;
	memcpy(buf, tmp, (size_t)len);
	if ((size_t)len < buflen)
		buf[len] = '\0';
	return (size_t)len;
}
