/*
 * vigild_proto.h - the command framing of vigild's sockets
 *
 * A command is one of the clamd protocol's three framings:
 *	zCOMMAND[ ARG]\0	reply lines end with \0
 *	nCOMMAND[ ARG]\n	reply lines end with \n
 *	COMMAND[ ARG]\n		(old clients) reply lines end with \n
 * proto_next() cuts the next command out of the bytes a connection has
 * received so far.  It is pure (no I/O, no allocation) so that the fuzz
 * target can drive it.
 */
#ifndef VIGILD_PROTO_H
#define VIGILD_PROTO_H

#include <stddef.h>

#define PROTO_CMD_MAX	8192	/* longest command line, path included */

enum proto_cmd {
	CMD_UNKNOWN = 0,
	CMD_PING, CMD_VERSION, CMD_VERSIONCOMMANDS, CMD_RELOAD, CMD_SHUTDOWN,
	CMD_SCAN, CMD_CONTSCAN, CMD_MULTISCAN, CMD_ALLMATCHSCAN,
	CMD_INSTREAM, CMD_FILDES, CMD_STATS, CMD_IDSESSION, CMD_END,
	CMD_DETSTATSCLEAR, CMD_DETSTATS,
	/* vigil's native requests (doc/native-protocol.md) */
	CMD_VSCAN, CMD_VINSTREAM,
	/* control socket only */
	CMD_RELOADDB, CMD_RELOADCONF, CMD_STATUS, CMD_REOPENLOG
};

/* one framed command; name and arg point into the caller's buffer */
struct proto_req {
	enum proto_cmd	 cmd;
	char		 delim;		/* '\0' or '\n': ends every reply line */
	int		 prefixed;	/* 'z' or 'n' given */
	const char	*name;		/* the command word as sent */
	size_t		 namelen;
	const char	*arg;		/* after one space; "" when none */
	size_t		 arglen;
};

enum proto_status {
	PROTO_MORE = 0,		/* no whole command yet */
	PROTO_OK,		/* *req filled, *used bytes consumed */
	PROTO_TOOLONG,		/* no delimiter within PROTO_CMD_MAX */
	PROTO_BADFRAME		/* 'z' command ended by '\n' or the reverse */
};

/*
 * proto_next - frame the next command in buf[0..len).  Delimiter bytes
 * before a command (the dummy byte that carries a passed descriptor, a
 * blank line) are skipped and counted in *used.
 */
enum proto_status proto_next(const char *buf, size_t len,
		    struct proto_req *req, size_t *used);

/* proto_cmd_name - the canonical name of a command, for logs */
const char	*proto_cmd_name(enum proto_cmd);

/* the names answered by VERSIONCOMMANDS */
extern const char proto_commands_list[];

#endif
