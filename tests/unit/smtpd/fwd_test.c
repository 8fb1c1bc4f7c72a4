/*
 * fwd_test.c - the ForwardMailer client: fwd_parse's table, then whole
 * conversations with a scripted fake downstream (a forked child on a
 * loopback TCP port, and this binary run again as smtp:(command) /
 * lmtp:(command)) that records every byte it got, and qmail:(PATH) with
 * a shell-script qmail-queue.  Every test also checks that no descriptor
 * leaked and no child was left unreaped.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "smtp_fwd.h"

#define TMO	5000	/* ms */

/* A scripted downstream; NULL replies take the defaults in fake_serve. */
struct script {
	const char	*greet;
	const char	*ehlo;
	const char	*mail;
	const char	*rcpt[4];
	const char	*data;
	const char	*final[4];
	size_t		 close_in_data;	/* hang up after this many bytes */
};

#define CAPS_ALL "250-fake\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n" \
	"250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n" \
	"250-XFORWARD NAME ADDR PROTO\r\n250 ENHANCEDSTATUSCODES\r\n"
#define CAPS_PIPE "250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n"

enum {
	S_PIPE, S_PLAIN, S_HELO, S_LMTP, S_NORCPT, S_MAILNO, S_ALL,
	S_SIZE, S_CLOSE, S_SILENT, S_REFUSE, S_NORCPT_PIPE, S_MAILNO_PIPE,
	S_LMTP_PLAIN, S_DATANO
};

static const struct script scripts[] = {
	[S_PIPE] = { .ehlo = CAPS_PIPE,
	    .final = { "250 2.0.0 Ok: queued as ABC\r\n" } },
	[S_PLAIN] = { .ehlo = "250 fake\r\n",
	    .rcpt = { NULL, "550 5.1.1 no such user\r\n" },
	    .final = { "250 queued\r\n" } },
	[S_HELO] = { .ehlo = "502 5.5.2 what is EHLO\r\n" },
	[S_LMTP] = { .ehlo = "250-fake\r\n250-PIPELINING\r\n250 "
	    "ENHANCEDSTATUSCODES\r\n",
	    .rcpt = { NULL, NULL, "550 5.1.1 <c@y> unknown\r\n" },
	    .final = { "250 2.1.5 <a@y> delivered\r\n", "452 4.2.2 <b@y> "
	    "over quota\r\n", "550 5.2.1 <d@y> mailbox disabled\r\n" } },
	[S_NORCPT] = { .ehlo = "250 fake\r\n",
	    .rcpt = { "550 5.1.1 a\r\n", "550 5.1.1 b\r\n" } },
	[S_MAILNO] = { .ehlo = "250 fake\r\n",
	    .mail = "553 5.1.8 bad sender\r\n" },
	[S_ALL] = { .ehlo = CAPS_ALL },
	[S_SIZE] = { .ehlo = "250-fake\r\n250 SIZE 10\r\n" },
	[S_CLOSE] = { .ehlo = CAPS_PIPE,
	    .rcpt = { NULL, "550 5.1.1 nope\r\n" }, .close_in_data = 1000 },
	[S_SILENT] = { .greet = "" },
	[S_REFUSE] = { .greet = "554 5.3.2 go away\r\n" },
	[S_NORCPT_PIPE] = { .ehlo = CAPS_PIPE,
	    .rcpt = { "550 5.1.1 a\r\n", "450 4.2.0 b later\r\n" } },
	[S_MAILNO_PIPE] = { .ehlo = CAPS_PIPE,
	    .mail = "553 5.1.8 bad sender\r\n" },
	[S_LMTP_PLAIN] = { .ehlo = "250 fake\r\n",
	    .final = { "250 2.0.0 one\r\n", "451 4.3.0 two\r\n" } },
	[S_DATANO] = { .ehlo = CAPS_PIPE, .data = "451 4.3.0 not now\r\n" },
};

static char	 self[1024];	/* this binary, for smtp:(command) */

/* ---- the fake downstream ------------------------------------------ */

struct fake {
	int	 in, out, tfd;
	char	 buf[256 * 1024];
	size_t	 len, off;
};

/* fake_say - write a reply */
static void
fake_say(struct fake *f, const char *s)
{
	size_t	 n = strlen(s);
	ssize_t	 w;

	while (n > 0 && (w = write(f->out, s, n)) > 0) {
		s += w;
		n -= (size_t)w;
	}
}

/* fake_line - next line (with its end) or NULL at EOF; records input */
static const char *
fake_line(struct fake *f, size_t *n)
{
	char	*p, *nl;
	ssize_t	 r;

	for (;;) {
		p = f->buf + f->off;
		if ((nl = memchr(p, '\n', f->len - f->off)) != NULL) {
			*n = (size_t)(nl - p) + 1;
			f->off += *n;
			return p;
		}
		memmove(f->buf, p, f->len - f->off);
		f->len -= f->off;
		f->off = 0;
		if (f->len == sizeof(f->buf))
			return NULL;
		r = read(f->in, f->buf + f->len, sizeof(f->buf) - f->len);
		if (r <= 0)
			return NULL;
		if (write(f->tfd, f->buf + f->len, (size_t)r) != r)
			return NULL;
		f->len += (size_t)r;
	}
}

/* fake_data - read the message up to "."; 0, or -1 to hang up */
static int
fake_data(struct fake *f, const struct script *s)
{
	const char	*l;
	size_t		 n, got = 0;

	while ((l = fake_line(f, &n)) != NULL) {
		if (n == 3 && memcmp(l, ".\r\n", 3) == 0)
			return 0;
		got += n;
		if (s->close_in_data && got >= s->close_in_data)
			return -1;
	}
	return -1;
}

