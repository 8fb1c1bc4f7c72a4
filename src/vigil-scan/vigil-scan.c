/*
 * vigil-scan.c - the on-demand scanner (the guides' kavscanner)
 *
 * DESIGN: options come from [scanner.*] of vigil.conf, then the command
 * line overrides them.  One engine is loaded (through the compiled
 * cache in [path] CachePath) and shared read-only by the scanning
 * threads (vigil-scan_walk.c); output is in vigil-scan_out.c.  With no
 * path, the current directory is scanned recursively (mail-servers
 * guide 4.1).  Exit status: 0 nothing found, 1 something found, 2 an
 * error (and nothing found).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cfg.h"
#include "fcache.h"
#include "args.h"
#include "log.h"
#include "qstore.h"
#include "vigil-scan.h"

enum {
	OPT_JSON = 256, OPT_NOSUMMARY, OPT_LISTTHREATS, OPT_CACHEDIR,
	OPT_NOCACHE, OPT_SET, OPT_EXCLDIR, OPT_EXCLMASK, OPT_ALLMATCH,
	OPT_LENIENT, OPT_SHOWOK, OPT_NORECURSE, OPT_RECURSE, OPT_APPEND,
	OPT_VERSION, OPT_CURE, OPT_NOICHECK, OPT_ICHECKDIR, OPT_DAEMON
};

static const struct option long_opts[] = {
	{ "config",		required_argument, NULL, 'c' },
	{ "database",		required_argument, NULL, 'd' },
	{ "threads",		required_argument, NULL, 'j' },
	{ "list",		required_argument, NULL, '@' },
	{ "report",		required_argument, NULL, 'o' },
	{ "append",		no_argument,	   NULL, OPT_APPEND },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "json",		no_argument,	   NULL, OPT_JSON },
	{ "no-summary",		no_argument,	   NULL, OPT_NOSUMMARY },
	{ "show-ok",		no_argument,	   NULL, OPT_SHOWOK },
	{ "list-threats",	no_argument,	   NULL, OPT_LISTTHREATS },
	{ "cache-dir",		required_argument, NULL, OPT_CACHEDIR },
	{ "no-cache",		no_argument,	   NULL, OPT_NOCACHE },
	{ "set",		required_argument, NULL, OPT_SET },
	{ "exclude-dir",	required_argument, NULL, OPT_EXCLDIR },
	{ "exclude",		required_argument, NULL, OPT_EXCLMASK },
	{ "allmatch",		no_argument,	   NULL, OPT_ALLMATCH },
	{ "lenient",		no_argument,	   NULL, OPT_LENIENT },
	{ "recursive",		no_argument,	   NULL, OPT_RECURSE },
	{ "no-recursive",	no_argument,	   NULL, OPT_NORECURSE },
	{ "local",		no_argument,	   NULL, 'l' },
	{ "all-local",		no_argument,	   NULL, 'a' },
	{ "action",		required_argument, NULL, 'i' },
	{ "enable",		required_argument, NULL, 'e' },
	{ "mode",		required_argument, NULL, 'm' },
	{ "list-status",	required_argument, NULL, 'p' },
	{ "cure",		no_argument,	   NULL, OPT_CURE },
	{ "no-icheck",		no_argument,	   NULL, OPT_NOICHECK },
	{ "icheck-dir",		required_argument, NULL, OPT_ICHECKDIR },
	{ "daemon",		optional_argument, NULL, OPT_DAEMON },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct cli {
	const char	*config, *dbdir, *listfile, *report, *cachedir, *set;
	const char	*icheckdir;
	const char	*daemon;	/* "" : the configuration's address */
	int		 threads, append, verbose, list_threats, lenient;
	int		 json, no_summary, show_ok, allmatch, all_local;
	int		 nocache, recursive;	/* -1: from the configuration */
	int		 local, cure, icheck, imode, flags, heuristic;
	const char	*lists[VS_NSTATUS];
	const char	**xdirs, **xmasks;
	size_t		 nxdirs, nxmasks;
};

static unsigned	opt_flags(const struct cfg *);
static void	load_rules(struct vs *, const struct cfg *);

