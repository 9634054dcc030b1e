/*
 * scope.y — the grammar of the scope language (SPEC §2), for lemon.
 * lemon turns this into build/scope_parse.c; the build fails on conflicts.
 *
 * Every value lives in the compiler arena, so no nonterminal needs a
 * %destructor: a syntax error leaks nothing.  Lists are built as arena
 * linked lists (left recursion keeps the parser stack flat for a 100k-item
 * clause) and sealed into arrays where a statement completes.
 */
%name scParse
%token_prefix TK_
%token_type { sc_token }
%extra_context { sc_parser *ps }
%stack_size 2000

%include {
#include <assert.h>
#include <string.h>
#include "parse.h"
#include "number.h"

/* Grammar action helpers: kept here so that the actions stay one-liners. */

static const char *ps_text(sc_parser *ps, sc_span sp)
{
	return sc_span_text(ps->diag, sp).s;
}

static sc_stmt *stmt_new(sc_parser *ps, sc_stmt_kind kind, sc_token kw)
{
	sc_stmt *s = sc_arena_alloc(ps->arena, sizeof *s);
	s->kind = kind;
	s->span = kw.span;
	return s;
}

static sc_ast_name *name_box(sc_parser *ps, sc_ast_name n)
{
	sc_ast_name *b = sc_arena_alloc(ps->arena, sizeof *b);
	*b = n;
	return b;
}

static sc_ast_name *seal_names(sc_parser *ps, const sc_plist *l)
{
	sc_ast_name *out = sc_arena_array(ps->arena, l->n ? l->n : 1, sizeof *out);
	uint32_t i = 0;
	for (sc_pnode *n = l->first; n; n = n->next)
		out[i++] = *(sc_ast_name *)n->v;
	return out;
}

/* KEYEQ covers the key only (the lexer consumed the '=' after it). */
static sc_ast_name keyeq_name(sc_parser *ps, sc_token t)
{
	sc_ast_name n;
	sc_str text = sc_span_text(ps->diag, t.span);
	n.span = t.span;
	if (text.n && text.s[0] == '"')
		n.name = sc_parse_string(ps, t);
	else
		n.name = text;
	return n;
}

static sc_stmt *task_new(sc_parser *ps, sc_token kw, sc_ast_name n)
{
	sc_stmt *s = stmt_new(ps, SC_S_TASK, kw);
	s->name = n;
	sc_str raw = sc_span_text(ps->diag, n.span);
	s->star = raw.n == 1 && raw.s[0] == '*';
	return s;
}

static void let_stmt(sc_parser *ps, sc_token kw, sc_ast_name n, sc_plist *l)
{
	sc_stmt *s = stmt_new(ps, SC_S_LET, kw);
	s->name = n;
	s->items = (sc_ast_item **)sc_plist_seal(ps, l);
	s->nitems = l->n;
	sc_vec_push(&ps->stmts, s);
}

static void expect_stmt(sc_parser *ps, sc_token kw, sc_ast_name d, sc_ast_name t,
			sc_ast_name a, const sc_ast_name *r, sc_plist *attrs)
{
	sc_stmt *s = stmt_new(ps, SC_S_EXPECT, kw);
	static const char *const words[] = { "allow", "ask", "deny" };
	bool ok = false;
	for (int k = 0; k < 3; k++)
		if (sc_str_eq(d.name, sc_str_c(words[k]))) {
			s->expect = (sc_kind)k;
			ok = true;
		}
	if (!ok) {
		sc_error(ps->diag, d.span, "expected decision 'allow', 'ask' or 'deny' after 'expect'");
		return;
	}
	s->name = d;
	s->task = t;
	s->action = a;
	if (r) {
		s->resource = *r;
		s->has_resource = true;
	}
	s->nattrs = attrs->n;
	s->attrs = sc_arena_array(ps->arena, attrs->n ? attrs->n : 1, sizeof *s->attrs);
	uint32_t i = 0;
	for (sc_pnode *n = attrs->first; n; n = n->next)
		s->attrs[i++] = *(sc_ast_attr *)n->v;
	sc_vec_push(&ps->stmts, s);
}

static sc_ast_item *pattern_item(sc_parser *ps, sc_ast_name a, const sc_ast_name *r, sc_cond *c)
{
	sc_ast_item *it = sc_arena_alloc(ps->arena, sizeof *it);
	it->action = a.name;
	it->action_span = a.span;
	it->span = a.span;
	if (r) {
		it->resource = r->name;
		it->resource_span = r->span;
		it->has_resource = true;
		it->span = sc_span_join(a.span, r->span);
	}
	if (c) {
		it->cond = sc_parse_cond_finish(ps, c);
		it->span = sc_span_join(it->span, c->span);
	}
	return it;
}

static sc_ast_item *set_item(sc_parser *ps, sc_ast_name s, sc_cond *c)
{
	sc_ast_item *it = sc_arena_alloc(ps->arena, sizeof *it);
	it->is_set = true;
	it->set = s.name;
	it->span = s.span;
	if (c) {
		it->cond = sc_parse_cond_finish(ps, c);
		it->span = sc_span_join(it->span, c->span);
	}
	return it;
}

/* A condition's attribute name is never empty: neither request syntax
 * (eval lines, JSON) carries an empty name, so such a test could never
 * see its attribute, and `diff` printed witnesses (""=a) that `eval`
 * refuses as malformed (found by fuzz_diff). */
static void check_key(sc_parser *ps, sc_ast_name k)
{
	if (k.name.n == 0)
		sc_error(ps->diag, k.span, "empty attribute name (no request can carry one)");
}
static sc_cond *value_test(sc_parser *ps, sc_cond_op op, sc_ast_name k, sc_ast_name v)
{
	check_key(ps, k);
	sc_cond *c = sc_parse_cond_new(ps, op, sc_span_join(k.span, v.span));
	c->key = k.name;
	c->value = v.name;
	c->value_span = v.span;
	return c;
}

static sc_cond *number_test(sc_parser *ps, sc_cond_op op, sc_ast_name k, sc_ast_name v)
{
	sc_cond *c = value_test(ps, op, k, v);
	if (!sc_number_valid(v.name.s, v.name.n))
		sc_error(ps->diag, v.span, "expected a number (like 42, -3 or 2.5) after '%s'",
			 sc_cond_op_names[op]);
	return c;
}

static sc_cond *regex_test(sc_parser *ps, sc_ast_name k, sc_token r)
{
	check_key(ps, k);
	sc_cond *c = sc_parse_cond_new(ps, SC_C_MATCHES, sc_span_join(k.span, r.span));
	sc_str text = sc_span_text(ps->diag, r.span);
	size_t close = text.n - 1;
	while (text.s[close] != '/')
		close--;
	c->key = k.name;
	c->value.s = text.s + 1;
	c->value.n = close - 1;
	c->value_span = r.span;
	for (size_t i = close + 1; i < text.n; i++) {
		if (text.s[i] == 'i') {
			c->caseless = true;
		} else {
			sc_span at = { r.span.file, r.span.off + (uint32_t)i, 1 };
			sc_error(ps->diag, at, "unknown regex flag '%c' (only 'i' is supported)", text.s[i]);
		}
	}
	return c;
}
}

