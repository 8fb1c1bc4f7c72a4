/*
 * cure.c - cure primitives: byte-level cure records and archive rebuild
 *
 * Cure records (doc/cure-records.md) say how to undo what a known virus
 * did to its host: cut off an appended body, remove a prepended one,
 * zero or patch bytes, copy back a header the virus saved elsewhere.
 * cure_archive() cures a container instead: it rebuilds the archive
 * without the infected members.
 *
 * DESIGN: records.  cure_db_add_line() parses a line into a fixed-size
 * struct cure_rec (threat name inline, patch bytes on the heap) tagged
 * with its sequence number; cure_db_seal() sorts by (threat, sequence),
 * so the records of one threat are contiguous and in file order, found
 * by binary search.  After sealing nothing writes to the db, which makes
 * it safe to share between scanning threads.  cure_db_apply() copies the
 * object into out and runs each record in place there: no operation
 * grows the object, so out never needs more than len bytes.  Offsets are
 * evaluated against the object as it is when each record runs and
 * checked in 64 bits without overflow; the first record that does not
 * fit empties out and fails the cure with EINVAL.
 *
 * DESIGN: archives.  libarchive reads the input from memory (only the
 * zip, tar, cpio and 7z readers and the gzip, bzip2 and xz filters are
 * enabled: the rest could not be written back, and some, such as mtree,
 * would open files on disk) and a writer of the same format and filter
 * appends into out through arc_sink_write(), so out's cap bounds the
 * output.  Member data is copied through one 64 KiB block; the bytes
 * decompressed (copied, or skipped inside a compressed stream) are
 * charged to a budget of ARC_EXPAND times out's cap, plus ARC_ENTRY_COST
 * per member, so a decompression bomb or a flood of empty members ends
 * with E2BIG instead of a hang.  tar and cpio writers pad a member to
 * the size its header declared, even when the cure is abandoned halfway
 * through it, so for them the declared size is charged up front; once a
 * cure fails the sink refuses all output, which cuts that padding short.  The names of dropped members are kept
 * in a small hash set so that hard links to them can be dropped too.
 * Members the writer cannot take (no name, a type the format lacks) fail
 * the cure with EPROTO before they reach it.
 *
 * XXX libarchive 3.6.2 sizes some read-ahead buffers by untrusted header
 * fields: a cpio name size (fixed upstream by PR 3043) or a 7z header
 * size (PR 3449, open) can make it malloc() up to 4 GB, or more, before
 * it finds the input short.  Little of it is touched, and a refused
 * allocation fails cleanly (EPROTO here), but a jailed caller should cap
 * its address space.  Only parsing those headers ourselves would avoid
 * it.
 *
 * Why hand-written: the record format is vigil's own and the parser is
 * a few dozen lines; archive formats are libarchive's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "cure.h"
#include "hexdigit.h"
#include "log.h"

/* ------------------------------------------------------------------ */
/* cure records                                                       */
/* ------------------------------------------------------------------ */

enum cure_op { OP_TRUNCATE, OP_CUT, OP_ZERO, OP_PATCH, OP_COPY };

struct cure_off {
	uint64_t	n;
	int		eof;		/* n counts back from the end */
};

struct cure_rec {
	char		 threat[CURE_NAME_MAX + 1];
	size_t		 seq;		/* order of addition */
	enum cure_op	 op;
	struct cure_off	 at;		/* copy: the source */
	struct cure_off	 dst;		/* copy only */
	uint64_t	 len;		/* cut/zero/copy length, patch size */
	uint8_t		*bytes;		/* patch only */
};

struct cure_db {
	struct cure_rec	*rec;
	size_t		 n, cap;
	int		 sealed;	/* rec sorted by (threat, seq) */
};

/* A field of a record line: a view into the caller's line. */
struct cure_field {
	const char	*p;
	size_t		 n;
};

#define CURE_MAXFIELD	5	/* name, op and up to three arguments */

