/*
 * icap_stats.c - write vigil-icapd's counters to its two statistics files
 *
 * DESIGN
 * The counters live in struct icap_counters, bumped with atomic adds by
 * the request threads; this file only reads them (a relaxed snapshot per
 * counter: the files are a report, not a transaction) and writes the
 * proxy guide's two files on "vigilctl stats" or at exit.  Each file is
 * formatted into a capped strbuf, written to a mkstemp() file beside the
 * target, flushed, chmod 0644 and renamed over the target, so a reader
 * never sees half a file.  Keys keep the guides' style (CamelCase,
 * Key=value, one per line); values are plain decimal.
 *
 * Hand-written: a few dozen lines of formatting and the usual
 * write-then-rename.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "icap_stats.h"
#include "strbuf.h"
#include "vigil/vigil.h"

#define STATS_FILE_MAX	8192

/* ld - a relaxed read of one counter */
static uint64_t
ld(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* header - the comment line naming the file and the time */
static int
header(struct strbuf *sb, const char *what, time_t now)
{
	struct tm	 tm;
	char		 t[64] = "";

	if (localtime_r(&now, &tm) != NULL)
		(void)strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S%z", &tm);
	return strbuf_printf(sb, "# vigil-icapd %s, written %s\n", what, t);
}

/* kv - one Key=value line */
static int
kv(struct strbuf *sb, const char *key, uint64_t v)
{
	return strbuf_printf(sb, "%s=%" PRIu64 "\n", key, v);
}

/* format_av - the scan results file */
static int
format_av(struct strbuf *sb, const struct icap_counters *c, time_t now)
{
	static const char *const names[8] = {
		[VIGIL_CLEAN] = "Clean", [VIGIL_CURED] = "Cured",
		[VIGIL_STATUS_ERROR] = "Error",
		[VIGIL_CORRUPTED] = "Corrupted",
		[VIGIL_PROTECTED] = "Protected", [VIGIL_WARNING] = "Warning",
		[VIGIL_SUSPICIOUS] = "Suspicious",
		[VIGIL_INFECTED] = "Infected",
	};
	int	 i;

	if (header(sb, "scan statistics", now) == -1)
		return -1;
	for (i = 0; i < 8; i++)
		if (kv(sb, names[i], ld(&c->status[i])) == -1)
			return -1;
	if (kv(sb, "ScannedObjects", ld(&c->scanned_objects)) == -1 ||
	    kv(sb, "ScannedBytes", ld(&c->scanned_bytes)) == -1 ||
	    kv(sb, "Blocked", ld(&c->blocked)) == -1)
		return -1;
	return 0;
}

/* format_cnt - the request and traffic counters file */
static int
format_cnt(struct strbuf *sb, const struct icap_counters *c,
    time_t started, time_t now)
{
	uint64_t	 opt = ld(&c->options), req = ld(&c->reqmod);
	uint64_t	 resp = ld(&c->respmod), nobj = ld(&c->scanned_objects);
	uint64_t	 usec = ld(&c->scan_usec_total), avg;

	avg = nobj ? usec / nobj : 0;	/* microseconds */
	if (header(sb, "counters", now) == -1 ||
	    kv(sb, "Uptime", now > started ? (uint64_t)(now - started) : 0) ==
	    -1 ||
	    kv(sb, "Connections", ld(&c->conn_accepted)) == -1 ||
	    kv(sb, "OpenConnections", ld(&c->conn_open)) == -1 ||
	    kv(sb, "Requests", opt + req + resp) == -1 ||
	    kv(sb, "OptionsRequests", opt) == -1 ||
	    kv(sb, "ReqmodRequests", req) == -1 ||
	    kv(sb, "RespmodRequests", resp) == -1 ||
	    kv(sb, "Answered204", ld(&c->answered_204)) == -1 ||
	    kv(sb, "Answered204Preview", ld(&c->preview_204)) == -1 ||
	    kv(sb, "Answered200", ld(&c->answered_200)) == -1 ||
	    kv(sb, "Excluded", ld(&c->excluded)) == -1 ||
	    kv(sb, "Errors4xx", ld(&c->errors_4xx)) == -1 ||
	    kv(sb, "Errors5xx", ld(&c->errors_5xx)) == -1 ||
	    kv(sb, "BytesIn", ld(&c->bytes_in)) == -1 ||
	    kv(sb, "BytesOut", ld(&c->bytes_out)) == -1 ||
	    strbuf_printf(sb, "AverageScanMs=%" PRIu64 ".%03" PRIu64 "\n",
	    avg / 1000, avg % 1000) == -1 ||
	    kv(sb, "VigildErrors", ld(&c->vigild_errors)) == -1)
		return -1;
	return 0;
}

/* replace_file - path's content becomes sb, atomically */
static int
replace_file(const char *path, const struct strbuf *sb, char *err,
    size_t errlen)
{
	char	*tmp = NULL;
	int	 fd = -1, rc = -1, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		tmp = NULL;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) == -1 ||
	    fd_write_all(fd, sb->data, sb->len) == -1 || fsync(fd) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (rc == -1) {
		if (tmp != NULL)
			(void)unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
	}
	free(tmp);
	errno = saved;
	return rc;
}

/* icap_stats_write - write the statistics files */
int
icap_stats_write(const struct icap_counters *c, time_t started,
    const char *av_path, const char *cnt_path, char *err, size_t errlen)
{
	struct strbuf	 sb;
	const char	*path = av_path;
	time_t		 now = time(NULL);
	int		 rc = 0;

	strbuf_init(&sb, STATS_FILE_MAX);
	if (av_path != NULL && av_path[0] != '\0') {
		if ((rc = format_av(&sb, c, now)) == 0)
			rc = replace_file(av_path, &sb, err, errlen);
	}
	if (rc == 0 && cnt_path != NULL && cnt_path[0] != '\0') {
		path = cnt_path;
		strbuf_reset(&sb);
		if ((rc = format_cnt(&sb, c, started, now)) == 0)
			rc = replace_file(cnt_path, &sb, err, errlen);
	}
	strbuf_fini(&sb);
	if (rc == -1 && (errno == ENOMEM || errno == E2BIG))
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return rc;
}
