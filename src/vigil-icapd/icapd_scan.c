/*
 * icapd_scan.c - vigil-icapd's scanning pool: threads that ask vigild
 *
 * An event loop hands a finished body over as a scan_job and goes on
 * serving other connections; a scanning thread takes the job, asks vigild
 * over its own persistent connection (the body's memfd is passed as a
 * descriptor, nothing is copied), and calls the job's done() with the
 * verdict.  A multipart/form-data upload is split first and each part
 * scanned on its own (a zip uploaded through a web form is unpacked as
 * the zip it is); the worst verdict counts.
 *
 * DESIGN
 * Threads start on demand, up to the limit, and the ones above the idle
 * count end after IDLE_SECS without work, so a quiet proxy holds a couple
 * of vigild connections and a busy one as many as it may use.  A vigild
 * connection is replaced after MaxReqsPerChild scans (the guide's worker
 * recycling).  When vigild cannot be reached the job comes back ERROR
 * with unreachable set, and the outage is logged once (vigild_state).
 * The queue is bounded: past maxqueue waiting jobs scan_submit() refuses,
 * and the connection gets 503.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vigil/client.h"
#include "icap_multipart.h"
#include "icapd.h"
#include "log.h"

#define IDLE_SECS	30
#define CONNECT_MS	5000
#define MAX_PARTS	256

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct scan_job	*head, *tail;
	unsigned	 queued, maxqueue;
	unsigned	 threads, idle_threads, max, keep, maxreqs;
	char		*addr;
	int		 stopping;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void	*worker(void *);

/* severity - the order in which verdicts override each other */
static int
severity(enum vigil_status s)
{
	return (int)s;
}

/* job_fail - an ERROR verdict with its reason */
static void
job_fail(struct scan_job *j, int unreachable, const char *why)
{
	if (severity(j->status) >= severity(VIGIL_STATUS_ERROR))
		return;		/* a detection stays a detection */
	j->status = VIGIL_STATUS_ERROR;
	j->unreachable = unreachable;
	snprintf(j->reason, sizeof(j->reason), "%.250s", why);
}

/* take - merge one verdict into the job's (the worse one wins) */
static void
take(struct scan_job *j, const struct vigil_client_result *r,
    const char *part)
{
	const char	*obj = "";
	unsigned	 i;

	j->usec += r->usec;
	if (r->db[0] != '\0')
		istag_update(r->db);
	if (severity(r->status) <= severity(j->status))
		return;
	j->status = r->status;
	snprintf(j->threat, sizeof(j->threat), "%s", r->threat ? r->threat :
	    "");
	snprintf(j->reason, sizeof(j->reason), "%s", r->reason ? r->reason :
	    "");
	for (i = 0; i < r->ndet; i++)
		if (r->det[i].status == r->status && r->det[i].object) {
			obj = r->det[i].object;
			break;
		}
	if (part != NULL && part[0] != '\0')
		snprintf(j->object, sizeof(j->object), "%s%s%s", part,
		    obj[0] ? "/" : "", obj);
	else
		snprintf(j->object, sizeof(j->object), "%s", obj);
}

/* connect_vigild - a fresh connection, or NULL with the outage noted */
static struct vigil_client *
connect_vigild(char *err, size_t errlen)
{
	struct vigil_client	*c;

	if ((c = vigil_client_open(P.addr, CONNECT_MS, err, errlen)) == NULL)
		vigild_state(0, err);
	return c;
}

