/*
 * load.c - load a database directory into an engine, through the cache
 *
 * DESIGN: the directory's database files are read once, in name order,
 * and digested (SHA-256 over each file's name, size and content, plus
 * the image format and functionality level): that digest is the
 * database version.  With a cache directory, "<version>.vdb" there is
 * the compiled image of exactly this content; it is mmapped and checked
 * (img_resolve) instead of parsing and compiling again.  Otherwise every
 * file is parsed -- .cvd/.cld containers unpacked with libarchive --
 * .ign2 lists first so that they apply whatever the file order, and the
 * compiled image is written to the cache atomically (temporary file,
 * fsync, rename), so a cache file is whole or absent.
 *
 * The ClamAV digital signature of .cvd files is not checked: vigil's own
 * signed packages (vigil-update) are the trusted path for databases.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vigil/vigil.h"
#include "build.h"
#include "cure.h"
#include "engine.h"

#define LOAD_MAXFILE	((size_t)2 << 30)	/* one database file */
#define LOAD_MAXUNITS	4096

enum unit_kind {
	U_HASH, U_HASHX, U_FP, U_NDB, U_NDBX, U_LDB, U_LDBX, U_IGN, U_CVD,
	U_CURE, U_SKIP, U_NONE
};

static const struct {
	const char	*ext;
	enum unit_kind	 kind;
} exts[] = {
	{ "hdb", U_HASH }, { "hsb", U_HASH }, { "hdu", U_HASHX },
	{ "hsu", U_HASHX }, { "fp", U_FP }, { "sfp", U_FP },
	{ "ndb", U_NDB }, { "ndu", U_NDBX }, { "ldb", U_LDB },
	{ "ldu", U_LDBX }, { "ign2", U_IGN }, { "cvd", U_CVD },
	{ "cld", U_CVD }, { "cud", U_CVD }, { "cure", U_CURE },
	/* known kinds vigil does not evaluate yet */
	{ "mdb", U_SKIP }, { "msb", U_SKIP }, { "mdu", U_SKIP },
	{ "msu", U_SKIP }, { "imp", U_SKIP }, { "cdb", U_SKIP },
	{ "crb", U_SKIP }, { "cat", U_SKIP }, { "pdb", U_SKIP },
	{ "gdb", U_SKIP }, { "wdb", U_SKIP }, { "ftm", U_SKIP },
	{ "idb", U_SKIP }, { "cbc", U_SKIP }, { "yar", U_SKIP },
	{ "yara", U_SKIP }, { "pwdb", U_SKIP }, { "ign", U_SKIP },
	{ "hwp", U_SKIP }, { "info", U_NONE }, { "cfg", U_NONE },
	{ NULL, U_NONE }
};

struct unit {
	char		*name;		/* as shown in errors */
	uint8_t		*data;
	size_t		 len;
	enum unit_kind	 kind;
	int		 mapped;
};

struct loader {
	struct unit	*u;
	size_t		 n, cap;
	struct vigil_load_report *rep;
	EVP_MD_CTX	*md;
	unsigned	 nskipkind;
};

/* unit_kind_of - kind of a file by its extension */
static enum unit_kind
unit_kind_of(const char *name)
{
	const char	*dot = strrchr(name, '.');
	int		 i;

	if (dot == NULL)
		return U_NONE;
	for (i = 0; exts[i].ext != NULL; i++)
		if (strcmp(dot + 1, exts[i].ext) == 0)
			return exts[i].kind;
	return U_NONE;
}

/* loader_add - append a unit; takes data */
static int
loader_add(struct loader *ld, const char *name, uint8_t *data, size_t len,
    enum unit_kind kind, int mapped)
{
	struct unit	*nu;

	if (ld->n == LOAD_MAXUNITS) {
		errno = E2BIG;
		return -1;
	}
	if (ld->n == ld->cap) {
		ld->cap = ld->cap ? ld->cap * 2 : 32;
		if ((nu = realloc(ld->u, ld->cap * sizeof(*nu))) == NULL)
			return -1;
		ld->u = nu;
	}
	if ((ld->u[ld->n].name = strdup(name)) == NULL)
		return -1;
	ld->u[ld->n].data = data;
	ld->u[ld->n].len = len;
	ld->u[ld->n].kind = kind;
	ld->u[ld->n].mapped = mapped;
	ld->n++;
	return 0;
}

