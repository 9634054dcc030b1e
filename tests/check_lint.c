/* check_lint.c — the warnings of `scopec check` (compiler/lint.c). */
#include "suites.h"
#include "lint.h"

#include <stdlib.h>
#include <string.h>

#define WARNS(text, needle)                                                     \
	do {                                                                    \
		char *out_ = sc_test_lint(text);                                \
		ck_assert_msg(strstr(out_, needle), "want '%s' for:\n%s\ngot:\n%s", needle, text, out_); \
		free(out_);                                                     \
	} while (0)

#define QUIET(text)                                                             \
	do {                                                                    \
		char *out_ = sc_test_lint(text);                                \
		ck_assert_msg(!strstr(out_, "warning"), "no warning expected for:\n%s\ngot:\n%s", text, out_); \
		free(out_);                                                     \
	} while (0)

START_TEST(grants_everything)
{
	WARNS("task t allows **", "t.scope:1:15: warning: 'allows **' grants every action on every resource");
	WARNS("task t allows ** **", "grants every action on every resource");
	WARNS("task t asks ** forum.**", "'asks **' grants every action (delete");
	QUIET("task t allows ** when ticket == \"1\"");
	QUIET("task t allows read **");
	QUIET("task t allows read x denies ** secrets.**");
}
END_TEST

START_TEST(shadowed_items)
{
	WARNS("task t allows read secrets.db denies ** secrets.**", "t.scope:1:15: warning: this allows item never takes effect");
	WARNS("task t allows read secrets.db denies ** secrets.**", "t.scope:1:38: note: denied by this item");
	WARNS("task t asks post forum.x.** denies post forum.**", "this asks item never takes effect");
	WARNS("task t allows read\ntask * denies read", "never takes effect");
	/* a condition on the deny means it does not always apply */
	QUIET("task t allows read secrets.db denies ** secrets.** when k == \"1\"");
	/* covered in one task but not in another: it takes effect there */
	QUIET("task base allows read x\ntask t extends base denies read x");
	/* a resource-less allow is not covered by a deny of one resource */
	QUIET("task t allows read denies read secrets.*");
}
END_TEST

START_TEST(nothing_granted_and_unused)
{
	WARNS("task t denies read", "task 't' grants nothing");
	QUIET("task quarantined"); /* no clauses: deliberately no authority */
	WARNS("let unused = read x\ntask t allows read y", "t.scope:1:5: warning: set '@unused' is never used");
	/* used through another set */
	QUIET("let a = read x\nlet b = @a\ntask t allows @b");
}
END_TEST

START_TEST(conditions_and_regexes)
{
	WARNS("task t allows r when k == \"a\" and k == \"b\"", "never true");
	WARNS("task t allows r when k == \"a\" and k != \"a\"", "never true");
	QUIET("task t allows r when k == \"a\" or k == \"b\"");
	WARNS("task t allows r when k matches /x*/", "matches the empty string");
	QUIET("task t allows r when k matches /x+/");
	WARNS("task t allows \"\" x", "never matches");
}
END_TEST

START_TEST(invisible_and_confusable)
{
	/* U+202E RIGHT-TO-LEFT OVERRIDE inside a comment */
	WARNS("task t allows read x # \xe2\x80\xae hidden\n", "t.scope:1:24: warning: invisible or bidirectional control character U+202E");
	WARNS("task t allows \"read\xe2\x80\x8b\"", "U+200B");
	/* Cyrillic a (U+0430) in a Latin task name */
	WARNS("task \"tri\xd0\xb0ge\" allows read x", "mixes ASCII letters with non-ASCII");
	QUIET("task t allows read \"caf\xc3\xa9\"");
}
END_TEST

START_TEST(covers)
{
	ck_assert(sc_glob_covers(sc_str_c("**"), sc_str_c("a.*.b")));
	ck_assert(sc_glob_covers(sc_str_c("forum.**"), sc_str_c("forum.x.*")));
	ck_assert(sc_glob_covers(sc_str_c("forum.*"), sc_str_c("forum.x")));
	ck_assert(!sc_glob_covers(sc_str_c("forum.*"), sc_str_c("forum.*.x")));
	ck_assert(!sc_glob_covers(sc_str_c("forum.**"), sc_str_c("foru*")));
	ck_assert(!sc_glob_covers(sc_str_c("a.*"), sc_str_c("a.**")));
}
END_TEST

Suite *sc_suite_lint(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, grants_everything);
	tcase_add_test(tc, shadowed_items);
	tcase_add_test(tc, nothing_granted_and_unused);
	tcase_add_test(tc, conditions_and_regexes);
	tcase_add_test(tc, invisible_and_confusable);
	tcase_add_test(tc, covers);
	suite_add_tcase(s, tc);
	return s;
}
