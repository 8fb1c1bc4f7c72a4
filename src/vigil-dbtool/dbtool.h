/*
 * dbtool.h - vigil-dbtool's commands
 */
#ifndef VIGIL_DBTOOL_H
#define VIGIL_DBTOOL_H

#include <stdint.h>

#define DBT_LEVEL	9	/* zstd level of objects and deltas */
#define DBT_DELTAS	4	/* previous versions a build makes deltas from */

struct dbt_build {
	const char	*key;		/* secret key file */
	const char	*date;		/* NULL: now */
	uint64_t	 version;	/* 0: import takes the .cvd's */
	int		 ndeltas;
	int		 level;
};

/* exit codes */
#define DBT_OK		0
#define DBT_FAIL	1	/* refused, or a check failed */
#define DBT_USAGE	2

int	dbt_build(const struct dbt_build *, const char *srcdir,
	    const char *mirror);
int	dbt_import(const struct dbt_build *, char *const *files, int nfiles,
	    const char *mirror);

#endif
