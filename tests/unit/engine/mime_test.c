/*
 * mime_test.c - unit tests for lib/engine/mime.c
 *
 * mime_kind is table-driven over mail and non-mail heads.  mime_walk
 * cases are small messages written inline; a collector callback copies
 * every delivered part (fields, file name, decoded bytes) so the checks
 * can look at all of them after the walk.  Then mbox_walk, the limits,
 * mime_rewrite (drop, re-walk, compare), a sweep over every prefix of
 * every message (truncation under ASan) and a 10 MB timing check.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime.h"

#define MAXGOT	64

struct got {
	struct mime_part	 p;
	char			 fname[256];
	int			 hasname;
	uint8_t			*data;
	size_t			 len;
};

struct coll {
	struct got	g[MAXGOT];
	unsigned	n;
	unsigned	stop_at;	/* return 1 from this index */
};

/* collect - mime_walk callback: keep a copy of everything */
static int
collect(const struct mime_part *p, const uint8_t *data, size_t len, void *arg)
{
	struct coll	*c = arg;
	struct got	*g;

	assert_true(c->n < MAXGOT);
	g = &c->g[c->n++];
	g->p = *p;
	g->hasname = p->filename != NULL;
	if (p->filename != NULL)
		snprintf(g->fname, sizeof(g->fname), "%s", p->filename);
	g->data = malloc(len + 1);
	memcpy(g->data, data, len);
	g->len = len;
	return c->stop_at != 0 && p->index == c->stop_at;
}

/* coll_free - release the copies */
static void
coll_free(struct coll *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->g[i].data);
	free(c);
}

/* walk - run mime_walk over a string with default limits */
static struct coll *
walk(const char *msg, int *rc, int *corrupt)
{
	struct coll	*c = calloc(1, sizeof(*c));

	*rc = mime_walk((const uint8_t *)msg, strlen(msg), NULL, collect, c,
	    corrupt);
	return c;
}

/* data_is - part data equals the string */
static void
data_is(const struct got *g, const char *s)
{
	if (g->len != strlen(s) || memcmp(g->data, s, g->len) != 0)
		fail_msg("part %u: got \"%.*s\", want \"%s\"", g->p.index,
		    (int)g->len, (const char *)g->data, s);
}

#define HDR	"From: a@example.org\r\nTo: b@example.net\r\n" \
		"Subject: t\r\nMIME-Version: 1.0\r\n"

static const struct {
	const char	*head;
	int		 kind;
} kind_cases[] = {
	{ "", 0 },
	{ "From", 0 },
	{ "MZ\x90\0\3\0\0\0PE", 0 },
	{ "%PDF-1.4\n%\xe2\xe3\n1 0 obj", 0 },
	{ "Hello world, this is text.\n", 0 },
	{ "#!/bin/sh\necho x\n", 0 },
	{ "Key: value\nOther: x\n\nbody", 0 },		/* not mail names */
	{ "Key: value\nSubject: x\n\nbody", 1 },	/* second is known */
	{ "Key: value\nOther: x\nSubject: y\n", 0 },	/* known too late */
	{ "Subject: x\nthis is prose\n", 0 },		/* line 2 junk */
	{ "version: 1\ndate: x\nchanges:\n\t- a\n---\n", 0 },	/* junk later */
	{ "Subject: only", 1 },				/* header only */
	{ "Subject: x\r\n\r\n", 1 },
	{ "From: a@b\r\nTo: c@d\r\n\r\nhi", 1 },
	{ "Received: from x\r\n\tby y\r\n\tid z\r\nTo: q\r\n", 1 },
	{ "X-Mailer: foo\n\n", 1 },
	{ "ARC-Seal: i=1\n\n", 1 },
	{ "x-: y\n", 0 },
	{ "DKIM-Signature: v=1\n\n", 1 },
	{ " Subject: x\n", 0 },				/* leading space */
	{ "Subject : x\n", 0 },
	{ "From someone Mon Jan 1\nFrom: a@b\nSubject: x\n\nb\n", 2 },
	{ "From someone Mon Jan 1\nhello\n", 0 },
	{ "From someone", 0 },
	{ "\r\nSubject: x\r\n", 0 },			/* blank first */
};

