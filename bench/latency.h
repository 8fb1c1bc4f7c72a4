/*
 * latency.h - the latency figures the benchmarks' load generators print:
 * sort the per-request times, then read nearest-rank percentiles.  Each
 * load generator is one C file built by its run.sh; this header is the
 * part they share.
 */
#ifndef VIGIL_BENCH_LATENCY_H
#define VIGIL_BENCH_LATENCY_H

#include <stdlib.h>

/* lat_cmp - qsort order of doubles */
static int
lat_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* lat_sort - sort v[n] ascending */
static inline void
lat_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(double), lat_cmp);
}

/* lat_pct - p in [0,1] of sorted v[n] (nearest rank); 0 when empty */
static inline double
lat_pct(const double *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return 0;
	i = (size_t)(p * n + 0.999999);
	return v[i == 0 ? 0 : (i > n ? n - 1 : i - 1)];
}

#endif
