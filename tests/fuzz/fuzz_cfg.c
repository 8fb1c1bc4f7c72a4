/*
 * fuzz_cfg.c - cfg_load_buffer on arbitrary text
 *
 * Besides "no crash, no leak, bounded work", one property: whatever
 * loads, its cfg_dump() loads again to the same dump.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

/* dump - cfg_dump into a malloc'd string, NULL on failure */
static char *
dump(const struct cfg *cfg, size_t *len)
{
	char	*buf = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	if (cfg_dump(cfg, fp) == -1) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg	*cfg, *again;
	char		 err[4096], *d1, *d2;
	size_t		 n1, n2;

	cfg = cfg_load_buffer("fuzz", (const char *)data, size, NULL, err,
	    sizeof(err));
	if (cfg == NULL)
		return 0;
	if ((d1 = dump(cfg, &n1)) != NULL) {
		again = cfg_load_buffer("fuzz", d1, n1, NULL, err, sizeof(err));
		if (again == NULL)
			abort();	/* the dump must load back */
		if ((d2 = dump(again, &n2)) != NULL &&
		    (n1 != n2 || memcmp(d1, d2, n1) != 0))
			abort();
		free(d2);
		cfg_free(again);
		free(d1);
	}
	cfg_free(cfg);
	return 0;
}
