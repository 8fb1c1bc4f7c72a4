/*
 * icap_policy.c - vigil-icapd groups: build them from the configuration
 * and find the one a request belongs to
 *
 * DESIGN
 * icap_policy_new() turns the configuration into an array of struct
 * icap_group, once, at start or reload; the request path only reads it,
 * so any number of threads may match at once without locks (glibc's
 * regexec is thread-safe on a shared regex_t).  Everything a group needs
 * at request time is resolved here: the ClientIP items become address
 * matchers (family, address, mask, all pre-masked) or anchored regexes
 * compiled here and owned by the policy; URL and the filter regexes are
 * borrowed from the cfg, which compiled them at load; scan limits and
 * actions are plain values.  Inheritance (a [section:NAME] key not set
 * falls back to [section], then to the schema default) is cfg's: every
 * getter is called with sub = the group's name.
 *
 * Order: ascending Priority, ties in file order (a stable merge sort on
 * the index), the "default" group last whatever its Priority.  Matching
 * is a linear walk: groups are few, and the first hit wins.
 *
 * Limits: the client text is looked at only when it is at most
 * IPM_TEXT_MAX bytes and parses as an address; a ClientIP regex is at
 * most IPM_RE_MAX bytes, without back-references and with a bounded
 * product of repetition counts, so compiling and running it stays cheap.
 * URL and filter regexes were bounded by cfg.
 *
 * Hand-written because it is glue between our cfg and our groups; the
 * address parsing itself is inet_pton's.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "icap_policy.h"

#define IPM_TEXT_MAX	64	/* longest address text looked at */
#define IPM_RE_MAX	256	/* longest ClientIP regex */
#define IPM_RE_COUNT	32	/* largest {n,m} count in it */
#define IPM_RE_COST	1024	/* product of its repetition counts */
#define IPM_RE_DEPTH	16	/* parentheses nesting in it */

#define SEC_GROUPS	"icapserver.groups"
#define SEC_ENGINE	"icapserver.engine.options"
#define SEC_ACTIONS	"icapserver.actions"
#define SEC_FILTER	"icapserver.filter"

/* one ClientIP item */
struct icap_ipm {
	int		 family;	/* AF_INET, AF_INET6; 0: regex */
	unsigned char	 addr[16];	/* already masked */
	unsigned char	 mask[16];
	regex_t		 re;
};

struct icap_policy {
	struct icap_group	*groups;
	size_t			 n;
};

/* a parsed client address */
struct ipm_client {
	int		 has4, has6;
	unsigned char	 a4[4], a6[16];
	char		 text[IPM_TEXT_MAX + 1];
};

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* perr - format an error into err */
static void __attribute__((format(printf, 3, 4)))
perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* prefix_mask - a mask of bits leading ones over len bytes */
static void
prefix_mask(unsigned char *m, size_t len, unsigned bits)
{
	size_t	 i;

	for (i = 0; i < len; i++, bits = bits > 8 ? bits - 8 : 0)
		m[i] = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
}

/* parse_prefix - all-digit decimal up to max; -1 if not */
static int
parse_prefix(const char *s, unsigned max)
{
	unsigned	 v = 0;
	size_t		 i;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

/*
 * ipm_addr - parse an address form into m: 1 done, 0 not an address form
 * (try a regex), -1 an address with a bad prefix or netmask (why set)
 */
static int
ipm_addr(const char *item, struct icap_ipm *m, char *why, size_t whylen)
{
	char		 a[IPM_TEXT_MAX + 1];
	const char	*slash = strchr(item, '/');
	size_t		 alen = slash ? (size_t)(slash - item) : strlen(item);
	size_t		 i, blen;
	int		 p;

	if (alen == 0 || alen > IPM_TEXT_MAX)
		return 0;
	memcpy(a, item, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, m->addr) == 1)
		m->family = AF_INET;
	else if (inet_pton(AF_INET6, a, m->addr) == 1)
		m->family = AF_INET6;
	else
		return 0;
	blen = m->family == AF_INET ? 4 : 16;
	if (slash == NULL)
		prefix_mask(m->mask, blen, (unsigned)blen * 8);
	else if ((p = parse_prefix(slash + 1, (unsigned)blen * 8)) >= 0)
		prefix_mask(m->mask, blen, (unsigned)p);
	else if (m->family == AF_INET6 ||
	    inet_pton(AF_INET, slash + 1, m->mask) != 1) {
		if (m->family == AF_INET)
			snprintf(why, whylen, "bad prefix or netmask '%s' (a "
			    "prefix is at most 32)", slash + 1);
		else
			snprintf(why, whylen, "bad prefix '%s' (at most 128)",
			    slash + 1);
		return -1;
	}
	for (i = 0; i < blen; i++)
		m->addr[i] &= m->mask[i];
	return 1;
}

