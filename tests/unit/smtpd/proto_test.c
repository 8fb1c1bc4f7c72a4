/*
 * proto_test.c - SMTP/LMTP wire pieces: command lines (edges first: empty,
 * SMTP_LINE_MAX and one more, NUL/CR bytes, then every verb, MAIL/RCPT
 * paths and every ESMTP parameter with its errors), replies (multiline,
 * malformed, code change, 100/101 lines, text cut), EHLO capabilities,
 * XFORWARD filtering, DATA receiving at every split point (dots, bare LF,
 * bare CR, terminator forms, pipelined bytes, flags, size cap) and DATA
 * sending (stuff then feed gives the message back)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtp_proto.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ALL		((size_t)-1)

/* t_rep - pre, then c n times, then post, as a heap string */
static char *
t_rep(const char *pre, char c, size_t n, const char *post)
{
	size_t	 a = strlen(pre), b = strlen(post);
	char	*s;

	if ((s = malloc(a + n + b + 1)) == NULL)
		abort();
	memcpy(s, pre, a);
	memset(s + a, c, n);
	memcpy(s + a + n, post, b + 1);
	return s;
}

/*
 * Commands
 */
struct cmdcase {
	const char	*line;
	int		 rc;
	enum smtp_verb	 verb;
	const char	*arg;		/* cmd.arg, or cmd.addr for MAIL/RCPT */
	const char	*params;	/* MAIL/RCPT: cmd.params; NULL: "" */
	const char	*err;		/* a piece of err, NULL when rc == 0 */
};

