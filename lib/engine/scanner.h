/*
 * scanner.h - the scanner object shared by scan.c, container.c and
 * curefd.c (internal)
 *
 * A request (one vigil_scan_* or vigil_cure_fd call) scans a tree of
 * objects: the object given, and, depth first, every member of every
 * container in it.  Per-object state (the buffer, digests, executable
 * headers, the generation stamps of scan.c) is reset for each object;
 * per-request state (detections, names, counters, the deadline) lives
 * until the result has been read.
 */
#ifndef VIGIL_SCANNER_H
#define VIGIL_SCANNER_H

#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>

#include "vigil/vigil.h"
#include "engine.h"
#include "exe.h"
#include "strbuf.h"

#define SCAN_NONAME	SIZE_MAX
#define SCAN_PATHMAX	4096
#define SCAN_DEPTHMAX	65		/* container.c HARD_DEPTH + 1 */
#define SCAN_KEEPBUF	((size_t)16 << 20)	/* kept between requests */

/* container kinds, from the object's first bytes */
enum obj_kind {
	K_PLAIN = 0,
	K_ARCHIVE,		/* zip tar 7z rar cab iso cpio ar */
	K_COMPRESSED,		/* gzip bzip2 xz lzma zstd: one stream or a tar */
	K_MAIL,			/* one RFC 5322 message */
	K_MBOX,
	K_SFX			/* an executable with a zip at its end */
};

/* one detection's names, parallel to det[] */
struct det_names {
	size_t		 object;	/* offsets in names, or SCAN_NONAME */
	size_t		 reason;
	size_t		 top;		/* top-level member: raw name or "#N" */
};

struct vigil_scanner {
	const struct vigil_engine *e;
	hs_scratch_t	*scratch;
	uint32_t	 gen;
	uint32_t	*body_gen;	/* nbody: matched in this scan */
	uint32_t	*sub_gen;	/* nsub: counted in this scan */
	uint32_t	*sub_cnt;
	uint32_t	*lsig_gen;	/* nlsig: touched in this scan */
	uint32_t	*touched;
	size_t		 ntouched;
	struct vigil_detection *det;
	struct det_names *dn;
	size_t		 ndet, capdet;
	uint8_t		*rbuf;		/* SCAN_SMALL bytes, for small files */
	EVP_MD_CTX	*md[3];
	uint8_t		 dig[3][32];
	unsigned	 have_dig;
	/* the object in scan */
	const uint8_t	*buf;
	size_t		 len;
	size_t		 base, seen;	/* window base; hits below seen are old */
	enum obj_kind	 kind;
	int		 exe_done;
	struct exe_info	 exe;
	unsigned	 hits;
	/* the request */
	struct vigil_limits lim;
	enum vigil_dbset set;
	unsigned	 flags;
	int		 stop;		/* first detection, or out of time */
	int		 timed_out;
	int		 halt;		/* a request limit: extract no more */
	struct timespec	 deadline;
	int		 has_deadline;
	uint64_t	 scanned;	/* bytes scanned and extracted */
	unsigned	 nobj;		/* objects scanned */
	unsigned	 nmembers;	/* objects extracted */
	unsigned	 depth;
	struct strbuf	 names;		/* object names, reasons */
	char		 path[SCAN_PATHMAX];	/* object in scan, in its container */
	size_t		 pathlen;
	size_t		 path_off;	/* path interned in names, or SCAN_NONAME */
	size_t		 top;		/* top-level member, or SCAN_NONAME */
	char		 reason[160];	/* why ERROR, for the whole request */
	struct strbuf	 xbuf[SCAN_DEPTHMAX];	/* extraction, one per depth */
	/* vigil_cure_fd's copy of the detections it removed */
	struct vigil_detection *cdet;
	size_t		*ctop;		/* per cdet: top member in cnames */
	size_t		 ncdet;
	struct strbuf	 cnames;
};

/* scan.c */
void	 scan_request_begin(struct vigil_scanner *, const struct vigil_limits *);
void	 scan_object(struct vigil_scanner *, const uint8_t *, size_t);
int	 scan_time_up(struct vigil_scanner *);
void	 scan_status(struct vigil_scanner *, enum vigil_status, const char *,
	    ...) __attribute__((format(printf, 3, 4)));
void	 scan_result(struct vigil_scanner *, struct vigil_result *);
int	 scan_read_fd(int, uint64_t, uint8_t **, size_t *, int *);

/* container.c */
enum obj_kind container_kind(const uint8_t *, size_t);
void	 container_scan(struct vigil_scanner *, const uint8_t *, size_t);
int	 container_push(struct vigil_scanner *, const char *);
void	 container_pop(struct vigil_scanner *, size_t);

#endif
