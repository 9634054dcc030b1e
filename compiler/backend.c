/* backend.c — see backend.h. */
#include "arena.h"
#include "backend.h"
#include "bcwrite.h"
#include "dfa.h"
#include "explain.h"
#include "nfa.h"
#include "number.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const sc_span no_span = { 0, 0, 0 };

typedef struct backend {
	sc_diag *d;
	const sc_policy *p;
	sc_bcw w;
	uint32_t max_states;
	sc_backend_stats st;
	/* condition blocks, by item */
	uint32_t *item_code;
	/* regexes: (pattern, caseless) -> index, linear dedupe by pointer */
	int errors;
} backend;

static sc_dfa_limits limits_for(const backend *be, uint64_t atoms)
{
	uint64_t states = 4096 + 4 * atoms;
	if (states > be->max_states)
		states = be->max_states;
	uint64_t pos = 64 * states;
	if (pos > (1u << 25))
		pos = 1u << 25;
	return (sc_dfa_limits){ (uint32_t)states, pos };
}

static void note_dfa(backend *be, const sc_dfa *d)
{
	be->st.raw_states += d->raw_states;
	be->st.states += d->nstates;
}

/* ---- labels ------------------------------------------------------------------ */

static uint32_t label_one(void *ctx, const uint32_t *ids, uint32_t n)
{
	(void)ctx;
	(void)n;
	return ids[0] + 1; /* tasks: 1 + index; values: 1 */
}

static uint32_t label_accept(void *ctx, const uint32_t *ids, uint32_t n)
{
	(void)ctx;
	(void)ids;
	(void)n;
	return 1;
}

/* The outcome of a state where items IDS end (SPEC §2 "Decision"): per
 * kind, the items in index order up to the first unconditional one — the
 * later ones can never be the lowest-index match.  An unconditional deny
 * makes ask and allow irrelevant. */
static uint32_t label_outcome(void *ctx, const uint32_t *ids, uint32_t n)
{
	backend *be = ctx;
	uint32_t cnt[3] = { 0, 0, 0 };
	bool closed[3] = { false, false, false };
	uint32_t *rec = sc_xcalloc(3 + (size_t)n, sizeof *rec);
	uint32_t *lists[3];
	uint32_t *tmp = sc_xcalloc(3 * (size_t)n, sizeof *tmp);
	for (int l = 0; l < 3; l++)
		lists[l] = tmp + (size_t)l * n;
	for (uint32_t i = 0; i < n; i++) {
		const sc_item *it = &be->p->items[ids[i]];
		int l = 2 - (int)it->kind; /* deny, ask, allow */
		if (closed[l])
			continue;
		lists[l][cnt[l]++] = ids[i];
		if (!it->cond)
			closed[l] = true;
	}
	if (closed[0])
		cnt[1] = cnt[2] = 0;
	uint32_t total = cnt[0] + cnt[1] + cnt[2], payload;
	if (total == 1) {
		payload = SCOPE_BC_ONE_ITEM | lists[cnt[0] ? 0 : cnt[1] ? 1 : 2][0];
	} else {
		uint32_t k = 3;
		for (int l = 0; l < 3; l++) {
			rec[l] = cnt[l];
			for (uint32_t i = 0; i < cnt[l]; i++)
				rec[k++] = lists[l][i];
		}
		payload = sc_bcw_outcome(&be->w, rec, k);
	}
	free(rec);
	free(tmp);
	return payload;
}

/* ---- value automata (`in`, `like`) ------------------------------------------ */

