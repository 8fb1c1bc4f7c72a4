/*
 * cfg_schema.c - every section and parameter of vigil.conf, declared once
 *
 * DESIGN: one table per section, one row per parameter: the guides' name,
 * type, default, range and a line of documentation (Postfix's
 * mail_params.h).  cfg.c validates files against it, cfg_dump() and
 * etc/vigil/vigil.conf print from it, programs read values by the names
 * used here.  Names come from the two administrator guides where they
 * exist; rows marked "vigil:" are ours, for what the guides do not cover
 * (the scanning daemon, web administration, limits the guides leave
 * implicit).  Where the guides give no default, the doc says why we chose
 * ours.  Defaults may use @DATADIR@ (e.g. /var/lib/vigil), @SYSCONFDIR@
 * (e.g. /etc/vigil) and @LOCALSTATEDIR@ (/var).
 *
 * Actions (CFG_ACTION) are free text that the program validates:
 * vigil-scan's On* rules take "report", "cure", "remove", "quarantine",
 * "movePath DIR" and "exec COMMAND", several separated by ';' (mail
 * guide 5.3.4); vigil-smtpd's *Action keys take "unchanged", "cured" and
 * "remove" (mail guide 5.2).
 */
#include <stddef.h>

#include "cfg.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* one macro per type keeps a row on one line */
#define P_BOOL(k, d, f, doc)	{ k, CFG_BOOL, d, 0, 0, NULL, f, doc }
#define P_INT(k, d, lo, hi, f, doc) { k, CFG_INT, d, lo, hi, NULL, f, doc }
#define P_SIZE(k, d, lo, hi, f, doc) { k, CFG_SIZE, d, lo, hi, NULL, f, doc }
#define P_DUR(k, d, lo, hi, f, doc) { k, CFG_DURATION, d, lo, hi, NULL, f, doc }
#define P_MODE(k, d, f, doc)	{ k, CFG_MODE, d, 0, 07777, NULL, f, doc }
#define P_STR(k, d, f, doc)	{ k, CFG_STR, d, 0, 0, NULL, f, doc }
#define P_PATH(k, d, f, doc)	{ k, CFG_PATH, d, 0, 0, NULL, f, doc }
#define P_ENUM(k, d, w, f, doc)	{ k, CFG_ENUM, d, 0, 0, w, f, doc }
#define P_LIST(k, d, f, doc)	{ k, CFG_LIST, d, 0, 0, NULL, f, doc }
#define P_RE(k, d, f, doc)	{ k, CFG_REGEX, d, 0, 0, NULL, f, doc }
#define P_RELIST(k, d, f, doc)	{ k, CFG_REGEXLIST, d, 0, 0, NULL, f, doc }
#define P_ADDR(k, d, f, doc)	{ k, CFG_ADDR, d, 0, 0, NULL, f, doc }
#define P_ACT(k, d, f, doc)	{ k, CFG_ACTION, d, 0, 0, NULL, f, doc }

#define C	CFG_F_COMMON
#define U	CFG_F_UNLIMITED
#define SETS	"standard|extended|paranoid"
#define KB	1024LL
#define MB	(1024LL * 1024)
#define GB	(1024LL * 1024 * 1024)

/*
 * Engine limits, shared by every component that scans.  0 means
 * unlimited; the defaults are what a busy gateway survives: a 100 MiB
 * object, 400 MiB unpacked per object, 17 levels, 10 000 members, 250:1
 * compression.
 */
#define ENGINE_LIMITS(scantime)						\
	P_SIZE("MaxFileSize", "100M", 0, 0, U | C,			\
	    "largest object (or member) scanned; larger ones: ERROR"),	\
	P_SIZE("MaxScanSize", "400M", 0, 0, U,				\
	    "most bytes unpacked and scanned per top-level object"),	\
	P_INT("MaxRecursion", "17", 1, 64, U,				\
	    "deepest container nesting"),				\
	P_INT("MaxFiles", "10000", 1, 10000000, U,			\
	    "most members scanned per top-level object"),		\
	P_INT("MaxRatio", "250", 1, 1000000, U,				\
	    "highest unpacked:packed ratio before a member is ERROR"),	\
	P_DUR("MaxScanTime", scantime, 1, 86400, U | C,			\
	    "longest scan of one top-level object; then ERROR")

