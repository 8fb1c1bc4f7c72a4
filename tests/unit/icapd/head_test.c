/*
 * head_test.c - ICAP request heads and encapsulated HTTP heads: edges
 * first (empty, limits at max and max + 1), then every error class with
 * its status, real Squid 5 requests in CRLF and LF form, every prefix of
 * a valid head, and the HTTP facts (length, chunked, encodings, type)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "icap_head.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define DATE		"Date: Wed, 15 Mar 2023 09:26:40 GMT\r\n"

/* ICAP heads as Squid 5 sends them, with the HTTP heads they carry */
static const char squid_reqmod_get[] =
	"REQMOD icap://127.0.0.1:1344/av/reqmod ICAP/1.0\r\n"
	"Host: 127.0.0.1:1344\r\n"
	DATE
	"Encapsulated: req-hdr=0, null-body=325\r\n"
	"Allow: 204, trailers\r\n"
	"X-Client-IP: 192.168.1.10\r\n"
	"\r\n"
	"GET http://www.example.com/index.html HTTP/1.1\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/111.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Host: www.example.com\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"\r\n";

static const char squid_reqmod_post[] =
	"REQMOD icap://127.0.0.1:1344/av/reqmod ICAP/1.0\r\n"
	"Host: 127.0.0.1:1344\r\n"
	DATE
	"Encapsulated: req-hdr=0, req-body=191\r\n"
	"Preview: 11\r\n"
	"Allow: 204, trailers\r\n"
	"X-Client-IP: 10.0.0.7\r\n"
	"X-Client-Username: alice\r\n"
	"\r\n"
	"POST http://upload.example.org/cgi-bin/upload HTTP/1.1\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\n"
	"Content-Length: 11\r\n"
	"Host: upload.example.org\r\n"
	"\r\n"
	"b\r\n"
	"hello=world\r\n"
	"0; ieof\r\n"
	"\r\n";

static const char squid_respmod_eicar[] =
	"RESPMOD icap://127.0.0.1:1344/av/respmod ICAP/1.0\r\n"
	"Host: 127.0.0.1:1344\r\n"
	DATE
	"Encapsulated: req-hdr=0, res-hdr=166, res-body=366\r\n"
	"Preview: 1024\r\n"
	"Allow: 204, 206\r\n"
	"X-Client-IP: 192.168.1.10\r\n"
	"\r\n"
	"GET http://www.eicar.org/download/eicar.com HTTP/1.1\r\n"
	"User-Agent: Wget/1.21.3\r\n"
	"Accept: */*\r\n"
	"Accept-Encoding: identity\r\n"
	"Host: www.eicar.org\r\n"
	"Connection: Keep-Alive\r\n"
	"\r\n"
	"HTTP/1.1 200 OK\r\n"
	"Date: Wed, 15 Mar 2023 09:26:41 GMT\r\n"
	"Server: Apache\r\n"
	"Last-Modified: Mon, 02 Jul 2018 10:01:00 GMT\r\n"
	"Accept-Ranges: bytes\r\n"
	"Content-Length: 68\r\n"
	"Content-Type: application/octet-stream\r\n"
	"\r\n"
	"44\r\n"
	"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\r\n"
	"0; ieof\r\n"
	"\r\n";

static const char squid_respmod_gzip[] =
	"RESPMOD icap://av.local:1344/respmod?profile=web ICAP/1.0\r\n"
	"Host: av.local:1344\r\n"
	DATE
	"Encapsulated: req-hdr=0, res-hdr=106, res-body=253\r\n"
	"Preview: 0\r\n"
	"Allow: 204, trailers\r\n"
	"X-Client-IP: 2001:db8::5\r\n"
	"\r\n"
	"GET https://cdn.example.net/app.js HTTP/1.1\r\n"
	"Host: cdn.example.net\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"\r\n"
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: application/javascript; charset=utf-8\r\n"
	"Content-Encoding: gzip\r\n"
	"Transfer-Encoding: chunked\r\n"
	"Vary: Accept-Encoding\r\n"
	"\r\n"
	"0\r\n"
	"\r\n";

static const char squid_respmod_304[] =
	"RESPMOD icap://127.0.0.1:1344/av/respmod ICAP/1.0\r\n"
	"Host: 127.0.0.1:1344\r\n"
	DATE
	"Encapsulated: req-hdr=0, res-hdr=121, null-body=206\r\n"
	"Allow: 204\r\n"
	"X-Client-IP: 192.168.1.11\r\n"
	"\r\n"
	"GET http://www.example.com/logo.png HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"If-Modified-Since: Mon, 13 Mar 2023 08:00:00 GMT\r\n"
	"\r\n"
	"HTTP/1.1 304 Not Modified\r\n"
	"Date: Wed, 15 Mar 2023 09:26:42 GMT\r\n"
	"ETag: \"5f3e-1a2b\"\r\n"
	"\r\n";

static const char squid_options[] =
	"OPTIONS icap://127.0.0.1:1344/av/respmod ICAP/1.0\r\n"
	"Host: 127.0.0.1:1344\r\n"
	DATE
	"\r\n";

static const char options_close[] =
	"OPTIONS icaps://icap.example.net/av/reqmod? ICAP/1.0\r\n"
	"Host: icap.example.net\r\n"
	"Encapsulated: null-body=0\r\n"
	"connection: keep-alive , Close\r\n"
	"allow:206\r\n"
	"\r\n";

static const char lf_respmod[] =
	"RESPMOD ICAP://localhost ICAP/1.0\n"
	"Host: localhost\n"
	"Encapsulated: res-hdr=0, res-body=96\n"
	"\n"
	"HTTP/1.0 200 OK\n"
	"Content-Type: text/html\n"
	"Content-Encoding: x-gzip, deflate\n"
	"Content-Length: 3, 3\n"
	"\n"
	"3\n"
	"abc\n"
	"0\n"
	"\n";

