/*
 * fuzz_icap_head.c - ICAP request heads and encapsulated HTTP heads
 *
 * The input, in an exact-size heap copy, is parsed as an ICAP request
 * head.  A complete head must be no longer than the input or
 * ICAP_MAXHEAD, every pointer stored must lie inside the buffer, the head
 * alone must parse to the same length and one byte less must be "need
 * more"; each encapsulated header section the offsets point at (when the
 * input holds it) goes through http_head_parse.  A failure must carry a
 * status the contract names and a reason.  Then the whole input is
 * parsed as an HTTP head, with the same pointer checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icap_head.h"

/* fz_in - [p, p + n) lies inside [b, b + len), or abort */
static void
fz_in(const char *b, size_t len, const char *p, size_t n)
{
	if (p == NULL || p < b || p > b + len || n > (size_t)(b + len - p))
		abort();
}

/* fz_fields - every field points inside the buffer */
static void
fz_fields(const char *b, size_t len, const struct icap_field *f, size_t nf)
{
	size_t	 i;

	if (nf > ICAP_MAXHDRS)
		abort();
	for (i = 0; i < nf; i++) {
		fz_in(b, len, f[i].name, f[i].nlen);
		fz_in(b, len, f[i].value, f[i].vlen);
		if (f[i].nlen == 0)
			abort();
	}
	if (icap_field_get(f, nf, "") != NULL)
		abort();
}

/* fz_http - parse [p, p + n) as an HTTP head and check what it holds */
static void
fz_http(const char *p, size_t n)
{
	static struct http_head	 h;
	char			 type[64];

	if (http_head_parse(p, n, &h) != 0) {
		if (h.error[0] == '\0')
			abort();
		return;
	}
	fz_fields(p, n, h.f, h.nf);
	if (h.is_request) {
		fz_in(p, n, h.method, h.mlen);
		fz_in(p, n, h.target, h.tlen);
		if (h.mlen == 0 || h.tlen == 0)
			abort();
	} else if (h.status < 100 || h.status > 999)
		abort();
	if (h.content_length < -2 || h.minor < 0 || h.minor > 9)
		abort();
	if (http_encodings(&h) == 0 || http_encodings(&h) > 15)
		abort();
	http_media_type(&h, type, sizeof(type));
	if (strlen(type) >= sizeof(type))
		abort();
}

/* fz_sections - each encapsulated header section the input holds */
static void
fz_sections(const char *b, size_t len, size_t hl, const struct icap_req *r)
{
	size_t	 i, from, to;

	for (i = 0; i + 1 < r->nenc; i++) {
		from = r->enc[i].off;
		to = r->enc[i + 1].off;
		if (from >= to || (r->enc[i].part != ICAP_REQ_HDR &&
		    r->enc[i].part != ICAP_RES_HDR))
			abort();
		if (to <= len - hl)
			fz_http(b + hl + from, to - from);
	}
}

/* fz_icap - parse as an ICAP request head and check the contract */
static void
fz_icap(const char *b, size_t len)
{
	static struct icap_req	 r;
	int			 rc;
	size_t			 hl;

	rc = icap_req_parse(b, len, &r);
	if (rc < 0) {
		if ((rc != -400 && rc != -501 && rc != -505) ||
		    r.error[0] == '\0')
			abort();
		return;
	}
	if (rc == 0) {
		if (r.error[0] != '\0' || len >= ICAP_MAXHEAD)
			abort();
		return;
	}
	hl = (size_t)rc;
	if (hl > len || hl > ICAP_MAXHEAD || r.error[0] != '\0')
		abort();
	fz_in(b, len, r.uri, r.urilen);
	fz_in(b, len, r.service, r.svclen);
	if (r.query != NULL)
		fz_in(b, len, r.query, r.qlen);
	fz_fields(b, len, r.f, r.nf);
	if (r.nenc > 4 || r.preview < -1 || (r.nenc == 0 &&
	    r.method != ICAP_OPTIONS) || r.method < ICAP_OPTIONS ||
	    r.method > ICAP_RESPMOD)
		abort();
	if (icap_req_parse(b, hl, &r) != rc || icap_req_parse(b, hl - 1,
	    &r) != 0)
		abort();
	(void)icap_req_parse(b, hl, &r);
	fz_sections(b, len, hl, &r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*b;

	if ((b = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(b, data, size);
	fz_icap(b, size);
	fz_http(b, size);
	free(b);
	return 0;
}
