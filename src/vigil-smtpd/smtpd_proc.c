/*
 * smtpd_proc.c - what vigil-smtpd does with one received message
 *
 * proc_message() takes a spooled transaction and gives every recipient
 * its outcome, in this order:
 *  1. Recipients are split by group (mail guide 6.1): the first group
 *     holding both the sender and the recipient; a message whose
 *     recipients fall into several groups is handled once per group.
 *  2. The message is scanned once through vigild (the spool file's
 *     descriptor is passed, nothing is copied), with a cured copy asked
 *     for when a group cures.  vigild unreachable or failing: 451, the
 *     MTA keeps the message.
 *  3. Per group: the statuses present (the verdict, and FILTERED for
 *     attachments matching FilterByName / FilterByMIME / FilterByType),
 *     then the rules: quarantine the original, build the recipients'
 *     copy (unchanged, cured, offending parts removed, or none), attach
 *     the report, add the X-Vigil-* headers, forward it, send the
 *     notices, write the report line.
 * The upstream's reply is the downstream's: a recipient gets 2xx only
 * when the downstream accepted its copy (or the rules removed the
 * message and everything they asked for - quarantine - was done).
 *
 * DESIGN: a clean message is forwarded from the spool's mapping as three
 * pieces (head, our header lines, rest): no copy.  Rewritten copies are
 * built in capped strbufs.  Several statuses combine: drop wins over
 * remove, which wins over cured, which wins over unchanged; removed
 * parts are the union of what each status's rule removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pkg.h"
#include "qstore.h"
#include "smtp_msg.h"
#include "smtpd.h"

#define COPY_MAX	((size_t)1 << 30)
#define TMPL_MAX	(64 * 1024)
#define MAXPARTS	10000

/* A leaf part and whether a group filters it. */
struct part {
	unsigned	 index;
	char		*fname;
	char		 ctype[64];
	char		 dtype[64];
};

struct parts {
	struct part	*p;
	size_t		 n, cap;
	int		 incomplete;	/* a limit stopped the walk */
};

/* What the scan said, shared by the groups. */
struct verdict {
	int				 scanned;
	struct vigil_client_result	 res;
	const uint8_t			*cured;		/* mapped cured copy */
	size_t				 cured_len;
};

/* The message as received. */
struct msg {
	const uint8_t	*m;
	size_t		 len, body, ins;
	char		 msgid[256], subject[512], from[512], to[1024];
	char		 date[128];
	int		 auto_submitted;
};

/* map_status - vigild's status as a rule status; SP_NSTATUS: clean */
static enum sp_status
map_status(enum vigil_status st)
{
	switch (st) {
	case VIGIL_INFECTED:	return SP_INFECTED;
	case VIGIL_SUSPICIOUS:	return SP_SUSPICIOUS;
	case VIGIL_WARNING:	return SP_WARNING;
	case VIGIL_CORRUPTED:	return SP_CORRUPTED;
	case VIGIL_PROTECTED:	return SP_PROTECTED;
	case VIGIL_STATUS_ERROR: return SP_ERROR;
	case VIGIL_CURED:	return SP_CURED;
	default:		return SP_NSTATUS;
	}
}

/* part_index - N of a detection's object "partN..." ; 0: the message */
static unsigned
part_index(const char *obj)
{
	unsigned long	 n;
	char		*end;

	if (obj == NULL || strncmp(obj, "part", 4) != 0)
		return 0;
	n = strtoul(obj + 4, &end, 10);
	if (end == obj + 4 || (*end != '\0' && *end != ':' && *end != '/') ||
	    n == 0 || n > MAXPARTS)
		return 0;
	return (unsigned)n;
}

/* parts_cb - msg_parts callback: keep names and types */
static int
parts_cb(const struct msg_part *mp, void *arg)
{
	struct parts	*ps = arg;
	struct part	*p;
	size_t		 cap;

	if (ps->n == ps->cap) {
		cap = ps->cap ? ps->cap * 2 : 16;
		if (cap > MAXPARTS)
			return 1;
		if ((p = realloc(ps->p, cap * sizeof(*p))) == NULL)
			return 1;
		ps->p = p;
		ps->cap = cap;
	}
	p = &ps->p[ps->n];
	memset(p, 0, sizeof(*p));
	p->index = mp->index;
	if (mp->filename != NULL && (p->fname = strdup(mp->filename)) == NULL)
		return 1;
	snprintf(p->ctype, sizeof(p->ctype), "%s", mp->ctype ? mp->ctype :
	    "");
	snprintf(p->dtype, sizeof(p->dtype), "%s", mp->dtype ? mp->dtype :
	    "");
	ps->n++;
	return 0;
}

/* parts_free - the names kept by parts_cb and the array */
static void
parts_free(struct parts *ps)
{
	size_t	i;

	for (i = 0; i < ps->n; i++)
		free(ps->p[i].fname);
	free(ps->p);
}

/* load_tmpl - a template file of the configured directory into sb (a
 * missing, unreadable or oversize template is an error, never a cut) */
