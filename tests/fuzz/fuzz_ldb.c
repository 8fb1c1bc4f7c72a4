/*
 * fuzz_ldb.c - libFuzzer target: one .ldb logical-signature line
 */
#include "fuzz_dbline.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_dbline(data, size, db_ldb_line);
}
