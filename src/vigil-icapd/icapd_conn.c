/*
 * icapd_conn.c - vigil-icapd's event loops and the ICAP exchange
 *
 * Each event loop (a thread with its own epoll set) accepts connections
 * from the shared listening socket and runs every one of them through the
 * same cycle, as often as the client keeps the connection: read the ICAP
 * head and the encapsulated HTTP heads; answer OPTIONS; for REQMOD and
 * RESPMOD pick the group (X-Client-IP, URL), apply the exclusions, read
 * the body (the preview first, then "100 Continue" for the rest), spool
 * it, hand it to the scanning pool, and answer: 204, the object unchanged
 * (200), a cured copy, or the block page.
 *
 * AnswerMode=partial: once a body passes ICAPD_RELAY_START bytes the
 * answer starts at once (200 and the HTTP head) and the body is relayed as
 * it arrives, all but the last ICAPD_HOLDBACK bytes, which wait for the
 * verdict.  A clean verdict releases them; a detection cuts the transfer
 * (the connection closes before the last chunk), so the user never holds
 * the whole object and the proxy caches nothing.  This is also what keeps
 * a proxy that stops feeding an unanswered body (Squid's read_ahead_gap)
 * moving.  AnswerMode=complete waits for the whole body and the verdict.
 *
 * DESIGN
 * Nothing blocks a loop: sockets are non-blocking, the body goes to a
 * memfd (icap_spool.c), and scans run on the pool's threads, which hand
 * the connection back through the loop's eventfd.  An idle connection
 * costs its struct (about 5 KiB) and nothing else (buffers are freed between
 * requests), so ten thousand idle proxy connections are cheap.  Output is
 * a small buffer refilled from the spool as the socket drains, so a slow
 * reader holds at most one chunk in memory.  Errors in a request get the
 * ICAP status (400, 404, 405, 408, 500, 501, 503, 505) and the connection
 * closes, because the rest of the stream cannot be trusted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "icap_chunk.h"
#include "icap_head.h"
#include "icap_multipart.h"
#include "icap_page.h"
#include "icap_policy.h"
#include "icap_spool.h"
#include "icapd.h"
#include "log.h"

#define IN_MAX		(ICAP_MAXHEAD * 2 + 4096)	/* head + headers */
#define READ_SIZE	(64 * 1024)
#define RELAY_CHUNK	(64 * 1024)
#define MAX_EVENTS	256

enum cstate {
	C_HEAD,		/* reading the ICAP head and the HTTP heads */
	C_BODY,		/* reading the (preview or rest of the) body */
	C_SCAN,		/* a scan is under way */
	C_ANSWER,	/* the answer is being written */
	C_CLOSING	/* write what is queued, then close */
};

struct loop;

struct conn {
	int			 fd;
	struct loop		*lp;
	struct conn		*prev, *next;
	enum cstate		 st;
	uint32_t		 events;	/* registered with epoll */
	time_t			 last;
	char			 peer[64];
	int			 gone;		/* socket closed; freed at top level */
	unsigned long		 nreq;		/* requests answered */
	int			 rdhup;		/* the peer shut its side */
	int			 buried;	/* on the loop's dead list */
	/* input and output */
	char			*in;
	size_t			 inlen, incap;
	char			*out;
	size_t			 outlen, outoff, outcap;
	/* the request */
	struct icapd_conf	*cf;
	struct icap_req		*rq;
	char			*hdrs;		/* the encapsulated HTTP heads */
	size_t			 hdrlen;
	size_t			 qoff, qlen, soff, slen;	/* req-hdr, res-hdr */
	struct http_head	*qh, *sh;
	int			 has_body, in_preview, scan;
	int			 prescan;	/* scanning the preview alone */
	const struct icap_group	*grp;
	struct chunk_dec	 cd;
	struct spool		 sp;
	int			 spool_open;
	int			 too_long;
	char			 boundary[80];
	/* relaying and answering */
	int			 relaying;	/* 200 head sent, body flowing */
	int			 release;	/* verdict clean: send it all */
	int			 final_sent;
	uint64_t		 relayed;
	int			 src_fd;	/* body source for the answer */
	uint64_t		 src_len;
	int			 cured_fd;
	int			 allow204_now;
	char			 url[2048];
	char			 client[64];
	char			 mime[128];
	uint64_t		 t0;
	struct scan_job		 job;
};

struct loop {
	pthread_t		 th;
	int			 ep, evfd, lfd;
	int			 listening;
	pthread_mutex_t		 mu;
	struct conn		*done;		/* scans finished, via job.next */
	struct conn		*conns;		/* every live connection */
	struct conn		*dead;		/* killed: freed after the batch */
	_Atomic unsigned	 nconn;
	time_t			 paused_until;	/* accept stopped (EMFILE) */
};

static struct loop	*loops;
static unsigned		 nloops;

static void	conn_kill(struct conn *);
static void	conn_process(struct conn *);
static void	conn_flush(struct conn *);
static void	conn_drive(struct conn *);

/* now_usec - monotonic microseconds */
static uint64_t
now_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* out_reserve - room for n more bytes of output; -1 on ENOMEM */
static int
out_reserve(struct conn *c, size_t n)
{
	size_t	 want, cap;
	char	*p;

	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	want = c->outlen + n;
	if (want <= c->outcap)
		return 0;
	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
		want = c->outlen + n;
		if (want <= c->outcap)
			return 0;
	}
	cap = c->outcap ? c->outcap : 4096;
	while (cap < want)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = p;
	c->outcap = cap;
	return 0;
}

/* out_add - queue n bytes */
static int
out_add(struct conn *c, const void *p, size_t n)
{
	if (out_reserve(c, n) == -1)
		return -1;
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
	return 0;
}

/* out_printf - queue formatted text */
static int
out_printf(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || out_reserve(c, (size_t)n + 1) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->out + c->outlen, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->outlen += (size_t)n;
	return 0;
}

