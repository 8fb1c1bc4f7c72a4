/*
 * stats_test.c - the statistics files: written whole, mode 0644, parsed
 * back key by key; empty paths skipped; errors name the path
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "icap_stats.h"
#include "vigil/vigil.h"

static char	tmpdir[64];

struct kvs {
	char	key[32][32];
	char	val[32][32];
	int	n;
	int	comments;
};

/* parse - a statistics file into kv; every line a comment or Key=value */
static void
parse(const char *name, struct kvs *kv)
{
	char	 p[256], line[256], *eq;
	FILE	*f;

	memset(kv, 0, sizeof(*kv));
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strchr(line, '\n'));
		*strchr(line, '\n') = '\0';
		if (line[0] == '#') {
			assert_int_equal(kv->n, 0);	/* header first */
			kv->comments++;
			continue;
		}
		assert_non_null(eq = strchr(line, '='));
		*eq = '\0';
		assert_true(kv->n < 32);
		assert_true(strlen(line) < 32 && strlen(eq + 1) < 32);
		memcpy(kv->key[kv->n], line, strlen(line) + 1);
		memcpy(kv->val[kv->n], eq + 1, strlen(eq + 1) + 1);
		kv->n++;
	}
	fclose(f);
	assert_int_equal(kv->comments, 1);
}

/* want - the keys in order with their values */
static void
want(const struct kvs *kv, const char *const *keys, const char *const *vals,
    int n)
{
	int	 i;

	assert_int_equal(kv->n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(kv->key[i], keys[i]);
		if (vals[i] != NULL)
			assert_string_equal(kv->val[i], vals[i]);
	}
}

/* mode_of - permission bits of a file under tmpdir */
static unsigned
mode_of(const char *name)
{
	char		 p[256];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

/* nfiles - entries of tmpdir (no temporary left behind) */
static int
nfiles(void)
{
	DIR		*d = opendir(tmpdir);
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* test_write - both files, every key */
static void
test_write(void **state)
{
	static const char *const avk[] = { "Clean", "Cured", "Error",
	    "Corrupted", "Protected", "Warning", "Suspicious", "Infected",
	    "ScannedObjects", "ScannedBytes", "Blocked" };
	static const char *const avv[] = { "1", "2", "3", "4", "5", "6", "7",
	    "18446744073709551615", "2", "123456789", "9" };
	static const char *const ck[] = { "Uptime", "Connections",
	    "OpenConnections", "Requests", "OptionsRequests",
	    "ReqmodRequests", "RespmodRequests", "Answered204",
	    "Answered204Preview", "Answered200", "Excluded", "Errors4xx",
	    "Errors5xx", "BytesIn", "BytesOut", "AverageScanMs",
	    "VigildErrors" };
	static const char *const cv[] = { NULL, "40", "3", "60", "10", "20",
	    "30", "11", "12", "13", "14", "15", "16", "17", "18",
	    "1500.250", "19" };
	struct icap_counters	 c;
	struct kvs		 kv;
	char			 av[256], cnt[256], err[256];
	mode_t			 um;
	int			 i;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 7; i++)
		atomic_store(&c.status[i], (uint64_t)i + 1);
	atomic_store(&c.status[VIGIL_INFECTED], UINT64_MAX);
	atomic_store(&c.scanned_objects, 2);
	atomic_store(&c.scanned_bytes, 123456789);
	atomic_store(&c.blocked, 9);
	atomic_store(&c.conn_accepted, 40);
	atomic_store(&c.conn_open, 3);
	atomic_store(&c.options, 10);
	atomic_store(&c.reqmod, 20);
	atomic_store(&c.respmod, 30);
	atomic_store(&c.answered_204, 11);
	atomic_store(&c.preview_204, 12);
	atomic_store(&c.answered_200, 13);
	atomic_store(&c.excluded, 14);
	atomic_store(&c.errors_4xx, 15);
	atomic_store(&c.errors_5xx, 16);
	atomic_store(&c.bytes_in, 17);
	atomic_store(&c.bytes_out, 18);
	atomic_store(&c.scan_usec_total, 3000500);
	atomic_store(&c.vigild_errors, 19);
	snprintf(av, sizeof(av), "%s/av.stats", tmpdir);
	snprintf(cnt, sizeof(cnt), "%s/cnt.stats", tmpdir);
	um = umask(077);	/* the files are 0644 all the same */
	assert_int_equal(icap_stats_write(&c, time(NULL) - 100, av, cnt, err,
	    sizeof(err)), 0);
	umask(um);
	parse("av.stats", &kv);
	want(&kv, avk, avv, 11);
	parse("cnt.stats", &kv);
	want(&kv, ck, cv, 17);
	assert_true(strcmp(kv.val[0], "100") == 0 ||
	    strcmp(kv.val[0], "101") == 0);
	assert_int_equal(mode_of("av.stats"), 0644);
	assert_int_equal(mode_of("cnt.stats"), 0644);
	assert_int_equal(nfiles(), 2);

	/* rewritten in place; no scans yet: average 0 */
	memset(&c, 0, sizeof(c));
	assert_int_equal(icap_stats_write(&c, time(NULL) + 5, av, cnt, err,
	    sizeof(err)), 0);
	parse("cnt.stats", &kv);
	assert_string_equal(kv.val[0], "0");
	assert_string_equal(kv.key[15], "AverageScanMs");
	assert_string_equal(kv.val[15], "0.000");
	parse("av.stats", &kv);
	assert_string_equal(kv.val[7], "0");
	assert_int_equal(nfiles(), 2);
	unlink(av);
	unlink(cnt);
}

/* test_skip_and_errors - empty paths, a missing directory */
static void
test_skip_and_errors(void **state)
{
	struct icap_counters	 c;
	char			 p[256], err[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	assert_int_equal(icap_stats_write(&c, 0, NULL, "", err, sizeof(err)),
	    0);
	assert_int_equal(nfiles(), 0);
	snprintf(p, sizeof(p), "%s/only-cnt", tmpdir);
	assert_int_equal(icap_stats_write(&c, 0, "", p, err, sizeof(err)), 0);
	assert_int_equal(nfiles(), 1);
	unlink(p);
	snprintf(p, sizeof(p), "%s/no/such/dir/av", tmpdir);
	assert_int_equal(icap_stats_write(&c, 0, p, NULL, err, sizeof(err)),
	    -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(nfiles(), 0);
	/* a directory where the file should be: rename fails, no temp left */
	snprintf(p, sizeof(p), "%s/isdir", tmpdir);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(icap_stats_write(&c, 0, NULL, p, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, p));
	assert_int_equal(nfiles(), 1);
	rmdir(p);
}

/* setup - a private temporary directory */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/stats_test.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skip_and_errors),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
