/*
 * decide.c — the evaluator.  Trusts the image completely: verify.c proved
 * every state id, outcome offset, item index, string and jump in range, so
 * the loops below carry no checks.  No allocation, no lock, no global state.
 *
 * A decision (SPEC §2 "Decision"):
 *   1. look the task name up (taskindex.c: a hash table, or the task
 *      automaton for a name it does not hold) -> the task's parts;
 *   2. per part, walk the action from the part's start; the final state's
 *      payload is where the resource walk starts (already specialised to
 *      the items whose action matched); walk the resource -> an outcome:
 *      three short lists (deny, ask, allow) of the items that matched both
 *      patterns and can still decide, each ending at its first
 *      unconditional item;
 *   3. merge the parts' outcomes kind by kind, evaluating conditions only
 *      for items that would decide if their condition held, with SPEC §2's
 *      reading of "unknown" (resolve_outcomes()).
 */
#include "image.h"
#include "number.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Also used by the reference evaluator: keep them equal. */
#define SCOPE_REGEX_MATCH_LIMIT 100000u
#define SCOPE_REGEX_DEPTH_LIMIT 10000u

struct scope_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

int scope_scratch_create(scope_scratch **out)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = NULL;
	scope_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return -SCOPE_ENOMEM;
	s->md = pcre2_match_data_create(1, NULL);
	s->mc = pcre2_match_context_create(NULL);
	if (!s->md || !s->mc) {
		scope_scratch_destroy(s);
		return -SCOPE_ENOMEM;
	}
	pcre2_set_match_limit(s->mc, SCOPE_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mc, SCOPE_REGEX_DEPTH_LIMIT);
	*out = s;
	return 0;
}

void scope_scratch_destroy(scope_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mc);
	free(s);
}

/* ---- automata -------------------------------------------------------------- */

#define ONES 0x0101010101010101u

/* The index of byte C among the N key bytes at KEYS, or N: 8 keys a step
 * (the bytes after the keys are inside the record or SCOPE_IMG_PAD), so
 * that a state of up to 8 keys costs no loop and no data-dependent branch
 * but the last.  The lowest zero byte of KEYS ^ C is exact (the carries of
 * the test only reach the bytes above it). */
static inline uint32_t key_index(const uint8_t *keys, uint32_t n, uint8_t c)
{
	uint64_t pat = ONES * c;
	for (uint32_t k = 0; k < n; k += 8) {
		uint64_t x = scope_bc_load64(keys + k) ^ pat;
		uint64_t z = (x - ONES) & ~x & (ONES << 7);
		if (z) {
			uint32_t i = k + (uint32_t)(__builtin_ctzll(z) >> 3);
			return i < n ? i : n;
		}
	}
	return n;
}

/* How many of the first LIM bytes of P equal LIT's (LIT has >= LIM bytes
 * and may be read 8 past them; P has AVAIL >= LIM bytes and is never read
 * past them).  Little-endian: the lowest set byte of the XOR is the first
 * difference. */
static inline size_t common_prefix(const unsigned char *p, size_t avail, const uint8_t *lit, size_t lim)
{
	size_t k = 0;
	while (k + 8 <= avail) {
		uint64_t x = scope_bc_load64(p + k) ^ scope_bc_load64(lit + k);
		if (x) {
			k += (size_t)(__builtin_ctzll(x) >> 3);
			return k < lim ? k : lim;
		}
		k += 8;
		if (k >= lim)
			return lim;
	}
	while (k < lim && p[k] == lit[k]) /* the input's last bytes: one at a time */
		k++;
	return k;
}

/* Runs automaton A over [p, end) from state S; returns the payload of the
 * state where the input ends.  A state reference carries its record's type
 * in its low two bits (bytecode.h), so a DENSE step is one dependent load.
 * Every step consumes >= 1 byte or stops, so the walk is linear. */
