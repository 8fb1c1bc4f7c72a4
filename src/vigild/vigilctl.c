/*
 * vigilctl.c - start, stop, reload and query vigil's daemons: the guides'
 * control script (kav4proxy's /etc/init.d script) as a program
 *
 *	vigilctl [-q] [-c FILE] COMMAND [DAEMON...]
 *
 * DESIGN: two tables.  vctl_daemons says, for each daemon vigilctl
 * manages, which configuration section holds its PidFile and
 * ControlSocket; a daemon plugs in with one row.  vctl_cmds maps each
 * command to a function run once per named daemon (vigild when none is
 * named); the exit status is the highest any run returned.  The
 * configuration is loaded and validated first, for every command, so a
 * broken file stops "start" and "restart" before they touch a running
 * daemon, and every path vigilctl uses comes from it.
 *
 * Where a daemon stands (vctl_locate): the pid file when it names a live
 * process running the daemon's program, else what the daemon itself says
 * on its ControlSocket (STATUS carries its pid: a daemon run in the
 * foreground by systemd may have no pid file).  A pid file naming nobody,
 * or somebody else, is stale and is never signalled.
 *
 * Waits are bounded: start 30 s for the daemon to answer PING
 * (VIGILCTL_START_TIMEOUT), stop 30 s between SIGTERM and SIGKILL (the
 * guide; VIGILCTL_STOP_TIMEOUT) and 5 s after SIGKILL, 300 s for a
 * synchronous database reload, 30 s for any other control request.
 * Exit codes are LSB's (vigilctl.h).  Output for the administrator goes
 * to stdout (-q silences it), failures to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "vigilctl.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define ASK_MS		(5 * 1000)	/* STATUS while locating a daemon */
#define REQUEST_MS	(30 * 1000)	/* STATS, REOPENLOG */
#define RELOADDB_MS	(300 * 1000)	/* a reload may compile the database */
#define KILL_WAIT_MS	(5 * 1000)
#define START_POLL_MS	100
#define TIMEOUT_MAX	3600

static const struct vctl_daemon vctl_daemons[] = {
	/* name		section			report section */
	{ "vigild",	 "vigild",		"vigild.report" },
	{ "vigil-icapd", "icapserver.process",	"icapserver.report" },
	{ "vigil-smtpd", "smtpscan.general",	"smtpscan.report" },
};

static int	cmd_start(struct vctl *);
static int	cmd_stop(struct vctl *);
static int	cmd_restart(struct vctl *);
static int	cmd_reload(struct vctl *);
static int	cmd_reloaddb(struct vctl *);
static int	cmd_stats(struct vctl *);
static int	cmd_status(struct vctl *);

static const struct vctl_cmd {
	const char	*name;
	int		(*run)(struct vctl *);	/* NULL: checkconfig */
} vctl_cmds[] = {
	{ "start",		cmd_start },
	{ "stop",		cmd_stop },
	{ "restart",		cmd_restart },
	{ "reload",		cmd_reload },
	{ "reload-db",		cmd_reloaddb },
	{ "reload_avbase",	cmd_reloaddb },	/* the guide's name */
	{ "stats",		cmd_stats },
	{ "status",		cmd_status },
	{ "checkconfig",	NULL },
};

/* usage - the synopsis on stderr (or stdout for -h), then exit */
static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
"usage: vigilctl [-qv] [-c FILE] COMMAND [DAEMON...]\n"
"  -c FILE   configuration (default " VIGIL_SYSCONFDIR "/vigil.conf)\n"
"  -q        quiet: print nothing but errors\n"
"  -v        checkconfig: also print the effective configuration\n"
"COMMAND: start stop restart reload reload-db (reload_avbase) stats\n"
"         status checkconfig\n"
"DAEMON:  vigild (default) vigil-icapd vigil-smtpd\n");
	exit(rc);
}

