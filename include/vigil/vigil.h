/*
 * vigil.h - the public interface of libvigil, the vigil scanning engine
 *
 * This is the only engine header a program may include.
 *
 * Life cycle: vigil_engine_load() reads a database directory (or its
 * compiled form from the on-disk cache) into an immutable engine.  An
 * engine is shared read-only by any number of threads; each thread makes
 * its own vigil_scanner, which holds the scratch memory a scan needs and
 * the result of the last scan.  vigil_engine_free() may be called only
 * after every scanner made from the engine has been freed.
 *
 * Errors and verdicts travel apart: engine calls return enum vigil_err;
 * the verdict of a scan is in struct vigil_result.  An infected file is
 * VIGIL_OK with res->status == VIGIL_INFECTED.  An object that could not
 * be scanned (unreadable, limit hit) is VIGIL_OK with
 * res->status == VIGIL_STATUS_ERROR and a reason in res->reason.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VIGIL_VERSION	"0.1.0"

enum vigil_err {
	VIGIL_OK = 0,
	VIGIL_ENOMEM,		/* out of memory */
	VIGIL_EIO,		/* read or write failed; errno kept */
	VIGIL_EFORMAT,		/* malformed database */
	VIGIL_EARG,		/* bad argument */
	VIGIL_ENOENT,		/* database directory missing or empty */
	VIGIL_EINTERNAL		/* e.g. the pattern compiler refused */
};

/* The guides' statuses, in increasing order of severity. */
enum vigil_status {
	VIGIL_CLEAN = 0,
	VIGIL_CURED,
	VIGIL_STATUS_ERROR,	/* could not be scanned, or a limit was hit */
	VIGIL_CORRUPTED,	/* malformed object */
	VIGIL_PROTECTED,	/* encrypted, cannot be looked into */
	VIGIL_WARNING,		/* code like a known threat */
	VIGIL_SUSPICIOUS,	/* heuristic detection */
	VIGIL_INFECTED		/* known threat */
};

/* Database sets: each is a superset of the one before. */
enum vigil_dbset {
	VIGIL_SET_STANDARD = 0,
	VIGIL_SET_EXTENDED,
	VIGIL_SET_PARANOID
};

/* vigil_load_opts - how to load a database; zeroed means defaults */
struct vigil_load_opts {
	const char	*dbdir;		/* the database directory ([path] BasesPath) */
	const char	*cache_dir;	/* compiled-database cache; NULL: none */
	int		 lenient;	/* skip malformed lines instead of failing */
};

/* vigil_load_report - what a load found; filled even when it fails */
struct vigil_load_report {
	unsigned	 files;		/* database files read */
	unsigned long	 hash_sigs;	/* .hdb .hsb (and the same inside .cvd) */
	unsigned long	 body_sigs;	/* .ndb */
	unsigned long	 logical_sigs;	/* .ldb */
	unsigned long	 allow_entries;	/* .fp .sfp */
	unsigned long	 ignored;	/* signatures dropped by .ign2 */
	unsigned long	 skipped;	/* signatures of kinds not supported yet */
	unsigned long	 skipped_files;	/* files of kinds not supported yet */
	unsigned long	 bad_lines;	/* malformed lines (lenient mode) */
	int		 from_cache;	/* 1: compiled form came from the cache */
	unsigned long long package_version; /* of an installed package; 0 */
	double		 seconds;	/* wall time of the load */
	char		 skipped_why[256];	/* e.g. "12 .pdb (kind not supported)" */
	char		 error[512];	/* first error: "file:line: reason" */
};

struct vigil_engine;
struct vigil_scanner;

/*
 * vigil_engine_load - load opts->dbdir into *out.
 * Every .hdb .hsb .ndb .ldb .fp .sfp .ign2 .cvd .cld file in the directory
 * is read; files of other known database kinds are skipped and counted.
 * A malformed line fails the load with VIGIL_EFORMAT and
 * rep->error = "file:line: reason", unless opts->lenient.
 * With opts->cache_dir, the compiled form is read from (or written to) a
 * file keyed by the database's content.  rep may be NULL.
 */
enum vigil_err	vigil_engine_load(const struct vigil_load_opts *opts,
		    struct vigil_engine **out, struct vigil_load_report *rep);
void		vigil_engine_free(struct vigil_engine *);

/* vigil_engine_sigcount - signatures loaded (all kinds, all sets) */
unsigned long	vigil_engine_sigcount(const struct vigil_engine *);

/* vigil_engine_version - content digest of the database (hex, 64 chars);
 * lives as long as the engine. */
const char	*vigil_engine_version(const struct vigil_engine *);

/* vigil_engine_threats - call fn once per loaded signature with its threat
 * name, kind ("hash", "body", "logical") and set; stops when fn returns
 * non-zero and returns that value. */
int		vigil_engine_threats(const struct vigil_engine *,
		    int (*fn)(const char *name, const char *kind,
		    enum vigil_dbset set, void *arg), void *arg);

/* vigil_set_of_name - the set a signature name belongs to: PUA.* and
 * Adware.* are extended, Heuristics.* and *.Heur.* paranoid, the rest
 * standard. */
enum vigil_dbset vigil_set_of_name(const char *name);

/* vigil_status_of_name - the status a detection by this name gives:
 * Heuristics.* and Suspicious.* SUSPICIOUS, Warning.* and *.Variant.*
 * WARNING, the rest INFECTED. */
enum vigil_status vigil_status_of_name(const char *name);