static uint32_t walk(const scope_policy *pol, const uint32_t *a, uint32_t s, const unsigned char *p,
		     const unsigned char *end)
{
	const uint32_t *st = SC_STATES(pol);
	const uint8_t *cmap = (const uint8_t *)(SC_CMAPS(pol) + (size_t)a[1] * SCOPE_BC_CMAP_WORDS + 1);
	while (p < end) {
		const uint32_t *r = st + SCOPE_REF_OFF(s);
		switch (SCOPE_REF_TYPE(s)) {
		case SCOPE_ST_SINK:
			return r[1];
		case SCOPE_ST_DENSE:
			/* stay here while the states are dense */
			do {
				s = r[2 + cmap[*p++]];
				r = st + SCOPE_REF_OFF(s);
			} while (p < end && SCOPE_REF_TYPE(s) == SCOPE_ST_DENSE);
			break;
		case SCOPE_ST_SPARSE: {
			uint32_t n = SCOPE_ST_N(r[0]), k;
			const uint8_t *keys = (const uint8_t *)(r + 3);
			const uint32_t *next = r + 3 + (n + 3) / 4;
			if (r[2] == s) {
				/* a star loop: skip the bytes that stay here */
				for (;;) {
					k = key_index(keys, n, *p);
					p++;
					if (k < n) {
						s = next[k];
						break;
					}
					if (p == end)
						return r[1];
				}
				break;
			}
			k = key_index(keys, n, *p);
			p++;
			s = k < n ? next[k] : r[2];
			break;
		}
		default: { /* SCOPE_ST_LITERAL */
			uint32_t n = SCOPE_ST_N(r[0]);
			size_t avail = (size_t)(end - p), lim = n < avail ? n : avail;
			if (r[0] & SCOPE_ST_F_COMPACT) {
				/* these bytes, then the next record, or nothing: a
				 * difference and an end inside both have payload 0 */
				if (common_prefix(p, avail, (const uint8_t *)(r + 1), lim) != n)
					return 0;
				s = SCOPE_REF(SCOPE_REF_OFF(s) + 1 + (n + 3) / 4, SCOPE_ST_NEXT_TYPE(r[0]));
				p += n;
				break;
			}
			const uint8_t *lit = (const uint8_t *)(r + 5);
			size_t k = common_prefix(p, avail, lit, lim);
			if (k == n) {
				s = r[3];
				p += n;
			} else if (k == avail) {
				return r[4]; /* ended inside the chain */
			} else {
				s = r[2];
				p += k + 1;
			}
			break;
		}
		}
	}
	/* the payload of the state where the input ends (a compact
	 * LITERAL's is 0: its word 1 holds bytes) */
	const uint32_t *r = st + SCOPE_REF_OFF(s);
	return SCOPE_REF_TYPE(s) == SCOPE_ST_LITERAL && (r[0] & SCOPE_ST_F_COMPACT) ? 0 : r[1];
}

static uint32_t walk_str(const scope_policy *pol, const uint32_t *a, uint32_t s, const char *str,
			 size_t len)
{
	/* (a NULL string of length 0 is a valid empty one: NULL + 0 is not) */
	const unsigned char *p = str ? (const unsigned char *)str : (const unsigned char *)"";
	return walk(pol, a, s, p, p + len);
}

uint32_t scope_image_walk(const scope_policy *pol, const uint32_t *a, uint32_t s, const char *str,
			  size_t len)
{
	return walk_str(pol, a, s, str, len);
}

/* ---- conditions ------------------------------------------------------------ */

static const scope_attr *find_attr(const scope_policy *p, const scope_request *rq, uint32_t key)
{
	uint32_t klen;
	const char *k = scope_str(p, key, &klen);
	for (size_t i = 0; i < rq->nattrs; i++) {
		const scope_attr *at = &rq->attrs[i];
		if (at->key_len == klen && (klen == 0 || memcmp(at->key, k, klen) == 0))
			return at;
	}
	return NULL;
}

static uint8_t regex_test(const scope_policy *p, scope_scratch *s, uint32_t r, const scope_attr *at)
{
	int rc = pcre2_match(p->regex[r], (PCRE2_SPTR)(at->value ? at->value : ""), at->value_len, 0,
			     0, s->md, s->mc);
	if (rc >= 0)
		return SCOPE_T_TRUE;
	/* match limit, depth limit, any error: unknown, never "no match" */
	return rc == PCRE2_ERROR_NOMATCH ? SCOPE_T_FALSE : SCOPE_T_UNKNOWN;
}

