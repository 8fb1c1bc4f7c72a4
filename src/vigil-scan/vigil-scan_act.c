/*
 * vigil-scan_act.c - parse and carry out the OnInfected/... action rules
 *
 * DESIGN: act_parse() turns rule text into a small array of actions; the
 * runtime never sees rule text again.  Three things are done here:
 *
 *  - exec.  The command template is never pasted together with values
 *    into text a shell parses.  Without shell metacharacters the template
 *    is split into words first and each word expanded on its own, so a
 *    value can neither add nor remove an argument; execve() runs it.
 *    Otherwise act_shell_script() replaces each %VAR% by an expansion of
 *    an environment variable that holds the value, quoted to suit the
 *    surrounding quotes (a small stack follows '', "", `` and $(...)).
 *    The child gets /dev/null on stdin, no descriptor above 2, default
 *    signals and its own process group, which is killed on timeout.
 *    The PATH lookup, argv and envp are built before fork() so the child
 *    only makes async-signal-safe calls (vigil-scan is threaded).
 *
 *  - relocate.  The source is opened with O_NOFOLLOW relative to its
 *    directory; the destination tree is walked with mkdirat/openat and
 *    O_NOFOLLOW from DIR, so no symlink planted in either redirects us.
 *    A move is renameat2(RENAME_NOREPLACE), or across file systems a
 *    copy (O_EXCL, fsync) followed by an unlink of the same inode.
 *    Name clashes take .1, .2, ... up to ACT_CLASH_MAX.
 *
 *  - remove.  unlinkat() of a name that fstatat(AT_SYMLINK_NOFOLLOW)
 *    shows as a regular file; unlink never follows a link and fails on a
 *    directory, so a swap between the two calls cannot do harm.
 *
 * Limits: rule text ACT_RULE_MAX, ACT_LIST_MAX actions, ACT_ARGV_MAX
 * words, ACT_ARG_MAX bytes per argument or script.  Linux: renameat2(),
 * close_range() (with a fallback loop).  XXX a file swapped between the
 * check and the unlink of a cross-device move is detected by inode and
 * the move undone, but the window is not closed.
 *
 * Hand-written: posix_spawn() cannot close every descriptor portably or
 * report a missing command before the wait, and no library quotes
 * values into shell text safely; this module avoids quoting values at
 * all.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"
#include "vigil-scan_act.h"

#define ACT_META	"|&;<>()$`\\\"'*?[]~{}#\n"
#define ACT_BLANK	" \t\r\n"
#define ACT_ARGV_MAX	256
#define ACT_ARG_MAX	(128 * 1024)
#define ACT_SH_DEPTH	64
#define ACT_CLASH_MAX	999
#define ACT_COPY_BUF	(64 * 1024)

extern char **environ;

enum arg_type { ARG_NONE, ARG_DIR, ARG_CMD };

/* the first word of each kind is the one act_describe() prints */
static const struct act_word {
	const char	*name;
	enum act_kind	 kind;
	enum arg_type	 arg;
	int		 shell;
} act_words[] = {
	{ "report",	ACT_INFORM,	ARG_NONE, 0 },
	{ "inform",	ACT_INFORM,	ARG_NONE, 0 },
	{ "cure",	ACT_CURE,	ARG_NONE, 0 },
	{ "remove",	ACT_REMOVE,	ARG_NONE, 0 },
	{ "delete",	ACT_REMOVE,	ARG_NONE, 0 },
	{ "move",	ACT_MOVE,	ARG_DIR,  0 },
	{ "movePath",	ACT_MOVEPATH,	ARG_DIR,  0 },
	{ "copy",	ACT_COPY,	ARG_DIR,  0 },
	{ "copyPath",	ACT_COPYPATH,	ARG_DIR,  0 },
	{ "quarantine",	ACT_QUARANTINE,	ARG_NONE, 0 },
	{ "exec",	ACT_EXEC,	ARG_CMD,  0 },
	{ "shell",	ACT_EXEC,	ARG_CMD,  1 },
	{ "skip",	ACT_SKIP,	ARG_NONE, 0 },
	{ "none",	ACT_SKIP,	ARG_NONE, 0 },
	{ "pass",	ACT_SKIP,	ARG_NONE, 0 },
};
#define NWORDS	(sizeof(act_words) / sizeof(act_words[0]))

enum {
	V_FULLPATH, V_FILENAME, V_VIRUSNAME, V_STATUS, V_OBJECT, V_LIST,
	V_SIZE, V_DATE, V_N
};
static const char *const act_var_names[V_N] = {
	"FULLPATH", "FILENAME", "VIRUSNAME", "STATUS", "OBJECT", "LIST",
	"SIZE", "DATE"
};
#define TOK_NONE	(-1)
#define TOK_PCT		(-2)

