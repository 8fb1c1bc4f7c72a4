/*
 * policy_test.c - vigil-icapd groups: ClientIP matchers (edges first),
 * order, inheritance, errors, and the proxy guide's examples as written
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "cfg.h"
#include "icap_policy.h"

struct fixture {
	struct cfg		*c;
	struct icap_policy	*p;
	char			 err[1024];
};

/* load - cfg and policy from text; the policy may fail (f->p NULL) */
static void
load(struct fixture *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	f->c = cfg_load_buffer("test.conf", text, strlen(text), NULL, f->err,
	    sizeof(f->err));
	if (f->c == NULL)
		fail_msg("cfg: %s", f->err);
	f->p = icap_policy_new(f->c, f->err, sizeof(f->err));
}

/* unload - free both */
static void
unload(struct fixture *f)
{
	icap_policy_free(f->p);
	cfg_free(f->c);
}

/* gname - name of the group matched */
static const char *
gname(const struct fixture *f, const char *client, const char *url)
{
	return icap_policy_match(f->p, client, url)->name;
}

static const struct {
	const char	*item;		/* ClientIP of group g */
	const char	*client;
	int		 hit;		/* 1: g, 0: default */
} ipm_cases[] = {
	/* unknown clients never match a ClientIP */
	{ ".*",			NULL,			0 },
	{ ".*",			"",			0 },
	{ ".*",			"   ",			0 },
	{ ".*",			"garbage",		0 },
	{ ".*",			"1.2.3.4; rm -rf",	0 },
	{ ".*",			"1.2.3.4.5",		0 },
	{ ".*",		"1111:2222:3333:4444:5555:6666:7777:8888:9999", 0 },
	{ "0.0.0.0/0",		"garbage",		0 },
	{ ".*",		"0000000000000000000000000000000000000000000000000"
			"00000000000000000000000001.2.3.4", 0 },
	/* prefixes */
	{ "0.0.0.0/0",		"1.2.3.4",		1 },
	{ "0.0.0.0/0",		"255.255.255.255",	1 },
	{ "0.0.0.0/0",		"::1",			0 },
	{ "10.1.2.3/32",	"10.1.2.3",		1 },
	{ "10.1.2.3/32",	"10.1.2.4",		0 },
	{ "10.1.2.3",		"10.1.2.3",		1 },
	{ "10.1.2.3",		"10.1.2.30",		0 },
	{ "10.1.2.99/24",	"10.1.2.200",		1 },	/* host bits */
	{ "10.1.2.0/24",	"10.1.3.0",		0 },
	{ "10.0.0.0/9",		"10.127.255.255",	1 },
	{ "10.0.0.0/9",		"10.128.0.0",		0 },
	{ "10.0.0.0/8",		"::ffff:10.2.3.4",	1 },	/* v4-mapped */
	{ "::/0",		"::1",			1 },
	{ "::/0",		"1.2.3.4",		1 },	/* as ::ffff:... */
	{ "::1/128",		"::1",			1 },
	{ "::1/128",		"::2",			0 },
	{ "::1",		"0:0:0:0:0:0:0:1",	1 },
	{ "2001:db8::/32",	"2001:db8:ffff::5",	1 },
	{ "2001:db8::/32",	"2001:db9::1",		0 },
	{ "2001:db8::/33",	"2001:db8:8000::1",	0 },
	{ "2001:DB8::/127",	"2001:db8::1",		1 },
	{ "::ffff:10.0.0.0/104", "10.200.1.1",		1 },
	/* netmasks, contiguous or not */
	{ "192.168.1.0/255.255.255.0", "192.168.1.77",	1 },
	{ "192.168.1.0/255.255.255.0", "192.168.2.77",	0 },
	{ "10.0.0.1/255.0.0.255", "10.99.99.1",		1 },
	{ "10.0.0.1/255.0.0.255", "10.99.99.2",		0 },
	{ "10.0.0.1/255.0.0.255", "11.0.0.1",		0 },
	{ "1.2.3.4/0.0.0.0",	"9.9.9.9",		1 },
	/* regexes, anchored */
	{ ".*",			"1.2.3.4",		1 },
	{ ".*",			"::1",			1 },
	{ "192\\.168\\..*",	"192.168.5.5",		1 },
	{ "192\\.168\\..*",	"10.192.168.1",		0 },
	{ "192\\.168\\..*",	"192.1681.1.1",		0 },
	{ "10\\.0\\.0\\.[1-3]",	"10.0.0.3",		1 },
	{ "10\\.0\\.0\\.[1-3]",	"10.0.0.33",		0 },
	{ "fe80:.*",		"FE80::1",		1 },	/* any case */
	/* (commas split ClientIP lists, so no {n,m} here) */
	{ "([0-9]?[0-9]?[0-9]\\.){3}1", "10.0.0.1",	1 },
	{ "(a{31}){31}",	"::1",			0 },
	{ "[*+{(]{2}.*",	"::1",			0 },
	{ "[)]?\\)?::1",	"::1",			1 },
	{ "((1|2)*)*:.*",	"::1",			1 },
	{ "(::1)?{2}",		"::1",			1 },
	/* blanks around the client text, several items */
	{ "192.168.1.1",	" 192.168.1.1\t",	1 },
	{ "10.0.0.1, 10.0.0.2",	"10.0.0.2",		1 },
	{ "10.0.0.1, 10.0.0.2",	"10.0.0.3",		0 },
};

