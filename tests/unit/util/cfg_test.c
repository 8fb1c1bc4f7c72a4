/*
 * cfg_test.c - unit tests for lib/util/cfg.c and the schema
 *
 * Table-driven: every type with good and bad values (edges first),
 * syntax (comments, continuations, PDF artefacts, case), sections
 * (NAME:SUB, duplicates, inheritance), the exact error format, the error
 * cap, defaults and placeholders, dump round trip, and the guides'
 * configuration examples pasted verbatim, artefacts included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

#ifndef VIGIL_SOURCE_ROOT	/* the source tree; $VIGIL_SRC wins */
#define VIGIL_SOURCE_ROOT "."
#endif

static char	 errbuf[8192];

#define BS12	"\\\\\\\\\\\\\\\\\\\\\\\\"	/* 12 backslashes */

/* load - cfg from text; NULL with errbuf set on error */
static struct cfg *
load(const char *text)
{
	return cfg_load_buffer("t.conf", text, strlen(text), NULL, errbuf,
	    sizeof(errbuf));
}

/* load_ok - load text that must be valid */
static struct cfg *
load_ok(const char *text)
{
	struct cfg	*cfg = load(text);

	if (cfg == NULL)
		fail_msg("unexpected errors:\n%s\n--- for:\n%s", errbuf, text);
	return cfg;
}

/* load_err - load text that must fail with first message want */
static void
load_err(const char *text, const char *want)
{
	struct cfg	*cfg = load(text);
	size_t		 n = strcspn(errbuf, "\n");

	if (cfg != NULL) {
		cfg_free(cfg);
		fail_msg("no error for:\n%s", text);
	}
	if (strlen(want) != n || strncmp(errbuf, want, n) != 0)
		fail_msg("got  \"%.*s\"\nwant \"%s\"", (int)n, errbuf, want);
}

/* param_of - the schema row of section/key */
static const struct cfg_param *
param_of(const char *section, const char *key)
{
	size_t	 s, i;

	for (s = 0; s < cfg_schema_len; s++)
		if (strcmp(cfg_schema[s].name, section) == 0)
			for (i = 0; i < cfg_schema[s].nparams; i++)
				if (strcmp(cfg_schema[s].params[i].key, key) == 0)
					return &cfg_schema[s].params[i];
	fail_msg("no %s %s in the schema", section, key);
	return NULL;
}

struct value_case {
	const char	*section, *sub, *key, *value;
	const char	*want;		/* cfg_str text, NULL: error */
	long long	 num;		/* numeric value / error ignored */
	const char	*reason;	/* error reason */
};

static const struct value_case value_cases[] = {
	/* bool */
	{ "scanner.options", NULL, "Cure", "", NULL, 0, "empty value" },
	{ "scanner.options", NULL, "Cure", "yes", "yes", 1, NULL },
	{ "scanner.options", NULL, "Cure", "NO", "no", 0, NULL },
	{ "scanner.options", NULL, "Cure", "true", "yes", 1, NULL },
	{ "scanner.options", NULL, "Cure", "False", "no", 0, NULL },
	{ "scanner.options", NULL, "Cure", "on", "yes", 1, NULL },
	{ "scanner.options", NULL, "Cure", "OFF", "no", 0, NULL },
	{ "scanner.options", NULL, "Cure", "1", "yes", 1, NULL },
	{ "scanner.options", NULL, "Cure", "0", "no", 0, NULL },
	{ "scanner.options", NULL, "Cure", "maybe", NULL, 0,
	    "not yes or no: \"maybe\"" },
	{ "scanner.options", NULL, "Cure", "yes please", NULL, 0,
	    "not yes or no: \"yes please\"" },
	/* int 1..64, 0 unlimited */
	{ "scanner.options", NULL, "MaxRecursion", "", NULL, 0, "empty value" },
	{ "scanner.options", NULL, "MaxRecursion", "0", "0", 0, NULL },
	{ "scanner.options", NULL, "MaxRecursion", "1", "1", 1, NULL },
	{ "scanner.options", NULL, "MaxRecursion", "64", "64", 64, NULL },
	{ "scanner.options", NULL, "MaxRecursion", "65", NULL, 0,
	    "out of range: 65 (1..64, or 0 for unlimited)" },
	{ "scanner.options", NULL, "MaxRecursion", "-1", NULL, 0,
	    "out of range: -1 (1..64, or 0 for unlimited)" },
	{ "scanner.options", NULL, "MaxRecursion", "+7", "7", 7, NULL },
	{ "scanner.options", NULL, "MaxRecursion", "1x", NULL, 0,
	    "not an integer: \"1x\"" },
	{ "scanner.options", NULL, "MaxRecursion", "99999999999999999999",
	    NULL, 0, "not an integer: \"99999999999999999999\"" },
	{ "scanner.options", NULL, "Threads", "256", "256", 256, NULL },
	{ "scanner.options", NULL, "Threads", "257", NULL, 0,
	    "out of range: 257 (0..256)" },
	/* size */
	{ "scanner.options", NULL, "MaxFileSize", "0", "0", 0, NULL },
	{ "scanner.options", NULL, "MaxFileSize", "1", "1", 1, NULL },
	{ "scanner.options", NULL, "MaxFileSize", "4k", "4k", 4096, NULL },
	{ "scanner.options", NULL, "MaxFileSize", "4K", "4K", 4096, NULL },
	{ "scanner.options", NULL, "MaxFileSize", "10M", "10M", 10485760,
	    NULL },
	{ "scanner.options", NULL, "MaxFileSize", "2GB", "2GB", 2147483648LL,
	    NULL },
	{ "scanner.options", NULL, "MaxFileSize", "1T", "1T", 1LL << 40,
	    NULL },
	{ "scanner.options", NULL, "MaxFileSize", "16777216T", NULL, 0,
	    "not a size (bytes, or a number with K, M or G): \"16777216T\"" },
	{ "scanner.options", NULL, "MaxFileSize", "10X", NULL, 0,
	    "not a size (bytes, or a number with K, M or G): \"10X\"" },
	{ "scanner.options", NULL, "MaxFileSize", "M", NULL, 0,
	    "not a size (bytes, or a number with K, M or G): \"M\"" },
	{ "scanner.options", NULL, "MaxFileSize", "-1", NULL, 0,
	    "not a size (bytes, or a number with K, M or G): \"-1\"" },
	{ "icapserver.protocol", NULL, "PreviewSize", "64K", "64K", 65536,
	    NULL },
	{ "icapserver.protocol", NULL, "PreviewSize", "65537", NULL, 0,
	    "out of range: 65537 (0..65536)" },
	{ "vigild", NULL, "StreamMaxLength", "0", NULL, 0,
	    "out of range: 0 (at least 1)" },
	/* duration 1..86400, 0 unlimited */
	{ "scanner.options", NULL, "MaxScanTime", "0", "0", 0, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "90", "90", 90, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "90s", "90s", 90, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "5m", "5m", 300, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "2H", "2H", 7200, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "1d", "1d", 86400, NULL },
	{ "scanner.options", NULL, "MaxScanTime", "2d", NULL, 0,
	    "out of range: 172800 (1..86400, or 0 for unlimited)" },
	{ "scanner.options", NULL, "MaxScanTime", "1.5h", NULL, 0,
	    "not a duration (seconds, or a number with s, m, h or d): "
	    "\"1.5h\"" },
	{ "scanner.options", NULL, "MaxScanTime", "5 m", NULL, 0,
	    "not a duration (seconds, or a number with s, m, h or d): "
	    "\"5 m\"" },
	/* mode */
	{ "scanner.report", NULL, "ReportFilePermission", "0660", "0660",
	    0660, NULL },
	{ "scanner.report", NULL, "ReportFilePermission", "7777", "7777",
	    07777, NULL },
	{ "scanner.report", NULL, "ReportFilePermission", "8", NULL, 0,
	    "not an octal mode (0000..7777): \"8\"" },
	{ "scanner.report", NULL, "ReportFilePermission", "17777", NULL, 0,
	    "not an octal mode (0000..7777): \"17777\"" },
	/* path */
	{ "scanner.report", NULL, "ReportFileName", "", "", 0, NULL },
	{ "scanner.report", NULL, "ReportFileName", "/tmp/report.log",
	    "/tmp/report.log", 0, NULL },
	{ "scanner.report", NULL, "ReportFileName", "report.log", NULL, 0,
	    "not an absolute path: \"report.log\"" },
	/* enum */
	{ "scanner.options", NULL, "DatabaseSet", "Extended", "extended", 1,
	    NULL },
	{ "scanner.options", NULL, "DatabaseSet", "paranoid", "paranoid", 2,
	    NULL },
	{ "scanner.options", NULL, "DatabaseSet", "huge", NULL, 0,
	    "not one of standard|extended|paranoid: \"huge\"" },
	{ "icapserver.actions", NULL, "InfectedAction", "SKIP", "skip", 1,
	    NULL },
	/* address */
	{ "vigild", NULL, "ListenAddress", "", "", 0, NULL },
	{ "vigild", NULL, "ListenAddress", "127.0.0.1:3310",
	    "127.0.0.1:3310", 0, NULL },
	{ "vigild", NULL, "ListenAddress", "[::1]:3310", "[::1]:3310", 0,
	    NULL },
	{ "vigild", NULL, "ListenAddress", "localhost:3310", "localhost:3310",
	    0, NULL },
	{ "vigild", NULL, "ListenAddress", "/run/x.sock", "/run/x.sock", 0,
	    NULL },
	{ "vigild", NULL, "ListenAddress", "127.0.0.1", NULL, 0,
	    "not HOST:PORT, [IPv6]:PORT or /socket/path" },
	{ "vigild", NULL, "ListenAddress", "::1:3310", NULL, 0,
	    "an IPv6 address needs brackets: [ADDR]:PORT" },
	{ "vigild", NULL, "ListenAddress", "h:0", NULL, 0,
	    "bad port (1..65535)" },
	/* string, action: as written */
	{ "smtpscan.general", NULL, "ForwardMailer", "smtp:localhost:10026",
	    "smtp:localhost:10026", 0, NULL },
	{ "scanner.object", NULL, "OnInfected", "exec echo a # b | mail x",
	    "exec echo a # b | mail x", 0, NULL },
	/* named sections */
	{ "smtpscan.group", "users", "AdminAddress", "<e-mail_address>",
	    "<e-mail_address>", 0, NULL },
	{ "icapserver.groups", "g", "Priority", "1", "1", 1, NULL },
};