/* act_err - format a reason into err */
static void __attribute__((format(printf, 3, 4)))
act_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* tmpl_token - at a '%': a variable index, TOK_PCT for %%, or TOK_NONE */
static int
tmpl_token(const char *p, size_t *len)
{
	size_t	 i, n;

	if (p[0] != '%')
		return TOK_NONE;
	if (p[1] == '%') {
		*len = 2;
		return TOK_PCT;
	}
	for (i = 0; i < V_N; i++) {
		n = strlen(act_var_names[i]);
		if (strncmp(p + 1, act_var_names[i], n) == 0 &&
		    p[1 + n] == '%') {
			*len = n + 2;
			return (int)i;
		}
	}
	return TOK_NONE;
}

/* tmpl_has_meta - does the template, variables aside, need a shell? */
static int
tmpl_has_meta(const char *t)
{
	size_t	 len;

	for (; *t != '\0'; t++) {
		if (tmpl_token(t, &len) != TOK_NONE)
			t += len - 1;
		else if (strchr(ACT_META, *t) != NULL)
			return 1;
	}
	return 0;
}

/* skip_blank - first non-blank at or after p */
static const char *
skip_blank(const char *p)
{
	return p + strspn(p, ACT_BLANK);
}

/* word_find - the action word of n bytes at p, or NULL */
static const struct act_word *
word_find(const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < NWORDS; i++)
		if (strlen(act_words[i].name) == n &&
		    strncasecmp(act_words[i].name, p, n) == 0)
			return &act_words[i];
	return NULL;
}

/* word_len - length of the word at p (up to a blank, ';' or the end) */
static size_t
word_len(const char *p)
{
	return strcspn(p, ACT_BLANK ";");
}

/* starts_action - is the segment at p empty or led by an action word? */
static int
starts_action(const char *p)
{
	p = skip_blank(p);
	return *p == '\0' || word_find(p, word_len(p)) != NULL;
}

/*
 * cmd_end - end of an exec command at p: the ';' before the next action
 * word or the end of the text; NULL when a quote is left open.  Quotes
 * and backslashes are followed as the shell would, so a quoted ';' never
 * splits.
 */
static const char *
cmd_end(const char *p)
{
	char	 q = 0;

	for (; *p != '\0'; p++) {
		if (q == '\'') {
			if (*p == '\'')
				q = 0;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				p++;
				break;
			}
			p++;
		} else if (q == '"') {
			if (*p == '"')
				q = 0;
		} else if (*p == '\'' || *p == '"')
			q = *p;
		else if (*p == ';' && starts_action(p + 1))
			return p;
	}
	return q != 0 ? NULL : p;
}

/* trim_dup - copy [p, end) without surrounding blanks; NULL when empty */
static char *
trim_dup(const char *p, const char *end)
{
	p = skip_blank(p);
	while (end > p && strchr(ACT_BLANK, end[-1]) != NULL)
		end--;
	if (end == p)
		return NULL;
	return strndup(p, (size_t)(end - p));
}

/* trailing_bs - how many backslashes end the n bytes at s */
static size_t
trailing_bs(const char *s, size_t n)
{
	size_t	 k = 0;

	while (k < n && s[n - 1 - k] == '\\')
		k++;
	return k;
}

/*
 * cmd_dup - the command in [p, end) without surrounding blanks or
 * trailing unescaped ';' (they end nothing and would not survive
 * act_describe); NULL when empty
 */
static char *
cmd_dup(const char *p, const char *end)
{
	p = skip_blank(p);
	for (;;) {
		while (end > p && strchr(ACT_BLANK, end[-1]) != NULL)
			end--;
		if (end == p || end[-1] != ';' ||
		    trailing_bs(p, (size_t)(end - p - 1)) % 2 == 1)
			break;
		end--;
	}
	if (end == p)
		return NULL;
	return strndup(p, (size_t)(end - p));
}

/* list_add - append an action (takes arg) */
static int
list_add(struct act_list *l, enum act_kind kind, char *arg, int shell)
{
	struct act	*v;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(arg);
		return -1;
	}
	l->v = v;
	v[l->n].kind = kind;
	v[l->n].arg = arg;
	v[l->n].shell = shell;
	l->n++;
	return 0;
}