/* test_ipm - one ClientIP item against one client */
static void
test_ipm(void **state)
{
	struct fixture	 f;
	char		 text[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(ipm_cases) / sizeof(ipm_cases[0]); i++) {
		snprintf(text, sizeof(text), "[icapserver.groups:g]\n"
		    "ClientIP=%s\n", ipm_cases[i].item);
		load(&f, text);
		if (f.p == NULL)
			fail_msg("%s: %s", ipm_cases[i].item, f.err);
		if (strcmp(gname(&f, ipm_cases[i].client, "http://x/"),
		    ipm_cases[i].hit ? "g" : "default") != 0)
			fail_msg("case %zu: %s vs %s: want %d", i,
			    ipm_cases[i].item, ipm_cases[i].client ?
			    ipm_cases[i].client : "(null)", ipm_cases[i].hit);
		unload(&f);
	}
}

static const struct {
	const char	*text;
	const char	*want;		/* substring of the error */
} err_cases[] = {
	{ "[icapserver.groups:g]\nClientIP=10.0.0.0/33\n",
	    "test.conf:2: [icapserver.groups:g] ClientIP: bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=::/129\n", "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=10.0.0.0/\n", "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=10.0.0.0/1234\n", "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=10.0.0.0/-1\n", "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=10.0.0.0/255.0.0.256\n",
	    "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=::1/255.255.255.0\n",
	    "bad prefix" },
	{ "[icapserver.groups:g]\nClientIP=10.0.0.1\nClientIP=(10\n",
	    "test.conf:3: [icapserver.groups:g] ClientIP: '(10' is neither" },
	{ "[icapserver.groups:g]\nClientIP=[\n", "neither" },
	{ "[icapserver.groups:g]\nClientIP=1\\.2)|(.*\n", "unmatched ')'" },
	{ "[icapserver.groups:g]\nClientIP=((1)\n", "neither" },
	{ "[icapserver.groups:g]\nClientIP=(a)\\1\n", "back-references" },
	{ "[icapserver.groups:g]\nClientIP=((a*){31}){31}\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=(a*)?{2}\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=((a|b+)){2}\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=(a{2}b*)+\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=a++\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=([0-9]+\\.){3}1\n", "a loop" },
	{ "[icapserver.groups:g]\nClientIP=(a{32}){32}{2}\n", "too large" },
	{ "[icapserver.groups:g]\nClientIP=a{33}\n", "count over 32" },
	{ "[icapserver.groups:g]\nClientIP=a{99999999999999999999}\n",
	    "count over 32" },
	{ "[icapserver.groups:g]\nClientIP=((((((((((((((((((1))))))))))))))))))"
	    "\n", "too deep" },
	{ "[icapserver.groups:g]\n\n[icapserver.actions:nosuch]\n"
	    "InfectedAction=skip\n",
	    "test.conf:3: [icapserver.actions:nosuch]: no group" },
	{ "[icapserver.engine.options:x]\nCure=yes\n",
	    "test.conf:1: [icapserver.engine.options:x]: no group" },
	{ "[icapserver.filter:x]\nExcludeURL=a\n",
	    "test.conf:1: [icapserver.filter:x]: no group" },
};

