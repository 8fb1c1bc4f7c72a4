/*
 * container_test.c - scanning inside containers, limits and statuses, cure
 *
 * The database is a fresh temporary directory with EICAR as a body
 * signature, a test signature for an appended "virus" and its cure
 * record.  Archives are built in memory with libarchive's writer, mail by
 * hand; each test scans through the public API and checks the status,
 * the threat and the object named.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
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
#include <zlib.h>

#include "vigil/vigil.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define TAIL "VIGIL-APPENDED-VIRUS-BODY-0123456789"

struct fx {
	char			 dir[64];
	struct vigil_engine	*e;
	struct vigil_scanner	*s;
	struct vigil_limits	 lim;
};

struct buf {
	uint8_t	*p;
	size_t	 n, cap;
};

static void
put(const char *dir, const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct vigil_load_opts o;
	struct vigil_load_report rep;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-ct.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	put(fx->dir, "t.ndb",
	    "Eicar-Test-Signature:0:0:58354f2150254041505b34\n"
	    "Vigil.Test.Append:0:EOF-36:56494749" "4c2d415050454e4445442d\n");
	put(fx->dir, "t.cure", "# the appended test virus\n"
	    "Vigil.Test.Append:truncate:EOF-36\n");
	memset(&o, 0, sizeof(o));
	o.dbdir = fx->dir;
	if (vigil_engine_load(&o, &fx->e, &rep) != VIGIL_OK) {
		fprintf(stderr, "load: %s\n", rep.error);
		return -1;
	}
	fx->s = vigil_scanner_new(fx->e);
	vigil_limits_default(&fx->lim);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char	 cmd[128];

	vigil_scanner_free(fx->s);
	vigil_engine_free(fx->e);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static la_ssize_t
wr(struct archive *a, void *arg, const void *p, size_t n)
{
	struct buf *b = arg;

	(void)a;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return (la_ssize_t)n;
}

static int
wr_open(struct archive *a, void *arg)
{
	(void)a;
	(void)arg;
	return ARCHIVE_OK;
}

/* mk - an archive of n members; fmt/filter: libarchive names */
static struct buf
mk(const char *fmt, const char *filter, const char *opts, int n,
    const char *const *names, const uint8_t *const *data, const size_t *len)
{
	struct archive	*a = archive_write_new();
	struct archive_entry *ae;
	struct buf	 b = { NULL, 0, 0 };
	int		 i;

	assert_int_equal(archive_write_set_format_by_name(a, fmt), ARCHIVE_OK);
	if (filter != NULL)
		assert_int_equal(archive_write_add_filter_by_name(a, filter),
		    ARCHIVE_OK);
	if (opts != NULL)
		assert_int_equal(archive_write_set_options(a, opts),
		    ARCHIVE_OK);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open(a, &b, wr_open, wr, NULL),
	    ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, names[i]);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)len[i]);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (len[i] > 0)
			assert_int_equal(archive_write_data(a, data[i], len[i]),
			    (la_ssize_t)len[i]);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return b;
}

/* mk1 - one member */
static struct buf
mk1(const char *fmt, const char *filter, const char *name, const void *d,
    size_t n)
{
	const uint8_t *dd = d;

	return mk(fmt, filter, NULL, 1, &name, &dd, &n);
}

static void
scan(struct fx *fx, const void *p, size_t n, struct vigil_result *r)
{
	assert_int_equal(vigil_scan_buffer(fx->s, p, n, &fx->lim, r),
	    VIGIL_OK);
}

/* has_det - a detection of status st (and threat, and object) */
static int
has_det(const struct vigil_result *r, enum vigil_status st,
    const char *threat, const char *object, const char *why)
{
	unsigned i;

	for (i = 0; i < r->ndet; i++)
		if (r->det[i].status == st && (threat == NULL ||
		    (r->det[i].threat && strcmp(r->det[i].threat,
		    threat) == 0)) && (object == NULL ||
		    strcmp(r->det[i].object, object) == 0) && (why == NULL ||
		    (r->det[i].reason && strstr(r->det[i].reason, why))))
			return 1;
	return 0;
}

