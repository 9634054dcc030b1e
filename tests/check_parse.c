/* check_parse.c — the lemon grammar and the parse driver. */
#include "suites.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

static sc_arena *arena;
static sc_diag diag;
static char *diag_text;
static size_t diag_len;
static FILE *diag_mem;

static sc_ast_file *parse(const char *text)
{
	arena = sc_arena_new();
	diag_mem = open_memstream(&diag_text, &diag_len);
	sc_diag_init(&diag, diag_mem);
	uint32_t f = sc_diag_add(&diag, "t.scope", text, strlen(text));
	sc_ast_file *af = sc_parse_file(arena, &diag, f);
	fflush(diag_mem);
	return af;
}

static void done(void)
{
	fclose(diag_mem);
	free(diag_text);
	sc_diag_fini(&diag);
	sc_arena_free(arena);
}

START_TEST(one_line_form)
{
	sc_ast_file *f = parse("task triage allows read forum.* denies post, config.*");
	ck_assert(!f->had_errors);
	ck_assert_int_eq(f->nstmts, 1);
	sc_stmt *s = f->stmts[0];
	ck_assert_int_eq(s->kind, SC_S_TASK);
	ck_assert_int_eq(s->nclauses, 2);
	ck_assert_int_eq(s->clauses[0]->kind, SC_ALLOW);
	ck_assert_int_eq(s->clauses[0]->nitems, 1);
	ck_assert(s->clauses[0]->items[0]->has_resource);
	ck_assert_int_eq(s->clauses[1]->kind, SC_DENY);
	ck_assert_int_eq(s->clauses[1]->nitems, 2);
	ck_assert(!s->clauses[1]->items[0]->has_resource);
	ck_assert(sc_str_eq(s->clauses[1]->items[1]->action, sc_str_c("config.*")));
	done();
}
END_TEST

START_TEST(statements)
{
	sc_ast_file *f = parse("let s = a b, @t when x == \"1\"\n"
			       "task * denies ** secrets.**\n"
			       "task a extends b, c\n"
			       "include \"x.scope\"\n"
			       "expect allow a \"my act\" res k=v \"q k\"=\"a b\"\n"
			       "expect deny a act\n");
	ck_assert_msg(!f->had_errors, "%s", diag_text);
	ck_assert_int_eq(f->nstmts, 6);
	ck_assert_int_eq(f->stmts[0]->kind, SC_S_LET);
	ck_assert_int_eq(f->stmts[0]->nitems, 2);
	ck_assert(f->stmts[0]->items[1]->is_set);
	ck_assert_ptr_nonnull(f->stmts[0]->items[1]->cond);
	ck_assert(f->stmts[1]->star);
	ck_assert_int_eq(f->stmts[2]->nextends, 2);
	ck_assert_int_eq(f->stmts[2]->nclauses, 0);
	ck_assert_int_eq(f->stmts[3]->kind, SC_S_INCLUDE);
	ck_assert(sc_str_eq(f->stmts[3]->name.name, sc_str_c("x.scope")));
	sc_stmt *e = f->stmts[4];
	ck_assert_int_eq(e->kind, SC_S_EXPECT);
	ck_assert(sc_str_eq(e->action.name, sc_str_c("my act")));
	ck_assert(e->has_resource);
	ck_assert_int_eq(e->nattrs, 2);
	ck_assert(sc_str_eq(e->attrs[1].key, sc_str_c("q k")));
	ck_assert(sc_str_eq(e->attrs[1].value, sc_str_c("a b")));
	ck_assert(!f->stmts[5]->has_resource);
	done();
}
END_TEST

START_TEST(condition_shape)
{
	sc_ast_file *f = parse("task t allows a when a == \"1\" and b != \"2\" and not c < 3 or has d");
	ck_assert_msg(!f->had_errors, "%s", diag_text);
	sc_cond *c = f->stmts[0]->clauses[0]->items[0]->cond;
	ck_assert_int_eq(c->op, SC_C_OR);              /* or binds loosest */
	ck_assert_int_eq(c->nkids, 2);
	ck_assert_int_eq(c->kids[0]->op, SC_C_AND);    /* flattened: 3 operands */
	ck_assert_int_eq(c->kids[0]->nkids, 3);
	ck_assert_int_eq(c->kids[0]->kids[2]->op, SC_C_NOT);
	ck_assert_int_eq(c->kids[0]->kids[2]->kids[0]->op, SC_C_LT);
	ck_assert_int_eq(c->kids[1]->op, SC_C_HAS);
	done();
	f = parse("task t allows a when (a == x or b == y) and k in [\"p\", q] and r like \"*.x\" and m matches /^a$/i");
	ck_assert_msg(!f->had_errors, "%s", diag_text);
	c = f->stmts[0]->clauses[0]->items[0]->cond;
	ck_assert_int_eq(c->op, SC_C_AND);
	ck_assert_int_eq(c->nkids, 4);
	ck_assert_int_eq(c->kids[0]->op, SC_C_OR);
	ck_assert_int_eq(c->kids[1]->nvalues, 2);
	ck_assert_int_eq(c->kids[3]->op, SC_C_MATCHES);
	ck_assert(c->kids[3]->caseless);
	ck_assert(sc_str_eq(c->kids[3]->value, sc_str_c("^a$")));
	done();
}
END_TEST

