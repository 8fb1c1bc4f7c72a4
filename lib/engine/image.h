/*
 * image.h - the compiled database: one flat, position-independent image
 *
 * DESIGN: everything a scan needs lives in a handful of arrays that hold
 * offsets, never pointers.  The loader builds them in memory from the
 * signature files (build.c), and the cache (cache.c) writes them to disk
 * as they are; a cached load is one mmap plus deserialising the
 * prefilter.  Per-object cost does not depend on the number of
 * signatures: hash signatures are found by binary search, body and
 * logical signatures only through prefilter hits, and scanners keep
 * generation-stamped per-signature state so nothing is reset per object.
 *
 * Sections of the image (struct img_hdr.sect[]):
 *   STR      NUL-terminated names
 *   SIG      struct img_sig, one per signature (names, kinds, sets)
 *   H16/H20/H32   struct img_hash{16,20,32}, sorted by digest then size
 *   F16/F20/F32   the same for the allow-lists (.fp/.sfp)
 *   SIZES    struct img_size, sorted by size: which digests a size needs
 *   FSIZES   the same for the allow-lists
 *   BODY     struct img_body, one per .ndb signature
 *   LSIG     struct img_lsig, one per .ldb signature
 *   SUB      struct img_sub, one per logical subsignature (pattern kind)
 *   PAT      pattern blobs (pattern.h), 8-aligned
 *   EXPR     logical expression blobs (lsig.h), 8-aligned
 *   LITMAP   struct img_litmap: prefilter id -> range of REFS
 *   REFS     uint32 references: IMG_REF_SUB bit + index into BODY or SUB
 *   SLOW     uint32 references scanned without prefilter (short literals)
 *   HS       the serialised prefilter database (may be empty)
 */
#ifndef VIGIL_IMAGE_H
#define VIGIL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define IMG_MAGIC	"VIGILDB\0"
#define IMG_FORMAT	4

enum img_sect {
	IMG_STR, IMG_SIG, IMG_H16, IMG_H20, IMG_H32, IMG_F16, IMG_F20,
	IMG_F32, IMG_SIZES, IMG_FSIZES, IMG_BODY, IMG_LSIG, IMG_SUB, IMG_PAT, IMG_EXPR,
	IMG_LITMAP, IMG_REFS, IMG_SLOW, IMG_HS, IMG_NSECT
};

enum img_kind { SIGK_HASH, SIGK_BODY, SIGK_LOGICAL };

/* digest kinds, as bits of a need mask */
#define HK_MD5		0x1
#define HK_SHA1		0x2
#define HK_SHA256	0x4

#define IMG_ANYSIZE	UINT32_MAX
#define IMG_REF_SUB	0x80000000u

struct img_range {
	uint64_t	 off, len;
};

struct img_hdr {
	char		 magic[8];
	uint32_t	 format;
	uint32_t	 hdrlen;
	char		 version[72];	/* content digest, hex */
	uint32_t	 anysize_need;	/* digests needed for size '*' hashes */
	uint32_t	 fp_need;	/* digests for size '*' allow-list entries */
	uint64_t	 nsigs;
	struct img_range sect[IMG_NSECT];
	/* load report figures carried into the cache */
	uint64_t	 hash_sigs, body_sigs, logical_sigs, allow_entries;
	uint64_t	 ignored, skipped, skipped_files, files;
	char		 skipped_why[256];
	uint8_t		 blobsum[32];	/* SHA-256 of PAT and EXPR (trusted blobs) */
};

struct img_sig {
	uint32_t	 name;		/* offset into STR */
	uint8_t		 kind;		/* enum img_kind */
	uint8_t		 set;		/* enum vigil_dbset */
	uint8_t		 status;	/* enum vigil_status on detection */
	uint8_t		 pad;
};

struct img_hash16 { uint8_t d[16]; uint32_t size, sig; };
struct img_hash20 { uint8_t d[20]; uint32_t size, sig; };
struct img_hash32 { uint8_t d[32]; uint32_t size, sig; };

struct img_size {
	uint32_t	 size;
	uint32_t	 need;		/* HK_* */
};

/* offset forms of body signatures and subsignatures */
enum img_off {
	OFF_ANY,	/* *              */
	OFF_ABS,	/* n  or  n,m     */
	OFF_EOF,	/* EOF-n[,m]      */
	OFF_EP,		/* EP+n / EP-n[,m] */
	OFF_SECT,	/* Sx+n[,m]       */
	OFF_SLAST,	/* SL+n[,m]       */
	OFF_SENTIRE	/* SEx: anywhere in section x */
};

struct img_off_spec {
	uint8_t		 kind;		/* enum img_off */
	uint8_t		 pad;
	uint16_t	 section;	/* OFF_SECT: x */
	int32_t		 n;		/* signed for EP-n and EOF-n */
	uint32_t	 m;		/* extra range: start in [base+n, base+n+m] */
};

struct img_body {
	uint32_t	 sig;
	uint32_t	 pat;		/* offset into PAT */
	struct img_off_spec off;
	int8_t		 target;	/* 0 any, 1 PE, 6 ELF, 9 Mach-O */
	uint8_t		 pad[7];
};

struct img_lsig {
	uint32_t	 sig;
	uint32_t	 expr;		/* offset into EXPR */
	uint32_t	 sub0;		/* first index into SUB */
	uint16_t	 nsub;		/* subsignatures (SUB entries may be more: ::wa) */
	int8_t		 target;	/* -1 any */
	uint8_t		 pad;
	uint32_t	 maxcount;	/* counting beyond this changes nothing */
	uint32_t	 fs_min, fs_max;	/* FileSize; max UINT32_MAX when unset */
	uint32_t	 ep_min, ep_max;	/* EntryPoint; set flag in eps */
	uint32_t	 ns_min, ns_max;	/* NumberOfSections */
	uint32_t	 flags;		/* LSIG_F_* */
	uint32_t	 nsubent;	/* SUB entries from sub0 */
};
#define LSIG_F_EP	0x1
#define LSIG_F_NS	0x2
#define LSIG_F_FS	0x4
#define LSIG_F_ZERO	0x8	/* true with no subsignature matched */

struct img_sub {
	uint32_t	 lsig;		/* index into LSIG */
	uint32_t	 pat;		/* offset into PAT */
	uint16_t	 idx;		/* subsignature number in its signature */
	uint16_t	 pad;
	struct img_off_spec off;
};

struct img_litmap {
	uint32_t	 first, count;	/* range of REFS */
};

/* img_view - the sections of an image, resolved to pointers */
struct img_view {
	const struct img_hdr	*hdr;
	const char		*str;
	const struct img_sig	*sig;
	const struct img_hash16	*h16, *f16;
	const struct img_hash20	*h20, *f20;
	const struct img_hash32	*h32, *f32;
	size_t			 nh16, nh20, nh32, nf16, nf20, nf32;
	const struct img_size	*sizes, *fsizes;
	size_t			 nsizes, nfsizes;
	const struct img_body	*body;
	size_t			 nbody;
	const struct img_lsig	*lsig;
	size_t			 nlsig;
	const struct img_sub	*sub;
	size_t			 nsub;
	const uint8_t		*pat, *expr;
	const struct img_litmap	*litmap;
	size_t			 nlit;
	const uint32_t		*refs, *slow;
	size_t			 nrefs, nslow;
	const uint8_t		*hs;
	size_t			 hslen;
};

/* img_resolve - check the header and section bounds of an image of len
 * bytes at base and fill v; -1 when it is not a sound image. */
int	img_resolve(const void *base, size_t len, struct img_view *v);

#endif
