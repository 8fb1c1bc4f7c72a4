/*
 * msg_test.c - unit tests for src/vigil-smtpd/smtp_msg.c
 *
 * Header block end and field lookup are table-driven, edges first (empty
 * input, no body, no empty line, LF-only, a non-header line, 8-bit and
 * NUL bytes, folding).  Part listing is checked against the engine's own
 * mime_walk on nested multiparts, message/rfc822 and uuencode.  Then the
 * sniffing table, part removal (byte-for-byte comparison of what is
 * kept, re-walk), wrapping (re-walk, boundary absent and fresh), macro
 * expansion and whole notifications (header order, no injection, CRLF
 * only, re-walk of the attachment form), and the output caps.
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

#include "mime.h"
#include "smtp_msg.h"

#define U(s)	((const uint8_t *)(s))
#define MAXP	32

/* ---- helpers ---- */

struct gotpart {
	unsigned	 index;
	char		 fname[256];
	int		 hasname;
	char		 ctype[64];
	char		 dtype[64];
	size_t		 size;
	uint8_t		*data;
};

struct coll {
	struct gotpart	g[MAXP];
	unsigned	n;
	int		corrupt;
};

/* on_walk - mime_walk collector */
static int
on_walk(const struct mime_part *p, const uint8_t *d, size_t n, void *arg)
{
	struct coll	*c = arg;
	struct gotpart	*g;

	assert_true(c->n < MAXP);
	g = &c->g[c->n++];
	g->index = p->index;
	g->hasname = p->filename != NULL;
	snprintf(g->fname, sizeof(g->fname), "%s", p->filename ? p->filename :
	    "");
	snprintf(g->ctype, sizeof(g->ctype), "%s", p->ctype);
	g->size = n;
	g->data = malloc(n + 1);
	memcpy(g->data, d, n);
	return 0;
}

/* on_part - msg_parts collector */
static int
on_part(const struct msg_part *p, void *arg)
{
	struct coll	*c = arg;
	struct gotpart	*g;

	assert_true(c->n < MAXP);
	g = &c->g[c->n++];
	g->index = p->index;
	g->hasname = p->filename != NULL;
	snprintf(g->fname, sizeof(g->fname), "%s", p->filename ? p->filename :
	    "");
	snprintf(g->ctype, sizeof(g->ctype), "%s", p->ctype);
	snprintf(g->dtype, sizeof(g->dtype), "%s", p->dtype ? p->dtype : "");
	g->size = p->size;
	return 0;
}

/* coll_fini - free copies */
static void
coll_fini(struct coll *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->g[i].data);
	c->n = 0;
}

/* rewalk - walk buf with the engine */
static void
rewalk(const void *buf, size_t n, struct coll *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(mime_walk(U(buf), n, NULL, on_walk, c, &c->corrupt),
	    0);
}

/* has_bare_lf - a '\n' not preceded by '\r' in [a, b)? */
static int
has_bare_lf(const char *s, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if ((s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) ||
		    (s[i] == '\r' && (i + 1 >= b || s[i + 1] != '\n')))
			return 1;
	return 0;
}

/* find - offset of needle in out, or -1 */
static long
find(const struct strbuf *out, const char *needle)
{
	const char	*p;

	if (out->data == NULL)
		return -1;
	p = memmem(out->data, out->len, needle, strlen(needle));
	return p == NULL ? -1 : (long)(p - out->data);
}

/* ---- msg_header_end ---- */

static const struct {
	const char	*m;
	size_t		 len;	/* 0: strlen */
	size_t		 body, ins;
} hend_cases[] = {
	{ "", 0, 0, 0 },
	{ "\r\n", 0, 2, 0 },
	{ "\n", 0, 1, 0 },
	{ "\r\nbody", 0, 2, 0 },
	{ "Subject: x", 0, 10, 10 },			/* no line end */
	{ "Subject: x\r\n", 0, 12, 12 },		/* no body, no empty */
	{ "Subject: x\r\n\r\n", 0, 14, 12 },		/* empty body */
	{ "Subject: x\r\n\r\nbody\r\n", 0, 14, 12 },
	{ "Subject: x\n\nbody\n", 0, 12, 11 },		/* LF only */
	{ "Subject: x\r\n\r", 0, 13, 12 },		/* cut empty line */
	{ "Subject: x\r\nnot a header\r\nA: b\r\n\r\n", 0, 12, 12 },
	{ "Subject: x\r\n folded\r\n\tagain\r\n\r\nb", 0, 31, 29 },
	{ " leading fold\r\nA: b\r\n\r\n", 0, 23, 21 },
	{ "Name : v\r\n\r\n", 0, 12, 10 },		/* blank, colon */
	{ "Bad\x80Name: v\r\n\r\n", 0, 0, 0 },		/* 8-bit name */
	{ "Subject: \xc3\xa9t\xc3\xa9\r\n\r\nb", 0, 18, 16 },
	{ "Subject: a\0b\r\n\r\nb", 17, 16, 14 },	/* NUL in value */
	{ "From sender Mon Jan 1\r\nSubject: x\r\n\r\n", 0, 0, 0 },
	{ ": no name\r\n\r\n", 0, 0, 0 },
	{ "A: 1\r\nB: 2\r\n", 0, 12, 12 },
	{ "A: 1\r\nB: 2\r\nbody without separator", 0, 12, 12 },
	{ "A: 1\nB: 2\r\n\nmixed", 0, 12, 11 },
};