static const struct cfg_param path_params[] = {
	P_PATH("BasesPath", "@DATADIR@/db", C,
	    "signature database directory"),
	P_PATH("CachePath", "@LOCALSTATEDIR@/cache/vigil", 0,
	    "vigil: compiled databases and the persistent verdict cache"),
	P_PATH("LicensePath", "@DATADIR@/licenses", C,
	    "license key directory (mail guide 5.4.3)"),
	P_PATH("QuarantinePath", "@DATADIR@/quarantine", C,
	    "vigil: quarantine used when a component sets none"),
	P_PATH("BackupPath", "", 0,
	    "vigil: backup copies before cure or removal; empty: no "
	    "backup (mail guide 5.3.5: off by default)"),
	P_PATH("TempPath", "@LOCALSTATEDIR@/spool/vigil", 0,
	    "vigil: spool for messages and HTTP bodies being scanned"),
	P_PATH("TemplatesPath", "@SYSCONFDIR@/templates", 0,
	    "vigil: notification and block-page templates"),
	P_PATH("LogPath", "@LOCALSTATEDIR@/log/vigil", 0,
	    "vigil: directory of report files named without a path"),
};

static const struct cfg_param scanner_path_params[] = {
	P_PATH("BackupPath", "", C,
	    "backup before cure or removal (mail guide 5.3.5); empty: "
	    "[path] BackupPath"),
	P_PATH("QuarantinePath", "", 0,
	    "vigil: quarantine for vigil-scan; empty: [path] "
	    "QuarantinePath"),
};

static const struct cfg_param scanner_options_params[] = {
	P_BOOL("Recursion", "yes", C, "descend into directories"),
	P_BOOL("Cure", "no", C,
	    "cure infected files (mail guide 4.1: no cure by default)"),
	P_BOOL("Packed", "yes", C, "unpack executable packers"),
	P_BOOL("Archives", "yes", C, "scan inside archives"),
	P_BOOL("SelfExtArchives", "yes", 0, "scan self-extracting archives"),
	P_BOOL("MailBases", "yes", 0, "scan mailbox files"),
	P_BOOL("MailPlain", "yes", 0, "scan single mail messages (.eml)"),
	P_BOOL("Heuristic", "yes", C, "heuristic analysis (SUSPICIOUS)"),
	P_ENUM("DatabaseSet", "standard", SETS, C,
	    "signature set used by vigil-scan"),
	ENGINE_LIMITS("300s"),
	P_LIST("ExcludeDir", "", CFG_F_REPEAT | CFG_F_COMMA | CFG_F_PATHS | C,
	    "directories not scanned (mail guide 5.3.4); repeatable"),
	P_LIST("ExcludeMask", "", CFG_F_REPEAT | CFG_F_COMMA | C,
	    "shell patterns of file names not scanned; repeatable"),
	P_INT("Threads", "0", 0, 256, 0,
	    "vigil: scanning threads; 0: one per CPU"),
	P_BOOL("LocalFS", "no", 0, "vigil: stay on local file systems"),
	P_BOOL("FollowSymlinks", "no", 0,
	    "vigil: follow symbolic links to directories"),
	P_BOOL("UseCache", "yes", 0,
	    "vigil: skip files whose verdict is cached (iChecker)"),
	P_BOOL("UseDaemon", "no", 0,
	    "vigil: scan through vigild instead of in-process"),
	P_ADDR("VigildAddress", "/run/vigil/vigild.sock", 0,
	    "vigil: the scanning daemon, for UseDaemon"),
};

static const struct cfg_param report_params_scanner[] = {
	P_PATH("ReportFileName", "", C,
	    "report file; empty: standard output only"),
	P_BOOL("Append", "no", C, "append to the report file"),
	P_INT("ReportLevel", "3", 0, 4, 0,
	    "0 off, 1 errors, 2 warnings, 3 information, 4 debug"),
	P_BOOL("ShowOk", "no", C, "also report CLEAN objects"),
	P_BOOL("ShowContainerResultOnly", "no", 0,
	    "vigil: report a container's verdict, not its members'"),
	P_MODE("ReportFilePermission", "0640", 0, "report file mode"),
	P_ENUM("ReportFormat", "text", "text|json", 0,
	    "vigil: key=value lines or JSON lines"),
};

