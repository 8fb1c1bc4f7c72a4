/*
 * smtpd.c - vigil-smtpd, the mail content filter: start-up, modes,
 * configuration, control socket, signals
 *
 *	vigil-smtpd [-F] [-t] [-V] [-c FILE]	daemon on ListenAddress
 *	vigil-smtpd [-c FILE] -s		one session on stdin/stdout
 *	vigil-smtpd [-c FILE] -q		qmail-queue replacement (also
 *						when called "qmail-queue")
 *
 * vigil-smtpd takes mail from an MTA over SMTP or LMTP ([smtpscan.general]
 * Protocol), scans it through vigild, applies the group's rules and
 * hands the result to ForwardMailer (smtpd_proc.c).  The upstream is
 * answered only after the downstream accepted.
 *
 * DESIGN: a session is a thread with blocking I/O (smtpd_sess.c); a
 * mail gateway has tens to hundreds of sessions, not tens of thousands,
 * and a thread keeps the session code a straight line.  The main thread
 * accepts; MaxConnections bounds the sessions (421 past it).  The
 * running configuration is a reference-counted generation: SIGHUP or
 * RELOADCONF swaps in a new one for new sessions, sessions under way
 * keep theirs.  The control socket speaks vigild's one-line commands
 * (PING, STATUS, STATS, REOPENLOG, RELOADCONF) so vigilctl drives all
 * daemons alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "smtpd.h"

struct smtpd	 G = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
	VIGIL_LOCALSTATEDIR };

static atomic_uint	 nsess;
static atomic_uint	 generation;

#define STOP_WAIT_MS	(60 * 1000)	/* for sessions finishing a message */

#define GS	"smtpscan.general"
#define GL	"smtpscan.limits"
#define GR	"smtpscan.report"

/* conf_free - one generation */
static void
conf_free(struct smtpd_conf *cf)
{
	if (cf == NULL)
		return;
	sp_free(&cf->pol);
	cfg_free(cf->cfg);
	free(cf);
}

/* conf_new - a generation from a loaded configuration (takes c) */
static struct smtpd_conf *
conf_new(struct cfg *c, char *err, size_t errlen)
{
	struct smtpd_conf	*cf;
	const char		*h;

	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		snprintf(err, errlen, "out of memory");
		cfg_free(c);
		return NULL;
	}
	cf->cfg = c;
	if (sp_load(c, &cf->pol, err, errlen) == -1) {
		conf_free(cf);
		return NULL;
	}
	if (fwd_parse(cfg_str(c, GS, NULL, "ForwardMailer"), &cf->fwd, err,
	    errlen) == -1) {
		char e[512];

		snprintf(e, sizeof(e), "%s", err);
		snprintf(err, errlen, "%s:%d: [%s] ForwardMailer: %s",
		    cfg_filename(c), cfg_lineno(c, GS, NULL, "ForwardMailer"),
		    GS, e);
		conf_free(cf);
		return NULL;
	}
	cf->lmtp = strcmp(cfg_str(c, GS, NULL, "Protocol"), "lmtp") == 0;
	h = cfg_str(c, GS, NULL, "Hostname");
	if (h == NULL || h[0] == '\0') {
		if (gethostname(cf->hostname, sizeof(cf->hostname) - 1) == -1)
			snprintf(cf->hostname, sizeof(cf->hostname),
			    "localhost");
	} else
		snprintf(cf->hostname, sizeof(cf->hostname), "%s", h);
	cf->notify_from = cfg_str(c, GS, NULL, "NotifyFromAddress");
	cf->tmpl_dir = cfg_str(c, GS, NULL, "NotifyTemplateDir");
	cf->spool_dir = cfg_str(c, GS, NULL, "SpoolDirectory");
	cf->vigild = cfg_str(c, GS, NULL, "VigildAddress");
	cf->xforward = cfg_bool(c, GS, NULL, "XForward");
	cf->show_ok = cfg_bool(c, GR, NULL, "ShowOk");
	cf->max_size = cfg_size(c, GL, NULL, "MaxMessageSize");
	cf->max_rcpt = (unsigned)cfg_int(c, GL, NULL, "MaxRecipients");
	cf->max_conn = (unsigned)cfg_int(c, GL, NULL, "MaxConnections");
	cf->timeout = (unsigned)cfg_int(c, GL, NULL, "Timeout");
	cf->check_time = (unsigned)cfg_int(c, GL, NULL, "MaxCheckTime");
	vigil_limits_default(&cf->lim);
	cf->lim.max_file_size = cfg_size(c, GL, NULL, "MaxFileSize");
	cf->lim.max_scan_size = cfg_size(c, GL, NULL, "MaxScanSize");
	cf->lim.max_recursion = (unsigned)cfg_int(c, GL, NULL, "MaxRecursion");
	cf->lim.max_files = (unsigned)cfg_int(c, GL, NULL, "MaxFiles");
	cf->lim.max_ratio = (unsigned)cfg_int(c, GL, NULL, "MaxRatio");
	cf->lim.max_scan_ms = cf->check_time * 1000;
	cf->lim.set = vigil_dbset_parse(cfg_str(c, GS, NULL, "DatabaseSet"));
	cf->gen = atomic_fetch_add(&generation, 1) + 1;
	cf->refs = 1;
	return cf;
}

