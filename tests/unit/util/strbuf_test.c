/*
 * strbuf_test.c - the capped growable buffer: edges first
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

/* test_empty - a fresh buffer owns nothing; steal gives "" */
static void
test_empty(void **state)
{
	struct strbuf	 sb;
	char		*p;

	(void)state;
	strbuf_init(&sb, 16);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	p = strbuf_steal(&sb);
	assert_string_equal(p, "");
	free(p);
	strbuf_fini(&sb);
}

/* test_cap - max fits, max+1 fails with E2BIG and changes nothing */
static void
test_cap(void **state)
{
	struct strbuf	 sb;

	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_append(&sb, "12345678", 8), 0);
	assert_int_equal(strbuf_addc(&sb, 'x'), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(sb.len, 8);
	assert_string_equal(sb.data, "12345678");
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_int_equal(strbuf_printf(&sb, "%s", "123456789"), -1);
	assert_int_equal(strbuf_printf(&sb, "%d-%s", 42, "ab"), 0);
	assert_string_equal(sb.data, "42-ab");
	strbuf_fini(&sb);
}

/* test_growth - many appends keep the data and the NUL */
static void
test_growth(void **state)
{
	struct strbuf	 sb;
	int		 i;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	for (i = 0; i < 10000; i++)
		assert_int_equal(strbuf_addc(&sb, 'a' + i % 26), 0);
	assert_int_equal(sb.len, 10000);
	assert_int_equal(sb.data[9999], 'a' + 9999 % 26);
	assert_int_equal(sb.data[10000], '\0');
	strbuf_fini(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