struct good {
	const char		*name, *text;
	enum icap_method	 method;
	const char		*service, *query;	/* query NULL: none */
	size_t			 nf, nenc;
	enum icap_part		 part[3];
	size_t			 off[3];
	int64_t			 preview;
	int			 a204, a206, close;
	const char		*client;		/* X-Client-IP or NULL */
};

static const struct good goods[] = {
	{ "reqmod get", squid_reqmod_get, ICAP_REQMOD, "/av/reqmod", NULL, 5,
	  2, { ICAP_REQ_HDR, ICAP_NULL_BODY }, { 0, 325 }, -1, 1, 0, 0,
	  "192.168.1.10" },
	{ "reqmod post", squid_reqmod_post, ICAP_REQMOD, "/av/reqmod", NULL,
	  7, 2, { ICAP_REQ_HDR, ICAP_REQ_BODY }, { 0, 191 }, 11, 1, 0, 0,
	  "10.0.0.7" },
	{ "respmod eicar", squid_respmod_eicar, ICAP_RESPMOD, "/av/respmod",
	  NULL, 6, 3, { ICAP_REQ_HDR, ICAP_RES_HDR, ICAP_RES_BODY },
	  { 0, 166, 366 }, 1024, 1, 1, 0, "192.168.1.10" },
	{ "respmod gzip", squid_respmod_gzip, ICAP_RESPMOD, "/respmod",
	  "profile=web", 6, 3, { ICAP_REQ_HDR, ICAP_RES_HDR, ICAP_RES_BODY },
	  { 0, 106, 253 }, 0, 1, 0, 0, "2001:db8::5" },
	{ "respmod 304", squid_respmod_304, ICAP_RESPMOD, "/av/respmod", NULL,
	  5, 3, { ICAP_REQ_HDR, ICAP_RES_HDR, ICAP_NULL_BODY },
	  { 0, 121, 206 }, -1, 1, 0, 0, "192.168.1.11" },
	{ "options", squid_options, ICAP_OPTIONS, "/av/respmod", NULL, 2, 0,
	  { 0 }, { 0 }, -1, 0, 0, 0, NULL },
	{ "options close", options_close, ICAP_OPTIONS, "/av/reqmod", "", 4,
	  1, { ICAP_NULL_BODY }, { 0 }, -1, 0, 1, 1, NULL },
	{ "lf respmod", lf_respmod, ICAP_RESPMOD, "", NULL, 2, 2,
	  { ICAP_RES_HDR, ICAP_RES_BODY }, { 0, 96 }, -1, 0, 0, 0, NULL },
};

/* t_headlen - bytes up to and including the first empty line */
static size_t
t_headlen(const char *s)
{
	const char	*a = strstr(s, "\r\n\r\n"), *b = strstr(s, "\n\n");

	if (a != NULL && (b == NULL || a < b))
		return (size_t)(a - s) + 4;
	assert_non_null(b);
	return (size_t)(b - s) + 2;
}

/* t_tolf - a heap copy of the first n bytes of s with every CRLF as LF */
static char *
t_tolf(const char *s, size_t n, size_t *outlen)
{
	char	*o;
	size_t	 i, j;

	o = malloc(n + 1);
	assert_non_null(o);
	for (i = j = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			o[j++] = s[i];
	*outlen = j;
	return o;
}

/* t_dup - an exact-size heap copy, so ASan sees any read past len */
static char *
t_dup(const char *s, size_t n)
{
	char	*o = malloc(n > 0 ? n : 1);

	assert_non_null(o);
	memcpy(o, s, n);
	return o;
}

/* t_eq - [p, p + n) equals s */
static void
t_eq(const char *p, size_t n, const char *s)
{
	if (n != strlen(s) || memcmp(p, s, n) != 0)
		fail_msg("'%.*s' != '%s'", (int)n, p, s);
}

/* t_check_good - r holds what g says */
static void
t_check_good(const struct good *g, const struct icap_req *r)
{
	const struct icap_field	*f;
	size_t			 i;

	assert_int_equal(r->method, g->method);
	t_eq(r->service, r->svclen, g->service);
	if (g->query == NULL)
		assert_null(r->query);
	else
		t_eq(r->query, r->qlen, g->query);
	assert_int_equal(r->nf, g->nf);
	assert_int_equal(r->nenc, g->nenc);
	for (i = 0; i < g->nenc; i++) {
		assert_int_equal(r->enc[i].part, g->part[i]);
		assert_int_equal(r->enc[i].off, g->off[i]);
	}
	assert_int_equal(r->preview, g->preview);
	assert_int_equal(r->allow204, g->a204);
	assert_int_equal(r->allow206, g->a206);
	assert_int_equal(r->close, g->close);
	f = icap_field_get(r->f, r->nf, "x-client-ip");
	if (g->client == NULL)
		assert_null(f);
	else
		t_eq(f->value, f->vlen, g->client);
	assert_string_equal(r->error, "");
}

/* test_empty - nothing yet is "need more", for both parsers' edges */
static void
test_empty(void **state)
{
	static struct icap_req	 r;
	static struct http_head	 h;

	(void)state;
	assert_int_equal(icap_req_parse("", 0, &r), 0);
	assert_int_equal(icap_req_parse("R", 1, &r), 0);
	assert_int_equal(icap_req_parse("\n", 1, &r), -400);
	assert_int_equal(icap_req_parse("\r\n", 2, &r), -400);
	assert_int_equal(http_head_parse("", 0, &h), -1);
	assert_true(h.error[0] != '\0');
	assert_int_equal(http_head_parse("\r\n", 2, &h), -1);
}

/* test_good - Squid's heads parse, and their offsets find the HTTP heads */
static void
test_good(void **state)
{
	static struct icap_req	 r;
	static struct http_head	 h;
	const struct good	*g;
	char			*b;
	size_t			 i, j, n, hl, end;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(goods); i++) {
		g = &goods[i];
		n = strlen(g->text);
		hl = t_headlen(g->text);
		b = t_dup(g->text, n);
		/* with the body behind it and exactly the head */
		rc = icap_req_parse(b, n, &r);
		if (rc != (int)hl)
			fail_msg("%s: %d (%s)", g->name, rc, r.error);
		t_check_good(g, &r);
		assert_int_equal(icap_req_parse(b, hl, &r), (int)hl);
		t_check_good(g, &r);
		/* each encapsulated header section is one HTTP head */
		for (j = 0; j + 1 < r.nenc; j++) {
			end = r.enc[j + 1].off;
			assert_true(hl + end <= n);
			if (http_head_parse(b + hl + r.enc[j].off,
			    end - r.enc[j].off, &h) != 0)
				fail_msg("%s: %s", g->name, h.error);
			assert_int_equal(h.is_request,
			    r.enc[j].part == ICAP_REQ_HDR);
		}
		free(b);
	}
}

