/*
 * explain.h — decisions and requests as text, shared by `eval --explain`,
 * `test` failures and the JSON output.
 */
#ifndef SC_EXPLAIN_H
#define SC_EXPLAIN_H

#include "refeval.h"

/* Why RES was decided, in one line:
 *   "FILE:LINE:COL: denies post forum.**"            an item decided
 *   "... (via @SET at FILE:LINE:COL)"                 it came from a set
 *   "... (condition unknown: missing attribute)"      most restrictive reading
 *   "no item allows this (default deny)"
 *   "undeclared task 'x'"                                                  */
void sc_explain(sc_diag *d, const sc_result *res, const sc_request *rq, char *buf, size_t bufsz);

/* The deciding item as written, whitespace collapsed ("denies post"). */
void sc_item_text(sc_diag *d, const sc_item *it, char *buf, size_t bufsz);

/* The request in `eval` input syntax, quoting tokens where needed. */
void sc_request_format(const sc_request *rq, char *buf, size_t bufsz);

#endif
