/*
 * vigil-scan_act.h - the OnInfected/OnSuspicious/... action rules
 *
 * A rule is one or more actions joined with ';' (the admin guide's
 * [scanner.object] and [scanner.container] keys OnInfected, OnSuspicious,
 * OnWarning, OnCorrupted, OnProtected, OnError, OnCured; default
 * ACT_DEFAULT_RULE).  Action words, case-insensitive:
 *
 *	inform | report		log only
 *	cure			ask the engine to disinfect
 *	remove | delete		unlink the file
 *	move DIR		move flat into DIR (name clash: .1, .2, ...)
 *	movePath DIR		move to DIR/<full original path> (dirs 0700)
 *	copy DIR, copyPath DIR	the same, leaving the original in place
 *	quarantine		hand the file to the quarantine
 *	exec COMMAND		run COMMAND (see below)
 *	shell COMMAND		run COMMAND with /bin/sh -c, always
 *	skip | none | pass	do nothing
 *
 * DIR is an absolute path, the rest of the segment.  After exec or shell,
 * a ';'-separated segment that does not start with an action word (and a
 * ';' inside quotes) belongs to the same command: "exec mv A B; chmod -x B"
 * is one command of two.  A command named like an action word therefore
 * ends the command list.
 *
 * Variables in a command: %FULLPATH% %FILENAME% %VIRUSNAME% %STATUS%
 * %OBJECT% %LIST% %SIZE% %DATE% (upper case), %% is a '%'; any other
 * %NAME% stays literal.  A command without shell metacharacters
 * ( | & ; < > ( ) $ ` \ " ' * ? [ ] ~ { } # newline ) outside its
 * variables is split into words at blanks first and the variables are
 * expanded inside each word, so each word is exactly one argument
 * whatever the values hold; it is run with execve(2), no shell.  Any
 * other command (or "shell") runs under /bin/sh -c after
 * act_shell_script() replaced each variable with a quoted expansion of
 * the environment variable VIGIL_<NAME>: values never become shell
 * syntax.  Both forms see the VIGIL_* variables in their environment.
 */
#ifndef VIGIL_SCAN_ACT_H
#define VIGIL_SCAN_ACT_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define ACT_DEFAULT_RULE	"report"
#define ACT_RULE_MAX		4096	/* bytes of rule text */
#define ACT_LIST_MAX		16	/* actions in a rule */
#define ACT_EXEC_TIMEOUT	60	/* seconds, when 0 is passed */
#define ACT_KILL_GRACE		5	/* seconds from SIGTERM to SIGKILL */

enum act_kind {
	ACT_INFORM, ACT_CURE, ACT_REMOVE, ACT_MOVE, ACT_MOVEPATH, ACT_COPY,
	ACT_COPYPATH, ACT_QUARANTINE, ACT_EXEC, ACT_SKIP
};

struct act {
	enum act_kind	 kind;
	char		*arg;	/* DIR, the command template, or NULL */
	int		 shell;	/* ACT_EXEC: run under /bin/sh -c */
};

struct act_list {
	struct act	*v;
	size_t		 n;
};

/*
 * act_parse - parse rule text into out (owned by the caller, release with
 * act_list_free).  Returns 0, or -1 with a reason in err and out empty.
 */
int	 act_parse(const char *text, struct act_list *out, char *err,
	    size_t errlen);
void	 act_list_free(struct act_list *);	/* leaves it empty */
int	 act_has(const struct act_list *, enum act_kind);

/* values of the %VARIABLES%; NULL reads as "" */
struct act_vars {
	const char	*fullpath;	/* directory, absolute, no trailing / */
	const char	*filename;	/* base name */
	const char	*virusname;	/* threat names joined with ", " */
	const char	*status;
	const char	*object;	/* path inside the container, or "" */
	const char	*list;		/* temp file: object\tstatus\tthreat */
	uint64_t	 size;
};

/*
 * act_exec - run an ACT_EXEC action and wait for it.  The child has
 * stdin on /dev/null, stdout and stderr inherited, no other descriptor,
 * default signal dispositions and its own process group.  After
 * timeout_s seconds (0: ACT_EXEC_TIMEOUT) the group gets SIGTERM, and
 * SIGKILL ACT_KILL_GRACE seconds later.  Returns the exit status
 * (0..255), 128+signal when killed, or -1 with err set when the command
 * could not be started (not found, too long, fork or exec failed).
 * The caller must not have SIGCHLD set to SIG_IGN.
 */
int	 act_exec(const struct act *, const struct act_vars *,
	    unsigned timeout_s, char *err, size_t errlen);

/*
 * act_shell_script - rewrite a command template into a /bin/sh script:
 * each known %VAR% becomes "${VIGIL_VAR}" (${VIGIL_VAR} inside double
 * quotes; '"${VIGIL_VAR}"' inside single quotes), %% becomes %.  The
 * output never contains a known %VAR% token.  Appends to out; 0, or -1
 * (+errno: E2BIG past out's cap, ENOMEM).
 */
int	 act_shell_script(const char *tmpl, struct strbuf *out);

/*
 * act_relocate - move or copy the regular file path into the action's
 * DIR (ACT_MOVE, ACT_MOVEPATH, ACT_COPY, ACT_COPYPATH).  Never follows
 * a symlink at the source's last component or in the directories it
 * creates under DIR (0700); never overwrites (a clash appends .1, .2,
 * ...); keeps mode minus set-id bits and times; across file systems a
 * move is copy + fsync + unlink.  DIR itself is created (one level, 0700)
 * when missing.  dest_out (may be NULL) gets the final path.  0, or -1
 * with err set.
 */
int	 act_relocate(const struct act *, const char *path, char *dest_out,
	    size_t destcap, char *err, size_t errlen);

/* act_remove - unlink a regular file; refuses directories and symlinks */
int	 act_remove(const char *path, char *err, size_t errlen);

/* act_describe - "movePath /tmp/infected; exec ..." into buf (truncated) */
void	 act_describe(const struct act_list *, char *buf, size_t cap);

#endif