/* test_header_end - the table */
static void
test_header_end(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hend_cases) / sizeof(hend_cases[0]);
	    i++) {
		size_t	n = hend_cases[i].len ? hend_cases[i].len :
		    strlen(hend_cases[i].m), ins = 999, b;

		b = msg_header_end(U(hend_cases[i].m), n, &ins);
		if (b != hend_cases[i].body || ins != hend_cases[i].ins)
			fail_msg("case %zu: body %zu ins %zu, want %zu %zu", i,
			    b, ins, hend_cases[i].body, hend_cases[i].ins);
	}
}

/* ---- msg_header ---- */

static const struct {
	const char	*m;
	size_t		 len;
	const char	*name;
	size_t		 outlen;
	int		 found;
	const char	*want;
} hdr_cases[] = {
	{ "", 0, "Subject", 64, 0, "" },
	{ "Subject: hello\r\n\r\n", 0, "subject", 64, 1, "hello" },
	{ "SUBJECT:hello", 0, "Subject", 64, 1, "hello" },	/* no eol */
	{ "Subject:   \t hi  \t \r\n", 0, "Subject", 64, 1, "hi" },
	{ "Subject: a\r\n b\r\n\tc\r\n\r\n", 0, "Subject", 64, 1,
	    "a b c" },
	{ "Subject:\r\n folded only\r\n", 0, "Subject", 64, 1,
	    "folded only" },
	{ "Subject: first\r\nSubject: second\r\n", 0, "Subject", 64, 1,
	    "first" },
	{ "X: 1\r\n\r\nSubject: in body\r\n", 0, "Subject", 64, 0, "" },
	{ "X: 1\r\njunk line\r\nSubject: after\r\n", 0, "Subject", 64, 0,
	    "" },
	{ "Subject: a\0b\x01" "c\x7f" "d\r\n", 17, "Subject", 64, 1,
	    "a b c d" },
	{ "Subject: \xc3\xa9t\xc3\xa9\r\n", 0, "Subject", 64, 1,
	    "\xc3\xa9t\xc3\xa9" },
	{ "Subject: 0123456789\r\n", 0, "Subject", 5, 1, "0123" },
	{ "Subject: 0123456789\r\n", 0, "Subject", 1, 1, "" },
	{ "Subject : spaced\r\n", 0, "Subject", 64, 1, "spaced" },
	{ "Subjec: x\r\nSubjects: y\r\n", 0, "Subject", 64, 0, "" },
	{ "Message-ID: <a@b>\r\n", 0, "message-id", 64, 1, "<a@b>" },
	{ "To: a\r\nFrom: b\r\n", 6, "From", 64, 0, "" },	/* hdrlen */
};

/* test_header - the table, plus outlen 0 */
static void
test_header(void **state)
{
	char	out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]);
	    i++) {
		size_t	n = hdr_cases[i].len ? hdr_cases[i].len :
		    strlen(hdr_cases[i].m);
		int	f;

		memset(out, 'Z', sizeof(out));
		f = msg_header(U(hdr_cases[i].m), n, hdr_cases[i].name, out,
		    hdr_cases[i].outlen);
		if (f != hdr_cases[i].found || strcmp(out, hdr_cases[i].want))
			fail_msg("case %zu: %d \"%s\"", i, f, out);
	}
	assert_int_equal(msg_header(U("A: b\r\n"), 6, "A", NULL, 0), 1);
}

/* ---- msg_parts ---- */

#define B64ZIP	"UEsDBAoAAAAAAA==\r\n"	/* "PK\3\4\n\0\0\0\0\0" */

static const char nested[] =
	"From: a@example.org\r\nTo: b@example.net\r\nSubject: nested\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
	"preamble\r\n--outer\r\n"
	"Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
	"--inner\r\nContent-Type: text/plain\r\n\r\nplain text\r\n"
	"begin 644 e.com\r\n#86)C\r\n`\r\nend\r\n"
	"--inner\r\nContent-Type: text/html\r\n\r\n<html><b>x</b></html>\r\n"
	"--inner--\r\n"
	"--outer\r\nContent-Type: application/octet-stream; name=a.zip\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.zip\r\n"
	"\r\n" B64ZIP
	"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: inner\r\n\r\nMZ inner body\r\n"
	"--outer\r\nContent-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename=\"=?utf-8?q?d=C3=A9.pdf?=\"\r\n"
	"\r\n%PDF-1.4 data\r\n"
	"--outer--\r\nepilogue\r\n";

static const char uutext[] =
	"From: a@b\r\nSubject: uu\r\n\r\nHere:\r\n"
	"begin 644 one.exe\r\n#86)C\r\n`\r\nend\r\n"
	"and\r\nbegin 600 two\r\n\"86)C\r\n`\r\nend\r\n";

