/*
 * image.h — a loaded policy as the runtime sees it: the verified image and
 * pointers to its sections.  Internal to runtime/ (and to the compiler's
 * disassembler, which reads images through the same verifier).
 */
#ifndef SCOPE_IMAGE_H
#define SCOPE_IMAGE_H

#include "bytecode.h"
#include "scope.h"

typedef struct scope_section {
	const uint32_t *w;      /* words (STRBYTES: use .b) */
	const uint8_t *b;
	uint32_t n;             /* entries (words for STATES/OUTCOMES/CODE, bytes for STRBYTES) */
} scope_section;

/* Zero bytes after a loaded image: the walk may read up to 8 bytes from
 * anywhere inside the STATES section (keys and literal bytes compared 8 at
 * a time, decide.c) and must stay inside the allocation. */
#define SCOPE_IMG_PAD 16u

struct scope_policy {
	uint32_t *img;          /* owned copy, 8-aligned, SCOPE_IMG_PAD zero bytes after */
	size_t len;             /* bytes */
	uint32_t version;       /* SCOPE_BC_VERSION_MIN .. SCOPE_BC_VERSION */
	uint32_t flags;
	scope_section sec[SCOPE_SEC_MAX + 1];
	void **regex;           /* pcre2_code *, one per REGEX entry */
	struct scope_task_slot *task_slots; /* taskindex.c: the task names' hash table */
	uint32_t task_mask;     /* its size - 1 */
};

/* Shorthands for the sections (entries counted in records, not words). */
#define SC_STRBYTES(p) ((p)->sec[SCOPE_SEC_STRBYTES].b)
#define SC_STRINGS(p) ((p)->sec[SCOPE_SEC_STRINGS].w)
#define SC_NSTRINGS(p) ((p)->sec[SCOPE_SEC_STRINGS].n)
#define SC_CMAPS(p) ((p)->sec[SCOPE_SEC_CMAPS].w)
#define SC_NCMAPS(p) ((p)->sec[SCOPE_SEC_CMAPS].n)
#define SC_STATES(p) ((p)->sec[SCOPE_SEC_STATES].w)
#define SC_NSTATES(p) ((p)->sec[SCOPE_SEC_STATES].n)
#define SC_AUTOMATA(p) ((p)->sec[SCOPE_SEC_AUTOMATA].w)
#define SC_NAUTOMATA(p) ((p)->sec[SCOPE_SEC_AUTOMATA].n)
#define SC_TASKS(p) ((p)->sec[SCOPE_SEC_TASKS].w)
#define SC_NTASKS(p) ((p)->sec[SCOPE_SEC_TASKS].n)
#define SC_ITEMS(p) ((p)->sec[SCOPE_SEC_ITEMS].w)
#define SC_NITEMS(p) ((p)->sec[SCOPE_SEC_ITEMS].n)
#define SC_OUTCOMES(p) ((p)->sec[SCOPE_SEC_OUTCOMES].w)
#define SC_NOUTCOMES(p) ((p)->sec[SCOPE_SEC_OUTCOMES].n)
#define SC_CODE(p) ((p)->sec[SCOPE_SEC_CODE].w)
#define SC_NCODE(p) ((p)->sec[SCOPE_SEC_CODE].n)
#define SC_REGEXES(p) ((p)->sec[SCOPE_SEC_REGEX].w)
#define SC_NFA(p) ((p)->sec[SCOPE_SEC_NFA].w)
#define SC_NNFA(p) ((p)->sec[SCOPE_SEC_NFA].n)
#define SC_NREGEX(p) ((p)->sec[SCOPE_SEC_REGEX].n)

/* Checks the header and every section of P->img (P->len bytes) and fills
 * P->sec.  Returns 0 or -SCOPE_E*; on failure, WHY (if not NULL) receives a
 * short static description of the first violation found. */
int scope_verify_image(scope_policy *p, const char **why);

/* The bytes of string I (verified in range). */
static inline const char *scope_str(const scope_policy *p, uint32_t i, uint32_t *len)
{
	const uint32_t *e = SC_STRINGS(p) + 2 * (size_t)i;
	*len = e[1];
	return (const char *)SC_STRBYTES(p) + e[0];
}

/* The walk of the evaluator (decide.c), for static queries about an
 * image (libscope-enforce's tool visibility): runs automaton A over STR
 * from state S and returns the payload where it ends.  Internal. */
uint32_t scope_image_walk(const scope_policy *pol, const uint32_t *a, uint32_t s, const char *str,
			  size_t len);

/* taskindex.c: the table of task names, built from the verified image at
 * load (0 or -SCOPE_ENOMEM); the lookup of a decision returns the task's
 * first AUTOMATA entry and its number of parts, or NULL for no such task
 * (always what the task automaton says). */
int scope_task_index_build(scope_policy *p);
const uint32_t *scope_task_find(const scope_policy *p, const char *name, size_t len, uint32_t *nparts);

/* Tool visibility (libscope-enforce) of NFA part A: may an ask or allow
 * item of it match action [ACTION, +LEN) (with some resource)?  Internal. */
bool scope_image_nfa_may_grant(const scope_policy *p, const uint32_t *a, const char *action, size_t len);

/* The whole file PATH into a new buffer (*BUF, malloc'd, the caller
 * frees): 0, -SCOPE_EIO, -SCOPE_ENOMEM, or -SCOPE_ELENGTH when it is longer
 * than a signed image of the largest size can be.  The one file reader of
 * scope_policy_load_file and libscope-enforce's signed load.  Internal. */
int scope_image_read_file(const char *path, void **buf, size_t *len);

/* Loads without compiling regexes (the disassembler).  Internal. */
int scope_policy_load_unverified_regex(scope_policy **out, const void *image, size_t len,
				       const char **why);

#endif
