/* diff.c — see diff.h.  The pieces, in order: labelled task automata, the
 * product walk, attribute construction for conditions, and the report. */
#include "diff.h"
#include "arena.h"
#include "attrset.h"
#include "backend.h"
#include "dfa.h"
#include "explain.h"
#include "map.h"
#include "number.h"
#include "refeval.h"
#include "report.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SC_DIFF_DEFAULT_STATES (1u << 21)
#define SC_DIFF_MAX_NODES (8u * 1024 * 1024)   /* product states walked per task */
#define SC_DIFF_MAX_COMBOS 16384u              /* attribute assignments tried */

/* ---- labelled task automata ------------------------------------------ */

typedef struct lset {
	uint32_t *ids;           /* item indices, ascending */
	uint32_t n;
} lset;

/* One task of one policy as a DFA whose labels are sets of items. */
typedef struct tdfa {
	const sc_policy *p;
	const sc_task *task;     /* NULL: not declared (everything denied) */
	sc_dfa dfa;
	bool built;              /* false: no item, every state is dead */
	lset *sets;              /* label L >= 1 is sets[L - 1] */
	uint32_t nsets, capsets;
	sc_map index;            /* ids bytes -> label */
} tdfa;

static uint32_t intern_label(void *ctx, const uint32_t *ids, uint32_t n)
{
	tdfa *t = ctx;
	sc_str key = { (const char *)ids, n * sizeof *ids };
	void *v = sc_map_get(&t->index, key);
	if (v)
		return (uint32_t)(uintptr_t)v;
	if (t->nsets == t->capsets) {
		t->capsets = t->capsets ? 2 * t->capsets : 64;
		t->sets = sc_xrealloc(t->sets, t->capsets * sizeof *t->sets);
	}
	uint32_t *copy = sc_xcalloc(n, sizeof *copy);
	memcpy(copy, ids, n * sizeof *ids);
	t->sets[t->nsets] = (lset){ copy, n };
	sc_map_put(&t->index, (sc_str){ (const char *)copy, n * sizeof *copy }, (void *)(uintptr_t)(t->nsets + 1));
	return ++t->nsets;
}

static int tdfa_build(tdfa *t, const sc_policy *p, sc_str name, uint32_t max_states)
{
	memset(t, 0, sizeof *t);
	t->p = p;
	sc_map_init(&t->index);
	t->task = sc_policy_find_task(p, name);
	if (!t->task || t->task->nitems == 0)
		return 0;
	size_t total = 0;
	for (uint32_t i = 0; i < t->task->nitems; i++)
		total += t->task->items[i]->action.n + t->task->items[i]->resource.n + 2;
	uint16_t *atoms = sc_xcalloc(total, sizeof *atoms);
	sc_dfa_pattern *pats = sc_xcalloc(t->task->nitems, sizeof *pats);
	size_t k = 0;
	for (uint32_t i = 0; i < t->task->nitems; i++) {
		const sc_item *it = t->task->items[i];
		uint32_t n = sc_backend_item_atoms(it, atoms + k);
		pats[i] = (sc_dfa_pattern){ atoms + k, n, it->index };
		k += n;
	}
	sc_dfa_limits lim = { max_states, 64ull * max_states };
	int rc = sc_dfa_build(&t->dfa, pats, t->task->nitems, intern_label, t, &lim);
	free(atoms);
	free(pats);
	if (rc != SC_DFA_OK)
		return -1;
	t->built = true;
	return 0;
}

static void tdfa_free(tdfa *t)
{
	if (t->built)
		sc_dfa_free(&t->dfa);
	for (uint32_t i = 0; i < t->nsets; i++)
		free(t->sets[i].ids);
	free(t->sets);
	sc_map_fini(&t->index);
}

#define SYM_SEP 256u

static uint32_t step(const tdfa *t, uint32_t q, unsigned sym)
{
	if (!t->built || q == 0)
		return 0;
	uint32_t k = t->dfa.nclasses;
	uint32_t c = sym == SYM_SEP ? k : t->dfa.cmap[sym];
	return t->dfa.trans[(size_t)q * (k + 1) + c];
}

static uint32_t start_of(const tdfa *t)
{
	return t->built ? t->dfa.start : 0;
}

static uint32_t label_of(const tdfa *t, uint32_t q)
{
	return t->built ? t->dfa.label[q] : 0;
}

static unsigned class_of(const tdfa *t, unsigned b)
{
	return t->built ? t->dfa.cmap[b] : 0;
}

/* One representative byte per pair of classes: every byte of a pair moves
 * both automata alike, so walking the representatives is exact. */
static unsigned joint_classes(const tdfa *a, const tdfa *b, unsigned char *reps)
{
	unsigned char order[256];
	sc_preferred_bytes(order);
	unsigned char *seen = sc_xcalloc(256 * 256, 1);
	unsigned n = 0;
	for (unsigned i = 0; i < 256; i++) {
		unsigned byte = order[i];
		unsigned key = class_of(a, byte) * 256 + class_of(b, byte);
		if (!seen[key]) {
			seen[key] = 1;
			reps[n++] = (unsigned char)byte;
		}
	}
	free(seen);
	return n;
}

/* ---- the product walk -------------------------------------------------- */