/* vctl_say - "NAME: message" on stdout unless -q */
void
vctl_say(const struct vctl *v, const char *fmt, ...)
{
	va_list	 ap;

	if (v->quiet)
		return;
	printf("%s: ", v->d->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* vctl_err - "NAME: message" on stderr */
void
vctl_err(const struct vctl *v, const char *fmt, ...)
{
	va_list	 ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", v->d->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* reply_out - a reply line as the daemon sent it, cleaned, to f */
static void
reply_out(const struct vctl *v, FILE *f, const char *line)
{
	char	 buf[1024];

	if (f == stdout && v->quiet)
		return;
	fprintf(f, "%s\n", ctl_clean(buf, sizeof(buf), line));
	fflush(f);
}

/* not_installed - say so; rc is the command's code for it */
static int
not_installed(const struct vctl *v, int rc)
{
	vctl_err(v, "not installed (no %s program found)", v->d->name);
	return rc;
}

/* unreadable - the pid file cannot be read: nothing can be decided */
static int
unreadable(const struct vctl *v, const struct vctl_where *w)
{
	vctl_err(v, "cannot tell whether it runs: %s", w->why);
	return w->err == EACCES || w->err == EPERM ? VX_PRIV : VX_FAIL;
}

/* status_pid - the pid= of a "RUNNING pid=N ..." reply, or 0 */
static pid_t
status_pid(const char *reply)
{
	const char	*p = strstr(reply, " pid=");
	long		 n;

	if (strncmp(reply, "RUNNING", 7) != 0 || p == NULL)
		return 0;
	n = strtol(p + 5, NULL, 10);
	return n > 1 && n <= INT_MAX ? (pid_t)n : 0;
}

/* ask_status - STATUS into w->status, or the failure into w->sockwhy */
static void
ask_status(const struct vctl *v, struct vctl_where *w)
{
	struct strbuf	 out;
	pid_t		 pid;

	strbuf_init(&out, VCTL_MAX_REPLY);
	if (ctl_request(v->ctlsock, "STATUS", ASK_MS, &out, w->sockwhy,
	    sizeof(w->sockwhy)) == 0) {
		ctl_clean(w->status, sizeof(w->status), out.data);
		pid = status_pid(w->status);
		if (w->state != ST_RUNNING && pid > 0 && proc_alive(pid)) {
			w->state = ST_RUNNING;
			w->pid = pid;
		}
	}
	strbuf_fini(&out);
}

/*
 * vctl_locate - where the daemon stands: the pid file first, then (when
 * that fails, or always with ask) its ControlSocket's STATUS
 */
void
vctl_locate(const struct vctl *v, int ask, struct vctl_where *w)
{
	pid_t	 pid = 0;
	int	 r;

	memset(w, 0, sizeof(*w));
	w->state = ST_STOPPED;
	if (v->pidfile != NULL) {
		r = proc_pidfile_read(v->pidfile, &pid, w->why,
		    sizeof(w->why));
		if (r == 1 && proc_alive(pid) && proc_is(pid, v->d->name)) {
			w->state = ST_RUNNING;
			w->pid = pid;
		} else if (r == 1) {
			w->state = ST_STALE;
			w->pid = pid;
			snprintf(w->why, sizeof(w->why), "%s names pid %d, %s",
			    v->pidfile, (int)pid, proc_alive(pid) ?
			    "which is not running it" : "which is gone");
		} else if (r == -1)
			w->state = ST_STALE;
		else if (r == -2) {
			w->state = ST_UNKNOWN;
			w->err = errno;
		}
	}
	if (v->ctlsock != NULL && (ask || w->state != ST_RUNNING))
		ask_status(v, w);
}

/* report_hint - where the daemon logs, for failure messages */
static const char *
report_hint(const struct vctl *v, char *buf, size_t len)
{
	const char	*f = cfg_str(v->cfg, v->d->report, NULL,
			    "ReportFileName");

	if (f != NULL && f[0] != '\0')
		snprintf(buf, len, "its log %s", f);
	else
		snprintf(buf, len, "syslog");
	return buf;
}

/*
 * start_up - has the daemon come up?  1 with *pid (0 when unknown) when
 * it answers PING within ms (without a ControlSocket: when its pid file
 * names it); 0 with the reason in why
 */
static int
start_up(const struct vctl *v, long ms, pid_t *pid, char *why,
    size_t whylen)
{
	struct vctl_where w;
	struct strbuf	 out;
	int		 up;

	*pid = 0;
	if (v->ctlsock != NULL) {
		strbuf_init(&out, VCTL_MAX_REPLY);
		up = ctl_request(v->ctlsock, "PING", ms, &out, why,
		    whylen) == 0 && strcmp(out.data, "PONG\n") == 0;
		if (!up && out.len > 0)
			snprintf(why, whylen, "%s: PING: unexpected reply",
			    v->ctlsock);
		strbuf_fini(&out);
		if (!up)
			return 0;
	}
	vctl_locate(v, 0, &w);
	if (w.state == ST_RUNNING)
		*pid = w.pid;
	else if (v->ctlsock == NULL) {
		snprintf(why, whylen, "%s", w.why[0] != '\0' ? w.why :
		    "no pid file yet");
		return 0;
	}
	return 1;
}

/* start_died - has the starting daemon died?  1 with a reason in why */
static int
start_died(const struct vctl *v, pid_t child, int *reaped, char *why,
    size_t whylen)
{
	char	 e[256];
	pid_t	 pid;
	int	 st;

	if (!*reaped && waitpid(child, &st, WNOHANG) == child) {
		*reaped = 1;
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
			snprintf(why, whylen, "exited with status %d",
			    WEXITSTATUS(st));
			return 1;
		}
		if (WIFSIGNALED(st)) {
			snprintf(why, whylen, "killed by signal %d",
			    WTERMSIG(st));
			return 1;
		}
	}
	/* detached: the parent exited 0; the pid file names the daemon */
	if (*reaped && v->pidfile != NULL &&
	    proc_pidfile_read(v->pidfile, &pid, e, sizeof(e)) == 1 &&
	    !proc_alive(pid)) {
		snprintf(why, whylen, "pid %d (from %s) exited", (int)pid,
		    v->pidfile);
		return 1;
	}
	return 0;
}

/* start_wait - poll until the daemon answers, dies, or time runs out */
static int
start_wait(const struct vctl *v, pid_t child)
{
	long long	 deadline = proc_now_ms() + v->start_timeout * 1000LL;
	char		 why[512] = "no attempt", hint[PATH_MAX + 16];
	long long	 left;
	pid_t		 pid;
	int		 reaped = 0;

	for (;;) {
		left = deadline - proc_now_ms();
		if (start_up(v, left > START_POLL_MS ? (long)left :
		    START_POLL_MS, &pid, why, sizeof(why))) {
			if (pid > 0)
				vctl_say(v, "started (pid %d)", (int)pid);
			else
				vctl_say(v, "started");
			return VX_OK;
		}
		if (start_died(v, child, &reaped, why, sizeof(why))) {
			vctl_err(v, "%s while starting; see its messages "
			    "above and %s", why, report_hint(v, hint,
			    sizeof(hint)));
			return VX_FAIL;
		}
		if (proc_now_ms() >= deadline)
			break;
		proc_sleep_ms(START_POLL_MS);
	}
	vctl_err(v, "not answering within %d s (%s); see its messages "
	    "above and %s", v->start_timeout, why,
	    report_hint(v, hint, sizeof(hint)));
	return VX_FAIL;
}

/* cmd_start - run the daemon unless it runs; wait until it answers */
static int
cmd_start(struct vctl *v)
{
	struct vctl_where w;
	pid_t		 child;
	int		 e;

	vctl_locate(v, 0, &w);
	if (w.state == ST_RUNNING) {
		vctl_say(v, "already running (pid %d)", (int)w.pid);
		return VX_OK;
	}
	if (w.state == ST_UNKNOWN)
		return unreadable(v, &w);
	if (v->bin == NULL)
		return not_installed(v, VX_NOTINST);
	if (w.state == ST_STALE && v->pidfile != NULL) {
		if (proc_pidfile_remove(v->pidfile, w.pid) == -1) {
			vctl_err(v, "stale pid file %s: unlink: %s",
			    v->pidfile, strerror(errno));
			return VX_FAIL;
		}
		vctl_say(v, "removed stale pid file (%s)", w.why);
	}
	if ((child = proc_spawn(v->bin, v->cfgpath)) == -1) {
		e = errno;
		vctl_err(v, "%s: %s", v->bin, strerror(e));
		return e == EACCES ? VX_PRIV : VX_FAIL;
	}
	return start_wait(v, child);
}

/* stop_pid - SIGTERM, bounded wait, SIGKILL; remove the pid file */
static int
stop_pid(const struct vctl *v, pid_t pid)
{
	int	 e;

	if (kill(pid, SIGTERM) == -1 && errno != ESRCH) {
		e = errno;
		vctl_err(v, "kill -TERM %d: %s", (int)pid, strerror(e));
		return e == EPERM ? VX_PRIV : VX_FAIL;
	}
	if (proc_wait_gone(pid, v->stop_timeout * 1000L)) {
		vctl_say(v, "stopped (pid %d)", (int)pid);
		goto gone;
	}
	vctl_err(v, "pid %d still running %d s after SIGTERM; sending SIGKILL",
	    (int)pid, v->stop_timeout);
	if (kill(pid, SIGKILL) == -1 && errno != ESRCH) {
		e = errno;
		vctl_err(v, "kill -KILL %d: %s", (int)pid, strerror(e));
		return e == EPERM ? VX_PRIV : VX_FAIL;
	}
	if (!proc_wait_gone(pid, KILL_WAIT_MS)) {
		vctl_err(v, "pid %d still there %d s after SIGKILL", (int)pid,
		    KILL_WAIT_MS / 1000);
		return VX_FAIL;
	}
	vctl_say(v, "killed (pid %d)", (int)pid);
gone:
	if (v->pidfile != NULL && proc_pidfile_remove(v->pidfile, pid) == -1)
		vctl_err(v, "%s: unlink: %s", v->pidfile, strerror(errno));
	return VX_OK;
}

/* cmd_stop - stop the daemon; stopping a stopped one succeeds (LSB) */
static int
cmd_stop(struct vctl *v)
{
	struct vctl_where w;

	vctl_locate(v, 0, &w);
	if (w.state == ST_RUNNING)
		return stop_pid(v, w.pid);
	if (w.state == ST_UNKNOWN)
		return unreadable(v, &w);
	if (v->bin == NULL && w.state == ST_STOPPED)
		return not_installed(v, VX_NOTINST);
	if (w.state == ST_STALE && v->pidfile != NULL) {
		if (proc_pidfile_remove(v->pidfile, w.pid) == -1) {
			vctl_err(v, "stale pid file %s: unlink: %s",
			    v->pidfile, strerror(errno));
			return VX_FAIL;
		}
		vctl_say(v, "not running (removed stale pid file: %s)", w.why);
		return VX_OK;
	}
	vctl_say(v, "not running");
	return VX_OK;
}

/* cmd_restart - stop, then start; a failed stop starts nothing */
static int
cmd_restart(struct vctl *v)
{
	int	 rc;

	if ((rc = cmd_stop(v)) != VX_OK)
		return rc;
	return cmd_start(v);
}

/* cmd_reload - SIGHUP: configuration and databases (the guide) */
static int
cmd_reload(struct vctl *v)
{
	struct vctl_where w;
	int		 e;

	vctl_locate(v, 0, &w);
	if (w.state == ST_UNKNOWN)
		return unreadable(v, &w);
	if (w.state != ST_RUNNING) {
		if (v->bin == NULL)
			return not_installed(v, VX_NOTINST);
		vctl_err(v, "not running");
		return VX_FAIL;
	}
	if (kill(w.pid, SIGHUP) == -1) {
		e = errno;
		vctl_err(v, "kill -HUP %d: %s", (int)w.pid, strerror(e));
		return e == EPERM ? VX_PRIV : VX_FAIL;
	}
	vctl_say(v, "reloading the configuration and databases (SIGHUP to "
	    "pid %d)", (int)w.pid);
	return VX_OK;
}

/*
 * request - send cmd on the ControlSocket; a failure is reported here
 * ("not running" when nobody listens) and returns the exit code, else 0
 */
static int
request(const struct vctl *v, const char *cmd, long ms,
    struct strbuf *out)
{
	char	 why[512];
	int	 e;

	if (v->ctlsock == NULL) {
		vctl_err(v, "[%s] ControlSocket is empty: cannot send %s",
		    v->d->section, cmd);
		return VX_FAIL;
	}
	if (ctl_request(v->ctlsock, cmd, ms, out, why,
	    sizeof(why)) == 0)
		return VX_OK;
	e = errno;
	if (e == ENOENT || e == ECONNREFUSED) {
		if (v->bin == NULL)
			return not_installed(v, VX_NOTINST);
		vctl_err(v, "not running (%s)", why);
	} else
		vctl_err(v, "%s", why);
	return e == EACCES ? VX_PRIV : VX_FAIL;
}

/* cmd_reloaddb - RELOADDB, synchronous; print the daemon's answer */
static int
cmd_reloaddb(struct vctl *v)
{
	struct strbuf	 out;
	int		 rc;

	strbuf_init(&out, VCTL_MAX_REPLY);
	if ((rc = request(v, "RELOADDB", RELOADDB_MS, &out)) != VX_OK)
		goto out;
	if (strncmp(out.data, "RELOADED ", 9) == 0)
		reply_out(v, stdout, out.data);
	else {
		reply_out(v, stderr, out.data);
		rc = VX_FAIL;
	}
out:
	strbuf_fini(&out);
	return rc;
}

/* cmd_stats - print STATS (without END), then REOPENLOG (the guide) */
static int
cmd_stats(struct vctl *v)
{
	struct strbuf	 out;
	char		*line, *next, buf[256];
	int		 rc;

	strbuf_init(&out, VCTL_MAX_REPLY);
	if ((rc = request(v, "STATS", REQUEST_MS, &out)) != VX_OK)
		goto out;
	for (line = out.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, "END") != 0 || (next != NULL && *next))
			reply_out(v, stdout, line);
	}
	if ((rc = request(v, "REOPENLOG", REQUEST_MS, &out)) != VX_OK)
		goto out;
	if (strcmp(out.data, "OK\n") != 0) {
		vctl_err(v, "REOPENLOG: %s", ctl_clean(buf, sizeof(buf),
		    out.data));
		rc = VX_FAIL;
	}
out:
	strbuf_fini(&out);
	return rc;
}