/* check_number - the numeric getter for the key's type */
static void
check_number(const struct cfg *cfg, const struct value_case *c)
{
	switch (param_of(c->section, c->key)->type) {
	case CFG_BOOL:
		assert_int_equal(cfg_bool(cfg, c->section, c->sub, c->key),
		    c->num);
		break;
	case CFG_INT: case CFG_DURATION: case CFG_MODE:
		assert_int_equal(cfg_int(cfg, c->section, c->sub, c->key),
		    c->num);
		break;
	case CFG_SIZE:
		assert_int_equal(cfg_size(cfg, c->section, c->sub, c->key),
		    c->num);
		break;
	case CFG_ENUM:
		assert_int_equal(cfg_enum(cfg, c->section, c->sub, c->key),
		    c->num);
		break;
	default:
		break;
	}
}

/* test_values - every type, good and bad values */
static void
test_values(void **state)
{
	const struct value_case	*c;
	struct cfg		*cfg;
	char			 text[512], want[512];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		c = &value_cases[i];
		snprintf(text, sizeof(text), "[%s%s%s]\n%s=%s\n", c->section,
		    c->sub ? ":" : "", c->sub ? c->sub : "", c->key, c->value);
		if (c->want == NULL) {
			snprintf(want, sizeof(want), "t.conf:2: [%s%s%s] %s: %s",
			    c->section, c->sub ? ":" : "", c->sub ? c->sub : "",
			    c->key, c->reason);
			load_err(text, want);
			continue;
		}
		cfg = load_ok(text);
		assert_string_equal(cfg_str(cfg, c->section, c->sub, c->key),
		    c->want);
		assert_int_equal(cfg_lineno(cfg, c->section, c->sub, c->key), 2);
		check_number(cfg, c);
		cfg_free(cfg);
	}
}

/* test_defaults - no file: every getter gives the schema default */
static void
test_defaults(void **state)
{
	const struct cfg_param	*p;
	const char *const	*items;
	const regex_t *const	*res;
	struct cfg		*cfg;
	size_t			 s, i;

	(void)state;
	cfg = cfg_load(NULL, NULL, errbuf, sizeof(errbuf));
	assert_non_null(cfg);
	assert_string_equal(cfg_filename(cfg), "(defaults)");
	assert_string_equal(cfg_str(cfg, "path", NULL, "BasesPath"),
	    "/var/lib/vigil/db");
	assert_string_equal(cfg_str(cfg, "vigild", NULL, "ListenSocket"),
	    "/run/vigil/vigild.sock");
	assert_string_equal(cfg_str(cfg, "vigild", NULL, "User"), "vigil");
	assert_int_equal(cfg_bool(cfg, "scanner.options", NULL, "Recursion"), 1);
	assert_int_equal(cfg_bool(cfg, "scanner.options", NULL, "Cure"), 0);
	assert_int_equal(cfg_size(cfg, "scanner.options", NULL, "MaxFileSize"),
	    100 << 20);
	assert_int_equal(cfg_int(cfg, "smtpscan.limits", NULL, "MaxCheckTime"),
	    60);
	assert_int_equal(cfg_size(cfg, "icapserver.protocol", NULL,
	    "PreviewSize"), 4096);
	assert_int_equal(cfg_enum(cfg, "scanner.options", NULL, "DatabaseSet"),
	    0);
	assert_string_equal(cfg_str(cfg, "icapserver.network", NULL,
	    "ListenAddress"), "127.0.0.1:1344");
	assert_string_equal(cfg_str(cfg, "smtpscan.group", "nosuch",
	    "AdminAddress"), "postmaster@localhost");
	assert_int_equal(cfg_isset(cfg, "smtpscan.group", "default",
	    "InfectedAdminAction"), 0);
	assert_null(cfg_str(cfg, "smtpscan.group", "default",
	    "InfectedAdminAction"));
	assert_int_equal(cfg_bool(cfg, "smtpscan.group", "default",
	    "InfectedQuarantine"), 0);
	assert_null(cfg_regex(cfg, "icapserver.groups", "x", "URL"));
	assert_int_equal(cfg_list(cfg, "scanner.options", NULL, "ExcludeDir",
	    &items), 0);
	assert_null(cfg_section(cfg, "path", NULL));
	assert_null(cfg_next(cfg, "smtpscan.group", NULL));
	/* every parameter: a getter of its type works, lineno 0 */
	for (s = 0; s < cfg_schema_len; s++) {
		for (i = 0; i < cfg_schema[s].nparams; i++) {
			p = &cfg_schema[s].params[i];
			assert_int_equal(cfg_lineno(cfg, cfg_schema[s].name,
			    "x", p->key), 0);
			assert_int_equal(cfg_isset(cfg, cfg_schema[s].name,
			    "x", p->key), p->def != NULL);
			if (p->type == CFG_REGEXLIST)
				(void)cfg_regexes(cfg, cfg_schema[s].name,
				    NULL, p->key, &res);
			else if (p->type == CFG_LIST)
				(void)cfg_list(cfg, cfg_schema[s].name, NULL,
				    p->key, &items);
			else if (p->def != NULL)
				assert_non_null(cfg_str(cfg,
				    cfg_schema[s].name, NULL, p->key));
			/* the schema's words for messages are single lines */
			assert_null(strchr(p->doc, '\n'));
		}
	}
	cfg_free(cfg);
	cfg_free(NULL);
}

