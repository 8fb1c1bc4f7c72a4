/*
 * fuzz_smtp_msg.c - libFuzzer target for src/vigil-smtpd/smtp_msg.c
 *
 * The input is a message.  Every function runs on it and the results are
 * checked: the header block end lies inside the input; field values are
 * flat; msg_parts numbers parts 1, 2, ... exactly as many as mime_walk
 * delivers; removing every second part yields parseable mail; the wrap
 * holds the input byte for byte as its second (and last) part; a
 * notification attaching the input re-parses with the input as its last
 * part, and its header block holds only the fields we write; the input
 * used as a template expands to CRLF-only text and to a notification
 * whose lines stay under 998 octets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "smtp_msg.h"

#define CAP	(1u << 22)

struct fz {
	unsigned	 last;
	size_t		 len;
	const uint8_t	*want;	/* the last part's data should be */
	size_t		 wlen;
	int		 same;
	unsigned	 idx[64];
	size_t		 nidx;
};

/* on_part - msg_parts: consecutive numbers; note every second one */
static int
on_part(const struct msg_part *p, void *arg)
{
	struct fz	*f = arg;

	if (p->index != f->last + 1 || p->ctype == NULL ||
	    strlen(p->ctype) >= 64)
		abort();
	f->last = p->index;
	if (p->index % 2 == 0 && f->nidx < 64)
		f->idx[f->nidx++] = p->index;
	return 0;
}

/* on_walk - mime_walk: count, and compare the last part with want */
static int
on_walk(const struct mime_part *p, const uint8_t *d, size_t n, void *arg)
{
	struct fz	*f = arg;

	f->last = p->index;
	f->same = f->want != NULL && n == f->wlen &&
	    (n == 0 || memcmp(d, f->want, n) == 0);
	return 0;
}

/* walk_count - leaves mime_walk delivers; *same as on_walk left it */
static unsigned
walk_count(const void *b, size_t n, const uint8_t *want, size_t wlen,
    int *same, int *corrupt)
{
	struct fz	f = { 0 };

	f.want = want;
	f.wlen = wlen;
	(void)mime_walk(b, n, NULL, on_walk, &f, corrupt);
	if (same != NULL)
		*same = f.same;
	return f.last;
}

/* check_flat - no control bytes */
static void
check_flat(const char *s)
{
	for (; *s != '\0'; s++)
		if ((uint8_t)*s < 32 || *s == 127)
			abort();
}

/* check_lines - CRLF only; each line at most max octets (0: any) */
static void
check_lines(const char *s, size_t a, size_t b, size_t max)
{
	size_t	col = 0;

	for (size_t i = a; i < b; i++) {
		if (s[i] == '\r') {
			if (i + 1 >= b || s[i + 1] != '\n')
				abort();
			i++;
			col = 0;
		} else if (s[i] == '\n')
			abort();
		else if (++col > max && max > 0)
			abort();
	}
}

/* check_fields - the notification's header block names only ours */
static void
check_fields(const struct strbuf *o)
{
	static const char *const	ok[] = { "Subject:",
	    "X-Vigil-Notification:", "From:", "To:", "Date:", "Message-ID:",
	    "Auto-Submitted:", "MIME-Version:", "Content-Type:",
	    "Content-Transfer-Encoding:", NULL };
	size_t		 ins, p = 0, k;
	const char	*e;

	(void)msg_header_end((const uint8_t *)o->data, o->len, &ins);
	while (p < ins) {
		if (o->data[p] != ' ' && o->data[p] != '\t') {
			for (k = 0; ok[k] != NULL; k++)
				if (strncmp(o->data + p, ok[k],
				    strlen(ok[k])) == 0)
					break;
			if (ok[k] == NULL)
				abort();
		}
		e = memchr(o->data + p, '\n', ins - p);
		p = e == NULL ? ins : (size_t)(e - o->data) + 1;
	}
}

static const char	tmpl[] =
	"Subject: [vigil] ${STATUS} ${SUBJECT} ${FROM}\n"
	"X-Vigil-Notification: admin\n"
	"\n"
	"S: ${SUBJECT}\nO: ${OBJECTS}\n$$ ${NOPE}\n${HEADERS}\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf	 out;
	struct msg_vars	 v;
	struct fz	 f = { 0 };
	char		 subj[256], from[64], mid[1000];
	char		*str;
	size_t		 ins, body, start;
	int		 r, same, corrupt;
	unsigned	 n;

	body = msg_header_end(data, size, &ins);
	if (body > size || ins > body)
		abort();
	(void)msg_header(data, body, "Subject", subj, sizeof(subj));
	(void)msg_header(data, body, "From", from, sizeof(from));
	(void)msg_header(data, body, "Message-ID", mid, sizeof(mid));
	check_flat(subj);
	check_flat(from);
	check_flat(mid);
	(void)msg_sniff(data, size);

	/* parts: the engine's numbering */
	r = msg_parts(data, size, on_part, &f);
	n = walk_count(data, size, NULL, 0, NULL, &corrupt);
	if (r == 0 && f.last != n)
		abort();

	strbuf_init(&out, CAP);
	r = msg_remove_parts(data, size, f.idx, f.nidx, "removed\n--x", &out);
	if (r > 0)
		(void)walk_count(out.data, out.len, NULL, 0, NULL, &corrupt);
	else if (r == 0 && out.len != 0)
		abort();
	else if (r == -1 && errno != EINVAL && errno != E2BIG &&
	    errno != ENOMEM)
		abort();

	/* wrap: the input, whole, is the second and last part */
	strbuf_reset(&out);
	if (msg_wrap(data, size, "report\nline", &out) == 0) {
		if (size > 0 && memmem(out.data, out.len, data, size) == NULL)
			abort();
		if (walk_count(out.data, out.len, data, size, &same,
		    &corrupt) != 2 || !same || corrupt)
			abort();
	}

	/* notifications */
	memset(&v, 0, sizeof(v));
	if ((str = malloc(size + 1)) == NULL)
		goto out;
	if (size > 0)
		memcpy(str, data, size);
	str[size] = '\0';
	v.subject = subj;
	v.from = from;
	v.objects = str;
	v.status = "INFECTED";
	v.headers = data;
	v.headers_len = ins;
	strbuf_reset(&out);
	v.objects = subj;	/* no uu block of its own in the text part */
	if (msg_notify(tmpl, sizeof(tmpl) - 1, &v, str, "a@b", data, size,
	    &out) == 0) {
		/* the body may carry uu blocks (a bare CR in HEADERS makes
		 * lines), delivered before the attachment, which is last */
		check_fields(&out);
		if (walk_count(out.data, out.len, data, size, &same,
		    &corrupt) < 2 || !same)
			abort();
	}
	v.objects = str;
	strbuf_reset(&out);
	if (msg_notify(str, size, &v, "f@x", str, NULL, 0, &out) == 0)
		check_lines(out.data, 0, out.len, 998);
	strbuf_reset(&out);
	if (msg_expand((const char *)data, size, &v, 0, &out) == 0)
		check_lines(out.data, 0, out.len, 0);
	strbuf_reset(&out);
	if (msg_expand("${OBJECTS}|${HEADERS}", 21, &v, 1, &out) == 0) {
		start = out.len;
		for (size_t i = 0; i < start; i++)
			if ((uint8_t)out.data[i] < 32)
				abort();
	}
	free(str);
out:
	strbuf_fini(&out);
	return 0;
}