/* test_kind - mime_kind table */
static void
test_kind(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]);
	    i++) {
		const char	*h = kind_cases[i].head;
		size_t		 n = strlen(h);

		if (i == 2)
			n = 10;
		if (mime_kind((const uint8_t *)h, n) != kind_cases[i].kind)
			fail_msg("case %zu \"%s\": %d", i, h,
			    mime_kind((const uint8_t *)h, n));
	}
}

/* test_kind_window - only the first 4 KiB are read */
static void
test_kind_window(void **state)
{
	size_t	n = 1 << 16;
	char	*b = malloc(n);

	(void)state;
	memset(b, 'a', n);
	memcpy(b, "X-Long: ", 8);
	assert_int_equal(mime_kind((uint8_t *)b, n), 1);	/* cut line 1 */
	memcpy(b, "Xq-Long", 7);
	assert_int_equal(mime_kind((uint8_t *)b, n), 0);
	free(b);
}

/* test_simple_text - a non-MIME message is one text/plain leaf */
static void
test_simple_text(void **state)
{
	const char	*m = "From: a@b\r\nSubject: hi\r\n\r\nHello\r\nBye\r\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->g[0].p.index, 1);
	assert_int_equal(c->g[0].p.depth, 0);
	assert_string_equal(c->g[0].p.ctype, "text/plain");
	assert_int_equal(c->g[0].p.enc, MIME_ENC_7BIT);
	assert_false(c->g[0].hasname);
	assert_int_equal(c->g[0].p.body_off, strstr(m, "Hello") - m);
	assert_int_equal(c->g[0].p.hdr_off, c->g[0].p.body_off);
	data_is(&c->g[0], "Hello\r\nBye\r\n");
	coll_free(c);
}

static const char	mixed[] = HDR
    "Content-Type: multipart/mixed;\r\n boundary=\"==b1==\"\r\n"
    "\r\n"
    "This is a preamble.\r\n"
    "--==b1==\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "See attached.\r\n"
    "--==b1==\r\n"
    "Content-Type: application/octet-stream; name=\"wrong.bin\"\r\n"
    "content-transfer-encoding: BASE64\r\n"
    "Content-Disposition: attachment; FILENAME=\"inv\\\"oice.exe\"\r\n"
    "\r\n"
    "TVqQAAMAAAAEAAAA\r\n"
    "//8AALgAAAA=\r\n"
    "--==b1==--\r\n"
    "epilogue --==b1==\r\n";

/* test_mixed_base64 - text + base64 attachment, filename, decoded bytes */
static void
test_mixed_base64(void **state)
{
	static const uint8_t	exe[] = { 'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0,
		0, 0, 0xff, 0xff, 0, 0, 0xb8, 0, 0, 0 };
	struct coll		*c;
	int			 rc, bad;

	(void)state;
	c = walk(mixed, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->g[0].p.index, 1);
	assert_int_equal(c->g[0].p.depth, 1);
	data_is(&c->g[0], "See attached.");
	assert_int_equal(c->g[1].p.index, 2);
	assert_string_equal(c->g[1].p.ctype, "application/octet-stream");
	assert_int_equal(c->g[1].p.enc, MIME_ENC_BASE64);
	assert_true(c->g[1].hasname);
	assert_string_equal(c->g[1].fname, "inv\"oice.exe");
	assert_int_equal(c->g[1].len, sizeof(exe));
	assert_memory_equal(c->g[1].data, exe, sizeof(exe));
	assert_int_equal(c->g[1].p.hdr_off,
	    strstr(mixed, "Content-Type: application/") - mixed);
	assert_int_equal(c->g[1].p.body_off, strstr(mixed, "TVqQ") - mixed);
	assert_int_equal(c->g[1].p.body_end,
	    strstr(mixed, "A=\r\n--==b1==--") + 2 - mixed);
	coll_free(c);
}

