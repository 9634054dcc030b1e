/* check_refeval.c — SPEC §2 decisions, through the reference evaluator. */
#include "suites.h"

#include <stdlib.h>
#include <string.h>

#define D(p, req, want) ck_assert_msg(sc_test_decide(p, req) == (want), "%s: got %s", req, \
				      sc_kind_names[sc_test_decide(p, req)])

static sc_policy *pol(const char *text)
{
	char *diag = NULL;
	sc_policy *p = sc_test_policy(text, &diag);
	ck_assert_msg(p != NULL, "policy rejected:\n%s", diag);
	free(diag);
	return p;
}

START_TEST(precedence_and_default)
{
	sc_policy *p = pol("task t allows read **, write a denies write a.secret asks write a, publish\n"
			   "task idle\n");
	D(p, "t read x.y", SC_ALLOW);
	D(p, "t write a", SC_ASK);          /* ask beats allow */
	D(p, "t write a.secret", SC_DENY);  /* deny beats everything */
	D(p, "t publish", SC_ASK);          /* ask without allow is still ask */
	D(p, "t delete x", SC_DENY);        /* default deny */
	D(p, "idle read x", SC_DENY);       /* zero clauses: no authority */
	D(p, "nobody read x", SC_DENY);     /* undeclared */
	sc_result r;
	sc_test_decide_full(p, "nobody read x", &r);
	ck_assert_int_eq(r.why, SC_WHY_NO_TASK);
	sc_test_decide_full(p, "t delete x", &r);
	ck_assert_int_eq(r.why, SC_WHY_DEFAULT);
	sc_policy_free(p);
}
END_TEST

START_TEST(resource_rules)
{
	sc_policy *p = pol("task t allows read, write \"\" denies read secret");
	D(p, "t read anything.at/all", SC_ALLOW); /* no resource pattern: any */
	D(p, "t read \"\"", SC_ALLOW);            /* including empty */
	D(p, "t read", SC_ALLOW);
	D(p, "t write \"\"", SC_ALLOW);           /* "" pattern: only empty */
	D(p, "t write x", SC_DENY);
	D(p, "t read secret", SC_DENY);
	sc_policy_free(p);
}
END_TEST

START_TEST(unknown_is_most_restrictive)
{
	sc_policy *p = pol("task a allows r x when k == \"1\"\n"                  /* unknown: no allow */
			   "task d allows r x denies r x when k == \"1\"\n"       /* unknown: deny */
			   "task s allows r x asks r x when k == \"1\"\n"         /* unknown: ask */
			   "task n asks r x when k == \"1\"\n"                    /* no allow: no ask */
			   "task c allows r x when k == \"1\" asks r x when j == \"2\"\n"
			   "task m allows r x when n > 10\n");
	D(p, "a r x", SC_DENY);
	D(p, "a r x k=1", SC_ALLOW);
	D(p, "d r x", SC_DENY);
	D(p, "d r x k=2", SC_ALLOW);
	D(p, "s r x", SC_ASK);
	D(p, "s r x k=2", SC_ALLOW);
	D(p, "n r x", SC_DENY);
	D(p, "n r x k=1", SC_ASK);
	D(p, "c r x k=1", SC_ASK);        /* allow outright, ask unknown */
	D(p, "c r x j=2", SC_ASK);        /* allow unknown, but the ask holds outright */
	D(p, "m r x n=11", SC_ALLOW);
	D(p, "m r x n=ten", SC_DENY);     /* non-numeric: unknown */
	D(p, "m r x n=10", SC_DENY);
	sc_policy_free(p);
}
END_TEST

START_TEST(kleene_logic)
{
	/* each item denies when its condition is true or unknown */
	sc_policy *p = pol("task or1 allows r denies r when k == \"x\" or t == \"1\"\n"
			   "task and1 allows r denies r when k == \"x\" and t == \"1\"\n"
			   "task not1 allows r denies r when not k == \"x\"\n"
			   "task has1 allows r denies r when not has k\n");
	D(p, "or1 r t=1", SC_DENY);   /* unknown or true = true */
	D(p, "or1 r t=2", SC_DENY);   /* unknown or false = unknown -> deny */
	D(p, "or1 r k=y t=2", SC_ALLOW);
	D(p, "and1 r t=2", SC_ALLOW); /* unknown and false = false */
	D(p, "and1 r t=1", SC_DENY);  /* unknown and true = unknown */
	D(p, "not1 r", SC_DENY);      /* not unknown = unknown */
	D(p, "not1 r k=x", SC_ALLOW);
	D(p, "has1 r", SC_DENY);      /* has is never unknown */
	D(p, "has1 r k=", SC_ALLOW);  /* present, even if empty */
	sc_policy_free(p);
}
END_TEST

