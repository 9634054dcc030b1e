/* check_number.c — exact decimal comparison (runtime/number.c). */
#include "suites.h"
#include "number.h"

#include <string.h>

static int cmp(const char *a, const char *b)
{
	return sc_number_cmp(a, strlen(a), b, strlen(b));
}

START_TEST(valid_forms)
{
	const char *good[] = { "0", "42", "-3", "+7", "2.5", "-0.001", "007", "123456789012345678901234567890" };
	const char *bad[] = { "", "-", "+", ".5", "5.", "1e3", "0x10", " 1", "1 ", "1.2.3", "--1", "NaN", "inf", "1,5" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_msg(sc_number_valid(good[i], strlen(good[i])), "%s should be a number", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!sc_number_valid(bad[i], strlen(bad[i])), "'%s' is not a number", bad[i]);
}
END_TEST

START_TEST(ordering)
{
	ck_assert_int_eq(cmp("2.5", "2.50"), 0);
	ck_assert_int_eq(cmp("-0", "0"), 0);
	ck_assert_int_eq(cmp("+0.0", "-0.000"), 0);
	ck_assert_int_eq(cmp("007", "7"), 0);
	ck_assert_int_eq(cmp("9", "10"), -1);
	ck_assert_int_eq(cmp("10", "9"), 1);
	ck_assert_int_eq(cmp("-10", "-9"), -1);
	ck_assert_int_eq(cmp("-9", "-10"), 1);
	ck_assert_int_eq(cmp("-1", "0"), -1);
	ck_assert_int_eq(cmp("0.1", "0.09"), 1);
	ck_assert_int_eq(cmp("2.05", "2.5"), -1);
	ck_assert_int_eq(cmp("-2.05", "-2.5"), 1);
	ck_assert_int_eq(cmp("12345678901234567890", "12345678901234567891"), -1);
	ck_assert_int_eq(cmp("100000000000000000000", "99999999999999999999"), 1);
}
END_TEST

START_TEST(invalid_is_unknown)
{
	ck_assert_int_eq(cmp("abc", "1"), 2);
	ck_assert_int_eq(cmp("1", "1e3"), 2);
	ck_assert_int_eq(cmp("", "0"), 2);
}
END_TEST

Suite *sc_suite_number(void)
{
	Suite *s = suite_create("number");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, valid_forms);
	tcase_add_test(tc, ordering);
	tcase_add_test(tc, invalid_is_unknown);
	suite_add_tcase(s, tc);
	return s;
}
