/*
 * vigild.c - the scanning daemon: start-up, sockets, privileges, signals
 *
 * vigild loads the database once and scans for every client: vigil's
 * front ends over its native protocol, and any client of clamd's
 * protocol.  This file reads the configuration ([vigild], [path],
 * [vigild.report]), loads the database, binds the sockets (ListenSocket,
 * optional ListenAddress, ControlSocket, optional MetricsAddress) while
 * still root, detaches (unless -F) and writes the pid file, drops to
 * [vigild] User, and then runs the accept loop, which also takes the
 * signals through a signalfd: SIGHUP reloads configuration and database,
 * SIGTERM and SIGINT stop (in-flight scans finish, bounded).
 *
 * DESIGN
 * The daemon forks before any thread starts, and the parent exits only
 * once the child reports its sockets ready (or the reason it could not
 * start), so "vigild && clamdscan ..." works and a start-up failure is an
 * exit status, not a line in a log.  Connections past MaxConnections get
 * one busy line and are closed at once, so a flood costs a file
 * descriptor for a moment, never a thread.  The control socket is not
 * subject to that limit: an administrator can always reach the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "vigild.h"

struct vigild	 vd = { .mu = PTHREAD_MUTEX_INITIALIZER };

static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
	VIGIL_LOCALSTATEDIR };

enum { L_UNIX, L_TCP, L_CTL, L_NUM };
static int	 lfd[L_NUM] = { -1, -1, -1 };
static char	*unlink_paths[2];
static char	*pidfile;

/* now_usec - monotonic microseconds */
uint64_t
now_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* vigild_limits - the engine limits in force */
void
vigild_limits(struct vigil_limits *out)
{
	pthread_mutex_lock(&vd.mu);
	*out = vd.lim;
	pthread_mutex_unlock(&vd.mu);
}

static const struct dmn_argdesc argdesc = { "vigild", VIGIL_SYSCONFDIR,
	"check the configuration and the database" };

/* vigild_version_format - VersionReply, copied under the lock */
void
vigild_version_format(char *out, size_t len)
{
	pthread_mutex_lock(&vd.mu);
	snprintf(out, len, "%s", vd.version_fmt);
	pthread_mutex_unlock(&vd.mu);
}

/* apply_config - the settings a reload may change, from c */
static void
apply_config(const struct cfg *c)
{
	struct vigil_limits	 l;
	long			 n;

	vigil_limits_default(&l);
	l.max_file_size = cfg_size(c, "vigild", NULL, "MaxFileSize");
	l.max_scan_size = cfg_size(c, "vigild", NULL, "MaxScanSize");
	l.max_recursion = (unsigned)cfg_int(c, "vigild", NULL,
	    "MaxRecursion");
	l.max_files = (unsigned)cfg_int(c, "vigild", NULL, "MaxFiles");
	l.max_ratio = (unsigned)cfg_int(c, "vigild", NULL, "MaxRatio");
	l.max_scan_ms = (unsigned)cfg_int(c, "vigild", NULL,
	    "MaxScanTime") * 1000;
	pthread_mutex_lock(&vd.mu);
	vd.lim = l;
	vd.stream_max = cfg_size(c, "vigild", NULL, "StreamMaxLength");
	vd.idle_timeout = (unsigned)cfg_int(c, "vigild", NULL, "IdleTimeout");
	vd.max_conn = (unsigned)cfg_int(c, "vigild", NULL, "MaxConnections");
	snprintf(vd.version_fmt, sizeof(vd.version_fmt), "%s",
	    cfg_str(c, "vigild", NULL, "VersionReply"));
	pthread_mutex_unlock(&vd.mu);
	if (vd.threads == 0) {
		vd.threads = (unsigned)cfg_int(c, "vigild", NULL, "MaxThreads");
		if (vd.threads == 0) {
			n = sysconf(_SC_NPROCESSORS_ONLN);
			vd.threads = n > 0 ? (unsigned)n : 1;
		}
		vd.maxqueue = (unsigned)cfg_int(c, "vigild", NULL, "MaxQueue");
		vd.cache_entries = (size_t)cfg_int(c, "vigild", NULL,
		    "CacheEntries");
	}
}

