/*
 * vigild_stats.c - vigild's counters, its request log and its metrics
 *
 * DESIGN
 * Counters are lock-free atomics bumped by the scanning threads; STATS,
 * vigilctl stats and the Prometheus endpoint read them.  The request log
 * ([vigild.report]) has one line per scanned object: time, client,
 * object, status, threat, microseconds, whether the verdict came from
 * the cache; as key=value text or JSON lines, to ReportFileName (reopened
 * by vigilctl stats, for rotation) or, without one, to the daemon log.
 * The metrics endpoint is a minimal HTTP/1.0 responder for GET /metrics:
 * one thread, one request per connection, a two-second read bound; a
 * scraper needs no more, and no HTTP library is worth linking for it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "strbuf.h"
#include "vigild.h"

struct vstats	 vstats;

static struct {
	pthread_mutex_t	 mu;
	FILE		*f;
	char		*path;
	unsigned	 mode;
	int		 show_ok, json;
} rl = { .mu = PTHREAD_MUTEX_INITIALIZER };

#define LD(x)	((unsigned long long)atomic_load(&vstats.x))

/* stats_format - the STATS reply: clamd's first lines, then vigil's */
void
stats_format(struct strbuf *sb, char delim)
{
	struct dbref	*r = db_acquire();
	unsigned	 th, busy, q;
	uint64_t	 hits, misses;
	size_t		 entries;

	pool_counts(&th, &busy, &q);
	pool_cache_stats(&hits, &misses, &entries);
	strbuf_printf(sb, "POOLS: 1\n\nSTATE: VALID PRIMARY\n");
	strbuf_printf(sb, "THREADS: live %u  idle %u max %u idle-timeout %u\n",
	    busy, th - busy, th, vd.idle_timeout);
	strbuf_printf(sb, "QUEUE: %u items\n", q);
	strbuf_printf(sb, "DATABASE: version %s signatures %lu generation "
	    "%llu load-seconds %.3f\n", r->version, r->sigs,
	    (unsigned long long)r->gen, r->load_seconds);
	strbuf_printf(sb, "REQUESTS: total %llu clean %llu infected %llu "
	    "errors %llu busy %llu\n", LD(requests), LD(clean), LD(infected),
	    LD(errors), LD(busy));
	strbuf_printf(sb, "SCANNED: bytes %llu objects %llu seconds %.3f\n",
	    LD(bytes), LD(objects), (double)LD(scan_usec) / 1e6);
	strbuf_printf(sb, "CACHE: hits %llu misses %llu entries %zu\n",
	    (unsigned long long)hits, (unsigned long long)misses, entries);
	strbuf_printf(sb, "CONNECTIONS: current %u total %llu\n", conn_count(),
	    LD(connections));
	strbuf_printf(sb, "RELOADS: ok %llu failed %llu\n", LD(reloads),
	    LD(reload_failures));
	strbuf_printf(sb, "UPTIME: %lld\n", (long long)(time(NULL) -
	    vd.started));
	strbuf_printf(sb, "END%c", delim);
	db_release(r);
}

/* metric - one counter or gauge with its help line */
static void
metric(struct strbuf *sb, const char *name, const char *type,
    const char *help, double v)
{
	strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help,
	    name, type, name, v);
}

