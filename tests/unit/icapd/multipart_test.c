/*
 * multipart_test.c - mp_boundary and mp_parts: edges first, then real
 * bodies (a curl -F upload), then the tricks an uploader may play; every
 * body is also split with max 0 and max 1, which must count the same
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "icap_multipart.h"

#define B(s)	s, sizeof(s) - 1

/* boundary cases */
static const struct {
	const char	*ctype;
	const char	*want;		/* NULL: -1 */
} btab[] = {
	{ "", NULL },
	{ "multipart/form-data", NULL },
	{ "multipart/form-data; boundary=", NULL },
	{ "multipart/form-data; boundary=\"\"", NULL },
	{ "text/plain; boundary=abc", NULL },
	{ "multipart; boundary=abc", NULL },
	{ "multipart/; boundary=abc", NULL },
	{ "multipartx/form-data; boundary=abc", NULL },
	{ "multipart/form-data; boundary=a", "a" },
	{ "multipart/form-data; boundary=abc", "abc" },
	{ "Multipart/Form-Data; BOUNDARY=abc", "abc" },
	{ "multipart/form-data;boundary=abc;charset=utf-8", "abc" },
	{ "multipart/form-data; charset=\"a;b\"; boundary=abc", "abc" },
	{ "multipart/form-data; boundary=\"a b:c\"", "a b:c" },
	{ "multipart/form-data; boundary=\"ab \"", NULL },
	{ "multipart/form-data; boundary=\"a\\\"b\"", NULL },
	{ "multipart/form-data; boundary=a@b", NULL },
	{ "multipart/form-data; boundary=abc; boundary=abc", NULL },
	{ "multipart/form-data; boundary=abc; boundary=def", NULL },
	{ "multipart/mixed; boundary=\"----=_Part_1\"", "----=_Part_1" },
	{ "multipart/related; type=\"text/html\"; boundary=rel", "rel" },
	{ "multipart/alternative; boundary=alt", "alt" },
	{ "  multipart/form-data ;  boundary = abc  ", "abc" },
};

