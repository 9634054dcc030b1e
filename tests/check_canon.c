/* check_canon.c — canonical paths and URLs (runtime/enforce/canon.c). */
#include "suites.h"

#include "canon.h"
#include "scope_enforce.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scratch tree: D/real/sub/f.txt, D/link -> D/real/sub, D/up -> ..,
 * D/loop1 <-> D/loop2, D/rel -> real (relative target). */
static char dir[256];

static void tree_setup(void)
{
	char p[PATH_MAX + 64], q[PATH_MAX + 64];
	snprintf(dir, sizeof dir, "/tmp/scope-canon-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(realpath(dir, p)); /* /tmp may itself be a link */
	ck_assert_uint_lt(strlen(p), sizeof dir);
	memcpy(dir, p, strlen(p) + 1);
	snprintf(p, sizeof p, "%s/real", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/real/sub", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/real/sub/f.txt", dir);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(p, sizeof p, "%s/real/sub", dir);
	snprintf(q, sizeof q, "%s/link", dir);
	ck_assert_int_eq(symlink(p, q), 0);
	snprintf(q, sizeof q, "%s/loop1", dir);
	snprintf(p, sizeof p, "%s/loop2", dir);
	ck_assert_int_eq(symlink(p, q), 0);
	ck_assert_int_eq(symlink(q, p), 0);
	snprintf(q, sizeof q, "%s/rel", dir);
	ck_assert_int_eq(symlink("real", q), 0);
	snprintf(q, sizeof q, "%s/real/up", dir);
	ck_assert_int_eq(symlink("..", q), 0);
}

static void tree_teardown(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The canonical path of IN (with "@" standing for the scratch dir) must be
 * WANT (same substitution), or the call must fail with ERR. */
static void path_is(const char *in, const char *cwd, const char *want)
{
	char pin[PATH_MAX * 2], pcwd[PATH_MAX * 2], pwant[PATH_MAX * 2], out[PATH_MAX + 1];
	const char *at;
	snprintf(pin, sizeof pin, "%s", in);
	if ((at = strchr(in, '@')))
		snprintf(pin, sizeof pin, "%.*s%s%s", (int)(at - in), in, dir, at + 1);
	if (cwd && (at = strchr(cwd, '@')))
		snprintf(pcwd, sizeof pcwd, "%.*s%s%s", (int)(at - cwd), cwd, dir, at + 1);
	else if (cwd)
		snprintf(pcwd, sizeof pcwd, "%s", cwd);
	snprintf(pwant, sizeof pwant, "%s", want);
	if ((at = strchr(want, '@')))
		snprintf(pwant, sizeof pwant, "%.*s%s%s", (int)(at - want), want, dir, at + 1);
	size_t n = sizeof out;
	int rc = scope_canon_path(pin, strlen(pin), cwd ? pcwd : NULL, out, &n);
	ck_assert_msg(rc == 0, "%s: %s", in, scope_strerror(rc));
	ck_assert_str_eq(out, pwant);
	ck_assert_uint_eq(n, strlen(pwant));
}

static void path_fails(const char *in, size_t len, const char *cwd)
{
	char out[PATH_MAX + 1];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_path(in, len, cwd, out, &n), -SCOPE_EPATH);
}

START_TEST(path_lexical)
{
	path_is("/srv/repo/../../root/.ssh/id_rsa", NULL, "/root/.ssh/id_rsa");
	path_is("/a//b/./c/", NULL, "/a/b/c");
	path_is("/..", NULL, "/");
	path_is("/../../x", NULL, "/x");
	path_is("/", NULL, "/");
	path_is("//", NULL, "/");
	path_is("/nonexistent-dir/x/../y", NULL, "/nonexistent-dir/y");
}
END_TEST

START_TEST(path_relative)
{
	path_is("real/sub/f.txt", "@", "@/real/sub/f.txt");
	path_is("../x", "@/real", "@/x");
	path_is(".", "@", "@");
	path_fails("x", 1, "relative/cwd"); /* an unusable base */
	char here[PATH_MAX];
	ck_assert_ptr_nonnull(getcwd(here, sizeof here));
	char want[PATH_MAX + 8];
	snprintf(want, sizeof want, "%s/zz-new", here);
	char out[PATH_MAX + 16];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_path("zz-new", 6, NULL, out, &n), 0);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(path_symlinks)
{
	path_is("@/link/f.txt", NULL, "@/real/sub/f.txt");
	/* ".." after a link is the parent of its target, as the kernel says */
	path_is("@/link/..", NULL, "@/real");
	path_is("@/link/../sub/f.txt", NULL, "@/real/sub/f.txt");
	path_is("@/rel/sub", NULL, "@/real/sub");
	path_is("@/real/up/real/up/link", NULL, "@/real/sub");
	/* a file that does not exist yet under a link */
	path_is("@/link/new/deeper/../file", NULL, "@/real/sub/new/file");
}
END_TEST

START_TEST(path_refused)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/loop1/x", dir);
	path_fails(p, strlen(p), NULL);
	path_fails("/a\0b", 4, NULL);
	path_fails("", 0, NULL);
	static char huge[PATH_MAX * 2];
	memset(huge, 'a', sizeof huge - 1);
	huge[0] = '/';
	path_fails(huge, strlen(huge), NULL);
	/* short components, but more than PATH_MAX in all */
	static char deep[PATH_MAX + 64];
	for (size_t i = 0; i + 2 < sizeof deep; i += 2)
		memcpy(deep + i, "/a", 2);
	path_fails(deep, strlen(deep), NULL);
	char out[4];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_path("/abcdef", 7, NULL, out, &n), -SCOPE_ENOSPC);
	ck_assert_uint_eq(n, 7);
}
END_TEST