static void
t_zip_member(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	struct buf z = mk1("zip", NULL, "dir/a.exe", EICAR, strlen(EICAR));

	scan(fx, z.p, z.n, &r);
	assert_int_equal(r.status, VIGIL_INFECTED);
	assert_true(has_det(&r, VIGIL_INFECTED, "Eicar-Test-Signature",
	    "dir/a.exe", NULL));
	assert_int_equal(r.objects, 2);
	fx->lim.flags &= ~VIGIL_SCAN_ARCHIVES;
	scan(fx, z.p, z.n, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	free(z.p);
}

static void
t_nested(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	struct buf z = mk1("zip", NULL, "a.exe", EICAR, strlen(EICAR));
	struct buf t = mk1("pax", "gzip", "in.zip", z.p, z.n);
	struct buf x = mk1("7zip", NULL, "mid.tgz", t.p, t.n);
	struct buf c = mk1("cpio", "xz", "top.7z", x.p, x.n);

	scan(fx, c.p, c.n, &r);
	assert_true(has_det(&r, VIGIL_INFECTED, "Eicar-Test-Signature",
	    "top.7z/mid.tgz/in.zip/a.exe", NULL));
	fx->lim.max_recursion = 2;
	scan(fx, c.p, c.n, &r);
	assert_int_equal(r.status, VIGIL_STATUS_ERROR);
	assert_true(has_det(&r, VIGIL_STATUS_ERROR, NULL, "top.7z/mid.tgz",
	    "MaxRecursion"));
	free(z.p);
	free(t.p);
	free(x.p);
	free(c.p);
}

static void
t_gzip_stream(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	struct buf g = mk1("raw", "bzip2", "x", EICAR, strlen(EICAR));

	scan(fx, g.p, g.n, &r);
	assert_int_equal(r.status, VIGIL_INFECTED);
	free(g.p);
}

static void
t_limits(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	static const char *const names[6] = { "1", "2", "3", "4", "5", "6" };
	const uint8_t	*d[6];
	size_t		 l[6], i;
	uint8_t		*zero = calloc(1, 64 << 20);
	struct buf	 z;
	struct timespec	 t0, t1;

	for (i = 0; i < 6; i++) {
		d[i] = (const uint8_t *)"clean";
		l[i] = 5;
	}
	z = mk("zip", NULL, NULL, 6, names, d, l);
	fx->lim.max_files = 3;
	scan(fx, z.p, z.n, &r);
	assert_true(has_det(&r, VIGIL_STATUS_ERROR, NULL, NULL, "MaxFiles"));
	free(z.p);
	vigil_limits_default(&fx->lim);

	/* a bomb: 64 MiB of zeros; the ratio limit stops it early */
	z = mk1("zip", NULL, "zeros", zero, 64 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	scan(fx, z.p, z.n, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(has_det(&r, VIGIL_STATUS_ERROR, NULL, "zeros",
	    "MaxRatio"));
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	fx->lim.max_ratio = 0;
	fx->lim.max_file_size = 1 << 20;
	scan(fx, z.p, z.n, &r);
	assert_true(has_det(&r, VIGIL_STATUS_ERROR, NULL, "zeros",
	    "MaxFileSize"));
	fx->lim.max_file_size = 0;
	fx->lim.max_scan_size = 8 << 20;
	scan(fx, z.p, z.n, &r);
	assert_true(has_det(&r, VIGIL_STATUS_ERROR, NULL, NULL,
	    "MaxScanSize"));
	free(z.p);
	free(zero);
}

static void
t_damaged(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	struct buf z = mk1("zip", NULL, "a.txt", "some text that is long "
	    "enough to be compressed, some text, some text", 68);
	struct buf g = mk1("pax", "gzip", "a.txt", "text", 4);

	scan(fx, z.p, z.n / 2, &r);
	assert_int_equal(r.status, VIGIL_CORRUPTED);
	scan(fx, g.p, g.n - 12, &r);
	assert_int_equal(r.status, VIGIL_CORRUPTED);
	/* magic alone is not a claim: a text starting "07070" is plain */
	scan(fx, "0707 is a date", 14, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	free(z.p);
	free(g.p);
}

static void
t_encrypted(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	struct archive	*a = archive_write_new();
	int		 ok;
	struct buf	 z;
	const char	*name = "secret.exe";
	const uint8_t	*d = (const uint8_t *)EICAR;
	size_t		 l = strlen(EICAR);

	archive_write_set_format_zip(a);
	ok = archive_write_set_options(a, "zip:encryption=zipcrypt") ==
	    ARCHIVE_OK;
	archive_write_free(a);
	if (!ok)
		skip();
	a = archive_write_new();
	archive_write_set_format_zip(a);
	archive_write_set_options(a, "zip:encryption=zipcrypt");
	archive_write_set_passphrase(a, "pw");
	z.p = NULL;
	z.n = z.cap = 0;
	assert_int_equal(archive_write_open(a, &z, wr_open, wr, NULL),
	    ARCHIVE_OK);
	{
		struct archive_entry *ae = archive_entry_new();

		archive_entry_set_pathname(ae, name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)l);
		archive_write_header(a, ae);
		archive_write_data(a, d, l);
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	scan(fx, z.p, z.n, &r);
	assert_int_equal(r.status, VIGIL_PROTECTED);
	assert_true(has_det(&r, VIGIL_PROTECTED, NULL, "secret.exe", NULL));
	free(z.p);
}

static const char mail_head[] =
	"From: a@example.org\r\nTo: b@example.org\r\nSubject: invoice\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n"
	"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	"--XX\r\nContent-Type: application/octet-stream; name=\"e.com\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n";

/* mail - the test message with EICAR (base64) as part 2 */
static char *
mail(void)
{
	static const char b64[] = "WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJ"
	    "Q0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=";
	char	*m;

	assert_true(asprintf(&m, "%s%s\r\n--XX--\r\n", mail_head, b64) > 0);
	return m;
}

static void
t_mail(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	char	*m = mail(), *mbox;

	scan(fx, m, strlen(m), &r);
	assert_int_equal(r.status, VIGIL_INFECTED);
	assert_true(has_det(&r, VIGIL_INFECTED, NULL, "part2:e.com", NULL));
	assert_true(asprintf(&mbox, "From a@example.org Mon Jan  1 00:00:00 "
	    "2024\nFrom: x@y\nSubject: hi\n\nclean\n\nFrom a@example.org "
	    "Mon Jan  1 00:00:00 2024\n%s", m) > 0);
	scan(fx, mbox, strlen(mbox), &r);
	assert_int_equal(r.status, VIGIL_INFECTED);
	assert_true(has_det(&r, VIGIL_INFECTED, NULL, "msg2/part2:e.com",
	    NULL));
	fx->lim.flags &= ~VIGIL_SCAN_MAILBASES;
	scan(fx, mbox, strlen(mbox), &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	fx->lim.flags &= ~VIGIL_SCAN_MAILPLAIN;
	scan(fx, m, strlen(m), &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	/* a truncated message: the part so far is scanned, and CORRUPTED */
	vigil_limits_default(&fx->lim);
	fx->lim.flags |= VIGIL_SCAN_ALLMATCH;
	m[strlen(m) - 10] = '\0';
	scan(fx, m, strlen(m), &r);
	assert_true(has_det(&r, VIGIL_INFECTED, NULL, "part2:e.com", NULL));
	assert_true(has_det(&r, VIGIL_CORRUPTED, NULL, NULL, NULL));
	free(m);
	free(mbox);
}

static void
t_deflate(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	uint8_t	 z[256];
	uLongf	 zn = sizeof(z);

	assert_int_equal(compress(z, &zn, (const Bytef *)EICAR,
	    strlen(EICAR)), Z_OK);
	scan(fx, z, zn, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	fx->lim.flags |= VIGIL_SCAN_DEFLATE;
	scan(fx, z, zn, &r);
	assert_true(has_det(&r, VIGIL_INFECTED, NULL, "content", NULL));
}

/* cure_buf - vigil_cure_fd on a buffer; returns the cured bytes */
static struct buf
cure_buf(struct fx *fx, const void *p, size_t n, struct vigil_result *r)
{
	char	 in[] = "/tmp/vigil-ci.XXXXXX", out[] = "/tmp/vigil-co.XXXXXX";
	int	 ifd = mkstemp(in), ofd = mkstemp(out);
	struct buf b = { NULL, 0, 0 };
	struct stat st;

	assert_true(ifd >= 0 && ofd >= 0);
	assert_int_equal(write(ifd, p, n), (ssize_t)n);
	assert_int_equal(vigil_cure_fd(fx->s, ifd, ofd, &fx->lim, r),
	    VIGIL_OK);
	assert_int_equal(fstat(ofd, &st), 0);
	b.n = (size_t)st.st_size;
	b.p = malloc(b.n + 1);
	assert_int_equal(pread(ofd, b.p, b.n, 0), (ssize_t)b.n);
	close(ifd);
	close(ofd);
	unlink(in);
	unlink(out);
	return b;
}

static void
t_cure(void **state)
{
	struct fx *fx = *state;
	struct vigil_result r;
	static const char *const names[2] = { "bad.exe", "good.txt" };
	const uint8_t *d[2] = { (const uint8_t *)EICAR,
	    (const uint8_t *)"good" };
	size_t	 l[2] = { strlen(EICAR), 4 };
	struct buf z = mk("zip", NULL, NULL, 2, names, d, l), c;
	char	*m = mail(), file[128];

	/* archive: rebuilt without the infected member, verified clean */
	c = cure_buf(fx, z.p, z.n, &r);
	assert_int_equal(r.status, VIGIL_CURED);
	assert_true(has_det(&r, VIGIL_INFECTED, NULL, "bad.exe", NULL));
	assert_true(c.n > 0);
	scan(fx, c.p, c.n, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	assert_int_equal(r.objects, 2);		/* the zip and good.txt */
	free(c.p);
	/* mail: the part becomes a notice */
	c = cure_buf(fx, m, strlen(m), &r);
	assert_int_equal(r.status, VIGIL_CURED);
	c.p[c.n] = '\0';
	assert_non_null(strstr((char *)c.p, "Eicar-Test-Signature"));
	assert_non_null(strstr((char *)c.p, "see attached"));
	scan(fx, c.p, c.n, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	free(c.p);
	/* a file with a cure record */
	snprintf(file, sizeof(file), "original content" TAIL);
	c = cure_buf(fx, file, strlen(file), &r);
	assert_int_equal(r.status, VIGIL_CURED);
	assert_int_equal(c.n, 16);
	assert_memory_equal(c.p, "original content", 16);
	free(c.p);
	/* a file without one: not curable, nothing written */
	c = cure_buf(fx, EICAR, strlen(EICAR), &r);
	assert_int_equal(r.status, VIGIL_INFECTED);
	assert_non_null(r.reason);
	assert_non_null(strstr(r.reason, "not curable"));
	assert_int_equal(c.n, 0);
	free(c.p);
	/* a clean file: nothing to do */
	c = cure_buf(fx, "clean", 5, &r);
	assert_int_equal(r.status, VIGIL_CLEAN);
	assert_int_equal(c.n, 0);
	free(c.p);
	free(z.p);
	free(m);
	assert_int_equal(vigil_engine_curecount(fx->e), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(t_zip_member, setup, teardown),
		cmocka_unit_test_setup_teardown(t_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(t_gzip_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(t_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(t_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(t_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(t_mail, setup, teardown),
		cmocka_unit_test_setup_teardown(t_deflate, setup, teardown),
		cmocka_unit_test_setup_teardown(t_cure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
