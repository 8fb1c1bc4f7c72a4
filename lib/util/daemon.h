/*
 * daemon.h - start-up chores shared by vigil's daemons (daemon.c)
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stddef.h>

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

#endif
