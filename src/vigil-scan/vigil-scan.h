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

struct vs_counts {
	unsigned long	 dirs, files, infected, suspicious, warning;
	unsigned long	 corrupted, protected_, errors;
	uint64_t	 bytes;
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
	/* engine */
	struct vigil_engine *engine;
	/* output */
	FILE		*report;	/* -o FILE, or NULL */
	pthread_mutex_t	 lock;		/* output and counts */
	struct vs_counts n;
};

/* vigil-scan_walk.c */
int	 vs_walk(struct vs *, char *const *paths, int npaths,
	    const char *listfile);

/* vigil-scan_out.c */
void	 vs_out_result(struct vs *, const char *path,
	    const struct vigil_result *);
void	 vs_out_error(struct vs *, const char *path, const char *why);
void	 vs_out_dir(struct vs *);
void	 vs_out_summary(struct vs *, const struct vigil_load_report *,
	    double seconds);
void	 vs_printf(struct vs *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