/* scanner.object and scanner.container: what vigil-scan does per status */
static const struct cfg_param scanner_rules_params[] = {
	P_ACT("OnInfected", "report", C,
	    "INFECTED (report only: mail guide 4.1)"),
	P_ACT("OnSuspicious", "report", C, "SUSPICIOUS"),
	P_ACT("OnWarning", "report", 0, "WARNING (like a known threat)"),
	P_ACT("OnCorrupted", "report", 0, "CORRUPTED"),
	P_ACT("OnProtected", "report", 0, "PROTECTED (encrypted)"),
	P_ACT("OnError", "report", 0, "ERROR (not scanned, limit hit)"),
	P_ACT("OnCured", "report", 0, "CURED"),
};

static const struct cfg_param smtpscan_general_params[] = {
	P_ADDR("ListenAddress", "127.0.0.1:10025", C,
	    "vigil: TCP listener (mail guide 4.4.3: Postfix content_filter "
	    "lmtp:localhost:10025)"),
	P_ENUM("Protocol", "lmtp", "smtp|lmtp", C,
	    "protocol spoken to the upstream MTA (mail guide 1.1)"),
	P_STR("ForwardMailer", "smtp:127.0.0.1:10026", C,
	    "smtp:HOST:PORT, lmtp:HOST:PORT, smtp:(COMMAND), "
	    "lmtp:(COMMAND) or qmail:(QMAIL-QUEUE) (mail guide 4.4.5)"),
	P_STR("NotifyFromAddress", "MAILER-DAEMON@localhost", C,
	    "sender of notifications (mail guide 4.1)"),
	P_ENUM("DatabaseSet", "standard", SETS, 0,
	    "signature set for mail (mail guide 1.1)"),
	P_ADDR("VigildAddress", "/run/vigil/vigild.sock", 0,
	    "vigil: the scanning daemon"),
	P_BOOL("XForward", "yes", 0,
	    "vigil: pass XFORWARD attributes downstream (mail guide 1.1)"),
	P_PATH("NotifyTemplateDir", "@DATADIR@/mail", C,
	    "vigil: notification templates admin.txt, sender.txt, "
	    "recipient.txt, report.txt, notice.txt, failure.txt (macros "
	    "in README)"),
	P_PATH("SpoolDirectory", "@LOCALSTATEDIR@/spool/vigil", C,
	    "vigil: where messages are spooled while they are scanned "
	    "(unlinked files; nothing is left after a crash)"),
	P_STR("Hostname", "", 0,
	    "vigil: name in the greeting and in EHLO; empty: the host's"),
	P_STR("User", "vigil", 0, "vigil: unprivileged user"),
	P_STR("Group", "vigil", 0, "vigil: unprivileged group"),
	P_PATH("PidFile", "/run/vigil/vigil-smtpd.pid", 0, "vigil: pid file"),
	P_PATH("ControlSocket", "/run/vigil/vigil-smtpd.ctl", 0,
	    "vigil: vigilctl control socket"),
	P_ADDR("MetricsAddress", "", 0,
	    "vigil: Prometheus endpoint; empty: off"),
};

static const struct cfg_param smtpscan_limits_params[] = {
	P_DUR("MaxCheckTime", "60s", 1, 86400, U | C,
	    "longest scan of one message (mail guide 4.4.5); then ERROR"),
	P_SIZE("MaxMessageSize", "50M", 0, 0, U | C,
	    "vigil: larger messages are refused with 552"),
	P_INT("MaxConnections", "100", 1, 100000, 0,
	    "vigil: simultaneous SMTP/LMTP sessions"),
	P_INT("MaxRecipients", "1000", 1, 100000, 0,
	    "vigil: recipients per message"),
	P_DUR("Timeout", "300s", 1, 86400, 0,
	    "vigil: idle SMTP session (RFC 5321 suggests 5 minutes)"),
	P_SIZE("MaxFileSize", "100M", 0, 0, U, "as [scanner.options]"),
	P_SIZE("MaxScanSize", "400M", 0, 0, U, "as [scanner.options]"),
	P_INT("MaxRecursion", "17", 1, 64, U, "as [scanner.options]"),
	P_INT("MaxFiles", "10000", 1, 10000000, U, "as [scanner.options]"),
	P_INT("MaxRatio", "250", 1, 1000000, U, "as [scanner.options]"),
};

