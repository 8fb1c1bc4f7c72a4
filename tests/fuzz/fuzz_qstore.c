/*
 * fuzz_qstore.c - the quarantine metadata parser and object reader
 *
 * The first byte picks what the rest is:
 *	0	a decrypted metadata chunk for qmeta_parse(); whatever parses
 *		must format and parse back to the same fields
 *	1	a whole object file in a scratch store, read by get, extract,
 *		restore and list (without the key this reaches the framing
 *		and authentication checks only)
 *	2	metadata up to the first NUL and content after it, encrypted
 *		with the scratch store's key into a well-formed object, so
 *		the real read path parses fuzzed metadata
 * Besides "no crash, no leak, bounded work", mode 0 checks the round
 * trip.  The scratch store is DIR/s, restores go to DIR/restored, for one
 * temporary DIR per process.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "qstore.h"

#define FUZZ_ID	"0123456789abcdef0123456789abcdef"

static struct qstore	*fz_store;
static char		 fz_dir[64];
static unsigned char	 fz_key[32];
_Static_assert(sizeof(fz_key) == crypto_secretstream_xchacha20poly1305_KEYBYTES,
    "secretstream key size");

/* fz_rm - nftw callback removing one entry */
static int
fz_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

/* fz_cleanup - remove the scratch store at exit */
static void
fz_cleanup(void)
{
	qstore_close(fz_store);
	nftw(fz_dir, fz_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* fz_init - create the scratch store once and read its key */
static int
fz_init(void)
{
	char	 err[256], p[128];
	int	 fd;

	if (fz_store != NULL)
		return 0;
	log_set_level(LOG_LVL_ERR);	/* list's skip warnings */
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/fuzz-qstore.XXXXXX");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_cleanup);
	snprintf(p, sizeof(p), "%s/s", fz_dir);
	if (qstore_open(p, &fz_store, err, sizeof(err)) == -1)
		abort();
	snprintf(p, sizeof(p), "%s/s/%s", fz_dir, QSTORE_KEYFILE);
	if ((fd = open(p, O_RDONLY)) == -1 ||
	    read(fd, fz_key, sizeof(fz_key)) != (ssize_t)sizeof(fz_key))
		abort();
	close(fd);
	return 0;
}

/* fz_same - two optional strings are equal */
static int
fz_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* fz_roundtrip - parse; what parses formats and parses back equal */
static void
fz_roundtrip(const uint8_t *data, size_t size)
{
	struct qmeta	 a, b;
	char		*text;
	size_t		 n;

	if (qmeta_parse((const char *)data, size, &a) == -1)
		return;
	if (qmeta_format(&a, &text, &n) == 0) {
		if (qmeta_parse(text, n, &b) == -1)
			abort();
		if (strcmp(a.id, b.id) != 0 || !fz_same(a.origin, b.origin) ||
		    !fz_same(a.threat, b.threat) ||
		    !fz_same(a.status, b.status) ||
		    !fz_same(a.reason, b.reason) ||
		    !fz_same(a.sender, b.sender) ||
		    !fz_same(a.recipients, b.recipients) ||
		    !fz_same(a.url, b.url) || a.uid != b.uid ||
		    a.gid != b.gid || a.mode != b.mode ||
		    a.mtime != b.mtime || a.stored != b.stored ||
		    a.size != b.size)
			abort();
		qmeta_free(&b);
		free(text);
	}
	qmeta_free(&a);
}

/* fz_list_cb - touch every field */
static int
fz_list_cb(const struct qmeta *m, void *arg)
{
	*(size_t *)arg += strlen(m->origin) + strlen(m->status);
	return 0;
}

/* fz_read - every read path over the object FUZZ_ID */
static void
fz_read(void)
{
	struct qmeta	 m;
	char		 err[256], dest[128];
	size_t		 sum = 0;
	int		 fd;

	if (qstore_get(fz_store, FUZZ_ID, &m) == 0)
		qmeta_free(&m);
	if ((fd = open("/dev/null", O_WRONLY)) != -1) {
		(void)qstore_extract_fd(fz_store, FUZZ_ID, fd, err,
		    sizeof(err));
		close(fd);
	}
	snprintf(dest, sizeof(dest), "%s/restored", fz_dir);
	if (qstore_restore(fz_store, FUZZ_ID, dest, 1, err, sizeof(err)) == 0)
		unlink(dest);
	(void)qstore_list(fz_store, fz_list_cb, &sum);
}

/* fz_put_raw - write n bytes as the object file FUZZ_ID */
static void
fz_put_raw(const void *buf, size_t n)
{
	char	 p[128];
	int	 fd;

	snprintf(p, sizeof(p), "%s/s/%s%s", fz_dir, FUZZ_ID, QSTORE_SUFFIX);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (n > 0 && write(fd, buf, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* fz_frame - append one encrypted frame to out */
static size_t
fz_frame(crypto_secretstream_xchacha20poly1305_state *st, unsigned char *out,
    const uint8_t *p, size_t n, unsigned char tag)
{
	unsigned long long	 clen;

	crypto_secretstream_xchacha20poly1305_push(st, out + 4, &clen, p, n,
	    NULL, 0, tag);
	out[0] = (unsigned char)(clen >> 24);
	out[1] = (unsigned char)(clen >> 16);
	out[2] = (unsigned char)(clen >> 8);
	out[3] = (unsigned char)clen;
	return (size_t)clen + 4;
}

/* fz_put_sealed - a well-formed object: meta frame, content frames */
static void
fz_put_sealed(const uint8_t *data, size_t size)
{
	crypto_secretstream_xchacha20poly1305_state st;
	const uint8_t	*nul;
	unsigned char	*obj;
	size_t		 mlen, o, n, max;

	nul = memchr(data, 0, size);
	mlen = nul != NULL ? (size_t)(nul - data) : size;
	if (mlen > QMETA_MAX)
		return;
	max = 32 + 2 * (size + 64) + (size / QSTORE_CHUNK + 2) * 21;
	if ((obj = malloc(max)) == NULL)
		return;
	memcpy(obj, QSTORE_MAGIC, QSTORE_MAGICLEN);
	crypto_secretstream_xchacha20poly1305_init_push(&st,
	    obj + QSTORE_MAGICLEN, fz_key);
	o = 32 + fz_frame(&st, obj + 32, data, mlen,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	data += mlen + (nul != NULL);
	size -= mlen + (nul != NULL);
	do {
		n = size < QSTORE_CHUNK ? size : QSTORE_CHUNK;
		o += fz_frame(&st, obj + o, data, n, n < QSTORE_CHUNK ?
		    crypto_secretstream_xchacha20poly1305_TAG_FINAL :
		    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		data += n;
		size -= n;
	} while (n == QSTORE_CHUNK);
	fz_put_raw(obj, o);
	free(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fz_roundtrip(data + 1, size - 1);
		break;
	case 1:
		fz_init();
		fz_put_raw(data + 1, size - 1);
		fz_read();
		break;
	case 2:
		fz_init();
		fz_put_sealed(data + 1, size - 1);
		fz_read();
		break;
	}
	return 0;
}