typedef struct pnode {
	uint32_t qo, qn;
	uint32_t parent;         /* UINT32_MAX at the start */
	uint16_t sym;            /* byte or SYM_SEP that led here */
	uint8_t flags;           /* 0: action, empty so far; 1: action; 2: resource */
} pnode;

typedef struct walk {
	pnode *node;
	uint32_t n, cap;
	uint32_t *hash;          /* node index + 1, open addressing */
	size_t hcap;
} walk;

static uint64_t node_key(uint32_t qo, uint32_t qn, uint8_t flags)
{
	return ((uint64_t)qo << 34) ^ ((uint64_t)flags << 32) ^ qn;
}

static size_t hslot(uint64_t key, size_t mask)
{
	key ^= key >> 29;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 32;
	return (size_t)key & mask;
}

static void walk_rehash(walk *w)
{
	free(w->hash);
	w->hcap = w->hcap ? 2 * w->hcap : 1024;
	w->hash = sc_xcalloc(w->hcap, sizeof *w->hash);
	for (uint32_t i = 0; i < w->n; i++) {
		size_t s = hslot(node_key(w->node[i].qo, w->node[i].qn, w->node[i].flags), w->hcap - 1);
		while (w->hash[s])
			s = (s + 1) & (w->hcap - 1);
		w->hash[s] = i + 1;
	}
}

/* Adds a node unless it is known; returns false when the walk is too big. */
static bool walk_add(walk *w, uint32_t qo, uint32_t qn, uint8_t flags, uint32_t parent, uint16_t sym)
{
	if (2 * (w->n + 1) > w->hcap)
		walk_rehash(w);
	uint64_t key = node_key(qo, qn, flags);
	size_t s = hslot(key, w->hcap - 1);
	while (w->hash[s]) {
		const pnode *p = &w->node[w->hash[s] - 1];
		if (p->qo == qo && p->qn == qn && p->flags == flags)
			return true;
		s = (s + 1) & (w->hcap - 1);
	}
	if (w->n == SC_DIFF_MAX_NODES)
		return false;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 1024;
		w->node = sc_xrealloc(w->node, w->cap * sizeof *w->node);
	}
	w->node[w->n] = (pnode){ qo, qn, parent, sym, flags };
	w->hash[s] = ++w->n;
	return true;
}

/* The action and resource of the path to node I (buffers of the caller). */
static void walk_example(const walk *w, uint32_t i, char **action, size_t *alen, char **res, size_t *rlen)
{
	size_t n = 0;
	for (uint32_t k = i; w->node[k].parent != UINT32_MAX; k = w->node[k].parent)
		n++;
	uint16_t *syms = sc_xcalloc(n, sizeof *syms);
	size_t j = n;
	for (uint32_t k = i; w->node[k].parent != UINT32_MAX; k = w->node[k].parent)
		syms[--j] = w->node[k].sym;
	*action = sc_xcalloc(n + 1, 1);
	*res = sc_xcalloc(n + 1, 1);
	*alen = *rlen = 0;
	bool in_res = false;
	for (size_t k = 0; k < n; k++) {
		if (syms[k] == SYM_SEP)
			in_res = true;
		else if (in_res)
			(*res)[(*rlen)++] = (char)syms[k];
		else
			(*action)[(*alen)++] = (char)syms[k];
	}
	free(syms);
}

/* ---- conditions: structure and attribute construction ----------------- */

static void sput_str(sc_buf *b, sc_str s)
{
	char n[32];
	snprintf(n, sizeof n, "%zu:", s.n); /* length-prefixed: unambiguous */
	sc_buf_puts(b, n);
	sc_buf_put(b, s.s, s.n);
}

/* A canonical text of a condition: equal texts, equal truth everywhere.
 * Depth is bounded (SC_MAX_COND_DEPTH), so recursion is too. */
static void cond_repr(sc_buf *b, const sc_cond *c)
{
	sc_buf_puts(b, sc_cond_op_names[c->op]);
	sc_buf_puts(b, "(");
	if (c->op == SC_C_AND || c->op == SC_C_OR || c->op == SC_C_NOT) {
		for (uint32_t i = 0; i < c->nkids; i++)
			cond_repr(b, c->kids[i]);
	} else {
		sput_str(b, c->key);
		sput_str(b, c->value);
		for (uint32_t i = 0; i < c->nvalues; i++)
			sput_str(b, c->values[i]);
		if (c->caseless)
			sc_buf_puts(b, "/i");
	}
	sc_buf_puts(b, ")");
}

static char *item_repr(const sc_item *it)
{
	sc_buf b = { 0 };
	char k[2] = { (char)('0' + it->kind), 0 };
	sc_buf_puts(&b, k);
	if (it->cond)
		cond_repr(&b, it->cond);
	return b.s;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted distinct item representations of a label. */
static char **label_reprs(const sc_item *const *items, uint32_t n, uint32_t *out_n)
{
	char **r = sc_xcalloc(n, sizeof *r);
	for (uint32_t i = 0; i < n; i++)
		r[i] = item_repr(items[i]);
	qsort(r, n, sizeof *r, strp_cmp);
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (m && strcmp(r[m - 1], r[i]) == 0) {
			free(r[i]);
			continue;
		}
		r[m++] = r[i];
	}
	*out_n = m;
	return r;
}

