/*
 * smtp_msg.h - reading and rewriting one message for vigil-smtpd
 *
 * The message is the whole RFC 5322 text as received (lines end CRLF,
 * may hold NUL and 8-bit bytes), mapped in memory; nothing here needs it
 * NUL-terminated.  The MIME structure is walked with the engine's
 * parser (lib/engine/mime.h), so parts are numbered exactly as the
 * engine names them in detections ("partN", "partN:file").  Output goes
 * to a capped strbuf; every function returns -1 with errno (E2BIG when
 * the strbuf's cap is reached, ENOMEM) and leaves a partial output.
 */
#ifndef VIGIL_SMTP_MSG_H
#define VIGIL_SMTP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * msg_header_end - the header block: returns the offset where the body
 * starts (just past the empty line) and sets *ins to the offset where
 * header fields are added (the start of the empty line).  Without an
 * empty line both are len.  A line that is not a header field ("Name:
 * value" or a continuation line) ends the
 * header block as if an empty line stood before it; then body start ==
 * *ins == that line's offset.  (Same rule as the engine's; unlike the
 * engine, an mbox "From " first line is not skipped: it ends the block
 * at 0.)  When *ins == len and m does not end in '\n', the caller must
 * write a line end before adding fields.
 */
size_t	msg_header_end(const uint8_t *m, size_t len, size_t *ins);

/*
 * msg_header - the first field called name (case-insensitive) in
 * m[0..hdrlen), unfolded, leading and trailing blanks removed, control
 * bytes (NUL, CR, LF, TAB...) turned into spaces, cut at outlen - 1.
 * Returns 1 when found, 0 when not (out is then "").
 */
int	msg_header(const uint8_t *m, size_t hdrlen, const char *name,
	    char *out, size_t outlen);

/* One leaf part, as the engine numbers them. */
struct msg_part {
	unsigned	 index;		/* 1-based: "partN" */
	const char	*filename;	/* decoded; NULL when none */
	const char	*ctype;		/* declared, lower case ("text/plain" by default) */
	const char	*dtype;		/* detected from the first bytes of the
					   decoded content (msg_sniff), NULL when
					   nothing was recognised */
	size_t		 size;		/* decoded size */
};

/*
 * msg_parts - call cb for every leaf part in document order (data valid
 * during the call only); stops when cb returns non-zero.  Bounded by the
 * engine's default MIME limits.  Returns 0, 1 when cb stopped the walk,
 * -1 with errno (ENOMEM, E2BIG: a limit; the parts before it were seen).
 */
int	msg_parts(const uint8_t *m, size_t len,
	    int (*cb)(const struct msg_part *, void *), void *arg);

/*
 * msg_sniff - a MIME type recognised from content's first bytes, or
 * NULL: application/x-dosexec (MZ), application/x-executable (ELF),
 * application/x-mach-binary, application/zip, application/x-rar,
 * application/x-7z-compressed, application/gzip, application/x-bzip2,
 * application/x-xz, application/x-tar, application/pdf,
 * application/x-ole-storage (MS Office 97 files), application/rtf,
 * image/png, image/gif, image/jpeg, text/html (a "<html" or
 * "<!doctype html" start after blanks, case-insensitive),
 * application/x-sh ("#!"), application/java-archive is not told from
 * zip.
 */
const char *msg_sniff(const uint8_t *d, size_t n);

/*
 * msg_remove_parts - append to out the message with the leaf parts whose
 * index is in idx[0..n) replaced by a text/plain part holding notice
 * (UTF-8 text, any line ends; written with CRLF); everything else byte
 * for byte (the engine's mime_rewrite).  Returns the number of parts
 * replaced: 0 when none of idx exists (out is then empty) or -1.
 * Decisions: the notice's line ends are those of the message's first
 * line (what mime_rewrite uses for the part's header lines: CRLF for
 * SMTP mail, LF for an LF-only message), its trailing line ends are
 * dropped, and a notice line starting "--" is indented by one space so
 * that it cannot pass for a boundary.  A message whose first fields are
 * ones mime_kind does not know is still handled; EINVAL when even then
 * it is not one message to the engine (an mbox "From " line, a first
 * line that is not a header field).
 */
int	msg_remove_parts(const uint8_t *m, size_t len, const unsigned *idx,
	    size_t n, const char *notice, struct strbuf *out);