/* stats_prometheus - the counters in Prometheus' text format */
void
stats_prometheus(struct strbuf *sb)
{
	struct dbref	*r = db_acquire();
	unsigned	 th, busy, q;
	uint64_t	 hits, misses;
	size_t		 entries;

	pool_counts(&th, &busy, &q);
	pool_cache_stats(&hits, &misses, &entries);
	metric(sb, "vigild_requests_total", "counter",
	    "objects scanned (or answered from the cache)", LD(requests));
	strbuf_printf(sb, "# HELP vigild_verdicts_total verdicts by outcome\n"
	    "# TYPE vigild_verdicts_total counter\n"
	    "vigild_verdicts_total{verdict=\"clean\"} %llu\n"
	    "vigild_verdicts_total{verdict=\"infected\"} %llu\n"
	    "vigild_verdicts_total{verdict=\"error\"} %llu\n",
	    LD(clean), LD(infected), LD(errors));
	metric(sb, "vigild_busy_total", "counter",
	    "requests refused because the queue or memory was full", LD(busy));
	metric(sb, "vigild_scanned_bytes_total", "counter",
	    "bytes scanned, container members included", LD(bytes));
	metric(sb, "vigild_scan_seconds_total", "counter",
	    "time spent scanning", (double)LD(scan_usec) / 1e6);
	metric(sb, "vigild_cache_hits_total", "counter",
	    "verdicts answered from the level-one cache", (double)hits);
	metric(sb, "vigild_cache_misses_total", "counter",
	    "level-one cache lookups that missed", (double)misses);
	metric(sb, "vigild_cache_entries", "gauge",
	    "verdicts held in the level-one cache", (double)entries);
	metric(sb, "vigild_connections", "gauge", "open client connections",
	    conn_count());
	metric(sb, "vigild_connections_total", "counter",
	    "client connections accepted", LD(connections));
	metric(sb, "vigild_threads", "gauge", "scanning threads", th);
	metric(sb, "vigild_threads_busy", "gauge", "threads scanning now",
	    busy);
	metric(sb, "vigild_queue_length", "gauge", "jobs waiting for a thread",
	    q);
	metric(sb, "vigild_reloads_total", "counter", "database reloads",
	    LD(reloads));
	metric(sb, "vigild_reload_failures_total", "counter",
	    "database reloads that failed (the old database kept serving)",
	    LD(reload_failures));
	metric(sb, "vigild_database_signatures", "gauge",
	    "signatures in the database serving now", (double)r->sigs);
	metric(sb, "vigild_database_generation", "gauge",
	    "loads since start (1 is the first)", (double)r->gen);
	metric(sb, "vigild_database_load_seconds", "gauge",
	    "wall time of the last load", r->load_seconds);
	metric(sb, "vigild_uptime_seconds", "gauge", "time since start",
	    (double)(time(NULL) - vd.started));
	db_release(r);
}

/* reqlog_open - start the request log; path NULL or "": the daemon log */
int
reqlog_open(const char *path, int append, unsigned mode, int show_ok,
    int json)
{
	FILE	*f = NULL;

	if (path != NULL && path[0] != '\0') {
		if ((f = fopen(path, append ? "ae" : "we")) == NULL)
			return -1;
		(void)fchmod(fileno(f), mode);
		setvbuf(f, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&rl.mu);
	if (rl.f != NULL)
		fclose(rl.f);
	free(rl.path);
	rl.f = f;
	rl.path = f != NULL ? strdup(path) : NULL;
	rl.mode = mode;
	rl.show_ok = show_ok;
	rl.json = json;
	pthread_mutex_unlock(&rl.mu);
	return 0;
}

/* reqlog_reopen - reopen the report file (after rotation) */
void
reqlog_reopen(void)
{
	FILE	*f;

	pthread_mutex_lock(&rl.mu);
	if (rl.path != NULL) {
		if ((f = fopen(rl.path, "ae")) == NULL)
			log_warn("%s", rl.path);
		else {
			(void)fchmod(fileno(f), rl.mode);
			setvbuf(f, NULL, _IOLBF, 0);
			fclose(rl.f);
			rl.f = f;
		}
	}
	pthread_mutex_unlock(&rl.mu);
}

/* reqlog_close - at exit */
void
reqlog_close(void)
{
	pthread_mutex_lock(&rl.mu);
	if (rl.f != NULL)
		fclose(rl.f);
	rl.f = NULL;
	free(rl.path);
	rl.path = NULL;
	pthread_mutex_unlock(&rl.mu);
}

/* json_str - s as a JSON string */
static void
json_str(struct strbuf *sb, const char *s)
{
	const unsigned char *p;

	strbuf_addc(sb, '"');
	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_printf(sb, "\\u%04x", *p);
		else
			strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '"');
}

