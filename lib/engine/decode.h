/*
 * decode.h - mail transfer decodings: base64, quoted-printable, uuencode
 *
 * The mail parser (mime.c) decodes part bodies with these before handing
 * them to the engine.  Every decoder reads exactly n bytes of input (no
 * NUL terminator is needed or looked for), writes at most outcap bytes,
 * and returns how many it wrote.  When the input was malformed or cut
 * short, *bad is set to 1 (if bad is not NULL) and the decoder still
 * returns whatever it could recover: a scanner wants the bytes, and the
 * caller reports the object as CORRUPTED.  Running out of output space is
 * not "bad"; the caller sizes outcap (see the bounds next to each one).
 *
 * Why hand-written: the three decoders are small, must be bounded and
 * tolerant of broken mail exactly the way a scanner needs (keep going,
 * say so), and no library packaged in Debian gives both byte offsets and
 * that tolerance; linking one into the scanning process would only widen
 * its attack surface.
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stddef.h>
#include <stdint.h>

/*
 * dec_base64 - RFC 2045 base64.  Whitespace (SP, HT, CR, LF, FF, VT) is
 * skipped.  Decoding stops after '=' padding, or at the first other
 * character outside the alphabet (*bad = 1).  A final group of one
 * character or padding in the wrong place sets *bad; a final group of two
 * or three characters without padding is decoded silently.  Output is at
 * most n / 4 * 3 + 2 bytes.
 */
size_t	dec_base64(const uint8_t *in, size_t n, uint8_t *out, size_t outcap,
	    int *bad);

/*
 * dec_qp - RFC 2045 quoted-printable.  "=XX" (either case) becomes one
 * byte; "=" followed only by spaces/tabs up to a line end (or the end of
 * the input) is a soft line break and vanishes.  Any other '=' is copied
 * and sets *bad.  Line ends are kept as they are.  Output is at most n.
 */
size_t	dec_qp(const uint8_t *in, size_t n, uint8_t *out, size_t outcap,
	    int *bad);

/*
 * dec_uu - the data lines of a uuencoded block (between "begin" and
 * "end", exclusive; a stray "end" line stops it too).  Each line starts
 * with its length character; '`' counts as a space (zero).  A line with
 * length zero ends the data.  Empty lines are skipped.  A line shorter
 * than its length character promises sets *bad and yields only the bytes
 * its characters determine (k characters of a group give k - 1 bytes);
 * characters outside ' '..'`' set *bad too.  Output is at most n.
 */
size_t	dec_uu(const uint8_t *in, size_t n, uint8_t *out, size_t outcap,
	    int *bad);

/*
 * uu_find - the next "begin MODE NAME" block in text[pos..n) (MODE: 1 to
 * 4 octal digits; the line must start at a line start).  On success
 * returns 1 and sets *beg to the start of the first data line, *end to
 * the start of the "end" line (n when it is missing, and then *trunc = 1,
 * else 0), *next to the offset just after the block (after the "end"
 * line's newline), and copies NAME, NUL-terminated and cut to namecap - 1
 * bytes, into name (not touched when namecap is 0).  Returns 0 when there
 * is no further block.  Linear in n - pos.
 */
int	uu_find(const uint8_t *text, size_t n, size_t pos, size_t *beg,
	    size_t *end, size_t *next, char *name, size_t namecap,
	    int *trunc);

#endif