/* test_errors - bad ClientIP items and stray per-group sections */
static void
test_errors(void **state)
{
	struct fixture	 f;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		load(&f, err_cases[i].text);
		if (f.p != NULL)
			fail_msg("case %zu: accepted", i);
		if (strstr(f.err, err_cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, f.err,
			    err_cases[i].want);
		unload(&f);
	}
}

/* test_empty - no groups: the built-in default from the schema */
static void
test_empty(void **state)
{
	struct fixture		 f;
	const struct icap_group	*g;

	(void)state;
	load(&f, "");
	assert_non_null(f.p);
	assert_int_equal(icap_policy_ngroups(f.p), 1);
	g = icap_policy_group_at(f.p, 0);
	assert_string_equal(g->name, "default");
	assert_ptr_equal(icap_policy_match(f.p, NULL, NULL), g);
	assert_ptr_equal(icap_policy_match(f.p, "garbage", ""), g);
	assert_null(icap_policy_group_at(f.p, 1));
	assert_null(g->url);
	assert_int_equal(g->nipm, 0);
	assert_int_equal(g->act[VIGIL_CLEAN], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_CURED], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_INFECTED], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_SUSPICIOUS], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_WARNING], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_CORRUPTED], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_PROTECTED], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_STATUS_ERROR], ICAP_ACT_SKIP);
	assert_int_equal(g->license_error, ICAP_ACT_SKIP);
	assert_int_equal(g->bases_error, ICAP_ACT_SKIP);
	assert_int_equal(g->lim.max_file_size, 100u << 20);
	assert_int_equal(g->lim.max_scan_size, 400u << 20);
	assert_int_equal(g->lim.max_recursion, 17);
	assert_int_equal(g->lim.max_files, 10000);
	assert_int_equal(g->lim.max_ratio, 250);
	assert_int_equal(g->lim.max_scan_ms, 60000);
	assert_int_equal(g->lim.set, VIGIL_SET_STANDARD);
	assert_int_equal(g->lim.flags, VIGIL_SCAN_ARCHIVES |
	    VIGIL_SCAN_PACKED | VIGIL_SCAN_SFX);
	assert_int_equal(g->cure, 0);
	assert_int_equal(g->nexcl_url, 0);
	assert_int_equal(g->nexcl_mime, 0);
	assert_int_equal(icap_group_excluded(g, NULL, NULL), 0);
	unload(&f);
}

