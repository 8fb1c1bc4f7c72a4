/*
 * strbuf.c - capped growable byte buffer
 *
 * DESIGN: geometric growth, one spare byte for the terminating NUL, and a
 * hard cap so that no input can make a buffer grow without bound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* strbuf_init - empty buffer holding at most max bytes */
void
strbuf_init(struct strbuf *sb, size_t max)
{
	sb->data = NULL;
	sb->len = sb->cap = 0;
	sb->max = max;
}

/* strbuf_fini - release memory */
void
strbuf_fini(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

/* strbuf_reset - forget the contents, keep the memory */
void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

/* strbuf_reserve - grow so that n more bytes (plus NUL) fit */
void *
strbuf_reserve(struct strbuf *sb, size_t n)
{
	size_t	 need, ncap;
	char	*p;

	if (n > sb->max || sb->len > sb->max - n) {
		errno = E2BIG;
		return NULL;
	}
	need = sb->len + n + 1;
	if (need > sb->cap) {
		ncap = sb->cap ? sb->cap : 64;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		if ((p = realloc(sb->data, ncap)) == NULL)
			return NULL;
		sb->data = p;
		sb->cap = ncap;
	}
	return sb->data + sb->len;
}

/* strbuf_append - add n bytes */
int
strbuf_append(struct strbuf *sb, const void *src, size_t n)
{
	char	*p;

	if ((p = strbuf_reserve(sb, n)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p, src, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
	return 0;
}

/* strbuf_addc - add one byte */
int
strbuf_addc(struct strbuf *sb, int c)
{
	unsigned char	 b = (unsigned char)c;

	return strbuf_append(sb, &b, 1);
}

/* strbuf_printf - add formatted text */
int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;
	char	*p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = strbuf_reserve(sb, (size_t)n)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

/* strbuf_steal - hand the data to the caller */
char *
strbuf_steal(struct strbuf *sb)
{
	char	*p = sb->data;

	if (p == NULL)
		p = calloc(1, 1);
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return p;
}