/* re_bracket_end - index of the ']' closing the bracket at s[i], or i */
static size_t
re_bracket_end(const char *s, size_t i)
{
	const char	*e;
	size_t		 j = i + 1;

	j += s[j] == '^';
	j += s[j] == ']';
	for (; s[j] != '\0' && s[j] != ']'; j++)
		if (s[j] == '[' && s[j + 1] != '\0' &&
		    strchr(":.=", s[j + 1]) != NULL &&
		    (e = strchr(s + j + 2, s[j + 1])) != NULL && e[1] == ']')
			j = (size_t)(e - s) + 1;
	return s[j] == ']' ? j : i;
}

/* re_count - the largest count of a "{n}", "{n,}", "{n,m}" at s; -1 if none */
static long
re_count(const char *s, int *open)
{
	char		*end;
	unsigned long	 lo, hi;

	if (s[0] != '{' || !isdigit((unsigned char)s[1]))
		return -1;
	lo = hi = strtoul(s + 1, &end, 10);
	*open = 0;
	if (*end == ',' && isdigit((unsigned char)end[1]))
		hi = strtoul(end + 1, &end, 10);
	else if (*end == ',') {
		*open = 1;
		end++;
	}
	if (*end != '}')
		return -1;
	hi = hi > lo ? hi : lo;
	return hi > IPM_RE_COUNT ? IPM_RE_COUNT + 1 : (long)hi;
}

/*
 * ipm_re_check - refuse ClientIP regexes that would be costly to compile
 * or run (glibc copies a repeated group once per count, and repeating a
 * group that holds a loop, as in ((a*){31}){31}, blows its closures up):
 * longer than IPM_RE_MAX, back-references, a count over IPM_RE_COUNT,
 * {n} or + applied to a loop, and a product of counts (each + as 2) over
 * IPM_RE_COST.  Address regexes need none of these.
 */
static int
ipm_re_check(const char *s, char *why, size_t whylen)
{
	int		 loose[IPM_RE_DEPTH + 1], last_loose = 0, was, open;
	unsigned long	 cost = 1;
	size_t		 i, d = 0;
	long		 n;

	if (strlen(s) > IPM_RE_MAX) {
		snprintf(why, whylen, "regex longer than %d bytes", IPM_RE_MAX);
		return -1;
	}
	loose[0] = 0;
	for (i = 0; s[i] != '\0'; i++) {
		n = re_count(s + i, &open);
		if ((n >= 0 || s[i] == '+') && last_loose) {
			snprintf(why, whylen, "regex repeats a loop");
			return -1;
		}
		was = last_loose;
		last_loose = 0;
		if (n > IPM_RE_COUNT) {
			snprintf(why, whylen, "regex repetition count over %d",
			    IPM_RE_COUNT);
			return -1;
		} else if (n >= 0) {
			cost *= (unsigned long)n + 1;
			last_loose = loose[d] |= open;
			i = (size_t)(strchr(s + i, '}') - s);
		} else if (s[i] == '\\') {
			if (s[i + 1] >= '1' && s[i + 1] <= '9') {
				snprintf(why, whylen,
				    "back-references not supported");
				return -1;
			}
			i += s[i + 1] != '\0';
		} else if (s[i] == '[')
			i = re_bracket_end(s, i);
		else if (s[i] == '(') {
			if (d == IPM_RE_DEPTH) {
				snprintf(why, whylen, "regex nested too deep");
				return -1;
			}
			loose[++d] = 0;
		} else if (s[i] == ')') {
			if (d == 0) {	/* "a)|(b" would undo the anchors */
				snprintf(why, whylen, "regex has an unmatched "
				    "')'");
				return -1;
			}
			last_loose = loose[d--];
			loose[d] |= last_loose;
		} else if (s[i] == '*' || s[i] == '+') {
			cost *= s[i] == '+' ? 2 : 1;
			last_loose = loose[d] = 1;
		} else if (s[i] == '?')
			last_loose = was;
		if (cost > IPM_RE_COST) {
			snprintf(why, whylen, "regex repetitions too large");
			return -1;
		}
	}
	return 0;
}

