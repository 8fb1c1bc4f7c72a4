/*
 * daemon.c - what every vigil daemon does to start: listening sockets,
 * the pid file, detaching with a word back to the invoking shell,
 * dropping root; and what each one then runs: the report file and the
 * control socket
 *
 * DESIGN
 * A daemon forks before any thread starts and the parent exits only once
 * the child reports ready ("+") or the reason it could not start, so
 * "vigild && clamdscan ..." works and a start-up failure is an exit
 * status.  A unix socket path that answers a connect belongs to a running
 * daemon and is never taken over; a stale one is replaced.
 * The report file is written by two paths: dmn_report() under report_mu,
 * and log.c, which reads its descriptor without any lock.  So a reopen
 * (REOPENLOG, reload) dup3()s the new file onto the old descriptor
 * number: a thread logging at that moment writes to the old file or the
 * new one, never to a closed descriptor or one reused for a client.
 * The control socket serves one client at a time with a 5 s read
 * timeout: it is for an administrator, not for traffic.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vigil/vigil.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"

static _Atomic int	 report_fd = -1;	/* read unlocked by dmn_vreport */
static pthread_mutex_t	 report_mu = PTHREAD_MUTEX_INITIALIZER;

/* dmn_unix_listen - bind a unix socket at path, replacing a stale one */
int
dmn_unix_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: another daemon is listening "
			    "there", path);
			return -1;
		}
		close(probe);
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* dmn_listen - a listening socket for a cfg address */
int
dmn_listen(const char *addr, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL, *p;
	struct cfg_addr	 ca;
	char		 port[16], why[256];
	int		 fd = -1, one = 1, rc;

	if (cfg_addr_parse(addr, &ca, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", addr, why);
		return -1;
	}
	if (ca.family == AF_UNIX)
		return dmn_unix_listen(ca.path, err, errlen);
	snprintf(port, sizeof(port), "%u", ca.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = ca.family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(strcmp(ca.host, "*") ? ca.host : NULL, port,
	    &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC,
		    p->ai_protocol)) == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* dmn_mkparent - create path's parent directory when missing */
void
dmn_mkparent(const char *path)
{
	char	 d[4096], *s;

	snprintf(d, sizeof(d), "%s", path);
	if ((s = strrchr(d, '/')) == NULL || s == d)
		return;
	*s = '\0';
	(void)mkdir(d, 0755);
}

/* dmn_pid_running - pid file names a live process */
long
dmn_pid_running(const char *path)
{
	FILE	*f;
	long	 pid = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0)
		return pid;
	return 0;
}

/* dmn_write_pidfile - atomically */
int
dmn_write_pidfile(const char *path, char *err, size_t errlen)
{
	char	 tmp[4200];
	FILE	*f;

	dmn_mkparent(path);
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if ((f = fopen(tmp, "we")) == NULL) {
		snprintf(err, errlen, "%.1024s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* dmn_detach - fork; the parent waits for the child's word on a pipe */
int
dmn_detach(const char *prog)
{
	int	 p[2], fd;
	pid_t	 pid;
	char	 buf[1024];
	ssize_t	 n;

	if (pipe2(p, O_CLOEXEC) == -1)
		log_fatal("pipe");
	if ((pid = fork()) == -1)
		log_fatal("fork");
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] == '+')
			_exit(0);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(stderr, "%s: %s\n", prog, buf);
		} else
			fprintf(stderr, "%s: failed to start\n", prog);
		_exit(1);
	}
	close(p[0]);
	(void)setsid();
	(void)chdir("/");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return p[1];
}

/* dmn_tell - the daemonized child reports ready ("+") or an error */
void
dmn_tell(int *fd, const char *msg)
{
	if (*fd == -1)
		return;
	(void)!write(*fd, msg, strlen(msg));
	close(*fd);
	*fd = -1;
}

/* dmn_args - the daemons' command line: [-F] [-t] [-V] [-c FILE] */
void
dmn_args(int argc, char **argv, const struct dmn_argdesc *d,
    const char **config, int *fg, int *test)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "c:FtVh")) != -1) {
		switch (ch) {
		case 'c':
			*config = optarg;
			break;
		case 'F':
			*fg = 1;
			break;
		case 't':
			*test = 1;
			break;
		case 'V':
			printf("%s %s\n", d->prog, VIGIL_VERSION);
			exit(0);
		default:
			goto usage;
		}
	}
	if (optind == argc)
		return;
usage:
	fprintf(stderr, "usage: %s [-F] [-t] [-V] [-c FILE]\n"
	    "  -c FILE  configuration (default %s/vigil.conf)\n"
	    "  -F       stay in the foreground, log to standard error\n"
	    "  -t       %s, then exit\n"
	    "  -V       print the version\n", d->prog, d->sysconfdir, d->test);
	exit(2);
}

