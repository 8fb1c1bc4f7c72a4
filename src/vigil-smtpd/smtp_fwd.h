/*
 * smtp_fwd.h - vigil-smtpd's ForwardMailer: handing mail to the next MTA
 *
 * ForwardMailer forms (mail guide 4.4.5):
 *	smtp:HOST:PORT  lmtp:HOST:PORT	TCP (HOST may be [v6addr]; PORT
 *					defaults to 25 for smtp, 24 for lmtp)
 *	smtp:(COMMAND)  lmtp:(COMMAND)	COMMAND run with /bin/sh -c, speaking
 *					SMTP/LMTP on its stdin/stdout
 *					("smtp:(/usr/sbin/sendmail -bs)")
 *	qmail:(PATH)			PATH is the original qmail-queue: run
 *					once per message, message on its fd 0,
 *					envelope on its fd 1
 * A connection (TCP or command) carries any number of transactions; it is
 * opened by fwd_open and kept by the caller between messages.  Every wait
 * is bounded by the timeout (each reply must be complete within it, each
 * write must make progress within it; connect tries every address within
 * it; XXX getaddrinfo is not bounded); SIGPIPE is never raised (commands
 * get a socketpair and MSG_NOSIGNAL; qmail's pipes are written with
 * SIGPIPE blocked); TCP_NODELAY is set.  Commands run in their own
 * process group.  The caller must not set SIGCHLD to SIG_IGN (children
 * are reaped with waitpid; qmail needs the exit status).
 * When the peer announces PIPELINING, MAIL, all RCPTs and DATA go in one
 * write; the message is written in large pieces, dot-stuffed.
 */
#ifndef VIGIL_SMTP_FWD_H
#define VIGIL_SMTP_FWD_H

#include <stddef.h>
#include <sys/uio.h>

#include "smtp_proto.h"

enum fwd_kind { FWD_SMTP, FWD_LMTP, FWD_QMAIL };

struct fwd_spec {
	enum fwd_kind	kind;
	int		command;	/* 1: cmd, 0: host/port */
	char		host[256];
	char		port[16];
	char		cmd[1024];
};

/*
 * fwd_parse - 0, or -1 with a reason in err (names the bad part).
 * Protocol names are case-insensitive; blanks around the value and inside
 * the parentheses' ends are trimmed.  HOST: letters, digits, '.', '-',
 * '_' (at most 255), or [IPv6] (a %zone is kept); a bare IPv6 address
 * is refused.  PORT: 1-65535 or a service name starting with a letter.
 * COMMAND: up to 1023 bytes, no control characters; the last ')' of the
 * value closes it, so parentheses inside are kept.  qmail's PATH must be
 * absolute; it is executed directly, without a shell.
 */
int	fwd_parse(const char *text, struct fwd_spec *, char *err,
	    size_t errlen);

/* One transaction. */
struct fwd_msg {
	const char		*sender;	/* "" for <> */
	/*
	 * The upstream MAIL command's ESMTP parameters, as sent.  SIZE= is
	 * replaced by the real size; BODY= is kept when the peer announces
	 * 8BITMIME (BINARYMIME: never sent, BODY=8BITMIME instead);
	 * SMTPUTF8 when it announces SMTPUTF8 (else the transaction fails
	 * with 553 5.6.7 for every recipient); RET= and ENVID= when it
	 * announces DSN; others are dropped.
	 */
	const char		*mail_params;
	size_t			 nrcpt;
	const char *const	*rcpt;
	/* per recipient: the upstream RCPT's parameters (NOTIFY=, ORCPT=),
	   sent only when the peer announces DSN; NULL: none */
	const char *const	*rcpt_params;
	/* XFORWARD attributes ("NAME=x ADDR=y ..."), sent (filtered by
	   smtp_xforward_filter to what the peer announces) before MAIL
	   when the peer announces XFORWARD; NULL: none */
	const char		*xforward;
	/* the message, lines ending CRLF, not dot-stuffed */
	const struct iovec	*iov;
	size_t			 niov;
};