/*
 * Per-status overrides of the generic Admin*, Sender*, Recipient* and
 * Quarantine keys: unset means "use the generic key" (mail guide 5.2.1:
 * "Any rules set for a certain object have higher priority").
 */
#define GROUP_STATUS(s)							\
	P_BOOL(s "Quarantine", NULL, 0, "quarantine " s " objects"),	\
	P_BOOL(s "AdminNotify", NULL, 0, "unset: AdminNotify"),		\
	P_ACT(s "AdminAction", NULL, 0, "unset: AdminAction"),		\
	P_BOOL(s "SenderNotify", NULL, 0, "unset: SenderNotify"),	\
	P_BOOL(s "RecipientNotify", NULL, 0, "unset: RecipientNotify"),	\
	P_BOOL(s "RecipientAttachReport", NULL, 0,			\
	    "unset: RecipientAttachReport"),				\
	P_ACT(s "RecipientAction", NULL, 0, "unset: RecipientAction")

static const struct cfg_param smtpscan_group_params[] = {
	P_RELIST("Senders", "", CFG_F_REPEAT | CFG_F_ICASE | C,
	    "vigil: sender address regexes; empty: any (mail guide 6.1)"),
	P_RELIST("Recipients", "", CFG_F_REPEAT | CFG_F_ICASE | C,
	    "vigil: recipient address regexes; empty: any"),
	P_BOOL("Check", "yes", C, "scan this group's mail"),
	P_BOOL("Cure", "yes", 0, "cure infected messages (mail guide 4.1)"),
	P_BOOL("AddXHeaders", "yes", 0,
	    "add X-Vigil-* result headers (mail guide 1.1)"),
	P_PATH("QuarantinePath", "", C, "empty: [path] QuarantinePath"),
	P_BOOL("Quarantine", "no", C,
	    "quarantine objects whose *Quarantine key is yes"),
	P_STR("AdminAddress", "postmaster@localhost", C,
	    "group administrator (mail guide 4.1)"),
	P_BOOL("AdminNotify", "yes", C, "notify the administrator"),
	P_ACT("AdminAction", "remove", C,
	    "copy to the administrator: unchanged, cured or remove "
	    "(notice only: no virus mailed by default)"),
	P_BOOL("SenderNotify", "yes", C, "notify the sender (mail guide 4.1)"),
	P_BOOL("RecipientNotify", "yes", C, "notify the recipients"),
	P_BOOL("RecipientAttachReport", "yes", 0,
	    "attach the scan report to the recipients' copy"),
	P_ACT("RecipientAction", "remove", C,
	    "unchanged, cured or remove (mail guide 4.1: uncurable "
	    "messages are deleted)"),
	P_RELIST("FilterByName", "", CFG_F_REPEAT | CFG_F_ICASE | C,
	    "attachment file names to filter (FILTERED; mail guide 5.2.5)"),
	P_RELIST("FilterByMIME", "", CFG_F_REPEAT | CFG_F_ICASE,
	    "attachment MIME types to filter, declared (Content-Type) or "
	    "detected from the content (mail guide 1: by type)"),
	P_RELIST("FilterByType", "", CFG_F_REPEAT | CFG_F_ICASE,
	    "vigil: same as FilterByMIME; both lists apply"),
	GROUP_STATUS("Infected"),
	GROUP_STATUS("Suspicious"),
	GROUP_STATUS("Warning"),
	GROUP_STATUS("Corrupted"),
	GROUP_STATUS("Error"),
	GROUP_STATUS("Filtered"),
	/* mail guide 4.1: cured messages are delivered cured */
	P_BOOL("CuredQuarantine", NULL, 0, "quarantine CURED originals"),
	P_BOOL("CuredAdminNotify", NULL, 0, "unset: AdminNotify"),
	P_ACT("CuredAdminAction", "cured", 0, "cured copy"),
	P_BOOL("CuredSenderNotify", NULL, 0, "unset: SenderNotify"),
	P_BOOL("CuredRecipientNotify", NULL, 0, "unset: RecipientNotify"),
	P_BOOL("CuredRecipientAttachReport", NULL, 0,
	    "unset: RecipientAttachReport"),
	P_ACT("CuredRecipientAction", "cured", C, "deliver cured"),
	/* mail guide 5.2.3: protected archives delivered unscanned, with a
	   notice to the recipient and the administrator */
	P_BOOL("ProtectedQuarantine", NULL, 0, "quarantine PROTECTED objects"),
	P_BOOL("ProtectedAdminNotify", "yes", 0, "notify the administrator"),
	P_ACT("ProtectedAdminAction", NULL, 0, "unset: AdminAction"),
	P_BOOL("ProtectedSenderNotify", "no", 0, "notify the sender"),
	P_BOOL("ProtectedRecipientNotify", "yes", 0, "notify the recipients"),
	P_BOOL("ProtectedRecipientAttachReport", "yes", C,
	    "attach the notice to the recipients' copy"),
	P_ACT("ProtectedRecipientAction", "unchanged", 0, "deliver as is"),
};

