/*
 * daemon.h - start-up chores shared by vigil's daemons (daemon.c)
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdarg.h>
#include <stddef.h>

struct cfg;

/* dmn_unix_listen - a listening unix socket at path (a stale one is
 * replaced; one a daemon answers on is an error) */
int	dmn_unix_listen(const char *path, char *err, size_t errlen);
/* dmn_listen - a listening socket for a configuration address:
 * host:port, [v6]:port, *:port or a unix socket path */
int	dmn_listen(const char *addr, char *err, size_t errlen);
/* dmn_mkparent - create path's parent directory when missing */
void	dmn_mkparent(const char *path);
/* dmn_pid_running - the pid a pid file names when that process lives
 * (and is not us), else 0 */
long	dmn_pid_running(const char *path);
/* dmn_write_pidfile - our pid, written atomically (parent created) */
int	dmn_write_pidfile(const char *path, char *err, size_t errlen);
/* dmn_detach - fork and detach; the parent waits for dmn_tell() and
 * exits 0 on "+", else prints the message as "prog: message" and exits 1.
 * Returns, in the child, the descriptor to dmn_tell() on. */
int	dmn_detach(const char *prog);
/* dmn_tell - report ready ("+") or the failure to the waiting parent */
void	dmn_tell(int *fd, const char *msg);

/* dmn_args - parse the daemons' common command line, [-F] [-t] [-V]
 * [-c FILE]; -V prints the version and exits 0, a bad one prints the
 * usage and exits 2 */
struct dmn_argdesc {
	const char	*prog;		/* "vigild" */
	const char	*sysconfdir;	/* for the usage text */
	const char	*test;		/* what -t checks */
};
void	dmn_args(int argc, char **argv, const struct dmn_argdesc *,
	    const char **config, int *fg, int *test);

/*
 * dmn_report_open - (re)open the report file a [section] names:
 * ReportFileName (empty: none), Append, ReportFilePermission (applied
 * even to an existing file); also sets the log level from ReportLevel
 * (4 debug, 3 info, 2 warn, else err) and sends the log there too
 * (log_set_fd).  Safe while other threads report and log: a new file
 * takes over the old one's descriptor number.  Returns 0, or -1 with err
 * set ("path: reason") and the running file kept.
 */
int	dmn_report_open(const struct cfg *, const char *section, char *err,
	    size_t errlen);
/* dmn_report - one line "TIME prefixTEXT" to the report file, or TEXT to
 * the log (log_info) while there is none; prefix may be "" */
void	dmn_report(const char *prefix, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	dmn_vreport(const char *prefix, const char *fmt, va_list)
	    __attribute__((format(printf, 2, 0)));

/*
 * The control socket: one client at a time, one command a connection, in
 * vigild's framing ("nCMD\n" answered with a '\n', "zCMD\0" with a '\0').
 */
/* dmn_ctl_reply - text, then the command's delimiter */
void	dmn_ctl_reply(int fd, char delim, const char *text);
/* dmn_ctl_read - one command from fd (5 s per read, at most len - 1
 * bytes): cmd gets it without the 'n'/'z' and the newline, *delim the
 * delimiter to answer with.  -1: timeout, end of file or bad framing. */
int	dmn_ctl_read(int fd, char *cmd, size_t len, char *delim);
/* dmn_ctl_thread - pthread start routine: accepts on arg's listening fd
 * and runs one() for each client (then closes it) until the fd is
 * closed.  arg is read once, at the start. */
struct dmn_ctl {
	int	  fd;			/* listening */
	void	(*one)(int fd);		/* serve one client */
};
void	*dmn_ctl_thread(void *arg);

/*
 * dmn_drop_privileges - when root and user is set, become user, in group
 * (when set and known) or user's own.  give, when not NULL, is a path
 * handed to the user first.  A user that does not exist is a warning
 * naming prog and [where]: prog keeps running as root.  Returns 0, or -1
 * with err set when the switch fails or root could be regained.
 */
int	dmn_drop_privileges(const char *prog, const char *user,
	    const char *group, const char *where, const char *give,
	    char *err, size_t errlen);

#endif
