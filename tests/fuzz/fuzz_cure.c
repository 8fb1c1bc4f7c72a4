/*
 * fuzz_cure.c - libFuzzer target for lib/engine/cure.c
 *
 * The first byte chooses the primitive.  Even: the rest is a cure
 * record file, split at '\n' into cure_db_add_line() of two dbs, one of
 * them sealed; the threat of each of the first 64 record lines is applied
 * to a fixed 1 KiB object through both, and the results must agree.
 * Odd: the rest is an archive for cure_archive(), dropping the members
 * whose name has an odd length, with an 8 MiB output cap.  Both must
 * keep their documented contracts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cure.h"

#define OBJLEN	1024

/* fuzz_apply - apply threat unsealed or sealed; returns rc or -errno */
static int
fuzz_apply(const struct cure_db *db, const char *threat,
    const uint8_t *obj, struct strbuf *out)
{
	if (cure_db_apply(db, threat, obj, OBJLEN, out) == 0) {
		if (out->len > OBJLEN)
			abort();
		return 0;
	}
	if (out->len != 0 || (errno != EINVAL && errno != ENOMEM))
		abort();
	return -errno;
}

/* fuzz_load - add every line of p to db */
static void
fuzz_load(struct cure_db *db, const char *p, size_t n)
{
	char	err[128];
	size_t	i, e;

	for (i = 0; i < n; i = e + 1) {
		for (e = i; e < n && p[e] != '\n'; e++)
			;
		if (cure_db_add_line(db, p + i, e - i, err, sizeof(err)) == -1 &&
		    err[0] == '\0')
			abort();
	}
}

/* fuzz_records - load the lines twice, cure with the first threats seen */
static void
fuzz_records(const char *p, size_t n)
{
	static uint8_t	 obj[OBJLEN];
	struct cure_db	*raw, *sealed;
	struct strbuf	 a, b;
	char		 name[CURE_NAME_MAX + 1];
	size_t		 i, e, k;
	int		 tries = 0;

	for (i = 0; i < OBJLEN; i++)
		obj[i] = (uint8_t)(i * 7 + 1);
	raw = cure_db_new();
	sealed = cure_db_new();
	if (raw == NULL || sealed == NULL)
		goto out;
	fuzz_load(raw, p, n);
	fuzz_load(sealed, p, n);
	cure_db_seal(sealed);
	if (cure_db_count(raw) != cure_db_count(sealed))
		abort();
	strbuf_init(&a, OBJLEN);
	strbuf_init(&b, OBJLEN);
	for (i = 0; i < n && tries < 64; i = e + 1) {
		for (e = i; e < n && p[e] != '\n'; e++)
			;
		for (k = 0; i + k < e && k < CURE_NAME_MAX && p[i + k] != ':' &&
		    p[i + k] != '\0'; k++)
			name[k] = p[i + k];
		name[k] = '\0';
		if (cure_db_has(raw, name) != cure_db_has(sealed, name))
			abort();
		if (!cure_db_has(raw, name))
			continue;
		tries++;
		if (fuzz_apply(raw, name, obj, &a) !=
		    fuzz_apply(sealed, name, obj, &b) || a.len != b.len ||
		    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
			abort();
	}
	strbuf_fini(&a);
	strbuf_fini(&b);
out:
	cure_db_free(raw);
	cure_db_free(sealed);
}

/* drop_odd - drop the members whose name has an odd length */
static int
drop_odd(const char *path, void *arg)
{
	(void)arg;
	return strlen(path) % 2;
}

/* fuzz_archive - rebuild the archive; check the result's contract */
static void
fuzz_archive(const uint8_t *p, size_t n)
{
	struct strbuf	 out;
	char		 err[256];
	int		 rc;

	strbuf_init(&out, 8 << 20);
	rc = cure_archive(p, n, drop_odd, NULL, &out, err, sizeof(err));
	if (rc == -1 && (out.len != 0 || err[0] == '\0' ||
	    (errno != ENOTSUP && errno != EPROTO && errno != EACCES &&
	    errno != E2BIG && errno != ENOMEM)))
		abort();
	if (rc >= 0 && (out.len == 0 || err[0] != '\0'))
		abort();
	strbuf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_records((const char *)data + 1, size - 1);
	else
		fuzz_archive(data + 1, size - 1);
	return 0;
}