/* test_order - ascending Priority, ties in file order, default last */
static void
test_order(void **state)
{
	static const char *const want[] = { "a", "b", "c", "d", "default" };
	struct fixture	 f;
	size_t		 i;

	(void)state;
	load(&f,
	    "[icapserver.groups:b]\nPriority=5\n"
	    "[icapserver.groups:default]\nPriority=0\nClientIP=10.0.0.1\n"
	    "URL=^nothing$\n"
	    "[icapserver.groups:a]\nPriority=1\n"
	    "[icapserver.groups:c]\nPriority=5\n"
	    "[icapserver.groups:d]\nPriority=65535\n");
	assert_non_null(f.p);
	assert_int_equal(icap_policy_ngroups(f.p), 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(icap_policy_group_at(f.p, i)->name,
		    want[i]);
	assert_int_equal(icap_policy_group_at(f.p, 4)->priority, INT_MAX);
	/* a matches everything first; default matches what none takes */
	assert_string_equal(gname(&f, "1.2.3.4", "x"), "a");
	unload(&f);

	load(&f, "[icapserver.groups:only]\nClientIP=10.0.0.0/8\n"
	    "[icapserver.groups:Default]\nClientIP=10.0.0.1\n");
	assert_non_null(f.p);
	assert_int_equal(icap_policy_ngroups(f.p), 2);
	assert_string_equal(gname(&f, "10.1.1.1", NULL), "only");
	assert_string_equal(gname(&f, "11.1.1.1", NULL), "default");
	assert_string_equal(gname(&f, NULL, NULL), "default");
	unload(&f);
}

/* test_url - a group's URL regex, with and without the scheme */
static void
test_url(void **state)
{
	struct fixture	 f;

	(void)state;
	load(&f, "[icapserver.groups:w]\nURL=^www\\.foo\\.com/\n"
	    "[icapserver.groups:h]\nURL=^https?://\n");
	assert_non_null(f.p);
	assert_string_equal(gname(&f, NULL, "http://www.foo.com/a"), "w");
	assert_string_equal(gname(&f, NULL, "HTTP://WWW.FOO.COM/a"), "w");
	assert_string_equal(gname(&f, NULL, "www.foo.com/a"), "w");
	assert_string_equal(gname(&f, NULL, "https://www.foo.com/a"), "h");
	assert_string_equal(gname(&f, NULL, "http://www.bar.com/"), "h");
	assert_string_equal(gname(&f, NULL, "ftp://www.foo.com/"),
	    "default");
	assert_string_equal(gname(&f, NULL, NULL), "default");
	unload(&f);
}

/* test_inherit - [section:NAME] overrides key by key, else [section] */
static void
test_inherit(void **state)
{
	struct fixture		 f;
	const struct icap_group	*g, *d;

	(void)state;
	load(&f,
	    "[icapserver.actions]\nInfectedAction=skip\nErrorAction=deny\n"
	    "[icapserver.actions:g]\nErrorAction=skip\n"
	    "LicenseErrorAction=deny\nBasesErrorAction=deny\n"
	    "[icapserver.engine.options]\nMaxScanTime=5s\nCure=yes\n"
	    "[icapserver.engine.options:g]\nDatabaseSet=paranoid\n"
	    "MaxFileSize=1M\nMaxScanTime=0\nScanMailPlain=yes\n"
	    "ScanMailBases=yes\nScanArchives=no\n"
	    "[icapserver.filter]\nExcludeMimeType=^image/\n"
	    "[icapserver.filter:g]\nExcludeURL=\\.iso$\n"
	    "[icapserver.groups:g]\nClientIP=10.0.0.0/8\n");
	assert_non_null(f.p);
	g = icap_policy_match(f.p, "10.0.0.1", "");
	d = icap_policy_match(f.p, "11.0.0.1", "");
	assert_string_equal(g->name, "g");
	assert_string_equal(d->name, "default");
	assert_int_equal(g->act[VIGIL_INFECTED], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_STATUS_ERROR], ICAP_ACT_SKIP);
	assert_int_equal(d->act[VIGIL_STATUS_ERROR], ICAP_ACT_DENY);
	assert_int_equal(g->license_error, ICAP_ACT_DENY);
	assert_int_equal(g->bases_error, ICAP_ACT_DENY);
	assert_int_equal(d->license_error, ICAP_ACT_SKIP);
	assert_int_equal(g->lim.set, VIGIL_SET_PARANOID);
	assert_int_equal(d->lim.set, VIGIL_SET_STANDARD);
	assert_int_equal(g->lim.max_file_size, 1u << 20);
	assert_int_equal(g->lim.max_scan_ms, 0);
	assert_int_equal(d->lim.max_scan_ms, 5000);
	assert_int_equal(g->cure, 1);
	assert_int_equal(g->lim.flags, VIGIL_SCAN_PACKED | VIGIL_SCAN_SFX |
	    VIGIL_SCAN_MAILPLAIN | VIGIL_SCAN_MAILBASES);
	/* the filter: URL from [filter:g], media types inherited */
	assert_int_equal(icap_group_excluded(g, "http://h/a.ISO", NULL), 1);
	assert_int_equal(icap_group_excluded(d, "http://h/a.iso", NULL), 0);
	assert_int_equal(icap_group_excluded(g, "", "image/png"), 2);
	assert_int_equal(icap_group_excluded(g, "", " IMAGE/png ; q=1"), 2);
	assert_int_equal(icap_group_excluded(d, NULL, "image/gif"), 2);
	assert_int_equal(icap_group_excluded(d, NULL, "text/html"), 0);
	assert_int_equal(icap_group_excluded(d, NULL, "text/html;x=image/"),
	    0);
	assert_int_equal(icap_group_excluded(d, NULL, ""), 0);
	assert_int_equal(icap_group_excluded(d, NULL, NULL), 0);
	unload(&f);
}

