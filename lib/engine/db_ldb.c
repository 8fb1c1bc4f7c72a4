/*
 * db_ldb.c - logical signatures (.ldb, and .ldu as extended-set ones)
 *
 * Line format, as ClamAV documents it:
 *	NAME;TDB;EXPRESSION;SUB0;SUB1;...
 * TDB is parsed by lsig.c, EXPRESSION compiled by lsig.c, and each
 * subsignature "[OFFSET:]HEX[::MODIFIERS]" by pattern.c.  Subsignatures
 * vigil cannot evaluate yet (PCRE, byte comparison, macros, fuzzy image
 * hashes) and target blocks naming a container make the signature count
 * as skipped; nothing is loaded half.
 *
 * DESIGN: the subsignatures of a signature are consecutive SUB entries;
 * "::wa" gives two entries with the same index (wide and ascii form),
 * whose counts the scanner adds.
 */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "lsig.h"
#include "pattern.h"

#define LDB_MAXSUB	64

struct ldb_sub {
	const char	*hex;
	size_t		 hexlen;
	unsigned	 flags;		/* PAT_* */
	int		 ascii;		/* ::a given */
	struct img_off_spec off;
};

/* sub_kind - refuse subsignature kinds vigil does not evaluate yet */
static int
sub_kind(const char *s, size_t n)
{
	if (n >= 2 && s[0] == '$' && s[1] == '{')
		return SKIP_MACRO;
	if (memchr(s, '/', n) != NULL)
		return SKIP_PCRE;
	if (memchr(s, '#', n) != NULL)
		return SKIP_BYTECMP;
	return -1;
}

/* sub_parse - split "[OFFSET:]HEX[::MODS]" */
static int
sub_parse(const char *s, size_t n, struct ldb_sub *sub, char *why,
    size_t wl)
{
	const char	*mods = NULL, *colon;
	size_t		 i, nmods = 0;

	memset(sub, 0, sizeof(*sub));
	for (i = 0; i + 1 < n; i++)
		if (s[i] == ':' && s[i + 1] == ':') {
			mods = s + i + 2;
			nmods = n - i - 2;
			n = i;
			break;
		}
	for (i = 0; i < nmods; i++) {
		switch (mods[i]) {
		case 'i': sub->flags |= PAT_NOCASE; break;
		case 'w': sub->flags |= PAT_WIDE; break;
		case 'f': sub->flags |= PAT_FULLWORD; break;
		case 'a': sub->ascii = 1; break;
		default:
			snprintf(why, wl, "unknown subsignature modifier '%c'",
			    mods[i]);
			return -1;
		}
	}
	if ((colon = memchr(s, ':', n)) != NULL) {
		if (off_parse(s, (size_t)(colon - s), &sub->off, why, wl) == -1)
			return -1;
		sub->hex = colon + 1;
		sub->hexlen = n - (size_t)(colon + 1 - s);
	} else {
		sub->off.kind = OFF_ANY;
		sub->hex = s;
		sub->hexlen = n;
	}
	return 0;
}

/* ldb_tdb - fill the target fields of ls; -1 bad, 0 ok, >0 skip reason+1 */
static int
ldb_tdb(const char *s, size_t n, struct img_lsig *ls, char *why, size_t wl)
{
	struct tdb	 t;

	if (tdb_parse(s, n, &t, why, wl) == -1)
		return -1;
	if (t.engine.set && (VIGIL_FLEVEL < t.engine.min ||
	    VIGIL_FLEVEL > t.engine.max))
		return SKIP_FLEVEL + 1;
	if (t.container[0] != '\0')
		return SKIP_CONTAINER + 1;
	if (t.unsupported)
		return SKIP_TDB + 1;
	if (t.target >= 0 && !target_ok(t.target))
		return SKIP_TARGET + 1;
	ls->target = (int8_t)t.target;
	ls->fs_min = 0;
	ls->fs_max = UINT32_MAX;
	if (t.filesize.set) {
		ls->flags |= LSIG_F_FS;
		ls->fs_min = t.filesize.min;
		ls->fs_max = t.filesize.max;
	}
	if (t.entrypoint.set) {
		ls->flags |= LSIG_F_EP;
		ls->ep_min = t.entrypoint.min;
		ls->ep_max = t.entrypoint.max;
	}
	if (t.nsections.set) {
		ls->flags |= LSIG_F_NS;
		ls->ns_min = t.nsections.min;
		ls->ns_max = t.nsections.max;
	}
	return 0;
}

