/*
 * cure.h - cure primitives: byte-level cure records and archive rebuild
 *
 * A cure turns an infected object into a clean one, or fails without
 * producing anything; there is no partial cure.  Two primitives:
 *
 *   cure records  lines of the *.cure files in the database directory,
 *                 `ThreatName:OP:ARGS` (doc/cure-records.md), applied to
 *                 a whole object held in memory.  Every operation keeps
 *                 or shrinks the object, so the result is never larger
 *                 than the input.
 *   cure_archive  rebuilds a zip, tar, cpio or 7z archive (optionally
 *                 gzip, bzip2 or xz compressed) without the members the
 *                 caller names, keeping format, filter and metadata.
 *
 * Both write into a caller's struct strbuf, whose cap bounds the output.
 */
#ifndef VIGIL_CURE_H
#define VIGIL_CURE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define CURE_NAME_MAX	127	/* longest threat name */
#define CURE_HEX_MAX	4096	/* longest patch, in bytes */

/*
 * The database is built by one thread (cure_db_add_line() for every
 * line, then cure_db_seal()) and is then read-only: cure_db_count(),
 * cure_db_has() and cure_db_apply() take a const pointer, never modify
 * the db and may run in any number of threads at once.  Before
 * cure_db_seal() lookups still work but scan every record.
 */
struct cure_db;

struct cure_db	*cure_db_new(void);		/* NULL on ENOMEM */
void		 cure_db_free(struct cure_db *);	/* NULL is a no-op */

/*
 * cure_db_add_line - parse one line (not NUL-terminated, without its
 * newline; a trailing CR is ignored).  Returns 0 when a record was added,
 * 1 for a blank or '#' comment line, -1 when the line is malformed (the
 * reason, with the offending text quoted, is written to err, e.g.
 * `bad offset "EOF-x"`) or on ENOMEM (errno set, err says so).  Lines of
 * the same threat form one cure, applied in the order they were added.
 * Adding after cure_db_seal() is allowed; seal again before sharing.
 */
int	 cure_db_add_line(struct cure_db *, const char *line, size_t len,
	    char *err, size_t errlen);

/* cure_db_seal - sort the records for fast lookup; call after the last add */
void	 cure_db_seal(struct cure_db *);

size_t	 cure_db_count(const struct cure_db *);		/* records */
int	 cure_db_has(const struct cure_db *, const char *threat);	/* 0/1 */

/*
 * cure_db_apply - apply the records of threat, in order, to the object
 * buf/len; the result goes to out, which is reset first.  Returns 0 on
 * success; -1 with errno ENOENT (no record for threat), EINVAL (an
 * operation does not fit the object as it is when the operation runs:
 * out is then left empty), E2BIG (the object exceeds out's cap) or
 * ENOMEM.  Work is linear in len times the number of records.
 */
int	 cure_db_apply(const struct cure_db *, const char *threat,
	    const uint8_t *buf, size_t len, struct strbuf *out);

/*
 * cure_archive - rebuild the archive buf/len into out (reset first),
 * leaving out the members for which drop(pathname, arg) returns 1.
 * drop() sees the pathname exactly as archive_entry_pathname() gives it
 * ("" when NULL) and is asked about regular files and about any other
 * member that carries data; a hard link whose target was dropped is
 * dropped too.  Directories, symlinks and the other members are copied
 * with their names, modes, times and ownership.
 *
 * The output keeps the input's format and compression filter: zip
 * (store or deflate, per member as in the input), tar (GNU tar stays GNU
 * tar, ustar/pax/v7 become restricted pax), cpio (same variant, except
 * SVR4-with-CRC becomes newc and afio becomes odc), 7z; filters none,
 * gzip, bzip2, xz.
 *
 * Returns the number of members dropped (0 is legal: out holds the
 * rebuilt archive).  On -1, out is empty and errno is ENOTSUP (not an
 * archive, or a format or filter that cannot be rewritten: rar, cab,
 * iso9660, compress, zstd, ...), EPROTO (damaged archive, or a member
 * the writer refuses; reason in err), EACCES (a kept member is
 * encrypted), E2BIG (out's cap, or more than 8 times out's cap of member
 * data to decompress, counting the sizes tar and cpio headers declare and
 * 512 bytes a member) or ENOMEM.  err (when errlen > 0) is always
 * written: "" on success.
 *
 * XXX libarchive's 7z writer spools compressed data to a temporary file
 * under $TMPDIR; a jailed caller needs a writable TMPDIR for 7z.
 */
int	 cure_archive(const uint8_t *buf, size_t len,
	    int (*drop)(const char *path, void *arg), void *arg,
	    struct strbuf *out, char *err, size_t errlen);

#endif /* VIGIL_CURE_H */
