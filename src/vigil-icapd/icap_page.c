/*
 * icap_page.c - vigil-icapd block pages (templates with ${MACRO}s) and
 * the administrator's notification script
 *
 * DESIGN
 * A block page is a template the administrator may replace
 * ([icapserver.notify] NotifyTemplateDir: <status>.html, else
 * blocked.html, else the page built in here).  Templates are read per use
 * (they are small and rarely used: only blocked objects need them), so an
 * edit takes effect without a reload.  Rendering is one pass over the
 * template: "${NAME}" for a known NAME is replaced by the event's value,
 * HTML-escaped, since URLs and threat names come from the network; any
 * other byte is copied.  Everything goes through a strbuf capped at
 * ICAP_PAGE_MAX, so a big template or value fails cleanly instead of
 * growing without bound; work is linear in template plus output.
 *
 * The notify script runs detached from the request: posix_spawn, no
 * wait.  A fixed table of ICAP_NOTIFY_MAX slots, under one mutex, holds
 * the running children with their deadlines; icap_notify_reap (called
 * about once a second) collects the finished and SIGKILLs the overdue,
 * whole process group, since each child leads its own.  A full table
 * refuses the next script rather than queue it: a flood of detections
 * must not become a flood of processes.  Script text never reaches a
 * shell: arguments and environment values are passed as they are, with
 * control bytes replaced by '?', and cut at NOTIFY_VALUE_MAX bytes.
 *
 * Hand-written: the macro set is eight fixed names, smaller than any
 * template library's interface; posix_spawn is the library.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "icap_page.h"
#include "log.h"
#include "strbuf.h"

#define MACRO_MAX		16	/* longest macro name looked for */
#define STATUS_NAME_MAX		32
#define NOTIFY_VALUE_MAX	8192	/* per argument or variable */
#define NOTIFY_TIMEOUT_DEF	10
#define NOTIFY_PATH		"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

enum macro {
	M_URL, M_THREAT, M_STATUS, M_CLIENT, M_GROUP, M_ACTION, M_SERVICE,
	M_TIME, M_HOSTNAME, M_COUNT
};

static const struct {
	const char	*name;		/* in ${} */
	const char	*env;		/* notify variable; NULL: none */
} macros[M_COUNT] = {
	[M_URL] =	{ "URL",	"VIGIL_URL" },
	[M_THREAT] =	{ "THREAT",	"VIGIL_THREAT" },
	[M_STATUS] =	{ "STATUS",	"VIGIL_STATUS" },
	[M_CLIENT] =	{ "CLIENT",	"VIGIL_CLIENT" },
	[M_GROUP] =	{ "GROUP",	"VIGIL_GROUP" },
	[M_ACTION] =	{ "ACTION",	"VIGIL_ACTION" },
	[M_SERVICE] =	{ "SERVICE",	"VIGIL_SERVICE" },
	[M_TIME] =	{ "TIME",	"VIGIL_TIME" },
	[M_HOSTNAME] =	{ "HOSTNAME",	NULL },
};

static const char builtin_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<title>Access blocked</title>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>Access blocked</h1>\n"
    "<p>The object you requested was not delivered because the virus "
    "scanner found a problem with it.</p>\n"
    "<dl>\n"
    "<dt>URL</dt><dd>${URL}</dd>\n"
    "<dt>Threat</dt><dd>${THREAT}</dd>\n"
    "<dt>Status</dt><dd>${STATUS}</dd>\n"
    "<dt>Your address</dt><dd>${CLIENT}</dd>\n"
    "<dt>Time</dt><dd>${TIME}</dd>\n"
    "</dl>\n"
    "<p>If you need this object, contact your administrator and quote "
    "these details.  Server: ${HOSTNAME}.</p>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

struct notify_slot {
	pid_t		 pid;		/* 0: free */
	struct timespec	 deadline;	/* CLOCK_MONOTONIC */
};

static pthread_mutex_t		notify_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct notify_slot	notify_slots[ICAP_NOTIFY_MAX];

/* icap_page_builtin - the built-in template */
const char *
icap_page_builtin(void)
{
	return builtin_page;
}