/* conf_get - the running generation, referenced */
struct smtpd_conf *
conf_get(void)
{
	struct smtpd_conf	*cf;

	pthread_mutex_lock(&G.mu);
	cf = G.conf;
	atomic_fetch_add(&cf->refs, 1);
	pthread_mutex_unlock(&G.mu);
	return cf;
}

/* conf_put - drop a reference; the last one frees */
void
conf_put(struct smtpd_conf *cf)
{
	if (cf != NULL && atomic_fetch_sub(&cf->refs, 1) == 1)
		conf_free(cf);
}

/* report - one line to the report file, else to the log */
void
report(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dmn_vreport("vigil-smtpd: ", fmt, ap);
	va_end(ap);
}

/* vigild_state - reachable or not; each change is logged once */
void
vigild_state(int up, const char *why)
{
	if (up) {
		if (atomic_exchange(&G.vigild_down, 0))
			log_info("vigild answers again");
		return;
	}
	if (!atomic_exchange(&G.vigild_down, 1))
		log_warnx("vigild cannot be reached (%s): mail is answered "
		    "451 and stays queued at the MTA until it answers",
		    why ? why : "?");
}

/* reload - SIGHUP and RELOADCONF */
static int
reload(char *err, size_t errlen)
{
	struct cfg		*c;
	struct smtpd_conf	*cf, *old;

	if ((c = cfg_load_program(G.config_path, &dirs, err, errlen)) ==
	    NULL || (cf = conf_new(c, err, errlen)) == NULL) {
		log_warnx("configuration reload failed, keeping the running "
		    "one: %s", err);
		return -1;
	}
	(void)dmn_report_open(cf->cfg, GR, err, errlen);
	pthread_mutex_lock(&G.mu);
	old = G.conf;
	G.conf = cf;
	pthread_mutex_unlock(&G.mu);
	conf_put(old);
	log_info("configuration %s reloaded (ListenAddress changes on "
	    "restart)", cfg_filename(cf->cfg));
	return 0;
}

/* ctl_stats - STATS: the counters, one per line, then END */
static void
ctl_stats(int fd, char delim)
{
	char				 buf[4096];
	size_t				 n = 0;
	const struct smtpd_counters	*k = &G.cnt;
	int				 i;

#define ADD(...) do {							\
	if (n < sizeof(buf))						\
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__); \
} while (0)
#define U(x)	((unsigned long long)(x))
	ADD("uptime: %lld\n", (long long)(time(NULL) - G.started));
	ADD("sessions: %llu\nopen sessions: %llu\n", U(k->sessions),
	    U(k->sessions_open));
	ADD("messages: %llu\nrecipients: %llu\n", U(k->messages),
	    U(k->recipients));
	ADD("delivered: %llu\nremoved: %llu\ntemporary failures: %llu\n"
	    "permanent failures: %llu\n", U(k->delivered), U(k->removed),
	    U(k->tempfail), U(k->permfail));
	ADD("notices: %llu\nquarantined: %llu\nvigild errors: %llu\n",
	    U(k->notices), U(k->quarantined), U(k->vigild_errors));
	ADD("bytes in: %llu\n", U(k->bytes_in));
	ADD("CLEAN: %llu\n", U(k->status[SP_NSTATUS]));
	for (i = 0; i < SP_NSTATUS; i++)
		ADD("%s: %llu\n", sp_status_name(i), U(k->status[i]));
	ADD("END");
#undef ADD
#undef U
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n] = '\0';
	dmn_ctl_reply(fd, delim, buf);
}

