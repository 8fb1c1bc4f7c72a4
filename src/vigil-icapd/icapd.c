/*
 * icapd.c - vigil-icapd, the ICAP server: start-up, configuration,
 * control socket, signals
 *
 *	vigil-icapd [-F] [-t] [-V] [-c FILE]
 *
 * vigil-icapd answers a proxy's ICAP requests (RFC 3507): it scans what
 * users download (RESPMOD) and upload (REQMOD) through vigild and blocks
 * what the group's actions deny.  This file reads the configuration
 * ([icapserver.*]), binds ListenAddress and the ControlSocket while still
 * root, detaches (unless -F), drops to [icapserver.process] User and
 * starts the event loops (icapd_conn.c) and the scanning pool
 * (icapd_scan.c).  The main thread then waits for signals and does the
 * housekeeping: the notify scripts, and the ISTag, which follows the
 * database vigild has loaded.
 *
 * DESIGN
 * The running configuration is one immutable generation (struct
 * icapd_conf) that each request holds a reference to.  SIGHUP (vigilctl
 * reload) builds a new generation and swaps it in: requests under way
 * finish with the one they started with, new ones get the new one, and no
 * connection is dropped.  ListenAddress, VigildAddress and the worker
 * counts are fixed at start (restart to change them).
 * The control socket speaks the same one-line commands as vigild's (PING,
 * STATUS, STATS, REOPENLOG, RELOADCONF, RELOADDB), so vigilctl drives
 * both alike; STATS also writes [icapserver.statistics] files.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "config.h"
#include "cfg.h"
#include "daemon.h"
#include "icap_page.h"
#include "icap_policy.h"
#include "icapd.h"
#include "log.h"

struct icapd	 G = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
	VIGIL_LOCALSTATEDIR };

static char	*ctl_path;

static const struct dmn_argdesc argdesc = { "vigil-icapd", VIGIL_SYSCONFDIR,
	"check the configuration" };

/* conf_free - one generation */
static void
conf_free(struct icapd_conf *cf)
{
	if (cf == NULL)
		return;
	icap_policy_free(cf->pol);
	cfg_free(cf->cfg);
	free(cf->respmod_path);
	free(cf->reqmod_path);
	free(cf->client_hdr);
	free(cf->notify_dir);
	free(cf->notify_script);
	free(cf->transfer_ignore);
	free(cf->transfer_complete);
	free(cf);
}

/* list_join - a list key's items joined by ", " */
static char *
list_join(const struct cfg *c, const char *sec, const char *key)
{
	const char *const	*items;
	size_t			 n, i, len = 1;
	char			*s;

	n = cfg_list(c, sec, NULL, key, &items);
	for (i = 0; i < n; i++)
		len += strlen(items[i]) + 2;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(s, ", ");
		strcat(s, items[i]);
	}
	return s;
}

/* conf_new - a generation from a loaded configuration (takes c) */
static struct icapd_conf *
conf_new(struct cfg *c, char *err, size_t errlen)
{
	struct icapd_conf	*cf;

	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		cfg_free(c);
		return NULL;
	}
	cf->cfg = c;
	if ((cf->pol = icap_policy_new(c, err, errlen)) == NULL) {
		conf_free(cf);
		return NULL;
	}
	cf->mode = strcmp(cfg_str(c, "icapserver.protocol", NULL,
	    "AnswerMode"), "complete") == 0 ? ANSWER_COMPLETE : ANSWER_PARTIAL;
	cf->preview = (unsigned)cfg_size(c, "icapserver.protocol", NULL,
	    "PreviewSize");
	cf->max_req = cfg_size(c, "icapserver.protocol", NULL, "MaxReqLength");
	cf->allow204 = cfg_bool(c, "icapserver.protocol", NULL, "Allow204");
	cf->respmod_path = strdup(cfg_str(c, "icapserver.protocol", NULL,
	    "RespmodPath"));
	cf->reqmod_path = strdup(cfg_str(c, "icapserver.protocol", NULL,
	    "ReqmodPath"));
	cf->client_hdr = strdup(cfg_str(c, "icapserver.protocol", NULL,
	    "ClientIPHeader"));
	cf->transfer_ignore = list_join(c, "icapserver.protocol",
	    "TransferIgnore");
	cf->transfer_complete = list_join(c, "icapserver.protocol",
	    "TransferComplete");
	cf->timeout = (unsigned)cfg_int(c, "icapserver.network", NULL,
	    "Timeout");
	cf->notify_dir = strdup(cfg_str(c, "icapserver.notify", NULL,
	    "NotifyTemplateDir"));
	cf->notify_script = strdup(cfg_str(c, "icapserver.notify", NULL,
	    "NotifyScript"));
	cf->notify_timeout = (unsigned)cfg_int(c, "icapserver.notify", NULL,
	    "NotifyTimeout");
	cf->show_ok = cfg_bool(c, "icapserver.report", NULL, "ShowOk");
	cf->level = (int)cfg_int(c, "icapserver.report", NULL, "ReportLevel");
	cf->refs = 1;
	if (cf->respmod_path == NULL || cf->reqmod_path == NULL ||
	    cf->client_hdr == NULL || cf->notify_dir == NULL ||
	    cf->notify_script == NULL || cf->transfer_ignore == NULL ||
	    cf->transfer_complete == NULL) {
		snprintf(err, errlen, "out of memory");
		conf_free(cf);
		return NULL;
	}
	return cf;
}