/* running_line - "running (pid N) rest of STATUS" without RUNNING pid= */
static void
running_line(const struct vctl *v, const struct vctl_where *w)
{
	char		 rest[512] = "";
	const char	*s = w->status + 7, *tok;
	size_t		 n, len = 0;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		tok = s;
		n = strcspn(s, " ");
		s += n;
		if (n == 0 || strncmp(tok, "pid=", 4) == 0)
			continue;
		if (len + n + 2 < sizeof(rest))
			len += (size_t)snprintf(rest + len, sizeof(rest) - len,
			    " %.*s", (int)n, tok);
	}
	vctl_say(v, "running (pid %d)%s", (int)w->pid, rest);
}

/* cmd_status - LSB status: 0 running, 1 stale pid file, 3 not running */
static int
cmd_status(struct vctl *v)
{
	struct vctl_where w;

	vctl_locate(v, 1, &w);
	if (w.state == ST_RUNNING && strncmp(w.status, "RUNNING", 7) == 0) {
		running_line(v, &w);
		return VX_OK;
	}
	if (w.state == ST_RUNNING) {
		vctl_say(v, "running (pid %d) but not answering (%s)",
		    (int)w.pid, w.sockwhy[0] ? w.sockwhy : v->ctlsock ?
		    w.status : "no ControlSocket");
		return VX_UNKNOWN;
	}
	if (v->bin == NULL) {
		vctl_say(v, "not installed");
		return VX_UNKNOWN;
	}
	if (w.state == ST_UNKNOWN) {
		vctl_say(v, "status unknown (%s)", w.why);
		return VX_UNKNOWN;
	}
	if (w.state == ST_STALE) {
		vctl_say(v, "not running, but a stale pid file remains (%s)",
		    w.why);
		return VX_FAIL;
	}
	vctl_say(v, "not running");
	return VX_STOPPED;
}