/* test_nested - alternative inside mixed; LF line ends */
static void
test_nested(void **state)
{
	const char	*m =
	    "From: a@b\nContent-Type: multipart/mixed; boundary=outer\n\n"
	    "--outer\n"
	    "Content-Type: multipart/alternative; boundary=\"outer-alt\"\n\n"
	    "--outer-alt\nContent-Type: text/plain\n\nplain\n"
	    "--outer-alt\nContent-Type: TEXT/HTML\n\n<p>x</p>\n"
	    "--outer-alt--\n"
	    "\n--outer\nContent-Type: application/pdf; name=a.pdf\n"
	    "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
	    "--outer--\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->g[0].p.depth, 2);
	data_is(&c->g[0], "plain");
	assert_string_equal(c->g[1].p.ctype, "text/html");
	assert_int_equal(c->g[1].p.depth, 2);
	data_is(&c->g[1], "<p>x</p>");
	assert_int_equal(c->g[2].p.index, 3);
	assert_int_equal(c->g[2].p.depth, 1);
	assert_string_equal(c->g[2].fname, "a.pdf");
	data_is(&c->g[2], "%PDF-1.4\n");
	coll_free(c);
}

/* test_rfc822 - an attached message is a leaf, delivered whole */
static void
test_rfc822(void **state)
{
	const char	*m = HDR
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	    "From: x@y\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n"
	    "--b2\r\n\r\ninner\r\n--b2--\r\n"
	    "--b--\r\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->g[0].p.ctype, "message/rfc822");
	data_is(&c->g[0], "From: x@y\r\nContent-Type: multipart/mixed; "
	    "boundary=b2\r\n\r\n--b2\r\n\r\ninner\r\n--b2--");
	coll_free(c);
}

/* test_qp - quoted-printable part, soft break just before a boundary */
static void
test_qp(void **state)
{
	const char	*m = HDR
	    "Content-Type: multipart/mixed; boundary=q\r\n\r\n"
	    "--q\r\nContent-Type: text/html\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9 =3D long=\r\nline=\r\n--q\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ\r\n"
	    "--q--\r\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 2);
	data_is(&c->g[0], "caf\xc3\xa9 = longline");
	assert_int_equal(c->g[0].p.corrupt, 0);
	data_is(&c->g[1], "bad =ZZ");
	assert_int_equal(c->g[1].p.corrupt, 1);
	assert_int_equal(bad, 1);
	coll_free(c);
}

#define UUBLK	"begin 644 ev/il.exe\r\n#86)C\r\n`\r\nend\r\n"

/* test_uu_text - uuencoded blocks in text become extra leaves */
static void
test_uu_text(void **state)
{
	const char	*m = "From: a@b\r\nSubject: uu\r\n\r\nHere:\r\n" UUBLK
	    "and\r\nbegin 600 two\r\n\"86)C\r\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->g[0].p.enc, MIME_ENC_7BIT);
	assert_int_equal(c->g[1].p.index, 2);
	assert_int_equal(c->g[1].p.enc, MIME_ENC_UU);
	assert_string_equal(c->g[1].fname, "ev_il.exe");
	data_is(&c->g[1], "abc");
	assert_int_equal(c->g[1].p.body_off, strstr(m, "#86") - m);
	assert_int_equal(c->g[1].p.corrupt, 0);
	assert_string_equal(c->g[2].fname, "two");
	data_is(&c->g[2], "ab");
	assert_int_equal(c->g[2].p.corrupt, 1);		/* no "end" */
	assert_int_equal(bad, 1);
	coll_free(c);
}

