/*
 * fuzz_manifest.c - mf_parse and vkey_parse on arbitrary bytes
 *
 * Whatever parses must round-trip: mf_format() of it is byte for byte the
 * text up to the signature line, and parsing that gives the same manifest.
 * Signed input is verified against a fixed key (seeds in the corpus carry
 * its signature, so mutations reach "bad signature"); unsigned input is
 * signed with it and must then verify.  The same bytes are also tried as
 * a key file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "manifest.h"

static struct vkey	 fz_key;
static int		 fz_ready;

/* fz_equal - two manifests hold the same data */
static int
fz_equal(const struct manifest *a, const struct manifest *b)
{
	size_t	 i;

	if (a->version != b->version || strcmp(a->date, b->date) != 0 ||
	    a->when != b->when || a->nfiles != b->nfiles)
		return 0;
	for (i = 0; i < a->nfiles; i++)
		if (strcmp(a->files[i].name, b->files[i].name) != 0 ||
		    a->files[i].size != b->files[i].size ||
		    a->files[i].zsize != b->files[i].zsize ||
		    memcmp(a->files[i].sha, b->files[i].sha, MF_HASHLEN) ||
		    memcmp(a->files[i].zsha, b->files[i].zsha, MF_HASHLEN) ||
		    a->files[i].ndeltas != b->files[i].ndeltas ||
		    (a->files[i].ndeltas > 0 && memcmp(a->files[i].deltas,
		    b->files[i].deltas, a->files[i].ndeltas *
		    sizeof(struct mf_delta)) != 0))
			return 0;
	return 1;
}

/* fz_setup - the fixed key: seed 0x01 * 32 */
static void
fz_setup(void)
{
	uint8_t	 seed[32];

	if (sodium_init() < 0)
		abort();
	memset(seed, 1, sizeof(seed));
	memset(&fz_key, 0, sizeof(fz_key));
	if (crypto_sign_seed_keypair(fz_key.pub, fz_key.sec, seed) != 0)
		abort();
	fz_key.has_sec = 1;
	vkey_id(&fz_key);
	fz_ready = 1;
}

/* fz_manifest - the round trip and signature checks */
static void
fz_manifest(const char *text, size_t size)
{
	struct manifest	 m, m2;
	struct strbuf	 sb;
	char		 err[256];
	size_t		 ulen;

	if (mf_parse(text, size, &m, err, sizeof(err)) == -1) {
		if (strncmp(err, "line ", 5) != 0)
			abort();	/* every error names its line */
		return;
	}
	ulen = m.signed_ ? m.signed_len : size;
	strbuf_init(&sb, MF_MAXTEXT);
	if (mf_format(&m, &sb) == -1 || sb.len != ulen ||
	    memcmp(sb.data, text, ulen) != 0)
		abort();
	if (mf_parse(sb.data, sb.len, &m2, err, sizeof(err)) == -1 ||
	    !fz_equal(&m, &m2) || m2.signed_)
		abort();
	mf_free(&m2);
	if (m.signed_) {
		if (mf_verify(text, &m, &fz_key, 1, NULL, err,
		    sizeof(err)) == -1 && strcmp(err, "bad signature") != 0 &&
		    strncmp(err, "untrusted key ", 14) != 0)
			abort();
	} else if (mf_sign(&sb, &fz_key) == 0) {
		if (mf_parse(sb.data, sb.len, &m2, err, sizeof(err)) == -1 ||
		    !m2.signed_ || m2.signed_len != ulen ||
		    !fz_equal(&m, &m2) ||
		    mf_verify(sb.data, &m2, &fz_key, 1, NULL, err,
		    sizeof(err)) == -1)
			abort();
		mf_free(&m2);
	}
	mf_free(&m);
	strbuf_fini(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vkey	 k;
	char		 err[256];

	if (!fz_ready)
		fz_setup();
	fz_manifest((const char *)data, size);
	if (vkey_parse((const char *)data, size, &k, err, sizeof(err)) == 0 &&
	    strlen(k.id) != 16)
		abort();
	return 0;
}
