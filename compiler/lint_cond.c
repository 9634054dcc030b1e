/*
 * lint_cond.c — what conditions do when attributes are missing.
 *
 * A missing attribute makes every test on it unknown (except `has`), and an
 * unknown condition makes a denies item apply and an allows item not.  Both
 * lints below evaluate a condition abstractly: each attribute is missing,
 * present with any value, or either, and each test yields the set of truth
 * values it can take (a numeric test or a regex can also be unknown on a
 * present value).  Tests of one attribute are not correlated (`k == "a" and
 * k == "b"` is lint.c's never-true), so a condition judged possibly true may
 * not be; judged never true, it is never true.
 */
#include "lint.h"
#include "lint_util.h"
#include "glob.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

enum { VT = 1, VF = 2, VU = 4 };
enum { MISSING, PRESENT, EITHER };

/* Conditions with more distinct attributes, or more nodes, are skipped:
 * the analysis enumerates attribute states. */
#define MAX_KEYS 6
#define MAX_NODES 256

typedef struct keys {
	sc_str key[MAX_KEYS];
	uint32_t n;
	uint32_t nodes;
	bool overflow;
} keys;

static int key_index(const keys *ks, sc_str k)
{
	for (uint32_t i = 0; i < ks->n; i++)
		if (sc_str_eq(ks->key[i], k))
			return (int)i;
	return -1;
}

/* Recursion is bounded by SC_MAX_COND_DEPTH (the parser enforces it). */
static void collect_keys(keys *ks, const sc_cond *c)
{
	if (ks->overflow || ++ks->nodes > MAX_NODES) {
		ks->overflow = true;
		return;
	}
	if (c->op == SC_C_AND || c->op == SC_C_OR || c->op == SC_C_NOT) {
		for (uint32_t i = 0; i < c->nkids; i++)
			collect_keys(ks, c->kids[i]);
		return;
	}
	if (key_index(ks, c->key) >= 0)
		return;
	if (ks->n == MAX_KEYS)
		ks->overflow = true;
	else
		ks->key[ks->n++] = c->key;
}

/* Kleene and/or of two sets of truth values. */
static unsigned combine(unsigned a, unsigned b, bool is_and)
{
	static const unsigned vals[3] = { VT, VF, VU };
	unsigned out = 0;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			unsigned x = vals[i], y = vals[j];
			if (!(a & x) || !(b & y))
				continue;
			if (is_and)
				out |= (x == VF || y == VF) ? VF : (x == VU || y == VU) ? VU : VT;
			else
				out |= (x == VT || y == VT) ? VT : (x == VU || y == VU) ? VU : VF;
		}
	return out;
}

static unsigned test_values(const sc_cond *c, int mode)
{
	bool may_unknown = c->op == SC_C_MATCHES || (c->op >= SC_C_LT && c->op <= SC_C_GE);
	unsigned present = c->op == SC_C_HAS ? VT : (VT | VF | (may_unknown ? VU : 0));
	unsigned missing = c->op == SC_C_HAS ? VF : VU;
	return mode == MISSING ? missing : mode == PRESENT ? present : (missing | present);
}

/* The truth values C can take when each attribute KS->key[i] is in state
 * MODE[i]. */
static unsigned eval(const sc_cond *c, const keys *ks, const unsigned char *mode)
{
	switch (c->op) {
	case SC_C_AND:
	case SC_C_OR: {
		bool is_and = c->op == SC_C_AND;
		unsigned acc = is_and ? VT : VF;
		for (uint32_t i = 0; i < c->nkids; i++)
			acc = combine(acc, eval(c->kids[i], ks, mode), is_and);
		return acc;
	}
	case SC_C_NOT: {
		unsigned v = eval(c->kids[0], ks, mode);
		return (v & VU) | (v & VT ? VF : 0) | (v & VF ? VT : 0);
	}
	default:
		return test_values(c, mode[key_index(ks, c->key)]);
	}
}

