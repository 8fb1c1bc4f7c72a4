/*
 * smtp_policy.c - vigil-smtpd groups: build them from [smtpscan.group:NAME]
 * sections, resolve each status's rule, find the group of a message
 *
 * DESIGN
 * sp_load() runs once at start or reload and turns the configuration
 * into an array of struct sp_group: the groups of the file in file
 * order, then "default" (the file's [smtpscan.group:default] wherever it
 * stands, else the schema defaults, which cfg returns for a section the
 * file lacks).  Everything a message needs is resolved here, so the
 * message path only reads plain values and regexes compiled by cfg; any
 * number of threads may match at once (regexec on a shared regex_t).
 *
 * Rules.  For every status S and every field but quarantine, the value
 * comes from the first of:
 *	1. <S>Key set in the group's section	(mail guide 5.2.1: "Any
 *						 rules set for a certain
 *						 object have higher priority")
 *	2. Key set in the group's section	(5.2.1: the Sender*,
 *						 Recipient* and Admin* keys
 *						 rule all object types)
 *	3. <S>Key's schema default, if any	(CURED: actions "cured";
 *						 PROTECTED: delivered
 *						 unchanged, notice to the
 *						 recipient and admin)
 *	4. Key's schema default
 * Step 2 before 3 is what makes the guide's examples do what their task
 * text says: 5.2.4 "block ... password-protected messages" sets only
 * RecipientAction=remove, 5.2.5 "attach unchanged objects of all types
 * to the administrator's notifications" sets only AdminAction=unchanged,
 * and the urgent group of 5.2.2 (no cleaning, everything delivered) sets
 * only RecipientAction=unchanged.  Quarantine has no generic fallback:
 * Quarantine && <S>Quarantine, an unset <S>Quarantine meaning no.
 *
 * Every *Action key of every group present in the file is validated at
 * load, used or not, so a typo never waits for the status that would
 * read it.  The keys are found by walking the schema (any CFG_ACTION of
 * smtpscan.group), so a new per-status key is checked without an edit
 * here.
 *
 * Limits: addresses and types are matched with regexes cfg compiled and
 * bounded at load; a type's parameters are cut off in a buffer of
 * SP_TYPE_MAX bytes (a longer type is matched as given).
 *
 * Hand-written because it is glue between our cfg and our groups.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "log.h"
#include "smtp_policy.h"

#define SEC		"smtpscan.group"
#define SP_DEFAULT	"default"
#define SP_KEY_MAX	64	/* longest "<Status><Key>" */
#define SP_TYPE_MAX	256	/* longest type matched without params */

/* the keys' spelling of each status, in enum sp_status order */
static const char *const status_key[SP_NSTATUS] = {
	"Infected", "Suspicious", "Warning", "Corrupted", "Protected",
	"Error", "Filtered", "Cured"
};

static const char *const status_name[SP_NSTATUS] = {
	"INFECTED", "SUSPICIOUS", "WARNING", "CORRUPTED", "PROTECTED",
	"ERROR", "FILTERED", "CURED"
};

static const char *const action_name[] = {
	"unchanged", "cured", "remove", "drop"
};

#define NACTIONS	(sizeof(action_name) / sizeof(action_name[0]))

/* perr - format an error into err */
static void __attribute__((format(printf, 3, 4)))
perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* sp_status_name - "INFECTED", ... */
const char *
sp_status_name(enum sp_status s)
{
	VG_ASSERT((unsigned)s < SP_NSTATUS);
	return status_name[s];
}

/* sp_action_name - "unchanged", ... */
const char *
sp_action_name(enum sp_action a)
{
	VG_ASSERT((unsigned)a < NACTIONS);
	return action_name[a];
}

/* sp_action_parse - an action word, any case; -1 if it is none */
int
sp_action_parse(const char *s, enum sp_action *a)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < NACTIONS; i++)
		if (strcasecmp(s, action_name[i]) == 0) {
			*a = (enum sp_action)i;
			return 0;
		}
	return -1;
}

/* is_set - whether the file sets key in [smtpscan.group:g] */
static int
is_set(const struct cfg *c, const char *g, const char *key)
{
	return cfg_lineno(c, SEC, g, key) > 0;
}

/*
 * pick - the key status s reads for generic key gkey (the order is in
 * the file header); the returned pointer is buf or gkey
 */
static const char *
pick(const struct cfg *c, const char *g, enum sp_status s, const char *gkey,
    char *buf, size_t buflen)
{
	(void)snprintf(buf, buflen, "%s%s", status_key[s], gkey);
	if (is_set(c, g, buf))
		return buf;
	if (is_set(c, g, gkey))
		return gkey;
	return cfg_isset(c, SEC, g, buf) ? buf : gkey;
}

