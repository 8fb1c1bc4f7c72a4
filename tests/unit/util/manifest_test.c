/*
 * manifest_test.c - manifests and key files: edges first
 *
 * Malformed manifests are a table of (text, exact error); every class of
 * bad line the spec names has a row.  Round trips are checked both ways:
 * format(parse(t)) == t for valid texts and parse(format(m)) == m for
 * manifests built with mf_add_file().  Key ids are checked against a
 * value computed outside libsodium (Python's hashlib.blake2b).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"

#define HA	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HD	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define HEAD	"vigil-manifest 1\nversion 20261121\ndate 2026-11-21T10:00:00Z\n"
#define FILE1	"file daily.hdb 12345 " HA " 4567 " HB "\n"
#define DELTA1	"delta daily.hdb " HC " 345 " HD "\n"
#define FILE2	"file main.ndb 0 " HC " 0 " HD "\n"
/* a well-formed signature line by a key no test holds */
#define KEYID	"0123456789abcdef"
#define SIG64	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
#define SIGLN	"signature ed25519 " KEYID " " SIG64 "\n"
#define NAME128	"n234567890123456789012345678901234567890123456789012345678" \
		"901234567890123456789012345678901234567890123456789012345678" \
		"9012345678"

static char	 tmpdir[64];

/* mf_equal - two manifests hold the same data */
static int
mf_equal(const struct manifest *a, const struct manifest *b)
{
	const struct mf_file	*fa, *fb;
	size_t			 i;

	if (a->version != b->version || strcmp(a->date, b->date) != 0 ||
	    a->when != b->when || a->nfiles != b->nfiles)
		return 0;
	for (i = 0; i < a->nfiles; i++) {
		fa = &a->files[i];
		fb = &b->files[i];
		if (strcmp(fa->name, fb->name) != 0 || fa->size != fb->size ||
		    fa->zsize != fb->zsize ||
		    memcmp(fa->sha, fb->sha, MF_HASHLEN) != 0 ||
		    memcmp(fa->zsha, fb->zsha, MF_HASHLEN) != 0 ||
		    fa->ndeltas != fb->ndeltas || (fa->ndeltas > 0 &&
		    memcmp(fa->deltas, fb->deltas,
		    fa->ndeltas * sizeof(*fa->deltas)) != 0))
			return 0;
	}
	return 1;
}

/* expect_err - text fails to parse with exactly want */
static void
expect_err(const char *text, size_t len, const char *want)
{
	struct manifest	 m;
	char		 err[256] = "";

	if (mf_parse(text, len, &m, err, sizeof(err)) != -1) {
		print_error("parsed: %s\n", text);
		fail();
	}
	if (strcmp(err, want) != 0) {
		print_error("text: %s\nwant: %s\ngot:  %s\n", text, want, err);
		fail();
	}
	assert_null(m.files);
	assert_int_equal(m.nfiles, 0);
	mf_free(&m);
}

/* expect_roundtrip - text parses and formats back to its unsigned part */
static void
expect_roundtrip(const char *text, size_t len)
{
	struct manifest	 m, m2;
	struct strbuf	 sb;
	char		 err[256] = "";
	size_t		 ulen;

	if (mf_parse(text, len, &m, err, sizeof(err)) != 0) {
		print_error("text: %s\nerr: %s\n", text, err);
		fail();
	}
	ulen = m.signed_ ? m.signed_len : len;
	strbuf_init(&sb, MF_MAXTEXT);
	assert_int_equal(mf_format(&m, &sb), 0);
	assert_int_equal(sb.len, ulen);
	assert_memory_equal(sb.data, text, ulen);
	assert_int_equal(mf_parse(sb.data, sb.len, &m2, err, sizeof(err)), 0);
	assert_true(mf_equal(&m, &m2));
	assert_int_equal(m2.signed_, 0);
	mf_free(&m);
	mf_free(&m2);
	strbuf_fini(&sb);
}

struct bad_case {
	const char	*text;
	const char	*err;
};

