/*
 * policy_test.c - vigil-smtpd groups and rules: action words (edges
 * first), group matching order, filters, bad values, the built-in
 * defaults of mail guide 4.1 and the examples of mail guide 5.2 loaded
 * as written, each checked against what its task text promises
 *
 * The guide's blocks below are its lines as extracted from the PDF
 * (blank lines, trailing blanks, a stray leading blank where a page
 * breaks), with only AdminAddress=<e-mail_address> made an address and
 * the lines marked "added".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "smtp_policy.h"

struct fixture {
	struct cfg		*c;
	struct sp_policy	 p;
	int			 rc;
	char			 err[1024];
};

/* load - cfg and policy from text; the policy may fail (f->rc -1) */
static void
load(struct fixture *f, const char *text)
{
	memset(f, 0, sizeof(*f));
	f->c = cfg_load_buffer("test.conf", text, strlen(text), NULL, f->err,
	    sizeof(f->err));
	if (f->c == NULL)
		fail_msg("cfg: %s", f->err);
	f->rc = sp_load(f->c, &f->p, f->err, sizeof(f->err));
}

/* load_ok - load, and the policy must build */
static void
load_ok(struct fixture *f, const char *text)
{
	load(f, text);
	if (f->rc != 0)
		fail_msg("sp_load: %s", f->err);
}

/* unload - free both */
static void
unload(struct fixture *f)
{
	sp_free(&f->p);
	cfg_free(f->c);
}

/* group - the group called name */
static const struct sp_group *
group(const struct fixture *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->p.n; i++)
		if (strcmp(f->p.g[i].name, name) == 0)
			return &f->p.g[i];
	fail_msg("no group %s", name);
	return NULL;
}

/* shorthands for rule tables */
#define U	SA_UNCHANGED
#define C	SA_CURED
#define X	SA_REMOVE
#define D	SA_DROP
/* quarantine, admin notify/action, sender notify, rcpt notify/attach/action */
#define R(q, an, aa, sn, rn, rat, ra)	{ q, an, aa, sn, rn, rat, ra }

/* check_rules - every status of g against want */
static void
check_rules(const char *what, const struct sp_group *g,
    const struct sp_rule want[SP_NSTATUS])
{
	const struct sp_rule	*r, *w;
	int			 s, bad = 0;

	for (s = 0; s < SP_NSTATUS; s++) {
		r = &g->rule[s];
		w = &want[s];
		if (r->quarantine == w->quarantine &&
		    r->admin_notify == w->admin_notify &&
		    r->admin_action == w->admin_action &&
		    r->sender_notify == w->sender_notify &&
		    r->rcpt_notify == w->rcpt_notify &&
		    r->rcpt_attach == w->rcpt_attach &&
		    r->rcpt_action == w->rcpt_action)
			continue;
		print_error("%s: group %s %s: got q=%d an=%d aa=%s sn=%d "
		    "rn=%d rat=%d ra=%s, want q=%d an=%d aa=%s sn=%d rn=%d "
		    "rat=%d ra=%s\n", what, g->name,
		    sp_status_name((enum sp_status)s), r->quarantine,
		    r->admin_notify, sp_action_name(r->admin_action),
		    r->sender_notify, r->rcpt_notify, r->rcpt_attach,
		    sp_action_name(r->rcpt_action), w->quarantine,
		    w->admin_notify, sp_action_name(w->admin_action),
		    w->sender_notify, w->rcpt_notify, w->rcpt_attach,
		    sp_action_name(w->rcpt_action));
		bad++;
	}
	if (bad)
		fail_msg("%s: %d status rule(s) differ", what, bad);
}

/* guide_521: guide lines 1182-1203 */
static const char guide_521[] =
    "[smtpscan.group:default] \n"
    "\n"
    "Check=yes \n"
    "\n"
    "AdminAddress=admin@example.org \n"
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
    "CuredRecipientAction=cured \n"
    ;

/* guide_522_default: guide lines 1255-1291 */
static const char guide_522_default[] =
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
    "AdminAddress=admin@example.org \n"
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
    ;