static uint32_t value_automaton(backend *be, const sc_str *vals, uint32_t nvals, bool glob)
{
	size_t total = 0;
	for (uint32_t i = 0; i < nvals; i++)
		total += vals[i].n;
	uint16_t *atoms = sc_xcalloc(total, sizeof *atoms);
	sc_dfa_pattern *pats = sc_xcalloc(nvals, sizeof *pats);
	size_t k = 0;
	for (uint32_t i = 0; i < nvals; i++) {
		pats[i].atoms = atoms + k;
		pats[i].id = i;
		if (glob) {
			pats[i].n = sc_dfa_glob_atoms(vals[i].s, vals[i].n, atoms + k);
		} else {
			for (size_t j = 0; j < vals[i].n; j++)
				atoms[k + j] = (unsigned char)vals[i].s[j];
			pats[i].n = (uint32_t)vals[i].n;
		}
		k += pats[i].n;
	}
	sc_dfa dfa;
	sc_dfa_limits lim = limits_for(be, total);
	lim.max_states = be->max_states;
	uint32_t idx = UINT32_MAX;
	if (sc_dfa_build(&dfa, pats, nvals, label_accept, be, &lim) == SC_DFA_OK) {
		note_dfa(be, &dfa);
		idx = sc_bcw_automaton(&be->w, &dfa, SCOPE_BC_A_VALUE);
		be->st.nvalue_automata++;
		sc_dfa_free(&dfa);
	}
	free(atoms);
	free(pats);
	return idx;
}

/* ---- conditions ---------------------------------------------------------------- */

static void emit(backend *be, uint32_t op, uint32_t a, uint32_t b)
{
	sc_bcw_push(&be->w, SCOPE_SEC_CODE, SCOPE_OP_WORD0(op, a));
	sc_bcw_push(&be->w, SCOPE_SEC_CODE, b);
}

static uint32_t code_pos(const backend *be)
{
	return (uint32_t)be->w.sec[SCOPE_SEC_CODE].n;
}

static uint32_t key_operand(backend *be, const sc_cond *c)
{
	uint32_t k = sc_bcw_string(&be->w, c->key.s, c->key.n);
	if (k > SCOPE_OP_MAX_A) {
		sc_error(be->d, c->span, "too many distinct strings in one policy");
		be->errors++;
		return 0;
	}
	return k;
}

static uint32_t regex_index(backend *be, const sc_cond *c)
{
	/* linear dedupe is fine: policies have few distinct regexes, and the
	 * cost is paid once at compile time */
	uint32_t pat = sc_bcw_string(&be->w, c->value.s, c->value.n), flags = c->caseless ? 1 : 0;
	sc_wbuf *r = &be->w.sec[SCOPE_SEC_REGEX];
	for (size_t i = 0; i + 1 < r->n; i += 2)
		if (r->w[i] == pat && r->w[i + 1] == flags)
			return (uint32_t)(i / 2);
	sc_bcw_push(&be->w, SCOPE_SEC_REGEX, pat);
	sc_bcw_push(&be->w, SCOPE_SEC_REGEX, flags);
	return (uint32_t)(r->n / 2 - 1);
}

static const uint32_t test_op[SC_C_COUNT] = {
	[SC_C_EQ] = SCOPE_OP_EQ, [SC_C_NE] = SCOPE_OP_NE, [SC_C_LT] = SCOPE_OP_LT,
	[SC_C_LE] = SCOPE_OP_LE, [SC_C_GT] = SCOPE_OP_GT, [SC_C_GE] = SCOPE_OP_GE,
	[SC_C_IN] = SCOPE_OP_IN, [SC_C_LIKE] = SCOPE_OP_LIKE, [SC_C_MATCHES] = SCOPE_OP_MATCH,
	[SC_C_HAS] = SCOPE_OP_HAS,
};

/* Condition trees are at most SC_MAX_COND_DEPTH deep (the parser checks),
 * so this recursion is bounded; the code it emits needs one stack slot
 * per level. */