static const struct cmdcase cmds[] = {
	/* edges */
	{ "", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ "\r", 500, SV_UNKNOWN, "", NULL, "unrecognized" },
	{ " ", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ " MAIL FROM:<a@b>", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ "FOO bar", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ "MAILX FROM:<a@b>", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ "NOOP\r\r", 500, SV_UNKNOWN, "", NULL, "5.5.2" },
	{ "NOOP x\ry", 501, SV_NOOP, "", NULL, "5.5.2" },
	/* every verb */
	{ "HELO mx.example.org", 0, SV_HELO, "mx.example.org", NULL, NULL },
	{ "helo  mx \t", 0, SV_HELO, "mx", NULL, NULL },
	{ "HELO", 501, SV_HELO, "", NULL, "5.5.4 Syntax: HELO" },
	{ "HELO  ", 501, SV_HELO, "", NULL, "5.5.4" },
	{ "EHLO [192.0.2.1]", 0, SV_EHLO, "[192.0.2.1]", NULL, NULL },
	{ "EhLo client.example.org\r", 0, SV_EHLO, "client.example.org",
	  NULL, NULL },
	{ "EHLO", 501, SV_EHLO, "", NULL, "EHLO hostname" },
	{ "LHLO mx", 0, SV_LHLO, "mx", NULL, NULL },
	{ "LHLO", 501, SV_LHLO, "", NULL, "LHLO" },
	{ "DATA", 0, SV_DATA, "", NULL, NULL },
	{ "data \t", 0, SV_DATA, "", NULL, NULL },
	{ "DATA x", 501, SV_DATA, "", NULL, "Syntax: DATA" },
	{ "RSET", 0, SV_RSET, "", NULL, NULL },
	{ "RSET now", 501, SV_RSET, "", NULL, "RSET" },
	{ "NOOP", 0, SV_NOOP, "", NULL, NULL },
	{ "noop hello there", 0, SV_NOOP, "hello there", NULL, NULL },
	{ "QUIT", 0, SV_QUIT, "", NULL, NULL },
	{ "QUIT\r", 0, SV_QUIT, "", NULL, NULL },
	{ "QUIT now", 501, SV_QUIT, "", NULL, "QUIT" },
	{ "VRFY postmaster", 0, SV_VRFY, "postmaster", NULL, NULL },
	{ "VRFY", 501, SV_VRFY, "", NULL, "VRFY" },
	{ "HELP", 0, SV_HELP, "", NULL, NULL },
	{ "HELP MAIL", 0, SV_HELP, "MAIL", NULL, NULL },
	{ "XFORWARD NAME=spike.porcupine.org ADDR=168.100.189.2 PROTO=ESMTP",
	  0, SV_XFORWARD,
	  "NAME=spike.porcupine.org ADDR=168.100.189.2 PROTO=ESMTP", NULL,
	  NULL },
	{ "xforward name=[UNAVAILABLE]  helo=x port=25 ident=1 source=LOCAL",
	  0, SV_XFORWARD, "name=[UNAVAILABLE]  helo=x port=25 ident=1 "
	  "source=LOCAL", NULL, NULL },
	{ "XFORWARD ADDR=", 0, SV_XFORWARD, "ADDR=", NULL, NULL },
	{ "XFORWARD", 501, SV_XFORWARD, "", NULL, "XFORWARD" },
	{ "XFORWARD FOO=1", 501, SV_XFORWARD, "", NULL, "XFORWARD" },
	{ "XFORWARD NAME", 501, SV_XFORWARD, "", NULL, "XFORWARD" },
	{ "XFORWARD =x", 501, SV_XFORWARD, "", NULL, "XFORWARD" },
	{ "STARTTLS", 0, SV_STARTTLS, "", NULL, NULL },
	{ "STARTTLS x", 501, SV_STARTTLS, "", NULL, "STARTTLS" },
	{ "BDAT 100 LAST", 0, SV_BDAT, "100 LAST", NULL, NULL },
	{ "BDAT", 501, SV_BDAT, "", NULL, "BDAT" },
	{ "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", 0, SV_AUTH,
	  "PLAIN dGVzdAB0ZXN0AHRlc3Q=", NULL, NULL },
	{ "AUTH", 501, SV_AUTH, "", NULL, "AUTH" },
	{ "ETRN example.org", 0, SV_ETRN, "example.org", NULL, NULL },
	{ "ETRN", 501, SV_ETRN, "", NULL, "ETRN" },
	{ "EXPN staff", 0, SV_EXPN, "staff", NULL, NULL },
	{ "EXPN", 501, SV_EXPN, "", NULL, "EXPN" },
	/* MAIL forms */
	{ "MAIL FROM:<a@b.example>", 0, SV_MAIL, "a@b.example", "", NULL },
	{ "mail from:<a@b>", 0, SV_MAIL, "a@b", "", NULL },
	{ "MAIL FROM: <a@b>", 0, SV_MAIL, "a@b", "", NULL },
	{ "MAIL  FROM:<a@b>  ", 0, SV_MAIL, "a@b", "", NULL },
	{ "MAIL FROM:a@b", 0, SV_MAIL, "a@b", "", NULL },
	{ "MAIL FROM:a@b SIZE=5", 0, SV_MAIL, "a@b", "SIZE=5", NULL },
	{ "MAIL FROM:<>", 0, SV_MAIL, "", "", NULL },
	{ "MAIL FROM:<> SIZE=10 BODY=8BITMIME", 0, SV_MAIL, "",
	  "SIZE=10 BODY=8BITMIME", NULL },
	{ "MAIL FROM:<@a.example,@b.example:u@c.example>", 0, SV_MAIL,
	  "u@c.example", "", NULL },
	{ "MAIL FROM:<@a:u@c>", 0, SV_MAIL, "u@c", "", NULL },
	{ "MAIL FROM:<\"a b\"@c>", 0, SV_MAIL, "\"a b\"@c", "", NULL },
	{ "MAIL FROM:<\"a>b\\\"\"@c>", 0, SV_MAIL, "\"a>b\\\"\"@c", "",
	  NULL },
	{ "MAIL FROM:<j\xc3\xb6rg@example.de> SMTPUTF8", 0, SV_MAIL,
	  "j\xc3\xb6rg@example.de", "SMTPUTF8", NULL },
	{ "MAIL FROM:<local>", 0, SV_MAIL, "local", "", NULL },
	{ "MAIL", 501, SV_MAIL, "", NULL, "5.5.4 Syntax: MAIL FROM:<address>" },
	{ "MAIL FROM", 501, SV_MAIL, "", NULL, "MAIL FROM" },
	{ "MAIL FROM:", 501, SV_MAIL, "", NULL, "MAIL FROM" },
	{ "MAIL FROM: ", 501, SV_MAIL, "", NULL, "MAIL FROM" },
	{ "MAIL TO:<a@b>", 501, SV_MAIL, "", NULL, "MAIL FROM" },
	{ "MAIL FROM<a@b>", 501, SV_MAIL, "", NULL, "MAIL FROM" },
	{ "MAIL FROM:<a@b", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a@b>x", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a@b>SIZE=1", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a b@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a\tb@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a<b@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<\"a@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a@>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@a:>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@a,b:u@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@a,@:u@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@:u@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@a:@b>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a@b@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<@a:@b@c>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<\"a@b\"@c>", 0, SV_MAIL, "\"a@b\"@c", "", NULL },
	{ "MAIL FROM:a\"b@c", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:a@b>", 501, SV_MAIL, "", NULL, "5.1.7" },
	{ "MAIL FROM:<a@b> <c@d>", 555, SV_MAIL, "", NULL, "5.5.4" },
	/* RCPT forms */
	{ "RCPT TO:<u@example.org>", 0, SV_RCPT, "u@example.org", "", NULL },
	{ "rcpt to: <u@example.org>", 0, SV_RCPT, "u@example.org", "", NULL },
	{ "RCPT TO:<Postmaster>", 0, SV_RCPT, "Postmaster", "", NULL },
	{ "RCPT TO:<postmaster@example.org>", 0, SV_RCPT,
	  "postmaster@example.org", "", NULL },
	{ "RCPT TO:<@relay.example:u@example.org>", 0, SV_RCPT,
	  "u@example.org", "", NULL },
	{ "RCPT TO:u@example.org", 0, SV_RCPT, "u@example.org", "", NULL },
	{ "RCPT TO:<>", 501, SV_RCPT, "", NULL, "5.1.3" },
	{ "RCPT TO:", 501, SV_RCPT, "", NULL, "Syntax: RCPT TO:<address>" },
	{ "RCPT FROM:<a@b>", 501, SV_RCPT, "", NULL, "RCPT TO" },
	{ "RCPT TO:<a@b", 501, SV_RCPT, "", NULL, "5.1.3" },
	/* MAIL parameters */
	{ "MAIL FROM:<a@b>   SIZE=1   BODY=7bit ", 0, SV_MAIL, "a@b",
	  "SIZE=1 BODY=7bit", NULL },
	{ "MAIL FROM:<a@b> size=1000 body=binarymime smtputf8 ret=hdrs "
	  "envid=QQ314159", 0, SV_MAIL, "a@b", "size=1000 body=binarymime "
	  "smtputf8 ret=hdrs envid=QQ314159", NULL },
	{ "MAIL FROM:<a@b> SIZE=abc", 555, SV_MAIL, "", NULL,
	  "5.5.4 Bad SIZE" },
	{ "MAIL FROM:<a@b> SIZE=-1", 555, SV_MAIL, "", NULL, "Bad SIZE" },
	{ "MAIL FROM:<a@b> SIZE=", 555, SV_MAIL, "", NULL, "syntax" },
	{ "MAIL FROM:<a@b> SIZE", 555, SV_MAIL, "", NULL, "Bad SIZE" },
	{ "MAIL FROM:<a@b> SIZE=1=2", 555, SV_MAIL, "", NULL, "syntax" },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=2", 555, SV_MAIL, "", NULL,
	  "Duplicate SIZE" },
	{ "MAIL FROM:<a@b> size=1 SIZE=1", 555, SV_MAIL, "", NULL,
	  "Duplicate SIZE" },
	{ "MAIL FROM:<a@b> BODY=8bit", 555, SV_MAIL, "", NULL, "Bad BODY" },
	{ "MAIL FROM:<a@b> BODY", 555, SV_MAIL, "", NULL, "Bad BODY" },
	{ "MAIL FROM:<a@b> BODY=7BIT BODY=7BIT", 555, SV_MAIL, "", NULL,
	  "Duplicate BODY" },
	{ "MAIL FROM:<a@b> SMTPUTF8=yes", 555, SV_MAIL, "", NULL,
	  "Bad SMTPUTF8" },
	{ "MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8", 555, SV_MAIL, "", NULL,
	  "Duplicate SMTPUTF8" },
	{ "MAIL FROM:<a@b> RET=ALL", 555, SV_MAIL, "", NULL, "Bad RET" },
	{ "MAIL FROM:<a@b> RET=FULL RET=HDRS", 555, SV_MAIL, "", NULL,
	  "Duplicate RET" },
	{ "MAIL FROM:<a@b> ENVID=a+2Bb", 0, SV_MAIL, "a@b", "ENVID=a+2Bb",
	  NULL },
	{ "MAIL FROM:<a@b> ENVID=a+2", 555, SV_MAIL, "", NULL, "Bad ENVID" },
	{ "MAIL FROM:<a@b> ENVID=a+ZZ", 555, SV_MAIL, "", NULL, "Bad ENVID" },
	{ "MAIL FROM:<a@b> ENVID=x ENVID=y", 555, SV_MAIL, "", NULL,
	  "Duplicate ENVID" },
	{ "MAIL FROM:<a@b> FOO=bar", 555, SV_MAIL, "", NULL,
	  "5.5.4 Unsupported" },
	{ "MAIL FROM:<a@b> AUTH=<>", 555, SV_MAIL, "", NULL, "Unsupported" },
	{ "MAIL FROM:<a@b> X-Y=1", 555, SV_MAIL, "", NULL, "Unsupported" },
	{ "MAIL FROM:<a@b> -X=1", 555, SV_MAIL, "", NULL, "syntax" },
	{ "MAIL FROM:<a@b> =x", 555, SV_MAIL, "", NULL, "syntax" },
	{ "MAIL FROM:<a@b> S\xc3\xa9=x", 555, SV_MAIL, "", NULL, "syntax" },
	{ "MAIL FROM:<a@b> NOTIFY=NEVER", 555, SV_MAIL, "", NULL,
	  "Unsupported" },
	{ "MAIL FROM:<a@b> ORCPT=rfc822;a@b", 555, SV_MAIL, "", NULL,
	  "Unsupported" },
	/* RCPT parameters */
	{ "RCPT TO:<u@x> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@x", 0,
	  SV_RCPT, "u@x", "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@x", NULL },
	{ "RCPT TO:<u@x> NOTIFY=NEVER,SUCCESS", 555, SV_RCPT, "", NULL,
	  "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY=SUCCESS,SUCCESS", 555, SV_RCPT, "", NULL,
	  "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY=SUCCESS,", 555, SV_RCPT, "", NULL,
	  "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY=,DELAY", 555, SV_RCPT, "", NULL,
	  "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY=SOMETIMES", 555, SV_RCPT, "", NULL,
	  "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY", 555, SV_RCPT, "", NULL, "Bad NOTIFY" },
	{ "RCPT TO:<u@x> NOTIFY=", 555, SV_RCPT, "", NULL, "syntax" },
	{ "RCPT TO:<u@x> NOTIFY=DELAY NOTIFY=DELAY", 555, SV_RCPT, "", NULL,
	  "Duplicate NOTIFY" },
	{ "RCPT TO:<u@x> ORCPT=rfc822", 555, SV_RCPT, "", NULL, "Bad ORCPT" },
	{ "RCPT TO:<u@x> ORCPT=;u@x", 555, SV_RCPT, "", NULL, "Bad ORCPT" },
	{ "RCPT TO:<u@x> ORCPT=rfc822;", 555, SV_RCPT, "", NULL,
	  "Bad ORCPT" },
	{ "RCPT TO:<u@x> ORCPT=rfc_822;u@x", 555, SV_RCPT, "", NULL,
	  "Bad ORCPT" },
	{ "RCPT TO:<u@x> ORCPT=rfc822;a ORCPT=rfc822;b", 555, SV_RCPT, "",
	  NULL, "Duplicate ORCPT" },
	{ "RCPT TO:<u@x> SIZE=1", 555, SV_RCPT, "", NULL, "Unsupported" },
	{ "RCPT TO:<u@x> BODY=8BITMIME", 555, SV_RCPT, "", NULL,
	  "Unsupported" },
};

