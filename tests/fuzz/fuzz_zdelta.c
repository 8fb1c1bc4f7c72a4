/*
 * fuzz_zdelta.c - decompression of untrusted package objects and deltas
 *
 * The input's first byte chooses: even, an object; odd, a delta against
 * a fixed prefix.  The rest is the blob.  Output goes to /dev/null under
 * a 1 MiB ceiling; the decoder must end with an answer for any input.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "zdelta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pfx[] = "0123456789abcdef:100:Sig.0\n"
	    "fedcba9876543210:200:Sig.1\n";
	static int	 null = -1;
	uint8_t		 sha[ZD_HASHLEN];
	uint64_t	 len;
	char		 err[256];

	if (size < 1)
		return 0;
	if (null == -1 && (null = open("/dev/null", O_WRONLY)) == -1)
		return 0;
	(void)zd_decompress(null, data + 1, size - 1,
	    (data[0] & 1) ? pfx : NULL, sizeof(pfx) - 1, (uint64_t)1 << 20,
	    &len, sha, err, sizeof(err));
	return 0;
}
