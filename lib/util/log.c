/*
 * log.c - diagnostics to stderr or syslog
 *
 * DESIGN: one process-wide destination chosen once at start; each call
 * formats into a stack buffer and emits one write, so lines from threads
 * never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "vigil";
static int		 log_stderr = 1;
static enum log_level	 log_max = LOG_LVL_INFO;
static _Atomic int	 log_fd = -1;

/* log_init - choose destination and verbosity */
void
log_init(const char *progname, int flags, enum log_level max)
{
	log_prog = progname;
	log_stderr = (flags & LOG_TO_STDERR) != 0;
	log_max = max;
	if (!log_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* log_set_level - change verbosity */
void
log_set_level(enum log_level max)
{
	log_max = max;
}

/* log_set_fd - also write every line, time-stamped, to fd (a report
 * file); -1 stops that.  The caller owns fd. */
void
log_set_fd(int fd)
{
	log_fd = fd;
}

/* log_emit - format and write one line */
static void
log_emit(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char	 msg[2048], line[2200];
	int	 saved = errno, n;

	if (lvl > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t	 l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(saved));
	}
	if (log_stderr) {
		n = snprintf(line, sizeof(line), "%s: %s\n", log_prog, msg);
		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (write(STDERR_FILENO, line, (size_t)n) < 0)
			(void)0;
	} else if (log_fd == -1)
		syslog(prio[lvl], "%s", msg);
	if (log_fd != -1) {
		struct tm	 tm;
		time_t		 t = time(NULL);
		char		 ts[40];

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s\n", ts,
		    log_prog, (long)getpid(), msg);
		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (write(log_fd, line, (size_t)n) < 0)
			(void)0;
	}
	errno = saved;
}

#define LOG_FN(name, lvl, err)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
									\
	va_start(ap, fmt);						\
	log_emit(lvl, err, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_err, LOG_LVL_ERR, 1)
LOG_FN(log_errx, LOG_LVL_ERR, 0)

/* log_fatal - report with errno and exit 2 */
void
log_fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERR, 1, fmt, ap);
	va_end(ap);
	exit(2);
}

/* log_fatalx - report and exit 2 */
void
log_fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERR, 0, fmt, ap);
	va_end(ap);
	exit(2);
}

/* log_quote - make untrusted bytes printable */
char *
log_quote(char *dst, size_t dstlen, const void *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t	 o = 0, i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < n && o + 5 < dstlen; i++) {
		if (s[i] == '\\') {
			dst[o++] = '\\';
			dst[o++] = '\\';
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[s[i] >> 4];
			dst[o++] = hex[s[i] & 15];
		} else
			dst[o++] = (char)s[i];
	}
	dst[o] = '\0';
	return dst;
}
