/*
 * cfg.c - read, validate and serve vigil.conf
 *
 * DESIGN: cfg_load_buffer() walks the text once.  Each physical line is
 * bounded (CFG_MAX_LINE), checked for control bytes and trimmed; a value
 * ending in a backslash pulls in the next non-blank line (the guides' PDF
 * text separates every example line by a blank one).  A header looks its
 * section up in the schema and creates an instance; named instances go
 * into a hash table (duplicates are found in O(1) with up to
 * CFG_MAX_SECTIONS of them) and onto a per-section list in file order
 * for cfg_next().  A key line is looked up in the instance's schema
 * section and parsed by the parser for its type (a table indexed by
 * type); the value is stored in the instance's slot for that parameter,
 * so a repeat is found in O(1) and getters are O(1) after the section
 * lookup.  Schema defaults are parsed by the same parsers at load, after
 * the @DIR@ placeholders are replaced, so a getter never parses.
 * Everything lives in one arena freed by cfg_free(); compiled regexes
 * are also chained for regfree().  Errors are collected, up to
 * CFG_MAX_ERRORS, then loading stops.
 *
 * Work is bounded: 1 MiB in, 8 KiB a line, 10 000 sections, an arena
 * cap, and regexes of at most 1 KiB whose estimated compile cost (see
 * re_check: glibc's regcomp copies repeated subexpressions, and loops
 * inside counts blow up its epsilon closures) is at most RE_MAX_COST
 * each and RE_MAX_TOTAL per file; back-references are refused (they make
 * glibc's regexec exponential on the untrusted text programs match).
 *
 * Hand-written: libinih/glib key files neither validate against a typed
 * schema nor report every error with file, line, section and key; the
 * syntax is small and the guides' PDF artefacts need their own rules.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"

#define ARENA_CHUNK	16384
#define ARENA_MAX	(256u * 1024 * 1024)
#define RE_MAX_COUNT	255		/* largest {n,m} bound */
#define RE_MAX_COST	2000		/* atoms after expansion, per regex */
#define RE_MAX_TOTAL	20000		/* ... per file */
#define RE_MAX_DEPTH	32		/* nested parentheses */
#define NAMELEN		128		/* quoted names in messages */
#define CFG_PATH_MAX	4096

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

struct cfg_value {
	int		 lineno;	/* 0: schema default */
	const char	*text;		/* scalars; NULL for lists */
	long long	 num;		/* bool, int, duration, mode, enum */
	uint64_t	 size;		/* CFG_SIZE */
	regex_t		*re;		/* CFG_REGEX */
	const char	**items;	/* lists */
	const regex_t	**res;		/* CFG_REGEXLIST, parallel to items */
	size_t		 nitems, cap;
};

struct cfg_section {
	size_t			 def;	/* index into cfg_schema */
	const char		*sub;	/* NULL: [name] */
	int			 lineno;
	struct cfg_value	**vals;	/* one slot per parameter, lazily */
	struct cfg_section	*next;	/* next named instance, file order */
};

struct regnode {
	regex_t		 re;
	struct regnode	*next;
};

struct cfg {
	struct arena_chunk	*arena;
	size_t			 arena_total;
	const char		*name;
	struct cfg_section	**unnamed;	/* [cfg_schema_len] */
	struct cfg_section	**first, **last;	/* named, per section */
	struct cfg_section	**hash;		/* named instances */
	size_t			 hcap, nsecs;
	struct cfg_value	***defvals;	/* [section][param] */
	struct regnode		*regs;
	size_t			 re_total;
};

struct loader {
	struct cfg		*cfg;
	const char		*name;
	const char		*buf;
	size_t			 len, pos;
	int			 lineno;
	char			*err;
	size_t			 errlen, errused;
	int			 nerr;
	bool			 stop;		/* fatal, or too many errors */
	bool			 overflow;	/* an error past the last */
	struct cfg_section	*cur;		/* NULL: none or skipped */
	bool			 in_bad;	/* keys of a bad header: ignore */
	char			 val[CFG_MAX_LINE + 1];
};

typedef int	parse_fn(struct cfg *, const struct cfg_param *, char *,
		    struct cfg_value *, char *, size_t);

static const char *const default_dirs[3] = {
	"/var/lib/vigil", "/etc/vigil", "/var"
};

