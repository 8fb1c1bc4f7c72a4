/*
 * fuzz_mime.c - libFuzzer target for lib/engine/mime.c
 *
 * Classifies the input, walks it as a message (the callback reads every
 * delivered byte and checks the part's offsets), splits it as an mbox,
 * and rewrites it dropping every second leaf, with small limits so that
 * the limit paths run too.  When the rewrite succeeds, its output is
 * walked again: a cure must produce parseable mail.  A rewrite that
 * drops nothing must reproduce the input exactly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

struct fz {
	size_t		len;
	unsigned	last;
	unsigned	sum;
};

/* on_part - touch the data, check the part */
static int
on_part(const struct mime_part *p, const uint8_t *data, size_t len, void *arg)
{
	struct fz	*fz = arg;

	if (p->index != fz->last + 1 || p->body_off > p->body_end ||
	    p->body_end > fz->len || p->hdr_off > p->body_off ||
	    memchr(p->ctype, '\0', sizeof(p->ctype)) == NULL ||
	    (p->filename != NULL && strlen(p->filename) > 4096))
		abort();
	fz->last = p->index;
	for (size_t i = 0; i < len; i++)
		fz->sum += data[i];
	return 0;
}

/* on_msg - check an mbox message range */
static int
on_msg(unsigned index, size_t off, size_t len, void *arg)
{
	struct fz	*fz = arg;

	if (index != fz->last + 1 || off > fz->len || len > fz->len - off)
		abort();
	fz->last = index;
	return 0;
}

/* never - keep every part */
static int
never(const struct mime_part *p, void *arg)
{
	(void)p;
	(void)arg;
	return 0;
}

/* every_second - the cure predicate */
static int
every_second(const struct mime_part *p, void *arg)
{
	(void)arg;
	return p->index % 2 == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits	lim = { 50, 8, 1 << 20 };
	struct fz		fz = { size, 0, 0 };
	struct strbuf		out;
	int			corrupt, r;

	(void)mime_kind(data, size);
	(void)mime_walk(data, size, &lim, on_part, &fz, &corrupt);
	fz.last = 0;
	(void)mbox_walk(data, size, &lim, on_msg, &fz);
	strbuf_init(&out, 4 * size + 4096);
	r = mime_rewrite(data, size, &lim, every_second, NULL,
	    "removed by vigil", &out);
	if (r >= 0) {
		fz.len = out.len;
		fz.last = 0;
		(void)mime_walk((const uint8_t *)out.data, out.len, &lim,
		    on_part, &fz, &corrupt);
	} else if (errno != E2BIG && errno != EINVAL && errno != ENOMEM)
		abort();
	strbuf_reset(&out);
	if (mime_rewrite(data, size, &lim, never, NULL, "x", &out) == 0 &&
	    (out.len != size || (size > 0 && memcmp(out.data, data, size))))
		abort();
	strbuf_fini(&out);
	return 0;
}
