/*
 * vproto.h - vigil's native protocol between vigild and its front ends:
 * the text of requests' options and of scan replies, both directions
 *
 * doc/native-protocol.md is the reference; in short:
 *	client:	"nVSCAN OPTS\n" + one fd (SCM_RIGHTS), or
 *		"nVINSTREAM OPTS\n" + chunks (4-byte big-endian length, data;
 *		a 0 length ends)
 *	server:	"VRESULT status=S ndet=N objects=N bytes=N usec=N cached=B
 *		cured=B db=HEX[ threat=PCT][ reason=PCT]", N lines "VDET
 *		status=S object=PCT[ threat=PCT][ reason=PCT]", "VEND"; or one
 *		"VERROR code=WORD msg=PCT"
 * OPTS and reply lines are space-separated key=value pairs; PCT is
 * percent-encoding of the bytes outside 0x21..0x7e and of '%' and '='.
 *
 * Both sides use this module: the server parses OPTS and formats replies,
 * the client formats OPTS and parses reply lines.  It depends on libc and
 * strbuf only (not on libvigil), so the client library can carry it.
 * Every parser is strict (unknown or repeated key, bad number, bad %XX:
 * error) and bounded (a line is at most VPROTO_LINE_MAX bytes).
 */
#ifndef VIGIL_VPROTO_H
#define VIGIL_VPROTO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "vigil/vigil.h"
#include "strbuf.h"

#define VPROTO_LINE_MAX	16384	/* one line, its delimiter included */
#define VPROTO_NDET_MAX	10000	/* VDET lines of one reply */
#define VPROTO_CHUNK	65536	/* VINSTREAM chunk the client library sends */

/* vproto_req - a VSCAN/VINSTREAM request's options */
struct vproto_req {
	struct vigil_limits lim;	/* starts as vproto_opts_parse's defaults */
	int	 cure;
	char	 name[1024];		/* decoded; "" when absent */
	char	 client[256];
};

/*
 * vproto_opts_format - OPTS text for req into out (appended, no
 * delimiter): set, flags, every limit, cure, and name and client when not
 * empty.  Flag bits without a protocol word are left out.  0, or -1 with
 * errno (ENOMEM, E2BIG past out's cap).
 */
int	vproto_opts_format(struct strbuf *out, const struct vproto_req *req);

/*
 * vproto_opts_format_lim - the same with the limit keys (set, flags,
 * max*) only when lim is not NULL; name and client may be NULL (absent).
 * The client library uses it to leave limits to vigild's defaults.
 */
int	vproto_opts_format_lim(struct strbuf *out, const struct vigil_limits *lim,
	    int cure, const char *name, const char *client);

/*
 * vproto_opts_parse - parse OPTS (len bytes, no delimiter; may be empty)
 * into *out, starting from *defaults for the limits (NULL: all zero),
 * cure 0 and empty names.  0, or -1 with a one-line reason in err (lower case, printable;
 * the server may send it back as a VERROR msg).
 */
int	vproto_opts_parse(const char *s, size_t len,
	    const struct vigil_limits *defaults, struct vproto_req *out,
	    char *err, size_t errlen);

/* vproto_meta - what a scan reply carries besides the engine's result */
struct vproto_meta {
	uint64_t	 usec;		/* wall time of the scan */
	int		 cached;	/* verdict came from the cache */
	int		 cured;		/* a cured copy follows with VEND */
	const char	*db;		/* database version: 64 hex digits, or "" */
};

/*
 * vproto_result_format - the VRESULT line, one VDET line per detection
 * and the VEND line for res, each ended by delim ('\n' or '\0'),
 * appended to out.  At most VPROTO_NDET_MAX detections are sent (ndet
 * says how many follow); values too long for a line are cut (threat at
 * 2048, reason at 4096, object at 8192 encoded bytes) so that no line
 * passes VPROTO_LINE_MAX.  0, or -1 with errno (ENOMEM/E2BIG; EINVAL
 * when meta->db is neither "" nor 64 hex digits, or delim is bad).
 */
