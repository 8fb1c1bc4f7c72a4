/*
 * fuzz_act.c - act_parse and act_shell_script on arbitrary text
 *
 * Besides "no crash, no leak, bounded work", three properties: a rule
 * that parses describes to text that parses to the same list; the shell
 * rewrite of every template (and of the raw input) never leaves a known
 * %VAR% token in the script; nothing is ever executed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "vigil-scan_act.h"

static const char *const known[] = {
	"%FULLPATH%", "%FILENAME%", "%VIRUSNAME%", "%STATUS%", "%OBJECT%",
	"%LIST%", "%SIZE%", "%DATE%"
};

/* check_script - rewrite tmpl; abort if a known token survives */
static void
check_script(const char *tmpl)
{
	struct strbuf	 sb;
	size_t		 i;

	strbuf_init(&sb, 1 << 20);
	if (act_shell_script(tmpl, &sb) == 0 && sb.data != NULL)
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strstr(sb.data, known[i]) != NULL)
				abort();
	strbuf_fini(&sb);
}

/* same_list - do two lists hold the same actions? */
static int
same_list(const struct act_list *a, const struct act_list *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].kind != b->v[i].kind ||
		    a->v[i].shell != b->v[i].shell ||
		    (a->v[i].arg == NULL) != (b->v[i].arg == NULL) ||
		    (a->v[i].arg != NULL &&
		    strcmp(a->v[i].arg, b->v[i].arg) != 0))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 desc[4 * ACT_RULE_MAX];
	struct act_list	 l, again;
	char		*text, err[256];
	size_t		 i;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_script(text);
	if (act_parse(text, &l, err, sizeof(err)) == 0) {
		for (i = 0; i < l.n; i++)
			if (l.v[i].kind == ACT_EXEC)
				check_script(l.v[i].arg);
		act_describe(&l, desc, sizeof(desc));
		if (strlen(desc) <= ACT_RULE_MAX) {
			if (act_parse(desc, &again, err, sizeof(err)) != 0 ||
			    !same_list(&l, &again))
				abort();
			act_list_free(&again);
		}
		act_list_free(&l);
	}
	free(text);
	return 0;
}
