/* check_gitsrc.c — the pure parts of `scopec diff REV:PATH` (compiler/gitsrc.c):
 * telling REV:PATH from a file name, lexical path normalisation, and the
 * resolver reading includes through an sc_fileops (here an in-memory tree,
 * named like a revision's files).  tests/review/ runs the rest against git. */
#include "suites.h"
#include "gitsrc.h"
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void split_is(const char *arg, bool want, size_t want_len)
{
	size_t n = 0;
	bool got = sc_git_split(arg, &n);
	ck_assert_msg(got == want, "sc_git_split(%s) = %d", arg, got);
	if (want)
		ck_assert_msg(n == want_len, "sc_git_split(%s): rev length %zu", arg, n);
}

START_TEST(split)
{
	split_is("HEAD:x.scope", true, 4);
	split_is("origin/main:policies/x.scope", true, 11);
	split_is("HEAD~2:a:b.scope", true, 6);   /* the first ':' ends REV */
	split_is("C:\\policies\\x.scope", true, 1); /* a candidate; git decides */
	split_is("policies/x.scope", false, 0);
	split_is(":x.scope", false, 0);          /* the index: not supported */
	split_is("-x:y", false, 0);
	split_is("/tmp/a:b.scope", false, 0);
	split_is("./HEAD:x.scope", false, 0);    /* how to name such a file */
}
END_TEST

static void norm_is(const char *dir, const char *rel, const char *want)
{
	char why[128] = "";
	char *got = sc_git_normpath(dir, rel, strlen(rel), why, sizeof why);
	if (!want) {
		ck_assert_msg(got == NULL, "normpath(%s, %s) = %s, want an error", dir, rel, got);
		ck_assert(why[0]);
	} else {
		ck_assert_msg(got && strcmp(got, want) == 0, "normpath(%s, %s) = %s, want %s (%s)", dir,
			      rel, got ? got : "NULL", want, why);
	}
	free(got);
}

START_TEST(normpath)
{
	norm_is("", "a/../b", "b");
	norm_is("policies", "common.scope", "policies/common.scope");
	norm_is("policies", "../lib/x.scope", "lib/x.scope");
	norm_is("a", ".//b/./c/", "a/b/c");
	norm_is("a/b", "../../c", "c");
	norm_is("", "x/y/../../z", "z");
	norm_is("policies", "../../x", NULL);   /* leaves the repository */
	norm_is("", "..", NULL);
	norm_is("", "a/..", NULL);              /* the top itself */
	norm_is("", "", NULL);
}
END_TEST

/* An in-memory tree whose files are named "mem:PATH", like a revision's. */
static const char *const mem_files[][2] = {
	{ "root.scope", "include \"lib/a.scope\"\ninclude \"lib/../lib/a.scope\"\n"
			"task t extends base allows read x\nexpect allow t read x\n" },
	{ "lib/a.scope", "include \"b.scope\"\ntask base allows read y\n" },
	{ "lib/b.scope", "let unused = r z\n" },
	{ "cyc.scope", "include \"lib/cyc2.scope\"\n" },
	{ "lib/cyc2.scope", "include \"../cyc.scope\"\n" },
	{ "missing.scope", "include \"nope.scope\"\n" },
	{ "escape.scope", "include \"../x.scope\"\n" },
};

static char *mem_join(void *ctx, const char *from, sc_str rel, char *why, size_t whysz)
{
	(void)ctx;
	const char *path = from + 4, *slash = strrchr(path, '/');
	char dir[256];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 0, path);
	char *norm = sc_git_normpath(dir, rel.s, rel.n, why, whysz);
	if (!norm)
		return NULL;
	char *name = NULL;
	ck_assert_int_ge(asprintf(&name, "mem:%s", norm), 0);
	free(norm);
	return name;
}

static char *mem_identify(void *ctx, const char *name, char *why, size_t whysz)
{
	(void)ctx, (void)why, (void)whysz;
	return strdup(name);
}

static uint32_t mem_load(void *ctx, sc_diag *d, const char *name, char *why, size_t whysz)
{
	int *loads = ctx;
	for (size_t i = 0; i < sizeof mem_files / sizeof mem_files[0]; i++)
		if (strcmp(name + 4, mem_files[i][0]) == 0) {
			uint32_t id = sc_diag_add(d, name, mem_files[i][1], strlen(mem_files[i][1]));
			d->src[id].real = strdup(name);
			++*loads;
			return id;
		}
	snprintf(why, whysz, "no such file in revision 'mem'");
	return 0;
}

/* Resolves mem:ROOT; its diagnostics into *DIAG (malloc'd). */
static sc_policy *mem_policy(const char *root, char **diag, int *loads, sc_diag *d)
{
	size_t len = 0;
	FILE *mem = open_memstream(diag, &len);
	ck_assert_ptr_nonnull(mem);
	sc_diag_init(d, mem);
	sc_fileops ops = { mem_join, mem_identify, mem_load, loads };
	char why[128], name[64];
	snprintf(name, sizeof name, "mem:%s", root);
	uint32_t id = mem_load(loads, d, name, why, sizeof why);
	ck_assert_uint_ne(id, 0);
	sc_policy *p = sc_resolve_loaded(d, id, &ops);
	fclose(mem);
	d->out = stderr;
	return p;
}

START_TEST(includes_through_fileops)
{
	char *diag = NULL;
	int loads = 0;
	sc_diag d;
	sc_policy *p = mem_policy("root.scope", &diag, &loads, &d);
	ck_assert_msg(p != NULL, "%s", diag);
	ck_assert_int_eq(loads, 3); /* lib/a.scope once under both spellings */
	ck_assert_int_eq(sc_test_decide(p, "t read y"), SC_ALLOW);
	sc_policy_free(p);
	sc_diag_fini(&d);
	free(diag);
}
END_TEST

static void mem_error(const char *root, const char *needle)
{
	char *diag = NULL;
	int loads = 0;
	sc_diag d;
	sc_policy *p = mem_policy(root, &diag, &loads, &d);
	ck_assert_msg(p == NULL, "%s should be rejected", root);
	ck_assert_msg(strstr(diag, needle), "want '%s' in:\n%s", needle, diag);
	sc_diag_fini(&d);
	free(diag);
}

START_TEST(include_errors_name_the_revision)
{
	mem_error("cyc.scope", "include cycle: mem:cyc.scope -> mem:lib/cyc2.scope -> mem:cyc.scope");
	mem_error("missing.scope", "mem:missing.scope:1:9: error: cannot read included file "
				   "'mem:nope.scope': no such file in revision 'mem'");
	mem_error("escape.scope", "mem:escape.scope:1:9: error: cannot open included file "
				  "'../x.scope': the path leaves the top of the repository");
}
END_TEST

Suite *sc_suite_gitsrc(void)
{
	Suite *s = suite_create("gitsrc");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, split);
	tcase_add_test(tc, normpath);
	tcase_add_test(tc, includes_through_fileops);
	tcase_add_test(tc, include_errors_name_the_revision);
	suite_add_tcase(s, tc);
	return s;
}
