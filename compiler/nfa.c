/*
 * nfa.c — the bit-parallel part of a task (bytecode.h, "NFA parts"): the
 * items whose DFA would exceed the state budget, as Shift-And tables.  Its
 * size is linear in the patterns and a decision costs one pass over the
 * request's bytes, a few word operations per 64 pattern positions, so no
 * policy can make the compiler or the evaluator pay for a DFA blow-up.
 */
#include "nfa.h"

#include "dfa.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

/* One side (action or resource) while it is built: W words per table. */
typedef struct side {
	uint32_t w, k, nbits;
	uint64_t *start, *any, *ns, *b; /* b: K tables of W words */
} side;

static void set_bit(uint64_t *t, uint32_t bit)
{
	t[bit / 64] |= 1ull << (bit % 64);
}

static uint32_t pattern_atoms(const sc_item *it, bool resource, uint16_t *out)
{
	if (!resource)
		return sc_dfa_glob_atoms(it->action.s, it->action.n, out);
	if (!it->has_resource) {
		out[0] = SC_AT_DSTAR; /* any resource, including "" */
		return 1;
	}
	return sc_dfa_glob_atoms(it->resource.s, it->resource.n, out);
}

/* Positions a side needs: per pattern, its start and one per byte or `?`. */
static uint32_t side_bits(const sc_item *const *items, uint32_t n, bool resource, uint16_t *atoms)
{
	uint64_t bits = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t na = pattern_atoms(items[i], resource, atoms);
		bits++;
		for (uint32_t a = 0; a < na; a++)
			bits += atoms[a] != SC_AT_STAR && atoms[a] != SC_AT_DSTAR;
	}
	return bits > UINT32_MAX ? UINT32_MAX : (uint32_t)bits;
}

/* Adds the pattern ATOMS[0, na) at the next free bit of S; returns its
 * final bit.  CLS: byte -> class; SEP_CLASS marks the classes of '.' and
 * '/', which `?` does not accept. */
static uint32_t add_pattern(side *s, const uint16_t *atoms, uint32_t na, const uint8_t *cls,
			    const bool *sep_class)
{
	uint32_t cur = s->nbits++;
	set_bit(s->start, cur);
	for (uint32_t a = 0; a < na; a++) {
		if (atoms[a] == SC_AT_DSTAR) {
			set_bit(s->any, cur);
			continue;
		}
		if (atoms[a] == SC_AT_STAR) {
			set_bit(s->ns, cur);
			continue;
		}
		cur = s->nbits++;
		for (uint32_t c = 0; c < s->k; c++) {
			bool ok = atoms[a] == SC_AT_QMARK ? !sep_class[c] : cls[atoms[a]] == c;
			if (ok)
				set_bit(s->b + (size_t)c * s->w, cur);
		}
	}
	return cur;
}

/* Byte classes: every byte that some pattern names, '.' and '/' each a
 * class of their own; all other bytes one more class. */
static uint32_t byte_classes(const sc_item *const *items, uint32_t n, uint16_t *atoms, uint8_t *cls,
			     bool *sep_class)
{
	bool named[256] = { false };
	named['.'] = named['/'] = true;
	for (uint32_t i = 0; i < n; i++)
		for (int r = 0; r < 2; r++) {
			uint32_t na = pattern_atoms(items[i], r, atoms);
			for (uint32_t a = 0; a < na; a++)
				if (atoms[a] < 256)
					named[atoms[a]] = true;
		}
	uint32_t k = 0, other = UINT32_MAX;
	for (int b = 0; b < 256; b++) {
		if (named[b]) {
			sep_class[k] = b == '.' || b == '/';
			cls[b] = (uint8_t)k++;
		} else {
			if (other == UINT32_MAX) {
				other = k++;
				sep_class[other] = false;
			}
			cls[b] = (uint8_t)other;
		}
	}
	return k;
}

static void push_table(sc_bcw *w, const uint64_t *t, uint32_t words)
{
	for (uint32_t i = 0; i < words; i++) {
		sc_bcw_push(w, SCOPE_SEC_NFA, (uint32_t)t[i]);
		sc_bcw_push(w, SCOPE_SEC_NFA, (uint32_t)(t[i] >> 32));
	}
}

static void push_side(sc_bcw *w, const side *s)
{
	push_table(w, s->start, s->w);
	push_table(w, s->any, s->w);
	push_table(w, s->ns, s->w);
	push_table(w, s->b, s->w * s->k);
}