/* dmn_report_open - [section]'s report file and log level */
int
dmn_report_open(const struct cfg *c, const char *section, char *err,
    size_t errlen)
{
	const char	*p = cfg_str(c, section, NULL, "ReportFileName");
	long long	 lvl = cfg_int(c, section, NULL, "ReportLevel");
	int		 fd = -1, old;
	mode_t		 mode = (mode_t)cfg_int(c, section, NULL,
			    "ReportFilePermission");

	log_set_level(lvl >= 4 ? LOG_LVL_DEBUG : lvl == 3 ? LOG_LVL_INFO :
	    lvl == 2 ? LOG_LVL_WARN : LOG_LVL_ERR);
	if (p != NULL && p[0] != '\0') {
		dmn_mkparent(p);
		fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    (cfg_bool(c, section, NULL, "Append") ? 0 : O_TRUNC), mode);
		if (fd == -1) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
		(void)fchmod(fd, mode);
	}
	pthread_mutex_lock(&report_mu);
	old = report_fd;
	/* keep the descriptor's number (see DESIGN) */
	if (old != -1 && fd != -1 && dup3(fd, old, O_CLOEXEC) != -1) {
		close(fd);
		fd = old;
		old = -1;
	}
	report_fd = fd;
	log_set_fd(fd);
	pthread_mutex_unlock(&report_mu);
	if (old != -1)
		close(old);
	return 0;
}

/* dmn_vreport - one time-stamped line to the report file, else the log */
void
dmn_vreport(const char *prefix, const char *fmt, va_list ap)
{
	char		 line[4096], ts[40];
	struct tm	 tm;
	time_t		 t = time(NULL);
	int		 n, m;

	if (report_fd == -1) {
		vsnprintf(line, sizeof(line), fmt, ap);
		log_info("%s", line);
		return;
	}
	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
	n = snprintf(line, sizeof(line), "%s %.256s", ts, prefix);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&report_mu);
	if (report_fd != -1 && write(report_fd, line, (size_t)n) < 0)
		(void)0;
	pthread_mutex_unlock(&report_mu);
}

/* dmn_report - dmn_vreport with the arguments in line */
void
dmn_report(const char *prefix, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	dmn_vreport(prefix, fmt, ap);
	va_end(ap);
}

/* dmn_ctl_reply - answer a control command */
void
dmn_ctl_reply(int fd, char delim, const char *text)
{
	size_t	 n = strlen(text);
	char	*buf;

	if ((buf = malloc(n + 1)) == NULL)
		return;
	memcpy(buf, text, n);
	buf[n] = delim;
	(void)!send(fd, buf, n + 1, MSG_NOSIGNAL);
	free(buf);
}

/* dmn_ctl_read - one framed command, up to its '\n' or '\0' */
int
dmn_ctl_read(int fd, char *cmd, size_t len, char *delim)
{
	size_t		 n = 0;
	ssize_t		 r;
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };

	if (len < 3)
		return -1;
	while (n < len - 1) {
		if (poll(&pfd, 1, 5000) <= 0)
			return -1;
		if ((r = recv(fd, cmd + n, len - 1 - n, 0)) <= 0)
			return -1;
		n += (size_t)r;
		if (memchr(cmd, '\n', n) || memchr(cmd + 1, '\0', n - 1))
			break;
	}
	cmd[n] = '\0';
	if (n < 2 || (cmd[0] != 'n' && cmd[0] != 'z'))
		return -1;
	*delim = cmd[0] == 'n' ? '\n' : '\0';
	cmd[strcspn(cmd, "\n")] = '\0';
	memmove(cmd, cmd + 1, strlen(cmd + 1) + 1);
	return 0;
}

/* dmn_ctl_thread - the control socket's accept loop */
void *
dmn_ctl_thread(void *arg)
{
	struct dmn_ctl	 ctl = *(const struct dmn_ctl *)arg;
	int		 fd;

	for (;;) {
		if ((fd = accept4(ctl.fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EBADF || errno == EINVAL)
				break;
			usleep(100 * 1000);
			continue;
		}
		ctl.one(fd);
		close(fd);
	}
	return NULL;
}

/* dmn_drop_privileges - become user when root */
int
dmn_drop_privileges(const char *prog, const char *user, const char *group,
    const char *where, const char *give, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;
	gid_t		 gid;

	if (geteuid() != 0 || user == NULL || user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user '%s' does not exist: %s keeps running as root "
		    "(create it, or set [%s] User)", user, prog, where);
		return 0;
	}
	gid = pw->pw_gid;
	if (group != NULL && group[0] != '\0' && (gr = getgrnam(group)) !=
	    NULL)
		gid = gr->gr_gid;
	if (give != NULL && chown(give, pw->pw_uid, gid) == -1)
		log_warn("chown %s", give);
	if (initgroups(pw->pw_name, gid) == -1 || setgid(gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		snprintf(err, errlen, "cannot become user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		snprintf(err, errlen, "could regain root after dropping it");
		return -1;
	}
	log_info("running as user %s", user);
	return 0;
}
