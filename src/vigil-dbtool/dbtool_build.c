/*
 * dbtool_build.c - vigil-dbtool build and import: a database directory
 * into a signed, versioned package on a mirror
 *
 * DESIGN: the mirror is content-addressed.  Each database file becomes
 * objects/<sha256>.zst, written once and never changed, so every version
 * a mirror ever published stays complete beside the newest and an
 * unchanged file costs nothing.  For each file that changed since one of
 * the last --deltas versions (their manifests are kept in manifests/),
 * a zstd patch-from delta deltas/<old>-<new>.zst lets an updater holding
 * the old content fetch only the difference.  The manifest is written
 * last, by rename, after every object it names is on disk: an update
 * server copied or synchronised at any moment serves either the old
 * version or the new one, whole.
 *
 * The source is test-loaded with the engine first, so a package never
 * carries a database that does not load.  import unpacks ClamAV .cvd and
 * .cld containers (a 512-byte header, then a tar, gzipped in a .cvd; the
 * header's MD5 of a .cvd's body is checked) and builds from the members.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "vigil/vigil.h"
#include "dbtool.h"
#include "fdio.h"
#include "pkg.h"
#include "zdelta.h"

#define CVD_HDR		512

struct blob {
	void	*p;
	size_t	 n;
};

/* map_path - map a whole file into b (pkg_map) */
static int
map_path(const char *path, struct blob *b)
{
	return pkg_map(path, &b->p, &b->n);
}

/* unmap - release map_path's mapping */
static void
unmap(struct blob *b)
{
	pkg_unmap(b->p, b->n);
	b->p = NULL;
}

/* cmp_name - qsort: strings */
static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cmp_version - qsort: manifests, newest first */
static int
cmp_version(const void *a, const void *b)
{
	const struct manifest *x = a, *y = b;

	return x->version < y->version ? 1 : x->version > y->version ? -1 : 0;
}

/* source_names - the package's files: regular files with valid names */
static char **
source_names(const char *dir, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**v = NULL, **nv, path[4096];
	size_t		 cap = 0;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "vigil-dbtool: %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, PKG_MANIFEST) == 0)
			continue;
		snprintf(path, sizeof(path), "%.3800s/%.250s", dir, de->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (!mf_name_ok(de->d_name)) {
			fprintf(stderr, "vigil-dbtool: %s: name not allowed in "
			    "a package, skipped\n", path);
			continue;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto nomem;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			goto nomem;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_name);
	if (v == NULL)
		v = calloc(1, sizeof(*v));
	return v;
nomem:
	fprintf(stderr, "vigil-dbtool: out of memory\n");
	closedir(d);
	while (*n > 0)
		free(v[--(*n)]);
	free(v);
	return NULL;
}

/* history - the mirror's earlier manifests (structure only: we signed
 * them), newest first; *cur the newest version published there */
static struct manifest *
history(const char *mirror, size_t *n, uint64_t *cur)
{
	DIR		*d;
	struct dirent	*de;
	struct manifest	*v = NULL, *nv, m;
	char		 path[4096], err[256], *text;
	size_t		 cap = 0, len;

	*n = 0;
	*cur = 0;
	snprintf(path, sizeof(path), "%s/%s", mirror, PKG_MANIFEST);
	if (pkg_open_manifest(path, NULL, 0, &m, &text, err, sizeof(err))
	    == 0) {
		*cur = m.version;
		mf_free(&m);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/manifests", mirror);
	if ((d = opendir(path)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 10 ||
		    strcmp(de->d_name + len - 9, ".manifest") != 0)
			continue;
		snprintf(path, sizeof(path), "%.3000s/manifests/%.250s", mirror,
		    de->d_name);
		if (pkg_open_manifest(path, NULL, 0, &m, &text, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "vigil-dbtool: %s (ignored)\n", err);
			continue;
		}
		free(text);
		if (m.version > *cur)
			*cur = m.version;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				mf_free(&m);
				break;
			}
			v = nv;
		}
		v[(*n)++] = m;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), cmp_version);
	return v;
}

/*
 * put_blob - write a compressed object at path (tmp + rename), or hash
 * the one already there: content-addressed files never change
 */