/* The decision among matching items depends only on their kinds and
 * conditions: equal sets of those decide alike for every attribute set. */
static bool same_structure(const sc_item *const *a, uint32_t na, const sc_item *const *b, uint32_t nb)
{
	uint32_t ma, mb;
	char **ra = label_reprs(a, na, &ma), **rb = label_reprs(b, nb, &mb);
	bool same = ma == mb;
	for (uint32_t i = 0; same && i < ma; i++)
		same = strcmp(ra[i], rb[i]) == 0;
	for (uint32_t i = 0; i < ma; i++)
		free(ra[i]);
	for (uint32_t i = 0; i < mb; i++)
		free(rb[i]);
	free(ra);
	free(rb);
	return same;
}

/* The tests on one attribute key, and the values that stand for it. */
typedef struct kcand {
	sc_str key;
	const sc_cond **tests;
	uint32_t nt, capt;
	sc_str *vals;            /* a witness per cell (attrset.h), then guesses */
	uint32_t n, cap;
} kcand;

/* Cells computed once per distinct list of tests on a key: in a large
 * policy the same conditions meet at many pairs of labels. */
typedef struct cellcache {
	sc_recache *rc;          /* regex automata */
	sc_map map;              /* canonical tests -> sc_cells (arena) */
	sc_vec keys;             /* the map's key storage */
	sc_arena *a;             /* witnesses and sc_cells */
} cellcache;

typedef struct cands {
	kcand *k;
	uint32_t n, cap;
	bool complete;           /* the values cover every outcome of every test */
	char why[512];           /* when not complete: why (names the feature) */
	sc_arena *a;             /* generated strings */
} cands;

static kcand *key_entry(cands *c, sc_str key)
{
	for (uint32_t i = 0; i < c->n; i++)
		if (sc_str_eq(c->k[i].key, key))
			return &c->k[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->k = sc_xrealloc(c->k, c->cap * sizeof *c->k);
	}
	kcand *k = &c->k[c->n++];
	memset(k, 0, sizeof *k);
	k->key = key;
	return k;
}

/* Adds V unless present. */
static void add_value(kcand *k, sc_str v)
{
	for (uint32_t i = 0; i < k->n; i++)
		if (sc_str_eq(k->vals[i], v))
			return;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 8;
		k->vals = sc_xrealloc(k->vals, k->cap * sizeof *k->vals);
	}
	k->vals[k->n++] = v;
}

static void add_test(kcand *k, const sc_cond *t)
{
	if (k->nt == k->capt) {
		k->capt = k->capt ? 2 * k->capt : 8;
		k->tests = sc_xrealloc(k->tests, k->capt * sizeof *k->tests);
	}
	k->tests[k->nt++] = t;
}

/* A string a simple regex probably matches: anchors dropped, classes and
 * escapes replaced by one member, `+` kept once, `*` and `?` dropped,
 * {n,m} repeated n times, the first alternative of a group.  Only a guess:
 * the search runs the real regex on it, and an empty result is no witness. */
static sc_str regex_witness(cands *c, sc_str re)
{
	char *w = sc_arena_alloc(c->a, re.n * 8 + 1);
	size_t n = 0, atom = 0; /* start of the last atom in w */
	int skip_depth = -1, depth = 0;
	for (size_t i = 0; i < re.n; i++) {
		char ch = re.s[i];
		if (skip_depth >= 0) { /* skipping the other alternatives of a group */
			if (ch == '\\')
				i++;
			else if (ch == '(')
				depth++;
			else if (ch == ')' && depth-- == skip_depth)
				skip_depth = -1; /* the group that had the '|' is closed */
			continue;
		}
		size_t here = n;
		if ((ch == '^' && i == 0) || (ch == '$' && i + 1 == re.n))
			continue;
		if (ch == '(') {
			depth++;
			if (i + 2 < re.n && re.s[i + 1] == '?' && re.s[i + 2] == ':')
				i += 2;
			continue;
		}
		if (ch == ')') {
			depth--;
			continue;
		}
		if (ch == '|') {
			if (depth == 0)
				break;
			skip_depth = depth; /* resume after this group's ')' */
			continue;
		}
		if (ch == '+')
			continue;
		if (ch == '*' || ch == '?') {
			n = atom;
			continue;
		}
		if (ch == '{') {
			unsigned rep = 0;
			size_t j = i + 1;
			while (j < re.n && re.s[j] >= '0' && re.s[j] <= '9')
				rep = rep * 10 + (unsigned)(re.s[j++] - '0');
			while (j < re.n && re.s[j] != '}')
				j++;
			i = j;
			size_t len = n - atom;
			if (rep == 0)
				n = atom;
			for (unsigned r = 1; r < rep && r < 8 && len; r++) {
				memmove(w + n, w + atom, len);
				n += len;
			}
			continue;
		}
		if (ch == '\\' && i + 1 < re.n) {
			char e = re.s[++i];
			w[n++] = e == 'd' ? '0' : e == 'w' ? 'a' : e == 's' ? ' ' : e;
		} else if (ch == '[') {
			size_t j = i + 1;
			if (j < re.n && re.s[j] == '^')
				return (sc_str){ "", 0 };
			w[n++] = j < re.n ? re.s[j] : 'a';
			while (j < re.n && re.s[j] != ']')
				j += re.s[j] == '\\' ? 2 : 1;
			i = j;
		} else if (ch == '.') {
			w[n++] = 'a';
		} else {
			w[n++] = ch;
		}
		atom = here;
	}
	return (sc_str){ w, n };
}