/* guide_522_urgent: guide lines 1297-1315 */
static const char guide_522_urgent[] =
    "[smtpscan.group:urgent] \n"
    "Recipients=^boss@example\\.com$\n"	/* added */
    "\n"
    "Check=yes \n"
    "\n"
    "Quarantine=no \n"
    "\n"
    "AdminAddress=admin@example.org \n"
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
    "RecipientAction=unchanged \n"
    ;

/* guide_524: guide lines 1365-1401 */
static const char guide_524[] =
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
    "AdminAddress=admin@example.org \n"
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
    ;

/* guide_525_users: guide lines 1455-1497 */
static const char guide_525_users[] =
    "[smtpscan.group:users] \n"
    "Recipients=@users\\.example\\.com$\n"	/* added */
    "\n"
    "Check=yes \n"
    "\n"
    "QuarantinePath=/var/db/Quarantine \n"
    "\n"
    "Quarantine=yes \n"
    "\n"
    "AdminAddress=admin@example.org \n"
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
    ;

/* guide_525_default: guide lines 1504-1541 */
static const char guide_525_default[] =
    "[smtpscan.group:default]\n"	/* added: the guide omits it */
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
    "AdminAddress=admin@example.org \n"
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
    "ProtectedRecipientAction=unchanged \n"
    "\n"
    "CuredRecipientNotify=yes \n"
    "\n"
    "CuredRecipientAttachReport=yes \n"
    "\n"
    "CuredRecipientAction=cured \n"
    ;

/*
 * Mail guide 4.1 (no [smtpscan.group:default] in the file): cure; deliver
 * cured messages, with notices to the recipients, the sender and the
 * administrator (postmaster@localhost), who also gets the cured copy;
 * delete uncurable, suspicious, corrupted and unscannable messages, with
 * the same notices; 5.2.3: password-protected archives are delivered
 * unscanned with a notice to the recipient and the administrator.
 */
static const struct sp_rule builtin[SP_NSTATUS] = {
	[SP_INFECTED]	= R(0, 1, X, 1, 1, 1, X),
	[SP_SUSPICIOUS]	= R(0, 1, X, 1, 1, 1, X),
	[SP_WARNING]	= R(0, 1, X, 1, 1, 1, X),
	[SP_CORRUPTED]	= R(0, 1, X, 1, 1, 1, X),
	[SP_PROTECTED]	= R(0, 1, X, 0, 1, 1, U),
	[SP_ERROR]	= R(0, 1, X, 1, 1, 1, X),
	[SP_FILTERED]	= R(0, 1, X, 1, 1, 1, X),
	[SP_CURED]	= R(0, 1, C, 1, 1, 1, C),
};

/* test_builtin - empty file, a file without a default group */
static void
test_builtin(void **state)
{
	static const char *const texts[] = {
		"",
		"[smtpscan.general]\nProtocol=smtp\n",
		"[smtpscan.group:other]\nRecipients=^nobody$\n",
	};
	struct fixture		 f;
	const struct sp_group	*g;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		load_ok(&f, texts[i]);
		assert_int_equal(f.p.n, i == 2 ? 2 : 1);
		g = &f.p.g[f.p.n - 1];
		assert_string_equal(g->name, "default");
		assert_ptr_equal(sp_match(&f.p, "a@b", "c@d"), g);
		assert_int_equal(g->check, 1);
		assert_int_equal(g->cure, 1);
		assert_int_equal(g->xheaders, 1);
		assert_string_equal(g->admin, "postmaster@localhost");
		assert_string_equal(g->qpath, "/var/lib/vigil/quarantine");
		assert_int_equal(g->nsenders + g->nrcpts + g->nfname +
		    g->nftype, 0);
		assert_int_equal(sp_filter_name(g, "a.exe"), 0);
		assert_int_equal(sp_filter_type(g, "application/x-dosexec"),
		    0);
		check_rules("builtin", g, builtin);
		unload(&f);
	}
}

/*
 * 5.2.1: clean infected messages, delete uncurable ones, deliver cured
 * ones; notify senders, recipients and administrators about cured,
 * deleted, suspicious, corrupted and unscannable messages; unchanged
 * infected objects attached for the administrator (so also for CURED:
 * AdminAction=unchanged is written, CuredAdminAction is not); "deliver
 * only clean and disinfected mail" (PROTECTED too is removed).
 */