/* test_placeholders - @DIR@ replaced from struct cfg_dirs */
static void
test_placeholders(void **state)
{
	struct cfg_dirs	 dirs = { "/srv/vigil", "/usr/local/etc/vigil",
	    "/usr/local/var" };
	struct cfg_dirs	 partial = { NULL, "/e", NULL };
	struct cfg	*cfg;

	(void)state;
	cfg = cfg_load_buffer("t.conf", "", 0, &dirs, errbuf, sizeof(errbuf));
	assert_non_null(cfg);
	assert_string_equal(cfg_str(cfg, "path", NULL, "BasesPath"),
	    "/srv/vigil/db");
	assert_string_equal(cfg_str(cfg, "updater.options", NULL,
	    "MirrorsFile"), "/usr/local/etc/vigil/mirrors.list");
	assert_string_equal(cfg_str(cfg, "path", NULL, "TempPath"),
	    "/usr/local/var/spool/vigil");
	assert_string_equal(cfg_str(cfg, "vigild", NULL, "EventStore"),
	    "sqlite:/srv/vigil/events.sqlite");
	cfg_free(cfg);
	cfg = cfg_load_buffer("t.conf", "", 0, &partial, errbuf,
	    sizeof(errbuf));
	assert_non_null(cfg);
	assert_string_equal(cfg_str(cfg, "path", NULL, "TemplatesPath"),
	    "/e/templates");
	assert_string_equal(cfg_str(cfg, "path", NULL, "CachePath"),
	    "/var/cache/vigil");
	cfg_free(cfg);
}

/* test_lists - separators, repetition, item checks */
static void
test_lists(void **state)
{
	const char *const	*items;
	struct cfg		*cfg;

	(void)state;
	cfg = load_ok("[scanner.options]\nExcludeMask=*.tmp, *.bak,,\n"
	    "ExcludeMask = my file.txt\nExcludeDir=/a b, /c\n"
	    "[updater.options]\nTrustedKeys=/k1,/k 2,/k3\nTrustedKeys=\t /k4\n");
	assert_int_equal(cfg_list(cfg, "scanner.options", NULL, "ExcludeMask",
	    &items), 3);
	assert_string_equal(items[0], "*.tmp");
	assert_string_equal(items[1], "*.bak");
	assert_string_equal(items[2], "my file.txt");
	assert_int_equal(cfg_lineno(cfg, "scanner.options", NULL,
	    "ExcludeMask"), 3);
	assert_int_equal(cfg_list(cfg, "scanner.options", NULL, "ExcludeDir",
	    &items), 2);
	assert_string_equal(items[0], "/a b");
	assert_int_equal(cfg_list(cfg, "updater.options", NULL, "TrustedKeys",
	    &items), 4);
	assert_string_equal(items[1], "/k 2");
	assert_string_equal(items[3], "/k4");
	cfg_free(cfg);
	cfg = load_ok("[scanner.options]\nExcludeMask=\n");
	assert_int_equal(cfg_list(cfg, "scanner.options", NULL, "ExcludeMask",
	    &items), 0);
	assert_int_equal(cfg_lineno(cfg, "scanner.options", NULL,
	    "ExcludeMask"), 2);
	cfg_free(cfg);
	/* fuzz: an item ending in '\\' would continue the line in a dump */
	load_err("[scanner.options]\nExcludeMask=a\\, b\n",
	    "t.conf:2: [scanner.options] ExcludeMask: item ends with a "
	    "backslash: \"a\\\\\"");
	load_err("[smtpscan.group:g]\nSenders=.'@edRec\351p\\\\\\\\"
	    "\\\\\\\\\\\\\\\\,\\\\\\\\\\dminAction\n",
	    "t.conf:2: [smtpscan.group:g] Senders: item ends with a "
	    "backslash: \".'@edRec\\xe9p" BS12 BS12 "\"");
	load_err("[scanner.options]\nExcludeDir=/a, tmp\n",
	    "t.conf:2: [scanner.options] ExcludeDir: not an absolute path: "
	    "\"tmp\"");
	/* ClientIP drops blanks (PDF artefacts), items are comma-separated */
	cfg = load_ok("[icapserver.groups:g]\nClientIP=192.168.1.0 / 24, "
	    "10.0.0.1\n");
	assert_int_equal(cfg_list(cfg, "icapserver.groups", "g", "ClientIP",
	    &items), 2);
	assert_string_equal(items[0], "192.168.1.0/24");
	cfg_free(cfg);
}