static uint8_t number_test(uint32_t op, const char *v, size_t vn, const char *lit, uint32_t ln)
{
	int c = sc_number_cmp(v, vn, lit, ln);
	if (c == 2)
		return SCOPE_T_UNKNOWN;
	switch (op) {
	case SCOPE_OP_LT: return c < 0;
	case SCOPE_OP_LE: return c <= 0;
	case SCOPE_OP_GT: return c > 0;
	default: return c >= 0;
	}
}

/* One attribute test; A is the key operand, B the other. */
static uint8_t test(const scope_policy *p, scope_scratch *s, const scope_request *rq, uint32_t op,
		    uint32_t a, uint32_t b)
{
	const scope_attr *at = find_attr(p, rq, a);
	if (op == SCOPE_OP_HAS)
		return at != NULL;
	if (!at)
		return SCOPE_T_UNKNOWN; /* missing context is unknown, never false */
	const char *v = at->value ? at->value : "";
	uint32_t len;
	const char *lit;
	switch (op) {
	case SCOPE_OP_EQ:
	case SCOPE_OP_NE:
		lit = scope_str(p, b, &len);
		return (len == at->value_len && (len == 0 || memcmp(v, lit, len) == 0)) == (op == SCOPE_OP_EQ);
	case SCOPE_OP_LT: case SCOPE_OP_LE: case SCOPE_OP_GT: case SCOPE_OP_GE:
		lit = scope_str(p, b, &len);
		return number_test(op, v, at->value_len, lit, len);
	case SCOPE_OP_IN:
	case SCOPE_OP_LIKE: {
		const uint32_t *va = SC_AUTOMATA(p) + (size_t)b * SCOPE_BC_AUTOMATON_WORDS;
		return walk_str(p, va, va[2], v, at->value_len) != 0;
	}
	default: /* SCOPE_OP_MATCH */
		return regex_test(p, s, b, at);
	}
}

static uint8_t kleene_and(uint8_t x, uint8_t y)
{
	if (x == SCOPE_T_FALSE || y == SCOPE_T_FALSE)
		return SCOPE_T_FALSE;
	return x == SCOPE_T_TRUE && y == SCOPE_T_TRUE ? SCOPE_T_TRUE : SCOPE_T_UNKNOWN;
}

static uint8_t kleene_or(uint8_t x, uint8_t y)
{
	if (x == SCOPE_T_TRUE || y == SCOPE_T_TRUE)
		return SCOPE_T_TRUE;
	return x == SCOPE_T_FALSE && y == SCOPE_T_FALSE ? SCOPE_T_FALSE : SCOPE_T_UNKNOWN;
}

/* The first test of a condition that came out unknown (explanations). */
typedef struct unknown_test {
	uint32_t op, key;
	bool found;
} unknown_test;

/* Runs the condition block at word PC.  The verifier proved: forward jumps
 * only, depth in [1, SCOPE_BC_MAX_STACK] where it is used, RET at depth 1.
 * TRACE is NULL on the decision path (inlined away); explanations pass one
 * to learn which test was unknown. */
static inline uint8_t run_cond_traced(const scope_policy *p, scope_scratch *s, const scope_request *rq,
				      uint32_t pc, unknown_test *trace)
{
	uint8_t stack[SCOPE_BC_MAX_STACK + 1];
	unsigned sp = 0;
	const uint32_t *code = SC_CODE(p);
	for (;;) {
		uint32_t w = code[pc], b = code[pc + 1], op = SCOPE_OP_CODE(w);
		pc += 2;
		switch (op) {
		case SCOPE_OP_RET:
			return stack[sp - 1];
		case SCOPE_OP_NOT: {
			uint8_t x = stack[sp - 1];
			stack[sp - 1] = x == SCOPE_T_UNKNOWN ? x : (uint8_t)!x;
			break;
		}
		case SCOPE_OP_AND:
			sp--;
			stack[sp - 1] = kleene_and(stack[sp - 1], stack[sp]);
			break;
		case SCOPE_OP_OR:
			sp--;
			stack[sp - 1] = kleene_or(stack[sp - 1], stack[sp]);
			break;
		case SCOPE_OP_JF: /* AND short cut: false AND anything is false */
			if (stack[sp - 1] == SCOPE_T_FALSE)
				pc = b;
			break;
		case SCOPE_OP_JT: /* OR short cut */
			if (stack[sp - 1] == SCOPE_T_TRUE)
				pc = b;
			break;
		default:
			stack[sp] = test(p, s, rq, op, SCOPE_OP_A(w), b);
			if (trace && !trace->found && stack[sp] == SCOPE_T_UNKNOWN)
				*trace = (unknown_test){ op, SCOPE_OP_A(w), true };
			sp++;
			break;
		}
	}
}

