/*
 * icap_multipart.h - split a multipart body (RFC 2046; multipart/form-data,
 * RFC 7578) into its parts, so each uploaded file is scanned on its own
 *
 * Pure: no I/O, no allocation.  The body is untrusted; all work is
 * bounded by its length.
 */
#ifndef VIGIL_ICAP_MULTIPART_H
#define VIGIL_ICAP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MP_BOUNDARY_MAX	70		/* RFC 2046 */
#define MP_HEAD_MAX	(8 * 1024)	/* bytes of a part head, its empty line included */
#define MP_HEAD_LINES	64		/* header lines of a part head (folded ones count) */
#define MP_B64		16		/* mp_part.enc: Content-Transfer-Encoding base64 */
#define MP_QP		32		/* ... quoted-printable */

struct mp_part {
	uint64_t	 off, len;	/* the part's content (after its head's empty line, before
					 * the CRLF or LF that precedes the next delimiter)
					 * within the body */
	char		 name[128];	/* form field name from Content-Disposition, "" if none */
	char		 filename[256];	/* filename*= (RFC 5987, percent-decoded, bytes kept raw)
					 * if present and well-formed, else filename= (quoted-string
					 * unescaped), else Content-Type's name= (mail); "" if none */
	char		 type[128];	/* the part's Content-Type media type, lowercased, "" if
					 * none or not token/token */
	unsigned	 enc;		/* MP_B64, MP_QP, or 0 */
};

/*
 * mp_boundary - the boundary parameter of a Content-Type value of length
 * len: "multipart/<any subtype>; boundary=..." (form-data, mixed, related,
 * ...; type and parameter names are case-insensitive), quoted or not.  The
 * boundary must be 1..70 characters of RFC 2046's bchars (letters, digits,
 * '()+_,-./:=? and space, not last).  Returns 0 with the NUL-terminated
 * boundary in out, or -1: not multipart, no boundary, an invalid one, a
 * second boundary parameter (ambiguous), or outlen too small for it.
 */
int	mp_boundary(const char *ctype, size_t len, char *out, size_t outlen);

/*
 * mp_parts - split body (len bytes) on the delimiters "--" boundary.  A
 * delimiter is line-anchored (at the start of the body, or after LF; a CR
 * before that LF belongs to it too) and is followed by optional blanks
 * (transport padding) and CRLF, LF or the end of the body; "--" boundary
 * "--" at a line start is the close delimiter, whatever follows it.  The
 * preamble (before the first delimiter) and the epilogue (after the close
 * one) are skipped.  Each part's head (up to its first empty line; folded
 * lines unfolded) gives the fields of struct mp_part; a part without an
 * empty line is all head and has empty content.
 * Writes the first max parts to out (out may be NULL when max is 0) and
 * returns how many parts there are (more than max: the caller sees the
 * truncation; capped at INT_MAX), or -1 when boundary is not 1..70 bytes
 * or no first delimiter exists.  Without a close delimiter the last part
 * runs to the end of the body and *complete is 0, else 1 (complete may be
 * NULL).  A delimiter with nothing after its line starts no part.  A part
 * head longer than MP_HEAD_MAX bytes or MP_HEAD_LINES lines ends the split
 * there (*complete 0; -1 when it is the first part).  O(len); no recursion.
 */
int	mp_parts(const char *body, size_t len, const char *boundary,
	    struct mp_part *out, size_t max, int *complete);

#endif
