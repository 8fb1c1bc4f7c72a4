/*
 * qstore.c - the encrypted quarantine and backup store (format: qstore.h)
 *
 * DESIGN: a store is a directory file descriptor plus the key; every path
 * is opened relative to that descriptor, and object names are built only
 * from ids that passed qstore_id_valid(), so no caller-supplied text
 * reaches the file system except a restore destination.  An object is
 * one secretstream: the metadata frame, then content frames, the last one
 * tagged FINAL.  Writers put everything into a temporary file, fsync it
 * and rename it over ID.vq, so a reader sees either the old or the new
 * object, never a mix; the key file is published the same way (link(2)
 * fails when another process won the race, and both then read the
 * winner's key).  Readers authenticate each frame before using it:
 * extraction writes a chunk only after it verified and cuts the output
 * back on any later failure; a missing FINAL frame is truncation.
 * Limits: a frame is at most QSTORE_CHUNK plain bytes, the metadata at
 * most QMETA_MAX, a content read stops once it exceeds the size fstat()
 * gave; memory per open object is two frame buffers.
 *
 * Why hand-written: libsodium gives the stream cipher and its framing of
 * tags, not a file format, an object store or atomic replacement; the
 * metadata is a dozen key=value lines, smaller than any serialisation
 * library's glue.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "fdio.h"
#include "qstore.h"
#include "strbuf.h"

#define SS_ABYTES	crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HEADERBYTES	crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define SS_KEYBYTES	crypto_secretstream_xchacha20poly1305_KEYBYTES
#define TAG_MESSAGE	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define FRAME_MAX	(QSTORE_CHUNK + SS_ABYTES)	/* ciphertext */
#define TMP_PREFIX	".tmp."
#define TMP_STALE	3600	/* seconds until purge takes a temp file */
#define NAMELEN		64

_Static_assert(QMETA_MAX <= QSTORE_CHUNK, "metadata fits one frame");

typedef crypto_secretstream_xchacha20poly1305_state	ss_state;

struct qstore {
	int		 dirfd;
	char		*dir;		/* for messages */
	unsigned char	 key[SS_KEYBYTES];
};

/* one object being read: the stream state and its two frame buffers */
struct qreader {
	int		 fd;
	ss_state	 st;
	unsigned char	*cbuf;		/* FRAME_MAX, ciphertext */
	unsigned char	*pbuf;		/* QSTORE_CHUNK, plain */
};

/* metadata fields, in the order they are written */
enum qf_type { QF_ID, QF_STR, QF_U32, QF_MODE, QF_I64, QF_U64 };

struct qfield {
	const char	*key;
	enum qf_type	 type;
	size_t		 off;
	int		 required;
};

#define F(k, t, m, r)	{ k, t, offsetof(struct qmeta, m), r }
static const struct qfield qfields[] = {
	F("id",		QF_ID,	 id,		1),
	F("origin",	QF_STR,	 origin,	1),
	F("threat",	QF_STR,	 threat,	0),
	F("status",	QF_STR,	 status,	1),
	F("reason",	QF_STR,	 reason,	0),
	F("sender",	QF_STR,	 sender,	0),
	F("recipients",	QF_STR,	 recipients,	0),
	F("url",	QF_STR,	 url,		0),
	F("uid",	QF_U32,	 uid,		0),
	F("gid",	QF_U32,	 gid,		0),
	F("mode",	QF_MODE, mode,		0),
	F("mtime",	QF_I64,	 mtime,		0),
	F("stored",	QF_I64,	 stored,	1),
	F("size",	QF_U64,	 size,		1),
};
#undef F
#define NFIELDS	(sizeof(qfields) / sizeof(qfields[0]))

/* qerr - put a message into err and set errno to e; returns -1 */
static int __attribute__((format(printf, 4, 5)))
qerr(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
	return -1;
}

/*
 * read_full - read up to n bytes, fewer only at EOF; with off, pread from
 * *off and advance it.  Returns the count or -1.
 */