static uint8_t run_cond(const scope_policy *p, scope_scratch *s, const scope_request *rq, uint32_t pc)
{
	return run_cond_traced(p, s, rq, pc, NULL);
}

static uint8_t item_truth(const scope_policy *p, scope_scratch *s, const scope_request *rq, uint32_t item)
{
	uint32_t c = SC_ITEMS(p)[item] & SCOPE_BC_NO_COND;
	return c == SCOPE_BC_NO_COND ? SCOPE_T_TRUE : run_cond(p, s, rq, c);
}

/* ---- outcomes -------------------------------------------------------------- */

/* The lists of one part's outcome, in the order deny, ask, allow. */
typedef struct outcome {
	const uint32_t *list[3];
	uint32_t n[3];
	uint32_t one;           /* storage for a single-item payload */
} outcome;

enum { L_DENY = 0, L_ASK = 1, L_ALLOW = 2 };

static void outcome_view(const scope_policy *p, uint32_t payload, outcome *o)
{
	if (payload & SCOPE_BC_ONE_ITEM) {
		o->one = payload & ~SCOPE_BC_ONE_ITEM;
		uint32_t kind = SC_ITEMS(p)[o->one] >> 30;
		for (int l = 0; l < 3; l++) {
			o->list[l] = &o->one;
			o->n[l] = (uint32_t)(2 - l) == kind;
		}
		return;
	}
	const uint32_t *r = SC_OUTCOMES(p) + payload;
	const uint32_t *ids = r + 3;
	for (int l = 0; l < 3; l++) {
		o->list[l] = ids;
		o->n[l] = r[l];
		ids += r[l];
	}
}

/* Does any allow item of the outcomes hold outright (condition true)? */
static bool any_allow_true(const scope_policy *p, scope_scratch *s, const scope_request *rq,
			   const outcome *o, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (uint32_t k = 0; k < o[i].n[L_ALLOW]; k++)
			if (item_truth(p, s, rq, o[i].list[L_ALLOW][k]) == SCOPE_T_TRUE)
				return true;
	return false;
}

static void set_item(scope_result *out, scope_decision d, uint32_t item, bool unknown)
{
	out->decision = d;
	out->why = SCOPE_WHY_ITEM;
	out->item = item;
	out->unknown = unknown;
}

/* SPEC §2: deny > ask > allow > default deny; the deciding item is the
 * lowest-index matching item of the deciding kind.  Items with an unknown
 * condition match in denies, never in allows, and in asks only if some
 * allow matched outright.  Each list is ascending, so a part stops at its
 * first match and at the first item above the best so far. */
