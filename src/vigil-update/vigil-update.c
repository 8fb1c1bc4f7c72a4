/*
 * vigil-update - fetch, verify and install signed database packages: the
 * guides' keepup2date
 *
 *	vigil-update [-c FILE] [-g DIR|URL] [-x DIR] [-l FILE] [-q] [-v]
 *	    [--rollback] [--no-post]
 *
 * DESIGN: the sources are tried in turn until one yields a package that
 * passes every check: -g alone when given; else UpdateServerUrl first
 * when UseUpdateServerUrl=yes, and, unless UseUpdateServerUrlOnly=yes,
 * the servers of MirrorsFile after it, in random order (the guides) or
 * as listed (ServerOrder).  A source's manifest must carry a signature by
 * one of TrustedKeys and a version newer than the installed one; its
 * files must match the manifest byte for byte; the assembled database
 * must load.  A source that fails or sends something else gives way to
 * the next; a local failure (disk full) stops the run.  The running
 * database is replaced only by the atomic switch of update_install.c, so
 * every refusal leaves it serving.  After an installation PostUpdateCmd
 * runs (default: vigilctl reload-db) with the installed sbin directory
 * first in PATH, as cron gives a short PATH.
 *
 * Messages go to stderr (not with -q / KeepSilent) and to the report:
 * -l FILE or [updater.report] ReportFileName, else syslog, filtered by
 * ReportLevel (1 errors ... 4 debug).
 */
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "args.h"
#include "cfg.h"
#include "config.h"
#include "pkg.h"
#include "update.h"

#define MAXSOURCES	64

static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
    VIGIL_LOCALSTATEDIR };

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
"usage: vigil-update [-c FILE] [-g DIR|URL] [-x DIR] [-l FILE] [-q] [-v]\n"
"                    [--rollback] [--no-post]\n"
"  -c FILE      configuration file ([updater.options], [updater.report])\n"
"  -g DIR|URL   update from this source only\n"
"  -x DIR, -u DIR  mirror mode: write the newest package into DIR for\n"
"               other hosts; the local database is not touched\n"
"  -l FILE      report file\n"
"  -q           nothing on the terminal (KeepSilent)\n"
"  -v           debug messages\n"
"  --rollback   switch back to the newest kept older version\n"
"  --no-post    do not run PostUpdateCmd\n"
"exit: 0 installed, 1 up to date, 2 usage/configuration, 3 no source,\n"
"      4 package refused, 5 local failure, 6 PostUpdateCmd failed\n");
	exit(rc);
}

/* urep - a message to the terminal and the report */
void
urep(struct upd *u, int level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "warning", "info",
	    "debug" };
	char		 msg[2048], when[32];
	va_list		 ap;
	time_t		 t;
	struct tm	 tm;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!u->quiet && (level <= R_INFO || u->verbose))
		fprintf(stderr, "vigil-update: %s\n", msg);
	if (level > u->level)
		return;
	if (u->report != NULL) {
		t = time(NULL);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(u->report, "%s %s %s\n", when, names[level], msg);
		fflush(u->report);
	} else
		syslog(level == R_ERR ? LOG_ERR : level == R_WARN ?
		    LOG_WARNING : level == R_INFO ? LOG_INFO : LOG_DEBUG,
		    "%s", msg);
}

/*
 * license_allows - databases dated after the license's expiry are not
 * installed.  The license manager is not there yet: every date passes.
 */
static int
license_allows(const struct manifest *m, char *why, size_t whylen)
{
	(void)m;
	(void)why;
	(void)whylen;
	return 1;
}

/* add_source - append a source URL */
static void
add_source(char **v, size_t *n, const char *src)
{
	char	*url;

	if (*n == MAXSOURCES || (url = fetch_source_url(src)) == NULL)
		return;
	v[(*n)++] = url;
}

