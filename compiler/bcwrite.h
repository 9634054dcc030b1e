/*
 * bcwrite.h — building a bytecode image (runtime/bytecode.h) section by
 * section: interned strings and outcome records, automata encoded from
 * sc_dfa into state records, and the final header with its checksum.
 */
#ifndef SC_BCWRITE_H
#define SC_BCWRITE_H

#include "bytecode.h"
#include "dfa.h"

#include <stdbool.h>

typedef struct sc_wbuf {
	uint32_t *w;
	size_t n, cap;
} sc_wbuf;

typedef struct sc_bcw {
	sc_wbuf sec[SCOPE_SEC_MAX + 1];  /* STRBYTES lives in bytes below */
	unsigned char *bytes;
	size_t nbytes, capbytes;
	uint32_t *strhash;               /* string index + 1, open addressing */
	size_t strcap;
	uint32_t *outhash;               /* outcome offset, open addressing */
	size_t outcap, nout;
	uint32_t *cmaphash;              /* cmap index + 1 */
	size_t cmapcap;
	uint64_t records;                /* state records written (statistics) */
} sc_bcw;

void sc_bcw_init(sc_bcw *w);
void sc_bcw_fini(sc_bcw *w);
void sc_bcw_push(sc_bcw *w, int sec, uint32_t word);

/* Index of the string S[0..N) in STRINGS (interned; stored NUL-terminated). */
uint32_t sc_bcw_string(sc_bcw *w, const char *s, size_t n);

/* Offset in OUTCOMES of the record REC[0..N) (interned). */
uint32_t sc_bcw_outcome(sc_bcw *w, const uint32_t *rec, uint32_t n);

/* Appends D as an automaton of KIND (SCOPE_BC_A_*); returns its index.
 * For POLICY automata, phase-0 states are ACTION states whose payload is
 * their SEP successor; phase-1 states are RESOURCE states whose payload is
 * their label.  Other kinds: payload = label. */
uint32_t sc_bcw_automaton(sc_bcw *w, const sc_dfa *d, uint32_t kind);

/* Assembles the image (malloc'd) with FLAGS (SCOPE_BC_F_*). */
void sc_bcw_finish(sc_bcw *w, uint32_t flags, unsigned char **image, size_t *len);

#endif
