/*
 * qstore.h - the encrypted quarantine and backup store
 *
 * A store is one directory holding one key file and one file per object.
 * Quarantined files "are stored in encrypted form being thus unable to
 * harm the computer file system" (the guides); a backup store keeps "a
 * copy before cure or removal" where a newer copy of the same file
 * replaces the older one, and nothing leaves either store until the
 * administrator deletes or purges it.
 *
 * Directory layout:
 *	DIR/			mode 0700 when created here
 *	DIR/store.key		32 random bytes (the secretstream
 *				KEYBYTES), mode 0600; group/other access or
 *				a wrong size is an error
 *	DIR/ID.vq		one object; ID is 32 lower-case hex digits
 *	DIR/.tmp.*		objects being written (renamed when done)
 *
 * Object file format (all of it but the first 32 bytes is ciphertext):
 *	8 bytes		magic "VIGILQ1\n"
 *	24 bytes	crypto_secretstream_xchacha20poly1305 header
 *	frames		each: a 4-byte big-endian length N, then N bytes
 *			of secretstream output (N - 17 plain bytes);
 *			17 <= N <= QSTORE_CHUNK + 17
 *	frame 0		the metadata, tag MESSAGE: "key=value\n" lines
 *			(see below), at most QMETA_MAX bytes
 *	frames 1..	the content, tag MESSAGE, QSTORE_CHUNK bytes each
 *	last frame	the rest of the content (0..QSTORE_CHUNK bytes),
 *			tag FINAL; nothing may follow it
 * The length prefix is not authenticated, but a changed length makes the
 * chunk fail authentication; a missing FINAL is reported as truncation.
 *
 * Metadata lines, in this order when written (a reader accepts any order,
 * ignores unknown lower-case keys and rejects a repeated key):
 *	id=0123...		required, equals the file's ID
 *	origin=/path		required
 *	threat=, status=, reason=, sender=, recipients=, url=
 *				text; status required, the others written
 *				only when set
 *	uid=, gid=		decimal, 0..2^32-1
 *	mode=0644		octal, 0..07777
 *	mtime=, stored=		decimal seconds since the epoch, signed
 *	size=			decimal plain size; stored, size required
 * In text values a line feed is written as "\n" and a backslash as "\\";
 * any other backslash sequence, and a NUL byte, are errors.
 *
 * Threats: the key file is the only secret; whoever reads it can decrypt
 * the store, so the directory belongs to the user vigil runs as.  Object
 * ids are checked (exactly 32 lower-case hex digits) before any path is
 * built from them.  Object files are 0600, never executable.
 */
#ifndef VIGIL_QSTORE_H
#define VIGIL_QSTORE_H

#include <stddef.h>
#include <stdint.h>

#define QSTORE_MAGIC	"VIGILQ1\n"
#define QSTORE_MAGICLEN	8
#define QSTORE_CHUNK	(64 * 1024)	/* plain bytes a content frame */
#define QMETA_MAX	(64 * 1024)	/* plain bytes of metadata */
#define QSTORE_KEYFILE	"store.key"
#define QSTORE_SUFFIX	".vq"

struct qmeta {
	char		 id[33];	/* 32 lower-case hex chars */
	char		*origin;	/* full original path, or a
					   description ("mail from a@b
					   to c@d", a URL) */
	char		*threat;	/* may be NULL */
	char		*status;	/* "INFECTED", "SUSPICIOUS", ... */
	char		*reason;	/* "quarantine", "backup", free
					   text; may be NULL */
	char		*sender, *recipients, *url;	/* may be NULL */
	uint32_t	 uid, gid, mode;	/* of the original file */
	int64_t		 mtime;		/* of the original */
	int64_t		 stored;	/* time stored */
	uint64_t	 size;		/* plain size */
};

struct qstore;

/*
 * Errors: functions return 0 (or a count) on success and -1 on failure
 * with errno set; those taking err also put a one-line message there
 * (NUL-terminated, truncated to errlen).  errno ENOENT means "no such
 * object", EINVAL a malformed id or argument, EBADMSG an object that
 * failed authentication or does not parse, EEXIST a restore target that
 * exists.
 */

