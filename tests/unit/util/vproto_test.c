/*
 * vproto_test.c - the native protocol's options and reply lines: edges
 * first, then every key, round trips and the exact text of a reply
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

#include "vproto.h"

#define DB64	"0123456789abcdef0123456789abcdef" \
		"0123456789ABCDEF0123456789ABCDEF"

/* test_limits - fixed non-default limits the option cases start from */
static void
test_limits(struct vigil_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_file_size = 100;
	l->max_scan_size = 400;
	l->max_recursion = 17;
	l->max_files = 10000;
	l->max_ratio = 250;
	l->set = VIGIL_SET_STANDARD;
	l->flags = VIGIL_SCAN_ARCHIVES;
}

/* test_opts_bad - options that must be refused, each with a reason */
static void
test_opts_bad(void **state)
{
	static const char *const bad[] = {
		" ",				/* stray space only */
		" cure=1",			/* leading space */
		"cure=1 ",			/* trailing space */
		"cure=1  set=standard",		/* two spaces */
		"cure",				/* no '=' */
		"=1",				/* empty key */
		"foo=1",			/* unknown key */
		"Cure=1",			/* keys are case-sensitive */
		"cure=1 cure=0",		/* duplicate */
		"name=a name=b",
		"cure=2", "cure=", "cure=01",
		"maxfiles=", "maxfiles=-1", "maxfiles=+1", "maxfiles=1x",
		"maxfiles= 1", "maxfiles=0x10", "maxfiles=1.5",
		"maxrecursion=4294967296",	/* UINT_MAX + 1 */
		"maxratio=99999999999999999999",
		"maxscantime=4294967296",
		"maxfilesize=18446744073709551616",	/* UINT64_MAX + 1 */
		"maxscansize=184467440737095516150",
		"set=", "set=Standard", "set=all", "set=standard2",
		"flags=", "flags=none,sfx", "flags=sfx,none",
		"flags=sfx,,packed", "flags=,sfx", "flags=sfx,",
		"flags=bogus", "flags=SFX",
		"name=%", "name=%4", "name=%zz", "name=%4G", "name=a=b",
		"name=%00", "name=a%00b", "name=\t", "name=a\x7f",
		"name=\xc3\xa9", "client=a b",
		"cure=1\n",			/* delimiter is not part of OPTS */
	};
	struct vigil_limits	 def;
	struct vproto_req	 req;
	char			 err[128];
	size_t			 i;

	(void)state;
	test_limits(&def);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (vproto_opts_parse(bad[i], strlen(bad[i]), &def, &req, err,
		    sizeof(err)) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* a NUL byte inside the options */
	assert_int_equal(vproto_opts_parse("cure=1\0", 7, &def, &req, err,
	    sizeof(err)), -1);
	/* err may be NULL */
	assert_int_equal(vproto_opts_parse("x=1", 3, &def, &req, NULL, 0), -1);
}

/* test_opts_names - name and client: empty, max, max + 1, encoding */
static void
test_opts_names(void **state)
{
	struct vigil_limits	 def;
	struct vproto_req	 req;
	struct strbuf		 sb;
	char			 err[128];

	(void)state;
	test_limits(&def);
	strbuf_init(&sb, 1 << 16);
	/* empty values are allowed and mean "" */
	assert_int_equal(vproto_opts_parse("name= client=", 13, &def, &req,
	    err, sizeof(err)), 0);
	assert_string_equal(req.name, "");
	assert_string_equal(req.client, "");
	/* 1023 decoded bytes fit name[1024]; 1024 do not */
	strbuf_printf(&sb, "name=");
	while (sb.len < 5 + 1023)
		strbuf_addc(&sb, 'n');
	assert_int_equal(vproto_opts_parse(sb.data, sb.len, &def, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(req.name), 1023);
	strbuf_addc(&sb, 'n');
	assert_int_equal(vproto_opts_parse(sb.data, sb.len, &def, &req, err,
	    sizeof(err)), -1);
	/* encoded: 255 bytes as %41 fit client[256]; 256 do not */
	strbuf_reset(&sb);
	strbuf_printf(&sb, "client=");
	while (sb.len < 7 + 255 * 3)
		strbuf_printf(&sb, "%%41");
	assert_int_equal(vproto_opts_parse(sb.data, sb.len, &def, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(req.client), 255);
	strbuf_printf(&sb, "%%41");
	assert_int_equal(vproto_opts_parse(sb.data, sb.len, &def, &req, err,
	    sizeof(err)), -1);
	/* lower-case hex is accepted on input */
	assert_int_equal(vproto_opts_parse("name=%c3%A9%2fx", 15, &def, &req,
	    err, sizeof(err)), 0);
	assert_string_equal(req.name, "\xc3\xa9/x");
	strbuf_fini(&sb);
}

/* test_opts_len - options of VPROTO_LINE_MAX - 1 bytes parse, one more fails */
static void
test_opts_len(void **state)
{
	struct vigil_limits	 def;
	struct vproto_req	 req;
	char			*s, err[128];
	size_t			 n = VPROTO_LINE_MAX - 1;

	(void)state;
	test_limits(&def);
	s = malloc(VPROTO_LINE_MAX + 1);
	assert_non_null(s);
	/* "maxfiles=000...01" */
	memcpy(s, "maxfiles=", 9);
	memset(s + 9, '0', n - 9);
	s[n - 1] = '7';
	assert_int_equal(vproto_opts_parse(s, n, &def, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(req.lim.max_files, 7);
	s[n - 1] = '0';
	s[n] = '7';
	assert_int_equal(vproto_opts_parse(s, n + 1, &def, &req, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	free(s);
}

/* test_opts_keys - every key, table-driven, over the defaults */
static void
test_opts_keys(void **state)
{
	struct vigil_limits	 def;
	struct vproto_req	 req;
	char			 err[128];

	(void)state;
	test_limits(&def);
	/* empty options: the defaults */
	assert_int_equal(vproto_opts_parse("", 0, &def, &req, err,
	    sizeof(err)), 0);
	assert_memory_equal(&req.lim, &def, sizeof(def));
	assert_int_equal(req.cure, 0);
	assert_string_equal(req.name, "");
#define OPT(text, field, value) do {					\
	assert_int_equal(vproto_opts_parse(text, strlen(text), &def,	\
	    &req, err, sizeof(err)), 0);				\
	assert_true(req.field == (value));				\
} while (0)
	OPT("set=standard", lim.set, VIGIL_SET_STANDARD);
	OPT("set=extended", lim.set, VIGIL_SET_EXTENDED);
	OPT("set=paranoid", lim.set, VIGIL_SET_PARANOID);
	OPT("flags=none", lim.flags, 0);
	OPT("flags=allmatch", lim.flags, VIGIL_SCAN_ALLMATCH);
	OPT("flags=archives,mailplain,mailbases,sfx,packed", lim.flags,
	    VIGIL_SCAN_CONTAINERS);
	OPT("flags=deflate,allmatch", lim.flags,
	    VIGIL_SCAN_DEFLATE | VIGIL_SCAN_ALLMATCH);
	OPT("flags=sfx,sfx", lim.flags, VIGIL_SCAN_SFX);
	OPT("maxfilesize=0", lim.max_file_size, 0);
	OPT("maxfilesize=18446744073709551615", lim.max_file_size, UINT64_MAX);
	OPT("maxscansize=1048576", lim.max_scan_size, 1048576);
	OPT("maxrecursion=4294967295", lim.max_recursion, 4294967295u);
	OPT("maxfiles=0", lim.max_files, 0);
	OPT("maxratio=007", lim.max_ratio, 7);
	OPT("maxscantime=2500", lim.max_scan_ms, 2500);
	OPT("cure=1", cure, 1);
	OPT("cure=0", cure, 0);
	/* a key leaves the others at their defaults */
	OPT("maxfiles=5", lim.max_file_size, 100);
	OPT("maxfiles=5", lim.flags, VIGIL_SCAN_ARCHIVES);
#undef OPT
	assert_int_equal(vproto_opts_parse("name=%2Fsrv%2Fa%20b.zip",
	    23, &def, &req, err, sizeof(err)), 0);
	assert_string_equal(req.name, "/srv/a b.zip");
	assert_int_equal(vproto_opts_parse("client=smtpd%5B12%5D", 20, &def,
	    &req, err, sizeof(err)), 0);
	assert_string_equal(req.client, "smtpd[12]");
}

/* test_opts_roundtrip - format then parse gives the same request */
static void
test_opts_roundtrip(void **state)
{
	static const char	 odd[] = "a b%c=d\t\n\x01\xff\xc3\xa9~!";
	struct vproto_req	 a, b;
	struct vigil_limits	 def;
	struct strbuf		 sb;
	char			 err[128];
	unsigned		 flags;

	(void)state;
	test_limits(&def);
	strbuf_init(&sb, VPROTO_LINE_MAX);
	for (flags = 0; flags <= 0x7f; flags += 0x15) {
		memset(&a, 0, sizeof(a));
		a.lim.max_file_size = UINT64_MAX;
		a.lim.max_scan_size = 0;
		a.lim.max_recursion = 4294967295u;
		a.lim.max_files = 1;
		a.lim.max_ratio = 2;
		a.lim.max_scan_ms = 3;
		a.lim.set = (enum vigil_dbset)(flags % 3);
		a.lim.flags = flags;
		a.cure = flags & 1;
		snprintf(a.name, sizeof(a.name), "%s%u", odd, flags);
		snprintf(a.client, sizeof(a.client), "%s", flags ? odd : "");
		strbuf_reset(&sb);
		assert_int_equal(vproto_opts_format(&sb, &a), 0);
		assert_null(memchr(sb.data, '\n', sb.len));
		assert_int_equal(vproto_opts_parse(sb.data, sb.len, &def, &b,
		    err, sizeof(err)), 0);
		assert_memory_equal(&a.lim, &b.lim, sizeof(a.lim));
		assert_int_equal(a.cure, b.cure);
		assert_string_equal(a.name, b.name);
		assert_string_equal(a.client, b.client);
	}
	/* the exact text */
	strbuf_reset(&sb);
	memset(&a, 0, sizeof(a));
	a.lim.max_file_size = 100;
	a.lim.flags = VIGIL_SCAN_ARCHIVES | VIGIL_SCAN_SFX | 0x1000;
	a.lim.set = VIGIL_SET_EXTENDED;
	a.cure = 1;
	snprintf(a.name, sizeof(a.name), "a b=%%");
	assert_int_equal(vproto_opts_format(&sb, &a), 0);
	assert_string_equal(sb.data, "set=extended flags=archives,sfx "
	    "maxfilesize=100 maxscansize=0 maxrecursion=0 maxfiles=0 "
	    "maxratio=0 maxscantime=0 cure=1 name=a%20b%3D%25");
	/* without limits: cure and the names only */
	strbuf_reset(&sb);
	assert_int_equal(vproto_opts_format_lim(&sb, NULL, 0, NULL, "me"), 0);
	assert_string_equal(sb.data, "cure=0 client=me");
	/* a full buffer fails and leaves it as it was */
	strbuf_fini(&sb);
	strbuf_init(&sb, 20);
	strbuf_printf(&sb, "nVSCAN ");
	assert_int_equal(vproto_opts_format(&sb, &a), -1);
	assert_int_equal(errno, E2BIG);
	assert_string_equal(sb.data, "nVSCAN ");
	strbuf_fini(&sb);
}

/* test_pct - encode and decode edges */
static void
test_pct(void **state)
{
	struct strbuf	 sb;
	char		 buf[8], in[16];
	int		 c;

	(void)state;
	strbuf_init(&sb, 1024);
	assert_int_equal(vproto_pct_encode(&sb, "", 0), 0);
	assert_int_equal(sb.len, 0);
	/* every byte: only 0x21..0x7e but '%' and '=' go raw */
	for (c = 0; c < 256; c++) {
		char ch = (char)c;

		strbuf_reset(&sb);
		assert_int_equal(vproto_pct_encode(&sb, &ch, 1), 0);
		if (c >= 0x21 && c <= 0x7e && c != '%' && c != '=')
			assert_int_equal(sb.len, 1);
		else {
			assert_int_equal(sb.len, 3);
			snprintf(in, sizeof(in), "%%%02X", c);
			assert_string_equal(sb.data, in);
		}
		assert_int_equal(vproto_pct_decode(sb.data, sb.len, buf,
		    sizeof(buf)), 1);
		assert_int_equal((unsigned char)buf[0], c);
	}
	/* %00 decodes (the generic decoder keeps NUL bytes) */
	assert_int_equal(vproto_pct_decode("a%00b", 5, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "a\0b", 4);
	/* dst sizes: n bytes need n + 1 */
	assert_int_equal(vproto_pct_decode("abc", 3, buf, 4), 3);
	assert_int_equal(vproto_pct_decode("abc", 3, buf, 3), -1);
	assert_int_equal(vproto_pct_decode("", 0, buf, 1), 0);
	assert_int_equal(vproto_pct_decode("", 0, buf, 0), -1);
	/* bad escapes and raw bytes */
	assert_int_equal(vproto_pct_decode("%", 1, buf, sizeof(buf)), -1);
	assert_int_equal(vproto_pct_decode("%4", 2, buf, sizeof(buf)), -1);
	assert_int_equal(vproto_pct_decode("%g0", 3, buf, sizeof(buf)), -1);
	assert_int_equal(vproto_pct_decode("a b", 3, buf, sizeof(buf)), -1);
	assert_int_equal(vproto_pct_decode("a=b", 3, buf, sizeof(buf)), -1);
	/* in place */
	snprintf(in, sizeof(in), "x%%41%%42y");
	assert_int_equal(vproto_pct_decode(in, strlen(in), in, sizeof(in)), 4);
	assert_string_equal(in, "xABy");
	strbuf_fini(&sb);
}

/* test_result_text - the exact text of a known reply */
static void
test_result_text(void **state)
{
	static const struct vigil_detection det[] = {
		{ VIGIL_INFECTED, "Eicar-Test-Signature", "a.zip/e i.com",
		    NULL },
		{ VIGIL_CORRUPTED, NULL, "a.zip/b.tar", "bad header: 100%" },
	};
	struct vigil_result	 res = {
		.status = VIGIL_INFECTED, .threat = "Eicar-Test-Signature",
		.ndet = 2, .det = det, .bytes = 12345, .objects = 3,
	};
	struct vproto_meta	 meta = { .usec = 987, .cached = 0,
	    .cured = 1, .db = DB64 };
	struct strbuf		 sb;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), 0);
	assert_string_equal(sb.data,
	    "VRESULT status=INFECTED ndet=2 objects=3 bytes=12345 usec=987 "
	    "cached=0 cured=1 db=" DB64 " threat=Eicar-Test-Signature\n"
	    "VDET status=INFECTED object=a.zip/e%20i.com "
	    "threat=Eicar-Test-Signature\n"
	    "VDET status=CORRUPTED object=a.zip/b.tar "
	    "reason=bad%20header:%20100%25\n"
	    "VEND\n");
	/* z-commands: NUL delimiters; a clean verdict without db */
	strbuf_reset(&sb);
	memset(&res, 0, sizeof(res));
	res.reason = "";
	meta.db = "";
	meta.cured = 0;
	meta.cached = 1;
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\0'), 0);
	assert_int_equal(sb.len, 89);
	assert_memory_equal(sb.data, "VRESULT status=CLEAN ndet=0 objects=0 "
	    "bytes=0 usec=987 cached=1 cured=0 db= reason=\0VEND\0", 89);
	/* bad arguments */
	strbuf_reset(&sb);
	assert_int_equal(vproto_result_format(&sb, &res, &meta, 'x'), -1);
	assert_int_equal(errno, EINVAL);
	meta.db = "abc";
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), -1);
	meta.db = DB64 "0";
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), -1);
	meta.db = "g123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), -1);
	assert_int_equal(sb.len, 0);
	strbuf_fini(&sb);
}

/* test_error_text - VERROR lines */
static void
test_error_text(void **state)
{
	struct strbuf	 sb;

	(void)state;
	strbuf_init(&sb, 1 << 16);
	assert_int_equal(vproto_error_format(&sb, "busy",
	    "queue full (256)", '\n'), 0);
	assert_string_equal(sb.data,
	    "VERROR code=busy msg=queue%20full%20(256)\n");
	strbuf_reset(&sb);
	assert_int_equal(vproto_error_format(&sb, "nofd", NULL, '\0'), 0);
	assert_memory_equal(sb.data, "VERROR code=nofd msg=\0", 22);
	assert_int_equal(vproto_error_format(&sb, "", "x", '\n'), -1);
	assert_int_equal(vproto_error_format(&sb, "Busy", "x", '\n'), -1);
	assert_int_equal(vproto_error_format(&sb, "bad word", "x", '\n'), -1);
	assert_int_equal(vproto_error_format(&sb,
	    "abcdefghijklmnopqrstuvwxyzabcdefg", "x", '\n'), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sb.len, 22);
	strbuf_fini(&sb);
}

/* test_parse_lines - split sb into lines and parse each back */
static void
test_parse_lines(struct strbuf *sb, char delim, struct vproto_line *out,
    size_t max, size_t *nout)
{
	char	*p = sb->data, *e;
	char	 err[128];

	*nout = 0;
	while (p < sb->data + sb->len) {
		e = memchr(p, delim, (size_t)(sb->data + sb->len - p));
		assert_non_null(e);
		assert_true((size_t)(e - p) + 1 <= VPROTO_LINE_MAX);
		if (vproto_reply_line_parse(p, (size_t)(e - p), &out[*nout],
		    err, sizeof(err)) != 0)
			fail_msg("line %zu: %s", *nout, err);
		if (*nout + 1 < max)
			(*nout)++;
		p = e + 1;
	}
}

/* test_result_roundtrip - formatted replies parse back, long values cut */
static void
test_result_roundtrip(void **state)
{
	static struct vproto_line	 l[8];
	struct vigil_detection		 det[2];
	struct vigil_result		 res;
	struct vproto_meta		 meta = { .usec = UINT64_MAX, .db = DB64 };
	struct strbuf			 sb;
	char				*big;
	size_t				 n;

	(void)state;
	big = malloc(20001);
	assert_non_null(big);
	memset(big, ' ', 20000);	/* each one encodes to 3 bytes */
	big[20000] = '\0';
	memset(&res, 0, sizeof(res));
	res.status = VIGIL_SUSPICIOUS;
	res.threat = big;
	res.reason = big;
	res.bytes = UINT64_MAX;
	res.objects = 4294967295u;
	res.ndet = 2;
	res.det = det;
	det[0] = (struct vigil_detection){ VIGIL_WARNING, big, big, big };
	det[1] = (struct vigil_detection){ VIGIL_PROTECTED, NULL, NULL,
	    "enc%=\n" };
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\0'), 0);
	test_parse_lines(&sb, '\0', l, 8, &n);
	assert_int_equal(n, 4);
	assert_int_equal(l[0].kind, VPROTO_LINE_RESULT);
	assert_int_equal(l[0].status, VIGIL_SUSPICIOUS);
	assert_int_equal(l[0].ndet, 2);
	assert_int_equal(l[0].objects, 4294967295u);
	assert_true(l[0].bytes == UINT64_MAX && l[0].usec == UINT64_MAX);
	assert_string_equal(l[0].db, DB64);
	assert_int_equal(strlen(l[0].threat), 2048 / 3);
	assert_int_equal(strlen(l[0].reason), 4096 / 3);
	assert_int_equal(l[1].kind, VPROTO_LINE_DET);
	assert_int_equal(l[1].status, VIGIL_WARNING);
	assert_int_equal(strlen(l[1].object), 8192 / 3);
	assert_int_equal(l[2].kind, VPROTO_LINE_DET);
	assert_string_equal(l[2].object, "");
	assert_null(l[2].threat);
	assert_string_equal(l[2].reason, "enc%=\n");
	assert_int_equal(l[3].kind, VPROTO_LINE_END);
	free(big);
	strbuf_fini(&sb);
}

/* test_result_ndet_cap - more than VPROTO_NDET_MAX detections are cut */
static void
test_result_ndet_cap(void **state)
{
	static struct vproto_line	 l[4];
	struct vigil_detection		*det;
	struct vigil_result		 res;
	struct vproto_meta		 meta = { .db = "" };
	struct strbuf			 sb;
	size_t				 i, n;

	(void)state;
	det = calloc(VPROTO_NDET_MAX + 1, sizeof(*det));
	assert_non_null(det);
	for (i = 0; i <= VPROTO_NDET_MAX; i++)
		det[i] = (struct vigil_detection){ VIGIL_INFECTED, "T", "", NULL };
	memset(&res, 0, sizeof(res));
	res.status = VIGIL_INFECTED;
	res.ndet = VPROTO_NDET_MAX + 1;
	res.det = det;
	strbuf_init(&sb, 1 << 24);
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), 0);
	for (i = 0, n = 0; i < sb.len; i++)
		n += sb.data[i] == '\n';
	assert_int_equal(n, VPROTO_NDET_MAX + 2);
	/* (parsing decodes in place: the delimiters become NULs) */
	test_parse_lines(&sb, '\n', l, 4, &n);
	assert_int_equal(l[0].ndet, VPROTO_NDET_MAX);
	/* a cap too small for the reply: -1, buffer unchanged */
	strbuf_fini(&sb);
	strbuf_init(&sb, 1000);
	assert_int_equal(vproto_result_format(&sb, &res, &meta, '\n'), -1);
	assert_int_equal(sb.len, 0);
	strbuf_fini(&sb);
	free(det);
}