/* parse_dir - the DIR argument in [p, end): absolute, printable */
static char *
parse_dir(const struct act_word *w, const char *p, const char *end,
    char *err, size_t errlen)
{
	char	*d;
	size_t	 n, i;

	if ((d = trim_dup(p, end)) == NULL) {
		act_err(err, errlen, "%s needs a directory", w->name);
		return NULL;
	}
	n = strlen(d);
	for (i = 0; i < n; i++)
		if ((unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			break;
	if (d[0] != '/' || i < n || n >= PATH_MAX) {
		act_err(err, errlen, "%s: directory must be an absolute "
		    "path", w->name);
		free(d);
		return NULL;
	}
	while (n > 1 && (d[n - 1] == '/' || strchr(ACT_BLANK, d[n - 1])))
		d[--n] = '\0';		/* "/a /" is "/a", as it reads back */
	return d;
}

/* parse_one - parse the action whose word is w, its argument at *pp */
static int
parse_one(const struct act_word *w, const char **pp, struct act_list *out,
    char *err, size_t errlen)
{
	const char	*p = *pp, *end;
	char		*arg = NULL;

	switch (w->arg) {
	case ARG_NONE:
		p = skip_blank(p);
		if (*p != '\0' && *p != ';') {
			act_err(err, errlen, "%s takes no argument", w->name);
			return -1;
		}
		break;
	case ARG_DIR:
		if ((end = strchr(p, ';')) == NULL)
			end = p + strlen(p);
		if ((arg = parse_dir(w, p, end, err, errlen)) == NULL)
			return -1;
		p = end;
		break;
	case ARG_CMD:
		if ((end = cmd_end(p)) == NULL) {
			act_err(err, errlen, "%s: unterminated quote", w->name);
			return -1;
		}
		if ((arg = cmd_dup(p, end)) == NULL) {
			act_err(err, errlen, "%s needs a command", w->name);
			return -1;
		}
		p = end;
		if (trailing_bs(arg, strlen(arg)) % 2 == 1) {
			act_err(err, errlen, "%s: command ends with a "
			    "backslash", w->name);
			free(arg);
			return -1;
		}
		break;
	}
	*pp = p;
	if (list_add(out, w->kind, arg, w->kind == ACT_EXEC &&
	    (w->shell || tmpl_has_meta(arg))) == -1) {
		act_err(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* act_parse - rule text to a list of actions */
int
act_parse(const char *text, struct act_list *out, char *err, size_t errlen)
{
	const struct act_word	*w;
	const char		*p = text;
	char			 q[64];
	size_t			 n;
	int			 rc = -1;

	out->v = NULL;
	out->n = 0;
	if (strnlen(text, ACT_RULE_MAX + 1) > ACT_RULE_MAX) {
		act_err(err, errlen, "rule longer than %d bytes",
		    ACT_RULE_MAX);
		goto out;
	}
	for (;;) {
		p = skip_blank(p);
		if (*p == ';') {
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		n = word_len(p);
		if ((w = word_find(p, n)) == NULL) {
			act_err(err, errlen, "unknown action '%s'",
			    log_quote(q, sizeof(q), p, n));
			goto out;
		}
		if (out->n == ACT_LIST_MAX) {
			act_err(err, errlen, "more than %d actions",
			    ACT_LIST_MAX);
			goto out;
		}
		p += n;
		if (parse_one(w, &p, out, err, errlen) == -1)
			goto out;
	}
	if (out->n == 0) {
		act_err(err, errlen, "empty rule");
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		act_list_free(out);
	return rc;
}

/* act_list_free - release the actions; the list is left empty */
void
act_list_free(struct act_list *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].arg);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* act_has - does the list hold an action of this kind? */
int
act_has(const struct act_list *l, enum act_kind kind)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].kind == kind)
			return 1;
	return 0;
}

/* sh_var - the expansion of variable i for quoting state top */
static int
sh_var(struct strbuf *out, char top, int i)
{
	const char	*fmt;

	if (top == 'S')
		fmt = "'\"${VIGIL_%s}\"'";
	else if (top == 'D')
		fmt = "${VIGIL_%s}";
	else
		fmt = "\"${VIGIL_%s}\"";
	return strbuf_printf(out, fmt, act_var_names[i]);
}

/* sh_push - enter a quoting state; -1 past ACT_SH_DEPTH */
static int
sh_push(char *st, size_t *d, char s)
{
	if (*d + 1 >= ACT_SH_DEPTH) {
		errno = E2BIG;
		return -1;
	}
	st[++*d] = s;
	return 0;
}

/*
 * sh_plain - copy the plain character(s) at *pp, following quotes: S
 * single, D double, B backquote, C $(...) or (...), N outside.  A
 * backslash before a variable is dropped (it would escape our quote).
 */
static int
sh_plain(struct strbuf *out, const char **pp, char *st, size_t *d)
{
	const char	*p = *pp;
	char		 top = st[*d];
	size_t		 len;
	int		 r = 0;

	if (top == 'S') {
		if (*p == '\'')
			(*d)--;
		return strbuf_addc(out, *p);
	}
	if (*p == '\\') {
		if (p[1] == '\0' || p[1] == '%') {
			if (tmpl_token(p + 1, &len) >= 0)
				return 0;
			return strbuf_addc(out, '\\');
		}
		*pp = p + 1;
		return strbuf_append(out, p, 2);
	}
	if (top == 'D') {
		if (*p == '"')
			(*d)--;
		else if (*p == '$' && p[1] == '(') {
			*pp = p + 1;
			r = sh_push(st, d, 'C');
			return r == -1 ? -1 : strbuf_append(out, p, 2);
		} else if (*p == '`')
			r = sh_push(st, d, 'B');
	} else if (*p == '\'')
		r = sh_push(st, d, 'S');
	else if (*p == '"')
		r = sh_push(st, d, 'D');
	else if (*p == '`' && top == 'B')
		(*d)--;
	else if (*p == '`')
		r = sh_push(st, d, 'B');
	else if (*p == '(')
		r = sh_push(st, d, 'C');
	else if (*p == ')' && top == 'C')
		(*d)--;
	return r == -1 ? -1 : strbuf_addc(out, *p);
}

/* act_shell_script - template to /bin/sh text reading VIGIL_* */
int
act_shell_script(const char *tmpl, struct strbuf *out)
{
	const char	*p;
	char		 st[ACT_SH_DEPTH];
	size_t		 d = 0, len;
	int		 tok, r;

	st[0] = 'N';
	for (p = tmpl; *p != '\0'; p++) {
		tok = tmpl_token(p, &len);
		if (tok >= 0) {
			r = sh_var(out, st[d], tok);
			p += len - 1;
		} else if (tok == TOK_PCT) {
			r = strbuf_addc(out, '%');
			p++;
			/* "%%FILENAME%" must not print a token: split it */
			if (r == 0 && tmpl_token(p, &len) >= 0)
				r = strbuf_append(out, st[d] == 'S' ?
				    "''" : "\"\"", 2);
		} else if (*p == '%')
			r = strbuf_addc(out, '%');
		else
			r = sh_plain(out, &p, st, &d);
		if (r == -1)
			return -1;
	}
	return 0;
}

/* vars_fill - the value of each variable; NULL fields read as "" */
static void
vars_fill(const struct act_vars *v, const char **val, char *sizebuf,
    size_t sizecap, char *datebuf, size_t datecap)
{
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i;

	val[V_FULLPATH] = v->fullpath;
	val[V_FILENAME] = v->filename;
	val[V_VIRUSNAME] = v->virusname;
	val[V_STATUS] = v->status;
	val[V_OBJECT] = v->object;
	val[V_LIST] = v->list;
	snprintf(sizebuf, sizecap, "%llu", (unsigned long long)v->size);
	val[V_SIZE] = sizebuf;
	datebuf[0] = '\0';
	if (gmtime_r(&now, &tm) != NULL)
		strftime(datebuf, datecap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	val[V_DATE] = datebuf;
	for (i = 0; i < V_N; i++)
		if (val[i] == NULL)
			val[i] = "";
}

/* strv_free - free a NULL-terminated array of heap strings */
static void
strv_free(char **v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* env_ours - is the environment entry e one of the VIGIL_ we set? */
static int
env_ours(const char *e)
{
	size_t	 i, n;

	if (strncmp(e, "VIGIL_", 6) != 0)
		return 0;
	for (i = 0; i < V_N; i++) {
		n = strlen(act_var_names[i]);
		if (strncmp(e + 6, act_var_names[i], n) == 0 && e[6 + n] == '=')
			return 1;
	}
	return 0;
}

/* env_build - our environment plus VIGIL_*; all strings heap copies */
static char **
env_build(const char **val)
{
	char	**env;
	size_t	 n = 0, i, o = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	if ((env = calloc(n + V_N + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (env_ours(environ[i]))
			continue;
		if ((env[o++] = strdup(environ[i])) == NULL)
			goto fail;
	}
	for (i = 0; i < V_N; i++) {
		if ((strlen(val[i]) > ACT_ARG_MAX && (errno = E2BIG)) ||
		    asprintf(&env[o], "VIGIL_%s=%s", act_var_names[i],
		    val[i]) == -1) {
			env[o] = NULL;
			goto fail;
		}
		o++;
	}
	return env;
fail:
	strv_free(env);
	return NULL;
}

/* word_expand - expand variables in the n bytes at w; heap string */
static char *
word_expand(const char *w, size_t n, const char **val)
{
	struct strbuf	 sb;
	size_t		 i, len;
	int		 tok, r;

	strbuf_init(&sb, ACT_ARG_MAX);
	for (i = 0; i < n; i += len) {
		len = 1;
		tok = w[i] == '%' ? tmpl_token(w + i, &len) : TOK_NONE;
		if (i + len > n) {		/* token runs past the word */
			len = 1;
			tok = TOK_NONE;
		}
		if (tok >= 0)
			r = strbuf_append(&sb, val[tok], strlen(val[tok]));
		else if (tok == TOK_PCT)
			r = strbuf_addc(&sb, '%');
		else
			r = strbuf_addc(&sb, w[i]);
		if (r == -1) {
			strbuf_fini(&sb);
			return NULL;
		}
	}
	return strbuf_steal(&sb);	/* "" for an empty word: one arg */
}

/* argv_build - split at blanks, then expand each word */
static char **
argv_build(const char *tmpl, const char **val, char *err, size_t errlen)
{
	char		**argv;
	const char	 *p = tmpl;
	size_t		  argc = 0, n;

	if ((argv = calloc(ACT_ARGV_MAX + 1, sizeof(*argv))) == NULL) {
		act_err(err, errlen, "out of memory");
		return NULL;
	}
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t");
		if (argc == ACT_ARGV_MAX) {
			act_err(err, errlen, "more than %d words",
			    ACT_ARGV_MAX);
			goto fail;
		}
		if ((argv[argc++] = word_expand(p, n, val)) == NULL) {
			act_err(err, errlen, "argument too long");
			goto fail;
		}
		p += n;
	}
	if (argc == 0 || argv[0][0] == '\0') {
		act_err(err, errlen, "empty command");
		goto fail;
	}
	return argv;
fail:
	strv_free(argv);
	return NULL;
}

/* exec_resolve - the file execve() should run for name (PATH lookup) */
static int
exec_resolve(const char *name, char *buf, size_t cap, char *err,
    size_t errlen)
{
	const char	*path, *p, *e;
	struct stat	 st;
	int		 n;

	if (strchr(name, '/') != NULL) {
		if ((size_t)snprintf(buf, cap, "%s", name) < cap)
			return 0;
		act_err(err, errlen, "command name too long");
		return -1;
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		n = snprintf(buf, cap, "%.*s%s%s", (int)(e - p), p,
		    e == p ? "" : "/", name);
		if (n > 0 && (size_t)n < cap && access(buf, X_OK) == 0 &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		if (*e == '\0')
			break;
	}
	act_err(err, errlen, "%.64s: command not found", name);
	return -1;
}

/* exec_child - in the forked child: set up and execve, never returns */
static void __attribute__((noreturn))
exec_child(const char *file, char *const argv[], char *const envp[],
    int devnull, int errfd, int maxfd)
{
	struct sigaction sa;
	sigset_t	 none;
	int		 sig, fd, e;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(devnull, 0) == -1 || (devnull == 0 &&
	    fcntl(0, F_SETFD, 0) == -1))
		goto fail;
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		for (fd = 3; fd < maxfd; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	execve(file, argv, envp);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

/* exec_spawn - fork and exec; -1 (err) when exec failed in the child */
static int
exec_spawn(const char *file, char *const argv[], char *const envp[],
    pid_t *pidp, char *err, size_t errlen)
{
	struct rlimit	 rl;
	pid_t		 pid;
	ssize_t		 n;
	int		 ep[2] = { -1, -1 }, devnull, cerr, st, maxfd = 1024;
	int		 rc = -1;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		maxfd = (int)rl.rlim_cur;
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		act_err(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC) == -1) {
		act_err(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		act_err(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		exec_child(file, argv, envp, devnull, ep[1], maxfd);
	(void)setpgid(pid, pid);	/* either side may win the race */
	close(ep[1]);
	ep[1] = -1;
	do
		n = read(ep[0], &cerr, sizeof(cerr));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(cerr)) {
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		act_err(err, errlen, "exec %.64s: %s", file, strerror(cerr));
		goto out;
	}
	*pidp = pid;
	rc = 0;
out:
	close(devnull);
	if (ep[0] != -1)
		close(ep[0]);
	if (ep[1] != -1)
		close(ep[1]);
	return rc;
}

/* group_kill - signal the child's process group (or the child alone) */
static void
group_kill(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1)
		(void)kill(pid, sig);
}

/* elapsed_ms - milliseconds since t0 */
static long long
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* exec_wait - reap pid, killing its group past the timeout */
static int
exec_wait(pid_t pid, unsigned timeout_s, char *err, size_t errlen)
{
	struct timespec	 t0, nap = { 0, 1000000 };
	long long	 limit = (long long)timeout_s * 1000;
	pid_t		 r;
	int		 st, phase = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		r = waitpid(pid, &st, phase == 2 ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			act_err(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (r == 0 && elapsed_ms(&t0) >= limit) {
			group_kill(pid, phase == 0 ? SIGTERM : SIGKILL);
			phase++;
			limit = ACT_KILL_GRACE * 1000;
			clock_gettime(CLOCK_MONOTONIC, &t0);
		}
		if (r == 0 && phase < 2) {
			nanosleep(&nap, NULL);
			if (nap.tv_nsec < 32000000)
				nap.tv_nsec *= 2;
		}
	}
	if (phase > 0)
		group_kill(pid, SIGKILL);	/* stragglers of a killed run */
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	act_err(err, errlen, "unexpected wait status %#x", st);
	return -1;
}

/* exec_argv - argv and the file to run for a (shell or direct) */
static char **
exec_argv(const struct act *a, const char **val, char *file, size_t cap,
    char *err, size_t errlen)
{
	struct strbuf	 sb;
	char		**argv;

	if (!a->shell) {
		if ((argv = argv_build(a->arg, val, err, errlen)) != NULL &&
		    exec_resolve(argv[0], file, cap, err, errlen) == -1) {
			strv_free(argv);
			argv = NULL;
		}
		return argv;
	}
	snprintf(file, cap, "/bin/sh");
	strbuf_init(&sb, ACT_ARG_MAX);
	if ((argv = calloc(5, sizeof(*argv))) == NULL ||
	    act_shell_script(a->arg, &sb) == -1 ||
	    (argv[0] = strdup("sh")) == NULL ||
	    (argv[1] = strdup("-c")) == NULL ||
	    (argv[2] = strbuf_steal(&sb)) == NULL ||
	    (argv[3] = strdup("vigil-scan")) == NULL) {
		act_err(err, errlen, "shell script: %s", strerror(errno));
		strbuf_fini(&sb);
		strv_free(argv);
		return NULL;
	}
	return argv;
}

/* act_exec - run an exec action and return its status */
int
act_exec(const struct act *a, const struct act_vars *v, unsigned timeout_s,
    char *err, size_t errlen)
{
	const char	*val[V_N];
	char		 sizebuf[24], datebuf[32], file[PATH_MAX];
	char		**argv = NULL, **envp = NULL;
	pid_t		 pid;
	int		 rc = -1;

	if (a->kind != ACT_EXEC || a->arg == NULL) {
		act_err(err, errlen, "not an exec action");
		return -1;
	}
	vars_fill(v, val, sizebuf, sizeof(sizebuf), datebuf,
	    sizeof(datebuf));
	if ((envp = env_build(val)) == NULL) {
		act_err(err, errlen, "environment: %s", strerror(errno));
		goto out;
	}
	if ((argv = exec_argv(a, val, file, sizeof(file), err,
	    errlen)) == NULL)
		goto out;
	if (exec_spawn(file, argv, envp, &pid, err, errlen) == -1)
		goto out;
	rc = exec_wait(pid, timeout_s ? timeout_s : ACT_EXEC_TIMEOUT, err,
	    errlen);
out:
	strv_free(argv);
	strv_free(envp);
	return rc;
}

/*
 * path_split - directory part of path into dir, *base points into path.
 * The base must be a name: not empty, ".", ".." or followed by '/'.
 */
static int
path_split(const char *path, char *dir, size_t cap, const char **base,
    char *err, size_t errlen)
{
	const char	*s = strrchr(path, '/');
	size_t		 n;

	*base = s != NULL ? s + 1 : path;
	if (**base == '\0' || strcmp(*base, ".") == 0 ||
	    strcmp(*base, "..") == 0) {
		act_err(err, errlen, "not a file name");
		return -1;
	}
	n = s == NULL ? 0 : (size_t)(s - path);
	if (n + 2 > cap) {
		act_err(err, errlen, "path too long");
		return -1;
	}
	if (s == NULL)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return 0;
}

/* dir_open - open (creating one level, 0700, when missing) a directory */
static int
dir_open(const char *dir, char *err, size_t errlen)
{
	int	 fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* another scanning thread may create it at the same moment */
	if (fd == -1 && errno == ENOENT && (mkdir(dir, 0700) == 0 ||
	    errno == EEXIST))
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		act_err(err, errlen, "%.200s: %s", dir, strerror(errno));
	return fd;
}

/* is_link - is name in dfd a symbolic link? keeps errno */
static int
is_link(int dfd, const char *name)
{
	struct stat	 st;
	int		 e = errno, r;

	r = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
	errno = e;
	return r;
}

/*
 * dest_walk - from DIR's fd, create and enter each component of the
 * absolute directory src (mode 0700) without following symlinks.
 * Consumes dfd; returns the new fd or -1.
 */
static int
dest_walk(int dfd, const char *src, char *err, size_t errlen)
{
	char	 comp[NAME_MAX + 1];
	size_t	 n;
	int	 nfd;

	while (*src != '\0') {
		src += strspn(src, "/");
		if ((n = strcspn(src, "/")) == 0)
			break;
		if (n > NAME_MAX || (n <= 2 && strncmp(src, "..", n) == 0)) {
			act_err(err, errlen, "bad source directory");
			goto fail;
		}
		memcpy(comp, src, n);
		comp[n] = '\0';
		src += n;
		if (mkdirat(dfd, comp, 0700) == -1 && errno != EEXIST) {
			act_err(err, errlen, "mkdir %s: %s", comp,
			    strerror(errno));
			goto fail;
		}
		nfd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1) {
			act_err(err, errlen, "%s: %s", comp, is_link(dfd, comp) ?
			    "symbolic link in destination, refused" :
			    strerror(errno));
			goto fail;
		}
		close(dfd);
		dfd = nfd;
	}
	return dfd;
fail:
	close(dfd);
	return -1;
}

/* dest_open - the destination directory's fd and its path text */
static int
dest_open(const struct act *a, const char *srcdir, char *dpath,
    size_t cap, char *err, size_t errlen)
{
	char	 real[PATH_MAX];
	int	 fd, n;

	if ((fd = dir_open(a->arg, err, errlen)) == -1)
		return -1;
	if (a->kind != ACT_MOVEPATH && a->kind != ACT_COPYPATH) {
		snprintf(dpath, cap, "%s", a->arg);
		return fd;
	}
	if (realpath(srcdir, real) == NULL) {
		act_err(err, errlen, "%.200s: %s", srcdir, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(dpath, cap, "%s%s", strcmp(a->arg, "/") == 0 ? "" :
	    a->arg, strcmp(real, "/") == 0 ? "" : real);
	if (n < 0 || (size_t)n >= cap) {
		act_err(err, errlen, "destination path too long");
		close(fd);
		return -1;
	}
	return dest_walk(fd, real, err, errlen);
}

/* copy_data - copy st->st_size bytes of sfd into dfd, then mode/times */
static int
copy_data(int sfd, const struct stat *st, int dfd)
{
	char		*buf;
	struct timespec	 ts[2];
	off_t		 off = 0;
	ssize_t		 n = 0, w;
	int		 rc = -1;

	if ((buf = malloc(ACT_COPY_BUF)) == NULL)
		return -1;
	while (off < st->st_size) {
		n = pread(sfd, buf, ACT_COPY_BUF, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* -1: error; 0: it shrank, keep it */
		if (n > st->st_size - off)
			n = (ssize_t)(st->st_size - off);
		for (w = 0; w < n; ) {
			ssize_t	 k = write(dfd, buf + w, (size_t)(n - w));

			if (k == -1 && errno == EINTR)
				continue;
			if (k <= 0)
				goto out;
			w += k;
		}
		off += n;
	}
	if (n == -1)
		goto out;
	ts[0] = st->st_atim;
	ts[1] = st->st_mtim;
	if (fchmod(dfd, st->st_mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID))
	    == -1 || futimens(dfd, ts) == -1 || fsync(dfd) == -1)
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* copy_to - copy into a new name; 0, 1 when the name exists, -1 (err) */
static int
copy_to(int sfd, const struct stat *st, int ddfd, const char *name,
    char *err, size_t errlen)
{
	int	 dfd, r, e;

	dfd = openat(ddfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (dfd == -1) {
		if (errno == EEXIST)
			return 1;
		act_err(err, errlen, "create %s: %s", name, strerror(errno));
		return -1;
	}
	r = copy_data(sfd, st, dfd);
	e = errno;
	if (close(dfd) == -1 && r == 0) {
		r = -1;
		e = errno;
	}
	if (r == -1) {
		(void)unlinkat(ddfd, name, 0);
		act_err(err, errlen, "copy to %s: %s", name, strerror(e));
	}
	return r;
}

/* same_file - does name in dfd still hold st's inode (no follow)? */
static int
same_file(int dfd, const char *name, const struct stat *st)
{
	struct stat	 now;

	return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/*
 * move_to - rename without replacing; 0, 1 when the name exists, 2 when
 * a copy is needed (other file system), -1 (err)
 */
static int
move_to(int sfd, int sdfd, const char *base, const struct stat *st,
    int ddfd, const char *name, char *err, size_t errlen)
{
	char	 q[NAME_MAX * 4 + 16];

	if (renameat2(sdfd, base, ddfd, name, RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST)
			return 1;
		if (errno == EXDEV || errno == EINVAL || errno == ENOSYS)
			return 2;
		act_err(err, errlen, "rename: %s", strerror(errno));
		return -1;
	}
	if (!same_file(ddfd, name, st)) {
		/* swapped after we opened it: put it back, report */
		(void)renameat2(ddfd, name, sdfd, base, RENAME_NOREPLACE);
		act_err(err, errlen, "source changed during move");
		return -1;
	}
	if ((st->st_mode & (S_ISUID | S_ISGID)) != 0 &&
	    fchmod(sfd, st->st_mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID))
	    == -1)
		log_warn("clear set-id bits of %s",
		    log_quote(q, sizeof(q), name, strlen(name)));
	return 0;
}

/* move_copied - finish a cross-device move: unlink the same source */
static int
move_copied(int sdfd, const char *base, const struct stat *st, int ddfd,
    const char *name, char *err, size_t errlen)
{
	(void)fsync(ddfd);
	if (!same_file(sdfd, base, st))
		act_err(err, errlen, "source changed during move");
	else if (unlinkat(sdfd, base, 0) == -1)
		act_err(err, errlen, "remove source after copy: %s",
		    strerror(errno));
	else
		return 0;
	(void)unlinkat(ddfd, name, 0);	/* all or nothing */
	return -1;
}

/* place - move or copy under a free name; name gets the final name */
static int
place(const struct act *a, int sfd, int sdfd, const char *base,
    const struct stat *st, int ddfd, char *name, size_t cap, char *err,
    size_t errlen)
{
	int	 i, r = 1, move;

	move = a->kind == ACT_MOVE || a->kind == ACT_MOVEPATH;
	for (i = 0; i <= ACT_CLASH_MAX && r == 1; i++) {
		if ((size_t)(i == 0 ? snprintf(name, cap, "%s", base) :
		    snprintf(name, cap, "%s.%d", base, i)) >= cap ||
		    strlen(name) > NAME_MAX) {
			act_err(err, errlen, "file name too long");
			return -1;
		}
		r = move ? move_to(sfd, sdfd, base, st, ddfd, name, err,
		    errlen) : 2;
		if (r == 2) {
			r = copy_to(sfd, st, ddfd, name, err, errlen);
			if (r == 0 && move)
				r = move_copied(sdfd, base, st, ddfd, name,
				    err, errlen);
		}
	}
	if (r == 1)
		act_err(err, errlen, "more than %d name clashes",
		    ACT_CLASH_MAX);
	return r == 0 ? 0 : -1;
}

/* act_relocate - move or copy path into the action's directory */
int
act_relocate(const struct act *a, const char *path, char *dest_out,
    size_t destcap, char *err, size_t errlen)
{
	char		 sdir[PATH_MAX], dpath[PATH_MAX], name[NAME_MAX + 8];
	const char	*base;
	struct stat	 st;
	int		 sdfd = -1, sfd = -1, ddfd = -1, rc = -1;

	if ((a->kind != ACT_MOVE && a->kind != ACT_MOVEPATH &&
	    a->kind != ACT_COPY && a->kind != ACT_COPYPATH) || a->arg == NULL) {
		act_err(err, errlen, "not a move or copy action");
		return -1;
	}
	if (path_split(path, sdir, sizeof(sdir), &base, err, errlen) == -1)
		return -1;
	if ((sdfd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		act_err(err, errlen, "%.200s: %s", sdir, strerror(errno));
		goto out;
	}
	/* look before opening: opening a device can have side effects */
	if (fstatat(sdfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		act_err(err, errlen, "%s", S_ISLNK(st.st_mode) ?
		    "symbolic link, refused" : "not a regular file");
		goto out;
	}
	sfd = openat(sdfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (sfd == -1 || fstat(sfd, &st) == -1) {
		act_err(err, errlen, "%s", sfd == -1 && is_link(sdfd, base) ?
		    "symbolic link, refused" : strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		act_err(err, errlen, "not a regular file");
		goto out;
	}
	if ((ddfd = dest_open(a, sdir, dpath, sizeof(dpath), err,
	    errlen)) == -1)
		goto out;
	if (dest_out != NULL && destcap > 0 &&
	    strlen(dpath) + strlen(base) + 6 >= destcap) {
		act_err(err, errlen, "destination path too long");
		goto out;
	}
	if (place(a, sfd, sdfd, base, &st, ddfd, name, sizeof(name), err,
	    errlen) == -1)
		goto out;
	if (dest_out != NULL && destcap > 0)
		snprintf(dest_out, destcap, "%s%s%s", dpath,
		    strcmp(dpath, "/") == 0 ? "" : "/", name);
	rc = 0;
out:
	if (ddfd != -1)
		close(ddfd);
	if (sfd != -1)
		close(sfd);
	if (sdfd != -1)
		close(sdfd);
	return rc;
}

/* act_remove - unlink a regular file, never a directory or a link */
int
act_remove(const char *path, char *err, size_t errlen)
{
	char		 dir[PATH_MAX];
	const char	*base;
	struct stat	 st;
	int		 dfd, rc = -1;

	if (path_split(path, dir, sizeof(dir), &base, err, errlen) == -1)
		return -1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		act_err(err, errlen, "%.200s: %s", dir, strerror(errno));
		return -1;
	}
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		act_err(err, errlen, "%s", strerror(errno));
	else if (S_ISLNK(st.st_mode))
		act_err(err, errlen, "symbolic link, refused");
	else if (S_ISDIR(st.st_mode))
		act_err(err, errlen, "directory, refused");
	else if (!S_ISREG(st.st_mode))
		act_err(err, errlen, "not a regular file");
	else if (unlinkat(dfd, base, 0) == -1)
		act_err(err, errlen, "unlink: %s", strerror(errno));
	else
		rc = 0;
	close(dfd);
	return rc;
}

/* kind_word - the word act_describe() prints for a */
static const char *
kind_word(const struct act *a)
{
	size_t	 i;

	if (a->kind == ACT_EXEC)
		return a->shell && !tmpl_has_meta(a->arg) ? "shell" : "exec";
	for (i = 0; i < NWORDS; i++)
		if (act_words[i].kind == a->kind)
			return act_words[i].name;
	return "?";
}

/* act_describe - the list as rule text; parses back to the same list */
void
act_describe(const struct act_list *l, char *buf, size_t cap)
{
	size_t	 i, off = 0;
	int	 n;

	if (cap == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < l->n; i++) {
		n = snprintf(buf + off, cap - off, "%s%s%s%s",
		    i > 0 ? "; " : "", kind_word(&l->v[i]),
		    l->v[i].arg != NULL ? " " : "",
		    l->v[i].arg != NULL ? l->v[i].arg : "");
		if (n < 0 || (size_t)n >= cap - off) {
			if (cap >= 4)
				memcpy(buf + cap - 4, "...", 4);
			return;
		}
		off += (size_t)n;
	}
}
