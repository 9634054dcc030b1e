/* dfa.c — see dfa.h.  Subset construction, then minimization. */
#include "dfa.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

typedef struct u32vec {
	uint32_t *v;
	size_t n, cap;
} u32vec;

static void vpush(u32vec *v, uint32_t x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = sc_xrealloc(v->v, v->cap * sizeof *v->v);
	}
	v->v[v->n++] = x;
}

uint32_t sc_dfa_glob_atoms(const char *pat, size_t n, uint16_t *out)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n;) {
		if (pat[i] == '*') {
			size_t j = i;
			while (j < n && pat[j] == '*')
				j++;
			out[k++] = j - i >= 2 ? SC_AT_DSTAR : SC_AT_STAR;
			i = j;
		} else {
			out[k++] = pat[i] == '?' ? SC_AT_QMARK : (uint16_t)(unsigned char)pat[i];
			i++;
		}
	}
	return k;
}

/* ---- subset construction ------------------------------------------------ */

enum { CK_LIT, CK_DOT, CK_OTHER };

/* The dense transition table of one construction may not exceed this many
 * words (192 MB), whatever the caller's state budget. */
#define SC_DFA_MAX_TRANS_WORDS (48ull * 1024 * 1024)

typedef struct builder {
	const sc_dfa_limits *lim;
	sc_dfa_label_fn label_fn;
	void *ctx;
	/* positions */
	uint16_t *atom;
	uint32_t *pat;
	uint8_t *pphase;
	uint32_t npos;
	/* classes */
	uint32_t K;
	uint8_t cmap[256];
	uint8_t rep[256], ckind[256];
	/* states */
	u32vec pool;
	uint32_t *off, *len, *label;
	uint8_t *sphase;
	uint32_t *trans;
	uint32_t nstates, cap, start;
	uint32_t *htab;
	size_t hcap;
	/* scratch */
	uint32_t *mark, gen;
	u32vec tmp, starq, dstar, sep, ids;
	uint64_t *lit;
	size_t nlit, caplit;
	bool too_big;
} builder;

static bool is_dot(unsigned b)
{
	return b == '.' || b == '/';
}

static uint64_t hash_set(const uint32_t *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
		h ^= h >> 31;
	}
	return h;
}

static void grow_states(builder *b)
{
	uint32_t ncap = b->cap ? b->cap * 2 : 1024;
	size_t row = b->K + 1;
	b->off = sc_xrealloc(b->off, ncap * sizeof *b->off);
	b->len = sc_xrealloc(b->len, ncap * sizeof *b->len);
	b->label = sc_xrealloc(b->label, ncap * sizeof *b->label);
	b->sphase = sc_xrealloc(b->sphase, ncap);
	b->trans = sc_xrealloc(b->trans, (size_t)ncap * row * sizeof *b->trans);
	b->cap = ncap;
}

