/*
 * vigil-scan_scanner.c - what scans for one of vigil-scan's threads: the
 * engine in this process, or vigild (--daemon, [scanner.options]
 * UseDaemon)
 *
 * DESIGN
 * Both give the rest of vigil-scan a struct vigil_result, so reporting,
 * rules and actions do not know where the verdict came from.  Through
 * vigild each thread has its own connection and passes each file's
 * descriptor (the native VSCAN request), so vigild scans what vigil-scan
 * opened with vigil-scan's permissions; a cure asks vigild for the cured
 * copy and writes it where vigil-scan would have written its own.  A
 * dropped connection is opened again once; a busy vigild is asked again
 * after a pause (bounded); what still fails is the file's ERROR, never a
 * silent skip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "vigil-scan.h"
#include "vigil/client.h"

#define DAEMON_TIMEOUT_MS	600000	/* one scan may take long */
#define BUSY_TRIES		50
#define BUSY_PAUSE_MS		100

struct vs_scanner {
	struct vs			*vs;
	struct vigil_scanner		*sc;	/* in-process */
	struct vigil_client		*cl;	/* through vigild */
	struct vigil_client_result	 cr;
	int				 have_cr;
	struct vigil_detection		*det;
	size_t				 ndet;
	char				 reason[512];
};

/* vs_scanner_new - one per scanning thread; NULL with a message */
struct vs_scanner *
vs_scanner_new(struct vs *vs)
{
	struct vs_scanner	*s;
	char			 err[256];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		log_fatalx("out of memory");
	s->vs = vs;
	if (vs->daemon == NULL) {
		if ((s->sc = vigil_scanner_new(vs->engine)) == NULL)
			log_fatalx("out of memory");
		return s;
	}
	if ((s->cl = vigil_client_open(vs->daemon, DAEMON_TIMEOUT_MS, err,
	    sizeof(err))) == NULL)
		log_fatalx("vigild at %s: %s", vs->daemon, err);
	return s;
}

/* vs_scanner_free - NULL is a no-op */
void
vs_scanner_free(struct vs_scanner *s)
{
	if (s == NULL)
		return;
	vigil_scanner_free(s->sc);
	vigil_client_close(s->cl);
	if (s->have_cr)
		vigil_client_result_free(&s->cr);
	free(s->det);
	free(s);
}

/* error_result - the file could not be scanned through vigild */
static void
error_result(struct vs_scanner *s, struct vigil_result *res, const char *why)
{
	snprintf(s->reason, sizeof(s->reason), "vigild: %.480s", why);
	memset(res, 0, sizeof(*res));
	res->status = VIGIL_STATUS_ERROR;
	res->reason = s->reason;
}

/* convert - vigild's answer as an engine result (valid until the next) */
static int
convert(struct vs_scanner *s, struct vigil_result *res)
{
	const struct vigil_client_result *cr = &s->cr;
	unsigned	 i;

	if (cr->ndet > s->ndet) {
		free(s->det);
		if ((s->det = calloc(cr->ndet, sizeof(*s->det))) == NULL) {
			s->ndet = 0;
			return -1;
		}
		s->ndet = cr->ndet;
	}
	for (i = 0; i < cr->ndet; i++) {
		s->det[i].status = cr->det[i].status;
		s->det[i].threat = cr->det[i].threat;
		s->det[i].object = cr->det[i].object ? cr->det[i].object : "";
		s->det[i].reason = cr->det[i].reason;
	}
	memset(res, 0, sizeof(*res));
	res->status = cr->status;
	res->threat = cr->threat;
	res->ndet = cr->ndet;
	res->det = s->det;
	res->bytes = cr->bytes;
	res->objects = cr->objects;
	res->reason = cr->reason;
	pthread_mutex_lock(&s->vs->lock);
	if (cr->db[0] != '\0')
		memcpy(s->vs->daemon_db, cr->db, sizeof(s->vs->daemon_db));
	pthread_mutex_unlock(&s->vs->lock);
	return 0;
}

/* ask - one VSCAN, reconnecting once and waiting out a busy vigild */
static int
ask(struct vs_scanner *s, int fd, const struct vigil_limits *lim, int cure,
    struct vigil_result *res)
{
	struct vigil_client_opts o;
	struct timespec	 ts = { 0, BUSY_PAUSE_MS * 1000000L };
	char		 err[512];
	int		 rc = -1, tries, reconnected = 0;

	if (s->have_cr) {
		vigil_client_result_free(&s->cr);
		s->have_cr = 0;
	}
	memset(&o, 0, sizeof(o));
	o.lim = lim;
	o.cure = cure;
	o.client = "vigil-scan";
	for (tries = 0; tries < BUSY_TRIES; tries++) {
		if (s->cl == NULL || !vigil_client_usable(s->cl)) {
			vigil_client_close(s->cl);
			s->cl = vigil_client_open(s->vs->daemon,
			    DAEMON_TIMEOUT_MS, err, sizeof(err));
			if (s->cl == NULL)
				break;
		}
		rc = vigil_client_scan_fd(s->cl, fd, &o, &s->cr, err,
		    sizeof(err));
		if (rc == 0) {
			s->have_cr = 1;
			if (convert(s, res) == -1) {
				error_result(s, res, "out of memory");
				return -1;
			}
			return 0;
		}
		if (rc == VIGIL_CLIENT_EBUSY) {
			nanosleep(&ts, NULL);
			continue;
		}
		if (rc == -1 && !reconnected) {
			reconnected = 1;
			vigil_client_close(s->cl);
			s->cl = NULL;
			continue;
		}
		break;
	}
	error_result(s, res, rc == VIGIL_CLIENT_EBUSY ? "busy" : err);
	return -1;
}

/* vs_scan_fd - scan fd from offset 0 */
enum vigil_err
vs_scan_fd(struct vs_scanner *s, int fd, const struct vigil_limits *lim,
    struct vigil_result *res)
{
	if (s->sc != NULL)
		return vigil_scan_fd(s->sc, fd, lim, res);
	(void)ask(s, fd, lim, 0, res);
	return VIGIL_OK;
}

/* vs_cure_fd - scan in_fd and write a cured copy to out_fd */
enum vigil_err
vs_cure_fd(struct vs_scanner *s, int in_fd, int out_fd,
    const struct vigil_limits *lim, struct vigil_result *res)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 cfd;

	if (s->sc != NULL)
		return vigil_cure_fd(s->sc, in_fd, out_fd, lim, res);
	if (ask(s, in_fd, lim, 1, res) == -1)
		return VIGIL_OK;
	if ((cfd = s->cr.cured_fd) == -1)
		return VIGIL_OK;
	s->cr.cured_fd = -1;
	while ((n = read(cfd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || fd_write_all(out_fd, buf, (size_t)n) == -1) {
			close(cfd);
			return VIGIL_EIO;
		}
	}
	close(cfd);
	return VIGIL_OK;
}