%syntax_error { sc_parse_syntax_error(ps, yymajor); (void)yyminor; }
%stack_overflow { sc_parse_stack_overflow(ps); }

%token TASK EXTENDS ALLOWS ASKS DENIES LET INCLUDE EXPECT WHEN.
%token WORD STRING SETREF AT KEYEQ REGEX.
%token ASSIGN COMMA LPAREN RPAREN LBRACKET RBRACKET.
%token EQ NE LT LE GT GE IN HAS MATCHES LIKE.

%left OR.
%left AND.
%right NOT.

%type name { sc_ast_name }
%type task_head { sc_stmt * }
%type clause { sc_ast_clause * }
%type clauses { sc_plist }
%type items { sc_plist }
%type item { sc_ast_item * }
%type names { sc_plist }
%type cond { sc_cond * }
%type test { sc_cond * }
%type values { sc_plist }
%type attrs { sc_plist }
%type setname { sc_ast_name }
%type kind { sc_token }

file ::= stmts.
stmts ::= .
stmts ::= stmts stmt.

stmt ::= task_head(H) clauses(C). {
	H->clauses = (sc_ast_clause **)sc_plist_seal(ps, &C);
	H->nclauses = C.n;
	sc_vec_push(&ps->stmts, H);
}
stmt ::= LET(K) name(N) ASSIGN items(L). { let_stmt(ps, K, N, &L); }
stmt ::= LET(K) KEYEQ(N) items(L). { let_stmt(ps, K, keyeq_name(ps, N), &L); }
stmt ::= INCLUDE(K) STRING(P). {
	sc_stmt *s = stmt_new(ps, SC_S_INCLUDE, K);
	s->name.name = sc_parse_string(ps, P);
	s->name.span = P.span;
	sc_vec_push(&ps->stmts, s);
}
stmt ::= EXPECT(K) name(D) name(T) name(A) attrs(V). { expect_stmt(ps, K, D, T, A, NULL, &V); }
stmt ::= EXPECT(K) name(D) name(T) name(A) name(R) attrs(V). { expect_stmt(ps, K, D, T, A, &R, &V); }