/* test_good_lf - the same heads with bare LF line ends */
static void
test_good_lf(void **state)
{
	static struct icap_req	 r;
	size_t			 i, hl, n;
	char			*b;

	(void)state;
	for (i = 0; i < NELEM(goods); i++) {
		hl = t_headlen(goods[i].text);
		b = t_tolf(goods[i].text, hl, &n);
		if (icap_req_parse(b, n, &r) != (int)n)
			fail_msg("%s: %s", goods[i].name, r.error);
		t_check_good(&goods[i], &r);
		free(b);
	}
}

/* test_prefixes - every prefix of a valid head needs more bytes */
static void
test_prefixes(void **state)
{
	static struct icap_req	 r;
	size_t			 i, k, hl, n;
	char			*b, *c;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(goods); i++) {
		hl = t_headlen(goods[i].text);
		c = t_tolf(goods[i].text, hl, &n);
		for (k = 0; k < hl; k++) {
			b = t_dup(goods[i].text, k);
			if ((rc = icap_req_parse(b, k, &r)) != 0)
				fail_msg("%s: prefix %zu: %d %s", goods[i].name,
				    k, rc, r.error);
			assert_string_equal(r.error, "");
			free(b);
		}
		for (k = 0; k < n; k++) {
			b = t_dup(c, k);
			if ((rc = icap_req_parse(b, k, &r)) != 0)
				fail_msg("%s: LF prefix %zu: %d %s",
				    goods[i].name, k, rc, r.error);
			free(b);
		}
		free(c);
	}
}

struct bad {
	const char	*text;		/* the head after REQ_LINE, or whole */
	int		 status;
	const char	*why;		/* a piece of r->error */
};

#define RL	"REQMOD icap://h/s ICAP/1.0\r\n"
#define RS	"RESPMOD icap://h/s ICAP/1.0\r\n"
#define OP	"OPTIONS icap://h/s ICAP/1.0\r\n"
#define ENC	"Encapsulated: req-hdr=0, null-body=10\r\n"

