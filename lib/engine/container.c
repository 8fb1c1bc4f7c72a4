/*
 * container.c - looking inside objects: archives, compressed streams,
 * mail, mbox files, archives appended to executables, deflate streams
 *
 * DESIGN: container_kind() looks at an object's first bytes (and, for an
 * executable, its last 64 KiB) and names what it is; only strong magic
 * counts, so that a random file is never reported CORRUPTED because it
 * happened to look like an archive.  container_scan() then extracts each
 * member into memory and hands it to scan_object(), which scans it and
 * recurses: the walk is depth first and each level holds one member.
 *
 * Every limit is checked while extracting, not after:
 *   MaxFileSize  a member announced or growing past it is ERROR, skipped
 *   MaxScanSize  bytes extracted by the whole request; past it, ERROR and
 *                nothing more is extracted (this also bounds memory: the
 *                members held at once are part of what was extracted)
 *   MaxFiles     members extracted by the whole request
 *   MaxRecursion container depth
 *   MaxRatio     bytes extracted from one container per byte of it, once
 *                past 1 MiB: a bomb stops early with ERROR
 *   MaxScanTime  checked at every 64 KiB extracted
 * A zeroed limit is replaced by a hard ceiling (64 levels, a million
 * objects, 1 GiB), so even "unlimited" ends.
 *
 * Archives go through libarchive with its built-in decompressors only
 * (the filters that would run an external program are never registered).
 * Mail goes through mime.c.  Deflate streams (HTTP Content-Encoding) go
 * through zlib.
 *
 * Names: a member is named by its path in the archive (control bytes
 * shown as '?'), a mail part "partN" or "partN:filename", a message of an
 * mbox "msgN", a decoded deflate stream "content".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "mime.h"
#include "scanner.h"

#define HARD_DEPTH	64
#define HARD_FILES	1000000u
#define HARD_BYTES	((uint64_t)1 << 30)
#define RATIO_FLOOR	((uint64_t)1 << 20)	/* ratio checked past this */
#define CHUNK		((size_t)64 << 10)

static int
has(const uint8_t *b, size_t n, size_t off, const char *m, size_t ml)
{
	return n >= off + ml && memcmp(b + off, m, ml) == 0;
}

/* tar_header - a valid pre-POSIX tar header checksum at offset 0? */
static int
tar_header(const uint8_t *b, size_t n)
{
	unsigned long sum = 0, want = 0;
	size_t	 i;
	int	 digits = 0;

	if (n < 512 || b[0] == '\0')
		return 0;
	for (i = 148; i < 156 && (b[i] == ' ' || b[i] == '\0'); i++)
		;
	for (; i < 156 && b[i] >= '0' && b[i] <= '7'; i++, digits++)
		want = want * 8 + (unsigned long)(b[i] - '0');
	if (digits == 0)
		return 0;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return sum == want;
}

/* zip_tail - an end-of-central-directory record in the last 64 KiB? */
static int
zip_tail(const uint8_t *b, size_t n)
{
	size_t	 from = n > 65557 ? n - 65557 : 0;

	return n > 22 && memmem(b + from, n - from, "PK\005\006", 4) != NULL;
}

/* container_kind - what an object is, from its magic */
enum obj_kind
container_kind(const uint8_t *b, size_t n)
{
	int	 m;

	if (n < 4)
		return K_PLAIN;
	switch (b[0]) {
	case 'P':
		if (has(b, n, 0, "PK\003\004", 4) || has(b, n, 0,
		    "PK\005\006", 4) || has(b, n, 0, "PK\007\010", 4))
			return K_ARCHIVE;
		break;
	case 0x1f:
		if (b[1] == 0x8b || b[1] == 0x9d)
			return K_COMPRESSED;
		break;
	case 'B':
		if (b[1] == 'Z' && b[2] == 'h' && b[3] >= '1' && b[3] <= '9')
			return K_COMPRESSED;
		break;
	case 0xfd:
		if (has(b, n, 0, "\3757zXZ\0", 6))
			return K_COMPRESSED;
		break;
	case 0x28:
		if (has(b, n, 0, "\050\265\057\375", 4))
			return K_COMPRESSED;
		break;
	case '7':
		if (has(b, n, 0, "7z\274\257\047\034", 6))
			return K_ARCHIVE;
		break;
	case 'R':
		if (has(b, n, 0, "Rar!\032\007", 6))
			return K_ARCHIVE;
		break;
	case 'M':
		if (has(b, n, 0, "MSCF\0\0\0\0", 8))
			return K_ARCHIVE;
		if (b[1] == 'Z' && zip_tail(b, n))
			return K_SFX;
		break;
	case 0x7f:
		if (has(b, n, 0, "\177ELF", 4) && zip_tail(b, n))
			return K_SFX;
		break;
	case '0':
		if (has(b, n, 0, "07070", 5) && n > 6 &&
		    (b[5] == '1' || b[5] == '2' || b[5] == '7'))
			return K_ARCHIVE;
		break;
	case 0xc7:
		if (b[1] == 0x71)
			return K_ARCHIVE;
		break;
	case 0x71:
		if (b[1] == 0xc7)
			return K_ARCHIVE;
		break;
	case '!':
		if (has(b, n, 0, "!<arch>\n", 8))
			return K_ARCHIVE;
		break;
	default:
		break;
	}
	if (has(b, n, 257, "ustar", 5) || tar_header(b, n))
		return K_ARCHIVE;
	if (has(b, n, 32769, "CD001", 5))
		return K_ARCHIVE;
	if ((b[0] >= 'A' && b[0] <= 'Z') || (b[0] >= 'a' && b[0] <= 'z')) {
		m = mime_kind(b, n);
		if (m == 1)
			return K_MAIL;
		if (m == 2)
			return K_MBOX;
	}
	return K_PLAIN;
}