task_head(H) ::= TASK(K) name(N). { H = task_new(ps, K, N); }
task_head(H) ::= TASK(K) name(N) EXTENDS names(L). {
	H = task_new(ps, K, N);
	H->extends = (sc_ast_name *)seal_names(ps, &L);
	H->nextends = L.n;
}

names(L) ::= name(N). { memset(&L, 0, sizeof L); sc_plist_add(ps, &L, name_box(ps, N)); }
names(L) ::= names(L0) COMMA name(N). { L = L0; sc_plist_add(ps, &L, name_box(ps, N)); }

clauses(L) ::= . { memset(&L, 0, sizeof L); }
clauses(L) ::= clauses(L0) clause(C). { L = L0; sc_plist_add(ps, &L, C); }

clause(C) ::= kind(K) items(L). {
	C = sc_arena_alloc(ps->arena, sizeof *C);
	C->kind = K.type == TK_ALLOWS ? SC_ALLOW : K.type == TK_ASKS ? SC_ASK : SC_DENY;
	C->span = K.span;
	C->items = (sc_ast_item **)sc_plist_seal(ps, &L);
	C->nitems = L.n;
}
kind(K) ::= ALLOWS(T). { K = T; }
kind(K) ::= ASKS(T). { K = T; }
kind(K) ::= DENIES(T). { K = T; }

items(L) ::= item(I). { memset(&L, 0, sizeof L); sc_plist_add(ps, &L, I); }
items(L) ::= items(L0) COMMA item(I). { L = L0; sc_plist_add(ps, &L, I); }

item(I) ::= name(A). { I = pattern_item(ps, A, NULL, NULL); }
item(I) ::= name(A) name(R). { I = pattern_item(ps, A, &R, NULL); }
item(I) ::= name(A) WHEN cond(C). { I = pattern_item(ps, A, NULL, C); }
item(I) ::= name(A) name(R) WHEN cond(C). { I = pattern_item(ps, A, &R, C); }
item(I) ::= setname(S). { I = set_item(ps, S, NULL); }
item(I) ::= setname(S) WHEN cond(C). { I = set_item(ps, S, C); }

setname(S) ::= SETREF(T). {
	S.name.s = ps_text(ps, T.span) + 1;
	S.name.n = T.span.len - 1;
	S.span = T.span;
}
setname(S) ::= AT(T) STRING(Q). {
	S.name = sc_parse_string(ps, Q);
	S.span = sc_span_join(T.span, Q.span);
}

name(N) ::= WORD(T). { N.name.s = ps_text(ps, T.span); N.name.n = T.span.len; N.span = T.span; }
name(N) ::= STRING(T). { N.name = sc_parse_string(ps, T); N.span = T.span; }

attrs(L) ::= . { memset(&L, 0, sizeof L); }
attrs(L) ::= attrs(L0) KEYEQ(K) name(V). {
	L = L0;
	sc_ast_attr *a = sc_arena_alloc(ps->arena, sizeof *a);
	a->key = keyeq_name(ps, K).name;
	a->value = V.name;
	a->span = sc_span_join(K.span, V.span);
	sc_plist_add(ps, &L, a);
}

