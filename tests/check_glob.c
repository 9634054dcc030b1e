/* check_glob.c — the reference pattern matcher (compiler/glob.c). */
#include "suites.h"
#include "glob.h"

#include <stdlib.h>
#include <string.h>

static bool m(const char *pat, const char *text)
{
	return sc_glob_match(pat, strlen(pat), text, strlen(text));
}

START_TEST(star_stops_at_separators)
{
	ck_assert(m("forum.*", "forum.general"));
	ck_assert(!m("forum.*", "forum.general.42"));
	ck_assert(m("forum.*", "forum."));
	ck_assert(!m("forum.*", "forum"));
	ck_assert(!m("/srv/*", "/srv/a/b"));
	ck_assert(m("/srv/*", "/srv/a"));
	ck_assert(m("*", ""));
	ck_assert(m("*", "abc"));
	ck_assert(!m("*", "a.b"));
	ck_assert(!m("*", "a/b"));
	ck_assert(m("a*b", "ab"));
	ck_assert(m("a*b", "axxb"));
	ck_assert(!m("a*b", "ax.b"));
	ck_assert(m("*.*", "a.b"));
	ck_assert(!m("*.*", "a.b.c"));
}
END_TEST

START_TEST(double_star_crosses)
{
	ck_assert(m("forum.**", "forum.general.42"));
	ck_assert(m("forum.**", "forum."));
	ck_assert(!m("forum.**", "forum"));
	ck_assert(m("**", ""));
	ck_assert(m("**", "a/b.c"));
	ck_assert(m("**.x", ".x"));
	ck_assert(m("**.x", "a.b.x"));
	ck_assert(!m("**.x", "a.b.y"));
	ck_assert(m("a.**.b", "a..b"));
	ck_assert(m("a.**.b", "a.x.y.b"));
	ck_assert(m("***", "a.b")); /* three stars act as ** */
	ck_assert(m("https://docs.**", "https://docs.example.com/a"));
}
END_TEST

START_TEST(question_mark)
{
	ck_assert(m("?", "a"));
	ck_assert(!m("?", ""));
	ck_assert(!m("?", "."));
	ck_assert(!m("?", "/"));
	ck_assert(!m("?", "ab"));
	ck_assert(m("a?c", "abc"));
	ck_assert(!m("a?c", "a.c"));
	ck_assert(m("??", "\xc3\xa9")); /* one byte each: UTF-8 é is two */
}
END_TEST

START_TEST(literal_and_case)
{
	ck_assert(m("read", "read"));
	ck_assert(!m("read", "Read"));
	ck_assert(!m("read", "reads"));
	ck_assert(!m("read", "rea"));
	ck_assert(m("", ""));
	ck_assert(!m("", "a"));
	ck_assert(sc_glob_match("a\0b", 3, "a\0b", 3));
	ck_assert(!sc_glob_match("a\0b", 3, "a\0c", 3));
}
END_TEST

/* Patterns like **a**a**a...b against aaaa... are exponential for a
 * backtracking matcher; the position-set simulation stays linear. */
START_TEST(no_exponential_blowup)
{
	size_t n = 4000;
	char *pat = malloc(3 * 60 + 2), *text = malloc(n + 1);
	size_t o = 0;
	for (int i = 0; i < 60; i++) {
		pat[o++] = '*';
		pat[o++] = '*';
		pat[o++] = 'a';
	}
	pat[o++] = 'b';
	memset(text, 'a', n);
	ck_assert(!sc_glob_match(pat, o, text, n));
	text[n - 1] = 'b';
	ck_assert(sc_glob_match(pat, o, text, n));
	free(pat);
	free(text);
}
END_TEST

Suite *sc_suite_glob(void)
{
	Suite *s = suite_create("glob");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, star_stops_at_separators);
	tcase_add_test(tc, double_star_crosses);
	tcase_add_test(tc, question_mark);
	tcase_add_test(tc, literal_and_case);
	tcase_add_test(tc, no_exponential_blowup);
	suite_add_tcase(s, tc);
	return s;
}