/* icap_common - the headers every ICAP answer carries */
static void
icap_common(struct conn *c, int code, const char *reason, int close)
{
	char	 istag[40], date[64];
	time_t	 t = time(NULL);
	struct tm tm;

	istag_get(istag, sizeof(istag));
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	(void)out_printf(c, "ICAP/1.0 %d %s\r\nISTag: %s\r\nDate: %s\r\n"
	    "Server: vigil-icapd/%s\r\n%s", code, reason, istag, date,
	    VIGIL_VERSION, close ? "Connection: close\r\n" : "");
}

/* status_reason - the reason phrase of an ICAP status */
static const char *
status_reason(int code)
{
	switch (code) {
	case 400: return "Bad Request";
	case 404: return "ICAP Service Not Found";
	case 405: return "Method Not Allowed For Service";
	case 408: return "Request Timeout";
	case 500: return "Server Error";
	case 501: return "Method Not Implemented";
	case 503: return "Service Overloaded";
	case 505: return "ICAP Version Not Supported";
	default: return "Error";
	}
}

/* send_error - an ICAP error status, then close */
static void
send_error(struct conn *c, int code, const char *why)
{
	c->outoff = c->outlen = 0;
	/* an answer already streaming cannot change: cut it */
	if (!c->relaying) {
		icap_common(c, code, status_reason(code), 1);
		(void)out_printf(c, "Encapsulated: null-body=0\r\n\r\n");
	}
	if (code >= 500)
		atomic_fetch_add(&G.cnt.errors_5xx, 1);
	else
		atomic_fetch_add(&G.cnt.errors_4xx, 1);
	if (why != NULL && why[0] != '\0')
		report("error client=%s status=%d reason=\"%s\"", c->peer, code,
		    why);
	c->st = C_CLOSING;
}

/* request_end - release the request's resources */
static void
request_end(struct conn *c)
{
	if (c->spool_open) {
		spool_close(&c->sp);
		c->spool_open = 0;
	}
	if (c->cured_fd >= 0) {
		close(c->cured_fd);
		c->cured_fd = -1;
	}
	free(c->rq);
	free(c->qh);
	free(c->sh);
	free(c->hdrs);
	c->rq = NULL;
	c->qh = c->sh = NULL;
	c->hdrs = NULL;
	if (c->cf != NULL) {
		conf_put(c->cf);
		c->cf = NULL;
	}
	c->grp = NULL;
	c->relaying = c->release = c->final_sent = 0;
	c->relayed = 0;
	c->src_fd = -1;
	c->src_len = 0;
	c->too_long = 0;
	c->boundary[0] = '\0';
	c->url[0] = c->client[0] = c->mime[0] = '\0';
}