static const struct bad bads[] = {
	/* request line */
	{ "\r\n", -400, "empty request line" },
	{ "REQMOD\r\n\r\n", -400, "bad request line" },
	{ "REQMOD icap://h/s\r\n\r\n", -400, "bad request line" },
	{ "REQMOD  icap://h/s ICAP/1.0\r\n" ENC "\r\n", -400, "bad request" },
	{ "REQMOD icap://h/s  ICAP/1.0\r\n" ENC "\r\n", -400, "bad request" },
	{ "REQMOD icap://h/s ICAP/1.0 \r\n" ENC "\r\n", -400, "bad request" },
	{ " REQMOD icap://h/s ICAP/1.0\r\n" ENC "\r\n", -400, "bad request" },
	{ "REQMOD icap://h/s ICAP/1.0 x\r\n" ENC "\r\n", -400, "bad request" },
	{ "REQMOD\ticap://h/s\tICAP/1.0\r\n" ENC "\r\n", -400, "bad request" },
	{ "REQMOD icap://h/s ICAP/1.0\r\r\n" ENC "\r\n", -400, "bare CR" },
	{ "REQMOD icap://h/s ICAP/1.1\r\n" ENC "\r\n", -505, "version" },
	{ "REQMOD icap://h/s ICAP/2.0\r\n" ENC "\r\n", -505, "version" },
	{ "REQMOD icap://h/s icap/1.0\r\n" ENC "\r\n", -505, "version" },
	{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", -505, "version" },
	{ "reqmod icap://h/s ICAP/1.0\r\n" ENC "\r\n", -501, "not implemented" },
	{ "LOG icap://h/s ICAP/1.0\r\n" ENC "\r\n", -501, "not implemented" },
	{ "FILEMOD icap://h/s ICAP/1.0\r\n\r\n", -501, "not implemented" },
	{ "REQ(MOD icap://h/s ICAP/1.0\r\n\r\n", -400, "bad method" },
	{ "REQMOD http://h/s ICAP/1.0\r\n" ENC "\r\n", -400, "not icap" },
	{ "REQMOD /s ICAP/1.0\r\n" ENC "\r\n", -400, "not icap" },
	{ "REQMOD icap:/h/s ICAP/1.0\r\n" ENC "\r\n", -400, "not icap" },
	{ "REQMOD icap:///s ICAP/1.0\r\n" ENC "\r\n", -400, "without a host" },
	{ "REQMOD icap://?q ICAP/1.0\r\n" ENC "\r\n", -400, "without a host" },
	{ "REQMOD icap://h/\xc3\xa9 ICAP/1.0\r\n" ENC "\r\n", -400, "URI" },
	{ "REQMOD icap://h/\x7f ICAP/1.0\r\n" ENC "\r\n", -400, "URI" },
	/* header lines */
	{ RL "Host h\r\n" ENC "\r\n", -400, "without ':'" },
	{ RL "Host\r\n" ENC "\r\n", -400, "without ':'" },
	{ RL ": h\r\n" ENC "\r\n", -400, "empty header name" },
	{ RL "Host : h\r\n" ENC "\r\n", -400, "header name" },
	{ RL "Ho\x01st: h\r\n" ENC "\r\n", -400, "header name" },
	{ RL "Host: h\r\n x\r\n" ENC "\r\n", -400, "folded" },
	{ RL "Host: h\r\n\tx\r\n" ENC "\r\n", -400, "folded" },
	{ RL "Host: h\x01\r\n" ENC "\r\n", -400, "control" },
	{ RL "Host: h\rx\r\n" ENC "\r\n", -400, "control" },
	{ RL "Host: h\r\r\n" ENC "\r\n", -400, "control" },
	{ RL "Host: h\x7f\r\n" ENC "\r\n", -400, "control" },
	{ RL ENC "\r\r\n", -400, "without ':'" },
	{ RL "\r\n", -400, "no Encapsulated" },
	{ RS "Host: h\r\n\r\n", -400, "no Encapsulated" },
	/* Encapsulated syntax */
	{ RL "Encapsulated:\r\n\r\n", -400, "empty Encapsulated entry" },
	{ RL "Encapsulated: req-hdr=0,, null-body=5\r\n\r\n", -400, "empty" },
	{ RL "Encapsulated: req-hdr=0, null-body=5,\r\n\r\n", -400, "empty" },
	{ RL "Encapsulated: req-hdr 0, null-body=5\r\n\r\n", -400, "without '='" },
	{ RL "Encapsulated: req-hdr = 0, null-body=5\r\n\r\n", -400, "unknown" },
	{ RL "Encapsulated: req-head=0, null-body=5\r\n\r\n", -400, "unknown" },
	{ RL "Encapsulated: req-hdr=, null-body=5\r\n\r\n", -400, "offset" },
	{ RL "Encapsulated: req-hdr=0, null-body=-5\r\n\r\n", -400, "offset" },
	{ RL "Encapsulated: req-hdr=0, null-body=+5\r\n\r\n", -400, "offset" },
	{ RL "Encapsulated: req-hdr=0, null-body=0x5\r\n\r\n", -400, "offset" },
	{ RL "Encapsulated: req-hdr=0, null-body=1000000000\r\n\r\n", -400,
	  "offset" },
	{ RL "Encapsulated: req-hdr=0, null-body=5 6\r\n\r\n", -400, "offset" },
	{ RL "Encapsulated: req-hdr=0, req-hdr=5, null-body=9\r\n\r\n", -400,
	  "duplicate Encapsulated entry" },
	{ RL ENC ENC "\r\n", -400, "duplicate Encapsulated header" },
	{ RL "Encapsulated: req-hdr=3, null-body=5\r\n\r\n", -400,
	  "not increasing" },
	{ RL "Encapsulated: req-hdr=0, null-body=0\r\n\r\n", -400,
	  "not increasing" },
	{ RS "Encapsulated: req-hdr=0, res-hdr=50, res-body=40\r\n\r\n", -400,
	  "not increasing" },
	{ RS "Encapsulated: res-hdr=0, req-hdr=50, res-body=90\r\n\r\n", -400,
	  "req-hdr after res-hdr" },
	{ RL "Encapsulated: null-body=0, req-hdr=5\r\n\r\n", -400, "not last" },
	{ RL "Encapsulated: req-hdr=0, req-body=5, null-body=9\r\n\r\n", -400,
	  "not last" },
	{ RL "Encapsulated: req-hdr=0\r\n\r\n", -400, "without a body" },
	{ RS "Encapsulated: req-hdr=0, res-hdr=5\r\n\r\n", -400,
	  "without a body" },
	/* Encapsulated against the method */
	{ RL "Encapsulated: null-body=0\r\n\r\n", -400, "without Encapsulated req-hdr" },
	{ RL "Encapsulated: req-body=0\r\n\r\n", -400, "without Encapsulated req-hdr" },
	{ RL "Encapsulated: req-hdr=0, res-hdr=5, null-body=9\r\n\r\n", -400,
	  "res-hdr not allowed in REQMOD" },
	{ RL "Encapsulated: req-hdr=0, res-body=5\r\n\r\n", -400,
	  "res-body not allowed in REQMOD" },
	{ RL "Encapsulated: req-hdr=0, opt-body=5\r\n\r\n", -400,
	  "opt-body not allowed" },
	{ RS "Encapsulated: req-hdr=0, req-body=5\r\n\r\n", -400,
	  "req-body not allowed in RESPMOD" },
	{ RS "Encapsulated: res-hdr=0, opt-body=5\r\n\r\n", -400,
	  "opt-body not allowed in RESPMOD" },
	{ OP "Encapsulated: req-hdr=0, null-body=5\r\n\r\n", -400,
	  "req-hdr not allowed in OPTIONS" },
	{ OP "Encapsulated: res-body=0\r\n\r\n", -400,
	  "res-body not allowed in OPTIONS" },
	/* Preview */
	{ RL ENC "Preview:\r\n\r\n", -400, "bad Preview" },
	{ RL ENC "Preview: -1\r\n\r\n", -400, "bad Preview" },
	{ RL ENC "Preview: 1k\r\n\r\n", -400, "bad Preview" },
	{ RL ENC "Preview: 1 0\r\n\r\n", -400, "bad Preview" },
	{ RL ENC "Preview: 1000000000000000000\r\n\r\n", -400, "bad Preview" },
	{ RL ENC "Preview: 0\r\nPreview: 0\r\n\r\n", -400, "duplicate Preview" },
};

/* test_bad - every error class, with its status and reason */
static void
test_bad(void **state)
{
	static struct icap_req	 r;
	size_t			 i, n;
	char			*b;
	int			 rc;

	(void)state;
	for (i = 0; i < NELEM(bads); i++) {
		n = strlen(bads[i].text);
		b = t_dup(bads[i].text, n);
		rc = icap_req_parse(b, n, &r);
		if (rc != bads[i].status)
			fail_msg("case %zu: '%s': %d (%s)", i, bads[i].text, rc,
			    r.error);
		if (strstr(r.error, bads[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, r.error,
			    bads[i].why);
		free(b);
	}
}

/* test_odd_good - unusual but valid forms */
static void
test_odd_good(void **state)
{
	static const char *const ok[] = {
		RL "Encapsulated:req-hdr=0,null-body=1\r\n\r\n",
		RL "Encapsulated: \t req-hdr=0 ,\tnull-body=1 \t\r\n\r\n",
		RL "ENCAPSULATED: REQ-HDR=0, NULL-BODY=1\r\n\r\n",
		RL "Encapsulated: req-hdr=0, null-body=999999999\r\n\r\n",
		RL "Encapsulated: req-hdr=000, null-body=0010\r\n\r\n",
		RL ENC "Preview: 999999999999999999\r\n\r\n",
		RL ENC "X-Empty:\r\nX-Blank:   \r\n\r\n",
		RL ENC "X-Latin: caf\xe9\r\nX-Tab: a\tb\r\n\r\n",
		RL ENC "Allow:\r\nAllow: , ,\r\nConnection:\r\n\r\n",
		RS "Encapsulated: null-body=0\r\n\r\n",
		RS "Encapsulated: res-body=0\r\n\r\n",
		RS "Encapsulated: res-hdr=0, null-body=5\r\n\r\n",
		OP "Encapsulated: opt-body=0\r\n\r\n",
		"RESPMOD icap://h:1344 ICAP/1.0\r\nEncapsulated: res-body=0\r\n\r\n",
		"RESPMOD ICAPS://h?a?b ICAP/1.0\r\nEncapsulated: res-body=0\r\n\r\n",
		"OPTIONS icap://h/a/b/c;x#f ICAP/1.0\n\n",
		"OPTIONS icap://h/s ICAP/1.0\r\n\n",
		"OPTIONS icap://h/s ICAP/1.0\n\r\n",
	};
	static struct icap_req	 r;
	size_t			 i, n;
	char			*b;

	(void)state;
	for (i = 0; i < NELEM(ok); i++) {
		n = strlen(ok[i]);
		b = t_dup(ok[i], n);
		if (icap_req_parse(b, n, &r) != (int)n)
			fail_msg("case %zu: %s", i, r.error);
		free(b);
	}
	/* the query: two '?' keep the second in the query */
	n = strlen(ok[14]);
	assert_int_equal(icap_req_parse(ok[14], n, &r), (int)n);
	t_eq(r.service, r.svclen, "");
	t_eq(r.query, r.qlen, "a?b");
	t_eq(r.uri, r.urilen, "ICAPS://h?a?b");
	/* offsets with leading zeros and the blank values */
	assert_int_equal(icap_req_parse(ok[4], strlen(ok[4]), &r),
	    (int)strlen(ok[4]));
	assert_int_equal(r.enc[1].off, 10);
	assert_int_equal(icap_req_parse(ok[6], strlen(ok[6]), &r),
	    (int)strlen(ok[6]));
	assert_int_equal(r.f[2].vlen, 0);
	assert_int_equal(r.f[1].vlen, 0);
	assert_int_equal(icap_req_parse(ok[5], strlen(ok[5]), &r),
	    (int)strlen(ok[5]));
	assert_true(r.preview == 999999999999999999LL);
}

/* t_lines - a head of a request line, count headers of hlen-byte lines */
static char *
t_lines(const char *first, size_t count, size_t vlen, size_t *len)
{
	size_t	 i, fl = strlen(first), n = 0;
	char	*b;

	b = malloc(fl + count * (vlen + 10) + 3);
	assert_non_null(b);
	memcpy(b, first, fl);
	n = fl;
	for (i = 0; i < count; i++) {
		n += (size_t)sprintf(b + n, "X-%04zx: ", i % 0x10000);
		memset(b + n, 'v', vlen);
		n += vlen;
		b[n++] = '\r';
		b[n++] = '\n';
	}
	b[n++] = '\r';
	b[n++] = '\n';
	*len = n;
	return b;
}

/* t_sized - an OPTIONS head of exactly total bytes in a buffer of size */
static char *
t_sized(size_t total, size_t size)
{
	size_t	 n = strlen(OP), rest, line;
	char	*b;

	b = malloc(size);
	assert_non_null(b);
	memset(b, '#', size);
	memcpy(b, OP, n);
	while ((rest = total - n - 2) > 0) {
		if (rest >= 8192)
			line = 4096;
		else if (rest > 4096)
			line = rest / 2;
		else
			line = rest;
		memcpy(b + n, "X: ", 3);
		memset(b + n + 3, 'v', line - 5);
		memcpy(b + n + line - 2, "\r\n", 2);
		n += line;
	}
	memcpy(b + n, "\r\n", 2);
	return b;
}

/* test_limits - line length, header count and head size: max and max + 1 */
static void
test_limits(void **state)
{
	static struct icap_req	 r;
	char			*b;
	size_t			 n, vlen;

	(void)state;
	/* a header line of exactly ICAP_MAXLINE bytes, and one more */
	vlen = ICAP_MAXLINE - 8;
	b = t_lines(OP, 1, vlen, &n);
	assert_int_equal(icap_req_parse(b, n, &r), (int)n);
	assert_int_equal(r.f[0].vlen, vlen);
	/* its partial line: 0 while a CR may still come */
	assert_int_equal(icap_req_parse(b, strlen(OP) + ICAP_MAXLINE + 1, &r),
	    0);
	free(b);
	b = t_lines(OP, 1, vlen + 1, &n);
	assert_int_equal(icap_req_parse(b, n, &r), -400);
	assert_non_null(strstr(r.error, "line 2: line too long"));
	/* known before the line ends */
	assert_int_equal(icap_req_parse(b, strlen(OP) + ICAP_MAXLINE + 2, &r),
	    -400);
	assert_int_equal(icap_req_parse(b, strlen(OP) + ICAP_MAXLINE + 1, &r),
	    0);
	free(b);
	/* the same with bare LF: the line is 8193 bytes */
	b = t_lines(OP, 1, vlen + 1, &n);
	b[strlen(OP) + ICAP_MAXLINE + 1] = '\n';
	assert_int_equal(icap_req_parse(b, strlen(OP) + ICAP_MAXLINE + 2, &r),
	    -400);
	free(b);
	/* a request line too long */
	b = malloc(ICAP_MAXLINE + 2);
	assert_non_null(b);
	memset(b, 'A', ICAP_MAXLINE + 2);
	assert_int_equal(icap_req_parse(b, ICAP_MAXLINE + 1, &r), 0);
	assert_int_equal(icap_req_parse(b, ICAP_MAXLINE + 2, &r), -400);
	assert_non_null(strstr(r.error, "line 1: line too long"));
	free(b);
	/* ICAP_MAXHDRS headers, and one more */
	b = t_lines(OP, ICAP_MAXHDRS, 4, &n);
	assert_int_equal(icap_req_parse(b, n, &r), (int)n);
	assert_int_equal(r.nf, ICAP_MAXHDRS);
	free(b);
	b = t_lines(OP, ICAP_MAXHDRS + 1, 4, &n);
	assert_int_equal(icap_req_parse(b, n, &r), -400);
	assert_non_null(strstr(r.error, "too many headers"));
	assert_int_equal(icap_req_parse(b, n - 2, &r), -400);	/* early */
	free(b);
	/* a head of exactly ICAP_MAXHEAD bytes, and one more */
	b = t_sized(ICAP_MAXHEAD, ICAP_MAXHEAD + 100);
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD, &r), ICAP_MAXHEAD);
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD + 100, &r),
	    ICAP_MAXHEAD);
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD - 1, &r), 0);
	free(b);
	b = t_sized(ICAP_MAXHEAD + 1, ICAP_MAXHEAD + 1);
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD + 1, &r), -400);
	assert_non_null(strstr(r.error, "head longer than"));
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD, &r), -400);
	assert_int_equal(icap_req_parse(b, ICAP_MAXHEAD - 1, &r), 0);
	free(b);
	/* a small head in a buffer longer than ICAP_MAXHEAD */
	b = t_sized(1000, 2 * ICAP_MAXHEAD);
	assert_int_equal(icap_req_parse(b, 2 * ICAP_MAXHEAD, &r), 1000);
	free(b);
}