/* env_seconds - a timeout from the environment, else def; -1: invalid */
static int
env_seconds(const char *name, int def)
{
	const char	*s = getenv(name);
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0 ||
	    n > TIMEOUT_MAX) {
		fprintf(stderr, "vigilctl: %s=%s: not a number of seconds "
		    "(0..%d)\n", name, s, TIMEOUT_MAX);
		return -1;
	}
	return (int)n;
}

/* find_daemon - the table row for name, or NULL */
static const struct vctl_daemon *
find_daemon(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(vctl_daemons); i++)
		if (strcmp(vctl_daemons[i].name, name) == 0)
			return &vctl_daemons[i];
	return NULL;
}

/* find_cmd - the table row for name, or NULL */
static const struct vctl_cmd *
find_cmd(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(vctl_cmds); i++)
		if (strcmp(vctl_cmds[i].name, name) == 0)
			return &vctl_cmds[i];
	return NULL;
}

/* path_key - a path key of the daemon's section, NULL when empty */
static const char *
path_key(const struct cfg *c, const char *section, const char *key)
{
	const char	*s = cfg_str(c, section, NULL, key);

	return s != NULL && s[0] != '\0' ? s : NULL;
}

/*
 * load_config - -c FILE, else the installed vigil.conf, else defaults;
 * *abs gets the absolute name to give a daemon (NULL: defaults).  Errors
 * are printed as cfg made them (FILE:LINE: [section] key: reason).
 */
