/*
 * nfa.h — the bit-parallel NFA part of a task (bytecode.h, "NFA parts"):
 * what the back end uses instead of a DFA for items whose DFA would exceed
 * the state budget.
 */
#ifndef SC_NFA_H
#define SC_NFA_H

#include "bcwrite.h"
#include "policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether ITEMS[0, n) (ascending by index) fit one NFA part: at most
 * SCOPE_BC_NFA_MAX_ITEMS items and SCOPE_BC_NFA_MAX_WORDS words a side. */
bool sc_nfa_fits(const sc_item *const *items, uint32_t n);

/* Writes ITEMS[0, n) (which fit) as one NFA record and its AUTOMATA entry;
 * returns the entry's index. */
uint32_t sc_nfa_write(sc_bcw *w, const sc_item *const *items, uint32_t n);

#endif
