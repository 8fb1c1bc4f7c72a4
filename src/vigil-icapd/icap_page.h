/*
 * icap_page.h - vigil-icapd block pages and the notification script
 */
#ifndef VIGIL_ICAP_PAGE_H
#define VIGIL_ICAP_PAGE_H

#include <stddef.h>
#include <time.h>

#define ICAP_PAGE_MAX		(1024 * 1024)	/* rendered page */
#define ICAP_TEMPLATE_MAX	(256 * 1024)	/* template file */
#define ICAP_NOTIFY_MAX		16		/* scripts running at once */

/* one blocked or detected object; all strings may be NULL (rendered "") */
struct icap_event {
	const char	*url, *threat, *status, *client, *group, *action;
	const char	*service;	/* "respmod" or "reqmod" */
	time_t		 when;		/* 0: now */
};

/*
 * icap_page_render - expand tmpl (len bytes, NULs allowed) into *out
 * (malloc'd, NUL-terminated, caller frees; *outlen its length without the
 * NUL): ${URL} ${THREAT} ${STATUS} ${CLIENT} ${GROUP} ${ACTION} ${SERVICE}
 * ${TIME} (RFC 3339, local time) ${HOSTNAME}, each value HTML-escaped
 * (& < > " ').  Unknown ${...} are left as they are.  Returns 0, or -1
 * (+errno: E2BIG when the page would pass ICAP_PAGE_MAX bytes, ENOMEM);
 * *out is NULL then.
 */
int	icap_page_render(const char *tmpl, size_t len,
	    const struct icap_event *, char **out, size_t *outlen);

/*
 * icap_page_load - the template for status (lower-case status name, e.g.
 * "infected"; NULL or not [a-z0-9_-]{1,32}: none): DIR/<status>.html, else
 * DIR/blocked.html, else the built-in page.  A file that is not a regular
 * file, cannot be read or is over ICAP_TEMPLATE_MAX bytes is skipped with
 * a log_warn*.  dir NULL or "": the built-in page.  Returns a malloc'd,
 * NUL-terminated copy (caller frees) and its length in *len; NULL only on
 * ENOMEM.
 */
char	*icap_page_load(const char *dir, const char *status, size_t *len);

/* icap_page_builtin - the built-in template (static, NUL-terminated) */
const char *icap_page_builtin(void);

/*
 * icap_notify - start script (an absolute path; NULL or "": no-op,
 * returns 0) and do not wait: argv {script, status, url}, environment
 * VIGIL_URL VIGIL_THREAT VIGIL_STATUS VIGIL_CLIENT VIGIL_GROUP
 * VIGIL_ACTION VIGIL_SERVICE VIGIL_TIME and
 * PATH=/usr/sbin:/usr/bin:/sbin:/bin only (values cut at 8 KiB), stdin
 * and stdout /dev/null, stderr inherited, no other descriptor, default
 * signal dispositions, in a process group of its own.  At most
 * ICAP_NOTIFY_MAX run at once: more is -1 + EAGAIN (the caller logs).
 * Each is killed (SIGKILL, its whole process group) once it has run
 * longer than timeout_sec (0: 10 seconds), by icap_notify_reap.  Returns
 * 0, or -1 + errno (EINVAL: not absolute; spawn errors).  Thread-safe.
 */
int	icap_notify(const char *script, const struct icap_event *,
	    unsigned timeout_sec);

/*
 * icap_notify_reap - collect the finished scripts (waitpid WNOHANG) and
 * kill the overdue ones; call about once a second from one thread (any
 * thread is safe).  Returns how many are still running.
 */
int	icap_notify_reap(void);

#endif
