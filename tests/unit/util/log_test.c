/*
 * log_test.c - log_quote makes untrusted bytes printable and bounded
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static const struct {
	const char	*in;
	size_t		 inlen;
	size_t		 outlen;
	const char	*want;
} cases[] = {
	{ "", 0, 16, "" },
	{ "plain", 5, 16, "plain" },
	{ "a\nb", 3, 16, "a\\x0ab" },
	{ "back\\slash", 10, 32, "back\\\\slash" },
	{ "\xff\x01", 2, 16, "\\xff\\x01" },
	{ "truncated-output", 16, 8, "tru" },
	{ "nul\0in", 6, 32, "nul\\x00in" },
};

/* test_quote - the table above */
static void
test_quote(void **state)
{
	char	 out[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		log_quote(out, cases[i].outlen, cases[i].in, cases[i].inlen);
		assert_string_equal(out, cases[i].want);
		assert_true(strlen(out) < cases[i].outlen);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
