/*
 * chunk_test.c - the chunked transfer coding decoder: edges first, and
 * every case fed whole, byte by byte, split in two at every offset and in
 * random pieces, which must all agree
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "icap_chunk.h"

#define SINK_MAX	(256 * 1024)

struct sink {
	char	buf[SINK_MAX];
	size_t	len;
	size_t	calls;
	size_t	stop_after;	/* 0: never; else stop once len reaches it */
};

struct outcome {
	ssize_t	used;		/* bytes consumed in all, or -1 */
	int	done, ieof;
	uint64_t total;
	char	error[96];
};

/* sink_data - collect body data; stop when told to */
static int
sink_data(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;

	assert_true(n > 0);
	assert_true(s->len + n <= SINK_MAX);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->calls++;
	return s->stop_after != 0 && s->len >= s->stop_after;
}

/*
 * feed - decode in, cut at the npiece offsets cuts[] (ascending), into s;
 * stops at the first error or once done
 */
static void
feed(const char *in, size_t len, uint64_t max, const size_t *cuts,
    size_t ncut, struct sink *s, struct outcome *o)
{
	struct chunk_dec	 d;
	size_t			 k, from = 0, to;
	ssize_t			 r;

	chunk_init(&d, max);
	s->len = s->calls = 0;
	memset(o, 0, sizeof(*o));
	for (k = 0; k <= ncut; k++) {
		to = k < ncut ? cuts[k] : len;
		r = chunk_feed(&d, in + from, to - from, sink_data, s);
		if (r == -1) {
			o->used = -1;
			break;
		}
		assert_true((size_t)r <= to - from);
		if (!d.done)
			assert_int_equal(r, to - from);
		o->used += r;
		if (d.done)
			break;
		from = to;
	}
	assert_int_equal(d.total, s->len);
	o->done = d.done;
	o->ieof = d.ieof;
	o->total = d.total;
	if (o->used == -1)
		assert_true(d.error[0] != '\0');
	memcpy(o->error, d.error, sizeof(o->error));
}

/* same - two outcomes (and their data) agree */
static void
same(const struct outcome *a, const struct sink *sa, const struct outcome *b,
    const struct sink *sb)
{
	assert_int_equal(a->used, b->used);
	assert_int_equal(a->done, b->done);
	assert_int_equal(a->ieof, b->ieof);
	assert_int_equal(a->total, b->total);
	assert_string_equal(a->error, b->error);
	assert_int_equal(sa->len, sb->len);
	assert_memory_equal(sa->buf, sb->buf, sa->len);
}

static struct sink	whole_s, part_s;

/*
 * every_split - in decodes the same whole, byte by byte, in two pieces at
 * every offset and in random pieces; the whole-feed outcome is left in
 * whole_s and *o
 */
static void
every_split(const char *in, size_t len, uint64_t max, struct outcome *o)
{
	struct outcome	 p;
	size_t		*cuts, i, n, k;

	feed(in, len, max, NULL, 0, &whole_s, o);
	cuts = calloc(len + 1, sizeof(*cuts));
	assert_non_null(cuts);
	for (i = 1; i < len; i++)
		cuts[i - 1] = i;
	feed(in, len, max, cuts, len > 0 ? len - 1 : 0, &part_s, &p);
	same(o, &whole_s, &p, &part_s);
	for (i = 0; i <= len && len < 20000; i++) {
		cuts[0] = i;
		feed(in, len, max, cuts, 1, &part_s, &p);
		same(o, &whole_s, &p, &part_s);
	}
	for (k = 0; k < 50; k++) {
		for (n = 0, i = 0; i < len; n++) {
			i += 1 + (size_t)rand() % 17;
			cuts[n] = i < len ? i : len;
		}
		feed(in, len, max, cuts, n, &part_s, &p);
		same(o, &whole_s, &p, &part_s);
	}
	free(cuts);
}