/* test_reply_bad - reply lines that must be refused */
static void
test_reply_bad(void **state)
{
	static const char *const bad[] = {
		"", " ", "VRESULT", "VRESULT ", "vresult status=CLEAN",
		"stream: OK", "ERROR: vigild busy (MaxConnections 2)",
		"VEND ", "VEND x=1", "VENDX", "VDET", "VDET status=CLEAN",
		"VDET object=", "VDET status=Clean object=",
		"VDET status=CLEAN object= object=",
		"VDET status=CLEAN object=%00",
		"VDET status=CLEAN object= threat=a%00",
		"VDET status=CLEAN object= extra=1",
		"VRESULT status=CLEAN ndet=0 objects=0 bytes=0 usec=0 "
		    "cached=0 cured=0",				/* no db */
		"VRESULT status=CLEAN ndet=10001 objects=0 bytes=0 usec=0 "
		    "cached=0 cured=0 db=",
		"VRESULT status=CLEAN ndet=0 objects=4294967296 bytes=0 "
		    "usec=0 cached=0 cured=0 db=",
		"VRESULT status=CLEAN ndet=0 objects=0 bytes=0 usec=0 "
		    "cached=2 cured=0 db=",
		"VRESULT status=CLEAN ndet=0 objects=0 bytes=0 usec=0 "
		    "cached=0 cured=0 db=abc",
		"VRESULT status=CLEAN ndet=0 objects=0 bytes=0 usec=0 "
		    "cached=0 cured=0 db= db=",
		"VRESULT status=CLEAN ndet=0 objects=0 bytes=0 usec=0 "
		    "cached=0 cured=0 db= threat=a%2",
		"VERROR code=busy", "VERROR msg=x", "VERROR code= msg=",
		"VERROR code=BUSY msg=", "VERROR code=busy msg=a b",
	};
	struct vproto_line	 l;
	char			 line[256], err[128], *big;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s", bad[i]);
		err[0] = '\0';
		if (vproto_reply_line_parse(line, strlen(line), &l, err,
		    sizeof(err)) != -1)
			fail_msg("accepted: '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* VPROTO_LINE_MAX - 1 bytes of text is the longest line */
	big = malloc(VPROTO_LINE_MAX + 1);
	assert_non_null(big);
	memcpy(big, "VERROR code=internal msg=", 25);
	memset(big + 25, 'x', VPROTO_LINE_MAX - 25);
	assert_int_equal(vproto_reply_line_parse(big, VPROTO_LINE_MAX - 1, &l,
	    err, sizeof(err)), 0);
	assert_int_equal(strlen(l.msg), VPROTO_LINE_MAX - 26);
	memset(big + 25, 'x', VPROTO_LINE_MAX - 25);
	assert_int_equal(vproto_reply_line_parse(big, VPROTO_LINE_MAX, &l,
	    err, sizeof(err)), -1);
	free(big);
}

/* test_reply_good - reply lines in any key order */
static void
test_reply_good(void **state)
{
	struct vproto_line	 l;
	char			 line[512], err[128];

	(void)state;
	snprintf(line, sizeof(line), "VRESULT db=%s cured=1 cached=1 "
	    "usec=18446744073709551615 bytes=7 objects=2 ndet=10000 "
	    "reason=r%%20x threat=T%%3D1 status=INFECTED", DB64);
	assert_int_equal(vproto_reply_line_parse(line, strlen(line), &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.kind, VPROTO_LINE_RESULT);
	assert_int_equal(l.status, VIGIL_INFECTED);
	assert_int_equal(l.ndet, 10000);
	assert_int_equal(l.objects, 2);
	assert_true(l.bytes == 7 && l.usec == UINT64_MAX);
	assert_true(l.cached == 1 && l.cured == 1);
	assert_string_equal(l.db, DB64);
	assert_string_equal(l.threat, "T=1");
	assert_string_equal(l.reason, "r x");
	snprintf(line, sizeof(line), "VEND");
	assert_int_equal(vproto_reply_line_parse(line, 4, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.kind, VPROTO_LINE_END);
	snprintf(line, sizeof(line), "VERROR msg=too%%20big code=toolarge");
	assert_int_equal(vproto_reply_line_parse(line, strlen(line), &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.kind, VPROTO_LINE_ERROR);
	assert_string_equal(l.code, "toolarge");
	assert_string_equal(l.msg, "too big");
	snprintf(line, sizeof(line), "VDET threat=X object= status=CURED");
	assert_int_equal(vproto_reply_line_parse(line, strlen(line), &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.kind, VPROTO_LINE_DET);
	assert_int_equal(l.status, VIGIL_CURED);
	assert_string_equal(l.object, "");
	assert_string_equal(l.threat, "X");
	assert_null(l.reason);
}

/* test_status_words - the same words as vigil_status_name() */
static void
test_status_words(void **state)
{
	static const char *const w[] = { "CLEAN", "CURED", "ERROR",
	    "CORRUPTED", "PROTECTED", "WARNING", "SUSPICIOUS", "INFECTED" };
	enum vigil_status	 st;
	int			 i;

	(void)state;
	for (i = 0; i < 8; i++) {
		assert_string_equal(vproto_status_name((enum vigil_status)i),
		    w[i]);
		assert_int_equal(vproto_status_parse(w[i], strlen(w[i]), &st),
		    0);
		assert_int_equal(st, i);
	}
	assert_string_equal(vproto_status_name((enum vigil_status)8), "ERROR");
	assert_int_equal(vproto_status_parse("CLEA", 4, &st), -1);
	assert_int_equal(vproto_status_parse("", 0, &st), -1);
}

/* test_command - native command lines and their OPTS */
static void
test_command(void **state)
{
	static const struct {
		const char	*line;
		enum vproto_cmd	 cmd;
		const char	*opts;
	} t[] = {
		{ "", VPROTO_CMD_NONE, NULL },
		{ "VSCA", VPROTO_CMD_NONE, NULL },
		{ "VSCAN", VPROTO_CMD_VSCAN, "" },
		{ "VSCAN ", VPROTO_CMD_VSCAN, "" },
		{ "VSCAN cure=1", VPROTO_CMD_VSCAN, "cure=1" },
		{ "VSCAN  cure=1", VPROTO_CMD_VSCAN, " cure=1" },
		{ "VSCANX", VPROTO_CMD_NONE, NULL },
		{ "vscan", VPROTO_CMD_NONE, NULL },
		{ "VINSTREAM", VPROTO_CMD_VINSTREAM, "" },
		{ "VINSTREAM flags=none", VPROTO_CMD_VINSTREAM, "flags=none" },
		{ "INSTREAM", VPROTO_CMD_NONE, NULL },
		{ "SCAN /x", VPROTO_CMD_NONE, NULL },
	};
	const char	*o;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		o = NULL;
		n = 99;
		assert_int_equal(vproto_command(t[i].line, strlen(t[i].line),
		    &o, &n), t[i].cmd);
		if (t[i].opts == NULL) {
			assert_null(o);
			continue;
		}
		assert_int_equal(n, strlen(t[i].opts));
		assert_memory_equal(o, t[i].opts, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_bad),
		cmocka_unit_test(test_opts_names),
		cmocka_unit_test(test_opts_len),
		cmocka_unit_test(test_opts_keys),
		cmocka_unit_test(test_opts_roundtrip),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_result_text),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_result_roundtrip),
		cmocka_unit_test(test_result_ndet_cap),
		cmocka_unit_test(test_reply_bad),
		cmocka_unit_test(test_reply_good),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