/* conn_next - the answer is out: the next request, or close */
static void
conn_next(struct conn *c)
{
	int	 close_it = c->rq != NULL && c->rq->close;

	request_end(c);
	if (close_it || atomic_load(&G.stopping)) {
		c->st = C_CLOSING;
		return;
	}
	c->st = C_HEAD;
	c->nreq++;
	c->last = time(NULL);
	if (c->inlen == 0 && c->in != NULL) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* send_options - the OPTIONS answer for the service */
static void
send_options(struct conn *c, int respmod)
{
	struct icapd_conf	*cf = c->cf;

	icap_common(c, 200, "OK", c->rq->close);
	(void)out_printf(c, "Methods: %s\r\nService: vigil-icapd/%s "
	    "anti-virus\r\nMax-Connections: %u\r\nOptions-TTL: 300\r\n",
	    respmod ? "RESPMOD" : "REQMOD", VIGIL_VERSION, G.max_conn);
	if (cf->allow204)
		(void)out_printf(c, "Allow: 204\r\n");
	if (cf->preview > 0)
		(void)out_printf(c, "Preview: %u\r\n", cf->preview);
	(void)out_printf(c, "Transfer-Preview: *\r\n");
	if (cf->transfer_ignore[0] != '\0')
		(void)out_printf(c, "Transfer-Ignore: %s\r\n",
		    cf->transfer_ignore);
	if (cf->transfer_complete[0] != '\0')
		(void)out_printf(c, "Transfer-Complete: %s\r\n",
		    cf->transfer_complete);
	(void)out_printf(c, "X-Include: %s\r\nEncapsulated: null-body=0"
	    "\r\n\r\n", cf->client_hdr);
	atomic_fetch_add(&G.cnt.options, 1);
	c->st = C_ANSWER;
}

/* send_204 - the object is fine as it is */
static void
send_204(struct conn *c, int preview)
{
	icap_common(c, 204, "No Content", c->rq->close);
	(void)out_printf(c, "Encapsulated: null-body=0\r\n\r\n");
	atomic_fetch_add(preview ? &G.cnt.preview_204 : &G.cnt.answered_204,
	    1);
	c->st = C_ANSWER;
}

/* is_respmod - the request modifies a response */
static int
is_respmod(const struct conn *c)
{
	return c->rq->method == ICAP_RESPMOD;
}

/* echo_head - 200 and the HTTP head the answer carries; body or not */
static void
echo_head(struct conn *c, const char *head, size_t hlen, int body)
{
	const char	*hp = is_respmod(c) ? "res-hdr" : "req-hdr";
	const char	*bp = !body ? "null-body" : is_respmod(c) ?
			    "res-body" : "req-body";

	icap_common(c, 200, "OK", c->rq->close);
	if (hlen > 0)
		(void)out_printf(c, "Encapsulated: %s=0, %s=%zu\r\n\r\n", hp,
		    bp, hlen);
	else
		(void)out_printf(c, "Encapsulated: %s=0\r\n\r\n", bp);
	(void)out_add(c, head, hlen);
	atomic_fetch_add(&G.cnt.answered_200, 1);
}

/* own_head - the HTTP head this request modifies, in c->hdrs */
static void
own_head(const struct conn *c, const char **p, size_t *len)
{
	if (is_respmod(c)) {
		*p = c->hdrs + c->soff;
		*len = c->slen;
	} else {
		*p = c->hdrs + c->qoff;
		*len = c->qlen;
	}
}

/* relay_start - begin the 200 answer with the body to follow */
static void
relay_start(struct conn *c)
{
	const char	*h;
	size_t		 hl;

	own_head(c, &h, &hl);
	echo_head(c, h, hl, 1);
	c->relaying = 1;
	c->src_fd = c->sp.raw_fd;
}

/* relay_fill - queue the next chunk of the answer's body, if any */
static int
relay_fill(struct conn *c)
{
	uint64_t	 avail, limit;
	size_t		 n;
	ssize_t		 r;
	char		 ch[24];
	size_t		 hl;

	if (!c->relaying || c->final_sent || c->src_fd < 0)
		return 0;
	if (c->release)
		limit = c->src_len;
	else {
		avail = c->sp.raw_len;
		limit = avail > ICAPD_HOLDBACK ? avail - ICAPD_HOLDBACK : 0;
	}
	if (c->relayed < limit) {
		n = limit - c->relayed > RELAY_CHUNK ? RELAY_CHUNK :
		    (size_t)(limit - c->relayed);
		hl = chunk_head(ch, sizeof(ch), n);
		if (out_reserve(c, hl + n + 2) == -1)
			return -1;
		memcpy(c->out + c->outlen, ch, hl);
		if (c->src_fd == c->sp.raw_fd)
			r = spool_pread(&c->sp, c->out + c->outlen + hl, n,
			    c->relayed);
		else
			r = pread(c->src_fd, c->out + c->outlen + hl, n,
			    (off_t)c->relayed);
		if (r != (ssize_t)n)
			return -1;
		c->outlen += hl + n;
		memcpy(c->out + c->outlen, "\r\n", 2);
		c->outlen += 2;
		c->relayed += n;
		atomic_fetch_add(&G.cnt.bytes_out, n);
		return 1;
	}
	if (c->release && c->relayed >= limit) {
		(void)out_add(c, "0\r\n\r\n", 5);
		c->final_sent = 1;
		return 1;
	}
	return 0;
}

/* send_block - the block page, as an HTTP 403 the proxy hands the user */
static void
send_block(struct conn *c, enum vigil_status st, const char *threat)
{
	struct icap_event	 ev;
	char			 stname[32], *tmpl, *page = NULL, hh[512];
	size_t			 tlen = 0, plen = 0, i;
	int			 hl;
	const char		*sn = vigil_status_name(st);

	for (i = 0; sn[i] != '\0' && i + 1 < sizeof(stname); i++)
		stname[i] = (char)(sn[i] >= 'A' && sn[i] <= 'Z' ? sn[i] + 32 :
		    sn[i]);
	stname[i] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.url = c->url;
	ev.threat = threat;
	ev.status = sn;
	ev.client = c->client[0] ? c->client : c->peer;
	ev.group = c->grp ? c->grp->name : "default";
	ev.action = "deny";
	ev.service = is_respmod(c) ? "respmod" : "reqmod";
	ev.when = time(NULL);
	tmpl = icap_page_load(c->cf->notify_dir, stname, &tlen);
	if (tmpl == NULL || icap_page_render(tmpl, tlen, &ev, &page, &plen) ==
	    -1) {
		free(tmpl);
		send_error(c, 500, "cannot build the block page");
		return;
	}
	free(tmpl);
	hl = snprintf(hh, sizeof(hh), "HTTP/1.1 403 Forbidden\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-cache, no-store\r\n"
	    "Pragma: no-cache\r\nX-Vigil-Status: %s\r\n\r\n", plen, sn);
	icap_common(c, 200, "OK", c->rq->close);
	if (threat != NULL && threat[0] != '\0')
		(void)out_printf(c, "X-Infection-Found: Type=0; Resolution=2; "
		    "Threat=%s;\r\nX-Virus-ID: %s\r\n", threat, threat);
	else
		(void)out_printf(c, "X-Violations-Found: 1\r\n\t%s\r\n\t%s\r\n"
		    "\t0\r\n\t0\r\n", c->url[0] ? c->url : "-", sn);
	(void)out_printf(c, "Encapsulated: res-hdr=0, res-body=%d\r\n\r\n",
	    hl);
	(void)out_add(c, hh, (size_t)hl);
	(void)out_printf(c, "%zx\r\n", plen);
	(void)out_add(c, page, plen);
	(void)out_add(c, "\r\n0\r\n\r\n", 7);
	free(page);
	atomic_fetch_add(&G.cnt.blocked, 1);
	c->st = C_ANSWER;
}

/* send_cured - the cured copy replaces the body; its head is rebuilt */
static void
send_cured(struct conn *c)
{
	const struct http_head	*h = is_respmod(c) ? c->sh : c->qh;
	const char		*oh;
	size_t			 ol, i, eol;
	struct stat		 sb;
	char			*nh;
	size_t			 nl = 0;

	own_head(c, &oh, &ol);
	if (fstat(c->cured_fd, &sb) == -1 || (nh = malloc(ol + 64)) == NULL) {
		send_error(c, 500, "cured copy unreadable");
		return;
	}
	/* the start line, then every field but the length and coding ones */
	eol = 0;
	while (eol < ol && oh[eol] != '\n')
		eol++;
	memcpy(nh, oh, eol + 1);
	nl = eol + 1;
	for (i = 0; i < h->nf; i++) {
		if ((h->f[i].nlen == 14 && strncasecmp(h->f[i].name,
		    "Content-Length", 14) == 0) || (h->f[i].nlen == 16 &&
		    strncasecmp(h->f[i].name, "Content-Encoding", 16) == 0) ||
		    (h->f[i].nlen == 17 && strncasecmp(h->f[i].name,
		    "Transfer-Encoding", 17) == 0))
			continue;
		/* the field's line as sent */
		{
			const char *s = h->f[i].name;
			const char *e = memchr(s, '\n', (size_t)(oh + ol - s));
			size_t	    n = e ? (size_t)(e - s) + 1 : 0;

			if (n == 0 || nl + n + 64 > ol + 64)
				continue;
			memcpy(nh + nl, s, n);
			nl += n;
		}
	}
	nl += (size_t)snprintf(nh + nl, ol + 64 - nl,
	    "Content-Length: %lld\r\n\r\n", (long long)sb.st_size);
	echo_head(c, nh, nl, 1);
	free(nh);
	c->relaying = 1;
	c->release = 1;
	c->src_fd = c->cured_fd;
	c->src_len = (uint64_t)sb.st_size;
	c->relayed = 0;
	c->st = C_ANSWER;
}

/* action_for - what the group does with a status */
static enum icap_act
action_for(const struct conn *c, enum vigil_status st)
{
	if (st == VIGIL_CLEAN || st == VIGIL_CURED)
		return ICAP_ACT_SKIP;
	return c->grp->act[st];
}

/* notify_detection - the administrator's script, for detections */
static void
notify_detection(struct conn *c, enum vigil_status st, const char *threat,
    const char *action)
{
	struct icap_event	 ev;

	if (c->cf->notify_script == NULL || c->cf->notify_script[0] == '\0')
		return;
	memset(&ev, 0, sizeof(ev));
	ev.url = c->url;
	ev.threat = threat;
	ev.status = vigil_status_name(st);
	ev.client = c->client[0] ? c->client : c->peer;
	ev.group = c->grp ? c->grp->name : "default";
	ev.action = action;
	ev.service = is_respmod(c) ? "respmod" : "reqmod";
	ev.when = time(NULL);
	if (icap_notify(c->cf->notify_script, &ev, c->cf->notify_timeout) ==
	    -1)
		log_warnx("notify script %s not run: too many running",
		    c->cf->notify_script);
}

/* verdict - act on the scan's (or the limit's) status */
static void
verdict(struct conn *c, enum vigil_status st, const char *threat,
    const char *reason, const char *object)
{
	enum icap_act	 act = action_for(c, st);
	const char	*h;
	size_t		 hl;
	uint64_t	 ms = (now_usec() - c->t0) / 1000;
	const char	*what;

	if (c->has_body && c->scan)	/* a verdict, not a pass-through */
		atomic_fetch_add(&G.cnt.status[st], 1);
	if (st >= VIGIL_WARNING)
		notify_detection(c, st, threat, act == ICAP_ACT_DENY ? "deny" :
		    "skip");
	if (st == VIGIL_CURED && c->cured_fd >= 0 && !c->relaying) {
		what = "cured";
		send_cured(c);
	} else if (act == ICAP_ACT_DENY && c->relaying) {
		what = "cut";
		atomic_fetch_add(&G.cnt.blocked, 1);
		c->outoff = c->outlen = 0;
		c->st = C_CLOSING;
		c->rq->close = 1;
	} else if (act == ICAP_ACT_DENY) {
		what = "deny";
		send_block(c, st, threat);
	} else if (c->relaying) {
		what = "pass";
		c->release = 1;
		c->src_len = c->sp.raw_len;
		c->st = C_ANSWER;
	} else if (c->allow204_now && c->cf->allow204) {
		what = "pass";
		send_204(c, c->in_preview);
	} else {
		what = "pass";
		own_head(c, &h, &hl);
		echo_head(c, h, hl, c->has_body);
		if (c->has_body) {
			c->relaying = 1;
			c->release = 1;
			c->src_fd = c->sp.raw_fd;
			c->src_len = c->sp.raw_len;
		}
		c->st = C_ANSWER;
	}
	if (st != VIGIL_CLEAN || c->cf->show_ok)
		report("%s client=%s group=%s url=\"%s\" status=%s%s%s%s%s%s%s "
		    "action=%s bytes=%llu ms=%llu", is_respmod(c) ? "RESPMOD" :
		    "REQMOD", c->client[0] ? c->client : c->peer,
		    c->grp ? c->grp->name : "default", c->url,
		    vigil_status_name(st), threat && threat[0] ? " threat=" :
		    "", threat ? threat : "", object && object[0] ?
		    " object=" : "", object ? object : "", reason && reason[0] ?
		    " reason=" : "", reason ? reason : "", what,
		    (unsigned long long)(c->spool_open ? c->sp.raw_len : 0),
		    (unsigned long long)ms);
}

/* scan_finished - the pool's callback, on a scanning thread */
static void
scan_finished(struct scan_job *j)
{
	struct conn	*c = j->arg;
	struct loop	*lp = c->lp;
	uint64_t	 one = 1;

	pthread_mutex_lock(&lp->mu);
	c->job.arg2 = lp->done;
	lp->done = c;
	pthread_mutex_unlock(&lp->mu);
	(void)!write(lp->evfd, &one, sizeof(one));
}

static void	preview_continue(struct conn *);

/* scan_result - back on the loop: answer */
static void
scan_result(struct conn *c)
{
	struct scan_job	*j = &c->job;
	enum vigil_status st = j->status;

	if (j->fd >= 0 && j->fd != c->sp.raw_fd && j->fd != c->sp.dec_fd)
		close(j->fd);
	c->st = C_ANSWER;
	if (c->gone) {
		if (j->cured_fd >= 0)
			close(j->cured_fd);
		return;
	}
	atomic_fetch_add(&G.cnt.scanned_objects, 1);
	atomic_fetch_add(&G.cnt.scan_usec_total, j->usec);
	c->cured_fd = j->cured_fd;
	if (j->unreachable)
		atomic_fetch_add(&G.cnt.vigild_errors, 1);
	if (st == VIGIL_INFECTED && c->cured_fd >= 0)
		st = VIGIL_CURED;
	else if (st == VIGIL_CURED && c->cured_fd < 0)
		st = VIGIL_INFECTED;	/* no copy to deliver */
	if (c->prescan) {
		/* the preview alone: a detection is answered now, before a
		 * byte is relayed; anything else asks for the rest */
		c->prescan = 0;
		if (c->cured_fd >= 0) {
			close(c->cured_fd);
			c->cured_fd = -1;
		}
		if (st >= VIGIL_WARNING && action_for(c, st) == ICAP_ACT_DENY) {
			verdict(c, st, j->threat, j->reason, j->object);
			return;
		}
		preview_continue(c);
		return;
	}
	verdict(c, st, j->threat, j->reason, j->object);
}

/* start_scan - the body is all here (or, prescan, its preview): scan it */
static void
start_scan(struct conn *c)
{
	struct scan_job	*j = &c->job;
	uint64_t	 len;

	if (spool_finish(&c->sp) == -1) {
		send_error(c, 500, "cannot spool the body");
		return;
	}
	if (c->too_long && !c->prescan) {
		verdict(c, VIGIL_STATUS_ERROR, NULL,
		    "larger than MaxReqLength", NULL);
		return;
	}
	memset(j, 0, sizeof(*j));
	j->fd = spool_scan_fd(&c->sp, &len);
	j->raw_fd = c->sp.raw_fd;
	j->raw_len = c->sp.raw_len;
	snprintf(j->boundary, sizeof(j->boundary), "%s", c->boundary);
	j->lim = c->grp->lim;
	j->cure = c->grp->cure && !c->relaying && !c->prescan;
	snprintf(j->name, sizeof(j->name), "%.500s", c->url);
	snprintf(j->client, sizeof(j->client), "%s", c->client[0] ? c->client :
	    c->peer);
	j->cured_fd = -1;
	j->done = scan_finished;
	j->arg = c;
	atomic_fetch_add(&G.cnt.scanned_bytes, len);
	if (scan_submit(j) == -1) {
		send_error(c, 503, "too many scans waiting");
		return;
	}
	c->st = C_SCAN;
}

/* body_data - a run of body bytes from the chunked decoder */
static int
body_data(void *arg, const char *p, size_t n)
{
	struct conn	*c = arg;

	atomic_fetch_add(&G.cnt.bytes_in, n);
	if (!c->spool_open)
		return 0;
	if (spool_write(&c->sp, p, n) == -1)
		return -1;
	if (c->cf->max_req > 0 && c->sp.raw_len > c->cf->max_req)
		c->too_long = 1;
	return 0;
}

/* preview_end - the preview is read: decide, or ask for the rest */
static void
preview_end(struct conn *c)
{
	if (c->cd.ieof) {
		c->allow204_now = 1;
		if (!c->scan) {
			verdict(c, VIGIL_CLEAN, NULL, NULL, NULL);
			atomic_fetch_add(&G.cnt.excluded, 1);
			return;
		}
		start_scan(c);
		return;
	}
	if (!c->scan) {
		/* excluded: the object needs nothing from us */
		atomic_fetch_add(&G.cnt.excluded, 1);
		send_204(c, 1);
		return;
	}
	/*
	 * partial answers relay the body before the verdict: scan the
	 * preview first, so that what it already shows is blocked with the
	 * page instead of cut after most of the object went out (an encoded
	 * body is only decodable whole, so it goes on)
	 */
	if (c->cf->mode == ANSWER_PARTIAL && c->sp.dec_fd == -1 &&
	    c->cd.total > 0) {
		c->prescan = 1;
		start_scan(c);
		return;
	}
	preview_continue(c);
}

/* preview_continue - "100 Continue": the rest of the body, please */
static void
preview_continue(struct conn *c)
{
	c->in_preview = 0;
	c->allow204_now = c->rq->allow204;
	chunk_init(&c->cd, 0);
	(void)out_printf(c, "ICAP/1.0 100 Continue\r\n\r\n");
	c->st = C_BODY;
}

/* body_end - the whole body is read */
static void
body_end(struct conn *c)
{
	if (!c->scan) {
		atomic_fetch_add(&G.cnt.excluded, 1);
		if (spool_finish(&c->sp) == -1) {
			send_error(c, 500, "cannot spool the body");
			return;
		}
		verdict(c, VIGIL_CLEAN, NULL, NULL, NULL);
		return;
	}
	start_scan(c);
}

/* field_str - a header's value into out, or "" */
static void
field_str(const struct icap_field *f, size_t nf, const char *name,
    char *out, size_t len)
{
	const struct icap_field	*x = icap_field_get(f, nf, name);
	size_t			 n;

	out[0] = '\0';
	if (x == NULL || len == 0)
		return;
	n = x->vlen < len - 1 ? x->vlen : len - 1;
	memcpy(out, x->value, n);
	out[n] = '\0';
}

/* make_url - the object's URL: absolute target, or Host + path */
static void
make_url(struct conn *c)
{
	const struct http_head	*q = c->qh;
	char			 host[512];

	c->url[0] = '\0';
	if (q == NULL || q->tlen == 0)
		return;
	if (q->target[0] == '/') {
		field_str(q->f, q->nf, "Host", host, sizeof(host));
		snprintf(c->url, sizeof(c->url), "http://%s%.*s", host,
		    (int)(q->tlen > 1500 ? 1500 : q->tlen), q->target);
	} else
		snprintf(c->url, sizeof(c->url), "%.*s",
		    (int)(q->tlen > 2000 ? 2000 : q->tlen), q->target);
}

/* sanitize - a header-borne string made safe for logs and pages */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"')
			*s = '?';
}