/* ldb_add_subs - compile subsignatures and append SUB entries */
static int
ldb_add_subs(struct builder *b, uint32_t lsig, const struct ldb_sub *subs,
    unsigned nsub, char *why, size_t wl)
{
	struct img_sub	 e;
	size_t		 blob;
	unsigned	 i, pass;

	for (i = 0; i < nsub; i++) {
		for (pass = 0; pass < 2; pass++) {
			unsigned flags = subs[i].flags;

			if (pass == 1) {
				/* ::wa: the ascii form beside the wide one */
				if (!(subs[i].ascii && (flags & PAT_WIDE)))
					break;
				flags &= ~PAT_WIDE;
			}
			if (pat_compile(subs[i].hex, subs[i].hexlen, flags,
			    &b->pat, &blob, why, wl) == -1) {
				char	 tmp[200];

				snprintf(tmp, sizeof(tmp), "subsignature %u: %s",
				    i, why);
				snprintf(why, wl, "%s", tmp);
				return -1;
			}
			memset(&e, 0, sizeof(e));
			e.lsig = lsig;
			e.pat = (uint32_t)blob;
			e.idx = (uint16_t)i;
			e.off = subs[i].off;
			if (strbuf_append(&b->sub, &e, sizeof(e)) == -1)
				return -2;
		}
	}
	return 0;
}

/* db_ldb_line - parse one logical signature */
int
db_ldb_line(struct builder *b, const char *line, size_t len, char *why,
    size_t wl)
{
	struct ldb_sub	 subs[LDB_MAXSUB];
	const char	*p = line, *end = line + len, *name, *tdb, *ex, *f;
	size_t		 nl, tl, el, n, exprblob, subs_before;
	struct img_lsig	 ls;
	unsigned	 nsub = 0;
	int		 skip = -1, rc, k;
	long		 sig;

	nl = field_next(&p, end, ';', &name);
	if (p > end || (tl = field_next(&p, end, ';', &tdb), p > end) ||
	    (el = field_next(&p, end, ';', &ex), p > end)) {
		snprintf(why, wl, "expected NAME;TDB;EXPRESSION;SUBSIGS");
		return -1;
	}
	if (nl == 0) {
		snprintf(why, wl, "empty signature name");
		return -1;
	}
	while (p <= end) {
		n = field_next(&p, end, ';', &f);
		if (nsub == LDB_MAXSUB) {
			snprintf(why, wl, "more than %d subsignatures",
			    LDB_MAXSUB);
			return -1;
		}
		if (n == 0) {
			snprintf(why, wl, "empty subsignature %u", nsub);
			return -1;
		}
		if ((k = sub_kind(f, n)) >= 0) {
			skip = k;
			memset(&subs[nsub], 0, sizeof(subs[nsub]));
		} else if (sub_parse(f, n, &subs[nsub], why, wl) == -1)
			return -1;
		nsub++;
	}
	memset(&ls, 0, sizeof(ls));
	if ((rc = ldb_tdb(tdb, tl, &ls, why, wl)) == -1)
		return -1;
	if (lexpr_compile(ex, el, nsub, &b->expr, &exprblob, why, wl) == -1)
		return -1;
	if (lexpr_maxindex(b->expr.data + exprblob) != nsub - 1) {
		/* as ClamAV: every subsignature up to the last is named */
		snprintf(why, wl, "expression does not use subsignature %u",
		    nsub - 1);
		b->expr.len = exprblob;
		return -1;
	}
	if (rc > 0 || skip >= 0) {
		builder_skip(b, rc > 0 ? rc - 1 : skip);
		return 0;
	}
	if ((sig = builder_sig(b, name, nl, SIGK_LOGICAL)) == -2)
		return 0;
	if (sig < 0)
		return -2;
	ls.sig = (uint32_t)sig;
	ls.expr = (uint32_t)exprblob;
	ls.nsub = (uint16_t)nsub;
	ls.maxcount = lexpr_maxcount(b->expr.data + exprblob);
	{
		static const uint32_t zeros[LDB_MAXSUB];

		if (lexpr_eval(b->expr.data + exprblob, zeros, nsub))
			ls.flags |= LSIG_F_ZERO;
	}
	subs_before = b->sub.len;
	ls.sub0 = (uint32_t)(subs_before / sizeof(struct img_sub));
	rc = ldb_add_subs(b, (uint32_t)(b->lsig.len / sizeof(ls)), subs, nsub,
	    why, wl);
	if (rc != 0) {
		b->sub.len = subs_before;
		/* the signature was counted; take it back */
		b->sig.len -= sizeof(struct img_sig);
		return rc;
	}
	ls.nsubent = (uint32_t)((b->sub.len - subs_before) /
	    sizeof(struct img_sub));
	return strbuf_append(&b->lsig, &ls, sizeof(ls)) == -1 ? -2 : 0;
}