static const struct sp_rule want_521[SP_NSTATUS] = {
	[SP_INFECTED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_SUSPICIOUS]	= R(0, 1, U, 1, 1, 1, X),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CORRUPTED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_PROTECTED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_ERROR]	= R(0, 1, U, 1, 1, 1, X),
	[SP_FILTERED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, C),
};

/* test_guide_521 - delivering clean and disinfected messages */
static void
test_guide_521(void **state)
{
	struct fixture		 f;
	const struct sp_group	*g;

	(void)state;
	load_ok(&f, guide_521);
	assert_int_equal(f.p.n, 1);
	g = group(&f, "default");
	assert_int_equal(g->check, 1);
	assert_int_equal(g->cure, 1);
	assert_string_equal(g->admin, "admin@example.org");
	check_rules("5.2.1", g, want_521);
	unload(&f);
}

/*
 * 5.2.2 default group: as 5.2.1, and uncurable, suspicious and corrupted
 * messages (the example adds unscannable and password-protected ones)
 * moved to the quarantine.
 */
static const struct sp_rule want_522_default[SP_NSTATUS] = {
	[SP_INFECTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_SUSPICIOUS]	= R(1, 1, U, 1, 1, 1, X),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CORRUPTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_PROTECTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_ERROR]	= R(1, 1, U, 1, 1, 1, X),
	[SP_FILTERED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, C),
};

/*
 * 5.2.2 urgent group: nothing quarantined, nothing cleaned, everything
 * delivered as it came (CURED too: RecipientAction=unchanged is written,
 * CuredRecipientAction is not) with the recipients' notice.
 */
static const struct sp_rule want_522_urgent[SP_NSTATUS] = {
	[SP_INFECTED]	= R(0, 1, U, 1, 1, 1, U),
	[SP_SUSPICIOUS]	= R(0, 1, U, 1, 1, 1, U),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 1, U),
	[SP_CORRUPTED]	= R(0, 1, U, 1, 1, 1, U),
	[SP_PROTECTED]	= R(0, 1, U, 1, 1, 1, U),
	[SP_ERROR]	= R(0, 1, U, 1, 1, 1, U),
	[SP_FILTERED]	= R(0, 1, U, 1, 1, 1, U),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, U),
};

/* test_guide_522 - delivery of all messages to the urgent group */
static void
test_guide_522(void **state)
{
	static const char *const order[] = { "default+urgent",
	    "urgent+default" };
	struct fixture		 f;
	const struct sp_group	*g, *u;
	char			 text[4096];
	size_t			 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		snprintf(text, sizeof(text), "%s%s", i == 0 ?
		    guide_522_default : guide_522_urgent, i == 0 ?
		    guide_522_urgent : guide_522_default);
		load_ok(&f, text);
		assert_int_equal(f.p.n, 2);
		u = &f.p.g[0];
		g = &f.p.g[1];
		assert_string_equal(u->name, "urgent");
		assert_string_equal(g->name, "default");
		assert_string_equal(g->qpath, "/var/db/Quarantine");
		assert_string_equal(u->qpath, "/var/lib/vigil/quarantine");
		assert_int_equal(g->cure, 1);
		check_rules(order[i], g, want_522_default);
		check_rules(order[i], u, want_522_urgent);
		assert_ptr_equal(sp_match(&f.p, "x@y", "boss@example.com"), u);
		assert_ptr_equal(sp_match(&f.p, "", "Boss@Example.COM"), u);
		assert_ptr_equal(sp_match(&f.p, "x@y", "boss@exampleXcom"), g);
		assert_ptr_equal(sp_match(&f.p, "x@y", "xboss@example.com"),
		    g);
		assert_ptr_equal(sp_match(&f.p, "boss@example.com", "a@b"),
		    g);
		unload(&f);
	}
}

/*
 * 5.2.3: password-protected archives are delivered unscanned; with
 * ProtectedRecipientAttachReport=no and ProtectedAdminNotify=no no notice
 * goes with the recipients' copy nor to the administrator.  The guide
 * gives the two assignments, not a block.
 */