/* test_pipelined - bytes after the head are not part of it */
static void
test_pipelined(void **state)
{
	static const char	 two[] = OP "\r\n" OP "\r\n";
	static struct icap_req	 r;

	(void)state;
	assert_int_equal(icap_req_parse(two, sizeof(two) - 1, &r),
	    (int)strlen(OP) + 2);
	/* the second request's line is not read: garbage after is fine */
	assert_int_equal(icap_req_parse(OP "\r\n\x01\x02", strlen(OP) + 4, &r),
	    (int)strlen(OP) + 2);
}

/* test_field_get - case-insensitive, first match, exact length */
static void
test_field_get(void **state)
{
	static const char	 head[] = OP "Host: a\r\nX-A: 1\r\nHOST: b\r\n"
	    "X-AB: 2\r\n\r\n";
	static struct icap_req	 r;
	const struct icap_field	*f;

	(void)state;
	assert_int_equal(icap_req_parse(head, sizeof(head) - 1, &r),
	    (int)sizeof(head) - 1);
	f = icap_field_get(r.f, r.nf, "host");
	assert_non_null(f);
	t_eq(f->value, f->vlen, "a");
	t_eq(f->name, f->nlen, "Host");
	f = icap_field_get(r.f, r.nf, "x-ab");
	assert_non_null(f);
	t_eq(f->value, f->vlen, "2");
	assert_null(icap_field_get(r.f, r.nf, "X-"));
	assert_null(icap_field_get(r.f, r.nf, "Hos"));
	assert_null(icap_field_get(r.f, 0, "Host"));
	assert_null(icap_field_get(NULL, 0, "Host"));
}

