/*
 * smtpd.h - vigil-smtpd internals shared by smtpd.c (start-up, control),
 * smtpd_sess.c (the SMTP/LMTP session) and smtpd_proc.c (what happens to
 * a received message: scan, rules, copies, notices, forwarding)
 *
 * Modes of operation:
 *	daemon	ListenAddress; one thread per session
 *	-s	one session on stdin/stdout (Postfix spawn, Sendmail mailer,
 *		Exim lmtp transport command)
 *	-q	qmail-queue replacement: message on fd 0, envelope on fd 1
 */
#ifndef VIGIL_SMTPD_H
#define VIGIL_SMTPD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "cfg.h"
#include "smtp_fwd.h"
#include "smtp_policy.h"
#include "smtp_proto.h"
#include "vigil/client.h"
#include "vigil/vigil.h"

/* One configuration generation; sessions hold a reference. */
struct smtpd_conf {
	struct cfg		*cfg;
	struct sp_policy	 pol;
	struct fwd_spec		 fwd;
	int			 lmtp;		/* Protocol=lmtp */
	char			 hostname[256];
	const char		*notify_from;
	const char		*tmpl_dir;
	const char		*spool_dir;
	const char		*vigild;
	int			 xforward;	/* pass XFORWARD on */
	int			 show_ok;
	uint64_t		 max_size;	/* MaxMessageSize, 0 none */
	unsigned		 max_rcpt;
	unsigned		 max_conn;	/* MaxConnections */
	unsigned		 timeout;	/* session idle, seconds */
	unsigned		 check_time;	/* MaxCheckTime, seconds */
	struct vigil_limits	 lim;
	unsigned		 gen;		/* generation number */
	atomic_int		 refs;
};

struct smtpd_counters {
	atomic_ullong	sessions, sessions_open, messages, recipients;
	atomic_ullong	delivered, removed, tempfail, permfail, bytes_in;
	atomic_ullong	notices, quarantined, vigild_errors;
	atomic_ullong	status[SP_NSTATUS + 1];	/* last: CLEAN */
};

struct smtpd {
	pthread_mutex_t		 mu;
	struct smtpd_conf	*conf;
	const char		*config_path;
	struct smtpd_counters	 cnt;
	time_t			 started;
	atomic_int		 vigild_down;
	atomic_int		 stopping;
	atomic_int		 busy;		/* sessions between the end of
						   DATA and their reply */
};
extern struct smtpd G;

/* cap of the small text buffers (replies, lists, header lines) */
#define SB_MAX	((size_t)4 << 20)

/* monotonic_usec - a clock for durations */
static inline uint64_t
monotonic_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct smtpd_conf *conf_get(void);
void	conf_put(struct smtpd_conf *);
void	report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	vigild_state(int up, const char *why);

/* A recipient of the transaction under way and its outcome. */
struct txn_rcpt {
	char	*addr;
	char	*params;	/* NOTIFY=, ORCPT= as sent; "" none */
	int	 code;		/* 0 until processed */
	char	 text[512];	/* "2.0.0 ..." */
};

/* One transaction: envelope and the spooled message. */
struct txn {
	char		 qid[24];
	char		*sender;	/* NULL: no MAIL yet */
	char		 mail_params[SMTP_PARAMS_MAX + 1];
	struct txn_rcpt	*rc;
	size_t		 nrc, caprc;
	int		 spool;		/* -1 none */
	uint64_t	 size;
	int		 single;	/* one reply for all recipients (SMTP,
					   qmail): refusals need a notice */
};

/* What a session keeps between messages. */
struct sess_ctx {
	struct vigil_client	*vc;
	struct fwd_conn		*fc;
	unsigned		 gen;		/* of fc's configuration */
	char			 client[128];	/* peer address, for the log */
	char			 xforward[SMTP_LINE_MAX + 1];
};

void	txn_reset(struct txn *);
int	txn_add_rcpt(struct txn *, const char *addr, const char *params);
int	spool_open(const char *dir);

/* proc_message - scan and deliver t; sets every t->rc[i].code/text */
void	proc_message(struct smtpd_conf *, struct sess_ctx *, struct txn *);
/* ctx_fini - give a session's vigild and downstream connections back
 * to the pools (smtpd_pool.c) */
void	ctx_fini(struct sess_ctx *);

struct vigil_client *pool_vigild(void);
struct fwd_conn *pool_fwd(unsigned gen);
void	pool_put(struct vigil_client *, struct fwd_conn *, unsigned gen);
void	pool_drain(void);

/* sess_run - one SMTP/LMTP session on in/out until QUIT or EOF */
void	sess_run(int in, int out, const char *peer);
/* qmail_run - the qmail-queue mode; returns the exit code */
int	qmail_run(void);

#endif
