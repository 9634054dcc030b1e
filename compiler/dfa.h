/*
 * dfa.h — patterns to minimized byte DFAs (the automaton step of the
 * pipeline: resolved policy -> automata -> bytecode).
 *
 * A pattern is a sequence of atoms: a literal byte, `*`, `**`, `?` (SPEC §2
 * "Patterns") or SEP, an end-of-field symbol outside the byte alphabet that
 * joins an action pattern to its resource pattern ("ACTION SEP RESOURCE"),
 * so that one DFA per task walks the action, then — from the state its SEP
 * transition leads to — the resource.  States before SEP are phase 0,
 * after it phase 1.
 *
 * Construction is the subset construction over pattern positions (each
 * position = "this many atoms matched"), with byte equivalence classes, then
 * Valmari–Lehtinen partition refinement (Hopcroft's algorithm for partial
 * DFAs) to the minimal DFA.  Accepting states are labelled by a caller
 * callback from the sorted ids of the patterns that end there; states with
 * equal labels and futures merge.  Both steps are bounded by sc_dfa_limits:
 * a construction that would exceed them stops with SC_DFA_TOO_BIG (the
 * caller splits the patterns over several DFAs), never runs out of memory
 * on its own account.
 */
#ifndef SC_DFA_H
#define SC_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	SC_AT_STAR = 256,   /* any run without '.' or '/' */
	SC_AT_DSTAR,        /* any run */
	SC_AT_QMARK,        /* one byte, not '.' or '/' */
	SC_AT_SEP,          /* the field separator */
	SC_AT_END           /* internal: accept position */
};

typedef struct sc_dfa_pattern {
	const uint16_t *atoms;
	uint32_t n;
	uint32_t id;        /* passed to the label callback; ascending */
} sc_dfa_pattern;

/* The label (payload) of a state where patterns IDS[0..N) end, N >= 1,
 * IDS ascending.  Must be non-zero; 0 means "no pattern ends here". */
typedef uint32_t (*sc_dfa_label_fn)(void *ctx, const uint32_t *ids, uint32_t n);

typedef struct sc_dfa_limits {
	uint32_t max_states;    /* DFA states before minimization */
	uint64_t max_positions; /* sum of the position-set sizes */
} sc_dfa_limits;

typedef struct sc_dfa {
	uint32_t nstates;       /* state 0 is dead (no pattern can match) */
	uint32_t nclasses;      /* byte classes; symbol nclasses is SEP */
	uint8_t cmap[256];      /* byte -> class */
	uint32_t *trans;        /* [state * (nclasses + 1) + symbol] */
	uint32_t *label;        /* per state, 0 = none */
	uint8_t *phase;         /* per state */
	uint32_t start;
	uint32_t raw_states;    /* before minimization (statistics) */
} sc_dfa;

enum { SC_DFA_OK = 0, SC_DFA_TOO_BIG = 1 };

/* Builds the minimal DFA of the union of PATS.  Returns SC_DFA_OK or
 * SC_DFA_TOO_BIG (OUT is then empty).  Aborts on out of memory. */
int sc_dfa_build(sc_dfa *out, const sc_dfa_pattern *pats, uint32_t npats, sc_dfa_label_fn label,
		 void *ctx, const sc_dfa_limits *lim);
void sc_dfa_free(sc_dfa *d);

/* SPEC §2 glob text to atoms (OUT has room for N atoms); returns the count.
 * A run of two or more stars is `**`. */
uint32_t sc_dfa_glob_atoms(const char *pat, size_t n, uint16_t *out);

#endif