int	vproto_result_format(struct strbuf *out, const struct vigil_result *res,
	    const struct vproto_meta *meta, char delim);

/*
 * vproto_error_format - one "VERROR code=CODE msg=PCT" line ended by
 * delim.  code is one of busy badrequest nofd toolarge timeout internal
 * (any lower-case word is accepted); msg is cut at 4096 encoded bytes.
 * 0, or -1 with errno (ENOMEM/E2BIG; EINVAL for a bad code or delim).
 */
int	vproto_error_format(struct strbuf *out, const char *code,
	    const char *msg, char delim);

/* vproto_pct_encode - append s[0..n) percent-encoded; 0 or -1 (errno) */
int	vproto_pct_encode(struct strbuf *out, const char *s, size_t n);

/*
 * vproto_pct_decode - decode s[0..n) into dst (dstlen bytes, NUL
 * included); dst may be s itself.  Accepts %XX in either case; a raw
 * byte outside 0x21..0x7e or a raw '=' is an error.  Returns the decoded
 * length (which may include NUL bytes from %00), or -1 on a bad %XX, a
 * bad raw byte or when the result and its NUL do not fit.
 */
ssize_t	vproto_pct_decode(const char *s, size_t n, char *dst, size_t dstlen);

enum vproto_cmd {
	VPROTO_CMD_NONE = 0,		/* not a native command */
	VPROTO_CMD_VSCAN,
	VPROTO_CMD_VINSTREAM
};

/*
 * vproto_command - the native command in a command line (its 'n'/'z'
 * prefix and delimiter removed): "VSCAN", "VSCAN " + OPTS, "VINSTREAM"
 * or "VINSTREAM " + OPTS.  Sets *opts and *optslen to the OPTS text
 * (empty when there is none).  VPROTO_CMD_NONE for anything else
 * ("VSCANX", clamd's commands), leaving *opts alone.
 */
enum vproto_cmd vproto_command(const char *line, size_t n, const char **opts,
	    size_t *optslen);

/* vproto_status_name - the protocol word for a status ("INFECTED"...);
 * the same words as vigil_status_name() */
const char *vproto_status_name(enum vigil_status);

/* vproto_status_parse - status by its exact word; -1 when unknown */
int	vproto_status_parse(const char *s, size_t n, enum vigil_status *out);

enum vproto_line_kind {
	VPROTO_LINE_RESULT = 1,		/* VRESULT */
	VPROTO_LINE_DET,		/* VDET */
	VPROTO_LINE_END,		/* VEND */
	VPROTO_LINE_ERROR		/* VERROR */
};

/*
 * vproto_line - one parsed reply line.  The string pointers point into
 * the line given to vproto_reply_line_parse (decoded in place) and live
 * as long as it does.
 */
struct vproto_line {
	enum vproto_line_kind kind;
	enum vigil_status status;	/* RESULT, DET */
	unsigned	 ndet;		/* RESULT: VDET lines that follow */
	unsigned	 objects;	/* RESULT */
	uint64_t	 bytes;		/* RESULT */
	uint64_t	 usec;		/* RESULT */
	int		 cached;	/* RESULT */
	int		 cured;		/* RESULT */
	char		 db[65];	/* RESULT: 64 hex or "" */
	const char	*threat;	/* RESULT, DET: NULL when absent */
	const char	*reason;	/* RESULT, DET: NULL when absent */
	const char	*object;	/* DET: "" for the scanned object */
	const char	*code;		/* ERROR: "busy", ... */
	const char	*msg;		/* ERROR */
};

/*
 * vproto_reply_line_parse - parse one reply line (n bytes, delimiter
 * removed).  line[n] must be writable (it receives a NUL); values are
 * decoded in place.  A decoded value holding a NUL byte is an error.
 * 0, or -1 with a reason in err (any other line, e.g. a clamd-shaped
 * "ERROR: ..." line, is an error too: the caller may look at it).
 */
int	vproto_reply_line_parse(char *line, size_t n, struct vproto_line *out,
	    char *err, size_t errlen);

#endif