/* fake_serve - run script s on in/out; transcript to tpath */
static void
fake_serve(const struct script *s, int lmtp, int in, int out,
    const char *tpath, const char *ppath)
{
	static struct fake	 f;
	const char		*l, *r;
	size_t			 n, nr = 0, acc = 0, k;
	int			 pfd, mail_ok = 0;

	f.in = in;
	f.out = out;
	f.tfd = open(tpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pfd = open(ppath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fake_say(&f, s->greet ? s->greet : "220 fake ESMTP\r\n");
	while ((l = fake_line(&f, &n)) != NULL) {
		if (strncasecmp(l, "EHLO", 4) == 0 || strncasecmp(l, "LHLO",
		    4) == 0)
			fake_say(&f, s->ehlo ? s->ehlo : "250 fake\r\n");
		else if (strncasecmp(l, "HELO", 4) == 0)
			fake_say(&f, "250 fake\r\n");
		else if (strncasecmp(l, "XFORWARD", 8) == 0)
			fake_say(&f, "250 2.0.0 Ok\r\n");
		else if (strncasecmp(l, "MAIL", 4) == 0) {
			/* was the rest of the batch already here? */
			k = memmem(f.buf + f.off, f.len - f.off, "DATA\r\n",
			    6) != NULL;
			(void)!write(pfd, k ? "1" : "0", 1);
			r = s->mail ? s->mail : "250 2.1.0 ok\r\n";
			mail_ok = r[0] == '2';
			nr = acc = 0;
			fake_say(&f, r);
		} else if (strncasecmp(l, "RCPT", 4) == 0) {
			r = !mail_ok ? "503 5.5.1 need MAIL\r\n" : nr < 4 &&
			    s->rcpt[nr] ? s->rcpt[nr] : "250 2.1.5 ok\r\n";
			nr++;
			acc += r[0] == '2';
			fake_say(&f, r);
		} else if (strncasecmp(l, "DATA", 4) == 0) {
			r = !mail_ok ? "503 5.5.1 need MAIL\r\n" : acc == 0 ?
			    "554 5.5.1 no valid recipients\r\n" : s->data ?
			    s->data : "354 go ahead\r\n";
			fake_say(&f, r);
			if (r[0] != '3')
				continue;
			if (fake_data(&f, s) == -1)
				break;
			for (k = 0; k < (lmtp ? acc : 1); k++)
				fake_say(&f, k < 4 && s->final[k] ?
				    s->final[k] : "250 2.0.0 ok\r\n");
			mail_ok = 0;
		} else if (strncasecmp(l, "RSET", 4) == 0) {
			mail_ok = 0;
			fake_say(&f, "250 2.0.0 ok\r\n");
		} else if (strncasecmp(l, "QUIT", 4) == 0) {
			fake_say(&f, "221 2.0.0 bye\r\n");
			break;
		} else
			fake_say(&f, "500 5.5.2 what\r\n");
	}
	close(f.tfd);
	close(pfd);
}

/* ---- harness ------------------------------------------------------ */

struct peer {
	pid_t	 pid;		/* TCP fake, -1 for a command */
	char	 spec[2048];
	char	 tpath[128], ppath[128];
};

static char	 tdir[64];
static int	 nfd_before;
static int	 use_v6;	/* peer_start listens on [::1] */

/* count_fds - open descriptors of this process */
static int
count_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

/* setup - fresh temp dir, note the descriptors */
static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/fwdtest.XXXXXX");
	if (mkdtemp(tdir) == NULL)
		return -1;
	nfd_before = count_fds();
	return 0;
}

/* teardown - no leaked fd, no child left; remove the temp dir */
static int
teardown(void **state)
{
	char	 cmd[128];
	int	 st;

	(void)state;
	assert_int_equal(count_fds(), nfd_before);
	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* peer_start - fake downstream: TCP (cmd 0) or this binary as a command */
static void
peer_start(struct peer *p, int script, int lmtp, int cmd)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	socklen_t		 sl = sizeof(sin), sl6 = sizeof(sin6);
	int			 ls, fd;

	snprintf(p->tpath, sizeof(p->tpath), "%s/transcript", tdir);
	snprintf(p->ppath, sizeof(p->ppath), "%s/piped", tdir);
	p->pid = -1;
	if (cmd) {
		/* parentheses and quotes inside the command on purpose */
		snprintf(p->spec, sizeof(p->spec), "%s:(exec '%s' --fake %d %d "
		    "'%s' '%s' '(x y)')", lmtp ? "lmtp" : "smtp", self, script,
		    lmtp, p->tpath, p->ppath);
		return;
	}
	if (use_v6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_loopback;
		ls = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(ls >= 0);
		assert_int_equal(bind(ls, (struct sockaddr *)&sin6,
		    sizeof(sin6)), 0);
		assert_int_equal(getsockname(ls, (struct sockaddr *)&sin6,
		    &sl6), 0);
		snprintf(p->spec, sizeof(p->spec), "%s:[::1]:%d",
		    lmtp ? "lmtp" : "smtp", ntohs(sin6.sin6_port));
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(ls >= 0);
		assert_int_equal(bind(ls, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(getsockname(ls, (struct sockaddr *)&sin,
		    &sl), 0);
		snprintf(p->spec, sizeof(p->spec), "%s:127.0.0.1:%d",
		    lmtp ? "lmtp" : "smtp", ntohs(sin.sin_port));
	}
	assert_int_equal(listen(ls, 4), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		if ((fd = accept(ls, NULL, NULL)) >= 0)
			fake_serve(&scripts[script], lmtp, fd, fd, p->tpath,
			    p->ppath);
		_exit(0);
	}
	close(ls);
}

/* peer_wait - reap the TCP fake */
static void
peer_wait(struct peer *p)
{
	int	 st;

	if (p->pid > 0)
		assert_int_equal(waitpid(p->pid, &st, 0), p->pid);
	p->pid = -1;
}

/* slurp - a file's contents (NUL-terminated), caller frees */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	char	*buf = calloc(1, 4 * 1024 * 1024);
	size_t	 n = 0;

	assert_non_null(buf);
	if (fp != NULL) {
		n = fread(buf, 1, 4 * 1024 * 1024 - 1, fp);
		fclose(fp);
	}
	if (len != NULL)
		*len = n;
	return buf;
}

/* expect_file - the file holds exactly want */
static void
expect_file(const char *path, const char *want)
{
	char	*got = slurp(path, NULL);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "--- %s\nwant: [%s]\ngot:  [%s]\n", path, want,
		    got);
	assert_string_equal(got, want);
	free(got);
}

/* open_peer - fwd_parse + fwd_open, must succeed */
static struct fwd_conn *
open_peer(const struct peer *p, int tmo)
{
	struct fwd_spec		 spec;
	struct fwd_result	 why;
	struct fwd_conn		*c;
	char			 err[256];

	assert_int_equal(fwd_parse(p->spec, &spec, err, sizeof(err)), 0);
	c = fwd_open(&spec, "me.example", tmo, &why);
	if (c == NULL)
		fprintf(stderr, "fwd_open %s: %d %s\n", p->spec, why.code,
		    why.text);
	assert_non_null(c);
	return c;
}

/* The message, cut so that a '.' starting a line ends one piece. */
static const char	 M0[] = "From: a@x\r\nSubject: t\r\n\r\n";
static const char	 M1[] = ".dot first\r\nline\r\n.";
static const char	 M2[] = ".two\r\n.\r\n";
#define WIRE "From: a@x\r\nSubject: t\r\n\r\n..dot first\r\nline\r\n" \
	"...two\r\n..\r\n.\r\n"
#define MSIZE "53"
static struct iovec	 miov[] = {
	{ (void *)M0, sizeof(M0) - 1 }, { (void *)M1, sizeof(M1) - 1 },
	{ (void *)M2, sizeof(M2) - 1 },
};

static const char *const	 rc2[] = { "a@y", "b@y" };
static const char *const	 rc4[] = { "a@y", "b@y", "c@y", "d@y" };

/* msg - a transaction to rcpt (n of them) with params */
static struct fwd_msg
msg(const char *const *rcpt, size_t n, const char *params)
{
	return (struct fwd_msg){ .sender = "s@x", .mail_params = params,
	    .nrcpt = n, .rcpt = rcpt, .iov = miov, .niov = 3 };
}

/* expect_res - outcome code and text prefix */
static void
expect_res(const struct fwd_result *r, int code, const char *text)
{
	if (r->code != code || strncmp(r->text, text, strlen(text)) != 0)
		fprintf(stderr, "want %d [%s], got %d [%s]\n", code, text,
		    r->code, r->text);
	assert_int_equal(r->code, code);
	assert_true(strncmp(r->text, text, strlen(text)) == 0);
}

/* ---- fwd_parse ---------------------------------------------------- */

static void
t_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		enum fwd_kind	 kind;
		int		 command;
		const char	*host, *port, *cmd;	/* or err substring */
	} t[] = {
		/* bad first */
		{ "", -1, 0, 0, "expected smtp:", NULL, NULL },
		{ "   ", -1, 0, 0, "expected smtp:", NULL, NULL },
		{ "localhost", -1, 0, 0, "expected smtp:", NULL, NULL },
		{ "http:host:80", -1, 0, 0, "unknown protocol \"http\"",
		    NULL, NULL },
		{ "smtps:host", -1, 0, 0, "unknown protocol", NULL, NULL },
		{ "smtp:", -1, 0, 0, "missing host", NULL, NULL },
		{ "smtp:   ", -1, 0, 0, "missing host", NULL, NULL },
		{ "smtp:host:", -1, 0, 0, "bad port \"\"", NULL, NULL },
		{ "smtp:host:0", -1, 0, 0, "bad port \"0\"", NULL, NULL },
		{ "smtp:host:65536", -1, 0, 0, "bad port", NULL, NULL },
		{ "smtp:host:25x", -1, 0, 0, "bad port \"25x\"", NULL, NULL },
		{ "smtp:host:2 5", -1, 0, 0, "bad port", NULL, NULL },
		{ "smtp:host:12345678901234567", -1, 0, 0, "bad port", NULL,
		    NULL },
		{ "smtp:::1:25", -1, 0, 0, "needs brackets", NULL, NULL },
		{ "smtp:::1", -1, 0, 0, "needs brackets", NULL, NULL },
		{ "smtp:[::1", -1, 0, 0, "missing ']'", NULL, NULL },
		{ "smtp:[]:25", -1, 0, 0, "bad IPv6", NULL, NULL },
		{ "smtp:[1.2.3.4]:25", -1, 0, 0, "bad IPv6", NULL, NULL },
		{ "smtp:[nothex::1]", -1, 0, 0, "bad IPv6", NULL, NULL },
		{ "smtp:[::1]x", -1, 0, 0, "junk after ']'", NULL, NULL },
		{ "smtp:[::1]:", -1, 0, 0, "bad port", NULL, NULL },
		{ "smtp:ho st:25", -1, 0, 0, "bad host \"ho st\"", NULL,
		    NULL },
		{ "smtp::25", -1, 0, 0, "bad host \"\"", NULL, NULL },
		{ "smtp:h/x:25", -1, 0, 0, "bad host", NULL, NULL },
		{ "smtp:(cmd", -1, 0, 0, "missing ')'", NULL, NULL },
		{ "smtp:(cmd) x", -1, 0, 0, "missing ')'", NULL, NULL },
		{ "smtp:()", -1, 0, 0, "empty command", NULL, NULL },
		{ "smtp:(   )", -1, 0, 0, "empty command", NULL, NULL },
		{ "smtp:(a\nb)", -1, 0, 0, "control character", NULL, NULL },
		{ "qmail:", -1, 0, 0, "qmail needs (PATH", NULL, NULL },
		{ "qmail:host:25", -1, 0, 0, "qmail needs (PATH", NULL, NULL },
		{ "qmail:(qmail-queue)", -1, 0, 0, "not absolute", NULL,
		    NULL },
		/* good */
		{ "smtp:localhost:25", 0, FWD_SMTP, 0, "localhost", "25",
		    "" },
		{ "smtp:localhost", 0, FWD_SMTP, 0, "localhost", "25", "" },
		{ "lmtp:localhost", 0, FWD_LMTP, 0, "localhost", "24", "" },
		{ "lmtp:mail.example.org:2003", 0, FWD_LMTP, 0,
		    "mail.example.org", "2003", "" },
		{ "SMTP:Host_1:1", 0, FWD_SMTP, 0, "Host_1", "1", "" },
		{ "  smtp:127.0.0.1:10026 \t", 0, FWD_SMTP, 0, "127.0.0.1",
		    "10026", "" },
		{ "smtp:host:65535", 0, FWD_SMTP, 0, "host", "65535", "" },
		{ "smtp:host:smtp", 0, FWD_SMTP, 0, "host", "smtp", "" },
		{ "smtp:[::1]:10025", 0, FWD_SMTP, 0, "::1", "10025", "" },
		{ "lmtp:[::1]", 0, FWD_LMTP, 0, "::1", "24", "" },
		{ "smtp:[2001:db8::2]", 0, FWD_SMTP, 0, "2001:db8::2", "25",
		    "" },
		{ "smtp:[::ffff:1.2.3.4]:26", 0, FWD_SMTP, 0,
		    "::ffff:1.2.3.4", "26", "" },
		{ "smtp:[fe80::1%eth0]:25", 0, FWD_SMTP, 0, "fe80::1%eth0",
		    "25", "" },
		{ "smtp:(/usr/sbin/sendmail -bs -C /etc/mail/sendmail.cf)", 0,
		    FWD_SMTP, 1, "", "",
		    "/usr/sbin/sendmail -bs -C /etc/mail/sendmail.cf" },
		{ "lmtp:(local.mail -l)", 0, FWD_LMTP, 1, "", "",
		    "local.mail -l" },
		{ "smtp:(  exim -bs -C/etc/exim/exim.conf  )", 0, FWD_SMTP, 1,
		    "", "", "exim -bs -C/etc/exim/exim.conf" },
		{ "smtp: (x)", 0, FWD_SMTP, 1, "", "", "x" },
		{ "smtp:(sh -c 'echo (a) b' (c))", 0, FWD_SMTP, 1, "", "",
		    "sh -c 'echo (a) b' (c)" },
		{ "qmail:(/var/qmail/bin/qmail-queue)", 0, FWD_QMAIL, 1, "",
		    "", "/var/qmail/bin/qmail-queue" },
		{ "QMAIL:( /var/qmail/bin/qmail-queue.orig )", 0, FWD_QMAIL, 1,
		    "", "", "/var/qmail/bin/qmail-queue.orig" },
	};
	struct fwd_spec	 s;
	char		 err[256], big[1400];
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(err, 'z', sizeof(err));
		rc = fwd_parse(t[i].in, &s, err, sizeof(err));
		if (rc != t[i].rc)
			fprintf(stderr, "case %zu \"%s\": rc %d err %s\n", i,
			    t[i].in, rc, err);
		assert_int_equal(rc, t[i].rc);
		if (rc == -1) {
			if (strstr(err, t[i].host) == NULL)
				fprintf(stderr, "case %zu: err \"%s\"\n", i,
				    err);
			assert_non_null(strstr(err, t[i].host));
			continue;
		}
		assert_string_equal(err, "");
		assert_int_equal(s.kind, t[i].kind);
		assert_int_equal(s.command, t[i].command);
		assert_string_equal(s.host, t[i].host);
		assert_string_equal(s.port, t[i].port);
		assert_string_equal(s.cmd, t[i].cmd);
	}
	/* sizes: command max and max+1, host max and max+1 */
	memcpy(big, "smtp:(", 6);
	memset(big + 6, 'c', 1023);
	strcpy(big + 6 + 1023, ")");
	assert_int_equal(fwd_parse(big, &s, err, sizeof(err)), 0);
	assert_int_equal(strlen(s.cmd), 1023);
	memset(big + 6, 'c', 1024);
	strcpy(big + 6 + 1024, ")");
	assert_int_equal(fwd_parse(big, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 1023"));
	memcpy(big, "smtp:", 5);
	memset(big + 5, 'h', 255);
	strcpy(big + 5 + 255, ":25");
	assert_int_equal(fwd_parse(big, &s, err, sizeof(err)), 0);
	memset(big + 5, 'h', 256);
	strcpy(big + 5 + 256, ":25");
	assert_int_equal(fwd_parse(big, &s, err, sizeof(err)), -1);
	/* tiny or no error buffer */
	assert_int_equal(fwd_parse("bogus", &s, err, 1), -1);
	assert_int_equal(err[0], '\0');
	assert_int_equal(fwd_parse("bogus", &s, NULL, 0), -1);
}

/* ---- conversations ------------------------------------------------ */

/* pipelined SMTP: one batch, params filtered, dot-stuffing, QUIT */
static void
run_pipe(int cmd)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, "SIZE=5 BODY=BINARYMIME "
	    "AUTH=<> RET=HDRS");

	peer_start(&p, S_PIPE, 0, cmd);
	c = open_peer(&p, TMO);
	assert_true(fwd_caps(c)->ext & SMTP_EXT_PIPELINING);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 Ok: queued as ABC");
	expect_res(&res[1], 250, "2.0.0 Ok: queued as ABC");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\n"
	    "MAIL FROM:<s@x> BODY=8BITMIME\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
	expect_file(p.ppath, "1");
}