/* start_request - heads parsed: OPTIONS, or set up the body's path */
static void
start_request(struct conn *c)
{
	struct icap_req		*rq = c->rq;
	struct icapd_conf	*cf = c->cf;
	const struct http_head	*own;
	const struct icap_field	*ct;
	int			 respmod_svc, reqmod_svc, enc;

	respmod_svc = strlen(cf->respmod_path) == rq->svclen &&
	    memcmp(rq->service, cf->respmod_path, rq->svclen) == 0;
	reqmod_svc = strlen(cf->reqmod_path) == rq->svclen &&
	    memcmp(rq->service, cf->reqmod_path, rq->svclen) == 0;
	if (!respmod_svc && !reqmod_svc) {
		send_error(c, 404, "no such service");
		return;
	}
	if (rq->method == ICAP_OPTIONS) {
		send_options(c, respmod_svc);
		return;
	}
	if ((rq->method == ICAP_RESPMOD) != respmod_svc) {
		send_error(c, 405, "method not allowed for the service");
		return;
	}
	if (rq->method == ICAP_RESPMOD) {
		atomic_fetch_add(&G.cnt.respmod, 1);
		if (c->sh == NULL) {
			send_error(c, 400, "RESPMOD without res-hdr");
			return;
		}
	} else
		atomic_fetch_add(&G.cnt.reqmod, 1);
	own = is_respmod(c) ? c->sh : c->qh;
	make_url(c);
	sanitize(c->url);
	field_str(rq->f, rq->nf, cf->client_hdr, c->client, sizeof(c->client));
	sanitize(c->client);
	c->grp = icap_policy_match(cf->pol, c->client, c->url);
	http_media_type(own, c->mime, sizeof(c->mime));
	c->scan = icap_group_excluded(c->grp, c->url, c->mime[0] ? c->mime :
	    NULL) == 0;
	c->t0 = now_usec();
	c->has_body = rq->enc[rq->nenc - 1].part == ICAP_REQ_BODY ||
	    rq->enc[rq->nenc - 1].part == ICAP_RES_BODY;
	c->allow204_now = rq->allow204 || rq->preview >= 0;
	if (!c->has_body) {
		verdict(c, VIGIL_CLEAN, NULL, NULL, NULL);
		return;
	}
	/* a body: decode its content coding for the scanner */
	enc = (int)http_encodings(own);
	if (enc != 1 && enc != 2)
		enc = 0;
	if (spool_open(&c->sp, (unsigned)enc, c->grp->lim.max_file_size) ==
	    -1) {
		send_error(c, 500, "cannot open a spool");
		return;
	}
	c->spool_open = 1;
	if (!is_respmod(c) && (ct = icap_field_get(own->f, own->nf,
	    "Content-Type")) != NULL && mp_boundary(ct->value, ct->vlen,
	    c->boundary, sizeof(c->boundary)) == -1)
		c->boundary[0] = '\0';
	if (c->scan && cf->max_req > 0 && own->content_length > 0 &&
	    (uint64_t)own->content_length > cf->max_req)
		c->too_long = 1;
	chunk_init(&c->cd, 0);
	c->in_preview = rq->preview >= 0;
	c->st = C_BODY;
}