/* rule_bool - a resolved boolean field */
static int
rule_bool(const struct cfg *c, const char *g, enum sp_status s,
    const char *gkey)
{
	char	 buf[SP_KEY_MAX];

	return cfg_bool(c, SEC, g, pick(c, g, s, gkey, buf, sizeof(buf)));
}

/* rule_action - a resolved action field (validated by check_actions) */
static enum sp_action
rule_action(const struct cfg *c, const char *g, enum sp_status s,
    const char *gkey)
{
	char		 buf[SP_KEY_MAX];
	enum sp_action	 a = SA_REMOVE;
	int		 rc;

	rc = sp_action_parse(cfg_str(c, SEC, g, pick(c, g, s, gkey, buf,
	    sizeof(buf))), &a);
	VG_ASSERT(rc == 0);
	return a;
}

/* rule_build - the rule of status s in group g */
static void
rule_build(const struct cfg *c, const char *g, enum sp_status s,
    struct sp_rule *r)
{
	char	 key[SP_KEY_MAX];

	(void)snprintf(key, sizeof(key), "%sQuarantine", status_key[s]);
	r->quarantine = cfg_bool(c, SEC, g, "Quarantine") &&
	    cfg_bool(c, SEC, g, key);
	r->admin_notify = rule_bool(c, g, s, "AdminNotify");
	r->admin_action = rule_action(c, g, s, "AdminAction");
	r->sender_notify = rule_bool(c, g, s, "SenderNotify");
	r->rcpt_notify = rule_bool(c, g, s, "RecipientNotify");
	r->rcpt_attach = rule_bool(c, g, s, "RecipientAttachReport");
	r->rcpt_action = rule_action(c, g, s, "RecipientAction");
}

/* group_def - the schema's smtpscan.group section */
static const struct cfg_section_def *
group_def(void)
{
	size_t	 i;

	for (i = 0; i < cfg_schema_len; i++)
		if (strcmp(cfg_schema[i].name, SEC) == 0)
			return &cfg_schema[i];
	VG_ASSERT(!"smtpscan.group in the schema");
	return NULL;
}

/* check_actions - every *Action key of group g holds an action word */
static int
check_actions(const struct cfg *c, const char *g, char *err, size_t errlen)
{
	const struct cfg_section_def	*d = group_def();
	const struct cfg_param		*p;
	const char			*v;
	enum sp_action			 a;
	char				 q[128];
	size_t				 i;

	for (i = 0; i < d->nparams; i++) {
		p = &d->params[i];
		if (p->type != CFG_ACTION ||
		    (v = cfg_str(c, SEC, g, p->key)) == NULL ||
		    sp_action_parse(v, &a) == 0)
			continue;
		perr(err, errlen, "%s:%d: [%s:%s] %s: bad action '%s' "
		    "(unchanged, cured, remove or drop)", cfg_filename(c),
		    cfg_lineno(c, SEC, g, p->key), SEC, g, p->key,
		    log_quote(q, sizeof(q), v, strlen(v)));
		return -1;
	}
	return 0;
}

/* group_types - FilterByMIME and FilterByType, joined in ftype_own */
static int
group_types(const struct cfg *c, struct sp_group *gr, char *err,
    size_t errlen)
{
	const regex_t *const	*mime, *const *type;
	size_t			 nmime, ntype;

	nmime = cfg_regexes(c, SEC, gr->name, "FilterByMIME", &mime);
	ntype = cfg_regexes(c, SEC, gr->name, "FilterByType", &type);
	if (nmime + ntype == 0)
		return 0;
	if ((gr->ftype_own = calloc(nmime + ntype,
	    sizeof(*gr->ftype_own))) == NULL) {
		perr(err, errlen, "out of memory");
		return -1;
	}
	if (nmime > 0)
		memcpy(gr->ftype_own, mime, nmime * sizeof(*mime));
	if (ntype > 0)
		memcpy(gr->ftype_own + nmime, type, ntype * sizeof(*type));
	gr->ftype = gr->ftype_own;
	gr->nftype = nmime + ntype;
	return 0;
}

