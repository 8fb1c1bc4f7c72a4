/*
 * vigil-dbtool - make and inspect vigil's signed database packages
 *
 *	vigil-dbtool keygen [-f] SECRET_FILE PUBLIC_FILE
 *	vigil-dbtool build --key SECRET_FILE --version N [--date DATE]
 *	    [--deltas K] [--level L] SOURCE_DIR MIRROR_DIR
 *	vigil-dbtool import --key SECRET_FILE [--version N] FILE.cvd... MIRROR_DIR
 *	vigil-dbtool verify [--key PUBLIC_FILE]... DIR|MANIFEST
 *	vigil-dbtool info DIR|MANIFEST
 *	vigil-dbtool list [--long] DIR
 *
 * DESIGN: one program per task of the database's life: the publisher
 * keeps the secret key and runs keygen, build and import; administrators
 * run verify, info and list on a mirror, an installed version or
 * BasesPath.  verify answers the one question that matters before a
 * database is trusted -- is this exactly what a trusted key signed -- so
 * without a trusted key it checks what it can and still fails.  Exit
 * codes: 0 done, 1 refused or a check failed, 2 usage.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil/vigil.h"
#include "config.h"
#include "dbtool.h"
#include "pkg.h"
#include "zdelta.h"

#define MAXKEYS	16

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
"usage: vigil-dbtool keygen [-f] SECRET_FILE PUBLIC_FILE\n"
"       vigil-dbtool build --key SECRET_FILE --version N [--date DATE]\n"
"                          [--deltas K] [--level L] SOURCE_DIR MIRROR_DIR\n"
"       vigil-dbtool import --key SECRET_FILE [--version N] FILE.cvd... "
"MIRROR_DIR\n"
"       vigil-dbtool verify [--key PUBLIC_FILE]... DIR|MANIFEST\n"
"       vigil-dbtool info DIR|MANIFEST\n"
"       vigil-dbtool list [--long] DIR\n");
	exit(DBT_USAGE);
}

/* resolve - an installed BasesPath means its current version */
static void
resolve(const char *path, char *out, size_t outlen)
{
	char		 cur[PATH_MAX];
	struct stat	 st;

	snprintf(cur, sizeof(cur), "%s/current", path);
	if (stat(cur, &st) == 0 && S_ISDIR(st.st_mode) &&
	    realpath(cur, out) != NULL)
		return;
	snprintf(out, outlen, "%s", path);
}

/* manifest_path - DIR/vigil.manifest, or path itself when a file */
static void
manifest_path(const char *path, char *out, size_t outlen, int *isdir)
{
	struct stat	 st;
	char		 dir[PATH_MAX];

	*isdir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
	if (!*isdir) {
		snprintf(out, outlen, "%s", path);
		return;
	}
	resolve(path, dir, sizeof(dir));
	snprintf(out, outlen, "%.3900s/%s", dir, PKG_MANIFEST);
}

/* cmd_keygen - a new Ed25519 key pair */
static int
cmd_keygen(int argc, char **argv)
{
	struct vkey	 k;
	char		 err[512];
	int		 ch, force = 0;

	while ((ch = getopt(argc, argv, "f")) != -1)
		if (ch == 'f')
			force = 1;
		else
			usage();
	if (argc - optind != 2)
		usage();
	if (vkey_generate(&k) == -1 ||
	    vkey_write(&k, argv[optind], argv[optind + 1], force, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "vigil-dbtool: %s\n", err);
		return DBT_FAIL;
	}
	printf("key id: %s\n", k.id);
	return DBT_OK;
}

/* parse_u64 - a positive decimal */
static uint64_t
parse_u64(const char *s)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s == '-' || v == 0 ||
	    v > INT64_MAX) {
		fprintf(stderr, "vigil-dbtool: %s: not a positive number\n", s);
		exit(DBT_USAGE);
	}
	return v;
}

/* cmd_build - build and import */
static int
cmd_build(int argc, char **argv, int import)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "version", required_argument, NULL, 'v' },
		{ "date", required_argument, NULL, 'd' },
		{ "deltas", required_argument, NULL, 'D' },
		{ "level", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct dbt_build o = { .ndeltas = DBT_DELTAS, .level = DBT_LEVEL };
	int		 ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'k':
			o.key = optarg;
			break;
		case 'v':
			o.version = parse_u64(optarg);
			break;
		case 'd':
			o.date = optarg;
			break;
		case 'D':
			o.ndeltas = (int)parse_u64(optarg) > 64 ? 64 :
			    (int)parse_u64(optarg);
			break;
		case 'L':
			o.level = (int)parse_u64(optarg) > 19 ? 19 :
			    (int)parse_u64(optarg);
			break;
		default:
			usage();
		}
	if (o.key == NULL || (!import && o.version == 0) ||
	    argc - optind < 2 || (!import && argc - optind != 2))
		usage();
	if (import)
		return dbt_import(&o, argv + optind, argc - optind - 1,
		    argv[argc - 1]);
	return dbt_build(&o, argv[optind], argv[optind + 1]);
}

