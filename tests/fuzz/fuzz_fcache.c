/*
 * fuzz_fcache.c - fcache_open on arbitrary file contents
 *
 * The input is written to a memfd and opened through /proc/self/fd, so
 * nothing is left on disk.  A random mutation almost never keeps the
 * checksum right, so each input is tried twice: as given, and with its
 * last eight bytes replaced by the checksum fcache.h documents (computed
 * here independently).  Whatever loads must then hold every record the
 * header announces: each one is looked up and must hit.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcache.h"
#include "log.h"

#define CONTEXT	"fuzz-context"

static int	 fz_fd = -1;
static char	 fz_path[64];

/* get64 - little-endian u64 */
static uint64_t
get64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* fixsum - store the documented checksum in the last 8 bytes */
static void
fixsum(uint8_t *b, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL, v;
	size_t		 i;
	int		 k;

	for (i = 0; i + 8 <= n - 8; i += 8) {
		h = (h ^ get64(b + i)) * 0x100000001b3ULL;
		h ^= h >> 32;
	}
	for (k = 0, v = h; k < 8; k++, v >>= 8)
		b[n - 8 + (size_t)k] = (uint8_t)v;
}

/* stat_of - the stat whose record is the 40 bytes at r */
static struct stat
stat_of(const uint8_t *r)
{
	struct stat	 st;

	memset(&st, 0, sizeof(st));
	st.st_dev = (dev_t)get64(r);
	st.st_ino = (ino_t)get64(r + 8);
	st.st_size = (off_t)get64(r + 16);
	st.st_mtim.tv_sec = (time_t)(get64(r + 24) / 1000000000u);
	st.st_mtim.tv_nsec = (long)(get64(r + 24) % 1000000000u);
	st.st_ctim.tv_sec = (time_t)(get64(r + 32) / 1000000000u);
	st.st_ctim.tv_nsec = (long)(get64(r + 32) % 1000000000u);
	return st;
}

/* try - load b; if it loaded, every record announced must hit */
static void
try(const uint8_t *b, size_t n)
{
	struct fcache	*fc;
	struct stat	 st;
	size_t		 c, h, i, count;

	if (ftruncate(fz_fd, 0) == -1 ||
	    (n > 0 && pwrite(fz_fd, b, n, 0) != (ssize_t)n))
		abort();
	if ((fc = fcache_open(fz_path, CONTEXT)) == NULL)
		return;
	count = fcache_count(fc);
	if (count > 0) {
		c = strlen(CONTEXT);
		h = 24 + c + (8 - c % 8) % 8;
		if (n < h + 8 || memcmp(b + 24, CONTEXT, c) != 0)
			abort();	/* loaded something not ours */
		for (i = 0; h + 40 * (i + 1) <= n - 8; i++) {
			st = stat_of(b + h + 40 * i);
			if (fcache_lookup(fc, &st) != 1)
				abort();
		}
		if (count > i)
			abort();
	}
	memset(&st, 0, sizeof(st));
	(void)fcache_lookup(fc, &st);
	fcache_forget(fc, &st);
	fcache_close(fc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*copy;

	if (fz_fd == -1) {
		log_set_level(LOG_LVL_ERR);	/* damaged input is normal */
		if ((fz_fd = memfd_create("fuzz_fcache", MFD_CLOEXEC)) == -1)
			abort();
		snprintf(fz_path, sizeof(fz_path), "/proc/self/fd/%d", fz_fd);
	}
	try(data, size);
	if (size >= 24 && size % 8 == 0 && (copy = malloc(size)) != NULL) {
		memcpy(copy, data, size);
		fixsum(copy, size);
		try(copy, size);
		free(copy);
	}
	return 0;
}