struct hgood {
	const char	*text;
	int		 is_request, status, minor;
	const char	*method, *target;
	size_t		 nf;
	int64_t		 clen;
	int		 chunked;
};

static const struct hgood hgoods[] = {
	{ "HTTP/1.1 200 OK\r\n\r\n", 0, 200, 1, NULL, NULL, 0, -1, 0 },
	{ "HTTP/1.0 404\r\n\r\n", 0, 404, 0, NULL, NULL, 0, -1, 0 },
	{ "HTTP/1.1 999 \r\n\r\n", 0, 999, 1, NULL, NULL, 0, -1, 0 },
	{ "HTTP/1.1 100 Continue\n\n", 0, 100, 1, NULL, NULL, 0, -1, 0 },
	{ "HTTP/1.1 200 OK \xe9\tok\r\nContent-Length: 0\r\n\r\n", 0, 200, 1,
	  NULL, NULL, 1, 0, 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, 0, 1, "GET", "/", 1, -1, 0 },
	{ "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 1, 0, 1, "CONNECT",
	  "example.com:443", 0, -1, 0 },
	{ "POST http://h/caf\xc3\xa9?q HTTP/1.0\r\nContent-Length: 5\r\n\r\n",
	  1, 0, 0, "POST", "http://h/caf\xc3\xa9?q", 1, 5, 0 },
	{ "M-SEARCH * HTTP/1.1\n\n", 1, 0, 1, "M-SEARCH", "*", 0, -1, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 10\r\n\r\n", 0, 200, 1, NULL, NULL, 2, 10, 1 },
};

/* test_http_good - request and status lines, with their facts */
static void
test_http_good(void **state)
{
	static struct http_head	 h;
	const struct hgood	*g;
	size_t			 i, n;
	char			*b;

	(void)state;
	for (i = 0; i < NELEM(hgoods); i++) {
		g = &hgoods[i];
		n = strlen(g->text);
		b = t_dup(g->text, n);
		if (http_head_parse(b, n, &h) != 0)
			fail_msg("case %zu: %s", i, h.error);
		assert_int_equal(h.is_request, g->is_request);
		assert_int_equal(h.status, g->status);
		assert_int_equal(h.minor, g->minor);
		if (g->method != NULL) {
			t_eq(h.method, h.mlen, g->method);
			t_eq(h.target, h.tlen, g->target);
		}
		assert_int_equal(h.nf, g->nf);
		assert_true(h.content_length == g->clen);
		assert_int_equal(h.chunked, g->chunked);
		assert_string_equal(h.error, "");
		free(b);
	}
}

/* test_http_bad - what an encapsulated head must not be */
static void
test_http_bad(void **state)
{
	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\n",			/* no empty line */
		"HTTP/1.1 200 OK\r\n\r",
		"HTTP/1.1 200 OK",
		"HTTP/1.1 200 OK\r\n\r\nX",		/* bytes after */
		"HTTP/1.1 200 OK\r\n\r\n\r\n",
		"\r\nHTTP/1.1 200 OK\r\n\r\n",		/* empty start line */
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 20\r\n\r\n",
		"HTTP/1.1 099 x\r\n\r\n",
		"HTTP/1.1 2000\r\n\r\n",
		"HTTP/1.1  200 OK\r\n\r\n",
		"HTTP/1.1 200 O\x01K\r\n\r\n",
		"HTTP/1.x 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\rX\r\n\r\n",		/* bare CR */
		"GET / HTTP/1.1 \r\n\r\n",
		"GET /  HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / ICAP/1.0\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET /\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\r\n",
	};
	static const size_t	 nul = 25;	/* the case with a NUL */
	static struct http_head	 h;
	size_t			 i, n;
	char			*b;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		n = strlen(bad[i]);
		if (i == nul)
			n += 5;
		b = t_dup(bad[i], n);
		if (http_head_parse(b, n, &h) != -1)
			fail_msg("case %zu: accepted '%s'", i, bad[i]);
		assert_true(h.error[0] != '\0');
		free(b);
	}
}