static const struct {
	const char	*hdrs;
	const char	*name;		/* NULL: none */
} fname_cases[] = {
	{ "Content-Type: application/x\r\n", NULL },
	{ "Content-Type: application/x; name=plain.exe\r\n", "plain.exe" },
	{ "Content-Type: application/x; name=\"a b.exe\"\r\n", "a b.exe" },
	{ "Content-Disposition: attachment; filename=\"../../etc/x\"\r\n",
	  ".._.._etc_x" },
	{ "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n",
	  "r\xc3\xa9sum\xc3\xa9.pdf" },
	{ "Content-Disposition: attachment;\r\n filename*0*=iso-8859-1'en'a%E9;\r\n"
	  " filename*2=\"c.exe\";\r\n\tfilename*1=\"b\"\r\n", "a\xe9" "bc.exe" },
	{ "Content-Disposition: attachment; filename=\"ignored\";"
	  " filename*=us-ascii''wins\r\n", "wins" },
	{ "Content-Type: application/x; name=\"=?UTF-8?B?w6kuemlw?=\"\r\n",
	  "\xc3\xa9.zip" },
	{ "Content-Type: application/x; name=\"=?iso-8859-1?Q?caf=E9_x?= "
	  "=?utf-8?q?=2Eexe?=\"\r\n", "caf\xe9 x.exe" },
	{ "Content-Type: application/x; name=\"=?bogus?X?abc?=\"\r\n",
	  "=?bogus?X?abc?=" },
	{ "Content-Type: application/x; name=\"ct.exe\"\r\n"
	  "Content-Disposition: attachment; filename=cd.exe\r\n", "cd.exe" },
	{ "Content-Type: application/x; name=\"%00\\\\x\"\r\n", "%00\\x" },
	{ "Content-Disposition: attachment; filename*=utf-8''nul%00%0A.exe\r\n",
	  "nul__.exe" },
	{ "Content-Disposition: attachment; filename=\"\"\r\n", NULL },
	{ "Content-Disposition: attachment; filename=\"unterminated\r\n",
	  "unterminated" },
};

/* test_filenames - plain, quoted, RFC 2231, RFC 2047, sanitising */
static void
test_filenames(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fname_cases) / sizeof(fname_cases[0]);
	    i++) {
		char		 m[1024];
		struct coll	*c;
		int		 rc, bad;

		snprintf(m, sizeof(m), "From: a@b\r\nContent-Type: multipart/"
		    "mixed; boundary=x\r\n\r\n--x\r\n%s\r\nbody\r\n--x--\r\n",
		    fname_cases[i].hdrs);
		c = walk(m, &rc, &bad);
		assert_int_equal(rc, 0);
		assert_int_equal(c->n, 1);
		if (fname_cases[i].name == NULL ? c->g[0].hasname :
		    !c->g[0].hasname || strcmp(c->g[0].fname,
		    fname_cases[i].name) != 0)
			fail_msg("case %zu: got \"%s\"", i, c->g[0].hasname ?
			    c->g[0].fname : "(null)");
		coll_free(c);
	}
}

/* test_no_closing - missing final boundary: corrupt, data delivered */
static void
test_no_closing(void **state)
{
	const char	*m = HDR
	    "Content-Type: multipart/mixed; boundary=\"c\"\r\n\r\n"
	    "--c\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
	    "--c\r\nContent-Transfer-Encoding: base64\r\n"
	    "Content-Type: application/octet-stream\r\n\r\nTVqQ\r\nAAMA\r\n";
	struct coll	*c;
	int		 rc, bad;

	(void)state;
	c = walk(m, &rc, &bad);
	assert_int_equal(rc, 0);
	assert_int_equal(bad, 1);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->g[0].p.corrupt, 0);
	data_is(&c->g[0], "first");
	assert_int_equal(c->g[1].p.corrupt, 1);
	assert_int_equal(c->g[1].len, 6);
	assert_memory_equal(c->g[1].data, "MZ\x90\0\3\0", 6);
	coll_free(c);
}