/* boundary - the table, and an output buffer that is too small */
static void
boundary(void **state)
{
	char	 out[MP_BOUNDARY_MAX + 1], big[22 + MP_BOUNDARY_MAX + 1];
	size_t	 i;
	int	 rc;

	(void)state;
	for (i = 0; i < sizeof(btab) / sizeof(btab[0]); i++) {
		memset(out, 'x', sizeof(out));
		rc = mp_boundary(btab[i].ctype, strlen(btab[i].ctype), out,
		    sizeof(out));
		if (btab[i].want == NULL) {
			if (rc != -1)
				fail_msg("%s: got %s", btab[i].ctype, out);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: -1", btab[i].ctype);
		assert_string_equal(out, btab[i].want);
	}
	/* 70 characters are fine, 71 are not */
	memset(big, '-', sizeof(big));
	memcpy(big, "multipart/x; boundary=", 22);
	assert_int_equal(mp_boundary(big, 22 + MP_BOUNDARY_MAX, out,
	    sizeof(out)), 0);
	assert_int_equal(strlen(out), MP_BOUNDARY_MAX);
	assert_int_equal(mp_boundary(big, 22 + MP_BOUNDARY_MAX + 1, out,
	    sizeof(out)), -1);
	assert_int_equal(mp_boundary(B("multipart/x; boundary=abc"), out, 3),
	    -1);
	assert_int_equal(mp_boundary(B("multipart/x; boundary=abc"), out, 4),
	    0);
	/* len is honoured: the boundary is cut by it */
	assert_int_equal(mp_boundary("multipart/x; boundary=abcdef", 25, out,
	    sizeof(out)), 0);
	assert_string_equal(out, "abc");
}

struct want {
	const char	*content;
	size_t		 clen;
	const char	*name, *filename, *type;
	unsigned	 enc;
};

#define W(c, n, f, t, e)	{ c, sizeof(c) - 1, n, f, t, e }

static const struct {
	const char	*what;
	const char	*body;
	size_t		 len;
	const char	*boundary;
	int		 n;		/* mp_parts' result */
	int		 complete;
	struct want	 p[4];
} ptab[] = {
	{ "empty body", B(""), "b", -1, 0, { { 0 } } },
	{ "bad boundary", B("--\r\n"), "", -1, 0, { { 0 } } },
	{ "long boundary", B("--b\r\n"), "-----------------------------"
	    "------------------------------------------0123", -1, 0,
	    { { 0 } } },
	{ "garbage", B("\x01\xff garbage -- b\r\n-b\r\n"), "b", -1, 0,
	    { { 0 } } },
	{ "no line start", B("x--b\r\n--b\r\n\r\nabc\r\n--b--"), "b", 1, 1,
	    { W("abc", "", "", "", 0) } },
	{ "0 parts", B("--b--\r\n"), "b", 0, 1, { { 0 } } },
	{ "0 parts, open", B("--b\r\n"), "b", 0, 0, { { 0 } } },
	{ "delimiter at the end", B("--b"), "b", 0, 0, { { 0 } } },
	{ "empty part", B("--b\r\n\r\n\r\n--b--"), "b", 1, 1,
	    { W("", "", "", "", 0) } },
	{ "head only, no empty line", B("--b\r\nContent-Type: a/b\r\n--b--"),
	    "b", 1, 1, { W("", "", "", "a/b", 0) } },
	{ "delimiters back to back", B("--b\r\n--b\r\n\r\nx\r\n--b--"), "b",
	    2, 1, { W("", "", "", "", 0), W("x", "", "", "", 0) } },
	{ "curl -F upload",
	"--------------------------84e6eecaf1608b4e\r\n"
	"Content-Disposition: form-data; name=\"user\"\r\n"
	"\r\n"
	"alice\r\n"
	"--------------------------84e6eecaf1608b4e\r\n"
	"Content-Disposition: form-data; name=\"comment\"\r\n"
	"\r\n"
	"hi there\r\n"
	"--------------------------84e6eecaf1608b4e\r\n"
	"Content-Disposition: form-data; name=\"file1\"; filename=\"a.txt\"\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"hello world\n"
	"\r\n"
	"--------------------------84e6eecaf1608b4e\r\n"
	"Content-Disposition: form-data; name=\"file2\"; filename=\"b.bin\"\r\n"
	"Content-Type: application/x-msdownload\r\n"
	"\r\n"
	"MZ\220\000binary\r\n"
	"--not-a-boundary\r\n"
	"\r\n"
	"--------------------------84e6eecaf1608b4e--\r\n", 580,
	    "------------------------84e6eecaf1608b4e", 4, 1, {
		W("alice", "user", "", "", 0),
		W("hi there", "comment", "", "", 0),
		W("hello world\n", "file1", "a.txt", "text/plain", 0),
		W("MZ\220\000binary\r\n--not-a-boundary\r\n", "file2",
		    "b.bin", "application/x-msdownload", 0) } },
	{ "LF-only lines", B("--b\nContent-Disposition: form-data; "
	    "name=f; filename=x.exe\n\nMZ\n\n--b\n\ntwo\n--b--\n"), "b", 2, 1,
	    { W("MZ\n", "f", "x.exe", "", 0), W("two", "", "", "", 0) } },
	{ "preamble and epilogue", B("preamble --b\r\n\r\n--b\r\n"
	    "Content-Type: TEXT/Plain; charset=utf-8\r\n\r\nbody\r\n"
	    "--b--  epilogue\r\n--b\r\n\r\nnot a part"), "b", 1, 1,
	    { W("body", "", "", "text/plain", 0) } },
	{ "transport padding", B("--b \t\r\n\r\none\r\n--b\t\r\n\r\ntwo\r\n"
	    "--b--"), "b", 2, 1, { W("one", "", "", "", 0),
	    W("two", "", "", "", 0) } },
	{ "missing close delimiter", B("--b\r\n\r\none\r\n--b\r\n\r\n"
	    "two, cut"), "b", 2, 0, { W("one", "", "", "", 0),
	    W("two, cut", "", "", "", 0) } },
	{ "boundary inside content", B("--b\r\n\r\nx--b\r\n--bb\r\n--b x\r\n"
	    " --b\r\n--b--"), "b", 1, 1,
	    { W("x--b\r\n--bb\r\n--b x\r\n --b", "", "", "", 0) } },
	{ "filename*= preferred", B("--b\r\nContent-Disposition: "
	    "attachment; filename*=UTF-8''%e2%82%ac%20rates.txt; "
	    "filename=\"EUR rates.txt\"\r\n\r\nx\r\n--b--"), "b", 1, 1,
	    { W("x", "", "\xe2\x82\xac rates.txt", "", 0) } },
	{ "bad filename*= falls back", B("--b\r\nContent-Disposition: "
	    "form-data; name=a; filename*=UTF-8''%zz; filename=ok.txt\r\n"
	    "\r\nx\r\n--b--"), "b", 1, 1, { W("x", "a", "ok.txt", "", 0) } },
	{ "quoted-string escapes", B("--b\r\nContent-Disposition: form-data;"
	    " name=\"a\\\"b\"; filename=\"C:\\\\dir\\\\e;v\\\"il.exe\"\r\n\r\n"
	    "x\r\n--b--"), "b", 1, 1,
	    { W("x", "a\"b", "C:\\dir\\e;v\"il.exe", "", 0) } },
	{ "folded header, first wins", B("--b\r\ncontent-disposition: "
	    "form-data;\r\n\tname=\"f\";\r\n filename=\"y.zip\"\r\n"
	    "Content-Disposition: form-data; name=g; filename=z\r\n"
	    "Content-Transfer-Encoding:  BASE64 \r\n\r\nTVo=\r\n--b--"),
	    "b", 1, 1, { W("TVo=", "f", "y.zip", "", MP_B64) } },
	{ "mail attachment", B("--m\r\nContent-Type: application/zip; "
	    "name=\"a.zip\"\r\nContent-Transfer-Encoding: quoted-printable"
	    "\r\n\r\nq=3D\r\n--m--\r\n"), "m", 1, 1,
	    { W("q=3D", "", "a.zip", "application/zip", MP_QP) } },
	{ "bad media type", B("--b\r\nContent-Type: text\r\n\r\nx\r\n--b\r\n"
	    "Content-Type: a/b/c\r\n\r\ny\r\n--b--"), "b", 2, 1,
	    { W("x", "", "", "", 0), W("y", "", "", "", 0) } },
};

/* check_parts - one table row with room for max parts */
static void
check_parts(size_t row, size_t max)
{
	struct mp_part	 out[4];
	int		 n, complete = -1;
	size_t		 i;

	n = mp_parts(ptab[row].body, ptab[row].len, ptab[row].boundary,
	    max ? out : NULL, max, &complete);
	if (n != ptab[row].n)
		fail_msg("%s: %d parts, want %d", ptab[row].what, n,
		    ptab[row].n);
	if (n == -1)
		return;
	if (complete != ptab[row].complete)
		fail_msg("%s: complete %d", ptab[row].what, complete);
	for (i = 0; i < (size_t)n && i < max; i++) {
		const struct want	*w = &ptab[row].p[i];

		assert_true(out[i].off + out[i].len <= ptab[row].len);
		if (out[i].len != w->clen || memcmp(ptab[row].body +
		    out[i].off, w->content, w->clen) != 0)
			fail_msg("%s: part %zu content %.*s", ptab[row].what, i,
			    (int)out[i].len, ptab[row].body + out[i].off);
		assert_string_equal(out[i].name, w->name);
		assert_string_equal(out[i].filename, w->filename);
		assert_string_equal(out[i].type, w->type);
		assert_int_equal(out[i].enc, w->enc);
	}
}

/* parts - the table, with room for all, one and no parts */
static void
parts(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(ptab) / sizeof(ptab[0]); i++) {
		check_parts(i, 4);
		check_parts(i, 1);
		check_parts(i, 0);
	}
	assert_int_equal(mp_parts(B("--b--"), "b", NULL, 0, NULL), 0);
}