static void
test_guide_523(void **state)
{
	struct fixture		 f;
	struct sp_rule		 want[SP_NSTATUS];

	(void)state;
	memcpy(want, builtin, sizeof(want));
	want[SP_PROTECTED] = (struct sp_rule)R(0, 0, X, 0, 1, 0, U);
	load_ok(&f, "[smtpscan.group:default]\n"
	    "ProtectedRecipientAttachReport=no\n"
	    "ProtectedAdminNotify=no\n");
	check_rules("5.2.3", group(&f, "default"), want);
	unload(&f);
}

/*
 * 5.2.4: clean infected messages; block (quarantine, do not deliver)
 * infected, suspicious, corrupted, password-protected and unscannable
 * ones; deliver only clean or cured ones; notify senders, recipients and
 * administrators; unchanged objects attached for the administrator.
 */
static const struct sp_rule want_524[SP_NSTATUS] = {
	[SP_INFECTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_SUSPICIOUS]	= R(1, 1, U, 1, 1, 1, X),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CORRUPTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_PROTECTED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_ERROR]	= R(1, 1, U, 1, 1, 1, X),
	[SP_FILTERED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, C),
};

/* test_guide_524 - blocking message delivery */
static void
test_guide_524(void **state)
{
	struct fixture		 f;

	(void)state;
	load_ok(&f, guide_524);
	assert_int_equal(f.p.n, 1);
	assert_int_equal(group(&f, "default")->cure, 1);
	check_rules("5.2.4", group(&f, "default"), want_524);
	unload(&f);
}

/*
 * 5.2.5 users: filter .exe attachments out and quarantine them, notify
 * the administrator and the recipients about them; uncurable objects
 * removed, the administrator gets them unchanged.  The task text also
 * asks for notices to the administrator and the senders about
 * password-protected objects, but the example sets ProtectedAdminNotify
 * and ProtectedSenderNotify to no: the example, as written, wins.
 */
static const struct sp_rule want_525_users[SP_NSTATUS] = {
	[SP_INFECTED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_SUSPICIOUS]	= R(0, 1, U, 1, 1, 1, X),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 1, X),
	[SP_CORRUPTED]	= R(0, 1, U, 1, 1, 1, X),
	[SP_PROTECTED]	= R(0, 0, U, 0, 1, 0, U),
	[SP_ERROR]	= R(0, 1, U, 1, 1, 1, X),
	[SP_FILTERED]	= R(1, 1, U, 1, 1, 1, X),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, C),
};

/*
 * 5.2.5 everyone else: quarantine uncurable, suspicious, corrupted and
 * unscannable messages; deliver cured ones; deliver password-protected
 * ones with a notice; notify senders, recipients and the administrator;
 * unchanged objects "of all types" attached for the administrator.
 */
static const struct sp_rule want_525_default[SP_NSTATUS] = {
	[SP_INFECTED]	= R(1, 1, U, 1, 1, 0, X),
	[SP_SUSPICIOUS]	= R(1, 1, U, 1, 1, 0, X),
	[SP_WARNING]	= R(0, 1, U, 1, 1, 0, X),
	[SP_CORRUPTED]	= R(1, 1, U, 1, 1, 0, X),
	[SP_PROTECTED]	= R(0, 1, U, 1, 1, 1, U),
	[SP_ERROR]	= R(1, 1, U, 1, 1, 0, X),
	[SP_FILTERED]	= R(0, 1, U, 1, 1, 0, X),
	[SP_CURED]	= R(0, 1, U, 1, 1, 1, C),
};

