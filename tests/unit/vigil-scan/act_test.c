/*
 * act_test.c - action rules: parse, shell rewrite, exec with hostile
 * names, timeouts, relocate and remove in a temporary tree
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "strbuf.h"
#include "vigil-scan_act.h"

static char	 tmp[64];		/* per-test temporary directory */

/* tpath - path under tmp in a static rotating buffer */
static const char *
tpath(const char *fmt, ...)
{
	static char	 buf[8][1024];
	static int	 i;
	char		 rel[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel);
	return buf[i];
}

/* put - create a file with content and mode */
static void
put(const char *path, const char *data, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* slurp - a whole file into a static buffer; length in *n, NULL if none */
static const char *
slurp(const char *path, size_t *n)
{
	static char	 buf[65536];
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(r >= 0);
	buf[r] = '\0';
	*n = (size_t)r;
	return buf;
}

/* exists - does path exist (without following a last symlink)? */
static int
exists(const char *path)
{
	struct stat	 st;

	return lstat(path, &st) == 0;
}

/* setup - a fresh temporary directory */
static int
setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/act_test.XXXXXX");
	return mkdtemp(tmp) == NULL ? -1 : 0;
}

/* teardown - remove the temporary tree */
static int
teardown(void **state)
{
	char	 cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", tmp,
	    tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct parse_case {
	const char	*text;
	size_t		 n;
	enum act_kind	 kind[3];
	const char	*arg[3];
	int		 shell[3];
} parse_ok[] = {
	/* every word, any case */
	{ "report", 1, { ACT_INFORM }, { NULL }, { 0 } },
	{ "INFORM", 1, { ACT_INFORM }, { NULL }, { 0 } },
	{ "Cure", 1, { ACT_CURE }, { NULL }, { 0 } },
	{ "remove", 1, { ACT_REMOVE }, { NULL }, { 0 } },
	{ "delete", 1, { ACT_REMOVE }, { NULL }, { 0 } },
	{ "move /q", 1, { ACT_MOVE }, { "/q" }, { 0 } },
	{ "MOVEPATH /q/", 1, { ACT_MOVEPATH }, { "/q" }, { 0 } },
	{ "copy\t/q x ", 1, { ACT_COPY }, { "/q x" }, { 0 } },
	{ "copypath /", 1, { ACT_COPYPATH }, { "/" }, { 0 } },
	/* fuzz: a DIR ending in " /" must read back the same */
	{ "copy /x /", 1, { ACT_COPY }, { "/x" }, { 0 } },
	{ "copy / /", 1, { ACT_COPY }, { "/" }, { 0 } },
	{ "quarantine", 1, { ACT_QUARANTINE }, { NULL }, { 0 } },
	{ "exec ls -l", 1, { ACT_EXEC }, { "ls -l" }, { 0 } },
	{ "shell ls -l", 1, { ACT_EXEC }, { "ls -l" }, { 1 } },
	{ "skip", 1, { ACT_SKIP }, { NULL }, { 0 } },
	{ "none", 1, { ACT_SKIP }, { NULL }, { 0 } },
	{ "Pass", 1, { ACT_SKIP }, { NULL }, { 0 } },
	/* separators */
	{ " ;report;; cure ; ", 2, { ACT_INFORM, ACT_CURE }, { NULL, NULL },
	    { 0, 0 } },
	{ "exec a;", 1, { ACT_EXEC }, { "a" }, { 0 } },
	{ "exec a; ;", 1, { ACT_EXEC }, { "a" }, { 0 } },
	{ "exec a \\;", 1, { ACT_EXEC }, { "a \\;" }, { 1 } },
	{ "exec echo 'x; report'; cure", 2, { ACT_EXEC, ACT_CURE },
	    { "echo 'x; report'", NULL }, { 1, 0 } },
	{ "exec a; b; shell c", 2, { ACT_EXEC, ACT_EXEC }, { "a; b", "c" },
	    { 1, 1 } },
	{ "exec 100%% %FOO%", 1, { ACT_EXEC }, { "100%% %FOO%" }, { 0 } },
	/* the admin guide */
	{ "movePath /tmp/infected", 1, { ACT_MOVEPATH }, { "/tmp/infected" },
	    { 0 } },
	{ "exec /opt/x/contrib/vox.sh %FULLPATH%/%FILENAME%", 1,
	    { ACT_EXEC }, { "/opt/x/contrib/vox.sh %FULLPATH%/%FILENAME%" },
	    { 0 } },
	{ "exec echo %FULLPATH%/%FILENAME% is infected by %VIRUSNAME% | "
	    "mail -s kavscanner admin@example.com", 1, { ACT_EXEC },
	    { "echo %FULLPATH%/%FILENAME% is infected by %VIRUSNAME% | "
	    "mail -s kavscanner admin@example.com" }, { 1 } },
	{ "exec echo archive %FULLPATH%/%FILENAME% is infected, viruses "
	    "list is in the attached file %LIST% | mail -s kavscanner -a "
	    "%LIST% admin@example.com", 1, { ACT_EXEC },
	    { "echo archive %FULLPATH%/%FILENAME% is infected, viruses "
	    "list is in the attached file %LIST% | mail -s kavscanner -a "
	    "%LIST% admin@example.com" }, { 1 } },
	{ "exec mv %FULLPATH%/%FILENAME% /tmp/infected/%FILENAME%; "
	    "chmod -x /tmp/infected/%FILENAME%", 1, { ACT_EXEC },
	    { "mv %FULLPATH%/%FILENAME% /tmp/infected/%FILENAME%; "
	    "chmod -x /tmp/infected/%FILENAME%" }, { 1 } },
	{ ACT_DEFAULT_RULE, 1, { ACT_INFORM }, { NULL }, { 0 } },
};

/* test_parse_ok - kinds, arguments and shell flags */
static void
test_parse_ok(void **state)
{
	struct act_list	 l;
	char		 err[128];
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		const struct parse_case *c = &parse_ok[i];

		if (act_parse(c->text, &l, err, sizeof(err)) != 0)
			fail_msg("%s: %s", c->text, err);
		assert_int_equal(l.n, c->n);
		for (j = 0; j < c->n; j++) {
			assert_int_equal(l.v[j].kind, c->kind[j]);
			if (c->arg[j] == NULL)
				assert_null(l.v[j].arg);
			else
				assert_string_equal(l.v[j].arg, c->arg[j]);
			assert_int_equal(l.v[j].shell, c->shell[j]);
		}
		act_list_free(&l);
		assert_null(l.v);
	}
}