static int
load_tmpl(const struct smtpd_conf *cf, const char *name, struct strbuf *sb)
{
	char	 path[4096], err[600], *buf;
	size_t	 len;
	int	 rc;

	snprintf(path, sizeof(path), "%s/%s", cf->tmpl_dir, name);
	strbuf_init(sb, TMPL_MAX);
	if (pkg_slurp(path, TMPL_MAX, &buf, &len, err, sizeof(err)) == -1) {
		log_warnx("template: %s", err);
		return -1;
	}
	rc = strbuf_append(sb, buf, len);
	free(buf);
	if (rc == 0 && strbuf_reserve(sb, 1) == NULL)	/* data never NULL */
		rc = -1;
	return rc;
}

/* scan - the verdict from vigild; 0, or -1 (with why) to try later */
static int
scan(struct smtpd_conf *cf, struct sess_ctx *ctx, struct txn *t, int cure,
    struct vigil_client_result *res, char *why, size_t whylen)
{
	struct vigil_client_opts o = { .lim = &cf->lim, .cure = cure,
		.name = t->qid, .client = "vigil-smtpd" };
	int	 rc, tries, fresh;
	char	 err[512];

	for (tries = 0; tries < 2; tries++) {
		fresh = 0;
		if (ctx->vc == NULL && tries == 0)
			ctx->vc = pool_vigild();
		if (ctx->vc == NULL || !vigil_client_usable(ctx->vc)) {
			vigil_client_close(ctx->vc);
			ctx->vc = vigil_client_open(cf->vigild,
			    (int)(cf->check_time + 15) * 1000, err,
			    sizeof(err));
			if (ctx->vc == NULL) {
				snprintf(why, whylen, "%s", err);
				vigild_state(0, err);
				return -1;
			}
			fresh = 1;
		}
		rc = vigil_client_scan_fd(ctx->vc, t->spool, &o, res, err,
		    sizeof(err));
		if (rc == 0) {
			vigild_state(1, NULL);
			return 0;
		}
		snprintf(why, whylen, "%s", err);
		if (rc != -1 || fresh)
			break;
		/* a kept connection vigild closed (restart): once more */
	}
	G.cnt.vigild_errors++;
	vigild_state(0, why);
	return -1;
}

/* get_fwd - the session's downstream connection, opened when needed */
static struct fwd_conn *
get_fwd(struct smtpd_conf *cf, struct sess_ctx *ctx, int *fresh,
    struct fwd_result *why)
{
	*fresh = 0;
	if (ctx->fc != NULL && ctx->gen != cf->gen) {
		fwd_close(ctx->fc);
		ctx->fc = NULL;
	}
	if (ctx->fc == NULL && (ctx->fc = pool_fwd(cf->gen)) != NULL)
		ctx->gen = cf->gen;
	if (ctx->fc != NULL && fwd_usable(ctx->fc))
		return ctx->fc;
	fwd_close(ctx->fc);
	ctx->gen = cf->gen;
	ctx->fc = fwd_open(&cf->fwd, cf->hostname, (int)cf->timeout * 1000,
	    why);
	*fresh = 1;
	return ctx->fc;
}

/* forward - one transaction downstream; res[0..n) filled */
static void
forward(struct smtpd_conf *cf, struct sess_ctx *ctx, struct fwd_msg *fm,
    struct fwd_result *res)
{
	struct fwd_conn		*fc;
	struct fwd_result	 why;
	size_t			 i;
	int			 fresh, tries, any2;

	for (tries = 0; tries < 2; tries++) {
		memset(&why, 0, sizeof(why));
		if ((fc = get_fwd(cf, ctx, &fresh, &why)) == NULL) {
			for (i = 0; i < fm->nrcpt; i++) {
				res[i].code = why.code >= 400 ? why.code : 451;
				snprintf(res[i].text, sizeof(res[i].text),
				    "%s", why.text[0] ? why.text :
				    "4.4.1 downstream unavailable");
			}
			log_warnx("ForwardMailer: %d %s", res[0].code,
			    res[0].text);
			return;
		}
		memset(res, 0, fm->nrcpt * sizeof(*res));
		if (fwd_send(fc, fm, res) == 0 || fresh)
			return;
		/* a kept connection that failed before taking anything
		   (the peer timed it out): once more on a new one */
		for (any2 = 0, i = 0; i < fm->nrcpt; i++)
			if (res[i].code >= 200 && res[i].code < 300)
				any2 = 1;
		if (any2)
			return;
	}
}

/* join_rcpts - "a@b, c@d" of a group's recipients */
static void
join_rcpts(const struct txn *t, const size_t *idx, size_t n,
    struct strbuf *sb, const char *sep, int angle)
{
	size_t	i;

	for (i = 0; i < n; i++)
		(void)strbuf_printf(sb, "%s%s%s%s", i ? sep : "",
		    angle ? "<" : "", t->rc[idx[i]].addr, angle ? ">" : "");
	if (strbuf_addc(sb, '\0') == 0)
		sb->len--;
}