/* head_limits - a head at, and one past, the byte and line limits */
static void
head_limits(void **state)
{
	static char	 buf[3 * MP_HEAD_MAX];
	struct mp_part	 out[2];
	size_t		 n, i;
	int		 complete;

	(void)state;
	/* a first part whose head is exactly MP_HEAD_MAX bytes */
	n = (size_t)sprintf(buf, "--b\r\n");
	memset(buf + n, 'a', MP_HEAD_MAX - 4);
	memcpy(buf + n, "X-A: ", 5);
	n += MP_HEAD_MAX - 4;
	n += (size_t)sprintf(buf + n, "\r\n\r\nx\r\n--b\r\n");
	assert_int_equal(mp_parts(buf, n, "b", out, 2, &complete), 1);
	assert_int_equal(out[0].len, 1);
	/* one byte more: the first head is too long */
	n = (size_t)sprintf(buf, "--b\r\n");
	memset(buf + n, 'a', MP_HEAD_MAX - 3);
	n += MP_HEAD_MAX - 3;
	n += (size_t)sprintf(buf + n, "\r\n\r\nx\r\n--b\r\n");
	assert_int_equal(mp_parts(buf, n, "b", out, 2, &complete), -1);
	/* a second part over the limit ends the split after the first */
	n = (size_t)sprintf(buf, "--b\r\n\r\nfirst\r\n--b\r\n");
	memset(buf + n, 'a', MP_HEAD_MAX + 10);
	n += MP_HEAD_MAX + 10;
	n += (size_t)sprintf(buf + n, "\r\n\r\nx\r\n--b--");
	assert_int_equal(mp_parts(buf, n, "b", out, 2, &complete), 1);
	assert_int_equal(complete, 0);
	/* MP_HEAD_LINES header lines are fine, one more is not */
	for (i = MP_HEAD_LINES; i <= MP_HEAD_LINES + 1; i++) {
		size_t	 k;

		n = (size_t)sprintf(buf, "--b\r\n");
		for (k = 0; k < i; k++)
			n += (size_t)sprintf(buf + n, "X: %zu\r\n", k);
		n += (size_t)sprintf(buf + n, "\r\nx\r\n--b--");
		assert_int_equal(mp_parts(buf, n, "b", out, 2, &complete),
		    i == MP_HEAD_LINES ? 1 : -1);
	}
}

/* many_parts - a count beyond max, and a long run of tiny parts */
static void
many_parts(void **state)
{
	static char	 buf[1 << 20];
	struct mp_part	 out[2];
	size_t		 n = 0;
	int		 i, complete;

	(void)state;
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(buf + n, "--b\r\n\r\n%d\r\n", i % 10);
	n += (size_t)sprintf(buf + n, "--b--\r\n");
	assert_int_equal(mp_parts(buf, n, "b", out, 2, &complete), 100000);
	assert_int_equal(complete, 1);
	assert_int_equal(out[1].len, 1);
	assert_int_equal(buf[out[1].off], '1');
	/* no delimiter at all in a long body */
	memset(buf, '-', sizeof(buf));
	assert_int_equal(mp_parts(buf, sizeof(buf), "x", out, 2, &complete),
	    -1);
	/* a needle at every position, none a delimiter */
	buf[0] = 'x';
	assert_int_equal(mp_parts(buf, sizeof(buf), "-", out, 2, &complete),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(boundary),
		cmocka_unit_test(parts),
		cmocka_unit_test(head_limits),
		cmocka_unit_test(many_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
