/*
 * lsig.h - logical signatures (.ldb): target description block and
 * logical expression
 *
 * An .ldb line is SignatureName;TargetDescriptionBlock;LogicalExpression;
 * Subsig0;Subsig1;...  The caller splits the line; this module parses the
 * second field (tdb_parse) and compiles the third (lexpr_compile) into a
 * flat blob that the scanner evaluates against per-subsignature match
 * counts (lexpr_eval).  Both parsers take untrusted text with an explicit
 * length (no NUL needed), never read past it, and on error return -1 with
 * a one-line reason in why (truncated to whylen, always NUL-terminated
 * when whylen > 0).
 *
 * TARGET DESCRIPTION BLOCK
 * Comma-separated Key:Value items, keys case-sensitive, no blanks:
 *	Engine:min-max		functionality levels; must come first
 *	Target:n		target type (0 any, 1 PE, 6 ELF, 9 Mach-O...)
 *	FileSize:min-max	file size in bytes
 *	EntryPoint:min-max	entry point offset (Target 1, 6 or 9 only)
 *	NumberOfSections:min-max  (Target 1, 6 or 9 only)
 *	Container:CL_TYPE_X	type of the enclosing container
 *	Intermediates:CL_TYPE_A>CL_TYPE_B...  up to 16 layers, top down
 *	IconGroup1:name, IconGroup2:name  (Target 1 only)
 *	HandlerType:CL_TYPE_X
 * A range is "min-max" (min <= max) or a single "n" meaning n-n; numbers
 * are decimal and fit 32 bits.  Unknown keys, repeated keys, an empty
 * block, an empty item and a value that does not parse are errors.  The
 * last four keys are checked for syntax only and recorded in unsupported
 * so that the caller can skip the signature.  Container and HandlerType
 * names are checked for shape (CL_TYPE_ + [A-Z0-9_]), not against a list
 * of known types: mapping names to types is the caller's business.
 * Deviations from ClamAV, which is stricter: Target may be absent (-1,
 * any), Engine may be absent even with the newer keys, and a single
 * number is accepted where ClamAV wants min-max.  Unknown keys are errors
 * here where ClamAV silently skips the signature.
 *
 * LOGICAL EXPRESSION
 *	expr	:= term | term op expr		op is '&' or '|'
 *	term	:= prim | prim cmp num | prim cmp num ',' num
 *	prim	:= index | '(' expr ')'	cmp is '=', '>' or '<'
 * index and num are decimal (leading zeros allowed), num < 2^32, index
 * < nsub <= LEXPR_MAXSUB.  No whitespace anywhere: ClamAV's format has
 * none, and ClamAV itself treats blanks inconsistently (a blank before a
 * block's '>' silently drops the comparison), so we refuse rather than
 * guess.  '&' and '|' have equal precedence and group to the right, the
 * way ClamAV splits at the first top-level operator: "0&1|2" is
 * "0&(1|2)" (not C's "(0&1)|2").  A comparison binds to the primary just
 * before it: "0&1>2" is "0&(1>2)".  Comparisons do not chain ("0>1=2" is
 * an error; write "(0>1)=2").  Nesting is bounded at LEXPR_MAXDEPTH
 * parentheses, the text at LEXPR_MAXLEN bytes.
 *
 * Every sub-expression E yields a truth value, a match count n(E) and a
 * set S(E) of matched subsignatures; a false E has n = 0 and S empty:
 *	i	true when counts[i] > 0; n = counts[i]; S = {i} if matched
 *	A&B	true when both are; n = n(A)+n(B); S = S(A) u S(B)
 *	A|B	true when either is; n = n(A)+n(B), S = S(A) u S(B)
 *		(a false side adds nothing)
 *	A=X	true when n(A) == X (so "A=0" is negation);
 *	A>X	true when n(A) > X;  A<X  true when n(A) < X
 *	A=X,Y	as A=X, and also |S(A)| >= Y; likewise A>X,Y and A<X,Y.
 *		When A is a single subsignature (bare or in parentheses) Y
 *		is ignored, as ClamAV's documentation says.  Y = 0 means no
 *		distinct-count condition.
 *	When a comparison holds, n and S of A pass through unchanged.
 * So for a block "(0|1|2)>5,2" the count is the total number of matches of
 * its subsignatures and Y is how many different ones matched; for an &
 * block the count is the total only when every operand holds, 0
 * otherwise ("(0&1)=0" is "not both").  A subsignature named twice is
 * counted twice in n ("(0|0)>3" holds from 2 matches) but once in S.
 * Deviations from ClamAV's engine, which follow its documentation here:
 * a comparison on a block passes S(A) upward (ClamAV drops it, so an
 * enclosing ",Y" test never sees those signatures), and "i=0" or "i<X"
 * with counts[i] == 0 adds nothing to S (ClamAV adds i).
 *
 * BLOB
 * lexpr_compile appends, at an 8-aligned offset of a strbuf, a
 * self-contained blob in host byte order: a 24-byte header (magic,
 * total length, op count, maxcount, nsub, highest index, stack depth)
 * then 32-bit op words in postfix order.  It holds no pointers, so it can
 * be written to disk and used in place from any 4-aligned address;
 * lexpr_check validates a blob that comes back from outside.
 */