/* loader_fini - release units */
static void
loader_fini(struct loader *ld)
{
	size_t	 i;

	for (i = 0; i < ld->n; i++) {
		if (ld->u[i].mapped)
			munmap(ld->u[i].data, ld->u[i].len);
		else
			free(ld->u[i].data);
		free(ld->u[i].name);
	}
	free(ld->u);
	EVP_MD_CTX_free(ld->md);
}

/* cmp_str - qsort strings */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* map_file - map a database file read-only */
static int
map_file(const char *path, uint8_t **data, size_t *len)
{
	struct stat	 st;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto out;
	if ((size_t)st.st_size > LOAD_MAXFILE) {
		errno = EFBIG;
		goto out;
	}
	*len = (size_t)st.st_size;
	if (*len == 0) {
		*data = NULL;
		rc = 0;
		goto out;
	}
	*data = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*data == MAP_FAILED)
		goto out;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* digest_unit - fold a file's name, size and content into the version */
static void
digest_unit(EVP_MD_CTX *md, const char *name, const uint8_t *p, size_t n)
{
	uint64_t len = n;

	EVP_DigestUpdate(md, name, strlen(name) + 1);
	EVP_DigestUpdate(md, &len, sizeof(len));
	if (n > 0)
		EVP_DigestUpdate(md, p, n);
}

/* read_dir - map every database file of dir, in name order */
static enum vigil_err
read_dir(struct loader *ld, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, path[4096];
	size_t		 n = 0, cap = 0, i, len;
	uint8_t		*data;
	enum unit_kind	 k;
	enum vigil_err	 rc = VIGIL_OK;

	if ((d = opendir(dir)) == NULL) {
		snprintf(ld->rep->error, sizeof(ld->rep->error), "%.400s: %s",
		    dir, strerror(errno));
		return errno == ENOMEM ? VIGIL_ENOMEM : VIGIL_ENOENT;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    unit_kind_of(de->d_name) == U_NONE)
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 32;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && rc == VIGIL_OK; i++) {
		k = unit_kind_of(names[i]);
		if (k == U_SKIP) {
			ld->rep->skipped_files++;
			continue;
		}
		snprintf(path, sizeof(path), "%.3800s/%.250s", dir, names[i]);
		if (map_file(path, &data, &len) == -1) {
			snprintf(ld->rep->error, sizeof(ld->rep->error),
			    "%.400s: %s", path, strerror(errno));
			rc = VIGIL_EIO;
			break;
		}
		digest_unit(ld->md, names[i], data, len);
		if (loader_add(ld, names[i], data, len, k, len > 0) == -1) {
			if (len > 0)
				munmap(data, len);
			goto nomem;
		}
		ld->rep->files++;
	}
	goto out;
nomem:
	rc = VIGIL_ENOMEM;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (rc == VIGIL_OK && ld->n == 0) {
		snprintf(ld->rep->error, sizeof(ld->rep->error),
		    "%.400s: no database files", dir);
		rc = VIGIL_ENOENT;
	}
	return rc;
}