static struct cfg *
load_config(const char *path, char **abs)
{
	static const struct cfg_dirs dirs = { VIGIL_DATADIR,
	    VIGIL_SYSCONFDIR, VIGIL_LOCALSTATEDIR };
	struct cfg	*c;
	char		 err[8192];
	size_t		 n;

	*abs = NULL;
	if ((c = cfg_load_program(path, &dirs, err, sizeof(err))) == NULL) {
		n = strlen(err);
		fprintf(stderr, "%s%s", err, n > 0 && err[n - 1] == '\n' ?
		    "" : "\n");
		return NULL;
	}
	if (path == NULL && access(VIGIL_SYSCONFDIR "/vigil.conf", F_OK) == 0)
		path = VIGIL_SYSCONFDIR "/vigil.conf";
	if (path != NULL && (*abs = realpath(path, NULL)) == NULL) {
		fprintf(stderr, "vigilctl: %s: %s\n", path, strerror(errno));
		cfg_free(c);
		return NULL;
	}
	return c;
}

/* run - one command against each daemon named; the highest exit code */
static int
run(const struct vctl_cmd *cmd, struct vctl *v, char **names, int n)
{
	char	 bin[PATH_MAX];
	int	 i, rc = VX_OK, r;

	for (i = 0; i < (n > 0 ? n : 1); i++) {
		v->d = n > 0 ? find_daemon(names[i]) : &vctl_daemons[0];
		v->pidfile = path_key(v->cfg, v->d->section, "PidFile");
		v->ctlsock = path_key(v->cfg, v->d->section, "ControlSocket");
		v->bin = proc_binary(v->d->name, bin, sizeof(bin)) == 0 ?
		    bin : NULL;
		if ((r = cmd->run(v)) > rc)
			rc = r;
	}
	return rc;
}

