/*
 * load.c - INSTREAM load generator for clamd-protocol daemons (vigild,
 * clamd): N concurrent clients, each looping connect, zINSTREAM, chunks,
 * reply, close; prints requests per second and latency percentiles.
 *
 *	load SOCKET CONCURRENCY LIMIT OBJECT [CHUNK]
 *
 * SOCKET is a unix socket path or HOST:PORT; LIMIT is a duration ("10s")
 * or a request count ("5000"); OBJECT is the file sent in every request;
 * CHUNK is the INSTREAM chunk size (default 65536).  Output, one line:
 *
 *	requests=N seconds=S rps=R p50_ms=X p99_ms=Y max_ms=Z found=F
 *	    busy=B errors=E
 *
 * Exit status: 0, 1 when a request failed (an error or busy reply counts
 * as a failure too), 2 on bad arguments.
 *
 * DESIGN
 *   One thread per client, no shared state in the loop but an atomic
 *   request counter (count mode) and the deadline (duration mode).  Each
 *   thread keeps its successful requests' latencies (CLOCK_MONOTONIC,
 *   connect to last reply byte) in its own array, capped at MAXSAMPLES per
 *   thread; the arrays are merged and sorted once at the end.  A request
 *   is a success when the reply ends with NUL and contains " OK" or
 *   " FOUND"; "busy" replies and other ERROR replies are counted apart and
 *   are not in the percentiles.  Every socket has a 30 s send and receive
 *   timeout, so a stuck daemon makes errors, not a hung benchmark.  The
 *   object is read into memory once; the clients only write it.
 *
 * Hand-written: the benchmark must build with nothing but cc on a bare CI
 * image, and clamd's own tools have no load mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../latency.h"

#define MAXCLIENTS	1024
#define MAXSAMPLES	(1 << 20)
#define MAXOBJECT	((size_t)1 << 30)
#define REPLYMAX	4096
#define IOTIMEOUT	30

struct target {
	int			 family;
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
};

struct client {
	pthread_t	 th;
	double		*lat;		/* milliseconds, successes only */
	size_t		 n;
	unsigned long	 found, busy, errors;
};

static struct target	 tgt;
static const char	*obj;
static size_t		 objlen, chunklen = 65536;
static long		 maxreq;		/* count mode: > 0 */
static double		 deadline;		/* duration mode: > 0 */
static atomic_long	 issued;

