/*
 * manifest.h - signed database manifests and Ed25519 key files
 *
 * A manifest lists the files of one database version with their sizes and
 * SHA-256 hashes, the zstd objects a mirror serves for them and the deltas
 * from older contents; a detached Ed25519 signature over the text proves
 * who built it.  The text format, the key file formats and the key id are
 * given by the spec of issue 7 (signed database packages); this header
 * gives the C contract.  All text is canonical: mf_format() emits exactly what
 * mf_parse() accepts, so parse(format(m)) == m and, for any valid text t,
 * format(parse(t)) == t up to its signature line.
 */
#ifndef VIGIL_MANIFEST_H
#define VIGIL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "strbuf.h"

#define MF_HASHLEN	32
#define MF_MAXNAME	128
#define MF_MAXFILES	4096
#define MF_MAXDELTAS	16
#define MF_MAXTEXT	((size_t)4 << 20)

struct mf_delta {
	uint8_t		 from[MF_HASHLEN];	/* content it applies to */
	uint64_t	 zsize;			/* size of the .zst delta */
	uint8_t		 zsha[MF_HASHLEN];	/* SHA-256 of the .zst bytes */
};

struct mf_file {
	char		 name[MF_MAXNAME + 1];
	uint64_t	 size;			/* uncompressed */
	uint8_t		 sha[MF_HASHLEN];	/* of the uncompressed content */
	uint64_t	 zsize;
	uint8_t		 zsha[MF_HASHLEN];
	struct mf_delta	*deltas;
	size_t		 ndeltas;
};

struct manifest {
	uint64_t	 version;
	char		 date[21];		/* "YYYY-MM-DDTHH:MM:SSZ" */
	time_t		 when;			/* date as a time_t (UTC) */
	struct mf_file	*files;
	size_t		 nfiles;
	/* filled by mf_parse when the text carries a signature line: */
	int		 signed_;		/* 1: a signature line was present */
	size_t		 signed_len;		/* bytes covered by the signature */
	char		 keyid[17];
	uint8_t		 sig[64];
};

struct vkey {
	uint8_t		 pub[32];
	uint8_t		 sec[64];
	int		 has_sec;
	char		 id[17];		/* lowercase hex, see the spec */
};

/*
 * mf_parse - parse text (need not be NUL-terminated, at most MF_MAXTEXT
 * bytes); a missing signature line is not an error here (m->signed_ = 0).
 * 0, or -1 with err "line N: what" (e.g. "line 4: bad sha256"). On -1 *m
 * is zeroed and holds nothing to free. On 0 the caller owns m's arrays and
 * releases them with mf_free(). When signed_, the signature line is the
 * last line and signed_len is its offset; nothing is verified here.
 */
int	mf_parse(const char *text, size_t len, struct manifest *m, char *err,
	    size_t errlen);
/* mf_free - frees files and deltas, zeroes *m; NULL is a no-op */
void	mf_free(struct manifest *m);
/*
 * mf_format - the unsigned text of m (every line up to, not including, the
 * signature line), appended to out; 0 or -1 (errno: EINVAL when m is not
 * valid per the spec, E2BIG past out's cap, ENOMEM).  An empty m->date is
 * rendered from m->when.  On -1 out->len is restored.
 */
int	mf_format(const struct manifest *m, struct strbuf *out);
/*
 * mf_sign - append the signature line for the text already in out
 * (out->data[0..len) is what is signed; it must be non-empty and end with
 * a newline); k must hold a secret key.  The key id is computed from
 * k->pub.  0, or -1 (errno EINVAL, E2BIG, ENOMEM).
 */
int	mf_sign(struct strbuf *out, const struct vkey *k);
/*
 * mf_verify - check text's signature (m from mf_parse of the same text)
 * against the trusted keys (their ids are computed from pub): 0 ok
 * (*which = index of the key; which may be NULL), -1 with err "unsigned",
 * "untrusted key <id>" or "bad signature".
 */
int	mf_verify(const char *text, const struct manifest *m,
	    const struct vkey *keys, size_t nkeys, size_t *which, char *err,
	    size_t errlen);
/* mf_find - the file named name, or NULL; borrowed until m changes */
const struct mf_file *mf_find(const struct manifest *m, const char *name);
/*
 * mf_add_file - append a copy of f (and its deltas) to m; 0, or -1 with
 * errno EINVAL (bad name, size over 2^40, a delta from f's own sha256),
 * EEXIST (name already present), E2BIG (MF_MAXFILES files or more than
 * MF_MAXDELTAS deltas), ENOMEM.  m->files must come from mf_parse(),
 * mf_add_file() or be NULL (m zeroed); mf_free() releases it all.
 */
int	mf_add_file(struct manifest *m, const struct mf_file *f);
/* mf_name_ok - 1 when name is a valid file name per the spec, else 0 */
int	mf_name_ok(const char *name);

/* hex helpers */
/* mf_hex - 64 lowercase hex digits and a NUL */
void	mf_hex(char out[2 * MF_HASHLEN + 1], const uint8_t h[MF_HASHLEN]);
/* mf_unhex - s must be exactly 64 lowercase hex digits then NUL; 0 / -1 */
int	mf_unhex(uint8_t h[MF_HASHLEN], const char *s);

/* keys */
/* vkey_generate - a new key pair: fills pub, sec, has_sec, id; 0 / -1 */
int	vkey_generate(struct vkey *k);
/*
 * vkey_read - read a public or secret key file (a secret file fills pub
 * from sec too, and has_sec = 1); 0, or -1 with err ("PATH: reason" or
 * "PATH: line N: reason").  Files over 64 KiB are refused.
 */
int	vkey_read(const char *path, struct vkey *k, char *err, size_t errlen);
/*
 * vkey_parse - same, from memory (at most 64 KiB); err is "line N: reason",
 * "no key" or "key file too large".  Lines starting with '#' and empty
 * lines are ignored; exactly one key line is required.
 */
int	vkey_parse(const char *text, size_t len, struct vkey *k, char *err,
	    size_t errlen);
/*
 * vkey_write - write the secret file (mode 0600) and the public file
 * (mode 0644); either path may be NULL to skip it.  Without force an
 * existing file is an error ("PATH: File exists") and nothing is written;
 * with force they are replaced.  0, or -1 with err "PATH: reason".
 */
int	vkey_write(const struct vkey *k, const char *secpath,
	    const char *pubpath, int force, char *err, size_t errlen);
/* vkey_id - computes k->id from k->pub */
void	vkey_id(struct vkey *k);

#endif