static void resolve_outcomes(const scope_policy *p, scope_scratch *s, const scope_request *rq,
			     const outcome *o, unsigned n, scope_result *out)
{
	uint32_t best = SCOPE_NO_ITEM;
	bool unk = false;
	for (unsigned i = 0; i < n; i++)
		for (uint32_t k = 0; k < o[i].n[L_DENY] && o[i].list[L_DENY][k] < best; k++) {
			uint8_t t = item_truth(p, s, rq, o[i].list[L_DENY][k]);
			if (t != SCOPE_T_FALSE) {
				best = o[i].list[L_DENY][k];
				unk = t == SCOPE_T_UNKNOWN;
				break;
			}
		}
	if (best != SCOPE_NO_ITEM) {
		set_item(out, SCOPE_DENY, best, unk);
		return;
	}
	int allow_true = -1; /* not computed yet */
	for (unsigned i = 0; i < n; i++)
		for (uint32_t k = 0; k < o[i].n[L_ASK] && o[i].list[L_ASK][k] < best; k++) {
			uint8_t t = item_truth(p, s, rq, o[i].list[L_ASK][k]);
			if (t == SCOPE_T_UNKNOWN && allow_true < 0)
				allow_true = any_allow_true(p, s, rq, o, n);
			if (t == SCOPE_T_TRUE || (t == SCOPE_T_UNKNOWN && allow_true)) {
				best = o[i].list[L_ASK][k];
				unk = t == SCOPE_T_UNKNOWN;
				break;
			}
		}
	if (best != SCOPE_NO_ITEM) {
		set_item(out, SCOPE_ASK, best, unk);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		for (uint32_t k = 0; k < o[i].n[L_ALLOW] && o[i].list[L_ALLOW][k] < best; k++)
			if (item_truth(p, s, rq, o[i].list[L_ALLOW][k]) == SCOPE_T_TRUE) {
				best = o[i].list[L_ALLOW][k];
				break;
			}
	if (best != SCOPE_NO_ITEM)
		set_item(out, SCOPE_ALLOW, best, false);
	else
		out->why = SCOPE_WHY_DEFAULT;
}

/* ---- NFA parts ------------------------------------------------------------- */

/* One byte: NEXT from CUR (both W + 1 words, word 0 a zero guard, so
 * that each word's carry comes from the old value of the one below: no
 * dependency from one word to the next, two words an SSE2 step). */
static uint64_t nfa_step(const uint64_t *restrict cur, uint64_t *restrict next, uint32_t w,
			 const unsigned char *bc, const unsigned char *any, const unsigned char *ns, uint64_t loop_ns)
{
	uint64_t live = 0;
	uint32_t i = 1;
#ifdef __SSE2__
	__m128i lv = _mm_setzero_si128(), lm = _mm_set1_epi64x((long long)loop_ns);
	for (; i + 1 <= w; i += 2) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(cur + i));
		__m128i below = _mm_loadu_si128((const __m128i *)(const void *)(cur + i - 1));
		__m128i sh = _mm_or_si128(_mm_slli_epi64(x, 1), _mm_srli_epi64(below, 63));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(bc + 8 * (i - 1)));
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(any + 8 * (i - 1)));
		__m128i s = _mm_loadu_si128((const __m128i *)(const void *)(ns + 8 * (i - 1)));
		__m128i y = _mm_or_si128(_mm_and_si128(sh, b), _mm_and_si128(x, _mm_or_si128(a, _mm_and_si128(s, lm))));
		_mm_storeu_si128((__m128i *)(void *)(next + i), y);
		lv = _mm_or_si128(lv, y);
	}
	uint64_t two[2];
	_mm_storeu_si128((__m128i *)(void *)two, lv);
	live = two[0] | two[1];
#endif
	for (; i <= w; i++) {
		uint64_t x = cur[i];
		uint64_t y = ((x << 1 | cur[i - 1] >> 63) & scope_bc_load64(bc + 8 * (i - 1))) |
			     (x & (scope_bc_load64(any + 8 * (i - 1)) | (scope_bc_load64(ns + 8 * (i - 1)) & loop_ns)));
		next[i] = y;
		live |= y;
	}
	return live;
}

/* The two state vectors of a side, each behind its zero guard word. */
typedef uint64_t nfa_states[2][SCOPE_BC_NFA_MAX_WORDS + 1];

/* Runs one side of an NFA record (tables at T, W words, class map CLS)
 * over [s, s + n) (bytecode.h, "NFA parts"); returns the final states (W
 * words in BUF), or NULL as soon as no state is left, i.e. no pattern of
 * the side can match. */
