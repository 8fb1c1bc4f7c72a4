/*
 * fuzz_smtp_data.c - the DATA receiver and sender
 *
 * The first two input bytes choose the read sizes and a size cap; the
 * rest is what an SMTP client sends after 354.  It is fed whole and
 * compared with a plain byte-by-line model of RFC 5321 4.5.2 (message,
 * bytes consumed, done, hdr_end); then fed in reads of fuzzer-chosen
 * sizes, which must give the same result and flags, with each call
 * consuming no more than it was given (and all of it until done); then
 * with the cap, which must keep exactly the first max bytes and set
 * too_big only when the message is larger.  Last the round trip: the
 * message stuffed (cut at fuzzer-chosen points) and ended, fed again, must
 * give the message back (plus CRLF when it ends without a line end).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_proto.h"

#define FZ_MAXBUF	(1 << 22)

struct fz_res {
	struct strbuf	 out;
	struct smtp_data d;
	size_t		 used;
	int		 done;
};

/* fz_next - the next read size from a small generator seeded by the input */
static size_t
fz_next(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	switch ((*seed >> 16) & 3) {
	case 0:
		return 1;
	case 1:
		return 1 + (*seed >> 20) % 4;
	case 2:
		return 1 + (*seed >> 20) % 64;
	default:
		return 1 + (*seed >> 20) % 4096;
	}
}

/* fz_feed - feed in, in reads of fz_next() sizes (seed 0: whole) */
static void
fz_feed(struct fz_res *r, const uint8_t *in, size_t len, uint32_t seed,
    uint64_t max)
{
	size_t	 off = 0, n;
	long	 got;

	strbuf_init(&r->out, FZ_MAXBUF);
	smtp_data_init(&r->d, max);
	r->done = 0;
	do {
		n = seed == 0 ? len - off : fz_next(&seed);
		if (n > len - off)
			n = len - off;
		got = smtp_data_feed(&r->d, in + off, n, &r->out, &r->done);
		if (got < 0 || (size_t)got > n || (!r->done &&
		    (size_t)got != n))
			abort();
		off += (size_t)got;
	} while (!r->done && off < len);
	r->used = off;
}

/* fz_model - the message by RFC 5321 4.5.2, one line at a time */
static void
fz_model(const uint8_t *in, size_t len, struct strbuf *out, size_t *used,
    int *done, uint64_t *hdr_end)
{
	const uint8_t	*nl;
	size_t		 i = 0, e;

	*done = 0;
	*hdr_end = 0;
	while (i < len) {
		if (in[i] == '.') {
			if (i + 1 < len && in[i + 1] == '\n') {
				*done = 1;
				i += 2;
				break;
			}
			if (i + 2 < len && in[i + 1] == '\r' &&
			    in[i + 2] == '\n') {
				*done = 1;
				i += 3;
				break;
			}
			i++;
		}
		nl = memchr(in + i, '\n', len - i);
		e = nl != NULL ? (size_t)(nl - in) : len;
		if (e > i && in[e - 1] == '\r')
			e--;		/* CRLF, or a CR held back at the end */
		if (strbuf_append(out, in + i, e - i) == -1)
			abort();
		if (nl == NULL) {
			i = len;
			break;
		}
		if (strbuf_append(out, "\r\n", 2) == -1)
			abort();
		if (e == i && *hdr_end == 0)
			*hdr_end = out->len;
		i = (size_t)(nl - in) + 1;
	}
	*used = i;
}

/* fz_same - two results agree on everything */
static void
fz_same(const struct fz_res *a, const struct fz_res *b)
{
	if (a->out.len != b->out.len || (a->out.len > 0 &&
	    memcmp(a->out.data, b->out.data, a->out.len) != 0) ||
	    a->used != b->used || a->done != b->done ||
	    a->d.size != b->d.size || a->d.hdr_end != b->d.hdr_end ||
	    a->d.hdr_8bit != b->d.hdr_8bit ||
	    a->d.has_nul != b->d.has_nul ||
	    a->d.long_line != b->d.long_line || a->d.too_big != b->d.too_big)
		abort();
}

/* fz_roundtrip - stuff the message, end it, feed it: the message again */
static void
fz_roundtrip(const struct fz_res *ref, uint32_t seed)
{
	struct strbuf	 wire;
	struct fz_res	 back;
	const uint8_t	*m = (const uint8_t *)ref->out.data;
	size_t		 len = ref->out.len, off = 0, n, extra;
	int		 bol = 1;

	strbuf_init(&wire, FZ_MAXBUF);
	while (off < len) {
		n = fz_next(&seed);
		if (n > len - off)
			n = len - off;
		if (smtp_stuff(m + off, n, &bol, &wire) == -1)
			abort();
		off += n;
	}
	if (smtp_stuff_end(bol, &wire) == -1 || bol != (len == 0 ||
	    m[len - 1] == '\n'))
		abort();
	fz_feed(&back, (const uint8_t *)wire.data, wire.len, seed | 1, 0);
	extra = bol ? 0 : 2;
	if (!back.done || back.used != wire.len ||
	    back.out.len != len + extra || (len > 0 &&
	    memcmp(back.out.data, m, len) != 0) || (extra > 0 &&
	    memcmp(back.out.data + len, "\r\n", 2) != 0))
		abort();
	if (bol && (back.d.hdr_end != ref->d.hdr_end ||
	    back.d.has_nul != ref->d.has_nul ||
	    back.d.hdr_8bit != ref->d.hdr_8bit ||
	    back.d.long_line != ref->d.long_line))
		abort();
	strbuf_fini(&back.out);
	strbuf_fini(&wire);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_res	 whole, cut, capped;
	struct strbuf	 model;
	uint8_t		*in;
	size_t		 len, used;
	uint64_t	 max, hdr_end;
	uint32_t	 seed;
	int		 done;

	if (size < 2)
		return 0;
	seed = data[0] | 0x100u;
	max = data[1] == 0 ? 1 : data[1] < 128 ? data[1] : (uint64_t)data[1]
	    * 64;
	len = size - 2;
	if ((in = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(in, data + 2, len);

	fz_feed(&whole, in, len, 0, 0);
	strbuf_init(&model, FZ_MAXBUF);
	fz_model(in, len, &model, &used, &done, &hdr_end);
	if (model.len != whole.out.len || (model.len > 0 &&
	    memcmp(model.data, whole.out.data, model.len) != 0) ||
	    used != whole.used || done != whole.done ||
	    hdr_end != whole.d.hdr_end || whole.d.size != whole.out.len ||
	    whole.d.too_big)
		abort();
	strbuf_fini(&model);

	fz_feed(&cut, in, len, seed, 0);
	fz_same(&whole, &cut);
	strbuf_fini(&cut.out);

	fz_feed(&capped, in, len, seed ^ 0x5a5a, max);
	if (capped.used != whole.used || capped.done != whole.done ||
	    capped.d.size != whole.d.size ||
	    capped.d.too_big != (whole.d.size > max) ||
	    capped.out.len != (whole.d.size > max ? max : whole.d.size) ||
	    (capped.out.len > 0 && memcmp(capped.out.data, whole.out.data,
	    capped.out.len) != 0) || capped.d.hdr_end != whole.d.hdr_end ||
	    capped.d.has_nul != whole.d.has_nul ||
	    capped.d.long_line != whole.d.long_line)
		abort();
	strbuf_fini(&capped.out);

	fz_roundtrip(&whole, seed);
	strbuf_fini(&whole.out);
	free(in);
	return 0;
}
