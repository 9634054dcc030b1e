/* attrset.c — see attrset.h.  The components (constants and globs in one
 * labelled DFA, one DFA per regex, one comparator per numeric bound), the
 * product walk, and the outcome vectors. */
#include "attrset.h"
#include "dfa.h"
#include "map.h"
#include "number.h"
#include "regexdfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS_MAX_STATES (1u << 16)   /* product states walked per attribute */
#define CELLS_MAX 512u                /* cells per attribute */
#define CELLS_MAX_WORDS (16u << 20)   /* product states x components (64 MB) */

void sc_preferred_bytes(unsigned char order[256])
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/~+%ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	bool used[256] = { false };
	size_t n = 0;
	for (const char *c = first; *c; c++) {
		order[n++] = (unsigned char)*c;
		used[(unsigned char)*c] = true;
	}
	for (unsigned b = 0x21; b < 0x7f; b++)
		if (!used[b] && b != '"' && b != '\\' && b != '=') {
			order[n++] = (unsigned char)b;
			used[b] = true;
		}
	/* then the other bytes, a newline next to last: a request line cannot
	 * hold one (eval reads a line at a time; only JSON can), so a witness
	 * takes it only when nothing else behaves alike (\v gave "\n", not
	 * "\x0b", and diff printed a request split over two lines) */
	for (unsigned b = 1; b < 256; b++)
		if (!used[b] && b != '\n')
			order[n++] = (unsigned char)b;
	order[n++] = '\n';
	order[n] = 0; /* NUL last: a request cannot hold it */
}

/* ---- regex cache ------------------------------------------------------- */

typedef struct reentry {
	char *key;               /* 'i' or '-', then the regex source */
	bool ok;
	sc_redfa dfa;
	char why[160];
} reentry;

struct sc_recache {
	sc_map map;
	sc_vec entries;
};

sc_recache *sc_recache_new(void)
{
	sc_recache *rc = sc_xcalloc(1, sizeof *rc);
	sc_map_init(&rc->map);
	return rc;
}

void sc_recache_free(sc_recache *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i < rc->entries.n; i++) {
		reentry *e = rc->entries.v[i];
		sc_redfa_free(&e->dfa);
		free(e->key);
		free(e);
	}
	sc_vec_free(&rc->entries);
	sc_map_fini(&rc->map);
	free(rc);
}

/* Keyed by source and flag: equal regexes of many items share one DFA. */
static const reentry *regex_dfa(sc_recache *rc, const sc_cond *c)
{
	char *key = sc_xcalloc(c->value.n + 2, 1);
	key[0] = c->caseless ? 'i' : '-';
	memcpy(key + 1, c->value.s, c->value.n);
	sc_str k = { key, c->value.n + 1 };
	reentry *e = sc_map_get(&rc->map, k);
	if (e) {
		free(key);
		return e;
	}
	e = sc_xcalloc(1, sizeof *e);
	e->key = key;
	if (!c->regex)
		snprintf(e->why, sizeof e->why, "a regex that did not compile");
	else
		e->ok = sc_redfa_build(&e->dfa, c->value.s, c->value.n, c->caseless, c->regex, e->why,
				       sizeof e->why) == 0;
	sc_map_put(&rc->map, k, e);
	sc_vec_push(&rc->entries, e);
	return e;
}

/* ---- numeric comparators ------------------------------------------------ */

/* A bound split as runtime/number.c compares it: sign, integer digits
 * without leading zeros, fraction digits without trailing zeros. */
typedef struct numc {
	bool neg, zero;
	const char *ip, *fp;
	uint32_t in, fn;
} numc;

enum { P_START, P_SIGN, P_INT, P_DOT, P_FRAC, P_BAD };
enum { S_EQ, S_LT, S_GT };

#define NS(ph, neg, nz, st, pos) ((uint32_t)(ph) | (uint32_t)(neg) << 3 | (uint32_t)(nz) << 4 | (uint32_t)(st) << 5 | (uint32_t)(pos) << 7)
#define NS_PH(q) ((q) & 7u)
#define NS_NEG(q) (((q) >> 3) & 1u)
#define NS_NZ(q) (((q) >> 4) & 1u)
#define NS_ST(q) (((q) >> 5) & 3u)
#define NS_POS(q) ((q) >> 7)