/* ctl_one - one control connection, one command */
static void
ctl_one(int fd)
{
	char		 cmd[256], reply[512], err[1024];
	char		 delim;

	if (dmn_ctl_read(fd, cmd, sizeof(cmd), &delim) == -1)
		return;
	if (strcmp(cmd, "PING") == 0)
		dmn_ctl_reply(fd, delim, "PONG");
	else if (strcmp(cmd, "STATUS") == 0) {
		snprintf(reply, sizeof(reply), "RUNNING pid=%ld uptime=%lld "
		    "sessions=%u vigild=%s", (long)getpid(),
		    (long long)(time(NULL) - G.started), atomic_load(&nsess),
		    atomic_load(&G.vigild_down) ? "down" : "up");
		dmn_ctl_reply(fd, delim, reply);
	} else if (strcmp(cmd, "STATS") == 0)
		ctl_stats(fd, delim);
	else if (strcmp(cmd, "REOPENLOG") == 0) {
		struct smtpd_conf *cf = conf_get();

		if (dmn_report_open(cf->cfg, GR, err, sizeof(err)) == -1) {
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
	} else if (strcmp(cmd, "RELOADDB") == 0)
		dmn_ctl_reply(fd, delim, "ERROR: the database is vigild's: "
		    "vigilctl reload-db vigild");
	else
		dmn_ctl_reply(fd, delim, "UNKNOWN COMMAND");
}

/* A session thread's start. */
struct conn {
	int	fd;
	char	peer[64];
};

/* sess_thread - one daemon session, then the connection is closed */
static void *
sess_thread(void *arg)
{
	struct conn	*c = arg;

	sess_run(c->fd, c->fd, c->peer);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&nsess, 1);
	return NULL;
}

/* accept_one - a new session on its own thread, or 421 when full */
static void
accept_one(int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct conn		*c;
	struct smtpd_conf	*cf;
	pthread_attr_t		 at;
	pthread_t		 th;
	unsigned		 max;
	int			 fd, one = 1;
	static const char	 full[] = "421 4.3.2 too many sessions, try "
				    "again later\r\n";

	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC)) ==
	    -1)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	cf = conf_get();
	max = cf->max_conn;
	conf_put(cf);
	if (atomic_load(&nsess) >= max || (c = calloc(1, sizeof(*c))) ==
	    NULL) {
		(void)!send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL);
		close(fd);
		return;
	}
	c->fd = fd;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, c->peer, sizeof(c->peer));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, c->peer, sizeof(c->peer));
	} else
		snprintf(c->peer, sizeof(c->peer), "local");
	atomic_fetch_add(&nsess, 1);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 512 * 1024);
	if (pthread_create(&th, &at, sess_thread, c) != 0) {
		atomic_fetch_sub(&nsess, 1);
		(void)!send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL);
		close(fd);
		free(c);
	}
	pthread_attr_destroy(&at);
}

/* usage - the command line */
static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
"usage: vigil-smtpd [-F] [-t] [-V] [-c FILE]   daemon on ListenAddress\n"
"       vigil-smtpd [-c FILE] -s               one session on stdin/stdout\n"
"       vigil-smtpd [-c FILE] -q               qmail-queue replacement\n"
"  -c FILE  configuration (default %s/vigil.conf)\n"
"  -F       stay in the foreground, log to stderr too\n"
"  -t       check the configuration and exit\n"
"  -V       print the version\n", VIGIL_SYSCONFDIR);
	exit(code);
}

