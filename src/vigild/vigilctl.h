/*
 * vigilctl.h - what vigilctl's files share: the daemon table entry, the
 * per-run context, exit codes, and the process and control-socket helpers
 */
#ifndef VIGILCTL_H
#define VIGILCTL_H

#include <sys/types.h>

#include <stddef.h>

#include "cfg.h"
#include "strbuf.h"

/*
 * Exit codes, the LSB init-script ones (LSB 3.0, 20.2): 0 done, 1 failed,
 * 2 usage; status: 3 not running, 4 unknown (a process that does not
 * answer, a daemon not installed); other actions: 4 no privilege, 5 not
 * installed.
 */
#define VX_OK		0
#define VX_FAIL		1
#define VX_USAGE	2
#define VX_STOPPED	3
#define VX_UNKNOWN	4
#define VX_PRIV		4
#define VX_NOTINST	5

#define VCTL_MAX_REPLY	(1024 * 1024)	/* a control reply, at most */

/* a daemon vigilctl manages: its program name and where its keys live */
struct vctl_daemon {
	const char	*name;		/* program, and argv[0] */
	const char	*section;	/* holds PidFile and ControlSocket */
	const char	*report;	/* holds ReportFileName (log hint) */
};

/* one run of one command against one daemon */
struct vctl {
	const struct vctl_daemon *d;
	const struct cfg	*cfg;
	const char		*cfgpath;	/* absolute; NULL: defaults */
	const char		*pidfile;	/* NULL: the key is empty */
	const char		*ctlsock;	/* NULL: the key is empty */
	const char		*bin;		/* NULL: not installed */
	int			 quiet;		/* -q: nothing on stdout */
	int			 start_timeout;	/* seconds */
	int			 stop_timeout;	/* seconds */
};

/* where a daemon stands, as vctl_locate() found it */
enum vctl_state {
	ST_STOPPED,	/* no pid file, nobody answers */
	ST_STALE,	/* a pid file that does not name the daemon */
	ST_UNKNOWN,	/* an unreadable pid file, nobody answers */
	ST_RUNNING
};

struct vctl_where {
	enum vctl_state	 state;
	pid_t		 pid;		/* RUNNING: the daemon; STALE: file's */
	char		 why[256];	/* STALE, UNKNOWN: the pid file's fault */
	int		 err;		/* UNKNOWN: errno reading it */
	char		 status[512];	/* the STATUS reply, or "" */
	char		 sockwhy[256];	/* why STATUS failed, when asked */
};

/* vigilctl.c */
void	 vctl_say(const struct vctl *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 vctl_err(const struct vctl *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 vctl_locate(const struct vctl *, int ask, struct vctl_where *);

/* vigilctl_proc.c */
/*
 * proc_pidfile_read - the pid in path: 1 with *pid, 0 when there is no
 * such file, -1 with a reason in why when it holds no pid, -2 with a
 * reason in why and errno set when it cannot be read
 */
int	 proc_pidfile_read(const char *path, pid_t *pid, char *why,
	    size_t whylen);
/* proc_pidfile_remove - unlink path if it still names pid */
int	 proc_pidfile_remove(const char *path, pid_t pid);
/* proc_alive - 1 when pid exists and is not a zombie */
int	 proc_alive(pid_t pid);
/* proc_is - 1 when pid runs program name (exe or comm), or /proc is absent */
int	 proc_is(pid_t pid, const char *name);
/* proc_binary - the program's path: next to vigilctl, or VIGIL_SBINDIR */
int	 proc_binary(const char *name, char *out, size_t outlen);
/*
 * proc_spawn - run bin [-c cfgpath], stdin and stdout on /dev/null,
 * stderr ours; returns the child's pid, -1 + errno
 */
pid_t	 proc_spawn(const char *bin, const char *cfgpath);
/* proc_wait_gone - poll until pid is gone, up to ms; 1 gone, 0 not */
int	 proc_wait_gone(pid_t pid, long ms);
/* proc_sleep_ms - nanosleep ms, restarted on EINTR */
void	 proc_sleep_ms(long ms);
/* proc_now_ms - CLOCK_MONOTONIC in milliseconds */
long long proc_now_ms(void);

/* vigilctl_sock.c */
/*
 * ctl_request - connect to the unix socket path, send "n<cmd>\n" and read
 * the reply into out (cleared first): one line, or for STATS every line
 * up to and including "END"; each line ends with '\n'.  timeout_ms bounds
 * the connect and each wait; a reply over out's cap fails.  Returns 0, or
 * -1 with a reason in why and errno set (ENOENT, ECONNREFUSED: nobody
 * listens; ETIMEDOUT: no answer in time).
 */
int	 ctl_request(const char *path, const char *cmd, long timeout_ms,
	    struct strbuf *out, char *why, size_t whylen);
/*
 * ctl_clean - copy the reply line at src (up to '\n' or NUL) into dst,
 * control bytes but tab replaced by '?'; always NUL-terminated
 */
char	*ctl_clean(char *dst, size_t dstlen, const char *src);

#endif