static const struct cfg_param report_params_daemon[] = {
	P_PATH("ReportFileName", "", C, "report file; empty: syslog"),
	P_BOOL("Append", "yes", 0, "append to the report file"),
	P_INT("ReportLevel", "3", 0, 4, C,
	    "0 off, 1 errors, 2 warnings, 3 information, 4 debug"),
	P_BOOL("ShowOk", "no", C, "also log CLEAN objects"),
	P_MODE("ReportFilePermission", "0640", 0,
	    "report file mode (mail guide 5.2.1)"),
	P_ENUM("ReportFormat", "text", "text|json", 0,
	    "vigil: key=value lines or JSON lines"),
};

static const struct cfg_param smtpscan_license_params[] = {
	P_RELIST("LicenseDomain", "", CFG_F_REPEAT | CFG_F_ICASE |
	    CFG_F_NOSPACE | C,
	    "protected mail domains, POSIX regexes separated by commas "
	    "(mail guide 5.4.1)"),
	P_INT("ExpiryNoticeDays", "14", 0, 365, 0,
	    "days before expiry to start notices (mail guide 5.4.1)"),
};

static const struct cfg_param updater_options_params[] = {
	P_BOOL("KeepSilent", "no", 0, "no output on the console"),
	P_STR("UpdateServerUrl", "", C,
	    "http://, https://, ftp://, file:// URL or directory"),
	P_BOOL("UseUpdateServerUrl", "no", C,
	    "try UpdateServerUrl first (mail guide 5.1.1)"),
	P_BOOL("UseUpdateServerUrlOnly", "no", C,
	    "do not fall back to the mirror list"),
	P_PATH("MirrorsFile", "@SYSCONFDIR@/mirrors.list", 0,
	    "vigil: update sources, one URL a line (the guides' updcfg.xml)"),
	P_BOOL("UseProxy", "yes", C,
	    "use ProxyAddress, or http_proxy when it is empty (mail guide "
	    "5.1.5: missing means yes)"),
	P_STR("ProxyAddress", "", C, "http://user:password@host:port"),
	P_STR("PostUpdateCmd", "vigilctl reload-db", C,
	    "run after a successful update (mail guide 5.1)"),
	P_LIST("TrustedKeys", "@SYSCONFDIR@/update.pub",
	    CFG_F_REPEAT | CFG_F_COMMA | CFG_F_PATHS | C,
	    "vigil: public key files whose signatures are trusted "
	    "(vigil-dbtool keygen)"),
	P_ENUM("ServerOrder", "random", "random|listed", 0,
	    "vigil: order of the MirrorsFile servers (guides: random)"),
	P_DUR("ConnectTimeout", "30s", 1, 3600, 0, "vigil: per connection"),
	P_DUR("Timeout", "600s", 1, 86400, 0, "vigil: per download"),
	P_BOOL("PassiveFtp", "yes", 0, "vigil: passive FTP"),
	P_INT("KeepOldBases", "2", 0, 10, 0,
	    "vigil: previous database versions kept for --rollback"),
};

