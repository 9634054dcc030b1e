/*
 * refeval.h — the reference evaluator: SPEC §2 decisions computed directly
 * over the resolved policy, item by item.  It is deliberately simple and
 * slow (linear in the number of items); it is the oracle that the compiled
 * evaluator is differentially tested against, and `scopec eval --reference`
 * exposes it.
 */
#ifndef SC_REFEVAL_H
#define SC_REFEVAL_H

#include "policy.h"

typedef struct sc_attr {
	sc_str key, value;
} sc_attr;

/* Attributes per request (eval line, JSON, expect), at most: keys must be
 * distinct, and checking that must not be quadratic in hostile input. */
#define SC_MAX_ATTRS 1024

typedef struct sc_request {
	sc_str task, action, resource;
	const sc_attr *attrs;   /* keys are distinct (the request parser checks) */
	size_t nattrs;
} sc_request;

/* Three-valued (Kleene) truth of a condition. */
typedef enum { SC_FALSE = 0, SC_TRUE = 1, SC_UNKNOWN = 2 } sc_truth;

/* Why a decision was taken. */
typedef enum {
	SC_WHY_ITEM,          /* item decided (see sc_result.item) */
	SC_WHY_DEFAULT,       /* no item allows this (default deny) */
	SC_WHY_NO_TASK,       /* undeclared task */
} sc_why;

typedef struct sc_result {
	sc_kind decision;
	sc_why why;
	const sc_item *item;  /* the deciding item: lowest index among the
	                         matching items of the deciding kind */
	bool unknown;         /* the deciding item's condition was unknown */
} sc_result;

/* Evaluation scratch (PCRE2 match data and match context). */
typedef struct sc_ref_ctx sc_ref_ctx;
sc_ref_ctx *sc_ref_new(void);
void sc_ref_free(sc_ref_ctx *c);          /* accepts NULL */

/* PCRE2 match limit for `matches` (hitting it makes the test unknown). */
#define SC_REGEX_MATCH_LIMIT 100000u
#define SC_REGEX_DEPTH_LIMIT 10000u

sc_truth sc_ref_cond(sc_ref_ctx *c, const sc_cond *cond, const sc_request *rq);
bool sc_ref_item_matches_patterns(const sc_item *it, const sc_request *rq);
void sc_ref_decide(sc_ref_ctx *c, const sc_policy *p, const sc_request *rq, sc_result *out);
/* The decision among ITEMS (ascending index), all of whose patterns match
 * RQ: conditions, then deny > ask > allow > default deny.  sc_ref_decide is
 * pattern matching followed by this; `diff` calls it on automaton labels. */
void sc_ref_combine(sc_ref_ctx *c, const sc_item *const *items, uint32_t n, const sc_request *rq,
		    sc_result *out);

#endif