/* test_regex - compile, flags, splitting and the cost bounds */
static void
test_regex(void **state)
{
	const char *const	*items;
	const regex_t *const	*res;
	const regex_t		*re;
	struct cfg		*cfg;
	regex_t			 tmp;
	char			 text[4096], want[512], msg[128];
	int			 rc, i;

	(void)state;
	cfg = load_ok("[icapserver.groups:g]\nURL=^www \\ . example \\ .com "
	    "\\ /.*\n[smtpscan.group:u]\nFilterByName=.*\\.exe$, a{1,3}, "
	    "b(c,d)?, [,;]x\nFilterByName=\n");
	assert_string_equal(cfg_str(cfg, "icapserver.groups", "g", "URL"),
	    "^www\\.example\\.com\\/.*");
	re = cfg_regex(cfg, "icapserver.groups", "g", "URL");
	assert_non_null(re);
	assert_int_equal(regexec(re, "WWW.Example.com/x", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(re, "wwwxexample.com/", 0, NULL, 0), 0);
	assert_int_equal(cfg_list(cfg, "smtpscan.group", "u", "FilterByName",
	    &items), 4);
	assert_string_equal(items[1], "a{1,3}");
	assert_string_equal(items[2], "b(c,d)?");
	assert_string_equal(items[3], "[,;]x");
	assert_int_equal(cfg_regexes(cfg, "smtpscan.group", "u",
	    "FilterByName", &res), 4);
	assert_int_equal(regexec(res[0], "INVOICE.EXE", 0, NULL, 0), 0);
	assert_int_not_equal(regexec(res[0], "invoice.exe.txt", 0, NULL, 0), 0);
	assert_int_equal(regexec(res[3], ",x", 0, NULL, 0), 0);
	cfg_free(cfg);
	cfg = load_ok("[icapserver.groups:g]\nURL=\n");
	assert_null(cfg_regex(cfg, "icapserver.groups", "g", "URL"));
	assert_string_equal(cfg_str(cfg, "icapserver.groups", "g", "URL"), "");
	cfg_free(cfg);

	rc = regcomp(&tmp, "a(", REG_EXTENDED | REG_NOSUB);
	assert_int_not_equal(rc, 0);
	(void)regerror(rc, &tmp, msg, sizeof(msg));
	regfree(&tmp);
	snprintf(want, sizeof(want), "t.conf:2: [icapserver.groups:g] URL: "
	    "bad regular expression: %s", msg);
	load_err("[icapserver.groups:g]\nURL=a(\n", want);
	load_err("[icapserver.groups:g]\nURL=(a)\\1\n",
	    "t.conf:2: [icapserver.groups:g] URL: back-references are not "
	    "supported");
	load_err("[icapserver.groups:g]\nURL=a{256}\n",
	    "t.conf:2: [icapserver.groups:g] URL: repetition count over 255");
	load_err("[icapserver.groups:g]\nURL=a{1,256}\n",
	    "t.conf:2: [icapserver.groups:g] URL: repetition count over 255");
	load_err("[icapserver.groups:g]\nURL=((a{100}){100})\n",
	    "t.conf:2: [icapserver.groups:g] URL: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	load_err("[icapserver.groups:g]\nURL=(ab){200}{200}\n",
	    "t.conf:2: [icapserver.groups:g] URL: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	cfg = load_ok("[icapserver.groups:g]\nURL=(ab){10}c{5,}[{]{3}\\{9}\n"
	    "[smtpscan.group:g]\nSenders=a+b+(c+d)+.+@x\\.com\n");
	cfg_free(cfg);
	/* fuzz: glibc copies x for each '+' of x+++... (timeout, OOM) */
	load_err("[icapserver.groups:g]\nURL=a++++++++++++\n",
	    "t.conf:2: [icapserver.groups:g] URL: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	load_err("[smtpscan.group:g]\nSenders=x, a+++++++++++++++++++++++++"
	    "+++++++++++++++++++++++++++++++++{1,3},MaxThreads= [,;]x\n",
	    "t.conf:2: [smtpscan.group:g] Senders: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	snprintf(text, sizeof(text), "[icapserver.groups:g]\nURL=%.40s\n",
	    "((((((((((((((((((((((((((((((((((((((((((((");
	load_err(text, "t.conf:2: [icapserver.groups:g] URL: parentheses "
	    "nested deeper than 32");
	snprintf(text, sizeof(text), "[icapserver.groups:g]\nURL=%01025d\n", 0);
	load_err(text, "t.conf:2: [icapserver.groups:g] URL: regular "
	    "expression longer than 1024 bytes");
	/* a loop (2 atoms) inside a count costs 2 * count^2: 31 fits, 32 not */
	cfg = load_ok("[icapserver.groups:g]\nURL=(a*){1,31}\n");
	cfg_free(cfg);
	load_err("[icapserver.groups:g]\nURL=(a*){32}\n",
	    "t.conf:2: [icapserver.groups:g] URL: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	load_err("[icapserver.groups:g]\nURL=((a*){1,10}){1,100}\n",
	    "t.conf:2: [icapserver.groups:g] URL: too costly to compile "
	    "(repetitions expand past 2000 atoms)");
	/* the per-file budget: 10 regexes of 1960 atoms fit, 11 do not */
	strcpy(text, "[smtpscan.group:g]\n");
	for (i = 0; i < 11; i++)
		strcat(text, "Senders=(a{40}){49}\n");
	load_err(text, "t.conf:12: [smtpscan.group:g] Senders: regular "
	    "expressions too large in total");
	text[strlen(text) - 21] = '\0';
	cfg = load_ok(text);
	cfg_free(cfg);
}

/* test_syntax - comments, blanks, continuations, artefacts, case */
static void
test_syntax(void **state)
{
	struct cfg	*cfg;
	char		*big;

	(void)state;
	cfg = load_ok("\xef\xbb\xbf# comment\r\n; other\r\n   # indented\r\n"
	    "\r\n[ scanner . Options ] # trailing\r\nCURE\t=\tYes\r\n"
	    "Max Files = 5\r\nMaxRecursion\xc2\xa0=\xc2\xa0" "3\xc2\xa0\n"
	    "[i capserver.protocol]\nAnswerMode=complete\n");
	assert_int_equal(cfg_bool(cfg, "scanner.options", NULL, "Cure"), 1);
	assert_int_equal(cfg_bool(cfg, "SCANNER.OPTIONS", NULL, "cure"), 1);
	assert_int_equal(cfg_int(cfg, "scanner.options", NULL, "MaxFiles"), 5);
	assert_int_equal(cfg_int(cfg, "scanner.options", NULL, "MaxRecursion"),
	    3);
	assert_string_equal(cfg_str(cfg, "icapserver.protocol", NULL,
	    "AnswerMode"), "complete");
	assert_int_equal(cfg_section_lineno(cfg_section(cfg,
	    "scanner.options", NULL)), 5);
	cfg_free(cfg);

	/* continuations: blank lines skipped, leading blanks kept */
	cfg = load_ok("[scanner.object]\nOnInfected=exec a\\\n  b \\ \n\n\n"
	    "c\\\nd\nOnError=x\\\\\n y\n");
	assert_string_equal(cfg_str(cfg, "scanner.object", NULL, "OnInfected"),
	    "exec a  b cd");
	assert_int_equal(cfg_lineno(cfg, "scanner.object", NULL, "OnInfected"),
	    2);
	assert_string_equal(cfg_str(cfg, "scanner.object", NULL, "OnError"),
	    "x\\ y");
	assert_int_equal(cfg_lineno(cfg, "scanner.object", NULL, "OnError"), 8);
	cfg_free(cfg);
	load_err("[scanner.object]\nOnInfected=exec a\\\n\n",
	    "t.conf:2: backslash continues past the end of the file");
	load_err("[scanner.object]\nOnInfected=a\\\n\x01\n",
	    "t.conf:3: control character 0x01 in column 1");

	load_err("[path] x\n", "t.conf:1: text after ']': \"x\"");
	load_err("[path\n", "t.conf:1: missing ']'");
	load_err("[]\n", "t.conf:1: empty section name");
	load_err("[ : x]\n", "t.conf:1: empty section name");
	load_err("Cure=yes\n", "t.conf:1: Cure: outside any section");
	load_err("[path]\njust text\n", "t.conf:2: expected key=value, "
	    "[section] or a comment: \"just text\"");
	load_err("[path]\n = /x\n", "t.conf:2: missing key before '='");
	load_err("[scanner.options]\nCure=y\x01" "es\n",
	    "t.conf:2: control character 0x01 in column 7");
	load_err("[scanner.options]\nCure=yes\x7f\n",
	    "t.conf:2: control character 0x7f in column 9");
	load_err("[scanner.options]\nCure=y\res\n",
	    "t.conf:2: control character 0x0d in column 7");
	assert_null(cfg_load_buffer("t.conf", "[path]\n\0\n", 9, NULL,
	    errbuf, sizeof(errbuf)));
	assert_string_equal(errbuf, "t.conf:2: control character 0x00 in "
	    "column 1");

	/* line and file bounds: max is fine, max+1 is not */
	big = malloc(CFG_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, 'x', CFG_MAX_LINE + 1);
	big[0] = '#';
	big[CFG_MAX_LINE] = '\0';
	cfg = load_ok(big);
	cfg_free(cfg);
	big[CFG_MAX_LINE] = 'x';
	big[CFG_MAX_LINE + 1] = '\0';
	load_err(big, "t.conf:1: line longer than 8192 bytes");
	memset(big, '\n', CFG_MAX_FILE + 1);
	cfg = cfg_load_buffer("t.conf", big, CFG_MAX_FILE, NULL, errbuf,
	    sizeof(errbuf));
	assert_non_null(cfg);
	cfg_free(cfg);
	assert_null(cfg_load_buffer("t.conf", big, CFG_MAX_FILE + 1, NULL,
	    errbuf, sizeof(errbuf)));
	assert_string_equal(errbuf, "t.conf: larger than 1048576 bytes");
	/* a continued value longer than a line */
	memset(big, 'x', CFG_MAX_FILE);
	memcpy(big, "[scanner.object]\nOnError=", 25);
	memcpy(big + 5000, "\\\n", 2);
	big[12000] = '\0';
	load_err(big, "t.conf:2: continued line longer than 8192 bytes");
	free(big);
}

/* test_sections - named instances, iteration, inheritance, mistakes */
static void
test_sections(void **state)
{
	const struct cfg_section	*s;
	struct cfg			*cfg;
	char				*text;
	size_t				 i, n;

	(void)state;
	cfg = load_ok("[smtpscan.group:default]\nCheck=no\n"
	    "[smtpscan.group:Users]\nAdminAddress=a@b\n"
	    "[smtpscan.group:urgent]\n"
	    "[icapserver.engine.options]\nCure=true\nMaxScanTime=10\n"
	    "[icapserver.engine.options:managers]\nScanPacked=false\n"
	    "MaxScanTime=20\n");
	s = cfg_next(cfg, "smtpscan.group", NULL);
	assert_string_equal(cfg_subname(s), "default");
	assert_int_equal(cfg_section_lineno(s), 1);
	s = cfg_next(cfg, "smtpscan.group", s);
	assert_string_equal(cfg_subname(s), "Users");
	s = cfg_next(cfg, "smtpscan.group", s);
	assert_string_equal(cfg_subname(s), "urgent");
	assert_null(cfg_next(cfg, "smtpscan.group", s));
	assert_ptr_equal(cfg_section(cfg, "smtpscan.group", "USERS"),
	    cfg_next(cfg, "smtpscan.group", cfg_next(cfg, "smtpscan.group",
	    NULL)));
	assert_null(cfg_section(cfg, "smtpscan.group", "nosuch"));
	assert_string_equal(cfg_str(cfg, "smtpscan.group", "users",
	    "AdminAddress"), "a@b");
	assert_int_equal(cfg_bool(cfg, "smtpscan.group", "default", "Check"),
	    0);
	assert_int_equal(cfg_bool(cfg, "smtpscan.group", "urgent", "Check"), 1);
	/* [name:NAME] inherits from [name] */
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", "managers",
	    "ScanPacked"), 0);
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", "managers",
	    "Cure"), 1);
	assert_int_equal(cfg_lineno(cfg, "icapserver.engine.options",
	    "managers", "Cure"), 7);
	assert_int_equal(cfg_int(cfg, "icapserver.engine.options", "managers",
	    "MaxScanTime"), 20);
	assert_int_equal(cfg_int(cfg, "icapserver.engine.options", "other",
	    "MaxScanTime"), 10);
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", NULL,
	    "ScanPacked"), 1);
	assert_string_equal(cfg_subname(cfg_next(cfg,
	    "icapserver.engine.options", NULL)), "managers");
	assert_null(cfg_subname(cfg_section(cfg, "icapserver.engine.options",
	    NULL)));
	cfg_free(cfg);

	load_err("[path]\n[path]\n",
	    "t.conf:2: [path]: duplicate section (first on line 1)");
	load_err("[smtpscan.group:a]\n\n[SMTPSCAN.GROUP:A]\n",
	    "t.conf:3: [smtpscan.group:A]: duplicate section (first on line 1)");
	load_err("[smtpscan.group]\nCheck=yes\n", "t.conf:1: [smtpscan.group]: "
	    "needs a name, as in [smtpscan.group:NAME]");
	load_err("[path:x]\n", "t.conf:1: [path]: takes no name (\":x\")");
	load_err("[smtpscan.group:]\n",
	    "t.conf:1: [smtpscan.group:]: empty name after ':'");
	load_err("[path]\nFoo=1\n", "t.conf:2: [path] Foo: unknown key");
	load_err("[smtpscan.group:x]\nFoo=1\n",
	    "t.conf:2: [smtpscan.group:x] Foo: unknown key");
	load_err("[scanner.options]\nCure=yes\ncure = no\n",
	    "t.conf:3: [scanner.options] Cure: set twice (first on line 2)");
	/* the keys of an unknown section are not reported again */
	load_err("[nosuch]\nFoo=1\nBar=2\n", "t.conf:1: [nosuch]: unknown "
	    "section");
	assert_null(strchr(errbuf, '\n'));

	/* CFG_MAX_SECTIONS instances, then one more */
	n = CFG_MAX_SECTIONS + 1;
	text = malloc(n * 32);
	assert_non_null(text);
	text[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(text + strlen(text), "[smtpscan.group:g%zu]\n", i);
	load_err(text, "t.conf:10001: more than 10000 sections");
	*strrchr(text, '[') = '\0';
	cfg = load_ok(text);
	assert_non_null(cfg_section(cfg, "smtpscan.group", "g9999"));
	cfg_free(cfg);
	free(text);
}