/* parts_same - msg_parts and mime_walk agree on m */
static void
parts_same(const char *m, unsigned want)
{
	struct coll	*a = calloc(1, sizeof(*a));
	struct coll	*b = calloc(1, sizeof(*b));

	assert_int_equal(msg_parts(U(m), strlen(m), on_part, a), 0);
	rewalk(m, strlen(m), b);
	assert_int_equal(a->n, want);
	assert_int_equal(b->n, want);
	for (unsigned i = 0; i < a->n; i++) {
		assert_int_equal(a->g[i].index, i + 1);
		assert_int_equal(a->g[i].index, b->g[i].index);
		assert_int_equal(a->g[i].hasname, b->g[i].hasname);
		assert_string_equal(a->g[i].fname, b->g[i].fname);
		assert_string_equal(a->g[i].ctype, b->g[i].ctype);
		assert_int_equal(a->g[i].size, b->g[i].size);
	}
	coll_fini(b);
	free(a);
	free(b);
}

/* test_parts - numbering is the engine's */
static void
test_parts(void **state)
{
	struct coll	*c = calloc(1, sizeof(*c));

	(void)state;
	parts_same(nested, 6);
	parts_same(uutext, 3);
	parts_same("Subject: x\r\n\r\nplain", 1);
	parts_same("", 1);
	parts_same("Content-Type: multipart/mixed; boundary=x\r\n\r\n"
	    "--x\r\n\r\na\r\n--x\r\n\r\nb", 2);		/* no closing */
	assert_int_equal(msg_parts(U(nested), strlen(nested), on_part, c), 0);
	assert_string_equal(c->g[0].ctype, "text/plain");
	assert_string_equal(c->g[1].fname, "e.com");
	assert_string_equal(c->g[1].ctype, "application/octet-stream");
	assert_int_equal(c->g[1].size, 3);
	assert_string_equal(c->g[2].ctype, "text/html");
	assert_string_equal(c->g[2].dtype, "text/html");
	assert_string_equal(c->g[3].fname, "r\xc3\xa9sum\xc3\xa9.zip");
	assert_string_equal(c->g[3].dtype, "application/zip");
	assert_int_equal(c->g[3].size, 10);
	assert_string_equal(c->g[4].ctype, "message/rfc822");
	assert_string_equal(c->g[5].fname, "d\xc3\xa9.pdf");
	assert_string_equal(c->g[5].dtype, "application/pdf");
	free(c);
}

/* stop_two - stop at part 2 */
static int
stop_two(const struct msg_part *p, void *arg)
{
	(*(unsigned *)arg)++;
	return p->index == 2 ? 7 : 0;
}

/* test_parts_stop - cb's non-zero stops the walk with 1 */
static void
test_parts_stop(void **state)
{
	unsigned	n = 0;

	(void)state;
	assert_int_equal(msg_parts(U(nested), strlen(nested), stop_two, &n),
	    1);
	assert_int_equal(n, 2);
}

/* ---- msg_sniff ---- */

static const struct {
	const char	*d;
	size_t		 n;
	const char	*type;
} sniff_cases[] = {
	{ "", 0, NULL },
	{ "M", 1, NULL },
	{ "MZ", 2, "application/x-dosexec" },
	{ "\x7f" "ELF\2\1", 6, "application/x-executable" },
	{ "\xcf\xfa\xed\xfe\7\0\0\1", 8, "application/x-mach-binary" },
	{ "\xfe\xed\xfa\xce", 4, "application/x-mach-binary" },
	{ "\xca\xfe\xba\xbe\0\0\0\2", 8, "application/x-mach-binary" },
	{ "\xca\xfe\xba\xbe\0\0\0\x34", 8, NULL },	/* Java class */
	{ "PK\3\4\x14\0", 6, "application/zip" },
	{ "PK\5\6", 4, "application/zip" },
	{ "Rar!\x1a\x07\0", 7, "application/x-rar" },
	{ "7z\xbc\xaf\x27\x1c\0\4", 8, "application/x-7z-compressed" },
	{ "\x1f\x8b\x08", 3, "application/gzip" },
	{ "BZh91AY", 7, "application/x-bzip2" },
	{ "BZh0", 4, NULL },
	{ "\xfd" "7zXZ\0\0", 7, "application/x-xz" },
	{ "%PDF-1.7\n", 9, "application/pdf" },
	{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0", 9,
	    "application/x-ole-storage" },
	{ "{\\rtf1\\ansi", 11, "application/rtf" },
	{ "\x89PNG\r\n\x1a\n\0", 9, "image/png" },
	{ "GIF89a\1\0", 8, "image/gif" },
	{ "GIF87a", 6, "image/gif" },
	{ "\xff\xd8\xff\xe0", 4, "image/jpeg" },
	{ "<html><body>", 12, "text/html" },
	{ "  \r\n\t<HTML lang=en>", 18, "text/html" },
	{ "\xef\xbb\xbf<!DOCTYPE html>", 18, "text/html" },
	{ "<!doctype HTML>", 15, "text/html" },
	{ "<htm", 4, NULL },
	{ "<p>hello</p>", 12, NULL },
	{ "#!/bin/sh\n", 10, "application/x-sh" },
	{ "#", 1, NULL },
	{ "hello world", 11, NULL },
};