/* open_report - the request log from [vigild.report] */
static int
open_report(const struct cfg *c)
{
	const char	*p = cfg_str(c, "vigild.report", NULL, "ReportFileName");

	log_set_level((enum log_level)(cfg_int(c, "vigild.report", NULL,
	    "ReportLevel") > 3 ? LOG_LVL_DEBUG : LOG_LVL_INFO));
	if (reqlog_open(p, cfg_bool(c, "vigild.report", NULL, "Append"),
	    (unsigned)cfg_int(c, "vigild.report", NULL,
	    "ReportFilePermission"),
	    cfg_bool(c, "vigild.report", NULL, "ShowOk"),
	    strcmp(cfg_str(c, "vigild.report", NULL, "ReportFormat"),
	    "json") == 0) == -1) {
		log_warn("%s", p);
		return -1;
	}
	return 0;
}

/* cache_dir - [path] CachePath, or NULL when off */
static const char *
cache_dir(const struct cfg *c)
{
	const char	*p = cfg_str(c, "path", NULL, "CachePath");

	return p != NULL && p[0] != '\0' ? p : NULL;
}

/* vigild_reload_config - SIGHUP and RELOADCONF */
int
vigild_reload_config(char *err, size_t errlen)
{
	struct cfg	*c, *old;

	if ((c = cfg_load_program(vd.config_path, &dirs, err, errlen)) ==
	    NULL) {
		log_warnx("configuration reload failed, keeping the running "
		    "one: %s", err);
		return -1;
	}
	apply_config(c);
	(void)open_report(c);
	db_set_paths(cfg_str(c, "path", NULL, "BasesPath"), cache_dir(c));
	old = vd.cfg;
	vd.cfg = c;
	cfg_free(old);
	log_info("configuration %s reloaded (sockets, MaxThreads and "
	    "MaxQueue change on restart)", cfg_filename(c));
	return db_reload(NULL, NULL, err, errlen);
}

/* reload_conf_thread - SIGHUP's work, off the accept loop */
static void *
reload_conf_thread(void *arg)
{
	char	 err[2048];

	(void)arg;
	(void)vigild_reload_config(err, sizeof(err));
	return NULL;
}

/* vigild_request_stop - SHUTDOWN: stop as on SIGTERM */
void
vigild_request_stop(void)
{
	kill(getpid(), SIGTERM);
}

/* bind_all - every socket, as the invoking user (root) */
static int
bind_all(const struct cfg *c, char *err, size_t errlen)
{
	const char	*sock = cfg_str(c, "vigild", NULL, "ListenSocket");
	const char	*tcp = cfg_str(c, "vigild", NULL, "ListenAddress");
	const char	*ctl = cfg_str(c, "vigild", NULL, "ControlSocket");
	const char	*met = cfg_str(c, "vigild", NULL, "MetricsAddress");
	const char	*grp = cfg_str(c, "vigild", NULL, "SocketGroup");
	struct group	*g;

	if (sock == NULL || sock[0] == '\0') {
		snprintf(err, errlen, "[vigild] ListenSocket is empty");
		return -1;
	}
	dmn_mkparent(sock);
	if ((lfd[L_UNIX] = dmn_unix_listen(sock, err, errlen)) == -1)
		return -1;
	unlink_paths[0] = strdup(sock);
	(void)chmod(sock, (mode_t)cfg_int(c, "vigild", NULL, "SocketMode"));
	if (grp && grp[0] && (g = getgrnam(grp)) != NULL)
		(void)chown(sock, (uid_t)-1, g->gr_gid);
	if (ctl != NULL && ctl[0] != '\0') {
		dmn_mkparent(ctl);
		if ((lfd[L_CTL] = dmn_unix_listen(ctl, err, errlen)) == -1)
			return -1;
		unlink_paths[1] = strdup(ctl);
		(void)chmod(ctl, 0600);
	}
	if (tcp != NULL && tcp[0] != '\0') {
		if ((lfd[L_TCP] = dmn_listen(tcp, err, errlen)) == -1)
			return -1;
		if (strncmp(tcp, "127.", 4) != 0 && strncmp(tcp, "[::1]", 5)
		    != 0 && strncmp(tcp, "localhost:", 10) != 0)
			log_warnx("ListenAddress %s is not a loopback address: "
			    "anyone who reaches it can have files scanned",
			    tcp);
	}
	if (met != NULL && met[0] != '\0' &&
	    metrics_start(met, err, errlen) == -1)
		return -1;
	return 0;
}