/* ipm_parse - one ClientIP item into m; -1 with why */
static int
ipm_parse(const char *item, struct icap_ipm *m, char *why, size_t whylen)
{
	char	*pat;
	char	 msg[128];
	int	 rc;

	memset(m, 0, sizeof(*m));
	if ((rc = ipm_addr(item, m, why, whylen)) != 0)
		return rc == 1 ? 0 : -1;
	m->family = 0;
	if (ipm_re_check(item, why, whylen) == -1)
		return -1;
	if ((pat = malloc(strlen(item) + 5)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	sprintf(pat, "^(%s)$", item);
	rc = regcomp(&m->re, pat, REG_EXTENDED | REG_NOSUB | REG_ICASE);
	free(pat);
	if (rc != 0) {
		(void)regerror(rc, &m->re, msg, sizeof(msg));
		snprintf(why, whylen, "'%s' is neither an address nor a valid "
		    "regex: %s", item, msg);
		return -1;
	}
	return 0;
}

/* group_fini - release what a group owns */
static void
group_fini(struct icap_group *g)
{
	size_t	 i;

	for (i = 0; i < g->nipm; i++)
		if (g->ipm[i].family == 0)
			regfree(&g->ipm[i].re);
	free(g->ipm);
	free(g->name);
}

/* group_clientip - compile the ClientIP items of group name */
static int
group_clientip(const struct cfg *c, struct icap_group *g, char *err,
    size_t errlen)
{
	const char *const	*items;
	char			 why[256];
	size_t			 n, i;

	n = cfg_list(c, SEC_GROUPS, g->name, "ClientIP", &items);
	if (n == 0)
		return 0;
	if ((g->ipm = calloc(n, sizeof(*g->ipm))) == NULL) {
		perr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (ipm_parse(items[i], &g->ipm[i], why, sizeof(why)) == -1) {
			perr(err, errlen, "%s:%d: [%s:%s] ClientIP: %s",
			    cfg_filename(c), cfg_lineno(c, SEC_GROUPS, g->name,
			    "ClientIP"), SEC_GROUPS, g->name, why);
			return -1;
		}
		g->nipm++;
	}
	return 0;
}

/* act_of - an action enum ("deny|skip") of [icapserver.actions:sub] */
static enum icap_act
act_of(const struct cfg *c, const char *sub, const char *key)
{
	return cfg_enum(c, SEC_ACTIONS, sub, key) == 0 ? ICAP_ACT_DENY :
	    ICAP_ACT_SKIP;
}

/* group_limits - engine options of the group into g->lim and g->cure */
static void
group_limits(const struct cfg *c, struct icap_group *g)
{
	const char	*s = g->name;
	long long	 v;
	unsigned	 f = 0;

	/*
	 * Every field is set below, so this equals vigil_limits_default()
	 * followed by the overrides, without linking libvigil (and its
	 * Hyperscan, libarchive...) into vigil-icapd, which only talks to
	 * vigild.
	 */
	memset(&g->lim, 0, sizeof(g->lim));
	g->lim.max_file_size = cfg_size(c, SEC_ENGINE, s, "MaxFileSize");
	g->lim.max_scan_size = cfg_size(c, SEC_ENGINE, s, "MaxScanSize");
	g->lim.max_recursion = (unsigned)cfg_int(c, SEC_ENGINE, s,
	    "MaxRecursion");
	g->lim.max_files = (unsigned)cfg_int(c, SEC_ENGINE, s, "MaxFiles");
	g->lim.max_ratio = (unsigned)cfg_int(c, SEC_ENGINE, s, "MaxRatio");
	v = cfg_int(c, SEC_ENGINE, s, "MaxScanTime");
	g->lim.max_scan_ms = v > UINT_MAX / 1000 ? UINT_MAX :
	    (unsigned)v * 1000;
	g->lim.set = (enum vigil_dbset)cfg_enum(c, SEC_ENGINE, s,
	    "DatabaseSet");
	if (cfg_bool(c, SEC_ENGINE, s, "ScanArchives"))
		f |= VIGIL_SCAN_ARCHIVES;
	if (cfg_bool(c, SEC_ENGINE, s, "ScanPacked"))
		f |= VIGIL_SCAN_PACKED | VIGIL_SCAN_SFX;
	if (cfg_bool(c, SEC_ENGINE, s, "ScanMailPlain"))
		f |= VIGIL_SCAN_MAILPLAIN;
	if (cfg_bool(c, SEC_ENGINE, s, "ScanMailBases"))
		f |= VIGIL_SCAN_MAILBASES;
	g->lim.flags = f;
	g->cure = cfg_bool(c, SEC_ENGINE, s, "Cure");
}

/* group_actions - the per-status actions and the filter of the group */
static void
group_actions(const struct cfg *c, struct icap_group *g)
{
	const char	*s = g->name;

	g->act[VIGIL_CLEAN] = g->act[VIGIL_CURED] = ICAP_ACT_SKIP;
	g->act[VIGIL_STATUS_ERROR] = act_of(c, s, "ErrorAction");
	g->act[VIGIL_CORRUPTED] = act_of(c, s, "CorruptedAction");
	g->act[VIGIL_PROTECTED] = act_of(c, s, "ProtectedAction");
	g->act[VIGIL_WARNING] = act_of(c, s, "WarningAction");
	g->act[VIGIL_SUSPICIOUS] = act_of(c, s, "SuspiciousAction");
	g->act[VIGIL_INFECTED] = act_of(c, s, "InfectedAction");
	g->license_error = act_of(c, s, "LicenseErrorAction");
	g->bases_error = act_of(c, s, "BasesErrorAction");
	g->nexcl_url = cfg_regexes(c, SEC_FILTER, s, "ExcludeURL",
	    &g->excl_url);
	g->nexcl_mime = cfg_regexes(c, SEC_FILTER, s, "ExcludeMimeType",
	    &g->excl_mime);
}

/* group_build - group name (NULL: the built-in default) from c */
static int
group_build(const struct cfg *c, const char *name, struct icap_group *g,
    char *err, size_t errlen)
{
	int	 isdef = name == NULL || strcasecmp(name, ICAP_GROUP_DEFAULT) == 0;

	memset(g, 0, sizeof(*g));
	if ((g->name = strdup(isdef ? ICAP_GROUP_DEFAULT : name)) == NULL) {
		perr(err, errlen, "out of memory");
		return -1;
	}
	group_limits(c, g);
	group_actions(c, g);
	if (isdef) {
		g->priority = INT_MAX;
		return 0;
	}
	g->priority = (int)cfg_int(c, SEC_GROUPS, name, "Priority");
	g->url = cfg_regex(c, SEC_GROUPS, name, "URL");
	return group_clientip(c, g, err, errlen);
}

/* is_group - whether NAME names a group of c ("default" always does) */
static int
is_group(const struct cfg *c, const char *name)
{
	return strcasecmp(name, ICAP_GROUP_DEFAULT) == 0 ||
	    cfg_section(c, SEC_GROUPS, name) != NULL;
}

/* check_names - every [section:NAME] of the per-group sections is a group */
static int
check_names(const struct cfg *c, char *err, size_t errlen)
{
	static const char *const secs[] = { SEC_ENGINE, SEC_ACTIONS,
	    SEC_FILTER };
	const struct cfg_section *s;
	size_t		 i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (s = cfg_next(c, secs[i], NULL); s != NULL;
		    s = cfg_next(c, secs[i], s))
			if (!is_group(c, cfg_subname(s))) {
				perr(err, errlen, "%s:%d: [%s:%s]: no group "
				    "%s ([%s:%s] missing)", cfg_filename(c),
				    cfg_section_lineno(s), secs[i],
				    cfg_subname(s), cfg_subname(s), SEC_GROUPS,
				    cfg_subname(s));
				return -1;
			}
	return 0;
}

/* group_sort - stable merge sort of g[0..n) by priority, via tmp */
static void
group_sort(struct icap_group *g, struct icap_group *tmp, size_t n)
{
	size_t	 mid = n / 2, i = 0, j, k = 0;

	if (n < 2)
		return;
	group_sort(g, tmp, mid);
	group_sort(g + mid, tmp, n - mid);
	for (j = mid; i < mid && j < n;)
		tmp[k++] = g[j].priority < g[i].priority ? g[j++] : g[i++];
	while (i < mid)
		tmp[k++] = g[i++];
	while (j < n)
		tmp[k++] = g[j++];
	memcpy(g, tmp, n * sizeof(*g));
}

/* icap_policy_new - build the groups of c */
struct icap_policy *
icap_policy_new(const struct cfg *c, char *err, size_t errlen)
{
	struct icap_policy		*p = NULL;
	struct icap_group		*tmp = NULL;
	const struct cfg_section	*s;
	size_t				 n = 1;
	int				 rc = -1;

	if (check_names(c, err, errlen) == -1)
		goto out;
	for (s = cfg_next(c, SEC_GROUPS, NULL); s != NULL;
	    s = cfg_next(c, SEC_GROUPS, s))
		n += strcasecmp(cfg_subname(s), ICAP_GROUP_DEFAULT) != 0;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->groups = calloc(n, sizeof(*p->groups))) == NULL ||
	    (tmp = calloc(n, sizeof(*tmp))) == NULL) {
		perr(err, errlen, "out of memory");
		goto out;
	}
	for (s = cfg_next(c, SEC_GROUPS, NULL); s != NULL;
	    s = cfg_next(c, SEC_GROUPS, s)) {
		if (strcasecmp(cfg_subname(s), ICAP_GROUP_DEFAULT) == 0)
			continue;
		if (group_build(c, cfg_subname(s), &p->groups[p->n++], err,
		    errlen) == -1)
			goto out;
	}
	group_sort(p->groups, tmp, p->n);
	rc = group_build(c, NULL, &p->groups[p->n++], err, errlen);
out:
	free(tmp);
	if (rc == -1) {
		icap_policy_free(p);
		p = NULL;
	}
	return p;
}

