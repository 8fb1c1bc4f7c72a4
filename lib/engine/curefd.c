/*
 * curefd.c - vigil_cure_fd: cure an object and prove the cure
 *
 * DESIGN: the object is read whole and scanned with every detection kept
 * (ALLMATCH).  What cures it depends on where the threats are:
 *   - a threat in the object itself: the database's cure records for each
 *     such threat, applied one after the other (cure.c); no record, no cure;
 *   - threats only inside members of an archive: the archive rebuilt
 *     without the top-level members that hold them (cure.c, libarchive);
 *   - threats only inside parts of a message: those parts replaced by a
 *     text notice part (mime.c).
 * The cured copy is then scanned like the original; only a copy in which
 * no threat remains is written to out_fd.  Nothing here writes in place:
 * the caller renames the copy over the original when it wants to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cure.h"
#include "fdio.h"
#include "mime.h"
#include "scanner.h"

#define CURE_MAX	((size_t)1 << 30)

/* save_dets - copy the scan's detections; they outlive the next scan */
static int
save_dets(struct vigil_scanner *s, const struct vigil_result *r)
{
	struct vigil_detection *d;
	size_t	*off, i, k;
	const char *txt[3];

	free(s->cdet);
	free(s->ctop);
	s->ctop = NULL;
	s->ncdet = 0;
	strbuf_reset(&s->cnames);
	if ((s->cdet = calloc(r->ndet + 1, sizeof(*d))) == NULL ||
	    (s->ctop = calloc(r->ndet + 1, sizeof(*s->ctop))) == NULL)
		return -1;
	if ((off = calloc((r->ndet + 1) * 3, sizeof(*off))) == NULL)
		return -1;
	for (i = 0; i < r->ndet; i++) {
		s->cdet[i] = r->det[i];
		txt[0] = r->det[i].object;
		txt[1] = r->det[i].reason;
		txt[2] = s->dn[i].top != SCAN_NONAME ? s->names.data +
		    s->dn[i].top : NULL;
		for (k = 0; k < 3; k++) {
			off[i * 3 + k] = SCAN_NONAME;
			if (txt[k] == NULL)
				continue;
			off[i * 3 + k] = s->cnames.len;
			if (strbuf_append(&s->cnames, txt[k], strlen(txt[k]) +
			    1) == -1) {
				free(off);
				return -1;
			}
		}
	}
	for (i = 0; i < r->ndet; i++) {
		s->cdet[i].object = s->cnames.data + off[i * 3];
		s->cdet[i].reason = off[i * 3 + 1] == SCAN_NONAME ? NULL :
		    s->cnames.data + off[i * 3 + 1];
		s->ctop[i] = off[i * 3 + 2];
	}
	s->ncdet = r->ndet;
	free(off);
	return 0;
}

/* top_of - the top-level member name of saved detection i, or NULL */
static const char *
top_of(const struct vigil_scanner *s, size_t i)
{
	return s->ctop[i] == SCAN_NONAME ? NULL : s->cnames.data +
	    s->ctop[i];
}

/* is_threat - a detection that cure must remove */
static int
is_threat(const struct vigil_detection *d)
{
	return d->threat != NULL && d->status >= VIGIL_WARNING;
}

/* drop_member - archive member holding a threat? */
static int
drop_member(const char *path, void *arg)
{
	const struct vigil_scanner *s = arg;
	const char *t;
	size_t	 i;

	for (i = 0; i < s->ncdet; i++)
		if (is_threat(&s->cdet[i]) && (t = top_of(s, i)) != NULL &&
		    strcmp(t, path) == 0)
			return 1;
	return 0;
}

/* drop_part - mail part holding a threat? */
static int
drop_part(const struct mime_part *p, void *arg)
{
	const struct vigil_scanner *s = arg;
	const char *t;
	char	 want[16];
	size_t	 i;

	snprintf(want, sizeof(want), "#%u", p->index);
	for (i = 0; i < s->ncdet; i++)
		if (is_threat(&s->cdet[i]) && (t = top_of(s, i)) != NULL &&
		    strcmp(t, want) == 0)
			return 1;
	return 0;
}

/* cure_records - apply the cure records of every threat in the object */
static int
cure_records(struct vigil_scanner *s, const uint8_t *buf, size_t len,
    struct strbuf *out, char *why, size_t whylen)
{
	struct strbuf	 tmp;
	size_t		 i, j;
	int		 rc = 0, seen;

	strbuf_init(&tmp, CURE_MAX);
	if (strbuf_append(out, buf, len) == -1) {
		snprintf(why, whylen, "object too large");
		return -1;
	}
	for (i = 0; i < s->ncdet && rc == 0; i++) {
		if (!is_threat(&s->cdet[i]))
			continue;
		for (seen = 0, j = 0; j < i; j++)
			if (is_threat(&s->cdet[j]) && strcmp(s->cdet[j].threat,
			    s->cdet[i].threat) == 0)
				seen = 1;
		if (seen)
			continue;
		if (s->e->cure == NULL || cure_db_apply(s->e->cure,
		    s->cdet[i].threat, (const uint8_t *)out->data, out->len,
		    &tmp) == -1) {
			snprintf(why, whylen, "%s for %s", errno == EINVAL ?
			    "the cure record does not fit the object" :
			    "no cure record", s->cdet[i].threat);
			rc = -1;
			break;
		}
		strbuf_reset(out);
		if (strbuf_append(out, tmp.data ? tmp.data : "",
		    tmp.len) == -1) {
			snprintf(why, whylen, "object too large");
			rc = -1;
		}
	}
	strbuf_fini(&tmp);
	return rc;
}