/* unpack_cvd - add the members of a .cvd/.cld container as units */
static enum vigil_err
unpack_cvd(struct loader *ld, const struct unit *cu)
{
	struct archive	*a;
	struct archive_entry *ae;
	struct strbuf	 sb;
	char		 name[512], buf[16384];
	const char	*mname;
	enum unit_kind	 k;
	enum vigil_err	 rc = VIGIL_OK;
	ssize_t		 r;
	int		 ar;

	if (cu->len < 512 || memcmp(cu->data, "ClamAV-VDB:", 11) != 0) {
		snprintf(ld->rep->error, sizeof(ld->rep->error),
		    "%.300s: not a ClamAV database container", cu->name);
		return VIGIL_EFORMAT;
	}
	if ((a = archive_read_new()) == NULL)
		return VIGIL_ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, cu->data + 512, cu->len - 512) !=
	    ARCHIVE_OK)
		goto bad;
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		mname = archive_entry_pathname(ae);
		if (mname == NULL)
			continue;
		if (strrchr(mname, '/') != NULL)
			mname = strrchr(mname, '/') + 1;
		k = unit_kind_of(mname);
		if (k == U_SKIP) {
			ld->rep->skipped_files++;
			continue;
		}
		if (k == U_NONE || k == U_CVD)
			continue;
		strbuf_init(&sb, LOAD_MAXFILE);
		while ((r = archive_read_data(a, buf, sizeof(buf))) > 0)
			if (strbuf_append(&sb, buf, (size_t)r) == -1) {
				strbuf_fini(&sb);
				rc = VIGIL_ENOMEM;
				goto out;
			}
		if (r < 0) {
			strbuf_fini(&sb);
			goto bad;
		}
		snprintf(name, sizeof(name), "%.250s/%.250s", cu->name, mname);
		if (loader_add(ld, name, (uint8_t *)sb.data, sb.len, k, 0)
		    == -1) {
			strbuf_fini(&sb);
			rc = VIGIL_ENOMEM;
			goto out;
		}
	}
	if (ar == ARCHIVE_EOF)
		goto out;
bad:
	snprintf(ld->rep->error, sizeof(ld->rep->error), "%.300s: %s", cu->name,
	    archive_error_string(a) ? archive_error_string(a) :
	    "broken container");
	rc = VIGIL_EFORMAT;
out:
	archive_read_free(a);
	return rc;
}

/* parse_unit - feed every line of a unit to its parser */
static enum vigil_err
parse_unit(struct builder *b, const struct unit *u, int lenient)
{
	const char	*p = (const char *)u->data, *end = p + u->len, *nl;
	char		 why[256];
	size_t		 len;
	unsigned long	 lineno = 0;
	int		 rc;

	b->default_set = (u->kind == U_HASHX || u->kind == U_NDBX ||
	    u->kind == U_LDBX) ? VIGIL_SET_EXTENDED : -1;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		why[0] = '\0';
		rc = 0;
		if (len > 0 && p[0] != '#') {
			switch (u->kind) {
			case U_HASH: case U_HASHX:
				rc = db_hash_line(b, p, len, 0, why,
				    sizeof(why));
				break;
			case U_FP:
				rc = db_hash_line(b, p, len, 1, why,
				    sizeof(why));
				if (rc == 0)
					b->rep->allow_entries++;
				break;
			case U_NDB: case U_NDBX:
				rc = db_ndb_line(b, p, len, why, sizeof(why));
				break;
			case U_LDB: case U_LDBX:
				rc = db_ldb_line(b, p, len, why, sizeof(why));
				break;
			case U_IGN:
				rc = db_ign_line(b, p, len, why, sizeof(why));
				break;
			default:
				break;
			}
		}
		if (rc == -2)
			return VIGIL_ENOMEM;
		if (rc == -1) {
			b->rep->bad_lines++;
			if (b->rep->error[0] == '\0')
				snprintf(b->rep->error, sizeof(b->rep->error),
				    "%.200s:%lu: %.250s", u->name, lineno, why);
			if (!lenient)
				return VIGIL_EFORMAT;
		}
		p = nl ? nl + 1 : end;
	}
	return VIGIL_OK;
}

/* compile_units - parse every unit into an image */
static enum vigil_err
compile_units(struct loader *ld, const char *version, int lenient,
    void **img, size_t *imglen)
{
	struct builder	 b;
	enum vigil_err	 rc = VIGIL_OK;
	char		 why[256];
	size_t		 i, nfiles = ld->n;
	int		 pass;

	if (builder_init(&b, ld->rep) == -1)
		return VIGIL_ENOMEM;
	for (i = 0; i < nfiles && rc == VIGIL_OK; i++)
		if (ld->u[i].kind == U_CVD) {
			struct unit cu = ld->u[i];	/* ld->u moves */

			rc = unpack_cvd(ld, &cu);
		}
	for (pass = 0; pass < 2 && rc == VIGIL_OK; pass++)
		for (i = 0; i < ld->n && rc == VIGIL_OK; i++) {
			if ((ld->u[i].kind == U_IGN) != (pass == 0))
				continue;
			/* .ign2 first: it applies whatever the file order */
			rc = parse_unit(&b, &ld->u[i], lenient);
		}
	if (rc == VIGIL_OK && builder_finish(&b, version, img, imglen, why,
	    sizeof(why)) == -1) {
		snprintf(ld->rep->error, sizeof(ld->rep->error), "%s", why);
		rc = VIGIL_EINTERNAL;
	}
	builder_fini(&b);
	return rc;
}

