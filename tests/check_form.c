/* check_form.c — requests from tool calls (runtime/enforce/form.c). */
#include "suites.h"

#include "backend_test.h"
#include "diag.h"
#include "resolve.h"
#include "scope_enforce.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CALL(f, task, action, args, cwd) scope_form_tool_call(f, task, action, args, strlen(args), cwd)

static scope_policy *load_src(const char *src)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	sc_policy *p = sc_resolve_text(&d, "f.scope", src, strlen(src));
	ck_assert_ptr_nonnull(p);
	size_t len;
	unsigned char *img = sc_bt_compile(p, &d, false, 0, &len);
	sc_policy_free(p);
	sc_diag_fini(&d);
	scope_policy *out;
	ck_assert_int_eq(scope_policy_load(&out, img, len), 0);
	free(img);
	return out;
}

static const char *attr(const scope_request *rq, const char *key)
{
	static char buf[256];
	for (size_t i = 0; i < rq->nattrs; i++)
		if (rq->attrs[i].key_len == strlen(key) && memcmp(rq->attrs[i].key, key, rq->attrs[i].key_len) == 0) {
			snprintf(buf, sizeof buf, "%.*s", (int)rq->attrs[i].value_len, rq->attrs[i].value);
			return buf;
		}
	return NULL;
}

static void res_is(const scope_form *f, size_t i, const char *action, const char *res)
{
	const scope_request *rq = scope_form_request(f, i);
	ck_assert_ptr_nonnull(rq);
	ck_assert_str_eq(rq->action, action);
	ck_assert_uint_eq(rq->action_len, strlen(action));
	ck_assert_uint_eq(rq->resource_len, strlen(res));
	ck_assert_int_eq(memcmp(rq->resource, res, rq->resource_len), 0);
}

START_TEST(form_attrs)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	const char *args = "{\"path\":\"/a/b\",\"n\":42,\"x\":0.1,\"big\":1e300,\"t\":true,\"no\":false,"
			   "\"nul\":null,\"list\":[1],\"obj\":{\"k\":1},\"s\":\"hi there\"}";
	ck_assert_int_eq(scope_form_tool_call(f, "agent", "write", args, strlen(args), "/"), 0);
	ck_assert_uint_eq(scope_form_count(f), 1);
	const scope_request *rq = scope_form_request(f, 0);
	ck_assert_str_eq(rq->task, "agent");
	ck_assert_str_eq(attr(rq, "arg.path"), "/a/b");
	ck_assert_str_eq(attr(rq, "arg.n"), "42");
	ck_assert_str_eq(attr(rq, "arg.x"), "0.1");
	ck_assert_str_eq(attr(rq, "arg.big"), "1e+300");
	ck_assert_str_eq(attr(rq, "arg.t"), "true");
	ck_assert_str_eq(attr(rq, "arg.no"), "false");
	ck_assert_str_eq(attr(rq, "arg.s"), "hi there");
	ck_assert_ptr_null(attr(rq, "arg.nul"));
	ck_assert_ptr_null(attr(rq, "arg.list"));
	ck_assert_ptr_null(attr(rq, "arg.obj"));
	ck_assert_uint_eq(rq->nattrs, 7);
	res_is(f, 0, "write", "/a/b");
	ck_assert_ptr_null(scope_form_request(f, 1));
	scope_form_destroy(f);
}
END_TEST

/* Attributes given after a request was added: that request keeps the
 * attributes it was formed with (none), later ones get them all, and the
 * array moving as it grows (20 more) leaves every request's pointer valid
 * (ASan checks the reads). */
START_TEST(form_attrs_after_requests)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(scope_form_begin(f, "agent", "/"), 0);
	ck_assert_int_eq(scope_form_add(f, "read", "a", 1, SCOPE_RES_TEXT), 0);
	json_t *one = json_pack("{s:s}", "a", "1"), *none = json_object(), *many = json_object();
	ck_assert_int_eq(scope_form_attrs_json(f, none), 0);
	ck_assert_int_eq(scope_form_attrs_json(f, one), 0);
	ck_assert_int_eq(scope_form_add(f, "read", NULL, 0, SCOPE_RES_TEXT), 0); /* the empty resource */
	ck_assert_int_eq(scope_form_add(f, "read", NULL, 3, SCOPE_RES_TEXT), -SCOPE_EINVAL);
	for (int i = 0; i < 20; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		json_object_set_new(many, k, json_integer(i));
	}
	ck_assert_int_eq(scope_form_attrs_json(f, many), 0);
	ck_assert_uint_eq(scope_form_count(f), 2);
	ck_assert_uint_eq(scope_form_request(f, 0)->nattrs, 0);
	const scope_request *rq = scope_form_request(f, 1);
	ck_assert_uint_eq(rq->resource_len, 0);
	ck_assert_uint_eq(rq->nattrs, 1);
	ck_assert_str_eq(attr(rq, "arg.a"), "1");
	json_decref(one);
	json_decref(none);
	json_decref(many);
	scope_form_destroy(f);
}
END_TEST

