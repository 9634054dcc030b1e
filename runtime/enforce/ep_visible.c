/*
 * ep_visible.c — which tools a task may see: may any request of TASK with
 * action ACTION be decided allow or ask?  scope-mcp hides the tools of a
 * tools/list answer for which the answer is no.  Hiding is a convenience:
 * every call is still decided on its own, so the only requirement is
 * soundness — never hide a tool some call of it could be granted.
 *
 * The question is answered on the compiled image, not by deciding probe
 * requests (no finite set of probes covers every resource and attribute).
 * A decision (decide.c) walks the task name, then, in each part of the
 * task, the action from the part's start and the resource from the state
 * the action reached; the resource's final state names an outcome: the
 * deny, ask and allow items that matched both patterns.  A decision is
 * allow or ask only if, in some part, the resource walk ends in a state
 * whose outcome lists an allow or ask item (the deciding one), and that
 * outcome lists no unconditional deny item (it would decide deny,
 * whatever the other parts say).  So we walk the task and the action
 * exactly and then search every RESOURCE state reachable from there: if
 * none has such an outcome, no resource string reaches one, and no
 * request can be granted.  Conditions are taken as "could be true" (the
 * attributes are the caller's), which only errs towards showing a tool.
 *
 * Cost: linear in the states of the task's parts (a bitmap over each
 * part's region); it runs when a tools/list answer passes, never on the
 * decision path.
 */
#include "ep.h"
#include "image.h"

#include <stdlib.h>

/* Could the outcome PL (a RESOURCE payload) grant anything? */
static bool outcome_may_grant(const scope_policy *p, uint32_t pl)
{
	const uint32_t *items = SC_ITEMS(p);
	if (pl == 0)
		return false;
	if (pl & SCOPE_BC_ONE_ITEM)
		return (items[pl & ~SCOPE_BC_ONE_ITEM] >> 30) != SCOPE_DENY;
	const uint32_t *r = SC_OUTCOMES(p) + pl, *ids = r + 3;
	for (uint32_t k = 0; k < r[0]; k++)
		if ((items[ids[k]] & SCOPE_BC_NO_COND) == SCOPE_BC_NO_COND)
			return false; /* an unconditional deny decides every request here */
	return r[1] + r[2] > 0;
}

typedef struct search {
	const scope_policy *p;
	uint32_t lo, hi;         /* the part's region of STATES */
	uint8_t *seen;           /* one bit per word of the region */
	uint32_t *stack;
	size_t sp;
} search;

static void push(search *q, uint32_t ref)
{
	uint32_t off = SCOPE_REF_OFF(ref);
	if (ref == 0 || off < q->lo || off >= q->hi) /* the dead state (verified: nothing else) */
		return;
	uint32_t i = off - q->lo;
	if (q->seen[i / 8] & (1u << (i % 8)))
		return;
	q->seen[i / 8] |= (uint8_t)(1u << (i % 8));
	q->stack[q->sp++] = ref; /* at most one push per record start: fits */
}

/* Pushes the successors of record R; returns whether one of its payloads
 * may grant. */
static bool expand(search *q, const uint32_t *r, uint32_t nclasses)
{
	uint32_t n = SCOPE_ST_N(r[0]);
	switch (SCOPE_ST_TYPE(r[0])) {
	case SCOPE_ST_SINK:
		break;
	case SCOPE_ST_DENSE:
		for (uint32_t c = 0; c < nclasses; c++)
			push(q, r[2 + c]);
		break;
	case SCOPE_ST_SPARSE: {
		const uint32_t *next = r + 3 + (n + 3) / 4;
		push(q, r[2]);
		for (uint32_t k = 0; k < n; k++)
			push(q, next[k]);
		break;
	}
	default: { /* LITERAL: fail, next, and the states inside the chain */
		scope_bc_literal l = scope_bc_literal_at(r, (uint32_t)(r - SC_STATES(q->p)));
		push(q, l.fail);
		push(q, l.next);
		return outcome_may_grant(q->p, l.inside) || outcome_may_grant(q->p, l.payload);
	}
	}
	return outcome_may_grant(q->p, r[1]);
}

/* Searches the RESOURCE states of part A reachable from START. */
static int part_may_grant(const scope_policy *p, const uint32_t *a, uint32_t start, bool *out)
{
	search q = { p, a[3], a[4], NULL, NULL, 0 };
	size_t words = (size_t)(q.hi - q.lo);
	q.seen = calloc(words / 8 + 1, 1);
	q.stack = malloc(words * sizeof *q.stack);
	if (!q.seen || !q.stack) {
		free(q.seen);
		free(q.stack);
		return -SCOPE_ENOMEM;
	}
	uint32_t nclasses = SC_CMAPS(p)[(size_t)a[1] * SCOPE_BC_CMAP_WORDS];
	push(&q, start);
	*out = false;
	while (q.sp && !*out)
		*out = expand(&q, SC_STATES(p) + SCOPE_REF_OFF(q.stack[--q.sp]), nclasses);
	free(q.seen);
	free(q.stack);
	return 0;
}

int ep_may_grant(const scope_policy *p, const char *task, size_t task_len, const char *action,
		 size_t action_len, bool *out)
{
	if (!p || !out || (!task && task_len) || (!action && action_len))
		return -SCOPE_EINVAL;
	*out = false;
	uint32_t nparts;
	const uint32_t *parts = scope_task_find(p, task, task_len, &nparts);
	if (!parts)
		return 0; /* undeclared task: everything is denied */
	for (uint32_t i = 0; i < nparts && !*out; i++) {
		const uint32_t *a = parts + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		if (a[0] == SCOPE_BC_A_NFA) { /* any resource may match: sound */
			*out = scope_image_nfa_may_grant(p, a, action, action_len);
			continue;
		}
		uint32_t r = scope_image_walk(p, a, a[2], action, action_len);
		if (r == 0)
			continue;
		int rc = part_may_grant(p, a, r, out);
		if (rc < 0)
			return rc;
	}
	return 0;
}