/* Depth is bounded (SC_MAX_COND_DEPTH), so recursion is too. */
static void collect_tests(cands *c, const sc_cond *cond)
{
	if (cond->op == SC_C_AND || cond->op == SC_C_OR || cond->op == SC_C_NOT) {
		for (uint32_t i = 0; i < cond->nkids; i++)
			collect_tests(c, cond->kids[i]);
		return;
	}
	add_test(key_entry(c, cond->key), cond);
}

/* The cells of one key; where they are not exact (a regex feature that is
 * not regular, too many states) the reason is kept and guesses for the
 * regexes are added: the search may still find a change. */
static const sc_cells *cached_cells(cellcache *cc, const kcand *k)
{
	sc_buf b = { 0 };
	for (uint32_t i = 0; i < k->nt; i++)
		cond_repr(&b, k->tests[i]);
	sc_str key = { b.s, b.n };
	sc_cells *cells = sc_map_get(&cc->map, key);
	if (cells) {
		free(b.s);
		return cells;
	}
	cells = sc_arena_alloc(cc->a, sizeof *cells);
	sc_cells built;
	sc_cells_build(&built, k->tests, k->nt, cc->rc, cc->a);
	*cells = built;
	cells->vals = sc_arena_array(cc->a, built.n + 1, sizeof *cells->vals);
	memcpy(cells->vals, built.vals, built.n * sizeof *built.vals);
	sc_cells_free(&built);
	sc_map_put(&cc->map, key, cells);
	sc_vec_push(&cc->keys, b.s);
	return cells;
}

static void key_values(cands *c, kcand *k, cellcache *cc)
{
	const sc_cells *cells = cached_cells(cc, k);
	for (uint32_t i = 0; i < cells->n; i++)
		add_value(k, cells->vals[i]);
	if (!cells->exact) {
		if (c->complete)
			snprintf(c->why, sizeof c->why, "%s", cells->why);
		c->complete = false;
		for (uint32_t i = 0; i < k->nt; i++) {
			sc_str w = k->tests[i]->op == SC_C_MATCHES ? regex_witness(c, k->tests[i]->value) : (sc_str){ NULL, 0 };
			if (w.n)
				add_value(k, w);
		}
	}
}

static void cands_build(cands *c, const sc_item *const *a, uint32_t na, const sc_item *const *b, uint32_t nb,
			cellcache *cc)
{
	memset(c, 0, sizeof *c);
	c->complete = true;
	c->a = sc_arena_new();
	for (uint32_t i = 0; i < na; i++)
		if (a[i]->cond)
			collect_tests(c, a[i]->cond);
	for (uint32_t i = 0; i < nb; i++)
		if (b[i]->cond)
			collect_tests(c, b[i]->cond);
	for (uint32_t i = 0; i < c->n; i++)
		key_values(c, &c->k[i], cc);
}

static void cands_free(cands *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		free(c->k[i].vals);
		free(c->k[i].tests);
	}
	free(c->k);
	sc_arena_free(c->a);
}

/* ---- verdicts ---------------------------------------------------------- */

enum { V_SAME, V_CHANGED, V_UNDETERMINED };

typedef struct verdict {
	int kind;
	sc_result old, new;      /* decided by the whole policies (V_CHANGED) */
	char *request;           /* the example, eval syntax (malloc'd) */
	char *old_why, *new_why; /* explanations of old and new (malloc'd) */
	char *reason;            /* V_UNDETERMINED: why (malloc'd) */
} verdict;

typedef struct dctx {
	sc_diag *d;
	const sc_policy *po, *pn;
	sc_ref_ctx *ref;
	sc_str task;
	/* Both policies compiled by the back end: examples are re-checked with
	 * the runtime (code independent of this file's automata, and
	 * differentially tested against the reference evaluator), in time
	 * linear in the request; NULL falls back to the reference evaluator. */
	scope_policy *co, *cn;
	scope_scratch *scr;
	cellcache cells;
} dctx;

/* The decision of the whole old (NEW false) or new policy on RQ. */
static void decide_whole(dctx *x, bool new, const sc_request *rq, sc_result *out)
{
	const sc_policy *p = new ? x->pn : x->po;
	scope_policy *cp = new ? x->cn : x->co;
	if (cp && x->scr)
		sc_backend_decide(cp, x->scr, p, rq, out);
	else
		sc_ref_decide(x->ref, p, rq, out);
}

/* A copy of S.  The texts of a change were strdup'd unchecked: a NULL
 * was printed as "(null)", or made the JSON writer drop the change; out
 * of memory is fatal, as everywhere in scopec. */
static char *text_dup(const char *s)
{
	char *c = strdup(s);
	if (!c)
		sc_fatal_oom();
	return c;
}

static char *why_text(dctx *x, const sc_result *r, const sc_request *rq)
{
	char buf[PATH_MAX + 512];
	sc_explain(x->d, r, rq, buf, sizeof buf);
	return text_dup(buf);
}