/* to_lf - CRLF line ends to LF (qmail takes LF mail) */
static int
to_lf(const struct iovec *iov, size_t n, struct strbuf *out)
{
	size_t		 i, j;
	const uint8_t	*p;
	int		 cr = 0;

	for (i = 0; i < n; i++) {
		p = iov[i].iov_base;
		for (j = 0; j < iov[i].iov_len; j++) {
			if (cr && p[j] != '\n' && strbuf_addc(out, '\r') == -1)
				return -1;
			cr = p[j] == '\r';
			if (!cr && strbuf_addc(out, p[j]) == -1)
				return -1;
		}
	}
	if (cr && strbuf_addc(out, '\r') == -1)
		return -1;
	return 0;
}

/* send_msg - forward one built message to rcpts with the envelope; the
 * upstream client's XFORWARD attributes go with the mail it sent, not
 * with our notices (null sender) */
static void
send_msg(struct smtpd_conf *cf, struct sess_ctx *ctx, const char *sender,
    const char *mail_params, const char *const *rcpts,
    const char *const *rparams, size_t n, struct iovec *iov, size_t niov,
    struct fwd_result *res)
{
	struct fwd_msg	 fm = { .sender = sender, .mail_params = mail_params,
		.nrcpt = n, .rcpt = rcpts, .rcpt_params = rparams,
		.xforward = cf->xforward && ctx->xforward[0] &&
		    sender != NULL && sender[0] != '\0' ? ctx->xforward : NULL,
		.iov = iov, .niov = niov };
	struct strbuf	 lf;
	struct iovec	 one;

	if (cf->fwd.kind == FWD_QMAIL) {
		strbuf_init(&lf, COPY_MAX);
		if (to_lf(iov, niov, &lf) == -1) {
			res[0].code = 451;
			snprintf(res[0].text, sizeof(res[0].text),
			    "4.3.0 out of memory");
			strbuf_fini(&lf);
			return;
		}
		one.iov_base = lf.data ? lf.data : (char *)"";
		one.iov_len = lf.len;
		fm.iov = &one;
		fm.niov = 1;
		forward(cf, ctx, &fm, res);
		strbuf_fini(&lf);
		return;
	}
	forward(cf, ctx, &fm, res);
}

/* notify - build a notice from a template and send it from <> */
static int
notify(struct smtpd_conf *cf, struct sess_ctx *ctx, struct txn *t,
    const char *tmpl_name, const struct msg_vars *v, const char *const *to,
    size_t nto, const uint8_t *attach, size_t attach_len)
{
	struct strbuf		 tmpl, out, tol;
	struct fwd_result	*res;
	struct iovec		 iov;
	size_t			 i;
	int			 ok = 0;

	if (nto == 0 || load_tmpl(cf, tmpl_name, &tmpl) == -1) {
		if (nto)
			strbuf_fini(&tmpl);
		return -1;
	}
	strbuf_init(&tol, SB_MAX);
	for (i = 0; i < nto; i++)
		(void)strbuf_printf(&tol, "%s%s", i ? ", " : "", to[i]);
	(void)strbuf_addc(&tol, '\0');
	strbuf_init(&out, COPY_MAX);
	if (msg_notify(tmpl.data, tmpl.len, v, cf->notify_from, tol.data,
	    attach, attach_len, &out) == -1 || (res = calloc(nto,
	    sizeof(*res))) == NULL) {
		log_warn("%s: notice %s", t->qid, tmpl_name);
		ok = -1;
		goto out;
	}
	iov.iov_base = out.data;
	iov.iov_len = out.len;
	send_msg(cf, ctx, "", "", to, NULL, nto, &iov, 1, res);
	for (i = 0; i < nto; i++)
		if (res[i].code < 200 || res[i].code >= 300) {
			log_warnx("%s: notice %s to <%s> not taken: %d %s",
			    t->qid, tmpl_name, to[i], res[i].code,
			    res[i].text);
			ok = -1;
		} else
			G.cnt.notices++;
	free(res);
out:
	strbuf_fini(&out);
	strbuf_fini(&tol);
	strbuf_fini(&tmpl);
	return ok;
}

/* quarantine - keep the original in the group's store; 0 or -1 */
static int
quarantine(const struct sp_group *g, struct txn *t, const char *status,
    const char *threats, const char *rcpts, char id[33])
{
	struct qstore	*q;
	struct qmeta	 m;
	struct strbuf	 origin;
	char		 err[512];
	int		 rc;

	if (g->qpath == NULL) {
		log_warnx("%s: group %s wants quarantine but no "
		    "QuarantinePath is set", t->qid, g->name);
		return -1;
	}
	if (qstore_open(g->qpath, &q, err, sizeof(err)) == -1) {
		log_warnx("%s: quarantine: %s", t->qid, err);
		return -1;
	}
	strbuf_init(&origin, SB_MAX);
	(void)strbuf_printf(&origin, "mail from <%s> to %s", t->sender,
	    rcpts);
	memset(&m, 0, sizeof(m));
	m.origin = origin.data;
	m.status = (char *)status;
	m.threat = threats[0] ? (char *)threats : NULL;
	m.reason = (char *)"quarantine";
	m.sender = t->sender;
	m.recipients = (char *)rcpts;
	m.mode = 0600;
	m.mtime = time(NULL);
	rc = qstore_put_fd(q, t->spool, &m, 0, id, err, sizeof(err));
	if (rc == -1)
		log_warnx("%s: quarantine: %s", t->qid, err);
	else
		G.cnt.quarantined++;
	strbuf_fini(&origin);
	qstore_close(q);
	return rc;
}