static const struct {
	const char	*text;
	const char	*why;
} parse_bad[] = {
	{ "", "empty rule" },
	{ " ;; ", "empty rule" },
	{ "bogus", "unknown action 'bogus'" },
	{ "report; Frob x", "unknown action 'Frob'" },
	{ "reportx", "unknown action 'reportx'" },
	{ "bad\x01word", "unknown action 'bad\\x01word'" },
	{ "report now", "report takes no argument" },
	{ "move", "move needs a directory" },
	{ "move ;", "move needs a directory" },
	{ "copy relative/dir", "copy: directory must be an absolute path" },
	{ "copy /a\tb\x01", "copy: directory must be an absolute path" },
	{ "exec", "exec needs a command" },
	{ "shell ;", "shell needs a command" },
	{ "exec ;;", "exec needs a command" },
	{ "exec echo 'x", "exec: unterminated quote" },
	{ "exec echo \"x\\\"", "exec: unterminated quote" },
	{ "exec echo x\\", "exec: command ends with a backslash" },
	{ "exec echo x\\ ", "exec: command ends with a backslash" },
	{ "skip;skip;skip;skip;skip;skip;skip;skip;skip;skip;skip;skip;"
	    "skip;skip;skip;skip;skip", "more than 16 actions" },
};

/* test_parse_bad - every error names the reason; out is left empty */
static void
test_parse_bad(void **state)
{
	struct act_list	 l;
	char		 err[128], *big;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		l.v = (void *)&l;
		assert_int_equal(act_parse(parse_bad[i].text, &l, err,
		    sizeof(err)), -1);
		assert_string_equal(err, parse_bad[i].why);
		assert_null(l.v);
		assert_int_equal(l.n, 0);
	}
	/* max fits, max+1 does not */
	big = malloc(ACT_RULE_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', ACT_RULE_MAX + 1);
	memcpy(big, "exec x", 6);
	big[ACT_RULE_MAX] = '\0';
	assert_int_equal(act_parse(big, &l, err, sizeof(err)), 0);
	assert_string_equal(l.v[0].arg, "x");
	act_list_free(&l);
	big[ACT_RULE_MAX] = ' ';
	big[ACT_RULE_MAX + 1] = '\0';
	assert_int_equal(act_parse(big, &l, err, sizeof(err)), -1);
	assert_string_equal(err, "rule longer than 4096 bytes");
	/* a tiny err buffer is not overrun */
	assert_int_equal(act_parse("bogus", &l, err, 4), -1);
	assert_string_equal(err, "unk");
	assert_int_equal(act_parse("bogus", &l, NULL, 0), -1);
	free(big);
}