/* Per recipient outcome: code 2xx delivered, 4xx try later, 5xx never. */
struct fwd_result {
	int	code;
	char	text[512];	/* the peer's reply text, "4.4.2 ..." style
				   when we made it up; one line (line breaks
				   and control bytes become spaces), with
				   "c.0.0 " put in front when the peer gave
				   no enhanced status code */
};

struct fwd_conn;

/*
 * fwd_open - connect (or start the command), read the greeting, send
 * EHLO helo (LHLO for lmtp; EHLO refused: HELO) and learn the peer's
 * capabilities.  For qmail:(PATH) nothing is started here.  NULL on
 * failure with *why filled (a 4xx/5xx from the peer, or code 451 and
 * "4.4.1 ..." text for a connection or start-up failure).  A refused
 * greeting is answered with QUIT.  timeout_ms <= 0 means 300 s.  A helo
 * that is empty or holds blanks or control bytes becomes "localhost".
 */
struct fwd_conn *fwd_open(const struct fwd_spec *, const char *helo,
	    int timeout_ms, struct fwd_result *why);

/*
 * fwd_send - one transaction.  Fills res[0..m->nrcpt) and returns 0 when
 * the peer's answers were all read (each recipient has its outcome: the
 * RCPT reply when that refused it, else the DATA reply, per recipient
 * for LMTP); the connection can take another transaction.  -1 when the
 * connection failed midway: each recipient without an outcome gets 451
 * "4.4.2 ..." and the connection is unusable (fwd_usable 0).
 * qmail: runs PATH; exit 0 is 250 for all, 11..40 5xx (31: 554 5.7.1),
 * others 4xx (451 "4.3.0 qmail-queue exit N").
 *
 * Details:
 * - -1 exactly when the connection is unusable afterwards: a transport
 *   failure, a protocol violation, a 421 reply anywhere, or a refused RSET
 *   (recipients that already had an outcome keep it).
 * - Refused before anything is sent, returning 0 with the connection
 *   intact: a sender with control bytes or '<' '>' (501 5.1.7 for all), a
 *   message over the peer's SIZE (552 5.3.4 for all), SMTPUTF8 (553 5.6.7,
 *   above).  A recipient with control bytes or '<' '>' gets 501 5.1.3
 *   and is left out of the transaction.
 * - nrcpt 0: nothing is sent; 0 (or -1 when already unusable).
 * - XFORWARD goes in commands of at most 500 bytes of attributes, split
 *   between attributes; a refusal is logged and otherwise ignored.
 * - Pipelined DATA answered 5xx with no recipient accepted, or DATA
 *   refused after some were: the transaction is closed with RSET; so is
 *   one without PIPELINING where no RCPT was accepted (DATA not sent).
 * - qmail: the message bytes go exactly as in iov (qmail wants LF line
 *   ends: pass what qmail-smtpd gave), the envelope as "F" sender NUL,
 *   "T" rcpt NUL each, NUL.  Exit 0 after qmail-queue stopped reading
 *   early, a signal, or no exit within the timeout (then SIGKILL) are
 *   451 4.3.0; always returns 0.
 */
int	fwd_send(struct fwd_conn *, const struct fwd_msg *m,
	    struct fwd_result *res);

/*
 * fwd_usable - 1 while fwd_send may be called again; also 0 when the
 * peer has closed or sent something unasked (a 421 idle timeout) since
 * the last transaction: open a new connection then.
 */
int	fwd_usable(const struct fwd_conn *);

/* fwd_caps - the peer's capabilities (zero for qmail) */
const struct smtp_caps *fwd_caps(const struct fwd_conn *);

/*
 * fwd_close - QUIT (when usable), close, reap the command; NULL: no-op.
 * Waits up to the timeout for QUIT's reply and for the command to exit,
 * then kills its process group with SIGKILL.
 */
void	fwd_close(struct fwd_conn *);

#endif