static void numc_init(numc *c, sc_str lit)
{
	size_t i = 0, n = lit.n;
	const char *s = lit.s;
	c->neg = n && s[0] == '-';
	if (n && (s[0] == '+' || s[0] == '-'))
		i++;
	while (i < n && s[i] == '0')
		i++;
	c->ip = s + i;
	while (i < n && s[i] != '.')
		i++;
	c->in = (uint32_t)(s + i - c->ip);
	c->fp = i < n ? s + i + 1 : s + i;
	c->fn = i < n ? (uint32_t)(n - i - 1) : 0;
	while (c->fn && c->fp[c->fn - 1] == '0')
		c->fn--;
	c->zero = c->in == 0 && c->fn == 0;
	if (c->zero)
		c->neg = false;
}

static int digit_cmp(char a, char b)
{
	return a < b ? S_LT : a > b ? S_GT : S_EQ;
}

/* One byte of a candidate number: the status compares the magnitude read
 * so far with the bound's (integer digits first: more of them, larger). */
static uint32_t numc_step(const numc *c, uint32_t q, unsigned b)
{
	uint32_t ph = NS_PH(q), neg = NS_NEG(q), nz = NS_NZ(q), st = NS_ST(q), pos = NS_POS(q);
	bool digit = b >= '0' && b <= '9';
	switch (ph) {
	case P_START:
		if (b == '+' || b == '-')
			return NS(P_SIGN, b == '-', 0, S_EQ, 0);
		/* fall through */
	case P_SIGN:
	case P_INT:
		if (b == '.' && ph == P_INT) {
			uint32_t s2 = pos > c->in ? S_GT : pos < c->in ? S_LT : st;
			return NS(P_DOT, neg, nz, s2, 0);
		}
		if (!digit)
			return NS(P_BAD, 0, 0, 0, 0);
		if (!nz && b == '0')
			return NS(P_INT, neg, 0, S_EQ, 0); /* a leading zero */
		if (pos < c->in && st == S_EQ)
			st = (uint32_t)digit_cmp((char)b, c->ip[pos]);
		return NS(P_INT, neg, 1, st, pos <= c->in ? pos + 1 : pos);
	case P_DOT:
	case P_FRAC:
		if (!digit)
			return NS(P_BAD, 0, 0, 0, 0);
		if (st == S_EQ)
			st = pos < c->fn ? (uint32_t)digit_cmp((char)b, c->fp[pos]) : b != '0' ? S_GT : S_EQ;
		return NS(P_FRAC, neg, nz | (b != '0'), st, pos < c->fn ? pos + 1 : pos);
	default:
		return q;
	}
}

/* -1, 0, 1: the value read against the bound; 2: not a number. */
static int numc_outcome(const numc *c, uint32_t q)
{
	uint32_t ph = NS_PH(q), st = NS_ST(q), pos = NS_POS(q);
	if (ph != P_INT && ph != P_FRAC)
		return 2;
	if (ph == P_INT)
		st = pos > c->in ? S_GT : pos < c->in ? S_LT : st;
	if (st == S_EQ && (ph == P_INT ? c->fn > 0 : pos < c->fn))
		st = S_LT; /* the bound has more (nonzero) fraction digits */
	int mag = st == S_EQ ? 0 : st == S_LT ? -1 : 1;
	int xs = NS_NZ(q) ? (NS_NEG(q) ? -1 : 1) : 0, cs = c->zero ? 0 : c->neg ? -1 : 1;
	if (xs != cs)
		return xs < cs ? -1 : 1;
	return xs == 0 ? 0 : xs * mag;
}

static unsigned numc_class(unsigned b)
{
	return b >= '0' && b <= '9' ? b - '0' : b == '+' ? 10 : b == '-' ? 11 : b == '.' ? 12 : 13;
}

/* ---- the components of one attribute ----------------------------------- */

enum { C_LIT, C_RE, C_NUM };

typedef struct comp {
	int kind;
	const sc_dfa *lit;
	const sc_redfa *re;
	numc num;
	uint32_t start;
} comp;

static uint32_t comp_step(const comp *c, uint32_t q, unsigned b)
{
	switch (c->kind) {
	case C_LIT:
		return q ? c->lit->trans[(size_t)q * (c->lit->nclasses + 1) + c->lit->cmap[b]] : 0;
	case C_RE:
		return q ? c->re->trans[(size_t)q * c->re->nclasses + c->re->cmap[b]] : 0;
	default:
		return numc_step(&c->num, q, b);
	}
}