/* test_describe - canonical words; the text parses back the same */
static void
test_describe(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "inform; DELETE; pass", "report; remove; skip" },
		{ "movePath /tmp/infected/", "movePath /tmp/infected" },
		{ "move /q; copy /\xff\xff\xffopyPath /; MOVEPATH /a b",
		    "move /q; copy /\xff\xff\xffopyPath; movePath /a b" },
		{ "shell ls", "shell ls" },
		{ "shell ls | wc", "exec ls | wc" },
		{ "exec mv a b; chmod -x b;copy /c",
		    "exec mv a b; chmod -x b; copy /c" },
	};
	struct act_list	 l, l2;
	char		 buf[256], buf2[256], err[128];
	size_t		 i, j;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(act_parse(c[i].in, &l, err, sizeof(err)), 0);
		act_describe(&l, buf, sizeof(buf));
		assert_string_equal(buf, c[i].out);
		assert_int_equal(act_parse(buf, &l2, err, sizeof(err)), 0);
		assert_int_equal(l.n, l2.n);
		for (j = 0; j < l.n; j++) {
			assert_int_equal(l.v[j].kind, l2.v[j].kind);
			assert_int_equal(l.v[j].shell, l2.v[j].shell);
		}
		act_describe(&l2, buf2, sizeof(buf2));
		assert_string_equal(buf, buf2);
		act_list_free(&l2);
		act_list_free(&l);
	}
	assert_int_equal(act_parse("movePath /tmp/infected", &l, err,
	    sizeof(err)), 0);
	act_describe(&l, buf, 10);
	assert_string_equal(buf, "movePa...");
	act_describe(&l, buf, 1);
	assert_string_equal(buf, "");
	assert_true(act_has(&l, ACT_MOVEPATH));
	assert_false(act_has(&l, ACT_MOVE));
	act_list_free(&l);
	act_list_free(&l);	/* twice is harmless */
	act_list_free(NULL);
}