static const struct {
	const char	*msg;
	unsigned	 nparts;
	int		 corrupt;
	const char	*first;		/* data of part 1 */
} odd_cases[] = {
	/* multipart without boundary: one corrupt leaf */
	{ "From: a@b\nContent-Type: multipart/mixed\n\nwhole\n", 1, 1,
	  "whole\n" },
	/* boundary never appears */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=zz\n\nnone\n",
	  1, 1, "none\n" },
	/* a part with no header block */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=z\n\n"
	  "--z\n\nno headers\n--z--\n", 1, 0, "no headers" },
	/* a part starting with a non-header line */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=z\n\n"
	  "--z\nnot a header\n--z--\n", 1, 1, "not a header" },
	/* boundary lookalikes: prefix, trailing junk, not at line start */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=z\n\n"
	  "--z\n\na\n--zz\nb --z\n--z junk\n--z \t\n\nc\n--z--  \n", 2, 0,
	  "a\n--zz\nb --z\n--z junk" },
	/* empty part, mixed line ends, closing boundary at end of input */
	{ "From: a@b\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n"
	  "--z\r\n\r\n--z\n\nx\r\n--z--", 2, 0, "" },
	/* truncated top header; a header-only message is fine */
	{ "From: a@b\r\nSubject: x", 1, 1, "" },
	{ "From: a@b\r\nSubject: x\r\n", 1, 0, "" },
	/* NUL bytes in headers and body */
	{ "From: a\0b\nContent-Type: text/plain\0junk\n\nx\0y", 1, 0, NULL },
	/* digest: parts default to message/rfc822 */
	{ "From: a@b\nContent-Type: multipart/digest; boundary=d\n\n"
	  "--d\n\nFrom: q@r\n\nhi\n--d--\n", 1, 0, "From: q@r\n\nhi" },
	/* empty multipart (closing boundary first) */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=d\n\n--d--\n",
	  0, 1, NULL },
	/* inner multipart unterminated: ends at the outer boundary */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=o\n\n"
	  "--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\nin\n"
	  "--o\n\nout\n--o--\n", 2, 1, "in" },
	/* very long boundary parameter: ignored */
	{ "From: a@b\nContent-Type: multipart/mixed; boundary=aaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "\n\nx\n", 1, 1, "x\n" },
	/* mbox From_ line before the headers */
	{ "From a@b Mon Jan  1 00:00:00 2024\nSubject: s\n\nbody\n", 1, 0,
	  "body\n" },
};

/* test_odd - broken and unusual structure */
static void
test_odd(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(odd_cases) / sizeof(odd_cases[0]); i++) {
		const char	*m = odd_cases[i].msg;
		size_t		 n = strlen(m);
		struct coll	*c = calloc(1, sizeof(*c));
		int		 rc, bad;

		if (i == 8)
			n = 44;		/* includes the NULs */
		rc = mime_walk((const uint8_t *)m, n, NULL, collect, c, &bad);
		if (rc != 0 || c->n != odd_cases[i].nparts ||
		    bad != odd_cases[i].corrupt)
			fail_msg("case %zu: rc %d parts %u corrupt %d", i, rc,
			    c->n, bad);
		if (odd_cases[i].first != NULL)
			data_is(&c->g[0], odd_cases[i].first);
		if (i == 8) {
			assert_string_equal(c->g[0].p.ctype, "text/plain");
			assert_int_equal(c->g[0].len, 3);
		}
		if (i == 9)
			assert_string_equal(c->g[0].p.ctype, "message/rfc822");
		coll_free(c);
	}
}

/* test_empty - an empty (even NULL) buffer is one empty leaf */
static void
test_empty(void **state)
{
	struct coll	*c = calloc(1, sizeof(*c));
	int		 bad;

	(void)state;
	assert_int_equal(mime_walk(NULL, 0, NULL, collect, c, &bad), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->g[0].len, 0);
	assert_int_equal(bad, 0);
	coll_free(c);
}

/* test_stop - a non-zero callback return stops the walk */
static void
test_stop(void **state)
{
	struct coll	*c = calloc(1, sizeof(*c));
	int		 bad;

	(void)state;
	c->stop_at = 1;
	assert_int_equal(mime_walk((const uint8_t *)mixed, strlen(mixed), NULL,
	    collect, c, &bad), 1);
	assert_int_equal(c->n, 1);
	coll_free(c);
}

/* nest - a message with depth nested multiparts around one text part */
static char *
nest(unsigned depth)
{
	size_t	cap = 200 + depth * 120, n = 0;
	char	*m = malloc(cap);

	n += (size_t)snprintf(m + n, cap - n, "From: a@b\n");
	for (unsigned i = 0; i < depth; i++)
		n += (size_t)snprintf(m + n, cap - n, "Content-Type: "
		    "multipart/mixed; boundary=b%u\n\n--b%u\n", i, i);
	n += (size_t)snprintf(m + n, cap - n, "\ndeep\n");
	for (unsigned i = depth; i-- > 0;)
		n += (size_t)snprintf(m + n, cap - n, "--b%u--\n", i);
	return m;
}

