/*
 * build.h - turning signature lines into a compiled image (internal)
 *
 * DESIGN: each database format has one file holding its line parser
 * (db_hash.c, db_ndb.c, db_ldb.c); they append to the growable arrays of
 * a struct builder.  build.c then sorts, indexes, compiles the prefilter
 * and lays everything out as one image (image.h).  A parser never keeps
 * a pointer into the line it was given.
 */
#ifndef VIGIL_BUILD_H
#define VIGIL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "strbuf.h"

struct vigil_load_report;

/* the functionality level vigil claims (signatures needing more are skipped) */
#define VIGIL_FLEVEL	210

struct nameset;

struct builder {
	struct strbuf	 str;		/* IMG_STR */
	struct strbuf	 sig;		/* struct img_sig */
	struct strbuf	 hash[3];	/* struct img_hash16/20/32 */
	struct strbuf	 fp[3];
	struct strbuf	 body;		/* struct img_body */
	struct strbuf	 lsig;		/* struct img_lsig */
	struct strbuf	 sub;		/* struct img_sub */
	struct strbuf	 pat;		/* pattern blobs */
	struct strbuf	 expr;		/* expression blobs */
	struct nameset	*ign;		/* names dropped by .ign2 */
	struct vigil_load_report *rep;
	uint32_t	 anysize_need;
	uint32_t	 fp_anysize_need;
	unsigned long	 skip_counts[8];	/* why signatures were skipped */
	int		 default_set;	/* -1: by name; else the set (.ndu/.ldu) */
};

/* skip reasons, indexes into skip_counts */
enum skip_why {
	SKIP_TARGET, SKIP_FLEVEL, SKIP_PCRE, SKIP_BYTECMP, SKIP_MACRO,
	SKIP_CONTAINER, SKIP_TDB, SKIP_OTHER
};

int	 builder_init(struct builder *, struct vigil_load_report *);
void	 builder_fini(struct builder *);

/* builder_sig - add a signature named [name, name+n) of kind; returns its
 * index, -2 when .ign2 drops it, -1 on ENOMEM. */
long	 builder_sig(struct builder *, const char *name, size_t n, int kind);
void	 builder_skip(struct builder *, enum skip_why);

/* line parsers: 0 ok (possibly skipped), -1 malformed (why says so),
 * -2 out of memory */
int	 db_hash_line(struct builder *, const char *, size_t, int allow,
	    char *why, size_t);
int	 db_hash_add(struct builder *, int allow, int kind, const uint8_t *,
	    uint32_t size, uint32_t sig);
int	 db_ndb_line(struct builder *, const char *, size_t, char *, size_t);
int	 db_ldb_line(struct builder *, const char *, size_t, char *, size_t);
int	 db_ign_line(struct builder *, const char *, size_t, char *, size_t);

/* off_parse - parse an offset field ("*", "n", "n,m", "EOF-n", "EP+n",
 * "Sx+n", "SL+n", each with optional ",m"); 0 or -1 + why */
int	 off_parse(const char *, size_t, struct img_off_spec *, char *, size_t);

/* target_ok - 1 when a target type is evaluated on raw objects */
int	 target_ok(long);

/* flevel_ok - check optional MinFL/MaxFL fields; 1 usable, 0 skip, -1 bad */
int	 flevel_ok(const char *minfl, size_t, const char *maxfl, size_t);

/* builder_finish - lay out the image; on success *img is malloc'ed */
int	 builder_finish(struct builder *, const char *version, void **img,
	    size_t *imglen, char *why, size_t);

/* nameset: a set of names (for .ign2) */
struct nameset *nameset_new(void);
void	 nameset_free(struct nameset *);
int	 nameset_add(struct nameset *, const char *, size_t);
int	 nameset_has(const struct nameset *, const char *, size_t);

/* split helper: the next field of [*p, end) up to sep; returns its length */
size_t	 field_next(const char **p, const char *end, int sep, const char **f);

#endif
