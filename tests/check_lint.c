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

/* TEXT may warn, but not NEEDLE (another lint has something to say). */
#define LACKS(text, needle)                                                     \
	do {                                                                    \
		char *out_ = sc_test_lint(text);                                \
		ck_assert_msg(!strstr(out_, needle), "no '%s' expected for:\n%s\ngot:\n%s", needle, text, out_); \
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
	LACKS("task t allows read secrets.db denies ** secrets.** when k == \"1\"", "[scope.shadowed]");
	/* covered in one task but not in another: it takes effect there */
	QUIET("task base allows read x\ntask t extends base denies read x");
	/* a resource-less allow is not covered by a deny of one resource */
	LACKS("task t allows read denies read secrets.*", "[scope.shadowed]");
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

START_TEST(missing_comma)
{
	WARNS("task coder allows git.** denies git.push git.reset",
	      "t.scope:1:33: warning: 'git.reset' is read as the resource of 'git.push'");
	WARNS("task coder allows git.** denies git.push git.reset", "`coder git.push` is allowed [scope.missing-comma]");
	/* the fix-it, under the caret */
	WARNS("task coder allows git.** denies git.push git.reset", "^~~~~~~~~~~~~~~~~~\n                                    git.push, git.reset\n");
	WARNS("task coder allows git.** denies git.push git.reset", "t.scope:1:19: note: allowed by this item");
	/* same family, in a deny, without any git.** */
	WARNS("task t asks git.push denies git.push git.reset", "[scope.missing-comma]");
	/* an action some expect uses */
	WARNS("task t allows read denies post reply\nexpect deny t reply", "[scope.missing-comma]");
	LACKS("task t allows git.** denies git.push \"git.reset\"", "[scope.missing-comma]");
	QUIET("task t allows logs.read logs.**, logs.search logs.**");
	QUIET("task t allows catalog.list warehouse.*, sql.select warehouse.*.*");
	/* from a set: once, with a note at the use */
	WARNS("let g = git.push git.reset\ntask a allows git.** denies @g\ntask b denies @g",
	      "t.scope:2:29: note: the item comes from '@g' here");
}
END_TEST

START_TEST(shallow_deny)
{
	WARNS("task me allows fs.read /home/** denies fs.read /home/me/.ssh/*",
	      "t.scope:1:48: warning: '*' stops at '/', so '/home/me/.ssh/*' denies one level only: "
	      "`me fs.read /home/me/.ssh/x/y` is allowed");
	WARNS("task me allows fs.read /home/** denies fs.read /home/me/.ssh/*", "    /home/me/.ssh/**\n");
	WARNS("task me allows read secrets.** denies read secrets.*", "'*' stops at '.', so 'secrets.*' denies one level only: "
	      "`me read secrets.x.y` is allowed; write '**' to deny everything below [scope.shallow-deny]");
	/* the grant comes from task * */
	WARNS("task * allows fs.read /home/**\ntask me denies fs.read /home/me/.ssh/*", "[scope.shallow-deny]");
	QUIET("task me allows fs.read /home/** denies fs.read /home/me/.ssh/**");
	QUIET("task me allows fs.read /home/*/* denies fs.read /home/me/*");
	QUIET("task me allows fs.read /home/** denies fs.read /home/me/.ssh/*, ** /home/*/.ssh/**");
}
END_TEST

START_TEST(expect_unknown_task)
{
	WARNS("task coder allows read\nexpect deny codr read", "t.scope:2:13: warning: task 'codr' is not declared");
	WARNS("task coder allows read\nexpect deny Coder read", "did you mean 'coder'? [scope.expect-unknown-task]");
	QUIET("task coder allows read\nexpect deny data-engineer read");
	QUIET("task ab allows read\nexpect deny ac read"); /* too short to call a typo */
}
END_TEST

START_TEST(unknown_denies)
{
	WARNS("task t asks git.push denies git.push when force == \"true\"",
	      "t.scope:1:43: warning: without attribute 'force' this test is unknown");
	WARNS("task t asks git.push denies git.push when force == \"true\" or b == \"m\"",
	      "    has force and (force == \"true\" or b == \"m\")\n");
	/* the witness carries the attributes that leave the condition unknown */
	WARNS("task t allows x denies x when n < 5 and has f", "`t x \"\" f=x` is denied");
	QUIET("task t asks post denies post when has s and s == \"c\"");
	/* an expect without the attribute: the author said what should happen */
	QUIET("task t asks git.push denies git.push when force == \"true\"\nexpect deny t git.push");
	LACKS("task t asks git.push denies git.push when force == \"true\"\nexpect deny t git.push force=x\n",
	      "scope.shadowed");
	WARNS("task t asks git.push denies git.push when force == \"true\"\nexpect deny t git.push force=x",
	      "[scope.unknown-denies]");
}
END_TEST

START_TEST(never_true_unknown)
{
	WARNS("task t allows read when not has k and k == \"x\"", "t.scope:1:25: warning: this condition is never true");
	WARNS("task t allows read when k == \"x\" and not has k", "the allows item never applies [scope.never-true]");
	WARNS("task t allows r denies r when k < 1 and not has k", "applies only to requests that lack it");
	QUIET("task t allows read when has k and k == \"x\"");
	QUIET("task t allows read when not has k or k == \"x\"");
}
END_TEST

START_TEST(shell_wildcard)
{
	WARNS("task a allows bash \"git **\"", "t.scope:1:25: warning: '**' in a command pattern also matches shell separators: "
	      "`a bash \"git x; reboot\"` is allowed");
	WARNS("task a allows proc.run \"npm run *\"", "[scope.shell-wildcard]");
	WARNS("task a allows Bash \"ls *\"", "[scope.shell-wildcard]");
	/* separators denied: the first smuggled command that passes is named */
	WARNS("task a allows bash \"git **\" denies bash \"**;**\"", "`a bash \"git x && reboot\"` is allowed");
	QUIET("task a allows bash \"git **\" denies bash \"**;**\", bash \"**&**\", bash \"**|**\", bash \"**$(**\", "
	      "bash \"**`**\"");
	QUIET("task a allows bash \"git status\"");
	QUIET("task a asks bash \"git **\""); /* a human sees the whole line */
	QUIET("task a allows read \"git **\"");
}
END_TEST

START_TEST(paths)
{
	WARNS("task t allows fs.read /work/** denies fs.read /work/repo/../secrets/**",
	      "t.scope:1:47: warning: requests carry canonical paths, without '..', so '/work/repo/../secrets/**' never "
	      "matches one and denies nothing; `t fs.read /work/secrets/a` is allowed; write /work/secrets/**");
	QUIET("task t allows fs.read /work/** denies ** **/../**, ** ../**, ** **/..");
	WARNS("task t allows fs.read /work/** denies fs.write .git/**",
	      "the relative '.git/**' never matches one and denies nothing");
	WARNS("task t allows fs.read /work/** denies fs.write ./.git/**", "    **/.git/**\n");
	WARNS("task t allows fs.read src/**", "[scope.relative-path]");
	QUIET("task t allows fs.read ~/notes/**, fs.read /srv/**, gh.pr.comment github.com/a/b/pull/*");
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

START_TEST(fixits_in_json_and_sarif)
{
	const char *text = "task coder allows git.** denies git.push git.reset";
	json_t *doc = report(text, sc_report_json);
	json_t *w = json_array_get(doc, 0);
	ck_assert_str_eq(json_string_value(json_object_get(w, "rule")), "scope.missing-comma");
	json_t *fix = json_object_get(w, "fix");
	ck_assert_str_eq(json_string_value(json_object_get(fix, "replacement")), "git.push, git.reset");
	ck_assert_int_eq(json_integer_value(json_object_get(fix, "column")), 33);
	ck_assert_int_eq(json_integer_value(json_object_get(fix, "end_column")), 51);
	json_decref(doc);
	doc = report(text, sc_report_sarif);
	json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
	json_t *res = json_array_get(json_object_get(run, "results"), 0);
	json_t *f = json_array_get(json_object_get(res, "fixes"), 0);
	json_t *change = json_array_get(json_object_get(f, "artifactChanges"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(change, "artifactLocation"), "uri")),
			 "dir/t%20t.scope");
	json_t *rep = json_array_get(json_object_get(change, "replacements"), 0);
	json_t *region = json_object_get(rep, "deletedRegion");
	ck_assert_int_eq(json_integer_value(json_object_get(region, "startColumn")), 33);
	ck_assert_int_eq(json_integer_value(json_object_get(region, "endColumn")), 51);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep, "insertedContent"), "text")),
			 "git.push, git.reset");
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
	tcase_add_test(tc, missing_comma);
	tcase_add_test(tc, shallow_deny);
	tcase_add_test(tc, expect_unknown_task);
	tcase_add_test(tc, unknown_denies);
	tcase_add_test(tc, never_true_unknown);
	tcase_add_test(tc, shell_wildcard);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, fixits_in_json_and_sarif);
	tcase_add_test(tc, json_format);
	tcase_add_test(tc, sarif_format);
	suite_add_tcase(s, tc);
	return s;
}
