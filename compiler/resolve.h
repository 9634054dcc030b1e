/*
 * resolve.h — from parsed files to one resolved policy (policy.h).
 *
 * Loads the root files and their includes (relative to the including file,
 * each file once, cycles rejected), collects sets (global, order-independent,
 * acyclic), tasks (each named once; `extends` transitive and acyclic;
 * `task *` applied to all), compiles every regex with PCRE2, and expands
 * everything into per-task item lists.  Errors go to the sc_diag; as many
 * independent errors as possible are reported in one run.
 */
#ifndef SC_RESOLVE_H
#define SC_RESOLVE_H

#include "policy.h"

/* Limits that keep hostile inputs bounded (each reported as an error). */
#define SC_MAX_INCLUDE_DEPTH 64
#define SC_MAX_ITEMS (4u * 1024 * 1024)        /* expanded items */
#define SC_MAX_TASK_ITEMS (64u * 1024 * 1024)  /* sum over tasks */

/* Returns NULL if any error was reported (diagnostics already printed). */
sc_policy *sc_resolve_files(sc_diag *d, const char *const *paths, size_t npaths);
/* Same for an in-memory source (fuzzers, tests); includes are relative to
 * the current directory. */
sc_policy *sc_resolve_text(sc_diag *d, const char *name, const char *text, size_t len);

#endif