/* conf_get - the running generation, referenced */
struct icapd_conf *
conf_get(void)
{
	struct icapd_conf	*cf;

	pthread_mutex_lock(&G.mu);
	cf = G.conf;
	atomic_fetch_add(&cf->refs, 1);
	pthread_mutex_unlock(&G.mu);
	return cf;
}

/* conf_put - drop a reference; the last one frees */
void
conf_put(struct icapd_conf *cf)
{
	if (cf != NULL && atomic_fetch_sub(&cf->refs, 1) == 1)
		conf_free(cf);
}

/* istag_get - the ISTag header value, quoted */
void
istag_get(char *out, size_t len)
{
	pthread_mutex_lock(&G.mu);
	snprintf(out, len, "%s", G.istag);
	pthread_mutex_unlock(&G.mu);
}

/* istag_update - a database version seen in a verdict; a new one makes a
 * new ISTag (RFC 3507: at most 32 characters, so a digest of it) */
void
istag_update(const char *db)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 tag[40];
	int		 i;

	if (db == NULL || db[0] == '\0')
		return;
	pthread_mutex_lock(&G.mu);
	if (strcmp(db, G.dbver) == 0) {
		pthread_mutex_unlock(&G.mu);
		return;
	}
	snprintf(G.dbver, sizeof(G.dbver), "%s", db);
	SHA256((const unsigned char *)db, strlen(db), md);
	tag[0] = '"';
	memcpy(tag + 1, "VG-", 3);
	for (i = 0; i < 12; i++)
		snprintf(tag + 4 + 2 * i, 3, "%02x", md[i]);
	snprintf(tag + 28, sizeof(tag) - 28, "\"");
	snprintf(G.istag, sizeof(G.istag), "%s", tag);
	pthread_mutex_unlock(&G.mu);
	log_info("database %s: ISTag %s", db, tag);
}

/* report - one line to the report file, or the daemon log */
void
report(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dmn_vreport("", fmt, ap);
	va_end(ap);
}

/* vigild_state - vigild reachable or not; each change is logged once */
void
vigild_state(int up, const char *why)
{
	if (up) {
		if (atomic_exchange(&G.vigild_down, 0))
			log_info("vigild at %s answers again", G.vigild_addr);
		return;
	}
	if (!atomic_exchange(&G.vigild_down, 1))
		log_warnx("vigild at %s cannot be reached (%s): objects get "
		    "ErrorAction until it answers", G.vigild_addr,
		    why ? why : "?");
}

/* reload - SIGHUP and RELOADCONF: a new generation, or keep the old */
static int
reload(char *err, size_t errlen)
{
	struct cfg		*c;
	struct icapd_conf	*cf, *old;

	if ((c = cfg_load_program(G.config_path, &dirs, err, errlen)) ==
	    NULL || (cf = conf_new(c, err, errlen)) == NULL) {
		log_warnx("configuration reload failed, keeping the running "
		    "one: %s", err);
		return -1;
	}
	(void)dmn_report_open(cf->cfg, "icapserver.report", err,
	    errlen);
	pthread_mutex_lock(&G.mu);
	old = G.conf;
	G.conf = cf;
	pthread_mutex_unlock(&G.mu);
	conf_put(old);
	log_info("configuration %s reloaded (ListenAddress, VigildAddress and "
	    "[icapserver.process] change on restart)", cfg_filename(cf->cfg));
	return 0;
}