static const struct cfg_param icap_network_params[] = {
	P_ADDR("ListenAddress", "127.0.0.1:1344", C,
	    "ICAP listener (proxy guide: localhost:1344)"),
	P_DUR("Timeout", "300s", 1, 86400, 0, "vigil: idle ICAP connection"),
	P_ADDR("VigildAddress", "/run/vigil/vigild.sock", 0,
	    "vigil: the scanning daemon"),
};

static const struct cfg_param icap_process_params[] = {
	P_INT("MaxChildren", "16", 1, 1024, C,
	    "most worker processes (proxy guide, ICAP algorithm)"),
	P_INT("IdleChildren", "2", 0, 1024, 0, "idle workers kept"),
	P_INT("MaxReqsPerChild", "10000", 1, 100000000, U,
	    "requests before a worker is replaced"),
	P_INT("MaxEnginesPerChild", "8", 1, 256, 0,
	    "concurrent scans per worker"),
	P_STR("User", "vigil", 0, "vigil: unprivileged user"),
	P_STR("Group", "vigil", 0, "vigil: unprivileged group"),
	P_PATH("PidFile", "/run/vigil/vigil-icapd.pid", 0, "vigil: pid file"),
	P_PATH("ControlSocket", "/run/vigil/vigil-icapd.ctl", 0,
	    "vigil: vigilctl control socket"),
};

static const struct cfg_param icap_protocol_params[] = {
	P_ENUM("AnswerMode", "partial", "complete|partial", C,
	    "partial: answer while the body arrives (Squid stalls bodies "
	    "over about 64 KiB until the server answers)"),
	P_SIZE("PreviewSize", "4K", 0, 65536, 0,
	    "ICAP preview requested in OPTIONS"),
	P_SIZE("MaxReqLength", "0", 0, 0, U | C,
	    "larger bodies are passed unscanned (ErrorAction)"),
	P_BOOL("Allow204", "yes", 0, "vigil: answer 204 for clean objects"),
	P_STR("RespmodPath", "/av/respmod", 0, "vigil: RESPMOD service"),
	P_STR("ReqmodPath", "/av/reqmod", 0, "vigil: REQMOD service"),
	P_STR("ClientIPHeader", "X-Client-IP", 0,
	    "vigil: header carrying the user's address"),
	P_LIST("TransferIgnore", "", CFG_F_REPEAT, "vigil: file extensions "
	    "the proxy need not send (OPTIONS Transfer-Ignore)"),
	P_LIST("TransferComplete", "", CFG_F_REPEAT, "vigil: file extensions "
	    "the proxy sends whole, without a preview (Transfer-Complete)"),
};

static const struct cfg_param icap_filter_params[] = {
	P_RELIST("ExcludeURL", "", CFG_F_REPEAT | CFG_F_ICASE |
	    CFG_F_NOSPACE | C, "URLs not scanned (URLs hold no blanks)"),
	P_RELIST("ExcludeMimeType", "", CFG_F_REPEAT | CFG_F_ICASE |
	    CFG_F_NOSPACE | C, "Content-Types not scanned"),
};

static const struct cfg_param icap_engine_params[] = {
	P_BOOL("ScanPacked", "true", C, "unpack executable packers"),
	P_BOOL("ScanArchives", "true", C, "scan inside archives"),
	P_BOOL("ScanMailBases", "false", 0, "scan mailbox files"),
	P_BOOL("ScanMailPlain", "false", 0, "scan mail messages"),
	P_BOOL("Cure", "false", C, "cure infected objects"),
	P_BOOL("Heuristic", "true", 0, "vigil: heuristic analysis"),
	P_ENUM("DatabaseSet", "standard", SETS, C,
	    "signature set (proxy guide: per group)"),
	ENGINE_LIMITS("60s"),
};