/* test_limits - parts, depth, decoded bytes */
static void
test_limits(void **state)
{
	struct mime_limits	 lim = { 0 };
	struct coll		*c;
	char			*m;
	int			 bad, rc;

	(void)state;
	/* max_parts: 1 of 2 delivered, then E2BIG */
	lim.max_parts = 1;
	c = calloc(1, sizeof(*c));
	errno = 0;
	rc = mime_walk((const uint8_t *)mixed, strlen(mixed), &lim, collect,
	    c, &bad);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(c->n, 1);
	coll_free(c);
	/* max_parts exactly reached is fine */
	lim.max_parts = 2;
	c = calloc(1, sizeof(*c));
	assert_int_equal(mime_walk((const uint8_t *)mixed, strlen(mixed), &lim,
	    collect, c, &bad), 0);
	coll_free(c);
	/* depth: 3 levels need max_depth 3 */
	m = nest(3);
	lim = (struct mime_limits){ 0, 3, 0 };
	c = calloc(1, sizeof(*c));
	assert_int_equal(mime_walk((uint8_t *)m, strlen(m), &lim, collect, c,
	    &bad), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->g[0].p.depth, 3);
	data_is(&c->g[0], "deep");
	coll_free(c);
	lim.max_depth = 2;
	c = calloc(1, sizeof(*c));
	errno = 0;
	assert_int_equal(mime_walk((uint8_t *)m, strlen(m), &lim, collect, c,
	    &bad), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(c->n, 0);
	coll_free(c);
	free(m);
	/* default depth 64 holds against 200 levels */
	m = nest(200);
	c = calloc(1, sizeof(*c));
	assert_int_equal(mime_walk((uint8_t *)m, strlen(m), NULL, collect, c,
	    &bad), -1);
	assert_int_equal(errno, E2BIG);
	coll_free(c);
	free(m);
	/* decoded bytes: the crossing part is cut at the limit */
	lim = (struct mime_limits){ 0, 0, 5 };
	c = calloc(1, sizeof(*c));
	errno = 0;
	assert_int_equal(mime_walk((const uint8_t *)mixed, strlen(mixed), &lim,
	    collect, c, &bad), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->g[1].len, 5);
	assert_memory_equal(c->g[1].data, "MZ\x90\0\3", 5);
	coll_free(c);
	lim.max_decoded = 20;		/* exactly the attachment */
	c = calloc(1, sizeof(*c));
	assert_int_equal(mime_walk((const uint8_t *)mixed, strlen(mixed), &lim,
	    collect, c, &bad), 0);
	coll_free(c);
}

struct mbox_got {
	unsigned	n;
	size_t		off[8], len[8];
};

/* on_msg - mbox_walk callback */
static int
on_msg(unsigned index, size_t off, size_t len, void *arg)
{
	struct mbox_got	*g = arg;

	assert_int_equal(index, g->n + 1);
	g->off[g->n] = off;
	g->len[g->n++] = len;
	return 0;
}

/* test_mbox - three messages; From_ inside a body is not a split */
static void
test_mbox(void **state)
{
	const char		*mb =
	    "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody 1\n"
	    "From here on, not a separator\n\n"
	    "From c@d Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nb2\r\n\r\n"
	    "From e@f Mon Jan  1 00:00:02 2024\nSubject: three\n\nb3\n";
	const char		*want[] = {
		"Subject: one\n\nbody 1\nFrom here on, not a separator\n",
		"Subject: two\r\n\r\nb2\r\n",
		"Subject: three\n\nb3\n",
	};
	struct mbox_got		 g = { 0 };
	struct mime_limits	 lim = { 2, 0, 0 };

	(void)state;
	assert_int_equal(mime_kind((const uint8_t *)mb, strlen(mb)), 2);
	assert_int_equal(mbox_walk((const uint8_t *)mb, strlen(mb), NULL,
	    on_msg, &g), 0);
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.len[i], strlen(want[i]));
		assert_memory_equal(mb + g.off[i], want[i], g.len[i]);
	}
	memset(&g, 0, sizeof(g));
	errno = 0;
	assert_int_equal(mbox_walk((const uint8_t *)mb, strlen(mb), &lim,
	    on_msg, &g), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(g.n, 2);
	memset(&g, 0, sizeof(g));
	assert_int_equal(mbox_walk(NULL, 0, NULL, on_msg, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], 0);
}