/* usage - print the options and exit */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
"usage: vigil-scan [options] [PATH ...]\n"
"  -c, --config FILE     configuration file (default " VIGIL_SYSCONFDIR "/vigil.conf)\n"
"  -d, --database DIR    signature database directory ([path] BasesPath)\n"
"  -j, --threads N       scanning threads ([scanner.options] Threads)\n"
"  -@, --list FILE       scan the paths listed in FILE (\"-\": stdin)\n"
"  -o, --report FILE     also write the report to FILE (--append to add)\n"
"  -q, --quiet           print detections and errors only\n"
"  -v, --verbose         print the database load report\n"
"      --json            one JSON object per scanned object\n"
"      --show-ok         also print clean objects\n"
"      --no-summary      no closing summary\n"
"      --list-threats    list the detectable threats and exit\n"
"      --set SET         standard, extended or paranoid\n"
"      --cache-dir DIR   compiled database cache ([path] CachePath)\n"
"      --no-cache        do not read or write the compiled cache\n"
"      --exclude-dir DIR skip a directory (repeatable)\n"
"      --exclude MASK    skip files matching a shell pattern (repeatable)\n"
"      --no-recursive    do not descend into directories\n"
"      --allmatch        report every matching signature\n"
"      --lenient         skip malformed database lines\n"
"  -R, -r                recursive (the default) / not recursive\n"
"  -l, --local           do not descend into network or pseudo file systems\n"
"  -a, --all-local       scan every local mounted file system\n"
"  -i0..3, --action N    0 report only; 1 cure; 2 cure, else remove the file;\n"
"                        3 cure, else remove the file, containers included\n"
"      --cure            cure infected files ([scanner.options] Cure)\n"
"  -e[PASBME]            look into: P packed, A archives, S self-extracting\n"
"                        archives, B mailboxes, M mail; E heuristics\n"
"  -mC[y|n]              verdict cache (iChecker) on (y) or off (n)\n"
"      --no-icheck       the same as -mCn\n"
"      --icheck-dir DIR  where the verdict cache lives ([path] CachePath)\n"
"      --daemon[=ADDR]   scan through vigild ([scanner.options] UseDaemon,\n"
"                        VigildAddress; a socket path or HOST:PORT)\n"
"  -pX FILE              list objects of status X in FILE: i infected,\n"
"                        s suspicious, w warning, c corrupted, p protected,\n"
"                        e error, u cured (e.g. -pi/tmp/infected.lst)\n"
"Exit status: 0 nothing found, 1 threats found, 2 errors.\n");
	exit(status);
}

/* add_item - append to a growable list of strings */
static void
add_item(const char ***list, size_t *n, const char *s)
{
	const char **nl = realloc(*list, (*n + 1) * sizeof(**list));

	if (nl == NULL)
		log_fatalx("out of memory");
	nl[(*n)++] = s;
	*list = nl;
}

/* parse_enable - -e[PASBME]: what to look into; the rest is off */
static void
parse_enable(struct cli *cli, const char *arg)
{
	static const char letters[] = "PASBME";
	static const unsigned flag[] = { VIGIL_SCAN_PACKED,
	    VIGIL_SCAN_ARCHIVES, VIGIL_SCAN_SFX, VIGIL_SCAN_MAILBASES,
	    VIGIL_SCAN_MAILPLAIN, 0 };
	const char *p, *q;

	cli->flags = 0;
	cli->heuristic = 0;
	for (p = arg; *p != '\0'; p++) {
		if ((q = strchr(letters, *p)) == NULL)
			log_fatalx("-e: '%c' is not one of P A S B M E", *p);
		if (*q == 'E')
			cli->heuristic = 1;
		else
			cli->flags |= (int)flag[q - letters];
	}
}

/* parse_list - -pX FILE (or -pXFILE): a list file for status X */
static void
parse_list(struct cli *cli, const char *arg)
{
	static const char letters[] = "uecpwsi";
	static const enum vigil_status st[] = { VIGIL_CURED,
	    VIGIL_STATUS_ERROR, VIGIL_CORRUPTED, VIGIL_PROTECTED,
	    VIGIL_WARNING, VIGIL_SUSPICIOUS, VIGIL_INFECTED };
	const char *q;

	if (arg[0] == '\0' || (q = strchr(letters, arg[0])) == NULL)
		log_fatalx("-p: a status letter (i s w c p e u) and a file");
	if (arg[1] == '\0')
		log_fatalx("-p%c: which file?", arg[0]);
	cli->lists[st[q - letters]] = arg + 1;
}