/* check_mirror - every object of a mirror is what the manifest says */
static int
check_mirror(const char *dir, const struct manifest *m)
{
	const struct mf_file *f;
	char		 path[PATH_MAX], hex[2 * MF_HASHLEN + 1], err[256];
	char		 from[2 * MF_HASHLEN + 1];
	uint8_t		 zsha[MF_HASHLEN], sha[MF_HASHLEN];
	uint64_t	 zsize, len;
	size_t		 i, j, zlen;
	char		*z;
	int		 null, bad = 0;

	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < m->nfiles; i++) {
		f = &m->files[i];
		mf_hex(hex, f->sha);
		snprintf(path, sizeof(path), "%.3900s/objects/%s.zst", dir, hex);
		if (pkg_hash_file(path, zsha, &zsize) == -1 ||
		    zsize != f->zsize || memcmp(zsha, f->zsha, MF_HASHLEN)) {
			fprintf(stderr, "vigil-dbtool: %s: object %s\n",
			    f->name, errno == ENOENT ? "missing" : "damaged");
			bad = 1;
			continue;
		}
		if (pkg_slurp(path, (size_t)zsize, &z, &zlen, err,
		    sizeof(err)) == -1 ||
		    zd_decompress(null, z, zlen, NULL, 0, f->size, &len, sha,
		    err, sizeof(err)) == -1 || len != f->size ||
		    memcmp(sha, f->sha, MF_HASHLEN) != 0) {
			fprintf(stderr, "vigil-dbtool: %s: content does not "
			    "match the manifest\n", f->name);
			bad = 1;
		}
		free(z);
		for (j = 0; j < f->ndeltas; j++) {
			mf_hex(from, f->deltas[j].from);
			snprintf(path, sizeof(path), "%.3900s/deltas/%s-%s.zst", dir,
			    from, hex);
			if (pkg_hash_file(path, zsha, &zsize) == -1)
				fprintf(stderr, "vigil-dbtool: %s: delta from "
				    "%.12s missing (updaters fetch the "
				    "object)\n", f->name, from);
			else if (zsize != f->deltas[j].zsize ||
			    memcmp(zsha, f->deltas[j].zsha, MF_HASHLEN)) {
				fprintf(stderr, "vigil-dbtool: %s: delta from "
				    "%.12s damaged\n", f->name, from);
				bad = 1;
			}
		}
	}
	close(null);
	return bad ? -1 : 0;
}

/* cmd_verify - a manifest, a mirror or an installed version */
static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*keyfiles[MAXKEYS];
	struct vkey	*keys = NULL;
	struct manifest	 m;
	struct stat	 st;
	char		 mpath[PATH_MAX], dir[PATH_MAX], obj[PATH_MAX];
	char		 err[512], *text = NULL;
	size_t		 nkeys = 0;
	int		 ch, isdir, rc = DBT_FAIL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (ch == 'k' && nkeys < MAXKEYS)
			keyfiles[nkeys++] = optarg;
		else
			usage();
	if (argc - optind != 1)
		usage();
	if (pkg_read_keys(keyfiles, nkeys, &keys, err, sizeof(err)) == -1) {
		fprintf(stderr, "vigil-dbtool: %s\n", err);
		return DBT_USAGE;
	}
	manifest_path(argv[optind], mpath, sizeof(mpath), &isdir);
	if (pkg_open_manifest(mpath, keys, nkeys, &m, &text, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "vigil-dbtool: refused: %s\n", err);
		goto out;
	}
	if (isdir) {
		resolve(argv[optind], dir, sizeof(dir));
		snprintf(obj, sizeof(obj), "%.3900s/objects", dir);
		if (stat(obj, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (check_mirror(dir, &m) == -1)
				goto done;
		} else if (pkg_check_dir(dir, &m, err, sizeof(err)) == -1) {
			fprintf(stderr, "vigil-dbtool: refused: %s\n", err);
			goto done;
		}
	}
	if (nkeys == 0) {
		printf("version %llu: whole, but the signature (key %s) was "
		    "not checked: give --key\n", (unsigned long long)m.version,
		    m.signed_ ? m.keyid : "none");
		goto done;
	}
	printf("verified version %llu (key %s)\n",
	    (unsigned long long)m.version, m.keyid);
	rc = DBT_OK;
done:
	mf_free(&m);
out:
	free(text);
	free(keys);
	return rc;
}