static void compile_cond(backend *be, const sc_cond *c)
{
	uint32_t v;
	switch (c->op) {
	case SC_C_AND:
	case SC_C_OR: {
		bool and = c->op == SC_C_AND;
		uint32_t *jumps = sc_xcalloc(c->nkids, sizeof *jumps);
		compile_cond(be, c->kids[0]);
		for (uint32_t i = 1; i < c->nkids; i++) {
			jumps[i] = code_pos(be);
			emit(be, and ? SCOPE_OP_JF : SCOPE_OP_JT, 0, 0);
			compile_cond(be, c->kids[i]);
			emit(be, and ? SCOPE_OP_AND : SCOPE_OP_OR, 0, 0);
		}
		uint32_t end = code_pos(be);
		for (uint32_t i = 1; i < c->nkids; i++)
			be->w.sec[SCOPE_SEC_CODE].w[jumps[i] + 1] = end;
		free(jumps);
		return;
	}
	case SC_C_NOT:
		compile_cond(be, c->kids[0]);
		emit(be, SCOPE_OP_NOT, 0, 0);
		return;
	/* (the operand is added to the string table first, then the key, each
	 * in a statement of its own: as two arguments of one call the order
	 * was the C compiler's choice, and a gcc-built and a clang-built
	 * scopec wrote different images of one policy; this is the order the
	 * gcc build always had, so no image changes) */
	case SC_C_EQ:
	case SC_C_NE:
		v = sc_bcw_string(&be->w, c->value.s, c->value.n);
		emit(be, test_op[c->op], key_operand(be, c), v);
		return;
	case SC_C_LT: case SC_C_LE: case SC_C_GT: case SC_C_GE:
		if (!sc_number_valid(c->value.s, c->value.n)) {
			sc_error(be->d, c->value_span, "not a number");
			be->errors++;
		}
		v = sc_bcw_string(&be->w, c->value.s, c->value.n);
		emit(be, test_op[c->op], key_operand(be, c), v);
		return;
	case SC_C_IN:
	case SC_C_LIKE: {
		uint32_t va = c->op == SC_C_IN ? value_automaton(be, c->values, c->nvalues, false) :
						 value_automaton(be, &c->value, 1, true);
		if (va == UINT32_MAX) {
			sc_error(be->d, c->span, "pattern too complex to compile");
			be->errors++;
			va = 0;
		}
		emit(be, test_op[c->op], key_operand(be, c), va);
		return;
	}
	case SC_C_MATCHES:
		v = regex_index(be, c);
		emit(be, SCOPE_OP_MATCH, key_operand(be, c), v);
		return;
	case SC_C_HAS:
		emit(be, SCOPE_OP_HAS, key_operand(be, c), 0);
		return;
	default:
		sc_error(be->d, c->span, "internal error: unknown condition operator");
		be->errors++;
		return;
	}
}

static void compile_conditions(backend *be)
{
	const sc_policy *p = be->p;
	be->item_code = sc_xcalloc(p->nitems, sizeof *be->item_code);
	/* the resolver may share one condition between items: compile once */
	const sc_cond **seen = NULL;
	uint32_t *seen_at = NULL;
	size_t nseen = 0, cap = 0;
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_cond *c = p->items[i].cond;
		be->item_code[i] = SCOPE_BC_NO_COND;
		if (!c)
			continue;
		if (nseen && seen[nseen - 1] == c) {
			be->item_code[i] = seen_at[nseen - 1];
			continue;
		}
		uint32_t at = code_pos(be);
		compile_cond(be, c);
		emit(be, SCOPE_OP_RET, 0, 0);
		if (at >= SCOPE_BC_NO_COND) {
			sc_error(be->d, c->span, "too much condition code in one policy");
			be->errors++;
			return;
		}
		be->item_code[i] = at;
		if (nseen == cap) {
			cap = cap ? 2 * cap : 64;
			seen = realloc(seen, cap * sizeof *seen);
			seen_at = realloc(seen_at, cap * sizeof *seen_at);
			if (!seen || !seen_at)
				sc_fatal_oom();
		}
		seen[nseen] = c;
		seen_at[nseen++] = at;
	}
	free(seen);
	free(seen_at);
}

/* ---- tasks ---------------------------------------------------------------------- */

static void compile_task_dispatch(backend *be)
{
	const sc_policy *p = be->p;
	size_t total = 0;
	for (uint32_t i = 0; i < p->ntasks; i++)
		total += p->tasks[i].name.n;
	uint16_t *atoms = sc_xcalloc(total, sizeof *atoms);
	sc_dfa_pattern *pats = sc_xcalloc(p->ntasks, sizeof *pats);
	size_t k = 0;
	for (uint32_t i = 0; i < p->ntasks; i++) {
		sc_str nm = p->tasks[i].name;
		for (size_t j = 0; j < nm.n; j++)
			atoms[k + j] = (unsigned char)nm.s[j];
		pats[i] = (sc_dfa_pattern){ atoms + k, (uint32_t)nm.n, i };
		k += nm.n;
	}
	sc_dfa dfa;
	sc_dfa_limits lim = { UINT32_MAX / 4, UINT64_MAX };
	/* literals: the DFA is a trie, never larger than the names */
	if (sc_dfa_build(&dfa, pats, p->ntasks, label_one, be, &lim) != SC_DFA_OK)
		sc_fatal_oom();
	note_dfa(be, &dfa);
	sc_bcw_automaton(&be->w, &dfa, SCOPE_BC_A_TASKS);
	sc_dfa_free(&dfa);
	free(atoms);
	free(pats);
}