/* drop_privileges - become [vigild] User when started as root ([vigild]
 * Group is not used: User's own group) */
static int
drop_privileges(const struct cfg *c, char *err, size_t errlen)
{
	const char	*user = cfg_str(c, "vigild", NULL, "User");
	const char	*cache = cache_dir(c);

	/* the compiled cache must stay writable for reloads */
	if (cache != NULL && geteuid() == 0 && user != NULL && user[0] != '\0')
		(void)mkdir(cache, 0755);
	return dmn_drop_privileges("vigild", user, NULL, "vigild", cache, err,
	    errlen);
}

/* peer_name - who is on the other side of fd, for the log */
static void
peer_name(int fd, int kind, char *out, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct ucred		 cr;
	socklen_t		 cl = sizeof(cr);
	char			 h[INET6_ADDRSTRLEN] = "?";
	in_port_t		 port = 0;

	if (kind != L_TCP) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
			snprintf(out, len, "%s:pid=%ld,uid=%ld", kind == L_CTL ?
			    "control" : "local", (long)cr.pid, (long)cr.uid);
		else
			snprintf(out, len, "local");
		return;
	}
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
			port = ntohs(s4->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
			port = ntohs(s6->sin6_port);
		}
	}
	snprintf(out, len, "%s:%u", h, (unsigned)port);
}