static const struct bad_case bad_cases[] = {
	/* header */
	{ "", "line 1: bad header (not \"vigil-manifest 1\")" },
	{ "\n", "line 1: empty line" },
	{ "vigil-manifest 1", "line 1: missing newline" },
	{ "vigil-manifest 2\n", "line 1: bad header (not \"vigil-manifest 1\")" },
	{ "vigil-manifest 1 \n", "line 1: bad header (not \"vigil-manifest 1\")" },
	{ "vigil-manifest 1\r\n", "line 1: bad header (not \"vigil-manifest 1\")" },
	{ "Vigil-manifest 1\n", "line 1: bad header (not \"vigil-manifest 1\")" },
	/* version */
	{ "vigil-manifest 1\n", "line 2: expected version" },
	{ "vigil-manifest 1\ndate 2026-11-21T10:00:00Z\n", "line 2: expected version" },
	{ "vigil-manifest 1\n" SIGLN, "line 2: expected version" },
	{ "vigil-manifest 1\nversion\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 0\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 01\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion +1\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion -1\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 1 2\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 1x\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 9223372036854775808\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 18446744073709551616\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion 99999999999999999999999\n", "line 2: bad version" },
	{ "vigil-manifest 1\nversion  1\n", "line 2: stray space" },
	{ "vigil-manifest 1\nversion 1 \n", "line 2: stray space" },
	{ "vigil-manifest 1\n version 1\n", "line 2: stray space" },
	{ "vigil-manifest 1\nversion 1", "line 2: missing newline" },
	/* date */
	{ "vigil-manifest 1\nversion 1\n", "line 3: expected date" },
	{ "vigil-manifest 1\nversion 1\nversion 2\n", "line 3: expected date" },
	{ "vigil-manifest 1\nversion 1\ndate\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-13-01T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-00-01T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-01-00T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-02-29T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2100-02-29T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-04-31T00:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T24:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T10:60:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T10:00:60Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 1969-12-31T23:59:59Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T10:00:00z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T10:00:00\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21t10:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21T10:00:00+00:00\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-1-21T10:00:00Z0\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate 2026-11-21 10:00:00Z\n", "line 3: bad date" },
	{ "vigil-manifest 1\nversion 1\ndate +026-11-21T10:00:00Z\n", "line 3: bad date" },
	/* body: line classes */
	{ HEAD "\n", "line 4: empty line" },
	{ HEAD "version 2\n", "line 4: duplicate version" },
	{ HEAD "date 2026-11-21T10:00:00Z\n", "line 4: duplicate date" },
	{ HEAD "files daily.hdb 1 " HA " 1 " HB "\n", "line 4: unknown line type" },
	{ HEAD "File daily.hdb 1 " HA " 1 " HB "\n", "line 4: unknown line type" },
	{ HEAD "# comment\n", "line 4: unknown line type" },
	{ HEAD "vigil-manifest 1\n", "line 4: unknown line type" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB " \n", "line 4: stray space" },
	{ HEAD "file  daily.hdb 1 " HA " 1 " HB "\n", "line 4: stray space" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB, "line 4: missing newline" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB "\r\n", "line 4: bad zsha256" },
	{ HEAD "file daily.hdb 1 " HA " 1\n", "line 4: wrong number of fields" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB " x\n", "line 4: wrong number of fields" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB " x y z\n", "line 4: wrong number of fields" },
	{ HEAD "file\n", "line 4: wrong number of fields" },
	{ HEAD "file daily.hdb\t1 " HA " 1 " HB " x\n", "line 4: bad name" },
	/* names */
	{ HEAD "file .daily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file -daily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file _daily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file db/daily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file ../daily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file da:ly 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file d\xc3\xa4ily 1 " HA " 1 " HB "\n", "line 4: bad name" },
	{ HEAD "file " NAME128 "x 1 " HA " 1 " HB "\n", "line 4: bad name" },
	/* sizes */
	{ HEAD "file daily.hdb 01 " HA " 1 " HB "\n", "line 4: bad size" },
	{ HEAD "file daily.hdb -1 " HA " 1 " HB "\n", "line 4: bad size" },
	{ HEAD "file daily.hdb 1e3 " HA " 1 " HB "\n", "line 4: bad size" },
	{ HEAD "file daily.hdb 0x10 " HA " 1 " HB "\n", "line 4: bad size" },
	{ HEAD "file daily.hdb 1099511627777 " HA " 1 " HB "\n", "line 4: bad size" },
	{ HEAD "file daily.hdb 1 " HA " 1099511627777 " HB "\n", "line 4: bad zsize" },
	{ HEAD "file daily.hdb 1 " HA " 00 " HB "\n", "line 4: bad zsize" },
	/* hashes */
	{ HEAD "file daily.hdb 1 " "A" HA " 1 " HB "\n", "line 4: bad sha256" },
	{ HEAD "file daily.hdb 1 " "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" " 1 " HB "\n", "line 4: bad sha256" },
	{ HEAD "file daily.hdb 1 " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" " 1 " HB "\n", "line 4: bad sha256" },
	{ HEAD "file daily.hdb 1 " "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaag" " 1 " HB "\n", "line 4: bad sha256" },
	{ HEAD "file daily.hdb 1 " HA " 1 " HB "b\n", "line 4: bad zsha256" },
	{ HEAD "file daily.hdb 1 " HA " 1 " "Bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "\n", "line 4: bad zsha256" },
	/* deltas */
	{ HEAD DELTA1, "line 4: delta before any file" },
	{ HEAD FILE1 "delta daily.hdb " HC " 345\n", "line 5: wrong number of fields" },
	{ HEAD FILE1 "delta daily.hdb " HC " 345 " HD " 1\n", "line 5: wrong number of fields" },
	{ HEAD FILE1 "delta main.ndb " HC " 345 " HD "\n", "line 5: delta not for the file above" },
	{ HEAD FILE1 "delta daily.hd " HC " 345 " HD "\n", "line 5: delta not for the file above" },
	{ HEAD FILE1 FILE2 "delta daily.hdb " HA " 345 " HD "\n", "line 6: delta not for the file above" },
	{ HEAD FILE1 "delta .daily.hdb " HC " 345 " HD "\n", "line 5: bad name" },
	{ HEAD FILE1 "delta daily.hdb " HA " 345 " HD "\n", "line 5: delta from the file's own sha256" },
	{ HEAD FILE1 "delta daily.hdb " HC "c 345 " HD "\n", "line 5: bad from sha256" },
	{ HEAD FILE1 "delta daily.hdb " HC " 0345 " HD "\n", "line 5: bad zsize" },
	{ HEAD FILE1 "delta daily.hdb " HC " 345 " HD "d\n", "line 5: bad zsha256" },
	{ HEAD FILE1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1
	  DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1,
	  "line 21: too many deltas (at most 16)" },
	/* duplicates: the later line is named, even after other files */
	{ HEAD FILE1 FILE2 FILE1, "line 6: duplicate file name daily.hdb" },
	{ HEAD FILE2 FILE1 DELTA1 FILE2 FILE1, "line 7: duplicate file name main.ndb" },
	{ HEAD FILE1 "file daily.hdb 1 " HC " 1 " HD "\n" SIGLN, "line 5: duplicate file name daily.hdb" },
	/* signature */
	{ HEAD FILE1 "signature ed25519 " KEYID "\n", "line 5: wrong number of fields" },
	{ HEAD FILE1 "signature ed25519 " KEYID " " SIG64 " x\n", "line 5: wrong number of fields" },
	{ HEAD FILE1 "signature Ed25519 " KEYID " " SIG64 "\n", "line 5: unknown signature algorithm" },
	{ HEAD FILE1 "signature rsa " KEYID " " SIG64 "\n", "line 5: unknown signature algorithm" },
	{ HEAD FILE1 "signature ed25519 0123456789ABCDEF " SIG64 "\n", "line 5: bad key id" },
	{ HEAD FILE1 "signature ed25519 0123456789abcde " SIG64 "\n", "line 5: bad key id" },
	{ HEAD FILE1 "signature ed25519 0123456789abcdef0 " SIG64 "\n", "line 5: bad key id" },
	{ HEAD FILE1 "signature ed25519 " KEYID " " SIG64 "=\n", "line 5: bad signature encoding" },
	{ HEAD FILE1 "signature ed25519 " KEYID " A" SIG64 "\n", "line 5: bad signature encoding" },
	/* no padding */
	{ HEAD FILE1 "signature ed25519 " KEYID " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", "line 5: bad signature encoding" },
	/* unused bits set: not canonical */
	{ HEAD FILE1 "signature ed25519 " KEYID " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB==\n", "line 5: bad signature encoding" },
	/* URL-safe alphabet */
	{ HEAD FILE1 "signature ed25519 " KEYID " -_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", "line 5: bad signature encoding" },
	{ HEAD FILE1 "signature ed25519 " KEYID " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A==\n", "line 5: wrong number of fields" },
	{ HEAD FILE1 SIGLN "x", "line 6: text after the signature line" },
	{ HEAD FILE1 SIGLN "\n", "line 6: text after the signature line" },
	{ HEAD FILE1 SIGLN FILE2, "line 6: text after the signature line" },
	{ HEAD FILE1 SIGLN SIGLN, "line 6: text after the signature line" },
	{ HEAD FILE1 "signature ed25519 " KEYID " " SIG64, "line 5: missing newline" },
};

/* test_bad_lines - every malformed line class, with its exact error */
static void
test_bad_lines(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		expect_err(bad_cases[i].text, strlen(bad_cases[i].text),
		    bad_cases[i].err);
}

/* test_nul_bytes - a NUL inside a line is just a bad byte */
static void
test_nul_bytes(void **state)
{
	static const char t1[] = "vigil-manifest 1\0\n";
	static const char t2[] = HEAD "file dai\0ly 1 " HA " 1 " HB "\n";
	static const char t3[] = "vigil-manifest 1\nversion 1\0\n";

	(void)state;
	expect_err(t1, sizeof(t1) - 1,
	    "line 1: bad header (not \"vigil-manifest 1\")");
	expect_err(t2, sizeof(t2) - 1, "line 4: bad name");
	expect_err(t3, sizeof(t3) - 1, "line 2: bad version");
}

static const char *const good_cases[] = {
	HEAD,
	HEAD SIGLN,
	HEAD FILE1,
	HEAD FILE1 DELTA1 FILE2,
	HEAD FILE1 DELTA1 FILE2 SIGLN,
	"vigil-manifest 1\nversion 9223372036854775807\n"
	    "date 9999-12-31T23:59:59Z\n",
	"vigil-manifest 1\nversion 1\ndate 1970-01-01T00:00:00Z\n",
	"vigil-manifest 1\nversion 1\ndate 2024-02-29T00:00:00Z\n"
	    "file " NAME128 " 1099511627776 " HA " 1099511627776 " HB "\n"
	    "delta " NAME128 " " HC " 1099511627776 " HD "\n",
	HEAD "file a 0 " HA " 0 " HB "\nfile A 0 " HA " 0 " HB "\n"
	    "file 9a.b_c+d-e 0 " HA " 0 " HB "\n",
	/* the same delta twice is not forbidden by the spec */
	HEAD FILE1 DELTA1 DELTA1,
	HEAD FILE1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1
	    DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 DELTA1 SIGLN,
};

/* test_roundtrip_text - format(parse(t)) == t */
static void
test_roundtrip_text(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++)
		expect_roundtrip(good_cases[i], strlen(good_cases[i]));
}

/* test_parse_fields - the values land where they belong */
static void
test_parse_fields(void **state)
{
	static const char	 t[] = HEAD FILE1 DELTA1 FILE2 SIGLN;
	struct manifest		 m;
	const struct mf_file	*f;
	char			 err[128], hex[65];

	(void)state;
	assert_int_equal(mf_parse(t, sizeof(t) - 1, &m, err, sizeof(err)), 0);
	assert_true(m.version == 20261121);
	assert_string_equal(m.date, "2026-11-21T10:00:00Z");
	assert_true(m.when == (time_t)1795255200);
	assert_int_equal(m.nfiles, 2);
	assert_int_equal(m.signed_, 1);
	assert_int_equal(m.signed_len, strlen(HEAD FILE1 DELTA1 FILE2));
	assert_string_equal(m.keyid, KEYID);
	f = mf_find(&m, "daily.hdb");
	assert_non_null(f);
	assert_true(f->size == 12345 && f->zsize == 4567);
	mf_hex(hex, f->sha);
	assert_string_equal(hex, HA);
	mf_hex(hex, f->zsha);
	assert_string_equal(hex, HB);
	assert_int_equal(f->ndeltas, 1);
	assert_true(f->deltas[0].zsize == 345);
	mf_hex(hex, f->deltas[0].from);
	assert_string_equal(hex, HC);
	mf_hex(hex, f->deltas[0].zsha);
	assert_string_equal(hex, HD);
	assert_non_null(mf_find(&m, "main.ndb"));
	assert_null(mf_find(&m, "main.nd"));
	assert_null(mf_find(&m, "Daily.hdb"));
	mf_free(&m);
	mf_free(&m);			/* zeroed: harmless */
	mf_free(NULL);
}

/* mkfile - a file with deterministic hashes */
static struct mf_file
mkfile(const char *name, unsigned seed)
{
	struct mf_file	 f;

	memset(&f, 0, sizeof(f));
	snprintf(f.name, sizeof(f.name), "%s", name);
	f.size = seed * 1000u;
	f.zsize = seed * 100u;
	memset(f.sha, (int)(seed & 0xff), sizeof(f.sha));
	f.sha[0] = (uint8_t)(seed >> 8);
	memset(f.zsha, (int)(~seed & 0xff), sizeof(f.zsha));
	return f;
}

/* test_roundtrip_struct - parse(format(m)) == m, date from when */
static void
test_roundtrip_struct(void **state)
{
	struct manifest	 m, p;
	struct mf_file	 f;
	struct mf_delta	 d[MF_MAXDELTAS];
	struct strbuf	 sb;
	char		 err[128];
	size_t		 i;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(d, 0, sizeof(d));
	m.version = 7;
	m.when = 1795255200;		/* date left empty: rendered */
	for (i = 0; i < MF_MAXDELTAS; i++) {
		memset(d[i].from, (int)(0x80 + i), MF_HASHLEN);
		d[i].zsize = i;
		memset(d[i].zsha, (int)i, MF_HASHLEN);
	}
	f = mkfile("daily.hdb", 1);
	f.deltas = d;
	f.ndeltas = MF_MAXDELTAS;
	assert_int_equal(mf_add_file(&m, &f), 0);
	memset(d, 0, sizeof(d));	/* the manifest holds a copy */
	f = mkfile("main.ndb", 2);
	assert_int_equal(mf_add_file(&m, &f), 0);
	strbuf_init(&sb, MF_MAXTEXT);
	assert_int_equal(mf_format(&m, &sb), 0);
	assert_int_equal(mf_parse(sb.data, sb.len, &p, err, sizeof(err)), 0);
	assert_string_equal(p.date, "2026-11-21T10:00:00Z");
	assert_int_equal(p.files[0].ndeltas, MF_MAXDELTAS);
	assert_true(p.files[0].deltas[3].from[0] == 0x83);
	snprintf(m.date, sizeof(m.date), "%s", p.date);
	assert_true(mf_equal(&m, &p));
	mf_free(&p);
	mf_free(&m);
	strbuf_fini(&sb);
}

/* test_add_file_errors - mf_add_file refuses what the text could not say */
static void
test_add_file_errors(void **state)
{
	struct manifest	 m;
	struct mf_file	 f;
	struct mf_delta	 d[MF_MAXDELTAS + 1];

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(d, 0, sizeof(d));
	f = mkfile(".x", 1);
	errno = 0;
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, EINVAL);
	f = mkfile("x", 1);
	f.size = ((uint64_t)1 << 40) + 1;
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, EINVAL);
	f = mkfile("x", 1);
	memcpy(d[0].from, f.sha, MF_HASHLEN);
	f.deltas = d;
	f.ndeltas = 1;
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, EINVAL);
	memset(d, 0, sizeof(d));
	f.ndeltas = MF_MAXDELTAS + 1;
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, E2BIG);
	f.ndeltas = MF_MAXDELTAS;
	assert_int_equal(mf_add_file(&m, &f), 0);
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(m.nfiles, 1);
	mf_free(&m);
}