/* t_cmd - parse one table line, check rc, verb, text and error */
static void
t_cmd(const struct cmdcase *c, size_t len)
{
	static struct smtp_cmd	 cmd;
	char			 err[128];
	const char		*got;
	int			 rc;

	memset(err, 'x', sizeof(err));
	rc = smtp_cmd_parse(c->line, len, &cmd, err, sizeof(err));
	if (rc != c->rc || cmd.verb != c->verb)
		fail_msg("\"%s\": rc %d verb %d, want %d %d (%s)", c->line, rc,
		    cmd.verb, c->rc, c->verb, err);
	if (rc != 0) {
		assert_non_null(strstr(err, c->err));
		assert_true(err[0] >= '4' && err[0] <= '5' && err[1] == '.');
		return;
	}
	assert_string_equal(err, "");
	got = cmd.verb == SV_MAIL || cmd.verb == SV_RCPT ? cmd.addr :
	    cmd.arg;
	if (strcmp(got, c->arg) != 0)
		fail_msg("\"%s\": got \"%s\", want \"%s\"", c->line, got,
		    c->arg);
	assert_string_equal(cmd.params, c->params != NULL ? c->params : "");
}

/* test_cmd_table - every verb, path form and parameter error */
static void
test_cmd_table(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(cmds); i++)
		t_cmd(&cmds[i], strlen(cmds[i].line));
}

/* test_cmd_limits - SMTP_LINE_MAX, one more, a trailing CR, addr limits */
static void
test_cmd_limits(void **state)
{
	static struct smtp_cmd	 cmd;
	char			 err[64], *s;
	size_t			 n;

	(void)state;
	/* exactly SMTP_LINE_MAX, then with the CR, then one more */
	s = t_rep("NOOP ", 'x', SMTP_LINE_MAX - 5, "\r");
	n = strlen(s);
	assert_int_equal(smtp_cmd_parse(s, n - 1, &cmd, err, sizeof(err)), 0);
	assert_int_equal(strlen(cmd.arg), SMTP_LINE_MAX - 5);
	assert_int_equal(smtp_cmd_parse(s, n, &cmd, err, sizeof(err)), 0);
	s[n - 1] = 'x';
	assert_int_equal(smtp_cmd_parse(s, n, &cmd, err, sizeof(err)), 500);
	assert_int_equal(cmd.verb, SV_NOOP);
	assert_non_null(strstr(err, "5.5.2 Line too long"));
	free(s);
	s = t_rep("FOO", 'x', 100000, "");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    500);
	assert_int_equal(cmd.verb, SV_UNKNOWN);
	free(s);
	/* an address of SMTP_ADDR_MAX bytes, then one more */
	s = t_rep("MAIL FROM:<", 'a', SMTP_ADDR_MAX - 2, "@b>");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(cmd.addr), SMTP_ADDR_MAX);
	free(s);
	s = t_rep("RCPT TO:<", 'a', SMTP_ADDR_MAX - 1, "@b>");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    501);
	assert_non_null(strstr(err, "5.1.3 Recipient address too long"));
	free(s);
	s = t_rep("MAIL FROM:", 'a', SMTP_ADDR_MAX - 1, "@b");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    501);
	assert_non_null(strstr(err, "5.1.7"));
	free(s);
	/* ENVID of 100 and 101 characters; ORCPT of SMTP_ADDR_MAX, + 1 */
	s = t_rep("MAIL FROM:<> ENVID=", 'e', 100, "");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(cmd.envid), 100);
	free(s);
	s = t_rep("MAIL FROM:<> ENVID=", 'e', 101, "");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    555);
	free(s);
	s = t_rep("RCPT TO:<a@b> ORCPT=rfc822;", 'o', SMTP_ADDR_MAX - 7, "");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    0);
	assert_int_equal(strlen(cmd.orcpt), SMTP_ADDR_MAX);
	free(s);
	s = t_rep("RCPT TO:<a@b> ORCPT=rfc822;", 'o', SMTP_ADDR_MAX - 6, "");
	assert_int_equal(smtp_cmd_parse(s, strlen(s), &cmd, err, sizeof(err)),
	    555);
	free(s);
	/* a small or missing error buffer */
	assert_int_equal(smtp_cmd_parse("FOO", 3, &cmd, err, 4), 500);
	assert_string_equal(err, "5.5");
	assert_int_equal(smtp_cmd_parse("FOO", 3, &cmd, NULL, 0), 500);
	assert_int_equal(smtp_cmd_parse("NOOP", 4, &cmd, NULL, 0), 0);
	assert_int_equal(smtp_cmd_parse(NULL, 0, &cmd, err, sizeof(err)),
	    500);
}