START_TEST(operators)
{
	sc_policy *p = pol("task t allows\n"
			   "  eq when k == \"v\", ne when k != \"v\",\n"
			   "  lt when n < 2.5, le when n <= 2.5, gt when n > -1, ge when n >= -1,\n"
			   "  \"in\" when k in [\"a\", \"b c\"], \"like\" when k like \"*.example.com\",\n"
			   "  re when k matches /^INC-[0-9]+$/, rei when k matches /^abc$/i, \"has\" when has k\n");
	D(p, "t eq k=v", SC_ALLOW);
	D(p, "t eq k=V", SC_DENY);
	D(p, "t ne k=w", SC_ALLOW);
	D(p, "t ne k=v", SC_DENY);
	D(p, "t ne", SC_DENY);           /* != on a missing attribute is unknown */
	D(p, "t lt n=2.49", SC_ALLOW);
	D(p, "t lt n=2.50", SC_DENY);
	D(p, "t le n=2.50", SC_ALLOW);
	D(p, "t gt n=-0.5", SC_ALLOW);
	D(p, "t gt n=-1", SC_DENY);
	D(p, "t ge n=-1.0", SC_ALLOW);
	D(p, "t ge n=x", SC_DENY);
	D(p, "t in k=a", SC_ALLOW);
	D(p, "t in \"k=b c\"", SC_DENY); /* a quoted token is never an attribute */
	D(p, "t in k=\"b c\"", SC_ALLOW);
	D(p, "t in k=c", SC_DENY);
	D(p, "t like k=www.example.com", SC_ALLOW);
	D(p, "t like k=a.b.example.com", SC_DENY); /* * stops at '.' */
	D(p, "t re k=INC-42", SC_ALLOW);
	D(p, "t re k=xINC-42", SC_DENY); /* anchored at both ends */
	D(p, "t re k=INC-42x", SC_DENY);
	D(p, "t rei k=ABC", SC_ALLOW);
	D(p, "t has k=", SC_ALLOW);
	D(p, "t has", SC_DENY);
	sc_policy_free(p);
}
END_TEST

START_TEST(regex_limit_is_unknown)
{
	/* catastrophic backtracking hits the match limit: unknown, so the deny
	 * applies and the allow does not */
	sc_policy *p = pol("task t allows r when k matches /(a+)+$/ denies w when k matches /(a+)+$/\n"
			   "  allows w\n");
	char req[200];
	snprintf(req, sizeof req, "t r k=%.*s!", 40, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	D(p, req, SC_DENY);
	snprintf(req, sizeof req, "t w k=%.*s!", 40, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	D(p, req, SC_DENY);
	D(p, "t w k=aaa", SC_DENY);
	D(p, "t w k=c", SC_ALLOW);
	sc_policy_free(p);
}
END_TEST

START_TEST(deciding_item_is_first_of_its_kind)
{
	sc_policy *p = pol("task t allows r **\n"
			   "  denies r a.* when k == \"1\"\n"
			   "  denies r a.b\n");
	sc_result r;
	sc_test_decide_full(p, "t r a.b", &r);
	ck_assert_int_eq(r.decision, SC_DENY);
	ck_assert_uint_eq(r.item->index, 1); /* unknown deny comes first */
	ck_assert(r.unknown);
	sc_test_decide_full(p, "t r a.b k=2", &r);
	ck_assert_uint_eq(r.item->index, 2);
	ck_assert(!r.unknown);
	sc_test_decide_full(p, "t r z", &r);
	ck_assert_int_eq(r.decision, SC_ALLOW);
	ck_assert_uint_eq(r.item->index, 0);
	sc_policy_free(p);
}
END_TEST

START_TEST(order_never_matters)
{
	sc_policy *a = pol("task t allows r ** denies r s.* asks w **");
	sc_policy *b = pol("task t asks w ** denies r s.*\ntask * allows r **");
	const char *reqs[] = { "t r x", "t r s.x", "t w y", "t r s.x.y", "t q" };
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(sc_test_decide(a, reqs[i]), sc_test_decide(b, reqs[i]));
	sc_policy_free(a);
	sc_policy_free(b);
}
END_TEST

Suite *sc_suite_refeval(void)
{
	Suite *s = suite_create("refeval");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, precedence_and_default);
	tcase_add_test(tc, resource_rules);
	tcase_add_test(tc, unknown_is_most_restrictive);
	tcase_add_test(tc, kleene_logic);
	tcase_add_test(tc, operators);
	tcase_add_test(tc, regex_limit_is_unknown);
	tcase_add_test(tc, deciding_item_is_first_of_its_kind);
	tcase_add_test(tc, order_never_matters);
	suite_add_tcase(s, tc);
	return s;
}