/* test_guide_525 - filtering by attachment name */
static void
test_guide_525(void **state)
{
	static const struct {
		const char	*name;
		int		 hit;
	} names[] = {
		{ NULL,			0 },
		{ "",			0 },
		{ ".exe",		1 },
		{ "setup.exe",		1 },
		{ "SETUP.EXE",		1 },
		{ "setup.exe.txt",	0 },
		{ "setupexe",		0 },
		{ "readme.txt",		0 },
	};
	struct fixture		 f;
	const struct sp_group	*u, *g;
	char			 text[4096];
	size_t			 i;

	(void)state;
	snprintf(text, sizeof(text), "%s%s", guide_525_users,
	    guide_525_default);
	load_ok(&f, text);
	assert_int_equal(f.p.n, 2);
	u = group(&f, "users");
	g = group(&f, "default");
	assert_ptr_equal(u, &f.p.g[0]);
	check_rules("5.2.5 users", u, want_525_users);
	check_rules("5.2.5 default", g, want_525_default);
	assert_string_equal(u->qpath, "/var/db/Quarantine");
	assert_string_equal(g->qpath, "/var/db/Quarantine");
	assert_int_equal(u->nfname, 1);
	assert_int_equal(g->nfname, 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (sp_filter_name(u, names[i].name) != names[i].hit)
			fail_msg("FilterByName %s", names[i].name ?
			    names[i].name : "(null)");
		assert_int_equal(sp_filter_name(g, names[i].name), 0);
	}
	assert_ptr_equal(sp_match(&f.p, "x@y", "bob@users.example.com"), u);
	assert_ptr_equal(sp_match(&f.p, "x@y", "bob@example.com"), g);
	unload(&f);
}

/*
 * test_precedence - each step of the order on one status: <S>Key set,
 * Key set, <S>Key's default, Key's default; quarantine needs both keys
 */
static void
test_precedence(void **state)
{
	static const struct {
		const char	*text;
		enum sp_status	 s;
		struct sp_rule	 want;
	} cases[] = {
		/* nothing set: the per-status defaults, then the generic */
		{ "", SP_CURED,		R(0, 1, C, 1, 1, 1, C) },
		{ "", SP_WARNING,	R(0, 1, X, 1, 1, 1, X) },
		/* a generic key set beats a per-status default */
		{ "RecipientAction=unchanged\nAdminAction=drop\n"
		  "SenderNotify=yes\nAdminNotify=no\n", SP_PROTECTED,
					R(0, 0, D, 1, 1, 1, U) },
		{ "RecipientAction=drop\nAdminAction=unchanged\n",
		  SP_CURED,		R(0, 1, U, 1, 1, 1, D) },
		/* a per-status key set beats the generic one */
		{ "RecipientAction=unchanged\nCuredRecipientAction=remove\n"
		  "AdminAction=unchanged\nCuredAdminAction=CURED\n",
		  SP_CURED,		R(0, 1, C, 1, 1, 1, X) },
		{ "WarningRecipientAction=Unchanged\nRecipientAction=remove\n"
		  "SenderNotify=no\nWarningSenderNotify=yes\n"
		  "RecipientAttachReport=yes\nWarningRecipientAttachReport=no\n"
		  "RecipientNotify=no\nWarningRecipientNotify=yes\n"
		  "AdminNotify=yes\nWarningAdminNotify=no\n",
		  SP_WARNING,		R(0, 0, X, 1, 1, 0, U) },
		{ "WarningRecipientAction=unchanged\n",
		  SP_INFECTED,		R(0, 1, X, 1, 1, 1, X) },
		/* quarantine: both keys, unset per-status means no */
		{ "Quarantine=yes\n", SP_INFECTED, R(0, 1, X, 1, 1, 1, X) },
		{ "InfectedQuarantine=yes\n", SP_INFECTED,
					R(0, 1, X, 1, 1, 1, X) },
		{ "Quarantine=no\nInfectedQuarantine=yes\n", SP_INFECTED,
					R(0, 1, X, 1, 1, 1, X) },
		{ "Quarantine=yes\nInfectedQuarantine=yes\n", SP_INFECTED,
					R(1, 1, X, 1, 1, 1, X) },
		{ "Quarantine=yes\nCuredQuarantine=yes\n", SP_CURED,
					R(1, 1, C, 1, 1, 1, C) },
		{ "Quarantine=yes\nInfectedQuarantine=yes\n", SP_ERROR,
					R(0, 1, X, 1, 1, 1, X) },
	};
	struct fixture		 f;
	struct sp_rule		 want[SP_NSTATUS];
	char			 text[1024], what[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[smtpscan.group:default]\n%s",
		    cases[i].text);
		load_ok(&f, text);
		memcpy(want, f.p.g[0].rule, sizeof(want));
		want[cases[i].s] = cases[i].want;
		snprintf(what, sizeof(what), "case %zu", i);
		check_rules(what, &f.p.g[0], want);
		unload(&f);
	}
}

