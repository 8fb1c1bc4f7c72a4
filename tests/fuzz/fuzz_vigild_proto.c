/*
 * fuzz_vigild_proto.c - vigild's command framing over arbitrary bytes
 *
 * The input is what a client sent on one connection, in any number of
 * reads: every command is framed in turn, the way the connection thread
 * does, and each framing must stay inside the buffer and make progress.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigild_proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req	 q;
	enum proto_status	 st;
	const char		*buf = (const char *)data;
	size_t			 off = 0, used;

	while (off < size) {
		st = proto_next(buf + off, size - off, &q, &used);
		if (used > size - off)
			abort();
		if (st == PROTO_OK) {
			if (q.name < buf + off || q.name + q.namelen >
			    buf + size || q.arglen > size ||
			    (q.arglen > 0 && (q.arg < buf + off ||
			    q.arg + q.arglen > buf + size)))
				abort();
			if (q.delim != '\0' && q.delim != '\n')
				abort();
			(void)proto_cmd_name(q.cmd);
		}
		if (st == PROTO_MORE || st == PROTO_TOOLONG)
			break;
		if (used == 0)
			abort();	/* no progress: a connection would spin */
		off += used;
	}
	return 0;
}