/* test_errors - the format, the cap, and the err buffer's edges */
static void
test_errors(void **state)
{
	char	 text[1024], small[16];
	size_t	 i, lines = 0;

	(void)state;
	assert_null(load("[path]\nBasesPath=db\n[web]\nListenAddress=x\n"));
	assert_string_equal(errbuf,
	    "t.conf:2: [path] BasesPath: not an absolute path: \"db\"\n"
	    "t.conf:4: [web] ListenAddress: not HOST:PORT, [IPv6]:PORT or "
	    "/socket/path");
	strcpy(text, "[path]\n");
	for (i = 0; i < 25; i++)
		strcat(text, "Foo=1\n");
	assert_null(load(text));
	for (i = 0; errbuf[i] != '\0'; i++)
		lines += errbuf[i] == '\n';
	assert_int_equal(lines, CFG_MAX_ERRORS);
	assert_string_equal(strrchr(errbuf, '\n') + 1,
	    "t.conf: more than 20 errors, stopped at line 22");
	/* untrusted names are quoted */
	load_err("[path]\nB\xff\\=1\n", "t.conf:2: [path] B\\xff\\\\: unknown "
	    "key");
	/* a small buffer is truncated and terminated; NULL is allowed */
	memset(small, 'z', sizeof(small));
	assert_null(cfg_load_buffer("t.conf", "x", 1, NULL, small,
	    sizeof(small)));
	assert_string_equal(small, "t.conf:1: expec");
	assert_null(cfg_load_buffer("t.conf", "x", 1, NULL, NULL, 0));
}