static ssize_t
read_full(int fd, void *buf, size_t n, off_t *off)
{
	unsigned char	*p = buf;
	size_t		 got = 0;
	ssize_t		 r;

	while (got < n) {
		r = off != NULL ? pread(fd, p + got, n - got, *off) :
		    read(fd, p + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
		if (off != NULL)
			*off += r;
	}
	return (ssize_t)got;
}

/* qstore_id_valid - exactly 32 lower-case hex digits */
int
qstore_id_valid(const char *id)
{
	size_t	 i;

	if (id == NULL)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[32] == '\0';
}

/* obj_name - the file name of a valid id */
static void
obj_name(const char *id, char name[NAMELEN])
{
	snprintf(name, NAMELEN, "%s%s", id, QSTORE_SUFFIX);
}

/* name_id - the id of an object file name, or 0 when name is not one */
static int
name_id(const char *name, char id[33])
{
	if (strlen(name) != 32 + strlen(QSTORE_SUFFIX) ||
	    strcmp(name + 32, QSTORE_SUFFIX) != 0)
		return 0;
	memcpy(id, name, 32);
	id[32] = '\0';
	return qstore_id_valid(id);
}

/* tmp_create - a new file prefix<random> in dirfd, 0600 whatever umask */
static int
tmp_create(int dirfd, const char *prefix, char *name, size_t len)
{
	unsigned char	 r[8];
	char		 hex[2 * sizeof(r) + 1];
	int		 fd, i, e;

	for (i = 0; i < 16; i++) {
		randombytes_buf(r, sizeof(r));
		sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
		snprintf(name, len, "%s%s", prefix, hex);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno == EEXIST)
			continue;
		if (fd != -1 && fchmod(fd, 0600) == -1) {
			e = errno;
			close(fd);
			unlinkat(dirfd, name, 0);
			errno = e;
			fd = -1;
		}
		if (fd == -1)
			name[0] = '\0';
		return fd;
	}
	name[0] = '\0';
	errno = EEXIST;
	return -1;
}

