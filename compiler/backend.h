/*
 * backend.h — the compiler back end: a resolved policy (policy.h) lowered to
 * a bytecode image (runtime/bytecode.h) that the runtime (scope.h) verifies
 * and evaluates.
 *
 * Per task (tasks with the same item list share one program):
 *   - one DFA over "ACTION SEP RESOURCE" for all its items (dfa.h), so the
 *     action walk ends in a state that selects a resource DFA already
 *     specialised to the items whose action matched;
 *   - its accepting states carry outcomes: per kind, the matching items that
 *     can still decide, cut after the first unconditional one;
 *   - when that DFA would exceed its state budget (patterns such as
 *     `**.a.**.b` blow up), the items are split in halves until every part
 *     fits; the runtime merges the parts' outcomes.
 * Conditions become condition code; `in` and `like` become small value
 * DFAs; regexes go to the constant pool and are compiled at load.
 */
#ifndef SC_BACKEND_H
#define SC_BACKEND_H

#include "policy.h"
#include "refeval.h"
#include "scope.h"

typedef struct sc_backend_opts {
	bool strip;             /* omit the debug sections (FILE:LINE:COL) */
	uint32_t max_states;    /* state budget of one DFA; 0 = default */
} sc_backend_opts;

typedef struct sc_backend_stats {
	uint32_t ntasks, ngroups, nparts, max_parts, nvalue_automata;
	uint32_t nnfa;          /* NFA parts (of nparts) */
	uint64_t raw_states;    /* subset-construction states, summed */
	uint64_t states;        /* after minimization, summed */
	uint64_t records;       /* state records written */
	size_t image_bytes;
} sc_backend_stats;

#define SC_BACKEND_DEFAULT_MAX_STATES (1u << 20)

/* The DFA atoms of item IT: ACTION SEP RESOURCE (no resource pattern =
 * `**`).  OUT has room for action.n + resource.n + 2 atoms.  Shared by the
 * back end and `diff`, which must see items exactly alike. */
uint32_t sc_backend_item_atoms(const sc_item *it, uint16_t *out);

/* Compiles P into *IMAGE (malloc'd, *LEN bytes; the caller frees it).
 * Returns 0, or -1 after reporting errors to D.  STATS may be NULL. */
int sc_backend_compile(sc_diag *d, const sc_policy *p, const sc_backend_opts *o,
		       unsigned char **image, size_t *len, sc_backend_stats *stats);

/* Compiles P in memory and loads it (what `scopec eval` runs on a source
 * policy).  NULL after reporting errors to D. */
scope_policy *sc_backend_load(sc_diag *d, const sc_policy *p);

/* Decides RQ (the compiler's request) with the runtime's scope_decide. */
int sc_backend_decide_request(const scope_policy *cp, scope_scratch *s, const sc_request *rq,
			      scope_result *res);

/* scope_explain_request for the compiler's request. */
int sc_backend_explain_request(const scope_policy *cp, scope_scratch *s, const sc_request *rq,
			       const scope_result *res, char *buf, size_t *len);

/* Decides RQ on the compiled CP of P, with the result in the reference
 * evaluator's terms (so both paths print and test alike). */
void sc_backend_decide(const scope_policy *cp, scope_scratch *s, const sc_policy *p,
		       const sc_request *rq, sc_result *out);

#endif
