/* check_lint.c — the warnings of `scopec check` (compiler/lint.c). */
#include "suites.h"
#include "lint.h"
#include "report.h"
#include "resolve.h"

#include <jansson.h>

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
	WARNS("task t allows read **", "[scope.broad-root]");
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

START_TEST(redundant_items)
{
	WARNS("task t allows read forum.**, read forum.help", "t.scope:1:30: warning: this allows item is redundant");
	WARNS("task t allows read forum.**, read forum.help", "(e.g. t read forum.help)");
	WARNS("task t allows read forum.**, read forum.help", "t.scope:1:15: note: covered by this item");
	/* of two equal items the later one is redundant, once */
	WARNS("task t denies rm x\n  denies rm x", "t.scope:2:10: warning: this denies item is redundant");
	/* a conditional item covers nothing for sure */
	QUIET("task t allows read forum.** when k == \"1\", read forum.help");
	/* covered in one task, needed in another */
	QUIET("task base allows read forum.help\ntask t extends base allows read forum.**");
	/* different kinds are not redundant (asks turns an allow into an ask) */
	QUIET("task t allows post forum.** asks post forum.help");
}
END_TEST

START_TEST(broad_roots_and_always_true)
{
	WARNS("task t allows delete **", "'**' grants this action on every resource under a root");
	WARNS("task t allows write /**", "'/**' grants this action");
	WARNS("task t allows http.get https://**", "'https://**' grants this action");
	QUIET("task t allows http.get https://docs.example.com/**");
	QUIET("task t allows read /srv/data/**");
	WARNS("task t allows r when has k or not has k", "always true");
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

/* Runs check's pipeline with records kept, and renders them. */
static json_t *report(const char *text, void (*render)(sc_diag *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	sc_diag d;
	sc_diag_init(&d, stderr);
	d.collect = true;
	sc_policy *p = sc_resolve_text(&d, "dir/t t.scope", text, strlen(text));
	if (p)
		sc_lint(&d, p);
	render(&d, mem);
	fclose(mem);
	sc_policy_free(p);
	sc_diag_fini(&d);
	json_error_t je;
	json_t *doc = json_loads(buf, 0, &je);
	ck_assert_msg(doc != NULL, "invalid JSON (%s):\n%s", je.text, buf);
	free(buf);
	return doc;
}

START_TEST(json_format)
{
	json_t *doc = report("task t allows read secrets.db denies ** secrets.**", sc_report_json);
	ck_assert(json_is_array(doc));
	ck_assert_int_eq(json_array_size(doc), 1);
	json_t *w = json_array_get(doc, 0);
	ck_assert_str_eq(json_string_value(json_object_get(w, "severity")), "warning");
	ck_assert_str_eq(json_string_value(json_object_get(w, "rule")), "scope.shadowed");
	ck_assert_int_eq(json_integer_value(json_object_get(w, "line")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(w, "column")), 15);
	json_t *note = json_array_get(json_object_get(w, "notes"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(note, "column")), 38);
	json_decref(doc);
	doc = report("task t allows", sc_report_json);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(doc, 0), "severity")), "error");
	json_decref(doc);
}
END_TEST

/* The parts of SARIF 2.1.0 that code hosts read: version, one run with a
 * driver and its rules, results with ruleId/ruleIndex consistent with the
 * rules, a message, and physical locations with a URI and a 1-based region. */
START_TEST(sarif_format)
{
	json_t *doc = report("let unused = read x\ntask t allows ** when k matches /a*/\ntask u allows", sc_report_sarif);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "version")), "2.1.0");
	ck_assert(json_is_string(json_object_get(doc, "$schema")));
	json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	ck_assert_str_eq(json_string_value(json_object_get(driver, "name")), "scopec");
	json_t *rules = json_object_get(driver, "rules");
	json_t *results = json_object_get(run, "results");
	ck_assert_int_ge(json_array_size(results), 1);
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		const char *id = json_string_value(json_object_get(r, "ruleId"));
		json_int_t ri = json_integer_value(json_object_get(r, "ruleIndex"));
		ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rules, (size_t)ri), "id")), id);
		const char *level = json_string_value(json_object_get(r, "level"));
		ck_assert(strcmp(level, "error") == 0 || strcmp(level, "warning") == 0);
		ck_assert(json_is_string(json_object_get(json_object_get(r, "message"), "text")));
		json_t *pl = json_object_get(json_array_get(json_object_get(r, "locations"), 0), "physicalLocation");
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(pl, "artifactLocation"), "uri")),
				 "dir/t%20t.scope");
		ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(pl, "region"), "startLine")), 1);
		ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(pl, "region"), "startColumn")), 1);
	}
	json_decref(doc);
}
END_TEST

Suite *sc_suite_lint(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, grants_everything);
	tcase_add_test(tc, shadowed_items);
	tcase_add_test(tc, redundant_items);
	tcase_add_test(tc, broad_roots_and_always_true);
	tcase_add_test(tc, nothing_granted_and_unused);
	tcase_add_test(tc, conditions_and_regexes);
	tcase_add_test(tc, invisible_and_confusable);
	tcase_add_test(tc, covers);
	tcase_add_test(tc, json_format);
	tcase_add_test(tc, sarif_format);
	suite_add_tcase(s, tc);
	return s;
}
