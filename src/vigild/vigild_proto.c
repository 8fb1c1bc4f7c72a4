/*
 * vigild_proto.c - framing and naming of vigild's commands
 *
 * DESIGN
 * The clamd protocol has no length prefix: a command ends at its
 * delimiter, chosen by its first byte ('z': NUL, 'n' or none: newline).
 * Framing is done over whatever bytes have arrived, so a command split
 * across reads frames once its delimiter is in; a buffer that reaches
 * PROTO_CMD_MAX without one is an error, which bounds what a client can
 * make vigild hold.  Command words are matched exactly (clamd is
 * case-sensitive too); the argument is everything after the first space.
 *
 * Hand-written: a dozen words and two delimiters do not need a parser
 * library.
 */
#include <string.h>

#include "vigild_proto.h"

static const struct {
	const char	*name;
	enum proto_cmd	 cmd;
} cmds[] = {
	{ "PING", CMD_PING },
	{ "VERSION", CMD_VERSION },
	{ "VERSIONCOMMANDS", CMD_VERSIONCOMMANDS },
	{ "RELOAD", CMD_RELOAD },
	{ "SHUTDOWN", CMD_SHUTDOWN },
	{ "SCAN", CMD_SCAN },
	{ "CONTSCAN", CMD_CONTSCAN },
	{ "MULTISCAN", CMD_MULTISCAN },
	{ "ALLMATCHSCAN", CMD_ALLMATCHSCAN },
	{ "INSTREAM", CMD_INSTREAM },
	{ "FILDES", CMD_FILDES },
	{ "STATS", CMD_STATS },
	{ "IDSESSION", CMD_IDSESSION },
	{ "END", CMD_END },
	{ "DETSTATSCLEAR", CMD_DETSTATSCLEAR },
	{ "DETSTATS", CMD_DETSTATS },
	{ "VSCAN", CMD_VSCAN },
	{ "VINSTREAM", CMD_VINSTREAM },
	{ "RELOADDB", CMD_RELOADDB },
	{ "RELOADCONF", CMD_RELOADCONF },
	{ "STATUS", CMD_STATUS },
	{ "REOPENLOG", CMD_REOPENLOG },
};

const char proto_commands_list[] =
    "SCAN QUIT RELOAD PING CONTSCAN VERSIONCOMMANDS VERSION END SHUTDOWN "
    "MULTISCAN FILDES STATS IDSESSION INSTREAM DETSTATSCLEAR DETSTATS "
    "ALLMATCHSCAN VSCAN VINSTREAM";

/* proto_next - frame the next command in buf[0..len) */
enum proto_status
proto_next(const char *buf, size_t len, struct proto_req *req, size_t *used)
{
	const char	*p, *end, *sp;
	size_t		 skip = 0, n, limit, i;
	char		 delim;

	*used = 0;
	while (skip < len && (buf[skip] == '\0' || buf[skip] == '\n' ||
	    buf[skip] == '\r'))
		skip++;
	*used = skip;
	buf += skip;
	len -= skip;
	if (len == 0)
		return PROTO_MORE;

	memset(req, 0, sizeof(*req));
	p = buf;
	if (*p == 'z' || *p == 'n') {
		req->prefixed = 1;
		delim = *p == 'z' ? '\0' : '\n';
		p++;
	} else
		delim = '\n';
	req->delim = delim;
	limit = len < PROTO_CMD_MAX ? len : PROTO_CMD_MAX;
	if ((end = memchr(buf, delim, limit)) == NULL)
		return len >= PROTO_CMD_MAX ? PROTO_TOOLONG : PROTO_MORE;
	/* a newline-ended command may not carry a NUL, nor the reverse
	 * (a 'z' client that sent a newline line would wait forever) */
	if (memchr(p, delim == '\n' ? '\0' : '\n', (size_t)(end - p)) !=
	    NULL) {
		*used = skip + (size_t)(end - buf) + 1;
		return PROTO_BADFRAME;
	}
	*used = skip + (size_t)(end - buf) + 1;
	n = (size_t)(end - p);
	if (delim == '\n' && n > 0 && p[n - 1] == '\r')
		n--;
	if ((sp = memchr(p, ' ', n)) != NULL) {
		req->namelen = (size_t)(sp - p);
		req->arg = sp + 1;
		req->arglen = n - req->namelen - 1;
	} else {
		req->namelen = n;
		req->arg = "";
		req->arglen = 0;
	}
	req->name = p;
	req->cmd = CMD_UNKNOWN;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == req->namelen &&
		    memcmp(cmds[i].name, p, req->namelen) == 0) {
			req->cmd = cmds[i].cmd;
			break;
		}
	return PROTO_OK;
}

/* proto_cmd_name - the canonical name of a command */
const char *
proto_cmd_name(enum proto_cmd c)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].cmd == c)
			return cmds[i].name;
	return "UNKNOWN";
}
