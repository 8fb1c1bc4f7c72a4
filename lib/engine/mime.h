/*
 * mime.h - mail parser: RFC 5322 messages, MIME parts, mbox, cure
 *
 * The engine holds a whole object in memory and asks three questions:
 * is it mail (mime_kind), what are its leaf parts, decoded (mime_walk),
 * and, to cure, what does it look like with some parts replaced by a
 * notice (mime_rewrite).  An mbox is split with mbox_walk first.  All
 * positions are offsets into the caller's buffer, which need not be
 * NUL-terminated.  Nothing here recurses into message/rfc822 parts: they
 * are delivered as leaves and the engine calls back in with depth + 1.
 */
#ifndef VIGIL_MIME_H
#define VIGIL_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum mime_enc {
	MIME_ENC_7BIT, MIME_ENC_8BIT, MIME_ENC_BINARY, MIME_ENC_QP,
	MIME_ENC_BASE64, MIME_ENC_UU, MIME_ENC_OTHER
};

/*
 * mime_kind - 0: not mail; 1: one RFC 5322 message; 2: an mbox (first
 * line "From " and a message header block after it).  A message starts at
 * offset 0 with a header block whose first one or two fields are
 * "Name: value" lines and at least one of them is a well-known mail
 * header (From, To, Subject, Date, Received, Return-Path, Message-ID,
 * MIME-Version, Content-Type, Delivered-To, X-*, Reply-To, Sender, Cc,
 * DKIM-Signature, Authentication-Results, ARC-*).  Reads at most the
 * first 4 KiB; cheap on non-mail.
 */
int	mime_kind(const uint8_t *buf, size_t len);

struct mime_part {
	unsigned	 index;		/* 1-based, document order over leaves (uu blocks included) = N in "partN" */
	unsigned	 depth;		/* multipart nesting depth, 0 for the top-level body */
	const char	*filename;	/* decoded, '/' and controls -> '_'; NULL if none; valid during the callback */
	char		 ctype[64];	/* lower-case "type/subtype"; "text/plain" when absent or invalid */
	enum mime_enc	 enc;
	size_t		 hdr_off;	/* this part's header block (top-level leaf: the body start) */
	size_t		 body_off, body_end;	/* raw body; body_end excludes the line end before the next boundary */
	int		 corrupt;	/* missing closing boundary, truncated header, bad encoding */
};

/* 0 = defaults: 10000 parts, depth 64, 64 MiB decoded in total */
struct mime_limits {
	unsigned	max_parts;
	unsigned	max_depth;
	size_t		max_decoded;
};

/*
 * mime_walk - walk one message.  For each leaf part, in document order,
 * decode its body (base64, quoted-printable, uuencode as declared; 7bit,
 * 8bit, binary and unknown encodings as they are) and call
 * cb(part, data, len, arg); part and data are valid only during the call.
 * In text parts (type "text", and a message without Content-Type), each
 * uuencoded block found in the decoded text is delivered as an extra leaf
 * right after the text part: enc MIME_ENC_UU, filename from its "begin"
 * line, hdr_off that of the text part; body_off/body_end are the block's
 * data lines when the text part was not encoded, else the text part's
 * body.  A part declared MIME_ENC_UU delivers its first block.
 * message/rfc822 and message/global parts are leaves.  A multipart
 * without a boundary parameter, or whose boundary never appears, is one
 * leaf (its body) with corrupt = 1.  In multipart/digest a part without
 * Content-Type is message/rfc822.  Preamble and epilogue are skipped.
 * Limits: max_parts leaves; multiparts nested deeper than max_depth;
 * max_decoded bytes produced by base64/qp/uu decoding over the walk (the
 * part that crosses it is delivered cut at the limit).
 * Returns 0; 1 when cb returned non-zero; -1 with errno ENOMEM, or E2BIG
 * when a limit was hit (everything before it was delivered).
 * *corrupt_out (may be NULL) is set to 1 when anything was malformed,
 * else 0.
 */
int	mime_walk(const uint8_t *buf, size_t len, const struct mime_limits *lim,
	    int (*cb)(const struct mime_part *, const uint8_t *data,
	    size_t len, void *arg), void *arg, int *corrupt_out);

/*
 * mbox_walk - split an mbox at lines beginning "From " that are at
 * offset 0 or follow a blank line; cb gets each message's range without
 * its From_ line and without the blank separator line, index 1-based.
 * Data before the first From_ line (if the buffer does not start with
 * one) is message 1.  Returns 0, 1 when cb returned non-zero, -1 with
 * errno E2BIG after lim->max_parts messages (those were delivered).
 */
int	mbox_walk(const uint8_t *buf, size_t len, const struct mime_limits *lim,
	    int (*cb)(unsigned index, size_t off, size_t len, void *arg),
	    void *arg);

/*
 * mime_rewrite - cure: append to out the message with every leaf for
 * which drop(part, arg) returns 1 replaced by a 7bit text/plain;
 * charset=utf-8 part whose body is notice (headers Content-Type,
 * Content-Transfer-Encoding and Content-Disposition: inline).  Leaves are
 * numbered exactly as mime_walk numbers them; drop sees no data.
 * Structure, boundaries and undropped parts are copied byte for byte.  A
 * dropped top-level (non-multipart) body keeps the message's other header
 * fields and gets the three new ones.  A dropped uuencoded block of an
 * unencoded text part is cut out of the text and replaced by a notice
 * line; in an encoded text part the whole text part is replaced.  Line
 * ends follow the message's first line.  Returns the number of parts
 * replaced, or -1: EINVAL when mime_kind(buf, len) != 1, E2BIG from out's
 * cap or a limit, ENOMEM; out then holds a partial copy.
 */
int	mime_rewrite(const uint8_t *buf, size_t len,
	    const struct mime_limits *lim,
	    int (*drop)(const struct mime_part *, void *arg), void *arg,
	    const char *notice, struct strbuf *out);

#endif
