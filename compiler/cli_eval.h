/*
 * cli_eval.h — `scopec eval`: the one request loop and the one result
 * printer, whichever evaluator decides:
 *
 *   a source policy compiled in memory    P and CP   (what services run)
 *   the reference evaluator (--reference) P only     (the oracle)
 *   a bytecode image                      CP only
 *
 * Every evaluator's result becomes one sc_answer, printed as text, with
 * --explain, or as JSON Lines.  The source path explains from the resolved
 * policy (it knows "via @SET" and why a regex was unknown); an image
 * explains with the runtime's scope_explain_request (no set, and only the
 * item number when stripped) and adds "item_index" to its JSON.
 */
#ifndef SC_CLI_EVAL_H
#define SC_CLI_EVAL_H

#include "policy.h"
#include "scope.h"

#include <stdio.h>

typedef struct sc_evalopts {
	bool explain, json, reference;
} sc_evalopts;

/* Answers every request read from the descriptor FD on stdout (see
 * request.h for the syntax and how the input is read).  D is the
 * diagnostics holding P's sources (NULL for an image).  Returns 1 if any
 * line was malformed or the input could not be read, else 0. */
int sc_eval_requests(sc_diag *d, const sc_policy *p, const scope_policy *cp, const sc_evalopts *o, int fd);

#endif