/* test_http_limits - line length, header count, size */
static void
test_http_limits(void **state)
{
	static struct http_head	 h;
	char			*b;
	size_t			 n;

	(void)state;
	b = t_lines("HTTP/1.1 200 OK\r\n", 1, ICAP_MAXLINE - 8, &n);
	assert_int_equal(http_head_parse(b, n, &h), 0);
	free(b);
	b = t_lines("HTTP/1.1 200 OK\r\n", 1, ICAP_MAXLINE - 7, &n);
	assert_int_equal(http_head_parse(b, n, &h), -1);
	assert_non_null(strstr(h.error, "line 2: line too long"));
	free(b);
	b = t_lines("HTTP/1.1 200 OK\r\n", ICAP_MAXHDRS, 1, &n);
	assert_int_equal(http_head_parse(b, n, &h), 0);
	assert_int_equal(h.nf, ICAP_MAXHDRS);
	free(b);
	b = t_lines("HTTP/1.1 200 OK\r\n", ICAP_MAXHDRS + 1, 1, &n);
	assert_int_equal(http_head_parse(b, n, &h), -1);
	assert_non_null(strstr(h.error, "too many headers"));
	free(b);
	b = t_lines("HTTP/1.1 200 OK\r\n", 16, 4096, &n);
	assert_true(n > ICAP_MAXHEAD);
	assert_int_equal(http_head_parse(b, n, &h), -1);
	assert_non_null(strstr(h.error, "head longer than"));
	free(b);
}

/* test_http_clen - Content-Length: absent, valid, repeated, invalid */
static void
test_http_clen(void **state)
{
	static const struct {
		const char	*hdrs;
		int64_t		 want;
	} c[] = {
		{ "", -1 },
		{ "Content-Length: 0\r\n", 0 },
		{ "content-length:42\r\n", 42 },
		{ "Content-Length: 999999999999999999\r\n", 999999999999999999LL },
		{ "Content-Length: 1000000000000000000\r\n", -2 },
		{ "Content-Length: 5, 5\r\n", 5 },
		{ "Content-Length: 5\r\nContent-Length: 5\r\n", 5 },
		{ "Content-Length: 5\r\nContent-Length: 6\r\n", -2 },
		{ "Content-Length: 5, 6\r\n", -2 },
		{ "Content-Length: 5,\r\n", -2 },
		{ "Content-Length:\r\n", -2 },
		{ "Content-Length: -1\r\n", -2 },
		{ "Content-Length: +1\r\n", -2 },
		{ "Content-Length: 1 2\r\n", -2 },
		{ "Content-Length: 0x10\r\n", -2 },
		{ "Content-Length: 5\r\nContent-Length: x\r\n", -2 },
	};
	static struct http_head	 h;
	char			 buf[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s\r\n",
		    c[i].hdrs);
		assert_int_equal(http_head_parse(buf, strlen(buf), &h), 0);
		if (h.content_length != c[i].want)
			fail_msg("case %zu: %lld", i,
			    (long long)h.content_length);
	}
}

