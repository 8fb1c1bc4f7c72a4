/*
 * cfg.h - the configuration reader every vigil program uses
 *
 * One INI file (vigil.conf) holds every program's sections.  The schema
 * (cfg_schema.c, one table, like Postfix's mail_params.h) declares every
 * section and parameter with its type, default and range; cfg_load()
 * reads a file, validates every line against the schema and returns a
 * struct cfg that the typed getters below read.  The runtime never sees
 * configuration text.
 *
 * File syntax:
 *	# comment			; comment	(whole lines only)
 *	[section]			[section:NAME]
 *	Key = value			(whitespace around key and value trimmed)
 *	Key = first part \		(a trailing backslash continues the
 *	      second part		 value on the next non-blank line; the
 *					 backslash and line break are removed)
 * Section and key names match case-insensitively (so do NAMEs); messages
 * use the schema's spelling.  Whitespace inside [ ] and inside a key is
 * ignored ("[i capserver.protocol]" is [icapserver.protocol]): text
 * extracted from the guides' PDFs has such spaces.  A '#' after a value
 * is part of the value.  A UTF-8 byte-order mark is skipped; CRLF ends
 * are accepted; NUL and other control bytes (but tab) are errors.
 *
 * Types (enum cfg_type):
 *	bool	 yes/no, true/false, on/off, 1/0
 *	int	 decimal, range-checked; CFG_F_UNLIMITED: 0 also allowed
 *	size	 bytes, optional suffix K M G T (x1024), optional trailing B
 *	duration seconds, optional suffix s m h d
 *	mode	 octal file mode, 0..07777
 *	string	 any text; path: an absolute path or empty (= off)
 *	enum	 one of the schema's words; cfg_str() gives the schema spelling
 *	list	 items separated by commas or blanks (CFG_F_COMMA: commas only)
 *	regex	 POSIX extended, compiled at load (REG_NOSUB, CFG_F_ICASE)
 *	regexlist comma-separated regexes (commas inside [] () {} do not
 *		 split), each compiled at load
 *	address	 host:port, [v6addr]:port or /unix/socket/path; empty = off
 *	action	 free text validated by the program that runs it
 * A key may appear once per section instance, except keys flagged
 * CFG_F_REPEAT (lists only): each occurrence appends its items.
 *
 * Errors are collected (up to CFG_MAX_ERRORS) as lines of the form
 *	FILE:LINE: [section] key: reason
 * ("FILE:LINE: [section]: reason" for a header, "FILE: reason" for the
 * file itself) and loading fails if there is any.
 *
 * Defaults in the schema may use @DATADIR@, @SYSCONFDIR@, @LOCALSTATEDIR@;
 * they are replaced from struct cfg_dirs at load.
 *
 * Bounds: file CFG_MAX_FILE bytes, physical and joined line CFG_MAX_LINE
 * bytes, CFG_MAX_SECTIONS section instances, regexes CFG_MAX_REGEX bytes
 * each with counted repetitions bounded so compilation stays cheap.
 */
#ifndef VIGIL_CFG_H
#define VIGIL_CFG_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_FILE		(1024 * 1024)
#define CFG_MAX_LINE		8192
#define CFG_MAX_SECTIONS	10000
#define CFG_MAX_ERRORS		20
#define CFG_MAX_REGEX		1024

enum cfg_type {
	CFG_BOOL, CFG_INT, CFG_SIZE, CFG_DURATION, CFG_MODE, CFG_STR,
	CFG_PATH, CFG_ENUM, CFG_LIST, CFG_REGEX, CFG_REGEXLIST, CFG_ADDR,
	CFG_ACTION
};

/* parameter flags */
#define CFG_F_REPEAT	0x01	/* list: key may repeat, items append */
#define CFG_F_UNLIMITED	0x02	/* int/size/duration: 0 = unlimited */
#define CFG_F_ICASE	0x04	/* regex: match case-insensitively */
#define CFG_F_NOSPACE	0x08	/* blanks inside the value are dropped */
#define CFG_F_COMMA	0x10	/* list: only commas separate items */
#define CFG_F_PATHS	0x20	/* list: each item is an absolute path */
#define CFG_F_COMMON	0x40	/* shown (commented) in etc/vigil/vigil.conf */

/* section flags */
#define CFG_S_NAMED	0x01	/* only [name:NAME] */
#define CFG_S_OPTNAMED	0x02	/* [name] and [name:NAME]; a named
				   instance inherits what it does not set
				   from [name] */

struct cfg_param {
	const char	*key;		/* the guides' spelling */
	enum cfg_type	 type;
	const char	*def;		/* default text; NULL: unset */
	long long	 min, max;	/* int/size/duration; max 0: none */
	const char	*words;		/* enum: "standard|extended|paranoid" */
	unsigned	 flags;		/* CFG_F_* */
	const char	*doc;		/* one line, with the default's reason */
};

struct cfg_section_def {
	const char		*name;	/* "scanner.options" */
	unsigned		 flags;	/* CFG_S_* */
	const struct cfg_param	*params;
	size_t			 nparams;
	const char		*doc;
};

/* The schema: every section vigil knows (cfg_schema.c). */
extern const struct cfg_section_def	cfg_schema[];
extern const size_t			cfg_schema_len;

struct cfg;		/* a loaded, validated configuration */
struct cfg_section;	/* one [name] or [name:NAME] instance of the file */

/*
 * Directories substituted into schema defaults.  datadir is vigil's own
 * state directory (databases, cache, licenses, quarantine; e.g.
 * /var/lib/vigil), sysconfdir the directory of vigil.conf (e.g.
 * /etc/vigil), localstatedir the system's /var.  A NULL struct or field
 * means those examples.
 */