uint32_t sc_backend_item_atoms(const sc_item *it, uint16_t *out)
{
	uint32_t n = sc_dfa_glob_atoms(it->action.s, it->action.n, out);
	out[n++] = SC_AT_SEP;
	if (it->has_resource)
		n += sc_dfa_glob_atoms(it->resource.s, it->resource.n, out + n);
	else
		out[n++] = SC_AT_DSTAR;
	return n;
}

/* Builds the DFA of ITEMS[lo, hi) as one part; false if over budget. */
static bool build_part(backend *be, const sc_item *const *items, uint32_t lo, uint32_t hi)
{
	size_t total = 0;
	for (uint32_t i = lo; i < hi; i++)
		total += items[i]->action.n + items[i]->resource.n + 2;
	uint16_t *atoms = sc_xcalloc(total, sizeof *atoms);
	sc_dfa_pattern *pats = sc_xcalloc(hi - lo, sizeof *pats);
	size_t k = 0;
	for (uint32_t i = lo; i < hi; i++) {
		uint32_t n = sc_backend_item_atoms(items[i], atoms + k);
		pats[i - lo] = (sc_dfa_pattern){ atoms + k, n, items[i]->index };
		k += n;
	}
	sc_dfa dfa;
	sc_dfa_limits lim = limits_for(be, k);
	int rc = sc_dfa_build(&dfa, pats, hi - lo, label_outcome, be, &lim);
	free(atoms);
	free(pats);
	if (rc != SC_DFA_OK)
		return false;
	note_dfa(be, &dfa);
	sc_bcw_automaton(&be->w, &dfa, SCOPE_BC_A_POLICY);
	sc_dfa_free(&dfa);
	be->st.nparts++;
	return true;
}

/* Compiles one task's items into parts; returns how many, or 0 on error.
 * Over budget, a range is split in halves (in index order), at most
 * SC_SPLIT_DEPTH times; the ranges that still do not fit go, together, to
 * one bit-parallel NFA part (nfa.c), whose size and decision time are
 * linear in the patterns.  So a hostile task costs at most 2^depth failed
 * DFA constructions, 2^depth DFA walks and one NFA pass, not hundreds of
 * parts. */
#define SC_SPLIT_DEPTH 2u

static uint32_t compile_group(backend *be, const sc_task *t)
{
	uint32_t stack[3 * (SC_SPLIT_DEPTH + 2)], sp = 0, nparts = 0, nnfa = 0;
	if (t->nitems == 0) {
		/* nothing matches: still one (empty) part keeps the layout simple */
		return build_part(be, t->items, 0, 0) ? 1 : 0;
	}
	const sc_item **nfa = sc_xcalloc(t->nitems, sizeof *nfa);
	stack[sp++] = 0;
	stack[sp++] = t->nitems;
	stack[sp++] = 0;
	while (sp) {
		uint32_t lo = stack[--sp], hi = stack[--sp], depth = stack[--sp];
		if (build_part(be, t->items, lo, hi)) {
			nparts++;
			continue;
		}
		if (depth == SC_SPLIT_DEPTH || hi - lo == 1) {
			/* (ranges come left first: the NFA's items stay ascending) */
			for (uint32_t i = lo; i < hi; i++)
				nfa[nnfa++] = t->items[i];
			continue;
		}
		uint32_t mid = lo + (hi - lo) / 2;
		/* right half first on the stack so the left one is built first */
		stack[sp++] = depth + 1;
		stack[sp++] = hi;
		stack[sp++] = mid;
		stack[sp++] = depth + 1;
		stack[sp++] = mid;
		stack[sp++] = lo;
	}
	if (nnfa) {
		if (!sc_nfa_fits(nfa, nnfa)) {
			char q[128];
			sc_quote(q, sizeof q, t->name);
			sc_error(be->d, t->span,
				 "task '%s' is too complex: %u items exceed the DFA state budget (%u states) and "
				 "the NFA limits (%u items, %u pattern positions); split the task or simplify its "
				 "patterns", q, nnfa, be->max_states, SCOPE_BC_NFA_MAX_ITEMS, 64 * SCOPE_BC_NFA_MAX_WORDS);
			be->errors++;
			free(nfa);
			return 0;
		}
		sc_nfa_write(&be->w, nfa, nnfa);
		be->st.nparts++;
		be->st.nnfa++;
		nparts++;
	}
	free(nfa);
	return nparts;
}