/* test_shell_script - the rewrite for each quoting context */
static void
test_shell_script(void **state)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "", "" },
		{ "%", "%" },
		{ "a\\", "a\\" },
		{ "echo %FILENAME%", "echo \"${VIGIL_FILENAME}\"" },
		{ "echo \"a %FILENAME% b\"", "echo \"a ${VIGIL_FILENAME} b\"" },
		{ "echo 'a %FILENAME% b'",
		    "echo 'a '\"${VIGIL_FILENAME}\"' b'" },
		{ "echo 100%% done", "echo 100% done" },
		{ "echo %%FILENAME%", "echo %\"\"FILENAME%" },
		{ "echo '%%FILENAME%'", "echo '%''FILENAME%'" },
		{ "echo %%%FILENAME%", "echo %\"${VIGIL_FILENAME}\"" },
		{ "echo %FOO% %SIZE%%DATE%",
		    "echo %FOO% \"${VIGIL_SIZE}\"\"${VIGIL_DATE}\"" },
		{ "echo %filename%", "echo %filename%" },
		{ "echo \\%FILENAME%", "echo \"${VIGIL_FILENAME}\"" },
		{ "echo \\%%", "echo \\%" },
		{ "echo \"$(basename %FULLPATH%)\"",
		    "echo \"$(basename \"${VIGIL_FULLPATH}\")\"" },
		{ "echo `echo %STATUS%`", "echo `echo \"${VIGIL_STATUS}\"`" },
		{ "echo \"`echo %STATUS%`\"",
		    "echo \"`echo \"${VIGIL_STATUS}\"`\"" },
		{ "echo \"\\\"%OBJECT%\\\"\"",
		    "echo \"\\\"${VIGIL_OBJECT}\\\"\"" },
		{ "(echo %LIST%) \"x\"%LIST%",
		    "(echo \"${VIGIL_LIST}\") \"x\"\"${VIGIL_LIST}\"" },
		{ "echo it's %VIRUSNAME%",
		    "echo it's '\"${VIGIL_VIRUSNAME}\"'" },
	};
	struct strbuf	 sb;
	char		 deep[200];
	size_t		 i;

	(void)state;
	strbuf_init(&sb, 1 << 16);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		strbuf_reset(&sb);
		assert_int_equal(act_shell_script(c[i].in, &sb), 0);
		assert_string_equal(sb.data != NULL ? sb.data : "", c[i].out);
	}
	/* nesting past the stack and output past the cap fail cleanly */
	memset(deep, '(', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(act_shell_script(deep, &sb), -1);
	strbuf_fini(&sb);
	strbuf_init(&sb, 8);
	assert_int_equal(act_shell_script("%FILENAME%", &sb), -1);
	assert_int_equal(errno, E2BIG);
	strbuf_fini(&sb);
}

static const char *const hostile[] = {
	"a b", "$(touch PWN)", ";touch PWN", "\"", "'", "x\ny", "-rf",
	"`touch PWN`", "*", "a\tb", "%FILENAME%", "\\", "", "${IFS}",
};

/* hostile_name - hostile[i] with PWN naming a marker file in tmp */
static const char *
hostile_name(size_t i)
{
	static char	 buf[PATH_MAX];
	const char	*p = strstr(hostile[i], "PWN");

	if (p == NULL)
		return hostile[i];
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - hostile[i]),
	    hostile[i], tpath("pwn"), p + 3);
	return buf;
}

/* run - parse rule text with one action, exec it, return its status */
static int
run(const char *rule, const struct act_vars *v, unsigned timeout,
    int want_shell, char *err, size_t errlen)
{
	struct act_list	 l;
	int		 r;

	if (act_parse(rule, &l, err, errlen) != 0)
		fail_msg("%s: %s", rule, err);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].shell, want_shell);
	r = act_exec(&l.v[0], v, timeout, err, errlen);
	act_list_free(&l);
	return r;
}

/* test_exec_direct - every hostile value arrives as one intact argument */
static void
test_exec_direct(void **state)
{
	struct act_vars	 v = { "/some dir", NULL, "Eicar, Other", "INFECTED",
	    NULL, NULL, 68 };
	char		 rule[PATH_MAX * 2], want[4096], err[256];
	const char	*got;
	size_t		 i, n, wn;

	(void)state;
	put(tpath("dump.sh"), "#!/bin/sh\nout=$1; shift\n"
	    "for a do printf '%s\\0' \"$a\"; done > \"$out\"\n", 0755);
	snprintf(rule, sizeof(rule), "exec %s %s %%FILENAME%% "
	    "%%FULLPATH%%/%%FILENAME%% x%%VIRUSNAME%%y %%OBJECT%% "
	    "%%SIZE%%%%%%", tpath("dump.sh"), tpath("out"));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		v.filename = hostile_name(i);
		unlink(tpath("out"));
		assert_int_equal(run(rule, &v, 10, 0, err, sizeof(err)), 0);
		wn = (size_t)snprintf(want, sizeof(want),
		    "%s%c/some dir/%s%cxEicar, Othery%c%c68%%", v.filename, 0,
		    v.filename, 0, 0, 0) + 1;
		assert_non_null(got = slurp(tpath("out"), &n));
		assert_int_equal(n, wn);
		assert_memory_equal(got, want, wn);
		assert_false(exists(tpath("pwn")));
	}
}

