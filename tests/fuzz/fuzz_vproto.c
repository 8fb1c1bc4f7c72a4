/*
 * fuzz_vproto.c - the native protocol's parsers: request options (what
 * vigild reads from a client) and reply lines (what a client reads from
 * vigild)
 *
 * The whole input is parsed as OPTS; what parses must format and parse
 * back to the same request.  Then each '\n'-separated line of the input,
 * in an exact-size heap copy, is parsed as a command line (a VSCAN or
 * VINSTREAM line's OPTS as above) and as a reply line; a VRESULT or
 * VDET line that parses is formatted again (as a one-detection reply)
 * and must parse back to the same fields.  Last, the input is
 * percent-decoded; what decodes must encode and decode back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vproto.h"

/* fz_same - two optional strings are equal */
static int
fz_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* fz_opts - parse, format, parse again */
static void
fz_opts(const void *data, size_t size)
{
	static struct vproto_req	 a, b;
	struct vigil_limits		 def;
	struct strbuf			 sb;
	char				 err[128];

	memset(&def, 0, sizeof(def));
	def.max_files = 7;
	if (vproto_opts_parse((const char *)data, size, &def, &a, err,
	    sizeof(err)) == -1)
		return;
	strbuf_init(&sb, 4 * VPROTO_LINE_MAX);
	if (vproto_opts_format(&sb, &a) == -1)
		abort();
	if (vproto_opts_parse(sb.data, sb.len, &def, &b, err,
	    sizeof(err)) == -1)
		abort();
	if (memcmp(&a.lim, &b.lim, sizeof(a.lim)) != 0 || a.cure != b.cure ||
	    strcmp(a.name, b.name) != 0 || strcmp(a.client, b.client) != 0)
		abort();
	strbuf_fini(&sb);
}

/* fz_fits - s survives a format's cut at cut encoded bytes */
static int
fz_fits(const char *s, size_t cut)
{
	return s == NULL || strlen(s) * 3 <= cut;
}

/* fz_reformat - a parsed VRESULT or VDET formats and parses back */
static void
fz_reformat(const struct vproto_line *l)
{
	struct vigil_detection	 d = { l->status, l->threat, l->object,
	    l->reason };
	struct vigil_result	 r = { .status = l->status, .threat = l->threat,
	    .reason = l->reason, .bytes = l->bytes, .objects = l->objects };
	struct vproto_meta	 m = { l->usec, l->cached, l->cured, l->db };
	struct vproto_line	 b;
	struct strbuf		 sb;
	char			*nl, err[128];

	if (!fz_fits(l->threat, 2048) || !fz_fits(l->reason, 4096) ||
	    !fz_fits(l->object, 8192))
		return;
	if (l->kind == VPROTO_LINE_DET) {
		r.ndet = 1;
		r.det = &d;
		m.db = "";
	}
	strbuf_init(&sb, 1 << 20);
	if (vproto_result_format(&sb, &r, &m, '\n') == -1)
		abort();
	if (l->kind == VPROTO_LINE_DET)
		nl = (char *)memchr(sb.data, '\n', sb.len) + 1;
	else
		nl = sb.data;
	if (vproto_reply_line_parse(nl, (size_t)((char *)memchr(nl, '\n',
	    sb.len - (size_t)(nl - sb.data)) - nl), &b, err, sizeof(err)) == -1)
		abort();
	if (b.kind != l->kind || b.status != l->status ||
	    !fz_same(b.threat, l->threat) || !fz_same(b.reason, l->reason) ||
	    !fz_same(b.object, l->object))
		abort();
	if (l->kind == VPROTO_LINE_RESULT && (b.bytes != l->bytes ||
	    b.objects != l->objects || b.usec != l->usec ||
	    b.cached != l->cached || b.cured != l->cured ||
	    strcmp(b.db, l->db) != 0))
		abort();
	strbuf_fini(&sb);
}

/* fz_lines - each line as a reply line */
static void
fz_lines(const uint8_t *data, size_t size)
{
	struct vproto_line	 l;
	const uint8_t		*p = data, *e;
	const char		*opts;
	char			*line, err[128];
	size_t			 n, optslen;

	while (p <= data + size) {
		e = memchr(p, '\n', (size_t)(data + size - p));
		n = e != NULL ? (size_t)(e - p) : (size_t)(data + size - p);
		if ((line = malloc(n + 1)) == NULL)
			return;
		memcpy(line, p, n);
		if (vproto_command(line, n, &opts, &optslen) != VPROTO_CMD_NONE)
			fz_opts(opts, optslen);
		if (vproto_reply_line_parse(line, n, &l, err,
		    sizeof(err)) == 0 && (l.kind == VPROTO_LINE_RESULT ||
		    l.kind == VPROTO_LINE_DET))
			fz_reformat(&l);
		free(line);
		if (e == NULL)
			break;
		p = e + 1;
	}
}

/* fz_pct - decode, encode, decode: the same bytes */
static void
fz_pct(const uint8_t *data, size_t size)
{
	struct strbuf	 sb;
	char		*a, *b;
	ssize_t		 n, m;

	if ((a = malloc(size + 1)) == NULL)
		return;
	if ((n = vproto_pct_decode((const char *)data, size, a, size + 1)) ==
	    -1) {
		free(a);
		return;
	}
	strbuf_init(&sb, 3 * size + 1);
	if (vproto_pct_encode(&sb, a, (size_t)n) == -1 ||
	    (b = malloc(sb.len + 1)) == NULL)
		abort();
	m = vproto_pct_decode(sb.data != NULL ? sb.data : "", sb.len, b,
	    sb.len + 1);
	if (m != n || memcmp(a, b, (size_t)n) != 0)
		abort();
	free(b);
	free(a);
	strbuf_fini(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_opts(data, size);
	fz_lines(data, size);
	fz_pct(data, size);
	return 0;
}
