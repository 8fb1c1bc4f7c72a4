/*
 * args.c - command lines pasted from the administrator guides
 */
#include <string.h>

#include "args.h"

/* args_normalise - typographic dashes and a Cyrillic o, as ASCII */
void
args_normalise(int argc, char **argv)
{
	char	*a;
	int	 i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strncmp(a, "\xe2\x80\x93", 3) == 0 ||
		    strncmp(a, "\xe2\x80\x94", 3) == 0) {
			a[0] = '-';
			memmove(a + 1, a + 3, strlen(a + 3) + 1);
		}
		if (a[0] == '-' && strncmp(a + 1, "\xd0\xbe", 2) == 0) {
			a[1] = 'o';
			memmove(a + 2, a + 3, strlen(a + 3) + 1);
		}
	}
}
