/*
 * db_test.c - signature line parsers and the offset parser, table-driven
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/vigil.h"
#include "build.h"

static const struct {
	const char	*text;
	int		 rc;
	int		 kind;
	int		 n;
	unsigned	 m;
	unsigned	 section;
} offs[] = {
	{ "*", 0, OFF_ANY, 0, 0, 0 },
	{ "0", 0, OFF_ABS, 0, 0, 0 },
	{ "100", 0, OFF_ABS, 100, 0, 0 },
	{ "100,20", 0, OFF_ABS, 100, 20, 0 },
	{ "EOF-10", 0, OFF_EOF, -10, 0, 0 },
	{ "EOF-10,5", 0, OFF_EOF, -10, 5, 0 },
	{ "EP+0", 0, OFF_EP, 0, 0, 0 },
	{ "EP+64", 0, OFF_EP, 64, 0, 0 },
	{ "EP-8,16", 0, OFF_EP, -8, 16, 0 },
	{ "S0+16", 0, OFF_SECT, 16, 0, 0 },
	{ "S12+4,2", 0, OFF_SECT, 4, 2, 12 },
	{ "SL+0", 0, OFF_SLAST, 0, 0, 0 },
	{ "SE3", 0, OFF_SENTIRE, 0, 0, 3 },
	{ "SE", -1, 0, 0, 0, 0 },
	{ "SE1,4", -1, 0, 0, 0, 0 },
	{ "", -1, 0, 0, 0, 0 },
	{ "-1", -1, 0, 0, 0, 0 },
	{ "EOF+3", -1, 0, 0, 0, 0 },
	{ "EP", -1, 0, 0, 0, 0 },
	{ "EP+", -1, 0, 0, 0, 0 },
	{ "Sx+1", -1, 0, 0, 0, 0 },
	{ "S1", -1, 0, 0, 0, 0 },
	{ "10,", -1, 0, 0, 0, 0 },
	{ "99999999999", -1, 0, 0, 0, 0 },
	{ "2147483647", 0, OFF_ABS, 2147483647, 0, 0 },
	{ "2147483648", -1, 0, 0, 0, 0 },
};

/* test_offsets - every offset form, good and bad */
static void
test_offsets(void **state)
{
	struct img_off_spec o;
	char	 why[128];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		why[0] = '\0';
		int rc = off_parse(offs[i].text, strlen(offs[i].text), &o,
		    why, sizeof(why));

		if (rc != offs[i].rc)
			fail_msg("offset '%s': rc %d", offs[i].text, rc);
		if (rc == -1) {
			assert_non_null(strstr(why, "bad offset"));
			continue;
		}
		assert_int_equal(o.kind, offs[i].kind);
		assert_int_equal(o.n, offs[i].n);
		assert_int_equal(o.m, offs[i].m);
		assert_int_equal(o.section, offs[i].section);
	}
}

enum { HDB, FP, NDB, LDB, IGN };

static const struct {
	int		 kind;
	const char	*line;
	int		 rc;
	const char	*why;		/* substring of the reason */
	unsigned long	 sigs, skipped;
} lines[] = {
	/* hash lines */
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:Eicar", 0, NULL, 1, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:*:Eicar:73", 0, NULL, 1, 0 },
	{ HDB, "3395856ce81f2b7382dee72602f798b642f14140:68:S1", 0, NULL, 1, 0 },
	{ HDB, "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
	    ":68:S256", 0, NULL, 1, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:Future:999", 0, NULL, 0, 1 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:Old:1:2", 0, NULL, 0, 1 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68", -1, "HASH:SIZE:NAME", 0, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02:68:Short", -1, "31 digits", 0, 0 },
	{ HDB, "g4d88612fea8a8f36de82e1278abb02f:68:Bad", -1, "hex", 0, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:6x8:Bad", -1, "size", 0, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:", -1, "empty", 0, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:a:1:2:3", -1, "too many", 0, 0 },
	{ HDB, "44d88612fea8a8f36de82e1278abb02f:68:a:x", -1, "functionality", 0, 0 },
	{ FP, "44d88612fea8a8f36de82e1278abb02f:68:allowed.txt", 0, NULL, 0, 0 },
	/* body lines */
	{ NDB, "A:0:*:41424344", 0, NULL, 1, 0 },
	{ NDB, "A:1:EP+0:e8????????{2-5}5d(01|02)", 0, NULL, 1, 0 },
	{ NDB, "A:6:S0+16,4:7f454c46*0102", 0, NULL, 1, 0 },
	{ NDB, "A:0:EOF-20:aa?b?ccd[1-4]ee", 0, NULL, 1, 0 },
	{ NDB, "A:0:*:(B)6869(L)!(00|ff)4142", 0, NULL, 1, 0 },
	{ NDB, "A:3:*:41424344", 0, NULL, 0, 1 },	/* HTML: skipped */
	{ NDB, "A:0:*:41424344:999", 0, NULL, 0, 1 },
	{ NDB, "A:0:*:41424344:1:255", 0, NULL, 1, 0 },
	{ NDB, "A:0:*:41424344:1:200", 0, NULL, 0, 1 },
	{ NDB, "A:0:*", -1, "NAME:TARGET:OFFSET:HEXSIG", 0, 0 },
	{ NDB, "A:x:*:4142", -1, "target", 0, 0 },
	{ NDB, "A:15:*:4142", -1, "target", 0, 0 },
	{ NDB, "A:0:EP*:4142", -1, "offset", 0, 0 },
	{ NDB, ":0:*:4142", -1, "empty", 0, 0 },
	{ NDB, "A:0:*:41zz", -1, NULL, 0, 0 },
	{ NDB, "A:0:*:", -1, NULL, 0, 0 },
	{ NDB, "A:3:*:41zz", -1, NULL, 0, 0 },	/* bad even when skipped */
	/* logical lines */
	{ LDB, "L;Engine:51-255,Target:0;0&1;41424344;45464748::i", 0, NULL,
	    1, 0 },
	{ LDB, "L;Target:1,EntryPoint:0-100;(0|1)>2,1;0:4142;EP+0:e800::w",
	    0, NULL, 1, 0 },
	{ LDB, "L;Target:6,NumberOfSections:3-9;0=1&1<3;7f454c46;6c6962::wa",
	    0, NULL, 1, 0 },
	{ LDB, "L;Target:0;0&1;41424344;0/abc/", 0, NULL, 0, 1 },
	{ LDB, "L;Target:0,Container:CL_TYPE_ZIP;0;41424344", 0, NULL, 0, 1 },
	{ LDB, "L;Engine:300-400,Target:0;0;41424344", 0, NULL, 0, 1 },
	{ LDB, "L;Target:7;0;41424344", 0, NULL, 0, 1 },
	{ LDB, "L;Target:0;0&1;41424344", -1, NULL, 0, 0 },	/* index 1 */
	{ LDB, "L;Target:0;0;41424344::z", -1, "modifier", 0, 0 },
	{ LDB, "L;Target:0;0;", -1, "empty subsignature", 0, 0 },
	{ LDB, "L;Target:0;0", -1, "NAME;TDB", 0, 0 },
	{ LDB, "L;Target:0;0;41zz", -1, "subsignature 0", 0, 0 },
	{ LDB, "L;Bogus:1;0;41424344", -1, NULL, 0, 0 },
	/* ignore lists */
	{ IGN, "Eicar", 0, NULL, 0, 0 },
	{ IGN, "Eicar:44d88612fea8a8f36de82e1278abb02f", 0, NULL, 0, 0 },
	{ IGN, ":abc", -1, "empty", 0, 0 },
};

