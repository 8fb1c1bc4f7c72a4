/*
 * vigilctl_proc.c - pid files, process identity, finding and starting a
 * daemon's program
 *
 * DESIGN: a pid file is only a hint.  A pid is believed when the process
 * exists, is not a zombie, and runs the program we expect: the basename
 * of /proc/PID/exe (" (deleted)" stripped, so an upgraded binary still
 * counts) or /proc/PID/comm (the kernel keeps 15 bytes of it) equals the
 * daemon's name.  Otherwise the file is stale: after a crash the pid may
 * belong to anyone, and vigilctl must never signal a stranger.  Without
 * /proc (not Linux, or not mounted) existence has to do.
 *
 * A daemon's program is looked for next to vigilctl's own executable
 * (an install puts them in one sbin directory; a build tree puts vigild
 * beside vigilctl), then in the build tree's src/NAME/NAME layout, then in
 * VIGIL_SBINDIR.  It is started with stdin and stdout on /dev/null and
 * vigilctl's stderr, so what it says before detaching reaches the
 * administrator; a close-on-exec pipe reports a failed exec.
 *
 * Every wait here is a poll with a bound given by the caller.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vigilctl.h"

#ifndef VIGIL_SBINDIR
#define VIGIL_SBINDIR	"/usr/local/sbin"
#endif

#define POLL_MS		50
#define COMM_MAX	15	/* TASK_COMM_LEN - 1 */

/* proc_now_ms - see vigilctl.h */
long long
proc_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* proc_sleep_ms - see vigilctl.h */
void
proc_sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* read_small - up to len - 1 bytes of path, NUL-terminated; -1 + errno */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t		 n, r;
	int		 fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	for (n = 0; (size_t)n < len - 1; n += r) {
		r = read(fd, buf + n, len - 1 - (size_t)n);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r == -1) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

/* proc_pidfile_read - see vigilctl.h */
int
proc_pidfile_read(const char *path, pid_t *pid, char *why, size_t whylen)
{
	char		 buf[32];
	char		*end;
	long		 v;
	ssize_t		 n;
	int		 e;

	if ((n = read_small(path, buf, sizeof(buf))) == -1) {
		if ((e = errno) == ENOENT)
			return 0;
		snprintf(why, whylen, "%s: %s", path, strerror(e));
		errno = e;
		return -2;
	}
	errno = 0;
	v = strtol(buf, &end, 10);
	while (*end == '\n' || *end == ' ' || *end == '\t' || *end == '\r')
		end++;
	if (n == 0 || end == buf || *end != '\0' || errno != 0 || v <= 1 ||
	    v > INT_MAX || (buf[0] < '0' || buf[0] > '9')) {
		snprintf(why, whylen, "%s: not a pid file", path);
		return -1;
	}
	*pid = (pid_t)v;
	return 1;
}

/* proc_pidfile_remove - see vigilctl.h */
int
proc_pidfile_remove(const char *path, pid_t pid)
{
	char		 why[64];
	pid_t		 now = 0;

	if (proc_pidfile_read(path, &now, why, sizeof(why)) == 0)
		return 0;	/* gone already */
	if (pid > 0 && now > 0 && now != pid)
		return 0;	/* someone started another one meanwhile */
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

/* proc_alive - see vigilctl.h */
int
proc_alive(pid_t pid)
{
	char		 path[64], buf[512];
	char		*p;

	if (kill(pid, 0) == -1 && errno != EPERM)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 1;	/* no /proc: existence has to do */
	/* "PID (comm) S ...": comm may hold ')', the state follows the last */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 1;
	return p[2] != 'Z' && p[2] != 'X';
}

/* proc_is - see vigilctl.h */
int
proc_is(pid_t pid, const char *name)
{
	char		 path[64], exe[PATH_MAX], comm[64];
	const char	*base;
	ssize_t		 n;
	size_t		 len;

	if (access("/proc/self/stat", F_OK) == -1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		len = strlen(exe);
		if (len > 10 && strcmp(exe + len - 10, " (deleted)") == 0)
			exe[len - 10] = '\0';
		base = strrchr(exe, '/');
		if (strcmp(base != NULL ? base + 1 : exe, name) == 0)
			return 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, comm, sizeof(comm)) <= 0)
		return 0;
	comm[strcspn(comm, "\n")] = '\0';
	len = strlen(name);
	return strlen(comm) == (len < COMM_MAX ? len : COMM_MAX) &&
	    strncmp(comm, name, COMM_MAX) == 0;
}

/* executable - 1 when path is a regular file we may execute */
static int
executable(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/* proc_binary - see vigilctl.h */
int
proc_binary(const char *name, char *out, size_t outlen)
{
	char		 self[PATH_MAX];
	char		*slash;
	ssize_t		 n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(out, outlen, "%s/%s", self, name);
			if (executable(out))
				return 0;
			snprintf(out, outlen, "%s/../%s/%s", self, name, name);
			if (executable(out))
				return 0;
		}
	}
	snprintf(out, outlen, "%s/%s", VIGIL_SBINDIR, name);
	return executable(out) ? 0 : -1;
}

/* spawn_child - in the child: /dev/null on 0 and 1, exec; never returns */
static void
spawn_child(const char *bin, const char *cfgpath, int errfd)
{
	char	*argv[4];
	int	 fd, e;

	argv[0] = (char *)bin;
	argv[1] = cfgpath != NULL ? (char *)"-c" : NULL;
	argv[2] = (char *)cfgpath;
	argv[3] = NULL;
	if ((fd = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		goto fail;
	if (fd > STDERR_FILENO)
		close(fd);
	execv(bin, argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		_exit(127);
	_exit(127);
}

/* proc_spawn - see vigilctl.h */
pid_t
proc_spawn(const char *bin, const char *cfgpath)
{
	pid_t		 pid;
	ssize_t		 r;
	int		 p[2], e = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		spawn_child(bin, cfgpath, p[1]);
	}
	close(p[1]);
	/* the write end closes at exec (0 bytes) or carries errno */
	while ((r = read(p[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	close(p[0]);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		errno = e;
		return -1;
	}
	return pid;
}

/* proc_wait_gone - see vigilctl.h */
int
proc_wait_gone(pid_t pid, long ms)
{
	long long	 deadline = proc_now_ms() + ms;

	for (;;) {
		if (!proc_alive(pid))
			return 1;
		if (proc_now_ms() >= deadline)
			return 0;
		proc_sleep_ms(POLL_MS);
	}
}
