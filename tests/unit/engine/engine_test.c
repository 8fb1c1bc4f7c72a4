/*
 * engine_test.c - load a database directory and scan, through the API
 *
 * Each test writes a small database into a fresh temporary directory,
 * loads it with vigil_engine_load() and scans buffers; the cache tests
 * load twice and compare.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/vigil.h"

#define EICAR "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

struct fx {
	char	 dir[64];
	char	 cache[80];
};

/* put - write a file into the database directory */
static void
put(const struct fx *fx, const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* rm_tree - remove a flat directory */
static void
rm_tree(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-et.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->cache, sizeof(fx->cache), "%s.cache", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	rm_tree(fx->dir);
	rm_tree(fx->cache);
	free(fx);
	return 0;
}

/* load - load the fixture's database; asserts success */
static struct vigil_engine *
load(const struct fx *fx, int cache, struct vigil_load_report *rep)
{
	struct vigil_load_opts o = { fx->dir, cache ? fx->cache : NULL, 0 };
	struct vigil_engine *e = NULL;
	enum vigil_err err = vigil_engine_load(&o, &e, rep);

	if (err != VIGIL_OK)
		fail_msg("load: %s: %s", vigil_strerror(err), rep->error);
	return e;
}

/* verdict - scan text, return the first threat or "" */
static const char *
verdict(struct vigil_scanner *s, const char *text, enum vigil_dbset set)
{
	static char	 out[128];
	struct vigil_limits lim;
	struct vigil_result r;

	memset(&lim, 0, sizeof(lim));
	lim.set = set;
	assert_int_equal(vigil_scan_buffer(s, text, strlen(text), &lim, &r),
	    VIGIL_OK);
	snprintf(out, sizeof(out), "%s", r.threat ? r.threat : "");
	return out;
}

static const char db_ndb[] =
	"Body.Plain:0:*:564947494c2d54455354\n"		/* VIGIL-TEST */
	"Body.Nul:0:*:0000564e554c\n"			/* \0\0VNUL */
	"Body.Offset:0:4:4f46465345542d48495421\n"	/* OFFSET-HIT! at 4 */
	"Body.Eof:0:EOF-3:454e44\n"			/* END at EOF-3 */
	"PUA.Body.Tool:0:*:5055412d544f4f4c\n"		/* PUA-TOOL */
	"Heuristics.Body.Odd:0:*:4f44442d4f4e45\n";	/* ODD-ONE */
static const char db_ldb[] =
	"Logic.Both;Engine:51-255,Target:0;0&1;4c4546542d50415254;"
	"72696768742d70617274::i\n"			/* LEFT-PART, right-part */
	"Logic.Count;Target:0;0>2;434f554e54\n";	/* COUNT x3 */

/* test_scan - hash, body, logical, offsets, sets */
static void
test_scan(void **state)
{
	struct fx	*fx = *state;
	struct vigil_load_report rep;
	struct vigil_engine *e;
	struct vigil_scanner *s;

	put(fx, "a.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n");
	put(fx, "b.ndb", db_ndb);
	put(fx, "c.ldb", db_ldb);
	e = load(fx, 0, &rep);
	assert_int_equal(rep.hash_sigs, 1);
	assert_int_equal(rep.body_sigs, 6);
	assert_int_equal(rep.logical_sigs, 2);
	assert_int_equal(vigil_engine_sigcount(e), 9);
	assert_non_null(s = vigil_scanner_new(e));
	assert_string_equal(verdict(s, EICAR, 0), "Eicar-Test");
	assert_string_equal(verdict(s, EICAR "\n", 0), "");
	assert_string_equal(verdict(s, "xxVIGIL-TESTxx", 0), "Body.Plain");
	assert_string_equal(verdict(s, "abcdOFFSET-HIT!", 0), "Body.Offset");
	{
		struct vigil_result r;
		static const char nul[] = "ab\0\0VNUL";

		assert_int_equal(vigil_scan_buffer(s, nul, 8, NULL, &r), 0);
		assert_string_equal(r.threat, "Body.Nul");
		assert_int_equal(vigil_scan_buffer(s, nul + 3, 5, NULL, &r), 0);
		assert_null(r.threat);
	}
	assert_string_equal(verdict(s, "abcOFFSET-HIT!", 0), "");
	assert_string_equal(verdict(s, "the END", 0), "Body.Eof");
	assert_string_equal(verdict(s, "the END.", 0), "");
	assert_string_equal(verdict(s, "PUA-TOOL", VIGIL_SET_STANDARD), "");
	assert_string_equal(verdict(s, "PUA-TOOL", VIGIL_SET_EXTENDED),
	    "PUA.Body.Tool");
	assert_string_equal(verdict(s, "ODD-ONE", VIGIL_SET_EXTENDED), "");
	assert_string_equal(verdict(s, "ODD-ONE", VIGIL_SET_PARANOID),
	    "Heuristics.Body.Odd");
	assert_string_equal(verdict(s, "LEFT-PART RIGHT-PART", 0),
	    "Logic.Both");
	assert_string_equal(verdict(s, "LEFT-PART only", 0), "");
	assert_string_equal(verdict(s, "COUNT COUNT", 0), "");
	assert_string_equal(verdict(s, "COUNT COUNT COUNT", 0), "Logic.Count");
	assert_string_equal(verdict(s, "", 0), "");
	vigil_scanner_free(s);
	vigil_engine_free(e);
}

/* test_status - SUSPICIOUS from a heuristic name, allmatch gives all */
static void
test_status(void **state)
{
	struct fx	*fx = *state;
	struct vigil_load_report rep;
	struct vigil_engine *e;
	struct vigil_scanner *s;
	struct vigil_limits lim;
	struct vigil_result r;
	const char	*t = "ODD-ONE VIGIL-TEST";

	put(fx, "b.ndb", db_ndb);
	e = load(fx, 0, &rep);
	assert_non_null(s = vigil_scanner_new(e));
	memset(&lim, 0, sizeof(lim));
	lim.set = VIGIL_SET_PARANOID;
	lim.flags = VIGIL_SCAN_ALLMATCH;
	assert_int_equal(vigil_scan_buffer(s, t, strlen(t), &lim, &r), 0);
	assert_int_equal(r.ndet, 2);
	assert_int_equal(r.status, VIGIL_INFECTED);
	lim.flags = 0;
	assert_int_equal(vigil_scan_buffer(s, "ODD-ONE", 7, &lim, &r), 0);
	assert_int_equal(r.status, VIGIL_SUSPICIOUS);
	lim.max_file_size = 3;
	assert_int_equal(vigil_scan_buffer(s, "ODD-ONE", 7, &lim, &r), 0);
	assert_int_equal(r.status, VIGIL_STATUS_ERROR);
	assert_non_null(strstr(r.reason, "MaxFileSize"));
	vigil_scanner_free(s);
	vigil_engine_free(e);
}

/* test_allow_ign - .fp clears a detection, .ign2 drops a signature */
static void
test_allow_ign(void **state)
{
	struct fx	*fx = *state;
	struct vigil_load_report rep;
	struct vigil_engine *e;
	struct vigil_scanner *s;

	put(fx, "a.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n");
	put(fx, "b.ndb", db_ndb);
	/* md5("xxVIGIL-TESTxx") */
	put(fx, "c.fp", "b30c6b832f542da09e8175dd62e03633:14:allowed\n");
	put(fx, "d.ign2", "Eicar-Test\n");
	e = load(fx, 0, &rep);
	assert_int_equal(rep.ignored, 1);
	assert_int_equal(rep.allow_entries, 1);
	assert_non_null(s = vigil_scanner_new(e));
	assert_string_equal(verdict(s, EICAR, 0), "");
	assert_string_equal(verdict(s, "xxVIGIL-TESTxx", 0), "");
	assert_string_equal(verdict(s, "xxVIGIL-TESTxy", 0), "Body.Plain");
	vigil_scanner_free(s);
	vigil_engine_free(e);
}

/* test_errors - a malformed line names file and line; lenient skips it */
static void
test_errors(void **state)
{
	struct fx	*fx = *state;
	struct vigil_load_opts o = { fx->dir, NULL, 0 };
	struct vigil_load_report rep;
	struct vigil_engine *e = NULL;

	assert_int_equal(vigil_engine_load(&o, &e, &rep), VIGIL_ENOENT);
	put(fx, "b.ndb", "Good:0:*:41424344\nBad:0:*:41zz\n");
	assert_int_equal(vigil_engine_load(&o, &e, &rep), VIGIL_EFORMAT);
	assert_null(e);
	assert_non_null(strstr(rep.error, "b.ndb:2: "));
	o.lenient = 1;
	assert_int_equal(vigil_engine_load(&o, &e, &rep), VIGIL_OK);
	assert_int_equal(rep.bad_lines, 1);
	assert_int_equal(rep.body_sigs, 1);
	vigil_engine_free(e);
	put(fx, "x.pdb", "H:example.com\n");
	o.lenient = 0;
	put(fx, "b.ndb", "Good:0:*:41424344\n");
	assert_int_equal(vigil_engine_load(&o, &e, &rep), VIGIL_OK);
	assert_int_equal(rep.skipped_files, 1);
	vigil_engine_free(e);
}

/* damage_cache - truncate a cache file, or flip bytes all through it */
static void
damage_cache(const struct fx *fx, const char *version, int flip)
{
	char	 path[256];
	FILE	*f;
	long	 len, i;

	snprintf(path, sizeof(path), "%s/%s.vdb", fx->cache, version);
	assert_non_null(f = fopen(path, "r+"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	if (!flip) {
		fclose(f);
		assert_int_equal(truncate(path, len / 2), 0);
		return;
	}
	for (i = 600; i < len; i += 97) {
		fseek(f, i, SEEK_SET);
		fputc(0x5a, f);
	}
	fclose(f);
}

/* test_cache - the second load comes from the cache and scans the same */
static void
test_cache(void **state)
{
	struct fx	*fx = *state;
	struct vigil_load_report r1, r2, r3;
	struct vigil_engine *e1, *e2, *e3;
	struct vigil_scanner *s;

	put(fx, "a.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n");
	put(fx, "b.ndb", db_ndb);
	put(fx, "c.ldb", db_ldb);
	e1 = load(fx, 1, &r1);
	e2 = load(fx, 1, &r2);
	assert_int_equal(r1.from_cache, 0);
	assert_int_equal(r2.from_cache, 1);
	assert_string_equal(vigil_engine_version(e1), vigil_engine_version(e2));
	assert_int_equal(r2.body_sigs, 6);
	assert_non_null(s = vigil_scanner_new(e2));
	assert_string_equal(verdict(s, "LEFT-PART right-part", 0),
	    "Logic.Both");
	assert_string_equal(verdict(s, EICAR, 0), "Eicar-Test");
	vigil_scanner_free(s);
	/* a damaged cache file is noticed and rebuilt, never trusted */
	damage_cache(fx, vigil_engine_version(e1), 0);
	vigil_engine_free(load(fx, 1, &r3));
	assert_int_equal(r3.from_cache, 0);
	damage_cache(fx, vigil_engine_version(e1), 1);
	vigil_engine_free(load(fx, 1, &r3));
	assert_int_equal(r3.from_cache, 0);
	vigil_engine_free(load(fx, 1, &r3));
	assert_int_equal(r3.from_cache, 1);
	/* any change of content is a new version: no stale cache */
	put(fx, "b.ndb", "Other:0:*:41424344\n");
	e3 = load(fx, 1, &r3);
	assert_int_equal(r3.from_cache, 0);
	assert_string_not_equal(vigil_engine_version(e1),
	    vigil_engine_version(e3));
	assert_non_null(s = vigil_scanner_new(e3));
	assert_string_equal(verdict(s, "xxVIGIL-TESTxx", 0), "");
	vigil_scanner_free(s);
	vigil_engine_free(e1);
	vigil_engine_free(e2);
	vigil_engine_free(e3);
}

/* write_cvd - a .cvd: 512-byte header, then tar.gz of the members */
static void
write_cvd(const struct fx *fx, const char *name, const char *const *members,
    int n)
{
	struct archive	*a;
	struct archive_entry *ae;
	char		 path[256], hdr[512];
	FILE		*f;
	int		 i;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_non_null(f = fopen(path, "w"));
	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "ClamAV-VDB:test:1:2:3:x:y:z", 27);
	fwrite(hdr, 1, sizeof(hdr), f);
	fflush(f);
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_ustar(a);
	assert_int_equal(archive_write_open_FILE(a, f), ARCHIVE_OK);
	for (i = 0; i < n; i += 2) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, members[i]);
		archive_entry_set_size(ae, (la_int64_t)strlen(members[i + 1]));
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_write_header(a, ae);
		archive_write_data(a, members[i + 1], strlen(members[i + 1]));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	fclose(f);
}

/* test_cvd - members of a container load like files; broken ones fail */
static void
test_cvd(void **state)
{
	struct fx	*fx = *state;
	const char	*members[] = {
		"main.hdb", "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test\n",
		"main.ndb", "Body.Plain:0:*:564947494c2d54455354\n",
		"main.info", "whatever\n",
		"main.mdb", "1:2:3\n",
	};
	struct vigil_load_report rep;
	struct vigil_load_opts o = { fx->dir, NULL, 0 };
	struct vigil_engine *e;
	struct vigil_scanner *s;

	write_cvd(fx, "main.cvd", members, 8);
	e = load(fx, 0, &rep);
	assert_int_equal(rep.hash_sigs, 1);
	assert_int_equal(rep.body_sigs, 1);
	assert_int_equal(rep.skipped_files, 1);
	assert_non_null(s = vigil_scanner_new(e));
	assert_string_equal(verdict(s, "VIGIL-TEST", 0), "Body.Plain");
	vigil_scanner_free(s);
	vigil_engine_free(e);
	put(fx, "main.cvd", "ClamAV-VDB: too short");
	assert_int_equal(vigil_engine_load(&o, &e, &rep), VIGIL_EFORMAT);
	assert_non_null(strstr(rep.error, "main.cvd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_ign, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cvd, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
