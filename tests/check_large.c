/* check_large.c — very large and very deep inputs are handled or rejected
 * cleanly: no stack overflow (no unbounded recursion on user input), no
 * quadratic blow-up, a clear error where a limit applies. */
#include "suites.h"
#include "backend_test.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

START_TEST(clause_of_100k_items)
{
	sc_buf b = { 0 };
	sc_buf_printf(&b, "task t allows ");
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "%sread r%d.**", i ? ", " : "", i);
	sc_policy *p = sc_test_policy(b.s, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->nitems, 100000);
	ck_assert_int_eq(sc_test_decide(p, "t read r99999.x"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "t read r100000.x"), SC_DENY);
	sc_policy_free(p);
	free(b.s);
}
END_TEST

START_TEST(policy_of_10_megabytes)
{
	sc_buf b = { 0 };
	int tasks = 0;
	while (b.n < 10u * 1024 * 1024) {
		sc_buf_printf(&b, "# agent role %d\ntask role%d extends role%d\n  allows read docs.%d.**, http.get "
			"\"https://svc%d.example.com/**\" when channel == \"internal\"\n  denies config.* service.%d\n",
		    tasks, tasks + 1, tasks, tasks, tasks, tasks);
		tasks++;
	}
	sc_buf_printf(&b, "task role0\n");
	/* role(N) extends role(N-1) ... : a 60k-deep extends chain, walked
	 * iteratively; the sum over tasks is quadratic and must be refused. */
	char *diag = NULL;
	sc_policy *p = sc_test_policy(b.s, &diag);
	ck_assert_msg(p == NULL && strstr(diag, "inherit more than"), "%s", diag ? diag : "");
	free(diag);
	/* the same size without the chain is accepted */
	b.n = 0;
	for (int i = 0; b.n < 10u * 1024 * 1024; i++)
		sc_buf_printf(&b, "task role%d allows read docs.%d.**, http.get \"https://svc%d.example.com/**\" "
			"when channel == \"internal\" denies config.* service.%d\n", i, i, i, i);
	p = sc_test_policy(b.s, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_gt(p->ntasks, 50000);
	ck_assert_int_eq(sc_test_decide(p, "role777 http.get https://svc777.example.com/a channel=internal"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "role777 http.get https://svc778.example.com/a channel=internal"), SC_DENY);
	sc_policy_free(p);
	free(b.s);
}
END_TEST

/* The lints on the shapes above and on trap-dense ones: each lint is
 * linear or bounded by a work budget, so these take seconds, not hours. */
static void lint_quickly(const char *what, const char *text, const char *needle)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *out = sc_test_lint(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "lint of %s: %.2f s\n", what, s);
	ck_assert_msg(!needle || strstr(out, needle), "%s: want '%s'", what, needle);
	free(out);
}

START_TEST(lints_are_linear)
{
	sc_buf b = { 0 };
	for (int i = 0; b.n < 10u * 1024 * 1024; i++)
		sc_buf_printf(&b, "task role%d allows read docs.%d.**, http.get \"https://svc%d.example.com/**\" "
			"when channel == \"internal\" denies config.* service.%d\n", i, i, i, i);
	lint_quickly("10 MB policy", b.s, NULL);
	b.n = 0;
	/* one task, 100k items: missing commas, shallow denies, shell wildcards,
	 * conditional denies, and as many expects */
	sc_buf_printf(&b, "task t allows git.**, fs.read /**, bash \"git **\"\n");
	for (int i = 0; i < 25000; i++)
		sc_buf_printf(&b, " denies git.push%d git.reset%d, fs.read /h/%d/*, git.x%d when k%d == \"1\"\n"
			      " allows bash \"make%d **\"\n", i, i, i, i, i, i);
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "expect deny t%d git.push\n", i % 7);
	lint_quickly("100k trap items", b.s, "[scope.missing-comma]");
	free(b.s);
}
END_TEST