static bool same_outcome(const verdict *a, const sc_result *o, const sc_result *n)
{
	return a->old.decision == o->decision && a->new.decision == n->decision && a->old.item == o->item &&
	       a->new.item == n->item && a->old.why == o->why && a->new.why == n->why;
}

static bool is_sep(char c)
{
	return c == '.' || c == '/';
}

/* A shortest example may end in a separator or hold an empty segment
 * ("forum.help.", "a..b"); fill such gaps with 'a' when both policies
 * still decide the request the same way, by the same items. */
static sc_str fill_gaps(dctx *x, sc_request *rq, sc_str *field, const verdict *v, char *buf, size_t cap)
{
	sc_str orig = *field;
	if (orig.n + 9 > cap)
		return orig;
	memcpy(buf, orig.s, orig.n);
	size_t n = orig.n;
	for (int tries = 0; tries < 8; tries++) {
		size_t at = SIZE_MAX;
		if (n && is_sep(buf[n - 1]))
			at = n;
		for (size_t i = 0; at == SIZE_MAX && i + 1 < n; i++)
			if (is_sep(buf[i]) && is_sep(buf[i + 1]))
				at = i + 1;
		if (at == SIZE_MAX)
			break;
		memmove(buf + at + 1, buf + at, n - at);
		buf[at] = 'a';
		*field = (sc_str){ buf, n + 1 };
		sc_result ro, rn;
		decide_whole(x, false, rq, &ro);
		decide_whole(x, true, rq, &rn);
		if (!same_outcome(v, &ro, &rn)) {
			memmove(buf + at, buf + at + 1, n - at); /* undo */
			break;
		}
		n++;
	}
	*field = (sc_str){ buf, n };
	return *field;
}

/* Fills the example text and explanations of V from the live request. */
static void describe(dctx *x, verdict *v, const sc_request *orig)
{
	char abuf[512], rbuf[512];
	sc_request rqc = *orig, *rq = &rqc;
	fill_gaps(x, rq, &rq->resource, v, rbuf, sizeof rbuf);
	fill_gaps(x, rq, &rq->action, v, abuf, sizeof abuf);
	char buf[4096];
	sc_request_format(rq, buf, sizeof buf);
	v->request = text_dup(buf);
	v->old_why = why_text(x, &v->old, rq);
	v->new_why = why_text(x, &v->new, rq);
}

static const sc_item **label_items(const tdfa *t, uint32_t label, uint32_t *n)
{
	*n = label ? t->sets[label - 1].n : 0;
	const sc_item **items = sc_xcalloc(*n, sizeof *items);
	for (uint32_t i = 0; i < *n; i++)
		items[i] = &t->p->items[t->sets[label - 1].ids[i]];
	return items;
}

/* The distinct changes found for one pair of labels: under different
 * attributes one pair may change in several ways (deny -> ask without an
 * attribute, deny -> allow with it); each is reported. */
#define SC_DIFF_MAX_OUTCOMES 9u

typedef struct found {
	verdict v[SC_DIFF_MAX_OUTCOMES];
	uint32_t n;
	bool mismatch;           /* the whole policies decided an example otherwise */
} found;


/* Tries assignment COMBO (value index per key; 0 = missing); a new kind of
 * change is added to F.  Returns false once F is full. */