/* test_lines - each line through its parser, on a fresh builder */
static void
test_lines(void **state)
{
	struct vigil_load_report rep;
	struct builder	 b;
	char		 why[256];
	size_t		 i;
	int		 rc = 0;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *l = lines[i].line;
		size_t	 n = strlen(l);

		memset(&rep, 0, sizeof(rep));
		assert_int_equal(builder_init(&b, &rep), 0);
		why[0] = '\0';
		switch (lines[i].kind) {
		case HDB: rc = db_hash_line(&b, l, n, 0, why, sizeof(why));
			break;
		case FP: rc = db_hash_line(&b, l, n, 1, why, sizeof(why));
			break;
		case NDB: rc = db_ndb_line(&b, l, n, why, sizeof(why)); break;
		case LDB: rc = db_ldb_line(&b, l, n, why, sizeof(why)); break;
		case IGN: rc = db_ign_line(&b, l, n, why, sizeof(why)); break;
		}
		if (rc != lines[i].rc)
			fail_msg("'%s': rc %d (%s)", l, rc, why);
		if (lines[i].why != NULL && strstr(why, lines[i].why) == NULL)
			fail_msg("'%s': reason '%s' lacks '%s'", l, why,
			    lines[i].why);
		if (rc == -1 && why[0] == '\0')
			fail_msg("'%s': no reason given", l);
		if (rc == 0 && b.sig.len / sizeof(struct img_sig) !=
		    lines[i].sigs)
			fail_msg("'%s': %zu signatures", l,
			    b.sig.len / sizeof(struct img_sig));
		if (rc == 0 && rep.skipped != lines[i].skipped)
			fail_msg("'%s': %lu skipped", l, rep.skipped);
		builder_fini(&b);
	}
}

/* test_ign_first - a name on the ignore list never becomes a signature */
static void
test_ign_first(void **state)
{
	struct vigil_load_report rep;
	struct builder	 b;
	char		 why[128];
	const char	*l = "Drop.Me:0:*:41424344";

	(void)state;
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(builder_init(&b, &rep), 0);
	assert_int_equal(db_ign_line(&b, "Drop.Me", 7, why, sizeof(why)), 0);
	assert_int_equal(db_ndb_line(&b, l, strlen(l), why, sizeof(why)), 0);
	assert_int_equal(b.sig.len, 0);
	assert_int_equal(rep.ignored, 1);
	builder_fini(&b);
}

/* test_sets - name rules give sets and statuses */
static void
test_sets(void **state)
{
	(void)state;
	assert_int_equal(vigil_set_of_name("Win.Trojan.X-1"),
	    VIGIL_SET_STANDARD);
	assert_int_equal(vigil_set_of_name("PUA.Win.Tool-1"),
	    VIGIL_SET_EXTENDED);
	assert_int_equal(vigil_set_of_name("Heuristics.Broken"),
	    VIGIL_SET_PARANOID);
	assert_int_equal(vigil_status_of_name("Heuristics.Broken"),
	    VIGIL_SUSPICIOUS);
	assert_int_equal(vigil_status_of_name("Warning.X"), VIGIL_WARNING);
	assert_int_equal(vigil_status_of_name("Eicar"), VIGIL_INFECTED);
	assert_int_equal(vigil_dbset_parse("Paranoid"), VIGIL_SET_PARANOID);
	assert_int_equal((int)vigil_dbset_parse("none"), -1);
	assert_string_equal(vigil_status_name(VIGIL_PROTECTED), "PROTECTED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_ign_first),
		cmocka_unit_test(test_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
