/*
 * fuzz_decode.c - libFuzzer target for lib/engine/decode.c
 *
 * Runs every decoder over the input with a full-size and a tiny output
 * buffer (the decoders must respect outcap and their documented output
 * bounds), then walks all uuencoded blocks with uu_find() and decodes
 * each, checking the offsets it returns stay ordered and in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	cap = size / 4 * 3 + 3, pos = 0, beg, end, next, tiny;
	uint8_t	*out, small[5];
	char	name[16];
	int	bad, trunc;

	if ((out = malloc(cap)) == NULL)
		return 0;
	tiny = size % 6;
	if (dec_base64(data, size, out, cap, &bad) > size / 4 * 3 + 2 ||
	    dec_base64(data, size, small, tiny, NULL) > tiny ||
	    dec_qp(data, size, out, cap, &bad) > size ||
	    dec_qp(data, size, small, tiny, NULL) > tiny ||
	    dec_uu(data, size, out, cap, &bad) > size ||
	    dec_uu(data, size, small, tiny, NULL) > tiny)
		abort();
	while (uu_find(data, size, pos, &beg, &end, &next, name,
	    pos % 2 ? sizeof(name) : 1, &trunc)) {
		if (beg > end || end > next || next > size || next <= pos ||
		    strlen(name) >= sizeof(name) || (trunc && end != size))
			abort();
		(void)dec_uu(data + beg, end - beg, out, cap, &bad);
		pos = next;
	}
	free(out);
	return 0;
}