/* scan_one - one descriptor; -1 when the connection broke */
static int
scan_one(struct vigil_client **cp, unsigned *uses, struct scan_job *j,
    int fd, const char *part)
{
	struct vigil_client_opts	 o;
	struct vigil_client_result	 r;
	char				 err[512];
	int				 rc, attempt;

	memset(&o, 0, sizeof(o));
	o.lim = &j->lim;
	o.cure = j->cure && part == NULL;
	o.name = j->name[0] ? j->name : NULL;
	o.client = j->client[0] ? j->client : NULL;
	for (attempt = 0; attempt < 2; attempt++) {
		if (*cp != NULL && (!vigil_client_usable(*cp) ||
		    *uses >= P.maxreqs)) {
			vigil_client_close(*cp);
			*cp = NULL;
		}
		if (*cp == NULL) {
			if ((*cp = connect_vigild(err, sizeof(err))) == NULL) {
				job_fail(j, 1, "vigild unreachable");
				return -1;
			}
			*uses = 0;
		}
		(*uses)++;
		rc = vigil_client_scan_fd(*cp, fd, &o, &r, err, sizeof(err));
		if (rc == 0) {
			vigild_state(1, NULL);
			if (part == NULL && r.cured_fd >= 0) {
				j->cured_fd = r.cured_fd;
				r.cured_fd = -1;
			} else if (r.cured_fd >= 0)
				close(r.cured_fd);
			take(j, &r, part);
			vigil_client_result_free(&r);
			return 0;
		}
		if (rc == VIGIL_CLIENT_EBUSY || rc == VIGIL_CLIENT_EPROTO) {
			job_fail(j, 0, err);
			return 0;
		}
		/* transport: vigild restarted? one more try, fresh */
		vigil_client_close(*cp);
		*cp = NULL;
	}
	vigild_state(0, err);
	job_fail(j, 1, "vigild unreachable");
	return -1;
}

/* part_fd - a memfd holding len bytes of src at off */
static int
part_fd(int src, uint64_t off, uint64_t len)
{
	loff_t	 in = (loff_t)off;
	ssize_t	 n;
	int	 fd;

	if ((fd = memfd_create("vigil-icap-part", MFD_CLOEXEC)) == -1)
		return -1;
	while (len > 0) {
		n = copy_file_range(src, &in, fd, NULL, len > (1 << 30) ?
		    (1 << 30) : (size_t)len, 0);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		len -= (uint64_t)n;
	}
	return fd;
}

/* scan_parts - a multipart body, part by part; 0 when it was split */
static int
scan_parts(struct vigil_client **cp, unsigned *uses, struct scan_job *j)
{
	struct mp_part	*parts;
	void		*map;
	char		 label[300];
	int		 n, i, fd, complete = 0, rc = -1;

	if (j->raw_len == 0 || j->raw_len > SIZE_MAX)
		return -1;
	map = mmap(NULL, (size_t)j->raw_len, PROT_READ, MAP_PRIVATE,
	    j->raw_fd, 0);
	if (map == MAP_FAILED)
		return -1;
	if ((parts = calloc(MAX_PARTS, sizeof(*parts))) == NULL)
		goto out;
	n = mp_parts(map, (size_t)j->raw_len, j->boundary, parts, MAX_PARTS,
	    &complete);
	if (n <= 0)
		goto out;
	rc = 0;
	for (i = 0; i < n && i < MAX_PARTS; i++) {
		if (parts[i].len == 0)
			continue;
		if ((fd = part_fd(j->raw_fd, parts[i].off, parts[i].len)) ==
		    -1) {
			job_fail(j, 0, "cannot copy a form part");
			break;
		}
		snprintf(label, sizeof(label), "%s",
		    parts[i].filename[0] ? parts[i].filename :
		    parts[i].name[0] ? parts[i].name : "part");
		if (scan_one(cp, uses, j, fd, label) == -1) {
			close(fd);
			break;
		}
		close(fd);
	}
	if (n > MAX_PARTS && j->status == VIGIL_CLEAN)
		job_fail(j, 0, "too many form parts");
	if (!complete)
		rc = -1;	/* the split stopped early: scan it whole too */
out:
	free(parts);
	munmap(map, (size_t)j->raw_len);
	return rc;
}

/* run - one job */
static void
run(struct vigil_client **cp, unsigned *uses, struct scan_job *j)
{
	j->status = VIGIL_CLEAN;
	j->threat[0] = j->reason[0] = j->object[0] = '\0';
	j->cured_fd = -1;
	j->unreachable = 0;
	j->usec = 0;
	if (j->boundary[0] != '\0' && j->raw_fd >= 0 &&
	    scan_parts(cp, uses, j) == 0)
		return;
	(void)scan_one(cp, uses, j, j->fd, NULL);
}

