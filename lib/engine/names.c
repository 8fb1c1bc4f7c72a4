/*
 * names.c - statuses, database sets and the name rules that assign them
 *
 * DESIGN: a signature's set and the status of its detections follow from
 * its name, as ClamAV-style names carry a category prefix.  The rules
 * are in two small tables; the .ign2 name set lives here too.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

#include "vigil/vigil.h"
#include "build.h"

struct name_rule {
	const char	*text;
	int		 where;		/* 0 prefix, 1 anywhere */
	int		 value;
};

static const struct name_rule set_rules[] = {
	{ "PUA.",		0, VIGIL_SET_EXTENDED },
	{ "Adware.",		0, VIGIL_SET_EXTENDED },
	{ "Heuristics.",	0, VIGIL_SET_PARANOID },
	{ ".Heur.",		1, VIGIL_SET_PARANOID },
	{ NULL, 0, 0 }
};

static const struct name_rule status_rules[] = {
	{ "Heuristics.",	0, VIGIL_SUSPICIOUS },
	{ "Suspicious.",	0, VIGIL_SUSPICIOUS },
	{ "Warning.",		0, VIGIL_WARNING },
	{ ".Variant.",		1, VIGIL_WARNING },
	{ NULL, 0, 0 }
};

/* rule_find - value of the first rule name satisfies, or dflt */
static int
rule_find(const struct name_rule *r, const char *name, int dflt)
{
	for (; r->text != NULL; r++) {
		if (r->where == 0 &&
		    strncmp(name, r->text, strlen(r->text)) == 0)
			return r->value;
		if (r->where == 1 && strstr(name, r->text) != NULL)
			return r->value;
	}
	return dflt;
}

/* vigil_set_of_name - the set a signature name belongs to */
enum vigil_dbset
vigil_set_of_name(const char *name)
{
	return (enum vigil_dbset)rule_find(set_rules, name,
	    VIGIL_SET_STANDARD);
}

/* vigil_status_of_name - the status a detection by this name gives */
enum vigil_status
vigil_status_of_name(const char *name)
{
	return (enum vigil_status)rule_find(status_rules, name,
	    VIGIL_INFECTED);
}

static const char *const status_names[] = {
	"CLEAN", "CURED", "ERROR", "CORRUPTED", "PROTECTED", "WARNING",
	"SUSPICIOUS", "INFECTED"
};
static const char *const set_names[] = { "standard", "extended", "paranoid" };

/* vigil_status_name - the guides' word for a status */
const char *
vigil_status_name(enum vigil_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "ERROR";
	return status_names[s];
}

/* vigil_dbset_parse - set by name, -1 when unknown */
enum vigil_dbset
vigil_dbset_parse(const char *s)
{
	int	 i;

	for (i = 0; i < 3; i++)
		if (strcasecmp(s, set_names[i]) == 0)
			return (enum vigil_dbset)i;
	return (enum vigil_dbset)-1;
}

/* vigil_dbset_name - name of a set */
const char *
vigil_dbset_name(enum vigil_dbset s)
{
	return (unsigned)s < 3 ? set_names[s] : "standard";
}

/* vigil_strerror - text of an engine error */
const char *
vigil_strerror(enum vigil_err e)
{
	static const char *const t[] = { "success", "out of memory",
	    "input/output error", "malformed database", "bad argument",
	    "no database", "internal error" };

	return (unsigned)e < sizeof(t) / sizeof(t[0]) ? t[e] : "unknown error";
}

/* nameset: open addressing over FNV-1a, grown at half load */
struct nameset {
	char	**slot;
	size_t	 cap, n;
};

/* name_hash - FNV-1a */
static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t	 i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* nameset_new - empty set */
struct nameset *
nameset_new(void)
{
	return calloc(1, sizeof(struct nameset));
}

/* nameset_free - release the set */
void
nameset_free(struct nameset *ns)
{
	size_t	 i;

	if (ns == NULL)
		return;
	for (i = 0; i < ns->cap; i++)
		free(ns->slot[i]);
	free(ns->slot);
	free(ns);
}

/* nameset_find - slot holding name, or the empty slot where it goes */
static size_t
nameset_find(const struct nameset *ns, const char *s, size_t n)
{
	size_t	 i = (size_t)name_hash(s, n) & (ns->cap - 1);

	while (ns->slot[i] != NULL && (strlen(ns->slot[i]) != n ||
	    memcmp(ns->slot[i], s, n) != 0))
		i = (i + 1) & (ns->cap - 1);
	return i;
}

/* nameset_add - add a name; 0 or -1 on ENOMEM */
int
nameset_add(struct nameset *ns, const char *s, size_t n)
{
	size_t	 i;

	if (ns->n * 2 >= ns->cap) {
		struct nameset big = { NULL, ns->cap ? ns->cap * 2 : 64, 0 };

		if ((big.slot = calloc(big.cap, sizeof(char *))) == NULL)
			return -1;
		for (i = 0; i < ns->cap; i++)
			if (ns->slot[i] != NULL)
				big.slot[nameset_find(&big, ns->slot[i],
				    strlen(ns->slot[i]))] = ns->slot[i];
		free(ns->slot);
		ns->slot = big.slot;
		ns->cap = big.cap;
	}
	i = nameset_find(ns, s, n);
	if (ns->slot[i] != NULL)
		return 0;
	if ((ns->slot[i] = strndup(s, n)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

/* nameset_has - is the name in the set? */
int
nameset_has(const struct nameset *ns, const char *s, size_t n)
{
	if (ns == NULL || ns->n == 0)
		return 0;
	return ns->slot[nameset_find(ns, s, n)] != NULL;
}

/* db_ign_line - one .ign2 line: NAME or NAME:MD5 */
int
db_ign_line(struct builder *b, const char *line, size_t len, char *why,
    size_t wl)
{
	const char	*colon = memchr(line, ':', len);
	size_t		 n = colon ? (size_t)(colon - line) : len;

	if (n == 0) {
		snprintf(why, wl, "empty signature name");
		return -1;
	}
	return nameset_add(b->ign, line, n) == -1 ? -2 : 0;
}
