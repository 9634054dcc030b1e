/*
 * fmt.h — `scopec fmt`: the canonical layout of a policy file.
 *
 *   let NAME = ITEM,            one statement per line group;
 *              ITEM             items one per line, aligned
 *   task NAME extends A, B
 *     allows ITEM,              clause keywords padded so that items align
 *            ITEM
 *     asks   ITEM
 *     denies ITEM
 *   expect allow TASK ACTION RESOURCE k=v
 *
 * Order is never changed, so formatting cannot change a decision.  Comments
 * are kept: a comment on its own line stays on its own line before the line
 * that holds the next token; a trailing comment ends the line holding the
 * token it followed.  One blank line is kept where the source had any.
 *
 * The formatter checks its own output: it lexes the result and requires the
 * same tokens and comments in the same order, and refuses otherwise.
 */
#ifndef SC_FMT_H
#define SC_FMT_H

#include "diag.h"

/* Formats FILE of D into *out (malloc'd, *outlen bytes).  Returns 0, or -1
 * after reporting syntax errors (nothing is formatted then). */
int sc_fmt(sc_diag *d, uint32_t file, char **out, size_t *outlen);

#endif
