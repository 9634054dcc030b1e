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

/* Where the files of a policy come from: the file system unless told
 * otherwise; `scopec diff REV:PATH` reads a git revision (gitsrc.h).  Each
 * function returns NULL or 0 on failure with the reason in WHY. */
typedef struct sc_fileops {
	/* The name (for diagnostics, and to load) of the file that
	 * `include "REL"` names in the file called FROM.  malloc'd. */
	char *(*join)(void *ctx, const char *from, sc_str rel, char *why, size_t whysz);
	/* Its identity for "included once" and cycles (realpath on disk). */
	char *(*identify)(void *ctx, const char *name, char *why, size_t whysz);
	/* Reads NAME into D as a new source with its identity in `real`. */
	uint32_t (*load)(void *ctx, sc_diag *d, const char *name, char *why, size_t whysz);
	void *ctx;
} sc_fileops;

/* Resolves the policy whose root file ROOT the caller already loaded into
 * D (so that it reports a missing root itself); includes are read through
 * OPS (NULL: the file system). */
sc_policy *sc_resolve_loaded(sc_diag *d, uint32_t root, const sc_fileops *ops);

#endif
