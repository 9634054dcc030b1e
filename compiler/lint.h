/*
 * lint.h — warnings of `scopec check` over a resolved policy.
 *
 * Each lint is exact or errs on the side of silence: a warning names a
 * real problem (no false alarms in code review), and what a lint cannot
 * decide cheaply it does not report.  Exact coverage over whole pattern
 * languages needs the automata of the back end.
 */
#ifndef SC_LINT_H
#define SC_LINT_H

#include "policy.h"

void sc_lint(sc_diag *d, const sc_policy *p);

/* True when every string matched by pattern X is matched by pattern D.
 * Sound but incomplete: false means "not proven". */
bool sc_glob_covers(sc_str d, sc_str x);

#endif