static const struct cure_opdef {
	const char	*name;
	enum cure_op	 op;
	int		 nargs;
	const char	*usage;
} cure_ops[] = {
	{ "truncate",	OP_TRUNCATE,	1, "truncate:OFFSET" },
	{ "cut",	OP_CUT,		2, "cut:OFFSET:LEN" },
	{ "zero",	OP_ZERO,	2, "zero:OFFSET:LEN" },
	{ "patch",	OP_PATCH,	2, "patch:OFFSET:HEX" },
	{ "copy",	OP_COPY,	3, "copy:SRC:DST:LEN" },
};

/* cure_bad - format a parse error quoting field f; always returns -1 */
static int
cure_bad(char *err, size_t errlen, const char *what,
    const struct cure_field *f)
{
	char	q[80];

	if (errlen == 0)
		return -1;
	if (f == NULL)
		snprintf(err, errlen, "%s", what);
	else
		snprintf(err, errlen, "%s \"%s\"", what,
		    log_quote(q, sizeof(q), f->p, f->n));
	return -1;
}

/* cure_num - strict unsigned decimal without sign or blanks; -1 if not */
static int
cure_num(const char *p, size_t n, uint64_t *v)
{
	uint64_t	x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' ||
		    x > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

/* cure_parse_off - OFFSET is N or EOF-N */
static int
cure_parse_off(const struct cure_field *f, struct cure_off *o)
{
	o->eof = f->n >= 4 && memcmp(f->p, "EOF-", 4) == 0;
	if (o->eof)
		return cure_num(f->p + 4, f->n - 4, &o->n);
	return cure_num(f->p, f->n, &o->n);
}

/* cure_parse_hex - decode the patch bytes into a new heap buffer */
static int
cure_parse_hex(const struct cure_field *f, struct cure_rec *r, char *err,
    size_t errlen)
{
	size_t	i;
	int	hi, lo;

	if (f->n == 0 || f->n % 2 != 0)
		return cure_bad(err, errlen, f->n ? "odd number of hex digits" :
		    "empty hex", f->n ? f : NULL);
	if (f->n / 2 > CURE_HEX_MAX)
		return cure_bad(err, errlen, "patch longer than 4096 bytes",
		    NULL);
	for (i = 0; i < f->n; i++)
		if (hex_digit(f->p[i]) == -1)
			return cure_bad(err, errlen, "bad hex", f);
	if ((r->bytes = malloc(f->n / 2)) == NULL)
		return cure_bad(err, errlen, "out of memory", NULL);
	for (i = 0; i < f->n / 2; i++) {
		hi = hex_digit(f->p[2 * i]);
		lo = hex_digit(f->p[2 * i + 1]);
		r->bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	r->len = f->n / 2;
	return 0;
}

/* cure_parse_name - check the threat name and store it in r */
static int
cure_parse_name(const struct cure_field *f, struct cure_rec *r, char *err,
    size_t errlen)
{
	if (f->n == 0)
		return cure_bad(err, errlen, "empty threat name", NULL);
	if (f->n > CURE_NAME_MAX)
		return cure_bad(err, errlen, "threat name too long", f);
	for (size_t i = 0; i < f->n; i++) {
		char	c = f->p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return cure_bad(err, errlen, "bad threat name", f);
	}
	memcpy(r->threat, f->p, f->n);
	r->threat[f->n] = '\0';
	return 0;
}

/* cure_split - cut line at ':' into at most CURE_MAXFIELD + 1 fields */
static int
cure_split(const char *line, size_t len, struct cure_field *f)
{
	int	n = 0;
	size_t	start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ':')
			continue;
		if (n == CURE_MAXFIELD + 1)
			break;
		f[n].p = line + start;
		f[n].n = i - start;
		n++;
		start = i + 1;
	}
	return n;
}

/* cure_parse_args - the op's arguments, fields 2 and on, into r */
static int
cure_parse_args(const struct cure_opdef *d, const struct cure_field *f,
    struct cure_rec *r, char *err, size_t errlen)
{
	const struct cure_field	*lenf = NULL;

	if (cure_parse_off(&f[2], &r->at) == -1)
		return cure_bad(err, errlen, "bad offset", &f[2]);
	switch (d->op) {
	case OP_TRUNCATE:
		return 0;
	case OP_PATCH:
		return cure_parse_hex(&f[3], r, err, errlen);
	case OP_COPY:
		if (cure_parse_off(&f[3], &r->dst) == -1)
			return cure_bad(err, errlen, "bad offset", &f[3]);
		lenf = &f[4];
		break;
	default:
		lenf = &f[3];
		break;
	}
	if (cure_num(lenf->p, lenf->n, &r->len) == -1)
		return cure_bad(err, errlen, "bad length", lenf);
	if (r->len == 0)
		return cure_bad(err, errlen, "zero length", lenf);
	return 0;
}

