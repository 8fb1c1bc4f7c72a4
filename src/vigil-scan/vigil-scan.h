/*
 * vigil-scan.h - state shared by the on-demand scanner's files
 */
#ifndef VIGIL_SCAN_H
#define VIGIL_SCAN_H

#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/vigil.h"
#include "vigil-scan_act.h"

#define VS_NSTATUS	8	/* enum vigil_status values */

struct fcache;
struct qstore;
struct stat;
struct strbuf;
struct vs_found;

enum vs_action { VS_CURED, VS_REMOVED, VS_MOVED, VS_QUARANTINED, VS_NACTION };

struct vs_counts {
	unsigned long	 dirs, files, infected, suspicious, warning;
	unsigned long	 corrupted, protected_, errors;
	uint64_t	 bytes;
	unsigned long	 cached;		/* skipped: unchanged and clean */
	unsigned long	 action[VS_NACTION];
};

struct vs {
	/* options */
	int		 recursive;
	int		 threads;
	int		 json;
	int		 quiet;		/* detections and errors only */
	int		 summary;
	int		 show_ok;
	const char	*const *exclude_dirs;
	size_t		 nexclude_dirs;
	const char	*const *exclude_masks;
	size_t		 nexclude_masks;
	struct vigil_limits lim;
	int		 cure;		/* Cure=yes or -i1..3 */
	int		 imode;		/* -i0..3; -1: not given */
	int		 local_only;	/* stay on local file systems */
	int		 one_fs;	/* -a: each mount point alone */
	unsigned	 exec_timeout;
	struct act_list	 obj[VS_NSTATUS];	/* [scanner.object] rules */
	struct act_list	 cont[VS_NSTATUS];	/* [scanner.container] */
	struct qstore	*quar, *backup;
	pthread_mutex_t	 qlock;
	struct fcache	*fc;		/* iChecker, or NULL */
	struct vs_found	*found;		/* iChecker, files with findings */
	FILE		*lists[VS_NSTATUS];	/* -pX FILE */
	/* engine, or vigild */
	struct vigil_engine *engine;	/* NULL with daemon */
	const char	*daemon;	/* --daemon: vigild's address */
	char		 daemon_db[65];	/* its database version, as seen */
	/* output */
	FILE		*report;	/* -o FILE, or NULL */
	pthread_mutex_t	 lock;		/* output and counts */
	struct vs_counts n;
};

/* vigil-scan_walk.c */
int	 vs_walk(struct vs *, char *const *paths, int npaths,
	    const char *listfile);

/* vigil-scan_scanner.c */
struct vs_scanner;
struct vs_scanner *vs_scanner_new(struct vs *);
void	 vs_scanner_free(struct vs_scanner *);
enum vigil_err vs_scan_fd(struct vs_scanner *, int,
	    const struct vigil_limits *, struct vigil_result *);
enum vigil_err vs_cure_fd(struct vs_scanner *, int, int,
	    const struct vigil_limits *, struct vigil_result *);

/* vigil-scan_do.c */
void	 vs_object(struct vs *, struct vs_scanner *, const char *path);

/* vigil-scan_found.c */
struct vs_found	*vs_found_open(const char *path, const char *context);
const char	*vs_found_lookup(struct vs_found *, const struct stat *,
		    int *status, int *container);
void		 vs_found_store(struct vs_found *, const struct stat *,
		    int status, int container, const char *, size_t);
int		 vs_found_save(struct vs_found *);
void		 vs_found_close(struct vs_found *);

/* vigil-scan_out.c */
void	 vs_out_cached(struct vs *, const char *path, uint64_t size);
void	 vs_note(struct vs *, const char *path, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 vs_count_action(struct vs *, enum vs_action);
void	 vs_out_result(struct vs *, const char *path,
	    const struct vigil_result *, struct strbuf *keep);
void	 vs_out_replay(struct vs *, const char *text, int status);
void	 vs_out_error(struct vs *, const char *path, const char *why);
void	 vs_out_dir(struct vs *);
void	 vs_out_summary(struct vs *, const struct vigil_load_report *,
	    double seconds);
void	 vs_printf(struct vs *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