/* write_stats - the [icapserver.statistics] files */
static int
write_stats(char *err, size_t errlen)
{
	struct icapd_conf	*cf = conf_get();
	const char		*av, *cnt;
	int			 rc;

	av = cfg_str(cf->cfg, "icapserver.statistics", NULL,
	    "AVStatisticsFile");
	cnt = cfg_str(cf->cfg, "icapserver.statistics", NULL,
	    "CounterStatisticsFile");
	if (av != NULL && av[0] != '\0')
		dmn_mkparent(av);
	if (cnt != NULL && cnt[0] != '\0')
		dmn_mkparent(cnt);
	rc = icap_stats_write(&G.cnt, G.started, av, cnt, err, errlen);
	conf_put(cf);
	return rc;
}

/* ctl_stats - STATS: the counters, one per line, then END */
static void
ctl_stats(int fd, char delim)
{
	char		 buf[4096], err[512];
	size_t		 n = 0;
	const struct icap_counters *k = &G.cnt;
	static const char *const st[8] = { "Clean", "Cured", "Error",
		"Corrupted", "Protected", "Warning", "Suspicious", "Infected" };
	int		 i;

#define ADD(...) do {							\
	if (n < sizeof(buf))						\
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__); \
} while (0)
	ADD("uptime: %lld\n", (long long)(time(NULL) - G.started));
	ADD("connections: %llu\nopen connections: %llu\n",
	    (unsigned long long)k->conn_accepted,
	    (unsigned long long)k->conn_open);
	ADD("OPTIONS: %llu\nREQMOD: %llu\nRESPMOD: %llu\n",
	    (unsigned long long)k->options, (unsigned long long)k->reqmod,
	    (unsigned long long)k->respmod);
	ADD("answered 204: %llu\nanswered 204 after preview: %llu\n"
	    "answered 200: %llu\nblocked: %llu\nexcluded: %llu\n",
	    (unsigned long long)k->answered_204,
	    (unsigned long long)k->preview_204,
	    (unsigned long long)k->answered_200,
	    (unsigned long long)k->blocked, (unsigned long long)k->excluded);
	for (i = 0; i < 8; i++)
		ADD("%s: %llu\n", st[i], (unsigned long long)k->status[i]);
	ADD("errors 4xx: %llu\nerrors 5xx: %llu\nvigild errors: %llu\n",
	    (unsigned long long)k->errors_4xx,
	    (unsigned long long)k->errors_5xx,
	    (unsigned long long)k->vigild_errors);
	ADD("bytes in: %llu\nbytes out: %llu\n",
	    (unsigned long long)k->bytes_in, (unsigned long long)k->bytes_out);
	if (write_stats(err, sizeof(err)) == -1)
		ADD("statistics files: %s\n", err);
	ADD("END");
#undef ADD
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n] = '\0';
	dmn_ctl_reply(fd, delim, buf);
}