static void t_pipe_tcp(void **s) { (void)s; run_pipe(0); }
static void t_pipe_cmd(void **s) { (void)s; run_pipe(1); }

/* no ESMTP extensions: one command at a time, params dropped, RCPT no */
static void
t_plain(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, "SIZE=5 BODY=8BITMIME");

	(void)state;
	peer_start(&p, S_PLAIN, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_caps(c)->ext, 0);
	assert_int_equal(fwd_send(c, &m, res), 0);
	/* no enhanced code from the peer: one is put in front */
	expect_res(&res[0], 250, "2.0.0 queued");
	expect_res(&res[1], 550, "5.1.1 no such user");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
	expect_file(p.ppath, "0");
}

/* EHLO refused: HELO */
static void
t_helo(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[1];
	struct fwd_msg		 m = msg(rc2, 1, NULL);

	(void)state;
	peer_start(&p, S_HELO, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_caps(c)->ext, 0);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 ok");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nHELO me.example\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<a@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
}

/* LMTP: a RCPT refused, then one DATA reply per accepted recipient */
static void
run_lmtp(int cmd)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[4];
	struct fwd_msg		 m = msg(rc4, 4, NULL);

	peer_start(&p, S_LMTP, 1, cmd);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.1.5 <a@y> delivered");
	expect_res(&res[1], 452, "4.2.2 <b@y> over quota");
	expect_res(&res[2], 550, "5.1.1 <c@y> unknown");
	expect_res(&res[3], 550, "5.2.1 <d@y> mailbox disabled");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "LHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\n"
	    "RCPT TO:<d@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
	expect_file(p.ppath, "1");
}

