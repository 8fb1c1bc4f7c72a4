/*
 * vigil-quarantine.c - the administrator's tool for the quarantine and
 * backup stores
 *
 * DESIGN: one command a run, looked up in a table that says how many
 * operands it takes and which options apply to it.  The store is -d DIR,
 * else [scanner.path] QuarantinePath (BackupPath with --backup) of
 * vigil.conf, else the same key of [path]; all the work is in
 * lib/util/qstore.c.  Object metadata is untrusted text (a file name or a
 * mail address chosen by whoever sent the file): it is printed through
 * log_quote() or as JSON strings, never raw.  Exit status: 0 done, 1 an
 * object was not found, 2 any other error.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cfg.h"
#include "log.h"
#include "qstore.h"

#define EXIT_NOTFOUND	1
#define EXIT_ERROR	2

/* options that belong to one command, as bits */
#define O_JSON		0x01
#define O_FORCE		0x02
#define O_OLDER		0x04
#define O_THREAT	0x08

enum {
	OPT_BACKUP = 256, OPT_JSON, OPT_FORCE, OPT_OLDER, OPT_THREAT,
	OPT_VERSION
};

static const struct option long_opts[] = {
	{ "config",	required_argument, NULL, 'c' },
	{ "dir",	required_argument, NULL, 'd' },
	{ "backup",	no_argument,	   NULL, OPT_BACKUP },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "force",	no_argument,	   NULL, OPT_FORCE },
	{ "older-than",	required_argument, NULL, OPT_OLDER },
	{ "threat",	required_argument, NULL, OPT_THREAT },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct qcli {
	const char	*config, *dir, *threat;
	int		 backup, json, force;
	long long	 older_days;	/* -1: not given */
	unsigned	 given;		/* O_* bits seen */
};

struct qcmd {
	const char	*name;
	int		 minargs, maxargs;	/* maxargs -1: no limit */
	unsigned	 opts;			/* O_* bits allowed */
	int		(*run)(struct qstore *, const struct qcli *, char **,
			    int);
};

/* usage - print the synopsis and exit */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: vigil-quarantine [-c CONF] [-d DIR] [--backup] COMMAND [ARGS]\n"
"  list [--json]                  every object, oldest first: id, stored\n"
"                                 (UTC), status, threat, size, origin\n"
"  show ID [--json]               all metadata of one object\n"
"  restore ID [DEST] [--force]    decrypt to DEST (default: the original\n"
"                                 path); --force replaces an existing file\n"
"  extract ID FILE [--force]      decrypted copy to FILE (\"-\": stdout),\n"
"                                 mode 0600, for analysis\n"
"  delete ID...                   remove objects\n"
"  purge [--older-than DAYS]      remove objects stored more than DAYS\n"
"                                 days ago (default: all)\n"
"  add FILE [--threat NAME]       quarantine a copy of FILE (the file is\n"
"                                 left in place); with --backup, replace\n"
"                                 the earlier copy of the same file\n"
"options:\n"
"  -c, --config FILE   configuration (default " VIGIL_SYSCONFDIR "/vigil.conf)\n"
"  -d, --dir DIR       the store directory, overriding the configuration\n"
"      --backup        the backup store ([path] BackupPath) instead of\n"
"                      the quarantine ([path] QuarantinePath)\n"
"Exit status: 0 done, 1 object not found, 2 error.\n");
	exit(status);
}

/* parse_args - options into cli; returns the index of the command */
static int
parse_args(int argc, char **argv, struct qcli *cli)
{
	char	*end;
	int	 ch;

	cli->older_days = -1;
	while ((ch = getopt_long(argc, argv, "c:d:h", long_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c': cli->config = optarg; break;
		case 'd': cli->dir = optarg; break;
		case OPT_BACKUP: cli->backup = 1; break;
		case OPT_JSON: cli->json = 1; cli->given |= O_JSON; break;
		case OPT_FORCE: cli->force = 1; cli->given |= O_FORCE; break;
		case OPT_THREAT:
			cli->threat = optarg;
			cli->given |= O_THREAT;
			break;
		case OPT_OLDER:
			errno = 0;
			cli->older_days = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    cli->older_days < 0 || cli->older_days > 1000000)
				log_fatalx("--older-than: a number of days "
				    "from 0 to 1000000");
			cli->given |= O_OLDER;
			break;
		case OPT_VERSION:
			printf("vigil-quarantine %s\n", VIGIL_PKG_VERSION);
			exit(0);
		case 'h': usage(0);
		default: usage(EXIT_ERROR);
		}
	}
	if (optind >= argc)
		usage(EXIT_ERROR);
	return optind;
}