/* match config: default first in the file, tried last */
static const char match_conf[] =
    "[smtpscan.group:Default]\n"
    "AdminAddress=def@example.org\n"
    "Recipients=^never$\n"		/* the default's lists are ignored */
    "[smtpscan.group:a]\n"
    "Senders=^alice@\n"
    "Recipients=example\\.org$\n"
    "[smtpscan.group:a2]\n"		/* shadowed by a */
    "Senders=^alice@\n"
    "Recipients=example\\.org$\n"
    "[smtpscan.group:lists]\n"
    "Senders=^s1@x$, ^s2@x$\n"
    "Senders=^s3@x$\n"		/* repeated: appends */
    "Recipients=^r@(x|y)$\n"
    "[smtpscan.group:b]\n"
    "Senders=\n"			/* empty: any */
    "Recipients=example\\.org$\n"
    "[smtpscan.group:c]\n"
    "Senders=mallory\n"		/* unanchored: searched */
    "[smtpscan.group:nul]\n"
    "Senders=^$\n"			/* the null sender */
    "Recipients=^postmaster@\n";

/* test_match - first group holding sender and recipient, default last */
static void
test_match(void **state)
{
	static const struct {
		const char	*sender, *rcpt, *group;
	} cases[] = {
		{ NULL,			NULL,			"default" },
		{ "",			"",			"default" },
		{ "alice@x",		"bob@example.org",	"a" },
		{ "ALICE@X",		"BOB@EXAMPLE.ORG",	"a" },
		{ "alice@x",		"bob@example.org.evil",	"default" },
		{ "alice@x",		"bob@example.net",	"default" },
		{ "malice@x",		"bob@example.org",	"b" },
		{ "carol@x",		"bob@example.org",	"b" },
		{ "",			"bob@example.org",	"b" },
		{ NULL,			"bob@example.org",	"b" },
		{ "s1@x",		"r@x",			"lists" },
		{ "s2@X",		"r@y",			"lists" },
		{ "s3@x",		"R@Y",			"lists" },
		{ "s4@x",		"r@y",			"default" },
		{ "s1@x",		"r@z",			"default" },
		{ "s1@x",		"bob@example.org",	"b" },
		{ "mallory@x",		"anyone@anywhere",	"c" },
		{ "x.Mallory.y@z",	"",			"c" },
		{ "",			"postmaster@x",		"nul" },
		{ NULL,			"postmaster@x",		"nul" },
		{ "a@b",		"postmaster@x",		"default" },
		{ "a@b",		"never",		"default" },
	};
	static const char *const order[] = { "a", "a2", "lists", "b", "c",
	    "nul", "default" };
	struct fixture		 f;
	const struct sp_group	*g;
	size_t			 i;

	(void)state;
	load_ok(&f, match_conf);
	assert_int_equal(f.p.n, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < f.p.n; i++)
		assert_string_equal(f.p.g[i].name, order[i]);
	assert_string_equal(f.p.g[f.p.n - 1].admin, "def@example.org");
	assert_int_equal(group(&f, "lists")->nsenders, 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g = sp_match(&f.p, cases[i].sender, cases[i].rcpt);
		if (strcmp(g->name, cases[i].group) != 0)
			fail_msg("case %zu (%s, %s): %s, want %s", i,
			    cases[i].sender ? cases[i].sender : "(null)",
			    cases[i].rcpt ? cases[i].rcpt : "(null)",
			    g->name, cases[i].group);
	}
	unload(&f);
}

/* test_match_catchall - a group with empty lists takes everything */
static void
test_match_catchall(void **state)
{
	struct fixture	 f;

	(void)state;
	load_ok(&f, "[smtpscan.group:all]\nCheck=no\n"
	    "[smtpscan.group:default]\n");
	assert_int_equal(f.p.n, 2);
	assert_string_equal(sp_match(&f.p, "a@b", "c@d")->name, "all");
	assert_string_equal(sp_match(&f.p, NULL, NULL)->name, "all");
	assert_int_equal(sp_match(&f.p, "", "")->check, 0);
	assert_int_equal(f.p.g[1].check, 1);
	unload(&f);
}

