/*
 * icapd.h - vigil-icapd's shared state: the running configuration, the
 * event loops and the scanning pool
 *
 * Worker model (how the proxy guide's [icapserver.process] keys map):
 *	MaxChildren		most event-loop threads; vigil-icapd runs
 *				min(MaxChildren, online CPUs) of them, each
 *				serving its share of the ICAP connections
 *	MaxEnginesPerChild	scanning threads per event loop: each holds
 *				one vigild connection, so at most
 *				loops x MaxEnginesPerChild scans run at once
 *	IdleChildren		scanning threads kept (with their vigild
 *				connection) when there is nothing to scan;
 *				the others end after 30 s idle
 *	MaxReqsPerChild		scans one vigild connection serves before
 *				the scanning thread replaces it
 */
#ifndef VIGIL_ICAPD_H
#define VIGIL_ICAPD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "vigil/vigil.h"
#include "icap_stats.h"

struct cfg;
struct icap_policy;
struct icap_group;

#define ICAPD_RELAY_START	(32 * 1024)	/* partial: relay past this */
#define ICAPD_HOLDBACK		(16 * 1024)	/* partial: kept until the verdict */

enum answer_mode { ANSWER_COMPLETE = 0, ANSWER_PARTIAL };

/* one configuration generation; requests hold a reference */
struct icapd_conf {
	struct cfg		*cfg;
	struct icap_policy	*pol;
	enum answer_mode	 mode;
	unsigned		 preview;	/* PreviewSize */
	uint64_t		 max_req;	/* MaxReqLength; 0: none */
	int			 allow204;
	char			*respmod_path, *reqmod_path, *client_hdr;
	unsigned		 timeout;	/* seconds */
	char			*notify_dir, *notify_script;
	unsigned		 notify_timeout;
	char			*transfer_ignore, *transfer_complete;
	int			 show_ok;
	int			 level;		/* ReportLevel */
	_Atomic int		 refs;
};

struct icapd {
	const char		*config_path;
	time_t			 started;
	pthread_mutex_t		 mu;		/* conf, istag */
	struct icapd_conf	*conf;
	char			 istag[40];	/* quoted value, from the db */
	char			 dbver[72];
	char			*vigild_addr;	/* fixed at start */
	unsigned		 nloops, engines, idle, maxreqs;
	unsigned		 max_conn;	/* Max-Connections */
	_Atomic int		 stopping;
	_Atomic int		 vigild_down;	/* logged once per outage */
	struct icap_counters	 cnt;
};

extern struct icapd	 G;

/* icapd.c */
struct icapd_conf *conf_get(void);
void		 conf_put(struct icapd_conf *);
void		 istag_get(char *out, size_t len);
void		 istag_update(const char *dbversion);
void		 report(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 vigild_state(int up, const char *why);

/* icapd_conn.c: the event loops */
int		 loops_start(int lfd, unsigned n, char *err, size_t errlen);
void		 loops_stop(void);
unsigned	 loops_conn_count(void);

/* icapd_scan.c: the scanning pool */
struct scan_job {
	/* in */
	int			 fd;		/* what to scan (the job's own) */
	int			 raw_fd;	/* the original body, for parts */
	uint64_t		 raw_len;
	char			 boundary[80];	/* multipart: split first */
	struct vigil_limits	 lim;
	int			 cure;
	char			 name[512];	/* the URL, for vigild's log */
	char			 client[64];
	/* out */
	enum vigil_status	 status;
	char			 threat[256];
	char			 reason[256];
	char			 object[256];
	int			 cured_fd;
	int			 unreachable;	/* vigild could not be asked */
	uint64_t		 usec;
	/* completion */
	void			(*done)(struct scan_job *);
	void			*arg;
	void			*arg2;		/* the caller's list link */
	struct scan_job		*next;
};

int		 scan_init(const char *vigild, unsigned threads, unsigned idle,
		    unsigned maxreqs, unsigned maxqueue);
int		 scan_submit(struct scan_job *);	/* -1: queue full */
void		 scan_fini(void);
int		 scan_command(const char *addr, const char *cmd, char *reply,
		    size_t len, int timeout_ms);
int		 scan_probe(char *db, size_t len);

#endif