/* ctl_one - one control connection: one command */
static void
ctl_one(int fd)
{
	char		 cmd[256], reply[512], err[1024], db[72];
	char		 delim;

	if (dmn_ctl_read(fd, cmd, sizeof(cmd), &delim) == -1)
		return;
	if (strcmp(cmd, "PING") == 0)
		dmn_ctl_reply(fd, delim, "PONG");
	else if (strcmp(cmd, "STATUS") == 0) {
		istag_get(db, sizeof(db));
		snprintf(reply, sizeof(reply), "RUNNING pid=%ld uptime=%lld "
		    "istag=%s connections=%u vigild=%s", (long)getpid(),
		    (long long)(time(NULL) - G.started), db,
		    loops_conn_count(), atomic_load(&G.vigild_down) ? "down" :
		    "up");
		dmn_ctl_reply(fd, delim, reply);
	} else if (strcmp(cmd, "STATS") == 0)
		ctl_stats(fd, delim);
	else if (strcmp(cmd, "REOPENLOG") == 0) {
		struct icapd_conf *cf = conf_get();

		if (dmn_report_open(cf->cfg, "icapserver.report",
		    err, sizeof(err)) == -1) {
			snprintf(reply, sizeof(reply), "ERROR: %.400s", err);
			dmn_ctl_reply(fd, delim, reply);
		} else
			dmn_ctl_reply(fd, delim, "OK");
		conf_put(cf);
	} else if (strcmp(cmd, "RELOADCONF") == 0) {
		if (reload(err, sizeof(err)) == -1) {
			snprintf(reply, sizeof(reply), "ERROR: %.400s", err);
			dmn_ctl_reply(fd, delim, reply);
		} else
			dmn_ctl_reply(fd, delim, "OK");
	} else if (strcmp(cmd, "RELOADDB") == 0) {
		/* the database is vigild's: ask it on its ControlSocket (the
		 * same file configures it), then take the new tag */
		struct icapd_conf *cf = conf_get();
		const char *vctl = cfg_str(cf->cfg, "vigild", NULL,
		    "ControlSocket");
		int rc;

		rc = vctl != NULL && vctl[0] != '\0' ? scan_command(vctl,
		    "RELOADDB", reply, sizeof(reply), 300 * 1000) : -1;
		if (vctl == NULL || vctl[0] == '\0')
			snprintf(reply, sizeof(reply), "[vigild] ControlSocket "
			    "is empty");
		conf_put(cf);
		if (rc == -1 || strncmp(reply, "RELOADED", 8) != 0) {
			snprintf(err, sizeof(err), "ERROR: vigild: %.400s",
			    reply);
			dmn_ctl_reply(fd, delim, err);
		} else {
			if (scan_probe(db, sizeof(db)) == 0)
				istag_update(db);
			dmn_ctl_reply(fd, delim, reply);
		}
	} else
		dmn_ctl_reply(fd, delim, "UNKNOWN COMMAND");
}

/* raise_nofile - as many descriptors as allowed: idle proxy
 * connections are cheap here, descriptors are the limit */
static unsigned
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 1024;
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	(void)getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur > 65535 ? 65535 : (unsigned)rl.rlim_cur;
}

/* housekeeping - once a second from the main thread */
static void
housekeeping(time_t now)
{
	static time_t	 last_probe;
	char		 db[72];

	(void)icap_notify_reap();
	if (now - last_probe >= 10) {
		last_probe = now;
		if (scan_probe(db, sizeof(db)) == 0)
			istag_update(db);
	}
}