static unsigned comp_class(const comp *c, unsigned b)
{
	return c->kind == C_LIT ? c->lit->cmap[b] : c->kind == C_RE ? c->re->cmap[b] : numc_class(b);
}

/* Label sets of the constants-and-globs DFA. */
typedef struct labels {
	uint32_t **ids, *n;
	uint32_t count, cap;
	sc_map index;
} labels;

static uint32_t intern_label(void *ctx, const uint32_t *ids, uint32_t n)
{
	labels *l = ctx;
	sc_str key = { (const char *)ids, n * sizeof *ids };
	void *v = sc_map_get(&l->index, key);
	if (v)
		return (uint32_t)(uintptr_t)v;
	if (l->count == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->ids = sc_xrealloc(l->ids, l->cap * sizeof *l->ids);
		l->n = sc_xrealloc(l->n, l->cap * sizeof *l->n);
	}
	uint32_t *copy = sc_xcalloc(n, sizeof *copy);
	memcpy(copy, ids, n * sizeof *ids);
	l->ids[l->count] = copy;
	l->n[l->count] = n;
	sc_map_put(&l->index, (sc_str){ (const char *)copy, n * sizeof *copy }, (void *)(uintptr_t)(l->count + 1));
	return ++l->count;
}

static bool label_has(const labels *l, uint32_t label, uint32_t id)
{
	if (!label)
		return false;
	const uint32_t *v = l->ids[label - 1];
	uint32_t lo = 0, hi = l->n[label - 1];
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (v[mid] == id)
			return true;
		if (v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* How each test reads the product state: which component, which ids. */
typedef struct tref {
	const sc_cond *t;
	int comp;                /* -1: not part of the outcome (has, unsupported) */
	uint32_t pat;            /* C_LIT: first pattern id; IN: nvalues of them */
} tref;

typedef struct attr {
	comp *c;
	uint32_t nc;
	tref *t;
	uint32_t nt;
	sc_dfa lit;
	bool has_lit;
	labels lab;
	sc_cells *out;
} attr;

static bool is_string_test(sc_cond_op op)
{
	return op == SC_C_EQ || op == SC_C_NE || op == SC_C_IN || op == SC_C_LIKE;
}

static bool is_number_test(sc_cond_op op)
{
	return op == SC_C_LT || op == SC_C_LE || op == SC_C_GT || op == SC_C_GE;
}

static void not_exact(sc_cells *out, const char *fmt, const char *arg, const sc_cond *t)
{
	if (!out->exact)
		return;
	out->exact = false;
	char what[300];
	snprintf(what, sizeof what, fmt, arg);
	if (t)
		snprintf(out->why, sizeof out->why, "regex /%.*s/ on '%.*s' uses %s", (int)(t->value.n > 80 ? 80 : t->value.n),
			 t->value.s, (int)(t->key.n > 40 ? 40 : t->key.n), t->key.s, what);
	else
		snprintf(out->why, sizeof out->why, "%s", what);
}

/* Constants of == != in and globs of like: one DFA, labelled by the
 * patterns that match the whole value. */
static void build_lit(attr *x)
{
	uint32_t npat = 0;
	size_t natoms = 0;
	for (uint32_t i = 0; i < x->nt; i++) {
		const sc_cond *t = x->t[i].t;
		if (!is_string_test(t->op))
			continue;
		x->t[i].pat = npat;
		if (t->op == SC_C_IN) {
			for (uint32_t k = 0; k < t->nvalues; k++)
				natoms += t->values[k].n;
			npat += t->nvalues;
		} else {
			natoms += t->value.n;
			npat++;
		}
	}
	if (!npat)
		return;
	uint16_t *atoms = sc_xcalloc(natoms + 1, sizeof *atoms);
	sc_dfa_pattern *pats = sc_xcalloc(npat, sizeof *pats);
	size_t k = 0;
	uint32_t p = 0;
	for (uint32_t i = 0; i < x->nt; i++) {
		const sc_cond *t = x->t[i].t;
		if (!is_string_test(t->op))
			continue;
		uint32_t nv = t->op == SC_C_IN ? t->nvalues : 1;
		for (uint32_t v = 0; v < nv; v++) {
			sc_str s = t->op == SC_C_IN ? t->values[v] : t->value;
			uint32_t n = 0;
			if (t->op == SC_C_LIKE)
				n = sc_dfa_glob_atoms(s.s, s.n, atoms + k);
			else /* a constant: every byte literal, '*' included */
				for (size_t j = 0; j < s.n; j++)
					atoms[k + n++] = (uint16_t)(unsigned char)s.s[j];
			pats[p] = (sc_dfa_pattern){ atoms + k, n, p };
			p++;
			k += n;
		}
	}
	sc_map_init(&x->lab.index);
	sc_dfa_limits lim = { CELLS_MAX_STATES, 64ull * CELLS_MAX_STATES };
	int rc = sc_dfa_build(&x->lit, pats, npat, intern_label, &x->lab, &lim);
	free(atoms);
	free(pats);
	if (rc != SC_DFA_OK) {
		not_exact(x->out, "too many attribute combinations (%s)", "the constants and globs of one attribute", NULL);
		for (uint32_t i = 0; i < x->nt; i++)
			if (is_string_test(x->t[i].t->op))
				x->t[i].comp = -1;
		return;
	}
	x->has_lit = true;
	x->c[x->nc] = (comp){ C_LIT, &x->lit, NULL, { 0 }, x->lit.start };
	for (uint32_t i = 0; i < x->nt; i++)
		if (is_string_test(x->t[i].t->op))
			x->t[i].comp = (int)x->nc;
	x->nc++;
}

/* One comparator per distinct bound (by value). */
static void build_numbers(attr *x)
{
	for (uint32_t i = 0; i < x->nt; i++) {
		const sc_cond *t = x->t[i].t;
		if (!is_number_test(t->op) || !sc_number_valid(t->value.s, t->value.n))
			continue; /* an invalid bound: always unknown, comp -1 reads so */
		uint32_t j = 0;
		for (; j < i; j++)
			if (is_number_test(x->t[j].t->op) && x->t[j].comp >= 0 &&
			    sc_number_cmp(t->value.s, t->value.n, x->t[j].t->value.s, x->t[j].t->value.n) == 0)
				break;
		if (j < i) {
			x->t[i].comp = x->t[j].comp;
			continue;
		}
		comp *c = &x->c[x->nc];
		memset(c, 0, sizeof *c);
		c->kind = C_NUM;
		numc_init(&c->num, t->value);
		c->start = NS(P_START, 0, 0, S_EQ, 0);
		x->t[i].comp = (int)x->nc++;
	}
}

static void build_regexes(attr *x, sc_recache *rc)
{
	for (uint32_t i = 0; i < x->nt; i++) {
		const sc_cond *t = x->t[i].t;
		if (t->op != SC_C_MATCHES)
			continue;
		uint32_t j = 0;
		for (; j < i; j++)
			if (x->t[j].t->op == SC_C_MATCHES && x->t[j].comp >= 0 && x->t[j].t->caseless == t->caseless &&
			    sc_str_eq(x->t[j].t->value, t->value))
				break;
		if (j < i) {
			x->t[i].comp = x->t[j].comp;
			continue;
		}
		const reentry *e = regex_dfa(rc, t);
		if (!e->ok) {
			not_exact(x->out, "%s", e->why, t);
			continue;
		}
		x->c[x->nc] = (comp){ C_RE, NULL, &e->dfa, { 0 }, e->dfa.start };
		x->t[i].comp = (int)x->nc++;
	}
}

/* The outcome of test R in product state Q: 0 false, 1 true, 2 unknown. */
static uint8_t outcome(const attr *x, const tref *r, const uint32_t *q)
{
	const sc_cond *t = r->t;
	if (is_number_test(t->op) && r->comp < 0)
		return 2;
	if (r->comp < 0)
		return 0; /* has (always true here) or unsupported: not told apart */
	uint32_t s = q[r->comp];
	const comp *c = &x->c[r->comp];
	switch (t->op) {
	case SC_C_EQ: case SC_C_LIKE: return label_has(&x->lab, c->lit->label[s], r->pat);
	case SC_C_NE: return !label_has(&x->lab, c->lit->label[s], r->pat);
	case SC_C_IN:
		for (uint32_t k = 0; k < t->nvalues; k++)
			if (label_has(&x->lab, c->lit->label[s], r->pat + k))
				return 1;
		return 0;
	case SC_C_MATCHES: return s && c->re->accept[s];
	default: {
		int o = numc_outcome(&c->num, s);
		if (o == 2)
			return 2;
		return t->op == SC_C_LT ? o < 0 : t->op == SC_C_LE ? o <= 0 : t->op == SC_C_GT ? o > 0 : o >= 0;
	}
	}
}

/* ---- the product walk ------------------------------------------------------ */

typedef struct pwalk {
	uint32_t m;              /* components */
	uint32_t *tup;           /* m per node */
	uint32_t *parent;
	uint8_t *byte;
	uint32_t n, cap, max;     /* max: the state budget */
	uint32_t *hash;
	size_t hcap;
} pwalk;

static uint64_t tup_hash(const uint32_t *t, uint32_t m)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t i = 0; i < m; i++) {
		h ^= t[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static void pw_rehash(pwalk *w)
{
	free(w->hash);
	w->hcap = w->hcap ? 2 * w->hcap : 256;
	w->hash = sc_xcalloc(w->hcap, sizeof *w->hash);
	for (uint32_t i = 0; i < w->n; i++) {
		size_t s = tup_hash(w->tup + (size_t)i * w->m, w->m) & (w->hcap - 1);
		while (w->hash[s])
			s = (s + 1) & (w->hcap - 1);
		w->hash[s] = i + 1;
	}
}

/* Adds tuple T unless known: 1 added, 0 known, -1 over the budget. */
static int pw_add(pwalk *w, const uint32_t *t, uint32_t parent, uint8_t byte)
{
	if (2 * ((size_t)w->n + 1) > w->hcap)
		pw_rehash(w);
	size_t s = tup_hash(t, w->m) & (w->hcap - 1);
	for (; w->hash[s]; s = (s + 1) & (w->hcap - 1))
		if (memcmp(w->tup + (size_t)(w->hash[s] - 1) * w->m, t, w->m * sizeof *t) == 0)
			return 0;
	if (w->n == w->max)
		return -1;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->tup = sc_xrealloc(w->tup, (size_t)w->cap * (w->m ? w->m : 1) * sizeof *w->tup);
		w->parent = sc_xrealloc(w->parent, w->cap * sizeof *w->parent);
		w->byte = sc_xrealloc(w->byte, w->cap);
	}
	memcpy(w->tup + (size_t)w->n * w->m, t, w->m * sizeof *t);
	w->parent[w->n] = parent;
	w->byte[w->n] = byte;
	w->hash[s] = ++w->n;
	return 1;
}

static size_t pw_depth(const pwalk *w, uint32_t i)
{
	size_t d = 0;
	for (; i; i = w->parent[i])
		d++;
	return d;
}

static sc_str pw_string(const pwalk *w, uint32_t i, sc_arena *a)
{
	size_t n = pw_depth(w, i);
	char *s = sc_arena_alloc(a, n + 1);
	for (size_t j = n; i; i = w->parent[i])
		s[--j] = (char)w->byte[i];
	return (sc_str){ s, n };
}

/* One representative byte per class of every component at once. */
static unsigned joint_reps(const attr *x, unsigned char *reps)
{
	unsigned char order[256];
	sc_preferred_bytes(order);
	uint16_t cls[256] = { 0 };
	unsigned ncls = 1;
	for (uint32_t k = 0; k < x->nc; k++) {
		int16_t *remap = sc_xcalloc((size_t)ncls * 257, sizeof *remap);
		unsigned n = 0;
		for (unsigned b = 0; b < 256; b++) {
			size_t key = (size_t)cls[b] * 257 + comp_class(&x->c[k], b);
			if (!remap[key])
				remap[key] = (int16_t)++n;
			cls[b] = (uint16_t)(remap[key] - 1);
		}
		free(remap);
		ncls = n;
	}
	bool seen[256] = { false };
	unsigned n = 0;
	for (unsigned i = 0; i < 256; i++)
		if (!seen[cls[order[i]]]) {
			seen[cls[order[i]]] = true;
			reps[n++] = order[i];
		}
	return n;
}

/* A cell: its outcome vector and the node of its witness. */
typedef struct cellset {
	sc_map index;            /* outcome bytes -> cell + 1 */
	uint32_t *node;
	uint32_t n, cap;
	bool full;
} cellset;

static void note_cell(cellset *cs, uint32_t node, const uint8_t *vec, uint32_t nt, sc_arena *a)
{
	sc_str key = { (const char *)vec, nt };
	void *v = sc_map_get(&cs->index, key);
	if (v) {
		uint32_t k = (uint32_t)(uintptr_t)v - 1;
		if (cs->node[k] == 0 && node != 0)
			cs->node[k] = node; /* a nonempty witness reads better than "" */
		return;
	}
	if (cs->n == CELLS_MAX) {
		cs->full = true;
		return;
	}
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 16;
		cs->node = sc_xrealloc(cs->node, cs->cap * sizeof *cs->node);
	}
	char *copy = sc_arena_alloc(a, nt ? nt : 1);
	memcpy(copy, vec, nt);
	cs->node[cs->n++] = node;
	sc_map_put(&cs->index, (sc_str){ copy, nt }, (void *)(uintptr_t)cs->n);
}

/* Walks the product breadth-first, noting the cell of every state. */
static void walk_product(attr *x, sc_arena *a)
{
	pwalk w = { 0 };
	w.m = x->nc;
	w.max = CELLS_MAX_WORDS / w.m < CELLS_MAX_STATES ? CELLS_MAX_WORDS / w.m : CELLS_MAX_STATES;
	cellset cs = { 0 };
	sc_map_init(&cs.index);
	uint32_t *t = sc_xcalloc(x->nc + 1, sizeof *t);
	uint8_t *vec = sc_xcalloc(x->nt + 1, 1);
	unsigned char reps[256];
	unsigned nreps = joint_reps(x, reps);
	for (uint32_t k = 0; k < x->nc; k++)
		t[k] = x->c[k].start;
	pw_add(&w, t, 0, 0);
	bool over = false;
	for (uint32_t i = 0; i < w.n && !over; i++) {
		const uint32_t *q = w.tup + (size_t)i * w.m;
		for (uint32_t k = 0; k < x->nt; k++)
			vec[k] = outcome(x, &x->t[k], q);
		note_cell(&cs, i, vec, x->nt, a);
		for (unsigned r = 0; r < nreps && !over; r++) {
			/* A value with a NUL byte is no request (lines and JSON both
			 * refuse one): a cell only such values reach is not a cell.
			 * Taken, the walk made witnesses like k="\0" that diff
			 * printed cut at the NUL (k="), which eval refuses. */
			if (reps[r] == 0)
				continue;
			q = w.tup + (size_t)i * w.m; /* pw_add may move it */
			for (uint32_t k = 0; k < x->nc; k++)
				t[k] = comp_step(&x->c[k], q[k], reps[r]);
			over = pw_add(&w, t, i, reps[r]) < 0;
		}
	}
	if (over || cs.full) {
		char n[64];
		snprintf(n, sizeof n, "%u", over ? w.max : CELLS_MAX);
		not_exact(x->out, over ? "too many attribute combinations (more than %s value states)"
				       : "too many attribute combinations (more than %s cells)", n, NULL);
	}
	x->out->vals = sc_xcalloc(cs.n + 1, sizeof *x->out->vals);
	for (uint32_t k = 0; k < cs.n; k++)
		x->out->vals[x->out->n++] = pw_string(&w, cs.node[k], a);
	free(t);
	free(vec);
	free(cs.node);
	sc_map_fini(&cs.index);
	free(w.tup);
	free(w.parent);
	free(w.byte);
	free(w.hash);
}

void sc_cells_build(sc_cells *out, const sc_cond *const *tests, uint32_t ntests, sc_recache *rc, sc_arena *a)
{
	memset(out, 0, sizeof *out);
	out->exact = true;
	attr x;
	memset(&x, 0, sizeof x);
	x.out = out;
	x.t = sc_xcalloc(ntests + 1, sizeof *x.t);
	x.c = sc_xcalloc(ntests + 2, sizeof *x.c);
	for (uint32_t i = 0; i < ntests; i++)
		x.t[x.nt++] = (tref){ tests[i], -1, 0 };
	build_lit(&x);
	build_numbers(&x);
	build_regexes(&x, rc);
	if (x.nc) {
		walk_product(&x, a);
	} else { /* only has (or unsupported) tests: any value will do */
		out->vals = sc_xcalloc(1, sizeof *out->vals);
		out->vals[out->n++] = sc_str_c("x");
	}
	if (x.has_lit)
		sc_dfa_free(&x.lit);
	if (x.lab.index.slots) {
		for (uint32_t i = 0; i < x.lab.count; i++)
			free(x.lab.ids[i]);
		free(x.lab.ids);
		free(x.lab.n);
		sc_map_fini(&x.lab.index);
	}
	free(x.t);
	free(x.c);
}

void sc_cells_free(sc_cells *c)
{
	free(c->vals);
	memset(c, 0, sizeof *c);
}
