/*
 * diff.h — `scopec diff OLD NEW`: what a change lets an agent do.
 *
 * Exact over tasks, actions and resources: for every task of either policy
 * the two item sets are compiled to DFAs over "ACTION SEP RESOURCE" whose
 * states are labelled with the items that match there, and the product of
 * the two automata is walked breadth-first, so every reachable pair of
 * labels is visited once, with a shortest example request.  Where the
 * labels differ the decisions are compared over attributes exactly too:
 * the tests on each attribute cut its values into cells (attrset.h: the
 * product of the automata of ==, !=, in, like, regular `matches` and
 * numeric bounds), one witness per cell plus "absent" stands for every
 * value, and every combination of cells is decided.  Undetermined remains
 * only where that is not exact — a regex feature that is not regular
 * (named in the report) or too many cells or combinations — and is never
 * reported as "equivalent".  Every example is re-checked against both
 * whole policies before it is printed, by the runtime on the compiled
 * policies (or the reference evaluator if one does not compile).
 */
#ifndef SC_DIFF_H
#define SC_DIFF_H

#include "policy.h"

#include <stdio.h>

typedef struct sc_diff_opts {
	bool json;
	uint32_t max_states;   /* per-task DFA budget; 0 = default */
} sc_diff_opts;

/* Returns 0 equivalent, 1 different (or undetermined), -1 if a task is too
 * large to compare exactly (reported to D; never "equivalent"). */
int sc_diff(sc_diag *d, const sc_policy *old, const sc_policy *new, const sc_diff_opts *o, FILE *out);

#endif
