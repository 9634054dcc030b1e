/*
 * attrset.h — the values of one attribute, cut into the cells its tests
 * cannot tell apart (for `diff`).
 *
 * Every test on one attribute denotes a set of strings, and all of them
 * are regular: == != in (constants), like (globs, dfa.h), matches (the
 * regular PCRE2 subset, regexdfa.h), and < <= > >= (the numeric-syntax
 * strings whose value lies on one side of a bound: a small comparator
 * automaton per bound, over exact decimals as in runtime/number.c; a
 * non-numeric string makes them unknown).  The product of those automata
 * is walked breadth-first; each reachable state fixes the outcome of every
 * test, and the distinct outcome vectors are the cells.  One value per
 * nonempty cell (a shortest one, readable bytes first) plus "absent" then
 * stand for every value the attribute can take: a condition is decided
 * the same on a value and on its cell's witness.
 */
#ifndef SC_ATTRSET_H
#define SC_ATTRSET_H

#include "policy.h"

typedef struct sc_cells {
	sc_str *vals;            /* one witness per nonempty cell (present values) */
	uint32_t n;
	bool exact;              /* the cells are exactly the outcome classes */
	char why[512];           /* when not exact: why (names the feature) */
} sc_cells;

/* Regex automata, built once per `matches` test of a diff. */
typedef struct sc_recache sc_recache;

sc_recache *sc_recache_new(void);
void sc_recache_free(sc_recache *rc);   /* accepts NULL */

/* The cells of one attribute from TESTS, its tests (not and/or/not nodes).
 * Strings live in A. */
void sc_cells_build(sc_cells *out, const sc_cond *const *tests, uint32_t ntests, sc_recache *rc, sc_arena *a);
void sc_cells_free(sc_cells *c);

/* Bytes in the order examples prefer them: letters and digits read best. */
void sc_preferred_bytes(unsigned char order[256]);

#endif
