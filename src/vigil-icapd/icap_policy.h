/*
 * icap_policy.h - vigil-icapd groups: which rules apply to a request
 *
 * A policy is built once from the configuration ([icapserver.groups:NAME]
 * and the per-group [icapserver.engine.options:NAME],
 * [icapserver.actions:NAME] and [icapserver.filter:NAME], each inheriting
 * from its unnamed section) and is then read by any number of threads.
 */
#ifndef VIGIL_ICAP_POLICY_H
#define VIGIL_ICAP_POLICY_H

#include <netinet/in.h>
#include <regex.h>
#include <stddef.h>

#include "vigil/vigil.h"

struct cfg;
struct icap_ipm;	/* one ClientIP matcher (icap_policy.c) */

enum icap_act { ICAP_ACT_SKIP = 0, ICAP_ACT_DENY };

#define ICAP_GROUP_DEFAULT	"default"

struct icap_group {
	char		*name;		/* "default" for the built-in last group */
	int		 priority;	/* "default": INT_MAX (its own ignored) */
	/*
	 * ClientIP matchers; none = any address.  Each item: IPv4 or IPv6
	 * "ADDR", "ADDR/PREFIX", IPv4 "ADDR/NETMASK" (a.b.c.d/m.m.m.m,
	 * contiguous or not), or else a POSIX ERE anchored as ^(...)$ and
	 * matched against the address text.
	 */
	struct icap_ipm	*ipm;
	size_t		 nipm;
	const regex_t	*url;		/* NULL = any */
	struct vigil_limits lim;	/* [icapserver.engine.options:NAME] */
	int		 cure;		/* Cure */
	enum icap_act	 act[8];	/* by enum vigil_status */
	enum icap_act	 license_error;	/* LicenseErrorAction */
	enum icap_act	 bases_error;	/* BasesErrorAction */
	const regex_t *const *excl_url;		/* ExcludeURL */
	size_t		 nexcl_url;
	const regex_t *const *excl_mime;	/* ExcludeMimeType */
	size_t		 nexcl_mime;
};

struct icap_policy;

/*
 * icap_policy_new - the groups of c, sorted by ascending Priority (ties:
 * file order), "default" always last: [icapserver.groups:default] when
 * present (its Priority, ClientIP and URL ignored: it matches
 * everything), else a built-in default from the unnamed sections (or
 * [section:default] ones).  Returns NULL with a message in err
 * ("FILE:LINE: [section] key: reason") when a ClientIP item is neither an
 * address form nor an acceptable regex, a prefix or netmask is bad (over
 * 32 for IPv4, over 128 for IPv6), or an [icapserver.engine.options:NAME],
 * [icapserver.actions:NAME] or [icapserver.filter:NAME] names no group;
 * "out of memory" on ENOMEM.  The policy borrows regexes and strings from
 * c: c must outlive it.
 */
struct icap_policy *icap_policy_new(const struct cfg *c, char *err,
		    size_t errlen);
void		 icap_policy_free(struct icap_policy *);	/* NULL: no-op */
size_t		 icap_policy_ngroups(const struct icap_policy *);
/* icap_policy_group_at - group i (0 <= i < ngroups); lives with the policy */
const struct icap_group *icap_policy_group_at(const struct icap_policy *,
		    size_t i);

/*
 * icap_policy_match - the first group whose ClientIP matches client (the
 * address text as sent in X-Client-IP, blanks around it ignored; NULL, ""
 * or text that is not an IPv4 or IPv6 address means unknown, and then only
 * groups without ClientIP match) and whose URL matches url (NULL = ""),
 * tried on the URL as given and, when it starts with "http://", without
 * that prefix.  An IPv4 client also matches IPv6 matchers by its
 * ::ffff:a.b.c.d form and a v4-mapped IPv6 client matches IPv4 ones.
 * Never NULL (default matches everything).  Thread-safe (read only).
 */
const struct icap_group *icap_policy_match(const struct icap_policy *,
		    const char *client, const char *url);

/*
 * icap_group_excluded - 1 when url (NULL = "") matches an ExcludeURL
 * regex, 2 when the media type mime (parameters after ';' and blanks are
 * ignored; NULL: not tested) matches an ExcludeMimeType regex, else 0.
 * Regexes are searched unanchored, on the URL as given and, when it starts
 * with "http://" (any case), on the rest after it.
 */
int		 icap_group_excluded(const struct icap_group *,
		    const char *url, const char *mime);

#endif