/* rfc3339 - when (0: now) as local RFC 3339 time into buf ("" on error) */
static void
rfc3339(time_t when, char *buf, size_t len)
{
	struct tm	 tm;
	long		 off;
	size_t		 n;

	buf[0] = '\0';
	if (when == 0)
		when = time(NULL);
	if (localtime_r(&when, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return;
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		    labs(off) / 60, labs(off) % 60);
}

/* event_value - the text of macro m for ev; time and host use buf */
static const char *
event_value(const struct icap_event *ev, enum macro m, char *buf,
    size_t len)
{
	const char	*v = NULL;

	switch (m) {
	case M_URL:	v = ev->url;		break;
	case M_THREAT:	v = ev->threat;		break;
	case M_STATUS:	v = ev->status;		break;
	case M_CLIENT:	v = ev->client;		break;
	case M_GROUP:	v = ev->group;		break;
	case M_ACTION:	v = ev->action;		break;
	case M_SERVICE:	v = ev->service;	break;
	case M_TIME:
		rfc3339(ev->when, buf, len);
		v = buf;
		break;
	case M_HOSTNAME:
		if (gethostname(buf, len) == -1)
			buf[0] = '\0';
		buf[len - 1] = '\0';
		v = buf;
		break;
	case M_COUNT:
		break;
	}
	return v != NULL ? v : "";
}

/* html_append - s HTML-escaped onto sb */
static int
html_append(struct strbuf *sb, const char *s)
{
	const char	*rep;
	size_t		 run;

	for (;;) {
		run = strcspn(s, "&<>\"'");
		if (run > 0 && strbuf_append(sb, s, run) == -1)
			return -1;
		s += run;
		switch (*s) {
		case '\0':
			return 0;
		case '&':	rep = "&amp;";	break;
		case '<':	rep = "&lt;";	break;
		case '>':	rep = "&gt;";	break;
		case '"':	rep = "&quot;";	break;
		default:	rep = "&#39;";	break;
		}
		if (strbuf_append(sb, rep, strlen(rep)) == -1)
			return -1;
		s++;
	}
}

/* macro_at - the macro whose "${NAME}" starts at p (n bytes left), or -1 */
static int
macro_at(const char *p, size_t n, size_t *mlen)
{
	const char	*end;
	size_t		 len;
	int		 m;

	if (n < 4 || p[1] != '{' ||
	    (end = memchr(p + 2, '}', n - 2 < MACRO_MAX + 1 ? n - 2 :
	    MACRO_MAX + 1)) == NULL)
		return -1;
	len = (size_t)(end - (p + 2));
	for (m = 0; m < M_COUNT; m++)
		if (strlen(macros[m].name) == len &&
		    memcmp(macros[m].name, p + 2, len) == 0) {
			*mlen = len + 3;
			return m;
		}
	return -1;
}

/* icap_page_render - expand the macros of a template */
int
icap_page_render(const char *tmpl, size_t len, const struct icap_event *ev,
    char **out, size_t *outlen)
{
	static const struct icap_event	 none;
	struct strbuf			 sb;
	const char			*p = tmpl, *end = tmpl + len, *d;
	char				 buf[256];
	size_t				 mlen;
	int				 m, rc = -1;

	*out = NULL;
	*outlen = 0;
	if (ev == NULL)
		ev = &none;
	strbuf_init(&sb, ICAP_PAGE_MAX);
	while (p < end) {
		if ((d = memchr(p, '$', (size_t)(end - p))) == NULL)
			d = end;
		if (d > p && strbuf_append(&sb, p, (size_t)(d - p)) == -1)
			goto out;
		if ((p = d) == end)
			break;
		if ((m = macro_at(p, (size_t)(end - p), &mlen)) == -1) {
			if (strbuf_addc(&sb, '$') == -1)
				goto out;
			p++;
			continue;
		}
		if (html_append(&sb, event_value(ev, (enum macro)m, buf,
		    sizeof(buf))) == -1)
			goto out;
		p += mlen;
	}
	mlen = sb.len;
	if ((*out = strbuf_steal(&sb)) == NULL)	/* "" is calloc'd */
		goto out;
	*outlen = mlen;
	rc = 0;
out:
	strbuf_fini(&sb);
	return rc;
}

/* status_ok - whether status may name a template file */
static int
status_ok(const char *status)
{
	size_t	 n;

	if (status == NULL || (n = strlen(status)) == 0 ||
	    n > STATUS_NAME_MAX)
		return 0;
	return strspn(status, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/*
 * read_template - DIR/NAME.html into a malloc'd copy: 1 done, 0 skip (not
 * there, or unusable: logged), -1 ENOMEM
 */
static int
read_template(const char *dir, const char *name, char **out, size_t *len)
{
	char		 path[4096];
	struct stat	 st;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd = -1, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.html", dir, name) >=
	    sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			log_warn("block page template %s", path);
		return 0;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_warnx("block page template %s: not a regular file", path);
		goto out;
	}
	if (st.st_size > ICAP_TEMPLATE_MAX) {
		log_warnx("block page template %s: over %d bytes, ignored",
		    path, ICAP_TEMPLATE_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 2)) == NULL) {
		rc = -1;
		goto out;
	}
	/* read one byte more than stat said, to see a file that grew */
	while (got < (size_t)st.st_size + 1 &&
	    (r = read(fd, buf + got, (size_t)st.st_size + 1 - got)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_warn("block page template %s", path);
			goto out;
		}
		got += (size_t)r;
	}
	if (got > (size_t)st.st_size) {
		log_warnx("block page template %s: changed while read, "
		    "ignored", path);
		goto out;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

/* icap_page_load - the template for status */
char *
icap_page_load(const char *dir, const char *status, size_t *len)
{
	char	*t = NULL;
	int	 rc = 0;

	if (dir != NULL && dir[0] != '\0') {
		if (status_ok(status))
			rc = read_template(dir, status, &t, len);
		if (rc == 0)
			rc = read_template(dir, "blocked", &t, len);
		if (rc == -1)
			return NULL;
	}
	if (rc == 0) {
		*len = sizeof(builtin_page) - 1;
		t = strdup(builtin_page);
	}
	return t;
}

/* notify_value - v (NULL: "") cut and with controls replaced, into buf */
static void
notify_value(char *buf, size_t len, const char *prefix, const char *v)
{
	size_t	 n = strlen(prefix), i;

	snprintf(buf, len, "%s%.*s", prefix, NOTIFY_VALUE_MAX,
	    v != NULL ? v : "");
	for (i = n; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

/* ts_after - whether a is later than b */
static int
ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec :
	    a->tv_nsec > b->tv_nsec;
}

/* reap_locked - icap_notify_reap with the mutex held */
static int
reap_locked(void)
{
	struct timespec	 now;
	pid_t		 r;
	int		 i, running = 0, st;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < ICAP_NOTIFY_MAX; i++) {
		struct notify_slot *s = &notify_slots[i];

		if (s->pid == 0)
			continue;
		if ((r = waitpid(s->pid, &st, WNOHANG)) == 0 &&
		    ts_after(&now, &s->deadline)) {
			log_warnx("notify script pid %ld overdue, killed",
			    (long)s->pid);
			(void)kill(-s->pid, SIGKILL);
			(void)kill(s->pid, SIGKILL);
			r = waitpid(s->pid, &st, WNOHANG);
		}
		if (r == s->pid || (r == -1 && errno == ECHILD))
			s->pid = 0;
		else
			running++;
	}
	return running;
}

/* icap_notify_reap - collect finished scripts, kill overdue ones */
int
icap_notify_reap(void)
{
	int	 n;

	pthread_mutex_lock(&notify_mtx);
	n = reap_locked();
	pthread_mutex_unlock(&notify_mtx);
	return n;
}

/* notify_spawn - posix_spawn script detached; an errno value or 0 */
static int
notify_spawn(const char *script, char *const argv[], char *const envp[],
    pid_t *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, all;
	int				 rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&none);
	sigfillset(&all);
	if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) != 0 ||
	    (rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
	    O_WRONLY, 0)) != 0 ||
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0 ||
#endif
	    (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(&at, &all)) != 0 ||
	    (rc = posix_spawnattr_setpgroup(&at, 0)) != 0)
		goto out;
	rc = posix_spawn(pid, script, &fa, &at, argv, envp);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* icap_notify - start the notification script for ev */