/* test_format_errors - mf_format refuses invalid manifests, keeps out */
static void
test_format_errors(void **state)
{
	struct manifest	 m;
	struct mf_file	 files[2];
	struct strbuf	 sb;

	(void)state;
	strbuf_init(&sb, MF_MAXTEXT);
	assert_int_equal(strbuf_append(&sb, "keep", 4), 0);
	memset(&m, 0, sizeof(m));
	snprintf(m.date, sizeof(m.date), "2026-11-21T10:00:00Z");
	errno = 0;
	assert_int_equal(mf_format(&m, &sb), -1);	/* version 0 */
	assert_int_equal(errno, EINVAL);
	m.version = (uint64_t)INT64_MAX + 1;
	assert_int_equal(mf_format(&m, &sb), -1);
	m.version = 1;
	snprintf(m.date, sizeof(m.date), "2026-02-30T10:00:00Z");
	assert_int_equal(mf_format(&m, &sb), -1);
	snprintf(m.date, sizeof(m.date), "2026-02-28T10:00:00Z");
	files[0] = mkfile("a", 1);
	files[1] = mkfile("a", 2);	/* built by hand: duplicate */
	m.files = files;
	m.nfiles = 2;
	assert_int_equal(mf_format(&m, &sb), -1);
	assert_int_equal(errno, EINVAL);
	files[1] = mkfile("a/b", 2);
	assert_int_equal(mf_format(&m, &sb), -1);
	files[1] = mkfile("b", 2);
	files[1].ndeltas = 1;		/* deltas NULL */
	assert_int_equal(mf_format(&m, &sb), -1);
	assert_int_equal(sb.len, 4);
	assert_string_equal(sb.data, "keep");
	files[1].ndeltas = 0;
	assert_int_equal(mf_format(&m, &sb), 0);
	assert_memory_equal(sb.data, "keepvigil-manifest 1\n", 21);
	strbuf_fini(&sb);
}

