/*
 * vigild.h - state shared by vigild's modules
 *
 * vigild.c	 start-up, sockets, privileges, signals, the accept loop
 * vigild_db.c	 the loaded database: references, reload, atomic switch
 * vigild_pool.c the scanning threads and their bounded queue
 * vigild_conn.c one thread per client connection: the protocols
 * vigild_stats.c counters, STATS, the request log, the metrics endpoint
 */
#ifndef VIGILD_H
#define VIGILD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/vigil.h"

struct cfg;
struct vcache;
struct strbuf;

/* ---- the database (vigild_db.c) ---- */

/* dbref - one loaded database; freed when the last reference goes */
struct dbref {
	struct vigil_engine	*engine;
	uint64_t		 gen;		/* 1, 2, ... per load */
	char			 version[65];	/* content digest */
	unsigned long long	 pkgver;	/* installed package; 0 */
	unsigned long		 sigs;
	double			 load_seconds;
	time_t			 loaded_at;
	atomic_int		 refs;
};

int		 db_init(const char *dbdir, const char *cache_dir, char *err,
		    size_t errlen);
void		 db_fini(void);
struct dbref	*db_acquire(void);		/* never NULL after db_init */
void		 db_release(struct dbref *);
/* db_reload - load dbdir beside the current database and switch; 0, or
 * -1 with the reason in err (the current database keeps serving) */
int		 db_reload(const char *dbdir, const char *cache_dir,
		    char *err, size_t errlen);
/* db_reload_async - start db_reload in a thread unless one runs */
void		 db_reload_async(void);
void		 db_set_paths(const char *dbdir, const char *cache_dir);
uint64_t	 db_generation(void);

/* ---- the scanning threads (vigild_pool.c) ---- */

enum job_input { JOB_FD, JOB_BUF, JOB_PATH };

struct conn;

/*
 * job - one object to scan.  The submitter fills the input and the
 * options; the worker scans, formats the reply with format(), sends it on
 * conn (under the connection's write lock) and calls done().
 */
struct job {
	enum job_input		 input;
	int			 fd;		/* JOB_FD; closed by the worker */
	uint8_t			*buf;		/* JOB_BUF; freed by the worker */
	size_t			 len;
	char			*path;		/* JOB_PATH; freed by the worker */
	char			 name[256];	/* reply and log name */
	struct vigil_limits	 lim;
	int			 cure;		/* native: return a cured copy */
	int			 native;	/* reply in vigil's native form */
	int			 allmatch_reply;/* one FOUND line per detection */
	int			 quiet_ok;	/* no "NAME: OK" line (directory scans) */
	const char		*client;	/* peer, for the log; lives with conn */
	unsigned		 session_id;	/* >0: prefix replies "N: " */
	char			 delim;
	struct conn		*conn;
	void			(*done)(struct job *);
	struct job		*next;
	/* outcome, for the submitter */
	int			 found;		/* a FOUND line was sent */
	int			 failed;	/* ERROR line sent */
};

int		 pool_init(unsigned nthreads, unsigned maxqueue,
		    size_t cache_entries);
void		 pool_fini(void);
/* pool_submit - queue j; with wait, block while the queue is full;
 * without, -1 (busy) when it is */
int		 pool_submit(struct job *j, int wait);
/* job_release - close or free a job's input (the job itself stays) */
void		 job_release(struct job *);
void		 pool_counts(unsigned *threads, unsigned *busy,
		    unsigned *queued);
void		 pool_cache_stats(uint64_t *hits, uint64_t *misses,
		    size_t *entries);

/* ---- connections (vigild_conn.c) ---- */

struct conn_opts {
	int	 control;	/* the control socket: admin commands */
	int	 unix_peer;	/* FILDES and VSCAN possible */
};
/* conn_start - serve fd in a new thread; -1 when none could start */
int		 conn_start(int fd, const char *peer, const struct conn_opts *);
unsigned	 conn_count(void);
void		 conn_send(struct conn *, const void *, size_t, int passfd);
void		 conn_wait_all(int seconds);
void		 pool_db_changed(void);

/* ---- counters, log, metrics (vigild_stats.c) ---- */

struct vstats {
	atomic_uint_fast64_t	 requests, clean, infected, errors, busy;
	atomic_uint_fast64_t	 bytes, objects, cache_hits, reloads,
				 reload_failures, connections;
	atomic_uint_fast64_t	 scan_usec;
};
extern struct vstats	 vstats;

void		 stats_format(struct strbuf *, char delim);
void		 stats_prometheus(struct strbuf *);
int		 reqlog_open(const char *path, int append, unsigned mode,
		    int show_ok, int json);
void		 reqlog_reopen(void);
void		 reqlog_close(void);
void		 reqlog_line(const char *client, const char *object,
		    const struct vigil_result *, uint64_t usec, int cached);
int		 metrics_start(const char *address, char *err, size_t errlen);

/* ---- the daemon (vigild.c) ---- */

struct vigild {
	const char		*config_path;
	struct cfg		*cfg;
	struct vigil_limits	 lim;		/* [vigild] engine limits */
	uint64_t		 stream_max;	/* StreamMaxLength */
	unsigned		 idle_timeout;	/* seconds */
	unsigned		 max_conn;
	unsigned		 threads;
	unsigned		 maxqueue;
	size_t			 cache_entries;
	char			 version_fmt[256];	/* VersionReply */
	time_t			 started;
	atomic_int		 stopping;
	pthread_mutex_t		 mu;		/* the fields above, on reload */
};
extern struct vigild	 vd;

/* vigild_request_stop - begin an orderly shutdown (SHUTDOWN command) */
void		 vigild_request_stop(void);
/* vigild_reload_config - SIGHUP: re-read the configuration, reload the
 * database; 0, or -1 with the configuration errors in err */
int		 vigild_reload_config(char *err, size_t errlen);
uint64_t	 now_usec(void);
/* vigild_version_format - [vigild] VersionReply, copied */
void		 vigild_version_format(char *, size_t);
/* vigild_limits - the engine limits in force (a reload may change them) */
void		 vigild_limits(struct vigil_limits *);

#endif