/* engine_open_hs - deserialise the prefilter; rep may be NULL */
static enum vigil_err
engine_open_hs(struct vigil_engine *e, struct vigil_load_report *rep)
{
	if (e->v.hslen == 0)
		return VIGIL_OK;
	if (hs_deserialize_database((const char *)e->v.hs, e->v.hslen,
	    &e->hs) != HS_SUCCESS) {
		if (rep != NULL)
			snprintf(rep->error, sizeof(rep->error),
			    "prefilter database does not load on this machine");
		return VIGIL_EINTERNAL;
	}
	return VIGIL_OK;
}

/* blob_sum - SHA-256 of the pattern and expression sections */
static void
blob_sum(const struct img_view *v, uint8_t out[32])
{
	const struct img_hdr *h = v->hdr;
	unsigned	 len;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();

	memset(out, 0, 32);
	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_DigestUpdate(md, v->pat, h->sect[IMG_PAT].len);
	EVP_DigestUpdate(md, v->expr, h->sect[IMG_EXPR].len);
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

/* cache_read - map "<dir>/<version>.vdb" if it is a sound image */
static int
cache_read(const char *dir, const char *version, struct vigil_engine *e)
{
	char		 path[4096];
	uint8_t		*data, sum[32];
	size_t		 len;

	snprintf(path, sizeof(path), "%.3900s/%.80s.vdb", dir, version);
	if (map_file(path, &data, &len) == -1 || len == 0)
		return -1;
	if (img_resolve(data, len, &e->v) == -1 ||
	    strcmp(e->v.hdr->version, version) != 0 ||
	    (blob_sum(&e->v, sum), memcmp(sum, e->v.hdr->blobsum, 32) != 0)) {
		munmap(data, len);
		unlink(path);	/* damaged: the next load rewrites it */
		return -1;
	}
	e->img = data;
	e->imglen = len;
	e->mapped = 1;
	if (engine_open_hs(e, NULL) != VIGIL_OK) {
		munmap(data, len);
		e->img = NULL;
		e->mapped = 0;
		unlink(path);
		return -1;
	}
	return 0;
}

/* mkdir_p - create dir and its missing parents; failures show later */
static void
mkdir_p(const char *dir)
{
	char	 p[4096];
	size_t	 i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i] != '\0'; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			(void)mkdir(p, 0755);
			p[i] = '/';
		}
	(void)mkdir(p, 0755);
}

