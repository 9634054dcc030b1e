/* check_request.c — the eval request syntax and JSON requests. */
#include "suites.h"
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sc_reqparse rp;

static int line(const char *s)
{
	return sc_request_parse_line(&rp, s, strlen(s));
}

static bool is(sc_str s, const char *want)
{
	return sc_str_eq(s, sc_str_c(want));
}

START_TEST(tokens)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(line("triage read forum.general.42"), 1);
	ck_assert(is(rp.rq.task, "triage") && is(rp.rq.action, "read") && is(rp.rq.resource, "forum.general.42"));
	ck_assert_int_eq(line("  t\tpost   forum.help channel=internal  "), 1);
	ck_assert_int_eq(rp.rq.nattrs, 1);
	ck_assert(is(rp.rq.attrs[0].key, "channel") && is(rp.rq.attrs[0].value, "internal"));
	ck_assert_int_eq(line("t a k=v"), 1); /* no resource: attribute */
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(rp.rq.nattrs, 1);
	ck_assert_int_eq(line("t a \"\" k=v"), 1);
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(line("t a \"x=y\""), 1); /* quoted: a resource */
	ck_assert(is(rp.rq.resource, "x=y"));
	ck_assert_int_eq(rp.rq.nattrs, 0);
	ck_assert_int_eq(line("\"my task\" \"do \\\"it\\\"\" \"a\\\\b\" k=\"a b\" e= u=x=y"), 1);
	ck_assert(is(rp.rq.task, "my task") && is(rp.rq.action, "do \"it\"") && is(rp.rq.resource, "a\\b"));
	ck_assert(is(rp.rq.attrs[0].value, "a b") && is(rp.rq.attrs[1].value, "") && is(rp.rq.attrs[2].value, "x=y"));
	ck_assert_int_eq(line("t a=b c"), 1); /* task and action are never attributes */
	ck_assert(is(rp.rq.action, "a=b"));
	ck_assert_int_eq(line(""), 0);
	ck_assert_int_eq(line("   \t "), 0);
	sc_reqparse_fini(&rp);
}
END_TEST

START_TEST(malformed)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(line("t"), -1);
	ck_assert_int_eq(line("t \"\""), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "action must not be empty"));
	ck_assert_int_eq(line("t a \"open"), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "unterminated"));
	ck_assert_int_eq(rp.errcol, 5);
	ck_assert_int_eq(line("t a \"bad\\n\""), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "invalid escape"));
	ck_assert_int_eq(line("t a r k=1 k=2"), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "given twice"));
	ck_assert_int_eq(line("t a r k=1 stray"), -1);
	ck_assert_int_eq(rp.errcol, 11);
	ck_assert_int_eq(line("t a r =v"), -1);
	ck_assert_int_eq(sc_request_parse_line(&rp, "t a\0b", 5), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "NUL"));
	/* a line with 100k attributes is refused quickly, not checked pairwise */
	size_t cap = 16 + 100000 * 12, o = 0;
	char *big = malloc(cap);
	o += (size_t)snprintf(big + o, cap - o, "t a r");
	for (int i = 0; i < 100000; i++)
		o += (size_t)snprintf(big + o, cap - o, " k%d=v", i);
	ck_assert_int_eq(sc_request_parse_line(&rp, big, o), -1);
	ck_assert_ptr_nonnull(strstr(rp.err, "too many attributes"));
	free(big);
	sc_reqparse_fini(&rp);
}
END_TEST

static int json(const char *s)
{
	return sc_request_parse_json(&rp, s, strlen(s));
}

START_TEST(json_requests)
{
	sc_reqparse_init(&rp);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"post\",\"resource\":\"f.h\",\"context\":{\"channel\":\"internal\"}}"), 1);
	ck_assert(is(rp.rq.task, "t") && is(rp.rq.resource, "f.h") && rp.rq.nattrs == 1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"read\"}"), 1);
	ck_assert(is(rp.rq.resource, ""));
	ck_assert_int_eq(json("  "), 0);
	ck_assert_int_eq(json("{\"task\":\"t\"}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"\"}"), -1);
	ck_assert_int_eq(json("{\"task\":1,\"action\":\"a\"}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"contxt\":{}}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"context\":{\"n\":5}}"), -1);
	ck_assert_int_eq(json("{\"task\":\"t\",\"action\":\"a\",\"task\":\"u\"}"), -1); /* duplicate */
	ck_assert_int_eq(json("{\"task\":\"t\\u0000x\",\"action\":\"a\"}"), -1);
	ck_assert_int_eq(json("[1,2]"), -1);
	ck_assert_int_eq(json("{\"task\":"), -1);
	sc_reqparse_fini(&rp);
}
END_TEST

Suite *sc_suite_request(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tokens);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, json_requests);
	suite_add_tcase(s, tc);
	return s;
}