/* parse_args - the command line into cli; returns the first path index */
static int
parse_args(int argc, char **argv, struct cli *cli)
{
	int	 ch;
	char	*end;

	cli->recursive = cli->nocache = cli->cure = cli->icheck = -1;
	cli->imode = cli->flags = cli->heuristic = -1;
	while ((ch = getopt_long(argc, argv, "c:d:j:@:o:qvhRrlai:e:m:p:",
	    long_opts, NULL)) != -1) {
		switch (ch) {
		case 'R': cli->recursive = 1; break;
		case 'r': cli->recursive = 0; break;
		case 'l': cli->local = 1; break;
		case 'a': cli->all_local = 1; break;
		case 'i':
			if (optarg[0] < '0' || optarg[0] > '3' ||
			    optarg[1] != '\0')
				log_fatalx("-i: 0, 1, 2 or 3");
			cli->imode = optarg[0] - '0';
			break;
		case 'e': parse_enable(cli, optarg); break;
		case 'm':
			if (optarg[0] != 'C' || (optarg[1] != '\0' &&
			    optarg[1] != 'y' && optarg[1] != 'n') ||
			    (optarg[1] != '\0' && optarg[2] != '\0'))
				log_fatalx("-m: C, Cy or Cn");
			cli->icheck = optarg[1] != 'n';
			break;
		case 'p': parse_list(cli, optarg); break;
		case OPT_CURE: cli->cure = 1; break;
		case OPT_NOICHECK: cli->icheck = 0; break;
		case OPT_ICHECKDIR: cli->icheckdir = optarg; break;
		case OPT_DAEMON: cli->daemon = optarg ? optarg : ""; break;
		case 'c': cli->config = optarg; break;
		case 'd': cli->dbdir = optarg; break;
		case 'j':
			cli->threads = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || cli->threads < 1 ||
			    cli->threads > 256)
				log_fatalx("-j: a number from 1 to 256");
			break;
		case '@': cli->listfile = optarg; break;
		case 'o': cli->report = optarg; break;
		case 'q': cli->verbose = -1; break;
		case 'v': cli->verbose = 1; break;
		case OPT_APPEND: cli->append = 1; break;
		case OPT_JSON: cli->json = 1; break;
		case OPT_NOSUMMARY: cli->no_summary = 1; break;
		case OPT_SHOWOK: cli->show_ok = 1; break;
		case OPT_LISTTHREATS: cli->list_threats = 1; break;
		case OPT_CACHEDIR: cli->cachedir = optarg; break;
		case OPT_NOCACHE: cli->nocache = 1; break;
		case OPT_SET: cli->set = optarg; break;
		case OPT_EXCLDIR: add_item(&cli->xdirs, &cli->nxdirs, optarg);
			break;
		case OPT_EXCLMASK:
			add_item(&cli->xmasks, &cli->nxmasks, optarg);
			break;
		case OPT_ALLMATCH: cli->allmatch = 1; break;
		case OPT_LENIENT: cli->lenient = 1; break;
		case OPT_RECURSE: cli->recursive = 1; break;
		case OPT_NORECURSE: cli->recursive = 0; break;
		case OPT_VERSION:
			printf("vigil-scan %s\n", VIGIL_VERSION);
			exit(0);
		case 'h': usage(0);
		default: usage(2);
		}
	}
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
		log_fatalx("%s: configuration not loaded", path ? path :
		    VIGIL_SYSCONFDIR "/vigil.conf");
	}
	return c;
}