/* map_fd - a read-only mapping of a whole file; "" when empty */
static const uint8_t *
map_fd(int fd, size_t *len)
{
	struct stat	 st;
	void		*p;

	*len = 0;
	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size == 0)
		return (const uint8_t *)"";
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}

/* unmap - undo map_fd ("" for an empty file is not a mapping) */
static void
unmap(const uint8_t *p, size_t len)
{
	if (p != NULL && len > 0)
		munmap((void *)p, len);
}

/* worst_det - the worst threat status among the detections */
static enum sp_status
worst_det(const struct vigil_client_result *r)
{
	enum sp_status	 w = SP_NSTATUS, s;
	unsigned	 i;

	for (i = 0; i < r->ndet; i++) {
		s = map_status(r->det[i].status);
		if (s != SP_CURED && s < w)
			w = s;
	}
	return w == SP_NSTATUS ? SP_INFECTED : w;
}

/* seen_threat - did a detection before i name the same threat? */
static int
seen_threat(const struct vigil_client_result *r, unsigned i)
{
	unsigned	k;

	for (k = 0; k < i; k++)
		if (r->det[k].threat != NULL &&
		    strcmp(r->det[k].threat, r->det[i].threat) == 0)
			return 1;
	return 0;
}

/* do_group - the rules of one group for its recipients idx[0..n) */
static void
do_group(struct smtpd_conf *cf, struct sess_ctx *ctx, struct txn *t,
    const struct msg *msg, const struct verdict *v, const struct parts *ps,
    const struct sp_group *g, const size_t *idx, size_t n, uint64_t t0)
{
	unsigned	 set = 0, *rm = NULL;
	size_t		 nrm = 0, i;
	enum sp_status	 mst = SP_NSTATUS, worst = SP_NSTATUS, s;
	enum sp_action	 act = SA_UNCHANGED;
	int		 whole = 0, nocopy = 0, use_cured = 0, q = 0;
	int		 an = 0, sn = 0, rn = 0, ra = 0, attached = 0;
	struct strbuf	 threats, objects, rcpts, notice, work, wrap, xh;
	struct strbuf	 rep;
	const uint8_t	*base = msg->m, *fin;
	size_t		 blen = msg->len, flen, fins;
	char		 qid[33] = "", tbuf[64], line[1200];
	const char	**rv = NULL, **rp = NULL;
	struct fwd_result *res = NULL;
	struct msg_vars	 mv;
	struct iovec	 iov[3];
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 tempfail = 0, nrep;
	char		 tfwhy[256] = "";

	strbuf_init(&threats, SB_MAX);
	strbuf_init(&objects, SB_MAX);
	strbuf_init(&rcpts, SB_MAX);
	strbuf_init(&notice, TMPL_MAX);
	strbuf_init(&work, COPY_MAX);
	strbuf_init(&wrap, COPY_MAX);
	strbuf_init(&xh, SB_MAX);
	strbuf_init(&rep, TMPL_MAX);
	join_rcpts(t, idx, n, &rcpts, ",", 1);
	/* removed parts come from the detections and the filtered parts */
	if ((rm = calloc(v->res.ndet + (ps != NULL ? ps->n : 0) + 1,
	    sizeof(*rm))) == NULL ||
	    (rv = calloc(n, sizeof(*rv))) == NULL ||
	    (rp = calloc(n, sizeof(*rp))) == NULL ||
	    (res = calloc(n, sizeof(*res))) == NULL) {
		tempfail = 1;
		snprintf(tfwhy, sizeof(tfwhy), "4.3.0 out of memory");
		goto reply;
	}
	for (i = 0; i < n; i++) {
		rv[i] = t->rc[idx[i]].addr;
		rp[i] = t->rc[idx[i]].params;
	}

	/* statuses present */
	if (g->check && v->scanned && v->res.status != VIGIL_CLEAN) {
		mst = map_status(v->res.status);
		if (mst == SP_CURED && (!g->cure || v->cured == NULL))
			mst = worst_det(&v->res);
		set |= 1u << mst;
		for (i = 0; i < v->res.ndet; i++) {
			const struct vigil_client_det *d = &v->res.det[i];

			if (d->status == VIGIL_CLEAN)
				continue;
			if (d->threat != NULL && !seen_threat(&v->res, (unsigned)i))
				(void)strbuf_printf(&threats, "%s%s",
				    threats.len ? ", " : "", d->threat);
			snprintf(line, sizeof(line), "%s %s %s\n",
			    d->object && d->object[0] ? d->object :
			    "(message)", vigil_status_name(d->status),
			    d->threat ? d->threat : d->reason ? d->reason :
			    "");
			if (objects.data == NULL || strstr(objects.data,
			    line) == NULL)
				(void)strbuf_append(&objects, line,
				    strlen(line));
		}
	}
	if (g->check && ps != NULL && ps->incomplete &&
	    (g->nfname > 0 || g->nftype > 0)) {
		/* attachments past a limit were not looked at: not CLEAN */
		set |= 1u << SP_ERROR;
		(void)strbuf_printf(&objects, "(message) ERROR too many "
		    "parts to check the attachment filters\n");
	}
	if (g->check && ps != NULL)
		for (i = 0; i < ps->n; i++) {
			const struct part *p = &ps->p[i];

			if (!sp_filter_name(g, p->fname) &&
			    !sp_filter_type(g, p->ctype) &&
			    !sp_filter_type(g, p->dtype[0] ? p->dtype : NULL))
				continue;
			set |= 1u << SP_FILTERED;
			(void)strbuf_printf(&objects, "part%u%s%s FILTERED "
			    "%s\n", p->index, p->fname ? ":" : "",
			    p->fname ? p->fname : "", p->ctype);
		}
	/* non-NULL data, without underflowing len when the append fails */
	if (strbuf_addc(&threats, '\0') == 0)
		threats.len--;
	if (strbuf_addc(&objects, '\0') == 0)
		objects.len--;
	for (s = 0; s < SP_NSTATUS; s++)
		if (set & (1u << s)) {
			if (worst == SP_NSTATUS)
				worst = s;
			q |= g->rule[s].quarantine;
			an |= g->rule[s].admin_notify;
			sn |= g->rule[s].sender_notify;
			rn |= g->rule[s].rcpt_notify;
			ra |= g->rule[s].rcpt_notify && g->rule[s].rcpt_attach;
		}

	/* the recipients' copy */
	if (mst != SP_NSTATUS) {
		enum sp_action a = g->rule[mst].rcpt_action;

		if (a == SA_CURED && mst == SP_CURED)
			use_cured = 1;
		else if (a == SA_CURED || a == SA_REMOVE) {
			a = SA_REMOVE;
			for (i = 0; i < v->res.ndet; i++) {
				unsigned pi;

				if (v->res.det[i].status == VIGIL_CLEAN)
					continue;
				if ((pi = part_index(v->res.det[i].object)) ==
				    0)
					whole = 1;
				else if (nrm < MAXPARTS)
					rm[nrm++] = pi;
			}
			if (nrm == 0)
				whole = 1;
		} else if (a == SA_DROP)
			nocopy = 1;
		act = a;
	}
	if (set & (1u << SP_FILTERED)) {
		enum sp_action a = g->rule[SP_FILTERED].rcpt_action;

		if (a == SA_DROP)
			nocopy = 1;
		else if (a != SA_UNCHANGED)
			for (i = 0; i < ps->n && nrm < MAXPARTS; i++) {
				const struct part *p = &ps->p[i];

				if (sp_filter_name(g, p->fname) ||
				    sp_filter_type(g, p->ctype) ||
				    sp_filter_type(g, p->dtype[0] ? p->dtype :
				    NULL))
					rm[nrm++] = p->index;
			}
		if (a == SA_DROP || (a != SA_UNCHANGED && act != SA_DROP))
			act = a == SA_CURED ? SA_REMOVE : a;
	}
	if (whole || nocopy)
		act = nocopy ? SA_DROP : SA_REMOVE;

	/* macros */
	memset(&mv, 0, sizeof(mv));
	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%a, %d %b %Y %H:%M:%S %z", &tm);
	mv.sender = t->sender[0] ? t->sender : "<>";
	mv.recipients = rcpts.data;
	mv.status = worst == SP_NSTATUS ? "CLEAN" : sp_status_name(worst);
	mv.action = sp_action_name(act);
	mv.threats = threats.data;
	mv.objects = objects.data;
	mv.group = g->name;
	mv.message_id = msg->msgid;
	mv.subject = msg->subject;
	mv.from = msg->from;
	mv.to = msg->to;
	mv.date = msg->date;
	mv.hostname = cf->hostname;
	mv.queue_id = t->qid;
	mv.quarantine = qid;
	mv.time = tbuf;
	mv.headers = msg->m;
	mv.headers_len = msg->body;

	if (q && quarantine(g, t, mv.status, threats.data ? threats.data : "",
	    rcpts.data ? rcpts.data : "", qid) == -1) {
		tempfail = 1;
		snprintf(tfwhy, sizeof(tfwhy), "4.3.0 quarantine failed");
		goto reply;
	}

	if (use_cured) {
		base = v->cured;
		blen = v->cured_len;
	}
	fin = base;
	flen = blen;
	if (!whole && !nocopy && nrm > 0) {
		if (load_tmpl(cf, "notice.txt", &rep) == 0) {
			(void)msg_expand(rep.data, rep.len, &mv, 0, &notice);
			(void)strbuf_addc(&notice, '\0');
		}
		strbuf_fini(&rep);
		nrep = msg_remove_parts(base, blen, rm, nrm,
		    notice.data ? notice.data : "removed by vigil-smtpd",
		    &work);
		if (nrep == -1) {
			tempfail = 1;
			snprintf(tfwhy, sizeof(tfwhy), "4.3.0 cannot rewrite "
			    "the message");
			goto reply;
		}
		if (nrep == 0) {
			if (!use_cured) {
				act = SA_REMOVE;
				whole = 1;
			}
		} else {
			fin = (const uint8_t *)work.data;
			flen = work.len;
		}
	}
	if (!whole && !nocopy && ra && worst != SP_NSTATUS) {
		if (load_tmpl(cf, "report.txt", &rep) == 0) {
			struct strbuf rtxt;

			strbuf_init(&rtxt, TMPL_MAX);
			(void)msg_expand(rep.data, rep.len, &mv, 0, &rtxt);
			(void)strbuf_addc(&rtxt, '\0');
			if (msg_wrap(fin, flen, rtxt.data ? rtxt.data : "",
			    &wrap) == 0) {
				fin = (const uint8_t *)wrap.data;
				flen = wrap.len;
				attached = 1;
			}
			strbuf_fini(&rtxt);
		}
	}
	mv.action = sp_action_name(act);

	/* deliver the copy */
	if (!whole && !nocopy) {
		(void)msg_header_end(fin, flen, &fins);
		/* a header block ending the message without a line end
		   (smtp_msg.h: the caller writes one before adding fields) */
		if (g->xheaders && fins == flen && flen > 0 &&
		    fin[flen - 1] != '\n')
			(void)strbuf_append(&xh, "\r\n", 2);
		if (g->xheaders && g->check) {
			(void)strbuf_printf(&xh, "X-Vigil-Status: %s\r\n",
			    mv.status);
			if (worst != SP_NSTATUS)
				(void)strbuf_printf(&xh, "X-Vigil-Action: "
				    "%s\r\n", mv.action);
			if (threats.len)
				(void)strbuf_printf(&xh, "X-Vigil-Threats: "
				    "%s\r\n", threats.data);
			(void)strbuf_printf(&xh, "X-Vigil-Scanner: "
			    "vigil-smtpd %s on %s%s%s\r\n", VIGIL_VERSION,
			    cf->hostname, v->res.db[0] ? ", database " : "",
			    v->res.db);
		}
		iov[0].iov_base = (void *)fin;
		iov[0].iov_len = fins;
		iov[1].iov_base = xh.data ? xh.data : (char *)"";
		iov[1].iov_len = xh.len;
		iov[2].iov_base = (void *)(fin + fins);
		iov[2].iov_len = flen - fins;
		send_msg(cf, ctx, t->sender, t->mail_params, rv, rp, n,
		    iov, 3, res);
		for (i = 0; i < n; i++) {
			struct txn_rcpt *r = &t->rc[idx[i]];

			r->code = res[i].code ? res[i].code : 451;
			snprintf(r->text, sizeof(r->text), "%s",
			    res[i].code ? res[i].text :
			    "4.4.2 no answer from downstream");
			if (r->code < 300)
				G.cnt.delivered++;
		}
	} else {
		for (i = 0; i < n; i++) {
			struct txn_rcpt *r = &t->rc[idx[i]];

			r->code = 250;
			snprintf(r->text, sizeof(r->text), "2.7.0 Ok: %s "
			    "message %s by vigil-smtpd (%s)", mv.status,
			    nocopy ? "dropped" : "removed", t->qid);
			G.cnt.removed++;
		}
	}

	/* notices, once the recipients' fate is settled (a copy the
	   downstream refused gets none: the upstream will retry) */
	if (worst != SP_NSTATUS && t->rc[idx[0]].code < 300) {
		const uint8_t	*att = NULL;
		size_t		 attlen = 0;
		enum sp_action	 aa = g->rule[mst != SP_NSTATUS ? mst :
				    SP_FILTERED].admin_action;

		if (aa == SA_UNCHANGED) {
			att = msg->m;
			attlen = msg->len;
		} else if (aa == SA_CURED) {
			if (v->cured != NULL && g->cure) {
				att = v->cured;
				attlen = v->cured_len;
			} else if (!whole && !nocopy && fin != msg->m) {
				att = fin;
				attlen = flen;
			}
		}
		if (an && g->admin != NULL && g->admin[0] != '\0') {
			const char *to[1] = { g->admin };

			(void)notify(cf, ctx, t, "admin.txt", &mv, to, 1, att,
			    attlen);
		}
		if (sn && t->sender[0] != '\0' && !msg->auto_submitted) {
			const char *to[1] = { t->sender };

			(void)notify(cf, ctx, t, "sender.txt", &mv, to, 1,
			    NULL, 0);
		}
		if (rn && (whole || nocopy || !attached) &&
		    !msg->auto_submitted && (whole || nocopy || ra))
			(void)notify(cf, ctx, t, "recipient.txt", &mv, rv, n,
			    NULL, 0);
	}

reply:
	if (tempfail) {
		log_warnx("%s: group %s: %s", t->qid, g->name, tfwhy);
		for (i = 0; i < n; i++) {
			t->rc[idx[i]].code = 451;
			snprintf(t->rc[idx[i]].text, sizeof(t->rc[idx[i]].text),
			    "%s", tfwhy);
		}
	}
	for (i = 0; i < n; i++) {
		if (t->rc[idx[i]].code >= 500)
			G.cnt.permfail++;
		else if (t->rc[idx[i]].code >= 400)
			G.cnt.tempfail++;
	}
	G.cnt.status[worst]++;
	if (worst != SP_NSTATUS || cf->show_ok)
		report("msg id=%s message-id=%s from=<%s> to=%s group=%s "
		    "status=%s action=%s%s%s%s%s size=%llu ms=%llu scan_ms=%llu "
		    "reply=%d client=%s",
		    t->qid, msg->msgid[0] ? msg->msgid : "-", t->sender,
		    rcpts.data ? rcpts.data : "", g->name,
		    worst == SP_NSTATUS ? "CLEAN" : sp_status_name(worst),
		    tempfail ? "none" : sp_action_name(act),
		    threats.len ? " threats=" : "", threats.len ?
		    threats.data : "", qid[0] ? " quarantine=" : "", qid,
		    (unsigned long long)t->size, (unsigned long long)
		    ((monotonic_usec() - t0) / 1000), (unsigned long long)
		    (v->res.usec / 1000), t->rc[idx[0]].code, ctx->client);
	free(rm);
	free(rv);
	free(rp);
	free(res);
	strbuf_fini(&threats);
	strbuf_fini(&objects);
	strbuf_fini(&rcpts);
	strbuf_fini(&notice);
	strbuf_fini(&work);
	strbuf_fini(&wrap);
	strbuf_fini(&xh);
	strbuf_fini(&rep);
}