int
main(int argc, char **argv)
{
	char			 err[4096];
	int			 fg = 0, test = 0, notify = -1, sfd, lfd = -1;
	int			 cfd = -1;
	struct cfg		*c;
	struct icapd_conf	*cf;
	sigset_t		 ss;
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd;
	pthread_t		 ct;
	static struct dmn_ctl	 ctl = { -1, ctl_one };
	const char		*addr, *pf;
	char			*pidfile = NULL;
	long			 other, ncpu;
	unsigned		 nofile;
	int			 stop = 0;

	dmn_args(argc, argv, &argdesc, &G.config_path, &fg, &test);
	log_init("vigil-icapd", LOG_TO_STDERR, LOG_LVL_INFO);
	if ((c = cfg_load_program(G.config_path, &dirs, err,
	    sizeof(err))) == NULL || (cf = conf_new(c, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	G.conf = cf;
	if (test) {
		printf("%s: OK; %zu group(s)\n", cfg_filename(cf->cfg),
		    icap_policy_ngroups(cf->pol));
		conf_put(cf);
		return 0;
	}
	c = cf->cfg;
	snprintf(G.istag, sizeof(G.istag), "\"VG-nodb\"");
	G.vigild_addr = strdup(cfg_str(c, "icapserver.network", NULL,
	    "VigildAddress"));
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	G.nloops = (unsigned)cfg_int(c, "icapserver.process", NULL,
	    "MaxChildren");
	if (ncpu > 0 && G.nloops > (unsigned)ncpu)
		G.nloops = (unsigned)ncpu;
	if (G.nloops == 0)
		G.nloops = 1;
	G.engines = (unsigned)cfg_int(c, "icapserver.process", NULL,
	    "MaxEnginesPerChild");
	G.idle = (unsigned)cfg_int(c, "icapserver.process", NULL,
	    "IdleChildren");
	G.maxreqs = (unsigned)cfg_int(c, "icapserver.process", NULL,
	    "MaxReqsPerChild");
	nofile = raise_nofile();
	G.max_conn = nofile > 128 ? nofile - 64 : 64;
	pf = cfg_str(c, "icapserver.process", NULL, "PidFile");
	if (pf != NULL && pf[0] != '\0' && (other = dmn_pid_running(pf)) >
	    0) {
		fprintf(stderr, "vigil-icapd: already running (pid %ld)\n",
		    other);
		return 1;
	}
	if (!fg) {
		notify = dmn_detach("vigil-icapd");
		log_init("vigil-icapd", 0, LOG_LVL_INFO);
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGPIPE);
	sigaddset(&ss, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	sigdelset(&ss, SIGPIPE);
	sigdelset(&ss, SIGCHLD);
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC)) == -1) {
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto fail;
	}
	G.started = time(NULL);
	if (dmn_report_open(c, "icapserver.report", err,
	    sizeof(err)) == -1)
		goto fail;
	addr = cfg_str(c, "icapserver.network", NULL, "ListenAddress");
	if ((lfd = dmn_listen(addr, err, sizeof(err))) == -1)
		goto fail;
	(void)fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	{
		const char *cp = cfg_str(c, "icapserver.process", NULL,
		    "ControlSocket");

		if (cp != NULL && cp[0] != '\0') {
			dmn_mkparent(cp);
			if ((cfd = dmn_unix_listen(cp, err, sizeof(err))) ==
			    -1)
				goto fail;
			(void)chmod(cp, 0600);
			ctl_path = strdup(cp);
		}
	}
	if (pf != NULL && pf[0] != '\0') {
		if (dmn_write_pidfile(pf, err, sizeof(err)) == -1) {
			if (!fg)
				goto fail;
			log_warnx("%s", err);
		} else
			pidfile = strdup(pf);
	}
	if (dmn_drop_privileges("vigil-icapd", cfg_str(c, "icapserver.process",
	    NULL, "User"), cfg_str(c, "icapserver.process", NULL, "Group"),
	    "icapserver.process", NULL, err, sizeof(err)) == -1)
		goto fail;
	if (scan_init(G.vigild_addr, G.nloops * G.engines, G.idle, G.maxreqs,
	    G.nloops * G.engines * 64) == -1) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (scan_probe(G.dbver, sizeof(G.dbver)) == 0) {
		char db[72];

		snprintf(db, sizeof(db), "%s", G.dbver);
		G.dbver[0] = '\0';
		istag_update(db);
	}
	if (loops_start(lfd, G.nloops, err, sizeof(err)) == -1)
		goto fail;
	ctl.fd = cfd;
	if (cfd != -1 && pthread_create(&ct, NULL, dmn_ctl_thread, &ctl) == 0)
		pthread_detach(ct);
	log_info("vigil-icapd %s ready on %s (%s, %s): %u event loop(s), up "
	    "to %u scans at once through vigild at %s", VIGIL_VERSION, addr,
	    cf->respmod_path, cf->reqmod_path, G.nloops, G.nloops * G.engines,
	    G.vigild_addr);
	dmn_tell(&notify, "+");

	pfd.fd = sfd;
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, 1000) == 1 &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				(void)reload(err, sizeof(err));
			else
				stop = 1;
		}
		housekeeping(time(NULL));
	}
	log_info("stopping: finishing the requests under way");
	atomic_store(&G.stopping, 1);
	loops_stop();
	scan_fini();
	if (cfd != -1) {
		shutdown(cfd, SHUT_RDWR);
		close(cfd);
	}
	if (ctl_path != NULL)
		(void)unlink(ctl_path);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	log_info("stopped");
	free(pidfile);
	free(ctl_path);
	free(G.vigild_addr);
	conf_put(G.conf);
	return 0;
fail:
	log_warnx("%s", err);
	dmn_tell(&notify, err);
	if (ctl_path != NULL)
		(void)unlink(ctl_path);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	return 1;
}