/* apply_config - [scanner.*] and the command line into vs */
static void
apply_config(struct vs *vs, const struct cfg *c, const struct cli *cli)
{
	const char	*set;
	int		 s;

	vs->recursive = cli->recursive >= 0 ? cli->recursive :
	    cfg_bool(c, "scanner.options", NULL, "Recursion");
	vs->threads = cli->threads > 0 ? cli->threads :
	    (int)cfg_int(c, "scanner.options", NULL, "Threads");
	if (vs->threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		vs->threads = n > 0 ? (int)n : 1;
	}
	vs->quiet = cli->verbose == -1;
	vs->json = cli->json;
	vs->summary = !cli->no_summary && !vs->quiet;
	vs->show_ok = cli->show_ok ||
	    cfg_bool(c, "scanner.report", NULL, "ShowOk");
	vs->lim.max_file_size = cfg_size(c, "scanner.options", NULL,
	    "MaxFileSize");
	vs->lim.max_scan_size = cfg_size(c, "scanner.options", NULL,
	    "MaxScanSize");
	vs->lim.max_scan_ms = (unsigned)cfg_int(c, "scanner.options", NULL,
	    "MaxScanTime") * 1000;
	vs->lim.max_recursion = (unsigned)cfg_int(c, "scanner.options", NULL,
	    "MaxRecursion");
	vs->lim.max_files = (unsigned)cfg_int(c, "scanner.options", NULL,
	    "MaxFiles");
	vs->lim.max_ratio = (unsigned)cfg_int(c, "scanner.options", NULL,
	    "MaxRatio");
	vs->lim.flags = cli->allmatch ? VIGIL_SCAN_ALLMATCH : 0;
	if (cli->flags >= 0)
		vs->lim.flags |= (unsigned)cli->flags;
	else
		vs->lim.flags |= opt_flags(c);
	set = cli->set ? cli->set : cfg_str(c, "scanner.options", NULL,
	    "DatabaseSet");
	if ((s = (int)vigil_dbset_parse(set)) < 0)
		log_fatalx("--set: '%s' is not standard, extended or paranoid",
		    set);
	vs->lim.set = (enum vigil_dbset)s;
	if (cli->heuristic == 1)
		vs->lim.set = VIGIL_SET_PARANOID;
	vs->imode = cli->imode;
	vs->cure = cli->imode >= 1 || cli->cure == 1 || (cli->imode != 0 &&
	    cfg_bool(c, "scanner.options", NULL, "Cure"));
	vs->local_only = cli->local || cfg_bool(c, "scanner.options", NULL,
	    "LocalFS");
	vs->exec_timeout = 60;
	load_rules(vs, c);
	vs->nexclude_dirs = cfg_list(c, "scanner.options", NULL, "ExcludeDir",
	    &vs->exclude_dirs);
	vs->nexclude_masks = cfg_list(c, "scanner.options", NULL,
	    "ExcludeMask", &vs->exclude_masks);
	if (cli->nxdirs > 0) {
		vs->exclude_dirs = cli->xdirs;
		vs->nexclude_dirs = cli->nxdirs;
	}
	if (cli->nxmasks > 0) {
		vs->exclude_masks = cli->xmasks;
		vs->nexclude_masks = cli->nxmasks;
	}
}

/* opt_flags - [scanner.options] Archives, SelfExtArchives, ... */
static unsigned
opt_flags(const struct cfg *c)
{
	static const struct {
		const char	*key;
		unsigned	 flag;
	} keys[] = {
		{ "Archives", VIGIL_SCAN_ARCHIVES },
		{ "SelfExtArchives", VIGIL_SCAN_SFX },
		{ "MailBases", VIGIL_SCAN_MAILBASES },
		{ "MailPlain", VIGIL_SCAN_MAILPLAIN },
		{ "Packed", VIGIL_SCAN_PACKED },
	};
	unsigned f = 0;
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (cfg_bool(c, "scanner.options", NULL, keys[i].key))
			f |= keys[i].flag;
	return f;
}