/* test_sniff - the table, plus tar at 257 */
static void
test_sniff(void **state)
{
	uint8_t		tar[512];
	const char	*t;

	(void)state;
	for (size_t i = 0; i < sizeof(sniff_cases) / sizeof(sniff_cases[0]);
	    i++) {
		t = msg_sniff(U(sniff_cases[i].d), sniff_cases[i].n);
		if ((t == NULL) != (sniff_cases[i].type == NULL) ||
		    (t != NULL && strcmp(t, sniff_cases[i].type) != 0))
			fail_msg("case %zu: %s", i, t ? t : "NULL");
	}
	memset(tar, 0, sizeof(tar));
	memcpy(tar, "file.txt", 8);
	memcpy(tar + 257, "ustar\0" "00", 8);
	assert_string_equal(msg_sniff(tar, sizeof(tar)), "application/x-tar");
	assert_null(msg_sniff(tar, 261));		/* cut before it */
}

/* ---- msg_remove_parts ---- */

#define P1	"--b1\r\nContent-Type: text/plain\r\n\r\nkeep one\r\n"
#define P2	"--b1\r\nContent-Type: application/octet-stream; name=x.exe\r\n" \
		"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n"
#define P3	"--b1\r\nContent-Type: text/plain\r\n\r\nkeep three\r\n--b1--\r\n"
#define MHDR	"Received: from x\r\nFrom: a@b\r\nSubject: three\r\n" \
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n"

/* test_remove - part 2 replaced, the rest byte for byte */
static void
test_remove(void **state)
{
	const char	*m = MHDR P1 P2 P3;
	const unsigned	 idx[] = { 9, 2, 2 };
	struct strbuf	 out;
	struct coll	 c;
	const char	*want_head = MHDR P1 "--b1\r\n";

	(void)state;
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_remove_parts(U(m), strlen(m), idx, 3,
	    "Removed: x.exe\nINFECTED Eicar\n", &out), 1);
	assert_memory_equal(out.data, want_head, strlen(want_head));
	assert_true(find(&out, "\r\n\r\nRemoved: x.exe\r\nINFECTED Eicar\r\n"
	    P3) > 0);
	assert_int_equal(find(&out, "TVqQ"), -1);
	assert_false(has_bare_lf(out.data, 0, out.len));
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 3);
	assert_false(c.corrupt);
	assert_int_equal(c.g[0].size, 8);
	assert_memory_equal(c.g[0].data, "keep one", 8);
	assert_string_equal(c.g[1].ctype, "text/plain");
	assert_false(c.g[1].hasname);
	assert_memory_equal(c.g[2].data, "keep three", 10);
	coll_fini(&c);

	/* none of idx exists: nothing appended */
	strbuf_reset(&out);
	strbuf_append(&out, "pre", 3);
	assert_int_equal(msg_remove_parts(U(m), strlen(m), idx, 1, "n",
	    &out), 0);
	assert_int_equal(out.len, 3);
	assert_int_equal(msg_remove_parts(U(m), strlen(m), NULL, 0, "n",
	    &out), 0);
	assert_int_equal(out.len, 3);
	strbuf_fini(&out);
}

/* test_remove_top - the top-level body; unusual first fields; LF; a
 * notice line that looks like a boundary */
static void
test_remove_top(void **state)
{
	const char	*m = "Thread-Topic: t\r\nImportance: high\r\n"
	    "Subject: s\r\nContent-Type: application/x-msdownload\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n";
	const char	*lf = "Subject: s\nContent-Type: multipart/mixed; "
	    "boundary=q\n\n--q\n\na\n--q\n\nb\n--q--\n";
	const unsigned	 one = 1, two = 2;
	struct strbuf	 out;
	struct coll	 c;

	(void)state;
	assert_int_equal(mime_kind(U(m), strlen(m)), 0);
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_remove_parts(U(m), strlen(m), &one, 1,
	    "gone", &out), 1);
	assert_string_equal(out.data, "Thread-Topic: t\r\nImportance: high\r\n"
	    "Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\nContent-Disposition: "
	    "inline\r\n\r\ngone\r\n");
	strbuf_reset(&out);
	assert_int_equal(msg_remove_parts(U(lf), strlen(lf), &two, 1,
	    "x\r\n--q--\r\ny", &out), 1);
	assert_true(find(&out, "\n\nx\n --q--\ny\n--q--\n") > 0);
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 2);
	assert_false(c.corrupt);
	coll_fini(&c);
	strbuf_reset(&out);
	assert_int_equal(msg_remove_parts(U("From x\r\nhello"), 13, &one, 1,
	    "n", &out), -1);
	assert_int_equal(errno, EINVAL);
	strbuf_fini(&out);
}

/* test_remove_uu - a uu block in text numbered as the engine does */
static void
test_remove_uu(void **state)
{
	const unsigned	 three = 3;
	struct strbuf	 out;
	struct coll	 c;

	(void)state;
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_remove_parts(U(uutext), strlen(uutext), &three,
	    1, "cut", &out), 1);
	assert_true(find(&out, "begin 644 one.exe") > 0);
	assert_int_equal(find(&out, "begin 600 two"), -1);
	assert_true(find(&out, "and\r\ncut\r\n") > 0);
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 2);
	coll_fini(&c);
	strbuf_fini(&out);
}