/* cure_parse - parse a record line (not blank, not a comment) into r */
static int
cure_parse(const char *line, size_t len, struct cure_rec *r, char *err,
    size_t errlen)
{
	struct cure_field	 f[CURE_MAXFIELD + 1];
	const struct cure_opdef	*d = NULL;
	int			 nf;
	char			 msg[64];

	nf = cure_split(line, len, f);
	if (cure_parse_name(&f[0], r, err, errlen) == -1)
		return -1;
	if (nf < 2)
		return cure_bad(err, errlen, "missing operation", NULL);
	for (size_t i = 0; i < sizeof(cure_ops) / sizeof(cure_ops[0]); i++)
		if (strlen(cure_ops[i].name) == f[1].n &&
		    memcmp(cure_ops[i].name, f[1].p, f[1].n) == 0)
			d = &cure_ops[i];
	if (d == NULL)
		return cure_bad(err, errlen, "unknown operation", &f[1]);
	if (nf != 2 + d->nargs) {
		snprintf(msg, sizeof(msg), "%s fields, expected %s",
		    nf < 2 + d->nargs ? "missing" : "too many", d->usage);
		return cure_bad(err, errlen, msg, NULL);
	}
	r->op = d->op;
	return cure_parse_args(d, f, r, err, errlen);
}

/* cure_is_blank - 1 for an empty, all-blank or '#' comment line */
static int
cure_is_blank(const char *line, size_t len)
{
	size_t	i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == len || line[i] == '#';
}

/* cure_db_new - empty database */
struct cure_db *
cure_db_new(void)
{
	return calloc(1, sizeof(struct cure_db));
}

/* cure_db_free - release the db and every record */
void
cure_db_free(struct cure_db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->n; i++)
		free(db->rec[i].bytes);
	free(db->rec);
	free(db);
}

/* cure_db_grow - room for one more record */
static int
cure_db_grow(struct cure_db *db)
{
	struct cure_rec	*p;
	size_t		 ncap;

	if (db->n < db->cap)
		return 0;
	ncap = db->cap ? db->cap * 2 : 16;
	if (ncap > SIZE_MAX / sizeof(*p)) {
		errno = ENOMEM;
		return -1;
	}
	if ((p = realloc(db->rec, ncap * sizeof(*p))) == NULL)
		return -1;
	db->rec = p;
	db->cap = ncap;
	return 0;
}

/* cure_db_add_line - parse and store one line of a .cure file */
int
cure_db_add_line(struct cure_db *db, const char *line, size_t len,
    char *err, size_t errlen)
{
	struct cure_rec	 r;

	if (errlen > 0)
		err[0] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (cure_is_blank(line, len))
		return 1;
	memset(&r, 0, sizeof(r));
	if (cure_parse(line, len, &r, err, errlen) == -1) {
		free(r.bytes);
		return -1;
	}
	if (cure_db_grow(db) == -1) {
		free(r.bytes);
		return cure_bad(err, errlen, "out of memory", NULL);
	}
	r.seq = db->n;
	db->rec[db->n++] = r;
	db->sealed = 0;
	return 0;
}

/* cure_rec_cmp - order records by threat, then by order of addition */
static int
cure_rec_cmp(const void *a, const void *b)
{
	const struct cure_rec	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->threat, y->threat)) != 0)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* cure_db_seal - sort for binary search; the db is read-only afterwards */
void
cure_db_seal(struct cure_db *db)
{
	if (db->n > 1)
		qsort(db->rec, db->n, sizeof(db->rec[0]), cure_rec_cmp);
	db->sealed = 1;
}

/* cure_db_count - number of records */
size_t
cure_db_count(const struct cure_db *db)
{
	return db->n;
}