/* arena_alloc - n zeroed bytes that live until cfg_free */
static void *
arena_alloc(struct cfg *cfg, size_t n)
{
	struct arena_chunk	*c = cfg->arena;
	size_t			 sz;
	void			*p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->size - c->used < n) {
		sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		if (sz > ARENA_MAX || cfg->arena_total > ARENA_MAX - sz)
			return NULL;
		if ((c = malloc(sizeof(*c) + sz)) == NULL)
			return NULL;
		c->used = 0;
		c->size = sz;
		c->next = cfg->arena;
		cfg->arena = c;
		cfg->arena_total += sz;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

/* arena_strndup - copy n bytes and a NUL into the arena */
static char *
arena_strndup(struct cfg *cfg, const char *s, size_t n)
{
	char	*p;

	if ((p = arena_alloc(cfg, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* blank_at - width of the blank at s[i] (space, tab, UTF-8 NBSP), or 0 */
static size_t
blank_at(const char *s, size_t n, size_t i)
{
	if (s[i] == ' ' || s[i] == '\t' || s[i] == '\v' || s[i] == '\f' ||
	    s[i] == '\r')
		return 1;
	if ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
	    (unsigned char)s[i + 1] == 0xa0)
		return 2;
	return 0;
}

/* trim - drop blanks at both ends of s[0..*n) */
static const char *
trim(const char *s, size_t *n)
{
	size_t	 w;

	while (*n > 0 && (w = blank_at(s, *n, 0)) > 0) {
		s += w;
		*n -= w;
	}
	for (;;) {
		if (*n >= 1 && blank_at(s, *n, *n - 1) == 1)
			*n -= 1;
		else if (*n >= 2 && blank_at(s, *n, *n - 2) == 2)
			*n -= 2;
		else
			return s;
	}
}

/* squeeze - remove every blank from s[0..n) in place; returns new length */
static size_t
squeeze(char *s, size_t n)
{
	size_t	 i = 0, o = 0, w;

	while (i < n) {
		if ((w = blank_at(s, n, i)) > 0) {
			i += w;
			continue;
		}
		s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}

/* ld_error - record "NAME:LINE: [sec:sub] key: reason" */
static void
ld_error(struct loader *ld, int lineno, const char *sec, const char *sub,
    const char *key, const char *fmt, ...)
{
	char	 where[3 * NAMELEN + 64], reason[512], q[NAMELEN];
	va_list	 ap;
	int	 n;

	if (ld->nerr >= CFG_MAX_ERRORS + ld->overflow) {
		ld->stop = ld->overflow = true;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	n = lineno > 0 ? snprintf(where, sizeof(where), "%s:%d: ",
	    ld->name, lineno) : snprintf(where, sizeof(where), "%s: ",
	    ld->name);
	if (sec != NULL && n >= 0 && (size_t)n < sizeof(where)) {
		if (sub != NULL)
			log_quote(q, sizeof(q), sub, strlen(sub));
		n += snprintf(where + n, sizeof(where) - n, "[%s%s%s]%s ",
		    sec, sub ? ":" : "", sub ? q : "", key ? "" : ":");
	}
	if (key != NULL && n >= 0 && (size_t)n < sizeof(where))
		(void)snprintf(where + n, sizeof(where) - n, "%s: ", key);
	if (ld->err != NULL && ld->errlen > ld->errused + 1) {
		n = snprintf(ld->err + ld->errused, ld->errlen - ld->errused,
		    "%s%s%s", ld->nerr > 0 ? "\n" : "", where, reason);
		if (n > 0)
			ld->errused += (size_t)n;
		if (ld->errused >= ld->errlen)
			ld->errused = ld->errlen - 1;
	}
	ld->nerr++;
}

/* schema_section - index of section name in the schema, or -1 */
static long
schema_section(const char *name, size_t n)
{
	size_t	 i;

	for (i = 0; i < cfg_schema_len; i++)
		if (strncasecmp(cfg_schema[i].name, name, n) == 0 &&
		    cfg_schema[i].name[n] == '\0')
			return (long)i;
	return -1;
}

/* schema_param - index of key in section def, or -1 */
static long
schema_param(const struct cfg_section_def *def, const char *key, size_t n)
{
	size_t	 i;

	for (i = 0; i < def->nparams; i++)
		if (strncasecmp(def->params[i].key, key, n) == 0 &&
		    def->params[i].key[n] == '\0')
			return (long)i;
	return -1;
}

/* hash_name - FNV-1a of the section index and the lowercased sub-name */
static size_t
hash_name(size_t def, const char *sub)
{
	uint64_t	 h = 14695981039346656037ULL;

	h = (h ^ def) * 1099511628211ULL;
	for (; *sub != '\0'; sub++)
		h = (h ^ (unsigned char)tolower((unsigned char)*sub)) *
		    1099511628211ULL;
	return (size_t)h;
}

/* hash_slot - slot holding [def:sub], or the empty slot it would take */
static struct cfg_section **
hash_slot(const struct cfg *cfg, size_t def, const char *sub)
{
	size_t			 i = hash_name(def, sub) & (cfg->hcap - 1);
	struct cfg_section	*s;

	while ((s = cfg->hash[i]) != NULL) {
		if (s->def == def && strcasecmp(s->sub, sub) == 0)
			break;
		i = (i + 1) & (cfg->hcap - 1);
	}
	return &cfg->hash[i];
}

/* hash_grow - double the table (kept at most half full) */
static int
hash_grow(struct cfg *cfg)
{
	struct cfg_section	**old = cfg->hash;
	size_t			 oldcap = cfg->hcap, i;

	cfg->hcap = oldcap ? oldcap * 2 : 64;
	if ((cfg->hash = calloc(cfg->hcap, sizeof(*cfg->hash))) == NULL) {
		cfg->hash = old;
		cfg->hcap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			*hash_slot(cfg, old[i]->def, old[i]->sub) = old[i];
	free(old);
	return 0;
}

/*
 * re_bound - length of a "{n}", "{n,}" or "{n,m}" bound at s (0 if s
 * holds none); *hi gets the largest count, capped just over RE_MAX_COUNT
 */
static size_t
re_bound(const char *s, size_t *hi)
{
	size_t	 i = 1, lo = 0, up;

	if (!isdigit((unsigned char)s[i]))
		return 0;
	for (; isdigit((unsigned char)s[i]); i++)
		lo = lo > RE_MAX_COUNT ? lo : lo * 10 + (size_t)(s[i] - '0');
	up = lo;
	if (s[i] == ',') {
		up = lo + 1;
		if (isdigit((unsigned char)s[++i]))
			for (up = 0; isdigit((unsigned char)s[i]); i++)
				up = up > RE_MAX_COUNT ? up :
				    up * 10 + (size_t)(s[i] - '0');
	}
	if (s[i] != '}')
		return 0;
	*hi = lo > up ? lo : up;
	return i + 1;
}

/* sat_add, sat_mul - arithmetic that stops just over RE_MAX_COST */
static size_t
sat_add(size_t a, size_t b)
{
	return a + b > RE_MAX_COST ? RE_MAX_COST + 1 : a + b;
}

static size_t
sat_mul(size_t a, size_t b)
{
	return b != 0 && a > (RE_MAX_COST + 1) / b ? RE_MAX_COST + 1 :
	    sat_add(a * b, 0);
}

/* re_bracket - index of the ']' closing the bracket expression at p[i] */
static size_t
re_bracket(const char *p, size_t i)
{
	const char	*e;
	size_t		 j = i + 1;

	j += (p[j] == '^');
	j += (p[j] == ']');
	for (; p[j] != '\0' && p[j] != ']'; j++) {
		if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '.' ||
		    p[j + 1] == '=') && (e = strchr(p + j + 2, p[j + 1])) !=
		    NULL && e[1] == ']')
			j = (size_t)(e - p) + 1;
	}
	return p[j] == ']' ? j : i;	/* unterminated: a literal '[' */
}

/*
 * re_check - refuse what would make regcomp or regexec expensive:
 * back-references, counts over RE_MAX_COUNT, deep nesting, and patterns
 * that cost more than RE_MAX_COST atoms to compile.  glibc copies the
 * repeated subexpression n times for {n} (m for {n,m}) and once more for
 * '+', so costs multiply along chains like a{9}{9}+++; and repeating a
 * subexpression that holds a loop (x*, x+) makes its epsilon closures
 * grow with the square of the count, so such a count is squared (measured:
 * (a*){1,255} takes 50 ms, a{1,255} 0.1 ms).  Each '*' also costs its
 * operand once more.
 */
static int
re_check(const char *p, size_t *costp, char *why, size_t whylen)
{
	size_t	 sum[RE_MAX_DEPTH + 1], last = 0, atom, hi, d = 0, i, j;
	bool	 loose[RE_MAX_DEPTH + 1], last_loose = false, atom_loose;

	sum[0] = 0;
	loose[0] = false;
	for (i = 0; p[i] != '\0'; i++) {
		atom = 1;
		atom_loose = false;
		switch (p[i]) {
		case '\\':
			if (p[i + 1] >= '1' && p[i + 1] <= '9') {
				snprintf(why, whylen,
				    "back-references are not supported");
				return -1;
			}
			i += (p[i + 1] != '\0');
			break;
		case '[':
			i = re_bracket(p, i);
			break;
		case '(':
			if (d == RE_MAX_DEPTH) {
				snprintf(why, whylen, "parentheses nested "
				    "deeper than %d", RE_MAX_DEPTH);
				return -1;
			}
			sum[++d] = 0;
			loose[d] = false;
			last = 0;
			continue;
		case ')':
			if (d > 0) {
				atom = sum[d] ? sum[d] : 1;
				atom_loose = loose[d--];
			}
			break;
		case '{':
			if ((j = re_bound(p + i, &hi)) == 0)
				break;	/* not a bound: a literal brace */
			if (hi > RE_MAX_COUNT) {
				snprintf(why, whylen, "repetition count over %d",
				    RE_MAX_COUNT);
				return -1;
			}
			i += j - 1;
			if (last_loose)
				hi = sat_mul(hi, hi);
			if (hi > 1 && last > 0) {
				sum[d] = sat_add(sum[d], sat_mul(last, hi - 1));
				last = sat_mul(last, hi);
			}
			continue;
		case '+':	/* glibc compiles x+ as xx*: a copy */
		case '*':
			sum[d] = sat_add(sum[d], last);
			last = p[i] == '+' ? sat_mul(last, 2) : last;
			last_loose = loose[d] = true;
			continue;
		case '?':
			continue;
		case '|':
			last = 0;
			continue;
		}
		sum[d] = sat_add(sum[d], atom);
		last = atom;
		last_loose = atom_loose;
		loose[d] = loose[d] || atom_loose;
	}
	for (; d > 0; d--)	/* unbalanced: regcomp will say so */
		sum[d - 1] = sat_add(sum[d - 1], sum[d]);
	if (sum[0] > RE_MAX_COST) {
		snprintf(why, whylen, "too costly to compile (repetitions "
		    "expand past %d atoms)", RE_MAX_COST);
		return -1;
	}
	*costp = sum[0];
	return 0;
}

/* re_compile - check and compile an ERE into the cfg's arena */
static regex_t *
re_compile(struct cfg *cfg, const char *text, unsigned flags, char *why,
    size_t whylen)
{
	struct regnode	*rn;
	size_t		 cost;
	int		 rc;

	if (strlen(text) > CFG_MAX_REGEX) {
		snprintf(why, whylen, "regular expression longer than %d "
		    "bytes", CFG_MAX_REGEX);
		return NULL;
	}
	if (re_check(text, &cost, why, whylen) == -1)
		return NULL;
	if (cfg->re_total + cost > RE_MAX_TOTAL) {
		snprintf(why, whylen, "regular expressions too large in total");
		return NULL;
	}
	if ((rn = arena_alloc(cfg, sizeof(*rn))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	rc = regcomp(&rn->re, text, REG_EXTENDED | REG_NOSUB |
	    ((flags & CFG_F_ICASE) ? REG_ICASE : 0));
	if (rc != 0) {
		char	 msg[128];

		(void)regerror(rc, &rn->re, msg, sizeof(msg));
		snprintf(why, whylen, "bad regular expression: %s", msg);
		return NULL;
	}
	cfg->re_total += cost;
	rn->next = cfg->regs;
	cfg->regs = rn;
	return &rn->re;
}

/* parse_ull - all-digit decimal to *v; -1 if empty, junk or overflow */
static int
parse_ull(const char *s, size_t n, uint64_t *v)
{
	uint64_t	 x = 0;
	size_t		 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* range_check - min/max of p, with 0 allowed where unlimited */
static int
range_check(const struct cfg_param *p, long long x, char *why,
    size_t whylen)
{
	if (x == 0 && (p->flags & CFG_F_UNLIMITED))
		return 0;
	if (x >= p->min && (p->max == 0 || x <= p->max))
		return 0;
	if (p->max == 0)
		snprintf(why, whylen, "out of range: %lld (at least %lld%s)",
		    x, p->min, (p->flags & CFG_F_UNLIMITED) ?
		    ", or 0 for unlimited" : "");
	else
		snprintf(why, whylen, "out of range: %lld (%lld..%lld%s)", x,
		    p->min, p->max, (p->flags & CFG_F_UNLIMITED) ?
		    ", or 0 for unlimited" : "");
	return -1;
}

/* bad_text - "what: \"text\"" with text quoted */
static int
bad_text(char *why, size_t whylen, const char *what, const char *t)
{
	char	 q[NAMELEN];

	snprintf(why, whylen, "%s: \"%s\"", what, log_quote(q, sizeof(q), t,
	    strlen(t)));
	return -1;
}

/* parse_bool - yes/no true/false on/off 1/0 */
static int
parse_bool(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	(void)cfg;
	(void)p;
	for (i = 0; i < 4; i++) {
		if (strcasecmp(t, yes[i]) == 0 || strcasecmp(t, no[i]) == 0) {
			v->num = strcasecmp(t, yes[i]) == 0;
			v->text = v->num ? "yes" : "no";
			return 0;
		}
	}
	return bad_text(why, whylen, "not yes or no", t);
}

/* parse_int - decimal integer in range */
static int
parse_int(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	const char	*digits = t + (*t == '-' || *t == '+');
	uint64_t	 u;
	bool		 neg = (*t == '-');
	char		 buf[32];

	if (parse_ull(digits, strlen(digits), &u) == -1 ||
	    u > (uint64_t)LLONG_MAX)
		return bad_text(why, whylen, "not an integer", t);
	v->num = neg ? -(long long)u : (long long)u;
	if (range_check(p, v->num, why, whylen) == -1)
		return -1;
	snprintf(buf, sizeof(buf), "%lld", v->num);
	v->text = arena_strndup(cfg, buf, strlen(buf));
	return v->text ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

/* parse_scaled - digits then one optional suffix from units */
static int
parse_scaled(const char *t, const char *units, const uint64_t *mult,
    bool trailing_b, uint64_t *out)
{
	size_t		 n = strlen(t), d = 0;
	const char	*u;
	uint64_t	 x, m = 1;

	while (d < n && isdigit((unsigned char)t[d]))
		d++;
	if (parse_ull(t, d, &x) == -1)
		return -1;
	if (d < n && t[d] != '\0' && (u = strchr(units,
	    tolower((unsigned char)t[d]))) != NULL) {
		m = mult[u - units];
		d++;
	}
	if (trailing_b && d < n && (t[d] == 'b' || t[d] == 'B'))
		d++;
	if (d != n || (m > 1 && x > UINT64_MAX / m))
		return -1;
	*out = x * m;
	return 0;
}

/* parse_size - bytes with K/M/G/T suffix */
static int
parse_size(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	static const uint64_t mult[] = { 1ULL << 10, 1ULL << 20, 1ULL << 30,
	    1ULL << 40 };

	if (parse_scaled(t, "kmgt", mult, true, &v->size) == -1 ||
	    v->size > (uint64_t)LLONG_MAX)
		return bad_text(why, whylen, "not a size (bytes, or a number "
		    "with K, M or G)", t);
	if (range_check(p, (long long)v->size, why, whylen) == -1)
		return -1;
	v->num = (long long)v->size;
	v->text = arena_strndup(cfg, t, strlen(t));
	return v->text ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

/* parse_duration - seconds with s/m/h/d suffix */
static int
parse_duration(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	uint64_t	 s;

	if (parse_scaled(t, "smhd", mult, false, &s) == -1 ||
	    s > (uint64_t)LLONG_MAX)
		return bad_text(why, whylen, "not a duration (seconds, or a "
		    "number with s, m, h or d)", t);
	if (range_check(p, (long long)s, why, whylen) == -1)
		return -1;
	v->num = (long long)s;
	v->text = arena_strndup(cfg, t, strlen(t));
	return v->text ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

/* parse_mode - octal file mode */
static int
parse_mode(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	long long	 m = 0;
	size_t		 i;

	(void)p;
	for (i = 0; t[i] != '\0'; i++) {
		if (t[i] < '0' || t[i] > '7' || (m = m * 8 + t[i] - '0') >
		    07777)
			return bad_text(why, whylen, "not an octal mode "
			    "(0000..7777)", t);
	}
	if (i == 0)
		return bad_text(why, whylen, "not an octal mode", t);
	v->num = m;
	v->text = arena_strndup(cfg, t, strlen(t));
	return v->text ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

/* parse_str - any text (strings and actions) */
static int
parse_str(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	(void)p;
	v->text = arena_strndup(cfg, t, strlen(t));
	return v->text ? 0 : (snprintf(why, whylen, "out of memory"), -1);
}

/* parse_path - empty, or an absolute path */
static int
parse_path(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	if (*t != '\0' && *t != '/')
		return bad_text(why, whylen, "not an absolute path", t);
	if (strlen(t) >= CFG_PATH_MAX) {
		snprintf(why, whylen, "path longer than %d bytes",
		    CFG_PATH_MAX - 1);
		return -1;
	}
	return parse_str(cfg, p, t, v, why, whylen);
}

/* parse_enum - one of the schema's words; text is the schema spelling */
static int
parse_enum(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	const char	*w = p->words, *e;
	char		 q[NAMELEN];
	size_t		 n, i;

	for (i = 0; *w != '\0'; i++, w = *e ? e + 1 : e) {
		e = strchr(w, '|');
		e = e ? e : w + strlen(w);
		n = (size_t)(e - w);
		if (strlen(t) == n && strncasecmp(t, w, n) == 0) {
			v->num = (long long)i;
			v->text = arena_strndup(cfg, w, n);
			return v->text ? 0 :
			    (snprintf(why, whylen, "out of memory"), -1);
		}
	}
	snprintf(why, whylen, "not one of %s: \"%s\"", p->words,
	    log_quote(q, sizeof(q), t, strlen(t)));
	return -1;
}

/*
 * item_check - an item may not end in a backslash: cfg_dump writes one
 * item a line, where the backslash would continue the line
 */
static int
item_check(const char *s, size_t n, char *why, size_t whylen)
{
	char	 q[NAMELEN];

	if (n > 0 && s[n - 1] == '\\') {
		snprintf(why, whylen, "item ends with a backslash: \"%s\"",
		    log_quote(q, sizeof(q), s, n));
		return -1;
	}
	return 0;
}

/* list_add - append one item (and its regex) to v */
static int
list_add(struct cfg *cfg, struct cfg_value *v, const char *s, size_t n,
    const regex_t *re)
{
	const char	**items;
	const regex_t	**res;
	size_t		 cap;

	if (v->nitems == v->cap) {
		cap = v->cap ? v->cap * 2 : 4;
		if ((items = arena_alloc(cfg, cap * sizeof(*items))) == NULL ||
		    (res = arena_alloc(cfg, cap * sizeof(*res))) == NULL)
			return -1;
		if (v->nitems > 0) {
			memcpy(items, v->items, v->nitems * sizeof(*items));
			memcpy(res, v->res, v->nitems * sizeof(*res));
		}
		v->items = items;
		v->res = res;
		v->cap = cap;
	}
	if ((v->items[v->nitems] = arena_strndup(cfg, s, n)) == NULL)
		return -1;
	v->res[v->nitems++] = re;
	return 0;
}

/* parse_list - items separated by commas (or blanks), empty ones dropped */
static int
parse_list(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	const char	*s;
	size_t		 n;
	char		*e;

	for (; *t != '\0'; t = *e ? e + 1 : e) {
		e = t + strcspn(t, (p->flags & CFG_F_COMMA) ? "," :
		    ", \t\v\f");
		n = (size_t)(e - t);
		s = trim(t, &n);
		if (n == 0)
			continue;
		if (item_check(s, n, why, whylen) == -1)
			return -1;
		if ((p->flags & CFG_F_PATHS) && *s != '/') {
			char	 q[NAMELEN];

			snprintf(why, whylen, "not an absolute path: \"%s\"",
			    log_quote(q, sizeof(q), s, n));
			return -1;
		}
		if (list_add(cfg, v, s, n, NULL) == -1) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* parse_regex - one ERE; empty leaves it unset */
static int
parse_regex(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	if (*t != '\0' && (v->re = re_compile(cfg, t, p->flags, why,
	    whylen)) == NULL)
		return -1;
	return parse_str(cfg, p, t, v, why, whylen);
}

/* re_item_end - end of a regexlist item: a comma outside [] () {} */
static char *
re_item_end(char *t)
{
	int	 paren = 0, brace = 0;

	for (; *t != '\0'; t++) {
		if (*t == '\\' && t[1] != '\0')
			t++;
		else if (*t == '[') {
			char *e = t + 1 + (t[1] == '^');

			e += (*e == ']');
			e = strchr(e, ']');
			if (e == NULL)
				return t + strlen(t);
			t = e;
		} else if (*t == '(')
			paren++;
		else if (*t == ')' && paren > 0)
			paren--;
		else if (*t == '{')
			brace = 1;
		else if (*t == '}')
			brace = 0;
		else if (*t == ',' && paren == 0 && brace == 0)
			return t;
	}
	return t;
}

/* parse_regexlist - comma-separated EREs, each compiled */
static int
parse_regexlist(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	const regex_t	*re;
	const char	*s;
	size_t		 n;
	char		*e, save;

	for (; *t != '\0'; t = *e ? e + 1 : e) {
		e = re_item_end(t);
		n = (size_t)(e - t);
		s = trim(t, &n);
		if (n == 0)
			continue;
		if (item_check(s, n, why, whylen) == -1)
			return -1;
		save = *e;
		((char *)s)[n] = '\0';
		re = re_compile(cfg, s, p->flags, why, whylen);
		if (re == NULL || list_add(cfg, v, s, n, re) == -1) {
			if (re != NULL)
				snprintf(why, whylen, "out of memory");
			return -1;
		}
		*e = save;
	}
	return 0;
}

/* parse_addr - empty (off) or what cfg_addr_parse accepts */
static int
parse_addr(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	struct cfg_addr	 a;

	if (*t != '\0' && cfg_addr_parse(t, &a, why, whylen) == -1)
		return -1;
	return parse_str(cfg, p, t, v, why, whylen);
}

static parse_fn *const parsers[] = {
	[CFG_BOOL] = parse_bool,	[CFG_INT] = parse_int,
	[CFG_SIZE] = parse_size,	[CFG_DURATION] = parse_duration,
	[CFG_MODE] = parse_mode,	[CFG_STR] = parse_str,
	[CFG_PATH] = parse_path,	[CFG_ENUM] = parse_enum,
	[CFG_LIST] = parse_list,	[CFG_REGEX] = parse_regex,
	[CFG_REGEXLIST] = parse_regexlist, [CFG_ADDR] = parse_addr,
	[CFG_ACTION] = parse_str,
};

/* is_list - types whose value is a list of items */
static bool
is_list(enum cfg_type t)
{
	return t == CFG_LIST || t == CFG_REGEXLIST;
}

/* parse_value - type-check text (NUL-terminated, mutable) into v */
static int
parse_value(struct cfg *cfg, const struct cfg_param *p, char *t,
    struct cfg_value *v, char *why, size_t whylen)
{
	if (p->flags & CFG_F_NOSPACE)
		(void)squeeze(t, strlen(t));
	if (*t == '\0' && (p->type == CFG_BOOL || p->type == CFG_INT ||
	    p->type == CFG_SIZE || p->type == CFG_DURATION ||
	    p->type == CFG_MODE || p->type == CFG_ENUM)) {
		snprintf(why, whylen, "empty value");
		return -1;
	}
	return parsers[p->type](cfg, p, t, v, why, whylen);
}

/* expand_dirs - replace @DATADIR@ and friends in a default */
static int
expand_dirs(const char *def, const struct cfg_dirs *dirs, char *out,
    size_t outlen)
{
	static const char *const names[3] = {
		"@DATADIR@", "@SYSCONFDIR@", "@LOCALSTATEDIR@"
	};
	const char	*vals[3], *s = def;
	size_t		 o = 0, i, n;

	vals[0] = dirs && dirs->datadir ? dirs->datadir : default_dirs[0];
	vals[1] = dirs && dirs->sysconfdir ? dirs->sysconfdir : default_dirs[1];
	vals[2] = dirs && dirs->localstatedir ? dirs->localstatedir :
	    default_dirs[2];
	while (*s != '\0') {
		for (i = 0; i < 3 && *s == '@'; i++)
			if (strncmp(s, names[i], strlen(names[i])) == 0)
				break;
		i = *s == '@' ? i : 3;
		n = i < 3 ? strlen(vals[i]) : 1;
		if (o + n >= outlen)
			return -1;
		memcpy(out + o, i < 3 ? vals[i] : s, n);
		o += n;
		s += i < 3 ? strlen(names[i]) : 1;
	}
	out[o] = '\0';
	return 0;
}

/* load_defaults - parse every schema default once */
static int
load_defaults(struct loader *ld, const struct cfg_dirs *dirs)
{
	struct cfg		*cfg = ld->cfg;
	const struct cfg_param	*p;
	struct cfg_value	*v;
	char			 why[256];
	size_t			 s, i;

	cfg->defvals = arena_alloc(cfg, cfg_schema_len * sizeof(*cfg->defvals));
	if (cfg->defvals == NULL)
		return -1;
	for (s = 0; s < cfg_schema_len; s++) {
		cfg->defvals[s] = arena_alloc(cfg, cfg_schema[s].nparams *
		    sizeof(**cfg->defvals));
		if (cfg->defvals[s] == NULL)
			return -1;
		for (i = 0; i < cfg_schema[s].nparams; i++) {
			p = &cfg_schema[s].params[i];
			if (p->def == NULL)
				continue;
			if ((v = arena_alloc(cfg, sizeof(*v))) == NULL)
				return -1;
			if (expand_dirs(p->def, dirs, ld->val,
			    sizeof(ld->val)) == -1)
				snprintf(why, sizeof(why), "default too long");
			else if (parse_value(cfg, p, ld->val, v, why,
			    sizeof(why)) == 0) {
				cfg->defvals[s][i] = v;
				continue;
			}
			ld_error(ld, 0, cfg_schema[s].name, NULL, p->key,
			    "bad schema default: %s", why);
		}
	}
	return ld->nerr ? -1 : 0;
}

/* next_phys - next physical line without its end; 0 at end of input */
static int
next_phys(struct loader *ld, const char **s, size_t *n)
{
	const char	*start, *nl;

	if (ld->pos >= ld->len)
		return 0;
	start = ld->buf + ld->pos;
	nl = memchr(start, '\n', ld->len - ld->pos);
	*n = nl ? (size_t)(nl - start) : ld->len - ld->pos;
	ld->pos += *n + (nl != NULL);
	ld->lineno++;
	*s = start;
	if (*n > 0 && start[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/* check_phys - bounded length, no control bytes but tab */
static int
check_phys(struct loader *ld, const char *s, size_t n)
{
	size_t	 i;

	if (n > CFG_MAX_LINE) {
		ld_error(ld, ld->lineno, NULL, NULL, NULL,
		    "line longer than %d bytes", CFG_MAX_LINE);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f) {
			ld_error(ld, ld->lineno, NULL, NULL, NULL,
			    "control character 0x%02x in column %zu",
			    (unsigned char)s[i], i + 1);
			return -1;
		}
	}
	return 0;
}

/* sec_name - "name" of the current section for messages */
static const char *
sec_name(const struct cfg_section *sec)
{
	return cfg_schema[sec->def].name;
}

/* new_section - create [def:sub] at lineno, or report why not */
static struct cfg_section *
new_section(struct loader *ld, size_t def, const char *sub, size_t sublen,
    int lineno)
{
	struct cfg		*cfg = ld->cfg;
	struct cfg_section	*s, **slot = NULL;
	char			*subcopy = NULL;

	if (cfg->nsecs >= CFG_MAX_SECTIONS) {
		ld_error(ld, lineno, NULL, NULL, NULL,
		    "more than %d sections", CFG_MAX_SECTIONS);
		ld->stop = true;
		return NULL;
	}
	if (sub != NULL) {
		if ((subcopy = arena_strndup(cfg, sub, sublen)) == NULL ||
		    (cfg->hcap / 2 <= cfg->nsecs && hash_grow(cfg) == -1))
			goto oom;
		slot = hash_slot(cfg, def, subcopy);
		s = *slot;
	} else
		s = cfg->unnamed[def];
	if (s != NULL) {
		ld_error(ld, lineno, cfg_schema[def].name, subcopy, NULL,
		    "duplicate section (first on line %d)", s->lineno);
		return NULL;
	}
	if ((s = arena_alloc(cfg, sizeof(*s))) == NULL)
		goto oom;
	s->def = def;
	s->sub = subcopy;
	s->lineno = lineno;
	if (slot != NULL) {
		*slot = s;
		if (cfg->last[def] != NULL)
			cfg->last[def]->next = s;
		else
			cfg->first[def] = s;
		cfg->last[def] = s;
	} else
		cfg->unnamed[def] = s;
	cfg->nsecs++;
	return s;
oom:
	ld_error(ld, lineno, NULL, NULL, NULL, "out of memory");
	ld->stop = true;
	return NULL;
}

/* do_header - "[name]" or "[name:sub]", blanks inside ignored */
static void
do_header(struct loader *ld, const char *s, size_t n)
{
	char		 buf[CFG_MAX_LINE + 1], q[NAMELEN];
	const char	*close, *rest, *colon;
	size_t		 len, restlen;
	long		 def;
	unsigned	 f;

	ld->cur = NULL;
	ld->in_bad = true;
	if ((close = memchr(s, ']', n)) == NULL) {
		ld_error(ld, ld->lineno, NULL, NULL, NULL, "missing ']'");
		return;
	}
	rest = close + 1;
	restlen = n - (size_t)(rest - s);
	rest = trim(rest, &restlen);
	if (restlen > 0 && *rest != '#' && *rest != ';') {
		ld_error(ld, ld->lineno, NULL, NULL, NULL,
		    "text after ']': \"%s\"", log_quote(q, sizeof(q), rest,
		    restlen));
		return;
	}
	len = (size_t)(close - s - 1);
	memcpy(buf, s + 1, len);
	len = squeeze(buf, len);
	colon = memchr(buf, ':', len);
	if ((colon ? (size_t)(colon - buf) : len) == 0) {
		ld_error(ld, ld->lineno, NULL, NULL, NULL,
		    "empty section name");
		return;
	}
	def = schema_section(buf, colon ? (size_t)(colon - buf) : len);
	if (def < 0) {
		ld_error(ld, ld->lineno, log_quote(q, sizeof(q), buf, colon ?
		    (size_t)(colon - buf) : len), NULL, NULL,
		    "unknown section");
		return;
	}
	f = cfg_schema[def].flags;
	if (colon != NULL && colon + 1 == buf + len)
		ld_error(ld, ld->lineno, cfg_schema[def].name, "", NULL,
		    "empty name after ':'");
	else if (colon == NULL && (f & CFG_S_NAMED))
		ld_error(ld, ld->lineno, cfg_schema[def].name, NULL, NULL,
		    "needs a name, as in [%s:NAME]", cfg_schema[def].name);
	else if (colon != NULL && !(f & (CFG_S_NAMED | CFG_S_OPTNAMED)))
		ld_error(ld, ld->lineno, cfg_schema[def].name, NULL, NULL,
		    "takes no name (\":%s\")", log_quote(q, sizeof(q), colon + 1,
		    len - (size_t)(colon + 1 - buf)));
	else {
		ld->cur = new_section(ld, (size_t)def, colon ? colon + 1 :
		    NULL, colon ? len - (size_t)(colon + 1 - buf) : 0,
		    ld->lineno);
	}
}

/*
 * read_value - the value starting at s[0..n), with backslash
 * continuations joined, into ld->val.  -1 if reported.
 */
static int
read_value(struct loader *ld, const char *s, size_t n)
{
	size_t	 len, blank;
	int	 first = ld->lineno;

	s = trim(s, &n);
	memcpy(ld->val, s, n);
	len = n;
	while (len > 0 && ld->val[len - 1] == '\\') {
		len--;
		do {
			if (!next_phys(ld, &s, &n)) {
				ld_error(ld, first, NULL, NULL, NULL,
				    "backslash continues past the end of "
				    "the file");
				return -1;
			}
			if (check_phys(ld, s, n) == -1)
				return -1;
			blank = n;
			(void)trim(s, &blank);
		} while (blank == 0);
		if (len + n > CFG_MAX_LINE) {
			ld_error(ld, first, NULL, NULL, NULL,
			    "continued line longer than %d bytes",
			    CFG_MAX_LINE);
			return -1;
		}
		memcpy(ld->val + len, s, n);	/* leading blanks kept */
		len += n;
		s = ld->val;
		n = len;
		s = trim(s, &n);
		len = n;
	}
	ld->val[len] = '\0';
	return 0;
}

/* do_key - "Key = value" in the current section */
static void
do_key(struct loader *ld, const char *s, size_t n)
{
	char			 key[CFG_MAX_LINE + 1], q[NAMELEN], why[512];
	const char		*eq;
	const struct cfg_param	*p;
	struct cfg_section	*sec = ld->cur;
	struct cfg_value	*v, *old;
	size_t			 klen;
	int			 lineno = ld->lineno;
	long			 pi;

	if ((eq = memchr(s, '=', n)) == NULL) {
		ld_error(ld, lineno, NULL, NULL, NULL, "expected key=value, "
		    "[section] or a comment: \"%s\"", log_quote(q, sizeof(q), s, n));
		return;
	}
	klen = (size_t)(eq - s);
	memcpy(key, s, klen);
	klen = squeeze(key, klen);
	if (read_value(ld, eq + 1, n - (size_t)(eq - s) - 1) == -1)
		return;
	if (klen == 0) {
		ld_error(ld, lineno, NULL, NULL, NULL, "missing key before '='");
		return;
	}
	if (sec == NULL) {
		if (!ld->in_bad)
			ld_error(ld, lineno, NULL, NULL, log_quote(q, sizeof(q), key,
			    klen), "outside any section");
		return;
	}
	if ((pi = schema_param(&cfg_schema[sec->def], key, klen)) < 0) {
		ld_error(ld, lineno, sec_name(sec), sec->sub, log_quote(q,
		    sizeof(q), key, klen), "unknown key");
		return;
	}
	p = &cfg_schema[sec->def].params[pi];
	if (sec->vals == NULL && (sec->vals = arena_alloc(ld->cfg,
	    cfg_schema[sec->def].nparams * sizeof(*sec->vals))) == NULL)
		goto oom;
	old = sec->vals[pi];
	if (old != NULL && !(p->flags & CFG_F_REPEAT)) {
		ld_error(ld, lineno, sec_name(sec), sec->sub, p->key,
		    "set twice (first on line %d)", old->lineno);
		return;
	}
	if ((v = old) == NULL && (v = arena_alloc(ld->cfg, sizeof(*v))) ==
	    NULL)
		goto oom;
	if (parse_value(ld->cfg, p, ld->val, v, why, sizeof(why)) == -1) {
		ld_error(ld, lineno, sec_name(sec), sec->sub, p->key, "%s",
		    why);
		return;
	}
	v->lineno = lineno;
	sec->vals[pi] = v;
	return;
oom:
	ld_error(ld, lineno, NULL, NULL, NULL, "out of memory");
	ld->stop = true;
}

/* parse_text - every line of the input */
static void
parse_text(struct loader *ld)
{
	const char	*s;
	size_t		 n;

	if (ld->len >= 3 && memcmp(ld->buf, "\xef\xbb\xbf", 3) == 0)
		ld->pos = 3;
	ld->in_bad = false;
	while (!ld->stop && next_phys(ld, &s, &n)) {
		if (check_phys(ld, s, n) == -1)
			continue;
		s = trim(s, &n);
		if (n == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			do_header(ld, s, n);
		else
			do_key(ld, s, n);
	}
	if (ld->overflow)	/* ld_error lets this one through */
		ld_error(ld, 0, NULL, NULL, NULL, "more than %d errors, "
		    "stopped at line %d", CFG_MAX_ERRORS, ld->lineno);
}

/* cfg_new - empty cfg with its per-section arrays */
static struct cfg *
cfg_new(const char *name)
{
	struct cfg	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->unnamed = arena_alloc(cfg, cfg_schema_len * sizeof(void *));
	cfg->first = arena_alloc(cfg, cfg_schema_len * sizeof(void *));
	cfg->last = arena_alloc(cfg, cfg_schema_len * sizeof(void *));
	cfg->name = arena_strndup(cfg, name, strlen(name));
	if (cfg->unnamed == NULL || cfg->first == NULL || cfg->last == NULL ||
	    cfg->name == NULL) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* cfg_load_buffer - parse and validate a configuration held in memory */
struct cfg *
cfg_load_buffer(const char *name, const char *buf, size_t len,
    const struct cfg_dirs *dirs, char *err, size_t errlen)
{
	struct loader	*ld;
	struct cfg	*cfg = NULL;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((ld = calloc(1, sizeof(*ld))) == NULL)
		goto oom;
	ld->name = name;
	ld->buf = buf;
	ld->len = len;
	ld->err = err;
	ld->errlen = err != NULL ? errlen : 0;
	if (len > CFG_MAX_FILE) {
		ld_error(ld, 0, NULL, NULL, NULL, "larger than %d bytes",
		    CFG_MAX_FILE);
		goto out;
	}
	if ((cfg = ld->cfg = cfg_new(name)) == NULL)
		goto oom;
	if (load_defaults(ld, dirs) == -1) {
		if (ld->nerr == 0)
			goto oom;
		goto out;
	}
	parse_text(ld);
	goto out;
oom:
	if (ld != NULL)
		ld_error(ld, 0, NULL, NULL, NULL, "out of memory");
	else if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: out of memory", name);
out:
	if (ld == NULL || ld->nerr > 0) {
		cfg_free(cfg);
		cfg = NULL;
	}
	free(ld);
	return cfg;
}

/* cfg_load_program - see cfg.h */
struct cfg *
cfg_load_program(const char *path, const struct cfg_dirs *dirs, char *err,
    size_t errlen)
{
	char	 def[4096];

	if (path == NULL) {
		snprintf(def, sizeof(def), "%s/vigil.conf", dirs->sysconfdir);
		if (access(def, F_OK) == 0 || errno != ENOENT)
			path = def;
	}
	return cfg_load(path, dirs, err, errlen);
}

/* cfg_path_key - see cfg.h */
const char *
cfg_path_key(const struct cfg *c, const char *section, const char *key)
{
	const char *v = cfg_str(c, section, NULL, key);

	if (v == NULL || v[0] == '\0')
		v = cfg_str(c, "path", NULL, key);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* cfg_load - read path (bounded) and hand it to cfg_load_buffer */
struct cfg *
cfg_load(const char *path, const struct cfg_dirs *dirs, char *err,
    size_t errlen)
{
	struct cfg	*cfg = NULL;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd = -1;

	if (path == NULL)
		return cfg_load_buffer("(defaults)", "", 0, dirs, err, errlen);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (buf = malloc(CFG_MAX_FILE + 1)) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (len <= CFG_MAX_FILE && (r = read(fd, buf + len,
	    CFG_MAX_FILE + 1 - len)) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: read: %s", path,
				    strerror(errno));
			goto out;
		}
		len += (size_t)r;
	}
	cfg = cfg_load_buffer(path, buf, len, dirs, err, errlen);
out:
	if (fd != -1)
		close(fd);
	free(buf);
	return cfg;
}

/* cfg_free - regfree every regex, drop the arena */
void
cfg_free(struct cfg *cfg)
{
	struct arena_chunk	*c, *next;
	struct regnode		*rn;

	if (cfg == NULL)
		return;
	for (rn = cfg->regs; rn != NULL; rn = rn->next)
		regfree(&rn->re);
	free(cfg->hash);
	for (c = cfg->arena; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(cfg);
}

/* cfg_filename - the name messages use */
const char *
cfg_filename(const struct cfg *cfg)
{
	return cfg->name;
}

/* find_def - schema index of a section name a program asks for */
static size_t
find_def(const char *name)
{
	long	 i = schema_section(name, strlen(name));

	VG_ASSERT(i >= 0);
	return (size_t)i;
}

/* find_instance - [def:sub] of the file, or NULL */
static const struct cfg_section *
find_instance(const struct cfg *cfg, size_t def, const char *sub)
{
	if (sub == NULL)
		return cfg->unnamed[def];
	if (cfg->hcap == 0)
		return NULL;
	return *hash_slot(cfg, def, sub);
}

/* cfg_section - an instance of the file by name */
const struct cfg_section *
cfg_section(const struct cfg *cfg, const char *name, const char *sub)
{
	return find_instance(cfg, find_def(name), sub);
}

/* cfg_next - named instances of a section in file order */
const struct cfg_section *
cfg_next(const struct cfg *cfg, const char *name,
    const struct cfg_section *prev)
{
	size_t	 def = find_def(name);

	if (prev == NULL)
		return cfg->first[def];
	VG_ASSERT(prev->def == def);
	return prev->next;
}

/* cfg_subname - NAME of [section:NAME], NULL for [section] */
const char *
cfg_subname(const struct cfg_section *sec)
{
	return sec->sub;
}

/* cfg_section_lineno - line of the instance's header */
int
cfg_section_lineno(const struct cfg_section *sec)
{
	return sec->lineno;
}

/* slot_value - value set for parameter pi in an instance, or NULL */
static const struct cfg_value *
slot_value(const struct cfg_section *s, size_t pi)
{
	return s != NULL && s->vals != NULL ? s->vals[pi] : NULL;
}

/* effective - the value of parameter pi of [def:sub]: set, inherited or
   the default */
static const struct cfg_value *
effective(const struct cfg *cfg, size_t def, const char *sub, size_t pi)
{
	const struct cfg_value	*v;

	if ((v = slot_value(find_instance(cfg, def, sub), pi)) != NULL)
		return v;
	if (sub != NULL && (cfg_schema[def].flags & CFG_S_OPTNAMED) &&
	    (v = slot_value(cfg->unnamed[def], pi)) != NULL)
		return v;
	return cfg->defvals[def][pi];
}

/* get - the effective value of section/sub/key; type must be in mask */
static const struct cfg_value *
get(const struct cfg *cfg, const char *section, const char *sub,
    const char *key, unsigned mask)
{
	size_t	 def = find_def(section);
	long	 pi = schema_param(&cfg_schema[def], key, strlen(key));

	VG_ASSERT(pi >= 0);
	VG_ASSERT(mask & (1u << cfg_schema[def].params[pi].type));
	return effective(cfg, def, sub, (size_t)pi);
}

#define T(t)		(1u << (t))
#define T_SCALAR	(~(T(CFG_LIST) | T(CFG_REGEXLIST)))
#define T_ANY		(~0u)

/* cfg_isset - whether the key has a value (set, inherited or default) */
int
cfg_isset(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	return get(cfg, section, sub, key, T_ANY) != NULL;
}

/* cfg_bool - a CFG_BOOL value */
int
cfg_bool(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T(CFG_BOOL));

	return v ? (int)v->num : 0;
}

/* cfg_int - a CFG_INT, CFG_DURATION or CFG_MODE value */
long long
cfg_int(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key,
	    T(CFG_INT) | T(CFG_DURATION) | T(CFG_MODE));

	return v ? v->num : 0;
}

/* cfg_size - a CFG_SIZE value in bytes */
uint64_t
cfg_size(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T(CFG_SIZE));

	return v ? v->size : 0;
}

/* cfg_str - the text of any scalar value */
const char *
cfg_str(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T_SCALAR);

	return v ? v->text : NULL;
}

/* cfg_enum - index of a CFG_ENUM value's word */
int
cfg_enum(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T(CFG_ENUM));

	return v ? (int)v->num : -1;
}

/* cfg_regex - a compiled CFG_REGEX, NULL if unset or empty */
const regex_t *
cfg_regex(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T(CFG_REGEX));

	return v ? v->re : NULL;
}

/* cfg_list - the items of a list */
size_t
cfg_list(const struct cfg *cfg, const char *section, const char *sub,
    const char *key, const char *const **items)
{
	const struct cfg_value *v = get(cfg, section, sub, key,
	    T(CFG_LIST) | T(CFG_REGEXLIST));

	*items = v ? v->items : NULL;
	return v ? v->nitems : 0;
}

/* cfg_regexes - the compiled items of a CFG_REGEXLIST */
size_t
cfg_regexes(const struct cfg *cfg, const char *section, const char *sub,
    const char *key, const regex_t *const **res)
{
	const struct cfg_value *v = get(cfg, section, sub, key,
	    T(CFG_REGEXLIST));

	*res = v ? v->res : NULL;
	return v ? v->nitems : 0;
}

/* cfg_lineno - line of the value's (last) setting, 0 for a default */
int
cfg_lineno(const struct cfg *cfg, const char *section, const char *sub,
    const char *key)
{
	const struct cfg_value *v = get(cfg, section, sub, key, T_ANY);

	return v ? v->lineno : 0;
}

/* dump_section - one instance's effective values */
static int
dump_section(const struct cfg *cfg, FILE *fp, size_t def, const char *sub)
{
	const struct cfg_section_def	*d = &cfg_schema[def];
	const struct cfg_param		*p;
	const struct cfg_value		*v;
	size_t				 i, k;

	fprintf(fp, "\n# %s\n[%s%s%s]\n", d->doc, d->name, sub ? ":" : "",
	    sub ? sub : "");
	for (i = 0; i < d->nparams; i++) {
		p = &d->params[i];
		v = effective(cfg, def, sub, i);
		if (v == NULL)
			fprintf(fp, "# %s is not set\n", p->key);
		else if (!is_list(p->type))
			fprintf(fp, "%s=%s\n", p->key, v->text);
		else if ((p->flags & CFG_F_REPEAT) && v->nitems > 0)
			for (k = 0; k < v->nitems; k++)
				fprintf(fp, "%s=%s\n", p->key, v->items[k]);
		else {
			fprintf(fp, "%s=", p->key);
			for (k = 0; k < v->nitems; k++)
				fprintf(fp, "%s%s", k ? ", " : "", v->items[k]);
			fputc('\n', fp);
		}
	}
	return ferror(fp) ? -1 : 0;
}

/* cfg_dump - print the effective configuration, loadable again */
int
cfg_dump(const struct cfg *cfg, FILE *fp)
{
	const struct cfg_section	*s;
	size_t				 def;

	fprintf(fp, "# effective configuration of %s\n", cfg->name);
	for (def = 0; def < cfg_schema_len; def++) {
		if (!(cfg_schema[def].flags & CFG_S_NAMED) &&
		    dump_section(cfg, fp, def, NULL) == -1)
			return -1;
		for (s = cfg->first[def]; s != NULL; s = s->next)
			if (dump_section(cfg, fp, def, s->sub) == -1)
				return -1;
	}
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

/* addr_port - ":PORT" at s, 1..65535 */
static int
addr_port(const char *s, struct cfg_addr *a, char *why, size_t whylen)
{
	uint64_t	 port;

	if (*s != ':') {
		snprintf(why, whylen, "missing :PORT");
		return -1;
	}
	if (strlen(s + 1) > 5 || parse_ull(s + 1, strlen(s + 1), &port) == -1 ||
	    port == 0 || port > 65535) {
		snprintf(why, whylen, "bad port (1..65535)");
		return -1;
	}
	a->port = (unsigned)port;
	return 0;
}

/* cfg_addr_parse - split and check an address value */
int
cfg_addr_parse(const char *t, struct cfg_addr *a, char *why, size_t whylen)
{
	unsigned char	 bin[16];
	const char	*e;
	size_t		 n, i;

	memset(a, 0, sizeof(*a));
	if (*t == '/') {
		if (strlen(t) >= sizeof(a->path)) {
			snprintf(why, whylen, "socket path longer than %zu "
			    "bytes", sizeof(a->path) - 1);
			return -1;
		}
		strcpy(a->path, t);
		a->family = AF_UNIX;
		return 0;
	}
	if (*t == '[') {
		if ((e = strchr(t, ']')) == NULL || (n = (size_t)(e - t - 1)) >=
		    sizeof(a->host)) {
			snprintf(why, whylen, "bad [IPv6]:PORT");
			return -1;
		}
		memcpy(a->host, t + 1, n);
		if (inet_pton(AF_INET6, a->host, bin) != 1) {
			snprintf(why, whylen, "bad IPv6 address");
			return -1;
		}
		a->family = AF_INET6;
		return addr_port(e + 1, a, why, whylen);
	}
	if ((e = strrchr(t, ':')) == NULL) {
		snprintf(why, whylen, "not HOST:PORT, [IPv6]:PORT or "
		    "/socket/path");
		return -1;
	}
	if ((n = (size_t)(e - t)) == 0 || n >= sizeof(a->host)) {
		snprintf(why, whylen, "bad host");
		return -1;
	}
	if (memchr(t, ':', n) != NULL) {
		snprintf(why, whylen, "an IPv6 address needs brackets: "
		    "[ADDR]:PORT");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr(".-_*", t[i])) {
			snprintf(why, whylen, "bad host");
			return -1;
		}
	memcpy(a->host, t, n);
	if (inet_pton(AF_INET, a->host, bin) == 1)
		a->family = AF_INET;
	else if (strspn(a->host, "0123456789.") == n) {
		snprintf(why, whylen, "bad IPv4 address");
		return -1;
	} else if (strchr(a->host, '*') != NULL && strcmp(a->host, "*") != 0) {
		snprintf(why, whylen, "bad host");
		return -1;
	} else
		a->family = AF_UNSPEC;
	return addr_port(e, a, why, whylen);
}
