/*
 * fuzz_exe.c - libFuzzer target for exe_parse() (lib/engine/exe.c)
 *
 * The parser must never read outside the input, whatever the headers
 * claim; the checks below also hold it to its own contract.
 */
#include <stdint.h>
#include <stdlib.h>

#include "exe.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exe_info	info;

	if (exe_parse(data, size, &info) != info.type ||
	    (info.has_ep && info.broken) ||
	    (!info.has_ep && (info.ep || info.nsections)) ||
	    info.ep > UINT32_MAX || info.nsections > 0xffff)
		abort();
	return 0;
}
