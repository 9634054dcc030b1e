/*
 * lint_util.h — what the lint files share: the context of one lint run,
 * witnesses (requests decided by the reference evaluator) and notes.
 */
#ifndef SC_LINT_UTIL_H
#define SC_LINT_UTIL_H

#include "policy.h"
#include "refeval.h"

typedef struct sc_lint_ctx {
	sc_diag *d;
	const sc_policy *p;
	const sc_task **task_of;  /* per item: the first task (by name) that has it */
	unsigned char *dup;       /* per item: an earlier item has the same ast
	                             (a set expanded again): report once */
	sc_ref_ctx *ref;
	uint64_t budget;          /* item visits left for witness decisions */
} sc_lint_ctx;

void sc_lint_ctx_init(sc_lint_ctx *lc, sc_diag *d, const sc_policy *p);
void sc_lint_ctx_fini(sc_lint_ctx *lc);

/* A string PAT matches: each run of stars and each ? becomes 'a'.  Into
 * OUT (NUL-terminated); returns its length, or SIZE_MAX if it does not fit. */
size_t sc_lint_fill(sc_str pat, char *out, size_t cap);
/* Was the token at SP written as a "quoted string"? */
bool sc_lint_quoted(sc_diag *d, sc_span sp);
/* Decides TASK, ACTION (a pattern: wildcards filled), RESOURCE (a string)
 * and ATTRS, into *RES and, in the eval syntax, into BUF.  False when the
 * work budget is spent (the caller then stays silent). */
bool sc_lint_witness(sc_lint_ctx *lc, const sc_task *task, sc_str action, sc_str resource,
		     const sc_attr *attrs, size_t nattrs, char *buf, size_t cap, sc_result *res);
/* "allowed", "asked for" or "denied". */
const char *sc_lint_decided(sc_kind k);
/* A note at the item that decided RES, if an item did. */
void sc_lint_note_decider(sc_lint_ctx *lc, const sc_result *res);
/* A note at the @SET reference an item was expanded through, if any. */
void sc_lint_note_via(sc_lint_ctx *lc, const sc_item *it);
/* A fix-it replacing the token at SP by TEXT, quoted when the token was or
 * when TEXT is not a bare word. */
void sc_lint_fixit_str(sc_diag *d, sc_span sp, sc_str text);

/* The lints of lint_traps.c and lint_cond.c. */
void sc_lint_traps(sc_lint_ctx *lc);
void sc_lint_conditions(sc_lint_ctx *lc);

#endif