/* test_files - cfg_load on a real file and on a missing one */
static void
test_files(void **state)
{
	char		 path[] = "/tmp/cfg_test.XXXXXX";
	struct cfg	*cfg;
	FILE		*fp;
	int		 fd;

	(void)state;
	assert_int_not_equal(fd = mkstemp(path), -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("[vigild]\nMaxThreads=4\n", fp);
	fclose(fp);
	cfg = cfg_load(path, NULL, errbuf, sizeof(errbuf));
	assert_non_null(cfg);
	assert_string_equal(cfg_filename(cfg), path);
	assert_int_equal(cfg_int(cfg, "vigild", NULL, "MaxThreads"), 4);
	cfg_free(cfg);
	unlink(path);
	assert_null(cfg_load(path, NULL, errbuf, sizeof(errbuf)));
	assert_non_null(strstr(errbuf, "No such file or directory"));
	assert_int_equal(strncmp(errbuf, path, strlen(path)), 0);
}

/* dump_text - cfg_dump into a malloc'd string */
static char *
dump_text(const struct cfg *cfg)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(cfg_dump(cfg, fp), 0);
	fclose(fp);
	return buf;
}

/* test_dump - the dump loads back to the same configuration */
static void
test_dump(void **state)
{
	struct cfg	*a, *b;
	char		*da, *db, *p;

	(void)state;
	a = load_ok("[scanner.options]\nExcludeDir=/a b, /c\nExcludeMask=*.x\n"
	    "[smtpscan.group:users]\nFilterByName=a{1,3}, \\.exe$\n"
	    "[icapserver.groups:g]\nURL=^a\\.b\nClientIP=10.0.0.0/8\n"
	    "[icapserver.engine.options:g]\nCure=yes\n");
	da = dump_text(a);
	assert_non_null(strstr(da, "\n[smtpscan.group:users]\n"));
	assert_non_null(strstr(da, "\nFilterByName=a{1,3}\n"
	    "FilterByName=\\.exe$\n"));
	assert_non_null(strstr(da, "\n# InfectedAdminAction is not set\n"));
	/* the default dump names the file and is otherwise the same */
	b = cfg_load_buffer("t.conf", da, strlen(da), NULL, errbuf,
	    sizeof(errbuf));
	if (b == NULL)
		fail_msg("dump does not load: %s", errbuf);
	db = dump_text(b);
	assert_string_equal(da, db);
	p = strstr(da, "[icapserver.engine.options:g]");
	assert_non_null(p);
	assert_non_null(strstr(p, "\nCure=yes\n"));
	free(da);
	free(db);
	cfg_free(a);
	cfg_free(b);
}

/* test_addr - cfg_addr_parse */
static void
test_addr(void **state)
{
	static const struct {
		const char	*text;
		int		 family;
		const char	*host;
		unsigned	 port;
		const char	*why;
	} cases[] = {
		{ "", 0, NULL, 0, "not HOST:PORT, [IPv6]:PORT or /socket/path" },
		{ "127.0.0.1:1344", AF_INET, "127.0.0.1", 1344, NULL },
		{ "0.0.0.0:1", AF_INET, "0.0.0.0", 1, NULL },
		{ "[::1]:65535", AF_INET6, "::1", 65535, NULL },
		{ "localhost:25", AF_UNSPEC, "localhost", 25, NULL },
		{ "*:1344", AF_UNSPEC, "*", 1344, NULL },
		{ "/run/vigil/vigild.sock", AF_UNIX, "", 0, NULL },
		{ "h:65536", 0, NULL, 0, "bad port (1..65535)" },
		{ "h:0", 0, NULL, 0, "bad port (1..65535)" },
		{ "h:", 0, NULL, 0, "bad port (1..65535)" },
		{ "h:123456", 0, NULL, 0, "bad port (1..65535)" },
		{ ":25", 0, NULL, 0, "bad host" },
		{ "a b:25", 0, NULL, 0, "bad host" },
		{ "a*:25", 0, NULL, 0, "bad host" },
		{ "1.2.3.256:25", 0, NULL, 0, "bad IPv4 address" },
		{ "[::g]:25", 0, NULL, 0, "bad IPv6 address" },
		{ "[::1]25", 0, NULL, 0, "missing :PORT" },
		{ "[::1", 0, NULL, 0, "bad [IPv6]:PORT" },
		{ "fe80::1:25", 0, NULL, 0,
		    "an IPv6 address needs brackets: [ADDR]:PORT" },
		{ "/123456789012345678901234567890123456789012345678901234567890"
		    "12345678901234567890123456789012345678901234567", 0, NULL,
		    0, "socket path longer than 107 bytes" },
	};
	struct cfg_addr	 a;
	char		 why[128];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].why != NULL) {
			assert_int_equal(cfg_addr_parse(cases[i].text, &a, why,
			    sizeof(why)), -1);
			assert_string_equal(why, cases[i].why);
			continue;
		}
		assert_int_equal(cfg_addr_parse(cases[i].text, &a, why,
		    sizeof(why)), 0);
		assert_int_equal(a.family, cases[i].family);
		assert_string_equal(a.host, cases[i].host);
		assert_int_equal(a.port, cases[i].port);
	}
	assert_int_equal(cfg_addr_parse("/x", &a, why, sizeof(why)), 0);
	assert_string_equal(a.path, "/x");
}