/* group_qpath - QuarantinePath of the group, else [path]'s, else NULL */
static const char *
group_qpath(const struct cfg *c, const char *g)
{
	const char	*v = cfg_str(c, SEC, g, "QuarantinePath");

	if (v == NULL || v[0] == '\0')
		v = cfg_str(c, "path", NULL, "QuarantinePath");
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* group_build - group name (as the file spells it) into gr */
static int
group_build(const struct cfg *c, const char *name, struct sp_group *gr,
    char *err, size_t errlen)
{
	int	 s;

	if ((gr->name = strdup(name)) == NULL) {
		perr(err, errlen, "out of memory");
		return -1;
	}
	if (check_actions(c, name, err, errlen) == -1)
		return -1;
	gr->check = cfg_bool(c, SEC, name, "Check");
	gr->cure = cfg_bool(c, SEC, name, "Cure");
	gr->xheaders = cfg_bool(c, SEC, name, "AddXHeaders");
	gr->qpath = group_qpath(c, name);
	gr->admin = cfg_str(c, SEC, name, "AdminAddress");
	for (s = 0; s < SP_NSTATUS; s++)
		rule_build(c, name, (enum sp_status)s, &gr->rule[s]);
	gr->nsenders = cfg_regexes(c, SEC, name, "Senders", &gr->senders);
	gr->nrcpts = cfg_regexes(c, SEC, name, "Recipients", &gr->rcpts);
	gr->nfname = cfg_regexes(c, SEC, name, "FilterByName", &gr->fname);
	return group_types(c, gr, err, errlen);
}

/* is_default - whether a section NAME is the default group */
static int
is_default(const char *name)
{
	return strcasecmp(name, SP_DEFAULT) == 0;
}

/* sp_load - the groups of c, file order, default last */
int
sp_load(const struct cfg *c, struct sp_policy *p, char *err, size_t errlen)
{
	const struct cfg_section	*s;
	size_t				 n = 1;
	int				 rc = -1;

	memset(p, 0, sizeof(*p));
	for (s = cfg_next(c, SEC, NULL); s != NULL; s = cfg_next(c, SEC, s))
		n += !is_default(cfg_subname(s));
	if ((p->g = calloc(n, sizeof(*p->g))) == NULL) {
		perr(err, errlen, "out of memory");
		goto out;
	}
	for (s = cfg_next(c, SEC, NULL); s != NULL; s = cfg_next(c, SEC, s))
		if (!is_default(cfg_subname(s)) && group_build(c,
		    cfg_subname(s), &p->g[p->n++], err, errlen) == -1)
			goto out;
	/* cfg finds [smtpscan.group:Default] under any spelling */
	rc = group_build(c, SP_DEFAULT, &p->g[p->n++], err, errlen);
out:
	if (rc == -1)
		sp_free(p);
	return rc;
}

/* sp_free - release what sp_load allocated; the policy is left empty */
void
sp_free(struct sp_policy *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; p->g != NULL && i < p->n; i++) {
		free(p->g[i].name);
		free(p->g[i].ftype_own);
	}
	free(p->g);
	memset(p, 0, sizeof(*p));
}

/* list_match - an empty list, or one regex found in s */
static int
list_match(const regex_t *const *re, size_t n, const char *s)
{
	size_t	 i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (regexec(re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

/* sp_match - the first group holding sender and rcpt, else default */
const struct sp_group *
sp_match(const struct sp_policy *p, const char *sender, const char *rcpt)
{
	const struct sp_group	*g;
	size_t			 i;

	VG_ASSERT(p->n > 0);
	if (sender == NULL)
		sender = "";
	if (rcpt == NULL)
		rcpt = "";
	for (i = 0; i + 1 < p->n; i++) {
		g = &p->g[i];
		if (list_match(g->senders, g->nsenders, sender) &&
		    list_match(g->rcpts, g->nrcpts, rcpt))
			return g;
	}
	return &p->g[p->n - 1];
}

/* any_match - one regex of a list found in s */
static int
any_match(const regex_t *const *re, size_t n, const char *s)
{
	return n > 0 && list_match(re, n, s);
}

/* sp_filter_name - a FilterByName regex found in name */
int
sp_filter_name(const struct sp_group *g, const char *name)
{
	return name != NULL && any_match(g->fname, g->nfname, name);
}

/* sp_filter_type - a FilterByMIME/FilterByType regex found in type */
int
sp_filter_type(const struct sp_group *g, const char *type)
{
	char	 t[SP_TYPE_MAX];
	size_t	 len;

	if (type == NULL || g->nftype == 0)
		return 0;
	while (*type == ' ' || *type == '\t')
		type++;
	len = strcspn(type, ";");
	while (len > 0 && (type[len - 1] == ' ' || type[len - 1] == '\t'))
		len--;
	if (type[len] != '\0' && len < sizeof(t)) {
		memcpy(t, type, len);
		t[len] = '\0';
		type = t;
	}
	return any_match(g->ftype, g->nftype, type);
}