/* test_limits_files - 4096 files parse (fast), 4097 do not */
static void
test_limits_files(void **state)
{
	struct manifest	 m, p;
	struct mf_file	 f;
	struct strbuf	 sb;
	char		 name[32], err[256], want[256];
	size_t		 i;
	clock_t		 t0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.version = 1;
	snprintf(m.date, sizeof(m.date), "2026-11-21T10:00:00Z");
	m.when = 1795255200;
	for (i = 0; i < MF_MAXFILES; i++) {
		snprintf(name, sizeof(name), "f%05zu.hdb", (i * 2654435761u) %
		    100000);
		f = mkfile(name, (unsigned)i);
		assert_int_equal(mf_add_file(&m, &f), 0);
	}
	f = mkfile("one-too-many", 1);
	assert_int_equal(mf_add_file(&m, &f), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_init(&sb, MF_MAXTEXT + 4096);
	assert_int_equal(mf_format(&m, &sb), 0);
	t0 = clock();
	assert_int_equal(mf_parse(sb.data, sb.len, &p, err, sizeof(err)), 0);
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
	assert_true(mf_equal(&m, &p));
	mf_free(&p);
	/* the last name repeated at the end */
	assert_int_equal(strbuf_printf(&sb, "file %s 1 " HA " 1 " HB "\n",
	    m.files[MF_MAXFILES - 1].name), 0);
	expect_err(sb.data, sb.len, "line 4100: too many files (at most 4096)");
	/* a duplicate among 4096: the later line is named */
	snprintf(m.files[4000].name, sizeof(m.files[4000].name), "%s",
	    m.files[17].name);
	strbuf_reset(&sb);
	m.files[4000].name[0] = 'g';	/* valid for mf_format ... */
	assert_int_equal(mf_format(&m, &sb), 0);
	memcpy(strstr(sb.data, "\nfile g") + 6, "f", 1);	/* ... then not */
	snprintf(want, sizeof(want), "line %d: duplicate file name %s", 4004,
	    m.files[17].name);
	t0 = clock();
	expect_err(sb.data, sb.len, want);
	assert_true(clock() - t0 < CLOCKS_PER_SEC);
	mf_free(&m);
	strbuf_fini(&sb);
}

/* test_limits_text - 4 MiB is the most a manifest may be */
static void
test_limits_text(void **state)
{
	struct manifest	 m, one, p;
	struct mf_file	 f;
	struct mf_delta	 d[MF_MAXDELTAS];
	struct strbuf	 sb, sb1;
	struct vkey	 k;
	char		 name[MF_MAXNAME + 1], err[128], want[128], *big;
	size_t		 i, lines, lo, hi, mid, hdr;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&one, 0, sizeof(one));
	memset(d, 0, sizeof(d));
	m.version = one.version = 1;
	snprintf(m.date, sizeof(m.date), "2026-11-21T10:00:00Z");
	memcpy(one.date, m.date, sizeof(one.date));
	for (i = 0; i < MF_MAXDELTAS; i++)
		memset(d[i].from, (int)(0x80 + i), MF_HASHLEN);
	memset(name, 'x', MF_MAXNAME);
	name[MF_MAXNAME] = '\0';
	for (i = 0; i < MF_MAXFILES; i++) {
		snprintf(name, 6, "%05zu", i);
		name[5] = 'x';
		f = mkfile(name, (unsigned)i);
		f.deltas = d;
		f.ndeltas = MF_MAXDELTAS;
		assert_int_equal(mf_add_file(&m, &f), 0);
	}
	/* full limits are far more than 4 MiB of text */
	strbuf_init(&sb, (size_t)64 << 20);
	errno = 0;
	assert_int_equal(mf_format(&m, &sb), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(sb.len, 0);
	/* lo files fit, hi do not */
	for (lo = 1, hi = MF_MAXFILES; hi - lo > 1; ) {
		mid = (lo + hi) / 2;
		m.nfiles = mid;
		strbuf_reset(&sb);
		if (mf_format(&m, &sb) == 0)
			lo = mid;
		else
			hi = mid;
	}
	m.nfiles = lo;
	strbuf_reset(&sb);
	assert_int_equal(mf_format(&m, &sb), 0);
	assert_true(sb.len <= MF_MAXTEXT);
	assert_int_equal(mf_parse(sb.data, sb.len, &p, err, sizeof(err)), 0);
	mf_free(&p);
	/* append file lo by hand: the parser refuses the text */
	assert_int_equal(mf_add_file(&one, &m.files[lo]), 0);
	strbuf_init(&sb1, MF_MAXTEXT);
	assert_int_equal(mf_format(&one, &sb1), 0);
	hdr = strlen("vigil-manifest 1\nversion 1\ndate 2026-11-21T10:00:00Z\n");
	assert_int_equal(strbuf_append(&sb, sb1.data + hdr, sb1.len - hdr), 0);
	assert_true(sb.len > MF_MAXTEXT);
	for (lines = 0, i = 0; i < MF_MAXTEXT; i++)
		lines += sb.data[i] == '\n';
	snprintf(want, sizeof(want), "line %zu: manifest larger than %zu "
	    "bytes", lines + 1, MF_MAXTEXT);
	expect_err(sb.data, sb.len, want);
	/* no room for the signature line: refused before signing */
	assert_int_equal(vkey_generate(&k), 0);
	strbuf_reset(&sb);
	assert_non_null(strbuf_reserve(&sb, MF_MAXTEXT - 123));
	memset(sb.data, '\n', MF_MAXTEXT - 123);
	sb.len = MF_MAXTEXT - 123;
	errno = 0;
	assert_int_equal(mf_sign(&sb, &k), -1);
	assert_int_equal(errno, E2BIG);
	sb.len--;
	assert_int_equal(mf_sign(&sb, &k), 0);
	assert_int_equal(sb.len, MF_MAXTEXT);
	/* a text longer than the limit with no newline at all */
	big = malloc(MF_MAXTEXT + 2);
	assert_non_null(big);
	memset(big, 'v', MF_MAXTEXT + 2);
	expect_err(big, MF_MAXTEXT + 2,
	    "line 1: manifest larger than 4194304 bytes");
	expect_err(big, MF_MAXTEXT, "line 1: missing newline");
	free(big);
	mf_free(&one);
	m.nfiles = MF_MAXFILES;
	mf_free(&m);
	strbuf_fini(&sb);
	strbuf_fini(&sb1);
}

/* sign_text - the signed manifest HEAD FILE1 DELTA1 FILE2 by k */
static void
sign_text(struct strbuf *sb, const struct vkey *k)
{
	strbuf_init(sb, MF_MAXTEXT);
	assert_int_equal(strbuf_printf(sb, "%s",
	    HEAD FILE1 DELTA1 FILE2), 0);
	assert_int_equal(mf_sign(sb, k), 0);
}

/* test_sign_verify - the good case, other keys, tampering, unsigned */
static void
test_sign_verify(void **state)
{
	struct vkey	 k[3], pubonly;
	struct manifest	 m;
	struct strbuf	 sb;
	char		 err[128], want[64], *line;
	size_t		 which, off;

	(void)state;
	assert_int_equal(vkey_generate(&k[0]), 0);
	assert_int_equal(vkey_generate(&k[1]), 0);
	assert_int_equal(vkey_generate(&k[2]), 0);
	assert_int_equal(k[0].has_sec, 1);
	assert_string_not_equal(k[0].id, k[1].id);
	sign_text(&sb, &k[1]);
	line = strstr(sb.data, "signature ed25519 ");
	assert_non_null(line);
	assert_memory_equal(line + 18, k[1].id, 16);
	assert_int_equal(strlen(line), 124);
	expect_roundtrip(sb.data, sb.len);
	assert_int_equal(mf_parse(sb.data, sb.len, &m, err, sizeof(err)), 0);
	assert_int_equal(m.signed_, 1);
	assert_string_equal(m.keyid, k[1].id);
	/* a public key alone verifies; the right one of several is named */
	memset(&pubonly, 0, sizeof(pubonly));
	memcpy(pubonly.pub, k[1].pub, 32);
	which = 99;
	assert_int_equal(mf_verify(sb.data, &m, &pubonly, 1, &which, err,
	    sizeof(err)), 0);
	assert_int_equal(which, 0);
	assert_int_equal(mf_verify(sb.data, &m, k, 3, &which, err,
	    sizeof(err)), 0);
	assert_int_equal(which, 1);
	assert_int_equal(mf_verify(sb.data, &m, k, 3, NULL, err,
	    sizeof(err)), 0);
	/* other keys */
	snprintf(want, sizeof(want), "untrusted key %s", k[1].id);
	assert_int_equal(mf_verify(sb.data, &m, &k[2], 1, &which, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(mf_verify(sb.data, &m, k, 0, &which, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	/* a key whose id matches but whose signature does not */
	memcpy(m.keyid, k[2].id, sizeof(m.keyid));
	assert_int_equal(mf_verify(sb.data, &m, &k[2], 1, &which, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	mf_free(&m);
	/* every signed byte matters: flip each one that keeps it parsing */
	for (off = 0; off < (size_t)(line - sb.data); off++) {
		sb.data[off] ^= 0x01;
		if (mf_parse(sb.data, sb.len, &m, err, sizeof(err)) == 0) {
			assert_int_equal(mf_verify(sb.data, &m, k, 3, &which,
			    err, sizeof(err)), -1);
			assert_string_equal(err, "bad signature");
			mf_free(&m);
		}
		sb.data[off] ^= 0x01;
	}
	/* the signature itself: 'A' <-> 'B' keeps the base64 canonical */
	off = (size_t)(line - sb.data) + 18 + 17 + 10;
	sb.data[off] = sb.data[off] == 'A' ? 'B' : 'A';
	assert_int_equal(mf_parse(sb.data, sb.len, &m, err, sizeof(err)), 0);
	assert_int_equal(mf_verify(sb.data, &m, k, 3, &which, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bad signature");
	mf_free(&m);
	strbuf_fini(&sb);
	/* unsigned */
	assert_int_equal(mf_parse(HEAD FILE1, strlen(HEAD FILE1), &m, err,
	    sizeof(err)), 0);
	assert_int_equal(m.signed_, 0);
	assert_int_equal(mf_verify(HEAD FILE1, &m, k, 3, &which, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "unsigned");
	mf_free(&m);
}

/* test_sign_errors - no secret, nothing to sign, no final newline */
static void
test_sign_errors(void **state)
{
	struct vkey	 k;
	struct strbuf	 sb;

	(void)state;
	assert_int_equal(vkey_generate(&k), 0);
	strbuf_init(&sb, MF_MAXTEXT);
	errno = 0;
	assert_int_equal(mf_sign(&sb, &k), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(strbuf_printf(&sb, "%s", HEAD FILE1), 0);
	sb.len--;
	assert_int_equal(mf_sign(&sb, &k), -1);
	assert_int_equal(errno, EINVAL);
	sb.len++;
	k.has_sec = 0;
	assert_int_equal(mf_sign(&sb, &k), -1);
	assert_int_equal(errno, EINVAL);
	k.has_sec = 1;
	assert_int_equal(mf_sign(&sb, &k), 0);
	strbuf_fini(&sb);
}

/* test_hex - mf_hex / mf_unhex edges */
static void
test_hex(void **state)
{
	uint8_t	 h[MF_HASHLEN], g[MF_HASHLEN];
	char	 s[2 * MF_HASHLEN + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < MF_HASHLEN; i++)
		h[i] = (uint8_t)(i * 8 + 7);
	mf_hex(s, h);
	assert_int_equal(strlen(s), 64);
	assert_memory_equal(s, "070f171f", 8);
	assert_int_equal(mf_unhex(g, s), 0);
	assert_memory_equal(g, h, MF_HASHLEN);
	memset(g, 0x5a, sizeof(g));
	assert_int_equal(mf_unhex(g, HA "0"), -1);
	assert_int_equal(mf_unhex(g, &HA[1]), -1);
	assert_int_equal(mf_unhex(g, ""), -1);
	assert_int_equal(mf_unhex(g,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	    -1);
	assert_int_equal(mf_unhex(g,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "),
	    -1);
	assert_true(g[0] == 0x5a);	/* untouched on failure */
}

/* test_name_ok - the name rule */
static void
test_name_ok(void **state)
{
	static const struct {
		const char	*name;
		int		 ok;
	} t[] = {
		{ "", 0 }, { "a", 1 }, { "0", 1 }, { ".", 0 }, { ".a", 0 },
		{ "a.", 1 }, { "a..b", 1 }, { "-a", 0 }, { "+a", 0 },
		{ "_a", 0 }, { "a-b+c_d.e", 1 }, { "a/b", 0 }, { "a b", 0 },
		{ "a\\b", 0 }, { "a\tb", 0 }, { "\xc3\xa4", 0 }, { "a~", 0 },
		{ NAME128, 1 }, { NAME128 "x", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (mf_name_ok(t[i].name) != t[i].ok) {
			print_error("name '%s'\n", t[i].name);
			fail();
		}
	assert_int_equal(mf_name_ok(NULL), 0);
}

/* test_key_id - BLAKE2b-128 of the public key, first 8 bytes */
static void
test_key_id(void **state)
{
	static const char	 text[] = "vigil-ed25519-public "
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	struct vkey		 k;
	char			 err[128];
	size_t			 i;

	(void)state;
	memset(&k, 0, sizeof(k));
	for (i = 0; i < 32; i++)
		k.pub[i] = (uint8_t)i;
	vkey_id(&k);
	assert_string_equal(k.id, "f39a2cad58411cd4");	/* hashlib */
	assert_int_equal(vkey_parse(text, strlen(text), &k, err,
	    sizeof(err)), 0);
	assert_string_equal(k.id, "f39a2cad58411cd4");
	assert_int_equal(k.has_sec, 0);
	assert_int_equal(k.pub[31], 31);
}

struct key_case {
	const char	*text;
	const char	*err;		/* NULL: parses */
};

#define PUBB64	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
static const struct key_case key_cases[] = {
	{ "", "no key" },
	{ "\n\n", "no key" },
	{ "# only a comment\n", "no key" },
	{ "vigil-ed25519-public " PUBB64 "\n", NULL },
	{ "vigil-ed25519-public " PUBB64, NULL },
	{ "# key of the test\n\nvigil-ed25519-public " PUBB64 "\n# end\n\n",
	    NULL },
	{ "#vigil-ed25519-public x\nvigil-ed25519-public " PUBB64 "\n", NULL },
	{ "vigil-ed25519-public " PUBB64 "\nvigil-ed25519-public " PUBB64 "\n",
	    "line 2: more than one key" },
	{ "x\n", "line 1: not a key line" },
	{ " # indented comment\n", "line 1: not a key line" },
	{ "\n\nvigil-ed25519-publik " PUBB64 "\n", "line 3: not a key line" },
	{ "vigil-ed25519-public  " PUBB64 "\n", "line 1: bad base64" },
	{ "vigil-ed25519-public " PUBB64 " \n", "line 1: bad base64" },
	{ "vigil-ed25519-public " PUBB64 "\r\n", "line 1: bad base64" },
	{ "vigil-ed25519-public\n", "line 1: not a key line" },
	{ "vigil-ed25519-public \n", "line 1: bad base64" },
	{ "vigil-ed25519-public AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
	    "line 1: bad base64" },
	{ "vigil-ed25519-public AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
	    "line 1: bad base64" },
	{ "vigil-ed25519-public AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd*h8=\n",
	    "line 1: bad base64" },
	{ "vigil-ed25519-public AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=AAAA\n",
	    "line 1: bad base64" },
	{ "vigil-ed25519-secret " PUBB64 "\n", "line 1: bad base64" },
	/* 64 bytes whose public half is not the seed's: 0..63 */
	{ "vigil-ed25519-secret AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"
	  "ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==\n",
	    "line 1: secret key does not match its public half" },
};

/* test_key_parse - comments, blank lines, bad base64, several keys */
static void
test_key_parse(void **state)
{
	struct vkey	 k;
	char		 err[128];
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		err[0] = '\0';
		rc = vkey_parse(key_cases[i].text, strlen(key_cases[i].text),
		    &k, err, sizeof(err));
		if (key_cases[i].err == NULL && rc == 0 &&
		    strcmp(k.id, "f39a2cad58411cd4") == 0)
			continue;
		if (key_cases[i].err != NULL && rc == -1 &&
		    strcmp(err, key_cases[i].err) == 0) {
			assert_int_equal(k.has_sec, 0);
			continue;
		}
		print_error("case %zu: %s\nwant: %s\ngot:  %d %s\n", i,
		    key_cases[i].text, key_cases[i].err ? key_cases[i].err :
		    "ok", rc, err);
		fail();
	}
}

/* path_of - tmpdir/name */
static const char *
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

/* test_key_files - write, read back, modes, overwrite rules */
static void
test_key_files(void **state)
{
	struct vkey	 k, k2, r;
	struct stat	 sb;
	char		 sp[128], pp[128], err[256], want[256];
	mode_t		 um;
	int		 fd;

	(void)state;
	path_of(sp, sizeof(sp), "k.sec");
	path_of(pp, sizeof(pp), "k.pub");
	assert_int_equal(vkey_generate(&k), 0);
	assert_int_equal(vkey_generate(&k2), 0);
	um = umask(0);			/* the modes must not depend on it */
	assert_int_equal(vkey_write(&k, sp, pp, 0, err, sizeof(err)), 0);
	umask(077);
	assert_int_equal(stat(sp, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(stat(pp, &sb), 0);
	umask(um);
	assert_int_equal(sb.st_mode & 07777, 0644);
	/* secret file: fills pub from sec too */
	assert_int_equal(vkey_read(sp, &r, err, sizeof(err)), 0);
	assert_int_equal(r.has_sec, 1);
	assert_memory_equal(r.sec, k.sec, 64);
	assert_memory_equal(r.pub, k.pub, 32);
	assert_string_equal(r.id, k.id);
	assert_int_equal(vkey_read(pp, &r, err, sizeof(err)), 0);
	assert_int_equal(r.has_sec, 0);
	assert_memory_equal(r.pub, k.pub, 32);
	assert_string_equal(r.id, k.id);
	/* no overwrite without force: both files unchanged */
	snprintf(want, sizeof(want), "%s: File exists", sp);
	assert_int_equal(vkey_write(&k2, sp, path_of(err, sizeof(err),
	    "new.pub"), 0, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	snprintf(want, sizeof(want), "%s: File exists", pp);
	assert_int_equal(vkey_write(&k2, path_of(err, sizeof(err), "new.sec"),
	    pp, 0, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_int_equal(stat(path_of(err, sizeof(err), "new.sec"), &sb), -1);
	assert_int_equal(stat(path_of(err, sizeof(err), "new.pub"), &sb), -1);
	assert_int_equal(vkey_read(sp, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, k.id);
	/* force replaces, and a loose mode is tightened again */
	assert_int_equal(chmod(sp, 0644), 0);
	assert_int_equal(vkey_write(&k2, sp, pp, 1, err, sizeof(err)), 0);
	assert_int_equal(stat(sp, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(vkey_read(sp, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, k2.id);
	assert_int_equal(vkey_read(pp, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, k2.id);
	/* the secret needs a secret */
	snprintf(want, sizeof(want), "%s: no secret key", sp);
	assert_int_equal(vkey_write(&r, sp, NULL, 1, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* errors name the file */
	snprintf(want, sizeof(want), "%s/none: No such file or directory",
	    tmpdir);
	assert_int_equal(vkey_read(path_of(sp, sizeof(sp), "none"), &r, err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	fd = open(path_of(sp, sizeof(sp), "bad.pub"),
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# c\nvigil-ed25519-public AA==\n", 30), 30);
	close(fd);
	snprintf(want, sizeof(want), "%s: line 2: bad base64", sp);
	assert_int_equal(vkey_read(sp, &r, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	/* too large */
	fd = open(sp, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 65 * 1024), 0);
	close(fd);
	snprintf(want, sizeof(want), "%s: key file too large", sp);
	assert_int_equal(vkey_read(sp, &r, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

/* setup - a private directory for key files */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/manifest_test.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* teardown - remove it */
static int
teardown(void **state)
{
	static const char *const names[] = {
		"k.sec", "k.pub", "new.sec", "new.pub", "bad.pub", NULL
	};
	char	 p[128];
	size_t	 i;

	(void)state;
	for (i = 0; names[i] != NULL; i++)
		unlink(path_of(p, sizeof(p), names[i]));
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_roundtrip_text),
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_roundtrip_struct),
		cmocka_unit_test(test_add_file_errors),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_limits_files),
		cmocka_unit_test(test_limits_text),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_sign_errors),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