/* exits_with - run fn in a child; its exit status */
static int
exits_with(void (*fn)(void))
{
	pid_t	 pid;
	int	 st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		(void)freopen("/dev/null", "w", stderr);
		fn();
		_exit(0);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct cfg	*g_cfg;	/* reachable in the child: no leak report */

/* the program bugs VG_ASSERT catches */
static void
assert_unknown_key(void)
{
	(void)cfg_bool(g_cfg, "path", NULL, "Nope");
}

static void
assert_unknown_sec(void)
{
	(void)cfg_str(g_cfg, "nope", NULL, "BasesPath");
}

static void
assert_wrong_type(void)
{
	(void)cfg_bool(g_cfg, "path", NULL, "BasesPath");
}

static void
assert_list_str(void)
{
	(void)cfg_str(g_cfg, "scanner.options", NULL, "ExcludeDir");
}

/* test_asserts - program bugs in getters are fatal (VG_ASSERT) */
static void
test_asserts(void **state)
{
	(void)state;
	g_cfg = cfg_load(NULL, NULL, NULL, 0);
	assert_non_null(g_cfg);
	assert_int_equal(exits_with(assert_unknown_key), 2);
	assert_int_equal(exits_with(assert_unknown_sec), 2);
	assert_int_equal(exits_with(assert_wrong_type), 2);
	assert_int_equal(exits_with(assert_list_str), 2);
	cfg_free(g_cfg);
	g_cfg = NULL;
}

struct guide_snippet {
	const char	*where;
	const char	*text;
};

/*
 * The guides' configuration examples, byte for byte from
 * /work/shared/seeds (blank lines, trailing blanks, U+FFFD for the PDF's
 * dashes, spaces inside values and section names).  Where the example's
 * section is named only in the prose, its header line is added.
 */
static const struct guide_snippet guide_snippets[] = {
	{ "mail 5.1.2: cron update settings",
	    "[updater.options] \n"
	    "\n"
	    "KeepSilent=yes \n"
	    "\n"
	    "[updater.report] \n"
	    "\n"
	    "Append=yes \n"
	    "\n"
	    "ReportLevel=1 \n" },
	{ "mail 5.1.4: local update source",
	    "[updater.options] \n"
	    "\n"
	    "UpdateServerUrl=/mnt/bases \n"
	    "\n"
	    "UseUpdateServerUrl=yes \n"
	    "\n"
	    "UseUpdateServerUrlOnly=no \n" },
	{ "mail 5.2.1: default group",
	    "[smtpscan.group:default] \n"
	    "\n"
	    "Check=yes \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    " AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=yes \n"
	    "\n"
	    "RecipientAction=remove \n"
	    "\n"
	    "CuredRecipientNotify=yes \n"
	    "\n"
	    "CuredRecipientAttachReport=yes \n"
	    "\n"
	    "CuredRecipientAction=cured \n" },
	{ "mail 5.2.1: report",
	    "[smtpscan.report] \n"
	    "\n"
	    "ShowOk=yes \n"
	    "\n"
	    "ReportFileName=/tmp/report.log \n"
	    "\n"
	    "ReportFilePermission=0660 \n" },
	{ "mail 5.2.2: default and urgent groups",
	    "[smtpscan.group:default] \n"
	    "\n"
	    "Check=yes \n"
	    "\n"
	    "QuarantinePath=/var/db/Quarantine \n"
	    "\n"
	    "Quarantine=yes \n"
	    "\n"
	    "InfectedQuarantine=yes \n"
	    "\n"
	    "SuspiciousQuarantine=yes \n"
	    "\n"
	    "CorruptedQuarantine=yes \n"
	    "\n"
	    "ErrorQuarantine=yes \n"
	    "\n"
	    "ProtectedQuarantine=yes \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    "\n"
	    "AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=yes \n"
	    "\n"
	    "RecipientAction=remove \n"
	    "\n"
	    "CuredRecipientNotify=yes \n"
	    "\n"
	    "CuredRecipientAttachReport=yes \n"
	    "\n"
	    "CuredRecipientAction=cured \n"
	    "[smtpscan.group:urgent] \n"
	    "\n"
	    "Check=yes \n"
	    "\n"
	    "Quarantine=no \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    "\n"
	    "AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=yes \n"
	    "\n"
	    "RecipientAction=unchanged \n" },
	{ "mail 5.2.4: blocking delivery",
	    "[smtpscan.group:default] \n"
	    "\n"
	    "Check=yes \n"
	    "\n"
	    "QuarantinePath=/var/db/Quarantine \n"
	    "\n"
	    "Quarantine=yes \n"
	    "\n"
	    "InfectedQuarantine=yes \n"
	    "\n"
	    "SuspiciousQuarantine=yes \n"
	    "\n"
	    "CorruptedQuarantine=yes \n"
	    "\n"
	    "ErrorQuarantine=yes \n"
	    "\n"
	    "ProtectedQuarantine=yes \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    "\n"
	    "AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=yes \n"
	    "\n"
	    "RecipientAction=remove \n"
	    "\n"
	    "CuredRecipientNotify=yes \n"
	    "\n"
	    "CuredRecipientAttachReport=yes \n"
	    "\n"
	    "CuredRecipientAction=cured \n" },
	{ "mail 5.2.5: users group; step 2 has no header in the guide",
	    "[smtpscan.group:users] \n"
	    "\n"
	    "Check=yes \n"
	    "\n"
	    "QuarantinePath=/var/db/Quarantine \n"
	    "\n"
	    "Quarantine=yes \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    "\n"
	    "AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=yes \n"
	    "\n"
	    "RecipientAction=remove \n"
	    "\n"
	    "FilterByName=.*\\.exe$ \n"
	    "\n"
	    "FilteredQuarantine=yes \n"
	    "\n"
	    "FilteredRecipientNotify=yes \n"
	    "\n"
	    "CuredRecipientNotify=yes \n"
	    "\n"
	    "CuredRecipientAttachReport=yes \n"
	    "\n"
	    "CuredRecipientAction=cured \n"
	    "\n"
	    "ProtectedRecipientNotify=yes \n"
	    "\n"
	    "ProtectedRecipientAction=unchanged \n"
	    "\n"
	    "ProtectedRecipientAttachReport=no \n"
	    "\n"
	    "ProtectedSenderNotify=no \n"
	    "\n"
	    "ProtectedAdminNotify=no \n"
	    "[smtpscan.group:default]\n"
	    "Check=yes \n"
	    "\n"
	    "QuarantinePath=/var/db/Quarantine \n"
	    "\n"
	    "Quarantine=yes \n"
	    "\n"
	    "InfectedQuarantine=yes \n"
	    "\n"
	    "SuspiciousQuarantine=yes \n"
	    "\n"
	    "CorruptedQuarantine=yes \n"
	    "\n"
	    "ErrorQuarantine=yes \n"
	    "\n"
	    "AdminAddress=<e-mail_address> \n"
	    " AdminNotify=yes \n"
	    "\n"
	    "AdminAction=unchanged \n"
	    "\n"
	    "SenderNotify=yes \n"
	    "\n"
	    "RecipientNotify=yes \n"
	    "\n"
	    "RecipientAttachReport=no \n"
	    "\n"
	    "RecipientAction=remove \n"
	    "\n"
	    "ProtectedRecipientNotify=yes \n"
	    "\n"
	    "ProtectedRecipientAttachReport=yes \n"
	    "\n"
	    "ProtectedRecipientAction=unchanged \n" },
	{ "mail 5.3.3.1: vox.sh (header from the prose)",
	    "[scanner.container]\n"
	    "OnInfected=exec /opt/kav/5.5/kav4mailservers\\ \n"
	    "/contrib/vox.sh %FULLPATH%/%FILENAME% \n" },
	{ "mail 5.3.3.2: notify the administrator",
	    "[scanner.object] \n"
	    "\n"
	    "OnInfected=exec echo %FULLPATH%/%FILENAME% is\\ \n"
	    "infected by %VIRUSNAME% | mail -s kavscanner\\ \n"
	    "admin@<e-mail_address> \n"
	    "\n"
	    "[scanner.container] \n"
	    "\n"
	    "OnInfected=exec echo archive %FULLPATH%/%FILENAME%\\ \n"
	    "is infected, viruses list is in the attached file\\ \n"
	    "%LIST% | mail -s kavscanner -a %LIST% \\ \n"
	    "\n"
	    "admin@<e-mail_address> \n" },
	{ "mail 5.3.4: movePath",
	    "[scanner.object]\n"
	    "OnInfected=movePath /tmp/infected \n"
	    "[scanner.container]\n"
	    "OnInfected=movePath /tmp/infected \n" },
	{ "mail 5.3.4: several actions",
	    "[scanner.object]\n"
	    "OnInfected=exec mv %FULLPATH%/%FILENAME%\\ \n"
	    "/tmp/infected/%FILENAME%; chmod \357\277\275x\\ \n"
	    "/tmp/infected/%FILENAME% \n" },
	{ "mail 4.4.5: Sendmail",
	    "[smtpscan.general]\n"
	    "ForwardMailer=smtp:(/usr/sbin/sendmail \357\277\275bs \\ \n"
	    "\357\277\275C /etc/mail/sendmail.cf)  \n" },
	{ "mail 4.4.5: Qmail",
	    "[smtpscan.general]\n"
	    "ForwardMailer=qmail:(/var/qmail/bin/qmail-queue) \n" },
	{ "mail 4.4.5: Postfix",
	    "[smtpscan.general]\n"
	    "ForwardMailer=smtp:localhost:10026 \n" },
	{ "mail 4.4.5: Exim",
	    "[smtpscan.general]\n"
	    "ForwardMailer=smtp:(exim \357\277\275bs \\ \n"
	    "-C/etc/exim/exim.conf) \n" },
	{ "mail 4.4.5: required settings",
	    "[smtpscan.general]\n"
	    "NotifyFromAddress=<e-mail address>\n"
	    "[smtpscan.group:default]\n"
	    "AdminAddress=<e-mail_address> \n"
	    "\n"
	    "AdminNotify=yes \n"
	    "[smtpscan.limits]\n"
	    "MaxCheckTime=60 \n" },
	{ "proxy: automatic updates",
	    "[updater.report]  \n"
	    "\n"
	    "Append=true  \n"
	    "\n"
	    "ReportLevel=1  \n" },
	{ "proxy: HTTP traffic protection",
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
	    "AVStatisticsFile=/var/log/kaspersky/kav4proxy/statistic  \n" },
	{ "proxy: groups",
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
	    "ScanPacked= false  \n" },
};

/* snippet - the guide example whose label starts with where */
static const char *
snippet(const char *where)
{
	size_t	 i;

	for (i = 0; i < sizeof(guide_snippets) / sizeof(guide_snippets[0]); i++)
		if (strncmp(guide_snippets[i].where, where, strlen(where)) == 0)
			return guide_snippets[i].text;
	fail_msg("no snippet %s", where);
	return NULL;
}

/* test_guides - every example loads as written and means what it says */
static void
test_guides(void **state)
{
	const char *const	*items;
	const regex_t *const	*res;
	struct cfg		*cfg;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(guide_snippets) / sizeof(guide_snippets[0]);
	    i++) {
		cfg = cfg_load_buffer(guide_snippets[i].where,
		    guide_snippets[i].text, strlen(guide_snippets[i].text), NULL,
		    errbuf, sizeof(errbuf));
		if (cfg == NULL)
			fail_msg("%s", errbuf);
		cfg_free(cfg);
	}

	cfg = load_ok(snippet("proxy: HTTP"));
	assert_int_equal(cfg_list(cfg, "icapserver.filter", NULL, "ExcludeURL",
	    &items), 1);
	assert_string_equal(items[0], "^www\\.example\\.com\\/.*");
	assert_int_equal(cfg_regexes(cfg, "icapserver.filter", NULL,
	    "ExcludeURL", &res), 1);
	assert_int_equal(regexec(res[0], "www.example.com/index.html", 0, NULL,
	    0), 0);
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", NULL,
	    "ScanPacked"), 1);
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", NULL,
	    "ScanMailBases"), 0);
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", NULL,
	    "Cure"), 1);
	assert_string_equal(cfg_str(cfg, "icapserver.actions", NULL,
	    "WarningAction"), "deny");
	assert_string_equal(cfg_str(cfg, "icapserver.actions", NULL,
	    "CorruptedAction"), "skip");
	assert_string_equal(cfg_str(cfg, "icapserver.protocol", NULL,
	    "AnswerMode"), "partial");
	assert_int_equal(cfg_lineno(cfg, "icapserver.protocol", NULL,
	    "AnswerMode"), 39);
	assert_string_equal(cfg_str(cfg, "icapserver.statistics", NULL,
	    "AVStatisticsFile"), "/var/log/kaspersky/kav4proxy/statistic");
	cfg_free(cfg);

	cfg = load_ok(snippet("proxy: groups"));
	assert_int_equal(cfg_int(cfg, "icapserver.groups", "managers",
	    "Priority"), 1);
	assert_int_equal(cfg_list(cfg, "icapserver.groups", "managers",
	    "ClientIP", &items), 1);
	assert_string_equal(items[0], "192.168.1.0/255.255.255.0");
	assert_non_null(cfg_regex(cfg, "icapserver.groups", "managers", "URL"));
	assert_int_equal(cfg_bool(cfg, "icapserver.engine.options", "managers",
	    "ScanPacked"), 0);
	cfg_free(cfg);

	cfg = load_ok(snippet("mail 5.3.3.2"));
	assert_string_equal(cfg_str(cfg, "scanner.object", NULL, "OnInfected"),
	    "exec echo %FULLPATH%/%FILENAME% isinfected by %VIRUSNAME% | "
	    "mail -s kavscanneradmin@<e-mail_address>");
	assert_string_equal(cfg_str(cfg, "scanner.container", NULL,
	    "OnInfected"), "exec echo archive %FULLPATH%/%FILENAME%is "
	    "infected, viruses list is in the attached file%LIST% | mail -s "
	    "kavscanner -a %LIST% admin@<e-mail_address>");
	cfg_free(cfg);

	cfg = load_ok(snippet("mail 5.2.5"));
	assert_int_equal(cfg_list(cfg, "smtpscan.group", "users",
	    "FilterByName", &items), 1);
	assert_string_equal(items[0], ".*\\.exe$");
	assert_int_equal(cfg_bool(cfg, "smtpscan.group", "users",
	    "ProtectedAdminNotify"), 0);
	assert_int_equal(cfg_bool(cfg, "smtpscan.group", "default",
	    "AdminNotify"), 1);
	assert_string_equal(cfg_str(cfg, "smtpscan.group", "default",
	    "QuarantinePath"), "/var/db/Quarantine");
	cfg_free(cfg);

	cfg = load_ok(snippet("mail 4.4.5: Sendmail"));
	assert_string_equal(cfg_str(cfg, "smtpscan.general", NULL,
	    "ForwardMailer"), "smtp:(/usr/sbin/sendmail \357\277\275bs "
	    "\357\277\275C /etc/mail/sendmail.cf)");
	cfg_free(cfg);

	cfg = load_ok(snippet("mail 5.2.1: report"));
	assert_int_equal(cfg_int(cfg, "smtpscan.report", NULL,
	    "ReportFilePermission"), 0660);
	cfg_free(cfg);

	cfg = load_ok(snippet("mail 4.4.5: required"));
	assert_int_equal(cfg_int(cfg, "smtpscan.limits", NULL, "MaxCheckTime"),
	    60);
	cfg_free(cfg);
}

