/*
 * client.h - the vigild client library (libvigilclient)
 *
 * A front end (vigil-scan, vigil-smtpd, vigil-icapd, vigilctl...) opens one
 * connection to vigild and sends any number of requests on it, one at a
 * time; a connection is not shared between threads without a lock.  The
 * wire protocol is doc/native-protocol.md.
 *
 * Return codes of the request functions:
 *	0			the verdict is in *res
 *	VIGIL_CLIENT_EBUSY	vigild is busy; err says why
 *	VIGIL_CLIENT_EPROTO	an error reply (VERROR) or a reply that does
 *				not parse; err says why
 *	-1			transport error (connect, I/O, timeout, peer
 *				closed); the connection is unusable and every
 *				later request fails at once.  Also a bad
 *				argument (fd < 0, res NULL...): then nothing
 *				was sent and the connection is unchanged
 * After a verdict, a VERROR reply or a busy reply read in full, the
 * connection serves the next request; vigil_client_usable() tells.
 * The library never raises SIGPIPE, makes every descriptor close-on-exec
 * and bounds every wait by the timeout given to vigil_client_open().
 */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/vigil.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VIGIL_CLIENT_EBUSY	(-2)
#define VIGIL_CLIENT_EPROTO	(-3)

struct vigil_client;

/*
 * vigil_client_open - connect to vigild.  address: "/path/to/socket" (a
 * unix socket: any address starting with '/' or '.', or holding no ':'),
 * "host:port" or "[v6addr]:port" (TCP).  timeout_ms bounds the connect
 * and every later wait for the socket (<= 0: no bound).  NULL with a
 * reason in err on failure; errno is then connect's (ENOENT or
 * ECONNREFUSED: nobody listens there).
 */
struct vigil_client *vigil_client_open(const char *address, int timeout_ms,
		    char *err, size_t errlen);

/* vigil_client_close - close the connection and free; NULL is a no-op */
void		vigil_client_close(struct vigil_client *);

/* vigil_client_usable - 1 while requests may still be sent */
int		vigil_client_usable(const struct vigil_client *);

/* vigil_client_det - one detection; the strings belong to the result */
struct vigil_client_det {
	enum vigil_status	 status;
	char			*threat;	/* NULL when absent */
	char			*object;	/* "" for the scanned object */
	char			*reason;	/* NULL when absent */
};

/* vigil_client_result - a verdict; release with vigil_client_result_free() */
struct vigil_client_result {
	enum vigil_status	 status;
	char			*threat;	/* NULL when absent */
	char			*reason;	/* NULL when absent */
	unsigned		 ndet;
	struct vigil_client_det	*det;
	uint64_t		 bytes;		/* bytes scanned, members included */
	unsigned		 objects;	/* objects scanned */
	uint64_t		 usec;		/* vigild's scan time */
	int			 cached;	/* verdict from vigild's cache */
	int			 cured_fd;	/* -1 unless cure was asked and done;
						 * read-only, at offset 0; the
						 * caller closes it */
	char			 db[65];	/* database version, or "" */
};

/* vigil_client_opts - a request's options; NULL or zeroed: defaults */
struct vigil_client_opts {
	const struct vigil_limits *lim;	/* NULL: vigild's defaults (no
					 * limit keys are sent) */
	int			 cure;	/* ask for a cured copy (unix socket only) */
	const char		*name;	/* object name for vigild's log; NULL: none;
					 * cut at 1023 bytes */
	const char		*client;	/* who asks, for the log; cut at 255 */
};

/*
 * vigil_client_scan_fd - scan the file open on fd, from offset 0 (fd's
 * offset is not used or changed; fd stays the caller's).  On a unix
 * socket fd itself is passed to vigild (VSCAN); over TCP its content is
 * read with pread() and streamed (VINSTREAM).  *res is always
 * initialised; on a non-zero return it holds nothing to free.
 */
int		vigil_client_scan_fd(struct vigil_client *, int fd,
		    const struct vigil_client_opts *,
		    struct vigil_client_result *res, char *err, size_t errlen);

/*
 * vigil_client_scan_buffer - scan len bytes at buf, streamed in chunks of
 * 64 KiB (VINSTREAM).  Same results as vigil_client_scan_fd().  When vigild
 * answers before the end of the stream (e.g. too large), that answer is
 * returned and the connection becomes unusable.
 */
int		vigil_client_scan_buffer(struct vigil_client *, const void *buf,
		    size_t len, const struct vigil_client_opts *,
		    struct vigil_client_result *res, char *err, size_t errlen);

/* vigil_client_result_free - free res's strings and detections (not
 * cured_fd); res is left empty (cured_fd -1).  NULL is a no-op. */
void		vigil_client_result_free(struct vigil_client_result *res);

/*
 * vigil_client_command - send a clamd or control command (cmd without
 * prefix or delimiter: "PING", "VERSION", "STATS", "RELOADDB",
 * "STATUS"...) as 'n' + cmd + '\n' and read its reply into reply,
 * without the trailing delimiter: the lines up to and including "END"
 * joined by '\n' for "STATS", one line otherwise, nothing for
 * "SHUTDOWN".  0, or -1 with a reason in err (a reply longer than
 * replylen - 1 is an error, the connection stays usable).
 */
int		vigil_client_command(struct vigil_client *, const char *cmd,
		    char *reply, size_t replylen, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
