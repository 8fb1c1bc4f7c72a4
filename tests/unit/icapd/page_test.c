/*
 * page_test.c - block page rendering (every macro, escaping, unknown
 * macros, the size cap), template lookup order, and the notify script:
 * its arguments and environment, the 16-script limit, overdue kills
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "icap_page.h"

static char	tmpdir[64];

/* render - icap_page_render of a NUL-terminated template, must succeed */
static char *
render(const char *t, const struct icap_event *ev)
{
	char	*out;
	size_t	 len;

	assert_int_equal(icap_page_render(t, strlen(t), ev, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

static const struct icap_event ev_all = {
	.url = "http://x.test/a", .threat = "EICAR-Test", .status = "INFECTED",
	.client = "10.0.0.1", .group = "sales", .action = "deny",
	.service = "respmod", .when = 86400 * 365,
};

static const struct {
	const char	*tmpl;
	const char	*want;
} render_cases[] = {
	{ "",			"" },
	{ "$",			"$" },
	{ "${",			"${" },
	{ "${}",		"${}" },
	{ "${URL",		"${URL" },
	{ "$${URL}",		"$http://x.test/a" },
	{ "${URL}}",		"http://x.test/a}" },
	{ "${url}",		"${url}" },
	{ "${ URL}",		"${ URL}" },
	{ "${FOO}",		"${FOO}" },
	{ "${HOSTNAMEHOSTNAMEHOSTNAME}", "${HOSTNAMEHOSTNAMEHOSTNAME}" },
	{ "$(URL) $URL",	"$(URL) $URL" },
	{ "plain text",		"plain text" },
	{ "${URL}",		"http://x.test/a" },
	{ "${THREAT}",		"EICAR-Test" },
	{ "${STATUS}",		"INFECTED" },
	{ "${CLIENT}",		"10.0.0.1" },
	{ "${GROUP}",		"sales" },
	{ "${ACTION}",		"deny" },
	{ "${SERVICE}",		"respmod" },
	{ "${TIME}",		"1971-01-01T00:00:00Z" },
	{ "<${URL}|${URL}>",	"<http://x.test/a|http://x.test/a>" },
	{ "${${URL}}",		"${http://x.test/a}" },
};

/* test_render - each macro, edges of the ${...} syntax */
static void
test_render(void **state)
{
	char	*out;
	size_t	 i;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < sizeof(render_cases) / sizeof(render_cases[0]); i++) {
		out = render(render_cases[i].tmpl, &ev_all);
		if (strcmp(out, render_cases[i].want) != 0)
			fail_msg("case %zu: '%s' gave '%s'", i,
			    render_cases[i].tmpl, out);
		free(out);
	}
}

/* test_render_values - NULLs, escaping, time zones, host name, NULs */
static void
test_render_values(void **state)
{
	struct icap_event	 ev = { .url = "<a href=\"x\">&'</a>",
	    .threat = "A&B" };
	char			 host[256], *out;
	size_t			 len;

	(void)state;
	out = render("${URL}|${THREAT}|${STATUS}|${CLIENT}|${GROUP}|"
	    "${ACTION}|${SERVICE}", &ev);
	assert_string_equal(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
	    "&lt;/a&gt;|A&amp;B|||||");
	free(out);
	out = render("[${URL}]", NULL);
	assert_string_equal(out, "[]");
	free(out);

	ev.when = 86400 * 365;
	setenv("TZ", "UTC-2", 1);	/* POSIX: two hours east */
	tzset();
	out = render("${TIME}", &ev);
	assert_string_equal(out, "1971-01-01T02:00:00+02:00");
	free(out);
	setenv("TZ", "UTC+5:30", 1);
	tzset();
	out = render("${TIME}", &ev);
	assert_string_equal(out, "1970-12-31T18:30:00-05:30");
	free(out);
	ev.when = 0;	/* now: at least well-formed */
	out = render("${TIME}", &ev);
	assert_int_equal(strlen(out), 25);
	assert_int_equal(out[10], 'T');
	free(out);
	setenv("TZ", "UTC", 1);
	tzset();

	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	out = render("${HOSTNAME}", NULL);
	assert_string_equal(out, host);
	free(out);

	/* bytes after a NUL in the template are still expanded */
	assert_int_equal(icap_page_render("a\0${THREAT}", 11, &ev, &out,
	    &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(out, "a\0A&amp;B", 10);
	free(out);
	/* a template cut inside a macro */
	assert_int_equal(icap_page_render("${THREAT}", 8, &ev, &out, &len), 0);
	assert_string_equal(out, "${THREAT");
	free(out);
}

/* test_render_cap - exactly ICAP_PAGE_MAX renders, one byte more fails */
static void
test_render_cap(void **state)
{
	struct icap_event	 ev = { 0 };
	char			*t, *out, *big;
	size_t			 len;

	(void)state;
	t = malloc(ICAP_PAGE_MAX + 1);
	assert_non_null(t);
	memset(t, 'x', ICAP_PAGE_MAX + 1);
	assert_int_equal(icap_page_render(t, ICAP_PAGE_MAX, NULL, &out, &len),
	    0);
	assert_int_equal(len, ICAP_PAGE_MAX);
	free(out);
	out = (char *)1;
	assert_int_equal(icap_page_render(t, ICAP_PAGE_MAX + 1, NULL, &out,
	    &len), -1);
	assert_int_equal(errno, E2BIG);
	assert_null(out);
	assert_int_equal(len, 0);

	/* a value that escapes past the cap: 200000 '&' are 1 MB */
	big = malloc(210000);
	assert_non_null(big);
	memset(big, '&', 209999);
	big[209999] = '\0';
	ev.url = big;
	assert_int_equal(icap_page_render("${URL}", 6, &ev, &out, &len), -1);
	assert_int_equal(errno, E2BIG);
	big[200000] = '\0';	/* 1,000,000 bytes: fits */
	assert_int_equal(icap_page_render("${URL}", 6, &ev, &out, &len), 0);
	assert_int_equal(len, 1000000);
	free(out);
	free(big);
	free(t);
}

/* put - write a file under tmpdir */
static void
put(const char *name, const char *data, size_t len)
{
	char	 p[256];
	int	 fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* rm - remove a file under tmpdir */
static void
rm(const char *name)
{
	char	 p[256];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	(void)unlink(p);
	(void)rmdir(p);
}

/* loaded - icap_page_load must give want */
static void
loaded(const char *dir, const char *status, const char *want)
{
	size_t	 len;
	char	*t = icap_page_load(dir, status, &len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	assert_string_equal(t, want);
	free(t);
}

/* test_load - status page, then blocked.html, then the built-in one */
static void
test_load(void **state)
{
	const char	*bi = icap_page_builtin();
	char		 p[256], *big;

	(void)state;
	assert_non_null(strstr(bi, "<title>Access blocked</title>"));
	loaded(NULL, "infected", bi);
	loaded("", "infected", bi);
	loaded(tmpdir, "infected", bi);
	loaded("/nonexistent/dir", "infected", bi);
	put("blocked.html", "B", 1);
	loaded(tmpdir, "infected", "B");
	loaded(tmpdir, NULL, "B");
	put("infected.html", "I", 1);
	loaded(tmpdir, "infected", "I");
	loaded(tmpdir, "suspicious", "B");
	/* status names that are not file names */
	put("INFECTED.html", "U", 1);
	loaded(tmpdir, "INFECTED", "B");
	loaded(tmpdir, "../x", "B");
	loaded(tmpdir, "", "B");
	loaded(tmpdir, "a23456789012345678901234567890123", "B");
	rm("INFECTED.html");
	/* an empty template is a template */
	put("error.html", "", 0);
	loaded(tmpdir, "error", "");
	rm("error.html");
	/* size: at the limit loads, over it is skipped */
	big = malloc(ICAP_TEMPLATE_MAX + 2);
	assert_non_null(big);
	memset(big, 'z', ICAP_TEMPLATE_MAX + 1);
	big[ICAP_TEMPLATE_MAX + 1] = '\0';
	put("warning.html", big, ICAP_TEMPLATE_MAX + 1);
	loaded(tmpdir, "warning", "B");
	put("warning.html", big, ICAP_TEMPLATE_MAX);
	big[ICAP_TEMPLATE_MAX] = '\0';
	loaded(tmpdir, "warning", big);
	rm("warning.html");
	free(big);
	/* not a regular file: a directory, a FIFO (must not block) */
	snprintf(p, sizeof(p), "%s/protected.html", tmpdir);
	assert_int_equal(mkdir(p, 0755), 0);
	loaded(tmpdir, "protected", "B");
	rm("protected.html");
	assert_int_equal(mkfifo(p, 0644), 0);
	loaded(tmpdir, "protected", "B");
	rm("protected.html");
	rm("infected.html");
	rm("blocked.html");
	loaded(tmpdir, "infected", bi);
}

/* script - write an executable script under tmpdir, return its path */
static void
script(const char *name, const char *body, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", tmpdir, name);
	put(name, body, strlen(body));
	assert_int_equal(chmod(path, 0755), 0);
}

/* reap_all - icap_notify_reap until nothing runs; seconds taken */
static double
reap_all(double max_sec)
{
	struct timespec	 a, b, nap = { 0, 20 * 1000 * 1000 };
	double		 t = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	while (icap_notify_reap() > 0) {
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t = (double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (t > max_sec)
			fail_msg("scripts still running after %.1f s", t);
	}
	return t;
}

/* slurp - a small file under tmpdir as a string (static buffer) */
static const char *
slurp(const char *name)
{
	static char	 buf[65536];
	char		 p[256];
	ssize_t		 n;
	int		 fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	if ((fd = open(p, O_RDONLY)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* test_notify_env - arguments, environment, descriptors */
static void
test_notify_env(void **state)
{
	struct icap_event	 ev = ev_all;
	char			 path[256], body[1024];
	const char		*out;
	int			 fd;

	(void)state;
	assert_int_equal(icap_notify(NULL, &ev, 1), 0);
	assert_int_equal(icap_notify("", &ev, 1), 0);
	assert_int_equal(icap_notify("notify.sh", &ev, 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(icap_notify("/nonexistent/notify.sh", &ev, 1), -1);
	assert_int_equal(icap_notify_reap(), 0);

	snprintf(body, sizeof(body), "#!/bin/sh\n"
	    "{ echo \"argc=$#\"; echo \"arg1=$1\"; echo \"arg2=$2\";\n"
	    "  env | grep -v '^PWD=\\|^SHLVL=\\|^_=' | sort;\n"
	    "  [ -e /proc/$$/fd/7 ] && echo fd7=open;\n"
	    "  echo \"in=$(readlink /proc/$$/fd/0)\";\n"
	    "} > %s/env.tmp\nmv %s/env.tmp %s/env.out\n",
	    tmpdir, tmpdir, tmpdir);
	script("env.sh", body, path, sizeof(path));
	/* a descriptor without close-on-exec must not leak into it */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 7), 7);
	ev.url = "http://x.test/a b\nX-Evil: 1";
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(icap_notify(path, &ev, 10), 0);
	reap_all(10);
	close(7);
	close(fd);
	out = slurp("env.out");
	assert_non_null(out);
	assert_string_equal(out,
	    "argc=2\n"
	    "arg1=INFECTED\n"
	    "arg2=http://x.test/a b?X-Evil: 1\n"
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "VIGIL_ACTION=deny\n"
	    "VIGIL_CLIENT=10.0.0.1\n"
	    "VIGIL_GROUP=sales\n"
	    "VIGIL_SERVICE=respmod\n"
	    "VIGIL_STATUS=INFECTED\n"
	    "VIGIL_THREAT=EICAR-Test\n"
	    "VIGIL_TIME=1971-01-01T00:00:00Z\n"
	    "VIGIL_URL=http://x.test/a b?X-Evil: 1\n"
	    "in=/dev/null\n");
	rm("env.out");
	rm("env.sh");

	/* a NULL event: empty values */
	snprintf(body, sizeof(body), "#!/bin/sh\n"
	    "echo \"[$1][$2][$VIGIL_URL][$VIGIL_THREAT]\" > %s/null.out\n",
	    tmpdir);
	script("null.sh", body, path, sizeof(path));
	assert_int_equal(icap_notify(path, NULL, 10), 0);
	reap_all(10);
	assert_string_equal(slurp("null.out"), "[][][][]\n");
	rm("null.out");
	rm("null.sh");
}

/* test_notify_limit - the 17th concurrent script is refused; overdue
 * scripts and their children are killed */
static void
test_notify_limit(void **state)
{
	char		 path[256], body[512], st[64];
	const char	*out;
	double		 t;
	long		 child;
	int		 i;
	FILE		*f;

	(void)state;
	snprintf(body, sizeof(body), "#!/bin/sh\n"
	    "sleep 60 &\necho $! > %s/child.$$\nwait\n", tmpdir);
	script("sleep.sh", body, path, sizeof(path));
	for (i = 0; i < ICAP_NOTIFY_MAX; i++)
		assert_int_equal(icap_notify(path, &ev_all, 1), 0);
	assert_int_equal(icap_notify(path, &ev_all, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(icap_notify_reap(), ICAP_NOTIFY_MAX);
	t = reap_all(8);
	assert_true(t >= 0.5);
	/* their sleep children died with them (or are zombies of init) */
	snprintf(body, sizeof(body), "cat %s/child.* 2>/dev/null", tmpdir);
	f = popen(body, "r");
	assert_non_null(f);
	i = 0;
	while (fscanf(f, "%ld", &child) == 1) {
		i++;
		snprintf(st, sizeof(st), "/proc/%ld/stat", child);
		out = NULL;
		if (kill((pid_t)child, 0) == 0) {
			FILE	*sf = fopen(st, "r");
			char	 line[256] = "";

			if (sf != NULL) {
				(void)fgets(line, sizeof(line), sf);
				fclose(sf);
			}
			out = strrchr(line, ')');
			assert_true(out == NULL || out[2] == 'Z');
		}
	}
	pclose(f);
	assert_true(i > 0);
	snprintf(body, sizeof(body), "rm -f %s/child.*", tmpdir);
	assert_int_equal(system(body), 0);
	rm("sleep.sh");
	/* slots are free again */
	snprintf(body, sizeof(body), "#!/bin/sh\nexit 0\n");
	script("true.sh", body, path, sizeof(path));
	for (i = 0; i < ICAP_NOTIFY_MAX; i++)
		assert_int_equal(icap_notify(path, NULL, 5), 0);
	reap_all(10);
	rm("true.sh");
}

/* setup - a private temporary directory */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/page_test.XXXXXX");
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
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_values),
		cmocka_unit_test(test_render_cap),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_notify_env),
		cmocka_unit_test(test_notify_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
