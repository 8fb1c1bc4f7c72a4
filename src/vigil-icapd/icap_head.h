/*
 * icap_head.h - ICAP request heads (RFC 3507) and the HTTP heads they
 * encapsulate: pure parsers over the caller's bytes
 *
 * Nothing here allocates or does I/O.  Every pointer a parser stores
 * (fields, URI, method, target) points into the caller's buffer and is
 * valid as long as that buffer is.  Input is untrusted: every line is at
 * most ICAP_MAXLINE bytes, a head has at most ICAP_MAXHDRS header lines
 * and at most ICAP_MAXHEAD bytes.
 */
#ifndef VIGIL_ICAP_HEAD_H
#define VIGIL_ICAP_HEAD_H

#include <stddef.h>
#include <stdint.h>

#define ICAP_MAXHDRS	128
#define ICAP_MAXHEAD	(64 * 1024)	/* callers pass at most this much */
#define ICAP_MAXLINE	8192		/* bytes of a line, without its end */

struct icap_field {		/* points into the caller's buffer */
	const char	*name;  size_t nlen;
	const char	*value; size_t vlen;	/* leading/trailing blanks trimmed */
};

enum icap_method { ICAP_OPTIONS = 1, ICAP_REQMOD, ICAP_RESPMOD };
enum icap_part { ICAP_REQ_HDR = 1, ICAP_RES_HDR, ICAP_REQ_BODY, ICAP_RES_BODY,
	ICAP_NULL_BODY, ICAP_OPT_BODY };

struct icap_req {
	enum icap_method method;
	const char	*uri;     size_t urilen;	/* as sent: icap://host[:port]/path[?query] */
	const char	*service; size_t svclen;	/* the path, e.g. "/av/respmod" (no query) */
	const char	*query;   size_t qlen;		/* after '?', or NULL */
	struct icap_field f[ICAP_MAXHDRS];
	size_t		 nf;
	struct { enum icap_part part; size_t off; } enc[4];	/* Encapsulated, in order */
	size_t		 nenc;
	int64_t		 preview;	/* Preview: bytes, or -1 when absent */
	int		 allow204, allow206;	/* Allow: 204 / 206 */
	int		 close;		/* Connection: close */
	char		 error[128];	/* why, when the parse fails */
};

/*
 * icap_req_parse - an ICAP request head at buf (the request line, header
 * lines, the empty line).  Returns the head's length in bytes (> 0) when
 * complete; 0 when more bytes are needed (no empty line yet within len);
 * or a negative ICAP status with r->error set:
 *   -400  malformed: a request line that is not exactly "METHOD SP URI SP
 *         VERSION", a URI that is not icap://authority[/path][?query]
 *         (icaps:// too; printable ASCII only), a header without ':' or
 *         with a bad name, control bytes in a value, header folding (a
 *         line starting with SP/HT), a bare CR, an empty first line;
 *         Encapsulated that is missing (REQMOD, RESPMOD), repeated, has an
 *         empty, unknown or duplicate entry, an offset that is not 1..9
 *         digits, a first offset other than 0, offsets not strictly
 *         increasing, parts out of order (req-hdr before res-hdr), a body
 *         entry that is not last or no body entry, a part the method does
 *         not carry (REQMOD: req-hdr required, no res-*, no opt-body;
 *         RESPMOD: no req-body, no opt-body; OPTIONS: only opt-body or
 *         null-body); Preview that is repeated or not 1..18 digits; a line
 *         longer than ICAP_MAXLINE; more than ICAP_MAXHDRS headers; no
 *         complete head within the first ICAP_MAXHEAD bytes.
 *   -501  a well-formed method token other than OPTIONS, REQMOD, RESPMOD
 *         (methods are case-sensitive).
 *   -505  a version other than "ICAP/1.0" (checked before the method).
 * Lines end in CRLF; a bare LF is accepted as well.  Errors are found as
 * soon as the offending line is complete (or, for limits, as soon as it
 * is certain), so a prefix of a valid head always returns 0.  Allow and
 * Connection are comma lists (several headers combine); unknown Allow
 * tokens ("trailers") are ignored.  Every header, known or not, is in
 * r->f in the order sent.  len may exceed ICAP_MAXHEAD; only that many
 * bytes are looked at.
 */
int	icap_req_parse(const char *buf, size_t len, struct icap_req *r);

/* icap_field_get - first field with this name (case-insensitive), or NULL */
const struct icap_field *icap_field_get(const struct icap_field *f, size_t nf,
	    const char *name);

struct http_head {
	int		 is_request;
	const char	*method; size_t mlen;	/* request */
	const char	*target; size_t tlen;	/* request: URL or path */
	int		 status;		/* response: 100..999 */
	int		 minor;			/* HTTP/1.x */
	struct icap_field f[ICAP_MAXHDRS];
	size_t		 nf;
	int64_t		 content_length;	/* -1 when absent; -2 when invalid/conflicting */
	int		 chunked;		/* Transfer-Encoding ends in chunked */
	char		 error[128];
};

/*
 * http_head_parse - an encapsulated HTTP request or response head: exactly
 * len bytes, which must end with the empty line (the Encapsulated section
 * between two offsets).  0 ok, -1 with h->error.  Same line rules and
 * bounds as icap_req_parse (len > ICAP_MAXHEAD is an error).
 * A line starting with "HTTP/" is a status line "HTTP/1.x SP 3DIGIT
 * [SP reason]", anything else a request line "method SP target SP
 * HTTP/1.x" (target: printable ASCII or bytes >= 0x80).  Bytes after the
 * first empty line are an error.  Content-Length: all values of all
 * Content-Length headers (comma lists too) must be the same 1..18 digit
 * number, else -2; it is reported even when chunked is set.
 */
int	http_head_parse(const char *buf, size_t len, struct http_head *h);

/*
 * http_encodings - the Content-Encoding list of h as flags: 1 gzip (or
 * x-gzip), 2 deflate, 4 identity only/none, 8 something else (br,
 * compress, unknown).  Several headers or a comma list combine; identity
 * and empty elements add nothing, and 4 is given only when nothing else is.
 */
unsigned http_encodings(const struct http_head *h);

/*
 * http_media_type - Content-Type's type/subtype, lower-cased into out (no
 * parameters); "" when absent, when not token/token, or when it does not
 * fit in outlen (a cut type would mislead).  Nothing is written when
 * outlen is 0.  The first Content-Type header counts.
 */
void	http_media_type(const struct http_head *h, char *out, size_t outlen);

#endif