static bool same_items(const sc_task *a, const sc_task *b)
{
	return a->nitems == b->nitems && memcmp(a->items, b->items, a->nitems * sizeof *a->items) == 0;
}

static void compile_tasks(backend *be)
{
	const sc_policy *p = be->p;
	uint32_t *first = sc_xcalloc(p->ntasks, sizeof *first), *count = sc_xcalloc(p->ntasks, sizeof *count);
	for (uint32_t i = 0; i < p->ntasks && !be->errors; i++) {
		const sc_task *t = &p->tasks[i];
		uint32_t twin = UINT32_MAX;
		/* tasks with the same items (aliases) share their parts */
		for (uint32_t j = 0; j < i && twin == UINT32_MAX; j++)
			if (same_items(&p->tasks[j], t))
				twin = j;
		if (twin != UINT32_MAX) {
			first[i] = first[twin];
			count[i] = count[twin];
		} else {
			first[i] = (uint32_t)(be->w.sec[SCOPE_SEC_AUTOMATA].n / SCOPE_BC_AUTOMATON_WORDS);
			count[i] = compile_group(be, t);
			be->st.ngroups++;
			if (count[i] > be->st.max_parts)
				be->st.max_parts = count[i];
		}
		sc_bcw_push(&be->w, SCOPE_SEC_TASKS, sc_bcw_string(&be->w, t->name.s, t->name.n));
		sc_bcw_push(&be->w, SCOPE_SEC_TASKS, first[i]);
		sc_bcw_push(&be->w, SCOPE_SEC_TASKS, count[i]);
	}
	be->st.ntasks = p->ntasks;
	free(first);
	free(count);
}

/* ---- items and debug info ---------------------------------------------------- */

static void compile_items(backend *be, bool debug)
{
	const sc_policy *p = be->p;
	uint32_t *file_of = sc_xcalloc(be->d->nsrc + 1, sizeof *file_of), nfiles = 0;
	for (uint32_t i = 0; i < p->nitems; i++) {
		const sc_item *it = &p->items[i];
		sc_bcw_push(&be->w, SCOPE_SEC_ITEMS, (uint32_t)it->kind << 30 | be->item_code[i]);
		if (!debug)
			continue;
		uint32_t f = it->span.file < be->d->nsrc ? it->span.file : 0;
		if (!file_of[f]) {
			const char *path = f ? be->d->src[f].path : "<unknown>";
			sc_bcw_push(&be->w, SCOPE_SEC_DEBUG_FILES, sc_bcw_string(&be->w, path, strlen(path)));
			file_of[f] = ++nfiles;
		}
		unsigned line = 0, col = 0;
		if (f)
			sc_diag_linecol(be->d, it->span, &line, &col);
		char text[256];
		sc_item_text(be->d, it, text, sizeof text);
		sc_bcw_push(&be->w, SCOPE_SEC_DEBUG_ITEMS, file_of[f] - 1);
		sc_bcw_push(&be->w, SCOPE_SEC_DEBUG_ITEMS, line);
		sc_bcw_push(&be->w, SCOPE_SEC_DEBUG_ITEMS, col);
		sc_bcw_push(&be->w, SCOPE_SEC_DEBUG_ITEMS, sc_bcw_string(&be->w, text, strlen(text)));
	}
	free(file_of);
}