/* the proxy guide, "Ensuring anti-virus protection", step 2, verbatim */
static const char guide_http[] =
    "[icapserver.filter]  \n"
    "\n"
    "ExcludeURL=^www \\ . example \\ .com \\ /.*  \n"
    "\n"
    " \n"
    "\n"
    "[ icapserver.engine.options]  \n"
    "\n"
    "ScanPacked= true  \n"
    "\n"
    "ScanArchives= true  \n"
    "\n"
    "ScanMailBases= false  \n"
    "\n"
    "ScanMailPlain= false  \n"
    "\n"
    "Cure= true  \n"
    "\n"
    " \n"
    "\n"
    "[icapserver.actions]  \n"
    "\n"
    "InfectedAction=deny  \n"
    "\n"
    "SuspiciousAction=deny  \n"
    "\n"
    "WarningAction=deny  \n"
    "\n"
    "ErrorAction=skip  \n"
    "\n"
    "ProtectedAction=skip  \n"
    "\n"
    "CorruptedAction=skip  \n"
    "\n"
    " \n"
    "\n"
    "[i capserver.protocol]  \n"
    "\n"
    "AnswerMode=partial  \n"
    "\n"
    " \n"
    "\n"
    "[icapserver.statistics]  \n"
    "\n"
    "AVStatisticsFile=/var/log/kaspersky/kav4proxy/statistic  \n";

/* test_guide_filter - the guide's ExcludeURL example */
static void
test_guide_filter(void **state)
{
	struct fixture		 f;
	const struct icap_group	*g;

	(void)state;
	load(&f, guide_http);
	assert_non_null(f.p);
	assert_int_equal(icap_policy_ngroups(f.p), 1);
	g = icap_policy_match(f.p, "192.168.1.10",
	    "http://www.example.com/file.exe");
	assert_string_equal(g->name, "default");
	assert_int_equal(icap_group_excluded(g,
	    "http://www.example.com/file.exe", NULL), 1);
	assert_int_equal(icap_group_excluded(g, "www.example.com/", NULL), 1);
	assert_int_equal(icap_group_excluded(g, "http://www.example.org/",
	    NULL), 0);
	assert_int_equal(icap_group_excluded(g, "http://www.example.com",
	    NULL), 0);
	assert_int_equal(icap_group_excluded(g,
	    "http://evil.test/www.example.com/", NULL), 0);
	assert_int_equal(g->cure, 1);
	assert_int_equal(g->lim.flags, VIGIL_SCAN_ARCHIVES |
	    VIGIL_SCAN_PACKED | VIGIL_SCAN_SFX);
	assert_int_equal(g->act[VIGIL_INFECTED], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_SUSPICIOUS], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_WARNING], ICAP_ACT_DENY);
	assert_int_equal(g->act[VIGIL_STATUS_ERROR], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_PROTECTED], ICAP_ACT_SKIP);
	assert_int_equal(g->act[VIGIL_CORRUPTED], ICAP_ACT_SKIP);
	unload(&f);
}

/*
 * The guide's groups example: its text (the extract stops after the
 * managers' ScanPacked) and the rest written from its requirements.
 */
static const char guide_groups[] =
    "[icapserver.groups:managers]  \n"
    "\n"
    "Priority=1  \n"
    "\n"
    "ClientIP=192.168.1.0/255.255.255.0  \n"
    "\n"
    "URL=.*  \n"
    "\n"
    " \n"
    "\n"
    "[icapserver.engine.options:managers]  \n"
    "\n"
    "ScanPacked= false  \n"
    "ScanArchives=false\n"
    "ScanMailBases=false\n"
    "Cure=true\n"
    "\n"
    "[icapserver.actions:managers]\n"
    "InfectedAction=deny\n"
    "SuspiciousAction=deny\n"
    "WarningAction=deny\n"
    "CorruptedAction=deny\n"
    "ProtectedAction=deny\n"
    "ErrorAction=deny\n"
    "\n"
    "[icapserver.groups:sales]\n"
    "Priority=2\n"
    "ClientIP=192.168.2.0/255.255.255.0\n"
    "URL=.*\n"
    "\n"
    "[icapserver.engine.options:sales]\n"
    "ScanPacked=true\n"
    "ScanArchives=true\n"
    "ScanMailBases=true\n"
    "ScanMailPlain=true\n"
    "Cure=true\n"
    "\n"
    "[icapserver.actions:sales]\n"
    "InfectedAction=deny\n"
    "SuspiciousAction=deny\n"
    "WarningAction=deny\n"
    "CorruptedAction=deny\n"
    "ProtectedAction=skip\n"
    "ErrorAction=skip\n"
    "\n"
    "[icapserver.engine.options]\n"
    "ScanMailBases=false\n"
    "Cure=false\n"
    "\n"
    "[icapserver.actions]\n"
    "InfectedAction=deny\n"
    "SuspiciousAction=deny\n"
    "WarningAction=deny\n"
    "CorruptedAction=deny\n"
    "ProtectedAction=deny\n"
    "ErrorAction=deny\n";

