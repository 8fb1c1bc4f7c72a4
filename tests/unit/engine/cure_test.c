/*
 * cure_test.c - unit tests for lib/engine/cure.c
 *
 * Records: a table of cures (lines, threat, expected result) run on the
 * 16-byte object "0123456789abcdef", both before and after sealing, and
 * a table of malformed lines with the reason each must give.  Archives:
 * each case writes a small archive with libarchive (format, filter,
 * members), drops "b.txt" with cure_archive(), reads the result back
 * and checks the members, their contents and metadata, and that format
 * and filter are preserved.  Then the failures: encrypted, truncated,
 * foreign (rar, cab, text, empty) and over the output cap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "cure.h"

#define OBJ	"0123456789abcdef"
#define OBJLEN	16

static const struct cure_case {
	const char	*lines[4];
	const char	*threat;
	int		 rc;		/* 0, or the errno of -1 */
	const char	*want;		/* result, wantlen bytes */
	size_t		 wantlen;
} cures[] = {
	/* truncate: edges first */
	{ { "T:truncate:0" }, "T", 0, "", 0 },
	{ { "T:truncate:16" }, "T", 0, OBJ, 16 },
	{ { "T:truncate:17" }, "T", EINVAL, NULL, 0 },
	{ { "T:truncate:EOF-0" }, "T", 0, OBJ, 16 },
	{ { "T:truncate:EOF-16" }, "T", 0, "", 0 },
	{ { "T:truncate:EOF-17" }, "T", EINVAL, NULL, 0 },
	{ { "T:truncate:10" }, "T", 0, "0123456789", 10 },
	{ { "T:truncate:EOF-6" }, "T", 0, "0123456789", 10 },
	{ { "T:truncate:18446744073709551615" }, "T", EINVAL, NULL, 0 },
	/* cut */
	{ { "T:cut:0:4" }, "T", 0, "456789abcdef", 12 },
	{ { "T:cut:0:16" }, "T", 0, "", 0 },
	{ { "T:cut:0:17" }, "T", EINVAL, NULL, 0 },
	{ { "T:cut:EOF-4:4" }, "T", 0, "0123456789ab", 12 },
	{ { "T:cut:5:2" }, "T", 0, "01234789abcdef", 14 },
	{ { "T:cut:12:5" }, "T", EINVAL, NULL, 0 },
	{ { "T:cut:16:1" }, "T", EINVAL, NULL, 0 },
	{ { "T:cut:1:18446744073709551615" }, "T", EINVAL, NULL, 0 },
	/* zero */
	{ { "T:zero:2:3" }, "T", 0, "01\0\0\0" "56789abcdef", 16 },
	{ { "T:zero:EOF-1:1" }, "T", 0, "0123456789abcde\0", 16 },
	{ { "T:zero:15:2" }, "T", EINVAL, NULL, 0 },
	/* patch */
	{ { "T:patch:0:414243" }, "T", 0, "ABC3456789abcdef", 16 },
	{ { "T:patch:EOF-2:5859" }, "T", 0, "0123456789abcdXY", 16 },
	{ { "T:patch:14:4142" }, "T", 0, "0123456789abcdAB", 16 },
	{ { "T:patch:15:4142" }, "T", EINVAL, NULL, 0 },
	{ { "T:patch:0:00112233445566778899aabbccddeeff" }, "T", 0,
	  "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff",
	  16 },
	{ { "T:patch:0:00112233445566778899aabbccddeeff00" }, "T", EINVAL,
	  NULL, 0 },
	/* copy: disjoint, overlapping both ways, from the end */
	{ { "T:copy:10:0:4" }, "T", 0, "abcd456789abcdef", 16 },
	{ { "T:copy:0:2:4" }, "T", 0, "0101236789abcdef", 16 },
	{ { "T:copy:2:0:4" }, "T", 0, "2345456789abcdef", 16 },
	{ { "T:copy:EOF-4:0:4" }, "T", 0, "cdef456789abcdef", 16 },
	{ { "T:copy:0:EOF-4:4" }, "T", 0, "0123456789ab0123", 16 },
	{ { "T:copy:0:13:4" }, "T", EINVAL, NULL, 0 },
	{ { "T:copy:13:0:4" }, "T", EINVAL, NULL, 0 },
	{ { "T:copy:EOF-17:0:1" }, "T", EINVAL, NULL, 0 },
	/* several lines, in order, offsets evaluated as each runs */
	{ { "T:cut:0:4", "T:truncate:EOF-4" }, "T", 0, "456789ab", 8 },
	{ { "T:truncate:8", "T:cut:0:4" }, "T", 0, "4567", 4 },
	{ { "T:cut:0:4", "T:copy:EOF-2:0:2", "T:truncate:EOF-2" }, "T", 0,
	  "ef6789abcd", 10 },
	{ { "T:truncate:4", "T:zero:3:2" }, "T", EINVAL, NULL, 0 },
	{ { "T:truncate:4", "T:truncate:5" }, "T", EINVAL, NULL, 0 },
	/* other threats interleave without interfering */
	{ { "A:truncate:1", "T:cut:0:15", "B:truncate:2", "T:patch:0:58" },
	  "T", 0, "X", 1 },
	{ { "A:truncate:1", "B:truncate:2" }, "B", 0, "01", 2 },
	{ { "A:truncate:1", "# T:truncate:2", "" }, "T", ENOENT, NULL, 0 },
	{ { "A:truncate:1" }, "a", ENOENT, NULL, 0 },
	{ { "A:truncate:1" }, "", ENOENT, NULL, 0 },
};