/* mirrors_file - the servers listed in MirrorsFile */
static void
mirrors_file(struct upd *u, const char *path, int random, char **v,
    size_t *n)
{
	FILE	*f;
	char	 line[4096], *p, *e, *tmp;
	size_t	 first = *n, i, j;

	if ((f = fopen(path, "re")) == NULL) {
		urep(u, R_DEBUG, "%s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p + strlen(p); e > p && (e[-1] == '\n' ||
		    e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (*p != '\0' && *p != '#')
			add_source(v, n, p);
	}
	fclose(f);
	if (!random)
		return;
	for (i = *n - first; i > 1; i--) {
		j = randombytes_uniform((uint32_t)i);
		tmp = v[first + i - 1];
		v[first + i - 1] = v[first + j];
		v[first + j] = tmp;
	}
}

/* post_update - PostUpdateCmd through the shell */
static int
post_update(struct upd *u, const char *cmd)
{
	char	 path[8192];
	pid_t	 pid;
	int	 status;

	if (cmd == NULL || cmd[0] == '\0')
		return UPD_OK;
	urep(u, R_INFO, "running PostUpdateCmd: %s", cmd);
	snprintf(path, sizeof(path), "%s:%s", VIGIL_SBINDIR,
	    getenv("PATH") ? getenv("PATH") : "/usr/sbin:/usr/bin:/sbin:/bin");
	if ((pid = fork()) == -1) {
		urep(u, R_ERR, "PostUpdateCmd: %s", strerror(errno));
		return UPD_POSTCMD;
	}
	if (pid == 0) {
		setenv("PATH", path, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return UPD_POSTCMD;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return UPD_OK;
	urep(u, R_ERR, "PostUpdateCmd failed (%s %d): %s",
	    WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ?
	    WEXITSTATUS(status) : WTERMSIG(status), cmd);
	return UPD_POSTCMD;
}

/* mirror_version - version of a valid package already in a mirror dir */
static uint64_t
mirror_version(struct upd *u, const char *dir)
{
	struct manifest	 m;
	char		 path[PATH_MAX], err[512], *text;
	uint64_t	 v;

	snprintf(path, sizeof(path), "%s/%s", dir, PKG_MANIFEST);
	if (pkg_open_manifest(path, u->keys, u->nkeys, &m, &text, err,
	    sizeof(err)) == -1)
		return 0;
	v = m.version;
	mf_free(&m);
	free(text);
	return v;
}

/*
 * try_source - one source: its manifest, the checks, then installation
 * (or the mirror copy).  An UPD_* code.
 */
static int
try_source(struct upd *u, const char *src, const struct manifest *cur,
    const char *curdir, const char *mirror_dir)
{
	struct manifest	 m;
	struct strbuf	 text;
	char		 err[512];
	uint64_t	 have;
	size_t		 which;
	int		 r, rc;

	strbuf_init(&text, MF_MAXTEXT);
	urep(u, R_INFO, "trying %s", src);
	r = fetch_mem(u, src, PKG_MANIFEST, MF_MAXTEXT, &text, err,
	    sizeof(err));
	if (r != 0) {
		urep(u, R_ERR, "source %s failed: %s", src, err);
		strbuf_fini(&text);
		return r == FETCH_LOCAL ? UPD_LOCAL : UPD_SOURCE;
	}
	if (mf_parse(text.data ? text.data : "", text.len, &m, err,
	    sizeof(err)) == -1) {
		urep(u, R_ERR, "refused: %s (%s/%s)", err, src, PKG_MANIFEST);
		strbuf_fini(&text);
		return UPD_REFUSED;
	}
	rc = UPD_REFUSED;
	if (mf_verify(text.data, &m, u->keys, u->nkeys, &which, err,
	    sizeof(err)) == -1) {
		urep(u, R_ERR, "refused: %s (%s/%s)", err, src, PKG_MANIFEST);
		goto out;
	}
	if (!license_allows(&m, err, sizeof(err))) {
		urep(u, R_ERR, "refused: %s", err);
		goto out;
	}
	have = mirror_dir != NULL ? mirror_version(u, mirror_dir) :
	    cur != NULL ? cur->version : 0;
	if (m.version < have) {
		urep(u, R_ERR, "refused: version %llu is older than the "
		    "installed %llu", (unsigned long long)m.version,
		    (unsigned long long)have);
		goto out;
	}
	if (m.version == have) {
		urep(u, R_INFO, "up to date (version %llu)",
		    (unsigned long long)have);
		rc = UPD_CURRENT;
		goto out;
	}
	urep(u, R_INFO, "%s offers version %llu of %s, signed by key %s",
	    src, (unsigned long long)m.version, m.date, m.keyid);
	if (mirror_dir != NULL)
		rc = inst_mirror(u, src, &m, text.data, text.len, mirror_dir);
	else
		rc = inst_install(u, src, &m, text.data, text.len, cur, curdir);
	if (rc == UPD_OK)
		urep(u, R_INFO, "%s version %llu", mirror_dir ? "mirrored" :
		    "installed", (unsigned long long)m.version);
out:
	mf_free(&m);
	strbuf_fini(&text);
	return rc;
}

/* run - every source in turn; the best outcome */
static int
run(struct upd *u, char **src, size_t nsrc, const char *mirror_dir)
{
	struct manifest	 cur;
	char		 curdir[PATH_MAX], *ctext = NULL;
	size_t		 i;
	int		 have, rc, worst = UPD_SOURCE;

	have = mirror_dir == NULL && inst_current(u, &cur, &ctext, curdir,
	    sizeof(curdir)) == UPD_OK;
	if (have)
		urep(u, R_DEBUG, "installed: version %llu in %s",
		    (unsigned long long)cur.version, curdir);
	for (i = 0; i < nsrc; i++) {
		rc = try_source(u, src[i], have ? &cur : NULL, curdir,
		    mirror_dir);
		if (rc == UPD_OK || rc == UPD_CURRENT || rc == UPD_LOCAL) {
			worst = rc;
			break;
		}
		if (rc == UPD_REFUSED)
			worst = UPD_REFUSED;
	}
	if (i == nsrc)
		urep(u, R_ERR, "no update installed: %s", worst == UPD_REFUSED ?
		    "every package offered was refused" :
		    "no source could be reached");
	urep(u, R_INFO, "fetched %llu bytes", (unsigned long long)u->fetched);
	if (have) {
		mf_free(&cur);
		free(ctext);
	}
	return worst;
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rollback", no_argument, NULL, 'R' },
		{ "no-post", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct upd	 u;
	struct cfg	*c;
	const char	*conf = NULL, *gsrc = NULL, *mirror = NULL;
	const char	*logfile = NULL, *const *keyfiles;
	const char	*S = "updater.options";
	char		 err[4096], *src[MAXSOURCES];
	size_t		 nsrc = 0, nkeys, i;
	int		 ch, rollback = 0, nopost = 0, rc;

	memset(&u, 0, sizeof(u));
	u.lockfd = -1;
	args_normalise(argc, argv);
	while ((ch = getopt_long(argc, argv, "c:g:x:u:l:qvhV", lopts, NULL)) !=
	    -1)
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'g':
			gsrc = optarg;
			break;
		case 'x':	/* the proxy guide's spelling */
		case 'u':	/* the mail guide's (5.1.4) */
			mirror = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'q':
			u.quiet = 1;
			break;
		case 'v':
			u.verbose = 1;
			break;
		case 'R':
			rollback = 1;
			break;
		case 'P':
			nopost = 1;
			break;
		case 'V':
			printf("vigil-update %s\n", VIGIL_PKG_VERSION);
			return UPD_OK;
		case 'h':
			usage(UPD_OK);
		default:
			usage(UPD_USAGE);
		}
	if (optind != argc || (rollback && mirror != NULL))
		usage(UPD_USAGE);
	if ((c = cfg_load_program(conf, &dirs, err, sizeof(err))) == NULL) {
		fprintf(stderr, "vigil-update: %s\n", err);
		return UPD_USAGE;
	}
	if (cfg_bool(c, S, NULL, "KeepSilent"))
		u.quiet = 1;
	u.level = (int)cfg_int(c, "updater.report", NULL, "ReportLevel");
	if (logfile == NULL) {
		logfile = cfg_str(c, "updater.report", NULL, "ReportFileName");
		if (logfile != NULL && logfile[0] == '\0')
			logfile = NULL;
	}
	if (logfile != NULL && (u.report = fopen(logfile,
	    cfg_bool(c, "updater.report", NULL, "Append") ? "ae" : "we")) ==
	    NULL) {
		fprintf(stderr, "vigil-update: %s: %s\n", logfile,
		    strerror(errno));
		rc = UPD_USAGE;
		goto out;
	}
	openlog("vigil-update", LOG_PID, LOG_DAEMON);
	if (sodium_init() == -1) {
		rc = UPD_LOCAL;
		goto out;
	}
	u.bases = cfg_str(c, "path", NULL, "BasesPath");
	u.cache = cfg_str(c, "path", NULL, "CachePath");
	if (u.cache != NULL && u.cache[0] == '\0')
		u.cache = NULL;
	u.timeout = (long)cfg_int(c, S, NULL, "Timeout");
	u.ctimeout = (long)cfg_int(c, S, NULL, "ConnectTimeout");
	u.use_proxy = cfg_bool(c, S, NULL, "UseProxy");
	u.proxy = cfg_str(c, S, NULL, "ProxyAddress");
	u.passive_ftp = cfg_bool(c, S, NULL, "PassiveFtp");
	u.keep_old = (int)cfg_int(c, S, NULL, "KeepOldBases");
	nkeys = cfg_list(c, S, NULL, "TrustedKeys", &keyfiles);
	if (nkeys == 0) {
		urep(&u, R_ERR, "no TrustedKeys configured: every package "
		    "would be refused");
		rc = UPD_USAGE;
		goto out;
	}
	if (pkg_read_keys(keyfiles, nkeys, &u.keys, err, sizeof(err)) == -1) {
		urep(&u, R_ERR, "TrustedKeys: %s", err);
		rc = UPD_USAGE;
		goto out;
	}
	u.nkeys = nkeys;
	if (gsrc != NULL)
		add_source(src, &nsrc, gsrc);
	else {
		const char *url = cfg_str(c, S, NULL, "UpdateServerUrl");
		int use = cfg_bool(c, S, NULL, "UseUpdateServerUrl");

		if (use && (url == NULL || url[0] == '\0')) {
			urep(&u, R_ERR, "%s: UseUpdateServerUrl=yes but "
			    "UpdateServerUrl is empty", cfg_filename(c));
			rc = UPD_USAGE;
			goto out;
		}
		if (use)
			add_source(src, &nsrc, url);
		if (!use || !cfg_bool(c, S, NULL, "UseUpdateServerUrlOnly"))
			mirrors_file(&u, cfg_str(c, S, NULL, "MirrorsFile"),
			    cfg_enum(c, S, NULL, "ServerOrder") == 0, src,
			    &nsrc);
	}
	if (!rollback && nsrc == 0) {
		urep(&u, R_ERR, "no update source: set UpdateServerUrl with "
		    "UseUpdateServerUrl=yes, list servers in MirrorsFile, or "
		    "give -g");
		rc = UPD_USAGE;
		goto out;
	}
	if (mirror == NULL && (rc = inst_lock(&u)) != UPD_OK)
		goto out;
	if (rollback)
		rc = inst_rollback(&u);
	else {
		if (fetch_init(&u, err, sizeof(err)) == -1) {
			urep(&u, R_ERR, "%s", err);
			rc = UPD_LOCAL;
			goto out;
		}
		rc = run(&u, src, nsrc, mirror);
		fetch_fini(&u);
	}
	if (rc == UPD_OK && mirror == NULL && !nopost)
		rc = post_update(&u, cfg_str(c, S, NULL, "PostUpdateCmd"));
out:
	for (i = 0; i < nsrc; i++)
		free(src[i]);
	free(u.keys);
	if (u.lockfd != -1)
		close(u.lockfd);
	if (u.report != NULL)
		fclose(u.report);
	cfg_free(c);
	return rc;
}