static void rehash(builder *b)
{
	size_t ncap = b->hcap ? b->hcap * 2 : 2048;
	uint32_t *nt = sc_xcalloc(ncap, sizeof *nt);
	for (uint32_t s = 1; s < b->nstates; s++) {
		size_t i = hash_set(b->pool.v + b->off[s], b->len[s]) & (ncap - 1);
		while (nt[i])
			i = (i + 1) & (ncap - 1);
		nt[i] = s;
	}
	free(b->htab);
	b->htab = nt;
	b->hcap = ncap;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void sort_u32(uint32_t *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof *v, cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		while (j && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* The state of the position set in b->tmp (consumed).  0 for the empty
 * set; sets b->too_big when a limit would be exceeded. */
static uint32_t intern(builder *b)
{
	uint32_t *s = b->tmp.v;
	size_t n = b->tmp.n;
	b->tmp.n = 0;
	b->gen++;
	if (n == 0 || b->too_big)
		return 0;
	sort_u32(s, n);
	uint64_t h = hash_set(s, n);
	size_t i = h & (b->hcap - 1);
	for (uint32_t t; (t = b->htab[i]) != 0; i = (i + 1) & (b->hcap - 1))
		if (b->len[t] == n && memcmp(b->pool.v + b->off[t], s, n * sizeof *s) == 0)
			return t;
	if (b->nstates >= b->lim->max_states || b->pool.n + n > b->lim->max_positions ||
	    (uint64_t)(b->nstates + 1) * (b->K + 1) > SC_DFA_MAX_TRANS_WORDS) {
		b->too_big = true;
		return 0;
	}
	if (b->nstates == b->cap)
		grow_states(b);
	uint32_t id = b->nstates++;
	b->off[id] = (uint32_t)b->pool.n;
	b->len[id] = (uint32_t)n;
	b->sphase[id] = b->pphase[s[0]];
	for (size_t k = 0; k < n; k++)
		vpush(&b->pool, s[k]);
	b->htab[i] = id;
	if (2 * (size_t)b->nstates > b->hcap)
		rehash(b);
	return id;
}

/* Adds Q and every position reachable from it by letting stars match
 * nothing. */
static void add_closed(builder *b, uint32_t q)
{
	while (b->mark[q] != b->gen) {
		b->mark[q] = b->gen;
		vpush(&b->tmp, q);
		if (b->atom[q] != SC_AT_STAR && b->atom[q] != SC_AT_DSTAR)
			break;
		q++;
	}
}

static void add_all(builder *b, const u32vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		add_closed(b, v->v[i]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint32_t state_label(builder *b, uint32_t s)
{
	const uint32_t *set = b->pool.v + b->off[s];
	b->ids.n = 0;
	for (uint32_t k = 0; k < b->len[s]; k++)
		if (b->atom[set[k]] == SC_AT_END)
			vpush(&b->ids, b->pat[set[k]]);
	if (!b->ids.n)
		return 0;
	return b->label_fn(b->ctx, b->ids.v, (uint32_t)b->ids.n);
}

/* Computes every transition of state S. */
static void expand(builder *b, uint32_t s)
{
	size_t row = b->K + 1;
	b->starq.n = b->dstar.n = b->sep.n = 0;
	b->nlit = 0;
	for (uint32_t k = 0; k < b->len[s]; k++) {
		uint32_t q = b->pool.v[b->off[s] + k];
		uint16_t a = b->atom[q];
		if (a < 256) {
			if (b->nlit == b->caplit) {
				b->caplit = b->caplit ? 2 * b->caplit : 256;
				b->lit = sc_xrealloc(b->lit, b->caplit * sizeof *b->lit);
			}
			b->lit[b->nlit++] = (uint64_t)a << 32 | (q + 1);
		} else if (a == SC_AT_STAR) {
			vpush(&b->starq, q);
		} else if (a == SC_AT_QMARK) {
			vpush(&b->starq, q + 1);
		} else if (a == SC_AT_DSTAR) {
			vpush(&b->dstar, q);
		} else if (a == SC_AT_SEP) {
			vpush(&b->sep, q + 1);
		}
	}
	add_all(b, &b->dstar);
	uint32_t to_dot = intern(b);
	add_all(b, &b->dstar);
	add_all(b, &b->starq);
	uint32_t to_other = intern(b);
	uint32_t *tr = b->trans + (size_t)s * row;
	for (uint32_t c = 0; c < b->K; c++)
		tr[c] = b->ckind[c] == CK_OTHER || (b->ckind[c] == CK_LIT && !is_dot(b->rep[c])) ? to_other :
			to_dot;
	if (b->nlit > 1)
		qsort(b->lit, b->nlit, sizeof *b->lit, cmp_u64);
	for (size_t i = 0; i < b->nlit;) {
		unsigned byte = (unsigned)(b->lit[i] >> 32);
		add_all(b, &b->dstar);
		if (!is_dot(byte))
			add_all(b, &b->starq);
		for (; i < b->nlit && (unsigned)(b->lit[i] >> 32) == byte; i++)
			add_closed(b, (uint32_t)b->lit[i]);
		uint32_t t = intern(b);
		tr = b->trans + (size_t)s * row; /* intern may have moved it */
		tr[b->cmap[byte]] = t;
	}
	add_all(b, &b->sep);
	uint32_t t = intern(b);
	tr = b->trans + (size_t)s * row;
	tr[b->K] = t;
	b->label[s] = state_label(b, s);
}

static void make_classes(builder *b)
{
	bool lit[256] = { false };
	for (uint32_t q = 0; q < b->npos; q++)
		if (b->atom[q] < 256)
			lit[b->atom[q]] = true;
	int dot = -1, other = -1;
	b->K = 0;
	for (unsigned c = 0; c < 256; c++) {
		int *shared = is_dot(c) ? &dot : &other;
		if (lit[c] || *shared < 0) {
			b->rep[b->K] = (uint8_t)c;
			b->ckind[b->K] = lit[c] ? CK_LIT : is_dot(c) ? CK_DOT : CK_OTHER;
			if (!lit[c])
				*shared = (int)b->K;
			b->cmap[c] = (uint8_t)b->K++;
		} else {
			b->cmap[c] = (uint8_t)*shared;
		}
	}
}

static void builder_free(builder *b)
{
	free(b->atom);
	free(b->pat);
	free(b->pphase);
	free(b->pool.v);
	free(b->off);
	free(b->len);
	free(b->label);
	free(b->sphase);
	free(b->trans);
	free(b->htab);
	free(b->mark);
	free(b->tmp.v);
	free(b->starq.v);
	free(b->dstar.v);
	free(b->sep.v);
	free(b->ids.v);
	free(b->lit);
}

/* ---- minimization ---------------------------------------------------------- */

/* Valmari & Lehtinen, "Fast brief practical DFA minimization" (2012):
 * refinable partitions of states (blocks) and of transitions (cords).
 * Transitions to the dead state are absent (a partial DFA); states that
 * are unreachable or cannot reach a labelled state are dropped. */
typedef struct partition {
	uint32_t z;
	uint32_t *E, *L, *S, *F, *P;
} partition;

typedef struct minimizer {
	partition B, C;
	uint32_t *M, *W, w;
	uint32_t nn, mm;
	uint32_t *T, *H, *A, *AF;
	uint16_t *Lb;
	uint32_t rr;
} minimizer;

static void part_init(partition *p, uint32_t n)
{
	p->z = n ? 1 : 0;
	p->E = sc_xcalloc(n, sizeof *p->E);
	p->L = sc_xcalloc(n, sizeof *p->L);
	p->S = sc_xcalloc(n, sizeof *p->S);
	p->F = sc_xcalloc(n + 1, sizeof *p->F);
	p->P = sc_xcalloc(n + 1, sizeof *p->P);
	for (uint32_t i = 0; i < n; i++)
		p->E[i] = p->L[i] = i;
	if (n)
		p->P[0] = n;
}

static void part_free(partition *p)
{
	free(p->E);
	free(p->L);
	free(p->S);
	free(p->F);
	free(p->P);
}

static void part_mark(minimizer *m, partition *p, uint32_t e)
{
	uint32_t s = p->S[e], i = p->L[e], j = p->F[s] + m->M[s];
	p->E[i] = p->E[j];
	p->L[p->E[i]] = i;
	p->E[j] = e;
	p->L[e] = j;
	if (!m->M[s]++)
		m->W[m->w++] = s;
}

static void part_split(minimizer *m, partition *p)
{
	while (m->w) {
		uint32_t s = m->W[--m->w], j = p->F[s] + m->M[s];
		if (j == p->P[s]) {
			m->M[s] = 0;
			continue;
		}
		uint32_t z = p->z;
		if (m->M[s] <= p->P[s] - j) {
			p->F[z] = p->F[s];
			p->P[z] = p->F[s] = j;
		} else {
			p->P[z] = p->P[s];
			p->F[z] = p->P[s] = j;
		}
		for (uint32_t i = p->F[z]; i < p->P[z]; i++)
			p->S[p->E[i]] = z;
		m->M[s] = m->M[z] = 0;
		p->z++;
	}
}

/* Incoming/outgoing adjacency: AF[q]..AF[q+1] index A, keyed by K[t]. */
static void make_adjacent(minimizer *m, const uint32_t *K)
{
	memset(m->AF, 0, (m->nn + 1) * sizeof *m->AF);
	for (uint32_t t = 0; t < m->mm; t++)
		m->AF[K[t]]++;
	for (uint32_t q = 0; q < m->nn; q++)
		m->AF[q + 1] += m->AF[q];
	for (uint32_t t = m->mm; t--;)
		m->A[--m->AF[K[t]]] = t;
}

static void reach(minimizer *m, uint32_t q)
{
	partition *B = &m->B;
	uint32_t i = B->L[q];
	if (i >= m->rr) {
		B->E[i] = B->E[m->rr];
		B->L[B->E[i]] = i;
		B->E[m->rr] = q;
		B->L[q] = m->rr++;
	}
}

static void rem_unreachable(minimizer *m, uint32_t *T, uint32_t *H)
{
	make_adjacent(m, T);
	for (uint32_t i = 0; i < m->rr; i++)
		for (uint32_t j = m->AF[m->B.E[i]]; j < m->AF[m->B.E[i] + 1]; j++)
			reach(m, H[m->A[j]]);
	uint32_t j = 0;
	for (uint32_t t = 0; t < m->mm; t++)
		if (m->B.L[T[t]] < m->rr) {
			H[j] = H[t];
			m->Lb[j] = m->Lb[t];
			T[j] = T[t];
			j++;
		}
	m->mm = j;
	m->B.P[0] = m->rr;
	m->rr = 0;
}

/* Sorts transition ids by label: counting sort (labels are < 2^16). */
static void sort_by_label(uint32_t *E, uint32_t mm, const uint16_t *Lb, uint32_t nsym)
{
	uint32_t *cnt = sc_xcalloc(nsym + 1, sizeof *cnt), *out = sc_xcalloc(mm, sizeof *out);
	for (uint32_t i = 0; i < mm; i++)
		cnt[Lb[E[i]] + 1]++;
	for (uint32_t s = 0; s < nsym; s++)
		cnt[s + 1] += cnt[s];
	for (uint32_t i = 0; i < mm; i++)
		out[cnt[Lb[E[i]]]++] = E[i];
	memcpy(E, out, mm * sizeof *E);
	free(cnt);
	free(out);
}

static int cmp_by_label(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Minimizes the builder's DFA (states 1..n-1; 0 dead) into OUT. */
static void minimize(builder *b, sc_dfa *out)
{
	uint32_t nsym = b->K + 1, n = b->nstates - 1;
	size_t row = nsym;
	minimizer m = { 0 };
	m.nn = n;
	uint64_t mm = 0;
	for (uint32_t s = 1; s < b->nstates; s++)
		for (uint32_t x = 0; x < nsym; x++)
			mm += b->trans[(size_t)s * row + x] != 0;
	m.mm = (uint32_t)mm;
	m.T = sc_xcalloc(mm, sizeof *m.T);
	m.H = sc_xcalloc(mm, sizeof *m.H);
	m.Lb = sc_xcalloc(mm, sizeof *m.Lb);
	m.A = sc_xcalloc(mm, sizeof *m.A);
	m.AF = sc_xcalloc((size_t)n + 1, sizeof *m.AF);
	uint32_t t = 0;
	for (uint32_t s = 1; s < b->nstates; s++)
		for (uint32_t x = 0; x < nsym; x++) {
			uint32_t h = b->trans[(size_t)s * row + x];
			if (h) {
				m.T[t] = s - 1;
				m.H[t] = h - 1;
				m.Lb[t] = (uint16_t)x;
				t++;
			}
		}
	part_init(&m.B, n);
	uint32_t big = (n > m.mm ? n : m.mm) + 1;
	m.M = sc_xcalloc(big, sizeof *m.M);
	m.W = sc_xcalloc(big, sizeof *m.W);
	uint32_t q0 = b->start - 1;
	reach(&m, q0);
	rem_unreachable(&m, m.T, m.H);
	uint32_t ff = 0;
	for (uint32_t s = 1; s < b->nstates; s++)
		if (b->label[s] && m.B.L[s - 1] < m.B.P[0]) {
			reach(&m, s - 1);
			ff++;
		}
	ff = m.rr;
	rem_unreachable(&m, m.H, m.T);
	/* Initial partition: by label (0 = unlabelled).  Group the useful
	 * states by label and split each group off block 0. */
	uint32_t useful = m.B.P[0];
	if (useful) {
		uint64_t *key = sc_xcalloc(useful, sizeof *key);
		for (uint32_t i = 0; i < useful; i++) {
			uint32_t q = m.B.E[i];
			key[i] = (uint64_t)b->label[q + 1] << 32 | q;
		}
		qsort(key, useful, sizeof *key, cmp_by_label);
		for (uint32_t i = 0; i < useful;) {
			uint32_t lab = (uint32_t)(key[i] >> 32), j = i;
			while (j < useful && (uint32_t)(key[j] >> 32) == lab)
				j++;
			if (lab != 0) {
				for (uint32_t k = i; k < j; k++)
					part_mark(&m, &m.B, (uint32_t)key[k]);
				part_split(&m, &m.B);
			}
			i = j;
		}
		free(key);
	}
	(void)ff;
	/* Transition partition by label. */
	part_init(&m.C, m.mm);
	if (m.mm) {
		sort_by_label(m.C.E, m.mm, m.Lb, nsym);
		m.C.z = 0;
		m.M[0] = 0;
		uint16_t a = m.Lb[m.C.E[0]];
		for (uint32_t i = 0; i < m.mm; i++) {
			uint32_t tt = m.C.E[i];
			if (m.Lb[tt] != a) {
				a = m.Lb[tt];
				m.C.P[m.C.z++] = i;
				m.C.F[m.C.z] = i;
				m.M[m.C.z] = 0;
			}
			m.C.S[tt] = m.C.z;
			m.C.L[tt] = i;
		}
		m.C.P[m.C.z++] = m.mm;
	}
	make_adjacent(&m, m.H);
	uint32_t bb = 1, c = 0;
	while (c < m.C.z) {
		for (uint32_t i = m.C.F[c]; i < m.C.P[c]; i++)
			part_mark(&m, &m.B, m.T[m.C.E[i]]);
		part_split(&m, &m.B);
		c++;
		while (bb < m.B.z) {
			for (uint32_t i = m.B.F[bb]; i < m.B.P[bb]; i++)
				for (uint32_t j = m.AF[m.B.E[i]]; j < m.AF[m.B.E[i] + 1]; j++)
					part_mark(&m, &m.C, m.A[j]);
			part_split(&m, &m.C);
			bb++;
		}
	}
	/* Output: blocks become states 1..z, in BFS order from the start. */
	uint32_t z = m.B.z;
	bool start_useful = useful && m.B.L[q0] < useful;
	uint32_t *newid = sc_xcalloc(z + 1, sizeof *newid);
	uint32_t *order = sc_xcalloc(z + 1, sizeof *order);
	uint32_t nout = 1;
	out->nclasses = b->K;
	memcpy(out->cmap, b->cmap, 256);
	out->raw_states = b->nstates;
	out->start = 0;
	/* representative state of each block, and transition rows */
	uint32_t *rep = sc_xcalloc(z + 1, sizeof *rep);
	for (uint32_t blk = 0; blk < z; blk++)
		rep[blk] = m.B.E[m.B.F[blk]];
	if (start_useful) {
		uint32_t sb = m.B.S[q0];
		newid[sb] = nout;
		order[nout++] = sb;
		for (uint32_t k = 1; k < nout; k++) {
			uint32_t q = rep[order[k]] + 1;
			for (uint32_t x = 0; x < nsym; x++) {
				uint32_t h = b->trans[(size_t)q * row + x];
				if (!h || m.B.L[h - 1] >= useful)
					continue;
				uint32_t hb = m.B.S[h - 1];
				if (!newid[hb]) {
					newid[hb] = nout;
					order[nout++] = hb;
				}
			}
		}
	}
	out->nstates = nout;
	out->trans = sc_xcalloc((size_t)nout * row, sizeof *out->trans);
	out->label = sc_xcalloc(nout, sizeof *out->label);
	out->phase = sc_xcalloc(nout, 1);
	for (uint32_t k = 1; k < nout; k++) {
		uint32_t q = rep[order[k]] + 1;
		out->label[k] = b->label[q];
		out->phase[k] = b->sphase[q];
		for (uint32_t x = 0; x < nsym; x++) {
			uint32_t h = b->trans[(size_t)q * row + x];
			if (h && m.B.L[h - 1] < useful)
				out->trans[(size_t)k * row + x] = newid[m.B.S[h - 1]];
		}
	}
	out->start = start_useful ? 1 : 0;
	free(rep);
	free(newid);
	free(order);
	part_free(&m.B);
	part_free(&m.C);
	free(m.M);
	free(m.W);
	free(m.T);
	free(m.H);
	free(m.Lb);
	free(m.A);
	free(m.AF);
}

/* Past this many live transitions, minimization would need more memory
 * (about 40 bytes a transition) than it saves; the subset DFA is used as
 * it is (it is correct, only not minimal). */
#define SC_DFA_MINIMIZE_MAX_TRANS (6u * 1024 * 1024)

static uint64_t count_transitions(const builder *b)
{
	uint64_t mm = 0;
	size_t row = b->K + 1;
	for (uint32_t s = 1; s < b->nstates; s++)
		for (uint32_t x = 0; x < row; x++)
			mm += b->trans[(size_t)s * row + x] != 0;
	return mm;
}

static void copy_unminimized(builder *b, sc_dfa *out)
{
	size_t row = b->K + 1;
	out->nclasses = b->K;
	memcpy(out->cmap, b->cmap, 256);
	out->nstates = out->raw_states = b->nstates;
	out->trans = sc_xcalloc((size_t)b->nstates * row, sizeof *out->trans);
	memcpy(out->trans, b->trans, (size_t)b->nstates * row * sizeof *out->trans);
	out->label = sc_xcalloc(b->nstates, sizeof *out->label);
	memcpy(out->label, b->label, b->nstates * sizeof *out->label);
	out->phase = sc_xcalloc(b->nstates, 1);
	memcpy(out->phase, b->sphase, b->nstates);
	out->start = b->start;
}

/* ---- driver ---------------------------------------------------------------- */

int sc_dfa_build(sc_dfa *out, const sc_dfa_pattern *pats, uint32_t npats, sc_dfa_label_fn label,
		 void *ctx, const sc_dfa_limits *lim)
{
	memset(out, 0, sizeof *out);
	builder b = { .lim = lim, .label_fn = label, .ctx = ctx };
	uint64_t npos = 0;
	for (uint32_t i = 0; i < npats; i++)
		npos += (uint64_t)pats[i].n + 1;
	if (npos > lim->max_positions || npos >= UINT32_MAX / 2)
		return SC_DFA_TOO_BIG;
	b.npos = (uint32_t)npos;
	b.atom = sc_xcalloc(npos, sizeof *b.atom);
	b.pat = sc_xcalloc(npos, sizeof *b.pat);
	b.pphase = sc_xcalloc(npos, 1);
	b.mark = sc_xcalloc(npos, sizeof *b.mark);
	uint32_t q = 0;
	for (uint32_t i = 0; i < npats; i++) {
		uint8_t ph = 0;
		for (uint32_t k = 0; k < pats[i].n; k++) {
			b.atom[q] = pats[i].atoms[k];
			b.pat[q] = pats[i].id;
			b.pphase[q++] = ph;
			if (pats[i].atoms[k] == SC_AT_SEP)
				ph = 1;
		}
		b.atom[q] = SC_AT_END;
		b.pat[q] = pats[i].id;
		b.pphase[q++] = ph;
	}
	make_classes(&b);
	grow_states(&b);
	rehash(&b);
	b.gen = 1;
	/* state 0: the empty set (dead) */
	b.off[0] = b.len[0] = b.label[0] = 0;
	b.sphase[0] = 0;
	memset(b.trans, 0, (b.K + 1) * sizeof *b.trans);
	b.nstates = 1;
	q = 0;
	for (uint32_t i = 0; i < npats; i++) {
		add_closed(&b, q);
		q += pats[i].n + 1;
	}
	b.start = intern(&b);
	for (uint32_t s = 1; s < b.nstates && !b.too_big; s++)
		expand(&b, s);
	if (b.too_big) {
		builder_free(&b);
		return SC_DFA_TOO_BIG;
	}
	if (b.start == 0) {
		out->nclasses = b.K;
		memcpy(out->cmap, b.cmap, 256);
		out->nstates = 1;
		out->trans = sc_xcalloc(b.K + 1, sizeof *out->trans);
		out->label = sc_xcalloc(1, sizeof *out->label);
		out->phase = sc_xcalloc(1, 1);
		out->raw_states = 1;
	} else if (count_transitions(&b) > SC_DFA_MINIMIZE_MAX_TRANS) {
		copy_unminimized(&b, out);
	} else {
		minimize(&b, out);
	}
	builder_free(&b);
	return SC_DFA_OK;
}

void sc_dfa_free(sc_dfa *d)
{
	free(d->trans);
	free(d->label);
	free(d->phase);
	memset(d, 0, sizeof *d);
}