#ifndef VIGIL_LSIG_H
#define VIGIL_LSIG_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* ---- target description block ---- */

struct lsig_range {
	uint32_t	 min, max;
	int		 set;		/* 0: absent, min = max = 0 */
};

#define TDB_UNSUP_INTERMEDIATES	0x1u
#define TDB_UNSUP_ICONGROUP1	0x2u
#define TDB_UNSUP_ICONGROUP2	0x4u
#define TDB_UNSUP_HANDLERTYPE	0x8u

struct tdb {
	int		 target;	/* -1 when absent (any) */
	struct lsig_range engine, filesize, entrypoint, nsections;
	char		 container[48];	/* "" or e.g. "CL_TYPE_ZIP" */
	unsigned	 unsupported;	/* TDB_UNSUP_*: keys parsed but
					   not evaluated yet */
};

/*
 * tdb_parse - parse the n bytes at s into *out (fully overwritten).
 * Returns 0, or -1 with a reason in why; *out is then unspecified.
 * Never allocates.
 */
int	 tdb_parse(const char *s, size_t n, struct tdb *out, char *why,
	    size_t whylen);

/* ---- logical expression ---- */

#define LEXPR_MAXSUB	64	/* subsignatures a signature (ClamAV) */
#define LEXPR_MAXDEPTH	64	/* parenthesis nesting */
#define LEXPR_MAXLEN	4096	/* bytes of expression text */

/*
 * lexpr_compile - compile the n bytes at s, an expression over
 * subsignatures 0..nsub-1, and append the blob to out, first padding out
 * with zero bytes to a multiple of 8.  On success *blob_off is the
 * blob's offset in out->data and 0 is returned.  On error -1 is returned,
 * why says what and where (syntax, index >= nsub, nesting deeper than
 * LEXPR_MAXDEPTH, text longer than LEXPR_MAXLEN, nsub out of 1..
 * LEXPR_MAXSUB, out full or out of memory) and out is unchanged.
 * Temporary memory is bounded by a small multiple of n.
 */
int	 lexpr_compile(const char *s, size_t n, unsigned nsub,
	    struct strbuf *out, size_t *blob_off, char *why, size_t whylen);

/*
 * lexpr_check - validate len bytes at blob (4-aligned) as a blob for
 * nsub subsignatures: header, op codes, operands, stack use.  Returns 0
 * when lexpr_eval and friends may use it, else -1.  lexpr_compile's
 * output always passes.
 */
int	 lexpr_check(const void *blob, size_t len, unsigned nsub);

/*
 * lexpr_eval - counts[i] is how many times subsignature i matched in the
 * object; returns 1 when the expression holds, else 0.  nsub is the
 * length of counts; a blob compiled for more subsignatures than that
 * never holds.  Allocation-free; uses about 2 KiB of stack.
 */
int	 lexpr_eval(const void *blob, const uint32_t *counts, unsigned nsub);

/*
 * lexpr_maxcount - the largest count value that can change the result
 * (6 for "0>5", 1 when no comparison is used): lexpr_eval gives the same
 * answer when every count is clamped to it, so the scanner may stop
 * counting a subsignature there.
 */
uint32_t lexpr_maxcount(const void *blob);

/*
 * lexpr_maxindex - the highest subsignature index the expression names.
 * ClamAV refuses an .ldb line whose expression does not name its last
 * subsignature; the caller can enforce that with this.
 */
unsigned lexpr_maxindex(const void *blob);

/* lexpr_bloblen - bytes the blob occupies, a multiple of 8 */
size_t	 lexpr_bloblen(const void *blob);

#endif