/* test_filter_type - FilterByMIME and FilterByType both apply */
static void
test_filter_type(void **state)
{
	static const struct {
		const char	*type;
		int		 hit;
	} cases[] = {
		{ NULL,						0 },
		{ "",						0 },
		{ "application/x-msdownload",			1 },
		{ "Application/X-MSDownload; name=\"a.exe\"",	1 },
		{ "  application/x-msdownload  ;x=y",		1 },
		{ "application/x-msdownload2",			0 },
		{ "image/png",					1 },
		{ " image/gif ",				1 },
		{ "text/plain; name=image/png",			0 },
		{ "text/image/",				0 },
		{ "application/x-dosexec",			1 },
		{ "text/plain",					0 },
	};
	struct fixture		 f;
	const struct sp_group	*g;
	size_t			 i;

	(void)state;
	load_ok(&f, "[smtpscan.group:default]\n"
	    "FilterByMIME=^application/x-msdownload$\n"
	    "FilterByType=^image/, x-dosexec$\n"
	    "FilterByName=\\.(exe|com|pif)$\n");
	g = &f.p.g[0];
	assert_int_equal(g->nftype, 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sp_filter_type(g, cases[i].type) != cases[i].hit)
			fail_msg("case %zu: %s", i, cases[i].type ?
			    cases[i].type : "(null)");
	assert_int_equal(sp_filter_name(g, "a.PIF"), 1);
	assert_int_equal(sp_filter_name(g, "a.com.txt"), 0);
	assert_int_equal(sp_filter_type(g, "image/png") &&
	    !sp_filter_name(g, "image/png"), 1);
	unload(&f);
	/* only one of the lists */
	load_ok(&f, "[smtpscan.group:default]\nFilterByType=^image/\n");
	assert_int_equal(f.p.g[0].nftype, 1);
	assert_int_equal(sp_filter_type(&f.p.g[0], "image/x"), 1);
	unload(&f);
}

/* test_qpath - group QuarantinePath, else [path]'s, else none */
static void
test_qpath(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "[path]\nQuarantinePath=/q\n", "/q" },
		{ "[path]\nQuarantinePath=/q\n[smtpscan.group:default]\n"
		  "QuarantinePath=/g\n", "/g" },
		{ "[path]\nQuarantinePath=\n", NULL },
		{ "[path]\nQuarantinePath=\n[smtpscan.group:default]\n"
		  "QuarantinePath=\n", NULL },
	};
	struct fixture	 f;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load_ok(&f, cases[i].text);
		if (cases[i].want == NULL)
			assert_null(f.p.g[0].qpath);
		else
			assert_string_equal(f.p.g[0].qpath, cases[i].want);
		unload(&f);
	}
}

/* test_bad_action - an invalid action names file, line, group and key */
static void
test_bad_action(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} cases[] = {
		{ "[smtpscan.group:default]\nAdminAction=\n",
		  "test.conf:2: [smtpscan.group:default] AdminAction: bad "
		  "action ''" },
		{ "[smtpscan.group:users]\nRecipients=x\n"
		  "RecipientAction=delete\n",
		  "test.conf:3: [smtpscan.group:users] RecipientAction: bad "
		  "action 'delete'" },
		{ "[smtpscan.group:default]\n\n\n"
		  "InfectedAdminAction=quarantine\n",
		  "test.conf:4: [smtpscan.group:default] InfectedAdminAction: "
		  "bad action 'quarantine'" },
		/* unused (overridden everywhere) keys are still checked */
		{ "[smtpscan.group:default]\nCuredRecipientAction=cured "
		  "remove\n",
		  "test.conf:2: [smtpscan.group:default] "
		  "CuredRecipientAction: bad action 'cured remove'" },
		{ "[smtpscan.group:Default]\nWarningRecipientAction=removed\n",
		  "test.conf:2: [smtpscan.group:default] "
		  "WarningRecipientAction: bad action 'removed'" },
		/* a continued value is checked joined ("remove"); below */
		{ "[smtpscan.group:default]\nProtectedAdminAction=re\\\n"
		  "move\n", NULL },
		/* the second group fails after the first was built */
		{ "[smtpscan.group:ok]\nFilterByMIME=x\nFilterByType=y\n"
		  "[smtpscan.group:Bad]\nErrorAdminAction=\tdrop\tit\n",
		  "test.conf:5: [smtpscan.group:Bad] ErrorAdminAction: bad "
		  "action 'drop\\x09it'" },
		{ "[smtpscan.group:default]\nFilteredRecipientAction=remove\n"
		  "[smtpscan.group:later]\nAdminAction=x\n",
		  "test.conf:4: [smtpscan.group:later] AdminAction: bad "
		  "action 'x'" },
	};
	struct fixture	 f;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		load(&f, cases[i].text);
		if (cases[i].err == NULL) {
			assert_int_equal(f.rc, 0);
			assert_int_equal(f.p.g[0].rule[SP_PROTECTED]
			    .admin_action, SA_REMOVE);
		} else {
			assert_int_equal(f.rc, -1);
			assert_null(f.p.g);
			assert_int_equal(f.p.n, 0);
			if (strncmp(f.err, cases[i].err,
			    strlen(cases[i].err)) != 0)
				fail_msg("case %zu: %s", i, f.err);
			assert_non_null(strstr(f.err, "(unchanged, cured, "
			    "remove or drop)"));
		}
		unload(&f);
	}
}