/* drop_named - cure predicate: drop parts whose file name is arg */
static int
drop_named(const struct mime_part *p, void *arg)
{
	return p->filename != NULL && strcmp(p->filename, arg) == 0;
}

/* drop_all - cure predicate */
static int
drop_all(const struct mime_part *p, void *arg)
{
	(void)p;
	(void)arg;
	return 1;
}

/* rewrite - run mime_rewrite on a string, walk the output */
static struct coll *
rewrite(const char *m, int (*drop)(const struct mime_part *, void *),
    void *arg, int want, struct strbuf *out)
{
	struct coll	*c = calloc(1, sizeof(*c));
	int		 bad;

	strbuf_init(out, 1 << 20);
	assert_int_equal(mime_rewrite((const uint8_t *)m, strlen(m), NULL,
	    drop, arg, "[removed]", out), want);
	assert_int_equal(mime_walk((uint8_t *)out->data, out->len, NULL,
	    collect, c, &bad), 0);
	return c;
}

/* test_rewrite_part - drop the attachment, the rest is untouched */
static void
test_rewrite_part(void **state)
{
	struct strbuf	 out;
	struct coll	*before, *after;
	int		 rc, bad;
	const char	*att;

	(void)state;
	before = walk(mixed, &rc, &bad);
	after = rewrite(mixed, drop_named, "inv\"oice.exe", 1, &out);
	assert_int_equal(after->n, 2);
	assert_int_equal(after->g[0].len, before->g[0].len);
	assert_memory_equal(after->g[0].data, before->g[0].data,
	    before->g[0].len);
	assert_memory_equal(out.data + after->g[0].p.hdr_off,
	    mixed + before->g[0].p.hdr_off,
	    before->g[0].p.body_end - before->g[0].p.hdr_off);
	assert_string_equal(after->g[1].p.ctype, "text/plain");
	assert_int_equal(after->g[1].p.enc, MIME_ENC_7BIT);
	assert_false(after->g[1].hasname);
	data_is(&after->g[1], "[removed]");
	/* everything before the attachment and after it is byte-identical */
	att = strstr(mixed, "Content-Type: application/");
	assert_memory_equal(out.data, mixed, (size_t)(att - mixed));
	assert_string_equal(out.data + out.len - strlen("\r\n--==b1==--\r\n"
	    "epilogue --==b1==\r\n"), "\r\n--==b1==--\r\nepilogue --==b1==\r\n");
	assert_non_null(strstr(out.data, "Content-Disposition: inline\r\n"
	    "\r\n[removed]\r\n--==b1==--"));
	strbuf_fini(&out);
	coll_free(before);
	coll_free(after);
	/* nothing dropped: identical copy */
	after = rewrite(mixed, drop_named, "none", 0, &out);
	assert_int_equal(out.len, strlen(mixed));
	assert_memory_equal(out.data, mixed, out.len);
	strbuf_fini(&out);
	coll_free(after);
}

/* test_rewrite_top - a single-part message gets new Content-* headers */
static void
test_rewrite_top(void **state)
{
	const char	*m = "From: a@b\nContent-Type: application/x-msdownload;"
	    "\n\tname=\"x.exe\"\nSubject: s\ncontent-transfer-encoding: base64"
	    "\nContent-Disposition: attachment\n\nTVqQ\n";
	const char	*want = "From: a@b\nSubject: s\nContent-Type: text/plain;"
	    " charset=utf-8\nContent-Transfer-Encoding: 7bit\n"
	    "Content-Disposition: inline\n\n[removed]\n";
	struct strbuf	 out;
	struct coll	*c;

	(void)state;
	c = rewrite(m, drop_all, NULL, 1, &out);
	assert_string_equal(out.data, want);
	assert_int_equal(c->n, 1);
	data_is(&c->g[0], "[removed]\n");
	strbuf_fini(&out);
	coll_free(c);
}

