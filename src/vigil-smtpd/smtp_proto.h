/*
 * smtp_proto.h - SMTP/LMTP wire pieces: commands, replies, DATA
 *
 * Pure functions over caller-supplied bytes: the session code
 * (smtpd_sess.c) and the forwarder (smtp_fwd.c) do the I/O.  Nothing
 * here allocates except where a strbuf is passed in; nothing needs the
 * input NUL-terminated; NUL bytes anywhere are handled (commands: a
 * syntax error; DATA: kept).
 *
 * Commands (RFC 5321, RFC 2033 LHLO, RFC 1870 SIZE, RFC 6152
 * 8BITMIME, RFC 3461 DSN, RFC 6531 SMTPUTF8, Postfix XFORWARD).
 */
#ifndef VIGIL_SMTP_PROTO_H
#define VIGIL_SMTP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define SMTP_LINE_MAX	4096	/* longest command line accepted (without CRLF) */
#define SMTP_ADDR_MAX	512	/* longest path (RFC 5321: 256) */
#define SMTP_PARAMS_MAX	1024	/* ESMTP parameters kept, as text */

enum smtp_verb {
	SV_UNKNOWN, SV_HELO, SV_EHLO, SV_LHLO, SV_MAIL, SV_RCPT, SV_DATA,
	SV_RSET, SV_NOOP, SV_QUIT, SV_VRFY, SV_HELP, SV_XFORWARD, SV_STARTTLS,
	SV_BDAT, SV_AUTH, SV_ETRN, SV_EXPN
};

enum smtp_body { SB_NONE, SB_7BIT, SB_8BITMIME, SB_BINARYMIME };

struct smtp_cmd {
	enum smtp_verb	verb;
	/* HELO/EHLO/LHLO domain, VRFY/EXPN/HELP/ETRN/AUTH/BDAT argument, or
	   XFORWARD attributes as sent ("NAME=x ADDR=1.2.3.4") */
	char		arg[SMTP_LINE_MAX + 1];
	/* MAIL FROM / RCPT TO: the path without <>, source route dropped;
	   "" for the null sender <>; RCPT TO:<Postmaster> is kept as is */
	char		addr[SMTP_ADDR_MAX + 1];
	/* the ESMTP parameters after the path, re-joined with single spaces,
	   in their order, as sent (so they can be passed downstream) */
	char		params[SMTP_PARAMS_MAX + 1];
	/* MAIL parameters, decoded */
	int64_t		size;		/* SIZE=, -1 when absent */
	enum smtp_body	body;		/* BODY= */
	int		smtputf8;	/* SMTPUTF8 given */
	char		ret[8];		/* RET=FULL|HDRS, "" when absent */
	char		envid[101];	/* ENVID= (xtext, kept encoded) */
	/* RCPT parameters */
	char		notify[40];	/* NOTIFY= as sent (upper-cased) */
	char		orcpt[SMTP_ADDR_MAX + 1];	/* ORCPT= as sent */
};

/*
 * smtp_cmd_parse - parse one command line (len bytes, without the line
 * end; a trailing CR is tolerated).  Verbs are case-insensitive; "MAIL
 * FROM:" and "RCPT TO:" accept a space before '<' and a path without
 * <> only where RFC 5321 forbids it but MTAs send it (a bare address
 * with no spaces).  Unknown ESMTP parameters on MAIL/RCPT are an error
 * (555), duplicate ones too; SIZE must be decimal; BODY one of
 * 7BIT/8BITMIME/BINARYMIME; RET FULL/HDRS; NOTIFY NEVER or a list of
 * SUCCESS/FAILURE/DELAY.
 * Returns 0, or an SMTP reply code (500 unknown verb or line too long,
 * 501 bad arguments, 555 bad MAIL/RCPT parameter) with the reply text,
 * enhanced status code first ("5.5.4 ..."), in err.  An unknown verb
 * still sets cmd->verb = SV_UNKNOWN.
 * Decided in smtp_proto.c: the verb is set whenever it is known, also
 * with a 500 for a long line; a NUL, CR or LF inside the line (besides
 * the trailing CR) is 500 in the verb, else 501; a path holds at most one
 * '@' outside quotes with both sides non-empty, no blanks or controls
 * outside quotes, and may lack a domain (not only Postmaster); 8-bit
 * addresses are accepted with or without SMTPUTF8 (the session decides);
 * an esmtp-value is printable ASCII but '=' or 8-bit (RFC 6531); a SIZE
 * beyond int64_t saturates at INT64_MAX (so the session answers 552);
 * ENVID must be valid xtext of at most 100 characters, ORCPT "atom;text";
 * XFORWARD needs name=value attributes whose names are among NAME ADDR
 * PORT PROTO HELO IDENT SOURCE, else 501.
 */
int	smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
	    char *err, size_t errlen);

/*
 * Replies (client side).  Feed each line (without its line end) to
 * smtp_reply_line(); it returns 1 when the reply is complete (a line
 * "NNN " or "NNN" after any "NNN-" lines), 0 when more lines follow, -1
 * when the line is malformed (no 3-digit code 2xx-5xx, code changes
 * between lines, more than 100 lines); the reply is then code 0.
 * text holds the lines' texts (after "NNN-"/"NNN ") joined by '\n',
 * cut at sizeof(text) - 1.
 * Call smtp_reply_init() before each reply: a line fed after a complete
 * one continues it.  After -1 every further line is -1 until init.
 */