int
main(int argc, char **argv)
{
	char			 err[4096];
	int			 fg = 0, test = 0, stdio = 0, qmail = 0, ch;
	int			 notify = -1, sfd, lfd = -1, cfd = -1;
	int			 stop = 0, spool_made = 0;
	struct cfg		*c;
	struct smtpd_conf	*cf;
	sigset_t		 ss;
	struct signalfd_siginfo	 si;
	struct pollfd		 pfd[2];
	pthread_t		 ct;
	static struct dmn_ctl	 ctl = { -1, ctl_one };
	const char		*addr, *pf, *cp;
	char			*pidfile = NULL, *ctl_path = NULL;
	char			 prog[256];
	long			 other;
	int			 i;
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "stdio", no_argument, NULL, 's' },
		{ "qmail", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	snprintf(prog, sizeof(prog), "%s", argv[0]);
	if (strcmp(basename(prog), "qmail-queue") == 0)
		qmail = 1;
	G.config_path = VIGIL_SYSCONFDIR "/vigil.conf";
	if (getenv("VIGIL_CONF") != NULL && getenv("VIGIL_CONF")[0] != '\0')
		G.config_path = getenv("VIGIL_CONF");
	while (!qmail && (ch = getopt_long(argc, argv, "c:FtVsqh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			G.config_path = optarg;
			break;
		case 'F':
			fg = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("vigil-smtpd %s\n", VIGIL_VERSION);
			return 0;
		case 's':
			stdio = 1;
			break;
		case 'q':
			qmail = 1;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (!qmail && optind != argc)
		usage(2);
	log_init("vigil-smtpd", stdio || qmail ? 0 : LOG_TO_STDERR,
	    LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
	if ((c = cfg_load_program(G.config_path, &dirs, err,
	    sizeof(err))) == NULL || (cf = conf_new(c, err, sizeof(err))) ==
	    NULL) {
		if (qmail) {
			log_warnx("%s", err);
			return 55;	/* qmail: cannot read configuration */
		}
		fprintf(stderr, "%s\n", err);
		if (stdio)
			printf("421 4.3.5 vigil-smtpd: configuration error\r\n");
		return stdio ? 75 : 1;
	}
	if (test) {
		printf("%s: configuration OK\n", cfg_filename(c));
		conf_free(cf);
		return 0;
	}
	G.conf = cf;
	G.started = time(NULL);
	if (dmn_report_open(c, GR, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	if (qmail) {
		ch = qmail_run();
		pool_drain();
		conf_put(G.conf);
		return ch;
	}
	if (stdio) {
		sess_run(0, 1, "stdio");
		pool_drain();
		conf_put(G.conf);
		return 0;
	}

	pf = cfg_str(c, GS, NULL, "PidFile");
	if (pf != NULL && pf[0] != '\0' && (other = dmn_pid_running(pf)) >
	    0) {
		fprintf(stderr, "vigil-smtpd: already running (pid %ld)\n",
		    other);
		return 1;
	}
	if (!fg) {
		notify = dmn_detach("vigil-smtpd");
		log_init("vigil-smtpd", 0, LOG_LVL_INFO);
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC)) == -1) {
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto fail;
	}
	addr = cfg_str(c, GS, NULL, "ListenAddress");
	if ((lfd = dmn_listen(addr, err, sizeof(err))) == -1)
		goto fail;
	cp = cfg_str(c, GS, NULL, "ControlSocket");
	if (cp != NULL && cp[0] != '\0') {
		dmn_mkparent(cp);
		if ((cfd = dmn_unix_listen(cp, err, sizeof(err))) == -1)
			goto fail;
		(void)chmod(cp, 0600);
		ctl_path = strdup(cp);
	}
	if (pf != NULL && pf[0] != '\0') {
		if (dmn_write_pidfile(pf, err, sizeof(err)) == -1) {
			if (!fg)
				goto fail;
			log_warnx("%s", err);
		} else
			pidfile = strdup(pf);
	}
	if (cf->spool_dir[0] != '\0' && mkdir(cf->spool_dir, 0700) == 0)
		spool_made = 1;
	if (dmn_drop_privileges("vigil-smtpd", cfg_str(c, GS, NULL, "User"),
	    cfg_str(c, GS, NULL, "Group"), GS, spool_made ? cf->spool_dir :
	    NULL, err, sizeof(err)) == -1)
		goto fail;
	if (cf->spool_dir[0] != '\0' && access(cf->spool_dir, W_OK | X_OK) ==
	    -1)
		log_warn("SpoolDirectory %s: every message will be answered "
		    "451", cf->spool_dir);
	ctl.fd = cfd;
	if (cfd != -1 && pthread_create(&ct, NULL, dmn_ctl_thread, &ctl) == 0)
		pthread_detach(ct);
	log_info("vigil-smtpd %s ready on %s (%s), forwarding to %s, "
	    "scanning through vigild at %s", VIGIL_VERSION, addr,
	    cf->lmtp ? "LMTP" : "SMTP", cfg_str(c, GS, NULL, "ForwardMailer"),
	    cf->vigild);
	dmn_tell(&notify, "+");

	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = lfd;
	pfd[1].events = POLLIN;
	while (!stop) {
		if (poll(pfd, 2, 1000) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				(void)reload(err, sizeof(err));
			else
				stop = 1;
		}
		if (!stop && (pfd[1].revents & POLLIN))
			accept_one(lfd);
	}
	atomic_store(&G.stopping, 1);
	close(lfd);
	/* a session between the end of DATA and its reply may have
	   delivered already: let it answer, or its MTA sends it again */
	for (i = 0; i < STOP_WAIT_MS / 50 && atomic_load(&G.busy) > 0; i++)
		usleep(50 * 1000);
	log_info("stopping: %u session(s) cut (%d still processing a "
	    "message); their MTAs keep the mail and retry",
	    atomic_load(&nsess), atomic_load(&G.busy));
	if (cfd != -1) {
		shutdown(cfd, SHUT_RDWR);
		close(cfd);
	}
	if (ctl_path != NULL)
		(void)unlink(ctl_path);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	pool_drain();
	log_info("stopped");
	free(pidfile);
	free(ctl_path);
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