/* key_read - load DIR/store.key; -1 + ENOENT (no message) if absent */
static int
key_read(struct qstore *q, char *err, size_t errlen)
{
	struct stat	 st;
	int		 fd, rc = -1;

	/* O_NONBLOCK: a FIFO in its place must not hang us */
	fd = openat(q->dirfd, QSTORE_KEYFILE, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return -1;
		return qerr(err, errlen, errno, "%s/%s: %s", q->dir,
		    QSTORE_KEYFILE, strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		qerr(err, errlen, errno, "%s/%s: %s", q->dir, QSTORE_KEYFILE,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		qerr(err, errlen, EINVAL, "%s/%s: not a regular file",
		    q->dir, QSTORE_KEYFILE);
	else if ((st.st_mode & 077) != 0)
		qerr(err, errlen, EPERM, "%s/%s: mode %04o gives group or "
		    "other access (want 0600)", q->dir, QSTORE_KEYFILE,
		    (unsigned)(st.st_mode & 07777));
	else if (st.st_size != SS_KEYBYTES)
		qerr(err, errlen, EINVAL, "%s/%s: %lld bytes, want %d",
		    q->dir, QSTORE_KEYFILE, (long long)st.st_size,
		    SS_KEYBYTES);
	else if (read_full(fd, q->key, SS_KEYBYTES, NULL) != SS_KEYBYTES)
		qerr(err, errlen, errno ? errno : EIO, "%s/%s: short read",
		    q->dir, QSTORE_KEYFILE);
	else
		rc = 0;
	close(fd);
	return rc;
}

/* key_create - publish a new random key unless one appeared meanwhile */
static int
key_create(struct qstore *q, char *err, size_t errlen)
{
	unsigned char	 key[SS_KEYBYTES];
	char		 tmp[NAMELEN];
	int		 fd, rc = -1;

	if ((fd = tmp_create(q->dirfd, TMP_PREFIX, tmp, sizeof(tmp))) == -1)
		return qerr(err, errlen, errno, "%s: cannot create a key: %s",
		    q->dir, strerror(errno));
	crypto_secretstream_xchacha20poly1305_keygen(key);
	if (fd_write_all(fd, key, sizeof(key)) == -1 || fsync(fd) == -1) {
		qerr(err, errlen, errno, "%s: writing the key: %s", q->dir,
		    strerror(errno));
		goto out;
	}
	/* link(2) is the O_EXCL of a complete file */
	if (linkat(q->dirfd, tmp, q->dirfd, QSTORE_KEYFILE, 0) == -1 &&
	    errno != EEXIST) {
		qerr(err, errlen, errno, "%s/%s: %s", q->dir, QSTORE_KEYFILE,
		    strerror(errno));
		goto out;
	}
	(void)fsync(q->dirfd);
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	close(fd);
	unlinkat(q->dirfd, tmp, 0);
	return rc;
}

/* qstore_open - open or create a store directory and its key */
int
qstore_open(const char *dir, struct qstore **out, char *err, size_t errlen)
{
	struct qstore	*q = NULL;
	int		 rc = -1, e;

	*out = NULL;
	if (sodium_init() == -1)
		return qerr(err, errlen, EIO, "libsodium: cannot initialise");
	if (dir == NULL || dir[0] == '\0')
		return qerr(err, errlen, EINVAL, "no store directory");
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) == -1)	/* whatever the umask */
			return qerr(err, errlen, errno, "%s: %s", dir,
			    strerror(errno));
	} else if (errno != EEXIST)
		return qerr(err, errlen, errno, "%s: %s", dir, strerror(errno));
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return qerr(err, errlen, ENOMEM, "out of memory");
	q->dirfd = -1;
	if ((q->dir = strdup(dir)) == NULL) {
		qerr(err, errlen, ENOMEM, "out of memory");
		goto out;
	}
	q->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (q->dirfd == -1) {
		qerr(err, errlen, errno, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (key_read(q, err, errlen) == -1 && (errno != ENOENT ||
	    key_create(q, err, errlen) == -1 ||
	    key_read(q, err, errlen) == -1))
		goto out;
	*out = q;
	q = NULL;
	rc = 0;
out:
	e = errno;
	qstore_close(q);
	errno = e;
	return rc;
}

/* qstore_close - release the store and wipe the key */
void
qstore_close(struct qstore *q)
{
	if (q == NULL)
		return;
	if (q->dirfd >= 0)
		close(q->dirfd);
	sodium_memzero(q->key, sizeof(q->key));
	free(q->dir);
	free(q);
}

/* qmeta_free - free the strings and zero the struct */
void
qmeta_free(struct qmeta *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < NFIELDS; i++)
		if (qfields[i].type == QF_STR)
			free(*(char **)((char *)m + qfields[i].off));
	memset(m, 0, sizeof(*m));
}

/* fmt_str - append key=value with \n and \\ escaped */
static int
fmt_str(struct strbuf *sb, const char *key, const char *v)
{
	int	 rc;

	rc = strbuf_printf(sb, "%s=", key);
	for (; rc == 0 && *v != '\0'; v++) {
		if (*v == '\n')
			rc = strbuf_append(sb, "\\n", 2);
		else if (*v == '\\')
			rc = strbuf_append(sb, "\\\\", 2);
		else
			rc = strbuf_addc(sb, *v);
	}
	return rc == 0 ? strbuf_addc(sb, '\n') : rc;
}

/* fmt_field - append one field of m; absent strings are skipped */
static int
fmt_field(struct strbuf *sb, const struct qfield *f, const struct qmeta *m)
{
	const void	*p = (const char *)m + f->off;

	switch (f->type) {
	case QF_ID:
		return strbuf_printf(sb, "%s=%s\n", f->key, (const char *)p);
	case QF_STR:
		if (*(char *const *)p == NULL)
			return 0;
		return fmt_str(sb, f->key, *(char *const *)p);
	case QF_U32:
		return strbuf_printf(sb, "%s=%u\n", f->key,
		    (unsigned)*(const uint32_t *)p);
	case QF_MODE:
		return strbuf_printf(sb, "%s=0%o\n", f->key,
		    (unsigned)(*(const uint32_t *)p & 07777));
	case QF_I64:
		return strbuf_printf(sb, "%s=%lld\n", f->key,
		    (long long)*(const int64_t *)p);
	case QF_U64:
		return strbuf_printf(sb, "%s=%llu\n", f->key,
		    (unsigned long long)*(const uint64_t *)p);
	}
	return -1;
}

/* qmeta_format - the metadata text of m */
int
qmeta_format(const struct qmeta *m, char **out, size_t *outlen)
{
	struct strbuf	 sb;
	size_t		 i;

	strbuf_init(&sb, QMETA_MAX);
	for (i = 0; i < NFIELDS; i++)
		if (fmt_field(&sb, &qfields[i], m) == -1) {
			strbuf_fini(&sb);
			return -1;
		}
	*outlen = sb.len;
	if ((*out = strbuf_steal(&sb)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* parse_u64 - decimal digits (octal with base 8) up to max */
static int
parse_u64(const char *s, size_t n, unsigned base, uint64_t max,
    uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;
	unsigned	 d;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || d >= base || v > (max - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* parse_i64 - optional '-', then decimal digits */
static int
parse_i64(const char *s, size_t n, int64_t *out)
{
	uint64_t	 v;

	if (n > 0 && s[0] == '-') {
		if (parse_u64(s + 1, n - 1, 10, (uint64_t)INT64_MAX + 1,
		    &v) == -1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)v;
		return 0;
	}
	if (parse_u64(s, n, 10, INT64_MAX, &v) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* parse_str - unescape \n and \\ into a new string; NUL is an error */
static char *
parse_str(const char *s, size_t n)
{
	char	*d, *o;
	size_t	 i;

	if ((d = o = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			goto bad;
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i == n || (s[i] != 'n' && s[i] != '\\'))
			goto bad;
		*o++ = s[i] == 'n' ? '\n' : '\\';
	}
	*o = '\0';
	return d;
bad:
	free(d);
	errno = EBADMSG;
	return NULL;
}

/* field_set - parse one value into m */
static int
field_set(struct qmeta *m, const struct qfield *f, const char *v, size_t n)
{
	void		*p = (char *)m + f->off;
	uint64_t	 u;

	switch (f->type) {
	case QF_ID:
		if (n != 32)
			return -1;
		memcpy(p, v, 32);
		((char *)p)[32] = '\0';
		return qstore_id_valid(p) ? 0 : -1;
	case QF_STR:
		return (*(char **)p = parse_str(v, n)) == NULL ? -1 : 0;
	case QF_U32:
	case QF_MODE:
		if (parse_u64(v, n, f->type == QF_MODE ? 8 : 10,
		    f->type == QF_MODE ? 07777 : UINT32_MAX, &u) == -1)
			return -1;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case QF_I64:
		return parse_i64(v, n, p);
	case QF_U64:
		return parse_u64(v, n, 10, UINT64_MAX, p);
	}
	return -1;
}

/* field_find - the field named by n bytes at k, NULL if unknown */
static const struct qfield *
field_find(const char *k, size_t n)
{
	size_t	 i;

	for (i = 0; i < NFIELDS; i++)
		if (strlen(qfields[i].key) == n &&
		    memcmp(qfields[i].key, k, n) == 0)
			return &qfields[i];
	return NULL;
}

/* key_ok - a key is 1..32 of [a-z0-9_] */
static int
key_ok(const char *k, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

/* qmeta_parse - untrusted "key=value\n" lines into out */
int
qmeta_parse(const char *buf, size_t len, struct qmeta *out)
{
	const char		*p = buf, *end = buf + len, *nl, *eq;
	const struct qfield	*f;
	uint32_t		 seen = 0, bit;
	size_t			 i;

	memset(out, 0, sizeof(*out));
	if (len > QMETA_MAX)
		goto bad;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (eq = memchr(p, '=', (size_t)(nl - p))) == NULL ||
		    !key_ok(p, (size_t)(eq - p)))
			goto bad;
		if ((f = field_find(p, (size_t)(eq - p))) != NULL) {
			bit = 1u << (f - qfields);
			if ((seen & bit) != 0 ||
			    field_set(out, f, eq + 1, (size_t)(nl - eq - 1))
			    == -1)
				goto bad;
			seen |= bit;
		}
		p = nl + 1;
	}
	for (i = 0; i < NFIELDS; i++)
		if (qfields[i].required && (seen & (1u << i)) == 0)
			goto bad;
	return 0;
bad:
	qmeta_free(out);
	errno = EBADMSG;
	return -1;
}

/* frame_put - encrypt n bytes at p as one length-prefixed frame */
static int
frame_put(int fd, ss_state *st, unsigned char *cbuf, const void *p,
    size_t n, unsigned char tag)
{
	unsigned long long	 clen;

	crypto_secretstream_xchacha20poly1305_push(st, cbuf + 4, &clen, p,
	    n, NULL, 0, tag);
	cbuf[0] = (unsigned char)(clen >> 24);
	cbuf[1] = (unsigned char)(clen >> 16);
	cbuf[2] = (unsigned char)(clen >> 8);
	cbuf[3] = (unsigned char)clen;
	return fd_write_all(fd, cbuf, (size_t)clen + 4);
}

/* qr_frame - read and authenticate the next frame into r->pbuf */
static int
qr_frame(struct qreader *r, size_t *n, unsigned char *tag, char *err,
    size_t errlen)
{
	unsigned char		 len[4];
	unsigned long long	 mlen;
	size_t			 clen;
	ssize_t			 got;

	if ((got = read_full(r->fd, len, 4, NULL)) == -1)
		return qerr(err, errlen, errno, "read: %s", strerror(errno));
	if (got < 4)
		return qerr(err, errlen, EBADMSG, "truncated object (no "
		    "final chunk)");
	clen = (size_t)len[0] << 24 | (size_t)len[1] << 16 |
	    (size_t)len[2] << 8 | len[3];
	if (clen < SS_ABYTES || clen > FRAME_MAX)
		return qerr(err, errlen, EBADMSG, "corrupt object (chunk "
		    "length %zu)", clen);
	if ((got = read_full(r->fd, r->cbuf, clen, NULL)) == -1)
		return qerr(err, errlen, errno, "read: %s", strerror(errno));
	if ((size_t)got != clen)
		return qerr(err, errlen, EBADMSG, "truncated object (short "
		    "chunk)");
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->pbuf, &mlen,
	    tag, r->cbuf, clen, NULL, 0) != 0)
		return qerr(err, errlen, EBADMSG, "authentication failed "
		    "(object corrupt or not of this store)");
	*n = (size_t)mlen;
	return 0;
}

/* qr_close - release a reader; safe on a zeroed or half-open one */
static void
qr_close(struct qreader *r)
{
	if (r->fd != -1)
		close(r->fd);
	if (r->pbuf != NULL)
		sodium_memzero(r->pbuf, QSTORE_CHUNK);
	free(r->cbuf);
	free(r->pbuf);
	sodium_memzero(&r->st, sizeof(r->st));
	r->fd = -1;
	r->cbuf = r->pbuf = NULL;
}

/* qr_start - check the magic and header of an open object */
static int
qr_start(struct qstore *q, struct qreader *r, char *err, size_t errlen)
{
	unsigned char	 hdr[QSTORE_MAGICLEN + SS_HEADERBYTES];
	ssize_t		 got;

	if ((r->cbuf = malloc(FRAME_MAX)) == NULL ||
	    (r->pbuf = malloc(QSTORE_CHUNK)) == NULL)
		return qerr(err, errlen, ENOMEM, "out of memory");
	if ((got = read_full(r->fd, hdr, sizeof(hdr), NULL)) == -1)
		return qerr(err, errlen, errno, "read: %s", strerror(errno));
	if ((size_t)got != sizeof(hdr) ||
	    memcmp(hdr, QSTORE_MAGIC, QSTORE_MAGICLEN) != 0)
		return qerr(err, errlen, EBADMSG, "not a quarantine object");
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st,
	    hdr + QSTORE_MAGICLEN, q->key) != 0)
		return qerr(err, errlen, EBADMSG, "bad stream header");
	return 0;
}

/* obj_open - open object id and read its metadata into m */
static int
obj_open(struct qstore *q, const char *id, struct qreader *r,
    struct qmeta *m, char *err, size_t errlen)
{
	struct stat	 st;
	char		 name[NAMELEN];
	size_t		 n;
	unsigned char	 tag;
	int		 e;

	memset(r, 0, sizeof(*r));
	memset(m, 0, sizeof(*m));
	r->fd = -1;
	if (!qstore_id_valid(id))
		return qerr(err, errlen, EINVAL, "invalid id (want 32 hex "
		    "digits)");
	obj_name(id, name);
	r->fd = openat(q->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (r->fd == -1)
		return qerr(err, errlen, errno, "%s: %s", id,
		    errno == ENOENT ? "no such object" : strerror(errno));
	if (fstat(r->fd, &st) == -1 || !S_ISREG(st.st_mode))
		qerr(err, errlen, EBADMSG, "%s: not a regular file", id);
	else if (qr_start(q, r, err, errlen) == -1 ||
	    qr_frame(r, &n, &tag, err, errlen) == -1)
		;
	else if (tag != TAG_MESSAGE)
		qerr(err, errlen, EBADMSG, "%s: metadata chunk tag %u", id,
		    tag);
	else if (qmeta_parse((const char *)r->pbuf, n, m) == -1)
		qerr(err, errlen, EBADMSG, "%s: metadata does not parse", id);
	else if (strcmp(m->id, id) != 0)
		qerr(err, errlen, EBADMSG, "%s: object claims id %s", id,
		    m->id);
	else
		return 0;
	e = errno;
	qmeta_free(m);
	qr_close(r);
	errno = e;
	return -1;
}

/* obj_copy - authenticated content of an open object into out_fd */
static int
obj_copy(struct qreader *r, const struct qmeta *m, int out_fd, char *err,
    size_t errlen)
{
	uint64_t	 total = 0;
	size_t		 n;
	unsigned char	 tag, extra;

	do {
		if (qr_frame(r, &n, &tag, err, errlen) == -1)
			return -1;
		if (tag != TAG_MESSAGE && tag != TAG_FINAL)
			return qerr(err, errlen, EBADMSG, "chunk tag %u", tag);
		if ((total += n) > m->size)
			return qerr(err, errlen, EBADMSG, "content longer "
			    "than its recorded size %llu",
			    (unsigned long long)m->size);
		if (fd_write_all(out_fd, r->pbuf, n) == -1)
			return qerr(err, errlen, errno, "write: %s",
			    strerror(errno));
	} while (tag != TAG_FINAL);
	if (total != m->size)
		return qerr(err, errlen, EBADMSG, "content of %llu bytes, "
		    "recorded size %llu", (unsigned long long)total,
		    (unsigned long long)m->size);
	if (read_full(r->fd, &extra, 1, NULL) != 0)
		return qerr(err, errlen, EBADMSG, "data after the final "
		    "chunk");
	return 0;
}

/* id_make - a random id, or the keyed hash of origin */
static void
id_make(const struct qstore *q, const char *origin, char id[33])
{
	unsigned char	 h[16];

	if (origin != NULL)
		crypto_generichash(h, sizeof(h), (const unsigned char *)origin,
		    strlen(origin), q->key, sizeof(q->key));
	else
		randombytes_buf(h, sizeof(h));
	sodium_bin2hex(id, 33, h, sizeof(h));
}

/* content_put - fd's bytes from offset 0 as content frames; want size */
static int
content_put(int fd, int tfd, ss_state *st, unsigned char *pbuf,
    unsigned char *cbuf, uint64_t size, char *err, size_t errlen)
{
	off_t	 off = 0;
	ssize_t	 n;

	do {
		if ((n = read_full(fd, pbuf, QSTORE_CHUNK, &off)) == -1)
			return qerr(err, errlen, errno, "read: %s",
			    strerror(errno));
		if ((uint64_t)off > size)
			break;
		if (frame_put(tfd, st, cbuf, pbuf, (size_t)n,
		    n < QSTORE_CHUNK ? TAG_FINAL : TAG_MESSAGE) == -1)
			return qerr(err, errlen, errno, "write: %s",
			    strerror(errno));
	} while (n == QSTORE_CHUNK);
	if ((uint64_t)off != size)
		return qerr(err, errlen, EAGAIN, "file changed size while "
		    "being stored");
	return 0;
}

/* obj_write - the whole object for m (text: its metadata) into tfd */
static int
obj_write(struct qstore *q, int fd, int tfd, const char *text,
    size_t tlen, uint64_t size, char *err, size_t errlen)
{
	unsigned char	 hdr[QSTORE_MAGICLEN + SS_HEADERBYTES];
	unsigned char	*buf;
	ss_state	 st;
	int		 rc = -1;

	if ((buf = malloc(QSTORE_CHUNK + 4 + FRAME_MAX)) == NULL)
		return qerr(err, errlen, ENOMEM, "out of memory");
	memcpy(hdr, QSTORE_MAGIC, QSTORE_MAGICLEN);
	crypto_secretstream_xchacha20poly1305_init_push(&st,
	    hdr + QSTORE_MAGICLEN, q->key);
	if (fd_write_all(tfd, hdr, sizeof(hdr)) == -1 ||
	    frame_put(tfd, &st, buf + QSTORE_CHUNK, text, tlen,
	    TAG_MESSAGE) == -1) {
		qerr(err, errlen, errno, "write: %s", strerror(errno));
		goto out;
	}
	if (content_put(fd, tfd, &st, buf, buf + QSTORE_CHUNK, size, err,
	    errlen) == -1)
		goto out;
	if (fsync(tfd) == -1) {
		qerr(err, errlen, errno, "fsync: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, QSTORE_CHUNK);
	sodium_memzero(&st, sizeof(st));
	free(buf);
	return rc;
}

/* qstore_put_fd - encrypt a regular file into the store */
int
qstore_put_fd(struct qstore *q, int fd, const struct qmeta *m,
    int replace_same_origin, char id_out[33], char *err, size_t errlen)
{
	struct qmeta	 m2;
	struct stat	 st;
	char		*text = NULL, tmp[NAMELEN] = "", name[NAMELEN];
	size_t		 tlen = 0;
	int		 tfd = -1, rc = -1, e;

	if (m->origin == NULL || m->status == NULL)
		return qerr(err, errlen, EINVAL, "origin and status needed");
	if (fstat(fd, &st) == -1)
		return qerr(err, errlen, errno, "fstat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return qerr(err, errlen, EINVAL, "not a regular file");
	m2 = *m;	/* strings borrowed from m */
	id_make(q, replace_same_origin ? m->origin : NULL, m2.id);
	m2.stored = (int64_t)time(NULL);
	m2.size = (uint64_t)st.st_size;
	m2.mode &= 07777;
	if (qmeta_format(&m2, &text, &tlen) == -1) {
		qerr(err, errlen, errno, "metadata: %s", errno == E2BIG ?
		    "too large" : strerror(errno));
		goto out;
	}
	if ((tfd = tmp_create(q->dirfd, TMP_PREFIX, tmp, sizeof(tmp))) == -1) {
		qerr(err, errlen, errno, "%s: %s", q->dir, strerror(errno));
		goto out;
	}
	if (obj_write(q, fd, tfd, text, tlen, m2.size, err, errlen) == -1)
		goto out;
	e = close(tfd);
	tfd = -1;
	obj_name(m2.id, name);
	if (e == -1 || renameat(q->dirfd, tmp, q->dirfd, name) == -1) {
		qerr(err, errlen, errno, "%s/%s: %s", q->dir, name,
		    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	(void)fsync(q->dirfd);
	memcpy(id_out, m2.id, 33);
	rc = 0;
out:
	e = errno;
	if (tfd != -1)
		close(tfd);
	if (tmp[0] != '\0')
		unlinkat(q->dirfd, tmp, 0);
	if (text != NULL)
		sodium_memzero(text, tlen);
	free(text);
	errno = e;
	return rc;
}

/* qstore_get - the metadata of one object */
int
qstore_get(struct qstore *q, const char *id, struct qmeta *out)
{
	struct qreader	 r;

	if (obj_open(q, id, &r, out, NULL, 0) == -1)
		return -1;
	qr_close(&r);
	return 0;
}

/*
 * store_walk - call fn for every entry of the store directory but . and
 * ..; stops at fn's first nonzero return, which it returns.
 */
static int
store_walk(struct qstore *q, int (*fn)(struct qstore *, const char *,
    void *), void *arg)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, rc = 0, e;

	if ((fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	while (rc == 0) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = -1;
			break;
		}
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			rc = fn(q, de->d_name, arg);
	}
	e = errno;
	closedir(d);
	errno = e;
	return rc;
}

struct qlist {
	struct qmeta	*v;
	size_t		 n, cap, bad;
};

/* list_add - read one object's metadata into the list */
static int
list_add(struct qstore *q, const char *name, void *arg)
{
	struct qlist	*l = arg;
	struct qmeta	*nv;
	char		 id[33];
	size_t		 ncap;

	if (!name_id(name, id))
		return 0;
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 64;
		if ((nv = reallocarray(l->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		l->v = nv;
		l->cap = ncap;
	}
	if (qstore_get(q, id, &l->v[l->n]) == -1) {
		if (errno == ENOMEM)
			return -1;
		l->bad++;
	} else
		l->n++;
	return 0;
}

/* meta_cmp - by stored time, then id */
static int
meta_cmp(const void *a, const void *b)
{
	const struct qmeta	*x = a, *y = b;

	if (x->stored != y->stored)
		return x->stored < y->stored ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* qstore_list - every readable object, oldest first */
int
qstore_list(struct qstore *q, int (*cb)(const struct qmeta *, void *),
    void *arg)
{
	struct qlist	 l = { NULL, 0, 0, 0 };
	size_t		 i;
	int		 rc, e;

	rc = store_walk(q, list_add, &l);
	e = errno;
	if (l.bad > 0)
		log_warnx("%s: %zu unreadable object(s) skipped", q->dir,
		    l.bad);
	if (rc == 0 && l.n > 0) {
		qsort(l.v, l.n, sizeof(*l.v), meta_cmp);
		for (i = 0; i < l.n && rc == 0; i++)
			rc = cb(&l.v[i], arg);
	}
	for (i = 0; i < l.n; i++)
		qmeta_free(&l.v[i]);
	free(l.v);
	errno = e;
	return rc;
}

/* qstore_extract_fd - decrypt the content into out_fd */
int
qstore_extract_fd(struct qstore *q, const char *id, int out_fd, char *err,
    size_t errlen)
{
	struct qreader	 r;
	struct qmeta	 m;
	struct stat	 st;
	off_t		 start;
	int		 rc, e;

	if (obj_open(q, id, &r, &m, err, errlen) == -1)
		return -1;
	start = lseek(out_fd, 0, SEEK_CUR);
	if ((rc = obj_copy(&r, &m, out_fd, err, errlen)) == -1) {
		e = errno;
		/* leave nothing usable behind */
		if (start != -1 && fstat(out_fd, &st) == 0 &&
		    S_ISREG(st.st_mode) && ftruncate(out_fd, start) == 0)
			(void)lseek(out_fd, start, SEEK_SET);
		errno = e;
	}
	e = errno;
	qmeta_free(&m);
	qr_close(&r);
	errno = e;
	return rc;
}

/* rename_noreplace - rename within dfd, failing with EEXIST */
static int
rename_noreplace(int dfd, const char *from, const char *to)
{
	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* file systems without RENAME_NOREPLACE: link is exclusive too */
	if (linkat(dfd, from, dfd, to, 0) == -1)
		return -1;
	(void)unlinkat(dfd, from, 0);
	return 0;
}

/* dest_split - open dest's directory; *base points into path */
static int
dest_split(char *path, char **base, char *err, size_t errlen)
{
	char	*slash;
	int	 fd;

	if ((slash = strrchr(path, '/')) == NULL) {
		*base = path;
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*base = slash + 1;
		*slash = '\0';
		fd = open(slash == path ? "/" : path, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		*slash = '/';
	}
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0) {
		if (fd != -1)
			close(fd);
		return qerr(err, errlen, EINVAL, "%s: not a file name", path);
	}
	if (fd == -1)
		return qerr(err, errlen, errno, "%s: directory: %s", path,
		    strerror(errno));
	return fd;
}

/* restore_attrs - owner (as root), mode without set-id bits, mtime */
static int
restore_attrs(int fd, const struct qmeta *m)
{
	struct timespec	 ts[2];

	if (geteuid() == 0 && fchown(fd, m->uid, m->gid) == -1)
		return -1;
	if (fchmod(fd, m->mode & 0777) == -1)
		return -1;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)m->mtime;
	ts[1].tv_nsec = 0;
	return futimens(fd, ts);
}

/* restore_into - decrypt the open object into a temp file, publish it */
static int
restore_into(struct qreader *r, const struct qmeta *m, int dfd,
    const char *base, const char *path, int overwrite, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 tmp[NAMELEN] = "";
	int		 tfd = -1, rc = -1, e;

	if (!overwrite && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return qerr(err, errlen, EEXIST, "%s: exists", path);
	if ((tfd = tmp_create(dfd, ".vigil-restore.", tmp, sizeof(tmp))) ==
	    -1)
		return qerr(err, errlen, errno, "%s: temporary file: %s", path,
		    strerror(errno));
	if (obj_copy(r, m, tfd, err, errlen) == -1)
		goto out;
	if (restore_attrs(tfd, m) == -1 || fsync(tfd) == -1) {
		qerr(err, errlen, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	e = close(tfd);
	tfd = -1;
	if (e == -1 || (overwrite ? renameat(dfd, tmp, dfd, base) :
	    rename_noreplace(dfd, tmp, base)) == -1) {
		qerr(err, errlen, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	(void)fsync(dfd);
	rc = 0;
out:
	e = errno;
	if (tfd != -1)
		close(tfd);
	if (tmp[0] != '\0')
		unlinkat(dfd, tmp, 0);
	errno = e;
	return rc;
}

/* qstore_restore - decrypt an object back to a file */
int
qstore_restore(struct qstore *q, const char *id, const char *dest,
    int overwrite, char *err, size_t errlen)
{
	struct qreader	 r;
	struct qmeta	 m;
	char		*path = NULL, *base;
	int		 dfd = -1, rc = -1, e;

	if (obj_open(q, id, &r, &m, err, errlen) == -1)
		return -1;
	if (dest == NULL && m.origin[0] != '/') {
		qerr(err, errlen, EINVAL, "%s: origin is not an absolute "
		    "path; give a destination", id);
		goto out;
	}
	if ((path = strdup(dest != NULL ? dest : m.origin)) == NULL) {
		qerr(err, errlen, ENOMEM, "out of memory");
		goto out;
	}
	if ((dfd = dest_split(path, &base, err, errlen)) == -1)
		goto out;
	rc = restore_into(&r, &m, dfd, base, path, overwrite, err, errlen);
out:
	e = errno;
	if (dfd != -1)
		close(dfd);
	free(path);
	qmeta_free(&m);
	qr_close(&r);
	errno = e;
	return rc;
}

/* qstore_delete - remove one object */
int
qstore_delete(struct qstore *q, const char *id)
{
	char	 name[NAMELEN];

	if (!qstore_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	obj_name(id, name);
	return unlinkat(q->dirfd, name, 0);
}

struct qpurge {
	int64_t		 older_than;
	int		 count;
};

/* purge_one - delete one entry if it is old enough */
static int
purge_one(struct qstore *q, const char *name, void *arg)
{
	struct qpurge	*p = arg;
	struct qmeta	 m;
	struct stat	 st;
	char		 id[33];
	int		 del = 0;

	if (name_id(name, id)) {
		if (p->older_than == 0)
			del = 1;
		else if (qstore_get(q, id, &m) == 0) {
			del = m.stored < p->older_than;
			qmeta_free(&m);
		}
		if (del && unlinkat(q->dirfd, name, 0) == 0)
			p->count++;
		return 0;
	}
	/* a temporary file left by a crash, not one being written now */
	if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
	    fstatat(q->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_mtime < time(NULL) - TMP_STALE &&
	    (p->older_than == 0 || st.st_mtime < p->older_than))
		(void)unlinkat(q->dirfd, name, 0);
	return 0;
}

/* qstore_purge - delete objects stored before older_than (0: all) */
int
qstore_purge(struct qstore *q, int64_t older_than)
{
	struct qpurge	 p = { older_than, 0 };

	if (store_walk(q, purge_one, &p) == -1)
		return -1;
	return p.count;
}
