/*
 * update.h - vigil-update's parts: the run's state, fetching, installing
 */
#ifndef VIGIL_UPDATE_H
#define VIGIL_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "manifest.h"
#include "strbuf.h"

/* exit codes (documented in the README and vigil-update -h) */
#define UPD_OK		0	/* installed, rolled back or mirrored */
#define UPD_CURRENT	1	/* already up to date; nothing to do */
#define UPD_USAGE	2	/* usage or configuration */
#define UPD_SOURCE	3	/* no source could be reached or read */
#define UPD_REFUSED	4	/* a package failed a check */
#define UPD_LOCAL	5	/* local failure: disk, permissions */
#define UPD_POSTCMD	6	/* installed, PostUpdateCmd failed */

/* report levels: [updater.report] ReportLevel */
#define R_ERR	1
#define R_WARN	2
#define R_INFO	3
#define R_DEBUG	4

struct upd {
	const char	*bases;		/* [path] BasesPath */
	const char	*cache;		/* [path] CachePath; NULL: none */
	struct vkey	*keys;
	size_t		 nkeys;
	int		 quiet, verbose;
	int		 level;		/* ReportLevel */
	FILE		*report;	/* -l / ReportFileName; NULL: syslog */
	void		*curl;		/* CURL * */
	long		 timeout, ctimeout;
	int		 use_proxy, passive_ftp;
	const char	*proxy;		/* ProxyAddress; "" none */
	int		 keep_old;	/* KeepOldBases */
	uint64_t	 fetched;	/* bytes received this run */
	int		 lockfd;
};

void	urep(struct upd *, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* update_fetch.c */
#define FETCH_REMOTE	(-1)	/* the source failed */
#define FETCH_LOCAL	(-2)	/* writing here failed (errno kept) */
int	fetch_init(struct upd *, char *err, size_t errlen);
void	fetch_fini(struct upd *);
char	*fetch_source_url(const char *src);	/* a directory as file:// */
int	fetch_mem(struct upd *, const char *base, const char *rel,
	    size_t max, struct strbuf *out, char *err, size_t errlen);
int	fetch_fd(struct upd *, const char *base, const char *rel, int fd,
	    uint64_t max, char *err, size_t errlen);

/* update_install.c: each returns an UPD_* code */
int	inst_lock(struct upd *);
int	inst_current(struct upd *, struct manifest *, char **text,
	    char *dir, size_t dirlen);	/* UPD_OK, or UPD_CURRENT: none */
int	inst_install(struct upd *, const char *base, const struct manifest *,
	    const char *text, size_t textlen, const struct manifest *cur,
	    const char *curdir);
int	inst_rollback(struct upd *);
int	inst_mirror(struct upd *, const char *base, const struct manifest *,
	    const char *text, size_t textlen, const char *dir);

#endif
