/*
 * proto_test.c - vigild's command framing: edges first
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigild_proto.h"

static const struct {
	const char		*in;
	size_t			 len;
	enum proto_status	 st;
	enum proto_cmd		 cmd;
	char			 delim;
	const char		*arg;
	size_t			 used;
} cases[] = {
#define C(s, st, cmd, d, arg, used)	{ s, sizeof(s) - 1, st, cmd, d, arg, used }
	C("", PROTO_MORE, CMD_UNKNOWN, 0, NULL, 0),
	C("z", PROTO_MORE, CMD_UNKNOWN, 0, NULL, 0),
	C("zPIN", PROTO_MORE, CMD_UNKNOWN, 0, NULL, 0),
	C("zPING\0", PROTO_OK, CMD_PING, '\0', "", 6),
	C("nPING\n", PROTO_OK, CMD_PING, '\n', "", 6),
	C("PING\n", PROTO_OK, CMD_PING, '\n', "", 5),
	C("PING\r\n", PROTO_OK, CMD_PING, '\n', "", 6),
	C("\0\0zPING\0", PROTO_OK, CMD_PING, '\0', "", 8),
	C("\n\0", PROTO_MORE, CMD_UNKNOWN, 0, NULL, 2),
	C("zSCAN /a b\0", PROTO_OK, CMD_SCAN, '\0', "/a b", 11),
	C("nCONTSCAN /etc\nzPING\0", PROTO_OK, CMD_CONTSCAN, '\n', "/etc", 15),
	C("zping\0", PROTO_OK, CMD_UNKNOWN, '\0', "", 6),
	C("zPINGX\0", PROTO_OK, CMD_UNKNOWN, '\0', "", 7),
	C("zPING\n\0", PROTO_BADFRAME, CMD_UNKNOWN, 0, NULL, 7),
	C("nPI\0NG\n", PROTO_BADFRAME, CMD_UNKNOWN, 0, NULL, 7),
	C("nVSCAN cure=1 name=x\n", PROTO_OK, CMD_VSCAN, '\n', "cure=1 name=x", 21),
	C("zINSTREAM\0\0\0\0\4abcd", PROTO_OK, CMD_INSTREAM, '\0', "", 10),
	C("nSTATUS\n", PROTO_OK, CMD_STATUS, '\n', "", 8),
#undef C
};

static void
table(void **state)
{
	struct proto_req	 q;
	size_t			 i, used;
	enum proto_status	 st;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = proto_next(cases[i].in, cases[i].len, &q, &used);
		assert_int_equal(st, cases[i].st);
		assert_int_equal(used, cases[i].used);
		if (st != PROTO_OK)
			continue;
		assert_int_equal(q.cmd, cases[i].cmd);
		assert_int_equal(q.delim, cases[i].delim);
		assert_int_equal(q.arglen, strlen(cases[i].arg));
		assert_memory_equal(q.arg, cases[i].arg, q.arglen);
	}
}

static void
too_long(void **state)
{
	char			*b = malloc(PROTO_CMD_MAX + 10);
	struct proto_req	 q;
	size_t			 used;

	(void)state;
	memset(b, 'A', PROTO_CMD_MAX + 10);
	b[0] = 'z';
	assert_int_equal(proto_next(b, PROTO_CMD_MAX - 1, &q, &used),
	    PROTO_MORE);
	assert_int_equal(proto_next(b, PROTO_CMD_MAX + 10, &q, &used),
	    PROTO_TOOLONG);
	/* a delimiter just inside the bound still frames */
	b[PROTO_CMD_MAX - 1] = '\0';
	assert_int_equal(proto_next(b, PROTO_CMD_MAX + 10, &q, &used),
	    PROTO_OK);
	assert_int_equal(used, PROTO_CMD_MAX);
	free(b);
}

static void
split_reads(void **state)
{
	const char		 msg[] = "zIDSESSION\0zPING\0zEND\0";
	struct proto_req	 q;
	size_t			 n, used, off = 0, got = 0;

	(void)state;
	/* bytes arriving one at a time frame the same commands */
	for (n = 1; n <= sizeof(msg) - 1; n++) {
		if (proto_next(msg + off, n - off, &q, &used) == PROTO_OK) {
			got++;
			off += used;
		}
	}
	assert_int_equal(got, 3);
	assert_int_equal(off, sizeof(msg) - 1);
	assert_string_equal(proto_cmd_name(CMD_IDSESSION), "IDSESSION");
	assert_string_equal(proto_cmd_name(CMD_UNKNOWN), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(too_long),
		cmocka_unit_test(split_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