const char	*vigil_status_name(enum vigil_status);	/* "INFECTED" ... */
enum vigil_dbset vigil_dbset_parse(const char *);	/* -1 when unknown */
const char	*vigil_dbset_name(enum vigil_dbset);
const char	*vigil_strerror(enum vigil_err);

/*
 * Scan limits; 0 means unlimited (a hard ceiling still applies: 64 levels,
 * one million objects, 1 GiB extracted).  A zeroed struct scans the object
 * as it is, without looking into containers; vigil_limits_default() gives
 * the guides' defaults with every container kind on.  Passing NULL to a
 * scan function means the defaults.
 */
#define VIGIL_SCAN_ALLMATCH	0x01	/* report every detection, not the first */
#define VIGIL_SCAN_ARCHIVES	0x02	/* zip tar 7z rar cab iso cpio ar, gzip bzip2 xz lzma zstd */
#define VIGIL_SCAN_MAILPLAIN	0x04	/* RFC 5322 messages: MIME parts, uuencode */
#define VIGIL_SCAN_MAILBASES	0x08	/* mbox files */
#define VIGIL_SCAN_SFX		0x10	/* archives appended to executables */
#define VIGIL_SCAN_PACKED	0x20	/* executable packers (accepted; no unpacker yet) */
#define VIGIL_SCAN_DEFLATE	0x40	/* the object is a zlib or raw deflate stream */
#define VIGIL_SCAN_CONTAINERS	(VIGIL_SCAN_ARCHIVES | VIGIL_SCAN_MAILPLAIN | \
				 VIGIL_SCAN_MAILBASES | VIGIL_SCAN_SFX | \
				 VIGIL_SCAN_PACKED)
struct vigil_limits {
	uint64_t	 max_file_size;	/* larger objects: ERROR, not scanned */
	uint64_t	 max_scan_size;	/* bytes scanned (and extracted) per request */
	unsigned	 max_recursion;	/* container depth */
	unsigned	 max_files;	/* objects extracted per request */
	unsigned	 max_scan_ms;	/* wall time per request */
	unsigned	 max_ratio;	/* extracted bytes per container byte */
	enum vigil_dbset set;
	unsigned	 flags;
};

/* vigil_limits_default - 100M, 400M, 17 levels, 10000 objects, no time
 * limit, ratio 250, standard set, every container kind */
void		vigil_limits_default(struct vigil_limits *);

/*
 * A detection is a threat found in an object (threat != NULL), or a status
 * without a threat (CORRUPTED, PROTECTED, ERROR) with its reason.  object
 * names the object inside the scanned one: "" for the object itself,
 * "a.zip/b.tar/c.exe" for archive members, "part2:invoice.zip/a.exe" for
 * a mail attachment, "msg3/part1" for a message of an mbox.
 */
struct vigil_detection {
	enum vigil_status	 status;
	const char		*threat;	/* lives as long as the engine; NULL for a bare status */
	const char		*object;	/* path inside the container; "" for the object */
	const char		*reason;	/* why CORRUPTED/PROTECTED/ERROR; else NULL */
};

/* vigil_result - valid until the next scan on the same scanner */
struct vigil_result {
	enum vigil_status	 status;	/* the most severe of the detections */
	const char		*threat;	/* first threat's name, or NULL */
	unsigned		 ndet;
	const struct vigil_detection *det;
	uint64_t		 bytes;		/* bytes scanned, members included */
	unsigned		 objects;	/* objects scanned, members included */
	const char		*reason;	/* why the status, when not a threat */
};

/* vigil_scanner_new - per-thread scanner; NULL on ENOMEM */
struct vigil_scanner *vigil_scanner_new(const struct vigil_engine *);
void		vigil_scanner_free(struct vigil_scanner *);

/*
 * vigil_scan_buffer / vigil_scan_fd / vigil_scan_path - scan one object.
 * scan_fd scans from offset 0 to end of file and does not close fd.
 * lim may be NULL (no limits, standard set).  On VIGIL_OK, *res holds
 * the verdict.  Errors: VIGIL_ENOMEM; VIGIL_EARG.  I/O failures are a
 * verdict (VIGIL_STATUS_ERROR with res->reason), not an error.
 */
enum vigil_err	vigil_scan_buffer(struct vigil_scanner *, const void *,
		    size_t, const struct vigil_limits *, struct vigil_result *);
enum vigil_err	vigil_scan_fd(struct vigil_scanner *, int,
		    const struct vigil_limits *, struct vigil_result *);
enum vigil_err	vigil_scan_path(struct vigil_scanner *, const char *,
		    const struct vigil_limits *, struct vigil_result *);

/*
 * vigil_cure_fd - scan in_fd and, when it holds threats, write a cured
 * copy to out_fd (from its current offset; the caller gives an empty file).
 * Mail: infected parts become a text notice part.  Archives (zip, tar,
 * cpio, 7z; plain or gzip/bzip2/xz): rebuilt without the members holding a
 * threat.  Other objects: cured by the database's cure records (.cure).
 * The copy is scanned again before it is written; only a copy free of
 * threats is written.  Outcome in res: CURED with the detections that were
 * removed; or the scan's status with res->reason "not curable: ..." and
 * nothing written; or the scan's verdict when there was nothing to cure.
 * Errors: VIGIL_ENOMEM, VIGIL_EARG, VIGIL_EIO (writing out_fd).
 */
enum vigil_err	vigil_cure_fd(struct vigil_scanner *, int in_fd, int out_fd,
		    const struct vigil_limits *, struct vigil_result *);

/* vigil_engine_curecount - cure records loaded */
unsigned long	vigil_engine_curecount(const struct vigil_engine *);

#ifdef __cplusplus
}
#endif

#endif
