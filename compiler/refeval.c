/* refeval.c — see refeval.h.  Read this next to SPEC §2 "Conditions" and
 * "Decision": each rule there is one short function here. */
#include "refeval.h"
#include "glob.h"
#include "number.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdlib.h>

struct sc_ref_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

sc_ref_ctx *sc_ref_new(void)
{
	sc_ref_ctx *c = calloc(1, sizeof *c);
	if (!c)
		sc_fatal_oom();
	c->md = pcre2_match_data_create(1, NULL);
	c->mc = pcre2_match_context_create(NULL);
	if (!c->md || !c->mc)
		sc_fatal_oom();
	pcre2_set_match_limit(c->mc, SC_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(c->mc, SC_REGEX_DEPTH_LIMIT);
	return c;
}

void sc_ref_free(sc_ref_ctx *c)
{
	if (!c)
		return;
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mc);
	free(c);
}

static const sc_attr *find_attr(const sc_request *rq, sc_str key)
{
	for (size_t i = 0; i < rq->nattrs; i++)
		if (sc_str_eq(rq->attrs[i].key, key))
			return &rq->attrs[i];
	return NULL;
}

static sc_truth truth(bool b)
{
	return b ? SC_TRUE : SC_FALSE;
}

/* A regex that cannot decide (match limit, depth limit, any error) is
 * unknown, never "no match": that would let a deny be skipped. */
static sc_truth regex_test(sc_ref_ctx *c, const sc_cond *cond, sc_str v)
{
	int rc = pcre2_match(cond->regex, (PCRE2_SPTR)v.s, v.n, 0, 0, c->md, c->mc);
	if (rc >= 0)
		return SC_TRUE;
	return rc == PCRE2_ERROR_NOMATCH ? SC_FALSE : SC_UNKNOWN;
}

static sc_truth number_test(sc_cond_op op, sc_str v, sc_str lit)
{
	int c = sc_number_cmp(v.s, v.n, lit.s, lit.n);
	if (c == 2)
		return SC_UNKNOWN;
	switch (op) {
	case SC_C_LT: return truth(c < 0);
	case SC_C_LE: return truth(c <= 0);
	case SC_C_GT: return truth(c > 0);
	default: return truth(c >= 0);
	}
}

static sc_truth attr_test(sc_ref_ctx *c, const sc_cond *cond, const sc_attr *a)
{
	if (cond->op == SC_C_HAS)
		return truth(a != NULL);
	if (!a)
		return SC_UNKNOWN; /* missing context is unknown, never false */
	switch (cond->op) {
	case SC_C_EQ: return truth(sc_str_eq(a->value, cond->value));
	case SC_C_NE: return truth(!sc_str_eq(a->value, cond->value));
	case SC_C_LT: case SC_C_LE: case SC_C_GT: case SC_C_GE:
		return number_test(cond->op, a->value, cond->value);
	case SC_C_IN:
		for (uint32_t i = 0; i < cond->nvalues; i++)
			if (sc_str_eq(a->value, cond->values[i]))
				return SC_TRUE;
		return SC_FALSE;
	case SC_C_LIKE:
		return truth(sc_glob_match(cond->value.s, cond->value.n, a->value.s, a->value.n));
	case SC_C_MATCHES:
		return regex_test(c, cond, a->value);
	default:
		return SC_UNKNOWN;
	}
}

/* Kleene logic.  Recursion depth is bounded by SC_MAX_COND_DEPTH. */
sc_truth sc_ref_cond(sc_ref_ctx *c, const sc_cond *cond, const sc_request *rq)
{
	switch (cond->op) {
	case SC_C_AND: {
		sc_truth t = SC_TRUE;
		for (uint32_t i = 0; i < cond->nkids; i++) {
			sc_truth k = sc_ref_cond(c, cond->kids[i], rq);
			if (k == SC_FALSE)
				return SC_FALSE;
			if (k == SC_UNKNOWN)
				t = SC_UNKNOWN;
		}
		return t;
	}
	case SC_C_OR: {
		sc_truth t = SC_FALSE;
		for (uint32_t i = 0; i < cond->nkids; i++) {
			sc_truth k = sc_ref_cond(c, cond->kids[i], rq);
			if (k == SC_TRUE)
				return SC_TRUE;
			if (k == SC_UNKNOWN)
				t = SC_UNKNOWN;
		}
		return t;
	}
	case SC_C_NOT: {
		sc_truth k = sc_ref_cond(c, cond->kids[0], rq);
		return k == SC_UNKNOWN ? SC_UNKNOWN : truth(k == SC_FALSE);
	}
	default:
		return attr_test(c, cond, find_attr(rq, cond->key));
	}
}

