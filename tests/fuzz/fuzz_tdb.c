/*
 * fuzz_tdb.c - fuzz the target description block parser
 *
 * The whole input is the block.  On success the result must be
 * self-consistent (ranges ordered, container empty or CL_TYPE_*); any
 * violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsig.h"

/* range_ok - an unset range is all zero, a set one is ordered */
static int
range_ok(const struct lsig_range *r)
{
	return r->set ? r->min <= r->max : r->min == 0 && r->max == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tdb	 t;
	char		 why[64];

	if (tdb_parse((const char *)data, size, &t, why, sizeof(why)) == -1) {
		if (memchr(why, '\0', sizeof(why)) == NULL)
			abort();
		return 0;
	}
	if (t.target < -1 || !range_ok(&t.engine) || !range_ok(&t.filesize) ||
	    !range_ok(&t.entrypoint) || !range_ok(&t.nsections) ||
	    memchr(t.container, '\0', sizeof(t.container)) == NULL ||
	    (t.container[0] != '\0' &&
	    strncmp(t.container, "CL_TYPE_", 8) != 0) ||
	    (t.unsupported & ~0xfu) != 0)
		abort();
	return 0;
}