/* load_rules - [scanner.object] and [scanner.container] On* rules */
static void
load_rules(struct vs *vs, const struct cfg *c)
{
	static const struct {
		const char		*key;
		enum vigil_status	 st;
	} keys[] = {
		{ "OnInfected", VIGIL_INFECTED },
		{ "OnSuspicious", VIGIL_SUSPICIOUS },
		{ "OnWarning", VIGIL_WARNING },
		{ "OnCorrupted", VIGIL_CORRUPTED },
		{ "OnProtected", VIGIL_PROTECTED },
		{ "OnError", VIGIL_STATUS_ERROR },
		{ "OnCured", VIGIL_CURED },
	};
	static const char *const sect[] = { "scanner.object",
	    "scanner.container" };
	struct act_list	*to;
	const char	*text;
	char		 err[256];
	size_t		 i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			to = k == 0 ? &vs->obj[keys[i].st] :
			    &vs->cont[keys[i].st];
			text = cfg_str(c, sect[k], NULL, keys[i].key);
			if (act_parse(text ? text : ACT_DEFAULT_RULE, to, err,
			    sizeof(err)) == -1)
				log_fatalx("%s:%d: [%s] %s: %s",
				    cfg_filename(c) ? cfg_filename(c) :
				    "defaults", cfg_lineno(c, sect[k], NULL,
				    keys[i].key), sect[k], keys[i].key, err);
		}
}

/* rules_want - does any rule use the action kind? */
static int
rules_want(const struct vs *vs, enum act_kind kind)
{
	size_t	 i;

	for (i = 0; i < VS_NSTATUS; i++)
		if (act_has(&vs->obj[i], kind) || act_has(&vs->cont[i], kind))
			return 1;
	return 0;
}

/* open_stores - BackupPath when set; the quarantine when a rule uses it */
static void
open_stores(struct vs *vs, const struct cfg *c)
{
	const char	*p;
	char		 err[512];

	pthread_mutex_init(&vs->qlock, NULL);
	if ((p = cfg_path_key(c, "scanner.path", "BackupPath")) != NULL &&
	    qstore_open(p, &vs->backup, err, sizeof(err)) == -1)
		log_fatalx("BackupPath: %s", err);
	if (rules_want(vs, ACT_QUARANTINE) &&
	    (p = cfg_path_key(c, "scanner.path", "QuarantinePath")) != NULL &&
	    qstore_open(p, &vs->quar, err, sizeof(err)) == -1)
		log_fatalx("QuarantinePath: %s", err);
}

/* open_lists - -pX FILE */
static void
open_lists(struct vs *vs, const struct cli *cli)
{
	size_t	 i;

	for (i = 0; i < VS_NSTATUS; i++)
		if (cli->lists[i] != NULL &&
		    (vs->lists[i] = fopen(cli->lists[i], "w")) == NULL)
			log_fatal("%s", cli->lists[i]);
}

/*
 * open_icheck - the verdict cache, one file per user and set of paths
 * scanned, bound to the database version and the scan options
 */
