/* check_diag.c — diagnostics as printed (compiler/diag.c): the source line
 * and caret line (tabs, UTF-8, CRLF, windows on long lines), the error
 * limit, deferred and sorted errors with their notes and fix-its, and the
 * quoting of hostile names. */
#include "suites.h"
#include "diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An sc_diag printing into memory. */
typedef struct memdiag {
	sc_diag d;
	FILE *f;
	char *buf;
	size_t len;
} memdiag;

static void md_init(memdiag *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	ck_assert_ptr_nonnull(m->f);
	sc_diag_init(&m->d, m->f);
}

/* What was printed so far (the memdiag keeps it). */
static const char *md_out(memdiag *m)
{
	fflush(m->f);
	return m->buf;
}

static void md_fini(memdiag *m)
{
	sc_diag_fini(&m->d);
	fclose(m->f);
	free(m->buf);
}

static sc_span span(uint32_t file, uint32_t off, uint32_t len)
{
	return (sc_span){ file, off, len };
}

static void out_is(memdiag *m, const char *want)
{
	const char *got = md_out(m);
	ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
}

START_TEST(caret_lines)
{
	memdiag m;
	md_init(&m);
	/* CRLF: the \r is not shown; a tab stays a tab in the caret line */
	const char *t = "task t\r\n\tallows x\r\n";
	uint32_t f = sc_diag_add(&m.d, "crlf.scope", t, strlen(t));
	sc_error(&m.d, span(f, 9, 6), "bad clause");
	/* UTF-8: continuation bytes take no column; control bytes print as ? */
	const char *u = "allows \"h\xc3\xa9llo\" \x01 x";
	uint32_t g = sc_diag_add(&m.d, "utf8.scope", u, strlen(u));
	sc_error(&m.d, span(g, 16, 3), "after the string");
	/* a span that runs past the end of its line stops at the end */
	sc_note(&m.d, span(f, 9, 100), "to the end of the line");
	out_is(&m, "crlf.scope:2:2: error: bad clause\n"
		   "    \tallows x\n"
		   "    \t^~~~~~\n"
		   "utf8.scope:1:17: error: after the string\n"
		   "    allows \"h\xc3\xa9llo\" ? x\n"
		   "                   ^~~\n"
		   "crlf.scope:2:2: note: to the end of the line\n"
		   "    \tallows x\n"
		   "    \t^~~~~~~~\n");
	ck_assert_uint_eq(m.d.errors, 2);
	md_fini(&m);
}
END_TEST

START_TEST(long_lines_are_windowed)
{
	memdiag m;
	md_init(&m);
	char line[401];
	for (int i = 0; i < 400; i++)
		line[i] = (char)('a' + i % 26);
	line[400] = '\0';
	uint32_t f = sc_diag_add(&m.d, "long.scope", line, 400);
	sc_error(&m.d, span(f, 200, 3), "in the middle");
	char want[1024];
	/* 60 bytes before the caret and 120 in all, "..." on both sides */
	snprintf(want, sizeof want, "long.scope:1:201: error: in the middle\n    ...%.120s...\n       %60s^~~\n",
		 line + 140, "");
	out_is(&m, want);
	md_fini(&m);
}
END_TEST

START_TEST(no_location)
{
	memdiag m;
	md_init(&m);
	sc_error(&m.d, SC_NOWHERE, "no file at all");
	sc_warning(&m.d, "scope.x", SC_NOWHERE, "a warning with a rule");
	out_is(&m, "scopec: error: no file at all\nscopec: warning: a warning with a rule [scope.x]\n");
	char where[64];
	sc_diag_where(&m.d, span(7, 0, 0), where, sizeof where);
	ck_assert_str_eq(where, "<unknown>");
	unsigned line = 9, col = 9;
	sc_diag_linecol(&m.d, SC_NOWHERE, &line, &col);
	ck_assert_uint_eq(line, 0);
	ck_assert_uint_eq(col, 0);
	md_fini(&m);
}
END_TEST

START_TEST(error_limit)
{
	memdiag m;
	md_init(&m);
	m.d.max_errors = 2;
	uint32_t f = sc_diag_add(&m.d, "x.scope", "abc\n", 4);
	for (int i = 0; i < 4; i++) {
		sc_error(&m.d, span(f, 1, 1), "error %d", i);
		sc_note(&m.d, span(f, 2, 1), "note %d", i);
	}
	sc_warning(&m.d, "scope.w", span(f, 0, 1), "warnings are still shown");
	out_is(&m, "x.scope:1:2: error: error 0\n    abc\n     ^\n"
		   "x.scope:1:3: note: note 0\n    abc\n      ^\n"
		   "x.scope:1:2: error: error 1\n    abc\n     ^\n"
		   "x.scope:1:3: note: note 1\n    abc\n      ^\n"
		   "scopec: too many errors, stopping here\n"
		   "x.scope:1:1: warning: warnings are still shown [scope.w]\n    abc\n    ^\n");
	ck_assert_uint_eq(m.d.errors, 4);
	md_fini(&m);
}
END_TEST

/* Deferred: errors by file and offset (each with its notes and fix-it),
 * then the rest in the order reported; the limit is told at the flush. */