bool sc_ref_item_matches_patterns(const sc_item *it, const sc_request *rq)
{
	if (!sc_glob_match(it->action.s, it->action.n, rq->action.s, rq->action.n))
		return false;
	return !it->has_resource ||
	       sc_glob_match(it->resource.s, it->resource.n, rq->resource.s, rq->resource.n);
}

/* The first (lowest index) item of each outcome class. */
typedef struct {
	const sc_item *deny, *deny_unknown;    /* matched / matched by unknown */
	const sc_item *ask, *ask_unknown;
	const sc_item *allow;
} sc_hits;

static void note_hit(const sc_item **slot, const sc_item *it)
{
	if (!*slot)
		*slot = it; /* items are visited in index order */
}

static void set_result(sc_result *out, sc_kind k, const sc_item *it, bool unknown)
{
	out->decision = k;
	out->why = SC_WHY_ITEM;
	out->item = it;
	out->unknown = unknown;
}

void sc_ref_combine(sc_ref_ctx *c, const sc_item *const *items, uint32_t n, const sc_request *rq,
		    sc_result *out)
{
	sc_hits h = { 0 };
	for (uint32_t i = 0; i < n; i++) {
		const sc_item *it = items[i];
		sc_truth v = it->cond ? sc_ref_cond(c, it->cond, rq) : SC_TRUE;
		if (v == SC_FALSE)
			continue;
		bool unk = v == SC_UNKNOWN;
		switch (it->kind) {
		case SC_DENY: note_hit(unk ? &h.deny_unknown : &h.deny, it); break;
		case SC_ASK: note_hit(unk ? &h.ask_unknown : &h.ask, it); break;
		case SC_ALLOW: if (!unk) note_hit(&h.allow, it); break;
		}
	}
	out->decision = SC_DENY;
	out->why = SC_WHY_DEFAULT;
	out->item = NULL;
	out->unknown = false;
	/* The deciding item is the lowest-index item of the deciding kind,
	 * whether its condition was true or unknown. */
	const sc_item *deny = h.deny, *ask = h.ask;
	if (h.deny_unknown && (!deny || h.deny_unknown->index < deny->index))
		deny = h.deny_unknown;
	/* An unknown ask applies only if some allow matched outright. */
	if (h.allow && h.ask_unknown && (!ask || h.ask_unknown->index < ask->index))
		ask = h.ask_unknown;
	if (deny)
		set_result(out, SC_DENY, deny, deny == h.deny_unknown);
	else if (ask)
		set_result(out, SC_ASK, ask, ask == h.ask_unknown);
	else if (h.allow)
		set_result(out, SC_ALLOW, h.allow, false);
}

void sc_ref_decide(sc_ref_ctx *c, const sc_policy *p, const sc_request *rq, sc_result *out)
{
	out->decision = SC_DENY;
	out->why = SC_WHY_NO_TASK;
	out->item = NULL;
	out->unknown = false;
	if (rq->action.n == 0) { /* malformed (an action is never empty): deny, as the runtime */
		out->why = SC_WHY_DEFAULT;
		return;
	}
	const sc_task *t = sc_policy_find_task(p, rq->task);
	if (!t)
		return;
	/* Items whose patterns match, in index order; then the rules of §2. */
	const sc_item *small[64] = { NULL };
	const sc_item **hit = t->nitems <= 64 ? small : malloc(t->nitems * sizeof *hit);
	if (!hit)
		sc_fatal_oom();
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->nitems; i++)
		if (sc_ref_item_matches_patterns(t->items[i], rq))
			hit[n++] = t->items[i];
	sc_ref_combine(c, hit, n, rq, out);
	if (hit != small)
		free(hit);
}