static void
open_icheck(struct vs *vs, const struct cfg *c, const struct cli *cli,
    char *const *paths, int npaths)
{
	const char	*dir;
	char		 ctx[512], file[4096], *abs;
	uint64_t	 h = 1469598103934665603ULL;
	size_t		 n;
	int		 i;
	const char	*p;

	/* through vigild its own cache applies */
	if (vs->engine == NULL || cli->icheck == 0 ||
	    (cli->icheck == -1 && !cfg_bool(c,
	    "scanner.options", NULL, "UseCache")))
		return;
	dir = cli->icheckdir ? cli->icheckdir : cli->cachedir ?
	    cli->cachedir : cfg_str(c, "path", NULL, "CachePath");
	if (dir == NULL || dir[0] == '\0')
		return;
	for (i = 0; i <= npaths; i++) {
		p = i < npaths ? paths[i] : (cli->listfile ? cli->listfile :
		    (npaths == 0 ? "." : ""));
		abs = realpath(p, NULL);
		for (p = abs ? abs : p; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;
		free(abs);
	}
	snprintf(file, sizeof(file), "%s/icheck-%u-%016llx.db", dir,
	    (unsigned)getuid(), (unsigned long long)h);
	snprintf(ctx, sizeof(ctx), "%s set=%d flags=%u fs=%llu ss=%llu "
	    "rec=%u files=%u ratio=%u ms=%u", vigil_engine_version(vs->engine),
	    (int)vs->lim.set, vs->lim.flags & ~VIGIL_SCAN_ALLMATCH,
	    (unsigned long long)vs->lim.max_file_size,
	    (unsigned long long)vs->lim.max_scan_size, vs->lim.max_recursion,
	    vs->lim.max_files, vs->lim.max_ratio, vs->lim.max_scan_ms);
	if ((vs->fc = fcache_open(file, ctx)) == NULL)
		log_fatalx("out of memory");
	/* files with findings: their report lines, in this output form */
	n = strlen(file);
	snprintf(file + n, sizeof(file) - n, ".found");
	n = strlen(ctx);
	snprintf(ctx + n, sizeof(ctx) - n, " json=%d", vs->json);
	vs->found = vs_found_open(file, ctx);
}

/* open_report - -o FILE, or [scanner.report] ReportFileName */
static void
open_report(struct vs *vs, const struct cfg *c, const struct cli *cli)
{
	const char	*path = cli->report;
	int		 append = cli->append;

	if (path == NULL) {
		path = cfg_str(c, "scanner.report", NULL, "ReportFileName");
		append = cfg_bool(c, "scanner.report", NULL, "Append");
	}
	if (path == NULL || path[0] == '\0')
		return;
	if ((vs->report = fopen(path, append ? "a" : "w")) == NULL)
		log_fatal("report file %s", path);
}

/* print_threat - one line of --list-threats */
static int
print_threat(const char *name, const char *kind, enum vigil_dbset set,
    void *arg)
{
	(void)arg;
	printf("%s\t%s\t%s\n", name, kind, vigil_dbset_name(set));
	return 0;
}

/* load_engine - the database, through the compiled cache */
static struct vigil_engine *
load_engine(const struct cfg *c, const struct cli *cli,
    struct vigil_load_report *rep)
{
	struct vigil_load_opts lo;
	struct vigil_engine *e;
	enum vigil_err	 err;

	memset(&lo, 0, sizeof(lo));
	lo.dbdir = cli->dbdir ? cli->dbdir : cfg_str(c, "path", NULL,
	    "BasesPath");
	lo.cache_dir = cli->cachedir ? cli->cachedir : cfg_str(c, "path",
	    NULL, "CachePath");
	if (cli->nocache == 1 || (lo.cache_dir && lo.cache_dir[0] == '\0'))
		lo.cache_dir = NULL;
	lo.lenient = cli->lenient;
	if ((err = vigil_engine_load(&lo, &e, rep)) != VIGIL_OK)
		log_fatalx("database %s: %s", lo.dbdir,
		    rep->error[0] ? rep->error : vigil_strerror(err));
	if (cli->verbose == 1) {
		fprintf(stderr, "vigil-scan: loaded %lu signatures from %s in "
		    "%.3f s%s: %lu hash, %lu body, %lu logical, %lu "
		    "allow-list entries, %lu ignored, %lu skipped%s%s%s\n",
		    vigil_engine_sigcount(e), lo.dbdir, rep->seconds,
		    rep->from_cache ? " (compiled cache)" : "",
		    rep->hash_sigs, rep->body_sigs, rep->logical_sigs,
		    rep->allow_entries, rep->ignored, rep->skipped,
		    rep->skipped_why[0] ? " (" : "", rep->skipped_why,
		    rep->skipped_why[0] ? ")" : "");
		if (rep->skipped_files > 0)
			fprintf(stderr, "vigil-scan: %lu database files of "
			    "kinds not supported yet were skipped\n",
			    rep->skipped_files);
		if (rep->bad_lines > 0)
			fprintf(stderr, "vigil-scan: %lu malformed lines "
			    "skipped; first: %s\n", rep->bad_lines,
			    rep->error);
	}
	return e;
}

/*
 * local_mounts - the mount points of local, disk-backed file systems
 * (and tmpfs outside /dev, /run, /sys, /proc), from /proc/self/mounts
 */
static int
local_mounts(char ***out)
{
	static const char *const local[] = { "ext2", "ext3", "ext4", "xfs",
	    "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "vfat", "exfat",
	    "ntfs", "ntfs3", "hfsplus", "tmpfs", "overlay", "bcachefs", NULL };
	FILE	*f;
	char	*line = NULL, dev[512], mnt[4096], type[64], **v = NULL, **nv;
	size_t	 cap = 0, i;
	int	 n = 0;

	if ((f = fopen("/proc/self/mounts", "r")) == NULL)
		log_fatal("/proc/self/mounts");
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%511s %4095s %63s", dev, mnt, type) != 3)
			continue;
		for (i = 0; local[i] != NULL; i++)
			if (strcmp(type, local[i]) == 0)
				break;
		if (local[i] == NULL)
			continue;
		if (strcmp(type, "tmpfs") == 0 && (strncmp(mnt, "/dev", 4) == 0 ||
		    strncmp(mnt, "/run", 4) == 0 || strncmp(mnt, "/sys", 4) == 0 ||
		    strncmp(mnt, "/proc", 5) == 0))
			continue;
		if ((nv = realloc(v, (size_t)(n + 1) * sizeof(*v))) == NULL ||
		    (nv[n] = strdup(mnt)) == NULL)
			log_fatalx("out of memory");
		v = nv;
		n++;
	}
	free(line);
	fclose(f);
	*out = v;
	return n;
}