/* icap_policy_free - release the groups */
void
icap_policy_free(struct icap_policy *p)
{
	size_t	 i;

	if (p == NULL)
		return;
	for (i = 0; p->groups != NULL && i < p->n; i++)
		group_fini(&p->groups[i]);
	free(p->groups);
	free(p);
}

/* icap_policy_ngroups - how many groups, "default" included */
size_t
icap_policy_ngroups(const struct icap_policy *p)
{
	return p->n;
}

/* icap_policy_group_at - group i in matching order */
const struct icap_group *
icap_policy_group_at(const struct icap_policy *p, size_t i)
{
	return i < p->n ? &p->groups[i] : NULL;
}

/* client_parse - the client text into cl; 0 if unknown */
static int
client_parse(const char *client, struct ipm_client *cl)
{
	size_t	 len;

	memset(cl, 0, sizeof(*cl));
	if (client == NULL)
		return 0;
	while (*client == ' ' || *client == '\t')
		client++;
	for (len = strnlen(client, IPM_TEXT_MAX + 1); len > 0 &&
	    (client[len - 1] == ' ' || client[len - 1] == '\t'); len--)
		;
	if (len == 0 || len > IPM_TEXT_MAX)
		return 0;
	memcpy(cl->text, client, len);
	cl->text[len] = '\0';
	if (inet_pton(AF_INET, cl->text, cl->a4) == 1) {
		cl->has4 = cl->has6 = 1;
		memcpy(cl->a6, v4mapped, 12);
		memcpy(cl->a6 + 12, cl->a4, 4);
	} else if (inet_pton(AF_INET6, cl->text, cl->a6) == 1) {
		cl->has6 = 1;
		if (memcmp(cl->a6, v4mapped, 12) == 0) {
			cl->has4 = 1;
			memcpy(cl->a4, cl->a6 + 12, 4);
		}
	} else
		return 0;
	return 1;
}

