/*
 * ast.h — the syntax tree built by grammar/scope.y, one file at a time.
 *
 * Nodes live in the compiler arena and carry byte spans (diag.h).  Strings
 * are already unquoted and unescaped; their span still covers the quotes.
 * Conditions (sc_cond) are shared with the resolved policy (policy.h): the
 * resolver only attaches compiled regexes to them.
 */
#ifndef SC_AST_H
#define SC_AST_H

#include "diag.h"

#include <stdbool.h>
#include <stdint.h>

/* Clause kinds, ordered by restrictiveness: a larger value wins. */
typedef enum { SC_ALLOW = 0, SC_ASK = 1, SC_DENY = 2 } sc_kind;

/* Condition operators, defined once.  X(enum suffix, spelling) */
#define SC_COND_OPS(X) \
	X(AND, "and")        \
	X(OR, "or")          \
	X(NOT, "not")        \
	X(EQ, "==")          \
	X(NE, "!=")          \
	X(LT, "<")           \
	X(LE, "<=")          \
	X(GT, ">")           \
	X(GE, ">=")          \
	X(IN, "in")          \
	X(LIKE, "like")      \
	X(MATCHES, "matches") \
	X(HAS, "has")

typedef enum {
#define SC_X(e, s) SC_C_##e,
	SC_COND_OPS(SC_X)
#undef SC_X
	SC_C_COUNT
} sc_cond_op;

extern const char *const sc_cond_op_names[SC_C_COUNT];

typedef struct sc_cond sc_cond;
struct sc_cond {
	sc_cond_op op;
	sc_span span;         /* the whole test or subexpression */
	sc_str key;           /* attribute name (tests only) */
	sc_str value;         /* EQ/NE value, LT..GE number text, LIKE pattern,
	                         MATCHES regex source (between the slashes) */
	sc_span value_span;
	bool caseless;        /* MATCHES with the i flag */
	sc_str *values;       /* IN list */
	uint32_t nvalues;
	sc_cond **kids;       /* AND/OR: n >= 2 operands (flattened); NOT: 1 */
	uint32_t nkids;
	void *regex;          /* MATCHES: pcre2_code *, set by the resolver */
	void *open;           /* AND/OR operand list while parsing (parse.c) */
	uint32_t depth;       /* height of this subtree (resolver), <= SC_MAX_COND_DEPTH */
};

/* One item as written: a pattern pair or a set reference. */
typedef struct sc_ast_item {
	sc_span span;
	bool is_set;          /* @SET */
	sc_str set;           /* set name when is_set */
	sc_str action;        /* pattern */
	sc_str resource;      /* pattern, when has_resource */
	bool has_resource;
	sc_span action_span, resource_span;
	sc_cond *cond;        /* NULL = no when */
} sc_ast_item;

typedef struct sc_ast_clause {
	sc_kind kind;
	sc_span span;         /* the keyword */
	sc_ast_item **items;
	uint32_t nitems;
} sc_ast_clause;

typedef struct sc_ast_name {
	sc_str name;
	sc_span span;
} sc_ast_name;

typedef struct sc_ast_attr {
	sc_str key, value;
	sc_span span;
} sc_ast_attr;

typedef enum { SC_S_TASK, SC_S_LET, SC_S_INCLUDE, SC_S_EXPECT } sc_stmt_kind;

typedef struct sc_stmt {
	sc_stmt_kind kind;
	sc_span span;         /* the leading keyword */
	sc_ast_name name;     /* task name, set name, include path */
	bool star;            /* task * */
	sc_ast_name *extends; /* task ... extends A, B */
	uint32_t nextends;
	sc_ast_clause **clauses;  /* task */
	uint32_t nclauses;
	sc_ast_item **items;  /* let */
	uint32_t nitems;
	/* expect DECISION TASK ACTION [RESOURCE] [K=V...] */
	sc_kind expect;
	sc_ast_name task, action, resource;
	bool has_resource;
	sc_ast_attr *attrs;
	uint32_t nattrs;
} sc_stmt;

/* One parsed file: its statements in source order. */
typedef struct sc_ast_file {
	uint32_t file;
	sc_stmt **stmts;
	uint32_t nstmts;
	bool had_errors;
	/* Names of task/let statements dropped after a syntax error: the
	 * resolver does not call references to them unknown (no cascades). */
	sc_str *broken;
	uint32_t nbroken;
} sc_ast_file;

#endif