int sc_backend_compile(sc_diag *d, const sc_policy *p, const sc_backend_opts *o,
		       unsigned char **image, size_t *len, sc_backend_stats *stats)
{
	backend be = { .d = d, .p = p };
	sc_backend_opts dflt = { false, 0 };
	if (!o)
		o = &dflt;
	be.max_states = o->max_states ? o->max_states : SC_BACKEND_DEFAULT_MAX_STATES;
	*image = NULL;
	*len = 0;
	sc_bcw_init(&be.w);
	compile_task_dispatch(&be);
	compile_conditions(&be);
	if (!be.errors)
		compile_tasks(&be);
	if (!be.errors)
		compile_items(&be, !o->strip);
	if (!be.errors) {
		be.st.records = be.w.records;
		sc_bcw_finish(&be.w, o->strip ? 0 : SCOPE_BC_F_DEBUG, image, len);
		be.st.image_bytes = *len;
		if (*len > SCOPE_BC_MAX_IMAGE) {
			sc_error(d, no_span, "compiled policy too large (%zu bytes)", *len);
			free(*image);
			*image = NULL;
			be.errors++;
		}
	}
	free(be.item_code);
	sc_bcw_fini(&be.w);
	if (stats)
		*stats = be.st;
	return be.errors ? -1 : 0;
}

scope_policy *sc_backend_load(sc_diag *d, const sc_policy *p)
{
	unsigned char *img;
	size_t len;
	if (sc_backend_compile(d, p, NULL, &img, &len, NULL) < 0)
		return NULL;
	scope_policy *cp;
	int rc = scope_policy_load(&cp, img, len);
	free(img);
	if (rc < 0) {
		sc_error(d, no_span, "internal error: compiled policy rejected: %s",
			 scope_strerror(rc));
		return NULL;
	}
	return cp;
}

/* The compiler's request as the runtime's; ATTRS has room for rq->nattrs. */
static scope_request runtime_request(const sc_request *rq, scope_attr *attrs)
{
	for (size_t i = 0; i < rq->nattrs; i++)
		attrs[i] = (scope_attr){ rq->attrs[i].key.s, rq->attrs[i].key.n, rq->attrs[i].value.s,
					 rq->attrs[i].value.n };
	return (scope_request){ rq->task.s, rq->task.n, rq->action.s, rq->action.n,
				rq->resource.s, rq->resource.n, attrs, rq->nattrs };
}

int sc_backend_decide_request(const scope_policy *cp, scope_scratch *s, const sc_request *rq,
			      scope_result *res)
{
	scope_attr small[16], *attrs = rq->nattrs > 16 ? sc_xcalloc(rq->nattrs, sizeof *attrs) : small;
	scope_request r = runtime_request(rq, attrs);
	int rc = scope_decide(cp, s, &r, res);
	if (attrs != small)
		free(attrs);
	return rc;
}

int sc_backend_explain_request(const scope_policy *cp, scope_scratch *s, const sc_request *rq,
			       const scope_result *res, char *buf, size_t *len)
{
	scope_attr small[16], *attrs = rq->nattrs > 16 ? sc_xcalloc(rq->nattrs, sizeof *attrs) : small;
	scope_request r = runtime_request(rq, attrs);
	int rc = scope_explain_request(cp, s, &r, res, buf, len);
	if (attrs != small)
		free(attrs);
	return rc;
}

void sc_backend_decide(const scope_policy *cp, scope_scratch *s, const sc_policy *p,
		       const sc_request *rq, sc_result *out)
{
	scope_result res;
	sc_backend_decide_request(cp, s, rq, &res);
	out->decision = (sc_kind)res.decision;
	out->unknown = res.unknown;
	out->item = NULL;
	switch (res.why) {
	case SCOPE_WHY_ITEM:
		out->why = SC_WHY_ITEM;
		out->item = res.item < p->nitems ? &p->items[res.item] : NULL;
		if (!out->item) { /* cannot happen; fail closed */
			out->decision = SC_DENY;
			out->why = SC_WHY_DEFAULT;
		}
		break;
	case SCOPE_WHY_NO_TASK: out->why = SC_WHY_NO_TASK; break;
	default: out->why = SC_WHY_DEFAULT; out->decision = SC_DENY; break;
	}
}