struct cfg_dirs {
	const char	*datadir;
	const char	*sysconfdir;
	const char	*localstatedir;
};

/*
 * cfg_load - read and validate path; NULL path: schema defaults only.
 * Returns a new cfg (free with cfg_free) or NULL; on NULL, err holds the
 * messages, newline-separated, NUL-terminated, truncated to errlen (err
 * may be NULL when errlen is 0).  Does not log.
 */
struct cfg	*cfg_load(const char *path, const struct cfg_dirs *,
		    char *err, size_t errlen);
/*
 * cfg_load_buffer - same, from len bytes at buf; name is used in
 * messages.  buf need not be NUL-terminated; it is not kept.
 */
struct cfg	*cfg_load_buffer(const char *name, const char *buf, size_t len,
		    const struct cfg_dirs *, char *err, size_t errlen);
void		 cfg_free(struct cfg *);	/* NULL is a no-op */

/*
 * cfg_load_program - a program's configuration: path when given; else
 * dirs->sysconfdir/vigil.conf when that file exists (an unreadable one is
 * an error, not the defaults); else the schema defaults.  cfg_filename()
 * then names what was read.  Errors as cfg_load.
 */
struct cfg	*cfg_load_program(const char *path, const struct cfg_dirs *,
		    char *err, size_t errlen);

/*
 * cfg_path_key - a directory key a program section may override: the
 * section's value when set and non-empty, else [path]'s; NULL when both
 * are empty (the feature is off)
 */
const char	*cfg_path_key(const struct cfg *, const char *section,
		    const char *key);

/* cfg_filename - the name given to cfg_load*(), for messages */
const char	*cfg_filename(const struct cfg *);

/*
 * Section instances present in the file.  sub NULL means [name].  All
 * pointers are borrowed and live as long as the cfg.
 * cfg_next: the [name:NAME] instances in file order; prev NULL gives the
 * first; returns NULL after the last.
 */
const struct cfg_section *cfg_section(const struct cfg *, const char *name,
		    const char *sub);
const struct cfg_section *cfg_next(const struct cfg *, const char *name,
		    const struct cfg_section *prev);
const char	*cfg_subname(const struct cfg_section *);	/* NULL: [name] */
int		 cfg_section_lineno(const struct cfg_section *);

/*
 * Typed getters: the value set in [section:sub] (sub NULL: [section]),
 * else, for CFG_S_OPTNAMED sections, the value set in [section], else the
 * schema default.  section and key must be in the schema and the getter
 * must suit the key's type, else VG_ASSERT (a program bug).  A key
 * without a default that the file does not set reads as 0, NULL, an
 * empty list or -1 (cfg_enum); cfg_isset() tells it apart.
 * Strings live as long as the cfg.
 *	cfg_bool	CFG_BOOL			1 or 0
 *	cfg_int		CFG_INT, CFG_DURATION (seconds), CFG_MODE
 *	cfg_size	CFG_SIZE (bytes; 0 may mean unlimited, see schema)
 *	cfg_str		any type but lists: the value's text (enum: the
 *			schema's word, bool: "yes"/"no")
 *	cfg_enum	CFG_ENUM: index of the word in the schema's list
 *	cfg_regex	CFG_REGEX: compiled; NULL when unset or empty
 *	cfg_list	CFG_LIST, CFG_REGEXLIST: item count, *items the texts
 *	cfg_regexes	CFG_REGEXLIST: count, *res the compiled regexes,
 *			parallel to cfg_list's items
 *	cfg_lineno	any: line of the (last) setting, 0 when defaulted
 */
int		 cfg_isset(const struct cfg *, const char *section,
		    const char *sub, const char *key);
int		 cfg_bool(const struct cfg *, const char *section,
		    const char *sub, const char *key);
long long	 cfg_int(const struct cfg *, const char *section,
		    const char *sub, const char *key);
uint64_t	 cfg_size(const struct cfg *, const char *section,
		    const char *sub, const char *key);
const char	*cfg_str(const struct cfg *, const char *section,
		    const char *sub, const char *key);
int		 cfg_enum(const struct cfg *, const char *section,
		    const char *sub, const char *key);
const regex_t	*cfg_regex(const struct cfg *, const char *section,
		    const char *sub, const char *key);
size_t		 cfg_list(const struct cfg *, const char *section,
		    const char *sub, const char *key,
		    const char *const **items);
size_t		 cfg_regexes(const struct cfg *, const char *section,
		    const char *sub, const char *key,
		    const regex_t *const **res);
int		 cfg_lineno(const struct cfg *, const char *section,
		    const char *sub, const char *key);

/*
 * cfg_dump - print the effective configuration (every schema section
 * without a NAME, then every named instance of the file) as a file that
 * cfg_load accepts.  Returns 0, or -1 + errno on a write error.
 */
int		 cfg_dump(const struct cfg *, FILE *);

/*
 * cfg_addr_parse - split an address value: "/path" (AF_UNIX),
 * "[v6]:port" (AF_INET6), "a.b.c.d:port" (AF_INET), "name:port" or
 * "*:port" (AF_UNSPEC: resolve; "*" means any).  Returns 0, or -1 with a
 * reason in why.  cfg_load validates every CFG_ADDR value with it.
 */
struct cfg_addr {
	int		 family;
	char		 host[256];	/* without brackets */
	char		 path[108];	/* AF_UNIX */
	unsigned	 port;
};
int		 cfg_addr_parse(const char *text, struct cfg_addr *,
		    char *why, size_t whylen);

#endif