static const uint64_t *nfa_run(const uint32_t *t, uint32_t w, const uint8_t *cls, const unsigned char *s,
			       size_t n, nfa_states buf)
{
	const unsigned char *start = (const unsigned char *)t, *any = start + 8 * (size_t)w,
			    *ns = any + 8 * (size_t)w, *b = ns + 8 * (size_t)w;
	buf[0][0] = buf[1][0] = 0;
	for (uint32_t i = 0; i < w; i++)
		buf[0][i + 1] = scope_bc_load64(start + 8 * i);
	unsigned c = 0;
	for (size_t j = 0; j < n; j++, c ^= 1) {
		uint64_t loop_ns = s[j] == '.' || s[j] == '/' ? 0 : ~(uint64_t)0;
		if (!nfa_step(buf[c], buf[c ^ 1], w, b + 8 * (size_t)w * cls[s[j]], any, ns, loop_ns))
			return NULL;
	}
	return buf[c] + 1;
}

static bool bit_of(const uint64_t *d, uint32_t bit)
{
	return d[bit / 64] >> (bit % 64) & 1;
}

/* The outcome of NFA part A for RQ, its lists written to IDS (room for
 * the part's m items); false when no item matched.  Each list is
 * ascending and ends at its first unconditional item, as OUTCOMES'. */
static bool nfa_outcome(const scope_policy *p, const uint32_t *a, const scope_request *rq, uint32_t *ids,
			outcome *o)
{
	const uint32_t *r = SC_NFA(p) + a[2];
	scope_bc_nfa g = scope_bc_nfa_at(r);
	nfa_states bufa, bufr;
	const uint64_t *da, *dr;
	if (!(da = nfa_run(r + g.side_a, g.wa, g.cls, (const unsigned char *)rq->action, rq->action_len, bufa)) ||
	    !(dr = nfa_run(r + g.side_r, g.wr, g.cls, (const unsigned char *)rq->resource, rq->resource_len, bufr)))
		return false;
	const uint32_t *e = r + g.items;
	uint32_t end[3] = { g.nd, g.nd + g.na, g.m }, n = 0;
	for (uint32_t l = 0, i = 0; l < 3; i = end[l++]) {
		o->list[l] = ids + n;
		o->n[l] = 0;
		for (; i < end[l]; i++) {
			const uint32_t *x = e + 3 * (size_t)i;
			if (!bit_of(da, x[1]) || !bit_of(dr, x[2]))
				continue;
			ids[n++] = x[0];
			o->n[l]++;
			if ((SC_ITEMS(p)[x[0]] & SCOPE_BC_NO_COND) == SCOPE_BC_NO_COND)
				break; /* the rest of the list cannot decide */
		}
	}
	return n > 0;
}

bool scope_image_nfa_may_grant(const scope_policy *p, const uint32_t *a, const char *action, size_t len)
{
	const uint32_t *r = SC_NFA(p) + a[2];
	scope_bc_nfa g = scope_bc_nfa_at(r);
	nfa_states buf;
	const uint64_t *da = nfa_run(r + g.side_a, g.wa, g.cls, (const unsigned char *)action, len, buf);
	if (!da)
		return false;
	for (uint32_t i = g.nd; i < g.m; i++) /* the asks and allows */
		if (bit_of(da, r[g.items + 3 * (uint64_t)i + 1]))
			return true;
	return false;
}

/* ---- the decision ---------------------------------------------------------- */

static bool range_ok(const char *s, size_t n)
{
	return s || n == 0;
}

static bool request_ok(const scope_request *rq)
{
	/* an empty action is no request (SPEC §2): patterns like `*` would
	 * match it, and `diff` rightly ignores it */
	if (rq->action_len == 0)
		return false;
	if (!range_ok(rq->task, rq->task_len) || !range_ok(rq->action, rq->action_len) ||
	    !range_ok(rq->resource, rq->resource_len) || (!rq->attrs && rq->nattrs))
		return false;
	for (size_t i = 0; i < rq->nattrs; i++)
		if (!range_ok(rq->attrs[i].key, rq->attrs[i].key_len) ||
		    !range_ok(rq->attrs[i].value, rq->attrs[i].value_len))
			return false;
	return true;
}