struct smtp_reply {
	int		code;
	int		nlines;
	size_t		textlen;
	char		text[2048];
};
void	smtp_reply_init(struct smtp_reply *);
int	smtp_reply_line(struct smtp_reply *, const char *line, size_t len);

/*
 * EHLO/LHLO capabilities from a complete 250 reply's text (first line is
 * the greeting; each further line a keyword and parameters).  A reply
 * whose code is not 250 gives no capabilities.  XFORWARD names are joined
 * with single spaces and cut before the first name that does not fit.
 */
#define SMTP_EXT_PIPELINING	0x001
#define SMTP_EXT_SIZE		0x002
#define SMTP_EXT_8BITMIME	0x004
#define SMTP_EXT_DSN		0x008
#define SMTP_EXT_XFORWARD	0x010
#define SMTP_EXT_ENHANCED	0x020	/* ENHANCEDSTATUSCODES */
#define SMTP_EXT_SMTPUTF8	0x040
#define SMTP_EXT_CHUNKING	0x080
#define SMTP_EXT_BINARYMIME	0x100
struct smtp_caps {
	unsigned	ext;		/* SMTP_EXT_* */
	int64_t		size;		/* SIZE limit, 0 none announced */
	char		xforward[256];	/* XFORWARD attribute names, e.g.
					   "NAME ADDR PROTO HELO" */
};
void	smtp_caps_parse(const struct smtp_reply *, struct smtp_caps *);

/*
 * smtp_xforward_filter - keep from attrs ("NAME=a ADDR=b ...", as an
 * XFORWARD command's argument) only the attributes named in allowed
 * (space-separated, case-insensitive), appending "NAME=a ..." to out
 * (NUL-terminated, cut at outlen - 1 on an attribute boundary).
 * Returns the number of attributes kept.
 * Decided: out is written from its start (not appended to its old
 * contents); the cut drops the first attribute that does not fit and all
 * after it; a token without '=' is not an attribute and is skipped.
 */
int	smtp_xforward_filter(const char *attrs, const char *allowed,
	    char *out, size_t outlen);

/*
 * DATA, receiving side.  smtp_data_feed() consumes the bytes after the
 * 354 reply and appends the message to out with the SMTP transparency
 * removed: a leading '.' on a line is dropped ("..x" -> ".x"); lines end
 * CRLF, bare LF becomes CRLF and a bare CR is kept as is; NUL and 8-bit
 * bytes are kept.  It stops right after the terminating "." line (CRLF
 * or bare LF) and returns the number of bytes of in it consumed, so
 * pipelined commands after the terminator stay with the caller; *done
 * is then 1.  The message in out always ends with CRLF when non-empty
 * (the terminator's CRLF is not part of the message).
 * out may be flushed by the caller between calls (d keeps its own
 * state, including a partial line end across calls).
 * d->size counts message bytes produced; once it passes d->max (0: no
 * limit) nothing more is appended, d->too_big is set, and input is still
 * consumed up to the terminator.  -1 with errno from strbuf_append.
 * d->hdr_end: offset in the produced message just past the empty line
 * ending the header block (0 while not seen; set once).
 * d->hdr_8bit: a header byte >= 0x80 was seen; d->has_nul: a NUL byte.
 * d->long_line: a line longer than 998 bytes was seen.
 * Decided: d->size counts every message byte, also those past d->max, and
 * out then holds exactly the first max bytes (so, unlike a message that
 * fits, it need not end with CRLF); hdr_end and the flags still describe
 * the whole message.  A line's length is counted after unstuffing, bare
 * CRs included, line end excluded.  After done, a call consumes nothing
 * and sets *done again.  After -1, d must not be fed again.
 */
struct smtp_data {
	uint64_t	max;
	uint64_t	size;
	uint64_t	hdr_end;
	int		too_big, hdr_8bit, has_nul, long_line;
	/* private */
	int		state;
	uint64_t	linelen;
};
void	smtp_data_init(struct smtp_data *, uint64_t max);
long	smtp_data_feed(struct smtp_data *, const uint8_t *in, size_t len,
	    struct strbuf *out, int *done);

/*
 * DATA, sending side.  smtp_stuff() appends in (a piece of a message
 * whose lines end CRLF) to out with a '.' doubled at the start of each
 * line; *bol carries "at the beginning of a line" across calls (start
 * with 1).  smtp_stuff_end() appends what ends the DATA: CRLF first if
 * the last piece did not end one (*bol == 0), then ".\r\n".
 * Only LF starts a line (as for smtp_data_feed): a bare CR is passed on
 * as is.  Both return 0, or -1 with errno from strbuf_append (out may then
 * hold part of the piece).
 */
int	smtp_stuff(const uint8_t *in, size_t len, int *bol,
	    struct strbuf *out);
int	smtp_stuff_end(int bol, struct strbuf *out);

#endif