/* ipm_match - whether matcher m matches the (known) client */
static int
ipm_match(const struct icap_ipm *m, const struct ipm_client *cl)
{
	const unsigned char	*a;
	size_t			 i, n;

	if (m->family == 0)
		return regexec(&m->re, cl->text, 0, NULL, 0) == 0;
	if (m->family == AF_INET ? !cl->has4 : !cl->has6)
		return 0;
	a = m->family == AF_INET ? cl->a4 : cl->a6;
	n = m->family == AF_INET ? 4 : 16;
	for (i = 0; i < n; i++)
		if ((a[i] & m->mask[i]) != m->addr[i])
			return 0;
	return 1;
}

/* url_search - re found in url or in url without its "http://" */
static int
url_search(const regex_t *re, const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0 &&
	    regexec(re, url + 7, 0, NULL, 0) == 0)
		return 1;
	return regexec(re, url, 0, NULL, 0) == 0;
}

/* group_matches - whether g takes a request from cl (known or not) to url */
static int
group_matches(const struct icap_group *g, int known,
    const struct ipm_client *cl, const char *url)
{
	size_t	 i;

	if (g->nipm > 0) {
		if (!known)
			return 0;
		for (i = 0; i < g->nipm; i++)
			if (ipm_match(&g->ipm[i], cl))
				break;
		if (i == g->nipm)
			return 0;
	}
	return g->url == NULL || url_search(g->url, url);
}