/* cure_db_first - index of threat's first record, db->n if none */
static size_t
cure_db_first(const struct cure_db *db, const char *threat)
{
	size_t	lo = 0, hi = db->n, mid;

	if (strnlen(threat, CURE_NAME_MAX + 1) > CURE_NAME_MAX)
		return db->n;
	if (!db->sealed) {
		while (lo < db->n && strcmp(db->rec[lo].threat, threat) != 0)
			lo++;
		return lo;
	}
	while (lo < hi) {	/* lower bound */
		mid = lo + (hi - lo) / 2;
		if (strcmp(db->rec[mid].threat, threat) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < db->n && strcmp(db->rec[lo].threat, threat) == 0)
		return lo;
	return db->n;
}

/* cure_db_has - 1 if threat has at least one record */
int
cure_db_has(const struct cure_db *db, const char *threat)
{
	return cure_db_first(db, threat) < db->n;
}

/* cure_fits - 1 if [off, off+n) lies inside an object of size bytes */
static int
cure_fits(uint64_t off, uint64_t n, uint64_t size)
{
	return off <= size && n <= size - off;
}

/* cure_eval - resolve o against the current size; -1 if outside */
static int
cure_eval(const struct cure_off *o, uint64_t size, uint64_t *at)
{
	if (o->n > size)
		return -1;
	*at = o->eof ? size - o->n : o->n;
	return 0;
}

/* cure_rec_run - apply r in place to p[0, *size); -1 if it does not fit */
static int
cure_rec_run(const struct cure_rec *r, uint8_t *p, size_t *size)
{
	uint64_t	sz = *size, a, b;

	if (cure_eval(&r->at, sz, &a) == -1)
		return -1;
	if (r->op == OP_TRUNCATE) {
		*size = (size_t)a;
		return 0;
	}
	if (!cure_fits(a, r->len, sz))
		return -1;
	switch (r->op) {
	case OP_CUT:
		memmove(p + a, p + a + r->len, (size_t)(sz - a - r->len));
		*size = (size_t)(sz - r->len);
		break;
	case OP_ZERO:
		memset(p + a, 0, (size_t)r->len);
		break;
	case OP_PATCH:
		memcpy(p + a, r->bytes, (size_t)r->len);
		break;
	case OP_COPY:
		if (cure_eval(&r->dst, sz, &b) == -1 ||
		    !cure_fits(b, r->len, sz))
			return -1;
		memmove(p + b, p + a, (size_t)r->len);
		break;
	default:
		return -1;
	}
	return 0;
}

/* cure_db_apply - run threat's records on a copy of buf in out */
int
cure_db_apply(const struct cure_db *db, const char *threat,
    const uint8_t *buf, size_t len, struct strbuf *out)
{
	const struct cure_rec	*r;
	size_t			 i, size;

	strbuf_reset(out);
	if ((i = cure_db_first(db, threat)) == db->n) {
		errno = ENOENT;
		return -1;
	}
	if (strbuf_append(out, buf, len) == -1)
		return -1;
	size = out->len;
	for (; i < db->n; i++) {
		r = &db->rec[i];
		if (strcmp(r->threat, threat) != 0) {
			if (db->sealed)
				break;
			continue;
		}
		if (cure_rec_run(r, (uint8_t *)out->data, &size) == -1) {
			strbuf_reset(out);
			errno = EINVAL;
			return -1;
		}
	}
	out->len = size;
	out->data[size] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* archive rebuild                                                    */
/* ------------------------------------------------------------------ */

#define ARC_BLOCK	65536	/* member data copy unit */
#define ARC_EXPAND	8	/* data budget: this many times out's cap */
#define ARC_ENTRY_COST	512	/* budget charged per member */

/* Open-addressing set of the names of dropped members. */
struct arc_names {
	char	**slot;		/* NULL = empty */
	size_t	  n, cap;	/* cap is 0 or a power of two */
};

/* Where the writer's bytes go. */
struct arc_sink {
	struct strbuf	*out;
	int		 error;	/* errno of a failed append, 0 if none */
	int		 dead;	/* the cure failed: refuse every write */
};

struct arc_job {
	struct archive	*r, *w;
	struct arc_sink	 sink;
	int		(*drop)(const char *, void *);
	void		*arg;
	char		*err;
	size_t		 errlen;
	uint64_t	 budget;	/* bytes left to decompress */
	const struct arc_fmt *fmt;	/* the writer's */
	int		 zip;		/* choose store/deflate per member */
	int		 skip_costs;	/* skipping data means decompressing */
	int		 pads;		/* the writer pads data to the header's size */
	uint64_t	 prepaid;	/* of the current member's data */
	int		 ndropped;
	struct arc_names dropped;
	uint8_t		*blk;
};

/*
 * Input format -> writer; the variants of a family map as cure.h says.
 * refuse: member types the writer rejects by entering its FATAL state,
 * from which libarchive 3.6.2 cannot be freed without a leak (fixed
 * upstream by PR 2729); we refuse them first.  Types it rejects gently
 * (ARCHIVE_FAILED) are left to it.
 */
#define T(t)	(1u << ((unsigned)(t) >> 12 & 15))

static const struct arc_fmt {
	int		 code;
	int		(*set)(struct archive *);
	unsigned	 refuse;
} arc_fmts[] = {
	{ ARCHIVE_FORMAT_ZIP,		archive_write_set_format_zip, 0 },
	{ ARCHIVE_FORMAT_7ZIP,		archive_write_set_format_7zip, 0 },
	{ ARCHIVE_FORMAT_TAR,	archive_write_set_format_pax_restricted, 0 },
	{ ARCHIVE_FORMAT_TAR_USTAR,
				archive_write_set_format_pax_restricted, 0 },
	{ ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE,
				archive_write_set_format_pax_restricted, 0 },
	{ ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
				archive_write_set_format_pax_restricted, 0 },
	{ ARCHIVE_FORMAT_TAR_GNUTAR,	archive_write_set_format_gnutar, 0 },
	{ ARCHIVE_FORMAT_CPIO_POSIX,	archive_write_set_format_cpio_odc, 0 },
	{ ARCHIVE_FORMAT_CPIO_AFIO_LARGE, archive_write_set_format_cpio_odc, 0 },
	{ ARCHIVE_FORMAT_CPIO_BIN_LE,	archive_write_set_format_cpio_bin,
	  T(AE_IFIFO) | T(AE_IFSOCK) },
	{ ARCHIVE_FORMAT_CPIO_BIN_BE,	archive_write_set_format_cpio_bin,
	  T(AE_IFIFO) | T(AE_IFSOCK) },
	{ ARCHIVE_FORMAT_CPIO_PWB,	archive_write_set_format_cpio_pwb,
	  T(AE_IFLNK) | T(AE_IFIFO) | T(AE_IFSOCK) },
	{ ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, archive_write_set_format_cpio_newc, 0 },
	{ ARCHIVE_FORMAT_CPIO_SVR4_CRC,	archive_write_set_format_cpio_newc, 0 },
};

/* Input filter -> reader and writer support. */
static const struct arc_filter {
	int		 code;
	int		(*rd)(struct archive *);
	int		(*wr)(struct archive *);
} arc_filters[] = {
	{ ARCHIVE_FILTER_GZIP,	archive_read_support_filter_gzip,
				archive_write_add_filter_gzip },
	{ ARCHIVE_FILTER_BZIP2,	archive_read_support_filter_bzip2,
				archive_write_add_filter_bzip2 },
	{ ARCHIVE_FILTER_XZ,	archive_read_support_filter_xz,
				archive_write_add_filter_xz },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* libarchive's private ARCHIVE_ERRNO_FILE_FORMAT: "not this format" */
#ifdef EFTYPE
#define ARC_EFORMAT	EFTYPE
#else
#define ARC_EFORMAT	EILSEQ
#endif

/* arc_hash - FNV-1a of a NUL-terminated name */
static uint64_t
arc_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* arc_names_has - 1 if name was added */
static int
arc_names_has(const struct arc_names *s, const char *name)
{
	size_t	i;

	if (s->cap == 0)
		return 0;
	for (i = arc_hash(name) & (s->cap - 1); s->slot[i] != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slot[i], name) == 0)
			return 1;
	return 0;
}

/* arc_names_put - place an owned name in a table with a free slot */
static void
arc_names_put(char **slot, size_t cap, char *name)
{
	size_t	i;

	for (i = arc_hash(name) & (cap - 1); slot[i] != NULL;
	    i = (i + 1) & (cap - 1))
		;
	slot[i] = name;
}

/* arc_names_add - remember name; keeps the load factor under 1/2 */
static int
arc_names_add(struct arc_names *s, const char *name)
{
	char	**nslot, *dup;
	size_t	  ncap;

	if (arc_names_has(s, name))
		return 0;
	if (2 * (s->n + 1) > s->cap) {
		ncap = s->cap ? s->cap * 2 : 64;
		if ((nslot = calloc(ncap, sizeof(*nslot))) == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i] != NULL)
				arc_names_put(nslot, ncap, s->slot[i]);
		free(s->slot);
		s->slot = nslot;
		s->cap = ncap;
	}
	if ((dup = strdup(name)) == NULL)
		return -1;
	arc_names_put(s->slot, s->cap, dup);
	s->n++;
	return 0;
}

/* arc_names_fini - free the set */
static void
arc_names_fini(struct arc_names *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* arc_sink_write - libarchive write callback: append to out */
static la_ssize_t
arc_sink_write(struct archive *a, void *cookie, const void *p, size_t n)
{
	struct arc_sink	*s = cookie;

	if (s->dead) {
		archive_set_error(a, ECANCELED, "output abandoned");
		return -1;
	}
	if (strbuf_append(s->out, p, n) == -1) {
		s->error = errno;
		archive_set_error(a, s->error, "output: %s",
		    strerror(s->error));
		return -1;
	}
	return (la_ssize_t)n;
}

/* arc_fail - set err to "what: libarchive's message"; returns e */
static int
arc_fail(struct arc_job *j, struct archive *a, int e, const char *what)
{
	const char	*m = a ? archive_error_string(a) : NULL;
	char		 q[160];

	if (j->errlen > 0)
		snprintf(j->err, j->errlen, "%s%s%s", what, m ? ": " : "",
		    m ? log_quote(q, sizeof(q), m, strlen(m)) : "");
	return e;
}

/* arc_write_fail - classify a writer error: our sink's, or EPROTO */
static int
arc_write_fail(struct arc_job *j, const char *what)
{
	int	e = j->sink.error ? j->sink.error : EPROTO;

	return arc_fail(j, j->w, e, what);
}

/* arc_charge - take n bytes from the work budget; E2BIG when spent */
static int
arc_charge(struct arc_job *j, uint64_t n)
{
	if (n > j->budget) {
		snprintf(j->err, j->errlen, "member data exceeds %d times "
		    "the output cap", ARC_EXPAND);
		return E2BIG;
	}
	j->budget -= n;
	return 0;
}

/* arc_reader - a memory reader for the formats and filters we can write */
static int
arc_reader(struct arc_job *j, const uint8_t *buf, size_t len)
{
	static const uint8_t	 empty[1];

	if ((j->r = archive_read_new()) == NULL)
		return ENOMEM;
	for (size_t i = 0; i < NELEM(arc_filters); i++)
		if (arc_filters[i].rd(j->r) != ARCHIVE_OK)	/* no forks */
			return arc_fail(j, j->r, ENOTSUP, "read filter");
	if (archive_read_support_format_zip(j->r) != ARCHIVE_OK ||
	    archive_read_support_format_tar(j->r) != ARCHIVE_OK ||
	    archive_read_support_format_cpio(j->r) != ARCHIVE_OK ||
	    archive_read_support_format_7zip(j->r) != ARCHIVE_OK)
		return arc_fail(j, j->r, ENOTSUP, "read format");
	if (archive_read_open_memory(j->r, len ? buf : empty, len) !=
	    ARCHIVE_OK)
		return arc_fail(j, j->r, archive_errno(j->r) == ARC_EFORMAT ?
		    ENOTSUP : EPROTO, "open");
	return 0;
}

/* arc_first_fail - classify a failure to read the first header */
static int
arc_first_fail(struct arc_job *j)
{
	if (archive_read_has_encrypted_entries(j->r) > 0)
		return arc_fail(j, j->r, EACCES, "encrypted");
	if (archive_format(j->r) == 0 &&
	    archive_errno(j->r) == ARC_EFORMAT)
		return arc_fail(j, j->r, ENOTSUP, "not an archive");
	return arc_fail(j, j->r, EPROTO, "damaged archive");
}

/* arc_writer - a writer of the reader's format and filter, into out */
static int
arc_writer(struct arc_job *j)
{
	const struct arc_fmt	*fmt = NULL;
	const struct arc_filter	*flt = NULL;
	int			 code = archive_format(j->r), fcode;

	for (size_t i = 0; i < NELEM(arc_fmts); i++)
		if (arc_fmts[i].code == code)
			fmt = &arc_fmts[i];
	if (fmt == NULL)
		return arc_fail(j, NULL, ENOTSUP, "format not writable");
	if (archive_filter_count(j->r) > 2)
		return arc_fail(j, NULL, ENOTSUP, "stacked filters");
	fcode = archive_filter_count(j->r) == 2 ?
	    archive_filter_code(j->r, 0) : ARCHIVE_FILTER_NONE;
	for (size_t i = 0; i < NELEM(arc_filters); i++)
		if (arc_filters[i].code == fcode)
			flt = &arc_filters[i];
	if (flt == NULL && fcode != ARCHIVE_FILTER_NONE)
		return arc_fail(j, NULL, ENOTSUP, "filter not writable");
	j->fmt = fmt;
	j->zip = code == ARCHIVE_FORMAT_ZIP;
	j->skip_costs = flt != NULL || code == ARCHIVE_FORMAT_7ZIP;
	j->pads = (code & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR ||
	    (code & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_CPIO;
	if ((j->w = archive_write_new()) == NULL)
		return ENOMEM;
	if (fmt->set(j->w) != ARCHIVE_OK ||
	    (flt != NULL && flt->wr(j->w) != ARCHIVE_OK) ||
	    archive_write_set_bytes_in_last_block(j->w, 1) != ARCHIVE_OK)
		return arc_fail(j, j->w, ENOTSUP, "writer setup");
	if (archive_write_open2(j->w, &j->sink, NULL, arc_sink_write, NULL,
	    NULL) != ARCHIVE_OK)
		return arc_write_fail(j, "writer open");
	return 0;
}

/* arc_wants_drop - 1 if e must be left out (and remember its name) */
static int
arc_wants_drop(struct arc_job *j, struct archive_entry *e, int *err)
{
	const char	*path = archive_entry_pathname(e);
	const char	*link = archive_entry_hardlink(e);
	mode_t		 type = archive_entry_filetype(e);
	int		 asked;

	*err = 0;
	if (path == NULL)
		path = "";
	asked = type == AE_IFREG || (type != AE_IFDIR && type != AE_IFLNK &&
	    archive_entry_size(e) > 0);
	if (!(link != NULL && arc_names_has(&j->dropped, link)) &&
	    !(asked && j->drop(path, j->arg) == 1))
		return 0;
	if (arc_names_add(&j->dropped, path) == -1)
		*err = ENOMEM;
	return 1;
}

/* arc_copy_data - copy the current member's data from reader to writer */
static int
arc_copy_data(struct arc_job *j, struct archive_entry *e)
{
	la_ssize_t	n;
	int		rc;

	for (;;) {
		n = archive_read_data(j->r, j->blk, ARC_BLOCK);
		if (n == 0)
			return 0;
		if (n < 0)
			return arc_fail(j, j->r, archive_entry_is_encrypted(e) ?
			    EACCES : EPROTO, "read member data");
		if ((uint64_t)n <= j->prepaid)
			j->prepaid -= (uint64_t)n;
		else if ((rc = arc_charge(j, (uint64_t)n - j->prepaid)) != 0)
			return rc;
		else
			j->prepaid = 0;
		if (archive_write_data(j->w, j->blk, (size_t)n) < 0)
			return arc_write_fail(j, "write member data");
	}
}

/* arc_member - copy one member, or skip it when it is to be dropped */
static int
arc_member(struct arc_job *j, struct archive_entry *e)
{
	const char	*fmtname, *path;
	int		 rc;

	if ((rc = arc_charge(j, ARC_ENTRY_COST)) != 0)
		return rc;
	if (arc_wants_drop(j, e, &rc)) {
		j->ndropped++;
		if (rc == 0 && j->skip_costs && archive_entry_size_is_set(e) &&
		    archive_entry_size(e) > 0)
			rc = arc_charge(j, (uint64_t)archive_entry_size(e));
		return rc;
	}
	if (archive_entry_is_encrypted(e))
		return arc_fail(j, NULL, EACCES, "encrypted member");
	path = archive_entry_pathname(e);
	if (path == NULL || path[0] == '\0')
		return arc_fail(j, NULL, EPROTO, "member without a name");
	if (j->fmt->refuse & T(archive_entry_filetype(e)))
		return arc_fail(j, NULL, EPROTO, "member type not writable");
	archive_entry_sparse_clear(e);	/* holes are copied as zeros */
	if (j->zip) {
		fmtname = archive_format_name(j->r);
		if (fmtname != NULL && strstr(fmtname, "uncompressed") != NULL)
			rc = archive_write_zip_set_compression_store(j->w);
		else
			rc = archive_write_zip_set_compression_deflate(j->w);
		if (rc != ARCHIVE_OK)
			return arc_write_fail(j, "zip compression");
	}
	/*
	 * tar and cpio writers pad a short member to its declared size, even
	 * when we give up on it: pay for the whole size before it is promised.
	 */
	j->prepaid = 0;
	if (j->pads && archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > 0) {
		if ((rc = arc_charge(j, (uint64_t)archive_entry_size(e))) != 0)
			return rc;
		j->prepaid = (uint64_t)archive_entry_size(e);
	}
	if (archive_write_header(j->w, e) < ARCHIVE_WARN)
		return arc_write_fail(j, "write member header");
	if ((rc = arc_copy_data(j, e)) != 0)
		return rc;
	if (archive_write_finish_entry(j->w) < ARCHIVE_WARN)
		return arc_write_fail(j, "finish member");
	return 0;
}

/* arc_run - read the first header, open the writer, copy every member */
static int
arc_run(struct arc_job *j)
{
	struct archive_entry	*e;
	int			 r, rc;

	r = archive_read_next_header(j->r, &e);
	if (r < ARCHIVE_WARN)
		return arc_first_fail(j);
	if (r == ARCHIVE_EOF && archive_format(j->r) == 0)
		return arc_fail(j, NULL, ENOTSUP, "not an archive");
	if ((rc = arc_writer(j)) != 0)
		return rc;
	while (r != ARCHIVE_EOF) {
		if ((rc = arc_member(j, e)) != 0)
			return rc;
		r = archive_read_next_header(j->r, &e);
		if (r < ARCHIVE_WARN)
			return arc_fail(j, j->r, EPROTO, "damaged archive");
	}
	if (archive_write_close(j->w) != ARCHIVE_OK)
		return arc_write_fail(j, "write archive end");
	return 0;
}

/* cure_archive - rebuild buf without the members drop() names */
int
cure_archive(const uint8_t *buf, size_t len,
    int (*drop)(const char *, void *), void *arg, struct strbuf *out,
    char *err, size_t errlen)
{
	struct arc_job	 j;
	char		 dummy[1];
	int		 e, rc = -1;

	memset(&j, 0, sizeof(j));
	j.sink.out = out;
	j.drop = drop;
	j.arg = arg;
	j.err = errlen > 0 ? err : dummy;
	j.errlen = errlen > 0 ? errlen : sizeof(dummy);
	j.err[0] = '\0';
	j.budget = out->max > UINT64_MAX / ARC_EXPAND ? UINT64_MAX :
	    (uint64_t)out->max * ARC_EXPAND;
	strbuf_reset(out);
	if ((j.blk = malloc(ARC_BLOCK)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	if ((e = arc_reader(&j, buf, len)) != 0 || (e = arc_run(&j)) != 0)
		goto out;
	rc = j.ndropped;
out:
	j.sink.dead = rc == -1;	/* a failed cure writes nothing more */
	archive_read_free(j.r);
	archive_write_free(j.w);	/* may still write: sink is valid */
	arc_names_fini(&j.dropped);
	free(j.blk);
	if (rc == -1) {
		if (e == ENOMEM && j.err[0] == '\0')
			snprintf(j.err, j.errlen, "out of memory");
		strbuf_reset(out);
		errno = e;
	}
	return rc;
}