/* test_rewrite_uu - a dropped uu block is cut out of its text part */
static void
test_rewrite_uu(void **state)
{
	const char	*m = "From: a@b\r\nSubject: uu\r\n\r\nHere:\r\n" UUBLK
	    "bye\r\n";
	struct strbuf	 out;
	struct coll	*c;

	(void)state;
	c = rewrite(m, drop_named, "ev_il.exe", 1, &out);
	assert_string_equal(out.data, "From: a@b\r\nSubject: uu\r\n\r\nHere:"
	    "\r\n[removed]\r\nbye\r\n");
	assert_int_equal(c->n, 1);
	strbuf_fini(&out);
	coll_free(c);
	/* dropping the text and its block replaces the text once */
	c = rewrite(m, drop_all, NULL, 1, &out);
	assert_int_equal(c->n, 1);
	data_is(&c->g[0], "[removed]\r\n");
	strbuf_fini(&out);
	coll_free(c);
}

/* test_rewrite_errors - not mail, output cap */
static void
test_rewrite_errors(void **state)
{
	struct strbuf	out;

	(void)state;
	strbuf_init(&out, 1 << 20);
	errno = 0;
	assert_int_equal(mime_rewrite((const uint8_t *)"MZ\x90", 3, NULL,
	    drop_all, NULL, "x", &out), -1);
	assert_int_equal(errno, EINVAL);
	strbuf_fini(&out);
	strbuf_init(&out, 64);
	errno = 0;
	assert_int_equal(mime_rewrite((const uint8_t *)mixed, strlen(mixed),
	    NULL, drop_all, NULL, "x", &out), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&out);
}

/* count - callback that only counts */
static int
count(const struct mime_part *p, const uint8_t *data, size_t len, void *arg)
{
	(void)p;
	(void)data;
	*(size_t *)arg += len;
	return 0;
}

/* test_prefixes - every prefix of every message walks and rewrites */
static void
test_prefixes(void **state)
{
	const char	*msgs[] = { mixed, odd_cases[4].msg, odd_cases[11].msg,
		"From: a@b\r\n\r\nx\r\n" UUBLK };
	struct strbuf	 out;

	(void)state;
	for (size_t k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++)
		for (size_t l = 0; l <= strlen(msgs[k]); l++) {
			uint8_t	*b = malloc(l + 1);
			size_t	 sum = 0;
			int	 bad;

			memcpy(b, msgs[k], l);
			assert_true(mime_walk(b, l, NULL, count, &sum, &bad)
			    == 0);
			strbuf_init(&out, 1 << 16);
			(void)mime_rewrite(b, l, NULL, drop_all, NULL, "n",
			    &out);
			strbuf_fini(&out);
			free(b);
		}
}

/* test_big - a 10 MB base64 attachment decodes quickly */
static void
test_big(void **state)
{
	static const char	al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 cap = 11 << 20, n = 0, sum = 0;
	char			*m = malloc(cap);
	struct timespec		 t0, t1;
	double			 ms;
	int			 bad;

	(void)state;
	n += (size_t)snprintf(m, cap, HDR "Content-Type: multipart/mixed; "
	    "boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n"
	    "hi\r\n--big\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	while (n < (10u << 20)) {
		for (int i = 0; i < 76; i++)
			m[n] = al[(n * 7) % 64], n++;
		m[n++] = '\r';
		m[n++] = '\n';
	}
	n += (size_t)snprintf(m + n, cap - n, "--big--\r\n");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	assert_int_equal(mime_walk((uint8_t *)m, n, NULL, count, &sum, &bad),
	    0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("10 MB walk: %.1f ms CPU\n", ms);
	assert_int_equal(bad, 0);
	assert_true(sum > (7u << 20));
	assert_true(ms < 2000);		/* generous: sanitizers; -O2 ~10 ms */
	free(m);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_kind_window),
		cmocka_unit_test(test_simple_text),
		cmocka_unit_test(test_mixed_base64),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_rfc822),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_uu_text),
		cmocka_unit_test(test_filenames),
		cmocka_unit_test(test_no_closing),
		cmocka_unit_test(test_odd),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test(test_rewrite_part),
		cmocka_unit_test(test_rewrite_top),
		cmocka_unit_test(test_rewrite_uu),
		cmocka_unit_test(test_rewrite_errors),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