/* run_cure - load c's lines, seal if asked, apply, check */
static void
run_cure(const struct cure_case *c, int seal)
{
	struct cure_db	*db;
	struct strbuf	 out;
	char		 err[128];
	size_t		 nrec = 0;
	int		 rc;

	assert_non_null(db = cure_db_new());
	for (int i = 0; i < 4 && c->lines[i] != NULL; i++) {
		rc = cure_db_add_line(db, c->lines[i], strlen(c->lines[i]),
		    err, sizeof(err));
		if (rc != 0 && rc != 1)
			fail_msg("%s: %s", c->lines[i], err);
		nrec += rc == 0;
	}
	if (seal)
		cure_db_seal(db);
	assert_int_equal(cure_db_count(db), nrec);
	assert_int_equal(cure_db_has(db, c->threat), c->rc != ENOENT);
	strbuf_init(&out, 1024);
	assert_int_equal(strbuf_append(&out, "junk", 4), 0);
	errno = 0;
	rc = cure_db_apply(db, c->threat, (const uint8_t *)OBJ, OBJLEN, &out);
	if (c->rc != 0) {
		if (rc != -1 || errno != c->rc)
			fail_msg("%s: rc %d errno %d", c->lines[0], rc, errno);
		assert_int_equal(out.len, 0);
	} else {
		if (rc != 0)
			fail_msg("%s: rc %d errno %d", c->lines[0], rc, errno);
		assert_int_equal(out.len, c->wantlen);
		assert_memory_equal(out.data, c->want, c->wantlen);
		assert_int_equal(out.data[out.len], '\0');
	}
	strbuf_fini(&out);
	cure_db_free(db);
}

/* test_cures - every operation, unsealed and sealed */
static void
test_cures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cures) / sizeof(cures[0]); i++) {
		run_cure(&cures[i], 0);
		run_cure(&cures[i], 1);
	}
}