/* notice_text - the text that replaces an infected mail part */
static void
notice_text(const struct vigil_scanner *s, char *buf, size_t cap)
{
	size_t	 i, n;

	n = (size_t)snprintf(buf, cap, "vigil removed an infected part of "
	    "this message.\r\nThreats found:");
	for (i = 0; i < s->ncdet && n + 4 < cap; i++)
		if (is_threat(&s->cdet[i]))
			n += (size_t)snprintf(buf + n, cap - n, " %s",
			    s->cdet[i].threat);
	if (n + 3 < cap)
		snprintf(buf + n, cap - n, "\r\n");
}

/* cured_result - the outcome, over the saved detections */
static void
cured_result(struct vigil_scanner *s, enum vigil_status st,
    const char *reason, uint64_t bytes, unsigned objects,
    struct vigil_result *res)
{
	size_t	 i;

	memset(res, 0, sizeof(*res));
	res->status = st;
	for (i = 0; i < s->ncdet; i++)
		if (res->threat == NULL && s->cdet[i].threat != NULL)
			res->threat = s->cdet[i].threat;
	res->ndet = (unsigned)s->ncdet;
	res->det = s->cdet;
	res->bytes = bytes;
	res->objects = objects;
	if (reason != NULL) {
		snprintf(s->reason, sizeof(s->reason), "not curable: %.140s",
		    reason);
		res->reason = s->reason;
	}
}

/* vigil_cure_fd - scan in_fd; write a verified cured copy to out_fd */
enum vigil_err
vigil_cure_fd(struct vigil_scanner *s, int in_fd, int out_fd,
    const struct vigil_limits *lim, struct vigil_result *res)
{
	struct vigil_limits l;
	struct vigil_result r2;
	struct strbuf	 out;
	uint8_t		*buf = NULL;
	size_t		 len = 0, i;
	enum obj_kind	 kind;
	enum vigil_status st;
	enum vigil_err	 rc = VIGIL_OK;
	char		 why[200], notice[512];
	int		 toobig, in_member = 0, in_object = 0, n;
	uint64_t	 bytes;
	unsigned	 objects;

	if (s == NULL || res == NULL || in_fd < 0 || out_fd < 0)
		return VIGIL_EARG;
	if (lim != NULL)
		l = *lim;
	else
		vigil_limits_default(&l);
	l.flags |= VIGIL_SCAN_ALLMATCH;
	if (scan_read_fd(in_fd, l.max_file_size, &buf, &len,
	    &toobig) == -1) {
		if (toobig)
			return vigil_scan_fd(s, in_fd, &l, res);
		scan_request_begin(s, &l);
		snprintf(s->reason, sizeof(s->reason), "read: %s",
		    strerror(errno));
		scan_result(s, res);
		return VIGIL_OK;
	}
	if ((rc = vigil_scan_buffer(s, buf, len, &l, res)) != VIGIL_OK ||
	    res->status < VIGIL_WARNING)
		goto done;
	st = res->status;
	bytes = res->bytes;
	objects = res->objects;
	if (save_dets(s, res) == -1) {
		rc = VIGIL_ENOMEM;
		goto done;
	}
	for (i = 0; i < s->ncdet; i++)
		if (is_threat(&s->cdet[i])) {
			if (top_of(s, i) == NULL)
				in_object = 1;
			else
				in_member = 1;
		}
	strbuf_init(&out, CURE_MAX);
	why[0] = '\0';
	kind = container_kind(buf, len);
	if (in_object) {
		(void)cure_records(s, buf, len, &out, why, sizeof(why));
	} else if (in_member && (kind == K_ARCHIVE || kind == K_COMPRESSED)) {
		if (cure_archive(buf, len, drop_member, s, &out, why,
		    sizeof(why)) == -1 && why[0] == '\0')
			snprintf(why, sizeof(why), "%s", errno == ENOTSUP ?
			    "this archive format cannot be rewritten" :
			    strerror(errno));
	} else if (in_member && kind == K_MAIL) {
		notice_text(s, notice, sizeof(notice));
		n = mime_rewrite(buf, len, NULL, drop_part, s, notice, &out);
		if (n <= 0)
			snprintf(why, sizeof(why), "the message could not be "
			    "rewritten");
	} else
		snprintf(why, sizeof(why), "%s cannot be rewritten",
		    kind == K_MBOX ? "a mailbox" : "this container");
	if (why[0] == '\0') {
		if ((rc = vigil_scan_buffer(s, out.data ? out.data : "",
		    out.len, &l, &r2)) != VIGIL_OK)
			goto out;
		if (r2.status >= VIGIL_WARNING)
			snprintf(why, sizeof(why), "%s remains after cure",
			    r2.threat ? r2.threat : "a threat");
	}
	if (why[0] == '\0') {
		if (fd_write_all(out_fd, out.data ? out.data : "", out.len) == -1)
			rc = VIGIL_EIO;
		else
			cured_result(s, VIGIL_CURED, NULL, bytes, objects,
			    res);
	} else
		cured_result(s, st, why, bytes, objects, res);
out:
	strbuf_fini(&out);
done:
	free(buf);
	return rc;
}