START_TEST(deferred_errors_are_sorted)
{
	memdiag m;
	md_init(&m);
	uint32_t a = sc_diag_add(&m.d, "a.scope", "one two three\n", 14);
	uint32_t b = sc_diag_add(&m.d, "b.scope", "four\n", 5);
	sc_diag_defer(&m.d);
	sc_diag_defer(&m.d); /* nested: one bracket */
	sc_warning(&m.d, "scope.w", span(a, 0, 3), "a warning first");
	sc_error(&m.d, span(b, 0, 4), "in b");
	sc_error(&m.d, span(a, 8, 5), "late in a");
	sc_note(&m.d, span(a, 0, 3), "its note");
	sc_fixit(&m.d, span(a, 8, 5), "THREE"); /* attached to the error, past its note */
	sc_error(&m.d, span(a, 4, 3), "early in a");
	sc_fixit(&m.d, span(b, 0, 4), "FOUR"); /* another line: not aligned */
	ck_assert_str_eq(md_out(&m), "");
	sc_diag_flush(&m.d);
	sc_diag_flush(&m.d); /* nothing deferred: nothing printed */
	out_is(&m, "a.scope:1:5: error: early in a\n    one two three\n        ^~~\n    fix-it: FOUR\n"
		   "a.scope:1:9: error: late in a\n    one two three\n            ^~~~~\n            THREE\n"
		   "a.scope:1:1: note: its note\n    one two three\n    ^~~\n"
		   "b.scope:1:1: error: in b\n    four\n    ^~~~\n"
		   "a.scope:1:1: warning: a warning first [scope.w]\n    one two three\n    ^~~\n");
	md_fini(&m);
}
END_TEST

START_TEST(deferred_error_limit)
{
	memdiag m;
	md_init(&m);
	m.d.max_errors = 1;
	uint32_t a = sc_diag_add(&m.d, "a.scope", "xy\n", 3);
	sc_diag_defer(&m.d);
	sc_error(&m.d, span(a, 1, 1), "second by place");
	sc_error(&m.d, span(a, 0, 1), "dropped: over the limit");
	sc_diag_flush(&m.d);
	out_is(&m, "a.scope:1:2: error: second by place\n    xy\n     ^\nscopec: too many errors, stopping here\n");
	md_fini(&m);
}
END_TEST

START_TEST(fixits)
{
	memdiag m;
	md_init(&m);
	uint32_t a = sc_diag_add(&m.d, "a.scope", "allows read x\nnext line\n", 24);
	sc_error(&m.d, span(a, 7, 4), "aligned");
	sc_fixit(&m.d, span(a, 7, 4), "write");
	sc_error(&m.d, span(a, 7, 4), "a fix-it of two lines is not aligned");
	sc_fixit(&m.d, span(a, 7, 4), "a\nb");
	sc_fixit(&m.d, SC_NOWHERE, "no place: dropped");
	out_is(&m, "a.scope:1:8: error: aligned\n    allows read x\n           ^~~~\n           write\n"
		   "a.scope:1:8: error: a fix-it of two lines is not aligned\n    allows read x\n"
		   "           ^~~~\n    fix-it: a\nb\n");
	md_fini(&m);
	/* after an error over the limit, its fix-it is not printed either */
	md_init(&m);
	m.d.max_errors = 0;
	a = sc_diag_add(&m.d, "a.scope", "x\n", 2);
	sc_error(&m.d, span(a, 0, 1), "over the limit");
	sc_fixit(&m.d, span(a, 0, 1), "y");
	out_is(&m, "scopec: too many errors, stopping here\n");
	md_fini(&m);
}
END_TEST

START_TEST(quoting)
{
	char buf[64];
	sc_quote(buf, sizeof buf, sc_str_c("it's a\\b"));
	ck_assert_str_eq(buf, "it\\'s a\\\\b");
	sc_quote(buf, sizeof buf, (sc_str){ "\x01\n\x7f" "caf\xc3\xa9", 8 });
	ck_assert_str_eq(buf, "\\x01\\x0a\\x7fcaf\xc3\xa9");
	sc_quote(buf, 12, sc_str_c("abcdefghijklmnop"));
	ck_assert_str_eq(buf, "abcdefgh...");
	buf[0] = 'x';
	sc_quote(buf, 7, sc_str_c("abc"));
	ck_assert_str_eq(buf, "");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	sc_fput_quoted(f, sc_str_c("tab\there"));
	fclose(f);
	ck_assert_str_eq(out, "tab\\x09here");
	free(out);
}
END_TEST

START_TEST(loading)
{
	sc_diag d;
	sc_diag_init(&d, stderr);
	errno = 0;
	ck_assert_uint_eq(sc_diag_load(&d, "."), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(sc_diag_load_strerror(errno), "not a regular file");
	ck_assert_uint_eq(sc_diag_load(&d, "/nonexistent/x.scope"), 0);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(sc_diag_load_strerror(ENOENT), "No such file or directory");
	sc_diag_fini(&d);
}
END_TEST

Suite *sc_suite_diag(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, caret_lines);
	tcase_add_test(tc, long_lines_are_windowed);
	tcase_add_test(tc, no_location);
	tcase_add_test(tc, error_limit);
	tcase_add_test(tc, deferred_errors_are_sorted);
	tcase_add_test(tc, deferred_error_limit);
	tcase_add_test(tc, fixits);
	tcase_add_test(tc, quoting);
	tcase_add_test(tc, loading);
	suite_add_tcase(s, tc);
	return s;
}