/* section - the bytes of Encapsulated entry i within the heads */
static int
section(const struct icap_req *rq, size_t i, size_t *off, size_t *len)
{
	if (i + 1 >= rq->nenc)
		return -1;
	*off = rq->enc[i].off;
	*len = rq->enc[i + 1].off - rq->enc[i].off;
	return 0;
}

/* parse_heads - the ICAP head at c->in is complete (hl bytes): take the
 * HTTP heads when they are here too; 1 done, 0 need more */
static int
parse_heads(struct conn *c, size_t hl)
{
	struct icap_req	*rq = c->rq;
	size_t		 need = 0, i, off, len;
	enum icap_part	 last;

	if (rq->nenc > 0) {
		last = rq->enc[rq->nenc - 1].part;
		if (last != ICAP_REQ_BODY && last != ICAP_RES_BODY &&
		    last != ICAP_NULL_BODY && last != ICAP_OPT_BODY) {
			send_error(c, 400, "Encapsulated has no body entry");
			return 1;
		}
		if (last == ICAP_OPT_BODY) {
			send_error(c, 400, "OPTIONS with a body");
			return 1;
		}
		need = rq->enc[rq->nenc - 1].off;
	}
	if (need > ICAP_MAXHEAD) {
		send_error(c, 400, "encapsulated heads too large");
		return 1;
	}
	if (c->inlen < hl + need)
		return 0;
	if (need > 0) {
		if ((c->hdrs = malloc(need)) == NULL) {
			send_error(c, 500, "out of memory");
			return 1;
		}
		memcpy(c->hdrs, c->in + hl, need);
	}
	c->hdrlen = need;
	/* the ICAP head's fields point into c->in: consume only after use */
	for (i = 0; i + 1 < rq->nenc; i++) {
		struct http_head **hp;

		if (section(rq, i, &off, &len) == -1)
			break;
		if (rq->enc[i].part == ICAP_REQ_HDR) {
			hp = &c->qh;
			c->qoff = off;
			c->qlen = len;
		} else if (rq->enc[i].part == ICAP_RES_HDR) {
			hp = &c->sh;
			c->soff = off;
			c->slen = len;
		} else
			continue;
		if ((*hp = calloc(1, sizeof(**hp))) == NULL) {
			send_error(c, 500, "out of memory");
			return 1;
		}
		if (http_head_parse(c->hdrs + off, len, *hp) == -1) {
			send_error(c, 400, (*hp)->error);
			return 1;
		}
	}
	if (rq->method == ICAP_REQMOD && c->qh == NULL) {
		send_error(c, 400, "REQMOD without req-hdr");
		return 1;
	}
	c->cf = conf_get();
	start_request(c);
	/* the ICAP head was used: consume it and the heads */
	return 2;
}