static void t_lmtp_tcp(void **s) { (void)s; run_lmtp(0); }
static void t_lmtp_cmd(void **s) { (void)s; run_lmtp(1); }

/* LMTP without pipelining: still one reply per recipient */
static void
t_lmtp_plain(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_LMTP_PLAIN, 1, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 one");
	expect_res(&res[1], 451, "4.3.0 two");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.ppath, "0");
}

/* every RCPT refused: no DATA, RSET; the connection stays usable */
static void
t_norcpt(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_NORCPT, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 550, "5.1.1 a");
	expect_res(&res[1], 550, "5.1.1 b");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nRSET\r\nQUIT\r\n");
}

/* the same pipelined: DATA gets 554, then RSET; no message data */
static void
t_norcpt_pipe(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_NORCPT_PIPE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 550, "5.1.1 a");
	expect_res(&res[1], 450, "4.2.0 b later");
	assert_int_equal(fwd_usable(c), 1);
	/* and a second transaction after that works */
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 550, "5.1.1 a");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	    "RSET\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	    "RSET\r\nQUIT\r\n");
}

/* MAIL refused: every recipient gets its reply; no RCPT sent */
static void
t_mailno(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_MAILNO, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 553, "5.1.8 bad sender");
	expect_res(&res[1], 553, "5.1.8 bad sender");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "QUIT\r\n");
}

