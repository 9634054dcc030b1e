/*
 * glob.h — the reference matcher for patterns (SPEC §2 "Patterns"):
 *   `*`  any run of bytes without '.' or '/' (possibly empty)
 *   `**` any run of bytes (possibly empty)
 *   `?`  exactly one byte that is neither '.' nor '/'
 *   every other byte matches itself; the whole string must match.
 * A run of three or more stars is `**` (a `*` next to `**` adds nothing).
 *
 * This is the oracle: a position-set simulation, O(len(text) * len(pattern))
 * time and O(len(pattern)) memory, no backtracking and no recursion, so a
 * hostile pattern cannot make it exponential.  The compiled path uses DFAs.
 */
#ifndef SC_GLOB_H
#define SC_GLOB_H

#include <stdbool.h>
#include <stddef.h>

bool sc_glob_match(const char *pat, size_t patlen, const char *text, size_t textlen);

#endif