/* worker - a scanning thread */
static void *
worker(void *arg)
{
	struct vigil_client	*c = NULL;
	struct scan_job		*j;
	struct timespec		 ts;
	unsigned		 uses = 0;
	int			 rc;

	(void)arg;
	pthread_mutex_lock(&P.mu);
	for (;;) {
		while (P.head == NULL && !P.stopping) {
			P.idle_threads++;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += IDLE_SECS;
			rc = pthread_cond_timedwait(&P.cv, &P.mu, &ts);
			P.idle_threads--;
			if (rc == ETIMEDOUT && P.head == NULL &&
			    P.threads > P.keep)
				goto out;
		}
		if (P.head == NULL && P.stopping)
			break;
		j = P.head;
		if ((P.head = j->next) == NULL)
			P.tail = NULL;
		P.queued--;
		pthread_mutex_unlock(&P.mu);
		run(&c, &uses, j);
		j->done(j);
		pthread_mutex_lock(&P.mu);
	}
out:
	P.threads--;
	pthread_cond_broadcast(&P.cv);
	pthread_mutex_unlock(&P.mu);
	vigil_client_close(c);
	return NULL;
}

/* scan_init - see icapd.h */
int
scan_init(const char *vigild, unsigned threads, unsigned idle,
    unsigned maxreqs, unsigned maxqueue)
{
	P.addr = strdup(vigild);
	P.max = threads > 0 ? threads : 1;
	P.keep = idle < P.max ? idle : P.max;
	P.maxreqs = maxreqs > 0 ? maxreqs : 1;
	P.maxqueue = maxqueue;
	return P.addr != NULL ? 0 : -1;
}

/* scan_submit - queue a job; start a thread when none is idle */
int
scan_submit(struct scan_job *j)
{
	pthread_t	 t;
	pthread_attr_t	 a;

	j->next = NULL;
	pthread_mutex_lock(&P.mu);
	if (P.stopping || P.queued >= P.maxqueue) {
		pthread_mutex_unlock(&P.mu);
		return -1;
	}
	if (P.tail != NULL)
		P.tail->next = j;
	else
		P.head = j;
	P.tail = j;
	P.queued++;
	if (P.idle_threads < P.queued && P.threads < P.max) {
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 256 * 1024);
		if (pthread_create(&t, &a, worker, NULL) == 0)
			P.threads++;
		pthread_attr_destroy(&a);
	}
	if (P.threads == 0) {
		/* no thread at all: take the job back */
		P.head = P.tail = NULL;
		P.queued = 0;
		pthread_mutex_unlock(&P.mu);
		return -1;
	}
	pthread_cond_signal(&P.cv);
	pthread_mutex_unlock(&P.mu);
	return 0;
}

/* scan_fini - stop the threads once the queue is empty (bounded) */
void
scan_fini(void)
{
	struct timespec	 ts;

	pthread_mutex_lock(&P.mu);
	P.stopping = 1;
	pthread_cond_broadcast(&P.cv);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	while (P.threads > 0)
		if (pthread_cond_timedwait(&P.cv, &P.mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&P.mu);
}

/* scan_command - one command to vigild on a short connection: at addr
 * (its ControlSocket), or NULL for the address scans go to */
int
scan_command(const char *addr, const char *cmd, char *reply, size_t len,
    int timeout_ms)
{
	struct vigil_client	*c;
	char			 err[512];
	int			 rc;

	if ((c = vigil_client_open(addr ? addr : P.addr, timeout_ms, err,
	    sizeof(err))) == NULL) {
		vigild_state(0, err);
		snprintf(reply, len, "%s", err);
		return -1;
	}
	rc = vigil_client_command(c, cmd, reply, len, err, sizeof(err));
	if (rc == -1)
		snprintf(reply, len, "%s", err);
	else
		vigild_state(1, NULL);
	vigil_client_close(c);
	return rc;
}

/* scan_probe - vigild's database version, from an empty scan on a short
 * connection (the same field every verdict carries) */
int
scan_probe(char *db, size_t len)
{
	struct vigil_client		*c;
	struct vigil_client_result	 r;
	char				 err[512];
	int				 rc;

	if ((c = connect_vigild(err, sizeof(err))) == NULL)
		return -1;
	rc = vigil_client_scan_buffer(c, "", 0, NULL, &r, err, sizeof(err));
	vigil_client_close(c);
	if (rc != 0) {
		if (rc == -1)
			vigild_state(0, err);
		return -1;
	}
	vigild_state(1, NULL);
	snprintf(db, len, "%s", r.db);
	vigil_client_result_free(&r);
	return 0;
}