int
icap_notify(const char *script, const struct icap_event *ev,
    unsigned timeout_sec)
{
	static const struct icap_event	 none;
	enum { NENV = M_HOSTNAME + 1, ENVLEN = NOTIFY_VALUE_MAX + 32 };
	char		*mem = NULL, *envp[NENV + 1], *argv[4];
	char		 name[32], vbuf[256];
	struct notify_slot *slot = NULL;
	pid_t		 pid;
	int		 i, m, rc = -1, err = 0;

	if (script == NULL || script[0] == '\0')
		return 0;
	if (script[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	if (ev == NULL)
		ev = &none;
	if (timeout_sec == 0)
		timeout_sec = NOTIFY_TIMEOUT_DEF;
	/* mem: a chunk per variable (NENV - 1), then the 2 arguments */
	if ((mem = malloc((size_t)(NENV + 2) * ENVLEN)) == NULL)
		return -1;
	for (m = 0, i = 0; m < M_COUNT; m++) {
		if (macros[m].env == NULL)
			continue;
		snprintf(name, sizeof(name), "%s=", macros[m].env);
		envp[i] = mem + (size_t)i * ENVLEN;
		notify_value(envp[i++], ENVLEN, name,
		    event_value(ev, (enum macro)m, vbuf, sizeof(vbuf)));
	}
	envp[i++] = (char *)NOTIFY_PATH;
	envp[i] = NULL;
	argv[0] = (char *)script;
	argv[1] = mem + (size_t)NENV * ENVLEN;
	argv[2] = mem + (size_t)(NENV + 1) * ENVLEN;
	argv[3] = NULL;
	notify_value(argv[1], ENVLEN, "", ev->status);
	notify_value(argv[2], ENVLEN, "", ev->url);

	pthread_mutex_lock(&notify_mtx);
	(void)reap_locked();
	for (i = 0; i < ICAP_NOTIFY_MAX && slot == NULL; i++)
		if (notify_slots[i].pid == 0)
			slot = &notify_slots[i];
	if (slot == NULL)
		err = EAGAIN;
	else if ((err = notify_spawn(script, argv, envp, &pid)) == 0) {
		slot->pid = pid;
		clock_gettime(CLOCK_MONOTONIC, &slot->deadline);
		slot->deadline.tv_sec += timeout_sec;
		rc = 0;
	}
	pthread_mutex_unlock(&notify_mtx);
	free(mem);
	if (rc == -1)
		errno = err;
	return rc;
}