cond(C) ::= cond(L) OR cond(R). { C = sc_parse_cond_join(ps, SC_C_OR, L, R); }
cond(C) ::= cond(L) AND cond(R). { C = sc_parse_cond_join(ps, SC_C_AND, L, R); }
cond(C) ::= NOT(K) cond(A). {
	C = sc_parse_cond_new(ps, SC_C_NOT, sc_span_join(K.span, A->span));
	C->kids = sc_arena_alloc(ps->arena, sizeof *C->kids);
	C->kids[0] = A;
	C->nkids = 1;
}
cond(C) ::= LPAREN(L) cond(A) RPAREN(R). { C = A; C->span = sc_span_join(L.span, R.span); }
cond(C) ::= test(T). { C = T; }

test(C) ::= name(K) EQ name(V). { C = value_test(ps, SC_C_EQ, K, V); }
test(C) ::= name(K) NE name(V). { C = value_test(ps, SC_C_NE, K, V); }
test(C) ::= name(K) LT name(V). { C = number_test(ps, SC_C_LT, K, V); }
test(C) ::= name(K) LE name(V). { C = number_test(ps, SC_C_LE, K, V); }
test(C) ::= name(K) GT name(V). { C = number_test(ps, SC_C_GT, K, V); }
test(C) ::= name(K) GE name(V). { C = number_test(ps, SC_C_GE, K, V); }
test(C) ::= name(K) LIKE name(V). { C = value_test(ps, SC_C_LIKE, K, V); }
test(C) ::= name(K) IN LBRACKET values(L) RBRACKET(E). {
	check_key(ps, K);
	C = sc_parse_cond_new(ps, SC_C_IN, sc_span_join(K.span, E.span));
	C->key = K.name;
	C->nvalues = L.n;
	C->values = sc_arena_array(ps->arena, L.n ? L.n : 1, sizeof *C->values);
	uint32_t i = 0;
	for (sc_pnode *n = L.first; n; n = n->next)
		C->values[i++] = ((sc_ast_name *)n->v)->name;
}
test(C) ::= name(K) MATCHES REGEX(R). { C = regex_test(ps, K, R); }
test(C) ::= HAS(H) name(K). {
	check_key(ps, K);
	C = sc_parse_cond_new(ps, SC_C_HAS, sc_span_join(H.span, K.span));
	C->key = K.name;
}

values(L) ::= name(V). { memset(&L, 0, sizeof L); sc_plist_add(ps, &L, name_box(ps, V)); }
values(L) ::= values(L0) COMMA name(V). { L = L0; sc_plist_add(ps, &L, name_box(ps, V)); }

%code {
/* What the parser can take next, for error messages (parse.c).  Lemon has
 * no API for it, so this walks its tables the way yy_find_shift_action and
 * yy_reduce do, on a copy of the top of the stack: LALR tables may reduce on
 * a token they then reject, but they never shift one, so "shifts after the
 * reductions it triggers" is exactly "acceptable here". */
_Static_assert(YYNTOKEN <= 64, "token numbers fit a 64-bit mask");

int scParseAccepts(void *parser, int major)
{
	yyParser *pp = parser;
	YYACTIONTYPE pushed[64]; /* states pushed by reductions, above depth */
	int npushed = 0;
	int depth = (int)(pp->yytos - pp->yystack);
	YYACTIONTYPE state = pp->yytos->stateno;
	for (int steps = 0; steps < 10000; steps++) {
		YYACTIONTYPE act = yy_find_shift_action((YYCODETYPE)major, state);
		if (act <= YY_MAX_SHIFTREDUCE || act == YY_ACCEPT_ACTION)
			return 1;
		if (act < YY_MIN_REDUCE)
			return 0; /* the error action */
		unsigned rule = act - YY_MIN_REDUCE;
		int pop = -yyRuleInfoNRhs[rule];
		while (pop && npushed) {
			npushed--;
			pop--;
		}
		depth -= pop;
		if (depth < 0 || npushed == 64)
			return 1; /* cannot happen on a valid stack: do not claim an error */
		YYACTIONTYPE below = npushed ? pushed[npushed - 1] : pp->yystack[depth].stateno;
		state = yy_find_reduce_action(below, yyRuleInfoLhs[rule]);
		pushed[npushed++] = state;
	}
	return 1;
}

unsigned long long scParseExpected(void *parser)
{
	unsigned long long mask = 0;
	for (int t = 0; t < YYNTOKEN; t++)
		if (scParseAccepts(parser, t))
			mask |= 1ull << t;
	return mask;
}
}
