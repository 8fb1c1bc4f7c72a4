/*
 * vigilctl_sock.c - vigilctl's side of a daemon's ControlSocket
 *
 * DESIGN: one connection per command, through the client library
 * (include/vigil/client.h): connect to the unix socket, send the command,
 * read its reply (one line, or for STATS every line through "END"),
 * close.  Every wait is bounded by the timeout; the errno of a failed
 * connect tells "not running" from "not answering".  Replies are printed
 * through ctl_clean(): the daemon is ours, but its replies can carry file
 * names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/client.h"
#include "vigilctl.h"

/* ctl_request - see vigilctl.h */
int
ctl_request(const char *path, const char *cmd, long timeout_ms,
    struct strbuf *out, char *why, size_t whylen)
{
	struct vigil_client	*c;
	char			 err[512], *reply;
	int			 e = 0, rc = -1;

	strbuf_reset(out);
	if ((reply = malloc(out->max)) == NULL) {
		snprintf(why, whylen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	if ((c = vigil_client_open(path, (int)timeout_ms, err,
	    sizeof(err))) == NULL) {
		e = errno;
		snprintf(why, whylen, "%s: %s", path, err);
		goto out;
	}
	if (vigil_client_command(c, cmd, reply, out->max, err,
	    sizeof(err)) == -1) {
		e = strstr(err, "timed out") ? ETIMEDOUT : ECONNRESET;
		snprintf(why, whylen, "%s: %s: %s", path, cmd, err);
		goto out;
	}
	/* the reply's lines, each ended by '\n' */
	if (strbuf_printf(out, "%s\n", reply) == -1) {
		e = E2BIG;
		snprintf(why, whylen, "%s: %s: reply too long", path, cmd);
		goto out;
	}
	rc = 0;
out:
	vigil_client_close(c);
	free(reply);
	if (rc == -1)
		errno = e;
	return rc;
}

/* ctl_clean - see vigilctl.h */
char *
ctl_clean(char *dst, size_t dstlen, const char *src)
{
	size_t		 i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i + 1 < dstlen && src[i] != '\0' && src[i] != '\n'; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}