/* consume - drop n bytes from the front of the input */
static void
consume(struct conn *c, size_t n)
{
	if (n >= c->inlen) {
		c->inlen = 0;
		return;
	}
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

/* conn_process - run the state machine over the buffered input */
static void
conn_process(struct conn *c)
{
	ssize_t	 r;
	int	 rc;

	for (;;) {
		if (c->st == C_HEAD) {
			if (c->inlen == 0)
				return;
			if (c->rq == NULL &&
			    (c->rq = malloc(sizeof(*c->rq))) == NULL) {
				send_error(c, 500, "out of memory");
				return;
			}
			r = icap_req_parse(c->in, c->inlen < ICAP_MAXHEAD ?
			    c->inlen : ICAP_MAXHEAD, c->rq);
			if (r == 0) {
				if (c->inlen >= ICAP_MAXHEAD)
					send_error(c, 400, "head too large");
				return;
			}
			if (r < 0) {
				send_error(c, (int)-r, c->rq->error);
				return;
			}
			rc = parse_heads(c, (size_t)r);
			if (rc == 0)
				return;
			if (rc == 2 || c->st == C_CLOSING) {
				/* strings the request keeps live in hdrs;
				 * the ICAP fields are not used past here
				 * except the flags copied into rq */
				consume(c, (size_t)r + c->hdrlen);
			}
			continue;
		}
		if (c->st == C_BODY) {
			if (c->inlen == 0)
				return;
			r = chunk_feed(&c->cd, c->in, c->inlen, body_data, c);
			if (r < 0) {
				send_error(c, 400, c->cd.error);
				return;
			}
			consume(c, (size_t)r);
			if (c->in_preview && c->rq->preview >= 0 &&
			    c->cd.total > (uint64_t)c->rq->preview) {
				send_error(c, 400, "preview longer than "
				    "announced");
				return;
			}
			if (c->cf->mode == ANSWER_PARTIAL && !c->relaying &&
			    !c->in_preview && c->spool_open &&
			    c->sp.raw_len >= ICAPD_RELAY_START && !c->cd.done)
				relay_start(c);
			if (!c->cd.done)
				return;
			if (c->in_preview)
				preview_end(c);
			else
				body_end(c);
			if (c->st == C_BODY)
				continue;
			return;
		}
		return;
	}
}

/* conn_update - the epoll interest for the connection's state */
static void
conn_update(struct conn *c)
{
	struct epoll_event	 ev;
	uint32_t		 want = c->rdhup ? 0 : EPOLLRDHUP;

	if (c->gone)
		return;
	if ((c->st == C_HEAD || c->st == C_BODY) && c->inlen < IN_MAX)
		want |= EPOLLIN;
	if (c->outoff < c->outlen || (c->relaying && !c->final_sent &&
	    c->st == C_ANSWER))
		want |= EPOLLOUT;
	if (c->st == C_CLOSING)
		want = EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->lp->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

/* conn_flush - write what can be written; a finished answer ends the
 * request (conn_next), a closing connection is killed */
static void
conn_flush(struct conn *c)
{
	ssize_t	 n;
	int	 more;

	while (!c->gone) {
		if (c->outoff == c->outlen) {
			c->outoff = c->outlen = 0;
			if (c->st == C_CLOSING) {
				conn_kill(c);
				break;
			}
			if ((more = relay_fill(c)) == -1) {
				c->st = C_CLOSING;
				continue;
			}
			if (more == 0) {
				if (c->st == C_ANSWER && (!c->relaying ||
				    c->final_sent)) {
					conn_next(c);
					if (c->st == C_CLOSING)
						continue;
				}
				break;
			}
		}
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->outoff += (size_t)n;
			c->last = time(NULL);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		conn_kill(c);	/* the peer is gone */
	}
	if (c->outcap > 256 * 1024 && c->outlen == 0) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
}

/* conn_drive - process input and write output until nothing moves; then
 * free a dead connection or set its epoll interest */
static void
conn_drive(struct conn *c)
{
	unsigned long	 n;

	do {
		n = c->nreq;
		conn_process(c);
		conn_flush(c);
	} while (!c->gone && c->nreq != n && c->st == C_HEAD &&
	    c->inlen > 0);
	if (!c->gone) {
		conn_update(c);
		return;
	}
	if (c->st == C_SCAN || c->buried)
		return;		/* scan_result's turn, or already listed */
	/* events for c may follow in the same batch: free after it */
	c->buried = 1;
	c->next = c->lp->dead;
	c->lp->dead = c;
}

/* bury - free the connections killed during the last batch */
static void
bury(struct loop *lp)
{
	struct conn	*c, *next;

	for (c = lp->dead; c != NULL; c = next) {
		next = c->next;
		request_end(c);
		free(c->in);
		free(c->out);
		free(c);
	}
	lp->dead = NULL;
}

/* conn_read - read what the socket has; 0, or -1 when it closed */
static int
conn_read(struct conn *c)
{
	ssize_t	 n;
	char	*p;

	for (;;) {
		if (c->incap - c->inlen < READ_SIZE / 4) {
			size_t cap = c->incap ? c->incap * 2 : READ_SIZE;

			if (c->inlen >= IN_MAX)
				return 0;
			if (cap > IN_MAX)
				cap = IN_MAX;
			if ((p = realloc(c->in, cap)) == NULL)
				return -1;
			c->in = p;
			c->incap = cap;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			c->last = time(NULL);
			if (c->st == C_BODY || c->st == C_HEAD)
				return 0;
			continue;
		}
		if (n == 0)
			return -1;
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return -1;
	}
}

/* conn_kill - close the socket and unlink; conn_drive frees */
static void
conn_kill(struct conn *c)
{
	struct loop	*lp = c->lp;

	if (c->gone)
		return;
	(void)epoll_ctl(lp->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->gone = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		lp->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	atomic_fetch_sub(&lp->nconn, 1);
	atomic_fetch_sub(&G.cnt.conn_open, 1);
}

/* conn_event - readiness on a connection */
static void
conn_event(struct conn *c, uint32_t ev)
{
	if (c->gone)
		return;		/* killed earlier in this batch */
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		if (c->st == C_SCAN && !(ev & (EPOLLHUP | EPOLLERR))) {
			/* half-closed while we scan: answer anyway */
			c->rdhup = 1;
		} else if (c->st == C_SCAN) {
			conn_kill(c);
		} else if ((c->st == C_ANSWER || c->st == C_CLOSING) &&
		    !(ev & (EPOLLHUP | EPOLLERR)) && !(ev & EPOLLIN)) {
			/* half-closed while we answer: finish, then close */
			c->rdhup = 1;
			if (c->rq != NULL)
				c->rq->close = 1;
		} else if (conn_read(c) == -1) {
			if (c->st == C_HEAD && c->inlen > 0)
				conn_process(c);
			if ((c->st == C_ANSWER || c->st == C_CLOSING) &&
			    !(ev & (EPOLLHUP | EPOLLERR))) {
				c->rdhup = 1;
				if (c->rq != NULL)
					c->rq->close = 1;
			} else
				conn_kill(c);
		}
	}
	conn_drive(c);
}

/* accept_all - take the waiting connections */
static void
accept_all(struct loop *lp)
{
	struct conn		*c;
	struct epoll_event	 ev;
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	int			 fd, i, one = 1;

	for (i = 0; i < 64; i++) {
		sl = sizeof(ss);
		fd = accept4(lp->lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warnx("accept: %s: pausing new "
				    "connections for a second",
				    strerror(errno));
				(void)epoll_ctl(lp->ep, EPOLL_CTL_DEL, lp->lfd,
				    NULL);
				lp->listening = 0;
				lp->paused_until = time(NULL) + 1;
			}
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			return;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c->fd = fd;
		c->lp = lp;
		c->st = C_HEAD;
		c->last = time(NULL);
		c->src_fd = c->cured_fd = -1;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, c->peer,
			    sizeof(c->peer));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, c->peer,
			    sizeof(c->peer));
		} else
			snprintf(c->peer, sizeof(c->peer), "local");
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			free(c);
			continue;
		}
		c->events = ev.events;
		c->next = lp->conns;
		if (lp->conns != NULL)
			lp->conns->prev = c;
		lp->conns = c;
		atomic_fetch_add(&lp->nconn, 1);
		atomic_fetch_add(&G.cnt.conn_accepted, 1);
		atomic_fetch_add(&G.cnt.conn_open, 1);
	}
}