static bool try_combo(dctx *x, const cands *c, const uint32_t *combo, sc_request *rq, sc_attr *attrs,
		      const sc_item *const *io, uint32_t no, const sc_item *const *in, uint32_t nn, found *f)
{
	rq->nattrs = 0;
	for (uint32_t k = 0; k < c->n; k++)
		if (combo[k])
			attrs[rq->nattrs++] = (sc_attr){ c->k[k].key, c->k[k].vals[combo[k] - 1] };
	rq->attrs = attrs;
	sc_result ro, rn;
	sc_ref_combine(x->ref, io, no, rq, &ro);
	sc_ref_combine(x->ref, in, nn, rq, &rn);
	if (ro.decision == rn.decision)
		return true;
	/* Re-check on the whole policies: the example must really be decided
	 * this way, or it is not printed. */
	verdict v;
	memset(&v, 0, sizeof v);
	decide_whole(x, false, rq, &v.old);
	decide_whole(x, true, rq, &v.new);
	if (v.old.decision != ro.decision || v.new.decision != rn.decision) {
		f->mismatch = true; /* a bug somewhere: never let it read as "equivalent" */
		return true;
	}
	for (uint32_t i = 0; i < f->n; i++)
		if (same_outcome(&f->v[i], &v.old, &v.new))
			return true;
	v.kind = V_CHANGED;
	describe(x, &v, rq);
	f->v[f->n++] = v;
	return f->n < SC_DIFF_MAX_OUTCOMES;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Searches attribute assignments: all of them when there are few (fewest
 * attributes first, so examples stay short), else each key alone, then a
 * deterministic sample.  *EXHAUSTIVE tells whether all were tried. */
static void search_attrs(dctx *x, const cands *c, sc_request *rq, const sc_item *const *io, uint32_t no,
			 const sc_item *const *in, uint32_t nn, found *f, bool *exhaustive)
{
	uint64_t total = 1;
	for (uint32_t k = 0; k < c->n && total <= SC_DIFF_MAX_COMBOS; k++)
		total *= c->k[k].n + 1;
	uint32_t *combo = sc_xcalloc(c->n, sizeof *combo);
	sc_attr *attrs = sc_xcalloc(c->n, sizeof *attrs);
	bool more = true;
	*exhaustive = total <= SC_DIFF_MAX_COMBOS;
	if (*exhaustive) {
		for (uint32_t present = 0; present <= c->n && more; present++) {
			memset(combo, 0, c->n * sizeof *combo);
			for (;;) {
				uint32_t cnt = 0;
				for (uint32_t k = 0; k < c->n; k++)
					cnt += combo[k] != 0;
				if (cnt == present && !(more = try_combo(x, c, combo, rq, attrs, io, no, in, nn, f)))
					break;
				uint32_t k = 0;
				while (k < c->n && ++combo[k] > c->k[k].n)
					combo[k++] = 0;
				if (k == c->n)
					break;
			}
		}
	} else {
		for (uint32_t k = 0; k < c->n && more; k++)
			for (uint32_t j = 1; j <= c->k[k].n && more; j++) {
				memset(combo, 0, c->n * sizeof *combo);
				combo[k] = j;
				more = try_combo(x, c, combo, rq, attrs, io, no, in, nn, f);
			}
		uint64_t seed = 0x9e3779b97f4a7c15ull;
		for (uint32_t s = 0; s < SC_DIFF_MAX_COMBOS && more; s++) {
			for (uint32_t k = 0; k < c->n; k++)
				combo[k] = (uint32_t)(xorshift(&seed) % (c->k[k].n + 1));
			more = try_combo(x, c, combo, rq, attrs, io, no, in, nn, f);
		}
	}
	free(combo);
	free(attrs);
}

/* Every kind of change between labels LO and LN, or one undetermined
 * verdict, or nothing (the same decisions everywhere). */
static void verdicts_for(dctx *x, const tdfa *o, const tdfa *n, uint32_t lo, uint32_t ln, sc_str action,
			 sc_str resource, found *f)
{
	f->n = 0;
	f->mismatch = false;
	uint32_t no, nn;
	const sc_item **io = label_items(o, lo, &no), **in = label_items(n, ln, &nn);
	if (!same_structure(io, no, in, nn)) {
		cands c;
		cands_build(&c, io, no, in, nn, &x->cells);
		sc_request rq = { x->task, action, resource, NULL, 0 };
		bool exhaustive;
		search_attrs(x, &c, &rq, io, no, in, nn, f, &exhaustive);
		if (f->n == 0 && (f->mismatch || !(c.complete && exhaustive))) {
			verdict *v = &f->v[f->n++];
			memset(v, 0, sizeof *v);
			v->kind = V_UNDETERMINED;
			rq.nattrs = 0;
			decide_whole(x, false, &rq, &v->old);
			decide_whole(x, true, &rq, &v->new);
			describe(x, v, &rq);
			char why[600];
			if (f->mismatch)
				snprintf(why, sizeof why, "an example was decided differently by the whole policies "
					 "than by the matching items (internal error)");
			else if (c.complete)
				snprintf(why, sizeof why, "too many attribute combinations (more than %u)", SC_DIFF_MAX_COMBOS);
			else
				snprintf(why, sizeof why, "%s", c.why);
			v->reason = text_dup(why);
		}
		cands_free(&c);
	}
	free(io);
	free(in);
}

/* ---- report ------------------------------------------------------------ */

typedef struct change {
	sc_str task;
	int kind;                /* V_CHANGED or V_UNDETERMINED */
	verdict v;
} change;

typedef struct report {
	change *c;
	size_t n, cap;
	sc_map groups;           /* one line per distinct change */
	sc_vec keys;             /* the map's key storage */
	unsigned widen, narrow, undetermined;
	uint32_t tasks_changed;
} report;

/* Changes with the same decisions and the same deciding items are one. */
static bool new_group(report *rp, sc_str task, const verdict *v, uint32_t lo, uint32_t ln)
{
	char key[256];
	int n;
	if (v->kind == V_CHANGED)
		n = snprintf(key, sizeof key, "C%d:%d:%ld:%ld:%d:%d", v->old.decision, v->new.decision,
			     v->old.item ? (long)v->old.item->index : -1, v->new.item ? (long)v->new.item->index : -1,
			     v->old.why, v->new.why);
	else
		n = snprintf(key, sizeof key, "U%u:%u", lo, ln);
	size_t len = task.n + 1 + (size_t)n;
	char *k = sc_xcalloc(len + 1, 1);
	memcpy(k, task.s, task.n);
	k[task.n] = '\0';
	memcpy(k + task.n + 1, key, (size_t)n);
	if (sc_map_put(&rp->groups, (sc_str){ k, len }, rp)) {
		free(k);
		return false;
	}
	sc_vec_push(&rp->keys, k);
	return true;
}

static void add_change(report *rp, const dctx *x, const verdict *v)
{
	if (rp->n == rp->cap) {
		rp->cap = rp->cap ? 2 * rp->cap : 16;
		rp->c = sc_xrealloc(rp->c, rp->cap * sizeof *rp->c);
	}
	change *c = &rp->c[rp->n++];
	c->task = x->task;
	c->kind = v->kind;
	c->v = *v;
	if (v->kind == V_UNDETERMINED)
		rp->undetermined++;
	else if (v->new.decision < v->old.decision)
		rp->widen++;
	else
		rp->narrow++;
}

/* Compares one task; returns 0, or -1 if it is too big to compare. */
static int diff_task(dctx *x, report *rp, uint32_t max_states)
{
	tdfa o, n;
	int rc = tdfa_build(&o, x->po, x->task, max_states);
	if (rc == 0)
		rc = tdfa_build(&n, x->pn, x->task, max_states);
	else
		memset(&n, 0, sizeof n), sc_map_init(&n.index);
	char q[128];
	sc_quote(q, sizeof q, x->task);
	if (rc < 0) {
		sc_error(x->d, SC_NOWHERE, "diff: task '%s' has more than %u automaton states; it cannot be "
			 "compared exactly (nothing is reported equivalent)", q, max_states);
		tdfa_free(&o);
		tdfa_free(&n);
		return -1;
	}
	unsigned char reps[256];
	unsigned nreps = joint_classes(&o, &n, reps);
	walk w = { 0 };
	sc_map seen_pairs;
	sc_map_init(&seen_pairs);
	sc_vec pair_keys = { 0 };
	size_t before = rp->n;
	walk_add(&w, start_of(&o), start_of(&n), 0, UINT32_MAX, 0);
	for (uint32_t i = 0; i < w.n && rc == 0; i++) {
		pnode nd = w.node[i];
		if (nd.flags == 2) {
			uint32_t lo = label_of(&o, nd.qo), ln = label_of(&n, nd.qn);
			uint64_t *pk = sc_xcalloc(1, sizeof *pk);
			*pk = ((uint64_t)lo << 32) | ln;
			if ((lo || ln) && !sc_map_put(&seen_pairs, (sc_str){ (const char *)pk, sizeof *pk }, pk)) {
				sc_vec_push(&pair_keys, pk);
				char *action, *res;
				size_t alen, rlen;
				walk_example(&w, i, &action, &alen, &res, &rlen);
				found f;
				verdicts_for(x, &o, &n, lo, ln, (sc_str){ action, alen }, (sc_str){ res, rlen }, &f);
				for (uint32_t k = 0; k < f.n; k++) {
					if (new_group(rp, x->task, &f.v[k], lo, ln)) {
						add_change(rp, x, &f.v[k]);
						continue;
					}
					free(f.v[k].request);
					free(f.v[k].old_why);
					free(f.v[k].new_why);
					free(f.v[k].reason);
				}
				free(action);
				free(res);
			} else {
				free(pk);
			}
		}
		for (unsigned r = 0; r < nreps && rc == 0; r++) {
			uint32_t a = step(&o, nd.qo, reps[r]), b = step(&n, nd.qn, reps[r]);
			if ((a || b) && !walk_add(&w, a, b, nd.flags == 2 ? 2 : 1, i, reps[r]))
				rc = -1;
		}
		if (nd.flags == 1 && rc == 0) { /* the action is not empty: SEP */
			uint32_t a = step(&o, nd.qo, SYM_SEP), b = step(&n, nd.qn, SYM_SEP);
			if ((a || b) && !walk_add(&w, a, b, 2, i, SYM_SEP))
				rc = -1;
		}
	}
	if (rc < 0)
		sc_error(x->d, SC_NOWHERE, "diff: task '%s' needs more than %u product states; it cannot be "
			 "compared exactly (nothing is reported equivalent)", q, SC_DIFF_MAX_NODES);
	if (rp->n > before)
		rp->tasks_changed++;
	for (size_t i = 0; i < pair_keys.n; i++)
		free(pair_keys.v[i]);
	sc_vec_free(&pair_keys);
	sc_map_fini(&seen_pairs);
	free(w.node);
	free(w.hash);
	tdfa_free(&o);
	tdfa_free(&n);
	return rc;
}

static void print_text(const report *rp, FILE *out)
{
	sc_str task = { NULL, 0 };
	for (size_t i = 0; i < rp->n; i++) {
		const change *c = &rp->c[i];
		if (!task.s || !sc_str_eq(task, c->task)) {
			task = c->task;
			char q[128];
			sc_quote(q, sizeof q, task);
			fprintf(out, "task '%s':\n", q);
		}
		if (c->kind == V_CHANGED)
			fprintf(out, "%c %s -> %s: %s\n", c->v.new.decision < c->v.old.decision ? '+' : '-',
				sc_kind_names[c->v.old.decision], sc_kind_names[c->v.new.decision], c->v.request);
		else
			fprintf(out, "? %s: undetermined: %s\n", c->v.request, c->v.reason);
		fprintf(out, "    old: %s\n    new: %s\n", c->v.old_why, c->v.new_why);
	}
}

static void print_summary(const report *rp, uint32_t ntasks, FILE *out)
{
	if (rp->n == 0) {
		fprintf(out, "diff: no decision changes (%u tasks compared)\n", ntasks);
		return;
	}
	fprintf(out, "diff: %u change%s in %u task%s (%u widen authority, %u narrow it)", rp->widen + rp->narrow,
		rp->widen + rp->narrow == 1 ? "" : "s", rp->tasks_changed, rp->tasks_changed == 1 ? "" : "s",
		rp->widen, rp->narrow);
	if (rp->undetermined)
		fprintf(out, ", %u undetermined", rp->undetermined);
	fputc('\n', out);
}

/* jansson tells of a failed allocation only by what it returns; ignored,
 * a change silently went missing from the document while its summary
 * still counted it.  Out of memory is fatal here as everywhere in scopec. */
static json_t *json_must(json_t *v)
{
	if (!v)
		sc_fatal_oom();
	return v;
}

static void json_must_ok(int rc)
{
	if (rc < 0)
		sc_fatal_oom();
}

static void print_json(const report *rp, uint32_t ntasks, FILE *out)
{
	json_t *changes = json_must(json_array()), *undet = json_must(json_array());
	for (size_t i = 0; i < rp->n; i++) {
		const change *c = &rp->c[i];
		json_t *o = json_must(json_pack("{s:s%,s:s,s:s,s:s,s:s}", "task", c->task.s, c->task.n, "request",
						c->v.request, "old", sc_kind_names[c->v.old.decision], "old_reason",
						c->v.old_why, "new_reason", c->v.new_why));
		if (c->kind == V_CHANGED) {
			json_must_ok(json_object_set_new(o, "new", json_string(sc_kind_names[c->v.new.decision])));
			json_must_ok(json_object_set_new(o, "direction",
				json_string(c->v.new.decision < c->v.old.decision ? "widen" : "narrow")));
			json_must_ok(json_array_append_new(changes, o));
		} else {
			json_must_ok(json_object_set_new(o, "reason", json_string(c->v.reason)));
			json_must_ok(json_array_append_new(undet, o));
		}
	}
	json_t *doc = json_must(json_pack("{s:o,s:o,s:{s:i,s:i,s:i,s:i}}", "changes", changes, "undetermined",
					  undet, "summary", "tasks_compared", ntasks, "widen", rp->widen, "narrow",
					  rp->narrow, "undetermined", rp->undetermined));
	sc_report_document(doc, out);
}

int sc_diff(sc_diag *d, const sc_policy *po, const sc_policy *pn, const sc_diff_opts *opts, FILE *out)
{
	report rp;
	memset(&rp, 0, sizeof rp);
	sc_map_init(&rp.groups);
	dctx x = { d, po, pn, sc_ref_new(), { NULL, 0 }, NULL, NULL, NULL, { sc_recache_new(), { 0 }, { 0 }, sc_arena_new() } };
	sc_map_init(&x.cells.map);
	/* A policy the back end refuses (a task over its part limit) is
	 * re-checked by the reference evaluator instead: its errors are not
	 * the diff's, so they are collected and dropped. */
	unsigned errors = d->errors;
	size_t nrec = d->nrec;
	bool collect = d->collect;
	d->collect = true;
	x.co = sc_backend_load(d, po);
	x.cn = sc_backend_load(d, pn);
	for (size_t k = nrec; k < d->nrec; k++)
		free(d->rec[k].msg);
	d->nrec = nrec;
	d->collect = collect;
	d->errors = errors;
	if (scope_scratch_create(&x.scr) < 0)
		x.scr = NULL;
	uint32_t max_states = opts->max_states ? opts->max_states : SC_DIFF_DEFAULT_STATES;
	int rc = 0;
	uint32_t i = 0, j = 0, ntasks = 0;
	/* the union of the task names, in order (both lists are sorted) */
	while ((i < po->ntasks || j < pn->ntasks) && rc == 0) {
		int c = i == po->ntasks ? 1 : j == pn->ntasks ? -1 : sc_str_cmp(po->tasks[i].name, pn->tasks[j].name);
		x.task = c <= 0 ? po->tasks[i].name : pn->tasks[j].name;
		i += c <= 0;
		j += c >= 0;
		ntasks++;
		rc = diff_task(&x, &rp, max_states);
	}
	if (rc == 0) {
		if (opts->json) {
			print_json(&rp, ntasks, out);
		} else {
			print_text(&rp, out);
			print_summary(&rp, ntasks, out);
		}
	}
	for (size_t k = 0; k < rp.n; k++) {
		free(rp.c[k].v.request);
		free(rp.c[k].v.old_why);
		free(rp.c[k].v.new_why);
		free(rp.c[k].v.reason);
	}
	free(rp.c);
	for (size_t k = 0; k < rp.keys.n; k++)
		free(rp.keys.v[k]);
	sc_vec_free(&rp.keys);
	sc_map_fini(&rp.groups);
	sc_ref_free(x.ref);
	sc_recache_free(x.cells.rc);
	for (size_t k = 0; k < x.cells.keys.n; k++)
		free(x.cells.keys.v[k]);
	sc_vec_free(&x.cells.keys);
	sc_map_fini(&x.cells.map);
	sc_arena_free(x.cells.a);
	scope_policy_destroy(x.co);
	scope_policy_destroy(x.cn);
	scope_scratch_destroy(x.scr);
	if (rc < 0)
		return -1;
	return rp.n ? 1 : 0;
}
