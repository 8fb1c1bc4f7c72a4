/*
 * qstore_test.c - the encrypted quarantine store: ids, key file, round
 * trips at chunk edges, tampering, backup replacement, restore, purge and
 * the metadata parser, edges first
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

#include "qstore.h"

#define MARKER	"VIGIL-QSTORE-PLAINTEXT-MARKER"

static char	 tdir[64];	/* per-test scratch directory */

/* rm_one - nftw callback removing one entry */
static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(p);
}

/* setup - a fresh scratch directory */
static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/qstore-test.XXXXXX");
	return mkdtemp(tdir) == NULL ? -1 : 0;
}

/* teardown - remove the scratch directory */
static int
teardown(void **state)
{
	(void)state;
	chmod(tdir, 0700);
	return nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* path - tdir/name in a static buffer (one of four, rotating) */
static const char *
path(const char *name)
{
	static char	 buf[4][512];
	static int	 i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tdir, name);
	return buf[i];
}

/* store - open tdir/store, which must succeed */
static struct qstore *
store(void)
{
	struct qstore	*q;
	char		 err[256];

	if (qstore_open(path("store"), &q, err, sizeof(err)) == -1)
		fail_msg("qstore_open: %s", err);
	return q;
}

/* write_file - create name with n bytes of data and mode */
static void
write_file(const char *p, const void *data, size_t n, mode_t mode)
{
	int	 fd;

	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* read_file - whole file into a malloc'd buffer */
static unsigned char *
read_file(const char *p, size_t *n)
{
	struct stat	 st;
	unsigned char	*b;
	int		 fd;

	assert_true((fd = open(p, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

/* put_file - store the file at p with origin p; returns the id in id */
static int
put_file(struct qstore *q, const char *p, const char *threat, int replace,
    char id[33])
{
	struct qmeta	 m;
	char		 err[256];
	int		 fd, rc;

	memset(&m, 0, sizeof(m));
	m.origin = (char *)p;
	m.threat = (char *)threat;
	m.status = "INFECTED";
	m.reason = replace ? "backup" : "quarantine";
	m.mode = 04755;
	m.uid = 1234;
	m.mtime = 1000000000;
	assert_true((fd = open(p, O_RDONLY)) >= 0);
	rc = qstore_put_fd(q, fd, &m, replace, id, err, sizeof(err));
	if (rc == -1)
		print_message("put: %s\n", err);
	close(fd);
	return rc;
}

/* obj_path - the object file of id */
static const char *
obj_path(const char *id)
{
	static char	 buf[512];

	snprintf(buf, sizeof(buf), "%s/store/%s%s", tdir, id, QSTORE_SUFFIX);
	return buf;
}

/* test_id_valid - exactly 32 lower-case hex digits */
static void
test_id_valid(void **state)
{
	static const struct { const char *id; int ok; } t[] = {
		{ "", 0 },
		{ "../x", 0 },
		{ "0123456789abcdef0123456789abcde", 0 },	/* 31 */
		{ "0123456789abcdef0123456789abcdef0", 0 },	/* 33 */
		{ "0123456789ABCDEF0123456789abcdef", 0 },
		{ "0123456789abcdef0123456789abcde/", 0 },
		{ "../../../../../../../../etc/pass", 0 },
		{ "0123456789abcdef0123456789abcdef", 1 },
		{ "00000000000000000000000000000000", 1 },
	};
	size_t	 i;

	(void)state;
	assert_false(qstore_id_valid(NULL));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(qstore_id_valid(t[i].id), t[i].ok);
}

/* test_key_created - 0600 key and 0700 directory even under umask 000 */
static void
test_key_created(void **state)
{
	struct qstore	*q, *q2;
	struct stat	 st;
	size_t		 n1, n2;
	unsigned char	*k1, *k2;
	mode_t		 old;

	(void)state;
	old = umask(0);
	q = store();
	umask(old);
	assert_int_equal(stat(path("store/" QSTORE_KEYFILE), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(stat(path("store"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	k1 = read_file(path("store/" QSTORE_KEYFILE), &n1);
	qstore_close(q);
	/* reopening keeps the key */
	q2 = store();
	k2 = read_file(path("store/" QSTORE_KEYFILE), &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(k1, k2, n1);
	qstore_close(q2);
	free(k1);
	free(k2);
}

/* test_key_refused - group/other mode, wrong size, not a file */
static void
test_key_refused(void **state)
{
	static const mode_t	 bad[] = { 0640, 0604, 0660, 0644, 0666 };
	struct qstore		*q;
	char			 err[256];
	size_t			 i;

	(void)state;
	qstore_close(store());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(path("store/" QSTORE_KEYFILE), bad[i]),
		    0);
		assert_int_equal(qstore_open(path("store"), &q, err,
		    sizeof(err)), -1);
		assert_null(q);
		assert_int_equal(errno, EPERM);
		assert_non_null(strstr(err, "mode"));
	}
	chmod(path("store/" QSTORE_KEYFILE), 0400);
	qstore_close(store());			/* 0400 is fine */
	chmod(path("store/" QSTORE_KEYFILE), 0600);
	write_file(path("store/" QSTORE_KEYFILE), "short", 5, 0600);
	assert_int_equal(qstore_open(path("store"), &q, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "bytes"));
	unlink(path("store/" QSTORE_KEYFILE));
	assert_int_equal(mkdir(path("store/" QSTORE_KEYFILE), 0700), 0);
	assert_int_equal(qstore_open(path("store"), &q, err, sizeof(err)),
	    -1);
	rmdir(path("store/" QSTORE_KEYFILE));
	assert_int_equal(mkfifo(path("store/" QSTORE_KEYFILE), 0600), 0);
	assert_int_equal(qstore_open(path("store"), &q, err, sizeof(err)),
	    -1);				/* and does not hang */
	/* a store path that is a file */
	write_file(path("plain"), "x", 1, 0600);
	assert_int_equal(qstore_open(path("plain"), &q, err, sizeof(err)),
	    -1);
	assert_int_equal(qstore_open("", &q, err, sizeof(err)), -1);
}

struct count {
	int		 n;
	char		 last[33];
	int64_t		 prev;
};

/* count_cb - count objects, check order */
static int
count_cb(const struct qmeta *m, void *arg)
{
	struct count	*c = arg;

	assert_true(m->stored >= c->prev);
	c->prev = m->stored;
	memcpy(c->last, m->id, 33);
	c->n++;
	return 0;
}

/* test_roundtrip - binary content at every chunk edge */
static void
test_roundtrip(void **state)
{
	static const size_t	 sizes[] = { 0, 1, 65535, 65536, 65537,
	    131072, 1048576 };
	struct qstore		*q;
	struct qmeta		 m;
	struct count		 c;
	struct stat		 st;
	unsigned char		*data, *back;
	char			 id[33], err[256];
	size_t			 i, n;
	int			 fd;

	(void)state;
	q = store();
	data = malloc(1048576);
	assert_non_null(data);
	for (n = 0; n < 1048576; n++)
		data[n] = (unsigned char)(n * 7 + n / 251);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_file(path("in"), data, sizes[i], 0644);
		assert_int_equal(put_file(q, path("in"), "Test.Threat", 0, id),
		    0);
		assert_true(qstore_id_valid(id));
		assert_int_equal(qstore_get(q, id, &m), 0);
		assert_string_equal(m.id, id);
		assert_string_equal(m.origin, path("in"));
		assert_string_equal(m.threat, "Test.Threat");
		assert_string_equal(m.status, "INFECTED");
		assert_string_equal(m.reason, "quarantine");
		assert_null(m.sender);
		assert_int_equal(m.size, sizes[i]);
		assert_int_equal(m.mode, 04755);
		assert_int_equal(m.uid, 1234);
		assert_int_equal(m.mtime, 1000000000);
		assert_true(m.stored > 0);
		qmeta_free(&m);
		fd = open(path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_true(fd >= 0);
		if (qstore_extract_fd(q, id, fd, err, sizeof(err)) == -1)
			fail_msg("extract %zu: %s", sizes[i], err);
		close(fd);
		back = read_file(path("out"), &n);
		assert_int_equal(n, sizes[i]);
		assert_memory_equal(back, data, n);
		free(back);
		assert_int_equal(stat(obj_path(id), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(qstore_list(q, count_cb, &c), 0);
	assert_int_equal(c.n, (int)(sizeof(sizes) / sizeof(sizes[0])));
	free(data);
	qstore_close(q);
}

/* test_no_plaintext - neither content nor metadata readable on disk */
static void
test_no_plaintext(void **state)
{
	struct qstore	*q;
	unsigned char	*obj;
	char		 id[33], data[70000];
	size_t		 n, i;

	(void)state;
	q = store();
	for (i = 0; i + sizeof(MARKER) < sizeof(data); i += sizeof(MARKER))
		memcpy(data + i, MARKER, sizeof(MARKER));
	write_file(path(MARKER), data, i, 0644);
	assert_int_equal(put_file(q, path(MARKER), MARKER "-threat", 0, id),
	    0);
	obj = read_file(obj_path(id), &n);
	assert_memory_equal(obj, QSTORE_MAGIC, QSTORE_MAGICLEN);
	assert_null(memmem(obj, n, MARKER, strlen(MARKER)));
	assert_null(memmem(obj, n, "INFECTED", 8));
	free(obj);
	qstore_close(q);
}

/* extract_fails - extraction of id fails and leaves out empty */
static void
extract_fails(struct qstore *q, const char *id, int want_errno)
{
	struct stat	 st;
	char		 err[256];
	int		 fd;

	fd = open(path("out"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(qstore_extract_fd(q, id, fd, err, sizeof(err)), -1);
	assert_int_equal(errno, want_errno);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 0);
	close(fd);
}

/* test_tamper - any flipped byte or cut fails; nothing usable written */
static void
test_tamper(void **state)
{
	struct qstore	*q;
	unsigned char	*data, *obj;
	char		 id[33];
	size_t		 n, i, at[6];
	int		 fd;

	(void)state;
	q = store();
	data = calloc(1, 200000);
	assert_non_null(data);
	write_file(path("in"), data, 200000, 0644);
	assert_int_equal(put_file(q, path("in"), NULL, 0, id), 0);
	obj = read_file(obj_path(id), &n);
	at[0] = 3;			/* magic */
	at[1] = 10;			/* stream header */
	at[2] = 40;			/* metadata frame */
	at[3] = n / 2;			/* a content frame */
	at[4] = n - 1;			/* the final frame's MAC */
	at[5] = n - 20;
	for (i = 0; i < 6; i++) {
		obj[at[i]] ^= 0x20;
		write_file(obj_path(id), obj, n, 0600);
		extract_fails(q, id, EBADMSG);
		obj[at[i]] ^= 0x20;
	}
	/* truncations: in the last frame, the whole last frame, to 0 */
	write_file(obj_path(id), obj, n - 5, 0600);
	extract_fails(q, id, EBADMSG);
	write_file(obj_path(id), obj, n - (200000 % 65536) - 17 - 4, 0600);
	extract_fails(q, id, EBADMSG);
	write_file(obj_path(id), obj, 0, 0600);
	extract_fails(q, id, EBADMSG);
	/* trailing garbage after FINAL */
	obj = realloc(obj, n + 1);
	obj[n] = 'x';
	write_file(obj_path(id), obj, n + 1, 0600);
	extract_fails(q, id, EBADMSG);
	/* intact again: works */
	write_file(obj_path(id), obj, n, 0600);
	fd = open(path("out"), O_WRONLY | O_TRUNC);
	assert_int_equal(qstore_extract_fd(q, id, fd, NULL, 0), 0);
	close(fd);
	free(obj);
	free(data);
	qstore_close(q);
}

/* test_foreign - an object renamed or moved to another store fails */
static void
test_foreign(void **state)
{
	struct qstore	*q, *q2;
	struct qmeta	 m;
	unsigned char	*obj;
	char		 id[33], err[256];
	const char	*other = "ffffffffffffffffffffffffffffffff";
	size_t		 n;

	(void)state;
	q = store();
	write_file(path("in"), "abc", 3, 0644);
	assert_int_equal(put_file(q, path("in"), NULL, 0, id), 0);
	obj = read_file(obj_path(id), &n);
	write_file(obj_path(other), obj, n, 0600);
	assert_int_equal(qstore_get(q, other, &m), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(qstore_open(path("store2"), &q2, err, sizeof(err)),
	    0);
	write_file(path("store2/x"), "", 0, 0600);
	snprintf(err, sizeof(err), "%s/store2/%s%s", tdir, id, QSTORE_SUFFIX);
	write_file(err, obj, n, 0600);
	assert_int_equal(qstore_get(q2, id, &m), -1);
	assert_int_equal(errno, EBADMSG);
	free(obj);
	qstore_close(q2);
	qstore_close(q);
}

/* test_replace - same origin with replace: one object, newest content */
static void
test_replace(void **state)
{
	struct qstore	*q;
	struct count	 c;
	unsigned char	*back;
	char		 id1[33], id2[33], id3[33], err[256];
	size_t		 n;
	int		 fd;

	(void)state;
	q = store();
	write_file(path("in"), "first version", 13, 0644);
	assert_int_equal(put_file(q, path("in"), NULL, 1, id1), 0);
	write_file(path("in"), "second", 6, 0644);
	assert_int_equal(put_file(q, path("in"), NULL, 1, id2), 0);
	assert_string_equal(id1, id2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(qstore_list(q, count_cb, &c), 0);
	assert_int_equal(c.n, 1);
	fd = open(path("out"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(qstore_extract_fd(q, id2, fd, err, sizeof(err)), 0);
	close(fd);
	back = read_file(path("out"), &n);
	assert_int_equal(n, 6);
	assert_memory_equal(back, "second", 6);
	free(back);
	/* without replace: a new object every time */
	assert_int_equal(put_file(q, path("in"), NULL, 0, id3), 0);
	assert_string_not_equal(id3, id1);
	memset(&c, 0, sizeof(c));
	assert_int_equal(qstore_list(q, count_cb, &c), 0);
	assert_int_equal(c.n, 2);
	/* another origin, another id */
	write_file(path("in2"), "x", 1, 0644);
	assert_int_equal(put_file(q, path("in2"), NULL, 1, id3), 0);
	assert_string_not_equal(id3, id1);
	qstore_close(q);
}

/* test_restore - refuse overwrite, then overwrite; mode without setuid */
static void
test_restore(void **state)
{
	struct qstore	*q;
	struct stat	 st;
	unsigned char	*back;
	char		 id[33], err[256];
	size_t		 n;

	(void)state;
	q = store();
	write_file(path("orig"), "payload", 7, 0600);
	assert_int_equal(put_file(q, path("orig"), NULL, 0, id), 0);
	assert_int_equal(qstore_restore(q, id, NULL, 0, err, sizeof(err)), -1);
	assert_int_equal(errno, EEXIST);
	back = read_file(path("orig"), &n);
	assert_int_equal(n, 7);
	free(back);
	write_file(path("other"), "keep", 4, 0600);
	assert_int_equal(qstore_restore(q, id, path("other"), 0, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EEXIST);
	back = read_file(path("other"), &n);
	assert_memory_equal(back, "keep", 4);
	free(back);
	/* a dangling symlink counts as existing */
	assert_int_equal(symlink("/nonexistent", path("link")), 0);
	assert_int_equal(qstore_restore(q, id, path("link"), 0, err,
	    sizeof(err)), -1);
	assert_int_equal(qstore_restore(q, id, path("other"), 1, err,
	    sizeof(err)), 0);
	back = read_file(path("other"), &n);
	assert_int_equal(n, 7);
	assert_memory_equal(back, "payload", 7);
	free(back);
	assert_int_equal(stat(path("other"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);	/* 04755 stored */
	assert_int_equal(st.st_mtime, 1000000000);
	/* to the origin once it is gone; the object stays */
	unlink(path("orig"));
	assert_int_equal(qstore_restore(q, id, NULL, 0, err, sizeof(err)), 0);
	back = read_file(path("orig"), &n);
	assert_memory_equal(back, "payload", 7);
	free(back);
	assert_int_equal(access(obj_path(id), F_OK), 0);
	/* bad destinations */
	assert_int_equal(qstore_restore(q, id, path("nodir/x"), 0, err,
	    sizeof(err)), -1);
	assert_int_equal(qstore_restore(q, id, path(""), 0, err,
	    sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(qstore_restore(q, id, path(".."), 1, err,
	    sizeof(err)), -1);
	/* no temporary files left behind */
	assert_int_equal(access(path("other"), F_OK), 0);
	qstore_close(q);
}

/* test_bad_ids - refused before touching the file system */
static void
test_bad_ids(void **state)
{
	static const char *const bad[] = { "", "../x", "../store.key",
	    "../../../../../../../etc/passwd",
	    "0123456789ABCDEF0123456789abcdef",
	    "0123456789abcdef0123456789abcdef/" };
	struct qstore	*q;
	struct qmeta	 m;
	char		 err[256];
	size_t		 i;

	(void)state;
	q = store();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(qstore_get(q, bad[i], &m), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(qstore_extract_fd(q, bad[i], 1, err,
		    sizeof(err)), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(qstore_restore(q, bad[i], path("x"), 1, err,
		    sizeof(err)), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(qstore_delete(q, bad[i]), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(access(path("store/" QSTORE_KEYFILE), F_OK), 0);
	assert_int_equal(qstore_get(q, "0123456789abcdef0123456789abcdef",
	    &m), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(qstore_delete(q, "0123456789abcdef0123456789abcdef"),
	    -1);
	assert_int_equal(errno, ENOENT);
	qstore_close(q);
}

/* test_list_skips - garbage objects and stray files are skipped */
static void
test_list_skips(void **state)
{
	struct qstore	*q;
	struct count	 c;
	char		 id[33];

	(void)state;
	q = store();
	write_file(path("in"), "abc", 3, 0644);
	assert_int_equal(put_file(q, path("in"), NULL, 0, id), 0);
	write_file(obj_path("0123456789abcdef0123456789abcdef"), "junk", 4,
	    0600);
	write_file(obj_path("00000000000000000000000000000000"),
	    QSTORE_MAGIC "0123456789012345678901234\0\0\0\0", 36, 0600);
	write_file(path("store/README"), "x", 1, 0600);
	assert_int_equal(mkdir(path("store/" "11111111111111111111111111111111"
	    QSTORE_SUFFIX), 0700), 0);
	assert_int_equal(mkfifo(path("store/" "22222222222222222222222222222222"
	    QSTORE_SUFFIX), 0600), 0);	/* must not hang the walk */
	memset(&c, 0, sizeof(c));
	assert_int_equal(qstore_list(q, count_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.last, id);
	qstore_close(q);
}

/* stop_cb - stop the walk at once */
static int
stop_cb(const struct qmeta *m, void *arg)
{
	(void)m; (void)arg;
	return 7;
}

/* test_delete_purge - delete one, purge by age, purge all */
static void
test_delete_purge(void **state)
{
	struct qstore	*q;
	struct count	 c;
	char		 id[33];
	int		 i;

	(void)state;
	q = store();
	assert_int_equal(qstore_purge(q, 0), 0);	/* empty */
	write_file(path("in"), "abc", 3, 0644);
	for (i = 0; i < 4; i++)
		assert_int_equal(put_file(q, path("in"), NULL, 0, id), 0);
	assert_int_equal(qstore_list(q, stop_cb, NULL), 7);
	assert_int_equal(qstore_delete(q, id), 0);
	assert_int_equal(access(obj_path(id), F_OK), -1);
	assert_int_equal(qstore_purge(q, 1), 0);	/* nothing that old */
	assert_int_equal(qstore_purge(q, (int64_t)time(NULL) - 3600), 0);
	assert_int_equal(qstore_purge(q, (int64_t)time(NULL) + 10), 3);
	for (i = 0; i < 2; i++)
		assert_int_equal(put_file(q, path("in"), NULL, 0, id), 0);
	write_file(obj_path("0123456789abcdef0123456789abcdef"), "junk", 4,
	    0600);
	assert_int_equal(qstore_purge(q, (int64_t)time(NULL) + 10), 2);
	assert_int_equal(qstore_purge(q, 0), 1);	/* unreadable too */
	memset(&c, 0, sizeof(c));
	assert_int_equal(qstore_list(q, count_cb, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(access(path("store/" QSTORE_KEYFILE), F_OK), 0);
	qstore_close(q);
}

/* test_put_errors - missing fields, a directory, a pipe */
static void
test_put_errors(void **state)
{
	struct qstore	*q;
	struct qmeta	 m;
	char		 id[33], err[256], *big;
	int		 fd, p[2];

	(void)state;
	q = store();
	memset(&m, 0, sizeof(m));
	write_file(path("in"), "abc", 3, 0644);
	fd = open(path("in"), O_RDONLY);
	m.status = "INFECTED";
	assert_int_equal(qstore_put_fd(q, fd, &m, 0, id, err, sizeof(err)),
	    -1);
	m.origin = "x";
	m.status = NULL;
	assert_int_equal(qstore_put_fd(q, fd, &m, 0, id, err, sizeof(err)),
	    -1);
	m.status = "INFECTED";
	big = malloc(QMETA_MAX + 1);
	memset(big, 'a', QMETA_MAX);
	big[QMETA_MAX] = '\0';
	m.origin = big;
	assert_int_equal(qstore_put_fd(q, fd, &m, 0, id, err, sizeof(err)),
	    -1);
	assert_int_equal(errno, E2BIG);
	free(big);
	m.origin = "x";
	assert_int_equal(qstore_put_fd(q, -1, &m, 0, id, err, sizeof(err)),
	    -1);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(qstore_put_fd(q, p[0], &m, 0, id, err, sizeof(err)),
	    -1);
	assert_int_equal(errno, EINVAL);
	close(p[0]);
	close(p[1]);
	close(fd);
	assert_int_equal(qstore_purge(q, 0), 0);	/* nothing stored */
	qstore_close(q);
}

#define ID	"id=0123456789abcdef0123456789abcdef\n"
#define MIN	ID "origin=/x\nstatus=INFECTED\nstored=1\nsize=0\n"

/* test_parse - the metadata parser on valid and broken text */
static void
test_parse(void **state)
{
	static const struct { const char *text; int ok; } t[] = {
		{ "", 0 },
		{ "\n", 0 },
		{ MIN, 1 },
		{ ID "origin=/x\nstatus=INFECTED\nstored=1\nsize=0", 0 },
		{ ID "origin=/x\nstatus=INFECTED\nstored=1\n", 0 },
		{ ID "status=INFECTED\nstored=1\nsize=0\n", 0 },
		{ MIN "size=0\n", 0 },			/* repeated */
		{ MIN "future_key=whatever\n", 1 },
		{ MIN "Bad=1\n", 0 },
		{ MIN "=1\n", 0 },
		{ MIN "noequals\n", 0 },
		{ MIN "threat=a\\nb\\\\c\n", 1 },
		{ MIN "threat=a\\tb\n", 0 },
		{ MIN "threat=trailing\\\n", 0 },
		{ MIN "threat=\n", 1 },
		{ MIN "threat=a=b\n", 1 },
		{ MIN "uid=4294967295\n", 1 },
		{ MIN "uid=4294967296\n", 0 },
		{ MIN "uid=-1\n", 0 },
		{ MIN "uid=\n", 0 },
		{ MIN "uid= 1\n", 0 },
		{ MIN "uid=+1\n", 0 },
		{ MIN "mode=07777\n", 1 },
		{ MIN "mode=010000\n", 0 },
		{ MIN "mode=8\n", 0 },
		{ MIN "mtime=-9223372036854775808\n", 1 },
		{ MIN "mtime=-9223372036854775809\n", 0 },
		{ MIN "mtime=9223372036854775807\n", 1 },
		{ MIN "mtime=9223372036854775808\n", 0 },
		{ MIN "mtime=-\n", 0 },
		{ "id=0123456789abcdef0123456789abcdeF\norigin=/x\n"
		    "status=I\nstored=1\nsize=0\n", 0 },
		{ "id=0123456789abcdef0123456789abcde\norigin=/x\n"
		    "status=I\nstored=1\nsize=0\n", 0 },
		{ "id=../../etc/passwd\norigin=/x\nstatus=I\nstored=1\n"
		    "size=0\n", 0 },
		{ ID "origin=/x\nstatus=I\nstored=1\n"
		    "size=18446744073709551615\n", 1 },
		{ ID "origin=/x\nstatus=I\nstored=1\n"
		    "size=18446744073709551616\n", 0 },
	};
	struct qmeta	 m;
	size_t		 i;
	char		*big;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (qmeta_parse(t[i].text, strlen(t[i].text), &m) !=
		    (t[i].ok ? 0 : -1))
			fail_msg("case %zu: %s", i, t[i].text);
		qmeta_free(&m);
	}
	/* embedded NUL */
	assert_int_equal(qmeta_parse(MIN "threat=a\0b\n",
	    sizeof(MIN "threat=a\0b\n") - 1, &m), -1);
	/* not NUL-terminated: parse exactly len bytes */
	assert_int_equal(qmeta_parse(MIN "junk", strlen(MIN), &m), 0);
	assert_string_equal(m.origin, "/x");
	assert_int_equal(m.stored, 1);
	qmeta_free(&m);
	assert_int_equal(qmeta_parse(MIN "threat=a\\nb\\\\c\n",
	    strlen(MIN "threat=a\\nb\\\\c\n"), &m), 0);
	assert_string_equal(m.threat, "a\nb\\c");
	qmeta_free(&m);
	/* max and max+1 */
	big = malloc(QMETA_MAX + 1);
	memset(big, 'a', QMETA_MAX + 1);
	memcpy(big, MIN "threat=", strlen(MIN "threat="));
	big[QMETA_MAX - 1] = '\n';
	assert_int_equal(qmeta_parse(big, QMETA_MAX, &m), 0);
	assert_int_equal(strlen(m.threat), QMETA_MAX - 1 -
	    strlen(MIN "threat="));
	qmeta_free(&m);
	big[QMETA_MAX] = '\n';
	assert_int_equal(qmeta_parse(big, QMETA_MAX + 1, &m), -1);
	free(big);
	qmeta_free(NULL);
}

/* test_format_roundtrip - format then parse gives the same fields */
static void
test_format_roundtrip(void **state)
{
	struct qmeta	 m, b;
	char		*text;
	size_t		 n;

	(void)state;
	memset(&m, 0, sizeof(m));
	strcpy(m.id, "abcdef0123456789abcdef0123456789");
	m.origin = "mail from a@b to c@d\nwith \\ and = and \t";
	m.status = "SUSPICIOUS";
	m.sender = "a@b";
	m.recipients = "c@d, e@f";
	m.url = "http://x/\\n";
	m.uid = UINT32_MAX;
	m.gid = 5;
	m.mode = 0644;
	m.mtime = INT64_MIN;
	m.stored = -1;
	m.size = UINT64_MAX;
	assert_int_equal(qmeta_format(&m, &text, &n), 0);
	assert_int_equal(strlen(text), n);
	assert_int_equal(qmeta_parse(text, n, &b), 0);
	assert_string_equal(b.id, m.id);
	assert_string_equal(b.origin, m.origin);
	assert_string_equal(b.status, m.status);
	assert_null(b.threat);
	assert_null(b.reason);
	assert_string_equal(b.sender, m.sender);
	assert_string_equal(b.recipients, m.recipients);
	assert_string_equal(b.url, m.url);
	assert_int_equal(b.uid, m.uid);
	assert_int_equal(b.gid, m.gid);
	assert_int_equal(b.mode, m.mode);
	assert_true(b.mtime == m.mtime);
	assert_true(b.stored == m.stored);
	assert_true(b.size == m.size);
	qmeta_free(&b);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test_setup_teardown(test_key_created, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_key_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_no_plaintext, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_skips, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delete_purge, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_errors, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