START_TEST(string_of_1_megabyte)
{
	size_t n = 1024 * 1024;
	sc_buf b = { 0 };
	sc_buf_printf(&b, "task t allows read \"");
	for (size_t i = 0; i < n; i++)
		sc_buf_printf(&b, "%c", 'a' + (int)(i % 26));
	sc_buf_printf(&b, "\"\n");
	sc_policy *p = sc_test_policy(b.s, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->items[0].resource.n, n);
	sc_policy_free(p);
	/* an unterminated 1 MB string is one clean error */
	b.s[b.n - 2] = ' ';
	char *diag = NULL;
	p = sc_test_policy(b.s, &diag);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(diag, "t.scope:1:20: error: unterminated string"));
	ck_assert_uint_lt(strlen(diag), 1000); /* the line is shown as a window */
	free(diag);
	free(b.s);
}
END_TEST

START_TEST(deep_nesting_is_rejected)
{
	sc_buf b = { 0 };
	sc_buf_printf(&b, "task t allows r when ");
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "(");
	sc_buf_printf(&b, "k == v");
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, ")");
	char *diag = NULL;
	sc_policy *p = sc_test_policy(b.s, &diag);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(diag, "nested too deeply"), "%s", diag);
	free(diag);
	b.n = 0;
	sc_buf_printf(&b, "task t allows r when ");
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "not ");
	sc_buf_printf(&b, "k == v");
	p = sc_test_policy(b.s, &diag);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(diag, "nested too deeply") || strstr(diag, "nested deeper"), "%s", diag);
	free(diag);
	free(b.s);
}
END_TEST

START_TEST(long_and_chain_is_flat)
{
	sc_buf b = { 0 };
	sc_buf_printf(&b, "task t allows r when k0 == \"v\"");
	for (int i = 1; i < 100000; i++)
		sc_buf_printf(&b, " %s k%d == \"v\"", i % 2 ? "and" : "and", i);
	sc_buf_printf(&b, " or has z");
	sc_policy *p = sc_test_policy(b.s, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->items[0].cond->op, SC_C_OR);
	ck_assert_uint_eq(p->items[0].cond->kids[0]->nkids, 100000);
	ck_assert_int_eq(sc_test_decide(p, "t r z=1"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "t r k0=v"), SC_DENY);
	sc_policy_free(p);
	free(b.s);
}
END_TEST

START_TEST(long_set_chain_is_iterative)
{
	sc_buf b = { 0 };
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "let s%d = @s%d\n", i, i + 1);
	sc_buf_printf(&b, "let s100000 = read x\ntask t allows @s0\n");
	sc_policy *p = sc_test_policy(b.s, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sc_test_decide(p, "t read x"), SC_ALLOW);
	sc_policy_free(p);
	/* conditions on a 100k-deep chain would nest 100k ANDs: refused */
	b.n = 0;
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "let s%d = @s%d when k%d == \"v\"\n", i, i + 1, i);
	sc_buf_printf(&b, "let s100000 = read x\ntask t allows @s0\n");
	char *deep = NULL;
	p = sc_test_policy(b.s, &deep);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(deep, "nest deeper than"), "%s", deep);
	free(deep);
	/* and a 100k-long cycle is reported, not recursed into */
	b.n = 0;
	for (int i = 0; i < 100000; i++)
		sc_buf_printf(&b, "let s%d = @s%d\n", i, (i + 1) % 100000);
	char *diag = NULL;
	p = sc_test_policy(b.s, &diag);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(diag, "set cycle"));
	free(diag);
	free(b.s);
}
END_TEST

START_TEST(many_syntax_errors_are_capped)
{
	sc_buf b = { 0 };
	for (int i = 0; i < 10000; i++)
		sc_buf_printf(&b, "task t%d allows\n", i);
	char *diag = NULL;
	sc_policy *p = sc_test_policy(b.s, &diag);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(diag, "too many errors"));
	free(diag);
	free(b.s);
}
END_TEST

Suite *sc_suite_large(void)
{
	Suite *s = suite_create("large");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, clause_of_100k_items);
	tcase_add_test(tc, policy_of_10_megabytes);
	tcase_add_test(tc, lints_are_linear);
	tcase_add_test(tc, string_of_1_megabyte);
	tcase_add_test(tc, deep_nesting_is_rejected);
	tcase_add_test(tc, long_and_chain_is_flat);
	tcase_add_test(tc, long_set_chain_is_iterative);
	tcase_add_test(tc, many_syntax_errors_are_capped);
	suite_add_tcase(s, tc);
	return s;
}