/*
 * refused_notice - one reply for all recipients (SMTP upstream, qmail)
 * cannot say that the downstream took some recipients and refused others
 * for good.  Answering 5xx would bounce the delivered ones too, so the
 * sender is told here (failure.txt, from <>) and the refused recipients
 * are answered 250: the notice is their bounce.  Without a sender, or
 * when the notice cannot be sent, the codes stay as they are.
 */
static void
refused_notice(struct smtpd_conf *cf, struct sess_ctx *ctx, struct txn *t,
    const struct msg *msg)
{
	struct strbuf	 who, why;
	struct msg_vars	 mv;
	size_t		 i, ok = 0, n4 = 0, n5 = 0;
	const char	*to[1];
	char		 tbuf[64];
	time_t		 now = time(NULL);
	struct tm	 tm;

	for (i = 0; i < t->nrc; i++) {
		if (t->rc[i].code < 300)
			ok++;
		else if (t->rc[i].code < 500)
			n4++;
		else
			n5++;
	}
	if (ok == 0 || n5 == 0 || n4 > 0 || t->sender[0] == '\0' ||
	    msg->auto_submitted)
		return;
	strbuf_init(&who, SB_MAX);
	strbuf_init(&why, SB_MAX);
	for (i = 0; i < t->nrc; i++)
		if (t->rc[i].code >= 500) {
			(void)strbuf_printf(&who, "%s<%s>", who.len ? ", " :
			    "", t->rc[i].addr);
			(void)strbuf_printf(&why, "<%s>: %d %s\n",
			    t->rc[i].addr, t->rc[i].code, t->rc[i].text);
		}
	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%a, %d %b %Y %H:%M:%S %z", &tm);
	memset(&mv, 0, sizeof(mv));
	mv.sender = t->sender;
	mv.recipients = who.data ? who.data : "";
	mv.status = "REFUSED";
	mv.action = "not delivered";
	mv.objects = why.data ? why.data : "";
	mv.message_id = msg->msgid;
	mv.subject = msg->subject;
	mv.from = msg->from;
	mv.to = msg->to;
	mv.date = msg->date;
	mv.hostname = cf->hostname;
	mv.queue_id = t->qid;
	mv.time = tbuf;
	mv.headers = msg->m;
	mv.headers_len = msg->body;
	to[0] = t->sender;
	if (notify(cf, ctx, t, "failure.txt", &mv, to, 1, NULL, 0) == 0) {
		log_info("%s: %s refused downstream: failure notice sent to "
		    "<%s>", t->qid, mv.recipients, t->sender);
		for (i = 0; i < t->nrc; i++)
			if (t->rc[i].code >= 500) {
				t->rc[i].code = 250;
				snprintf(t->rc[i].text, sizeof(t->rc[i].text),
				    "2.0.0 refused downstream; the sender "
				    "was sent a failure notice");
			}
	}
	strbuf_fini(&who);
	strbuf_fini(&why);
}