static int
put_blob(const char *path, const void *src, size_t n, const void *pfx,
    size_t npfx, int level, uint64_t *zsize, uint8_t zsha[MF_HASHLEN])
{
	char	 tmp[4200], err[256];
	int	 fd;

	if (access(path, F_OK) == 0)
		return pkg_hash_file(path, zsha, zsize) == -1 ? -1 : 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644))
	    == -1) {
		fprintf(stderr, "vigil-dbtool: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	if (zd_compress(fd, src, n, pfx, npfx, level, zsize, zsha, err,
	    sizeof(err)) == -1 || fsync(fd) == -1 || close(fd) == -1) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "%s", strerror(errno));
		fprintf(stderr, "vigil-dbtool: %s: %s\n", path, err);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		fprintf(stderr, "vigil-dbtool: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* old_content - the content of an earlier file, from its object, in an
 * anonymous file mapped at b */
static int
old_content(const char *mirror, const struct mf_file *of, struct blob *b)
{
	struct blob	 z;
	char		 path[4096], hex[2 * MF_HASHLEN + 1], err[256];
	uint8_t		 sha[MF_HASHLEN];
	uint64_t	 len;
	int		 fd, rc = -1;

	b->p = NULL;
	b->n = 0;
	mf_hex(hex, of->sha);
	snprintf(path, sizeof(path), "%s/objects/%s.zst", mirror, hex);
	if (map_path(path, &z) == -1)
		return -1;
	if ((fd = memfd_create("vigil-old", MFD_CLOEXEC)) == -1)
		goto out;
	if (zd_decompress(fd, z.p, z.n, NULL, 0, of->size, &len, sha, err,
	    sizeof(err)) == -1 || len != of->size ||
	    memcmp(sha, of->sha, MF_HASHLEN) != 0) {
		fprintf(stderr, "vigil-dbtool: %s: damaged (%s), no delta "
		    "from it\n", path, err[0] ? err : "sha256 mismatch");
		goto out;
	}
	b->n = (size_t)len;
	if (b->n > 0 && (b->p = mmap(NULL, b->n, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		b->p = NULL;
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	unmap(&z);
	return rc;
}

/* add_deltas - deltas to f from the same name in earlier versions */
static int
add_deltas(const struct dbt_build *o, const char *mirror, struct mf_file *f,
    const struct blob *cur, const struct manifest *hist, size_t nhist,
    unsigned *ndeltas)
{
	const struct mf_file *of;
	struct mf_delta	*d;
	struct blob	 old;
	char		 path[4096], from[2 * MF_HASHLEN + 1];
	char		 to[2 * MF_HASHLEN + 1];
	size_t		 i, j;
	int		 used = 0, dup;

	mf_hex(to, f->sha);
	for (i = 0; i < nhist && used < o->ndeltas; i++) {
		if (hist[i].version >= o->version)
			continue;
		used++;
		if ((of = mf_find(&hist[i], f->name)) == NULL ||
		    memcmp(of->sha, f->sha, MF_HASHLEN) == 0 ||
		    f->ndeltas == MF_MAXDELTAS || of->size > ZD_MAXPREFIX ||
		    f->size > ZD_MAXPREFIX)
			continue;
		for (dup = 0, j = 0; j < f->ndeltas; j++)
			dup |= memcmp(f->deltas[j].from, of->sha,
			    MF_HASHLEN) == 0;
		if (dup || old_content(mirror, of, &old) == -1)
			continue;
		mf_hex(from, of->sha);
		snprintf(path, sizeof(path), "%s/deltas/%s-%s.zst", mirror,
		    from, to);
		d = &f->deltas[f->ndeltas];
		memcpy(d->from, of->sha, MF_HASHLEN);
		if (put_blob(path, cur->p ? cur->p : "", cur->n,
		    old.p ? old.p : "", old.n, o->level, &d->zsize,
		    d->zsha) == -1) {
			unmap(&old);
			return -1;
		}
		unmap(&old);
		/* a delta no smaller than the object is of no use */
		if (d->zsize >= f->zsize) {
			unlink(path);
			continue;
		}
		f->ndeltas++;
		(*ndeltas)++;
	}
	return 0;
}

/* write_atomic - pkg_write_atomic, with the message */
static int
write_atomic(const char *path, const void *p, size_t n)
{
	if (pkg_write_atomic(path, p, n) == 0)
		return 0;
	fprintf(stderr, "vigil-dbtool: %s: %s\n", path, strerror(errno));
	return -1;
}

/* utc_now - "YYYY-MM-DDTHH:MM:SSZ" */
static void
utc_now(char *buf, size_t len)
{
	time_t		 t = time(NULL);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* make_dirs - the mirror's directories */
static int
make_dirs(const char *mirror)
{
	static const char *const sub[] = { "", "/objects", "/deltas",
	    "/manifests" };
	char	 path[4096];
	size_t	 i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", mirror, sub[i]);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			fprintf(stderr, "vigil-dbtool: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* test_load - the source must load with the engine */
static int
test_load(const char *src)
{
	struct vigil_load_opts	 lo = { .dbdir = src };
	struct vigil_load_report rep;
	struct vigil_engine	*e;

	if (vigil_engine_load(&lo, &e, &rep) != VIGIL_OK) {
		fprintf(stderr, "vigil-dbtool: %s does not load: %s\n", src,
		    rep.error);
		return -1;
	}
	vigil_engine_free(e);
	return 0;
}

/* dbt_build - a database directory into a signed package on a mirror */
int
dbt_build(const struct dbt_build *o, const char *src, const char *mirror)
{
	struct manifest	 m, *hist = NULL;
	struct mf_file	 f;
	struct mf_delta	 deltas[MF_MAXDELTAS];
	struct strbuf	 text;
	struct vkey	 key;
	struct blob	 b = { NULL, 0 };
	char		**names = NULL, path[4096], hex[2 * MF_HASHLEN + 1];
	char		 err[512];
	size_t		 nnames = 0, nhist = 0, i;
	uint64_t	 cur, bytes = 0;
	unsigned	 ndeltas = 0;
	int		 rc = DBT_FAIL;

	memset(&m, 0, sizeof(m));
	strbuf_init(&text, MF_MAXTEXT);
	if (vkey_read(o->key, &key, err, sizeof(err)) == -1 || !key.has_sec) {
		fprintf(stderr, "vigil-dbtool: %s\n", key.has_sec ? err :
		    "--key must name a secret key file");
		return DBT_USAGE;
	}
	if ((names = source_names(src, &nnames)) == NULL)
		goto out;
	if (nnames == 0) {
		fprintf(stderr, "vigil-dbtool: %s: no database files\n", src);
		goto out;
	}
	if (test_load(src) == -1)
		goto out;
	hist = history(mirror, &nhist, &cur);
	if (o->version <= cur) {
		fprintf(stderr, "vigil-dbtool: version %llu is not newer than "
		    "%llu\n", (unsigned long long)o->version,
		    (unsigned long long)cur);
		goto out;
	}
	if (make_dirs(mirror) == -1)
		goto out;
	m.version = o->version;
	if (o->date != NULL)
		snprintf(m.date, sizeof(m.date), "%s", o->date);
	else
		utc_now(m.date, sizeof(m.date));
	for (i = 0; i < nnames; i++) {
		snprintf(path, sizeof(path), "%s/%s", src, names[i]);
		if (map_path(path, &b) == -1) {
			fprintf(stderr, "vigil-dbtool: %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
		memset(&f, 0, sizeof(f));
		snprintf(f.name, sizeof(f.name), "%s", names[i]);
		f.size = b.n;
		zd_sha256(b.p ? b.p : "", b.n, f.sha);
		mf_hex(hex, f.sha);
		snprintf(path, sizeof(path), "%s/objects/%s.zst", mirror, hex);
		if (put_blob(path, b.p ? b.p : "", b.n, NULL, 0, o->level,
		    &f.zsize, f.zsha) == -1)
			goto out;
		f.deltas = deltas;
		if (add_deltas(o, mirror, &f, &b, hist, nhist, &ndeltas) == -1)
			goto out;
		unmap(&b);
		bytes += f.size;
		if (mf_add_file(&m, &f) == -1) {
			fprintf(stderr, "vigil-dbtool: %s: %s\n", f.name,
			    errno == E2BIG ? "too many files or deltas for one "
			    "manifest" : strerror(errno));
			goto out;
		}
	}
	if (mf_format(&m, &text) == -1 || mf_sign(&text, &key) == -1) {
		fprintf(stderr, "vigil-dbtool: cannot sign the manifest\n");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/manifests/%llu.manifest", mirror,
	    (unsigned long long)m.version);
	if (write_atomic(path, text.data, text.len) == -1)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", mirror, PKG_MANIFEST);
	if (write_atomic(path, text.data, text.len) == -1 ||
	    fd_fsync_dir(mirror) == -1)
		goto out;
	printf("built version %llu: %zu files, %llu bytes, %u deltas "
	    "(key %s)\n", (unsigned long long)m.version, m.nfiles,
	    (unsigned long long)bytes, ndeltas, key.id);
	rc = DBT_OK;
out:
	sodium_memzero(&key, sizeof(key));
	unmap(&b);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < nhist; i++)
		mf_free(&hist[i]);
	free(hist);
	mf_free(&m);
	strbuf_fini(&text);
	return rc;
}

/* cvd_field - the i-th ':' field of a .cvd header, into out */
static int
cvd_field(const char *hdr, int i, char *out, size_t outlen)
{
	const char	*p = hdr, *e;
	size_t		 n;

	while (i-- > 0) {
		if ((p = memchr(p, ':', (size_t)(hdr + CVD_HDR - p))) == NULL)
			return -1;
		p++;
	}
	e = memchr(p, ':', (size_t)(hdr + CVD_HDR - p));
	n = e != NULL ? (size_t)(e - p) : (size_t)(hdr + CVD_HDR - p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* cvd_check - header and (for a .cvd) the MD5 of the body; the version */
static int
cvd_check(const char *name, const struct blob *b, uint64_t *version)
{
	char		 ver[32], md5[64], hex[33], *end;
	unsigned char	 dig[16];
	unsigned int	 dlen = sizeof(dig);
	size_t		 len = strlen(name);
	int		 i;

	if (b->n < CVD_HDR || memcmp(b->p, "ClamAV-VDB:", 11) != 0) {
		fprintf(stderr, "vigil-dbtool: %s: not a ClamAV database "
		    "container\n", name);
		return -1;
	}
	if (cvd_field(b->p, 2, ver, sizeof(ver)) == -1 ||
	    (*version = strtoull(ver, &end, 10)) == 0 || *end != '\0') {
		fprintf(stderr, "vigil-dbtool: %s: bad version in the header\n",
		    name);
		return -1;
	}
	if (len > 4 && strcmp(name + len - 4, ".cvd") == 0) {
		if (cvd_field(b->p, 5, md5, sizeof(md5)) == -1) {
			fprintf(stderr, "vigil-dbtool: %s: no MD5 in the "
			    "header\n", name);
			return -1;
		}
		EVP_Digest((const char *)b->p + CVD_HDR, b->n - CVD_HDR, dig,
		    &dlen, EVP_md5(), NULL);
		for (i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", dig[i]);
		if (strcasecmp(hex, md5) != 0) {
			fprintf(stderr, "vigil-dbtool: %s: MD5 mismatch: the "
			    "file is damaged\n", name);
			return -1;
		}
	}
	return 0;
}

/* cvd_unpack - the container's members into dir */
static int
cvd_unpack(const char *name, const struct blob *b, const char *dir)
{
	struct archive	*a;
	struct archive_entry *ae;
	const char	*mname;
	char		 path[4096], buf[65536];
	ssize_t		 r;
	int		 ar, fd, rc = -1;

	if ((a = archive_read_new()) == NULL)
		return -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, (const char *)b->p + CVD_HDR,
	    b->n - CVD_HDR) != ARCHIVE_OK)
		goto bad;
	while ((ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		if (archive_entry_filetype(ae) != AE_IFREG ||
		    (mname = archive_entry_pathname(ae)) == NULL)
			continue;
		if (strrchr(mname, '/') != NULL)
			mname = strrchr(mname, '/') + 1;
		if (!mf_name_ok(mname) || strcmp(mname, PKG_MANIFEST) == 0)
			continue;
		snprintf(path, sizeof(path), "%.3800s/%.250s", dir, mname);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0644)) == -1) {
			if (errno == EEXIST) {
				fprintf(stderr, "vigil-dbtool: %s: %s already "
				    "imported from another file, skipped\n",
				    name, mname);
				continue;
			}
			fprintf(stderr, "vigil-dbtool: %s: %s\n", path,
			    strerror(errno));
			goto out;
		}
		while ((r = archive_read_data(a, buf, sizeof(buf))) > 0)
			if (fd_write_all(fd, buf, (size_t)r) == -1) {
				fprintf(stderr, "vigil-dbtool: %s: %s\n", path,
				    strerror(errno));
				close(fd);
				goto out;
			}
		close(fd);
		if (r < 0)
			goto bad;
	}
	if (ar == ARCHIVE_EOF) {
		rc = 0;
		goto out;
	}
bad:
	fprintf(stderr, "vigil-dbtool: %s: %s\n", name,
	    archive_error_string(a) ? archive_error_string(a) :
	    "broken container");
out:
	archive_read_free(a);
	return rc;
}

/* dbt_import - ClamAV containers into a package */
int
dbt_import(const struct dbt_build *o, char *const *files, int nfiles,
    const char *mirror)
{
	struct dbt_build bo = *o;
	struct blob	 b;
	char		 dir[] = "/tmp/vigil-import.XXXXXX";
	uint64_t	 v, maxv = 0;
	int		 i, rc = DBT_FAIL;

	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "vigil-dbtool: %s: %s\n", dir, strerror(errno));
		return DBT_FAIL;
	}
	for (i = 0; i < nfiles; i++) {
		if (map_path(files[i], &b) == -1) {
			fprintf(stderr, "vigil-dbtool: %s: %s\n", files[i],
			    strerror(errno));
			goto out;
		}
		if (cvd_check(files[i], &b, &v) == -1 ||
		    cvd_unpack(files[i], &b, dir) == -1) {
			unmap(&b);
			goto out;
		}
		unmap(&b);
		if (v > maxv)
			maxv = v;
	}
	if (bo.version == 0)
		bo.version = maxv;
	rc = dbt_build(&bo, dir, mirror);
out:
	pkg_rmtree(dir);
	return rc;
}
