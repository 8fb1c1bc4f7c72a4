/*
 * fuzz_hdb.c - libFuzzer target: one hash or allow-list line
 *
 * The first byte's low bit chooses: signature (.hdb/.hsb) or allow-list
 * (.fp/.sfp); the line is the whole input either way.
 */
#include "fuzz_dbline.h"

/* hash_sig - .hdb/.hsb line */
static int
hash_sig(struct builder *b, const char *l, size_t n, char *why, size_t wl)
{
	return db_hash_line(b, l, n, 0, why, wl);
}

/* hash_allow - .fp/.sfp line */
static int
hash_allow(struct builder *b, const char *l, size_t n, char *why, size_t wl)
{
	return db_hash_line(b, l, n, 1, why, wl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	return fuzz_dbline(data, size, (data[0] & 1) ? hash_allow : hash_sig);
}
