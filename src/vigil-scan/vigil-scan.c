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
#include "log.h"
#include "vigil-scan.h"

enum {
	OPT_JSON = 256, OPT_NOSUMMARY, OPT_LISTTHREATS, OPT_CACHEDIR,
	OPT_NOCACHE, OPT_SET, OPT_EXCLDIR, OPT_EXCLMASK, OPT_ALLMATCH,
	OPT_LENIENT, OPT_SHOWOK, OPT_NORECURSE, OPT_RECURSE, OPT_APPEND,
	OPT_VERSION
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
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct cli {
	const char	*config, *dbdir, *listfile, *report, *cachedir, *set;
	int		 threads, append, verbose, list_threats, lenient;
	int		 json, no_summary, show_ok, allmatch;
	int		 nocache, recursive;	/* -1: from the configuration */
	const char	**xdirs, **xmasks;
	size_t		 nxdirs, nxmasks;
};

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

/* parse_args - the command line into cli; returns the first path index */
static int
parse_args(int argc, char **argv, struct cli *cli)
{
	int	 ch;
	char	*end;

	cli->recursive = cli->nocache = -1;
	while ((ch = getopt_long(argc, argv, "c:d:j:@:o:qvh", long_opts,
	    NULL)) != -1) {
		switch (ch) {
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

/* load_config - the configuration file, or the defaults */
static struct cfg *
load_config(const char *path)
{
	static const struct cfg_dirs dirs = { VIGIL_DATADIR, VIGIL_SYSCONFDIR,
	    VIGIL_LOCALSTATEDIR };
	struct cfg	*c;
	char		 err[4096];
	const char	*p = path;

	if (p == NULL && access(VIGIL_SYSCONFDIR "/vigil.conf", R_OK) == 0)
		p = VIGIL_SYSCONFDIR "/vigil.conf";
	if ((c = cfg_load(p, &dirs, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s", err);
		if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		log_fatalx("%s: configuration not loaded", p ? p : "defaults");
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
	set = cli->set ? cli->set : cfg_str(c, "scanner.options", NULL,
	    "DatabaseSet");
	if ((s = (int)vigil_dbset_parse(set)) < 0)
		log_fatalx("--set: '%s' is not standard, extended or paranoid",
		    set);
	vs->lim.set = (enum vigil_dbset)s;
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

int
main(int argc, char **argv)
{
	struct cli	 cli;
	struct vs	 vs;
	struct cfg	*c;
	struct vigil_load_report rep;
	struct timespec	 t0, t1;
	int		 first, rc;

	log_init("vigil-scan", LOG_TO_STDERR, LOG_LVL_INFO);
	memset(&cli, 0, sizeof(cli));
	memset(&vs, 0, sizeof(vs));
	first = parse_args(argc, argv, &cli);
	c = load_config(cli.config);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vs.engine = load_engine(c, &cli, &rep);
	if (cli.list_threats) {
		vigil_engine_threats(vs.engine, print_threat, NULL);
		rc = 0;
		goto out;
	}
	apply_config(&vs, c, &cli);
	open_report(&vs, c, &cli);
	pthread_mutex_init(&vs.lock, NULL);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = vs_walk(&vs, argv + first, argc - first, cli.listfile) == -1 ?
	    2 : 0;
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
out:
	vigil_engine_free(vs.engine);
	cfg_free(c);
	free(cli.xdirs);
	free(cli.xmasks);
	return rc;
}