static const struct cfg_param icap_actions_params[] = {
	P_ENUM("InfectedAction", "deny", "deny|skip", C, "INFECTED"),
	P_ENUM("SuspiciousAction", "deny", "deny|skip", C, "SUSPICIOUS"),
	P_ENUM("WarningAction", "deny", "deny|skip", C, "WARNING"),
	P_ENUM("CorruptedAction", "skip", "deny|skip", C, "CORRUPTED"),
	P_ENUM("ProtectedAction", "skip", "deny|skip", C, "PROTECTED"),
	P_ENUM("ErrorAction", "skip", "deny|skip", C,
	    "ERROR: not scanned (a limit, vigild unreachable)"),
	P_ENUM("LicenseErrorAction", "skip", "deny|skip", 0,
	    "no valid license: do not break the web"),
	P_ENUM("BasesErrorAction", "skip", "deny|skip", 0,
	    "vigil: no database loaded"),
};

static const struct cfg_param icap_notify_params[] = {
	P_PATH("NotifyTemplateDir", "@DATADIR@/notify", C,
	    "block page templates: <status>.html, else blocked.html"),
	P_PATH("NotifyScript", "", C,
	    "run on each detection (status and URL as arguments, details "
	    "in VIGIL_* variables); empty: none"),
	P_DUR("NotifyTimeout", "10s", 1, 3600, 0,
	    "a notify script running longer is killed"),
};
static const struct cfg_param icap_statistics_params[] = {
	P_PATH("AVStatisticsFile", "@LOCALSTATEDIR@/log/vigil/icap-av.stats",
	    C, "scan result counters, written on vigilctl stats"),
	P_PATH("CounterStatisticsFile",
	    "@LOCALSTATEDIR@/log/vigil/icap-counters.stats", 0,
	    "request and traffic counters"),
	P_ADDR("MetricsAddress", "", 0,
	    "vigil: Prometheus endpoint; empty: off"),
};

static const struct cfg_param icap_groups_params[] = {
	P_INT("Priority", "0", 0, 65535, C,
	    "groups are tried in ascending Priority; 'default' last"),
	P_LIST("ClientIP", "", CFG_F_REPEAT | CFG_F_NOSPACE | C,
	    "user addresses: ADDR, ADDR/PREFIX, ADDR/NETMASK or a regex "
	    "(.*); empty: any"),
	P_RE("URL", "", CFG_F_ICASE | CFG_F_NOSPACE | C,
	    "URL regex (proxy guide: URL=.*); empty: any"),
};

static const struct cfg_param vigild_params[] = {
	P_PATH("ListenSocket", "/run/vigil/vigild.sock", C,
	    "unix socket for clients"),
	P_MODE("SocketMode", "0660", 0, "mode of ListenSocket"),
	P_STR("SocketGroup", "vigil", 0, "group of ListenSocket"),
	P_ADDR("ListenAddress", "", C,
	    "optional TCP listener (loopback); empty: off"),
	P_STR("User", "vigil", C, "unprivileged user"),
	P_STR("Group", "vigil", 0, "unprivileged group"),
	P_PATH("PidFile", "/run/vigil/vigild.pid", 0, "pid file"),
	P_PATH("ControlSocket", "/run/vigil/vigild.ctl", 0,
	    "vigilctl control socket"),
	P_INT("MaxThreads", "0", 0, 1024, C, "scanning threads; 0: per CPU"),
	P_INT("MaxQueue", "256", 1, 100000, 0,
	    "requests waiting for a thread; more are refused"),
	P_INT("MaxConnections", "256", 1, 100000, 0, "client connections"),
	P_SIZE("StreamMaxLength", "100M", 1, 0, C,
	    "largest stream a client may send"),
	P_DUR("IdleTimeout", "30s", 1, 86400, 0, "idle client connection"),
	ENGINE_LIMITS("120s"),
	P_INT("CacheEntries", "65536", 0, 100000000, 0,
	    "in-memory verdict cache; 0: off"),
	P_BOOL("FileCache", "yes", 0,
	    "persistent verdict cache for files (iChecker level two)"),
	P_STR("EventStore", "sqlite:@DATADIR@/events.sqlite", 0,
	    "sqlite:PATH or a postgresql:// URI shared by gateways"),
	P_ADDR("MetricsAddress", "", 0, "Prometheus endpoint; empty: off"),
	P_STR("VersionReply", "vigil %v/%n/%d", 0,
	    "VERSION answer: %v vigil's version, %n the database number, "
	    "%d its load date; clients that parse clamd's own answer "
	    "(c-icap's clamd module) need a reply compatible with it, such "
	    "as 'ClamAV 1.0.0/%n/%d'"),
};