/* container_push - name the next object inside the one in scan; returns
 * the mark to pop back to */
int
container_push(struct vigil_scanner *s, const char *name)
{
	size_t	 mark = s->pathlen, i, room;

	if (s->pathlen > 0 && s->pathlen + 1 < SCAN_PATHMAX)
		s->path[s->pathlen++] = '/';
	while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	room = SCAN_PATHMAX - 1 - s->pathlen;
	for (i = 0; name[i] != '\0' && i < room; i++)
		s->path[s->pathlen + i] = ((unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f) ? '?' : name[i];
	s->pathlen += i;
	s->path[s->pathlen] = '\0';
	s->path_off = SCAN_NONAME;
	return (int)mark;
}

/* container_pop - back to the container's name */
void
container_pop(struct vigil_scanner *s, size_t mark)
{
	s->pathlen = mark;
	s->path[mark] = '\0';
	s->path_off = SCAN_NONAME;
}

/* set_top - remember the top-level member a detection is under (cure) */
static void
set_top(struct vigil_scanner *s, const char *raw)
{
	size_t	 off = s->names.len, n = strlen(raw);

	if (s->depth != 1)
		return;
	if (strbuf_append(&s->names, raw, n) == -1 ||
	    strbuf_addc(&s->names, '\0') == -1) {
		s->names.len = off;
		s->top = SCAN_NONAME;
		return;
	}
	s->top = off;
}

/* count_member - one more object extracted; 0 when a limit forbids it */
static int
count_member(struct vigil_scanner *s)
{
	unsigned max = s->lim.max_files ? s->lim.max_files : HARD_FILES;

	if (++s->nmembers > max) {
		scan_status(s, VIGIL_STATUS_ERROR,
		    "file count limit exceeded (MaxFiles)");
		s->halt = 1;
		return 0;
	}
	return 1;
}

/* add_bytes - n more bytes extracted; 0 when MaxScanSize forbids it */
static int
add_bytes(struct vigil_scanner *s, size_t n)
{
	uint64_t cap = s->lim.max_scan_size ? s->lim.max_scan_size :
	    HARD_BYTES;

	s->scanned += n;
	if (s->scanned > cap) {
		scan_status(s, VIGIL_STATUS_ERROR,
		    "scan size limit exceeded (MaxScanSize)");
		s->halt = 1;
		return 0;
	}
	return 1;
}

/* file_cap - the largest member that may be extracted */
static uint64_t
file_cap(const struct vigil_scanner *s)
{
	return s->lim.max_file_size ? s->lim.max_file_size : HARD_BYTES;
}

/* scan_member - scan an extracted member, named, one level down */
static void
scan_member(struct vigil_scanner *s, const char *name, const char *raw,
    const uint8_t *data, size_t len)
{
	size_t	 mark = (size_t)container_push(s, name);

	set_top(s, raw);
	scan_object(s, data, len);
	container_pop(s, mark);
	if (s->depth == 1)
		s->top = SCAN_NONAME;
}

/* ---- archives ---- */

static pthread_once_t	 filters_once = PTHREAD_ONCE_INIT;
static unsigned		 filters_ok;

static int (*const filter_fns[])(struct archive *) = {
	archive_read_support_filter_gzip,
	archive_read_support_filter_bzip2,
	archive_read_support_filter_xz,
	archive_read_support_filter_lzma,
	archive_read_support_filter_zstd,
	archive_read_support_filter_lz4,
	archive_read_support_filter_compress,
};
#define NFILTERS	(sizeof(filter_fns) / sizeof(filter_fns[0]))

/* filters_probe - which decompressors are built in (not external programs) */
static void
filters_probe(void)
{
	struct archive *a;
	size_t	 i;

	for (i = 0; i < NFILTERS; i++) {
		if ((a = archive_read_new()) == NULL)
			return;
		if (filter_fns[i](a) == ARCHIVE_OK)
			filters_ok |= 1u << i;
		archive_read_free(a);
	}
}

/* archive_open - a reader for buf with the formats kind calls for */
static struct archive *
archive_open(const uint8_t *buf, size_t len, enum obj_kind kind)
{
	struct archive *a;
	size_t	 i;

	(void)pthread_once(&filters_once, filters_probe);
	if ((a = archive_read_new()) == NULL)
		return NULL;
	if (kind == K_SFX)
		archive_read_support_format_zip_seekable(a);
	else {
		for (i = 0; i < NFILTERS; i++)
			if (filters_ok & (1u << i))
				(void)filter_fns[i](a);
		/*
		 * Behind a decompressor, the seekable zip reader's bid
		 * seeks to the end for the central directory: the whole
		 * stream would be inflated twice.  A zip is never the
		 * payload of a gzip in practice; the streaming reader
		 * still finds one that is.
		 */
		if (kind == K_COMPRESSED)
			archive_read_support_format_zip_streamable(a);
		else
			archive_read_support_format_zip(a);
		archive_read_support_format_7zip(a);
		archive_read_support_format_rar(a);
		archive_read_support_format_rar5(a);
		archive_read_support_format_cab(a);
		archive_read_support_format_iso9660(a);
		archive_read_support_format_cpio(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_ar(a);
		if (kind == K_COMPRESSED)
			archive_read_support_format_raw(a);
	}
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* encrypted - does libarchive's complaint mean encryption? */
static int
encrypted(struct archive *a)
{
	const char *e = archive_error_string(a);

	return archive_read_has_encrypted_entries(a) > 0 || (e != NULL &&
	    (strstr(e, "ncrypt") != NULL || strstr(e, "assphrase") != NULL ||
	    strstr(e, "assword") != NULL));
}

/* archive_why - libarchive's error text */
static const char *
archive_why(struct archive *a)
{
	const char *e = archive_error_string(a);

	return e != NULL ? e : "damaged archive";
}

/*
 * member_buf - the extraction buffer of this depth, kept by the scanner
 * from one container to the next: no allocation and no page faults per
 * member, which is what lets scanning threads scale (scan_request_begin
 * lets go of buffers grown past SCAN_KEEPBUF)
 */
static struct strbuf *
member_buf(struct vigil_scanner *s, uint64_t fcap)
{
	struct strbuf *b = &s->xbuf[s->depth < HARD_DEPTH ? s->depth : 0];

	b->max = (size_t)(fcap < HARD_BYTES ? fcap : HARD_BYTES) + CHUNK;
	strbuf_reset(b);
	return b;
}

/*
 * extract - read the current member into mb; 1 when it should be scanned
 * (whole, or truncated by damage), 0 when skipped, -1 when the container
 * must not be read further
 */
static int
extract(struct vigil_scanner *s, struct archive *a, struct strbuf *mb,
    size_t clen, uint64_t *got)
{
	uint64_t fcap = file_cap(s);
	la_ssize_t r;
	void	*p;

	strbuf_reset(mb);
	for (;;) {
		if (scan_time_up(s))
			return -1;
		if ((p = strbuf_reserve(mb, CHUNK)) == NULL) {
			scan_status(s, VIGIL_STATUS_ERROR, "out of memory");
			return -1;
		}
		r = archive_read_data(a, p, CHUNK);
		if (r == 0)
			return 1;
		if (r < 0) {
			if (r == ARCHIVE_WARN)
				continue;
			scan_status(s, encrypted(a) ? VIGIL_PROTECTED :
			    VIGIL_CORRUPTED, "%s", archive_why(a));
			if (r == ARCHIVE_FATAL)
				return mb->len > 0 ? 1 : -1;
			return mb->len > 0 ? 1 : 0;
		}
		mb->len += (size_t)r;
		*got += (uint64_t)r;
		if (mb->len > fcap) {
			scan_status(s, VIGIL_STATUS_ERROR,
			    "size limit exceeded (MaxFileSize)");
			return 0;
		}
		if (!add_bytes(s, (size_t)r))
			return -1;
		if (s->lim.max_ratio > 0 && *got > RATIO_FLOOR &&
		    *got / (clen ? clen : 1) > s->lim.max_ratio) {
			scan_status(s, VIGIL_STATUS_ERROR,
			    "compression ratio limit exceeded (MaxRatio)");
			return -1;
		}
	}
}

/* member_name - the entry's name for reports */
static const char *
member_name(struct archive_entry *ae)
{
	const char *n = archive_entry_pathname(ae);

	return n != NULL && n[0] != '\0' ? n : "data";
}

/* archive_walk - every regular member of an archive */
static void
archive_walk(struct vigil_scanner *s, const uint8_t *buf, size_t len,
    enum obj_kind kind)
{
	struct archive	*a;
	struct archive_entry *ae;
	struct strbuf	*mb;
	uint64_t	 got = 0, fcap = file_cap(s);
	const char	*raw;
	size_t		 mark;
	int		 r, retries = 0, x;

	if ((a = archive_open(buf, len, kind)) == NULL) {
		if (kind != K_SFX)
			scan_status(s, VIGIL_CORRUPTED, "damaged archive");
		return;
	}
	mb = member_buf(s, fcap);
	while (!s->stop && !s->halt && !scan_time_up(s)) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY && ++retries < 16)
			continue;
		if (r < ARCHIVE_WARN) {
			if (kind == K_SFX)
				break;
			scan_status(s, encrypted(a) ? VIGIL_PROTECTED :
			    VIGIL_CORRUPTED, "%s", archive_why(a));
			if (r == ARCHIVE_FATAL)
				break;
			continue;
		}
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		raw = archive_entry_pathname(ae);
		mark = (size_t)container_push(s, member_name(ae));
		set_top(s, raw != NULL ? raw : "");
		x = 0;
		if (!count_member(s))
			x = -1;
		else if (archive_entry_is_encrypted(ae))
			scan_status(s, VIGIL_PROTECTED, "encrypted");
		else if (archive_entry_size_is_set(ae) &&
		    (uint64_t)archive_entry_size(ae) > fcap)
			scan_status(s, VIGIL_STATUS_ERROR,
			    "size limit exceeded (MaxFileSize)");
		else if ((x = extract(s, a, mb, len, &got)) != 0 &&
		    mb->len > 0)
			scan_object(s, (const uint8_t *)mb->data, mb->len);
		container_pop(s, mark);
		s->top = SCAN_NONAME;
		if (x == -1)
			break;
	}
	archive_read_free(a);
}

/* ---- mail ---- */

/* on_part - one decoded leaf of a message */
static int
on_part(const struct mime_part *p, const uint8_t *data, size_t len,
    void *arg)
{
	struct vigil_scanner *s = arg;
	char	 name[300], top[16];

	if (s->stop || s->halt || scan_time_up(s))
		return 1;
	if (p->filename != NULL)
		snprintf(name, sizeof(name), "part%u:%s", p->index,
		    p->filename);
	else
		snprintf(name, sizeof(name), "part%u", p->index);
	snprintf(top, sizeof(top), "#%u", p->index);
	if (!count_member(s))
		return 1;
	if ((uint64_t)len > file_cap(s)) {
		size_t	 mark = (size_t)container_push(s, name);

		scan_status(s, VIGIL_STATUS_ERROR,
		    "size limit exceeded (MaxFileSize)");
		container_pop(s, mark);
		return 0;
	}
	if (!add_bytes(s, len))
		return 1;
	scan_member(s, name, top, data, len);
	return s->stop || s->halt;
}

/* mail_walk - every part of one message */
static void
mail_walk(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	struct mime_limits ml;
	int	 corrupt = 0, r;

	memset(&ml, 0, sizeof(ml));
	ml.max_parts = s->lim.max_files ? s->lim.max_files : HARD_FILES;
	ml.max_depth = HARD_DEPTH;
	ml.max_decoded = (size_t)file_cap(s);
	r = mime_walk(buf, len, &ml, on_part, s, &corrupt);
	if (corrupt)
		scan_status(s, VIGIL_CORRUPTED, "malformed or truncated mail");
	if (r == -1 && errno == E2BIG)
		scan_status(s, VIGIL_STATUS_ERROR, "mail structure limit "
		    "exceeded (MaxFiles)");
}

/* on_message - one message of an mbox */
static int
on_message(unsigned index, size_t off, size_t len, void *arg)
{
	struct vigil_scanner *s = ((void **)arg)[0];
	const uint8_t *buf = ((void **)arg)[1];
	char	 name[32], top[16];

	if (s->stop || s->halt || scan_time_up(s) || !count_member(s))
		return 1;
	snprintf(name, sizeof(name), "msg%u", index);
	snprintf(top, sizeof(top), "@%u", index);
	scan_member(s, name, top, buf + off, len);
	return s->stop || s->halt;
}

/* mbox_scan - every message of an mbox */
static void
mbox_scan(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	struct mime_limits ml;
	void	*arg[2] = { s, (void *)(uintptr_t)buf };

	memset(&ml, 0, sizeof(ml));
	ml.max_parts = s->lim.max_files ? s->lim.max_files : HARD_FILES;
	if (mbox_walk(buf, len, &ml, on_message, arg) == -1 &&
	    errno == E2BIG)
		scan_status(s, VIGIL_STATUS_ERROR,
		    "file count limit exceeded (MaxFiles)");
}

/* ---- deflate streams ---- */

/* inflate_scan - a zlib, gzip or raw deflate stream (HTTP bodies) */
static void
inflate_scan(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	struct strbuf	*out;
	z_stream	 z;
	uint64_t	 fcap = file_cap(s);
	int		 r = Z_OK, raw;
	void		*p;

	out = member_buf(s, fcap);
	for (raw = 0; raw < 2; raw++) {
		memset(&z, 0, sizeof(z));
		if (inflateInit2(&z, raw ? -15 : 15 + 32) != Z_OK)
			break;
		strbuf_reset(out);
		z.next_in = (Bytef *)(uintptr_t)buf;
		z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
		do {
			if ((p = strbuf_reserve(out, CHUNK)) == NULL ||
			    out->len > fcap || scan_time_up(s)) {
				r = Z_MEM_ERROR;
				break;
			}
			z.next_out = p;
			z.avail_out = (uInt)CHUNK;
			r = inflate(&z, Z_NO_FLUSH);
			out->len += CHUNK - z.avail_out;
			if (s->lim.max_ratio > 0 && out->len > RATIO_FLOOR &&
			    out->len / (len ? len : 1) > s->lim.max_ratio) {
				r = Z_BUF_ERROR;
				break;
			}
		} while (r == Z_OK);
		inflateEnd(&z);
		if (r != Z_DATA_ERROR || out->len > 0)
			break;
	}
	if (r == Z_MEM_ERROR || r == Z_BUF_ERROR)
		scan_status(s, VIGIL_STATUS_ERROR, r == Z_BUF_ERROR ?
		    "compression ratio limit exceeded (MaxRatio)" :
		    "size limit exceeded (MaxFileSize)");
	else if (r != Z_STREAM_END && out->len > 0)
		scan_status(s, VIGIL_CORRUPTED, "truncated deflate stream");
	if (out->len > 0 && count_member(s) && add_bytes(s, out->len))
		scan_member(s, "content", "content",
		    (const uint8_t *)out->data, out->len);
}

/* container_scan - scan the members of the object in scan, one level down */
void
container_scan(struct vigil_scanner *s, const uint8_t *buf, size_t len)
{
	enum obj_kind kind = s->kind;
	unsigned max = s->lim.max_recursion ? s->lim.max_recursion :
	    HARD_DEPTH;
	unsigned want;

	switch (kind) {
	case K_ARCHIVE:
	case K_COMPRESSED:
		want = VIGIL_SCAN_ARCHIVES;
		break;
	case K_SFX:
		want = VIGIL_SCAN_SFX;
		break;
	case K_MAIL:
		want = VIGIL_SCAN_MAILPLAIN;
		break;
	case K_MBOX:
		want = VIGIL_SCAN_MAILBASES;
		break;
	default:
		want = VIGIL_SCAN_DEFLATE;
		break;
	}
	if (!(s->flags & want) || s->halt)
		return;
	if (s->depth >= max || s->depth >= HARD_DEPTH) {
		scan_status(s, VIGIL_STATUS_ERROR,
		    "recursion limit exceeded (MaxRecursion)");
		return;
	}
	s->depth++;
	switch (kind) {
	case K_ARCHIVE:
	case K_COMPRESSED:
	case K_SFX:
		archive_walk(s, buf, len, kind);
		break;
	case K_MAIL:
		mail_walk(s, buf, len);
		break;
	case K_MBOX:
		mbox_scan(s, buf, len);
		break;
	default:
		inflate_scan(s, buf, len);
		break;
	}
	s->depth--;
}