static void side_init(side *s, uint32_t bits, uint32_t k)
{
	s->w = (bits + 63) / 64;
	s->k = k;
	s->nbits = 0;
	s->start = sc_xcalloc(s->w, 8);
	s->any = sc_xcalloc(s->w, 8);
	s->ns = sc_xcalloc(s->w, 8);
	s->b = sc_xcalloc((size_t)s->w * k, 8);
}

static void side_free(side *s)
{
	free(s->start);
	free(s->any);
	free(s->ns);
	free(s->b);
}

static size_t max_atoms(const sc_item *const *items, uint32_t n)
{
	size_t m = 1;
	for (uint32_t i = 0; i < n; i++) {
		size_t k = items[i]->action.n > items[i]->resource.n ? items[i]->action.n : items[i]->resource.n;
		if (k + 1 > m)
			m = k + 1;
	}
	return m;
}

bool sc_nfa_fits(const sc_item *const *items, uint32_t n)
{
	if (n == 0 || n > SCOPE_BC_NFA_MAX_ITEMS)
		return false;
	uint16_t *atoms = sc_xcalloc(max_atoms(items, n), sizeof *atoms);
	uint32_t ba = side_bits(items, n, false, atoms), br = side_bits(items, n, true, atoms);
	free(atoms);
	return ba <= 64 * SCOPE_BC_NFA_MAX_WORDS && br <= 64 * SCOPE_BC_NFA_MAX_WORDS;
}

uint32_t sc_nfa_write(sc_bcw *w, const sc_item *const *items, uint32_t n)
{
	uint16_t *atoms = sc_xcalloc(max_atoms(items, n), sizeof *atoms);
	uint8_t cls[256];
	bool sep_class[256];
	uint32_t k = byte_classes(items, n, atoms, cls, sep_class);
	side a, r;
	side_init(&a, side_bits(items, n, false, atoms), k);
	side_init(&r, side_bits(items, n, true, atoms), k);
	uint32_t *finals = sc_xcalloc(2 * (size_t)n, sizeof *finals);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t na = pattern_atoms(items[i], false, atoms);
		finals[2 * i] = add_pattern(&a, atoms, na, cls, sep_class);
		na = pattern_atoms(items[i], true, atoms);
		finals[2 * i + 1] = add_pattern(&r, atoms, na, cls, sep_class);
	}
	uint32_t start = (uint32_t)w->sec[SCOPE_SEC_NFA].n, nk[3] = { 0, 0, 0 };
	for (uint32_t i = 0; i < n; i++)
		nk[items[i]->kind]++;
	sc_bcw_push(w, SCOPE_SEC_NFA, n);
	sc_bcw_push(w, SCOPE_SEC_NFA, nk[SC_DENY]);
	sc_bcw_push(w, SCOPE_SEC_NFA, nk[SC_ASK]);
	sc_bcw_push(w, SCOPE_SEC_NFA, a.w);
	sc_bcw_push(w, SCOPE_SEC_NFA, r.w);
	sc_bcw_push(w, SCOPE_SEC_NFA, k);
	for (int i = 0; i < 256; i += 4)
		sc_bcw_push(w, SCOPE_SEC_NFA, (uint32_t)cls[i] | (uint32_t)cls[i + 1] << 8 |
						      (uint32_t)cls[i + 2] << 16 | (uint32_t)cls[i + 3] << 24);
	push_side(w, &a);
	push_side(w, &r);
	static const sc_kind order[] = { SC_DENY, SC_ASK, SC_ALLOW };
	for (int o = 0; o < 3; o++)
		for (uint32_t i = 0; i < n; i++)
			if (items[i]->kind == order[o]) {
				sc_bcw_push(w, SCOPE_SEC_NFA, items[i]->index);
				sc_bcw_push(w, SCOPE_SEC_NFA, finals[2 * i]);
				sc_bcw_push(w, SCOPE_SEC_NFA, finals[2 * i + 1]);
			}
	free(finals);
	free(atoms);
	side_free(&a);
	side_free(&r);
	uint32_t idx = (uint32_t)(w->sec[SCOPE_SEC_AUTOMATA].n / SCOPE_BC_AUTOMATON_WORDS);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, SCOPE_BC_A_NFA);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, 0);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, start);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, 0);
	sc_bcw_push(w, SCOPE_SEC_AUTOMATA, 0);
	return idx;
}