/* MAIL refused, pipelined: the RCPT and DATA 503s are read and dropped */
static void
t_mailno_pipe(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_MAILNO_PIPE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 553, "5.1.8 bad sender");
	expect_res(&res[1], 553, "5.1.8 bad sender");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\nQUIT\r\n");
}

/* DATA refused: the accepted recipients get that, then RSET */
static void
t_datano(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_DATANO, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 451, "4.3.0 not now");
	expect_res(&res[1], 451, "4.3.0 not now");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\nRSET\r\nQUIT\r\n");
}

/* DSN, SMTPUTF8, XFORWARD announced: passed (XFORWARD filtered) */
static void
t_all_ext(void **state)
{
	static const char *const rp[] = { "NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;a@y X=1", NULL };
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, "SIZE=1 RET=HDRS "
	    "ENVID=abc+2Bx SMTPUTF8 BODY=8BITMIME XYZ=1");

	(void)state;
	m.rcpt_params = rp;
	m.xforward = "NAME=mx.example ADDR=192.0.2.1 PORT=25 HELO=h "
	    "PROTO=ESMTP";
	peer_start(&p, S_ALL, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_caps(c)->size, 1000000);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 ok");
	expect_res(&res[1], 250, "2.0.0 ok");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\n"
	    "XFORWARD NAME=mx.example ADDR=192.0.2.1 PROTO=ESMTP\r\n"
	    "MAIL FROM:<s@x> SIZE=" MSIZE " RET=HDRS ENVID=abc+2Bx SMTPUTF8 "
	    "BODY=8BITMIME\r\n"
	    "RCPT TO:<a@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@y\r\n"
	    "RCPT TO:<b@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
	expect_file(p.ppath, "1");
}