/* read_msg - the header facts the rules and notices use */
static void
read_msg(struct msg *msg)
{
	char	as[64];

	msg->body = msg_header_end(msg->m, msg->len, &msg->ins);
	(void)msg_header(msg->m, msg->body, "Message-ID", msg->msgid,
	    sizeof(msg->msgid));
	(void)msg_header(msg->m, msg->body, "Subject", msg->subject,
	    sizeof(msg->subject));
	(void)msg_header(msg->m, msg->body, "From", msg->from,
	    sizeof(msg->from));
	(void)msg_header(msg->m, msg->body, "To", msg->to, sizeof(msg->to));
	(void)msg_header(msg->m, msg->body, "Date", msg->date,
	    sizeof(msg->date));
	msg->auto_submitted = msg_header(msg->m, msg->body, "Auto-Submitted",
	    as, sizeof(as)) && strcasecmp(as, "no") != 0;
}

/* proc_message - scan and deliver one transaction */
void
proc_message(struct smtpd_conf *cf, struct sess_ctx *ctx, struct txn *t)
{
	const struct sp_group	**gs = NULL;
	size_t			 *gi = NULL, *idx = NULL, *start = NULL;
	size_t			  ng = 0, i, j, k;
	struct verdict		  v;
	struct parts		  ps = { 0 };
	struct msg		  msg;
	int			  check = 0, cure = 0, filt = 0;
	char			  why[512];
	uint64_t		  t0 = monotonic_usec();

	memset(&v, 0, sizeof(v));
	v.res.cured_fd = -1;
	memset(&msg, 0, sizeof(msg));
	if ((gs = calloc(t->nrc, sizeof(*gs))) == NULL ||
	    (gi = calloc(t->nrc, sizeof(*gi))) == NULL ||
	    (idx = calloc(t->nrc, sizeof(*idx))) == NULL ||
	    (start = calloc(t->nrc + 1, sizeof(*start))) == NULL) {
		snprintf(why, sizeof(why), "4.3.0 out of memory");
		goto tempfail;
	}
	/* groups, in order of first appearance */
	for (i = 0; i < t->nrc; i++) {
		const struct sp_group *g = sp_match(&cf->pol, t->sender,
		    t->rc[i].addr);

		for (j = 0; j < ng && gs[j] != g; j++)
			;
		if (j == ng)
			gs[ng++] = g;
		gi[i] = j;
		check |= g->check;
		cure |= g->check && g->cure;
		filt |= g->check && (g->nfname || g->nftype);
	}
	for (j = 0, k = 0; j < ng; j++) {
		start[j] = k;
		for (i = 0; i < t->nrc; i++)
			if (gi[i] == j)
				idx[k++] = i;
	}
	start[ng] = k;
	if ((msg.m = map_fd(t->spool, &msg.len)) == NULL) {
		snprintf(why, sizeof(why), "4.3.0 cannot read the spool");
		goto tempfail;
	}
	read_msg(&msg);
	if (check) {
		if (scan(cf, ctx, t, cure, &v.res, why, sizeof(why)) == -1) {
			char	e[480];

			snprintf(e, sizeof(e), "%.470s", why);
			snprintf(why, sizeof(why), "4.3.0 virus scanner "
			    "unavailable, try again later (%.400s)", e);
			goto tempfail;
		}
		v.scanned = 1;
		if (v.res.cured_fd != -1 &&
		    (v.cured = map_fd(v.res.cured_fd, &v.cured_len)) == NULL) {
			snprintf(why, sizeof(why), "4.3.0 cannot read the "
			    "cured copy");
			goto tempfail;
		}
	}
	if (filt && msg_parts(msg.m, msg.len, parts_cb, &ps) != 0)
		ps.incomplete = 1;
	for (j = 0; j < ng; j++)
		do_group(cf, ctx, t, &msg, &v, filt ? &ps : NULL, gs[j],
		    idx + start[j], start[j + 1] - start[j], t0);
	if (t->single)
		refused_notice(cf, ctx, t, &msg);
	goto out;
tempfail:
	log_warnx("%s: from <%s>: %s", t->qid, t->sender ? t->sender : "",
	    why);
	for (i = 0; i < t->nrc; i++) {
		t->rc[i].code = 451;
		snprintf(t->rc[i].text, sizeof(t->rc[i].text), "%s", why);
	}
	G.cnt.tempfail += t->nrc;
out:
	if (msg.m != NULL)
		unmap(msg.m, msg.len);
	if (v.cured != NULL)
		unmap(v.cured, v.cured_len);
	if (v.res.cured_fd != -1)
		close(v.res.cured_fd);
	if (v.scanned)
		vigil_client_result_free(&v.res);
	parts_free(&ps);
	free(gs);
	free(gi);
	free(idx);
	free(start);
}

/* ctx_fini - a session's connections back to the pools */
void
ctx_fini(struct sess_ctx *ctx)
{
	pool_put(ctx->vc, ctx->fc, ctx->gen);
	ctx->vc = NULL;
	ctx->fc = NULL;
}
