/* check_fmt.c — the canonical layout (compiler/fmt.c). */
#include "suites.h"
#include "fmt.h"

#include <stdlib.h>
#include <string.h>

/* Formats TEXT; returns the output (malloc'd) or NULL if refused. */
static char *fmt(const char *text)
{
	sc_diag d;
	FILE *devnull = fopen("/dev/null", "w");
	sc_diag_init(&d, devnull);
	uint32_t f = sc_diag_add(&d, "t.scope", text, strlen(text));
	char *out = NULL;
	size_t n = 0;
	int rc = sc_fmt(&d, f, &out, &n);
	sc_diag_fini(&d);
	fclose(devnull);
	return rc == 0 ? out : NULL;
}

#define FMT_IS(in, want)                                                          \
	do {                                                                      \
		char *got_ = fmt(in);                                             \
		ck_assert_ptr_nonnull(got_);                                      \
		ck_assert_msg(strcmp(got_, want) == 0, "fmt of:\n%s\ngot:\n%s\nwant:\n%s", in, got_, want); \
		char *again_ = fmt(got_);                                         \
		ck_assert_ptr_nonnull(again_);                                    \
		ck_assert_msg(strcmp(again_, got_) == 0, "not idempotent:\n%s\nthen:\n%s", got_, again_); \
		free(again_);                                                     \
		free(got_);                                                       \
	} while (0)

START_TEST(one_line_form)
{
	FMT_IS("task triage allows read forum.* denies post, config.*",
	       "task triage\n  allows read forum.*\n  denies post,\n         config.*\n");
}
END_TEST

START_TEST(sets_tasks_expects)
{
	FMT_IS("let  m=delete **,config.*\ntask t extends a,b asks post x when k==\"v\"\n"
	       "expect ask t post x k=v\nexpect deny   t  \"a b\"\ninclude   \"x.scope\"",
	       "let m = delete **,\n        config.*\n"
	       "task t extends a, b\n  asks   post x when k == \"v\"\n"
	       "expect ask   t post x k=v\nexpect deny  t \"a b\"\ninclude \"x.scope\"\n");
	/* a quoted set reference stays one token pair: @"s" (found by fuzz_diff) */
	FMT_IS("let s = a\ntask t allows @\"s\" when k == \"v\",@\"s\"",
	       "let s = a\ntask t\n  allows @\"s\" when k == \"v\",\n         @\"s\"\n");
	FMT_IS("task t allows r when (has a or not has b) and k in[\"x\",\"y\"] and m matches /a b/i",
	       "task t\n  allows r when (has a or not has b) and k in [\"x\", \"y\"] and m matches /a b/i\n");
}
END_TEST

START_TEST(comments_kept)
{
	FMT_IS("# head\n\n\n# two\ntask t # trailing\n  # before clause\n  allows a, # after comma\n  b\n# end\n",
	       "# head\n\n# two\ntask t  # trailing\n  # before clause\n  allows a,  # after comma\n         b\n# end\n");
	/* two trailing comments on one output line: the second moves down */
	FMT_IS("task t allows a # one\n , # two\n b\n",
	       "task t\n  allows a,  # one\n         # two\n         b\n");
	FMT_IS("# header\n\ntask t allows a\n", "# header\n\ntask t\n  allows a\n");
	FMT_IS("", "");
	FMT_IS("# only\n", "# only\n");
}
END_TEST

START_TEST(blank_lines_between_statements)
{
	FMT_IS("task a\n\n\n\ntask b\ntask c", "task a\n\ntask b\ntask c\n");
}
END_TEST

START_TEST(refuses_broken_files)
{
	ck_assert_ptr_null(fmt("task t allows"));
	ck_assert_ptr_null(fmt("task t allows \"open"));
}
END_TEST

Suite *sc_suite_fmt(void)
{
	Suite *s = suite_create("fmt");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, one_line_form);
	tcase_add_test(tc, sets_tasks_expects);
	tcase_add_test(tc, comments_kept);
	tcase_add_test(tc, blank_lines_between_statements);
	tcase_add_test(tc, refuses_broken_files);
	suite_add_tcase(s, tc);
	return s;
}