/* sweep - idle and stalled connections, once a second */
static void
sweep(struct loop *lp, time_t now)
{
	struct conn		*c, *next;
	struct icapd_conf	*cur = conf_get();
	unsigned		 to;

	for (c = lp->conns; c != NULL; c = next) {
		next = c->next;
		if (c->st == C_SCAN)
			continue;
		to = c->cf != NULL ? c->cf->timeout : cur->timeout;
		if (c->st == C_HEAD && c->inlen == 0 &&
		    atomic_load(&G.stopping)) {
			conn_kill(c);
			conn_drive(c);
			continue;
		}
		if (now - c->last < (time_t)to)
			continue;
		if (c->st == C_HEAD && c->inlen == 0) {
			conn_kill(c);	/* idle keep-alive */
			conn_drive(c);
			continue;
		}
		if ((c->st == C_HEAD || c->st == C_BODY) && !c->relaying &&
		    c->outlen == 0) {
			send_error(c, 408, "client stopped sending");
			conn_drive(c);
			continue;
		}
		report("error client=%s url=\"%s\" reason=\"timed out\"",
		    c->peer, c->url);
		conn_kill(c);
		conn_drive(c);
	}
	conf_put(cur);
	if (!lp->listening && !atomic_load(&G.stopping) &&
	    now >= lp->paused_until) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
			.data.ptr = NULL };

		if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->lfd, &ev) == 0)
			lp->listening = 1;
	}
}