/* test_cmd_nul - NUL bytes: in the verb 500, after it 501 */
static void
test_cmd_nul(void **state)
{
	static const struct {
		const char	*line;
		size_t		 len;
		int		 rc;
		enum smtp_verb	 verb;
	} nuls[] = {
		{ "\0", 1, 500, SV_UNKNOWN },
		{ "NO\0P", 4, 500, SV_UNKNOWN },
		{ "NOOP\0", 5, 500, SV_UNKNOWN },
		{ "NOOP \0", 6, 501, SV_NOOP },
		{ "MAIL FROM:<a\0b@c>", 17, 501, SV_MAIL },
		{ "RCPT TO:<a@b> NOTIFY=\0", 22, 501, SV_RCPT },
		{ "HELO x\0\r", 8, 501, SV_HELO },
		{ "HELO x\n", 7, 501, SV_HELO },
	};
	static struct smtp_cmd	 cmd;
	char			 err[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(nuls); i++) {
		assert_int_equal(smtp_cmd_parse(nuls[i].line, nuls[i].len, &cmd,
		    err, sizeof(err)), nuls[i].rc);
		assert_int_equal(cmd.verb, nuls[i].verb);
		assert_true(err[0] == '5');
	}
}

/* test_cmd_decoded - the decoded MAIL and RCPT parameters */
static void
test_cmd_decoded(void **state)
{
	static const struct {
		const char	*line;
		int64_t		 size;
		enum smtp_body	 body;
		int		 utf8;
		const char	*ret, *envid, *notify, *orcpt;
	} decs[] = {
		{ "MAIL FROM:<a@b>", -1, SB_NONE, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> SIZE=0", 0, SB_NONE, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> SIZE=00012345 BODY=8BITMIME", 12345,
		  SB_8BITMIME, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> SIZE=9223372036854775807", INT64_MAX,
		  SB_NONE, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> SIZE=99999999999999999999999999", INT64_MAX,
		  SB_NONE, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> BODY=7bit", -1, SB_7BIT, 0, "", "", "", "" },
		{ "MAIL FROM:<a@b> BODY=BinaryMIME SMTPUTF8", -1,
		  SB_BINARYMIME, 1, "", "", "", "" },
		{ "MAIL FROM:<a@b> RET=full ENVID=QQ314159", -1, SB_NONE, 0,
		  "FULL", "QQ314159", "", "" },
		{ "MAIL FROM:<a@b> RET=HDRS", -1, SB_NONE, 0, "HDRS", "", "",
		  "" },
		{ "RCPT TO:<u@x> NOTIFY=never", -1, SB_NONE, 0, "", "", "NEVER",
		  "" },
		{ "RCPT TO:<u@x> NOTIFY=delay,failure,success", -1, SB_NONE, 0,
		  "", "", "DELAY,FAILURE,SUCCESS", "" },
		{ "RCPT TO:<u@x> ORCPT=rfc822;Bob+40example.org", -1, SB_NONE,
		  0, "", "", "", "rfc822;Bob+40example.org" },
		{ "RCPT TO:<u@x> ORCPT=utf-8;j\xc3\xb6rg@x NOTIFY=FAILURE", -1,
		  SB_NONE, 0, "", "", "FAILURE", "utf-8;j\xc3\xb6rg@x" },
	};
	static struct smtp_cmd	 cmd;
	char			 err[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(decs); i++) {
		if (smtp_cmd_parse(decs[i].line, strlen(decs[i].line), &cmd,
		    err, sizeof(err)) != 0)
			fail_msg("%s: %s", decs[i].line, err);
		assert_true(cmd.size == decs[i].size);
		assert_int_equal(cmd.body, decs[i].body);
		assert_int_equal(cmd.smtputf8, decs[i].utf8);
		assert_string_equal(cmd.ret, decs[i].ret);
		assert_string_equal(cmd.envid, decs[i].envid);
		assert_string_equal(cmd.notify, decs[i].notify);
		assert_string_equal(cmd.orcpt, decs[i].orcpt);
	}
	/* a failed parse leaves nothing from an earlier command behind */
	assert_int_equal(smtp_cmd_parse("FOO", 3, &cmd, err, sizeof(err)),
	    500);
	assert_true(cmd.size == -1 && cmd.addr[0] == '\0' &&
	    cmd.notify[0] == '\0' && cmd.orcpt[0] == '\0');
}

/*
 * Replies and capabilities
 */
struct replycase {
	const char	*lines[4];
	int		 rc[4];
	int		 code;
	const char	*text;
};

static const struct replycase replies[] = {
	{ { "250 ok" }, { 1 }, 250, "ok" },
	{ { "250" }, { 1 }, 250, "" },
	{ { "250 " }, { 1 }, 250, "" },
	{ { "220 mx ESMTP\r" }, { 1 }, 220, "mx ESMTP" },
	{ { "354 go ahead" }, { 1 }, 354, "go ahead" },
	{ { "599 x" }, { 1 }, 599, "x" },
	{ { "250-mx.example.org", "250-PIPELINING", "250 SIZE 100" },
	  { 0, 0, 1 }, 250, "mx.example.org\nPIPELINING\nSIZE 100" },
	{ { "550-5.1.1 no such user\r", "550 5.1.1 try again" }, { 0, 1 },
	  550, "5.1.1 no such user\n5.1.1 try again" },
	{ { "250-", "250" }, { 0, 1 }, 250, "\n" },
	{ { "250-a", "251 b" }, { 0, -1 }, 0, NULL },
	{ { "250-a", "bad", "250 c" }, { 0, -1, -1 }, 0, NULL },
	{ { "" }, { -1 }, 0, NULL },
	{ { "25" }, { -1 }, 0, NULL },
	{ { "25 ok" }, { -1 }, 0, NULL },
	{ { "abc ok" }, { -1 }, 0, NULL },
	{ { "150 x" }, { -1 }, 0, NULL },
	{ { "650 x" }, { -1 }, 0, NULL },
	{ { "050 x" }, { -1 }, 0, NULL },
	{ { "2a0 x" }, { -1 }, 0, NULL },
	{ { "25a x" }, { -1 }, 0, NULL },
	{ { "250ok" }, { -1 }, 0, NULL },
	{ { "250\tok" }, { -1 }, 0, NULL },
	{ { "250-a", "250_b" }, { 0, -1 }, 0, NULL },
};

/* test_reply_table - single, multiline and malformed replies */
static void
test_reply_table(void **state)
{
	struct smtp_reply	 r;
	size_t			 i, j;

	(void)state;
	for (i = 0; i < NELEM(replies); i++) {
		smtp_reply_init(&r);
		for (j = 0; j < 4 && replies[i].lines[j] != NULL; j++)
			if (smtp_reply_line(&r, replies[i].lines[j],
			    strlen(replies[i].lines[j])) != replies[i].rc[j])
				fail_msg("reply %zu line %zu", i, j);
		assert_int_equal(r.code, replies[i].code);
		if (replies[i].text != NULL) {
			assert_string_equal(r.text, replies[i].text);
			assert_int_equal(r.textlen, strlen(replies[i].text));
		}
	}
}

/* test_reply_limits - 100 lines, 101, the text cut, NUL in text */
static void
test_reply_limits(void **state)
{
	struct smtp_reply	 r;
	char			*s;
	int			 i;

	(void)state;
	smtp_reply_init(&r);
	for (i = 0; i < 99; i++)
		assert_int_equal(smtp_reply_line(&r, "250-x", 5), 0);
	assert_int_equal(smtp_reply_line(&r, "250 x", 5), 1);
	assert_int_equal(r.nlines, 100);
	assert_int_equal(r.textlen, 199);
	smtp_reply_init(&r);
	for (i = 0; i < 100; i++)
		assert_int_equal(smtp_reply_line(&r, "250-x", 5), 0);
	assert_int_equal(smtp_reply_line(&r, "250 x", 5), -1);
	assert_int_equal(r.code, 0);
	/* three 1000-byte texts: cut at sizeof(text) - 1 */
	s = t_rep("421-", 'y', 1000, "");
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, s, strlen(s)), 0);
	assert_int_equal(smtp_reply_line(&r, s, strlen(s)), 0);
	s[3] = ' ';
	assert_int_equal(smtp_reply_line(&r, s, strlen(s)), 1);
	assert_int_equal(r.code, 421);
	assert_int_equal(r.textlen, sizeof(r.text) - 1);
	assert_int_equal(strlen(r.text), sizeof(r.text) - 1);
	assert_int_equal(r.text[1000], '\n');
	free(s);
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, "250 a\0b", 7), 1);
	assert_int_equal(r.textlen, 3);
	assert_memory_equal(r.text, "a\0b", 4);
}