/*
 * msg_wrap - append to out a new message: the header fields of m except
 * MIME-Version and Content-* (byte for byte, in order), then
 * "MIME-Version: 1.0" and a multipart/mixed Content-Type with a fresh
 * boundary that occurs nowhere in m, then two parts: report (text/plain;
 * charset=utf-8, Content-Transfer-Encoding 8bit, inline, any line ends
 * written CRLF) and m itself as message/rfc822 (Content-Disposition:
 * inline), then the closing boundary.  Returns 0 or -1.
 * Details: the boundary ("vigil=_" and 32 random hex digits) occurs in
 * neither m nor report; the message/rfc822 part also gets
 * "Content-Transfer-Encoding: 8bit" when m holds 8-bit bytes; folded
 * lines before the first field are dropped, and a last field without a
 * line end gets CRLF.  EAGAIN only with a broken random source.
 */
int	msg_wrap(const uint8_t *m, size_t len, const char *report,
	    struct strbuf *out);

/*
 * Notifications.  Macros are ${NAME}; "$$" is a '$'; an unknown macro
 * is kept as written.  Values come from msg_vars (NULL: empty):
 *	SENDER RECIPIENTS STATUS ACTION THREATS OBJECTS GROUP MESSAGE_ID
 *	SUBJECT FROM TO DATE HOSTNAME QUEUE_ID QUARANTINE TIME
 *	HEADERS (the original header block, as received)
 */
struct msg_vars {
	const char	*sender, *recipients, *status, *action, *threats;
	const char	*objects;	/* one object per line: "partN:file STATUS threat" */
	const char	*group, *message_id, *subject, *from, *to, *date;
	const char	*hostname, *queue_id, *quarantine, *time;
	const uint8_t	*headers;	/* the original header block */
	size_t		 headers_len;
};

/*
 * msg_expand - append tmpl (tlen bytes) to out with the macros expanded.
 * flat: every value's control bytes (CR, LF, TAB, NUL...) become spaces
 * and each value is cut at 900 bytes (for header lines); else values go
 * in as they are, with their line ends made CRLF.
 * Details: flat keeps tmpl's own bytes as they are; not flat makes every
 * line end CRLF, tmpl's too (CRLF, LF and a lone CR count), and NUL
 * bytes (HEADERS) spaces.  The 900-byte cut does not split a UTF-8
 * sequence.  Macro names are upper case, as listed.
 */
int	msg_expand(const char *tmpl, size_t tlen, const struct msg_vars *v,
	    int flat, struct strbuf *out);

/*
 * msg_notify - append a complete notification message to out.  tmpl is
 * a template: header lines ("Subject: ...", any others), an empty line,
 * then the body; without an empty line it is all body and the subject
 * is "vigil: ${STATUS} message".  Header lines are expanded flat, the
 * body not.  The message gets, in this order: the template's header
 * fields (a From, To, Date, Message-ID, MIME-Version, Content-Type or
 * Content-Transfer-Encoding there is dropped), "From: <from>", "To: "
 * with to (comma-separated addresses), "Date:" (now, RFC 5322),
 * "Message-ID: <random@hostname>", "Auto-Submitted: auto-generated",
 * "MIME-Version: 1.0", then either a text/plain; charset=utf-8 8bit
 * body (attach NULL) or a multipart/mixed with the body as its first
 * part and attach (attach_len bytes, a whole message) as a
 * message/rfc822 attachment.  All line ends CRLF.
 * Details: the template's first lines are header lines only when every
 * line before the empty line is a field or a folded line; Auto-Submitted
 * there is dropped too; a template without Subject gets the default one.
 * Header lines are cut at 998 octets (folded lines that come out blank
 * are dropped); body lines are broken before 998 octets.  from or to
 * NULL or blank: "MAILER-DAEMON@host" and "undisclosed-recipients:;";
 * both are flattened.  The Message-ID host is v->hostname reduced to
 * [A-Za-z0-9._-] (else gethostname(), else "localhost").  The attached
 * part is "Content-Disposition: attachment" (8bit as in msg_wrap); its
 * boundary occurs neither in attach nor in the body.  Header values are
 * not RFC 2047-encoded: 8-bit text goes in raw (UTF-8 per RFC 6532).
 */
int	msg_notify(const char *tmpl, size_t tlen, const struct msg_vars *v,
	    const char *from, const char *to, const uint8_t *attach,
	    size_t attach_len, struct strbuf *out);

#endif