/* loop_main - one event loop */
static void *
loop_main(void *arg)
{
	struct loop		*lp = arg;
	struct epoll_event	 evs[MAX_EVENTS];
	struct conn		*c, *next;
	time_t			 last_sweep = 0, now;
	uint64_t		 v;
	int			 n, i;

	for (;;) {
		n = epoll_wait(lp->ep, evs, MAX_EVENTS, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				accept_all(lp);
				continue;
			}
			if (evs[i].data.ptr == (void *)lp) {
				(void)!read(lp->evfd, &v, sizeof(v));
				pthread_mutex_lock(&lp->mu);
				c = lp->done;
				lp->done = NULL;
				pthread_mutex_unlock(&lp->mu);
				for (; c != NULL; c = next) {
					next = c->job.arg2;
					scan_result(c);
					conn_drive(c);
				}
				continue;
			}
			conn_event(evs[i].data.ptr, evs[i].events);
		}
		now = time(NULL);
		if (now != last_sweep) {
			last_sweep = now;
			sweep(lp, now);
		}
		bury(lp);
		if (atomic_load(&G.stopping)) {
			if (lp->listening) {
				(void)epoll_ctl(lp->ep, EPOLL_CTL_DEL, lp->lfd,
				    NULL);
				lp->listening = 0;
			}
			if (lp->conns == NULL || atomic_load(&G.stopping) > 1)
				break;
		}
	}
	for (c = lp->conns; c != NULL; c = next) {
		next = c->next;
		conn_kill(c);
		conn_drive(c);
	}
	bury(lp);
	return NULL;
}

/* loops_start - n event loops sharing the listening socket */
int
loops_start(int lfd, unsigned n, char *err, size_t errlen)
{
	struct epoll_event	 ev;
	unsigned		 i;

	if ((loops = calloc(n, sizeof(*loops))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	nloops = n;
	for (i = 0; i < n; i++) {
		struct loop *lp = &loops[i];

		pthread_mutex_init(&lp->mu, NULL);
		lp->lfd = lfd;
		if ((lp->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
		    (lp->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) ==
		    -1) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			return -1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = lp;
		(void)epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->evfd, &ev);
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.ptr = NULL;
		if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			return -1;
		}
		lp->listening = 1;
		if (pthread_create(&lp->th, NULL, loop_main, lp) != 0) {
			snprintf(err, errlen, "cannot start an event loop");
			return -1;
		}
	}
	return 0;
}

/* loops_stop - wait for the loops (G.stopping set); bounded */
void
loops_stop(void)
{
	unsigned	 i;
	int		 waited;

	for (waited = 0; waited < 200 && loops_conn_count() > 0; waited++)
		usleep(100 * 1000);
	atomic_store(&G.stopping, 2);
	for (i = 0; i < nloops; i++)
		pthread_join(loops[i].th, NULL);
}

/* loops_conn_count - open connections */
unsigned
loops_conn_count(void)
{
	unsigned	 i, n = 0;

	for (i = 0; i < nloops; i++)
		n += atomic_load(&loops[i].nconn);
	return n;
}
