/*
 * fuzz_container.c - libFuzzer target for the container walker
 * (lib/engine/container.c through vigil_scan_buffer and vigil_cure_fd)
 *
 * The input is scanned as one object with every container kind on and
 * small limits, so archives, mail, mbox files and deflate streams are
 * unpacked as deep as they go.  A one-signature database is written once
 * per process into a temporary directory.  Every result must be
 * self-consistent: the status is the most severe detection's, and every
 * detection names an object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/vigil.h"

static struct vigil_engine *engine;
static struct vigil_scanner *scanner;

/* init - the database, once */
static void
init(void)
{
	char	 dir[] = "/tmp/vigil-fz.XXXXXX", path[64];
	struct vigil_load_opts o;
	FILE	*f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/f.ndb", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("Fuzz.Marker:0:*:46555a5a2d4d41524b4552\n", f);	/* FUZZ-MARKER */
	fclose(f);
	snprintf(path, sizeof(path), "%s/f.cure", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("Fuzz.Marker:truncate:EOF-11\n", f);
	fclose(f);
	memset(&o, 0, sizeof(o));
	o.dbdir = dir;
	if (vigil_engine_load(&o, &engine, NULL) != VIGIL_OK ||
	    (scanner = vigil_scanner_new(engine)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vigil_limits lim;
	struct vigil_result r;
	enum vigil_status max = VIGIL_CLEAN;
	unsigned i;
	FILE	*in, *out;

	if (engine == NULL)
		init();
	vigil_limits_default(&lim);
	lim.max_file_size = 4 << 20;
	lim.max_scan_size = 16 << 20;
	lim.max_files = 200;
	lim.max_recursion = 8;
	lim.flags |= VIGIL_SCAN_ALLMATCH;
	if (size > 0 && (data[0] & 1))
		lim.flags |= VIGIL_SCAN_DEFLATE;
	if (vigil_scan_buffer(scanner, data, size, &lim, &r) != VIGIL_OK)
		abort();
	for (i = 0; i < r.ndet; i++) {
		if (r.det[i].object == NULL)
			abort();
		if (r.det[i].status > max)
			max = r.det[i].status;
	}
	if (r.ndet > 0 && max != r.status)
		abort();
	if (r.status < VIGIL_WARNING || size > (1 << 16))
		return 0;
	/* something to cure: the cure must not crash or leak either */
	if ((in = tmpfile()) == NULL || (out = tmpfile()) == NULL)
		abort();
	if (fwrite(data, 1, size, in) != size || fflush(in) != 0)
		abort();
	if (vigil_cure_fd(scanner, fileno(in), fileno(out), &lim, &r) !=
	    VIGIL_OK)
		abort();
	fclose(in);
	fclose(out);
	return 0;
}