static const struct {
	const char	*line;
	int		 rc;
	const char	*why;		/* substring of err */
} lines[] = {
	{ "", 1, "" },
	{ "   \t", 1, "" },
	{ "# comment", 1, "" },
	{ "  #T:truncate:x", 1, "" },
	{ "\r", 1, "" },
	{ "T:truncate:1\r", 0, "" },
	{ "T", -1, "missing operation" },
	{ "T:", -1, "unknown operation \"\"" },
	{ "T:truncate", -1, "missing fields" },
	{ "T:truncate:", -1, "bad offset \"\"" },
	{ "T:truncate:1:2", -1, "too many fields" },
	{ "T:cut:0", -1, "missing fields, expected cut:OFFSET:LEN" },
	{ "T:cut:0:1:2", -1, "too many fields" },
	{ "T:copy:0:1", -1, "missing fields" },
	{ "T:copy:0:1:2:3", -1, "too many fields" },
	{ "T:copy:0:1:2:3:4:5:6", -1, "too many fields" },
	{ "T:patch:0", -1, "missing fields" },
	{ "T:patch:0:", -1, "empty hex" },
	{ "T:patch:0:abc", -1, "odd number of hex digits \"abc\"" },
	{ "T:patch:0:zz", -1, "bad hex \"zz\"" },
	{ "T:patch:0:0x41", -1, "bad hex" },
	{ "T:patch:0:41 ", -1, "odd number" },
	{ "T:patch:x:41", -1, "bad offset \"x\"" },
	{ "T:truncate:-1", -1, "bad offset \"-1\"" },
	{ "T:truncate:+1", -1, "bad offset" },
	{ "T:truncate: 1", -1, "bad offset" },
	{ "T:truncate:1 ", -1, "bad offset" },
	{ "T:truncate:0x10", -1, "bad offset" },
	{ "T:truncate:18446744073709551615", 0, "" },
	{ "T:truncate:18446744073709551616", -1, "bad offset" },
	{ "T:truncate:99999999999999999999999", -1, "bad offset" },
	{ "T:truncate:EOF-x", -1, "bad offset \"EOF-x\"" },
	{ "T:truncate:EOF-", -1, "bad offset \"EOF-\"" },
	{ "T:truncate:EOF", -1, "bad offset" },
	{ "T:truncate:eof-1", -1, "bad offset" },
	{ "T:truncate:EOF+1", -1, "bad offset" },
	{ "T:truncate:EOF--1", -1, "bad offset" },
	{ "T:truncate:EOF-18446744073709551616", -1, "bad offset" },
	{ "T:cut:0:0", -1, "zero length \"0\"" },
	{ "T:cut:0:-5", -1, "bad length \"-5\"" },
	{ "T:zero:0:", -1, "bad length" },
	{ "T:copy:0:EOF-x:1", -1, "bad offset \"EOF-x\"" },
	{ "T:copy:0:1:18446744073709551616", -1, "bad length" },
	{ "T:frob:1", -1, "unknown operation \"frob\"" },
	{ "T:TRUNCATE:1", -1, "unknown operation" },
	{ "T:truncatex:1", -1, "unknown operation" },
	{ ":truncate:1", -1, "empty threat name" },
	{ "Fo o:truncate:1", -1, "bad threat name \"Fo o\"" },
	{ "Foo/Bar:truncate:1", -1, "bad threat name" },
	{ "Win.Trojan.Agent-123_x:truncate:1", 0, "" },
	{ "T\xc3\xa9:truncate:1", -1, "bad threat name \"T\\xc3\\xa9\"" },
};

/* test_lines - blank, comment, good and malformed lines */
static void
test_lines(void **state)
{
	struct cure_db	*db;
	char		 err[128];
	int		 rc;

	(void)state;
	assert_non_null(db = cure_db_new());
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		memset(err, 'x', sizeof(err));
		rc = cure_db_add_line(db, lines[i].line, strlen(lines[i].line),
		    err, sizeof(err));
		if (rc != lines[i].rc || strstr(err, lines[i].why) == NULL)
			fail_msg("\"%s\": rc %d err \"%s\"", lines[i].line, rc,
			    err);
		if (rc != -1)
			assert_string_equal(err, "");
	}
	assert_int_equal(cure_db_count(db), 3);
	/* an embedded NUL is not part of any valid field */
	assert_int_equal(cure_db_add_line(db, "T:truncate:1\0", 13, err,
	    sizeof(err)), -1);
	assert_int_equal(cure_db_add_line(db, "T\0:truncate:1", 13, err,
	    sizeof(err)), -1);
	/* the line need not be NUL-terminated; errlen 0 is allowed */
	assert_int_equal(cure_db_add_line(db, "T:truncate:12345", 12, NULL, 0),
	    0);
	assert_int_equal(cure_db_count(db), 4);
	cure_db_free(db);
	cure_db_free(NULL);
}