/* t_reply - a reply built from '\n'-separated lines */
static void
t_reply(struct smtp_reply *r, const char *text)
{
	const char	*p = text, *nl;
	int		 rc;

	smtp_reply_init(r);
	do {
		nl = strchr(p, '\n');
		rc = smtp_reply_line(r, p, nl != NULL ? (size_t)(nl - p) :
		    strlen(p));
		if (nl != NULL)
			p = nl + 1;
	} while (nl != NULL && rc == 0);
	assert_int_not_equal(rc, -1);
}

/* test_caps - EHLO/LHLO replies from Postfix, Exim, Sendmail, odd ones */
static void
test_caps(void **state)
{
	static const struct {
		const char	*reply;
		unsigned	 ext;
		int64_t		 size;
		const char	*xforward;
	} capss[] = {
		{ "250-mx.example.org\n250-PIPELINING\n250-SIZE 10240000\n"
		  "250-VRFY\n250-ETRN\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n"
		  "250-DSN\n250-SMTPUTF8\n250-CHUNKING\n"
		  "250 XFORWARD NAME ADDR PROTO HELO",
		  SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_ENHANCED |
		  SMTP_EXT_8BITMIME | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 |
		  SMTP_EXT_CHUNKING | SMTP_EXT_XFORWARD, 10240000,
		  "NAME ADDR PROTO HELO" },
		{ "250-exim.example Hello x [127.0.0.1]\n250-SIZE 52428800\n"
		  "250-8BITMIME\n250-PIPELINING\n250-PIPE_CONNECT\n"
		  "250-CHUNKING\n250-PRDR\n250 HELP", SMTP_EXT_SIZE |
		  SMTP_EXT_8BITMIME | SMTP_EXT_PIPELINING | SMTP_EXT_CHUNKING,
		  52428800, "" },
		{ "250-sm.example Hello\n250-ENHANCEDSTATUSCODES\n"
		  "250-pipelining\n250-8bitmime\n250-size\n250-DSN\n"
		  "250-BINARYMIME\n250 HELP", SMTP_EXT_ENHANCED |
		  SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME | SMTP_EXT_SIZE |
		  SMTP_EXT_DSN | SMTP_EXT_BINARYMIME, 0, "" },
		{ "250 PIPELINING", 0, 0, "" },
		{ "250 mx", 0, 0, "" },
		{ "250-mx\n250 SIZE abc", SMTP_EXT_SIZE, 0, "" },
		{ "250-mx\n250 SIZE 99999999999999999999999", SMTP_EXT_SIZE,
		  INT64_MAX, "" },
		{ "250-mx\n250-SIZE  100  \n250 SIZEX 5", SMTP_EXT_SIZE, 100,
		  "" },
		{ "250-mx\n250- DSN\n250-\n250 ", SMTP_EXT_DSN, 0, "" },
		{ "250-mx\n250-XFORWARD  NAME\tADDR \n250 XFORWARD PROTO",
		  SMTP_EXT_XFORWARD, 0, "NAME ADDR PROTO" },
		{ "250-mx\n250 XFORWARD", SMTP_EXT_XFORWARD, 0, "" },
		{ "550-mx\n550 PIPELINING", 0, 0, "" },
	};
	struct smtp_reply	 r;
	struct smtp_caps	 c;
	size_t			 i;
	char			*s;

	(void)state;
	for (i = 0; i < NELEM(capss); i++) {
		t_reply(&r, capss[i].reply);
		memset(&c, 'x', sizeof(c));
		smtp_caps_parse(&r, &c);
		if (c.ext != capss[i].ext)
			fail_msg("caps %zu: %#x want %#x", i, c.ext,
			    capss[i].ext);
		assert_true(c.size == capss[i].size);
		assert_string_equal(c.xforward, capss[i].xforward);
	}
	/* XFORWARD names longer than the field: cut on a name boundary */
	s = t_rep("250-mx\n250 XFORWARD NAME ", 'N', 300, " ADDR");
	t_reply(&r, s);
	smtp_caps_parse(&r, &c);
	assert_string_equal(c.xforward, "NAME");
	free(s);
	smtp_reply_init(&r);
	smtp_caps_parse(&r, &c);
	assert_int_equal(c.ext, 0);
}