/* test_guide_groups - managers, sales and everybody else */
static void
test_guide_groups(void **state)
{
	struct fixture		 f;
	const struct icap_group	*m, *s, *d;
	int			 st;

	(void)state;
	load(&f, guide_groups);
	assert_non_null(f.p);
	assert_int_equal(icap_policy_ngroups(f.p), 3);
	m = icap_policy_match(f.p, "192.168.1.20", "http://a.test/x.zip");
	s = icap_policy_match(f.p, "192.168.2.20", "http://a.test/x.zip");
	d = icap_policy_match(f.p, "192.168.3.20", "http://a.test/x.zip");
	assert_string_equal(m->name, "managers");
	assert_string_equal(s->name, "sales");
	assert_string_equal(d->name, "default");
	assert_ptr_equal(icap_policy_match(f.p, NULL, "x"), d);
	assert_int_equal(m->priority, 1);
	assert_int_equal(s->priority, 2);
	/* managers: no packed, archives or mail bases; cure; only OK */
	assert_int_equal(m->lim.flags, 0);
	assert_int_equal(m->cure, 1);
	for (st = VIGIL_STATUS_ERROR; st <= VIGIL_INFECTED; st++)
		assert_int_equal(m->act[st], ICAP_ACT_DENY);
	assert_int_equal(m->act[VIGIL_CLEAN], ICAP_ACT_SKIP);
	assert_int_equal(m->act[VIGIL_CURED], ICAP_ACT_SKIP);
	/* sales: everything scanned, cure, block the four */
	assert_int_equal(s->lim.flags, VIGIL_SCAN_CONTAINERS);
	assert_int_equal(s->cure, 1);
	assert_int_equal(s->act[VIGIL_INFECTED], ICAP_ACT_DENY);
	assert_int_equal(s->act[VIGIL_SUSPICIOUS], ICAP_ACT_DENY);
	assert_int_equal(s->act[VIGIL_WARNING], ICAP_ACT_DENY);
	assert_int_equal(s->act[VIGIL_CORRUPTED], ICAP_ACT_DENY);
	assert_int_equal(s->act[VIGIL_PROTECTED], ICAP_ACT_SKIP);
	assert_int_equal(s->act[VIGIL_STATUS_ERROR], ICAP_ACT_SKIP);
	/* the others: no mail bases, no cure, only OK */
	assert_int_equal(d->lim.flags & VIGIL_SCAN_MAILBASES, 0);
	assert_int_equal(d->cure, 0);
	for (st = VIGIL_STATUS_ERROR; st <= VIGIL_INFECTED; st++)
		assert_int_equal(d->act[st], ICAP_ACT_DENY);
	unload(&f);
}

/* matcher - many matches against a shared policy, from one thread */
static void *
matcher(void *arg)
{
	const struct icap_policy	*p = arg;
	char				 ip[32];
	int				 i;

	for (i = 0; i < 2000; i++) {
		snprintf(ip, sizeof(ip), "192.168.%d.%d", 1 + i % 3, i % 250);
		if (strcmp(icap_policy_match(p, ip, "http://a.test/")->name,
		    i % 3 == 0 ? "managers" : i % 3 == 1 ? "sales" :
		    "default") != 0)
			return (void *)1;
	}
	return NULL;
}

/* test_threads - matching is read only: threads share one policy */
static void
test_threads(void **state)
{
	struct fixture	 f;
	pthread_t	 t[4];
	void		*r;
	int		 i;

	(void)state;
	load(&f, guide_groups);
	assert_non_null(f.p);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, matcher, f.p), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
	unload(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ipm),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_inherit),
		cmocka_unit_test(test_guide_filter),
		cmocka_unit_test(test_guide_groups),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