/*
 * qstore_open - open (creating with mode 0700) a store directory.  The key
 * is DIR/store.key, created on first use (exclusively, mode 0600 whatever
 * the umask); an existing key of the wrong size or readable by group or
 * others is an error.  *out is freed with qstore_close.
 */
int	 qstore_open(const char *dir, struct qstore **out, char *err,
	    size_t errlen);
void	 qstore_close(struct qstore *);		/* NULL is a no-op */

/*
 * qstore_put_fd - store the content of fd, a regular file read from
 * offset 0 to EOF (its offset is not used), with metadata m; m->origin
 * and m->status must be set.  The store fills id, stored and size (the
 * caller's m is not changed) and copies the id to id_out.  With
 * replace_same_origin the id is a keyed hash (crypto_generichash with the
 * store key) of the origin, so a newer copy of the same origin atomically
 * replaces the older one (backup semantics); otherwise the id is random.
 * The object is written to a temporary file, fsync'ed and renamed.  A file
 * whose size changes while it is read is an error.
 */
int	 qstore_put_fd(struct qstore *, int fd, const struct qmeta *m,
	    int replace_same_origin, char id_out[33], char *err,
	    size_t errlen);

/*
 * qstore_list - call cb for every readable object in stored-time order
 * (ties by id); the qmeta is valid during the call only.  Objects that
 * cannot be read are skipped and counted in one log_warnx.  Returns 0,
 * -1 with errno, or the first nonzero value cb returned (which stops the
 * walk).
 */
int	 qstore_list(struct qstore *,
	    int (*cb)(const struct qmeta *, void *), void *arg);

/* qstore_get - the metadata of one object; caller qmeta_free()s out */
int	 qstore_get(struct qstore *, const char *id, struct qmeta *out);

/*
 * qstore_extract_fd - decrypt the content into out_fd from its current
 * offset.  Each chunk is written only after it is authenticated; on any
 * failure (authentication, truncation, a size that differs from the
 * metadata) what was written is cut off again when out_fd is a regular
 * file, and -1 is returned.
 */
int	 qstore_extract_fd(struct qstore *, const char *id, int out_fd,
	    char *err, size_t errlen);

/*
 * qstore_restore - decrypt to dest (NULL: the object's origin, which must
 * then be an absolute path).  An existing dest is refused (EEXIST) unless
 * overwrite; a symlink at dest is replaced, never followed.  The content
 * goes to a temporary file in dest's directory that is renamed into place
 * once complete; mode (without set-id and sticky bits), mtime and, when
 * running as root, owner are restored.  The object stays in the store.
 */
int	 qstore_restore(struct qstore *, const char *id, const char *dest,
	    int overwrite, char *err, size_t errlen);

int	 qstore_delete(struct qstore *, const char *id);

/*
 * qstore_purge - delete objects stored before older_than (0: all, and any
 * leftover temporary files).  Unreadable objects are deleted only by a
 * purge of all.  Returns the count deleted or -1.
 */
int	 qstore_purge(struct qstore *, int64_t older_than);

/* qmeta_free - free the strings of m (not m) and zero it; NULL no-op */
void	 qmeta_free(struct qmeta *m);

/*
 * Internal, exposed for the tests and the fuzz target.
 * qmeta_parse - parse len bytes of decrypted metadata into out (zeroed
 * first; on -1 nothing is left allocated).  buf need not be
 * NUL-terminated; len > QMETA_MAX is an error.
 * qmeta_format - the metadata text of m, malloc'd into *out (NUL-
 * terminated, *outlen bytes without the NUL); -1 + E2BIG beyond QMETA_MAX.
 * qstore_id_valid - 1 when id is exactly 32 lower-case hex digits.
 */
int	 qmeta_parse(const char *buf, size_t len, struct qmeta *out);
int	 qmeta_format(const struct qmeta *m, char **out, size_t *outlen);
int	 qstore_id_valid(const char *id);

#endif