/* test_xforward_filter - keep the allowed attributes, cut on a boundary */
static void
test_xforward_filter(void **state)
{
	static const struct {
		const char	*attrs, *allowed;
		size_t		 outlen;
		const char	*out;
		int		 n;
	} xfs[] = {
		{ "", "NAME", 64, "", 0 },
		{ "NAME=a", "", 64, "", 0 },
		{ "NAME=a", NULL, 64, "", 0 },
		{ "NAME=a ADDR=1.2.3.4 PROTO=ESMTP", "NAME ADDR", 64,
		  "NAME=a ADDR=1.2.3.4", 2 },
		{ "NAME=a ADDR=1.2.3.4 PROTO=ESMTP", "proto  name", 64,
		  "NAME=a PROTO=ESMTP", 2 },
		{ "name=a", "NAME", 64, "name=a", 1 },
		{ "  NAME=a\t\tHELO=x  ", "NAME HELO", 64, "NAME=a HELO=x", 2 },
		{ "NAME=a BAD HELO=x", "NAME HELO BAD", 64, "NAME=a HELO=x",
		  2 },
		{ "NAMEX=a NAM=b =c", "NAME", 64, "", 0 },
		{ "NAME=aaaa ADDR=b", "NAME ADDR", 17, "NAME=aaaa ADDR=b", 2 },
		{ "NAME=aaaa ADDR=b", "NAME ADDR", 16, "NAME=aaaa", 1 },
		{ "NAME=aaaa ADDR=b", "NAME ADDR", 10, "NAME=aaaa", 1 },
		{ "NAME=aaaa ADDR=b", "NAME ADDR", 9, "", 0 },
		{ "NAME=aaaa ADDR=b", "NAME ADDR", 1, "", 0 },
	};
	char	 out[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(xfs); i++) {
		memset(out, 'z', sizeof(out));
		assert_int_equal(smtp_xforward_filter(xfs[i].attrs,
		    xfs[i].allowed, out, xfs[i].outlen), xfs[i].n);
		assert_string_equal(out, xfs[i].out);
	}
	out[0] = 'z';
	assert_int_equal(smtp_xforward_filter("NAME=a", "NAME", out, 0), 0);
	assert_int_equal(out[0], 'z');
}

/*
 * DATA
 */
struct datacase {
	const char	*in;
	size_t		 inlen;		/* ALL: strlen(in) */
	const char	*out;
	size_t		 outlen;	/* ALL: strlen(out) */
	size_t		 used;		/* bytes consumed; ALL: inlen */
	int		 done;
	uint64_t	 hdr_end;
	int		 hdr_8bit, has_nul, long_line;
};

