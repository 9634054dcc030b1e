/*
 * policy.h — the resolved policy: what the resolver hands to the reference
 * evaluator (refeval.h) and to the compiler back end.
 *
 * Includes are merged, sets expanded, `extends` and `task *` flattened, so
 * that each task simply owns the list of every item that applies to it.
 * Nothing here refers back to sets or inheritance; item spans still point at
 * the source so that decisions can be explained.
 */
#ifndef SC_POLICY_H
#define SC_POLICY_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

typedef struct sc_item {
	sc_kind kind;
	sc_str action;          /* glob pattern (SPEC §2 "Patterns") */
	sc_str resource;        /* glob pattern; meaningful when has_resource */
	bool has_resource;      /* false: any resource, including "" */
	const sc_cond *cond;    /* NULL: always true.  Conditions of @SET
	                           references are ANDed in by the resolver. */
	sc_span span;           /* the item as written (inside its task or let) */
	sc_span via;            /* the outermost @SET reference, or file 0 */
	uint32_t index;         /* position in sc_policy.items = source order */
	const sc_ast_item *ast; /* the item as parsed (pattern spans, for lints) */
} sc_item;

typedef struct sc_task {
	sc_str name;
	sc_span span;           /* the name in its declaration */
	const sc_item **items;  /* own + inherited + task *, by ascending index,
	                           each item once */
	uint32_t nitems;
	bool bare;              /* declared with no clauses and no extends */
} sc_task;

typedef struct sc_expect {
	sc_span span;
	sc_kind decision;
	sc_str task, action, resource;  /* resource "" when omitted */
	sc_ast_attr *attrs;
	uint32_t nattrs;
	sc_span task_span;      /* the task name as written */
} sc_expect;

/* A `let` set, kept for lints (the items themselves are expanded). */
typedef struct sc_setinfo {
	sc_str name;
	sc_span span;           /* the name in the let */
	bool used;              /* reachable from some task's clauses */
} sc_setinfo;

typedef struct sc_policy {
	sc_arena *arena;        /* owns everything below (not the sc_diag) */
	sc_task *tasks;         /* sorted by name (sc_str_cmp) for bsearch */
	uint32_t ntasks;
	sc_item *items;         /* every expanded item, in source order */
	uint32_t nitems;
	sc_expect *expects;     /* every expect, in source order */
	uint32_t nexpects;
	sc_cond **regex_conds;  /* every MATCHES node, to free their pcre2_code */
	uint32_t nregex;
	sc_setinfo *sets;       /* every let, in source order */
	uint32_t nsets;
	uint32_t root_file;     /* file index of the root source */
} sc_policy;

const sc_task *sc_policy_find_task(const sc_policy *p, sc_str name);
void sc_policy_free(sc_policy *p);     /* accepts NULL */

extern const char *const sc_kind_names[3];       /* "allow", "ask", "deny" */
extern const char *const sc_clause_names[3];     /* "allows", "asks", "denies" */

#endif
