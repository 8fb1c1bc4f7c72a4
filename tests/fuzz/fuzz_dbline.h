/*
 * fuzz_dbline.h - shared body of the signature-line fuzz targets
 *
 * The input is one line for the parser under test; what it accepted is
 * laid out as an image and checked the way a cached image is
 * (img_resolve), so the parser and the image builder are fuzzed
 * together.  Each fuzz_<kind>.c names its parser and includes this.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/vigil.h"
#include "build.h"

/* fuzz_dbline - run one line through parse, then build and check */
static int
fuzz_dbline(const uint8_t *data, size_t size,
    int (*parse)(struct builder *, const char *, size_t, char *, size_t))
{
	struct vigil_load_report rep;
	struct builder	 b;
	struct img_view	 v;
	char		 why[256];
	void		*img = NULL;
	size_t		 len;

	if (size == 0 || size > 65536)
		return 0;
	memset(&rep, 0, sizeof(rep));
	if (builder_init(&b, &rep) == -1)
		return 0;
	(void)parse(&b, (const char *)data, size, why, sizeof(why));
	if (builder_finish(&b, "fuzz", &img, &len, why, sizeof(why)) == 0 &&
	    img_resolve(img, len, &v) == -1)
		abort();
	free(img);
	builder_fini(&b);
	return 0;
}