/* main - options, the command, the daemons; load the configuration, run */
int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	const struct vctl_cmd	*cmd;
	struct vctl		 v;
	struct cfg		*c;
	const char		*path = NULL;
	char			*abs = NULL;
	int			 ch, i, rc, verbose = 0;

	memset(&v, 0, sizeof(v));
	log_init("vigilctl", LOG_TO_STDERR, LOG_LVL_WARN);
	while ((ch = getopt_long(argc, argv, "c:qvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'q': v.quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(0);
		case 'V':
			printf("vigilctl %s\n", VIGIL_PKG_VERSION);
			return VX_OK;
		default: usage(VX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(VX_USAGE);
	if ((cmd = find_cmd(argv[0])) == NULL) {
		fprintf(stderr, "vigilctl: %s: unknown command\n", argv[0]);
		usage(VX_USAGE);
	}
	for (i = 1; i < argc; i++)
		if (find_daemon(argv[i]) == NULL) {
			fprintf(stderr, "vigilctl: %s: unknown daemon\n",
			    argv[i]);
			usage(VX_USAGE);
		}
	if ((v.start_timeout = env_seconds("VIGILCTL_START_TIMEOUT", 30)) < 0 ||
	    (v.stop_timeout = env_seconds("VIGILCTL_STOP_TIMEOUT", 30)) < 0)
		return VX_USAGE;
	if ((c = load_config(path, &abs)) == NULL)
		return VX_FAIL;
	v.cfg = c;
	v.cfgpath = abs;
	if (cmd->run == NULL) {
		if (!v.quiet)
			printf("%s: OK\n", cfg_filename(c));
		rc = VX_OK;
		if (verbose && cfg_dump(c, stdout) == -1)
			rc = VX_FAIL;
	} else
		rc = run(cmd, &v, argv + 1, argc - 1);
	cfg_free(c);
	free(abs);
	return rc;
}