/* test_http_chunked - Transfer-Encoding ending in chunked */
static void
test_http_chunked(void **state)
{
	static const struct {
		const char	*hdrs;
		int		 want;
	} c[] = {
		{ "", 0 },
		{ "Transfer-Encoding: chunked\r\n", 1 },
		{ "Transfer-Encoding: CHUNKED\r\n", 1 },
		{ "Transfer-Encoding: gzip, chunked\r\n", 1 },
		{ "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 1 },
		{ "Transfer-Encoding: chunked, gzip\r\n", 0 },
		{ "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 0 },
		{ "Transfer-Encoding: chunked,\r\n", 1 },
		{ "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n", 1 },
		{ "Transfer-Encoding: xchunked\r\n", 0 },
		{ "Transfer-Encoding: identity\r\n", 0 },
	};
	static struct http_head	 h;
	char			 buf[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s\r\n",
		    c[i].hdrs);
		assert_int_equal(http_head_parse(buf, strlen(buf), &h), 0);
		if (h.chunked != c[i].want)
			fail_msg("case %zu: %d", i, h.chunked);
	}
}

/* test_encodings - Content-Encoding as flags */
static void
test_encodings(void **state)
{
	static const struct {
		const char	*hdrs;
		unsigned	 want;
	} c[] = {
		{ "", 4 },
		{ "Content-Encoding:\r\n", 4 },
		{ "Content-Encoding: identity\r\n", 4 },
		{ "Content-Encoding: , identity ,\r\n", 4 },
		{ "Content-Encoding: gzip\r\n", 1 },
		{ "content-encoding: X-GZIP\r\n", 1 },
		{ "Content-Encoding: deflate\r\n", 2 },
		{ "Content-Encoding: gzip, identity\r\n", 1 },
		{ "Content-Encoding: deflate, gzip\r\n", 3 },
		{ "Content-Encoding: gzip\r\nContent-Encoding: deflate\r\n", 3 },
		{ "Content-Encoding: br\r\n", 8 },
		{ "Content-Encoding: compress\r\n", 8 },
		{ "Content-Encoding: gzipx\r\n", 8 },
		{ "Content-Encoding: gzip, br\r\n", 9 },
		{ "Content-Encoding: gzip\r\nContent-Encoding: zstd, deflate\r\n",
		  11 },
	};
	static struct http_head	 h;
	char			 buf[256];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s\r\n",
		    c[i].hdrs);
		assert_int_equal(http_head_parse(buf, strlen(buf), &h), 0);
		if (http_encodings(&h) != c[i].want)
			fail_msg("case %zu: %u", i, http_encodings(&h));
	}
}

/* test_media_type - Content-Type's type/subtype */
static void
test_media_type(void **state)
{
	static const struct {
		const char	*hdrs;
		size_t		 outlen;
		const char	*want;
	} c[] = {
		{ "", 64, "" },
		{ "Content-Type: text/html\r\n", 64, "text/html" },
		{ "Content-Type: Text/HTML; charset=UTF-8\r\n", 64, "text/html" },
		{ "Content-Type: application/x-msdownload ;x=1\r\n", 64,
		  "application/x-msdownload" },
		{ "Content-Type: image/svg+xml\r\n", 64, "image/svg+xml" },
		{ "Content-Type: text/html\r\nContent-Type: image/png\r\n", 64,
		  "text/html" },
		{ "Content-Type: text/html\r\n", 10, "text/html" },	/* fits */
		{ "Content-Type: text/html\r\n", 9, "" },	/* would be cut */
		{ "Content-Type: text/html\r\n", 1, "" },
		{ "Content-Type:\r\n", 64, "" },
		{ "Content-Type: text\r\n", 64, "" },
		{ "Content-Type: /html\r\n", 64, "" },
		{ "Content-Type: text/\r\n", 64, "" },
		{ "Content-Type: text/html/x\r\n", 64, "" },
		{ "Content-Type: text /html\r\n", 64, "" },
		{ "Content-Type: ;charset=x\r\n", 64, "" },
	};
	static struct http_head	 h;
	char			 buf[256], out[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(c); i++) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s\r\n",
		    c[i].hdrs);
		assert_int_equal(http_head_parse(buf, strlen(buf), &h), 0);
		memset(out, 'Z', sizeof(out));
		http_media_type(&h, out, c[i].outlen);
		if (strcmp(out, c[i].want) != 0)
			fail_msg("case %zu: '%s'", i, out);
	}
	/* outlen 0 writes nothing */
	out[0] = 'Z';
	http_media_type(&h, out, 0);
	assert_int_equal(out[0], 'Z');
}

/* test_squid_http - the facts of the HTTP heads Squid encapsulates */
static void
test_squid_http(void **state)
{
	static struct icap_req	 r;
	static struct http_head	 h;
	const char		*m = squid_respmod_gzip;
	char			 type[64];
	int			 hl;

	(void)state;
	hl = icap_req_parse(m, strlen(m), &r);
	assert_true(hl > 0);
	assert_int_equal(http_head_parse(m + hl + r.enc[1].off,
	    r.enc[2].off - r.enc[1].off, &h), 0);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.chunked, 1);
	assert_int_equal(http_encodings(&h), 1);
	http_media_type(&h, type, sizeof(type));
	assert_string_equal(type, "application/javascript");
	m = squid_respmod_eicar;
	hl = icap_req_parse(m, strlen(m), &r);
	assert_int_equal(http_head_parse(m + hl + r.enc[1].off,
	    r.enc[2].off - r.enc[1].off, &h), 0);
	assert_true(h.content_length == 68);
	assert_int_equal(http_encodings(&h), 4);
	http_media_type(&h, type, sizeof(type));
	assert_string_equal(type, "application/octet-stream");
	m = lf_respmod;
	hl = icap_req_parse(m, strlen(m), &r);
	assert_int_equal(http_head_parse(m + hl, r.enc[1].off, &h), 0);
	assert_int_equal(h.minor, 0);
	assert_true(h.content_length == 3);
	assert_int_equal(http_encodings(&h), 3);
	/* the request head of a REQMOD */
	m = squid_reqmod_post;
	hl = icap_req_parse(m, strlen(m), &r);
	assert_int_equal(http_head_parse(m + hl, r.enc[1].off, &h), 0);
	t_eq(h.method, h.mlen, "POST");
	t_eq(h.target, h.tlen, "http://upload.example.org/cgi-bin/upload");
	assert_true(h.content_length == 11);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_good_lf),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_odd_good),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_field_get),
		cmocka_unit_test(test_http_good),
		cmocka_unit_test(test_http_bad),
		cmocka_unit_test(test_http_limits),
		cmocka_unit_test(test_http_clen),
		cmocka_unit_test(test_http_chunked),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_media_type),
		cmocka_unit_test(test_squid_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