START_TEST(path_home)
{
	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", dir, 1);
	path_is("~/link", NULL, "@/real/sub");
	path_is("~", NULL, "@");
	path_is("~user/x", "@", "@/~user/x"); /* not a home: a relative name */
	setenv("HOME", "relative", 1);
	path_fails("~/x", 3, NULL);
	unsetenv("HOME");
	path_fails("~", 1, NULL); /* no home to stand for */
	char out[64];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_path("/x", 2, NULL, NULL, &n), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_canon_path("/x", 2, NULL, out, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_canon_path(NULL, 2, NULL, out, &n), -SCOPE_EPATH);
	if (old)
		setenv("HOME", old, 1);
	else
		unsetenv("HOME");
	free(old);
}
END_TEST

static void url_is(const char *in, const char *want)
{
	char out[4096];
	size_t n = sizeof out;
	int rc = scope_canon_url(in, strlen(in), out, &n);
	ck_assert_msg(rc == 0, "%s: %s", in, scope_strerror(rc));
	ck_assert_str_eq(out, want);
}

static void url_fails(const char *in, size_t len)
{
	char out[4096];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_url(in, len, out, &n), -SCOPE_EURL);
}

/* canon_path_lexical_first on its own (form.c calls it only with what
 * canon_path_alloc accepted): the same input checks, ".." taken before the
 * link is followed, "~" and a relative path from their bases. */
START_TEST(path_lexical_first)
{
	char *out = (char *)1, in[PATH_MAX + 16], want[PATH_MAX + 16];
	ck_assert_int_eq(canon_path_lexical_first(NULL, 2, NULL, &out), -SCOPE_EPATH);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(canon_path_lexical_first("/x", 0, NULL, &out), -SCOPE_EPATH);
	ck_assert_int_eq(canon_path_lexical_first("/a\0b", 4, NULL, &out), -SCOPE_EPATH);
	char *big = malloc(70000);
	memset(big, 'a', 70000);
	big[0] = '/';
	ck_assert_int_eq(canon_path_lexical_first(big, 70000, NULL, &out), -SCOPE_EPATH);
	free(big);
	ck_assert_int_eq(canon_path_lexical_first("x", 1, "relative/cwd", &out), -SCOPE_EPATH);

	snprintf(in, sizeof in, "%s/link/../real/./sub", dir);
	snprintf(want, sizeof want, "%s/real/sub", dir);
	ck_assert_int_eq(canon_path_lexical_first(in, strlen(in), NULL, &out), 0);
	ck_assert_str_eq(out, want);
	free(out);
	ck_assert_int_eq(canon_path_lexical_first("link/..", 7, dir, &out), 0);
	ck_assert_str_eq(out, dir); /* the kernel would say DIR/real */
	free(out);

	char *old = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", dir, 1);
	ck_assert_int_eq(canon_path_lexical_first("~", 1, NULL, &out), 0);
	ck_assert_str_eq(out, dir);
	free(out);
	unsetenv("HOME");
	ck_assert_int_eq(canon_path_lexical_first("~/x", 3, NULL, &out), -SCOPE_EPATH);
	if (old)
		setenv("HOME", old, 1);
	free(old);
}
END_TEST