/* accept_one - take a connection from listener k */
static void
accept_one(int k)
{
	struct conn_opts o = { .control = k == L_CTL, .unix_peer = k != L_TCP };
	char		 peer[96], msg[128];
	int		 fd, one = 1, n;

	if ((fd = accept4(lfd[k], NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	if (k == L_TCP)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	if (k != L_CTL && conn_count() >= vd.max_conn) {
		n = snprintf(msg, sizeof(msg), "ERROR: vigild busy "
		    "(MaxConnections %u)\n", vd.max_conn);
		(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		atomic_fetch_add(&vstats.busy, 1);
		close(fd);
		return;
	}
	peer_name(fd, k, peer, sizeof(peer));
	if (conn_start(fd, peer, &o) == -1) {
		n = snprintf(msg, sizeof(msg), "ERROR: vigild busy "
		    "(no thread)\n");
		(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
		atomic_fetch_add(&vstats.busy, 1);
		close(fd);
	}
}

/* serve - the accept loop; returns on SIGTERM/SIGINT */
static void
serve(int sfd)
{
	struct pollfd		 p[L_NUM + 1];
	struct signalfd_siginfo	 si;
	pthread_t		 t;
	int			 i, n;

	for (;;) {
		n = 0;
		for (i = 0; i < L_NUM; i++) {
			p[i].fd = lfd[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		p[L_NUM].fd = sfd;
		p[L_NUM].events = POLLIN;
		p[L_NUM].revents = 0;
		if ((n = poll(p, L_NUM + 1, -1)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			continue;
		}
		if (p[L_NUM].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				log_info("SIGHUP: reloading the configuration "
				    "and the database");
				if (pthread_create(&t, NULL,
				    reload_conf_thread, NULL) == 0)
					pthread_detach(t);
				continue;
			}
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			return;
		}
		for (i = 0; i < L_NUM; i++)
			if (lfd[i] != -1 && (p[i].revents & POLLIN))
				accept_one(i);
	}
}

int
main(int argc, char **argv)
{
	char		 err[4096];
	int		 fg = 0, test = 0, notify = -1, sfd, i, devnull;
	struct cfg	*c;
	sigset_t	 ss;
	struct dbref	*r;
	long		 other;

	dmn_args(argc, argv, &argdesc, &vd.config_path, &fg, &test);
	log_init("vigild", LOG_TO_STDERR, LOG_LVL_INFO);
	if ((c = cfg_load_program(vd.config_path, &dirs, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vd.cfg = c;
	apply_config(c);
	if (test) {
		if (db_init(cfg_str(c, "path", NULL, "BasesPath"),
		    cache_dir(c), err, sizeof(err)) == -1) {
			fprintf(stderr, "vigild: %s\n", err);
			return 1;
		}
		r = db_acquire();
		printf("%s: OK; database %s: %lu signatures\n", cfg_filename(c),
		    cfg_str(c, "path", NULL, "BasesPath"), r->sigs);
		db_release(r);
		db_fini();
		cfg_free(c);
		return 0;
	}
	pidfile = NULL;
	if ((other = dmn_pid_running(cfg_str(c, "vigild", NULL, "PidFile"))) >
	    0) {
		fprintf(stderr, "vigild: already running (pid %ld)\n", other);
		return 1;
	}
	if (!fg) {
		notify = dmn_detach("vigild");
		log_init("vigild", 0, LOG_LVL_INFO);
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, STDERR_FILENO);
			if (devnull > STDERR_FILENO)
				close(devnull);
		}
	}
	/* every thread inherits the mask; signals come through sfd */
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	if ((sfd = signalfd(-1, &ss, SFD_CLOEXEC)) == -1) {
		snprintf(err, sizeof(err), "signalfd: %s", strerror(errno));
		goto fail;
	}
	vd.started = time(NULL);
	(void)open_report(c);
	if (db_init(cfg_str(c, "path", NULL, "BasesPath"), cache_dir(c), err,
	    sizeof(err)) == -1)
		goto fail;
	if (bind_all(c, err, sizeof(err)) == -1)
		goto fail;
	{
		const char *pf = cfg_str(c, "vigild", NULL, "PidFile");

		/* in the foreground (systemd) a pid file is a convenience */
		if (pf != NULL && pf[0] != '\0' &&
		    dmn_write_pidfile(pf, err, sizeof(err)) == -1) {
			if (!fg)
				goto fail;
			log_warnx("%s", err);
		} else if (pf != NULL && pf[0] != '\0')
			pidfile = strdup(pf);
	}
	if (drop_privileges(c, err, sizeof(err)) == -1)
		goto fail;
	if (pool_init(vd.threads, vd.maxqueue, vd.cache_entries) == -1) {
		snprintf(err, sizeof(err), "cannot start %u scanning threads",
		    vd.threads);
		goto fail;
	}
	r = db_acquire();
	log_info("vigild %s ready on %s: %lu signatures, %u threads, queue %u",
	    VIGIL_VERSION, cfg_str(c, "vigild", NULL, "ListenSocket"),
	    r->sigs, vd.threads, vd.maxqueue);
	db_release(r);
	dmn_tell(&notify, "+");

	serve(sfd);

	atomic_store(&vd.stopping, 1);
	for (i = 0; i < L_NUM; i++)
		if (lfd[i] != -1)
			close(lfd[i]);
	for (i = 0; i < 2; i++)
		if (unlink_paths[i] != NULL)
			(void)unlink(unlink_paths[i]);
	conn_wait_all(20);
	pool_fini();
	conn_wait_all(5);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	if (conn_count() == 0)
		db_fini();
	reqlog_close();
	log_info("stopped");
	cfg_free(vd.cfg);
	for (i = 0; i < 2; i++)
		free(unlink_paths[i]);
	free(pidfile);
	return 0;
fail:
	log_warnx("%s", err);
	dmn_tell(&notify, err);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	for (i = 0; i < 2; i++)
		if (unlink_paths[i] != NULL)
			(void)unlink(unlink_paths[i]);
	return 1;
}