/* test_small_err - a short or absent error buffer is not overrun */
static void
test_small_err(void **state)
{
	static const char text[] = "[smtpscan.group:default]\n"
	    "AdminAction=nope\n";
	struct sp_policy p;
	struct cfg	*c;
	char		 err[8];

	(void)state;
	c = cfg_load_buffer("t", text, strlen(text), NULL, NULL, 0);
	assert_non_null(c);
	assert_int_equal(sp_load(c, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2: [s");
	assert_int_equal(sp_load(c, &p, NULL, 0), -1);
	sp_free(&p);
	sp_free(&p);
	sp_free(NULL);
	cfg_free(c);
}

/* test_action_words - sp_action_parse edges, names round trip */
static void
test_action_words(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		enum sp_action	 a;
	} cases[] = {
		{ NULL,		-1, 0 },
		{ "",		-1, 0 },
		{ " remove",	-1, 0 },
		{ "remove ",	-1, 0 },
		{ "rem",	-1, 0 },
		{ "removed",	-1, 0 },
		{ "delete",	-1, 0 },
		{ "quarantine",	-1, 0 },
		{ "unchanged",	0, SA_UNCHANGED },
		{ "UNCHANGED",	0, SA_UNCHANGED },
		{ "Cured",	0, SA_CURED },
		{ "remove",	0, SA_REMOVE },
		{ "ReMoVe",	0, SA_REMOVE },
		{ "drop",	0, SA_DROP },
		{ "DROP",	0, SA_DROP },
	};
	static const char *const snames[SP_NSTATUS] = { "INFECTED",
	    "SUSPICIOUS", "WARNING", "CORRUPTED", "PROTECTED", "ERROR",
	    "FILTERED", "CURED" };
	enum sp_action	 a;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = (enum sp_action)99;
		assert_int_equal(sp_action_parse(cases[i].s, &a), cases[i].rc);
		if (cases[i].rc == 0)
			assert_int_equal(a, cases[i].a);
		else
			assert_int_equal(a, 99);
	}
	for (i = SA_UNCHANGED; i <= SA_DROP; i++) {
		assert_int_equal(sp_action_parse(sp_action_name(
		    (enum sp_action)i), &a), 0);
		assert_int_equal(a, i);
	}
	assert_string_equal(sp_action_name(SA_CURED), "cured");
	for (i = 0; i < SP_NSTATUS; i++)
		assert_string_equal(sp_status_name((enum sp_status)i),
		    snames[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_words),
		cmocka_unit_test(test_bad_action),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_catchall),
		cmocka_unit_test(test_filter_type),
		cmocka_unit_test(test_qpath),
		cmocka_unit_test(test_guide_521),
		cmocka_unit_test(test_guide_522),
		cmocka_unit_test(test_guide_523),
		cmocka_unit_test(test_guide_524),
		cmocka_unit_test(test_guide_525),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