/* test_exec_shell - the same names through /bin/sh: no injection */
static void
test_exec_shell(void **state)
{
	struct act_vars	 v = { "/d", NULL, "V", "INFECTED", "in/side",
	    NULL, 1234 };
	char		 rule[PATH_MAX * 2], want[4096], err[256];
	const char	*got;
	size_t		 i, n;

	(void)state;
	snprintf(rule, sizeof(rule), "shell printf '[%%s]' %%FILENAME%% "
	    "\"<%%FILENAME%%>\" '{%%FILENAME%%}' %%FULLPATH%%/%%FILENAME%% "
	    "`echo %%OBJECT%%` \"$VIGIL_SIZE\" > %s", tpath("out"));
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		v.filename = hostile_name(i);
		unlink(tpath("out"));
		assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "[%s][<%s>][{%s}][/d/%s]"
		    "[in/side][1234]", v.filename, v.filename, v.filename,
		    v.filename);
		assert_non_null(got = slurp(tpath("out"), &n));
		assert_string_equal(got, want);
		assert_false(exists(tpath("pwn")));
	}
}

/* test_exec_guide - the guide's piped form, mail replaced by cat */
static void
test_exec_guide(void **state)
{
	struct act_vars	 v = { "/home/u", "eicar.com", "EICAR-Test",
	    "INFECTED", "", "/tmp/list", 68 };
	char		 rule[PATH_MAX * 2], err[256];
	const char	*got;
	size_t		 n;

	(void)state;
	snprintf(rule, sizeof(rule), "exec echo %%FULLPATH%%/%%FILENAME%% "
	    "is infected by %%VIRUSNAME%% | cat > %s", tpath("out"));
	assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
	assert_non_null(got = slurp(tpath("out"), &n));
	assert_string_equal(got,
	    "/home/u/eicar.com is infected by EICAR-Test\n");
	/* two commands of one exec */
	put(tpath("f"), "x", 0755);
	v.fullpath = tmp;
	v.filename = "f";
	snprintf(rule, sizeof(rule), "exec mv %%FULLPATH%%/%%FILENAME%% "
	    "%s; chmod -x %s", tpath("g"), tpath("g"));
	assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
	assert_false(exists(tpath("f")));
	assert_int_equal(access(tpath("g"), X_OK), -1);
}