START_TEST(url_normal)
{
	url_is("HTTP://Docs.Example.COM/a", "http://docs.example.com/a");
	url_is("https://docs.example.com:443/a", "https://docs.example.com/a");
	url_is("http://docs.example.com:80/a", "http://docs.example.com/a");
	url_is("https://docs.example.com:8443/a", "https://docs.example.com:8443/a");
	url_is("http://h.com/a/./b/../c", "http://h.com/a/c");
	url_is("http://h.com/%7Euser/%61%2F", "http://h.com/~user/a%2F");
	url_is("http://h.com/a%2fb", "http://h.com/a%2Fb");
	url_is("http://h.com/a#frag", "http://h.com/a");
	url_is("http://h.com/a?q=1#f", "http://h.com/a?q=1");
	url_is("https://h.com", "https://h.com/");
	url_is("https://h.com?x", "https://h.com/?x");
	url_is("http://h.com/../../etc", "http://h.com/etc");
	url_is("mailto:someone@example.com", "mailto:someone@example.com");
	/* every scheme whose default port is dropped */
	url_is("ws://h.com:80/a", "ws://h.com/a");
	url_is("wss://h.com:443/a", "wss://h.com/a");
	url_is("ftp://h.com:21/x", "ftp://h.com/x");
	url_is("ws://h.com:443/a", "ws://h.com:443/a");
	/* one spelling of an IPv6 host, and the user part kept (it names who) */
	url_is("HTTP://[::1]:80/a", "http://[0000:0000:0000:0000:0000:0000:0000:0001]/a");
	url_is("http://user@h.com/", "http://user@h.com/");
	/* a file URL of another host is not made local */
	url_is("file://otherhost/x", "file://otherhost/x");
	char out[8];
	size_t n = sizeof out;
	ck_assert_int_eq(scope_canon_url("http://h.com/long", 17, out, &n), -SCOPE_ENOSPC);
	n = sizeof out;
	ck_assert_int_eq(scope_canon_url("http://h.com/", 13, NULL, &n), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_canon_url("http://h.com/", 13, out, NULL), -SCOPE_EINVAL);
	ck_assert_int_eq(scope_canon_url(NULL, 3, out, &n), -SCOPE_EURL);
}
END_TEST

START_TEST(url_file)
{
	url_is("file:///etc/../etc/./hosts", "file:///etc/hosts");
	url_is("file://localhost/tmp/a%20b", "file:///tmp/a%20b");
	char in[PATH_MAX + 32], want[PATH_MAX + 32];
	snprintf(in, sizeof in, "file://%s/link/f.txt", dir);
	snprintf(want, sizeof want, "file://%s/real/sub/f.txt", dir);
	url_is(in, want);
}
END_TEST

START_TEST(url_refused)
{
	url_fails("relative/path", 13);
	url_fails("//h.com/x", 9);
	url_fails("http:/x", 7);
	url_fails("http://a b/", 11);
	url_fails("http://h.com/\0x", 15);
	url_fails("", 0);
	url_fails("http://h.com/\\x", 15);
	/* found by fuzz_form: dot removal would turn the path into a host */
	url_fails("P:/.//Exm/a/./b/..", 18);
	url_fails("x:/..//h/y", 10);
}
END_TEST

Suite *sc_suite_canon(void)
{
	Suite *s = suite_create("canon");
	TCase *tc = tcase_create("paths");
	tcase_add_unchecked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, path_lexical);
	tcase_add_test(tc, path_relative);
	tcase_add_test(tc, path_symlinks);
	tcase_add_test(tc, path_refused);
	tcase_add_test(tc, path_home);
	tcase_add_test(tc, path_lexical_first);
	tcase_add_test(tc, url_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("urls");
	tcase_add_test(tc, url_normal);
	tcase_add_test(tc, url_refused);
	suite_add_tcase(s, tc);
	return s;
}