static const struct cfg_param web_params[] = {
	P_ADDR("ListenAddress", "127.0.0.1:10000", C,
	    "web administration (Webmin's port)"),
	P_PATH("TLSCertificate", "", C, "PEM certificate; empty: plain HTTP"),
	P_PATH("TLSKey", "", C, "PEM private key"),
	P_PATH("PasswordFile", "@SYSCONFDIR@/web.passwd", 0,
	    "user:hash lines (libsodium password hashes)"),
	P_DUR("SessionTimeout", "30m", 60, 86400 * 7, 0, "idle session"),
	P_STR("User", "vigil", 0, "unprivileged user"),
	P_PATH("PidFile", "/run/vigil/vigil-web.pid", 0, "pid file"),
};

/* every section; the order is vigil.conf's and cfg_dump()'s */
const struct cfg_section_def cfg_schema[] = {
#define S(name, flags, params, doc)					\
	{ name, flags, params, nitems(params), doc }
	S("path", 0, path_params, "directories shared by all programs"),
	S("scanner.path", 0, scanner_path_params, "vigil-scan directories"),
	S("scanner.options", 0, scanner_options_params,
	    "vigil-scan engine options"),
	S("scanner.report", 0, report_params_scanner, "vigil-scan report"),
	S("scanner.object", 0, scanner_rules_params,
	    "vigil-scan actions on simple objects"),
	S("scanner.container", 0, scanner_rules_params,
	    "vigil-scan actions on containers (archives, mailboxes)"),
	S("smtpscan.general", 0, smtpscan_general_params,
	    "vigil-smtpd: receiving and forwarding"),
	S("smtpscan.group", CFG_S_NAMED, smtpscan_group_params,
	    "vigil-smtpd rules per group of senders and recipients; the "
	    "first matching group applies, 'default' when none does"),
	S("smtpscan.limits", 0, smtpscan_limits_params, "vigil-smtpd limits"),
	S("smtpscan.report", 0, report_params_daemon, "vigil-smtpd log"),
	S("smtpscan.license", 0, smtpscan_license_params,
	    "mail license accounting"),
	S("updater.options", 0, updater_options_params, "vigil-update"),
	S("updater.report", 0, report_params_daemon, "vigil-update log"),
	S("icapserver.network", 0, icap_network_params, "vigil-icapd"),
	S("icapserver.process", 0, icap_process_params,
	    "vigil-icapd workers"),
	S("icapserver.protocol", 0, icap_protocol_params, "ICAP protocol"),
	S("icapserver.filter", CFG_S_OPTNAMED, icap_filter_params,
	    "requests passed unscanned; [icapserver.filter:NAME] applies to "
	    "group NAME"),
	S("icapserver.engine.options", CFG_S_OPTNAMED, icap_engine_params,
	    "vigil-icapd engine options; [icapserver.engine.options:NAME] "
	    "applies to group NAME"),
	S("icapserver.actions", CFG_S_OPTNAMED, icap_actions_params,
	    "what vigil-icapd does per status; [icapserver.actions:NAME] "
	    "applies to group NAME"),
	S("icapserver.notify", 0, icap_notify_params,
	    "block pages and the administrator's notification script"),
	S("icapserver.statistics", 0, icap_statistics_params,
	    "vigil-icapd statistics"),
	S("icapserver.report", 0, report_params_daemon, "vigil-icapd log"),
	S("icapserver.groups", CFG_S_NAMED, icap_groups_params,
	    "vigil-icapd groups of users and URLs"),
	S("vigild", 0, vigild_params, "the scanning daemon"),
	S("vigild.report", 0, report_params_daemon, "vigild log"),
	S("web", 0, web_params, "vigil-web"),
	S("web.report", 0, report_params_daemon, "vigil-web log"),
#undef S
};

const size_t cfg_schema_len = nitems(cfg_schema);
