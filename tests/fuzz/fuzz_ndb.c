/*
 * fuzz_ndb.c - libFuzzer target: one .ndb body-signature line
 */
#include "fuzz_dbline.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_dbline(data, size, db_ndb_line);
}