static const struct datacase datas[] = {
	/* edges: nothing, only the terminator, a bare-LF terminator */
	{ "", ALL, "", ALL, ALL, 0, 0, 0, 0, 0 },
	{ ".\r\n", ALL, "", ALL, ALL, 1, 0, 0, 0, 0 },
	{ ".\n", ALL, "", ALL, ALL, 1, 0, 0, 0, 0 },
	{ ".\r\nQUIT\r\n", ALL, "", ALL, 3, 1, 0, 0, 0, 0 },
	{ ".", ALL, "", ALL, ALL, 0, 0, 0, 0, 0 },
	{ ".\r", ALL, "", ALL, ALL, 0, 0, 0, 0, 0 },
	/* a normal message, with the next commands pipelined */
	{ "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b>\r\n", ALL,
	  "Subject: x\r\n\r\nbody\r\n", ALL, 23, 1, 14, 0, 0, 0 },
	{ "From: a\r\nTo: b\r\n\r\n\r\n.\r\n", ALL,
	  "From: a\r\nTo: b\r\n\r\n\r\n", ALL, ALL, 1, 18, 0, 0, 0 },
	{ "\r\nno headers\r\n.\r\n", ALL, "\r\nno headers\r\n", ALL, ALL,
	  1, 2, 0, 0, 0 },
	{ "H: 1\r\n\r\n\r\n.\r\n", ALL, "H: 1\r\n\r\n\r\n", ALL, ALL, 1, 8,
	  0, 0, 0 },
	/* bare LF becomes CRLF; bare-LF terminator */
	{ "a\nb\n\nc\n.\nRSET\n", ALL, "a\r\nb\r\n\r\nc\r\n", ALL, 9, 1,
	  8, 0, 0, 0 },
	{ "a\r\n.\nRSET\r\n", ALL, "a\r\n", ALL, 5, 1, 0, 0, 0, 0 },
	{ "a\n.\r\nRSET\r\n", ALL, "a\r\n", ALL, 5, 1, 0, 0, 0, 0 },
	{ "\n.\n", ALL, "\r\n", ALL, ALL, 1, 2, 0, 0, 0 },
	/* dot-unstuffing */
	{ "..\r\n.\r\n", ALL, ".\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "..x\r\n...\r\n. \r\n.a.\r\n.\r\n", ALL,
	  ".x\r\n..\r\n \r\na.\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "a\r\n..\r\n.\r\n", ALL, "a\r\n.\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "x.\r\n .\r\n.\r\n", ALL, "x.\r\n .\r\n", ALL, ALL, 1, 0, 0, 0,
	  0 },
	{ "..\n.\n", ALL, ".\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	/* bare CR is content: not a line end, not before a terminator */
	{ "a\rb\r\n\r.\r\n.\r\n", ALL, "a\rb\r\n\r.\r\n", ALL, ALL, 1, 0,
	  0, 0, 0 },
	{ "x\r\r\n.\r\n", ALL, "x\r\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ ".\rX\r\n.\r\n", ALL, "\rX\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ ".\r\r\n.\r\n", ALL, "\r\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "a\r.\r\n.\r\n", ALL, "a\r.\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "\r\r\r\n.\r\n", ALL, "\r\r\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	{ "a\r\n\r\r\n.\r\n", ALL, "a\r\n\r\r\n", ALL, ALL, 1, 0, 0, 0, 0 },
	/* incomplete input: consumed whole, a trailing CR held back */
	{ "abc\r\n", ALL, "abc\r\n", ALL, ALL, 0, 0, 0, 0, 0 },
	{ "abc\r", ALL, "abc", ALL, ALL, 0, 0, 0, 0, 0 },
	{ "abc\r\r", ALL, "abc\r", ALL, ALL, 0, 0, 0, 0, 0 },
	{ "abc\r\n.", ALL, "abc\r\n", ALL, ALL, 0, 0, 0, 0, 0 },
	{ "abc\r\n..", ALL, "abc\r\n.", ALL, ALL, 0, 0, 0, 0, 0 },
	/* flags */
	{ "a\0b\r\n.\r\n", 8, "a\0b\r\n", 5, ALL, 1, 0, 0, 1, 0 },
	{ "\0\r\n\r\n.\r\n", 8, "\0\r\n\r\n", 5, ALL, 1, 5, 0, 1, 0 },
	{ "Subject: \xc3\xa9\r\n\r\nx\r\n.\r\n", ALL,
	  "Subject: \xc3\xa9\r\n\r\nx\r\n", ALL, ALL, 1, 15, 1, 0, 0 },
	{ "Subject: x\r\n\r\n\xc3\xa9\r\n.\r\n", ALL,
	  "Subject: x\r\n\r\n\xc3\xa9\r\n", ALL, ALL, 1, 14, 0, 0, 0 },
	{ "S: x\r\n\r\n\0\r\n.\r\n", 14, "S: x\r\n\r\n\0\r\n", 11, ALL, 1,
	  8, 0, 1, 0 },
	/* after the terminator: not message */
	{ "a\r\n.\r\n\0\xff", 8, "a\r\n", ALL, 6, 1, 0, 0, 0, 0 },
};

struct fed {
	struct strbuf	 out;
	struct smtp_data d;
	size_t		 used;
	int		 done;
};

/* t_feed - feed in cut at the given points; check per-call consumption */
static void
t_feed(struct fed *f, const char *in, size_t len, const size_t *cut,
    size_t ncut, uint64_t max)
{
	size_t	 i, from = 0, to;
	long	 n;

	strbuf_init(&f->out, 1 << 24);
	smtp_data_init(&f->d, max);
	f->used = 0;
	f->done = 0;
	for (i = 0; i <= ncut && !f->done; i++, from = to) {
		to = i < ncut ? cut[i] : len;
		n = smtp_data_feed(&f->d, (const uint8_t *)in + from,
		    to - from, &f->out, &f->done);
		assert_true(n >= 0 && (size_t)n <= to - from);
		if (!f->done)
			assert_int_equal((size_t)n, to - from);
		f->used += (size_t)n;
	}
	if (f->done) {
		/* a finished receiver takes nothing more */
		n = smtp_data_feed(&f->d, (const uint8_t *)"x\r\n", 3,
		    &f->out, &f->done);
		assert_int_equal(n, 0);
		assert_int_equal(f->done, 1);
	}
}

/* t_check - the result of t_feed against a table case */
static void
t_check(const struct datacase *c, struct fed *f, size_t inlen,
    const char *how)
{
	size_t	 outlen = c->outlen == ALL ? strlen(c->out) : c->outlen;

	if (f->out.len != outlen || (outlen > 0 &&
	    memcmp(f->out.data, c->out, outlen) != 0) ||
	    f->used != (c->used == ALL ? inlen : c->used) ||
	    f->done != c->done)
		fail_msg("data \"%s\" %s: out %zu bytes, used %zu, done %d",
		    c->in, how, f->out.len, f->used, f->done);
	assert_true(f->d.size == outlen);
	assert_true(f->d.hdr_end == c->hdr_end);
	assert_int_equal(f->d.hdr_8bit, c->hdr_8bit);
	assert_int_equal(f->d.has_nul, c->has_nul);
	assert_int_equal(f->d.long_line, c->long_line);
	assert_int_equal(f->d.too_big, 0);
	strbuf_fini(&f->out);
}

/* test_data_splits - every case whole, at every cut, two cuts, bytewise */
static void
test_data_splits(void **state)
{
	struct fed	 f;
	size_t		 i, a, b, len, cut[64];
	char		 how[64];

	(void)state;
	for (i = 0; i < NELEM(datas); i++) {
		len = datas[i].inlen == ALL ? strlen(datas[i].in) :
		    datas[i].inlen;
		t_feed(&f, datas[i].in, len, NULL, 0, 0);
		t_check(&datas[i], &f, len, "whole");
		for (a = 0; a <= len; a++) {
			cut[0] = a;
			t_feed(&f, datas[i].in, len, cut, 1, 0);
			snprintf(how, sizeof(how), "cut %zu", a);
			t_check(&datas[i], &f, len, how);
			for (b = a; b <= len; b++) {
				cut[1] = b;
				t_feed(&f, datas[i].in, len, cut, 2, 0);
				snprintf(how, sizeof(how), "cuts %zu %zu", a,
				    b);
				t_check(&datas[i], &f, len, how);
			}
		}
		assert_true(len < NELEM(cut));
		for (a = 0; a < len; a++)
			cut[a] = a + 1;
		t_feed(&f, datas[i].in, len, cut, len, 0);
		t_check(&datas[i], &f, len, "bytewise");
	}
}

/* test_data_long_line - 998 bytes is fine, 999 is long, across cuts */
static void
test_data_long_line(void **state)
{
	struct fed	 f;
	size_t		 n, a, len, cut[1];
	char		*s;

	(void)state;
	for (n = 997; n <= 1000; n++) {
		s = t_rep("", 'a', n, "\r\n.\r\n");
		len = strlen(s);
		for (a = 0; a <= len; a += 7) {
			cut[0] = a;
			t_feed(&f, s, len, cut, 1, 0);
			assert_int_equal(f.done, 1);
			assert_int_equal(f.d.long_line, n > 998);
			assert_int_equal(f.out.len, n + 2);
			strbuf_fini(&f.out);
		}
		free(s);
		/* a dot-stuffed line: the dropped dot does not count */
		s = t_rep(".", '.', n, "\r\n.\r\n");
		t_feed(&f, s, strlen(s), NULL, 0, 0);
		assert_int_equal(f.d.long_line, n > 998);
		assert_int_equal(f.out.len, n + 2);
		strbuf_fini(&f.out);
		free(s);
		/* a bare CR counts, the CRLF does not */
		s = t_rep("\r", 'a', n - 1, "\r\n.\r\n");
		t_feed(&f, s, strlen(s), NULL, 0, 0);
		assert_int_equal(f.d.long_line, n > 998);
		strbuf_fini(&f.out);
		free(s);
	}
}

/* test_data_cap - the message is cut at exactly max, input still read */
static void
test_data_cap(void **state)
{
	static const char	 msg[] =
	    "Subject: x\r\n\r\n.body\r\n.\r\nQUIT\r\n";
	static const char	 want[] = "Subject: x\r\n\r\nbody\r\n";
	static const uint64_t	 maxes[] = { 0, 1, 13, 14, 19, 20, 21, 1000 };
	struct fed		 f;
	size_t			 i, a, len = sizeof(msg) - 1, cut[1];
	uint64_t		 keep;

	(void)state;
	for (i = 0; i < NELEM(maxes); i++) {
		for (a = 0; a <= len; a++) {
			cut[0] = a;
			t_feed(&f, msg, len, cut, 1, maxes[i]);
			keep = maxes[i] == 0 || maxes[i] > 20 ? 20 : maxes[i];
			assert_int_equal(f.done, 1);
			assert_int_equal(f.used, len - 6);
			assert_true(f.d.size == 20);
			assert_int_equal(f.d.too_big, maxes[i] != 0 &&
			    maxes[i] < 20);
			assert_int_equal(f.out.len, keep);
			assert_memory_equal(f.out.data, want, keep);
			assert_true(f.d.hdr_end == 14);
			strbuf_fini(&f.out);
		}
	}
}

/* test_data_enomem - nothing to feed; an output buffer too small */
static void
test_data_enomem(void **state)
{
	struct smtp_data	 d;
	struct strbuf		 out;
	int			 done = 1;

	(void)state;
	strbuf_init(&out, 4);
	smtp_data_init(&d, 0);
	assert_int_equal(smtp_data_feed(&d, NULL, 0, &out, &done), 0);
	assert_int_equal(done, 0);
	assert_null(out.data);
	strbuf_init(&out, 4);
	smtp_data_init(&d, 0);
	assert_int_equal(smtp_data_feed(&d, (const uint8_t *)"abcdef\r\n.\r\n",
	    11, &out, &done), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&out);
	strbuf_init(&out, 4);
	smtp_data_init(&d, 0);
	assert_int_equal(smtp_data_feed(&d, (const uint8_t *)"abcdef\n", 7,
	    &out, &done), -1);
	strbuf_fini(&out);
}

/* test_data_big - 500 KiB in 4 KiB reads: the same as the whole */
static void
test_data_big(void **state)
{
	struct strbuf	 in, want;
	struct fed	 f;
	size_t		 i, cut[200], ncut = 0;
	char		 line[80];

	(void)state;
	strbuf_init(&in, 1 << 20);
	strbuf_init(&want, 1 << 20);
	assert_int_equal(strbuf_append(&in, "Subject: big\r\n\r\n", 16), 0);
	assert_int_equal(strbuf_append(&want, "Subject: big\r\n\r\n", 16), 0);
	for (i = 0; in.len < 500 * 1024; i++) {
		snprintf(line, sizeof(line), "%s%074zu", i % 50 == 0 ? "." :
		    "x", i);
		assert_int_equal(strbuf_printf(&in, "%s%s%s", i % 50 == 0 ?
		    "." : "", line, i % 7 == 0 ? "\n" : "\r\n"), 0);
		assert_int_equal(strbuf_printf(&want, "%s\r\n", line), 0);
	}
	assert_int_equal(strbuf_append(&in, ".\r\n", 3), 0);
	for (i = 4096; i < in.len && ncut < NELEM(cut); i += 4096)
		cut[ncut++] = i;
	t_feed(&f, in.data, in.len, cut, ncut, 0);
	assert_int_equal(f.done, 1);
	assert_int_equal(f.used, in.len);
	assert_int_equal(f.out.len, want.len);
	assert_memory_equal(f.out.data, want.data, want.len);
	assert_true(f.d.hdr_end == 16);
	strbuf_fini(&f.out);
	strbuf_fini(&in);
	strbuf_fini(&want);
}

/* t_stuff - stuff msg cut at a, end it; the wire text */
static void
t_stuff(const char *msg, size_t len, size_t a, struct strbuf *wire)
{
	int	 bol = 1;

	strbuf_init(wire, 1 << 20);
	assert_int_equal(smtp_stuff((const uint8_t *)msg, a, &bol, wire), 0);
	assert_int_equal(smtp_stuff((const uint8_t *)msg + a, len - a, &bol,
	    wire), 0);
	assert_int_equal(smtp_stuff_end(bol, wire), 0);
}

/* test_stuff - exact wire form, then stuff(x) then feed gives x */
static void
test_stuff(void **state)
{
	static const struct {
		const char	*msg, *wire;
	} stuffs[] = {
		{ "", ".\r\n" },
		{ "a\r\n", "a\r\n.\r\n" },
		{ ".\r\n", "..\r\n.\r\n" },
		{ "..\r\n", "...\r\n.\r\n" },
		{ ".a\r\nb\r\n.", "..a\r\nb\r\n..\r\n.\r\n" },
		{ "a.\r\n.b.\r\n", "a.\r\n..b.\r\n.\r\n" },
		{ "\r.\r\n", "\r.\r\n.\r\n" },
		{ "x", "x\r\n.\r\n" },
		{ "S: x\r\n\r\n.\r\n..\r\n\r\n", "S: x\r\n\r\n..\r\n...\r\n"
		  "\r\n.\r\n" },
		{ "a\r\n\0.\r\n", "a\r\n\0.\r\n.\r\n" },
	};
	struct strbuf	 wire;
	struct fed	 f;
	size_t		 i, a, len, wlen;
	const char	*m;

	(void)state;
	for (i = 0; i < NELEM(stuffs); i++) {
		m = stuffs[i].msg;
		len = i == NELEM(stuffs) - 1 ? 7 : strlen(m);
		wlen = i == NELEM(stuffs) - 1 ? 10 : strlen(stuffs[i].wire);
		for (a = 0; a <= len; a++) {
			t_stuff(m, len, a, &wire);
			if (wire.len != wlen || memcmp(wire.data,
			    stuffs[i].wire, wlen) != 0)
				fail_msg("stuff %zu cut %zu", i, a);
			/* fed back, the message (with a final CRLF) */
			t_feed(&f, wire.data, wire.len, NULL, 0, 0);
			assert_int_equal(f.done, 1);
			assert_int_equal(f.used, wire.len);
			if (len > 0 && m[len - 1] != '\n') {
				assert_int_equal(f.out.len, len + 2);
				assert_memory_equal(f.out.data + len, "\r\n",
				    2);
			} else
				assert_int_equal(f.out.len, len);
			if (len > 0)
				assert_memory_equal(f.out.data, m, len);
			strbuf_fini(&f.out);
			strbuf_fini(&wire);
		}
	}
}

/* test_stuff_nomem - an output buffer too small: -1 */
static void
test_stuff_nomem(void **state)
{
	struct strbuf	 out;
	int		 bol = 1;

	(void)state;
	strbuf_init(&out, 3);
	assert_int_equal(smtp_stuff((const uint8_t *)"...", 3, &bol, &out),
	    -1);
	assert_int_equal(smtp_stuff((const uint8_t *)"a\n.", 3, &bol, &out),
	    -1);
	strbuf_reset(&out);
	assert_int_equal(smtp_stuff((const uint8_t *)"", 0, &bol, &out), 0);
	assert_int_equal(bol, 1);
	assert_int_equal(smtp_stuff_end(0, &out), -1);
	strbuf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmd_limits),
		cmocka_unit_test(test_cmd_nul),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_cmd_decoded),
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_limits),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_xforward_filter),
		cmocka_unit_test(test_data_splits),
		cmocka_unit_test(test_data_long_line),
		cmocka_unit_test(test_data_cap),
		cmocka_unit_test(test_data_enomem),
		cmocka_unit_test(test_data_big),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_stuff_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
