/*
 * parse.h — turns one source file into an sc_ast_file.
 *
 * The driver (parse.c) feeds re2c tokens to the lemon parser
 * (grammar/scope.y).  After a syntax error it reports, drops the statement
 * being parsed and restarts at the next statement keyword, so that one run
 * reports every independent syntax error.
 */
#ifndef SC_PARSE_H
#define SC_PARSE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "lex.h"

/* Deepest condition nesting accepted (parentheses and `not`).  The lemon
 * stack is sized so that this is reached before the stack overflows, and
 * everything that walks conditions may recurse this deep. */
#define SC_MAX_COND_DEPTH 200

/* Parser state shared with the grammar actions (%extra_context). */
typedef struct sc_parser {
	sc_arena *arena;
	sc_diag *diag;
	uint32_t file;
	sc_vec stmts;            /* completed statements */
	bool failed;             /* a syntax error in the current statement */
	sc_token prev;           /* token before the current one (for hints) */
	sc_token cur;            /* token being fed */
	sc_token stmt_kw;        /* first token of the current statement */
	sc_token stmt_name;      /* its second token (type 0 if none yet) */
	sc_vec broken;           /* sc_str * of dropped task/let names */
	sc_span open[64];        /* unclosed ( and [ of the statement, for errors */
	uint32_t nopen;
	uint32_t stmt_ntok;      /* tokens of the statement after its keyword */
	unsigned long long expected; /* tokens the parser could take instead
	                                (bit TK_x; bit 0: end of file), 0 if unknown */
} sc_parser;

/* Linked lists used only while parsing; sealed into arrays. */
typedef struct sc_plist {
	void *first, *last;      /* nodes are sc_pnode */
	uint32_t n;
} sc_plist;

typedef struct sc_pnode {
	struct sc_pnode *next;
	void *v;
} sc_pnode;

/* Parses file FILE of DIAG.  Never returns NULL; had_errors is set if any
 * diagnostic was reported for this file. */
sc_ast_file *sc_parse_file(sc_arena *a, sc_diag *d, uint32_t file);

/* Helpers called from grammar actions. */
sc_str sc_parse_string(sc_parser *ps, sc_token tok);
void sc_plist_add(sc_parser *ps, sc_plist *l, void *v);
void **sc_plist_seal(sc_parser *ps, const sc_plist *l);
sc_cond *sc_parse_cond_new(sc_parser *ps, sc_cond_op op, sc_span span);
sc_cond *sc_parse_cond_join(sc_parser *ps, sc_cond_op op, sc_cond *l, sc_cond *r);
sc_cond *sc_parse_cond_finish(sc_parser *ps, sc_cond *c);
void sc_parse_syntax_error(sc_parser *ps, int major);
void sc_parse_stack_overflow(sc_parser *ps);
sc_span sc_span_join(sc_span a, sc_span b);

#endif
