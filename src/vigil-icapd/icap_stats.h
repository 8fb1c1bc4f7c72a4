/*
 * icap_stats.h - vigil-icapd counters and its two statistics files
 */
#ifndef VIGIL_ICAP_STATS_H
#define VIGIL_ICAP_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* updated with atomic_fetch_add by many threads; zeroed at start */
struct icap_counters {
	_Atomic uint64_t reqmod, respmod, options, errors_4xx, errors_5xx,
	    preview_204, answered_204, answered_200, blocked, excluded,
	    bytes_in, bytes_out, scanned_objects, scanned_bytes,
	    conn_accepted, conn_open;
	_Atomic uint64_t status[8];	/* by enum vigil_status */
	_Atomic uint64_t scan_usec_total, vigild_errors;
};

/*
 * icap_stats_write - write both files, each atomically (a temporary file
 * in the same directory, mode 0644, then rename; parent directories are
 * not created).  av_path ([icapserver.statistics] AVStatisticsFile):
 * "Key=value" lines after a "# ... written TIME" comment: Clean, Cured,
 * Error, Corrupted, Protected, Warning, Suspicious, Infected,
 * ScannedObjects, ScannedBytes, Blocked.  cnt_path
 * (CounterStatisticsFile): the same comment, then Uptime (seconds since
 * started), Connections, OpenConnections, Requests (all three),
 * OptionsRequests, ReqmodRequests, RespmodRequests, Answered204,
 * Answered204Preview, Answered200, Excluded, Errors4xx, Errors5xx,
 * BytesIn, BytesOut, AverageScanMs (three decimals; 0 before any scan),
 * VigildErrors.  NULL or empty path: that file is skipped.  Returns 0, or
 * -1 + errno with "PATH: reason" in err (the other file may have been
 * written).
 */
int	icap_stats_write(const struct icap_counters *, time_t started,
	    const char *av_path, const char *cnt_path, char *err,
	    size_t errlen);

#endif