/* now - monotonic seconds */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* parse_target - a unix path (contains '/') or HOST:PORT into tgt */
static int
parse_target(const char *s)
{
	struct sockaddr_un	*un = (struct sockaddr_un *)&tgt.addr;
	struct addrinfo		 hints, *ai;
	char			 host[256];
	const char		*colon;
	int			 rc = -1;

	if (strchr(s, '/') != NULL || (colon = strrchr(s, ':')) == NULL) {
		if (strlen(s) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, s);
		tgt.family = AF_UNIX;
		tgt.addrlen = sizeof(*un);
		return 0;
	}
	if ((size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	if (ai->ai_addrlen <= sizeof(tgt.addr)) {
		memcpy(&tgt.addr, ai->ai_addr, ai->ai_addrlen);
		tgt.addrlen = ai->ai_addrlen;
		tgt.family = ai->ai_family;
		rc = 0;
	}
	freeaddrinfo(ai);
	return rc;
}

/* read_object - read the whole file into obj */
static int
read_object(const char *path)
{
	struct stat	 st;
	char		*buf;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || (size_t)st.st_size > MAXOBJECT)
		goto out;
	if ((buf = malloc(st.st_size + 1)) == NULL)
		goto out;
	while (off < (size_t)st.st_size &&
	    (r = read(fd, buf + off, st.st_size - off)) > 0)
		off += r;
	obj = buf;
	objlen = off;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* write_all - write len bytes or fail */
static int
write_all(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 w;

	while (len > 0) {
		w = send(fd, c, len, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		len -= w;
	}
	return 0;
}

/* dial - a connected socket with I/O timeouts, or -1 */
static int
dial(void)
{
	struct timeval	tv = { IOTIMEOUT, 0 };
	int		fd;

	if ((fd = socket(tgt.family, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&tgt.addr, tgt.addrlen) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * request - one INSTREAM; 0 OK/FOUND (*found set), 1 busy, -1 error.
 * A reply the daemon sends early (a limit, busy) is still read.
 */
static int
request(int *found)
{
	char		 reply[REPLYMAX + 1];
	uint32_t	 be;
	size_t		 off, n, got = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = dial()) == -1)
		return -1;
	if (write_all(fd, "zINSTREAM", 10) == -1)
		goto reply;
	for (off = 0; off < objlen; off += n) {
		n = objlen - off < chunklen ? objlen - off : chunklen;
		be = htonl((uint32_t)n);
		if (write_all(fd, &be, 4) == -1 ||
		    write_all(fd, obj + off, n) == -1)
			goto reply;
	}
	be = 0;
	(void)write_all(fd, &be, 4);
reply:
	while (got < REPLYMAX) {
		r = recv(fd, reply + got, REPLYMAX - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
		if (reply[got - 1] == '\0')
			break;
	}
	reply[got] = '\0';
	if (got == 0 || (reply[got - 1] != '\0' && got != REPLYMAX))
		goto out;
	if (strstr(reply, "busy") != NULL)
		rc = 1;
	else if (strstr(reply, " FOUND") != NULL) {
		*found = 1;
		rc = 0;
	} else if (strstr(reply, " OK") != NULL && strstr(reply, "ERROR") ==
	    NULL)
		rc = 0;
out:
	close(fd);
	return rc;
}

/* client_main - one client's loop until the deadline or the count */
static void *
client_main(void *arg)
{
	struct client	*c = arg;
	double		 t0;
	size_t		 cap = MAXSAMPLES;
	int		 found, rc;

	if ((c->lat = malloc(sizeof(double) * MAXSAMPLES)) == NULL)
		cap = 0;
	for (;;) {
		if (maxreq > 0 && atomic_fetch_add(&issued, 1) >= maxreq)
			break;
		if (deadline > 0 && now() >= deadline)
			break;
		found = 0;
		t0 = now();
		rc = request(&found);
		if (rc == 0) {
			if (c->n < cap)
				c->lat[c->n++] = (now() - t0) * 1000;
			c->found += found;
		} else if (rc == 1)
			c->busy++;
		else
			c->errors++;
	}
	return NULL;
}

/* usage - print the synopsis */
static int
usage(void)
{
	fprintf(stderr, "usage: load SOCKET CONCURRENCY SECONDSs|COUNT "
	    "OBJECT [CHUNK]\n");
	return 2;
}

/* main - parse the arguments, run the clients, print the figures */
int
main(int argc, char *argv[])
{
	static struct client	 cl[MAXCLIENTS];
	unsigned long		 found = 0, busy = 0, errors = 0;
	double			*all, t0, secs;
	size_t			 total = 0, k;
	char			*end;
	long			 conc, v;
	int			 i, timed;

	if (argc < 5 || argc > 6)
		return usage();
	conc = strtol(argv[2], &end, 10);
	if (*end != '\0' || conc < 1 || conc > MAXCLIENTS)
		return usage();
	v = strtol(argv[3], &end, 10);
	if (v < 1 || (*end != '\0' && strcmp(end, "s") != 0))
		return usage();
	timed = *end == 's';
	if (argc == 6 && ((chunklen = strtoul(argv[5], &end, 10)) < 1 ||
	    *end != '\0' || chunklen > (1 << 24)))
		return usage();
	if (parse_target(argv[1]) == -1) {
		fprintf(stderr, "load: bad socket %s\n", argv[1]);
		return 2;
	}
	if (read_object(argv[4]) == -1) {
		fprintf(stderr, "load: cannot read %s\n", argv[4]);
		return 2;
	}
	t0 = now();
	if (timed)
		deadline = t0 + v;
	else
		maxreq = v;
	for (i = 0; i < conc; i++)
		if (pthread_create(&cl[i].th, NULL, client_main, &cl[i]) != 0) {
			fprintf(stderr, "load: cannot start client %d\n", i);
			conc = i;
			break;
		}
	for (i = 0; i < conc; i++) {
		pthread_join(cl[i].th, NULL);
		total += cl[i].n;
	}
	secs = now() - t0;
	if ((all = malloc(sizeof(double) * (total + 1))) == NULL)
		return 2;
	for (i = 0, k = 0; i < conc; i++) {
		memcpy(all + k, cl[i].lat, cl[i].n * sizeof(double));
		k += cl[i].n;
		found += cl[i].found;
		busy += cl[i].busy;
		errors += cl[i].errors;
		free(cl[i].lat);
	}
	lat_sort(all, total);
	printf("requests=%zu seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f "
	    "max_ms=%.3f found=%lu busy=%lu errors=%lu\n", total, secs,
	    total / secs, lat_pct(all, total, 0.50),
	    lat_pct(all, total, 0.99), total ? all[total - 1] : 0.0,
	    found, busy, errors);
	free(all);
	free((void *)obj);
	return busy + errors > 0 ? 1 : 0;
}