/* test_limits - name and patch size limits, the output cap */
static void
test_limits(void **state)
{
	struct cure_db	*db;
	struct strbuf	 out;
	char		 line[8300], name[CURE_NAME_MAX + 2], err[128];
	int		 n;

	(void)state;
	assert_non_null(db = cure_db_new());
	memset(name, 'N', sizeof(name));
	name[CURE_NAME_MAX] = '\0';
	n = snprintf(line, sizeof(line), "%s:truncate:1", name);
	assert_int_equal(cure_db_add_line(db, line, (size_t)n, err,
	    sizeof(err)), 0);
	assert_true(cure_db_has(db, name));
	name[CURE_NAME_MAX] = 'N';
	name[CURE_NAME_MAX + 1] = '\0';
	n = snprintf(line, sizeof(line), "%s:truncate:1", name);
	assert_int_equal(cure_db_add_line(db, line, (size_t)n, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "threat name too long"));
	assert_false(cure_db_has(db, name));

	n = snprintf(line, sizeof(line), "P:patch:0:");
	memset(line + n, 'a', 2 * CURE_HEX_MAX);
	assert_int_equal(cure_db_add_line(db, line, (size_t)n +
	    2 * CURE_HEX_MAX, err, sizeof(err)), 0);
	memset(line + n, 'a', 2 * CURE_HEX_MAX + 2);
	assert_int_equal(cure_db_add_line(db, line, (size_t)n +
	    2 * CURE_HEX_MAX + 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 4096"));
	cure_db_seal(db);

	strbuf_init(&out, 15);		/* cap below the object: E2BIG */
	errno = 0;
	assert_int_equal(cure_db_apply(db, name, (const uint8_t *)OBJ,
	    OBJLEN, &out), -1);	/* name is 128 chars: not found */
	assert_int_equal(errno, ENOENT);
	name[CURE_NAME_MAX] = '\0';
	assert_int_equal(cure_db_apply(db, name, (const uint8_t *)OBJ,
	    OBJLEN, &out), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(cure_db_apply(db, name, (const uint8_t *)OBJ, 15,
	    &out), 0);
	assert_int_equal(out.len, 1);
	/* an empty object: only truncate:0 or EOF-0 fits */
	assert_int_equal(cure_db_apply(db, name, NULL, 0, &out), -1);
	assert_int_equal(errno, EINVAL);
	strbuf_fini(&out);
	cure_db_free(db);
}

/* ------------------------------------------------------------------ */
/* archives                                                           */
/* ------------------------------------------------------------------ */

#define ARCMAX	(1024 * 1024)

struct member {
	const char	*path;
	unsigned	 type;		/* AE_IFREG, AE_IFDIR, AE_IFLNK */
	const char	*data;		/* regular: contents; link: target */
	int		 hardlink;	/* data names a hard link target */
	int		 store;		/* zip: stored, not deflated */
};

static const struct member std_members[] = {
	{ "dir/", AE_IFDIR, NULL, 0, 0 },
	{ "dir/a.txt", AE_IFREG, "alpha alpha alpha alpha\n", 0, 0 },
	{ "b.txt", AE_IFREG, "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR", 0, 0 },
	{ "c.bin", AE_IFREG, "\x01\x02 stored member\xff", 0, 1 },
	{ NULL, 0, NULL, 0, 0 },
};

static const struct member link_members[] = {
	{ "dir/", AE_IFDIR, NULL, 0, 0 },
	{ "dir/a.txt", AE_IFREG, "alpha\n", 0, 0 },
	{ "b.txt", AE_IFREG, "infected", 0, 0 },
	{ "ln", AE_IFLNK, "dir/a.txt", 0, 0 },
	{ "hl", AE_IFREG, "b.txt", 1, 0 },
	{ NULL, 0, NULL, 0, 0 },
};

/* arc_build - write members with the given format and filter */
static size_t
arc_build(uint8_t *buf, size_t cap, int (*fmt)(struct archive *),
    int (*flt)(struct archive *), const struct member *m, const char *pass)
{
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 used = 0;

	assert_non_null(a = archive_write_new());
	assert_int_equal(fmt(a), ARCHIVE_OK);
	if (flt != NULL)
		assert_int_equal(flt(a), ARCHIVE_OK);
	if (pass != NULL) {
		assert_int_equal(archive_write_set_options(a,
		    "zip:encryption=zipcrypt"), ARCHIVE_OK);
		assert_int_equal(archive_write_set_passphrase(a, pass),
		    ARCHIVE_OK);
	}
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
	    ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used),
	    ARCHIVE_OK);
	for (; m->path != NULL; m++) {
		size_t	n = m->type == AE_IFREG && !m->hardlink ?
		    strlen(m->data) : 0;

		if (fmt == archive_write_set_format_zip)
			(m->store ? archive_write_zip_set_compression_store :
			    archive_write_zip_set_compression_deflate)(a);
		assert_non_null(e = archive_entry_new());
		archive_entry_set_pathname(e, m->path);
		archive_entry_set_filetype(e, m->type);
		archive_entry_set_perm(e, m->type == AE_IFDIR ? 0750 : 0640);
		archive_entry_set_mtime(e, 1600000000 + (time_t)strlen(m->path),
		    0);
		archive_entry_set_uid(e, 1234);
		archive_entry_set_gid(e, 99);
		archive_entry_set_size(e, (la_int64_t)n);
		if (m->type == AE_IFLNK)
			archive_entry_set_symlink(e, m->data);
		if (m->hardlink)
			archive_entry_set_hardlink(e, m->data);
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		if (n > 0)
			assert_int_equal(archive_write_data(a, m->data, n), n);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return used;
}

/* drop_name - predicate: drop the member named by arg */
static int
drop_name(const char *path, void *arg)
{
	return strcmp(path, arg) == 0;
}

/* drop_none - predicate: keep everything */
static int
drop_none(const char *path, void *arg)
{
	(void)path;
	(void)arg;
	return 0;
}

/* find - the member of ms named path, or NULL */
static const struct member *
find(const struct member *ms, const char *path)
{
	for (; ms->path != NULL; ms++)
		if (strcmp(ms->path, path) == 0)
			return ms;
	return NULL;
}

/*
 * arc_check - read buf back: every member but the dropped ones, with
 * their contents and metadata, in a format of family fmt with filter flt
 */
static void
arc_check(const uint8_t *buf, size_t len, const struct member *ms,
    const char *dropped, const char *dropped2, int fmt, int flt, int zip)
{
	struct archive		*a;
	struct archive_entry	*e;
	const struct member	*m;
	char			 data[256];
	int			 seen = 0, want = 0;
	la_ssize_t		 n;

	assert_non_null(a = archive_read_new());
	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	assert_int_equal(archive_read_open_memory(a, buf, len), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char	*p = archive_entry_pathname(e);

		assert_non_null(m = find(ms, p));
		assert_string_not_equal(p, dropped);
		if (dropped2 != NULL)
			assert_string_not_equal(p, dropped2);
		if (m->type == AE_IFDIR && zip)
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
		else if (!m->hardlink)
			assert_int_equal(archive_entry_filetype(e), m->type);
		assert_int_equal(archive_entry_perm(e),
		    m->type == AE_IFDIR ? 0750 : m->type == AE_IFLNK &&
		    (fmt & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_7ZIP ?
		    archive_entry_perm(e) : 0640);
		assert_int_equal(archive_entry_mtime(e),
		    1600000000 + (time_t)strlen(p));
		if ((fmt & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_7ZIP)
			assert_int_equal(archive_entry_uid(e), 1234);
		if (m->type == AE_IFLNK)
			assert_string_equal(archive_entry_symlink(e), m->data);
		if (m->type == AE_IFREG && !m->hardlink) {
			n = archive_read_data(a, data, sizeof(data));
			assert_int_equal(n, strlen(m->data));
			assert_memory_equal(data, m->data, (size_t)n);
		}
		if (zip && m->type == AE_IFREG)
			assert_non_null(strstr(archive_format_name(a),
			    m->store ? "uncompressed" : "deflation"));
		seen++;
	}
	for (m = ms; m->path != NULL; m++)
		want += strcmp(m->path, dropped) != 0 &&
		    (dropped2 == NULL || strcmp(m->path, dropped2) != 0);
	assert_int_equal(seen, want);
	assert_int_equal(archive_format(a) & ARCHIVE_FORMAT_BASE_MASK,
	    fmt & ARCHIVE_FORMAT_BASE_MASK);
	if ((fmt & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR)
		assert_int_equal(archive_format(a), fmt);
	else
		assert_int_equal(archive_format(a) == ARCHIVE_FORMAT_TAR_GNUTAR,
		    fmt == ARCHIVE_FORMAT_TAR_GNUTAR);
	assert_int_equal(archive_filter_code(a, 0), flt);
	archive_read_free(a);
}

static const struct arc_case {
	const char		*name;
	int			(*fmt)(struct archive *);
	int			(*flt)(struct archive *);
	const struct member	*members;
	int			 fmtcode;	/* as read back */
	int			 fltcode;
	const char		*dropped2;	/* a hard link to b.txt */
} arcs[] = {
	{ "zip", archive_write_set_format_zip, NULL, std_members,
	  ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, NULL },
	{ "tar.gz", archive_write_set_format_pax_restricted,
	  archive_write_add_filter_gzip, std_members,
	  ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, NULL },
	{ "tar.xz", archive_write_set_format_pax_restricted,
	  archive_write_add_filter_xz, std_members,
	  ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_XZ, NULL },
	{ "tar.bz2", archive_write_set_format_ustar,
	  archive_write_add_filter_bzip2, std_members,
	  ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2, NULL },
	{ "pax", archive_write_set_format_pax, NULL, link_members,
	  ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, ARCHIVE_FILTER_NONE, "hl" },
	{ "gnutar", archive_write_set_format_gnutar, NULL, link_members,
	  ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, "hl" },
	{ "cpio newc", archive_write_set_format_cpio_newc, NULL, std_members,
	  ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, ARCHIVE_FILTER_NONE, NULL },
	{ "cpio odc.gz", archive_write_set_format_cpio_odc,
	  archive_write_add_filter_gzip, std_members,
	  ARCHIVE_FORMAT_CPIO_POSIX, ARCHIVE_FILTER_GZIP, NULL },
	{ "7z", archive_write_set_format_7zip, NULL, std_members,
	  ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, NULL },
};

/* test_archives - drop b.txt from each format, keep the rest intact */
static void
test_archives(void **state)
{
	static uint8_t	 in[ARCMAX];
	struct strbuf	 out;
	char		 err[256];
	size_t		 len;
	int		 rc;

	(void)state;
	for (size_t i = 0; i < sizeof(arcs) / sizeof(arcs[0]); i++) {
		const struct arc_case	*c = &arcs[i];
		int			 zip = c->fmtcode == ARCHIVE_FORMAT_ZIP;

		len = arc_build(in, sizeof(in), c->fmt, c->flt, c->members,
		    NULL);
		strbuf_init(&out, ARCMAX);
		rc = cure_archive(in, len, drop_name, "b.txt", &out, err,
		    sizeof(err));
		if (rc != 1 + (c->dropped2 != NULL))
			fail_msg("%s: rc %d errno %d err %s", c->name, rc,
			    errno, err);
		assert_string_equal(err, "");
		arc_check((uint8_t *)out.data, out.len, c->members, "b.txt",
		    c->dropped2, c->fmtcode, c->fltcode, zip);
		/* dropping nothing rebuilds everything */
		assert_int_equal(cure_archive(in, len, drop_none, NULL, &out,
		    err, sizeof(err)), 0);
		arc_check((uint8_t *)out.data, out.len, c->members, "",
		    NULL, c->fmtcode, c->fltcode, zip);
		/* an output cap too small for the result */
		out.max = 40;
		errno = 0;
		assert_int_equal(cure_archive(in, len, drop_name, "b.txt",
		    &out, err, sizeof(err)), -1);
		assert_int_equal(errno, E2BIG);
		assert_int_equal(out.len, 0);
		strbuf_fini(&out);
	}
}

/* expect_fail - cure_archive on buf/len fails with errno e */
static void
expect_fail(const char *what, const uint8_t *buf, size_t len, int e,
    size_t cap)
{
	struct strbuf	 out;
	char		 err[256];
	int		 rc;

	strbuf_init(&out, cap);
	errno = 0;
	rc = cure_archive(buf, len, drop_name, "b.txt", &out, err,
	    sizeof(err));
	if (rc != -1 || errno != e)
		fail_msg("%s: rc %d errno %d (want %d) err %s", what, rc,
		    errno, e, err);
	assert_int_equal(out.len, 0);
	assert_true(err[0] != '\0');
	strbuf_fini(&out);
}

/* test_archive_errors - encrypted, damaged, foreign, too big */
static void
test_archive_errors(void **state)
{
	static uint8_t		 in[ARCMAX];
	static const uint8_t	 rar[] = "Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00"
	    "\x0d\x00\x00\x00\x00\x00\x00\x00";
	static const uint8_t	 rar5[] = "Rar!\x1a\x07\x01\x00\x33\x92\xb5"
	    "\xe5\x0a\x01\x05\x06\x00\x05\x01\x01\x80\x80\x00";
	static const uint8_t	 cab[] = "MSCF\0\0\0\0\x40\0\0\0\0\0\0\0"
	    "\x2c\0\0\0\0\0\0\0\x03\x01\x01\0\x01\0\0\0\0\0\0\0";
	static const uint8_t	 text[] = "just some text, not an archive\n";
	static const uint8_t	 gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00"
	    "\x00\x03\x2b\xc9\xc8\x2c\x56\x00\xa2\x44\x85\xe2\x92\xa2\xcc"
	    "\xbc\x74\x2e\x00\x3a\x2d\x6d\xb3\x11\x00\x00\x00";
	struct member		 big[] = {
		{ "big", AE_IFREG, NULL, 0, 0 }, { NULL, 0, NULL, 0, 0 },
	};
	/* fuzz: a zip member with an empty name (zip-nameless-member-...) */
	static const uint8_t	 nameless[] = {
		0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x54, 0x63, 0x2d, 0x51, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x45, 0x49, 0x43, 0x41, 0x52, 0x2d, 0x69, 0x73,
		0x68, 0x20, 0x62, 0x6f, 0x64, 0x79, 0x50, 0x4b, 0x07, 0x08,
		0x0d, 0xec, 0x73, 0x7d, 0x0e, 0x00, 0x2f, 0xc9, 0x50, 0xc8,
		0x4b, 0xcc, 0x4d, 0x05, 0x00, 0x50, 0x4b, 0x07, 0x08, 0xd5,
		0x21, 0xc6, 0xe3, 0x11, 0x00, 0x00, 0x00, 0x0f, 0x00,
	};
	struct member		 noname[] = {
		{ "", AE_IFREG, "data", 0, 0 }, { NULL, 0, NULL, 0, 0 },
	};
	char			*zeros;
	size_t			 len;

	(void)state;
	/* members without a name cannot be written back */
	expect_fail("zip nameless", nameless, sizeof(nameless), EPROTO,
	    ARCMAX);
	len = arc_build(in, sizeof(in), archive_write_set_format_gnutar, NULL,
	    noname, NULL);
	expect_fail("gnutar nameless", in, len, EPROTO, ARCMAX);
	/* encrypted zip member */
	len = arc_build(in, sizeof(in), archive_write_set_format_zip, NULL,
	    std_members, "secret");
	expect_fail("zipcrypt", in, len, EACCES, ARCMAX);
	/* truncated archives */
	len = arc_build(in, sizeof(in), archive_write_set_format_zip, NULL,
	    std_members, NULL);
	expect_fail("zip/2", in, len / 2, EPROTO, ARCMAX);
	len = arc_build(in, sizeof(in), archive_write_set_format_pax_restricted,
	    archive_write_add_filter_gzip, std_members, NULL);
	expect_fail("tar.gz-10", in, len - 10, EPROTO, ARCMAX);
	len = arc_build(in, sizeof(in), archive_write_set_format_7zip, NULL,
	    std_members, NULL);
	expect_fail("7z-20", in, len - 20, EPROTO, ARCMAX);
	len = arc_build(in, sizeof(in), archive_write_set_format_cpio_newc,
	    NULL, std_members, NULL);
	expect_fail("cpio/2", in, len / 2, EPROTO, ARCMAX);
	/* formats and filters we cannot write, and non-archives */
	expect_fail("rar", rar, sizeof(rar) - 1, ENOTSUP, ARCMAX);
	expect_fail("rar5", rar5, sizeof(rar5) - 1, ENOTSUP, ARCMAX);
	expect_fail("cab", cab, sizeof(cab) - 1, ENOTSUP, ARCMAX);
	expect_fail("text", text, sizeof(text) - 1, ENOTSUP, ARCMAX);
	expect_fail("gzip of text", gz, sizeof(gz) - 1, ENOTSUP, ARCMAX);
	expect_fail("empty", NULL, 0, ENOTSUP, ARCMAX);
	len = arc_build(in, sizeof(in), archive_write_set_format_pax_restricted,
	    archive_write_add_filter_compress, std_members, NULL);
	expect_fail("tar.Z", in, len, ENOTSUP, ARCMAX);
	/* 1 MiB of zeros compresses well but exceeds 8 x a 64 KiB cap */
	assert_non_null(zeros = calloc(1, 1 << 20));
	memset(zeros, 'z', (1 << 20) - 1);
	big[0].data = zeros;
	len = arc_build(in, sizeof(in), archive_write_set_format_zip, NULL,
	    big, NULL);
	assert_true(len < 65536);
	expect_fail("zip bomb", in, len, E2BIG, 65536);
	len = arc_build(in, sizeof(in), archive_write_set_format_pax_restricted,
	    archive_write_add_filter_gzip, big, NULL);
	expect_fail("tar.gz bomb", in, len, E2BIG, 65536);
	free(zeros);
}

/*
 * Fuzz findings replayed from the seed corpus (first byte 1 = archive):
 * cpio-newc-...-4g  a second newc member claims a 4 GB name; libarchive
 *                   3.6.2 (fixed upstream by PR 3043) allocates that much
 *                   to read it ahead, then fails: damaged, no crash.
 * tar-gz-...-timeout  a truncated member declares gigabytes; the tar
 *                   writer used to pad it with zeros through gzip when
 *                   the cure was abandoned: now E2BIG at once.
 */
static const struct {
	const char	*file;
	int		 e;
} corpus[] = {
	{ "cpio-newc-namesize-4g-libarchive", EPROTO },
	{ "tar-gz-huge-member-padding-timeout", E2BIG },
	{ "zip-nameless-member-writer-fatal", EPROTO },
};

/* test_archive_corpus - replay the findings above */
static void
test_archive_corpus(void **state)
{
	static uint8_t	 in[ARCMAX];
	const char	*src = getenv("VIGIL_SRC");
	char		 path[1024];
	FILE		*f;
	size_t		 len;

	(void)state;
	if (src == NULL)
		src = ".";
	for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/cure/%s",
		    src, corpus[i].file);
		if ((f = fopen(path, "rb")) == NULL)
			skip();
		len = fread(in, 1, sizeof(in), f);
		fclose(f);
		assert_true(len > 1 && in[0] % 2 == 1);
		expect_fail(corpus[i].file, in + 1, len - 1, corpus[i].e,
		    8 << 20);
	}
}

/* test_archive_empty - an empty tar stays an empty tar */
static void
test_archive_empty(void **state)
{
	static const struct member	 none[] = { { NULL, 0, NULL, 0, 0 } };
	static uint8_t			 in[4096];
	struct strbuf			 out;
	char				 err[128];
	size_t				 len;

	(void)state;
	len = arc_build(in, sizeof(in), archive_write_set_format_gnutar, NULL,
	    none, NULL);
	strbuf_init(&out, ARCMAX);
	assert_int_equal(cure_archive(in, len, drop_none, NULL, &out, err,
	    sizeof(err)), 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, in, len);
	/* errlen 0 is allowed */
	assert_int_equal(cure_archive(in, len, drop_none, NULL, &out, NULL,
	    0), 0);
	strbuf_fini(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_cures),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_archives),
		cmocka_unit_test(test_archive_errors),
		cmocka_unit_test(test_archive_empty),
		cmocka_unit_test(test_archive_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
