/* check_lex.c — the re2c lexer (grammar/scope.re). */
#include "suites.h"
#include "lex.h"
#include "scope_parse.h"

#include <string.h>

/* Lexes TEXT into types[] (up to max); -1 marks a lexical error. */
static int lex_all(const char *text, size_t len, int *types, int max, const char **msg)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	uint32_t f = sc_diag_add(&d, "t.scope", text, len);
	sc_lexer lx;
	sc_lex_init(&lx, sc_diag_source(&d, f), f);
	int n = 0;
	for (; n < max; n++) {
		sc_token t;
		types[n] = sc_lex_next(&lx, &t, msg);
		if (types[n] <= 0)
			break;
	}
	sc_diag_fini(&d);
	return n;
}

#define EXPECT_TYPES(text, ...)                                                   \
	do {                                                                      \
		int want[] = { __VA_ARGS__ }, got[64];                            \
		const char *msg = NULL;                                           \
		int n = lex_all(text, strlen(text), got, 64, &msg);               \
		int nw = (int)(sizeof want / sizeof want[0]);                     \
		ck_assert_int_eq(n + 1, nw);                                      \
		for (int i = 0; i < nw; i++)                                      \
			ck_assert_msg(got[i] == want[i], "token %d of '%s': got %d want %d", \
				      i, text, got[i], want[i]);                  \
	} while (0)

START_TEST(keywords_and_words)
{
	EXPECT_TYPES("task triage allows read forum.*", TK_TASK, TK_WORD, TK_ALLOWS, TK_WORD, TK_WORD, 0);
	/* a keyword only as a whole word */
	EXPECT_TYPES("tasks tasker task", TK_WORD, TK_WORD, TK_TASK, 0);
	EXPECT_TYPES("\"task\" when", TK_STRING, TK_WHEN, 0);
	EXPECT_TYPES("/srv/data/x.csv ~/a+b%c:d", TK_WORD, TK_WORD, 0);
	EXPECT_TYPES("-3 2.5 **", TK_WORD, TK_WORD, TK_WORD, 0);
}
END_TEST

START_TEST(operators_and_comments)
{
	EXPECT_TYPES("k == \"v\" # comment\n and k != v", TK_WORD, TK_EQ, TK_STRING, TK_AND, TK_WORD, TK_NE,
		     TK_WORD, 0);
	EXPECT_TYPES("a<1 b<=2 c>3 d>=4", TK_WORD, TK_LT, TK_WORD, TK_WORD, TK_LE, TK_WORD, TK_WORD, TK_GT,
		     TK_WORD, TK_WORD, TK_GE, TK_WORD, 0);
	EXPECT_TYPES("k in [\"a\", b]", TK_WORD, TK_IN, TK_LBRACKET, TK_STRING, TK_COMMA, TK_WORD, TK_RBRACKET, 0);
	EXPECT_TYPES("@mutating @\"x y\"", TK_SETREF, TK_AT, TK_STRING, 0);
	EXPECT_TYPES("# only a comment", 0);
}
END_TEST

START_TEST(keyeq_and_assign)
{
	EXPECT_TYPES("channel=internal", TK_KEYEQ, TK_WORD, 0);
	EXPECT_TYPES("k=\"a b\"", TK_KEYEQ, TK_STRING, 0);
	EXPECT_TYPES("\"my key\"=v", TK_KEYEQ, TK_WORD, 0);
	EXPECT_TYPES("let s = a", TK_LET, TK_WORD, TK_ASSIGN, TK_WORD, 0);
	EXPECT_TYPES("k==v", TK_WORD, TK_EQ, TK_WORD, 0);
}
END_TEST

START_TEST(regex_only_after_matches)
{
	EXPECT_TYPES("k matches /^a\\/b$/i", TK_WORD, TK_MATCHES, TK_REGEX, 0);
	EXPECT_TYPES("k matches   /x/", TK_WORD, TK_MATCHES, TK_REGEX, 0);
	EXPECT_TYPES("read /a/b/", TK_WORD, TK_WORD, 0); /* a path, not a regex */
	/* the regex may follow on a later line, after a comment */
	EXPECT_TYPES("k matches # the ticket\n  /^INC-[0-9]+$/", TK_WORD, TK_MATCHES, TK_REGEX, 0);
}
END_TEST

START_TEST(errors)
{
	int got[8];
	const char *msg = NULL;
	lex_all("\"abc", 4, got, 8, &msg);
	ck_assert_int_eq(got[0], -1);
	ck_assert_ptr_nonnull(strstr(msg, "unterminated string"));
	lex_all("\"ab\ncd\"", 7, got, 8, &msg);
	ck_assert_int_eq(got[0], -1);
	lex_all("k matches /abc", 14, got, 8, &msg);
	ck_assert_int_eq(got[2], -1);
	ck_assert_ptr_nonnull(strstr(msg, "unterminated regex"));
	lex_all("task a\0b", 8, got, 8, &msg);
	ck_assert_int_eq(got[2], -1);
	ck_assert_ptr_nonnull(strstr(msg, "NUL"));
	lex_all("caf\xc3\xa9", 5, got, 8, &msg);
	ck_assert_int_eq(got[1], -1);
	ck_assert_ptr_nonnull(strstr(msg, "non-ASCII"));
	lex_all("a = $", 5, got, 8, &msg);
	ck_assert_int_eq(got[2], -1);
	/* a string may hold UTF-8 */
	lex_all("\"caf\xc3\xa9\"", 7, got, 8, &msg);
	ck_assert_int_eq(got[0], TK_STRING);
}
END_TEST

Suite *sc_suite_lex(void)
{
	Suite *s = suite_create("lex");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, keywords_and_words);
	tcase_add_test(tc, operators_and_comments);
	tcase_add_test(tc, keyeq_and_assign);
	tcase_add_test(tc, regex_only_after_matches);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	return s;
}
