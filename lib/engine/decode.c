/*
 * decode.c - mail transfer decodings: base64, quoted-printable, uuencode
 *
 * DESIGN: each decoder is one forward pass over (in, n) with a write
 * cursor that is checked against outcap before every store, so neither
 * hostile input nor a small output buffer can push it out of bounds, and
 * its work is linear in n.  Base64 goes four characters at a time through
 * a 256-entry table while the input is clean (a 10 MB attachment decodes
 * in a few milliseconds) and falls back to one character at a time around
 * whitespace, padding and garbage.  Quoted-printable copies runs between
 * '=' signs with memcpy.  Malformed input is decoded as far as it makes
 * sense and reported through *bad; see decode.h for the exact rules.
 *
 * Why hand-written: see decode.h.
 */
#include <string.h>

#include "decode.h"
#include "hexdigit.h"

#define B64_WS		64	/* whitespace: skipped */
#define B64_PAD		65	/* '=' */
#define B64_BAD		255

/* base64 alphabet value, B64_WS, B64_PAD or B64_BAD, by byte */
static const uint8_t	b64tab[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255,  64,  64,  64,  64,  64, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	 64, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255,  65, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* setbad - report malformed input */
static void
setbad(int *bad)
{
	if (bad != NULL)
		*bad = 1;
}

/* b64_tail - flush a final group of k sextets held in acc */
static size_t
b64_tail(uint32_t acc, int k, uint8_t *out, size_t o, size_t outcap,
    int *bad)
{
	if (k == 1)
		setbad(bad);
	if (k >= 2 && o < outcap)
		out[o++] = (uint8_t)(acc >> (6 * k - 8));
	if (k == 3 && o < outcap)
		out[o++] = (uint8_t)(acc >> 2);
	return o;
}

/* dec_base64 - see decode.h */
size_t
dec_base64(const uint8_t *in, size_t n, uint8_t *out, size_t outcap,
    int *bad)
{
	uint32_t	acc = 0;
	size_t		i = 0, o = 0;
	int		k = 0;
	uint8_t		v;

	while (i < n) {
		/* fast path: clean quads at a group boundary */
		while (k == 0 && n - i >= 4 && outcap - o >= 3) {
			uint32_t	a = b64tab[in[i]], b = b64tab[in[i + 1]];
			uint32_t	c = b64tab[in[i + 2]], d = b64tab[in[i + 3]];
			uint32_t	q = a << 18 | b << 12 | c << 6 | d;

			if ((a | b | c | d) >= 64)
				break;
			out[o] = (uint8_t)(q >> 16);
			out[o + 1] = (uint8_t)(q >> 8);
			out[o + 2] = (uint8_t)q;
			o += 3;
			i += 4;
		}
		if (i >= n)
			break;
		v = b64tab[in[i++]];
		if (v == B64_WS)
			continue;
		if (v == B64_PAD) {
			if (k < 2)
				setbad(bad);
			return b64_tail(acc, k, out, o, outcap, bad);
		}
		if (v == B64_BAD) {
			setbad(bad);
			return b64_tail(acc, k, out, o, outcap, bad);
		}
		acc = acc << 6 | v;
		if (++k == 4) {
			if (outcap - o < 3) {
				/* out of room: keep what fits */
				for (int s = 16; s >= 0 && o < outcap; s -= 8)
					out[o++] = (uint8_t)(acc >> s);
				return o;
			}
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = 0;
			k = 0;
		}
	}
	return b64_tail(acc, k, out, o, outcap, bad);
}

/* qp_softbreak - if in[i..] (just after '=') is WSP* then EOL or the end,
 * return the length to skip, else 0 */
static size_t
qp_softbreak(const uint8_t *in, size_t n, size_t i)
{
	size_t	j = i;

	while (j < n && (in[j] == ' ' || in[j] == '\t'))
		j++;
	if (j == n)
		return j - i + 1;	/* "=" ends the input: keeps the caller moving */
	if (in[j] == '\n')
		return j + 1 - i + 1;
	if (in[j] == '\r' && j + 1 < n && in[j + 1] == '\n')
		return j + 2 - i + 1;
	if (in[j] == '\r' && j + 1 == n)
		return j + 1 - i + 1;
	return 0;
}

/* dec_qp - see decode.h */
size_t
dec_qp(const uint8_t *in, size_t n, uint8_t *out, size_t outcap, int *bad)
{
	const uint8_t	*eq;
	size_t		 i = 0, o = 0, run, skip;
	int		 h, l;

	while (i < n && o < outcap) {
		eq = memchr(in + i, '=', n - i);
		run = (eq == NULL ? n : (size_t)(eq - in)) - i;
		if (run > outcap - o)
			run = outcap - o;
		memcpy(out + o, in + i, run);
		o += run;
		i += run;
		if (eq == NULL || o == outcap)
			break;
		/* in[i] == '=' */
		if (i + 2 < n && (h = hex_digit(in[i + 1])) >= 0 &&
		    (l = hex_digit(in[i + 2])) >= 0) {
			out[o++] = (uint8_t)(h << 4 | l);
			i += 3;
		} else if ((skip = qp_softbreak(in, n, i + 1)) > 0) {
			i += skip;
		} else {
			setbad(bad);
			out[o++] = '=';
			i++;
		}
	}
	return o;
}

#define UUDEC(c)	((uint8_t)(((c) - ' ') & 63))

/* uu_line - decode one data line [p, p + len); returns -1 at the length-0
 * terminator line, else the bytes written */
static int
uu_line(const uint8_t *p, size_t len, uint8_t *out, size_t room, int *bad)
{
	size_t	want, need, o = 0;
	uint8_t	q[4];

	want = UUDEC(p[0]);
	if (want == 0)
		return -1;
	p++;
	len--;
	need = (want + 2) / 3 * 4;
	if (len < need)
		setbad(bad);
	if (need > len)		/* cut short: only bytes its chars fix */
		need = len;
	for (size_t g = 0; g < need && o < want && o < room; g += 4) {
		size_t	k = need - g < 4 ? need - g : 4, lim = o + k - 1;

		for (size_t j = 0; j < 4; j++) {
			uint8_t	c = j < k ? p[g + j] : '`';

			if (c < ' ' || c > '`')
				setbad(bad);
			q[j] = UUDEC(c);
		}
		if (lim > want)
			lim = want;
		if (lim > room)
			lim = room;
		if (o < lim)
			out[o++] = (uint8_t)(q[0] << 2 | q[1] >> 4);
		if (o < lim)
			out[o++] = (uint8_t)(q[1] << 4 | q[2] >> 2);
		if (o < lim)
			out[o++] = (uint8_t)(q[2] << 6 | q[3]);
	}
	return (int)o;
}

/* dec_uu - see decode.h */
size_t
dec_uu(const uint8_t *in, size_t n, uint8_t *out, size_t outcap, int *bad)
{
	const uint8_t	*nl;
	size_t		 i = 0, o = 0, len, next;
	int		 w;

	while (i < n && o < outcap) {
		nl = memchr(in + i, '\n', n - i);
		next = nl == NULL ? n : (size_t)(nl - in) + 1;
		len = (nl == NULL ? n : (size_t)(nl - in)) - i;
		if (len > 0 && in[i + len - 1] == '\r')
			len--;
		if (len == 3 && memcmp(in + i, "end", 3) == 0)
			break;
		if (len > 0) {
			if ((w = uu_line(in + i, len, out + o, outcap - o,
			    bad)) < 0)
				break;
			o += (size_t)w;
		}
		i = next;
	}
	return o;
}

/* uu_begin - if a valid "begin MODE NAME" line starts at p, return its
 * length without the line end and set the name range; else 0 */
static size_t
uu_begin(const uint8_t *text, size_t n, size_t p, size_t *nm, size_t *nmlen)
{
	const uint8_t	*nl;
	size_t		 e, i = p + 6, d = 0;

	nl = memchr(text + p, '\n', n - p);
	e = nl == NULL ? n : (size_t)(nl - text);
	while (i < e && text[i] >= '0' && text[i] <= '7' && d < 5)
		i++, d++;
	if (d == 0 || d > 4 || i >= e || text[i] != ' ')
		return 0;
	while (i < e && text[i] == ' ')
		i++;
	while (e > i && (text[e - 1] == '\r' || text[e - 1] == ' ' ||
	    text[e - 1] == '\t'))
		e--;
	if (i >= e)
		return 0;
	*nm = i;
	*nmlen = e - i;
	return e - p;
}

/* uu_isend - does an "end" line start at p? */
static int
uu_isend(const uint8_t *text, size_t n, size_t p)
{
	size_t	i = p + 3;

	if (n - p < 3 || memcmp(text + p, "end", 3) != 0)
		return 0;
	while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
		i++;
	return i == n || text[i] == '\n';
}

/* uu_find - see decode.h */
int
uu_find(const uint8_t *text, size_t n, size_t pos, size_t *beg, size_t *end,
    size_t *next, char *name, size_t namecap, int *trunc)
{
	const uint8_t	*hit, *nl;
	size_t		 p = pos, nm = 0, nmlen = 0, b, e;

	if (trunc != NULL)
		*trunc = 0;
	for (;;) {
		if (p >= n)
			return 0;
		if ((p == 0 || text[p - 1] == '\n') && n - p >= 6 &&
		    memcmp(text + p, "begin ", 6) == 0 &&
		    uu_begin(text, n, p, &nm, &nmlen) > 0)
			break;
		if ((hit = memmem(text + p, n - p, "\nbegin ", 7)) == NULL)
			return 0;
		p = (size_t)(hit - text) + 1;
	}
	nl = memchr(text + nm, '\n', n - nm);
	b = nl == NULL ? n : (size_t)(nl - text) + 1;
	if (namecap > 0) {
		if (nmlen > namecap - 1)
			nmlen = namecap - 1;
		memcpy(name, text + nm, nmlen);
		name[nmlen] = '\0';
	}
	/* the "end" line: first line start at or after b */
	for (e = b;;) {
		if (e < n && uu_isend(text, n, e))
			break;
		if (e >= n || (hit = memmem(text + e, n - e, "\nend", 4)) ==
		    NULL) {
			*beg = b;
			*end = *next = n;
			if (trunc != NULL)
				*trunc = 1;
			return 1;
		}
		e = (size_t)(hit - text) + 1;
	}
	nl = memchr(text + e, '\n', n - e);
	*beg = b;
	*end = e;
	*next = nl == NULL ? n : (size_t)(nl - text) + 1;
	return 1;
}