/* test_exec_status - exit codes, signals, spawn failures */
static void
test_exec_status(void **state)
{
	struct act_vars	 v = { 0 };
	struct act	 bad = { ACT_MOVE, (char *)"/x", 0 };
	char		 err[256];

	(void)state;
	assert_int_equal(run("exec true", &v, 10, 0, err, sizeof(err)), 0);
	assert_int_equal(run("exec false", &v, 10, 0, err, sizeof(err)), 1);
	assert_int_equal(run("shell exit 255", &v, 10, 1, err, sizeof(err)),
	    255);
	assert_int_equal(run("shell kill -9 $$", &v, 10, 1, err,
	    sizeof(err)), 128 + 9);
	assert_int_equal(run("exec no-such-command-vigil", &v, 10, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "no-such-command-vigil: command not found");
	assert_int_equal(run("exec /nonexistent/cmd", &v, 10, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "exec /nonexistent/cmd: No such file or "
	    "directory");
	assert_int_equal(run("exec %OBJECT%", &v, 10, 0, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "empty command");
	assert_int_equal(act_exec(&bad, &v, 10, err, sizeof(err)), -1);
	assert_string_equal(err, "not an exec action");
}

/* test_exec_child - stdin, descriptors, process group, environment */
static void
test_exec_child(void **state)
{
	struct act_vars	 v = { "/d", "n", NULL, NULL, NULL, NULL,
	    18446744073709551615ULL };
	char		 rule[PATH_MAX * 2], want[64], err[256];
	const char	*got;
	size_t		 n;
	int		 fd;

	(void)state;
	snprintf(rule, sizeof(rule), "shell cat > %s", tpath("out"));
	assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
	assert_non_null(got = slurp(tpath("out"), &n));
	assert_int_equal(n, 0);
	/* a descriptor open without O_CLOEXEC is not inherited */
	assert_true((fd = open("/dev/null", O_RDONLY)) >= 0);
	assert_int_equal(dup2(fd, 77), 77);
	close(fd);
	fd = 77;
	snprintf(rule, sizeof(rule), "shell test -e /proc/$$/fd/77 && "
	    "exit 1; exit 0");
	assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
	close(fd);
	/* its own process group: pgrp (stat field 5) equals its pid */
	snprintf(rule, sizeof(rule), "shell set -- $(cat /proc/$$/stat); "
	    "test \"$5\" = $$");
	assert_int_equal(run(rule, &v, 10, 1, err, sizeof(err)), 0);
	/* VIGIL_* in the environment of a direct exec, stale ones replaced */
	setenv("VIGIL_STATUS", "stale", 1);
	put(tpath("env.sh"), "#!/bin/sh\nprintf '%s|%s|%s|%s' "
	    "\"$VIGIL_SIZE\" \"$VIGIL_STATUS\" \"$VIGIL_FULLPATH\" "
	    "\"${#VIGIL_DATE}\" > \"$1\"\n", 0755);
	snprintf(rule, sizeof(rule), "exec %s %s", tpath("env.sh"),
	    tpath("out"));
	assert_int_equal(run(rule, &v, 10, 0, err, sizeof(err)), 0);
	unsetenv("VIGIL_STATUS");
	assert_non_null(got = slurp(tpath("out"), &n));
	snprintf(want, sizeof(want), "18446744073709551615||/d|20");
	assert_string_equal(got, want);
}

/* now_ms - monotonic milliseconds */
static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* test_exec_timeout - SIGTERM at the timeout, SIGKILL 5 s later */
static void
test_exec_timeout(void **state)
{
	struct act_vars	 v = { 0 };
	char		 err[256];
	long long	 t0, dt;

	(void)state;
	t0 = now_ms();
	assert_int_equal(run("exec sleep 100", &v, 1, 0, err, sizeof(err)),
	    128 + 15);
	dt = now_ms() - t0;
	assert_true(dt >= 1000 && dt < 3000);
	t0 = now_ms();
	assert_int_equal(run("shell trap '' TERM; sleep 100; exit 0", &v, 1,
	    1, err, sizeof(err)), 128 + 9);
	dt = now_ms() - t0;
	assert_true(dt >= 1000 + ACT_KILL_GRACE * 1000 &&
	    dt < 3000 + ACT_KILL_GRACE * 1000);
}

/* relocate - act_relocate with a rule built from kind word and dir */
static int
relocate(const char *word, const char *dir, const char *src, char *dest,
    size_t destcap, char *err, size_t errlen)
{
	struct act_list	 l;
	char		 rule[PATH_MAX + 32];
	int		 r;

	snprintf(rule, sizeof(rule), "%s %s", word, dir);
	assert_int_equal(act_parse(rule, &l, err, errlen), 0);
	r = act_relocate(&l.v[0], src, dest, destcap, err, errlen);
	act_list_free(&l);
	return r;
}

/* check_copy - dest holds data with mode and the fixed mtime */
static void
check_copy(const char *dest, const char *data, mode_t mode)
{
	struct stat	 st;
	const char	*got;
	size_t		 n;

	assert_int_equal(lstat(dest, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	assert_non_null(got = slurp(dest, &n));
	assert_string_equal(got, data);
}

/* mkfile - a source file with a fixed mtime and set-id bits */
static void
mkfile(const char *path, const char *data)
{
	struct timespec	 ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	put(path, data, 04750);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* test_relocate_flat - move and copy into DIR, clashes take .N */
static void
test_relocate_flat(void **state)
{
	char	 dest[PATH_MAX], err[256], q[1024];

	(void)state;
	assert_int_equal(mkdir(tpath("src"), 0755), 0);
	snprintf(q, sizeof(q), "%s", tpath("q"));	/* created by move */
	mkfile(tpath("src/f"), "one");
	assert_int_equal(relocate("move", q, tpath("src/f"), dest,
	    sizeof(dest), err, sizeof(err)), 0);
	assert_string_equal(dest, tpath("q/f"));
	assert_false(exists(tpath("src/f")));
	check_copy(dest, "one", 0750);
	mkfile(tpath("src/f"), "two");
	assert_int_equal(relocate("move", q, tpath("src/f"), dest,
	    sizeof(dest), err, sizeof(err)), 0);
	assert_string_equal(dest, tpath("q/f.1"));
	check_copy(dest, "two", 0750);
	check_copy(tpath("q/f"), "one", 0750);
	mkfile(tpath("src/f"), "three");
	assert_int_equal(relocate("copy", q, tpath("src/f"), dest,
	    sizeof(dest), err, sizeof(err)), 0);
	assert_string_equal(dest, tpath("q/f.2"));
	check_copy(dest, "three", 0750);
	assert_true(exists(tpath("src/f")));
	/* a symlink planted at the next name is never written through */
	assert_int_equal(symlink(tpath("victim"), tpath("q/f.3")), 0);
	assert_int_equal(relocate("copy", q, tpath("src/f"), NULL, 0, err,
	    sizeof(err)), 0);
	assert_false(exists(tpath("victim")));
	check_copy(tpath("q/f.4"), "three", 0750);
	/* dest_out too small: refused before anything moves */
	assert_int_equal(relocate("move", q, tpath("src/f"), dest, 8, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "destination path too long");
	assert_true(exists(tpath("src/f")));
}

/* test_relocate_path - movePath/copyPath rebuild the source path */
static void
test_relocate_path(void **state)
{
	char		 dest[PATH_MAX], err[256], real[PATH_MAX];
	char		 want[PATH_MAX + 1100], q[1024];
	struct stat	 st;

	(void)state;
	assert_int_equal(mkdir(tpath("src"), 0755), 0);
	assert_int_equal(mkdir(tpath("src/a"), 0755), 0);
	assert_int_equal(mkdir(tpath("q"), 0755), 0);
	assert_non_null(realpath(tpath("src/a"), real));
	snprintf(q, sizeof(q), "%s", tpath("q"));
	mkfile(tpath("src/a/f"), "data");
	assert_int_equal(relocate("copyPath", q, tpath("src/a/f"), dest,
	    sizeof(dest), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s%s/f", q, real);
	assert_string_equal(dest, want);
	check_copy(dest, "data", 0750);
	assert_true(exists(tpath("src/a/f")));
	snprintf(want, sizeof(want), "%s%s", q, real);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* through a "src/./a/../a" spelling: same place, next name */
	assert_int_equal(relocate("movePath", q, tpath("src/./a/../a/f"),
	    dest, sizeof(dest), err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s%s/f.1", q, real);
	assert_string_equal(dest, want);
	assert_false(exists(tpath("src/a/f")));
	/* a symlink inside the destination tree is refused */
	mkfile(tpath("src/a/f"), "data");
	assert_int_equal(mkdir(tpath("q2"), 0700), 0);
	assert_int_equal(mkdir(tpath("evil"), 0700), 0);
	assert_int_equal(symlink(tpath("evil"), tpath("q2/tmp")), 0);
	assert_int_equal(strncmp(real, "/tmp/", 5), 0);
	assert_int_equal(relocate("movePath", tpath("q2"), tpath("src/a/f"),
	    dest, sizeof(dest), err, sizeof(err)), -1);
	assert_string_equal(err, "tmp: symbolic link in destination, "
	    "refused");
	assert_true(exists(tpath("src/a/f")));
	assert_int_equal(rmdir(tpath("evil")), 0);	/* still empty */
}

/* test_relocate_refused - links, directories, missing, wrong kind */
static void
test_relocate_refused(void **state)
{
	struct act	 a = { ACT_EXEC, (char *)"x", 0 };
	char		 err[256], q[1024];

	(void)state;
	snprintf(q, sizeof(q), "%s", tpath("q"));
	mkfile(tpath("f"), "x");
	assert_int_equal(symlink(tpath("f"), tpath("l")), 0);
	assert_int_equal(relocate("move", q, tpath("l"), NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "symbolic link, refused");
	assert_true(exists(tpath("l")));
	assert_int_equal(mkdir(tpath("d"), 0700), 0);
	assert_int_equal(relocate("copy", q, tpath("d"), NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "not a regular file");
	assert_int_equal(relocate("copy", q, tpath("nope"), NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "No such file or directory");
	assert_int_equal(relocate("copy", q, "/", NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "not a file name");
	assert_int_equal(relocate("copy", q, tpath("f/"), NULL, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(relocate("copy", q, tpath(".."), NULL, 0, err,
	    sizeof(err)), -1);
	assert_int_equal(act_relocate(&a, tpath("f"), NULL, 0, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "not a move or copy action");
	/* DIR whose parent is missing */
	assert_int_equal(relocate("move", tpath("x/y"), tpath("f"), NULL, 0,
	    err, sizeof(err)), -1);
	assert_true(exists(tpath("f")));
}

/* test_relocate_xdev - a move across file systems copies and unlinks */
static void
test_relocate_xdev(void **state)
{
	char		 src[] = "/dev/shm/act_test.XXXXXX", path[PATH_MAX];
	char		 dest[PATH_MAX], err[256], q[1024];
	struct stat	 a, b;

	(void)state;
	if (mkdtemp(src) == NULL)
		skip();
	if (stat(src, &a) == -1 || stat(tmp, &b) == -1 ||
	    a.st_dev == b.st_dev) {
		rmdir(src);
		skip();
	}
	snprintf(path, sizeof(path), "%s/f", src);
	mkfile(path, "far");
	snprintf(q, sizeof(q), "%s", tpath("q"));
	assert_int_equal(relocate("move", q, path, dest, sizeof(dest), err,
	    sizeof(err)), 0);
	assert_false(exists(path));
	check_copy(dest, "far", 0750);
	rmdir(src);
}

/* test_remove - regular files only */
static void
test_remove(void **state)
{
	char	 err[256];

	(void)state;
	put(tpath("f"), "x", 0600);
	assert_int_equal(mkdir(tpath("d"), 0700), 0);
	assert_int_equal(symlink(tpath("f"), tpath("l")), 0);
	assert_int_equal(act_remove(tpath("d"), err, sizeof(err)), -1);
	assert_string_equal(err, "directory, refused");
	assert_int_equal(act_remove(tpath("l"), err, sizeof(err)), -1);
	assert_string_equal(err, "symbolic link, refused");
	assert_true(exists(tpath("l")) && exists(tpath("f")));
	assert_int_equal(act_remove(tpath("f"), err, sizeof(err)), 0);
	assert_false(exists(tpath("f")));
	assert_int_equal(act_remove(tpath("f"), err, sizeof(err)), -1);
	assert_string_equal(err, "No such file or directory");
	assert_int_equal(act_remove("", err, sizeof(err)), -1);
	assert_int_equal(act_remove("/dev/null", err, sizeof(err)), -1);
	assert_string_equal(err, "not a regular file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_shell_script),
		cmocka_unit_test_setup_teardown(test_exec_direct, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_shell, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_guide, setup,
		    teardown),
		cmocka_unit_test(test_exec_status),
		cmocka_unit_test_setup_teardown(test_exec_child, setup,
		    teardown),
		cmocka_unit_test(test_exec_timeout),
		cmocka_unit_test_setup_teardown(test_relocate_flat, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relocate_path, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relocate_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relocate_xdev, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