/* no DSN, no XFORWARD announced: neither is sent */
static void
t_no_dsn(void **state)
{
	static const char *const rp[] = { "NOTIFY=NEVER", "ORCPT=rfc822;b@y" };
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, "RET=FULL ENVID=q");

	(void)state;
	m.rcpt_params = rp;
	m.xforward = "NAME=mx.example ADDR=192.0.2.1";
	peer_start(&p, S_PIPE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nRCPT TO:<b@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
}

/* long XFORWARD: split on attribute edges, all in the pipelined batch */
static void
t_xforward_long(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[1];
	struct fwd_msg		 m = msg(rc2, 1, NULL);
	char			 xf[1200], want[2400], name[320], addr[320];

	(void)state;
	memset(name, 'n', 300);
	name[300] = '\0';
	memset(addr, 'a', 300);
	addr[300] = '\0';
	snprintf(xf, sizeof(xf), "NAME=%s ADDR=%s PROTO=SMTP", name, addr);
	m.xforward = xf;
	peer_start(&p, S_ALL, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 ok");
	fwd_close(c);
	peer_wait(&p);
	snprintf(want, sizeof(want), "EHLO me.example\r\nXFORWARD NAME=%s\r\n"
	    "XFORWARD ADDR=%s PROTO=SMTP\r\nMAIL FROM:<s@x> SIZE=" MSIZE "\r\n"
	    "RCPT TO:<a@y>\r\nDATA\r\n" WIRE "QUIT\r\n", name, addr);
	expect_file(p.tpath, want);
	expect_file(p.ppath, "1");
}

/* SMTPUTF8 needed but not announced: 553 5.6.7, nothing sent */
static void
t_smtputf8(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, "SMTPUTF8");

	(void)state;
	peer_start(&p, S_PIPE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 553, "5.6.7 ");
	expect_res(&res[1], 553, "5.6.7 ");
	assert_int_equal(fwd_usable(c), 1);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nQUIT\r\n");
}

/* message over the peer's SIZE: 552 5.3.4, nothing sent */
static void
t_size(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[2];
	struct fwd_msg		 m = msg(rc2, 2, NULL);

	(void)state;
	peer_start(&p, S_SIZE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_caps(c)->size, 10);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 552, "5.3.4 message size " MSIZE " exceeds");
	expect_res(&res[1], 552, "5.3.4 ");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\nQUIT\r\n");
}

/* the peer hangs up in the middle of a big message */
static void
t_close_mid_data(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[3];
	static const char *const rc3[] = { "a@y", "b@y", "c@y" };
	struct fwd_msg		 m = msg(rc3, 3, NULL);
	struct iovec		 iov[2];
	char			*big;
	size_t			 i, n = 4 * 1024 * 1024;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = i % 80 == 78 ? '\r' : i % 80 == 79 ? '\n' : 'x';
	iov[0] = miov[0];
	iov[1] = (struct iovec){ big, n };
	m.iov = iov;
	m.niov = 2;
	peer_start(&p, S_CLOSE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), -1);
	expect_res(&res[0], 451, "4.4.2 smtp:127.0.0.1:");
	expect_res(&res[1], 550, "5.1.1 nope");
	expect_res(&res[2], 451, "4.4.2 ");
	assert_int_equal(fwd_usable(c), 0);
	/* unusable: the next one fails at once */
	assert_int_equal(fwd_send(c, &m, res), -1);
	expect_res(&res[1], 451, "4.4.2 ");
	fwd_close(c);
	peer_wait(&p);
	free(big);
}

/* two transactions on one connection, and a bad address */
static void
t_two(void **state)
{
	static const char *const bad[] = { "a@y", "b\r\nRSET@y", "c<@y" };
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[3];
	struct fwd_msg		 m = msg(rc2, 1, NULL);
	struct iovec		 one = { (void *)"x", 1 };

	(void)state;
	peer_start(&p, S_PIPE, 0, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 Ok");
	m = msg(bad, 3, NULL);
	m.sender = "";
	m.iov = &one;	/* no CRLF at the end: one is added */
	m.niov = 1;
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 Ok");
	expect_res(&res[1], 501, "5.1.3 ");
	expect_res(&res[2], 501, "5.1.3 ");
	m.sender = "s\n@x";
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 501, "5.1.7 ");
	m.nrcpt = 0;
	assert_int_equal(fwd_send(c, &m, res), 0);
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "EHLO me.example\r\n"
	    "MAIL FROM:<s@x>\r\nRCPT TO:<a@y>\r\nDATA\r\n" WIRE
	    "MAIL FROM:<>\r\nRCPT TO:<a@y>\r\nDATA\r\nx\r\n.\r\n"
	    "QUIT\r\n");
	expect_file(p.ppath, "11");
}

/* thousands of recipients pipelined over LMTP: several writes, replies
   read while writing, one DATA reply each */
