/*
 * log.h - diagnostics for every vigil program (OpenBSD log.h in spirit)
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  Messages are
 * lower case without a trailing period.  Until log_init() is called, or
 * when it is called with LOG_TO_STDERR, lines go to stderr prefixed with
 * the program name; otherwise they go to syslog.  log_fatal*() exit(2).
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
#define LOG_TO_STDERR	0x1

void	log_init(const char *progname, int flags, enum log_level max);
void	log_set_level(enum log_level max);
void	log_set_fd(int fd);	/* also to this file, time-stamped; -1: off */
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	log_fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * log_quote - render untrusted bytes printable: controls and non-ASCII
 * become \xHH, backslash becomes \\.  Returns dst, always NUL-terminated.
 */
char	*log_quote(char *dst, size_t dstlen, const void *src, size_t n);

#define VG_ASSERT(e) do {						\
	if (!(e))							\
		log_fatalx("assertion failed: %s (%s:%d)", #e,		\
		    __FILE__, __LINE__);				\
} while (0)

#endif
