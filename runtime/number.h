/*
 * number.h — the numbers of `<`, `<=`, `>`, `>=` (SPEC §2): an optional sign,
 * digits, an optional fraction ("42", "-3", "2.5").  Shared by the compiler
 * and the runtime so that both read numbers the same way.
 *
 * Comparison is exact on the decimal text (no floating point): "2.50" equals
 * "2.5", "-0" equals "0", and 30-digit integers compare correctly.
 */
#ifndef SCOPE_NUMBER_H
#define SCOPE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

bool sc_number_valid(const char *s, size_t n);

/* Compares two numbers.  Returns -1, 0 or 1; returns 2 if either is not a
 * valid number (the caller's "unknown"). */
int sc_number_cmp(const char *a, size_t an, const char *b, size_t bn);

#endif