/* The first test of KEY in C other than `has`, for the caret. */
static const sc_cond *first_test(const sc_cond *c, sc_str key)
{
	if (c->op == SC_C_AND || c->op == SC_C_OR || c->op == SC_C_NOT) {
		for (uint32_t i = 0; i < c->nkids; i++) {
			const sc_cond *t = first_test(c->kids[i], key);
			if (t)
				return t;
		}
		return NULL;
	}
	return c->op != SC_C_HAS && sc_str_eq(c->key, key) ? c : NULL;
}

/* ---- denies that a missing attribute makes apply ------------------------ */

/* Work bound for matching candidates against expects. */
#define EXPECT_BUDGET 4000000u

static bool task_has_item(const sc_task *t, const sc_item *it)
{
	uint32_t lo = 0, hi = t->nitems;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->items[mid]->index == it->index)
			return true;
		if (t->items[mid]->index < it->index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool has_attr(const sc_expect *e, sc_str key)
{
	for (uint32_t i = 0; i < e->nattrs; i++)
		if (sc_str_eq(e->attrs[i].key, key))
			return true;
	return false;
}

/* Does an expect exercise IT without KEY?  Then the author has said what a
 * request missing KEY should get.  *BUDGET counts expects looked at. */
static bool tested_without(const sc_policy *p, const sc_item *it, sc_str key, uint64_t *budget)
{
	if (*budget < p->nexpects)
		return true; /* out of budget: assume tested, stay silent */
	*budget -= p->nexpects;
	for (uint32_t i = 0; i < p->nexpects; i++) {
		const sc_expect *e = &p->expects[i];
		if (has_attr(e, key) || !sc_glob_match(it->action.s, it->action.n, e->action.s, e->action.n) ||
		    (it->has_resource && !sc_glob_match(it->resource.s, it->resource.n, e->resource.s, e->resource.n)))
			continue;
		const sc_task *t = sc_policy_find_task(p, e->task);
		if (t && task_has_item(t, it))
			return true;
	}
	return false;
}

/* The fix-it: `has KEY and (COND)`, parenthesised unless COND binds tighter
 * than `and` already. */
static void guard_fixit(sc_diag *d, const sc_cond *c, sc_str key)
{
	sc_str text = sc_span_text(d, c->span);
	bool paren = c->op == SC_C_OR && !(text.n && text.s[0] == '(' && text.s[text.n - 1] == ')');
	char q[128];
	sc_quote(q, sizeof q, key);
	sc_buf b = { NULL, 0, 0 };
	sc_buf_printf(&b, "has %s and %s%.*s%s", q, paren ? "(" : "", (int)text.n, text.s, paren ? ")" : "");
	sc_fixit(d, c->span, b.s);
	free(b.s);
}

/* A value the first test of KEY in C compares with ("x" if none): with it
 * and with "x", a present attribute can take both outcomes of most tests. */
static sc_str some_value(const sc_cond *c, sc_str key)
{
	const sc_cond *t = first_test(c, key);
	if (t && t->op == SC_C_IN && t->nvalues)
		return t->values[0];
	if (t && t->op != SC_C_MATCHES && t->op != SC_C_LIKE)
		return t->value;
	return sc_str_c("x");
}

/* Attributes for a request that makes IT's condition unknown while KEY K is
 * missing: every other attribute missing, or present with one of two
 * values (3^5 tries at most).  The evaluator has the last word. */
static bool unknown_witness(sc_lint_ctx *lc, const sc_item *it, const keys *ks, uint32_t k, sc_attr *attrs,
			    size_t *nattrs)
{
	uint32_t combos = 1;
	for (uint32_t i = 1; i < ks->n; i++)
		combos *= 3;
	for (uint32_t m = 0; m < combos; m++) {
		if (lc->budget < ks->nodes)
			return false;
		lc->budget -= ks->nodes;
		size_t n = 0;
		for (uint32_t i = 0, digits = m; i < ks->n; i++) {
			if (i == k)
				continue;
			uint32_t state = digits % 3;
			digits /= 3;
			if (state)
				attrs[n++] = (sc_attr){ ks->key[i], state == 1 ? some_value(it->cond, ks->key[i]) : sc_str_c("x") };
		}
		sc_request rq = { sc_str_c(""), sc_str_c(""), sc_str_c(""), attrs, n };
		if (sc_ref_cond(lc->ref, it->cond, &rq) == SC_UNKNOWN) {
			*nattrs = n;
			return true;
		}
	}
	return false;
}

static void unknown_denies(sc_lint_ctx *lc, const sc_item *it, uint64_t *budget)
{
	keys ks = { .n = 0 };
	collect_keys(&ks, it->cond);
	if (ks.overflow)
		return;
	for (uint32_t k = 0; k < ks.n; k++) {
		unsigned char mode[MAX_KEYS];
		memset(mode, EITHER, sizeof mode);
		mode[k] = MISSING;
		const sc_cond *t = first_test(it->cond, ks.key[k]);
		if (!t || !(eval(it->cond, &ks, mode) & VU) || tested_without(lc->p, it, ks.key[k], budget))
			continue;
		char q[128], w[600] = "";
		sc_quote(q, sizeof q, ks.key[k]);
		sc_result res;
		const sc_task *task = lc->task_of[it->index];
		char r[256];
		sc_attr attrs[MAX_KEYS];
		size_t na = 0;
		size_t nr = it->has_resource ? sc_lint_fill(it->resource, r, sizeof r) : 0;
		if (!task || nr == SIZE_MAX || !unknown_witness(lc, it, &ks, k, attrs, &na) ||
		    !sc_lint_witness(lc, task, it->action, (sc_str){ r, nr }, attrs, na, w, sizeof w, &res))
			continue;
		sc_warning(lc->d, sc_lint_ids[SC_LINT_UNKNOWN_DENIES], t->span,
			   "without attribute '%s' this test is unknown, and an unknown condition makes a denies "
			   "item apply (`%s` is %s); if that is intended, add an expect without %s=, otherwise "
			   "guard the test: `has %s and ...`", q, w, sc_lint_decided(res.decision), q, q);
		if (it->ast && it->ast->cond)
			guard_fixit(lc->d, it->ast->cond, ks.key[k]);
		sc_lint_note_via(lc, it);
		return; /* one attribute per item is enough to make the point */
	}
}

/* ---- conditions that are never true ------------------------------------- */

/* True if C can be true for some state (missing or present) of each of its
 * attributes. */
static bool may_be_true(const sc_cond *c, const keys *ks)
{
	for (uint32_t m = 0; m < (1u << ks->n); m++) {
		unsigned char mode[MAX_KEYS];
		for (uint32_t k = 0; k < ks->n; k++)
			mode[k] = (m >> k) & 1 ? PRESENT : MISSING;
		if (eval(c, ks, mode) & VT)
			return true;
	}
	return false;
}

static bool never_true(sc_lint_ctx *lc, const sc_item *it)
{
	keys ks = { .n = 0 };
	collect_keys(&ks, it->cond);
	if (ks.overflow || may_be_true(it->cond, &ks))
		return false;
	const sc_cond *c = it->ast && it->ast->cond ? it->ast->cond : it->cond;
	if (it->kind == SC_DENY)
		sc_warning(lc->d, sc_lint_ids[SC_LINT_NEVER_TRUE], c->span,
			   "this condition is never true, only unknown when an attribute is missing: the denies "
			   "item applies only to requests that lack it");
	else
		sc_warning(lc->d, sc_lint_ids[SC_LINT_NEVER_TRUE], c->span,
			   "this condition is never true (false, or unknown when an attribute is missing): the "
			   "%s item never applies", sc_clause_names[it->kind]);
	sc_lint_note_via(lc, it);
	return true;
}

void sc_lint_conditions(sc_lint_ctx *lc)
{
	uint64_t budget = EXPECT_BUDGET;
	for (uint32_t i = 0; i < lc->p->nitems; i++) {
		const sc_item *it = &lc->p->items[i];
		if (!it->cond || lc->dup[i])
			continue;
		if (i > 0 && it->cond == lc->p->items[i - 1].cond)
			continue; /* the same condition as the item before */
		if (!never_true(lc, it) && it->kind == SC_DENY)
			unknown_denies(lc, it, &budget);
	}
}
