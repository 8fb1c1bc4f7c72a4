/*
 * fuzz_icap_page.c - block page templates
 *
 * The input is a template.  It is rendered against an event whose values
 * hold every character HTML escaping touches, and against no event.  A
 * success must give a NUL-terminated page of at most ICAP_PAGE_MAX bytes
 * whose length is what was reported, a template without '$' must come
 * back unchanged, and a failure must leave no page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icap_page.h"

/* fz_check - the render contract for one event */
static void
fz_check(const char *t, size_t n, const struct icap_event *ev)
{
	char	*out = NULL;
	size_t	 len = 1;

	if (icap_page_render(t, n, ev, &out, &len) == -1) {
		if (out != NULL || len != 0)
			abort();
		return;
	}
	if (out == NULL || len > ICAP_PAGE_MAX || out[len] != '\0')
		abort();
	if (memchr(t, '$', n) == NULL && (len != n || memcmp(out, t, n) != 0))
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct icap_event ev = {
		.url = "http://x.test/?a=<b>&c=\"d\"'e'",
		.threat = "Eicar-Test-Signature", .status = "INFECTED",
		.client = "192.0.2.1", .group = "default", .action = "deny",
		.service = "respmod", .when = 1700000000,
	};

	fz_check((const char *)data, size, &ev);
	fz_check((const char *)data, size, NULL);
	return 0;
}