/* The argument checks of add_args and decide: no form, no arguments, a
 * null member (skipped: the empty resource), and a policy that is not
 * there (the error, and no index asked for). */
START_TEST(form_argument_checks)
{
	scope_form *f;
	scope_result r;
	ck_assert_int_eq(scope_form_add_args(NULL, "read", NULL, NULL, 0), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_decide(NULL, NULL, NULL, &r, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(scope_form_begin(f, "agent", "/"), 0);
	ck_assert_int_eq(scope_form_add_args(f, "read", NULL, NULL, 0), 0);
	json_t *args = json_pack("{s:n}", "path");
	ck_assert_int_eq(scope_form_add_args(f, "read", args, NULL, 0), 0);
	json_decref(args);
	ck_assert_uint_eq(scope_form_count(f), 2);
	ck_assert_uint_eq(scope_form_request(f, 1)->resource_len, 0);
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	ck_assert_int_eq(scope_form_decide(f, NULL, s, &r, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	scope_scratch_destroy(s);
	scope_form_destroy(f);
}
END_TEST

START_TEST(form_resources)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	const char *args = "{\"source\":\"/srv/a/../b\",\"destination\":\"x/y\",\"paths\":[\"/p1\",\"/p2/./q\"],"
			   "\"url\":\"HTTPS://H.com:443/a#f\",\"other\":\"/not/a/resource\"}";
	ck_assert_int_eq(scope_form_tool_call(f, "t", "move", args, strlen(args), "/w"), 0);
	/* in the order of the default names: path, paths, source, destination, file_path, uri, url */
	ck_assert_uint_eq(scope_form_count(f), 5);
	res_is(f, 0, "move", "/p1");
	res_is(f, 1, "move", "/p2/q");
	res_is(f, 2, "move", "/srv/b");
	res_is(f, 3, "move", "/w/x/y");
	res_is(f, 4, "move", "https://h.com/a");
	/* no resource argument: one request with the empty resource */
	ck_assert_int_eq(CALL(f, "t", "ping", "{\"path\":null}", NULL), 0);
	ck_assert_uint_eq(scope_form_count(f), 1);
	res_is(f, 0, "ping", "");
	ck_assert_int_eq(scope_form_tool_call(f, "t", "ping", NULL, 0, NULL), 0);
	ck_assert_uint_eq(scope_form_count(f), 1);
	/* a path argument that is a URL is canonical as a URL */
	ck_assert_int_eq(CALL(f, "t", "get", "{\"path\":\"HTTP://x.org\"}", NULL), 0);
	res_is(f, 0, "get", "http://x.org/");
	scope_form_destroy(f);
}
END_TEST

START_TEST(form_explicit)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(scope_form_begin(f, "t", "/repo"), 0);
	json_t *args = json_pack("{s:s, s:s}", "notebook_path", "nb/../a.ipynb", "subagent_type", "general");
	static const scope_res_arg nb[] = { { "notebook_path", SCOPE_RES_PATH } };
	ck_assert_int_eq(scope_form_attrs_json(f, args), 0);
	ck_assert_int_eq(scope_form_add_args(f, "fs.write", args, nb, 1), 0);
	ck_assert_int_eq(scope_form_add(f, "bash", "rm -rf /", 8, SCOPE_RES_TEXT), 0);
	ck_assert_uint_eq(scope_form_count(f), 2);
	res_is(f, 0, "fs.write", "/repo/a.ipynb");
	res_is(f, 1, "bash", "rm -rf /");
	ck_assert_str_eq(attr(scope_form_request(f, 1), "arg.subagent_type"), "general");
	ck_assert_str_eq(attr(scope_form_request(f, 0), "arg.notebook_path"), "nb/../a.ipynb");
	json_decref(args);
	scope_form_destroy(f);
}
END_TEST

START_TEST(form_refused)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(CALL(f, "t", "read", "{\"path\":\"a\\u0000b\"}", "/"), -SCOPE_EPATH);
	ck_assert_ptr_nonnull(strstr(scope_form_error(f), "argument 'path'"));
	ck_assert_int_eq(CALL(f, "t", "get", "{\"url\":\"not a url\"}", "/"), -SCOPE_EURL);
	ck_assert_ptr_nonnull(strstr(scope_form_error(f), "argument 'url'"));
	ck_assert_int_eq(CALL(f, "t", "read", "{\"path\":7}", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "{\"paths\":[\"/a\",1]}", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "[1]", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "{\"a\":1,\"a\":2}", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "{bad", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "", "{}", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "{\"path\":\"x\"}", "not/absolute"), -SCOPE_EPATH);
	ck_assert_int_eq(scope_form_add(NULL, "a", "", 0, SCOPE_RES_TEXT), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_create(NULL), -SCOPE_EINVAL);
	scope_form_destroy(NULL);
	/* too many arguments */
	json_t *o = json_object();
	for (int i = 0; i < 1100; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		json_object_set_new(o, k, json_integer(i));
	}
	ck_assert_int_eq(scope_form_begin(f, "t", NULL), 0);
	ck_assert_int_eq(scope_form_attrs_json(f, o), -SCOPE_EINVAL);
	json_decref(o);
	/* too many resources */
	json_t *many = json_pack("{s:[]}", "paths");
	for (int i = 0; i < 5000; i++)
		json_array_append_new(json_object_get(many, "paths"), json_string("/x"));
	ck_assert_int_eq(scope_form_begin(f, "t", NULL), 0);
	ck_assert_int_eq(scope_form_add_args(f, "read", many, NULL, 0), -SCOPE_EINVAL);
	json_decref(many);
	scope_form_destroy(f);
}
END_TEST

START_TEST(form_link_dotdot)
{
	/* D/l -> D/a/b: "D/l/../x" is D/a/x to the kernel, D/x to a tool that
	 * normalises first; both are decided. */
	char d[] = "/tmp/scope-form-XXXXXX", p[PATH_MAX * 2], q[PATH_MAX * 2], real[PATH_MAX];
	ck_assert_ptr_nonnull(mkdtemp(d));
	ck_assert_ptr_nonnull(realpath(d, real));
	snprintf(p, sizeof p, "%s/a", real);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/a/b", real);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(q, sizeof q, "%s/l", real);
	ck_assert_int_eq(symlink(p, q), 0);
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	ck_assert_int_eq(scope_form_begin(f, "t", real), 0);
	ck_assert_int_eq(scope_form_add(f, "read", "l/../x", 6, SCOPE_RES_PATH), 0);
	ck_assert_uint_eq(scope_form_count(f), 2);
	snprintf(p, sizeof p, "%s/a/x", real);
	res_is(f, 0, "read", p);
	snprintf(p, sizeof p, "%s/x", real);
	res_is(f, 1, "read", p);
	scope_form_destroy(f);
	snprintf(p, sizeof p, "rm -rf '%s'", real);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

START_TEST(form_decide)
{
	scope_policy *p = load_src("task t\n  allows read /srv/**, read /pub/**\n  asks read /srv/ask/**\n"
				   "  denies read /srv/secret/**\n");
	scope_scratch *s;
	ck_assert_int_eq(scope_scratch_create(&s), 0);
	scope_form *f;
	ck_assert_int_eq(scope_form_create(&f), 0);
	scope_result r;
	size_t which = 99;
	const char *ok = "{\"paths\":[\"/srv/a\",\"/pub/b\"]}";
	ck_assert_int_eq(scope_form_tool_call(f, "t", "read", ok, strlen(ok), "/"), 0);
	ck_assert_int_eq(scope_form_decide(f, p, s, &r, &which), 0);
	ck_assert_int_eq(r.decision, SCOPE_ALLOW);
	ck_assert_uint_eq(which, 0);
	const char *ask = "{\"paths\":[\"/srv/a\",\"/srv/ask/x\",\"/pub/c\"]}";
	ck_assert_int_eq(scope_form_tool_call(f, "t", "read", ask, strlen(ask), "/"), 0);
	ck_assert_int_eq(scope_form_decide(f, p, s, &r, &which), 0);
	ck_assert_int_eq(r.decision, SCOPE_ASK);
	ck_assert_uint_eq(which, 1);
	const char *bad = "{\"paths\":[\"/srv/ask/x\",\"/srv/a/../secret/k\",\"/elsewhere\"]}";
	ck_assert_int_eq(scope_form_tool_call(f, "t", "read", bad, strlen(bad), "/"), 0);
	ck_assert_int_eq(scope_form_decide(f, p, s, &r, &which), 0);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_ITEM);
	ck_assert_uint_eq(which, 1);
	/* the traversal of the SPEC: decided as the canonical path */
	ck_assert_int_eq(CALL(f, "t", "read", "{\"path\":\"/srv/../etc/passwd\"}", "/"), 0);
	ck_assert_int_eq(scope_form_decide(f, p, s, &r, NULL), 0);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(r.why, SCOPE_WHY_DEFAULT);
	/* nothing formed: deny */
	ck_assert_int_eq(scope_form_begin(f, "t", NULL), 0);
	ck_assert_int_eq(scope_form_decide(f, p, s, &r, &which), -SCOPE_EINVAL);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	ck_assert_int_eq(scope_form_decide(f, p, s, NULL, NULL), -SCOPE_EINVAL);
	/* a request the runtime refuses: deny */
	ck_assert_int_eq(scope_form_add(f, "read", "/srv/a", 6, SCOPE_RES_PATH), 0);
	ck_assert_int_lt(scope_form_decide(f, NULL, s, &r, &which), 0);
	ck_assert_int_eq(r.decision, SCOPE_DENY);
	scope_form_destroy(f);
	scope_scratch_destroy(s);
	scope_policy_destroy(p);
}
END_TEST

/* The argument checks of the API: each call with a missing argument, or
 * on a former that has not begun, is -SCOPE_EINVAL (a deny where one is
 * decided), never a request with a part missing. */
START_TEST(form_arguments)
{
	scope_form *f;
	ck_assert_int_eq(scope_form_create(NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_create(&f), 0);
	json_t *args = json_pack("{s:s, s:b, s:f, s:n, s:[s]}", "path", "/srv/a", "force", 1, "ratio", 0.25,
				 "nothing", "paths", "/srv/b");
	ck_assert_ptr_nonnull(args);
	/* not begun: no task */
	ck_assert_int_eq(scope_form_attrs_json(f, args), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add(f, "read", "/x", 2, SCOPE_RES_PATH), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add_args(f, "read", args, NULL, 0), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_begin(NULL, "t", NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_begin(f, NULL, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_attrs_json(NULL, args), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_begin(f, "t", "/"), 0);
	json_t *arr = json_array();
	ck_assert_int_eq(scope_form_attrs_json(f, arr), -SCOPE_EINVAL); /* not an object */
	ck_assert_int_eq(scope_form_add_args(f, "read", arr, NULL, 0), -SCOPE_EINVAL);
	ck_assert_str_ne(scope_form_error(f), "");
	json_decref(arr);
	ck_assert_int_eq(scope_form_add(f, NULL, "/x", 2, SCOPE_RES_PATH), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add(f, "", "/x", 2, SCOPE_RES_PATH), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add(f, "read", NULL, 2, SCOPE_RES_PATH), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add(NULL, "read", "/x", 2, SCOPE_RES_PATH), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add_args(f, NULL, args, NULL, 0), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_add_args(f, "", args, NULL, 0), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_count(f), 0);
	/* the scalars become attributes: a boolean and a real as their text */
	ck_assert_int_eq(scope_form_attrs_json(f, args), 0);
	ck_assert_int_eq(scope_form_add_args(f, "read", args, NULL, 0), 0);
	ck_assert_uint_eq(scope_form_count(f), 2);
	const scope_request *rq = scope_form_request(f, 0);
	ck_assert_str_eq(attr(rq, "arg.force"), "true");
	ck_assert_str_eq(attr(rq, "arg.ratio"), "0.25");
	ck_assert_ptr_null(attr(rq, "arg.nothing"));
	ck_assert_ptr_null(scope_form_request(f, 2));
	ck_assert_ptr_null(scope_form_request(NULL, 0));
	ck_assert_uint_eq(scope_form_count(NULL), 0);
	ck_assert_str_eq(scope_form_error(NULL), "");
	/* tool calls from text: no task, no action, arguments that are not an object */
	ck_assert_int_eq(scope_form_tool_call(f, NULL, "read", NULL, 0, "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_tool_call(f, "t", "", NULL, 0, "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_tool_call(NULL, "t", "read", NULL, 0, "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "[1]", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(CALL(f, "t", "read", "{\"path\": 5}", "/"), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_form_tool_call(f, "t", "read", NULL, 0, "/"), 0);
	ck_assert_uint_eq(scope_form_count(f), 1); /* no resource: one request, the empty resource */
	json_decref(args);
	scope_form_destroy(f);
	scope_form_destroy(NULL);
}
END_TEST

Suite *sc_suite_form(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");
	tcase_add_test(tc, form_attrs);
	tcase_add_test(tc, form_attrs_after_requests);
	tcase_add_test(tc, form_argument_checks);
	tcase_add_test(tc, form_resources);
	tcase_add_test(tc, form_explicit);
	tcase_add_test(tc, form_refused);
	tcase_add_test(tc, form_link_dotdot);
	tcase_add_test(tc, form_decide);
	tcase_add_test(tc, form_arguments);
	suite_add_tcase(s, tc);
	return s;
}