/* ---- msg_wrap ---- */

/* bnd_of - the boundary of a wrap's Content-Type, into b */
static void
bnd_of(const struct strbuf *out, char *b, size_t cap)
{
	long		 at = find(out, "boundary=\"");
	const char	*s, *e;

	assert_true(at >= 0);
	s = out->data + at + 10;
	e = strchr(s, '"');
	assert_non_null(e);
	assert_true((size_t)(e - s) < cap);
	memcpy(b, s, (size_t)(e - s));
	b[e - s] = '\0';
}

/* wrap_check - wrap m and check the result's structure */
static void
wrap_check(const char *m, size_t n, char *bnd, size_t cap)
{
	struct strbuf	 out;
	struct coll	 c;
	size_t		 ins;

	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_wrap(U(m), n, "Report line 1\nline 2", &out), 0);
	bnd_of(&out, bnd, cap);
	assert_true(n == 0 || memmem(m, n, bnd, strlen(bnd)) == NULL);
	assert_true(memmem(out.data, out.len, m, n) != NULL);
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 2);
	assert_false(c.corrupt);
	assert_string_equal(c.g[0].ctype, "text/plain");
	assert_int_equal(c.g[0].size, strlen("Report line 1\r\nline 2"));
	assert_memory_equal(c.g[0].data, "Report line 1\r\nline 2",
	    c.g[0].size);
	assert_string_equal(c.g[1].ctype, "message/rfc822");
	assert_int_equal(c.g[1].size, n);
	assert_true(n == 0 || memcmp(c.g[1].data, m, n) == 0);
	coll_fini(&c);
	(void)msg_header_end(U(out.data), out.len, &ins);
	assert_true(msg_header(U(out.data), ins, "MIME-Version", bnd + 100,
	    8));
	strbuf_fini(&out);
}

/* test_wrap - structure, header fields kept, boundary fresh */
static void
test_wrap(void **state)
{
	char		 b1[200], b2[200];
	struct strbuf	 out;
	const char	*m = "Received: x\r\nFrom: a@b\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"vigil=_\"\r\n"
	    "Subject: s\r\n folded\r\ncontent-transfer-encoding: 7bit\r\n\r\n"
	    "--vigil=_\r\n\r\nvigil=_0123\r\n--vigil=_--\r\n";

	(void)state;
	wrap_check(m, strlen(m), b1, sizeof(b1));
	wrap_check(m, strlen(m), b2, sizeof(b2));
	assert_string_not_equal(b1, b2);
	assert_int_equal(strncmp(b1, "vigil=_", 7), 0);
	wrap_check("", 0, b1, sizeof(b1));
	wrap_check("no header at all", 16, b1, sizeof(b1));
	wrap_check("Subject: only\r\n", 15, b1, sizeof(b1));
	wrap_check("Subject: cut", 12, b1, sizeof(b1));
	wrap_check("Subject: lf\n\nbody\n", 18, b1, sizeof(b1));
	wrap_check("Subject: n\0ul\r\n\r\nb\0dy", 21, b1, sizeof(b1));

	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_wrap(U(m), strlen(m), "r", &out), 0);
	bnd_of(&out, b1, sizeof(b1));
	/* the fields but MIME-Version and Content-*, byte for byte */
	assert_memory_equal(out.data, "Received: x\r\nFrom: a@b\r\n"
	    "Subject: s\r\n folded\r\nMIME-Version: 1.0\r\nContent-Type: "
	    "multipart/mixed; boundary=\"", 97);
	strbuf_reset(&out);
	assert_int_equal(msg_wrap(U("Subject: cut"), 12, "r", &out), 0);
	assert_memory_equal(out.data, "Subject: cut\r\nMIME-Version", 26);
	strbuf_reset(&out);
	assert_int_equal(msg_wrap(U("Subject: \xe9\r\n\r\n\xff"), 14, "r",
	    &out), 0);
	assert_true(find(&out, "message/rfc822\r\nContent-Transfer-Encoding: "
	    "8bit\r\n") > 0);
	strbuf_fini(&out);
}

/* ---- msg_expand ---- */

static const struct msg_vars	vars = {
	.sender = "a@example.org", .recipients = "b@example.net, c@x",
	.status = "INFECTED", .action = "remove",
	.threats = "Eicar-Test-Signature",
	.objects = "part2:eicar.com INFECTED Eicar-Test-Signature\n"
	    "part3 INFECTED Other",
	.group = "default", .message_id = "<id@x>",
	.subject = "Hi\r\nBcc: victim@x", .from = "A <a@example.org>",
	.to = NULL, .date = "Mon, 1 Jan 2024 00:00:00 +0000",
	.hostname = "mx.example.org", .queue_id = "Q1",
	.quarantine = "", .time = "2024-01-01T00:00:00Z",
	.headers = (const uint8_t *)"Subject: x\r\nX-A: \0b\r\n",
	.headers_len = 21,
};