/* test_vigil_conf - the shipped file loads and shows every common key */
static void
test_vigil_conf(void **state)
{
	const struct cfg_param	*p;
	const char		*root = getenv("VIGIL_SRC");
	struct cfg		*cfg;
	char			*text = NULL, *sec, *end, want[256], path[4096];
	size_t			 len = 0, s, i;
	FILE			*fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/vigil/vigil.conf",
	    root ? root : VIGIL_SOURCE_ROOT);
	cfg = cfg_load(path, NULL, errbuf, sizeof(errbuf));
	if (cfg == NULL)
		fail_msg("%s", errbuf);
	cfg_free(cfg);
	assert_non_null(fp = fopen(path, "r"));
	assert_int_not_equal(getdelim(&text, &len, '\0', fp), -1);
	fclose(fp);
	for (s = 0; s < cfg_schema_len; s++) {
		snprintf(want, sizeof(want), "\n[%s%s]\n", cfg_schema[s].name,
		    (cfg_schema[s].flags & CFG_S_NAMED) ? ":default" : "");
		if ((sec = strstr(text, want)) == NULL)
			fail_msg("vigil.conf has no %s", want + 1);
		end = strstr(sec + 1, "\n[");
		for (i = 0; i < cfg_schema[s].nparams; i++) {
			p = &cfg_schema[s].params[i];
			if (!(p->flags & CFG_F_COMMON))
				continue;
			snprintf(want, sizeof(want), "\n#%s=%s\n", p->key,
			    p->def ? p->def : "");
			sec = strstr(sec, want);
			if (sec == NULL || (end != NULL && sec > end))
				fail_msg("vigil.conf [%s] lacks %s",
				    cfg_schema[s].name, want + 1);
		}
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_asserts),
		cmocka_unit_test(test_guides),
		cmocka_unit_test(test_vigil_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