/* load_config - -c FILE, the installed vigil.conf, or the defaults */
static struct cfg *
load_config(const char *path)
{
	static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
	    VIGIL_LOCALSTATEDIR };
	struct cfg	*c;
	char		 err[4096];

	if ((c = cfg_load_program(path, &dirs, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s", err);
		if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		log_fatalx("%s: configuration not loaded", path != NULL ? path :
		    VIGIL_SYSCONFDIR "/vigil.conf");
	}
	return c;
}

/* store_dir - -d, else [scanner.path], else [path]; caller frees */
static char *
store_dir(const struct qcli *cli)
{
	const char	*key = cli->backup ? "BackupPath" : "QuarantinePath";
	const char	*v;
	struct cfg	*c;
	char		*dir;

	if (cli->dir != NULL)
		dir = strdup(cli->dir);
	else {
		c = load_config(cli->config);
		if ((v = cfg_path_key(c, "scanner.path", key)) == NULL)
			log_fatalx("%s is off (%s is empty)", cli->backup ?
			    "backup" : "quarantine", key);
		dir = strdup(v);
		cfg_free(c);
	}
	if (dir == NULL)
		log_fatalx("out of memory");
	return dir;
}

/* put_quoted - untrusted text, made printable */
static void
put_quoted(const char *s)
{
	size_t	 n = strlen(s);
	char	*q;

	if ((q = malloc(4 * n + 6)) == NULL)
		log_fatalx("out of memory");
	fputs(log_quote(q, 4 * n + 6, s, n), stdout);
	free(q);
}

/* put_time - seconds since the epoch as ISO 8601 UTC */
static void
put_time(int64_t t)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	char		 buf[64];

	if (gmtime_r(&tt, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
		fputs(buf, stdout);
	else
		printf("%lld", (long long)t);
}

/* utf8_len - length of a valid UTF-8 sequence at s, 0 if invalid */
static size_t
utf8_len(const unsigned char *s)
{
	size_t		 n, i;
	unsigned	 c = s[0], cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* put_json_str - a JSON string literal (invalid UTF-8 becomes U+FFFD) */
static void
put_json_str(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 n;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	while (*s != '\0') {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s++);
		else if (*s == '\n')
			fputs("\\n", stdout), s++;
		else if (*s == '\t')
			fputs("\\t", stdout), s++;
		else if (*s < 0x20 || *s == 0x7f)
			printf("\\u%04x", *s++);
		else if ((n = utf8_len(s)) == 0)
			fputs("\\ufffd", stdout), s++;
		else {
			fwrite(s, 1, n, stdout);
			s += n;
		}
	}
	putchar('"');
}

/* put_json - one object as one line of JSON */
static void
put_json(const struct qmeta *m)
{
	printf("{\"id\":\"%s\",\"stored\":\"", m->id);
	put_time(m->stored);
	fputs("\",\"status\":", stdout);
	put_json_str(m->status);
	fputs(",\"threat\":", stdout);
	put_json_str(m->threat);
	printf(",\"size\":%llu,\"origin\":", (unsigned long long)m->size);
	put_json_str(m->origin);
	fputs(",\"reason\":", stdout);
	put_json_str(m->reason);
	fputs(",\"sender\":", stdout);
	put_json_str(m->sender);
	fputs(",\"recipients\":", stdout);
	put_json_str(m->recipients);
	fputs(",\"url\":", stdout);
	put_json_str(m->url);
	printf(",\"uid\":%u,\"gid\":%u,\"mode\":\"%04o\",\"mtime\":\"",
	    (unsigned)m->uid, (unsigned)m->gid, (unsigned)m->mode);
	put_time(m->mtime);
	fputs("\"}\n", stdout);
}

/* list_line - one object of the list */
static int
list_line(const struct qmeta *m, void *arg)
{
	const struct qcli	*cli = arg;

	if (cli->json) {
		put_json(m);
		return 0;
	}
	printf("%s ", m->id);
	put_time(m->stored);
	putchar(' ');
	put_quoted(m->status);
	putchar(' ');
	put_quoted(m->threat != NULL ? m->threat : "-");
	printf(" %llu ", (unsigned long long)m->size);
	put_quoted(m->origin);
	putchar('\n');
	return 0;
}

/* qc_list - the list command */
static int
qc_list(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	(void)av; (void)ac;
	if (qstore_list(q, list_line, (void *)cli) != 0) {
		log_warn("list");
		return EXIT_ERROR;
	}
	return 0;
}

/* get_meta - metadata of id; the exit status when it fails, else 0 */
static int
get_meta(struct qstore *q, const char *id, struct qmeta *m)
{
	if (qstore_get(q, id, m) == 0)
		return 0;
	if (errno == ENOENT) {
		log_warnx("%s: no such object", id);
		return EXIT_NOTFOUND;
	}
	if (errno == EINVAL) {
		log_warnx("%.64s: invalid id (want 32 hex digits)", id);
		return EXIT_ERROR;
	}
	log_warn("%s", id);
	return EXIT_ERROR;
}

/* show_field - "key: value" when value is set */
static void
show_field(const char *key, const char *v)
{
	if (v == NULL)
		return;
	printf("%s: ", key);
	put_quoted(v);
	putchar('\n');
}

/* qc_show - the show command */
static int
qc_show(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	struct qmeta	 m;
	int		 rc;

	(void)ac;
	if ((rc = get_meta(q, av[0], &m)) != 0)
		return rc;
	if (cli->json)
		put_json(&m);
	else {
		printf("id: %s\n", m.id);
		show_field("origin", m.origin);
		show_field("status", m.status);
		show_field("threat", m.threat);
		show_field("reason", m.reason);
		show_field("sender", m.sender);
		show_field("recipients", m.recipients);
		show_field("url", m.url);
		printf("size: %llu\nuid: %u\ngid: %u\nmode: %04o\nmtime: ",
		    (unsigned long long)m.size, (unsigned)m.uid,
		    (unsigned)m.gid, (unsigned)m.mode);
		put_time(m.mtime);
		fputs("\nstored: ", stdout);
		put_time(m.stored);
		putchar('\n');
	}
	qmeta_free(&m);
	return 0;
}

/* qc_restore - the restore command */
static int
qc_restore(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	struct qmeta	 m;
	char		 err[512];
	int		 rc;

	if ((rc = get_meta(q, av[0], &m)) != 0)
		return rc;
	if (qstore_restore(q, av[0], ac > 1 ? av[1] : NULL, cli->force, err,
	    sizeof(err)) == -1) {
		log_warnx("%s: %s%s", av[0], err, errno == EEXIST ?
		    " (--force replaces it)" : "");
		rc = EXIT_ERROR;
	} else {
		printf("%s: restored to ", av[0]);
		put_quoted(ac > 1 ? av[1] : m.origin);
		putchar('\n');
	}
	qmeta_free(&m);
	return rc;
}

/* qc_extract - the extract command */
static int
qc_extract(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	struct qmeta	 m;
	char		 err[512];
	int		 fd, rc, tostdout = strcmp(av[1], "-") == 0;

	(void)ac;
	if ((rc = get_meta(q, av[0], &m)) != 0)
		return rc;
	qmeta_free(&m);
	if (tostdout && isatty(STDOUT_FILENO)) {
		log_warnx("not writing an object to a terminal");
		return EXIT_ERROR;
	}
	fflush(stdout);
	fd = tostdout ? STDOUT_FILENO : open(av[1], O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC | (cli->force ? O_TRUNC : O_EXCL), 0600);
	if (fd == -1) {
		log_warn("%s%s", av[1], errno == EEXIST ?
		    " (--force replaces it)" : "");
		return EXIT_ERROR;
	}
	if (qstore_extract_fd(q, av[0], fd, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", av[0], err);
		rc = EXIT_ERROR;
		if (!tostdout)
			unlink(av[1]);
	}
	if (!tostdout && close(fd) == -1 && rc == 0) {
		log_warn("%s", av[1]);
		unlink(av[1]);
		rc = EXIT_ERROR;
	}
	return rc;
}

/* qc_delete - the delete command: every id, worst status wins */
static int
qc_delete(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	int	 i, rc = 0;

	(void)cli;
	for (i = 0; i < ac; i++) {
		if (qstore_delete(q, av[i]) == 0) {
			printf("%s: deleted\n", av[i]);
			continue;
		}
		if (errno == ENOENT) {
			log_warnx("%s: no such object", av[i]);
			rc = rc > EXIT_NOTFOUND ? rc : EXIT_NOTFOUND;
		} else {
			if (errno == EINVAL)
				log_warnx("%.64s: invalid id (want 32 hex "
				    "digits)", av[i]);
			else
				log_warn("%s", av[i]);
			rc = EXIT_ERROR;
		}
	}
	return rc;
}

/* qc_purge - the purge command */
static int
qc_purge(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	int64_t	 before = 0;
	int	 n;

	(void)av; (void)ac;
	if (cli->older_days >= 0)
		before = (int64_t)time(NULL) - cli->older_days * 86400;
	if ((n = qstore_purge(q, before)) == -1) {
		log_warn("purge");
		return EXIT_ERROR;
	}
	printf("purged %d object(s)\n", n);
	return 0;
}

/* qc_add - the add command: a manual quarantine (or backup) of FILE */
static int
qc_add(struct qstore *q, const struct qcli *cli, char **av, int ac)
{
	struct qmeta	 m;
	struct stat	 st;
	char		 rp[PATH_MAX], id[33], err[512];
	int		 fd, rc = EXIT_ERROR;

	(void)ac;
	if (realpath(av[0], rp) == NULL ||
	    (fd = open(rp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		log_warn("%s", av[0]);
		return EXIT_ERROR;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", rp);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.origin = rp;
	m.threat = (char *)cli->threat;
	m.status = cli->threat != NULL ? "INFECTED" : "SUSPICIOUS";
	m.reason = cli->backup ? "backup" : "manual";
	m.uid = (uint32_t)st.st_uid;
	m.gid = (uint32_t)st.st_gid;
	m.mode = (uint32_t)(st.st_mode & 07777);
	m.mtime = (int64_t)st.st_mtime;
	if (qstore_put_fd(q, fd, &m, cli->backup, id, err, sizeof(err)) ==
	    -1) {
		log_warnx("%s: %s", rp, err);
		goto out;
	}
	printf("%s\n", id);
	rc = 0;
out:
	close(fd);
	return rc;
}

static const struct qcmd qcmds[] = {
	/* name      args     options   */
	{ "list",    0, 0,    O_JSON,   qc_list },
	{ "show",    1, 1,    O_JSON,   qc_show },
	{ "restore", 1, 2,    O_FORCE,  qc_restore },
	{ "extract", 2, 2,    O_FORCE,  qc_extract },
	{ "delete",  1, -1,   0,        qc_delete },
	{ "purge",   0, 0,    O_OLDER,  qc_purge },
	{ "add",     1, 1,    O_THREAT, qc_add },
};

/* opt_name - the name of the lowest O_* bit in bits */
static const char *
opt_name(unsigned bits)
{
	static const char *const names[] = { "--json", "--force",
	    "--older-than", "--threat" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bits & (1u << i))
			return names[i];
	return "an option";
}

/* find_cmd - the command named name, checked against the command line */
static const struct qcmd *
find_cmd(const char *name, int nargs, const struct qcli *cli)
{
	const struct qcmd	*c;
	size_t			 i;

	for (i = 0; i < sizeof(qcmds) / sizeof(qcmds[0]); i++) {
		c = &qcmds[i];
		if (strcmp(c->name, name) != 0)
			continue;
		if (nargs < c->minargs || (c->maxargs >= 0 &&
		    nargs > c->maxargs)) {
			log_warnx("%s: wrong number of arguments", name);
			usage(EXIT_ERROR);
		}
		if ((cli->given & ~c->opts) != 0) {
			log_warnx("%s: %s does not apply", name,
			    opt_name(cli->given & ~c->opts));
			usage(EXIT_ERROR);
		}
		return c;
	}
	log_warnx("%s: unknown command", name);
	usage(EXIT_ERROR);
}

int
main(int argc, char **argv)
{
	struct qcli		 cli;
	const struct qcmd	*cmd;
	struct qstore		*q;
	char			*dir, err[512];
	int			 first, rc;

	log_init("vigil-quarantine", LOG_TO_STDERR, LOG_LVL_INFO);
	memset(&cli, 0, sizeof(cli));
	first = parse_args(argc, argv, &cli);
	cmd = find_cmd(argv[first], argc - first - 1, &cli);
	dir = store_dir(&cli);
	if (qstore_open(dir, &q, err, sizeof(err)) == -1)
		log_fatalx("%s", err);
	rc = cmd->run(q, &cli, argv + first + 1, argc - first - 1);
	qstore_close(q);
	free(dir);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_warn("stdout");
		rc = EXIT_ERROR;
	}
	return rc;
}