static const struct {
	const char	*t;
	int		 flat;
	const char	*want;
} exp_cases[] = {
	{ "", 0, "" },
	{ "plain", 0, "plain" },
	{ "$", 0, "$" },
	{ "$$", 0, "$" },
	{ "$$$", 0, "$$" },
	{ "$${STATUS}", 0, "${STATUS}" },
	{ "${STATUS}", 0, "INFECTED" },
	{ "a${STATUS}b${ACTION}c", 1, "aINFECTEDbremovec" },
	{ "${UNKNOWN} ${status} ${STATUS", 0, "${UNKNOWN} ${status} ${STATUS" },
	{ "${} ${", 0, "${} ${" },
	{ "${TO}|${QUARANTINE}|", 0, "||" },
	{ "${SUBJECT}", 1, "Hi  Bcc: victim@x" },
	{ "${SUBJECT}", 0, "Hi\r\nBcc: victim@x" },
	{ "${OBJECTS}", 0, "part2:eicar.com INFECTED Eicar-Test-Signature\r\n"
	    "part3 INFECTED Other" },
	{ "${OBJECTS}", 1, "part2:eicar.com INFECTED Eicar-Test-Signature "
	    "part3 INFECTED Other" },
	{ "${HEADERS}", 0, "Subject: x\r\nX-A:  b\r\n" },
	{ "${HEADERS}", 1, "Subject: x  X-A:  b  " },
	{ "line1\nline2\r\nline3\r", 0, "line1\r\nline2\r\nline3\r\n" },
	{ "line1\n${STATUS}\n", 1, "line1\nINFECTED\n" },
	{ "$${SENDER}$$ ${SENDER}", 0, "${SENDER}$ a@example.org" },
};

/* test_expand - the table; NULL vars; the 900-byte cut */
static void
test_expand(void **state)
{
	struct strbuf		out;
	struct msg_vars		big = { 0 };
	char			*v = malloc(2000);

	(void)state;
	strbuf_init(&out, 1 << 16);
	for (size_t i = 0; i < sizeof(exp_cases) / sizeof(exp_cases[0]);
	    i++) {
		strbuf_reset(&out);
		assert_int_equal(msg_expand(exp_cases[i].t,
		    strlen(exp_cases[i].t), &vars, exp_cases[i].flat, &out), 0);
		if (out.len != strlen(exp_cases[i].want) || (out.len > 0 &&
		    memcmp(out.data, exp_cases[i].want, out.len) != 0))
			fail_msg("case %zu: \"%.*s\"", i, (int)out.len,
			    out.data ? out.data : "");
	}
	strbuf_reset(&out);
	assert_int_equal(msg_expand("<${SENDER}>", 11, NULL, 1, &out), 0);
	assert_string_equal(out.data, "<>");
	/* a flat value stops at 900 bytes, not inside a UTF-8 sequence */
	memset(v, 'a', 2000);
	v[899] = '\xc3';
	v[900] = '\xa9';
	v[1999] = '\0';
	big.subject = v;
	strbuf_reset(&out);
	assert_int_equal(msg_expand("${SUBJECT}", 10, &big, 1, &out), 0);
	assert_int_equal(out.len, 899);
	strbuf_reset(&out);
	assert_int_equal(msg_expand("${SUBJECT}", 10, &big, 0, &out), 0);
	assert_int_equal(out.len, 1999);
	/* the cap */
	strbuf_fini(&out);
	strbuf_init(&out, 100);
	assert_int_equal(msg_expand("${SUBJECT}", 10, &big, 0, &out), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&out);
	free(v);
}

/* ---- msg_notify ---- */

static const char	tmpl[] =
	"Subject: [vigil] ${STATUS}: ${SUBJECT}\n"
	"X-Vigil-Notification: admin\n"
	"From: template@ignored\n"
	"Date: never\n"
	"Content-Type: text/html;\n"
	" charset=ignored\n"
	"X-Folded: a\n"
	" ${GROUP}\n"
	"\n"
	"Threats: ${THREATS}\n"
	"${OBJECTS}\n"
	"--\n"
	"${HEADERS}";

/* hdr_order - the fields of a notification in order, checked */
static void
hdr_order(const struct strbuf *out, const char *const *names)
{
	size_t	ins, body = msg_header_end(U(out->data), out->len, &ins);
	size_t	p = 0, k = 0, e;

	assert_true(body < out->len || body == out->len);
	assert_true(ins > 0);
	while (p < ins) {
		e = (size_t)((char *)memchr(out->data + p, '\n', ins - p) -
		    out->data);
		if (out->data[p] != ' ' && out->data[p] != '\t') {
			assert_non_null(names[k]);
			if (strncmp(out->data + p, names[k], strlen(names[k])))
				fail_msg("field %zu: %.*s, want %s", k,
				    (int)(e - p), out->data + p, names[k]);
			k++;
		}
		p = e + 1;
	}
	assert_null(names[k]);
}