static const struct tcase {
	const char	*in;
	size_t		 len;
	uint64_t	 max;
	ssize_t		 used;		/* -2: all of in */
	const char	*data;
	size_t		 dlen;
	int		 done, ieof;
	const char	*error;		/* substring, or NULL */
} cases[] = {
#define OK(s, used, data, done, ieof) \
	{ s, sizeof(s) - 1, 0, used, data, sizeof(data) - 1, done, ieof, NULL }
#define OKMAX(s, max, used, data) \
	{ s, sizeof(s) - 1, max, used, data, sizeof(data) - 1, 1, 0, NULL }
#define BAD(s, data, err) \
	{ s, sizeof(s) - 1, 0, -1, data, sizeof(data) - 1, 0, 0, err }
#define BADMAX(s, max, data, err) \
	{ s, sizeof(s) - 1, max, -1, data, sizeof(data) - 1, 0, 0, err }
#define ALL	(-2)
	/* edges: nothing, the least, incomplete */
	OK("", 0, "", 0, 0),
	OK("0", ALL, "", 0, 0),
	OK("0\r", ALL, "", 0, 0),
	OK("0\r\n", ALL, "", 0, 0),
	OK("0\r\n\r", ALL, "", 0, 0),
	OK("0\r\n\r\n", ALL, "", 1, 0),
	OK("0\n\n", ALL, "", 1, 0),
	OK("5\r\nhel", ALL, "hel", 0, 0),
	OK("5\r\nhello", ALL, "hello", 0, 0),
	OK("5\r\nhello\r", ALL, "hello", 0, 0),
	OK("5\r\nhello\r\n0\r\n", ALL, "hello", 0, 0),
	OK("fffffffffffffff\r\nab", ALL, "ab", 0, 0),
	OK("FFFFFFFFFFFFFFF;x=y\r\nab", ALL, "ab", 0, 0),
	/* normal bodies */
	OK("1\r\na\r\n0\r\n\r\n", ALL, "a", 1, 0),
	OK("5\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", ALL, "hello world", 1, 0),
	OK("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", ALL,
	    "0123456789abcdefghij", 1, 0),
	OK("1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n", ALL,
	    "abcdefghijklmnopqrstuvwxyz", 1, 0),
	OK("3\r\n\r\n\n\r\n0\r\n\r\n", ALL, "\r\n\n", 1, 0),
	OK("4\r\n\0\1\2\3\r\n0\r\n\r\n", ALL, "\0\1\2\3", 1, 0),
	/* ICAP preview endings */
	OK("5\r\nhello\r\n0; ieof\r\n\r\n", ALL, "hello", 1, 1),
	OK("0; ieof\r\n\r\n", ALL, "", 1, 1),
	OK("0;ieof\r\n\r\n", ALL, "", 1, 1),
	OK("0 ; IEOF \r\n\r\n", ALL, "", 1, 1),
	OK("0;IeOf\n\n", ALL, "", 1, 1),
	OK("0;ieof=1\r\n\r\n", ALL, "", 1, 1),
	OK("0;ieof = \"x\"\r\n\r\n", ALL, "", 1, 1),
	OK("0;foo;ieof\r\n\r\n", ALL, "", 1, 1),
	OK("0;ieof;foo=bar\r\n\r\n", ALL, "", 1, 1),
	OK("0;foo=\"a\\\"b\";ieof\r\n\r\n", ALL, "", 1, 1),
	OK("0;ieofx\r\n\r\n", ALL, "", 1, 0),
	OK("0;xieof\r\n\r\n", ALL, "", 1, 0),
	OK("0;ieo\r\n\r\n", ALL, "", 1, 0),
	OK("0;foo=ieof\r\n\r\n", ALL, "", 1, 0),
	OK("0;foo=\"a;ieof\"\r\n\r\n", ALL, "", 1, 0),
	OK("5;ieof\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	/* extensions on data chunks */
	OK("5;name=value\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5 ; a = b ; c\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5;a=\"x y;z\"\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5;a=\"\\\\\\\"\xe9\"\t\r\nhello\r\n0\r\n\r\n", ALL, "hello", 1, 0),
	OK("5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", ALL,
	    "hello", 1, 0),
	/* leading zeros, blanks before the line end */
	OK("0005\r\nhello\r\n000\r\n\r\n", ALL, "hello", 1, 0),
	OK("00000000000000000000000005\r\nhello\r\n0\r\n\r\n", ALL, "hello",
	    1, 0),
	OK("000000000000000000000\r\n\r\n", ALL, "", 1, 0),
	OK("5 \r\nhello\r\n0\t\r\n\r\n", ALL, "hello", 1, 0),
	/* trailers */
	OK("5\r\nhello\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n", ALL, "hello", 1, 0),
	OK("0; ieof\r\nX-A: 1\r\n\r\n", ALL, "", 1, 1),
	OK("0\nX-A: 1\nX-B:\n\n", ALL, "", 1, 0),
	OK("0\r\nX-A: 1\r\n", ALL, "", 0, 0),
	OK("0\r\nX-A: 1\r", ALL, "", 0, 0),
	OK("0\r\nX-A", ALL, "", 0, 0),
	/* bare LF */
	OK("5\nhello\n0\n\n", ALL, "hello", 1, 0),
	OK("5\r\nhello\n3\nabc\r\n0\nX: y\r\n\n", ALL, "helloabc", 1, 0),
	/* bytes after the end are not consumed */
	OK("0\r\n\r\nREQMOD icap://x/ ICAP/1.0\r\n", 5, "", 1, 0),
	OK("3\r\nabc\r\n0\r\n\r\n\r\n", 13, "abc", 1, 0),
	OK("0\n\n0\n\n", 3, "", 1, 0),
	OK("0; ieof\r\n\r\n5\r\nhello", 11, "", 1, 1),
	OK("0\r\nX: 1\r\n\r\nGET", 11, "", 1, 0),
	/* max_total: up to it is fine */
	OKMAX("5\r\nhello\r\n0\r\n\r\n", 5, ALL, "hello"),
	OKMAX("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 5, ALL, "abcde"),
	OKMAX("0\r\n\r\n", 1, ALL, ""),
	/* not a size */
	BAD("\r\n", "", "chunk-size missing"),
	BAD("\n", "", "chunk-size missing"),
	BAD(";ieof\r\n", "", "chunk-size not hex"),
	BAD("g\r\n", "", "chunk-size not hex"),
	BAD("-5\r\n", "", "chunk-size not hex"),
	BAD("+5\r\n", "", "chunk-size not hex"),
	BAD(" 5\r\n", "", "chunk-size not hex"),
	BAD("\t0\r\n\r\n", "", "chunk-size not hex"),
	BAD("0x5\r\n", "", "bad chunk extension"),
	BAD("5x\r\n", "", "bad chunk extension"),
	BAD("5 5\r\n", "", "bad chunk extension"),
	BAD("5\r\nhello\r\nz\r\n", "hello", "chunk-size not hex"),
	BAD("5\r\nhello\r\n\r\n", "hello", "chunk-size missing"),
	/* 16 significant digits or more */
	BAD("1000000000000000\r\n", "", "over 15 hex digits"),
	BAD("ffffffffffffffff", "", "over 15 hex digits"),
	BAD("0001000000000000000\r\n", "", "over 15 hex digits"),
	BAD("ffffffffffffffffffffffffffffffff\r\n", "", "over 15 hex digits"),
	/* bad extensions */
	BAD("5;\r\n", "", "bad chunk extension"),
	BAD("5; \r\n", "", "bad chunk extension"),
	BAD("5;;a\r\n", "", "bad chunk extension"),
	BAD("5;=a\r\n", "", "bad chunk extension"),
	BAD("5;a=\r\n", "", "bad chunk extension"),
	BAD("5;a= \r\n", "", "bad chunk extension"),
	BAD("5;a b\r\n", "", "bad chunk extension"),
	BAD("5;a=b c\r\n", "", "bad chunk extension"),
	BAD("5;a==b\r\n", "", "bad chunk extension"),
	BAD("5;a=\"b\r\n", "", "bad chunk extension"),
	BAD("5;a=\"b\\\r\n", "", "bad chunk extension"),
	BAD("5;a=\"\x01\"\r\n", "", "bad chunk extension"),
	BAD("5;a=\"b\"c\r\n", "", "bad chunk extension"),
	BAD("5;a@b\r\n", "", "bad chunk extension"),
	BAD("5;a=b@\r\n", "", "bad chunk extension"),
	BAD("5;\x80\r\n", "", "bad chunk extension"),
	BAD("0;ieof\0\r\n\r\n", "", "bad chunk extension"),
	/* CR without LF in the size line */
	BAD("5\rhello", "", "CR without LF in chunk-size line"),
	BAD("5;a\r\r\n", "", "CR without LF in chunk-size line"),
	/* no CRLF after the data */
	BAD("5\r\nhelloX\r\n", "hello", "no CRLF after chunk data"),
	BAD("5\r\nhello\rX", "hello", "no CRLF after chunk data"),
	BAD("5\r\nhello\r\r\n", "hello", "no CRLF after chunk data"),
	BAD("5\r\nhello world\r\n0\r\n\r\n", "hello", "no CRLF after chunk data"),
	BAD("3\r\nabc0\r\n\r\n", "abc", "no CRLF after chunk data"),
	/* trailer line ends */
	BAD("0\r\nX: y\rZ", "", "CR without LF in trailer"),
	BAD("0\r\n\rX", "", "CR without LF after trailer"),
	BAD("0\r\nX: y\r\n\r\r\n", "", "CR without LF after trailer"),
	/* max_total */
	BADMAX("5\r\nhello\r\n0\r\n\r\n", 4, "", "over 4 bytes"),
	BADMAX("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 5, "abc", "over 5 bytes"),
	BADMAX("fffffffffffffff\r\n", 10, "", "over 10 bytes"),
	BADMAX("1\r\na\r\n1\r\nb\r\n1\r\nc\r\n", 2, "ab", "over 2 bytes"),
#undef OK
#undef OKMAX
#undef BAD
#undef BADMAX
#undef ALL
};

/* table - every case, every split */
static void
table(void **state)
{
	struct outcome	 o;
	size_t		 i;

	(void)state;
	srand(1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];

		every_split(t->in, t->len, t->max, &o);
		assert_int_equal(o.used, t->used == -2 ? (ssize_t)t->len :
		    t->used);
		assert_int_equal(o.done, t->done);
		assert_int_equal(o.ieof, t->ieof);
		assert_int_equal(whole_s.len, t->dlen);
		assert_memory_equal(whole_s.buf, t->data, t->dlen);
		if (t->error != NULL)
			assert_non_null(strstr(o.error, t->error));
		else
			assert_string_equal(o.error, "");
	}
}

/* build_sizeline - a body whose first size line has n bytes, into b */
static size_t
build_sizeline(char *b, size_t n)
{
	size_t	len;

	/* "1;" then a name of n - 2 token chars */
	memcpy(b, "1;", 2);
	memset(b + 2, 'a', n - 2);
	len = n;
	memcpy(b + len, "\r\nx\r\n0\r\n\r\n", 10);
	return len + 10;
}

/* line_bounds - a size line and a trailer line of 4096 bytes, and 4097 */
static void
line_bounds(void **state)
{
	static char	 b[8192];
	struct outcome	 o;
	size_t		 len;

	(void)state;
	len = build_sizeline(b, 4096);
	every_split(b, len, 0, &o);
	assert_int_equal(o.used, len);
	assert_true(o.done);
	assert_int_equal(whole_s.len, 1);
	len = build_sizeline(b, 4097);
	every_split(b, len, 0, &o);
	assert_int_equal(o.used, -1);
	assert_non_null(strstr(o.error, "chunk-size line over 4096"));
	/* leading zeros count toward the line, not the digits */
	memset(b, '0', 4096);
	memcpy(b + 4096, "\r\n\r\n", 4);
	every_split(b, 4100, 0, &o);
	assert_int_equal(o.used, 4100);
	assert_true(o.done);
	memset(b, '0', 4097);
	memcpy(b + 4097, "\r\n\r\n", 4);
	every_split(b, 4101, 0, &o);
	assert_int_equal(o.used, -1);
	assert_non_null(strstr(o.error, "chunk-size line over 4096"));
	/* a trailer line: "0\r\n" + 4096 bytes + "\r\n\r\n" */
	memcpy(b, "0\r\nX:", 5);
	memset(b + 5, 'v', 4094);
	memcpy(b + 4099, "\r\n\r\n", 4);
	every_split(b, 4103, 0, &o);
	assert_int_equal(o.used, 4103);
	assert_true(o.done);
	memset(b + 5, 'v', 4095);
	memcpy(b + 4100, "\r\n\r\n", 4);
	every_split(b, 4104, 0, &o);
	assert_int_equal(o.used, -1);
	assert_non_null(strstr(o.error, "trailer line over 4096"));
}

/* trailer_count - 64 trailer lines, and 65 */
static void
trailer_count(void **state)
{
	static char	 b[2048];
	struct outcome	 o;
	size_t		 len, i, n;

	(void)state;
	for (n = 64; n <= 65; n++) {
		len = (size_t)sprintf(b, "2\r\nab\r\n0; ieof\r\n");
		for (i = 0; i < n; i++)
			len += (size_t)sprintf(b + len, "X-%zu: v\r\n", i);
		len += (size_t)sprintf(b + len, "\r\nNEXT");
		every_split(b, len, 0, &o);
		assert_int_equal(whole_s.len, 2);
		if (n == 64) {
			assert_int_equal(o.used, len - 4);
			assert_true(o.done);
			assert_true(o.ieof);
		} else {
			assert_int_equal(o.used, -1);
			assert_false(o.done);
			assert_non_null(strstr(o.error,
			    "more than 64 trailer lines"));
		}
	}
}

/* consumer_stop - a non-zero return stops the decoder for good */
static void
consumer_stop(void **state)
{
	static const char	 in[] = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
	struct chunk_dec	 d;
	struct sink		*s = &whole_s;
	size_t			 i;

	(void)state;
	chunk_init(&d, 0);
	s->len = s->calls = 0;
	s->stop_after = 1;
	assert_int_equal(chunk_feed(&d, in, sizeof(in) - 1, sink_data, s), -1);
	assert_string_equal(d.error, "consumer stopped");
	assert_int_equal(s->len, 5);
	assert_int_equal(s->calls, 1);
	assert_int_equal(chunk_feed(&d, "", 0, sink_data, s), -1);
	assert_int_equal(s->calls, 1);
	/* byte by byte: stops in the second chunk after 7 bytes */
	chunk_init(&d, 0);
	s->len = s->calls = 0;
	s->stop_after = 7;
	for (i = 0; i < sizeof(in) - 1; i++)
		if (chunk_feed(&d, in + i, 1, sink_data, s) == -1)
			break;
	assert_int_equal(i, 14);
	assert_int_equal(s->len, 7);
	assert_string_equal(d.error, "consumer stopped");
	assert_false(d.done);
	s->stop_after = 0;
}

/* stays_failed - after an error every call fails, whatever it is fed */
static void
stays_failed(void **state)
{
	struct chunk_dec	 d;
	char			 err[96];

	(void)state;
	chunk_init(&d, 0);
	assert_int_equal(chunk_feed(&d, "zz\r\n", 4, NULL, NULL), -1);
	memcpy(err, d.error, sizeof(err));
	assert_int_equal(chunk_feed(&d, "0\r\n\r\n", 5, NULL, NULL), -1);
	assert_int_equal(chunk_feed(&d, NULL, 0, NULL, NULL), -1);
	assert_false(d.done);
	assert_string_equal(d.error, err);
}

/* zeroed_and_null - a zeroed decoder works, data may be NULL, done stays */
static void
zeroed_and_null(void **state)
{
	static const char	 in[] = "5\r\nhello\r\n0\r\n\r\nX";
	struct chunk_dec	 d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(chunk_feed(&d, in, 3, NULL, NULL), 3);
	assert_int_equal(d.left, 5);
	assert_int_equal(chunk_feed(&d, in + 3, 2, NULL, NULL), 2);
	assert_int_equal(d.left, 3);
	assert_int_equal(chunk_feed(&d, in + 5, sizeof(in) - 6, NULL, NULL),
	    sizeof(in) - 7);
	assert_true(d.done);
	assert_int_equal(d.total, 5);
	/* once done nothing more is consumed */
	assert_int_equal(chunk_feed(&d, "0\r\n\r\n", 5, NULL, NULL), 0);
	assert_int_equal(chunk_feed(&d, NULL, 0, NULL, NULL), 0);
	assert_true(d.done);
}

/* head - chunk_head's lines and its short buffers */
static void
head(void **state)
{
	static const struct {
		size_t		 n;
		const char	*line;
	} t[] = {
		{ 0, "0\r\n" }, { 1, "1\r\n" }, { 15, "f\r\n" },
		{ 16, "10\r\n" }, { 4096, "1000\r\n" },
#if SIZE_MAX == UINT64_MAX
		{ SIZE_MAX, "ffffffffffffffff\r\n" },
#endif
	};
	char	buf[32];
	size_t	i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = chunk_head(buf, sizeof(buf), t[i].n);
		assert_int_equal(len, strlen(t[i].line));
		assert_string_equal(buf, t[i].line);
		/* an exact fit has no NUL; one byte less fails */
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(chunk_head(buf, len, t[i].n), len);
		assert_memory_equal(buf, t[i].line, len);
		assert_int_equal(buf[len], 'Z');
		memset(buf, 'Z', sizeof(buf));
		assert_int_equal(chunk_head(buf, len - 1, t[i].n), 0);
		assert_int_equal(buf[0], 'Z');
	}
	assert_int_equal(chunk_head(buf, 0, 0), 0);
	len = chunk_head(buf, 19, SIZE_MAX);
	assert_true(len > 0 && len < 19);
	assert_int_equal(len, strlen(buf));
}

/* roundtrip - data framed with chunk_head decodes back, split anyhow */
static void
roundtrip(void **state)
{
	static char	 body[20000], enc[40000];
	struct outcome	 o;
	size_t		 len, off, n, k;
	int		 iter;

	(void)state;
	srand(7);
	for (iter = 0; iter < 5; iter++) {
		for (k = 0; k < sizeof(body); k++)
			body[k] = (char)rand();
		len = off = 0;
		while (off < sizeof(body)) {
			n = 1 + (size_t)rand() % 3000;
			if (n > sizeof(body) - off)
				n = sizeof(body) - off;
			len += chunk_head(enc + len, sizeof(enc) - len, n);
			memcpy(enc + len, body + off, n);
			len += n;
			memcpy(enc + len, "\r\n", 2);
			len += 2;
			off += n;
		}
		len += chunk_head(enc + len, sizeof(enc) - len, 0);
		memcpy(enc + len, "\r\n", 2);
		len += 2;
		every_split(enc, len, sizeof(body), &o);
		assert_int_equal(o.used, len);
		assert_true(o.done);
		assert_int_equal(whole_s.len, sizeof(body));
		assert_memory_equal(whole_s.buf, body, sizeof(body));
		every_split(enc, len, sizeof(body) - 1, &o);
		assert_int_equal(o.used, -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(line_bounds),
		cmocka_unit_test(trailer_count),
		cmocka_unit_test(consumer_stop),
		cmocka_unit_test(stays_failed),
		cmocka_unit_test(zeroed_and_null),
		cmocka_unit_test(head),
		cmocka_unit_test(roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