START_TEST(recovery_reports_each_statement)
{
	sc_ast_file *f = parse("task a allows\n"
			       "task b allows read x\n"
			       "task c denies , y\n"
			       "let = x\n"
			       "task d allows read when\n"
			       "task e allows ok\n");
	ck_assert(f->had_errors);
	ck_assert_int_eq(diag.errors, 4);
	ck_assert_int_eq(f->nstmts, 2); /* b and e survive */
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:1:8: error: empty item list after 'allows'"));
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:3:15: error: empty item list after 'denies'"));
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:5:20: error: expected a condition after 'when'"));
	ck_assert_int_eq(f->nbroken, 3); /* a, c, d */
	done();
}
END_TEST

START_TEST(bad_values)
{
	sc_ast_file *f = parse("task t allows a when n < ten\nexpect perhaps t a\ntask u allows a when k matches /x/g");
	ck_assert_int_eq(diag.errors, 3);
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:1:26: error: expected a number"));
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:2:8: error: expected decision"));
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:3:35: error: unknown regex flag 'g'"));
	(void)f;
	done();
}
END_TEST

START_TEST(caret_under_column)
{
	parse("task t\n\tallows read \"a\\x\"\n");
	ck_assert_ptr_nonnull(strstr(diag_text, "t.scope:2:16: error: invalid escape"));
	/* the tab is kept so that the caret lines up */
	ck_assert_ptr_nonnull(strstr(diag_text, "    \tallows read \"a\\x\"\n    \t              ^~\n"));
	done();
}
END_TEST

/* Parses TEXT and wants NEEDLE among its diagnostics. */
static void wants(const char *text, const char *needle)
{
	parse(text);
	ck_assert_msg(strstr(diag_text, needle), "want '%s' for:\n%s\ngot:\n%s", needle, text, diag_text);
	done();
}

START_TEST(expected_tokens)
{
	wants("task t allows read x y", "t.scope:1:22: error: unexpected name 'y'; expected a comma, `when`, a clause "
	      "(`allows`, `asks`, `denies`) or a new statement (`task`, `let`, `include`, `expect`)\n");
	wants("task t allows", "empty item list after 'allows'");
	wants("let s = read\nallows write", "t.scope:2:1: error: unexpected keyword 'allows' (a clause belongs to a task: "
	      "`task NAME allows ...`); expected a resource pattern, a comma, `when` or a new statement");
	wants("expect allow t", "incomplete 'expect' statement at end of file: expected an action\n");
	wants("task t allows x when k in [ ]", "unexpected ']'; expected a value\n");
	wants("task t allows x when k in [\"a\" \"b\"]", "expected a comma or `]`\n");
	wants("let readers read docs.**", "unexpected name 'read'; expected `=`\n");
	wants("expect allow t x y k=v z", "expected an attribute KEY=VALUE or a new statement");
	wants("task t allows read when k = \"a\"", "unexpected '=' (did you mean `==`?); expected an operator (`==`, ");
}
END_TEST

START_TEST(keyword_typos)
{
	wants("task coder alows git.**", "t.scope:1:12: error: unexpected name 'alows' (did you mean `allows`?); expected");
	wants("task t deny x", "unexpected name 'deny' (did you mean `denies`?)");
	wants("task t extend u", "(did you mean `extends`?)");
	wants("task t allows read x wehn k == \"a\"", "unexpected name 'wehn' (did you mean `when`?)");
	wants("task t allows r when k == \"a\" an j == \"b\"", "(did you mean `and`?)");
	wants("task c allows git.** denise git.push",
	      "t.scope:1:22: error: unexpected name 'git.push' ('denise' was read as a name: did you mean `denies`?)");
	wants("task t allows read\nexpcet allow t read", "t.scope:2:1: error: unexpected name 'allow' ('expcet' was read as "
	      "a name: did you mean `expect`?)");
	wants("expcet allow t x", "t.scope:1:1: error: unexpected name 'expcet' (did you mean `expect`?)");
	/* no keyword is near: no guess */
	parse("task t allows read x zebra");
	ck_assert_ptr_null(strstr(diag_text, "did you mean"));
	done();
}
END_TEST

Suite *sc_suite_parse(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, one_line_form);
	tcase_add_test(tc, statements);
	tcase_add_test(tc, condition_shape);
	tcase_add_test(tc, recovery_reports_each_statement);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, caret_under_column);
	tcase_add_test(tc, expected_tokens);
	tcase_add_test(tc, keyword_typos);
	suite_add_tcase(s, tc);
	return s;
}