/* cache_write - store an image atomically; failures only cost speed */
static void
cache_write(const char *dir, const char *version, const void *img,
    size_t len)
{
	char		 tmp[4096], path[4096];
	const char	*p = img;
	ssize_t		 w;
	int		 fd;

	mkdir_p(dir);
	snprintf(path, sizeof(path), "%.3900s/%.80s.vdb", dir, version);
	snprintf(tmp, sizeof(tmp), "%.3900s/.%.80s.XXXXXX", dir, version);
	if ((fd = mkstemp(tmp)) == -1)
		return;
	while (len > 0) {
		if ((w = write(fd, p, len)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		goto fail;
	close(fd);
	if (rename(tmp, path) == -1)
		unlink(tmp);
	return;
fail:
	close(fd);
	unlink(tmp);
}

/* report_from_image - carry the load figures of a cached image */
static void
report_from_image(const struct img_hdr *h, struct vigil_load_report *rep)
{
	rep->hash_sigs = h->hash_sigs;
	rep->body_sigs = h->body_sigs;
	rep->logical_sigs = h->logical_sigs;
	rep->allow_entries = h->allow_entries;
	rep->ignored = h->ignored;
	rep->skipped = h->skipped;
	rep->skipped_files = h->skipped_files;
	snprintf(rep->skipped_why, sizeof(rep->skipped_why), "%s",
	    h->skipped_why);
}

/* engine_zero_lsigs - logical signatures that hold with nothing matched */
static enum vigil_err
engine_zero_lsigs(struct vigil_engine *e)
{
	size_t	 i;

	for (i = 0; i < e->v.nlsig; i++)
		if (e->v.lsig[i].flags & LSIG_F_ZERO) {
			uint32_t *nz = realloc(e->zero_lsigs,
			    (e->nzero + 1) * sizeof(*nz));

			if (nz == NULL)
				return VIGIL_ENOMEM;
			e->zero_lsigs = nz;
			e->zero_lsigs[e->nzero++] = (uint32_t)i;
		}
	return VIGIL_OK;
}

/*
 * load_cures - the cure records of every .cure file (cure.c); read on
 * every load, cached image or not: they are few and not compiled
 */
static enum vigil_err
load_cures(struct loader *ld, struct vigil_engine *e, int lenient)
{
	const struct unit *u;
	const char	*p, *end, *nl;
	char		 why[200];
	size_t		 i, len;
	unsigned long	 lineno;

	for (i = 0; i < ld->n; i++) {
		u = &ld->u[i];
		if (u->kind != U_CURE)
			continue;
		if (e->cure == NULL && (e->cure = cure_db_new()) == NULL)
			return VIGIL_ENOMEM;
		p = (const char *)u->data;
		end = p + u->len;
		for (lineno = 1; p < end; lineno++, p = nl ? nl + 1 : end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (len > 0 && p[len - 1] == '\r')
				len--;
			if (cure_db_add_line(e->cure, p, len, why,
			    sizeof(why)) != -1)
				continue;
			if (errno == ENOMEM)
				return VIGIL_ENOMEM;
			ld->rep->bad_lines++;
			if (ld->rep->error[0] == '\0')
				snprintf(ld->rep->error,
				    sizeof(ld->rep->error), "%.200s:%lu: %.250s",
				    u->name, lineno, why);
			if (!lenient)
				return VIGIL_EFORMAT;
		}
	}
	if (e->cure != NULL)
		cure_db_seal(e->cure);
	return VIGIL_OK;
}

/*
 * resolve_dir - the directory to read: dbdir/current when it exists (an
 * installed package set: vigil-update switches that one pointer), else
 * dbdir itself.  The pointer is resolved once, so a switch during the
 * load cannot mix two versions.  Notes the package version from the
 * directory's manifest, when it has one.
 */
static enum vigil_err
resolve_dir(const char *dbdir, char *dir, size_t dirlen,
    struct vigil_load_report *rep)
{
	char		 cur[PATH_MAX], line[128];
	struct stat	 st;
	FILE		*f;

	snprintf(cur, sizeof(cur), "%s/current", dbdir);
	if (stat(cur, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (realpath(cur, dir) == NULL) {
			snprintf(rep->error, sizeof(rep->error), "%.400s: %s",
			    cur, strerror(errno));
			return VIGIL_ENOENT;
		}
	} else if ((size_t)snprintf(dir, dirlen, "%s", dbdir) >= dirlen) {
		snprintf(rep->error, sizeof(rep->error), "%.400s: name too "
		    "long", dbdir);
		return VIGIL_EARG;
	}
	snprintf(cur, sizeof(cur), "%.4000s/vigil.manifest", dir);
	if ((f = fopen(cur, "re")) == NULL)
		return VIGIL_OK;
	/* the second line of a manifest is "version N" */
	if (fgets(line, sizeof(line), f) != NULL &&
	    fgets(line, sizeof(line), f) != NULL &&
	    strncmp(line, "version ", 8) == 0)
		rep->package_version = strtoull(line + 8, NULL, 10);
	fclose(f);
	return VIGIL_OK;
}

/* vigil_engine_load - load a database directory */
enum vigil_err
vigil_engine_load(const struct vigil_load_opts *opts, struct vigil_engine **out,
    struct vigil_load_report *rep)
{
	struct vigil_load_report dummy;
	struct vigil_engine *e = NULL;
	struct loader	 ld;
	struct timespec	 t0, t1;
	unsigned char	 dig[32];
	unsigned	 diglen, i;
	uint32_t	 fmt[2] = { IMG_FORMAT, VIGIL_FLEVEL };
	char		 dir[PATH_MAX];
	enum vigil_err	 rc;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	*out = NULL;
	if (opts == NULL || opts->dbdir == NULL)
		return VIGIL_EARG;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&ld, 0, sizeof(ld));
	ld.rep = rep;
	if ((ld.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ld.md, EVP_sha256(), NULL) != 1 ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		rc = VIGIL_ENOMEM;
		goto out;
	}
	EVP_DigestUpdate(ld.md, fmt, sizeof(fmt));
	if ((rc = resolve_dir(opts->dbdir, dir, sizeof(dir), rep)) !=
	    VIGIL_OK || (rc = read_dir(&ld, dir)) != VIGIL_OK ||
	    (rc = load_cures(&ld, e, opts->lenient)) != VIGIL_OK)
		goto out;
	EVP_DigestFinal_ex(ld.md, dig, &diglen);
	for (i = 0; i < 32; i++)
		snprintf(e->version + i * 2, 3, "%02x", dig[i]);
	if (opts->cache_dir != NULL && !opts->lenient &&
	    cache_read(opts->cache_dir, e->version, e) == 0) {
		rep->from_cache = 1;
		report_from_image(e->v.hdr, rep);
	} else {
		if ((rc = compile_units(&ld, e->version, opts->lenient,
		    &e->img, &e->imglen)) != VIGIL_OK)
			goto out;
		if (img_resolve(e->img, e->imglen, &e->v) == -1) {
			snprintf(rep->error, sizeof(rep->error),
			    "compiled image failed its own checks");
			rc = VIGIL_EINTERNAL;
			goto out;
		}
		blob_sum(&e->v, ((struct img_hdr *)e->img)->blobsum);
		if (opts->cache_dir != NULL && !opts->lenient)
			cache_write(opts->cache_dir, e->version, e->img,
			    e->imglen);
	}
	if ((e->hs == NULL && (rc = engine_open_hs(e, rep)) != VIGIL_OK) ||
	    (rc = engine_zero_lsigs(e)) != VIGIL_OK)
		goto out;
	*out = e;
	e = NULL;
out:
	loader_fini(&ld);
	vigil_engine_free(e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}

/* vigil_engine_free - release an engine */
void
vigil_engine_free(struct vigil_engine *e)
{
	if (e == NULL)
		return;
	hs_free_database(e->hs);
	free(e->zero_lsigs);
	cure_db_free(e->cure);
	if (e->mapped)
		munmap(e->img, e->imglen);
	else
		free(e->img);
	free(e);
}

/* vigil_engine_curecount - cure records loaded */
unsigned long
vigil_engine_curecount(const struct vigil_engine *e)
{
	return e->cure != NULL ? (unsigned long)cure_db_count(e->cure) : 0;
}

/* vigil_engine_sigcount - signatures loaded */
unsigned long
vigil_engine_sigcount(const struct vigil_engine *e)
{
	return (unsigned long)e->v.hdr->nsigs;
}

/* vigil_engine_version - content digest */
const char *
vigil_engine_version(const struct vigil_engine *e)
{
	return e->version;
}

/* vigil_engine_threats - walk the loaded signatures */
int
vigil_engine_threats(const struct vigil_engine *e,
    int (*fn)(const char *, const char *, enum vigil_dbset, void *),
    void *arg)
{
	static const char *const kinds[] = { "hash", "body", "logical" };
	uint64_t i;
	int	 rc;

	for (i = 0; i < e->v.hdr->nsigs; i++)
		if ((rc = fn(e->v.str + e->v.sig[i].name,
		    kinds[e->v.sig[i].kind % 3],
		    (enum vigil_dbset)e->v.sig[i].set, arg)) != 0)
			return rc;
	return 0;
}
