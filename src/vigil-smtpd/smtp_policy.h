/*
 * smtp_policy.h - vigil-smtpd's groups and rules ([smtpscan.group:NAME])
 *
 * A group holds sender and recipient address lists (POSIX extended
 * regexes, case-insensitive, searched in the address as written: the
 * guide's "presence of a line with the address ... according to POSIX
 * regex"; anchor with ^ and $ to match whole addresses),
 * and the rules for each status.  Mail guide 6.1: a message belongs to
 * the first group (file order) whose Senders match the sender and whose
 * Recipients match the recipient; an empty list matches any address;
 * [smtpscan.group:default] is tried last whatever its place, and when
 * the file has none, a built-in default group (schema defaults) is used.
 */
#ifndef VIGIL_SMTP_POLICY_H
#define VIGIL_SMTP_POLICY_H

#include <regex.h>
#include <stddef.h>

#include "cfg.h"

/* The statuses a message or one of its objects can have (worst first). */
enum sp_status {
	SP_INFECTED, SP_SUSPICIOUS, SP_WARNING, SP_CORRUPTED, SP_PROTECTED,
	SP_ERROR, SP_FILTERED, SP_CURED, SP_NSTATUS
};

/*
 * Actions (mail guide 5.2, 6.1.3):
 *	unchanged	the message as it came (plus result headers)
 *	cured		the cured copy; where there is none (not CURED), as
 *			remove
 *	remove		the offending objects replaced by a notice; when the
 *			offence is the message itself, no copy at all
 *	drop		no copy at all (vigil)
 * Admin*Action: what the administrator's notification carries: unchanged
 * = the original attached, cured = the cured copy attached, remove or
 * drop = the notice only.
 */
enum sp_action { SA_UNCHANGED, SA_CURED, SA_REMOVE, SA_DROP };

/*
 * The rule for one status, after per-status keys override generic ones.
 * Each field but quarantine comes from the first of: <S>Key set in the
 * group's section; Key set there; <S>Key's schema default (CURED: both
 * actions "cured"; PROTECTED: unchanged, notice to the recipients and the
 * administrator, not the sender); Key's schema default.  A generic key
 * written in the file thus beats a per-status schema default: mail guide
 * 5.2.1 ("the Sender*, Recipient* and Admin* parameters define the rules
 * for processing all object types"), and 5.2.2's urgent group, 5.2.4 and
 * 5.2.5 only do what their task text says this way.
 */
struct sp_rule {
	int		quarantine;	/* Quarantine && <S>Quarantine (unset: no) */
	int		admin_notify;
	enum sp_action	admin_action;
	int		sender_notify;
	int		rcpt_notify;
	int		rcpt_attach;	/* RecipientAttachReport */
	enum sp_action	rcpt_action;
};

struct sp_group {
	char		*name;		/* "default" for the default group */
	int		 check;		/* Check */
	int		 cure;		/* Cure */
	int		 xheaders;	/* AddXHeaders */
	const char	*qpath;		/* QuarantinePath, else [path]'s; NULL: none */
	const char	*admin;		/* AdminAddress */
	struct sp_rule	 rule[SP_NSTATUS];
	/* borrowed from the cfg: */
	const regex_t *const *senders;	size_t nsenders;
	const regex_t *const *rcpts;	size_t nrcpts;
	const regex_t *const *fname;	size_t nfname;	/* FilterByName */
	const regex_t *const *ftype;	size_t nftype;	/* FilterByMIME + FilterByType */
	/* private */
	const regex_t	**ftype_own;
};

struct sp_policy {
	struct sp_group	*g;		/* file order, default last */
	size_t		 n;
};

/*
 * sp_load - build the policy from a loaded configuration (which must
 * outlive it).  An *Action value other than unchanged, cured, remove,
 * drop (case-insensitive) is an error naming the file, the line and the
 * key ("vigil.conf:12: [smtpscan.group:users] RecipientAction: ...").
 * Returns 0, or -1 with the reason in err.
 */
int	sp_load(const struct cfg *, struct sp_policy *, char *err,
	    size_t errlen);
void	sp_free(struct sp_policy *);

/*
 * sp_match - the group of one (sender, recipient) pair; never NULL.
 * NULL addresses are matched as "" (the null sender <>); the default
 * group's own Senders and Recipients are not looked at.
 */
const struct sp_group *sp_match(const struct sp_policy *,
	    const char *sender, const char *rcpt);

/* sp_filter_name / sp_filter_type - 1 when a FilterByName regex matches
 * name / a FilterByMIME or FilterByType regex matches type (NULL: 0);
 * type's parameters (from ';') and surrounding blanks are ignored */
int	sp_filter_name(const struct sp_group *, const char *name);
int	sp_filter_type(const struct sp_group *, const char *type);

/* names: "INFECTED", ...; "unchanged", ... */
const char *sp_status_name(enum sp_status);
const char *sp_action_name(enum sp_action);
int	sp_action_parse(const char *, enum sp_action *);

#endif