/* cmd_info - what a manifest says */
static int
cmd_info(int argc, char **argv)
{
	struct manifest	 m;
	char		 mpath[PATH_MAX], hex[2 * MF_HASHLEN + 1], err[512];
	char		*text;
	uint64_t	 total = 0, ztotal = 0;
	size_t		 i, nd = 0;
	int		 isdir;

	if (argc != 2)
		usage();
	manifest_path(argv[1], mpath, sizeof(mpath), &isdir);
	if (pkg_open_manifest(mpath, NULL, 0, &m, &text, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "vigil-dbtool: %s\n", err);
		return DBT_FAIL;
	}
	for (i = 0; i < m.nfiles; i++) {
		total += m.files[i].size;
		ztotal += m.files[i].zsize;
		nd += m.files[i].ndeltas;
	}
	printf("version: %llu\ndate: %s\nsigned by: %s\n"
	    "files: %zu (%llu bytes, %llu compressed), deltas: %zu\n",
	    (unsigned long long)m.version, m.date,
	    m.signed_ ? m.keyid : "(unsigned)", m.nfiles,
	    (unsigned long long)total, (unsigned long long)ztotal, nd);
	for (i = 0; i < m.nfiles; i++) {
		mf_hex(hex, m.files[i].sha);
		printf("  %-24s %12llu %s\n", m.files[i].name,
		    (unsigned long long)m.files[i].size, hex);
	}
	mf_free(&m);
	free(text);
	return DBT_OK;
}

struct names {
	char	**v;
	size_t	 n, cap;
	int	 lng;		/* --long: kind and set too */
};

/* add_threat - vigil_engine_threats callback: collect a line */
static int
add_threat(const char *name, const char *kind, enum vigil_dbset set,
    void *arg)
{
	struct names	*t = arg;
	char		**nv;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		if ((nv = realloc(t->v, t->cap * sizeof(*nv))) == NULL)
			return 1;
		t->v = nv;
	}
	if (t->lng) {
		if (asprintf(&t->v[t->n], "%s\t%s\t%s", name, kind,
		    vigil_dbset_name(set)) == -1)
			return 1;
	} else if ((t->v[t->n] = strdup(name)) == NULL)
		return 1;
	t->n++;
	return 0;
}

/* cmp_str - qsort: strings */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cmd_list - the threats a database detects, sorted, each once */
static int
cmd_list(int argc, char **argv)
{
	struct vigil_load_opts	 lo;
	struct vigil_load_report rep;
	struct vigil_engine	*e;
	struct names		 t = { NULL, 0, 0, 0 };
	size_t			 i;
	int			 rc;

	if (argc == 3 && strcmp(argv[1], "--long") == 0) {
		t.lng = 1;
		argv++;
		argc--;
	}
	if (argc != 2)
		usage();
	memset(&lo, 0, sizeof(lo));
	lo.dbdir = argv[1];
	if (vigil_engine_load(&lo, &e, &rep) != VIGIL_OK) {
		fprintf(stderr, "vigil-dbtool: %s\n", rep.error);
		return DBT_FAIL;
	}
	rc = vigil_engine_threats(e, add_threat, &t);
	vigil_engine_free(e);
	if (rc != 0)
		fprintf(stderr, "vigil-dbtool: out of memory\n");
	if (t.n > 0)
		qsort(t.v, t.n, sizeof(*t.v), cmp_str);
	for (i = 0; i < t.n && rc == 0; i++)
		if (i == 0 || strcmp(t.v[i], t.v[i - 1]) != 0)
			printf("%s\n", t.v[i]);
	for (i = 0; i < t.n; i++)
		free(t.v[i]);
	free(t.v);
	return rc != 0 || fflush(stdout) != 0 ? DBT_FAIL : DBT_OK;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("vigil-dbtool %s\n", VIGIL_PKG_VERSION);
		return DBT_OK;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "import") == 0)
		return cmd_build(argc - 1, argv + 1, 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc - 1, argv + 1);
	usage();
}