/* reqlog_line - one line for one scanned object */
void
reqlog_line(const char *client, const char *object,
    const struct vigil_result *res, uint64_t usec, int cached)
{
	struct strbuf	 sb;
	char		 when[40], qo[1024], qt[512], qr[512];
	struct tm	 tm;
	time_t		 now = time(NULL);
	const char	*threat = res->threat ? res->threat : "";
	const char	*reason = res->reason ? res->reason : "";

	if (res->status == VIGIL_CLEAN && !rl.show_ok)
		return;
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	strbuf_init(&sb, 8192);
	if (rl.json) {
		strbuf_printf(&sb, "{\"time\":\"%s\",\"client\":", when);
		json_str(&sb, client);
		strbuf_printf(&sb, ",\"object\":");
		json_str(&sb, object);
		strbuf_printf(&sb, ",\"status\":\"%s\",\"threat\":",
		    vigil_status_name(res->status));
		json_str(&sb, threat);
		strbuf_printf(&sb, ",\"reason\":");
		json_str(&sb, reason);
		strbuf_printf(&sb, ",\"usec\":%llu,\"cached\":%s}",
		    (unsigned long long)usec, cached ? "true" : "false");
	} else {
		log_quote(qo, sizeof(qo), object, strlen(object));
		log_quote(qt, sizeof(qt), threat, strlen(threat));
		log_quote(qr, sizeof(qr), reason, strlen(reason));
		strbuf_printf(&sb, "%s client=%s object=\"%s\" status=%s",
		    when, client, qo, vigil_status_name(res->status));
		if (threat[0])
			strbuf_printf(&sb, " threat=%s", qt);
		if (reason[0])
			strbuf_printf(&sb, " reason=\"%s\"", qr);
		strbuf_printf(&sb, " usec=%llu cached=%d",
		    (unsigned long long)usec, cached);
	}
	if (sb.data != NULL) {
		pthread_mutex_lock(&rl.mu);
		if (rl.f != NULL)
			fprintf(rl.f, "%s\n", sb.data);
		else
			log_info("%s", sb.data);
		pthread_mutex_unlock(&rl.mu);
	}
	strbuf_fini(&sb);
}

/* metrics_serve - answer one scrape on fd */
static void
metrics_serve(int fd)
{
	struct strbuf	 body, head;
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	char		 req[4096];
	size_t		 n = 0;
	ssize_t		 r;
	int		 ok;

	while (n < sizeof(req) - 1 && poll(&p, 1, 2000) == 1) {
		if ((r = read(fd, req + n, sizeof(req) - 1 - n)) <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = '\0';
	ok = strncmp(req, "GET /metrics ", 13) == 0 ||
	    strncmp(req, "GET /metrics?", 13) == 0;
	strbuf_init(&body, (size_t)1 << 20);
	strbuf_init(&head, 4096);
	if (ok)
		stats_prometheus(&body);
	else
		strbuf_printf(&body, "not found: GET /metrics\n");
	strbuf_printf(&head, "HTTP/1.0 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    ok ? "200 OK" : "404 Not Found", body.len);
	if (head.data)
		(void)send(fd, head.data, head.len, MSG_NOSIGNAL);
	if (body.data)
		(void)send(fd, body.data, body.len, MSG_NOSIGNAL);
	strbuf_fini(&body);
	strbuf_fini(&head);
}

static int	 metrics_fd = -1;

/* metrics_main - the endpoint's thread */
static void *
metrics_main(void *arg)
{
	int	 fd;

	(void)arg;
	while (!atomic_load(&vd.stopping)) {
		struct pollfd p = { .fd = metrics_fd, .events = POLLIN };

		if (poll(&p, 1, 500) != 1)
			continue;
		if ((fd = accept4(metrics_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		metrics_serve(fd);
		close(fd);
	}
	return NULL;
}

/* metrics_start - listen on address and serve scrapes in a thread */
int
metrics_start(const char *address, char *err, size_t errlen)
{
	pthread_t	 t;

	if ((metrics_fd = dmn_listen(address, err, errlen)) == -1)
		return -1;
	if (pthread_create(&t, NULL, metrics_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the metrics thread");
		return -1;
	}
	pthread_detach(t);
	return 0;
}
