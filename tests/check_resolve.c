/* check_resolve.c — includes, sets, extends, task *, and their errors. */
#include "suites.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ASSERT_ERROR(text, needle)                                                  \
	do {                                                                        \
		char *diag_ = NULL;                                                 \
		sc_policy *p_ = sc_test_policy(text, &diag_);                       \
		ck_assert_msg(p_ == NULL, "policy should be rejected: %s", text);   \
		ck_assert_msg(strstr(diag_, needle), "want '%s' in:\n%s", needle, diag_); \
		free(diag_);                                                        \
	} while (0)

START_TEST(declaration_errors)
{
	ASSERT_ERROR("task a\ntask a", "t.scope:2:6: error: duplicate declaration of task 'a'");
	ASSERT_ERROR("task a\ntask a", "t.scope:1:6: note: task 'a' was first declared here");
	ASSERT_ERROR("let s = x\nlet s = y", "t.scope:2:5: error: duplicate definition of set '@s'");
	ASSERT_ERROR("task a* allows x", "is a pattern");
	ASSERT_ERROR("task \"\" allows x", "empty task name");
	ASSERT_ERROR("task * extends a\ntask a", "cannot extend");
	ASSERT_ERROR("expect allow a \"\"\ntask a", "must not be empty");
	ASSERT_ERROR("expect allow a b k=1 k=2\ntask a", "attribute 'k' given twice");
}
END_TEST

START_TEST(reference_errors)
{
	ASSERT_ERROR("task a extends b", "t.scope:1:16: error: unknown task 'b' in extends");
	ASSERT_ERROR("task a extends a", "extends cycle: a -> a");
	ASSERT_ERROR("task a extends b\ntask b extends c\ntask c extends a", "extends cycle: a -> b -> c -> a");
	ASSERT_ERROR("task a allows @nope", "t.scope:1:15: error: unknown set '@nope'");
	ASSERT_ERROR("let a = @a", "set cycle: @a -> @a");
	ASSERT_ERROR("let a = @b\nlet b = @c, x\nlet c = @a", "set cycle: @a -> @b -> @c -> @a");
	ASSERT_ERROR("task a allows r x when k matches /(/", "invalid regex: missing closing parenthesis");
	ASSERT_ERROR("let unused = r x when k matches /[z-a]/", "invalid regex: range out of order");
}
END_TEST

/* Parse errors are found before reference errors; they print in source
 * order all the same, each error with its notes. */
START_TEST(errors_in_source_order)
{
	char *diag = NULL;
	sc_policy *p = sc_test_policy("task a allows @nothing\n"
				      "task c allows read,\n"
				      "task b extends nobody\n"
				      "task a\n",
				      &diag);
	ck_assert_ptr_null(p);
	const char *l1 = strstr(diag, "t.scope:1:15: error: unknown set");
	const char *l2 = strstr(diag, "t.scope:2:19: error: expected an item after ','");
	const char *l3 = strstr(diag, "t.scope:3:16: error: unknown task 'nobody'");
	const char *l4 = strstr(diag, "t.scope:4:6: error: duplicate declaration of task 'a'");
	const char *n4 = strstr(diag, "t.scope:1:6: note: task 'a' was first declared here");
	ck_assert_msg(l1 && l2 && l3 && l4 && n4 && l1 < l2 && l2 < l3 && l3 < l4 && l4 < n4, "%s", diag);
	free(diag);
}
END_TEST

START_TEST(many_errors_in_one_run)
{
	char *diag = NULL;
	sc_policy *p = sc_test_policy("task a extends nope\n"
				      "task b allows @nope\n"
				      "task c allows x when k matches /(/\n"
				      "task d allows\n"
				      "task e extends d\n", /* d is broken: no cascade */
				      &diag);
	ck_assert_ptr_null(p);
	int lines = 0;
	for (char *s = diag; (s = strstr(s, ": error: ")); s++)
		lines++;
	ck_assert_msg(lines == 4, "%s", diag);
	ck_assert_ptr_null(strstr(diag, "unknown task 'd'"));
	free(diag);
}
END_TEST

START_TEST(flattening)
{
	sc_policy *p = sc_test_policy("task base allows read a\n"
				      "task mid extends base allows read b\n"
				      "task mid2 extends base allows read c\n"
				      "task top extends mid, mid2 denies read d\n" /* diamond */
				      "task * denies x\n"
				      "task * asks y\n",
				      NULL);
	ck_assert_ptr_nonnull(p);
	const sc_task *t = sc_policy_find_task(p, sc_str_c("top"));
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->nitems, 6); /* base once, mid, mid2, own, two stars */
	for (uint32_t i = 1; i < t->nitems; i++)
		ck_assert_uint_lt(t->items[i - 1]->index, t->items[i]->index);
	ck_assert_int_eq(sc_policy_find_task(p, sc_str_c("base"))->nitems, 3);
	ck_assert_ptr_null(sc_policy_find_task(p, sc_str_c("*")));
	sc_policy_free(p);
}
END_TEST