/* test_notify_plain - text/plain, field order, no injection, CRLF */
static void
test_notify_plain(void **state)
{
	static const char *const	want[] = { "Subject: [vigil] INFECTED: "
	    "Hi  Bcc: victim@x\r\n", "X-Vigil-Notification: admin\r\n",
	    "X-Folded: a\r\n", "From: MAILER-DAEMON@localhost\r\n",
	    "To: admin@example.org, root@x\r\n", "Date: ", "Message-ID: <",
	    "Auto-Submitted: auto-generated\r\n", "MIME-Version: 1.0\r\n",
	    "Content-Type: text/plain; charset=utf-8\r\n",
	    "Content-Transfer-Encoding: 8bit\r\n", NULL };
	struct strbuf	out;
	struct coll	c;
	char		date[128], id[128];
	size_t		ins, body;
	unsigned	d, y, hh, mm, ss;
	char		wd[4], mo[4], sign;
	int		off;

	(void)state;
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_notify(tmpl, strlen(tmpl), &vars,
	    "MAILER-DAEMON@localhost\r\nBcc: x", "admin@example.org, root@x",
	    NULL, 0, &out), -0);
	/* the From value was flattened: it is one field */
	assert_true(find(&out, "From: MAILER-DAEMON@localhost  Bcc: x\r\n")
	    >= 0);
	strbuf_reset(&out);
	assert_int_equal(msg_notify(tmpl, strlen(tmpl), &vars,
	    "MAILER-DAEMON@localhost", "admin@example.org, root@x", NULL, 0,
	    &out), 0);
	hdr_order(&out, want);
	assert_false(has_bare_lf(out.data, 0, out.len));
	assert_true(find(&out, "X-Folded: a\r\n default\r\n") > 0);
	assert_int_equal(find(&out, "template@ignored"), -1);
	assert_int_equal(find(&out, "text/html"), -1);
	body = msg_header_end(U(out.data), out.len, &ins);
	assert_true(msg_header(U(out.data), ins, "Date", date, sizeof(date)));
	assert_int_equal(sscanf(date, "%3s, %2u %3s %4u %2u:%2u:%2u %c%4d",
	    wd, &d, mo, &y, &hh, &mm, &ss, &sign, &off), 9);
	assert_true(strstr("SunMonTueWedThuFriSat", wd) != NULL);
	assert_true(strstr("JanFebMarAprMayJunJulAugSepOctNovDec", mo) != NULL);
	assert_true(y >= 2024 && d >= 1 && d <= 31);
	assert_true(msg_header(U(out.data), ins, "Message-ID", id,
	    sizeof(id)));
	assert_int_equal(strlen(id), 2 + 32 + 1 + strlen("mx.example.org"));
	assert_string_equal(id + 33, "@mx.example.org>");
	assert_string_equal(out.data + body, "Threats: Eicar-Test-Signature\r\n"
	    "part2:eicar.com INFECTED Eicar-Test-Signature\r\n"
	    "part3 INFECTED Other\r\n--\r\nSubject: x\r\nX-A:  b\r\n");
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 1);
	coll_fini(&c);
	strbuf_fini(&out);
}

/* test_notify_attach - multipart with the original as message/rfc822 */
static void
test_notify_attach(void **state)
{
	struct strbuf	 out, o2;
	struct coll	 c;
	char		 b1[200], b2[200];
	const char	*orig = nested;

	(void)state;
	strbuf_init(&out, 1 << 20);
	strbuf_init(&o2, 1 << 20);
	assert_int_equal(msg_notify(tmpl, strlen(tmpl), &vars, "f@x", "t@y",
	    U(orig), strlen(orig), &out), 0);
	assert_int_equal(msg_notify(tmpl, strlen(tmpl), &vars, "f@x", "t@y",
	    U(orig), strlen(orig), &o2), 0);
	bnd_of(&out, b1, sizeof(b1));
	bnd_of(&o2, b2, sizeof(b2));
	assert_string_not_equal(b1, b2);
	assert_null(strstr(orig, b1));
	assert_true(find(&out, "Content-Type: multipart/mixed; boundary=") > 0);
	assert_true(find(&out, "Auto-Submitted: auto-generated\r\n") > 0);
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 2);
	assert_false(c.corrupt);
	assert_string_equal(c.g[0].ctype, "text/plain");
	assert_true(memmem(c.g[0].data, c.g[0].size, "Threats: Eicar", 14));
	assert_string_equal(c.g[1].ctype, "message/rfc822");
	assert_int_equal(c.g[1].size, strlen(orig));
	assert_memory_equal(c.g[1].data, orig, strlen(orig));
	coll_fini(&c);
	assert_true(find(&out, "Content-Disposition: attachment\r\n") > 0);
	strbuf_fini(&out);
	strbuf_fini(&o2);
}