int scope_decide(const scope_policy *p, scope_scratch *s, const scope_request *rq, scope_result *out)
{
	if (!out)
		return -SCOPE_EINVAL;
	*out = (scope_result){ SCOPE_DENY, SCOPE_WHY_ERROR, SCOPE_NO_ITEM, false };
	/* (a policy loaded without its regexes, as the disassembler does, is
	 * for listing only) */
	if (!p || !p->regex || !s || !rq || !request_ok(rq))
		return -SCOPE_EINVAL;
	uint32_t nparts;
	const uint32_t *parts = scope_task_find(p, rq->task, rq->task_len, &nparts);
	if (!parts) {
		out->why = SCOPE_WHY_NO_TASK;
		return 0;
	}
	outcome o[SCOPE_BC_MAX_PARTS];
	uint32_t nfa_ids[SCOPE_BC_NFA_MAX_ITEMS], used = 0; /* verified: enough for the task */
	unsigned n = 0;
	for (uint32_t i = 0; i < nparts; i++) {
		const uint32_t *a = parts + (size_t)i * SCOPE_BC_AUTOMATON_WORDS;
		if (a[0] == SCOPE_BC_A_NFA) {
			if (nfa_outcome(p, a, rq, nfa_ids + used, &o[n])) {
				used += o[n].n[0] + o[n].n[1] + o[n].n[2];
				n++;
			}
			continue;
		}
		uint32_t r = walk_str(p, a, a[2], rq->action, rq->action_len);
		if (r == 0)
			continue;
		uint32_t res = walk_str(p, a, r, rq->resource, rq->resource_len);
		if (res != 0)
			outcome_view(p, res, &o[n++]);
	}
	out->why = SCOPE_WHY_DEFAULT;
	if (n == 1 && o[0].list[0] == &o[0].one) {
		/* the common case: one item, unconditional or not */
		uint32_t item = o[0].one, kind = SC_ITEMS(p)[item] >> 30;
		uint8_t v = item_truth(p, s, rq, item);
		if (v == SCOPE_T_TRUE || (v == SCOPE_T_UNKNOWN && kind == SCOPE_DENY))
			set_item(out, (scope_decision)kind, item, v == SCOPE_T_UNKNOWN);
		/* an unknown ask needs an allow that holds outright: none here */
	} else if (n) {
		resolve_outcomes(p, s, rq, o, n, out);
	}
	return 0;
}

/* ---- explanations ---------------------------------------------------------- */

int scope_explain_request(const scope_policy *p, scope_scratch *s, const scope_request *rq,
			  const scope_result *r, char *buf, size_t *len)
{
	if (!p || !r || !buf || !len || !*len)
		return -SCOPE_EINVAL;
	size_t cap = *len;
	int rc = scope_explain(p, r, buf, len);
	if (rc < 0 || !r->unknown || r->why != SCOPE_WHY_ITEM || !s || !rq || !p->regex || !request_ok(rq) ||
	    r->item >= SC_NITEMS(p))
		return rc;
	uint32_t c = SC_ITEMS(p)[r->item] & SCOPE_BC_NO_COND;
	if (c == SCOPE_BC_NO_COND)
		return rc;
	unknown_test t = { 0, 0, false };
	(void)run_cond_traced(p, s, rq, c, &t);
	if (!t.found)
		return rc;
	uint32_t klen;
	const char *key = scope_str(p, t.key, &klen);
	const char *why = !find_attr(p, rq, t.key) ? "is missing"
			  : t.op == SCOPE_OP_MATCH ? "hit the regex match limit"
						   : "is not a number";
	/* "... (condition unknown)" -> "... (condition unknown because ...)" */
	static const char tail[] = " (condition unknown)";
	size_t n = *len, tl = sizeof tail - 1;
	if (n < tl || memcmp(buf + n - tl, tail, tl) != 0)
		return rc;
	n -= 1; /* drop ")" */
	int k = snprintf(buf + n, cap - n, " because attribute '%.*s' %s)", (int)(klen > 64 ? 64 : klen), key, why);
	if (k < 0)
		return -SCOPE_EINVAL;
	if ((size_t)k >= cap - n) {
		*len = cap - 1;
		return -SCOPE_ENOSPC;
	}
	*len = n + (size_t)k;
	return 0;
}