/* icap_policy_match - the group of a request */
const struct icap_group *
icap_policy_match(const struct icap_policy *p, const char *client,
    const char *url)
{
	struct ipm_client	 cl;
	int			 known = client_parse(client, &cl);
	size_t			 i;

	if (url == NULL)
		url = "";
	for (i = 0; i + 1 < p->n; i++)
		if (group_matches(&p->groups[i], known, &cl, url))
			return &p->groups[i];
	return &p->groups[p->n - 1];
}

/* icap_group_excluded - whether the filter lets a request pass unscanned */
int
icap_group_excluded(const struct icap_group *g, const char *url,
    const char *mime)
{
	char		 t[256];
	size_t		 i, len;

	if (url == NULL)
		url = "";
	for (i = 0; i < g->nexcl_url; i++)
		if (url_search(g->excl_url[i], url))
			return 1;
	if (mime == NULL || g->nexcl_mime == 0)
		return 0;
	while (*mime == ' ' || *mime == '\t')
		mime++;
	len = strcspn(mime, ";");
	while (len > 0 && (mime[len - 1] == ' ' || mime[len - 1] == '\t'))
		len--;
	if (mime[len] != '\0' && len < sizeof(t)) {
		memcpy(t, mime, len);
		t[len] = '\0';
		mime = t;
	}
	for (i = 0; i < g->nexcl_mime; i++)
		if (regexec(g->excl_mime[i], mime, 0, NULL, 0) == 0)
			return 2;
	return 0;
}