static void
t_many(void **state)
{
	enum { N = 6000 };
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	*res;
	struct fwd_msg		 m;
	const char		**rc;
	char			*addrs, *got, *q;
	size_t			 i, nrcpt = 0;

	(void)state;
	res = calloc(N, sizeof(*res));
	rc = calloc(N, sizeof(*rc));
	addrs = calloc(N, 64);
	assert_true(res != NULL && rc != NULL && addrs != NULL);
	for (i = 0; i < N; i++) {
		snprintf(addrs + i * 64, 64, "recipient-number-%05zu@"
		    "some.example.org", i);
		rc[i] = addrs + i * 64;
	}
	m = msg(rc, N, NULL);
	peer_start(&p, S_LMTP, 1, 0);
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.1.5 <a@y> delivered");
	expect_res(&res[1], 452, "4.2.2 ");
	expect_res(&res[2], 550, "5.1.1 <c@y> unknown");
	expect_res(&res[3], 550, "5.2.1 ");
	for (i = 4; i < N; i++)
		expect_res(&res[i], 250, "2.0.0 ok");
	fwd_close(c);
	peer_wait(&p);
	got = slurp(p.tpath, NULL);
	for (q = got; (q = strstr(q, "\r\nRCPT TO:<recipient-number-")) !=
	    NULL; q++)
		nrcpt++;
	assert_int_equal(nrcpt, N);
	assert_non_null(strstr(got, "-05999@some.example.org>\r\nDATA\r\n"
	    WIRE "QUIT\r\n"));
	free(got);
	free(addrs);
	free(rc);
	free(res);
}

/* IPv6 loopback, when the host has it */
static void
t_v6(void **state)
{
	struct peer		 p;
	struct fwd_conn		*c;
	struct fwd_result	 res[1];
	struct fwd_msg		 m = msg(rc2, 1, NULL);
	int			 fd;

	(void)state;
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&(struct sockaddr_in6){
	    .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT },
	    sizeof(struct sockaddr_in6)) == -1) {
		if (fd != -1)
			close(fd);
		skip();
	}
	close(fd);
	use_v6 = 1;
	peer_start(&p, S_PIPE, 1, 0);
	use_v6 = 0;
	c = open_peer(&p, TMO);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 250, "2.0.0 Ok: queued as ABC");
	fwd_close(c);
	peer_wait(&p);
	expect_file(p.tpath, "LHLO me.example\r\nMAIL FROM:<s@x>\r\n"
	    "RCPT TO:<a@y>\r\nDATA\r\n" WIRE "QUIT\r\n");
}

