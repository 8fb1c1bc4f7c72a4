/*
 * hexdigit.h - the value of one hex digit, shared by every parser of
 * hex text (signatures, cure records, quoted-printable)
 */
#ifndef VIGIL_HEXDIGIT_H
#define VIGIL_HEXDIGIT_H

/* hex_digit - 0..15, or -1 when c is not a hex digit */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
