/*
 * pattern.h - ClamAV body-signature hex patterns: compile and verify
 *
 * A pattern is the HexSignature of an .ndb line or one subsignature of an
 * .ldb line, e.g. "4142??43{2-5}44*(4546|47)!(00|ff)(B)".  pat_compile()
 * turns its text into a flat, position-independent blob; the scanner's
 * prefilter looks for pat_literal() and calls pat_verify() at each hit.
 *
 * Syntax (ClamAV's): hex byte pairs in either case; "??" any byte; "a?"
 * and "?a" nibbles; "*" any number of bytes; "{n}" exactly n; "{-n}" 0..n;
 * "{n-}" n or more; "{n-m}" and "[n-m]" n..m; "(aa|bbcc|dd??)" alternates
 * (may differ in length, may hold nibbles); "!(aa|bb)" negated alternates
 * (equal lengths; matches that many bytes equal to none of them); "(B)"
 * word boundary: one non-alphanumeric byte, or nothing at a buffer edge;
 * "(L)" line boundary: LF, CR or CRLF, or nothing at a buffer edge; "(W)"
 * exactly one non-alphanumeric byte.  Limits: 64 KiB of text, 1024
 * compiled elements, 256 alternatives a group, 256 variable-length
 * elements, gap numbers up to 1048576; the pattern must neither start
 * nor end with an unbounded gap and must hold at least one fully
 * specified byte.
 */
#ifndef VIGIL_PATTERN_H
#define VIGIL_PATTERN_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define PAT_NOCASE	0x01	/* ::i ASCII letters match either case */
#define PAT_WIDE	0x02	/* ::w every byte is followed by 0x00 */
#define PAT_FULLWORD	0x04	/* ::f non-alphanumeric or edge around */
#define PAT_UNBOUNDED	((size_t)-1)

#define PAT_BUDGET	(1ul << 16)	/* steps per pat_verify() call */

/*
 * pat_compile - compile hex text [hex, hex+n) with flags into a flat blob
 * appended to out; the blob starts at an 8-byte aligned offset *blob_off
 * of out->data (zero padding is added as needed).  The blob holds no
 * pointers, only offsets, so it can be written to disk and used in place
 * from an mmapped file at any 8-aligned address (same byte order).
 * Returns 0, or -1 with a reason in why (out is then left as it was,
 * apart from possibly more reserved memory).  Blobs are trusted: they
 * are not re-validated when used, so a loader reading them from disk
 * must check their integrity first.
 */
int		 pat_compile(const char *hex, size_t n, unsigned flags,
		    struct strbuf *out, size_t *blob_off, char *why,
		    size_t whylen);

/*
 * pat_literal - the literal factor for the prefilter: the longest run of
 * fully specified bytes (ties: more bytes other than 00/FF/20, then the
 * leftmost).  With PAT_WIDE it includes the 00 bytes.  Points into the
 * blob; with PAT_NOCASE (*nocase = 1) its letters are stored lower case
 * and the prefilter must compare them ASCII case-insensitively.
 */
const uint8_t	*pat_literal(const void *blob, size_t *len, int *nocase);

/*
 * pat_verify - the prefilter found the literal factor ending at lit_end
 * (exclusive offset into buf).  Return 1 if the whole pattern matches
 * with its literal at exactly that place and the match start in
 * [smin, smax] (smax may be PAT_UNBOUNDED); set *mstart and *mend
 * (exclusive).  0 otherwise.  The literal itself is re-checked.  The
 * match reported is the one with the latest start and earliest end
 * around that literal.  Work is bounded by PAT_BUDGET steps (byte
 * comparisons of an element, gap lengths tried); past the bound the
 * answer is 0, no match.  Scanning for parts across "*" uses memchr()
 * style searches that are not counted, so a call is O(len) at worst.
 */
int		 pat_verify(const void *blob, const uint8_t *buf, size_t len,
		    size_t lit_end, size_t smin, size_t smax, size_t *mstart,
		    size_t *mend);

/*
 * pat_search - reference search without prefilter: first match (smallest
 * start) with start in [smin, smax].  1 with *mstart and *mend set, or
 * 0.  Its budget is PAT_BUDGET plus 4 steps per byte of buf.
 */
int		 pat_search(const void *blob, const uint8_t *buf, size_t len,
		    size_t smin, size_t smax, size_t *mstart, size_t *mend);

/*
 * pat_verify_ex, pat_search_ex - the same with an explicit step budget;
 * they return -1 when the budget ran out before the answer was known
 * (pat_verify and pat_search report that as 0).
 */
int		 pat_verify_ex(const void *blob, const uint8_t *buf,
		    size_t len, size_t lit_end, size_t smin, size_t smax,
		    unsigned long budget, size_t *mstart, size_t *mend);
int		 pat_search_ex(const void *blob, const uint8_t *buf,
		    size_t len, size_t smin, size_t smax, unsigned long budget,
		    size_t *mstart, size_t *mend);

size_t		 pat_minlen(const void *blob);	/* shortest match length */
size_t		 pat_bloblen(const void *blob);	/* size of the blob */

#endif
