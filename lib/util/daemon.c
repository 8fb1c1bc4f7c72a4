/*
 * daemon.c - what every vigil daemon does to start: listening sockets,
 * the pid file, detaching with a word back to the invoking shell
 *
 * DESIGN
 * A daemon forks before any thread starts and the parent exits only once
 * the child reports ready ("+") or the reason it could not start, so
 * "vigild && clamdscan ..." works and a start-up failure is an exit
 * status.  A unix socket path that answers a connect belongs to a running
 * daemon and is never taken over; a stale one is replaced.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vigil/vigil.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"

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