/* open failures: refused greeting, nothing listening, silence, commands */
static void
t_open_fail(void **state)
{
	struct peer		 p;
	struct fwd_spec		 spec;
	struct fwd_result	 why;
	struct timespec		 t0, t1;
	char			 err[128];

	(void)state;
	peer_start(&p, S_REFUSE, 0, 0);
	assert_int_equal(fwd_parse(p.spec, &spec, err, sizeof(err)), 0);
	assert_null(fwd_open(&spec, "me", TMO, &why));
	expect_res(&why, 554, "5.3.2 go away");
	peer_wait(&p);
	expect_file(p.tpath, "QUIT\r\n");

	/* the port is free again: connection refused */
	assert_null(fwd_open(&spec, "me", TMO, &why));
	expect_res(&why, 451, "4.4.1 smtp:127.0.0.1:");
	assert_non_null(strstr(why.text, "cannot connect"));

	/* a peer that never greets: the timeout */
	peer_start(&p, S_SILENT, 0, 0);
	assert_int_equal(fwd_parse(p.spec, &spec, err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(fwd_open(&spec, "me", 300, &why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_res(&why, 451, "4.4.1 ");
	assert_non_null(strstr(why.text, "timed out"));
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	peer_wait(&p);

	/* a command that exits at once */
	assert_int_equal(fwd_parse("smtp:(exit 3)", &spec, err, sizeof(err)),
	    0);
	assert_null(fwd_open(&spec, "me", TMO, &why));
	expect_res(&why, 451, "4.4.1 smtp:(exit 3): lost connection");

	/* a command that never talks, nor dies on EOF: killed */
	assert_int_equal(fwd_parse("lmtp:(trap '' TERM; sleep 30; :)", &spec,
	    err, sizeof(err)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(fwd_open(&spec, "me", 300, &why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_res(&why, 451, "4.4.1 lmtp:(");
	assert_true(t1.tv_sec - t0.tv_sec < 3);

	/* command form that does not exist */
	assert_int_equal(fwd_parse("smtp:(/nonexistent/x -bs)", &spec, err,
	    sizeof(err)), 0);
	assert_null(fwd_open(&spec, "me", TMO, &why));
	expect_res(&why, 451, "4.4.1 ");
	fwd_close(NULL);
}

/* the peer hangs up between transactions: not usable any more */
static void
t_idle_close(void **state)
{
	struct fwd_spec		 spec;
	struct fwd_result	 why, res[1];
	struct fwd_conn		*c;
	struct fwd_msg		 m = msg(rc2, 1, NULL);
	char			 err[128];

	(void)state;
	assert_int_equal(fwd_parse("smtp:(printf '220 hi\\r\\n250 ok\\r\\n'; "
	    "read x)", &spec, err, sizeof(err)), 0);
	c = fwd_open(&spec, "me", TMO, &why);
	assert_non_null(c);
	usleep(200 * 1000);	/* it has exited by now */
	assert_int_equal(fwd_usable(c), 0);
	assert_int_equal(fwd_send(c, &m, res), -1);
	expect_res(&res[0], 451, "4.4.2 ");
	fwd_close(c);
}

/* ---- qmail -------------------------------------------------------- */

/* qmail_setup - a fake qmail-queue saving fd 0 and fd 1, exiting code */
static void
qmail_setup(char *spec, size_t len, const char *body)
{
	char	 path[128];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/qmail-queue", tdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\nD='%s'\n%s\n", tdir, body);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(spec, len, "qmail:(%s)", path);
}

/* qmail_code - the exit code the fake uses next */
static void
qmail_code(int code)
{
	char	 path[128];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/code", tdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%d\n", code);
	fclose(fp);
}

static void
t_qmail(void **state)
{
	static const struct {
		int		 exit;
		int		 code;
		const char	*text;
	} t[] = {
		{ 0, 250, "2.0.0 " }, { 1, 451, "4.3.0 qmail-queue exit 1" },
		{ 10, 451, "4.3.0 qmail-queue exit 10" },
		{ 11, 554, "5.3.0 qmail-queue exit 11" },
		{ 31, 554, "5.7.1 " }, { 40, 554, "5.3.0 qmail-queue exit 40" },
		{ 41, 451, "4.3.0 qmail-queue exit 41" },
		{ 81, 451, "4.3.0 qmail-queue exit 81" },
		{ 255, 451, "4.3.0 qmail-queue exit 255" },
	};
	static const char	 env[] = "Fs@x\0Ta@y\0Tb@y\0";
	struct fwd_spec		 spec;
	struct fwd_result	 why, res[2];
	struct fwd_conn		*c;
	struct fwd_msg		 m = msg(rc2, 2, "SIZE=1");
	char			 s[256], path[128], *got, want[128];
	size_t			 i, n;

	(void)state;
	qmail_setup(s, sizeof(s), "cat >\"$D/msg\" && cat <&1 >\"$D/env\" && "
	    "exit $(cat \"$D/code\")");
	assert_int_equal(fwd_parse(s, &spec, NULL, 0), 0);
	c = fwd_open(&spec, "me", TMO, &why);
	assert_non_null(c);
	assert_int_equal(fwd_caps(c)->ext, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		qmail_code(t[i].exit);
		assert_int_equal(fwd_send(c, &m, res), 0);
		expect_res(&res[0], t[i].code, t[i].text);
		expect_res(&res[1], t[i].code, t[i].text);
		assert_int_equal(fwd_usable(c), 1);
	}
	/* the message as is (not stuffed), the envelope byte for byte */
	snprintf(path, sizeof(path), "%s/msg", tdir);
	snprintf(want, sizeof(want), "%s%s%s", M0, M1, M2);
	expect_file(path, want);
	snprintf(path, sizeof(path), "%s/env", tdir);
	got = slurp(path, &n);
	assert_int_equal(n, sizeof(env));	/* with the extra NUL */
	assert_memory_equal(got, env, sizeof(env));
	free(got);
	/* null sender */
	m.sender = "";
	m.nrcpt = 1;
	qmail_code(0);
	assert_int_equal(fwd_send(c, &m, res), 0);
	got = slurp(path, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(got, "F\0Ta@y\0\0", 8);
	free(got);
	fwd_close(c);
}

/* qmail-queue that fails to run, dies, hangs or reads nothing */
static void
t_qmail_bad(void **state)
{
	struct fwd_spec		 spec;
	struct fwd_result	 why, res[1];
	struct fwd_conn		*c;
	struct fwd_msg		 m = msg(rc2, 1, NULL);
	struct iovec		 iov;
	char			 s[256], *big;
	size_t			 n = 1024 * 1024;

	(void)state;
	assert_int_equal(fwd_parse("qmail:(/nonexistent/qmail-queue)", &spec,
	    NULL, 0), 0);
	c = fwd_open(&spec, "me", TMO, &why);
	assert_non_null(c);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 451, "4.3.0 cannot run /nonexistent/qmail-queue");
	fwd_close(c);

	qmail_setup(s, sizeof(s), "kill -9 $$");
	assert_int_equal(fwd_parse(s, &spec, NULL, 0), 0);
	c = fwd_open(&spec, "me", TMO, &why);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 451, "4.3.0 qmail-queue killed by signal 9");
	fwd_close(c);

	qmail_setup(s, sizeof(s), "exec sleep 30");
	assert_int_equal(fwd_parse(s, &spec, NULL, 0), 0);
	c = fwd_open(&spec, "me", 300, &why);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 451, "4.3.0 qmail-queue timed out");
	fwd_close(c);

	/* exits 0 without reading a big message: EPIPE, no SIGPIPE */
	big = calloc(1, n);
	assert_non_null(big);
	iov = (struct iovec){ big, n };
	m.iov = &iov;
	m.niov = 1;
	qmail_setup(s, sizeof(s), "exit 0");
	assert_int_equal(fwd_parse(s, &spec, NULL, 0), 0);
	c = fwd_open(&spec, "me", TMO, &why);
	assert_int_equal(fwd_send(c, &m, res), 0);
	expect_res(&res[0], 451, "4.3.0 qmail-queue exit 0 without reading");
	fwd_close(c);
	free(big);
}

/* fake_main - this binary as smtp:(command): the fake on stdin/stdout */
static int
fake_main(char **argv)
{
	int	 script = atoi(argv[2]);

	if (script < 0 || (size_t)script >= sizeof(scripts) /
	    sizeof(scripts[0]))
		return 2;
	fake_serve(&scripts[script], atoi(argv[3]), 0, 1, argv[4], argv[5]);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse),
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(t_pipe_tcp), T(t_pipe_cmd), T(t_plain), T(t_helo),
		T(t_lmtp_tcp), T(t_lmtp_cmd), T(t_lmtp_plain), T(t_norcpt),
		T(t_norcpt_pipe), T(t_mailno), T(t_mailno_pipe), T(t_datano),
		T(t_all_ext), T(t_no_dsn), T(t_xforward_long), T(t_smtputf8),
		T(t_size), T(t_close_mid_data), T(t_two), T(t_many), T(t_v6), T(t_open_fail),
		T(t_idle_close), T(t_qmail), T(t_qmail_bad),
#undef T
	};
	ssize_t	 n;

	if (argc >= 6 && strcmp(argv[1], "--fake") == 0)
		return fake_main(argv);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return 1;
	self[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