/* test_notify_edges - no header part, empty values, long lines, caps */
static void
test_notify_edges(void **state)
{
	struct strbuf	 out;
	char		*lng = malloc(5000), subj[64];
	size_t		 ins, body, col = 0;

	(void)state;
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_notify("Just a body: ${STATUS}\n\nmore", 28,
	    &vars, NULL, NULL, NULL, 0, &out), 0);
	body = msg_header_end(U(out.data), out.len, &ins);
	assert_true(msg_header(U(out.data), ins, "Subject", subj,
	    sizeof(subj)));
	assert_string_equal(subj, "vigil: INFECTED message");
	assert_true(find(&out, "\r\nTo: undisclosed-recipients:;\r\n") > 0);
	assert_true(find(&out, "\r\nFrom: MAILER-DAEMON@mx.example.org\r\n")
	    > 0);
	assert_string_equal(out.data + body,
	    "Just a body: INFECTED\r\n\r\nmore\r\n");
	strbuf_reset(&out);
	/* no vars at all, empty template */
	assert_int_equal(msg_notify("", 0, NULL, "f@x", "t@y", NULL, 0,
	    &out), 0);
	assert_true(find(&out, "Subject: vigil:  message\r\n") == 0);
	strbuf_reset(&out);
	assert_int_equal(msg_notify(NULL, 0, NULL, "f@x", "t@y", U(""), 0,
	    &out), 0);
	assert_false(has_bare_lf(out.data, 0, out.len));
	/* a 4999-byte line is broken under 998 octets */
	memset(lng, 'x', 4999);
	lng[4999] = '\0';
	strbuf_reset(&out);
	assert_int_equal(msg_notify(lng, 4999, NULL, "f@x", "t@y", NULL, 0,
	    &out), 0);
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] == '\r' || out.data[i] == '\n')
			col = 0;
		else
			assert_true(++col <= 998);
	}
	assert_false(has_bare_lf(out.data, 0, out.len));
	/* a header line cut at 998 */
	memcpy(lng, "Subject: ", 9);
	memcpy(lng + 4990, "\n\nbody\n", 8);
	strbuf_reset(&out);
	assert_int_equal(msg_notify(lng, strlen(lng), NULL, "f@x", "t@y",
	    NULL, 0, &out), 0);
	assert_true(find(&out, "\r\nFrom: f@x") == 998);
	strbuf_fini(&out);
	/* the cap */
	strbuf_init(&out, 200);
	assert_int_equal(msg_notify(tmpl, strlen(tmpl), &vars, "f@x", "t@y",
	    NULL, 0, &out), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&out);
	strbuf_init(&out, 10);
	assert_int_equal(msg_wrap(U("Subject: x\r\n\r\n"), 14, "r", &out), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&out);
	free(lng);
}

/* test_templates - the shipped templates expand to sane notifications */
static void
test_templates(void **state)
{
	static const char *const	names[] = { "admin", "sender",
	    "recipient" };
	char		 path[512], buf[8192], val[128];
	struct strbuf	 out;
	const char	*dir = getenv("VIGIL_SRC");
	size_t		 n, ins;
	FILE		*f;

	(void)state;
	strbuf_init(&out, 1 << 20);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/share/vigil/mail/%s.txt",
		    dir != NULL ? dir : ".", names[i]);
		if ((f = fopen(path, "rb")) == NULL)
			skip();
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		strbuf_reset(&out);
		assert_int_equal(msg_notify(buf, n, &vars, "m@x", "t@y", NULL,
		    0, &out), 0);
		(void)msg_header_end(U(out.data), out.len, &ins);
		assert_true(msg_header(U(out.data), ins,
		    "X-Vigil-Notification", val, sizeof(val)));
		assert_string_equal(val, names[i]);
		assert_true(msg_header(U(out.data), ins, "Subject", val,
		    sizeof(val)));
		assert_null(strstr(out.data, "${"));
	}
	strbuf_fini(&out);
}

/* test_fuzz_found - inputs the fuzzer found: a value or a bare CR in
 * HEADERS that puts "begin 644 ..." at a line start of the body makes a
 * uu leaf in the text part; the attachment stays the last part */
static void
test_fuzz_found(void **state)
{
	static const char	m1[] = "Subject: \x84\rbegin 644 eicar.com\r\n"
	    "#86)C\r\n`\r\nend\r\n";
	static const char	t1[] = "Subject: s\n\n${HEADERS}\n";
	static const char	t2[] = "Subject: s\n\n${SUBJECT}\n";
	struct msg_vars		 v = { 0 };
	struct strbuf		 out;
	struct coll		 c;
	size_t			 ins, n = sizeof(m1) - 1;

	(void)state;
	(void)msg_header_end(U(m1), n, &ins);
	v.headers = U(m1);
	v.headers_len = ins;
	v.subject = "begin 644 eicar.com";
	strbuf_init(&out, 1 << 20);
	assert_int_equal(msg_notify(t1, strlen(t1), &v, "f@x", "t@y", U(m1),
	    n, &out), 0);
	assert_true(find(&out, "\r\nSubject: \x84\r\nbegin 644 eicar.com"
	    "\r\n") > 0);
	rewalk(out.data, out.len, &c);
	assert_true(c.n >= 2);
	assert_string_equal(c.g[c.n - 1].ctype, "message/rfc822");
	assert_int_equal(c.g[c.n - 1].size, n);
	assert_memory_equal(c.g[c.n - 1].data, m1, n);
	coll_fini(&c);
	strbuf_reset(&out);
	assert_int_equal(msg_notify(t2, strlen(t2), &v, "f@x", "t@y", U(m1),
	    n, &out), 0);
	rewalk(out.data, out.len, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.g[1].fname, "eicar.com");
	assert_memory_equal(c.g[2].data, m1, n);
	coll_fini(&c);
	strbuf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_header_end),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_parts_stop),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_remove_top),
		cmocka_unit_test(test_remove_uu),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_notify_plain),
		cmocka_unit_test(test_notify_attach),
		cmocka_unit_test(test_notify_edges),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_fuzz_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