int
main(int argc, char **argv)
{
	struct cli	 cli;
	struct vs	 vs;
	struct cfg	*c;
	struct vigil_load_report rep;
	struct timespec	 t0, t1;
	char		**paths = NULL;
	int		 first, rc, npaths = 0;
	size_t		 i;

	log_init("vigil-scan", LOG_TO_STDERR, LOG_LVL_INFO);
	memset(&cli, 0, sizeof(cli));
	memset(&vs, 0, sizeof(vs));
	args_normalise(argc, argv);
	first = parse_args(argc, argv, &cli);
	c = load_config(cli.config);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&rep, 0, sizeof(rep));
	if (cli.daemon != NULL || (cfg_bool(c, "scanner.options", NULL,
	    "UseDaemon") && !cli.list_threats && cli.dbdir == NULL)) {
		vs.daemon = cli.daemon != NULL && cli.daemon[0] != '\0' ?
		    cli.daemon : cfg_str(c, "scanner.options", NULL,
		    "VigildAddress");
		if (vs.daemon == NULL || vs.daemon[0] == '\0')
			log_fatalx("--daemon: no address ([scanner.options] "
			    "VigildAddress)");
	} else
		vs.engine = load_engine(c, &cli, &rep);
	if (cli.list_threats) {
		if (vs.engine == NULL)
			vs.engine = load_engine(c, &cli, &rep);
		vigil_engine_threats(vs.engine, print_threat, NULL);
		rc = 0;
		goto out;
	}
	apply_config(&vs, c, &cli);
	open_report(&vs, c, &cli);
	open_stores(&vs, c);
	open_lists(&vs, &cli);
	if (cli.all_local) {
		npaths = local_mounts(&paths);
		vs.local_only = vs.one_fs = 1;
	} else {
		paths = argv + first;
		npaths = argc - first;
	}
	open_icheck(&vs, c, &cli, paths, npaths);
	pthread_mutex_init(&vs.lock, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = vs_walk(&vs, paths, npaths, cli.listfile) == -1 ? 2 : 0;
	if ((vs.fc != NULL && fcache_save(vs.fc) == -1) ||
	    vs_found_save(vs.found) == -1)
		log_warn("verdict cache not saved");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	vs_out_summary(&vs, &rep, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (vs.n.infected + vs.n.suspicious + vs.n.warning > 0)
		rc = 1;
	else if (vs.n.errors > 0 || rc == 2)
		rc = 2;
	fflush(stdout);
	if (vs.report != NULL && fclose(vs.report) == EOF)
		log_warn("report file");
	pthread_mutex_destroy(&vs.lock);
	for (i = 0; i < VS_NSTATUS; i++) {
		act_list_free(&vs.obj[i]);
		act_list_free(&vs.cont[i]);
		if (vs.lists[i] != NULL && fclose(vs.lists[i]) == EOF)
			log_warn("list file");
	}
	fcache_close(vs.fc);
	vs_found_close(vs.found);
	qstore_close(vs.quar);
	qstore_close(vs.backup);
	if (cli.all_local) {
		for (i = 0; i < (size_t)npaths; i++)
			free(paths[i]);
		free(paths);
	}
out:
	vigil_engine_free(vs.engine);
	cfg_free(c);
	free(cli.xdirs);
	free(cli.xmasks);
	return rc;
}