START_TEST(sets_expand_with_conditions)
{
	sc_policy *p = sc_test_policy("let inner = write x when a == \"1\"\n"
				      "let outer = @inner when b == \"2\", read y\n"
				      "task t allows @outer when c == \"3\"\n",
				      NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->nitems, 2);
	ck_assert_int_eq(sc_test_decide(p, "t write x a=1 b=2 c=3"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "t write x a=1 b=2"), SC_DENY);
	ck_assert_int_eq(sc_test_decide(p, "t write x a=1 c=3"), SC_DENY);
	ck_assert_int_eq(sc_test_decide(p, "t write x b=2 c=3"), SC_DENY);
	ck_assert_int_eq(sc_test_decide(p, "t read y c=3"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "t read y"), SC_DENY);
	/* sets may be used before they are defined */
	sc_policy *q = sc_test_policy("task t denies @later\nlet later = rm **", NULL);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(sc_test_decide(q, "t rm a/b"), SC_DENY);
	sc_policy_free(q);
	sc_policy_free(p);
}
END_TEST

START_TEST(set_bomb_is_rejected)
{
	/* 2^40 items if expanded naively */
	char text[4096];
	size_t o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "let s%d = @s%d, @s%d\n", i, i + 1, i + 1);
	snprintf(text + o, sizeof text - o, "let s40 = x\ntask t allows @s0\n");
	ASSERT_ERROR(text, "expands to more than");
}
END_TEST

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static sc_diag path_diags[8];
static int npath_diags;

static sc_policy *resolve_path(const char *path, char **diag_out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	/* sources must outlive the policy: kept until the end of the test */
	sc_diag *d = &path_diags[npath_diags++];
	sc_diag_init(d, mem);
	const char *paths[1] = { path };
	sc_policy *p = sc_resolve_files(d, paths, 1);
	fclose(mem);
	d->out = stderr;
	*diag_out = buf;
	return p;
}

START_TEST(includes)
{
	char tmpl[] = "/tmp/scope-inc-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(dir);
	char sub[256];
	snprintf(sub, sizeof sub, "%s/lib", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	free(write_file(dir, "lib/common.scope", "let secrets = ** secrets.**\ninclude \"shared.scope\"\n"));
	free(write_file(dir, "lib/shared.scope", "task * denies @secrets\n"));
	free(write_file(dir, "b.scope", "include \"lib/common.scope\"\ntask b allows read **\n"));
	char *root = write_file(dir, "main.scope",
				"include \"lib/common.scope\"\ninclude \"b.scope\"\n" /* diamond: once */
				"task a allows read **\n");
	char *diag = NULL;
	sc_policy *p = resolve_path(root, &diag);
	ck_assert_msg(p != NULL, "%s", diag);
	ck_assert_int_eq(sc_test_decide(p, "a read docs.x"), SC_ALLOW);
	ck_assert_int_eq(sc_test_decide(p, "a read secrets.db"), SC_DENY);
	ck_assert_int_eq(sc_test_decide(p, "b read secrets.db"), SC_DENY);
	sc_policy_free(p);
	free(diag);

	free(write_file(dir, "c1.scope", "include \"c2.scope\"\n"));
	free(write_file(dir, "c2.scope", "include \"c1.scope\"\n"));
	char *cyc = write_file(dir, "c0.scope", "include \"c1.scope\"\n");
	p = resolve_path(cyc, &diag);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(diag, "c2.scope:1:9: error: include cycle:"), "%s", diag);
	free(diag);

	char *missing = write_file(dir, "m.scope", "\ninclude \"nope.scope\"\n");
	p = resolve_path(missing, &diag);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(diag, "m.scope:2:9: error: cannot open included file") &&
			      strstr(diag, "No such file"), "%s", diag);
	free(diag);
	free(root);
	free(cyc);
	free(missing);
	for (int i = 0; i < npath_diags; i++)
		sc_diag_fini(&path_diags[i]);
	npath_diags = 0;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *sc_suite_resolve(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60); /* the set bomb is slow under sanitizers and load */
	tcase_add_test(tc, declaration_errors);
	tcase_add_test(tc, reference_errors);
	tcase_add_test(tc, many_errors_in_one_run);
	tcase_add_test(tc, errors_in_source_order);
	tcase_add_test(tc, flattening);
	tcase_add_test(tc, sets_expand_with_conditions);
	tcase_add_test(tc, set_bomb_is_rejected);
	tcase_add_test(tc, includes);
	suite_add_tcase(s, tc);
	return s;
}
